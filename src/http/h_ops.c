/* h_ops — operations endpoints: GET /healthz (liveness, store included), GET /metrics (behind
 * TGR_METRICS_TOKEN when that is set) and GET /openapi.json (share/openapi.json, the API
 * document that tests/http/tgrtest.py holds every response to; DECISIONS 71). */
#include <pthread.h>
#include <stdlib.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "http/handlers.h"
#include "http/metrics.h"
#include "http/server.h"

_Static_assert(sizeof((struct app *)0)->metrics_token_hash == METRICS_TOKEN_HASH_BYTES,
               "metrics token hash size");

enum hres healthz_h(struct req *r)
{
    static const char ok[] = "{\"ok\":true}";
    if (r->app->store->ping(r->app->store) != DB_ONE) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not answering");
        return H_NO;
    }
    reply_data(r, 200, "application/json", ok, sizeof ok - 1);
    return H_OK;
}

enum hres metrics_h(struct req *r)
{
    if (r->app->metrics_token_set &&
        !metrics_token_ok(r->app->metrics_token_hash, req_header(r, "Authorization"))) {
        reply_error(r, ERR_UNAUTHORIZED, NULL,
                    "this server's /metrics needs 'Authorization: Bearer <metrics token>'");
        reply_header(r, "WWW-Authenticate", "Bearer");
        return H_NO;
    }
    size_t len;
    char *text = metrics_render(r->app->metrics, r->app, &len);
    if (!text) return H_SYSERR;
    reply_data(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
    return H_OK;
}

/* The document is read once, on the first request, and kept. */
#define OPENAPI_MAX (4 * 1024 * 1024)
static pthread_once_t openapi_once = PTHREAD_ONCE_INIT;
static char *openapi_doc;
static size_t openapi_len;

static void openapi_load(void)
{
    char path[4096];
    source_path("share/openapi.json", path, sizeof path);
    if (read_file(path, OPENAPI_MAX, &openapi_doc, &openapi_len) != TGR_OK) {
        log_error("http", "cannot read the API document %s", path);
        openapi_doc = NULL;
    }
}

enum hres openapi_h(struct req *r)
{
    pthread_once(&openapi_once, openapi_load);
    if (!openapi_doc) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the API document is not installed with this server");
        return H_NO;
    }
    reply_data(r, 200, "application/json", openapi_doc, openapi_len);
    return H_OK;
}
