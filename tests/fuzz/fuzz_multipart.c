/* fuzz_multipart — multipart/form-data bodies (http/multipart.c). Input: a Content-Type header
 * value, a newline, then the body; when the header gives no usable boundary the body is read
 * with a fixed one. Checks that a found field's data lies inside the body, right after the blank
 * line that ends its headers and right before CRLF "--" boundary; that names are NUL-terminated;
 * and that a refusal zeroes the part and says why. The streaming reader (multipart_stream) is fed
 * the same body in pieces of sizes drawn from the input and must reach the same verdict and hand
 * over the same bytes. */
#include "base/util.h"
#include "fuzz.h"
#include "http/multipart.h"

static void find(const char *body, size_t len, const char *boundary, const char *field)
{
    struct multipart_part part;
    char err[200];
    err[0] = 0;
    memset(&part, 0xA5, sizeof part);
    if (multipart_find(body, len, boundary, field, &part, err, sizeof err) != TGR_OK) {
        FUZZ_CHECK(err[0] != 0 && memchr(err, 0, sizeof err));
        FUZZ_CHECK(part.data == NULL && part.len == 0 && part.filename[0] == 0 && part.content_type[0] == 0);
        return;
    }
    size_t blen = strlen(boundary);
    FUZZ_CHECK(part.data >= body + 4 && part.len <= len && part.data <= body + len - part.len);
    FUZZ_CHECK(memcmp(part.data - 4, "\r\n\r\n", 4) == 0 ||
               (part.data - 2 >= body && memcmp(part.data - 2, "\r\n", 2) == 0));
    const char *after = part.data + part.len;
    FUZZ_CHECK((size_t)(body + len - after) >= 4 + blen);
    FUZZ_CHECK(memcmp(after, "\r\n--", 4) == 0 && memcmp(after + 4, boundary, blen) == 0);
    FUZZ_CHECK(memchr(part.filename, 0, sizeof part.filename) != NULL);
    FUZZ_CHECK(memchr(part.content_type, 0, sizeof part.content_type) != NULL);
}

struct collected {
    char *buf;
    size_t len, cap;
};

static int collect(void *ctx, const void *p, size_t n)
{
    struct collected *c = ctx;
    FUZZ_CHECK(n > 0 && c->len + n <= c->cap);
    memcpy(c->buf + c->len, p, n);
    c->len += n;
    return 0;
}

/* Stream body in pieces (sizes 1..64 cycling from a seed) and compare with multipart_find. */
static void stream(const char *body, size_t len, const char *boundary, const char *field, unsigned seed)
{
    struct multipart_part part;
    char err[200];
    int want = multipart_find(body, len, boundary, field, &part, err, sizeof err);
    struct collected c = {malloc(len + 1), 0, len};
    if (!c.buf) abort();
    static struct multipart_stream s; /* 9 KiB: off the fuzzer's stack */
    int rc = multipart_stream_init(&s, boundary, field, collect, &c);
    size_t off = 0;
    while (rc == TGR_OK && off < len) {
        size_t piece = 1 + (seed = seed * 1103515245u + 12345u) % 64;
        if (piece > len - off) piece = len - off;
        rc = multipart_stream_feed(&s, body + off, piece);
        off += piece;
    }
    if (rc == TGR_OK) rc = multipart_stream_finish(&s);
    FUZZ_CHECK(rc == want);
    if (rc == TGR_OK) {
        FUZZ_CHECK(c.len == part.len && memcmp(c.buf, part.data, part.len) == 0);
        FUZZ_CHECK(strcmp(s.part.filename, part.filename) == 0);
    } else {
        FUZZ_CHECK(s.err[0] != 0);
    }
    free(c.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *ctype = fuzz_take(&data, &size, '\n');
    char boundary[71];
    memset(boundary, 0x5A, sizeof boundary);
    if (multipart_boundary(ctype, boundary, sizeof boundary) == TGR_OK) {
        size_t n = strnlen(boundary, sizeof boundary);
        FUZZ_CHECK(n >= 1 && n <= 70 && boundary[n - 1] != ' ');
    } else {
        snprintf(boundary, sizeof boundary, "%s", "----tgrfuzz");
    }
    /* The body in a buffer of its own size, so any read past it is caught. */
    char *body = malloc(size ? size : 1);
    if (!body) abort();
    if (size) memcpy(body, data, size);
    find(body, size, boundary, "file");
    find(body, size, boundary, "name");
    stream(body, size, boundary, "file", (unsigned)size);
    free(body);
    free(ctype);
    return 0;
}
