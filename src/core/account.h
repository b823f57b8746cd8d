/* account — creating accounts and recognising their credentials; shared by the CLI
 * (`tgr account create`), the demo set-up and the HTTP auth layer. */
#ifndef TGR_ACCOUNT_H
#define TGR_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/keys.h"
#include "store/store.h"

#define ACCOUNT_API_KEY_LEN  47 /* "tgr_" + base64url of 32 random bytes */
#define ACCOUNT_KEY_HASH_LEN 64

/* Lowercase and check an email address in place (one '@', no spaces or control characters,
 * at most STORE_EMAIL_MAX bytes). @return TGR_OK or TGR_ERR */
int account_normalize_email(char *email);

/* Create an account: hash the password (Argon2id), make an API key, store both.
 * @param[out] api_key the new key, shown once (ACCOUNT_API_KEY_LEN + 1 bytes)
 * @param[out] id the new account's id
 * @param err one line on failure ("an account with this email exists", …)
 * @return DB_ONE, DB_NONE (email taken or invalid input; err says which), DB_SOFT, DB_HARD */
enum db_status account_create(struct store *st, const struct keyring *kr, const char *email,
                              const char *password, char *api_key, int64_t *id, char *err, size_t errlen);

/* The stored form of an API key: keyed BLAKE2b-256, hex. */
void account_api_key_hash(const struct keyring *kr, const char *api_key, char out[ACCOUNT_KEY_HASH_LEN + 1]);

#endif
