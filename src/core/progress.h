/* progress — how a running campaign moves on (API.md "nudges", DESIGN §4): nudges that have come
 * due get their rows, and a campaign whose main messages are all out moves running → nudging
 * while a nudge may still go, → completed when nothing is open or ahead. Layer: core; the engine
 * calls it for the campaigns it sends, on its own clock.
 *
 * Every read is checked: a read that fails stops the step with PROGRESS_STORE and moves nothing,
 * so a passing database error can never look like "no open rows" and complete a campaign. */
#ifndef TGR_PROGRESS_H
#define TGR_PROGRESS_H

#include <stdint.h>

#include "store/store.h"

struct app;

enum progress_outcome {
    PROGRESS_SAME,      /* nothing changed phase (nudges may have been scheduled) */
    PROGRESS_NUDGING,   /* running → nudging: the main pass is out, nudges remain */
    PROGRESS_COMPLETED, /* → completed */
    PROGRESS_STORE,     /* a read or write failed: nothing moved; try again later */
};

/* Create the rows of nudge step of a campaign, in one durable transaction: for every message of
 * step-1 sent at or before sent_before that has none yet, a pending row where condition
 * ("no_reply", "no_click", "no_reply_no_click") holds, else (or when the contact opted out, is
 * blocked or deactivated) a skipped one; counted in the step's counters, and the step marked
 * scheduled through sent_before. @param[out] created rows made pending or skipped */
TGR_MUST_CHECK enum db_status nudge_schedule(struct store *st, int64_t account_id, int64_t campaign_id,
                                             int step, const char *condition, int64_t sent_before,
                                             int64_t *created);

/* One step for campaign_id of account at now (unix ms). scheduled (may be NULL) gets how many
 * nudge rows were created. */
enum progress_outcome campaign_advance(struct app *app, int64_t account_id, int64_t campaign_id, int64_t now,
                                       int64_t *scheduled);

#endif
