/* worker — bounded job queue with per-key fairness, and its threads; see worker.h.
 *
 * The queue is a plain array in arrival order (at most a few hundred entries): a free thread
 * scans it for the oldest job allowed to run and removes it with memmove. Each thread records
 * the key and kind of the job it runs, which is all the fairness rules need. */
#include "base/worker.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

struct job {
    void (*fn)(void *);
    void *arg;
    int64_t key; /* 0 = no key */
    const char *kind;
};

struct slot {
    int64_t key; /* of the job this thread runs; 0 when idle or unkeyed */
    const char *kind;
};

struct worker_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *q;
    int cap, len;
    int per_key_running;
    int stopping;
    int n_threads;
    pthread_t *threads;
    struct slot *running; /* one per thread */
};

struct thread_arg {
    struct worker_pool *p;
    int idx;
};

static int same_kind(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* May j start now? Called with mu held. */
static int allowed(const struct worker_pool *p, const struct job *j)
{
    if (!j->key) return 1;
    int of_key = 0;
    for (int i = 0; i < p->n_threads; i++) {
        const struct slot *s = &p->running[i];
        if (s->key != j->key) continue;
        if (same_kind(s->kind, j->kind)) return 0;
        of_key++;
    }
    return p->per_key_running <= 0 || of_key < p->per_key_running;
}

/* Index of the oldest job that may start, or -1. Called with mu held. */
static int next_job(const struct worker_pool *p)
{
    for (int i = 0; i < p->len; i++)
        if (allowed(p, &p->q[i])) return i;
    return -1;
}

static void *run(void *arg)
{
    struct thread_arg *ta = arg;
    struct worker_pool *p = ta->p;
    struct slot *me = &p->running[ta->idx];
    free(ta);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        int i;
        while ((i = next_job(p)) < 0 && !(p->stopping && p->len == 0))
            pthread_cond_wait(&p->cv, &p->mu);
        if (i < 0) break;
        struct job j = p->q[i];
        memmove(&p->q[i], &p->q[i + 1], (size_t)(p->len - i - 1) * sizeof *p->q);
        p->len--;
        me->key = j.key;
        me->kind = j.kind;
        pthread_mutex_unlock(&p->mu);
        j.fn(j.arg);
        pthread_mutex_lock(&p->mu);
        me->key = 0;
        me->kind = NULL;
        /* A job of this key may have been waiting for this one to end. */
        if (j.key) pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct worker_pool *worker_pool_new(int threads, int queue_cap, int per_key_running)
{
    struct worker_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->q = calloc((size_t)queue_cap, sizeof *p->q);
    p->threads = calloc((size_t)threads, sizeof *p->threads);
    p->running = calloc((size_t)threads, sizeof *p->running);
    if (!p->q || !p->threads || !p->running) {
        free(p->q);
        free(p->threads);
        free(p->running);
        free(p);
        return NULL;
    }
    p->cap = queue_cap;
    p->per_key_running = per_key_running;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    pthread_mutex_lock(&p->mu); /* threads look at n_threads; let them start once all exist */
    for (int i = 0; i < threads; i++) {
        struct thread_arg *ta = malloc(sizeof *ta);
        if (!ta) break;
        ta->p = p;
        ta->idx = i;
        if (pthread_create(&p->threads[i], NULL, run, ta) != 0) {
            free(ta);
            break;
        }
        p->n_threads++;
    }
    pthread_mutex_unlock(&p->mu);
    if (p->n_threads == 0) {
        worker_pool_free(p);
        return NULL;
    }
    return p;
}

static enum worker_submit submit(struct worker_pool *p, int64_t key, const char *kind, int max_waiting,
                                 void (*fn)(void *), void *arg)
{
    pthread_mutex_lock(&p->mu);
    if (p->stopping || p->len == p->cap) {
        pthread_mutex_unlock(&p->mu);
        return WORKER_FULL;
    }
    if (key) {
        int waiting = 0;
        for (int i = 0; i < p->len; i++)
            if (p->q[i].key == key && same_kind(p->q[i].kind, kind)) waiting++;
        if (waiting >= max_waiting) {
            pthread_mutex_unlock(&p->mu);
            return WORKER_BUSY;
        }
    }
    p->q[p->len++] = (struct job){fn, arg, key, kind};
    /* Every thread rescans: the one woken by a signal might be unable to take this job while
     * another could (the rules depend on what each runs only through shared state, but a
     * broadcast keeps the reasoning simple; the pool has a handful of threads). */
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return WORKER_OK;
}

int worker_pool_submit(struct worker_pool *p, void (*fn)(void *), void *arg)
{
    return submit(p, 0, NULL, 0, fn, arg) == WORKER_OK ? TGR_OK : TGR_ERR;
}

enum worker_submit worker_pool_submit_keyed(struct worker_pool *p, int64_t key, const char *kind,
                                            int max_waiting, void (*fn)(void *), void *arg)
{
    return submit(p, key, kind, max_waiting, fn, arg);
}

void worker_pool_free(struct worker_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->q);
    free(p->threads);
    free(p->running);
    free(p);
}
