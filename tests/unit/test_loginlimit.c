/* test_loginlimit — the login limits of http/loginlimit (only failures count; reservations cap
 * concurrent checks; one IPv6 /64 is one address; the per-email budget and what passes it:
 * device cookies and known addresses, each with a budget of its own) and the device cookie of
 * http/device (made and checked; forged, foreign, expired and malformed values refused). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "crypto/keys.h"
#include "http/device.h"
#include "http/loginlimit.h"

#define OWNER "owner@shop.test"
#define T0    1000000 /* a monotonic time, ms */

static struct loginlimit *limits(int per_addr, int per_email_addr, int per_email_hour)
{
    struct loginlimit_config cfg = {
        .per_addr = per_addr, .per_email_addr = per_email_addr, .per_email_hour = per_email_hour};
    struct loginlimit *ll = loginlimit_new(&cfg);
    assert_non_null(ll);
    return ll;
}

/* Begin an attempt and settle it at once: 1 = the password was right, 0 = wrong.
 * @return 0 if it was checked, else the wait */
static int attempt(struct loginlimit *ll, const char *ip, const char *email, const char *device, int right)
{
    struct loginlimit_ticket t;
    enum loginlimit_which which;
    int wait = loginlimit_begin(ll, ip, email, device, T0, &t, &which);
    if (wait) return wait;
    if (right)
        loginlimit_succeeded(ll, &t, T0);
    else
        loginlimit_failed(ll, &t);
    return 0;
}

static enum loginlimit_which refused_by(struct loginlimit *ll, const char *ip, const char *email,
                                        const char *device)
{
    struct loginlimit_ticket t;
    enum loginlimit_which which = (enum loginlimit_which) - 1;
    assert_true(loginlimit_begin(ll, ip, email, device, T0, &t, &which) >= 1);
    return which;
}

static void only_failures_count(void **st)
{
    struct loginlimit *ll = limits(100, 3, 100);
    for (int i = 0; i < 20; i++)
        assert_int_equal(attempt(ll, "192.0.2.1", OWNER, NULL, 1), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(attempt(ll, "192.0.2.1", OWNER, NULL, 0), 0);
    assert_int_equal(refused_by(ll, "192.0.2.1", OWNER, NULL), LOGINLIMIT_EMAIL_ADDR);
    /* Another address, and another email from this address, are unaffected. */
    assert_int_equal(attempt(ll, "192.0.2.2", OWNER, NULL, 0), 0);
    assert_int_equal(attempt(ll, "192.0.2.1", "someone@shop.test", NULL, 0), 0);
    loginlimit_free(ll);
}

static void reservations_cap_concurrent_checks(void **st)
{
    struct loginlimit *ll = limits(100, 3, 100);
    struct loginlimit_ticket t[5];
    enum loginlimit_which which;
    /* Three attempts in flight hold the three failures; the fourth is refused before any check. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(loginlimit_begin(ll, "192.0.2.1", OWNER, NULL, T0, &t[i], &which), 0);
    assert_true(loginlimit_begin(ll, "192.0.2.1", OWNER, NULL, T0, &t[3], &which) >= 1);
    assert_int_equal(which, LOGINLIMIT_EMAIL_ADDR);
    /* One turns out right (given back), one gets no verdict (given back), one was wrong. */
    loginlimit_succeeded(ll, &t[0], T0);
    loginlimit_cancel(ll, &t[1], T0);
    loginlimit_failed(ll, &t[2]);
    loginlimit_cancel(ll, &t[2], T0); /* a settled ticket: the cleanup hook's call does nothing */
    assert_int_equal(loginlimit_begin(ll, "192.0.2.1", OWNER, NULL, T0, &t[3], &which), 0);
    assert_int_equal(loginlimit_begin(ll, "192.0.2.1", OWNER, NULL, T0, &t[4], &which), 0);
    assert_true(refused_by(ll, "192.0.2.1", OWNER, NULL) == LOGINLIMIT_EMAIL_ADDR);
    loginlimit_failed(ll, &t[3]);
    loginlimit_failed(ll, &t[4]);
    loginlimit_free(ll);
}

static void the_address_limit_spans_emails_and_a_whole_ipv6_64(void **st)
{
    struct loginlimit *ll = limits(4, 100, 100);
    char email[64];
    for (int i = 0; i < 4; i++) {
        char ip[64];
        snprintf(email, sizeof email, "user%d@shop.test", i);
        snprintf(ip, sizeof ip, "2001:db8:7:7::%x", i + 1); /* a new address each time, one /64 */
        assert_int_equal(attempt(ll, ip, email, NULL, 0), 0);
    }
    assert_int_equal(refused_by(ll, "2001:db8:7:7:abcd::99", "new@shop.test", NULL), LOGINLIMIT_ADDR);
    assert_int_equal(attempt(ll, "2001:db8:7:8::1", "new@shop.test", NULL, 0), 0); /* the next /64 */
    /* An IPv4 client seen through a dual-stack socket is the IPv4 address. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(attempt(ll, "::ffff:198.51.100.7", "x@shop.test", NULL, 0), 0);
    assert_int_equal(refused_by(ll, "198.51.100.7", "y@shop.test", NULL), LOGINLIMIT_ADDR);
    loginlimit_free(ll);
}

static void the_email_budget_caps_many_addresses(void **st)
{
    struct loginlimit *ll = limits(100, 100, 5);
    char ip[32];
    for (int i = 0; i < 5; i++) {
        snprintf(ip, sizeof ip, "203.0.113.%d", i + 1);
        assert_int_equal(attempt(ll, ip, OWNER, NULL, 0), 0);
    }
    assert_int_equal(refused_by(ll, "203.0.113.100", OWNER, NULL), LOGINLIMIT_EMAIL);
    /* A refused attempt held nothing: the address it came from is untouched. */
    assert_int_equal(attempt(ll, "203.0.113.100", "someone@shop.test", NULL, 0), 0);
    loginlimit_free(ll);
}

static void known_addresses_and_devices_pass_the_budget_for_a_while(void **st)
{
    struct loginlimit *ll = limits(1000, 1000, 2);
    /* The owner logs in from home; then the budget is spent from elsewhere. */
    assert_int_equal(attempt(ll, "192.0.2.10", OWNER, NULL, 1), 0);
    assert_int_equal(attempt(ll, "198.51.100.1", OWNER, NULL, 0), 0);
    assert_int_equal(attempt(ll, "198.51.100.2", OWNER, NULL, 0), 0);
    assert_int_equal(refused_by(ll, "198.51.100.3", OWNER, NULL), LOGINLIMIT_EMAIL);
    /* Home is known for this email, not for another one. */
    assert_int_equal(attempt(ll, "192.0.2.10", OWNER, NULL, 1), 0);
    assert_int_equal(attempt(ll, "203.0.113.1", "other@shop.test", NULL, 0), 0);
    assert_int_equal(attempt(ll, "203.0.113.2", "other@shop.test", NULL, 0), 0);
    assert_int_equal(refused_by(ll, "192.0.2.10", "other@shop.test", NULL), LOGINLIMIT_EMAIL);
    /* A device passes from anywhere, for LOGINLIMIT_TRUST_FAILURES failures; a success costs
     * nothing. */
    assert_int_equal(attempt(ll, "198.51.100.50", OWNER, "dev1", 1), 0);
    for (int i = 0; i < LOGINLIMIT_TRUST_FAILURES; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "198.51.100.%d", 60 + i);
        assert_int_equal(attempt(ll, ip, OWNER, "dev1", 0), 0);
    }
    assert_int_equal(refused_by(ll, "198.51.100.99", OWNER, "dev1"), LOGINLIMIT_EMAIL);
    assert_int_equal(attempt(ll, "198.51.100.99", OWNER, "dev2", 1), 0); /* another device */
    /* The same for an address: its own budget, then the per-email budget. */
    for (int i = 0; i < LOGINLIMIT_TRUST_FAILURES; i++)
        assert_int_equal(attempt(ll, "192.0.2.10", OWNER, NULL, 0), 0);
    assert_int_equal(refused_by(ll, "192.0.2.10", OWNER, NULL), LOGINLIMIT_EMAIL);
    /* A device whose budget is spent still passes from an address it logged in from (.50). */
    assert_int_equal(attempt(ll, "198.51.100.50", OWNER, "dev1", 1), 0);
    loginlimit_free(ll);
}

static void trusted_clients_still_meet_the_address_limits(void **st)
{
    struct loginlimit *ll = limits(1000, 2, 1000);
    assert_int_equal(attempt(ll, "192.0.2.10", OWNER, NULL, 1), 0);
    assert_int_equal(attempt(ll, "192.0.2.10", OWNER, "dev1", 0), 0);
    assert_int_equal(attempt(ll, "192.0.2.10", OWNER, "dev1", 0), 0);
    assert_int_equal(refused_by(ll, "192.0.2.10", OWNER, "dev1"), LOGINLIMIT_EMAIL_ADDR);
    loginlimit_free(ll);
}

static void zero_means_no_limit(void **st)
{
    struct loginlimit *ll = limits(0, 0, 0);
    for (int i = 0; i < 500; i++)
        assert_int_equal(attempt(ll, "192.0.2.1", OWNER, NULL, 0), 0);
    loginlimit_free(ll);
}

/* ---- the device cookie ------------------------------------------------------------------- */

static struct keyring kr;

static int setup_keys(void **st)
{
    unsigned char m[KEYS_BYTES];
    for (int i = 0; i < KEYS_BYTES; i++)
        m[i] = (unsigned char)(i * 11 + 3);
    keyring_from_master(&kr, m);
    return 0;
}

static void device_cookie_round_trip(void **st)
{
    char v[DEVICE_VALUE_MAX], id[DEVICE_ID_MAX], id2[DEVICE_ID_MAX], again[DEVICE_VALUE_MAX];
    int64_t now = 1800000000;
    device_cookie_make(&kr, OWNER, now, v);
    assert_int_equal(strlen(v), 22 + 1 + 10 + 1 + 32);
    assert_null(strstr(v, "owner"));
    assert_int_equal(device_cookie_check(&kr, OWNER, v, now, id), TGR_OK);
    assert_int_equal(strlen(id), 22);
    assert_memory_equal(id, v, 22);
    /* Valid for a year, with a little clock skew the other way. */
    assert_int_equal(device_cookie_check(&kr, OWNER, v, now + DEVICE_COOKIE_TTL_S, id2), TGR_OK);
    assert_int_equal(device_cookie_check(&kr, OWNER, v, now - 60, id2), TGR_OK);
    /* Each login gets a new id. */
    device_cookie_make(&kr, OWNER, now, again);
    assert_string_not_equal(again, v);
}

static void device_cookie_refusals(void **st)
{
    char v[DEVICE_VALUE_MAX], bad[DEVICE_VALUE_MAX + 16], id[DEVICE_ID_MAX];
    int64_t now = 1800000000;
    device_cookie_make(&kr, OWNER, now, v);
    /* Another email, too old, from the future. */
    assert_int_equal(device_cookie_check(&kr, "other@shop.test", v, now, id), TGR_ERR);
    assert_int_equal(device_cookie_check(&kr, OWNER, v, now + DEVICE_COOKIE_TTL_S + 1, id), TGR_ERR);
    assert_int_equal(device_cookie_check(&kr, OWNER, v, now - 3600, id), TGR_ERR);
    /* Another key (another installation). */
    struct keyring other;
    unsigned char m[KEYS_BYTES] = {1};
    keyring_from_master(&other, m);
    assert_int_equal(device_cookie_check(&other, OWNER, v, now, id), TGR_ERR);
    /* Any changed character. */
    for (size_t i = 0; i < strlen(v); i++) {
        if (v[i] == '.') continue;
        snprintf(bad, sizeof bad, "%s", v);
        bad[i] = bad[i] == 'a' ? 'b' : 'a';
        assert_int_equal(device_cookie_check(&kr, OWNER, bad, now, id), TGR_ERR);
    }
    /* The issue time written another way. */
    const char *dot = strchr(v, '.');
    snprintf(bad, sizeof bad, "%.*s.0%s", (int)(dot - v), v, dot + 1);
    assert_int_equal(device_cookie_check(&kr, OWNER, bad, now, id), TGR_ERR);
    const char *malformed[] = {"", ".", "..", "abc", "a.b.c", "a.1.", ".1.00", NULL};
    for (int i = 0; malformed[i]; i++)
        assert_int_equal(device_cookie_check(&kr, OWNER, malformed[i], now, id), TGR_ERR);
    snprintf(bad, sizeof bad, "%s%s", v, "0");
    assert_int_equal(device_cookie_check(&kr, OWNER, bad, now, id), TGR_ERR);
    assert_int_equal(device_cookie_check(&kr, OWNER, NULL, now, id), TGR_ERR);
}

static void device_set_cookie_attributes(void **st)
{
    char h[DEVICE_SET_COOKIE_MAX];
    device_set_cookie("VALUE", 0, h);
    assert_string_equal(h, "tgr_device=VALUE; Path=/auth/login; Max-Age=31536000; HttpOnly; SameSite=Strict");
    device_set_cookie("VALUE", 1, h);
    assert_non_null(strstr(h, "; Secure"));
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(only_failures_count),
        cmocka_unit_test(reservations_cap_concurrent_checks),
        cmocka_unit_test(the_address_limit_spans_emails_and_a_whole_ipv6_64),
        cmocka_unit_test(the_email_budget_caps_many_addresses),
        cmocka_unit_test(known_addresses_and_devices_pass_the_budget_for_a_while),
        cmocka_unit_test(trusted_clients_still_meet_the_address_limits),
        cmocka_unit_test(zero_means_no_limit),
        cmocka_unit_test_setup(device_cookie_round_trip, setup_keys),
        cmocka_unit_test_setup(device_cookie_refusals, setup_keys),
        cmocka_unit_test(device_set_cookie_attributes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
