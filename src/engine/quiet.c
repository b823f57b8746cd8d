/* quiet — when an account's messages wait although they are due: quiet hours (while a
 * campaign's are on, its messages wait, the pause is logged once, and the loop looks again when
 * they end) and the daily limit (when the account's messages for the local day are used up,
 * everything waits for the local midnight, logged once a day). What quiet hours and the daily
 * limit are is core/campaign.h's and core/daily.h's. Layer: engine; engine thread. */
#include <stdio.h>

#include "base/app.h"
#include "base/util.h"
#include "base/log.h"
#include "core/campaign.h"
#include "core/daily.h"
#include "engine/engine_internal.h"
#include "store/store.h"

int engine__quiet_now(struct engine *e, struct acct *a, int64_t account, const struct campaign *c,
                      int64_t campaign_id, int64_t now, int64_t *resume)
{
    struct store *st = e->app->store;
    if (!c) return 0;
    struct quiet_hours q;
    int quiet = 0;
    if (!c->override_quiet_hours && quiet_hours_from_text(c->quiet_hours_json, &q) == TGR_OK &&
        quiet_hours_active(&q, now, resume)) {
        quiet = 1;
        if (a->quiet_logged != campaign_id) {
            char when[40], d[120];
            rfc3339(*resume, when, sizeof when);
            snprintf(d, sizeof d, "quiet hours; sending resumes at %s", when);
            (void)!st->log_add(st, account, campaign_id, 0, 0, "quiet_hours", NULL, d); /* a courtesy line */
            a->quiet_logged = campaign_id;
        }
    } else if (a->quiet_logged == campaign_id) {
        a->quiet_logged = 0;
    }
    return quiet;
}

int64_t engine__daily_wait(struct engine *e, struct acct *a, int64_t account, int64_t campaign_id,
                           int64_t now)
{
    struct store *st = e->app->store;
    if (now - a->daily_checked_at >= DAILY_CHECK_MS || now >= a->daily.day_end) {
        struct daily d;
        if (daily_read(st, account, now, &d) != TGR_OK)
            return now + IDLE_TICK_MS; /* not known: neither send on it nor say "waiting" */
        /* Sent messages whose outcome waits for the next group commit are not in the count read
         * (outcome.c): a read then, a wake-up's for one, let one more message go over the limit. */
        for (size_t i = 0; i < e->n_done; i++)
            if (e->done[i].account_id == account && e->done[i].o.status == RECIPIENT_SENT) d.sent++;
        a->daily = d;
        a->daily_checked_at = now;
    }
    if (!daily_reached(&a->daily)) return 0;
    if (a->daily_logged != a->daily.day_start) {
        char when[40], d[160];
        rfc3339(a->daily.day_end, when, sizeof when);
        snprintf(d, sizeof d, "the daily limit of %d messages is reached; sending resumes at %s",
                 a->daily.limit, when);
        (void)!st->log_add(st, account, campaign_id, 0, 0, "daily_limit", NULL, d); /* a courtesy line */
        a->daily_logged = a->daily.day_start;
        log_info("engine", "account %lld: daily limit of %d reached", (long long)account, a->daily.limit);
    }
    return a->daily.day_end;
}
