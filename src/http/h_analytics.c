/* h_analytics — account-wide analytics routes (API.md "Analytics"). Per-campaign counters and
 * revenue arrive with the send engine and analytics work. */
#include "core/classify.h"
#include "base/app.h"
#include "core/audience.h"
#include "base/util.h"
#include "http/handlers.h"
#include "core/orders.h"
#include "core/progress.h"
#include "http/server.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

/* GET /analytics/categories: the distribution over the contacts a campaign could reach (opted-out,
 * blocked and deactivated contacts are left out, as they are from every audience). */
enum hres analytics_categories_h(struct req *r)
{
    struct filters f;
    struct jspec_error err;
    struct audience a;
    if (filters_parse(NULL, NULL, r->account_id, &f, &err) != TGR_OK ||
        audience_resolve(r->app, r->account_id, &f, 0, &a) != TGR_OK) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    json_t *d = json_object();
    for (int k = 0; k < CAT_COUNT; k++)
        json_object_set_new(d, category_name((enum category)k), json_integer((json_int_t)a.by_category[k]));
    reply_json(r, 200, json_pack("{s:I, s:o}", "total", (json_int_t)a.n, "distribution", d));
    audience_release(&a);
    return H_OK;
}

#define DAY_MS 86400000LL

struct series_ctx {
    json_t *series;
    int64_t next, bucket, to, total, orders;
};

/* Empty buckets are listed too, so a chart's time axis has no holes. */
static void add_bucket(struct series_ctx *sc, int64_t t, int64_t revenue, int64_t orders)
{
    char ts[40];
    while (sc->next < t) {
        rfc3339(sc->next, ts, sizeof ts);
        json_array_append_new(sc->series, json_pack("{s:s, s:i, s:i}", "t", ts, "revenue", 0, "orders", 0));
        sc->next += sc->bucket;
    }
    rfc3339(t, ts, sizeof ts);
    json_array_append_new(sc->series, json_pack("{s:s, s:I, s:I}", "t", ts, "revenue", (json_int_t)revenue,
                                                "orders", (json_int_t)orders));
    sc->next = t + sc->bucket;
    sc->total += revenue;
    sc->orders += orders;
}

static void on_bucket(void *cls, int64_t t, int64_t revenue, int64_t orders)
{
    add_bucket(cls, t, revenue, orders);
}

static void on_campaign(void *cls, int64_t id, const char *name, int64_t revenue, int64_t orders)
{
    json_array_append_new(cls, json_pack("{s:I, s:s, s:I, s:I}", "campaign_id", (json_int_t)id, "name",
                                         name ? name : "", "revenue", (json_int_t)revenue, "orders",
                                         (json_int_t)orders));
}

/* GET /analytics/revenue?from=&to=&bucket=day|week — revenue the campaigns earned (attributed,
 * paid, not refunded) in the account's most used currency; default: the last 30 days by day. */
enum hres analytics_revenue_h(struct req *r)
{
    int64_t now = now_ms(), to = now + 1, from = now - 30 * DAY_MS;
    const char *v = req_query(r, "from");
    if (v && parse_rfc3339(v, &from) != TGR_OK) {
        reply_error(r, ERR_BAD_QUERY, "from", "from must be a date (2026-11-01) or an RFC 3339 time");
        return H_NO;
    }
    v = req_query(r, "to");
    if (v && parse_rfc3339(v, &to) != TGR_OK) {
        reply_error(r, ERR_BAD_QUERY, "to", "to must be a date (2026-11-30) or an RFC 3339 time");
        return H_NO;
    }
    v = req_query(r, "bucket");
    int week = v && strcmp(v, "week") == 0;
    if (v && !week && strcmp(v, "day") != 0) {
        reply_error(r, ERR_BAD_QUERY, "bucket", "bucket must be day or week");
        return H_NO;
    }
    if (to <= from || to - from > 3660 * DAY_MS) {
        reply_error(r, ERR_BAD_QUERY, "to", "to must be after from, and at most ten years later");
        return H_NO;
    }
    int64_t bucket = week ? 7 * DAY_MS : DAY_MS;
    /* Weeks start on Monday: the epoch was a Thursday, three days after one. */
    int64_t offset = week ? 3 * DAY_MS : 0;
    struct store *st = r->app->store;
    char cur[4] = "";
    if (st->revenue_currency(st, r->account_id, from, to, cur) < 0) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    if (!cur[0]) snprintf(cur, sizeof cur, "EUR");
    struct series_ctx sc = {json_array(), ((from + offset) / bucket) * bucket - offset, bucket, to, 0, 0};
    json_t *by = json_array();
    if (st->revenue_series(st, r->account_id, from, to, cur, bucket, offset, on_bucket, &sc) < 0 ||
        st->revenue_campaigns(st, r->account_id, from, to, cur, on_campaign, by) < 0) {
        json_decref(sc.series);
        json_decref(by);
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    /* Trailing empty buckets up to `to`. */
    char ts[40];
    while (sc.next < to) {
        rfc3339(sc.next, ts, sizeof ts);
        json_array_append_new(sc.series, json_pack("{s:s, s:i, s:i}", "t", ts, "revenue", 0, "orders", 0));
        sc.next += bucket;
    }
    reply_json(r, 200,
               json_pack("{s:s, s:I, s:I, s:o, s:o}", "currency", cur, "total", (json_int_t)sc.total,
                         "orders", (json_int_t)sc.orders, "series", sc.series, "by_campaign", by));
    return H_OK;
}

/* The account's currency (handlers.h): EUR when it has no orders or the read failed. */
void account_currency(struct req *r, char out[4])
{
    out[0] = 0;
    if (r->app->store->account_currency(r->app->store, r->account_id, out) < 0 || !out[0])
        snprintf(out, 4, "EUR");
}

struct campaigns_read {
    struct req *r;
    json_t *list; /* the rows, once every read succeeded */
};

/* The rows of GET /analytics/campaigns, read inside one snapshot (store->read). */
static enum db_status campaigns_read(struct store *st, void *cls)
{
    struct campaigns_read *m = cls;
    struct req *r = m->r;
    struct campaign *rows = NULL;
    size_t n = 0;
    if (st->campaign_list(st, r->account_id, &rows, &n) < 0) return DB_HARD;
    char cur[4];
    account_currency(r, cur);
    json_t *list = json_array();
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        struct campaign_counts k;
        if (st->campaign_counts(st, r->account_id, rows[i].id, &k) >= 0) {
            char started[40] = "";
            if (rows[i].started_at) rfc3339(rows[i].started_at, started, sizeof started);
            json_t *o = json_pack(
                "{s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I}", "campaign_id",
                (json_int_t)rows[i].id, "name", rows[i].name, "status", rows[i].status, "audience",
                (json_int_t)k.audience, "sent", (json_int_t)k.sent, "failed", (json_int_t)k.failed, "read",
                (json_int_t)k.read, "replied", (json_int_t)k.replied, "opted_out", (json_int_t)k.opted_out,
                "clicks", (json_int_t)k.clicks, "unique_clicks", (json_int_t)k.unique_clicks, "orders",
                (json_int_t)k.orders, "ctr", k.sent ? (double)k.unique_clicks / (double)k.sent : 0.0,
                "revenue", (json_int_t)k.revenue, "pending", (json_int_t)(k.pending + k.sending));
            json_object_set_new(o, "started_at", started[0] ? json_string(started) : json_null());
            json_object_set_new(o, "currency", json_string(cur));
            /* The first message's progress apart from the follow-ups' (issue 18). */
            struct campaign_progress p;
            if (campaign_progress_json(r, &rows[i], o, &p) != TGR_OK) failed = 1;
            json_array_append_new(list, o);
        }
        campaign_release(&rows[i]);
    }
    free(rows);
    if (failed) {
        json_decref(list);
        return DB_HARD;
    }
    m->list = list;
    return DB_ONE;
}

/* GET /analytics/campaigns — one row of counters per campaign, newest first; all of them read
 * in one snapshot, so that the rows agree with each other (and cost less on SQLite). */
enum hres analytics_campaigns_h(struct req *r)
{
    struct campaigns_read m = {r, NULL};
    if (r->app->store->read(r->app->store, campaigns_read, &m) < 0 || !m.list) {
        json_decref(m.list);
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    reply_json(r, 200, json_pack("{s:o}", "campaigns", m.list));
    return H_OK;
}
