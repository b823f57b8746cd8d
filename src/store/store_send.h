/* store_send — the rows of sending as the store keeps them: a campaign's message to one person
 * (struct recipient), a send's outcome, the message a reply or click is matched to, counters per
 * step, a line of the campaign's log and its counters. Included by store.h. Layer: store. */
#ifndef TGR_STORE_SEND_H
#define TGR_STORE_SEND_H

#include <stdint.h>

/* recipients row: one message of a campaign to one contact (step 0 = main, 1.. = nudges). */
struct recipient {
    int64_t id, campaign_id, contact_id;
    int step;
    char status[12]; /* pending sending sent failed skipped */
    char random_id[24];
    int attempt;
    int64_t next_attempt_at, tg_message_id, sent_at;
    /* Its campaign's updated_at when the row was read: a memo of the campaign read before is
     * still good when they match (engine/send.h send_memo). */
    int64_t campaign_version;
};

/* A recipient row's status (recipients.status keeps the names) and the one table of its moves:
 * pending → sending (claimed, its random_id committed) or skipped (a nudge that no longer
 * applies); sending → pending (tried again later), sent, failed or skipped (a send's outcome). */
#define RECIPIENT_STATUSES(X)                                                                                \
    X(RECIPIENT_PENDING, "pending")                                                                          \
    X(RECIPIENT_SENDING, "sending")                                                                          \
    X(RECIPIENT_SENT, "sent")                                                                                \
    X(RECIPIENT_FAILED, "failed")                                                                            \
    X(RECIPIENT_SKIPPED, "skipped")

enum recipient_status {
#define X(id, name) id,
    RECIPIENT_STATUSES(X)
#undef X
        RECIPIENT_STATUS_COUNT
};

/* The name of s as stored ("pending"); "unknown" for a value that is none. */
const char *recipient_status_name(enum recipient_status s);
/* May a row go from `from` to `to` (the table above)? */
int recipient_move_allowed(enum recipient_status from, enum recipient_status to);

/* What happened to one send (core/outcome.c writes it: the row, its log line, the counters). */
struct send_outcome {
    int64_t recipient_id, campaign_id, contact_id;
    int step, attempt;
    enum recipient_status status; /* after this: pending, sent, failed or skipped (from sending) */
    const char *log_status;       /* sent_logs.status: sent failed flood_wait retry skipped */
    const char *error_code;       /* NULL on success */
    const char *error_details;
    int64_t tg_message_id;   /* on sent */
    int64_t next_attempt_at; /* on pending */
    int mark_contact;        /* enum tg_contact_mark: 1 blocked, 2 deactivated, 3 privacy_restricted,
                              * 4 charges_stars, 0 nothing */
    int64_t mark_stars;      /* with 4: the price in stars when Telegram gave it, else 0 */
};

/* One row of the outbox's set-based writes (DECISIONS 82): a message sent (its outcome written
 * for many rows in one statement each) or claimed. */
struct outbox_row {
    int64_t account_id, recipient_id, campaign_id, contact_id, tg_message_id;
    int step, attempt;
    const char *random_id; /* claims: digits only */
    int claimed;           /* recipients_claim's answer: 1 claimed, 0 the row had moved on */
};

/* The messages of one (account, campaign, step) sent in a group commit, for its counters; the
 * commit's rule (core/outcome.c) adds them up, one per pair. */
struct sent_count {
    int64_t account_id, campaign_id;
    int step;
    int64_t n;
};

/* A sent campaign message, as attribution looks for it. */
struct sent_message {
    int64_t recipient_id, campaign_id;
    int step;
};

/* What to add to one (campaign, step)'s counters (campaign_steps). */
struct step_delta {
    int64_t rows, sent, failed, skipped, read, replied, clicked;
};

/* The rows a write of recipients changed, per (campaign, step), for the counters above: rows
 * changed, and of them those left 'skipped' (new nudge rows only). One contact's or one
 * campaign's rows span few pairs; past STEP_TALLY_MAX pairs the rest count in total only. */
#define STEP_TALLY_MAX 64
struct step_tally {
    struct step_tally_row {
        int64_t campaign_id, rows, skipped;
        int step;
    } at[STEP_TALLY_MAX];
    int n;
    int64_t total;
};

/* A line of a campaign's log. */
struct log_row {
    int64_t id, at, contact_id;
    int step;
    char status[16], error_code[64], error_details[256];
};

/* Per-campaign counters (campaign_analytics + live counts from recipients). */
struct campaign_counts {
    int64_t audience, pending, sending, sent, failed, skipped;
    int64_t read, replied, clicks, unique_clicks, opted_out, orders, revenue;
    int64_t by_category[3]; /* audience at start: browser, buyer, refund_risk (enum category order) */
};

#endif
