/* outcome — what a send's answer and a customer's reactions write (DESIGN §4, API.md "Campaign
 * analytics"): a send's outcome, replies, read receipts, opt-outs and clicks, each one rule of
 * several store writes in one transaction (store->txn). The per-step counters (campaign_steps)
 * are kept here as rows change state, so analytics reads a few rows instead of counting
 * recipients. Layer: core; the engine (outcomes, replies, reads, opt-outs) and analytics
 * (clicks) call it. */
#ifndef TGR_OUTCOME_H
#define TGR_OUTCOME_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* One counted click, queued by the click writer (analytics/clicks.c). */
struct click {
    int64_t account_id, campaign_id, link_id, recipient_id, at;
};

/* Which counter a tally's rows go to. */
enum step_counter {
    STEP_NEW_ROWS, /* rows, and of them the skipped ones to skipped too (new nudge rows) */
    STEP_READ,
    STEP_REPLIED,
    STEP_SKIPPED,
};

/* Add what a write changed (t, per campaign and step) to the per-step counters. */
TGR_MUST_CHECK enum db_status steps_count(struct store *st, int64_t account_id, const struct step_tally *t,
                                          enum step_counter c);

/* Write how one send ended, in one transaction: its recipient row, its log line, the campaign's
 * and the step's sent or failed counters, a failure's reason and the contact's mark. Not
 * durable: a lost outcome leaves the row 'sending' with its random_id, and the send again is
 * answered by Telegram with the message it already has.
 * @return DB_ONE, DB_SOFT, DB_HARD (also for an outcome the table of recipient moves does not
 * allow from sending: nothing is written) */
TGR_MUST_CHECK enum db_status recipient_finish(struct store *st, int64_t account_id,
                                               const struct send_outcome *o);

/* One claim of a group commit: the row goes pending (or sending) → sending with its random_id and
 * sealed discount code (NULL for none), as store->recipient_claim. */
struct outbox_claim {
    int64_t account_id, recipient_id;
    const char *random_id;
    const struct blob *code;
    enum db_status claimed; /* out: DB_ONE claimed, DB_NONE the row had moved on (not sent) */
};

/* One outcome waiting for a group commit (recipient_finish's, written later). */
struct outbox_done {
    int64_t account_id;
    struct send_outcome o;
};

/* The outbox's group commit (DECISIONS 77): in one transaction, write the outcomes done[0..m)
 * (each as recipient_finish) and then claim claims[0..n), durable when n > 0 — one fsync makes
 * every claim durable before any of their messages may go to Telegram. Nothing is written when
 * it fails. @return DB_ONE, DB_SOFT, DB_HARD */
TGR_MUST_CHECK enum db_status outbox_commit(struct store *st, struct outbox_claim *claims, size_t n,
                                            const struct outbox_done *done, size_t m);

/* The contact replied: its messages sent since `since` count as replied (once each), and its
 * pending nudges are skipped. @param[out] n messages counted */
TGR_MUST_CHECK enum db_status recipients_replied(struct store *st, int64_t account_id, int64_t contact_id,
                                                 int64_t since, int64_t *n);

/* A read receipt: the contact's sent messages up to Telegram message max_id count as read.
 * @return DB_ONE (some were new), DB_NONE, or the failure */
TGR_MUST_CHECK enum db_status recipients_read(struct store *st, int64_t account_id, int64_t contact_id,
                                              int64_t max_id);

/* The contact asked to stop: opted out (durable), counted once in every campaign that reached it,
 * its pending messages skipped, a line in the contact audit log. @return DB_ONE, DB_NONE (already opted out),
 * or the failure */
TGR_MUST_CHECK enum db_status contact_opt_out(struct store *st, int64_t account_id, int64_t contact_id);
/* The same for any cause: e (kind opted_out) says who, why and when, and is its line in the
 * contact audit log (contact_opt_out's: system, stop_message, now). */
TGR_MUST_CHECK enum db_status contact_opt_out_as(struct store *st, int64_t account_id,
                                                 const struct contact_audit *e);

/* Record clicks in one transaction: each counts on its link (unique when its recipient had not
 * clicked that link before), marks its recipient's first click (unique for the campaign and its
 * step), and counts on the campaign. Recipient 0 (a preview link) marks nobody and is never
 * unique. */
TGR_MUST_CHECK enum db_status clicks_record(struct store *st, const struct click *clicks, size_t n);

#endif
