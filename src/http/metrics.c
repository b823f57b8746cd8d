/* metrics — Prometheus counters and histograms; see metrics.h. */
#include "http/metrics.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/counters.h"
#include "base/util.h"
#include "http/router.h"

static const unsigned statuses[] = {200, 201, 202, 204, 302, 304, 400, 401, 403, 404,
                                    405, 409, 413, 415, 422, 429, 500, 503, 0 /* other */};
#define N_STATUS (sizeof statuses / sizeof statuses[0])
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define N_BOUNDS (sizeof bounds / sizeof bounds[0])

struct series {
    uint64_t by_status[N_STATUS];
    uint64_t buckets[N_BOUNDS + 1]; /* non-cumulative; last is +Inf */
    uint64_t sum_us;
    uint64_t count;
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
    double secs = (double)micros / 1e6;
    size_t bi = 0;
    while (bi < N_BOUNDS && secs > bounds[bi])
        bi++;
    __atomic_fetch_add(&s->by_status[si], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->buckets[bi], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->sum_us, (uint64_t)(micros > 0 ? micros : 0), __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->count, 1, __ATOMIC_RELAXED);
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

char *metrics_render(struct metrics *m, size_t *len)
{
    struct buf b = {malloc(8192), 0, 8192, 0};
    if (!b.p) return NULL;
    add(&b, "# HELP tgr_build_info Version and commit of the running tgr.\n# TYPE tgr_build_info gauge\n");
    add(&b, "tgr_build_info{version=\"%s\",commit=\"%s\"} 1\n", tgr_version, tgr_commit);
    add(&b, "# HELP tgr_uptime_seconds Seconds since the server started.\n# TYPE tgr_uptime_seconds gauge\n");
    add(&b, "tgr_uptime_seconds %.3f\n", (double)(now_ms() - m->started_ms) / 1000.0);
    add(&b, "# HELP tgr_http_requests_total HTTP requests by route and status.\n"
            "# TYPE tgr_http_requests_total counter\n");
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
    add(&b, "# HELP tgr_http_request_duration_seconds Time from the first byte of a request to its reply.\n"
            "# TYPE tgr_http_request_duration_seconds histogram\n");
    for (int r = 0; r <= m->n_routes; r++) {
        uint64_t count = __atomic_load_n(&m->s[r].count, __ATOMIC_RELAXED);
        if (!count) continue;
        const char *meth = r < m->n_routes ? m->routes[r].method : "other";
        const char *pat = r < m->n_routes ? m->routes[r].pattern : "unmatched";
        uint64_t cum = 0;
        for (size_t bi = 0; bi <= N_BOUNDS; bi++) {
            cum += __atomic_load_n(&m->s[r].buckets[bi], __ATOMIC_RELAXED);
            if (bi < N_BOUNDS)
                add(&b,
                    "tgr_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"%g\"} %llu\n",
                    meth, pat, bounds[bi], (unsigned long long)cum);
            else
                add(&b,
                    "tgr_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n",
                    meth, pat, (unsigned long long)cum);
        }
        add(&b, "tgr_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n", meth, pat,
            (double)__atomic_load_n(&m->s[r].sum_us, __ATOMIC_RELAXED) / 1e6);
        /* The +Inf bucket and _count must agree even while requests are being recorded. */
        add(&b, "tgr_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %llu\n", meth, pat,
            (unsigned long long)cum);
    }
    for (int c = 0; c < CNT_N; c++)
        add(&b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counter_defs[c].name, counter_defs[c].help,
            counter_defs[c].name, counter_defs[c].name, (unsigned long long)counter_get((enum counter)c));
    for (int f = 0; f < FAM_N; f++) {
        const struct counter_def *d = &counter_family_defs[f];
        add(&b, "# HELP %s %s\n# TYPE %s counter\n", d->name, d->help, d->name);
        const char *label;
        uint64_t v;
        for (size_t i = 0; counter_family_get((enum counter_family)f, i, &label, &v); i++)
            add(&b, "%s{%s=\"%s\"} %llu\n", d->name, d->label, label, (unsigned long long)v);
    }
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
