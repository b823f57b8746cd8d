/* classify — customer categories (buyer, browser, refund_risk) with a confidence in [0,1], from a
 * contact's orders and the texts of its inbound messages (SEED "Customer Categories"); and
 * whether one inbound message asks the shop to stop writing (DESIGN §4: a reply that says stop
 * opts the contact out of everything).
 *
 * The words that signal intent live in a data file (share/lexicon.json: per category, per
 * language, lists of words and phrases), not in code, so a shop can extend them. Matching is
 * case-insensitive for Latin and Cyrillic letters and finds whole words/phrases. The scoring
 * rules and the confidence formula are written down at the top of classify.c.
 *
 * A loaded lexicon is read-only: any number of threads may call classify() with it at once. */
#ifndef TGR_CLASSIFY_H
#define TGR_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

enum category { CAT_BROWSER = 0, CAT_BUYER = 1, CAT_REFUND_RISK = 2 };
#define CAT_COUNT 3

struct lexicon;

struct classify_input {
    int paid_orders;          /* orders with status paid */
    int refunded_orders;      /* orders with status refunded */
    const char *const *texts; /* inbound message texts, newest last; NULL entries are skipped */
    size_t n_texts;
};

struct classification {
    enum category category;
    double confidence; /* [0,1] */
};

/* Load and check a lexicon file: {"version": 1, "categories": {"buyer": {LANG: [PHRASE, ...], ...},
 * "browser": {...}, "refund_risk": {...}}, "stop": {LANG: [PHRASE, ...], ...}}. Phrases are
 * non-empty strings of at most 8 words of at most 63 bytes each; a phrase may not be listed under
 * two categories (repeats within one category are fine). "stop" is optional and held apart from
 * the categories: its phrases are never category evidence, and may also appear in a category.
 * Without it the lexicon loads and classify_is_stop() always says 0. Other top-level keys such as
 * "_comment" are ignored. At most 4 MiB.
 * @param err receives a one-line reason naming the file and the place in it (a JSON error
 *        gives line and column); may be NULL
 * @return the lexicon, to be released with lexicon_free(); or NULL with the reason in err */
struct lexicon *lexicon_load(const char *path, char *err, size_t errlen);
/* Free a lexicon from lexicon_load(); NULL is fine. */
void lexicon_free(struct lexicon *lx);

/* Classify one contact. Deterministic; never fails on odd input (invalid UTF-8 is skipped).
 * @return TGR_OK, or TGR_ERR when the input cannot be classified: a NULL argument, a negative
 *         order count, or n_texts > 0 with no texts (the caller then uses the default,
 *         browser with confidence 0, and logs it). On TGR_ERR *out, if given, already holds
 *         that default. */
int classify(const struct lexicon *lx, const struct classify_input *in, struct classification *out);

/* Whether one inbound message asks to stop messaging (an opt-out request). Deterministic; never
 * fails on odd input (invalid UTF-8 is skipped).
 *
 * The rule: the text, split into words like classify() does (case, punctuation and emoji do not
 * matter, whole words only), has at most 8 words and contains one of the lexicon's "stop"
 * phrases. So "STOP", "Stop please", "Отписаться!" and "please unsubscribe me" are stop requests,
 * while "stopwatch" (not the word "stop") and "the zipper won't stop breaking, can I return it?"
 * (9 words) are not. The length limit is what keeps a word like "stop" inside an ordinary message
 * from opting a customer out; a short message that uses a stop word for something else ("when
 * will it stop raining") still counts, which is the safe mistake for a shop to make. Scripts
 * written without spaces count one word per character (see classify.c).
 * @return 1 for a stop request; 0 otherwise, and for a NULL argument or a lexicon without "stop" */
int classify_is_stop(const struct lexicon *lx, const char *text);

/* "buyer", "browser", "refund_risk" ("unknown" for a value out of range); and back, exact
 * lowercase names only (-1 if unknown or NULL). */
const char *category_name(enum category c);
int category_parse(const char *s);

#endif
