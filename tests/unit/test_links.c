/* Unit tests for core/links: link codes and attribution refs round-trip, are no longer than the
 * earlier format's 28 characters, hold no readable id, refuse every altered, cut or lengthened
 * spelling and the other kind, do not change between versions (a known answer), and codes and
 * refs of the earlier format (ids in clear plus a MAC) are still accepted. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/links.h"
#include "base/util.h"
#include "crypto/keys.h"

#define OLD_LEN 28
#define B64URL  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

static void keyring_fixed(struct keyring *kr, unsigned char v)
{
    unsigned char m[KEYS_BYTES];
    for (int i = 0; i < KEYS_BYTES; i++)
        m[i] = (unsigned char)(v + i);
    keyring_from_master(kr, m);
}

static void put48(unsigned char *p, int64_t v)
{
    for (int i = 0; i < 6; i++)
        p[i] = (unsigned char)((uint64_t)v >> (8 * i));
}

/* The earlier format, as it was issued until issue 13: kind, the ids as 6-byte little-endian
 * integers, then BLAKE2b-64 keyed with the blind key over "tgr-links\0" and what precedes. */
static void old_code(const struct keyring *kr, char kind, int64_t a, int64_t b, char out[LINK_CODE_MAX])
{
    unsigned char buf[21];
    buf[0] = (unsigned char)kind;
    put48(buf + 1, a);
    put48(buf + 7, b);
    crypto_generichash_state st;
    crypto_generichash_init(&st, kr->blind, sizeof kr->blind, 8);
    crypto_generichash_update(&st, (const unsigned char *)"tgr-links", 10);
    crypto_generichash_update(&st, buf, 13);
    crypto_generichash_final(&st, buf + 13, 8);
    base64url_encode(buf, sizeof buf, out);
}

static const int64_t ids[][2] = {
    {1, 1},
    {1, 0},
    {0, 0},
    {2, 3},
    {12345, 67890},
    {0xFFFFFFFFFFFFLL, 0xFFFFFFFFFFFFLL},
    {0x123456789ALL, 42},
};
#define N_IDS (sizeof ids / sizeof ids[0])

typedef int (*parse_fn)(const struct keyring *, const char *, int64_t *, int64_t *);

/* s opens with parse to exactly (a, b). */
static void assert_opens(parse_fn parse, const struct keyring *kr, const char *s, int64_t a, int64_t b)
{
    int64_t x = -1, y = -1;
    assert_int_equal(parse(kr, s, &x, &y), TGR_OK);
    assert_true(x == a && y == b);
}

static void test_round_trip_and_length(void **state)
{
    (void)state;
    struct keyring kr;
    keyring_fixed(&kr, 1);
    for (size_t i = 0; i < N_IDS; i++) {
        char code[LINK_CODE_MAX], ref[LINK_CODE_MAX], again[LINK_CODE_MAX];
        link_code(&kr, ids[i][0], ids[i][1], code);
        link_ref(&kr, ids[i][1], ids[i][0], ref);
        assert_int_equal(strlen(code), LINK_CODE_LEN);
        assert_int_equal(strlen(ref), LINK_CODE_LEN);
        assert_true(LINK_CODE_LEN <= OLD_LEN); /* as short as the earlier format, or shorter */
        assert_int_equal(strspn(code, B64URL), LINK_CODE_LEN);
        assert_int_equal(strspn(ref, B64URL), LINK_CODE_LEN);
        assert_opens(link_code_parse, &kr, code, ids[i][0], ids[i][1]);
        assert_opens(link_ref_parse, &kr, ref, ids[i][1], ids[i][0]);
        /* The same ids always make the same code (a preview and a send agree). */
        link_code(&kr, ids[i][0], ids[i][1], again);
        assert_string_equal(code, again);
        assert_string_not_equal(code, ref);
    }
    /* Different ids, different codes; codes and refs never coincide. */
    char seen[N_IDS * 2][LINK_CODE_MAX];
    for (size_t i = 0; i < N_IDS; i++) {
        link_code(&kr, ids[i][0], ids[i][1], seen[2 * i]);
        link_ref(&kr, ids[i][1], ids[i][0], seen[2 * i + 1]);
    }
    for (size_t i = 0; i < 2 * N_IDS; i++)
        for (size_t j = i + 1; j < 2 * N_IDS; j++)
            assert_string_not_equal(seen[i], seen[j]);
}

/* Whether needle occurs in hay. */
static int contains(const unsigned char *hay, size_t n, const unsigned char *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0) return 1;
    return 0;
}

/* Neither id can be read from the code: not in its bytes (either byte order, 3+ significant
 * bytes), not as decimal or hex text. Ids of codes issued before stay as they were. */
static void test_no_readable_id(void **state)
{
    (void)state;
    struct keyring kr;
    keyring_fixed(&kr, 2);
    for (int round = 0; round < 200; round++) {
        int64_t link = (int64_t)(randombytes_uniform(1u << 30) + (1u << 20));
        int64_t rcpt = (int64_t)(randombytes_uniform(1u << 30) + (1u << 20));
        char s[2][LINK_CODE_MAX];
        link_code(&kr, link, rcpt, s[0]);
        link_ref(&kr, rcpt, link, s[1]);
        for (int k = 0; k < 2; k++) {
            unsigned char bin[32];
            size_t n = 0;
            assert_int_equal(base64url_decode(s[k], strlen(s[k]), bin, sizeof bin, &n), TGR_OK);
            const int64_t both[2] = {link, rcpt};
            for (int j = 0; j < 2; j++) {
                unsigned char le[6], be[6];
                char dec[32], hex[32];
                put48(le, both[j]);
                for (int i = 0; i < 6; i++)
                    be[i] = le[5 - i];
                /* the low 3 bytes hold every significant bit of ids under 2^24, so look for those */
                assert_false(contains(bin, n, le, 3));
                assert_false(contains(bin, n, be + 3, 3));
                snprintf(dec, sizeof dec, "%lld", (long long)both[j]);
                snprintf(hex, sizeof hex, "%llx", (unsigned long long)both[j]);
                assert_null(strstr(s[k], dec));
                assert_null(strcasestr(s[k], hex));
            }
        }
    }
    /* The earlier format had them in clear (which is why it is no longer issued). */
    char old[LINK_CODE_MAX];
    unsigned char bin[32], le[6];
    size_t n = 0;
    old_code(&kr, 'L', 0x0A0B0C, 0x0D0E0F, old);
    assert_int_equal(base64url_decode(old, strlen(old), bin, sizeof bin, &n), TGR_OK);
    put48(le, 0x0A0B0C);
    assert_true(contains(bin, n, le, 3));
}

/* Every single-character change, every cut and every addition is refused. */
static void test_tamper(void **state)
{
    (void)state;
    struct keyring kr;
    keyring_fixed(&kr, 3);
    char code[LINK_CODE_MAX], ref[LINK_CODE_MAX], old[LINK_CODE_MAX];
    link_code(&kr, 77, 4242, code);
    link_ref(&kr, 4242, 77, ref);
    old_code(&kr, 'L', 77, 4242, old);
    const char *all[3] = {code, ref, old};
    for (int k = 0; k < 3; k++) {
        const char *s = all[k];
        size_t len = strlen(s);
        parse_fn parse = s == ref ? link_ref_parse : link_code_parse;
        int64_t a = 0, b = 0;
        assert_int_equal(parse(&kr, s, &a, &b), TGR_OK);
        char t[LINK_CODE_MAX + 8];
        for (size_t i = 0; i < len; i++) {
            for (const char *c = B64URL "+/=.~ %"; *c; c++) {
                if (*c == s[i]) continue;
                memcpy(t, s, len + 1);
                t[i] = *c;
                assert_int_equal(parse(&kr, t, &a, &b), TGR_ERR);
            }
            /* bytes past ASCII (libsodium 1.0.18 alone reads some as base64 letters) */
            for (int c = 0x80; c <= 0xff; c++) {
                memcpy(t, s, len + 1);
                t[i] = (char)c;
                assert_int_equal(parse(&kr, t, &a, &b), TGR_ERR);
            }
            /* cut at i, and without character i */
            memcpy(t, s, i);
            t[i] = 0;
            assert_int_equal(parse(&kr, t, &a, &b), TGR_ERR);
            memcpy(t + i, s + i + 1, len - i);
            assert_int_equal(parse(&kr, t, &a, &b), TGR_ERR);
        }
        for (const char *c = B64URL; *c; c++) {
            snprintf(t, sizeof t, "%s%c", s, *c);
            assert_int_equal(parse(&kr, t, &a, &b), TGR_ERR);
            snprintf(t, sizeof t, "%c%s", *c, s);
            assert_int_equal(parse(&kr, t, &a, &b), TGR_ERR);
        }
    }
    /* Nothing, garbage and long input. */
    int64_t a, b;
    char longer[200];
    memset(longer, 'A', sizeof longer - 1);
    longer[sizeof longer - 1] = 0;
    const char *bad[] = {
        "",       "A",           "AAAAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", longer,
        "zzzzzz", "\xff\xfe\xfd"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(link_code_parse(&kr, bad[i], &a, &b), TGR_ERR);
        assert_int_equal(link_ref_parse(&kr, bad[i], &a, &b), TGR_ERR);
    }
    assert_int_equal(link_code_parse(&kr, NULL, &a, &b), TGR_ERR);
}

/* A code is not a ref and a ref is not a code, in both formats; another key opens neither. */
static void test_kinds_and_keys(void **state)
{
    (void)state;
    struct keyring kr, other;
    keyring_fixed(&kr, 4);
    keyring_fixed(&other, 5);
    char code[LINK_CODE_MAX], ref[LINK_CODE_MAX], old_l[LINK_CODE_MAX], old_r[LINK_CODE_MAX];
    int64_t a, b;
    link_code(&kr, 5, 6, code);
    link_ref(&kr, 5, 6, ref); /* the same numbers in the same places */
    old_code(&kr, 'L', 5, 6, old_l);
    old_code(&kr, 'R', 5, 6, old_r);
    assert_int_equal(link_ref_parse(&kr, code, &a, &b), TGR_ERR);
    assert_int_equal(link_code_parse(&kr, ref, &a, &b), TGR_ERR);
    assert_int_equal(link_ref_parse(&kr, old_l, &a, &b), TGR_ERR);
    assert_int_equal(link_code_parse(&kr, old_r, &a, &b), TGR_ERR);
    assert_int_equal(link_code_parse(&other, code, &a, &b), TGR_ERR);
    assert_int_equal(link_ref_parse(&other, ref, &a, &b), TGR_ERR);
    assert_int_equal(link_code_parse(&other, old_l, &a, &b), TGR_ERR);
}

/* Links and refs of the earlier format keep working: customers' chats and shops' systems hold
 * them. */
static void test_old_format_accepted(void **state)
{
    (void)state;
    struct keyring kr;
    keyring_fixed(&kr, 6);
    for (size_t i = 0; i < N_IDS; i++) {
        char old_l[LINK_CODE_MAX], old_r[LINK_CODE_MAX], now[LINK_CODE_MAX];
        old_code(&kr, 'L', ids[i][0], ids[i][1], old_l);
        old_code(&kr, 'R', ids[i][1], ids[i][0], old_r);
        assert_int_equal(strlen(old_l), OLD_LEN);
        assert_opens(link_code_parse, &kr, old_l, ids[i][0], ids[i][1]);
        assert_opens(link_ref_parse, &kr, old_r, ids[i][1], ids[i][0]);
        /* Only the new format is issued. */
        link_code(&kr, ids[i][0], ids[i][1], now);
        assert_string_not_equal(now, old_l);
    }
}

/* The format is frozen: a link sent today must open in every later version. If this fails, the
 * change breaks every link already in a customer's chat. (The two strings were also computed by
 * an independent Python implementation: hashlib's BLAKE2b for crypto_kdf and the tag, and
 * cryptography's ChaCha20 with an IV of 8 zero bytes then the tag.) */
static void test_known_answer(void **state)
{
    (void)state;
    struct keyring kr;
    keyring_fixed(&kr, 7);
    char code[LINK_CODE_MAX], ref[LINK_CODE_MAX];
    link_code(&kr, 1234, 56789, code);
    link_ref(&kr, 56789, 1234, ref);
    assert_string_equal(code, "LrXH92kz7kD3YL-RjSRGIjU3Z24");
    assert_string_equal(ref, "RnjWfAuGmh-R9p-WRDy3A1p20a8");
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_length),
        cmocka_unit_test(test_no_readable_id),
        cmocka_unit_test(test_tamper),
        cmocka_unit_test(test_kinds_and_keys),
        cmocka_unit_test(test_old_format_accepted),
        cmocka_unit_test(test_known_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
