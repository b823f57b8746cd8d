/* store_people — the rows of results per person, contact timelines and the contact audit log
 * (issue 16; API.md "Results per person", "Opt-outs"), and the contracts of struct store's
 * members that read and write them (store.h lists the members; store/stmt_people.c holds their
 * bodies, the statements are in store/sql.h). Included by store.h after struct blob. Layer: store. */
#ifndef TGR_STORE_PEOPLE_H
#define TGR_STORE_PEOPLE_H

#include <stdint.h>

/* One step of a campaign: its rows, and how many of them were sent, failed and were skipped
 * (campaign_steps, kept as rows change; the rest are pending or sending). */
struct step_totals {
    int step;
    int64_t rows, sent, failed, skipped;
};

/* One recipient row and what its person did after it (GET /campaigns/:id/recipients). */
struct result_row {
    int64_t id, contact_id;
    int step;
    char status[12];                                  /* as stored: pending sending sent failed skipped */
    char error_code[64];                              /* a failure's code, a skip's reason; "" */
    int64_t sent_at, read_at, replied_at, clicked_at; /* unix ms, 0 until it happens */
    int64_t clicks;                                   /* clicks on the row's tracked links */
    int64_t orders, revenue; /* paid orders credited to this row, their sum in minor units */
    int64_t opted_out_at;    /* the contact's, 0 if not opted out */
    char tg_user_id[24];     /* the contact's (its sealed fields' row key) */
    struct blob first_name, last_name, username; /* sealed, as contacts keeps them (empty if none) */
};
/* Release the sealed names of r. */
void result_row_release(struct result_row *r);

/* What a contact's timeline shows, as the store returns it: X(id, rank, type). The rank orders
 * events of the same instant (newest first: higher first); statement S_TIMELINE (sql.h) writes
 * the ranks as numbers, so they must not change. API.md's type message_out has no rank: tgr
 * keeps no messages the shop typed in Telegram itself (docs/DECISIONS.md 61). */
#define TIMELINE_KINDS(X)                                                                                    \
    X(TL_MESSAGE_IN, 1, "message_in")                                                                        \
    X(TL_CAMPAIGN_SENT, 2, "campaign_sent")                                                                  \
    X(TL_CAMPAIGN_FAILED, 3, "campaign_failed")                                                              \
    X(TL_READ, 4, "read")                                                                                    \
    X(TL_REPLIED, 5, "replied")                                                                              \
    X(TL_CLICKED, 6, "clicked")                                                                              \
    X(TL_ORDER, 7, "order")                                                                                  \
    X(TL_REFUND, 8, "refund")                                                                                \
    X(TL_OPTED_OUT, 9, "opted_out")                                                                          \
    X(TL_OPTED_IN, 10, "opted_in")                                                                           \
    X(TL_CATEGORY_CHANGED, 11, "category_changed")

enum timeline_kind {
#define X(id, rank, name) id = rank,
    TIMELINE_KINDS(X)
#undef X
};

/* An event's place in a timeline: newest first, by (at, kind, id) descending. */
struct timeline_key {
    int64_t at, id;
    int kind;
};

/* One event of a contact's timeline, as stored. */
struct timeline_row {
    struct timeline_key key; /* key.at: when (unix ms); key.id: the row of its own table */
    int64_t campaign_id;     /* the campaign it belongs to or is credited to; 0 for none */
    int step;
    int64_t num;        /* message_in: Telegram's message id; order, refund: the amount */
    char code[129];     /* campaign_failed: the error code; order, refund: the order id; audit
                         * rows: the actor (user, api_key, system) */
    char extra[40];     /* order, refund: the currency; audit rows: the source */
    char *name;         /* campaign events: the campaign's name; clicked: the link's URL (malloc'd) */
    struct blob sealed; /* message_in: the text; audit rows: the details (empty if none) */
};
void timeline_row_release(struct timeline_row *r);

/* A line of the contact audit log (contact_audit): opt-outs, opt-ins and category changes. */
struct contact_audit {
    int64_t contact_id, at;
    const char *kind;           /* opted_out, opted_in, category_changed */
    const char *actor;          /* user, api_key, system */
    const char *source;         /* api, stop_message, classification (before_audit: migration 8's) */
    const struct blob *details; /* sealed JSON (row key "<account>:<contact>"), or NULL */
};

/* The contracts of the members (store.h):
 *   campaign_step_totals   every step of the campaign that has rows, ascending.
 *                          @param[out] rows malloc'd (free) @return DB_ONE, DB_NONE (no rows)
 *   recipient_step         the step of recipient row recipient_id of campaign_id.
 *                          @return DB_ONE, DB_NONE (no such row of that campaign)
 *   results_page           up to limit rows of (campaign, step) with id > after_id, ascending by
 *                          id, whose stored status is one of the bits of statuses (1 << enum
 *                          recipient_status); each with its contact's sealed names and what the
 *                          person did. One index range per status (recipients_results).
 *                          @param[out] rows malloc'd; result_row_release each, then free
 *   timeline_page          up to limit events of the contact before `before` (NULL: from the
 *                          newest), newest first: its inbound messages, sent and failed campaign
 *                          messages, reads, replies, clicks, orders, refunds and audit lines.
 *                          @param[out] rows malloc'd; timeline_row_release each, then free
 *   contact_audit_add      append e to the contact audit log (joins the caller's transaction).
 *   contact_clear_opted_out the contact opts back in. @return DB_ONE, DB_NONE (was not opted
 *                          out, or no such contact) */

#endif
