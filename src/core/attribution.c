/* attribution — which campaign message an order is credited to, and the crediting; see
 * attribution.h. */
#include "core/attribution.h"

#include <string.h>

/* A credit by ref: the recipient of the order's ref, with the ref's link when it is a link of
 * that campaign. */
static enum db_status by_ref(struct store *st, int64_t account_id, int64_t ref_recipient, int64_t ref_link,
                             struct attribution *a)
{
    struct sent_message m;
    enum db_status r = st->sent_message_get(st, account_id, ref_recipient, &m);
    if (r != DB_ONE) return r;
    *a = (struct attribution){
        .campaign_id = m.campaign_id, .step = m.step, .recipient_id = m.recipient_id, .by = "ref"};
    if (!ref_link) return DB_ONE;
    r = st->link_in_campaign(st, account_id, ref_link, a->campaign_id);
    if (r < 0) return r;
    if (r == DB_ONE) a->link_id = ref_link;
    return DB_ONE;
}

/* A credit by code: the campaign whose code the order used, and which message carried it — the
 * pool code's own row, or (a static code) the latest message of that campaign to this customer. */
static enum db_status by_code(struct store *st, int64_t account_id, const char *code_bidx, int64_t contact_id,
                              int64_t created_at, struct attribution *a)
{
    int64_t code_id = 0, campaign_id = 0, code_recipient = 0;
    enum db_status r = st->code_by_bidx(st, account_id, code_bidx, &code_id, &campaign_id, &code_recipient);
    if (r != DB_ONE) return r;
    *a = (struct attribution){.code_id = code_id, .campaign_id = campaign_id, .by = "code"};
    struct sent_message m;
    r = DB_NONE;
    if (code_recipient)
        r = st->sent_message_get(st, account_id, code_recipient, &m);
    else if (contact_id)
        r = st->sent_message_latest(st, account_id, contact_id, 0, created_at, campaign_id, &m);
    if (r < 0) return r;
    if (r == DB_ONE) {
        a->step = m.step;
        a->recipient_id = m.recipient_id;
    }
    return DB_ONE;
}

enum db_status attribution_find(struct store *st, int64_t account_id, int64_t ref_recipient, int64_t ref_link,
                                const char *code_bidx, int64_t contact_id, int64_t created_at,
                                int64_t window_ms, struct attribution *a)
{
    enum db_status r = DB_NONE;
    int has_code = code_bidx && *code_bidx;
    memset(a, 0, sizeof *a);
    if (ref_recipient) r = by_ref(st, account_id, ref_recipient, ref_link, a);
    if (r < 0) return r;
    if (!a->campaign_id && has_code) r = by_code(st, account_id, code_bidx, contact_id, created_at, a);
    if (r < 0) return r;
    if (!a->campaign_id && contact_id) {
        struct sent_message m;
        r = st->sent_message_latest(st, account_id, contact_id, created_at - window_ms, created_at, 0, &m);
        if (r < 0) return r;
        if (r == DB_ONE)
            *a = (struct attribution){
                .campaign_id = m.campaign_id, .step = m.step, .recipient_id = m.recipient_id, .by = "window"};
    }
    /* An order that used one of the campaign's codes counts for that code too. A failed lookup
     * here counts as "no code" (DECISIONS 52). */
    if (a->campaign_id && !a->code_id && has_code) {
        int64_t code_id = 0;
        if (st->code_in_campaign(st, account_id, a->campaign_id, code_bidx, &code_id) == DB_ONE)
            a->code_id = code_id;
    }
    return a->campaign_id ? DB_ONE : DB_NONE;
}

struct credit {
    int64_t account_id, order_row_id, amount;
    const struct attribution *a;
    int sign;
};

static enum db_status credit(struct store *st, void *cls)
{
    const struct credit *c = cls;
    const struct attribution *a = c->a;
    int64_t acct = c->account_id, rev = c->amount * c->sign;
    enum db_status r = DB_ONE;
    if (c->sign > 0) r = st->order_set_attribution(st, acct, c->order_row_id, a);
    if (r >= 0) r = st->campaign_revenue_add(st, acct, a->campaign_id, rev, c->sign);
    if (r >= 0 && a->link_id) r = st->link_revenue_add(st, acct, a->link_id, rev);
    if (r >= 0) r = st->revenue_by_add(st, acct, a->campaign_id, "step", a->step, c->sign, rev);
    if (r >= 0 && a->link_id)
        r = st->revenue_by_add(st, acct, a->campaign_id, "link", a->link_id, c->sign, rev);
    if (r >= 0 && a->code_id)
        r = st->revenue_by_add(st, acct, a->campaign_id, "code", a->code_id, c->sign, rev);
    return r >= 0 ? DB_ONE : r;
}

enum db_status attribution_apply(struct store *st, int64_t account_id, int64_t order_row_id,
                                 const struct attribution *a, int64_t amount, int sign)
{
    return st->txn(st, TX_DURABLE, credit, &(struct credit){account_id, order_row_id, amount, a, sign});
}
