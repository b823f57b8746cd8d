// The words of the editor's store (editor/store.ts) in English and Russian: what a load, a save, an
// upload, a test send, a start or an unschedule says when it goes wrong, and the test's success
// (issue 19 item 5). Read when the message is made: the store keeps it as state.
import { messages, plural } from '../i18n';

export const M = messages(
  {
    notFound: 'This campaign does not exist (or belongs to another account).',
    mediaNotLoaded: (why: string) => 'The attached media could not be loaded for preview: ' + why,
    startedMeanwhile: 'This campaign was started meanwhile, so it can no longer be edited here.',
    notSaved: (why: string) => 'Not saved: ' + why,
    unsupported: (file: string) => `“${file}” is not a supported file. Use a JPEG, PNG, WebP or GIF image, or an MP4 video.`,
    tooLarge: (file: string, video: boolean) => `“${file}” is too large: ${video ? 'videos up to 50 MB' : 'images up to 10 MB'} can be sent.`,
    testSent: 'Sent. Open “Saved Messages” in Telegram to see it as your customers will (placeholders empty or with their fallbacks).',
    testNoSession: 'Telegram is not connected, so nothing can be sent. Connect it first.',
    testFailed: (why: string) => 'The test message was not sent: ' + why,
    fixFirst: (n: number) => plural(n, { one: 'Fix the problem marked above first.', other: 'Fix the # problems marked above first.' }),
    nameAndMessage: 'Give the campaign a name and write a message first.',
    notSavedRetry: 'The campaign could not be saved. Try again.',
    poolUsedUp: 'The pool has no unused codes left. Paste more codes, one per line.',
    segmentName: 'Give the segment a name.',
    fixFilters: 'Fix the filters marked first.',
    notUnscheduled: (why: string) => 'The campaign was not unscheduled: ' + why,
  },
  {
    notFound: 'Такой кампании нет (или она принадлежит другому аккаунту).',
    mediaNotLoaded: (why) => 'Не удалось загрузить вложение для предпросмотра: ' + why,
    startedMeanwhile: 'Тем временем кампанию запустили, поэтому здесь её уже нельзя изменить.',
    notSaved: (why) => 'Не сохранено: ' + why,
    unsupported: (file) => `Файл «${file}» не подходит. Используйте изображение JPEG, PNG, WebP или GIF либо видео MP4.`,
    tooLarge: (file, video) => `Файл «${file}» слишком большой: можно отправить ${video ? 'видео до 50 МБ' : 'изображение до 10 МБ'}.`,
    testSent: 'Отправлено. Откройте «Избранное» в Telegram и посмотрите на сообщение глазами клиентов (подстановки пустые или с заменами).',
    testNoSession: 'Telegram не подключён, поэтому отправить ничего нельзя. Сначала подключите его.',
    testFailed: (why) => 'Тестовое сообщение не отправлено: ' + why,
    fixFirst: (n) =>
      plural(n, {
        one: 'Сначала исправьте # ошибку, отмеченную выше.',
        few: 'Сначала исправьте # ошибки, отмеченные выше.',
        many: 'Сначала исправьте # ошибок, отмеченных выше.',
        other: 'Сначала исправьте # ошибки, отмеченные выше.',
      }),
    nameAndMessage: 'Сначала дайте кампании название и напишите сообщение.',
    notSavedRetry: 'Не удалось сохранить кампанию. Попробуйте ещё раз.',
    poolUsedUp: 'В наборе не осталось неиспользованных кодов. Вставьте ещё, по одному в строке.',
    segmentName: 'Дайте сегменту название.',
    fixFilters: 'Сначала исправьте отмеченные фильтры.',
    notUnscheduled: (why) => 'Не удалось отменить планирование: ' + why,
  },
);
