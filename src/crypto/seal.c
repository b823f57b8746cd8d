/* seal — owns the sealed-field format and the keyed blind indexes; see seal.h.
 *
 *     byte 0        SEAL_VERSION (0x01)
 *     byte 1        master key id whose sealing key was used (the keyring's current one)
 *     bytes 2..25   random XChaCha20 nonce (24 bytes: random nonces never collide in practice)
 *     bytes 26..    XChaCha20-Poly1305 ciphertext followed by the 16-byte tag
 *
 * The associated data is "table.column:row_key". The version and key id bytes are not in the AD,
 * and need not be: the version selects the format, and a changed key id selects another key (or
 * none), under which the tag does not verify. Table and column names are SQL identifiers (no '.'
 * or ':'), which keeps the AD unambiguous whatever row_key contains. */
#include "crypto/seal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "base/util.h"

#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES   crypto_aead_xchacha20poly1305_ietf_ABYTES
#define HDR_BYTES   2
#define BLIND_BYTES (BLIND_HEX_LEN / 2)

_Static_assert(SEAL_OVERHEAD == HDR_BYTES + NONCE_BYTES + TAG_BYTES, "SEAL_OVERHEAD matches the format");
_Static_assert(KEYS_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "sealing key size");
_Static_assert(BLIND_BYTES >= crypto_generichash_BYTES_MIN, "blind index size");

/* The AD in a caller's stack buffer when it fits (the common case), else malloc'd. */
struct ad {
    char small[256];
    char *p;
    size_t len;
};

static int ad_build(struct ad *ad, const char *table, const char *column, const char *row_key)
{
    size_t lt = strlen(table), lc = strlen(column), lr = strlen(row_key);
    if (lt > SIZE_MAX / 4 || lc > SIZE_MAX / 4 || lr > SIZE_MAX / 4) return TGR_ERR;
    ad->len = lt + 1 + lc + 1 + lr;
    ad->p = ad->len < sizeof ad->small ? ad->small : malloc(ad->len + 1);
    if (!ad->p) return TGR_ERR;
    memcpy(ad->p, table, lt);
    ad->p[lt] = '.';
    memcpy(ad->p + lt + 1, column, lc);
    ad->p[lt + 1 + lc] = ':';
    memcpy(ad->p + lt + 1 + lc + 1, row_key, lr);
    ad->p[ad->len] = 0;
    return TGR_OK;
}

static void ad_release(struct ad *ad)
{
    if (ad->p != ad->small) free(ad->p);
    ad->p = NULL;
}

int seal(const struct keyring *kr, const char *table, const char *column, const char *row_key, const void *pt,
         size_t ptlen, unsigned char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    /* The key watcher may add slots or move current while this runs (keys.h): read each once. */
    int n = __atomic_load_n(&kr->n_seal, __ATOMIC_ACQUIRE);
    int cur = __atomic_load_n(&kr->current, __ATOMIC_ACQUIRE);
    if (n < 1 || n > KEYS_MAX_SEAL || cur < 0 || cur >= n ||
        ptlen > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX || ptlen > SIZE_MAX - SEAL_OVERHEAD)
        return TGR_ERR;
    if (sodium_init() < 0) return TGR_ERR;
    struct ad ad;
    if (ad_build(&ad, table, column, row_key) != TGR_OK) return TGR_ERR;
    unsigned char *buf = malloc(ptlen + SEAL_OVERHEAD);
    if (!buf) {
        ad_release(&ad);
        return TGR_ERR;
    }
    buf[0] = SEAL_VERSION;
    buf[1] = kr->seal[cur].id;
    unsigned char *nonce = buf + HDR_BYTES;
    randombytes_buf(nonce, NONCE_BYTES);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + NONCE_BYTES, &clen, pt, ptlen,
                                               (const unsigned char *)ad.p, ad.len, NULL, nonce,
                                               kr->seal[cur].key);
    ad_release(&ad);
    *out = buf;
    *outlen = HDR_BYTES + NONCE_BYTES + (size_t)clen;
    return TGR_OK;
}

int seal_open(const struct keyring *kr, const char *table, const char *column, const char *row_key,
              const unsigned char *ct, size_t ctlen, char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (!ct || ctlen < SEAL_OVERHEAD || ct[0] != SEAL_VERSION) return TGR_ERR;
    const unsigned char *key = NULL;
    int n = __atomic_load_n(&kr->n_seal, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n && i < KEYS_MAX_SEAL; i++) {
        if (kr->seal[i].id == ct[1]) {
            key = kr->seal[i].key;
            break;
        }
    }
    if (!key) return TGR_ERR;
    struct ad ad;
    if (ad_build(&ad, table, column, row_key) != TGR_OK) return TGR_ERR;
    size_t ptcap = ctlen - SEAL_OVERHEAD;
    char *buf = malloc(ptcap + 1);
    if (!buf) {
        ad_release(&ad);
        return TGR_ERR;
    }
    const unsigned char *nonce = ct + HDR_BYTES;
    unsigned long long mlen = 0;
    int rc = crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)buf, &mlen, NULL,
                                                        nonce + NONCE_BYTES, ctlen - HDR_BYTES - NONCE_BYTES,
                                                        (const unsigned char *)ad.p, ad.len, nonce, key);
    ad_release(&ad);
    if (rc != 0) {
        free(buf);
        return TGR_ERR;
    }
    buf[mlen] = 0;
    *out = buf;
    *outlen = (size_t)mlen;
    return TGR_OK;
}

void blind_index(const struct keyring *kr, const char *domain, const char *value, char out[BLIND_HEX_LEN + 1])
{
    /* The 0x00 separator cannot occur inside a C string, so ("ab","c") and ("a","bc") differ. */
    static const unsigned char sep = 0;
    unsigned char h[BLIND_BYTES];
    crypto_generichash_state st;
    crypto_generichash_init(&st, kr->blind, KEYS_BYTES, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)domain, strlen(domain));
    crypto_generichash_update(&st, &sep, 1);
    crypto_generichash_update(&st, (const unsigned char *)value, strlen(value));
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, BLIND_HEX_LEN + 1, h, sizeof h);
    sodium_memzero(&st, sizeof st);
}

void seal_tag_key(const struct keyring *kr, const char *domain, unsigned char key[SEAL_TAG_KEYBYTES])
{
    /* "tag:" keeps the derivation apart from blind_index's hashes of the same key. */
    crypto_generichash_state st;
    crypto_generichash_init(&st, kr->blind, KEYS_BYTES, SEAL_TAG_KEYBYTES);
    crypto_generichash_update(&st, (const unsigned char *)"tag:", 4);
    crypto_generichash_update(&st, (const unsigned char *)domain, strlen(domain));
    crypto_generichash_final(&st, key, SEAL_TAG_KEYBYTES);
    sodium_memzero(&st, sizeof st);
}

int64_t seal_tag(const unsigned char key[SEAL_TAG_KEYBYTES], const char *row_key, const char *value)
{
    _Static_assert(SEAL_TAG_KEYBYTES == crypto_shorthash_KEYBYTES, "tag key size");
    unsigned char in[256], h[crypto_shorthash_BYTES];
    size_t lr = strlen(row_key), lv = strlen(value);
    if (lr + 1 + lv > sizeof in) { /* row keys and the values tagged are short; cut, never overflow */
        lr = lr < sizeof in / 2 ? lr : sizeof in / 2;
        lv = sizeof in - 1 - lr;
    }
    memcpy(in, row_key, lr);
    in[lr] = 0;
    memcpy(in + lr + 1, value, lv);
    crypto_shorthash(h, in, lr + 1 + lv, key);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)h[i] << (8 * i);
    int64_t t;
    memcpy(&t, &v, sizeof t);
    return t ? t : 1;
}
