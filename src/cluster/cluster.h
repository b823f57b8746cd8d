/* cluster — several tgr instances on one database (DESIGN §4): which instance owns an account's
 * Telegram client and its sending (leases), and Telegram work asked of an instance that does not
 * own the account, relayed through the database to the one that does (remote commands).
 *
 * Layer: cluster, above base, crypto and store, below tg and engine, which both call it. It
 * knows no bridge and no engine: what a relayed command does and what a wake-up means are the
 * two callbacks its creator (the engine) gives to cluster_new.
 *
 * Both backends keep leases, so on SQLite too an account's client runs where its lease is; only
 * PostgreSQL can notify (LISTEN/NOTIFY), so only there is a command relayed to another instance
 * (several instances need PostgreSQL). A store without leases makes every account local.
 *
 * Threads: cluster_is_local, cluster_take, cluster_remote and cluster_notify may be called from
 * any thread. The lease rounds (cluster_claim, cluster_owns, cluster_owned, cluster_claim_due,
 * cluster_next_claim) keep the set of owned accounts without a lock: one thread only (the
 * engine's). The wake callback runs on the store's listener thread or the caller's; the command
 * callback on the tg worker pool (app->tg_pool). */
#ifndef TGR_CLUSTER_H
#define TGR_CLUSTER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bridge_error.h"
#include "store/store.h"

struct app;
struct cluster;

/* A lease handed over by an instance with more than its share is free for others once the old
 * owner's Telegram client has stopped (cluster_handed), at the latest this long after: the bound
 * for an old owner that dies or cannot reach its bridge before it could say so. */
#define LEASE_HANDOFF_MS 30000

/* One lease round of instance at now, in one TX_LEASE transaction (store.h enum db_tx): record it
 * alive, renew what it holds until now + ttl_ms, drop accounts whose session went away
 * (lease_refresh); then move towards a fair share, share = ceil(connected accounts / live
 * instances): holding more than share + 1, hand the extra over (they are free after
 * LEASE_HANDOFF_MS); holding fewer than share, take unowned or expired leases up to it.
 * @param[out] ids malloc'd, the accounts instance owns after the round (ascending)
 * @param[out] taken how many it took over in this round
 * @return DB_ONE (owns some), DB_NONE (owns none), DB_SOFT, DB_HARD */
TGR_MUST_CHECK enum db_status cluster_lease_round(struct store *st, const char *instance, int64_t now,
                                                  int64_t ttl_ms, int64_t **ids, size_t *n, size_t *taken);

/* The account of a wake-up that names none: anything may have changed (a lost connection to the
 * database was restored), so run a lease round now. */
#define CLUSTER_ANY (-1)

/* Something of account_id changed (a campaign started, a login took its client): look at it.
 * Must not block: queue the work. */
typedef void (*cluster_wake_fn)(void *ctx, int64_t account_id);

/* Run a command another instance relayed to this one, which owns the account: kind "bridge",
 * "direct" or "sync" (cluster_remote). Blocking is fine (it runs on the tg worker pool).
 * @param[out] result on TGR_OK a new reference (NULL is sent as JSON null)
 * @param[out] err on TGR_ERR (preset to INTERNAL "unknown command")
 * @return TGR_OK or TGR_ERR */
typedef int (*cluster_command_fn)(void *ctx, int64_t account_id, const char *kind, json_t *req,
                                  json_t **result, struct bridge_error *err);

/* This instance's part of the cluster: its name (--instance-id, or host and data directory) and
 * lease period (--lease-seconds) from app->cfg; app->store, app->kr (sealed commands) and
 * app->tg_pool (commands run there) are used as they are. Nothing is written or listened to yet.
 * @return the cluster (cluster_free), or NULL when out of memory */
struct cluster *cluster_new(struct app *app, cluster_wake_fn wake, cluster_command_fn run, void *ctx);

/* Free it; cluster_stop first if it listens. NULL is fine. */
void cluster_free(struct cluster *c);

/* This instance's name, as stored in lease rows. */
const char *cluster_instance(const struct cluster *c);

/* Listen for the other instances' wake-ups and commands (logged when the store cannot listen:
 * the others are then noticed by the lease rounds' polling). No-op on a store without LISTEN. */
void cluster_listen(struct cluster *c);

/* Stop listening; when this returns no callback of the listener runs. NULL is fine. */
void cluster_stop(struct cluster *c);

/* A clean shutdown: hand every account over now rather than when the leases run out. */
void cluster_leave(struct cluster *c);

/* Tell every other instance that something of the account changed (after this commit). */
void cluster_notify(struct cluster *c, int64_t account_id);

/* ---- who runs an account's Telegram client (any thread) ---- */

/* Whether this instance runs the account's Telegram client: it holds the lease, or nobody did
 * and it just took it, or there is no other instance to ask (no leases, a database error, c
 * NULL). Otherwise owner gets the instance that does. owner is "" when the answer is 1 without
 * a lease owner. */
int cluster_is_local(struct cluster *c, int64_t account_id, char *owner, size_t cap);

/* A login on this instance made the account's client here: this instance owns it from now on.
 * Wakes the account here (the wake callback) and on the other instances (the one that held it
 * sees it lost it and drops its client). No-op when c is NULL or the store has no leases. */
void cluster_take(struct cluster *c, int64_t account_id);

/* This instance's client of account_id, whose lease it shed, has stopped: the lease is free for
 * the instance that takes it over now (one session, one connection: DECISIONS 33). Any thread. */
void cluster_handed(struct cluster *c, int64_t account_id);

/* Run a command on the instance owner that runs the account's client and wait for its answer:
 * the request is sealed into meta "cmd:<id>", owner is told ("c:<owner>:<id>" on the wake
 * channel), runs it (its command callback) and seals {"result"} or {"error"} into "cmdr:<id>",
 * which this polls for up to timeout_ms + 2 s; both rows are deleted after. Worker threads only.
 * @param[out] result on TGR_OK a new reference (caller decrefs)
 * @param[out] err on TGR_ERR: the owner's error, or NETWORK (no answer; the account is moving;
 *             a backend that cannot notify)
 * @return TGR_OK or TGR_ERR */
int cluster_remote(struct cluster *c, const char *owner, int64_t account_id, const char *kind, json_t *req,
                   int timeout_ms, json_t **result, struct bridge_error *err);

/* ---- lease rounds: the accounts this instance sends for (one thread) ---- */

/* What one round changed. Arrays malloc'd; cluster_round_release. */
struct cluster_round {
    int64_t *taken; /* owned now, not after the previous round: start their clients */
    size_t n_taken;
    int64_t *lost; /* owned after the previous round, now another instance's, and leases this
                    * instance shed that it never knew it held (a login here leased one between
                    * rounds): stop their clients, which frees the shed leases (cluster_handed) */
    size_t n_lost;
};
void cluster_round_release(struct cluster_round *r);

/* One lease round at now (cluster_lease_round; on a store without leases every account with a
 * campaign sending is owned and nothing is ever lost). The next round is due a quarter lease
 * later, or soon when this one took accounts (shares grow while accounts arrive), or in a
 * second after a failure, which keeps the previous set (its leases still run out in time).
 * @param[out] out filled on TGR_OK
 * @return TGR_OK, or TGR_ERR (the database failed; out empty) */
int cluster_claim(struct cluster *c, int64_t now, struct cluster_round *out);

/* Whether a round is due at now (or the clock went back). */
int cluster_claim_due(const struct cluster *c, int64_t now);

/* When the next round is due (unix ms). */
int64_t cluster_next_claim(const struct cluster *c);

/* Whether this instance may send for the account at now: it held the lease after the last
 * round, and the lease has time left beyond a fifth of a period (a slow renewal never lets two
 * instances send for one account). */
int cluster_owns(const struct cluster *c, int64_t account_id, int64_t now);

/* The accounts owned after the last successful round, ascending; valid until the next round. */
const int64_t *cluster_owned(const struct cluster *c, size_t *n);

/* 1 when only a lease's owner runs the account's Telegram client (a store with leases), 0 when
 * this instance runs every connected account's client. */
int cluster_leased(const struct cluster *c);

#endif
