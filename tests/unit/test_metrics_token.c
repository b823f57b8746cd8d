/* Unit tests for the /metrics access token (http/metrics.c): what TGR_METRICS_TOKEN may be, that
 * it leaves the environment once read, and that only "Bearer <the token>" matches — not a prefix,
 * an extension, another scheme or nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "http/metrics.h"

#define TOKEN "0123456789abcdef-metrics"

static void test_unset_or_empty_leaves_metrics_open(void **state)
{
    unsigned char hash[METRICS_TOKEN_HASH_BYTES];
    char err[160];
    int set = 7;
    unsetenv("TGR_METRICS_TOKEN");
    assert_int_equal(metrics_token_load(hash, &set, err, sizeof err), TGR_OK);
    assert_int_equal(set, 0);
    setenv("TGR_METRICS_TOKEN", "", 1);
    set = 7;
    assert_int_equal(metrics_token_load(hash, &set, err, sizeof err), TGR_OK);
    assert_int_equal(set, 0);
}

static void test_malformed_tokens_are_refused_without_echo(void **state)
{
    char long_token[METRICS_TOKEN_MAX + 2];
    memset(long_token, 'k', sizeof long_token - 1);
    long_token[sizeof long_token - 1] = 0;
    const char *bad[] = {"short-token", "has a space in the middle", "tab\tinside-the-token",
                         "nonascii-\xc3\xa9-token-x", long_token};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char hash[METRICS_TOKEN_HASH_BYTES];
        char err[160] = "";
        int set = 7;
        setenv("TGR_METRICS_TOKEN", bad[i], 1);
        assert_int_equal(metrics_token_load(hash, &set, err, sizeof err), TGR_ERR);
        assert_int_equal(set, 0);
        assert_non_null(strstr(err, "TGR_METRICS_TOKEN"));
        assert_null(strstr(err, bad[i]));
    }
    unsetenv("TGR_METRICS_TOKEN");
}

static void test_only_the_bearer_token_matches(void **state)
{
    unsigned char hash[METRICS_TOKEN_HASH_BYTES];
    char err[160];
    int set = 0;
    setenv("TGR_METRICS_TOKEN", TOKEN, 1);
    assert_int_equal(metrics_token_load(hash, &set, err, sizeof err), TGR_OK);
    assert_int_equal(set, 1);
    assert_null(getenv("TGR_METRICS_TOKEN")); /* children do not inherit it */

    assert_true(metrics_token_ok(hash, "Bearer " TOKEN));
    assert_true(metrics_token_ok(hash, "bearer " TOKEN));
    assert_true(metrics_token_ok(hash, "BEARER  " TOKEN));
    assert_false(metrics_token_ok(hash, NULL));
    assert_false(metrics_token_ok(hash, ""));
    assert_false(metrics_token_ok(hash, "Bearer"));
    assert_false(metrics_token_ok(hash, "Bearer "));
    assert_false(metrics_token_ok(hash, TOKEN));
    assert_false(metrics_token_ok(hash, "Basic " TOKEN));
    assert_false(metrics_token_ok(hash, "Bearer " TOKEN "x"));
    assert_false(metrics_token_ok(hash, "Bearer " TOKEN " "));
    assert_false(metrics_token_ok(hash, "Bearer 0123456789abcdef-metric"));
    assert_false(metrics_token_ok(hash, "Bearer 1123456789abcdef-metrics"));

    /* A presented value far longer than any token is read only up to the cap. */
    size_t n = 7 + 100000;
    char *huge = malloc(n + 1);
    assert_non_null(huge);
    memcpy(huge, "Bearer ", 7);
    memset(huge + 7, 'a', n - 7);
    huge[n] = 0;
    assert_false(metrics_token_ok(hash, huge));
    free(huge);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unset_or_empty_leaves_metrics_open),
        cmocka_unit_test(test_malformed_tokens_are_refused_without_echo),
        cmocka_unit_test(test_only_the_bearer_token_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
