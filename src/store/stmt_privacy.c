/* stmt_privacy — a person's erasure and export, and the account audit log, once for both backends
 * (store/store_privacy.h documents each function; contact_orders is in stmt_shop.c, beside the
 * orders list whose rows it reads). */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/db.h"
#include "store/stmt.h"

void person_message_release(struct person_message *m)
{
    free(m->campaign_name);
    m->campaign_name = NULL;
    blob_release(&m->code);
}

void audit_row_release(struct audit_row *e)
{
    free(e->details);
    e->details = NULL;
}

enum db_status stmt_erasure_find(struct store *st, int64_t account_id, const char *bidx, int64_t *at)
{
    *at = 0;
    return db_ints(st, S_ERASURE_FIND, P(SP_I64(account_id), SP_STR(bidx)), at, 1);
}

enum db_status stmt_erasure_put(struct store *st, int64_t account_id, const char *bidx, int64_t at)
{
    return db_write(st, TX_DURABLE, S_ERASURE_PUT, P(SP_I64(account_id), SP_STR(bidx), SP_I64(at)));
}

/* The statement of each part, in enum contact_part's order. */
static const enum stmt_id purge_stmt[CONTACT_PART_COUNT] = {
    [CONTACT_PART_CLICKS] = S_PURGE_CLICKS,     [CONTACT_PART_INBOUND] = S_PURGE_INBOUND,
    [CONTACT_PART_CATEGORY] = S_PURGE_CATEGORY, [CONTACT_PART_AUDIT] = S_PURGE_AUDIT,
    [CONTACT_PART_ORDERS] = S_PURGE_ORDERS,     [CONTACT_PART_CODES] = S_PURGE_CODES,
    [CONTACT_PART_LOGS] = S_PURGE_LOGS,         [CONTACT_PART_CONTACT] = S_PURGE_CONTACT,
};

struct purge {
    int64_t account_id, contact_id, now, *n;
    enum contact_part part;
};

static enum db_status purge_one(struct store *st, void *cls)
{
    struct purge *x = cls;
    *x->n = 0;
    /* Only the contact row's statement takes the time ($3): a parameter too many is an error. */
    const struct sp *p = x->part == CONTACT_PART_CONTACT
                             ? P(SP_I64(x->account_id), SP_I64(x->contact_id), SP_I64(x->now))
                             : P(SP_I64(x->account_id), SP_I64(x->contact_id));
    return db_changes(st, purge_stmt[x->part], p, x->n);
}

enum db_status stmt_contact_purge(struct store *st, int64_t account_id, int64_t contact_id,
                                  enum contact_part part, int64_t now, int64_t *n)
{
    int64_t none = 0;
    if ((unsigned)part >= CONTACT_PART_COUNT) return DB_HARD;
    struct purge x = {account_id, contact_id, now, n ? n : &none, part};
    return db_txn(st, TX_DURABLE, purge_one, &x);
}

static int read_message(void *cls, const struct db_row *r, void *elem)
{
    (void)cls;
    struct person_message *m = elem;
    m->id = db_i64(r, 0);
    m->campaign_id = db_i64(r, 1);
    m->campaign_name = db_dup(r, 2);
    m->step = (int)db_i64(r, 3);
    db_copy(r, 4, m->status, sizeof m->status);
    db_copy(r, 5, m->error_code, sizeof m->error_code);
    int64_t *t[] = {&m->created_at, &m->sent_at, &m->read_at, &m->replied_at, &m->clicked_at};
    for (int i = 0; i < 5; i++)
        *t[i] = db_i64(r, 6 + i);
    return m->campaign_name && db_blob(r, 11, &m->code) == TGR_OK ? TGR_OK : TGR_ERR;
}

static void release_message(void *elem)
{
    person_message_release(elem);
}

enum db_status stmt_contact_messages(struct store *st, int64_t account_id, int64_t contact_id,
                                     struct person_message **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    return db_list(st, S_CONTACT_RECIPIENTS, P(SP_I64(account_id), SP_I64(contact_id)), sizeof **rows,
                   read_message, release_message, NULL, (void **)rows, n);
}

enum db_status stmt_audit_add(struct store *st, const struct audit_row *e)
{
    return db_write(st, TX_DURABLE, S_AUDIT_ADD,
                    P(SP_ID(e->account_id), SP_I64(e->at), SP_STR(e->actor), SP_OPT(e->ip), SP_STR(e->action),
                      SP_OPT(e->target), SP_STR(e->details)));
}

static int read_audit(void *cls, const struct db_row *r, void *elem)
{
    (void)cls;
    struct audit_row *e = elem;
    e->id = db_i64(r, 0);
    e->account_id = db_i64(r, 1);
    e->at = db_i64(r, 2);
    db_copy(r, 3, e->actor, sizeof e->actor);
    db_copy(r, 4, e->ip, sizeof e->ip);
    db_copy(r, 5, e->action, sizeof e->action);
    db_copy(r, 6, e->target, sizeof e->target);
    e->details = db_dup(r, 7);
    return db_isnull(r, 7) || e->details ? TGR_OK : TGR_ERR;
}

static void release_audit(void *elem)
{
    audit_row_release(elem);
}

enum db_status stmt_audit_page(struct store *st, int64_t account_id, int64_t before_id, int limit,
                               struct audit_row **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    if (limit <= 0) return DB_NONE;
    return db_list(st, S_AUDIT_PAGE, P(SP_I64(account_id), SP_I64(before_id), SP_I64(limit)), sizeof **rows,
                   read_audit, release_audit, NULL, (void **)rows, n);
}
