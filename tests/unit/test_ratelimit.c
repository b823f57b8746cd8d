/* test_ratelimit — token buckets: burst, refill, Retry-After seconds, independent keys,
 * bounded memory under many keys, refunds; the key of a client address (IPv6 by /64, IPv4 and
 * IPv4-mapped IPv6 by the whole address). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "http/ratelimit.h"

static void burst_then_limited(void **st)
{
    struct ratelimit *rl = ratelimit_new(10, 10, 100);
    for (int i = 0; i < 10; i++)
        assert_int_equal(ratelimit_take(rl, "1.2.3.4", 1000), 0);
    int wait = ratelimit_take(rl, "1.2.3.4", 1000);
    assert_true(wait >= 1 && wait <= 6); /* one token every 6 s */
    assert_int_equal(ratelimit_take(rl, "5.6.7.8", 1000), 0);
    ratelimit_free(rl);
}

static void refills_over_time(void **st)
{
    struct ratelimit *rl = ratelimit_new(60, 2, 100); /* one token a second */
    assert_int_equal(ratelimit_take(rl, "k", 0), 0);
    assert_int_equal(ratelimit_take(rl, "k", 0), 0);
    assert_int_equal(ratelimit_take(rl, "k", 0), 1);
    assert_int_equal(ratelimit_take(rl, "k", 1000), 0);
    assert_true(ratelimit_take(rl, "k", 1000) >= 1);
    /* A long pause refills only up to the burst. */
    assert_int_equal(ratelimit_take(rl, "k", 100000), 0);
    assert_int_equal(ratelimit_take(rl, "k", 100000), 0);
    assert_true(ratelimit_take(rl, "k", 100000) >= 1);
    ratelimit_free(rl);
}

static void disabled_never_limits(void **st)
{
    struct ratelimit *rl = ratelimit_new(0, 0, 10);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(ratelimit_take(rl, "k", 0), 0);
    ratelimit_free(rl);
}

static void many_keys_stay_bounded(void **st)
{
    struct ratelimit *rl = ratelimit_new(60, 5, 100);
    char key[32];
    /* 10,000 different keys, spaced so that earlier buckets have refilled: all allowed. */
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "ip-%d", i);
        assert_int_equal(ratelimit_take(rl, key, (int64_t)i * 1000), 0);
    }
    /* An exhausted key is still remembered after the churn. */
    for (int i = 0; i < 5; i++)
        ratelimit_take(rl, "hot", 20000000);
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof key, "new-%d", i);
        ratelimit_take(rl, key, 20000000);
    }
    assert_true(ratelimit_take(rl, "hot", 20000000) >= 1);
    ratelimit_free(rl);
}

static void refund_gives_back_one_token_up_to_the_burst(void **st)
{
    struct ratelimit *rl = ratelimit_new(1, 2, 100); /* one token a minute */
    assert_int_equal(ratelimit_take(rl, "k", 0), 0);
    assert_int_equal(ratelimit_take(rl, "k", 0), 0);
    assert_true(ratelimit_take(rl, "k", 0) >= 1);
    ratelimit_refund(rl, "k", 0);
    assert_int_equal(ratelimit_take(rl, "k", 0), 0);
    assert_true(ratelimit_take(rl, "k", 0) >= 1);
    /* Refunds past the burst are not kept, and an unknown key stays unknown (full). */
    for (int i = 0; i < 5; i++)
        ratelimit_refund(rl, "k", 0);
    ratelimit_refund(rl, "never-taken", 0);
    assert_int_equal(ratelimit_take(rl, "k", 0), 0);
    assert_int_equal(ratelimit_take(rl, "k", 0), 0);
    assert_true(ratelimit_take(rl, "k", 0) >= 1);
    ratelimit_free(rl);
}

static void key_is(const char *ip, const char *want)
{
    char out[RATELIMIT_ADDR_KEY_MAX];
    memset(out, 'x', sizeof out);
    ratelimit_addr_key(ip, out);
    assert_string_equal(out, want);
}

static void ipv6_addresses_share_a_key_per_64(void **st)
{
    key_is("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64");
    key_is("2001:db8:1:2::1", "2001:db8:1:2::/64");
    key_is("2001:0db8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64");
    key_is("2001:db8:1:3::1", "2001:db8:1:3::/64"); /* the next /64 is another client */
    key_is("fe80::1", "fe80::/64");
    key_is("::1", "::/64");
    key_is("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff::/64"); /* the longest */
}

static void ipv4_and_mapped_ipv4_are_the_whole_address(void **st)
{
    key_is("192.0.2.1", "192.0.2.1");
    key_is("192.0.2.2", "192.0.2.2");
    key_is("::ffff:192.0.2.1", "192.0.2.1"); /* a dual-stack socket's view of an IPv4 client */
    key_is("::ffff:c000:201", "192.0.2.1");
}

static void other_text_is_kept_and_cut_to_fit(void **st)
{
    key_is("", "");
    key_is("unix", "unix");
    char longer[200], want[RATELIMIT_ADDR_KEY_MAX];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = 0;
    memset(want, 'a', sizeof want - 1);
    want[sizeof want - 1] = 0;
    key_is(longer, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(burst_then_limited),
        cmocka_unit_test(refills_over_time),
        cmocka_unit_test(disabled_never_limits),
        cmocka_unit_test(many_keys_stay_bounded),
        cmocka_unit_test(refund_gives_back_one_token_up_to_the_burst),
        cmocka_unit_test(ipv6_addresses_share_a_key_per_64),
        cmocka_unit_test(ipv4_and_mapped_ipv4_are_the_whole_address),
        cmocka_unit_test(other_text_is_kept_and_cut_to_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
