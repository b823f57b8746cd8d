/* jwt — owns issuing and checking the web app's HS256 session tokens; see jwt.h.
 *
 * Verification is deliberately narrow. The header segment is compared byte for byte with the one
 * we issue, so "alg":"none", other algorithms and re-encoded headers never reach the signature
 * check. The signature must decode to exactly 32 bytes and is compared in constant time before
 * the payload is parsed, so the JSON parser only ever sees bytes we signed ourselves. */
#include "crypto/jwt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>

#include "base/util.h"

/* base64url of {"alg":"HS256","typ":"JWT"} */
#define JWT_HEADER     "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
#define JWT_HEADER_LEN (sizeof JWT_HEADER - 1)
#define SIG_BYTES      crypto_auth_hmacsha256_BYTES
#define SIG_B64_LEN    43 /* base64url of 32 bytes, no padding */
#define JTI_BYTES      16
/* How far in the future iat may be: tolerates clock skew between instances sharing a key. */
#define IAT_SKEW_S 300

_Static_assert(SIG_BYTES == 32, "HS256 signatures are 32 bytes");
_Static_assert(crypto_auth_hmacsha256_KEYBYTES == 32, "HS256 keys are 32 bytes");

static void hs256(const unsigned char key[32], const char *msg, size_t len, unsigned char sig[SIG_BYTES])
{
    crypto_auth_hmacsha256(sig, (const unsigned char *)msg, len, key);
}

int jwt_sign(const unsigned char key[32], int64_t sub, int64_t iat, int64_t exp, char *out, size_t cap)
{
    return jwt_sign_gen(key, sub, 0, iat, exp, out, cap);
}

int jwt_sign_gen(const unsigned char key[32], int64_t sub, int64_t gen, int64_t iat, int64_t exp, char *out,
                 size_t cap)
{
    if (sub <= 0 || gen < 0 || !out || cap == 0) return TGR_ERR;
    out[0] = 0;
    if (sodium_init() < 0) return TGR_ERR;

    unsigned char jti[JTI_BYTES];
    char jti_hex[JTI_BYTES * 2 + 1];
    randombytes_buf(jti, sizeof jti);
    sodium_bin2hex(jti_hex, sizeof jti_hex, jti, sizeof jti);

    char payload[200], gen_claim[40] = "";
    if (gen > 0) snprintf(gen_claim, sizeof gen_claim, ",\"gen\":%" PRId64, gen);
    int n = snprintf(payload, sizeof payload,
                     "{\"sub\":\"%" PRId64 "\",\"iat\":%" PRId64 ",\"exp\":%" PRId64 ",\"jti\":\"%s\"%s}",
                     sub, iat, exp, jti_hex, gen_claim);
    if (n < 0 || (size_t)n >= sizeof payload) return TGR_ERR;

    size_t plen = base64url_len((size_t)n);
    size_t total = JWT_HEADER_LEN + 1 + plen + 1 + SIG_B64_LEN;
    if (total + 1 > cap || total > JWT_MAX_LEN) return TGR_ERR;

    memcpy(out, JWT_HEADER, JWT_HEADER_LEN);
    out[JWT_HEADER_LEN] = '.';
    base64url_encode((const unsigned char *)payload, (size_t)n, out + JWT_HEADER_LEN + 1);
    size_t signed_len = JWT_HEADER_LEN + 1 + plen;
    unsigned char sig[SIG_BYTES];
    hs256(key, out, signed_len, sig);
    out[signed_len] = '.';
    base64url_encode(sig, sizeof sig, out + signed_len + 1);
    return TGR_OK;
}

static int is_b64url(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_'))
            return 0;
    }
    return 1;
}

/* sub is the account id as a decimal string: digits only, no sign, no leading zero, > 0. */
static int parse_sub(const json_t *v, int64_t *sub)
{
    const char *s = json_string_value(v);
    if (!s || s[0] < '1' || s[0] > '9') return TGR_ERR;
    return parse_i64(s, 1, INT64_MAX, sub);
}

static int check_payload(const unsigned char *buf, size_t len, int64_t now, struct jwt_claims *c)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) return TGR_ERR;
    int rc = TGR_ERR;
    json_t *jsub = json_object_get(root, "sub");
    json_t *jexp = json_object_get(root, "exp");
    json_t *jiat = json_object_get(root, "iat");
    json_t *jjti = json_object_get(root, "jti");
    json_t *jgen = json_object_get(root, "gen");
    int64_t s = 0;
    if (!json_is_object(root) || !json_is_integer(jexp) || !json_is_integer(jiat)) goto out;
    if (jjti && !json_is_string(jjti)) goto out;
    if (jgen && (!json_is_integer(jgen) || json_integer_value(jgen) < 0)) goto out;
    if (parse_sub(jsub, &s) != TGR_OK) goto out;
    json_int_t exp = json_integer_value(jexp);
    json_int_t iat = json_integer_value(jiat);
    if (exp <= now) goto out;
    /* now + IAT_SKEW_S cannot overflow for any real clock; guard anyway since now is an input. */
    if (now <= INT64_MAX - IAT_SKEW_S && iat > now + IAT_SKEW_S) goto out;
    *c = (struct jwt_claims){.sub = s, .exp = exp, .gen = jgen ? json_integer_value(jgen) : 0};
    rc = TGR_OK;
out:
    json_decref(root);
    return rc;
}

int jwt_verify(const unsigned char key[32], const char *token, int64_t now, int64_t *sub)
{
    return jwt_verify_exp(key, token, now, sub, NULL);
}

int jwt_verify_exp(const unsigned char key[32], const char *token, int64_t now, int64_t *sub, int64_t *exp)
{
    struct jwt_claims c;
    if (jwt_verify_claims(key, token, now, &c) != TGR_OK) return TGR_ERR;
    *sub = c.sub;
    if (exp) *exp = c.exp;
    return TGR_OK;
}

int jwt_verify_claims(const unsigned char key[32], const char *token, int64_t now, struct jwt_claims *c)
{
    if (!token) return TGR_ERR;
    size_t len = strnlen(token, JWT_MAX_LEN + 1);
    if (len > JWT_MAX_LEN) return TGR_ERR;

    const char *dot1 = memchr(token, '.', len);
    if (!dot1) return TGR_ERR;
    const char *dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token));
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token))) return TGR_ERR;

    size_t hlen = (size_t)(dot1 - token);
    const char *p = dot1 + 1;
    size_t plen = (size_t)(dot2 - p);
    const char *s = dot2 + 1;
    size_t slen = len - (size_t)(s - token);

    /* The header is public; an ordinary comparison leaks nothing. */
    if (hlen != JWT_HEADER_LEN || memcmp(token, JWT_HEADER, JWT_HEADER_LEN) != 0) return TGR_ERR;
    if (plen == 0 || slen != SIG_B64_LEN || !is_b64url(p, plen) || !is_b64url(s, slen)) return TGR_ERR;

    unsigned char sig[SIG_BYTES];
    size_t siglen = 0;
    if (base64url_decode(s, slen, sig, sizeof sig, &siglen) != TGR_OK || siglen != SIG_BYTES) return TGR_ERR;
    unsigned char want[SIG_BYTES];
    hs256(key, token, (size_t)(dot2 - token), want);
    int same = crypto_verify_32(sig, want);
    sodium_memzero(want, sizeof want);
    if (same != 0) return TGR_ERR;

    unsigned char payload[JWT_MAX_LEN];
    size_t n = 0;
    if (base64url_decode(p, plen, payload, sizeof payload, &n) != TGR_OK || n == 0) return TGR_ERR;
    return check_payload(payload, n, now, c);
}
