/* test_log — the two line formats of base/log.c: JSON lines (--log-format json) are one valid
 * JSON object each whatever the message holds (quotes, backslashes, control characters, bytes
 * that are not UTF-8, a message longer than a line), an "account N: " prefix becomes the
 * "account" field; text lines keep control characters from forging a second line. stderr is
 * pointed at a temporary file while each test logs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

static int saved_stderr = -1;
static FILE *capture;

/* Start capturing stderr. */
static void capture_start(void)
{
    capture = tmpfile();
    assert_non_null(capture);
    saved_stderr = dup(STDERR_FILENO);
    dup2(fileno(capture), STDERR_FILENO);
}

/* Stop capturing; the lines written meanwhile, NUL-terminated, malloc'd. */
static char *capture_end(void)
{
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    long n = ftell(capture);
    char *out = calloc(1, (size_t)n + 1);
    rewind(capture);
    assert_int_equal(fread(out, 1, (size_t)n, capture), (size_t)n);
    fclose(capture);
    return out;
}

/* The one line logged by log_msg(LOG_INFO, module, "%s", msg) in JSON, parsed. */
static json_t *json_line(const char *module, const char *msg)
{
    log_set_format(LOG_JSON);
    capture_start();
    log_msg(LOG_WARN, module, "%s", msg);
    char *text = capture_end();
    log_set_format(LOG_TEXT);
    size_t len = strlen(text);
    assert_true(len > 0 && text[len - 1] == '\n');
    assert_null(memchr(text, '\n', len - 1)); /* one line */
    json_error_t e;
    json_t *obj = json_loads(text, 0, &e);
    if (!obj) fail_msg("not JSON (%s): %s", e.text, text);
    free(text);
    assert_true(json_is_object(obj));
    assert_string_equal(json_string_value(json_object_get(obj, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(obj, "module")), module);
    const char *t = json_string_value(json_object_get(obj, "time"));
    assert_non_null(t);
    assert_int_equal(strlen(t), strlen("2026-11-25T08:49:04.123Z"));
    assert_int_equal(t[strlen(t) - 1], 'Z');
    return obj;
}

static void json_escapes_what_json_needs(void **state)
{
    const char *msg = "a \"quoted\" back\\slash, a tab\tand a newline\nforged {\"level\":\"error\"}";
    json_t *o = json_line("engine", msg);
    assert_string_equal(json_string_value(json_object_get(o, "message")), msg);
    assert_null(json_object_get(o, "account"));
    json_decref(o);
}

static void json_keeps_utf8_and_replaces_the_rest(void **state)
{
    json_t *o = json_line(
        "sync", "Оксана — ok, bad \xff\xfe, cut \xe2\x82, overlong \xc0\xaf, high \xf8\x80\x80 end");
    assert_non_null(o); /* a lead byte past 0xF4 was once taken for a 3-byte sequence: no JSON */
    assert_string_equal(json_string_value(json_object_get(o, "message")),
                        "Оксана — ok, bad \xef\xbf\xbd\xef\xbf\xbd, cut \xef\xbf\xbd\xef\xbf\xbd, overlong "
                        "\xef\xbf\xbd\xef\xbf\xbd, high \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end");
    json_decref(o);
}

static void json_lifts_the_account(void **state)
{
    json_t *o = json_line("engine", "account 42: PEER_FLOOD; campaign 7 paused");
    assert_int_equal(json_integer_value(json_object_get(o, "account")), 42);
    assert_string_equal(json_string_value(json_object_get(o, "message")), "PEER_FLOOD; campaign 7 paused");
    json_decref(o);
    o = json_line("engine", "instance a now sends for account 42"); /* not the prefix */
    assert_null(json_object_get(o, "account"));
    json_decref(o);
    o = json_line("engine", "account 0: not an account");
    assert_null(json_object_get(o, "account"));
    assert_string_equal(json_string_value(json_object_get(o, "message")), "account 0: not an account");
    json_decref(o);
}

static void json_long_message_is_still_one_object(void **state)
{
    char big[6000];
    for (size_t i = 0; i < sizeof big - 1; i++)
        big[i] = i % 3 ? '"' : "\xd0\x96"[i % 2]; /* quotes and broken halves of Ж */
    big[sizeof big - 1] = 0;
    json_t *o = json_line("bridge", big);
    assert_true(strlen(json_string_value(json_object_get(o, "message"))) > 1000);
    json_decref(o);
}

static void text_lines_stay_one_line(void **state)
{
    capture_start();
    log_msg(LOG_ERROR, "http", "bad\nline\r%s", "x");
    char *text = capture_end();
    assert_non_null(strstr(text, " error http: bad line x\n"));
    assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_escapes_what_json_needs),
        cmocka_unit_test(json_keeps_utf8_and_replaces_the_rest),
        cmocka_unit_test(json_lifts_the_account),
        cmocka_unit_test(json_long_message_is_still_one_object),
        cmocka_unit_test(text_lines_stay_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
