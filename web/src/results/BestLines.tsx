// The best-performing lines of messages (GET /campaigns/:id/scorecard best_lines), ranked, with
// what each earned; shared by the analytics dashboard and the scorecard. Line texts are the
// shop's own words with placeholders left visible; rendered as text.
import { onLinkClick } from '../router';
import type { BestLine } from '../api-results';
import { count, money, stepLabel } from './format';

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

