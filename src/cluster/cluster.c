/* cluster — this instance's name, its leases and the wake-ups between instances; see cluster.h.
 * Layer: cluster (base, store below; tg and engine call it). The remote commands are relay.c.
 *
 * A lease round (cluster_lease_round) renews what this instance holds, takes its fair share of
 * what nobody holds and hands over what is beyond it; the round's answer is compared with the
 * previous one so that the engine learns which clients to start (taken) and which to stop
 * (lost to another instance). Sending for an account stops a fifth of a lease period before the
 * lease could run out, so a late renewal never lets two instances send for one account. */
#include "cluster/cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "cluster/cluster_internal.h"
#include "store/store.h"

/* Leases are renewed four times per lease period; sending stops a fifth of a period before a
 * lease could run out. A round that took accounts is followed by another soon. */
#define LEASE_RENEW_DIV  4
#define LEASE_MARGIN_DIV 5
#define LEASE_AGAIN_MS   250
#define CLAIM_RETRY_MS   1000

struct cluster *cluster_new(struct app *app, cluster_wake_fn wake, cluster_command_fn run, void *ctx)
{
    struct cluster *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->app = app;
    c->wake = wake;
    c->run = run;
    c->ctx = ctx;
    c->lease_ms = (int64_t)(app->cfg.lease_seconds > 0 ? app->cfg.lease_seconds : 15) * 1000;
    if (app->cfg.instance_id[0]) {
        snprintf(c->instance, sizeof c->instance, "%s", app->cfg.instance_id);
    } else {
        /* Stable across restarts of one deployment, so a restarted instance finds its own leases
         * at once; two instances on one host with one data directory must set --instance-id. */
        char host[64] = "host", dir[4096];
        gethostname(host, sizeof host - 1);
        if (!realpath(app->cfg.data_dir, dir)) snprintf(dir, sizeof dir, "%s", app->cfg.data_dir);
        unsigned char h[8];
        crypto_generichash(h, sizeof h, (const unsigned char *)dir, strlen(dir), NULL, 0);
        snprintf(c->instance, sizeof c->instance, "%.60s:%02x%02x%02x%02x", host, h[0], h[1], h[2], h[3]);
    }
    return c;
}

void cluster_free(struct cluster *c)
{
    if (!c) return;
    free(c->owned);
    free(c->shed);
    free(c);
}

const char *cluster_instance(const struct cluster *c)
{
    return c->instance;
}

/* On the store's listener thread: another instance changed something of an account ("" after a
 * lost connection: anything may have changed, so look at the leases now), or asks this one to
 * run a command. */
static void on_note(void *cls, const char *payload)
{
    struct cluster *c = cls;
    int64_t id;
    size_t il = strlen(c->instance);
    if (strncmp(payload, "c:", 2) == 0) {
        /* "c:<instance>:<command id>": a command for an account this instance owns. */
        if (strncmp(payload + 2, c->instance, il) == 0 && payload[2 + il] == ':')
            cluster__command_submit(c, payload + 3 + il);
        return;
    }
    c->wake(c->ctx, parse_i64(payload, 1, INT64_MAX, &id) == TGR_OK ? id : CLUSTER_ANY);
}

void cluster_listen(struct cluster *c)
{
    struct store *st = c->app->store;
    if (!st->listen) return;
    if (st->listen(st, CLUSTER_CHANNEL, on_note, c) != DB_ONE)
        log_warn("engine", "not listening for other instances; they are noticed by polling");
}

void cluster_stop(struct cluster *c)
{
    if (!c) return;
    struct store *st = c->app->store;
    /* No more callbacks from it; a failure here only leaves a listener the close ends anyway. */
    if (st->listen) (void)!st->listen(st, CLUSTER_CHANNEL, NULL, NULL);
}

void cluster_leave(struct cluster *c)
{
    struct store *st = c ? c->app->store : NULL;
    /* Leaving early is a courtesy: leases not released run out after --lease-seconds. */
    if (st && st->leases_release) (void)!st->leases_release(st, c->instance);
}

void cluster_notify(struct cluster *c, int64_t account_id)
{
    struct store *st = c ? c->app->store : NULL;
    if (!st || !st->notify) return;
    char v[24];
    snprintf(v, sizeof v, "%lld", (long long)account_id);
    /* A lost wake-up costs at most one lease round: every instance looks again then. */
    (void)!st->notify(st, CLUSTER_CHANNEL, v);
}

int cluster_is_local(struct cluster *c, int64_t account_id, char *owner, size_t cap)
{
    owner[0] = 0;
    if (!c) return 1;
    struct store *st = c->app->store;
    if (!st->lease_owner) return 1;
    enum db_status r = st->lease_owner(st, account_id, now_ms(), owner, cap);
    if (r < 0) return 1;
    if (r == DB_NONE) {
        /* Nobody runs its client: this instance takes it, so that no other starts one too. */
        if (st->lease_force(st, c->instance, account_id, now_ms(), c->lease_ms) < 0) return 1; /* as r < 0 */
        snprintf(owner, cap, "%s", c->instance);
        return 1;
    }
    return strcmp(owner, c->instance) == 0;
}

void cluster_take(struct cluster *c, int64_t account_id)
{
    struct store *st = c ? c->app->store : NULL;
    if (!st || !st->lease_force) return;
    if (st->lease_force(st, c->instance, account_id, now_ms(), c->lease_ms) < 0)
        log_warn("engine", "account %lld: could not take its lease; the next lease round decides",
                 (long long)account_id);
    /* Here and everywhere: an instance that held it sees it lost it, and drops its client. */
    c->wake(c->ctx, account_id);
    cluster_notify(c, account_id);
}

void cluster_handed(struct cluster *c, int64_t account_id)
{
    struct store *st = c ? c->app->store : NULL;
    if (!st || !st->lease_handed) return;
    if (st->lease_handed(st, c->instance, account_id) < 0)
        log_warn("engine", "account %lld: could not free its lease now; others take it within %d s",
                 (long long)account_id, LEASE_HANDOFF_MS / 1000);
}

/* ---- lease rounds ---- */

struct round {
    const char *instance;
    int64_t now, ttl_ms;
    size_t *taken;
};

/* The fair share, ceil(connected accounts / live instances), after the store's bookkeeping. */
static enum db_status lease_round(struct store *st, void *cls)
{
    const struct round *o = cls;
    int64_t live = 0, held = 0, sending = 0, n = 0;
    *o->taken = 0;
    enum db_status r = st->lease_refresh(st, o->instance, o->now, o->ttl_ms);
    if (r >= 0) r = st->lease_counts(st, o->instance, o->now, o->ttl_ms, &live, &held, &sending);
    if (r < 0) return r;
    if (live < 1) live = 1;
    int64_t share = (sending + live - 1) / live;
    if (held > share + 1) {
        /* More than a fair share (another instance joined): hand the extra over. They are renamed
         * "<instance>:shed", so they are not renewed and this engine drops their clients now; each
         * is freed when its client here has stopped (cluster_handed), so the taker's client starts
         * only after this one's is gone — a fixed delay was not enough on a loaded machine. */
        return st->lease_shed(st, o->instance, o->now + LEASE_HANDOFF_MS, held - share);
    }
    if (share > held) {
        r = st->lease_take(st, o->instance, o->now, o->ttl_ms, share - held, &n);
        if (r >= 0) *o->taken = (size_t)n;
    }
    return r;
}

enum db_status cluster_lease_round(struct store *st, const char *instance, int64_t now, int64_t ttl_ms,
                                   int64_t **ids, size_t *n, size_t *taken)
{
    struct round o = {instance, now, ttl_ms, taken};
    *ids = NULL;
    *n = 0;
    *taken = 0;
    enum db_status r = st->txn(st, TX_LEASE, lease_round, &o);
    if (r < 0) return r;
    return st->leases_owned(st, instance, now, ids, n);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int has(const int64_t *ids, size_t n, int64_t id)
{
    return n && bsearch(&id, ids, n, sizeof *ids, cmp_i64) != NULL;
}

void cluster_round_release(struct cluster_round *r)
{
    free(r->taken);
    free(r->lost);
    memset(r, 0, sizeof *r);
}

/* Leases this instance shed whose clients nobody was asked to stop yet, added to out->lost: one
 * a login here took between two rounds (cluster_is_local, cluster_take) that the next round shed
 * before the engine knew it held it, and those of a previous run of this instance. Only the stop
 * frees such a lease (cluster_handed); unstopped, the account sent from nowhere until the shed
 * lease ran out (LEASE_HANDOFF_MS). Those the engine knew are lost through the owner check.
 * Keeps the previous list when the database or memory fails: the next round asks again. */
static void shed_news(struct cluster *c, int64_t now, struct cluster_round *out)
{
    struct store *st = c->app->store;
    char shed[sizeof c->instance + 8];
    snprintf(shed, sizeof shed, "%s:shed", c->instance);
    int64_t *ids = NULL;
    size_t n = 0;
    if (st->leases_owned(st, shed, now, &ids, &n) < 0) return;
    if (n) {
        int64_t *lost = realloc(out->lost, (out->n_lost + n) * sizeof *lost);
        if (!lost) {
            free(ids);
            return;
        }
        out->lost = lost;
        for (size_t i = 0; i < n; i++)
            if (!has(c->shed, c->n_shed, ids[i]) && !has(c->owned, c->n_owned, ids[i]))
                out->lost[out->n_lost++] = ids[i];
    }
    free(c->shed);
    c->shed = ids;
    c->n_shed = n;
}

int cluster_claim(struct cluster *c, int64_t now, struct cluster_round *out)
{
    struct store *st = c->app->store;
    int64_t *ids = NULL;
    size_t n = 0, taken = 0;
    memset(out, 0, sizeof *out);
    /* A backend without leases (one instance only) sends for every account that is sending. */
    enum db_status r = st->lease_refresh
                           ? cluster_lease_round(st, c->instance, now, c->lease_ms, &ids, &n, &taken)
                           : st->accounts_sending(st, &ids, &n);
    if (r < 0) {
        /* Keep the old list: owned_until still stops sending in time. Try again in a second, not
         * on every tick (a database that cannot write would otherwise be asked hundreds of times). */
        c->next_claim = now + CLAIM_RETRY_MS;
        return TGR_ERR;
    }
    /* Out of memory for the news: a failed round as far as this instance knows (the leases are
     * held in the database all the same, and the next round compares again). */
    out->taken = malloc((n ? n : 1) * sizeof *out->taken);
    out->lost = malloc((c->n_owned ? c->n_owned : 1) * sizeof *out->lost);
    if (!out->taken || !out->lost) {
        cluster_round_release(out);
        free(ids);
        c->next_claim = now + CLAIM_RETRY_MS;
        return TGR_ERR;
    }
    for (size_t i = 0; i < n; i++)
        if (!has(c->owned, c->n_owned, ids[i])) out->taken[out->n_taken++] = ids[i];
    /* Accounts another instance took (this one failed to renew in time, or handed them over). */
    for (size_t i = 0; st->lease_refresh && i < c->n_owned; i++) {
        if (has(ids, n, c->owned[i])) continue;
        char owner[128];
        if (st->lease_owner(st, c->owned[i], now, owner, sizeof owner) == DB_ONE &&
            strcmp(owner, c->instance)) {
            log_warn("engine", "account %lld moved to instance %s", (long long)c->owned[i], owner);
            out->lost[out->n_lost++] = c->owned[i];
        }
    }
    if (st->lease_refresh) shed_news(c, now, out);
    free(c->owned);
    c->owned = ids;
    c->n_owned = n;
    c->claimed_at = now;
    c->owned_until = now + c->lease_ms;
    /* A round that took accounts may have left others for the next: while the set of sending
     * accounts grows, shares grow with it, so look again soon instead of a quarter-lease later. */
    c->next_claim = now + (taken ? LEASE_AGAIN_MS : c->lease_ms / LEASE_RENEW_DIV);
    return TGR_OK;
}

int cluster_claim_due(const struct cluster *c, int64_t now)
{
    return now >= c->next_claim || now < c->claimed_at;
}

int64_t cluster_next_claim(const struct cluster *c)
{
    return c->next_claim;
}

int cluster_owns(const struct cluster *c, int64_t account_id, int64_t now)
{
    if (now >= c->owned_until - c->lease_ms / LEASE_MARGIN_DIV) return 0;
    return has(c->owned, c->n_owned, account_id);
}

const int64_t *cluster_owned(const struct cluster *c, size_t *n)
{
    *n = c->n_owned;
    return c->owned;
}

int cluster_leased(const struct cluster *c)
{
    return c->app->store->lease_refresh != NULL;
}
