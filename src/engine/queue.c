/* queue — the engine's work queue and its per-account state; see engine_internal.h.
 * Layer: engine.
 *
 * Work arrives in one queue (bridge events from the bridge's I/O thread, requests from HTTP
 * workers, answers of sends, wake-ups from other instances) and is handled in order on the
 * engine thread; push and post may be called from any thread. The per-account state (struct
 * acct) belongs to the engine thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/engine_internal.h"
#include "store/store.h"

void engine__push(struct engine *e, struct item *it)
{
    pthread_mutex_lock(&e->mu);
    if (e->stopping) {
        pthread_mutex_unlock(&e->mu);
        if (it->kind == IT_DIRECT && it->direct) {
            struct bridge_error stopped = {"NETWORK", "the engine is stopping", 0};
            engine__direct_finish(it->direct, NULL, &stopped);
        }
        json_decref(it->ev);
        free(it);
        return;
    }
    /* A sync or start already waiting for the same account covers this one. */
    if (it->kind == IT_SYNC || it->kind == IT_START || it->kind == IT_WAKE) {
        for (struct item *q = e->head; q; q = q->next) {
            if (q->kind == it->kind && q->account_id == it->account_id) {
                pthread_mutex_unlock(&e->mu);
                free(it);
                return;
            }
        }
    }
    if (e->tail)
        e->tail->next = it;
    else
        e->head = it;
    e->tail = it;
    if (must_precede(it->kind)) e->n_first++;
    /* A send's answer waits for the engine's own wake-up when that comes before the engine must
     * next act for the account (its next message, one interval after the answer, or the read of
     * its next batch before that): the answer only has to precede it (in_flight holds the send
     * back until the answer is handled, and the pacing counts from when the answer came), and a
     * wake-up saved is a thread switch saved per message (DECISIONS 92). */
    int waits = it->kind == IT_RESULT && e->sleeps_until > 0 && e->sleeps_until - now_ms() <= it->slack_ms;
    if (!waits) pthread_cond_signal(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

struct item *engine__take(struct engine *e, size_t max, int *first_waits)
{
    struct item *items = e->head, *last = NULL;
    size_t n = 0;
    for (struct item *p = items; p && n < max; p = p->next, n++) {
        last = p;
        if (must_precede(p->kind)) e->n_first--;
    }
    if (last) {
        e->head = last->next;
        if (!e->head) e->tail = NULL;
        last->next = NULL;
    }
    *first_waits = e->n_first > 0;
    return items;
}

struct item *engine__item_new(enum item_kind kind, int64_t account_id)
{
    struct item *it = calloc(1, sizeof *it);
    if (!it) {
        log_error("engine", "out of memory; dropped a work item");
        return NULL;
    }
    it->kind = kind;
    it->account_id = account_id;
    return it;
}

void engine__post(struct engine *e, enum item_kind kind, int64_t account_id, json_t *ev)
{
    struct item *it = engine__item_new(kind, account_id);
    if (!it) {
        json_decref(ev);
        return;
    }
    it->ev = ev;
    engine__push(e, it);
}

/* The index of e->accts by account id: open addressing with linear probing, its capacity a power
 * of two at least twice the accounts; a slot holds an index + 1 (0: empty). Every account is
 * looked up on each of its turns, and a walk of the array made each tick quadratic in the
 * accounts: at 1,000 accounts half a million comparisons a tick, with ticks a few ms apart
 * (DECISIONS 78). */
static size_t slot_of(int64_t id, size_t mask)
{
    return (size_t)engine__mix(id) & mask;
}

static struct acct *find(const struct engine *e, int64_t account_id)
{
    if (!e->cap_index) return NULL;
    size_t mask = e->cap_index - 1;
    for (size_t s = slot_of(account_id, mask);; s = (s + 1) & mask) {
        size_t v = e->acct_index[s];
        if (!v) return NULL;
        if (e->accts[v - 1].account_id == account_id) return &e->accts[v - 1];
    }
}

/* Index accts[0..n_accts) anew in a table of cap slots. @return TGR_OK, TGR_ERR out of memory */
static int reindex(struct engine *e, size_t cap)
{
    size_t *t = calloc(cap, sizeof *t);
    if (!t) return TGR_ERR;
    for (size_t i = 0; i < e->n_accts; i++) {
        size_t s = slot_of(e->accts[i].account_id, cap - 1);
        while (t[s])
            s = (s + 1) & (cap - 1);
        t[s] = i + 1;
    }
    free(e->acct_index);
    e->acct_index = t;
    e->cap_index = cap;
    return TGR_OK;
}

struct acct *engine__acct(struct engine *e, int64_t account_id)
{
    struct acct *found = find(e, account_id);
    if (found) return found;
    if ((e->n_accts + 1) * 2 > e->cap_index && reindex(e, e->cap_index ? e->cap_index * 2 : 32) != TGR_OK)
        return NULL;
    if (e->n_accts == e->cap_accts) {
        size_t cap = e->cap_accts ? e->cap_accts * 2 : 16;
        struct acct *p = realloc(e->accts, cap * sizeof *p);
        if (!p) return NULL;
        e->accts = p;
        e->cap_accts = cap;
    }
    struct acct *a = &e->accts[e->n_accts++];
    size_t s = slot_of(account_id, e->cap_index - 1);
    while (e->acct_index[s])
        s = (s + 1) & (e->cap_index - 1);
    e->acct_index[s] = e->n_accts;
    memset(a, 0, sizeof *a);
    a->account_id = account_id;
    a->frozen = -1;
    /* A FloodWait survives restarts: Telegram's clock does not restart with us. */
    char key[48], v[32];
    int64_t until;
    snprintf(key, sizeof key, "flood_until:%lld", (long long)account_id);
    if (e->app->store->meta_get(e->app->store, key, v, sizeof v) == DB_ONE &&
        parse_i64(v, 0, INT64_MAX, &until) == TGR_OK)
        a->flood_until = until;
    return a;
}
