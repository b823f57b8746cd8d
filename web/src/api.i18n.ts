// The words of api.ts (issue 19 item 5): the server's errors in Russian, chosen by their code (the
// server answers every error in English: {"error":{"code","message","field"}}), naming the field in
// Russian when the error has one, and the client's own errors and describeError's sentences. In
// English the server's message is shown as it came. SERVER_ERRORS has exactly the codes of
// src/base/errors.h: tests/web/error_codes.mjs (ctest web.error_codes) fails when they differ.
import { lang, messages } from './i18n';

/** Every code of src/base/errors.h; a function gets the field's Russian name (null: no field). */
const SERVER_ERRORS: Record<string, string | ((field: string | null) => string)> = {
  invalid_json: 'Тело запроса — некорректный JSON.',
  validation_failed: (f) => (f ? `Поле «${f}» заполнено неверно.` : 'Запрос заполнен неверно.'),
  invalid_query: (f) => (f ? `Неверный параметр запроса «${f}».` : 'Неверный параметр запроса.'),
  unauthorized: 'Войдите в аккаунт.',
  invalid_credentials: 'Неверная почта или пароль.',
  not_found: (f) => (f ? `Не найдено: «${f}».` : 'Здесь ничего нет.'),
  method_not_allowed: 'Это действие здесь недоступно.',
  invalid_state: 'Сейчас это действие недоступно: состояние изменилось. Обновите страницу и попробуйте ещё раз.',
  conflict: (f) => (f ? `Такое значение поля «${f}» уже есть.` : 'Запрос противоречит уже сохранённым данным.'),
  password_required: 'Включена двухэтапная проверка: введите облачный пароль.',
  no_session: 'Сначала подключите аккаунт Telegram.',
  empty_audience: 'Фильтрам этой кампании не подходит ни один контакт.',
  discount_codes_empty: 'Промокоды в наборе закончились.',
  phone_code_invalid: 'Неверный код входа.',
  phone_code_expired: 'Срок действия кода входа истёк — запросите новый.',
  password_invalid: 'Неверный облачный пароль.',
  phone_number_invalid: 'Telegram не принимает этот номер телефона.',
  session_invalid: 'Telegram отклонил сессию — подключитесь заново.',
  telegram_refused: 'Telegram отклонил запрос.',
  too_large: (f) => (f ? `Слишком большой объём: «${f}».` : 'Запрос слишком большой.'),
  unsupported_media_type: (f) => (f ? `Этот тип файла не поддерживается: «${f}».` : 'Этот тип содержимого не поддерживается.'),
  rate_limited: 'Слишком много запросов — повторите позже.',
  busy: 'Такая работа для этого аккаунта уже идёт — повторите, когда она закончится.',
  too_many_streams: 'Открыто слишком много живых потоков — закройте один из них.',
  headers_too_large: 'Заголовки запроса слишком большие.',
  internal: 'На нашей стороне что-то пошло не так; ошибка записана в журнал.',
  unavailable: 'Сервис временно недоступен.',
  telegram_unavailable: 'Мост к Telegram недоступен.',
};

/** The client's own codes (api.ts, api-campaigns.ts, api-results.ts). */
const CLIENT_ERRORS: Record<string, string> = {
  network: 'Нет связи с сервером tgr. Проверьте подключение и попробуйте ещё раз.',
  aborted: 'Загрузка отменена.',
  bad_response: 'Сервер прислал ответ, который приложение не может прочитать.',
};

/** The request fields the server names (JSON members, their paths' parts, multipart parts). */
const FIELDS: Record<string, string> = {
  after_seconds: 'через сколько',
  amount: 'сумма',
  categories: 'категории',
  code: 'код входа',
  codes: 'список',
  condition: 'условие',
  contact_id: 'контакт',
  created_at: 'дата',
  currency: 'валюта',
  current_password: 'текущий пароль',
  customer: 'покупатель',
  daily_send_limit: 'сообщений в день',
  description: 'заметка',
  discount_code: 'промокод',
  discount_codes: 'промокоды',
  email: 'почта',
  end: 'конец',
  error_streak_limit: 'пауза после ошибок подряд',
  events: 'события',
  file: 'файл',
  filters: 'фильтры',
  frequency_cap_days: 'ограничение частоты',
  id: 'номер',
  include_charging: 'платные сообщения',
  include_privacy_restricted: 'закрытые настройками приватности',
  last_message_within_days: 'давность последнего сообщения',
  max_orders: 'заказов не больше',
  media_ids: 'вложения',
  message_text: 'текст сообщения',
  min_orders: 'заказов не меньше',
  min_spent: 'потрачено не меньше',
  mode: 'режим',
  name: 'название',
  new_password: 'новый пароль',
  nudges: 'напоминание',
  order_id: 'номер заказа',
  override_quiet_hours: 'тихие часы',
  password: 'пароль',
  phone: 'номер телефона',
  quiet_hours: 'тихие часы',
  reason: 'причина',
  ref: 'метка ссылки',
  segment_id: 'сегмент',
  start: 'начало',
  start_at: 'время запуска',
  status: 'статус',
  step: 'шаг',
  telegram_user_id: 'ID в Telegram',
  test: 'тестовый заказ',
  timezone: 'часовой пояс',
  track_links: 'отслеживание ссылок',
  url: 'адрес',
  username: 'имя пользователя',
};

/** "quiet_hours.start" → "тихие часы → начало", "nudges[0].message_text" → "напоминание 1 → текст сообщения". */
export function fieldName(field: string): string {
  return field
    .split('.')
    .map((part) => {
      const m = /^([a-z_]+)\[(\d+)\]$/.exec(part);
      if (m) return (FIELDS[m[1]] ?? m[1]) + ' ' + (Number(m[2]) + 1);
      return FIELDS[part] ?? part;
    })
    .join(' → ');
}

/** An API error's sentence in the current language: in English the one it came with. */
export function errorText(code: string, field: string | null, english: string, status: number): string {
  if (lang() !== 'ru') return english;
  const t = SERVER_ERRORS[code] ?? CLIENT_ERRORS[code];
  if (typeof t === 'function') return t(field ? fieldName(field) : null);
  if (t) return t;
  if (code === 'http_' + status) return `Сервер ответил кодом ${status}.`;
  return english; // a sentence the app made itself (in the current language) under a code of its own
}

export const M = messages(
  {
    tooMany: (retryAfter: number | null) => 'Too many attempts.' + (retryAfter != null ? ` Try again in ${retryAfter} s.` : ' Try again in a minute.'),
    telegramDown: 'Telegram is not reachable right now. Try again shortly.',
    wentWrong: 'Something went wrong. Try again.',
  },
  {
    tooMany: (retryAfter) => 'Слишком много попыток.' + (retryAfter != null ? ` Повторите через ${retryAfter} с.` : ' Повторите через минуту.'),
    telegramDown: 'Telegram сейчас недоступен. Попробуйте чуть позже.',
    wentWrong: 'Что-то пошло не так. Попробуйте ещё раз.',
  },
);
