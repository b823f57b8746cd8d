// The monitor's words in English and Russian (views/Monitor.tsx), and the live log's lines in
// Russian. A log line's details are the server's English sentence (the engine writes them, e.g.
// "the daily limit of 200 messages is reached; sending resumes at …"); the English monitor shows
// that sentence, the Russian one says the line again from its status and code, with the numbers and
// times taken from the sentence where tgr's own wording has them (logDetailRu).
import type { LogEntry } from '../api-results';
import { messages, plural } from '../i18n';
import { count, duration, reasonLabel, when } from '../results/format';

export const M = messages(
  {
    // Follow-up plan
    condNoReply: 'to those who did not reply',
    condNoClick: 'to those who did not click',
    condNeither: 'to those who neither replied nor clicked',
    days: (n: number) => plural(n, { one: '# day', other: '# days' }),
    hours: (n: number) => plural(n, { one: '# hour', other: '# hours' }),
    minutes: (n: number) => `${n} min`,
    seconds: (n: number) => `${n} s`,
    nudgeWhen: 'After {after}, {who}',
    // The log's statuses and events
    stSent: 'Sent',
    stFailed: 'Failed',
    stWaiting: 'Waiting',
    stRetry: 'Retrying',
    stSkipped: 'Skipped',
    stPaused: 'Paused',
    stResumed: 'Resumed',
    stQuiet: 'Quiet hours',
    stDaily: 'Daily limit',
    stNotStarted: 'not_started',
    whoPaused: 'Campaign paused',
    whoResumed: 'Campaign resumed',
    whoQuiet: 'Quiet hours started',
    whoDaily: 'Daily limit reached',
    whoFlood: 'Telegram asked to slow down',
    whoCampaign: 'Campaign',
    whoContact: (id: number) => `Contact #${id}`,
    dailyTomorrow: 'Sending resumes tomorrow.',
    liveTitle: 'New events appear here as they happen',
    live: 'Live',
    stopped: 'Stopped',
    connecting: 'Connecting…',
    reconnectingIn: (s: number) => `Reconnecting in ${s} s…`,
    reconnecting: 'Reconnecting…',
    activity: 'Activity',
    nothingYet: 'Nothing sent yet. Messages appear here the moment they go out.',
    loadingActivity: 'Loading the activity…',
    logLabel: 'Send log, newest first',
    showing: (shown: number, total: number) => `Showing the latest ${shown} of ${count.format(total)} events.`,
    // Notices
    sessionTitle: 'Telegram disconnected this account',
    reconnect: 'Reconnect Telegram',
    sessionText:
      'The login session is no longer valid (for example it was ended from another device). Sending has stopped. Reconnect Telegram, then come back and press Resume — nobody gets a message twice.',
    peerTitle: 'Telegram has limited this account (PEER_FLOOD)',
    peerText:
      "Telegram thinks the account sent too many messages to people who don't have it in their contacts. The campaign is paused. Wait at least a day before resuming and do not resend the same message — pushing on can get the account banned. Messages already sent are not affected.",
    frozenTitle: 'Telegram froze this account',
    frozenNow: 'Now ',
    frozenText:
      'Telegram lets the account read its chats but send nothing. Every campaign of the account is paused; the message that met the freeze went back to the queue, so nobody was lost. tgr stays connected.',
    streakTitle: 'Paused: several people in a row failed with the same error',
    streakText: '{lead} {what} — {why} tgr paused the campaign so that one error cannot cost the whole audience; the people not reached yet are still waiting.',
    streakOwn: 'The messages failed with',
    streakTelegram: 'Telegram answered',
    streakCode: '“{label}” ({code})',
    streakAnError: 'an error',
    unknownCode: 'a code tgr does not know.',
    checkFirst: 'Before you resume, check:',
    checkNewCode: "The code is new to tgr (perhaps a new Telegram rule): look its name up in Telegram's API documentation.",
    checkMessage: 'The message: press Edit, then “Send test to my Saved Messages”. If the test fails with the same code, fix the message first.',
    checkAccount: 'The account: open the Telegram app as this account and write to someone; ask @SpamBot whether the account is limited.',
    streakAgain: 'If the same error comes back after Resume, the campaign pauses again after a few people, never the whole audience.',
    dailyTitle: 'Daily limit reached — sending waits',
    changeLimit: 'Change the limit',
    dailyText: 'This account has sent as many messages today as its daily limit allows.',
    dailyAt: 'Sending resumes by itself at {time} your time (in {left}).',
    dailyByItselfTomorrow: 'Sending resumes by itself tomorrow.',
    dailyWhere: 'The limit is set on the Telegram page, under Sending limits.',
    storageTitle: 'The server could not save its work',
    storageText:
      'Writing to the database failed (a full disk, for example), so sending stopped before anything could be sent without being recorded. Free up space or fix the database, then press Resume — nothing is lost and nobody gets a message twice.',
    mediaTitle: "The campaign's image or video could not be read",
    mediaText: 'The media store did not give the file back after several tries, so nothing was sent without it. Check the media storage (or S3 settings), then press Resume.',
    floodTitle: 'Telegram asked us to slow down',
    floodText: 'Sending continues by itself in {left}. Nothing to do — messages are not lost.',
    quietTitle: 'Quiet hours — not sending right now',
    quietBetween: 'No messages between {start} and {end} ({tz}). ',
    quietResumes: 'Sending resumes at {time} (in {left}).',
    quietWhenEnd: 'Sending resumes when they end.',
    behindTitle: 'Waiting for another campaign',
    behindText: 'Your Telegram account sends one message at a time, in the order they were queued.',
    behindHas: (n: number, followUps: boolean) =>
      ` has ${followUps ? plural(n, { one: '# follow-up', other: '# follow-ups' }) : plural(n, { one: '# first message', other: '# first messages' })} queued before this campaign’s`,
    behindEnd: '. They go out first; this campaign goes on by itself after them, and its times below count them.',
    scheduledTitle: 'Scheduled — not started yet',
    startsAt: 'Starts at {time}{left}. ',
    startsIn: (left: string) => ` (in ${left})`,
    startsAfter: 'Its time has come; it starts as soon as {link} has sent its first message to everyone ({left} left): one campaign sends at a time.',
    startsAfterSending: 'Its time has come; it starts as soon as the campaign that is sending ends.',
    simTitle: 'Simulated Telegram — no real messages leave this server',
    simText: 'tgr runs with the simulator: the messages below went to the customers of a scenario file, whose reads, replies and clicks are simulated too.',
    manualTitle: 'Paused',
    manualText: 'Nothing is sent until you press Resume. Follow-ups wait too.',
    doneTitle: 'Campaign completed',
    seeScorecard: 'See the scorecard',
    finishedAt: (t: string) => `Finished ${t}. `,
    doneText: 'See what worked and who to message next.',
    // Actions
    confirmCancel: 'Confirm cancelling',
    cancelQuestion: 'Cancel this campaign? Messages not sent yet will not go out, and follow-ups stop. This cannot be undone.',
    yesCancel: 'Yes, cancel campaign',
    keepIt: 'Keep it',
    resumeQuiet: 'Resume during quiet hours?',
    quietOn: (until: string | null) => `Quiet hours are on${until ? ` until ${until}` : ''}. Resume now and wait for them to end, or send during quiet hours?`,
    resumeRespect: 'Resume, respect quiet hours',
    sendNow: 'Send now, ignore quiet hours',
    back: 'Back',
    pause: 'Pause',
    resume: 'Resume',
    edit: 'Edit',
    scorecard: 'Scorecard',
    people: 'People',
    changeSchedule: 'Change the schedule',
    cancelCampaign: 'Cancel campaign',
    // Times
    afterQuiet: 'after quiet hours',
    afterDaily: 'after the daily limit',
    afterFlood: 'after Telegram’s wait',
    afterOther: 'after the other campaign',
    paused: 'Paused',
    anyMoment: 'Any moment',
    // Progress
    progress: 'Progress',
    firstMessage: 'First message',
    failedN: (n: string) => `${n} failed`,
    skippedN: (n: string) => `${n} skipped`,
    handled: (_total: number) => '{done} of {total} people handled',
    sentParts: (sent: string, rest: string) => ` (${sent} sent, ${rest})`,
    waiting: (n: string) => ` · ${n} waiting`,
    followUps: 'Follow-ups',
    fuHandled: '{done} of at most {total} handled',
    queued: (n: string) => ` · ${n} queued`,
    moreDue: (left: string | null) => ` · more come due ${left ? `in ${left}` : 'now'}`,
    atMost:
      '“At most”: people who reply (for “did not reply” follow-ups), click (for “did not click”), opt out or cannot be reached get no follow-up, so this number only falls as they do.',
    audience: 'Audience',
    people_: (n: number) => `${count.format(n)} people`,
    speed: 'Speed',
    quietHours: 'Quiet hours',
    dailyReached: 'Daily limit reached',
    perMinute: (n: number) => `${count.format(n)} messages / min`,
    finished: 'Finished',
    everyoneIn: 'Everyone reached in',
    sentToEveryone: 'Sent to everyone',
    fuOutIn: 'Queued follow-ups out in',
    started: 'Started',
    atStart: 'In the audience at the start:',
    buyers: (n: string) => `Buyers ${n}`,
    browsers: (n: string) => `Browsers ${n}`,
    refundRisk: (n: string) => `Refund risk ${n}`,
    // Results
    results: 'Results',
    sent: 'Sent',
    toTelegram: 'delivered to Telegram',
    failed: 'Failed',
    byReason: 'Failures by reason',
    codeUnknown: '{code}: a code tgr does not know.',
    noFailures: 'no failures',
    read: 'Read',
    ofSent: (pct: string) => `${pct} of sent`,
    clicked: 'Clicked',
    ctr: (pct: string, clicks: number) => `CTR ${pct} · ${plural(clicks, { one: '# click', other: '# clicks' })} in all`,
    orders: 'Orders',
    credited: 'credited to this campaign',
    revenue: 'Revenue',
    perOrder: (m: string) => `${m} per order`,
    fromAttributed: 'from attributed orders',
    nudgeSub: (sent: string, queued: string) => `${sent} sent · ${queued} queued`,
    nextIn: (left: string, at: string) => ` · next in ${left} (${at})`,
    dueNow: ' · due now',
    waitsFirst: ' · waits for the first messages',
    // The page
    didPause: 'Campaign paused.',
    didCancel: 'Campaign cancelled.',
    didResume: 'Campaign resumed.',
    notFound: 'Campaign not found',
    backToCampaigns: 'Back to campaigns',
    campaigns: '← Campaigns',
    loading: 'Loading the campaign…',
  },
  {
    condNoReply: 'тем, кто не ответил',
    condNoClick: 'тем, кто не перешёл по ссылке',
    condNeither: 'тем, кто не ответил и не перешёл по ссылке',
    days: (n) => plural(n, { one: '# день', few: '# дня', many: '# дней', other: '# дня' }),
    hours: (n) => plural(n, { one: '# час', few: '# часа', many: '# часов', other: '# часа' }),
    minutes: (n) => `${n} мин`,
    seconds: (n) => `${n} с`,
    nudgeWhen: 'Через {after} — {who}',
    stSent: 'Отправлено',
    stFailed: 'Ошибка',
    stWaiting: 'Ожидание',
    stRetry: 'Повтор',
    stSkipped: 'Пропущено',
    stPaused: 'Пауза',
    stResumed: 'Продолжена',
    stQuiet: 'Тихие часы',
    stDaily: 'Дневной лимит',
    stNotStarted: 'Не запустилась',
    whoPaused: 'Кампания на паузе',
    whoResumed: 'Кампания возобновлена',
    whoQuiet: 'Начались тихие часы',
    whoDaily: 'Дневной лимит исчерпан',
    whoFlood: 'Telegram попросил замедлиться',
    whoCampaign: 'Кампания',
    whoContact: (id) => `Контакт #${id}`,
    dailyTomorrow: 'Отправка возобновится завтра.',
    liveTitle: 'Новые события появляются здесь сразу же',
    live: 'Онлайн',
    stopped: 'Остановлен',
    connecting: 'Подключение…',
    reconnectingIn: (s) => `Переподключение через ${s} с…`,
    reconnecting: 'Переподключение…',
    activity: 'События',
    nothingYet: 'Пока ничего не отправлено. Сообщения появятся здесь в момент отправки.',
    loadingActivity: 'Загружаем события…',
    logLabel: 'Журнал отправки, сначала новые',
    showing: (shown, total) =>
      `Показаны последние ${shown} из ${plural(total, { one: '# события', few: '# событий', many: '# событий', other: '# события' })}.`,
    sessionTitle: 'Telegram отключил этот аккаунт',
    reconnect: 'Подключить Telegram заново',
    sessionText:
      'Сессия входа больше не действует (например, её завершили с другого устройства). Отправка остановлена. Подключите Telegram заново, вернитесь сюда и нажмите «Возобновить» — никто не получит сообщение дважды.',
    peerTitle: 'Telegram ограничил этот аккаунт (PEER_FLOOD)',
    peerText:
      'Telegram считает, что аккаунт отправил слишком много сообщений людям, у которых его нет в контактах. Кампания на паузе. Подождите хотя бы сутки, прежде чем возобновлять, и не отправляйте то же сообщение повторно — если продолжать, аккаунт могут заблокировать. Уже отправленных сообщений это не касается.',
    frozenTitle: 'Telegram заморозил этот аккаунт',
    frozenNow: 'Сейчас ',
    frozenText:
      'Telegram позволяет аккаунту читать чаты, но не отправлять сообщения. Все кампании аккаунта на паузе; сообщение, на котором случилась заморозка, вернулось в очередь, так что никто не потерян. tgr остаётся подключённым.',
    streakTitle: 'Пауза: у нескольких человек подряд одна и та же ошибка',
    streakText:
      '{lead} {what} — {why} tgr поставил кампанию на паузу, чтобы одна ошибка не стоила всей аудитории; те, до кого отправка ещё не дошла, по-прежнему ждут.',
    streakOwn: 'Сообщения не ушли с ошибкой',
    streakTelegram: 'Telegram ответил',
    streakCode: '«{label}» ({code})',
    streakAnError: 'ошибкой',
    unknownCode: 'этот код tgr не знает.',
    checkFirst: 'Прежде чем возобновить, проверьте:',
    checkNewCode: 'Код для tgr новый (возможно, это новое правило Telegram): поищите его название в документации API Telegram.',
    checkMessage: 'Сообщение: нажмите «Изменить» и отправьте тест себе в «Избранное». Если тест не проходит с тем же кодом, сначала исправьте сообщение.',
    checkAccount: 'Аккаунт: откройте приложение Telegram под этим аккаунтом и напишите кому-нибудь; спросите у @SpamBot, не ограничен ли аккаунт.',
    streakAgain: 'Если после возобновления та же ошибка вернётся, кампания снова встанет на паузу через несколько человек, а не после всей аудитории.',
    dailyTitle: 'Дневной лимит исчерпан — отправка ждёт',
    changeLimit: 'Изменить лимит',
    dailyText: 'Этот аккаунт уже отправил сегодня столько сообщений, сколько позволяет дневной лимит.',
    dailyAt: 'Отправка сама возобновится в {time} по вашему времени (через {left}).',
    dailyByItselfTomorrow: 'Отправка сама возобновится завтра.',
    dailyWhere: 'Лимит задаётся на странице «Telegram», в разделе лимитов отправки.',
    storageTitle: 'Сервер не смог сохранить данные',
    storageText:
      'Запись в базу данных не удалась (например, заполнен диск), поэтому отправка остановилась, чтобы ничего не ушло без записи. Освободите место или почините базу данных, затем нажмите «Возобновить» — ничего не потеряно, и никто не получит сообщение дважды.',
    mediaTitle: 'Не удалось прочитать фото или видео кампании',
    mediaText:
      'Хранилище медиафайлов не отдало файл после нескольких попыток, поэтому без него ничего не отправлено. Проверьте хранилище (или настройки S3), затем нажмите «Возобновить».',
    floodTitle: 'Telegram попросил нас замедлиться',
    floodText: 'Отправка продолжится сама через {left}. Делать ничего не нужно — сообщения не потеряются.',
    quietTitle: 'Тихие часы — сейчас не отправляем',
    quietBetween: 'С {start} до {end} ({tz}) сообщения не отправляются. ',
    quietResumes: 'Отправка возобновится в {time} (через {left}).',
    quietWhenEnd: 'Отправка возобновится, когда они закончатся.',
    behindTitle: 'Ждём другую кампанию',
    behindText: 'Ваш аккаунт Telegram отправляет сообщения по одному, в порядке очереди.',
    behindHas: (n, followUps) =>
      ': ' +
      (followUps
        ? plural(n, { one: '# напоминание', few: '# напоминания', many: '# напоминаний', other: '# напоминания' })
        : plural(n, { one: '# первое сообщение', few: '# первых сообщения', many: '# первых сообщений', other: '# первого сообщения' })) +
      ' в очереди раньше этой кампании',
    behindEnd: '. Они уйдут первыми; эта кампания продолжится сама после них, и время ниже это учитывает.',
    scheduledTitle: 'Запланирована — ещё не началась',
    startsAt: 'Начнётся в {time}{left}. ',
    startsIn: (left) => ` (через ${left})`,
    startsAfter: 'Время пришло; она начнётся, как только {link} отправит первое сообщение всем (осталось {left}): кампании отправляют по одной.',
    startsAfterSending: 'Время пришло; она начнётся, как только закончится кампания, которая сейчас отправляет.',
    simTitle: 'Симулятор Telegram — настоящие сообщения с этого сервера не уходят',
    simText: 'tgr работает с симулятором: сообщения ниже ушли покупателям из файла сценария, их прочтения, ответы и переходы тоже смоделированы.',
    manualTitle: 'На паузе',
    manualText: 'Ничего не отправляется, пока вы не нажмёте «Возобновить». Напоминания тоже ждут.',
    doneTitle: 'Кампания завершена',
    seeScorecard: 'Посмотреть итоги',
    finishedAt: (t) => `Завершена ${t}. `,
    doneText: 'Посмотрите, что сработало и кому написать дальше.',
    confirmCancel: 'Подтверждение отмены',
    cancelQuestion: 'Отменить эту кампанию? Ещё не отправленные сообщения не уйдут, напоминания остановятся. Это действие нельзя отменить.',
    yesCancel: 'Да, отменить кампанию',
    keepIt: 'Не отменять',
    resumeQuiet: 'Возобновить в тихие часы?',
    quietOn: (until) => `Сейчас тихие часы${until ? ` (до ${until})` : ''}. Возобновить и подождать их окончания или отправлять прямо сейчас?`,
    resumeRespect: 'Возобновить, соблюдая тихие часы',
    sendNow: 'Отправлять сейчас, без тихих часов',
    back: 'Назад',
    pause: 'Пауза',
    resume: 'Возобновить',
    edit: 'Изменить',
    scorecard: 'Итоги',
    people: 'Люди',
    changeSchedule: 'Изменить расписание',
    cancelCampaign: 'Отменить кампанию',
    afterQuiet: 'после тихих часов',
    afterDaily: 'после дневного лимита',
    afterFlood: 'после паузы Telegram',
    afterOther: 'после другой кампании',
    paused: 'На паузе',
    anyMoment: 'Вот-вот',
    progress: 'Ход отправки',
    firstMessage: 'Первое сообщение',
    failedN: (n) => `${n} с ошибкой`,
    skippedN: (n) => `${n} пропущено`,
    handled: (total) => plural(total, { one: 'Обработано {done} из {total} человека', other: 'Обработано {done} из {total} человек' }),
    sentParts: (sent, rest) => ` (${sent} отправлено, ${rest})`,
    waiting: (n) => ` · ${n} ждут`,
    followUps: 'Напоминания',
    fuHandled: 'Обработано {done} из не более чем {total}',
    queued: (n) => ` · ${n} в очереди`,
    moreDue: (left) => (left ? ` · следующие — через ${left}` : ' · следующие — уже сейчас'),
    atMost:
      '«Не более»: кто ответил (для напоминаний «не ответил»), перешёл по ссылке (для «не перешёл»), отписался или недоступен, напоминание не получит, поэтому это число может только уменьшаться.',
    audience: 'Аудитория',
    people_: (n) => plural(n, { one: '# человек', few: '# человека', many: '# человек', other: '# человека' }),
    speed: 'Скорость',
    quietHours: 'Тихие часы',
    dailyReached: 'Дневной лимит исчерпан',
    perMinute: (n) => plural(n, { one: '# сообщение в минуту', few: '# сообщения в минуту', many: '# сообщений в минуту', other: '# сообщения в минуту' }),
    finished: 'Завершена',
    everyoneIn: 'Все получат через',
    sentToEveryone: 'Отправлено всем',
    fuOutIn: 'Напоминания из очереди уйдут через',
    started: 'Начата',
    atStart: 'В аудитории на старте:',
    buyers: (n) => `Покупатели ${n}`,
    browsers: (n) => `Интересовались ${n}`,
    refundRisk: (n) => `Риск возврата ${n}`,
    results: 'Результаты',
    sent: 'Отправлено',
    toTelegram: 'передано в Telegram',
    failed: 'Ошибки',
    byReason: 'Ошибки по причинам',
    codeUnknown: '{code}: этот код tgr не знает.',
    noFailures: 'ошибок нет',
    read: 'Прочитано',
    ofSent: (pct) => `${pct} от отправленных`,
    clicked: 'Перешли',
    ctr: (pct, clicks) =>
      `доля переходов ${pct} · всего ${plural(clicks, { one: '# переход', few: '# перехода', many: '# переходов', other: '# перехода' })}`,
    orders: 'Заказы',
    credited: 'засчитаны этой кампании',
    revenue: 'Выручка',
    perOrder: (m) => `${m} за заказ`,
    fromAttributed: 'по засчитанным заказам',
    nudgeSub: (sent, queued) => `${sent} отправлено · ${queued} в очереди`,
    nextIn: (left, at) => ` · следующее через ${left} (${at})`,
    dueNow: ' · пора отправлять',
    waitsFirst: ' · ждёт первых сообщений',
    didPause: 'Кампания на паузе.',
    didCancel: 'Кампания отменена.',
    didResume: 'Кампания возобновлена.',
    notFound: 'Кампания не найдена',
    backToCampaigns: 'Назад к кампаниям',
    campaigns: '← Кампании',
    loading: 'Загружаем кампанию…',
  },
);

// ---- The log's lines in Russian ----

const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z/;

/** A code in words with the code beside it: "Заблокировал ваш аккаунт (USER_IS_BLOCKED)". */
const named = (code: string) => `${reasonLabel(code)} (${code})`;

/** A number the engine wrote in its sentence, e.g. /wait (\d+) s/ in "Telegram asked to wait 37 s". */
function num(details: string | null, re: RegExp): number | null {
  const m = details ? re.exec(details) : null;
  return m ? Number(m[1]) : null;
}

/** A log line's details in Russian, said from its status and code; null when there is nothing to
 *  say. The server's sentences (src/engine/outcome.c, quiet.c) give the numbers and the times. */
export function logDetailRu(e: LogEntry): string | null {
  const d = e.error_details;
  const at = d ? ISO_TIME.exec(d)?.[0] : undefined;
  const code = e.error_code;
  if (e.status === 'quiet_hours') return at ? `Отправка возобновится: ${when(at)}` : null;
  if (e.status === 'flood_wait') {
    const s = num(d, /wait (\d+) s\b/);
    return s !== null ? `FloodWait: Telegram попросил подождать ${duration(s * 1000)}; отправка продолжится сама` : 'FloodWait';
  }
  if (e.status === 'daily_limit') {
    const n = num(d, /limit of (\d+) messages/);
    if (!at) return 'Отправка возобновится завтра.';
    const limit = n !== null ? ` (${plural(n, { one: '# сообщение', few: '# сообщения', many: '# сообщений', other: '# сообщения' })})` : '';
    return `Дневной лимит${limit} исчерпан; отправка возобновится: ${when(at)}`;
  }
  if (!code) return null;
  if (e.status === 'paused') {
    const streak = num(d, /^(\d+) recipients in a row failed/);
    if (streak !== null)
      return `Ошибка ${plural(streak, { one: 'у # получателя', few: 'у # получателей', many: 'у # получателей', other: 'у # получателя' })} подряд: ${named(code)}. Кампания на паузе, чтобы не потерять остальных: проверьте сообщение и аккаунт, затем возобновите отправку.`;
    return `${named(code)}. Кампания на паузе.`;
  }
  if (code === 'retries_exhausted') {
    const tries = num(d, /after (\d+) attempts/);
    const last = d ? /last error (\S+)/.exec(d)?.[1] : undefined;
    const more = [
      tries !== null ? plural(tries, { one: '# попытка', few: '# попытки', many: '# попыток', other: '# попытки' }) : null,
      last ? `последняя ошибка ${last}` : null,
    ].filter(Boolean);
    return more.length ? `${named(code)}: ${more.join(', ')}` : named(code);
  }
  const stars = num(d, /charges (\d+) Stars/);
  if (stars !== null)
    return `${named(code)}: ${plural(stars, { one: '# звезда', few: '# звезды', many: '# звёзд', other: '# звезды' })} за сообщение; tgr никогда не платит`;
  return named(code);
}
