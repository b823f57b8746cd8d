/* webhook_url — where an outgoing webhook's URL leads, and whether tgr may send there (API.md
 * "Outgoing webhooks": the guard against server-side request forgery).
 *
 * A URL is read by libcurl's own parser (curl_url), the one that reads it again when the request
 * is made, so the host checked here is the host connected to. Only http and https are taken.
 * The host is resolved, and every address it resolves to must be allowed (base/netaddr.h:
 * public; loopback and private only with TGR_WEBHOOKS_ALLOW_PRIVATE=1; link-local and reserved
 * never): one refused address refuses the URL, so a name that answers with a public and a private
 * address cannot slip the second through. The addresses checked are handed on (resolve) for the
 * request to use as they are (CURLOPT_RESOLVE): it makes no second lookup whose answer could
 * differ (DNS rebinding); the request's socket callback checks each address it connects to
 * again (hooks/deliver.c). Resolution blocks (getaddrinfo): call from a worker thread.
 * Layer: core. */
#ifndef TGR_WEBHOOK_URL_H
#define TGR_WEBHOOK_URL_H

#include <stddef.h>

#define WEBHOOK_ADDRS_MAX 16

enum webhook_url_result {
    WEBHOOK_URL_OK,
    WEBHOOK_URL_INVALID,    /* not an http(s) URL with a host, or too long */
    WEBHOOK_URL_UNRESOLVED, /* the host has no address (now) */
    WEBHOOK_URL_REFUSED,    /* an address it leads to is not allowed */
};

/* Where a URL leads, once checked. */
struct webhook_target {
    char resolve[WEBHOOK_ADDRS_MAX * 48 +
                 300]; /* "HOST:PORT:ADDR,[ADDR6]" for CURLOPT_RESOLVE; "" for an IP literal */
    size_t n;          /* addresses checked */
};

/* Check url (see the header comment); allow_private lets loopback and private addresses through.
 * @param[out] t where it leads (on WEBHOOK_URL_OK)
 * @param why a sentence for the user on failure (never more than the URL's own host and the
 *            class of address: internal addresses are not echoed back) */
enum webhook_url_result webhook_url_check(const char *url, int allow_private, struct webhook_target *t,
                                          char *why, size_t cap);

/* The syntax part of webhook_url_check alone (no resolution): an http(s) URL with a host, at most
 * WEBHOOK_URL_MAX bytes. @return WEBHOOK_URL_OK or WEBHOOK_URL_INVALID with why */
enum webhook_url_result webhook_url_parse(const char *url, char *why, size_t cap);

#endif
