/* test_schedule — scheduled starts and segments in core/ (core/schedule.c, core/segments.c,
 * core/launch.c's scheduled start), in-process on SQLite: what may be scheduled and when, a start
 * at its time and never twice (also when two threads look at once), one that waits behind a
 * running campaign and starts when it ends, one that cannot start going back to draft with its
 * reason, a campaign of a segment starting with the segment's filters as they are then (and
 * keeping them), and the rules of segments (validation naming the field, deletion refused while
 * a draft or scheduled campaign names one, the other account out of reach). */
#include "rules_fixture.h"

#include <pthread.h>

#include "core/cstate.h"
#include "core/schedule.h"
#include "core/segments.h"
#include "store/segment.h"

/* n contacts of the account who wrote recently, tg ids prefix00.. */
static void people(struct rfx *f, int64_t account, const char *prefix, int n, int64_t *ids)
{
    for (int i = 0; i < n; i++) {
        char tg[24];
        snprintf(tg, sizeof tg, "%s%02d", prefix, i);
        int64_t id = rfx_contact(f, account, tg);
        rfx_inbound(f, account, id, 1, now_ms() - 3600000);
        if (ids) ids[i] = id;
    }
}

static struct campaign get(struct rfx *f, int64_t account, int64_t id)
{
    struct campaign c;
    assert_int_equal(f->st->campaign_get(f->st, account, id, &c), DB_ONE);
    return c;
}

static int64_t audience(struct rfx *f, int64_t account, int64_t id)
{
    struct campaign_counts k;
    assert_int_equal(f->st->campaign_counts(f->st, account, id, &k), DB_ONE);
    return k.audience;
}

struct starts {
    int n;
    int64_t last_account;
    pthread_mutex_t mu;
};

static void on_started(void *cls, int64_t account_id)
{
    struct starts *s = cls;
    pthread_mutex_lock(&s->mu);
    s->n++;
    s->last_account = account_id;
    pthread_mutex_unlock(&s->mu);
}

static void what_may_be_scheduled(void **state)
{
    struct rfx *f = *state;
    char st[16];
    int64_t now = now_ms(), id = rfx_campaign(f, f->a, "later", NULL, NULL);
    assert_int_equal(campaign_schedule(f->st, f->a, id, now - 2000, 0, now, st), SCHEDULE_PAST);
    assert_int_equal(campaign_schedule(f->st, f->a, id, now + SCHEDULE_AHEAD_MAX_MS + 1, 0, now, st),
                     SCHEDULE_TOO_FAR);
    assert_int_equal(campaign_schedule(f->st, f->b, id, now + 60000, 0, now, st), SCHEDULE_NOT_FOUND);
    assert_int_equal(campaign_schedule(f->st, f->a, id + 100, now + 60000, 0, now, st), SCHEDULE_NOT_FOUND);
    assert_string_equal(rfx_status(f, f->a, id, st, sizeof st), "draft");

    /* a second's grace: a time written in whole seconds may have just passed */
    assert_int_equal(campaign_schedule(f->st, f->a, id, now - 500, 1, now, st), SCHEDULE_OK);
    assert_int_equal(campaign_schedule(f->st, f->a, id, now + 60000, 1, now, st),
                     SCHEDULE_OK); /* a new time */
    struct campaign c = get(f, f->a, id);
    assert_string_equal(c.status, "scheduled");
    assert_int_equal(c.start_at, now + 60000);
    assert_int_equal(c.override_quiet_hours, 1);
    campaign_release(&c);
    assert_int_equal(campaign_unschedule(f->st, f->b, id, st), SCHEDULE_NOT_FOUND);
    assert_int_equal(campaign_unschedule(f->st, f->a, id, st), SCHEDULE_OK);
    c = get(f, f->a, id);
    assert_string_equal(c.status, "draft");
    assert_int_equal(c.start_at, 0);
    assert_int_equal(c.override_quiet_hours, 1); /* kept */
    campaign_release(&c);
    assert_int_equal(campaign_unschedule(f->st, f->a, id, st), SCHEDULE_BAD_STATE);
    assert_string_equal(st, "draft");

    /* only a draft: a running campaign is not scheduled */
    int64_t p = rfx_contact(f, f->a, "9001");
    assert_int_equal(campaign_start(f->st, f->a, id, &p, 1, 0, NULL), START_OK);
    assert_int_equal(campaign_schedule(f->st, f->a, id, now + 60000, 0, now, st), SCHEDULE_BAD_STATE);
    assert_string_equal(st, "running");
}

static void starts_at_its_time_once(void **state)
{
    struct rfx *f = *state;
    struct starts s = {0, 0, PTHREAD_MUTEX_INITIALIZER};
    char st[16];
    rfx_connect(f, f->a);
    people(f, f->a, "71", 3, NULL);
    int64_t now = now_ms(), at = now + 30000, id = rfx_campaign(f, f->a, "at ten", NULL, NULL);
    assert_int_equal(campaign_schedule(f->st, f->a, id, at, 0, now, st), SCHEDULE_OK);
    /* before its time: nothing starts; the next look is at most a second away, or at its time */
    assert_int_equal(schedule_run(&f->app, now, on_started, &s), now + SCHEDULE_LOOK_MS);
    assert_int_equal(schedule_run(&f->app, at - 400, on_started, &s), at);
    assert_int_equal(s.n, 0);
    assert_string_equal(rfx_status(f, f->a, id, st, sizeof st), "scheduled");
    /* at its time: started, once */
    schedule_run(&f->app, at, on_started, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.last_account, f->a);
    assert_string_equal(rfx_status(f, f->a, id, st, sizeof st), "running");
    assert_int_equal(audience(f, f->a, id), 3);
    schedule_run(&f->app, at + 1000, on_started, &s);
    struct launch_result res;
    struct account acct;
    assert_int_equal(f->st->account_get(f->st, f->a, &acct), DB_ONE);
    assert_int_equal(campaign_launch_scheduled(&f->app, &acct, id, &res), LAUNCH_NOT_DRAFT);
    assert_string_equal(res.status, "running");
    assert_int_equal(s.n, 1);
    assert_int_equal(audience(f, f->a, id), 3);
    /* POST /start takes drafts only */
    int64_t other = rfx_campaign(f, f->a, "other", NULL, NULL);
    assert_int_equal(campaign_schedule(f->st, f->a, other, at, 0, now, st), SCHEDULE_OK);
    assert_int_equal(campaign_launch(&f->app, &acct, other, 0, &res), LAUNCH_NOT_DRAFT);
    assert_string_equal(res.status, "scheduled");
}

struct looker {
    struct rfx *f;
    struct starts *s;
    int64_t at;
};

static void *look(void *p)
{
    struct looker *l = p;
    schedule_run(&l->f->app, l->at, on_started, l->s);
    return NULL;
}

/* Two lookers at once (two instances, or a restart racing a late look): one start. */
static void two_lookers_start_it_once(void **state)
{
    struct rfx *f = *state;
    struct starts s = {0, 0, PTHREAD_MUTEX_INITIALIZER};
    char st[16];
    rfx_connect(f, f->a);
    rfx_connect(f, f->b);
    people(f, f->a, "72", 20, NULL);
    people(f, f->b, "73", 5, NULL);
    int64_t now = now_ms(), at = now + 5000;
    int64_t ids[3] = {rfx_campaign(f, f->a, "one", NULL, NULL), rfx_campaign(f, f->b, "b's", NULL, NULL)};
    assert_int_equal(campaign_schedule(f->st, f->a, ids[0], at, 0, now, st), SCHEDULE_OK);
    assert_int_equal(campaign_schedule(f->st, f->b, ids[1], at + 10, 0, now, st), SCHEDULE_OK);
    pthread_t t[4];
    struct looker l = {f, &s, at + 20};
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, look, &l);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(s.n, 2); /* each campaign once */
    assert_string_equal(rfx_status(f, f->a, ids[0], st, sizeof st), "running");
    assert_string_equal(rfx_status(f, f->b, ids[1], st, sizeof st), "running");
    assert_int_equal(audience(f, f->a, ids[0]), 20);
    assert_int_equal(audience(f, f->b, ids[1]), 5);
}

static void waits_behind_a_running_campaign(void **state)
{
    struct rfx *f = *state;
    struct starts s = {0, 0, PTHREAD_MUTEX_INITIALIZER};
    char st[16];
    struct launch_result res;
    struct account acct;
    rfx_connect(f, f->a);
    people(f, f->a, "74", 2, NULL);
    assert_int_equal(f->st->account_get(f->st, f->a, &acct), DB_ONE);
    acct.frequency_cap_days = 0; /* the second campaign reaches the same people */
    assert_int_equal(f->st->account_update(f->st, &acct), DB_ONE);
    int64_t first = rfx_campaign(f, f->a, "first", NULL, NULL),
            later = rfx_campaign(f, f->a, "later", NULL, NULL);
    assert_int_equal(campaign_launch(&f->app, &acct, first, 0, &res), LAUNCH_OK);
    int64_t now = now_ms();
    assert_int_equal(campaign_schedule(f->st, f->a, later, now + 1000, 0, now, st), SCHEDULE_OK);
    struct campaign c = get(f, f->a, later);
    assert_int_equal(schedule_waiting(f->st, f->a, &c, now), 0); /* not due yet */
    assert_int_equal(schedule_waiting(f->st, f->a, &c, now + 1000), 1);
    campaign_release(&c);
    /* due while the first runs: it waits, scheduled, and the next look is within a second */
    int64_t next = schedule_run(&f->app, now + 1000, on_started, &s);
    assert_true(next <= now + 1000 + SCHEDULE_LOOK_MS);
    assert_int_equal(s.n, 0);
    assert_string_equal(rfx_status(f, f->a, later, st, sizeof st), "scheduled");
    /* the first ends: the next look starts it */
    assert_int_equal(campaign_move(f->st, f->a, first, MOVE_PAUSE, "manual"), DB_ONE);
    schedule_run(&f->app, now + 2000, on_started, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(rfx_status(f, f->a, later, st, sizeof st), "running");
    c = get(f, f->a, later);
    assert_int_equal(schedule_waiting(f->st, f->a, &c, now + 2000), 0);
    campaign_release(&c);
}

static void not_startable_goes_back_to_draft(void **state)
{
    struct rfx *f = *state;
    struct starts s = {0, 0, PTHREAD_MUTEX_INITIALIZER};
    char st[16];
    int64_t now = now_ms();
    int64_t nosession = rfx_campaign(f, f->a, "no session", NULL, NULL);
    assert_int_equal(campaign_schedule(f->st, f->a, nosession, now + 100, 1, now, st), SCHEDULE_OK);
    schedule_run(&f->app, now + 100, on_started, &s);
    struct campaign c = get(f, f->a, nosession);
    assert_string_equal(c.status, "draft");
    assert_string_equal(c.pause_reason, "no_session");
    assert_int_equal(c.start_at, 0);
    campaign_release(&c);
    struct log_row *logs = NULL;
    size_t n = 0;
    assert_int_equal(f->st->logs_page(f->st, f->a, nosession, 0, 10, &logs, &n), DB_ONE);
    assert_int_equal(n, 1);
    assert_string_equal(logs[0].status, "not_started");
    assert_string_equal(logs[0].error_code, "no_session");
    free(logs);

    rfx_connect(f, f->a); /* nobody to send to */
    int64_t empty = rfx_campaign(f, f->a, "empty", NULL, NULL);
    assert_int_equal(campaign_schedule(f->st, f->a, empty, now + 100, 0, now, st), SCHEDULE_OK);
    schedule_run(&f->app, now + 100, on_started, &s);
    c = get(f, f->a, empty);
    assert_string_equal(c.status, "draft");
    assert_string_equal(c.pause_reason, "empty_audience");
    campaign_release(&c);
    assert_int_equal(s.n, 0);
    /* scheduled again, the reason goes */
    assert_int_equal(campaign_schedule(f->st, f->a, empty, now + 60000, 0, now, st), SCHEDULE_OK);
    c = get(f, f->a, empty);
    assert_string_equal(c.pause_reason, "");
    campaign_release(&c);
}

static int64_t segment(struct rfx *f, int64_t account, const char *name, const char *filters)
{
    struct jspec_error err;
    json_error_t je;
    json_t *j = json_loads(filters, 0, &je);
    int64_t id = 0;
    assert_int_equal(segment_write(f->st, account, &id, name, 1, j, NULL, &err), SEGMENT_OK);
    json_decref(j);
    return id;
}

static void campaign_of_a_segment(void **state)
{
    struct rfx *f = *state;
    struct starts s = {0, 0, PTHREAD_MUTEX_INITIALIZER};
    struct jspec_error err;
    char st[16];
    rfx_connect(f, f->a);
    int64_t ppl[4];
    people(f, f->a, "75", 4, ppl);
    rfx_order(f, f->a, "o1", 1000, "paid", "7500", f->t0, NULL, NULL);
    rfx_order(f, f->a, "o2", 1000, "paid", "7501", f->t0, NULL, NULL);
    int64_t seg = segment(f, f->a, "buyers", "{\"min_orders\":1}");
    struct segment got;
    assert_int_equal(f->st->segment_get(f->st, f->a, seg, &got), DB_ONE);
    int64_t count = -1;
    struct account acct;
    assert_int_equal(f->st->account_get(f->st, f->a, &acct), DB_ONE);
    assert_int_equal(segment_reach(&f->app, &acct, got.filters_json, &count), TGR_OK);
    assert_int_equal(count, 2);

    int64_t id = rfx_campaign(f, f->a, "to buyers", NULL, NULL);
    assert_int_equal(f->st->campaign_set_audience(f->st, f->a, id, seg, NULL), DB_ONE);
    int64_t now = now_ms();
    assert_int_equal(campaign_schedule(f->st, f->a, id, now + 100, 0, now, st), SCHEDULE_OK);
    /* in use by a scheduled campaign: not deleted */
    assert_int_equal(segment_remove(f->st, f->a, seg), SEGMENT_IN_USE);
    /* the segment changes before the start: the campaign takes it as it is then */
    json_t *everyone = json_object();
    int64_t sid = seg;
    assert_int_equal(segment_write(f->st, f->a, &sid, NULL, 1, everyone, &got, &err), SEGMENT_OK);
    json_decref(everyone);
    assert_string_equal(got.filters_json, "{}");
    assert_string_equal(got.name, "buyers");
    schedule_run(&f->app, now + 100, on_started, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(audience(f, f->a, id), 4);
    struct campaign c = get(f, f->a, id);
    assert_string_equal(c.filters_json, "{}"); /* kept as it started */
    assert_int_equal(c.segment_id, seg);
    campaign_release(&c);
    /* running campaigns do not hold the segment; deleted, the campaign keeps its filters */
    assert_int_equal(segment_remove(f->st, f->b, seg), SEGMENT_NOT_FOUND);
    assert_int_equal(segment_remove(f->st, f->a, seg), SEGMENT_OK);
    assert_int_equal(segment_remove(f->st, f->a, seg), SEGMENT_NOT_FOUND);
    c = get(f, f->a, id);
    assert_string_equal(c.filters_json, "{}");
    assert_int_equal(c.segment_id, 0);
    campaign_release(&c);
}

static void segments_are_checked(void **state)
{
    struct rfx *f = *state;
    struct jspec_error err;
    json_error_t je;
    int64_t id = 0;
    json_t *bad = json_loads("{\"min_orders\":-1}", 0, &je);
    assert_int_equal(segment_write(f->st, f->a, &id, "x", 1, bad, NULL, &err), SEGMENT_INVALID);
    assert_string_equal(err.field, "filters.min_orders");
    json_decref(bad);
    int64_t theirs = rfx_campaign(f, f->b, "theirs", NULL, NULL);
    char text[96];
    snprintf(text, sizeof text, "{\"clicked_campaign\":%lld}", (long long)theirs);
    json_t *other = json_loads(text, 0, &je);
    assert_int_equal(segment_write(f->st, f->a, &id, "x", 1, other, NULL, &err), SEGMENT_INVALID);
    assert_string_equal(err.field, "filters.clicked_campaign");
    json_decref(other);
    assert_int_equal(segment_write(f->st, f->a, &id, NULL, 1, NULL, NULL, &err), SEGMENT_INVALID);
    assert_string_equal(err.field, "name");
    assert_int_equal(segment_write(f->st, f->a, &id, "two\nlines", 1, NULL, NULL, &err), SEGMENT_INVALID);
    assert_string_equal(err.field, "name");
    assert_int_equal(id, 0);

    /* no filters: everyone; canonical form kept */
    json_t *some = json_loads("{\"categories\":[\"buyer\"],\"last_message_within_days\":30}", 0, &je);
    struct segment got;
    assert_int_equal(segment_write(f->st, f->a, &id, "Recent buyers", 1, some, &got, &err), SEGMENT_OK);
    json_decref(some);
    assert_string_equal(got.filters_json, "{\"last_message_within_days\":30,\"categories\":[\"buyer\"]}");
    int64_t id2 = 0;
    assert_int_equal(segment_write(f->st, f->a, &id2, "All", 1, NULL, &got, &err), SEGMENT_OK);
    assert_string_equal(got.filters_json, "{}");
    /* the other account's id is not found; a rename keeps the filters */
    int64_t wrong = id;
    assert_int_equal(segment_write(f->st, f->b, &wrong, "Mine", 0, NULL, NULL, &err), SEGMENT_NOT_FOUND);
    assert_int_equal(segment_write(f->st, f->a, &id, "Renamed", 0, NULL, &got, &err), SEGMENT_OK);
    assert_string_equal(got.name, "Renamed");
    assert_string_equal(got.filters_json, "{\"last_message_within_days\":30,\"categories\":[\"buyer\"]}");
    /* a draft naming it holds it */
    int64_t draft = rfx_campaign(f, f->a, "d", NULL, NULL);
    assert_int_equal(f->st->campaign_set_audience(f->st, f->a, draft, id, NULL), DB_ONE);
    assert_int_equal(segment_remove(f->st, f->a, id), SEGMENT_IN_USE);
    assert_int_equal(segment_remove(f->st, f->a, id2), SEGMENT_OK);
    assert_int_equal(campaign_move(f->st, f->a, draft, MOVE_CANCEL, NULL), DB_ONE);
    assert_int_equal(segment_remove(f->st, f->a, id), SEGMENT_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(what_may_be_scheduled, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(starts_at_its_time_once, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(two_lookers_start_it_once, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(waits_behind_a_running_campaign, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(not_startable_goes_back_to_draft, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(campaign_of_a_segment, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(segments_are_checked, rfx_setup, rfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
