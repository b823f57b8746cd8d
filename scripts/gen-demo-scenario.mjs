#!/usr/bin/env node
// gen-demo-scenario.mjs — writes the simulator scenario used by `make run` (DESIGN §6), to stdout.
//
//   node scripts/gen-demo-scenario.mjs > scenarios/demo.json          the committed demo
//   node scripts/gen-demo-scenario.mjs --users 10000 > /tmp/bench.json   a large one (bench)
//   options: --users N (customers, default 320), --seed S (default 20251125),
//            --record NAME (default demo-deliveries.jsonl)
//
// Deterministic: a seeded PRNG (mulberry32) drives every choice, so the same options give the
// same bytes. The shop ("Demo Shop Support", login code 12345, no two-step password) has
// customers who wrote to support in English and Russian mostly, and in German, Spanish,
// Portuguese, Turkish, Ukrainian, Chinese, Japanese and Arabic: order-status questions with
// order numbers, prices, sizes, shipping, refund complaints, thanks, and a few opt-outs. A few
// customers blocked the shop or deleted their account, some answer/read/click campaign
// messages, and a handful write in live after login. A couple of bots, a deleted account and
// Telegram's service account 777000 are there to be skipped. No faults: the demo runs clean.

const args = process.argv.slice(2);
function opt(name, def) {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = args[i + 1];
  if (v === undefined) usage(`${name} needs a value`);
  return v;
}
function usage(msg) {
  process.stderr.write(`gen-demo-scenario: ${msg}\nusage: node scripts/gen-demo-scenario.mjs [--users N] [--seed S] [--record NAME]\n`);
  process.exit(2);
}
for (let i = 0; i < args.length; i += 2) {
  if (!["--users", "--seed", "--record"].includes(args[i])) usage(`unknown argument ${args[i]}`);
}
const N = Number(opt("--users", "320"));
const SEED = Number(opt("--seed", "20251125"));
const RECORD = opt("--record", "demo-deliveries.jsonl");
if (!Number.isSafeInteger(N) || N < 20 || N > 1000000) usage("--users must be an integer from 20 to 1000000");
if (!Number.isSafeInteger(SEED)) usage("--seed must be an integer");

// ---- deterministic randomness -------------------------------------------------------------------
function mulberry32(a) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = mulberry32(SEED);
const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
const pick = (arr) => arr[Math.floor(rnd() * arr.length)];
const chance = (p) => rnd() < p;
const digits = (n) => Array.from({ length: n }, () => int(0, 9)).join("");
/** A signed 64-bit access hash as a decimal string. */
function accessHash() {
  const hi = BigInt(Math.floor(rnd() * 2 ** 32));
  const lo = BigInt(Math.floor(rnd() * 2 ** 32));
  return BigInt.asIntN(64, (hi << 32n) | lo).toString();
}
function fill(template, vars) {
  return template.replace(/\{(\w+)\}/g, (_, k) => (vars[k] !== undefined ? String(vars[k]) : `{${k}}`));
}

// ---- who writes: names per language (first, last or null, latin handle for usernames) -----------
const NAMES = {
  en: [["Anna", "Kim", "anna"], ["James", "Smith", "jsmith"], ["Emily", "Johnson", "emily"], ["Michael", "Brown", "mike"],
    ["Sarah", "Garcia", "sarah"], ["David", "Miller", "dave"], ["Olivia", "Davis", "liv"], ["Daniel", "Wilson", "dan"],
    ["Sophia", "Taylor", "sophie"], ["Chris", "Moore", "chris"], ["Jessica", "Clark", "jess"], ["Ryan", "Lewis", "ryan"],
    ["Megan", "Walker", "meg"], ["Tyler", "Hall", "ty"], ["Hannah", "Young", "hannah"], ["Kevin", null, "kev"],
    ["Laura", "King", "laura"], ["Brian", "Wright", "brian"], ["Nicole", "Scott", "nikki"], ["Jason", "Green", "jay"]],
  ru: [["Алексей", "Иванов", "alexey"], ["Мария", "Смирнова", "masha"], ["Дмитрий", "Кузнецов", "dima"],
    ["Анна", "Попова", "anya"], ["Сергей", "Васильев", "sergey"], ["Екатерина", "Соколова", "katya"],
    ["Иван", "Михайлов", "vanya"], ["Ольга", "Новикова", "olga"], ["Никита", "Фёдоров", "nikita"],
    ["Татьяна", "Морозова", "tanya"], ["Андрей", "Волков", "andrey"], ["Наталья", "Алексеева", "natasha"],
    ["Павел", "Лебедев", "pasha"], ["Юлия", "Семёнова", "yulia"], ["Михаил", null, "misha"], ["Ксения", "Павлова", "ksu"]],
  uk: [["Олександр", "Шевченко", "sasha"], ["Оксана", "Коваленко", "oksana"], ["Тарас", "Бондаренко", "taras"], ["Ірина", "Мельник", "iryna"]],
  de: [["Lukas", "Müller", "lukas"], ["Julia", "Schneider", "julia"], ["Felix", "Weber", "felix"], ["Lena", "Fischer", "lena"]],
  es: [["Carlos", "García", "carlos"], ["Lucía", "Fernández", "lucia"], ["Javier", "López", "javi"], ["María", "Martínez", "mariam"]],
  pt: [["João", "Silva", "joao"], ["Ana", "Souza", "ana"], ["Pedro", "Costa", "pedro"]],
  tr: [["Mehmet", "Yılmaz", "mehmet"], ["Ayşe", "Kaya", "ayse"], ["Emre", "Demir", "emre"]],
  zh: [["王伟", null, "wangwei"], ["李娜", null, "lina"], ["张敏", null, "zhangmin"], ["刘", "洋", "liuyang"]],
  ja: [["健", "佐藤", "ken"], ["花子", "鈴木", "hanako"]],
  ar: [["محمد", "العلي", "mohammed"], ["فاطمة", "حسن", "fatima"], ["أحمد", null, "ahmed"], ["ليلى", "سعيد", "layla"]],
};
const EMOJI_NAMES = [["Katya 🌸", null, "katya_flower"], ["🦊 Lisa", "Fox", "lisa_fox"], ["Max 🚀", "Power", "maxpower"]];
// E.164 prefix and total digit count per language's usual country.
const PHONES = {
  en: ["+1555", 11], ru: ["+79", 11], uk: ["+38067", 12], de: ["+49151", 13], es: ["+346", 11],
  pt: ["+3519", 12], tr: ["+905", 12], zh: ["+86138", 13], ja: ["+8190", 12], ar: ["+97150", 12],
};

// ---- what they write about ------------------------------------------------------------------------
const PRODUCTS = {
  en: ["blue ceramic mug", "linen shirt", "leather wallet", "running shoes", "wool scarf", "canvas tote bag", "denim jacket", "silver ring", "yoga mat", "phone case"],
  ru: ["синяя кружка", "льняная рубашка", "кожаный кошелёк", "кроссовки", "шерстяной шарф", "джинсовая куртка", "серебряное кольцо", "коврик для йоги"],
  de: ["die blaue Keramiktasse", "das Leinenhemd", "die Lederbörse", "der Wollschal", "die Jeansjacke"],
  es: ["la taza de cerámica azul", "la camisa de lino", "la cartera de cuero", "las zapatillas de running", "la chaqueta vaquera"],
  tr: ["mavi seramik kupa", "keten gömlek", "deri cüzdan", "koşu ayakkabısı"],
  zh: ["蓝色陶瓷杯", "亚麻衬衫", "皮钱包", "跑鞋", "羊毛围巾"],
  ar: ["الكوب الأزرق", "القميص الكتان", "المحفظة الجلدية", "الحذاء الرياضي"],
};
const CITIES = { en: ["Chicago", "Austin", "Toronto", "London", "Seattle", "Denver", "Boston"], ru: ["Казань", "Новосибирск", "Екатеринбург", "Самару", "Краснодар", "Пермь"] };
const SIZES = ["XS", "S", "M", "L", "XL", "XXL", "EU 38", "EU 42", "EU 44", "US 9", "US 10.5"];

// Per language: customer lines (in) and support answers (out) by topic. Placeholders:
// {order} {product} {price} {size} {city} {days} {track} {name}.
const T = {
  en: {
    status: ["Hi, where is my order #{order}? It's been {days} days.", "Any update on order #{order}?", "My order #{order} still says processing 😕", "Hello! When will #{order} arrive?"],
    statusAns: ["Hi {name}! Order #{order} shipped yesterday, tracking {track}.", "Sorry for the wait! #{order} leaves our warehouse tomorrow.", "It's on its way: {track}, about {days} more days."],
    price: ["How much is the {product}?", "Is the {product} still {price}?", "Do you have any discount on the {product}?", "What's the price for 2 × {product}?"],
    priceAns: ["The {product} is {price} right now, and 10% off this week with code WELCOME10.", "It's {price}. Free shipping over $50!"],
    size: ["Do you have the {product} in {size}?", "I usually wear {size}, which size should I take?", "Is the {product} true to size?"],
    sizeAns: ["Yes, {size} is in stock.", "It runs a bit small, we'd suggest one size up.", "{size} is sold out, back in about two weeks."],
    ship: ["Do you ship to {city}?", "How long does delivery to {city} take?", "Can I get express shipping?"],
    shipAns: ["We do! Delivery to {city} takes {days}–{days2} days.", "Express is $12.50 and arrives in 2 days."],
    refund: ["The {product} from order #{order} arrived damaged. I want a refund.", "Still no refund for #{order}, this is ridiculous.", "Wrong size delivered in #{order}, how do I return it?", "I was charged twice for #{order}!!"],
    refundAns: ["So sorry about that! We've issued a refund for #{order}, it takes 3–5 business days.", "Apologies! Send it back with the prepaid label and we'll refund right away."],
    thanks: ["Got it, thank you!", "Received my order, love it 😍", "Thanks for the quick help!", "Perfect, thanks 👍"],
    thanksAns: ["You're welcome, {name}!", "Happy to help 🙂"],
    hello: ["Hi, is this shop still open?", "Hello?", "Do you have gift cards?"],
    stop: ["stop", "unsubscribe", "Please stop messaging me", "STOP"],
    reply: ["Sounds good, how do I order?", "Interesting! Is it available in black?", "Thanks, I'll take a look", "Do you still have the discount?", "stop"],
  },
  ru: {
    status: ["Здравствуйте! Где мой заказ №{order}?", "Заказ №{order} всё ещё не пришёл, уже {days} дней", "Подскажите статус заказа №{order}", "Когда отправите №{order}?"],
    statusAns: ["Добрый день, {name}! Заказ №{order} передан в доставку, трек {track}.", "Извините за задержку, №{order} отправим завтра."],
    price: ["Сколько стоит {product}?", "{product} ещё по {price}?", "Есть скидка на {product}?"],
    priceAns: ["Сейчас {price}, на этой неделе скидка 10% по коду WELCOME10.", "{price}, при заказе от 3000 ₽ доставка бесплатная."],
    size: ["Есть {product} в размере {size}?", "Обычно ношу {size}, какой размер брать?", "Размерная сетка стандартная?"],
    sizeAns: ["Да, {size} есть в наличии.", "Маломерит, советуем брать на размер больше."],
    ship: ["Доставляете в {city}?", "Сколько идёт доставка в {city}?", "Можно самовывоз?"],
    shipAns: ["Да, доставка в {city} {days}–{days2} дней.", "Самовывоз из пункта выдачи СДЭК, бесплатно."],
    refund: ["Пришёл брак, верните деньги за заказ №{order}", "Где возврат по заказу №{order}? Жду уже две недели", "Прислали не тот размер в №{order}, как вернуть?"],
    refundAns: ["Приносим извинения! Оформили возврат по заказу №{order}, деньги придут за 3–5 дней.", "Простите! Отправьте обратно, обмен за наш счёт."],
    thanks: ["Спасибо, всё получил!", "Спасибо большое 🙏", "Всё пришло, очень довольна!", "Отлично, спасибо"],
    thanksAns: ["Пожалуйста, {name}! Обращайтесь.", "Рады помочь 🙂"],
    hello: ["Здравствуйте, вы работаете?", "Добрый день", "Есть подарочные сертификаты?"],
    stop: ["отписаться", "Отпишите меня, пожалуйста", "стоп", "Больше не пишите мне"],
    reply: ["Интересно, а есть другие цвета?", "Спасибо, посмотрю", "Как оформить заказ?", "А скидка ещё действует?", "отписаться"],
  },
  uk: {
    status: ["Добрий день! Де моє замовлення №{order}?", "Коли відправите №{order}?"],
    statusAns: ["Вітаємо, {name}! Замовлення №{order} вже в дорозі, трек {track}."],
    thanks: ["Дякую, все отримала!", "Дякую за допомогу"],
    refund: ["Прийшов брак у замовленні №{order}, поверніть гроші"],
    refundAns: ["Вибачте! Оформили повернення по №{order}."],
    stop: ["відписатися"],
  },
  de: {
    status: ["Hallo, wo ist meine Bestellung #{order}?", "Wann kommt #{order} an?"],
    statusAns: ["Hallo {name}! Bestellung #{order} ist unterwegs: {track}."],
    price: ["Was kostet {product}?", "Gibt es Rabatt auf {product}?"], priceAns: ["Aktuell {price}, diese Woche 10 % Rabatt."],
    thanks: ["Danke, alles angekommen!", "Vielen Dank!"],
    refund: ["Die Ware aus #{order} ist beschädigt, ich möchte mein Geld zurück."],
    refundAns: ["Das tut uns leid! Die Erstattung für #{order} ist veranlasst."],
  },
  es: {
    status: ["Hola, ¿dónde está mi pedido #{order}?", "¿Cuándo llega el pedido #{order}?"],
    statusAns: ["¡Hola {name}! Tu pedido #{order} ya salió: {track}."],
    price: ["¿Qué precio tiene {product}?", "¿Hay descuento en {product}?"], priceAns: ["Cuesta {price}, con 10 % de descuento esta semana."],
    thanks: ["¡Gracias, todo perfecto!", "Muchas gracias 😊"],
    refund: ["El pedido #{order} llegó roto, quiero un reembolso."],
    refundAns: ["¡Lo sentimos! Ya hemos hecho el reembolso de #{order}."],
  },
  pt: {
    status: ["Olá, onde está meu pedido #{order}?"], statusAns: ["Olá {name}! O pedido #{order} já foi enviado: {track}."],
    thanks: ["Obrigado, chegou tudo certo!"], refund: ["O pedido #{order} veio com defeito, quero reembolso."],
    refundAns: ["Desculpe! Reembolso do #{order} feito."],
  },
  tr: {
    status: ["Merhaba, #{order} numaralı siparişim nerede?"], statusAns: ["Merhaba {name}! #{order} kargoya verildi: {track}."],
    price: ["{product} ne kadar?"], priceAns: ["Şu an {price}."], thanks: ["Teşekkürler, geldi!"],
  },
  zh: {
    status: ["你好，我的订单 #{order} 到哪里了？"], statusAns: ["您好！订单 #{order} 已发货，单号 {track}。"],
    price: ["{product} 多少钱？"], priceAns: ["现在 {price}，本周九折。"], thanks: ["收到了，谢谢！"],
  },
  ja: {
    status: ["注文 #{order} はいつ届きますか？"], statusAns: ["{name}様、ご注文 #{order} は発送済みです：{track}"], thanks: ["届きました、ありがとうございます！"],
  },
  ar: {
    status: ["مرحبا، أين طلبي رقم {order}؟"], statusAns: ["مرحبا {name}! تم شحن الطلب {order}، رقم التتبع {track}."],
    price: ["كم سعر {product}؟"], priceAns: ["السعر الآن {price}."], thanks: ["شكرا، وصل الطلب!"],
    refund: ["وصل الطلب {order} تالفا، أريد استرداد المال."], refundAns: ["نعتذر! تم رد المبلغ للطلب {order}."],
  },
};
// Languages, weighted: English and Russian mostly.
const LANGS = [["en", 42], ["ru", 33], ["uk", 4], ["de", 5], ["es", 5], ["pt", 3], ["tr", 2], ["zh", 3], ["ja", 1], ["ar", 2]];
const LANG_TOTAL = LANGS.reduce((s, [, w]) => s + w, 0);
function pickLang() {
  let r = rnd() * LANG_TOTAL;
  for (const [l, w] of LANGS) if ((r -= w) < 0) return l;
  return "en";
}

function priceFor(lang) {
  if (lang === "ru" || lang === "uk") return `${int(9, 149) * 100 - 10} ₽`;
  if (lang === "de" || lang === "es" || lang === "pt") return `${int(9, 129)},${pick(["00", "50", "90", "99"])} €`;
  if (lang === "tr") return `${int(3, 40) * 100} ₺`;
  if (lang === "zh" || lang === "ja") return `¥${int(49, 899)}`;
  if (lang === "ar") return `${int(20, 500)} AED`;
  return `$${int(9, 189)}.${pick(["00", "50", "99"])}`;
}

/** Fills one template of `topic` in `lang` (falling back to English for a missing topic). */
function line(lang, topic, vars) {
  const pool = (T[lang] && T[lang][topic]) || T.en[topic];
  return fill(pick(pool), vars);
}

// ---- one customer's history --------------------------------------------------------------------
const PERSONAS = [["buyer", 45], ["browser", 28], ["refund", 17], ["brief", 10]];
function pickPersona() {
  let r = rnd() * 100;
  for (const [p, w] of PERSONAS) if ((r -= w) < 0) return p;
  return "buyer";
}

function history(lang, name, persona, optOut) {
  const l = T[lang] ? lang : "en";
  const has = (topic) => Boolean(T[l][topic]);
  const vars = {
    name, order: int(10001, 48999), product: pick(PRODUCTS[PRODUCTS[l] ? l : "en"]), price: priceFor(lang),
    size: pick(SIZES), city: pick(CITIES[l === "ru" ? "ru" : "en"]), days: int(2, 14), days2: int(15, 21),
    track: l === "ru" || l === "uk" ? `RA${digits(9)}RU` : `1Z${digits(16)}`,
  };
  const browse = ["price", "size", "ship"].filter(has);
  const topics = [];
  if (persona === "buyer") {
    if (browse.length && chance(0.4)) topics.push(pick(browse));
    topics.push("status");
    if (chance(0.7)) topics.push("thanks");
  } else if (persona === "browser" && browse.length) {
    const first = pick(browse);
    topics.push(first);
    const second = browse.filter((t) => t !== first);
    if (second.length && chance(0.5)) topics.push(pick(second));
  } else if (persona === "refund" && has("refund")) {
    topics.push("status", "refund");
    if (chance(0.4)) topics.push("refund");
  } else if (has("hello")) {
    topics.push("hello");
  } else {
    topics.push("status");
  }
  let ago = int(3, 120) * 86400 + int(0, 86399);
  const messages = [];
  const say = (text, out) => {
    messages.push(out ? { text, ago_seconds: ago, out: true } : { text, ago_seconds: ago });
    ago = Math.max(60, ago - int(120, 2 * 86400));
  };
  for (const topic of topics) {
    say(line(l, topic, vars), false);
    const answer = `${topic}Ans`;
    if (has(answer) && chance(topic === "thanks" ? 0.5 : 0.9)) say(line(l, answer, vars), true);
  }
  if (optOut) say(pick(T[l].stop || T.en.stop), false);
  return messages;
}

// ---- the scenario ----------------------------------------------------------------------------
const users = [];
let nextId = 2001;
const usedHandles = new Map();
function handleFor(base) {
  const n = (usedHandles.get(base) || 0) + 1;
  usedHandles.set(base, n);
  return n === 1 ? `${base}_${pick(["shop", "x", "k", "m", "22", "07"])}` : `${base}${n}_${digits(2)}`;
}

const optOutEvery = Math.max(1, Math.round(N / 8)); // about 8 opt-outs, spread out
for (let i = 0; i < N; i++) {
  const lang = pickLang();
  const [first, last, handle] = i % 97 === 13 ? EMOJI_NAMES[(i / 97) % EMOJI_NAMES.length | 0] : pick(NAMES[lang]);
  const persona = pickPersona();
  const optOut = i % optOutEvery === optOutEvery - 1;
  const u = { id: String(nextId++), access_hash: accessHash(), first_name: first };
  if (last) u.last_name = last;
  if (chance(0.55)) u.username = handleFor(handle);
  if (chance(0.6)) {
    const [prefix, total] = PHONES[lang];
    u.phone = prefix + digits(total - (prefix.length - 1));
  }
  u.messages = history(lang, first, persona, optOut);
  // Live behaviour when a campaign reaches them.
  if (chance(0.3)) u.read_after_seconds = int(2, 90);
  if (chance(0.12)) u.reply = { after_seconds: int(5, 120), text: pick((T[lang] && T[lang].reply) || T.en.reply) };
  if (chance(0.15)) u.click_after_seconds = int(3, 60) + (chance(0.5) ? 0.5 : 0);
  users.push(u);
}
// A few who blocked the shop, deleted their account or hide from strangers.
const errors = ["USER_IS_BLOCKED", "USER_IS_BLOCKED", "USER_IS_BLOCKED", "INPUT_USER_DEACTIVATED", "INPUT_USER_DEACTIVATED", "USER_PRIVACY_RESTRICTED"];
errors.forEach((code, k) => {
  const u = users[Math.floor(((k + 0.5) * users.length) / errors.length)];
  u.error = code;
  delete u.reply;
  delete u.read_after_seconds;
  delete u.click_after_seconds;
});
// Customers who have not written yet: they appear through live inbound messages.
const newcomers = [
  { id: String(nextId++), access_hash: accessHash(), first_name: "Grace", last_name: "Lee", username: "gracelee", phone: "+15550107788" },
  { id: String(nextId++), access_hash: accessHash(), first_name: "Вера", username: "vera_spb" },
];
users.push(...newcomers);
// To be skipped by sync: two bots, a deleted account, and Telegram's service notifications.
users.push(
  { id: "3000001", access_hash: accessHash(), first_name: "Shop Notify", username: "ShopNotifyBot", bot: true, messages: [{ text: "Daily report: 14 orders, $1,240.50", ago_seconds: 3600 }] },
  { id: "3000002", access_hash: accessHash(), first_name: "Delivery Tracker", username: "TrackParcelBot", bot: true, messages: [{ text: "/start", ago_seconds: 86400 * 9, out: true }, { text: "Send me a tracking number", ago_seconds: 86400 * 9 - 5 }] },
  { id: "3000003", access_hash: accessHash(), first_name: "Deleted Account", deleted: true, messages: [{ text: "hi, is the sale still on?", ago_seconds: 86400 * 40 }] },
  { id: "777000", access_hash: accessHash(), first_name: "Telegram", messages: [{ text: "New login to your account from Chrome on Windows.", ago_seconds: 86400 * 2 }] },
);

const byLang = (re) => users.find((u) => u.messages && re.test(u.messages[0].text) && !u.error);
const ruCustomer = byLang(/[а-яё]/i) || users[0];
const enCustomers = users.filter((u) => u.messages && /^(Hi|Hello|Any|My|How|Is|Do|What|The|Still|Wrong|I )/.test(u.messages[0].text) && !u.error);
const enCustomer = enCustomers[0] || users[1];
const happyCustomer = enCustomers[1] || users[2];
const inbound = [
  { user: newcomers[0].id, text: "Hi! Do you have gift cards? It's for my sister's birthday 🎁", after_seconds: 20 },
  { user: enCustomer.id, text: `Any news on order #${int(40000, 48999)}? Tracking hasn't moved in 3 days`, after_seconds: 35 },
  { user: newcomers[1].id, text: "Здравствуйте! Сколько стоит доставка в Санкт-Петербург?", after_seconds: 50 },
  { user: ruCustomer.id, text: "отписаться", after_seconds: 75 },
  { user: happyCustomer.id, text: "Thanks, the jacket fits perfectly!", after_seconds: 110 },
];

const scenario = {
  me: { id: "1000", first_name: "Demo Shop Support", phone: "+15550000000" },
  login: { code: "12345" },
  users,
  faults: [],
  inbound,
  record: RECORD,
};

// One user per line: readable, and diffs stay small when the generator changes.
const out = ["{"];
const keys = Object.keys(scenario);
keys.forEach((k, i) => {
  const comma = i < keys.length - 1 ? "," : "";
  if (k === "users" || k === "inbound") {
    out.push(` "${k}": [`);
    scenario[k].forEach((x, j) => out.push(`  ${JSON.stringify(x)}${j < scenario[k].length - 1 ? "," : ""}`));
    out.push(` ]${comma}`);
  } else {
    out.push(` "${k}": ${JSON.stringify(scenario[k])}${comma}`);
  }
});
out.push("}");
process.stdout.write(out.join("\n") + "\n");
