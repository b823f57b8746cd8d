/* stmt_shop — the shop's side of the account (issue 17): password, token generation and API key
 * writes, the orders list newest first, test orders, and the progress of CSV imports, once for
 * both backends (store.h documents each function). Credentials and orders are durable; import
 * progress is a hint for a progress bar and is not. */
#include <string.h>

#include "base/util.h"
#include "store/db.h"
#include "store/stmt.h"

enum db_status stmt_account_set_password(struct store *st, int64_t id, const char *hash)
{
    return db_write(st, TX_DURABLE, S_ACCOUNT_SET_PASSWORD, P(SP_STR(hash), SP_I64(id)));
}

enum db_status stmt_account_tokens_revoke(struct store *st, int64_t id, int64_t *gen)
{
    int64_t v = 0;
    enum db_status r = db_write_ints(st, TX_DURABLE, S_ACCOUNT_REVOKE, P(SP_I64(id)), &v, 1);
    if (r == DB_ONE && gen) *gen = v;
    return r;
}

enum db_status stmt_account_set_api_key(struct store *st, int64_t id, const char *hash)
{
    return db_write(st, TX_DURABLE, S_ACCOUNT_SET_KEY, P(SP_STR(hash), SP_I64(id)));
}

static int read_summary(void *cls, const struct db_row *r, void *elem)
{
    (void)cls;
    struct order_summary *o = elem;
    o->id = db_i64(r, 0);
    db_copy(r, 1, o->order_id, sizeof o->order_id);
    o->amount = db_i64(r, 2);
    db_copy(r, 3, o->currency, sizeof o->currency);
    db_copy(r, 4, o->status, sizeof o->status);
    o->created_at = db_i64(r, 5);
    o->attributed_campaign_id = db_i64(r, 6);
    db_copy(r, 7, o->attributed_by, sizeof o->attributed_by);
    o->test = db_i64(r, 8) != 0;
    return TGR_OK;
}

enum db_status stmt_orders_page(struct store *st, int64_t account_id, int64_t before_id, int limit,
                                struct order_summary **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    if (limit <= 0) return DB_NONE;
    /* "id < before" in every call, so both backends walk the (account_id, id) index backwards. */
    return db_list(st, S_ORDERS_PAGE,
                   P(SP_I64(account_id), SP_I64(before_id > 0 ? before_id : INT64_MAX), SP_I64(limit)),
                   sizeof **rows, read_summary, NULL, NULL, (void **)rows, n);
}

/* The export of one person (issue 19, store/store_privacy.h) reads its orders as this list's rows. */
enum db_status stmt_contact_orders(struct store *st, int64_t account_id, int64_t contact_id,
                                   struct order_summary **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    return db_list(st, S_CONTACT_ORDERS, P(SP_I64(account_id), SP_I64(contact_id)), sizeof **rows,
                   read_summary, NULL, NULL, (void **)rows, n);
}

enum db_status stmt_order_mark_test(struct store *st, int64_t account_id, int64_t order_row_id)
{
    return db_write(st, TX_DURABLE, S_ORDER_MARK_TEST, P(SP_I64(account_id), SP_I64(order_row_id)));
}

enum db_status stmt_import_progress_put(struct store *st, int64_t account_id, const char *id,
                                        const struct import_progress *p)
{
    return db_write(st, TX_NORMAL, S_IMPORT_PUT,
                    P(SP_I64(account_id), SP_STR(id), SP_I64(p->lines), SP_I64(p->bytes_done),
                      SP_I64(p->bytes_total), SP_I64(p->finished), SP_I64(now_ms())));
}

enum db_status stmt_import_progress_get(struct store *st, int64_t account_id, const char *id,
                                        struct import_progress *out)
{
    int64_t v[5];
    enum db_status r = db_ints(st, S_IMPORT_GET, P(SP_I64(account_id), SP_STR(id)), v, 5);
    *out = (struct import_progress){v[0], v[1], v[2], (int)v[3], v[4]};
    return r;
}

enum db_status stmt_imports_prune(struct store *st, int64_t account_id, int64_t before)
{
    return db_write(st, TX_NORMAL, S_IMPORTS_PRUNE, P(SP_I64(account_id), SP_I64(before)));
}
