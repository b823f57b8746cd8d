/* netaddr — IP address classes; see netaddr.h. */
#include "base/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Does a (network order, 4 bytes) fall in prefix/len? */
static int in_v4(const unsigned char a[4], uint32_t prefix, int len)
{
    uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
    uint32_t mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
    return (v & mask) == (prefix & mask);
}

enum netaddr_class netaddr_classify_v4(const unsigned char a[4])
{
    static const struct {
        uint32_t prefix;
        int len;
        enum netaddr_class c;
    } ranges[] = {
        {0x00000000u, 8, NETADDR_RESERVED},    /* 0.0.0.0/8: "this host"; 0.0.0.0 reaches loopback */
        {0x7f000000u, 8, NETADDR_LOOPBACK},    /* 127.0.0.0/8 */
        {0x0a000000u, 8, NETADDR_PRIVATE},     /* 10.0.0.0/8 */
        {0xac100000u, 12, NETADDR_PRIVATE},    /* 172.16.0.0/12 */
        {0xc0a80000u, 16, NETADDR_PRIVATE},    /* 192.168.0.0/16 */
        {0x64400000u, 10, NETADDR_PRIVATE},    /* 100.64.0.0/10, carrier-grade NAT */
        {0xc6120000u, 15, NETADDR_PRIVATE},    /* 198.18.0.0/15, benchmarking */
        {0xa9fe0000u, 16, NETADDR_LINK_LOCAL}, /* 169.254.0.0/16, cloud metadata */
        {0xe0000000u, 4, NETADDR_RESERVED},    /* 224.0.0.0/4 multicast */
        {0xf0000000u, 4, NETADDR_RESERVED},    /* 240.0.0.0/4 and 255.255.255.255 */
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (in_v4(a, ranges[i].prefix, ranges[i].len)) return ranges[i].c;
    return NETADDR_PUBLIC;
}

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

enum netaddr_class netaddr_classify_v6(const unsigned char a[16])
{
    static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    if (all_zero(a, 16)) return NETADDR_RESERVED;               /* :: */
    if (all_zero(a, 15) && a[15] == 1) return NETADDR_LOOPBACK; /* ::1 */
    if (all_zero(a, 10) && a[10] == 0xff && a[11] == 0xff)      /* ::ffff:a.b.c.d */
        return netaddr_classify_v4(a + 12);
    if (all_zero(a, 12)) return netaddr_classify_v4(a + 12);                     /* ::a.b.c.d */
    if (memcmp(a, nat64, sizeof nat64) == 0) return netaddr_classify_v4(a + 12); /* 64:ff9b::/96 */
    if (a[0] == 0x20 && a[1] == 0x02) return netaddr_classify_v4(a + 2);         /* 2002::/16 */
    if (a[0] == 0xff) return NETADDR_RESERVED;                                   /* ff00::/8 */
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return NETADDR_LINK_LOCAL;        /* fe80::/10 */
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) return NETADDR_PRIVATE;           /* fec0::/10 */
    if ((a[0] & 0xfe) == 0xfc) return NETADDR_PRIVATE;                           /* fc00::/7 */
    return NETADDR_PUBLIC;
}

enum netaddr_class netaddr_classify(const struct sockaddr *sa)
{
    if (!sa) return NETADDR_RESERVED;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return netaddr_classify_v4((const unsigned char *)&in->sin_addr);
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        return netaddr_classify_v6(in6->sin6_addr.s6_addr);
    }
    return NETADDR_RESERVED;
}

const char *netaddr_class_name(enum netaddr_class c)
{
    switch (c) {
    case NETADDR_PUBLIC:
        return "public";
    case NETADDR_LOOPBACK:
        return "loopback";
    case NETADDR_PRIVATE:
        return "private";
    case NETADDR_LINK_LOCAL:
        return "link-local";
    case NETADDR_RESERVED:
        break;
    }
    return "reserved";
}

int netaddr_allowed(enum netaddr_class c, int allow_private)
{
    switch (c) {
    case NETADDR_PUBLIC:
        return 1;
    case NETADDR_LOOPBACK:
    case NETADDR_PRIVATE:
        return allow_private != 0;
    case NETADDR_LINK_LOCAL:
    case NETADDR_RESERVED:
        break;
    }
    return 0;
}

void netaddr_text(const struct sockaddr *sa, char *out, size_t cap)
{
    if (cap) out[0] = 0;
    if (!sa || cap < INET6_ADDRSTRLEN) return;
    const void *src = NULL;
    if (sa->sa_family == AF_INET)
        src = &((const struct sockaddr_in *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        src = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (!src || !inet_ntop(sa->sa_family, src, out, (socklen_t)cap)) out[0] = 0;
}
