/* fastclick — the fast path of GET /t/:code in front of libmicrohttpd (issue 21 item 1,
 * docs/DECISIONS.md 81). It owns the listen socket, every connection until its first request that
 * is not a plain click, and the connection limits of the whole server.
 *
 * Its threads accept the connections and, for each readable one, PEEK at the next request. A
 * complete, plain click — GET or HEAD of /t/<code> (the code's own characters only: no query,
 * no escapes), HTTP/1.0 or 1.1, its header block whole within FASTCLICK_BUF bytes, CRLF line ends,
 * no body (no Content-Length but 0, no Transfer-Encoding), no Expect or Upgrade, at most one
 * Connection header saying "close" or "keep-alive" — is consumed and, when its link is found,
 * answered here with the 302 the route handler sends, byte for byte (track_click(), http/track.h).
 * Anything else — another route, a request the buffer cannot hold, a body, a link that is not
 * found (the 404 page) or a database that is not available (the 503) — is handed to libmicrohttpd
 * (MHD_add_connection) with its bytes still unread in the socket, at a request boundary, and
 * the connection is libmicrohttpd's from then on. Requests of a connection are answered one at a
 * time, in order.
 *
 * Limits: --max-connections and --max-connections-per-ip count the connections of both sides
 * (one handed over stays counted until libmicrohttpd's callback calls fastclick_conn_closed): past
 * the total the threads stop accepting, and clients wait in the kernel's listen queue; past the
 * per-address limit a new connection is accepted and closed at once. A connection held here that
 * is idle for --request-timeout seconds (between requests, or mid-request) is closed.
 * Layer: http. */
#ifndef TGR_FASTCLICK_H
#define TGR_FASTCLICK_H

#include <stddef.h>
#include <sys/socket.h>

#include "core/links.h"
#include "http/clientip.h"

/* The most of a request the fast path reads (its request line and headers); a longer one is
 * libmicrohttpd's. At most --max-header-bytes' least value, so that nothing it answers would
 * have been a 431. */
#define FASTCLICK_BUF 8192

enum fastclick_verdict {
    FASTCLICK_MINE,  /* a complete plain click: out is filled */
    FASTCLICK_MORE,  /* it may be one, but not all of it has come */
    FASTCLICK_OTHER, /* not one: libmicrohttpd's */
};

enum fastclick_conn_header { FASTCLICK_CONN_NONE, FASTCLICK_CONN_CLOSE, FASTCLICK_CONN_KEEP_ALIVE };

struct fastclick_req {
    size_t len; /* bytes of the request (its request line and header block; it has no body) */
    int head;   /* HEAD: redirected, never counted */
    int http10;
    enum fastclick_conn_header conn;
    char code[LINK_CODE_MAX];
    const char *ua; /* the first User-Agent's value (in the parsed bytes), NULL when none */
    size_t ua_len;
    struct xff xff; /* every X-Forwarded-For, joined */
};

/* Read the request at the start of buf[0..n) (n <= FASTCLICK_BUF; buf needs no NUL). */
enum fastclick_verdict fastclick_parse(const char *buf, size_t n, struct fastclick_req *out);

/* Whether the connection stays open after the reply to r (HTTP/1.1 unless "close", HTTP/1.0 only
 * with "keep-alive"), as libmicrohttpd decides it. */
int fastclick_keep_alive(const struct fastclick_req *r);

struct app;
struct proxy_set;
struct MHD_Daemon;
struct fastclick;

struct fastclick_conf {
    struct app *app;
    int listen_fd;          /* listening, non-blocking; owned by the fast path from start */
    struct MHD_Daemon *mhd; /* started with MHD_USE_NO_LISTEN_SOCKET: takes what is handed over */
    const struct proxy_set *proxies;
    int *in_flight; /* the server's count of requests between dispatch and reply */
    int route_idx;  /* GET /t/:code in app->routes, for the metrics */
};

/* Start cfg.threads threads serving conf->listen_fd.
 * @return the fast path, or NULL with a reason in err (listen_fd is then still the caller's) */
struct fastclick *fastclick_start(const struct fastclick_conf *conf, char *err, size_t errlen);

/* Stop accepting (the listen socket stops listening); connections held go on being served. */
void fastclick_quiesce(struct fastclick *fc);

/* Stop the threads, close the connections held here and the listen socket. Before
 * MHD_stop_daemon, whose threads the fast path's hand connections to; the limits' counts stay, for
 * the closes MHD_stop_daemon reports (fastclick_conn_closed), until fastclick_free. */
void fastclick_stop(struct fastclick *fc);

/* Free the fast path, stopped (fastclick_stop). After MHD_stop_daemon: nothing may call
 * fastclick_conn_closed any more. */
void fastclick_free(struct fastclick *fc);

/* A connection handed to libmicrohttpd is closed (its connection callback): its slot is free. */
void fastclick_conn_closed(struct fastclick *fc, const struct sockaddr *peer);

#endif
