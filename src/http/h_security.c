/* h_security — the owner's credentials (issue 17; API.md "Account settings and the shop's
 * orders"): POST /account/password, POST /account/api-key, POST /auth/logout-all.
 *
 * A password change and "sign out everywhere" raise the account's token generation
 * (core/account.h), which http/auth.c compares with every token's: each token issued before
 * answers 401 from then on, on every instance. A password change checks the current password as
 * a login does: the login limits (http/loginlimit.h) of the account's email and the caller's
 * address reserve what a wrong one costs, and the Argon2id work runs on the hash pool. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "core/account.h"
#include "crypto/password.h"
#include "http/handlers.h"
#include "http/loginlimit.h"
#include "http/server.h"

struct password_req {
    const char *current, *fresh; /* borrowed from the parsed body, which the request keeps */
    struct loginlimit *limits;
    struct loginlimit_ticket ticket;
};

/* The request's cleanup hook: a ticket no verdict settled (the job never ran) is given back. */
static void password_req_free(void *p)
{
    struct password_req *in = p;
    loginlimit_cancel(in->limits, &in->ticket, mono_ms());
    free(in);
}

static void password_job(struct req *r)
{
    struct password_req *in = r->state;
    enum password_change o = account_password_change(r->app->store, &r->account, in->current, in->fresh);
    switch (o) {
    case PASSWORD_CHANGED:
        loginlimit_succeeded(in->limits, &in->ticket, mono_ms());
        log_info("auth", "account %lld changed its password; its earlier tokens are signed out",
                 (long long)r->account_id);
        http_audit(r, AUDIT_PASSWORD_CHANGE, "account", r->account_id,
                   json_pack("{s:s}", "outcome", "changed"));
        reply_empty(r, 204);
        return;
    case PASSWORD_WRONG:
        loginlimit_failed(in->limits, &in->ticket);
        log_info("auth", "wrong current password for account %lld from %s", (long long)r->account_id, r->ip);
        http_audit(r, AUDIT_PASSWORD_CHANGE, "account", r->account_id,
                   json_pack("{s:s}", "outcome", "current_password_wrong"));
        reply_error(r, ERR_VALIDATION, "current_password", "current_password is not this account's password");
        return;
    case PASSWORD_NEW_SAME:
        loginlimit_succeeded(in->limits, &in->ticket, mono_ms()); /* the current one was right */
        reply_error(r, ERR_VALIDATION, "new_password", "new_password must differ from the current password");
        return;
    case PASSWORD_NEW_INVALID:
        loginlimit_cancel(in->limits, &in->ticket, mono_ms());
        reply_error(r, ERR_VALIDATION, "new_password", "new_password must be %d to %d characters long",
                    PASSWORD_MIN_LEN, PASSWORD_MAX_LEN);
        return;
    case PASSWORD_NO_MEMORY:
    case PASSWORD_STORE:
        loginlimit_cancel(in->limits, &in->ticket, mono_ms());
        reply_error(r, ERR_UNAVAILABLE, NULL,
                    o == PASSWORD_STORE ? "the database is not available; retry shortly"
                                        : "the server is short of memory; retry shortly");
        return;
    }
}

enum hres account_password_h(struct req *r)
{
    const char *current = NULL, *fresh = NULL;
    struct jfield spec[] = {
        JF_STRING_LEN("current_password", &current, 1, PASSWORD_MAX_LEN),
        JF_STRING_LEN("new_password", &fresh, 1, PASSWORD_MAX_LEN),
        JF_END,
    };
    if (http_parse_spec(r, spec) != TGR_OK) return H_NO;
    char err[96];
    if (account_password_check(fresh, err, sizeof err) != TGR_OK) { /* cheap: before any limit or hash */
        reply_error(r, ERR_VALIDATION, "new_password", "new_password must be %d to %d characters long",
                    PASSWORD_MIN_LEN, PASSWORD_MAX_LEN);
        return H_NO;
    }
    struct password_req *in = calloc(1, sizeof *in);
    if (!in) return H_SYSERR;
    *in = (struct password_req){.current = current, .fresh = fresh, .limits = r->app->login_limits};
    r->state = in;
    r->state_free = password_req_free;
    enum loginlimit_which which;
    int wait = loginlimit_begin(in->limits, r->ip, r->account.email, NULL, mono_ms(), &in->ticket, &which);
    if (wait) {
        char v[16];
        snprintf(v, sizeof v, "%d", wait);
        reply_error(r, ERR_RATE_LIMITED, NULL, "too many wrong passwords; retry in %d s", wait);
        reply_header(r, "Retry-After", v);
        return H_NO;
    }
    http_defer(r, r->app->hash_pool, NULL, password_job);
    return H_DEFER;
}

enum hres account_api_key_h(struct req *r)
{
    struct jfield spec[] = {JF_END};
    if (http_parse_spec(r, spec) != TGR_OK) return H_NO;
    char key[ACCOUNT_API_KEY_LEN + 1];
    enum db_status st = account_api_key_renew(r->app->store, r->app->kr, r->account_id, key);
    if (st != DB_ONE) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    log_info("auth", "account %lld has a new API key; the old one no longer works", (long long)r->account_id);
    http_audit(r, AUDIT_API_KEY_ROTATE, "account", r->account_id, NULL);
    reply_json(r, 200, json_pack("{s:s}", "api_key", key));
    sodium_memzero(key, sizeof key);
    return H_OK;
}

enum hres auth_logout_all_h(struct req *r)
{
    struct jfield spec[] = {JF_END};
    if (http_parse_spec(r, spec) != TGR_OK) return H_NO;
    struct store *st = r->app->store;
    if (st->account_tokens_revoke(st, r->account_id, NULL) != DB_ONE) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    log_info("auth", "account %lld signed out everywhere", (long long)r->account_id);
    http_audit(r, AUDIT_LOGOUT_ALL, "account", r->account_id, NULL);
    reply_empty(r, 204);
    return H_OK;
}
