/* router — segment-by-segment matching of a path against the route table; see router.h. */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

/* Match one pattern, walking it and the path together a byte at a time, so that a route that
 * does not fit is left at its first differing byte (most of the table at the first or second).
 * Fills params, when given, as it goes: call it with params only for a pattern known to match. */
static int match_one(const char *pattern, const char *path, struct route_params *params)
{
    const char *pp = pattern, *sp = path;
    int n = 0;
    while (*pp && *sp) {
        if (*pp != '/' || *sp != '/') return 0;
        pp++;
        sp++;
        if (*pp == ':') {
            const char *name = pp + 1, *value = sp;
            while (*pp && *pp != '/')
                pp++;
            while (*sp && *sp != '/')
                sp++;
            size_t slen = (size_t)(sp - value);
            if (slen == 0 || slen >= sizeof params->value[0] || n == ROUTER_MAX_PARAMS) return 0;
            if (params) {
                params->name[n] = name;
                params->name_len[n] = (size_t)(pp - name);
                memcpy(params->value[n], value, slen);
                params->value[n][slen] = 0;
            }
            n++;
        } else {
            while (*pp && *pp != '/' && *pp == *sp) {
                pp++;
                sp++;
            }
            /* The segments are equal only if both end here. */
            if ((*pp && *pp != '/') || (*sp && *sp != '/')) return 0;
        }
    }
    if (*pp || *sp) return 0;
    if (params) params->n = n;
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
