/* classify — customer categories (buyer, browser, refund_risk) with a confidence in [0,1], from a
 * contact's orders and the texts of its inbound messages (SEED "Customer Categories").
 *
 * The words that signal intent live in a data file (data/lexicon.json: per category, per
 * language, lists of words and phrases), not in code, so a shop can extend them. Matching is
 * case-insensitive for Latin and Cyrillic letters and finds whole words/phrases. */
#ifndef TGR_CLASSIFY_H
#define TGR_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

enum category { CAT_BROWSER = 0, CAT_BUYER = 1, CAT_REFUND_RISK = 2 };
#define CAT_COUNT 3

struct lexicon;

struct classify_input {
    int paid_orders;     /* orders with status paid */
    int refunded_orders; /* orders with status refunded */
    const char *const *texts; /* inbound message texts, newest last */
    size_t n_texts;
};

struct classification {
    enum category category;
    double confidence; /* [0,1] */
};

/* Load and check a lexicon file.
 * @return the lexicon, or NULL with a one-line reason in err */
struct lexicon *lexicon_load(const char *path, char *err, size_t errlen);
void lexicon_free(struct lexicon *lx);

/* Classify one contact. Deterministic; never fails on odd input (invalid UTF-8 is skipped).
 * @return TGR_OK, or TGR_ERR when the input cannot be classified (the caller then uses
 *         the default, browser with confidence 0, and logs it) */
int classify(const struct lexicon *lx, const struct classify_input *in, struct classification *out);

/* "buyer", "browser", "refund_risk"; and back (-1 if unknown). */
const char *category_name(enum category c);
int category_parse(const char *s);

#endif
