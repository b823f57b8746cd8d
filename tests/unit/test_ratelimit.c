/* test_ratelimit — token buckets: burst, refill, Retry-After seconds, independent keys,
 * bounded memory under many keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(burst_then_limited),
        cmocka_unit_test(refills_over_time),
        cmocka_unit_test(disabled_never_limits),
        cmocka_unit_test(many_keys_stay_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
