/* device — the login device cookie `tgr_device` (docs/DECISIONS.md 47).
 *
 * A browser that logged in successfully gets a cookie saying so, signed by the server, so that
 * later logins from it pass the per-email budget of failed logins (http/loginlimit.h) even while
 * a distributed guesser keeps that budget exhausted. The value is
 *
 *     <id>.<issued>.<mac>
 *
 * id: 16 random bytes, base64url (22 characters) — names the device in the failure budget of
 * trusted clients; issued: unix seconds of the login; mac: 32 hex characters, the keyed BLAKE2b
 * (blind key, domain "tgr-device") of "<id>.<issued>.<normalized email>". The blind key never
 * rotates (DECISIONS 44), so cookies survive restarts and `tgr keys rotate`, and any instance on
 * the same keys accepts them; nothing is stored. The cookie names no account: it only proves
 * that this browser logged in to the email it is presented with. */
#ifndef TGR_DEVICE_H
#define TGR_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/keys.h"

#define DEVICE_COOKIE_NAME    "tgr_device"
#define DEVICE_COOKIE_TTL_S   (365 * 24 * 3600) /* Max-Age, and the oldest value still accepted */
#define DEVICE_ID_MAX         32                /* an id with its NUL (22 characters) */
#define DEVICE_VALUE_MAX      96                /* a value with its NUL (about 66 characters) */
#define DEVICE_SET_COOKIE_MAX 256               /* a Set-Cookie header value with its NUL */

/* A new cookie value for a successful login of email (normalized) at unix time now_s. */
void device_cookie_make(const struct keyring *kr, const char *email, int64_t now_s,
                        char out[DEVICE_VALUE_MAX]);

/* Check a cookie value presented with a login of email (normalized) at unix time now_s.
 * @param[out] id the device id when valid
 * @return TGR_OK; TGR_ERR when it is malformed, its MAC does not match (forged, or issued for
 *         another email), it was issued more than 5 minutes in the future or more than
 *         DEVICE_COOKIE_TTL_S ago */
int device_cookie_check(const struct keyring *kr, const char *email, const char *value, int64_t now_s,
                        char id[DEVICE_ID_MAX]);

/* The Set-Cookie header value for value: HttpOnly, SameSite=Strict, Path=/auth/login (it is
 * sent with logins only), Max-Age one year, and Secure when secure is non-zero (the public URL
 * is https). */
void device_set_cookie(const char *value, int secure, char out[DEVICE_SET_COOKIE_MAX]);

#endif
