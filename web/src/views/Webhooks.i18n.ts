// The words of the webhooks page (Webhooks.tsx) in English and Russian (issue 19 item 5). Pieces
// starting or ending with a space sit around a code sample or an emphasised word.
import { lang, messages } from '../i18n';

export const M = messages(
  {
    httpCode: (code: number) => ` (HTTP ${code})`,
    noAnswerParen: ' (no answer)',
    noDeliveries: 'No deliveries yet',
    delivered: 'Delivered',
    failing: 'Failing, trying again',
    gaveUp24: 'Gave up after 24 h',
    lastAttempt: (when: string) => 'Last attempt ' + when,
    loading: 'Loading…',
    deliveriesEmpty: 'Nothing was sent to it yet: deliveries start with its first event.',
    event: 'Event',
    status: 'Status',
    attempts: 'Attempts',
    lastAnswer: 'Last answer',
    nextTry: 'Next try',
    gaveUp: 'Gave up',
    waiting: 'Waiting',
    noAnswer: 'No answer',
    notDeleted: 'The webhook was not deleted: ',
    eventsItGets: 'Events it gets',
    added: (when: string) => `Added ${when}`,
    hideDeliveries: 'Hide deliveries',
    recentDeliveries: 'Recent deliveries',
    deleteAsk: 'Delete…',
    deleteGroup: (url: string) => 'Confirm deleting the webhook to ' + url,
    deleteWarning: 'Nothing more is sent to it, and its waiting deliveries are dropped.',
    delete: 'Delete',
    deleting: 'Deleting…',
    urlLocal: 'Enter the address of your receiver, starting with https:// (or http://).',
    eventsLocal: 'Pick at least one event.',
    addTitle: 'Add a webhook',
    urlLabel: 'Receiver URL',
    urlHintBefore: "Your server's address that takes a ",
    urlHint: ', e.g. https://crm.example.com/hooks/tgr. It must be reachable from the Internet.',
    noteLabel: 'Note (optional)',
    noteHint: 'Only you see it, e.g. “CRM” or “Google Sheet via Zapier”.',
    adding: 'Adding…',
    add: 'Add webhook',
    docsTitle: 'How deliveries look, and how to check them',
    d1: 'Each event is a ',
    d2: ' of JSON to your URL with the headers ',
    d3: ' (its type), ',
    d4: ' (an id of this delivery) and ',
    sigFormat: 'X-Tgr-Signature: t=<unix seconds>,v1=<hex>',
    d5: ', where ',
    d6: ' is the HMAC-SHA256 of ',
    signedText: 't + "." + the raw body',
    d7: " keyed with the webhook's secret. Check it before you trust the body, and refuse an old ",
    a1: 'Answer with any ',
    a2: ' within ',
    a3: '10 seconds',
    a4: '. Anything else — an error, a redirect, no answer — is tried again after 30 s, 1 min, 2 min and so on, doubling, for 24 hours. The same event keeps its ',
    a5: ' on every try, so store the ids you have handled and skip a repeat. Webhooks are only sent to public addresses.',
    checkPython: 'Check a signature in Python',
    checkNode: 'Check a signature in Node.js',
    title: 'Webhooks',
    howToReceive: 'How to receive them',
    intro:
      'Tell your other systems — a CRM, a helpdesk, a spreadsheet through a no-code tool — what happens here: messages sent, read and replied to, clicks, credited orders, opt-outs and campaigns starting or ending. tgr sends each event to every webhook that asked for it.',
    secretHeadline: 'Copy the signing secret now: it is shown only this once.',
    secretAdvice: 'Your receiver uses it to check that a delivery comes from tgr (see “How to receive them”). Lost? Delete the webhook and add it again.',
    secretLabel: 'Signing secret',
    yours: 'Your webhooks',
    empty: 'No webhooks yet.',
    emptyAdd: ' Add one above to start receiving events.',
  },
  {
    httpCode: (code) => ` (HTTP ${code})`,
    noAnswerParen: ' (нет ответа)',
    noDeliveries: 'Доставок пока нет',
    delivered: 'Доставлено',
    failing: 'Ошибка, пробуем снова',
    gaveUp24: 'Прекращено через 24 ч',
    lastAttempt: (when) => 'Последняя попытка ' + when,
    loading: 'Загрузка…',
    deliveriesEmpty: 'Сюда ещё ничего не отправлялось: доставки начнутся с первого события.',
    event: 'Событие',
    status: 'Статус',
    attempts: 'Попытки',
    lastAnswer: 'Последний ответ',
    nextTry: 'Следующая попытка',
    gaveUp: 'Прекращено',
    waiting: 'Ожидает',
    noAnswer: 'Нет ответа',
    notDeleted: 'Вебхук не удалён: ',
    eventsItGets: 'Какие события получает',
    added: (when) => `Добавлен ${when}`,
    hideDeliveries: 'Скрыть доставки',
    recentDeliveries: 'Последние доставки',
    deleteAsk: 'Удалить…',
    deleteGroup: (url) => 'Подтвердите удаление вебхука ' + url,
    deleteWarning: 'Ему больше ничего не будет отправляться, а ожидающие доставки будут отброшены.',
    delete: 'Удалить',
    deleting: 'Удаляем…',
    urlLocal: 'Введите адрес получателя, начиная с https:// (или http://).',
    eventsLocal: 'Выберите хотя бы одно событие.',
    addTitle: 'Новый вебхук',
    urlLabel: 'URL получателя',
    urlHintBefore: 'Адрес вашего сервера, который принимает запросы ',
    urlHint: ', например https://crm.example.com/hooks/tgr. Он должен быть доступен из интернета.',
    noteLabel: 'Заметка (необязательно)',
    noteHint: 'Её видите только вы, например «CRM» или «Google Sheets через Zapier».',
    adding: 'Добавляем…',
    add: 'Добавить вебхук',
    docsTitle: 'Как выглядят доставки и как их проверять',
    d1: 'Каждое событие — это ',
    d2: ' с JSON на ваш URL с заголовками ',
    d3: ' (тип события), ',
    d4: ' (идентификатор этой доставки) и ',
    sigFormat: 'X-Tgr-Signature: t=<секунды Unix>,v1=<hex>',
    d5: ', где ',
    d6: ' — HMAC-SHA256 от ',
    signedText: 't + "." + тело запроса как есть',
    d7: ' с секретом вебхука в качестве ключа. Проверяйте подпись, прежде чем доверять телу запроса, и отклоняйте запросы со старым ',
    a1: 'Отвечайте любым кодом ',
    a2: ' в течение ',
    a3: '10 секунд',
    a4: '. Всё остальное — ошибка, перенаправление, отсутствие ответа — повторяется через 30 с, 1 мин, 2 мин и так далее, с удвоением интервала, в течение 24 часов. Событие сохраняет свой ',
    a5: ' при каждой попытке, поэтому запоминайте обработанные id и пропускайте повторы. Вебхуки отправляются только на публичные адреса.',
    checkPython: 'Пример проверки подписи на Python',
    checkNode: 'Пример проверки подписи на Node.js',
    title: 'Вебхуки',
    howToReceive: 'Как их принимать',
    intro:
      'Сообщайте другим системам — CRM, службе поддержки, таблице через сервис автоматизации — о том, что здесь происходит: сообщения отправлены, прочитаны, получили ответ, переходы по ссылкам, засчитанные заказы, отписки, запуск и завершение кампаний. tgr отправляет каждое событие всем вебхукам, которые на него подписаны.',
    secretHeadline: 'Скопируйте секрет подписи сейчас: он показывается только один раз.',
    secretAdvice: 'По нему ваш получатель проверяет, что доставка пришла от tgr (см. «Как их принимать»). Потеряли? Удалите вебхук и добавьте его заново.',
    secretLabel: 'Секрет подписи',
    yours: 'Ваши вебхуки',
    empty: 'Вебхуков пока нет.',
    emptyAdd: ' Добавьте вебхук выше, чтобы начать получать события.',
  },
);

/** The server's refusal of a field of the form, in Russian by the field (the server's English is
 *  specific prose under the code validation_failed). */
const FIELD_RU: Record<string, string> = {
  url: 'Этот адрес не подходит: нужен URL, начинающийся с http:// или https://, не длиннее 2048 символов, с именем хоста, которое находится и ведёт только на публичные адреса.',
  events: 'Выберите события из списка.',
  description: 'Заметка должна быть не длиннее 500 символов.',
};

/** The error at a field of the form: in English the server's sentence with "It" for the field's name;
 *  in Russian the URL's known reasons (src/core/webhook_url.c) in words, else the field's rule. */
export function fieldError(field: 'url' | 'events' | 'description', english: string): string {
  if (lang() !== 'ru') return english.replace(/^(url|events|description) /, 'It ');
  const why = field === 'url' ? urlReason(english.replace(/^url /, '')) : null;
  if (!why) return FIELD_RU[field];
  const text = why.text + (why.host ?? '') + (why.after ?? '');
  return text.charAt(0).toUpperCase() + text.slice(1) + '.';
}

/** A reason in pieces around the host it names (user data). */
type Reason = { text: string; host?: string; after?: string; english?: boolean };

/** The kinds of address the server names (src/base/netaddr.c). */
const ADDRESS_KINDS_RU: Record<string, string> = {
  public: 'публичный',
  loopback: 'петлевой',
  private: 'частный',
  'link-local': 'локальный для канала',
  reserved: 'зарезервированный',
};

/** Why a webhook's URL is refused (src/core/webhook_url.c), in Russian; null when not known. */
function urlReason(e: string): Reason | null {
  const fixed: Record<string, string> = {
    'must be an http:// or https:// URL of at most 2048 characters': 'нужен URL http:// или https:// не длиннее 2048 символов',
    'could not be read': 'адрес не удалось прочитать',
    'is not a valid URL': 'это не корректный URL',
    'must start with http:// or https://': 'адрес должен начинаться с http:// или https://',
    'must name a host': 'в адресе должно быть имя хоста',
    'must not name a network interface': 'в адресе не должно быть сетевого интерфейса',
    'has an invalid port': 'в адресе неверный порт',
  };
  if (fixed[e]) return { text: fixed[e] };
  const unresolved = /^must name a host that resolves: (.+) has no address$/.exec(e);
  if (unresolved) return { text: 'имя хоста не находится: у ', host: unresolved[1], after: ' нет адреса' };
  const refused = /^must lead to public addresses only: (\S+) leads to a (\S+) address(.*)$/.exec(e);
  if (refused)
    return {
      text: 'нужны только публичные адреса: ',
      host: refused[1],
      after: ` ведёт на ${ADDRESS_KINDS_RU[refused[2]] ?? refused[2]} адрес` + (refused[3] ? ' (его разрешает TGR_WEBHOOKS_ALLOW_PRIVATE=1)' : ''),
    };
  return null;
}

/** The server's reasons a delivery failed (src/hooks/deliver.c, English prose), in Russian when known. */
const DELIVERY_ERRORS_RU: Record<string, string> = {
  'no answer within 10 s': 'нет ответа за 10 с',
  'the address is not one webhooks may be sent to': 'на этот адрес вебхуки не отправляются',
  'could not connect': 'не удалось подключиться',
  'the host did not resolve': 'имя хоста не находится',
  'TLS failed (is the certificate valid for the host?)': 'ошибка TLS (действителен ли сертификат для этого хоста?)',
  'the connection closed without an answer': 'соединение закрылось без ответа',
  'the secret could not be opened': 'не удалось расшифровать секрет',
  'out of memory': 'не хватило памяти',
  failed: 'ошибка',
};

/** A delivery's last error in the current language, in pieces around the host it names: known
 *  reasons translated, HTTP statuses kept; anything else (a library's message) as the server wrote
 *  it, `english` set. */
export function deliveryError(e: string): Reason {
  if (lang() !== 'ru') return { text: e };
  const known = DELIVERY_ERRORS_RU[e];
  if (known) return { text: known };
  const http = /^HTTP (\d+)( \(redirects are not followed\))?$/.exec(e);
  if (http) return { text: `HTTP ${http[1]}` + (http[2] ? ' (перенаправления не выполняются)' : '') };
  return urlReason(e) ?? { text: e, english: true };
}
