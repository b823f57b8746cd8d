/* password — owns Argon2id hashing and verification of account passwords, and the dummy verify
 * that makes "unknown email" cost as much as "wrong password"; see password.h. */
#include "crypto/password.h"

#include <pthread.h>
#include <string.h>

#include "base/util.h"

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[PASSWORD_HASH_LEN];

int password_hash(const char *pw, char out[PASSWORD_HASH_LEN])
{
    if (!pw || sodium_init() < 0) return TGR_ERR;
    if (crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return TGR_ERR;
    return TGR_OK;
}

int password_verify(const char *hash, const char *pw)
{
    if (!hash || !pw || sodium_init() < 0) return TGR_ERR;
    /* libsodium reads the hash as a C string; one that does not end within the buffer size
     * the contract promises is not one we wrote. */
    if (strnlen(hash, PASSWORD_HASH_LEN) >= PASSWORD_HASH_LEN) return TGR_ERR;
    return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0 ? TGR_OK : TGR_ERR;
}

/* The dummy is a real hash, with the same parameters as real ones, of a random password nobody
 * knows; verifying against it costs what a real verify costs. */
static void make_dummy(void)
{
    unsigned char rnd[32];
    char pw[sizeof rnd * 2 + 1];
    if (sodium_init() < 0) return;
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(pw, sizeof pw, rnd, sizeof rnd);
    if (password_hash(pw, dummy_hash) != TGR_OK)
        dummy_hash[0] = 0; /* out of memory: the verify below then fails fast, nothing worse */
    sodium_memzero(rnd, sizeof rnd);
    sodium_memzero(pw, sizeof pw);
}

void password_verify_dummy(const char *pw)
{
    pthread_once(&dummy_once, make_dummy);
    (void)password_verify(dummy_hash, pw ? pw : "");
}
