/* account — account creation, API keys and password changes; see account.h. */
#include "core/account.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "crypto/password.h"

int account_normalize_email(char *email)
{
    size_t n = strlen(email);
    if (n < 3 || n > STORE_EMAIL_MAX) return TGR_ERR;
    int at = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)email[i];
        if (c <= 0x20 || c == 0x7f) return TGR_ERR;
        if (c == '@') at++;
        email[i] = (char)tolower(c);
    }
    const char *a = strchr(email, '@');
    if (at != 1 || a == email || !a[1]) return TGR_ERR;
    return TGR_OK;
}

void account_api_key_hash(const struct keyring *kr, const char *api_key, char out[ACCOUNT_KEY_HASH_LEN + 1])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)api_key, strlen(api_key), kr->apikey,
                       sizeof kr->apikey);
    sodium_bin2hex(out, ACCOUNT_KEY_HASH_LEN + 1, h, sizeof h);
}

int account_password_check(const char *password, char *err, size_t errlen)
{
    size_t pl = strlen(password);
    if (pl >= PASSWORD_MIN_LEN && pl <= PASSWORD_MAX_LEN) return TGR_OK;
    snprintf(err, errlen, "the password must be %d to %d characters long", PASSWORD_MIN_LEN,
             PASSWORD_MAX_LEN);
    return TGR_ERR;
}

/* A new key ("tgr_" + base64url of 32 random bytes) and its stored hash. */
static void api_key_make(const struct keyring *kr, char *api_key, char hash[ACCOUNT_KEY_HASH_LEN + 1])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(api_key, "tgr_", 4);
    base64url_encode(raw, sizeof raw, api_key + 4);
    sodium_memzero(raw, sizeof raw);
    account_api_key_hash(kr, api_key, hash);
}

enum db_status account_create(struct store *st, const struct keyring *kr, const char *email,
                              const char *password, char *api_key, int64_t *id, char *err, size_t errlen)
{
    struct account a = {0};
    if (snprintf(a.email, sizeof a.email, "%s", email) >= (int)sizeof a.email ||
        account_normalize_email(a.email) != TGR_OK) {
        snprintf(err, errlen, "'%.80s' is not a valid email address", email);
        return DB_NONE;
    }
    if (account_password_check(password, err, errlen) != TGR_OK) return DB_NONE;
    if (password_hash(password, a.password_hash) != TGR_OK) {
        snprintf(err, errlen, "cannot hash the password (out of memory?)");
        return DB_HARD;
    }
    snprintf(a.plan_type, sizeof a.plan_type, "free");
    char hash[ACCOUNT_KEY_HASH_LEN + 1];
    api_key_make(kr, api_key, hash);
    enum db_status r = st->account_create(st, &a, hash, id);
    if (r == DB_NONE)
        snprintf(err, errlen, "an account with the email %s exists already", a.email);
    else if (r < 0)
        snprintf(err, errlen, "the database refused the new account; see the log");
    if (r != DB_ONE) sodium_memzero(api_key, ACCOUNT_API_KEY_LEN + 1);
    return r;
}

struct new_password {
    int64_t id;
    const char *hash;
};

static enum db_status password_txn(struct store *st, void *cls)
{
    const struct new_password *np = cls;
    enum db_status r = st->account_set_password(st, np->id, np->hash);
    if (r != DB_ONE) return r < 0 ? r : DB_HARD; /* the caller's own account is gone: fail, change nothing */
    return st->account_tokens_revoke(st, np->id, NULL);
}

enum password_change account_password_change(struct store *st, const struct account *a, const char *current,
                                             const char *fresh)
{
    char err[96];
    if (account_password_check(fresh, err, sizeof err) != TGR_OK) return PASSWORD_NEW_INVALID;
    if (password_verify(a->password_hash, current) != TGR_OK) return PASSWORD_WRONG;
    if (strcmp(current, fresh) == 0) return PASSWORD_NEW_SAME;
    char hash[PASSWORD_HASH_LEN];
    if (password_hash(fresh, hash) != TGR_OK) return PASSWORD_NO_MEMORY;
    enum db_status r = st->txn(st, TX_DURABLE, password_txn, &(struct new_password){a->id, hash});
    return r == DB_ONE ? PASSWORD_CHANGED : PASSWORD_STORE;
}

enum db_status account_api_key_renew(struct store *st, const struct keyring *kr, int64_t id, char *api_key)
{
    char hash[ACCOUNT_KEY_HASH_LEN + 1];
    api_key_make(kr, api_key, hash);
    enum db_status r = st->account_set_api_key(st, id, hash);
    if (r != DB_ONE) sodium_memzero(api_key, ACCOUNT_API_KEY_LEN + 1);
    return r;
}
