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
    pthread_cond_signal(&e->cv);
    pthread_mutex_unlock(&e->mu);
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

struct acct *engine__acct(struct engine *e, int64_t account_id)
{
    for (size_t i = 0; i < e->n_accts; i++)
        if (e->accts[i].account_id == account_id) return &e->accts[i];
    if (e->n_accts == e->cap_accts) {
        size_t cap = e->cap_accts ? e->cap_accts * 2 : 16;
        struct acct *p = realloc(e->accts, cap * sizeof *p);
        if (!p) return NULL;
        e->accts = p;
        e->cap_accts = cap;
    }
    struct acct *a = &e->accts[e->n_accts++];
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
