/* ratelimit — a chained hash table of token buckets under one mutex; see ratelimit.h.
 * The critical section is a hash, a compare and a few floating point operations. */
#include "http/ratelimit.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 4096
#define KEY_MAX  160

struct entry {
    char key[KEY_MAX];
    double tokens;
    int64_t at;
    struct entry *next;
};

struct ratelimit {
    pthread_mutex_t mu;
    double rate_ms; /* tokens per millisecond */
    double burst;
    int max_keys, n_keys;
    struct entry *table[NBUCKETS];
};

static unsigned hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % NBUCKETS;
}

struct ratelimit *ratelimit_new(double per_minute, double burst, int max_keys)
{
    struct ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl) return NULL;
    pthread_mutex_init(&rl->mu, NULL);
    rl->rate_ms = per_minute / 60000.0;
    rl->burst = burst;
    rl->max_keys = max_keys;
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl) return;
    for (int i = 0; i < NBUCKETS; i++) {
        struct entry *e = rl->table[i];
        while (e) {
            struct entry *n = e->next;
            free(e);
            e = n;
        }
    }
    pthread_mutex_destroy(&rl->mu);
    free(rl);
}

static double refilled(const struct ratelimit *rl, const struct entry *e, int64_t now)
{
    double t = e->tokens + (double)(now - e->at) * rl->rate_ms;
    return t > rl->burst ? rl->burst : t;
}

/* Forget every bucket that is full again. */
static void sweep(struct ratelimit *rl, int64_t now)
{
    for (int i = 0; i < NBUCKETS; i++) {
        struct entry **pe = &rl->table[i];
        while (*pe) {
            struct entry *e = *pe;
            if (refilled(rl, e, now) >= rl->burst) {
                *pe = e->next;
                free(e);
                rl->n_keys--;
            } else {
                pe = &e->next;
            }
        }
    }
}

/* key cut to KEY_MAX - 1 bytes into k. @return its length */
static size_t cut_key(const char *key, char k[KEY_MAX])
{
    size_t n = strlen(key);
    if (n >= KEY_MAX) n = KEY_MAX - 1;
    memcpy(k, key, n);
    k[n] = 0;
    return n;
}

/* The entry of k in bucket h, or NULL. Called with the mutex held. */
static struct entry *find(struct ratelimit *rl, unsigned h, const char *k)
{
    struct entry *e = rl->table[h];
    while (e && strcmp(e->key, k) != 0)
        e = e->next;
    return e;
}

int ratelimit_take(struct ratelimit *rl, const char *key, int64_t now)
{
    if (rl->rate_ms <= 0) return 0;
    char k[KEY_MAX];
    size_t n = cut_key(key, k);
    unsigned h = hash(k);
    pthread_mutex_lock(&rl->mu);
    struct entry *e = find(rl, h, k);
    if (!e) {
        if (rl->n_keys >= rl->max_keys) sweep(rl, now);
        e = rl->n_keys < rl->max_keys ? calloc(1, sizeof *e) : NULL;
        if (!e) {
            /* Every bucket is in use by an active key: refuse rather than forget a limit. */
            pthread_mutex_unlock(&rl->mu);
            return 1;
        }
        memcpy(e->key, k, n + 1);
        e->tokens = rl->burst;
        e->at = now;
        e->next = rl->table[h];
        rl->table[h] = e;
        rl->n_keys++;
    }
    e->tokens = refilled(rl, e, now);
    e->at = now;
    int wait = 0;
    if (e->tokens >= 1.0) {
        e->tokens -= 1.0;
    } else {
        wait = (int)ceil((1.0 - e->tokens) / rl->rate_ms / 1000.0);
        if (wait < 1) wait = 1;
    }
    pthread_mutex_unlock(&rl->mu);
    return wait;
}

void ratelimit_refund(struct ratelimit *rl, const char *key, int64_t now)
{
    if (rl->rate_ms <= 0) return;
    char k[KEY_MAX];
    cut_key(key, k);
    unsigned h = hash(k);
    pthread_mutex_lock(&rl->mu);
    struct entry *e = find(rl, h, k);
    if (e) {
        e->tokens = refilled(rl, e, now) + 1.0;
        if (e->tokens > rl->burst) e->tokens = rl->burst;
        e->at = now;
    }
    pthread_mutex_unlock(&rl->mu);
}

void ratelimit_addr_key(const char *ip, char out[RATELIMIT_ADDR_KEY_MAX])
{
    struct in6_addr a6;
    if (inet_pton(AF_INET6, ip, &a6) == 1) {
        if (IN6_IS_ADDR_V4MAPPED(&a6)) {
            inet_ntop(AF_INET, &a6.s6_addr[12], out, RATELIMIT_ADDR_KEY_MAX);
            return;
        }
        memset(&a6.s6_addr[8], 0, 8);
        char net[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &a6, net, sizeof net);
        /* The low 64 bits are zero, so the text ends in "::" (or is "::" itself). */
        snprintf(out, RATELIMIT_ADDR_KEY_MAX, "%s/64", net);
        return;
    }
    snprintf(out, RATELIMIT_ADDR_KEY_MAX, "%s", ip);
}
