/* h_account — the caller's own account: GET/PATCH /account, POST /account/webhook-secret. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "core/tz.h"
#include "base/util.h"
#include "crypto/seal.h"
#include "engine/engine.h"
#include "http/handlers.h"
#include "http/server.h"

static json_t *account_json(const struct account *a)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:i, s:b, s:i, s:i}", "id", (json_int_t)a->id, "email", a->email,
                     "plan_type", a->plan_type, "timezone", a->timezone, "frequency_cap_days",
                     a->frequency_cap_days, "webhook_secret_set", a->webhook_secret_set, "daily_send_limit",
                     a->daily_send_limit, "error_streak_limit", a->error_streak_limit);
}

static enum hres db_failed(struct req *r)
{
    reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
    return H_NO;
}

enum hres account_get_h(struct req *r)
{
    reply_json(r, 200, account_json(&r->account));
    return H_OK;
}

enum hres account_patch_h(struct req *r)
{
    const char *tz = NULL;
    int64_t cap = r->account.frequency_cap_days, daily = r->account.daily_send_limit,
            streak = r->account.error_streak_limit;
    struct jfield spec[] = {
        JF_OPTIONAL(JF_STRING_LEN("timezone", &tz, 1, 64)),
        JF_OPTIONAL(JF_INT_RANGE("frequency_cap_days", &cap, 0, 365)),
        JF_OPTIONAL(JF_INT_RANGE("daily_send_limit", &daily, 0, 1000000)),
        JF_OPTIONAL(JF_INT_RANGE("error_streak_limit", &streak, 2, 50)),
        JF_END,
    };
    if (http_parse_spec(r, spec) != TGR_OK) return H_NO;
    if (tz && !tz_valid(tz)) {
        reply_error(r, ERR_VALIDATION, "timezone",
                    "timezone must be an IANA time zone such as Europe/Berlin");
        return H_NO;
    }
    struct store *st = r->app->store;
    struct account a = r->account;
    if (tz) snprintf(a.timezone, sizeof a.timezone, "%s", tz);
    a.frequency_cap_days = (int)cap;
    a.daily_send_limit = (int)daily;
    a.error_streak_limit = (int)streak;
    if (st->account_update(st, &a) < 0 || st->account_get(st, r->account_id, &r->account) != DB_ONE)
        return db_failed(r);
    engine_wake(r->app->engine, r->account_id); /* a new daily limit holds from the next send */
    /* The audit entry names the settings given and their new values (none is a secret). */
    json_t *now = account_json(&r->account), *details = json_object(), *fields = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(r->json, k, v)
    {
        json_array_append_new(fields, json_string(k));
        json_object_set(details, k, json_object_get(now, k));
    }
    json_object_set_new(details, "fields", fields);
    http_audit(r, AUDIT_ACCOUNT_UPDATE, "account", r->account_id, details);
    reply_json(r, 200, now);
    return H_OK;
}

enum hres account_webhook_secret_h(struct req *r)
{
    struct jfield spec[] = {JF_END};
    if (http_parse_spec(r, spec) != TGR_OK) return H_NO;
    unsigned char raw[32];
    char secret[8 + 44];
    randombytes_buf(raw, sizeof raw);
    memcpy(secret, "whsec_", 6);
    base64url_encode(raw, sizeof raw, secret + 6);
    sodium_memzero(raw, sizeof raw);
    char row[32];
    snprintf(row, sizeof row, "%lld", (long long)r->account_id);
    unsigned char *sealed = NULL;
    size_t slen = 0;
    if (seal(r->app->kr, "accounts", "webhook_secret", row, secret, strlen(secret), &sealed, &slen) != TGR_OK)
        return H_SYSERR;
    enum db_status st = r->app->store->account_set_webhook_secret(r->app->store, r->account_id, sealed, slen);
    free(sealed);
    if (st < 0) return db_failed(r);
    http_audit(r, AUDIT_WEBHOOK_SECRET_ROTATE, "account", r->account_id, NULL);
    reply_json(r, 200, json_pack("{s:s}", "webhook_secret", secret));
    sodium_memzero(secret, sizeof secret);
    return H_OK;
}
