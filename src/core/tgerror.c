/* tgerror — lookups into the Telegram error registry of tgerror.h, and its JSON form. */
#include "core/tgerror.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct tg_error registry[] = {
#define X(code, cls, mark, words, explain) {#code, TGE_##cls, TGM_##mark, words, explain},
    TG_ERRORS(X)
#undef X
};

/* A class or a mark: its wire name and what it does. */
struct named {
    const char *name, *what;
};
#define NAMED(id, name, what) [id] = {name, what},
static const struct named classes[] = {TG_ERROR_CLASSES(NAMED)};
static const struct named marks[] = {TG_CONTACT_MARKS(NAMED)};
#undef NAMED

#define N_ERRORS (sizeof registry / sizeof registry[0])

static const struct tg_error *exact(const char *code, size_t len)
{
    for (size_t i = 0; i < N_ERRORS; i++)
        if (strlen(registry[i].code) == len && memcmp(registry[i].code, code, len) == 0) return &registry[i];
    return NULL;
}

const struct tg_error *tgerror_find(const char *code, int *number)
{
    if (!code) return NULL;
    size_t len = strlen(code);
    const struct tg_error *t = exact(code, len);
    if (t) return t;
    /* "FLOOD_WAIT_37", "ALLOW_PAYMENT_REQUIRED_50": a listed code, "_", 1 to 9 digits. */
    size_t digits = 0;
    while (digits < len && code[len - 1 - digits] >= '0' && code[len - 1 - digits] <= '9')
        digits++;
    if (digits == 0 || digits > 9 || digits + 1 >= len || code[len - 1 - digits] != '_') return NULL;
    t = exact(code, len - 1 - digits);
    if (!t) return NULL;
    if (number) {
        int n = 0;
        for (size_t i = len - digits; i < len; i++)
            n = n * 10 + (code[i] - '0');
        *number = n;
    }
    return t;
}

enum tg_error_class tgerror_class(const char *code, int *number)
{
    const struct tg_error *t = tgerror_find(code, number);
    return t ? t->cls : TG_ERROR_DEFAULT_CLASS;
}

int tgerror_is_personal(const char *code)
{
    const struct tg_error *t = tgerror_find(code, NULL);
    return t && (t->cls == TGE_RECIPIENT_PERMANENT || t->cls == TGE_RECIPIENT_CHARGES);
}

static const struct named own[] = {
#define X(code, words, explain) {#code, explain},
    TG_OWN_REASONS(X)
#undef X
};
static const char *const own_words[] = {
#define X(code, words, explain) words,
    TG_OWN_REASONS(X)
#undef X
};

const char *tgerror_explain(const char *code)
{
    const struct tg_error *t = tgerror_find(code, NULL);
    if (t) return t->explain;
    for (size_t i = 0; code && i < sizeof own / sizeof own[0]; i++)
        if (strcmp(own[i].name, code) == 0) return own[i].what;
    return NULL;
}

int tgerror_is_session_dead(const char *code)
{
    return tgerror_class(code, NULL) == TGE_SESSION_DEAD;
}

const char *tgerror_class_name(enum tg_error_class c)
{
    return (unsigned)c < TGE__COUNT ? classes[c].name : "?";
}

const char *tgerror_mark_name(enum tg_contact_mark m)
{
    return (unsigned)m < TGM__COUNT ? marks[m].name : "?";
}

size_t tgerror_count(void)
{
    return N_ERRORS;
}

const struct tg_error *tgerror_at(size_t i)
{
    return i < N_ERRORS ? &registry[i] : NULL;
}

/* `"key": value,` on one line (jansson's default separators) into f, so the file has one line
 * per code and a change to the list is a one-line diff. Takes the reference to value. */
static int put(FILE *f, const char *indent, const char *key, json_t *value, int last)
{
    json_t *jk = json_string(key);
    char *ks = jk ? json_dumps(jk, JSON_ENCODE_ANY) : NULL;
    char *vs = value ? json_dumps(value, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER) : NULL;
    int ok = ks && vs && fprintf(f, "%s%s: %s%s\n", indent, ks, vs, last ? "" : ",") > 0;
    free(ks);
    free(vs);
    json_decref(jk);
    json_decref(value);
    return ok;
}

char *tgerror_registry_json(void)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f) return NULL;
    int ok = fputs("{\n", f) >= 0;
    ok = ok && put(f, "  ", "_comment",
                   json_string("Generated from src/core/tgerror.h by `make telegram-errors`; do not edit "
                               "(unit.test_tgerror fails while this file differs from the C list). Read "
                               "by bridge/protocol.mjs and web/src/results/format.ts. A code not listed "
                               "has the class default_class; a code followed by _N (N a number: seconds "
                               "to wait, stars to pay) has the entry of the code without it."),
                   0);
    ok = ok && put(f, "  ", "version", json_integer(2), 0);
    ok = ok && put(f, "  ", "default_class", json_string(tgerror_class_name(TG_ERROR_DEFAULT_CLASS)), 0);
    ok = ok && fputs("  \"classes\": {\n", f) >= 0;
    for (int c = 0; ok && c < TGE__COUNT; c++)
        ok = put(f, "    ", classes[c].name, json_string(classes[c].what), c == TGE__COUNT - 1);
    ok = ok && fputs("  },\n  \"marks\": {\n", f) >= 0;
    for (int m = TGM_NONE + 1; ok && m < TGM__COUNT; m++)
        ok = put(f, "    ", marks[m].name, json_string(marks[m].what), m == TGM__COUNT - 1);
    ok = ok && fputs("  },\n  \"errors\": {\n", f) >= 0;
    for (size_t i = 0; ok && i < N_ERRORS; i++) {
        const struct tg_error *t = &registry[i];
        json_t *mark = t->mark == TGM_NONE ? json_null() : json_string(marks[t->mark].name);
        ok = put(f, "    ", t->code,
                 json_pack("{s:s, s:o, s:s, s:s}", "class", classes[t->cls].name, "mark", mark, "words",
                           t->words, "explain", t->explain),
                 i == N_ERRORS - 1);
    }
    ok = ok && fputs("  },\n  \"own\": {\n", f) >= 0;
    for (size_t i = 0; ok && i < sizeof own / sizeof own[0]; i++)
        ok = put(f, "    ", own[i].name,
                 json_pack("{s:s, s:s}", "words", own_words[i], "explain", own[i].what),
                 i == sizeof own / sizeof own[0] - 1);
    ok = ok && fputs("  }\n}\n", f) >= 0;
    if (fclose(f) != 0) ok = 0;
    if (!ok) {
        free(text);
        return NULL;
    }
    return text;
}
