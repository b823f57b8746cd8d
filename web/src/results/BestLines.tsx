// The best-performing lines of messages (GET /campaigns/:id/scorecard best_lines), ranked, with
// what each earned and its score; shared by the analytics dashboard and the scorecard. Line texts
// are the shop's own words with placeholders as written ({{first_name|there}}); rendered as text.
import { messages, numberFormat, plural } from '../i18n';
import { onLinkClick } from '../router';
import type { BestLine } from '../api-results';
import { count, money, stepLabel } from './format';
import { fill } from './ui';

const M = messages(
  {
    note: (money: string) =>
      `Each line of the messages, ranked by its score, highest first: (people who clicked a link in the line + 2 × replies to its message + 1 for every ${money} its links earned) ÷ messages that carried it. Placeholders show as written, with their fallback after “|”.`,
    rank: (n: number) => `Rank ${n}`,
    sent: '{n} sent',
    clicked: '{n} clicked',
    replied: '{n} replied',
    revenue: '{n} revenue',
    score: 'score {n}',
    scoreLabel: (s: string) => `Score ${s}`,
    earlierTitle: 'The same line in earlier campaigns',
    earlier: (clicks: string, replies: string, sent: string, campaigns: number) =>
      `before: ${clicks} clicked, ${replies} replied of ${sent} in ${plural(campaigns, { one: '# campaign', other: '# campaigns' })}`,
  },
  {
    note: (money) =>
      `Каждая строка сообщений, по баллу, от высшего к низшему: (люди, перешедшие по ссылке из строки + 2 × ответы на её сообщение + 1 за каждые ${money} выручки с её ссылок) ÷ сообщения, в которых она была. Подстановки показаны как написаны, с запасным значением после «|».`,
    rank: (n) => `Место ${n}`,
    sent: '{n} отправлено',
    clicked: '{n} перешли',
    replied: '{n} ответили',
    revenue: '{n} выручки',
    score: 'балл {n}',
    scoreLabel: (s) => `Балл ${s}`,
    earlierTitle: 'Та же строка в прошлых кампаниях',
    earlier: (clicks, replies, sent, campaigns) =>
      `раньше: ${clicks} перешли, ${replies} ответили из ${sent} ${plural(campaigns, { one: 'в # кампании', few: 'в # кампаниях', many: 'в # кампаниях', other: 'в # кампании' })}`,
  },
);

/** A line's score with two decimals, in the language's digits (no grouping, as it always was). */
const scoreFormat = numberFormat({ minimumFractionDigits: 2, maximumFractionDigits: 2, useGrouping: false });

/** How the lines are ranked, in the same words wherever they are listed (the server's score,
 *  h_scorecard.c): what the list says is what it does (issue 18). */
export function RankNote({ currency }: { currency: string }) {
  return (
    <p class="card-note" data-testid="best-lines-note">
      {M().note(money(1000, currency))}
    </p>
  );
}

export interface RankedLine {
  line: BestLine;
  campaignId: number;
  campaignName: string;
}

export function BestLinesList({ lines, currency, showCampaign }: { lines: RankedLine[]; currency: string; showCampaign: boolean }) {
  const top = lines.reduce((m, l) => Math.max(m, l.line.score), 0);
  const m = M();
  return (
    <ol class="lines" data-testid="best-lines">
      {lines.map((l, i) => (
        <li key={`${l.campaignId}-${l.line.step}-${i}`} class="line-item" data-testid="best-line">
          <span class="line-rank" aria-label={m.rank(i + 1)}>
            {i + 1}
          </span>
          <div>
            <p class="line-text" translate={false}>
              {l.line.text}
            </p>
            <div class="line-meta">
              {showCampaign && (
                <span>
                  <a href={`/app/campaigns/${l.campaignId}/scorecard`} onClick={onLinkClick} translate={false}>
                    {l.campaignName}
                  </a>{' '}
                  · {stepLabel(l.line.step)}
                </span>
              )}
              {!showCampaign && <span>{stepLabel(l.line.step)}</span>}
              <span>{fill(m.sent, { n: <strong>{count.format(l.line.sent)}</strong> })}</span>
              <span>{fill(m.clicked, { n: <strong>{count.format(l.line.unique_clicks)}</strong> })}</span>
              <span>{fill(m.replied, { n: <strong>{count.format(l.line.replies)}</strong> })}</span>
              <span>{fill(m.revenue, { n: <strong>{money(l.line.revenue, currency)}</strong> })}</span>
              <span data-testid="best-line-score">{fill(m.score, { n: <strong>{scoreFormat.format(l.line.score)}</strong> })}</span>
              {l.line.earlier && (
                <span title={m.earlierTitle}>
                  {m.earlier(count.format(l.line.earlier.clicks), count.format(l.line.earlier.replies), count.format(l.line.earlier.sent), l.line.earlier.campaigns)}
                </span>
              )}
            </div>
            <progress class="progress score" max={top > 0 ? top : 1} value={l.line.score} aria-label={m.scoreLabel(scoreFormat.format(l.line.score))} />
          </div>
        </li>
      ))}
    </ol>
  );
}

