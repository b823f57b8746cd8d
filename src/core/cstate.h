/* cstate — a campaign's status as a type, and the one table of the moves between statuses
 * (API.md "Campaigns"). The database keeps the names; everything above the store reads and
 * changes a status through this file: campaign_status_parse / _name at the edge, and
 * campaign_move() for every change, which runs the store's compare-and-set with the table's
 * "from" set, so a move that the table does not allow never reaches the database.
 * Layer: core. */
#ifndef TGR_CSTATE_H
#define TGR_CSTATE_H

#include <stddef.h>
#include <stdint.h>

struct store;

#define CAMPAIGN_STATUSES(X)                                                                                 \
    X(CAMPAIGN_DRAFT, "draft")                                                                               \
    X(CAMPAIGN_RUNNING, "running")                                                                           \
    X(CAMPAIGN_NUDGING, "nudging")                                                                           \
    X(CAMPAIGN_PAUSED, "paused")                                                                             \
    X(CAMPAIGN_COMPLETED, "completed")                                                                       \
    X(CAMPAIGN_CANCELLED, "cancelled")                                                                       \
    X(CAMPAIGN_SCHEDULED, "scheduled")

enum campaign_status {
#define X(id, name) id,
    CAMPAIGN_STATUSES(X)
#undef X
};
#define CAMPAIGN_STATUS_COUNT 7

/* Why a status changes. Each move has one "to" and the set of statuses it may start from. */
#define CAMPAIGN_MOVES(X)                                                                                    \
    /* move            from                                                  to                 */           \
    X(MOVE_START, CAMPAIGN_BIT(CAMPAIGN_DRAFT), CAMPAIGN_RUNNING)                                            \
    X(MOVE_PAUSE, CAMPAIGN_BIT(CAMPAIGN_RUNNING) | CAMPAIGN_BIT(CAMPAIGN_NUDGING), CAMPAIGN_PAUSED)          \
    X(MOVE_RESUME, CAMPAIGN_BIT(CAMPAIGN_PAUSED), CAMPAIGN_RUNNING)                                          \
    X(MOVE_CANCEL,                                                                                           \
      CAMPAIGN_BIT(CAMPAIGN_DRAFT) | CAMPAIGN_BIT(CAMPAIGN_RUNNING) | CAMPAIGN_BIT(CAMPAIGN_PAUSED) |        \
          CAMPAIGN_BIT(CAMPAIGN_NUDGING) | CAMPAIGN_BIT(CAMPAIGN_SCHEDULED),                                 \
      CAMPAIGN_CANCELLED)                                                                                    \
    X(MOVE_MAIN_DONE_NUDGES_AHEAD, CAMPAIGN_BIT(CAMPAIGN_RUNNING), CAMPAIGN_NUDGING)                         \
    X(MOVE_MAIN_DONE, CAMPAIGN_BIT(CAMPAIGN_RUNNING), CAMPAIGN_COMPLETED)                                    \
    X(MOVE_NUDGES_DONE, CAMPAIGN_BIT(CAMPAIGN_NUDGING), CAMPAIGN_COMPLETED)                                  \
    X(MOVE_NEW_NUDGES, CAMPAIGN_BIT(CAMPAIGN_COMPLETED), CAMPAIGN_NUDGING)                                   \
    /* scheduling (issue 16): a draft waits for its start_at (a new time for a scheduled one); */            \
    /* unscheduled, or not startable when its time came, it is a draft again                   */            \
    X(MOVE_SCHEDULE, CAMPAIGN_BIT(CAMPAIGN_DRAFT) | CAMPAIGN_BIT(CAMPAIGN_SCHEDULED), CAMPAIGN_SCHEDULED)    \
    X(MOVE_UNSCHEDULE, CAMPAIGN_BIT(CAMPAIGN_SCHEDULED), CAMPAIGN_DRAFT)                                     \
    X(MOVE_START_SCHEDULED, CAMPAIGN_BIT(CAMPAIGN_SCHEDULED), CAMPAIGN_RUNNING)

#define CAMPAIGN_BIT(s) (1u << (s))
enum campaign_move {
#define X(id, from, to) id,
    CAMPAIGN_MOVES(X)
#undef X
};

/* The status called name ("running"). @return 0, or -1 for a name that is none */
int campaign_status_parse(const char *name, enum campaign_status *out);
const char *campaign_status_name(enum campaign_status s);

/* May move m start from s? */
int campaign_move_allowed(enum campaign_move m, enum campaign_status s);
/* Where move m goes. */
enum campaign_status campaign_move_to(enum campaign_move m);

/* What a stored status allows the user to do. */
int campaign_status_editable(enum campaign_status s);     /* draft, paused: its text and settings */
int campaign_status_takes_nudges(enum campaign_status s); /* not completed nor cancelled */
int campaign_status_active(enum campaign_status s);       /* running, nudging: sending goes on */

/* Make move m on the campaign: compare-and-set in the store, from any status the table allows,
 * and its campaign.status_changed event, in one durable transaction (the caller's, inside one).
 * reason: the pause reason (MOVE_PAUSE) or NULL.
 * @return DB_ONE (moved), DB_NONE (its status allowed no such move, or no such campaign of the
 * account), or the store's failure */
int campaign_move(struct store *st, int64_t account_id, int64_t campaign_id, enum campaign_move m,
                  const char *reason);

/* Pause every running or nudging campaign of the account with reason (a dead session, a frozen
 * account, a storage failure), each with its campaign.status_changed event.
 * @return DB_ONE, or the store's failure */
int campaigns_pause_every(struct store *st, int64_t account_id, const char *reason);

/* Queue the campaign's campaign.status_changed event (core/webhooks.h), in the caller's
 * transaction: every change of a campaign's status calls it after writing the status. */
int campaign_status_emit(struct store *st, int64_t account_id, int64_t campaign_id);

#endif
