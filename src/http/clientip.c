/* clientip — the client's address behind trusted reverse proxies; see clientip.h. */
#include "http/clientip.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* An address as 16 bytes: IPv4 as ::ffff:a.b.c.d, so one comparison serves both families. */
struct addr {
    unsigned char b[16];
    int v4;
};

struct net {
    struct addr a;
    int bits; /* prefix length over the 16 bytes (an IPv4 /24 is 96 + 24) */
};

struct proxy_set {
    struct net nets[CLIENTIP_LIST_MAX];
    int n;
};

static const unsigned char V4_MAPPED[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Parse exactly n bytes of s as an address. @return TGR_OK or TGR_ERR */
static int addr_parse(const char *s, size_t n, struct addr *out)
{
    char buf[CLIENTIP_MAX];
    if (n == 0 || n >= sizeof buf) return TGR_ERR;
    memcpy(buf, s, n);
    buf[n] = 0;
    struct in_addr v4;
    if (inet_pton(AF_INET, buf, &v4) == 1) {
        memcpy(out->b, V4_MAPPED, 12);
        memcpy(out->b + 12, &v4, 4);
        out->v4 = 1;
        return TGR_OK;
    }
    if (inet_pton(AF_INET6, buf, out->b) != 1) return TGR_ERR;
    out->v4 = memcmp(out->b, V4_MAPPED, 12) == 0;
    return TGR_OK;
}

static void addr_text(const struct addr *a, char *out, size_t cap)
{
    if (a->v4)
        inet_ntop(AF_INET, a->b + 12, out, (socklen_t)cap);
    else
        inet_ntop(AF_INET6, a->b, out, (socklen_t)cap);
}

static int in_net(const struct net *n, const struct addr *a)
{
    int full = n->bits / 8, rest = n->bits % 8;
    if (memcmp(n->a.b, a->b, (size_t)full) != 0) return 0;
    if (!rest) return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (n->a.b[full] & mask) == (a->b[full] & mask);
}

static int trusted(const struct proxy_set *p, const struct addr *a)
{
    for (int i = 0; p && i < p->n; i++)
        if (in_net(&p->nets[i], a)) return 1;
    return 0;
}

/* The piece s[0..n) without spaces and tabs around it. */
static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* One entry of a proxy list: an address, or an address and a prefix length. */
static int net_parse(const char *s, size_t n, struct net *out)
{
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;
    if (addr_parse(s, alen, &out->a) != TGR_OK) return TGR_ERR;
    int max = out->a.v4 ? 32 : 128;
    int64_t bits = max;
    if (slash) {
        char buf[8];
        size_t blen = n - alen - 1;
        if (blen == 0 || blen >= sizeof buf) return TGR_ERR;
        memcpy(buf, slash + 1, blen);
        buf[blen] = 0;
        if (parse_i64(buf, 0, max, &bits) != TGR_OK) return TGR_ERR;
    }
    out->bits = (int)bits + (out->a.v4 ? 96 : 0);
    /* The network's own address: bits past the prefix do not take part. */
    for (int i = out->bits; i < 128; i++)
        out->a.b[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
    return TGR_OK;
}

struct proxy_set *proxy_set_parse(const char *spec, char *err, size_t errlen)
{
    struct proxy_set *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const char *s = spec ? spec : "";
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        const char *e = s;
        trim(&e, &n);
        if (n) {
            if (p->n == CLIENTIP_LIST_MAX) {
                snprintf(err, errlen, "TGR_TRUSTED_PROXIES: more than %d entries", CLIENTIP_LIST_MAX);
                free(p);
                return NULL;
            }
            if (net_parse(e, n, &p->nets[p->n]) != TGR_OK) {
                snprintf(err, errlen, "TGR_TRUSTED_PROXIES: '%.*s' is not an address or CIDR",
                         (int)(n > 60 ? 60 : n), e);
                free(p);
                return NULL;
            }
            p->n++;
        }
        s = comma ? comma + 1 : s + strlen(s);
    }
    return p;
}

void proxy_set_free(struct proxy_set *p)
{
    free(p);
}

/* a.b.c.d into out (at least 16 bytes). */
static void ipv4_text(const unsigned char b[4], char *out)
{
    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (v >= 100) *out++ = (char)('0' + v / 100);
        if (v >= 10) *out++ = (char)('0' + v / 10 % 10);
        *out++ = (char)('0' + v % 10);
        *out++ = i < 3 ? '.' : 0;
    }
}

void client_peer_text(const struct sockaddr *sa, char out[CLIENTIP_MAX])
{
    out[0] = 0;
    if (sa && sa->sa_family == AF_INET) {
        ipv4_text((const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr, out);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (memcmp(a6->s6_addr, V4_MAPPED, 12) == 0)
            ipv4_text(a6->s6_addr + 12, out);
        else
            inet_ntop(AF_INET6, a6, out, CLIENTIP_MAX);
    }
}

int proxy_set_count(const struct proxy_set *p)
{
    return p ? p->n : 0;
}

int proxy_set_contains(const struct proxy_set *p, const char *text)
{
    struct addr a;
    return text && addr_parse(text, strlen(text), &a) == TGR_OK && trusted(p, &a);
}

void client_address(const struct proxy_set *p, const char *peer, const char *xff, char *out, size_t cap)
{
    struct addr at, hop;
    snprintf(out, cap, "%s", peer ? peer : "");
    if (!peer || addr_parse(peer, strlen(peer), &at) != TGR_OK) return;
    addr_text(&at, out, cap); /* the peer, as the list reads it (no ::ffff: prefix) */
    if (!xff || !trusted(p, &at)) return;
    /* Right to left: each entry is the address the proxy right of it was called from. */
    size_t end = strlen(xff);
    for (int hops = 0; hops < CLIENTIP_HOPS_MAX; hops++) {
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        const char *e = xff + start;
        size_t n = end - start;
        trim(&e, &n);
        if (addr_parse(e, n, &hop) != TGR_OK) return; /* the last trusted hop wrote it: that hop */
        at = hop;
        addr_text(&at, out, cap);
        if (!trusted(p, &at) || start == 0) return;
        end = start - 1;
    }
}

void xff_add(struct xff *x, const char *value, size_t n)
{
    if (x->len + n + 2 > sizeof x->text) {
        x->cut = 1;
        return;
    }
    if (x->seen) x->text[x->len++] = ',';
    memcpy(x->text + x->len, value, n);
    x->len += n;
    x->text[x->len] = 0;
    x->seen = 1;
}

const char *xff_value(const struct xff *x)
{
    return x->seen && !x->cut ? x->text : NULL;
}
