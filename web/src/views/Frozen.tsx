// What a Telegram account frozen by Telegram means and how the shop owner appeals (issue 15),
// said the same way on the monitor and on the Telegram page.
import { messages } from '../i18n';
import { dateTime } from '../results/format';

const M = messages(
  {
    open: 'Open @SpamBot',
    since: (date: string) => `Since ${date}, `,
    step1Before: 'Open ',
    step1After: ' in the Telegram app, logged in as this account, and press Start.',
    step2: 'Follow its steps to appeal. Telegram deletes frozen accounts that do not appeal.',
    step3:
      'When @SpamBot says the account is free again, press Resume on the paused campaigns. Telegram does not tell tgr when an appeal succeeds; the first message that goes through clears the mark.',
  },
  {
    open: 'Открыть @SpamBot',
    since: (date) => `С ${date} `,
    step1Before: 'Откройте ',
    step1After: ' в приложении Telegram, войдя в этот аккаунт, и нажмите «Запустить».',
    step2: 'Следуйте его шагам, чтобы подать апелляцию. Замороженные аккаунты, которые не подали апелляцию, Telegram удаляет.',
    step3:
      'Когда @SpamBot сообщит, что ограничения сняты, нажмите «Продолжить» у кампаний на паузе. Telegram не сообщает tgr об успешной апелляции: отметка снимается, как только проходит первое сообщение.',
  },
);

/** @SpamBot opens in the Telegram app: the appeal must come from the frozen account itself. */
export const SPAMBOT_URL = 'https://t.me/SpamBot';

export function SpamBotLink({ primary }: { primary?: boolean }) {
  return (
    <a class={'btn btn-sm' + (primary ? ' btn-primary' : '')} href={SPAMBOT_URL} target="_blank" rel="noopener noreferrer">
      {M().open}
    </a>
  );
}

/** "Since 3 Dec 2025, 14:05, " or nothing when the time is not known. */
export function frozenSince(frozenAt: string | null | undefined): string {
  const t = frozenAt ? Date.parse(frozenAt) : NaN;
  return Number.isNaN(t) ? '' : M().since(dateTime.format(new Date(t)));
}

/** The appeal, step by step. */
export function AppealSteps() {
  const m = M();
  return (
    <ol class="appeal-steps" data-testid="appeal-steps">
      <li>
        {m.step1Before}
        <strong>@SpamBot</strong>
        {m.step1After}
      </li>
      <li>{m.step2}</li>
      <li>{m.step3}</li>
    </ol>
  );
}
