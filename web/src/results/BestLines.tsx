// The best-performing lines of messages (GET /campaigns/:id/scorecard best_lines), ranked, with
// what each earned and its score; shared by the analytics dashboard and the scorecard. Line texts
// are the shop's own words with placeholders as written ({{first_name|there}}); rendered as text.
import { onLinkClick } from '../router';
import type { BestLine } from '../api-results';
import { count, money, stepLabel } from './format';

/** How the lines are ranked, in the same words wherever they are listed (the server's score,
 *  h_scorecard.c): what the list says is what it does (issue 18). */
export function RankNote({ currency }: { currency: string }) {
  return (
    <p class="card-note" data-testid="best-lines-note">
      Each line of the messages, ranked by its score, highest first: (people who clicked a link in the line + 2 × replies to its message + 1 for
      every {money(1000, currency)} its links earned) ÷ messages that carried it. Placeholders show as written, with their fallback after “|”.
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
  return (
    <ol class="lines" data-testid="best-lines">
      {lines.map((l, i) => (
        <li key={`${l.campaignId}-${l.line.step}-${i}`} class="line-item" data-testid="best-line">
          <span class="line-rank" aria-label={`Rank ${i + 1}`}>
            {i + 1}
          </span>
          <div>
            <p class="line-text">{l.line.text}</p>
            <div class="line-meta">
              {showCampaign && (
                <span>
                  <a href={`/app/campaigns/${l.campaignId}/scorecard`} onClick={onLinkClick}>
                    {l.campaignName}
                  </a>{' '}
                  · {stepLabel(l.line.step)}
                </span>
              )}
              {!showCampaign && <span>{stepLabel(l.line.step)}</span>}
              <span>
                <strong>{count.format(l.line.sent)}</strong> sent
              </span>
              <span>
                <strong>{count.format(l.line.unique_clicks)}</strong> clicked
              </span>
              <span>
                <strong>{count.format(l.line.replies)}</strong> replied
              </span>
              <span>
                <strong>{money(l.line.revenue, currency)}</strong> revenue
              </span>
              <span data-testid="best-line-score">
                score <strong>{l.line.score.toFixed(2)}</strong>
              </span>
              {l.line.earlier && (
                <span title="The same line in earlier campaigns">
                  before: {count.format(l.line.earlier.clicks)} clicked, {count.format(l.line.earlier.replies)} replied of {count.format(l.line.earlier.sent)} in{' '}
                  {l.line.earlier.campaigns} campaign{l.line.earlier.campaigns === 1 ? '' : 's'}
                </span>
              )}
            </div>
            <progress class="progress score" max={top > 0 ? top : 1} value={l.line.score} aria-label={`Score ${l.line.score.toFixed(2)}`} />
          </div>
        </li>
      ))}
    </ol>
  );
}

