/* loginlimit — the login limits over four token-bucket tables and a table of known addresses;
 * see loginlimit.h for the rules and docs/DECISIONS.md 47 for why.
 *
 * Emails appear in keys only as an unkeyed 16-byte BLAKE2b (hex): keys stay short and of fixed
 * size whatever the email, and the tables hold no email in clear. */
#include "http/loginlimit.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EMAIL_HASH_BYTES 16
#define LIMITER_KEYS     100000 /* active keys per limiter; past it new keys are refused */
#define KNOWN_BUCKETS    4096
#define KNOWN_TTL_MS     ((int64_t)LOGINLIMIT_KNOWN_DAYS * 24 * 3600 * 1000)

_Static_assert(RATELIMIT_ADDR_KEY_MAX + 1 + 2 * EMAIL_HASH_BYTES + 2 < LOGINLIMIT_KEY_MAX,
               "limiter key size");

struct known {
    char key[LOGINLIMIT_KEY_MAX];
    int64_t at; /* last success, monotonic ms */
    struct known *next;
};

struct loginlimit {
    struct ratelimit *addr, *email_addr, *email, *trusted;
    pthread_mutex_t mu; /* the known-address table */
    struct known *known[KNOWN_BUCKETS];
    int n_known;
};

struct loginlimit *loginlimit_new(const struct loginlimit_config *cfg)
{
    struct loginlimit *ll = calloc(1, sizeof *ll);
    if (!ll) return NULL;
    pthread_mutex_init(&ll->mu, NULL);
    ll->addr = ratelimit_new(cfg->per_addr, cfg->per_addr, LIMITER_KEYS);
    ll->email_addr = ratelimit_new(cfg->per_email_addr, cfg->per_email_addr, LIMITER_KEYS);
    ll->email = ratelimit_new(cfg->per_email_hour / 60.0, cfg->per_email_hour, LIMITER_KEYS);
    ll->trusted = ratelimit_new(1.0 / LOGINLIMIT_TRUST_REFILL_MIN, LOGINLIMIT_TRUST_FAILURES, LIMITER_KEYS);
    if (!ll->addr || !ll->email_addr || !ll->email || !ll->trusted) {
        loginlimit_free(ll);
        return NULL;
    }
    return ll;
}

void loginlimit_free(struct loginlimit *ll)
{
    if (!ll) return;
    ratelimit_free(ll->addr);
    ratelimit_free(ll->email_addr);
    ratelimit_free(ll->email);
    ratelimit_free(ll->trusted);
    for (int i = 0; i < KNOWN_BUCKETS; i++) {
        struct known *k = ll->known[i];
        while (k) {
            struct known *n = k->next;
            free(k);
            k = n;
        }
    }
    pthread_mutex_destroy(&ll->mu);
    free(ll);
}

static void email_hash(const char *email, char out[2 * EMAIL_HASH_BYTES + 1])
{
    unsigned char h[EMAIL_HASH_BYTES];
    crypto_generichash(h, sizeof h, (const unsigned char *)email, strlen(email), NULL, 0);
    sodium_bin2hex(out, 2 * EMAIL_HASH_BYTES + 1, h, sizeof h);
}

static unsigned known_hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % KNOWN_BUCKETS;
}

/* Whether key logged in within KNOWN_TTL_MS. */
static int is_known(struct loginlimit *ll, const char *key, int64_t now)
{
    pthread_mutex_lock(&ll->mu);
    struct known *k = ll->known[known_hash(key)];
    while (k && strcmp(k->key, key) != 0)
        k = k->next;
    int yes = k && now - k->at < KNOWN_TTL_MS;
    pthread_mutex_unlock(&ll->mu);
    return yes;
}

/* Drop every expired entry; if none was, the oldest one. Called with the mutex held when the
 * table is full, which takes LOGINLIMIT_KNOWN_MAX successful logins from distinct
 * (email, address) pairs: a rare, O(n) event. */
static void known_evict(struct loginlimit *ll, int64_t now)
{
    struct known **oldest = NULL;
    int dropped = 0;
    for (int i = 0; i < KNOWN_BUCKETS; i++) {
        struct known **pk = &ll->known[i];
        while (*pk) {
            struct known *k = *pk;
            if (now - k->at >= KNOWN_TTL_MS) {
                *pk = k->next;
                free(k);
                ll->n_known--;
                dropped++;
                continue;
            }
            if (!oldest || k->at < (*oldest)->at) oldest = pk;
            pk = &k->next;
        }
    }
    if (!dropped && oldest) {
        struct known *k = *oldest;
        *oldest = k->next;
        free(k);
        ll->n_known--;
    }
}

static void remember(struct loginlimit *ll, const char *key, int64_t now)
{
    unsigned h = known_hash(key);
    pthread_mutex_lock(&ll->mu);
    struct known *k = ll->known[h];
    while (k && strcmp(k->key, key) != 0)
        k = k->next;
    if (!k) {
        if (ll->n_known >= LOGINLIMIT_KNOWN_MAX) known_evict(ll, now);
        k = calloc(1, sizeof *k);
        if (!k) { /* out of memory: the address is simply not remembered */
            pthread_mutex_unlock(&ll->mu);
            return;
        }
        snprintf(k->key, sizeof k->key, "%s", key);
        k->next = ll->known[h];
        ll->known[h] = k;
        ll->n_known++;
    }
    k->at = now;
    pthread_mutex_unlock(&ll->mu);
}

/* The limiter of the per-email step that t went through. */
static struct ratelimit *budget_of(struct loginlimit *ll, const struct loginlimit_ticket *t)
{
    return t->via == LOGINLIMIT_VIA_EMAIL ? ll->email : ll->trusted;
}

int loginlimit_begin(struct loginlimit *ll, const char *ip, const char *email, const char *device_id,
                     int64_t now, struct loginlimit_ticket *t, enum loginlimit_which *which)
{
    char eh[2 * EMAIL_HASH_BYTES + 1];
    memset(t, 0, sizeof *t);
    email_hash(email, eh);
    ratelimit_addr_key(ip, t->addr);
    snprintf(t->email_addr, sizeof t->email_addr, "%s %s", t->addr, eh);

    int wait = ratelimit_take(ll->addr, t->addr, now);
    if (wait) {
        *which = LOGINLIMIT_ADDR;
        return wait;
    }
    wait = ratelimit_take(ll->email_addr, t->email_addr, now);
    if (wait) {
        ratelimit_refund(ll->addr, t->addr, now);
        *which = LOGINLIMIT_EMAIL_ADDR;
        return wait;
    }
    /* A trusted client spends its own budget while it has one, and then meets the per-email
     * budget like anyone else. */
    if (device_id) {
        snprintf(t->budget, sizeof t->budget, "d:%s", device_id);
        if (ratelimit_take(ll->trusted, t->budget, now) == 0) {
            t->via = LOGINLIMIT_VIA_DEVICE;
            t->held = 1;
            return 0;
        }
    }
    if (is_known(ll, t->email_addr, now)) {
        snprintf(t->budget, sizeof t->budget, "a:%s", t->email_addr);
        if (ratelimit_take(ll->trusted, t->budget, now) == 0) {
            t->via = LOGINLIMIT_VIA_ADDRESS;
            t->held = 1;
            return 0;
        }
    }
    snprintf(t->budget, sizeof t->budget, "%s", eh);
    wait = ratelimit_take(ll->email, t->budget, now);
    if (wait) {
        ratelimit_refund(ll->email_addr, t->email_addr, now);
        ratelimit_refund(ll->addr, t->addr, now);
        *which = LOGINLIMIT_EMAIL;
        return wait;
    }
    t->via = LOGINLIMIT_VIA_EMAIL;
    t->held = 1;
    return 0;
}

void loginlimit_failed(struct loginlimit *ll, struct loginlimit_ticket *t)
{
    t->held = 0;
}

void loginlimit_cancel(struct loginlimit *ll, struct loginlimit_ticket *t, int64_t now)
{
    if (!t->held) return;
    t->held = 0;
    ratelimit_refund(ll->addr, t->addr, now);
    ratelimit_refund(ll->email_addr, t->email_addr, now);
    ratelimit_refund(budget_of(ll, t), t->budget, now);
}

void loginlimit_succeeded(struct loginlimit *ll, struct loginlimit_ticket *t, int64_t now)
{
    loginlimit_cancel(ll, t, now);
    remember(ll, t->email_addr, now);
}
