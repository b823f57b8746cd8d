/* worker — a fixed pool of threads running queued jobs, for work that must not run on the HTTP
 * polling threads (Argon2id hashing today; anything slow later). The queue is bounded so that a
 * burst is refused early instead of piling up memory and latency. */
#ifndef TGR_WORKER_H
#define TGR_WORKER_H

struct worker_pool;

/* Start threads workers with room for queue_cap waiting jobs. @return the pool or NULL */
struct worker_pool *worker_pool_new(int threads, int queue_cap);

/* Queue fn(arg). When this returns TGR_ERR (queue full or pool stopping) fn is never called.
 * @return TGR_OK or TGR_ERR */
int worker_pool_submit(struct worker_pool *p, void (*fn)(void *), void *arg);

/* Run every job still queued, stop the threads and free the pool. */
void worker_pool_free(struct worker_pool *p);

#endif
