/* seal — authenticated encryption of single fields, and keyed blind indexes (DESIGN §3).
 *
 * A sealed value is  0x01 | key id (1 byte) | nonce (24 bytes) | XChaCha20-Poly1305 ciphertext+tag.
 * The associated data is "table.column:row_key", so a ciphertext copied into another row or
 * another column does not open. row_key is whatever stably names the row before and after it is
 * written (an id, or "account:tg_user_id" when the id is not known yet); callers document theirs. */
#ifndef TGR_SEAL_H
#define TGR_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include "crypto/keys.h"

#define SEAL_VERSION  0x01
#define SEAL_OVERHEAD (2 + 24 + 16)
#define BLIND_HEX_LEN 32 /* 16-byte index as lowercase hex */

/* Seal pt (ptlen bytes, may be 0) with the current key.
 * @param[out] out malloc'd, *outlen = ptlen + SEAL_OVERHEAD; caller frees
 * @return TGR_OK, or TGR_ERR on allocation failure */
int seal(const struct keyring *kr, const char *table, const char *column, const char *row_key, const void *pt,
         size_t ptlen, unsigned char **out, size_t *outlen);

/* Open a sealed value. Fails on a wrong version byte, an unknown key id, a tampered byte, or
 * a table/column/row_key other than the one it was sealed for.
 * @param[out] out malloc'd and NUL-terminated (so text fields can be used as C strings);
 *             *outlen excludes the NUL; caller frees (sodium_memzero first if secret)
 * @return TGR_OK or TGR_ERR (nothing allocated) */
int seal_open(const struct keyring *kr, const char *table, const char *column, const char *row_key,
              const unsigned char *ct, size_t ctlen, char **out, size_t *outlen);

/* Keyed blind index of value for a domain ("contacts.phone"): BLAKE2b-128 keyed with the blind
 * key over domain | 0x00 | value. Equal inputs in one domain give equal indexes; nothing
 * about value can be learned from it without the key. Callers normalise value first
 * (E.164 phone, lowercased username). out gets BLIND_HEX_LEN hex chars and a NUL. */
void blind_index(const struct keyring *kr, const char *domain, const char *value,
                 char out[BLIND_HEX_LEN + 1]);

/* Keyed tags: a 64-bit value that tells which of a few known plaintexts one row holds without
 * opening it (the audience's category filter; DECISIONS 79). A tag is SipHash-2-4 of
 * row_key | 0x00 | value, keyed with a 16-byte key that BLAKE2b derives from the blind key for a
 * domain ("customer_categories.category"), so equal values of two rows get unrelated tags and
 * nothing can be learned from a tag without the key. Like blind indexes, tags never rotate.
 * SipHash costs a tenth of opening a sealed value, so a scan derives the key once and tags a
 * row's candidate values instead of opening it. */
#define SEAL_TAG_KEYBYTES 16

/* The tag key of a domain. Cheap enough per scan or per write, not per row. */
void seal_tag_key(const struct keyring *kr, const char *domain, unsigned char key[SEAL_TAG_KEYBYTES]);

/* The tag of value in the row named row_key (the row key its sealed value uses). Never 0, so
 * that 0 can stand for "no tag". */
int64_t seal_tag(const unsigned char key[SEAL_TAG_KEYBYTES], const char *row_key, const char *value);

#endif
