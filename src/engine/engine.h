/* engine — the one background thread of a running tgr (DESIGN §1, §4). It owns the Telegram
 * bridge, consumes the bridge's events (new messages, reads, dead sessions), (re)starts every
 * connected account's session whenever a bridge becomes ready, and runs queued work such as an
 * account's inbox sync. The send loop joins it with the send-engine issue.
 *
 * Other threads never wait on the engine: they post work (engine_request_sync) and return. */
#ifndef TGR_ENGINE_H
#define TGR_ENGINE_H

#include <stddef.h>
#include <jansson.h>
#include <stdint.h>

struct app;
struct engine;
struct bridge;

/* Start the bridge and the engine thread.
 * @return the engine, or NULL with a one-line reason in err */
struct engine *engine_start(struct app *app, char *err, size_t errlen);

/* Stop the bridge (calls in progress on any thread fail at once with NETWORK), then the
 * thread. The bridge pointer stays valid (every call fails) until engine_free, so worker
 * threads still holding it are safe; drain them before engine_free. */
void engine_stop(struct engine *e);
void engine_free(struct engine *e);

/* The bridge, for request/response calls made by HTTP worker threads (login, sync). */
struct bridge *engine_bridge(struct engine *e);

/* Queue an inbox sync of this account (after a login; duplicates coalesce). */
void engine_request_sync(struct engine *e, int64_t account_id);

/* Start this account's session on the bridge now (after a login or a restart). */
void engine_request_start(struct engine *e, int64_t account_id);

/* Send a message outside campaigns (a test to Saved Messages) in its turn of the account's
 * pacing, and wait for Telegram's answer. Call from a worker thread.
 * @return TGR_OK with *result (caller decrefs), or TGR_ERR with *err */
struct bridge_error;
int engine_send_direct(struct engine *e, int64_t account_id, json_t *req, json_t **result,
                       struct bridge_error *err);

/* Whether this instance runs the account's Telegram client (it holds the account's lease, or
 * nobody did and it just took it, or there is no other instance to ask). Otherwise owner gets
 * the instance that does. Any thread. */
int engine_is_local(struct engine *e, int64_t account_id, char *owner, size_t cap);

/* A login on this instance made the account's client here: this instance owns it from now on. */
void engine_take(struct engine *e, int64_t account_id);

/* Run a command on the instance owner that runs the account's client, and wait for its answer:
 * kind "bridge" (req is a bridge request), "direct" (engine_send_direct there) or "sync"
 * (sync_account there; result holds its counts). Worker threads only.
 * @return TGR_OK with *result (caller decrefs), or TGR_ERR with *err (NETWORK on no answer) */
int engine_remote(struct engine *e, const char *owner, int64_t account_id, const char *kind, json_t *req,
                  int timeout_ms, json_t **result, struct bridge_error *err);

/* Look at this account now (a campaign was started, resumed or changed). */
void engine_wake(struct engine *e, int64_t account_id);

#endif
