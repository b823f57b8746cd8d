/* fuzz_webhook_url — the outgoing webhooks' guard on arbitrary input (core/webhook_url.c,
 * base/netaddr.c). Two modes, chosen by the first byte:
 *   even: the rest is a URL, read by webhook_url_parse (curl's parser; nothing is resolved). A URL
 *         taken is at most 2048 bytes, and what curl makes of it — the parser the request uses —
 *         is an http or https URL with a host; one refused says why.
 *   odd:  the rest gives 16 bytes of an IPv6 address and 4 of an IPv4 one. An IPv6 address that
 *         carries the IPv4 one (mapped, compatible, NAT64, 6to4) is classified as it; a class
 *         allowed without TGR_WEBHOOKS_ALLOW_PRIVATE is public; link-local and reserved are
 *         never allowed. */
#include <curl/curl.h>

#include "base/netaddr.h"
#include "core/webhook_url.h"
#include "fuzz.h"
#include "store/store.h"

static void url(const uint8_t *data, size_t size)
{
    char *u = fuzz_strndup(data, size);
    char why[300];
    why[0] = 0;
    enum webhook_url_result r = webhook_url_parse(u, why, sizeof why);
    FUZZ_CHECK(r == WEBHOOK_URL_OK || r == WEBHOOK_URL_INVALID);
    if (r == WEBHOOK_URL_OK) {
        FUZZ_CHECK(strlen(u) <= WEBHOOK_URL_MAX);
        CURLU *h = curl_url();
        char *scheme = NULL, *host = NULL;
        FUZZ_CHECK(h && curl_url_set(h, CURLUPART_URL, u, 0) == CURLUE_OK);
        FUZZ_CHECK(curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK);
        FUZZ_CHECK(strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
        FUZZ_CHECK(curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK && host[0]);
        curl_free(scheme);
        curl_free(host);
        curl_url_cleanup(h);
    } else {
        FUZZ_CHECK(why[0] != 0);
    }
    free(u);
}

static void addresses(const uint8_t *data, size_t size)
{
    unsigned char v6[16] = {0}, v4[4] = {0};
    memcpy(v6, data, size < 16 ? size : 16);
    if (size > 16) memcpy(v4, data + 16, size - 16 < 4 ? size - 16 : 4);
    enum netaddr_class c4 = netaddr_classify_v4(v4), c6 = netaddr_classify_v6(v6);
    unsigned char mapped[16] = {0};
    mapped[10] = mapped[11] = 0xff;
    memcpy(mapped + 12, v4, 4);
    FUZZ_CHECK(netaddr_classify_v6(mapped) == c4);
    unsigned char nat64[16] = {0x00, 0x64, 0xff, 0x9b};
    memcpy(nat64 + 12, v4, 4);
    FUZZ_CHECK(netaddr_classify_v6(nat64) == c4);
    unsigned char six2four[16] = {0x20, 0x02};
    memcpy(six2four + 2, v4, 4);
    memcpy(six2four + 6, v6 + 6, 10);
    FUZZ_CHECK(netaddr_classify_v6(six2four) == c4);
    enum netaddr_class cs[2] = {c4, c6};
    for (int i = 0; i < 2; i++) {
        FUZZ_CHECK(!netaddr_allowed(cs[i], 0) || cs[i] == NETADDR_PUBLIC);
        if (cs[i] == NETADDR_LINK_LOCAL || cs[i] == NETADDR_RESERVED) FUZZ_CHECK(!netaddr_allowed(cs[i], 1));
        FUZZ_CHECK(strlen(netaddr_class_name(cs[i])) > 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    if (data[0] % 2 == 0)
        url(data + 1, size - 1);
    else
        addresses(data + 1, size - 1);
    return 0;
}
