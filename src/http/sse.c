/* sse — event streams with suspend/resume; see sse.h. */
#include "http/sse.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "http/server.h"

#define HEARTBEAT_MS 15000
#define TICK_MS 250

struct stream {
    struct MHD_Connection *conn;
    sse_next_fn next;
    void *ctx;
    void (*ctx_free)(void *);
    int suspended;
    int64_t last_write;
    struct stream *prev, *nextp;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct stream *streams;
static int stopping, running;
static pthread_t ticker;

static void *tick_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec ts = {0, TICK_MS * 1000000L};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&mu);
        int stop = stopping;
        for (struct stream *s = streams; s; s = s->nextp) {
            if (s->suspended) {
                s->suspended = 0;
                MHD_resume_connection(s->conn);
            }
        }
        pthread_mutex_unlock(&mu);
        if (stop)
            return NULL;
    }
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *s = cls;
    (void)pos;
    pthread_mutex_lock(&mu);
    int stop = stopping;
    pthread_mutex_unlock(&mu);
    if (stop)
        return MHD_CONTENT_READER_END_OF_STREAM;
    long n = s->next(s->ctx, buf, max);
    if (n < 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    int64_t now = mono_ms();
    if (n == 0 && now - s->last_write >= HEARTBEAT_MS && max >= 9) {
        memcpy(buf, ": ping\n\n", 8);
        n = 8;
    }
    if (n > 0) {
        s->last_write = now;
        return n;
    }
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

static void stream_free(void *cls)
{
    struct stream *s = cls;
    pthread_mutex_lock(&mu);
    if (s->prev)
        s->prev->nextp = s->nextp;
    else
        streams = s->nextp;
    if (s->nextp)
        s->nextp->prev = s->prev;
    pthread_mutex_unlock(&mu);
    if (s->ctx_free)
        s->ctx_free(s->ctx);
    free(s);
}

int sse_reply(struct req *r, sse_next_fn next, void *ctx, void (*ctx_free)(void *))
{
    struct stream *s = calloc(1, sizeof *s);
    if (!s) {
        ctx_free(ctx);
        return -1;
    }
    s->conn = r->conn;
    s->next = next;
    s->ctx = ctx;
    s->ctx_free = ctx_free;
    s->last_write = mono_ms();
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, reader, s, stream_free);
    if (!resp) {
        ctx_free(ctx);
        free(s);
        return -1;
    }
    pthread_mutex_lock(&mu);
    s->nextp = streams;
    if (streams)
        streams->prev = s;
    streams = s;
    pthread_mutex_unlock(&mu);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    r->resp = resp;
    r->status = 200;
    return 0;
}

int sse_init(void)
{
    stopping = 0;
    if (pthread_create(&ticker, NULL, tick_main, NULL) != 0)
        return -1;
    running = 1;
    return 0;
}

void sse_shutdown(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&mu);
    stopping = 1;
    pthread_mutex_unlock(&mu);
    pthread_join(ticker, NULL); /* its last round resumed every parked stream */
    running = 0;
}
