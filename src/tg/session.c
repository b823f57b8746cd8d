/* session — the login flow over the bridge and the sealed session row; see session.h. */
#include "tg/session.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "cluster/cluster.h"
#include "core/tgerror.h"
#include "crypto/seal.h"
#include "store/store.h"
#include "tg/bridge.h"

#define LOGIN_TIMEOUT_MS 30000

int tgs_code_is_dead_session(const char *code)
{
    return tgerror_is_session_dead(code); /* the registry's class session_dead */
}

static void row_key(int64_t account_id, char *out, size_t cap)
{
    snprintf(out, cap, "%lld", (long long)account_id);
}

static int seal_field(struct app *app, int64_t account_id, const char *column, const char *text,
                      struct blob *b)
{
    char rk[24];
    row_key(account_id, rk, sizeof rk);
    return seal(app->kr, "telegram_sessions", column, rk, text, strlen(text), &b->p, &b->len);
}

static char *open_field(struct app *app, int64_t account_id, const char *column, const struct blob *b)
{
    char rk[24], *out = NULL;
    size_t len;
    if (!b->p) return NULL;
    row_key(account_id, rk, sizeof rk);
    if (seal_open(app->kr, "telegram_sessions", column, rk, b->p, b->len, &out, &len) != TGR_OK) {
        log_error("session", "the sealed %s of account %lld does not open (wrong master key?)", column,
                  (long long)account_id);
        return NULL;
    }
    return out;
}

static void free_secret(char *s)
{
    if (s) sodium_memzero(s, strlen(s));
    free(s);
}

/* Map a bridge error onto an outcome: the login's own codes first (during a login they say
 * which answer the route gives), then the registry's dead sessions (core/tgerror.h). */
static void from_error(const struct bridge_error *e, struct tgs_result *res)
{
    static const struct {
        const char *code;
        enum tgs_outcome o;
    } map[] = {
        {"SESSION_PASSWORD_NEEDED", TGS_PASSWORD_REQUIRED},
        {"PHONE_CODE_INVALID", TGS_CODE_INVALID},
        {"PHONE_CODE_EMPTY", TGS_CODE_INVALID},
        {"PHONE_CODE_EXPIRED", TGS_CODE_EXPIRED},
        {"PASSWORD_HASH_INVALID", TGS_PASSWORD_INVALID},
        {"SRP_PASSWORD_CHANGED", TGS_PASSWORD_INVALID},
        {"PHONE_NUMBER_INVALID", TGS_PHONE_INVALID},
        {"PHONE_NUMBER_BANNED", TGS_REFUSED}, /* a login refused, not a session that died */
        {"FLOOD_WAIT", TGS_FLOOD},
        {"PHONE_NUMBER_FLOOD", TGS_FLOOD},
        {"TIMEOUT", TGS_UNAVAILABLE},
        {"NETWORK", TGS_UNAVAILABLE},
        {"NOT_STARTED", TGS_UNAVAILABLE},
    };
    snprintf(res->code, sizeof res->code, "%s", e->code);
    res->seconds = e->seconds;
    res->outcome = TGS_REFUSED;
    int listed = 0;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(e->code, map[i].code) == 0) {
            res->outcome = map[i].o;
            listed = 1;
        }
    if (!listed && tgs_code_is_dead_session(e->code)) res->outcome = TGS_DEAD;
    if (res->outcome == TGS_FLOOD && res->seconds < 1) res->seconds = 60;
}

static void read_user(json_t *result, struct tgs_result *res)
{
    json_t *u = json_object_get(result, "user");
    const char *id = json_string_value(json_object_get(u, "id"));
    const char *fn = json_string_value(json_object_get(u, "first_name"));
    const char *un = json_string_value(json_object_get(u, "username"));
    if (!id && json_is_integer(json_object_get(u, "id")))
        snprintf(res->user_id, sizeof res->user_id, "%lld",
                 (long long)json_integer_value(json_object_get(u, "id")));
    else
        snprintf(res->user_id, sizeof res->user_id, "%s", id ? id : "");
    snprintf(res->first_name, sizeof res->first_name, "%s", fn ? fn : "");
    snprintf(res->username, sizeof res->username, "%s", un ? un : "");
}

static struct bridge *bridge_of(struct app *app)
{
    return app->bridge;
}

void tgs_connect(struct app *app, int64_t account_id, const char *phone, struct tgs_result *res)
{
    memset(res, 0, sizeof *res);
    struct tg_session cur;
    enum db_status cst = app->store->session_get(app->store, account_id, &cur);
    if (cst < 0) {
        res->outcome = TGS_STORE;
        return;
    }
    if (cst == DB_ONE) {
        int connected = strcmp(cur.status, "connected") == 0;
        tg_session_release(&cur);
        if (connected) {
            res->outcome = TGS_CONNECTED;
            return;
        }
    }
    struct bridge *b = bridge_of(app);
    if (!b) {
        res->outcome = TGS_UNAVAILABLE;
        return;
    }
    json_t *req =
        json_pack("{s:s, s:I, s:s}", "op", "send_code", "account", (json_int_t)account_id, "phone", phone);
    json_t *result = NULL;
    struct bridge_error err;
    int rc = bridge_call(b, req, LOGIN_TIMEOUT_MS, &result, &err);
    json_decref(req);
    if (rc != TGR_OK) {
        from_error(&err, res);
        log_info("session", "account %lld: send_code refused: %s", (long long)account_id, err.code);
        return;
    }
    struct tg_session s = {0};
    snprintf(s.status, sizeof s.status, "code_sent");
    const char *pending = json_string_value(json_object_get(result, "session"));
    if ((pending && seal_field(app, account_id, "encrypted_session_data", pending, &s.session) != TGR_OK) ||
        seal_field(app, account_id, "phone", phone, &s.phone) != TGR_OK ||
        app->store->session_put(app->store, account_id, &s) < 0)
        res->outcome = TGS_STORE;
    else
        res->outcome = TGS_OK;
    tg_session_release(&s);
    json_decref(result);
}

void tgs_verify(struct app *app, int64_t account_id, const char *code, const char *password,
                struct tgs_result *res)
{
    memset(res, 0, sizeof *res);
    struct bridge *b = bridge_of(app);
    struct tg_session s;
    enum db_status st = app->store->session_get(app->store, account_id, &s);
    if (st < 0) {
        res->outcome = TGS_STORE;
        return;
    }
    if (st == DB_NONE || (strcmp(s.status, "code_sent") != 0 && strcmp(s.status, "password_required") != 0)) {
        tg_session_release(&s);
        res->outcome = TGS_NO_LOGIN;
        return;
    }
    int need_password = strcmp(s.status, "password_required") == 0;
    if (need_password && !password) {
        tg_session_release(&s);
        res->outcome = TGS_PASSWORD_REQUIRED;
        return;
    }
    if (!b) {
        tg_session_release(&s);
        res->outcome = TGS_UNAVAILABLE;
        return;
    }
    json_t *req = json_pack("{s:s, s:I}", "op", "sign_in", "account", (json_int_t)account_id);
    /* After SESSION_PASSWORD_NEEDED the code has been accepted: only the password goes on. */
    if (code && !need_password) json_object_set_new(req, "code", json_string(code));
    if (password) json_object_set_new(req, "password", json_string(password));
    json_t *result = NULL;
    struct bridge_error err;
    int rc = bridge_call(b, req, LOGIN_TIMEOUT_MS, &result, &err);
    json_decref(req);
    if (rc != TGR_OK) {
        from_error(&err, res);
        log_info("session", "account %lld: sign_in refused: %s", (long long)account_id, err.code);
        if (res->outcome == TGS_PASSWORD_REQUIRED && !need_password &&
            app->store->session_set_status(app->store, account_id, "password_required") < 0)
            res->outcome = TGS_STORE;
        tg_session_release(&s);
        return;
    }
    read_user(result, res);
    const char *final = json_string_value(json_object_get(result, "session"));
    blob_release(&s.session);
    snprintf(s.status, sizeof s.status, "connected");
    snprintf(s.tg_user_id, sizeof s.tg_user_id, "%s", res->user_id);
    if ((final && seal_field(app, account_id, "encrypted_session_data", final, &s.session) != TGR_OK) ||
        app->store->session_put(app->store, account_id, &s) < 0) {
        res->outcome = TGS_STORE;
    } else {
        res->outcome = TGS_OK;
        log_info("session", "account %lld: Telegram connected", (long long)account_id);
        cluster_take(app->cluster, account_id); /* the client is here: no other instance starts one */
    }
    tg_session_release(&s);
    json_decref(result);
}
/* The stored session is dead: say so, so that the web app asks for a new login. A failure to
 * write it is logged; the caller's outcome is TGS_DEAD either way, and the next start finds the
 * same answer and tries again. */
static void mark_invalid(struct app *app, int64_t account_id)
{
    if (app->store->session_set_status(app->store, account_id, "invalid") < 0)
        log_error("session", "account %lld: could not mark the session invalid", (long long)account_id);
}

void tgs_start(struct app *app, int64_t account_id, struct tgs_result *res)
{
    memset(res, 0, sizeof *res);
    struct bridge *b = bridge_of(app);
    struct tg_session s;
    enum db_status st = app->store->session_get(app->store, account_id, &s);
    if (st != DB_ONE) {
        res->outcome = st < 0 ? TGS_STORE : TGS_NO_LOGIN;
        return;
    }
    if (strcmp(s.status, "code_sent") == 0 || strcmp(s.status, "password_required") == 0) {
        /* A login in progress: its row holds the pending session, and starting it would replace
         * the bridge's login client (the code then "expired", and a real start of an unauthorised
         * session ends it invalid). Seen as a re-login right after a logout failing under load. */
        tg_session_release(&s);
        res->outcome = TGS_NO_LOGIN;
        return;
    }
    char *session = open_field(app, account_id, "encrypted_session_data", &s.session);
    tg_session_release(&s);
    if (!session) {
        res->outcome = TGS_DEAD;
        snprintf(res->code, sizeof res->code, "SESSION_UNREADABLE");
        mark_invalid(app, account_id);
        return;
    }
    json_t *req =
        json_pack("{s:s, s:I, s:s}", "op", "start", "account", (json_int_t)account_id, "session", session);
    free_secret(session);
    json_t *result = NULL;
    struct bridge_error err;
    int rc = bridge_call(b, req, LOGIN_TIMEOUT_MS, &result, &err);
    json_object_del(req, "session");
    json_decref(req);
    if (rc != TGR_OK) {
        from_error(&err, res);
        if (res->outcome == TGS_DEAD) {
            log_warn("session", "account %lld: Telegram rejected the stored session (%s); reconnect needed",
                     (long long)account_id, err.code);
            mark_invalid(app, account_id);
        }
        return;
    }
    const char *status = json_string_value(json_object_get(result, "status"));
    if (status && strcmp(status, "connected") == 0) {
        read_user(result, res);
        res->outcome = TGS_OK;
    } else {
        res->outcome = TGS_DEAD;
        snprintf(res->code, sizeof res->code, "AUTH_KEY_UNREGISTERED");
        mark_invalid(app, account_id);
    }
    json_decref(result);
}

int tgs_call(struct app *app, int64_t account_id, json_t *req, int timeout_ms, json_t **result,
             struct bridge_error *err)
{
    char owner[128];
    if (!cluster_is_local(app->cluster, account_id, owner, sizeof owner))
        return cluster_remote(app->cluster, owner, account_id, "bridge", req, timeout_ms, result, err);
    struct bridge *b = bridge_of(app);
    if (!b) {
        snprintf(err->code, sizeof err->code, "NETWORK");
        snprintf(err->message, sizeof err->message, "no Telegram bridge");
        return TGR_ERR;
    }
    int rc = bridge_call(b, req, timeout_ms, result, err);
    if (rc == TGR_OK || strcmp(err->code, "NOT_STARTED") != 0) return rc;
    struct tgs_result res;
    tgs_start(app, account_id, &res);
    if (res.outcome != TGS_OK) {
        snprintf(err->code, sizeof err->code, "%s", res.code[0] ? res.code : "NOT_STARTED");
        return TGR_ERR;
    }
    return bridge_call(b, req, timeout_ms, result, err);
}

int tgs_logout(struct app *app, int64_t account_id)
{
    struct bridge *b = bridge_of(app);
    if (b) {
        json_t *req = json_pack("{s:s, s:I}", "op", "logout", "account", (json_int_t)account_id);
        json_t *result = NULL;
        struct bridge_error err;
        if (tgs_call(app, account_id, req, 10000, &result, &err) == TGR_OK)
            json_decref(result);
        else
            log_info("session", "account %lld: logout at Telegram failed (%s); forgetting the session anyway",
                     (long long)account_id, err.code);
        json_decref(req);
    }
    return app->store->session_delete(app->store, account_id) < 0 ? TGR_ERR : TGR_OK;
}
