/* store — the storage interface (DESIGN §2, STYLE §7).
 *
 * struct store is a table of function pointers that a backend instance starts with. Each
 * function is written once over a small statement runner (store/db.h, the statements in
 * store/sql.h, the functions in store/stmt_*.c); a backend (store/sqlite/ by default, store/pg/
 * for scale-out) keeps only its connections, its transactions and that runner. Callers above
 * only ever call these; no SQL and no backend type leaks out of this header. Every function over
 * tenant data takes account_id and filters on it, so a row of another account is simply not found.
 *
 * A store function is a data operation: one statement, or storage mechanics around one (a write
 * and the rows its RETURNING gives, a batched insert, a few fixed statements that are one step of
 * bookkeeping). It decides nothing: rules of several steps — what a send's outcome writes, which
 * message an order is credited to, a lease round's share — are in core/ (and cluster/ for
 * leases), composed inside txn, which runs them in one transaction of a kind (enum db_tx).
 *
 * Results (STYLE §6): DB_ONE a row was found / written; DB_NONE nothing matched (for inserts:
 * nothing written because the row exists); DB_SOFT a transient conflict (busy, serialization) —
 * retry; DB_HARD a failure that retrying will not fix (logged by the backend, never shown).
 * Layer: store (above base; below core, analytics, cluster, tg, engine, http). */
#ifndef TGR_STORE_H
#define TGR_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "store/segment.h" /* the rows of segments and scheduled starts */

enum db_status { DB_HARD = -2, DB_SOFT = -1, DB_NONE = 0, DB_ONE = 1 };

/* What kind of write transaction txn opens. TX_NORMAL: its commit does not wait for the disk
 * (PostgreSQL: SERIALIZABLE, synchronous_commit off); TX_DURABLE: it does (auth, money, the
 * outbox claim, a campaign start); TX_LEASE: a lease round, READ COMMITTED on PostgreSQL (as
 * SERIALIZABLE it would conflict with every other writer; its upserts are atomic per row, so two
 * instances never both own an account). TX_MIGRATE is the store's own (migrate). On SQLite
 * every kind is one writer; only TX_DURABLE and TX_MIGRATE commit with synchronous=FULL. A store
 * call made inside a transaction joins it, whatever kind it would open on its own. */
enum db_tx { TX_NORMAL, TX_DURABLE, TX_LEASE, TX_MIGRATE };

#define STORE_EMAIL_MAX 254
#define STORE_HASH_MAX  128

struct account {
    int64_t id;
    char email[STORE_EMAIL_MAX + 1];
    char plan_type[32];
    char password_hash[STORE_HASH_MAX];
    char timezone[64];
    int frequency_cap_days;
    int webhook_secret_set;
    int64_t created_at;     /* unix ms */
    int daily_send_limit;   /* campaign messages per local calendar day, 0 = no limit */
    int error_streak_limit; /* failures in a row with one code that pause a campaign (2–50) */
    int64_t token_gen;      /* tokens signed with a lower generation are refused (issue 17) */
};

/* A malloc'd byte string (sealed values). Release with blob_release(). */
struct blob {
    unsigned char *p;
    size_t len;
};
void blob_release(struct blob *b);

/* telegram_sessions row. status: none, code_sent, password_required, connected, invalid. */
struct tg_session {
    char status[20];
    struct blob session; /* sealed StringSession (pending while logging in) */
    struct blob phone;   /* sealed E.164 phone */
    char tg_user_id[24];
    int64_t updated_at;
    int64_t frozen_at; /* when Telegram froze the account (FROZEN_*), 0 when it is not */
};
void tg_session_release(struct tg_session *s);

/* contacts row; sealed fields as stored (seal row key "<account_id>:<tg_user_id>"). */
struct contact {
    int64_t id;
    char tg_user_id[24];
    struct blob access_hash, first_name, last_name, username, phone;
    char phone_bidx[40], username_bidx[40];
    int64_t first_inbound_at, last_inbound_at; /* unix ms, 0 if none */
    int64_t inbound_count;
    int64_t opted_out_at, blocked_at, deactivated_at;
    int64_t created_at, updated_at;
    int64_t orders_count, spent;       /* paid orders, minor units */
    struct blob category, confidence;  /* sealed customer_categories, read only; empty if none */
    int64_t privacy_restricted_at;     /* their privacy settings refused a message (0 if not) */
    int64_t charges_at, charges_stars; /* they charge Stars for messages: since, price (0 unknown) */
};
void contact_release(struct contact *c);

#define CAMPAIGN_MAX_MEDIA 1

/* campaigns row with its media. JSON columns are kept as text, validated by the handlers. */
struct campaign {
    int64_t id;
    char name[256];
    char *message_text;                    /* malloc'd */
    char status[16];                       /* draft running paused nudging completed cancelled */
    char *filters_json, *quiet_hours_json; /* malloc'd or NULL */
    char *nudges_json, *discount_json;     /* malloc'd or NULL; discount_json holds the mode only */
    int track_links, override_quiet_hours;
    int64_t created_at, updated_at, started_at, finished_at; /* unix ms, 0 if none */
    char pause_reason[40];
    char pause_code[64]; /* the error code of an error_streak pause, else "" */
    int64_t media_ids[CAMPAIGN_MAX_MEDIA];
    int n_media;
    int64_t start_at, segment_id; /* when a scheduled campaign starts; its saved segment (0 none) */
};
void campaign_release(struct campaign *c);

struct media_row {
    int64_t id;
    char kind[8], mime[32], sha256[65], storage_key[160];
    int64_t size, created_at;
};

/* A discount code of a campaign: sealed, with its blind index (codes are secrets until sent). */
struct discount_code_row {
    int64_t id;
    struct blob code;
    char code_bidx[40];
    int64_t recipient_id; /* 0 while unassigned */
};

/* Orders as stored, the orders list and attribution (store/store_orders.h). */
#include "store/store_orders.h" /* IWYU pragma: export */

/* One candidate of an audience query, with what the category filter needs. */
struct audience_row {
    int64_t contact_id;
    int64_t category_tag;             /* keyed tag of the category (seal_tag), 0 none */
    struct blob category, confidence; /* sealed, only without a tag; empty when never classified */
    int charges, privacy_restricted;  /* the contact's marks (core/audience.c leaves them out) */
    int opted_out, blocked;           /* held scans only (blocked: or deactivated) */
    int64_t last_sent_at;             /* held scans only: the latest campaign message, 0 none */
};

/* Filters of an audience query that SQL can apply (categories are sealed: filtered after). */
struct audience_query {
    int64_t min_last_inbound_at;    /* 0 = no limit */
    int64_t min_orders, max_orders; /* -1 = no limit */
    int64_t min_spent;              /* -1 = no limit */
    int64_t clicked_campaign;       /* 0 = none */
    int64_t not_replied_to_campaign;
    int64_t read_campaign, not_read_campaign, replied_to_campaign, bought_from_campaign;
    int64_t cap_since; /* contacts sent anything at or after this (unix ms) are skipped; 0 = none */
    int held;          /* 1: only the contacts the filters pass but the audience holds back */
};

/* The rows of sending: recipients, outcomes, step counters, log lines (store/store_send.h). */
#include "store/store_send.h" /* IWYU pragma: export */

/* The sealed columns, for key rotation (store/store_sealed.h). */
#include "store/store_sealed.h" /* IWYU pragma: export */

/* Results per person, timelines, the contact audit log (issue 16). */
#include "store/store_people.h" /* IWYU pragma: export */
/* A person's export and erasure, the audit log (issue 19). */
#include "store/store_privacy.h" /* IWYU pragma: export */

/* Outgoing webhooks: their rows and struct store_hooks (issue 19). */
#include "store/store_webhooks.h" /* IWYU pragma: export */

struct store {
    const char *backend; /* "sqlite" or "postgres" */

    /* Close every connection; in-flight calls must have returned. Frees the store. */
    void (*close)(struct store *st);

    /* Apply every embedded migration newer than the database's version, each in its own
     * transaction. Safe to run from several processes at once.
     * @param[out] applied how many were applied now (may be NULL) */
    TGR_MUST_CHECK enum db_status (*migrate)(struct store *st, int *applied);

    /* Cheap liveness check for /healthz. */
    TGR_MUST_CHECK enum db_status (*ping)(struct store *st);

    /* Create an account. a->email (lowercased), a->password_hash, a->plan_type are read;
     * api_key_hash is the keyed hash of the new API key. Durable (synchronous=FULL).
     * @param[out] id the new account id on DB_ONE
     * @return DB_ONE, DB_NONE if the email is taken, DB_SOFT, DB_HARD */
    TGR_MUST_CHECK enum db_status (*account_create)(struct store *st, const struct account *a,
                                                    const char *api_key_hash, int64_t *id);
    TGR_MUST_CHECK enum db_status (*account_by_email)(struct store *st, const char *email,
                                                      struct account *out);
    TGR_MUST_CHECK enum db_status (*account_by_api_key)(struct store *st, const char *api_key_hash,
                                                        struct account *out);
    TGR_MUST_CHECK enum db_status (*account_get)(struct store *st, int64_t id, struct account *out);
    /* Update the settings of a->id: timezone, frequency cap, daily send limit and error streak
     * limit (all always written). */
    TGR_MUST_CHECK enum db_status (*account_update)(struct store *st, const struct account *a);
    /* Replace the sealed webhook secret. */
    TGR_MUST_CHECK enum db_status (*account_set_webhook_secret)(struct store *st, int64_t id,
                                                                const unsigned char *sealed, size_t len);
    /* The sealed webhook secret. @param[out] out malloc'd; caller frees. */
    TGR_MUST_CHECK enum db_status (*account_webhook_secret)(struct store *st, int64_t id, unsigned char **out,
                                                            size_t *len);

    /* Run fn inside one write transaction of kind (enum db_tx). Store calls made by fn on this
     * thread join the transaction, and so does a txn inside fn. fn returning < 0 rolls everything
     * back; DB_SOFT, from fn or the transaction itself, runs fn again in a new transaction, up to
     * 3 more times: fn must be safe to run again and set its outputs afresh at its start.
     * @return what fn returned, or the commit's failure */
    TGR_MUST_CHECK enum db_status (*txn)(struct store *st, enum db_tx kind,
                                         enum db_status (*fn)(struct store *st, void *cls), void *cls);
    /* Run fn, which only reads, with its reads on this thread seeing one snapshot of the database:
     * numbers read by several statements agree, and on SQLite the reads cost less (one read
     * transaction, where each statement alone takes and drops the write-ahead log's read lock:
     * fcntl calls and a look at the wal-index). Inside a transaction, or inside read, fn just
     * runs. The PostgreSQL backend runs fn's statements as they come (READ COMMITTED each):
     * a snapshot there would cost two round trips more. @return what fn returned, or DB_HARD /
     * DB_SOFT when the snapshot could not be opened (then fn did not run) */
    TGR_MUST_CHECK enum db_status (*read)(struct store *st, enum db_status (*fn)(struct store *st, void *cls),
                                          void *cls);

    /* ---- Telegram sessions ---- */
    TGR_MUST_CHECK enum db_status (*session_get)(struct store *st, int64_t account_id,
                                                 struct tg_session *out);
    /* Insert or replace every field of the account's session row. */
    TGR_MUST_CHECK enum db_status (*session_put)(struct store *st, int64_t account_id,
                                                 const struct tg_session *s);
    TGR_MUST_CHECK enum db_status (*session_set_status)(struct store *st, int64_t account_id,
                                                        const char *status);
    /* Mark the account frozen since at (FROZEN_* answers), or not frozen (at 0).
     * @return DB_ONE when it changed, DB_NONE when it already was so (or there is no session) */
    TGR_MUST_CHECK enum db_status (*session_set_frozen)(struct store *st, int64_t account_id, int64_t at);
    TGR_MUST_CHECK enum db_status (*session_delete)(struct store *st, int64_t account_id);
    /* Accounts whose session is connected. @param[out] ids malloc'd; caller frees */
    TGR_MUST_CHECK enum db_status (*sessions_connected)(struct store *st, int64_t **ids, size_t *n);

    /* ---- contacts ---- */
    /* Insert (c->id = 0) or update (c->id set) a contact's identity fields: tg_user_id, the
     * sealed fields and blind indexes. @param[out] id the row id */
    TGR_MUST_CHECK enum db_status (*contact_save)(struct store *st, int64_t account_id,
                                                  const struct contact *c, int64_t *id);
    TGR_MUST_CHECK enum db_status (*contact_by_tg_id)(struct store *st, int64_t account_id,
                                                      const char *tg_user_id, struct contact *out);
    TGR_MUST_CHECK enum db_status (*contact_get)(struct store *st, int64_t account_id, int64_t id,
                                                 struct contact *out);
    /* What a message needs of contact id (the engine's send): its id, tg_user_id, sealed access
     * hash and first name, and opted_out_at; the rest of out is empty. Release with contact_release.
     * @return DB_ONE, DB_NONE (unknown or erased) */
    TGR_MUST_CHECK enum db_status (*contact_address)(struct store *st, int64_t account_id, int64_t id,
                                                     struct contact *out);
    /* Up to limit contacts with id > after_id, by id. @param[out] rows malloc'd array; release
     * each with contact_release and free the array */
    TGR_MUST_CHECK enum db_status (*contacts_page)(struct store *st, int64_t account_id, int64_t after_id,
                                                   int limit, struct contact **rows, size_t *n);
    /* Record an inbound message (ignored if (contact, tg_message_id) exists) and update the
     * contact's first/last inbound time and count. @return DB_ONE if new, DB_NONE if known */
    TGR_MUST_CHECK enum db_status (*inbound_add)(struct store *st, int64_t account_id, int64_t contact_id,
                                                 int64_t tg_message_id, const struct blob *sealed_text,
                                                 int64_t date_ms);
    /* The two halves of inbound_add, for a caller that records several messages of one contact in
     * its transaction and counts them once (the sync, DECISIONS 79): the message alone
     * (@return DB_ONE if new, DB_NONE if known), then n new messages sent between first_ms and
     * last_ms counted on the contact. */
    TGR_MUST_CHECK enum db_status (*inbound_insert)(struct store *st, int64_t account_id, int64_t contact_id,
                                                    int64_t tg_message_id, const struct blob *sealed_text,
                                                    int64_t date_ms);
    TGR_MUST_CHECK enum db_status (*inbound_count)(struct store *st, int64_t account_id, int64_t contact_id,
                                                   int64_t n, int64_t first_ms, int64_t last_ms);

    /* ---- campaigns ---- */
    /* Insert c (status draft) with its media list and an empty analytics row. */
    TGR_MUST_CHECK enum db_status (*campaign_create)(struct store *st, int64_t account_id,
                                                     const struct campaign *c, int64_t *id);
    TGR_MUST_CHECK enum db_status (*campaign_get)(struct store *st, int64_t account_id, int64_t id,
                                                  struct campaign *out);
    /* Every campaign of the account, newest first. @param[out] rows malloc'd; release each */
    TGR_MUST_CHECK enum db_status (*campaign_list)(struct store *st, int64_t account_id,
                                                   struct campaign **rows, size_t *n);
    /* Replace the editable fields (name, texts, JSON columns, track_links, media) of a campaign
     * whose status is one of the allowed ("draft", "paused"). DB_NONE: missing or not allowed. */
    TGR_MUST_CHECK enum db_status (*campaign_update)(struct store *st, int64_t account_id,
                                                     const struct campaign *c);
    /* Delete a draft campaign and everything hanging off it. DB_NONE: missing or not a draft. */
    TGR_MUST_CHECK enum db_status (*campaign_delete)(struct store *st, int64_t account_id, int64_t id);

    /* ---- discount codes ---- */
    /* Replace the unassigned codes of a campaign with codes[0..n). */
    TGR_MUST_CHECK enum db_status (*codes_replace)(struct store *st, int64_t account_id, int64_t campaign_id,
                                                   const struct discount_code_row *codes, size_t n);
    /* Every code of a campaign. @param[out] rows malloc'd; blob_release each code, free */
    TGR_MUST_CHECK enum db_status (*codes_list)(struct store *st, int64_t account_id, int64_t campaign_id,
                                                struct discount_code_row **rows, size_t *n);
    /* Give recipient_id a code: the one it already has, else the first free one.
     * @return DB_ONE with *out (caller releases out->code), DB_NONE when the pool is empty */
    TGR_MUST_CHECK enum db_status (*code_assign)(struct store *st, int64_t account_id, int64_t campaign_id,
                                                 int64_t recipient_id, struct discount_code_row *out);

    /* ---- tracked links ---- */
    /* The link row of (campaign, url), created if missing. */
    TGR_MUST_CHECK enum db_status (*link_ensure)(struct store *st, int64_t account_id, int64_t campaign_id,
                                                 const char *url, int64_t *link_id);

    /* A tracked link by id (public: no account given). @param[out] url malloc'd on DB_ONE */
    TGR_MUST_CHECK enum db_status (*link_get)(struct store *st, int64_t link_id, int64_t *account_id,
                                              int64_t *campaign_id, char **url);

    /* ---- clicks (the rule: core/outcome.c clicks_record) ---- */
    /* Has recipient_id clicked link_id before? @return DB_ONE (yes), DB_NONE */
    TGR_MUST_CHECK enum db_status (*click_seen)(struct store *st, int64_t account_id, int64_t link_id,
                                                int64_t recipient_id);
    /* Insert a link_clicks row at `at` (recipient 0: none). */
    TGR_MUST_CHECK enum db_status (*click_add)(struct store *st, int64_t account_id, int64_t link_id,
                                               int64_t recipient_id, int64_t at);
    /* Set a recipient's clicked_at to at if it has none (and the row is of campaign_id).
     * @param[out] step the row's step on DB_ONE @return DB_ONE (its first click), DB_NONE */
    TGR_MUST_CHECK enum db_status (*recipient_mark_clicked)(struct store *st, int64_t account_id,
                                                            int64_t recipient_id, int64_t campaign_id,
                                                            int64_t at, int *step);
    /* Add a click to a link's clicks, and unique (0 or 1) to its unique clicks. */
    TGR_MUST_CHECK enum db_status (*link_count_click)(struct store *st, int64_t link_id, int unique);
    /* Add a click to a campaign's clicks, and unique (0 or 1) to its unique clicks. */
    TGR_MUST_CHECK enum db_status (*campaign_count_click)(struct store *st, int64_t account_id,
                                                          int64_t campaign_id, int unique);

    /* ---- media ---- */
    /* Insert, or find the row with the same sha256 (DB_NONE then, *out filled). */
    TGR_MUST_CHECK enum db_status (*media_add)(struct store *st, int64_t account_id,
                                               const struct media_row *m, struct media_row *out);
    TGR_MUST_CHECK enum db_status (*media_get)(struct store *st, int64_t account_id, int64_t id,
                                               struct media_row *out);

    /* ---- orders ---- */
    TGR_MUST_CHECK enum db_status (*order_get)(struct store *st, int64_t account_id, const char *order_id,
                                               struct order_row *out);
    /* Insert a new order (DB_NONE if order_id exists) or, with o->id set, update its status. */
    TGR_MUST_CHECK enum db_status (*order_save)(struct store *st, int64_t account_id,
                                                const struct order_row *o, int64_t *id);
    /* Link orders that name this customer but have no contact yet. @param[out] linked count */
    TGR_MUST_CHECK enum db_status (*orders_link_contact)(struct store *st, int64_t account_id,
                                                         int64_t contact_id, const char *tg_user_id,
                                                         const char *phone_bidx, const char *username_bidx,
                                                         int *linked);

    /* ---- attribution's reads and writes (the rule: core/attribution.c) ---- */
    /* Recipient row recipient_id, if it was sent. @return DB_ONE with *out, DB_NONE */
    TGR_MUST_CHECK enum db_status (*sent_message_get)(struct store *st, int64_t account_id,
                                                      int64_t recipient_id, struct sent_message *out);
    /* The latest message sent to contact_id with from <= sent_at <= to, of campaign_id (0: of any
     * campaign); the higher id first among equal times. @return DB_ONE with *out, DB_NONE */
    TGR_MUST_CHECK enum db_status (*sent_message_latest)(struct store *st, int64_t account_id,
                                                         int64_t contact_id, int64_t from, int64_t to,
                                                         int64_t campaign_id, struct sent_message *out);
    /* Is link_id a tracked link of campaign_id? @return DB_ONE (yes), DB_NONE */
    TGR_MUST_CHECK enum db_status (*link_in_campaign)(struct store *st, int64_t account_id, int64_t link_id,
                                                      int64_t campaign_id);
    /* The newest discount code of any campaign with blind index code_bidx: its id, campaign and
     * the recipient it was given to (0 for none: a static code). @return DB_ONE, DB_NONE */
    TGR_MUST_CHECK enum db_status (*code_by_bidx)(struct store *st, int64_t account_id, const char *code_bidx,
                                                  int64_t *code_id, int64_t *campaign_id,
                                                  int64_t *recipient_id);
    /* The id of campaign_id's code with blind index code_bidx. @return DB_ONE, DB_NONE */
    TGR_MUST_CHECK enum db_status (*code_in_campaign)(struct store *st, int64_t account_id,
                                                      int64_t campaign_id, const char *code_bidx,
                                                      int64_t *code_id);
    /* Write a's campaign, recipient, link, step, code and by on order row order_row_id. Durable. */
    TGR_MUST_CHECK enum db_status (*order_set_attribution)(struct store *st, int64_t account_id,
                                                           int64_t order_row_id, const struct attribution *a);
    /* Add revenue and orders (negative to reverse) to a campaign's totals. Durable. */
    TGR_MUST_CHECK enum db_status (*campaign_revenue_add)(struct store *st, int64_t account_id,
                                                          int64_t campaign_id, int64_t revenue,
                                                          int64_t orders);
    /* Add revenue to a tracked link's revenue. Durable. */
    TGR_MUST_CHECK enum db_status (*link_revenue_add)(struct store *st, int64_t account_id, int64_t link_id,
                                                      int64_t revenue);
    /* Add orders and revenue to a campaign's sum of kind ("step", "link", "code") at key (the
     * step, link id or code id), created at zero if missing. Durable. */
    TGR_MUST_CHECK enum db_status (*revenue_by_add)(struct store *st, int64_t account_id, int64_t campaign_id,
                                                    const char *kind, int64_t key, int64_t orders,
                                                    int64_t revenue);
    /* Campaign-attributed paid revenue in [from, to) in one currency, grouped into buckets of
     * bucket_ms (bucket start = floor((t + offset_ms) / bucket_ms) * bucket_ms - offset_ms).
     * fn(cls, bucket_start_ms, revenue, orders) per non-empty bucket, in time order. */
    TGR_MUST_CHECK enum db_status (*revenue_series)(
        struct store *st, int64_t account_id, int64_t from, int64_t to, const char *currency,
        int64_t bucket_ms, int64_t offset_ms,
        void (*fn)(void *cls, int64_t t, int64_t revenue, int64_t orders), void *cls);
    /* The same revenue per campaign, largest first: fn(cls, campaign_id, name, revenue, orders). */
    TGR_MUST_CHECK enum db_status (*revenue_campaigns)(
        struct store *st, int64_t account_id, int64_t from, int64_t to, const char *currency,
        void (*fn)(void *cls, int64_t id, const char *name, int64_t revenue, int64_t orders), void *cls);
    /* The most used currency of the account's orders in [from, to) ("" when none). */
    TGR_MUST_CHECK enum db_status (*revenue_currency)(struct store *st, int64_t account_id, int64_t from,
                                                      int64_t to, char out[4]);
    /* Count one more order of the account in currency (three capital letters); the rule of which
     * orders count is core/orders.c's. Durable, inside the order's transaction. */
    TGR_MUST_CHECK enum db_status (*currency_count)(struct store *st, int64_t account_id,
                                                    const char *currency);
    /* The account's currency: the one most of its counted orders use (ties: the first in
     * alphabetical order); "" and DB_NONE when it has none. One primary-key range read. */
    TGR_MUST_CHECK enum db_status (*account_currency)(struct store *st, int64_t account_id, char out[4]);
    /* The contact's latest paid order. */
    TGR_MUST_CHECK enum db_status (*order_latest_paid)(struct store *st, int64_t account_id,
                                                       int64_t contact_id, struct order_row *out);
    /* Paid and refunded order counts of a contact. */
    TGR_MUST_CHECK enum db_status (*order_counts)(struct store *st, int64_t account_id, int64_t contact_id,
                                                  int *paid, int *refunded);
    /* A contact by the blind index of its phone or username (column "phone" or "username"). */
    TGR_MUST_CHECK enum db_status (*contact_by_bidx)(struct store *st, int64_t account_id, const char *column,
                                                     const char *bidx, struct contact *out);

    /* ---- categories ---- */
    /* Up to limit newest inbound message texts (sealed) of a contact, oldest first, with their
     * Telegram message ids (the row key needs them). @param[out] rows malloc'd; release blobs */
    TGR_MUST_CHECK enum db_status (*inbound_recent)(struct store *st, int64_t account_id, int64_t contact_id,
                                                    int limit, struct blob **texts, int64_t **message_ids,
                                                    size_t *n);
    /* A contact's sealed category and confidence, and the category's tag on the contact (0: none),
     * in one write. */
    TGR_MUST_CHECK enum db_status (*category_put)(struct store *st, int64_t account_id, int64_t contact_id,
                                                  const struct blob *category, const struct blob *confidence,
                                                  int64_t category_tag);
    /* Calls fn for every contact of the account that passes q (q->held: that q's filters pass but
     * the audience holds back), with its sealed category. Stops early when fn returns non-zero. */
    TGR_MUST_CHECK enum db_status (*audience_scan)(struct store *st, int64_t account_id,
                                                   const struct audience_query *q,
                                                   int (*fn)(void *cls, const struct audience_row *row),
                                                   void *cls);

    /* ---- the send engine ---- */
    /* Remember the audience's category breakdown at start (browser, buyer, refund_risk). */
    TGR_MUST_CHECK enum db_status (*campaign_set_categories)(struct store *st, int64_t account_id,
                                                             int64_t campaign_id, const int64_t counts[3]);
    /* A running campaign of the account other than campaign_id (the rule of one at a time is
     * core/launch.c's). @param[out] running_id @return DB_ONE (there is one), DB_NONE */
    TGR_MUST_CHECK enum db_status (*campaign_running_other)(struct store *st, int64_t account_id,
                                                            int64_t campaign_id, int64_t *running_id);
    /* Status from ("draft", "paused") → running, clearing the pause reason, setting
     * override_quiet_hours and started_at (kept if set). @return DB_ONE, DB_NONE (not in from) */
    TGR_MUST_CHECK enum db_status (*campaign_set_running)(struct store *st, int64_t account_id,
                                                          int64_t campaign_id, const char *from,
                                                          int override_quiet_hours, int64_t now);
    /* Insert a pending step-0 row per contact, in the order given (a contact already a recipient
     * is left alone), 5,000 to a statement, in one transaction. @param[out] inserted rows new */
    TGR_MUST_CHECK enum db_status (*recipients_insert)(struct store *st, int64_t account_id,
                                                       int64_t campaign_id, const int64_t *contact_ids,
                                                       size_t n, int64_t now, int64_t *inserted);
    /* Add d to the counters of (campaign, step), creating its row. */
    TGR_MUST_CHECK enum db_status (*step_bump)(struct store *st, int64_t account_id, int64_t campaign_id,
                                               int step, const struct step_delta *d);
    /* Set status (and pause_reason, NULL to clear) when the current status is one of from
     * (comma-separated, e.g. "running,nudging"). finished_at is set for completed/cancelled.
     * @return DB_ONE, DB_NONE (status was not one of from) */
    TGR_MUST_CHECK enum db_status (*campaign_transition)(struct store *st, int64_t account_id,
                                                         int64_t campaign_id, const char *from,
                                                         const char *to, const char *reason);
    /* Set override_quiet_hours. */
    TGR_MUST_CHECK enum db_status (*campaign_set_override)(struct store *st, int64_t account_id,
                                                           int64_t campaign_id, int on);
    /* Replace the nudge plan (nudge_settings_json). */
    TGR_MUST_CHECK enum db_status (*campaign_set_nudges)(struct store *st, int64_t account_id,
                                                         int64_t campaign_id, const char *nudges_json);
    /* Pause every running or nudging campaign of the account with reason. */
    TGR_MUST_CHECK enum db_status (*campaigns_pause_all)(struct store *st, int64_t account_id,
                                                         const char *reason);
    /* The error code of a paused campaign's pause (error_streak); any other pause clears it. */
    TGR_MUST_CHECK enum db_status (*campaign_set_pause_code)(struct store *st, int64_t account_id,
                                                             int64_t campaign_id, const char *code);
    /* Campaign messages (every step) the account sent at or after since (unix ms). */
    TGR_MUST_CHECK enum db_status (*sent_since)(struct store *st, int64_t account_id, int64_t since,
                                                int64_t *n);
    /* Accounts with a running or nudging campaign. @param[out] ids malloc'd */
    TGR_MUST_CHECK enum db_status (*accounts_sending)(struct store *st, int64_t **ids, size_t *n);
    /* Every account's campaigns by status (an operators' gauge): fn(cls, status, n) for each
     * status that has any. @return DB_ONE (rows or none), DB_SOFT, DB_HARD */
    TGR_MUST_CHECK enum db_status (*campaigns_by_status)(struct store *st,
                                                         void (*fn)(void *cls, const char *status, int64_t n),
                                                         void *cls);
    /* The outbox depth of every account (an operators' gauge): messages still to send — rows not
     * sent, failed nor skipped — of running and nudging campaigns, from the per-step counters. */
    TGR_MUST_CHECK enum db_status (*outbox_depth)(struct store *st, int64_t *n);
    /* Campaigns of the account in status (e.g. "nudging"). @param[out] ids malloc'd */
    TGR_MUST_CHECK enum db_status (*campaigns_in_status)(struct store *st, int64_t account_id,
                                                         const char *status, int64_t **ids, size_t *n);
    /* The next message to send for the account: a 'sending' row left by a crash first, then the
     * pending row due soonest (next_attempt_at <= now) of its running/nudging campaigns.
     * @return DB_ONE, DB_NONE (nothing due) */
    TGR_MUST_CHECK enum db_status (*recipient_next)(struct store *st, int64_t account_id, int64_t now,
                                                    struct recipient *out);
    /* Up to cap of the account's next messages, in recipient_next's order: its 'sending' rows, then
     * its pending rows due at now; only the pending ones when pending_only (the caller holds
     * every 'sending' row of the account: a single index range, no sort). @param[out] n rows
     * written to out
     * @param[out] addr NULL, or cap contacts: each row's as contact_address reads it (id 0 when
     *             it cannot be addressed); release each of the cap with contact_release
     * @return DB_ONE, DB_NONE (nothing due) */
    TGR_MUST_CHECK enum db_status (*recipients_next)(struct store *st, int64_t account_id, int64_t now,
                                                     int pending_only, struct recipient *out,
                                                     struct contact *addr, size_t cap, size_t *n);
    /* Earliest next_attempt_at of pending rows of running/nudging campaigns (0 if none). */
    TGR_MUST_CHECK enum db_status (*recipient_next_at)(struct store *st, int64_t account_id, int64_t *at);
    /* pending → sending with its random_id (never changed afterwards) and its sealed code.
     * Durable (synchronous=FULL): it must survive power loss before the bridge call. */
    TGR_MUST_CHECK enum db_status (*recipient_claim)(struct store *st, int64_t account_id,
                                                     int64_t recipient_id, const char *random_id,
                                                     const struct blob *code);
    /* sending → pending, undoing a claim whose message was never handed to Telegram (its random_id
     * and code stay). @return DB_ONE, DB_NONE (the row was not 'sending') */
    TGR_MUST_CHECK enum db_status (*recipient_unclaim)(struct store *st, int64_t account_id,
                                                       int64_t recipient_id);
    /* The sealed discount code stored with a recipient (empty blob if none). */
    TGR_MUST_CHECK enum db_status (*recipient_code)(struct store *st, int64_t account_id,
                                                    int64_t recipient_id, struct blob *out);
    /* Write o on its recipient row: status, Telegram message id (when set), error code, next
     * attempt, and sent_at = now when sent (the rule: core/outcome.c recipient_finish). */
    TGR_MUST_CHECK enum db_status (*recipient_set_outcome)(struct store *st, int64_t account_id,
                                                           const struct send_outcome *o, int64_t now);
    /* Append o's log line at now: its log status, details, step, attempt and error code. */
    TGR_MUST_CHECK enum db_status (*log_outcome)(struct store *st, int64_t account_id,
                                                 const struct send_outcome *o, int64_t now);
    /* Count one message sent (sent 1) or failed (sent 0) in the campaign's totals. */
    TGR_MUST_CHECK enum db_status (*campaign_count_result)(struct store *st, int64_t account_id,
                                                           int64_t campaign_id, int sent, int64_t now);
    /* The same for n messages sent at once (DECISIONS 82, 94): their rows 'sent'
     * (recipient_set_outcome), their log lines (log_outcome); and the counts of counts[0..k),
     * each (campaign, step) once, added to the campaigns' totals (campaign_count_result) and the
     * steps' sent counters (step_bump). As the backend does many rows best (db.h row_sets). */
    TGR_MUST_CHECK enum db_status (*recipients_sent)(struct store *st, const struct outbox_row *rows,
                                                     size_t n, int64_t now);
    TGR_MUST_CHECK enum db_status (*logs_sent)(struct store *st, const struct outbox_row *rows, size_t n,
                                               int64_t now);
    TGR_MUST_CHECK enum db_status (*campaigns_count_sent)(struct store *st, const struct sent_count *counts,
                                                          size_t k, int64_t now);
    TGR_MUST_CHECK enum db_status (*steps_count_sent)(struct store *st, const struct sent_count *counts,
                                                      size_t k);
    /* recipient_claim of n rows without a discount code in one statement; rows[i].claimed says
     * which were. Durable as recipient_claim. @return DB_ONE (some claimed), DB_NONE, failure */
    TGR_MUST_CHECK enum db_status (*recipients_claim)(struct store *st, struct outbox_row *rows, size_t n);
    /* Count one failure of the campaign with Telegram's code. */
    TGR_MUST_CHECK enum db_status (*campaign_failure_add)(struct store *st, int64_t account_id,
                                                          int64_t campaign_id, const char *code);
    /* Rows of a campaign still to do at step (pending or sending). */
    TGR_MUST_CHECK enum db_status (*campaign_open_rows)(struct store *st, int64_t account_id,
                                                        int64_t campaign_id, int step, int64_t *n);
    /* Create the rows of nudge step: one for every recipient of step-1 of the campaign sent at or
     * before sent_before that has none yet — pending where condition ("no_reply", "no_click",
     * "no_reply_no_click") holds, skipped (with the reason) where it does not or the contact is
     * opted out, blocked or deactivated. @param[out] out the new rows per (campaign, step) */
    TGR_MUST_CHECK enum db_status (*nudge_rows_create)(struct store *st, int64_t account_id,
                                                       int64_t campaign_id, int step, const char *condition,
                                                       int64_t sent_before, int64_t now,
                                                       struct step_tally *out);
    /* Step-1 rows sent up to sent_before have their step rows now (nudge_next_due reads it). */
    TGR_MUST_CHECK enum db_status (*nudge_scheduled_through)(struct store *st, int64_t account_id,
                                                             int64_t campaign_id, int step,
                                                             int64_t sent_before);
    /* When the next step-1 row becomes due for a nudge: the earliest sent_at of step-1 rows sent
     * without a step row yet (0 if none). */
    TGR_MUST_CHECK enum db_status (*nudge_next_due)(struct store *st, int64_t account_id, int64_t campaign_id,
                                                    int step, int64_t *sent_at);
    /* Append a campaign log line (pause, resume, quiet hours…). */
    TGR_MUST_CHECK enum db_status (*log_add)(struct store *st, int64_t account_id, int64_t campaign_id,
                                             int64_t contact_id, int step, const char *status,
                                             const char *error_code, const char *details);
    /* Log lines with id > after, oldest first, at most limit. @param[out] rows malloc'd */
    TGR_MUST_CHECK enum db_status (*logs_page)(struct store *st, int64_t account_id, int64_t campaign_id,
                                               int64_t after, int limit, struct log_row **rows, size_t *n);
    TGR_MUST_CHECK enum db_status (*campaign_counts)(struct store *st, int64_t account_id,
                                                     int64_t campaign_id, struct campaign_counts *out);
    /* Failed messages by Telegram's reason: fn(cls, code, n), most frequent first. */
    TGR_MUST_CHECK enum db_status (*campaign_failures)(struct store *st, int64_t account_id,
                                                       int64_t campaign_id,
                                                       void (*fn)(void *cls, const char *code, int64_t n),
                                                       void *cls);
    /* ---- scorecard ---- */
    /* Per step of a campaign: sent, replied and clicked rows. */
    TGR_MUST_CHECK enum db_status (*step_counts)(struct store *st, int64_t account_id, int64_t campaign_id,
                                                 int step, int64_t *sent, int64_t *replied, int64_t *clicked);
    /* The campaign's tracked links: fn(cls, link_id, url, clicks, unique_clicks, revenue). */
    TGR_MUST_CHECK enum db_status (*link_stats)(struct store *st, int64_t account_id, int64_t campaign_id,
                                                void (*fn)(void *cls, int64_t id, const char *url,
                                                           int64_t clicks, int64_t unique, int64_t revenue),
                                                void *cls);
    /* Revenue rows of kind "step", "link" or "code": fn(cls, key, orders, revenue). */
    TGR_MUST_CHECK enum db_status (*revenue_rows)(
        struct store *st, int64_t account_id, int64_t campaign_id, const char *kind,
        void (*fn)(void *cls, int64_t key, int64_t orders, int64_t revenue), void *cls);
    /* A discount code row by id (sealed code). */
    TGR_MUST_CHECK enum db_status (*code_get)(struct store *st, int64_t account_id, int64_t code_id,
                                              struct discount_code_row *out);
    /* read_at times of a campaign's messages: fn(cls, read_at_ms). */
    TGR_MUST_CHECK enum db_status (*read_times)(struct store *st, int64_t account_id, int64_t campaign_id,
                                                void (*fn)(void *cls, int64_t at), void *cls);

    /* ---- what customers do (the rules: core/outcome.c) ---- */
    /* Sent rows to the contact with sent_at >= since and no reply yet get replied_at = now.
     * @param[out] out the rows marked, per (campaign, step) */
    TGR_MUST_CHECK enum db_status (*recipients_mark_replied)(struct store *st, int64_t account_id,
                                                             int64_t contact_id, int64_t since, int64_t now,
                                                             struct step_tally *out);
    /* Sent rows to the contact with tg_message_id <= max_id and not read yet get read_at = now.
     * @param[out] out the rows marked, per (campaign, step) */
    TGR_MUST_CHECK enum db_status (*recipients_mark_read)(struct store *st, int64_t account_id,
                                                          int64_t contact_id, int64_t max_id, int64_t now,
                                                          struct step_tally *out);
    /* The contact's pending rows of step min_step and later become skipped with reason.
     * @param[out] out the rows skipped, per (campaign, step) */
    TGR_MUST_CHECK enum db_status (*recipients_skip_pending)(struct store *st, int64_t account_id,
                                                             int64_t contact_id, const char *reason,
                                                             int min_step, struct step_tally *out);
    /* Mark a contact as send_outcome.mark_contact says: 1 blocked, 2 deactivated, 3 privacy
     * restricted, 4 charges Stars for messages with stars the price (0: not given; a known price
     * is kept) — the first time of each is kept.
     * @return DB_ONE, DB_NONE (no such contact), DB_HARD for another mark */
    TGR_MUST_CHECK enum db_status (*contact_mark)(struct store *st, int64_t account_id, int64_t contact_id,
                                                  int mark, int64_t stars, int64_t now);
    /* The contact opts out at now. @return DB_ONE, DB_NONE (already opted out, or no such contact) */
    TGR_MUST_CHECK enum db_status (*contact_set_opted_out)(struct store *st, int64_t account_id,
                                                           int64_t contact_id, int64_t now);
    /* Count an opt-out once in every campaign that sent the contact a message. */
    TGR_MUST_CHECK enum db_status (*campaigns_count_opt_out)(struct store *st, int64_t account_id,
                                                             int64_t contact_id);

    /* ---- segments and scheduled starts (store/segment.h; rules: core/segments.c, core/schedule.c) ----
     * segment_save: insert s (s->id 0; *id gets its id) or replace s->id's name and filters. */
    TGR_MUST_CHECK enum db_status (*segment_save)(struct store *st, int64_t account_id,
                                                  const struct segment *s, int64_t *id);
    TGR_MUST_CHECK enum db_status (*segment_get)(struct store *st, int64_t account_id, int64_t id,
                                                 struct segment *out);
    /* The account's segments by id (rows malloc'd), and the campaigns that name one in statuses
     * ("draft,scheduled"). */
    TGR_MUST_CHECK enum db_status (*segment_list)(struct store *st, int64_t account_id, struct segment **rows,
                                                  size_t *n);
    TGR_MUST_CHECK enum db_status (*segment_delete)(struct store *st, int64_t account_id, int64_t id);
    TGR_MUST_CHECK enum db_status (*segment_campaigns)(struct store *st, int64_t account_id,
                                                       int64_t segment_id, const char *statuses, int64_t *n);
    /* Write the campaign's segment (0: none) and filters (NULL: none); its start_at (0: none) and
     * override_quiet_hours. */
    TGR_MUST_CHECK enum db_status (*campaign_set_audience)(struct store *st, int64_t account_id, int64_t id,
                                                           int64_t segment_id, const char *filters_json);
    TGR_MUST_CHECK enum db_status (*campaign_set_start)(struct store *st, int64_t account_id, int64_t id,
                                                        int64_t start_at, int override_quiet_hours);
    /* Scheduled campaigns of every account with start_at <= until, soonest first (rows malloc'd). */
    TGR_MUST_CHECK enum db_status (*campaigns_scheduled)(struct store *st, int64_t until, int limit,
                                                         struct scheduled_start **rows, size_t *n);

    /* ---- engine leases (several instances on one database, DESIGN §4) ----
     * Each connected account is owned by one instance at a time through a lease row: only the
     * owner runs its Telegram client (one session on two connections is AUTH_KEY_DUPLICATED)
     * and sends for it
     * (engine_leases: account_id, owner, expires_at, epoch). Instances say they are alive in
     * engine_instances, so a newcomer takes only its fair share of the unowned accounts (the
     * round's rule: cluster/cluster.c). Lease writes run as TX_LEASE on their own. */
    /* The bookkeeping that starts a round: record instance alive at now, forget instances unseen
     * for 10 ttl_ms, renew every lease it holds to now + ttl_ms, drop its leases of accounts
     * without a connected session. */
    TGR_MUST_CHECK enum db_status (*lease_refresh)(struct store *st, const char *instance, int64_t now,
                                                   int64_t ttl_ms);
    /* Instances seen within ttl_ms before now (live), leases instance holds (held), accounts with
     * a connected session (sending). */
    TGR_MUST_CHECK enum db_status (*lease_counts)(struct store *st, const char *instance, int64_t now,
                                                  int64_t ttl_ms, int64_t *live, int64_t *held,
                                                  int64_t *sending);
    /* Hand n of instance's leases over, highest account ids first: renamed "<instance>:shed",
     * renewed by nobody, they expire at until. */
    TGR_MUST_CHECK enum db_status (*lease_shed)(struct store *st, const char *instance, int64_t until,
                                                int64_t n);
    /* The lease of account_id that instance shed is free now (its client there has stopped).
     * DB_ONE when freed, DB_NONE when the lease is not "<instance>:shed" (any more). */
    TGR_MUST_CHECK enum db_status (*lease_handed)(struct store *st, const char *instance, int64_t account_id);
    /* Take up to n unowned or expired leases of connected accounts, lowest ids first, until
     * now + ttl_ms. @param[out] taken how many */
    TGR_MUST_CHECK enum db_status (*lease_take)(struct store *st, const char *instance, int64_t now,
                                                int64_t ttl_ms, int64_t n, int64_t *taken);
    /* The accounts instance holds an unexpired lease of, ascending. @param[out] ids malloc'd */
    TGR_MUST_CHECK enum db_status (*leases_owned)(struct store *st, const char *instance, int64_t now,
                                                  int64_t **ids, size_t *n);
    /* A clean shutdown: drop every lease of instance and its alive row, so others take over at
     * once instead of after the lease runs out. */
    TGR_MUST_CHECK enum db_status (*leases_release)(struct store *st, const char *instance);
    /* Make instance the account's owner now, whoever held it (a login just made the account's
     * client on this instance). */
    TGR_MUST_CHECK enum db_status (*lease_force)(struct store *st, const char *instance, int64_t account_id,
                                                 int64_t now, int64_t ttl_ms);
    /* The instance holding an unexpired lease of the account. @return DB_ONE, DB_NONE (nobody) */
    TGR_MUST_CHECK enum db_status (*lease_owner)(struct store *st, int64_t account_id, int64_t now, char *out,
                                                 size_t cap);

    /* ---- nudging other instances (PostgreSQL LISTEN/NOTIFY; NULL on backends without it, where
     * instances notice changes by polling) ---- */
    /* Send payload on channel to every instance listening (delivered after commit). */
    TGR_MUST_CHECK enum db_status (*notify)(struct store *st, const char *channel, const char *payload);
    /* Call fn(cls, payload) on a thread of the store's own for every notification on channel,
     * until close; after a lost connection is restored, fn(cls, "") says some may have been
     * missed. One listener per store; fn NULL stops it (and waits until fn is no longer running).
     * @return DB_ONE, or DB_HARD */
    TGR_MUST_CHECK enum db_status (*listen)(struct store *st, const char *channel,
                                            void (*fn)(void *cls, const char *payload), void *cls);

    /* Instance-wide settings (not tenant data): small key → value strings. */
    TGR_MUST_CHECK enum db_status (*meta_get)(struct store *st, const char *key, char *out, size_t cap);
    TGR_MUST_CHECK enum db_status (*meta_set)(struct store *st, const char *key, const char *value);
    TGR_MUST_CHECK enum db_status (*meta_delete)(struct store *st, const char *key);

    /* ---- key rotation ---- */
    /* Up to limit non-NULL values of a sealed column whose cursor is after `after` ("" = from
     * the start), in cursor order; a single read, so it sees what is committed.
     * @param[out] rows malloc'd; sealed_row_release each, then free
     * @return DB_ONE (rows), DB_NONE (the end), DB_HARD */
    TGR_MUST_CHECK enum db_status (*sealed_scan)(struct store *st, enum store_sealed col, const char *after,
                                                 int limit, struct sealed_row **rows, size_t *n);
    /* In one durable write transaction, write rows[i].fresh over every row whose fresh is set,
     * only where the column still holds rows[i].value (a row the server rewrote in between is
     * left alone: it is looked at again by the next pass).
     * @param[out] replaced how many rows were written
     * @return DB_ONE, DB_SOFT, DB_HARD (nothing written) */
    TGR_MUST_CHECK enum db_status (*sealed_replace)(struct store *st, enum store_sealed col,
                                                    const struct sealed_row *rows, size_t n,
                                                    size_t *replaced);

    /* ---- results per person, timelines, the contact audit (contracts: store/store_people.h) ---- */
    TGR_MUST_CHECK enum db_status (*campaign_step_totals)(struct store *st, int64_t account_id,
                                                          int64_t campaign_id, struct step_totals **rows,
                                                          size_t *n);
    TGR_MUST_CHECK enum db_status (*recipient_step)(struct store *st, int64_t account_id, int64_t campaign_id,
                                                    int64_t recipient_id, int *step);
    TGR_MUST_CHECK enum db_status (*results_page)(struct store *st, int64_t account_id, int64_t campaign_id,
                                                  int step, unsigned statuses, int64_t after_id, int limit,
                                                  struct result_row **rows, size_t *n);
    TGR_MUST_CHECK enum db_status (*timeline_page)(struct store *st, int64_t account_id, int64_t contact_id,
                                                   const struct timeline_key *before, int limit,
                                                   struct timeline_row **rows, size_t *n);
    TGR_MUST_CHECK enum db_status (*contact_audit_add)(struct store *st, int64_t account_id,
                                                       const struct contact_audit *e);
    TGR_MUST_CHECK enum db_status (*contact_clear_opted_out)(struct store *st, int64_t account_id,
                                                             int64_t contact_id);
    /* ---- the shop's side: credentials, the orders list, import progress (issue 17) ---- */
    /* Replace the account's password hash. Durable. @return DB_ONE, DB_NONE (no such account) */
    TGR_MUST_CHECK enum db_status (*account_set_password)(struct store *st, int64_t id, const char *hash);
    /* Raise the account's token generation by one. Durable.
     * @param[out] gen the new generation on DB_ONE (may be NULL) @return DB_ONE, DB_NONE */
    TGR_MUST_CHECK enum db_status (*account_tokens_revoke)(struct store *st, int64_t id, int64_t *gen);
    /* Replace the keyed hash of the account's API key. Durable. @return DB_ONE, DB_NONE */
    TGR_MUST_CHECK enum db_status (*account_set_api_key)(struct store *st, int64_t id, const char *hash);
    /* Up to limit orders with id < before_id (0: from the newest), newest (highest id) first.
     * @param[out] rows malloc'd; free @return DB_ONE, DB_NONE (none) */
    TGR_MUST_CHECK enum db_status (*orders_page)(struct store *st, int64_t account_id, int64_t before_id,
                                                 int limit, struct order_summary **rows, size_t *n);
    /* Mark order row order_row_id a test order. Durable. */
    TGR_MUST_CHECK enum db_status (*order_mark_test)(struct store *st, int64_t account_id,
                                                     int64_t order_row_id);
    /* Insert or replace the progress of import id (at most 64 characters) of the account. */
    TGR_MUST_CHECK enum db_status (*import_progress_put)(struct store *st, int64_t account_id, const char *id,
                                                         const struct import_progress *p);
    TGR_MUST_CHECK enum db_status (*import_progress_get)(struct store *st, int64_t account_id, const char *id,
                                                         struct import_progress *out);
    /* Forget the account's imports whose progress was last written before `before` (unix ms). */
    TGR_MUST_CHECK enum db_status (*imports_prune)(struct store *st, int64_t account_id, int64_t before);
    /* Pending rows of a campaign's step in the send queue (sent by id): *last the highest id (0:
     * none); with before_id > 0, *before how many have an id below it (issue 18, core/progress.c). */
    TGR_MUST_CHECK enum db_status (*queue_rows)(struct store *st, int64_t account_id, int64_t campaign_id,
                                                int step, int64_t before_id, int64_t *last, int64_t *before);
    /* ---- outgoing webhooks: the endpoints and their outbox (store/store_webhooks.h) ---- */
    const struct store_hooks *hooks;
    /* ---- privacy and the audit log (issue 19; contracts: store/store_privacy.h) ---- */
    TGR_MUST_CHECK enum db_status (*erasure_find)(struct store *st, int64_t account_id, const char *bidx,
                                                  int64_t *at);
    TGR_MUST_CHECK enum db_status (*erasure_put)(struct store *st, int64_t account_id, const char *bidx,
                                                 int64_t at);
    TGR_MUST_CHECK enum db_status (*contact_purge)(struct store *st, int64_t account_id, int64_t contact_id,
                                                   enum contact_part part, int64_t now, int64_t *n);
    TGR_MUST_CHECK enum db_status (*contact_messages)(struct store *st, int64_t account_id,
                                                      int64_t contact_id, struct person_message **rows,
                                                      size_t *n);
    TGR_MUST_CHECK enum db_status (*contact_orders)(struct store *st, int64_t account_id, int64_t contact_id,
                                                    struct order_summary **rows, size_t *n);
    TGR_MUST_CHECK enum db_status (*audit_add)(struct store *st, const struct audit_row *e);
    TGR_MUST_CHECK enum db_status (*audit_page)(struct store *st, int64_t account_id, int64_t before_id,
                                                int limit, struct audit_row **rows, size_t *n);
    TGR_MUST_CHECK enum db_status (*scrub)(struct store *st);
};

/* Open the store named by url: "sqlite:PATH" (relative paths are taken from the current
 * directory) or "postgres://…". An empty url means sqlite:DATA_DIR/tgr.db.
 * @param err one line on failure (no secrets, no SQL)
 * @return the store, or NULL */
struct store *store_open(const char *url, const char *data_dir, char *err, size_t errlen);

/* The SQLite backend; store_open picks it. */
struct store *store_sqlite_open(const char *path, char *err, size_t errlen);

/* The PostgreSQL backend (url "postgres://…" or "postgresql://…"); store_open picks it. Fails
 * when the server cannot be reached; err never holds the password. */
struct store *store_pg_open(const char *url, char *err, size_t errlen);

#endif
