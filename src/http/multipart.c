/* multipart — a strict multipart/form-data parser over a body held in memory; see multipart.h.
 *
 * Grammar (RFC 2046 §5.1.1, RFC 7578), as enforced here:
 *
 *   body      := [preamble CRLF] "--" boundary padding CRLF part
 *                *(CRLF "--" boundary padding CRLF part)
 *                CRLF "--" boundary "--" [epilogue]
 *   padding   := *(SP / HT)
 *   part      := *(header CRLF) CRLF data
 *
 * The first delimiter may also start the body (no preamble, no CRLF before it). Every line
 * ending outside part data must be CRLF: a bare LF there is reported as "line endings must be
 * CRLF", a bare CR as a malformed header. Part data is opaque and may hold any bytes, including
 * CR, LF, "--" and any prefix of the boundary; it ends only at the full sequence
 * CRLF "--" boundary, which must then be followed by "--" (the end) or padding and CRLF (another
 * part) -- anything else there means the boundary occurs inside the data, and the body is
 * refused rather than guessed at.
 *
 * Limits: at most MP_PARTS_MAX parts; the header block of each part (all its header lines and
 * the empty line) at most MP_HEADERS_MAX bytes; boundary 1..70 characters from RFC 2046's
 * bchars, not ending in a space. Each part needs Content-Disposition: form-data with a name
 * parameter (RFC 7578 §4.2); Content-Disposition and Content-Type may each appear once;
 * Content-Transfer-Encoding, if present, must be an identity encoding (7bit, 8bit, binary);
 * other part headers are ignored; folded header lines are refused.
 *
 * Quoted parameter values accept the quoted-pairs \" and \\; a backslash before anything else
 * is kept literally, because browsers send filenames unescaped (a Windows path keeps its
 * backslashes) while curl escapes quote and backslash. filename* (RFC 5987) is ignored, as
 * RFC 7578 §4.2 asks senders not to use it.
 *
 * The whole body is checked, up to the closing delimiter, before the answer is given: a body
 * that is cut short or malformed after the wanted field is still refused. Part data is never
 * copied; out->data points into the body. */
#include "http/multipart.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"

#define MP_PARTS_MAX    32
#define MP_HEADERS_MAX  8192
#define MP_BOUNDARY_MAX 70
#define MP_NAME_MAX     256

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return TGR_ERR;
}

/* RFC 7230 tchar */
static int is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 2046 bchars, without the space */
static int is_bchar_nospace(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
    return c != '\0' && strchr("'()+_,-./:=?", c) != NULL;
}

static int boundary_valid(const char *b, size_t n)
{
    if (n < 1 || n > MP_BOUNDARY_MAX || b[n - 1] == ' ') return 0;
    for (size_t i = 0; i < n; i++)
        if (b[i] != ' ' && !is_bchar_nospace((unsigned char)b[i])) return 0;
    return 1;
}

static int is_ctl(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

static const char *skip_ows(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* Copy at most cap-1 bytes of src (n bytes) into dst, not splitting a UTF-8 sequence. */
static void copy_trunc(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* One parameter value at *pp: a quoted-string or, unquoted, a run of characters up to ';',
 * whitespace or end (ok(c) says which characters may appear). The decoded value goes to out
 * (cap bytes; *len gets the full decoded length, which may exceed cap-1: then out is cut).
 * @return 0, or -1 when malformed */
static int param_value(const char **pp, const char *end, int (*ok)(unsigned char), char *out, size_t cap,
                       size_t *len)
{
    const char *p = *pp;
    size_t n = 0;
    if (p < end && *p == '"') {
        p++;
        for (;;) {
            if (p >= end) return -1; /* unterminated */
            unsigned char c = (unsigned char)*p;
            if (c == '"') break;
            if (c == '\\' && p + 1 < end && (p[1] == '"' || p[1] == '\\')) {
                p++;
                c = (unsigned char)*p;
            } else if (is_ctl(c)) {
                return -1;
            }
            if (n + 1 < cap) out[n] = (char)c;
            n++;
            p++;
        }
        p++; /* closing quote */
    } else {
        while (p < end && *p != ';' && *p != ' ' && *p != '\t') {
            if (!ok((unsigned char)*p)) return -1;
            if (n + 1 < cap) out[n] = *p;
            n++;
            p++;
        }
        if (n == 0) return -1;
    }
    if (cap) out[n < cap ? n : cap - 1] = '\0';
    *len = n;
    *pp = p;
    return 0;
}

static int is_unquoted_boundary_char(unsigned char c)
{
    return is_tchar(c) || is_bchar_nospace(c);
}

/* Callback of params(): one parameter. @return 0 to go on, -1 to stop with an error. */
typedef int (*param_fn)(void *ctx, const char *name, size_t nlen, const char **pp, const char *end);

/* Walk the parameters after a media type or disposition type: *(OWS ";" OWS name "=" value) OWS.
 * A trailing ";" is tolerated. @return 0, or -1 when malformed or fn refused */
static int params(const char *p, const char *end, param_fn fn, void *ctx)
{
    for (;;) {
        p = skip_ows(p, end);
        if (p == end) return 0;
        if (*p != ';') return -1;
        p = skip_ows(p + 1, end);
        if (p == end) return 0;
        const char *name = p;
        while (p < end && is_tchar((unsigned char)*p))
            p++;
        if (p == name || p == end || *p != '=') return -1;
        size_t nlen = (size_t)(p - name);
        p++;
        if (fn(ctx, name, nlen, &p, end) != 0) return -1;
    }
}

static int name_is(const char *name, size_t nlen, const char *want)
{
    return strlen(want) == nlen && strncasecmp(name, want, nlen) == 0;
}

/* A media type or disposition type at the start of [p, end) equal to want (ASCII case-insensitive),
 * followed by whitespace, ';' or the end. @return the position after it, or NULL */
static const char *match_type(const char *p, const char *end, const char *want)
{
    size_t n = strlen(want);
    p = skip_ows(p, end);
    if ((size_t)(end - p) < n || strncasecmp(p, want, n) != 0) return NULL;
    p += n;
    if (p < end && *p != ';' && *p != ' ' && *p != '\t') return NULL;
    return p;
}

struct ct_ctx {
    char boundary[MP_BOUNDARY_MAX + 2];
    size_t blen;
    int seen;
};

static int ct_param(void *ctx, const char *name, size_t nlen, const char **pp, const char *end)
{
    struct ct_ctx *c = ctx;
    char scratch[2];
    size_t len;
    if (!name_is(name, nlen, "boundary"))
        return param_value(pp, end, is_tchar, scratch, sizeof scratch, &len);
    if (c->seen) return -1;
    c->seen = 1;
    if (param_value(pp, end, is_unquoted_boundary_char, c->boundary, sizeof c->boundary, &c->blen) != 0)
        return -1;
    return c->blen > MP_BOUNDARY_MAX ? -1 : 0;
}

int multipart_boundary(const char *content_type, char *boundary, size_t cap)
{
    if (!content_type || !boundary || cap < MP_BOUNDARY_MAX + 1) return TGR_ERR;
    boundary[0] = '\0';
    const char *end = content_type + strlen(content_type);
    const char *p = match_type(content_type, end, "multipart/form-data");
    if (!p) return TGR_ERR;
    struct ct_ctx c = {.seen = 0};
    if (params(p, end, ct_param, &c) != 0 || !c.seen || !boundary_valid(c.boundary, c.blen)) return TGR_ERR;
    memcpy(boundary, c.boundary, c.blen + 1);
    return TGR_OK;
}

/* What one part's headers said. */
struct part {
    int has_disposition;
    int has_type;
    int has_name;
    int has_filename;
    char name[MP_NAME_MAX];
    size_t name_len;
    char filename[256];
    char content_type[128];
    const char *reason; /* why a parameter was refused */
};

static int cd_param(void *ctx, const char *name, size_t nlen, const char **pp, const char *end)
{
    struct part *pt = ctx;
    char scratch[2];
    size_t len;
    if (name_is(name, nlen, "name")) {
        if (pt->has_name) {
            pt->reason = "name given twice in Content-Disposition";
            return -1;
        }
        pt->has_name = 1;
        if (param_value(pp, end, is_tchar, pt->name, sizeof pt->name, &pt->name_len) != 0) return -1;
        if (pt->name_len >= sizeof pt->name) {
            pt->reason = "field name too long";
            return -1;
        }
        return 0;
    }
    if (name_is(name, nlen, "filename")) {
        if (pt->has_filename) {
            pt->reason = "filename given twice in Content-Disposition";
            return -1;
        }
        pt->has_filename = 1;
        /* Informational only, so a long one is cut (at a UTF-8 boundary), not refused. */
        char full[1024];
        if (param_value(pp, end, is_tchar, full, sizeof full, &len) != 0) return -1;
        copy_trunc(pt->filename, sizeof pt->filename, full, strlen(full));
        return 0;
    }
    return param_value(pp, end, is_tchar, scratch, sizeof scratch, &len);
}

/* One header line [p, end) of a part (no CRLF). @return 0, or -1 with *why set */
static int part_header(struct part *pt, const char *p, const char *end, const char **why)
{
    const char *name = p;
    while (p < end && is_tchar((unsigned char)*p))
        p++;
    if (p == name || p == end || *p != ':') {
        *why = "malformed part header";
        return -1;
    }
    size_t nlen = (size_t)(p - name);
    const char *v = skip_ows(p + 1, end);
    const char *vend = end;
    while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
        vend--;
    for (const char *q = v; q < vend; q++) {
        if (is_ctl((unsigned char)*q)) {
            *why = "control character in part header";
            return -1;
        }
    }

    if (name_is(name, nlen, "Content-Disposition")) {
        if (pt->has_disposition) {
            *why = "Content-Disposition given twice in one part";
            return -1;
        }
        pt->has_disposition = 1;
        const char *q = match_type(v, vend, "form-data");
        if (!q) {
            *why = "part Content-Disposition is not form-data";
            return -1;
        }
        if (params(q, vend, cd_param, pt) != 0) {
            *why = pt->reason ? pt->reason : "malformed Content-Disposition";
            return -1;
        }
        if (!pt->has_name) {
            *why = "part Content-Disposition without a name";
            return -1;
        }
        return 0;
    }
    if (name_is(name, nlen, "Content-Type")) {
        if (pt->has_type) {
            *why = "Content-Type given twice in one part";
            return -1;
        }
        pt->has_type = 1;
        if ((size_t)(vend - v) >= sizeof pt->content_type) {
            *why = "part Content-Type too long";
            return -1;
        }
        memcpy(pt->content_type, v, (size_t)(vend - v));
        pt->content_type[vend - v] = '\0';
        return 0;
    }
    if (name_is(name, nlen, "Content-Transfer-Encoding")) {
        size_t n = (size_t)(vend - v);
        if (!((n == 4 && strncasecmp(v, "7bit", 4) == 0) || (n == 4 && strncasecmp(v, "8bit", 4) == 0) ||
              (n == 6 && strncasecmp(v, "binary", 6) == 0))) {
            *why = "unsupported Content-Transfer-Encoding in part";
            return -1;
        }
    }
    return 0;
}

/* The header block of a part starting at p. On success *data is where the part's data begins.
 * @return TGR_OK or TGR_ERR with err filled */
static int part_headers(struct part *pt, const char *p, const char *end, const char **data, char *err,
                        size_t errlen)
{
    size_t avail = (size_t)(end - p);
    const char *limit = p + (avail < MP_HEADERS_MAX ? avail : MP_HEADERS_MAX);
    for (;;) {
        const char *e = p;
        while (e < limit && *e != '\r' && *e != '\n')
            e++;
        if (e < limit && *e == '\n')
            return fail(err, errlen, "line endings must be CRLF, found a bare LF in part headers");
        if (e + 1 >= limit) {
            if (limit == end) return fail(err, errlen, "body ends inside part headers");
            return fail(err, errlen, "part headers longer than %d bytes", MP_HEADERS_MAX);
        }
        if (e[1] != '\n') return fail(err, errlen, "bare CR in part headers");
        if (e == p) {
            *data = e + 2;
            return TGR_OK;
        }
        /* Checked before the line is parsed: a folded line would otherwise be judged cut short. */
        if (*p == ' ' || *p == '\t' || (e + 2 < end && (e[2] == ' ' || e[2] == '\t')))
            return fail(err, errlen, "folded part header lines are not allowed");
        const char *why = NULL;
        if (part_header(pt, p, e, &why) != 0) return fail(err, errlen, "%s", why);
        p = e + 2;
    }
}

static int find_field(const char *body, size_t len, const char *boundary, const char *field,
                      struct multipart_part *out, char *err, size_t errlen)
{
    size_t blen = boundary ? strlen(boundary) : 0;
    if (!boundary_valid(boundary, blen)) return fail(err, errlen, "invalid multipart boundary");
    if (!field) return fail(err, errlen, "no field name given");
    if (!body && len > 0) return fail(err, errlen, "no body");
    if (!body) body = "";

    /* delim is CRLF "--" boundary; dash (delim + 2) is the form that may start the body. */
    char delim[4 + MP_BOUNDARY_MAX + 1];
    size_t dlen = 4 + blen;
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary, blen + 1);
    const char *end = body + len;

    const char *p; /* at "--" boundary */
    if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0) {
        p = body;
    } else {
        const char *q = memmem(body, len, delim, dlen);
        if (!q) {
            if (memmem(body, len, delim + 1, dlen - 1))
                return fail(err, errlen, "line endings must be CRLF, found a bare LF before the boundary");
            return fail(err, errlen, "multipart boundary not found in body");
        }
        p = q + 2;
    }

    int parts = 0, found = 0;
    for (;;) {
        const char *q = p + dlen - 2;
        if (end - q >= 2 && q[0] == '-' && q[1] == '-') break; /* close delimiter; the epilogue is ignored */
        q = skip_ows(q, end);
        if (q < end && *q == '\n')
            return fail(err, errlen, "line endings must be CRLF, found a bare LF after the boundary");
        if (q == end) return fail(err, errlen, "body ends without the closing boundary");
        if (end - q < 2 || q[0] != '\r' || q[1] != '\n')
            return fail(err, errlen, "malformed boundary line (boundary occurs inside part data?)");
        q += 2;
        if (++parts > MP_PARTS_MAX) return fail(err, errlen, "more than %d parts", MP_PARTS_MAX);

        struct part pt;
        const char *data = NULL;
        memset(&pt, 0, sizeof pt);
        if (part_headers(&pt, q, end, &data, err, errlen) != TGR_OK) return TGR_ERR;
        if (!pt.has_disposition) return fail(err, errlen, "part %d has no Content-Disposition", parts);
        const char *next = memmem(data, (size_t)(end - data), delim, dlen);
        if (!next) return fail(err, errlen, "body ends without the closing boundary");
        if (strcmp(pt.name, field) == 0 && pt.name_len == strlen(field)) {
            if (found) return fail(err, errlen, "field \"%s\" given twice", field);
            found = 1;
            out->data = data;
            out->len = (size_t)(next - data);
            memcpy(out->filename, pt.filename, sizeof out->filename);
            memcpy(out->content_type, pt.content_type, sizeof out->content_type);
        }
        p = next + 2;
    }
    if (!found) return fail(err, errlen, "field \"%s\" missing", field);
    return TGR_OK;
}

int multipart_find(const char *body, size_t len, const char *boundary, const char *field,
                   struct multipart_part *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int rc = find_field(body, len, boundary, field, out, err, errlen);
    if (rc != TGR_OK) memset(out, 0, sizeof *out);
    return rc;
}

/* ---- the streaming reader ------------------------------------------------------------------ */

enum {
    MS_PREAMBLE,   /* looking for the first delimiter (which may start the body) */
    MS_AFTER,      /* right after a delimiter: "--" (the end), or padding and CRLF */
    MS_AFTER_DASH, /* one '-' seen after a delimiter */
    MS_PAD,        /* padding after a delimiter */
    MS_PAD_CR,     /* CR after a delimiter */
    MS_HEADERS,    /* a part's header block */
    MS_DATA,       /* a part's data */
    MS_DONE,       /* after the closing delimiter: the epilogue is ignored */
    MS_FAILED,
};

static int ms_fail(struct multipart_stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int ms_fail(struct multipart_stream *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    s->state = MS_FAILED;
    return TGR_ERR;
}

int multipart_stream_init(struct multipart_stream *s, const char *boundary, const char *field,
                          int (*sink)(void *ctx, const void *p, size_t n), void *ctx)
{
    memset(s, 0, sizeof *s);
    s->sink = sink;
    s->ctx = ctx;
    size_t blen = boundary ? strlen(boundary) : 0;
    if (!boundary_valid(boundary, blen)) return ms_fail(s, "invalid multipart boundary");
    if (!field || strlen(field) >= sizeof s->field) return ms_fail(s, "no field name given");
    memcpy(s->delim, "\r\n--", 4);
    memcpy(s->delim + 4, boundary, blen + 1);
    s->dlen = 4 + blen;
    snprintf(s->field, sizeof s->field, "%s", field);
    s->state = MS_PREAMBLE;
    s->m = 2; /* the body may start with "--" boundary: as if a CRLF came before it */
    return TGR_OK;
}

/* Data bytes of the current part: to the sink when it is the wanted field. */
static int ms_emit(struct multipart_stream *s, const void *p, size_t n)
{
    if (!n || !s->in_field) return TGR_OK;
    if (s->sink(s->ctx, p, n) != 0) return ms_fail(s, "cannot store the upload");
    return TGR_OK;
}

/* The header block in s->hdr is complete: parse it and start the part's data. */
static int ms_headers_done(struct multipart_stream *s)
{
    struct part pt;
    const char *data = NULL;
    memset(&pt, 0, sizeof pt);
    if (part_headers(&pt, s->hdr, s->hdr + s->hlen, &data, s->err, sizeof s->err) != TGR_OK) {
        s->state = MS_FAILED;
        return TGR_ERR;
    }
    if (!pt.has_disposition) return ms_fail(s, "part %d has no Content-Disposition", s->parts);
    s->in_field = strcmp(pt.name, s->field) == 0 && pt.name_len == strlen(s->field);
    if (s->in_field) {
        if (s->found) return ms_fail(s, "field \"%s\" given twice", s->field);
        s->found = 1;
        memcpy(s->part.filename, pt.filename, sizeof s->part.filename);
        memcpy(s->part.content_type, pt.content_type, sizeof s->part.content_type);
    }
    s->state = MS_DATA;
    s->m = 0;
    return TGR_OK;
}

/* Part data from p: everything up to the next delimiter. Bytes that may begin the delimiter are
 * held (they are always delim[0..m), since a boundary has no CR, only a CR can start a match)
 * until a mismatch shows they were data. p[run..i) is data not yet emitted.
 * @return bytes used (all of them unless the delimiter ended inside the piece) */
static size_t ms_data(struct multipart_stream *s, const unsigned char *p, size_t n)
{
    size_t i = 0, run = 0;
    while (i < n) {
        if (s->m == 0) {
            const unsigned char *cr = memchr(p + i, '\r', n - i);
            if (!cr) {
                i = n;
                break;
            }
            i = (size_t)(cr - p);
            if (ms_emit(s, p + run, i - run) != TGR_OK) return n;
            s->m = 1;
            run = ++i;
            continue;
        }
        if ((unsigned char)s->delim[s->m] == p[i]) {
            run = ++i;
            if (++s->m == s->dlen) {
                s->m = 0;
                s->state = MS_AFTER;
                return i;
            }
            continue;
        }
        /* Mismatch: what was held is data; p[i] is looked at again with nothing held. */
        if (ms_emit(s, s->delim, s->m) != TGR_OK) return n;
        s->m = 0;
        run = i;
    }
    if (ms_emit(s, p + run, i - run) != TGR_OK) return n;
    return n;
}

int multipart_stream_feed(struct multipart_stream *s, const void *data, size_t n)
{
    const unsigned char *p = data;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        switch (s->state) {
        case MS_FAILED:
            return TGR_ERR;
        case MS_DONE:
            return TGR_OK;
        case MS_PREAMBLE:
            /* As in data, but nothing is kept. */
            if ((unsigned char)s->delim[s->m] == c) {
                if (++s->m == s->dlen) {
                    s->m = 0;
                    s->state = MS_AFTER;
                }
            } else {
                s->m = c == '\r' ? 1 : 0;
            }
            i++;
            break;
        case MS_AFTER:
            if (c == '-')
                s->state = MS_AFTER_DASH;
            else if (c == ' ' || c == '\t')
                s->state = MS_PAD;
            else if (c == '\r')
                s->state = MS_PAD_CR;
            else if (c == '\n')
                return ms_fail(s, "line endings must be CRLF, found a bare LF after the boundary");
            else
                return ms_fail(s, "malformed boundary line (boundary occurs inside part data?)");
            i++;
            break;
        case MS_AFTER_DASH:
            if (c != '-') return ms_fail(s, "malformed boundary line (boundary occurs inside part data?)");
            s->state = MS_DONE;
            return TGR_OK;
        case MS_PAD:
            if (c == '\r')
                s->state = MS_PAD_CR;
            else if (c == '\n')
                return ms_fail(s, "line endings must be CRLF, found a bare LF after the boundary");
            else if (c != ' ' && c != '\t')
                return ms_fail(s, "malformed boundary line (boundary occurs inside part data?)");
            i++;
            break;
        case MS_PAD_CR:
            if (c != '\n') return ms_fail(s, "malformed boundary line (boundary occurs inside part data?)");
            if (++s->parts > MP_PARTS_MAX) return ms_fail(s, "more than %d parts", MP_PARTS_MAX);
            s->state = MS_HEADERS;
            s->hlen = 0;
            i++;
            break;
        case MS_HEADERS: {
            /* Up to the blank line that ends the block, which must fit in hdr. */
            s->hdr[s->hlen++] = (char)c;
            i++;
            int done = (s->hlen == 2 && memcmp(s->hdr, "\r\n", 2) == 0) ||
                       (s->hlen >= 4 && memcmp(s->hdr + s->hlen - 4, "\r\n\r\n", 4) == 0);
            if (done) {
                if (ms_headers_done(s) != TGR_OK) return TGR_ERR;
            } else if (s->hlen == sizeof s->hdr) {
                /* Let the parser say what is wrong when it can (a bare LF, a bad header). */
                const char *d;
                struct part pt;
                memset(&pt, 0, sizeof pt);
                if (part_headers(&pt, s->hdr, s->hdr + s->hlen, &d, s->err, sizeof s->err) == TGR_OK ||
                    strstr(s->err, "ends inside"))
                    snprintf(s->err, sizeof s->err, "part headers longer than %d bytes", MP_HEADERS_MAX);
                s->state = MS_FAILED;
                return TGR_ERR;
            }
            break;
        }
        case MS_DATA:
            i += ms_data(s, p + i, n - i);
            if (s->state == MS_FAILED) return TGR_ERR;
            break;
        }
    }
    return s->state == MS_FAILED ? TGR_ERR : TGR_OK;
}

int multipart_stream_finish(struct multipart_stream *s)
{
    switch (s->state) {
    case MS_FAILED:
        return TGR_ERR;
    case MS_DONE:
        if (!s->found) return ms_fail(s, "field \"%s\" missing", s->field);
        return TGR_OK;
    case MS_PREAMBLE:
        return ms_fail(s, "multipart boundary not found in body");
    case MS_HEADERS:
        return ms_fail(s, "body ends inside part headers");
    default:
        return ms_fail(s, "body ends without the closing boundary");
    }
}
