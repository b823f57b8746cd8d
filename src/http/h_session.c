/* h_session — the Telegram session routes (API.md "Telegram session"): connect, verify, status,
 * logout, sync. Each route that reaches Telegram runs on the tg worker pool (http_defer) and
 * waits there, with a deadline, for the bridge; the HTTP threads never wait on Telegram. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/log.h"
#include "core/phone.h"
#include "base/util.h"
#include "crypto/seal.h"
#include "engine/engine.h"
#include "http/handlers.h"
#include "http/server.h"
#include "tg/bridge.h"
#include "tg/session.h"
#include "tg/sync.h"

struct login_in {
    char phone[20];
    const char *code, *password;
};

static void state_free(void *p)
{
    free(p);
}

static void reply_outcome(struct req *r, const struct tgs_result *res)
{
    char v[16];
    switch (res->outcome) {
    case TGS_OK:
        reply_error(r, ERR_INTERNAL, NULL, NULL); /* callers handle success themselves */
        break;
    case TGS_PASSWORD_REQUIRED:
        reply_error(r, ERR_PASSWORD_REQUIRED, "password", NULL);
        break;
    case TGS_CODE_INVALID:
        reply_error(r, ERR_PHONE_CODE_INVALID, "code", NULL);
        break;
    case TGS_CODE_EXPIRED:
        reply_error(r, ERR_PHONE_CODE_EXPIRED, "code", NULL);
        break;
    case TGS_PASSWORD_INVALID:
        reply_error(r, ERR_PASSWORD_INVALID, "password", NULL);
        break;
    case TGS_PHONE_INVALID:
        reply_error(r, ERR_PHONE_INVALID, "phone", NULL);
        break;
    case TGS_NO_LOGIN:
        reply_error(r, ERR_NO_LOGIN, NULL, NULL);
        break;
    case TGS_CONNECTED:
        reply_error(
            r, ERR_INVALID_STATE, NULL,
            "a Telegram account is connected; disconnect it (DELETE /session) before connecting another");
        break;
    case TGS_FLOOD:
        snprintf(v, sizeof v, "%d", res->seconds);
        reply_error(r, ERR_RATE_LIMITED, NULL, "Telegram asks to wait %d s before trying again",
                    res->seconds);
        reply_header(r, "Retry-After", v);
        break;
    case TGS_REFUSED:
        reply_error(r, ERR_TELEGRAM_REFUSED, NULL, "Telegram refused the request: %s", res->code);
        break;
    case TGS_UNAVAILABLE:
        reply_error(r, ERR_TELEGRAM_UNAVAILABLE, NULL, "Telegram did not answer in time; try again");
        break;
    case TGS_DEAD:
        reply_error(r, ERR_SESSION_INVALID, NULL, NULL);
        break;
    case TGS_STORE:
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        break;
    }
}

/* A Telegram step's outcome for the audit log: never the phone, the code or the password. */
static const char *outcome_name(const struct tgs_result *res, const char *ok)
{
    static const char *const names[] = {
        [TGS_OK] = "ok",
        [TGS_PASSWORD_REQUIRED] = "password_required",
        [TGS_CODE_INVALID] = "phone_code_invalid",
        [TGS_CODE_EXPIRED] = "phone_code_expired",
        [TGS_PASSWORD_INVALID] = "password_invalid",
        [TGS_PHONE_INVALID] = "phone_number_invalid",
        [TGS_NO_LOGIN] = "no_login",
        [TGS_CONNECTED] = "already_connected",
        [TGS_FLOOD] = "flood_wait",
        [TGS_REFUSED] = "telegram_refused",
        [TGS_UNAVAILABLE] = "telegram_unavailable",
        [TGS_DEAD] = "session_invalid",
        [TGS_STORE] = "store_unavailable",
    };
    if (res->outcome == TGS_OK) return ok;
    return (unsigned)res->outcome < sizeof names / sizeof names[0] && names[res->outcome]
               ? names[res->outcome]
               : "failed";
}

static void connect_job(struct req *r)
{
    struct login_in *in = r->state;
    struct tgs_result res;
    tgs_connect(r->app, r->account_id, in->phone, &res);
    http_audit(r, AUDIT_SESSION_CONNECT, "session", 0,
               json_pack("{s:s}", "outcome", outcome_name(&res, "code_sent")));
    if (res.outcome == TGS_OK)
        reply_json(r, 200, json_pack("{s:s}", "status", "code_sent"));
    else
        reply_outcome(r, &res);
}

enum hres session_connect_h(struct req *r)
{
    const char *phone = NULL;
    struct jfield spec[] = {JF_STRING_LEN("phone", &phone, 1, 32), JF_END};
    if (http_parse_spec(r, spec) != TGR_OK) return H_NO;
    struct login_in *in = calloc(1, sizeof *in);
    if (!in) return H_SYSERR;
    r->state = in;
    r->state_free = state_free;
    if (phone_normalize(phone, in->phone, sizeof in->phone) != TGR_OK) {
        reply_error(r, ERR_VALIDATION, "phone", "phone must be an international number such as +15550002001");
        return H_NO;
    }
    http_defer(r, r->app->tg_pool, "session", connect_job);
    return H_DEFER;
}

static void verify_job(struct req *r)
{
    struct login_in *in = r->state;
    struct tgs_result res;
    tgs_verify(r->app, r->account_id, in->code, in->password, &res);
    http_audit(r, AUDIT_SESSION_VERIFY, "session", 0,
               json_pack("{s:s}", "outcome", outcome_name(&res, "connected")));
    if (res.outcome != TGS_OK) {
        reply_outcome(r, &res);
        return;
    }
    engine_request_sync(r->app->engine, r->account_id); /* the inbox, in the background */
    json_t *user = json_pack("{s:s, s:s}", "id", res.user_id, "first_name", res.first_name);
    json_object_set_new(user, "username", res.username[0] ? json_string(res.username) : json_null());
    reply_json(r, 200, json_pack("{s:s, s:o}", "status", "connected", "user", user));
}

enum hres session_verify_h(struct req *r)
{
    const char *code = NULL, *password = NULL;
    struct jfield spec[] = {
        JF_OPTIONAL(JF_STRING_LEN("code", &code, 1, 16)),
        JF_OPTIONAL(JF_STRING_LEN("password", &password, 1, 256)),
        JF_END,
    };
    if (http_parse_spec(r, spec) != TGR_OK) return H_NO;
    if (!code && !password) {
        reply_error(r, ERR_VALIDATION, "code", "code is required (and password with two-step verification)");
        return H_NO;
    }
    struct login_in *in = calloc(1, sizeof *in);
    if (!in) return H_SYSERR;
    in->code = code;
    in->password = password;
    r->state = in;
    r->state_free = state_free;
    http_defer(r, r->app->tg_pool, "session", verify_job);
    return H_DEFER;
}

enum hres session_get_h(struct req *r)
{
    struct tg_session s;
    enum db_status st = r->app->store->session_get(r->app->store, r->account_id, &s);
    if (st < 0) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    json_t *out = json_pack("{s:s}", "status", st == DB_ONE ? s.status : "none");
    /* Frozen by Telegram (FROZEN_* answers): read-only until an appeal to @SpamBot succeeds. */
    char frozen_at[40];
    int frozen = st == DB_ONE && s.frozen_at;
    if (frozen) rfc3339(s.frozen_at, frozen_at, sizeof frozen_at);
    json_object_set_new(out, "frozen", json_boolean(frozen));
    json_object_set_new(out, "frozen_at", frozen ? json_string(frozen_at) : json_null());
    json_object_set_new(out, "phone", json_null());
    if (st == DB_ONE && s.phone.p) {
        char rk[24], *phone = NULL, masked[32];
        size_t len;
        snprintf(rk, sizeof rk, "%lld", (long long)r->account_id);
        if (seal_open(r->app->kr, "telegram_sessions", "phone", rk, s.phone.p, s.phone.len, &phone, &len) ==
            TGR_OK) {
            phone_mask(phone, masked, sizeof masked);
            json_object_set_new(out, "phone", json_string(masked));
            free(phone);
        }
    }
    if (st == DB_ONE) tg_session_release(&s);
    /* A simulated Telegram says so, with the login it expects (DECISIONS 37). */
    if (r->app->sim_code[0])
        json_object_set_new(out, "simulator",
                            json_pack("{s:s, s:s?, s:b}", "code", r->app->sim_code, "phone",
                                      r->app->sim_phone[0] ? r->app->sim_phone : NULL, "two_step",
                                      r->app->sim_two_step));
    reply_json(r, 200, out);
    return H_OK;
}

static void logout_job(struct req *r)
{
    if (tgs_logout(r->app, r->account_id) != TGR_OK) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return;
    }
    http_audit(r, AUDIT_SESSION_LOGOUT, "session", 0, NULL);
    reply_empty(r, 204);
}

enum hres session_delete_h(struct req *r)
{
    http_defer(r, r->app->tg_pool, "session", logout_job);
    return H_DEFER;
}

static void sync_job(struct req *r)
{
    struct sync_counts c;
    struct bridge_error err;
    if (sync_account(r->app, r->account_id, &c, &err) != TGR_OK) {
        if (strcmp(err.code, "STORE") == 0) {
            reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        } else if (tgs_code_is_dead_session(err.code)) {
            /* Best effort: the next use of the session meets the same answer and tries again. */
            (void)!r->app->store->session_set_status(r->app->store, r->account_id, "invalid");
            reply_error(r, ERR_SESSION_INVALID, NULL, NULL);
        } else {
            reply_error(r, ERR_TELEGRAM_UNAVAILABLE, NULL,
                        "reading the inbox from Telegram failed (%s); try again", err.code);
        }
        return;
    }
    reply_json(r, 200,
               json_pack("{s:I, s:I, s:I}", "contacts_added", (json_int_t)c.contacts_added,
                         "contacts_updated", (json_int_t)c.contacts_updated, "messages_added",
                         (json_int_t)c.messages_added));
}

enum hres session_sync_h(struct req *r)
{
    struct jfield spec[] = {JF_END};
    if (http_parse_spec(r, spec) != TGR_OK) return H_NO;
    struct tg_session s;
    enum db_status st = r->app->store->session_get(r->app->store, r->account_id, &s);
    if (st < 0) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    int connected = st == DB_ONE && strcmp(s.status, "connected") == 0;
    if (st == DB_ONE) tg_session_release(&s);
    if (!connected) {
        reply_error(r, ERR_NO_SESSION, NULL, NULL);
        return H_NO;
    }
    http_defer(r, r->app->tg_pool, "sync", sync_job);
    return H_DEFER;
}
