/* account — account creation and API key hashing; see account.h. */
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

enum db_status account_create(struct store *st, const struct keyring *kr, const char *email,
                              const char *password, char *api_key, int64_t *id, char *err, size_t errlen)
{
    struct account a = {0};
    if (snprintf(a.email, sizeof a.email, "%s", email) >= (int)sizeof a.email ||
        account_normalize_email(a.email) != TGR_OK) {
        snprintf(err, errlen, "'%.80s' is not a valid email address", email);
        return DB_NONE;
    }
    size_t pl = strlen(password);
    if (pl < PASSWORD_MIN_LEN || pl > PASSWORD_MAX_LEN) {
        snprintf(err, errlen, "the password must be %d to %d characters long", PASSWORD_MIN_LEN,
                 PASSWORD_MAX_LEN);
        return DB_NONE;
    }
    if (password_hash(password, a.password_hash) != TGR_OK) {
        snprintf(err, errlen, "cannot hash the password (out of memory?)");
        return DB_HARD;
    }
    snprintf(a.plan_type, sizeof a.plan_type, "free");
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(api_key, "tgr_", 4);
    base64url_encode(raw, sizeof raw, api_key + 4);
    sodium_memzero(raw, sizeof raw);
    char hash[ACCOUNT_KEY_HASH_LEN + 1];
    account_api_key_hash(kr, api_key, hash);
    enum db_status r = st->account_create(st, &a, hash, id);
    if (r == DB_NONE)
        snprintf(err, errlen, "an account with the email %s exists already", a.email);
    else if (r < 0)
        snprintf(err, errlen, "the database refused the new account; see the log");
    if (r != DB_ONE) sodium_memzero(api_key, ACCOUNT_API_KEY_LEN + 1);
    return r;
}
