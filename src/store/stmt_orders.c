/* stmt_orders — orders, attribution's lookups and credits, and the revenue reads, once for both
 * backends (store.h documents each function). Orders are money: their writes are durable. Which
 * message an order is credited to is core/attribution.c's rule. */
#include "base/util.h"
#include "store/db.h"
#include "store/stmt.h"

static int read_order(void *cls, const struct db_row *r, void *elem)
{
    struct order_row *o = elem;
    o->id = db_i64(r, 0);
    db_copy(r, 1, o->order_id, sizeof o->order_id);
    o->amount = db_i64(r, 2);
    db_copy(r, 3, o->currency, sizeof o->currency);
    db_copy(r, 4, o->status, sizeof o->status);
    o->created_at = db_i64(r, 5);
    o->received_at = db_i64(r, 6);
    o->contact_id = db_i64(r, 7);
    db_copy(r, 8, o->discount_code_bidx, sizeof o->discount_code_bidx);
    db_copy(r, 9, o->ref, sizeof o->ref);
    o->attributed_campaign_id = db_i64(r, 10);
    db_copy(r, 11, o->body_hash, sizeof o->body_hash);
    db_copy(r, 12, o->customer_tg_user_id, sizeof o->customer_tg_user_id);
    o->attributed_recipient_id = db_i64(r, 13);
    o->attributed_link_id = db_i64(r, 14);
    o->attributed_code_id = db_i64(r, 15);
    o->attributed_step = (int)db_i64(r, 16);
    db_copy(r, 17, o->attributed_by, sizeof o->attributed_by);
    return TGR_OK;
}

enum db_status stmt_order_get(struct store *st, int64_t account_id, const char *order_id,
                              struct order_row *out)
{
    return db_one(st, S_ORDER_GET, P(SP_I64(account_id), SP_STR(order_id)), sizeof *out, read_order, NULL,
                  NULL, out);
}

enum db_status stmt_order_latest_paid(struct store *st, int64_t account_id, int64_t contact_id,
                                      struct order_row *out)
{
    return db_one(st, S_ORDER_LATEST_PAID, P(SP_I64(account_id), SP_I64(contact_id)), sizeof *out, read_order,
                  NULL, NULL, out);
}

/* Money: durable. */
enum db_status stmt_order_save(struct store *st, int64_t account_id, const struct order_row *o, int64_t *id)
{
    int64_t now = now_ms(), v = 0;
    if (o->id) {
        if (id) *id = o->id;
        return db_write(
            st, TX_DURABLE, S_ORDER_UPDATE,
            P(SP_STR(o->status), SP_OPT(o->body_hash), SP_I64(now), SP_I64(account_id), SP_I64(o->id)));
    }
    enum db_status r = db_write_ints(
        st, TX_DURABLE, S_ORDER_INSERT,
        P(SP_I64(account_id), SP_STR(o->order_id), SP_I64(o->amount), SP_STR(o->currency), SP_STR(o->status),
          SP_I64(o->created_at), SP_ID(o->contact_id), SP_OPT(o->discount_code_bidx), SP_OPT(o->ref),
          SP_ID(o->attributed_campaign_id), SP_OPT(o->body_hash), SP_I64(now), SP_OPT(o->customer_tg_user_id),
          SP_OPT(o->customer_phone_bidx), SP_OPT(o->customer_username_bidx)),
        &v, 1);
    if (r == DB_ONE && id) *id = v;
    return r;
}

struct order_link {
    int64_t account_id, contact_id;
    const char *tg_user_id, *phone_bidx, *username_bidx;
    int *linked;
};

static enum db_status order_link(struct store *st, void *cls)
{
    const struct order_link *l = cls;
    int64_t n = 0;
    enum db_status r = db_changes(st, S_ORDERS_LINK,
                                  P(SP_I64(l->contact_id), SP_I64(l->account_id), SP_OPT(l->tg_user_id),
                                    SP_OPT(l->phone_bidx), SP_OPT(l->username_bidx)),
                                  &n);
    if (l->linked) *l->linked = r >= 0 ? (int)n : 0;
    return r;
}

enum db_status stmt_orders_link_contact(struct store *st, int64_t account_id, int64_t contact_id,
                                        const char *tg_user_id, const char *phone_bidx,
                                        const char *username_bidx, int *linked)
{
    return db_txn(
        st, TX_DURABLE, order_link,
        &(struct order_link){account_id, contact_id, tg_user_id, phone_bidx, username_bidx, linked});
}

enum db_status stmt_order_counts(struct store *st, int64_t account_id, int64_t contact_id, int *paid,
                                 int *refunded)
{
    int64_t v[2];
    enum db_status r = db_ints(st, S_ORDER_COUNTS, P(SP_I64(account_id), SP_I64(contact_id)), v, 2);
    *paid = (int)v[0];
    *refunded = (int)v[1];
    return r;
}

/* ---- attribution ---------------------------------------------------------------------------------- */

/* (campaign_id, step, recipient id) of S_ATTR_REF and S_ATTR_WINDOW. */
static enum db_status sent_message(struct store *st, enum stmt_id id, const struct sp *p,
                                   struct sent_message *out)
{
    int64_t v[3];
    enum db_status r = db_ints(st, id, p, v, 3);
    *out = (struct sent_message){.campaign_id = v[0], .step = (int)v[1], .recipient_id = v[2]};
    return r;
}

enum db_status stmt_sent_message_get(struct store *st, int64_t account_id, int64_t recipient_id,
                                     struct sent_message *out)
{
    return sent_message(st, S_ATTR_REF, P(SP_I64(account_id), SP_I64(recipient_id)), out);
}

enum db_status stmt_sent_message_latest(struct store *st, int64_t account_id, int64_t contact_id,
                                        int64_t from, int64_t to, int64_t campaign_id,
                                        struct sent_message *out)
{
    return sent_message(
        st, S_ATTR_WINDOW,
        P(SP_I64(account_id), SP_I64(contact_id), SP_I64(to), SP_I64(from), SP_I64(campaign_id)), out);
}

enum db_status stmt_link_in_campaign(struct store *st, int64_t account_id, int64_t link_id,
                                     int64_t campaign_id)
{
    return db_exec(st, S_ATTR_LINK_OK, P(SP_I64(account_id), SP_I64(link_id), SP_I64(campaign_id)));
}

enum db_status stmt_code_by_bidx(struct store *st, int64_t account_id, const char *code_bidx,
                                 int64_t *code_id, int64_t *campaign_id, int64_t *recipient_id)
{
    int64_t v[3];
    enum db_status r = db_ints(st, S_ATTR_CODE, P(SP_I64(account_id), SP_STR(code_bidx)), v, 3);
    *code_id = v[0];
    *campaign_id = v[1];
    *recipient_id = v[2];
    return r;
}

enum db_status stmt_code_in_campaign(struct store *st, int64_t account_id, int64_t campaign_id,
                                     const char *code_bidx, int64_t *code_id)
{
    *code_id = 0;
    return db_ints(st, S_ATTR_CODE_IN, P(SP_I64(account_id), SP_I64(campaign_id), SP_STR(code_bidx)), code_id,
                   1);
}

enum db_status stmt_order_set_attribution(struct store *st, int64_t account_id, int64_t order_row_id,
                                          const struct attribution *a)
{
    return db_write(st, TX_DURABLE, S_ATTR_ORDER,
                    P(SP_I64(a->campaign_id), SP_ID(a->recipient_id), SP_ID(a->link_id), SP_I64(a->step),
                      SP_ID(a->code_id), SP_OPT(a->by), SP_I64(account_id), SP_I64(order_row_id)));
}

enum db_status stmt_campaign_revenue_add(struct store *st, int64_t account_id, int64_t campaign_id,
                                         int64_t revenue, int64_t orders)
{
    return db_write(st, TX_DURABLE, S_ATTR_CAMPAIGN,
                    P(SP_I64(revenue), SP_I64(orders), SP_I64(account_id), SP_I64(campaign_id)));
}

enum db_status stmt_link_revenue_add(struct store *st, int64_t account_id, int64_t link_id, int64_t revenue)
{
    return db_write(st, TX_DURABLE, S_ATTR_LINK, P(SP_I64(revenue), SP_I64(account_id), SP_I64(link_id)));
}

enum db_status stmt_revenue_by_add(struct store *st, int64_t account_id, int64_t campaign_id,
                                   const char *kind, int64_t key, int64_t orders, int64_t revenue)
{
    return db_write(st, TX_DURABLE, S_ATTR_BY,
                    P(SP_I64(account_id), SP_I64(campaign_id), SP_STR(kind), SP_I64(key), SP_I64(orders),
                      SP_I64(revenue)));
}

/* ---- revenue reads ------------------------------------------------------------------------------ */

enum db_status stmt_revenue_series(struct store *st, int64_t account_id, int64_t from, int64_t to,
                                   const char *currency, int64_t bucket_ms, int64_t offset_ms,
                                   void (*fn)(void *cls, int64_t t, int64_t revenue, int64_t orders),
                                   void *cls)
{
    return db_report(st, S_REV_SERIES,
                     P(SP_I64(account_id), SP_I64(from), SP_I64(to), SP_STR(currency), SP_I64(offset_ms),
                       SP_I64(bucket_ms)),
                     db_report_3ints, (void (*)(void))fn, cls);
}

static int report_campaign(void *cls, const struct db_row *r)
{
    const struct db_report *p = cls;
    ((void (*)(void *, int64_t, const char *, int64_t, int64_t))p->fn)(p->cls, db_i64(r, 0), db_str(r, 1),
                                                                       db_i64(r, 2), db_i64(r, 3));
    return 0;
}

enum db_status
stmt_revenue_campaigns(struct store *st, int64_t account_id, int64_t from, int64_t to, const char *currency,
                       void (*fn)(void *cls, int64_t id, const char *name, int64_t revenue, int64_t orders),
                       void *cls)
{
    return db_report(st, S_REV_CAMPAIGNS, P(SP_I64(account_id), SP_I64(from), SP_I64(to), SP_STR(currency)),
                     report_campaign, (void (*)(void))fn, cls);
}

enum db_status stmt_revenue_currency(struct store *st, int64_t account_id, int64_t from, int64_t to,
                                     char out[4])
{
    out[0] = 0;
    return db_text(st, S_REV_CURRENCY, P(SP_I64(account_id), SP_I64(from), SP_I64(to)), out, 4);
}

enum db_status stmt_currency_count(struct store *st, int64_t account_id, const char *currency)
{
    return db_write(st, TX_DURABLE, S_CURRENCY_COUNT, P(SP_I64(account_id), SP_STR(currency)));
}

struct most_used {
    char *out;
    int64_t most;
};

/* Keep the currency with the most orders; rows come in alphabetical order, so a tie keeps the first. */
static int most_used(void *cls, const struct db_row *r)
{
    struct most_used *m = cls;
    int64_t n = db_i64(r, 1);
    if (n > m->most) {
        m->most = n;
        db_copy(r, 0, m->out, 4);
    }
    return 0;
}

enum db_status stmt_account_currency(struct store *st, int64_t account_id, char out[4])
{
    struct most_used m = {out, 0};
    out[0] = 0;
    enum db_status r = db_rows(st, S_ACCOUNT_CURRENCY, P(SP_I64(account_id)), most_used, &m);
    return r < 0 ? r : out[0] ? DB_ONE : DB_NONE;
}
