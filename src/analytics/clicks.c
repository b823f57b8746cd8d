/* clicks — link cache and batching click writer; see clicks.h. */
#include "analytics/clicks.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/clickwin.h"
#include "base/log.h"
#include "base/util.h"
#include "core/outcome.h"
#include "store/store.h"

#define CACHE_SLOTS 4096
#define QUEUE_MAX   65536

/* A link as a click needs it: loc is its URL up to where the ref goes ("…?x=1&tgr_ref="), then
 * the rest of it (the fragment, or nothing). */
struct cached {
    int64_t link_id, account_id, campaign_id;
    char *loc;
    size_t head, len; /* bytes of loc before the ref; all of them */
};

struct clicks {
    struct store *st;
    pthread_mutex_t mu; /* the queue */
    pthread_cond_t cv;
    pthread_mutex_t cache_mu;
    struct cached cache[CACHE_SLOTS]; /* direct-mapped by link id */
    struct clickwin *win;             /* repeat clicks (its own lock) */
    struct click *q;
    size_t n;
    int stopping;
    pthread_t thread;
    pthread_mutex_t write_mu; /* one batch written at a time */
};

/* Take the queued clicks and write them (called without mu held). */
static void write_batch(struct clicks *c)
{
    pthread_mutex_lock(&c->write_mu);
    pthread_mutex_lock(&c->mu);
    size_t n = c->n;
    struct click *batch = NULL;
    if (n) {
        batch = malloc(n * sizeof *batch);
        if (batch) {
            memcpy(batch, c->q, n * sizeof *batch);
            c->n = 0;
        }
    }
    pthread_mutex_unlock(&c->mu);
    if (batch) {
        if (clicks_record(c->st, batch, n) < 0) log_error("clicks", "could not record %zu clicks", n);
        free(batch);
    }
    pthread_mutex_unlock(&c->write_mu);
}

static void *writer(void *arg)
{
    struct clicks *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        /* Idle, it sleeps until the first click (clicks_add signals it): a server that is only
         * sending would otherwise wake this thread 20 times a second for nothing. */
        while (!c->stopping && c->n == 0)
            pthread_cond_wait(&c->cv, &c->mu);
        if (!c->stopping && c->n < CLICKS_BATCH) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += CLICKS_FLUSH_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&c->cv, &c->mu, &ts);
        }
        int stop = c->stopping;
        pthread_mutex_unlock(&c->mu);
        write_batch(c);
        if (stop) return NULL;
    }
}

struct clicks *clicks_start(struct store *st)
{
    struct clicks *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->st = st;
    c->q = calloc(QUEUE_MAX, sizeof *c->q);
    c->win = clickwin_new(CLICKWIN_ENTRIES, CLICKWIN_MS);
    pthread_mutex_init(&c->mu, NULL);
    pthread_mutex_init(&c->cache_mu, NULL);
    pthread_mutex_init(&c->write_mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (!c->q || !c->win || pthread_create(&c->thread, NULL, writer, c) != 0) {
        clickwin_free(c->win);
        free(c->q);
        free(c);
        return NULL;
    }
    return c;
}

void clicks_stop(struct clicks *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    c->stopping = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    write_batch(c);
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        free(c->cache[i].loc);
    pthread_mutex_destroy(&c->mu);
    pthread_mutex_destroy(&c->cache_mu);
    pthread_mutex_destroy(&c->write_mu);
    pthread_cond_destroy(&c->cv);
    clickwin_free(c->win);
    free(c->q);
    free(c);
}

int clicks_counts(struct clicks *c, int64_t link_id, int64_t recipient_id, const char *addr)
{
    return clickwin_first(c->win, link_id, recipient_id, addr, mono_ms());
}

/* Write url into buf (strlen(url) + 10 bytes) cut where "tgr_ref=" goes: after the query,
 * before the fragment. @return the bytes before the ref; *len all of them */
static size_t url_split(const char *url, char *buf, size_t *len)
{
    const char *hash = strchr(url, '#');
    size_t base = hash ? (size_t)(hash - url) : strlen(url), tail = hash ? strlen(hash) : 0;
    memcpy(buf, url, base);
    memcpy(buf + base, memchr(url, '?', base) ? "&tgr_ref=" : "?tgr_ref=", 9);
    memcpy(buf + base + 9, hash ? hash : "", tail + 1);
    *len = base + 9 + tail;
    return base + 9;
}

/* loc = e's head, ref, e's tail, cut to CLICKS_LOCATION_MAX (never reached: URLs are shorter). */
static void cached_location(const struct cached *e, const char *ref, char loc[CLICKS_LOCATION_MAX])
{
    size_t rlen = strnlen(ref, CLICKS_LOCATION_MAX), n = 0;
    const struct {
        const char *p;
        size_t len;
    } parts[3] = {{e->loc, e->head}, {ref, rlen}, {e->loc + e->head, e->len - e->head}};
    for (int i = 0; i < 3; i++) {
        size_t k = parts[i].len < CLICKS_LOCATION_MAX - 1 - n ? parts[i].len : CLICKS_LOCATION_MAX - 1 - n;
        memcpy(loc + n, parts[i].p, k);
        n += k;
    }
    loc[n] = 0;
}

int clicks_redirect(struct clicks *c, int64_t link_id, const char *ref, int64_t *account_id,
                    int64_t *campaign_id, char loc[CLICKS_LOCATION_MAX])
{
    struct cached *slot = &c->cache[(uint64_t)link_id % CACHE_SLOTS];
    pthread_mutex_lock(&c->cache_mu);
    if (slot->loc && slot->link_id == link_id) {
        *account_id = slot->account_id;
        *campaign_id = slot->campaign_id;
        cached_location(slot, ref, loc);
        pthread_mutex_unlock(&c->cache_mu);
        return 1;
    }
    pthread_mutex_unlock(&c->cache_mu);
    char *u = NULL;
    enum db_status r = c->st->link_get(c->st, link_id, account_id, campaign_id, &u);
    if (r != DB_ONE) return r < 0 ? -1 : 0;
    struct cached e = {link_id, *account_id, *campaign_id, malloc(strlen(u) + 10), 0, 0};
    if (!e.loc) {
        /* No memory to keep it: this click is answered from a copy on the stack. */
        char url[CLICKS_LOCATION_MAX], buf[CLICKS_LOCATION_MAX + 10];
        snprintf(url, sizeof url, "%s", u);
        free(u);
        e.loc = buf;
        e.head = url_split(url, buf, &e.len);
        cached_location(&e, ref, loc);
        return 1;
    }
    e.head = url_split(u, e.loc, &e.len);
    free(u);
    cached_location(&e, ref, loc);
    pthread_mutex_lock(&c->cache_mu);
    free(slot->loc);
    *slot = e;
    pthread_mutex_unlock(&c->cache_mu);
    return 1;
}

void clicks_add(struct clicks *c, int64_t account_id, int64_t campaign_id, int64_t link_id,
                int64_t recipient_id)
{
    for (;;) {
        pthread_mutex_lock(&c->mu);
        if (c->n < QUEUE_MAX) {
            c->q[c->n++] = (struct click){account_id, campaign_id, link_id, recipient_id, now_ms()};
            if (c->n == 1 || c->n >= CLICKS_BATCH)
                pthread_cond_signal(&c->cv); /* the first wakes the writer */
            pthread_mutex_unlock(&c->mu);
            return;
        }
        pthread_mutex_unlock(&c->mu);
        write_batch(c); /* a flood: the caller helps drain, nothing is dropped */
    }
}

void clicks_flush(struct clicks *c)
{
    write_batch(c);
}
