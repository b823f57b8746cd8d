/* engine — the background thread: its loop, start and stop; see engine.h. Layer: engine (above
 * tg and cluster, below http). The other files of src/engine/ each hold one of its jobs
 * (engine_internal.h lists them).
 *
 * Work arrives in one queue (bridge events from the bridge's I/O thread, requests from HTTP
 * workers, wake-ups and commands from other instances through the cluster) and is handled in
 * order on the engine thread, up to TAKE_MAX items at a time with one look at the accounts they
 * concern; between items the thread sleeps until the next account is due (tick.c). A bridge that (re)starts
 * sends "ready": every account this instance runs is then started again with its stored session, since a new
 * bridge process knows no clients. */
#include "engine/engine.h"

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "cluster/cluster.h"
#include "engine/engine_internal.h"
#include "store/store.h"
#include "tg/bridge.h"
#include "tg/session.h"
#include "tg/sync.h"

/* Bridge I/O thread: hand the event over and return at once. */
static void on_bridge_event(void *ctx, json_t *ev)
{
    engine__post(ctx, IT_EVENT, 0, json_incref(ev));
}

void engine_request_sync(struct engine *e, int64_t account_id)
{
    if (e) engine__post(e, IT_SYNC, account_id, NULL);
}

void engine_request_start(struct engine *e, int64_t account_id)
{
    if (e) engine__post(e, IT_START, account_id, NULL);
}

void engine_wake(struct engine *e, int64_t account_id)
{
    if (!e) return;
    engine__post(e, IT_WAKE, account_id, NULL);
    engine__schedule_poke(e); /* a campaign may have been scheduled, or have ended */
    /* The account's sending may belong to another instance: tell them all (after this commit). */
    cluster_notify(e->cluster, account_id);
}

/* The cluster's wake-ups (another instance, or a login here that took an account's client):
 * look at the account (CLUSTER_ANY: run a lease round). Any thread. */
static void on_cluster_wake(void *ctx, int64_t account_id)
{
    engine__post(ctx, IT_WAKE, account_id, NULL);
    engine__schedule_poke(ctx);
}

/* A command another instance relayed to this one, which runs the account's client (tg worker
 * pool): a bridge request, a direct message, or an inbox sync. */
static int run_command(void *ctx, int64_t account, const char *kind, json_t *req, json_t **result,
                       struct bridge_error *err)
{
    struct engine *e = ctx;
    if (strcmp(kind, "bridge") == 0) return tgs_call(e->app, account, req, 30000, result, err);
    if (strcmp(kind, "direct") == 0) return engine_send_direct(e, account, req, result, err);
    if (strcmp(kind, "sync") == 0) {
        struct sync_counts c;
        int rc = sync_account(e->app, account, &c, err);
        if (rc == TGR_OK)
            *result = json_pack("{s:I, s:I, s:I}", "contacts_added", (json_int_t)c.contacts_added,
                                "contacts_updated", (json_int_t)c.contacts_updated, "messages_added",
                                (json_int_t)c.messages_added);
        return rc;
    }
    snprintf(err->code, sizeof err->code, "INTERNAL");
    snprintf(err->message, sizeof err->message, "unknown command");
    return TGR_ERR;
}

/* One item off the queue. @return the account to look at now (0: none) */
static int64_t handle_item(struct engine *e, struct item *it)
{
    switch (it->kind) {
    case IT_EVENT:
        engine__handle_event(e, it->ev);
        break;
    case IT_SYNC:
        engine__run_job(e, it->account_id, JOB_SYNC);
        break;
    case IT_START:
        engine__run_job(e, it->account_id, JOB_START);
        break;
    case IT_RESULT:
        engine__handle_result(e, it);
        break;
    case IT_WAKE: {
        /* Something changed (a campaign, or the account's settings): read the daily limit again
         * at the next look rather than up to DAILY_CHECK_MS later, and prepare its claimed batch
         * again (a paused campaign's messages go back to pending). */
        struct acct *a = it->account_id > 0 ? engine__acct(e, it->account_id) : NULL;
        if (a) a->daily_checked_at = 0;
        if (a) a->quiet_until = 0; /* quiet hours overridden or changed: judged again */
        if (a) a->sending = 0;     /* and look at its campaigns' phases at the next turn */
        if (a) engine__memo_free(a);
        if (a) a->sending_held = 0; /* a resumed campaign's rows may be 'sending' (a pause's) */
        if (a && a->q_n) engine__batch_drop(e, a, 1);
        break;
    }
    case IT_DIRECT:
        break; /* engine_main gives it to its account */
    case IT_STARTED: {
        struct acct *a = engine__acct(e, it->account_id);
        if (a) a->starting = 0;
        break;
    }
    case IT_DIRECT_DONE: {
        struct acct *a = engine__acct(e, it->account_id);
        if (a) engine__send_answered(e, a, it->answered_at);
        break;
    }
    }
    /* A result or a command concerns one account: look at that one after the take (engine_main);
     * the others keep their own timers. Events (replies, reads) change no timing. */
    int64_t acct =
        it->kind == IT_RESULT || it->kind == IT_WAKE || it->kind == IT_DIRECT_DONE || it->kind == IT_STARTED
            ? it->account_id
            : 0;
    /* A campaign started for an account nobody sends for yet: claim it now. */
    if (it->kind == IT_WAKE && acct && !cluster_owns(e->cluster, acct, now_ms())) engine__claim(e, now_ms());
    return acct == CLUSTER_ANY ? 0 : acct;
}

/* Items taken off the queue at once. Their accounts are looked at after them, together, so that
 * the batches those looks prepare share one group commit: looked at item by item, a busy engine
 * (a thousand accounts' answers arriving while it works) committed every account's next message
 * alone, which made it busier still, until its answers waited seconds (DECISIONS 102). A tick
 * that has come due runs between two takes unless an item that must precede any send
 * (must_precede: a wake-up, an event, a direct message) still waits; before, ticks waited for the
 * queue to empty. */
#define TAKE_MAX 32

static void *engine_main(void *arg)
{
    thread_name("tgr-engine");
    struct engine *e = arg;
    int64_t next_tick = 0;
    for (;;) {
        pthread_mutex_lock(&e->mu);
        while (!e->head && !e->stopping) {
            int64_t now = now_ms();
            if (now >= next_tick) break;
            struct timespec ts;
            deadline_in(next_tick - now, &ts);
            e->sleeps_until = next_tick;
            pthread_cond_timedwait(&e->cv, &e->mu, &ts);
            e->sleeps_until = 0;
        }
        if (e->stopping) {
            pthread_mutex_unlock(&e->mu);
            /* Leave the outbox as a restart expects it: outcomes written, and the claimed
             * messages that never reached the bridge pending again. */
            engine__flush(e);
            for (size_t i = 0; i < e->n_accts; i++)
                if (e->accts[i].q_n) engine__batch_drop(e, &e->accts[i], 1);
            break;
        }
        int first_waits;
        struct item *items = engine__take(e, TAKE_MAX, &first_waits);
        pthread_mutex_unlock(&e->mu);
        int64_t look[TAKE_MAX];
        size_t n_look = 0;
        while (items) {
            struct item *it = items;
            items = it->next;
            it->next = NULL;
            int64_t acct;
            if (it->kind == IT_DIRECT) {
                /* The item now belongs to the account's queue (or has been answered). */
                acct = engine__direct_enqueue(e, it) ? it->account_id : 0;
            } else {
                acct = handle_item(e, it);
                json_decref(it->ev);
                free(it);
            }
            size_t k = 0;
            while (k < n_look && look[k] != acct)
                k++;
            if (acct && k == n_look) look[n_look++] = acct;
        }
        if (n_look) {
            int64_t at = engine__tick_accounts(e, look, n_look);
            if (at < next_tick) next_tick = at;
        }
        if (!first_waits && now_ms() >= next_tick) next_tick = engine__tick(e);
    }
    return NULL;
}

/* Where the bridge script and the simulator's scenario are, checked before anything starts.
 * @return TGR_OK, or TGR_ERR with a one-line reason in err */
static int bridge_options(struct app *app, char *script, size_t scap, char *scenario, size_t sccap, char *err,
                          size_t errlen)
{
    char scenario_path[1100];
    source_path(app->cfg.bridge_script[0] ? app->cfg.bridge_script : "bridge/main.mjs", script, scap);
    source_path(app->cfg.sim_scenario, scenario_path, sizeof scenario_path);
    if (access(script, R_OK) != 0) {
        snprintf(err, errlen, "the Telegram bridge %s is missing (run make deps)", script);
        return TGR_ERR;
    }
    if (strcmp(app->cfg.telegram, "gramjs") == 0 && (!getenv("TG_API_ID") || !getenv("TG_API_HASH"))) {
        snprintf(err, errlen, "--telegram gramjs needs TG_API_ID and TG_API_HASH (from my.telegram.org)");
        return TGR_ERR;
    }
    /* Tests only (config.c refuses it without TGR_TEST_MODE=1): the bridge, which inherits the
     * environment, talks to the loopback MTProto server of tests/mtproto instead of Telegram. */
    const char *test_dc = getenv("TGR_GRAMJS_TEST_DC");
    if (test_dc && *test_dc && strcmp(app->cfg.telegram, "gramjs") == 0)
        log_warn("engine", "TEST MODE: Telegram is the loopback MTProto server at %.60s", test_dc);
    if (strcmp(app->cfg.telegram, "sim") == 0 && access(scenario_path, R_OK) != 0) {
        snprintf(err, errlen, "--sim-scenario %s: cannot read the file", app->cfg.sim_scenario);
        return TGR_ERR;
    }
    scenario[0] = 0;
    if (strcmp(app->cfg.telegram, "sim") == 0 && !realpath(scenario_path, scenario))
        snprintf(scenario, sccap, "%s", scenario_path);
    return TGR_OK;
}

struct engine *engine_start(struct app *app, char *err, size_t errlen)
{
    struct engine *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->app = app;
    /* A write past RLIMIT_FSIZE raises SIGXFSZ, whose default action kills the process (with a
     * core) in the middle of a transaction. Ignored, the write fails with EFBIG instead and the
     * store reports it like a full disk: sending pauses (storage_error) and API writes get a 503.
     * Set before the bridge is spawned, which inherits it. */
    signal(SIGXFSZ, SIG_IGN);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    char script[1100], scenario[4200];
    if (bridge_options(app, script, sizeof script, scenario, sizeof scenario, err, errlen) != TGR_OK) {
        free(e);
        return NULL;
    }
    const char *crash = getenv("TGR_TEST_CRASH_AT"), *test_mode = getenv("TGR_TEST_MODE");
    int64_t k = 0;
    if (crash && strncmp(crash, "batch:", 6) == 0 && test_mode && strcmp(test_mode, "1") == 0 &&
        parse_i64(crash + 6, 1, CLAIM_BATCH_MAX, &k) == TGR_OK) {
        e->crash_at = (int)k;
        log_warn("engine", "TEST MODE: the process ends before message %d of a claimed batch is sent",
                 e->crash_at);
    }
    e->cluster = cluster_new(app, on_cluster_wake, run_command, e);
    if (!e->cluster) {
        snprintf(err, errlen, "out of memory");
        free(e);
        return NULL;
    }
    struct bridge_opts o = {app->cfg.node, script, app->cfg.telegram, scenario};
    e->bridge = bridge_start(&o, on_bridge_event, e, err, errlen);
    if (!e->bridge) {
        cluster_free(e->cluster);
        free(e);
        return NULL;
    }
    /* tg/ reaches the bridge and the cluster through app; set before the thread's first jobs. */
    app->bridge = e->bridge;
    app->cluster = e->cluster;
    pthread_create(&e->thread, NULL, engine_main, e);
    engine__schedule_start(e);
    cluster_listen(e->cluster);
    return e;
}

void engine_stop(struct engine *e)
{
    if (!e) return;
    engine__schedule_stop(e); /* no campaign starts from here on */
    cluster_stop(e->cluster); /* no more posts from other instances */
    pthread_mutex_lock(&e->mu);
    e->stopping = 1;
    pthread_cond_signal(&e->cv);
    pthread_mutex_unlock(&e->mu);
    /* Stopping the bridge first fails whatever the engine thread is waiting for. */
    bridge_stop(e->bridge);
    pthread_join(e->thread, NULL);
    /* Answer every direct message still waiting, now: their workers wait for it, and the worker
     * pools are drained before engine_free (DECISIONS 105). */
    engine__direct_drop_all(e);
    /* Hand the accounts over now rather than when the leases run out. A send still unanswered
     * stays 'sending' with its random_id, so the next owner's retry cannot deliver it twice. */
    cluster_leave(e->cluster);
}

void engine_free(struct engine *e)
{
    if (!e) return;
    if (e->app->bridge == e->bridge) e->app->bridge = NULL;
    if (e->app->cluster == e->cluster) e->app->cluster = NULL;
    bridge_free(e->bridge);
    engine__schedule_free(e);
    engine__direct_drop_all(e);
    for (size_t i = 0; i < e->n_accts; i++) {
        engine__batch_drop(e, &e->accts[i], 0); /* the thread has stopped: nothing is left but memory */
        engine__memo_free(&e->accts[i]);
    }
    free(e->accts);
    free(e->refill);
    free(e->acct_index);
    cluster_free(e->cluster);
    /* Events that arrived after the thread stopped. */
    struct item *it = e->head;
    while (it) {
        struct item *n = it->next;
        json_decref(it->ev);
        free(it);
        it = n;
    }
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    free(e);
}
