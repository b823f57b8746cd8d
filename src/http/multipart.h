/* multipart — a strict parser of multipart/form-data bodies held in memory (RFC 7578), enough
 * for POST /media/upload: find one named field and return its bytes without copying. */
#ifndef TGR_MULTIPART_H
#define TGR_MULTIPART_H

#include <stddef.h>

struct multipart_part {
    const char *data; /* points into the body */
    size_t len;
    char filename[256]; /* as sent (informational only; never trusted) */
    char content_type[128];
};

/* Extract the boundary parameter from a Content-Type header value
 * ("multipart/form-data; boundary=----abc" or with a quoted boundary). The type must be
 * multipart/form-data; the boundary 1..70 characters of RFC 2046's bchars, not ending in a space.
 * @return TGR_OK with boundary (cap >= 71) or TGR_ERR */
int multipart_boundary(const char *content_type, char *boundary, size_t cap);

/* Find the part whose Content-Disposition is form-data with name="field" (matched exactly).
 * The whole body is checked up to the closing --boundary--, which is required: CRLF line endings
 * outside part data, at most 32 parts, at most 8 KiB of headers per part (multipart.c has the
 * grammar). out->data points into body, so body must outlive its use.
 * @return TGR_OK with *out filled, or TGR_ERR with a one-line reason in err (malformed body,
 *         field missing, field given twice, more than 32 parts); *out is zeroed then */
int multipart_find(const char *body, size_t len, const char *boundary, const char *field,
                   struct multipart_part *out, char *err, size_t errlen);

#endif
