/* test_nudges — who gets a campaign's nudge and when (DESIGN §4, API.md "Campaigns" nudges),
 * through the rule (core/progress.c nudge_schedule, with the store's nudge_next_due and
 * campaign_open_rows; core/outcome.c recipients_replied and contact_opt_out stopping nudges),
 * in-process on SQLite. The campaign's part — calling nudge_schedule with sent_before = now -
 * after_seconds for each step of the plan, and moving the campaign running → nudging →
 * completed — is core/progress.c campaign_advance, tested by test_progress.
 *
 * The rule as tested: a nudge at step s goes to every contact whose step s-1 message was sent at
 * or before the cutoff, once; it is pending when its condition holds (no_reply: no reply to any
 * message of the campaign; no_click: no click; no_reply_no_click: neither) and the contact can
 * be written to, and is recorded as skipped otherwise (opted_out, unreachable); a failed message
 * gets no nudge; a reply or an opt-out skips nudges already pending; a nudge carries the code
 * its contact was sent. */
#include "rules_fixture.h"

#include "core/progress.h"

/* The contact's row at step: "pending", "skipped:<reason>", "sent"…, or "none". */
static const char *row_of(struct rfx *f, int64_t campaign, int64_t contact, int step)
{
    static char out[64];
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->db,
                                        "SELECT status, COALESCE(error_code, '') FROM recipients "
                                        "WHERE campaign_id = ?1 AND contact_id = ?2 AND step = ?3",
                                        -1, &q, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(q, 1, campaign);
    sqlite3_bind_int64(q, 2, contact);
    sqlite3_bind_int(q, 3, step);
    if (sqlite3_step(q) == SQLITE_ROW) {
        const char *status = (const char *)sqlite3_column_text(q, 0),
                   *why = (const char *)sqlite3_column_text(q, 1);
        snprintf(out, sizeof out, "%s%s%s", status, strcmp(status, "skipped") == 0 ? ":" : "",
                 strcmp(status, "skipped") == 0 ? why : "");
    } else {
        snprintf(out, sizeof out, "none");
    }
    sqlite3_finalize(q);
    return out;
}

/* Start a campaign for contacts and send their step-0 messages at `at` (failing for `fail`),
 * leaving it nudging, as the engine does once the main pass is done. */
static int64_t fail_contact, block_contact;
static enum rfx_outcome outcome(int64_t contact)
{
    return contact == fail_contact ? RFX_FAILED : contact == block_contact ? RFX_BLOCKED : RFX_SENT;
}

static int64_t sent_and_nudging(struct rfx *f, const char *name, const int64_t *contacts, size_t n,
                                int64_t at, int64_t *rows)
{
    struct store *st = f->st;
    int64_t c = rfx_campaign(f, f->a, name, NULL, NULL), running = 0;
    assert_int_equal(campaign_start(st, f->a, c, contacts, n, 0, &running), START_OK);
    assert_int_equal(rfx_send_due(f, f->a, at, contacts, n, rows, outcome), (int)n);
    assert_int_equal(st->campaign_transition(st, f->a, c, "running", "nudging", NULL), DB_ONE);
    return c;
}

static int64_t schedule(struct rfx *f, int64_t account, int64_t campaign, int step, const char *condition,
                        int64_t sent_before)
{
    int64_t created = -1;
    assert_true(nudge_schedule(f->st, account, campaign, step, condition, sent_before, &created) >= 0);
    return created;
}

static void click(struct rfx *f, int64_t campaign, int64_t row)
{
    int64_t link = 0;
    assert_int_equal(f->st->link_ensure(f->st, f->a, campaign, "https://shop.example/", &link), DB_ONE);
    struct click k = {f->a, campaign, link, row, f->t0};
    assert_int_equal(clicks_record(f->st, &k, 1), DB_ONE);
}

/* no_reply, no_click, no_reply_no_click: a contact that replied (to any message of the campaign),
 * clicked, or did nothing. */
static void conditions(void **state)
{
    struct rfx *f = *state;
    int64_t replied = rfx_contact(f, f->a, "1"), clicked = rfx_contact(f, f->a, "2"),
            idle = rfx_contact(f, f->a, "3");
    int64_t to[] = {replied, clicked, idle}, rows[3][3];
    static const char *const cond[] = {"no_reply", "no_click", "no_reply_no_click"};
    int64_t c[3];
    for (int i = 0; i < 3; i++)
        c[i] = sent_and_nudging(f, cond[i], to, 3, f->t0 - 2 * 3600000, rows[i]);
    int64_t n = 0;
    assert_true(recipients_replied(f->st, f->a, replied, f->t0 - DAY_MS, &n) >= 0);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++) {
        click(f, c[i], rows[i][1]);
        assert_int_equal(schedule(f, f->a, c[i], 1, cond[i], f->t0), 3);
    }
    assert_string_equal(row_of(f, c[0], replied, 1), "skipped:");
    assert_string_equal(row_of(f, c[0], clicked, 1), "pending");
    assert_string_equal(row_of(f, c[0], idle, 1), "pending");
    assert_string_equal(row_of(f, c[1], replied, 1), "pending");
    assert_string_equal(row_of(f, c[1], clicked, 1), "skipped:");
    assert_string_equal(row_of(f, c[1], idle, 1), "pending");
    assert_string_equal(row_of(f, c[2], replied, 1), "skipped:");
    assert_string_equal(row_of(f, c[2], clicked, 1), "skipped:");
    assert_string_equal(row_of(f, c[2], idle, 1), "pending");
    int64_t open = -1;
    assert_int_equal(f->st->campaign_open_rows(f->st, f->a, c[2], 1, &open), DB_ONE);
    assert_int_equal(open, 1);
    struct campaign_counts cc;
    assert_int_equal(f->st->campaign_counts(f->st, f->a, c[2], &cc), DB_ONE);
    assert_int_equal(cc.skipped, 2);
    assert_int_equal(cc.pending, 1);
}

/* A nudge is due after_seconds after its contact's message: only rows sent at or before the
 * cutoff get one, each once; nudge_next_due says when the next one is due. */
static void when_and_once(void **state)
{
    struct rfx *f = *state;
    int64_t early = rfx_contact(f, f->a, "1"), late = rfx_contact(f, f->a, "2");
    int64_t to[] = {early, late}, rows[2];
    int64_t c = sent_and_nudging(f, "C", to, 2, f->t0 - 2 * 3600000, rows);
    rfx_sent_at(f, rows[1], f->t0 - 1800000);
    int64_t due = -1;
    assert_int_equal(f->st->nudge_next_due(f->st, f->a, c, 1, &due), DB_ONE);
    assert_int_equal(due, f->t0 - 2 * 3600000);

    assert_int_equal(schedule(f, f->a, c, 1, "no_reply", f->t0 - 3 * 3600000), 0); /* too early for both */
    assert_int_equal(schedule(f, f->a, c, 1, "no_reply", f->t0 - 2 * 3600000), 1); /* the edge is in */
    assert_string_equal(row_of(f, c, early, 1), "pending");
    assert_string_equal(row_of(f, c, late, 1), "none");
    assert_int_equal(f->st->nudge_next_due(f->st, f->a, c, 1, &due), DB_ONE);
    assert_int_equal(due, f->t0 - 1800000);
    assert_int_equal(schedule(f, f->a, c, 1, "no_reply", f->t0 - 3600000), 0); /* again: nothing new */
    assert_int_equal(schedule(f, f->a, c, 1, "no_reply", f->t0), 1);
    assert_string_equal(row_of(f, c, late, 1), "pending");
    assert_int_equal(schedule(f, f->a, c, 1, "no_reply", f->t0 + DAY_MS), 0);
    assert_int_equal(f->st->nudge_next_due(f->st, f->a, c, 1, &due), DB_ONE);
    assert_int_equal(due, 0);

    /* Step 2 follows step 1's messages once they are sent, not step 0's. */
    assert_int_equal(schedule(f, f->a, c, 2, "no_reply", f->t0), 0);
    int64_t nrows[2];
    assert_int_equal(rfx_send_due(f, f->a, f->t0 + 3600000, to, 2, nrows, NULL), 2);
    assert_int_equal(f->st->nudge_next_due(f->st, f->a, c, 2, &due), DB_ONE);
    assert_int_equal(due, f->t0 + 3600000);
    assert_int_equal(schedule(f, f->a, c, 2, "no_reply", f->t0 + 2 * 3600000), 2);
    assert_string_equal(row_of(f, c, early, 2), "pending");
    assert_string_equal(row_of(f, c, late, 2), "pending");
}

/* Contacts that cannot be written to get a skipped nudge with the reason; a failed message gets
 * none. */
static void unreachable_contacts(void **state)
{
    struct rfx *f = *state;
    struct store *st = f->st;
    int64_t ok = rfx_contact(f, f->a, "1"), out = rfx_contact(f, f->a, "2"),
            blocked = rfx_contact(f, f->a, "3"), failed = rfx_contact(f, f->a, "4");
    int64_t to[] = {ok, out, blocked, failed};
    fail_contact = failed;
    int64_t c = sent_and_nudging(f, "C", to, 4, f->t0 - DAY_MS, NULL);
    fail_contact = 0;
    assert_int_equal(contact_opt_out(st, f->a, out), DB_ONE);
    /* The contact blocks the account: another campaign's send fails with USER_IS_BLOCKED. */
    block_contact = blocked;
    rfx_run(f, f->a, rfx_campaign(f, f->a, "W", NULL, NULL), &blocked, 1, f->t0, NULL, outcome);
    block_contact = 0;

    assert_int_equal(schedule(f, f->a, c, 1, "no_reply", f->t0), 3);
    assert_string_equal(row_of(f, c, ok, 1), "pending");
    assert_string_equal(row_of(f, c, out, 1), "skipped:opted_out");
    assert_string_equal(row_of(f, c, blocked, 1), "skipped:unreachable");
    assert_string_equal(row_of(f, c, failed, 1), "none");
}

/* A reply stops the contact's pending nudges; an opt-out too (of every campaign). */
static void replies_and_opt_outs_stop_nudges(void **state)
{
    struct rfx *f = *state;
    struct store *st = f->st;
    int64_t replies = rfx_contact(f, f->a, "1"), leaves = rfx_contact(f, f->a, "2"),
            stays = rfx_contact(f, f->a, "3");
    int64_t to[] = {replies, leaves, stays};
    int64_t c = sent_and_nudging(f, "C", to, 3, f->t0 - DAY_MS, NULL);
    assert_int_equal(schedule(f, f->a, c, 1, "no_reply", f->t0), 3);
    int64_t n = 0;
    assert_true(recipients_replied(st, f->a, replies, f->t0 - 2 * DAY_MS, &n) >= 0);
    assert_int_equal(n, 1);
    assert_int_equal(contact_opt_out(st, f->a, leaves), DB_ONE);
    assert_string_equal(row_of(f, c, replies, 1), "skipped:replied");
    assert_string_equal(row_of(f, c, leaves, 1), "skipped:opted_out");
    assert_string_equal(row_of(f, c, stays, 1), "pending");
    int64_t open = -1;
    assert_int_equal(st->campaign_open_rows(st, f->a, c, 1, &open), DB_ONE);
    assert_int_equal(open, 1);
}

/* A nudge carries the discount code its contact's message had. */
static void a_nudge_keeps_the_code(void **state)
{
    struct rfx *f = *state;
    struct store *st = f->st;
    int64_t k = rfx_contact(f, f->a, "1");
    int64_t c = rfx_campaign(f, f->a, "C", NULL, NULL), running = 0;
    assert_int_equal(campaign_start(st, f->a, c, &k, 1, 0, &running), START_OK);
    struct recipient r;
    assert_int_equal(st->recipient_next(st, f->a, f->t0 + DAY_MS, &r), DB_ONE);
    struct blob code = {(unsigned char *)"sealed code", 11};
    assert_int_equal(st->recipient_claim(st, f->a, r.id, "rid", &code), DB_ONE);
    rfx_finish(f, f->a, &r, RFX_SENT, f->t0 - DAY_MS);
    assert_int_equal(st->campaign_transition(st, f->a, c, "running", "nudging", NULL), DB_ONE);
    assert_int_equal(schedule(f, f->a, c, 1, "no_click", f->t0), 1);
    struct recipient nudge;
    assert_int_equal(st->recipient_next(st, f->a, f->t0 + DAY_MS, &nudge), DB_ONE);
    assert_int_equal(nudge.step, 1);
    struct blob kept = {0};
    assert_int_equal(st->recipient_code(st, f->a, nudge.id, &kept), DB_ONE);
    assert_int_equal(kept.len, 11);
    assert_memory_equal(kept.p, "sealed code", 11);
    blob_release(&kept);
}

/* Another account scheduling with this campaign's id creates nothing and leaves this campaign's
 * schedule alone: its own nudges still go out. (nudge_schedule recorded its cutoff,
 * campaign_steps.scheduled_through, by campaign id alone, so another account's call moved it and
 * this campaign's nudges for messages sent before it were never scheduled; S_STEP_THROUGH now
 * writes only for a campaign of the account.) */
static void accounts_apart(void **state)
{
    struct rfx *f = *state;
    int64_t k = rfx_contact(f, f->a, "1");
    int64_t c = sent_and_nudging(f, "C", &k, 1, f->t0 - DAY_MS, NULL);
    assert_int_equal(schedule(f, f->b, c, 1, "no_reply", f->t0 + 30 * DAY_MS), 0);
    assert_string_equal(row_of(f, c, k, 1), "none");
    int64_t due = -1;
    assert_int_equal(f->st->nudge_next_due(f->st, f->b, c, 1, &due), DB_ONE);
    assert_int_equal(due, 0);
    assert_int_equal(f->st->nudge_next_due(f->st, f->a, c, 1, &due), DB_ONE);
    assert_int_equal(due, f->t0 - DAY_MS);
    assert_int_equal(schedule(f, f->a, c, 1, "no_reply", f->t0), 1);
    assert_string_equal(row_of(f, c, k, 1), "pending");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(conditions, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(when_and_once, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(unreachable_contacts, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(replies_and_opt_outs_stop_nudges, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(a_nudge_keeps_the_code, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(accounts_apart, rfx_setup, rfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
