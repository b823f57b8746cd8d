/* launch — starting a campaign (API.md "POST /campaigns/:id/start"): the rules a draft must pass
 * and the one transaction that turns it into a running campaign with its recipients.
 * Layer: core (below tg, engine and http). The caller maps the typed outcome to its reply and
 * wakes the engine; nothing here talks to Telegram. */
#ifndef TGR_LAUNCH_H
#define TGR_LAUNCH_H

#include <stddef.h>
#include <stdint.h>

struct app;
struct account;
struct store;

enum launch_outcome {
    LAUNCH_OK,             /* started: res->recipients people queued */
    LAUNCH_NOT_FOUND,      /* no such campaign of this account */
    LAUNCH_NOT_DRAFT,      /* not startable so (not a draft; not scheduled): res->status says what it is */
    LAUNCH_NO_SESSION,     /* the account has no connected Telegram session */
    LAUNCH_EMPTY_AUDIENCE, /* nobody matches the filters (after opt-outs and the frequency cap) */
    LAUNCH_EMPTY_POOL,     /* the message uses {{discount_code}} and the pool has no free code */
    LAUNCH_OTHER_RUNNING,  /* res->running_id is running already (one campaign at a time) */
    LAUNCH_CHANGED,        /* the campaign changed between the checks and the start */
    LAUNCH_STORE,          /* the database failed: nothing was started */
};

struct launch_result {
    char status[16];    /* LAUNCH_NOT_DRAFT: the campaign's status */
    int64_t running_id; /* LAUNCH_OTHER_RUNNING */
    size_t recipients;  /* LAUNCH_OK */
};

/* Is the account's Telegram session connected (what starting, resuming and a test send need)?
 * @return 1, 0, or -1 when the read failed (never "not connected") */
int session_connected(struct store *st, int64_t account_id);

enum start_outcome {
    START_OK,            /* running now, with its recipients */
    START_NOT_STARTABLE, /* not in the status it was started from (it changed meanwhile) */
    START_OTHER_RUNNING, /* *running_id of the account is running: one campaign at a time */
    START_STORE,         /* the database failed: nothing was started */
};

/* The start itself, in one durable transaction: unless another campaign of the account runs, a
 * draft (contact_ids given: one pending first message per contact, counted in the step's rows)
 * or a paused campaign (contact_ids NULL: no rows) becomes running. override_quiet: send even
 * inside its quiet hours. @param[out] running_id on START_OTHER_RUNNING (may be NULL) */
enum start_outcome campaign_start(struct store *st, int64_t account_id, int64_t campaign_id,
                                  const int64_t *contact_ids, size_t n, int override_quiet,
                                  int64_t *running_id);

/* Start campaign id of account (acct gives the frequency cap). override: send even inside the
 * campaign's quiet hours. A failed read is LAUNCH_STORE, never taken for "none". */
enum launch_outcome campaign_launch(struct app *app, const struct account *acct, int64_t id, int override,
                                    struct launch_result *res);

/* Start scheduled campaign id at its start_at, as campaign_launch would a draft, with the quiet
 * hours override it was scheduled with. LAUNCH_NOT_DRAFT: it is no longer scheduled (res->status
 * says what it is: another instance started it, or it was unscheduled). */
enum launch_outcome campaign_launch_scheduled(struct app *app, const struct account *acct, int64_t id,
                                              struct launch_result *res);

#endif
