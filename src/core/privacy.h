/* privacy — export and erasure of one person (issue 19 item 2; API.md "Privacy"; GDPR articles 15
 * and 17), the same rule for both backends, composed of the store's data operations inside one
 * transaction (store/store_privacy.h).
 *
 * Export: everything tgr holds about the person, opened — their profile and category, the
 * category history and opt-out changes (with their reasons), the messages they wrote and the
 * campaign messages sent to them (with each campaign step's text as written: tgr keeps no copy of
 * a rendered message), every campaign message with its status and the discount code it carried,
 * their clicks and their orders.
 *
 * Erasure: in one durable transaction, the person's pending campaign messages are skipped
 * ("erased"), their clicks, messages, category and contact audit lines deleted, their orders
 * unlinked (amounts and attribution stay, so revenue totals do not move), the discount codes and
 * phone on their campaign rows cleared, and their contact row emptied down to its id (the campaign
 * rows naming it stay, anonymous, so every count stays). The keyed blind index of their Telegram
 * user id is kept with the erasure's time: a later sync that reads their old messages again skips
 * every message dated at or before it (and makes no contact of them), while a message they write
 * after it makes a new contact. Then the store scrubs its files (SQLite: secure_delete has zeroed
 * the freed space, the write-ahead log is emptied). Both leave an entry in the audit log, inside
 * the same transaction. Layer: core. */
#ifndef TGR_PRIVACY_H
#define TGR_PRIVACY_H

#include <jansson.h>
#include <stdint.h>

#include "core/audit.h"
#include "store/store.h"

struct app;

enum privacy_outcome { PRIVACY_OK, PRIVACY_NOT_FOUND, PRIVACY_STORE };

/* Everything about contact_id of account_id (another account's, or an erased one: NOT_FOUND), as
 * one JSON object; the export is recorded in the audit log first (no entry, no export).
 * @param[out] out a new object on PRIVACY_OK */
enum privacy_outcome contact_export(struct app *app, int64_t account_id, int64_t contact_id,
                                    const struct audit_who *who, json_t **out);

/* Erase contact_id of account_id as the header says (NOT_FOUND: not the account's, or erased). */
enum privacy_outcome contact_erase(struct app *app, int64_t account_id, int64_t contact_id,
                                   const struct audit_who *who);

/* When the person with Telegram user id tg_user_id was last erased from the account.
 * @param[out] at unix ms, 0 when never @return DB_ONE (erased), DB_NONE (never), DB_SOFT, DB_HARD */
TGR_MUST_CHECK enum db_status erasure_time(struct app *app, int64_t account_id, const char *tg_user_id,
                                           int64_t *at);

#endif
