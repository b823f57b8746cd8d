/* h_orders — POST /webhooks/orders and POST /orders/import (API.md "Orders and revenue"; the
 * webhook's "test" and the import's ?progress= are issue 17's, README "Revenue").
 *
 * The webhook authenticates either with X-API-Key or with X-Tgr-Account plus
 * X-Tgr-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the account's webhook
 * secret>. A bad signature is 401 and nothing is read from the body. */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/app.h"
#include "base/counters.h"
#include "core/orders.h"
#include "base/util.h"
#include "crypto/seal.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/server.h"
#include "http/spool.h"

/* Check X-Tgr-Account + X-Tgr-Signature; on success r->account is loaded. */
static int signature_ok(struct req *r)
{
    const char *acct = req_header(r, "X-Tgr-Account");
    const char *sig = req_header(r, "X-Tgr-Signature");
    int64_t id;
    if (!acct || !sig || parse_i64(acct, 1, INT64_MAX, &id) != TGR_OK || strncmp(sig, "sha256=", 7) != 0 ||
        strlen(sig + 7) != 64)
        return 0;
    unsigned char given[32], want[32];
    size_t n = 0;
    if (sodium_hex2bin(given, sizeof given, sig + 7, 64, NULL, &n, NULL) != 0 || n != 32) return 0;
    if (orders_webhook_mac(r->app, id, r->body, r->body_len, want) != TGR_OK) return 0;
    if (sodium_memcmp(want, given, sizeof want) != 0) return 0;
    struct store *st = r->app->store;
    if (st->account_get(st, id, &r->account) != DB_ONE) return 0;
    r->account_id = id;
    return 1;
}

static enum hres webhook(struct req *r, enum order_outcome *outcome)
{
    if (req_header(r, "X-API-Key")) {
        if (auth_account(r) != H_OK) return H_NO;
    } else if (!signature_ok(r)) {
        reply_error(r, ERR_UNAUTHORIZED, NULL,
                    "send X-API-Key, or X-Tgr-Account with X-Tgr-Signature: sha256=<HMAC of the body>");
        return H_NO;
    }
    const char *order_id = NULL, *currency = NULL, *status = NULL, *created = NULL, *code = NULL, *ref = NULL;
    int64_t amount = -1;
    int test = 0;
    json_t *customer = NULL;
    struct jfield spec[] = {
        JF_STRING_LEN("order_id", &order_id, 1, 128),
        JF_INT_RANGE("amount", &amount, 0, ORDER_AMOUNT_MAX),
        JF_STRING_LEN("currency", &currency, 3, 3),
        JF_STRING_LEN("status", &status, 1, 16),
        JF_NULLABLE(JF_STRING_LEN("created_at", &created, 1, 40)),
        JF_NULLABLE(JF_OBJECT("customer", &customer)),
        JF_NULLABLE(JF_STRING_LEN("discount_code", &code, 1, 64)),
        JF_NULLABLE(JF_STRING_LEN("ref", &ref, 1, 128)),
        JF_OPTIONAL(JF_BOOL("test", &test)),
        JF_END,
    };
    if (http_parse_spec(r, spec) != TGR_OK) return H_NO;
    struct order_in in = {order_id, amount, currency, status, 0, NULL, NULL, NULL, code, ref, test};
    char tgbuf[24];
    if (created && parse_rfc3339(created, &in.created_at) != TGR_OK) {
        reply_error(r, ERR_VALIDATION, "created_at",
                    "created_at must be an RFC 3339 time like 2026-11-25T08:00:00Z");
        return H_NO;
    }
    if (customer) {
        json_t *tg = NULL;
        struct jfield cs[] = {
            JF_NULLABLE(JF_ANY("telegram_user_id", &tg)),
            JF_NULLABLE(JF_STRING_LEN("phone", &in.phone, 1, 32)),
            JF_NULLABLE(JF_STRING_LEN("username", &in.username, 1, 64)),
            JF_END,
        };
        struct jspec_error err;
        if (jspec_parse(customer, cs, "customer", &err) != TGR_OK) {
            reply_error(r, err.code, err.field, "%s", err.message);
            return H_NO;
        }
        if (json_is_integer(tg)) {
            snprintf(tgbuf, sizeof tgbuf, "%lld", (long long)json_integer_value(tg));
            in.tg_user_id = tgbuf;
        } else if (json_is_string(tg)) {
            in.tg_user_id = json_string_value(tg);
        } else if (tg && !json_is_null(tg)) {
            reply_error(r, ERR_VALIDATION, "customer.telegram_user_id",
                        "customer.telegram_user_id must be an id");
            return H_NO;
        }
    }
    struct order_result res;
    orders_ingest(r->app, r->account_id, &in, &res);
    *outcome = res.outcome;
    switch (res.outcome) {
    case ORDER_NEW:
    case ORDER_SAME:
    case ORDER_REFUNDED:
        reply_json(
            r, 202,
            json_pack("{s:o}", "attributed_campaign_id",
                      res.attributed_campaign_id ? json_integer(res.attributed_campaign_id) : json_null()));
        return H_OK;
    case ORDER_CONFLICT:
        reply_error(r, ERR_CONFLICT, "order_id", "%s", res.message);
        return H_NO;
    case ORDER_INVALID:
        reply_error(r, ERR_VALIDATION, res.field, "%s", res.message);
        return H_NO;
    default:
        reply_error(r, ERR_UNAVAILABLE, NULL, "%s", res.message);
        return H_NO;
    }
}

/* Each delivery counted by its outcome (tgr_order_webhooks_total): what orders_ingest made of
 * it, or, refused before, by its reply's status. */
enum hres orders_webhook_h(struct req *r)
{
    static const enum counter by_outcome[] = {
        [ORDER_NEW] = CNT_WEBHOOK_ACCEPTED,      [ORDER_SAME] = CNT_WEBHOOK_DUPLICATE,
        [ORDER_REFUNDED] = CNT_WEBHOOK_REFUNDED, [ORDER_CONFLICT] = CNT_WEBHOOK_CONFLICT,
        [ORDER_INVALID] = CNT_WEBHOOK_INVALID,   [ORDER_STORE] = CNT_WEBHOOK_FAILED,
    };
    enum order_outcome o = ORDER_INVALID;
    enum hres h = webhook(r, &o);
    counter_add(r->status == 401   ? CNT_WEBHOOK_UNAUTHORIZED
                : r->status == 429 ? CNT_WEBHOOK_LIMITED
                : r->status >= 500 ? CNT_WEBHOOK_FAILED
                                   : by_outcome[o],
                1);
    return h;
}

/* ---- import progress (issue 17): POST /orders/import?progress=ID writes how far it has read
 * where GET /orders/imports/:id (h_shop.c) reads it, on this instance or any other. */

#define IMPORT_PROGRESS_KEEP_MS (3600 * 1000) /* an import's progress is kept an hour */

struct import_track {
    struct store *st;
    int64_t account_id;
    long line; /* the last line reported */
    char id[IMPORT_ID_MAX + 1];
};

/* Write one step of progress (line: the line being read, 1-based, as orders_import_csv reports
 * it); a failed write costs only the progress bar. */
static void track(struct import_track *t, long line, size_t done, size_t total, int finished)
{
    t->line = line;
    struct import_progress p = {line > 1 ? line - 1 : 0, (int64_t)done, (int64_t)total, finished, 0};
    (void)!t->st->import_progress_put(t->st, t->account_id, t->id, &p); /* a hint for the progress bar */
}

static void import_progress_cb(void *ctx, long line, size_t done, size_t total)
{
    track(ctx, line, done, total, 0);
}

static void import_job(struct req *r)
{
    /* The spooled file, read from its start through a descriptor of its own. */
    int fd = dup(spool_fd(r->spool));
    FILE *in = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!in || fseeko(in, 0, SEEK_SET) != 0) {
        if (in)
            fclose(in);
        else if (fd >= 0)
            close(fd);
        reply_error(r, ERR_UNAVAILABLE, NULL, "the upload cannot be read back right now");
        return;
    }
    struct import_result res;
    struct import_track *t = r->state;
    size_t size = (size_t)spool_size(r->spool);
    if (t) {
        (void)!t->st->imports_prune(t->st, r->account_id, now_ms() - IMPORT_PROGRESS_KEEP_MS); /* tidying */
        track(t, 0, 0, size, 0);
    }
    int rc = orders_import_csv(r->app, r->account_id, in, size, t ? import_progress_cb : NULL, t, &res);
    fclose(in);
    if (t) track(t, t->line, size, size, 1);
    json_t *errors = json_array();
    for (size_t i = 0; i < res.n_errors; i++)
        json_array_append_new(errors, json_pack("{s:I, s:s}", "line", (json_int_t)res.errors[i].line,
                                                "message", res.errors[i].message));
    if (rc != TGR_OK) {
        reply_error(r, ERR_VALIDATION, "file", "%s", res.n_errors ? res.errors[0].message : "not a CSV file");
        json_decref(errors);
    } else {
        reply_json(r, 200,
                   json_pack("{s:I, s:I, s:o, s:I}", "imported", (json_int_t)res.imported, "skipped",
                             (json_int_t)res.skipped, "errors", errors, "errors_total",
                             (json_int_t)res.errors_total));
    }
    import_result_release(&res);
}

enum hres orders_import_h(struct req *r)
{
    const char *ct = req_header(r, "Content-Type");
    if (ct && strncasecmp(ct, "text/csv", 8) != 0 && strncasecmp(ct, "text/plain", 10) != 0 &&
        strncasecmp(ct, "application/octet-stream", 24) != 0) {
        reply_error(r, ERR_UNSUPPORTED_MEDIA_TYPE, NULL, "send the orders as text/csv");
        return H_NO;
    }
    const char *progress = req_query(r, "progress");
    if (progress) {
        size_t n = strlen(progress);
        int ok = n >= 1 && n <= IMPORT_ID_MAX;
        for (size_t i = 0; ok && i < n; i++)
            ok = isalnum((unsigned char)progress[i]) || progress[i] == '-' || progress[i] == '_';
        if (!ok) {
            reply_error(r, ERR_BAD_QUERY, "progress",
                        "progress must be 1 to %d letters, digits, '-' or '_' (an id of your choice)",
                        IMPORT_ID_MAX);
            return H_NO;
        }
        struct import_track *t = calloc(1, sizeof *t);
        if (!t) return H_SYSERR;
        *t = (struct import_track){r->app->store, r->account_id, 0, ""};
        memcpy(t->id, progress, n + 1);
        r->state = t;
        r->state_free = free;
    }
    if (http_spool_finish(r) != TGR_OK) return H_NO;
    /* Each line may recompute a category: run on a worker, not on an HTTP thread. */
    http_defer(r, r->app->tg_pool, "import", import_job);
    return H_DEFER;
}
