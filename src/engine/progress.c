/* progress — a campaign's nudges and phases: nudges that have come due are scheduled, and a
 * campaign whose main messages are all out moves on (running → nudging while nudges may still
 * go, → completed when nothing is open). Layer: engine; runs on the engine thread, for the
 * accounts this instance sends for. */
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/log.h"
#include "engine/engine_internal.h"
#include "store/store.h"

/* Nudges due for one campaign, and whether a campaign has finished a phase. */
static void advance_campaign(struct engine *e, int64_t account, int64_t campaign_id, int64_t now)
{
    struct store *st = e->app->store;
    struct campaign c;
    if (st->campaign_get(st, account, campaign_id, &c) != DB_ONE) return;
    json_error_t je;
    json_t *nudges = c.nudges_json ? json_loads(c.nudges_json, 0, &je) : NULL;
    size_t nn = json_array_size(nudges);
    int pending_future = 0;
    for (size_t k = 0; k < nn; k++) {
        json_t *nd = json_array_get(nudges, k);
        int64_t after = json_integer_value(json_object_get(nd, "after_seconds")) * 1000;
        const char *cond = json_string_value(json_object_get(nd, "condition"));
        int64_t created = 0, oldest = 0;
        if (!cond) continue;
        st->nudge_schedule(st, account, campaign_id, (int)k + 1, cond, now - after, &created);
        if (created)
            log_info("engine", "account %lld: campaign %lld: nudge %zu scheduled for %lld contacts",
                     (long long)account, (long long)campaign_id, k + 1, (long long)created);
        st->nudge_next_due(st, account, campaign_id, (int)k + 1, &oldest);
        if (oldest) pending_future = 1;
    }
    int64_t open_main = 0, open_any = 0;
    st->campaign_open_rows(st, account, campaign_id, 0, &open_main);
    open_any = open_main;
    for (size_t k = 0; k < nn && !open_any; k++) {
        int64_t n = 0;
        st->campaign_open_rows(st, account, campaign_id, (int)k + 1, &n);
        open_any += n;
    }
    if (strcmp(c.status, "running") == 0 && open_main == 0) {
        if (open_any || pending_future) {
            st->campaign_transition(st, account, campaign_id, "running", "nudging", NULL);
        } else {
            st->campaign_transition(st, account, campaign_id, "running", "completed", NULL);
            log_info("engine", "account %lld: campaign %lld completed", (long long)account,
                     (long long)campaign_id);
        }
    } else if (strcmp(c.status, "nudging") == 0 && !open_any && !pending_future) {
        st->campaign_transition(st, account, campaign_id, "nudging", "completed", NULL);
        log_info("engine", "account %lld: campaign %lld completed", (long long)account,
                 (long long)campaign_id);
    }
    json_decref(nudges);
    campaign_release(&c);
}

void engine__advance(struct engine *e, struct acct *a, int64_t account, int64_t now)
{
    struct store *st = e->app->store;
    int64_t *camps = NULL;
    size_t nc = 0;
    /* Nudges and phase changes are minute-scale matters: look at them twice a second. */
    for (int pass = 0; pass < 2 && now - a->advanced_at >= ADVANCE_EVERY_MS; pass++) {
        if (pass == 1) a->advanced_at = now;
        if (st->campaigns_in_status(st, account, pass ? "nudging" : "running", &camps, &nc) >= 0) {
            for (size_t i = 0; i < nc; i++)
                advance_campaign(e, account, camps[i], now);
            free(camps);
        }
    }
}
