/* h_auth — POST /auth/login (API.md "Auth").
 *
 * Order matters: the body is checked, then the login limits (http/loginlimit.h) reserve what a
 * wrong password would cost, and only then is the Argon2id verification (64 MiB, tens of ms)
 * queued on the bounded hash pool. The verdict settles the reservation: a wrong password keeps
 * it, a right one gives it back, and no verdict (database down, pool full) gives it back too.
 * Unknown emails run a dummy verification and count as failures, so neither the reply, its time
 * nor the limits tell which emails exist. A successful login sets the device cookie
 * (http/device.h) that lets this browser past the per-email budget next time. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/account.h"
#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "crypto/jwt.h"
#include "crypto/password.h"
#include "http/auth.h"
#include "http/device.h"
#include "http/handlers.h"
#include "http/loginlimit.h"
#include "http/server.h"

struct login {
    char email[STORE_EMAIL_MAX + 1];
    const char *password;
    struct loginlimit *limits;
    struct loginlimit_ticket ticket;
};

/* The request's cleanup hook. A ticket still held here never got a verdict (the hash pool was
 * full, so the job never ran): it is given back. */
static void login_free(void *p)
{
    struct login *in = p;
    loginlimit_cancel(in->limits, &in->ticket, mono_ms());
    free(in);
}

/* Set the device cookie on the 200 of a successful login. */
static void set_device_cookie(struct req *r, const char *email, int64_t now_s)
{
    char value[DEVICE_VALUE_MAX], header[DEVICE_SET_COOKIE_MAX];
    device_cookie_make(r->app->kr, email, now_s, value);
    device_set_cookie(value, strncasecmp(r->app->cfg.public_url, "https://", 8) == 0, header);
    reply_header(r, "Set-Cookie", header);
}

static void login_job(struct req *r)
{
    struct app *app = r->app;
    struct login *in = r->state;
    struct account a;
    enum db_status st = app->store->account_by_email(app->store, in->email, &a);
    if (st < 0) {
        password_verify_dummy(in->password);
        loginlimit_cancel(in->limits, &in->ticket, mono_ms());
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return;
    }
    if (st == DB_NONE) {
        password_verify_dummy(in->password);
        loginlimit_failed(in->limits, &in->ticket);
        reply_error(r, ERR_INVALID_CREDENTIALS, NULL, NULL);
        return;
    }
    r->account_id = a.id; /* whose audit log the attempt goes to (an unknown email has none) */
    if (password_verify(a.password_hash, in->password) != TGR_OK) {
        loginlimit_failed(in->limits, &in->ticket);
        log_info("auth", "failed login for account %lld from %s", (long long)a.id, r->ip);
        http_audit(r, AUDIT_LOGIN_FAILED, "account", a.id,
                   json_pack("{s:s}", "outcome", "invalid_credentials"));
        reply_error(r, ERR_INVALID_CREDENTIALS, NULL, NULL);
        return;
    }
    loginlimit_succeeded(in->limits, &in->ticket, mono_ms());
    http_audit(r, AUDIT_LOGIN, "account", a.id, NULL);
    int64_t now = now_ms() / 1000;
    char token[JWT_MAX_LEN], expires[40];
    if (jwt_sign_gen(app->kr->jwt, a.id, a.token_gen, now, now + AUTH_TOKEN_TTL_S, token, sizeof token) !=
        TGR_OK) {
        reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    rfc3339((now + AUTH_TOKEN_TTL_S) * 1000, expires, sizeof expires);
    reply_json(r, 200,
               json_pack("{s:s, s:s, s:{s:I, s:s, s:s}}", "token", token, "expires_at", expires, "account",
                         "id", (json_int_t)a.id, "email", a.email, "plan_type", a.plan_type));
    set_device_cookie(r, in->email, now);
}

static enum hres limited(struct req *r, int wait, enum loginlimit_which which)
{
    static const char *const why[] = {
        [LOGINLIMIT_ADDR] = "too many failed logins from this address",
        [LOGINLIMIT_EMAIL_ADDR] = "too many failed logins for this account from this address",
        [LOGINLIMIT_EMAIL] = ("too many failed logins for this account; browsers and networks that "
                              "logged in to it before are still let in"),
    };
    char v[16];
    snprintf(v, sizeof v, "%d", wait);
    reply_error(r, ERR_RATE_LIMITED, NULL, "%s; retry in %d s", why[which], wait);
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
    if (http_parse_spec(r, spec) != TGR_OK) return H_NO;
    struct login *in = calloc(1, sizeof *in);
    if (!in) return H_SYSERR;
    r->state = in;
    r->state_free = login_free;
    snprintf(in->email, sizeof in->email, "%s", email);
    in->password = password;
    /* An address that cannot be valid is still rate limited and still costs a verification, so
     * it answers like any other wrong login. */
    account_normalize_email(in->email);

    struct app *app = r->app;
    in->limits = app->login_limits;
    char device[DEVICE_ID_MAX];
    const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, DEVICE_COOKIE_NAME);
    int trusted =
        cookie && device_cookie_check(app->kr, in->email, cookie, now_ms() / 1000, device) == TGR_OK;
    enum loginlimit_which which;
    int wait = loginlimit_begin(app->login_limits, r->ip, in->email, trusted ? device : NULL, mono_ms(),
                                &in->ticket, &which);
    if (wait) return limited(r, wait, which);
    http_defer(r, app->hash_pool, NULL, login_job);
    return H_DEFER;
}
