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

struct cached {
    int64_t link_id, account_id, campaign_id;
    char *url;
};

struct clicks {
    struct store *st;
    pthread_mutex_t mu;
    pthread_cond_t cv;
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
        free(c->cache[i].url);
    pthread_mutex_destroy(&c->mu);
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

int clicks_resolve(struct clicks *c, int64_t link_id, int64_t *account_id, int64_t *campaign_id, char *url,
                   size_t cap)
{
    struct cached *slot = &c->cache[(uint64_t)link_id % CACHE_SLOTS];
    pthread_mutex_lock(&c->mu);
    if (slot->url && slot->link_id == link_id) {
        *account_id = slot->account_id;
        *campaign_id = slot->campaign_id;
        snprintf(url, cap, "%s", slot->url);
        pthread_mutex_unlock(&c->mu);
        return 1;
    }
    pthread_mutex_unlock(&c->mu);
    char *u = NULL;
    enum db_status r = c->st->link_get(c->st, link_id, account_id, campaign_id, &u);
    if (r != DB_ONE) return r < 0 ? -1 : 0;
    snprintf(url, cap, "%s", u);
    pthread_mutex_lock(&c->mu);
    free(slot->url);
    slot->url = u;
    slot->link_id = link_id;
    slot->account_id = *account_id;
    slot->campaign_id = *campaign_id;
    pthread_mutex_unlock(&c->mu);
    return 1;
}

void clicks_add(struct clicks *c, int64_t account_id, int64_t campaign_id, int64_t link_id,
                int64_t recipient_id)
{
    for (;;) {
        pthread_mutex_lock(&c->mu);
        if (c->n < QUEUE_MAX) {
            c->q[c->n++] = (struct click){account_id, campaign_id, link_id, recipient_id, now_ms()};
            if (c->n >= CLICKS_BATCH) pthread_cond_signal(&c->cv);
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
