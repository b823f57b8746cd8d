/* h_schedule — starting a campaign at a chosen time (API.md "Scheduling"): schedule and
 * unschedule. Parse, one core call (core/schedule.c holds the rules), reply; the engine's
 * scheduling thread starts the campaign when its time comes (engine/schedule.c). */
#include <stdio.h>
#include <string.h>

#include "base/app.h"
#include "base/util.h"
#include "core/orders.h"
#include "core/schedule.h"
#include "engine/engine.h"
#include "http/handlers.h"
#include "http/server.h"

static int path_id(struct req *r, int64_t *id)
{
    if (parse_i64(route_param(&r->params, "id"), 1, INT64_MAX, id) == TGR_OK) return TGR_OK;
    reply_error(r, ERR_NOT_FOUND, NULL, "no such campaign");
    return TGR_ERR;
}

/* Reply to an outcome of either route; refusal says what a bad state is refused for, details are
 * the audit entry's of a success (stolen). */
static enum hres reply_outcome(struct req *r, enum schedule_outcome o, int64_t id, const char *status,
                               const char *refusal, enum audit_action a, json_t *details)
{
    if (o == SCHEDULE_OK) {
        http_audit(r, a, "campaign", id, details);
        details = NULL;
    }
    json_decref(details);
    switch (o) {
    case SCHEDULE_OK:
        engine_wake(r->app->engine, r->account_id); /* every instance looks at its schedule again */
        return campaign_reply(r, id);
    case SCHEDULE_NOT_FOUND:
        reply_error(r, ERR_NOT_FOUND, NULL, "no such campaign");
        return H_NO;
    case SCHEDULE_BAD_STATE:
        reply_error(r, ERR_INVALID_STATE, NULL, "this campaign is %s; %s", status, refusal);
        return H_NO;
    case SCHEDULE_PAST:
        reply_error(r, ERR_VALIDATION, "start_at", "start_at is in the past");
        return H_NO;
    case SCHEDULE_TOO_FAR:
        reply_error(r, ERR_VALIDATION, "start_at", "start_at is more than a year ahead");
        return H_NO;
    case SCHEDULE_STORE:
        break;
    }
    reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
    return H_NO;
}

enum hres campaigns_schedule_h(struct req *r)
{
    const char *when = NULL;
    int override = 0;
    int64_t id, start_at = 0;
    struct jfield spec[] = {
        JF_STRING_LEN("start_at", &when, 1, 64),
        JF_OPTIONAL(JF_BOOL("override_quiet_hours", &override)),
        JF_END,
    };
    if (http_parse_spec(r, spec) != TGR_OK || path_id(r, &id) != TGR_OK) return H_NO;
    /* A time of day with its zone: a bare date is not a moment. */
    if (strlen(when) <= 10 || parse_rfc3339(when, &start_at) != TGR_OK) {
        reply_error(r, ERR_VALIDATION, "start_at",
                    "start_at must be an RFC 3339 time such as 2026-06-01T10:00:00Z");
        return H_NO;
    }
    char status[16];
    enum schedule_outcome o =
        campaign_schedule(r->app->store, r->account_id, id, start_at, override, now_ms(), status);
    char at[40];
    rfc3339(start_at, at, sizeof at);
    return reply_outcome(r, o, id, status, "only a draft can be scheduled", AUDIT_CAMPAIGN_SCHEDULE,
                         json_pack("{s:s, s:b}", "start_at", at, "override_quiet_hours", override));
}

enum hres campaigns_unschedule_h(struct req *r)
{
    int64_t id;
    struct jfield spec[] = {JF_END};
    if (http_parse_spec(r, spec) != TGR_OK || path_id(r, &id) != TGR_OK) return H_NO;
    char status[16];
    enum schedule_outcome o = campaign_unschedule(r->app->store, r->account_id, id, status);
    return reply_outcome(r, o, id, status, "only a scheduled campaign can be unscheduled",
                         AUDIT_CAMPAIGN_UNSCHEDULE, NULL);
}
