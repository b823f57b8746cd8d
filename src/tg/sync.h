/* sync — turns the account's Telegram dialogs into contacts and inbound messages (DESIGN §2).
 *
 * Every personal field is sealed (core/sealed.h says with which row key; inbound_messages.text
 * with "<account_id>:<tg_user_id>:<message_id>"); phone and username also get
 * blind indexes for equality lookups (orders matched by phone or username). A sync reads the
 * dialogs a page at a time and writes each page in one transaction, so memory stays flat however
 * large the inbox. Only one sync per account runs at a time. A person erased from the account
 * (core/privacy.h) is not brought back by their old messages: messages dated at or before their
 * erasure are skipped, and only a later one makes them a contact again. */
#ifndef TGR_SYNC_H
#define TGR_SYNC_H

#include <jansson.h>
#include <stdint.h>

#include "core/sealed.h"
#include "store/store.h"

struct app;
struct bridge_error;

struct sync_counts {
    int64_t contacts_added, contacts_updated, messages_added;
};

/* Read every dialog of the account through the bridge and import it. Waits on the bridge:
 * worker threads or the engine only.
 * @return TGR_OK, or TGR_ERR with err set (a bridge error) or err->code "STORE" */
int sync_account(struct app *app, int64_t account_id, struct sync_counts *counts, struct bridge_error *err);

/* Import one dialog object of the protocol (user fields + messages); used by sync_account and
 * by live "message" events (wrapped as a one-message dialog). Runs inside the caller's
 * transaction if there is one. */
enum db_status sync_import_dialog(struct app *app, int64_t account_id, json_t *dialog,
                                  struct sync_counts *counts);

/* Handle a live {"event":"message",…} from the bridge: add the contact if new, and the message.
 * @param[out] contact_id the contact's id (may be NULL) */
enum db_status sync_import_event(struct app *app, int64_t account_id, json_t *ev, int64_t *contact_id);

#endif
