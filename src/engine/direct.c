/* direct — messages sent outside campaigns (a test to Saved Messages), waited for by a worker
 * thread. Layer: engine. A direct message takes its turn in the account's pacing like every
 * other message: engine_send_direct queues it (IT_DIRECT), the engine thread keeps it in the
 * account's list until the account is free (tick.c), the bridge's answer goes straight to the
 * waiting worker and the account is freed (IT_DIRECT_DONE). The engine answers every direct
 * message exactly once: sent, refused, failed by the bridge's deadline, or dropped at shutdown. */
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "cluster/cluster.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "tg/bridge.h"

struct direct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, refs; /* the waiting worker and the engine each hold a reference */
    json_t *result;
    struct bridge_error err;
};

static void direct_unref(struct direct *d)
{
    pthread_mutex_lock(&d->mu);
    int left = --d->refs;
    pthread_mutex_unlock(&d->mu);
    if (left) return;
    json_decref(d->result);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    free(d);
}

void engine__direct_finish(struct direct *d, json_t *result, const struct bridge_error *err)
{
    pthread_mutex_lock(&d->mu);
    if (result)
        d->result = json_incref(result);
    else
        d->err = *err;
    d->done = 1;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    direct_unref(d);
}

/* Bridge I/O thread: answer the waiting worker, then tell the engine the account is free. */
static void on_direct_done(void *arg, json_t *result, const struct bridge_error *err)
{
    struct item *it = arg;
    struct engine *e = (struct engine *)it->next;
    it->next = NULL;
    it->answered_at = now_ms(); /* the pacing and the answer's lag count from here (outcome.c) */
    engine__direct_finish(it->direct, result, err);
    it->direct = NULL;
    it->kind = IT_DIRECT_DONE;
    json_decref(it->ev);
    it->ev = NULL;
    engine__push(e, it);
}

void engine__direct_send(struct engine *e, struct acct *a)
{
    struct item *it = a->direct;
    a->direct = it->next;
    it->next = (struct item *)e; /* carried to on_direct_done */
    a->in_flight = 1;
    a->sent_at = now_ms();
    a->next_send_at = a->sent_at + engine__interval_ms(e);
    bridge_call_async(e->bridge, it->ev, SEND_TIMEOUT_MS, on_direct_done, it);
}

int engine__direct_enqueue(struct engine *e, struct item *it)
{
    struct acct *a = engine__acct(e, it->account_id);
    if (!a) {
        struct bridge_error oom = {"INTERNAL", "out of memory", 0};
        engine__direct_finish(it->direct, NULL, &oom); /* every direct message is answered */
        json_decref(it->ev);
        free(it);
        return 0;
    }
    struct item **tail = &a->direct;
    while (*tail)
        tail = &(*tail)->next;
    it->next = NULL;
    *tail = it;
    return 1;
}

void engine__direct_drop_all(struct engine *e)
{
    struct bridge_error stopped = {"NETWORK", "the engine stopped", 0};
    for (size_t i = 0; i < e->n_accts; i++) {
        struct item *d = e->accts[i].direct;
        while (d) {
            struct item *n = d->next;
            engine__direct_finish(d->direct, NULL, &stopped);
            json_decref(d->ev);
            free(d);
            d = n;
        }
        e->accts[i].direct = NULL;
    }
    /* And those the thread left in its queue (freed with the queue, by engine_free). */
    pthread_mutex_lock(&e->mu);
    for (struct item *it = e->head; it; it = it->next)
        if (it->kind == IT_DIRECT && it->direct) {
            engine__direct_finish(it->direct, NULL, &stopped);
            it->direct = NULL;
        }
    pthread_mutex_unlock(&e->mu);
}

int engine_send_direct(struct engine *e, int64_t account_id, json_t *req, json_t **result,
                       struct bridge_error *err)
{
    char owner[128];
    if (e && !cluster_is_local(e->cluster, account_id, owner, sizeof owner))
        return cluster_remote(e->cluster, owner, account_id, "direct", req, 30000, result, err);
    struct direct *d = calloc(1, sizeof *d);
    struct item *it = e && d ? engine__item_new(IT_DIRECT, account_id) : NULL;
    if (!it) {
        free(d);
        snprintf(err->code, sizeof err->code, "NETWORK");
        snprintf(err->message, sizeof err->message, "the engine is not running");
        return TGR_ERR;
    }
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    d->refs = 2;
    it->ev = json_incref(req);
    it->direct = d;
    engine__push(e, it);
    pthread_mutex_lock(&d->mu);
    while (!d->done)
        pthread_cond_wait(&d->cv, &d->mu);
    pthread_mutex_unlock(&d->mu);
    int rc = TGR_OK;
    if (d->result)
        *result = json_incref(d->result);
    else {
        *err = d->err;
        rc = TGR_ERR;
    }
    direct_unref(d);
    return rc;
}
