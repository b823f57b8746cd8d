/* clickwin — the repeat-click window; see clickwin.h. */
#include "analytics/clickwin.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    uint64_t tag; /* 0: empty */
    int64_t at;   /* when its last counted click was */
};

struct clickwin {
    pthread_mutex_t mu;
    unsigned char key[crypto_shorthash_KEYBYTES];
    int64_t window_ms;
    size_t buckets;  /* a power of two */
    struct entry *e; /* buckets * CLICKWIN_WAYS */
};

struct clickwin *clickwin_new(size_t entries, int64_t window_ms)
{
    size_t buckets = 1;
    while (buckets * CLICKWIN_WAYS < entries && buckets < ((size_t)1 << 30))
        buckets <<= 1;
    struct clickwin *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->e = calloc(buckets * CLICKWIN_WAYS, sizeof *w->e);
    if (!w->e) {
        free(w);
        return NULL;
    }
    w->buckets = buckets;
    w->window_ms = window_ms;
    randombytes_buf(w->key, sizeof w->key);
    pthread_mutex_init(&w->mu, NULL);
    return w;
}

void clickwin_free(struct clickwin *w)
{
    if (!w) return;
    pthread_mutex_destroy(&w->mu);
    sodium_memzero(w->key, sizeof w->key);
    free(w->e);
    free(w);
}

/* The keyed hash of (link, recipient, address); never 0. */
static uint64_t key_of(const struct clickwin *w, int64_t link_id, int64_t recipient_id, const char *addr)
{
    unsigned char msg[17 + 64];
    size_t n = 0;
    for (int i = 0; i < 8; i++) {
        msg[n++] = (unsigned char)((uint64_t)link_id >> (8 * i));
        msg[n++] = (unsigned char)((uint64_t)recipient_id >> (8 * i));
    }
    struct in_addr a4;
    struct in6_addr a6;
    if (addr && inet_pton(AF_INET, addr, &a4) == 1) {
        msg[n++] = 4;
        memcpy(msg + n, &a4, 4);
        n += 4;
    } else if (addr && inet_pton(AF_INET6, addr, &a6) == 1) {
        int mapped = IN6_IS_ADDR_V4MAPPED(&a6); /* an IPv4 client of a dual-stack socket */
        msg[n++] = mapped ? 4 : 6;
        memcpy(msg + n, a6.s6_addr + (mapped ? 12 : 0), mapped ? 4 : 8); /* whole IPv4, or the /64 */
        n += mapped ? 4 : 8;
    } else {
        size_t len = addr ? strnlen(addr, 64) : 0;
        msg[n++] = 0;
        memcpy(msg + n, addr ? addr : "", len);
        n += len;
    }
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, msg, n, w->key);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)h[i] << (8 * i);
    return v ? v : 1;
}

int clickwin_first(struct clickwin *w, int64_t link_id, int64_t recipient_id, const char *addr,
                   int64_t now_ms)
{
    uint64_t tag = key_of(w, link_id, recipient_id, addr);
    int counts = 1;
    pthread_mutex_lock(&w->mu);
    struct entry *b = w->e + (size_t)(tag & (w->buckets - 1)) * CLICKWIN_WAYS, *victim = b;
    for (int i = 0; i < CLICKWIN_WAYS; i++) {
        if (b[i].tag == tag) {
            /* A clock that went back reads as inside the window. */
            if (now_ms - b[i].at < w->window_ms) counts = 0;
            victim = &b[i];
            break;
        }
        if (victim->tag && (!b[i].tag || b[i].at < victim->at)) victim = &b[i];
    }
    if (counts) {
        victim->tag = tag;
        victim->at = now_ms;
    }
    pthread_mutex_unlock(&w->mu);
    return counts;
}
