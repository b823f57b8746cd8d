/* store_pg — the PostgreSQL backend of struct store (store.h), for `--db postgres://…`.
 *
 * Connections: one libpq connection per thread, opened on the thread's first call (kept in a
 * pthread key and in a list so that close finds them all; a thread that exits closes its own).
 * A connection that breaks is opened again on the next call outside a transaction; a call that
 * meets a broken connection outside a transaction is run once more on the new one.
 * Statements: every statement is in the STMTS table below, prepared once per connection by name
 * (PQprepare) on first use, and run with $n parameters only (PQexecPrepared); sealed values are
 * binary BYTEA parameters, and every result is read in binary format.
 *
 * Transactions: the functions were written against SQLite's single writer, where a write
 * transaction sees no concurrent writer. Here each write transaction is SERIALIZABLE, which
 * gives the same outcome under concurrency (docs/DECISIONS.md); a serialization failure or a
 * deadlock (SQLSTATE 40001, 40P01) or a lost connection rolls back and runs the whole
 * transaction again, at most TXN_TRIES times, and is DB_SOFT after that. Store calls made
 * inside a transaction on the same thread join it (as in the SQLite backend). Reads outside a
 * transaction are single READ COMMITTED statements.
 * Durability: transactions marked durable (auth, money, the outbox claim before a Telegram send)
 * commit with synchronous_commit on; the others with SET LOCAL synchronous_commit = off. */
#include "store/store.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "store/migrations.h"

#define ACCOUNT_COLS                                                                                         \
    "id, email, plan_type, password_hash, timezone, frequency_cap_days, "                                    \
    "webhook_secret IS NOT NULL, created_at"

#define CONTACT_COLS                                                                                         \
    "c.id, c.tg_user_id, c.access_hash, c.first_name, c.last_name, c.username, c.phone, c.phone_bidx, "      \
    "c.username_bidx, COALESCE(c.first_inbound_at, 0), COALESCE(c.last_inbound_at, 0), c.inbound_count, "    \
    "COALESCE(c.opted_out_at, 0), COALESCE(c.blocked_at, 0), COALESCE(c.deactivated_at, 0), c.created_at, "  \
    "c.updated_at, "                                                                                         \
    "(SELECT COUNT(*) FROM orders o WHERE o.account_id = c.account_id AND o.contact_id = c.id "              \
    "  AND o.status = 'paid'), "                                                                             \
    "(SELECT COALESCE(SUM(o.amount), 0)::bigint FROM orders o WHERE o.account_id = c.account_id "            \
    "  AND o.contact_id = c.id AND o.status = 'paid'), "                                                     \
    "(SELECT cc.category FROM customer_categories cc WHERE cc.account_id = c.account_id "                    \
    "  AND cc.contact_id = c.id), "                                                                          \
    "(SELECT cc.confidence_score FROM customer_categories cc WHERE cc.account_id = c.account_id "            \
    "  AND cc.contact_id = c.id)"

#define CAMPAIGN_COLS                                                                                        \
    "id, name, message_text, status, filters_json, quiet_hours_json, nudge_settings_json, track_links, "     \
    "discount_json, override_quiet_hours, created_at, updated_at, COALESCE(started_at, 0), "                 \
    "COALESCE(finished_at, 0), COALESCE(pause_reason, '')"
#define RECIPIENT_COLS                                                                                       \
    "r.id, r.campaign_id, r.contact_id, r.step, r.status, COALESCE(r.random_id, ''), r.attempt, "            \
    "r.next_attempt_at, COALESCE(r.tg_message_id, 0), COALESCE(r.sent_at, 0)"
#define MEDIA_COLS "id, kind, mime, size, sha256, storage_key, created_at"
#define ORDER_COLS                                                                                           \
    "id, order_id, amount, currency, status, created_at, received_at, COALESCE(contact_id, 0), "             \
    "COALESCE(discount_code_bidx, ''), COALESCE(ref, ''), COALESCE(attributed_campaign_id, 0), "             \
    "COALESCE(body_hash, ''), COALESCE(customer_tg_user_id, ''), COALESCE(attributed_recipient_id, 0), "     \
    "COALESCE(attributed_link_id, 0), COALESCE(attributed_code_id, 0), COALESCE(attributed_step, 0)"

/* Key rotation (sealed_scan / sealed_replace): per sealed column of store.h, a scan in cursor
 * order that builds the seal row key exactly as the column's writers do (and as the SQLite
 * backend's), and a compare-and-set update. The cursor column has a name of its own: named like
 * the id, ORDER BY would sort the text ("10" before "9"). $1 of a scan is the cursor, $2 the limit; $1 of an
 * update the new value, $2 the row, $3 the value it must still hold. */
#define SEAL_SCAN(from, pk, col, rk)                                                                         \
    "SELECT " pk "::text AS cursor_text, " rk ", " col " FROM " from " WHERE " pk " > $1 AND " col           \
    " IS NOT NULL ORDER BY " pk " LIMIT $2"
#define SEAL_SET(table, pk, col) "UPDATE " table " SET " col " = $1 WHERE " pk " = $2 AND " col " = $3"
#define SEAL_RK_CONTACT          "account_id::text || ':' || tg_user_id"
#define SEAL_RK_CATEGORY         "account_id::text || ':' || contact_id::text"
#define SEALED_STMTS(X)                                                                                      \
    X(S_SC_WEBHOOK, SEAL_SCAN("accounts", "id", "webhook_secret", "id::text"))                               \
    X(S_SS_WEBHOOK, SEAL_SET("accounts", "id", "webhook_secret"))                                            \
    X(S_SC_SESSION,                                                                                          \
      SEAL_SCAN("telegram_sessions", "account_id", "encrypted_session_data", "account_id::text"))            \
    X(S_SS_SESSION, SEAL_SET("telegram_sessions", "account_id", "encrypted_session_data"))                   \
    X(S_SC_SESSION_PHONE, SEAL_SCAN("telegram_sessions", "account_id", "phone", "account_id::text"))         \
    X(S_SS_SESSION_PHONE, SEAL_SET("telegram_sessions", "account_id", "phone"))                              \
    X(S_SC_ACCESS_HASH, SEAL_SCAN("contacts", "id", "access_hash", SEAL_RK_CONTACT))                         \
    X(S_SS_ACCESS_HASH, SEAL_SET("contacts", "id", "access_hash"))                                           \
    X(S_SC_FIRST_NAME, SEAL_SCAN("contacts", "id", "first_name", SEAL_RK_CONTACT))                           \
    X(S_SS_FIRST_NAME, SEAL_SET("contacts", "id", "first_name"))                                             \
    X(S_SC_LAST_NAME, SEAL_SCAN("contacts", "id", "last_name", SEAL_RK_CONTACT))                             \
    X(S_SS_LAST_NAME, SEAL_SET("contacts", "id", "last_name"))                                               \
    X(S_SC_USERNAME, SEAL_SCAN("contacts", "id", "username", SEAL_RK_CONTACT))                               \
    X(S_SS_USERNAME, SEAL_SET("contacts", "id", "username"))                                                 \
    X(S_SC_PHONE, SEAL_SCAN("contacts", "id", "phone", SEAL_RK_CONTACT))                                     \
    X(S_SS_PHONE, SEAL_SET("contacts", "id", "phone"))                                                       \
    X(S_SC_INBOUND, SEAL_SCAN("inbound_messages m JOIN contacts c ON c.id = m.contact_id", "m.id", "m.text", \
                              "m.account_id::text || ':' || c.tg_user_id || ':' || m.tg_message_id::text"))  \
    X(S_SS_INBOUND, SEAL_SET("inbound_messages", "id", "text"))                                              \
    X(S_SC_CATEGORY, SEAL_SCAN("customer_categories", "id", "category", SEAL_RK_CATEGORY))                   \
    X(S_SS_CATEGORY, SEAL_SET("customer_categories", "id", "category"))                                      \
    X(S_SC_CONFIDENCE, SEAL_SCAN("customer_categories", "id", "confidence_score", SEAL_RK_CATEGORY))         \
    X(S_SS_CONFIDENCE, SEAL_SET("customer_categories", "id", "confidence_score"))                            \
    X(S_SC_RCPT_CODE, SEAL_SCAN("recipients", "id", "discount_code",                                         \
                                "account_id::text || ':' || campaign_id::text || ':' || contact_id::text"))  \
    X(S_SS_RCPT_CODE, SEAL_SET("recipients", "id", "discount_code"))                                         \
    X(S_SC_CODE, SEAL_SCAN("discount_codes", "id", "code",                                                   \
                           "account_id::text || ':' || campaign_id::text || ':' || code_bidx"))              \
    X(S_SS_CODE, SEAL_SET("discount_codes", "id", "code"))                                                   \
    X(S_SC_META,                                                                                             \
      "SELECT key, key, value FROM meta WHERE key > $1 AND (key LIKE 'cmd:%' OR key LIKE 'cmdr:%') "         \
      "ORDER BY key LIMIT $2")                                                                               \
    X(S_SS_META, SEAL_SET("meta", "key", "value"))

/* Every statement the backend runs, by name. */
#define STMTS(X)                                                                                             \
    X(S_VERSION, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations")                                  \
    X(S_MIGRATION_DONE, "INSERT INTO schema_migrations(version, applied_at) VALUES ($1, $2)")                \
    X(S_PING, "SELECT 1")                                                                                    \
    X(S_NOTIFY, "SELECT pg_notify($1, $2)")                                                                  \
    X(S_ACCOUNT_INSERT, "INSERT INTO accounts(email, api_key, plan_type, password_hash, created_at) "        \
                        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT(email) DO NOTHING RETURNING id")            \
    X(S_ACCOUNT_BY_EMAIL, "SELECT " ACCOUNT_COLS " FROM accounts WHERE email = $1")                          \
    X(S_ACCOUNT_BY_KEY, "SELECT " ACCOUNT_COLS " FROM accounts WHERE api_key = $1")                          \
    X(S_ACCOUNT_GET, "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = $1")                                  \
    X(S_ACCOUNT_UPDATE, "UPDATE accounts SET timezone = $1, frequency_cap_days = $2 WHERE id = $3")          \
    X(S_ACCOUNT_SET_WH, "UPDATE accounts SET webhook_secret = $1 WHERE id = $2")                             \
    X(S_ACCOUNT_GET_WH, "SELECT webhook_secret FROM accounts WHERE id = $1 AND webhook_secret IS NOT NULL")  \
    X(S_SESSION_GET, "SELECT status, encrypted_session_data, phone, tg_user_id, updated_at "                 \
                     "FROM telegram_sessions WHERE account_id = $1")                                         \
    X(S_SESSION_PUT,                                                                                         \
      "INSERT INTO telegram_sessions(account_id, status, encrypted_session_data, phone, "                    \
      "tg_user_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT(account_id) DO UPDATE "           \
      "SET status = excluded.status, encrypted_session_data = excluded.encrypted_session_data, "             \
      "phone = excluded.phone, tg_user_id = excluded.tg_user_id, updated_at = excluded.updated_at")          \
    X(S_SESSION_STATUS, "UPDATE telegram_sessions SET status = $1, updated_at = $2 WHERE account_id = $3")   \
    X(S_SESSION_DELETE, "DELETE FROM telegram_sessions WHERE account_id = $1")                               \
    X(S_SESSIONS_CONNECTED, "SELECT account_id FROM telegram_sessions WHERE status = 'connected' "           \
                            "ORDER BY account_id")                                                           \
    X(S_CONTACT_INSERT, "INSERT INTO contacts(account_id, tg_user_id, access_hash, first_name, last_name, "  \
                        "username, phone, phone_bidx, username_bidx, created_at, updated_at) "               \
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")                \
    X(S_CONTACT_UPDATE,                                                                                      \
      "UPDATE contacts SET access_hash = $1, first_name = $2, last_name = $3, username = $4, "               \
      "phone = $5, phone_bidx = $6, username_bidx = $7, updated_at = $8 "                                    \
      "WHERE account_id = $9 AND id = $10")                                                                  \
    X(S_CONTACT_BY_TG,                                                                                       \
      "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = $1 AND c.tg_user_id = $2")               \
    X(S_CONTACT_GET, "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = $1 AND c.id = $2")        \
    X(S_CONTACTS_PAGE, "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = $1 AND c.id > $2 "      \
                       "ORDER BY c.id LIMIT $3")                                                             \
    X(S_INBOUND_INSERT, "INSERT INTO inbound_messages(account_id, contact_id, tg_message_id, text, date) "   \
                        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")                                \
    X(S_INBOUND_TOUCH, "UPDATE contacts SET inbound_count = inbound_count + 1, "                             \
                       "first_inbound_at = LEAST(COALESCE(first_inbound_at, $1), $1), "                      \
                       "last_inbound_at = GREATEST(COALESCE(last_inbound_at, $1), $1) "                      \
                       "WHERE account_id = $2 AND id = $3")                                                  \
    X(S_CAMPAIGN_INSERT,                                                                                     \
      "INSERT INTO campaigns(account_id, name, message_text, status, filters_json, "                         \
      "quiet_hours_json, nudge_settings_json, track_links, discount_json, created_at, "                      \
      "updated_at) VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $10) RETURNING id")                  \
    X(S_CAMPAIGN_MEDIA_ADD, "INSERT INTO campaign_media(account_id, campaign_id, media_id, position) "       \
                            "VALUES ($1, $2, $3, $4)")                                                       \
    X(S_CAMPAIGN_MEDIA_CLEAR, "DELETE FROM campaign_media WHERE account_id = $1 AND campaign_id = $2")       \
    X(S_CAMPAIGN_MEDIA_LIST,                                                                                 \
      "SELECT media_id FROM campaign_media WHERE account_id = $1 AND campaign_id = $2 "                      \
      "ORDER BY position")                                                                                   \
    X(S_ANALYTICS_INSERT,                                                                                    \
      "INSERT INTO campaign_analytics(account_id, campaign_id, updated_at) VALUES ($1, $2, $3)")             \
    X(S_CAMPAIGN_GET, "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE account_id = $1 AND id = $2")           \
    X(S_CAMPAIGN_LIST, "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE account_id = $1 ORDER BY id DESC")     \
    X(S_CAMPAIGN_UPDATE,                                                                                     \
      "UPDATE campaigns SET name = $1, message_text = $2, filters_json = $3, "                               \
      "quiet_hours_json = $4, nudge_settings_json = $5, track_links = $6, discount_json = $7, "              \
      "updated_at = $8 WHERE account_id = $9 AND id = $10 AND status IN ('draft', 'paused')")                \
    X(S_CAMPAIGN_DELETE, "DELETE FROM campaigns WHERE account_id = $1 AND id = $2 AND status = 'draft'")     \
    X(S_CAMPAIGN_DELETE_DEPS, "DELETE FROM campaign_analytics WHERE account_id = $1 AND campaign_id = $2")   \
    X(S_CAMPAIGN_DELETE_CODES, "DELETE FROM discount_codes WHERE account_id = $1 AND campaign_id = $2")      \
    X(S_CAMPAIGN_DELETE_LINKS, "DELETE FROM trackable_links WHERE account_id = $1 AND campaign_id = $2")     \
    X(S_CODES_CLEAR_FREE, "DELETE FROM discount_codes WHERE account_id = $1 AND campaign_id = $2 "           \
                          "AND recipient_id IS NULL")                                                        \
    X(S_CODE_INSERT,                                                                                         \
      "INSERT INTO discount_codes(account_id, campaign_id, code, code_bidx) VALUES ($1, $2, $3, $4) "        \
      "ON CONFLICT DO NOTHING")                                                                              \
    X(S_CODES_LIST, "SELECT id, code, code_bidx, COALESCE(recipient_id, 0) FROM discount_codes "             \
                    "WHERE account_id = $1 AND campaign_id = $2 ORDER BY id")                                \
    X(S_CODE_OF_RECIPIENT, "SELECT id, code, code_bidx, recipient_id FROM discount_codes "                   \
                           "WHERE account_id = $1 AND campaign_id = $2 AND recipient_id = $3")               \
    X(S_CODE_FREE,                                                                                           \
      "SELECT id, code, code_bidx FROM discount_codes WHERE account_id = $1 AND campaign_id = $2 "           \
      "AND recipient_id IS NULL ORDER BY id LIMIT 1")                                                        \
    X(S_CODE_TAKE, "UPDATE discount_codes SET recipient_id = $1, assigned_at = $2 WHERE id = $3 "            \
                   "AND recipient_id IS NULL")                                                               \
    X(S_LINK_INSERT, "INSERT INTO trackable_links(account_id, campaign_id, original_url, tracking_code) "    \
                     "VALUES ($1, $2, $3, substr(md5(random()::text || clock_timestamp()::text), 1, 16)) "   \
                     "ON CONFLICT DO NOTHING")                                                               \
    X(S_LINK_GET,                                                                                            \
      "SELECT id FROM trackable_links WHERE account_id = $1 AND campaign_id = $2 AND original_url = $3")     \
    X(S_MEDIA_INSERT, "INSERT INTO media(account_id, kind, mime, size, sha256, storage_key, created_at) "    \
                      "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING")                          \
    X(S_MEDIA_BY_SHA, "SELECT " MEDIA_COLS " FROM media WHERE account_id = $1 AND sha256 = $2")              \
    X(S_MEDIA_GET, "SELECT " MEDIA_COLS " FROM media WHERE account_id = $1 AND id = $2")                     \
    X(S_ORDER_GET, "SELECT " ORDER_COLS " FROM orders WHERE account_id = $1 AND order_id = $2")              \
    X(S_ORDER_INSERT,                                                                                        \
      "INSERT INTO orders(account_id, order_id, amount, currency, status, created_at, "                      \
      "contact_id, discount_code_bidx, ref, attributed_campaign_id, body_hash, received_at, "                \
      "customer_tg_user_id, customer_phone_bidx, customer_username_bidx) "                                   \
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT DO NOTHING "    \
      "RETURNING id")                                                                                        \
    X(S_ORDERS_LINK,                                                                                         \
      "UPDATE orders SET contact_id = $1 WHERE account_id = $2 AND contact_id IS NULL "                      \
      "AND (customer_tg_user_id = $3 OR customer_phone_bidx = $4 OR customer_username_bidx = $5)")           \
    X(S_ORDER_UPDATE, "UPDATE orders SET status = $1, body_hash = $2, received_at = $3 "                     \
                      "WHERE account_id = $4 AND id = $5")                                                   \
    X(S_ORDER_LATEST_PAID, "SELECT " ORDER_COLS " FROM orders WHERE account_id = $1 AND contact_id = $2 "    \
                           "AND status = 'paid' ORDER BY created_at DESC, id DESC LIMIT 1")                  \
    X(S_ORDER_COUNTS,                                                                                        \
      "SELECT COUNT(*) FILTER (WHERE status = 'paid'), COUNT(*) FILTER (WHERE status = 'refunded') "         \
      "FROM orders WHERE account_id = $1 AND contact_id = $2")                                               \
    X(S_CONTACT_BY_PHONE,                                                                                    \
      "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = $1 AND c.phone_bidx = $2 "               \
      "ORDER BY c.id LIMIT 1")                                                                               \
    X(S_CONTACT_BY_USERNAME, "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = $1 "              \
                             "AND c.username_bidx = $2 ORDER BY c.id LIMIT 1")                               \
    X(S_INBOUND_RECENT, "SELECT text, tg_message_id FROM (SELECT text, tg_message_id, date, id "             \
                        "FROM inbound_messages WHERE account_id = $1 AND contact_id = $2 "                   \
                        "ORDER BY date DESC, id DESC LIMIT $3) t ORDER BY date, id")                         \
    X(S_CATEGORY_PUT,                                                                                        \
      "INSERT INTO customer_categories(account_id, contact_id, category, confidence_score, "                 \
      "updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT(account_id, contact_id) DO UPDATE SET "           \
      "category = excluded.category, confidence_score = excluded.confidence_score, "                         \
      "updated_at = excluded.updated_at")                                                                    \
    X(S_AUDIENCE,                                                                                            \
      "SELECT c.id, cc.category, cc.confidence_score FROM contacts c "                                       \
      "LEFT JOIN customer_categories cc ON cc.account_id = c.account_id AND cc.contact_id = c.id "           \
      "WHERE c.account_id = $1 AND c.opted_out_at IS NULL AND c.blocked_at IS NULL "                         \
      "AND c.deactivated_at IS NULL "                                                                        \
      "AND ($2::bigint = 0 OR c.last_inbound_at >= $2) "                                                     \
      "AND ($3::bigint < 0 AND $4::bigint < 0 AND $5::bigint < 0 OR EXISTS (SELECT 1 FROM (SELECT COUNT(*) " \
      "AS n, "                                                                                               \
      "     COALESCE(SUM(o.amount), 0)::bigint AS spent FROM orders o WHERE o.account_id = $1 "              \
      "     AND o.contact_id = c.id AND o.status = 'paid') t "                                               \
      "     WHERE ($3::bigint < 0 OR t.n >= $3) AND ($4::bigint < 0 OR t.n <= $4) "                          \
      "     AND ($5::bigint < 0 OR t.spent >= $5))) "                                                        \
      "AND ($6::bigint = 0 OR EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = $1 "                   \
      "     AND r.campaign_id = $6 AND r.contact_id = c.id AND r.clicked_at IS NOT NULL)) "                  \
      "AND ($7::bigint = 0 OR EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = $1 "                   \
      "     AND r.campaign_id = $7 AND r.contact_id = c.id AND r.status = 'sent' AND r.step = 0 "            \
      "     AND r.replied_at IS NULL)) "                                                                     \
      "AND ($8::bigint = 0 OR NOT EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = $1 "               \
      "     AND r.contact_id = c.id AND r.sent_at >= $8)) "                                                  \
      "AND ($9::bigint = 0 OR EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = $1 "                   \
      "     AND r.campaign_id = $9 AND r.contact_id = c.id AND r.read_at IS NOT NULL)) "                     \
      "AND ($10::bigint = 0 OR (EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = $1 "                 \
      "     AND r.campaign_id = $10 AND r.contact_id = c.id AND r.status = 'sent' AND r.step = 0) "          \
      "     AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = $1 "                             \
      "     AND r.campaign_id = $10 AND r.contact_id = c.id AND r.read_at IS NOT NULL))) "                   \
      "AND ($11::bigint = 0 OR EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = $1 "                  \
      "     AND r.campaign_id = $11 AND r.contact_id = c.id AND r.replied_at IS NOT NULL)) "                 \
      "AND ($12::bigint = 0 OR EXISTS (SELECT 1 FROM orders o WHERE o.account_id = $1 "                      \
      "     AND o.contact_id = c.id AND o.attributed_campaign_id = $12 AND o.status = 'paid')) "             \
      "AND c.id > $13 ORDER BY c.id LIMIT $14")                                                              \
    X(S_RUNNING_OTHER,                                                                                       \
      "SELECT id FROM campaigns WHERE account_id = $1 AND status = 'running' AND id != $2 LIMIT 1")          \
    X(S_CAMPAIGN_TO_RUNNING,                                                                                 \
      "UPDATE campaigns SET status = 'running', pause_reason = NULL, "                                       \
      "override_quiet_hours = $1, started_at = COALESCE(started_at, $2), updated_at = $3 "                   \
      "WHERE account_id = $4 AND id = $5 AND status = $6")                                                   \
    X(S_RECIPIENTS_INSERT,                                                                                   \
      "INSERT INTO recipients(account_id, campaign_id, contact_id, step, status, created_at) "               \
      "SELECT $1, $2, u.contact_id, 0, 'pending', $4 FROM unnest($3::bigint[]) "                             \
      "WITH ORDINALITY AS u(contact_id, i) ORDER BY u.i ON CONFLICT DO NOTHING")                             \
    X(S_CAMPAIGN_TRANSITION,                                                                                 \
      "UPDATE campaigns SET status = $1, pause_reason = $2, updated_at = $3, "                               \
      "finished_at = CASE WHEN $1::text IN ('completed', 'cancelled') THEN $3::bigint ELSE finished_at END " \
      "WHERE account_id = $4 AND id = $5 AND status = ANY (string_to_array($6::text, ','))")                 \
    X(S_CAMPAIGN_OVERRIDE,                                                                                   \
      "UPDATE campaigns SET override_quiet_hours = $1 WHERE account_id = $2 AND id = $3")                    \
    X(S_CAMPAIGN_NUDGES,                                                                                     \
      "UPDATE campaigns SET nudge_settings_json = $1, updated_at = $2 WHERE account_id = $3 AND id = $4")    \
    X(S_CAMPAIGNS_PAUSE_ALL, "UPDATE campaigns SET status = 'paused', pause_reason = $1, updated_at = $2 "   \
                             "WHERE account_id = $3 AND status IN ('running', 'nudging')")                   \
    X(S_ACCOUNTS_SENDING,                                                                                    \
      "SELECT DISTINCT account_id FROM campaigns WHERE status IN ('running', 'nudging') "                    \
      "ORDER BY account_id")                                                                                 \
    X(S_CAMPAIGNS_IN_STATUS, "SELECT id FROM campaigns WHERE account_id = $1 AND status = $2 ORDER BY id")   \
    X(S_RECIPIENT_SENDING,                                                                                   \
      "SELECT " RECIPIENT_COLS " FROM recipients r JOIN campaigns c ON c.id = r.campaign_id "                \
      "WHERE r.account_id = $1 AND r.status = 'sending' AND c.account_id = $1 "                              \
      "AND c.status IN ('running', 'nudging') ORDER BY r.id LIMIT 1")                                        \
    X(S_RECIPIENT_DUE,                                                                                       \
      "SELECT " RECIPIENT_COLS " FROM recipients r JOIN campaigns c ON c.id = r.campaign_id "                \
      "WHERE r.account_id = $1 AND r.status = 'pending' AND r.next_attempt_at <= $2 "                        \
      "AND c.account_id = $1 AND c.status IN ('running', 'nudging') "                                        \
      "ORDER BY r.next_attempt_at, r.id LIMIT 1")                                                            \
    X(S_RECIPIENT_NEXT_AT,                                                                                   \
      "SELECT COALESCE(MIN(r.next_attempt_at), 0) FROM recipients r "                                        \
      "JOIN campaigns c ON c.id = r.campaign_id WHERE r.account_id = $1 AND c.account_id = $1 "              \
      "AND c.status IN ('running', 'nudging') AND r.status IN ('pending', 'sending')")                       \
    X(S_RECIPIENT_CLAIM, "UPDATE recipients SET status = 'sending', random_id = COALESCE(random_id, $1), "   \
                         "discount_code = COALESCE(discount_code, $2), attempt = attempt + 1 "               \
                         "WHERE account_id = $3 AND id = $4 AND status IN ('pending', 'sending')")           \
    X(S_RECIPIENT_CODE, "SELECT discount_code FROM recipients WHERE account_id = $1 AND id = $2")            \
    X(S_RECIPIENT_FINISH, "UPDATE recipients SET status = $1, tg_message_id = COALESCE($2, tg_message_id), " \
                          "error_code = $3, next_attempt_at = $4, "                                          \
                          "sent_at = CASE WHEN $5::text = 'sent' THEN $6::bigint ELSE sent_at END "          \
                          "WHERE account_id = $7 AND id = $8")                                               \
    X(S_LOG_INSERT,                                                                                          \
      "INSERT INTO sent_logs(account_id, campaign_id, status, error_details, timestamp, contact_id, "        \
      "step, attempt, error_code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")                              \
    X(S_COUNT_SENT, "UPDATE campaign_analytics SET total_sent = total_sent + 1, updated_at = $1 "            \
                    "WHERE account_id = $2 AND campaign_id = $3")                                            \
    X(S_COUNT_FAILED, "UPDATE campaign_analytics SET total_failed = total_failed + 1, updated_at = $1 "      \
                      "WHERE account_id = $2 AND campaign_id = $3")                                          \
    X(S_CONTACT_BLOCKED,                                                                                     \
      "UPDATE contacts SET blocked_at = COALESCE(blocked_at, $1) WHERE account_id = $2 AND id = $3")         \
    X(S_CONTACT_DEACTIVATED, "UPDATE contacts SET deactivated_at = COALESCE(deactivated_at, $1) "            \
                             "WHERE account_id = $2 AND id = $3")                                            \
    X(S_OPEN_ROWS, "SELECT rows - sent - failed - skipped FROM campaign_steps WHERE account_id = $1 "        \
                   "AND campaign_id = $2 AND step = $3")                                                     \
    X(S_NUDGE_SCHEDULE,                                                                                      \
      "INSERT INTO recipients(account_id, campaign_id, contact_id, step, status, error_code, "               \
      "created_at, discount_code) SELECT r.account_id, r.campaign_id, r.contact_id, $3::bigint, "            \
      "CASE WHEN c.opted_out_at IS NOT NULL OR c.blocked_at IS NOT NULL "                                    \
      "       OR c.deactivated_at IS NOT NULL THEN 'skipped' "                                               \
      "     WHEN $4::text IN ('no_reply', 'no_reply_no_click') AND EXISTS (SELECT 1 FROM recipients x "      \
      "       WHERE x.account_id = $1 AND x.campaign_id = $2 AND x.contact_id = r.contact_id "               \
      "       AND x.replied_at IS NOT NULL) THEN 'skipped' "                                                 \
      "     WHEN $4::text IN ('no_click', 'no_reply_no_click') AND EXISTS (SELECT 1 FROM recipients x "      \
      "       WHERE x.account_id = $1 AND x.campaign_id = $2 AND x.contact_id = r.contact_id "               \
      "       AND x.clicked_at IS NOT NULL) THEN 'skipped' "                                                 \
      "     ELSE 'pending' END, "                                                                            \
      "CASE WHEN c.opted_out_at IS NOT NULL THEN 'opted_out' "                                               \
      "     WHEN c.blocked_at IS NOT NULL OR c.deactivated_at IS NOT NULL THEN 'unreachable' "               \
      "     ELSE NULL END, $6::bigint, r.discount_code "                                                     \
      "FROM recipients r JOIN contacts c ON c.id = r.contact_id AND c.account_id = r.account_id "            \
      "WHERE r.account_id = $1 AND r.campaign_id = $2 AND r.step = $3::bigint - 1 AND r.status = 'sent' "    \
      "AND r.sent_at <= $5 AND r.sent_at > COALESCE((SELECT scheduled_through FROM "                         \
      "campaign_steps WHERE campaign_id = $2 AND step = $3::bigint), 0) "                                    \
      "ON CONFLICT DO NOTHING RETURNING campaign_id, step, status")                                          \
    X(S_NUDGE_NEXT_DUE,                                                                                      \
      "SELECT COALESCE(MIN(r.sent_at), 0) FROM recipients r WHERE r.campaign_id = $2 "                       \
      "AND r.step = $3::bigint - 1 AND r.status = 'sent' AND r.account_id = $1 AND r.sent_at > "             \
      "COALESCE((SELECT scheduled_through FROM campaign_steps WHERE campaign_id = $2 "                       \
      "AND step = $3::bigint), 0)")                                                                          \
    X(S_LOGS_PAGE, "SELECT id, \"timestamp\", COALESCE(contact_id, 0), COALESCE(step, 0), status, "          \
                   "COALESCE(error_code, ''), COALESCE(error_details, '') FROM sent_logs "                   \
                   "WHERE account_id = $1 AND campaign_id = $2 AND id > $3 ORDER BY id LIMIT $4")            \
    X(S_COUNTS_ROWS,                                                                                         \
      "SELECT COALESCE(SUM(rows) FILTER (WHERE step = 0), 0)::bigint, "                                      \
      "COALESCE(SUM(rows - sent - failed - skipped), 0)::bigint, 0, COALESCE(SUM(sent), 0)::bigint, "        \
      "COALESCE(SUM(failed), 0)::bigint, COALESCE(SUM(skipped), 0)::bigint, "                                \
      "COALESCE(SUM(read), 0)::bigint, COALESCE(SUM(replied) FILTER (WHERE step = 0), 0)::bigint, 0 "        \
      "FROM campaign_steps WHERE account_id = $1 AND campaign_id = $2")                                      \
    X(S_COUNTS_ANALYTICS,                                                                                    \
      "SELECT total_clicks, total_opted_out, total_orders, total_revenue, cat_browser, "                     \
      "cat_buyer, cat_refund_risk, unique_clicks FROM campaign_analytics WHERE account_id = $1 "             \
      "AND campaign_id = $2")                                                                                \
    X(S_SET_CATEGORIES,                                                                                      \
      "UPDATE campaign_analytics SET cat_browser = $1, cat_buyer = $2, cat_refund_risk = $3 "                \
      "WHERE account_id = $4 AND campaign_id = $5")                                                          \
    X(S_REPLIED, "UPDATE recipients SET replied_at = COALESCE(replied_at, $1) WHERE account_id = $2 "        \
                 "AND contact_id = $3 AND status = 'sent' AND sent_at >= $4 AND replied_at IS NULL "         \
                 "RETURNING campaign_id, step")                                                              \
    X(S_READ,                                                                                                \
      "UPDATE recipients SET read_at = COALESCE(read_at, $1) WHERE account_id = $2 AND contact_id = $3 "     \
      "AND status = 'sent' AND tg_message_id <= $4 AND read_at IS NULL RETURNING campaign_id, step")         \
    X(S_OPT_OUT,                                                                                             \
      "UPDATE contacts SET opted_out_at = COALESCE(opted_out_at, $1) WHERE account_id = $2 AND id = $3 "     \
      "AND opted_out_at IS NULL")                                                                            \
    X(S_SKIP_NUDGES,                                                                                         \
      "UPDATE recipients SET status = 'skipped', error_code = $1 WHERE account_id = $2 "                     \
      "AND contact_id = $3 AND status = 'pending' AND step >= $4 RETURNING campaign_id, step")               \
    X(S_LINK_BY_ID, "SELECT account_id, campaign_id, original_url FROM trackable_links WHERE id = $1")       \
    X(S_CLICK_SEEN,                                                                                          \
      "SELECT 1 FROM link_clicks WHERE account_id = $1 AND link_id = $2 AND recipient_id = $3 LIMIT 1")      \
    X(S_CLICK_INSERT,                                                                                        \
      "INSERT INTO link_clicks(account_id, link_id, recipient_id, at) VALUES ($1, $2, $3, $4)")              \
    X(S_RECIPIENT_CLICKED, "UPDATE recipients SET clicked_at = $1 WHERE account_id = $2 AND id = $3 "        \
                           "AND campaign_id = $4 AND clicked_at IS NULL RETURNING step")                     \
    X(S_LINK_COUNT, "UPDATE trackable_links SET clicks = clicks + 1, unique_clicks = unique_clicks + $1 "    \
                    "WHERE id = $2")                                                                         \
    X(S_CAMPAIGN_CLICKS, "UPDATE campaign_analytics SET total_clicks = total_clicks + 1, "                   \
                         "unique_clicks = unique_clicks + $1 WHERE account_id = $2 AND campaign_id = $3")    \
    X(S_ATTR_REF,                                                                                            \
      "SELECT campaign_id, step, id FROM recipients WHERE account_id = $1 AND id = $2 AND status = 'sent'")  \
    X(S_ATTR_LINK_OK,                                                                                        \
      "SELECT 1 FROM trackable_links WHERE account_id = $1 AND id = $2 AND campaign_id = $3")                \
    X(S_ATTR_CODE, "SELECT id, campaign_id, COALESCE(recipient_id, 0) FROM discount_codes "                  \
                   "WHERE account_id = $1 AND code_bidx = $2 ORDER BY id DESC LIMIT 1")                      \
    X(S_ATTR_CODE_IN,                                                                                        \
      "SELECT id FROM discount_codes WHERE account_id = $1 AND campaign_id = $2 AND code_bidx = $3")         \
    X(S_ATTR_WINDOW,                                                                                         \
      "SELECT campaign_id, step, id FROM recipients WHERE account_id = $1 AND contact_id = $2 "              \
      "AND status = 'sent' AND sent_at <= $3 AND sent_at >= $4 "                                             \
      "AND ($5::bigint = 0 OR campaign_id = $5) ORDER BY sent_at DESC, id DESC LIMIT 1")                     \
    X(S_ATTR_ORDER,                                                                                          \
      "UPDATE orders SET attributed_campaign_id = $1, attributed_recipient_id = $2, "                        \
      "attributed_link_id = $3, attributed_step = $4, attributed_code_id = $5, attributed_by = $6 "          \
      "WHERE account_id = $7 AND id = $8")                                                                   \
    X(S_ATTR_CAMPAIGN, "UPDATE campaign_analytics SET total_revenue = total_revenue + $1, "                  \
                       "total_orders = total_orders + $2 WHERE account_id = $3 AND campaign_id = $4")        \
    X(S_ATTR_LINK, "UPDATE trackable_links SET revenue = revenue + $1 WHERE account_id = $2 AND id = $3")    \
    X(S_ATTR_BY, "INSERT INTO revenue_by(account_id, campaign_id, kind, key, orders, revenue) "              \
                 "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT(campaign_id, kind, key) DO UPDATE SET "        \
                 "orders = revenue_by.orders + $5, revenue = revenue_by.revenue + $6")                       \
    X(S_REV_SERIES, "SELECT ((created_at + $5::bigint) / $6::bigint) * $6::bigint - $5::bigint AS b, "       \
                    "SUM(amount)::bigint, "                                                                  \
                    "COUNT(*) FROM orders "                                                                  \
                    "WHERE account_id = $1 AND status = 'paid' AND attributed_campaign_id IS NOT NULL "      \
                    "AND created_at >= $2 AND created_at < $3 AND currency = $4 GROUP BY b ORDER BY b")      \
    X(S_REV_CAMPAIGNS,                                                                                       \
      "SELECT o.attributed_campaign_id, c.name, SUM(o.amount)::bigint, COUNT(*) FROM orders o "              \
      "JOIN campaigns c ON c.id = o.attributed_campaign_id AND c.account_id = o.account_id "                 \
      "WHERE o.account_id = $1 AND o.status = 'paid' AND o.created_at >= $2 "                                \
      "AND o.created_at < $3 AND o.currency = $4 GROUP BY 1, 2 ORDER BY 3 DESC, 1")                          \
    X(S_REV_CURRENCY,                                                                                        \
      "SELECT currency FROM orders WHERE account_id = $1 AND created_at >= $2 AND created_at < $3 "          \
      "GROUP BY currency ORDER BY COUNT(*) DESC, currency LIMIT 1")                                          \
    X(S_STEP_COUNTS, "SELECT sent, replied, clicked FROM campaign_steps WHERE account_id = $1 "              \
                     "AND campaign_id = $2 AND step = $3")                                                   \
    X(S_STEP_BUMP,                                                                                           \
      "INSERT INTO campaign_steps(account_id, campaign_id, step, rows, sent, failed, skipped, read, "        \
      "replied, clicked) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT(campaign_id, step) "   \
      "DO "                                                                                                  \
      "UPDATE SET rows = campaign_steps.rows + excluded.rows, sent = campaign_steps.sent + excluded.sent, "  \
      "failed = campaign_steps.failed + excluded.failed, "                                                   \
      "skipped = campaign_steps.skipped + excluded.skipped, read = campaign_steps.read + excluded.read, "    \
      "replied = campaign_steps.replied + excluded.replied, "                                                \
      "clicked = campaign_steps.clicked + excluded.clicked")                                                 \
    X(S_STEP_THROUGH,                                                                                        \
      "INSERT INTO campaign_steps(account_id, campaign_id, step, scheduled_through) "                        \
      "VALUES ($1, $2, $3, $4) ON CONFLICT(campaign_id, step) DO UPDATE SET "                                \
      "scheduled_through = GREATEST(campaign_steps.scheduled_through, excluded.scheduled_through)")          \
    X(S_FAILURE_BUMP,                                                                                        \
      "INSERT INTO campaign_failures(account_id, campaign_id, code, n) VALUES ($1, $2, $3, 1) "              \
      "ON CONFLICT(campaign_id, code) DO UPDATE SET n = campaign_failures.n + 1")                            \
    X(S_FAILURES, "SELECT code, n FROM campaign_failures WHERE account_id = $1 AND campaign_id = $2 ORDER "  \
                  "BY n DESC, code")                                                                         \
    X(S_LINK_STATS, "SELECT id, original_url, clicks, unique_clicks, revenue FROM trackable_links "          \
                    "WHERE account_id = $1 AND campaign_id = $2 ORDER BY id")                                \
    X(S_REVENUE_ROWS,                                                                                        \
      "SELECT key, orders, revenue FROM revenue_by WHERE account_id = $1 AND campaign_id = $2 "              \
      "AND kind = $3 ORDER BY revenue DESC, key")                                                            \
    X(S_CODE_GET, "SELECT id, code, code_bidx, COALESCE(recipient_id, 0) FROM discount_codes "               \
                  "WHERE account_id = $1 AND id = $2")                                                       \
    X(S_READ_TIMES, "SELECT read_at FROM recipients WHERE account_id = $1 AND campaign_id = $2 "             \
                    "AND read_at IS NOT NULL")                                                               \
    X(S_OPT_OUT_COUNT,                                                                                       \
      "UPDATE campaign_analytics SET total_opted_out = total_opted_out + 1 "                                 \
      "WHERE account_id = $1 AND campaign_id IN (SELECT DISTINCT campaign_id FROM recipients "               \
      "WHERE account_id = $1 AND contact_id = $2 AND status = 'sent')")                                      \
    X(S_INSTANCE_BEAT, "INSERT INTO engine_instances(id, seen_at) VALUES ($1, $2) "                          \
                       "ON CONFLICT(id) DO UPDATE SET seen_at = excluded.seen_at")                           \
    X(S_INSTANCES_LIVE, "SELECT COUNT(*) FROM engine_instances WHERE seen_at > $1")                          \
    X(S_INSTANCES_PRUNE, "DELETE FROM engine_instances WHERE seen_at <= $1")                                 \
    X(S_INSTANCE_GONE, "DELETE FROM engine_instances WHERE id = $1")                                         \
    X(S_LEASE_RENEW, "UPDATE engine_leases SET expires_at = $2 WHERE owner = $1")                            \
    X(S_LEASE_DROP_IDLE, "DELETE FROM engine_leases WHERE owner = $1 AND account_id NOT IN "                 \
                         "(SELECT account_id FROM telegram_sessions WHERE status = 'connected')")            \
    X(S_LEASES_HELD, "SELECT COUNT(*) FROM engine_leases WHERE owner = $1")                                  \
    X(S_SENDING_COUNT, "SELECT COUNT(*) FROM telegram_sessions WHERE status = 'connected'")                  \
    X(S_LEASE_TAKE,                                                                                          \
      "INSERT INTO engine_leases(account_id, owner, expires_at) "                                            \
      "SELECT t.account_id, $1::text, $2::bigint FROM telegram_sessions t "                                  \
      "LEFT JOIN engine_leases l ON l.account_id = t.account_id "                                            \
      "WHERE t.status = 'connected' AND (l.account_id IS NULL OR l.expires_at <= $3) "                       \
      "ORDER BY t.account_id LIMIT $4 "                                                                      \
      "ON CONFLICT(account_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, "     \
      "epoch = engine_leases.epoch + 1 WHERE engine_leases.expires_at <= $3")                                \
    X(S_LEASES_OWNED, "SELECT account_id FROM engine_leases WHERE owner = $1 AND expires_at > $2 "           \
                      "ORDER BY account_id")                                                                 \
    X(S_LEASES_RELEASE, "DELETE FROM engine_leases WHERE owner = $1")                                        \
    X(S_LEASE_FORCE,                                                                                         \
      "INSERT INTO engine_leases(account_id, owner, expires_at) VALUES ($2, $1, $3) "                        \
      "ON CONFLICT(account_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, "     \
      "epoch = CASE WHEN engine_leases.owner = excluded.owner THEN engine_leases.epoch "                     \
      "ELSE engine_leases.epoch + 1 END")                                                                    \
    X(S_LEASE_OWNER, "SELECT owner FROM engine_leases WHERE account_id = $1 AND expires_at > $2")            \
    X(S_LEASE_SHED, "UPDATE engine_leases SET owner = owner || ':shed', expires_at = $2 "                    \
                    "WHERE account_id IN (SELECT account_id FROM engine_leases WHERE owner = $1 "            \
                    "ORDER BY account_id DESC LIMIT $3)")                                                    \
    X(S_META_DELETE, "DELETE FROM meta WHERE key = $1")                                                      \
    X(S_META_GET, "SELECT value FROM meta WHERE key = $1")                                                   \
    X(S_META_SET, "INSERT INTO meta(key, value) VALUES ($1, $2) "                                            \
                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value")                                   \
    SEALED_STMTS(X)

enum stmt_id {
#define X(id, sql) id,
    STMTS(X)
#undef X
        S__COUNT
};

static const char *const stmt_sql[] = {
#define X(id, sql) [id] = sql,
    STMTS(X)
#undef X
};

/* How often a transaction is run when it keeps meeting serialization failures. */
#define TXN_TRIES 10
/* Audience scans read contacts in pages of this many rows (one result in memory at a time). */
#define AUDIENCE_PAGE 5000
/* Ids per statement when a campaign's recipients are inserted. */
#define INSERT_BATCH 5000

struct pg;

struct conn {
    PGconn *db;
    struct pg *owner;
    unsigned char prepared[S__COUNT];
    struct conn *next;
};

struct pg {
    struct store base; /* first: a struct store * is a struct pg * */
    char *url;         /* kept to reconnect; never logged (it may hold a password) */
    char where[200];   /* user@host:port/db, for messages */
    pthread_key_t key;
    pthread_mutex_t lock;
    struct conn *conns;
    struct listener *listener;
};

/* The LISTEN thread: its own connection, woken by the server's notifications or by stop. */
struct listener {
    struct pg *s;
    pthread_t thread;
    int pipe[2]; /* written by close: the thread stops */
    char channel[64];
    void (*fn)(void *cls, const char *payload);
    void *cls;
};

static struct pg *PG(struct store *st)
{
    return (struct pg *)st;
}

/* The write transaction this thread is inside, if any (see wbegin). tl_failed: a statement in
 * it failed, so it can only roll back; tl_retry: that failure is one a new run may not meet
 * (serialization failure, deadlock, lost connection). */
static __thread struct pg *tl_txn;
static __thread int tl_depth, tl_failed, tl_retry, tl_durable;

/* ---- connections --------------------------------------------------------------------------- */

static void conn_free(struct conn *c)
{
    if (!c) return;
    PQfinish(c->db);
    free(c);
}

/* The pthread key's destructor: a thread that ends closes its connection. */
static void conn_dtor(void *p)
{
    struct conn *c = p;
    struct pg *s = c->owner;
    pthread_mutex_lock(&s->lock);
    for (struct conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    conn_free(c);
}

/* The first line of libpq's message, without the trailing newline. */
static void first_line(char *dst, size_t cap, const char *msg)
{
    size_t n = strcspn(msg ? msg : "", "\n");
    snprintf(dst, cap, "%.*s", (int)n, msg ? msg : "");
}

/* The server's notices ("relation already exists, skipping") are not tgr's to print. */
static void no_notice(void *arg, const char *message) {}

static PGconn *connect_url(const char *url)
{
    /* The defaults come first so that the URL's own parameters override them. */
    const char *const keys[] = {"application_name", "connect_timeout", "dbname", NULL};
    const char *const vals[] = {"tgr", "10", url, NULL};
    PGconn *db = PQconnectdbParams(keys, vals, 1);
    if (db) PQsetNoticeProcessor(db, no_notice, NULL);
    return db;
}

/* This thread's connection, opened (or opened again, when broken and no transaction is open
 * on it) as needed. @return NULL when the server cannot be reached (logged) */
static struct conn *conn_get(struct pg *s)
{
    struct conn *c = pthread_getspecific(s->key);
    if (c && (PQstatus(c->db) == CONNECTION_OK || tl_txn == s)) return c;
    if (c) {
        PQreset(c->db);
        memset(c->prepared, 0, sizeof c->prepared);
        if (PQstatus(c->db) == CONNECTION_OK) {
            log_warn("store", "reconnected to PostgreSQL at %s", s->where);
            return c;
        }
        char why[256];
        first_line(why, sizeof why, PQerrorMessage(c->db));
        log_error("store", "cannot reach PostgreSQL at %s: %s", s->where, why);
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->owner = s;
    c->db = connect_url(s->url);
    if (!c->db || PQstatus(c->db) != CONNECTION_OK) {
        char why[256];
        first_line(why, sizeof why, c->db ? PQerrorMessage(c->db) : "out of memory");
        log_error("store", "cannot connect to PostgreSQL at %s: %s", s->where, why);
        conn_free(c);
        return NULL;
    }
    pthread_mutex_lock(&s->lock);
    c->next = s->conns;
    s->conns = c;
    pthread_mutex_unlock(&s->lock);
    pthread_setspecific(s->key, c);
    return c;
}

/* ---- errors -------------------------------------------------------------------------------- */

/* DB_SOFT for what running again may fix (serialization failure, deadlock, lock timeout, a lost
 * or restarting server), DB_HARD otherwise; logs either way and marks the open transaction. */
static enum db_status failed(struct pg *s, PGconn *db, const PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    int soft = !db || PQstatus(db) != CONNECTION_OK || !state || strncmp(state, "08", 2) == 0 ||
               strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0 ||
               strncmp(state, "57P", 3) == 0;
    char msg[256];
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    first_line(msg, sizeof msg, primary ? primary : db ? PQerrorMessage(db) : "no connection");
    if (soft)
        log_warn("store", "%s: %s (%s)", what, msg, state ? state : "connection");
    else if (!(state && strcmp(state, "25P02") == 0)) /* "transaction aborted": the cause is logged */
        log_error("store", "%s failed: %s (%s)", what, msg, state ? state : "?");
    if (tl_txn == s) {
        tl_failed = 1;
        if (soft) tl_retry = 1;
    }
    return soft ? DB_SOFT : DB_HARD;
}

/* ---- parameters and columns ---------------------------------------------------------------- */

#define MAXP 16

/* The parameters of one statement: numbers as text, texts as text, sealed values as binary. */
struct params {
    int n;
    const char *v[MAXP];
    int len[MAXP], fmt[MAXP];
    char num[MAXP][24];
};

static void p_int(struct params *p, int64_t x)
{
    snprintf(p->num[p->n], sizeof p->num[p->n], "%" PRId64, x);
    p->v[p->n] = p->num[p->n];
    p->len[p->n] = 0;
    p->fmt[p->n] = 0;
    p->n++;
}

/* A text, or NULL for SQL NULL. */
static void p_text(struct params *p, const char *t)
{
    p->v[p->n] = t;
    p->len[p->n] = 0;
    p->fmt[p->n] = 0;
    p->n++;
}

/* A text, SQL NULL when NULL or empty (bind_text_or_null of the SQLite backend). */
static void p_opt(struct params *p, const char *t)
{
    p_text(p, t && *t ? t : NULL);
}

/* An id, SQL NULL when 0. */
static void p_id(struct params *p, int64_t v)
{
    if (v)
        p_int(p, v);
    else
        p_text(p, NULL);
}

static void p_bytes(struct params *p, const void *b, size_t len)
{
    p->v[p->n] = b ? (const char *)b : NULL;
    p->len[p->n] = (int)len;
    p->fmt[p->n] = 1;
    p->n++;
}

/* A sealed value, SQL NULL when empty. */
static void p_blob(struct params *p, const struct blob *b)
{
    if (b && b->p)
        p_bytes(p, b->p, b->len);
    else
        p_text(p, NULL);
}

static void p_ints(struct params *p, int n, const int64_t *v)
{
    for (int i = 0; i < n; i++)
        p_int(p, v[i]);
}

/* An integer column of a binary result (bool, int2, int4 or int8; 0 when NULL). */
static int64_t col_i(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col)) return 0;
    const unsigned char *v = (const unsigned char *)PQgetvalue(res, row, col);
    int n = PQgetlength(res, row, col);
    uint64_t x = 0;
    for (int i = 0; i < n && i < 8; i++)
        x = x << 8 | v[i];
    switch (n) {
    case 1:
        return (int8_t)x;
    case 2:
        return (int16_t)x;
    case 4:
        return (int32_t)x;
    case 8:
        return (int64_t)x;
    default:
        log_error("store", "column %d is not an integer (%d bytes)", col, n);
        return 0;
    }
}

/* A text column ("" when NULL; libpq ends every value with a NUL, binary results too). */
static const char *col_s(const PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col);
}

static void copy_text(char *dst, size_t cap, const PGresult *res, int row, int col)
{
    snprintf(dst, cap, "%s", col_s(res, row, col));
}

static char *dup_col(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : strdup(col_s(res, row, col));
}

/* A BYTEA column as a malloc'd blob (empty when NULL). */
static int read_blob(const PGresult *res, int row, int col, struct blob *b)
{
    b->p = NULL;
    b->len = 0;
    if (PQgetisnull(res, row, col)) return TGR_OK;
    size_t n = (size_t)PQgetlength(res, row, col);
    b->p = malloc(n ? n : 1);
    if (!b->p) return TGR_ERR;
    memcpy(b->p, PQgetvalue(res, row, col), n);
    b->len = n;
    return TGR_OK;
}

/* ---- running statements -------------------------------------------------------------------- */

/* Run statement id with p on this thread's connection.
 * @param[out] r DB_ONE when it returned or changed a row, DB_NONE when not, or the failure
 * @return the result (caller PQclear()s it), NULL on failure */
static PGresult *run(struct pg *s, enum stmt_id id, const struct params *p, enum db_status *r,
                     const char *what)
{
    static const struct params none;
    if (!p) p = &none;
    for (int attempt = 0;; attempt++) {
        struct conn *c = conn_get(s);
        if (!c) {
            *r = failed(s, NULL, NULL, what);
            return NULL;
        }
        char name[16];
        snprintf(name, sizeof name, "s%d", (int)id);
        PGresult *res = NULL;
        if (!c->prepared[id]) {
            res = PQprepare(c->db, name, stmt_sql[id], 0, NULL);
            if (PQresultStatus(res) == PGRES_COMMAND_OK) {
                c->prepared[id] = 1;
                PQclear(res);
                res = NULL;
            }
        }
        if (!res) res = PQexecPrepared(c->db, name, p->n, p->v, p->len, p->fmt, 1);
        ExecStatusType es = PQresultStatus(res);
        if (es == PGRES_TUPLES_OK) {
            *r = PQntuples(res) > 0 ? DB_ONE : DB_NONE;
            return res;
        }
        if (es == PGRES_COMMAND_OK) {
            const char *n = PQcmdTuples(res);
            *r = n[0] && strcmp(n, "0") != 0 ? DB_ONE : DB_NONE;
            return res;
        }
        /* A connection that broke between two calls: once more on a new one. */
        if (attempt == 0 && tl_txn != s && PQstatus(c->db) != CONNECTION_OK) {
            PQclear(res);
            continue;
        }
        *r = failed(s, c->db, res, what);
        PQclear(res);
        return NULL;
    }
}

/* Run a statement whose result is not needed. */
static enum db_status exec_p(struct pg *s, enum stmt_id id, const struct params *p, const char *what)
{
    enum db_status r;
    PGresult *res = run(s, id, p, &r, what);
    PQclear(res);
    return r;
}

/* Run a statement binding n integers. */
static enum db_status exec_n(struct pg *s, enum stmt_id id, int n, const int64_t *v, const char *what)
{
    struct params p = {0};
    p_ints(&p, n, v);
    return exec_p(s, id, &p, what);
}

/* The number of rows a write changed. */
static int64_t changed(PGresult *res)
{
    const char *n = res ? PQcmdTuples(res) : "";
    return n[0] ? strtoll(n, NULL, 10) : 0;
}

/* Run fixed SQL without parameters (transaction control, migrations). */
static enum db_status exec_sql(struct pg *s, const char *sql, const char *what)
{
    struct conn *c = conn_get(s);
    if (!c) return failed(s, NULL, NULL, what);
    PGresult *res = PQexec(c->db, sql);
    ExecStatusType es = PQresultStatus(res);
    enum db_status r = DB_ONE;
    if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK)
        r = failed(s, c->db, res, what);
    else if (strcmp(sql, "COMMIT") == 0 && strcmp(PQcmdStatus(res), "COMMIT") != 0)
        r = DB_HARD; /* a COMMIT of a failed transaction answers ROLLBACK */
    PQclear(res);
    return r;
}

/* ---- transactions -------------------------------------------------------------------------- */

enum tx_kind { TX_NORMAL, TX_DURABLE, TX_MIGRATE, TX_LEASE };

/* Open a write transaction, or join the one this thread has open. On success the caller must
 * call wend(). A durable call inside a normal transaction makes its commit synchronous. */
static enum db_status wbegin(struct pg *s, enum tx_kind kind)
{
    if (tl_txn == s) {
        tl_depth++;
        if (kind == TX_DURABLE && !tl_durable) {
            tl_durable = 1;
            if (exec_sql(s, "SET LOCAL synchronous_commit = on", "durable commit") < 0) tl_failed = 1;
        }
        return DB_ONE;
    }
    static const char *const begin[] = {
        [TX_NORMAL] = "BEGIN ISOLATION LEVEL SERIALIZABLE; SET LOCAL synchronous_commit = off",
        [TX_DURABLE] = "BEGIN ISOLATION LEVEL SERIALIZABLE",
        /* Migrations wait for each other on an advisory lock and must then see what the other
         * committed, which a serializable snapshot taken before the wait would not. */
        [TX_MIGRATE] = "BEGIN ISOLATION LEVEL READ COMMITTED",
        /* Lease rounds scan every connected account: as SERIALIZABLE they would conflict with
         * every other writer. Their upserts are atomic per row (ON CONFLICT … WHERE expired), so
         * two instances never both own an account; a share overshot by one is harmless. */
        [TX_LEASE] = "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit = off",
    };
    tl_retry = 0;
    enum db_status r = exec_sql(s, begin[kind], "begin");
    if (r < 0) {
        /* A BEGIN that failed half-way may have left a transaction open. */
        struct conn *c = pthread_getspecific(s->key);
        if (c && PQtransactionStatus(c->db) != PQTRANS_IDLE) PQclear(PQexec(c->db, "ROLLBACK"));
        return r;
    }
    tl_txn = s;
    tl_depth = 1;
    tl_failed = 0;
    tl_durable = kind == TX_DURABLE || kind == TX_MIGRATE;
    return DB_ONE;
}

/* Commit when st is not an error and nothing inside failed, else roll back.
 * @return the final status: st, or the failure (DB_SOFT when running it again may succeed) */
static enum db_status wend(struct pg *s, enum db_status st)
{
    if (st < 0) tl_failed = 1;
    if (--tl_depth > 0) return st;
    if (tl_failed && st >= 0) st = DB_HARD; /* an inner step failed: the whole transaction goes */
    if (tl_retry && st < 0) st = DB_SOFT;   /* whatever the callers made of it, a new run may succeed */
    if (st >= 0) {
        enum db_status c = exec_sql(s, "COMMIT", "commit");
        if (c < 0) {
            st = c;
            if (c == DB_SOFT) tl_retry = 1;
        }
    } else {
        struct conn *c = pthread_getspecific(s->key);
        if (c && PQstatus(c->db) == CONNECTION_OK) exec_sql(s, "ROLLBACK", "rollback");
    }
    tl_txn = NULL;
    return st;
}

static void backoff(int attempt)
{
    /* 1..4 ms times the attempt, jittered so that two colliding transactions part. */
    long us = (long)(1000 + randombytes_uniform(3000)) * attempt;
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

/* The state of one WRITE loop. */
struct wloop {
    int started, attempt, any_soft;
};

/* Drives WRITE: opens the transaction before the body, ends it after, and runs the body again
 * (in a new transaction) when the outermost transaction failed in a way a new run may not.
 * The body sets r and must not return, break or goto out of the loop. */
static int wloop(struct pg *s, enum tx_kind kind, struct wloop *l, enum db_status *r)
{
    if (l->started) {
        int top = tl_depth == 1;
        *r = wend(s, *r);
        int again = *r == DB_SOFT && (tl_retry || l->any_soft);
        if (!top || !again || ++l->attempt >= TXN_TRIES) return 0;
        backoff(l->attempt);
    }
    for (;;) {
        enum db_status b = wbegin(s, kind);
        if (b >= 0) break;
        if (b != DB_SOFT || ++l->attempt >= TXN_TRIES) {
            *r = b;
            return 0;
        }
        backoff(l->attempt);
    }
    l->started = 1;
    return 1;
}

/* Run the statement block that follows in one write transaction (see wloop). */
#define WRITE(s, kind, r) for (struct wloop wl_ = {0, 0, 0}; wloop((s), (kind), &wl_, &(r));)

/* ---- accounts, meta, migrations ------------------------------------------------------------ */

static void read_account(const PGresult *res, struct account *a)
{
    memset(a, 0, sizeof *a);
    a->id = col_i(res, 0, 0);
    copy_text(a->email, sizeof a->email, res, 0, 1);
    copy_text(a->plan_type, sizeof a->plan_type, res, 0, 2);
    copy_text(a->password_hash, sizeof a->password_hash, res, 0, 3);
    copy_text(a->timezone, sizeof a->timezone, res, 0, 4);
    a->frequency_cap_days = (int)col_i(res, 0, 5);
    a->webhook_secret_set = (int)col_i(res, 0, 6);
    a->created_at = col_i(res, 0, 7);
}

static enum db_status account_query(struct store *st, enum stmt_id id, const char *text, int64_t num,
                                    struct account *out)
{
    struct params p = {0};
    if (text)
        p_text(&p, text);
    else
        p_int(&p, num);
    enum db_status r;
    PGresult *res = run(PG(st), id, &p, &r, "account lookup");
    if (r == DB_ONE) read_account(res, out);
    PQclear(res);
    return r;
}

static enum db_status pg_account_by_email(struct store *st, const char *email, struct account *out)
{
    return account_query(st, S_ACCOUNT_BY_EMAIL, email, 0, out);
}

static enum db_status pg_account_by_api_key(struct store *st, const char *hash, struct account *out)
{
    return account_query(st, S_ACCOUNT_BY_KEY, hash, 0, out);
}

static enum db_status pg_account_get(struct store *st, int64_t id, struct account *out)
{
    return account_query(st, S_ACCOUNT_GET, NULL, id, out);
}

static enum db_status pg_account_create(struct store *st, const struct account *a, const char *api_key_hash,
                                        int64_t *id)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_DURABLE, r)
    {
        struct params p = {0};
        p_text(&p, a->email);
        p_text(&p, api_key_hash);
        p_text(&p, a->plan_type[0] ? a->plan_type : "free");
        p_text(&p, a->password_hash);
        p_int(&p, now_ms());
        PGresult *res = run(s, S_ACCOUNT_INSERT, &p, &r, "account insert");
        if (r == DB_ONE && id) *id = col_i(res, 0, 0);
        PQclear(res);
    }
    return r;
}

static enum db_status pg_account_update(struct store *st, int64_t id, const char *tz, int cap)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_NORMAL, r)
    {
        struct params p = {0};
        p_text(&p, tz);
        p_int(&p, cap);
        p_int(&p, id);
        r = exec_p(s, S_ACCOUNT_UPDATE, &p, "account update");
    }
    return r;
}

static enum db_status pg_account_set_webhook_secret(struct store *st, int64_t id, const unsigned char *sealed,
                                                    size_t len)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_DURABLE, r)
    {
        struct params p = {0};
        p_bytes(&p, sealed, len);
        p_int(&p, id);
        r = exec_p(s, S_ACCOUNT_SET_WH, &p, "webhook secret update");
    }
    return r;
}

static enum db_status pg_account_webhook_secret(struct store *st, int64_t id, unsigned char **out,
                                                size_t *len)
{
    struct params p = {0};
    p_int(&p, id);
    enum db_status r;
    PGresult *res = run(PG(st), S_ACCOUNT_GET_WH, &p, &r, "webhook secret lookup");
    if (r == DB_ONE) {
        size_t n = (size_t)PQgetlength(res, 0, 0);
        *out = malloc(n ? n : 1);
        if (!*out) {
            r = DB_HARD;
        } else {
            memcpy(*out, PQgetvalue(res, 0, 0), n);
            *len = n;
        }
    }
    PQclear(res);
    return r;
}

static enum db_status pg_meta_get(struct store *st, const char *key, char *out, size_t cap)
{
    struct params p = {0};
    p_text(&p, key);
    enum db_status r;
    PGresult *res = run(PG(st), S_META_GET, &p, &r, "meta lookup");
    if (r == DB_ONE) copy_text(out, cap, res, 0, 0);
    PQclear(res);
    return r;
}

static enum db_status pg_meta_set(struct store *st, const char *key, const char *value)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_DURABLE, r)
    {
        struct params p = {0};
        p_text(&p, key);
        p_text(&p, value);
        r = exec_p(s, S_META_SET, &p, "meta update");
    }
    return r;
}

/* ---- LISTEN / NOTIFY ------------------------------------------------------------------------ */

static void listener_stop(struct pg *s);

static enum db_status pg_notify(struct store *st, const char *channel, const char *payload)
{
    struct params p = {0};
    p_text(&p, channel);
    p_text(&p, payload);
    return exec_p(PG(st), S_NOTIFY, &p, "notify");
}

/* Wait up to ms for the socket or the stop pipe. @return 1 stop, 0 otherwise */
static int listener_wait(struct listener *l, int sock, int ms)
{
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(l->pipe[0], &rd);
    int maxfd = l->pipe[0];
    if (sock >= 0) {
        FD_SET(sock, &rd);
        if (sock > maxfd) maxfd = sock;
    }
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    if (select(maxfd + 1, &rd, NULL, NULL, &tv) > 0 && FD_ISSET(l->pipe[0], &rd)) return 1;
    return 0;
}

static void *listener_main(void *arg)
{
    struct listener *l = arg;
    PGconn *db = NULL;
    int lost = 0;
    for (;;) {
        if (!db || PQstatus(db) != CONNECTION_OK) {
            if (db) {
                PQfinish(db);
                db = NULL;
                lost = 1;
            }
            db = connect_url(l->s->url);
            char sql[96];
            snprintf(sql, sizeof sql, "LISTEN \"%s\"", l->channel);
            PGresult *res = db && PQstatus(db) == CONNECTION_OK ? PQexec(db, sql) : NULL;
            int ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
            PQclear(res);
            if (!ok) {
                if (db) PQfinish(db);
                db = NULL;
                if (listener_wait(l, -1, 1000)) break;
                continue;
            }
            if (lost) {
                log_warn("store", "listening for other instances at %s again", l->s->where);
                l->fn(l->cls, "");
                lost = 0;
            }
        }
        if (listener_wait(l, PQsocket(db), 5000)) break;
        if (!PQconsumeInput(db)) continue; /* the connection broke: the loop reconnects */
        PGnotify *n;
        while ((n = PQnotifies(db))) {
            l->fn(l->cls, n->extra ? n->extra : "");
            PQfreemem(n);
        }
    }
    if (db) PQfinish(db);
    return NULL;
}

static enum db_status pg_listen(struct store *st, const char *channel,
                                void (*fn)(void *cls, const char *payload), void *cls)
{
    struct pg *s = PG(st);
    if (!fn) {
        listener_stop(s);
        return DB_ONE;
    }
    if (s->listener || strlen(channel) >= sizeof s->listener->channel || strchr(channel, '"')) return DB_HARD;
    struct listener *l = calloc(1, sizeof *l);
    if (!l || pipe(l->pipe) != 0) {
        free(l);
        return DB_HARD;
    }
    l->s = s;
    snprintf(l->channel, sizeof l->channel, "%s", channel);
    l->fn = fn;
    l->cls = cls;
    if (pthread_create(&l->thread, NULL, listener_main, l) != 0) {
        close(l->pipe[0]);
        close(l->pipe[1]);
        free(l);
        return DB_HARD;
    }
    s->listener = l;
    return DB_ONE;
}

static void listener_stop(struct pg *s)
{
    struct listener *l = s->listener;
    if (!l) return;
    ssize_t w = write(l->pipe[1], "x", 1);
    (void)w;
    pthread_join(l->thread, NULL);
    close(l->pipe[0]);
    close(l->pipe[1]);
    free(l);
    s->listener = NULL;
}

static enum db_status pg_ping(struct store *st)
{
    return exec_p(PG(st), S_PING, NULL, "ping");
}

/* Key of the advisory lock that makes concurrent migrations take turns ("tgr" + 1). */
#define MIGRATION_LOCK "7630834"

static enum db_status pg_migrate(struct store *st, int *applied)
{
    struct pg *s = PG(st);
    int n = 0;
    if (applied) *applied = 0;
    for (int v = 1; pg_migrations[v - 1]; v++) {
        enum db_status r = DB_HARD;
        int done = 0;
        WRITE(s, TX_MIGRATE, r)
        {
            /* Under the lock, the version read is the one every other migrator left. */
            done = 0;
            r = exec_sql(s, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")", "migration lock");
            if (r >= 0)
                r = exec_sql(s,
                             "CREATE TABLE IF NOT EXISTS schema_migrations ("
                             " version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
                             "schema_migrations");
            int64_t have = 0;
            if (r >= 0) {
                PGresult *res = run(s, S_VERSION, NULL, &r, "schema version");
                if (r == DB_ONE) have = col_i(res, 0, 0);
                PQclear(res);
            }
            if (r >= 0 && have < v) {
                r = exec_sql(s, pg_migrations[v - 1], "migration");
                if (r >= 0) {
                    int64_t rec[] = {v, now_ms()};
                    r = exec_n(s, S_MIGRATION_DONE, 2, rec, "migration record");
                    done = r >= 0;
                }
            }
        }
        if (r < 0) {
            log_error("store", "migration %d failed", v);
            return r;
        }
        if (done) {
            n++;
            log_info("store", "applied migration %d", v);
        }
    }
    if (applied) *applied = n;
    return DB_ONE;
}

/* ---- transactions -------------------------------------------------------------------------- */

static enum db_status pg_txn(struct store *st, int durable, enum db_status (*fn)(struct store *, void *),
                             void *cls)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    /* As in the SQLite backend, fn's own DB_SOFT is retried too (fn is safe to run again). */
    for (struct wloop l = {0, 0, 1}; wloop(s, durable ? TX_DURABLE : TX_NORMAL, &l, &r);)
        r = fn(st, cls);
    return r;
}

/* ---- Telegram sessions --------------------------------------------------------------------- */

static enum db_status pg_session_get(struct store *st, int64_t account_id, struct tg_session *out)
{
    struct params p = {0};
    p_int(&p, account_id);
    memset(out, 0, sizeof *out);
    enum db_status r;
    PGresult *res = run(PG(st), S_SESSION_GET, &p, &r, "session lookup");
    if (r == DB_ONE) {
        copy_text(out->status, sizeof out->status, res, 0, 0);
        copy_text(out->tg_user_id, sizeof out->tg_user_id, res, 0, 3);
        out->updated_at = col_i(res, 0, 4);
        if (read_blob(res, 0, 1, &out->session) != TGR_OK || read_blob(res, 0, 2, &out->phone) != TGR_OK) {
            tg_session_release(out);
            r = DB_HARD;
        }
    }
    PQclear(res);
    return r;
}

static enum db_status pg_session_put(struct store *st, int64_t account_id, const struct tg_session *in)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_DURABLE, r)
    {
        struct params p = {0};
        p_int(&p, account_id);
        p_text(&p, in->status);
        p_blob(&p, &in->session);
        p_blob(&p, &in->phone);
        p_opt(&p, in->tg_user_id);
        p_int(&p, now_ms());
        r = exec_p(s, S_SESSION_PUT, &p, "session save");
    }
    return r;
}

static enum db_status pg_session_set_status(struct store *st, int64_t account_id, const char *status)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_DURABLE, r)
    {
        struct params p = {0};
        p_text(&p, status);
        p_int(&p, now_ms());
        p_int(&p, account_id);
        r = exec_p(s, S_SESSION_STATUS, &p, "session status");
    }
    return r;
}

static enum db_status pg_session_delete(struct store *st, int64_t account_id)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_DURABLE, r)
    {
        r = exec_n(s, S_SESSION_DELETE, 1, &account_id, "session delete");
    }
    return r;
}

/* Read every row of res into a malloc'd array of `size`-byte elements with read(res, i, row,
 * cls) (which leaves a failed row releasable). On failure every row read is released with
 * release (may be NULL) and nothing is returned. Clears res.
 * @return DB_ONE (rows), DB_NONE (none), DB_HARD */
static enum db_status read_rows(PGresult *res, size_t size,
                                int (*read)(const PGresult *res, int i, void *row, void *cls),
                                void (*release)(void *row), void *cls, void **rows, size_t *n)
{
    int k = PQntuples(res);
    *rows = NULL;
    *n = 0;
    if (k == 0) {
        PQclear(res);
        return DB_NONE;
    }
    char *a = calloc((size_t)k, size);
    if (!a) {
        PQclear(res);
        return DB_HARD;
    }
    for (int i = 0; i < k; i++) {
        if (read(res, i, a + (size_t)i * size, cls) != TGR_OK) {
            for (int j = 0; release && j <= i; j++)
                release(a + (size_t)j * size);
            free(a);
            PQclear(res);
            return DB_HARD;
        }
    }
    PQclear(res);
    *rows = a;
    *n = (size_t)k;
    return DB_ONE;
}

/* Run statement id (bound with p) and read its rows with read_rows. */
static enum db_status query_rows(struct pg *s, enum stmt_id id, const struct params *p, size_t size,
                                 int (*read)(const PGresult *res, int i, void *row, void *cls),
                                 void (*release)(void *row), void *cls, void **rows, size_t *n,
                                 const char *what)
{
    enum db_status r;
    *rows = NULL;
    *n = 0;
    PGresult *res = run(s, id, p, &r, what);
    if (!res) return r;
    return read_rows(res, size, read, release, cls, rows, n);
}

static int read_id(const PGresult *res, int i, void *row, void *cls)
{
    *(int64_t *)row = col_i(res, i, 0);
    return TGR_OK;
}

static enum db_status id_list(struct store *st, enum stmt_id sid, int64_t account_id, const char *text,
                              int64_t **ids, size_t *n)
{
    struct params p = {0};
    if (account_id) p_int(&p, account_id);
    if (text) p_text(&p, text);
    return query_rows(PG(st), sid, &p, sizeof **ids, read_id, NULL, NULL, (void **)ids, n, "id list");
}

static enum db_status pg_sessions_connected(struct store *st, int64_t **ids, size_t *n)
{
    return id_list(st, S_SESSIONS_CONNECTED, 0, NULL, ids, n);
}

/* ---- contacts ------------------------------------------------------------------------------ */

static int read_contact(const PGresult *res, int i, struct contact *c)
{
    memset(c, 0, sizeof *c);
    c->id = col_i(res, i, 0);
    copy_text(c->tg_user_id, sizeof c->tg_user_id, res, i, 1);
    if (read_blob(res, i, 2, &c->access_hash) || read_blob(res, i, 3, &c->first_name) ||
        read_blob(res, i, 4, &c->last_name) || read_blob(res, i, 5, &c->username) ||
        read_blob(res, i, 6, &c->phone)) {
        contact_release(c);
        return TGR_ERR;
    }
    copy_text(c->phone_bidx, sizeof c->phone_bidx, res, i, 7);
    copy_text(c->username_bidx, sizeof c->username_bidx, res, i, 8);
    c->first_inbound_at = col_i(res, i, 9);
    c->last_inbound_at = col_i(res, i, 10);
    c->inbound_count = col_i(res, i, 11);
    c->opted_out_at = col_i(res, i, 12);
    c->blocked_at = col_i(res, i, 13);
    c->deactivated_at = col_i(res, i, 14);
    c->created_at = col_i(res, i, 15);
    c->updated_at = col_i(res, i, 16);
    c->orders_count = col_i(res, i, 17);
    c->spent = col_i(res, i, 18);
    if (read_blob(res, i, 19, &c->category) || read_blob(res, i, 20, &c->confidence)) {
        contact_release(c);
        return TGR_ERR;
    }
    return TGR_OK;
}

static void p_contact_fields(struct params *p, const struct contact *ct)
{
    p_blob(p, &ct->access_hash);
    p_blob(p, &ct->first_name);
    p_blob(p, &ct->last_name);
    p_blob(p, &ct->username);
    p_blob(p, &ct->phone);
    p_opt(p, ct->phone_bidx);
    p_opt(p, ct->username_bidx);
}

static enum db_status pg_contact_save(struct store *st, int64_t account_id, const struct contact *ct,
                                      int64_t *id)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_NORMAL, r)
    {
        int64_t now = now_ms();
        struct params p = {0};
        if (ct->id == 0) {
            p_int(&p, account_id);
            p_text(&p, ct->tg_user_id);
            p_contact_fields(&p, ct);
            p_int(&p, now);
            p_int(&p, now);
            PGresult *res = run(s, S_CONTACT_INSERT, &p, &r, "contact insert");
            if (r == DB_ONE && id) *id = col_i(res, 0, 0);
            PQclear(res);
        } else {
            p_contact_fields(&p, ct);
            p_int(&p, now);
            p_int(&p, account_id);
            p_int(&p, ct->id);
            r = exec_p(s, S_CONTACT_UPDATE, &p, "contact update");
            if (id) *id = ct->id;
        }
    }
    return r;
}

static enum db_status contact_query(struct store *st, enum stmt_id sid, int64_t account_id, const char *text,
                                    int64_t num, struct contact *out)
{
    struct params p = {0};
    p_int(&p, account_id);
    if (text)
        p_text(&p, text);
    else
        p_int(&p, num);
    memset(out, 0, sizeof *out);
    enum db_status r;
    PGresult *res = run(PG(st), sid, &p, &r, "contact lookup");
    if (r == DB_ONE && read_contact(res, 0, out) != TGR_OK) r = DB_HARD;
    PQclear(res);
    return r;
}

static enum db_status pg_contact_by_tg_id(struct store *st, int64_t account_id, const char *tg_user_id,
                                          struct contact *out)
{
    return contact_query(st, S_CONTACT_BY_TG, account_id, tg_user_id, 0, out);
}

static enum db_status pg_contact_get(struct store *st, int64_t account_id, int64_t id, struct contact *out)
{
    return contact_query(st, S_CONTACT_GET, account_id, NULL, id, out);
}

static int read_contact_row(const PGresult *res, int i, void *row, void *cls)
{
    return read_contact(res, i, row);
}

static void release_contact_row(void *row)
{
    contact_release(row);
}

static enum db_status pg_contacts_page(struct store *st, int64_t account_id, int64_t after_id, int limit,
                                       struct contact **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    if (limit <= 0) return DB_NONE;
    int64_t v[] = {account_id, after_id, limit};
    struct params p = {0};
    p_ints(&p, 3, v);
    return query_rows(PG(st), S_CONTACTS_PAGE, &p, sizeof **rows, read_contact_row, release_contact_row, NULL,
                      (void **)rows, n, "contacts page");
}

static enum db_status pg_inbound_add(struct store *st, int64_t account_id, int64_t contact_id,
                                     int64_t tg_message_id, const struct blob *text, int64_t date_ms)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_NORMAL, r)
    {
        struct params p = {0};
        p_int(&p, account_id);
        p_int(&p, contact_id);
        p_int(&p, tg_message_id);
        p_blob(&p, text);
        p_int(&p, date_ms);
        r = exec_p(s, S_INBOUND_INSERT, &p, "inbound insert");
        if (r == DB_ONE) {
            int64_t v[] = {date_ms, account_id, contact_id};
            enum db_status t = exec_n(s, S_INBOUND_TOUCH, 3, v, "contact inbound update");
            if (t < 0) r = t;
        }
    }
    return r;
}

/* ---- campaigns ----------------------------------------------------------------------------- */

static int read_campaign(struct pg *s, int64_t account_id, const PGresult *res, int i, struct campaign *out)
{
    memset(out, 0, sizeof *out);
    out->id = col_i(res, i, 0);
    copy_text(out->name, sizeof out->name, res, i, 1);
    out->message_text = dup_col(res, i, 2);
    copy_text(out->status, sizeof out->status, res, i, 3);
    out->filters_json = dup_col(res, i, 4);
    out->quiet_hours_json = dup_col(res, i, 5);
    out->nudges_json = dup_col(res, i, 6);
    out->track_links = (int)col_i(res, i, 7);
    out->discount_json = dup_col(res, i, 8);
    out->override_quiet_hours = (int)col_i(res, i, 9);
    out->created_at = col_i(res, i, 10);
    out->updated_at = col_i(res, i, 11);
    out->started_at = col_i(res, i, 12);
    out->finished_at = col_i(res, i, 13);
    copy_text(out->pause_reason, sizeof out->pause_reason, res, i, 14);
    if (!out->message_text) return TGR_ERR;
    int64_t v[] = {account_id, out->id};
    struct params p = {0};
    p_ints(&p, 2, v);
    enum db_status r;
    PGresult *m = run(s, S_CAMPAIGN_MEDIA_LIST, &p, &r, "campaign media");
    for (int k = 0; m && k < PQntuples(m) && out->n_media < CAMPAIGN_MAX_MEDIA; k++)
        out->media_ids[out->n_media++] = col_i(m, k, 0);
    PQclear(m);
    return r < 0 ? TGR_ERR : TGR_OK;
}

static enum db_status set_media(struct pg *s, int64_t account_id, const struct campaign *c, int64_t id)
{
    int64_t v[] = {account_id, id};
    enum db_status r = exec_n(s, S_CAMPAIGN_MEDIA_CLEAR, 2, v, "campaign media clear");
    for (int i = 0; r >= 0 && i < c->n_media; i++) {
        int64_t w[] = {account_id, id, c->media_ids[i], i};
        r = exec_n(s, S_CAMPAIGN_MEDIA_ADD, 4, w, "campaign media add");
    }
    return r;
}

static void p_campaign_fields(struct params *p, const struct campaign *c)
{
    p_text(p, c->name);
    p_text(p, c->message_text);
    p_opt(p, c->filters_json);
    p_opt(p, c->quiet_hours_json);
    p_opt(p, c->nudges_json);
    p_int(p, c->track_links);
    p_opt(p, c->discount_json);
}

static enum db_status pg_campaign_create(struct store *st, int64_t account_id, const struct campaign *c,
                                         int64_t *id)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_NORMAL, r)
    {
        int64_t now = now_ms(), nid = 0;
        struct params p = {0};
        p_int(&p, account_id);
        p_campaign_fields(&p, c);
        p_int(&p, now);
        p_int(&p, now);
        PGresult *res = run(s, S_CAMPAIGN_INSERT, &p, &r, "campaign insert");
        if (r == DB_ONE) nid = col_i(res, 0, 0);
        PQclear(res);
        if (r == DB_ONE) r = set_media(s, account_id, c, nid);
        if (r >= 0) {
            int64_t v[] = {account_id, nid, now};
            r = exec_n(s, S_ANALYTICS_INSERT, 3, v, "campaign analytics insert");
        }
        if (r >= 0 && id) *id = nid;
        if (r >= 0) r = DB_ONE;
    }
    return r;
}

static enum db_status pg_campaign_get(struct store *st, int64_t account_id, int64_t id, struct campaign *out)
{
    struct pg *s = PG(st);
    int64_t v[] = {account_id, id};
    struct params p = {0};
    p_ints(&p, 2, v);
    memset(out, 0, sizeof *out);
    enum db_status r;
    PGresult *res = run(s, S_CAMPAIGN_GET, &p, &r, "campaign lookup");
    if (r == DB_ONE && read_campaign(s, account_id, res, 0, out) != TGR_OK) {
        campaign_release(out);
        r = DB_HARD;
    }
    PQclear(res);
    return r;
}

struct campaign_cls {
    struct pg *s;
    int64_t account_id;
};

static int read_campaign_row(const PGresult *res, int i, void *row, void *cls)
{
    const struct campaign_cls *cc = cls;
    return read_campaign(cc->s, cc->account_id, res, i, row);
}

static void release_campaign_row(void *row)
{
    campaign_release(row);
}

static enum db_status pg_campaign_list(struct store *st, int64_t account_id, struct campaign **rows,
                                       size_t *n)
{
    struct campaign_cls cc = {PG(st), account_id};
    struct params p = {0};
    p_int(&p, account_id);
    return query_rows(PG(st), S_CAMPAIGN_LIST, &p, sizeof **rows, read_campaign_row, release_campaign_row,
                      &cc, (void **)rows, n, "campaign list");
}

static enum db_status pg_campaign_update(struct store *st, int64_t account_id, const struct campaign *c)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_NORMAL, r)
    {
        struct params p = {0};
        p_campaign_fields(&p, c);
        p_int(&p, now_ms());
        p_int(&p, account_id);
        p_int(&p, c->id);
        r = exec_p(s, S_CAMPAIGN_UPDATE, &p, "campaign update");
        if (r == DB_ONE) r = set_media(s, account_id, c, c->id) < 0 ? DB_HARD : DB_ONE;
    }
    return r;
}

static enum db_status pg_campaign_delete(struct store *st, int64_t account_id, int64_t id)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_NORMAL, r)
    {
        struct campaign c;
        r = pg_campaign_get(st, account_id, id, &c);
        int draft = r == DB_ONE && strcmp(c.status, "draft") == 0;
        if (r == DB_ONE) campaign_release(&c);
        if (r >= 0 && !draft) r = DB_NONE;
        int64_t v[] = {account_id, id};
        static const enum stmt_id steps[] = {S_CAMPAIGN_MEDIA_CLEAR, S_CAMPAIGN_DELETE_DEPS,
                                             S_CAMPAIGN_DELETE_CODES, S_CAMPAIGN_DELETE_LINKS,
                                             S_CAMPAIGN_DELETE};
        for (size_t k = 0; draft && r >= 0 && k < sizeof steps / sizeof steps[0]; k++)
            r = exec_n(s, steps[k], 2, v, "campaign delete");
    }
    return r;
}

/* ---- discount codes ------------------------------------------------------------------------ */

static enum db_status pg_codes_replace(struct store *st, int64_t account_id, int64_t campaign_id,
                                       const struct discount_code_row *codes, size_t n)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_NORMAL, r)
    {
        int64_t v[] = {account_id, campaign_id};
        r = exec_n(s, S_CODES_CLEAR_FREE, 2, v, "codes clear");
        for (size_t i = 0; r >= 0 && i < n; i++) {
            struct params p = {0};
            p_ints(&p, 2, v);
            p_blob(&p, &codes[i].code);
            p_text(&p, codes[i].code_bidx);
            r = exec_p(s, S_CODE_INSERT, &p, "code insert");
        }
        if (r >= 0) r = DB_ONE;
    }
    return r;
}

static int read_code(const PGresult *res, int i, struct discount_code_row *out, int with_recipient)
{
    memset(out, 0, sizeof *out);
    out->id = col_i(res, i, 0);
    if (read_blob(res, i, 1, &out->code) != TGR_OK) return TGR_ERR;
    copy_text(out->code_bidx, sizeof out->code_bidx, res, i, 2);
    out->recipient_id = with_recipient ? col_i(res, i, 3) : 0;
    return TGR_OK;
}

static int read_code_row(const PGresult *res, int i, void *row, void *cls)
{
    return read_code(res, i, row, 1);
}

static void release_code_row(void *row)
{
    blob_release(&((struct discount_code_row *)row)->code);
}

static enum db_status pg_codes_list(struct store *st, int64_t account_id, int64_t campaign_id,
                                    struct discount_code_row **rows, size_t *n)
{
    int64_t v[] = {account_id, campaign_id};
    struct params p = {0};
    p_ints(&p, 2, v);
    return query_rows(PG(st), S_CODES_LIST, &p, sizeof **rows, read_code_row, release_code_row, NULL,
                      (void **)rows, n, "codes list");
}

/* The code of a recipient, else the first free one taken for it. Under SERIALIZABLE two
 * recipients taking the same free code conflict, and the loser runs again with the next. */
static enum db_status code_assign_once(struct pg *s, int64_t account_id, int64_t campaign_id,
                                       int64_t recipient_id, struct discount_code_row *out)
{
    enum db_status r;
    int64_t v[] = {account_id, campaign_id, recipient_id};
    struct params p = {0};
    p_ints(&p, 3, v);
    PGresult *res = run(s, S_CODE_OF_RECIPIENT, &p, &r, "code of recipient");
    if (r == DB_ONE) r = read_code(res, 0, out, 1) == TGR_OK ? DB_ONE : DB_HARD;
    PQclear(res);
    if (r != DB_NONE) return r;
    p.n = 2;
    res = run(s, S_CODE_FREE, &p, &r, "free code");
    if (r == DB_ONE && read_code(res, 0, out, 0) != TGR_OK) r = DB_HARD;
    PQclear(res);
    if (r != DB_ONE) return r;
    out->recipient_id = recipient_id;
    int64_t w[] = {recipient_id, now_ms(), out->id};
    r = exec_n(s, S_CODE_TAKE, 3, w, "code take");
    if (r != DB_ONE) {
        blob_release(&out->code);
        return r < 0 ? r : DB_HARD;
    }
    return DB_ONE;
}

static enum db_status pg_code_assign(struct store *st, int64_t account_id, int64_t campaign_id,
                                     int64_t recipient_id, struct discount_code_row *out)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_NORMAL, r)
    {
        r = code_assign_once(s, account_id, campaign_id, recipient_id, out);
    }
    return r;
}

/* ---- links --------------------------------------------------------------------------------- */

static enum db_status pg_link_ensure(struct store *st, int64_t account_id, int64_t campaign_id,
                                     const char *url, int64_t *link_id)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_NORMAL, r)
    {
        struct params p = {0};
        p_int(&p, account_id);
        p_int(&p, campaign_id);
        p_text(&p, url);
        r = exec_p(s, S_LINK_INSERT, &p, "link insert");
        if (r >= 0) {
            PGresult *res = run(s, S_LINK_GET, &p, &r, "link lookup");
            if (r == DB_ONE)
                *link_id = col_i(res, 0, 0);
            else if (r == DB_NONE)
                r = DB_HARD;
            PQclear(res);
        }
    }
    return r;
}

/* ---- media --------------------------------------------------------------------------------- */

static void read_media(const PGresult *res, struct media_row *m)
{
    memset(m, 0, sizeof *m);
    m->id = col_i(res, 0, 0);
    copy_text(m->kind, sizeof m->kind, res, 0, 1);
    copy_text(m->mime, sizeof m->mime, res, 0, 2);
    m->size = col_i(res, 0, 3);
    copy_text(m->sha256, sizeof m->sha256, res, 0, 4);
    copy_text(m->storage_key, sizeof m->storage_key, res, 0, 5);
    m->created_at = col_i(res, 0, 6);
}

static enum db_status media_query(struct pg *s, enum stmt_id id, int64_t account_id, const char *text,
                                  int64_t num, struct media_row *out)
{
    struct params p = {0};
    p_int(&p, account_id);
    if (text)
        p_text(&p, text);
    else
        p_int(&p, num);
    enum db_status r;
    PGresult *res = run(s, id, &p, &r, "media lookup");
    if (r == DB_ONE) read_media(res, out);
    PQclear(res);
    return r;
}

static enum db_status pg_media_add(struct store *st, int64_t account_id, const struct media_row *m,
                                   struct media_row *out)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_NORMAL, r)
    {
        struct params p = {0};
        p_int(&p, account_id);
        p_text(&p, m->kind);
        p_text(&p, m->mime);
        p_int(&p, m->size);
        p_text(&p, m->sha256);
        p_text(&p, m->storage_key);
        p_int(&p, now_ms());
        enum db_status ins = exec_p(s, S_MEDIA_INSERT, &p, "media insert");
        r = ins;
        if (ins >= 0) {
            r = media_query(s, S_MEDIA_BY_SHA, account_id, m->sha256, 0, out);
            if (r == DB_ONE)
                r = ins; /* DB_ONE new, DB_NONE already there */
            else if (r == DB_NONE)
                r = DB_HARD;
        }
    }
    return r;
}

static enum db_status pg_media_get(struct store *st, int64_t account_id, int64_t id, struct media_row *out)
{
    return media_query(PG(st), S_MEDIA_GET, account_id, NULL, id, out);
}

/* ---- orders -------------------------------------------------------------------------------- */

static void read_order(const PGresult *res, struct order_row *o)
{
    memset(o, 0, sizeof *o);
    o->id = col_i(res, 0, 0);
    copy_text(o->order_id, sizeof o->order_id, res, 0, 1);
    o->amount = col_i(res, 0, 2);
    copy_text(o->currency, sizeof o->currency, res, 0, 3);
    copy_text(o->status, sizeof o->status, res, 0, 4);
    o->created_at = col_i(res, 0, 5);
    o->received_at = col_i(res, 0, 6);
    o->contact_id = col_i(res, 0, 7);
    copy_text(o->discount_code_bidx, sizeof o->discount_code_bidx, res, 0, 8);
    copy_text(o->ref, sizeof o->ref, res, 0, 9);
    o->attributed_campaign_id = col_i(res, 0, 10);
    copy_text(o->body_hash, sizeof o->body_hash, res, 0, 11);
    copy_text(o->customer_tg_user_id, sizeof o->customer_tg_user_id, res, 0, 12);
    o->attributed_recipient_id = col_i(res, 0, 13);
    o->attributed_link_id = col_i(res, 0, 14);
    o->attributed_code_id = col_i(res, 0, 15);
    o->attributed_step = (int)col_i(res, 0, 16);
}

static enum db_status order_query(struct store *st, enum stmt_id id, int64_t account_id, const char *text,
                                  int64_t num, struct order_row *out)
{
    struct params p = {0};
    p_int(&p, account_id);
    if (text)
        p_text(&p, text);
    else
        p_int(&p, num);
    enum db_status r;
    PGresult *res = run(PG(st), id, &p, &r, "order lookup");
    if (r == DB_ONE) read_order(res, out);
    PQclear(res);
    return r;
}

static enum db_status pg_order_get(struct store *st, int64_t account_id, const char *order_id,
                                   struct order_row *out)
{
    return order_query(st, S_ORDER_GET, account_id, order_id, 0, out);
}

static enum db_status pg_order_latest_paid(struct store *st, int64_t account_id, int64_t contact_id,
                                           struct order_row *out)
{
    return order_query(st, S_ORDER_LATEST_PAID, account_id, NULL, contact_id, out);
}

static enum db_status pg_order_save(struct store *st, int64_t account_id, const struct order_row *o,
                                    int64_t *id)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_DURABLE, r)
    { /* money: durable */
        int64_t now = now_ms();
        struct params p = {0};
        if (o->id == 0) {
            p_int(&p, account_id);
            p_text(&p, o->order_id);
            p_int(&p, o->amount);
            p_text(&p, o->currency);
            p_text(&p, o->status);
            p_int(&p, o->created_at);
            p_id(&p, o->contact_id);
            p_opt(&p, o->discount_code_bidx);
            p_opt(&p, o->ref);
            p_id(&p, o->attributed_campaign_id);
            p_opt(&p, o->body_hash);
            p_int(&p, now);
            p_opt(&p, o->customer_tg_user_id);
            p_opt(&p, o->customer_phone_bidx);
            p_opt(&p, o->customer_username_bidx);
            PGresult *res = run(s, S_ORDER_INSERT, &p, &r, "order insert");
            if (r == DB_ONE && id) *id = col_i(res, 0, 0);
            PQclear(res);
        } else {
            p_text(&p, o->status);
            p_opt(&p, o->body_hash);
            p_int(&p, now);
            p_int(&p, account_id);
            p_int(&p, o->id);
            r = exec_p(s, S_ORDER_UPDATE, &p, "order update");
            if (id) *id = o->id;
        }
    }
    return r;
}

static enum db_status pg_orders_link_contact(struct store *st, int64_t account_id, int64_t contact_id,
                                             const char *tg_user_id, const char *phone_bidx,
                                             const char *username_bidx, int *linked)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_DURABLE, r)
    {
        struct params p = {0};
        p_int(&p, contact_id);
        p_int(&p, account_id);
        p_opt(&p, tg_user_id);
        p_opt(&p, phone_bidx);
        p_opt(&p, username_bidx);
        PGresult *res = run(s, S_ORDERS_LINK, &p, &r, "orders link");
        if (linked) *linked = r >= 0 ? (int)changed(res) : 0;
        PQclear(res);
    }
    return r;
}

static enum db_status pg_order_counts(struct store *st, int64_t account_id, int64_t contact_id, int *paid,
                                      int *refunded)
{
    int64_t v[] = {account_id, contact_id};
    struct params p = {0};
    p_ints(&p, 2, v);
    *paid = *refunded = 0;
    enum db_status r;
    PGresult *res = run(PG(st), S_ORDER_COUNTS, &p, &r, "order counts");
    if (r == DB_ONE) {
        *paid = (int)col_i(res, 0, 0);
        *refunded = (int)col_i(res, 0, 1);
    }
    PQclear(res);
    return r;
}

static enum db_status pg_contact_by_bidx(struct store *st, int64_t account_id, const char *column,
                                         const char *bidx, struct contact *out)
{
    enum stmt_id id = strcmp(column, "phone") == 0 ? S_CONTACT_BY_PHONE : S_CONTACT_BY_USERNAME;
    return contact_query(st, id, account_id, bidx, 0, out);
}

/* ---- categories and audiences -------------------------------------------------------------- */

static enum db_status pg_inbound_recent(struct store *st, int64_t account_id, int64_t contact_id, int limit,
                                        struct blob **texts, int64_t **ids, size_t *n)
{
    *texts = NULL;
    *ids = NULL;
    *n = 0;
    if (limit <= 0) return DB_NONE;
    int64_t v[] = {account_id, contact_id, limit};
    struct params p = {0};
    p_ints(&p, 3, v);
    enum db_status r;
    PGresult *res = run(PG(st), S_INBOUND_RECENT, &p, &r, "inbound texts");
    if (!res) return r;
    int k = PQntuples(res);
    if (k > limit) k = limit;
    *texts = calloc((size_t)limit, sizeof **texts);
    *ids = calloc((size_t)limit, sizeof **ids);
    r = *texts && *ids ? DB_ONE : DB_HARD;
    for (int i = 0; r == DB_ONE && i < k; i++) {
        if (read_blob(res, i, 0, &(*texts)[i]) != TGR_OK) {
            r = DB_HARD;
            break;
        }
        (*ids)[i] = col_i(res, i, 1);
        (*n)++;
    }
    PQclear(res);
    if (r < 0) {
        for (size_t i = 0; *texts && i < *n; i++)
            blob_release(&(*texts)[i]);
        free(*texts);
        free(*ids);
        *texts = NULL;
        *ids = NULL;
        *n = 0;
        return r;
    }
    return *n ? DB_ONE : DB_NONE;
}

static enum db_status pg_category_put(struct store *st, int64_t account_id, int64_t contact_id,
                                      const struct blob *category, const struct blob *confidence)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_NORMAL, r)
    {
        struct params p = {0};
        p_int(&p, account_id);
        p_int(&p, contact_id);
        p_blob(&p, category);
        p_blob(&p, confidence);
        p_int(&p, now_ms());
        r = exec_p(s, S_CATEGORY_PUT, &p, "category save");
    }
    return r;
}

/* Pages of AUDIENCE_PAGE contacts by id, so that a large audience is never one result in memory. */
static enum db_status pg_audience_scan(struct store *st, int64_t account_id, const struct audience_query *aq,
                                       int (*fn)(void *cls, const struct audience_row *row), void *cls)
{
    int64_t after = 0;
    for (;;) {
        int64_t v[] = {account_id,
                       aq->min_last_inbound_at,
                       aq->min_orders,
                       aq->max_orders,
                       aq->min_spent,
                       aq->clicked_campaign,
                       aq->not_replied_to_campaign,
                       aq->cap_since,
                       aq->read_campaign,
                       aq->not_read_campaign,
                       aq->replied_to_campaign,
                       aq->bought_from_campaign,
                       after,
                       AUDIENCE_PAGE};
        struct params p = {0};
        p_ints(&p, 14, v);
        enum db_status r;
        PGresult *res = run(PG(st), S_AUDIENCE, &p, &r, "audience");
        if (!res) return r;
        int k = PQntuples(res), stop = 0;
        for (int i = 0; i < k && !stop; i++) {
            /* The sealed blobs are borrowed from the result for the callback's duration. */
            struct audience_row row;
            row.contact_id = col_i(res, i, 0);
            row.category.p = PQgetisnull(res, i, 1) ? NULL : (unsigned char *)PQgetvalue(res, i, 1);
            row.category.len = (size_t)PQgetlength(res, i, 1);
            row.confidence.p = PQgetisnull(res, i, 2) ? NULL : (unsigned char *)PQgetvalue(res, i, 2);
            row.confidence.len = (size_t)PQgetlength(res, i, 2);
            after = row.contact_id;
            stop = fn(cls, &row);
        }
        PQclear(res);
        if (stop || k < AUDIENCE_PAGE) return DB_ONE;
    }
}

/* Per-step counters (campaign_steps). Fields of a delta: rows, sent, failed, skipped, read,
 * replied, clicked. */
enum { D_ROWS, D_SENT, D_FAILED, D_SKIPPED, D_READ, D_REPLIED, D_CLICKED, D_COUNT };

static enum db_status bump(struct pg *s, int64_t account_id, int64_t campaign_id, int step,
                           const int64_t d[D_COUNT])
{
    struct params p = {0};
    p_int(&p, account_id);
    p_int(&p, campaign_id);
    p_int(&p, step);
    p_ints(&p, D_COUNT, d);
    return exec_p(s, S_STEP_BUMP, &p, "step counters");
}

static enum db_status bump1(struct pg *s, int64_t account_id, int64_t campaign_id, int step, int field)
{
    int64_t d[D_COUNT] = {0};
    d[field] = 1;
    return bump(s, account_id, campaign_id, step, d);
}

/* Run a bound write statement whose RETURNING gives (campaign_id, step[, status]) per changed
 * row, then count the rows per (campaign, step) in field — or, when a status column is returned
 * (new nudge rows), in D_ROWS and, for 'skipped' rows, D_SKIPPED too.
 * @param[out] n rows changed (may be NULL) */
static enum db_status run_counting(struct pg *s, enum stmt_id id, const struct params *p, int64_t account_id,
                                   int field, int64_t *n, const char *what)
{
    struct hit {
        int64_t campaign_id, d[D_COUNT];
        int step;
    } hits[64];
    int nh = 0;
    int64_t total = 0;
    enum db_status r;
    PGresult *res = run(s, id, p, &r, what);
    if (n) *n = 0;
    if (!res) return r;
    int with_status = PQnfields(res) > 2;
    for (int i = 0; i < PQntuples(res); i++) {
        int64_t cid = col_i(res, i, 0);
        int step = (int)col_i(res, i, 1);
        int k = 0;
        while (k < nh && !(hits[k].campaign_id == cid && hits[k].step == step))
            k++;
        if (k == nh) {
            if (nh == 64) continue; /* one contact's rows span few campaigns; never reached in practice */
            memset(&hits[nh], 0, sizeof hits[nh]);
            hits[nh].campaign_id = cid;
            hits[nh].step = step;
            nh++;
        }
        total++;
        if (with_status) {
            hits[k].d[D_ROWS]++;
            if (strcmp(col_s(res, i, 2), "skipped") == 0) hits[k].d[D_SKIPPED]++;
        } else {
            hits[k].d[field]++;
        }
    }
    PQclear(res);
    r = DB_ONE;
    for (int k = 0; r >= 0 && k < nh; k++)
        r = bump(s, account_id, hits[k].campaign_id, hits[k].step, hits[k].d);
    if (n) *n = total;
    return r < 0 ? r : (total ? DB_ONE : DB_NONE);
}

/* Skip a contact's pending rows from step min_step on, with a reason. */
static enum db_status skip_pending(struct pg *s, int64_t account_id, int64_t contact_id, const char *reason,
                                   int min_step)
{
    struct params p = {0};
    p_text(&p, reason);
    p_int(&p, account_id);
    p_int(&p, contact_id);
    p_int(&p, min_step);
    return run_counting(s, S_SKIP_NUDGES, &p, account_id, D_SKIPPED, NULL, "skip pending");
}

/* ---- the send engine ----------------------------------------------------------------------- */

/* Insert the step-0 rows of a campaign, INSERT_BATCH ids per statement (an int8[] parameter).
 * @param[out] inserted rows that were new */
static enum db_status insert_recipients(struct pg *s, int64_t account_id, int64_t campaign_id,
                                        const int64_t *ids, size_t n, int64_t now, int64_t *inserted)
{
    char *arr = malloc((size_t)INSERT_BATCH * 21 + 3);
    if (!arr) return DB_HARD;
    enum db_status r = DB_ONE;
    for (size_t i = 0; r >= 0 && i < n; i += INSERT_BATCH) {
        size_t end = i + INSERT_BATCH < n ? i + INSERT_BATCH : n, len = 0;
        arr[len++] = '{';
        for (size_t k = i; k < end; k++)
            len += (size_t)snprintf(arr + len, 22, "%s%" PRId64, k > i ? "," : "", ids[k]);
        arr[len++] = '}';
        arr[len] = 0;
        struct params p = {0};
        p_int(&p, account_id);
        p_int(&p, campaign_id);
        p_text(&p, arr);
        p_int(&p, now);
        PGresult *res = run(s, S_RECIPIENTS_INSERT, &p, &r, "recipient insert");
        *inserted += changed(res);
        PQclear(res);
    }
    free(arr);
    return r < 0 ? DB_HARD : DB_ONE;
}

static enum db_status pg_campaign_start(struct store *st, int64_t account_id, int64_t campaign_id,
                                        const int64_t *contact_ids, size_t n, int override_quiet,
                                        int64_t *running_id)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    int busy = 0;
    WRITE(s, TX_DURABLE, r)
    {
        int64_t now = now_ms();
        busy = 0;
        int64_t v[] = {account_id, campaign_id};
        struct params p = {0};
        p_ints(&p, 2, v);
        PGresult *res = run(s, S_RUNNING_OTHER, &p, &r, "running campaign");
        if (r == DB_ONE) {
            if (running_id) *running_id = col_i(res, 0, 0);
            busy = 1;
            r = DB_NONE;
        } else if (r == DB_NONE) {
            PQclear(res);
            res = NULL;
            struct params q = {0};
            p_int(&q, override_quiet);
            p_int(&q, now);
            p_int(&q, now);
            p_int(&q, account_id);
            p_int(&q, campaign_id);
            p_text(&q, contact_ids ? "draft" : "paused");
            r = exec_p(s, S_CAMPAIGN_TO_RUNNING, &q, "campaign start");
            int64_t inserted = 0;
            if (r == DB_ONE && contact_ids && n)
                r = insert_recipients(s, account_id, campaign_id, contact_ids, n, now, &inserted);
            if (r == DB_ONE && inserted) {
                int64_t d[D_COUNT] = {0};
                d[D_ROWS] = inserted;
                r = bump(s, account_id, campaign_id, 0, d) < 0 ? DB_HARD : DB_ONE;
            }
        }
        PQclear(res);
    }
    return busy && r == DB_NONE ? DB_SOFT : r;
}

static enum db_status pg_campaign_set_categories(struct store *st, int64_t account_id, int64_t campaign_id,
                                                 const int64_t counts[3])
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_NORMAL, r)
    {
        int64_t v[] = {counts[0], counts[1], counts[2], account_id, campaign_id};
        r = exec_n(s, S_SET_CATEGORIES, 5, v, "campaign categories");
    }
    return r;
}

static enum db_status pg_campaign_transition(struct store *st, int64_t account_id, int64_t campaign_id,
                                             const char *from, const char *to, const char *reason)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_DURABLE, r)
    {
        struct params p = {0};
        p_text(&p, to);
        p_opt(&p, reason);
        p_int(&p, now_ms());
        p_int(&p, account_id);
        p_int(&p, campaign_id);
        p_text(&p, from);
        r = exec_p(s, S_CAMPAIGN_TRANSITION, &p, "campaign transition");
    }
    return r;
}

static enum db_status write_ids(struct store *st, enum stmt_id id, const char *text, int64_t a, int64_t b,
                                int64_t c, enum tx_kind kind, const char *what)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, kind, r)
    {
        struct params p = {0};
        if (text) p_text(&p, text);
        p_int(&p, a);
        p_int(&p, b);
        p_int(&p, c);
        r = exec_p(s, id, &p, what);
    }
    return r;
}

static enum db_status pg_campaign_set_override(struct store *st, int64_t account_id, int64_t campaign_id,
                                               int on)
{
    return write_ids(st, S_CAMPAIGN_OVERRIDE, NULL, on, account_id, campaign_id, TX_NORMAL,
                     "campaign override");
}

static enum db_status pg_campaign_set_nudges(struct store *st, int64_t account_id, int64_t campaign_id,
                                             const char *nudges_json)
{
    return write_ids(st, S_CAMPAIGN_NUDGES, nudges_json, now_ms(), account_id, campaign_id, TX_NORMAL,
                     "campaign nudges");
}

static enum db_status pg_campaigns_pause_all(struct store *st, int64_t account_id, const char *reason)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_DURABLE, r)
    {
        struct params p = {0};
        p_text(&p, reason);
        p_int(&p, now_ms());
        p_int(&p, account_id);
        r = exec_p(s, S_CAMPAIGNS_PAUSE_ALL, &p, "pause all");
    }
    return r;
}

static enum db_status pg_accounts_sending(struct store *st, int64_t **ids, size_t *n)
{
    return id_list(st, S_ACCOUNTS_SENDING, 0, NULL, ids, n);
}

static enum db_status pg_campaigns_in_status(struct store *st, int64_t account_id, const char *status,
                                             int64_t **ids, size_t *n)
{
    return id_list(st, S_CAMPAIGNS_IN_STATUS, account_id, status, ids, n);
}

static enum db_status recipient_query(struct pg *s, enum stmt_id id, int64_t account_id, int64_t now,
                                      struct recipient *out)
{
    struct params p = {0};
    p_int(&p, account_id);
    if (id == S_RECIPIENT_DUE) p_int(&p, now);
    enum db_status r;
    PGresult *res = run(s, id, &p, &r, "next recipient");
    if (r == DB_ONE) {
        memset(out, 0, sizeof *out);
        out->id = col_i(res, 0, 0);
        out->campaign_id = col_i(res, 0, 1);
        out->contact_id = col_i(res, 0, 2);
        out->step = (int)col_i(res, 0, 3);
        copy_text(out->status, sizeof out->status, res, 0, 4);
        copy_text(out->random_id, sizeof out->random_id, res, 0, 5);
        out->attempt = (int)col_i(res, 0, 6);
        out->next_attempt_at = col_i(res, 0, 7);
        out->tg_message_id = col_i(res, 0, 8);
        out->sent_at = col_i(res, 0, 9);
    }
    PQclear(res);
    return r;
}

/* A row left 'sending' (by a crash or a lost answer) goes first, then the pending row due
 * soonest; each is one index range scan on recipients_due. */
static enum db_status pg_recipient_next(struct store *st, int64_t account_id, int64_t now,
                                        struct recipient *out)
{
    enum db_status r = recipient_query(PG(st), S_RECIPIENT_SENDING, account_id, now, out);
    if (r != DB_NONE) return r;
    return recipient_query(PG(st), S_RECIPIENT_DUE, account_id, now, out);
}

/* A query of up to three integers whose first column of the first row is *out (0 if none). */
static enum db_status one_int(struct store *st, enum stmt_id sid, int nargs, const int64_t *v, int64_t *out)
{
    struct params p = {0};
    p_ints(&p, nargs, v);
    *out = 0;
    enum db_status r;
    PGresult *res = run(PG(st), sid, &p, &r, "count");
    if (r == DB_ONE) *out = col_i(res, 0, 0);
    PQclear(res);
    return r;
}

static enum db_status pg_recipient_next_at(struct store *st, int64_t account_id, int64_t *at)
{
    return one_int(st, S_RECIPIENT_NEXT_AT, 1, &account_id, at);
}

static enum db_status pg_campaign_open_rows(struct store *st, int64_t account_id, int64_t campaign_id,
                                            int step, int64_t *n)
{
    int64_t v[] = {account_id, campaign_id, step};
    return one_int(st, S_OPEN_ROWS, 3, v, n);
}

static enum db_status pg_nudge_next_due(struct store *st, int64_t account_id, int64_t campaign_id, int step,
                                        int64_t *sent_at)
{
    int64_t v[] = {account_id, campaign_id, step};
    return one_int(st, S_NUDGE_NEXT_DUE, 3, v, sent_at);
}

/* The claim is one conditional UPDATE (pending or sending → sending): of two instances racing
 * for a row, the serializable transactions let one win and the other run again. */
static enum db_status pg_recipient_claim(struct store *st, int64_t account_id, int64_t recipient_id,
                                         const char *random_id, const struct blob *code)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_DURABLE, r)
    {
        struct params p = {0};
        p_text(&p, random_id);
        p_blob(&p, code);
        p_int(&p, account_id);
        p_int(&p, recipient_id);
        r = exec_p(s, S_RECIPIENT_CLAIM, &p, "recipient claim");
    }
    return r;
}

static enum db_status pg_recipient_code(struct store *st, int64_t account_id, int64_t recipient_id,
                                        struct blob *out)
{
    int64_t v[] = {account_id, recipient_id};
    struct params p = {0};
    p_ints(&p, 2, v);
    memset(out, 0, sizeof *out);
    enum db_status r;
    PGresult *res = run(PG(st), S_RECIPIENT_CODE, &p, &r, "recipient code");
    if (r == DB_ONE && read_blob(res, 0, 0, out) != TGR_OK) r = DB_HARD;
    PQclear(res);
    return r;
}

static void p_log(struct params *p, int64_t account_id, int64_t campaign_id, const char *status,
                  const char *details, int64_t at, int64_t contact_id, int step, int attempt,
                  const char *error_code)
{
    p_int(p, account_id);
    p_int(p, campaign_id);
    p_text(p, status);
    p_opt(p, details);
    p_int(p, at);
    p_id(p, contact_id);
    p_int(p, step);
    if (attempt >= 0)
        p_int(p, attempt);
    else
        p_text(p, NULL);
    p_opt(p, error_code);
}

static enum db_status pg_log_add(struct store *st, int64_t account_id, int64_t campaign_id,
                                 int64_t contact_id, int step, const char *status, const char *error_code,
                                 const char *details)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_NORMAL, r)
    {
        struct params p = {0};
        p_log(&p, account_id, campaign_id, status, details, now_ms(), contact_id, step, -1, error_code);
        r = exec_p(s, S_LOG_INSERT, &p, "log insert");
    }
    return r;
}

static enum db_status pg_recipient_finish(struct store *st, int64_t account_id, const struct send_outcome *o)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    /* Not synchronous on its own: if the server loses it, the row is still 'sending' with its
     * random_id and is sent again, which Telegram answers with the message it already has. */
    WRITE(s, TX_NORMAL, r)
    {
        int64_t now = now_ms();
        struct params p = {0};
        p_text(&p, o->status);
        p_id(&p, o->tg_message_id);
        p_opt(&p, o->error_code);
        p_int(&p, o->next_attempt_at);
        p_text(&p, o->status);
        p_int(&p, now);
        p_int(&p, account_id);
        p_int(&p, o->recipient_id);
        r = exec_p(s, S_RECIPIENT_FINISH, &p, "recipient outcome");
        if (r >= 0) {
            struct params q = {0};
            p_log(&q, account_id, o->campaign_id, o->log_status, o->error_details, now, o->contact_id,
                  o->step, o->attempt, o->error_code);
            r = exec_p(s, S_LOG_INSERT, &q, "send log");
        }
        int sent = strcmp(o->status, "sent") == 0, failed_ = strcmp(o->status, "failed") == 0;
        if (r >= 0 && (sent || failed_)) {
            int64_t v[] = {now, account_id, o->campaign_id};
            r = exec_n(s, sent ? S_COUNT_SENT : S_COUNT_FAILED, 3, v, "counters");
        }
        if (r >= 0 && (sent || failed_))
            r = bump1(s, account_id, o->campaign_id, o->step, sent ? D_SENT : D_FAILED);
        if (r >= 0 && failed_ && o->error_code) {
            struct params q = {0};
            p_int(&q, account_id);
            p_int(&q, o->campaign_id);
            p_text(&q, o->error_code);
            r = exec_p(s, S_FAILURE_BUMP, &q, "failure counter");
        }
        if (r >= 0 && o->mark_contact) {
            int64_t v[] = {now, account_id, o->contact_id};
            r = exec_n(s, o->mark_contact == 1 ? S_CONTACT_BLOCKED : S_CONTACT_DEACTIVATED, 3, v,
                       "contact mark");
        }
        if (r >= 0) r = DB_ONE;
    }
    return r;
}

static enum db_status pg_nudge_schedule(struct store *st, int64_t account_id, int64_t campaign_id, int step,
                                        const char *condition, int64_t sent_before, int64_t *created)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_DURABLE, r)
    {
        struct params p = {0};
        p_int(&p, account_id);
        p_int(&p, campaign_id);
        p_int(&p, step);
        p_text(&p, condition);
        p_int(&p, sent_before);
        p_int(&p, now_ms());
        r = run_counting(s, S_NUDGE_SCHEDULE, &p, account_id, D_ROWS, created, "nudge schedule");
        if (r >= 0) {
            /* Step-1 rows sent up to here have their step row now (pending or skipped). */
            int64_t v[] = {account_id, campaign_id, step, sent_before};
            r = exec_n(s, S_STEP_THROUGH, 4, v, "nudge cutoff");
        }
    }
    return r;
}

static int read_log_row(const PGresult *res, int i, void *row, void *cls)
{
    struct log_row *l = row;
    l->id = col_i(res, i, 0);
    l->at = col_i(res, i, 1);
    l->contact_id = col_i(res, i, 2);
    l->step = (int)col_i(res, i, 3);
    copy_text(l->status, sizeof l->status, res, i, 4);
    copy_text(l->error_code, sizeof l->error_code, res, i, 5);
    copy_text(l->error_details, sizeof l->error_details, res, i, 6);
    return TGR_OK;
}

static enum db_status pg_logs_page(struct store *st, int64_t account_id, int64_t campaign_id, int64_t after,
                                   int limit, struct log_row **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    if (limit <= 0) return DB_NONE;
    int64_t v[] = {account_id, campaign_id, after, limit};
    struct params p = {0};
    p_ints(&p, 4, v);
    return query_rows(PG(st), S_LOGS_PAGE, &p, sizeof **rows, read_log_row, NULL, NULL, (void **)rows, n,
                      "logs");
}

static enum db_status pg_campaign_counts(struct store *st, int64_t account_id, int64_t campaign_id,
                                         struct campaign_counts *out)
{
    int64_t v[] = {account_id, campaign_id};
    struct params p = {0};
    p_ints(&p, 2, v);
    memset(out, 0, sizeof *out);
    enum db_status r;
    PGresult *res = run(PG(st), S_COUNTS_ROWS, &p, &r, "campaign counts");
    if (r == DB_ONE) {
        out->audience = col_i(res, 0, 0);
        out->pending = col_i(res, 0, 1);
        out->sending = col_i(res, 0, 2);
        out->sent = col_i(res, 0, 3);
        out->failed = col_i(res, 0, 4);
        out->skipped = col_i(res, 0, 5);
        out->read = col_i(res, 0, 6);
        out->replied = col_i(res, 0, 7);
        out->unique_clicks = col_i(res, 0, 8);
    }
    PQclear(res);
    if (r < 0) return r;
    res = run(PG(st), S_COUNTS_ANALYTICS, &p, &r, "campaign analytics");
    if (r == DB_ONE) {
        out->clicks = col_i(res, 0, 0);
        out->opted_out = col_i(res, 0, 1);
        out->orders = col_i(res, 0, 2);
        out->revenue = col_i(res, 0, 3);
        for (int k = 0; k < 3; k++)
            out->by_category[k] = col_i(res, 0, 4 + k);
        out->unique_clicks = col_i(res, 0, 7);
    }
    PQclear(res);
    return r < 0 ? r : DB_ONE;
}

/* Run a query of n integers and hand its result to the caller (NULL on failure, *r set). */
static PGresult *query_ints(struct pg *s, enum stmt_id id, int n, const int64_t *v, enum db_status *r,
                            const char *what)
{
    struct params p = {0};
    p_ints(&p, n, v);
    return run(s, id, &p, r, what);
}

static enum db_status pg_campaign_failures(struct store *st, int64_t account_id, int64_t campaign_id,
                                           void (*fn)(void *cls, const char *code, int64_t n), void *cls)
{
    int64_t v[] = {account_id, campaign_id};
    enum db_status r;
    PGresult *res = query_ints(PG(st), S_FAILURES, 2, v, &r, "failures");
    for (int i = 0; res && i < PQntuples(res); i++)
        fn(cls, col_s(res, i, 0), col_i(res, i, 1));
    PQclear(res);
    return r < 0 ? r : DB_ONE;
}

static enum db_status pg_recipients_replied(struct store *st, int64_t account_id, int64_t contact_id,
                                            int64_t since, int64_t *n)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_NORMAL, r)
    {
        int64_t v[] = {now_ms(), account_id, contact_id, since};
        struct params p = {0};
        p_ints(&p, 4, v);
        r = run_counting(s, S_REPLIED, &p, account_id, D_REPLIED, n, "replied");
        /* A reply stops the contact's nudges. */
        if (r >= 0) r = skip_pending(s, account_id, contact_id, "replied", 1);
    }
    return r;
}

static enum db_status pg_recipients_read(struct store *st, int64_t account_id, int64_t contact_id,
                                         int64_t max_id)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_NORMAL, r)
    {
        int64_t v[] = {now_ms(), account_id, contact_id, max_id};
        struct params p = {0};
        p_ints(&p, 4, v);
        r = run_counting(s, S_READ, &p, account_id, D_READ, NULL, "read");
    }
    return r;
}

static enum db_status pg_contact_opt_out(struct store *st, int64_t account_id, int64_t contact_id)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_DURABLE, r)
    {
        int64_t v[] = {now_ms(), account_id, contact_id};
        r = exec_n(s, S_OPT_OUT, 3, v, "opt out");
        if (r == DB_ONE) {
            r = exec_n(s, S_OPT_OUT_COUNT, 2, v + 1, "opt-out counter");
            if (r >= 0) r = skip_pending(s, account_id, contact_id, "opted_out", 0);
            if (r >= 0) r = DB_ONE;
        }
    }
    return r;
}

/* ---- tracked links and clicks -------------------------------------------------------------- */

static enum db_status pg_link_get(struct store *st, int64_t link_id, int64_t *account_id,
                                  int64_t *campaign_id, char **url)
{
    enum db_status r;
    PGresult *res = query_ints(PG(st), S_LINK_BY_ID, 1, &link_id, &r, "link lookup");
    *url = NULL;
    if (r == DB_ONE) {
        *account_id = col_i(res, 0, 0);
        *campaign_id = col_i(res, 0, 1);
        *url = dup_col(res, 0, 2);
        if (!*url) r = DB_HARD;
    }
    PQclear(res);
    return r;
}

static enum db_status one_click(struct pg *s, const struct click *k)
{
    int link_unique = 0, campaign_unique = 0;
    enum db_status r = DB_ONE;
    if (k->recipient_id) {
        int64_t v[] = {k->account_id, k->link_id, k->recipient_id};
        r = exec_n(s, S_CLICK_SEEN, 3, v, "click seen");
        if (r < 0) return r;
        link_unique = r == DB_NONE;
    }
    struct params p = {0};
    p_int(&p, k->account_id);
    p_int(&p, k->link_id);
    p_id(&p, k->recipient_id);
    p_int(&p, k->at);
    r = exec_p(s, S_CLICK_INSERT, &p, "click insert");
    if (r >= 0 && k->recipient_id) {
        int64_t v[] = {k->at, k->account_id, k->recipient_id, k->campaign_id};
        PGresult *res = query_ints(s, S_RECIPIENT_CLICKED, 4, v, &r, "recipient clicked");
        campaign_unique = r == DB_ONE;
        int step = campaign_unique ? (int)col_i(res, 0, 0) : 0;
        PQclear(res);
        if (r >= 0 && campaign_unique) r = bump1(s, k->account_id, k->campaign_id, step, D_CLICKED);
    }
    if (r >= 0) {
        int64_t v[] = {link_unique, k->link_id};
        r = exec_n(s, S_LINK_COUNT, 2, v, "link count");
    }
    if (r >= 0) {
        int64_t v[] = {campaign_unique, k->account_id, k->campaign_id};
        r = exec_n(s, S_CAMPAIGN_CLICKS, 3, v, "campaign clicks");
    }
    return r;
}

static enum db_status pg_clicks_record(struct store *st, const struct click *clicks, size_t n)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_NORMAL, r)
    {
        r = DB_ONE;
        for (size_t i = 0; i < n && r >= 0; i++)
            r = one_click(s, &clicks[i]);
        if (r >= 0) r = DB_ONE;
    }
    return r;
}

/* ---- attribution --------------------------------------------------------------------------- */

static enum db_status pg_attribution_find(struct store *st, int64_t account_id, int64_t ref_recipient,
                                          int64_t ref_link, const char *code_bidx, int64_t contact_id,
                                          int64_t created_at, int64_t window_ms, struct attribution *a)
{
    struct pg *s = PG(st);
    enum db_status r = DB_NONE;
    PGresult *res;
    memset(a, 0, sizeof *a);
    if (ref_recipient) {
        int64_t v[] = {account_id, ref_recipient};
        res = query_ints(s, S_ATTR_REF, 2, v, &r, "attribution lookup");
        if (r == DB_ONE) {
            a->campaign_id = col_i(res, 0, 0);
            a->step = (int)col_i(res, 0, 1);
            a->recipient_id = col_i(res, 0, 2);
            a->by = "ref";
        }
        PQclear(res);
        if (r < 0) return r;
        if (r == DB_ONE && ref_link) {
            int64_t w[] = {account_id, ref_link, a->campaign_id};
            res = query_ints(s, S_ATTR_LINK_OK, 3, w, &r, "attribution lookup");
            if (r == DB_ONE) a->link_id = ref_link;
            PQclear(res);
            if (r < 0) return r;
            r = DB_ONE;
        }
    }
    if (!a->campaign_id && code_bidx && *code_bidx) {
        struct params p = {0};
        p_int(&p, account_id);
        p_text(&p, code_bidx);
        res = run(s, S_ATTR_CODE, &p, &r, "code lookup");
        int64_t code_recipient = 0;
        if (r == DB_ONE) {
            a->code_id = col_i(res, 0, 0);
            a->campaign_id = col_i(res, 0, 1);
            code_recipient = col_i(res, 0, 2);
            a->by = "code";
        }
        PQclear(res);
        if (r < 0) return r;
        if (a->campaign_id) {
            /* Which message carried it: the pool code's own row, or (a static code) the latest
             * message of that campaign to this customer. */
            res = NULL;
            if (code_recipient) {
                int64_t v[] = {account_id, code_recipient};
                res = query_ints(s, S_ATTR_REF, 2, v, &r, "attribution lookup");
            } else if (contact_id) {
                int64_t w[] = {account_id, contact_id, created_at, 0, a->campaign_id};
                res = query_ints(s, S_ATTR_WINDOW, 5, w, &r, "attribution lookup");
            }
            if ((code_recipient || contact_id) && r == DB_ONE) {
                a->step = (int)col_i(res, 0, 1);
                a->recipient_id = col_i(res, 0, 2);
            }
            PQclear(res);
            if (r < 0) return r;
        }
    }
    if (!a->campaign_id && contact_id) {
        int64_t v[] = {account_id, contact_id, created_at, created_at - window_ms, 0};
        res = query_ints(s, S_ATTR_WINDOW, 5, v, &r, "attribution lookup");
        if (r == DB_ONE) {
            a->campaign_id = col_i(res, 0, 0);
            a->step = (int)col_i(res, 0, 1);
            a->recipient_id = col_i(res, 0, 2);
            a->by = "window";
        }
        PQclear(res);
        if (r < 0) return r;
    }
    /* An order that used one of the campaign's codes counts for that code too. */
    if (a->campaign_id && !a->code_id && code_bidx && *code_bidx) {
        struct params p = {0};
        p_int(&p, account_id);
        p_int(&p, a->campaign_id);
        p_text(&p, code_bidx);
        res = run(s, S_ATTR_CODE_IN, &p, &r, "code lookup");
        if (r == DB_ONE) a->code_id = col_i(res, 0, 0);
        PQclear(res);
    }
    return a->campaign_id ? DB_ONE : DB_NONE;
}

static enum db_status revenue_by(struct pg *s, int64_t account_id, int64_t campaign_id, const char *kind,
                                 int64_t key, int64_t orders, int64_t revenue)
{
    struct params p = {0};
    p_int(&p, account_id);
    p_int(&p, campaign_id);
    p_text(&p, kind);
    p_int(&p, key);
    p_int(&p, orders);
    p_int(&p, revenue);
    return exec_p(s, S_ATTR_BY, &p, "revenue by");
}

static enum db_status pg_attribution_apply(struct store *st, int64_t account_id, int64_t order_row_id,
                                           const struct attribution *a, int64_t amount, int sign)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_DURABLE, r)
    {
        int64_t rev = amount * sign;
        r = DB_ONE;
        if (sign > 0) {
            struct params p = {0};
            p_int(&p, a->campaign_id);
            p_id(&p, a->recipient_id);
            p_id(&p, a->link_id);
            p_int(&p, a->step);
            p_id(&p, a->code_id);
            p_opt(&p, a->by);
            p_int(&p, account_id);
            p_int(&p, order_row_id);
            r = exec_p(s, S_ATTR_ORDER, &p, "order attribution");
        }
        if (r >= 0) {
            int64_t v[] = {rev, sign, account_id, a->campaign_id};
            r = exec_n(s, S_ATTR_CAMPAIGN, 4, v, "campaign revenue");
        }
        if (r >= 0 && a->link_id) {
            int64_t v[] = {rev, account_id, a->link_id};
            r = exec_n(s, S_ATTR_LINK, 3, v, "link revenue");
        }
        if (r >= 0) r = revenue_by(s, account_id, a->campaign_id, "step", a->step, sign, rev);
        if (r >= 0 && a->link_id)
            r = revenue_by(s, account_id, a->campaign_id, "link", a->link_id, sign, rev);
        if (r >= 0 && a->code_id)
            r = revenue_by(s, account_id, a->campaign_id, "code", a->code_id, sign, rev);
        if (r >= 0) r = DB_ONE;
    }
    return r;
}

/* ---- revenue reads ------------------------------------------------------------------------- */

static enum db_status pg_revenue_series(struct store *st, int64_t account_id, int64_t from, int64_t to,
                                        const char *currency, int64_t bucket_ms, int64_t offset_ms,
                                        void (*fn)(void *cls, int64_t t, int64_t revenue, int64_t orders),
                                        void *cls)
{
    struct params p = {0};
    p_int(&p, account_id);
    p_int(&p, from);
    p_int(&p, to);
    p_text(&p, currency);
    p_int(&p, offset_ms);
    p_int(&p, bucket_ms);
    enum db_status r;
    PGresult *res = run(PG(st), S_REV_SERIES, &p, &r, "revenue series");
    for (int i = 0; res && i < PQntuples(res); i++)
        fn(cls, col_i(res, i, 0), col_i(res, i, 1), col_i(res, i, 2));
    PQclear(res);
    return r < 0 ? r : DB_ONE;
}

static enum db_status
pg_revenue_campaigns(struct store *st, int64_t account_id, int64_t from, int64_t to, const char *currency,
                     void (*fn)(void *cls, int64_t id, const char *name, int64_t revenue, int64_t orders),
                     void *cls)
{
    struct params p = {0};
    p_int(&p, account_id);
    p_int(&p, from);
    p_int(&p, to);
    p_text(&p, currency);
    enum db_status r;
    PGresult *res = run(PG(st), S_REV_CAMPAIGNS, &p, &r, "revenue by campaign");
    for (int i = 0; res && i < PQntuples(res); i++)
        fn(cls, col_i(res, i, 0), col_s(res, i, 1), col_i(res, i, 2), col_i(res, i, 3));
    PQclear(res);
    return r < 0 ? r : DB_ONE;
}

static enum db_status pg_revenue_currency(struct store *st, int64_t account_id, int64_t from, int64_t to,
                                          char out[4])
{
    int64_t v[] = {account_id, from, to};
    enum db_status r;
    PGresult *res = query_ints(PG(st), S_REV_CURRENCY, 3, v, &r, "revenue currency");
    out[0] = 0;
    if (r == DB_ONE) copy_text(out, 4, res, 0, 0);
    PQclear(res);
    return r;
}

/* ---- scorecard reads ----------------------------------------------------------------------- */

static enum db_status pg_step_counts(struct store *st, int64_t account_id, int64_t campaign_id, int step,
                                     int64_t *sent, int64_t *replied, int64_t *clicked)
{
    int64_t v[] = {account_id, campaign_id, step};
    enum db_status r;
    PGresult *res = query_ints(PG(st), S_STEP_COUNTS, 3, v, &r, "step counts");
    *sent = *replied = *clicked = 0;
    if (r == DB_ONE) {
        *sent = col_i(res, 0, 0);
        *replied = col_i(res, 0, 1);
        *clicked = col_i(res, 0, 2);
    }
    PQclear(res);
    return r;
}

static enum db_status pg_link_stats(struct store *st, int64_t account_id, int64_t campaign_id,
                                    void (*fn)(void *cls, int64_t id, const char *url, int64_t clicks,
                                               int64_t unique, int64_t revenue),
                                    void *cls)
{
    int64_t v[] = {account_id, campaign_id};
    enum db_status r;
    PGresult *res = query_ints(PG(st), S_LINK_STATS, 2, v, &r, "link stats");
    for (int i = 0; res && i < PQntuples(res); i++)
        fn(cls, col_i(res, i, 0), col_s(res, i, 1), col_i(res, i, 2), col_i(res, i, 3), col_i(res, i, 4));
    PQclear(res);
    return r < 0 ? r : DB_ONE;
}

static enum db_status pg_revenue_rows(struct store *st, int64_t account_id, int64_t campaign_id,
                                      const char *kind,
                                      void (*fn)(void *cls, int64_t key, int64_t orders, int64_t revenue),
                                      void *cls)
{
    struct params p = {0};
    p_int(&p, account_id);
    p_int(&p, campaign_id);
    p_text(&p, kind);
    enum db_status r;
    PGresult *res = run(PG(st), S_REVENUE_ROWS, &p, &r, "revenue rows");
    for (int i = 0; res && i < PQntuples(res); i++)
        fn(cls, col_i(res, i, 0), col_i(res, i, 1), col_i(res, i, 2));
    PQclear(res);
    return r < 0 ? r : DB_ONE;
}

static enum db_status pg_code_get(struct store *st, int64_t account_id, int64_t code_id,
                                  struct discount_code_row *out)
{
    int64_t v[] = {account_id, code_id};
    enum db_status r;
    PGresult *res = query_ints(PG(st), S_CODE_GET, 2, v, &r, "code lookup");
    if (r == DB_ONE && read_code(res, 0, out, 1) != TGR_OK) r = DB_HARD;
    PQclear(res);
    return r;
}

static enum db_status pg_read_times(struct store *st, int64_t account_id, int64_t campaign_id,
                                    void (*fn)(void *cls, int64_t at), void *cls)
{
    int64_t v[] = {account_id, campaign_id};
    enum db_status r;
    PGresult *res = query_ints(PG(st), S_READ_TIMES, 2, v, &r, "read times");
    for (int i = 0; res && i < PQntuples(res); i++)
        fn(cls, col_i(res, i, 0));
    PQclear(res);
    return r < 0 ? r : DB_ONE;
}

/* ---- engine leases ------------------------------------------------------------------------- */

/* A statement of an instance name and up to one integer. */
static enum db_status exec_named(struct pg *s, enum stmt_id id, const char *instance, int nints, int64_t a,
                                 const char *what)
{
    struct params p = {0};
    if (instance) p_text(&p, instance);
    if (nints) p_int(&p, a);
    return exec_p(s, id, &p, what);
}

/* A one-column integer read of an instance name and up to one integer. */
static enum db_status named_int(struct pg *s, enum stmt_id id, const char *instance, int nints, int64_t a,
                                int64_t *out)
{
    struct params p = {0};
    if (instance) p_text(&p, instance);
    if (nints) p_int(&p, a);
    enum db_status r;
    PGresult *res = run(s, id, &p, &r, "lease count");
    *out = r == DB_ONE ? col_i(res, 0, 0) : 0;
    PQclear(res);
    return r;
}

/* The same round as the SQLite backend's, in one serializable transaction: two instances that
 * claim at once conflict, and the one that runs again sees what the other took. */
static enum db_status pg_leases_claim(struct store *st, const char *instance, int64_t now, int64_t ttl_ms,
                                      int64_t **ids, size_t *n, size_t *taken)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    *ids = NULL;
    *n = 0;
    WRITE(s, TX_LEASE, r)
    {
        int64_t live = 0, held = 0, sending = 0;
        *taken = 0;
        struct params p = {0};
        p_text(&p, instance);
        p_int(&p, now);
        r = exec_p(s, S_INSTANCE_BEAT, &p, "instance beat");
        if (r >= 0) r = exec_named(s, S_INSTANCES_PRUNE, NULL, 1, now - 10 * ttl_ms, "instance prune");
        if (r >= 0) r = exec_named(s, S_LEASE_RENEW, instance, 1, now + ttl_ms, "lease renew");
        if (r >= 0) r = exec_named(s, S_LEASE_DROP_IDLE, instance, 0, 0, "lease drop");
        if (r >= 0) r = named_int(s, S_INSTANCES_LIVE, NULL, 1, now - ttl_ms, &live);
        if (r >= 0) r = named_int(s, S_LEASES_HELD, instance, 0, 0, &held);
        if (r >= 0) r = named_int(s, S_SENDING_COUNT, NULL, 0, 0, &sending);
        if (r >= 0) {
            int64_t share = (sending + (live > 0 ? live : 1) - 1) / (live > 0 ? live : 1);
            if (held > share + 1) {
                /* More than a fair share: hand the extra over (see store_sqlite.c). */
                struct params q = {0};
                p_text(&q, instance);
                p_int(&q, now + LEASE_HANDOFF_MS);
                p_int(&q, held - share);
                r = exec_p(s, S_LEASE_SHED, &q, "lease shed");
            } else if (share > held) {
                struct params q = {0};
                p_text(&q, instance);
                p_int(&q, now + ttl_ms);
                p_int(&q, now);
                p_int(&q, share - held);
                PGresult *res = run(s, S_LEASE_TAKE, &q, &r, "lease take");
                if (r >= 0) *taken = (size_t)changed(res);
                PQclear(res);
            }
        }
    }
    if (r < 0) return r;
    struct params p = {0};
    p_text(&p, instance);
    p_int(&p, now);
    return query_rows(s, S_LEASES_OWNED, &p, sizeof **ids, read_id, NULL, NULL, (void **)ids, n,
                      "leases owned");
}

static enum db_status pg_leases_release(struct store *st, const char *instance)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_LEASE, r)
    {
        r = exec_named(s, S_LEASES_RELEASE, instance, 0, 0, "lease release");
        if (r >= 0) r = exec_named(s, S_INSTANCE_GONE, instance, 0, 0, "instance gone");
    }
    return r;
}

static enum db_status pg_lease_force(struct store *st, const char *instance, int64_t account_id, int64_t now,
                                     int64_t ttl_ms)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_LEASE, r)
    {
        struct params p = {0};
        p_text(&p, instance);
        p_int(&p, account_id);
        p_int(&p, now + ttl_ms);
        r = exec_p(s, S_LEASE_FORCE, &p, "lease force");
    }
    return r;
}

static enum db_status pg_lease_owner(struct store *st, int64_t account_id, int64_t now, char *out, size_t cap)
{
    struct params p = {0};
    p_int(&p, account_id);
    p_int(&p, now);
    enum db_status r;
    out[0] = 0;
    PGresult *res = run(PG(st), S_LEASE_OWNER, &p, &r, "lease owner");
    if (r == DB_ONE) copy_text(out, cap, res, 0, 0);
    PQclear(res);
    return r;
}

static enum db_status pg_meta_delete(struct store *st, const char *key)
{
    struct pg *s = PG(st);
    enum db_status r = DB_HARD;
    WRITE(s, TX_NORMAL, r)
    {
        struct params p = {0};
        p_text(&p, key);
        r = exec_p(s, S_META_DELETE, &p, "meta delete");
    }
    return r;
}

/* ---- opening and closing ------------------------------------------------------------------- */

/* ---- key rotation -------------------------------------------------------------------------- */

/* The statements of each sealed column; text_key: the cursor is a text key (meta), else an id. */
static const struct {
    enum stmt_id scan, set;
    int text_key;
} sealed_stmts[SEALED__COUNT] = {
    [SEALED_WEBHOOK_SECRET] = {S_SC_WEBHOOK, S_SS_WEBHOOK, 0},
    [SEALED_SESSION_DATA] = {S_SC_SESSION, S_SS_SESSION, 0},
    [SEALED_SESSION_PHONE] = {S_SC_SESSION_PHONE, S_SS_SESSION_PHONE, 0},
    [SEALED_CONTACT_ACCESS_HASH] = {S_SC_ACCESS_HASH, S_SS_ACCESS_HASH, 0},
    [SEALED_CONTACT_FIRST_NAME] = {S_SC_FIRST_NAME, S_SS_FIRST_NAME, 0},
    [SEALED_CONTACT_LAST_NAME] = {S_SC_LAST_NAME, S_SS_LAST_NAME, 0},
    [SEALED_CONTACT_USERNAME] = {S_SC_USERNAME, S_SS_USERNAME, 0},
    [SEALED_CONTACT_PHONE] = {S_SC_PHONE, S_SS_PHONE, 0},
    [SEALED_INBOUND_TEXT] = {S_SC_INBOUND, S_SS_INBOUND, 0},
    [SEALED_CATEGORY] = {S_SC_CATEGORY, S_SS_CATEGORY, 0},
    [SEALED_CONFIDENCE] = {S_SC_CONFIDENCE, S_SS_CONFIDENCE, 0},
    [SEALED_RECIPIENT_CODE] = {S_SC_RCPT_CODE, S_SS_RCPT_CODE, 0},
    [SEALED_DISCOUNT_CODE] = {S_SC_CODE, S_SS_CODE, 0},
    [SEALED_META_VALUE] = {S_SC_META, S_SS_META, 1},
};

static int read_sealed_row(const PGresult *res, int i, void *row, void *cls)
{
    (void)cls;
    struct sealed_row *r = row;
    copy_text(r->cursor, sizeof r->cursor, res, i, 0);
    copy_text(r->row_key, sizeof r->row_key, res, i, 1);
    return read_blob(res, i, 2, &r->value);
}

static void release_sealed_row(void *row)
{
    sealed_row_release(row);
}

static enum db_status pg_sealed_scan(struct store *st, enum store_sealed col, const char *after, int limit,
                                     struct sealed_row **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    if ((unsigned)col >= SEALED__COUNT) return DB_HARD;
    struct params p = {0};
    if (sealed_stmts[col].text_key)
        p_text(&p, after);
    else
        p_int(&p, after[0] ? strtoll(after, NULL, 10) : 0);
    p_int(&p, limit);
    return query_rows(PG(st), sealed_stmts[col].scan, &p, sizeof **rows, read_sealed_row, release_sealed_row,
                      NULL, (void **)rows, n, "sealed scan");
}

static enum db_status pg_sealed_replace(struct store *st, enum store_sealed col,
                                        const struct sealed_row *rows, size_t n, size_t *replaced)
{
    struct pg *s = PG(st);
    *replaced = 0;
    if ((unsigned)col >= SEALED__COUNT) return DB_HARD;
    size_t k = 0;
    enum db_status r = DB_HARD;
    /* Durable: once `keys status` counts these rows as re-sealed, the old key may be deleted. */
    WRITE(s, TX_DURABLE, r)
    {
        k = 0;
        r = DB_ONE;
        for (size_t i = 0; i < n && r >= 0; i++) {
            const struct sealed_row *w = &rows[i];
            if (!w->fresh.p) continue;
            /* Binary parameters: raw bytes for BYTEA, and for meta's TEXT value too. */
            struct params p = {0};
            p_bytes(&p, w->fresh.p, w->fresh.len);
            if (sealed_stmts[col].text_key)
                p_text(&p, w->cursor);
            else
                p_int(&p, strtoll(w->cursor, NULL, 10));
            p_bytes(&p, w->value.p, w->value.len);
            enum db_status one = exec_p(s, sealed_stmts[col].set, &p, "sealed replace");
            if (one < 0)
                r = one;
            else if (one == DB_ONE)
                k++;
        }
    }
    if (r >= 0) {
        *replaced = k;
        r = DB_ONE;
    }
    return r;
}

static void pg_close(struct store *st)
{
    struct pg *s = PG(st);
    if (!s) return;
    listener_stop(s);
    /* The key goes first, so that no thread's exit closes a connection freed here. */
    pthread_key_delete(s->key);
    pthread_mutex_lock(&s->lock);
    struct conn *c = s->conns;
    while (c) {
        struct conn *next = c->next;
        conn_free(c);
        c = next;
    }
    s->conns = NULL;
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_destroy(&s->lock);
    if (s->url) {
        sodium_memzero(s->url, strlen(s->url));
        free(s->url);
    }
    free(s);
}

/* "user@host:port/db" of a URL for messages: everything but the password. */
static void describe(const char *url, char *out, size_t cap)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &err);
    const char *user = "", *host = "", *port = "", *db = "";
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (!o->val) continue;
        if (strcmp(o->keyword, "user") == 0)
            user = o->val;
        else if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
        else if (strcmp(o->keyword, "dbname") == 0)
            db = o->val;
    }
    snprintf(out, cap, "%s%s%s%s%s/%s", user, *user ? "@" : "", *host ? host : "localhost", *port ? ":" : "",
             port, db);
    PQconninfoFree(opts);
    PQfreemem(err);
}

struct store *store_pg_open(const char *url, char *err, size_t errlen)
{
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &perr);
    if (!opts) {
        /* libpq's message quotes no part of the URL, but is kept out anyway: it may be long. */
        snprintf(err, errlen, "invalid PostgreSQL URL");
        PQfreemem(perr);
        return NULL;
    }
    PQconninfoFree(opts);
    struct pg *s = calloc(1, sizeof *s);
    if (!s || !(s->url = strdup(url))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    describe(url, s->where, sizeof s->where);
    pthread_mutex_init(&s->lock, NULL);
    pthread_key_create(&s->key, conn_dtor);
    /* The opening thread connects now, so that an unreachable server is reported at start. */
    PGconn *probe = connect_url(url);
    if (!probe || PQstatus(probe) != CONNECTION_OK) {
        char why[256];
        first_line(why, sizeof why, probe ? PQerrorMessage(probe) : "out of memory");
        snprintf(err, errlen, "cannot connect to PostgreSQL at %s: %s", s->where, why);
        PQfinish(probe);
        pg_close(&s->base);
        return NULL;
    }
    PQfinish(probe);
    s->base.backend = "postgres";
    s->base.close = pg_close;
    s->base.notify = pg_notify;
    s->base.lease_force = pg_lease_force;
    s->base.lease_owner = pg_lease_owner;
    s->base.meta_delete = pg_meta_delete;
    s->base.listen = pg_listen;
    s->base.migrate = pg_migrate;
    s->base.ping = pg_ping;
    s->base.account_create = pg_account_create;
    s->base.account_by_email = pg_account_by_email;
    s->base.account_by_api_key = pg_account_by_api_key;
    s->base.account_get = pg_account_get;
    s->base.account_update = pg_account_update;
    s->base.account_set_webhook_secret = pg_account_set_webhook_secret;
    s->base.account_webhook_secret = pg_account_webhook_secret;
    s->base.txn = pg_txn;
    s->base.session_get = pg_session_get;
    s->base.session_put = pg_session_put;
    s->base.session_set_status = pg_session_set_status;
    s->base.session_delete = pg_session_delete;
    s->base.sessions_connected = pg_sessions_connected;
    s->base.contact_save = pg_contact_save;
    s->base.contact_by_tg_id = pg_contact_by_tg_id;
    s->base.contact_get = pg_contact_get;
    s->base.contacts_page = pg_contacts_page;
    s->base.inbound_add = pg_inbound_add;
    s->base.campaign_create = pg_campaign_create;
    s->base.campaign_get = pg_campaign_get;
    s->base.campaign_list = pg_campaign_list;
    s->base.campaign_update = pg_campaign_update;
    s->base.campaign_delete = pg_campaign_delete;
    s->base.codes_replace = pg_codes_replace;
    s->base.codes_list = pg_codes_list;
    s->base.code_assign = pg_code_assign;
    s->base.link_ensure = pg_link_ensure;
    s->base.media_add = pg_media_add;
    s->base.media_get = pg_media_get;
    s->base.order_get = pg_order_get;
    s->base.order_save = pg_order_save;
    s->base.order_latest_paid = pg_order_latest_paid;
    s->base.order_counts = pg_order_counts;
    s->base.orders_link_contact = pg_orders_link_contact;
    s->base.contact_by_bidx = pg_contact_by_bidx;
    s->base.inbound_recent = pg_inbound_recent;
    s->base.category_put = pg_category_put;
    s->base.audience_scan = pg_audience_scan;
    s->base.campaign_start = pg_campaign_start;
    s->base.campaign_transition = pg_campaign_transition;
    s->base.campaign_set_categories = pg_campaign_set_categories;
    s->base.campaign_set_override = pg_campaign_set_override;
    s->base.campaign_set_nudges = pg_campaign_set_nudges;
    s->base.campaigns_pause_all = pg_campaigns_pause_all;
    s->base.accounts_sending = pg_accounts_sending;
    s->base.campaigns_in_status = pg_campaigns_in_status;
    s->base.recipient_next = pg_recipient_next;
    s->base.recipient_next_at = pg_recipient_next_at;
    s->base.recipient_claim = pg_recipient_claim;
    s->base.recipient_code = pg_recipient_code;
    s->base.recipient_finish = pg_recipient_finish;
    s->base.campaign_open_rows = pg_campaign_open_rows;
    s->base.nudge_schedule = pg_nudge_schedule;
    s->base.nudge_next_due = pg_nudge_next_due;
    s->base.log_add = pg_log_add;
    s->base.logs_page = pg_logs_page;
    s->base.campaign_counts = pg_campaign_counts;
    s->base.campaign_failures = pg_campaign_failures;
    s->base.recipients_replied = pg_recipients_replied;
    s->base.recipients_read = pg_recipients_read;
    s->base.contact_opt_out = pg_contact_opt_out;
    s->base.link_get = pg_link_get;
    s->base.clicks_record = pg_clicks_record;
    s->base.attribution_find = pg_attribution_find;
    s->base.attribution_apply = pg_attribution_apply;
    s->base.revenue_series = pg_revenue_series;
    s->base.revenue_campaigns = pg_revenue_campaigns;
    s->base.revenue_currency = pg_revenue_currency;
    s->base.step_counts = pg_step_counts;
    s->base.link_stats = pg_link_stats;
    s->base.revenue_rows = pg_revenue_rows;
    s->base.code_get = pg_code_get;
    s->base.read_times = pg_read_times;
    s->base.leases_claim = pg_leases_claim;
    s->base.leases_release = pg_leases_release;
    s->base.meta_get = pg_meta_get;
    s->base.meta_set = pg_meta_set;
    s->base.sealed_scan = pg_sealed_scan;
    s->base.sealed_replace = pg_sealed_replace;
    return &s->base;
}
