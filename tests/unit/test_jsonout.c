/* test_jsonout — base/jsonout.h writes exactly what jansson's json_dumps(v, JSON_COMPACT |
 * JSON_REAL_PRECISION(10)) writes (what every reply was before, so clients see the same bytes):
 * every kind of value, strings with each character that needs escaping and UTF-8 beside them,
 * integers at their limits, reals of every shape (%.10g, ".0" added, exponents), nesting,
 * insertion order, a real API reply; and it refuses what jansson refuses (NaN, too deep). A text
 * written piece by piece (the engine's send requests) is the same bytes as the dump of the value
 * json_pack builds of those pieces, and a string jansson would refuse (not UTF-8) fails it. */
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
#include "core/render.h"

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

/* A send request as the engine writes it (engine/send.c) beside json_pack's object of the same
 * members, with a message whose text and link need escaping and has entities of every kind. */
static void pieces(void **state)
{
    (void)state;
    const char *tmpl =
        "<b>Hi \"{{first_name}}\"</b>\n<i>new</i> <a href=\"https://shop.test/a?b=1&amp;c=2\">mugs</a> "
        "<code>x</code> ☕ <u>u</u><s>s</s><pre>p</pre>";
    struct render_vars vars = {"Ann\t\x01<b>", NULL, NULL};
    struct rendered rd;
    struct render_error re;
    if (render(tmpl, &vars, NULL, NULL, &rd, &re) != 0) fail_msg("render: %s", re.message);
    json_t *want =
        json_pack("{s:s, s:I, s:{s:s, s:s}, s:s, s:o, s:o, s:s}", "op", "send", "account",
                  (json_int_t)-9007199254740993LL, "peer", "user_id", "2001", "access_hash", "-77", "text",
                  rd.text, "entities", rendered_entities_json(&rd), "media",
                  json_pack("{s:s, s:s}", "path", "/m/\"a\".jpg", "mime", "image/jpeg"), "random_id", "123");
    char *want_text = jsonout_dumps(want, NULL);
    struct jsonout o = {0};
    jsonout_raw(&o, "{\"op\":\"send\",\"account\":");
    jsonout_int(&o, -9007199254740993LL);
    jsonout_raw(&o, ",\"peer\":{\"user_id\":");
    jsonout_str(&o, "2001");
    jsonout_raw(&o, ",\"access_hash\":");
    jsonout_str(&o, "-77");
    jsonout_raw(&o, "},\"text\":");
    jsonout_str(&o, rd.text);
    jsonout_raw(&o, ",\"entities\":");
    rendered_entities_put(&rd, &o);
    jsonout_raw(&o, ",\"media\":");
    json_t *media = json_object_get(want, "media");
    jsonout_value(&o, media);
    jsonout_raw(&o, ",\"random_id\":");
    jsonout_str(&o, "123");
    jsonout_raw(&o, "}");
    size_t len = 0;
    char *got = jsonout_end(&o, &len);
    assert_non_null(got);
    assert_string_equal(got, want_text);
    assert_int_equal(len, strlen(want_text));
    assert_non_null(strstr(got, "text_url")); /* every kind of entity was there to compare */
    assert_non_null(strstr(got, "strikethrough"));
    free(got);
    free(want_text);
    json_decref(want);
    rendered_release(&rd);

    /* What json_string refuses fails the text: overlong, surrogate, past U+10FFFF, cut short. */
    const char *bad[] = {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "caf\xC3", "\xFF", "\xF8\x80\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(json_string(bad[i]));
        jsonout_raw(&o, "[");
        jsonout_str(&o, bad[i]);
        jsonout_raw(&o, "]");
        assert_null(jsonout_end(&o, NULL));
    }
    const char *good[] = {"\xC2\xA9", "\xEF\xBF\xBD", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF", ""};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        json_t *j = json_string(good[i]);
        assert_non_null(j);
        char *w = jsonout_dumps(j, NULL);
        jsonout_str(&o, good[i]);
        char *g = jsonout_end(&o, NULL);
        assert_non_null(g);
        assert_string_equal(g, w);
        free(g);
        free(w);
        json_decref(j);
    }
    jsonout_str(&o, NULL);
    assert_null(jsonout_end(&o, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scalars), cmocka_unit_test(strings), cmocka_unit_test(nesting),
        cmocka_unit_test(refused), cmocka_unit_test(pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
