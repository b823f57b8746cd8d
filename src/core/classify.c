/* classify — customer categories from orders and inbound texts, and stop requests; see classify.h.
 *
 * Scoring. Every signal adds evidence E[c] to one category c, with fixed weights:
 *
 *   paid order                      2.0  to buyer
 *   refunded order                  4.0  to refund_risk (a refund is the strongest fact we have)
 *   refund/complaint phrase match   1.5  to refund_risk  } times the message's recency weight:
 *   purchase-intent phrase match    1.0  to buyer        } 1.0 for the 3 newest messages,
 *   question phrase match           0.5  to browser      } 0.5 for older ones
 *
 * A message counts at most 3 matches per category, so "refund!!!" pasted twenty times into one
 * message weighs as much as three. The category is then decided by two rules:
 *
 *   1. The category with the most evidence wins; ties go to refund_risk, then buyer, then browser.
 *      From orders alone this makes a contact refund_risk once refunded >= paid / 2.
 *   2. Open complaint: if rule 1 did not say refund_risk but the last word among the 3 newest
 *      messages is a complaint, the contact is refund_risk anyway, whatever its order history
 *      says. "The last word" is the newest of those messages with refund/complaint or purchase
 *      language; it is a complaint when its refund/complaint evidence is at least its purchase
 *      evidence ("I ordered it and it never arrived" is a complaint). So a later "received,
 *      thanks" settles a complaint, and a later price question does not. An open complaint from a
 *      regular buyer is exactly the contact a shop must not send a promotion to. A complaint
 *      older than the 3 newest messages is weighed against the orders like any other evidence.
 *
 * With no evidence at all the contact is browser with confidence 0. Otherwise
 *
 *   confidence = E[winner] / (E[all categories] + 1)
 *
 * over the evidence that made the decision (everything for rule 1, the 3 newest messages for
 * rule 2). That is the share of evidence that agrees, times T/(T+1) for the amount T of evidence:
 * one paid order gives 0.67, one refunded order 0.8, one price question 0.33, and contradicting
 * evidence pulls it down. It is > 0 whenever there is evidence, < 1 always, and never NaN.
 *
 * Matching. Texts and lexicon phrases go through the same normalizer, which splits them into
 * words: runs of letters and digits, lowercased (ASCII, Latin-1, Latin Extended-A, Greek,
 * Cyrillic), with ё folded to е because Russian writers drop the diaeresis as often as not. A
 * phrase matches a run of consecutive words of a text, so matches are whole words ("paid" is not
 * in "unpaid") and punctuation between words does not matter ("спасибо, получил" matches
 * "Спасибо получил!"). Scripts written without spaces (CJK ideographs, kana, Thai, Lao, Khmer,
 * Myanmar) make one word of each character, so a Chinese phrase matches anywhere inside Chinese
 * text, while a Latin phrase still needs its own boundaries. Which code points separate words is
 * decided by a small range table (punctuation, symbols, emoji, spaces); any other non-ASCII code
 * point counts as a letter, so scripts we do not list still work as words. Invalid UTF-8 bytes
 * separate words and are otherwise ignored.
 *
 * At each word the longest phrase starting there wins, and matching resumes after it: "not
 * received" (refund_risk) consumes "received" (buyer), and "refund policy" (browser, a question)
 * is not "refund". The loader rejects a phrase listed under two categories, since which one was
 * meant cannot be known.
 *
 * Stop requests. The lexicon's optional "stop" phrases ("unsubscribe", "отпишите меня") go into a
 * second phrase table over the same interned words, matched by the same code, so they never
 * count as category evidence and never use up a category phrase's words. classify_is_stop() reads
 * at most 9 words of a text: more than 8 words is not a stop request whatever it says, because a
 * customer who only wants to be left alone says so briefly, while "stop" inside a long message is
 * usually about something else ("the zipper won't stop breaking").
 *
 * Speed. Lexicon words are interned into a hash table at load; a text is turned into word ids in
 * one pass, and at each position only phrases that start with that word id are tried, so the
 * cost is linear in the text, not in the size of the lexicon. The loaded lexicon is read-only, so
 * any number of threads may classify with one lexicon. */
#include "core/classify.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define LEXICON_MAX_BYTES (4u << 20)
#define WORD_MAX          64 /* bytes of one normalized word, NUL included */
#define PHRASE_MAX_WORDS  8
#define STOP_MAX_WORDS    8 /* a longer message is never a stop request */

#define W_PAID_ORDER        2.0
#define W_REFUNDED_ORDER    4.0
#define FRESH_MESSAGES      3
#define OLD_MESSAGE_WEIGHT  0.5
#define MAX_MATCHES_PER_MSG 3

static const double phrase_weight[CAT_COUNT] = {
    [CAT_BROWSER] = 0.5,
    [CAT_BUYER] = 1.0,
    [CAT_REFUND_RISK] = 1.5,
};

static const char *const cat_names[CAT_COUNT] = {
    [CAT_BROWSER] = "browser",
    [CAT_BUYER] = "buyer",
    [CAT_REFUND_RISK] = "refund_risk",
};

/* ---- characters ---------------------------------------------------------------------------- */

#define BAD_CP 0xFFFFFFFFu

enum cclass { C_SEP, C_WORD, C_SINGLE };

struct crange {
    uint32_t lo, hi;
    enum cclass cls;
};

/* Non-ASCII code points that are not plain letters, sorted. Everything else >= 0x80 is a letter. */
static const struct crange cranges[] = {
    {0x0080, 0x00A9, C_SEP},      {0x00AB, 0x00B4, C_SEP},    {0x00B6, 0x00B9, C_SEP},
    {0x00BB, 0x00BF, C_SEP},      {0x00D7, 0x00D7, C_SEP},    {0x00F7, 0x00F7, C_SEP},
    {0x037E, 0x037E, C_SEP},      {0x0387, 0x0387, C_SEP},    {0x055A, 0x055F, C_SEP},
    {0x0589, 0x058A, C_SEP},      {0x05BE, 0x05BE, C_SEP},    {0x05C0, 0x05C0, C_SEP},
    {0x05C3, 0x05C3, C_SEP},      {0x05C6, 0x05C6, C_SEP},    {0x05F3, 0x05F4, C_SEP},
    {0x060C, 0x060C, C_SEP},      {0x061B, 0x061B, C_SEP},    {0x061F, 0x061F, C_SEP},
    {0x066A, 0x066D, C_SEP},      {0x06D4, 0x06D4, C_SEP},    {0x0964, 0x0965, C_SEP},
    {0x0E00, 0x0E3E, C_SINGLE},   {0x0E3F, 0x0E3F, C_SEP},    {0x0E40, 0x0E4E, C_SINGLE},
    {0x0E4F, 0x0E4F, C_SEP},      {0x0E50, 0x0E59, C_SINGLE}, {0x0E5A, 0x0E5B, C_SEP},
    {0x0E5C, 0x0EFF, C_SINGLE},   {0x1000, 0x1049, C_SINGLE}, {0x104A, 0x104F, C_SEP},
    {0x1050, 0x109F, C_SINGLE},   {0x1680, 0x1680, C_SEP},    {0x1780, 0x17D3, C_SINGLE},
    {0x17D4, 0x17DA, C_SEP},      {0x17DB, 0x17FF, C_SINGLE}, {0x180E, 0x180E, C_SEP},
    {0x2000, 0x2BFF, C_SEP},      {0x2E00, 0x2E7F, C_SEP},    {0x3000, 0x303F, C_SEP},
    {0x3040, 0x30FA, C_SINGLE},   {0x30FB, 0x30FB, C_SEP},    {0x30FC, 0x30FF, C_SINGLE},
    {0x31F0, 0x31FF, C_SINGLE},   {0x3400, 0x4DBF, C_SINGLE}, {0x4E00, 0x9FFF, C_SINGLE},
    {0xD800, 0xF8FF, C_SEP},      {0xF900, 0xFAFF, C_SINGLE}, {0xFE00, 0xFE1F, C_SEP},
    {0xFE30, 0xFE6F, C_SEP},      {0xFEFF, 0xFEFF, C_SEP},    {0xFF00, 0xFF0F, C_SEP},
    {0xFF1A, 0xFF20, C_SEP},      {0xFF3B, 0xFF40, C_SEP},    {0xFF5B, 0xFF65, C_SEP},
    {0xFF66, 0xFF9F, C_SINGLE},   {0xFFF0, 0xFFFF, C_SEP},    {0x1F000, 0x1FAFF, C_SEP},
    {0x20000, 0x3134F, C_SINGLE}, {0xE0000, 0x10FFFF, C_SEP},
};
#define N_CRANGES (sizeof cranges / sizeof cranges[0])

static enum cclass char_class(uint32_t cp)
{
    if (cp < 0x80) {
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9')) return C_WORD;
        return C_SEP;
    }
    /* Latin-1 letters through Cyrillic: the common case, no table lookup. */
    if (cp >= 0xC0 && cp < 0x0530 && cp != 0xD7 && cp != 0xF7 && cp != 0x37E && cp != 0x387) return C_WORD;
    size_t lo = 0, hi = N_CRANGES;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < cranges[mid].lo)
            hi = mid;
        else if (cp > cranges[mid].hi)
            lo = mid + 1;
        else
            return cranges[mid].cls;
    }
    return C_WORD;
}

/* Lowercase for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic; ё becomes е. */
static uint32_t fold(uint32_t cp)
{
    if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;
    if (cp == 0x130) /* Turkish dotted capital I */
        return 'i';
    if (cp == 0x178) return 0xFF;
    if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177)) return cp | 1;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return (cp & 1) ? cp + 1 : cp;
    if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 32;
    if (cp >= 0x400 && cp <= 0x40F)
        cp += 0x50;
    else if (cp >= 0x410 && cp <= 0x42F)
        cp += 0x20;
    else if ((cp >= 0x460 && cp <= 0x481) || (cp >= 0x48A && cp <= 0x4BF) || (cp >= 0x4D0 && cp <= 0x52F))
        cp |= 1;
    else if (cp == 0x4C0)
        cp = 0x4CF;
    else if (cp >= 0x4C1 && cp <= 0x4CE)
        cp = (cp & 1) ? cp + 1 : cp;
    return cp == 0x451 ? 0x435 : cp;
}

/* Decode one strict UTF-8 sequence (no overlongs, surrogates or values past U+10FFFF).
 * @return the code point and *n its length, or BAD_CP with *n = 1 */
static uint32_t decode(const unsigned char *p, const unsigned char *end, size_t *n)
{
    unsigned b = p[0];
    *n = 1;
    if (b < 0x80) return b;
    size_t len;
    uint32_t cp;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (b >= 0xC2 && b <= 0xDF) {
        len = 2;
        cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3;
        cp = b & 0x0F;
        if (b == 0xE0)
            lo = 0xA0;
        else if (b == 0xED)
            hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4;
        cp = b & 0x07;
        if (b == 0xF0)
            lo = 0x90;
        else if (b == 0xF4)
            hi = 0x8F;
    } else {
        return BAD_CP;
    }
    if ((size_t)(end - p) < len) return BAD_CP;
    if (p[1] < lo || p[1] > hi) return BAD_CP;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return BAD_CP;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    *n = len;
    return cp;
}

/* Append cp as UTF-8; on overflow set *over and leave buf as is. */
static void put(char *buf, size_t *len, int *over, uint32_t cp)
{
    unsigned char tmp[4];
    size_t n;
    if (cp < 0x80) {
        tmp[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        tmp[0] = (unsigned char)(0xC0 | (cp >> 6));
        tmp[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        tmp[0] = (unsigned char)(0xE0 | (cp >> 12));
        tmp[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        tmp[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        tmp[0] = (unsigned char)(0xF0 | (cp >> 18));
        tmp[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        tmp[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        tmp[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    if (*over || *len + n >= WORD_MAX) {
        *over = 1;
        return;
    }
    memcpy(buf + *len, tmp, n);
    *len += n;
}

struct words {
    const unsigned char *p, *end;
};

/* The next normalized word of a text into buf (WORD_MAX bytes, NUL-terminated).
 * @return 0 at the end of the text; 1 with *len set, or *len = 0 if the word was too long */
static int next_word(struct words *w, char *buf, size_t *len)
{
    size_t n;
    uint32_t cp;
    enum cclass cls;
    for (;;) {
        if (w->p >= w->end) return 0;
        cp = decode(w->p, w->end, &n);
        cls = cp == BAD_CP ? C_SEP : char_class(cp);
        if (cls != C_SEP) break;
        w->p += n;
    }
    size_t l = 0;
    int over = 0;
    put(buf, &l, &over, fold(cp));
    w->p += n;
    while (cls == C_WORD && w->p < w->end) {
        cp = decode(w->p, w->end, &n);
        if (cp == BAD_CP || char_class(cp) != C_WORD) break;
        put(buf, &l, &over, fold(cp));
        w->p += n;
    }
    buf[l] = 0;
    *len = over ? 0 : l;
    return 1;
}

/* ---- the lexicon --------------------------------------------------------------------------- */

struct word {
    uint32_t off, len, hash;
};

struct phrase {
    uint32_t w[PHRASE_MAX_WORDS]; /* word ids */
    uint8_t n;
    uint8_t cat;
    uint32_t seq; /* order in the file, for a deterministic sort and error messages */
};

/* One set of phrases over the lexicon's words, with its own first-word index. */
struct phrase_table {
    struct phrase *phrases; /* sorted by first word, then longest first */
    size_t nphrases, phrases_cap;
    uint32_t *first; /* phrases starting with word id i are [first[i], first[i + 1]) */
    size_t max_words;
};

struct lexicon {
    char *pool; /* the words' text, each NUL-terminated */
    size_t pool_len, pool_cap;
    struct word *words; /* word id i is words[i - 1]; id 0 is "not in the lexicon" */
    uint32_t nwords, words_cap;
    uint32_t *slots; /* open addressing over word ids, 0 = empty */
    uint32_t nslots;
    struct phrase_table cats; /* category evidence; phrase.cat is the category */
    struct phrase_table stop; /* opt-out requests; phrase.cat is unused (0) */
};

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static uint32_t word_find(const struct lexicon *lx, const char *s, size_t n, uint32_t h)
{
    if (!lx->nslots) return 0;
    uint32_t mask = lx->nslots - 1;
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t id = lx->slots[i];
        if (!id) return 0;
        const struct word *w = &lx->words[id - 1];
        if (w->hash == h && w->len == n && memcmp(lx->pool + w->off, s, n) == 0) return id;
    }
}

static int slots_grow(struct lexicon *lx)
{
    uint32_t nslots = lx->nslots ? lx->nslots * 2 : 256;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots) return TGR_ERR;
    for (uint32_t id = 1; id <= lx->nwords; id++) {
        uint32_t i = lx->words[id - 1].hash & (nslots - 1);
        while (slots[i])
            i = (i + 1) & (nslots - 1);
        slots[i] = id;
    }
    free(lx->slots);
    lx->slots = slots;
    lx->nslots = nslots;
    return TGR_OK;
}

/* @return the id of word s (added if new), or 0 when out of memory */
static uint32_t word_intern(struct lexicon *lx, const char *s, size_t n)
{
    uint32_t h = hash_bytes(s, n);
    uint32_t id = word_find(lx, s, n, h);
    if (id) return id;
    if ((lx->nwords + 1) * 2 > lx->nslots && slots_grow(lx) != TGR_OK) return 0;
    if (lx->nwords == lx->words_cap) {
        uint32_t cap = lx->words_cap ? lx->words_cap * 2 : 256;
        struct word *nw = realloc(lx->words, cap * sizeof *nw);
        if (!nw) return 0;
        lx->words = nw;
        lx->words_cap = cap;
    }
    if (lx->pool_len + n + 1 > lx->pool_cap) {
        size_t cap = lx->pool_cap ? lx->pool_cap * 2 : 4096;
        while (cap < lx->pool_len + n + 1)
            cap *= 2;
        char *np = realloc(lx->pool, cap);
        if (!np) return 0;
        lx->pool = np;
        lx->pool_cap = cap;
    }
    memcpy(lx->pool + lx->pool_len, s, n);
    lx->pool[lx->pool_len + n] = 0;
    lx->words[lx->nwords] = (struct word){(uint32_t)lx->pool_len, (uint32_t)n, h};
    lx->pool_len += n + 1;
    id = ++lx->nwords;
    uint32_t i = h & (lx->nslots - 1);
    while (lx->slots[i])
        i = (i + 1) & (lx->nslots - 1);
    lx->slots[i] = id;
    return id;
}

void lexicon_free(struct lexicon *lx)
{
    if (!lx) return;
    free(lx->pool);
    free(lx->words);
    free(lx->slots);
    free(lx->cats.phrases);
    free(lx->cats.first);
    free(lx->stop.phrases);
    free(lx->stop.first);
    free(lx);
}

static void fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Why a phrase could not be added, for the caller to name its place in the file. */
enum add_result { ADD_OK, ADD_NO_WORDS, ADD_TOO_MANY_WORDS, ADD_WORD_TOO_LONG, ADD_NOMEM };

static enum add_result phrase_add(struct lexicon *lx, struct phrase_table *t, const char *text, uint8_t cat)
{
    struct phrase p = {.cat = cat, .seq = (uint32_t)t->nphrases};
    struct words it = {(const unsigned char *)text, (const unsigned char *)text + strlen(text)};
    char buf[WORD_MAX];
    size_t len;
    while (next_word(&it, buf, &len)) {
        if (!len) return ADD_WORD_TOO_LONG;
        if (p.n == PHRASE_MAX_WORDS) return ADD_TOO_MANY_WORDS;
        uint32_t id = word_intern(lx, buf, len);
        if (!id) return ADD_NOMEM;
        p.w[p.n++] = id;
    }
    if (!p.n) return ADD_NO_WORDS;
    if (t->nphrases == t->phrases_cap) {
        size_t cap = t->phrases_cap ? t->phrases_cap * 2 : 256;
        struct phrase *np = realloc(t->phrases, cap * sizeof *np);
        if (!np) return ADD_NOMEM;
        t->phrases = np;
        t->phrases_cap = cap;
    }
    t->phrases[t->nphrases++] = p;
    return ADD_OK;
}

/* First word, then longest first (so the first match found is the longest), then the words. */
static int phrase_cmp(const void *a, const void *b)
{
    const struct phrase *x = a, *y = b;
    if (x->w[0] != y->w[0]) return x->w[0] < y->w[0] ? -1 : 1;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    for (size_t i = 1; i < x->n; i++)
        if (x->w[i] != y->w[i]) return x->w[i] < y->w[i] ? -1 : 1;
    if (x->seq != y->seq) return x->seq < y->seq ? -1 : 1;
    return 0;
}

static int same_words(const struct phrase *x, const struct phrase *y)
{
    return x->n == y->n && memcmp(x->w, y->w, x->n * sizeof x->w[0]) == 0;
}

/* Sort the phrases of t, drop repeats within a category, reject repeats across categories and
 * build the first-word index. texts[seq] is each phrase as written, for the error message. Call
 * it once all words are interned: the index has a slot for every word id of the lexicon. */
static int table_index(const struct lexicon *lx, struct phrase_table *t, const char *const *texts,
                       const char *path, char *err, size_t errlen)
{
    if (t->nphrases) qsort(t->phrases, t->nphrases, sizeof t->phrases[0], phrase_cmp);
    size_t out = 0;
    for (size_t i = 0; i < t->nphrases; i++) {
        const struct phrase *p = &t->phrases[i];
        if (out && same_words(&t->phrases[out - 1], p)) {
            const struct phrase *q = &t->phrases[out - 1];
            if (q->cat != p->cat) {
                fail(err, errlen, "lexicon %s: \"%s\" is listed under both %s and %s", path, texts[p->seq],
                     cat_names[q->cat], cat_names[p->cat]);
                return TGR_ERR;
            }
            continue;
        }
        t->phrases[out++] = *p;
    }
    t->nphrases = out;
    t->first = calloc((size_t)lx->nwords + 2, sizeof *t->first);
    if (!t->first) {
        fail(err, errlen, "lexicon %s: out of memory", path);
        return TGR_ERR;
    }
    t->max_words = 1;
    for (size_t i = 0; i < t->nphrases; i++) {
        t->first[t->phrases[i].w[0] + 1]++;
        if (t->phrases[i].n > t->max_words) t->max_words = t->phrases[i].n;
    }
    for (uint32_t id = 1; id <= lx->nwords + 1; id++)
        t->first[id] += t->first[id - 1];
    return TGR_OK;
}

/* Each phrase as written, indexed by its seq in its table, for the loader's error messages. */
struct texts {
    const char **v;
    size_t cap;
};

/* Add every phrase of an object of language -> array of strings to t, each with category cat.
 * where names the object in error messages ("categories.buyer", "stop"). */
static int load_phrases(struct lexicon *lx, struct phrase_table *t, json_t *obj, uint8_t cat,
                        const char *where, struct texts *tx, const char *path, char *err, size_t errlen)
{
    if (!json_is_object(obj)) {
        fail(err, errlen, "lexicon %s: %s must be an object of language -> list of phrases", path, where);
        return TGR_ERR;
    }
    const char *lang;
    json_t *list;
    json_object_foreach(obj, lang, list)
    {
        if (!json_is_array(list)) {
            fail(err, errlen, "lexicon %s: %s.%s must be an array of strings", path, where, lang);
            return TGR_ERR;
        }
        size_t i;
        json_t *item;
        json_array_foreach(list, i, item)
        {
            const char *text = json_string_value(item);
            if (!text || !*text) {
                fail(err, errlen, "lexicon %s: %s.%s[%zu] must be a non-empty string", path, where, lang, i);
                return TGR_ERR;
            }
            if (t->nphrases == tx->cap) {
                size_t cap = tx->cap ? tx->cap * 2 : 256;
                const char **nt = realloc(tx->v, cap * sizeof *nt);
                if (!nt) {
                    fail(err, errlen, "lexicon %s: out of memory", path);
                    return TGR_ERR;
                }
                tx->v = nt;
                tx->cap = cap;
            }
            tx->v[t->nphrases] = text;
            const char *why = NULL;
            switch (phrase_add(lx, t, text, cat)) {
            case ADD_OK:
                break;
            case ADD_NO_WORDS:
                why = "has no letters or digits";
                break;
            case ADD_TOO_MANY_WORDS:
                why = "has more than 8 words";
                break;
            case ADD_WORD_TOO_LONG:
                why = "has a word longer than 63 bytes";
                break;
            case ADD_NOMEM:
                fail(err, errlen, "lexicon %s: out of memory", path);
                return TGR_ERR;
            }
            if (why) {
                fail(err, errlen, "lexicon %s: %s.%s[%zu] \"%.60s\" %s", path, where, lang, i, text, why);
                return TGR_ERR;
            }
        }
    }
    return TGR_OK;
}

/* Load both tables' phrases first and index them after, so that each index covers every word id
 * (a stop phrase may add words the categories do not have, and the other way round). */
static int load_json(struct lexicon *lx, json_t *root, const char *path, char *err, size_t errlen)
{
    if (!json_is_object(root)) {
        fail(err, errlen, "lexicon %s: the top level must be an object", path);
        return TGR_ERR;
    }
    json_t *version = json_object_get(root, "version");
    if (!json_is_integer(version) || json_integer_value(version) != 1) {
        fail(err, errlen, "lexicon %s: \"version\" must be 1", path);
        return TGR_ERR;
    }
    json_t *cats = json_object_get(root, "categories");
    if (!json_is_object(cats)) {
        fail(err, errlen, "lexicon %s: \"categories\" must be an object with buyer, browser and refund_risk",
             path);
        return TGR_ERR;
    }
    const char *key;
    json_t *val;
    json_object_foreach(cats, key, val)
    {
        if (category_parse(key) < 0) {
            fail(err, errlen, "lexicon %s: unknown category \"%.60s\" (expected buyer, browser, refund_risk)",
                 path, key);
            return TGR_ERR;
        }
    }
    struct texts cat_texts = {0}, stop_texts = {0};
    int rc = TGR_OK;
    for (int c = 0; c < CAT_COUNT && rc == TGR_OK; c++) {
        json_t *obj = json_object_get(cats, cat_names[c]);
        if (!obj) {
            fail(err, errlen, "lexicon %s: categories.%s is missing", path, cat_names[c]);
            rc = TGR_ERR;
            break;
        }
        char where[64];
        snprintf(where, sizeof where, "categories.%s", cat_names[c]);
        rc = load_phrases(lx, &lx->cats, obj, (uint8_t)c, where, &cat_texts, path, err, errlen);
    }
    /* "stop" is optional: a lexicon written before it existed loads, and never detects a stop. */
    json_t *stop = json_object_get(root, "stop");
    if (rc == TGR_OK && stop)
        rc = load_phrases(lx, &lx->stop, stop, 0, "stop", &stop_texts, path, err, errlen);
    if (rc == TGR_OK) rc = table_index(lx, &lx->cats, cat_texts.v, path, err, errlen);
    if (rc == TGR_OK) rc = table_index(lx, &lx->stop, stop_texts.v, path, err, errlen);
    free(cat_texts.v);
    free(stop_texts.v);
    return rc;
}

struct lexicon *lexicon_load(const char *path, char *err, size_t errlen)
{
    if (err && errlen) err[0] = 0;
    if (!path) {
        fail(err, errlen, "lexicon: no path given");
        return NULL;
    }
    char *buf;
    size_t len;
    if (read_file(path, LEXICON_MAX_BYTES, &buf, &len) != TGR_OK) {
        if (errno == EFBIG)
            fail(err, errlen, "lexicon %s: larger than %u bytes", path, LEXICON_MAX_BYTES);
        else
            fail(err, errlen, "lexicon %s: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    if (len == 0) {
        /* Also what reading a directory gives; jansson's "expected near end of file" would puzzle. */
        free(buf);
        fail(err, errlen, "lexicon %s: empty, or not a regular file", path);
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    free(buf);
    if (!root) {
        fail(err, errlen, "lexicon %s: line %d column %d: %s", path, je.line, je.column, je.text);
        return NULL;
    }
    struct lexicon *lx = calloc(1, sizeof *lx);
    if (!lx) {
        json_decref(root);
        fail(err, errlen, "lexicon %s: out of memory", path);
        return NULL;
    }
    int rc = load_json(lx, root, path, err, errlen);
    json_decref(root);
    if (rc != TGR_OK) {
        lexicon_free(lx);
        return NULL;
    }
    return lx;
}

/* ---- classification ------------------------------------------------------------------------ */

/* The next word of a text as a lexicon word id (0 for a word the lexicon does not have).
 * @return 0 at the end of the text, else 1 */
static int next_word_id(const struct lexicon *lx, struct words *it, uint32_t *id)
{
    char buf[WORD_MAX];
    size_t len;
    if (!next_word(it, buf, &len)) return 0;
    *id = len ? word_find(lx, buf, len, hash_bytes(buf, len)) : 0;
    return 1;
}

/* The longest phrase of t starting at win[0] that fits in the nw words of win.
 * @return its length in words and *cat, or 0 */
static size_t match_at(const struct phrase_table *t, const uint32_t *win, size_t nw, uint8_t *cat)
{
    uint32_t id = win[0];
    if (!id) return 0;
    for (uint32_t i = t->first[id]; i < t->first[id + 1]; i++) {
        const struct phrase *p = &t->phrases[i];
        if (p->n > nw) continue;
        if (memcmp(p->w + 1, win + 1, (p->n - 1u) * sizeof win[0]) == 0) {
            *cat = p->cat;
            return p->n;
        }
    }
    return 0;
}

/* Count the phrase matches of one text per category (leftmost, longest, non-overlapping). */
static void scan_text(const struct lexicon *lx, const char *text, unsigned matches[CAT_COUNT])
{
    struct words it = {(const unsigned char *)text, (const unsigned char *)text + strlen(text)};
    uint32_t win[PHRASE_MAX_WORDS];
    size_t nw = 0;
    int more = 1;
    for (;;) {
        while (more && nw < lx->cats.max_words) {
            if (next_word_id(lx, &it, &win[nw]))
                nw++;
            else
                more = 0;
        }
        if (!nw) return;
        uint8_t cat = 0;
        size_t used = match_at(&lx->cats, win, nw, &cat);
        if (used)
            matches[cat]++;
        else
            used = 1;
        memmove(win, win + used, (nw - used) * sizeof win[0]);
        nw -= used;
    }
}

static enum category best_of(const double e[CAT_COUNT])
{
    /* Ties go to the category listed first. */
    static const enum category order[CAT_COUNT] = {CAT_REFUND_RISK, CAT_BUYER, CAT_BROWSER};
    enum category best = order[0];
    for (int i = 1; i < CAT_COUNT; i++)
        if (e[order[i]] > e[best]) best = order[i];
    return best;
}

int classify(const struct lexicon *lx, const struct classify_input *in, struct classification *out)
{
    if (out) {
        out->category = CAT_BROWSER;
        out->confidence = 0;
    }
    if (!lx || !in || !out || in->paid_orders < 0 || in->refunded_orders < 0 || (in->n_texts && !in->texts))
        return TGR_ERR;

    double all[CAT_COUNT] = {0}, fresh[CAT_COUNT] = {0};
    int open_complaint = 0;
    all[CAT_BUYER] = W_PAID_ORDER * in->paid_orders;
    all[CAT_REFUND_RISK] = W_REFUNDED_ORDER * in->refunded_orders;
    for (size_t i = 0; i < in->n_texts; i++) {
        const char *text = in->texts[i];
        if (!text) continue;
        unsigned matches[CAT_COUNT] = {0};
        scan_text(lx, text, matches);
        int is_fresh = in->n_texts - i <= FRESH_MESSAGES;
        double recency = is_fresh ? 1.0 : OLD_MESSAGE_WEIGHT;
        double e[CAT_COUNT];
        for (int c = 0; c < CAT_COUNT; c++) {
            unsigned m = matches[c] < MAX_MATCHES_PER_MSG ? matches[c] : MAX_MATCHES_PER_MSG;
            e[c] = m * phrase_weight[c] * recency;
            all[c] += e[c];
            if (is_fresh) fresh[c] += e[c];
        }
        if (is_fresh && (e[CAT_REFUND_RISK] > 0 || e[CAT_BUYER] > 0))
            open_complaint = e[CAT_REFUND_RISK] >= e[CAT_BUYER];
    }

    const double *used = all;
    enum category cat = best_of(all);
    if (cat != CAT_REFUND_RISK && open_complaint) {
        used = fresh;
        cat = CAT_REFUND_RISK;
    }
    double total = used[CAT_BROWSER] + used[CAT_BUYER] + used[CAT_REFUND_RISK];
    if (total <= 0) return TGR_OK; /* no evidence at all: browser, 0 */
    out->category = cat;
    out->confidence = used[cat] / (total + 1.0);
    return TGR_OK;
}

int classify_is_stop(const struct lexicon *lx, const char *text)
{
    if (!lx || !text || !lx->stop.nphrases) return 0;
    struct words it = {(const unsigned char *)text, (const unsigned char *)text + strlen(text)};
    /* One word more than a stop message may have, to tell that the text is longer; reading
     * stops there, so a long text costs no more than its first few words. */
    uint32_t ids[STOP_MAX_WORDS + 1];
    size_t n = 0;
    while (n < STOP_MAX_WORDS + 1 && next_word_id(lx, &it, &ids[n]))
        n++;
    if (n > STOP_MAX_WORDS) return 0;
    uint8_t unused;
    for (size_t i = 0; i < n; i++)
        if (match_at(&lx->stop, ids + i, n - i, &unused)) return 1;
    return 0;
}

const char *category_name(enum category c)
{
    if ((int)c < 0 || (int)c >= CAT_COUNT) return "unknown";
    return cat_names[c];
}

int category_parse(const char *s)
{
    if (!s) return -1;
    for (int c = 0; c < CAT_COUNT; c++)
        if (strcmp(s, cat_names[c]) == 0) return c;
    return -1;
}
