/* schedule — scheduled starts; see schedule.h. */
#include "core/schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/log.h"
#include "core/cstate.h"
#include "core/launch.h"
#include "store/store.h"

/* One change of a campaign's schedule: a move and the start_at it leaves. */
struct plan {
    int64_t account_id, id, start_at;
    int override_quiet; /* -1: keep the campaign's */
    enum campaign_move move;
    const char *reason, *log_code; /* a start that failed: pause_reason and the log line's code */
    int found;
    char status[16];
};

static enum db_status replan(struct store *st, void *cls)
{
    struct plan *p = cls;
    struct campaign c;
    p->found = 0;
    p->status[0] = 0;
    enum db_status r = st->campaign_get(st, p->account_id, p->id, &c);
    if (r != DB_ONE) return r;
    p->found = 1;
    snprintf(p->status, sizeof p->status, "%s", c.status);
    int override = p->override_quiet < 0 ? c.override_quiet_hours : p->override_quiet;
    campaign_release(&c);
    r = campaign_move(st, p->account_id, p->id, p->move, p->reason);
    if (r == DB_ONE) r = st->campaign_set_start(st, p->account_id, p->id, p->start_at, override);
    if (r == DB_ONE && p->log_code)
        r = st->log_add(st, p->account_id, p->id, 0, 0, "not_started", p->log_code, NULL);
    return r < 0 ? r : (r == DB_NONE ? DB_NONE : DB_ONE);
}

static enum schedule_outcome run_plan(struct store *st, struct plan *p, char *status)
{
    enum db_status r = st->txn(st, TX_DURABLE, replan, p);
    if (status) snprintf(status, 16, "%s", p->status);
    if (r < 0) return SCHEDULE_STORE;
    if (!p->found) return SCHEDULE_NOT_FOUND;
    return r == DB_ONE ? SCHEDULE_OK : SCHEDULE_BAD_STATE;
}

enum schedule_outcome campaign_schedule(struct store *st, int64_t account_id, int64_t id, int64_t start_at,
                                        int override_quiet, int64_t now, char *status)
{
    if (status) status[0] = 0;
    if (start_at + 1000 <= now) return SCHEDULE_PAST;
    if (start_at - now > SCHEDULE_AHEAD_MAX_MS) return SCHEDULE_TOO_FAR;
    struct plan p = {account_id, id, start_at, override_quiet ? 1 : 0, MOVE_SCHEDULE, NULL, NULL, 0, ""};
    return run_plan(st, &p, status);
}

enum schedule_outcome campaign_unschedule(struct store *st, int64_t account_id, int64_t id, char *status)
{
    struct plan p = {account_id, id, 0, -1, MOVE_UNSCHEDULE, NULL, NULL, 0, ""};
    return run_plan(st, &p, status);
}

/* Why a due campaign cannot start, for a reason time will not fix (NULL: it may yet). */
static const char *lasting_reason(enum launch_outcome o)
{
    switch (o) {
    case LAUNCH_NO_SESSION:
        return "no_session";
    case LAUNCH_EMPTY_AUDIENCE:
        return "empty_audience";
    case LAUNCH_EMPTY_POOL:
        return "discount_codes_empty";
    default:
        return NULL;
    }
}

/* Try one due campaign; one kept waiting by another campaign of its account is left as it is. */
static void start_due(struct app *app, const struct scheduled_start *due,
                      void (*started)(void *cls, int64_t account_id), void *cls)
{
    struct store *st = app->store;
    struct account acct;
    enum db_status r = st->account_get(st, due->account_id, &acct);
    if (r != DB_ONE) return; /* tried again at the next look */
    struct launch_result res;
    enum launch_outcome o = campaign_launch_scheduled(app, &acct, due->campaign_id, &res);
    const char *why = lasting_reason(o);
    if (o == LAUNCH_OK) {
        log_info("schedule", "account %lld: campaign %lld started at its scheduled time (%zu recipients)",
                 (long long)due->account_id, (long long)due->campaign_id, res.recipients);
        started(cls, due->account_id);
    } else if (why) {
        struct plan p = {due->account_id, due->campaign_id, 0, -1, MOVE_UNSCHEDULE, why, why, 0, ""};
        if (run_plan(st, &p, NULL) == SCHEDULE_OK)
            log_info("schedule", "account %lld: campaign %lld could not start (%s): a draft again",
                     (long long)due->account_id, (long long)due->campaign_id, why);
    } else if (o == LAUNCH_STORE) {
        log_warn("schedule", "account %lld: campaign %lld: the database failed; its start is tried again",
                 (long long)due->account_id, (long long)due->campaign_id);
    }
    /* LAUNCH_OTHER_RUNNING: tried again at the next look; LAUNCH_NOT_DRAFT, _NOT_FOUND, _CHANGED:
     * started elsewhere, or unscheduled meanwhile. */
}

int64_t schedule_run(struct app *app, int64_t now, void (*started)(void *cls, int64_t account_id), void *cls)
{
    struct store *st = app->store;
    int64_t next = now + SCHEDULE_LOOK_MS;
    struct scheduled_start *rows = NULL;
    size_t n = 0;
    /* The due ones, and the first after them, which says when to look again. */
    if (st->campaigns_scheduled(st, next, SCHEDULE_BATCH, &rows, &n) < 0) return next;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].start_at > now) {
            next = rows[i].start_at;
            break;
        }
        start_due(app, &rows[i], started, cls);
    }
    if (n == SCHEDULE_BATCH && rows[n - 1].start_at <= now) next = now; /* more are due */
    free(rows);
    return next;
}

int schedule_waiting(struct store *st, int64_t account_id, const struct campaign *c, int64_t now)
{
    enum campaign_status cs;
    if (campaign_status_parse(c->status, &cs) != 0 || cs != CAMPAIGN_SCHEDULED || c->start_at > now) return 0;
    int64_t running = 0;
    enum db_status r = st->campaign_running_other(st, account_id, c->id, &running);
    return r < 0 ? -1 : r == DB_ONE;
}
