/* progress — nudges coming due and a campaign's phases; see progress.h. */
#include "core/progress.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "core/campaign.h"
#include "core/cstate.h"
#include "core/daily.h"
#include "core/forecast.h"
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

/* ---- how far a campaign has come ---- */

int64_t progress_flood_until(struct store *st, int64_t account_id, int64_t now)
{
    char key[48], v[32];
    int64_t until = 0;
    snprintf(key, sizeof key, "flood_until:%lld", (long long)account_id);
    if (st->meta_get(st, key, v, sizeof v) != DB_ONE || parse_i64(v, 0, INT64_MAX, &until) != TGR_OK)
        return 0;
    return until > now ? until : 0;
}

#define STEPS_MAX (NUDGES_MAX + 1)
_Static_assert(PROGRESS_NUDGES_MAX == NUDGES_MAX, "progress.h keeps a nudge plan of NUDGES_MAX steps");

/* The per-step counters of a campaign, steps 0..STEPS_MAX-1 (zero where it has no rows).
 * *last_step: the highest step with rows. @return 0, or -1 when the read failed */
static int read_steps(struct store *st, int64_t account, int64_t campaign_id, struct step_totals *t,
                      int *last_step)
{
    struct step_totals *rows = NULL;
    size_t n = 0;
    memset(t, 0, STEPS_MAX * sizeof *t);
    *last_step = 0;
    if (st->campaign_step_totals(st, account, campaign_id, &rows, &n) < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].step < 0 || rows[i].step >= STEPS_MAX) continue;
        t[rows[i].step] = rows[i];
        if (rows[i].step > *last_step) *last_step = rows[i].step;
    }
    free(rows);
    return 0;
}

static int64_t open_of(const struct step_totals *t)
{
    int64_t open = t->rows - t->sent - t->failed - t->skipped;
    return open > 0 ? open : 0;
}

/* The counts, as progress.h defines them. */
static void count_steps(const struct step_totals *t, int plan_steps, int last_step,
                        struct campaign_progress *out)
{
    out->first = (struct step_progress){t[0].rows, t[0].sent, t[0].failed, t[0].skipped, open_of(&t[0]), 0};
    int steps = plan_steps > last_step ? plan_steps : last_step;
    int64_t could = t[0].rows; /* step k: who of step k-1 neither failed nor was skipped */
    for (int k = 1; k <= steps && k < STEPS_MAX; k++) {
        could -= t[k - 1].failed + t[k - 1].skipped;
        if (could < 0) could = 0;
        /* A step the plan no longer has counts what it made; else what it could make. */
        int64_t total = k <= plan_steps ? could : t[k].rows;
        out->follow_ups.total += total > t[k].rows ? total : t[k].rows;
        out->follow_ups.sent += t[k].sent;
        out->follow_ups.failed += t[k].failed;
        out->follow_ups.skipped += t[k].skipped;
        out->follow_ups.pending += open_of(&t[k]);
    }
}

/* Another sending campaign and how many of its queued messages go before ids first and all. */
struct other {
    struct campaign c;
    struct quiet_hours q;
    int64_t before_first, before_all;
};

/* Pending rows of campaign id below the ids `first` and `all` (0: none), over its steps: those
 * whose counters say some rows are open (a step without is not looked at). */
static int count_before(struct store *st, int64_t account, int64_t id, int64_t first, int64_t all,
                        struct other *o)
{
    struct step_totals t[STEPS_MAX];
    int last_step = 0;
    if (read_steps(st, account, id, t, &last_step) != 0) return -1;
    for (int s = 0; s <= last_step; s++) {
        int64_t last = 0, n = 0;
        if (!open_of(&t[s])) continue;
        if (st->queue_rows(st, account, id, s, first, &last, &n) < 0) return -1;
        if (!last) continue;
        o->before_first += n;
        /* With every pending row below `first`, they are all below `all` too (all >= first). */
        if (all != first && !(first && last < first)) {
            n = 0;
            if (all && st->queue_rows(st, account, id, s, all, &last, &n) < 0) return -1;
        }
        o->before_all += n;
    }
    return 0;
}

static void name_behind(struct campaign_progress *out, const struct campaign *c, int64_t messages)
{
    if (out->n_behind >= PROGRESS_BEHIND_MAX || messages <= 0) return;
    struct progress_behind *b = &out->behind[out->n_behind++];
    b->campaign_id = c->id;
    b->messages = messages;
    snprintf(b->name, sizeof b->name, "%s", c->name);
    snprintf(b->status, sizeof b->status, "%s", c->status);
}

/* The other running and nudging campaigns of the account (at most PROGRESS_BEHIND_MAX * 2). */
static int read_others(struct store *st, int64_t account, int64_t self, struct other *o, int cap, int *n)
{
    static const char *const live[] = {"running", "nudging"};
    *n = 0;
    for (int s = 0; s < 2; s++) {
        int64_t *ids = NULL;
        size_t k = 0;
        if (st->campaigns_in_status(st, account, live[s], &ids, &k) < 0) return -1;
        for (size_t i = 0; i < k && *n < cap; i++) {
            if (ids[i] == self) continue;
            struct other *x = &o[*n];
            memset(x, 0, sizeof *x);
            enum db_status g = st->campaign_get(st, account, ids[i], &x->c);
            if (g < 0) {
                free(ids);
                return -1;
            }
            if (g != DB_ONE) continue;
            if (x->c.override_quiet_hours || quiet_hours_from_text(x->c.quiet_hours_json, &x->q) != TGR_OK)
                x->q.set = 0;
            (*n)++;
        }
        free(ids);
    }
    return 0;
}

/* A scheduled campaign whose time has come waits for the running one: name it. */
static int waiting_scheduled(struct store *st, int64_t account, const struct campaign *c, int64_t now,
                             struct campaign_progress *out)
{
    if (strcmp(c->status, "scheduled") != 0 || c->start_at > now) return 0;
    int64_t running = 0;
    enum db_status r = st->campaign_running_other(st, account, c->id, &running);
    if (r != DB_ONE) return r < 0 ? -1 : 0;
    struct campaign x;
    enum db_status g = st->campaign_get(st, account, running, &x);
    if (g != DB_ONE) return g < 0 ? -1 : 0;
    int64_t open = 0;
    int rc = st->campaign_open_rows(st, account, running, 0, &open) < 0 ? -1 : 0;
    if (!rc) name_behind(out, &x, open > 0 ? open : 1);
    campaign_release(&x);
    return rc;
}

int campaign_progress_read(struct app *app, const struct account *acct, const struct campaign *c, int64_t now,
                           double rate, struct campaign_progress *out)
{
    struct store *st = app->store;
    int64_t account = acct->id;
    memset(out, 0, sizeof *out);
    struct step_totals t[STEPS_MAX];
    int last_step = 0;
    if (read_steps(st, account, c->id, t, &last_step) != 0) return TGR_ERR;
    json_error_t je;
    json_t *plan = c->nudges_json ? json_loads(c->nudges_json, 0, &je) : NULL;
    int plan_steps = (int)json_array_size(plan);
    if (plan_steps > NUDGES_MAX) plan_steps = NUDGES_MAX;
    for (int k = 0; k < plan_steps; k++) {
        struct progress_nudge *nd = &out->nudges[k];
        nd->after_s = json_integer_value(json_object_get(json_array_get(plan, (size_t)k), "after_seconds"));
        nd->scheduled = open_of(&t[k + 1]);
        nd->sent = t[k + 1].sent;
    }
    out->n_nudges = plan_steps;
    json_decref(plan);
    count_steps(t, plan_steps, last_step, out);
    if (waiting_scheduled(st, account, c, now, out) != 0) return TGR_ERR;
    enum campaign_status cs;
    if (campaign_status_parse(c->status, &cs) != 0 || !campaign_status_active(cs)) return TGR_OK;
    if (!out->first.pending && !out->follow_ups.pending) return TGR_OK;

    /* Where this campaign's queued messages are: its last first message, its last message. */
    int64_t last_first = 0, last_all = 0;
    for (int s = 0; s <= last_step; s++) {
        int64_t last = 0;
        if (!open_of(&t[s])) continue;
        if (st->queue_rows(st, account, c->id, s, 0, &last, NULL) < 0) return TGR_ERR;
        if (s == 0) last_first = last;
        if (last > last_all) last_all = last;
    }
    struct other others[PROGRESS_BEHIND_MAX * 2];
    int n_others = 0, rc = TGR_OK;
    if (read_others(st, account, c->id, others, PROGRESS_BEHIND_MAX * 2, &n_others) != 0) return TGR_ERR;
    for (int i = 0; i < n_others && rc == TGR_OK; i++)
        if (count_before(st, account, others[i].c.id, last_first, last_all, &others[i]) != 0) rc = TGR_ERR;

    struct daily d;
    if (rc == TGR_OK && daily_read(st, account, now, &d) != TGR_OK) rc = TGR_ERR;
    if (rc == TGR_OK) {
        struct quiet_hours q = {0};
        if (c->override_quiet_hours || quiet_hours_from_text(c->quiet_hours_json, &q) != TGR_OK) q.set = 0;
        struct forecast f;
        forecast_init(&f, now, rate, progress_flood_until(st, account, now), d.limit, d.sent, d.day_end,
                      acct->timezone);
        /* The queue in order: what goes before the last first message, the first messages, what
         * goes before the last follow-up, the follow-ups. */
        for (int i = 0; i < n_others; i++)
            forecast_send(&f, others[i].before_first, &others[i].q);
        if (out->first.pending) out->first.eta = forecast_send(&f, out->first.pending, &q);
        for (int i = 0; i < n_others; i++)
            forecast_send(&f, others[i].before_all - others[i].before_first, &others[i].q);
        if (out->follow_ups.pending) out->follow_ups.eta = forecast_send(&f, out->follow_ups.pending, &q);
        out->eta = out->follow_ups.pending ? out->follow_ups.eta : out->first.eta;
        for (int i = 0; i < n_others; i++)
            name_behind(out, &others[i].c,
                        out->first.pending ? others[i].before_first : others[i].before_all);
    }
    for (int i = 0; i < n_others; i++)
        campaign_release(&others[i].c);
    return rc;
}
