/* test_clientip — the client's address behind trusted reverse proxies (http/clientip.c): the proxy
 * list's syntax (addresses, CIDRs of both families, spaces, what is refused), and the walk of
 * X-Forwarded-For from its right end — ignored from a peer that is not trusted, the rightmost
 * address that is not trusted, every hop trusted, a bad entry, IPv4-mapped IPv6 — the peer's own
 * text as the server writes it from the socket's address, and the audit
 * rule of what an entry's details may hold (core/audit.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
#include <string.h>

#include "core/audit.h"
#include "http/clientip.h"

static void client_is(const char *list, const char *peer, const char *xff, const char *want)
{
    char err[128] = "", out[CLIENTIP_MAX];
    struct proxy_set *p = proxy_set_parse(list, err, sizeof err);
    assert_non_null(p);
    client_address(p, peer, xff, out, sizeof out);
    if (strcmp(out, want) != 0)
        fail_msg("list '%s', peer %s, X-Forwarded-For '%s': got %s, want %s", list, peer,
                 xff ? xff : "(none)", out, want);
    proxy_set_free(p);
}

static void refused(const char *list)
{
    char err[128] = "";
    struct proxy_set *p = proxy_set_parse(list, err, sizeof err);
    if (p) fail_msg("'%s' was taken as a proxy list", list);
    assert_non_null(strstr(err, "TGR_TRUSTED_PROXIES"));
}

static void the_list_takes_addresses_and_cidrs(void **st)
{
    char err[128];
    struct proxy_set *p = proxy_set_parse(" 10.0.0.0/8,192.0.2.7 , fd00::/8,::1,", err, sizeof err);
    assert_non_null(p);
    assert_true(proxy_set_contains(p, "10.200.3.4"));
    assert_false(proxy_set_contains(p, "11.0.0.1"));
    assert_true(proxy_set_contains(p, "192.0.2.7"));
    assert_false(proxy_set_contains(p, "192.0.2.8"));
    assert_true(proxy_set_contains(p, "fd12:3456::1"));
    assert_false(proxy_set_contains(p, "fe80::1"));
    assert_true(proxy_set_contains(p, "::1"));
    assert_true(proxy_set_contains(p, "::ffff:10.1.1.1")); /* the IPv4 address it carries */
    assert_false(proxy_set_contains(p, "not an address"));
    proxy_set_free(p);
    /* a prefix that does not sit on a byte, and a network written with host bits set */
    p = proxy_set_parse("172.16.0.0/12, 198.51.100.77/24", err, sizeof err);
    assert_non_null(p);
    assert_true(proxy_set_contains(p, "172.31.255.255"));
    assert_false(proxy_set_contains(p, "172.32.0.0"));
    assert_true(proxy_set_contains(p, "198.51.100.1"));
    proxy_set_free(p);
    p = proxy_set_parse("", err, sizeof err);
    assert_non_null(p);
    assert_false(proxy_set_contains(p, "127.0.0.1"));
    proxy_set_free(p);
    refused("10.0.0.0/33");
    refused("10.0.0.0/");
    refused("10.0.0.0/x");
    refused("example.com");
    refused("::1/129");
    refused("10.0.0.1:8080");
}

static void a_header_from_an_untrusted_peer_is_ignored(void **st)
{
    client_is("", "192.0.2.10", "203.0.113.5", "192.0.2.10");
    client_is("10.0.0.0/8", "192.0.2.10", "203.0.113.5", "192.0.2.10");
    client_is("10.0.0.0/8", "::ffff:192.0.2.10", NULL, "192.0.2.10");
}

static void the_rightmost_untrusted_address_is_the_client(void **st)
{
    /* one proxy */
    client_is("10.0.0.5", "10.0.0.5", "203.0.113.5", "203.0.113.5");
    /* a client that writes its own header: what it wrote is left of the address the proxy saw */
    client_is("10.0.0.5", "10.0.0.5", "1.1.1.1, 203.0.113.5", "203.0.113.5");
    /* two proxies, several headers joined */
    client_is("10.0.0.0/8", "10.0.0.5", "6.6.6.6,203.0.113.5, 10.9.9.9", "203.0.113.5");
    client_is("10.0.0.0/8, 2001:db8::/32", "2001:db8::1", "2001:db8:ffff::9 ,\t2001:db8::2",
              "2001:db8:ffff::9");
    client_is("10.0.0.0/8", "10.0.0.5", "2001:db8::7", "2001:db8::7");
    client_is("10.0.0.0/8", "10.0.0.5", "::ffff:203.0.113.5", "203.0.113.5");
}

static void every_hop_trusted_or_a_bad_entry(void **st)
{
    /* all trusted: the leftmost */
    client_is("10.0.0.0/8", "10.0.0.5", "10.1.1.1, 10.2.2.2", "10.1.1.1");
    /* an entry that is no address: the trusted hop that wrote it */
    client_is("10.0.0.0/8", "10.0.0.5", "203.0.113.5, unknown", "10.0.0.5");
    client_is("10.0.0.0/8", "10.0.0.5", "203.0.113.5, bad, 10.2.2.2", "10.2.2.2");
    client_is("10.0.0.0/8", "10.0.0.5", "203.0.113.5:4711", "10.0.0.5");
    client_is("10.0.0.0/8", "10.0.0.5", "", "10.0.0.5");
    client_is("10.0.0.0/8", "10.0.0.5", "203.0.113.5,", "10.0.0.5");
}

/* The peer's text is what client_address() would make of inet_ntop's (no proxy trusted). */
static void the_peer_is_written_as_the_walk_writes_it(void **st)
{
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    char out[CLIENTIP_MAX], want[CLIENTIP_MAX];
    const char *v4s[] = {"0.0.0.0",     "127.0.0.1",       "10.20.30.40",
                         "192.0.2.255", "255.255.255.255", "1.100.9.199"};
    for (size_t i = 0; i < sizeof v4s / sizeof v4s[0]; i++) {
        assert_int_equal(inet_pton(AF_INET, v4s[i], &v4.sin_addr), 1);
        client_peer_text((const struct sockaddr *)&v4, out);
        assert_string_equal(out, v4s[i]);
        char mapped[CLIENTIP_MAX];
        snprintf(mapped, sizeof mapped, "::ffff:%s", v4s[i]);
        assert_int_equal(inet_pton(AF_INET6, mapped, &v6.sin6_addr), 1);
        client_peer_text((const struct sockaddr *)&v6, out);
        assert_string_equal(out, v4s[i]);
        client_address(NULL, mapped, NULL, want, sizeof want);
        assert_string_equal(out, want);
    }
    const char *v6s[] = {"::1", "2001:db8::1", "fd00:1:2:3:4:5:6:7", "::"};
    for (size_t i = 0; i < sizeof v6s / sizeof v6s[0]; i++) {
        assert_int_equal(inet_pton(AF_INET6, v6s[i], &v6.sin6_addr), 1);
        client_peer_text((const struct sockaddr *)&v6, out);
        assert_string_equal(out, v6s[i]);
    }
    struct sockaddr other = {.sa_family = AF_UNIX};
    client_peer_text(&other, out);
    assert_string_equal(out, "");
    client_peer_text(NULL, out);
    assert_string_equal(out, "");
}

static void audit_details_hold_only_tokens_under_known_keys(void **st)
{
    json_t *ok = json_pack("{s:[s,s], s:s, s:b, s:I, s:s, s:s}", "fields", "name", "message_text", "outcome",
                           "phone_code_invalid", "override_quiet_hours", 1, "messages", (json_int_t)3,
                           "start_at", "2026-06-01T10:00:00Z", "timezone", "America/Argentina/Buenos_Aires");
    assert_int_equal(audit_details_allowed(ok), TGR_OK);
    assert_int_equal(audit_details_allowed(NULL), TGR_OK);
    json_decref(ok);
    const char *bad[] = {
        "{\"password\": \"x\"}",                  /* not a key of the list */
        "{\"code\": \"12345\"}",                  /* nor this */
        "{\"text\": \"Hi\"}",                     /* nor this */
        "{\"outcome\": \"Hi Anna, your order\"}", /* a sentence, not a token */
        "{\"fields\": [\"a b\"]}",                /* in a list too */
        "{\"outcome\": {\"nested\": 1}}",         /* an object */
        "{\"outcome\": 1.5}",                     /* a real */
        "{\"outcome\": \"\"}",                    /* empty */
        "[1]",                                    /* not an object */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *d = json_loads(bad[i], 0, NULL);
        assert_non_null(d);
        if (audit_details_allowed(d) == TGR_OK) fail_msg("allowed: %s", bad[i]);
        json_decref(d);
    }
    char long_token[80];
    memset(long_token, 'a', sizeof long_token - 1);
    long_token[sizeof long_token - 1] = 0;
    json_t *d = json_pack("{s:s}", "outcome", long_token);
    assert_int_equal(audit_details_allowed(d), TGR_ERR);
    json_decref(d);
    assert_string_equal(audit_action_name(AUDIT_CONTACT_ERASE), "contact.erase");
    assert_string_equal(audit_actor_name(AUDIT_API_KEY), "api_key");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_list_takes_addresses_and_cidrs),
        cmocka_unit_test(a_header_from_an_untrusted_peer_is_ignored),
        cmocka_unit_test(the_rightmost_untrusted_address_is_the_client),
        cmocka_unit_test(every_hop_trusted_or_a_bad_entry),
        cmocka_unit_test(the_peer_is_written_as_the_walk_writes_it),
        cmocka_unit_test(audit_details_hold_only_tokens_under_known_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
