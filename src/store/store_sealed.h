/* store_sealed — every column of the store that holds seal() output, with the rows key rotation
 * scans and rewrites (core/rotate.c; store.h's sealed_scan and sealed_replace). Included by
 * store.h after struct blob. Layer: store. */
#ifndef TGR_STORE_SEALED_H
#define TGR_STORE_SEALED_H

#include <stdint.h>

/* ---- sealed columns, for key rotation (core/rotate.c) ----
 * Every column that holds seal() output, as X(id, table, column). The seal row key (the AD's
 * last part) of each is built by its scan statement (sql.h) exactly as the column's writers
 * build it: accounts.webhook_secret "<id>", telegram_sessions "<account_id>", contacts
 * "<account_id>:<tg_user_id>", inbound_messages.text "<account_id>:<tg_user_id>:<tg_message_id>",
 * customer_categories and contact_audit "<account_id>:<contact_id>", recipients.discount_code
 * "<account_id>:<campaign_id>:<contact_id>", discount_codes.code "<account_id>:<campaign_id>:
 * <code_bidx>", webhooks.secret "<account_id>:<id>", and meta "cmd:…"/"cmdr:…" values (base64url text of the
 * sealed bytes) their key. A new sealed column must be added here and to SEALED_STMTS of sql.h (the build
 * fails without). (customer_categories.user_phone and sent_logs.user_phone exist in the schema but nothing
 * writes them.) */
#define STORE_SEALED_COLUMNS(X)                                                                              \
    X(SEALED_WEBHOOK_SECRET, "accounts", "webhook_secret")                                                   \
    X(SEALED_SESSION_DATA, "telegram_sessions", "encrypted_session_data")                                    \
    X(SEALED_SESSION_PHONE, "telegram_sessions", "phone")                                                    \
    X(SEALED_CONTACT_ACCESS_HASH, "contacts", "access_hash")                                                 \
    X(SEALED_CONTACT_FIRST_NAME, "contacts", "first_name")                                                   \
    X(SEALED_CONTACT_LAST_NAME, "contacts", "last_name")                                                     \
    X(SEALED_CONTACT_USERNAME, "contacts", "username")                                                       \
    X(SEALED_CONTACT_PHONE, "contacts", "phone")                                                             \
    X(SEALED_INBOUND_TEXT, "inbound_messages", "text")                                                       \
    X(SEALED_CATEGORY, "customer_categories", "category")                                                    \
    X(SEALED_CONFIDENCE, "customer_categories", "confidence_score")                                          \
    X(SEALED_RECIPIENT_CODE, "recipients", "discount_code")                                                  \
    X(SEALED_DISCOUNT_CODE, "discount_codes", "code")                                                        \
    X(SEALED_META_VALUE, "meta", "value")                                                                    \
    X(SEALED_AUDIT_DETAILS, "contact_audit", "details")                                                      \
    X(SEALED_WEBHOOKS_SECRET, "webhooks", "secret")

enum store_sealed {
#define X(id, table, column) id,
    STORE_SEALED_COLUMNS(X)
#undef X
        SEALED__COUNT
};

#define SEALED_CURSOR_MAX  96
#define SEALED_ROW_KEY_MAX 160

/* One value of a sealed column, as sealed_scan reads it and sealed_replace writes it. */
struct sealed_row {
    char cursor[SEALED_CURSOR_MAX];   /* the row's place in the scan (its id or meta key), as text */
    char row_key[SEALED_ROW_KEY_MAX]; /* the seal row key its writers used */
    struct blob value;                /* as stored (meta: the base64url text, without a NUL) */
    struct blob fresh;                /* set by the caller: the replacement; empty = leave the row */
};
/* Release value and fresh. */
static inline void sealed_row_release(struct sealed_row *r)
{
    blob_release(&r->value);
    blob_release(&r->fresh);
}

#endif
