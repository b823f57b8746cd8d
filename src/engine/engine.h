/* engine — the background thread of a running tgr (DESIGN §1, §4). It owns the Telegram
 * bridge and this instance's part of the cluster (cluster/cluster.h), consumes the bridge's
 * events (new messages, reads, dead sessions), (re)starts the sessions of the accounts this
 * instance runs whenever a bridge becomes ready, sends campaign messages in each account's
 * pacing, and runs queued work such as an account's inbox sync. Beside it, a second thread
 * (schedule.c) starts scheduled campaigns at their time.
 *
 * Layer: engine, above tg and cluster, below http and main. Other threads never wait on the
 * engine: they post work (engine_request_sync, engine_wake) and return; engine_send_direct is
 * the one call that waits, on a worker thread. Who runs an account's Telegram client, and
 * Telegram work relayed to that instance, is cluster.h's. */
#ifndef TGR_ENGINE_H
#define TGR_ENGINE_H

#include <stddef.h>
#include <jansson.h>
#include <stdint.h>

struct app;
struct engine;

/* Start the bridge, the cluster (not listening yet) and the engine thread, then listen for the
 * other instances; app->bridge and app->cluster are set before the thread runs. The cluster's
 * commands from other instances run here: "bridge" (tgs_call), "direct" (engine_send_direct),
 * "sync" (sync_account; the result holds its counts).
 * @return the engine, or NULL with a one-line reason in err */
struct engine *engine_start(struct app *app, char *err, size_t errlen);

/* Stop listening to other instances, stop the bridge (calls in progress on any thread fail at
 * once with NETWORK), then the thread, and hand this instance's leases over. app->bridge stays
 * valid (every call fails) until engine_free, so worker threads still holding it are safe;
 * drain them before engine_free, which clears app->bridge and app->cluster. */
void engine_stop(struct engine *e);
void engine_free(struct engine *e);

/* Queue an inbox sync of this account (after a login; duplicates coalesce). */
void engine_request_sync(struct engine *e, int64_t account_id);

/* Start this account's session on the bridge now (after a login or a restart). */
void engine_request_start(struct engine *e, int64_t account_id);

/* Send a message outside campaigns (a test to Saved Messages) in its turn of the account's
 * pacing, and wait for Telegram's answer; on the instance that runs the account's client (the
 * request is relayed there when that is another). Call from a worker thread.
 * @return TGR_OK with *result (caller decrefs), or TGR_ERR with *err */
struct bridge_error;
int engine_send_direct(struct engine *e, int64_t account_id, json_t *req, json_t **result,
                       struct bridge_error *err);

/* Look at this account now (a campaign was started, resumed or changed, or the account's
 * settings: its daily limit is read again), here and on every other instance (after this
 * commit). */
void engine_wake(struct engine *e, int64_t account_id);

#endif
