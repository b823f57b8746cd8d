/* auth — credential middleware; see auth.h. */
#include "http/auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/account.h"
#include "base/app.h"
#include "base/util.h"
#include "crypto/jwt.h"
#include "http/ratelimit.h"
#include "http/server.h"

static enum hres unauthorized(struct req *r, const char *why)
{
    reply_error(r, ERR_UNAUTHORIZED, NULL, "%s", why);
    reply_header(r, "WWW-Authenticate", "Bearer");
    return H_NO;
}

static enum hres limited(struct req *r, int wait)
{
    char v[16];
    snprintf(v, sizeof v, "%d", wait);
    reply_error(r, ERR_RATE_LIMITED, NULL, "too many requests; retry in %d s", wait);
    reply_header(r, "Retry-After", v);
    return H_NO;
}

enum hres auth_account(struct req *r)
{
    struct app *app = r->app;
    const char *authz = req_header(r, "Authorization");
    const char *key = req_header(r, "X-API-Key");
    enum db_status st;
    struct jwt_claims claims = {0};
    if (authz) {
        if (strncasecmp(authz, "Bearer ", 7) != 0)
            return unauthorized(r, "the Authorization header must be 'Bearer <token>'");
        if (jwt_verify_claims(app->kr->jwt, authz + 7, now_ms() / 1000, &claims) != TGR_OK)
            return unauthorized(r, "the token is invalid or expired; log in again");
        r->cred_exp = claims.exp;
        st = app->store->account_get(app->store, claims.sub, &r->account);
    } else if (key) {
        if (strlen(key) != ACCOUNT_API_KEY_LEN || strncmp(key, "tgr_", 4) != 0)
            return unauthorized(r, "the API key is not valid");
        char hash[ACCOUNT_KEY_HASH_LEN + 1];
        account_api_key_hash(app->kr, key, hash);
        st = app->store->account_by_api_key(app->store, hash, &r->account);
        snprintf(r->cred_key_hash, sizeof r->cred_key_hash, "%s", hash);
    } else {
        return unauthorized(r, "log in first: send 'Authorization: Bearer <token>' or 'X-API-Key'");
    }
    if (st < 0) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    if (st == DB_NONE)
        return unauthorized(r, authz ? "the token's account does not exist" : "the API key is not valid");
    /* Revocation (issue 17): a password change or "sign out everywhere" raised the account's
     * token generation. It comes with the account row read just above, on every request and from
     * the database every instance shares, so no instance can accept a revoked token. */
    if (authz && claims.gen != r->account.token_gen)
        return unauthorized(
            r, "this token was signed out (password changed or signed out everywhere); log in again");
    r->account_id = r->account.id;

    char bucket[64];
    snprintf(bucket, sizeof bucket, "%lld", (long long)r->account_id);
    int wait = ratelimit_take(app->rl_api, bucket, mono_ms());
    if (!wait && r->route_idx >= 0 && app->routes[r->route_idx].rate_class &&
        strcmp(app->routes[r->route_idx].rate_class, "session") == 0)
        wait = ratelimit_take(app->rl_session, bucket, mono_ms());
    if (wait) return limited(r, wait);
    return H_OK;
}
