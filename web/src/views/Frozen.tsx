// What a Telegram account frozen by Telegram means and how the shop owner appeals (issue 15),
// said the same way on the monitor and on the Telegram page.
import { dateTime } from '../results/format';

/** @SpamBot opens in the Telegram app: the appeal must come from the frozen account itself. */
export const SPAMBOT_URL = 'https://t.me/SpamBot';

export function SpamBotLink({ primary }: { primary?: boolean }) {
  return (
    <a class={'btn btn-sm' + (primary ? ' btn-primary' : '')} href={SPAMBOT_URL} target="_blank" rel="noopener noreferrer">
      Open @SpamBot
    </a>
  );
}

/** "Since 3 Dec 2025, 14:05, " or nothing when the time is not known. */
export function frozenSince(frozenAt: string | null | undefined): string {
  const t = frozenAt ? Date.parse(frozenAt) : NaN;
  return Number.isNaN(t) ? '' : `Since ${dateTime.format(new Date(t))}, `;
}

/** The appeal, step by step. */
export function AppealSteps() {
  return (
    <ol class="appeal-steps" data-testid="appeal-steps">
      <li>
        Open <strong>@SpamBot</strong> in the Telegram app, logged in as this account, and press Start.
      </li>
      <li>Follow its steps to appeal. Telegram deletes frozen accounts that do not appeal.</li>
      <li>
        When @SpamBot says the account is free again, press Resume on the paused campaigns. Telegram does not tell tgr when an appeal succeeds; the
        first message that goes through clears the mark.
      </li>
    </ol>
  );
}
