/* test_quiet — quiet hours (core/campaign.h quiet_hours_active): whether an instant is inside a
 * campaign's quiet hours and when they end, at fixed instants around the daylight-saving changes
 * of Europe/Berlin, America/New_York, Australia/Adelaide (a half-hour offset that changes by an
 * hour) and Australia/Lord_Howe (a half-hour offset that changes by half an hour), and in
 * Asia/Kolkata (a half-hour offset without changes); windows across midnight, and windows that
 * start or end in a skipped or a repeated hour.
 *
 * The rule as tested: quiet hours hold when the zone's wall clock reads a time inside
 * [start, end) (wrapping past midnight when end < start), so a repeated hour inside the window
 * is quiet both times and a skipped one never is; and resumes_at is the first instant after now
 * at which they no longer hold (what the engine sleeps until and the analytics show), computed
 * in real time, not wall-clock minutes: on a night that loses or gains an hour the window is an
 * hour shorter or longer. No wall clock is read: every instant is fixed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/util.h"
#include "core/campaign.h"
#include "core/orders.h"

#define MIN_MS  60000LL
#define HOUR_MS (60 * MIN_MS)

/* Quiet hours as a campaign's JSON gives them (parsed the way the API parses them). */
static struct quiet_hours window(const char *start, const char *end, const char *tz)
{
    struct quiet_hours q;
    struct jspec_error err;
    json_t *j = json_pack("{s:s, s:s, s:s}", "start", start, "end", end, "timezone", tz);
    assert_non_null(j);
    assert_int_equal(quiet_hours_parse(j, &q, &err), TGR_OK);
    json_decref(j);
    return q;
}

/* An instant written as RFC 3339 with its offset, so each case reads as the local time it is. */
static int64_t at(const char *s)
{
    int64_t ms = 0;
    if (parse_rfc3339(s, &ms) != TGR_OK) fail_msg("bad instant %s", s);
    return ms;
}

/* Assert that quiet hours hold at `now` and end at `resumes`. */
static void quiet_until(const struct quiet_hours *q, const char *now, const char *resumes)
{
    int64_t r = -1;
    char got[40];
    int active = quiet_hours_active(q, at(now), &r);
    rfc3339(r, got, sizeof got);
    if (!active) fail_msg("%s: not quiet at %s", q->timezone, now);
    if (r != at(resumes))
        fail_msg("%s quiet at %s: resumes at %s, expected %s", q->timezone, now, got, resumes);
}

static void not_quiet(const struct quiet_hours *q, const char *now)
{
    int64_t r = -1;
    if (quiet_hours_active(q, at(now), &r)) fail_msg("%s: quiet at %s", q->timezone, now);
    assert_int_equal(r, 0);
}

/* Ordinary nights: a window across midnight, one inside a day, the edges, seconds and
 * milliseconds dropped (quiet hours end on the minute), no quiet hours at all. */
static void ordinary_days(void **state)
{
    struct quiet_hours q = window("22:00", "08:00", "Europe/Berlin");
    not_quiet(&q, "2026-06-10T21:59:59+02:00");
    quiet_until(&q, "2026-06-10T22:00:00+02:00", "2026-06-11T08:00:00+02:00");
    quiet_until(&q, "2026-06-10T23:59:59.999+02:00", "2026-06-11T08:00:00+02:00");
    quiet_until(&q, "2026-06-11T00:00:00+02:00", "2026-06-11T08:00:00+02:00");
    quiet_until(&q, "2026-06-11T07:59:59.500+02:00", "2026-06-11T08:00:00+02:00");
    not_quiet(&q, "2026-06-11T08:00:00+02:00");
    not_quiet(&q, "2026-06-11T12:00:00+02:00");

    struct quiet_hours day = window("09:00", "17:30", "America/New_York");
    not_quiet(&day, "2026-06-10T08:59:00-04:00");
    quiet_until(&day, "2026-06-10T09:00:00-04:00", "2026-06-10T17:30:00-04:00");
    quiet_until(&day, "2026-06-10T17:29:59-04:00", "2026-06-10T17:30:00-04:00");
    not_quiet(&day, "2026-06-10T17:30:00-04:00");
    not_quiet(&day, "2026-06-10T23:00:00-04:00");

    /* Almost the whole day: from one minute past midnight the end is nearly 24 hours away. */
    struct quiet_hours longest = window("00:01", "00:00", "UTC");
    quiet_until(&longest, "2026-06-10T00:01:00Z", "2026-06-11T00:00:00Z");
    not_quiet(&longest, "2026-06-10T00:00:30Z");

    struct quiet_hours none;
    struct jspec_error err;
    assert_int_equal(quiet_hours_parse(NULL, &none, &err), TGR_OK);
    not_quiet(&none, "2026-06-10T03:00:00Z");
}

/* Europe/Berlin, 2026-03-29: at 02:00 CET the clock jumps to 03:00 CEST (01:00 UTC). */
static void berlin_spring_forward(void **state)
{
    /* A night an hour shorter: 22:00-08:00 lasts nine hours. */
    struct quiet_hours q = window("22:00", "08:00", "Europe/Berlin");
    quiet_until(&q, "2026-03-28T22:00:00+01:00", "2026-03-29T08:00:00+02:00");
    quiet_until(&q, "2026-03-28T23:00:00+01:00", "2026-03-29T08:00:00+02:00");
    quiet_until(&q, "2026-03-29T01:59:00+01:00", "2026-03-29T08:00:00+02:00");
    quiet_until(&q, "2026-03-29T03:00:00+02:00", "2026-03-29T08:00:00+02:00");
    quiet_until(&q, "2026-03-29T07:59:00+02:00", "2026-03-29T08:00:00+02:00");
    not_quiet(&q, "2026-03-29T08:00:00+02:00");

    /* Ending inside the skipped hour: 02:30 never shows, so the window ends when the clock
     * jumps past it, at 03:00 CEST. */
    struct quiet_hours end_skipped = window("22:00", "02:30", "Europe/Berlin");
    quiet_until(&end_skipped, "2026-03-28T23:00:00+01:00", "2026-03-29T03:00:00+02:00");
    quiet_until(&end_skipped, "2026-03-29T01:59:00+01:00", "2026-03-29T03:00:00+02:00");
    not_quiet(&end_skipped, "2026-03-29T03:00:00+02:00");

    /* Starting inside the skipped hour: quiet from the jump on. */
    struct quiet_hours start_skipped = window("02:30", "06:00", "Europe/Berlin");
    not_quiet(&start_skipped, "2026-03-29T01:59:59+01:00");
    quiet_until(&start_skipped, "2026-03-29T03:00:00+02:00", "2026-03-29T06:00:00+02:00");
    quiet_until(&start_skipped, "2026-03-29T05:59:00+02:00", "2026-03-29T06:00:00+02:00");

    /* Entirely inside the skipped hour: no quiet hours that night (the night before has them). */
    struct quiet_hours inside = window("02:10", "02:50", "Europe/Berlin");
    quiet_until(&inside, "2026-03-28T02:15:00+01:00", "2026-03-28T02:50:00+01:00");
    not_quiet(&inside, "2026-03-29T01:59:00+01:00");
    not_quiet(&inside, "2026-03-29T03:00:00+02:00");
    not_quiet(&inside, "2026-03-29T03:15:00+02:00");

    /* Quiet all day but 02:00-03:00, which this night does not have: quiet until 02:00 a day later. */
    struct quiet_hours all_but = window("03:00", "02:00", "Europe/Berlin");
    quiet_until(&all_but, "2026-03-28T13:00:00+01:00", "2026-03-30T02:00:00+02:00");
    not_quiet(&all_but, "2026-03-28T02:30:00+01:00");
}

/* Europe/Berlin, 2026-10-25: at 03:00 CEST the clock goes back to 02:00 CET (01:00 UTC), so
 * 02:00-03:00 shows twice. */
static void berlin_fall_back(void **state)
{
    /* A night an hour longer: 22:00-08:00 lasts eleven hours. */
    struct quiet_hours q = window("22:00", "08:00", "Europe/Berlin");
    quiet_until(&q, "2026-10-24T22:00:00+02:00", "2026-10-25T08:00:00+01:00");
    quiet_until(&q, "2026-10-24T23:00:00+02:00", "2026-10-25T08:00:00+01:00");
    quiet_until(&q, "2026-10-25T02:30:00+02:00", "2026-10-25T08:00:00+01:00");
    quiet_until(&q, "2026-10-25T02:30:00+01:00", "2026-10-25T08:00:00+01:00");
    not_quiet(&q, "2026-10-25T08:00:00+01:00");

    /* Ending inside the repeated hour: the window ends at the first 02:30, and the wall clock
     * is inside it again from 02:00 to 02:30 CET. */
    struct quiet_hours end_repeated = window("22:00", "02:30", "Europe/Berlin");
    quiet_until(&end_repeated, "2026-10-24T23:00:00+02:00", "2026-10-25T02:30:00+02:00");
    quiet_until(&end_repeated, "2026-10-25T02:10:00+02:00", "2026-10-25T02:30:00+02:00");
    not_quiet(&end_repeated, "2026-10-25T02:30:00+02:00");
    not_quiet(&end_repeated, "2026-10-25T02:59:00+02:00");
    quiet_until(&end_repeated, "2026-10-25T02:00:00+01:00", "2026-10-25T02:30:00+01:00");
    not_quiet(&end_repeated, "2026-10-25T02:30:00+01:00");

    /* Ending at 03:00: the whole repeated hour is inside, so it ends at 03:00 CET. */
    struct quiet_hours end_three = window("22:00", "03:00", "Europe/Berlin");
    quiet_until(&end_three, "2026-10-24T23:00:00+02:00", "2026-10-25T03:00:00+01:00");
    quiet_until(&end_three, "2026-10-25T02:59:00+02:00", "2026-10-25T03:00:00+01:00");

    /* Starting inside the repeated hour: quiet from the first 02:30 until the clock goes back
     * to 02:00 (before the start), quiet again from the second 02:30 until 06:00. */
    struct quiet_hours start_repeated = window("02:30", "06:00", "Europe/Berlin");
    not_quiet(&start_repeated, "2026-10-25T02:29:00+02:00");
    quiet_until(&start_repeated, "2026-10-25T02:30:00+02:00", "2026-10-25T02:00:00+01:00");
    not_quiet(&start_repeated, "2026-10-25T02:15:00+01:00");
    quiet_until(&start_repeated, "2026-10-25T02:30:00+01:00", "2026-10-25T06:00:00+01:00");
    quiet_until(&start_repeated, "2026-10-25T04:00:00+01:00", "2026-10-25T06:00:00+01:00");
}

/* America/New_York, 2026: 02:00 EST → 03:00 EDT on March 8, 02:00 EDT → 01:00 EST on November 1. */
static void new_york(void **state)
{
    struct quiet_hours q = window("21:00", "09:00", "America/New_York");
    quiet_until(&q, "2026-03-07T23:00:00-05:00", "2026-03-08T09:00:00-04:00");
    quiet_until(&q, "2026-03-08T01:59:00-05:00", "2026-03-08T09:00:00-04:00");
    quiet_until(&q, "2026-03-08T03:00:00-04:00", "2026-03-08T09:00:00-04:00");
    not_quiet(&q, "2026-03-08T09:00:00-04:00");
    quiet_until(&q, "2026-10-31T23:00:00-04:00", "2026-11-01T09:00:00-05:00");
    quiet_until(&q, "2026-11-01T01:30:00-04:00", "2026-11-01T09:00:00-05:00");
    quiet_until(&q, "2026-11-01T01:30:00-05:00", "2026-11-01T09:00:00-05:00");
    not_quiet(&q, "2026-11-01T09:00:00-05:00");

    /* A window inside the repeated hour is quiet twice. */
    struct quiet_hours twice = window("01:00", "01:30", "America/New_York");
    quiet_until(&twice, "2026-11-01T01:10:00-04:00", "2026-11-01T01:30:00-04:00");
    not_quiet(&twice, "2026-11-01T01:45:00-04:00");
    quiet_until(&twice, "2026-11-01T01:10:00-05:00", "2026-11-01T01:30:00-05:00");
    not_quiet(&twice, "2026-11-01T01:30:00-05:00");

    /* Ending inside the skipped hour. */
    struct quiet_hours end_skipped = window("23:00", "02:15", "America/New_York");
    quiet_until(&end_skipped, "2026-03-08T00:30:00-05:00", "2026-03-08T03:00:00-04:00");
}

/* Half-hour offsets: Asia/Kolkata (+05:30, no changes); Australia/Adelaide (+10:30 → +09:30 at
 * 03:00 on 2026-04-05, +09:30 → +10:30 at 02:00 on 2026-10-04); Australia/Lord_Howe, whose
 * clock moves by half an hour (+11:00 → +10:30 at 02:00 on 2026-04-05, back to 01:30;
 * +10:30 → +11:00 at 02:00 on 2026-10-04, on to 02:30). */
static void half_hour_zones(void **state)
{
    struct quiet_hours kol = window("22:00", "07:30", "Asia/Kolkata");
    quiet_until(&kol, "2026-03-29T23:45:00+05:30", "2026-03-30T07:30:00+05:30");
    quiet_until(&kol, "2026-03-30T07:29:59.500+05:30", "2026-03-30T07:30:00+05:30");
    not_quiet(&kol, "2026-03-30T07:30:00+05:30");
    not_quiet(&kol, "2026-03-29T21:59:00+05:30");

    struct quiet_hours ade = window("22:00", "07:00", "Australia/Adelaide");
    quiet_until(&ade, "2026-04-04T23:00:00+10:30", "2026-04-05T07:00:00+09:30");
    quiet_until(&ade, "2026-04-05T02:30:00+09:30", "2026-04-05T07:00:00+09:30");
    quiet_until(&ade, "2026-10-03T23:00:00+09:30", "2026-10-04T07:00:00+10:30");
    struct quiet_hours ade_end = window("22:00", "02:30", "Australia/Adelaide");
    quiet_until(&ade_end, "2026-10-04T01:59:00+09:30", "2026-10-04T03:00:00+10:30");

    struct quiet_hours lh = window("22:00", "06:00", "Australia/Lord_Howe");
    quiet_until(&lh, "2026-10-03T23:00:00+10:30", "2026-10-04T06:00:00+11:00");
    quiet_until(&lh, "2026-04-04T23:00:00+11:00", "2026-04-05T06:00:00+10:30");
    /* Ending in the skipped half hour (02:00-02:30 on October 4). */
    struct quiet_hours lh_end = window("22:00", "02:15", "Australia/Lord_Howe");
    quiet_until(&lh_end, "2026-10-04T01:59:00+10:30", "2026-10-04T02:30:00+11:00");
    /* Ending in the repeated half hour (01:30-02:00 on April 5). */
    struct quiet_hours lh_rep = window("22:00", "01:45", "Australia/Lord_Howe");
    quiet_until(&lh_rep, "2026-04-05T01:40:00+11:00", "2026-04-05T01:45:00+11:00");
    not_quiet(&lh_rep, "2026-04-05T01:50:00+11:00");
    quiet_until(&lh_rep, "2026-04-05T01:40:00+10:30", "2026-04-05T01:45:00+10:30");
}

/* Every window of a list, every 10 minutes across each change of each zone: quiet_hours_active
 * agrees with itself. When quiet at t, resumes_at r is after t, on a whole minute, within two
 * days (03:00-02:00 on a night without 02:00-03:00 is quiet for up to 46 hours); quiet hours do not
 * hold at r and do hold a moment before it; and every instant of the sweep between t and r is
 * quiet (r is the first end, not a later one). */
static void sweep_agrees_with_itself(void **state)
{
    static const char *const zones[][3] = {
        {"Europe/Berlin", "2026-03-28T12:00:00Z", "2026-10-24T12:00:00Z"},
        {"America/New_York", "2026-03-07T17:00:00Z", "2026-10-31T17:00:00Z"},
        {"Australia/Adelaide", "2026-04-04T02:00:00Z", "2026-10-03T02:00:00Z"},
        {"Australia/Lord_Howe", "2026-04-04T02:00:00Z", "2026-10-03T02:00:00Z"},
    };
    static const char *const windows[][2] = {
        {"22:00", "08:00"}, {"22:00", "02:30"}, {"02:30", "06:00"}, {"01:00", "01:30"},
        {"02:10", "02:50"}, {"01:45", "03:15"}, {"00:00", "23:59"}, {"03:00", "02:00"},
    };
    enum { STEPS = 36 * 6 };
    static int64_t t[STEPS], r[STEPS];
    static int quiet[STEPS];
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        for (int night = 1; night <= 2; night++) {
            int64_t from = at(zones[z][night]);
            for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
                struct quiet_hours q = window(windows[w][0], windows[w][1], zones[z][0]);
                for (int i = 0; i < STEPS; i++) {
                    t[i] = from + i * 10 * MIN_MS;
                    quiet[i] = quiet_hours_active(&q, t[i], &r[i]);
                }
                for (int i = 0; i < STEPS; i++) {
                    if (!quiet[i]) continue;
                    char when[40];
                    rfc3339(t[i], when, sizeof when);
                    int64_t ignored;
                    if (r[i] <= t[i] || r[i] > t[i] + 48 * HOUR_MS || r[i] % MIN_MS != 0 ||
                        quiet_hours_active(&q, r[i], &ignored) || !quiet_hours_active(&q, r[i] - 1, &ignored))
                        fail_msg("%s %s-%s at %s: resumes_at is not where quiet hours end", zones[z][0],
                                 windows[w][0], windows[w][1], when);
                    for (int j = i + 1; j < STEPS && t[j] < r[i]; j++)
                        if (!quiet[j])
                            fail_msg("%s %s-%s at %s: quiet hours end before resumes_at", zones[z][0],
                                     windows[w][0], windows[w][1], when);
                }
            }
        }
    }
}

/* local_hour (the scorecard's hour-of-day histogram) follows the same clock. */
static void local_hour_follows_the_clock(void **state)
{
    assert_int_equal(local_hour("Europe/Berlin", at("2026-03-29T00:59:00Z")), 1);
    assert_int_equal(local_hour("Europe/Berlin", at("2026-03-29T01:00:00Z")), 3);
    assert_int_equal(local_hour("Europe/Berlin", at("2026-10-25T00:30:00Z")), 2);
    assert_int_equal(local_hour("Europe/Berlin", at("2026-10-25T01:30:00Z")), 2);
    assert_int_equal(local_hour("Asia/Kolkata", at("2026-03-29T18:29:00Z")), 23);
    assert_int_equal(local_hour("Asia/Kolkata", at("2026-03-29T18:30:00Z")), 0);
}

/* local_hour answers from the days it keeps when their offset holds all day (DECISIONS 106): every
 * 10 minutes over the three days around each change of these zones' clocks, and across the kept
 * days' turnover (16 kept, 6 zones × 3 days), it agrees with localtime_r under TZ. */
static void local_hour_agrees_with_localtime(void **state)
{
    (void)state;
    static const struct {
        const char *tz, *change;
    } zones[] = {
        {"Europe/Berlin", "2026-03-29T01:00:00Z"},       {"Europe/Berlin", "2026-10-25T01:00:00Z"},
        {"America/New_York", "2026-03-08T07:00:00Z"},    {"America/New_York", "2026-11-01T06:00:00Z"},
        {"Australia/Lord_Howe", "2026-04-05T15:00:00Z"}, {"Asia/Kolkata", "2026-06-01T00:00:00Z"},
    };
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        int64_t from = at(zones[z].change) - 36 * 3600000LL;
        for (int64_t ms = from; ms < from + 72 * 3600000LL; ms += 600000) {
            setenv("TZ", zones[z].tz, 1);
            tzset();
            time_t t = (time_t)(ms / 1000);
            struct tm lt;
            localtime_r(&t, &lt);
            unsetenv("TZ");
            tzset();
            int got = local_hour(zones[z].tz, ms);
            if (got != lt.tm_hour)
                fail_msg("%s at %lld: local_hour %d, localtime_r %d", zones[z].tz, (long long)ms, got,
                         lt.tm_hour);
        }
    }
}

/* The daily limit's day (core/campaign.h local_day): local midnight to local midnight, 23 hours
 * on the night the clock jumps forward, 25 on the night it goes back. */
static void local_day_spans_midnight_to_midnight(void **state)
{
    (void)state;
    static const struct {
        const char *tz, *now, *start, *end;
    } days[] = {
        {"Europe/Berlin", "2026-03-29T12:00:00+02:00", "2026-03-29T00:00:00+01:00",
         "2026-03-30T00:00:00+02:00"},
        {"Europe/Berlin", "2026-10-25T12:00:00+01:00", "2026-10-25T00:00:00+02:00",
         "2026-10-26T00:00:00+01:00"},
        {"Europe/Berlin", "2026-07-01T00:00:00+02:00", "2026-07-01T00:00:00+02:00",
         "2026-07-02T00:00:00+02:00"},
        {"Europe/Berlin", "2026-06-30T23:59:59+02:00", "2026-06-30T00:00:00+02:00",
         "2026-07-01T00:00:00+02:00"},
        {"America/New_York", "2026-11-01T01:30:00-05:00", "2026-11-01T00:00:00-04:00",
         "2026-11-02T00:00:00-05:00"},
        {"Asia/Kolkata", "2026-03-29T18:30:00Z", "2026-03-29T18:30:00Z", "2026-03-30T18:30:00Z"},
        {"UTC", "2026-12-31T23:59:59Z", "2026-12-31T00:00:00Z", "2027-01-01T00:00:00Z"},
    };
    /* Three rounds: local_day keeps the days it found (by zone), so the second and third are
     * answered from what it kept — between them, the instant before each day and the same instant
     * in another zone, which must not be answered with a day kept for this one. */
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
            int64_t start = 0, end = 0;
            local_day(days[i].tz, at(days[i].now), &start, &end);
            if (start != at(days[i].start) || end != at(days[i].end))
                fail_msg("%s at %s (round %d): day [%lld, %lld), expected [%lld, %lld)", days[i].tz,
                         days[i].now, round, (long long)start, (long long)end, (long long)at(days[i].start),
                         (long long)at(days[i].end));
            if (round != 1) continue;
            int64_t before_start = 0, before_end = 0;
            local_day(days[i].tz, at(days[i].start) - 1, &before_start, &before_end);
            assert_int_equal(before_end, at(days[i].start));
            assert_true(before_start < at(days[i].start));
            const char *other = strcmp(days[i].tz, "Asia/Kolkata") == 0 ? "America/New_York" : "Asia/Kolkata";
            int64_t o_start = 0, o_end = 0;
            local_day(other, at(days[i].now), &o_start, &o_end);
            assert_true(o_start <= at(days[i].now) && at(days[i].now) < o_end);
            assert_true(o_start != start);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ordinary_days),
        cmocka_unit_test(berlin_spring_forward),
        cmocka_unit_test(berlin_fall_back),
        cmocka_unit_test(new_york),
        cmocka_unit_test(half_hour_zones),
        cmocka_unit_test(sweep_agrees_with_itself),
        cmocka_unit_test(local_hour_follows_the_clock),
        cmocka_unit_test(local_day_spans_midnight_to_midnight),
        cmocka_unit_test(local_hour_agrees_with_localtime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
