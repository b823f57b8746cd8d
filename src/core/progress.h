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
struct account;
struct campaign;

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

/* ---- how far a campaign has come (issue 18; GET /campaigns/:id/analytics) ----
 *
 * The first message and the follow-ups are counted apart, each so that it never goes backwards:
 * the first message's total is its rows (the audience at the start), fixed; the follow-ups'
 * total is how many could still be sent at most — for follow-up k, the people of step k-1 that
 * neither failed nor were skipped (whoever replied, opted out or failed gets none) — which only
 * shrinks as those counters grow, while what is done (sent, failed, skipped) only grows. So
 * done/total rises monotonically for both, and at the end the follow-ups' total is exactly the
 * follow-ups made. (Changing the nudge plan of a running campaign changes the follow-ups' total.)
 *
 * Times: the engine sends an account's due messages in the order they were queued, whatever
 * their campaign; messages of the account's other sending campaigns queued before this one's
 * go first, and are named (behind[]). The forecast (core/forecast.h) walks that queue from now,
 * after a FloodWait, through each campaign's quiet hours and the account's daily limit. */
#define PROGRESS_BEHIND_MAX 4
#define PROGRESS_NUDGES_MAX 5 /* NUDGES_MAX (core/campaign.h) */

struct step_progress {
    int64_t total;                 /* first: the audience; follow-ups: at most this many */
    int64_t sent, failed, skipped; /* done */
    int64_t pending;               /* queued now (follow-ups: made and due, not yet sent) */
    int64_t eta;                   /* when the pending ones will have gone; 0: none or unknown */
};

/* Another campaign of the account whose queued messages go before this one's. */
struct progress_behind {
    int64_t campaign_id;
    int64_t messages; /* how many of its messages go first (a scheduled campaign: its queue) */
    char name[256];
    char status[16]; /* running or nudging */
};

/* One follow-up of the campaign's plan, from the step's counters. */
struct progress_nudge {
    int64_t after_s;   /* the plan's after_seconds */
    int64_t scheduled; /* rows made and not finished (pending or being sent) */
    int64_t sent;
};
struct campaign_progress {
    struct step_progress first, follow_ups;
    int64_t eta; /* when everything queued now will have gone; 0: nothing queued, or unknown */
    struct progress_behind behind[PROGRESS_BEHIND_MAX];
    int n_behind;
    /* The nudge plan as it is now, step k + 1 in nudges[k] (read with the counts, so that a
     * caller need not read the counters or parse the plan again). */
    struct progress_nudge nudges[PROGRESS_NUDGES_MAX];
    int n_nudges;
};

/* Until when Telegram's FloodWait holds the account's sends (unix ms), 0 when it does not now. */
int64_t progress_flood_until(struct store *st, int64_t account_id, int64_t now);

/* Read how far campaign c of account acct has come at now, sending rate messages a second.
 * A campaign that is not sending (draft, paused, finished) gets its counts and no times; a
 * scheduled one waiting for a running campaign names it in behind[].
 * @return TGR_OK, or TGR_ERR when a read failed (nothing to show rather than wrong numbers) */
int campaign_progress_read(struct app *app, const struct account *acct, const struct campaign *c, int64_t now,
                           double rate, struct campaign_progress *out);

#endif
