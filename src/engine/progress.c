/* progress — when the engine looks at its campaigns' nudges and phases (twice a second per
 * account, every ADVANCE_BUSY_MS to 1.5 × that while it sends, and when a campaign's first
 * follow-up comes due); the rule itself is core/progress.c. Layer: engine; runs on the engine thread, for the
 * accounts this instance sends for. */
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/log.h"
#include "core/cstate.h"
#include "core/progress.h"
#include "engine/engine_internal.h"
#include "store/store.h"

void engine__advance(struct engine *e, struct acct *a, int64_t account, int64_t now)
{
    struct store *st = e->app->store;
    int64_t *camps = NULL;
    size_t nc = 0;
    /* Nudges and phase changes are minute-scale matters: look at them twice a second, and every
     * ADVANCE_BUSY_MS while the account sends (a message is out at the bridge, or the next waits
     * for its pacing interval). Each look costs about five statements, so twice a second was ten
     * per message at one message a second: the largest share of PostgreSQL's work in
     * bench/scaleout.py (DECISIONS 78). The account is busy while its last look found due
     * messages, not only while one is out or its interval runs: the turn that prepares the next
     * message comes after the interval has passed, and counting it idle made every message a look
     * (about five statements a message, DECISIONS 82). The campaign that sends cannot have
     * finished; it is seen done at the first look after its last message found nothing due (at
     * most IDLE_TICK_MS plus one interval after it). A nudge coming due, or another campaign of
     * the account finishing its nudges, may wait up to 1.5 × ADVANCE_BUSY_MS longer. */
    int busy = a->in_flight || now < a->next_send_at || a->sending;
    /* A campaign's first follow-up is looked at when it comes due, not up to ADVANCE_BUSY_MS
     * later (engine__nudge_note): its follow-ups show as queued while its first messages go. */
    int due = a->nudge_due_at && now >= a->nudge_due_at;
    if (due) a->nudge_due_at = a->advanced_at = 0;
    /* Accounts whose quiet hours end together start sending together, and their looks while busy
     * came due together too: a thousand looks (about 0.7 ms each on PostgreSQL) held every
     * account's next message up to 700 ms, every ADVANCE_BUSY_MS. Each account's period is
     * longer by its own share of half of that, so the looks spread out (DECISIONS 102). */
    int64_t period = ADVANCE_BUSY_MS + (int64_t)(engine__mix(account) % (ADVANCE_BUSY_MS / 2));
    if (busy && !due && now - a->advanced_at < period) return;
    for (int pass = 0; pass < 2 && now - a->advanced_at >= ADVANCE_EVERY_MS; pass++) {
        if (pass == 1) a->advanced_at = now;
        if (st->campaigns_in_status(st, account,
                                    campaign_status_name(pass ? CAMPAIGN_NUDGING : CAMPAIGN_RUNNING), &camps,
                                    &nc) >= 0) {
            for (size_t i = 0; i < nc; i++)
                if (campaign_advance(e->app, account, camps[i], now, NULL) == PROGRESS_STORE)
                    log_warn("engine", "account %lld: campaign %lld: the database failed; its progress waits",
                             (long long)account, (long long)camps[i]);
            free(camps);
        }
    }
}

void engine__nudge_note(struct acct *a, int64_t campaign_id, const json_t *nudges, int64_t when)
{
    if (a->nudges_for == campaign_id || !json_is_array(nudges) || !json_array_size(nudges)) return;
    a->nudges_for = campaign_id;
    json_int_t after = json_integer_value(json_object_get(json_array_get(nudges, 0), "after_seconds"));
    /* Its outcome may wait DONE_FLUSH_MS for its commit before the look can see it sent. */
    a->nudge_due_at = when + (after > 0 ? after : 0) * 1000 + DONE_FLUSH_MS;
}
