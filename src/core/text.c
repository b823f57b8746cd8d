/* text — the pieces of reading a message template that need no parser state (core/render.c
 * holds the parser): UTF-8 decoding and encoding, UTF-16 lengths (Telegram counts entity offsets
 * in UTF-16 units), HTML character references and the rule a link's URL must follow. */
#include "core/text.h"

#include "core/render.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- UTF-8 ---- */

/* Decode one sequence at s[0..n), n >= 1. Returns its length with *cp set; for an invalid
 * sequence returns the length of its longest valid prefix (at least 1) with *cp = BAD_CP, so a
 * caller replacing bad input with U+FFFD follows Unicode's "maximal subpart" practice. */
size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        v = c & 0x0F;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        v = c & 0x07;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
        *cp = BAD_CP;
        return 1;
    }
    for (size_t k = 1; k <= need; k++) {
        if (k >= n || s[k] < lo || s[k] > hi) {
            *cp = BAD_CP;
            return k;
        }
        v = (v << 6) | (s[k] & 0x3F);
        lo = 0x80;
        hi = 0xBF;
    }
    *cp = v;
    return need + 1;
}

size_t utf8_put(uint32_t cp, char *b)
{
    if (cp < 0x80) {
        b[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (char)(0xF0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

int32_t utf16_length(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    int64_t units = 0;
    if (!s) return len ? -1 : 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += utf8_next(u + i, len - i, &cp);
        if (cp == BAD_CP) return -1;
        units += cp >= 0x10000 ? 2 : 1;
        if (units > INT32_MAX) return -1;
    }
    return (int32_t)units;
}

/* ---- character references ---- */

/* The character reference at s[i] == '&': REF_OK with its UTF-8 in b (*blen bytes) and its
 * template length in *used; REF_NONE when the '&' is a literal one; REF_BAD for a well-formed
 * numeric reference to something that is not a Unicode scalar value (or is NUL). */
enum ref charref(const unsigned char *s, size_t n, size_t i, char b[4], size_t *blen, size_t *used)
{
    static const struct {
        const char *ref, *utf8;
    } named[] = {
        {"&lt;", "<"},    {"&gt;", ">"},   {"&amp;", "&"},
        {"&quot;", "\""}, {"&apos;", "'"}, {"&nbsp;", "\xC2\xA0"},
    };
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++) {
        size_t rl = strlen(named[k].ref);
        if (n - i >= rl && !memcmp(s + i, named[k].ref, rl)) {
            *blen = strlen(named[k].utf8);
            memcpy(b, named[k].utf8, *blen);
            *used = rl;
            return REF_OK;
        }
    }
    size_t j = i + 1;
    if (j >= n || s[j] != '#') return REF_NONE;
    j++;
    bool hex = j < n && (s[j] == 'x' || s[j] == 'X');
    if (hex) j++;
    size_t digits = 0;
    uint32_t v = 0;
    bool big = false;
    for (; j < n; j++, digits++) {
        unsigned d;
        unsigned char c = s[j];
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (hex && c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (hex && c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            break;
        if (!big) v = v * (hex ? 16 : 10) + d;
        if (v > 0x10FFFF) big = true;
    }
    if (!digits || j >= n || s[j] != ';') return REF_NONE;
    *used = j + 1 - i;
    if (big || v == 0 || (v >= 0xD800 && v <= 0xDFFF)) return REF_BAD;
    *blen = utf8_put(v, b);
    return REF_OK;
}

static bool is_url_space(uint32_t cp)
{
    return cp <= 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0xA0) || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
           (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || cp == 0xFEFF;
}

bool text_prefix_ci(const char *s, size_t len, const char *pre)
{
    size_t pl = strlen(pre);
    if (len < pl) return false;
    for (size_t k = 0; k < pl; k++) {
        char c = s[k];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != pre[k]) return false;
    }
    return true;
}

/* Why url (decoded, valid UTF-8) may not be a link target, or NULL when it may. Only absolute
 * http(s) URLs with a host and tg:// URLs pass: anything a client could run or resolve against
 * something else (javascript:, data:, relative paths, "//host") is refused, as is whitespace
 * anywhere, which browsers strip in ways that hide the real scheme. */
const char *url_problem(const char *url, size_t len)
{
    const unsigned char *u = (const unsigned char *)url;
    if (len > MAX_URL) return "link is longer than 2048 bytes";
    for (size_t k = 0; k < len;) {
        uint32_t cp;
        k += utf8_next(u + k, len - k, &cp);
        if (is_url_space(cp)) return "link must not contain spaces or control characters";
        if (cp == '\\' || cp == '<' || cp == '>' || cp == '"' || cp == '`')
            return "link must not contain \\ < > \" or `";
    }
    if (text_prefix_ci(url, len, "tg://")) return len > 5 ? NULL : "link must be an http(s):// or tg:// URL";
    size_t k;
    if (text_prefix_ci(url, len, "http://"))
        k = 7;
    else if (text_prefix_ci(url, len, "https://"))
        k = 8;
    else
        return "link must be an http(s):// or tg:// URL";
    size_t end = k;
    while (end < len && url[end] != '/' && url[end] != '?' && url[end] != '#')
        end++;
    if (memchr(url + k, '@', end - k)) return "link must not contain a user name or password";
    size_t host_end;
    if (k < end && url[k] == '[') {
        host_end = k + 1;
        while (host_end < end && (strchr("0123456789abcdefABCDEF:.", url[host_end])))
            host_end++;
        if (host_end >= end || url[host_end] != ']' || host_end == k + 1) return "link has an invalid host";
        host_end++;
    } else {
        host_end = k;
        while (host_end < end && url[host_end] != ':') {
            unsigned char c = u[host_end];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '.' || c == '_' || c >= 0x80))
                return "link has an invalid host";
            host_end++;
        }
        if (host_end == k) return "link has no host";
    }
    if (host_end < end) {
        if (url[host_end] != ':' || host_end + 1 == end) return "link has an invalid host";
        for (size_t q = host_end + 1; q < end; q++)
            if (url[q] < '0' || url[q] > '9') return "link has an invalid port";
    }
    return NULL;
}
