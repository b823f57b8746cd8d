/* fuzz_fastclick — the fast path's request parser (http/fastclick.c: fastclick_parse, run on the
 * bytes peeked from every connection before a byte is consumed). The input is the socket's bytes,
 * copied into a buffer of exactly their length (capped at FASTCLICK_BUF, as the peek is) so a read
 * past them is caught; inputs run to 64 KiB, well past the buffer. Checks: a click's length is
 * within the bytes and ends its header block; its code is one of the code's characters, its
 * User-Agent inside the bytes and free of line breaks, its X-Forwarded-For NUL-terminated and
 * within its cap; "more" only while the bytes are shorter than the buffer; the verdict on a click
 * is the same whatever follows it (a pipelined request does not change how the first is read),
 * and the same on its bytes alone. */
#include "fuzz.h"
#include "http/fastclick.h"

static enum fastclick_verdict parse_copy(const uint8_t *data, size_t n, struct fastclick_req *r)
{
    char *buf = malloc(n ? n : 1);
    if (!buf) abort();
    if (n) memcpy(buf, data, n);
    enum fastclick_verdict v = fastclick_parse(buf, n, r);
    /* Pointers into buf are checked by the caller against data's offsets. */
    if (r->ua) r->ua = (const char *)data + (r->ua - buf);
    free(buf);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = size < FASTCLICK_BUF ? size : FASTCLICK_BUF;
    static struct fastclick_req r, again;
    enum fastclick_verdict v = parse_copy(data, n, &r);
    FUZZ_CHECK(v == FASTCLICK_MINE || v == FASTCLICK_MORE || v == FASTCLICK_OTHER);
    if (v == FASTCLICK_MORE) FUZZ_CHECK(n < FASTCLICK_BUF);
    if (v != FASTCLICK_MINE) return 0;
    FUZZ_CHECK(r.len >= 4 && r.len <= n && memcmp(data + r.len - 4, "\r\n\r\n", 4) == 0);
    size_t cl = strnlen(r.code, sizeof r.code);
    FUZZ_CHECK(cl > 0 && cl < sizeof r.code);
    for (size_t i = 0; i < cl; i++)
        FUZZ_CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", r.code[i]));
    FUZZ_CHECK(memcmp(data, r.head ? "HEAD /t/" : "GET /t/", r.head ? 8 : 7) == 0);
    if (r.ua) {
        FUZZ_CHECK((const uint8_t *)r.ua > data && (const uint8_t *)r.ua + r.ua_len <= data + r.len);
        FUZZ_CHECK(!memchr(r.ua, '\r', r.ua_len) && !memchr(r.ua, '\n', r.ua_len));
    }
    FUZZ_CHECK(r.xff.len < sizeof r.xff.text && strlen(r.xff.text) == r.xff.len);
    FUZZ_CHECK(!r.xff.seen || r.xff.len > 0 || r.xff.text[0] == 0);
    /* The click alone reads the same. */
    FUZZ_CHECK(parse_copy(data, r.len, &again) == FASTCLICK_MINE);
    FUZZ_CHECK(again.len == r.len && again.head == r.head && again.http10 == r.http10 &&
               again.conn == r.conn);
    FUZZ_CHECK(strcmp(again.code, r.code) == 0 && again.ua_len == r.ua_len && again.xff.len == r.xff.len);
    FUZZ_CHECK(fastclick_keep_alive(&r) == 0 || fastclick_keep_alive(&r) == 1);
    return 0;
}
