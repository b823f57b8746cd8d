/* jspec — declarative parsing of JSON request bodies (STYLE §4).
 *
 * A handler lists the fields it accepts; jspec_parse checks presence, types and ranges, rejects
 * every field not in the list (so typos are not silently ignored) and reports the first problem
 * as {code, field, message}. http_parse_spec() (server.h) runs it on a request body and answers
 * the 400 itself. Outputs borrow from the json_t: they live as long as the parsed body. */
#ifndef TGR_JSPEC_H
#define TGR_JSPEC_H

#include <jansson.h>
#include <stdint.h>

#include "base/errors.h"

enum jtype { JT_END, JT_STRING, JT_INT, JT_BOOL, JT_OBJECT, JT_ARRAY, JT_ANY };

struct jfield {
    const char *name;
    enum jtype type;
    void *out;        /* const char **, int64_t *, int *, json_t ** by type */
    int optional;     /* missing is fine; *out is left as the caller initialised it */
    int nullable;     /* null is accepted and treated as missing (present is still set) */
    int64_t min, max; /* JT_INT: value range; JT_STRING: length in UTF-8 characters */
    int *present;     /* if set: 1 when the field was in the body */
};

struct jspec_error {
    enum err_code code;
    char field[128];
    char message[256];
};

/* Constructors; use them inside an automatic array: struct jfield spec[] = {JF_STRING(…), JF_END}; */
static inline struct jfield jf_make(const char *n, enum jtype t, void *o, int64_t min, int64_t max)
{
    struct jfield f = {n, t, o, 0, 0, min, max, NULL};
    return f;
}
static inline struct jfield jf_optional(struct jfield f)
{
    f.optional = 1;
    return f;
}
static inline struct jfield jf_nullable(struct jfield f)
{
    f.optional = 1;
    f.nullable = 1;
    return f;
}
static inline struct jfield jf_present(struct jfield f, int *present)
{
    f.present = present;
    return f;
}

#define JF_STRING(n, o)             jf_make((n), JT_STRING, (o), 0, 65536)
#define JF_STRING_LEN(n, o, lo, hi) jf_make((n), JT_STRING, (o), (lo), (hi))
#define JF_INT(n, o)                jf_make((n), JT_INT, (o), INT64_MIN, INT64_MAX)
#define JF_INT_RANGE(n, o, lo, hi)  jf_make((n), JT_INT, (o), (lo), (hi))
#define JF_BOOL(n, o)               jf_make((n), JT_BOOL, (o), 0, 0)
#define JF_OBJECT(n, o)             jf_make((n), JT_OBJECT, (o), 0, 0)
#define JF_ARRAY(n, o)              jf_make((n), JT_ARRAY, (o), 0, 0)
#define JF_ANY(n, o)                jf_make((n), JT_ANY, (o), 0, 0)
#define JF_OPTIONAL(f)              jf_optional(f)
#define JF_NULLABLE(f)              jf_nullable(f)
#define JF_END                      jf_make(NULL, JT_END, NULL, 0, 0)

/* Check obj against spec. prefix ("quiet_hours") names nested objects in field paths; NULL at top.
 * @return TGR_OK, or TGR_ERR with *err filled (the first problem found) */
int jspec_parse(json_t *obj, const struct jfield *spec, const char *prefix, struct jspec_error *err);

/* Parse a request body: UTF-8 JSON, duplicate keys rejected, trailing garbage rejected,
 * nesting deeper than 32 rejected.
 * @return a new reference, or NULL with *err filled (ERR_INVALID_JSON) */
json_t *jspec_load(const char *body, size_t len, struct jspec_error *err);

/* Length in UTF-8 characters (code points) of a valid UTF-8 string. */
size_t utf8_chars(const char *s);

#endif
