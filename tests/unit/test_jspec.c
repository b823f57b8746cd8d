/* test_jspec — the JSON request spec parser: types, required/optional, unknown fields,
 * duplicate keys, ranges, nesting limits, error field names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/util.h"
#include "base/jspec.h"

struct in {
    const char *name;
    int64_t count;
    int flag;
    json_t *obj;
    json_t *arr;
};

static int parse(const char *text, struct in *in, struct jspec_error *err)
{
    memset(in, 0, sizeof *in);
    in->count = -1;
    json_t *j = jspec_load(text, strlen(text), err);
    if (!j) return -2;
    struct jfield spec[] = {
        JF_STRING_LEN("name", &in->name, 1, 10), JF_OPTIONAL(JF_INT_RANGE("count", &in->count, 0, 100)),
        JF_OPTIONAL(JF_BOOL("flag", &in->flag)), JF_OPTIONAL(JF_OBJECT("obj", &in->obj)),
        JF_NULLABLE(JF_ARRAY("arr", &in->arr)),  JF_END,
    };
    int rc = jspec_parse(j, spec, NULL, err);
    json_decref(j);
    return rc;
}

static void valid_body_fills_outputs(void **st)
{
    struct in in;
    struct jspec_error err;
    /* Parse with a kept reference so borrowed strings stay valid. */
    const char *text = "{\"name\":\"Анна\",\"count\":5,\"flag\":true,\"obj\":{},\"arr\":[1]}";
    json_t *j = jspec_load(text, strlen(text), &err);
    assert_non_null(j);
    struct jfield spec[] = {
        JF_STRING_LEN("name", &in.name, 1, 10), JF_OPTIONAL(JF_INT_RANGE("count", &in.count, 0, 100)),
        JF_OPTIONAL(JF_BOOL("flag", &in.flag)), JF_OPTIONAL(JF_OBJECT("obj", &in.obj)),
        JF_NULLABLE(JF_ARRAY("arr", &in.arr)),  JF_END,
    };
    assert_int_equal(jspec_parse(j, spec, NULL, &err), TGR_OK);
    assert_string_equal(in.name, "Анна");
    assert_int_equal(in.count, 5);
    assert_int_equal(in.flag, 1);
    assert_true(json_is_object(in.obj));
    assert_true(json_is_array(in.arr));
    json_decref(j);
}

static void optional_fields_keep_defaults(void **st)
{
    struct in in;
    struct jspec_error err;
    assert_int_equal(parse("{\"name\":\"x\",\"arr\":null}", &in, &err), TGR_OK);
    assert_int_equal(in.count, -1);
    assert_null(in.arr);
}

static void missing_required_names_field(void **st)
{
    struct in in;
    struct jspec_error err;
    assert_int_equal(parse("{\"count\":1}", &in, &err), TGR_ERR);
    assert_int_equal(err.code, ERR_VALIDATION);
    assert_string_equal(err.field, "name");
    assert_non_null(strstr(err.message, "required"));
}

static void unknown_field_is_rejected(void **st)
{
    struct in in;
    struct jspec_error err;
    assert_int_equal(parse("{\"name\":\"x\",\"nmae\":\"y\"}", &in, &err), TGR_ERR);
    assert_int_equal(err.code, ERR_VALIDATION);
    assert_string_equal(err.field, "nmae");
}

static void wrong_types_are_rejected(void **st)
{
    struct in in;
    struct jspec_error err;
    const char *bad[] = {"{\"name\":5}",
                         "{\"name\":\"x\",\"count\":\"5\"}",
                         "{\"name\":\"x\",\"count\":1.5}",
                         "{\"name\":\"x\",\"flag\":1}",
                         "{\"name\":\"x\",\"obj\":[]}",
                         "{\"name\":null}",
                         "{\"name\":\"x\",\"count\":null}"};
    const char *field[] = {"name", "count", "count", "flag", "obj", "name", "count"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(bad[i], &in, &err), TGR_ERR);
        assert_int_equal(err.code, ERR_VALIDATION);
        assert_string_equal(err.field, field[i]);
    }
}

static void ranges_and_lengths(void **st)
{
    struct in in;
    struct jspec_error err;
    assert_int_equal(parse("{\"name\":\"\"}", &in, &err), TGR_ERR);
    assert_string_equal(err.field, "name");
    assert_int_equal(parse("{\"name\":\"01234567890\"}", &in, &err), TGR_ERR);
    /* Ten Cyrillic letters are twenty bytes but ten characters: allowed. */
    assert_int_equal(parse("{\"name\":\"ААААААААAА\"}", &in, &err), TGR_OK);
    assert_int_equal(parse("{\"name\":\"x\",\"count\":101}", &in, &err), TGR_ERR);
    assert_string_equal(err.field, "count");
    assert_int_equal(parse("{\"name\":\"x\",\"count\":-1}", &in, &err), TGR_ERR);
}

static void malformed_json_is_invalid_json(void **st)
{
    struct in in;
    struct jspec_error err;
    const char *bad[] = {"",
                         "{",
                         "{\"name\":\"x\"",
                         "{\"name\":\"x\"} trailing",
                         "nul",
                         "{'name':'x'}",
                         "{\"name\":\"x\",\"name\":\"y\"}",
                         "{\"name\":\"a\\u0000b\"}",
                         "\xff\xfe"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(bad[i], &in, &err), -2);
        assert_int_equal(err.code, ERR_INVALID_JSON);
    }
}

static void secrets_are_not_echoed(void **st)
{
    struct in in;
    struct jspec_error err;
    assert_int_equal(parse("{\"password\": hunter2secret}", &in, &err), -2);
    assert_null(strstr(err.message, "hunter2"));
}

static void non_object_body_is_rejected(void **st)
{
    struct in in;
    struct jspec_error err;
    assert_int_equal(parse("[1,2]", &in, &err), TGR_ERR);
    assert_int_equal(err.code, ERR_VALIDATION);
    /* A bare scalar is not even accepted as a JSON document here. */
    assert_int_equal(parse("\"x\"", &in, &err), -2);
}

static void deep_nesting_is_rejected(void **st)
{
    char text[200];
    size_t n = 0;
    for (int i = 0; i < 40; i++)
        text[n++] = '[';
    for (int i = 0; i < 40; i++)
        text[n++] = ']';
    text[n] = 0;
    struct jspec_error err;
    assert_null(jspec_load(text, n, &err));
    assert_int_equal(err.code, ERR_INVALID_JSON);
}

static void nested_prefix_names_path(void **st)
{
    struct jspec_error err;
    const char *text = "{\"start\":\"22:00\",\"bogus\":1}";
    json_t *j = jspec_load(text, strlen(text), &err);
    const char *start = NULL;
    struct jfield spec[] = {JF_STRING("start", &start), JF_END};
    assert_int_equal(jspec_parse(j, spec, "quiet_hours", &err), TGR_ERR);
    assert_string_equal(err.field, "quiet_hours.bogus");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_body_fills_outputs),       cmocka_unit_test(optional_fields_keep_defaults),
        cmocka_unit_test(missing_required_names_field),   cmocka_unit_test(unknown_field_is_rejected),
        cmocka_unit_test(wrong_types_are_rejected),       cmocka_unit_test(ranges_and_lengths),
        cmocka_unit_test(malformed_json_is_invalid_json), cmocka_unit_test(secrets_are_not_echoed),
        cmocka_unit_test(non_object_body_is_rejected),    cmocka_unit_test(deep_nesting_is_rejected),
        cmocka_unit_test(nested_prefix_names_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
