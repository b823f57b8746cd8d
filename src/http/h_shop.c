/* h_shop — the shop's orders as its owner sees them (issue 17; API.md "Account settings and the
 * shop's orders", README "Revenue"): GET /orders (newest first, how each was credited, nothing
 * about its customer), GET /orders/webhook-example (the webhook's URL, headers and a test order
 * signed with the account's secret: the curl example and the "Send a test order" button of the
 * web app) and GET /orders/imports/:id (how far a CSV import has read, from any instance). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/util.h"
#include "core/orders.h"
#include "http/handlers.h"
#include "http/server.h"

#define ORDERS_DEFAULT_LIMIT 50
#define ORDERS_MAX_LIMIT     500 /* API.md "Additions": limit <= 500 */

static json_t *time_json(int64_t ms)
{
    char t[40];
    rfc3339(ms, t, sizeof t);
    return json_string(t);
}

/* The API's attributed_via for the stored attributed_by ("ref", "code", "window"). */
static json_t *via_json(const char *by)
{
    if (strcmp(by, "ref") == 0 || strcmp(by, "window") == 0) return json_string(by);
    if (strcmp(by, "code") == 0) return json_string("discount_code");
    return json_null();
}

static json_t *order_json(const struct order_summary *o)
{
    json_t *j = json_object();
    json_object_set_new(j, "order_id", json_string(o->order_id));
    json_object_set_new(j, "amount", json_integer(o->amount));
    json_object_set_new(j, "currency", json_string(o->currency));
    json_object_set_new(j, "status", json_string(o->status));
    json_object_set_new(j, "created_at", time_json(o->created_at));
    json_object_set_new(j, "attributed_campaign_id",
                        o->attributed_campaign_id ? json_integer(o->attributed_campaign_id) : json_null());
    json_object_set_new(j, "attributed_via",
                        o->attributed_campaign_id ? via_json(o->attributed_by) : json_null());
    json_object_set_new(j, "test", json_boolean(o->test));
    return j;
}

enum hres orders_list_h(struct req *r)
{
    int64_t limit = ORDERS_DEFAULT_LIMIT, after = 0;
    const char *v = req_query(r, "limit");
    if (v && parse_i64(v, 1, ORDERS_MAX_LIMIT, &limit) != TGR_OK) {
        reply_error(r, ERR_BAD_QUERY, "limit", "limit must be a whole number from 1 to %d", ORDERS_MAX_LIMIT);
        return H_NO;
    }
    v = req_query(r, "after");
    if (v && parse_i64(v, 1, INT64_MAX, &after) != TGR_OK) {
        reply_error(r, ERR_BAD_QUERY, "after", "after must be the next_after of an earlier page");
        return H_NO;
    }
    struct store *st = r->app->store;
    struct order_summary *rows = NULL;
    size_t n = 0;
    /* One more than asked tells whether another page follows. */
    if (st->orders_page(st, r->account_id, after, (int)limit + 1, &rows, &n) < 0) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    size_t shown = n > (size_t)limit ? (size_t)limit : n;
    json_t *list = json_array();
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(list, order_json(&rows[i]));
    json_t *next = n > shown ? json_integer(rows[shown - 1].id) : json_null();
    free(rows);
    reply_json(r, 200, json_pack("{s:o, s:o}", "orders", list, "next_after", next));
    return H_OK;
}

enum hres orders_webhook_example_h(struct req *r)
{
    struct app *app = r->app;
    char url[600], account[24], currency[4], created[40], id_hex[17], order_id[24], body[320];
    const char *base = app->cfg.public_url;
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    snprintf(url, sizeof url, "%.*s/webhooks/orders", (int)bl, base);
    snprintf(account, sizeof account, "%lld", (long long)r->account_id);
    account_currency(r, currency);
    rfc3339(now_ms() / 1000 * 1000, created, sizeof created);
    unsigned char raw[8];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(id_hex, sizeof id_hex, raw, sizeof raw);
    snprintf(order_id, sizeof order_id, "test-%s", id_hex);
    /* Written out rather than by jansson so that its bytes, which the signature covers, are the
     * ones shown: a copied body must not be re-encoded on its way to the shop's code. */
    snprintf(body, sizeof body,
             "{\"order_id\":\"%s\",\"amount\":1999,\"currency\":\"%s\",\"status\":\"paid\","
             "\"created_at\":\"%s\",\"test\":true}",
             order_id, currency, created);
    json_t *headers = json_pack("{s:s, s:s}", "Content-Type", "application/json", "X-Tgr-Account", account);
    unsigned char mac[32];
    int secret_set = orders_webhook_mac(app, r->account_id, body, strlen(body), mac) == TGR_OK;
    if (secret_set) {
        char sig[7 + 65];
        memcpy(sig, "sha256=", 7);
        sodium_bin2hex(sig + 7, 65, mac, sizeof mac);
        json_object_set_new(headers, "X-Tgr-Signature", json_string(sig));
    }
    reply_json(r, 200,
               json_pack("{s:s, s:I, s:b, s:o, s:s, s:s}", "url", url, "account_id",
                         (json_int_t)r->account_id, "secret_set", secret_set, "headers", headers, "body",
                         body, "order_id", order_id));
    return H_OK;
}

enum hres orders_import_progress_h(struct req *r)
{
    const char *id = route_param(&r->params, "id");
    struct import_progress p;
    struct store *st = r->app->store;
    enum db_status got =
        id && strlen(id) <= IMPORT_ID_MAX ? st->import_progress_get(st, r->account_id, id, &p) : DB_NONE;
    if (got < 0) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    if (got == DB_NONE) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no import of this account has this progress id (kept an hour)");
        return H_NO;
    }
    reply_json(r, 200,
               json_pack("{s:s, s:I, s:I, s:I, s:b, s:o}", "id", id, "lines", (json_int_t)p.lines,
                         "bytes_done", (json_int_t)p.bytes_done, "bytes_total", (json_int_t)p.bytes_total,
                         "finished", p.finished, "updated_at", time_json(p.updated_at)));
    return H_OK;
}
