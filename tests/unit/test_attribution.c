/* test_attribution — which campaign an order is credited to, through orders_ingest (core/orders.h)
 * as the webhook and the CSV import call it, in-process on SQLite (API.md "Orders and revenue",
 * DECISIONS 18, 23, 27): the order's ref (a tracked link's tgr_ref) first, then a discount code
 * of a campaign, then the latest campaign message sent to the customer within the 7 days before
 * the order — nudges included, failed sends not; ties, both edges of the window, refs and codes
 * that do not count, two accounts; and refunds taking the revenue back from where it went. The
 * instants of sends and orders are fixed. */
#include "rules_fixture.h"

#include "core/links.h"
#include "core/progress.h"
#include "crypto/seal.h"

#define AMOUNT 1999

static int64_t k; /* A's customer, Telegram id 500 */

static int setup(void **state)
{
    if (rfx_setup(state) != 0) return -1;
    struct rfx *f = *state;
    k = rfx_contact(f, f->a, "500");
    return 0;
}

/* A campaign sent to one contact at `at`. @return its recipient row */
static int64_t sent_to(struct rfx *f, int64_t account, const char *name, int64_t contact, int64_t at,
                       int64_t *campaign)
{
    int64_t row = 0;
    *campaign = rfx_campaign(f, account, name, NULL, NULL);
    rfx_run(f, account, *campaign, &contact, 1, at, &row, NULL);
    return row;
}

/* Give a campaign discount codes, as PATCH /campaigns does (the code itself is not sealed here:
 * attribution reads only its blind index). */
static void codes(struct rfx *f, int64_t account, int64_t campaign, const char *const *list, size_t n)
{
    struct discount_code_row rows[4];
    assert_true(n <= 4);
    memset(rows, 0, sizeof rows);
    for (size_t i = 0; i < n; i++) {
        blind_index(f->app.kr, "discount_codes.code", list[i], rows[i].code_bidx);
        rows[i].code.p = (unsigned char *)list[i];
        rows[i].code.len = strlen(list[i]);
    }
    assert_int_equal(f->st->codes_replace(f->st, account, campaign, rows, n), DB_ONE);
}

/* The tgr_ref a click on a tracked link of the campaign gives the recipient row. */
static void ref_of(struct rfx *f, int64_t account, int64_t campaign, int64_t row, char ref[LINK_CODE_MAX],
                   int64_t *link)
{
    int64_t id = 0;
    assert_int_equal(f->st->link_ensure(f->st, account, campaign, "https://shop.example/sale", &id), DB_ONE);
    link_ref(f->app.kr, row, id, ref);
    if (link) *link = id;
}

/* A paid order of customer 500 in account A at t0 + offset; @return the campaign credited (0 none). */
static int64_t credited(struct rfx *f, const char *order_id, int64_t offset, const char *code,
                        const char *ref)
{
    struct order_result r = rfx_order(f, f->a, order_id, AMOUNT, "paid", "500", f->t0 + offset, code, ref);
    assert_int_equal(r.outcome, ORDER_NEW);
    return r.attributed_campaign_id;
}

static struct order_row stored(struct rfx *f, int64_t account, const char *order_id)
{
    struct order_row o;
    assert_int_equal(f->st->order_get(f->st, account, order_id, &o), DB_ONE);
    return o;
}

static void counts(struct rfx *f, int64_t account, int64_t campaign, int64_t orders, int64_t revenue)
{
    struct campaign_counts c;
    assert_int_equal(f->st->campaign_counts(f->st, account, campaign, &c), DB_ONE);
    assert_int_equal(c.orders, orders);
    assert_int_equal(c.revenue, revenue);
}

/* The ref wins over a code of another campaign and over a later message. */
static void ref_first(void **state)
{
    struct rfx *f = *state;
    int64_t p, q;
    int64_t prow = sent_to(f, f->a, "P", k, f->t0 - 3 * DAY_MS, &p);
    sent_to(f, f->a, "Q", k, f->t0 - DAY_MS, &q);
    static const char *const qcode[] = {"QCODE"};
    codes(f, f->a, q, qcode, 1);
    char ref[LINK_CODE_MAX];
    int64_t link;
    ref_of(f, f->a, p, prow, ref, &link);
    assert_int_equal(credited(f, "O-1", 0, "QCODE", ref), p);
    struct order_row o = stored(f, f->a, "O-1");
    assert_int_equal(o.attributed_recipient_id, prow);
    assert_int_equal(o.attributed_link_id, link);
    assert_int_equal(o.attributed_step, 0);
    counts(f, f->a, p, 1, AMOUNT);
    counts(f, f->a, q, 0, 0);
}

/* A ref has no window: a message of months ago still earns the order. So does an order whose
 * customer is unknown (the ref names the recipient). */
static void ref_has_no_window(void **state)
{
    struct rfx *f = *state;
    int64_t p, q;
    int64_t prow = sent_to(f, f->a, "P", k, f->t0 - 90 * DAY_MS, &p);
    sent_to(f, f->a, "Q", k, f->t0 - DAY_MS, &q);
    char ref[LINK_CODE_MAX];
    ref_of(f, f->a, p, prow, ref, NULL);
    assert_int_equal(credited(f, "O-1", 0, NULL, ref), p);
    struct order_result r = rfx_order(f, f->a, "O-2", AMOUNT, "paid", NULL, f->t0, NULL, ref);
    assert_int_equal(r.contact_id, 0);
    assert_int_equal(r.attributed_campaign_id, p);
    counts(f, f->a, p, 2, 2 * AMOUNT);
}

/* Without a ref, a campaign's code wins over a later message of another campaign, however old the
 * code's campaign is; a pool code credits the message that carried it. */
static void code_before_window(void **state)
{
    struct rfx *f = *state;
    int64_t p, q, r;
    sent_to(f, f->a, "P", k, f->t0 - 30 * DAY_MS, &p);
    static const char *const pcode[] = {"PCODE"};
    codes(f, f->a, p, pcode, 1);
    int64_t k2 = rfx_contact(f, f->a, "501");
    r = rfx_campaign(f, f->a, "R", NULL, NULL);
    static const char *const pool[] = {"R-1", "R-2"};
    codes(f, f->a, r, pool, 2);
    int64_t to_r[] = {k, k2}, rrows[2];
    rfx_run(f, f->a, r, to_r, 2, f->t0 - 20 * DAY_MS, rrows, NULL);
    struct discount_code_row given;
    assert_int_equal(f->st->code_assign(f->st, f->a, r, rrows[1], &given), DB_ONE); /* R-1 to 501 */
    blob_release(&given.code);
    assert_int_equal(f->st->code_assign(f->st, f->a, r, rrows[0], &given), DB_ONE); /* R-2 to 500 */
    blob_release(&given.code);
    sent_to(f, f->a, "Q", k, f->t0 - DAY_MS, &q);

    assert_int_equal(credited(f, "O-1", 0, "PCODE", NULL), p);
    struct order_row o = stored(f, f->a, "O-1");
    assert_true(o.attributed_code_id > 0);
    assert_int_equal(o.attributed_step, 0);
    /* 500 pays with the code given to 501: the message that carried it is credited. */
    assert_int_equal(credited(f, "O-2", 0, "R-1", NULL), r);
    assert_int_equal(stored(f, f->a, "O-2").attributed_recipient_id, rrows[1]);
    assert_int_equal(credited(f, "O-3", 0, "R-2", NULL), r);
    assert_int_equal(stored(f, f->a, "O-3").attributed_recipient_id, rrows[0]);
    /* A code nobody made: the window decides. */
    assert_int_equal(credited(f, "O-4", 0, "NOPE", NULL), q);
    counts(f, f->a, p, 1, AMOUNT);
    counts(f, f->a, r, 2, 2 * AMOUNT);
    counts(f, f->a, q, 1, AMOUNT);
}

/* The same code in two campaigns of the account: the one that got it last. */
static void a_code_in_two_campaigns(void **state)
{
    struct rfx *f = *state;
    int64_t p, q;
    static const char *const sale[] = {"SALE"};
    sent_to(f, f->a, "P", k, f->t0 - 10 * DAY_MS, &p);
    codes(f, f->a, p, sale, 1);
    sent_to(f, f->a, "Q", k, f->t0 - 9 * DAY_MS, &q);
    codes(f, f->a, q, sale, 1);
    assert_int_equal(credited(f, "O-1", 0, "SALE", NULL), q);
}

/* Without ref or code: the latest message within 7 days — by when it was sent, not by which
 * campaign is newer — and nothing when there is none. */
static void latest_message(void **state)
{
    struct rfx *f = *state;
    int64_t p, q;
    int64_t prow = sent_to(f, f->a, "P", k, f->t0 - 2 * DAY_MS, &p);
    int64_t qrow = sent_to(f, f->a, "Q", k, f->t0 - 3 * DAY_MS, &q);
    assert_int_equal(credited(f, "O-1", 0, NULL, NULL), p);
    assert_int_equal(stored(f, f->a, "O-1").attributed_recipient_id, prow);
    rfx_sent_at(f, qrow, f->t0 - DAY_MS);
    assert_int_equal(credited(f, "O-2", 0, NULL, NULL), q);
    /* A customer nobody wrote to, and an order without a customer. */
    rfx_contact(f, f->a, "502");
    struct order_result r = rfx_order(f, f->a, "O-3", AMOUNT, "paid", "502", f->t0, NULL, NULL);
    assert_true(r.contact_id > 0);
    assert_int_equal(r.attributed_campaign_id, 0);
    r = rfx_order(f, f->a, "O-4", AMOUNT, "paid", NULL, f->t0, NULL, NULL);
    assert_int_equal(r.attributed_campaign_id, 0);
}

/* The window is [order - 7 days, order]: both edges in, a millisecond outside either out. */
static void seven_day_edges(void **state)
{
    struct rfx *f = *state;
    int64_t p;
    int64_t row = sent_to(f, f->a, "P", k, f->t0 - 7 * DAY_MS, &p);
    assert_int_equal(credited(f, "O-1", 0, NULL, NULL), p);
    rfx_sent_at(f, row, f->t0 - 7 * DAY_MS - 1);
    assert_int_equal(credited(f, "O-2", 0, NULL, NULL), 0);
    rfx_sent_at(f, row, f->t0);
    assert_int_equal(credited(f, "O-3", 0, NULL, NULL), p);
    rfx_sent_at(f, row, f->t0 + 1); /* sent after the order */
    assert_int_equal(credited(f, "O-4", 0, NULL, NULL), 0);
    counts(f, f->a, p, 2, 2 * AMOUNT);
}

/* Two messages sent at the same instant: the one recorded last wins, every time. */
static void ties(void **state)
{
    struct rfx *f = *state;
    int64_t p, q;
    int64_t prow = sent_to(f, f->a, "P", k, f->t0 - DAY_MS, &p);
    int64_t qrow = sent_to(f, f->a, "Q", k, f->t0 - DAY_MS, &q);
    assert_true(qrow > prow);
    assert_int_equal(credited(f, "O-1", 0, NULL, NULL), q);
    assert_int_equal(credited(f, "O-2", 0, NULL, NULL), q);
    assert_int_equal(stored(f, f->a, "O-2").attributed_recipient_id, qrow);
}

/* A nudge is a message of its campaign: the latest one earns the order, at its step. */
static void a_nudge_counts_at_its_step(void **state)
{
    struct rfx *f = *state;
    struct store *st = f->st;
    int64_t p, q;
    sent_to(f, f->a, "P", k, f->t0 - 3 * DAY_MS, &p);
    q = rfx_campaign(f, f->a, "Q",
                     "[{\"after_seconds\":3600,\"condition\":\"no_reply\",\"message_text\":\"Hi\"}]", NULL);
    int64_t running = 0, created = 0, qrow = 0, nudge = 0;
    assert_int_equal(campaign_start(st, f->a, q, &k, 1, 0, &running), START_OK);
    assert_int_equal(rfx_send_due(f, f->a, f->t0 - 4 * DAY_MS, &k, 1, &qrow, NULL), 1);
    assert_int_equal(st->campaign_transition(st, f->a, q, "running", "nudging", NULL), DB_ONE);
    assert_int_equal(nudge_schedule(st, f->a, q, 1, "no_reply", f->t0, &created), DB_ONE);
    assert_int_equal(created, 1);
    assert_int_equal(rfx_send_due(f, f->a, f->t0 - 2 * DAY_MS, &k, 1, &nudge, NULL), 1);
    assert_true(nudge != qrow);
    assert_int_equal(credited(f, "O-1", 0, NULL, NULL), q);
    struct order_row o = stored(f, f->a, "O-1");
    assert_int_equal(o.attributed_step, 1);
    assert_int_equal(o.attributed_recipient_id, nudge);
}

/* What never earns an order: a ref we did not make, a link code given as a ref, the ref of a
 * message that was not sent, a failed send; a ref whose link is another campaign's credits the
 * message but not the link. */
static void what_does_not_count(void **state)
{
    struct rfx *f = *state;
    int64_t p, q, failed;
    int64_t prow = sent_to(f, f->a, "P", k, f->t0 - 3 * DAY_MS, &p);
    sent_to(f, f->a, "Q", k, f->t0 - 2 * DAY_MS, &q);
    char ref[LINK_CODE_MAX], code[LINK_CODE_MAX];
    int64_t plink;
    ref_of(f, f->a, p, prow, ref, &plink);

    char forged[LINK_CODE_MAX];
    snprintf(forged, sizeof forged, "%s", ref);
    forged[5] = forged[5] == 'A' ? 'B' : 'A';
    assert_int_equal(credited(f, "O-1", 0, NULL, forged), q);
    link_code(f->app.kr, plink, prow, code);
    assert_int_equal(credited(f, "O-2", 0, NULL, code), q);

    failed = rfx_campaign(f, f->a, "F", NULL, NULL);
    int64_t running = 0, frow = 0;
    assert_int_equal(campaign_start(f->st, f->a, failed, &k, 1, 0, &running), START_OK);
    struct recipient r;
    assert_int_equal(f->st->recipient_next(f->st, f->a, f->t0 + DAY_MS, &r), DB_ONE);
    frow = r.id;
    char fref[LINK_CODE_MAX];
    ref_of(f, f->a, failed, frow, fref, NULL);
    assert_int_equal(credited(f, "O-3", 0, NULL, fref), q); /* still pending */
    rfx_finish(f, f->a, &r, RFX_FAILED, 0);
    assert_int_equal(credited(f, "O-4", 0, NULL, fref), q); /* failed: neither the ref nor the window */

    /* P's message with the link of Q: P, without a link. */
    int64_t qlink;
    assert_int_equal(f->st->link_ensure(f->st, f->a, q, "https://shop.example/q", &qlink), DB_ONE);
    link_ref(f->app.kr, prow, qlink, ref);
    assert_int_equal(credited(f, "O-5", 0, NULL, ref), p);
    assert_int_equal(stored(f, f->a, "O-5").attributed_link_id, 0);
    counts(f, f->a, failed, 0, 0);
}

/* Account B sent the same Telegram user a message more recently, with a code and a link; none of
 * it earns A's orders, and A's earn none of B's. */
static void accounts_apart(void **state)
{
    struct rfx *f = *state;
    int64_t p, z;
    sent_to(f, f->a, "P", k, f->t0 - 3 * DAY_MS, &p);
    int64_t kb = rfx_contact(f, f->b, "500");
    int64_t zrow = sent_to(f, f->b, "Z", kb, f->t0 - DAY_MS, &z);
    static const char *const zcode[] = {"ZCODE"};
    codes(f, f->b, z, zcode, 1);
    char zref[LINK_CODE_MAX];
    ref_of(f, f->b, z, zrow, zref, NULL);
    assert_int_equal(credited(f, "O-1", 0, NULL, NULL), p);
    assert_int_equal(credited(f, "O-2", 0, "ZCODE", NULL), p);
    assert_int_equal(credited(f, "O-3", 0, NULL, zref), p);
    counts(f, f->b, z, 0, 0);
    /* B's own order with the same id is B's, credited to Z. */
    struct order_result r = rfx_order(f, f->b, "O-1", AMOUNT, "paid", "500", f->t0, NULL, NULL);
    assert_int_equal(r.outcome, ORDER_NEW);
    assert_int_equal(r.contact_id, kb);
    assert_int_equal(r.attributed_campaign_id, z);
    counts(f, f->b, z, 1, AMOUNT);
    counts(f, f->a, p, 3, 3 * AMOUNT);
}

struct sums {
    int64_t orders, revenue;
};

static void add_row(void *cls, int64_t key, int64_t orders, int64_t revenue)
{
    struct sums *s = cls;
    s->orders += orders;
    s->revenue += revenue;
}

/* Revenue of a campaign by step, link and code, summed. */
static void by_kind(struct rfx *f, int64_t campaign, const char *kind, int64_t orders, int64_t revenue)
{
    struct sums s = {0, 0};
    assert_true(f->st->revenue_rows(f->st, f->a, campaign, kind, add_row, &s) >= 0);
    if (s.orders != orders || s.revenue != revenue)
        fail_msg("%s: %lld orders, %lld revenue; expected %lld, %lld", kind, (long long)s.orders,
                 (long long)s.revenue, (long long)orders, (long long)revenue);
}

/* A refund takes the revenue back from the campaign, its step, link and code, once; an order
 * refunded when it first arrives is credited to nobody. */
static void refunds_reverse(void **state)
{
    struct rfx *f = *state;
    int64_t p;
    int64_t prow = sent_to(f, f->a, "P", k, f->t0 - DAY_MS, &p);
    static const char *const pcode[] = {"PCODE"};
    codes(f, f->a, p, pcode, 1);
    char ref[LINK_CODE_MAX];
    ref_of(f, f->a, p, prow, ref, NULL);
    assert_int_equal(credited(f, "O-1", 0, "PCODE", ref), p);
    assert_int_equal(credited(f, "O-2", 0, NULL, NULL), p);
    counts(f, f->a, p, 2, 2 * AMOUNT);
    by_kind(f, p, "step", 2, 2 * AMOUNT);
    by_kind(f, p, "link", 1, AMOUNT);
    by_kind(f, p, "code", 1, AMOUNT);

    /* The same paid order again changes nothing. */
    struct order_result r = rfx_order(f, f->a, "O-1", AMOUNT, "paid", "500", f->t0, "PCODE", ref);
    assert_int_equal(r.outcome, ORDER_SAME);
    counts(f, f->a, p, 2, 2 * AMOUNT);

    r = rfx_order(f, f->a, "O-1", AMOUNT, "refunded", "500", f->t0, NULL, NULL);
    assert_int_equal(r.outcome, ORDER_REFUNDED);
    assert_int_equal(r.attributed_campaign_id, p);
    counts(f, f->a, p, 1, AMOUNT);
    by_kind(f, p, "step", 1, AMOUNT);
    by_kind(f, p, "link", 0, 0);
    by_kind(f, p, "code", 0, 0);
    /* Refunded again, or paid again: nothing moves. */
    assert_int_equal(rfx_order(f, f->a, "O-1", AMOUNT, "refunded", "500", f->t0, NULL, NULL).outcome,
                     ORDER_SAME);
    assert_int_equal(rfx_order(f, f->a, "O-1", AMOUNT, "paid", "500", f->t0, NULL, NULL).outcome,
                     ORDER_CONFLICT);
    counts(f, f->a, p, 1, AMOUNT);

    r = rfx_order(f, f->a, "O-3", AMOUNT, "refunded", "500", f->t0, "PCODE", ref);
    assert_int_equal(r.outcome, ORDER_NEW);
    assert_int_equal(r.attributed_campaign_id, 0);
    counts(f, f->a, p, 1, AMOUNT);
    r = rfx_order(f, f->a, "O-2", AMOUNT, "refunded", "500", f->t0, NULL, NULL);
    assert_int_equal(r.outcome, ORDER_REFUNDED);
    counts(f, f->a, p, 0, 0);
    by_kind(f, p, "step", 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(ref_first, setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(ref_has_no_window, setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(code_before_window, setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(a_code_in_two_campaigns, setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(latest_message, setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(seven_day_edges, setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(ties, setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(a_nudge_counts_at_its_step, setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(what_does_not_count, setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(accounts_apart, setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(refunds_reverse, setup, rfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
