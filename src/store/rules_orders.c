/* rules_orders — which campaign message an order is credited to, and the crediting itself,
 * written once over the runner (db.h); store.h documents both. These rules move into core/ in
 * phase 2 of issue 14. */
#include <string.h>

#include "base/util.h"
#include "store/db.h"
#include "store/stmt.h"

/* The order of attribution: the recipient of the order's ref (with the ref's link, when it is a
 * link of that campaign); else the campaign whose code the order used, and the message that
 * carried it; else the latest campaign message sent to the customer within window_ms before
 * the order. */
enum db_status stmt_attribution_find(struct store *st, int64_t account_id, int64_t ref_recipient,
                                     int64_t ref_link, const char *code_bidx, int64_t contact_id,
                                     int64_t created_at, int64_t window_ms, struct attribution *a)
{
    int64_t v[3];
    enum db_status r;
    memset(a, 0, sizeof *a);
    if (ref_recipient) {
        r = db_ints(st, S_ATTR_REF, P(SP_I64(account_id), SP_I64(ref_recipient)), v, 3);
        if (r < 0) return r;
        if (r == DB_ONE) {
            *a = (struct attribution){
                .campaign_id = v[0], .step = (int)v[1], .recipient_id = v[2], .by = "ref"};
            if (ref_link) {
                r = db_exec(st, S_ATTR_LINK_OK,
                            P(SP_I64(account_id), SP_I64(ref_link), SP_I64(a->campaign_id)));
                if (r < 0) return r;
                if (r == DB_ONE) a->link_id = ref_link;
            }
        }
    }
    if (!a->campaign_id && code_bidx && *code_bidx) {
        r = db_ints(st, S_ATTR_CODE, P(SP_I64(account_id), SP_STR(code_bidx)), v, 3);
        if (r < 0) return r;
        if (r == DB_ONE) {
            int64_t code_recipient = v[2];
            *a = (struct attribution){.code_id = v[0], .campaign_id = v[1], .by = "code"};
            /* Which message carried it: the pool code's own row, or (a static code) the latest
             * message of that campaign to this customer. */
            r = DB_NONE;
            if (code_recipient)
                r = db_ints(st, S_ATTR_REF, P(SP_I64(account_id), SP_I64(code_recipient)), v, 3);
            else if (contact_id)
                r = db_ints(st, S_ATTR_WINDOW,
                            P(SP_I64(account_id), SP_I64(contact_id), SP_I64(created_at), SP_I64(0),
                              SP_I64(a->campaign_id)),
                            v, 3);
            if (r < 0) return r;
            if (r == DB_ONE) {
                a->step = (int)v[1];
                a->recipient_id = v[2];
            }
        }
    }
    if (!a->campaign_id && contact_id) {
        r = db_ints(st, S_ATTR_WINDOW,
                    P(SP_I64(account_id), SP_I64(contact_id), SP_I64(created_at),
                      SP_I64(created_at - window_ms), SP_I64(0)),
                    v, 3);
        if (r < 0) return r;
        if (r == DB_ONE)
            *a = (struct attribution){
                .campaign_id = v[0], .step = (int)v[1], .recipient_id = v[2], .by = "window"};
    }
    /* An order that used one of the campaign's codes counts for that code too. */
    if (a->campaign_id && !a->code_id && code_bidx && *code_bidx) {
        r = db_ints(st, S_ATTR_CODE_IN, P(SP_I64(account_id), SP_I64(a->campaign_id), SP_STR(code_bidx)), v,
                    1);
        if (r == DB_ONE) a->code_id = v[0];
    }
    return a->campaign_id ? DB_ONE : DB_NONE;
}

struct credit {
    int64_t account_id, order_row_id, amount;
    const struct attribution *a;
    int sign;
};

static enum db_status revenue_by(struct store *st, const struct credit *c, const char *kind, int64_t key)
{
    return db_exec(st, S_ATTR_BY,
                   P(SP_I64(c->account_id), SP_I64(c->a->campaign_id), SP_STR(kind), SP_I64(key),
                     SP_I64(c->sign), SP_I64(c->amount * c->sign)));
}

/* Credit (sign 1) or reverse (sign -1): the order row (on credit), the campaign's counters, the
 * link, and the per-step, per-link and per-code sums. */
static enum db_status credit(struct store *st, void *cls)
{
    const struct credit *c = cls;
    const struct attribution *a = c->a;
    int64_t rev = c->amount * c->sign;
    enum db_status r = DB_ONE;
    if (c->sign > 0)
        r = db_exec(st, S_ATTR_ORDER,
                    P(SP_I64(a->campaign_id), SP_ID(a->recipient_id), SP_ID(a->link_id), SP_I64(a->step),
                      SP_ID(a->code_id), SP_OPT(a->by), SP_I64(c->account_id), SP_I64(c->order_row_id)));
    if (r >= 0)
        r = db_exec(st, S_ATTR_CAMPAIGN,
                    P(SP_I64(rev), SP_I64(c->sign), SP_I64(c->account_id), SP_I64(a->campaign_id)));
    if (r >= 0 && a->link_id)
        r = db_exec(st, S_ATTR_LINK, P(SP_I64(rev), SP_I64(c->account_id), SP_I64(a->link_id)));
    if (r >= 0) r = revenue_by(st, c, "step", a->step);
    if (r >= 0 && a->link_id) r = revenue_by(st, c, "link", a->link_id);
    if (r >= 0 && a->code_id) r = revenue_by(st, c, "code", a->code_id);
    return r >= 0 ? DB_ONE : r;
}

enum db_status stmt_attribution_apply(struct store *st, int64_t account_id, int64_t order_row_id,
                                      const struct attribution *a, int64_t amount, int sign)
{
    return db_txn(st, TX_DURABLE, credit, &(struct credit){account_id, order_row_id, amount, a, sign});
}
