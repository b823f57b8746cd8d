/* jsonout — compact JSON text of a jansson value; see jsonout.h. */
#include "base/jsonout.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static int grow(struct jsonout *o, size_t more)
{
    if (o->failed) return -1;
    if (o->len + more + 1 <= o->cap) return 0;
    size_t cap = o->cap ? o->cap : 1024;
    while (cap < o->len + more + 1)
        cap *= 2;
    if (cap > JSONOUT_MAX) {
        if (o->len + more + 1 > JSONOUT_MAX) {
            o->failed = 1;
            return -1;
        }
        cap = JSONOUT_MAX;
    }
    char *p = realloc(o->p, cap);
    if (!p) {
        o->failed = 1;
        return -1;
    }
    o->p = p;
    o->cap = cap;
    return 0;
}

static void put(struct jsonout *o, const char *s, size_t n)
{
    if (grow(o, n) != 0) return;
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void put_c(struct jsonout *o, char c)
{
    if (grow(o, 1) != 0) return;
    o->p[o->len++] = c;
}

static void put_int(struct jsonout *o, json_int_t v)
{
    char d[24];
    int i = (int)sizeof d;
    /* As unsigned, so that the most negative value has its digits too. */
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        d[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) d[--i] = '-';
    put(o, d + i, sizeof d - (size_t)i);
}

/* jansson's jsonp_dtostr with precision 10. @return 0, or -1 for a value JSON has no text for */
static int put_real(struct jsonout *o, double v)
{
    if (isnan(v) || isinf(v)) return -1;
    char b[64];
    int n = snprintf(b, sizeof b, "%.*g", 10, v);
    if (n < 0 || (size_t)n >= sizeof b - 3) return -1;
    size_t len = (size_t)n;
    for (size_t i = 0; i < len; i++) /* a locale's decimal comma, as jansson's from_locale */
        if (b[i] == ',') b[i] = '.';
    if (!strchr(b, '.') && !strchr(b, 'e')) {
        b[len++] = '.';
        b[len++] = '0';
        b[len] = 0;
    }
    char *start = strchr(b, 'e');
    if (start) {
        start++;
        char *end = start + 1;
        if (*start == '-') start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, len - (size_t)(end - b) + 1);
            len -= (size_t)(end - start);
        }
    }
    put(o, b, len);
    return 0;
}

/* A string as jansson writes it: ", \ and control characters escaped, the rest as it is. */
static void put_string(struct jsonout *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    put_c(o, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(o, s + run, i - run);
        run = i + 1;
        char e[6] = {'\\', 0};
        size_t k = 2;
        switch (c) {
        case '"':
            e[1] = '"';
            break;
        case '\\':
            e[1] = '\\';
            break;
        case '\b':
            e[1] = 'b';
            break;
        case '\f':
            e[1] = 'f';
            break;
        case '\n':
            e[1] = 'n';
            break;
        case '\r':
            e[1] = 'r';
            break;
        case '\t':
            e[1] = 't';
            break;
        default:
            memcpy(e + 1, "u00", 3);
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            k = 6;
        }
        put(o, e, k);
    }
    put(o, s + run, n - run);
    put_c(o, '"');
}

static int put_value(struct jsonout *o, const json_t *v, int depth)
{
    if (depth > JSONOUT_DEPTH) return -1;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *x;
        int first = 1;
        put_c(o, '{');
        json_object_foreach((json_t *)v, key, x)
        {
            if (!first) put_c(o, ',');
            first = 0;
            put_string(o, key, strlen(key));
            put_c(o, ':');
            if (put_value(o, x, depth + 1) != 0) return -1;
        }
        put_c(o, '}');
        return 0;
    }
    case JSON_ARRAY: {
        put_c(o, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i) put_c(o, ',');
            if (put_value(o, json_array_get(v, i), depth + 1) != 0) return -1;
        }
        put_c(o, ']');
        return 0;
    }
    case JSON_STRING:
        put_string(o, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        put_int(o, json_integer_value(v));
        return 0;
    case JSON_REAL:
        return put_real(o, json_real_value(v));
    case JSON_TRUE:
        put(o, "true", 4);
        return 0;
    case JSON_FALSE:
        put(o, "false", 5);
        return 0;
    case JSON_NULL:
        put(o, "null", 4);
        return 0;
    }
    return -1;
}

char *jsonout_dumps(const json_t *v, size_t *len)
{
    struct jsonout o = {0};
    if (!v || put_value(&o, v, 1) != 0 || grow(&o, 0) != 0) {
        free(o.p);
        return NULL;
    }
    o.p[o.len] = 0;
    if (len) *len = o.len;
    return o.p;
}

/* ---- piece by piece ---------------------------------------------------------------------- */

void jsonout_raw(struct jsonout *o, const char *s)
{
    put(o, s, strlen(s));
}

/* Valid UTF-8 as jansson's json_string requires it. */
static int utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0, k; i < n; i += k)
        if (!(k = s[i] < 0x80 ? 1 : utf8_seq(s + i, n - i))) return 0;
    return 1;
}

void jsonout_str(struct jsonout *o, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!s || !utf8_valid((const unsigned char *)s, n)) {
        o->failed = 1;
        return;
    }
    put_string(o, s, n);
}

void jsonout_int(struct jsonout *o, long long v)
{
    put_int(o, (json_int_t)v);
}

void jsonout_value(struct jsonout *o, const json_t *v)
{
    if (!v || put_value(o, v, 1) != 0) o->failed = 1;
}

char *jsonout_end(struct jsonout *o, size_t *len)
{
    char *p = NULL;
    if (grow(o, 0) == 0) {
        o->p[o->len] = 0;
        p = o->p;
        if (len) *len = o->len;
    } else {
        free(o->p);
    }
    memset(o, 0, sizeof *o);
    return p;
}
