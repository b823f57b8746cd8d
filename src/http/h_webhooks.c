/* h_webhooks — outgoing webhooks (API.md "Outgoing webhooks"): create an endpoint (its secret
 * shown once), list, read and delete them, and the deliveries view. Parse, one core call
 * (core/webhooks.c holds the rules), reply. Creating resolves the URL's host, so it runs on the
 * worker pool (tg_pool, kind "webhook"), not on an HTTP polling thread. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/util.h"
#include "core/webhooks.h"
#include "http/handlers.h"
#include "http/server.h"
#include "store/store.h"

#define DELIVERIES_DEFAULT_LIMIT 50
#define DELIVERIES_MAX_LIMIT     500

static enum hres db_failed(struct req *r)
{
    reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
    return H_NO;
}

static enum hres not_found(struct req *r)
{
    reply_error(r, ERR_NOT_FOUND, NULL, "no such webhook");
    return H_NO;
}

static int path_id(struct req *r, int64_t *id)
{
    if (parse_i64(route_param(&r->params, "id"), 1, INT64_MAX, id) == TGR_OK) return TGR_OK;
    not_found(r);
    return TGR_ERR;
}

/* A time, or null for 0 (never). */
static json_t *time_json(int64_t ms)
{
    if (!ms) return json_null();
    char t[40];
    rfc3339(ms, t, sizeof t);
    return json_string(t);
}

static json_t *int_or_null(int64_t v)
{
    return v ? json_integer(v) : json_null();
}

/* The API's webhook object: the endpoint and how its latest attempted delivery went. */
static json_t *webhook_json(const struct webhook_row *w)
{
    return json_pack("{s:I, s:s, s:o, s:s, s:o, s:o, s:o, s:o}", "id", (json_int_t)w->id, "url", w->url,
                     "events", webhook_events_json(w->events), "description", w->description, "created_at",
                     time_json(w->created_at), "last_status",
                     w->last_status[0] ? json_string(w->last_status) : json_null(), "last_status_code",
                     int_or_null(w->last_status_code), "last_attempt_at", time_json(w->last_attempt_at));
}

struct create_in {
    struct webhook_new in;
};

static void create_job(struct req *r)
{
    struct create_in *c = r->state;
    struct webhook_row w;
    char secret[WEBHOOK_SECRET_LEN + 1], why[300];
    const char *field = NULL;
    switch (webhook_create(r->app->store, r->app->kr, r->account_id, &c->in, &w, secret, &field, why,
                           sizeof why)) {
    case WEBHOOK_OK: {
        json_t *o = webhook_json(&w);
        json_object_set_new(o, "secret", json_string(secret));
        http_audit(r, AUDIT_WEBHOOK_CREATE, "webhook", w.id, NULL);
        sodium_memzero(secret, sizeof secret);
        reply_json(r, 201, o);
        return;
    }
    case WEBHOOK_INVALID:
        reply_error(r, ERR_VALIDATION, field, "%s %s", field, why);
        return;
    case WEBHOOK_NOT_FOUND:
    case WEBHOOK_STORE:
        break;
    }
    db_failed(r);
}

enum hres webhooks_create_h(struct req *r)
{
    struct create_in *c = calloc(1, sizeof *c);
    if (!c) return H_SYSERR;
    r->state = c;
    r->state_free = free;
    struct jfield spec[] = {
        JF_STRING_LEN("url", &c->in.url, 1, WEBHOOK_URL_MAX),
        JF_ARRAY("events", &c->in.events),
        JF_NULLABLE(JF_STRING_LEN("description", &c->in.description, 0, WEBHOOK_DESCRIPTION_MAX)),
        JF_END,
    };
    if (http_parse_spec(r, spec) != TGR_OK) return H_NO;
    c->in.allow_private = r->app->cfg.webhooks_allow_private;
    http_defer(r, r->app->tg_pool, "webhook", create_job);
    return H_DEFER;
}

enum hres webhooks_list_h(struct req *r)
{
    struct webhook_row *rows = NULL;
    size_t n = 0;
    if (r->app->store->hooks->list(r->app->store, r->account_id, &rows, &n) < 0) return db_failed(r);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, webhook_json(&rows[i]));
    free(rows);
    reply_json(r, 200, json_pack("{s:o}", "webhooks", list));
    return H_OK;
}

enum hres webhooks_get_h(struct req *r)
{
    int64_t id;
    if (path_id(r, &id) != TGR_OK) return H_NO;
    struct webhook_row w;
    enum db_status s = r->app->store->hooks->get(r->app->store, r->account_id, id, &w);
    if (s < 0) return db_failed(r);
    if (s == DB_NONE) return not_found(r);
    reply_json(r, 200, webhook_json(&w));
    return H_OK;
}

enum hres webhooks_delete_h(struct req *r)
{
    int64_t id;
    if (path_id(r, &id) != TGR_OK) return H_NO;
    switch (webhook_delete(r->app->store, r->account_id, id)) {
    case WEBHOOK_OK:
        http_audit(r, AUDIT_WEBHOOK_DELETE, "webhook", id, NULL);
        reply_empty(r, 204);
        return H_OK;
    case WEBHOOK_NOT_FOUND:
        return not_found(r);
    case WEBHOOK_INVALID:
    case WEBHOOK_STORE:
        break;
    }
    return db_failed(r);
}

static json_t *delivery_json(const struct webhook_delivery_row *d)
{
    int pending = strcmp(d->status, "pending") == 0;
    return json_pack("{s:I, s:I, s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)d->id,
                     "event_id", (json_int_t)d->event_id, "type", d->type, "status", d->status, "attempts",
                     (json_int_t)d->attempts, "last_status_code", int_or_null(d->last_status_code),
                     "next_attempt_at", pending ? time_json(d->next_attempt_at) : json_null(), "created_at",
                     time_json(d->created_at), "last_attempt_at", time_json(d->last_attempt_at), "last_error",
                     d->last_error[0] ? json_string(d->last_error) : json_null());
}

enum hres webhooks_deliveries_h(struct req *r)
{
    int64_t id, limit = DELIVERIES_DEFAULT_LIMIT, after = 0;
    if (path_id(r, &id) != TGR_OK) return H_NO;
    const char *v = req_query(r, "limit");
    if (v && parse_i64(v, 1, DELIVERIES_MAX_LIMIT, &limit) != TGR_OK) {
        reply_error(r, ERR_BAD_QUERY, "limit", "limit must be a whole number from 1 to %d",
                    DELIVERIES_MAX_LIMIT);
        return H_NO;
    }
    v = req_query(r, "after");
    if (v && parse_i64(v, 1, INT64_MAX, &after) != TGR_OK) {
        reply_error(r, ERR_BAD_QUERY, "after", "after must be the next_after of an earlier page");
        return H_NO;
    }
    struct store *st = r->app->store;
    struct webhook_row w;
    enum db_status s = st->hooks->get(st, r->account_id, id, &w);
    if (s < 0) return db_failed(r);
    if (s == DB_NONE) return not_found(r);
    struct webhook_delivery_row *rows = NULL;
    size_t n = 0;
    /* One more than asked tells whether another page follows. */
    if (st->hooks->deliveries(st, r->account_id, id, after, (int)limit + 1, &rows, &n) < 0)
        return db_failed(r);
    size_t shown = n > (size_t)limit ? (size_t)limit : n;
    json_t *list = json_array();
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(list, delivery_json(&rows[i]));
    json_t *next = n > shown ? json_integer(rows[shown - 1].id) : json_null();
    free(rows);
    reply_json(r, 200, json_pack("{s:o, s:o}", "deliveries", list, "next_after", next));
    return H_OK;
}
