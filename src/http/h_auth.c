/* h_auth — POST /auth/login (API.md "Auth").
 *
 * Order matters: the body is checked, then the per-IP and per-email limits are taken, and only
 * then is the Argon2id verification (64 MiB, tens of ms) queued on the bounded hash pool.
 * Unknown emails run a dummy verification so the reply time does not reveal which emails exist. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/account.h"
#include "core/app.h"
#include "core/log.h"
#include "core/util.h"
#include "crypto/jwt.h"
#include "crypto/password.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/ratelimit.h"
#include "http/server.h"

struct login {
    char email[STORE_EMAIL_MAX + 1];
    const char *password;
};

static void login_free(void *p)
{
    free(p);
}

static void login_job(struct req *r)
{
    struct app *app = r->app;
    struct login *in = r->state;
    struct account a;
    enum db_status st = app->store->account_by_email(app->store, in->email, &a);
    if (st < 0) {
        password_verify_dummy(in->password);
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return;
    }
    if (st == DB_NONE) {
        password_verify_dummy(in->password);
        reply_error(r, ERR_INVALID_CREDENTIALS, NULL, NULL);
        return;
    }
    if (password_verify(a.password_hash, in->password) != TGR_OK) {
        log_info("auth", "failed login for account %lld from %s", (long long)a.id, r->ip);
        reply_error(r, ERR_INVALID_CREDENTIALS, NULL, NULL);
        return;
    }
    int64_t now = now_ms() / 1000;
    char token[JWT_MAX_LEN], expires[40];
    if (jwt_sign(app->kr.jwt, a.id, now, now + AUTH_TOKEN_TTL_S, token, sizeof token) != TGR_OK) {
        reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    rfc3339((now + AUTH_TOKEN_TTL_S) * 1000, expires, sizeof expires);
    reply_json(r, 200,
               json_pack("{s:s, s:s, s:{s:I, s:s, s:s}}", "token", token, "expires_at", expires, "account", "id",
                         (json_int_t)a.id, "email", a.email, "plan_type", a.plan_type));
}

static enum hres limited(struct req *r, int wait, const char *what)
{
    char v[16];
    snprintf(v, sizeof v, "%d", wait);
    reply_error(r, ERR_RATE_LIMITED, NULL, "too many login attempts %s; retry in %d s", what, wait);
    reply_header(r, "Retry-After", v);
    return H_NO;
}

enum hres auth_login_h(struct req *r)
{
    const char *email = NULL, *password = NULL;
    struct jfield spec[] = {
        JF_STRING_LEN("email", &email, 1, STORE_EMAIL_MAX),
        JF_STRING_LEN("password", &password, 1, PASSWORD_MAX_LEN),
        JF_END,
    };
    if (http_parse_spec(r, spec) != TGR_OK)
        return H_NO;
    struct login *in = calloc(1, sizeof *in);
    if (!in)
        return H_SYSERR;
    r->state = in;
    r->state_free = login_free;
    snprintf(in->email, sizeof in->email, "%s", email);
    in->password = password;
    /* An address that cannot be valid is still rate limited and still costs a verification, so
     * it answers like any other wrong login. */
    account_normalize_email(in->email);

    struct app *app = r->app;
    int wait = ratelimit_take(app->rl_login_ip, r->ip, mono_ms());
    if (wait)
        return limited(r, wait, "from this address");
    wait = ratelimit_take(app->rl_login_email, in->email, mono_ms());
    if (wait)
        return limited(r, wait, "for this account");
    http_defer(r, app->hash_pool, NULL, login_job);
    return H_DEFER;
}
