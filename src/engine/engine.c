/* engine — the background thread: bridge events, session (re)starts, queued syncs; see engine.h.
 *
 * Work arrives in one queue (bridge events from the bridge's I/O thread, requests from HTTP
 * workers) and is handled in order on the engine thread. A bridge that (re)starts sends "ready":
 * every connected account is then started again with its stored session, since a new bridge
 * process knows no clients. */
#include "engine/engine.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/app.h"
#include "core/log.h"
#include "core/util.h"
#include "store/store.h"
#include "tg/bridge.h"
#include "tg/session.h"
#include "tg/sync.h"

enum item_kind { IT_EVENT, IT_SYNC, IT_START };

struct item {
    enum item_kind kind;
    int64_t account_id;
    json_t *ev;
    struct item *next;
};

struct engine {
    struct app *app;
    struct bridge *bridge;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct item *head, *tail;
    int stopping;
};

static void push(struct engine *e, struct item *it)
{
    pthread_mutex_lock(&e->mu);
    if (e->stopping) {
        pthread_mutex_unlock(&e->mu);
        json_decref(it->ev);
        free(it);
        return;
    }
    /* A sync or start already waiting for the same account covers this one. */
    if (it->kind != IT_EVENT) {
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

static void post(struct engine *e, enum item_kind kind, int64_t account_id, json_t *ev)
{
    struct item *it = calloc(1, sizeof *it);
    if (!it) {
        json_decref(ev);
        log_error("engine", "out of memory; dropped a work item");
        return;
    }
    it->kind = kind;
    it->account_id = account_id;
    it->ev = ev;
    push(e, it);
}

/* Bridge I/O thread: hand the event over and return at once. */
static void on_bridge_event(void *ctx, json_t *ev)
{
    post(ctx, IT_EVENT, 0, json_incref(ev));
}

void engine_request_sync(struct engine *e, int64_t account_id)
{
    if (e)
        post(e, IT_SYNC, account_id, NULL);
}

void engine_request_start(struct engine *e, int64_t account_id)
{
    if (e)
        post(e, IT_START, account_id, NULL);
}

static int64_t event_account(json_t *ev)
{
    json_t *a = json_object_get(ev, "account");
    return json_is_integer(a) ? json_integer_value(a) : 0;
}

static void handle_event(struct engine *e, json_t *ev)
{
    struct app *app = e->app;
    const char *kind = json_string_value(json_object_get(ev, "event"));
    int64_t account = event_account(ev);
    if (!kind)
        return;
    if (strcmp(kind, "ready") == 0) {
        int64_t *ids = NULL;
        size_t n = 0;
        if (app->store->sessions_connected(app->store, &ids, &n) >= 0) {
            for (size_t i = 0; i < n; i++)
                engine_request_start(e, ids[i]);
            free(ids);
        }
    } else if (strcmp(kind, "message") == 0 && account > 0) {
        if (sync_import_event(app, account, ev, NULL) < 0)
            log_warn("engine", "account %lld: could not store an incoming message", (long long)account);
    } else if (strcmp(kind, "session_invalid") == 0 && account > 0) {
        const char *code = json_string_value(json_object_get(ev, "code"));
        log_warn("engine", "account %lld: Telegram session is no longer valid (%s); reconnect needed",
                 (long long)account, code ? code : "?");
        app->store->session_set_status(app->store, account, "invalid");
    }
    /* "read" events are used by the send engine (read receipts of campaign messages). */
}

static void handle_start(struct engine *e, int64_t account_id)
{
    struct tgs_result res;
    tgs_start(e->app, account_id, &res);
    if (res.outcome == TGS_OK)
        log_info("engine", "account %lld: Telegram session started", (long long)account_id);
    else if (res.outcome != TGS_DEAD)
        log_warn("engine", "account %lld: Telegram session not started yet (%s)", (long long)account_id,
                 res.code[0] ? res.code : "unavailable");
}

static void handle_sync(struct engine *e, int64_t account_id)
{
    struct sync_counts c;
    struct bridge_error err;
    sync_account(e->app, account_id, &c, &err);
}

static void *engine_main(void *arg)
{
    struct engine *e = arg;
    for (;;) {
        pthread_mutex_lock(&e->mu);
        while (!e->head && !e->stopping)
            pthread_cond_wait(&e->cv, &e->mu);
        if (e->stopping) {
            pthread_mutex_unlock(&e->mu);
            break;
        }
        struct item *it = e->head;
        e->head = it->next;
        if (!e->head)
            e->tail = NULL;
        pthread_mutex_unlock(&e->mu);
        switch (it->kind) {
        case IT_EVENT:
            handle_event(e, it->ev);
            break;
        case IT_SYNC:
            handle_sync(e, it->account_id);
            break;
        case IT_START:
            handle_start(e, it->account_id);
            break;
        }
        json_decref(it->ev);
        free(it);
    }
    return NULL;
}

struct engine *engine_start(struct app *app, char *err, size_t errlen)
{
    struct engine *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->app = app;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    char script[1100], scenario_path[1100];
    source_path(app->cfg.bridge_script[0] ? app->cfg.bridge_script : "bridge/main.mjs", script, sizeof script);
    source_path(app->cfg.sim_scenario, scenario_path, sizeof scenario_path);
    if (access(script, R_OK) != 0) {
        snprintf(err, errlen, "the Telegram bridge %s is missing (run make deps)", script);
        free(e);
        return NULL;
    }
    if (strcmp(app->cfg.telegram, "gramjs") == 0 && (!getenv("TG_API_ID") || !getenv("TG_API_HASH"))) {
        snprintf(err, errlen, "--telegram gramjs needs TG_API_ID and TG_API_HASH (from my.telegram.org)");
        free(e);
        return NULL;
    }
    if (strcmp(app->cfg.telegram, "sim") == 0 && access(scenario_path, R_OK) != 0) {
        snprintf(err, errlen, "--sim-scenario %s: cannot read the file", app->cfg.sim_scenario);
        free(e);
        return NULL;
    }
    char scenario[4200] = "";
    if (strcmp(app->cfg.telegram, "sim") == 0 && !realpath(scenario_path, scenario))
        snprintf(scenario, sizeof scenario, "%s", scenario_path);
    struct bridge_opts o = {app->cfg.node, script, app->cfg.telegram, scenario};
    e->bridge = bridge_start(&o, on_bridge_event, e, err, errlen);
    if (!e->bridge) {
        free(e);
        return NULL;
    }
    pthread_create(&e->thread, NULL, engine_main, e);
    return e;
}

void engine_stop(struct engine *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->mu);
    e->stopping = 1;
    pthread_cond_signal(&e->cv);
    pthread_mutex_unlock(&e->mu);
    /* Stopping the bridge first fails whatever the engine thread is waiting for. */
    bridge_stop(e->bridge);
    pthread_join(e->thread, NULL);
}

void engine_free(struct engine *e)
{
    if (!e)
        return;
    bridge_free(e->bridge);
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

struct bridge *engine_bridge(struct engine *e)
{
    return e ? e->bridge : NULL;
}
