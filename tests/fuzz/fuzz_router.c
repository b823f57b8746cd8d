/* fuzz_router — the route matcher (http/router.c) on arbitrary methods and paths, against the
 * API's own table (http/routes.c) and a small one with edge cases. Input: method '\n' path.
 * Every answer is checked against a matcher written here from router.h's rules (segments
 * compared exactly, ":name" matches one non-empty segment of at most 255 bytes): a match is the
 * first route whose pattern and method fit, with the parameters its segments give; 405 means the
 * path fits some pattern only under other methods, which Allow lists; 404 means it fits none. */
#include "fuzz.h"
#include "http/router.h"

static const struct route edge_routes[] = {
    {"GET", "/", NULL, AUTH_NONE, 0, NULL, 0},
    {"GET", "/a/:x/:y/:z/:w", NULL, AUTH_NONE, 0, NULL, 0},
    {"POST", "/a/:x", NULL, AUTH_NONE, 0, NULL, 0},
    {"DELETE", "/a/:x", NULL, AUTH_NONE, 0, NULL, 0},
    {"GET", "/a/b", NULL, AUTH_NONE, 0, NULL, 0},
    {"PUT", "/a/b/", NULL, AUTH_NONE, 0, NULL, 0},
    {NULL, NULL, NULL, AUTH_NONE, 0, NULL, 0},
};

/* Does path fit pattern? Fills names/values (segment by segment) when it does. */
static int fits(const char *pattern, const char *path, struct route_params *p)
{
    memset(p, 0, sizeof *p);
    if (path[0] != '/' || strlen(path) > ROUTER_MAX_PATH)
        return 0;
    for (;;) {
        if (*pattern != '/' || *path != '/')
            return *pattern == *path && *pattern == 0;
        pattern++;
        path++;
        size_t pl = strcspn(pattern, "/"), sl = strcspn(path, "/");
        if (pattern[0] == ':') {
            if (sl == 0 || sl > 255 || p->n == ROUTER_MAX_PARAMS)
                return 0;
            p->name[p->n] = pattern + 1;
            p->name_len[p->n] = pl - 1;
            memcpy(p->value[p->n], path, sl);
            p->value[p->n][sl] = 0;
            p->n++;
        } else if (pl != sl || memcmp(pattern, path, pl) != 0) {
            return 0;
        }
        pattern += pl;
        path += sl;
        if (!*pattern && !*path)
            return 1;
    }
}

static void check(const struct route *routes, const char *method, const char *path)
{
    int idx = -1;
    struct route_params params;
    char allow[256];
    memset(&params, 0, sizeof params);
    enum router_result r = router_match(routes, method, path, &idx, &params, allow, sizeof allow);
    FUZZ_CHECK(memchr(allow, 0, sizeof allow) != NULL);
    int first = -1, other_method = 0;
    struct route_params want;
    for (int i = 0; routes[i].method; i++) {
        if (!fits(routes[i].pattern, path, &want))
            continue;
        if (strcmp(routes[i].method, method) == 0) {
            first = i;
            break;
        }
        other_method = 1;
        FUZZ_CHECK(r != ROUTER_METHOD_NOT_ALLOWED || strstr(allow, routes[i].method) != NULL);
    }
    if (first >= 0) {
        FUZZ_CHECK(r == ROUTER_MATCH && idx == first);
        fits(routes[first].pattern, path, &want);
        FUZZ_CHECK(params.n == want.n);
        for (int k = 0; k < want.n; k++) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)want.name_len[k], want.name[k]);
            const char *v = route_param(&params, name);
            FUZZ_CHECK(v != NULL && strcmp(v, want.value[k]) == 0);
        }
    } else if (other_method) {
        FUZZ_CHECK(r == ROUTER_METHOD_NOT_ALLOWED && allow[0] != 0);
    } else {
        FUZZ_CHECK(r == ROUTER_NOT_FOUND);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *method = fuzz_take(&data, &size, '\n');
    char *path = fuzz_strndup(data, size);
    check(api_routes, method, path);
    check(edge_routes, method, path);
    free(method);
    free(path);
    return 0;
}
