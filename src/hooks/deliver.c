/* deliver — the outbox's dispatcher and senders; see deliver.h. */
#include "hooks/deliver.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/app.h"
#include "base/counters.h"
#include "base/log.h"
#include "base/netaddr.h"
#include "base/util.h"
#include "core/webhook_url.h"
#include "core/webhooks.h"
#include "store/store.h"

#define TIMEOUT_MS     10000             /* API.md: a 2xx within 10 s is success */
#define BODY_READ_MAX  (64 * 1024)       /* of a receiver's answer, read and dropped */
#define LOOK_ALL_MS    2000              /* an idle outbox is read this often (other instances' events) */
#define BLOCKED_MS     1000              /* due rows none could claim: in flight, here or elsewhere */
#define STORE_RETRY_MS 2000              /* after a failed read of the outbox */
#define PRUNE_EVERY_MS (3600 * 1000)     /* events older than KEEP_MS are forgotten this often */
#define KEEP_MS        (30LL * 86400000) /* a delivery's record is kept 30 days */
#define PRUNE_BATCH    5000

struct deliverer {
    struct app *app;
    char instance[96];
    int64_t retry_base_ms;
    int allow_private;

    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* senders: a job is queued, or stopping */
    pthread_cond_t idle_cv; /* dispatcher: a sender is free again, or stopping */
    int stopping;
    int idle; /* senders waiting for a job */
    struct webhook_job *queue[DELIVER_SENDERS];
    int queued;

    pthread_t dispatcher, senders[DELIVER_SENDERS];
    int n_senders, dispatcher_running;
    /* The dispatcher's last read of the outbox: the store's count of commits that queued
     * deliveries then (-1: read at the next look), when it read, and the due time it found. */
    int64_t seen_queued, read_at, due;
};

/* ---- one attempt ------------------------------------------------------------------------------- */

struct answer {
    struct deliverer *d;
    size_t read;
    int capped; /* the body passed BODY_READ_MAX: the transfer was ended there */
    int allow_private;
    int refused; /* the socket callback refused an address */
};

static size_t on_body(char *p, size_t size, size_t n, void *cls)
{
    (void)p;
    struct answer *a = cls;
    size_t len = size * n;
    if (a->read + len > BODY_READ_MAX) {
        a->capped = 1;
        return 0; /* ends the transfer: the status line is in already */
    }
    a->read += len;
    return len;
}

/* Every address curl connects to is checked again, whatever it was resolved from. */
static curl_socket_t on_socket(void *cls, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct answer *a = cls;
    if (purpose != CURLSOCKTYPE_IPCXN || !netaddr_allowed(netaddr_classify(&addr->addr), a->allow_private)) {
        a->refused = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

static int on_progress(void *cls, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    struct answer *a = cls;
    return __atomic_load_n(&a->d->stopping, __ATOMIC_RELAXED) ? 1 : 0;
}

/* What became of an attempt. */
struct result {
    long status; /* HTTP status, 0 without an answer */
    int aborted; /* cut off by a stop: not an attempt */
    char error[WEBHOOK_ERROR_MAX + 1];
};

static void curl_failed(CURLcode cc, const struct answer *a, struct result *res)
{
    const char *why;
    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
        why = "no answer within 10 s";
        break;
    case CURLE_COULDNT_CONNECT:
        why = a->refused ? "the address is not one webhooks may be sent to" : "could not connect";
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        why = "the host did not resolve";
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        why = "TLS failed (is the certificate valid for the host?)";
        break;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
        why = "the connection closed without an answer";
        break;
    default:
        why = curl_easy_strerror(cc);
        break;
    }
    snprintf(res->error, sizeof res->error, "%s", why);
}

/* POST body to the job's URL as API.md says: the addresses checked by webhook_url_check, no
 * redirects, no proxy from the environment, 10 s in all, at most 64 KiB of the answer read. */
static void post(struct deliverer *d, const struct webhook_job *j, const struct webhook_target *t,
                 const char *body, const char *signature, struct result *res)
{
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(res->error, sizeof res->error, "out of memory");
        return;
    }
    char h_event[64], h_delivery[64], h_signature[160];
    snprintf(h_event, sizeof h_event, "X-Tgr-Event: %s", j->type);
    snprintf(h_delivery, sizeof h_delivery, "X-Tgr-Delivery: %" PRId64, j->id);
    snprintf(h_signature, sizeof h_signature, "X-Tgr-Signature: %s", signature);
    struct curl_slist *hdrs = NULL, *resolve = NULL;
    const char *lines[] = {"Content-Type: application/json", h_event, h_delivery, h_signature, "Expect:"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        struct curl_slist *next = curl_slist_append(hdrs, lines[i]);
        if (!next) break;
        hdrs = next;
    }
    if (t->resolve[0]) resolve = curl_slist_append(NULL, t->resolve);
    char agent[64];
    snprintf(agent, sizeof agent, "tgr-webhooks/%s", tgr_version);
    struct answer a = {.d = d, .allow_private = d->allow_private};
    curl_easy_setopt(c, CURLOPT_URL, j->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROXY, ""); /* never a proxy from http_proxy and the like */
    if (resolve) curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_socket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &a);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_USERAGENT, agent);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &a);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (cc == CURLE_ABORTED_BY_CALLBACK) {
        res->aborted = 1;
    } else if (cc == CURLE_OK || (cc == CURLE_WRITE_ERROR && a.capped && status > 0)) {
        res->status = status;
        if (status < 200 || status > 299)
            snprintf(res->error, sizeof res->error, "HTTP %ld%s", status,
                     status >= 300 && status < 400 ? " (redirects are not followed)" : "");
    } else {
        curl_failed(cc, &a, res);
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    curl_slist_free_all(resolve);
}

/* Make one attempt of j: check where its URL leads now, sign, send. */
static void attempt(struct deliverer *d, const struct webhook_job *j, struct result *res)
{
    memset(res, 0, sizeof *res);
    struct webhook_target t;
    char why[256];
    if (webhook_url_check(j->url, d->allow_private, &t, why, sizeof why) != WEBHOOK_URL_OK) {
        snprintf(res->error, sizeof res->error, "%s", why);
        return;
    }
    char *secret = NULL, *body = webhook_body(j);
    size_t slen = 0;
    if (!body || webhook_secret_open(d->app->kr, j, &secret, &slen) != TGR_OK) {
        snprintf(res->error, sizeof res->error, "%s",
                 body ? "the secret could not be opened" : "out of memory");
        free(body);
        return;
    }
    char signature[128];
    webhook_sign(secret, slen, now_ms() / 1000, body, strlen(body), signature, sizeof signature);
    sodium_memzero(secret, slen);
    free(secret);
    post(d, j, &t, body, signature, res);
    free(body);
}

/* Write how j's attempt went: delivered, tried again later, or given up. */
static void record(struct deliverer *d, const struct webhook_job *j, const struct result *res)
{
    struct store *st = d->app->store;
    if (res->aborted) {
        if (st->hooks->unclaim(st, j->id, d->instance) < 0)
            log_warn("webhooks", "delivery %" PRId64 " stays claimed until its lease runs out", j->id);
        return;
    }
    int64_t now = now_ms();
    int ok = res->status >= 200 && res->status <= 299;
    struct webhook_attempt a = {.status = "delivered", .status_code = res->status, .at = now};
    if (!ok) {
        a.error = res->error[0] ? res->error : "failed";
        a.next_attempt_at = webhook_retry_at(j->created_at, j->attempts + 1, now, d->retry_base_ms);
        a.status = a.next_attempt_at ? "pending" : "failed";
    }
    counter_add(ok ? CNT_HOOKS_DELIVERED : a.next_attempt_at ? CNT_HOOKS_RETRY : CNT_HOOKS_FAILED, 1);
    enum db_status r = st->hooks->done(st, j->id, d->instance, &a);
    if (r < 0)
        log_warn("webhooks",
                 "account %" PRId64 ": the outcome of delivery %" PRId64
                 " could not be stored; it is sent again when its lease runs out",
                 j->account_id, j->id);
    if (!ok && !a.next_attempt_at)
        log_warn("webhooks",
                 "account %" PRId64 ": webhook %" PRId64 " gave up on event %" PRId64 " after %" PRId64
                 " attempts (%s)",
                 j->account_id, j->webhook_id, j->event_id, j->attempts + 1, a.error);
}

static void *sender_main(void *arg)
{
    thread_name("tgr-hook-send");
    struct deliverer *d = arg;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        d->idle++;
        pthread_cond_signal(&d->idle_cv);
        while (!d->stopping && d->queued == 0)
            pthread_cond_wait(&d->work_cv, &d->mu);
        d->idle--;
        if (d->queued == 0) break; /* stopping, nothing left */
        struct webhook_job *j = d->queue[--d->queued];
        pthread_mutex_unlock(&d->mu);
        struct result res;
        if (__atomic_load_n(&d->stopping, __ATOMIC_RELAXED)) {
            memset(&res, 0, sizeof res);
            res.aborted = 1;
        } else {
            attempt(d, j, &res);
        }
        record(d, j, &res);
        webhook_job_release(j);
        free(j);
        pthread_mutex_lock(&d->mu);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

/* ---- the dispatcher ----------------------------------------------------------------------------- */

/* When the next look may go without reading the outbox (DECISIONS 96): nothing queued by this
 * process since the last read (the store counts the commits that queued deliveries), nothing due
 * by its due time, and the last read less than LOOK_ALL_MS ago — other instances' events, and
 * leases that ran out, wait that long for this instance (their own dispatchers see their
 * events at once). A commit of this process that queues deliveries wakes the dispatcher
 * (queued_here), so it sleeps until the due time or LOOK_ALL_MS, not on a shorter clock
 * (DECISIONS 103). */
static int unchanged(const struct deliverer *d, int64_t queued, int64_t now)
{
    return queued == d->seen_queued && now - d->read_at < LOOK_ALL_MS && (!d->due || d->due > now);
}

/* The next look after an unchanged one or a read: the due time, or LOOK_ALL_MS after the read. */
static int64_t next_look(const struct deliverer *d)
{
    int64_t all = d->read_at + LOOK_ALL_MS;
    return d->due && d->due < all ? d->due : all;
}

/* store->hooks->on_queued: a commit of this process queued deliveries (in the committing thread). */
static void queued_here(void *arg)
{
    struct deliverer *d = arg;
    pthread_mutex_lock(&d->mu);
    pthread_cond_signal(&d->idle_cv);
    pthread_mutex_unlock(&d->mu);
}

/* Claim due deliveries for the idle senders. @return when to look again (unix ms) */
static int64_t dispatch(struct deliverer *d)
{
    struct store *st = d->app->store;
    int64_t now = now_ms(), due = 0, queued = st->hooks->queued(st);
    if (unchanged(d, queued, now)) return next_look(d);
    /* An idle outbox costs one read a look, not a write transaction: claims are tried only when
     * something is due. The count is taken before the read: what commits after it moves it. */
    d->seen_queued = queued;
    d->read_at = now;
    d->due = now; /* until a read says otherwise, the next look reads */
    if (st->hooks->next_due(st, &due) < 0) return now + STORE_RETRY_MS;
    if (due && due <= now) {
        for (;;) {
            pthread_mutex_lock(&d->mu);
            int free_senders = d->idle - d->queued;
            pthread_mutex_unlock(&d->mu);
            if (free_senders <= 0) return now + BLOCKED_MS; /* a sender's end wakes the dispatcher */
            struct webhook_job *j = calloc(1, sizeof *j);
            if (!j) return now + STORE_RETRY_MS;
            enum db_status r = st->hooks->claim(st, d->instance, now, now + DELIVER_LEASE_MS, j);
            if (r != DB_ONE) {
                free(j);
                if (r < 0) return now + STORE_RETRY_MS;
                break;
            }
            pthread_mutex_lock(&d->mu);
            d->queue[d->queued++] = j;
            pthread_cond_signal(&d->work_cv);
            pthread_mutex_unlock(&d->mu);
        }
        due = 0;
        if (st->hooks->next_due(st, &due) < 0) return now + STORE_RETRY_MS;
        /* Something due that could not be claimed is in flight (here or elsewhere) or waits behind
         * its endpoint's delivery in flight: the end of that wakes this thread, or a later look
         * finds it. */
        if (due && due <= now) return now + BLOCKED_MS;
    }
    d->due = due;
    return next_look(d);
}

static void prune(struct deliverer *d)
{
    struct store *st = d->app->store;
    int64_t n = 0, total = 0;
    for (int i = 0; i < 100 && !__atomic_load_n(&d->stopping, __ATOMIC_RELAXED); i++) {
        if (st->hooks->prune(st, now_ms() - KEEP_MS, PRUNE_BATCH, &n) < 0 || n < PRUNE_BATCH) break;
        total += n;
    }
    if (total + n > 0) log_info("webhooks", "forgot %" PRId64 " events older than 30 days", total + n);
}

static void *dispatcher_main(void *arg)
{
    thread_name("tgr-hooks");
    struct deliverer *d = arg;
    int64_t prune_at = 0;
    pthread_mutex_lock(&d->mu);
    while (!d->stopping) {
        pthread_mutex_unlock(&d->mu);
        if (now_ms() >= prune_at) {
            prune(d);
            prune_at = now_ms() + PRUNE_EVERY_MS;
        }
        int64_t next = dispatch(d);
        pthread_mutex_lock(&d->mu);
        int64_t wait = next - now_ms();
        /* A commit that queued since dispatch() read the count has moved it before taking mu to
         * signal: seen here, or its signal comes while this thread waits. */
        if (wait > 0 && !d->stopping && d->app->store->hooks->queued(d->app->store) == d->seen_queued) {
            struct timespec ts;
            deadline_in(wait, &ts);
            pthread_cond_timedwait(&d->idle_cv, &d->mu, &ts);
        }
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

struct deliverer *deliver_start(struct app *app, const char *instance)
{
    struct deliverer *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->app = app;
    d->seen_queued = -1;
    d->retry_base_ms = app->cfg.webhook_retry_base_ms > 0 ? app->cfg.webhook_retry_base_ms : 30000;
    d->allow_private = app->cfg.webhooks_allow_private;
    if (instance && *instance) {
        snprintf(d->instance, sizeof d->instance, "%s", instance);
        /* A restarted instance of the same name lets go of what its earlier process held. */
        if (app->store->hooks->unclaim_all(app->store, d->instance) < 0)
            log_warn("webhooks", "earlier claims of this instance wait until their lease runs out");
    } else {
        unsigned char r[8];
        char hex[17];
        randombytes_buf(r, sizeof r);
        sodium_bin2hex(hex, sizeof hex, r, sizeof r);
        snprintf(d->instance, sizeof d->instance, "pid%ld-%s", (long)getpid(), hex);
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("webhooks", "libcurl failed to initialise; outgoing webhooks wait in the outbox");
        free(d);
        return NULL;
    }
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->work_cv, NULL);
    pthread_cond_init(&d->idle_cv, NULL);
    for (int i = 0; i < DELIVER_SENDERS; i++) {
        if (pthread_create(&d->senders[i], NULL, sender_main, d) != 0) break;
        d->n_senders++;
    }
    d->dispatcher_running = d->n_senders > 0 && pthread_create(&d->dispatcher, NULL, dispatcher_main, d) == 0;
    if (!d->dispatcher_running) {
        log_error("webhooks", "the delivery threads did not start; outgoing webhooks wait in the outbox");
        deliver_stop(d);
        return NULL;
    }
    app->store->hooks->on_queued(app->store, queued_here, d);
    return d;
}

void deliver_stop(struct deliverer *d)
{
    if (!d) return;
    d->app->store->hooks->on_queued(d->app->store, NULL, NULL); /* before d goes */
    pthread_mutex_lock(&d->mu);
    __atomic_store_n(&d->stopping, 1, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&d->work_cv);
    pthread_cond_broadcast(&d->idle_cv);
    pthread_mutex_unlock(&d->mu);
    if (d->dispatcher_running) pthread_join(d->dispatcher, NULL);
    /* Senders finish the queue (each job let go of unsent) and the request in flight (cut off). */
    for (int i = 0; i < d->n_senders; i++)
        pthread_join(d->senders[i], NULL);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->work_cv);
    pthread_cond_destroy(&d->idle_cv);
    curl_global_cleanup();
    free(d);
}
