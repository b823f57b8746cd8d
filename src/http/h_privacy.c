/* h_privacy — a person's export and erasure and the account audit log (issue 19; API.md "Privacy",
 * "Audit log"): GET /contacts/:id/export, DELETE /contacts/:id, GET /audit, and the helpers other
 * handlers use to leave an entry in the audit log (http_audit). Each parses, calls core/privacy.h
 * or core/audit.h, and replies. An erasure runs on the worker pool: after its transaction the
 * store empties SQLite's write-ahead log, which may wait for readers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "core/privacy.h"
#include "engine/engine.h"
#include "http/handlers.h"
#include "http/server.h"

#define AUDIT_PAGE_DEFAULT 100
#define AUDIT_PAGE_MAX     500 /* API.md: limit <= 500 */

void audit_who_of(const struct req *r, struct audit_who *out)
{
    /* A bearer token has an expiry, an API key none (server.h cred_exp); a login is the user's. */
    out->actor = r->auth_done && r->cred_exp == 0 ? AUDIT_API_KEY : AUDIT_USER;
    snprintf(out->ip, sizeof out->ip, "%s", r->ip);
}

void http_audit(struct req *r, enum audit_action a, const char *kind, int64_t id, json_t *details)
{
    struct audit_who who;
    audit_who_of(r, &who);
    /* The change has committed: a lost entry is logged (by audit_record), the answer stands. */
    if (audit_record(r->app->store, r->account_id, &who, a, kind, id, details) < 0) return;
}

json_t *audit_body_fields(const struct req *r)
{
    json_t *fields = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(r->json, k, v)
    {
        json_array_append_new(fields, json_string(k));
    }
    return json_pack("{s:o}", "fields", fields);
}

/* The contact :id of the path. Malformed is a 400 (the id, not the contact, is wrong). */
static int path_contact(struct req *r, int64_t *id)
{
    if (parse_i64(route_param(&r->params, "id"), 1, INT64_MAX, id) == TGR_OK) return TGR_OK;
    reply_error(r, ERR_VALIDATION, "id", "the contact id must be a whole number from 1");
    return TGR_ERR;
}

static enum hres answer(struct req *r, enum privacy_outcome o)
{
    switch (o) {
    case PRIVACY_OK:
        return H_OK;
    case PRIVACY_NOT_FOUND:
        reply_error(r, ERR_NOT_FOUND, NULL, "no such contact");
        return H_NO;
    case PRIVACY_STORE:
        break;
    }
    reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
    return H_NO;
}

enum hres contacts_export_h(struct req *r)
{
    int64_t id;
    if (path_contact(r, &id) != TGR_OK) return H_NO;
    struct audit_who who;
    audit_who_of(r, &who);
    json_t *doc = NULL;
    enum privacy_outcome o = contact_export(r->app, r->account_id, id, &who, &doc);
    if (o != PRIVACY_OK) return answer(r, o);
    reply_json(r, 200, doc);
    char disposition[64];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"contact-%lld.json\"", (long long)id);
    reply_header(r, "Content-Disposition", disposition);
    return H_OK;
}

static void erase_job(struct req *r)
{
    int64_t id = *(int64_t *)r->state;
    struct audit_who who;
    audit_who_of(r, &who);
    enum privacy_outcome o = contact_erase(r->app, r->account_id, id, &who);
    if (o == PRIVACY_OK) {
        log_info("privacy", "account %lld: contact %lld erased", (long long)r->account_id, (long long)id);
        engine_wake(r->app->engine, r->account_id); /* a batch claimed before it is prepared again */
        reply_empty(r, 204);
    } else {
        (void)answer(r, o);
    }
}

enum hres contacts_erase_h(struct req *r)
{
    int64_t id;
    if (path_contact(r, &id) != TGR_OK) return H_NO;
    int64_t *state = malloc(sizeof *state);
    if (!state) return H_SYSERR;
    *state = id;
    r->state = state;
    r->state_free = free;
    http_defer(r, r->app->tg_pool, "erase", erase_job);
    return H_DEFER;
}

enum hres audit_list_h(struct req *r)
{
    int64_t limit = AUDIT_PAGE_DEFAULT, after = INT64_MAX;
    const char *v = req_query(r, "limit");
    if (v && parse_i64(v, 1, AUDIT_PAGE_MAX, &limit) != TGR_OK) {
        reply_error(r, ERR_BAD_QUERY, "limit", "limit must be a whole number from 1 to %d", AUDIT_PAGE_MAX);
        return H_NO;
    }
    v = req_query(r, "after");
    if (v && *v && parse_i64(v, 1, INT64_MAX, &after) != TGR_OK) {
        reply_error(r, ERR_BAD_QUERY, "after", "after must be the next_after of the page before");
        return H_NO;
    }
    json_t *entries = NULL;
    int64_t next = 0;
    if (audit_read(r->app->store, r->account_id, after, (int)limit, &entries, &next) < 0) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    reply_json(
        r, 200,
        json_pack("{s:o, s:o}", "entries", entries, "next_after", next ? json_integer(next) : json_null()));
    return H_OK;
}
