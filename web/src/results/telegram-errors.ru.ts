// The Telegram error registry in Russian (issue 19 item 5): words and a one-line explanation for
// every Telegram code and every one of tgr's own failure reasons of share/telegram-errors.json
// (generated from the server's src/core/tgerror.h, where the English is). The records are typed by
// the registry's keys, so `npm run build` fails when the registry gains a code (or loses one) that
// is not here. Read by results/format.ts (reasonLabel, reasonExplain).
import type telegramErrors from '../../../share/telegram-errors.json';

export interface RuReason {
  words: string;
  explain: string;
}

type Registry = typeof telegramErrors;

const WAIT: RuReason = {
  words: 'Telegram попросил подождать',
  explain: 'Telegram попросил аккаунт отправлять медленнее; после паузы отправка продолжится сама.',
};
const FROZEN: RuReason = {
  words: 'Аккаунт заморожен Telegram',
  explain: 'Telegram заморозил этот аккаунт; подайте апелляцию через @SpamBot в приложении Telegram, затем возобновите отправку.',
};
const KEY_REJECTED: RuReason = {
  words: 'Telegram отклонил ключ сессии',
  explain: 'Telegram больше не принимает этот вход; подключите аккаунт заново на странице «Telegram».',
};
const SERVER_ERROR: RuReason = { words: 'Ошибка сервера Telegram', explain: 'Сбой на сервере Telegram; сообщение будет отправлено ещё раз.' };
const UPLOAD_FAILED: RuReason = {
  words: 'Не удалось загрузить медиафайл',
  explain: 'Фото или видео не удалось загрузить в Telegram; сообщение будет отправлено ещё раз.',
};

/** Telegram's codes (the registry's `errors`). */
export const RU_ERRORS: Record<keyof Registry['errors'], RuReason> = {
  FLOOD_WAIT: WAIT,
  FLOOD_PREMIUM_WAIT: WAIT,
  FLOOD_TEST_PHONE_WAIT: WAIT,
  SLOWMODE_WAIT: WAIT,
  PEER_FLOOD: {
    words: 'Telegram ограничил аккаунт',
    explain: 'Telegram ограничивает, скольким людям этот аккаунт может писать; спросите @SpamBot в Telegram, затем возобновите отправку.',
  },
  USER_RESTRICTED: {
    words: 'Telegram ограничил аккаунт',
    explain: 'Telegram ограничил этот аккаунт после жалоб на спам; спросите @SpamBot в Telegram, затем возобновите отправку.',
  },
  FROZEN_METHOD_INVALID: FROZEN,
  FROZEN_PARTICIPANT_MISSING: FROZEN,
  AUTH_KEY_UNREGISTERED: {
    words: 'Telegram завершил сессию',
    explain: 'Telegram завершил сессию этого аккаунта; подключите его заново на странице «Telegram».',
  },
  AUTH_KEY_INVALID: KEY_REJECTED,
  AUTH_KEY_PERM_EMPTY: KEY_REJECTED,
  AUTH_KEY_DUPLICATED: {
    words: 'Сессия открыта в двух местах',
    explain: 'Один и тот же вход использовался из двух мест одновременно; подключите аккаунт заново на странице «Telegram».',
  },
  SESSION_REVOKED: {
    words: 'Сессию завершили с другого устройства',
    explain: 'Этот вход завершили с другого устройства; подключите аккаунт заново на странице «Telegram».',
  },
  SESSION_EXPIRED: { words: 'Сессия истекла', explain: 'Срок действия этого входа истёк; подключите аккаунт заново на странице «Telegram».' },
  USER_DEACTIVATED: { words: 'Ваш аккаунт Telegram удалён', explain: 'Аккаунт Telegram магазина удалён; подключите другой аккаунт.' },
  USER_DEACTIVATED_BAN: { words: 'Ваш аккаунт Telegram заблокирован', explain: 'Telegram заблокировал аккаунт магазина; подключите другой аккаунт.' },
  PHONE_NUMBER_BANNED: {
    words: 'Telegram заблокировал ваш номер',
    explain: 'Telegram заблокировал номер телефона магазина; подключите другой аккаунт.',
  },
  USER_IS_BLOCKED: {
    words: 'Заблокировал ваш аккаунт',
    explain: 'Этот человек заблокировал аккаунт магазина; в следующие кампании он не попадёт.',
  },
  YOU_BLOCKED_USER: {
    words: 'Вы его заблокировали',
    explain: 'Аккаунт магазина заблокировал этого человека; разблокируйте его в Telegram, чтобы снова ему писать.',
  },
  INPUT_USER_DEACTIVATED: { words: 'Аккаунт удалён', explain: 'Этот человек удалил свой аккаунт Telegram.' },
  USER_PRIVACY_RESTRICTED: {
    words: 'Настройки приватности',
    explain: 'Настройки приватности этого человека не позволяют аккаунту магазина ему писать.',
  },
  PRIVACY_PREMIUM_REQUIRED: {
    words: 'Принимает только от подписчиков Premium',
    explain: 'Этот человек принимает сообщения только от подписчиков Telegram Premium и от своих контактов.',
  },
  CHAT_WRITE_FORBIDDEN: { words: 'Писать нельзя', explain: 'Telegram не позволяет аккаунту магазина писать в этот чат.' },
  PEER_ID_INVALID: {
    words: 'Неизвестен Telegram',
    explain: 'Telegram больше не знает этого человека (или никогда не позволял аккаунту ему писать).',
  },
  ALLOW_PAYMENT_REQUIRED: {
    words: 'Берёт звёзды за сообщения',
    explain: 'Этот человек берёт звёзды Telegram за сообщения; tgr никогда не платит, поэтому его пропустили.',
  },
  MEDIA_INVALID: { words: 'Telegram отклонил медиафайл', explain: 'Telegram отклонил фото или видео кампании; проверьте файл и замените его.' },
  ENTITY_BOUNDS_INVALID: {
    words: 'Telegram отклонил форматирование',
    explain: 'Telegram отклонил форматирование сообщения; проверьте разметку жирного шрифта, курсива и ссылок.',
  },
  MESSAGE_TOO_LONG: {
    words: 'Сообщение слишком длинное',
    explain: 'Сообщение длиннее, чем позволяет Telegram (4096 символов, под фото — 1024); сократите его.',
  },
  TIMEOUT: { words: 'Нет ответа вовремя', explain: 'Telegram не ответил вовремя; сообщение будет отправлено ещё раз.' },
  NETWORK: { words: 'Ошибка сети', explain: 'Не удалось связаться с Telegram; сообщение будет отправлено ещё раз.' },
  INTERNAL: { words: 'Внутренняя ошибка', explain: 'Сбой в мосте к Telegram; сообщение будет отправлено ещё раз.' },
  NOT_STARTED: {
    words: 'Клиент Telegram ещё запускается',
    explain: 'Подключение аккаунта к Telegram ещё запускалось; сообщение будет отправлено ещё раз.',
  },
  RANDOM_ID_DUPLICATE: {
    words: 'Ещё отправляется',
    explain: 'Telegram ещё доставляет предыдущую попытку этого сообщения; дважды оно не уйдёт.',
  },
  RPC_CALL_FAIL: SERVER_ERROR,
  RPC_MCGET_FAIL: SERVER_ERROR,
  WORKER_BUSY_TOO_LONG_RETRY: { words: 'Сервер Telegram перегружен', explain: 'Серверы Telegram перегружены; сообщение будет отправлено ещё раз.' },
  MSG_WAIT_FAILED: SERVER_ERROR,
  MEDIA_UPLOAD_FAILED: UPLOAD_FAILED,
  FILE_PART_INVALID: UPLOAD_FAILED,
};

/** tgr's own failure reasons (the registry's `own`). */
export const RU_OWN: Record<keyof Registry['own'], RuReason> = {
  retries_exhausted: {
    words: 'Не ушло после повторов',
    explain: 'Telegram был недоступен для этого сообщения шесть попыток подряд; отправку прекратили.',
  },
  template_invalid: {
    words: 'Шаблон сообщения с ошибкой',
    explain: 'Сообщение (или напоминание) не удалось собрать из шаблона; исправьте текст и возобновите отправку.',
  },
  nudge_removed: { words: 'Напоминание удалено', explain: 'Напоминание убрали из плана кампании до того, как оно ушло.' },
  no_discount_code: { words: 'Промокоды закончились', explain: 'В кампании закончились промокоды; добавьте коды и возобновите отправку.' },
  media_missing: { words: 'Медиафайл удалён', explain: 'Фото или видео кампании удалено; прикрепите его заново и возобновите отправку.' },
};
