/* forecast — when queued messages will have gone out; see forecast.h. */
#include "core/forecast.h"

#include <stdio.h>
#include <string.h>

void forecast_init(struct forecast *f, int64_t now, double rate, int64_t flood_until, int daily_limit,
                   int64_t sent_today, int64_t day_end, const char *tz)
{
    memset(f, 0, sizeof *f);
    f->t = flood_until > now ? flood_until : now;
    if (rate <= 0) rate = 1;
    f->interval_ms = (int64_t)(1000.0 / rate + 0.5);
    if (f->interval_ms < 1) f->interval_ms = 1;
    f->daily_limit = daily_limit > 0 ? daily_limit : 0;
    f->left_today = f->daily_limit - sent_today;
    if (f->left_today < 0) f->left_today = 0;
    f->day_end = day_end;
    snprintf(f->tz, sizeof f->tz, "%s", tz && *tz ? tz : "UTC");
}

static int quiet_at(const struct quiet_hours *q, int64_t t, int64_t *resume)
{
    return q && q->set && quiet_hours_active(q, t, resume);
}

int64_t forecast_send(struct forecast *f, int64_t n, const struct quiet_hours *q)
{
    if (!f->t) return 0;
    if (n <= 0) return f->t;
    int64_t last = f->t;
    while (n > 0) {
        if (++f->steps > FORECAST_MAX_STEPS) {
            f->t = 0;
            return 0;
        }
        int64_t resume = 0;
        if (quiet_at(q, f->t, &resume)) {
            f->t = resume > f->t ? resume : f->t + 60000; /* resume is after t; never loop in place */
            continue;
        }
        if (f->daily_limit) {
            if (f->t >= f->day_end) {
                int64_t start;
                local_day(f->tz, f->t, &start, &f->day_end);
                f->left_today = f->daily_limit;
            }
            if (f->left_today <= 0) {
                f->t = f->day_end;
                continue;
            }
        }
        int64_t k = FORECAST_CHUNK_MS / f->interval_ms;
        if (k < 1) k = 1;
        if (k > n) k = n;
        if (f->daily_limit) {
            /* The day's allowance, and only messages of this day: after midnight it starts afresh. */
            int64_t today = (f->day_end - f->t + f->interval_ms - 1) / f->interval_ms;
            if (k > f->left_today) k = f->left_today;
            if (k > today) k = today;
        }
        /* The chunk's last message inside quiet hours: find the last one before they start (the
         * first message of the chunk is outside them, checked above). */
        if (k > 1 && quiet_at(q, f->t + (k - 1) * f->interval_ms, NULL)) {
            int64_t lo = 0, hi = k - 1;
            while (hi - lo > 1) {
                int64_t mid = lo + (hi - lo) / 2;
                if (quiet_at(q, f->t + mid * f->interval_ms, NULL))
                    hi = mid;
                else
                    lo = mid;
            }
            k = lo + 1;
        }
        last = f->t + (k - 1) * f->interval_ms;
        f->t += k * f->interval_ms;
        n -= k;
        if (f->daily_limit) f->left_today -= k;
    }
    return last;
}
