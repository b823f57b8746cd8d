/* server — the HTTP front: libmicrohttpd (epoll, thread pool, suspend/resume) behind the fast path
 * of the click redirect (http/fastclick.h, which accepts the connections), the request
 * lifecycle, and the reply helpers every handler uses.
 *
 * Lifecycle of a request (MHD calls the access handler several times per request):
 *  1st call  — take the connection's struct req (one per connection, reused by each of its
 *              requests), check the header block's size (431), match the route once (its
 *              body cap now, its handler after the body; the parameters are kept), and for
 *              account routes check the credential and the rate limits before a byte of the
 *              body is read: a refused request never gets its body buffered (a small one is read
 *              and dropped so the client sees its answer; a large one is answered at once and the
 *              connection closed). Upload routes open their spool (http/spool.h) here.
 *  upload    — append body bytes up to the route's cap (to memory, or to the spool's file);
 *              past the cap, keep draining and remember.
 *  last call — 413 if too large; otherwise the handler. The handler sets a reply with
 *              reply_*(), or calls http_defer() and the connection is suspended until a worker
 *              has set the reply.
 *  completed — MHD's request-completed callback frees everything the request owned
 *              (req_on_cleanup), so handlers never free on their exit paths; struct req itself
 *              stays with the connection until it closes.
 * Every reply gets the security headers; every error uses the registry's one JSON shape.
 * Layer: http (above engine; only main is above it). */
#ifndef TGR_SERVER_H
#define TGR_SERVER_H

#include <jansson.h>
#include <stdint.h>

#include "base/errors.h"
#include "base/jspec.h"
#include "http/router.h"
#include "store/store.h"

#define HTTP_DEFAULT_BODY_MAX (1024 * 1024)

struct app;
struct worker_pool;
struct MHD_Connection;
struct MHD_Response;

struct req {
    struct app *app;
    struct MHD_Connection *conn;
    char method[12];
    char path[ROUTER_MAX_PATH + 1];
    char ip[64];
    int route_idx;              /* -1 when no route matched */
    enum router_result matched; /* the route table's answer, found once on the first call */
    struct route_params params;

    /* body */
    struct spool *spool; /* upload routes: the body is here, not in body */
    char *body;
    size_t body_len, body_max;
    uint64_t body_received; /* bytes received, kept or not */
    uint64_t body_seen;     /* max(received, announced Content-Length) */
    json_t *json;           /* the parsed body, owned here */

    /* the caller, for AUTH_ACCOUNT routes */
    int64_t account_id;
    struct account account;
    int auth_done;          /* the credential was checked on the first call */
    int early_reply;        /* a reply was set before the body: its bytes are read and dropped */
    int64_t cred_exp;       /* unix seconds when a bearer token expires; 0 for an API key (never) */
    char cred_key_hash[65]; /* the API key's keyed hash when it was the credential, else "" */

    /* the reply */
    unsigned status;
    struct MHD_Response *resp;
    int is_web; /* a web-app page: the web CSP instead of the API one */

    /* deferral */
    void (*job)(struct req *);
    struct worker_pool *job_pool;
    const char *job_kind;
    int suspended;

    /* one cleanup hook for handler state */
    void *state;
    void (*state_free)(void *);

    int64_t t0_us;
    int dispatched; /* counted in flight */
};

struct http_server;

/* Bind cfg.listen and start serving. Nothing is printed; see http_port().
 * @return the server, or NULL with a one-line reason in err */
struct http_server *http_start(struct app *app, char *err, size_t errlen);

/* The bound port (useful with port 0). */
int http_port(const struct http_server *h);

/* Stop accepting new connections and wait (at most grace_ms) for requests in flight. */
void http_quiesce(struct http_server *h, int grace_ms);

/* Wait (at most grace_ms) for what is still in flight, stop the threads, free. Deferred jobs
 * must have finished (their worker pools drained) before this. */
void http_stop(struct http_server *h, int grace_ms);

/* Replies. Each replaces an earlier reply of the same request. */
void reply_json(struct req *r, unsigned status, json_t *body); /* steals body */
void reply_error(struct req *r, enum err_code e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void reply_empty(struct req *r, unsigned status);
void reply_data(struct req *r, unsigned status, const char *content_type, const void *data, size_t len);
/* Add a header to the reply already set. */
void reply_header(struct req *r, const char *name, const char *value);

/* Parse the body as JSON against spec. On failure the 400/415 is already set.
 * An empty body is read as {}. @return TGR_OK or TGR_ERR */
int http_parse_spec(struct req *r, const struct jfield *spec);

/* Run job(r) on pool and answer when it has set a reply; the handler then returns H_DEFER.
 * kind (a static string: "session", "sync", "import", "media", …) makes the job one of the
 * account's: at most one job of each kind per account runs at once, and at most
 * HTTP_JOBS_WAITING more may wait (10 for "session", the login's rate limit; base/worker.h);
 * past that the request is answered 429 busy.
 * kind NULL: any thread, no per-account rule. If the pool is full the request is answered 503
 * with Retry-After instead. */
#define HTTP_JOBS_WAITING 4
void http_defer(struct req *r, struct worker_pool *pool, const char *kind, void (*job)(struct req *));

/* An upload route's body is complete: finish its spool (r->spool; the multipart end is checked
 * and the hash fixed). On failure the reply is set: 400 validation_failed for the field "file"
 * (a malformed body), 503 when the file could not be written. @return TGR_OK or TGR_ERR */
int http_spool_finish(struct req *r);

/* The headers every reply gets after its own (the security headers; is_web: a web-app page's CSP),
 * as "Name: value\r\n" lines, for the fast path that writes its replies itself (http/fastclick.h).
 * (Not written here: the "Cache-Control: no-store" an API reply without one of its own gets.)
 * @return the bytes written (no NUL), 0 when cap is too small */
size_t http_common_headers_text(int is_web, char *out, size_t cap);

/* A request header / query parameter, or NULL. */
const char *req_header(struct req *r, const char *name);
const char *req_query(struct req *r, const char *name);

/* Serve the web app for GET paths that are not API routes (http/h_web.c).
 * @return 1 if a reply was set */
int web_serve(struct req *r);

#endif
