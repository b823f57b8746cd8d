/* text — UTF-8, UTF-16 lengths, HTML character references and the URL rule of links, for the
 * message templates of core/render.c. Layer: core. */
#ifndef TGR_TEXT_H
#define TGR_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BAD_CP  UINT32_MAX /* what utf8_next gives for an invalid sequence */
#define MAX_URL 2048       /* bytes of a link's URL at most */

/* Decode one sequence at s[0..n), n >= 1. @return its length with *cp set; for an invalid
 * sequence the length of its longest valid prefix (at least 1) with *cp = BAD_CP */
size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp);
/* Encode cp (a scalar value) into b (4 bytes of room). @return its length */
size_t utf8_put(uint32_t cp, char *b);

/* Does s[0..len) start with pre, ASCII letters in any case? */
bool text_prefix_ci(const char *s, size_t len, const char *pre);

enum ref { REF_NONE, REF_OK, REF_BAD };
/* The character reference at s[i] == '&' of s[0..n): REF_OK with its UTF-8 in b (*blen bytes) and
 * its length in the template in *used; REF_NONE for a literal '&'; REF_BAD for a well-formed
 * numeric reference to something that is not a Unicode scalar value (or is NUL). */
enum ref charref(const unsigned char *s, size_t n, size_t i, char b[4], size_t *blen, size_t *used);

/* Why url[0..len) cannot be a link's target (a sentence), or NULL when it can: http(s) or tg://
 * with a host, no spaces, at most MAX_URL bytes. */
const char *url_problem(const char *url, size_t len);

#endif
