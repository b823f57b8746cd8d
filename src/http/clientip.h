/* clientip — which address a request comes from (issue 19 item 3): the connection's peer, unless
 * the peer is one of the reverse proxies the operator trusts (--trusted-proxies /
 * TGR_TRUSTED_PROXIES: addresses and CIDRs, comma-separated). Then X-Forwarded-For is read from
 * its right end — each proxy appends the address it was called from — skipping trusted addresses:
 * the first one that is not trusted is the client. Everything left of it was written by whoever
 * called that address, so it proves nothing. An entry that is not an address stops the walk, and
 * the last trusted address read is taken (it is the one that wrote the bad entry). A header sent
 * by a peer that is not trusted is ignored: anyone can write one.
 *
 * IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) are read as the IPv4 address they carry, in the
 * list, the peer and the header alike. The answer is what the audit log records and what the
 * per-address login limits count. Layer: http. */
#ifndef TGR_CLIENTIP_H
#define TGR_CLIENTIP_H

#include <stddef.h>

#define CLIENTIP_MAX      64 /* a text address with its NUL */
#define CLIENTIP_LIST_MAX 64 /* entries of a proxy list */
#define CLIENTIP_HOPS_MAX 32 /* X-Forwarded-For entries read from the right */

struct proxy_set;

/* Parse a list such as "10.0.0.0/8, 192.0.2.7, fd00::/8" ("" or NULL: no proxy is trusted).
 * @param err one line naming the bad entry
 * @return the set (free with proxy_set_free), or NULL */
struct proxy_set *proxy_set_parse(const char *spec, char *err, size_t errlen);
void proxy_set_free(struct proxy_set *p);

struct sockaddr;

/* The text of a connection's peer (AF_INET or AF_INET6; anything else gives ""), written as the
 * functions below write addresses: an IPv4-mapped IPv6 address as the IPv4 address it carries.
 * IPv4 is written here digit by digit (inet_ntop formats it with sprintf: a tenth of a click's
 * work). @param out CLIENTIP_MAX bytes */
void client_peer_text(const struct sockaddr *sa, char out[CLIENTIP_MAX]);

/* How many entries p has (0: no proxy is trusted, every client is the connection's peer). */
int proxy_set_count(const struct proxy_set *p);

/* Whether text is an address in p. */
int proxy_set_contains(const struct proxy_set *p, const char *text);

/* The client of a request from peer (its text form; "" when unknown) with the X-Forwarded-For
 * value xff (all such headers joined with commas; NULL when none), into out (cap >= CLIENTIP_MAX). */
void client_address(const struct proxy_set *p, const char *peer, const char *xff, char *out, size_t cap);

/* Every X-Forwarded-For header of a request, joined with commas in the order they came (RFC 9110:
 * repeated fields are one comma-separated list). Past CLIENTIP_XFF_MAX bytes the header is not
 * believed (cut): the proxy itself is then the client. Start from {0}. */
#define CLIENTIP_XFF_MAX 4096
struct xff {
    char text[CLIENTIP_XFF_MAX];
    size_t len;
    int seen, cut;
};

/* Add one header's value (n bytes, no NUL needed). */
void xff_add(struct xff *x, const char *value, size_t n);

/* The joined value for client_address(): NULL when there was none or it was cut. */
const char *xff_value(const struct xff *x);

#endif
