/* send — one campaign message, from its outbox row to a bridge request, and the bridge's answer
 * back to an outcome (DESIGN §4). The engine loop (engine.c) decides when; this decides what. */
#ifndef TGR_SEND_H
#define TGR_SEND_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

struct app;
struct bridge_error;

/* What the engine does with an answer (DESIGN §4's table). */
enum send_kind {
    SEND_OK,
    SEND_FLOOD_WAIT,   /* the account waits `seconds`; the row goes back to pending */
    SEND_PEER_FLOOD,   /* pause the campaign, reason peer_flood */
    SEND_SESSION_DEAD, /* session invalid; pause every campaign of the account */
    SEND_PERMANENT,    /* fail the row with Telegram's reason */
    SEND_TEMPORARY,    /* retry with backoff, then retries_exhausted */
};

/* Classify a bridge error code; *mark gets 1 (blocked) or 2 (deactivated) for contacts to mark. */
enum send_kind send_classify(const char *code, int *mark);

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
