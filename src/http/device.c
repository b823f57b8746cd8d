/* device — makes and checks the login device cookie; see device.h for the format and why. */
#include "http/device.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "crypto/seal.h"
#include "store/store.h"

#define ID_BYTES      16
#define ID_CHARS      22  /* base64url of 16 bytes, no padding */
#define FUTURE_SKEW_S 300 /* instances' clocks may differ a little (README: NTP) */

_Static_assert(ID_CHARS < DEVICE_ID_MAX, "device id buffer");
_Static_assert(ID_CHARS + 1 + 20 + 1 + BLIND_HEX_LEN < DEVICE_VALUE_MAX, "device value buffer");
_Static_assert(STORE_EMAIL_MAX <= 256, "device MAC message buffer");

/* The MAC of "<head>.<email>" as hex, head being "<id>.<issued>" exactly as the cookie has it.
 * The email is last, so the fields before it (base64url and digits, neither holding a '.')
 * cannot be shifted into it. */
static void mac(const struct keyring *kr, const char *head, size_t head_len, const char *email,
                char out[BLIND_HEX_LEN + 1])
{
    char msg[DEVICE_VALUE_MAX + 256 + 1];
    snprintf(msg, sizeof msg, "%.*s.%s", (int)head_len, head, email);
    blind_index(kr, "tgr-device", msg, out);
}

void device_cookie_make(const struct keyring *kr, const char *email, int64_t now_s,
                        char out[DEVICE_VALUE_MAX])
{
    unsigned char raw[ID_BYTES];
    char id[ID_CHARS + 1], head[DEVICE_VALUE_MAX], m[BLIND_HEX_LEN + 1];
    randombytes_buf(raw, sizeof raw);
    base64url_encode(raw, sizeof raw, id);
    int n = snprintf(head, sizeof head, "%s.%lld", id, (long long)now_s);
    mac(kr, head, (size_t)n, email, m);
    snprintf(out, DEVICE_VALUE_MAX, "%s.%s", head, m);
}

int device_cookie_check(const struct keyring *kr, const char *email, const char *value, int64_t now_s,
                        char id[DEVICE_ID_MAX])
{
    if (!value || strlen(value) >= DEVICE_VALUE_MAX) return TGR_ERR;
    const char *dot1 = strchr(value, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot2 || dot1 - value != ID_CHARS || strlen(dot2 + 1) != BLIND_HEX_LEN) return TGR_ERR;
    unsigned char raw[ID_BYTES + 4];
    size_t rawlen = 0;
    if (base64url_decode(value, ID_CHARS, raw, sizeof raw, &rawlen) != TGR_OK || rawlen != ID_BYTES)
        return TGR_ERR;
    char digits[24];
    size_t nd = (size_t)(dot2 - dot1 - 1);
    if (nd == 0 || nd >= sizeof digits) return TGR_ERR;
    memcpy(digits, dot1 + 1, nd);
    digits[nd] = 0;
    int64_t issued;
    if (parse_i64(digits, 0, INT64_MAX / 2, &issued) != TGR_OK) return TGR_ERR;
    if (issued > now_s + FUTURE_SKEW_S || now_s - issued > DEVICE_COOKIE_TTL_S) return TGR_ERR;
    char want[BLIND_HEX_LEN + 1];
    mac(kr, value, (size_t)(dot2 - value), email, want);
    if (sodium_memcmp(want, dot2 + 1, BLIND_HEX_LEN) != 0) return TGR_ERR;
    memcpy(id, value, ID_CHARS);
    id[ID_CHARS] = 0;
    return TGR_OK;
}

void device_set_cookie(const char *value, int secure, char out[DEVICE_SET_COOKIE_MAX])
{
    snprintf(out, DEVICE_SET_COOKIE_MAX, "%s=%s; Path=/auth/login; Max-Age=%d; HttpOnly; SameSite=Strict%s",
             DEVICE_COOKIE_NAME, value, DEVICE_COOKIE_TTL_S, secure ? "; Secure" : "");
}
