/* test_launch — starting a campaign (core/launch.c: campaign_launch and the start itself,
 * campaign_start), in-process on SQLite: every outcome, one campaign at a time per account, the
 * other account's campaigns out of reach, and a failing read that is reported as a failure,
 * never taken for "nothing there". */
#include "rules_fixture.h"

#include "core/cstate.h"
#include "core/launch.h"

static enum db_status (*real_session_get)(struct store *, int64_t, struct tg_session *);
static enum db_status (*real_codes_list)(struct store *, int64_t, int64_t, struct discount_code_row **,
                                         size_t *);

static enum db_status failing_session_get(struct store *st, int64_t account_id, struct tg_session *s)
{
    return DB_HARD;
}

static enum db_status failing_codes_list(struct store *st, int64_t account_id, int64_t campaign_id,
                                         struct discount_code_row **rows, size_t *n)
{
    return DB_HARD;
}

static struct account acct(struct rfx *f, int64_t id)
{
    struct account a;
    assert_int_equal(f->st->account_get(f->st, id, &a), DB_ONE);
    return a;
}

static void outcomes_in_order(void **state)
{
    struct rfx *f = *state;
    struct account a = acct(f, f->a);
    struct launch_result res;
    char st[16];
    int64_t c1 = rfx_campaign(f, f->a, "first", NULL, NULL);

    assert_int_equal(campaign_launch(&f->app, &a, c1 + 1000, 0, &res), LAUNCH_NOT_FOUND);
    assert_int_equal(campaign_launch(&f->app, &a, c1, 0, &res), LAUNCH_NO_SESSION);
    rfx_connect(f, f->a);
    assert_int_equal(campaign_launch(&f->app, &a, c1, 0, &res), LAUNCH_EMPTY_AUDIENCE);
    assert_string_equal(rfx_status(f, f->a, c1, st, sizeof st), "draft");

    int64_t p = rfx_contact(f, f->a, "5001");
    rfx_inbound(f, f->a, p, 1, f->t0);
    rfx_contact(f, f->b, "5002"); /* the other account's customer is never in the audience */
    assert_int_equal(campaign_launch(&f->app, &a, c1, 0, &res), LAUNCH_OK);
    assert_int_equal(res.recipients, 1);
    assert_string_equal(rfx_status(f, f->a, c1, st, sizeof st), "running");

    assert_int_equal(campaign_launch(&f->app, &a, c1, 0, &res), LAUNCH_NOT_DRAFT);
    assert_string_equal(res.status, "running");

    int64_t c2 = rfx_campaign(f, f->a, "second", NULL, NULL);
    assert_int_equal(campaign_launch(&f->app, &a, c2, 0, &res), LAUNCH_OTHER_RUNNING);
    assert_int_equal(res.running_id, c1);
    assert_string_equal(rfx_status(f, f->a, c2, st, sizeof st), "draft");
}

static void other_accounts_campaign_is_not_found(void **state)
{
    struct rfx *f = *state;
    struct account b = acct(f, f->b);
    struct launch_result res;
    int64_t mine = rfx_campaign(f, f->a, "a's", NULL, NULL);
    rfx_connect(f, f->b);
    int64_t p = rfx_contact(f, f->b, "6001");
    rfx_inbound(f, f->b, p, 1, f->t0);
    assert_int_equal(campaign_launch(&f->app, &b, mine, 0, &res), LAUNCH_NOT_FOUND);
    char st[16];
    assert_string_equal(rfx_status(f, f->a, mine, st, sizeof st), "draft");
}

static void empty_pool_is_refused(void **state)
{
    struct rfx *f = *state;
    struct account a = acct(f, f->a);
    struct launch_result res;
    rfx_connect(f, f->a);
    int64_t p = rfx_contact(f, f->a, "5101");
    rfx_inbound(f, f->a, p, 1, f->t0);
    struct campaign c;
    int64_t id = 0;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "pool");
    c.message_text = (char *)"Your code: {{discount_code}}";
    c.discount_json = (char *)"{\"type\":\"pool\"}";
    assert_int_equal(f->st->campaign_create(f->st, f->a, &c, &id), DB_ONE);
    assert_int_equal(campaign_launch(&f->app, &a, id, 0, &res), LAUNCH_EMPTY_POOL);

    /* A pool that cannot be read is a failure, not an empty pool. */
    real_codes_list = f->st->codes_list;
    f->st->codes_list = failing_codes_list;
    assert_int_equal(campaign_launch(&f->app, &a, id, 0, &res), LAUNCH_STORE);
    f->st->codes_list = real_codes_list;
}

static void failed_read_starts_nothing(void **state)
{
    struct rfx *f = *state;
    struct account a = acct(f, f->a);
    struct launch_result res;
    rfx_connect(f, f->a);
    int64_t p = rfx_contact(f, f->a, "5201");
    rfx_inbound(f, f->a, p, 1, f->t0);
    int64_t id = rfx_campaign(f, f->a, "x", NULL, NULL);
    real_session_get = f->st->session_get;
    f->st->session_get = failing_session_get;
    assert_int_equal(campaign_launch(&f->app, &a, id, 0, &res), LAUNCH_STORE);
    f->st->session_get = real_session_get;
    char st[16];
    assert_string_equal(rfx_status(f, f->a, id, st, sizeof st), "draft");
    assert_int_equal(campaign_launch(&f->app, &a, id, 0, &res), LAUNCH_OK);
}

static enum db_status failing_running_other(struct store *st, int64_t account_id, int64_t campaign_id,
                                            int64_t *running_id)
{
    *running_id = 0;
    return DB_HARD;
}

/* The start itself (campaign_start): its own outcome for "another campaign runs", with that
 * campaign's id; a campaign not in the status it is started from; a paused one resumed without
 * new rows; a failing read that starts nothing. */
static void start_outcomes(void **state)
{
    struct rfx *f = *state;
    char st[16];
    int64_t people[2] = {rfx_contact(f, f->a, "5301"), rfx_contact(f, f->a, "5302")}, running = -1;
    int64_t c1 = rfx_campaign(f, f->a, "one", NULL, NULL), c2 = rfx_campaign(f, f->a, "two", NULL, NULL);

    enum db_status (*real_running_other)(struct store *, int64_t, int64_t, int64_t *) =
        f->st->campaign_running_other;
    f->st->campaign_running_other = failing_running_other;
    assert_int_equal(campaign_start(f->st, f->a, c1, people, 2, 0, &running), START_STORE);
    f->st->campaign_running_other = real_running_other;
    assert_string_equal(rfx_status(f, f->a, c1, st, sizeof st), "draft");

    assert_int_equal(campaign_start(f->st, f->a, c1, NULL, 0, 0, &running),
                     START_NOT_STARTABLE); /* a draft */
    assert_int_equal(campaign_start(f->st, f->a, c1, people, 2, 1, &running), START_OK);
    assert_int_equal(running, 0);
    struct campaign_counts k;
    assert_int_equal(f->st->campaign_counts(f->st, f->a, c1, &k), DB_ONE);
    assert_int_equal(k.audience, 2);
    assert_int_equal(k.pending, 2);
    assert_int_equal(campaign_start(f->st, f->a, c1, people, 2, 0, &running), START_NOT_STARTABLE);

    assert_int_equal(campaign_start(f->st, f->a, c2, people, 2, 0, &running), START_OTHER_RUNNING);
    assert_int_equal(running, c1);
    assert_string_equal(rfx_status(f, f->a, c2, st, sizeof st), "draft");
    /* the other account has no campaign running */
    int64_t theirs = rfx_campaign(f, f->b, "theirs", NULL, NULL), them = rfx_contact(f, f->b, "5303");
    assert_int_equal(campaign_start(f->st, f->b, theirs, &them, 1, 0, &running), START_OK);

    /* paused, then resumed through a start: running again, no rows added */
    assert_int_equal(campaign_move(f->st, f->a, c1, MOVE_PAUSE, "manual"), DB_ONE);
    assert_int_equal(campaign_start(f->st, f->a, c1, NULL, 0, 0, &running), START_OK);
    assert_string_equal(rfx_status(f, f->a, c1, st, sizeof st), "running");
    assert_int_equal(f->st->campaign_counts(f->st, f->a, c1, &k), DB_ONE);
    assert_int_equal(k.audience, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(outcomes_in_order, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(other_accounts_campaign_is_not_found, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(empty_pool_is_refused, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(failed_read_starts_nothing, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(start_outcomes, rfx_setup, rfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
