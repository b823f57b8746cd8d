/* Unit tests for crypto/jwt: a token we issue verifies to its account until it expires, and
 * nothing else verifies — not a forged or re-keyed signature, not another header (alg none,
 * HS512, the same header re-ordered) even when correctly signed, not a cut or edited token,
 * and not a payload without exp or with a sub that is not a positive account id. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "base/util.h"
#include "crypto/jwt.h"

#define NOW    1767225600 /* 2026-01-01T00:00:00Z */
#define HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static unsigned char key[32];
static unsigned char other_key[32];

static int group_setup(void **state)
{
    if (sodium_init() < 0) return -1;
    for (int i = 0; i < 32; i++) {
        key[i] = (unsigned char)(i * 3 + 1);
        other_key[i] = (unsigned char)(i * 5 + 2);
    }
    return 0;
}

/* Build header.payload.signature by hand from raw JSON texts, HMAC'd with k. With sig_b64
 * non-NULL that text is used as the signature segment instead. out holds 2048 bytes. */
static void build(const unsigned char k[32], const char *header, const char *payload, const char *sig_b64,
                  char out[2048])
{
    size_t hl = strlen(header), pl = strlen(payload);
    assert_true(base64url_len(hl) + base64url_len(pl) + 64 < 2048);
    base64url_encode((const unsigned char *)header, hl, out);
    size_t n = strlen(out);
    out[n++] = '.';
    base64url_encode((const unsigned char *)payload, pl, out + n);
    n += strlen(out + n);
    if (sig_b64) {
        snprintf(out + n, 2048 - n, ".%s", sig_b64);
        return;
    }
    unsigned char mac[32];
    crypto_auth_hmacsha256(mac, (const unsigned char *)out, n, k);
    out[n++] = '.';
    base64url_encode(mac, sizeof mac, out + n);
}

static void build_payload(const char *payload, char out[2048])
{
    build(key, HEADER, payload, NULL, out);
}

static void assert_rejected(const char *token)
{
    int64_t sub = -7;
    assert_int_equal(jwt_verify(key, token, NOW, &sub), TGR_ERR);
    assert_int_equal(sub, -7);
}

static void test_round_trip(void **state)
{
    char tok[JWT_MAX_LEN];
    assert_int_equal(jwt_sign(key, 42, NOW, NOW + 3600, tok, sizeof tok), TGR_OK);
    assert_true(strlen(tok) < JWT_MAX_LEN);
    assert_int_equal(strncmp(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37), 0);
    int64_t sub = 0;
    assert_int_equal(jwt_verify(key, tok, NOW, &sub), TGR_OK);
    assert_int_equal(sub, 42);
    assert_int_equal(jwt_verify(key, tok, NOW + 3599, &sub), TGR_OK);
    /* jwt_verify_exp also says when it expires (what a live log stream must not outlast). */
    int64_t exp = 0;
    assert_int_equal(jwt_verify_exp(key, tok, NOW, &sub, &exp), TGR_OK);
    assert_int_equal(exp, NOW + 3600);
    exp = -7;
    assert_int_equal(jwt_verify_exp(key, tok, NOW + 3600, &sub, &exp), TGR_ERR);
    assert_int_equal(exp, -7);

    /* The largest account id round-trips too. */
    assert_int_equal(jwt_sign(key, INT64_MAX, NOW, NOW + 60, tok, sizeof tok), TGR_OK);
    assert_int_equal(jwt_verify(key, tok, NOW, &sub), TGR_OK);
    assert_int_equal(sub, INT64_MAX);

    /* Each token is unique (random jti), even for the same account and times. */
    char tok2[JWT_MAX_LEN];
    assert_int_equal(jwt_sign(key, INT64_MAX, NOW, NOW + 60, tok2, sizeof tok2), TGR_OK);
    assert_string_not_equal(tok, tok2);
}

static void test_sign_limits(void **state)
{
    char tok[JWT_MAX_LEN];
    assert_int_equal(jwt_sign(key, 42, NOW, NOW + 60, tok, sizeof tok), TGR_OK);
    size_t len = strlen(tok);
    char small[JWT_MAX_LEN];
    assert_int_equal(jwt_sign(key, 42, NOW, NOW + 60, small, len), TGR_ERR);
    assert_int_equal(jwt_sign(key, 42, NOW, NOW + 60, small, len + 1), TGR_OK);
    assert_int_equal(jwt_sign(key, 0, NOW, NOW + 60, tok, sizeof tok), TGR_ERR);
    assert_int_equal(jwt_sign(key, -1, NOW, NOW + 60, tok, sizeof tok), TGR_ERR);
}

static void test_forged_signature(void **state)
{
    char tok[JWT_MAX_LEN];
    assert_int_equal(jwt_sign(key, 42, NOW, NOW + 3600, tok, sizeof tok), TGR_OK);
    char *sig = strrchr(tok, '.') + 1;
    for (size_t i = 0; sig[i]; i++) {
        char saved = sig[i];
        sig[i] = saved == 'A' ? 'B' : 'A';
        assert_rejected(tok);
        sig[i] = saved;
    }

    /* Signed with another key: same shape, wrong signature. */
    char forged[JWT_MAX_LEN];
    assert_int_equal(jwt_sign(other_key, 42, NOW, NOW + 3600, forged, sizeof forged), TGR_OK);
    assert_rejected(forged);

    /* Another token's signature pasted onto this payload. */
    char tok2[JWT_MAX_LEN];
    assert_int_equal(jwt_sign(key, 42, NOW, NOW + 3600, tok2, sizeof tok2), TGR_OK);
    memcpy(strrchr(tok, '.') + 1, strrchr(tok2, '.') + 1, 43 + 1);
    assert_rejected(tok);
}

static void test_expired(void **state)
{
    char tok[JWT_MAX_LEN];
    int64_t sub = 0;
    assert_int_equal(jwt_sign(key, 42, NOW - 7200, NOW - 3600, tok, sizeof tok), TGR_OK);
    assert_rejected(tok);
    /* exp is exclusive: at exp the token is already dead. */
    assert_int_equal(jwt_sign(key, 42, NOW - 60, NOW, tok, sizeof tok), TGR_OK);
    assert_rejected(tok);
    assert_int_equal(jwt_verify(key, tok, NOW - 1, &sub), TGR_OK);
}

static void test_claims_required(void **state)
{
    char tok[2048];
    build_payload("{\"sub\":\"42\",\"iat\":1767225600,\"exp\":1767229200,\"jti\":\"ab\"}", tok);
    int64_t sub = 0;
    assert_int_equal(jwt_verify(key, tok, NOW, &sub), TGR_OK); /* the hand-built control */
    assert_int_equal(sub, 42);

    build_payload("{\"sub\":\"42\",\"iat\":1767225600,\"jti\":\"ab\"}", tok);
    assert_rejected(tok);
    build_payload("{\"sub\":\"42\",\"iat\":1767225600,\"exp\":null}", tok);
    assert_rejected(tok);
    build_payload("{\"sub\":\"42\",\"iat\":1767225600,\"exp\":\"1767229200\"}", tok);
    assert_rejected(tok);
    build_payload("{\"sub\":\"42\",\"iat\":1767225600,\"exp\":1767229200.0}", tok);
    assert_rejected(tok);
    build_payload("{\"sub\":\"42\",\"iat\":1767225600,\"exp\":99999999999999999999999}", tok);
    assert_rejected(tok);
    build_payload("{\"sub\":\"42\",\"exp\":1767229200}", tok);
    assert_rejected(tok);
    build_payload("{\"iat\":1767225600,\"exp\":1767229200}", tok);
    assert_rejected(tok);
    build_payload("{\"sub\":\"42\",\"iat\":1767225600,\"exp\":1767229200,\"jti\":5}", tok);
    assert_rejected(tok);
}

/* The token generation (issue 17): signed into the token when above 0, read back by
 * jwt_verify_claims (0 without the claim), and a claim that is not an integer >= 0 is refused. */
static void test_generation(void **state)
{
    char tok[JWT_MAX_LEN];
    struct jwt_claims c = {0};
    assert_int_equal(jwt_sign_gen(key, 42, 7, NOW, NOW + 3600, tok, sizeof tok), TGR_OK);
    assert_int_equal(jwt_verify_claims(key, tok, NOW, &c), TGR_OK);
    assert_int_equal(c.sub, 42);
    assert_int_equal(c.exp, NOW + 3600);
    assert_int_equal(c.gen, 7);
    int64_t sub = 0;
    assert_int_equal(jwt_verify(key, tok, NOW, &sub), TGR_OK);
    assert_int_equal(sub, 42);
    /* Generation 0 is the payload jwt_sign always made: no gen claim. */
    assert_int_equal(jwt_sign_gen(key, 42, 0, NOW, NOW + 3600, tok, sizeof tok), TGR_OK);
    c.gen = -7;
    assert_int_equal(jwt_verify_claims(key, tok, NOW, &c), TGR_OK);
    assert_int_equal(c.gen, 0);
    const char *dot1 = strchr(tok, '.'), *dot2 = strrchr(tok, '.');
    unsigned char payload[256];
    size_t n = 0;
    assert_int_equal(base64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), payload, sizeof payload, &n),
                     TGR_OK);
    payload[n] = 0;
    assert_null(strstr((const char *)payload, "gen"));
    assert_int_equal(jwt_sign_gen(key, 42, -1, NOW, NOW + 3600, tok, sizeof tok), TGR_ERR);
    assert_int_equal(jwt_sign_gen(key, 42, INT64_MAX, NOW, NOW + 3600, tok, sizeof tok), TGR_OK);
    assert_int_equal(jwt_verify_claims(key, tok, NOW, &c), TGR_OK);
    assert_int_equal(c.gen, INT64_MAX);

    char built[2048];
    build_payload("{\"sub\":\"42\",\"iat\":1767225600,\"exp\":1767229200,\"gen\":3}", built);
    assert_int_equal(jwt_verify_claims(key, built, NOW, &c), TGR_OK); /* the hand-built control */
    assert_int_equal(c.gen, 3);
    const char *bad[] = {
        "{\"sub\":\"42\",\"iat\":1767225600,\"exp\":1767229200,\"gen\":-1}",
        "{\"sub\":\"42\",\"iat\":1767225600,\"exp\":1767229200,\"gen\":\"3\"}",
        "{\"sub\":\"42\",\"iat\":1767225600,\"exp\":1767229200,\"gen\":3.0}",
        "{\"sub\":\"42\",\"iat\":1767225600,\"exp\":1767229200,\"gen\":null}",
        "{\"sub\":\"42\",\"iat\":1767225600,\"exp\":1767229200,\"gen\":99999999999999999999999}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        build_payload(bad[i], built);
        assert_rejected(built);
        c.gen = -7;
        assert_int_equal(jwt_verify_claims(key, built, NOW, &c), TGR_ERR);
        assert_int_equal(c.gen, -7);
    }
}

static void test_issued_in_future(void **state)
{
    char tok[JWT_MAX_LEN];
    int64_t sub = 0;
    assert_int_equal(jwt_sign(key, 42, NOW + 300, NOW + 3600, tok, sizeof tok), TGR_OK);
    assert_int_equal(jwt_verify(key, tok, NOW, &sub), TGR_OK);
    assert_int_equal(jwt_sign(key, 42, NOW + 301, NOW + 3600, tok, sizeof tok), TGR_OK);
    assert_rejected(tok);
}

static void test_bad_payload_json(void **state)
{
    char tok[2048];
    const char *bad[] = {
        "[\"sub\",\"42\"]",
        "\"42\"",
        "{\"sub\":\"42\",\"iat\":1767225600,\"exp\":1767229200",
        "{\"sub\":\"42\",\"iat\":1767225600,\"exp\":1767229200} trailing",
        "{\"sub\":\"1\",\"sub\":\"42\",\"iat\":1767225600,\"exp\":1767229200}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        build_payload(bad[i], tok);
        assert_rejected(tok);
    }
}

static void test_alg_none(void **state)
{
    const char *payload = "{\"sub\":\"42\",\"iat\":1767225600,\"exp\":1767229200}";
    char tok[2048];
    build(key, "{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, "", tok);
    assert_rejected(tok);
    /* Dropping the last dot too. */
    tok[strlen(tok) - 1] = 0;
    assert_rejected(tok);
    /* A 32-byte signature segment, and even a real HMAC under our key over the none header. */
    build(key, "{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
          tok);
    assert_rejected(tok);
    build(key, "{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, NULL, tok);
    assert_rejected(tok);
    build(key, "{\"alg\":\"None\",\"typ\":\"JWT\"}", payload, NULL, tok);
    assert_rejected(tok);
}

static void test_other_headers(void **state)
{
    const char *payload = "{\"sub\":\"42\",\"iat\":1767225600,\"exp\":1767229200}";
    const char *headers[] = {
        "{\"typ\":\"JWT\",\"alg\":\"HS256\"}",
        "{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS384\",\"typ\":\"JWT\"}",
        "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
        "{\"alg\":\"hs256\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS256\"}",
        "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"1\"}",
        "{\"alg\": \"HS256\", \"typ\": \"JWT\"}",
        "{\"alg\":\"HS256\",\"typ\":\"JWT\"} ",
        "{\"alg\":\"HS256\",\"alg\":\"none\",\"typ\":\"JWT\"}",
    };
    char tok[2048];
    build(key, HEADER, payload, NULL, tok);
    int64_t sub = 0;
    assert_int_equal(jwt_verify(key, tok, NOW, &sub), TGR_OK); /* control */
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        build(key, headers[i], payload, NULL, tok); /* correctly signed with the real key */
        assert_rejected(tok);
    }
}

static void test_truncated(void **state)
{
    char tok[JWT_MAX_LEN];
    assert_int_equal(jwt_sign(key, 42, NOW, NOW + 3600, tok, sizeof tok), TGR_OK);
    size_t len = strlen(tok);
    for (size_t n = 0; n < len; n++) {
        /* An exactly-sized copy, so ASan catches a read past the cut. */
        char *cut = malloc(n + 1);
        assert_non_null(cut);
        memcpy(cut, tok, n);
        cut[n] = 0;
        assert_rejected(cut);
        free(cut);
    }
    assert_rejected(NULL);
}

static void test_malformed_shape(void **state)
{
    char tok[JWT_MAX_LEN];
    assert_int_equal(jwt_sign(key, 42, NOW, NOW + 3600, tok, sizeof tok), TGR_OK);
    char buf[2048];

    snprintf(buf, sizeof buf, "%s=", tok); /* padding on the signature */
    assert_rejected(buf);
    snprintf(buf, sizeof buf, "%s.", tok); /* a fourth, empty part */
    assert_rejected(buf);
    snprintf(buf, sizeof buf, "%s.%s", tok, strrchr(tok, '.') + 1); /* four parts */
    assert_rejected(buf);
    snprintf(buf, sizeof buf, " %s", tok);
    assert_rejected(buf);
    snprintf(buf, sizeof buf, "%s\n", tok);
    assert_rejected(buf);

    /* Empty payload or empty header. */
    char *dot1 = strchr(tok, '.');
    char *dot2 = strrchr(tok, '.');
    snprintf(buf, sizeof buf, "%.*s.%s", (int)(dot1 - tok), tok, dot2);
    assert_rejected(buf);
    snprintf(buf, sizeof buf, "%s", dot1);
    assert_rejected(buf);
    assert_rejected("..");
    assert_rejected("");

    /* Characters outside base64url: standard-alphabet forms of the same bytes, '=' padding. */
    for (char *p = dot1 + 1; p < dot2; p++) {
        const char *repl[] = {"+", "/", "=", "%", "\x80"};
        for (size_t r = 0; r < sizeof repl / sizeof repl[0]; r++) {
            snprintf(buf, sizeof buf, "%s", tok);
            buf[p - tok] = repl[r][0];
            assert_rejected(buf);
        }
    }
    /* No other spelling of any base64url text (tokens, link codes): libsodium 1.0.18 alone reads
     * every byte >= 0x80 at the end of a group as '_', which would give each value a second form. */
    for (int c = 0x80; c <= 0xff; c++) {
        char in[5] = "AAAA";
        unsigned char out[8];
        size_t outlen;
        in[3] = (char)c;
        assert_int_equal(base64url_decode(in, 4, out, sizeof out, &outlen), TGR_ERR);
    }
    char payload_padded[2048];
    const char *payload = "{\"sub\":\"42\",\"iat\":1767225600,\"exp\":1767229200}";
    build(key, HEADER, payload, NULL, payload_padded);
    int64_t sub = 0;
    assert_int_equal(jwt_verify(key, payload_padded, NOW, &sub), TGR_OK);
    /* Same payload with '=' padding inserted before the signature, re-signed correctly. */
    char enc[256];
    base64url_encode((const unsigned char *)payload, strlen(payload), enc);
    size_t pad = (4 - strlen(enc) % 4) % 4;
    assert_true(pad > 0);
    char signing[512];
    snprintf(signing, sizeof signing, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.%s%.*s", enc, (int)pad, "==");
    unsigned char mac[32];
    crypto_auth_hmacsha256(mac, (const unsigned char *)signing, strlen(signing), key);
    char macb[64];
    base64url_encode(mac, sizeof mac, macb);
    snprintf(buf, sizeof buf, "%s.%s", signing, macb);
    assert_rejected(buf);
}

static void test_too_long(void **state)
{
    /* Correctly signed, but longer than JWT_MAX_LEN because of a long jti. */
    char payload[1024];
    char jti[401];
    memset(jti, 'a', sizeof jti - 1);
    jti[sizeof jti - 1] = 0;
    snprintf(payload, sizeof payload, "{\"sub\":\"42\",\"iat\":1767225600,\"exp\":1767229200,\"jti\":\"%s\"}",
             jti);
    char tok[2048];
    build_payload(payload, tok);
    assert_true(strlen(tok) > JWT_MAX_LEN);
    assert_rejected(tok);
}

static void test_payload_tampered(void **state)
{
    char tok[JWT_MAX_LEN];
    assert_int_equal(jwt_sign(key, 42, NOW, NOW + 3600, tok, sizeof tok), TGR_OK);

    /* Re-encode the payload with sub 43, keep the old signature. */
    char *dot1 = strchr(tok, '.');
    char *dot2 = strrchr(tok, '.');
    unsigned char json[JWT_MAX_LEN];
    size_t jlen = 0;
    assert_int_equal(base64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), json, sizeof json - 1, &jlen),
                     TGR_OK);
    json[jlen] = 0;
    char *at = strstr((char *)json, "\"sub\":\"42\"");
    assert_non_null(at);
    at[8] = '3';
    char enc[JWT_MAX_LEN];
    base64url_encode(json, jlen, enc);
    char forged[2048];
    snprintf(forged, sizeof forged, "%.*s.%s%s", (int)(dot1 - tok), tok, enc, dot2);
    assert_rejected(forged);

    /* Any single character of the payload segment changed. */
    for (char *p = dot1 + 1; p < dot2; p++) {
        char saved = *p;
        *p = saved == 'A' ? 'B' : 'A';
        assert_rejected(tok);
        *p = saved;
    }
}

static void test_sub_not_positive_integer(void **state)
{
    const char *subs[] = {
        "\"0\"",
        "\"-1\"",
        "\"abc\"",
        "\"\"",
        "\"01\"",
        "\"+1\"",
        "\" 1\"",
        "\"1 \"",
        "\"1.5\"",
        "\"1e3\"",
        "\"0x10\"",
        "42",
        "\"9223372036854775808\"",
        "null",
        "true",
        "[\"42\"]",
        "{}",
        "\"4\\u00002\"",
        "\"٤٢\"",
    };
    char payload[256], tok[2048];
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        snprintf(payload, sizeof payload, "{\"sub\":%s,\"iat\":1767225600,\"exp\":1767229200}", subs[i]);
        build_payload(payload, tok);
        assert_rejected(tok);
    }
    build_payload("{\"iat\":1767225600,\"exp\":1767229200,\"sub\":\"9223372036854775807\"}", tok);
    int64_t sub = 0;
    assert_int_equal(jwt_verify(key, tok, NOW, &sub), TGR_OK);
    assert_int_equal(sub, INT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_sign_limits),
        cmocka_unit_test(test_forged_signature),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_claims_required),
        cmocka_unit_test(test_issued_in_future),
        cmocka_unit_test(test_generation),
        cmocka_unit_test(test_bad_payload_json),
        cmocka_unit_test(test_alg_none),
        cmocka_unit_test(test_other_headers),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_malformed_shape),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_payload_tampered),
        cmocka_unit_test(test_sub_not_positive_integer),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
