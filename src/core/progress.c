/* progress — nudges coming due and a campaign's phases; see progress.h. */
#include "core/progress.h"

#include <jansson.h>
#include <string.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "core/cstate.h"
#include "core/outcome.h"
#include "store/store.h"

struct nudge {
    int64_t account_id, campaign_id, sent_before;
    int step;
    const char *condition;
    int64_t *created;
};

static enum db_status schedule(struct store *st, void *cls)
{
    const struct nudge *g = cls;
    struct step_tally t;
    *g->created = 0;
    enum db_status r = st->nudge_rows_create(st, g->account_id, g->campaign_id, g->step, g->condition,
                                             g->sent_before, now_ms(), &t);
    if (r < 0) return r;
    *g->created = t.total;
    enum db_status c = steps_count(st, g->account_id, &t, STEP_NEW_ROWS);
    /* Step-1 rows sent up to here have their step row now (pending or skipped). */
    return c < 0 ? c
                 : st->nudge_scheduled_through(st, g->account_id, g->campaign_id, g->step, g->sent_before);
}

enum db_status nudge_schedule(struct store *st, int64_t account_id, int64_t campaign_id, int step,
                              const char *condition, int64_t sent_before, int64_t *created)
{
    int64_t none = 0;
    return st->txn(
        st, TX_DURABLE, schedule,
        &(struct nudge){account_id, campaign_id, sent_before, step, condition, created ? created : &none});
}

/* Schedule what is due of each nudge; *ahead: a nudge may still come due later.
 * @return 0, or -1 when the store failed */
static int schedule_nudges(struct store *st, int64_t account, int64_t campaign_id, json_t *nudges,
                           int64_t now, int64_t *scheduled, int *ahead)
{
    for (size_t k = 0; k < json_array_size(nudges); k++) {
        json_t *nd = json_array_get(nudges, k);
        int64_t after = json_integer_value(json_object_get(nd, "after_seconds")) * 1000;
        const char *cond = json_string_value(json_object_get(nd, "condition"));
        int64_t created = 0, oldest = 0;
        if (!cond) continue;
        if (nudge_schedule(st, account, campaign_id, (int)k + 1, cond, now - after, &created) < 0) return -1;
        if (created)
            log_info("engine", "account %lld: campaign %lld: nudge %zu scheduled for %lld contacts",
                     (long long)account, (long long)campaign_id, k + 1, (long long)created);
        *scheduled += created;
        if (st->nudge_next_due(st, account, campaign_id, (int)k + 1, &oldest) < 0) return -1;
        if (oldest) *ahead = 1;
    }
    return 0;
}

/* Rows not finished yet: of the main step (*main) and of any step (*any; counting stops at the
 * first). @return 0, or -1 when the store failed */
static int open_rows(struct store *st, int64_t account, int64_t campaign_id, size_t steps, int64_t *main,
                     int64_t *any)
{
    if (st->campaign_open_rows(st, account, campaign_id, 0, main) < 0) return -1;
    *any = *main;
    for (size_t k = 0; k < steps && !*any; k++) {
        int64_t n = 0;
        if (st->campaign_open_rows(st, account, campaign_id, (int)k + 1, &n) < 0) return -1;
        *any += n;
    }
    return 0;
}

/* Make move m; log the completion. */
static enum progress_outcome move(struct store *st, int64_t account, int64_t campaign_id,
                                  enum campaign_move m)
{
    int s = campaign_move(st, account, campaign_id, m, NULL);
    if (s < 0) return PROGRESS_STORE;
    if (s == DB_NONE) return PROGRESS_SAME; /* paused or cancelled meanwhile */
    if (campaign_move_to(m) != CAMPAIGN_COMPLETED) return PROGRESS_NUDGING;
    log_info("engine", "account %lld: campaign %lld completed", (long long)account, (long long)campaign_id);
    return PROGRESS_COMPLETED;
}

enum progress_outcome campaign_advance(struct app *app, int64_t account, int64_t campaign_id, int64_t now,
                                       int64_t *scheduled)
{
    struct store *st = app->store;
    int64_t none = 0;
    if (!scheduled) scheduled = &none;
    *scheduled = 0;
    struct campaign c;
    enum db_status got = st->campaign_get(st, account, campaign_id, &c);
    if (got < 0) return PROGRESS_STORE;
    if (got != DB_ONE) return PROGRESS_SAME;
    enum campaign_status cs;
    int known = campaign_status_parse(c.status, &cs) == 0;
    json_error_t je;
    json_t *nudges = c.nudges_json ? json_loads(c.nudges_json, 0, &je) : NULL;
    campaign_release(&c);
    if (!known || !campaign_status_active(cs)) {
        json_decref(nudges);
        return PROGRESS_SAME;
    }
    int ahead = 0;
    int64_t open_main = 0, open_any = 0;
    int failed = schedule_nudges(st, account, campaign_id, nudges, now, scheduled, &ahead) != 0 ||
                 open_rows(st, account, campaign_id, json_array_size(nudges), &open_main, &open_any) != 0;
    json_decref(nudges);
    if (failed) return PROGRESS_STORE;
    if (cs == CAMPAIGN_RUNNING && open_main == 0)
        return move(st, account, campaign_id,
                    open_any || ahead ? MOVE_MAIN_DONE_NUDGES_AHEAD : MOVE_MAIN_DONE);
    if (cs == CAMPAIGN_NUDGING && !open_any && !ahead)
        return move(st, account, campaign_id, MOVE_NUDGES_DONE);
    return PROGRESS_SAME;
}
