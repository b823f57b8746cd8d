/* netaddr — what kind of network an IP address belongs to, for the outgoing webhooks' guard
 * against requests into the server's own network (core/webhook_url.c; API.md "Outgoing
 * webhooks"). Pure: no resolution, no I/O.
 *
 * An IPv6 address that carries an IPv4 one — IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible
 * (::a.b.c.d), NAT64's well-known prefix (64:ff9b::/96) and 6to4 (2002:AABB:CCDD::/48) — is
 * classified as that IPv4 address, since a connection to it may end there.
 * Layer: base. */
#ifndef TGR_NETADDR_H
#define TGR_NETADDR_H

#include <stddef.h>

struct sockaddr;

enum netaddr_class {
    NETADDR_PUBLIC,     /* anything routable on the Internet */
    NETADDR_LOOPBACK,   /* 127.0.0.0/8, ::1 */
    NETADDR_PRIVATE,    /* 10/8, 172.16/12, 192.168/16, 100.64/10 (shared), 198.18/15 (benchmarking),
                         * fc00::/7 (unique-local), fec0::/10 (old site-local) */
    NETADDR_LINK_LOCAL, /* 169.254/16 (cloud metadata lives there), fe80::/10 */
    NETADDR_RESERVED,   /* nowhere to send to: 0/8 ("this host"), 224/4 multicast, 240/4 and the
                         * broadcast address, ::, ff00::/8 multicast */
};

/* The class of a 4-byte IPv4 address in network order. */
enum netaddr_class netaddr_classify_v4(const unsigned char a[4]);
/* The class of a 16-byte IPv6 address in network order. */
enum netaddr_class netaddr_classify_v6(const unsigned char a[16]);
/* The class of an AF_INET or AF_INET6 socket address; any other family is NETADDR_RESERVED. */
enum netaddr_class netaddr_classify(const struct sockaddr *sa);

/* "public", "loopback", "private", "link-local", "reserved". */
const char *netaddr_class_name(enum netaddr_class c);

/* Is an address of class c one a webhook may be sent to? Public always; loopback and private
 * only when allow_private (TGR_WEBHOOKS_ALLOW_PRIVATE=1); link-local and reserved never. */
int netaddr_allowed(enum netaddr_class c, int allow_private);

/* The numeric text of sa ("192.0.2.1", "2001:db8::1") into out (>= 46 bytes); "" for another
 * family. */
void netaddr_text(const struct sockaddr *sa, char *out, size_t cap);

#endif
