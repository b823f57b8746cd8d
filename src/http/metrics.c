/* metrics — Prometheus counters and histograms; see metrics.h. */
#include "http/metrics.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/app.h"
#include "base/counters.h"
#include "base/util.h"
#include "core/cstate.h"
#include "crypto/keys.h"
#include "http/router.h"
#include "store/store.h"

static const unsigned statuses[] = {200, 201, 202, 204, 302, 304, 400, 401, 403, 404,
                                    405, 409, 413, 415, 422, 429, 500, 503, 0 /* other */};
#define N_STATUS (sizeof statuses / sizeof statuses[0])
static const double bounds[HIST_BOUNDS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                           0.1,    0.25,  0.5,    1,     2.5,  5,     10};

struct series {
    uint64_t by_status[N_STATUS];
    struct hist latency;
};

struct metrics {
    const struct route *routes;
    int n_routes;
    struct series *s; /* n_routes + 1; the last is "unmatched" */
    int64_t started_ms;
};

struct metrics *metrics_new(const struct route *routes)
{
    struct metrics *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    while (routes[m->n_routes].method)
        m->n_routes++;
    m->routes = routes;
    m->s = calloc((size_t)m->n_routes + 1, sizeof *m->s);
    if (!m->s) {
        free(m);
        return NULL;
    }
    m->started_ms = now_ms();
    return m;
}

void metrics_free(struct metrics *m)
{
    if (!m) return;
    free(m->s);
    free(m);
}

void metrics_observe(struct metrics *m, int route_idx, unsigned status, int64_t micros)
{
    struct series *s = &m->s[route_idx >= 0 && route_idx < m->n_routes ? route_idx : m->n_routes];
    size_t si = 0;
    while (si < N_STATUS - 1 && statuses[si] != status)
        si++;
    __atomic_fetch_add(&s->by_status[si], 1, __ATOMIC_RELAXED);
    hist_observe(&s->latency, bounds, micros);
}

struct buf {
    char *p;
    size_t len, cap;
    int failed;
};

static void add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t ncap = b->cap * 2 + (size_t)n;
        char *np = realloc(b->p, ncap);
        if (!np) {
            b->failed = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
}

/* One series of a histogram: its buckets, sum and count; labels is "" or `a="x",b="y"`. Skipped
 * when empty unless always. */
static void add_hist(struct buf *b, const char *name, const char *labels, const double bnd[HIST_BOUNDS],
                     const struct hist *h, int always)
{
    uint64_t cum[HIST_BOUNDS + 1];
    double sum = hist_read(h, cum);
    if (!cum[HIST_BOUNDS] && !always) return;
    const char *sep = *labels ? "," : "";
    for (size_t i = 0; i < HIST_BOUNDS; i++)
        add(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, bnd[i], (unsigned long long)cum[i]);
    add(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, (unsigned long long)cum[HIST_BOUNDS]);
    const char *open = *labels ? "{" : "", *close = *labels ? "}" : "";
    add(b, "%s_sum%s%s%s %.6f\n", name, open, labels, close, sum);
    add(b, "%s_count%s%s%s %llu\n", name, open, labels, close, (unsigned long long)cum[HIST_BOUNDS]);
}

static void add_type(struct buf *b, const char *name, const char *help, const char *type)
{
    add(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void status_seen(void *cls, const char *status, int64_t n)
{
    enum campaign_status s;
    if (campaign_status_parse(status, &s) == 0) ((int64_t *)cls)[s] = n;
}

/* The gauges read when the page is rendered. A read that fails leaves its gauge out of the page
 * (the store's runner counts the error in tgr_store_errors_total). */
static void add_gauges(struct buf *b, struct app *app)
{
    struct store *st = app->store;
    int64_t by_status[CAMPAIGN_STATUS_COUNT] = {0}, depth = 0;
    if (st && st->campaigns_by_status(st, status_seen, by_status) >= 0) {
        add_type(b, "tgr_campaigns", "Campaigns on the database by status (every account's).", "gauge");
        for (int s = 0; s < CAMPAIGN_STATUS_COUNT; s++)
            add(b, "tgr_campaigns{status=\"%s\"} %lld\n", campaign_status_name((enum campaign_status)s),
                (long long)by_status[s]);
    }
    if (st && st->outbox_depth(st, &depth) >= 0) {
        add_type(b, "tgr_outbox_messages",
                 "Campaign messages still to send (pending or being sent) of running and nudging campaigns "
                 "on the database.",
                 "gauge");
        add(b, "tgr_outbox_messages %lld\n", (long long)depth);
    }
    int64_t hooks = 0;
    if (st && st->hooks->pending(st, &hooks) >= 0) {
        add_type(b, "tgr_webhook_outbox_deliveries",
                 "Outgoing webhook deliveries waiting to be sent or tried again (every account's).", "gauge");
        add(b, "tgr_webhook_outbox_deliveries %lld\n", (long long)hooks);
    }
    if (app->kr) {
        add_type(b, "tgr_sealing_key_id", "Id of the master key new sealed values are sealed with.", "gauge");
        add(b, "tgr_sealing_key_id %u\n", (unsigned)keyring_current_id(app->kr));
    }
}

char *metrics_render(struct metrics *m, struct app *app, size_t *len)
{
    struct buf b = {malloc(8192), 0, 8192, 0};
    if (!b.p) return NULL;
    add_type(&b, "tgr_build_info", "Version and commit of the running tgr.", "gauge");
    add(&b, "tgr_build_info{version=\"%s\",commit=\"%s\"} 1\n", tgr_version, tgr_commit);
    add_type(&b, "tgr_uptime_seconds", "Seconds since the server started.", "gauge");
    add(&b, "tgr_uptime_seconds %.3f\n", (double)(now_ms() - m->started_ms) / 1000.0);
    add_type(&b, "tgr_http_requests_total", "HTTP requests by route and status.", "counter");
    for (int r = 0; r <= m->n_routes; r++) {
        const char *meth = r < m->n_routes ? m->routes[r].method : "other";
        const char *pat = r < m->n_routes ? m->routes[r].pattern : "unmatched";
        for (size_t si = 0; si < N_STATUS; si++) {
            uint64_t v = __atomic_load_n(&m->s[r].by_status[si], __ATOMIC_RELAXED);
            if (!v) continue;
            if (statuses[si])
                add(&b, "tgr_http_requests_total{method=\"%s\",route=\"%s\",status=\"%u\"} %llu\n", meth, pat,
                    statuses[si], (unsigned long long)v);
            else
                add(&b, "tgr_http_requests_total{method=\"%s\",route=\"%s\",status=\"other\"} %llu\n", meth,
                    pat, (unsigned long long)v);
        }
    }
    add_type(&b, "tgr_http_request_duration_seconds", "Time from the first byte of a request to its reply.",
             "histogram");
    for (int r = 0; r <= m->n_routes; r++) {
        char labels[ROUTER_MAX_PATH + 64];
        snprintf(labels, sizeof labels, "method=\"%s\",route=\"%s\"",
                 r < m->n_routes ? m->routes[r].method : "other",
                 r < m->n_routes ? m->routes[r].pattern : "unmatched");
        add_hist(&b, "tgr_http_request_duration_seconds", labels, bounds, &m->s[r].latency, 0);
    }
    for (int c = 0; c < CNT_N; c++) {
        const struct counter_def *d = &counter_defs[c];
        unsigned long long v = (unsigned long long)counter_get((enum counter)c);
        if (c == 0 || strcmp(d->name, counter_defs[c - 1].name) != 0)
            add_type(&b, d->name, d->help, "counter");
        if (d->value)
            add(&b, "%s{%s=\"%s\"} %llu\n", d->name, d->label, d->value, v);
        else
            add(&b, "%s %llu\n", d->name, v);
    }
    for (int f = 0; f < FAM_N; f++) {
        const struct counter_def *d = &counter_family_defs[f];
        add_type(&b, d->name, d->help, "counter");
        const char *label;
        uint64_t v;
        for (size_t i = 0; counter_family_get((enum counter_family)f, i, &label, &v); i++)
            add(&b, "%s{%s=\"%s\"} %llu\n", d->name, d->label, label, (unsigned long long)v);
    }
    for (int h = 0; h < HIST_N; h++) {
        const struct histogram_def *d = &histogram_defs[h];
        add_type(&b, d->name, d->help, "histogram");
        for (size_t v = 0; v == 0 || (d->label && d->values[v]); v++) {
            char labels[64] = "";
            if (d->label) snprintf(labels, sizeof labels, "%s=\"%s\"", d->label, d->values[v]);
            add_hist(&b, d->name, labels, d->bounds, histogram_series((enum histogram)h, v), 1);
        }
    }
    add_gauges(&b, app);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

int metrics_token_load(unsigned char hash[METRICS_TOKEN_HASH_BYTES], int *set, char *err, size_t errlen)
{
    const char *v = getenv("TGR_METRICS_TOKEN");
    *set = 0;
    if (!v || !*v) return TGR_OK;
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium cannot start");
        return TGR_ERR;
    }
    size_t n = strnlen(v, METRICS_TOKEN_MAX + 1);
    int visible = 1;
    for (size_t i = 0; i < n; i++)
        visible &= v[i] > ' ' && v[i] < 0x7f;
    if (n < METRICS_TOKEN_MIN || n > METRICS_TOKEN_MAX || !visible) {
        snprintf(err, errlen, "TGR_METRICS_TOKEN must be %d to %d visible ASCII characters without spaces",
                 METRICS_TOKEN_MIN, METRICS_TOKEN_MAX);
        return TGR_ERR;
    }
    crypto_generichash(hash, METRICS_TOKEN_HASH_BYTES, (const unsigned char *)v, n, NULL, 0);
    *set = 1;
    /* Children (the Telegram bridge) have no use for it. Called before any thread starts. */
    unsetenv("TGR_METRICS_TOKEN");
    return TGR_OK;
}

int metrics_token_ok(const unsigned char hash[METRICS_TOKEN_HASH_BYTES], const char *authorization)
{
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0) return 0;
    const char *t = authorization + 7;
    while (*t == ' ')
        t++;
    /* Hashing the presented token first makes the comparison independent of its length and of
     * where it first differs; crypto_verify_32 compares the hashes in constant time. */
    unsigned char got[METRICS_TOKEN_HASH_BYTES];
    crypto_generichash(got, sizeof got, (const unsigned char *)t, strnlen(t, METRICS_TOKEN_MAX + 1), NULL, 0);
    return crypto_verify_32(got, hash) == 0;
}
