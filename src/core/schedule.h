/* schedule — starting a campaign at a chosen time (API.md "Scheduling"): scheduling and
 * unscheduling a draft, and the rule that starts the scheduled campaigns whose time has come.
 *
 * Exactly once: a campaign starts through core/launch.c's one durable transaction, whose move
 * from "scheduled" to "running" is a compare-and-set; of several instances (or a restarted one
 * and a late call) that try the same campaign, one moves it and the others find it running and
 * do nothing. Nothing about a start is kept in memory, so a restart only makes it late by the
 * time the server was away. A campaign whose account has another one running stays scheduled
 * and is tried again at every look (it starts when that one ends); one that cannot start for a
 * reason time will not fix (no Telegram session, nobody in its audience, no free discount code)
 * goes back to draft, with that reason as its pause_reason and a log line saying so.
 * Layer: core. The engine (engine/schedule.c) decides when to look and wakes the account's
 * sender after a start. */
#ifndef TGR_SCHEDULE_H
#define TGR_SCHEDULE_H

#include <stdint.h>

struct app;
struct campaign;
struct store;

#define SCHEDULE_AHEAD_MAX_MS (365LL * 86400 * 1000) /* "more than a year ahead" is refused */
#define SCHEDULE_LOOK_MS      1000                   /* the longest wait between two looks */
#define SCHEDULE_BATCH        100                    /* due campaigns started per look at most */

enum schedule_outcome {
    SCHEDULE_OK,
    SCHEDULE_NOT_FOUND, /* no such campaign of this account */
    SCHEDULE_BAD_STATE, /* status says what it is: only a draft (or a scheduled one) is scheduled */
    SCHEDULE_PAST,      /* start_at has passed (a second's grace: times are often whole seconds) */
    SCHEDULE_TOO_FAR,   /* start_at is more than SCHEDULE_AHEAD_MAX_MS after now */
    SCHEDULE_STORE,     /* the database failed: nothing changed */
};

/* Schedule campaign id (a draft, or a scheduled one: a new time) to start at start_at (unix ms)
 * with override_quiet (send even in its quiet hours), in one transaction.
 * @param[out] status on SCHEDULE_BAD_STATE, the campaign's status (16 bytes) */
enum schedule_outcome campaign_schedule(struct store *st, int64_t account_id, int64_t id, int64_t start_at,
                                        int override_quiet, int64_t now, char *status);

/* A scheduled campaign becomes a draft again, its start_at cleared. */
enum schedule_outcome campaign_unschedule(struct store *st, int64_t account_id, int64_t id, char *status);

/* Start every scheduled campaign whose start_at <= now (see above); started(cls, account_id)
 * after each start. @return when to look next (unix ms): the next start_at, at most
 * SCHEDULE_LOOK_MS after now (campaigns of other instances, and those waiting, are seen so) */
int64_t schedule_run(struct app *app, int64_t now, void (*started)(void *cls, int64_t account_id), void *cls);

/* Is c scheduled, due, and kept waiting by another running campaign of its account?
 * @return 1, 0, or -1 when the read failed */
int schedule_waiting(struct store *st, int64_t account_id, const struct campaign *c, int64_t now);

#endif
