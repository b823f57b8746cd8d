/* links — tracked links (API.md "Tracking"). A tracked URL is PUBLIC_URL/t/<code>, where the
 * code names one link of one campaign and one recipient, with a MAC so codes cannot be forged or
 * enumerated, and needs no database row per recipient. The redirect adds tgr_ref=<ref>, a
 * second token naming the recipient, which shops send back with orders for attribution. */
#ifndef TGR_LINKS_H
#define TGR_LINKS_H

#include <stdint.h>

#include "crypto/keys.h"

#define LINK_CODE_MAX 40

/* Make the code of (link, recipient); recipient 0 is used for previews. */
void link_code(const struct keyring *kr, int64_t link_id, int64_t recipient_id, char out[LINK_CODE_MAX]);
/* @return TGR_OK with the ids, or TGR_ERR for anything not made by link_code with this key */
int link_code_parse(const struct keyring *kr, const char *code, int64_t *link_id, int64_t *recipient_id);

/* The attribution reference of a click (recipient and link), and back. */
void link_ref(const struct keyring *kr, int64_t recipient_id, int64_t link_id, char out[LINK_CODE_MAX]);
int link_ref_parse(const struct keyring *kr, const char *ref, int64_t *recipient_id, int64_t *link_id);

#endif
