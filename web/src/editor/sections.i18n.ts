// The words of the editor's form sections (editor/sections.tsx) in English and Russian: media, the
// audience and why it is empty, who is left out, quiet hours, follow-ups, links and discount codes
// (issue 19 item 5). Sentences with user data (names, time zones) come in parts around it, so the
// data can be marked translate={false}.
import type { NudgeCondition } from '../api-campaigns';
import { messages, plural } from '../i18n';
import type { DelayUnit } from './form';

const personEn = (n: number) => plural(n, { one: '# person', other: '# people' });

const daysGenRu = (n: number) => plural(n, { one: '# дня', few: '# дней', many: '# дней', other: '# дня' });

const optedOutRu = (n: number) =>
  plural(n, { one: '# человек отписался', few: '# человека отписались', many: '# человек отписались', other: '# человека отписались' });
const blockedRu = (n: number) =>
  plural(n, {
    one: '# человек заблокировал аккаунт или удалил свой',
    few: '# человека заблокировали аккаунт или удалили свои',
    many: '# человек заблокировали аккаунт или удалили свои',
    other: '# человека заблокировали аккаунт или удалили свои',
  });

const CONDITIONS_EN: Record<NudgeCondition, string> = {
  no_reply: 'has not replied',
  no_click: 'has not clicked a link',
  no_reply_no_click: 'has neither replied nor clicked',
};
const CONDITIONS_RU: Record<NudgeCondition, string> = {
  no_reply: 'не ответил',
  no_click: 'не перешёл по ссылке',
  no_reply_no_click: 'не ответил и не перешёл по ссылке',
};

/** "через 1 день / 2 дня / 5 дней": the unit agrees with the amount typed. */
const UNITS_RU: Record<DelayUnit, { one: string; few: string; many: string; other: string }> = {
  minutes: { one: 'минуту', few: 'минуты', many: 'минут', other: 'минуты' },
  hours: { one: 'час', few: 'часа', many: 'часов', other: 'часа' },
  days: { one: 'день', few: 'дня', many: 'дней', other: 'дня' },
};

export const M = messages(
  {
    // media
    media: 'Image or video',
    optional: '(optional)',
    attachedVideo: 'Attached video',
    attachedImage: 'Attached image',
    video: 'Video',
    image: 'Image',
    caption: 'Sent with the message; the text becomes its caption.',
    removeVideo: 'Remove video',
    removeImage: 'Remove image',
    upload: 'Upload',
    uploading: 'Uploading',
    uploadingFile: (name: string) => `Uploading ${name}`,
    cancel: 'Cancel',
    choose: 'Choose image or video',
    drop: 'or drop a file here',
    /** After "JPEG, PNG, WebP" (a format's name, kept as it is). */
    mediaHint: ' or GIF up to 10 MB, or an MP4 video up to 50 MB. One per message.',
    // left out
    leftOut: 'Left out',
    capped: (n: number, cap: number) =>
      `${personEn(n)} got a campaign message in the last ${plural(cap, { one: '# day', other: '# days' })} (your frequency cap)`,
    optedOut: (n: number) => `${personEn(n)} opted out`,
    blocked: (n: number) => `${personEn(n)} blocked the account or deleted theirs`,
    charging: (n: number) => `${plural(n, { one: '# person charges', other: '# people charge' })} Stars for messages — tgr never pays`,
    privacy: (n: number) => `${plural(n, { one: '# person’s', other: '# people’s' })} privacy settings refused the account`,
    // empty audience
    shortCap: (days: number) =>
      `Nobody to send to now: everyone these filters select got a campaign message within your frequency cap (${plural(days, { other: '# days' })}).`,
    shortOptedOut: 'Nobody to send to: everyone these filters select opted out or blocked the account.',
    shortMarks: 'Nobody to send to: everyone these filters select charges Stars or refused the account before.',
    shortFilters: 'Nobody to send to: no contact matches these filters.',
    capHolds: 'The frequency cap holds everyone back.',
    capBody: (n: number, cap: number, segment: boolean) => {
      const days = plural(cap, { one: '# day', other: '# days' });
      return (
        `${plural(n, { one: 'The one person', other: 'The # people' })} ${segment ? 'this segment selects' : 'these filters select'} ` +
        `${plural(n, { one: 'was', other: 'were' })} sent a campaign message in the last ${days}, and your frequency cap lets nobody get two campaign messages within ${days}.`
      );
    },
    capEnds: 'The first of them can be messaged again on ',
    capEndsAfter: '.',
    capFix: 'Schedule this campaign for then, or change the cap under',
    capLink: 'Settings → Time zone and frequency',
    saidNo: (segment: boolean) => `Everyone ${segment ? 'this segment selects' : 'these filters select'} said no.`,
    and: ' and ',
    neverMessaged: (segment: boolean) => `; they are never messaged. Change the ${segment ? 'segment' : 'filters'} to reach other people.`,
    refused: (segment: boolean) => `Telegram refused everyone ${segment ? 'this segment selects' : 'these filters select'} before`,
    refusedWhy: ' (they charge Stars, or their privacy settings refused the account). Tick the boxes under “People Telegram refused before” to try them again.',
    noMatch: (segment: boolean) => `No contact matches ${segment ? 'this segment' : 'these filters'}.`,
    loosen: ' Loosen them: tick more categories, widen “Wrote to you within”, or remove an earlier-campaign filter.',
    // segment
    segment: 'Saved segment',
    segmentHintA: 'A named audience kept on the',
    segmentsPage: 'Segments',
    segmentHintB: ' page; the campaign takes its filters as they are when it starts.',
    noSegment: 'None: the filters below',
    segmentN: (id: number) => `Segment #${id}`,
    people: (n: number) => personEn(n),
    everyone: 'everyone',
    saveAsSegment: 'Save these filters as a segment…',
    segmentName: 'Segment name',
    segmentNameHint: 'The campaign then uses the segment; the Segments page lists it.',
    saving: 'Saving…',
    saveSegment: 'Save segment',
    // audience
    audience: 'Audience',
    audienceSub:
      'Who receives this message. Opted-out and blocked contacts are always left out, and so is anyone who got a campaign message within your frequency cap (the days that must pass between two campaign messages to one person).',
    audienceWait: 'Give the campaign a name and write the message: the draft saves itself and shows here how many contacts it reaches.',
    counting: 'Counting…',
    willReceive: (n: number) => plural(n, { one: 'contact will receive it', other: 'contacts will receive it' }),
    fixToCount: 'Fix the problems marked to update the count.',
    updating: 'Updating…',
    lastSaved: 'This is who the filters last saved reach: fix the ones marked to count again.',
    byCategory: 'By category',
    forExample: 'For example: ',
    telegramUser: 'Telegram user',
    more: (n: number) => ` and ${n} more`,
    // quiet hours
    quiet: 'Quiet hours',
    quietSub: 'Sending pauses inside the window and resumes by itself when it ends.',
    quietOn: 'Don’t send during quiet hours',
    from: 'From',
    until: 'Until',
    timeZone: 'Time zone',
    account: ' (account)',
    nowIn: (time: string) => `It is ${time} in `,
    nowState: (_time: string, inside: boolean, end: string) =>
      ' now — ' + (inside ? 'inside quiet hours: a campaign started now waits until ' + end + ' unless you override.' : 'outside quiet hours.'),
    // follow-ups
    followUp: (n: number) => `Follow-up ${n}`,
    removeFollowUp: (n: number) => `Remove follow-up ${n}`,
    remove: 'Remove',
    sendAfter: 'Send after',
    delayUnit: (n: number) => `Follow-up ${n} delay unit`,
    unit: (unit: DelayUnit, _amount: number) => unit as string,
    ifContact: '…if the contact',
    condition: (c: NudgeCondition) => CONDITIONS_EN[c],
    followUpMessage: (n: number) => `Follow-up ${n} message`,
    followUpPlaceholder: 'Hi {{first_name|there}}, just checking you saw our message…',
    previewFollowUp: (n: number) => `Preview follow-up ${n}`,
    followUps: 'Follow-ups',
    followUpsSub: 'Nudge contacts who did not react. A reply always stops the follow-ups for that contact.',
    addFollowUp: '+ Add follow-up',
    atMost: (n: number) => plural(n, { one: 'At most # follow-up.', other: 'At most # follow-ups.' }),
    // links and discount codes
    modeNone: 'None',
    modeStatic: 'One code for everyone',
    modePool: 'A different code per contact',
    extras: 'Links and discount codes',
    track: 'Track link clicks',
    trackHint: 'Links go through a short redirect so clicks and the orders after them are counted.',
    codes: 'Discount codes',
    code: 'Code',
    codeHint: 'Letters, digits, “-” and “_”, e.g. SPRING10.',
    pool: 'Codes, one per line',
    poolHint: (n: number) => plural(n, { one: '# code', other: '# codes' }) + '. Each contact gets a different one; when the pool runs out, sending stops.',
    putCode: 'Put {{discount_code}} into the message (Insert placeholder → Discount code) where the code should appear.',
    usesCode: 'The message uses {{discount_code}}: choose the codes to send here.',
  },
  {
    media: 'Изображение или видео',
    optional: '(необязательно)',
    attachedVideo: 'Прикреплённое видео',
    attachedImage: 'Прикреплённое изображение',
    video: 'Видео',
    image: 'Изображение',
    caption: 'Отправляется вместе с сообщением; текст станет подписью к нему.',
    removeVideo: 'Убрать видео',
    removeImage: 'Убрать изображение',
    upload: 'Загрузка',
    uploading: 'Загружаем',
    uploadingFile: (name) => `Загружаем «${name}»`,
    cancel: 'Отмена',
    choose: 'Выбрать изображение или видео',
    drop: 'или перетащите файл сюда',
    mediaHint: ' или GIF до 10 МБ либо видео MP4 до 50 МБ. Один файл на сообщение.',
    leftOut: 'Исключены',
    capped: (n, cap) =>
      plural(n, {
        one: '# человек получил',
        few: '# человека получили',
        many: '# человек получили',
        other: '# человека получили',
      }) + ` сообщение кампании меньше ${daysGenRu(cap)} назад (ограничение частоты)`,
    optedOut: optedOutRu,
    blocked: blockedRu,
    charging: (n) =>
      plural(n, { one: '# человек берёт', few: '# человека берут', many: '# человек берут', other: '# человека берут' }) +
      ' плату звёздами за сообщения — tgr никогда не платит',
    privacy: (n) =>
      plural(n, { one: 'У # человека', few: 'У # человек', many: 'У # человек', other: 'У # человека' }) + ' настройки приватности не пропустили аккаунт',
    shortCap: (days) =>
      `Сейчас отправлять некому: все, кого выбирают эти фильтры, получили сообщение кампании в пределах ограничения частоты (${plural(days, { one: '# день', few: '# дня', many: '# дней', other: '# дня' })}).`,
    shortOptedOut: 'Отправлять некому: все, кого выбирают эти фильтры, отписались или заблокировали аккаунт.',
    shortMarks: 'Отправлять некому: все, кого выбирают эти фильтры, берут плату звёздами или раньше не пропустили аккаунт.',
    shortFilters: 'Отправлять некому: под эти фильтры не подходит ни один контакт.',
    capHolds: 'Всех сдерживает ограничение частоты.',
    capBody: (n, cap, segment) =>
      `Все, кого ${segment ? 'выбирает этот сегмент' : 'выбирают эти фильтры'} (${plural(n, { one: '# человек', few: '# человека', many: '# человек', other: '# человека' })}), ` +
      `получили сообщение кампании меньше ${daysGenRu(cap)} назад, а ограничение частоты не даёт отправить одному человеку два сообщения кампаний в течение ${daysGenRu(cap)}.`,
    capEnds: 'Первому из них снова можно будет написать ',
    capEndsAfter: '.',
    capFix: 'Запланируйте кампанию на это время или измените ограничение в разделе',
    capLink: 'Настройки → Часовой пояс и частота',
    saidNo: (segment) => `Все, кого ${segment ? 'выбирает этот сегмент' : 'выбирают эти фильтры'}, отказались.`,
    and: ' и ',
    neverMessaged: (segment) => `; таким людям сообщения не отправляются никогда. Чтобы охватить других, измените ${segment ? 'сегмент' : 'фильтры'}.`,
    refused: (segment) => `Telegram раньше не доставил сообщения никому из тех, кого ${segment ? 'выбирает этот сегмент' : 'выбирают эти фильтры'}`,
    refusedWhy:
      ' (они берут плату звёздами или их настройки приватности не пропустили аккаунт). Чтобы попробовать снова, отметьте пункты в блоке «Кому Telegram раньше не доставил».',
    noMatch: (segment) => `Под ${segment ? 'этот сегмент' : 'эти фильтры'} не подходит ни один контакт.`,
    loosen: ' Ослабьте условия: отметьте больше категорий, увеличьте «Писал вам за последние» или уберите фильтр по прошлой кампании.',
    segment: 'Сохранённый сегмент',
    segmentHintA: 'Именованная аудитория со страницы',
    segmentsPage: 'Сегменты',
    segmentHintB: '; кампания берёт её фильтры такими, какие они в момент запуска.',
    noSegment: 'Нет: фильтры ниже',
    segmentN: (id) => `Сегмент №${id}`,
    people: (n) => plural(n, { one: '# человек', few: '# человека', many: '# человек', other: '# человека' }),
    everyone: 'все',
    saveAsSegment: 'Сохранить эти фильтры как сегмент…',
    segmentName: 'Название сегмента',
    segmentNameHint: 'Кампания будет использовать этот сегмент; он появится на странице «Сегменты».',
    saving: 'Сохраняем…',
    saveSegment: 'Сохранить сегмент',
    audience: 'Аудитория',
    audienceSub:
      'Кто получит это сообщение. Отписавшиеся и заблокировавшие контакты исключаются всегда — как и все, кто получил сообщение кампании в пределах ограничения частоты (сколько дней должно пройти между двумя сообщениями кампаний одному человеку).',
    audienceWait: 'Дайте кампании название и напишите сообщение: черновик сохранится сам, и здесь появится, скольким контактам оно уйдёт.',
    counting: 'Считаем…',
    willReceive: (n) => plural(n, { one: 'контакт получит его', few: 'контакта получат его', many: 'контактов получат его', other: 'контакта получат его' }),
    fixToCount: 'Исправьте отмеченное, чтобы пересчитать.',
    updating: 'Обновляем…',
    lastSaved: 'Это охват последних сохранённых фильтров: исправьте отмеченные, чтобы пересчитать.',
    byCategory: 'По категориям',
    forExample: 'Например: ',
    telegramUser: 'Пользователь Telegram',
    more: (n) => ` и ещё ${n}`,
    quiet: 'Тихие часы',
    quietSub: 'В это время отправка стоит на паузе и сама продолжается, когда оно заканчивается.',
    quietOn: 'Не отправлять в тихие часы',
    from: 'С',
    until: 'До',
    timeZone: 'Часовой пояс',
    account: ' (как в аккаунте)',
    nowIn: () => 'Сейчас в часовом поясе ',
    nowState: (time, inside, end) =>
      ` ${time} — ` +
      (inside ? `тихие часы: кампания, запущенная сейчас, будет ждать до ${end}, если не отправлять без учёта тихих часов.` : 'тихие часы не действуют.'),
    followUp: (n) => `Напоминание ${n}`,
    removeFollowUp: (n) => `Удалить напоминание ${n}`,
    remove: 'Удалить',
    sendAfter: 'Отправить через',
    delayUnit: (n) => `Напоминание ${n}: единица времени`,
    unit: (unit, amount) => plural(amount, UNITS_RU[unit]),
    ifContact: '…если контакт',
    condition: (c) => CONDITIONS_RU[c],
    followUpMessage: (n) => `Текст напоминания ${n}`,
    followUpPlaceholder: 'Привет, {{first_name|друг}}! Хотим убедиться, что вы видели наше сообщение…',
    previewFollowUp: (n) => `Предпросмотр напоминания ${n}`,
    followUps: 'Напоминания',
    followUpsSub: 'Напомните о себе тем, кто не отреагировал. Ответ контакта всегда останавливает напоминания для него.',
    addFollowUp: '+ Добавить напоминание',
    atMost: (n) => plural(n, { one: 'Не больше # напоминания.', few: 'Не больше # напоминаний.', many: 'Не больше # напоминаний.', other: 'Не больше # напоминания.' }),
    modeNone: 'Нет',
    modeStatic: 'Один код для всех',
    modePool: 'Свой код каждому контакту',
    extras: 'Ссылки и промокоды',
    track: 'Отслеживать переходы по ссылкам',
    trackHint: 'Ссылки идут через короткую переадресацию, чтобы считать переходы и заказы после них.',
    codes: 'Промокоды',
    code: 'Код',
    codeHint: 'Буквы, цифры, «-» и «_», например SPRING10.',
    pool: 'Коды, по одному в строке',
    poolHint: (n) =>
      plural(n, { one: '# код', few: '# кода', many: '# кодов', other: '# кода' }) + '. Каждый контакт получает свой; когда коды закончатся, отправка остановится.',
    putCode: 'Вставьте {{discount_code}} в сообщение (Вставить подстановку → Промокод) там, где должен стоять код.',
    usesCode: 'В сообщении есть {{discount_code}}: выберите здесь, какие коды отправлять.',
  },
);
