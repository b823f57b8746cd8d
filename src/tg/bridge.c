/* bridge — child process, pipes, request/response matching, deadlines, restarts, and how long
 * each request took (HIST_BRIDGE, base/counters.h); see bridge.h.
 *
 * All state below `mu` is shared between callers and the I/O thread. The I/O thread reads the
 * pipes and is the only one that opens and closes them; a caller whose request has nothing queued
 * before it writes it to the child's stdin itself (non-blocking, under mu), and otherwise appends
 * to the output buffer and pokes the wake pipe. */
#include "base/counters.h"
#include "tg/bridge.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/jsonout.h"
#include "base/log.h"
#include "base/util.h"

extern char **environ;

#define LINE_MAX_BYTES (64u * 1024 * 1024)
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000

struct pending {
    int64_t id;
    int64_t deadline; /* mono ms */
    int64_t t0_us;    /* mono µs when it was called, and its op (HIST_BRIDGE's label) */
    size_t op;
    bridge_done_fn done;
    void *arg;
    struct pending *next;
};

struct buf {
    char *p;
    size_t len, cap;
};

struct bridge {
    struct bridge_opts opts;
    char *node, *script, *backend, *scenario;
    bridge_event_fn on_event;
    void *ctx;

    pthread_t thread;
    pthread_mutex_t mu;
    int wake[2];
    int stopping;
    int64_t next_id;
    struct pending *pending;
    struct buf out; /* request lines not yet written to the child */

    /* I/O thread only (pid is also read by bridge_pid under mu; in_fd is set and closed under mu
     * and written to by callers under it) */
    pid_t pid;
    int in_fd, out_fd, err_fd;
    struct buf rd, erd;
    int ready;
    int64_t restart_at;
    int backoff_ms;
    int64_t started_at;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return TGR_ERR;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
    return TGR_OK;
}

static void buf_consume(struct buf *b, size_t n)
{
    if (!b->p || n == 0) return;
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
    b->p[b->len] = 0;
}

static void wake(struct bridge *b)
{
    char c = 1;
    ssize_t r = write(b->wake[1], &c, 1);
    (void)r;
}

static void set_error(struct bridge_error *e, const char *code, const char *msg, int seconds)
{
    snprintf(e->code, sizeof e->code, "%s", code);
    snprintf(e->message, sizeof e->message, "%s", msg ? msg : "");
    e->seconds = seconds;
}

/* Remove and return the pending entry with this id (mu held). */
static struct pending *take(struct bridge *b, int64_t id)
{
    for (struct pending **pp = &b->pending; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            struct pending *p = *pp;
            *pp = p->next;
            return p;
        }
    }
    return NULL;
}

/* Answer a request taken from the pending list, and record how long it took. */
static void finish(struct pending *p, json_t *result, const struct bridge_error *err)
{
    histogram_observe(HIST_BRIDGE, p->op, mono_us() - p->t0_us);
    p->done(p->arg, result, err);
    free(p);
}

/* Fail every pending request (called without mu held). */
static void fail_all(struct bridge *b, const char *code, const char *msg)
{
    pthread_mutex_lock(&b->mu);
    struct pending *p = b->pending;
    b->pending = NULL;
    b->out.len = 0;
    pthread_mutex_unlock(&b->mu);
    struct bridge_error e;
    set_error(&e, code, msg, 0);
    while (p) {
        struct pending *n = p->next;
        finish(p, NULL, &e);
        p = n;
    }
}

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

static int spawn_child(struct bridge *b)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
        log_error("bridge", "pipe: %s", strerror(errno));
        goto fail;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    char *argv[8];
    int n = 0;
    argv[n++] = b->node;
    argv[n++] = b->script;
    argv[n++] = (char *)"--backend";
    argv[n++] = b->backend;
    if (b->scenario && *b->scenario) {
        argv[n++] = (char *)"--scenario";
        argv[n++] = b->scenario;
    }
    argv[n] = NULL;
    /* The child starts with default signal handling, not our blocked SIGTERM/SIGINT mask. */
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int rc = posix_spawnp(&pid, b->node, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0) {
        log_error("bridge", "cannot start %s: %s", b->node, strerror(rc));
        goto fail;
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    fcntl(err[0], F_SETFL, O_NONBLOCK);
    pthread_mutex_lock(&b->mu);
    b->pid = pid;
    b->in_fd = in[1]; /* under mu: bridge_call_async writes to it */
    pthread_mutex_unlock(&b->mu);
    b->out_fd = out[0];
    b->err_fd = err[0];
    b->rd.len = 0;
    b->erd.len = 0;
    __atomic_store_n(&b->ready, 0, __ATOMIC_RELEASE);
    b->started_at = mono_ms();
    log_info("bridge", "started the %s bridge (pid %d)", b->backend, (int)pid);
    return TGR_OK;
fail:
    for (int i = 0; i < 2; i++) {
        close_fd(&in[i]);
        close_fd(&out[i]);
        close_fd(&err[i]);
    }
    return TGR_ERR;
}

/* The child is gone or going: reap it, fail what was pending, plan the restart. */
static void child_down(struct bridge *b, const char *why)
{
    pthread_mutex_lock(&b->mu);
    close_fd(&b->in_fd);
    pthread_mutex_unlock(&b->mu);
    close_fd(&b->out_fd);
    close_fd(&b->err_fd);
    pid_t pid;
    pthread_mutex_lock(&b->mu);
    pid = b->pid;
    b->pid = 0;
    pthread_mutex_unlock(&b->mu);
    if (pid > 0) {
        int status = 0;
        for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++) {
            if (i == 50) kill(pid, SIGKILL);
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (!b->stopping) {
            counter_add(CNT_BRIDGE_RESTARTS, 1);
            log_warn("bridge", "the bridge (pid %d) stopped: %s; restarting in %d ms", (int)pid, why,
                     b->backoff_ms);
        }
    }
    __atomic_store_n(&b->ready, 0, __ATOMIC_RELEASE);
    fail_all(b, "NETWORK", "the Telegram bridge restarted");
    /* A child that ran for a minute was healthy: start the backoff again from the bottom. */
    if (mono_ms() - b->started_at > 60000) b->backoff_ms = BACKOFF_MIN_MS;
    b->restart_at = mono_ms() + b->backoff_ms;
    b->backoff_ms = b->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : b->backoff_ms * 2;
}

/* An error's "seconds" (a FLOOD_WAIT), rounded up and kept within 0..INT_MAX: it comes from
 * outside, and converting a number beyond int's range is undefined (found by fuzz_bridge_line). */
static int wait_seconds(const json_t *v)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        return i < 0 ? 0 : i > INT_MAX ? INT_MAX : (int)i;
    }
    double d = json_is_real(v) ? json_real_value(v) : 0;
    if (!(d > 0)) return 0;
    return d >= (double)INT_MAX - 1 ? INT_MAX : (int)(d + 0.999);
}

/* A string's NUL bytes replaced by U+FFFD, so that the C string reads the whole value.
 * @return TGR_OK, TGR_ERR when out of memory */
static int nul_to_fffd(json_t *s)
{
    static const char fffd[] = "\xEF\xBF\xBD";
    const char *v = json_string_value(s);
    size_t len = json_string_length(s), nuls = 0;
    for (size_t i = 0; i < len; i++)
        nuls += v[i] == 0;
    if (nuls == 0) return TGR_OK;
    /* Each NUL byte becomes three; len is below the 64 MiB line cap, so nothing overflows. */
    size_t cap = len + 2 * nuls + 1;
    char *out = malloc(cap);
    if (!out) return TGR_ERR;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] != 0) {
            out[o++] = v[i];
            continue;
        }
        memcpy(out + o, fffd, sizeof fffd - 1);
        o += sizeof fffd - 1;
    }
    int rc = json_string_setn(s, out, o) == 0 ? TGR_OK : TGR_ERR;
    free(out);
    return rc;
}

/* Every string value under j without NUL (see nul_to_fffd). The depth is bounded by jansson's
 * parser (JSON_PARSER_MAX_DEPTH). Object keys need nothing: jansson refuses a NUL in a key. */
static int scrub_nul(json_t *j)
{
    const char *key;
    json_t *v;
    size_t i;
    switch (json_typeof(j)) {
    case JSON_STRING:
        return nul_to_fffd(j);
    case JSON_OBJECT:
        json_object_foreach(j, key, v)
        {
            if (scrub_nul(v) != TGR_OK) return TGR_ERR;
        }
        return TGR_OK;
    case JSON_ARRAY:
        json_array_foreach(j, i, v)
        {
            if (scrub_nul(v) != TGR_OK) return TGR_ERR;
        }
        return TGR_OK;
    default:
        return TGR_OK;
    }
}

/* An unsigned integer as JSON writes it (no sign, no leading zero) of at most 18 digits, so that
 * it fits int64 whatever they are, at *p; *p moves past it. @return 0, or -1 (none there) */
static int plain_uint(const char **p, const char *end, int64_t *v)
{
    const char *s = *p;
    int64_t n = 0;
    int digits = 0;
    while (s < end && *s >= '0' && *s <= '9' && digits < 18) {
        n = n * 10 + (*s++ - '0');
        digits++;
    }
    /* A 19th digit: left to json_loadb (reading it here overflowed, fuzz_bridge_line found). */
    if (digits == 0 || (digits > 1 && **p == '0') || (s < end && *s >= '0' && *s <= '9')) return -1;
    *p = s;
    *v = n;
    return 0;
}

/* Whether [*p, end) starts with lit; *p moves past it. */
static int lit(const char **p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0) return 0;
    *p += n;
    return 1;
}

/* The answer to a send, the line of every message a campaign sends, exactly as the bridge writes
 * it: {"id":N,"ok":true,"result":{"message_id":M,"date":D}}. Built without the parser (a sixth of
 * its cost; DECISIONS 100); any other line, or this one spelt otherwise, goes to json_loadb, and
 * fuzz_bridge_line holds the two to the same value. @return the parsed line, or NULL */
static json_t *send_answer(const char *line, size_t len)
{
    const char *p = line, *end = line + len;
    int64_t id, msg, date;
    if (!lit(&p, end, "{\"id\":") || plain_uint(&p, end, &id) != 0 ||
        !lit(&p, end, ",\"ok\":true,\"result\":{\"message_id\":") || plain_uint(&p, end, &msg) != 0 ||
        !lit(&p, end, ",\"date\":") || plain_uint(&p, end, &date) != 0 || !lit(&p, end, "}}") || p != end)
        return NULL;
    json_t *result = json_object(), *j = json_object();
    if (!result || !j || json_object_set_new(result, "message_id", json_integer(msg)) != 0 ||
        json_object_set_new(result, "date", json_integer(date)) != 0 ||
        json_object_set_new(j, "id", json_integer(id)) != 0 ||
        json_object_set_new(j, "ok", json_true()) != 0 || json_object_set(j, "result", result) != 0) {
        json_decref(result);
        json_decref(j);
        return NULL;
    }
    json_decref(result);
    return j;
}

/* Names and texts are whatever a Telegram client sent, U+0000 included, and the bridge may pass
 * one on as "\u0000" (docs/BRIDGE-PROTOCOL.md "Text"). Refusing the line would lose a whole sync
 * page or answer, on every retry; keeping the NUL would let every C string that reads the value
 * stop early ("2001\u0000…" read as user 2001, "ready\u0000x" as the ready event). So the line is
 * read with JSON_ALLOW_NUL and every NUL becomes U+FFFD at once: nothing after this function ever
 * sees one. Only "\u0000" can put a NUL into a parsed string (a raw NUL byte is invalid JSON),
 * so lines without those six bytes are not walked. */
enum bridge_line_kind bridge_parse_line(const char *line, size_t len, struct bridge_line *out)
{
    memset(out, 0, sizeof *out);
    json_t *fast = send_answer(line, len);
    if (fast) {
        out->json = fast;
        out->id = json_integer_value(json_object_get(fast, "id"));
        out->result = json_object_get(fast, "result");
        return out->kind = BRIDGE_LINE_RESULT;
    }
    json_error_t je;
    json_t *j = json_loadb(line, len, JSON_ALLOW_NUL, &je);
    if (j && memmem(line, len, "\\u0000", 6) && scrub_nul(j) != TGR_OK) {
        json_decref(j);
        j = NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return out->kind = BRIDGE_LINE_INVALID;
    }
    out->json = j;
    json_t *ev = json_object_get(j, "event");
    if (json_is_string(ev)) {
        out->event = json_string_value(ev);
        return out->kind = BRIDGE_LINE_EVENT;
    }
    json_t *id = json_object_get(j, "id");
    json_t *e = json_object_get(j, "error");
    const char *msg = json_string_value(json_object_get(e, "message"));
    if (!json_is_integer(id)) {
        set_error(&out->err, "", msg ? msg : "?", 0);
        return out->kind = BRIDGE_LINE_ORPHAN;
    }
    out->id = json_integer_value(id);
    if (json_is_true(json_object_get(j, "ok"))) {
        json_t *res = json_object_get(j, "result");
        out->result = res ? res : json_null();
        return out->kind = BRIDGE_LINE_RESULT;
    }
    const char *code = json_string_value(json_object_get(e, "code"));
    set_error(&out->err, code && *code ? code : "INTERNAL", msg, wait_seconds(json_object_get(e, "seconds")));
    return out->kind = BRIDGE_LINE_ERROR;
}

static void handle_line(struct bridge *b, char *line, size_t len)
{
    struct bridge_line l;
    switch (bridge_parse_line(line, len, &l)) {
    case BRIDGE_LINE_INVALID:
        log_warn("bridge", "ignoring a line from the bridge that is not a JSON object");
        return;
    case BRIDGE_LINE_EVENT:
        if (strcmp(l.event, "ready") == 0) __atomic_store_n(&b->ready, 1, __ATOMIC_RELEASE);
        if (b->on_event) b->on_event(b->ctx, l.json);
        break;
    case BRIDGE_LINE_ORPHAN:
        log_warn("bridge", "bridge reported an error without a request: %s", l.err.message);
        break;
    case BRIDGE_LINE_RESULT:
    case BRIDGE_LINE_ERROR: {
        pthread_mutex_lock(&b->mu);
        struct pending *p = take(b, l.id);
        pthread_mutex_unlock(&b->mu);
        if (!p) break; /* answered after its deadline: already failed with TIMEOUT */
        finish(p, l.kind == BRIDGE_LINE_RESULT ? l.result : NULL,
               l.kind == BRIDGE_LINE_RESULT ? NULL : &l.err);
        break;
    }
    }
    json_decref(l.json);
}

/* Read what is there; returns 0 on EOF or a fatal error. A pipe's read returns all it holds up
 * to the size asked for, so a shorter read means it is empty now: no second read to hear EAGAIN
 * (one system call less per answer; an EOF is then seen at the next poll). */
static int read_some(int fd, struct buf *into)
{
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n > 0) {
            if (buf_add(into, chunk, (size_t)n) != TGR_OK) return 0;
            if ((size_t)n < sizeof chunk) return 1;
            continue;
        }
        if (n == 0) return 0;
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK;
    }
}

static void drain_lines(struct bridge *b, struct buf *rd, int is_err)
{
    size_t start = 0;
    while (rd->p && start < rd->len) {
        char *nl = memchr(rd->p + start, '\n', rd->len - start);
        if (!nl) break;
        size_t len = (size_t)(nl - (rd->p + start));
        if (is_err) {
            if (len) log_info("bridge", "%.*s", (int)(len > 400 ? 400 : len), rd->p + start);
        } else if (len) {
            handle_line(b, rd->p + start, len);
        }
        start += len + 1;
    }
    buf_consume(rd, start);
}

static void expire(struct bridge *b)
{
    int64_t now = mono_ms();
    struct pending *expired = NULL;
    pthread_mutex_lock(&b->mu);
    for (struct pending **pp = &b->pending; *pp;) {
        if ((*pp)->deadline <= now) {
            struct pending *p = *pp;
            *pp = p->next;
            p->next = expired;
            expired = p;
        } else {
            pp = &(*pp)->next;
        }
    }
    pthread_mutex_unlock(&b->mu);
    struct bridge_error e;
    set_error(&e, "TIMEOUT", "the Telegram bridge did not answer in time", 0);
    while (expired) {
        struct pending *n = expired->next;
        finish(expired, NULL, &e);
        expired = n;
    }
}

static void *io_main(void *arg)
{
    thread_name("tgr-bridge");
    struct bridge *b = arg;
    for (;;) {
        pthread_mutex_lock(&b->mu);
        int stopping = b->stopping;
        int have_out = b->out.len > 0;
        int64_t next_deadline = INT64_MAX;
        for (struct pending *p = b->pending; p; p = p->next)
            if (p->deadline < next_deadline) next_deadline = p->deadline;
        pthread_mutex_unlock(&b->mu);
        if (stopping) break;
        int64_t now = mono_ms();
        if (b->pid == 0 && now >= b->restart_at && spawn_child(b) != TGR_OK) {
            b->restart_at = now + b->backoff_ms;
            b->backoff_ms = b->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : b->backoff_ms * 2;
        }
        int64_t wait = 1000;
        if (next_deadline != INT64_MAX && next_deadline - now < wait) wait = next_deadline - now;
        if (b->pid == 0 && b->restart_at - now < wait) wait = b->restart_at - now;
        if (wait < 0) wait = 0;
        struct pollfd fds[4];
        int nf = 0;
        fds[nf++] = (struct pollfd){.fd = b->wake[0], .events = POLLIN};
        int i_out = -1, i_err = -1, i_in = -1;
        if (b->out_fd >= 0) {
            i_out = nf;
            fds[nf++] = (struct pollfd){.fd = b->out_fd, .events = POLLIN};
        }
        if (b->err_fd >= 0) {
            i_err = nf;
            fds[nf++] = (struct pollfd){.fd = b->err_fd, .events = POLLIN};
        }
        if (b->in_fd >= 0 && have_out) {
            i_in = nf;
            fds[nf++] = (struct pollfd){.fd = b->in_fd, .events = POLLOUT};
        }
        int rc = poll(fds, (nfds_t)nf, (int)wait);
        if (rc < 0 && errno != EINTR) {
            log_error("bridge", "poll: %s", strerror(errno));
            break;
        }
        if (fds[0].revents & POLLIN) {
            char tmp[256];
            while (read(b->wake[0], tmp, sizeof tmp) > 0) {}
        }
        if (i_err >= 0 && (fds[i_err].revents & (POLLIN | POLLHUP))) {
            int alive = read_some(b->err_fd, &b->erd);
            drain_lines(b, &b->erd, 1);
            if (!alive) close_fd(&b->err_fd);
        }
        if (i_out >= 0 && (fds[i_out].revents & (POLLIN | POLLHUP | POLLERR))) {
            int alive = read_some(b->out_fd, &b->rd);
            drain_lines(b, &b->rd, 0);
            if (b->rd.len > LINE_MAX_BYTES) {
                log_error("bridge", "the bridge wrote a line over %u bytes; restarting it", LINE_MAX_BYTES);
                kill(b->pid, SIGKILL);
                alive = 0;
            }
            if (!alive) child_down(b, "its output closed");
        }
        if (i_in >= 0 && b->in_fd >= 0 && (fds[i_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
            pthread_mutex_lock(&b->mu);
            ssize_t n = write(b->in_fd, b->out.p, b->out.len);
            if (n > 0) buf_consume(&b->out, (size_t)n);
            int broken = n < 0 && errno != EAGAIN && errno != EINTR;
            pthread_mutex_unlock(&b->mu);
            if (broken) child_down(b, "its input closed");
        }
        expire(b);
    }
    /* Stopping: close stdin so the child exits by itself, then reap it. */
    pthread_mutex_lock(&b->mu);
    close_fd(&b->in_fd);
    pthread_mutex_unlock(&b->mu);
    if (b->pid > 0) {
        int status;
        int64_t until = mono_ms() + 3000;
        while (waitpid(b->pid, &status, WNOHANG) == 0) {
            if (mono_ms() > until) {
                kill(b->pid, SIGKILL);
                waitpid(b->pid, &status, 0);
                break;
            }
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        b->pid = 0;
    }
    close_fd(&b->out_fd);
    close_fd(&b->err_fd);
    fail_all(b, "NETWORK", "the Telegram bridge is stopping");
    return NULL;
}

struct bridge *bridge_start(const struct bridge_opts *opts, bridge_event_fn on_event, void *ctx, char *err,
                            size_t errlen)
{
    struct bridge *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    b->node = strdup(opts->node ? opts->node : "node");
    b->script = strdup(opts->script);
    b->backend = strdup(opts->backend);
    b->scenario = strdup(opts->scenario ? opts->scenario : "");
    b->on_event = on_event;
    b->ctx = ctx;
    b->in_fd = b->out_fd = b->err_fd = -1;
    b->backoff_ms = BACKOFF_MIN_MS;
    b->next_id = 1;
    pthread_mutex_init(&b->mu, NULL);
    if (!b->node || !b->script || !b->backend || !b->scenario ||
        pipe2(b->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        snprintf(err, errlen, "cannot set up the bridge: %s", strerror(errno));
        free(b->node);
        free(b->script);
        free(b->backend);
        free(b->scenario);
        free(b);
        return NULL;
    }
    if (spawn_child(b) != TGR_OK) {
        snprintf(err, errlen, "cannot start the Telegram bridge (%s %s); is Node.js installed?", b->node,
                 b->script);
        close(b->wake[0]);
        close(b->wake[1]);
        free(b->node);
        free(b->script);
        free(b->backend);
        free(b->scenario);
        free(b);
        return NULL;
    }
    pthread_create(&b->thread, NULL, io_main, b);
    return b;
}

void bridge_stop(struct bridge *b)
{
    if (!b) return;
    pthread_mutex_lock(&b->mu);
    int was = b->stopping;
    b->stopping = 1;
    pthread_mutex_unlock(&b->mu);
    if (was) return;
    wake(b);
    pthread_join(b->thread, NULL);
}

void bridge_free(struct bridge *b)
{
    if (!b) return;
    bridge_stop(b);
    close(b->wake[0]);
    close(b->wake[1]);
    free(b->out.p);
    free(b->rd.p);
    free(b->erd.p);
    free(b->node);
    free(b->script);
    free(b->backend);
    free(b->scenario);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

/* The request's line: body (an object's compact text, "{...}", NUL-terminated) with "id" and
 * "timeout_ms" put first. @return malloc'd and NUL-terminated, *len its length, or NULL (no memory) */
static char *request_line(int64_t id, int timeout_ms, const char *body, size_t body_len, size_t *len)
{
    char head[64];
    int hn = snprintf(head, sizeof head, "{\"id\":%lld,\"timeout_ms\":%d%s", (long long)id, timeout_ms,
                      body_len > 2 ? "," : "");
    char *line = malloc((size_t)hn + body_len);
    if (!line) return NULL;
    memcpy(line, head, (size_t)hn);
    memcpy(line + hn, body + 1, body_len); /* after the '{', up to and with the NUL */
    *len = (size_t)hn + body_len - 1;
    return line;
}

void bridge_call_async(struct bridge *b, json_t *req, int timeout_ms, bridge_done_fn done, void *arg)
{
    /* The request's text is written once, outside the lock (the caller's object is only read),
     * and the line's id and timeout go in front of its members: a copy of the object to add them
     * and jansson's dump were a tenth of the engine's CPU per message (DECISIONS 88). */
    size_t body_len = 0;
    char *body = json_is_object(req) ? jsonout_dumps(req, &body_len) : NULL;
    bridge_call_text(b, json_string_value(json_object_get(req, "op")), body, body_len, timeout_ms, done, arg);
    free(body);
}

void bridge_call_text(struct bridge *b, const char *op, const char *body, size_t body_len, int timeout_ms,
                      bridge_done_fn done, void *arg)
{
    struct pending *p = calloc(1, sizeof *p);
    struct bridge_error e;
    if (!p) {
        set_error(&e, "INTERNAL", "out of memory", 0);
        done(arg, NULL, &e);
        return;
    }
    p->deadline = mono_ms() + timeout_ms;
    p->t0_us = mono_us();
    p->op = histogram_value(HIST_BRIDGE, op);
    p->done = done;
    p->arg = arg;
    pthread_mutex_lock(&b->mu);
    if (b->stopping) {
        pthread_mutex_unlock(&b->mu);
        free(p);
        set_error(&e, "NETWORK", "the Telegram bridge is stopping", 0);
        done(arg, NULL, &e);
        return;
    }
    p->id = b->next_id++;
    int bridge_timeout = timeout_ms > 1000 ? timeout_ms - 500 : timeout_ms;
    size_t len = 0, sent = 0;
    char *line = body && body_len >= 2 ? request_line(p->id, bridge_timeout, body, body_len, &len) : NULL;
    /* Nothing waits before it and the child is up: the line is written from this thread, which
     * spares the I/O thread a wake-up and two turns of its loop per request (DECISIONS 77). What
     * the pipe does not take now is left to the I/O thread, in order. */
    if (line && b->out.len == 0 && b->in_fd >= 0) {
        struct iovec iov[2] = {{line, len}, {"\n", 1}};
        ssize_t n = writev(b->in_fd, iov, 2);
        if (n > 0) sent = (size_t)n;
    }
    int queued = sent <= len;
    if (!line || (sent < len && buf_add(&b->out, line + sent, len - sent) != TGR_OK) ||
        (queued && buf_add(&b->out, "\n", 1) != TGR_OK)) {
        pthread_mutex_unlock(&b->mu);
        free(line);
        free(p);
        set_error(&e, "INTERNAL", "out of memory", 0);
        done(arg, NULL, &e);
        return;
    }
    free(line);
    p->next = b->pending;
    b->pending = p;
    pthread_mutex_unlock(&b->mu);
    if (queued) wake(b);
}

struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    json_t *result;
    struct bridge_error err;
};

static void waiter_done(void *arg, json_t *result, const struct bridge_error *err)
{
    struct waiter *w = arg;
    pthread_mutex_lock(&w->mu);
    if (result)
        w->result = json_incref(result);
    else
        w->err = *err;
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int bridge_call(struct bridge *b, json_t *req, int timeout_ms, json_t **result, struct bridge_error *err)
{
    struct waiter w = {.done = 0, .result = NULL};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    bridge_call_async(b, req, timeout_ms, waiter_done, &w);
    pthread_mutex_lock(&w.mu);
    while (!w.done)
        pthread_cond_wait(&w.cv, &w.mu); /* the I/O thread enforces the deadline */
    pthread_mutex_unlock(&w.mu);
    pthread_mutex_destroy(&w.mu);
    pthread_cond_destroy(&w.cv);
    if (w.result) {
        *result = w.result;
        return TGR_OK;
    }
    *err = w.err;
    return TGR_ERR;
}

int bridge_ready(struct bridge *b)
{
    pthread_mutex_lock(&b->mu);
    int r = b->pid > 0 && __atomic_load_n(&b->ready, __ATOMIC_ACQUIRE);
    pthread_mutex_unlock(&b->mu);
    return r;
}

void bridge_kill(struct bridge *b)
{
    pthread_mutex_lock(&b->mu);
    if (b->pid > 0) kill(b->pid, SIGKILL);
    pthread_mutex_unlock(&b->mu);
}

int bridge_pid(struct bridge *b)
{
    pthread_mutex_lock(&b->mu);
    int pid = b->pid;
    pthread_mutex_unlock(&b->mu);
    return pid;
}
