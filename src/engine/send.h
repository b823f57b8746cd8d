/* send — one campaign message, from its outbox row to a bridge request, and the bridge's answer
 * back to an outcome (DESIGN §4). The engine loop (engine.c) decides when; this decides what. */
#ifndef TGR_SEND_H
#define TGR_SEND_H

#include <jansson.h>
#include <stdint.h>

#include "core/message.h"
#include "store/store.h"

struct app;
struct bridge_error;

/* What the engine does with a send's answer (DESIGN §4's table): X(id, name). The class of an
 * error code in the Telegram error registry (core/tgerror.h) picks the outcome; the names are
 * for logs and tests.
 *   SEND_OK             sent: the row is 'sent' with its tg_message_id
 *   SEND_FLOOD_WAIT     the account waits `seconds`; the row goes back to pending
 *   SEND_PEER_FLOOD     pause the campaign, reason peer_flood
 *   SEND_SESSION_DEAD   session invalid; pause every campaign of the account; row back to pending
 *   SEND_FROZEN         the account is frozen: pause every campaign of the account (reason
 *                       account_frozen), row back to pending, session kept
 *   SEND_SKIP           the person charges Stars: the row is skipped, the contact marked
 *   SEND_PERMANENT      fail the row with Telegram's reason (and mark the contact); unless the
 *                       refusal is personal it counts towards the error streak
 *   SEND_TEMPORARY      retry with backoff, then retries_exhausted */
#define SEND_KINDS(X)                                                                                        \
    X(SEND_OK, "sent")                                                                                       \
    X(SEND_FLOOD_WAIT, "flood_wait")                                                                         \
    X(SEND_PEER_FLOOD, "peer_flood")                                                                         \
    X(SEND_SESSION_DEAD, "session_dead")                                                                     \
    X(SEND_FROZEN, "account_frozen")                                                                         \
    X(SEND_SKIP, "skip")                                                                                     \
    X(SEND_PERMANENT, "permanent")                                                                           \
    X(SEND_TEMPORARY, "temporary")

enum send_kind {
#define X(id, name) id,
    SEND_KINDS(X)
#undef X
};

/* "sent", "flood_wait", …; "?" out of range. */
const char *send_kind_name(enum send_kind k);

/* What else the registry says of a code. */
struct send_class {
    int mark;     /* enum tg_contact_mark (struct send_outcome's mark_contact), 0 for none */
    int number;   /* the N of a "CODE_N" answer (stars for ALLOW_PAYMENT_REQUIRED_N), else 0 */
    int personal; /* a refusal by this one person: never counts towards the error streak */
};

/* Classify a bridge error code (never SEND_OK). A code the registry does not list is
 * TG_ERROR_DEFAULT_CLASS's outcome (SEND_PERMANENT, not personal). */
enum send_kind send_classify(const char *code, struct send_class *out);

/* What the preparations of an account's batches share (DECISIONS 77, 82): the campaign is read
 * once, its nudge plan parsed once, and each tracked URL ensured once, however many of its
 * messages the batches hold. The engine keeps one memo per sending account from batch to batch
 * (freed when nothing is due, on a wake-up of the account, and when the engine stops), and
 * send_memo_campaign reads the campaign again when a row says its updated_at has moved (every
 * change of what a message is made of — text, nudges, quiet hours and their override, media,
 * links, codes — writes updated_at, the row read joins the campaign for it), so an edit made on
 * any instance is seen by the first batch read after its commit. */
#define SEND_MEMO_STEPS 16 /* steps whose template check is kept */

struct send_memo {
    int have;          /* c holds campaign c.id */
    struct campaign c; /* the batch's campaign (the last one read) */
    json_t *nudges;    /* c's parsed nudge plan, or NULL */
    struct message_link_memo links;
    /* Bit s: step s's template passed render_check, its placeholders in uses[s]: a template is
     * checked once per campaign version, not once per recipient (DECISIONS 98). */
    unsigned checked;
    unsigned char uses[SEND_MEMO_STEPS];
};

void send_memo_init(struct send_memo *m);
void send_memo_release(struct send_memo *m);
/* The campaign of row r, read once per memo while r->campaign_version stays its updated_at.
 * @return DB_ONE (*c borrowed from the memo until its release or the next call), DB_NONE, or the
 *         store's failure */
enum db_status send_memo_campaign(struct app *app, struct send_memo *m, int64_t account_id,
                                  const struct recipient *r, const struct campaign **c);

/* A message ready to be claimed and sent. */
struct send_prepared {
    char *req; /* the bridge request's text, a JSON object (owned; bridge_call_text) */
    size_t req_len;
    char random_id[24]; /* made once and kept: a retry after a crash reuses it */
    struct blob code;   /* the sealed discount code to store with the claim (empty: none) */
};

void send_prepared_release(struct send_prepared *p);

/* Build the bridge request for r: the caller then claims the row ('sending' with random_id and
 * code, durably: core/outcome.h outbox_commit) before the request may go to the bridge.
 * @param addr r's contact's address as recipients_next read it (borrowed), or NULL to read it
 * @param[out] out filled on TGR_OK; release with send_prepared_release
 * @param[out] why a reason on TGR_ERR: the row cannot be sent (contact gone, template broken,
 *             pool empty…) and should fail with code why_code
 * @return TGR_OK, TGR_ERR (permanent for this row), -2 (database trouble: try later), or
 *         SEND_PREPARE_RETRY (the media store failed: retry the row with backoff, why set), or
 *         SEND_PREPARE_STORAGE (a write failed for good — disk full, I/O error: nothing was sent
 *         and the row is as it was; the caller pauses sending with reason storage_error), or
 *         SEND_PREPARE_SKIP (below) */
#define SEND_PREPARE_RETRY   (-3)
#define SEND_PREPARE_STORAGE (-4)
/* The person opted out after the row was queued (by hand, while its message was claimed): the
 * row is skipped with why_code "opted_out", as the opt-out skipped their pending rows. */
#define SEND_PREPARE_SKIP (-5)
int send_prepare(struct app *app, struct send_memo *m, int64_t account_id, const struct recipient *r,
                 const struct contact *addr, struct send_prepared *out, char *why_code, size_t codecap,
                 char *why, size_t whycap);

#endif
