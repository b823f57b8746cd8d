/* worker — bounded job queue and its threads; see worker.h. */
#include "http/worker.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/util.h"

struct job {
    void (*fn)(void *);
    void *arg;
};

struct worker_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *q;
    int cap, head, len;
    int stopping;
    int n_threads;
    pthread_t *threads;
};

static void *run(void *arg)
{
    struct worker_pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->len == 0 && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->len == 0) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        struct job j = p->q[p->head];
        p->head = (p->head + 1) % p->cap;
        p->len--;
        pthread_mutex_unlock(&p->mu);
        j.fn(j.arg);
    }
}

struct worker_pool *worker_pool_new(int threads, int queue_cap)
{
    struct worker_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->q = calloc((size_t)queue_cap, sizeof *p->q);
    p->threads = calloc((size_t)threads, sizeof *p->threads);
    if (!p->q || !p->threads) {
        free(p->q);
        free(p->threads);
        free(p);
        return NULL;
    }
    p->cap = queue_cap;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, run, p) != 0)
            break;
        p->n_threads++;
    }
    if (p->n_threads == 0) {
        worker_pool_free(p);
        return NULL;
    }
    return p;
}

int worker_pool_submit(struct worker_pool *p, void (*fn)(void *), void *arg)
{
    pthread_mutex_lock(&p->mu);
    if (p->stopping || p->len == p->cap) {
        pthread_mutex_unlock(&p->mu);
        return TGR_ERR;
    }
    p->q[(p->head + p->len) % p->cap] = (struct job){fn, arg};
    p->len++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return TGR_OK;
}

void worker_pool_free(struct worker_pool *p)
{
    if (!p)
        return;
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
    free(p);
}
