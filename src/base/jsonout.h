/* jsonout — a JSON value written as compact text, byte for byte what jansson's
 * json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(10)) writes, at a fraction of its cost.
 *
 * Why: every JSON reply goes through one dump, and jansson's costs about 100 instructions a byte
 * (a callback per piece, an snprintf per integer, a UTF-8 walk per string): a quarter of GET
 * /campaigns/:id/analytics and of a page of results per person (issue 21 item 5, DECISIONS 80).
 * Here strings are copied in runs between the characters that need escaping (jansson's strings
 * are valid UTF-8 already), integers are written digit by digit, objects in jansson's insertion
 * order. Reals follow jansson's jsonp_dtostr (%.10g, a ".0" when it would read as an integer, the
 * exponent without '+' or leading zeros). tests/unit/test_jsonout.c holds it to jansson. */
#ifndef TGR_JSONOUT_H
#define TGR_JSONOUT_H

#include <jansson.h>
#include <stddef.h>

#define JSONOUT_MAX   (256u << 20) /* the text's cap: past it, jsonout_dumps fails */
#define JSONOUT_DEPTH 2048         /* jansson's own nesting limit */

/* The compact text of v, NUL-terminated; *len (may be NULL) its length.
 * @return a malloc'd string the caller frees, or NULL (no memory, over JSONOUT_MAX or
 *         JSONOUT_DEPTH, or a value jansson would not write either, as a NaN) */
char *jsonout_dumps(const json_t *v, size_t *len);

/* A text written piece by piece, without a jansson value to hold it first (the engine's send
 * requests, DECISIONS 99): start from struct jsonout o = {0}; a piece that fails (no memory, over
 * JSONOUT_MAX, a string that is not valid UTF-8 — what jansson's json_string refuses) fails the
 * text, and jsonout_end then returns NULL. */
struct jsonout {
    char *p;
    size_t len, cap;
    int failed;
};
void jsonout_raw(struct jsonout *o, const char *s); /* as it is: punctuation, quoted keys */
void jsonout_str(struct jsonout *o, const char *s); /* a string value, escaped as jansson does */
void jsonout_int(struct jsonout *o, long long v);
void jsonout_value(struct jsonout *o, const json_t *v); /* as jsonout_dumps writes it */
/* @return the text, NUL-terminated (*len its length; the caller frees), or NULL when a piece
 *         failed; o is empty again either way */
char *jsonout_end(struct jsonout *o, size_t *len);

#endif
