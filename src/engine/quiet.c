/* quiet — quiet hours as the send loop sees them: while a campaign's quiet hours are on, its
 * messages wait, the pause is logged once, and the loop looks again when they end. What quiet
 * hours are (the window, its time zone, DST) is core/campaign.h's. Layer: engine; engine
 * thread. */
#include <stdio.h>

#include "base/app.h"
#include "base/util.h"
#include "core/campaign.h"
#include "engine/engine_internal.h"
#include "store/store.h"

int engine__quiet_now(struct engine *e, struct acct *a, int64_t account, int64_t campaign_id, int64_t now,
                      int64_t *resume)
{
    struct store *st = e->app->store;
    struct campaign c;
    if (st->campaign_get(st, account, campaign_id, &c) != DB_ONE) return 0;
    struct quiet_hours q;
    int quiet = 0;
    if (!c.override_quiet_hours && quiet_hours_from_text(c.quiet_hours_json, &q) == TGR_OK &&
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
    campaign_release(&c);
    return quiet;
}
