/* fuzz_jwt — HS256 session tokens (crypto/jwt.c). Two modes, chosen by the first byte:
 *   even: the rest is a token, verified with a fixed key at a fixed time. A token accepted must
 *         carry a valid HMAC-SHA256 under that key (computed here independently) and the
 *         exact header we issue; the same token must be refused under another key.
 *   odd:  the rest gives sub, iat, exp and now (4 × 8 bytes); a signed token must verify exactly
 *         when the claims are valid at now (exp > now, iat <= now + 300) and give back sub. */
#include <sodium.h>

#include "base/util.h"
#include "crypto/jwt.h"
#include "fuzz.h"

#define NOW 1764000000 /* 2025-11-24 */

static const unsigned char key[32] = "tgr-fuzz-key-0123456789abcdefgh";
static const unsigned char other[32] = "tgr-fuzz-key-0123456789abcdefgX";

static int64_t read_i64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

/* The signature check, written again from RFC 7515 without jwt.c's code. */
static int signed_with_key(const char *token)
{
    const char *dot2 = strrchr(token, '.');
    if (!dot2) return 0;
    unsigned char sig[64], want[crypto_auth_hmacsha256_BYTES];
    size_t n = 0;
    if (base64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof sig, &n) != TGR_OK || n != sizeof want)
        return 0;
    crypto_auth_hmacsha256(want, (const unsigned char *)token, (size_t)(dot2 - token), key);
    return memcmp(sig, want, sizeof want) == 0;
}

static void verify_token(const uint8_t *data, size_t size)
{
    char *token = fuzz_strndup(data, size);
    int64_t sub = -7;
    if (jwt_verify(key, token, NOW, &sub) == TGR_OK) {
        FUZZ_CHECK(sub > 0);
        FUZZ_CHECK(strncmp(token, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37) == 0);
        FUZZ_CHECK(signed_with_key(token));
        int64_t again = -7;
        FUZZ_CHECK(jwt_verify(other, token, NOW, &again) != TGR_OK && again == -7);
    } else {
        FUZZ_CHECK(sub == -7);
    }
    free(token);
}

static void round_trip(const uint8_t *data, size_t size)
{
    if (size < 32) return;
    int64_t sub = read_i64(data), iat = read_i64(data + 8), exp = read_i64(data + 16),
            now = read_i64(data + 24);
    char tok[JWT_MAX_LEN];
    if (jwt_sign(key, sub, iat, exp, tok, sizeof tok) != TGR_OK) {
        FUZZ_CHECK(sub <= 0);
        return;
    }
    FUZZ_CHECK(sub > 0 && strlen(tok) < sizeof tok);
    int64_t got = 0;
    int valid = exp > now && (now > INT64_MAX - 300 || iat <= now + 300);
    FUZZ_CHECK((jwt_verify(key, tok, now, &got) == TGR_OK) == valid);
    if (valid) FUZZ_CHECK(got == sub);
    FUZZ_CHECK(jwt_verify(other, tok, now, &got) != TGR_OK);
    /* Any single changed character makes it invalid. */
    size_t len = strlen(tok), at = (size_t)(data[0] ^ data[9]) % len;
    tok[at] = tok[at] == 'A' ? 'B' : 'A';
    FUZZ_CHECK(jwt_verify(key, tok, now, &got) != TGR_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    if (sodium_init() < 0) abort();
    if (data[0] % 2 == 0)
        verify_token(data + 1, size - 1);
    else
        round_trip(data + 1, size - 1);
    return 0;
}
