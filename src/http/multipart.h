/* multipart — a strict parser of multipart/form-data bodies (RFC 7578), enough for
 * POST /media/upload: find one named field. Two readers of one grammar: multipart_find over a
 * body held in memory (no copy), and multipart_stream, which takes the body in pieces as they
 * arrive and hands the field's bytes to a sink, holding at most one part's headers in memory.
 * The fuzzer holds the two to the same verdict and the same bytes. */
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

/* The streaming reader. Feed the body in pieces of any size (a delimiter or a header block may
 * be split anywhere), then finish. The wanted field's data goes to sink as it is recognised, in
 * order; bytes that might begin a delimiter are held back until they are known to be data (at
 * most 74 bytes). Refusals are the same as multipart_find's (the messages may differ where the
 * stream cannot look ahead). Memory: the struct itself (about 9 KiB), nothing allocated. */
struct multipart_stream {
    int state;
    char delim[4 + 70 + 1]; /* CRLF "--" boundary */
    size_t dlen, m;         /* delimiter length; bytes of it matched so far */
    char field[256];
    int parts, found, in_field;
    char hdr[8192];
    size_t hlen;
    struct multipart_part part; /* filename and content type of the field once found (data NULL) */
    int (*sink)(void *ctx, const void *p, size_t n);
    void *ctx;
    char err[200];
};

/* Start reading a body with this boundary (from multipart_boundary) for field; sink(ctx, p, n)
 * returns 0, or -1 to stop the reading (multipart_stream_feed then fails with "cannot store").
 * @return TGR_OK, or TGR_ERR (invalid boundary or field; s->err says why) */
int multipart_stream_init(struct multipart_stream *s, const char *boundary, const char *field,
                          int (*sink)(void *ctx, const void *p, size_t n), void *ctx);
/* The next piece of the body. @return TGR_OK, or TGR_ERR with s->err set (then and afterwards
 * nothing more reaches the sink) */
int multipart_stream_feed(struct multipart_stream *s, const void *p, size_t n);
/* The body is complete. @return TGR_OK when it was well formed up to the closing delimiter and
 * held the field exactly once (s->part has its filename and content type), else TGR_ERR with
 * s->err set */
int multipart_stream_finish(struct multipart_stream *s);

#endif
