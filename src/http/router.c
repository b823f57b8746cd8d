/* router — segment-by-segment matching of a path against the route table; see router.h. */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

/* Match one pattern; fills params only when the whole path matches. */
static int match_one(const char *pattern, const char *path, struct route_params *params)
{
    struct route_params p = {0};
    const char *pp = pattern, *sp = path;
    while (*pp && *sp) {
        if (*pp != '/' || *sp != '/') return 0;
        pp++;
        sp++;
        size_t plen = strcspn(pp, "/"), slen = strcspn(sp, "/");
        if (*pp == ':') {
            if (slen == 0 || slen >= sizeof p.value[0] || p.n == ROUTER_MAX_PARAMS) return 0;
            p.name[p.n] = pp + 1;
            p.name_len[p.n] = plen - 1;
            memcpy(p.value[p.n], sp, slen);
            p.value[p.n][slen] = 0;
            p.n++;
        } else if (plen != slen || memcmp(pp, sp, plen) != 0) {
            return 0;
        }
        pp += plen;
        sp += slen;
    }
    if (*pp || *sp) return 0;
    if (params) *params = p;
    return 1;
}

enum router_result router_match(const struct route *routes, const char *method, const char *path, int *idx,
                                struct route_params *params, char *allow, size_t cap)
{
    int path_known = 0;
    if (allow && cap) allow[0] = 0;
    if (!path || path[0] != '/' || strlen(path) > ROUTER_MAX_PATH) return ROUTER_NOT_FOUND;
    for (int i = 0; routes[i].method; i++) {
        if (!match_one(routes[i].pattern, path, NULL)) continue;
        if (strcmp(routes[i].method, method) == 0) {
            match_one(routes[i].pattern, path, params);
            *idx = i;
            return ROUTER_MATCH;
        }
        path_known = 1;
        if (allow && cap && !strstr(allow, routes[i].method)) {
            size_t n = strlen(allow);
            snprintf(allow + n, cap - n, "%s%s", n ? ", " : "", routes[i].method);
        }
    }
    return path_known ? ROUTER_METHOD_NOT_ALLOWED : ROUTER_NOT_FOUND;
}

const char *route_param(const struct route_params *p, const char *name)
{
    size_t len = strlen(name);
    for (int i = 0; i < p->n; i++)
        if (p->name_len[i] == len && memcmp(p->name[i], name, len) == 0) return p->value[i];
    return NULL;
}
