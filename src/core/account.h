/* account — creating accounts, recognising and changing their credentials; shared by the CLI
 * (`tgr account create`), the demo set-up and the HTTP auth and account layers. */
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

/* The password rule, at creation and at a change: PASSWORD_MIN_LEN to PASSWORD_MAX_LEN bytes.
 * @return TGR_OK, or TGR_ERR with "the password must be 12 to 1024 characters long" in err */
int account_password_check(const char *password, char *err, size_t errlen);

/* ---- the owner's credentials (issue 17; API.md "Account settings and the shop's orders") ---- */

enum password_change {
    PASSWORD_CHANGED,     /* stored, and every token issued before is revoked */
    PASSWORD_WRONG,       /* current is not the account's password */
    PASSWORD_NEW_INVALID, /* fresh breaks account_password_check (checked first: no hash is run) */
    PASSWORD_NEW_SAME,    /* fresh is the current password */
    PASSWORD_NO_MEMORY,   /* the new hash could not be made */
    PASSWORD_STORE,       /* the database failed */
};

/* Change a's password from current to fresh: check fresh, verify current against a's hash
 * (Argon2id: call it off the HTTP threads), hash fresh, then in one durable transaction store the
 * hash and raise the token generation, so every token issued before answers 401. */
enum password_change account_password_change(struct store *st, const struct account *a, const char *current,
                                             const char *fresh);

/* A new API key for the account (shown once); the old one stops working at once.
 * @param[out] api_key ACCOUNT_API_KEY_LEN + 1 bytes, wiped unless DB_ONE
 * @return DB_ONE, DB_NONE (no such account), DB_SOFT, DB_HARD */
enum db_status account_api_key_renew(struct store *st, const struct keyring *kr, int64_t id, char *api_key);

#endif
