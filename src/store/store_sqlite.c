/* store_sqlite — the SQLite backend of struct store (store.h).
 *
 * Connections: one writer connection, used under a mutex, where every write transaction is
 * BEGIN IMMEDIATE … COMMIT; one reader connection per thread (created on first use, kept in a
 * pthread key and in a list so that close can find them all). WAL mode lets readers run while
 * the writer writes; busy_timeout covers other processes (`tgr account create` beside a running
 * server). Each connection prepares each statement once and keeps it (SQLITE_PREPARE_PERSISTENT).
 * synchronous is NORMAL, and FULL for writes that touch auth, money or the outbox claims: two
 * writer connections (one per setting) share the writer mutex, so that switching costs nothing. */
#include "store/store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    "(SELECT COALESCE(SUM(o.amount), 0) FROM orders o WHERE o.account_id = c.account_id "                    \
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
 * order that builds the seal row key exactly as the column's writers do, and a compare-and-set
 * update. ?1 of a scan is the cursor, ?2 the limit; ?1 of an update the new value, ?2 the row,
 * ?3 the value it must still hold. */
#define SEAL_SCAN(from, pk, col, rk)                                                                         \
    "SELECT " pk ", " rk ", " col " FROM " from " WHERE " pk " > ?1 AND " col " IS NOT NULL ORDER BY " pk    \
    " LIMIT ?2"
#define SEAL_SET(table, pk, col) "UPDATE " table " SET " col " = ?1 WHERE " pk " = ?2 AND " col " = ?3"
#define SEAL_RK_CONTACT          "account_id || ':' || tg_user_id"
#define SEAL_RK_CATEGORY         "account_id || ':' || contact_id"
#define SEALED_STMTS(X)                                                                                      \
    X(S_SC_WEBHOOK, SEAL_SCAN("accounts", "id", "webhook_secret", "CAST(id AS TEXT)"))                       \
    X(S_SS_WEBHOOK, SEAL_SET("accounts", "id", "webhook_secret"))                                            \
    X(S_SC_SESSION,                                                                                          \
      SEAL_SCAN("telegram_sessions", "account_id", "encrypted_session_data", "CAST(account_id AS TEXT)"))    \
    X(S_SS_SESSION, SEAL_SET("telegram_sessions", "account_id", "encrypted_session_data"))                   \
    X(S_SC_SESSION_PHONE, SEAL_SCAN("telegram_sessions", "account_id", "phone", "CAST(account_id AS TEXT)")) \
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
                              "m.account_id || ':' || c.tg_user_id || ':' || m.tg_message_id"))              \
    X(S_SS_INBOUND, SEAL_SET("inbound_messages", "id", "text"))                                              \
    X(S_SC_CATEGORY, SEAL_SCAN("customer_categories", "id", "category", SEAL_RK_CATEGORY))                   \
    X(S_SS_CATEGORY, SEAL_SET("customer_categories", "id", "category"))                                      \
    X(S_SC_CONFIDENCE, SEAL_SCAN("customer_categories", "id", "confidence_score", SEAL_RK_CATEGORY))         \
    X(S_SS_CONFIDENCE, SEAL_SET("customer_categories", "id", "confidence_score"))                            \
    X(S_SC_RCPT_CODE, SEAL_SCAN("recipients", "id", "discount_code",                                         \
                                "account_id || ':' || campaign_id || ':' || contact_id"))                    \
    X(S_SS_RCPT_CODE, SEAL_SET("recipients", "id", "discount_code"))                                         \
    X(S_SC_CODE,                                                                                             \
      SEAL_SCAN("discount_codes", "id", "code", "account_id || ':' || campaign_id || ':' || code_bidx"))     \
    X(S_SS_CODE, SEAL_SET("discount_codes", "id", "code"))                                                   \
    X(S_SC_META,                                                                                             \
      "SELECT key, key, value FROM meta WHERE key > ?1 AND (key LIKE 'cmd:%' OR key LIKE 'cmdr:%') "         \
      "ORDER BY key LIMIT ?2")                                                                               \
    X(S_SS_META, SEAL_SET("meta", "key", "value"))

/* Every statement the backend runs, by name. */
#define STMTS(X)                                                                                             \
    X(S_BEGIN, "BEGIN IMMEDIATE")                                                                            \
    X(S_COMMIT, "COMMIT")                                                                                    \
    X(S_ROLLBACK, "ROLLBACK")                                                                                \
    X(S_VERSION, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations")                                  \
    X(S_MIGRATION_DONE, "INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)")                  \
    X(S_PING, "SELECT 1")                                                                                    \
    X(S_ACCOUNT_INSERT, "INSERT INTO accounts(email, api_key, plan_type, password_hash, created_at) "        \
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(email) DO NOTHING")                              \
    X(S_ACCOUNT_BY_EMAIL, "SELECT " ACCOUNT_COLS " FROM accounts WHERE email = ?")                           \
    X(S_ACCOUNT_BY_KEY, "SELECT " ACCOUNT_COLS " FROM accounts WHERE api_key = ?")                           \
    X(S_ACCOUNT_GET, "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?")                                   \
    X(S_ACCOUNT_UPDATE, "UPDATE accounts SET timezone = ?, frequency_cap_days = ? WHERE id = ?")             \
    X(S_ACCOUNT_SET_WH, "UPDATE accounts SET webhook_secret = ? WHERE id = ?")                               \
    X(S_ACCOUNT_GET_WH, "SELECT webhook_secret FROM accounts WHERE id = ? AND webhook_secret IS NOT NULL")   \
    X(S_SESSION_GET, "SELECT status, encrypted_session_data, phone, tg_user_id, updated_at "                 \
                     "FROM telegram_sessions WHERE account_id = ?")                                          \
    X(S_SESSION_PUT,                                                                                         \
      "INSERT INTO telegram_sessions(account_id, status, encrypted_session_data, phone, "                    \
      "tg_user_id, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(account_id) DO UPDATE "                 \
      "SET status = excluded.status, encrypted_session_data = excluded.encrypted_session_data, "             \
      "phone = excluded.phone, tg_user_id = excluded.tg_user_id, updated_at = excluded.updated_at")          \
    X(S_SESSION_STATUS, "UPDATE telegram_sessions SET status = ?, updated_at = ? WHERE account_id = ?")      \
    X(S_SESSION_DELETE, "DELETE FROM telegram_sessions WHERE account_id = ?")                                \
    X(S_SESSIONS_CONNECTED, "SELECT account_id FROM telegram_sessions WHERE status = 'connected' "           \
                            "ORDER BY account_id")                                                           \
    X(S_CONTACT_INSERT, "INSERT INTO contacts(account_id, tg_user_id, access_hash, first_name, last_name, "  \
                        "username, phone, phone_bidx, username_bidx, created_at, updated_at) "               \
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")                                          \
    X(S_CONTACT_UPDATE, "UPDATE contacts SET access_hash = ?, first_name = ?, last_name = ?, username = ?, " \
                        "phone = ?, phone_bidx = ?, username_bidx = ?, updated_at = ? "                      \
                        "WHERE account_id = ? AND id = ?")                                                   \
    X(S_CONTACT_BY_TG,                                                                                       \
      "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = ? AND c.tg_user_id = ?")                 \
    X(S_CONTACT_GET, "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = ? AND c.id = ?")          \
    X(S_CONTACTS_PAGE, "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = ? AND c.id > ? "        \
                       "ORDER BY c.id LIMIT ?")                                                              \
    X(S_INBOUND_INSERT, "INSERT INTO inbound_messages(account_id, contact_id, tg_message_id, text, date) "   \
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")                                     \
    X(S_INBOUND_TOUCH, "UPDATE contacts SET inbound_count = inbound_count + 1, "                             \
                       "first_inbound_at = MIN(COALESCE(first_inbound_at, ?1), ?1), "                        \
                       "last_inbound_at = MAX(COALESCE(last_inbound_at, ?1), ?1) "                           \
                       "WHERE account_id = ?2 AND id = ?3")                                                  \
    X(S_CAMPAIGN_INSERT, "INSERT INTO campaigns(account_id, name, message_text, status, filters_json, "      \
                         "quiet_hours_json, nudge_settings_json, track_links, discount_json, created_at, "   \
                         "updated_at) VALUES (?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?)")                       \
    X(S_CAMPAIGN_MEDIA_ADD, "INSERT INTO campaign_media(account_id, campaign_id, media_id, position) "       \
                            "VALUES (?, ?, ?, ?)")                                                           \
    X(S_CAMPAIGN_MEDIA_CLEAR, "DELETE FROM campaign_media WHERE account_id = ? AND campaign_id = ?")         \
    X(S_CAMPAIGN_MEDIA_LIST, "SELECT media_id FROM campaign_media WHERE account_id = ? AND campaign_id = ? " \
                             "ORDER BY position")                                                            \
    X(S_ANALYTICS_INSERT,                                                                                    \
      "INSERT INTO campaign_analytics(account_id, campaign_id, updated_at) VALUES (?, ?, ?)")                \
    X(S_CAMPAIGN_GET, "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE account_id = ? AND id = ?")             \
    X(S_CAMPAIGN_LIST, "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE account_id = ? ORDER BY id DESC")      \
    X(S_CAMPAIGN_UPDATE,                                                                                     \
      "UPDATE campaigns SET name = ?, message_text = ?, filters_json = ?, "                                  \
      "quiet_hours_json = ?, nudge_settings_json = ?, track_links = ?, discount_json = ?, "                  \
      "updated_at = ? WHERE account_id = ? AND id = ? AND status IN ('draft', 'paused')")                    \
    X(S_CAMPAIGN_DELETE, "DELETE FROM campaigns WHERE account_id = ? AND id = ? AND status = 'draft'")       \
    X(S_CAMPAIGN_DELETE_DEPS, "DELETE FROM campaign_analytics WHERE account_id = ?1 AND campaign_id = ?2")   \
    X(S_CAMPAIGN_DELETE_CODES, "DELETE FROM discount_codes WHERE account_id = ? AND campaign_id = ?")        \
    X(S_CAMPAIGN_DELETE_LINKS, "DELETE FROM trackable_links WHERE account_id = ? AND campaign_id = ?")       \
    X(S_CODES_CLEAR_FREE, "DELETE FROM discount_codes WHERE account_id = ? AND campaign_id = ? "             \
                          "AND recipient_id IS NULL")                                                        \
    X(S_CODE_INSERT,                                                                                         \
      "INSERT INTO discount_codes(account_id, campaign_id, code, code_bidx) VALUES (?, ?, ?, ?) "            \
      "ON CONFLICT DO NOTHING")                                                                              \
    X(S_CODES_LIST, "SELECT id, code, code_bidx, COALESCE(recipient_id, 0) FROM discount_codes "             \
                    "WHERE account_id = ? AND campaign_id = ? ORDER BY id")                                  \
    X(S_CODE_OF_RECIPIENT, "SELECT id, code, code_bidx, recipient_id FROM discount_codes "                   \
                           "WHERE account_id = ? AND campaign_id = ? AND recipient_id = ?")                  \
    X(S_CODE_FREE,                                                                                           \
      "SELECT id, code, code_bidx FROM discount_codes WHERE account_id = ? AND campaign_id = ? "             \
      "AND recipient_id IS NULL ORDER BY id LIMIT 1")                                                        \
    X(S_CODE_TAKE, "UPDATE discount_codes SET recipient_id = ?, assigned_at = ? WHERE id = ? "               \
                   "AND recipient_id IS NULL")                                                               \
    X(S_LINK_INSERT, "INSERT INTO trackable_links(account_id, campaign_id, original_url, tracking_code) "    \
                     "VALUES (?, ?, ?, lower(hex(randomblob(8)))) ON CONFLICT DO NOTHING")                   \
    X(S_LINK_GET,                                                                                            \
      "SELECT id FROM trackable_links WHERE account_id = ? AND campaign_id = ? AND original_url = ?")        \
    X(S_MEDIA_INSERT, "INSERT INTO media(account_id, kind, mime, size, sha256, storage_key, created_at) "    \
                      "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")                                 \
    X(S_MEDIA_BY_SHA, "SELECT " MEDIA_COLS " FROM media WHERE account_id = ? AND sha256 = ?")                \
    X(S_MEDIA_GET, "SELECT " MEDIA_COLS " FROM media WHERE account_id = ? AND id = ?")                       \
    X(S_ORDER_GET, "SELECT " ORDER_COLS " FROM orders WHERE account_id = ? AND order_id = ?")                \
    X(S_ORDER_INSERT,                                                                                        \
      "INSERT INTO orders(account_id, order_id, amount, currency, status, created_at, "                      \
      "contact_id, discount_code_bidx, ref, attributed_campaign_id, body_hash, received_at, "                \
      "customer_tg_user_id, customer_phone_bidx, customer_username_bidx) "                                   \
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")                         \
    X(S_ORDERS_LINK,                                                                                         \
      "UPDATE orders SET contact_id = ?1 WHERE account_id = ?2 AND contact_id IS NULL "                      \
      "AND (customer_tg_user_id = ?3 OR customer_phone_bidx = ?4 OR customer_username_bidx = ?5)")           \
    X(S_ORDER_UPDATE, "UPDATE orders SET status = ?, body_hash = ?, received_at = ? "                        \
                      "WHERE account_id = ? AND id = ?")                                                     \
    X(S_ORDER_LATEST_PAID, "SELECT " ORDER_COLS " FROM orders WHERE account_id = ? AND contact_id = ? "      \
                           "AND status = 'paid' ORDER BY created_at DESC, id DESC LIMIT 1")                  \
    X(S_ORDER_COUNTS, "SELECT COALESCE(SUM(status = 'paid'), 0), COALESCE(SUM(status = 'refunded'), 0) "     \
                      "FROM orders WHERE account_id = ? AND contact_id = ?")                                 \
    X(S_CONTACT_BY_PHONE,                                                                                    \
      "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = ? AND c.phone_bidx = ? "                 \
      "ORDER BY c.id LIMIT 1")                                                                               \
    X(S_CONTACT_BY_USERNAME, "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = ? "               \
                             "AND c.username_bidx = ? ORDER BY c.id LIMIT 1")                                \
    X(S_INBOUND_RECENT, "SELECT text, tg_message_id FROM (SELECT text, tg_message_id, date, id "             \
                        "FROM inbound_messages WHERE account_id = ? AND contact_id = ? "                     \
                        "ORDER BY date DESC, id DESC LIMIT ?) ORDER BY date, id")                            \
    X(S_CATEGORY_PUT,                                                                                        \
      "INSERT INTO customer_categories(account_id, contact_id, category, confidence_score, "                 \
      "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(account_id, contact_id) DO UPDATE SET "                \
      "category = excluded.category, confidence_score = excluded.confidence_score, "                         \
      "updated_at = excluded.updated_at")                                                                    \
    X(S_AUDIENCE,                                                                                            \
      "SELECT c.id, cc.category, cc.confidence_score FROM contacts c "                                       \
      "LEFT JOIN customer_categories cc ON cc.account_id = c.account_id AND cc.contact_id = c.id "           \
      "WHERE c.account_id = ?1 AND c.opted_out_at IS NULL AND c.blocked_at IS NULL "                         \
      "AND c.deactivated_at IS NULL "                                                                        \
      "AND (?2 = 0 OR c.last_inbound_at >= ?2) "                                                             \
      "AND (?3 < 0 AND ?4 < 0 AND ?5 < 0 OR EXISTS (SELECT 1 FROM (SELECT COUNT(*) AS n, "                   \
      "     COALESCE(SUM(o.amount), 0) AS spent FROM orders o WHERE o.account_id = ?1 "                      \
      "     AND o.contact_id = c.id AND o.status = 'paid') t "                                               \
      "     WHERE (?3 < 0 OR t.n >= ?3) AND (?4 < 0 OR t.n <= ?4) AND (?5 < 0 OR t.spent >= ?5))) "          \
      "AND (?6 = 0 OR EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = ?1 "                           \
      "     AND r.campaign_id = ?6 AND r.contact_id = c.id AND r.clicked_at IS NOT NULL)) "                  \
      "AND (?7 = 0 OR EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = ?1 "                           \
      "     AND r.campaign_id = ?7 AND r.contact_id = c.id AND r.status = 'sent' AND r.step = 0 "            \
      "     AND r.replied_at IS NULL)) "                                                                     \
      "AND (?8 = 0 OR NOT EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = ?1 "                       \
      "     AND r.contact_id = c.id AND r.sent_at >= ?8)) "                                                  \
      "AND (?9 = 0 OR EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = ?1 "                           \
      "     AND r.campaign_id = ?9 AND r.contact_id = c.id AND r.read_at IS NOT NULL)) "                     \
      "AND (?10 = 0 OR (EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = ?1 "                         \
      "     AND r.campaign_id = ?10 AND r.contact_id = c.id AND r.status = 'sent' AND r.step = 0) "          \
      "     AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = ?1 "                             \
      "     AND r.campaign_id = ?10 AND r.contact_id = c.id AND r.read_at IS NOT NULL))) "                   \
      "AND (?11 = 0 OR EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = ?1 "                          \
      "     AND r.campaign_id = ?11 AND r.contact_id = c.id AND r.replied_at IS NOT NULL)) "                 \
      "AND (?12 = 0 OR EXISTS (SELECT 1 FROM orders o WHERE o.account_id = ?1 "                              \
      "     AND o.contact_id = c.id AND o.attributed_campaign_id = ?12 AND o.status = 'paid')) "             \
      "ORDER BY c.id")                                                                                       \
    X(S_RUNNING_OTHER,                                                                                       \
      "SELECT id FROM campaigns WHERE account_id = ? AND status = 'running' AND id != ? LIMIT 1")            \
    X(S_CAMPAIGN_TO_RUNNING,                                                                                 \
      "UPDATE campaigns SET status = 'running', pause_reason = NULL, "                                       \
      "override_quiet_hours = ?, started_at = COALESCE(started_at, ?), updated_at = ? "                      \
      "WHERE account_id = ? AND id = ? AND status = ?")                                                      \
    X(S_RECIPIENT_INSERT,                                                                                    \
      "INSERT INTO recipients(account_id, campaign_id, contact_id, step, status, created_at) "               \
      "VALUES (?, ?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING")                                            \
    X(S_CAMPAIGN_TRANSITION,                                                                                 \
      "UPDATE campaigns SET status = ?1, pause_reason = ?2, updated_at = ?3, "                               \
      "finished_at = CASE WHEN ?1 IN ('completed', 'cancelled') THEN ?3 ELSE finished_at END "               \
      "WHERE account_id = ?4 AND id = ?5 AND instr(',' || ?6 || ',', ',' || status || ',') > 0")             \
    X(S_CAMPAIGN_OVERRIDE, "UPDATE campaigns SET override_quiet_hours = ? WHERE account_id = ? AND id = ?")  \
    X(S_CAMPAIGN_NUDGES,                                                                                     \
      "UPDATE campaigns SET nudge_settings_json = ?, updated_at = ? WHERE account_id = ? AND id = ?")        \
    X(S_CAMPAIGNS_PAUSE_ALL, "UPDATE campaigns SET status = 'paused', pause_reason = ?, updated_at = ? "     \
                             "WHERE account_id = ? AND status IN ('running', 'nudging')")                    \
    X(S_ACCOUNTS_SENDING,                                                                                    \
      "SELECT DISTINCT account_id FROM campaigns WHERE status IN ('running', 'nudging') "                    \
      "ORDER BY account_id")                                                                                 \
    X(S_INSTANCE_BEAT, "INSERT INTO engine_instances(id, seen_at) VALUES (?1, ?2) "                          \
                       "ON CONFLICT(id) DO UPDATE SET seen_at = excluded.seen_at")                           \
    X(S_INSTANCES_LIVE, "SELECT COUNT(*) FROM engine_instances WHERE seen_at > ?1")                          \
    X(S_INSTANCES_PRUNE, "DELETE FROM engine_instances WHERE seen_at <= ?1")                                 \
    X(S_INSTANCE_GONE, "DELETE FROM engine_instances WHERE id = ?1")                                         \
    X(S_LEASE_RENEW, "UPDATE engine_leases SET expires_at = ?2 WHERE owner = ?1")                            \
    X(S_LEASE_DROP_IDLE, "DELETE FROM engine_leases WHERE owner = ?1 AND account_id NOT IN "                 \
                         "(SELECT account_id FROM telegram_sessions WHERE status = 'connected')")            \
    X(S_LEASES_HELD, "SELECT COUNT(*) FROM engine_leases WHERE owner = ?1")                                  \
    X(S_SENDING_COUNT, "SELECT COUNT(*) FROM telegram_sessions WHERE status = 'connected'")                  \
    X(S_LEASE_TAKE,                                                                                          \
      "INSERT INTO engine_leases(account_id, owner, expires_at) "                                            \
      "SELECT t.account_id, ?1, ?2 FROM telegram_sessions t "                                                \
      "LEFT JOIN engine_leases l ON l.account_id = t.account_id "                                            \
      "WHERE t.status = 'connected' AND (l.account_id IS NULL OR l.expires_at <= ?3) "                       \
      "ORDER BY t.account_id LIMIT ?4 "                                                                      \
      "ON CONFLICT(account_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, "     \
      "epoch = engine_leases.epoch + 1 WHERE engine_leases.expires_at <= ?3")                                \
    X(S_LEASES_OWNED, "SELECT account_id FROM engine_leases WHERE owner = ?1 AND expires_at > ?2 "           \
                      "ORDER BY account_id")                                                                 \
    X(S_LEASES_RELEASE, "DELETE FROM engine_leases WHERE owner = ?1")                                        \
    X(S_LEASE_FORCE,                                                                                         \
      "INSERT INTO engine_leases(account_id, owner, expires_at) VALUES (?2, ?1, ?3) "                        \
      "ON CONFLICT(account_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, "     \
      "epoch = CASE WHEN engine_leases.owner = excluded.owner THEN engine_leases.epoch "                     \
      "ELSE engine_leases.epoch + 1 END")                                                                    \
    X(S_LEASE_OWNER, "SELECT owner FROM engine_leases WHERE account_id = ?1 AND expires_at > ?2")            \
    X(S_LEASE_SHED, "UPDATE engine_leases SET owner = owner || ':shed', expires_at = ?2 "                    \
                    "WHERE account_id IN (SELECT account_id FROM engine_leases WHERE owner = ?1 "            \
                    "ORDER BY account_id DESC LIMIT ?3)")                                                    \
    X(S_META_DELETE, "DELETE FROM meta WHERE key = ?1")                                                      \
    X(S_CAMPAIGNS_IN_STATUS, "SELECT id FROM campaigns WHERE account_id = ? AND status = ? ORDER BY id")     \
    X(S_RECIPIENT_SENDING,                                                                                   \
      "SELECT " RECIPIENT_COLS " FROM recipients r JOIN campaigns c ON c.id = r.campaign_id "                \
      "WHERE r.account_id = ?1 AND r.status = 'sending' AND c.account_id = ?1 "                              \
      "AND c.status IN ('running', 'nudging') ORDER BY r.id LIMIT 1")                                        \
    X(S_RECIPIENT_DUE,                                                                                       \
      "SELECT " RECIPIENT_COLS " FROM recipients r JOIN campaigns c ON c.id = r.campaign_id "                \
      "WHERE r.account_id = ?1 AND r.status = 'pending' AND r.next_attempt_at <= ?2 "                        \
      "AND c.account_id = ?1 AND c.status IN ('running', 'nudging') "                                        \
      "ORDER BY r.next_attempt_at, r.id LIMIT 1")                                                            \
    X(S_RECIPIENT_NEXT_AT,                                                                                   \
      "SELECT COALESCE(MIN(r.next_attempt_at), 0) FROM recipients r "                                        \
      "JOIN campaigns c ON c.id = r.campaign_id WHERE r.account_id = ?1 AND c.account_id = ?1 "              \
      "AND c.status IN ('running', 'nudging') AND r.status IN ('pending', 'sending')")                       \
    X(S_RECIPIENT_CLAIM, "UPDATE recipients SET status = 'sending', random_id = COALESCE(random_id, ?), "    \
                         "discount_code = COALESCE(discount_code, ?), attempt = attempt + 1 "                \
                         "WHERE account_id = ? AND id = ? AND status IN ('pending', 'sending')")             \
    X(S_RECIPIENT_CODE, "SELECT discount_code FROM recipients WHERE account_id = ? AND id = ?")              \
    X(S_RECIPIENT_FINISH,                                                                                    \
      "UPDATE recipients SET status = ?, tg_message_id = COALESCE(?, tg_message_id), "                       \
      "error_code = ?, next_attempt_at = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END "         \
      "WHERE account_id = ? AND id = ?")                                                                     \
    X(S_LOG_INSERT,                                                                                          \
      "INSERT INTO sent_logs(account_id, campaign_id, status, error_details, timestamp, contact_id, "        \
      "step, attempt, error_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")                                       \
    X(S_COUNT_SENT, "UPDATE campaign_analytics SET total_sent = total_sent + 1, updated_at = ? "             \
                    "WHERE account_id = ? AND campaign_id = ?")                                              \
    X(S_COUNT_FAILED, "UPDATE campaign_analytics SET total_failed = total_failed + 1, updated_at = ? "       \
                      "WHERE account_id = ? AND campaign_id = ?")                                            \
    X(S_CONTACT_BLOCKED,                                                                                     \
      "UPDATE contacts SET blocked_at = COALESCE(blocked_at, ?) WHERE account_id = ? AND id = ?")            \
    X(S_CONTACT_DEACTIVATED, "UPDATE contacts SET deactivated_at = COALESCE(deactivated_at, ?) "             \
                             "WHERE account_id = ? AND id = ?")                                              \
    X(S_OPEN_ROWS, "SELECT rows - sent - failed - skipped FROM campaign_steps WHERE account_id = ? "         \
                   "AND campaign_id = ? AND step = ?")                                                       \
    X(S_NUDGE_SCHEDULE,                                                                                      \
      "INSERT INTO recipients(account_id, campaign_id, contact_id, step, status, error_code, "               \
      "created_at, discount_code) SELECT r.account_id, r.campaign_id, r.contact_id, ?3, "                    \
      "CASE WHEN c.opted_out_at IS NOT NULL OR c.blocked_at IS NOT NULL "                                    \
      "       OR c.deactivated_at IS NOT NULL THEN 'skipped' "                                               \
      "     WHEN ?4 IN ('no_reply', 'no_reply_no_click') AND EXISTS (SELECT 1 FROM recipients x "            \
      "       WHERE x.account_id = ?1 AND x.campaign_id = ?2 AND x.contact_id = r.contact_id "               \
      "       AND x.replied_at IS NOT NULL) THEN 'skipped' "                                                 \
      "     WHEN ?4 IN ('no_click', 'no_reply_no_click') AND EXISTS (SELECT 1 FROM recipients x "            \
      "       WHERE x.account_id = ?1 AND x.campaign_id = ?2 AND x.contact_id = r.contact_id "               \
      "       AND x.clicked_at IS NOT NULL) THEN 'skipped' "                                                 \
      "     ELSE 'pending' END, "                                                                            \
      "CASE WHEN c.opted_out_at IS NOT NULL THEN 'opted_out' "                                               \
      "     WHEN c.blocked_at IS NOT NULL OR c.deactivated_at IS NOT NULL THEN 'unreachable' "               \
      "     ELSE NULL END, ?6, r.discount_code "                                                             \
      "FROM recipients r JOIN contacts c ON c.id = r.contact_id AND c.account_id = r.account_id "            \
      "WHERE r.account_id = ?1 AND r.campaign_id = ?2 AND r.step = ?3 - 1 AND r.status = 'sent' "            \
      "AND r.sent_at <= ?5 AND r.sent_at > COALESCE((SELECT scheduled_through FROM "                         \
      "campaign_steps WHERE campaign_id = ?2 AND step = ?3), 0) "                                            \
      "ON CONFLICT DO NOTHING RETURNING campaign_id, step, status")                                          \
    X(S_NUDGE_NEXT_DUE, "SELECT COALESCE(MIN(r.sent_at), 0) FROM recipients r WHERE r.campaign_id = ?2 "     \
                        "AND r.step = ?3 - 1 AND r.status = 'sent' AND r.account_id = ?1 AND r.sent_at > "   \
                        "COALESCE((SELECT scheduled_through FROM campaign_steps WHERE campaign_id = ?2 "     \
                        "AND step = ?3), 0)")                                                                \
    X(S_LOGS_PAGE, "SELECT id, timestamp, COALESCE(contact_id, 0), COALESCE(step, 0), status, "              \
                   "COALESCE(error_code, ''), COALESCE(error_details, '') FROM sent_logs "                   \
                   "WHERE account_id = ? AND campaign_id = ? AND id > ? ORDER BY id LIMIT ?")                \
    X(S_COUNTS_ROWS, "SELECT COALESCE(SUM(rows) FILTER (WHERE step = 0), 0), "                               \
                     "COALESCE(SUM(rows - sent - failed - skipped), 0), 0, COALESCE(SUM(sent), 0), "         \
                     "COALESCE(SUM(failed), 0), COALESCE(SUM(skipped), 0), COALESCE(SUM(read), 0), "         \
                     "COALESCE(SUM(replied) FILTER (WHERE step = 0), 0), 0 "                                 \
                     "FROM campaign_steps WHERE account_id = ? AND campaign_id = ?")                         \
    X(S_COUNTS_ANALYTICS,                                                                                    \
      "SELECT total_clicks, total_opted_out, total_orders, total_revenue, cat_browser, "                     \
      "cat_buyer, cat_refund_risk, unique_clicks FROM campaign_analytics WHERE account_id = ? "              \
      "AND campaign_id = ?")                                                                                 \
    X(S_SET_CATEGORIES, "UPDATE campaign_analytics SET cat_browser = ?, cat_buyer = ?, cat_refund_risk = ? " \
                        "WHERE account_id = ? AND campaign_id = ?")                                          \
    X(S_REPLIED, "UPDATE recipients SET replied_at = COALESCE(replied_at, ?1) WHERE account_id = ?2 "        \
                 "AND contact_id = ?3 AND status = 'sent' AND sent_at >= ?4 AND replied_at IS NULL "         \
                 "RETURNING campaign_id, step")                                                              \
    X(S_READ,                                                                                                \
      "UPDATE recipients SET read_at = COALESCE(read_at, ?1) WHERE account_id = ?2 AND contact_id = ?3 "     \
      "AND status = 'sent' AND tg_message_id <= ?4 AND read_at IS NULL RETURNING campaign_id, step")         \
    X(S_OPT_OUT,                                                                                             \
      "UPDATE contacts SET opted_out_at = COALESCE(opted_out_at, ?) WHERE account_id = ? AND id = ? "        \
      "AND opted_out_at IS NULL")                                                                            \
    X(S_SKIP_NUDGES, "UPDATE recipients SET status = 'skipped', error_code = ? WHERE account_id = ? "        \
                     "AND contact_id = ? AND status = 'pending' AND step >= ? RETURNING campaign_id, step")  \
    X(S_LINK_BY_ID, "SELECT account_id, campaign_id, original_url FROM trackable_links WHERE id = ?")        \
    X(S_CLICK_SEEN,                                                                                          \
      "SELECT 1 FROM link_clicks WHERE account_id = ? AND link_id = ? AND recipient_id = ? LIMIT 1")         \
    X(S_CLICK_INSERT, "INSERT INTO link_clicks(account_id, link_id, recipient_id, at) VALUES (?, ?, ?, ?)")  \
    X(S_RECIPIENT_CLICKED, "UPDATE recipients SET clicked_at = ?1 WHERE account_id = ?2 AND id = ?3 "        \
                           "AND campaign_id = ?4 AND clicked_at IS NULL RETURNING step")                     \
    X(S_LINK_COUNT, "UPDATE trackable_links SET clicks = clicks + 1, unique_clicks = unique_clicks + ?1 "    \
                    "WHERE id = ?2")                                                                         \
    X(S_CAMPAIGN_CLICKS, "UPDATE campaign_analytics SET total_clicks = total_clicks + 1, "                   \
                         "unique_clicks = unique_clicks + ?1 WHERE account_id = ?2 AND campaign_id = ?3")    \
    X(S_ATTR_REF,                                                                                            \
      "SELECT campaign_id, step, id FROM recipients WHERE account_id = ? AND id = ? AND status = 'sent'")    \
    X(S_ATTR_LINK_OK, "SELECT 1 FROM trackable_links WHERE account_id = ? AND id = ? AND campaign_id = ?")   \
    X(S_ATTR_CODE, "SELECT id, campaign_id, COALESCE(recipient_id, 0) FROM discount_codes "                  \
                   "WHERE account_id = ? AND code_bidx = ? ORDER BY id DESC LIMIT 1")                        \
    X(S_ATTR_CODE_IN,                                                                                        \
      "SELECT id FROM discount_codes WHERE account_id = ? AND campaign_id = ? AND code_bidx = ?")            \
    X(S_ATTR_WINDOW,                                                                                         \
      "SELECT campaign_id, step, id FROM recipients WHERE account_id = ?1 AND contact_id = ?2 "              \
      "AND status = 'sent' AND sent_at <= ?3 AND sent_at >= ?4 "                                             \
      "AND (?5 = 0 OR campaign_id = ?5) ORDER BY sent_at DESC, id DESC LIMIT 1")                             \
    X(S_ATTR_ORDER,                                                                                          \
      "UPDATE orders SET attributed_campaign_id = ?, attributed_recipient_id = ?, "                          \
      "attributed_link_id = ?, attributed_step = ?, attributed_code_id = ?, attributed_by = ? "              \
      "WHERE account_id = ? AND id = ?")                                                                     \
    X(S_ATTR_CAMPAIGN, "UPDATE campaign_analytics SET total_revenue = total_revenue + ?1, "                  \
                       "total_orders = total_orders + ?2 WHERE account_id = ?3 AND campaign_id = ?4")        \
    X(S_ATTR_LINK, "UPDATE trackable_links SET revenue = revenue + ?1 WHERE account_id = ?2 AND id = ?3")    \
    X(S_ATTR_BY, "INSERT INTO revenue_by(account_id, campaign_id, kind, key, orders, revenue) "              \
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(campaign_id, kind, key) DO UPDATE SET "        \
                 "orders = orders + ?5, revenue = revenue + ?6")                                             \
    X(S_REV_SERIES, "SELECT ((created_at + ?5) / ?6) * ?6 - ?5 AS b, SUM(amount), COUNT(*) FROM orders "     \
                    "WHERE account_id = ?1 AND status = 'paid' AND attributed_campaign_id IS NOT NULL "      \
                    "AND created_at >= ?2 AND created_at < ?3 AND currency = ?4 GROUP BY b ORDER BY b")      \
    X(S_REV_CAMPAIGNS,                                                                                       \
      "SELECT o.attributed_campaign_id, c.name, SUM(o.amount), COUNT(*) FROM orders o "                      \
      "JOIN campaigns c ON c.id = o.attributed_campaign_id AND c.account_id = o.account_id "                 \
      "WHERE o.account_id = ?1 AND o.status = 'paid' AND o.created_at >= ?2 "                                \
      "AND o.created_at < ?3 AND o.currency = ?4 GROUP BY 1 ORDER BY 3 DESC, 1")                             \
    X(S_REV_CURRENCY,                                                                                        \
      "SELECT currency FROM orders WHERE account_id = ? AND created_at >= ? AND created_at < ? "             \
      "GROUP BY currency ORDER BY COUNT(*) DESC, currency LIMIT 1")                                          \
    X(S_STEP_COUNTS, "SELECT sent, replied, clicked FROM campaign_steps WHERE account_id = ? "               \
                     "AND campaign_id = ? AND step = ?")                                                     \
    X(S_STEP_BUMP,                                                                                           \
      "INSERT INTO campaign_steps(account_id, campaign_id, step, rows, sent, failed, skipped, read, "        \
      "replied, clicked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(campaign_id, step) DO "           \
      "UPDATE SET rows = rows + excluded.rows, sent = sent + excluded.sent, "                                \
      "failed = failed + excluded.failed, skipped = skipped + excluded.skipped, "                            \
      "read = read + excluded.read, replied = replied + excluded.replied, "                                  \
      "clicked = clicked + excluded.clicked")                                                                \
    X(S_STEP_THROUGH, "INSERT INTO campaign_steps(account_id, campaign_id, step, scheduled_through) "        \
                      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(campaign_id, step) DO UPDATE SET "                \
                      "scheduled_through = MAX(scheduled_through, excluded.scheduled_through)")              \
    X(S_FAILURE_BUMP, "INSERT INTO campaign_failures(account_id, campaign_id, code, n) VALUES (?, ?, ?, 1) " \
                      "ON CONFLICT(campaign_id, code) DO UPDATE SET n = n + 1")                              \
    X(S_FAILURES, "SELECT code, n FROM campaign_failures WHERE account_id = ? AND campaign_id = ? ORDER BY " \
                  "n DESC, code")                                                                            \
    X(S_LINK_STATS, "SELECT id, original_url, clicks, unique_clicks, revenue FROM trackable_links "          \
                    "WHERE account_id = ? AND campaign_id = ? ORDER BY id")                                  \
    X(S_REVENUE_ROWS,                                                                                        \
      "SELECT key, orders, revenue FROM revenue_by WHERE account_id = ? AND campaign_id = ? "                \
      "AND kind = ? ORDER BY revenue DESC, key")                                                             \
    X(S_CODE_GET, "SELECT id, code, code_bidx, COALESCE(recipient_id, 0) FROM discount_codes "               \
                  "WHERE account_id = ? AND id = ?")                                                         \
    X(S_READ_TIMES, "SELECT read_at FROM recipients WHERE account_id = ? AND campaign_id = ? "               \
                    "AND read_at IS NOT NULL")                                                               \
    X(S_OPT_OUT_COUNT,                                                                                       \
      "UPDATE campaign_analytics SET total_opted_out = total_opted_out + 1 "                                 \
      "WHERE account_id = ?1 AND campaign_id IN (SELECT DISTINCT campaign_id FROM recipients "               \
      "WHERE account_id = ?1 AND contact_id = ?2 AND status = 'sent')")                                      \
    X(S_META_GET, "SELECT value FROM meta WHERE key = ?")                                                    \
    X(S_META_SET, "INSERT INTO meta(key, value) VALUES (?, ?) "                                              \
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

struct conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[S__COUNT];
    struct conn *next;
};

struct sq {
    struct store base; /* first: a struct store * is a struct sq * */
    char path[4096];
    struct conn *writer;     /* the writer of the transaction in progress (under wlock) */
    struct conn *writers[2]; /* [0] synchronous=NORMAL, [1] synchronous=FULL (auth, money, claims) */
    pthread_mutex_t wlock;
    pthread_key_t rkey;
    pthread_mutex_t rlock;
    struct conn *readers;
};

static struct sq *SQ(struct store *st)
{
    return (struct sq *)st;
}

static void conn_close(struct conn *c)
{
    if (!c) return;
    for (int i = 0; i < S__COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
    sqlite3_close_v2(c->db);
    free(c);
}

static int exec(sqlite3 *db, const char *sql)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) log_error("store", "sqlite exec failed: %s", sqlite3_errstr(rc));
    return rc;
}

static struct conn *conn_open(const char *path, int writer, char *err, size_t errlen)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    int rc =
        sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        if (err) snprintf(err, errlen, "cannot open database %s: %s", path, sqlite3_errstr(rc));
        conn_close(c);
        return NULL;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, 5000);
    if (exec(c->db, "PRAGMA foreign_keys = ON") != SQLITE_OK ||
        (writer && exec(c->db, "PRAGMA journal_mode = WAL") != SQLITE_OK) ||
        exec(c->db, "PRAGMA synchronous = NORMAL") != SQLITE_OK ||
        (!writer && exec(c->db, "PRAGMA query_only = 1") != SQLITE_OK)) {
        if (err) snprintf(err, errlen, "cannot configure database %s: %s", path, sqlite3_errmsg(c->db));
        conn_close(c);
        return NULL;
    }
    return c;
}

/* The prepared statement id on c, reset and with bindings cleared. */
static sqlite3_stmt *stmt(struct conn *c, enum stmt_id id)
{
    if (!c->stmt[id]) {
        int rc = sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[id], NULL);
        if (rc != SQLITE_OK) {
            log_error("store", "prepare of statement %d failed: %s", (int)id, sqlite3_errmsg(c->db));
            return NULL;
        }
    }
    sqlite3_reset(c->stmt[id]);
    sqlite3_clear_bindings(c->stmt[id]);
    return c->stmt[id];
}

static enum db_status rc_status(sqlite3 *db, int rc, const char *what)
{
    switch (rc & 0xff) {
    case SQLITE_ROW:
        return DB_ONE;
    case SQLITE_DONE:
        return DB_NONE;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        log_warn("store", "%s: database busy", what);
        return DB_SOFT;
    default:
        log_error("store", "%s failed: %s", what, sqlite3_errstr(rc));
        return DB_HARD;
    }
}

static struct conn *reader_conn(struct sq *s);

/* The write transaction this thread is inside, if any (see txn). */
static __thread struct sq *tl_txn;
static __thread int tl_depth, tl_failed;

/* This thread's reader connection — or the writer while this thread holds a write
 * transaction, so that a transaction reads its own writes. */
static struct conn *reader(struct sq *s)
{
    if (tl_txn == s) return s->writer;
    return reader_conn(s);
}

static struct conn *reader_conn(struct sq *s)
{
    struct conn *c = pthread_getspecific(s->rkey);
    if (c) return c;
    c = conn_open(s->path, 0, NULL, 0);
    if (!c) return NULL;
    pthread_mutex_lock(&s->rlock);
    c->next = s->readers;
    s->readers = c;
    pthread_mutex_unlock(&s->rlock);
    pthread_setspecific(s->rkey, c);
    return c;
}

/* Run a prepared statement that returns no rows (transaction control, pragmas).
 * @return SQLITE_OK or the error code */
static int run_stmt(struct conn *c, enum stmt_id id)
{
    sqlite3_stmt *q = stmt(c, id);
    if (!q) return SQLITE_ERROR;
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* Take the writer and open a write transaction; durable=1 makes its commit synchronous=FULL.
 * On success the caller must call wend(). */
static enum db_status wbegin(struct sq *s, int durable)
{
    if (tl_txn == s) {
        tl_depth++;
        return DB_ONE;
    }
    pthread_mutex_lock(&s->wlock);
    /* Two writer connections, one per durability, so no PRAGMA flips between transactions
     * (a flip costs re-preparing statements); the mutex makes them one writer. */
    s->writer = s->writers[durable ? 1 : 0];
    int rc = run_stmt(s->writer, S_BEGIN);
    if (rc != SQLITE_OK) {
        pthread_mutex_unlock(&s->wlock);
        return rc_status(s->writer->db, rc, "begin");
    }
    tl_txn = s;
    tl_depth = 1;
    tl_failed = 0;
    return DB_ONE;
}

/* Commit when st is not an error, else roll back; releases the writer. Returns the final status. */
static enum db_status wend(struct sq *s, enum db_status st)
{
    if (st < 0) tl_failed = 1;
    if (--tl_depth > 0) return st;
    tl_txn = NULL;
    if (tl_failed && st >= 0) st = DB_HARD; /* an inner step failed: the whole transaction goes */
    if (st >= 0) {
        int rc = run_stmt(s->writer, S_COMMIT);
        if (rc != SQLITE_OK) {
            st = rc_status(s->writer->db, rc, "commit");
            run_stmt(s->writer, S_ROLLBACK);
            /* A full disk (or a file size limit) stops the write-ahead log from growing. Copying
             * what it holds into the database lets the next transaction write the log from its
             * start again, in space it already has: small writes — the engine's storage_error
             * pause — then fit while big ones still fail (DB_HARD either way). */
            if ((rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR)
                sqlite3_wal_checkpoint_v2(s->writer->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        }
    } else {
        run_stmt(s->writer, S_ROLLBACK);
    }
    pthread_mutex_unlock(&s->wlock);
    return st;
}

/* Run a prepared write statement to completion; DB_ONE if it changed a row, DB_NONE if not. */
static enum db_status step_write(struct sq *s, sqlite3_stmt *q, const char *what)
{
    if (!q) return DB_HARD;
    int rc = sqlite3_step(q);
    enum db_status st = rc_status(s->writer->db, rc, what);
    if (st == DB_NONE && sqlite3_changes(s->writer->db) > 0) st = DB_ONE;
    sqlite3_reset(q);
    return st;
}

static void copy_text(char *dst, size_t cap, sqlite3_stmt *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static void read_account(sqlite3_stmt *q, struct account *a)
{
    memset(a, 0, sizeof *a);
    a->id = sqlite3_column_int64(q, 0);
    copy_text(a->email, sizeof a->email, q, 1);
    copy_text(a->plan_type, sizeof a->plan_type, q, 2);
    copy_text(a->password_hash, sizeof a->password_hash, q, 3);
    copy_text(a->timezone, sizeof a->timezone, q, 4);
    a->frequency_cap_days = sqlite3_column_int(q, 5);
    a->webhook_secret_set = sqlite3_column_int(q, 6);
    a->created_at = sqlite3_column_int64(q, 7);
}

static enum db_status account_query(struct store *st, enum stmt_id id, const char *text, int64_t num,
                                    struct account *out)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, id) : NULL;
    if (!q) return DB_HARD;
    if (text)
        sqlite3_bind_text(q, 1, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(q, 1, num);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "account lookup");
    if (r == DB_ONE) read_account(q, out);
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_account_by_email(struct store *st, const char *email, struct account *out)
{
    return account_query(st, S_ACCOUNT_BY_EMAIL, email, 0, out);
}

static enum db_status sq_account_by_api_key(struct store *st, const char *hash, struct account *out)
{
    return account_query(st, S_ACCOUNT_BY_KEY, hash, 0, out);
}

static enum db_status sq_account_get(struct store *st, int64_t id, struct account *out)
{
    return account_query(st, S_ACCOUNT_GET, NULL, id, out);
}

static enum db_status sq_account_create(struct store *st, const struct account *a, const char *api_key_hash,
                                        int64_t *id)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_ACCOUNT_INSERT);
    if (q) {
        sqlite3_bind_text(q, 1, a->email, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, api_key_hash, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, a->plan_type[0] ? a->plan_type : "free", -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, a->password_hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, now_ms());
    }
    r = step_write(s, q, "account insert");
    if (r == DB_ONE && id) *id = sqlite3_last_insert_rowid(s->writer->db);
    return wend(s, r);
}

static enum db_status sq_account_update(struct store *st, int64_t id, const char *tz, int cap)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_ACCOUNT_UPDATE);
    if (q) {
        sqlite3_bind_text(q, 1, tz, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 2, cap);
        sqlite3_bind_int64(q, 3, id);
    }
    return wend(s, step_write(s, q, "account update"));
}

static enum db_status sq_account_set_webhook_secret(struct store *st, int64_t id, const unsigned char *sealed,
                                                    size_t len)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_ACCOUNT_SET_WH);
    if (q) {
        sqlite3_bind_blob(q, 1, sealed, (int)len, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, id);
    }
    return wend(s, step_write(s, q, "webhook secret update"));
}

static enum db_status sq_account_webhook_secret(struct store *st, int64_t id, unsigned char **out,
                                                size_t *len)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_ACCOUNT_GET_WH) : NULL;
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, id);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "webhook secret lookup");
    if (r == DB_ONE) {
        int n = sqlite3_column_bytes(q, 0);
        *out = malloc(n ? (size_t)n : 1);
        if (!*out) {
            r = DB_HARD;
        } else {
            memcpy(*out, sqlite3_column_blob(q, 0), (size_t)n);
            *len = (size_t)n;
        }
    }
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_meta_get(struct store *st, const char *key, char *out, size_t cap)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_META_GET) : NULL;
    if (!q) return DB_HARD;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "meta lookup");
    if (r == DB_ONE) copy_text(out, cap, q, 0);
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_meta_set(struct store *st, const char *key, const char *value)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_META_SET);
    if (q) {
        sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
    }
    return wend(s, step_write(s, q, "meta update"));
}

static enum db_status bind_run(struct sq *s, enum stmt_id id, const char *text, int64_t a, int64_t b,
                               int64_t c3, int nints, const char *what);

static enum db_status sq_meta_delete(struct store *st, const char *key)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    return wend(s, bind_run(s, S_META_DELETE, key, 0, 0, 0, 0, "meta delete"));
}

static enum db_status sq_ping(struct store *st)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_PING) : NULL;
    if (!q) return DB_HARD;
    enum db_status r = rc_status(c->db, sqlite3_step(q), "ping");
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_migrate(struct store *st, int *applied)
{
    struct sq *s = SQ(st);
    int n = 0;
    if (applied) *applied = 0;
    pthread_mutex_lock(&s->wlock);
    int rc = exec(s->writer->db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                 " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    pthread_mutex_unlock(&s->wlock);
    if (rc != SQLITE_OK) return DB_HARD;
    for (int v = 1; sqlite_migrations[v - 1]; v++) {
        enum db_status r = wbegin(s, 1);
        if (r < 0) return r;
        /* The version is read inside the write transaction, so two processes migrating at
         * once apply each migration once. */
        sqlite3_stmt *q = stmt(s->writer, S_VERSION);
        r = q ? rc_status(s->writer->db, sqlite3_step(q), "schema version") : DB_HARD;
        int have = r == DB_ONE ? sqlite3_column_int(q, 0) : 0;
        if (q) sqlite3_reset(q);
        if (r < 0 || have >= v) {
            wend(s, r < 0 ? r : DB_NONE);
            if (r < 0) return r;
            continue;
        }
        if (exec(s->writer->db, sqlite_migrations[v - 1]) != SQLITE_OK) {
            wend(s, DB_HARD);
            log_error("store", "migration %d failed", v);
            return DB_HARD;
        }
        q = stmt(s->writer, S_MIGRATION_DONE);
        if (q) {
            sqlite3_bind_int(q, 1, v);
            sqlite3_bind_int64(q, 2, now_ms());
        }
        r = wend(s, step_write(s, q, "migration record"));
        if (r < 0) return r;
        n++;
        log_info("store", "applied migration %d", v);
    }
    if (applied) *applied = n;
    return DB_ONE;
}

/* ---- helpers for blobs ------------------------------------------------------------------- */

static int read_blob(sqlite3_stmt *q, int col, struct blob *b)
{
    b->p = NULL;
    b->len = 0;
    if (sqlite3_column_type(q, col) == SQLITE_NULL) return TGR_OK;
    int n = sqlite3_column_bytes(q, col);
    b->p = malloc(n > 0 ? (size_t)n : 1);
    if (!b->p) return TGR_ERR;
    memcpy(b->p, sqlite3_column_blob(q, col), (size_t)n);
    b->len = (size_t)n;
    return TGR_OK;
}

static void bind_blob(sqlite3_stmt *q, int i, const struct blob *b)
{
    if (b && b->p)
        sqlite3_bind_blob(q, i, b->p, (int)b->len, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, i);
}

static void bind_text_or_null(sqlite3_stmt *q, int i, const char *t)
{
    if (t && *t)
        sqlite3_bind_text(q, i, t, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, i);
}

/* ---- transactions ------------------------------------------------------------------------ */

static enum db_status sq_txn(struct store *st, int durable, enum db_status (*fn)(struct store *, void *),
                             void *cls)
{
    struct sq *s = SQ(st);
    enum db_status r = DB_HARD;
    for (int attempt = 0; attempt < 4; attempt++) {
        r = wbegin(s, durable);
        if (r == DB_SOFT) continue;
        if (r < 0) return r;
        r = wend(s, fn(st, cls));
        if (r != DB_SOFT) return r;
    }
    return r;
}

/* ---- Telegram sessions ------------------------------------------------------------------- */

static enum db_status sq_session_get(struct store *st, int64_t account_id, struct tg_session *out)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_SESSION_GET) : NULL;
    memset(out, 0, sizeof *out);
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "session lookup");
    if (r == DB_ONE) {
        copy_text(out->status, sizeof out->status, q, 0);
        copy_text(out->tg_user_id, sizeof out->tg_user_id, q, 3);
        out->updated_at = sqlite3_column_int64(q, 4);
        if (read_blob(q, 1, &out->session) != TGR_OK || read_blob(q, 2, &out->phone) != TGR_OK) {
            tg_session_release(out);
            r = DB_HARD;
        }
    }
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_session_put(struct store *st, int64_t account_id, const struct tg_session *in)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_SESSION_PUT);
    if (q) {
        sqlite3_bind_int64(q, 1, account_id);
        sqlite3_bind_text(q, 2, in->status, -1, SQLITE_STATIC);
        bind_blob(q, 3, &in->session);
        bind_blob(q, 4, &in->phone);
        bind_text_or_null(q, 5, in->tg_user_id);
        sqlite3_bind_int64(q, 6, now_ms());
    }
    return wend(s, step_write(s, q, "session save"));
}

static enum db_status sq_session_set_status(struct store *st, int64_t account_id, const char *status)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_SESSION_STATUS);
    if (q) {
        sqlite3_bind_text(q, 1, status, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, now_ms());
        sqlite3_bind_int64(q, 3, account_id);
    }
    return wend(s, step_write(s, q, "session status"));
}

static enum db_status sq_session_delete(struct store *st, int64_t account_id)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_SESSION_DELETE);
    if (q) sqlite3_bind_int64(q, 1, account_id);
    return wend(s, step_write(s, q, "session delete"));
}

/* Step q (bound, unstepped) to its end, reading each row into a growing array of `size`-byte
 * elements with read(c, q, row, cls) (which leaves a failed row releasable). On failure every
 * row read is released with release (may be NULL) and nothing is returned.
 * @param[out] rows malloc'd array, *n elements
 * @return DB_ONE (rows), DB_NONE (none), DB_HARD */
static enum db_status read_rows(struct conn *c, sqlite3_stmt *q, size_t size,
                                int (*read)(struct conn *c, sqlite3_stmt *q, void *row, void *cls),
                                void (*release)(void *row), void *cls, void **rows, size_t *n,
                                const char *what)
{
    char *a = NULL;
    size_t cap = 0, k = 0;
    enum db_status r;
    while ((r = rc_status(c->db, sqlite3_step(q), what)) == DB_ONE) {
        if (k == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char *np = realloc(a, ncap * size);
            if (!np) {
                r = DB_HARD;
                break;
            }
            a = np;
            cap = ncap;
        }
        memset(a + k * size, 0, size);
        if (read(c, q, a + k * size, cls) != TGR_OK) {
            if (release) release(a + k * size);
            r = DB_HARD;
            break;
        }
        k++;
    }
    sqlite3_reset(q);
    if (r < 0) {
        for (size_t i = 0; release && i < k; i++)
            release(a + i * size);
        free(a);
        *rows = NULL;
        *n = 0;
        return r;
    }
    *rows = a;
    *n = k;
    return k ? DB_ONE : DB_NONE;
}

static int read_id(struct conn *c, sqlite3_stmt *q, void *row, void *cls)
{
    *(int64_t *)row = sqlite3_column_int64(q, 0);
    return TGR_OK;
}

static enum db_status id_list(struct store *st, enum stmt_id sid, int64_t account_id, const char *text,
                              int64_t **ids, size_t *n)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, sid) : NULL;
    *ids = NULL;
    *n = 0;
    if (!q) return DB_HARD;
    if (account_id) sqlite3_bind_int64(q, 1, account_id);
    if (text) sqlite3_bind_text(q, 2, text, -1, SQLITE_STATIC);
    return read_rows(c, q, sizeof **ids, read_id, NULL, NULL, (void **)ids, n, "id list");
}

static enum db_status sq_sessions_connected(struct store *st, int64_t **ids, size_t *n)
{
    return id_list(st, S_SESSIONS_CONNECTED, 0, NULL, ids, n);
}

/* ---- contacts ---------------------------------------------------------------------------- */

static int read_contact(sqlite3_stmt *q, struct contact *c)
{
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(q, 0);
    copy_text(c->tg_user_id, sizeof c->tg_user_id, q, 1);
    if (read_blob(q, 2, &c->access_hash) || read_blob(q, 3, &c->first_name) ||
        read_blob(q, 4, &c->last_name) || read_blob(q, 5, &c->username) || read_blob(q, 6, &c->phone)) {
        contact_release(c);
        return TGR_ERR;
    }
    copy_text(c->phone_bidx, sizeof c->phone_bidx, q, 7);
    copy_text(c->username_bidx, sizeof c->username_bidx, q, 8);
    c->first_inbound_at = sqlite3_column_int64(q, 9);
    c->last_inbound_at = sqlite3_column_int64(q, 10);
    c->inbound_count = sqlite3_column_int64(q, 11);
    c->opted_out_at = sqlite3_column_int64(q, 12);
    c->blocked_at = sqlite3_column_int64(q, 13);
    c->deactivated_at = sqlite3_column_int64(q, 14);
    c->created_at = sqlite3_column_int64(q, 15);
    c->updated_at = sqlite3_column_int64(q, 16);
    c->orders_count = sqlite3_column_int64(q, 17);
    c->spent = sqlite3_column_int64(q, 18);
    if (read_blob(q, 19, &c->category) || read_blob(q, 20, &c->confidence)) {
        contact_release(c);
        return TGR_ERR;
    }
    return TGR_OK;
}

static enum db_status sq_contact_save(struct store *st, int64_t account_id, const struct contact *ct,
                                      int64_t *id)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    int64_t now = now_ms();
    sqlite3_stmt *q;
    if (ct->id == 0) {
        q = stmt(s->writer, S_CONTACT_INSERT);
        if (q) {
            sqlite3_bind_int64(q, 1, account_id);
            sqlite3_bind_text(q, 2, ct->tg_user_id, -1, SQLITE_STATIC);
            bind_blob(q, 3, &ct->access_hash);
            bind_blob(q, 4, &ct->first_name);
            bind_blob(q, 5, &ct->last_name);
            bind_blob(q, 6, &ct->username);
            bind_blob(q, 7, &ct->phone);
            bind_text_or_null(q, 8, ct->phone_bidx);
            bind_text_or_null(q, 9, ct->username_bidx);
            sqlite3_bind_int64(q, 10, now);
            sqlite3_bind_int64(q, 11, now);
        }
        r = step_write(s, q, "contact insert");
        if (r == DB_ONE && id) *id = sqlite3_last_insert_rowid(s->writer->db);
    } else {
        q = stmt(s->writer, S_CONTACT_UPDATE);
        if (q) {
            bind_blob(q, 1, &ct->access_hash);
            bind_blob(q, 2, &ct->first_name);
            bind_blob(q, 3, &ct->last_name);
            bind_blob(q, 4, &ct->username);
            bind_blob(q, 5, &ct->phone);
            bind_text_or_null(q, 6, ct->phone_bidx);
            bind_text_or_null(q, 7, ct->username_bidx);
            sqlite3_bind_int64(q, 8, now);
            sqlite3_bind_int64(q, 9, account_id);
            sqlite3_bind_int64(q, 10, ct->id);
        }
        r = step_write(s, q, "contact update");
        if (id) *id = ct->id;
    }
    return wend(s, r);
}

static enum db_status contact_query(struct store *st, enum stmt_id sid, int64_t account_id, const char *text,
                                    int64_t num, struct contact *out)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, sid) : NULL;
    memset(out, 0, sizeof *out);
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    if (text)
        sqlite3_bind_text(q, 2, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(q, 2, num);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "contact lookup");
    if (r == DB_ONE && read_contact(q, out) != TGR_OK) r = DB_HARD;
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_contact_by_tg_id(struct store *st, int64_t account_id, const char *tg_user_id,
                                          struct contact *out)
{
    return contact_query(st, S_CONTACT_BY_TG, account_id, tg_user_id, 0, out);
}

static enum db_status sq_contact_get(struct store *st, int64_t account_id, int64_t id, struct contact *out)
{
    return contact_query(st, S_CONTACT_GET, account_id, NULL, id, out);
}

static int read_contact_row(struct conn *c, sqlite3_stmt *q, void *row, void *cls)
{
    return read_contact(q, row);
}

static void release_contact_row(void *row)
{
    contact_release(row);
}

static enum db_status sq_contacts_page(struct store *st, int64_t account_id, int64_t after_id, int limit,
                                       struct contact **rows, size_t *n)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_CONTACTS_PAGE) : NULL;
    *rows = NULL;
    *n = 0;
    if (!q || limit <= 0) return q ? DB_NONE : DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, after_id);
    sqlite3_bind_int(q, 3, limit);
    return read_rows(c, q, sizeof **rows, read_contact_row, release_contact_row, NULL, (void **)rows, n,
                     "contacts page");
}

static enum db_status sq_inbound_add(struct store *st, int64_t account_id, int64_t contact_id,
                                     int64_t tg_message_id, const struct blob *text, int64_t date_ms)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_INBOUND_INSERT);
    if (q) {
        sqlite3_bind_int64(q, 1, account_id);
        sqlite3_bind_int64(q, 2, contact_id);
        sqlite3_bind_int64(q, 3, tg_message_id);
        bind_blob(q, 4, text);
        sqlite3_bind_int64(q, 5, date_ms);
    }
    r = step_write(s, q, "inbound insert");
    if (r == DB_ONE) {
        q = stmt(s->writer, S_INBOUND_TOUCH);
        if (q) {
            sqlite3_bind_int64(q, 1, date_ms);
            sqlite3_bind_int64(q, 2, account_id);
            sqlite3_bind_int64(q, 3, contact_id);
        }
        enum db_status t = step_write(s, q, "contact inbound update");
        if (t < 0) r = t;
    }
    return wend(s, r);
}

/* ---- campaigns --------------------------------------------------------------------------- */

static char *dup_col(sqlite3_stmt *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    return t ? strdup((const char *)t) : NULL;
}

static int read_campaign(struct conn *c, int64_t account_id, sqlite3_stmt *q, struct campaign *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(q, 0);
    copy_text(out->name, sizeof out->name, q, 1);
    out->message_text = dup_col(q, 2);
    copy_text(out->status, sizeof out->status, q, 3);
    out->filters_json = dup_col(q, 4);
    out->quiet_hours_json = dup_col(q, 5);
    out->nudges_json = dup_col(q, 6);
    out->track_links = sqlite3_column_int(q, 7);
    out->discount_json = dup_col(q, 8);
    out->override_quiet_hours = sqlite3_column_int(q, 9);
    out->created_at = sqlite3_column_int64(q, 10);
    out->updated_at = sqlite3_column_int64(q, 11);
    out->started_at = sqlite3_column_int64(q, 12);
    out->finished_at = sqlite3_column_int64(q, 13);
    copy_text(out->pause_reason, sizeof out->pause_reason, q, 14);
    if (!out->message_text) return TGR_ERR;
    /* The media list is a second statement on the same connection. */
    sqlite3_stmt *m = stmt(c, S_CAMPAIGN_MEDIA_LIST);
    if (!m) return TGR_ERR;
    sqlite3_bind_int64(m, 1, account_id);
    sqlite3_bind_int64(m, 2, out->id);
    while (sqlite3_step(m) == SQLITE_ROW && out->n_media < CAMPAIGN_MAX_MEDIA)
        out->media_ids[out->n_media++] = sqlite3_column_int64(m, 0);
    sqlite3_reset(m);
    return TGR_OK;
}

static enum db_status set_media(struct sq *s, int64_t account_id, const struct campaign *c, int64_t id)
{
    sqlite3_stmt *q = stmt(s->writer, S_CAMPAIGN_MEDIA_CLEAR);
    if (q) {
        sqlite3_bind_int64(q, 1, account_id);
        sqlite3_bind_int64(q, 2, id);
    }
    enum db_status r = step_write(s, q, "campaign media clear");
    for (int i = 0; r >= 0 && i < c->n_media; i++) {
        q = stmt(s->writer, S_CAMPAIGN_MEDIA_ADD);
        if (q) {
            sqlite3_bind_int64(q, 1, account_id);
            sqlite3_bind_int64(q, 2, id);
            sqlite3_bind_int64(q, 3, c->media_ids[i]);
            sqlite3_bind_int(q, 4, i);
        }
        r = step_write(s, q, "campaign media add");
    }
    return r;
}

static void bind_campaign_fields(sqlite3_stmt *q, int first, const struct campaign *c)
{
    sqlite3_bind_text(q, first, c->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, first + 1, c->message_text, -1, SQLITE_STATIC);
    bind_text_or_null(q, first + 2, c->filters_json);
    bind_text_or_null(q, first + 3, c->quiet_hours_json);
    bind_text_or_null(q, first + 4, c->nudges_json);
    sqlite3_bind_int(q, first + 5, c->track_links);
    bind_text_or_null(q, first + 6, c->discount_json);
}

static enum db_status sq_campaign_create(struct store *st, int64_t account_id, const struct campaign *c,
                                         int64_t *id)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    int64_t now = now_ms();
    sqlite3_stmt *q = stmt(s->writer, S_CAMPAIGN_INSERT);
    if (q) {
        sqlite3_bind_int64(q, 1, account_id);
        bind_campaign_fields(q, 2, c);
        sqlite3_bind_int64(q, 9, now);
        sqlite3_bind_int64(q, 10, now);
    }
    r = step_write(s, q, "campaign insert");
    int64_t nid = r == DB_ONE ? sqlite3_last_insert_rowid(s->writer->db) : 0;
    if (r == DB_ONE) r = set_media(s, account_id, c, nid);
    if (r >= 0) {
        q = stmt(s->writer, S_ANALYTICS_INSERT);
        if (q) {
            sqlite3_bind_int64(q, 1, account_id);
            sqlite3_bind_int64(q, 2, nid);
            sqlite3_bind_int64(q, 3, now);
        }
        r = step_write(s, q, "campaign analytics insert");
    }
    if (r >= 0 && id) *id = nid;
    return wend(s, r >= 0 ? DB_ONE : r);
}

static enum db_status sq_campaign_get(struct store *st, int64_t account_id, int64_t id, struct campaign *out)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_CAMPAIGN_GET) : NULL;
    memset(out, 0, sizeof *out);
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, id);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "campaign lookup");
    if (r == DB_ONE && read_campaign(c, account_id, q, out) != TGR_OK) {
        campaign_release(out);
        r = DB_HARD;
    }
    sqlite3_reset(q);
    return r;
}

static int read_campaign_row(struct conn *c, sqlite3_stmt *q, void *row, void *cls)
{
    return read_campaign(c, *(const int64_t *)cls, q, row);
}

static void release_campaign_row(void *row)
{
    campaign_release(row);
}

static enum db_status sq_campaign_list(struct store *st, int64_t account_id, struct campaign **rows,
                                       size_t *n)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_CAMPAIGN_LIST) : NULL;
    *rows = NULL;
    *n = 0;
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    return read_rows(c, q, sizeof **rows, read_campaign_row, release_campaign_row, &account_id, (void **)rows,
                     n, "campaign list");
}

static enum db_status sq_campaign_update(struct store *st, int64_t account_id, const struct campaign *c)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_CAMPAIGN_UPDATE);
    if (q) {
        bind_campaign_fields(q, 1, c);
        sqlite3_bind_int64(q, 8, now_ms());
        sqlite3_bind_int64(q, 9, account_id);
        sqlite3_bind_int64(q, 10, c->id);
    }
    r = step_write(s, q, "campaign update");
    if (r == DB_ONE) r = set_media(s, account_id, c, c->id) < 0 ? DB_HARD : DB_ONE;
    return wend(s, r);
}

static enum db_status exec_ids(struct sq *s, enum stmt_id id, int64_t a, int64_t b, const char *what)
{
    sqlite3_stmt *q = stmt(s->writer, id);
    if (q) {
        sqlite3_bind_int64(q, 1, a);
        sqlite3_bind_int64(q, 2, b);
    }
    return step_write(s, q, what);
}

static enum db_status sq_campaign_delete(struct store *st, int64_t account_id, int64_t id)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    struct campaign c;
    r = sq_campaign_get(st, account_id, id, &c);
    int draft = r == DB_ONE && strcmp(c.status, "draft") == 0;
    if (r == DB_ONE) campaign_release(&c);
    if (r >= 0 && !draft) return wend(s, DB_NONE);
    if (r >= 0) r = exec_ids(s, S_CAMPAIGN_MEDIA_CLEAR, account_id, id, "campaign media delete");
    if (r >= 0) r = exec_ids(s, S_CAMPAIGN_DELETE_DEPS, account_id, id, "campaign analytics delete");
    if (r >= 0) r = exec_ids(s, S_CAMPAIGN_DELETE_CODES, account_id, id, "campaign codes delete");
    if (r >= 0) r = exec_ids(s, S_CAMPAIGN_DELETE_LINKS, account_id, id, "campaign links delete");
    if (r >= 0) r = exec_ids(s, S_CAMPAIGN_DELETE, account_id, id, "campaign delete");
    return wend(s, r);
}

/* ---- discount codes ---------------------------------------------------------------------- */

static enum db_status sq_codes_replace(struct store *st, int64_t account_id, int64_t campaign_id,
                                       const struct discount_code_row *codes, size_t n)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    r = exec_ids(s, S_CODES_CLEAR_FREE, account_id, campaign_id, "codes clear");
    for (size_t i = 0; r >= 0 && i < n; i++) {
        sqlite3_stmt *q = stmt(s->writer, S_CODE_INSERT);
        if (q) {
            sqlite3_bind_int64(q, 1, account_id);
            sqlite3_bind_int64(q, 2, campaign_id);
            bind_blob(q, 3, &codes[i].code);
            sqlite3_bind_text(q, 4, codes[i].code_bidx, -1, SQLITE_STATIC);
        }
        r = step_write(s, q, "code insert");
    }
    return wend(s, r >= 0 ? DB_ONE : r);
}

static int read_code(sqlite3_stmt *q, struct discount_code_row *out, int with_recipient)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(q, 0);
    if (read_blob(q, 1, &out->code) != TGR_OK) return TGR_ERR;
    copy_text(out->code_bidx, sizeof out->code_bidx, q, 2);
    out->recipient_id = with_recipient ? sqlite3_column_int64(q, 3) : 0;
    return TGR_OK;
}

static int read_code_row(struct conn *c, sqlite3_stmt *q, void *row, void *cls)
{
    return read_code(q, row, 1);
}

static void release_code_row(void *row)
{
    blob_release(&((struct discount_code_row *)row)->code);
}

static enum db_status sq_codes_list(struct store *st, int64_t account_id, int64_t campaign_id,
                                    struct discount_code_row **rows, size_t *n)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_CODES_LIST) : NULL;
    *rows = NULL;
    *n = 0;
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, campaign_id);
    return read_rows(c, q, sizeof **rows, read_code_row, release_code_row, NULL, (void **)rows, n,
                     "codes list");
}

static enum db_status sq_code_assign(struct store *st, int64_t account_id, int64_t campaign_id,
                                     int64_t recipient_id, struct discount_code_row *out)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_CODE_OF_RECIPIENT);
    if (!q) return wend(s, DB_HARD);
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, campaign_id);
    sqlite3_bind_int64(q, 3, recipient_id);
    r = rc_status(s->writer->db, sqlite3_step(q), "code of recipient");
    if (r == DB_ONE) {
        r = read_code(q, out, 1) == TGR_OK ? DB_ONE : DB_HARD;
        sqlite3_reset(q);
        return wend(s, r);
    }
    sqlite3_reset(q);
    if (r < 0) return wend(s, r);
    q = stmt(s->writer, S_CODE_FREE);
    if (!q) return wend(s, DB_HARD);
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, campaign_id);
    r = rc_status(s->writer->db, sqlite3_step(q), "free code");
    if (r == DB_ONE && read_code(q, out, 0) != TGR_OK) r = DB_HARD;
    sqlite3_reset(q);
    if (r != DB_ONE) return wend(s, r);
    out->recipient_id = recipient_id;
    q = stmt(s->writer, S_CODE_TAKE);
    if (q) {
        sqlite3_bind_int64(q, 1, recipient_id);
        sqlite3_bind_int64(q, 2, now_ms());
        sqlite3_bind_int64(q, 3, out->id);
    }
    r = step_write(s, q, "code take");
    if (r != DB_ONE) blob_release(&out->code);
    return wend(s, r == DB_ONE ? DB_ONE : DB_HARD);
}

/* ---- links ------------------------------------------------------------------------------- */

static enum db_status sq_link_ensure(struct store *st, int64_t account_id, int64_t campaign_id,
                                     const char *url, int64_t *link_id)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_LINK_INSERT);
    if (q) {
        sqlite3_bind_int64(q, 1, account_id);
        sqlite3_bind_int64(q, 2, campaign_id);
        sqlite3_bind_text(q, 3, url, -1, SQLITE_STATIC);
    }
    r = step_write(s, q, "link insert");
    if (r >= 0) {
        q = stmt(s->writer, S_LINK_GET);
        if (!q) return wend(s, DB_HARD);
        sqlite3_bind_int64(q, 1, account_id);
        sqlite3_bind_int64(q, 2, campaign_id);
        sqlite3_bind_text(q, 3, url, -1, SQLITE_STATIC);
        r = rc_status(s->writer->db, sqlite3_step(q), "link lookup");
        if (r == DB_ONE)
            *link_id = sqlite3_column_int64(q, 0);
        else if (r == DB_NONE)
            r = DB_HARD;
        sqlite3_reset(q);
    }
    return wend(s, r);
}

/* ---- media ------------------------------------------------------------------------------- */

static void read_media(sqlite3_stmt *q, struct media_row *m)
{
    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(q, 0);
    copy_text(m->kind, sizeof m->kind, q, 1);
    copy_text(m->mime, sizeof m->mime, q, 2);
    m->size = sqlite3_column_int64(q, 3);
    copy_text(m->sha256, sizeof m->sha256, q, 4);
    copy_text(m->storage_key, sizeof m->storage_key, q, 5);
    m->created_at = sqlite3_column_int64(q, 6);
}

static enum db_status media_query(struct conn *c, enum stmt_id id, int64_t account_id, const char *text,
                                  int64_t num, struct media_row *out)
{
    sqlite3_stmt *q = c ? stmt(c, id) : NULL;
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    if (text)
        sqlite3_bind_text(q, 2, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(q, 2, num);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "media lookup");
    if (r == DB_ONE) read_media(q, out);
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_media_add(struct store *st, int64_t account_id, const struct media_row *m,
                                   struct media_row *out)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_MEDIA_INSERT);
    if (q) {
        sqlite3_bind_int64(q, 1, account_id);
        sqlite3_bind_text(q, 2, m->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, m->mime, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 4, m->size);
        sqlite3_bind_text(q, 5, m->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 6, m->storage_key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 7, now_ms());
    }
    enum db_status ins = step_write(s, q, "media insert");
    if (ins < 0) return wend(s, ins);
    r = media_query(s->writer, S_MEDIA_BY_SHA, account_id, m->sha256, 0, out);
    if (r == DB_ONE)
        r = ins; /* DB_ONE new, DB_NONE already there */
    else if (r == DB_NONE)
        r = DB_HARD;
    return wend(s, r);
}

static enum db_status sq_media_get(struct store *st, int64_t account_id, int64_t id, struct media_row *out)
{
    return media_query(reader(SQ(st)), S_MEDIA_GET, account_id, NULL, id, out);
}

/* ---- orders ------------------------------------------------------------------------------ */

static void read_order(sqlite3_stmt *q, struct order_row *o)
{
    memset(o, 0, sizeof *o);
    o->id = sqlite3_column_int64(q, 0);
    copy_text(o->order_id, sizeof o->order_id, q, 1);
    o->amount = sqlite3_column_int64(q, 2);
    copy_text(o->currency, sizeof o->currency, q, 3);
    copy_text(o->status, sizeof o->status, q, 4);
    o->created_at = sqlite3_column_int64(q, 5);
    o->received_at = sqlite3_column_int64(q, 6);
    o->contact_id = sqlite3_column_int64(q, 7);
    copy_text(o->discount_code_bidx, sizeof o->discount_code_bidx, q, 8);
    copy_text(o->ref, sizeof o->ref, q, 9);
    o->attributed_campaign_id = sqlite3_column_int64(q, 10);
    copy_text(o->body_hash, sizeof o->body_hash, q, 11);
    copy_text(o->customer_tg_user_id, sizeof o->customer_tg_user_id, q, 12);
    o->attributed_recipient_id = sqlite3_column_int64(q, 13);
    o->attributed_link_id = sqlite3_column_int64(q, 14);
    o->attributed_code_id = sqlite3_column_int64(q, 15);
    o->attributed_step = sqlite3_column_int(q, 16);
}

static enum db_status order_query(struct store *st, enum stmt_id id, int64_t account_id, const char *text,
                                  int64_t num, struct order_row *out)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, id) : NULL;
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    if (text)
        sqlite3_bind_text(q, 2, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(q, 2, num);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "order lookup");
    if (r == DB_ONE) read_order(q, out);
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_order_get(struct store *st, int64_t account_id, const char *order_id,
                                   struct order_row *out)
{
    return order_query(st, S_ORDER_GET, account_id, order_id, 0, out);
}

static enum db_status sq_order_latest_paid(struct store *st, int64_t account_id, int64_t contact_id,
                                           struct order_row *out)
{
    return order_query(st, S_ORDER_LATEST_PAID, account_id, NULL, contact_id, out);
}

static void bind_id_or_null(sqlite3_stmt *q, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(q, i, v);
    else
        sqlite3_bind_null(q, i);
}

static enum db_status sq_order_save(struct store *st, int64_t account_id, const struct order_row *o,
                                    int64_t *id)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1); /* money: durable */
    if (r < 0) return r;
    sqlite3_stmt *q;
    int64_t now = now_ms();
    if (o->id == 0) {
        q = stmt(s->writer, S_ORDER_INSERT);
        if (q) {
            sqlite3_bind_int64(q, 1, account_id);
            sqlite3_bind_text(q, 2, o->order_id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q, 3, o->amount);
            sqlite3_bind_text(q, 4, o->currency, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 5, o->status, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q, 6, o->created_at);
            bind_id_or_null(q, 7, o->contact_id);
            bind_text_or_null(q, 8, o->discount_code_bidx);
            bind_text_or_null(q, 9, o->ref);
            bind_id_or_null(q, 10, o->attributed_campaign_id);
            bind_text_or_null(q, 11, o->body_hash);
            sqlite3_bind_int64(q, 12, now);
            bind_text_or_null(q, 13, o->customer_tg_user_id);
            bind_text_or_null(q, 14, o->customer_phone_bidx);
            bind_text_or_null(q, 15, o->customer_username_bidx);
        }
        r = step_write(s, q, "order insert");
        if (r == DB_ONE && id) *id = sqlite3_last_insert_rowid(s->writer->db);
    } else {
        q = stmt(s->writer, S_ORDER_UPDATE);
        if (q) {
            sqlite3_bind_text(q, 1, o->status, -1, SQLITE_STATIC);
            bind_text_or_null(q, 2, o->body_hash);
            sqlite3_bind_int64(q, 3, now);
            sqlite3_bind_int64(q, 4, account_id);
            sqlite3_bind_int64(q, 5, o->id);
        }
        r = step_write(s, q, "order update");
        if (id) *id = o->id;
    }
    return wend(s, r);
}

static enum db_status sq_orders_link_contact(struct store *st, int64_t account_id, int64_t contact_id,
                                             const char *tg_user_id, const char *phone_bidx,
                                             const char *username_bidx, int *linked)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_ORDERS_LINK);
    if (q) {
        sqlite3_bind_int64(q, 1, contact_id);
        sqlite3_bind_int64(q, 2, account_id);
        bind_text_or_null(q, 3, tg_user_id);
        bind_text_or_null(q, 4, phone_bidx);
        bind_text_or_null(q, 5, username_bidx);
    }
    r = step_write(s, q, "orders link");
    if (linked) *linked = r >= 0 ? sqlite3_changes(s->writer->db) : 0;
    return wend(s, r);
}

static enum db_status sq_order_counts(struct store *st, int64_t account_id, int64_t contact_id, int *paid,
                                      int *refunded)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_ORDER_COUNTS) : NULL;
    *paid = *refunded = 0;
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, contact_id);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "order counts");
    if (r == DB_ONE) {
        *paid = sqlite3_column_int(q, 0);
        *refunded = sqlite3_column_int(q, 1);
    }
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_contact_by_bidx(struct store *st, int64_t account_id, const char *column,
                                         const char *bidx, struct contact *out)
{
    enum stmt_id id = strcmp(column, "phone") == 0 ? S_CONTACT_BY_PHONE : S_CONTACT_BY_USERNAME;
    return contact_query(st, id, account_id, bidx, 0, out);
}

/* ---- categories and audiences ------------------------------------------------------------ */

static enum db_status sq_inbound_recent(struct store *st, int64_t account_id, int64_t contact_id, int limit,
                                        struct blob **texts, int64_t **ids, size_t *n)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_INBOUND_RECENT) : NULL;
    *texts = NULL;
    *ids = NULL;
    *n = 0;
    if (!q || limit <= 0) return q ? DB_NONE : DB_HARD;
    *texts = calloc((size_t)limit, sizeof **texts);
    *ids = calloc((size_t)limit, sizeof **ids);
    if (!*texts || !*ids) {
        free(*texts);
        free(*ids);
        *texts = NULL;
        *ids = NULL;
        return DB_HARD;
    }
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, contact_id);
    sqlite3_bind_int(q, 3, limit);
    enum db_status r;
    while ((r = rc_status(c->db, sqlite3_step(q), "inbound texts")) == DB_ONE && *n < (size_t)limit) {
        if (read_blob(q, 0, &(*texts)[*n]) != TGR_OK) {
            r = DB_HARD;
            break;
        }
        (*ids)[*n] = sqlite3_column_int64(q, 1);
        (*n)++;
    }
    sqlite3_reset(q);
    if (r < 0) {
        for (size_t i = 0; i < *n; i++)
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

static enum db_status sq_category_put(struct store *st, int64_t account_id, int64_t contact_id,
                                      const struct blob *category, const struct blob *confidence)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_CATEGORY_PUT);
    if (q) {
        sqlite3_bind_int64(q, 1, account_id);
        sqlite3_bind_int64(q, 2, contact_id);
        bind_blob(q, 3, category);
        bind_blob(q, 4, confidence);
        sqlite3_bind_int64(q, 5, now_ms());
    }
    return wend(s, step_write(s, q, "category save"));
}

static enum db_status sq_audience_scan(struct store *st, int64_t account_id, const struct audience_query *aq,
                                       int (*fn)(void *cls, const struct audience_row *row), void *cls)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_AUDIENCE) : NULL;
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, aq->min_last_inbound_at);
    sqlite3_bind_int64(q, 3, aq->min_orders);
    sqlite3_bind_int64(q, 4, aq->max_orders);
    sqlite3_bind_int64(q, 5, aq->min_spent);
    sqlite3_bind_int64(q, 6, aq->clicked_campaign);
    sqlite3_bind_int64(q, 7, aq->not_replied_to_campaign);
    sqlite3_bind_int64(q, 8, aq->cap_since);
    sqlite3_bind_int64(q, 9, aq->read_campaign);
    sqlite3_bind_int64(q, 10, aq->not_read_campaign);
    sqlite3_bind_int64(q, 11, aq->replied_to_campaign);
    sqlite3_bind_int64(q, 12, aq->bought_from_campaign);
    enum db_status r;
    while ((r = rc_status(c->db, sqlite3_step(q), "audience")) == DB_ONE) {
        /* The sealed blobs are borrowed from the statement for the callback's duration. */
        struct audience_row row;
        row.contact_id = sqlite3_column_int64(q, 0);
        row.category.p = (unsigned char *)sqlite3_column_blob(q, 1);
        row.category.len = (size_t)sqlite3_column_bytes(q, 1);
        row.confidence.p = (unsigned char *)sqlite3_column_blob(q, 2);
        row.confidence.len = (size_t)sqlite3_column_bytes(q, 2);
        if (fn(cls, &row)) break;
    }
    sqlite3_reset(q);
    return r < 0 ? r : DB_ONE;
}

/* Run a prepared query with up to five int64 parameters; leaves the statement stepped once.
 * @return the status of the first step; the caller reads columns and resets. */
static sqlite3_stmt *query_ints(struct conn *c, enum stmt_id id, int n, const int64_t *v, enum db_status *r)
{
    sqlite3_stmt *q = stmt(c, id);
    if (!q) {
        *r = DB_HARD;
        return NULL;
    }
    for (int i = 0; i < n; i++)
        sqlite3_bind_int64(q, i + 1, v[i]);
    *r = rc_status(c->db, sqlite3_step(q), "attribution lookup");
    return q;
}

/* Per-step counters (campaign_steps). Fields of a delta: rows, sent, failed, skipped, read,
 * replied, clicked. */
enum { D_ROWS, D_SENT, D_FAILED, D_SKIPPED, D_READ, D_REPLIED, D_CLICKED, D_COUNT };

static enum db_status bump(struct sq *s, int64_t account_id, int64_t campaign_id, int step,
                           const int64_t d[D_COUNT])
{
    sqlite3_stmt *q = stmt(s->writer, S_STEP_BUMP);
    if (q) {
        sqlite3_bind_int64(q, 1, account_id);
        sqlite3_bind_int64(q, 2, campaign_id);
        sqlite3_bind_int(q, 3, step);
        for (int i = 0; i < D_COUNT; i++)
            sqlite3_bind_int64(q, 4 + i, d[i]);
    }
    return step_write(s, q, "step counters");
}

static enum db_status bump1(struct sq *s, int64_t account_id, int64_t campaign_id, int step, int field)
{
    int64_t d[D_COUNT] = {0};
    d[field] = 1;
    return bump(s, account_id, campaign_id, step, d);
}

/* Step a bound write statement whose RETURNING gives (campaign_id, step[, status]) per changed
 * row, then count the rows per (campaign, step) in field — or, when a status column is returned
 * (new nudge rows), in D_ROWS and, for 'skipped' rows, D_SKIPPED too. The counters are written
 * after the statement has finished, as SQLite requires for RETURNING.
 * @param[out] n rows changed (may be NULL) */
static enum db_status step_counting(struct sq *s, sqlite3_stmt *q, int64_t account_id, int field, int64_t *n,
                                    const char *what)
{
    struct hit {
        int64_t campaign_id, d[D_COUNT];
        int step;
    } hits[64];
    int nh = 0;
    int64_t total = 0;
    if (!q) return DB_HARD;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t cid = sqlite3_column_int64(q, 0);
        int step = sqlite3_column_int(q, 1);
        const unsigned char *status = sqlite3_column_count(q) > 2 ? sqlite3_column_text(q, 2) : NULL;
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
        if (status) {
            hits[k].d[D_ROWS]++;
            if (strcmp((const char *)status, "skipped") == 0) hits[k].d[D_SKIPPED]++;
        } else {
            hits[k].d[field]++;
        }
    }
    enum db_status r = rc_status(s->writer->db, rc, what);
    sqlite3_reset(q);
    for (int k = 0; r >= 0 && k < nh; k++)
        r = bump(s, account_id, hits[k].campaign_id, hits[k].step, hits[k].d);
    if (n) *n = total;
    return r < 0 ? r : (total ? DB_ONE : DB_NONE);
}

/* Run a write statement binding (a, b, c) as ?1 ?2 ?3. */
static enum db_status exec_ids3(struct sq *s, enum stmt_id id, int64_t a, int64_t b, int64_t c,
                                const char *what)
{
    sqlite3_stmt *q = stmt(s->writer, id);
    if (q) {
        sqlite3_bind_int64(q, 1, a);
        sqlite3_bind_int64(q, 2, b);
        sqlite3_bind_int64(q, 3, c);
    }
    return step_write(s, q, what);
}

/* Skip a contact's pending rows from step min_step on, with a reason. */
static enum db_status skip_pending(struct sq *s, int64_t account_id, int64_t contact_id, const char *reason,
                                   int min_step)
{
    sqlite3_stmt *q = stmt(s->writer, S_SKIP_NUDGES);
    if (q) {
        sqlite3_bind_text(q, 1, reason, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, account_id);
        sqlite3_bind_int64(q, 3, contact_id);
        sqlite3_bind_int(q, 4, min_step);
    }
    return step_counting(s, q, account_id, D_SKIPPED, NULL, "skip pending");
}

/* ---- the send engine --------------------------------------------------------------------- */

static enum db_status sq_campaign_start(struct store *st, int64_t account_id, int64_t campaign_id,
                                        const int64_t *contact_ids, size_t n, int override_quiet,
                                        int64_t *running_id)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0) return r;
    int64_t now = now_ms();
    sqlite3_stmt *q = stmt(s->writer, S_RUNNING_OTHER);
    if (!q) return wend(s, DB_HARD);
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, campaign_id);
    r = rc_status(s->writer->db, sqlite3_step(q), "running campaign");
    if (r == DB_ONE && running_id) *running_id = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    if (r != DB_NONE) return wend(s, r == DB_ONE ? DB_NONE : r) == DB_NONE ? DB_SOFT : r;
    const char *from = contact_ids ? "draft" : "paused";
    int64_t inserted = 0;
    q = stmt(s->writer, S_CAMPAIGN_TO_RUNNING);
    if (q) {
        sqlite3_bind_int(q, 1, override_quiet);
        sqlite3_bind_int64(q, 2, now);
        sqlite3_bind_int64(q, 3, now);
        sqlite3_bind_int64(q, 4, account_id);
        sqlite3_bind_int64(q, 5, campaign_id);
        sqlite3_bind_text(q, 6, from, -1, SQLITE_STATIC);
    }
    r = step_write(s, q, "campaign start");
    for (size_t i = 0; r == DB_ONE && contact_ids && i < n; i++) {
        q = stmt(s->writer, S_RECIPIENT_INSERT);
        if (q) {
            sqlite3_bind_int64(q, 1, account_id);
            sqlite3_bind_int64(q, 2, campaign_id);
            sqlite3_bind_int64(q, 3, contact_ids[i]);
            sqlite3_bind_int(q, 4, 0);
            sqlite3_bind_int64(q, 5, now);
        }
        enum db_status w = step_write(s, q, "recipient insert");
        if (w < 0)
            r = DB_HARD;
        else if (w == DB_ONE)
            inserted++;
    }
    if (r == DB_ONE && inserted) {
        int64_t d[D_COUNT] = {0};
        d[D_ROWS] = inserted;
        r = bump(s, account_id, campaign_id, 0, d) < 0 ? DB_HARD : DB_ONE;
    }
    return wend(s, r);
}

static enum db_status sq_campaign_set_categories(struct store *st, int64_t account_id, int64_t campaign_id,
                                                 const int64_t counts[3])
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_SET_CATEGORIES);
    if (q) {
        for (int k = 0; k < 3; k++)
            sqlite3_bind_int64(q, k + 1, counts[k]);
        sqlite3_bind_int64(q, 4, account_id);
        sqlite3_bind_int64(q, 5, campaign_id);
    }
    return wend(s, step_write(s, q, "campaign categories"));
}

static enum db_status sq_campaign_transition(struct store *st, int64_t account_id, int64_t campaign_id,
                                             const char *from, const char *to, const char *reason)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_CAMPAIGN_TRANSITION);
    if (q) {
        sqlite3_bind_text(q, 1, to, -1, SQLITE_STATIC);
        bind_text_or_null(q, 2, reason);
        sqlite3_bind_int64(q, 3, now_ms());
        sqlite3_bind_int64(q, 4, account_id);
        sqlite3_bind_int64(q, 5, campaign_id);
        sqlite3_bind_text(q, 6, from, -1, SQLITE_STATIC);
    }
    return wend(s, step_write(s, q, "campaign transition"));
}

static enum db_status write_ids(struct store *st, enum stmt_id id, const char *text, int64_t a, int64_t b,
                                int64_t c, int durable, const char *what)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, durable);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, id);
    if (q) {
        int i = 1;
        if (text) sqlite3_bind_text(q, i++, text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, i++, a);
        sqlite3_bind_int64(q, i++, b);
        sqlite3_bind_int64(q, i++, c);
    }
    return wend(s, step_write(s, q, what));
}

static enum db_status sq_campaign_set_override(struct store *st, int64_t account_id, int64_t campaign_id,
                                               int on)
{
    return write_ids(st, S_CAMPAIGN_OVERRIDE, NULL, on, account_id, campaign_id, 0, "campaign override");
}

static enum db_status sq_campaign_set_nudges(struct store *st, int64_t account_id, int64_t campaign_id,
                                             const char *nudges_json)
{
    return write_ids(st, S_CAMPAIGN_NUDGES, nudges_json, now_ms(), account_id, campaign_id, 0,
                     "campaign nudges");
}

static enum db_status sq_campaigns_pause_all(struct store *st, int64_t account_id, const char *reason)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_CAMPAIGNS_PAUSE_ALL);
    if (q) {
        sqlite3_bind_text(q, 1, reason, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, now_ms());
        sqlite3_bind_int64(q, 3, account_id);
    }
    return wend(s, step_write(s, q, "pause all"));
}

static enum db_status sq_accounts_sending(struct store *st, int64_t **ids, size_t *n)
{
    return id_list(st, S_ACCOUNTS_SENDING, 0, NULL, ids, n);
}

/* ---- engine leases ---------------------------------------------------------------------- */

static enum db_status bind_run(struct sq *s, enum stmt_id id, const char *text, int64_t a, int64_t b,
                               int64_t c3, int nints, const char *what)
{
    sqlite3_stmt *q = stmt(s->writer, id);
    if (q) {
        int i = 1;
        if (text) sqlite3_bind_text(q, i++, text, -1, SQLITE_STATIC);
        if (nints > 0) sqlite3_bind_int64(q, i++, a);
        if (nints > 1) sqlite3_bind_int64(q, i++, b);
        if (nints > 2) sqlite3_bind_int64(q, i++, c3);
    }
    return step_write(s, q, what);
}

/* A one-column integer read on the writer connection (inside the lease transaction). */
static enum db_status writer_int(struct sq *s, enum stmt_id id, const char *text, int64_t a, int nints,
                                 int64_t *out)
{
    sqlite3_stmt *q = stmt(s->writer, id);
    *out = 0;
    if (!q) return DB_HARD;
    int i = 1;
    if (text) sqlite3_bind_text(q, i++, text, -1, SQLITE_STATIC);
    if (nints) sqlite3_bind_int64(q, i, a);
    enum db_status r = rc_status(s->writer->db, sqlite3_step(q), "lease count");
    if (r == DB_ONE) *out = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_leases_claim(struct store *st, const char *instance, int64_t now, int64_t ttl_ms,
                                      int64_t **ids, size_t *n, size_t *taken)
{
    struct sq *s = SQ(st);
    *ids = NULL;
    *n = 0;
    *taken = 0;
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    int64_t live = 0, held = 0, sending = 0;
    r = bind_run(s, S_INSTANCE_BEAT, instance, now, 0, 0, 1, "instance beat");
    if (r >= 0) r = bind_run(s, S_INSTANCES_PRUNE, NULL, now - 10 * ttl_ms, 0, 0, 1, "instance prune");
    if (r >= 0) r = bind_run(s, S_LEASE_RENEW, instance, now + ttl_ms, 0, 0, 1, "lease renew");
    if (r >= 0) r = bind_run(s, S_LEASE_DROP_IDLE, instance, 0, 0, 0, 0, "lease drop");
    if (r >= 0) r = writer_int(s, S_INSTANCES_LIVE, NULL, now - ttl_ms, 1, &live);
    if (r >= 0) r = writer_int(s, S_LEASES_HELD, instance, 0, 0, &held);
    if (r >= 0) r = writer_int(s, S_SENDING_COUNT, NULL, 0, 0, &sending);
    if (r >= 0) {
        int64_t share = (sending + (live > 0 ? live : 1) - 1) / (live > 0 ? live : 1);
        if (held > share + 1) {
            /* More than a fair share (another instance joined): hand the extra over. They are
             * renamed "<instance>:shed", so they are not renewed and this engine drops their
             * clients now, and expire after LEASE_HANDOFF_MS, so the taker's client starts only
             * after this one's has stopped. */
            sqlite3_stmt *q = stmt(s->writer, S_LEASE_SHED);
            if (q) {
                sqlite3_bind_text(q, 1, instance, -1, SQLITE_STATIC);
                sqlite3_bind_int64(q, 2, now + LEASE_HANDOFF_MS);
                sqlite3_bind_int64(q, 3, held - share);
            }
            r = step_write(s, q, "lease shed");
        } else if (share > held) {
            sqlite3_stmt *q = stmt(s->writer, S_LEASE_TAKE);
            if (q) {
                sqlite3_bind_text(q, 1, instance, -1, SQLITE_STATIC);
                sqlite3_bind_int64(q, 2, now + ttl_ms);
                sqlite3_bind_int64(q, 3, now);
                sqlite3_bind_int64(q, 4, share - held);
            }
            r = step_write(s, q, "lease take");
            if (r >= 0) *taken = (size_t)sqlite3_changes(s->writer->db);
        }
    }
    r = wend(s, r);
    if (r < 0) return r;
    struct conn *c = reader(s);
    sqlite3_stmt *q = c ? stmt(c, S_LEASES_OWNED) : NULL;
    if (!q) return DB_HARD;
    sqlite3_bind_text(q, 1, instance, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, now);
    return read_rows(c, q, sizeof **ids, read_id, NULL, NULL, (void **)ids, n, "leases owned");
}

static enum db_status sq_leases_release(struct store *st, const char *instance)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    r = bind_run(s, S_LEASES_RELEASE, instance, 0, 0, 0, 0, "lease release");
    if (r >= 0) r = bind_run(s, S_INSTANCE_GONE, instance, 0, 0, 0, 0, "instance gone");
    return wend(s, r);
}

static enum db_status sq_lease_force(struct store *st, const char *instance, int64_t account_id, int64_t now,
                                     int64_t ttl_ms)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    return wend(s, bind_run(s, S_LEASE_FORCE, instance, account_id, now + ttl_ms, 0, 2, "lease force"));
}

static enum db_status sq_lease_owner(struct store *st, int64_t account_id, int64_t now, char *out, size_t cap)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_LEASE_OWNER) : NULL;
    out[0] = 0;
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, now);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "lease owner");
    if (r == DB_ONE) copy_text(out, cap, q, 0);
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_campaigns_in_status(struct store *st, int64_t account_id, const char *status,
                                             int64_t **ids, size_t *n)
{
    return id_list(st, S_CAMPAIGNS_IN_STATUS, account_id, status, ids, n);
}

static enum db_status recipient_query(struct conn *c, enum stmt_id id, int64_t account_id, int64_t now,
                                      struct recipient *out)
{
    sqlite3_stmt *q = c ? stmt(c, id) : NULL;
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    if (id == S_RECIPIENT_DUE) sqlite3_bind_int64(q, 2, now);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "next recipient");
    if (r == DB_ONE) {
        memset(out, 0, sizeof *out);
        out->id = sqlite3_column_int64(q, 0);
        out->campaign_id = sqlite3_column_int64(q, 1);
        out->contact_id = sqlite3_column_int64(q, 2);
        out->step = sqlite3_column_int(q, 3);
        copy_text(out->status, sizeof out->status, q, 4);
        copy_text(out->random_id, sizeof out->random_id, q, 5);
        out->attempt = sqlite3_column_int(q, 6);
        out->next_attempt_at = sqlite3_column_int64(q, 7);
        out->tg_message_id = sqlite3_column_int64(q, 8);
        out->sent_at = sqlite3_column_int64(q, 9);
    }
    sqlite3_reset(q);
    return r;
}

/* A row left 'sending' (by a crash or a lost answer) goes first, then the pending row due
 * soonest; each is one index range scan on recipients_due. */
static enum db_status sq_recipient_next(struct store *st, int64_t account_id, int64_t now,
                                        struct recipient *out)
{
    struct conn *c = reader(SQ(st));
    enum db_status r = recipient_query(c, S_RECIPIENT_SENDING, account_id, now, out);
    if (r != DB_NONE) return r;
    return recipient_query(c, S_RECIPIENT_DUE, account_id, now, out);
}

static enum db_status one_int(struct store *st, enum stmt_id sid, int64_t a, int64_t b, int64_t c3, int nargs,
                              int64_t *out)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, sid) : NULL;
    *out = 0;
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, a);
    if (nargs > 1) sqlite3_bind_int64(q, 2, b);
    if (nargs > 2) sqlite3_bind_int64(q, 3, c3);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "count");
    if (r == DB_ONE) *out = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_recipient_next_at(struct store *st, int64_t account_id, int64_t *at)
{
    return one_int(st, S_RECIPIENT_NEXT_AT, account_id, 0, 0, 1, at);
}

static enum db_status sq_campaign_open_rows(struct store *st, int64_t account_id, int64_t campaign_id,
                                            int step, int64_t *n)
{
    return one_int(st, S_OPEN_ROWS, account_id, campaign_id, step, 3, n);
}

static enum db_status sq_nudge_next_due(struct store *st, int64_t account_id, int64_t campaign_id, int step,
                                        int64_t *sent_at)
{
    return one_int(st, S_NUDGE_NEXT_DUE, account_id, campaign_id, step, 3, sent_at);
}

static enum db_status sq_recipient_claim(struct store *st, int64_t account_id, int64_t recipient_id,
                                         const char *random_id, const struct blob *code)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_RECIPIENT_CLAIM);
    if (q) {
        sqlite3_bind_text(q, 1, random_id, -1, SQLITE_STATIC);
        bind_blob(q, 2, code);
        sqlite3_bind_int64(q, 3, account_id);
        sqlite3_bind_int64(q, 4, recipient_id);
    }
    return wend(s, step_write(s, q, "recipient claim"));
}

static enum db_status sq_recipient_code(struct store *st, int64_t account_id, int64_t recipient_id,
                                        struct blob *out)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_RECIPIENT_CODE) : NULL;
    memset(out, 0, sizeof *out);
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, recipient_id);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "recipient code");
    if (r == DB_ONE && read_blob(q, 0, out) != TGR_OK) r = DB_HARD;
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_log_add(struct store *st, int64_t account_id, int64_t campaign_id,
                                 int64_t contact_id, int step, const char *status, const char *error_code,
                                 const char *details)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_LOG_INSERT);
    if (q) {
        sqlite3_bind_int64(q, 1, account_id);
        sqlite3_bind_int64(q, 2, campaign_id);
        sqlite3_bind_text(q, 3, status, -1, SQLITE_STATIC);
        bind_text_or_null(q, 4, details);
        sqlite3_bind_int64(q, 5, now_ms());
        bind_id_or_null(q, 6, contact_id);
        sqlite3_bind_int(q, 7, step);
        sqlite3_bind_null(q, 8);
        bind_text_or_null(q, 9, error_code);
    }
    return wend(s, step_write(s, q, "log insert"));
}

static enum db_status sq_recipient_finish(struct store *st, int64_t account_id, const struct send_outcome *o)
{
    struct sq *s = SQ(st);
    /* Not fsync'd on its own: if power fails before the next sync, the row is still 'sending' with
     * its random_id and is sent again, which Telegram answers with the message it already has. */
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    int64_t now = now_ms();
    sqlite3_stmt *q = stmt(s->writer, S_RECIPIENT_FINISH);
    if (q) {
        sqlite3_bind_text(q, 1, o->status, -1, SQLITE_STATIC);
        bind_id_or_null(q, 2, o->tg_message_id);
        bind_text_or_null(q, 3, o->error_code);
        sqlite3_bind_int64(q, 4, o->next_attempt_at);
        sqlite3_bind_text(q, 5, o->status, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 6, now);
        sqlite3_bind_int64(q, 7, account_id);
        sqlite3_bind_int64(q, 8, o->recipient_id);
    }
    r = step_write(s, q, "recipient outcome");
    if (r >= 0) {
        q = stmt(s->writer, S_LOG_INSERT);
        if (q) {
            sqlite3_bind_int64(q, 1, account_id);
            sqlite3_bind_int64(q, 2, o->campaign_id);
            sqlite3_bind_text(q, 3, o->log_status, -1, SQLITE_STATIC);
            bind_text_or_null(q, 4, o->error_details);
            sqlite3_bind_int64(q, 5, now);
            bind_id_or_null(q, 6, o->contact_id);
            sqlite3_bind_int(q, 7, o->step);
            sqlite3_bind_int(q, 8, o->attempt);
            bind_text_or_null(q, 9, o->error_code);
        }
        r = step_write(s, q, "send log");
    }
    int sent = strcmp(o->status, "sent") == 0, failed = strcmp(o->status, "failed") == 0;
    if (r >= 0 && (sent || failed))
        r = exec_ids3(s, sent ? S_COUNT_SENT : S_COUNT_FAILED, now, account_id, o->campaign_id, "counters");
    if (r >= 0 && (sent || failed))
        r = bump1(s, account_id, o->campaign_id, o->step, sent ? D_SENT : D_FAILED);
    if (r >= 0 && failed && o->error_code) {
        q = stmt(s->writer, S_FAILURE_BUMP);
        if (q) {
            sqlite3_bind_int64(q, 1, account_id);
            sqlite3_bind_int64(q, 2, o->campaign_id);
            sqlite3_bind_text(q, 3, o->error_code, -1, SQLITE_STATIC);
        }
        r = step_write(s, q, "failure counter");
    }
    if (r >= 0 && o->mark_contact)
        r = exec_ids3(s, o->mark_contact == 1 ? S_CONTACT_BLOCKED : S_CONTACT_DEACTIVATED, now, account_id,
                      o->contact_id, "contact mark");
    return wend(s, r >= 0 ? DB_ONE : r);
}

static enum db_status sq_nudge_schedule(struct store *st, int64_t account_id, int64_t campaign_id, int step,
                                        const char *condition, int64_t sent_before, int64_t *created)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_NUDGE_SCHEDULE);
    if (q) {
        sqlite3_bind_int64(q, 1, account_id);
        sqlite3_bind_int64(q, 2, campaign_id);
        sqlite3_bind_int(q, 3, step);
        sqlite3_bind_text(q, 4, condition, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, sent_before);
        sqlite3_bind_int64(q, 6, now_ms());
    }
    r = step_counting(s, q, account_id, D_ROWS, created, "nudge schedule");
    if (r >= 0) {
        /* Step-1 rows sent up to here have their step row now (pending or skipped). */
        q = stmt(s->writer, S_STEP_THROUGH);
        if (q) {
            sqlite3_bind_int64(q, 1, account_id);
            sqlite3_bind_int64(q, 2, campaign_id);
            sqlite3_bind_int(q, 3, step);
            sqlite3_bind_int64(q, 4, sent_before);
        }
        r = step_write(s, q, "nudge cutoff");
    }
    return wend(s, r);
}

static int read_log_row(struct conn *c, sqlite3_stmt *q, void *row, void *cls)
{
    struct log_row *l = row;
    l->id = sqlite3_column_int64(q, 0);
    l->at = sqlite3_column_int64(q, 1);
    l->contact_id = sqlite3_column_int64(q, 2);
    l->step = sqlite3_column_int(q, 3);
    copy_text(l->status, sizeof l->status, q, 4);
    copy_text(l->error_code, sizeof l->error_code, q, 5);
    copy_text(l->error_details, sizeof l->error_details, q, 6);
    return TGR_OK;
}

static enum db_status sq_logs_page(struct store *st, int64_t account_id, int64_t campaign_id, int64_t after,
                                   int limit, struct log_row **rows, size_t *n)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_LOGS_PAGE) : NULL;
    *rows = NULL;
    *n = 0;
    if (!q || limit <= 0) return q ? DB_NONE : DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, campaign_id);
    sqlite3_bind_int64(q, 3, after);
    sqlite3_bind_int(q, 4, limit);
    return read_rows(c, q, sizeof **rows, read_log_row, NULL, NULL, (void **)rows, n, "logs");
}

static enum db_status sq_campaign_counts(struct store *st, int64_t account_id, int64_t campaign_id,
                                         struct campaign_counts *out)
{
    struct conn *c = reader(SQ(st));
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q = c ? stmt(c, S_COUNTS_ROWS) : NULL;
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, campaign_id);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "campaign counts");
    if (r == DB_ONE) {
        out->audience = sqlite3_column_int64(q, 0);
        out->pending = sqlite3_column_int64(q, 1);
        out->sending = sqlite3_column_int64(q, 2);
        out->sent = sqlite3_column_int64(q, 3);
        out->failed = sqlite3_column_int64(q, 4);
        out->skipped = sqlite3_column_int64(q, 5);
        out->read = sqlite3_column_int64(q, 6);
        out->replied = sqlite3_column_int64(q, 7);
        out->unique_clicks = sqlite3_column_int64(q, 8);
    }
    sqlite3_reset(q);
    if (r < 0) return r;
    q = stmt(c, S_COUNTS_ANALYTICS);
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, campaign_id);
    r = rc_status(c->db, sqlite3_step(q), "campaign analytics");
    if (r == DB_ONE) {
        out->clicks = sqlite3_column_int64(q, 0);
        out->opted_out = sqlite3_column_int64(q, 1);
        out->orders = sqlite3_column_int64(q, 2);
        out->revenue = sqlite3_column_int64(q, 3);
        for (int k = 0; k < 3; k++)
            out->by_category[k] = sqlite3_column_int64(q, 4 + k);
        out->unique_clicks = sqlite3_column_int64(q, 7);
    }
    sqlite3_reset(q);
    return r < 0 ? r : DB_ONE;
}

static enum db_status sq_campaign_failures(struct store *st, int64_t account_id, int64_t campaign_id,
                                           void (*fn)(void *cls, const char *code, int64_t n), void *cls)
{
    struct conn *c = reader(SQ(st));
    int64_t v[] = {account_id, campaign_id};
    enum db_status r;
    if (!c) return DB_HARD;
    sqlite3_stmt *q = query_ints(c, S_FAILURES, 2, v, &r);
    while (r == DB_ONE) {
        fn(cls, (const char *)sqlite3_column_text(q, 0), sqlite3_column_int64(q, 1));
        r = rc_status(c->db, sqlite3_step(q), "failures");
    }
    if (q) sqlite3_reset(q);
    return r < 0 ? r : DB_ONE;
}

static enum db_status sq_recipients_replied(struct store *st, int64_t account_id, int64_t contact_id,
                                            int64_t since, int64_t *n)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_REPLIED);
    if (q) {
        sqlite3_bind_int64(q, 1, now_ms());
        sqlite3_bind_int64(q, 2, account_id);
        sqlite3_bind_int64(q, 3, contact_id);
        sqlite3_bind_int64(q, 4, since);
    }
    r = step_counting(s, q, account_id, D_REPLIED, n, "replied");
    /* A reply stops the contact's nudges. */
    if (r >= 0) r = skip_pending(s, account_id, contact_id, "replied", 1);
    return wend(s, r);
}

static enum db_status sq_recipients_read(struct store *st, int64_t account_id, int64_t contact_id,
                                         int64_t max_id)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    sqlite3_stmt *q = stmt(s->writer, S_READ);
    if (q) {
        sqlite3_bind_int64(q, 1, now_ms());
        sqlite3_bind_int64(q, 2, account_id);
        sqlite3_bind_int64(q, 3, contact_id);
        sqlite3_bind_int64(q, 4, max_id);
    }
    return wend(s, step_counting(s, q, account_id, D_READ, NULL, "read"));
}

static enum db_status sq_contact_opt_out(struct store *st, int64_t account_id, int64_t contact_id)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0) return r;
    r = exec_ids3(s, S_OPT_OUT, now_ms(), account_id, contact_id, "opt out");
    if (r == DB_ONE) {
        r = exec_ids(s, S_OPT_OUT_COUNT, account_id, contact_id, "opt-out counter");
        if (r >= 0) r = skip_pending(s, account_id, contact_id, "opted_out", 0);
        if (r >= 0) r = DB_ONE;
    }
    return wend(s, r);
}

static enum db_status sq_link_get(struct store *st, int64_t link_id, int64_t *account_id,
                                  int64_t *campaign_id, char **url)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_LINK_BY_ID) : NULL;
    *url = NULL;
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, link_id);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "link lookup");
    if (r == DB_ONE) {
        *account_id = sqlite3_column_int64(q, 0);
        *campaign_id = sqlite3_column_int64(q, 1);
        *url = dup_col(q, 2);
        if (!*url) r = DB_HARD;
    }
    sqlite3_reset(q);
    return r;
}

static enum db_status one_click(struct sq *s, const struct click *k)
{
    int link_unique = 0, campaign_unique = 0;
    enum db_status r = DB_ONE;
    if (k->recipient_id) {
        sqlite3_stmt *q = stmt(s->writer, S_CLICK_SEEN);
        if (!q) return DB_HARD;
        sqlite3_bind_int64(q, 1, k->account_id);
        sqlite3_bind_int64(q, 2, k->link_id);
        sqlite3_bind_int64(q, 3, k->recipient_id);
        r = rc_status(s->writer->db, sqlite3_step(q), "click seen");
        sqlite3_reset(q);
        if (r < 0) return r;
        link_unique = r == DB_NONE;
    }
    sqlite3_stmt *q = stmt(s->writer, S_CLICK_INSERT);
    if (q) {
        sqlite3_bind_int64(q, 1, k->account_id);
        sqlite3_bind_int64(q, 2, k->link_id);
        bind_id_or_null(q, 3, k->recipient_id);
        sqlite3_bind_int64(q, 4, k->at);
    }
    r = step_write(s, q, "click insert");
    if (r >= 0 && k->recipient_id) {
        q = stmt(s->writer, S_RECIPIENT_CLICKED);
        if (q) {
            sqlite3_bind_int64(q, 1, k->at);
            sqlite3_bind_int64(q, 2, k->account_id);
            sqlite3_bind_int64(q, 3, k->recipient_id);
            sqlite3_bind_int64(q, 4, k->campaign_id);
        }
        int rc = sqlite3_step(q);
        int step = rc == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
        campaign_unique = rc == SQLITE_ROW;
        while (rc == SQLITE_ROW)
            rc = sqlite3_step(q);
        r = rc_status(s->writer->db, rc, "recipient clicked");
        sqlite3_reset(q);
        if (r >= 0 && campaign_unique) r = bump1(s, k->account_id, k->campaign_id, step, D_CLICKED);
    }
    if (r >= 0) r = exec_ids(s, S_LINK_COUNT, link_unique, k->link_id, "link count");
    if (r >= 0)
        r = exec_ids3(s, S_CAMPAIGN_CLICKS, campaign_unique, k->account_id, k->campaign_id,
                      "campaign clicks");
    return r;
}

static enum db_status sq_clicks_record(struct store *st, const struct click *clicks, size_t n)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0) return r;
    for (size_t i = 0; i < n && r >= 0; i++)
        r = one_click(s, &clicks[i]);
    return wend(s, r >= 0 ? DB_ONE : r);
}

/* ---- attribution ------------------------------------------------------------------------- */

static enum db_status sq_attribution_find(struct store *st, int64_t account_id, int64_t ref_recipient,
                                          int64_t ref_link, const char *code_bidx, int64_t contact_id,
                                          int64_t created_at, int64_t window_ms, struct attribution *a)
{
    struct conn *c = reader(SQ(st));
    enum db_status r = DB_NONE;
    sqlite3_stmt *q;
    memset(a, 0, sizeof *a);
    if (!c) return DB_HARD;
    if (ref_recipient) {
        int64_t v[] = {account_id, ref_recipient};
        q = query_ints(c, S_ATTR_REF, 2, v, &r);
        if (r == DB_ONE) {
            a->campaign_id = sqlite3_column_int64(q, 0);
            a->step = sqlite3_column_int(q, 1);
            a->recipient_id = sqlite3_column_int64(q, 2);
            a->by = "ref";
        }
        if (q) sqlite3_reset(q);
        if (r < 0) return r;
        if (r == DB_ONE && ref_link) {
            int64_t w[] = {account_id, ref_link, a->campaign_id};
            q = query_ints(c, S_ATTR_LINK_OK, 3, w, &r);
            if (r == DB_ONE) a->link_id = ref_link;
            if (q) sqlite3_reset(q);
            if (r < 0) return r;
            r = DB_ONE;
        }
    }
    if (!a->campaign_id && code_bidx && *code_bidx) {
        q = stmt(c, S_ATTR_CODE);
        if (!q) return DB_HARD;
        sqlite3_bind_int64(q, 1, account_id);
        sqlite3_bind_text(q, 2, code_bidx, -1, SQLITE_STATIC);
        r = rc_status(c->db, sqlite3_step(q), "code lookup");
        int64_t code_recipient = 0;
        if (r == DB_ONE) {
            a->code_id = sqlite3_column_int64(q, 0);
            a->campaign_id = sqlite3_column_int64(q, 1);
            code_recipient = sqlite3_column_int64(q, 2);
            a->by = "code";
        }
        sqlite3_reset(q);
        if (r < 0) return r;
        if (a->campaign_id) {
            /* Which message carried it: the pool code's own row, or (a static code) the latest
             * message of that campaign to this customer. */
            int64_t v[] = {account_id, code_recipient};
            q = code_recipient ? query_ints(c, S_ATTR_REF, 2, v, &r) : NULL;
            if (!code_recipient && contact_id) {
                int64_t w[] = {account_id, contact_id, created_at, 0, a->campaign_id};
                q = query_ints(c, S_ATTR_WINDOW, 5, w, &r);
            }
            if (q && r == DB_ONE) {
                a->step = sqlite3_column_int(q, 1);
                a->recipient_id = sqlite3_column_int64(q, 2);
            }
            if (q) sqlite3_reset(q);
            if (r < 0) return r;
        }
    }
    if (!a->campaign_id && contact_id) {
        int64_t v[] = {account_id, contact_id, created_at, created_at - window_ms, 0};
        q = query_ints(c, S_ATTR_WINDOW, 5, v, &r);
        if (r == DB_ONE) {
            a->campaign_id = sqlite3_column_int64(q, 0);
            a->step = sqlite3_column_int(q, 1);
            a->recipient_id = sqlite3_column_int64(q, 2);
            a->by = "window";
        }
        if (q) sqlite3_reset(q);
        if (r < 0) return r;
    }
    /* An order that used one of the campaign's codes counts for that code too. */
    if (a->campaign_id && !a->code_id && code_bidx && *code_bidx) {
        q = stmt(c, S_ATTR_CODE_IN);
        if (!q) return DB_HARD;
        sqlite3_bind_int64(q, 1, account_id);
        sqlite3_bind_int64(q, 2, a->campaign_id);
        sqlite3_bind_text(q, 3, code_bidx, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW) a->code_id = sqlite3_column_int64(q, 0);
        sqlite3_reset(q);
    }
    return a->campaign_id ? DB_ONE : DB_NONE;
}

static enum db_status revenue_by(struct sq *s, int64_t account_id, int64_t campaign_id, const char *kind,
                                 int64_t key, int64_t orders, int64_t revenue)
{
    sqlite3_stmt *q = stmt(s->writer, S_ATTR_BY);
    if (q) {
        sqlite3_bind_int64(q, 1, account_id);
        sqlite3_bind_int64(q, 2, campaign_id);
        sqlite3_bind_text(q, 3, kind, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 4, key);
        sqlite3_bind_int64(q, 5, orders);
        sqlite3_bind_int64(q, 6, revenue);
    }
    return step_write(s, q, "revenue by");
}

static enum db_status sq_attribution_apply(struct store *st, int64_t account_id, int64_t order_row_id,
                                           const struct attribution *a, int64_t amount, int sign)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0) return r;
    int64_t rev = amount * sign;
    if (sign > 0) {
        sqlite3_stmt *q = stmt(s->writer, S_ATTR_ORDER);
        if (q) {
            sqlite3_bind_int64(q, 1, a->campaign_id);
            bind_id_or_null(q, 2, a->recipient_id);
            bind_id_or_null(q, 3, a->link_id);
            sqlite3_bind_int(q, 4, a->step);
            bind_id_or_null(q, 5, a->code_id);
            bind_text_or_null(q, 6, a->by);
            sqlite3_bind_int64(q, 7, account_id);
            sqlite3_bind_int64(q, 8, order_row_id);
        }
        r = step_write(s, q, "order attribution");
    }
    if (r >= 0) {
        sqlite3_stmt *q = stmt(s->writer, S_ATTR_CAMPAIGN);
        if (q) {
            sqlite3_bind_int64(q, 1, rev);
            sqlite3_bind_int64(q, 2, sign);
            sqlite3_bind_int64(q, 3, account_id);
            sqlite3_bind_int64(q, 4, a->campaign_id);
        }
        r = step_write(s, q, "campaign revenue");
    }
    if (r >= 0 && a->link_id) r = exec_ids3(s, S_ATTR_LINK, rev, account_id, a->link_id, "link revenue");
    if (r >= 0) r = revenue_by(s, account_id, a->campaign_id, "step", a->step, sign, rev);
    if (r >= 0 && a->link_id) r = revenue_by(s, account_id, a->campaign_id, "link", a->link_id, sign, rev);
    if (r >= 0 && a->code_id) r = revenue_by(s, account_id, a->campaign_id, "code", a->code_id, sign, rev);
    return wend(s, r >= 0 ? DB_ONE : r);
}

/* ---- revenue reads ----------------------------------------------------------------------- */

static enum db_status sq_revenue_series(struct store *st, int64_t account_id, int64_t from, int64_t to,
                                        const char *currency, int64_t bucket_ms, int64_t offset_ms,
                                        void (*fn)(void *cls, int64_t t, int64_t revenue, int64_t orders),
                                        void *cls)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_REV_SERIES) : NULL;
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, from);
    sqlite3_bind_int64(q, 3, to);
    sqlite3_bind_text(q, 4, currency, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 5, offset_ms);
    sqlite3_bind_int64(q, 6, bucket_ms);
    enum db_status r;
    while ((r = rc_status(c->db, sqlite3_step(q), "revenue series")) == DB_ONE)
        fn(cls, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1), sqlite3_column_int64(q, 2));
    sqlite3_reset(q);
    return r < 0 ? r : DB_ONE;
}

static enum db_status
sq_revenue_campaigns(struct store *st, int64_t account_id, int64_t from, int64_t to, const char *currency,
                     void (*fn)(void *cls, int64_t id, const char *name, int64_t revenue, int64_t orders),
                     void *cls)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_REV_CAMPAIGNS) : NULL;
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, from);
    sqlite3_bind_int64(q, 3, to);
    sqlite3_bind_text(q, 4, currency, -1, SQLITE_STATIC);
    enum db_status r;
    while ((r = rc_status(c->db, sqlite3_step(q), "revenue by campaign")) == DB_ONE)
        fn(cls, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
           sqlite3_column_int64(q, 2), sqlite3_column_int64(q, 3));
    sqlite3_reset(q);
    return r < 0 ? r : DB_ONE;
}

static enum db_status sq_revenue_currency(struct store *st, int64_t account_id, int64_t from, int64_t to,
                                          char out[4])
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_REV_CURRENCY) : NULL;
    out[0] = 0;
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, from);
    sqlite3_bind_int64(q, 3, to);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "revenue currency");
    if (r == DB_ONE) copy_text(out, 4, q, 0);
    sqlite3_reset(q);
    return r;
}

/* ---- scorecard reads --------------------------------------------------------------------- */

static enum db_status sq_step_counts(struct store *st, int64_t account_id, int64_t campaign_id, int step,
                                     int64_t *sent, int64_t *replied, int64_t *clicked)
{
    struct conn *c = reader(SQ(st));
    int64_t v[] = {account_id, campaign_id, step};
    enum db_status r;
    *sent = *replied = *clicked = 0;
    if (!c) return DB_HARD;
    sqlite3_stmt *q = query_ints(c, S_STEP_COUNTS, 3, v, &r);
    if (r == DB_ONE) {
        *sent = sqlite3_column_int64(q, 0);
        *replied = sqlite3_column_int64(q, 1);
        *clicked = sqlite3_column_int64(q, 2);
    }
    if (q) sqlite3_reset(q);
    return r;
}

static enum db_status sq_link_stats(struct store *st, int64_t account_id, int64_t campaign_id,
                                    void (*fn)(void *cls, int64_t id, const char *url, int64_t clicks,
                                               int64_t unique, int64_t revenue),
                                    void *cls)
{
    struct conn *c = reader(SQ(st));
    int64_t v[] = {account_id, campaign_id};
    enum db_status r;
    if (!c) return DB_HARD;
    sqlite3_stmt *q = query_ints(c, S_LINK_STATS, 2, v, &r);
    while (r == DB_ONE) {
        fn(cls, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
           sqlite3_column_int64(q, 2), sqlite3_column_int64(q, 3), sqlite3_column_int64(q, 4));
        r = rc_status(c->db, sqlite3_step(q), "link stats");
    }
    if (q) sqlite3_reset(q);
    return r < 0 ? r : DB_ONE;
}

static enum db_status sq_revenue_rows(struct store *st, int64_t account_id, int64_t campaign_id,
                                      const char *kind,
                                      void (*fn)(void *cls, int64_t key, int64_t orders, int64_t revenue),
                                      void *cls)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_REVENUE_ROWS) : NULL;
    if (!q) return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, campaign_id);
    sqlite3_bind_text(q, 3, kind, -1, SQLITE_STATIC);
    enum db_status r;
    while ((r = rc_status(c->db, sqlite3_step(q), "revenue rows")) == DB_ONE)
        fn(cls, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1), sqlite3_column_int64(q, 2));
    sqlite3_reset(q);
    return r < 0 ? r : DB_ONE;
}

static enum db_status sq_code_get(struct store *st, int64_t account_id, int64_t code_id,
                                  struct discount_code_row *out)
{
    struct conn *c = reader(SQ(st));
    int64_t v[] = {account_id, code_id};
    enum db_status r;
    if (!c) return DB_HARD;
    sqlite3_stmt *q = query_ints(c, S_CODE_GET, 2, v, &r);
    if (r == DB_ONE && read_code(q, out, 1) != TGR_OK) r = DB_HARD;
    if (q) sqlite3_reset(q);
    return r;
}

static enum db_status sq_read_times(struct store *st, int64_t account_id, int64_t campaign_id,
                                    void (*fn)(void *cls, int64_t at), void *cls)
{
    struct conn *c = reader(SQ(st));
    int64_t v[] = {account_id, campaign_id};
    enum db_status r;
    if (!c) return DB_HARD;
    sqlite3_stmt *q = query_ints(c, S_READ_TIMES, 2, v, &r);
    while (r == DB_ONE) {
        fn(cls, sqlite3_column_int64(q, 0));
        r = rc_status(c->db, sqlite3_step(q), "read times");
    }
    if (q) sqlite3_reset(q);
    return r < 0 ? r : DB_ONE;
}

/* ---- key rotation ------------------------------------------------------------------------ */

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

static int read_sealed_row(struct conn *c, sqlite3_stmt *q, void *row, void *cls)
{
    (void)c;
    (void)cls;
    struct sealed_row *r = row;
    copy_text(r->cursor, sizeof r->cursor, q, 0);
    copy_text(r->row_key, sizeof r->row_key, q, 1);
    return read_blob(q, 2, &r->value);
}

static void release_sealed_row(void *row)
{
    sealed_row_release(row);
}

static enum db_status sq_sealed_scan(struct store *st, enum store_sealed col, const char *after, int limit,
                                     struct sealed_row **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    if ((unsigned)col >= SEALED__COUNT) return DB_HARD;
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, sealed_stmts[col].scan) : NULL;
    if (!q) return DB_HARD;
    if (sealed_stmts[col].text_key)
        sqlite3_bind_text(q, 1, after, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(q, 1, after[0] ? strtoll(after, NULL, 10) : 0);
    sqlite3_bind_int(q, 2, limit);
    return read_rows(c, q, sizeof **rows, read_sealed_row, release_sealed_row, NULL, (void **)rows, n,
                     "sealed scan");
}

static enum db_status sq_sealed_replace(struct store *st, enum store_sealed col,
                                        const struct sealed_row *rows, size_t n, size_t *replaced)
{
    struct sq *s = SQ(st);
    *replaced = 0;
    if ((unsigned)col >= SEALED__COUNT) return DB_HARD;
    /* Durable: once `keys status` counts these rows as re-sealed, the old key may be deleted. */
    enum db_status r = wbegin(s, 1);
    if (r < 0) return r;
    size_t k = 0;
    int text = sealed_stmts[col].text_key;
    for (size_t i = 0; i < n && r >= 0; i++) {
        const struct sealed_row *w = &rows[i];
        if (!w->fresh.p) continue;
        sqlite3_stmt *q = stmt(s->writer, sealed_stmts[col].set);
        if (!q) {
            r = DB_HARD;
            break;
        }
        if (text) {
            sqlite3_bind_text(q, 1, (const char *)w->fresh.p, (int)w->fresh.len, SQLITE_STATIC);
            sqlite3_bind_text(q, 2, w->cursor, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 3, (const char *)w->value.p, (int)w->value.len, SQLITE_STATIC);
        } else {
            sqlite3_bind_blob(q, 1, w->fresh.p, (int)w->fresh.len, SQLITE_STATIC);
            sqlite3_bind_int64(q, 2, strtoll(w->cursor, NULL, 10));
            sqlite3_bind_blob(q, 3, w->value.p, (int)w->value.len, SQLITE_STATIC);
        }
        enum db_status one = step_write(s, q, "sealed replace");
        if (one < 0)
            r = one;
        else if (one == DB_ONE)
            k++;
    }
    r = wend(s, r < 0 ? r : DB_ONE);
    if (r >= 0) *replaced = k;
    return r;
}

static void sq_close(struct store *st)
{
    struct sq *s = SQ(st);
    if (!s) return;
    pthread_mutex_lock(&s->rlock);
    struct conn *c = s->readers;
    while (c) {
        struct conn *next = c->next;
        conn_close(c);
        c = next;
    }
    s->readers = NULL;
    pthread_mutex_unlock(&s->rlock);
    pthread_key_delete(s->rkey);
    if (s->writers[1]) conn_close(s->writers[1]);
    if (s->writers[0]) {
        /* A clean close checkpoints the WAL into the main file. */
        sqlite3_exec(s->writers[0]->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
        conn_close(s->writers[0]);
    }
    pthread_mutex_destroy(&s->wlock);
    pthread_mutex_destroy(&s->rlock);
    free(s);
}

struct store *store_sqlite_open(const char *path, char *err, size_t errlen)
{
    struct sq *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (snprintf(s->path, sizeof s->path, "%s", path) >= (int)sizeof s->path) {
        snprintf(err, errlen, "database path too long");
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->wlock, NULL);
    pthread_mutex_init(&s->rlock, NULL);
    pthread_key_create(&s->rkey, NULL);
    s->writers[0] = conn_open(path, 1, err, errlen);
    s->writers[1] = s->writers[0] ? conn_open(path, 1, err, errlen) : NULL;
    if (!s->writers[1] || exec(s->writers[1]->db, "PRAGMA synchronous = FULL") != SQLITE_OK) {
        sq_close(&s->base);
        return NULL;
    }
    s->writer = s->writers[0];
    s->base.backend = "sqlite";
    s->base.close = sq_close;
    s->base.migrate = sq_migrate;
    s->base.ping = sq_ping;
    s->base.account_create = sq_account_create;
    s->base.account_by_email = sq_account_by_email;
    s->base.account_by_api_key = sq_account_by_api_key;
    s->base.account_get = sq_account_get;
    s->base.account_update = sq_account_update;
    s->base.account_set_webhook_secret = sq_account_set_webhook_secret;
    s->base.account_webhook_secret = sq_account_webhook_secret;
    s->base.txn = sq_txn;
    s->base.session_get = sq_session_get;
    s->base.session_put = sq_session_put;
    s->base.session_set_status = sq_session_set_status;
    s->base.session_delete = sq_session_delete;
    s->base.sessions_connected = sq_sessions_connected;
    s->base.contact_save = sq_contact_save;
    s->base.contact_by_tg_id = sq_contact_by_tg_id;
    s->base.contact_get = sq_contact_get;
    s->base.contacts_page = sq_contacts_page;
    s->base.inbound_add = sq_inbound_add;
    s->base.campaign_create = sq_campaign_create;
    s->base.campaign_get = sq_campaign_get;
    s->base.campaign_list = sq_campaign_list;
    s->base.campaign_update = sq_campaign_update;
    s->base.campaign_delete = sq_campaign_delete;
    s->base.codes_replace = sq_codes_replace;
    s->base.codes_list = sq_codes_list;
    s->base.code_assign = sq_code_assign;
    s->base.link_ensure = sq_link_ensure;
    s->base.media_add = sq_media_add;
    s->base.media_get = sq_media_get;
    s->base.order_get = sq_order_get;
    s->base.order_save = sq_order_save;
    s->base.order_latest_paid = sq_order_latest_paid;
    s->base.order_counts = sq_order_counts;
    s->base.orders_link_contact = sq_orders_link_contact;
    s->base.contact_by_bidx = sq_contact_by_bidx;
    s->base.inbound_recent = sq_inbound_recent;
    s->base.category_put = sq_category_put;
    s->base.audience_scan = sq_audience_scan;
    s->base.campaign_start = sq_campaign_start;
    s->base.campaign_transition = sq_campaign_transition;
    s->base.campaign_set_categories = sq_campaign_set_categories;
    s->base.campaign_set_override = sq_campaign_set_override;
    s->base.campaign_set_nudges = sq_campaign_set_nudges;
    s->base.campaigns_pause_all = sq_campaigns_pause_all;
    s->base.accounts_sending = sq_accounts_sending;
    s->base.campaigns_in_status = sq_campaigns_in_status;
    s->base.recipient_next = sq_recipient_next;
    s->base.recipient_next_at = sq_recipient_next_at;
    s->base.recipient_claim = sq_recipient_claim;
    s->base.recipient_code = sq_recipient_code;
    s->base.recipient_finish = sq_recipient_finish;
    s->base.campaign_open_rows = sq_campaign_open_rows;
    s->base.nudge_schedule = sq_nudge_schedule;
    s->base.nudge_next_due = sq_nudge_next_due;
    s->base.log_add = sq_log_add;
    s->base.logs_page = sq_logs_page;
    s->base.campaign_counts = sq_campaign_counts;
    s->base.campaign_failures = sq_campaign_failures;
    s->base.recipients_replied = sq_recipients_replied;
    s->base.recipients_read = sq_recipients_read;
    s->base.contact_opt_out = sq_contact_opt_out;
    s->base.link_get = sq_link_get;
    s->base.clicks_record = sq_clicks_record;
    s->base.attribution_find = sq_attribution_find;
    s->base.attribution_apply = sq_attribution_apply;
    s->base.revenue_series = sq_revenue_series;
    s->base.revenue_campaigns = sq_revenue_campaigns;
    s->base.revenue_currency = sq_revenue_currency;
    s->base.step_counts = sq_step_counts;
    s->base.link_stats = sq_link_stats;
    s->base.revenue_rows = sq_revenue_rows;
    s->base.code_get = sq_code_get;
    s->base.read_times = sq_read_times;
    s->base.leases_claim = sq_leases_claim;
    s->base.leases_release = sq_leases_release;
    s->base.lease_force = sq_lease_force;
    s->base.lease_owner = sq_lease_owner;
    s->base.meta_delete = sq_meta_delete;
    s->base.meta_get = sq_meta_get;
    s->base.meta_set = sq_meta_set;
    s->base.sealed_scan = sq_sealed_scan;
    s->base.sealed_replace = sq_sealed_replace;
    return &s->base;
}
