/* phone — phone numbers in E.164 form ("+15550002001"), the one form tgr stores and indexes. */
#ifndef TGR_PHONE_H
#define TGR_PHONE_H

#include <stddef.h>

/* Normalise in ("+1 555 000-2001", "15550002001") to E.164: '+' and 7–15 digits. Spaces,
 * dashes, dots and parentheses are dropped; any other character makes it invalid.
 * @return TGR_OK with out set (cap >= 17), or TGR_ERR */
int phone_normalize(const char *in, char *out, size_t cap);

/* Mask an E.164 number for display: "+1555***2001" (first 5 and last 4 characters kept). */
void phone_mask(const char *e164, char *out, size_t cap);

#endif
