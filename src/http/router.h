/* router — matches a method and path against a static table of routes with ":name" segments.
 *
 * Patterns are literal segments and ":param" segments ("/campaigns/:id/start"). Matching is
 * exact per segment; a trailing slash is a different path. Query strings are never part of the
 * path given here and are never merged into the parameters. A path that matches a pattern under
 * another method is a 405 (with the allowed methods), not a 404. */
#ifndef TGR_ROUTER_H
#define TGR_ROUTER_H

#include <stddef.h>

#define ROUTER_MAX_PARAMS 4
#define ROUTER_MAX_PATH   1024

struct req;

enum auth_level { AUTH_NONE, AUTH_ACCOUNT };

/* Handler outcomes (STYLE §6). */
enum hres {
    H_OK,     /* a reply was set */
    H_NO,     /* a client error reply was set */
    H_SYSERR, /* failure; if no reply was set the server answers 500 internal */
    H_DEFER,  /* the handler called http_defer(); the reply comes later */
};

typedef enum hres (*handler_fn)(struct req *r);

struct route {
    const char *method;  /* "GET", "POST", … */
    const char *pattern; /* "/campaigns/:id" */
    handler_fn fn;
    enum auth_level auth;
    size_t max_body;        /* 0 = the default JSON cap (http/server.h) */
    const char *rate_class; /* NULL, or a per-account rate-limit class ("session") */
    int spool;              /* 1: the body goes to a file as it arrives (http/spool.h), never to memory */
};

struct route_params {
    int n;
    const char *name[ROUTER_MAX_PARAMS];
    size_t name_len[ROUTER_MAX_PARAMS];
    char value[ROUTER_MAX_PARAMS][256];
};

enum router_result { ROUTER_MATCH, ROUTER_NOT_FOUND, ROUTER_METHOD_NOT_ALLOWED };

/* The route table of the API (http/routes.c). */
extern const struct route api_routes[];

/* Match method+path against routes (terminated by an entry with method NULL).
 * @param[out] idx index of the matching route on ROUTER_MATCH
 * @param[out] params filled on ROUTER_MATCH; values are copies (a value over 255 bytes: no match)
 * @param[out] allow on ROUTER_METHOD_NOT_ALLOWED, "GET, POST" style list (cap bytes)
 * @return the result */
enum router_result router_match(const struct route *routes, const char *method, const char *path, int *idx,
                                struct route_params *params, char *allow, size_t cap);

/* Value of parameter name, or NULL. */
const char *route_param(const struct route_params *p, const char *name);

#endif
