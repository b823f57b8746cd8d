/* test_cstate — the campaign status table (core/cstate.c) and the recipient one (store.h): every move from
 * every status against a table written out by hand here, names both ways, and campaign_move on a real SQLite
 * store (a move the table forbids changes nothing; another account's campaign is out of reach). */
#include "rules_fixture.h"

#include "core/cstate.h"

enum { D, R, N, P, C, X, S }; /* draft running nudging paused completed cancelled scheduled */

/* expected[move][status]: the status it goes to, or -1 when the move may not start there. */
static const int expected[][7] = {
    [MOVE_START] = {R, -1, -1, -1, -1, -1, -1},
    [MOVE_PAUSE] = {-1, P, P, -1, -1, -1, -1},
    [MOVE_RESUME] = {-1, -1, -1, R, -1, -1, -1},
    [MOVE_CANCEL] = {X, X, X, X, -1, -1, X},
    [MOVE_MAIN_DONE_NUDGES_AHEAD] = {-1, N, -1, -1, -1, -1, -1},
    [MOVE_MAIN_DONE] = {-1, C, -1, -1, -1, -1, -1},
    [MOVE_NUDGES_DONE] = {-1, -1, C, -1, -1, -1, -1},
    [MOVE_NEW_NUDGES] = {-1, -1, -1, -1, N, -1, -1},
    [MOVE_SCHEDULE] = {S, -1, -1, -1, -1, -1, S},
    [MOVE_UNSCHEDULE] = {-1, -1, -1, -1, -1, -1, D},
    [MOVE_START_SCHEDULED] = {-1, -1, -1, -1, -1, -1, R},
};
_Static_assert(sizeof expected / sizeof expected[0] == MOVE_START_SCHEDULED + 1, "a row for every move");

static void table_is_as_written(void **state)
{
    (void)state;
    for (size_t m = 0; m < sizeof expected / sizeof expected[0]; m++) {
        for (int s = 0; s < CAMPAIGN_STATUS_COUNT; s++) {
            int allowed = campaign_move_allowed((enum campaign_move)m, (enum campaign_status)s);
            if (allowed != (expected[m][s] >= 0))
                fail_msg("move %zu from %s: allowed=%d", m, campaign_status_name((enum campaign_status)s),
                         allowed);
            if (allowed) assert_int_equal(campaign_move_to((enum campaign_move)m), expected[m][s]);
        }
    }
}

static void names_round_trip(void **state)
{
    (void)state;
    const char *want[] = {"draft", "running", "nudging", "paused", "completed", "cancelled", "scheduled"};
    for (int s = 0; s < CAMPAIGN_STATUS_COUNT; s++) {
        enum campaign_status back;
        assert_string_equal(campaign_status_name((enum campaign_status)s), want[s]);
        assert_int_equal(campaign_status_parse(want[s], &back), 0);
        assert_int_equal(back, s);
    }
    enum campaign_status x;
    assert_int_equal(campaign_status_parse("Running", &x), -1);
    assert_int_equal(campaign_status_parse("", &x), -1);
    assert_int_equal(campaign_status_parse(NULL, &x), -1);
    assert_true(campaign_status_editable(CAMPAIGN_DRAFT) && campaign_status_editable(CAMPAIGN_PAUSED));
    assert_false(campaign_status_editable(CAMPAIGN_RUNNING) || campaign_status_editable(CAMPAIGN_COMPLETED));
    assert_true(campaign_status_active(CAMPAIGN_NUDGING) && !campaign_status_active(CAMPAIGN_PAUSED));
    assert_false(campaign_status_takes_nudges(CAMPAIGN_CANCELLED));
    /* a scheduled campaign is neither edited nor sending; it takes a nudge plan */
    assert_false(campaign_status_editable(CAMPAIGN_SCHEDULED) || campaign_status_active(CAMPAIGN_SCHEDULED));
    assert_true(campaign_status_takes_nudges(CAMPAIGN_SCHEDULED));
}

/* The recipient table (store.h): [from][to]. */
static void recipient_table_is_as_written(void **state)
{
    enum {
        PE = RECIPIENT_PENDING,
        SE = RECIPIENT_SENDING,
        ST = RECIPIENT_SENT,
        FA = RECIPIENT_FAILED,
        SK = RECIPIENT_SKIPPED
    };
    static const int allowed[RECIPIENT_STATUS_COUNT][RECIPIENT_STATUS_COUNT] = {
        [PE] = {[SE] = 1, [SK] = 1},
        [SE] = {[PE] = 1, [ST] = 1, [FA] = 1, [SK] = 1},
    };
    const char *names[] = {"pending", "sending", "sent", "failed", "skipped"};
    for (int from = 0; from < RECIPIENT_STATUS_COUNT; from++) {
        assert_string_equal(recipient_status_name((enum recipient_status)from), names[from]);
        for (int to = 0; to < RECIPIENT_STATUS_COUNT; to++)
            if (recipient_move_allowed((enum recipient_status)from, (enum recipient_status)to) !=
                allowed[from][to])
                fail_msg("recipient %s → %s", names[from], names[to]);
    }
    struct rfx *f = *state;
    /* An outcome the table does not allow is refused before anything is written. */
    struct send_outcome so = {
        .recipient_id = 1, .campaign_id = 1, .status = RECIPIENT_SENDING, .log_status = "x"};
    assert_int_equal(recipient_finish(f->st, f->a, &so), DB_HARD);
    struct log_row *logs = NULL;
    size_t n = 0;
    assert_int_equal(f->st->logs_page(f->st, f->a, 1, 0, 10, &logs, &n), DB_NONE);
    free(logs);
}

static void moves_in_the_store(void **state)
{
    struct rfx *f = *state;
    char st[16];
    int64_t id = rfx_campaign(f, f->a, "c", NULL, NULL);
    /* A draft cannot be paused or resumed; nothing changes. */
    assert_int_equal(campaign_move(f->st, f->a, id, MOVE_PAUSE, "manual"), DB_NONE);
    assert_int_equal(campaign_move(f->st, f->a, id, MOVE_RESUME, NULL), DB_NONE);
    assert_string_equal(rfx_status(f, f->a, id, st, sizeof st), "draft");
    /* Another account's campaign is out of reach. */
    assert_int_equal(campaign_move(f->st, f->b, id, MOVE_CANCEL, NULL), DB_NONE);
    assert_string_equal(rfx_status(f, f->a, id, st, sizeof st), "draft");
    assert_int_equal(campaign_move(f->st, f->a, id, MOVE_CANCEL, NULL), DB_ONE);
    assert_string_equal(rfx_status(f, f->a, id, st, sizeof st), "cancelled");
    assert_int_equal(campaign_move(f->st, f->a, id, MOVE_CANCEL, NULL), DB_NONE);
    assert_int_equal(campaign_move(f->st, f->a, id, MOVE_NEW_NUDGES, NULL), DB_NONE);

    /* scheduled: only from a draft (or scheduled again), back to a draft, started from there */
    int64_t s = rfx_campaign(f, f->a, "s", NULL, NULL);
    assert_int_equal(campaign_move(f->st, f->a, s, MOVE_UNSCHEDULE, NULL), DB_NONE);
    assert_int_equal(campaign_move(f->st, f->a, s, MOVE_START_SCHEDULED, NULL), DB_NONE);
    assert_int_equal(campaign_move(f->st, f->a, s, MOVE_SCHEDULE, NULL), DB_ONE);
    assert_int_equal(campaign_move(f->st, f->a, s, MOVE_SCHEDULE, NULL), DB_ONE);
    assert_string_equal(rfx_status(f, f->a, s, st, sizeof st), "scheduled");
    assert_int_equal(campaign_move(f->st, f->a, s, MOVE_START, NULL), DB_NONE); /* /start takes drafts */
    assert_int_equal(campaign_move(f->st, f->b, s, MOVE_UNSCHEDULE, NULL), DB_NONE);
    assert_int_equal(campaign_move(f->st, f->a, s, MOVE_UNSCHEDULE, NULL), DB_ONE);
    assert_string_equal(rfx_status(f, f->a, s, st, sizeof st), "draft");
    assert_int_equal(campaign_move(f->st, f->a, s, MOVE_SCHEDULE, NULL), DB_ONE);
    assert_int_equal(campaign_move(f->st, f->a, s, MOVE_START_SCHEDULED, NULL), DB_ONE);
    assert_string_equal(rfx_status(f, f->a, s, st, sizeof st), "running");
    assert_int_equal(campaign_move(f->st, f->a, s, MOVE_SCHEDULE, NULL), DB_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_is_as_written),
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test_setup_teardown(moves_in_the_store, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(recipient_table_is_as_written, rfx_setup, rfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
