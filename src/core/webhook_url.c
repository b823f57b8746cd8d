/* webhook_url — checking an outgoing webhook's URL and where it leads; see webhook_url.h. */
#include "core/webhook_url.h"

#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "base/netaddr.h"
#include "store/store.h"

/* The parts of a URL the check needs, read by libcurl's parser. */
struct url_parts {
    char host[256]; /* as curl keeps it: an IPv6 literal in brackets */
    char port[8];
};

static enum webhook_url_result invalid(char *why, size_t cap, const char *msg)
{
    snprintf(why, cap, "%s", msg);
    return WEBHOOK_URL_INVALID;
}

static enum webhook_url_result parse(const char *url, struct url_parts *p, char *why, size_t cap)
{
    if (!url || !*url || strlen(url) > WEBHOOK_URL_MAX)
        return invalid(why, cap, "must be an http:// or https:// URL of at most 2048 characters");
    CURLU *u = curl_url();
    if (!u) return invalid(why, cap, "could not be read");
    char *scheme = NULL, *host = NULL, *port = NULL, *zone = NULL;
    enum webhook_url_result r = WEBHOOK_URL_INVALID;
    /* No scheme guessing and no bare host: the URL must say http:// or https://. */
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        invalid(why, cap, "is not a valid URL");
    } else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
               (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
        invalid(why, cap, "must start with http:// or https://");
    } else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host ||
               strlen(host) >= sizeof p->host) {
        invalid(why, cap, "must name a host");
    } else if (curl_url_get(u, CURLUPART_ZONEID, &zone, 0) == CURLUE_OK) {
        /* An IPv6 zone ("fe80::1%eth0") only goes with link-local addresses. */
        invalid(why, cap, "must not name a network interface");
    } else if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
               strlen(port) >= sizeof p->port) {
        invalid(why, cap, "has an invalid port");
    } else {
        snprintf(p->host, sizeof p->host, "%s", host);
        snprintf(p->port, sizeof p->port, "%s", port);
        r = WEBHOOK_URL_OK;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(zone);
    curl_url_cleanup(u);
    return r;
}

enum webhook_url_result webhook_url_parse(const char *url, char *why, size_t cap)
{
    struct url_parts p;
    return parse(url, &p, why, cap);
}

/* Append addr to t->resolve's list, IPv6 in brackets. */
static void add_address(struct webhook_target *t, const struct sockaddr *sa)
{
    char text[64];
    netaddr_text(sa, text, sizeof text);
    size_t len = strlen(t->resolve);
    int v6 = sa->sa_family == AF_INET6;
    snprintf(t->resolve + len, sizeof t->resolve - len, "%s%s%s%s", t->n ? "," : "", v6 ? "[" : "", text,
             v6 ? "]" : "");
    t->n++;
}

static int same_address(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family) return 0;
    if (a->sa_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)a)->sin_addr, &((const struct sockaddr_in *)b)->sin_addr,
                      sizeof(struct in_addr)) == 0;
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
                  sizeof(struct in6_addr)) == 0;
}

enum webhook_url_result webhook_url_check(const char *url, int allow_private, struct webhook_target *t,
                                          char *why, size_t cap)
{
    memset(t, 0, sizeof *t);
    struct url_parts p;
    enum webhook_url_result r = parse(url, &p, why, cap);
    if (r != WEBHOOK_URL_OK) return r;

    /* The name to resolve: an IPv6 literal without its brackets. */
    char name[256];
    size_t hl = strlen(p.host);
    int literal6 = p.host[0] == '[' && hl > 2 && p.host[hl - 1] == ']';
    snprintf(name, sizeof name, "%.*s", literal6 ? (int)(hl - 2) : (int)hl, p.host + literal6);

    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(name, p.port, &hints, &res) != 0 || !res) {
        snprintf(why, cap, "must name a host that resolves: %.200s has no address", name);
        return WEBHOOK_URL_UNRESOLVED;
    }
    /* A literal address is connected to as it is; a name, through the addresses checked here. */
    struct addrinfo probe = hints, *lit = NULL;
    probe.ai_flags = AI_NUMERICHOST;
    int is_literal = getaddrinfo(name, p.port, &probe, &lit) == 0;
    if (lit) freeaddrinfo(lit);
    if (!is_literal) snprintf(t->resolve, sizeof t->resolve, "%s:%s:", p.host, p.port);

    const struct sockaddr *seen[WEBHOOK_ADDRS_MAX];
    size_t n_seen = 0;
    r = WEBHOOK_URL_OK;
    for (const struct addrinfo *ai = res; ai && r == WEBHOOK_URL_OK; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        int dup = 0;
        for (size_t i = 0; i < n_seen && !dup; i++)
            dup = same_address(seen[i], ai->ai_addr);
        if (dup) continue;
        enum netaddr_class c = netaddr_classify(ai->ai_addr);
        if (!netaddr_allowed(c, allow_private)) {
            snprintf(why, cap, "must lead to public addresses only: %.200s leads to a %s address%s", name,
                     netaddr_class_name(c),
                     c == NETADDR_LOOPBACK || c == NETADDR_PRIVATE
                         ? " (TGR_WEBHOOKS_ALLOW_PRIVATE=1 allows it)"
                         : "");
            r = WEBHOOK_URL_REFUSED;
            break;
        }
        if (n_seen == WEBHOOK_ADDRS_MAX) continue; /* checked, but not one to connect to */
        seen[n_seen++] = ai->ai_addr;
        if (!is_literal)
            add_address(t, ai->ai_addr);
        else
            t->n++;
    }
    freeaddrinfo(res);
    if (r == WEBHOOK_URL_OK && t->n == 0) {
        snprintf(why, cap, "must name a host that resolves: %.200s has no address", name);
        r = WEBHOOK_URL_UNRESOLVED;
    }
    if (r != WEBHOOK_URL_OK) t->resolve[0] = 0;
    return r;
}
