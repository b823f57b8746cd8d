/* test_progress — how a running campaign moves on (core/progress.c), in-process on SQLite: the
 * main pass done with and without nudges ahead, nudging done, and above all that a read which
 * fails never completes a campaign (it used to read as "no open rows"). */
#include "rules_fixture.h"

#include "core/cstate.h"
#include "core/progress.h"

static enum db_status (*real_open_rows)(struct store *, int64_t, int64_t, int, int64_t *);
static enum db_status (*real_next_due)(struct store *, int64_t, int64_t, int, int64_t *);
static enum db_status (*real_get)(struct store *, int64_t, int64_t, struct campaign *);

/* What a failing read used to do: leave its output 0 and say so only in its status. */
static enum db_status failing_open_rows(struct store *st, int64_t a, int64_t c, int step, int64_t *n)
{
    *n = 0;
    return DB_HARD;
}

static enum db_status failing_next_due(struct store *st, int64_t a, int64_t c, int step, int64_t *at)
{
    *at = 0;
    return DB_HARD;
}

static enum db_status failing_get(struct store *st, int64_t a, int64_t c, struct campaign *out)
{
    return DB_HARD;
}

/* A running campaign of account a for two contacts; sent_all: both messages already out. */
static int64_t running(struct rfx *f, const char *nudges, int sent_all)
{
    int64_t people[2] = {rfx_contact(f, f->a, "7001"), rfx_contact(f, f->a, "7002")};
    int64_t id = rfx_campaign(f, f->a, "c", nudges, NULL), other = 0;
    assert_int_equal(campaign_start(f->st, f->a, id, people, 2, 0, &other), START_OK);
    if (sent_all) assert_int_equal(rfx_send_due(f, f->a, f->t0, people, 2, NULL, NULL), 2);
    return id;
}

static void a_failing_read_never_completes(void **state)
{
    struct rfx *f = *state;
    char st[16];
    int64_t id = running(f, NULL, 0); /* two messages still to go */
    real_open_rows = f->st->campaign_open_rows;
    f->st->campaign_open_rows = failing_open_rows;
    assert_int_equal(campaign_advance(&f->app, f->a, id, now_ms(), NULL), PROGRESS_STORE);
    assert_string_equal(rfx_status(f, f->a, id, st, sizeof st), "running");
    f->st->campaign_open_rows = real_open_rows;
    assert_int_equal(campaign_advance(&f->app, f->a, id, now_ms(), NULL), PROGRESS_SAME);
    assert_string_equal(rfx_status(f, f->a, id, st, sizeof st), "running");

    real_get = f->st->campaign_get;
    f->st->campaign_get = failing_get;
    assert_int_equal(campaign_advance(&f->app, f->a, id, now_ms(), NULL), PROGRESS_STORE);
    f->st->campaign_get = real_get;
}

static void a_failing_nudge_read_never_completes(void **state)
{
    struct rfx *f = *state;
    char st[16];
    /* Everything sent; a nudge a day after: it is ahead, so the campaign must go on nudging. */
    int64_t id =
        running(f, "[{\"after_seconds\":86400,\"condition\":\"no_reply\",\"message_text\":\"?\"}]", 1);
    real_next_due = f->st->nudge_next_due;
    f->st->nudge_next_due = failing_next_due;
    assert_int_equal(campaign_advance(&f->app, f->a, id, f->t0 + 1000, NULL), PROGRESS_STORE);
    assert_string_equal(rfx_status(f, f->a, id, st, sizeof st), "running");
    f->st->nudge_next_due = real_next_due;
    assert_int_equal(campaign_advance(&f->app, f->a, id, f->t0 + 1000, NULL), PROGRESS_NUDGING);
    assert_string_equal(rfx_status(f, f->a, id, st, sizeof st), "nudging");
    /* A day later the nudges are scheduled; once they are out, the campaign completes. */
    int64_t scheduled = 0;
    assert_int_equal(campaign_advance(&f->app, f->a, id, f->t0 + DAY_MS + 1000, &scheduled), PROGRESS_SAME);
    assert_int_equal(scheduled, 2);
    int64_t none[1] = {0};
    assert_int_equal(rfx_send_due(f, f->a, f->t0 + DAY_MS + 2000, none, 0, NULL, NULL), 2);
    assert_int_equal(campaign_advance(&f->app, f->a, id, f->t0 + DAY_MS + 3000, NULL), PROGRESS_COMPLETED);
    assert_string_equal(rfx_status(f, f->a, id, st, sizeof st), "completed");
}

static void main_pass_done_without_nudges_completes(void **state)
{
    struct rfx *f = *state;
    char st[16];
    int64_t id = running(f, NULL, 1);
    assert_int_equal(campaign_advance(&f->app, f->a, id, now_ms(), NULL), PROGRESS_COMPLETED);
    assert_string_equal(rfx_status(f, f->a, id, st, sizeof st), "completed");
    /* Nothing moves a completed campaign on, nor the other account. */
    assert_int_equal(campaign_advance(&f->app, f->a, id, now_ms(), NULL), PROGRESS_SAME);
    assert_int_equal(campaign_advance(&f->app, f->b, id, now_ms(), NULL), PROGRESS_SAME);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_failing_read_never_completes, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(a_failing_nudge_read_never_completes, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(main_pass_done_without_nudges_completes, rfx_setup, rfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
