/* test_jsonout — base/jsonout.h writes exactly what jansson's json_dumps(v, JSON_COMPACT |
 * JSON_REAL_PRECISION(10)) writes (what every reply was before, so clients see the same bytes):
 * every kind of value, strings with each character that needs escaping and UTF-8 beside them,
 * integers at their limits, reals of every shape (%.10g, ".0" added, exponents), nesting,
 * insertion order, a real API reply; and it refuses what jansson refuses (NaN, too deep). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonout.h"

static void same_as_jansson(json_t *v)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(10) | JSON_ENCODE_ANY);
    size_t len = 0;
    char *got = jsonout_dumps(v, &len);
    assert_non_null(want);
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal(len, strlen(want));
    free(want);
    free(got);
    json_decref(v);
}

static void scalars(void **state)
{
    (void)state;
    same_as_jansson(
        json_pack("[n,b,b,i,I,I,I]", 1, 0, -7, (json_int_t)INT64_MAX, (json_int_t)INT64_MIN, (json_int_t)0));
    const double reals[] = {0.0,
                            -0.0,
                            1.0,
                            0.1,
                            2.5,
                            1e20,
                            1e21,
                            1e-7,
                            123.456,
                            60.0,
                            1e300,
                            -1e-300,
                            3.14159265358979,
                            0.333333333333,
                            1e100,
                            1e-5,
                            0.0001,
                            12345678901.0,
                            9.999999999e9};
    for (size_t i = 0; i < sizeof reals / sizeof *reals; i++)
        same_as_jansson(json_pack("{s:f}", "r", reals[i]));
}

static void strings(void **state)
{
    (void)state;
    same_as_jansson(json_pack("[s,s,s,s]", "", "plain text", "quote \" backslash \\ slash /",
                              "tab\t nl\n cr\r bs\b ff\f bell\a esc\x1b unit\x1f del\x7f"));
    same_as_jansson(json_pack("{s:s}", "ключ", "Привет, мир — “quotes” 😀 \xe2\x80\xa8"));
    json_t *nul = json_array();
    json_array_append_new(nul, json_stringn("a\0b", 3));
    same_as_jansson(nul);
}

static void nesting(void **state)
{
    (void)state;
    same_as_jansson(
        json_pack("{s:{}, s:[], s:[{}, []], s:{s:{s:[i, {s:n}]}}}", "e", "a", "m", "deep", "x", "y", 1, "z"));
    /* insertion order, not sorted */
    same_as_jansson(json_pack("{s:i, s:i, s:i, s:i}", "zeta", 1, "alpha", 2, "mid", 3, "beta", 4));
    /* a real reply: GET /campaigns/:id/analytics's shape */
    json_error_t e;
    json_t *v = json_loads(
        "{\"status\":\"running\",\"audience\":100000,\"pending\":55000,\"ctr\":0.0123456789012,"
        "\"reasons\":{\"USER_IS_BLOCKED\":\"The person blocked the account.\"},\"send_rate_per_min\":60.0,"
        "\"eta\":\"2026-12-03T20:11:51.507Z\",\"waiting_behind\":[{\"campaign_id\":3,\"name\":\"before "
        "it\"}],"
        "\"quiet_hours\":{\"active\":false,\"resumes_at\":null},\"nudges\":[]}",
        0, &e);
    assert_non_null(v);
    same_as_jansson(v);
}

static void refused(void **state)
{
    (void)state;
    json_t *deep = json_array(), *at = deep;
    for (int i = 0; i < JSONOUT_DEPTH + 10; i++) {
        json_t *next = json_array();
        json_array_append_new(at, next);
        at = next;
    }
    assert_null(jsonout_dumps(deep, NULL));
    json_decref(deep);
    assert_null(jsonout_dumps(NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scalars),
        cmocka_unit_test(strings),
        cmocka_unit_test(nesting),
        cmocka_unit_test(refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
