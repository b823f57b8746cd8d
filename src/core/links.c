/* links — link codes and attribution references; see links.h.
 * Layout (before base64url): a kind byte, the ids as 6-byte little-endian integers, then an
 * 8-byte keyed BLAKE2b MAC (blind-index key, domain "tgr-links") over everything before it. */
#include "core/links.h"

#include <sodium.h>
#include <string.h>

#include "core/util.h"

#define MAC_LEN 8

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

static void mac(const struct keyring *kr, const unsigned char *msg, size_t len, unsigned char out[MAC_LEN])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, kr->blind, sizeof kr->blind, MAC_LEN);
    crypto_generichash_update(&st, (const unsigned char *)"tgr-links", 10);
    crypto_generichash_update(&st, msg, len);
    crypto_generichash_final(&st, out, MAC_LEN);
}

static void encode(const struct keyring *kr, unsigned char kind, int64_t a, int64_t b, int two, char *out)
{
    unsigned char buf[1 + 12 + MAC_LEN];
    size_t n = 0;
    buf[n++] = kind;
    put48(buf + n, a);
    n += 6;
    if (two) {
        put48(buf + n, b);
        n += 6;
    }
    mac(kr, buf, n, buf + n);
    base64url_encode(buf, n + MAC_LEN, out);
}

static int decode(const struct keyring *kr, const char *code, unsigned char kind, int two, int64_t *a, int64_t *b)
{
    unsigned char buf[64], want[MAC_LEN];
    size_t len = 0, expect = 1 + (two ? 12 : 6) + MAC_LEN;
    size_t clen = strlen(code);
    if (clen >= LINK_CODE_MAX || base64url_decode(code, clen, buf, sizeof buf, &len) != TGR_OK || len != expect ||
        buf[0] != kind)
        return TGR_ERR;
    mac(kr, buf, expect - MAC_LEN, want);
    if (sodium_memcmp(want, buf + expect - MAC_LEN, MAC_LEN) != 0)
        return TGR_ERR;
    *a = get48(buf + 1);
    if (two)
        *b = get48(buf + 7);
    return TGR_OK;
}

void link_code(const struct keyring *kr, int64_t link_id, int64_t recipient_id, char out[LINK_CODE_MAX])
{
    encode(kr, 'L', link_id, recipient_id, 1, out);
}

int link_code_parse(const struct keyring *kr, const char *code, int64_t *link_id, int64_t *recipient_id)
{
    return decode(kr, code, 'L', 1, link_id, recipient_id);
}

void link_ref(const struct keyring *kr, int64_t recipient_id, int64_t link_id, char out[LINK_CODE_MAX])
{
    encode(kr, 'R', recipient_id, link_id, 1, out);
}

int link_ref_parse(const struct keyring *kr, const char *ref, int64_t *recipient_id, int64_t *link_id)
{
    return decode(kr, ref, 'R', 1, recipient_id, link_id);
}
