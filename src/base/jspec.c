/* jspec — the JSON body spec parser; see jspec.h. */
#include "base/jspec.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"

#define JSPEC_MAX_DEPTH 32

static int fail(struct jspec_error *err, enum err_code code, const char *prefix, const char *name,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail(struct jspec_error *err, enum err_code code, const char *prefix, const char *name,
                const char *fmt, ...)
{
    err->code = code;
    if (prefix && *prefix)
        snprintf(err->field, sizeof err->field, "%s.%.64s", prefix, name);
    else
        snprintf(err->field, sizeof err->field, "%.64s", name);
    char tail[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tail, sizeof tail, fmt, ap);
    va_end(ap);
    snprintf(err->message, sizeof err->message, "%s %s", err->field, tail);
    return TGR_ERR;
}

size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

static const char *type_name(enum jtype t)
{
    switch (t) {
    case JT_STRING:
        return "a string";
    case JT_INT:
        return "an integer";
    case JT_BOOL:
        return "true or false";
    case JT_OBJECT:
        return "an object";
    case JT_ARRAY:
        return "an array";
    default:
        return "a value";
    }
}

static int type_ok(json_t *v, enum jtype t)
{
    switch (t) {
    case JT_STRING:
        return json_is_string(v);
    case JT_INT:
        return json_is_integer(v);
    case JT_BOOL:
        return json_is_boolean(v);
    case JT_OBJECT:
        return json_is_object(v);
    case JT_ARRAY:
        return json_is_array(v);
    default:
        return 1;
    }
}

int jspec_parse(json_t *obj, const struct jfield *spec, const char *prefix, struct jspec_error *err)
{
    if (!json_is_object(obj)) {
        err->code = ERR_VALIDATION;
        snprintf(err->field, sizeof err->field, "%s", prefix ? prefix : "");
        snprintf(err->message, sizeof err->message, "%s must be a JSON object",
                 prefix && *prefix ? prefix : "the body");
        return TGR_ERR;
    }
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        int known = 0;
        for (const struct jfield *f = spec; f->type != JT_END; f++)
            if (strcmp(f->name, key) == 0) known = 1;
        if (!known) return fail(err, ERR_VALIDATION, prefix, key, "is not a known field");
    }
    for (const struct jfield *f = spec; f->type != JT_END; f++) {
        json_t *v = json_object_get(obj, f->name);
        if (f->present) *f->present = v != NULL;
        if (!v || (json_is_null(v) && f->nullable)) {
            if (!f->optional) return fail(err, ERR_VALIDATION, prefix, f->name, "is required");
            continue;
        }
        if (!type_ok(v, f->type))
            return fail(err, ERR_VALIDATION, prefix, f->name, "must be %s", type_name(f->type));
        switch (f->type) {
        case JT_STRING: {
            const char *s = json_string_value(v);
            if (strlen(s) != json_string_length(v))
                return fail(err, ERR_VALIDATION, prefix, f->name, "must not contain NUL characters");
            size_t n = utf8_chars(s);
            if ((int64_t)n < f->min)
                return fail(err, ERR_VALIDATION, prefix, f->name,
                            f->min == 1 ? "must not be empty" : "must be at least %lld characters",
                            (long long)f->min);
            if ((int64_t)n > f->max)
                return fail(err, ERR_VALIDATION, prefix, f->name, "must be at most %lld characters",
                            (long long)f->max);
            *(const char **)f->out = s;
            break;
        }
        case JT_INT: {
            json_int_t i = json_integer_value(v);
            if (i < f->min || i > f->max)
                return fail(err, ERR_VALIDATION, prefix, f->name, "must be between %lld and %lld",
                            (long long)f->min, (long long)f->max);
            *(int64_t *)f->out = i;
            break;
        }
        case JT_BOOL:
            *(int *)f->out = json_is_true(v);
            break;
        default:
            *(json_t **)f->out = v;
            break;
        }
    }
    return TGR_OK;
}

static int depth_ok(json_t *v, int depth)
{
    if (depth > JSPEC_MAX_DEPTH) return 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c)
        {
            if (!depth_ok(c, depth + 1)) return 0;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        {
            if (!depth_ok(c, depth + 1)) return 0;
        }
    }
    return 1;
}

json_t *jspec_load(const char *body, size_t len, struct jspec_error *err)
{
    json_error_t je;
    json_t *j = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &je);
    err->field[0] = 0;
    err->code = ERR_INVALID_JSON;
    if (!j) {
        /* jansson's text may quote the token it choked on ("… near 'x'"); that part is cut so
         * that no piece of the body (a password, say) is echoed back or logged. */
        char *near = strstr(je.text, " near ");
        if (near) *near = 0;
        snprintf(err->message, sizeof err->message, "the body is not valid JSON: %s (line %d, column %d)",
                 je.text, je.line, je.column);
        return NULL;
    }
    if (!depth_ok(j, 0)) {
        json_decref(j);
        snprintf(err->message, sizeof err->message, "the body nests deeper than %d levels", JSPEC_MAX_DEPTH);
        return NULL;
    }
    return j;
}
