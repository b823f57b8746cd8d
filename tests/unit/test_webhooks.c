/* Unit tests for outgoing webhooks' pure parts: the address classifier (base/netaddr) on every
 * range it names and the IPv6 forms that carry an IPv4 address, the policy with and without
 * TGR_WEBHOOKS_ALLOW_PRIVATE, the URL check on literal addresses and names (core/webhook_url:
 * what it refuses, the CURLOPT_RESOLVE line it pins), the signature against a known answer
 * (computed independently with Python's hmac), the body's bytes, the event names, and the retry
 * schedule (30 s doubling, the last try at 24 h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/netaddr.h"
#include "core/webhook_url.h"
#include "core/webhooks.h"

static enum netaddr_class classify(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(text, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &a->sin_addr), 1);
    }
    return netaddr_classify((struct sockaddr *)&ss);
}

static void classifies_every_range(void **state)
{
    (void)state;
    static const struct {
        const char *addr;
        enum netaddr_class c;
    } cases[] = {
        {"8.8.8.8", NETADDR_PUBLIC},
        {"1.1.1.1", NETADDR_PUBLIC},
        {"93.184.216.34", NETADDR_PUBLIC},
        {"127.0.0.1", NETADDR_LOOPBACK},
        {"127.255.255.254", NETADDR_LOOPBACK},
        {"10.0.0.1", NETADDR_PRIVATE},
        {"10.255.255.255", NETADDR_PRIVATE},
        {"11.0.0.1", NETADDR_PUBLIC},
        {"172.16.0.1", NETADDR_PRIVATE},
        {"172.31.255.255", NETADDR_PRIVATE},
        {"172.15.255.255", NETADDR_PUBLIC},
        {"172.32.0.0", NETADDR_PUBLIC},
        {"192.168.0.1", NETADDR_PRIVATE},
        {"192.169.0.1", NETADDR_PUBLIC},
        {"100.64.0.1", NETADDR_PRIVATE},
        {"100.127.255.255", NETADDR_PRIVATE},
        {"100.128.0.0", NETADDR_PUBLIC},
        {"198.18.0.1", NETADDR_PRIVATE},
        {"198.20.0.1", NETADDR_PUBLIC},
        {"169.254.169.254", NETADDR_LINK_LOCAL},
        {"169.254.0.1", NETADDR_LINK_LOCAL},
        {"169.253.0.1", NETADDR_PUBLIC},
        {"0.0.0.0", NETADDR_RESERVED},
        {"0.1.2.3", NETADDR_RESERVED},
        {"224.0.0.1", NETADDR_RESERVED},
        {"239.255.255.250", NETADDR_RESERVED},
        {"240.0.0.1", NETADDR_RESERVED},
        {"255.255.255.255", NETADDR_RESERVED},
        {"2001:4860:4860::8888", NETADDR_PUBLIC},
        {"2606:4700::1111", NETADDR_PUBLIC},
        {"::1", NETADDR_LOOPBACK},
        {"::", NETADDR_RESERVED},
        {"fc00::1", NETADDR_PRIVATE},
        {"fd12:3456:789a::1", NETADDR_PRIVATE},
        {"fe80::1", NETADDR_LINK_LOCAL},
        {"febf:ffff::1", NETADDR_LINK_LOCAL},
        {"fec0::1", NETADDR_PRIVATE},
        {"ff02::1", NETADDR_RESERVED},
        /* IPv6 that carries IPv4 is the IPv4 address */
        {"::ffff:127.0.0.1", NETADDR_LOOPBACK},
        {"::ffff:169.254.169.254", NETADDR_LINK_LOCAL},
        {"::ffff:10.1.2.3", NETADDR_PRIVATE},
        {"::ffff:8.8.8.8", NETADDR_PUBLIC},
        {"::127.0.0.1", NETADDR_LOOPBACK},
        {"64:ff9b::a9fe:a9fe", NETADDR_LINK_LOCAL}, /* NAT64 of 169.254.169.254 */
        {"64:ff9b::808:808", NETADDR_PUBLIC},
        {"2002:7f00:1::1", NETADDR_LOOPBACK}, /* 6to4 of 127.0.0.1 */
        {"2002:0a00:0001::1", NETADDR_PRIVATE},
        {"2002:0808:0808::1", NETADDR_PUBLIC},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum netaddr_class c = classify(cases[i].addr);
        if (c != cases[i].c)
            fail_msg("%s: %s, want %s", cases[i].addr, netaddr_class_name(c), netaddr_class_name(cases[i].c));
    }
    struct sockaddr un = {.sa_family = AF_UNIX};
    assert_int_equal(netaddr_classify(&un), NETADDR_RESERVED);
}

static void policy_allows_private_only_when_asked(void **state)
{
    (void)state;
    assert_true(netaddr_allowed(NETADDR_PUBLIC, 0));
    assert_false(netaddr_allowed(NETADDR_LOOPBACK, 0));
    assert_false(netaddr_allowed(NETADDR_PRIVATE, 0));
    assert_false(netaddr_allowed(NETADDR_LINK_LOCAL, 0));
    assert_false(netaddr_allowed(NETADDR_RESERVED, 0));
    assert_true(netaddr_allowed(NETADDR_LOOPBACK, 1));
    assert_true(netaddr_allowed(NETADDR_PRIVATE, 1));
    assert_false(netaddr_allowed(NETADDR_LINK_LOCAL, 1)); /* never: cloud metadata */
    assert_false(netaddr_allowed(NETADDR_RESERVED, 1));
}

static void url_check_refuses_and_pins(void **state)
{
    (void)state;
    struct webhook_target t;
    char why[300];
    /* Syntax */
    const char *invalid[] = {"",
                             "ftp://8.8.8.8/",
                             "8.8.8.8/x",
                             "http://",
                             "javascript:alert(1)",
                             "http://[fe80::1%25eth0]/",
                             "file:///etc/passwd",
                             "gopher://8.8.8.8/"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        if (webhook_url_check(invalid[i], 1, &t, why, sizeof why) != WEBHOOK_URL_INVALID)
            fail_msg("%s was not refused as invalid", invalid[i]);
    /* Literal addresses: connected to as they are, no resolve line */
    assert_int_equal(webhook_url_check("http://8.8.8.8:8080/hook", 0, &t, why, sizeof why), WEBHOOK_URL_OK);
    assert_string_equal(t.resolve, "");
    assert_int_equal(t.n, 1);
    assert_int_equal(webhook_url_check("https://[2001:4860:4860::8888]/hook", 0, &t, why, sizeof why),
                     WEBHOOK_URL_OK);
    const char *refused[] = {"http://127.0.0.1/", "http://10.0.0.1/", "http://192.168.1.1/",
                             "http://[fc00::1]/", "http://[::1]/",    "http://[::ffff:127.0.0.1]/",
                             "http://localhost/"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        if (webhook_url_check(refused[i], 0, &t, why, sizeof why) != WEBHOOK_URL_REFUSED)
            fail_msg("%s was not refused", refused[i]);
        if (webhook_url_check(refused[i], 1, &t, why, sizeof why) != WEBHOOK_URL_OK)
            fail_msg("%s was refused with private addresses allowed: %s", refused[i], why);
    }
    const char *always[] = {"http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/",
                            "http://0.0.0.0/", "http://[::ffff:169.254.169.254]/"};
    for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
        if (webhook_url_check(always[i], 1, &t, why, sizeof why) != WEBHOOK_URL_REFUSED)
            fail_msg("%s was not refused", always[i]);
    assert_non_null(strstr(why, "link-local"));
    /* A name: every address checked, and pinned for the request */
    assert_int_equal(webhook_url_check("http://localhost:8123/x", 1, &t, why, sizeof why), WEBHOOK_URL_OK);
    assert_true(strncmp(t.resolve, "localhost:8123:", 15) == 0);
    assert_non_null(strstr(t.resolve, "127.0.0.1"));
    assert_int_equal(webhook_url_check("http://localhost/x", 0, &t, why, sizeof why), WEBHOOK_URL_REFUSED);
    assert_non_null(strstr(why, "loopback"));
    assert_string_equal(t.resolve, "");
    assert_int_equal(webhook_url_check("http://no-such-host.invalid/", 1, &t, why, sizeof why),
                     WEBHOOK_URL_UNRESOLVED);
}

static void signature_matches_a_known_answer(void **state)
{
    (void)state;
    char sig[128];
    const char *body = "{\"a\":1}";
    webhook_sign("whsec_test", 10, 1700000000, body, strlen(body), sig, sizeof sig);
    assert_string_equal(sig,
                        "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
    /* Another time or one byte more of the body is another signature. */
    char other[128];
    webhook_sign("whsec_test", 10, 1700000001, body, strlen(body), other, sizeof other);
    assert_string_not_equal(strchr(sig, ','), strchr(other, ','));
    webhook_sign("whsec_test", 10, 1700000000, "{\"a\":2}", 7, other, sizeof other);
    assert_string_not_equal(sig, other);
}

static void body_is_the_contracts_shape(void **state)
{
    (void)state;
    char data[] = "{\"campaign_id\":7,\"status\":\"running\"}";
    struct webhook_job j = {
        .id = 3, .account_id = 12, .webhook_id = 4, .event_id = 99, .created_at = 1764000000123};
    snprintf(j.type, sizeof j.type, "campaign.status_changed");
    j.data = data;
    char *b = webhook_body(&j);
    assert_string_equal(
        b, "{\"id\":99,\"type\":\"campaign.status_changed\",\"created_at\":\"2025-11-24T16:00:00.123Z\","
           "\"account_id\":12,\"data\":{\"campaign_id\":7,\"status\":\"running\"}}");
    char *again = webhook_body(&j);
    assert_string_equal(b, again);
    free(b);
    free(again);
}

static void event_names_round_trip(void **state)
{
    (void)state;
    const char *want[] = {"message.sent", "message.failed",   "message.read",      "message.replied",
                          "link.clicked", "order.attributed", "contact.opted_out", "campaign.status_changed"};
    assert_int_equal(WH__COUNT, 8);
    for (int i = 0; i < WH__COUNT; i++) {
        enum webhook_event e;
        assert_string_equal(webhook_event_name((enum webhook_event)i), want[i]);
        assert_int_equal(webhook_event_parse(want[i], &e), 0);
        assert_int_equal(e, i);
    }
    enum webhook_event e;
    assert_int_equal(webhook_event_parse("message.deleted", &e), -1);
    assert_int_equal(webhook_event_parse(NULL, &e), -1);
    assert_null(webhook_event_name(WH__COUNT));
    json_t *a = webhook_events_json(WEBHOOK_BIT(WH_CONTACT_OPTED_OUT) | WEBHOOK_BIT(WH_MESSAGE_SENT));
    char *s = json_dumps(a, JSON_COMPACT);
    assert_string_equal(s, "[\"message.sent\",\"contact.opted_out\"]");
    free(s);
    json_decref(a);
}

static void retries_double_from_30_s_for_24_h(void **state)
{
    (void)state;
    const int64_t base = 30000, day = 86400000, t0 = 1000000;
    /* Each failure at the time it was due: 30 s, 60 s, 120 s … */
    int64_t at = t0, want = 30000;
    int attempts = 0;
    for (;;) {
        int64_t next = webhook_retry_at(t0, ++attempts, at, base);
        if (!next) break;
        if (next < t0 + day) assert_int_equal(next - at, want);
        want *= 2;
        at = next;
    }
    /* 1 + 11 doublings (30 s … 8.5 h, up to 17 h after the event) + the last at 24 h = 13 attempts */
    assert_int_equal(attempts, 13);
    assert_int_equal(at, t0 + day);
    assert_int_equal(webhook_retry_at(t0, 1, t0 + day - 1, base), t0 + day);
    assert_int_equal(webhook_retry_at(t0, 1, t0 + day, base), 0);
    /* Shortened for tests: the same shape */
    assert_int_equal(webhook_retry_at(0, 1, 10, 100), 110);
    assert_int_equal(webhook_retry_at(0, 3, 10, 100), 410);
    assert_int_equal(webhook_retry_at(0, 1, 2880 * 100, 100), 0);
    assert_int_equal(webhook_retry_at(0, 60, 1000, 100), 2880 * 100); /* no overflow of a long run */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classifies_every_range),
        cmocka_unit_test(policy_allows_private_only_when_asked),
        cmocka_unit_test(url_check_refuses_and_pins),
        cmocka_unit_test(signature_matches_a_known_answer),
        cmocka_unit_test(body_is_the_contracts_shape),
        cmocka_unit_test(event_names_round_trip),
        cmocka_unit_test(retries_double_from_30_s_for_24_h),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
