/* engine — the background thread: bridge events, session (re)starts, queued syncs; see engine.h.
 *
 * Work arrives in one queue (bridge events from the bridge's I/O thread, requests from HTTP
 * workers) and is handled in order on the engine thread. A bridge that (re)starts sends "ready":
 * every connected account is then started again with its stored session, since a new bridge
 * process knows no clients. */
#include "engine/engine.h"

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "crypto/seal.h"
#include "store/store.h"
#include "tg/bridge.h"
#include "tg/session.h"
#include "tg/sync.h"
#include "core/classify.h"
#include "core/campaign.h"
#include "engine/send.h"
#include "base/worker.h"

enum item_kind { IT_EVENT, IT_SYNC, IT_START, IT_RESULT, IT_WAKE, IT_DIRECT, IT_DIRECT_DONE, IT_STARTED };

/* A message sent outside campaigns (a test to Saved Messages), waited for by a worker thread.
 * It takes its turn in the account's pacing like every other message. */
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

/* The engine's answer to a direct message (exactly once), dropping its reference. */
static void direct_finish(struct direct *d, json_t *result, const struct bridge_error *err)
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

struct item {
    enum item_kind kind;
    int64_t account_id;
    json_t *ev; /* IT_EVENT: the event; IT_RESULT: the result or NULL */
    struct bridge_error err;
    struct recipient rec;  /* IT_RESULT */
    struct direct *direct; /* IT_DIRECT */
    struct item *next;
};

/* What the engine knows about one Telegram account between ticks. */
struct acct {
    int64_t account_id;
    int in_flight;        /* a send is out at the bridge */
    int64_t next_send_at; /* pacing: the earliest next send (unix ms) */
    int64_t flood_until;  /* FloodWait: nothing before this */
    int64_t quiet_logged; /* campaign whose quiet-hours pause was logged last */
    int64_t advanced_at;  /* last look at nudges and phase changes */
    struct item *direct;  /* direct messages waiting for their turn */
    int starting;         /* taken over from another instance: its client is being started here */
    /* A write of the send path failed (storage_failed): nothing is sent for the account until
     * the storage_error pause has been written; tried again at storage_retry_at. */
    int storage_pending;
    int64_t storage_retry_at;
    int64_t storage_campaign; /* the campaign whose row failed, for its log line */
};

struct engine {
    struct app *app;
    struct bridge *bridge;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct item *head, *tail;
    int stopping;
    struct acct *accts;
    size_t n_accts, cap_accts;
    /* Leases (store.h): the accounts this instance sends for, as of the last claim round. */
    char instance[128];
    int64_t lease_ms;
    int64_t *owned;
    size_t n_owned;
    int64_t claimed_at;  /* start of the last successful round */
    int64_t next_claim;  /* when the next round is due */
    int64_t owned_until; /* leases run out then unless renewed: stop sending before */
};

#define FLOOD_MARGIN_MS  500
#define RETRY_BASE_MS    2000
#define RETRY_MAX_MS     60000
#define MAX_ATTEMPTS     6
#define SEND_TIMEOUT_MS  10000 /* a retry reuses the random_id, so giving up early is safe */
#define IDLE_TICK_MS     1000
#define STORAGE_RETRY_MS 2000 /* how often a pause that could not be written is tried again */
#define ADVANCE_EVERY_MS 500
/* Leases are renewed four times per lease period; sending stops a fifth of a period before a
 * lease could run out, so a slow renewal never lets two instances send for one account. */
#define LEASE_RENEW_DIV  4
#define LEASE_MARGIN_DIV 5
#define LEASE_AGAIN_MS   250

static void push(struct engine *e, struct item *it)
{
    pthread_mutex_lock(&e->mu);
    if (e->stopping) {
        pthread_mutex_unlock(&e->mu);
        if (it->kind == IT_DIRECT && it->direct) {
            struct bridge_error stopped = {"NETWORK", "the engine is stopping", 0};
            direct_finish(it->direct, NULL, &stopped);
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

static struct item *new_item(enum item_kind kind, int64_t account_id)
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

static void post(struct engine *e, enum item_kind kind, int64_t account_id, json_t *ev)
{
    struct item *it = new_item(kind, account_id);
    if (!it) {
        json_decref(ev);
        return;
    }
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
    if (e) post(e, IT_SYNC, account_id, NULL);
}

void engine_request_start(struct engine *e, int64_t account_id)
{
    if (e) post(e, IT_START, account_id, NULL);
}

/* Channel of the wake-ups that reach every instance (store.h notify/listen). */
#define WAKE_CHANNEL "tgr_wake"
#define CLAIM_NOW    (-1) /* an IT_WAKE for no account: run a lease round now */

void engine_wake(struct engine *e, int64_t account_id)
{
    if (!e) return;
    post(e, IT_WAKE, account_id, NULL);
    /* The account's sending may belong to another instance: tell them all (after this commit). */
    struct store *st = e->app->store;
    if (st->notify) {
        char v[24];
        snprintf(v, sizeof v, "%lld", (long long)account_id);
        st->notify(st, WAKE_CHANNEL, v);
    }
}

/* On the store's listener thread: another instance changed something of an account ("" after a
 * lost connection: anything may have changed, so look at the leases now). */
static void cmd_submit(struct engine *e, const char *id);

static void on_wake_note(void *cls, const char *payload)
{
    struct engine *e = cls;
    int64_t id;
    size_t il = strlen(e->instance);
    if (strncmp(payload, "c:", 2) == 0) {
        /* "c:<instance>:<command id>": a command for an account this instance owns. */
        if (strncmp(payload + 2, e->instance, il) == 0 && payload[2 + il] == ':')
            cmd_submit(e, payload + 3 + il);
        return;
    }
    post(e, IT_WAKE, parse_i64(payload, 1, INT64_MAX, &id) == TGR_OK ? id : CLAIM_NOW, NULL);
}

/* ---- commands for an account whose client runs on another instance ------------------------
 * The asking instance seals {"kind","account","req"} into meta "cmd:<id>" and notifies the
 * owner ("c:<owner>:<id>"); the owner runs it on its tg worker pool and seals {"result"} or
 * {"error"} into meta "cmdr:<id>", which the asker polls for. Both rows are deleted after. */

#define CMD_POLL_MS 50
#define CMD_REQ_MAX (1u << 20)
#define CMD_RES_MAX (64u * 1024)

/* Seal a JSON object into a meta value under key. */
static int meta_put_sealed(struct app *app, const char *key, json_t *o)
{
    char *plain = json_dumps(o, JSON_COMPACT);
    unsigned char *ct = NULL;
    size_t ctlen = 0;
    int rc = TGR_ERR;
    if (plain && seal(app->kr, "meta", "value", key, plain, strlen(plain), &ct, &ctlen) == TGR_OK) {
        char *b64 = malloc(base64url_len(ctlen) + 1);
        if (b64) {
            base64url_encode(ct, ctlen, b64);
            rc = app->store->meta_set(app->store, key, b64) == DB_ONE ? TGR_OK : TGR_ERR;
            free(b64);
        }
    }
    if (plain) {
        sodium_memzero(plain, strlen(plain));
        free(plain);
    }
    free(ct);
    return rc;
}

/* Read and open a sealed meta value. @return the object, or NULL (missing, or not ours) */
static json_t *meta_get_sealed(struct app *app, const char *key, size_t cap)
{
    char *b64 = malloc(cap);
    unsigned char *ct = malloc(cap);
    json_t *o = NULL;
    size_t ctlen = 0, plen = 0;
    char *plain = NULL;
    if (b64 && ct && app->store->meta_get(app->store, key, b64, cap) == DB_ONE &&
        base64url_decode(b64, strlen(b64), ct, cap, &ctlen) == TGR_OK &&
        seal_open(app->kr, "meta", "value", key, ct, ctlen, &plain, &plen) == TGR_OK) {
        json_error_t je;
        o = json_loads(plain, 0, &je);
        sodium_memzero(plain, plen);
        free(plain);
    }
    free(b64);
    free(ct);
    return o;
}

int engine_is_local(struct engine *e, int64_t account_id, char *owner, size_t cap)
{
    owner[0] = 0;
    if (!e) return 1;
    struct store *st = e->app->store;
    if (!st->lease_owner) return 1;
    enum db_status r = st->lease_owner(st, account_id, now_ms(), owner, cap);
    if (r < 0) return 1;
    if (r == DB_NONE) {
        /* Nobody runs its client: this instance takes it, so that no other starts one too. */
        st->lease_force(st, e->instance, account_id, now_ms(), e->lease_ms);
        snprintf(owner, cap, "%s", e->instance);
        return 1;
    }
    return strcmp(owner, e->instance) == 0;
}

void engine_take(struct engine *e, int64_t account_id)
{
    struct store *st = e ? e->app->store : NULL;
    if (!st || !st->lease_force) return;
    st->lease_force(st, e->instance, account_id, now_ms(), e->lease_ms);
    engine_wake(e, account_id); /* an instance that held it sees it lost it, and drops its client */
}

int engine_remote(struct engine *e, const char *owner, int64_t account_id, const char *kind, json_t *req,
                  int timeout_ms, json_t **result, struct bridge_error *err)
{
    struct app *app = e->app;
    struct store *st = app->store;
    unsigned char rnd[12];
    char id[24], key[40], rkey[40], note[200];
    randombytes_buf(rnd, sizeof rnd);
    base64url_encode(rnd, sizeof rnd, id);
    snprintf(key, sizeof key, "cmd:%s", id);
    snprintf(rkey, sizeof rkey, "cmdr:%s", id);
    snprintf(note, sizeof note, "c:%s:%s", owner, id);
    int rc = TGR_ERR;
    snprintf(err->code, sizeof err->code, "NETWORK");
    if (strstr(owner, ":shed")) {
        snprintf(err->message, sizeof err->message,
                 "this account is moving to another instance; try again in a few seconds");
        return TGR_ERR;
    }
    if (!st->notify) {
        snprintf(err->message, sizeof err->message,
                 "this account's Telegram client runs on instance %.60s; several instances need PostgreSQL",
                 owner);
        return TGR_ERR;
    }
    json_t *cmd = json_pack("{s:s, s:I, s:O}", "kind", kind, "account", (json_int_t)account_id, "req", req);
    snprintf(err->message, sizeof err->message,
             "the instance that runs this account's Telegram client did not answer");
    err->seconds = 0;
    if (!cmd || meta_put_sealed(app, key, cmd) != TGR_OK || st->notify(st, WAKE_CHANNEL, note) != DB_ONE) {
        json_decref(cmd);
        st->meta_delete(st, key);
        return TGR_ERR;
    }
    json_decref(cmd);
    for (int64_t until = now_ms() + timeout_ms + 2000; now_ms() < until;) {
        json_t *res = meta_get_sealed(app, rkey, CMD_RES_MAX);
        if (!res) {
            struct timespec ts = {0, CMD_POLL_MS * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        json_t *ok = json_object_get(res, "result"), *bad = json_object_get(res, "error");
        if (ok) {
            *result = json_incref(ok);
            rc = TGR_OK;
        } else {
            snprintf(err->code, sizeof err->code, "%s",
                     json_string_value(json_object_get(bad, "code")) ?: "INTERNAL");
            snprintf(err->message, sizeof err->message, "%s",
                     json_string_value(json_object_get(bad, "message")) ?: "");
            err->seconds = (int)json_integer_value(json_object_get(bad, "seconds"));
        }
        json_decref(res);
        break;
    }
    st->meta_delete(st, key);
    st->meta_delete(st, rkey);
    return rc;
}

struct cmd_job {
    struct engine *e;
    char id[24];
};

static void cmd_job(void *arg)
{
    struct cmd_job *j = arg;
    struct engine *e = j->e;
    struct app *app = e->app;
    char key[40], rkey[40];
    snprintf(key, sizeof key, "cmd:%s", j->id);
    snprintf(rkey, sizeof rkey, "cmdr:%s", j->id);
    json_t *cmd = meta_get_sealed(app, key, CMD_REQ_MAX);
    const char *kind = json_string_value(json_object_get(cmd, "kind"));
    json_t *acct = json_object_get(cmd, "account"), *req = json_object_get(cmd, "req");
    if (!kind || !json_is_integer(acct)) {
        json_decref(cmd);
        free(j);
        return; /* gone (answered, or the asker gave up) */
    }
    int64_t account = json_integer_value(acct);
    json_t *result = NULL;
    struct bridge_error err = {"INTERNAL", "unknown command", 0};
    int rc = TGR_ERR;
    if (strcmp(kind, "bridge") == 0) {
        rc = tgs_call(app, account, req, 30000, &result, &err);
    } else if (strcmp(kind, "direct") == 0) {
        rc = engine_send_direct(e, account, req, &result, &err);
    } else if (strcmp(kind, "sync") == 0) {
        struct sync_counts c;
        rc = sync_account(app, account, &c, &err);
        if (rc == TGR_OK)
            result = json_pack("{s:I, s:I, s:I}", "contacts_added", (json_int_t)c.contacts_added,
                               "contacts_updated", (json_int_t)c.contacts_updated, "messages_added",
                               (json_int_t)c.messages_added);
    }
    json_t *ans = rc == TGR_OK ? json_pack("{s:o}", "result", result ? result : json_null())
                               : json_pack("{s:{s:s, s:s, s:i}}", "error", "code", err.code, "message",
                                           err.message, "seconds", err.seconds);
    if (!ans || meta_put_sealed(app, rkey, ans) != TGR_OK)
        log_warn("engine", "account %lld: could not store the answer to a command", (long long)account);
    json_decref(ans);
    json_decref(cmd);
    free(j);
}

static void cmd_submit(struct engine *e, const char *id)
{
    struct cmd_job *j = calloc(1, sizeof *j);
    if (!j || strlen(id) >= sizeof j->id) {
        free(j);
        return;
    }
    j->e = e;
    snprintf(j->id, sizeof j->id, "%s", id);
    if (!e->app->tg_pool || worker_pool_submit(e->app->tg_pool, cmd_job, j) != TGR_OK) free(j);
}

static struct acct *acct_of(struct engine *e, int64_t account_id)
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
    /* A FloodWait survives restarts: Telegram's clock does not restart with us. */
    char key[48], v[32];
    int64_t until;
    snprintf(key, sizeof key, "flood_until:%lld", (long long)account_id);
    if (e->app->store->meta_get(e->app->store, key, v, sizeof v) == DB_ONE &&
        parse_i64(v, 0, INT64_MAX, &until) == TGR_OK)
        a->flood_until = until;
    return a;
}

/* ---- work that waits on Telegram runs on the tg worker pool, never on this thread ---- */

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
        post(j->e, IT_WAKE, j->account_id, NULL);
    } else if (res.outcome == TGS_DEAD) {
        j->e->app->store->campaigns_pause_all(j->e->app->store, j->account_id, "session_invalid");
    } else {
        log_warn("engine", "account %lld: Telegram session not started yet (%s)", (long long)j->account_id,
                 res.code[0] ? res.code : "unavailable");
    }
    post(j->e, IT_STARTED, j->account_id, NULL);
    free(j);
}

/* Another instance owns the account now: its client here must go (one session, one connection). */
static void stop_job(void *arg)
{
    struct job *j = arg;
    json_t *req = json_pack("{s:s, s:I}", "op", "stop", "account", (json_int_t)j->account_id);
    json_t *result = NULL;
    struct bridge_error err;
    if (req && bridge_call(j->e->bridge, req, 10000, &result, &err) == TGR_OK)
        log_info("engine", "account %lld: Telegram client stopped here (another instance owns it)",
                 (long long)j->account_id);
    json_decref(result);
    json_decref(req);
    free(j);
}

static void run_job(struct engine *e, int64_t account_id, void (*fn)(void *))
{
    struct job *j = calloc(1, sizeof *j);
    if (!j) return;
    j->e = e;
    j->account_id = account_id;
    if (!e->app->tg_pool || worker_pool_submit(e->app->tg_pool, fn, j) != TGR_OK) {
        log_warn("engine", "account %lld: background work queue full; will retry", (long long)account_id);
        free(j);
        if (fn == start_job) /* a taken-over account must not wait for a start that never runs */
            post(e, IT_STARTED, account_id, NULL);
    }
}

/* ---- events from Telegram --------------------------------------------------------------- */

static int64_t event_account(json_t *ev)
{
    json_t *a = json_object_get(ev, "account");
    return json_is_integer(a) ? json_integer_value(a) : 0;
}

static void on_message(struct engine *e, int64_t account, json_t *ev)
{
    struct app *app = e->app;
    int64_t contact_id = 0;
    if (sync_import_event(app, account, ev, &contact_id) < 0 || !contact_id) {
        log_warn("engine", "account %lld: could not store an incoming message", (long long)account);
        return;
    }
    /* A reply counts for the campaign messages this contact got in the last week, and stops
     * its nudges. */
    int64_t n = 0;
    app->store->recipients_replied(app->store, account, contact_id, now_ms() - 7LL * 86400000, &n);
    const char *text = json_string_value(json_object_get(ev, "text"));
    if (text && app->lexicon && classify_is_stop(app->lexicon, text) &&
        app->store->contact_opt_out(app->store, account, contact_id) == DB_ONE)
        log_info("engine", "account %lld: contact %lld asked to stop; opted out of all campaigns",
                 (long long)account, (long long)contact_id);
}

static void on_read(struct engine *e, int64_t account, json_t *ev)
{
    struct store *st = e->app->store;
    json_t *peer = json_object_get(ev, "peer");
    json_t *max = json_object_get(ev, "max_id");
    char uid[24];
    if (json_is_string(peer))
        snprintf(uid, sizeof uid, "%s", json_string_value(peer));
    else if (json_is_integer(peer))
        snprintf(uid, sizeof uid, "%lld", (long long)json_integer_value(peer));
    else
        return;
    struct contact c;
    if (!json_is_integer(max) || st->contact_by_tg_id(st, account, uid, &c) != DB_ONE) return;
    st->recipients_read(st, account, c.id, json_integer_value(max));
    contact_release(&c);
}

static void handle_event(struct engine *e, json_t *ev)
{
    struct app *app = e->app;
    const char *kind = json_string_value(json_object_get(ev, "event"));
    int64_t account = event_account(ev);
    if (!kind) return;
    if (strcmp(kind, "ready") == 0) {
        /* A new bridge knows no clients: start the accounts this instance owns (all connected
         * ones without leases). Before the first lease round there are none: that round starts
         * what it takes. */
        if (app->store->leases_claim) {
            for (size_t i = 0; i < e->n_owned; i++)
                run_job(e, e->owned[i], start_job);
        } else {
            int64_t *ids = NULL;
            size_t n = 0;
            if (app->store->sessions_connected(app->store, &ids, &n) >= 0) {
                for (size_t i = 0; i < n; i++)
                    run_job(e, ids[i], start_job);
                free(ids);
            }
        }
    } else if (strcmp(kind, "message") == 0 && account > 0) {
        on_message(e, account, ev);
    } else if (strcmp(kind, "read") == 0 && account > 0) {
        on_read(e, account, ev);
    } else if (strcmp(kind, "session_invalid") == 0 && account > 0) {
        const char *code = json_string_value(json_object_get(ev, "code"));
        log_warn("engine", "account %lld: Telegram session is no longer valid (%s); reconnect needed",
                 (long long)account, code ? code : "?");
        app->store->session_set_status(app->store, account, "invalid");
        app->store->campaigns_pause_all(app->store, account, "session_invalid");
    }
}

/* ---- sending ---------------------------------------------------------------------------- */

/* Bridge I/O thread: answer the waiting worker, then tell the engine the account is free. */
static void on_direct_done(void *arg, json_t *result, const struct bridge_error *err)
{
    struct item *it = arg;
    struct engine *e = (struct engine *)it->next;
    it->next = NULL;
    direct_finish(it->direct, result, err);
    it->direct = NULL;
    it->kind = IT_DIRECT_DONE;
    json_decref(it->ev);
    it->ev = NULL;
    push(e, it);
}

int engine_send_direct(struct engine *e, int64_t account_id, json_t *req, json_t **result,
                       struct bridge_error *err)
{
    char owner[128];
    if (e && !engine_is_local(e, account_id, owner, sizeof owner))
        return engine_remote(e, owner, account_id, "direct", req, 30000, result, err);
    struct direct *d = calloc(1, sizeof *d);
    struct item *it = e && d ? new_item(IT_DIRECT, account_id) : NULL;
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
    push(e, it);
    /* The engine answers every direct message exactly once: sent, refused, failed by the
     * bridge's deadline, or dropped at shutdown. */
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

static void on_send_done(void *arg, json_t *result, const struct bridge_error *err)
{
    struct item *it = arg;
    if (result)
        it->ev = json_incref(result);
    else
        it->err = *err;
    struct engine *e = (struct engine *)it->next; /* the engine rode along in next */
    it->next = NULL;
    push(e, it);
}

/* The pacing interval of an account (DESIGN §4: at most --send-rate messages a second). */
static int64_t interval_ms(const struct engine *e)
{
    double rate = e->app->cfg.send_rate > 0 ? e->app->cfg.send_rate : 1;
    return (int64_t)(1000.0 / rate + 0.5);
}

/* A send has been answered: the next may leave one interval from now. Counting from the answer
 * rather than from the dispatch keeps the gap between two deliveries at Telegram at least one
 * interval, however long the first took to get there. */
static void send_answered(struct engine *e, struct acct *a)
{
    a->in_flight = 0;
    int64_t at = now_ms() + interval_ms(e);
    if (at > a->next_send_at) a->next_send_at = at;
}

static int64_t backoff_ms(int attempt)
{
    int64_t ms = RETRY_BASE_MS;
    for (int i = 1; i < attempt && ms < RETRY_MAX_MS; i++)
        ms *= 2;
    return ms > RETRY_MAX_MS ? RETRY_MAX_MS : ms;
}

/* Write the storage_error pause of an account whose send path could not write. Until it is
 * written nothing is sent for the account (tick_account); once written, the campaigns are
 * 'paused' with reason storage_error and a person resumes them when the disk or database is
 * fixed. The pause is one small UPDATE, so it usually fits where the outcome (several rows)
 * did not; when even it fails it is tried again every STORAGE_RETRY_MS.
 * @return 1 if the pause is written (sending may go on after a resume), 0 if not yet */
static int storage_pause(struct engine *e, struct acct *a, int64_t account, int64_t now)
{
    struct store *st = e->app->store;
    if (st->campaigns_pause_all(st, account, "storage_error") < 0) {
        a->storage_retry_at = now + STORAGE_RETRY_MS;
        return 0;
    }
    a->storage_pending = 0;
    if (a->storage_campaign)
        st->log_add(st, account, a->storage_campaign, 0, 0, "paused", "storage_error",
                    "the database could not write (disk full or failing); the campaign is paused: resume it "
                    "when storage is fixed");
    log_warn("engine", "account %lld: campaigns paused (storage_error)", (long long)account);
    return 1;
}

/* A write of the send path failed for good (DB_HARD: disk full, I/O error, a database that
 * refuses writes). Sending stops at once, in memory; a row whose outcome was lost stays
 * 'sending' with its random_id, so the send after the resume cannot deliver it twice. */
static void storage_failed(struct engine *e, struct acct *a, int64_t account, int64_t campaign_id,
                           const char *what)
{
    if (!a) return;
    if (!a->storage_pending)
        log_error("engine", "account %lld: storing %s failed; sending stops (storage_error)",
                  (long long)account, what);
    a->storage_pending = 1;
    a->storage_campaign = campaign_id;
    storage_pause(e, a, account, now_ms());
}

/* recipient_finish, with a failure that retrying cannot fix turned into a storage_error pause.
 * A transient one (DB_SOFT) leaves the row as it was: it is looked at again on the next tick. */
static void finish(struct engine *e, struct acct *a, int64_t account, const struct send_outcome *o)
{
    struct store *st = e->app->store;
    if (st->recipient_finish(st, account, o) == DB_HARD)
        storage_failed(e, a, account, o->campaign_id, "a send outcome");
}

static void handle_result(struct engine *e, struct item *it)
{
    struct app *app = e->app;
    struct store *st = app->store;
    int64_t account = it->account_id;
    struct acct *a = acct_of(e, account);
    if (a) send_answered(e, a);
    const struct recipient *r = &it->rec;
    struct send_outcome o = {.recipient_id = r->id,
                             .campaign_id = r->campaign_id,
                             .contact_id = r->contact_id,
                             .step = r->step,
                             .attempt = r->attempt + 1};
    int64_t now = now_ms();
    char details[256] = "";
    if (it->ev) {
        json_t *mid = json_object_get(it->ev, "message_id");
        o.status = "sent";
        o.log_status = "sent";
        o.tg_message_id = json_is_integer(mid) ? json_integer_value(mid) : 0;
        finish(e, a, account, &o);
        return;
    }
    int mark = 0;
    enum send_kind k = send_classify(it->err.code, &mark);
    o.error_code = it->err.code;
    snprintf(details, sizeof details, "%s", it->err.message);
    o.error_details = details;
    switch (k) {
    case SEND_OK:
        break;
    case SEND_FLOOD_WAIT: {
        int64_t wait = (int64_t)(it->err.seconds > 0 ? it->err.seconds : 30) * 1000;
        if (a) {
            char key[48], v[32];
            a->flood_until = now + wait + FLOOD_MARGIN_MS;
            snprintf(key, sizeof key, "flood_until:%lld", (long long)account);
            snprintf(v, sizeof v, "%lld", (long long)a->flood_until);
            st->meta_set(st, key, v);
        }
        o.status = "pending";
        o.log_status = "flood_wait";
        o.next_attempt_at = now + wait + FLOOD_MARGIN_MS;
        snprintf(details, sizeof details, "Telegram asked to wait %d s; sending resumes by itself",
                 it->err.seconds);
        finish(e, a, account, &o);
        log_warn("engine", "account %lld: FLOOD_WAIT %d s", (long long)account, it->err.seconds);
        break;
    }
    case SEND_PEER_FLOOD:
        o.status = "pending";
        o.log_status = "paused";
        snprintf(details, sizeof details,
                 "Telegram limits this account (PEER_FLOOD); the campaign is paused");
        /* Pause first: a crash between the two leaves a paused campaign with its row 'sending'
         * (re-sent with the same random_id after the resume), never a campaign that goes on. */
        st->campaign_transition(st, account, r->campaign_id, "running,nudging", "paused", "peer_flood");
        finish(e, a, account, &o);
        log_warn("engine", "account %lld: PEER_FLOOD; campaign %lld paused", (long long)account,
                 (long long)r->campaign_id);
        break;
    case SEND_SESSION_DEAD:
        o.status = "pending";
        o.log_status = "paused";
        snprintf(details, sizeof details, "the Telegram session is no longer valid (%s); reconnect",
                 it->err.code);
        st->session_set_status(st, account, "invalid"); /* pause first, as for PEER_FLOOD */
        st->campaigns_pause_all(st, account, "session_invalid");
        finish(e, a, account, &o);
        log_warn("engine", "account %lld: session dead (%s); campaigns paused", (long long)account,
                 it->err.code);
        break;
    case SEND_PERMANENT:
        o.status = "failed";
        o.log_status = "failed";
        o.mark_contact = mark;
        finish(e, a, account, &o);
        break;
    case SEND_TEMPORARY:
        if (o.attempt >= MAX_ATTEMPTS) {
            o.status = "failed";
            o.log_status = "failed";
            o.error_code = "retries_exhausted";
            snprintf(details, sizeof details, "gave up after %d attempts; last error %s", o.attempt,
                     it->err.code);
        } else {
            o.status = "pending";
            o.log_status = "retry";
            o.next_attempt_at = now + backoff_ms(o.attempt);
        }
        finish(e, a, account, &o);
        if (strcmp(it->err.code, "NOT_STARTED") == 0) run_job(e, account, start_job);
        break;
    }
}

/* Nudges due for one campaign, and whether a campaign has finished a phase. */
static void advance_campaign(struct engine *e, int64_t account, int64_t campaign_id, int64_t now)
{
    struct store *st = e->app->store;
    struct campaign c;
    if (st->campaign_get(st, account, campaign_id, &c) != DB_ONE) return;
    json_error_t je;
    json_t *nudges = c.nudges_json ? json_loads(c.nudges_json, 0, &je) : NULL;
    size_t nn = json_array_size(nudges);
    int pending_future = 0;
    for (size_t k = 0; k < nn; k++) {
        json_t *nd = json_array_get(nudges, k);
        int64_t after = json_integer_value(json_object_get(nd, "after_seconds")) * 1000;
        const char *cond = json_string_value(json_object_get(nd, "condition"));
        int64_t created = 0, oldest = 0;
        if (!cond) continue;
        st->nudge_schedule(st, account, campaign_id, (int)k + 1, cond, now - after, &created);
        if (created)
            log_info("engine", "account %lld: campaign %lld: nudge %zu scheduled for %lld contacts",
                     (long long)account, (long long)campaign_id, k + 1, (long long)created);
        st->nudge_next_due(st, account, campaign_id, (int)k + 1, &oldest);
        if (oldest) pending_future = 1;
    }
    int64_t open_main = 0, open_any = 0;
    st->campaign_open_rows(st, account, campaign_id, 0, &open_main);
    open_any = open_main;
    for (size_t k = 0; k < nn && !open_any; k++) {
        int64_t n = 0;
        st->campaign_open_rows(st, account, campaign_id, (int)k + 1, &n);
        open_any += n;
    }
    if (strcmp(c.status, "running") == 0 && open_main == 0) {
        if (open_any || pending_future) {
            st->campaign_transition(st, account, campaign_id, "running", "nudging", NULL);
        } else {
            st->campaign_transition(st, account, campaign_id, "running", "completed", NULL);
            log_info("engine", "account %lld: campaign %lld completed", (long long)account,
                     (long long)campaign_id);
        }
    } else if (strcmp(c.status, "nudging") == 0 && !open_any && !pending_future) {
        st->campaign_transition(st, account, campaign_id, "nudging", "completed", NULL);
        log_info("engine", "account %lld: campaign %lld completed", (long long)account,
                 (long long)campaign_id);
    }
    json_decref(nudges);
    campaign_release(&c);
}

/* In quiet hours? Then log it once per campaign and say when to look again. */
static int quiet_now(struct engine *e, struct acct *a, int64_t account, int64_t campaign_id, int64_t now,
                     int64_t *resume)
{
    struct store *st = e->app->store;
    struct campaign c;
    if (st->campaign_get(st, account, campaign_id, &c) != DB_ONE) return 0;
    struct quiet_hours q;
    int quiet = 0;
    if (!c.override_quiet_hours && quiet_hours_from_text(c.quiet_hours_json, &q) == TGR_OK &&
        quiet_hours_active(&q, now, resume)) {
        quiet = 1;
        if (a->quiet_logged != campaign_id) {
            char when[40], d[120];
            rfc3339(*resume, when, sizeof when);
            snprintf(d, sizeof d, "quiet hours; sending resumes at %s", when);
            st->log_add(st, account, campaign_id, 0, 0, "quiet_hours", NULL, d);
            a->quiet_logged = campaign_id;
        }
    } else if (a->quiet_logged == campaign_id) {
        a->quiet_logged = 0;
    }
    campaign_release(&c);
    return quiet;
}

/* One account: send its next due message if pacing, flood waits and quiet hours allow.
 * Returns when this account next needs a look (unix ms). */
static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Whether this instance may send for the account now: it holds the lease and the lease has
 * time left beyond the safety margin. */
static int owns(const struct engine *e, int64_t account, int64_t now)
{
    if (now >= e->owned_until - e->lease_ms / LEASE_MARGIN_DIV) return 0;
    return e->n_owned && bsearch(&account, e->owned, e->n_owned, sizeof *e->owned, cmp_i64) != NULL;
}

/* One lease round (store.h leases_claim). An account just taken over waits one send interval
 * and re-reads its FloodWait, as the instance that sent for it before may have left either. */
static void claim_leases(struct engine *e, int64_t now)
{
    struct store *st = e->app->store;
    int64_t *ids = NULL;
    size_t n = 0, taken = 0;
    /* A backend without leases (one instance only) sends for every account that is sending. */
    enum db_status r = st->leases_claim
                           ? st->leases_claim(st, e->instance, now, e->lease_ms, &ids, &n, &taken)
                           : st->accounts_sending(st, &ids, &n);
    if (r < 0) {
        /* Keep the old list: owned_until still stops sending in time. Try again in a second, not
         * on every tick (a database that cannot write would otherwise be asked hundreds of times). */
        e->next_claim = now + 1000;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (e->n_owned && bsearch(&ids[i], e->owned, e->n_owned, sizeof *e->owned, cmp_i64)) continue;
        struct acct *a = acct_of(e, ids[i]);
        if (!a) continue;
        int64_t at = now + interval_ms(e);
        if (a->next_send_at < at) a->next_send_at = at;
        char key[48], v[32];
        int64_t until;
        snprintf(key, sizeof key, "flood_until:%lld", (long long)ids[i]);
        if (st->meta_get(st, key, v, sizeof v) == DB_ONE && parse_i64(v, 0, INT64_MAX, &until) == TGR_OK &&
            until > a->flood_until)
            a->flood_until = until;
        log_info("engine", "instance %s now sends for account %lld", e->instance, (long long)ids[i]);
        /* Only the owner runs the account's Telegram client: start it here (a login on this
         * instance may have started it already; a second start is harmless). */
        if (st->leases_claim) {
            a->starting = 1; /* its sends wait for the start (IT_STARTED), not for NOT_STARTED retries */
            run_job(e, ids[i], start_job);
        }
    }
    /* Accounts another instance took (this one failed to renew in time): drop their clients. */
    for (size_t i = 0; st->leases_claim && i < e->n_owned; i++) {
        if (n && bsearch(&e->owned[i], ids, n, sizeof *ids, cmp_i64)) continue;
        char owner[128];
        if (st->lease_owner(st, e->owned[i], now, owner, sizeof owner) == DB_ONE &&
            strcmp(owner, e->instance)) {
            log_warn("engine", "account %lld moved to instance %s", (long long)e->owned[i], owner);
            run_job(e, e->owned[i], stop_job);
        }
    }
    free(e->owned);
    e->owned = ids;
    e->n_owned = n;
    e->claimed_at = now;
    e->owned_until = now + e->lease_ms;
    /* A round that took accounts may have left others for the next: while the set of sending
     * accounts grows, shares grow with it, so look again soon instead of a quarter-lease later. */
    e->next_claim = now + (taken ? LEASE_AGAIN_MS : e->lease_ms / LEASE_RENEW_DIV);
}

static int64_t tick_account(struct engine *e, int64_t account, int64_t now)
{
    struct app *app = e->app;
    struct store *st = app->store;
    struct acct *a = acct_of(e, account);
    if (!a) return now + IDLE_TICK_MS;
    int own = owns(e, account, now);
    int64_t *camps = NULL;
    size_t nc = 0;
    /* Nudges and phase changes are minute-scale matters: look at them twice a second. */
    for (int pass = 0; own && !a->storage_pending && pass < 2 && now - a->advanced_at >= ADVANCE_EVERY_MS;
         pass++) {
        if (pass == 1) a->advanced_at = now;
        if (st->campaigns_in_status(st, account, pass ? "nudging" : "running", &camps, &nc) >= 0) {
            for (size_t i = 0; i < nc; i++)
                advance_campaign(e, account, camps[i], now);
            free(camps);
        }
    }
    if (a->in_flight) return now + IDLE_TICK_MS;
    if (now < a->flood_until) return a->flood_until;
    if (now < a->next_send_at) return a->next_send_at;
    if (a->direct) {
        struct item *it = a->direct;
        a->direct = it->next;
        it->next = (struct item *)e; /* carried to on_direct_done */
        a->in_flight = 1;
        a->next_send_at = now_ms() + interval_ms(e);
        bridge_call_async(e->bridge, it->ev, SEND_TIMEOUT_MS, on_direct_done, it);
        return a->next_send_at;
    }
    if (!own || a->starting)
        return now + IDLE_TICK_MS; /* another instance sends for it, or its client is starting */
    if (a->storage_pending && (now < a->storage_retry_at || !storage_pause(e, a, account, now)))
        return a->storage_retry_at; /* no campaign sends until the storage_error pause is written */
    struct recipient r;
    enum db_status s = st->recipient_next(st, account, now, &r);
    if (s != DB_ONE) {
        int64_t at = 0;
        st->recipient_next_at(st, account, &at);
        return at > now ? (at < now + IDLE_TICK_MS ? at : now + IDLE_TICK_MS) : now + IDLE_TICK_MS;
    }
    int64_t resume = 0;
    if (quiet_now(e, a, account, r.campaign_id, now, &resume))
        return resume < now + 60000 ? resume : now + 60000;
    json_t *req = NULL;
    char code[64], why[256];
    int rc = send_prepare(app, account, &r, &req, code, sizeof code, why, sizeof why);
    if (rc == SEND_PREPARE_STORAGE) {
        storage_failed(e, a, account, r.campaign_id, "a send claim");
        return a->storage_pending ? a->storage_retry_at : now;
    }
    if (rc == -2) return now + IDLE_TICK_MS; /* database trouble (a read): look again shortly */
    if (rc == SEND_PREPARE_RETRY) {
        /* The media store is down: retry with backoff; when retries run out the campaign pauses
         * (the row stays pending) rather than sending without the file or failing everyone. */
        struct send_outcome o = {.recipient_id = r.id,
                                 .campaign_id = r.campaign_id,
                                 .contact_id = r.contact_id,
                                 .step = r.step,
                                 .attempt = r.attempt + 1,
                                 .status = "pending",
                                 .log_status = "retry",
                                 .error_code = code,
                                 .error_details = why,
                                 .next_attempt_at = now + backoff_ms(r.attempt + 1)};
        if (o.attempt >= MAX_ATTEMPTS) {
            o.attempt = 0;
            o.log_status = "paused";
            o.next_attempt_at = now;
            snprintf(why, sizeof why,
                     "the media store is unavailable; the campaign is paused: resume when it is back");
        }
        finish(e, a, account, &o);
        if (o.attempt == 0 && !a->storage_pending) {
            st->campaign_transition(st, account, r.campaign_id, "running,nudging", "paused",
                                    "media_unavailable");
            log_warn("engine", "account %lld: media store unavailable; campaign %lld paused",
                     (long long)account, (long long)r.campaign_id);
        }
        return now;
    }
    if (rc != TGR_OK) {
        struct send_outcome o = {.recipient_id = r.id,
                                 .campaign_id = r.campaign_id,
                                 .contact_id = r.contact_id,
                                 .step = r.step,
                                 .attempt = r.attempt,
                                 .status = "failed",
                                 .log_status = "failed",
                                 .error_code = code,
                                 .error_details = why};
        finish(e, a, account, &o);
        return now;
    }
    struct item *it = new_item(IT_RESULT, account);
    if (!it) {
        json_decref(req);
        return now + IDLE_TICK_MS;
    }
    it->rec = r;
    it->next = (struct item *)e; /* carried to on_send_done */
    a->in_flight = 1;
    a->next_send_at = now_ms() + interval_ms(e);
    bridge_call_async(e->bridge, req, SEND_TIMEOUT_MS, on_send_done, it);
    json_decref(req);
    return a->next_send_at;
}

static int64_t tick(struct engine *e)
{
    int64_t now = now_ms(), next = now + IDLE_TICK_MS;
    if (now >= e->next_claim || now < e->claimed_at) claim_leases(e, now);
    if (e->next_claim < next) next = e->next_claim > now ? e->next_claim : now + 50;
    for (size_t i = 0; i < e->n_owned; i++) {
        int64_t at = tick_account(e, e->owned[i], now);
        if (at < next) next = at;
    }
    /* Accounts with no campaign running may still have a direct message waiting. */
    for (size_t i = 0; i < e->n_accts; i++) {
        if (!e->accts[i].direct) continue;
        int64_t at = tick_account(e, e->accts[i].account_id, now);
        if (at < next) next = at;
    }
    return next;
}

static void *engine_main(void *arg)
{
    struct engine *e = arg;
    int64_t next_tick = 0;
    for (;;) {
        pthread_mutex_lock(&e->mu);
        while (!e->head && !e->stopping) {
            int64_t now = now_ms();
            if (now >= next_tick) break;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            int64_t wait = next_tick - now;
            ts.tv_sec += wait / 1000;
            ts.tv_nsec += (wait % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&e->cv, &e->mu, &ts);
        }
        if (e->stopping) {
            pthread_mutex_unlock(&e->mu);
            break;
        }
        struct item *it = e->head;
        if (it) {
            e->head = it->next;
            if (!e->head) e->tail = NULL;
        }
        pthread_mutex_unlock(&e->mu);
        if (it) {
            switch (it->kind) {
            case IT_EVENT:
                handle_event(e, it->ev);
                break;
            case IT_SYNC:
                run_job(e, it->account_id, sync_job);
                break;
            case IT_START:
                run_job(e, it->account_id, start_job);
                break;
            case IT_RESULT:
                handle_result(e, it);
                break;
            case IT_WAKE:
                break;
            case IT_DIRECT: {
                struct acct *a = acct_of(e, it->account_id);
                if (a) {
                    struct item **tail = &a->direct;
                    while (*tail)
                        tail = &(*tail)->next;
                    it->next = NULL;
                    *tail = it;
                    int64_t at = tick_account(e, it->account_id, now_ms());
                    if (at < next_tick) next_tick = at;
                    continue; /* the item now belongs to the account's queue */
                }
                struct bridge_error oom = {"INTERNAL", "out of memory", 0};
                direct_finish(it->direct, NULL, &oom); /* every direct message is answered */
                break;
            }
            case IT_STARTED: {
                struct acct *a = acct_of(e, it->account_id);
                if (a) a->starting = 0;
                break;
            }
            case IT_DIRECT_DONE: {
                struct acct *a = acct_of(e, it->account_id);
                if (a) send_answered(e, a);
                break;
            }
            }
            /* A result or a command concerns one account: look at that one now; the others keep
             * their own timers. Events (replies, reads) change no timing. */
            int64_t acct = it->kind == IT_RESULT || it->kind == IT_WAKE || it->kind == IT_DIRECT_DONE ||
                                   it->kind == IT_STARTED
                               ? it->account_id
                               : 0;
            /* A campaign started for an account nobody sends for yet: claim it now. */
            if (it->kind == IT_WAKE && acct && !owns(e, acct, now_ms())) claim_leases(e, now_ms());
            if (acct == CLAIM_NOW) acct = 0;
            json_decref(it->ev);
            free(it);
            if (acct) {
                int64_t at = tick_account(e, acct, now_ms());
                if (at < next_tick) next_tick = at;
            }
            continue;
        }
        next_tick = tick(e);
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
    e->lease_ms = (int64_t)(app->cfg.lease_seconds > 0 ? app->cfg.lease_seconds : 15) * 1000;
    if (app->cfg.instance_id[0]) {
        snprintf(e->instance, sizeof e->instance, "%s", app->cfg.instance_id);
    } else {
        /* Stable across restarts of one deployment, so a restarted instance finds its own leases
         * at once; two instances on one host with one data directory must set --instance-id. */
        char host[64] = "host", dir[4096];
        gethostname(host, sizeof host - 1);
        if (!realpath(app->cfg.data_dir, dir)) snprintf(dir, sizeof dir, "%s", app->cfg.data_dir);
        unsigned char h[8];
        crypto_generichash(h, sizeof h, (const unsigned char *)dir, strlen(dir), NULL, 0);
        snprintf(e->instance, sizeof e->instance, "%.60s:%02x%02x%02x%02x", host, h[0], h[1], h[2], h[3]);
    }
    /* A write past RLIMIT_FSIZE raises SIGXFSZ, whose default action kills the process (with a
     * core) in the middle of a transaction. Ignored, the write fails with EFBIG instead and the
     * store reports it like a full disk: sending pauses (storage_error) and API writes get a 503.
     * Set before the bridge is spawned, which inherits it. */
    signal(SIGXFSZ, SIG_IGN);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    char script[1100], scenario_path[1100];
    source_path(app->cfg.bridge_script[0] ? app->cfg.bridge_script : "bridge/main.mjs", script,
                sizeof script);
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
    if (app->store->listen && app->store->listen(app->store, WAKE_CHANNEL, on_wake_note, e) != DB_ONE)
        log_warn("engine", "not listening for other instances; they are noticed by polling");
    return e;
}

void engine_stop(struct engine *e)
{
    if (!e) return;
    if (e->app->store->listen)
        e->app->store->listen(e->app->store, WAKE_CHANNEL, NULL, NULL); /* no more posts from it */
    pthread_mutex_lock(&e->mu);
    e->stopping = 1;
    pthread_cond_signal(&e->cv);
    pthread_mutex_unlock(&e->mu);
    /* Stopping the bridge first fails whatever the engine thread is waiting for. */
    bridge_stop(e->bridge);
    pthread_join(e->thread, NULL);
    /* Hand the accounts over now rather than when the leases run out. A send still unanswered
     * stays 'sending' with its random_id, so the next owner's retry cannot deliver it twice. */
    if (e->app->store->leases_release) e->app->store->leases_release(e->app->store, e->instance);
}

void engine_free(struct engine *e)
{
    if (!e) return;
    bridge_free(e->bridge);
    struct bridge_error stopped = {"NETWORK", "the engine stopped", 0};
    for (size_t i = 0; i < e->n_accts; i++) {
        struct item *d = e->accts[i].direct;
        while (d) {
            struct item *n = d->next;
            direct_finish(d->direct, NULL, &stopped);
            json_decref(d->ev);
            free(d);
            d = n;
        }
    }
    free(e->accts);
    free(e->owned);
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
