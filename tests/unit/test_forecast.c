/* test_forecast — when queued messages will have gone (core/forecast.h): the pacing, a FloodWait
 * before the first, quiet hours that hold the queue (placed to the message, also the night the
 * clocks go forward), the daily limit that waits for the local midnight, a queue of two
 * campaigns with their own quiet hours, and the horizon past which the answer is "not known".
 * Every instant is fixed; no clock is read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "base/util.h"
#include "core/campaign.h"
#include "core/forecast.h"
#include "core/orders.h" /* parse_rfc3339 */

#define SEC_MS  1000LL
#define MIN_MS  (60 * SEC_MS)
#define HOUR_MS (60 * MIN_MS)

/* Quiet hours from a campaign's stored JSON, as the engine reads them. */
static struct quiet_hours window(const char *json)
{
    struct quiet_hours q;
    assert_int_equal(quiet_hours_from_text(json, &q), TGR_OK);
    assert_true(q.set);
    return q;
}

static int64_t at(const char *s)
{
    int64_t ms = 0;
    if (parse_rfc3339(s, &ms) != TGR_OK) fail_msg("bad instant %s", s);
    return ms;
}

static void expect_at(int64_t got, const char *want)
{
    char g[40];
    rfc3339(got, g, sizeof g);
    if (got != at(want)) fail_msg("expected %s, got %s", want, g);
}

/* One message a second from now: the n-th goes n-1 seconds later; n = 0 answers the clock. */
static void pacing(void **state)
{
    (void)state;
    struct forecast f;
    forecast_init(&f, at("2026-06-10T12:00:00Z"), 1, 0, 0, 0, 0, "UTC");
    expect_at(forecast_send(&f, 1, NULL), "2026-06-10T12:00:00Z");
    expect_at(forecast_send(&f, 10, NULL), "2026-06-10T12:00:10Z");
    expect_at(forecast_send(&f, 0, NULL), "2026-06-10T12:00:11Z");
    /* Two a second; and a rate of 0 is one a second. */
    forecast_init(&f, at("2026-06-10T12:00:00Z"), 2, 0, 0, 0, 0, NULL);
    expect_at(forecast_send(&f, 3600, NULL), "2026-06-10T12:29:59.500Z");
    forecast_init(&f, at("2026-06-10T12:00:00Z"), 0, 0, 0, 0, 0, NULL);
    expect_at(forecast_send(&f, 2, NULL), "2026-06-10T12:00:01Z");
}

/* Telegram asked to wait: nothing goes before flood_until; a wait already over changes nothing. */
static void flood_wait_first(void **state)
{
    (void)state;
    struct forecast f;
    forecast_init(&f, at("2026-06-10T12:00:00Z"), 1, at("2026-06-10T12:05:00Z"), 0, 0, 0, "UTC");
    expect_at(forecast_send(&f, 3, NULL), "2026-06-10T12:05:02Z");
    forecast_init(&f, at("2026-06-10T12:00:00Z"), 1, at("2026-06-10T11:00:00Z"), 0, 0, 0, "UTC");
    expect_at(forecast_send(&f, 3, NULL), "2026-06-10T12:00:02Z");
}

/* Quiet hours 22:00-08:00 in Berlin: what does not fit before 22:00 goes from 08:00, the last
 * message before the window placed exactly; started inside the window, the first goes at 08:00. */
static void quiet_hours_hold_the_queue(void **state)
{
    (void)state;
    struct quiet_hours q = window("{\"start\":\"22:00\",\"end\":\"08:00\",\"timezone\":\"Europe/Berlin\"}");
    struct forecast f;
    /* 21:50:00 CEST: 600 messages fit (21:50:00 … 21:59:59), the 601st and 602nd go at 08:00:00, 08:00:01. */
    forecast_init(&f, at("2026-06-10T21:50:00+02:00"), 1, 0, 0, 0, 0, "UTC");
    expect_at(forecast_send(&f, 600, &q), "2026-06-10T21:59:59+02:00");
    expect_at(forecast_send(&f, 2, &q), "2026-06-11T08:00:01+02:00");
    /* The same in one call. */
    forecast_init(&f, at("2026-06-10T21:50:00+02:00"), 1, 0, 0, 0, 0, "UTC");
    expect_at(forecast_send(&f, 602, &q), "2026-06-11T08:00:01+02:00");
    /* Inside the window from the start. */
    forecast_init(&f, at("2026-06-10T23:30:00+02:00"), 1, 0, 0, 0, 0, "UTC");
    expect_at(forecast_send(&f, 1, &q), "2026-06-11T08:00:00+02:00");
    /* No quiet hours (unset, or NULL): straight through the night. */
    struct quiet_hours none = {0};
    forecast_init(&f, at("2026-06-10T21:50:00+02:00"), 1, 0, 0, 0, 0, "UTC");
    expect_at(forecast_send(&f, 602, &none), "2026-06-10T22:00:01+02:00");
    /* The night the clocks go forward is an hour shorter: 08:00 CEST comes nine hours later. */
    forecast_init(&f, at("2026-03-28T21:59:59+01:00"), 1, 0, 0, 0, 0, "UTC");
    expect_at(forecast_send(&f, 2, &q), "2026-03-29T08:00:00+02:00");
}

/* A daily limit of 100 with 98 used: two today, then 100 each day from the local midnight. */
static void daily_limit_waits_for_midnight(void **state)
{
    (void)state;
    struct forecast f;
    int64_t now = at("2026-06-10T20:00:00+02:00"), start = 0, end = 0;
    local_day("Europe/Berlin", now, &start, &end);
    forecast_init(&f, now, 1, 0, 100, 98, end, "Europe/Berlin");
    expect_at(forecast_send(&f, 2, NULL), "2026-06-10T20:00:01+02:00");
    expect_at(forecast_send(&f, 1, NULL), "2026-06-11T00:00:00+02:00");
    expect_at(forecast_send(&f, 100, NULL), "2026-06-12T00:00:00+02:00");
    /* A day used up already: the first goes at midnight. */
    forecast_init(&f, now, 1, 0, 100, 150, end, "Europe/Berlin");
    expect_at(forecast_send(&f, 1, NULL), "2026-06-11T00:00:00+02:00");
    /* Messages that would run past midnight count for the next day. */
    forecast_init(&f, at("2026-06-10T23:59:58+02:00"), 1, 0, 3, 0, end, "Europe/Berlin");
    expect_at(forecast_send(&f, 5, NULL), "2026-06-11T00:00:02+02:00");
    expect_at(forecast_send(&f, 1, NULL), "2026-06-12T00:00:00+02:00");
}

/* Two campaigns in one queue: the first one's messages under its own quiet hours hold the
 * second, which has none (the engine holds the account while the due message waits). */
static void queue_of_two_campaigns(void **state)
{
    (void)state;
    struct quiet_hours q = window("{\"start\":\"22:00\",\"end\":\"08:00\",\"timezone\":\"UTC\"}");
    struct forecast f;
    forecast_init(&f, at("2026-06-10T21:59:58Z"), 1, 0, 0, 0, 0, "UTC");
    expect_at(forecast_send(&f, 3, &q), "2026-06-11T08:00:00Z");
    expect_at(forecast_send(&f, 2, NULL), "2026-06-11T08:00:02Z");
}

/* Past the horizon the answer is "not known" (0), and stays so. */
static void horizon(void **state)
{
    (void)state;
    struct forecast f;
    forecast_init(&f, at("2026-06-10T12:00:00Z"), 1, 0, 1, 0, at("2026-06-11T00:00:00Z"), "UTC");
    assert_int_equal(forecast_send(&f, FORECAST_MAX_STEPS + 10, NULL), 0);
    assert_int_equal(forecast_send(&f, 1, NULL), 0);
    assert_int_equal(forecast_send(&f, 0, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pacing),
        cmocka_unit_test(flood_wait_first),
        cmocka_unit_test(quiet_hours_hold_the_queue),
        cmocka_unit_test(daily_limit_waits_for_midnight),
        cmocka_unit_test(queue_of_two_campaigns),
        cmocka_unit_test(horizon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
