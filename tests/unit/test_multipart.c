/* test_multipart — the multipart/form-data parser: boundary from Content-Type, finding a field,
 * binary data that looks like a boundary, and every malformed body we refuse. Every body given
 * to multipart_find here is also fed to the streaming reader, whole, one byte at a time and in
 * 7-byte pieces, which must agree on the verdict and the bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "http/multipart.h"

#define B "----tgrBoundary7MA4YWxk"

/* A growable byte buffer, so that bodies may hold NULs. */
struct body {
    char *p;
    size_t n;
};

static void add(struct body *b, const void *data, size_t n)
{
    b->p = realloc(b->p, b->n + n + 1);
    assert_non_null(b->p);
    memcpy(b->p + b->n, data, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void adds(struct body *b, const char *s)
{
    add(b, s, strlen(s));
}

static void add_field(struct body *b, const char *boundary, const char *name, const char *value)
{
    adds(b, "--");
    adds(b, boundary);
    adds(b, "\r\nContent-Disposition: form-data; name=\"");
    adds(b, name);
    adds(b, "\"\r\n\r\n");
    adds(b, value);
    adds(b, "\r\n");
}

static void add_close(struct body *b, const char *boundary)
{
    adds(b, "--");
    adds(b, boundary);
    adds(b, "--\r\n");
}

struct sunk {
    char *p;
    size_t n;
};

static int sink(void *ctx, const void *p, size_t n)
{
    struct sunk *k = ctx;
    k->p = realloc(k->p, k->n + n + 1);
    assert_non_null(k->p);
    memcpy(k->p + k->n, p, n);
    k->n += n;
    return 0;
}

/* The streaming reader on body in pieces of `piece` bytes (0: whole) must match rc/out. */
static void stream_agrees(const char *body, size_t len, const char *field, int rc,
                          const struct multipart_part *out, size_t piece)
{
    static struct multipart_stream s;
    struct sunk k = {NULL, 0};
    int got = multipart_stream_init(&s, B, field, sink, &k);
    for (size_t off = 0; got == TGR_OK && off < len;) {
        size_t n = piece && piece < len - off ? piece : len - off;
        got = multipart_stream_feed(&s, body + off, n);
        off += n;
    }
    if (got == TGR_OK) got = multipart_stream_finish(&s);
    if (got != rc)
        fail_msg("streaming reader (pieces of %zu) says %d, multipart_find %d (%s)", piece, got, rc, s.err);
    if (rc == TGR_OK) {
        assert_int_equal(k.n, out->len);
        assert_memory_equal(k.p ? k.p : "", out->data, out->len);
        assert_string_equal(s.part.filename, out->filename);
        assert_string_equal(s.part.content_type, out->content_type);
    } else {
        assert_true(s.err[0] != 0);
    }
    free(k.p);
}

static void streams_agree(const char *body, size_t len, const char *field, int rc,
                          const struct multipart_part *out)
{
    stream_agrees(body, len, field, rc, out, 0);
    stream_agrees(body, len, field, rc, out, 1);
    stream_agrees(body, len, field, rc, out, 7);
}

static int find(const struct body *b, const char *field, struct multipart_part *out, char *err, size_t errlen)
{
    int rc = multipart_find(b->p, b->n, B, field, out, err, errlen);
    streams_agree(b->p, b->n, field, rc, out);
    return rc;
}

/* The body must be refused with a reason that contains want. */
static void refused(const char *body, size_t len, const char *field, const char *want)
{
    struct multipart_part out;
    char err[256] = "";
    if (len == 0) len = strlen(body);
    assert_int_equal(multipart_find(body, len, B, field, &out, err, sizeof err), TGR_ERR);
    streams_agree(body, len, field, TGR_ERR, &out);
    if (!strstr(err, want)) fail_msg("error \"%s\" does not mention \"%s\"", err, want);
    assert_null(out.data);
    assert_int_equal(out.len, 0);
}

/* --- multipart_boundary --- */

static void boundary_plain_and_quoted(void **st)
{
    char b[71];
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=" B, b, sizeof b), TGR_OK);
    assert_string_equal(b, B);
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=\"" B "\"", b, sizeof b), TGR_OK);
    assert_string_equal(b, B);
    /* Quoted boundaries may hold the bchars a token cannot, spaces included (not last). */
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=\"a b:c/d=e?(f)\"", b, sizeof b),
                     TGR_OK);
    assert_string_equal(b, "a b:c/d=e?(f)");
    /* Case-insensitive type and parameter names, other parameters, whitespace. */
    assert_int_equal(
        multipart_boundary("Multipart/Form-Data;charset=utf-8;  BOUNDARY=xyz ; x=\"y;z\"", b, sizeof b),
        TGR_OK);
    assert_string_equal(b, "xyz");
    /* 70 characters is the most RFC 2046 allows. */
    char ct[200], b70[71];
    memset(b70, 'a', 70);
    b70[70] = '\0';
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", b70);
    assert_int_equal(multipart_boundary(ct, b, sizeof b), TGR_OK);
    assert_string_equal(b, b70);
}

static void boundary_refused(void **st)
{
    char b[71];
    static const char *const bad[] = {
        "multipart/form-data",
        "multipart/form-data;",
        "multipart/form-data; charset=utf-8",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        "multipart/form-data; boundary=\"abc",
        "multipart/form-data; boundary=\"abc \"",
        "multipart/form-data; boundary=a<b",
        "multipart/form-data; boundary=abc; boundary=def",
        "multipart/form-data boundary=abc",
        "multipart/form-dataX; boundary=abc",
        "multipart/mixed; boundary=abc",
        "text/plain; boundary=abc",
        "application/octet-stream",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (multipart_boundary(bad[i], b, sizeof b) != TGR_ERR) fail_msg("accepted \"%s\"", bad[i]);

    char ct[200], b71[72];
    memset(b71, 'a', 71);
    b71[71] = '\0';
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", b71);
    assert_int_equal(multipart_boundary(ct, b, sizeof b), TGR_ERR);
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=\"%s\"", b71);
    assert_int_equal(multipart_boundary(ct, b, sizeof b), TGR_ERR);
    /* The caller's buffer must hold the longest boundary. */
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=abc", b, 70), TGR_ERR);
}

/* --- multipart_find --- */

static void file_and_text_fields(void **st)
{
    struct body b = {0};
    add_field(&b, B, "caption", "Spring sale");
    adds(&b, "--" B "\r\n");
    adds(&b, "Content-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\n");
    adds(&b, "Content-Type: image/jpeg\r\n\r\n");
    size_t at = b.n;
    add(&b, "\xff\xd8\xff\xe0\0\x10JFIF\0", 11);
    adds(&b, "\r\n");
    add_close(&b, B);

    struct multipart_part out;
    char err[256] = "";
    assert_int_equal(find(&b, "file", &out, err, sizeof err), TGR_OK);
    assert_ptr_equal(out.data, b.p + at); /* not copied */
    assert_int_equal(out.len, 11);
    assert_memory_equal(out.data, "\xff\xd8\xff\xe0\0\x10JFIF\0", 11);
    assert_string_equal(out.filename, "photo.jpg");
    assert_string_equal(out.content_type, "image/jpeg");

    assert_int_equal(find(&b, "caption", &out, err, sizeof err), TGR_OK);
    assert_int_equal(out.len, strlen("Spring sale"));
    assert_memory_equal(out.data, "Spring sale", out.len);
    assert_string_equal(out.filename, "");
    assert_string_equal(out.content_type, "");
    free(b.p);
}

static void quoted_boundary_preamble_epilogue(void **st)
{
    const char *b = "a b:c";
    struct body body = {0};
    adds(&body, "This is the preamble.\r\nIt is ignored.\r\n");
    add_field(&body, b, "file", "hello");
    adds(&body, "--a b:c--\r\nand an epilogue, also ignored\r\n--a b:c\r\nnot a part");

    char bound[71];
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=\"a b:c\"", bound, sizeof bound),
                     TGR_OK);
    struct multipart_part out;
    char err[256] = "";
    assert_int_equal(multipart_find(body.p, body.n, bound, "file", &out, err, sizeof err), TGR_OK);
    assert_memory_equal(out.data, "hello", 5);
    assert_int_equal(out.len, 5);
    free(body.p);
}

static void header_forms(void **st)
{
    /* Case-insensitive header and parameter names, unquoted name, transport padding after the
     * boundary, other headers ignored, escaped quote in filename, Windows path kept as is. */
    const char *body = "--" B "  \t\r\n"
                       "content-disposition: FORM-DATA; NAME=file; FILENAME=\"C:\\dir\\a\\\"b\\\\.jpg\"\r\n"
                       "CONTENT-TYPE:image/png  \r\n"
                       "X-Whatever: yes\r\n"
                       "Content-Transfer-Encoding: binary\r\n"
                       "\r\n"
                       "data\r\n"
                       "--" B "--";
    struct multipart_part out;
    char err[256] = "";
    assert_int_equal(multipart_find(body, strlen(body), B, "file", &out, err, sizeof err), TGR_OK);
    assert_string_equal(out.filename, "C:\\dir\\a\"b\\.jpg");
    assert_string_equal(out.content_type, "image/png");
    assert_int_equal(out.len, 4);

    /* An empty part and a very long filename, cut at 255 bytes on a UTF-8 boundary. */
    struct body b = {0};
    adds(&b, "--" B "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"");
    for (int i = 0; i < 200; i++)
        adds(&b, "\xc3\xa9"); /* é */
    adds(&b, "\"\r\n\r\n\r\n--" B "--\r\n");
    assert_int_equal(find(&b, "file", &out, err, sizeof err), TGR_OK);
    assert_int_equal(out.len, 0);
    assert_int_equal(strlen(out.filename), 254);
    free(b.p);
}

static void binary_data_that_looks_like_a_boundary(void **st)
{
    struct body b = {0};
    adds(&b, "--" B "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\n\r\n");
    size_t at = b.n;
    struct body data = {0};
    add(&data, "\0\r\n--\r\n\r\n", 9); /* NUL, CRLF, "--" lines, an empty line */
    adds(&data, "\r\n--");
    add(&data, B, strlen(B) - 1); /* all of the boundary but its last byte */
    adds(&data, "\r\n-");
    adds(&data, "--" B);   /* the boundary without the CRLF before it */
    adds(&data, "\n--" B); /* with a bare LF */
    adds(&data, "\r--" B); /* with a bare CR */
    add(&data, "\xff\r", 2);
    add(&b, data.p, data.n);
    adds(&b, "\r\n");
    add_field(&b, B, "other", "x");
    add_close(&b, B);

    struct multipart_part out;
    char err[256] = "";
    assert_int_equal(find(&b, "file", &out, err, sizeof err), TGR_OK);
    assert_ptr_equal(out.data, b.p + at);
    assert_int_equal(out.len, data.n);
    assert_memory_equal(out.data, data.p, data.n);
    free(data.p);
    free(b.p);
}

static void field_missing_or_twice(void **st)
{
    struct body b = {0};
    add_field(&b, B, "caption", "x");
    add_close(&b, B);
    refused(b.p, b.n, "file", "field \"file\" missing");
    /* A name is matched exactly. */
    refused(b.p, b.n, "captio", "missing");
    refused(b.p, b.n, "Caption", "missing");
    free(b.p);

    struct body t = {0};
    add_field(&t, B, "file", "one");
    add_field(&t, B, "caption", "x");
    add_field(&t, B, "file", "two");
    add_close(&t, B);
    refused(t.p, t.n, "file", "given twice");
    free(t.p);
}

static void no_closing_boundary(void **st)
{
    /* Cut inside the data. */
    refused("--" B "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc", 0, "file",
            "without the closing boundary");
    /* Ends after a delimiter line. */
    refused("--" B "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n--" B, 0, "file",
            "without the closing boundary");
    refused("--" B "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n--" B "\r\n", 0, "file",
            "inside part headers");
    /* Cut inside the headers. */
    refused("--" B "\r\nContent-Disposition: form-data; name=\"file\"\r\n", 0, "file", "inside part headers");
    /* The wanted field comes first, but the body after it is broken: still refused. */
    struct body b = {0};
    add_field(&b, B, "file", "x");
    adds(&b, "--" B "\r\nContent-Disposition: form-data; name=\"more\"\r\n\r\ncut");
    refused(b.p, b.n, "file", "closing boundary");
    free(b.p);
    /* No boundary at all. */
    refused("just some bytes", 0, "file", "not found");
    refused("", 0, "file", "not found");
}

static void parts_limit(void **st)
{
    struct body b = {0};
    for (int i = 0; i < 31; i++)
        add_field(&b, B, "pad", "x");
    add_field(&b, B, "file", "y");
    size_t at32 = b.n;
    add_close(&b, B);
    struct multipart_part out;
    char err[256] = "";
    assert_int_equal(find(&b, "file", &out, err, sizeof err), TGR_OK);

    b.n = at32;
    add_field(&b, B, "pad", "x");
    add_close(&b, B);
    refused(b.p, b.n, "file", "more than 32 parts");
    free(b.p);
}

static void lf_only_line_endings(void **st)
{
    refused("--" B "\nContent-Disposition: form-data; name=\"file\"\n\nabc\n--" B "--\n", 0, "file",
            "line endings must be CRLF");
    refused("preamble\n--" B "\nContent-Disposition: form-data; name=\"file\"\n\nabc\n--" B "--\n", 0, "file",
            "line endings must be CRLF");
    /* CRLF after the boundary, LF inside the headers. */
    refused("--" B "\r\nContent-Disposition: form-data; name=\"file\"\n\nabc\r\n--" B "--\r\n", 0, "file",
            "line endings must be CRLF");
    /* A bare CR in the headers. */
    refused("--" B "\r\nContent-Disposition: form-data; name=\"file\"\r\r\nabc\r\n--" B "--\r\n", 0, "file",
            "bare CR");
}

static void bad_boundary_argument(void **st)
{
    struct body b = {0};
    add_field(&b, B, "file", "x");
    add_close(&b, B);
    struct multipart_part out;
    char err[256] = "";
    char b71[72];
    memset(b71, 'a', 71);
    b71[71] = '\0';
    assert_int_equal(multipart_find(b.p, b.n, b71, "file", &out, err, sizeof err), TGR_ERR);
    assert_non_null(strstr(err, "boundary"));
    assert_int_equal(multipart_find(b.p, b.n, "", "file", &out, err, sizeof err), TGR_ERR);
    assert_int_equal(multipart_find(b.p, b.n, "a\r\nb", "file", &out, err, sizeof err), TGR_ERR);
    /* The right body with another boundary. */
    assert_int_equal(multipart_find(b.p, b.n, "other", "file", &out, err, sizeof err), TGR_ERR);
    free(b.p);
}

static void malformed_parts(void **st)
{
    /* The boundary inside the data followed by anything but "--" or CRLF. */
    refused("--" B "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nab\r\n--" B "X\r\n--" B "--", 0,
            "file", "malformed boundary line");
    /* No Content-Disposition, or not form-data, or without a name. */
    refused("--" B "\r\nContent-Type: text/plain\r\n\r\nab\r\n--" B "--", 0, "file",
            "no Content-Disposition");
    refused("--" B "\r\n\r\nab\r\n--" B "--", 0, "file", "no Content-Disposition");
    refused("--" B "\r\nContent-Disposition: attachment; name=\"file\"\r\n\r\nab\r\n--" B "--", 0, "file",
            "not form-data");
    refused("--" B "\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nab\r\n--" B "--", 0, "file",
            "without a name");
    refused("--" B "\r\nContent-Disposition: form-data; name=\"file\"; name=\"x\"\r\n\r\nab\r\n--" B "--", 0,
            "file", "name given twice");
    refused("--" B "\r\nContent-Disposition: form-data; name=\"file\r\n\r\nab\r\n--" B "--", 0, "file",
            "malformed Content-Disposition");
    refused("--" B "\r\nContent-Disposition: form-data; name=\"file\"\r\n"
            "Content-Disposition: form-data; name=\"x\"\r\n\r\nab\r\n--" B "--",
            0, "file", "given twice in one part");
    refused("--" B "\r\nContent-Disposition: form-data; name=\"file\"\r\n"
            "Content-Type: a/b\r\nContent-Type: c/d\r\n\r\nab\r\n--" B "--",
            0, "file", "given twice in one part");
    /* Folded header lines, headers without a colon, encoded parts. */
    refused("--" B "\r\nContent-Disposition: form-data;\r\n name=\"file\"\r\n\r\nab\r\n--" B "--", 0, "file",
            "folded");
    refused("--" B "\r\nContent-Disposition form-data; name=\"file\"\r\n\r\nab\r\n--" B "--", 0, "file",
            "malformed part header");
    refused("--" B "\r\nContent-Disposition: form-data; name=\"file\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\nYWI=\r\n--" B "--",
            0, "file", "Content-Transfer-Encoding");
    /* A NUL in a header. */
    static const char nul[] =
        "--" B "\r\nContent-Disposition: form-data; name=\"fi\0le\"\r\n\r\nab\r\n--" B "--";
    refused(nul, sizeof nul - 1, "file", "control character");
}

static void header_block_limit(void **st)
{
    struct body b = {0};
    adds(&b, "--" B "\r\nContent-Disposition: form-data; name=\"file\"\r\n");
    char line[1000];
    memset(line, 'a', sizeof line);
    memcpy(line, "X-Pad: ", 7);
    for (int i = 0; i < 9; i++) {
        add(&b, line, sizeof line - 2);
        adds(&b, "\r\n");
    }
    adds(&b, "\r\nab\r\n--" B "--\r\n");
    refused(b.p, b.n, "file", "part headers longer than 8192 bytes");
    free(b.p);

    /* Just under the limit is fine. */
    struct body c = {0};
    adds(&c, "--" B "\r\nContent-Disposition: form-data; name=\"file\"\r\n");
    size_t start = strlen("--" B "\r\n");
    size_t used = c.n - start;
    size_t pad = 8192 - used - 2 /* CRLF of the pad line */ - 2 /* the empty line */;
    char *big = malloc(pad);
    memset(big, 'b', pad);
    memcpy(big, "X-Pad: ", 7);
    add(&c, big, pad);
    adds(&c, "\r\n\r\nab\r\n--" B "--\r\n");
    struct multipart_part out;
    char err[256] = "";
    assert_int_equal(find(&c, "file", &out, err, sizeof err), TGR_OK);
    assert_int_equal(out.len, 2);
    /* One more byte is over. */
    struct body d = {0};
    adds(&d, "--" B "\r\nContent-Disposition: form-data; name=\"file\"\r\n");
    add(&d, big, pad);
    adds(&d, "b\r\n\r\nab\r\n--" B "--\r\n");
    refused(d.p, d.n, "file", "longer than");
    free(big);
    free(c.p);
    free(d.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(boundary_plain_and_quoted),
        cmocka_unit_test(boundary_refused),
        cmocka_unit_test(file_and_text_fields),
        cmocka_unit_test(quoted_boundary_preamble_epilogue),
        cmocka_unit_test(header_forms),
        cmocka_unit_test(binary_data_that_looks_like_a_boundary),
        cmocka_unit_test(field_missing_or_twice),
        cmocka_unit_test(no_closing_boundary),
        cmocka_unit_test(parts_limit),
        cmocka_unit_test(lf_only_line_endings),
        cmocka_unit_test(bad_boundary_argument),
        cmocka_unit_test(malformed_parts),
        cmocka_unit_test(header_block_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
