/* demo_campaign — the demo's example campaign (scenarios/demo-campaign.json, issue 18 item 11)
 * and the thread that runs the demo's start. Layer: main (it uses core, tg and engine).
 *
 * Why a real campaign and not made-up history: a newcomer's first `make run` should show the
 * analytics, the scorecard and the attribution working, and the honest way to have their numbers
 * is to send a campaign through the same engine, simulator and order import as any other. Rows
 * written by hand would be a second copy of the engine's rules, and would drift from them.
 *
 * The thread: connect the demo account (demo.c), then, once per data directory (meta
 * "demo_campaign"), create the example campaign and start it as POST /campaigns/:id/start does.
 * Every second it looks at the campaign's first messages: for each order of the file still to
 * place it takes a customer who did what the order's credit needs (clicked, or read without
 * clicking), one order per customer, and places the orders through the CSV order import — a
 * 'link' order with the tgr_ref of that customer's click, a 'code' order with the campaign's code,
 * a 'window' order with neither. It stops when every order is placed, or when the campaign has
 * been over for DEMO_LAST_CLICK_MS (the scenario's customers click within a minute); a restart
 * in between goes on where it was (meta "demo_campaign_orders" keeps the orders placed and their
 * customers). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/config.h"
#include "base/log.h"
#include "base/util.h"
#include "core/campaign.h"
#include "core/launch.h"
#include "core/links.h"
#include "core/orders.h"
#include "core/render.h"
#include "core/sealed.h"
#include "demo.h"
#include "engine/engine.h"
#include "store/store.h"

#define DEMO_LAST_CLICK_MS (90 * 1000LL) /* after the campaign ends, how long clicks may still come */
#define DEMO_ORDERS_MAX    32
#define DEMO_ROWS_MAX      2000 /* first messages looked at */
#define META_CAMPAIGN      "demo_campaign"
#define META_ORDERS        "demo_campaign_orders"

struct demo {
    struct app *app;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stopping;
};

/* Sleep ms unless asked to stop. @return 1 when stopping */
static int nap(struct demo *d, int ms)
{
    struct timespec ts;
    deadline_in(ms, &ts);
    pthread_mutex_lock(&d->mu);
    while (!d->stopping && pthread_cond_timedwait(&d->cv, &d->mu, &ts) == 0) {}
    int stop = d->stopping;
    pthread_mutex_unlock(&d->mu);
    return stop;
}

static int stopping(struct demo *d)
{
    pthread_mutex_lock(&d->mu);
    int s = d->stopping;
    pthread_mutex_unlock(&d->mu);
    return s;
}

/* ---- creating and starting it ---- */

struct create {
    struct app *app;
    int64_t account;
    struct campaign *c;
    const char *code;
};

/* The campaign row, its audience, its discount code and its tracked links, in one transaction
 * (what POST /campaigns writes). */
static enum db_status create_txn(struct store *st, void *cls)
{
    struct create *k = cls;
    enum db_status s = st->campaign_create(st, k->account, k->c, &k->c->id);
    if (s >= 0) s = st->campaign_set_audience(st, k->account, k->c->id, 0, k->c->filters_json);
    if (s < 0) return s;
    struct discount_code_row row = {0};
    if (code_seal(k->app, k->account, k->c->id, k->code, &row) != TGR_OK) return DB_HARD;
    s = st->codes_replace(st, k->account, k->c->id, &row, 1);
    blob_release(&row.code);
    char **urls = NULL;
    size_t n = 0;
    if (s >= 0 && render_links(k->c->message_text, &urls, &n, NULL) == TGR_OK) {
        for (size_t i = 0; i < n && s >= 0; i++) {
            int64_t link_id;
            s = st->link_ensure(st, k->account, k->c->id, urls[i], &link_id);
        }
        render_links_free(urls, n);
    }
    return s < 0 ? s : DB_ONE;
}

/* Create the campaign of plan and start it. @return its id, 0 when it could not start */
static int64_t start_campaign(struct app *app, int64_t account, json_t *plan)
{
    struct store *st = app->store;
    const char *name = json_string_value(json_object_get(plan, "name"));
    const char *text = json_string_value(json_object_get(plan, "message_text"));
    const char *code = json_string_value(json_object_get(plan, "discount_code"));
    struct filters f;
    struct jspec_error fe;
    if (!name || !text || !code || render_check(text, NULL, NULL) != TGR_OK ||
        filters_parse(json_object_get(plan, "filters"), st, account, &f, &fe) != TGR_OK) {
        log_warn("demo", "scenarios/demo-campaign.json: not a valid campaign; no example campaign");
        return 0;
    }
    struct campaign c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name);
    snprintf(c.status, sizeof c.status, "draft");
    c.track_links = 1;
    c.message_text = strdup(text);
    c.discount_json = strdup("{\"mode\":\"static\"}");
    json_t *fj = filters_to_json(&f);
    c.filters_json = json_dumps(fj, JSON_COMPACT);
    json_decref(fj);
    struct create k = {app, account, &c, code};
    int64_t id = 0;
    if (c.message_text && c.discount_json && c.filters_json && st->txn(st, TX_NORMAL, create_txn, &k) >= 0)
        id = c.id;
    campaign_release(&c);
    struct account a;
    struct launch_result res;
    enum launch_outcome lo = LAUNCH_STORE;
    if (id && st->account_get(st, account, &a) == DB_ONE) lo = campaign_launch(app, &a, id, 0, &res);
    if (lo != LAUNCH_OK) {
        log_warn("demo", "the example campaign did not start (%d)", (int)lo);
        return 0;
    }
    engine_wake(app->engine, account);
    log_info("demo", "example campaign %lld started: %zu customers", (long long)id, res.recipients);
    return id;
}

/* ---- its orders ---- */

/* The orders placed so far and their customers: "n:contact,contact,…" in meta. */
struct placed {
    int n;
    int64_t contacts[DEMO_ORDERS_MAX];
    int done;
};

static void placed_read(struct store *st, struct placed *p)
{
    char v[512];
    memset(p, 0, sizeof *p);
    if (st->meta_get(st, META_ORDERS, v, sizeof v) != DB_ONE) return;
    if (strcmp(v, "done") == 0) {
        p->done = 1;
        return;
    }
    char *end = NULL;
    long n = strtol(v, &end, 10);
    for (int i = 0; end && *end && i < DEMO_ORDERS_MAX; i++)
        p->contacts[i] = strtoll(end + 1, &end, 10);
    p->n = n > 0 && n <= DEMO_ORDERS_MAX ? (int)n : 0;
}

static int placed_write(struct store *st, const struct placed *p)
{
    char v[512];
    size_t used = (size_t)snprintf(v, sizeof v, "%d", p->n);
    for (int i = 0; i < p->n && used < sizeof v; i++)
        used +=
            (size_t)snprintf(v + used, sizeof v - used, "%c%lld", i ? ',' : ':', (long long)p->contacts[i]);
    return st->meta_set(st, META_ORDERS, p->done ? "done" : v) < 0 ? TGR_ERR : TGR_OK;
}

static int given(const struct placed *p, int64_t contact)
{
    for (int i = 0; i < p->n; i++)
        if (p->contacts[i] == contact) return 1;
    return 0;
}

/* The first messages sent. @param[out] rows malloc'd; result_row_release each */
static int sent_rows(struct store *st, int64_t account, int64_t cid, struct result_row **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    int64_t after = 0;
    while (*n < DEMO_ROWS_MAX) {
        struct result_row *page = NULL;
        size_t k = 0;
        if (st->results_page(st, account, cid, 0, 1u << RECIPIENT_SENT, after, 200, &page, &k) < 0)
            return TGR_ERR;
        if (!k) {
            free(page);
            break;
        }
        struct result_row *grown = realloc(*out, (*n + k) * sizeof *grown);
        if (!grown) {
            for (size_t i = 0; i < k; i++)
                result_row_release(&page[i]);
            free(page);
            return TGR_ERR;
        }
        *out = grown;
        memcpy(*out + *n, page, k * sizeof *page);
        *n += k;
        after = page[k - 1].id;
        free(page);
    }
    return TGR_OK;
}

/* The customer for an order credited by `credit`: the earliest clicker (link, code), or the
 * earliest reader who did not click (window), who has no order of the demo's yet. */
static const struct result_row *pick(const struct result_row *rows, size_t n, const char *credit,
                                     const struct placed *p)
{
    int clicked = strcmp(credit, "window") != 0;
    const struct result_row *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct result_row *r = &rows[i];
        int64_t at = clicked ? r->clicked_at : (r->clicked_at ? 0 : r->read_at);
        if (!at || given(p, r->contact_id)) continue;
        if (!best || at < (clicked ? best->clicked_at : best->read_at)) best = r;
    }
    return best;
}

static void first_link(void *cls, int64_t id, const char *url, int64_t clicks, int64_t unique,
                       int64_t revenue)
{
    (void)url, (void)clicks, (void)unique, (void)revenue;
    int64_t *link = cls;
    if (!*link) *link = id;
}

/* Place what can be placed now. @return 1 when nothing more will be placed */
static int orders_step(struct app *app, int64_t account, int64_t cid, json_t *plan, int64_t now)
{
    struct store *st = app->store;
    struct placed p;
    placed_read(st, &p);
    json_t *orders = json_object_get(plan, "orders");
    size_t total = json_array_size(orders) < DEMO_ORDERS_MAX ? json_array_size(orders) : DEMO_ORDERS_MAX;
    if (p.done || p.n >= (int)total) return 1;
    struct campaign c;
    if (st->campaign_get(st, account, cid, &c) != DB_ONE) return 0;
    int over = strcmp(c.status, "completed") == 0 || strcmp(c.status, "cancelled") == 0;
    int64_t finished = c.finished_at;
    campaign_release(&c);
    int64_t link_id = 0;
    struct result_row *rows = NULL;
    size_t n = 0;
    if (st->link_stats(st, account, cid, first_link, &link_id) < 0 ||
        sent_rows(st, account, cid, &rows, &n) != TGR_OK) {
        free(rows);
        return 0; /* looked at again in a second */
    }
    const char *code = json_string_value(json_object_get(plan, "discount_code"));
    const char *cur = json_string_value(json_object_get(plan, "currency"));
    char csv[8192], when[40];
    rfc3339(now, when, sizeof when);
    size_t used =
        (size_t)snprintf(csv, sizeof csv,
                         "order_id,amount,currency,status,created_at,telegram_user_id,phone,username,"
                         "discount_code,ref\n");
    int before = p.n;
    while (p.n < (int)total && used < sizeof csv - 256) {
        json_t *o = json_array_get(orders, (size_t)p.n);
        const char *credit = json_string_value(json_object_get(o, "credit"));
        const struct result_row *r = credit ? pick(rows, n, credit, &p) : NULL;
        if (!r) break; /* its customer has not clicked (or read) yet */
        char ref[LINK_CODE_MAX] = "";
        if (strcmp(credit, "link") == 0 && link_id) link_ref(app->kr, r->id, link_id, ref);
        used +=
            (size_t)snprintf(csv + used, sizeof csv - used, "AUTUMN-%d,%lld,%s,paid,%s,%s,,,%s,%s\n", p.n + 1,
                             (long long)json_integer_value(json_object_get(o, "amount")), cur ? cur : "EUR",
                             when, r->tg_user_id, strcmp(credit, "code") == 0 && code ? code : "", ref);
        p.contacts[p.n++] = r->contact_id;
    }
    for (size_t i = 0; i < n; i++)
        result_row_release(&rows[i]);
    free(rows);
    if (p.n > before) {
        FILE *in = fmemopen(csv, used, "rb");
        struct import_result ir;
        memset(&ir, 0, sizeof ir);
        if (!in || orders_import_csv(app, account, in, used, NULL, NULL, &ir) != TGR_OK) {
            if (in) fclose(in);
            return 0; /* not placed: tried again in a second (the same order ids) */
        }
        fclose(in);
        log_info("demo", "example campaign: %ld orders placed", ir.imported);
        import_result_release(&ir);
    }
    p.done = p.n >= (int)total || (over && now > finished + DEMO_LAST_CLICK_MS);
    if (p.n > before || p.done)
        (void)!placed_write(st, &p); /* lost: the next start places them again, or sees them */
    return p.done;
}

/* ---- the thread ---- */

static json_t *load_plan(void)
{
    char path[CONFIG_PATH_MAX + 32];
    source_path("scenarios/demo-campaign.json", path, sizeof path);
    json_error_t je;
    json_t *plan = json_load_file(path, 0, &je);
    if (!plan) log_warn("demo", "%s: %s (line %d); no example campaign", path, je.text, je.line);
    return plan;
}

static void *demo_main(void *arg)
{
    struct demo *d = arg;
    struct app *app = d->app;
    struct store *st = app->store;
    int64_t account = demo_connect(app);
    /* The example campaign is made for the demo scenario's customers (its clicks and reads). */
    if (!account || stopping(d) || !demo_scenario_is_ours(&app->cfg)) return NULL;
    json_t *plan = load_plan();
    if (!plan) return NULL;
    char v[32];
    int64_t cid = 0;
    enum db_status got = st->meta_get(st, META_CAMPAIGN, v, sizeof v);
    if (got == DB_ONE) {
        if (parse_i64(v, 0, INT64_MAX, &cid) != TGR_OK) cid = 0;
    } else if (got == DB_NONE) {
        cid = start_campaign(app, account, plan);
        snprintf(v, sizeof v, "%lld", (long long)cid);
        if (st->meta_set(st, META_CAMPAIGN, v) < 0)
            log_warn("demo", "could not remember the example campaign; the next start sends another");
    }
    while (cid && !orders_step(app, account, cid, plan, now_ms()) && !nap(d, 1000)) {}
    json_decref(plan);
    return NULL;
}

struct demo *demo_start(struct app *app)
{
    struct demo *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->app = app;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    if (pthread_create(&d->thread, NULL, demo_main, d) != 0) {
        log_warn("demo", "cannot start the demo thread; the demo account stays unconnected");
        pthread_cond_destroy(&d->cv);
        pthread_mutex_destroy(&d->mu);
        free(d);
        return NULL;
    }
    return d;
}

void demo_stop(struct demo *d)
{
    if (!d) return;
    pthread_mutex_lock(&d->mu);
    d->stopping = 1;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    free(d);
}
