/* send — one campaign message, from its outbox row to a bridge request, and the bridge's answer
 * back to an outcome (DESIGN §4). The engine loop (engine.c) decides when; this decides what. */
#ifndef TGR_SEND_H
#define TGR_SEND_H

#include <jansson.h>
#include <stdint.h>

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

/* Build the bridge request for r and commit the row as 'sending' with its random_id and code
 * first (the random_id is made once and kept: a retry after a crash reuses it).
 * @param[out] req the request (new reference) on TGR_OK
 * @param[out] why a reason on TGR_ERR: the row cannot be sent (contact gone, template broken,
 *             pool empty…) and should fail with code why_code
 * @return TGR_OK, TGR_ERR (permanent for this row), -2 (database trouble: try later), or
 *         SEND_PREPARE_RETRY (the media store failed: retry the row with backoff, why set), or
 *         SEND_PREPARE_STORAGE (a write failed for good — disk full, I/O error: nothing was sent
 *         and the row is as it was; the caller pauses sending with reason storage_error) */
#define SEND_PREPARE_RETRY   (-3)
#define SEND_PREPARE_STORAGE (-4)
int send_prepare(struct app *app, int64_t account_id, const struct recipient *r, json_t **req, char *why_code,
                 size_t codecap, char *why, size_t whycap);

#endif
