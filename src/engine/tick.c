/* tick — the send loop: lease rounds, and each account's turn. Layer: engine; engine thread.
 *
 * An account may send when this instance owns it (cluster_owns), no send of it is out at the
 * bridge, its FloodWait and pacing interval have passed, its client is not being started and no
 * storage_error pause is waiting to be written. Its next due message is then prepared
 * (send.c), checked against quiet hours (quiet.c) and handed to the bridge; the answer comes back
 * as IT_RESULT (outcome.c). Direct messages (direct.c) go first, on any instance that has one. */
#include <stdio.h>
#include <stdlib.h>

#include "base/counters.h"
#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "cluster/cluster.h"
#include "engine/engine_internal.h"
#include "engine/send.h"
#include "store/store.h"
#include "tg/bridge.h"

/* An account just taken over waits one send interval and re-reads its FloodWait, as the
 * instance that sent for it before may have left either. Only the owner runs the account's
 * Telegram client: it is started here (a login on this instance may have started it already; a
 * second start is harmless), and the clients of accounts another instance took are stopped. */
void engine__claim(struct engine *e, int64_t now)
{
    struct store *st = e->app->store;
    struct cluster_round round;
    if (cluster_claim(e->cluster, now, &round) != TGR_OK) return;
    for (size_t i = 0; i < round.n_taken; i++) {
        int64_t id = round.taken[i];
        struct acct *a = engine__acct(e, id);
        if (!a) continue;
        int64_t at = now + engine__interval_ms(e);
        if (a->next_send_at < at) a->next_send_at = at;
        char key[48], v[32];
        int64_t until;
        snprintf(key, sizeof key, "flood_until:%lld", (long long)id);
        if (st->meta_get(st, key, v, sizeof v) == DB_ONE && parse_i64(v, 0, INT64_MAX, &until) == TGR_OK &&
            until > a->flood_until)
            a->flood_until = until;
        counter_add(CNT_LEASES_TAKEN, 1);
        log_info("engine", "instance %s now sends for account %lld", cluster_instance(e->cluster),
                 (long long)id);
        if (cluster_leased(e->cluster)) {
            a->starting = 1; /* its sends wait for the start (IT_STARTED), not for NOT_STARTED retries */
            engine__run_job(e, id, JOB_START);
        }
    }
    counter_add(CNT_LEASES_LOST, round.n_lost);
    for (size_t i = 0; i < round.n_lost; i++)
        engine__run_job(e, round.lost[i], JOB_STOP);
    cluster_round_release(&round);
}

/* Bridge I/O thread: hand the answer to the engine thread. */
static void on_send_done(void *arg, json_t *result, const struct bridge_error *err)
{
    struct item *it = arg;
    histogram_observe(HIST_SEND, 0, mono_us() - it->claimed_us);
    if (result)
        it->ev = json_incref(result);
    else
        it->err = *err;
    struct engine *e = (struct engine *)it->next; /* the engine rode along in next */
    it->next = NULL;
    engine__push(e, it);
}

/* One account's turn (engine__tick_account). @return when it next needs a look */
static int64_t turn(struct engine *e, int64_t account, int64_t now)
{
    struct app *app = e->app;
    struct store *st = app->store;
    struct acct *a = engine__acct(e, account);
    if (!a) return now + IDLE_TICK_MS;
    int own = cluster_owns(e->cluster, account, now);
    if (own && !a->storage_pending) engine__advance(e, a, account, now);
    if (a->in_flight) return now + IDLE_TICK_MS;
    if (now < a->flood_until) return a->flood_until;
    if (now < a->next_send_at) return a->next_send_at;
    if (a->direct) {
        engine__direct_send(e, a);
        return a->next_send_at;
    }
    if (!own || a->starting)
        return now + IDLE_TICK_MS; /* another instance sends for it, or its client is starting */
    if (a->storage_pending && (now < a->storage_retry_at || !engine__storage_pause(e, a, account, now)))
        return a->storage_retry_at; /* no campaign sends until the storage_error pause is written */
    struct recipient r;
    enum db_status s = st->recipient_next(st, account, now, &r);
    if (s != DB_ONE) {
        int64_t at = 0;
        if (st->recipient_next_at(st, account, &at) < 0) at = 0; /* look again after an idle tick */
        return at > now ? (at < now + IDLE_TICK_MS ? at : now + IDLE_TICK_MS) : now + IDLE_TICK_MS;
    }
    int64_t resume = 0;
    if (engine__quiet_now(e, a, account, r.campaign_id, now, &resume))
        return resume < now + 60000 ? resume : now + 60000;
    /* The daily limit, looked at again every DAILY_CHECK_MS: a raised limit or the clock
     * passing midnight lets sending go on. */
    int64_t until = engine__daily_wait(e, a, account, r.campaign_id, now);
    if (until) return until < now + DAILY_CHECK_MS ? until : now + DAILY_CHECK_MS;
    json_t *req = NULL;
    char code[64], why[256];
    int64_t claimed_us = mono_us();
    int rc = send_prepare(app, account, &r, &req, code, sizeof code, why, sizeof why);
    if (rc == -2) return now + IDLE_TICK_MS; /* database trouble (a read): look again shortly */
    if (rc != TGR_OK) return engine__prepare_failed(e, a, &r, rc, code, why, sizeof why, now);
    struct item *it = engine__item_new(IT_RESULT, account);
    if (!it) {
        json_decref(req);
        return now + IDLE_TICK_MS;
    }
    it->rec = r;
    it->claimed_us = claimed_us;
    it->next = (struct item *)e; /* carried to on_send_done */
    a->in_flight = 1;
    a->next_send_at = now_ms() + engine__interval_ms(e);
    bridge_call_async(e->bridge, req, SEND_TIMEOUT_MS, on_send_done, it);
    json_decref(req);
    return a->next_send_at;
}

int64_t engine__tick_account(struct engine *e, int64_t account, int64_t now)
{
    int64_t at = turn(e, account, now);
    struct acct *a = engine__acct(e, account);
    if (a) a->look_at = at;
    return at;
}

int64_t engine__tick(struct engine *e)
{
    int64_t now = now_ms(), next = now + IDLE_TICK_MS;
    if (cluster_claim_due(e->cluster, now)) engine__claim(e, now);
    int64_t claim = cluster_next_claim(e->cluster);
    if (claim < next) next = claim > now ? claim : now + 50;
    size_t n = 0;
    const int64_t *owned = cluster_owned(e->cluster, &n);
    /* An account is looked at when the time its last turn gave has come; whatever changes that
     * time sooner (an answer, a wake-up, a start, a direct message) gives it a turn of its own
     * (engine.c). Turning every account on every tick cost each idle account two statements a
     * tick, and ticks come every few ms with a thousand accounts sending (DECISIONS 78). */
    for (size_t i = 0; i < n; i++) {
        struct acct *a = engine__acct(e, owned[i]);
        int64_t at = a && a->look_at > now ? a->look_at : engine__tick_account(e, owned[i], now);
        if (at < next) next = at;
    }
    /* Accounts with no campaign running may still have a direct message waiting. */
    for (size_t i = 0; i < e->n_accts; i++) {
        if (!e->accts[i].direct) continue;
        int64_t at = engine__tick_account(e, e->accts[i].account_id, now);
        if (at < next) next = at;
    }
    return next;
}
