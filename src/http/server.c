/* server — libmicrohttpd glue, request lifecycle and replies; see server.h for the lifecycle.
 *
 * Threads: the fast path (http/fastclick.h) runs --threads threads that accept every connection,
 * answer plain clicks on /t/:code themselves and hand every other connection to MHD at a request
 * boundary (MHD_add_connection); MHD runs --threads polling threads (epoll, no listen socket of
 * its own) for what it is handed. Handlers run on MHD's threads and must not block for long:
 * slow work goes to a worker pool through http_defer(), which suspends the connection; the worker
 * sets the reply and resumes it, and MHD calls the access handler again, which then queues the
 * reply. */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/app.h"
#include "base/jsonout.h"
#include "base/log.h"
#include "base/util.h"
#include "http/auth.h"
#include "http/clientip.h"
#include "http/fastclick.h"
#include "http/handlers.h"
#include "http/metrics.h"
#include "http/spool.h"
#include "base/worker.h"

/* Bodies past the cap are read and dropped up to this many extra bytes, so that an ordinary
 * client gets its 413 instead of a reset connection; beyond it the connection is answered and
 * closed at once. */
#define DRAIN_MAX (16u * 1024 * 1024)

/* A request answered before its body (a refused credential, an unusable upload) has a body of
 * at most this much read and dropped, so that the client is still reading when the answer
 * comes; a larger one is answered at once and the connection closed, before it is sent. */
#define EARLY_DRAIN_MAX (64u * 1024)

/* MHD's per-connection memory beyond --max-header-bytes: room for its read buffer and the
 * reply's headers, so that a header block just under the cap is still read whole and the
 * cap is enforced here, with a JSON 431, rather than by MHD's own HTML one. */
#define HEADER_SLACK (16u * 1024)

static const char CSP_API[] = "default-src 'none'; frame-ancestors 'none'";
static const char CSP_WEB[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct http_server {
    struct app *app;
    struct MHD_Daemon *d;
    struct fastclick *fc; /* accepts every connection; hands to d all but plain clicks */
    int fd;
    int port;
    int in_flight; /* requests between dispatch and completion (atomic) */
    int quiesced;
    struct proxy_set *proxies; /* --trusted-proxies (http/clientip.h) */
};

/* ---- replies ---------------------------------------------------------------------------- */

static void set_reply(struct req *r, unsigned status, struct MHD_Response *resp)
{
    if (r->resp) MHD_destroy_response(r->resp);
    r->resp = resp;
    r->status = status;
}

void reply_data(struct req *r, unsigned status, const char *content_type, const void *data, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    if (!resp) return;
    if (content_type) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    set_reply(r, status, resp);
}

void reply_json(struct req *r, unsigned status, json_t *body)
{
    /* jsonout writes jansson's text at a fraction of its cost (base/jsonout.h). */
    size_t len = 0;
    char *text = body ? jsonout_dumps(body, &len) : NULL;
    json_decref(body);
    if (!text) {
        static const char oom[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
        reply_data(r, 500, "application/json", oom, sizeof oom - 1);
        return;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    set_reply(r, status, resp);
}

void reply_error(struct req *r, enum err_code e, const char *field, const char *fmt, ...)
{
    char msg[512];
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    } else {
        snprintf(msg, sizeof msg, "%s", err_message(e));
    }
    json_t *err = json_pack("{s:s, s:s}", "code", err_code_str(e), "message", msg);
    if (field && *field) json_object_set_new(err, "field", json_string(field));
    reply_json(r, err_status(e), json_pack("{s:o}", "error", err));
}

void reply_empty(struct req *r, unsigned status)
{
    reply_data(r, status, NULL, "", 0);
}

void reply_header(struct req *r, const char *name, const char *value)
{
    if (r->resp) MHD_add_response_header(r->resp, name, value);
}

const char *req_header(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_query(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* The deepest nesting of arrays and objects in a JSON text, counted without parsing it: one
 * pass over the bytes, skipping strings. Run before jansson so a body like "[[[[…" of a few
 * megabytes is refused in microseconds instead of being built into a tree first. The scan
 * stops as soon as the limit is passed; malformed text is left for the parser to report. */
static int json_too_deep(const char *p, size_t n, int limit)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) return 1;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return 0;
}

int http_parse_spec(struct req *r, const struct jfield *spec)
{
    struct jspec_error err;
    const char *ct = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (ct && r->body_len) {
        size_t n = strcspn(ct, "; \t");
        if (n != 16 || strncasecmp(ct, "application/json", 16) != 0) {
            reply_error(r, ERR_UNSUPPORTED_MEDIA_TYPE, NULL, "send the body as application/json");
            return TGR_ERR;
        }
    }
    if (!r->json && r->body_len && json_too_deep(r->body, r->body_len, r->app->cfg.max_json_depth)) {
        reply_error(r, ERR_INVALID_JSON, NULL, "the body nests arrays and objects deeper than %d levels",
                    r->app->cfg.max_json_depth);
        return TGR_ERR;
    }
    if (!r->json) {
        r->json = r->body_len ? jspec_load(r->body, r->body_len, &err) : json_object();
        if (!r->json) {
            reply_error(r, err.code, NULL, "%s", err.message);
            return TGR_ERR;
        }
    }
    if (jspec_parse(r->json, spec, NULL, &err) != TGR_OK) {
        reply_error(r, err.code, err.field, "%s", err.message);
        return TGR_ERR;
    }
    return TGR_OK;
}

int http_spool_finish(struct req *r)
{
    switch (r->spool ? spool_finish(r->spool) : SPOOL_IO) {
    case SPOOL_OK:
        return TGR_OK;
    case SPOOL_CLIENT:
        reply_error(r, ERR_VALIDATION, "file", "%s", spool_error(r->spool));
        return TGR_ERR;
    case SPOOL_IO:
        break;
    }
    reply_error(r, ERR_UNAVAILABLE, NULL, "the server cannot store the upload right now");
    return TGR_ERR;
}

/* ---- deferral --------------------------------------------------------------------------- */

static void run_job(void *arg)
{
    struct req *r = arg;
    r->job(r);
    if (!r->resp) reply_error(r, ERR_INTERNAL, NULL, NULL);
    MHD_resume_connection(r->conn);
}

void http_defer(struct req *r, struct worker_pool *pool, const char *kind, void (*job)(struct req *))
{
    r->job = job;
    r->job_pool = pool;
    r->job_kind = kind;
}

/* Jobs of one kind an account may have waiting: HTTP_JOBS_WAITING, except for the Telegram
 * login, where --rate-session (10 a minute) is the limit a user meets first, so that a burst the
 * rate limit allows is not refused as busy. */
static int jobs_waiting(const char *kind)
{
    return strcmp(kind, "session") == 0 ? 10 : HTTP_JOBS_WAITING;
}

/* Queue the deferred job: keyed by the account when it has a kind (base/worker.h).
 * @return 1 when it was queued (the connection stays suspended), 0 when a reply was set */
static int submit_job(struct req *r)
{
    enum worker_submit ws;
    if (r->job_kind && r->account_id > 0)
        ws = worker_pool_submit_keyed(r->job_pool, r->account_id, r->job_kind, jobs_waiting(r->job_kind),
                                      run_job, r);
    else
        ws = worker_pool_submit(r->job_pool, run_job, r) == TGR_OK ? WORKER_OK : WORKER_FULL;
    if (ws == WORKER_OK) return 1;
    if (ws == WORKER_BUSY)
        reply_error(r, ERR_BUSY, NULL, "this account already has %d %s jobs waiting; retry when one is done",
                    jobs_waiting(r->job_kind), r->job_kind);
    else
        reply_error(r, ERR_UNAVAILABLE, NULL, "the server is busy; retry in a second");
    reply_header(r, "Retry-After", "1");
    return 0;
}

/* ---- dispatch --------------------------------------------------------------------------- */

/* The headers every reply gets, in this order; the CSP's value depends on the reply (csp_web). */
static const struct {
    const char *name, *value;
} common_headers[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"},
    {"Content-Security-Policy", NULL},
};

static const char *common_value(size_t i, int is_web)
{
    return common_headers[i].value ? common_headers[i].value : is_web ? CSP_WEB : CSP_API;
}

static void add_common_headers(struct req *r)
{
    for (size_t i = 0; i < sizeof common_headers / sizeof common_headers[0]; i++)
        MHD_add_response_header(r->resp, common_headers[i].name, common_value(i, r->is_web));
    if (!r->is_web && !MHD_get_response_header(r->resp, "Cache-Control"))
        MHD_add_response_header(r->resp, "Cache-Control", "no-store");
}

size_t http_common_headers_text(int is_web, char *out, size_t cap)
{
    size_t len = 0;
    for (size_t i = 0; i < sizeof common_headers / sizeof common_headers[0]; i++) {
        int n = snprintf(out + len, cap - len, "%s: %s\r\n", common_headers[i].name, common_value(i, is_web));
        if (n < 0 || (size_t)n >= cap - len) return 0;
        len += (size_t)n;
    }
    return len;
}

static enum MHD_Result queue(struct req *r)
{
    if (!r->resp) {
        reply_error(r, ERR_INTERNAL, NULL, NULL);
        if (!r->resp) return MHD_NO;
    }
    add_common_headers(r);
    /* Counted when the reply is queued, not when the connection is done with it, so a client
     * that reads /metrics right after its reply sees that reply counted. */
    metrics_observe(r->app->metrics, r->route_idx, r->status, mono_us() - r->t0_us);
    enum MHD_Result ok = MHD_queue_response(r->conn, r->status, r->resp);
    MHD_destroy_response(r->resp);
    r->resp = NULL;
    return ok;
}

static void too_large(struct req *r)
{
    reply_error(r, ERR_TOO_LARGE, NULL, "the body is larger than %zu bytes", r->body_max);
}

/* Everything between the last body byte and the handler's reply. */
static void dispatch(struct req *r)
{
    struct app *app = r->app;
    const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
    if (r->matched == ROUTER_NOT_FOUND) {
        r->route_idx = -1;
        if (!strcmp(method, "GET") && web_serve(r)) return;
        reply_error(r, ERR_NOT_FOUND, NULL, "no such route: %s %.200s", r->method, r->path);
        return;
    }
    if (r->matched == ROUTER_METHOD_NOT_ALLOWED) {
        char allow[64];
        int idx;
        struct route_params unused;
        /* Matched again for the list of methods, which only this answer needs. */
        router_match(app->routes, method, r->path, &idx, &unused, allow, sizeof allow);
        r->route_idx = -1;
        reply_error(r, ERR_METHOD_NOT_ALLOWED, NULL, "%s is not allowed here; use %s", r->method, allow);
        reply_header(r, "Allow", allow);
        return;
    }
    if (r->body_seen > r->body_max) {
        too_large(r);
        return;
    }
    if (r->early_reply) return; /* answered before the body (a refused credential, an unusable upload) */
    const struct route *rt = &app->routes[r->route_idx];
    if (rt->auth == AUTH_ACCOUNT && !r->auth_done && auth_account(r) != H_OK) return;
    enum hres h = rt->fn(r);
    if (h == H_DEFER && r->job) {
        MHD_suspend_connection(r->conn);
        r->suspended = 1;
        if (!submit_job(r)) MHD_resume_connection(r->conn);
        return;
    }
    if (!r->resp || h == H_SYSERR) {
        if (!r->resp || r->status < 500) reply_error(r, ERR_INTERNAL, NULL, NULL);
    }
}

/* Sum of the request line and header lines as sent (name, ": ", value, CRLF). */
struct header_sum {
    size_t n;
};

static enum MHD_Result add_header_len(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct header_sum *hs = cls;
    hs->n += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

/* A reply was set before the body: drop a small body and answer after it, or answer now.
 * @return 1 when the caller must answer now */
/* Did the client ask to be told before it sends its body (Expect: 100-continue)? */
static int expects_continue(struct req *r)
{
    const char *expect = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    return expect && strcasecmp(expect, "100-continue") == 0;
}

static int answer_early(struct req *r, int64_t announced, int chunked)
{
    r->early_reply = 1;
    if (expects_continue(r)) return 1; /* the client waits to be told to send: it never will be */
    return chunked || announced > (int64_t)EARLY_DRAIN_MAX;
}

/* The reply to an upload the spool refused: the client's fault (400 naming the file field) or
 * the server's (logged, 503). */
static void spool_refused(struct req *r, enum spool_status st, const char *why, const char *server_words)
{
    if (st == SPOOL_CLIENT) {
        reply_error(r, ERR_VALIDATION, "file", "%s", why);
    } else {
        log_error("http", "%s", why);
        reply_error(r, ERR_UNAVAILABLE, NULL, "%s", server_words);
    }
}

/* The first call: what can be decided from the request line and the headers alone.
 * @return 1 when the reply set must be queued now (MHD then closes the connection unless
 * there is no body) */
static int on_headers(struct http_server *h, struct req *r, const char *method)
{
    struct app *app = h->app;
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    int64_t announced = 0;
    int chunked = te && strcasecmp(te, "identity") != 0;
    if (cl && parse_i64(cl, 0, INT64_MAX, &announced) != TGR_OK) announced = 0;

    struct header_sum hs = {strlen(method) + strlen(r->path) + 12};
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, add_header_len, &hs);
    if (hs.n > (size_t)app->cfg.max_header_bytes) {
        reply_error(r, ERR_HEADERS_TOO_LARGE, NULL,
                    "the request line and headers take %zu bytes; at most %d are read", hs.n,
                    app->cfg.max_header_bytes);
        return answer_early(r, announced, chunked) || 1;
    }

    /* The route, with its parameters, is found once here: its body cap, credential and rate
     * class are needed before the body, its handler after it (dispatch). */
    const struct route *rt = NULL;
    r->matched = router_match(app->routes, m, r->path, &r->route_idx, &r->params, NULL, 0);
    if (r->matched == ROUTER_MATCH)
        rt = &app->routes[r->route_idx];
    else
        r->route_idx = -1;
    r->body_max = rt && rt->max_body ? rt->max_body : HTTP_DEFAULT_BODY_MAX;
    if ((uint64_t)announced > r->body_max) {
        r->body_seen = (uint64_t)announced; /* known too large before a byte arrives */
        /* A body that will not be read is answered now (MHD then closes the connection), which
         * spares the client sending it and suppresses "100 Continue" for clients that asked
         * first. Bodies only a little over the cap are drained instead, so clients that send
         * without asking still read their 413. */
        if (r->body_seen > r->body_max + DRAIN_MAX || expects_continue(r)) {
            too_large(r);
            return 1;
        }
        return 0;
    }
    if (!rt) return 0;
    if (rt->auth == AUTH_ACCOUNT) {
        /* Before the body: an anonymous client never makes the server hold a byte of it. */
        r->auth_done = 1;
        if (auth_account(r) != H_OK)
            return announced > 0 || chunked ? answer_early(r, announced, chunked) : (r->early_reply = 1, 0);
    }
    if (rt->spool) {
        char dir[CONFIG_PATH_MAX + 8], err[256];
        enum spool_status st;
        snprintf(dir, sizeof dir, "%s/tmp", app->cfg.data_dir);
        r->spool = spool_new(dir, req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE), "file", &st, err, sizeof err);
        if (!r->spool) {
            spool_refused(r, st, err, "the server cannot take uploads right now");
            return answer_early(r, announced, chunked);
        }
    }
    return 0;
}

/* Body bytes of a request that is answered already: counted, dropped.
 * @return 1 when the answer must go now (more than EARLY_DRAIN_MAX arrived) */
static int drop_body(struct req *r, size_t n)
{
    r->body_received += n;
    return r->body_received > EARLY_DRAIN_MAX;
}

static enum MHD_Result add_xff(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    if (key && value && strcasecmp(key, "X-Forwarded-For") == 0) xff_add(cls, value, strlen(value));
    return MHD_YES;
}

/* r->ip: the client, behind a trusted proxy the address it forwarded (http/clientip.h). */
static void find_client(struct http_server *h, struct req *r)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    _Static_assert(sizeof r->ip == CLIENTIP_MAX, "an address's text");
    client_peer_text(ci ? ci->client_addr : NULL, r->ip);
    if (!proxy_set_count(h->proxies)) return; /* no proxy is trusted: the peer is the client */
    char peer[sizeof r->ip];
    memcpy(peer, r->ip, sizeof peer);
    struct xff x = {.len = 0};
    if (proxy_set_contains(h->proxies, peer))
        MHD_get_connection_values(r->conn, MHD_HEADER_KIND, add_xff, &x);
    client_address(h->proxies, peer, xff_value(&x), r->ip, sizeof r->ip);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
    struct http_server *h = cls;
    struct req *r = *con_cls;
    if (!r) {
        /* First call: set up, and answer only what must not wait for the body (see server.h);
         * answering here makes MHD close the connection once the reply is sent. The request's
         * memory is its connection's (on_connection), used again by each request it carries. */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        r = ci ? ci->socket_context : NULL;
        if (!r) return MHD_NO;
        memset(r, 0, sizeof *r);
        r->app = h->app;
        r->conn = conn;
        r->t0_us = mono_us();
        r->route_idx = -1;
        r->matched = ROUTER_NOT_FOUND;
        size_t mlen = strnlen(method, sizeof r->method - 1), ulen = strlen(url);
        memcpy(r->method, method, mlen); /* the rest of the struct is zero: a NUL follows */
        if (ulen > ROUTER_MAX_PATH)
            snprintf(r->path, sizeof r->path, "/_too_long");
        else
            memcpy(r->path, url, ulen + 1);
        find_client(h, r);
        *con_cls = r;
        if (on_headers(h, r, method)) return queue(r);
        return MHD_YES;
    }
    if (r->suspended) {
        /* Resumed after a deferred job: its reply is ready. */
        r->suspended = 0;
        return queue(r);
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->early_reply) return drop_body(r, n) ? queue(r) : MHD_YES;
        r->body_received += n;
        if (r->body_seen < r->body_received) r->body_seen = r->body_received;
        if (r->body_seen <= r->body_max && r->spool) {
            enum spool_status st = spool_write(r->spool, upload_data, n);
            if (st == SPOOL_OK) return MHD_YES;
            /* Nothing more of this body is wanted: answer now. */
            spool_refused(r, st, spool_error(r->spool), "the server cannot store the upload right now");
            return queue(r);
        }
        if (r->body_seen <= r->body_max) {
            char *nb = realloc(r->body, r->body_len + n + 1);
            if (!nb) return MHD_NO;
            r->body = nb;
            memcpy(r->body + r->body_len, upload_data, n);
            r->body_len += n;
            r->body[r->body_len] = 0;
            return MHD_YES;
        }
        /* Too large: keep nothing, drain a while so the client reads its 413. */
        free(r->body);
        r->body = NULL;
        r->body_len = 0;
        spool_free(r->spool);
        r->spool = NULL;
        if (r->body_seen > r->body_max + DRAIN_MAX) {
            too_large(r);
            return queue(r); /* MHD closes the connection after this reply */
        }
        return MHD_YES;
    }
    /* From here the request counts as in flight: a graceful stop waits for its reply. Requests
     * still receiving their body are not waited for (their clients may be gone). */
    r->dispatched = 1;
    __atomic_fetch_add(&h->in_flight, 1, __ATOMIC_SEQ_CST);
    dispatch(r);
    if (r->suspended) return MHD_YES;
    return queue(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *h = cls;
    struct req *r = *con_cls;
    if (!r) return;
    if (r->state_free) r->state_free(r->state);
    if (r->resp) MHD_destroy_response(r->resp);
    json_decref(r->json);
    free(r->body);
    spool_free(r->spool);
    if (r->dispatched) __atomic_fetch_sub(&h->in_flight, 1, __ATOMIC_SEQ_CST);
    *con_cls = NULL; /* the memory stays with the connection (on_connection) */
}

/* Each connection owns the memory of its requests, one at a time (MHD answers the requests of a
 * connection in order and reports each one complete before it starts the next): one allocation
 * per connection instead of one per request. A request in flight when the connection closes
 * has been completed (on_completed) before MHD_CONNECTION_NOTIFY_CLOSED. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = malloc(sizeof(struct req)); /* NULL: its requests are refused (on_access) */
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        /* Counted against the connection limits since the fast path accepted it (http/fastclick.h). */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        fastclick_conn_closed(h->fc, ci ? ci->client_addr : NULL);
        free(*socket_context);
        *socket_context = NULL;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decoding of paths and query values, as MHD's own, except that "%00" stays as it is:
 * a decoded NUL would silently cut a C string short ("/t/CODE%00x" read as "/t/CODE"). */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    char *w = s;
    for (const char *p = s; *p; p++) {
        int hi = p[0] == '%' && p[1] ? hexval(p[1]) : -1;
        int lo = hi >= 0 && p[2] ? hexval(p[2]) : -1;
        if (lo >= 0 && (hi | lo)) {
            *w++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *w++ = *p;
        }
    }
    *w = 0;
    return (size_t)(w - s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = 0;
    /* A client that goes away (a closed live log, a reload) is ordinary: not worth a warning. */
    if (strstr(line, "Failed to send") || strstr(line, "Connection reset") || strstr(line, "Broken pipe"))
        log_debug("http", "%s", line);
    else
        log_warn("http", "%s", line);
}

/* ---- start / stop ----------------------------------------------------------------------- */

static int listen_socket(const char *host, int port, int *bound_port, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ports[16];
    snprintf(ports, sizeof ports, "%d", port);
    const char *hn = host;
    if (hn[0] == '[') { /* [::1]:8080 */
        static __thread char h6[256];
        snprintf(h6, sizeof h6, "%s", hn + 1);
        char *e = strchr(h6, ']');
        if (e) *e = 0;
        hn = h6;
    }
    int rc = getaddrinfo(*hn ? hn : NULL, ports, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve listen address %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        freeaddrinfo(ai);
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

struct http_server *http_start(struct app *app, char *err, size_t errlen)
{
    struct http_server *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->app = app;
    h->proxies = proxy_set_parse(app->cfg.trusted_proxies, err, errlen);
    if (!h->proxies) {
        free(h);
        return NULL;
    }
    h->fd = listen_socket(app->cfg.listen_host, app->cfg.listen_port, &h->port, err, errlen);
    if (h->fd < 0) {
        proxy_set_free(h->proxies);
        free(h);
        return NULL;
    }
    /* Resource limits (README "Limits"). The per-connection timeout is MHD's idle timeout: a
     * connection that sends or reads nothing for --request-timeout seconds is closed, whether it
     * is mid-request (a slowloris) or an idle keep-alive; suspended connections (deferred jobs,
     * live logs between events) are not timed out. The fast path (http/fastclick.h) accepts every
     * connection, answers plain clicks itself and hands MHD the rest (MHD_add_connection; MHD
     * has no listen socket of its own). It keeps --max-connections (past it, new clients wait in
     * the kernel's listen queue until a slot frees) and --max-connections-per-ip (past it a new
     * connection is accepted and closed at once, before a byte is read: there is no request to
     * answer with a JSON error) over the connections of both, and the same idle timeout for its
     * own. MHD's own limit must never be reached: a connection handed over (MHD_add_connection
     * returned MHD_YES) that a pool thread then finds past its per-thread share is closed without
     * a connection callback, so its slot would never be given back. Each thread's share is the
     * whole total, which every connection of MHD counts against, plus room for the connections
     * MHD has reported closed but not yet cleaned up. */
    unsigned threads = (unsigned)app->cfg.threads;
    unsigned mhd_limit = threads * ((unsigned)app->cfg.max_connections + 64u * threads);
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
    /* The logger must be the first option, or MHD logs earlier problems its own way. */
    h->d =
        MHD_start_daemon(flags, 0, NULL, NULL, on_access, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
                         MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_TIMEOUT,
                         (unsigned)app->cfg.request_timeout, MHD_OPTION_CONNECTION_LIMIT, mhd_limit,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)app->cfg.max_header_bytes + HEADER_SLACK,
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_NOTIFY_CONNECTION,
                         on_connection, h, MHD_OPTION_UNESCAPE_CALLBACK, unescape, h, MHD_OPTION_END);
    if (!h->d) {
        snprintf(err, errlen, "cannot start the HTTP server on %s", app->cfg.listen);
        close(h->fd);
        proxy_set_free(h->proxies);
        free(h);
        return NULL;
    }
    struct fastclick_conf fcc = {.app = app,
                                 .listen_fd = h->fd,
                                 .mhd = h->d,
                                 .proxies = h->proxies,
                                 .in_flight = &h->in_flight,
                                 .route_idx = -1};
    for (int i = 0; app->routes[i].method; i++)
        if (app->routes[i].fn == track_click_h) fcc.route_idx = i;
    h->fc = fastclick_start(&fcc, err, errlen);
    if (!h->fc) {
        MHD_stop_daemon(h->d);
        close(h->fd);
        proxy_set_free(h->proxies);
        free(h);
        return NULL;
    }
    return h;
}

int http_port(const struct http_server *h)
{
    return h->port;
}

static void wait_in_flight(struct http_server *h, int grace_ms)
{
    int64_t deadline = mono_ms() + grace_ms;
    while (__atomic_load_n(&h->in_flight, __ATOMIC_SEQ_CST) > 0 && mono_ms() < deadline) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

void http_quiesce(struct http_server *h, int grace_ms)
{
    if (!h || h->quiesced) return;
    /* Stop accepting; requests already received finish and get their replies. */
    fastclick_quiesce(h->fc);
    h->quiesced = 1;
    wait_in_flight(h, grace_ms);
}

void http_stop(struct http_server *h, int grace_ms)
{
    if (!h) return;
    http_quiesce(h, grace_ms);
    wait_in_flight(h, grace_ms);
    int left = __atomic_load_n(&h->in_flight, __ATOMIC_SEQ_CST);
    if (left > 0) log_warn("http", "%d request(s) still running at shutdown; closing them", left);
    /* In this order: the fast path's threads hand connections to MHD, and MHD's closes give
     * their slots back to the fast path's counts (on_connection). */
    fastclick_stop(h->fc);
    MHD_stop_daemon(h->d);
    fastclick_free(h->fc);
    proxy_set_free(h->proxies);
    free(h);
}
