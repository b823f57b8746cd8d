/* test_router — route matching: literal and :param segments, 404 vs 405, no query merging. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http/router.h"

static enum hres h(struct req *r)
{
    (void)r;
    return H_OK;
}

static const struct route routes[] = {
    {"GET", "/campaigns", h, AUTH_ACCOUNT, 0, NULL, 0},
    {"POST", "/campaigns", h, AUTH_ACCOUNT, 0, NULL, 0},
    {"GET", "/campaigns/:id", h, AUTH_ACCOUNT, 0, NULL, 0},
    {"PATCH", "/campaigns/:id", h, AUTH_ACCOUNT, 0, NULL, 0},
    {"POST", "/campaigns/:id/start", h, AUTH_ACCOUNT, 0, NULL, 0},
    {"GET", "/t/:code", h, AUTH_NONE, 0, NULL, 0},
    {"GET", "/a/:x/b/:y", h, AUTH_NONE, 0, NULL, 0},
    {NULL, NULL, NULL, AUTH_NONE, 0, NULL, 0},
};

static void literal_routes_match_by_method(void **st)
{
    int idx = -1;
    struct route_params p;
    assert_int_equal(router_match(routes, "GET", "/campaigns", &idx, &p, NULL, 0), ROUTER_MATCH);
    assert_int_equal(idx, 0);
    assert_int_equal(router_match(routes, "POST", "/campaigns", &idx, &p, NULL, 0), ROUTER_MATCH);
    assert_int_equal(idx, 1);
    assert_int_equal(p.n, 0);
}

static void params_are_captured(void **st)
{
    int idx = -1;
    struct route_params p;
    assert_int_equal(router_match(routes, "POST", "/campaigns/42/start", &idx, &p, NULL, 0), ROUTER_MATCH);
    assert_int_equal(idx, 4);
    assert_string_equal(route_param(&p, "id"), "42");
    assert_null(route_param(&p, "code"));
    assert_int_equal(router_match(routes, "GET", "/a/1/b/two", &idx, &p, NULL, 0), ROUTER_MATCH);
    assert_string_equal(route_param(&p, "x"), "1");
    assert_string_equal(route_param(&p, "y"), "two");
}

static void wrong_method_is_405_with_allow(void **st)
{
    int idx = -1;
    struct route_params p;
    char allow[64];
    assert_int_equal(router_match(routes, "DELETE", "/campaigns/7", &idx, &p, allow, sizeof allow),
                     ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(allow, "GET, PATCH");
    assert_int_equal(router_match(routes, "PUT", "/campaigns", &idx, &p, allow, sizeof allow),
                     ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(allow, "GET, POST");
}

static void unknown_paths_are_404(void **st)
{
    int idx = -1;
    struct route_params p;
    const char *paths[] = {"/",
                           "",
                           "campaigns",
                           "/campaigns/",
                           "/campaigns//start",
                           "/campaigns/7/start/x",
                           "/campaign",
                           "/campaignsX",
                           "/t/",
                           "/t",
                           "//campaigns",
                           "/campaigns/7/stop"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        assert_int_equal(router_match(routes, "GET", paths[i], &idx, &p, NULL, 0), ROUTER_NOT_FOUND);
}

static void query_strings_are_not_params(void **st)
{
    /* MHD hands the path without its query; a '?' that reaches the router is part of a segment
     * and never creates a parameter of another name. */
    int idx = -1;
    struct route_params p;
    assert_int_equal(router_match(routes, "GET", "/t/abc?id=5", &idx, &p, NULL, 0), ROUTER_MATCH);
    assert_string_equal(route_param(&p, "code"), "abc?id=5");
    assert_null(route_param(&p, "id"));
}

static void oversized_segments_do_not_match(void **st)
{
    char path[600] = "/t/";
    memset(path + 3, 'a', 300);
    path[303] = 0;
    int idx = -1;
    struct route_params p;
    assert_int_equal(router_match(routes, "GET", path, &idx, &p, NULL, 0), ROUTER_NOT_FOUND);
    char longpath[ROUTER_MAX_PATH + 10];
    memset(longpath, 'x', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = 0;
    assert_int_equal(router_match(routes, "GET", longpath, &idx, &p, NULL, 0), ROUTER_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(literal_routes_match_by_method), cmocka_unit_test(params_are_captured),
        cmocka_unit_test(wrong_method_is_405_with_allow), cmocka_unit_test(unknown_paths_are_404),
        cmocka_unit_test(query_strings_are_not_params),   cmocka_unit_test(oversized_segments_do_not_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
