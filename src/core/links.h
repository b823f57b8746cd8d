/* links — tracked links (API.md "Tracking"). A tracked URL is PUBLIC_URL/t/<code>, where the
 * code names one link of one campaign and one recipient, and needs no database row per recipient.
 * The redirect adds tgr_ref=<ref>, a second token naming the recipient and the link, which shops
 * send back with orders for attribution. Both are the ids encrypted and authenticated under a key
 * that never rotates: they cannot be forged, enumerated or read (not even by the shop's site and
 * its analytics, which see every ref), and they stay valid for good. Codes and refs of the
 * earlier format (the ids in clear with a MAC) are still accepted; see links.c. */
#ifndef TGR_LINKS_H
#define TGR_LINKS_H

#include <stdint.h>

#include "crypto/keys.h"

#define LINK_CODE_MAX 40 /* buffer for a code or ref with its NUL */
#define LINK_CODE_LEN 27 /* characters of every code and ref made now (base64url) */

/* Make the code of (link, recipient); recipient 0 is used for previews. The same ids always give
 * the same code. */
void link_code(const struct keyring *kr, int64_t link_id, int64_t recipient_id, char out[LINK_CODE_MAX]);
/* @return TGR_OK with the ids, or TGR_ERR for anything not made by link_code with this key (in
 * either format): a forged, altered, truncated or over-long code, or a ref */
int link_code_parse(const struct keyring *kr, const char *code, int64_t *link_id, int64_t *recipient_id);

/* The attribution reference of a click (recipient and link), and back (same rules as the code;
 * a link code is not a ref). */
void link_ref(const struct keyring *kr, int64_t recipient_id, int64_t link_id, char out[LINK_CODE_MAX]);
int link_ref_parse(const struct keyring *kr, const char *ref, int64_t *recipient_id, int64_t *link_id);

#endif
