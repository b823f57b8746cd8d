/* bridge — the C side of the bridge protocol (docs/BRIDGE-PROTOCOL.md, DESIGN §5).
 *
 * bridge_start() spawns `node bridge/main.mjs …` with pipes for stdin/stdout/stderr and runs one
 * I/O thread that writes requests, reads responses and events (non-blocking), relays the child's
 * stderr lines to our log, enforces every request's deadline, and restarts a child that died
 * (backoff 0.5 s doubling to 30 s). Requests pending when the child dies fail with NETWORK,
 * which callers treat as temporary. Every call has a deadline; nothing waits forever.
 *
 * Thread-safety: bridge_call / bridge_call_async may be called from any thread. Callbacks and
 * the event function run on the I/O thread and must not block (queue the work elsewhere).
 * Layer: tg (above cluster and core; below engine and http). */
#ifndef TGR_BRIDGE_H
#define TGR_BRIDGE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bridge_error.h" /* struct bridge_error */

struct bridge;

struct bridge_opts {
    const char *node;     /* the node binary ("node" = from PATH) */
    const char *script;   /* bridge/main.mjs */
    const char *backend;  /* "sim" or "gramjs" */
    const char *scenario; /* sim only */
};

/* Called for every event line, and with {"event":"ready",…} each time a (re)started bridge
 * says it is ready. ev is borrowed. */
typedef void (*bridge_event_fn)(void *ctx, json_t *ev);

/* Called once with the result (borrowed; NULL on error) or the error. */
typedef void (*bridge_done_fn)(void *arg, json_t *result, const struct bridge_error *err);

/* What one line of the bridge's stdout says, as the I/O thread reads it (exposed for the unit
 * tests and the fuzzer). */
enum bridge_line_kind {
    BRIDGE_LINE_INVALID, /* not a JSON object: ignored */
    BRIDGE_LINE_EVENT,   /* {"event":"<name>",…} */
    BRIDGE_LINE_ORPHAN,  /* an object without an integer id: an error without a request */
    BRIDGE_LINE_RESULT,  /* {"id":N,"ok":true,"result":…} */
    BRIDGE_LINE_ERROR,   /* {"id":N,"ok":false,"error":{"code","message","seconds"}} (anything not ok) */
};

struct bridge_line {
    enum bridge_line_kind kind;
    json_t *json;            /* the parsed line (NULL when INVALID); the caller decrefs it */
    const char *event;       /* EVENT: its name, borrowed from json */
    int64_t id;              /* RESULT, ERROR */
    json_t *result;          /* RESULT: borrowed from json (json null when absent) */
    struct bridge_error err; /* ERROR: code INTERNAL when none (or "") was given, seconds within
                              * 0..INT_MAX; ORPHAN: message only */
};

/* Read one line (without its newline) of at most len bytes. A "\u0000" in a string is read as
 * U+FFFD: no string in out->json contains a NUL byte (json_string_length equals strlen).
 * @return out->kind; out->json is a new reference to release with json_decref (NULL if INVALID) */
enum bridge_line_kind bridge_parse_line(const char *line, size_t len, struct bridge_line *out);

/* Spawn the bridge and its I/O thread. The child may still be starting when this returns.
 * @return the bridge, or NULL with a one-line reason in err */
struct bridge *bridge_start(const struct bridge_opts *opts, bridge_event_fn on_event, void *ctx, char *err,
                            size_t errlen);

/* Fail every pending request, close the child's stdin, wait up to 3 s, then kill it. Later
 * calls fail at once with NETWORK. Idempotent; the struct stays valid until bridge_free. */
void bridge_stop(struct bridge *b);

/* Free a stopped bridge (stops it first if needed). No call may be in progress. */
void bridge_free(struct bridge *b);

/* Send req (an object with "op" and its fields; "id" and "timeout_ms" are added; not stolen)
 * and wait at most timeout_ms for the answer.
 * @param[out] result on TGR_OK a new reference to the response's "result"; caller decrefs
 * @param[out] err on TGR_ERR the error
 * @return TGR_OK or TGR_ERR */
int bridge_call(struct bridge *b, json_t *req, int timeout_ms, json_t **result, struct bridge_error *err);

/* Like bridge_call, without waiting: done(arg, …) runs on the I/O thread exactly once. */
void bridge_call_async(struct bridge *b, json_t *req, int timeout_ms, bridge_done_fn done, void *arg);
/* Like bridge_call_async, with the request already written: body is an object's compact text
 * ("{...}", body_len bytes and a NUL after them, not stolen) whose "op" is op — for a caller that writes it
 * at once without a jansson value (the engine's sends, DECISIONS 99). */
void bridge_call_text(struct bridge *b, const char *op, const char *body, size_t body_len, int timeout_ms,
                      bridge_done_fn done, void *arg);

/* 1 when a child is running and has said it is ready. */
int bridge_ready(struct bridge *b);

/* Kill the child with SIGKILL (tests and chaos tools); it is restarted like any death. */
void bridge_kill(struct bridge *b);

/* Process id of the current child, or 0. */
int bridge_pid(struct bridge *b);

#endif
