/* sse — event streams with suspend/resume, their per-account cap and their lifetime; see sse.h. */
#include "http/sse.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "base/app.h"
#include "base/util.h"
#include "http/server.h"

#define TICK_MS 250
/* How often the ticker asks the database whether each stream's credential still stands. */
#define REVOKE_CHECK_MS 5000

static const char KEEPALIVE[] = ": keep-alive\n\n";
static const char EXPIRED[] =
    ": the stream reached the end of its credential's life; reconnect with a valid one\n\n";
static const char REVOKED[] = ": the stream's credential was revoked (signed out, password or API key "
                              "changed); reconnect with a valid one\n\n";

struct stream {
    struct MHD_Connection *conn;
    sse_next_fn next;
    void *ctx;
    void (*ctx_free)(void *);
    int64_t account_id;
    int suspended;
    int said_end;
    int64_t last_write;   /* mono ms */
    int64_t keepalive_ms; /* --stream-keepalive */
    int64_t ends_at;      /* mono ms: the token's exp, or --stream-max-age after the start */
    /* the credential it was opened with, checked every REVOKE_CHECK_MS by the ticker */
    struct store *store;
    int64_t token_gen; /* a bearer token's generation (the account's token_gen then) */
    char key_hash[65]; /* or the API key's keyed hash */
    uint64_t serial;   /* tells a stream from a later one at the same address */
    int revoked;       /* set by the ticker, under mu */
    struct stream *prev, *nextp;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
/* The ticker sleeps on it while no stream is open; the first stream and the shutdown wake it. */
static pthread_cond_t opened = PTHREAD_COND_INITIALIZER;
static struct stream *streams; /* every open stream, guarded by mu */
static int stopping, running;
static uint64_t serials;
static pthread_t ticker;

/* What the ticker checks of one stream, copied under mu and checked outside it. */
struct cred_check {
    struct stream *s;
    uint64_t serial;
    struct store *store;
    int64_t account_id, token_gen;
    char key_hash[65];
};

/* Whether the credential no longer stands: the API key was replaced, or the account's token
 * generation moved on (a password change, "sign out everywhere"). A failed read revokes
 * nothing: the next round asks again. */
static int cred_revoked(const struct cred_check *c)
{
    struct account a;
    enum db_status st = c->key_hash[0] ? c->store->account_by_api_key(c->store, c->key_hash, &a)
                                       : c->store->account_get(c->store, c->account_id, &a);
    if (st < 0) return 0;
    if (st == DB_NONE || a.id != c->account_id) return 1;
    return !c->key_hash[0] && a.token_gen != c->token_gen;
}

/* One round of revocation checks: the database calls run without mu, so streams go on. */
static void check_credentials(void)
{
    pthread_mutex_lock(&mu);
    size_t n = 0;
    for (struct stream *s = streams; s; s = s->nextp)
        n++;
    struct cred_check *cs = n ? calloc(n, sizeof *cs) : NULL;
    size_t k = 0;
    for (struct stream *s = streams; s && cs; s = s->nextp, k++) {
        cs[k] = (struct cred_check){s, s->serial, s->store, s->account_id, s->token_gen, ""};
        memcpy(cs[k].key_hash, s->key_hash, sizeof cs[k].key_hash);
    }
    pthread_mutex_unlock(&mu);
    for (size_t i = 0; i < k; i++) {
        if (!cred_revoked(&cs[i])) continue;
        pthread_mutex_lock(&mu);
        for (struct stream *s = streams; s; s = s->nextp) {
            if (s != cs[i].s || s->serial != cs[i].serial) continue;
            s->revoked = 1;
            if (s->suspended) {
                s->suspended = 0;
                MHD_resume_connection(s->conn);
            }
        }
        pthread_mutex_unlock(&mu);
    }
    free(cs);
}

static void *tick_main(void *arg)
{
    (void)arg;
    thread_name("tgr-sse");
    int64_t checked = mono_ms();
    for (;;) {
        /* With no stream open there is nothing to resume or check: a server nobody watches does
         * not wake four times a second for it. */
        pthread_mutex_lock(&mu);
        while (!streams && !stopping)
            pthread_cond_wait(&opened, &mu);
        pthread_mutex_unlock(&mu);
        struct timespec ts = {0, TICK_MS * 1000000L};
        nanosleep(&ts, NULL);
        if (mono_ms() - checked >= REVOKE_CHECK_MS) {
            checked = mono_ms();
            check_credentials();
        }
        pthread_mutex_lock(&mu);
        int stop = stopping;
        for (struct stream *s = streams; s; s = s->nextp) {
            if (s->suspended) {
                s->suspended = 0;
                MHD_resume_connection(s->conn);
            }
        }
        pthread_mutex_unlock(&mu);
        if (stop) return NULL;
    }
}

/* Whether the client has closed its end. A stream with nothing to say writes nothing, so without
 * this look a closed stream would keep its slot until its next keep-alive failed to send. A peek
 * takes nothing from the socket (bytes the client sent stay for MHD). */
static int peer_gone(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci) return 0;
    char c;
    ssize_t n = recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return 1;
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *s = cls;
    (void)pos;
    pthread_mutex_lock(&mu);
    int stop = stopping, revoked = s->revoked;
    pthread_mutex_unlock(&mu);
    if (stop) return MHD_CONTENT_READER_END_OF_STREAM;
    int64_t now = mono_ms();
    if (now >= s->ends_at || revoked) {
        /* Once, a comment saying why (for a person watching with curl), then the end. */
        const char *why = revoked ? REVOKED : EXPIRED;
        size_t len = strlen(why);
        if (s->said_end || max < len) return MHD_CONTENT_READER_END_OF_STREAM;
        s->said_end = 1;
        memcpy(buf, why, len);
        return (ssize_t)len;
    }
    long n = s->next(s->ctx, buf, max);
    if (n < 0) return MHD_CONTENT_READER_END_OF_STREAM;
    if (n == 0 && now - s->last_write >= s->keepalive_ms && max >= sizeof KEEPALIVE) {
        memcpy(buf, KEEPALIVE, sizeof KEEPALIVE - 1);
        n = (long)(sizeof KEEPALIVE - 1);
    }
    if (n > 0) {
        s->last_write = now;
        return n;
    }
    if (peer_gone(s->conn)) return MHD_CONTENT_READER_END_WITH_ERROR;
    /* Nothing to say: park the connection until the ticker wakes it. */
    pthread_mutex_lock(&mu);
    if (stopping) {
        pthread_mutex_unlock(&mu);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    s->suspended = 1;
    MHD_suspend_connection(s->conn);
    pthread_mutex_unlock(&mu);
    return 0;
}

/* Take s out of the list. Caller holds mu. */
static void unlink_stream(struct stream *s)
{
    if (s->prev)
        s->prev->nextp = s->nextp;
    else
        streams = s->nextp;
    if (s->nextp) s->nextp->prev = s->prev;
}

/* The response's free callback: MHD destroys the response when the request completes (the
 * stream ended, the client went away or the server stops), so the slot frees right then. */
static void stream_free(void *cls)
{
    struct stream *s = cls;
    pthread_mutex_lock(&mu);
    unlink_stream(s);
    pthread_mutex_unlock(&mu);
    if (s->ctx_free) s->ctx_free(s->ctx);
    free(s);
}

int sse_reply(struct req *r, sse_next_fn next, void *ctx, void (*ctx_free)(void *))
{
    const struct config *cfg = &r->app->cfg;
    struct stream *s = calloc(1, sizeof *s);
    if (!s) {
        ctx_free(ctx);
        return -1;
    }
    s->conn = r->conn;
    s->next = next;
    s->ctx = ctx;
    s->ctx_free = ctx_free;
    s->account_id = r->account_id;
    s->last_write = mono_ms();
    s->keepalive_ms = (int64_t)cfg->stream_keepalive * 1000;
    int64_t life_ms = (int64_t)cfg->stream_max_age * 1000;
    if (r->cred_exp > 0 && r->cred_exp * 1000 - now_ms() < life_ms) life_ms = r->cred_exp * 1000 - now_ms();
    s->ends_at = s->last_write + life_ms;
    s->store = r->app->store;
    s->token_gen = r->account.token_gen;
    memcpy(s->key_hash, r->cred_key_hash, sizeof s->key_hash);

    /* Count and take the slot in one step, so two streams opened at once cannot both be the
     * account's fifth. */
    int open = 0;
    pthread_mutex_lock(&mu);
    for (struct stream *p = streams; p; p = p->nextp)
        open += p->account_id == s->account_id;
    if (open < cfg->max_streams) {
        s->serial = ++serials;
        s->nextp = streams;
        if (streams)
            streams->prev = s;
        else
            pthread_cond_signal(&opened);
        streams = s;
    }
    pthread_mutex_unlock(&mu);
    if (open >= cfg->max_streams) {
        ctx_free(ctx);
        free(s);
        char wait[16];
        snprintf(wait, sizeof wait, "%d", cfg->stream_keepalive);
        reply_error(r, ERR_TOO_MANY_STREAMS, NULL,
                    "%d live logs are already open for this account; close one (another tab or window) first",
                    open);
        reply_header(r, "Retry-After", wait);
        return 0;
    }

    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, reader, s, stream_free);
    if (!resp) {
        pthread_mutex_lock(&mu);
        unlink_stream(s);
        pthread_mutex_unlock(&mu);
        ctx_free(ctx);
        free(s);
        return -1;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    r->resp = resp;
    r->status = 200;
    return 0;
}

int sse_init(void)
{
    stopping = 0;
    if (pthread_create(&ticker, NULL, tick_main, NULL) != 0) return -1;
    running = 1;
    return 0;
}

void sse_shutdown(void)
{
    if (!running) return;
    pthread_mutex_lock(&mu);
    stopping = 1;
    pthread_cond_signal(&opened);
    pthread_mutex_unlock(&mu);
    pthread_join(ticker, NULL); /* its last round resumed every parked stream */
    running = 0;
}
