/* password — Argon2id password hashing (libsodium crypto_pwhash_str, INTERACTIVE limits).
 *
 * Each call costs ~64 MiB of memory and tens of milliseconds of CPU: callers run it off the
 * HTTP polling threads with bounded concurrency (base/worker.h). */
#ifndef TGR_PASSWORD_H
#define TGR_PASSWORD_H

#include <sodium.h>

#define PASSWORD_HASH_LEN crypto_pwhash_STRBYTES
#define PASSWORD_MIN_LEN  12
#define PASSWORD_MAX_LEN  1024

/* Hash pw into out (NUL-terminated "$argon2id$…").
 * @return TGR_OK, or TGR_ERR when out of memory */
int password_hash(const char *pw, char out[PASSWORD_HASH_LEN]);

/* @return TGR_OK if pw matches hash, TGR_ERR otherwise (including a malformed hash) */
int password_verify(const char *hash, const char *pw);

/* Spend the same time as password_verify against a real hash, for unknown emails, so response
 * time does not tell which emails have accounts. The dummy hash is made once, lazily. */
void password_verify_dummy(const char *pw);

#endif
