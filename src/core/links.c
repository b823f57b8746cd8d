/* links — link codes and attribution references; see links.h.
 *
 * Issued format (27 characters of base64url, docs/DECISIONS.md 48): 20 bytes, an 8-byte tag then
 * the two ids (6-byte little-endian each) encrypted — a deterministic authenticated encryption in
 * the SIV manner: tag = keyed BLAKE2b-64 over (kind, ids), ciphertext = ids XOR ChaCha20(key,
 * nonce = tag). Nothing in it reads as an id, a changed character fails the tag, and a code is
 * the same each time it is made (a preview and a send give one URL). The kind ('L' for a link
 * code, 'R' for a ref) is inside the tag only, so neither passes for the other. Both keys come
 * from the blind-index key, which never rotates (DECISIONS 44), so codes stay valid forever.
 *
 * Accepted too (28 characters; links already in customers' chats and refs already in shops'
 * systems): a kind byte, the ids in clear, then an 8-byte keyed BLAKE2b MAC (blind key, domain
 * "tgr-links"). Nothing issues it any more. */
#include "core/links.h"

#include <sodium.h>
#include <string.h>

#include "base/util.h"

#define TAG_LEN       8
#define IDS_LEN       12
#define CODE_BYTES    (TAG_LEN + IDS_LEN)     /* issued format */
#define OLD_BYTES     (1 + IDS_LEN + TAG_LEN) /* accepted format */
#define OLD_CHARS     28                      /* base64url of OLD_BYTES */
#define KDF_CONTEXT   "tgrlink2"              /* subkeys of the blind key for the issued format */
#define SUBKEY_TAG    1
#define SUBKEY_STREAM 2

_Static_assert(sizeof KDF_CONTEXT - 1 == crypto_kdf_CONTEXTBYTES, "kdf context must be 8 bytes");
_Static_assert(KEYS_BYTES == crypto_kdf_KEYBYTES && KEYS_BYTES == crypto_stream_chacha20_KEYBYTES,
               "key sizes");
_Static_assert(TAG_LEN == crypto_stream_chacha20_NONCEBYTES, "the tag is the nonce");
_Static_assert(LINK_CODE_LEN + 1 <= LINK_CODE_MAX && OLD_CHARS < LINK_CODE_MAX, "code buffer");

static void put48(unsigned char *p, int64_t v)
{
    for (int i = 0; i < 6; i++)
        p[i] = (unsigned char)((uint64_t)v >> (8 * i));
}

static int64_t get48(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 6; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return (int64_t)v;
}

/* The two subkeys of the issued format, derived once per thread and blind key instead of for
 * every code: the redirect decodes a code and makes a ref on each click, and the two
 * derivations cost as much as the rest of both (issue 21's profile). The tag's key is kept as a
 * BLAKE2b state that has taken the key already, copied for each tag: a third of a tag's time
 * is setting the key up. Thread-local, so no lock; keyed by the blind key itself, so a second
 * keyring (tests, tools) never gets another's. They stay in memory as the keyring's own keys do. */
struct link_keys {
    unsigned char blind[KEYS_BYTES]; /* the key they were derived from */
    crypto_generichash_state tag;    /* keyed with subkey 1, for TAG_LEN bytes; nothing else taken */
    unsigned char stream[KEYS_BYTES];
    int ready;
};

static const struct link_keys *subkeys(const struct keyring *kr)
{
    static _Thread_local struct link_keys k;
    /* memcmp, not sodium_memcmp: both sides are this process's own key, nothing an outsider
     * chooses, so its timing tells nobody anything. */
    if (!k.ready || memcmp(k.blind, kr->blind, KEYS_BYTES) != 0) {
        unsigned char tag_key[KEYS_BYTES];
        /* Cannot fail: every size is fixed (asserted above). */
        (void)crypto_kdf_derive_from_key(tag_key, KEYS_BYTES, SUBKEY_TAG, KDF_CONTEXT, kr->blind);
        (void)crypto_generichash_init(&k.tag, tag_key, KEYS_BYTES, TAG_LEN);
        sodium_memzero(tag_key, sizeof tag_key);
        (void)crypto_kdf_derive_from_key(k.stream, KEYS_BYTES, SUBKEY_STREAM, KDF_CONTEXT, kr->blind);
        memcpy(k.blind, kr->blind, KEYS_BYTES);
        k.ready = 1;
    }
    return &k;
}

/* Base64url without padding, for codes and refs only: they are public (they travel in URLs),
 * so a plain table codec serves instead of libsodium's constant-time one (base/util.h), which is
 * made for secrets and took a fifth of the redirect's own work. The same rules: only the
 * alphabet, and the bits past the last whole byte must be zero (one spelling per value). */
static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void b64_encode(const unsigned char *in, size_t n, char *out)
{
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            *out++ = B64URL[(acc >> bits) & 63];
        }
    }
    if (bits) *out++ = B64URL[(acc << (6 - bits)) & 63];
    *out = 0;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

/* @return TGR_OK with *outlen bytes in out, TGR_ERR for anything but one spelling of them */
static int b64_decode(const char *in, size_t len, unsigned char *out, size_t cap, size_t *outlen)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    if (len % 4 == 1) return TGR_ERR; /* 6 bits: not even one byte */
    for (size_t i = 0; i < len; i++) {
        int v = b64_value((unsigned char)in[i]);
        if (v < 0) return TGR_ERR;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == cap) return TGR_ERR;
            out[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1; /* only the bits not yet in a byte stay */
        }
    }
    if (acc & ((1u << bits) - 1)) return TGR_ERR;
    *outlen = n;
    return TGR_OK;
}

/* Keyed BLAKE2b-64 over (kind, ids), from the keyed state k->tag. */
static void siv_tag(const struct link_keys *k, unsigned char kind, const unsigned char ids[IDS_LEN],
                    unsigned char tag[TAG_LEN])
{
    unsigned char msg[1 + IDS_LEN];
    crypto_generichash_state st = k->tag;
    msg[0] = kind;
    memcpy(msg + 1, ids, IDS_LEN);
    (void)crypto_generichash_update(&st, msg, sizeof msg);
    (void)crypto_generichash_final(&st, tag, TAG_LEN);
}

static void encode(const struct keyring *kr, unsigned char kind, int64_t a, int64_t b,
                   char out[LINK_CODE_MAX])
{
    unsigned char ids[IDS_LEN], buf[CODE_BYTES];
    const struct link_keys *k = subkeys(kr);
    put48(ids, a);
    put48(ids + 6, b);
    siv_tag(k, kind, ids, buf);
    crypto_stream_chacha20_xor(buf + TAG_LEN, ids, IDS_LEN, buf, k->stream);
    b64_encode(buf, sizeof buf, out);
}

static void old_mac(const struct keyring *kr, const unsigned char *msg, size_t len,
                    unsigned char out[TAG_LEN])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, kr->blind, sizeof kr->blind, TAG_LEN);
    crypto_generichash_update(&st, (const unsigned char *)"tgr-links", 10);
    crypto_generichash_update(&st, msg, len);
    crypto_generichash_final(&st, out, TAG_LEN);
}

/* Both formats; anything else, or a tag that does not match, is TGR_ERR (compared in constant
 * time). */
static int decode(const struct keyring *kr, const char *code, unsigned char kind, int64_t *a, int64_t *b)
{
    unsigned char buf[OLD_BYTES], ids[IDS_LEN], want[TAG_LEN];
    size_t len = 0, clen = code ? strnlen(code, LINK_CODE_MAX) : 0;
    /* One spelling per code: b64_decode refuses non-zero padding bits and any byte outside the
     * alphabet (libsodium 1.0.18 read some bytes >= 0x80 as letters of it; found by fuzz_router:
     * a '_' replaced by 0xE9 decoded the same). */
    if ((clen != LINK_CODE_LEN && clen != OLD_CHARS) ||
        b64_decode(code, clen, buf, sizeof buf, &len) != TGR_OK)
        return TGR_ERR;
    int ok;
    if (len == CODE_BYTES) {
        const struct link_keys *k = subkeys(kr);
        crypto_stream_chacha20_xor(ids, buf + TAG_LEN, IDS_LEN, buf, k->stream);
        siv_tag(k, kind, ids, want);
        ok = sodium_memcmp(want, buf, TAG_LEN) == 0;
    } else if (len == OLD_BYTES && buf[0] == kind) {
        old_mac(kr, buf, 1 + IDS_LEN, want);
        memcpy(ids, buf + 1, IDS_LEN);
        ok = sodium_memcmp(want, buf + 1 + IDS_LEN, TAG_LEN) == 0;
    } else {
        return TGR_ERR;
    }
    if (!ok) return TGR_ERR;
    *a = get48(ids);
    *b = get48(ids + 6);
    return TGR_OK;
}

void link_code(const struct keyring *kr, int64_t link_id, int64_t recipient_id, char out[LINK_CODE_MAX])
{
    encode(kr, 'L', link_id, recipient_id, out);
}

int link_code_parse(const struct keyring *kr, const char *code, int64_t *link_id, int64_t *recipient_id)
{
    return decode(kr, code, 'L', link_id, recipient_id);
}

void link_ref(const struct keyring *kr, int64_t recipient_id, int64_t link_id, char out[LINK_CODE_MAX])
{
    encode(kr, 'R', recipient_id, link_id, out);
}

int link_ref_parse(const struct keyring *kr, const char *ref, int64_t *recipient_id, int64_t *link_id)
{
    return decode(kr, ref, 'R', recipient_id, link_id);
}
