/* store_privacy — the rows of a person's export and erasure and of the account audit log (issue
 * 19; API.md "Privacy", "Audit log"), and the contracts of struct store's members that read and
 * write them (store.h lists the members; store/stmt_privacy.c holds their bodies, the statements
 * are in store/sql.h). Included by store.h after struct blob. The rules — what an erasure
 * removes, in which order, what an audit entry may say — are core/privacy.c and core/audit.c.
 * Layer: store. */
#ifndef TGR_STORE_PRIVACY_H
#define TGR_STORE_PRIVACY_H

#include <stdint.h>

/* The parts of a person that an erasure removes, each one statement ($1 account, $2 contact):
 *   CONTACT_PART_CLICKS    the link_clicks rows of the person's campaign messages (deleted)
 *   CONTACT_PART_INBOUND   the messages they wrote (deleted)
 *   CONTACT_PART_CATEGORY  their customer_categories row (deleted)
 *   CONTACT_PART_AUDIT     their contact_audit lines: opt-outs and their reasons, categories
 *   CONTACT_PART_ORDERS    orders linked to them, or naming them (their Telegram user id, phone
 *                          or username blind index) and linked to nobody, lose the link and the
 *                          customer fields; amounts and attribution stay. Reads the contact row,
 *                          so it comes before CONTACT_PART_CONTACT.
 *   CONTACT_PART_CODES     the sealed discount code on their campaign rows
 *   CONTACT_PART_LOGS      the sealed phone on their send log lines
 *   CONTACT_PART_CONTACT   the contact row keeps its id and nothing else: sealed fields, blind
 *                          indexes, times and marks cleared, tg_user_id "erased:<id>", erased_at
 *                          = now (a row already erased is not matched: DB_NONE). Every read of
 *                          contacts (get, pages, audiences) leaves such a row out. */
enum contact_part {
    CONTACT_PART_CLICKS,
    CONTACT_PART_INBOUND,
    CONTACT_PART_CATEGORY,
    CONTACT_PART_AUDIT,
    CONTACT_PART_ORDERS,
    CONTACT_PART_CODES,
    CONTACT_PART_LOGS,
    CONTACT_PART_CONTACT,
    CONTACT_PART_COUNT
};

/* One campaign message of a person (a recipients row) with its campaign's name, for the export. */
struct person_message {
    int64_t id, campaign_id;
    char *campaign_name; /* malloc'd */
    int step;
    char status[12];     /* as stored: pending sending sent failed skipped */
    char error_code[64]; /* a failure's code, a skip's reason; "" */
    int64_t created_at, sent_at, read_at, replied_at, clicked_at; /* unix ms, 0 until it happens */
    struct blob code; /* sealed discount code it carried (empty if none) */
};
void person_message_release(struct person_message *m);

/* One entry of the audit log. details: a JSON object as text, or NULL. */
#define AUDIT_ACTOR_MAX  12
#define AUDIT_IP_MAX     64
#define AUDIT_ACTION_MAX 48
#define AUDIT_TARGET_MAX 64
struct audit_row {
    int64_t id;         /* set by the store (audit_page); ignored by audit_add */
    int64_t account_id; /* 0: an entry of the instance (every account sees it) */
    int64_t at;         /* unix ms */
    char actor[AUDIT_ACTOR_MAX];
    char ip[AUDIT_IP_MAX]; /* "" when none */
    char action[AUDIT_ACTION_MAX];
    char target[AUDIT_TARGET_MAX]; /* "" when none */
    char *details;                 /* malloc'd in rows the store returns */
};
void audit_row_release(struct audit_row *e);

/* The contracts of the members (store.h):
 *   erasure_find        when the person whose Telegram user id has blind index bidx was last
 *                       erased from the account. @return DB_ONE (*at set), DB_NONE (never)
 *   erasure_put         record (or move forward to) an erasure of bidx at `at`.
 *   contact_purge       remove one part of the contact (enum contact_part above); now is the
 *                       erasure's time (CONTACT_PART_CONTACT). Join the caller's transaction.
 *                       @param[out] n rows deleted or changed (may be NULL)
 *                       @return DB_ONE (rows changed), DB_NONE (none), DB_SOFT, DB_HARD
 *   contact_messages    every campaign message (recipients row) of the contact, by id.
 *                       @param[out] rows malloc'd; person_message_release each, then free
 *   contact_orders      the orders linked to the contact, oldest first (no customer fields).
 *                       @param[out] rows malloc'd; free
 *   audit_add           append e (e->id ignored). Joins the caller's transaction, else a durable
 *                       one of its own. An UPDATE or DELETE of audit_log fails (triggers).
 *   audit_page          up to limit entries of the account and of the instance with id <
 *                       before_id (INT64_MAX: from the newest), newest first.
 *                       @param[out] rows malloc'd; audit_row_release each, then free
 *   scrub               make what deleted rows held unreadable from the database's files:
 *                       SQLite (which zeroes deleted content: secure_delete) copies its
 *                       write-ahead log into the database and truncates it. NULL on PostgreSQL,
 *                       whose old row versions stay in its files until VACUUM reuses the space
 *                       (docs/DECISIONS.md 69). @return DB_ONE, DB_SOFT (readers held the log:
 *                       try later), DB_HARD */

#endif
