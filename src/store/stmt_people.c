/* stmt_people — results per person, contact timelines and the contact audit log, once for both
 * backends (store/store_people.h documents each function). */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/db.h"
#include "store/stmt.h"

_Static_assert(RECIPIENT_STATUS_COUNT == 5, "S_RESULTS_PAGE has one branch per stored status ($6..$10)");

void result_row_release(struct result_row *r)
{
    blob_release(&r->first_name);
    blob_release(&r->last_name);
    blob_release(&r->username);
}

void timeline_row_release(struct timeline_row *r)
{
    free(r->name);
    r->name = NULL;
    blob_release(&r->sealed);
}

static int read_totals(void *cls, const struct db_row *r, void *elem)
{
    struct step_totals *t = elem;
    t->step = (int)db_i64(r, 0);
    t->rows = db_i64(r, 1);
    t->sent = db_i64(r, 2);
    t->failed = db_i64(r, 3);
    t->skipped = db_i64(r, 4);
    return TGR_OK;
}

enum db_status stmt_campaign_step_totals(struct store *st, int64_t account_id, int64_t campaign_id,
                                         struct step_totals **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    return db_list(st, S_STEP_TOTALS, P(SP_I64(account_id), SP_I64(campaign_id)), sizeof **rows, read_totals,
                   NULL, NULL, (void **)rows, n);
}

enum db_status stmt_recipient_step(struct store *st, int64_t account_id, int64_t campaign_id,
                                   int64_t recipient_id, int *step)
{
    int64_t v = 0;
    enum db_status r = db_ints(st, S_RECIPIENT_STEP,
                               P(SP_I64(account_id), SP_I64(campaign_id), SP_I64(recipient_id)), &v, 1);
    *step = (int)v;
    return r;
}

static int read_result(void *cls, const struct db_row *r, void *elem)
{
    struct result_row *x = elem;
    x->id = db_i64(r, 0);
    x->contact_id = db_i64(r, 1);
    x->step = (int)db_i64(r, 2);
    db_copy(r, 3, x->status, sizeof x->status);
    db_copy(r, 4, x->error_code, sizeof x->error_code);
    int64_t *v[] = {&x->sent_at, &x->read_at, &x->replied_at, &x->clicked_at,
                    &x->clicks,  &x->orders,  &x->revenue,    &x->opted_out_at};
    for (int i = 0; i < 8; i++)
        *v[i] = db_i64(r, 5 + i);
    db_copy(r, 13, x->tg_user_id, sizeof x->tg_user_id);
    if (db_blob(r, 14, &x->first_name) != TGR_OK || db_blob(r, 15, &x->last_name) != TGR_OK ||
        db_blob(r, 16, &x->username) != TGR_OK)
        return TGR_ERR;
    return TGR_OK;
}

static void release_result(void *elem)
{
    result_row_release(elem);
}

enum db_status stmt_results_page(struct store *st, int64_t account_id, int64_t campaign_id, int step,
                                 unsigned statuses, int64_t after_id, int limit, struct result_row **rows,
                                 size_t *n)
{
    *rows = NULL;
    *n = 0;
    if (limit <= 0 || !(statuses & ((1u << RECIPIENT_STATUS_COUNT) - 1))) return DB_NONE;
    struct sp p[5 + RECIPIENT_STATUS_COUNT + 1] = {SP_I64(account_id), SP_I64(campaign_id), SP_I64(step),
                                                   SP_I64(after_id), SP_I64(limit)};
    for (int i = 0; i < RECIPIENT_STATUS_COUNT; i++)
        p[5 + i] = statuses & (1u << i) ? SP_STR(recipient_status_name((enum recipient_status)i)) : SP_NULL;
    p[5 + RECIPIENT_STATUS_COUNT] = SP_END;
    return db_list(st, S_RESULTS_PAGE, p, sizeof **rows, read_result, release_result, NULL, (void **)rows, n);
}

static int read_event(void *cls, const struct db_row *r, void *elem)
{
    struct timeline_row *e = elem;
    e->key.at = db_i64(r, 0);
    e->key.kind = (int)db_i64(r, 1);
    e->key.id = db_i64(r, 2);
    e->campaign_id = db_i64(r, 3);
    e->step = (int)db_i64(r, 4);
    e->num = db_i64(r, 5);
    db_copy(r, 6, e->code, sizeof e->code);
    db_copy(r, 7, e->extra, sizeof e->extra);
    e->name = db_dup(r, 8);
    if (!db_isnull(r, 8) && !e->name) return TGR_ERR;
    return db_blob(r, 9, &e->sealed);
}

static void release_event(void *elem)
{
    timeline_row_release(elem);
}

enum db_status stmt_timeline_page(struct store *st, int64_t account_id, int64_t contact_id,
                                  const struct timeline_key *before, int limit, struct timeline_row **rows,
                                  size_t *n)
{
    *rows = NULL;
    *n = 0;
    if (limit <= 0) return DB_NONE;
    struct timeline_key k = before ? *before : (struct timeline_key){INT64_MAX, 0, 0};
    return db_list(
        st, S_TIMELINE,
        P(SP_I64(account_id), SP_I64(contact_id), SP_I64(k.at), SP_I64(k.kind), SP_I64(k.id), SP_I64(limit)),
        sizeof **rows, read_event, release_event, NULL, (void **)rows, n);
}

enum db_status stmt_contact_audit_add(struct store *st, int64_t account_id, const struct contact_audit *e)
{
    return db_write(st, TX_NORMAL, S_AUDIT_INSERT,
                    P(SP_I64(account_id), SP_I64(e->contact_id), SP_STR(e->kind), SP_STR(e->actor),
                      SP_STR(e->source), SP_I64(e->at), SP_SEALED(e->details)));
}

enum db_status stmt_contact_clear_opted_out(struct store *st, int64_t account_id, int64_t contact_id)
{
    return db_write(st, TX_NORMAL, S_OPT_IN, P(SP_I64(account_id), SP_I64(contact_id)));
}
