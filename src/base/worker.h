/* worker — a fixed pool of threads running queued jobs, for work that must not run on the HTTP
 * polling threads (Argon2id hashing, Telegram calls, imports, media uploads).
 *
 * Fairness between accounts: a job may carry a key (an account id) and a kind ("import",
 * "media", …). Of one key, at most one job of each kind runs at a time and at most
 * per_key_running jobs run at all, so one account cannot hold every thread: with 4 threads and
 * 2 per account, another account's job always finds a free thread within one job's start-up.
 * Waiting jobs are taken oldest first among those allowed to run. The queue is bounded as a
 * whole, and per (key, kind) by the caller's max_waiting, so a burst is refused early instead
 * of piling up memory and latency. */
#ifndef TGR_WORKER_H
#define TGR_WORKER_H

#include <stdint.h>

struct worker_pool;

/* Start threads workers with room for queue_cap waiting jobs; per_key_running caps the jobs of
 * one key running at once (0 = no cap). @return the pool or NULL */
struct worker_pool *worker_pool_new(int threads, int queue_cap, int per_key_running);

enum worker_submit {
    WORKER_OK = 0,
    WORKER_BUSY = 1, /* this key already has max_waiting jobs of this kind waiting */
    WORKER_FULL = 2, /* the whole queue is full, or the pool is stopping */
};

/* Queue fn(arg) without a key: it runs as soon as a thread is free. When this returns
 * TGR_ERR (queue full or pool stopping) fn is never called. @return TGR_OK or TGR_ERR */
int worker_pool_submit(struct worker_pool *p, void (*fn)(void *), void *arg);

/* Queue fn(arg) for key (> 0) and kind (a static string; compared by content). It runs when a
 * thread is free, no other job of (key, kind) runs and key runs fewer than per_key_running jobs.
 * When this returns anything but WORKER_OK fn is never called. */
enum worker_submit worker_pool_submit_keyed(struct worker_pool *p, int64_t key, const char *kind,
                                            int max_waiting, void (*fn)(void *), void *arg);

/* Run every job still queued, stop the threads and free the pool. */
void worker_pool_free(struct worker_pool *p);

#endif
