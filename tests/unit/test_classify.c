/* test_classify — customer categories: the scoring rules (orders, phrases, recency, the fresh
 * complaint rule, the confidence formula), matching (case, whole words, punctuation, ё, CJK,
 * longest phrase first, invalid UTF-8), stop requests (classify_is_stop), lexicon_load's errors,
 * and the shipped share/lexicon.json.
 *
 * Matching is tested against a small lexicon written to a temp file, so a change to the shipped
 * word lists cannot break it; behaviour a shop owner would see is tested against the real file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/classify.h"
#include "base/util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- fixtures ------------------------------------------------------------------------------ */

static struct lexicon *real_lx;  /* share/lexicon.json */
static struct lexicon *small_lx; /* small_json below */
static char real_path[4096];

static const char small_json[] =
    "{\"version\": 1, \"categories\": {\n"
    "  \"buyer\": {\"en\": [\"paid\", \"received\", \"спасибо, получил\", \"заказал\", \"收到了\"]},\n"
    "  \"refund_risk\": {\"en\": [\"not received\", \"refund\", \"退款\"], \"ru\": [\"брак\", \"всё "
    "сломано\"]},\n"
    "  \"browser\": {\"en\": [\"price\", \"refund policy\"]}\n"
    "}}\n";

/* The source tree: $TGR_SRC, or this file's path without tests/unit/test_classify.c. */
static void repo_path(const char *rel, char *out, size_t cap)
{
    const char *env = getenv("TGR_SRC");
    if (env && *env) {
        snprintf(out, cap, "%s/%s", env, rel);
        return;
    }
    const char *file = __FILE__;
    const char *suffix = "tests/unit/test_classify.c";
    size_t n = strlen(file), s = strlen(suffix);
    size_t root = n >= s && strcmp(file + n - s, suffix) == 0 ? n - s : 0;
    if (root == 0)
        snprintf(out, cap, "./%s", rel);
    else
        snprintf(out, cap, "%.*s%s", (int)root, file, rel);
}

/* Write text to a new temp file; path receives its name (>= 64 bytes). */
static void write_temp(const char *text, char *path)
{
    snprintf(path, 64, "/tmp/tgr-lexicon-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static struct lexicon *load_text(const char *text, char *err, size_t errlen)
{
    char path[64];
    write_temp(text, path);
    struct lexicon *lx = lexicon_load(path, err, errlen);
    unlink(path);
    return lx;
}

static int setup(void **state)
{
    char err[256];
    repo_path("share/lexicon.json", real_path, sizeof real_path);
    real_lx = lexicon_load(real_path, err, sizeof err);
    if (!real_lx) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    small_lx = load_text(small_json, err, sizeof err);
    if (!small_lx) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    lexicon_free(real_lx);
    lexicon_free(small_lx);
    return 0;
}

static struct classification run(const struct lexicon *lx, int paid, int refunded, const char *const *texts,
                                 size_t n)
{
    struct classify_input in = {paid, refunded, texts, n};
    struct classification out = {CAT_BUYER, -1};
    assert_int_equal(classify(lx, &in, &out), TGR_OK);
    assert_true(out.confidence >= 0.0 && out.confidence <= 1.0);
    return out;
}

/* One text, no orders. */
static struct classification one(const struct lexicon *lx, const char *text)
{
    const char *texts[] = {text};
    return run(lx, 0, 0, texts, 1);
}

#define assert_conf(got, want) assert_true(fabs((got) - (want)) < 1e-9)

/* ---- scoring ------------------------------------------------------------------------------- */

static void no_evidence_is_browser_zero(void **state)
{
    struct classification c = run(real_lx, 0, 0, NULL, 0);
    assert_int_equal(c.category, CAT_BROWSER);
    assert_true(c.confidence == 0.0);

    const char *texts[] = {"hello", "", "🙂👍", NULL, "ok"};
    c = run(real_lx, 0, 0, texts, N(texts));
    assert_int_equal(c.category, CAT_BROWSER);
    assert_true(c.confidence == 0.0);
}

static void paid_order_is_buyer(void **state)
{
    struct classification c = run(real_lx, 1, 0, NULL, 0);
    assert_int_equal(c.category, CAT_BUYER);
    assert_conf(c.confidence, 2.0 / 3.0); /* 2 / (2 + 1) */

    struct classification more = run(real_lx, 5, 0, NULL, 0);
    assert_int_equal(more.category, CAT_BUYER);
    assert_true(more.confidence > c.confidence);
}

static void refunded_order_is_refund_risk(void **state)
{
    struct classification c = run(real_lx, 0, 1, NULL, 0);
    assert_int_equal(c.category, CAT_REFUND_RISK);
    assert_conf(c.confidence, 0.8); /* 4 / (4 + 1) */

    /* One refund in three orders is a risk; one in four is a buyer. */
    assert_int_equal(run(real_lx, 2, 1, NULL, 0).category, CAT_REFUND_RISK);
    assert_int_equal(run(real_lx, 3, 1, NULL, 0).category, CAT_BUYER);
}

static void refund_words_any_case(void **state)
{
    static const char *const texts[] = {
        "Refund please",  "ВЕРНИТЕ ДЕНЬГИ!!!",      "Посылка так и не ПРИШЛА",
        "Это ОБМАН",      "Товар пришёл сломанный", "I want my MONEY BACK.",
        "This is a SCAM", "GELD ZURÜCK bitte",      "Поверніть гроші",
        "我要退款",
    };
    for (size_t i = 0; i < N(texts); i++) {
        struct classification c = one(real_lx, texts[i]);
        if (c.category != CAT_REFUND_RISK)
            fail_msg("\"%s\" came out %s", texts[i], category_name(c.category));
        assert_true(c.confidence > 0.5);
    }
}

static void purchase_words_are_buyer(void **state)
{
    static const char *const texts[] = {
        "I'll take it! How do I pay?",
        "Оплатила, спасибо",
        "Спасибо, получил!",
        "Беру два",
        "Ich habe bezahlt",
    };
    for (size_t i = 0; i < N(texts); i++) {
        struct classification c = one(real_lx, texts[i]);
        if (c.category != CAT_BUYER) fail_msg("\"%s\" came out %s", texts[i], category_name(c.category));
        assert_true(c.confidence > 0);
    }
}

static void questions_are_browser(void **state)
{
    struct classification c = one(real_lx, "How much?");
    assert_int_equal(c.category, CAT_BROWSER);
    assert_conf(c.confidence, 0.5 / 1.5);

    const char *texts[] = {"Hi! What's the price?", "Сколько стоит? Есть в наличии размер M?"};
    struct classification more = run(real_lx, 0, 0, texts, N(texts));
    assert_int_equal(more.category, CAT_BROWSER);
    assert_true(more.confidence > c.confidence);
}

static void fresh_complaint_beats_orders(void **state)
{
    const char *en[] = {"how much?", "I'll take it", "paid", "received, thanks",
                        "It arrived broken. I want a refund."};
    struct classification c = run(real_lx, 5, 0, en, N(en));
    assert_int_equal(c.category, CAT_REFUND_RISK);
    assert_true(c.confidence > 0);

    const char *ru[] = {"Спасибо, получила", "Заказ пришёл с браком, верните деньги"};
    assert_int_equal(run(real_lx, 3, 0, ru, N(ru)).category, CAT_REFUND_RISK);

    /* Thanks after the complaint, in the same fresh window, settles it. */
    const char *settled[] = {"it arrived damaged", "ok the replacement arrived today, love it, thanks"};
    assert_int_equal(run(real_lx, 2, 0, settled, N(settled)).category, CAT_BUYER);
}

static void old_complaint_weighed_against_orders(void **state)
{
    const char *texts[] = {"it arrived broken", "ok", "ok", "ok"};
    struct classification c = run(real_lx, 3, 0, texts, N(texts));
    assert_int_equal(c.category, CAT_BUYER);
    /* Without orders the same old complaint still decides. */
    c = run(real_lx, 0, 0, texts, N(texts));
    assert_int_equal(c.category, CAT_REFUND_RISK);
}

static void newer_messages_weigh_more(void **state)
{
    /* refund (1.5) in the 4th newest message counts half. */
    const char *old[] = {"refund", "", "", ""};
    assert_conf(run(small_lx, 0, 0, old, N(old)).confidence, 0.75 / 1.75);
    const char *fresh[] = {"", "", "", "refund"};
    assert_conf(run(small_lx, 0, 0, fresh, N(fresh)).confidence, 1.5 / 2.5);
}

static void one_message_counts_three_matches(void **state)
{
    struct classification c = one(small_lx, "refund refund refund refund refund refund");
    assert_int_equal(c.category, CAT_REFUND_RISK);
    assert_conf(c.confidence, 4.5 / 5.5);
}

static void mixed_evidence_lowers_confidence(void **state)
{
    struct classification pure = one(small_lx, "paid");
    struct classification mixed = one(small_lx, "paid, price?");
    assert_int_equal(mixed.category, CAT_BUYER);
    assert_conf(mixed.confidence, 1.0 / 2.5);
    assert_true(mixed.confidence < pure.confidence);
}

static void confidence_always_in_range(void **state)
{
    static const char *const pool[] = {"refund",   "paid", "price", "how much", "broken",
                                       "received", "",     "zzz",   "\xff",     "верните деньги"};
    const char *texts[8];
    for (int paid = 0; paid <= 12; paid += 3)
        for (int refunded = 0; refunded <= 12; refunded += 4)
            for (size_t n = 0; n <= N(texts); n++) {
                for (size_t k = 0; k < n; k++)
                    texts[k] = pool[(k * 7 + n + (size_t)paid) % N(pool)];
                struct classification c = run(real_lx, paid, refunded, texts, n);
                assert_false(isnan(c.confidence));
                if (paid || refunded) assert_true(c.confidence > 0);
            }
    struct classification big = run(real_lx, INT_MAX, INT_MAX, NULL, 0);
    assert_int_equal(big.category, CAT_REFUND_RISK);
    assert_true(big.confidence > 0 && big.confidence <= 1.0);
    big = run(real_lx, INT_MAX, 0, NULL, 0);
    assert_int_equal(big.category, CAT_BUYER);
    assert_true(big.confidence <= 1.0);
}

static void bad_input_is_an_error(void **state)
{
    struct classification out = {CAT_REFUND_RISK, 0.5};
    struct classify_input in = {1, 0, NULL, 0};
    assert_int_equal(classify(NULL, &in, &out), TGR_ERR);
    assert_int_equal(out.category, CAT_BROWSER);
    assert_true(out.confidence == 0.0);

    in.paid_orders = -1;
    out.category = CAT_BUYER;
    assert_int_equal(classify(real_lx, &in, &out), TGR_ERR);
    assert_int_equal(out.category, CAT_BROWSER);
    in.paid_orders = 0;
    in.refunded_orders = -3;
    assert_int_equal(classify(real_lx, &in, &out), TGR_ERR);
    in.refunded_orders = 0;
    in.n_texts = 2; /* but no texts */
    assert_int_equal(classify(real_lx, &in, &out), TGR_ERR);
    assert_int_equal(classify(real_lx, NULL, &out), TGR_ERR);
    in.n_texts = 0;
    assert_int_equal(classify(real_lx, &in, NULL), TGR_ERR);
}

/* ---- matching ------------------------------------------------------------------------------ */

static void expect(const char *text, enum category cat)
{
    struct classification c = one(small_lx, text);
    if (c.category != cat || c.confidence <= 0)
        fail_msg("\"%s\": %s %.3f, expected %s", text, category_name(c.category), c.confidence,
                 category_name(cat));
}

static void none(const char *text)
{
    struct classification c = one(small_lx, text);
    if (c.confidence != 0.0)
        fail_msg("\"%s\" matched: %s %.3f", text, category_name(c.category), c.confidence);
}

static void whole_words_only(void **state)
{
    none("the invoice is unpaid");
    none("it's UNPAID");
    none("prepaid card");
    none("paid2");
    none("refunded"); /* a different word; the shipped lexicon lists the forms it wants */
    none("бракованный");
    none("заказали");
    expect("paid", CAT_BUYER);
    expect("PAID.", CAT_BUYER);
    expect("«Paid»", CAT_BUYER);
    expect("I have paid!", CAT_BUYER);
    expect("2 paid", CAT_BUYER);
    expect("ЗАКАЗАЛ,", CAT_BUYER);
    expect("Брак!", CAT_REFUND_RISK);

    /* The same with the shipped lexicon: "unpaid" is no evidence. */
    assert_true(one(real_lx, "it says unpaid").confidence == 0.0);
}

static void punctuation_and_case_between_words(void **state)
{
    expect("Спасибо... ПОЛУЧИЛ!!", CAT_BUYER);
    expect("спасибо получил", CAT_BUYER);
    expect("Спасибо,\nполучил", CAT_BUYER);
    expect("ВСЁ СЛОМАНО", CAT_REFUND_RISK);
    expect("все сломано", CAT_REFUND_RISK); /* ё and е are one letter */
    expect("price\xc2\xa0?", CAT_BROWSER);  /* no-break space */
    expect("📦refund📦", CAT_REFUND_RISK);
}

static void longest_phrase_wins(void **state)
{
    expect("I have NOT received it", CAT_REFUND_RISK);
    expect("received", CAT_BUYER);
    expect("what is your refund policy?", CAT_BROWSER);
    /* Matches do not overlap: "not received" uses up "received". */
    struct classification c = one(small_lx, "not received");
    assert_conf(c.confidence, 1.5 / 2.5);
}

static void cjk_matches_inside_text(void **state)
{
    expect("我已经收到了，谢谢", CAT_BUYER);
    expect("我要退款", CAT_REFUND_RISK);
    expect("我paid了", CAT_BUYER); /* a Latin word next to ideographs has boundaries */
    none("我unpaid了");
    none("收到");
}

static void invalid_utf8_is_skipped(void **state)
{
    static const char *const junk[] = {
        "\xff\xfe\xfd",     "\xd0",         "\xe4\xbd",     "\xf0\x9f\x98", "\xc0\xaf", "\xed\xa0\x80",
        "\xf4\x90\x80\x80", "\x80\x80\x80", "\xe0\x80\xaf",
    };
    for (size_t i = 0; i < N(junk); i++) {
        struct classification c = one(small_lx, junk[i]);
        assert_true(c.confidence == 0.0);
        one(real_lx, junk[i]);
    }
    expect("refund\xff", CAT_REFUND_RISK);
    expect("\xc0\xafpaid\xed\xa0\x80", CAT_BUYER);
    none("re\x80"
         "fund"); /* a bad byte separates words */
    none("\xd0\x91\xd0");
    expect("\xd0\x91\xd1\x80\xd0\xb0\xd0\xba\xd0", CAT_REFUND_RISK); /* "Брак" and a cut-off letter */
}

static void long_texts(void **state)
{
    /* A word longer than any lexicon word is skipped, not truncated into a match. */
    char *text = malloc(200001);
    assert_non_null(text);
    memset(text, 'a', 200000);
    text[200000] = 0;
    memcpy(text, "paid", 4);
    none(text);
    memcpy(text + 199990, " refund  ", 9);
    expect(text, CAT_REFUND_RISK);
    for (size_t i = 0; i + 7 <= 200000; i += 7)
        memcpy(text + i, "refund ", 7);
    struct classification c = one(small_lx, text);
    assert_int_equal(c.category, CAT_REFUND_RISK);
    assert_conf(c.confidence, 4.5 / 5.5);
    free(text);
}

/* ---- lexicon_load -------------------------------------------------------------------------- */

static void load_fails(const char *json, const char *want)
{
    char err[256] = "unset";
    struct lexicon *lx = load_text(json, err, sizeof err);
    if (lx) {
        lexicon_free(lx);
        fail_msg("loaded, expected \"%s\"", want);
    }
    if (!strstr(err, want)) fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

/* A lexicon with one category phrase and the given "stop" value. */
#define STOP(v)                                                                                              \
    "{\"version\":1,\"categories\":{\"buyer\":{\"en\":[\"paid\"]},\"refund_risk\":{},\"browser\":{}},"       \
    "\"stop\":" v "}"

#define CATS(b, r, w)                                                                                        \
    "{\"version\":1,\"categories\":{\"buyer\":" b ",\"refund_risk\":" r ",\"browser\":" w "}}"

static void load_errors(void **state)
{
    char err[256];
    assert_null(lexicon_load("/nonexistent/lexicon.json", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/lexicon.json"));
    assert_non_null(strstr(err, "No such file"));

    load_fails("{\n  \"version\": 1,\n  oops\n}\n", "line 3");
    load_fails("", "empty");
    assert_null(lexicon_load("/tmp", err, sizeof err));
    assert_non_null(strstr(err, "not a regular file"));
    load_fails(" ", "line 1");
    load_fails("{\"version\":1,\"version\":1}", "duplicate");
    load_fails("[]", "top level must be an object");
    load_fails("{\"categories\":{}}", "\"version\" must be 1");
    load_fails("{\"version\":2,\"categories\":{}}", "\"version\" must be 1");
    load_fails("{\"version\":\"1\",\"categories\":{}}", "\"version\" must be 1");
    load_fails("{\"version\":1}", "\"categories\" must be an object");
    load_fails("{\"version\":1,\"categories\":[]}", "\"categories\" must be an object");
    load_fails("{\"version\":1,\"categories\":{\"buyer\":{},\"refund_risk\":{}}}",
               "categories.browser is missing");
    load_fails("{\"version\":1,\"categories\":{\"buyer\":{},\"refund-risk\":{},\"browser\":{}}}",
               "unknown category \"refund-risk\"");
    load_fails(CATS("[\"paid\"]", "{}", "{}"), "categories.buyer must be an object");
    load_fails(CATS("{\"en\":\"paid\"}", "{}", "{}"), "categories.buyer.en must be an array");
    load_fails(CATS("{}", "{\"ru\":[\"брак\",\"\"]}", "{}"),
               "categories.refund_risk.ru[1] must be a non-empty string");
    load_fails(CATS("{}", "{}", "{\"en\":[\"price\",7]}"),
               "categories.browser.en[1] must be a non-empty string");
    load_fails(CATS("{}", "{}", "{\"en\":[\"?!\"]}"),
               "categories.browser.en[0] \"?!\" has no letters or digits");
    load_fails(CATS("{\"en\":[\"a b c d e f g h i\"]}", "{}", "{}"), "has more than 8 words");
    load_fails(CATS("{\"en\":[\"" /* 64 letters */
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]}",
                    "{}", "{}"),
               "has a word longer than 63 bytes");
    load_fails(CATS("{\"en\":[\"Paid\"]}", "{}", "{\"en\":[\"paid!\"]}"),
               "\"Paid\" is listed under both browser and buyer");

    /* A "stop" section is optional, but when present it is checked like a category. */
    load_fails(STOP("[\"stop\"]"), "stop must be an object of language -> list of phrases");
    load_fails(STOP("null"), "stop must be an object");
    load_fails(STOP("\"stop\""), "stop must be an object");
    load_fails(STOP("{\"en\":\"stop\"}"), "stop.en must be an array of strings");
    load_fails(STOP("{\"en\":[\"stop\"],\"ru\":[\"стоп\",\"\"]}"), "stop.ru[1] must be a non-empty string");
    load_fails(STOP("{\"en\":[{\"stop\":1}]}"), "stop.en[0] must be a non-empty string");
    load_fails(STOP("{\"en\":[\"stop\",\"🛑\"]}"), "stop.en[1] \"🛑\" has no letters or digits");
    load_fails(STOP("{\"de\":[\"a b c d e f g h i\"]}"),
               "stop.de[0] \"a b c d e f g h i\" has more than 8 words");
    load_fails(STOP("{\"en\":[\"stop\"],\"en\":[\"unsubscribe\"]}"), "duplicate");

    /* The message is cut to the buffer, and no buffer at all is fine too. */
    char small[8];
    assert_null(lexicon_load("/nonexistent/lexicon.json", small, sizeof small));
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_null(lexicon_load("/nonexistent/lexicon.json", NULL, 0));
    assert_null(lexicon_load(NULL, err, sizeof err));
    lexicon_free(NULL);
}

static void load_accepts_edge_cases(void **state)
{
    char err[256];
    /* Empty categories: orders alone decide. */
    struct lexicon *lx = load_text(CATS("{}", "{}", "{\"en\":[]}"), err, sizeof err);
    assert_non_null(lx);
    const char *texts[] = {"refund", "paid"};
    struct classification c = run(lx, 0, 0, texts, 2);
    assert_true(c.confidence == 0.0);
    assert_int_equal(run(lx, 1, 0, texts, 2).category, CAT_BUYER);
    lexicon_free(lx);

    /* Repeats within a category, other top-level keys, uppercase entries. */
    lx = load_text("{\"_comment\":\"x\",\"version\":1,\"categories\":{\"buyer\":{\"en\":[\"PAID\",\"paid\"],"
                   "\"de\":[\"paid\"]},\"refund_risk\":{},\"browser\":{}}}",
                   err, sizeof err);
    assert_non_null(lx);
    assert_conf(one(lx, "Paid").confidence, 0.5);
    lexicon_free(lx);
}

/* ---- stop requests ------------------------------------------------------------------------- */

static void stop_yes(const struct lexicon *lx, const char *text)
{
    if (classify_is_stop(lx, text) != 1) fail_msg("\"%s\" is not a stop request, expected one", text);
}

static void stop_no(const struct lexicon *lx, const char *text)
{
    if (classify_is_stop(lx, text) != 0) fail_msg("\"%s\" is a stop request, expected none", text);
}

/* What customers write to opt out, in the shop's languages, with the shipped lexicon. */
static void stop_requests_in_several_languages(void **state)
{
    static const char *const yes[] = {"STOP",
                                      "stop",
                                      "Stop please",
                                      "Stop.",
                                      "stop!!!",
                                      "🛑 STOP 🛑",
                                      "please unsubscribe me",
                                      "Unsubscribe",
                                      "UNSUBSCRIBE ME NOW",
                                      "Please stop messaging me.",
                                      "don't message me again",
                                      "Don’t message me",
                                      "remove me from your list please",
                                      "No more messages, thanks",
                                      "Leave me alone!",
                                      "opt out",
                                      "Отписаться!",
                                      "отписаться",
                                      "ОТПИШИТЕ МЕНЯ",
                                      "Стоп",
                                      "хватит!",
                                      "Не пишите мне больше",
                                      "больше не пишите пожалуйста",
                                      "Хватит писать!!",
                                      "Отпишите меня, пожалуйста",
                                      "Відпишіть мене",
                                      "не пишіть мені більше",
                                      "Bitte abmelden",
                                      "Lass mich in Ruhe!",
                                      "STOPP",
                                      "Keine Nachrichten mehr bitte",
                                      "Darme de baja, por favor",
                                      "No me escribas más",
                                      "Pare de enviar",
                                      "Me tire da lista",
                                      "Abonelikten çıkar",
                                      "Bana yazmayın lütfen",
                                      "\xffSTOP\xfe"};
    for (size_t i = 0; i < N(yes); i++)
        stop_yes(real_lx, yes[i]);
}

static void stop_needs_a_whole_word_in_a_short_message(void **state)
{
    stop_no(real_lx, "the zipper won't stop breaking, can I return it?");
    stop_no(real_lx, "stopwatch");
    stop_no(real_lx, "Stopwatch in stock?");
    stop_no(real_lx, "unsubscribed");
    stop_no(real_lx, "Стопка тарелок в наличии?"); /* "стопка" is a stack, not "стоп" */
    stop_no(real_lx, "how much is the blue one?");
    stop_no(real_lx, "Спасибо, получил!");
    stop_no(real_lx, "");
    stop_no(real_lx, "?!🙂");
    stop_no(real_lx, "\xff\xfe");
    stop_no(real_lx, "s t o p");
    stop_no(real_lx, "st\x80op"); /* a bad byte separates words */
    /* A phrase is consecutive words: "don't you message me" is not "don't message me". */
    stop_no(real_lx, "don't you message me");

    /* Exactly 8 words is short; 9 is not, wherever the stop word is. */
    stop_yes(real_lx, "one two three four five six seven stop");
    stop_yes(real_lx, "stop two three four five six seven eight");
    stop_no(real_lx, "one two three four five six seven eight stop");
    stop_no(real_lx, "stop two three four five six seven eight nine");
    stop_yes(real_lx, "ok, please, stop messaging me now!!! 🙏");
    stop_no(real_lx, "ok, please, stop messaging me now, I said, okay?");

    /* A long text is read only as far as needed. */
    char *text = malloc(200001);
    assert_non_null(text);
    for (size_t i = 0; i + 5 <= 200000; i += 5)
        memcpy(text + i, "stop ", 5);
    text[200000] = 0;
    stop_no(real_lx, text);
    free(text);

    assert_int_equal(classify_is_stop(NULL, "stop"), 0);
    assert_int_equal(classify_is_stop(real_lx, NULL), 0);
}

/* A stop request says nothing about what kind of customer this is. */
static void stop_phrases_are_not_category_evidence(void **state)
{
    static const char *const stops[] = {"STOP", "unsubscribe", "Отписаться!", "хватит", "no more messages"};
    for (size_t i = 0; i < N(stops); i++) {
        struct classification c = one(real_lx, stops[i]);
        if (c.confidence != 0.0) fail_msg("\"%s\" counted as %s", stops[i], category_name(c.category));
    }
    /* Nor does it hide the evidence next to it. */
    struct classification c = one(real_lx, "stop, refund");
    assert_int_equal(c.category, CAT_REFUND_RISK);
    assert_true(classify_is_stop(real_lx, "stop, refund"));

    /* A phrase may be in a category and in "stop": each table answers its own question. */
    char err[256];
    struct lexicon *lx = load_text("{\"version\":1,\"categories\":{\"buyer\":{},\"browser\":{},"
                                   "\"refund_risk\":{\"en\":[\"scam\",\"stop it\"]}},"
                                   "\"stop\":{\"en\":[\"stop\",\"scam\",\"STOP!\"]}}",
                                   err, sizeof err);
    if (!lx) fail_msg("%s", err);
    assert_int_equal(one(lx, "scam").category, CAT_REFUND_RISK);
    assert_conf(one(lx, "scam").confidence, 0.6);
    assert_conf(one(lx, "stop it").confidence, 0.6); /* the category phrase "stop it" is whole */
    assert_true(one(lx, "stop").confidence == 0.0);
    stop_yes(lx, "scam");
    stop_yes(lx, "stop it");
    stop_no(lx, "it");
    lexicon_free(lx);
}

/* A lexicon from before "stop" existed loads and never reports a stop request. */
static void lexicon_without_stop_never_fires(void **state)
{
    static const char *const texts[] = {"STOP", "stop", "unsubscribe", "Отписаться!", "paid", "refund"};
    for (size_t i = 0; i < N(texts); i++)
        stop_no(small_lx, texts[i]);
    expect("refund", CAT_REFUND_RISK); /* and classifies as before */

    char err[256];
    struct lexicon *lx = load_text(STOP("{}"), err, sizeof err);
    if (!lx) fail_msg("%s", err);
    stop_no(lx, "stop");
    assert_conf(one(lx, "paid").confidence, 0.5);
    lexicon_free(lx);
    lx = load_text(STOP("{\"en\":[]}"), err, sizeof err);
    if (!lx) fail_msg("%s", err);
    stop_no(lx, "stop");
    lexicon_free(lx);
}

/* ---- the shipped lexicon ------------------------------------------------------------------- */

/* Every shipped stop phrase, sent alone or with a word around it, is a stop request; the
 * languages the shop's customers write in each have a few. */
static void shipped_stop_list_is_consistent(void **state)
{
    json_error_t je;
    json_t *root = json_load_file(real_path, 0, &je);
    assert_non_null(root);
    json_t *stop = json_object_get(root, "stop");
    assert_true(json_is_object(stop));
    static const char *const langs[] = {"en", "ru", "uk", "de", "es", "pt", "tr"};
    for (size_t l = 0; l < N(langs); l++)
        assert_true(json_array_size(json_object_get(stop, langs[l])) >= 5);
    const char *lang;
    json_t *list;
    json_object_foreach(stop, lang, list)
    {
        size_t i;
        json_t *item;
        json_array_foreach(list, i, item)
        {
            const char *text = json_string_value(item);
            char buf[256];
            stop_yes(real_lx, text);
            snprintf(buf, sizeof buf, "OK. %s!", text);
            stop_yes(real_lx, buf);
        }
    }
    json_decref(root);
}

/* Every shipped phrase, sent alone, lands in its own category; English and Russian have 30+. */
static void shipped_lexicon_is_consistent(void **state)
{
    json_error_t je;
    json_t *root = json_load_file(real_path, 0, &je);
    assert_non_null(root);
    json_t *cats = json_object_get(root, "categories");
    for (int cat = 0; cat < CAT_COUNT; cat++) {
        json_t *langs = json_object_get(cats, category_name((enum category)cat));
        assert_non_null(langs);
        assert_true(json_array_size(json_object_get(langs, "en")) >= 30);
        assert_true(json_array_size(json_object_get(langs, "ru")) >= 30);
        const char *lang;
        json_t *list;
        json_object_foreach(langs, lang, list)
        {
            size_t i;
            json_t *item;
            json_array_foreach(list, i, item)
            {
                const char *text = json_string_value(item);
                struct classification c = one(real_lx, text);
                if ((int)c.category != cat || c.confidence <= 0)
                    fail_msg("%s.%s \"%s\" came out %s", category_name((enum category)cat), lang, text,
                             category_name(c.category));
            }
        }
    }
    json_decref(root);
}

/* ---- names and determinism ----------------------------------------------------------------- */

static void names_round_trip(void **state)
{
    for (int c = 0; c < CAT_COUNT; c++)
        assert_int_equal(category_parse(category_name((enum category)c)), c);
    assert_string_equal(category_name(CAT_BUYER), "buyer");
    assert_string_equal(category_name(CAT_BROWSER), "browser");
    assert_string_equal(category_name(CAT_REFUND_RISK), "refund_risk");
    assert_string_equal(category_name((enum category)7), "unknown");
    assert_int_equal(category_parse("Buyer"), -1);
    assert_int_equal(category_parse("refund risk"), -1);
    assert_int_equal(category_parse(""), -1);
    assert_int_equal(category_parse(NULL), -1);
}

static void deterministic(void **state)
{
    char err[256];
    struct lexicon *again = lexicon_load(real_path, err, sizeof err);
    assert_non_null(again);
    const char *texts[] = {"How much?", "ок, беру", "Оплатила", "пришло сломанным, это обман", "refund!!"};
    for (size_t n = 0; n <= N(texts); n++)
        for (int paid = 0; paid < 4; paid++) {
            struct classification a = run(real_lx, paid, (int)(n % 2), texts, n);
            struct classification b = run(real_lx, paid, (int)(n % 2), texts, n);
            struct classification c = run(again, paid, (int)(n % 2), texts, n);
            assert_int_equal(a.category, b.category);
            assert_int_equal(a.category, c.category);
            assert_true(a.confidence == b.confidence && a.confidence == c.confidence);
        }
    lexicon_free(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_evidence_is_browser_zero),
        cmocka_unit_test(paid_order_is_buyer),
        cmocka_unit_test(refunded_order_is_refund_risk),
        cmocka_unit_test(refund_words_any_case),
        cmocka_unit_test(purchase_words_are_buyer),
        cmocka_unit_test(questions_are_browser),
        cmocka_unit_test(fresh_complaint_beats_orders),
        cmocka_unit_test(old_complaint_weighed_against_orders),
        cmocka_unit_test(newer_messages_weigh_more),
        cmocka_unit_test(one_message_counts_three_matches),
        cmocka_unit_test(mixed_evidence_lowers_confidence),
        cmocka_unit_test(confidence_always_in_range),
        cmocka_unit_test(bad_input_is_an_error),
        cmocka_unit_test(whole_words_only),
        cmocka_unit_test(punctuation_and_case_between_words),
        cmocka_unit_test(longest_phrase_wins),
        cmocka_unit_test(cjk_matches_inside_text),
        cmocka_unit_test(invalid_utf8_is_skipped),
        cmocka_unit_test(long_texts),
        cmocka_unit_test(load_errors),
        cmocka_unit_test(load_accepts_edge_cases),
        cmocka_unit_test(stop_requests_in_several_languages),
        cmocka_unit_test(stop_needs_a_whole_word_in_a_short_message),
        cmocka_unit_test(stop_phrases_are_not_category_evidence),
        cmocka_unit_test(lexicon_without_stop_never_fires),
        cmocka_unit_test(shipped_lexicon_is_consistent),
        cmocka_unit_test(shipped_stop_list_is_consistent),
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(deterministic),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
