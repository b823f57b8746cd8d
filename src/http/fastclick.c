/* fastclick — GET /t/:code answered in front of libmicrohttpd; see fastclick.h for what it owns.
 *
 * Why: a click through libmicrohttpd cost twice nginx's CPU (docs/DECISIONS.md 81: its 32 KiB
 * memory pool cleared per request, its reply headers each allocated and copied, its header
 * lists), for a reply that is a few hundred fixed bytes and a Location. Here a click costs one
 * peek, one read of exactly its bytes and one send; nothing is allocated per request (the reply is
 * written into a stack buffer).
 *
 * Threads: cfg.threads, as many as libmicrohttpd's pool; each has its own epoll set with the
 * listen socket (EPOLLEXCLUSIVE: one thread is woken per connection) and the connections it
 * accepted, edge-triggered: a peek that finds half a request waits for the next bytes to arrive.
 * A connection lives on the thread that accepted it until it is closed or handed over, so a
 * connection's state is touched by one thread only. The counts of the limits are shared (a
 * mutex, taken once per connection, never per request). */
#include "http/fastclick.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "http/metrics.h"
#include "http/server.h"
#include "http/track.h"

/* ---- the request parser ----------------------------------------------------------------- */

static int is_code_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* RFC 9110 tchar: the characters of a header name. */
static int is_tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int name_is(const char *p, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

/* The request line: "GET /t/<code> HTTP/1.1". @return 1 when it is a click's */
static int request_line(const char *p, size_t n, struct fastclick_req *out)
{
    size_t m;
    if (n > 4 && memcmp(p, "GET ", 4) == 0) {
        m = 4;
        out->head = 0;
    } else if (n > 5 && memcmp(p, "HEAD ", 5) == 0) {
        m = 5;
        out->head = 1;
    } else {
        return 0;
    }
    if (n - m < 3 || memcmp(p + m, "/t/", 3) != 0) return 0;
    m += 3;
    size_t c = 0;
    while (m < n && is_code_char((unsigned char)p[m]) && c + 1 < sizeof out->code)
        out->code[c++] = p[m++];
    out->code[c] = 0;
    if (c == 0 || n - m != 9 || memcmp(p + m, " HTTP/1.", 8) != 0) return 0;
    if (p[m + 8] != '1' && p[m + 8] != '0') return 0;
    out->http10 = p[m + 8] == '0';
    return 1;
}

/* Whether the first n bytes of an unfinished request line could still become a click's. */
static int could_be_click(const char *p, size_t n)
{
    static const char get[] = "GET /t/", head[] = "HEAD /t/";
    size_t g = n < sizeof get - 1 ? n : sizeof get - 1, h = n < sizeof head - 1 ? n : sizeof head - 1;
    return memcmp(p, get, g) == 0 || memcmp(p, head, h) == 0;
}

/* One header line (without its CRLF). @return 1 when a click may carry it */
static int header_line(const char *p, size_t n, struct fastclick_req *out, int *conn_seen)
{
    size_t k = 0;
    while (k < n && is_tchar((unsigned char)p[k]))
        k++;
    if (k == 0 || k == n || p[k] != ':') return 0; /* no name, or a space before the colon, or a fold */
    const char *v = p + k + 1, *e = p + n;
    for (const char *q = v; q < e; q++)
        if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f) return 0;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    size_t vn = (size_t)(e - v);
    switch (p[0] | 0x20) { /* only the names a click looks at are compared in full */
    case 'c':
        if (name_is(p, k, "Content-Length")) return vn == 1 && v[0] == '0';
        if (name_is(p, k, "Connection")) {
            if ((*conn_seen)++) return 0;
            if (vn == 5 && strncasecmp(v, "close", 5) == 0)
                out->conn = FASTCLICK_CONN_CLOSE;
            else if (vn == 10 && strncasecmp(v, "keep-alive", 10) == 0)
                out->conn = FASTCLICK_CONN_KEEP_ALIVE;
            else
                return 0;
        }
        return 1;
    case 'e':
        return !name_is(p, k, "Expect");
    case 't':
        return !name_is(p, k, "Transfer-Encoding");
    case 'u':
        if (name_is(p, k, "Upgrade")) return 0;
        if (!out->ua && name_is(p, k, "User-Agent")) {
            out->ua = v;
            out->ua_len = vn;
        }
        return 1;
    case 'x':
        if (name_is(p, k, "X-Forwarded-For")) xff_add(&out->xff, v, vn);
        return 1;
    default:
        return 1;
    }
}

enum fastclick_verdict fastclick_parse(const char *buf, size_t n, struct fastclick_req *out)
{
    out->len = 0;
    out->conn = FASTCLICK_CONN_NONE;
    out->ua = NULL;
    out->ua_len = 0;
    out->xff.len = 0;
    out->xff.seen = out->xff.cut = 0;
    out->xff.text[0] = 0;
    if (n > FASTCLICK_BUF) n = FASTCLICK_BUF;
    const char *p = buf, *end = buf + n;
    int line = 0, conn_seen = 0;
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            if (n == FASTCLICK_BUF) return FASTCLICK_OTHER; /* longer than the buffer */
            if (line == 0 && !could_be_click(p, (size_t)(end - p))) return FASTCLICK_OTHER;
            return FASTCLICK_MORE;
        }
        if (nl == p || nl[-1] != '\r') return FASTCLICK_OTHER; /* a bare LF: libmicrohttpd's reading */
        size_t len = (size_t)(nl - 1 - p);
        if (line == 0) {
            if (!request_line(p, len, out)) return FASTCLICK_OTHER;
        } else if (len == 0) {
            out->len = (size_t)(nl + 1 - buf);
            return FASTCLICK_MINE;
        } else if (!header_line(p, len, out, &conn_seen)) {
            return FASTCLICK_OTHER;
        }
        line++;
        p = nl + 1;
    }
}

int fastclick_keep_alive(const struct fastclick_req *r)
{
    if (r->http10) return r->conn == FASTCLICK_CONN_KEEP_ALIVE;
    return r->conn != FASTCLICK_CONN_CLOSE;
}

/* ---- connection limits ------------------------------------------------------------------ */

/* Open connections per client address (the peer; an IPv4 address as its IPv4-mapped IPv6 form),
 * in an open-addressing table with linear probing; an entry whose count falls to 0 is removed by
 * shifting the entries after it back (no tombstones). */
struct ipslot {
    unsigned char a[16];
    int n; /* 0: free */
};

struct slots {
    pthread_mutex_t mu;
    int total; /* written under mu, atomically: slots_full reads it without */
    int max_total, max_ip;
    struct ipslot *tab;
    size_t mask;
};

static void addr_key(const struct sockaddr *sa, unsigned char key[16])
{
    memset(key, 0, 16);
    if (sa && sa->sa_family == AF_INET) {
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    }
}

static size_t slot_hash(const unsigned char key[16])
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (int i = 0; i < 16; i++)
        h = (h ^ key[i]) * 1099511628211ull;
    return (size_t)h;
}

/* The entry of key, or the free one where it would go. Never full: the table has room for twice
 * the connections there can be. */
static struct ipslot *slot_find(struct slots *s, const unsigned char key[16])
{
    size_t i = slot_hash(key) & s->mask;
    while (s->tab[i].n && memcmp(s->tab[i].a, key, 16) != 0)
        i = (i + 1) & s->mask;
    return &s->tab[i];
}

static void slot_drop(struct slots *s, struct ipslot *e)
{
    if (--e->n > 0) return;
    size_t i = (size_t)(e - s->tab), j = i;
    for (;;) { /* shift back the entries of the run after i that may live at i */
        j = (j + 1) & s->mask;
        if (!s->tab[j].n) break;
        size_t home = slot_hash(s->tab[j].a) & s->mask;
        if (((j - home) & s->mask) >= ((j - i) & s->mask)) {
            s->tab[i] = s->tab[j];
            s->tab[j].n = 0;
            i = j;
        }
    }
}

/* Count a connection from peer. @return 1 counted, 0 refused (the per-address limit) */
static int slots_take(struct slots *s, const struct sockaddr *peer)
{
    unsigned char key[16];
    addr_key(peer, key);
    pthread_mutex_lock(&s->mu);
    struct ipslot *e = slot_find(s, key);
    int ok = !s->max_ip || e->n < s->max_ip;                   /* 0: no per-address limit */
    if (ok && (s->total + 1) * 2 > (int)(s->mask + 1)) ok = 0; /* past twice the limit: never */
    if (ok) {
        if (!e->n) memcpy(e->a, key, 16);
        e->n++;
        __atomic_add_fetch(&s->total, 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&s->mu);
    return ok;
}

static void slots_give(struct slots *s, const struct sockaddr *peer)
{
    unsigned char key[16];
    addr_key(peer, key);
    pthread_mutex_lock(&s->mu);
    struct ipslot *e = slot_find(s, key);
    if (e->n) {
        slot_drop(s, e);
        __atomic_sub_fetch(&s->total, 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&s->mu);
}

static int slots_full(struct slots *s)
{
    return __atomic_load_n(&s->total, __ATOMIC_RELAXED) >= s->max_total;
}

/* ---- connections ------------------------------------------------------------------------ */

struct conn {
    int fd;
    struct conn *prev, *next;   /* the thread's connections, least recently active first */
    struct conn *rprev, *rnext; /* on the thread's ready list (rnext not NULL), see on_readable */
    int64_t active_ms;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char peer[CLIENTIP_MAX];
    char *out; /* the rest of a reply the socket did not take at once (malloc'd), or NULL */
    size_t out_len, out_off;
    int close_after; /* close once out is sent */
    int hup;         /* the client shut its side (an edge, seen once: kept until it is acted on) */
};

struct worker {
    struct fastclick *fc;
    pthread_t thread;
    int ep;
    int listening;        /* the listen socket is in ep */
    int64_t accept_at_ms; /* not before this time is it put back (accept ran out of descriptors) */
    struct conn list;     /* sentinel of the list */
    struct conn ready;    /* sentinel of the ready list: connections with requests left unanswered */
    int ready_n;
    int64_t swept_ms;
    time_t date_at; /* the second date was written for */
    char date[32];
    char buf[FASTCLICK_BUF];
};

struct fastclick {
    struct fastclick_conf conf;
    int threads, timeout_ms;
    int stop_fd; /* eventfd: readable when the threads must stop */
    int quiesced;
    int64_t accept_logged_ms; /* when accept's running out of descriptors was last logged */
    struct slots slots;
    struct worker *workers;
    /* The 302's bytes around the Date, the Connection header and the Location. */
    char tail[512];
    size_t tail_len;
};

static void list_remove(struct conn *c)
{
    c->prev->next = c->next;
    c->next->prev = c->prev;
}

static void list_append(struct worker *w, struct conn *c)
{
    c->prev = w->list.prev;
    c->next = &w->list;
    w->list.prev->next = c;
    w->list.prev = c;
}

static void ready_add(struct worker *w, struct conn *c)
{
    if (c->rnext) return;
    c->rprev = w->ready.rprev;
    c->rnext = &w->ready;
    w->ready.rprev->rnext = c;
    w->ready.rprev = c;
    w->ready_n++;
}

static void ready_remove(struct worker *w, struct conn *c)
{
    if (!c->rnext) return;
    c->rprev->rnext = c->rnext;
    c->rnext->rprev = c->rprev;
    c->rnext = c->rprev = NULL;
    w->ready_n--;
}

static void conn_close(struct worker *w, struct conn *c)
{
    ready_remove(w, c);
    w->accept_at_ms = 0; /* a descriptor is free: accept may have one again */
    list_remove(c);
    /* Out of the epoll set first: a copy of the descriptor (a child spawned meanwhile holds one
     * until its exec) keeps the registration alive after close, and its events would carry c. */
    epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    slots_give(&w->fc->slots, (struct sockaddr *)&c->addr);
    free(c->out);
    free(c);
}

/* The connection is libmicrohttpd's from now on: its next request is still unread. It stays
 * counted against the limits until libmicrohttpd reports it closed (fastclick_conn_closed): a
 * connection handed over is never uncounted for a moment, in which a client could open one more. */
static void hand_over(struct worker *w, struct conn *c)
{
    epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
    list_remove(c);
    ready_remove(w, c);
    if (MHD_add_connection(w->fc->conf.mhd, c->fd, (struct sockaddr *)&c->addr, c->addrlen) != MHD_YES) {
        log_debug("http", "a connection could not be handed to libmicrohttpd: %s", strerror(errno));
        slots_give(&w->fc->slots, (struct sockaddr *)&c->addr); /* it closed the socket */
    }
    free(c);
}

/* ---- replies ---------------------------------------------------------------------------- */

/* "Thu, 03 Dec 2026 07:22:05 GMT", as libmicrohttpd writes its Date header; once a second. */
static const char *http_date(struct worker *w)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(NULL);
    if (now != w->date_at) {
        struct tm tm;
        gmtime_r(&now, &tm);
        snprintf(w->date, sizeof w->date, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
                 tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        w->date_at = now;
    }
    return w->date;
}

static size_t put(char *out, size_t at, size_t cap, const char *s, size_t n)
{
    if (at + n > cap) return cap + 1; /* never fits: the caller checks */
    memcpy(out + at, s, n);
    return at + n;
}

/* The 302 of a found link, as the route handler's reply through libmicrohttpd: status line,
 * Date, Connection (when libmicrohttpd adds one), Content-Type, Location, Cache-Control, the
 * common headers, Content-Length. @return its length, 0 when it does not fit */
static size_t redirect_reply(struct worker *w, const struct fastclick_req *r, const char *loc, char *out,
                             size_t cap)
{
    static const char status[] = "HTTP/1.1 302 Found\r\nDate: ";
    static const char close_h[] = "\r\nConnection: close", keep_h[] = "\r\nConnection: Keep-Alive";
    static const char ctype[] = "\r\nContent-Type: " TRACK_CONTENT_TYPE "\r\nLocation: ";
    size_t at = put(out, 0, cap, status, sizeof status - 1);
    const char *date = http_date(w);
    at = put(out, at, cap, date, strlen(date));
    if (r->conn == FASTCLICK_CONN_CLOSE || (r->http10 && !fastclick_keep_alive(r)))
        at = put(out, at, cap, close_h, sizeof close_h - 1);
    else if (r->http10)
        at = put(out, at, cap, keep_h, sizeof keep_h - 1);
    at = put(out, at, cap, ctype, sizeof ctype - 1);
    at = put(out, at, cap, loc, strlen(loc));
    at = put(out, at, cap, w->fc->tail, w->fc->tail_len);
    return at > cap ? 0 : at;
}

/* ---- serving ---------------------------------------------------------------------------- */

static void watch(struct worker *w, struct conn *c, int op, int out)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (out ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(w->ep, op, c->fd, &ev);
}

/* Send what is left of c->out. @return 1 when all of it is sent, 0 when the socket is full, -1
 * when the connection is gone */
static int flush_out(struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t k = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        if (k <= 0) return -1;
        c->out_off += (size_t)k;
    }
    free(c->out);
    c->out = NULL;
    return 1;
}

/* Send a reply; what the socket does not take now waits in c->out for EPOLLOUT.
 * @return 1 sent, 0 waiting, -1 the connection is gone */
static int send_reply(struct worker *w, struct conn *c, const char *reply, size_t len)
{
    size_t sent = 0;
    while (sent < len) {
        ssize_t k = send(c->fd, reply + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (k <= 0) return -1;
        sent += (size_t)k;
    }
    if (sent == len) return 1;
    c->out = malloc(len - sent); /* a client that does not read its replies: not the hot path */
    if (!c->out) return -1;
    memcpy(c->out, reply + sent, len - sent);
    c->out_len = len - sent;
    c->out_off = 0;
    watch(w, c, EPOLL_CTL_MOD, 1);
    return 0;
}

/* Answer one click whose bytes are at the start of w->buf.
 * @return 1 answered (and its bytes consumed), 0 libmicrohttpd must answer it, -1 close */
static int answer(struct worker *w, struct conn *c, struct fastclick_req *r)
{
    struct fastclick *fc = w->fc;
    struct app *app = fc->conf.app;
    int64_t t0 = mono_us();
    char ip[CLIENTIP_MAX], reply[CLICKS_LOCATION_MAX + 1024];
    struct track_link link;
    const char *client = c->peer;
    if (proxy_set_count(fc->conf.proxies)) {
        client_address(fc->conf.proxies, c->peer,
                       proxy_set_contains(fc->conf.proxies, c->peer) ? xff_value(&r->xff) : NULL, ip,
                       sizeof ip);
        client = ip;
    }
    __atomic_fetch_add(fc->conf.in_flight, 1, __ATOMIC_SEQ_CST);
    int found = track_find(app, r->code, &link);
    size_t len = 0;
    /* The 404 page and the 503 are libmicrohttpd's (rare, and its bytes are then its own; such a
     * code is decoded twice), and so is a Location it would refuse (a line break; link URLs never
     * have one). Nothing is counted before the reply is built and the request read: a click
     * handed over is counted by the handler, once. */
    if (found == 1 && !strpbrk(link.loc, "\r\n")) len = redirect_reply(w, r, link.loc, reply, sizeof reply);
    if (!len) {
        __atomic_fetch_sub(fc->conf.in_flight, 1, __ATOMIC_SEQ_CST);
        return 0;
    }
    int keep = fastclick_keep_alive(r);
    ssize_t k;
    do
        k = recv(c->fd, w->buf, r->len, MSG_DONTWAIT); /* the request's bytes, peeked before */
    while (k < 0 && errno == EINTR);
    int rc = -1;
    if (k == (ssize_t)r->len) {
        track_count(app, &link, !r->head, r->ua, r->ua_len, client);
        metrics_observe(app->metrics, fc->conf.route_idx, 302, mono_us() - t0);
        rc = send_reply(w, c, reply, len);
    }
    __atomic_fetch_sub(fc->conf.in_flight, 1, __ATOMIC_SEQ_CST);
    if (rc < 0) return -1;
    if (!keep) {
        if (rc == 0) {
            c->close_after = 1;
            return 1;
        }
        return -1;
    }
    return 1;
}

/* The connection made progress (bytes came, or some of a reply went out): not idle. */
static void touch(struct worker *w, struct conn *c)
{
    c->active_ms = mono_ms();
    list_remove(c); /* to the end: the idle sweep starts from the least recently active */
    list_append(w, c);
}

/* The connection has bytes (or news): answer its clicks, in order, until it has no complete
 * request left, or hand it over at the first request that is not one. hup: the client has shut
 * its side, so half a request never becomes whole: the connection is closed without a reply, as
 * libmicrohttpd closes it. (Not handed over: the client's end is already in the socket, and
 * libmicrohttpd, edge-triggered, would not look again after reading the half before it.)
 * At most FASTCLICK_BATCH requests are answered at a time: a client pipelining many does not
 * hold up the thread's other connections; it goes on the ready list, served after them. */
static void on_readable(struct worker *w, struct conn *c, int hup)
{
    enum { FASTCLICK_BATCH = 16 };
    for (int answered = 0;; answered++) {
        if (c->out) return; /* the last reply is still going out: the next request waits */
        if (answered == FASTCLICK_BATCH) {
            ready_add(w, c); /* edge-triggered: no event would come for the bytes already there */
            return;
        }
        ssize_t n;
        do
            n = recv(c->fd, w->buf, sizeof w->buf, MSG_PEEK | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) {
            conn_close(w, c); /* closed by the client, or broken */
            return;
        }
        touch(w, c);
        struct fastclick_req r;
        enum fastclick_verdict v = fastclick_parse(w->buf, (size_t)n, &r);
        if (v == FASTCLICK_MORE) {
            if (!hup) return; /* the rest wakes us (edge-triggered) */
            /* Read first: a socket closed with unread bytes would reset the connection. */
            if (recv(c->fd, w->buf, (size_t)n, MSG_DONTWAIT) < 0)
                log_debug("http", "recv: %s", strerror(errno));
            conn_close(w, c);
            return;
        }
        int rc = v == FASTCLICK_MINE ? answer(w, c, &r) : 0;
        if (rc == 0) {
            hand_over(w, c);
            return;
        }
        if (rc < 0) {
            conn_close(w, c);
            return;
        }
        if (c->close_after) return;
        if ((size_t)n == r.len && r.len < sizeof w->buf)
            return; /* nothing more had come: new bytes wake us */
    }
}

static void on_writable(struct worker *w, struct conn *c)
{
    if (!c->out) return;
    size_t off = c->out_off;
    int rc = flush_out(c);
    if (rc < 0 || (rc > 0 && c->close_after)) {
        conn_close(w, c);
        return;
    }
    if (rc > 0 || c->out_off > off) touch(w, c); /* a slow reader is not an idle one */
    if (rc == 0) return;
    watch(w, c, EPOLL_CTL_MOD, 0);
    on_readable(w, c, c->hup); /* requests that came while the reply was going out */
}

static void listen_watch(struct worker *w, int on)
{
    struct fastclick *fc = w->fc;
    if (on == w->listening) return;
    if (on) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = NULL};
        if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fc->conf.listen_fd, &ev) != 0) return;
    } else {
        epoll_ctl(w->ep, EPOLL_CTL_DEL, fc->conf.listen_fd, NULL);
    }
    w->listening = on;
}

/* accept failed for want of a descriptor or memory. The client stays in the listen queue, whose
 * socket stays readable: watched (level-triggered), it would wake the thread at once, for ever.
 * So it is not watched for 100 ms, or until a connection of this thread closes, and the failure
 * is logged at most once every 10 s. */
static void out_of_fds(struct worker *w, int err)
{
    struct fastclick *fc = w->fc;
    int64_t now = mono_ms(), last = __atomic_load_n(&fc->accept_logged_ms, __ATOMIC_RELAXED);
    listen_watch(w, 0);
    w->accept_at_ms = now + 100;
    if ((last == 0 || now - last >= 10000) &&
        __atomic_compare_exchange_n(&fc->accept_logged_ms, &last, now, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        log_warn("http", "accept: %s; new connections wait until some close (--max-connections %d)",
                 strerror(err), fc->slots.max_total);
}

static void on_accept(struct worker *w)
{
    struct fastclick *fc = w->fc;
    for (int i = 0; i < 64; i++) {
        if (slots_full(&fc->slots)) {
            listen_watch(w, 0); /* clients wait in the listen queue; see the loop */
            return;
        }
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(fc->conf.listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                out_of_fds(w, errno);
            return;
        }
        if (!slots_take(&fc->slots, (struct sockaddr *)&ss)) {
            close(fd); /* past --max-connections-per-ip: there is no request to answer yet */
            continue;
        }
        struct conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            slots_give(&fc->slots, (struct sockaddr *)&ss);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* replies go out whole */
        c->fd = fd;
        c->addr = ss;
        c->addrlen = sl;
        client_peer_text((struct sockaddr *)&ss, c->peer);
        c->active_ms = mono_ms();
        list_append(w, c);
        watch(w, c, EPOLL_CTL_ADD, 0);
        on_readable(w, c, 0); /* a request may be there already */
    }
}

/* Close the connections idle for longer than --request-timeout (libmicrohttpd's rule). */
static void sweep(struct worker *w, int64_t now)
{
    while (w->list.next != &w->list && now - w->list.next->active_ms > w->fc->timeout_ms)
        conn_close(w, w->list.next);
    w->swept_ms = now;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct fastclick *fc = w->fc;
    struct epoll_event evs[64];
    for (;;) {
        int quiesced = __atomic_load_n(&fc->quiesced, __ATOMIC_SEQ_CST);
        if (quiesced)
            listen_watch(w, 0); /* a shut-down listen socket would wake the loop for ever */
        else if (!w->listening && !slots_full(&fc->slots) && mono_ms() >= w->accept_at_ms)
            listen_watch(w, 1);
        int n = epoll_wait(w->ep, evs, 64, w->ready_n ? 0 : w->listening || quiesced ? 1000 : 50);
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == fc) return NULL; /* stop_fd */
            if (!p) {
                if (__atomic_load_n(&fc->quiesced, __ATOMIC_SEQ_CST))
                    listen_watch(w, 0);
                else
                    on_accept(w);
                continue;
            }
            struct conn *c = p;
            if (evs[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->hup = 1;
            if (c->out)
                on_writable(w, c); /* then its reads, once the reply is out */
            else
                on_readable(w, c, c->hup);
        }
        for (int k = w->ready_n; k > 0 && w->ready.rnext != &w->ready; k--) { /* each once a turn */
            struct conn *c = w->ready.rnext;
            ready_remove(w, c);
            on_readable(w, c, c->hup);
        }
        int64_t now = mono_ms();
        if (now - w->swept_ms >= 1000) sweep(w, now);
    }
}

/* ---- start / stop ----------------------------------------------------------------------- */

/* Stop the threads (fc->threads of them run) and close the connections they hold; the slot table
 * stays, for libmicrohttpd's closes (fastclick_conn_closed) until fastclick_free. */
static void halt(struct fastclick *fc)
{
    uint64_t one = 1;
    if (write(fc->stop_fd, &one, sizeof one) < 0) log_warn("http", "cannot stop the click path's threads");
    for (int i = 0; i < fc->threads; i++) {
        struct worker *w = &fc->workers[i];
        pthread_join(w->thread, NULL);
        while (w->list.next != &w->list)
            conn_close(w, w->list.next);
        close(w->ep);
    }
    fc->threads = 0;
}

/* Each connection is a descriptor: raise the soft limit to the hard one, and warn when
 * --max-connections does not fit under it with room for the rest of the server (its database,
 * files, the bridge's pipes). Past the limit accept fails and clients wait (out_of_fds). */
static void fd_limit(int max_connections)
{
    enum { RESERVE = 128 };
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)max_connections + RESERVE > rl.rlim_cur)
        log_warn("http",
                 "--max-connections %d needs about %d descriptors, but the limit (RLIMIT_NOFILE) is %llu",
                 max_connections, max_connections + RESERVE, (unsigned long long)rl.rlim_cur);
}

struct fastclick *fastclick_start(const struct fastclick_conf *conf, char *err, size_t errlen)
{
    struct app *app = conf->app;
    struct fastclick *fc = calloc(1, sizeof *fc);
    if (!fc) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    fc->conf = *conf;
    fc->threads = app->cfg.threads;
    fc->timeout_ms = app->cfg.request_timeout * 1000;
    static const char cache[] = "\r\nCache-Control: " TRACK_CACHE_CONTROL "\r\n";
    static const char length[] = "Content-Length: 0\r\n\r\n";
    memcpy(fc->tail, cache, sizeof cache - 1);
    size_t common = http_common_headers_text(0, fc->tail + sizeof cache - 1,
                                             sizeof fc->tail - sizeof cache - sizeof length);
    fc->tail_len = sizeof cache - 1 + common;
    memcpy(fc->tail + fc->tail_len, length, sizeof length - 1);
    fc->tail_len += sizeof length - 1;
    fd_limit(app->cfg.max_connections);
    fc->slots.max_total = app->cfg.max_connections;
    fc->slots.max_ip = app->cfg.max_connections_per_ip;
    size_t cap = 64;
    while (cap < (size_t)app->cfg.max_connections * 4)
        cap *= 2;
    fc->slots.mask = cap - 1;
    fc->slots.tab = calloc(cap, sizeof *fc->slots.tab);
    fc->workers = calloc((size_t)fc->threads, sizeof *fc->workers);
    fc->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!common || !fc->slots.tab || !fc->workers || fc->stop_fd < 0) {
        snprintf(err, errlen, "cannot start the click path: %s",
                 common ? strerror(errno) : "headers too long");
        if (fc->stop_fd >= 0) close(fc->stop_fd);
        free(fc->slots.tab);
        free(fc->workers);
        free(fc);
        return NULL;
    }
    pthread_mutex_init(&fc->slots.mu, NULL);
    for (int i = 0; i < fc->threads; i++) {
        struct worker *w = &fc->workers[i];
        w->fc = fc;
        w->list.next = w->list.prev = &w->list;
        w->ready.rnext = w->ready.rprev = &w->ready;
        w->ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = fc};
        if (w->ep < 0 || epoll_ctl(w->ep, EPOLL_CTL_ADD, fc->stop_fd, &ev) != 0 ||
            pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            snprintf(err, errlen, "cannot start the click path's threads");
            if (w->ep >= 0) close(w->ep);
            fc->threads = i;
            halt(fc);
            fastclick_free(fc);
            return NULL;
        }
        pthread_setname_np(w->thread, "tgr-click");
    }
    return fc;
}

void fastclick_quiesce(struct fastclick *fc)
{
    if (!fc || __atomic_exchange_n(&fc->quiesced, 1, __ATOMIC_SEQ_CST)) return;
    /* A listening socket shut down refuses new connections; the threads then drop it from their
     * epoll sets. */
    shutdown(fc->conf.listen_fd, SHUT_RDWR);
}

void fastclick_stop(struct fastclick *fc)
{
    if (!fc || fc->conf.listen_fd < 0) return;
    fastclick_quiesce(fc);
    halt(fc);
    close(fc->conf.listen_fd);
    fc->conf.listen_fd = -1;
}

void fastclick_free(struct fastclick *fc)
{
    if (!fc) return;
    close(fc->stop_fd);
    pthread_mutex_destroy(&fc->slots.mu);
    free(fc->slots.tab);
    free(fc->workers);
    free(fc);
}

void fastclick_conn_closed(struct fastclick *fc, const struct sockaddr *peer)
{
    if (fc) slots_give(&fc->slots, peer);
}
