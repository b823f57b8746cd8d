/* jobs — engine work that waits on Telegram: an inbox sync, a session start, a client stop.
 * Layer: engine. They run on the tg worker pool, never on the engine thread, and report back
 * through the work queue (IT_WAKE, IT_STARTED). */
#include <stdlib.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "base/worker.h"
#include "cluster/cluster.h"
#include "engine/engine_internal.h"
#include "store/store.h"
#include "tg/bridge.h"
#include "tg/session.h"
#include "tg/sync.h"

struct job {
    struct engine *e;
    int64_t account_id;
};

static void sync_job(void *arg)
{
    struct job *j = arg;
    struct sync_counts c;
    struct bridge_error err;
    sync_account(j->e->app, j->account_id, &c, &err);
    free(j);
}

static void start_job(void *arg)
{
    struct job *j = arg;
    struct tgs_result res;
    tgs_start(j->e->app, j->account_id, &res);
    if (res.outcome == TGS_OK) {
        log_info("engine", "account %lld: Telegram session started", (long long)j->account_id);
        engine__post(j->e, IT_WAKE, j->account_id, NULL);
    } else if (res.outcome == TGS_DEAD) {
        engine__session_dead(j->e->app, j->account_id);
    } else {
        log_warn("engine", "account %lld: Telegram session not started yet (%s)", (long long)j->account_id,
                 res.code[0] ? res.code : "unavailable");
    }
    engine__post(j->e, IT_STARTED, j->account_id, NULL);
    free(j);
}

/* Another instance owns the account now: its client here must go (one session, one connection). */
static void stop_job(void *arg)
{
    struct job *j = arg;
    json_t *req = json_pack("{s:s, s:I}", "op", "stop", "account", (json_int_t)j->account_id);
    json_t *result = NULL;
    struct bridge_error err;
    if (req && bridge_call(j->e->bridge, req, 10000, &result, &err) == TGR_OK) {
        log_info("engine", "account %lld: Telegram client stopped here (another instance owns it)",
                 (long long)j->account_id);
        cluster_handed(j->e->cluster, j->account_id); /* a lease this instance shed is free now */
    }
    json_decref(result);
    json_decref(req);
    free(j);
}

/* Mark or clear the account's waiting jobs, keeping n_jobs_waiting. */
static void set_waiting(struct engine *e, struct acct *a, unsigned bits)
{
    if (!a->jobs_waiting != !bits) {
        if (bits)
            e->n_jobs_waiting++;
        else
            e->n_jobs_waiting--;
    }
    a->jobs_waiting = bits;
}

void engine__run_job(struct engine *e, int64_t account_id, enum engine_job job)
{
    static void (*const fns[])(void *) = {
        [JOB_SYNC] = sync_job, [JOB_START] = start_job, [JOB_STOP] = stop_job};
    struct acct *a = engine__acct(e, account_id);
    /* Queued now, or (a start) taken back before its stop ran: the client here stays. */
    unsigned done = 1u << job | (job == JOB_START ? 1u << JOB_STOP : 0);
    if (a && (a->jobs_waiting & done)) set_waiting(e, a, a->jobs_waiting & ~done);
    struct job *j = calloc(1, sizeof *j);
    if (j) {
        j->e = e;
        j->account_id = account_id;
        if (e->app->tg_pool && worker_pool_submit(e->app->tg_pool, fns[job], j) == TGR_OK) return;
        free(j);
    }
    if (job == JOB_START) {
        log_warn("engine", "account %lld: background work queue full; its start waits for a send",
                 (long long)account_id);
        engine__post(e, IT_STARTED, account_id, NULL); /* a taken-over account must not wait for it */
        return;
    }
    /* Never dropped: a shed lease is freed only by the stop, and one that runs out instead hands
     * the account over with its client still running here; a dropped sync never came back. */
    if (a && !(a->jobs_waiting & 1u << job)) {
        if (!a->jobs_waiting)
            log_info("engine", "account %lld: its %s waits for room in the Telegram queue",
                     (long long)account_id, job == JOB_STOP ? "client's stop" : "sync");
        set_waiting(e, a, a->jobs_waiting | 1u << job);
    }
}

void engine__jobs_retry(struct engine *e)
{
    for (size_t i = 0; e->n_jobs_waiting && i < e->n_accts; i++) {
        struct acct *a = &e->accts[i];
        static const enum engine_job order[] = {JOB_STOP, JOB_SYNC}; /* a handover waits for stops */
        for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
            enum engine_job job = order[k];
            if (!(a->jobs_waiting & 1u << job)) continue;
            engine__run_job(e, a->account_id, job);
            if (a->jobs_waiting & 1u << job) return; /* the queue is still full: the next tick */
        }
    }
}
