/* sql — every SQL statement of the store, once, by name (issue 14 item 2).
 *
 * The statements are written in PostgreSQL's dialect with $n parameters. The SQLite backend
 * derives its text at prepare time (sql_sqlite() in sql.c): $n becomes ?n (SQLite reads ?NNN)
 * and PostgreSQL's casts (::bigint, ::text) are dropped, SQLite typing values as they come.
 * Where the SQL itself differs, Y() gives the SQLite text beside PostgreSQL's: scalar MIN/MAX
 * (LEAST/GREATEST), a list parameter split by instr() (string_to_array), a JSON array read by
 * json_each() (json_array_elements_text()). Everything else — RETURNING, ON CONFLICT … DO
 * UPDATE with qualified columns, FILTER, subquery aliases — both read alike.
 *
 * Bound parameters only, never a formatted SQL string (STYLE §7). A backend prepares a
 * statement on first use on each connection and keeps it. */
#ifndef TGR_STORE_SQL_H
#define TGR_STORE_SQL_H

/* PostgreSQL: the bigint field f of every element of $1, a JSON array, as an array to compare a key
 * with (= ANY): see S_RECIPIENTS_SENT. */
#define KEYS_IN(f) "ANY(ARRAY(SELECT (e->>'" f "')::bigint FROM json_array_elements($1::json) e))"

#define ACCOUNT_COLS                                                                                         \
    "id, email, plan_type, password_hash, timezone, frequency_cap_days, "                                    \
    "webhook_secret IS NOT NULL, created_at, daily_send_limit, error_streak_limit, token_gen"

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
    "  AND cc.contact_id = c.id), "                                                                          \
    "COALESCE(c.privacy_restricted_at, 0), COALESCE(c.charges_at, 0), COALESCE(c.charges_stars, 0)"

#define CAMPAIGN_COLS                                                                                        \
    "id, name, message_text, status, filters_json, quiet_hours_json, nudge_settings_json, track_links, "     \
    "discount_json, override_quiet_hours, created_at, updated_at, COALESCE(started_at, 0), "                 \
    "COALESCE(finished_at, 0), COALESCE(pause_reason, ''), COALESCE(pause_code, ''), "                       \
    "COALESCE(start_at, 0), COALESCE(segment_id, 0)"
#define RECIPIENT_COLS                                                                                       \
    "r.id, r.campaign_id, r.contact_id, r.step, r.status, COALESCE(r.random_id, ''), r.attempt, "            \
    "r.next_attempt_at, COALESCE(r.tg_message_id, 0), COALESCE(r.sent_at, 0), c.updated_at"
/* S_RECIPIENTS_NEXT's join of each row's contact address (as S_CONTACT_ADDRESS), with when the
 * person opted out (0: not): a message prepared for them is then skipped (DECISIONS 104). */
#define NEXT_ADDRESS "ct.id, ct.tg_user_id, ct.access_hash, ct.first_name, COALESCE(ct.opted_out_at, 0)"
#define NEXT_CONTACT                                                                                         \
    "LEFT JOIN contacts ct ON ct.account_id = $1 AND ct.id = r.contact_id AND ct.erased_at IS NULL "
#define MEDIA_COLS "id, kind, mime, size, sha256, storage_key, created_at"
#define ORDER_COLS                                                                                           \
    "id, order_id, amount, currency, status, created_at, received_at, COALESCE(contact_id, 0), "             \
    "COALESCE(discount_code_bidx, ''), COALESCE(ref, ''), COALESCE(attributed_campaign_id, 0), "             \
    "COALESCE(body_hash, ''), COALESCE(customer_tg_user_id, ''), COALESCE(attributed_recipient_id, 0), "     \
    "COALESCE(attributed_link_id, 0), COALESCE(attributed_code_id, 0), COALESCE(attributed_step, 0), "       \
    "COALESCE(attributed_by, '')"

/* The audience reads contacts_audience alone (migration 13): the category as its tag; only a
 * contact without one (classified before the tags) looks its sealed category up, in a CASE, which
 * SQL evaluates for that row only (a LEFT JOIN, even one conditional on the tag, seeks every row). */
#define AUDIENCE_CC(col)                                                                                     \
    "CASE WHEN c.category_tag IS NULL THEN (SELECT cc." col " FROM customer_categories cc "                  \
    "WHERE cc.account_id = c.account_id AND cc.contact_id = c.id) END"
#define AUDIENCE_COLS                                                                                        \
    "SELECT c.id, COALESCE(c.category_tag, 0), " AUDIENCE_CC("category") ", " AUDIENCE_CC(                   \
        "confidence_score") ", COALESCE(c.charges_at, 0), COALESCE(c.privacy_restricted_at, 0)"
#define AUDIENCE_FROM " FROM contacts c WHERE c.account_id = $1 "
/* Messaged by any campaign since $8 (the frequency cap). */
#define AUDIENCE_CAPPED                                                                                      \
    "EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = $1 AND r.contact_id = c.id AND r.sent_at >= "   \
    "$8)"
/* The filters of a campaign ($2 … $12 but $8); an erased contact is never in one (issue 19). */
#define AUDIENCE_FILTERS                                                                                     \
    "AND c.erased_at IS NULL "                                                                               \
    "AND ($2::bigint = 0 OR c.last_inbound_at >= $2) "                                                       \
    "AND ($3::bigint < 0 AND $4::bigint < 0 AND $5::bigint < 0 OR EXISTS (SELECT 1 FROM (SELECT COUNT(*) "   \
    "AS n, COALESCE(SUM(o.amount), 0)::bigint AS spent FROM orders o WHERE o.account_id = $1 "               \
    "     AND o.contact_id = c.id AND o.status = 'paid') t "                                                 \
    "     WHERE ($3::bigint < 0 OR t.n >= $3) AND ($4::bigint < 0 OR t.n <= $4) "                            \
    "     AND ($5::bigint < 0 OR t.spent >= $5))) "                                                          \
    "AND ($6::bigint = 0 OR EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = $1 "                     \
    "     AND r.campaign_id = $6 AND r.contact_id = c.id AND r.clicked_at IS NOT NULL)) "                    \
    "AND ($7::bigint = 0 OR EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = $1 "                     \
    "     AND r.campaign_id = $7 AND r.contact_id = c.id AND r.status = 'sent' AND r.step = 0 "              \
    "     AND r.replied_at IS NULL)) "                                                                       \
    "AND ($9::bigint = 0 OR EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = $1 "                     \
    "     AND r.campaign_id = $9 AND r.contact_id = c.id AND r.read_at IS NOT NULL)) "                       \
    "AND ($10::bigint = 0 OR (EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = $1 "                   \
    "     AND r.campaign_id = $10 AND r.contact_id = c.id AND r.status = 'sent' AND r.step = 0) "            \
    "     AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = $1 "                               \
    "     AND r.campaign_id = $10 AND r.contact_id = c.id AND r.read_at IS NOT NULL))) "                     \
    "AND ($11::bigint = 0 OR EXISTS (SELECT 1 FROM recipients r WHERE r.account_id = $1 "                    \
    "     AND r.campaign_id = $11 AND r.contact_id = c.id AND r.replied_at IS NOT NULL)) "                   \
    "AND ($12::bigint = 0 OR EXISTS (SELECT 1 FROM orders o WHERE o.account_id = $1 "                        \
    "     AND o.contact_id = c.id AND o.attributed_campaign_id = $12 AND o.status = 'paid')) "
/* The audience query without its order: PostgreSQL reads it in pages of $14 contacts after id $13
 * (never a large audience in one result); SQLite in one statement, whose cursor steps through the
 * rows as they are read (a LIMIT there costs a third more). */
#define AUDIENCE_WHERE                                                                                       \
    AUDIENCE_COLS AUDIENCE_FROM "AND c.opted_out_at IS NULL AND c.blocked_at IS NULL "                       \
                                "AND c.deactivated_at IS NULL " AUDIENCE_FILTERS                             \
                                "AND ($8::bigint = 0 OR NOT " AUDIENCE_CAPPED ") "
/* Who passes the filters but is held back (DECISIONS 67): opted out, blocked or deactivated, or
 * within the frequency cap; with those three facts and the contact's latest campaign message. */
#define AUDIENCE_HELD_WHERE                                                                                  \
    AUDIENCE_COLS ", CASE WHEN c.opted_out_at IS NULL THEN 0 ELSE 1 END, "                                   \
                  "CASE WHEN c.blocked_at IS NULL AND c.deactivated_at IS NULL THEN 0 ELSE 1 END, "          \
                  "COALESCE((SELECT MAX(r.sent_at) FROM recipients r WHERE r.account_id = $1 "               \
                  "AND r.contact_id = c.id), 0)" AUDIENCE_FROM AUDIENCE_FILTERS                              \
                  "AND (c.opted_out_at IS NOT NULL OR c.blocked_at IS NOT NULL OR c.deactivated_at IS NOT "  \
                  "NULL OR ($8::bigint <> 0 AND " AUDIENCE_CAPPED ")) "

/* Key rotation (sealed_scan / sealed_replace): per sealed column of store.h, a scan in cursor
 * order that builds the seal row key exactly as the column's writers do, and a compare-and-set
 * update. The cursor column has a name of its own: named like the id, PostgreSQL's ORDER BY
 * would sort the text ("10" before "9"). $1 of a scan is the cursor, $2 the limit; $1 of an
 * update the new value, $2 the row, $3 the value it must still hold. SEAL(X, col, …) makes the
 * pair S_SC_SEALED_<col> and S_SS_SEALED_<col>. */
#define SEAL_SCAN(from, pk, col, rk)                                                                         \
    "SELECT " pk "::text AS cursor_text, " rk ", " col " FROM " from " WHERE " pk " > $1 AND " col           \
    " IS NOT NULL ORDER BY " pk " LIMIT $2"
#define SEAL_SET(table, pk, col) "UPDATE " table " SET " col " = $1 WHERE " pk " = $2 AND " col " = $3"
#define SEAL(X, id, table, pk, col, rk)                                                                      \
    X(S_SC_SEALED_##id, SEAL_SCAN(table, pk, col, rk)) X(S_SS_SEALED_##id, SEAL_SET(table, pk, col))
#define SEAL_RK_CONTACT  "account_id::text || ':' || tg_user_id"
#define SEAL_RK_CATEGORY "account_id::text || ':' || contact_id::text"
#define SEAL_RK_CAMPAIGN "account_id::text || ':' || campaign_id::text || ':' || "
#define SEALED_STMTS(X)                                                                                      \
    SEAL(X, WEBHOOK_SECRET, "accounts", "id", "webhook_secret", "id::text")                                  \
    SEAL(X, SESSION_DATA, "telegram_sessions", "account_id", "encrypted_session_data", "account_id::text")   \
    SEAL(X, SESSION_PHONE, "telegram_sessions", "account_id", "phone", "account_id::text")                   \
    SEAL(X, CONTACT_ACCESS_HASH, "contacts", "id", "access_hash", SEAL_RK_CONTACT)                           \
    SEAL(X, CONTACT_FIRST_NAME, "contacts", "id", "first_name", SEAL_RK_CONTACT)                             \
    SEAL(X, CONTACT_LAST_NAME, "contacts", "id", "last_name", SEAL_RK_CONTACT)                               \
    SEAL(X, CONTACT_USERNAME, "contacts", "id", "username", SEAL_RK_CONTACT)                                 \
    SEAL(X, CONTACT_PHONE, "contacts", "id", "phone", SEAL_RK_CONTACT)                                       \
    X(S_SC_SEALED_INBOUND_TEXT,                                                                              \
      SEAL_SCAN("inbound_messages m JOIN contacts c ON c.id = m.contact_id", "m.id", "m.text",               \
                "m.account_id::text || ':' || c.tg_user_id || ':' || "                                       \
                "m.tg_message_id::text"))                                                                    \
    X(S_SS_SEALED_INBOUND_TEXT, SEAL_SET("inbound_messages", "id", "text"))                                  \
    SEAL(X, CATEGORY, "customer_categories", "id", "category", SEAL_RK_CATEGORY)                             \
    SEAL(X, CONFIDENCE, "customer_categories", "id", "confidence_score", SEAL_RK_CATEGORY)                   \
    SEAL(X, RECIPIENT_CODE, "recipients", "id", "discount_code", SEAL_RK_CAMPAIGN "contact_id::text")        \
    SEAL(X, DISCOUNT_CODE, "discount_codes", "id", "code", SEAL_RK_CAMPAIGN "code_bidx")                     \
    X(S_SC_SEALED_META_VALUE,                                                                                \
      "SELECT key, key, value FROM meta WHERE key > $1 AND (key LIKE 'cmd:%' OR key LIKE 'cmdr:%') "         \
      "ORDER BY key LIMIT $2")                                                                               \
    X(S_SS_SEALED_META_VALUE, SEAL_SET("meta", "key", "value"))                                              \
    SEAL(X, AUDIT_DETAILS, "contact_audit", "id", "details", SEAL_RK_CATEGORY)

/* Results per person, contact timelines, the contact audit (issue 16; store/store_people.h).
 * A page of results is one index range of recipients_results (campaign, step, status, id) per
 * stored status asked for ($6..$10, NULL for a status not asked for: that branch reads nothing),
 * merged by id; the person's names, clicks and credited orders are read for the page's rows only. */
#define RESULTS_BRANCH(n)                                                                                    \
    "SELECT id FROM (SELECT id FROM recipients WHERE campaign_id = $2 AND step = $3 AND status = $" n        \
    " AND id > $4 ORDER BY id LIMIT $5) b" n
/* A page of results per person: the ids first (the branches merged by id and cut at the page's
 * length), and only then each row's contact, clicks and orders. Joined over the branches' rows,
 * those were read for up to five times the page's rows, most then thrown away by the LIMIT. */
#define RESULTS_IDS                                                                                          \
    RESULTS_BRANCH("6")                                                                                      \
    " UNION ALL " RESULTS_BRANCH("7") " UNION ALL " RESULTS_BRANCH("8") " UNION ALL " RESULTS_BRANCH(        \
        "9") " UNION ALL " RESULTS_BRANCH("10")
/* A contact's timeline: every source of events as one union, newest first after the key
 * ($3, $4, $5) = (at, rank, id); the ranks are TIMELINE_KINDS' (store_people.h). */
#define TIMELINE_RECIPIENTS(at, rank)                                                                        \
    "SELECT r." at ", " rank ", r.id, r.campaign_id, r.step, 0, NULL, NULL, c.name, NULL "                   \
    "FROM recipients r JOIN campaigns c ON c.id = r.campaign_id WHERE r.account_id = $1 "                    \
    "AND r.contact_id = $2 AND r." at " IS NOT NULL"
#define PEOPLE_STMTS(X)                                                                                      \
    X(S_STEP_TOTALS, "SELECT step, rows, sent, failed, skipped FROM campaign_steps WHERE account_id = $1 "   \
                     "AND campaign_id = $2 AND rows > 0 ORDER BY step")                                      \
    X(S_RECIPIENT_STEP,                                                                                      \
      "SELECT step FROM recipients WHERE account_id = $1 AND campaign_id = $2 AND id = $3")                  \
    X(S_RESULTS_PAGE,                                                                                        \
      "SELECT r.id, r.contact_id, r.step, r.status, COALESCE(r.error_code, ''), COALESCE(r.sent_at, 0), "    \
      "COALESCE(r.read_at, 0), COALESCE(r.replied_at, 0), COALESCE(r.clicked_at, 0), "                       \
      "(SELECT COUNT(*) FROM link_clicks k WHERE k.account_id = r.account_id AND k.recipient_id = r.id), "   \
      "(SELECT COUNT(*) FROM orders o WHERE o.account_id = r.account_id "                                    \
      "  AND o.attributed_recipient_id = r.id AND o.status = 'paid'), "                                      \
      "(SELECT COALESCE(SUM(o.amount), 0)::bigint FROM orders o WHERE o.account_id = r.account_id "          \
      "  AND o.attributed_recipient_id = r.id AND o.status = 'paid'), "                                      \
      "COALESCE(c.opted_out_at, 0), c.tg_user_id, c.first_name, c.last_name, c.username "                    \
      "FROM (SELECT u.id FROM (" RESULTS_IDS ") u ORDER BY u.id LIMIT $5) p "                                \
      "JOIN recipients r ON r.id = p.id "                                                                    \
      "JOIN contacts c ON c.id = r.contact_id AND c.account_id = r.account_id WHERE r.account_id = $1 "      \
      "ORDER BY r.id")                                                                                       \
    X(S_TIMELINE,                                                                                            \
      "SELECT e.at, e.rank, e.id, e.campaign_id, e.step, e.num, e.code, e.extra, e.name, e.sealed FROM ("    \
      "SELECT m.date AS at, 1 AS rank, m.id AS id, NULL::bigint AS campaign_id, 0::bigint AS step, "         \
      "m.tg_message_id AS num, NULL::text AS code, NULL::text AS extra, NULL::text AS name, "                \
      "m.text AS sealed FROM inbound_messages m WHERE m.account_id = $1 AND m.contact_id = $2 "              \
      "UNION ALL " TIMELINE_RECIPIENTS(                                                                      \
          "sent_at",                                                                                         \
          "2") " AND r.status = 'sent' "                                                                     \
               "UNION ALL SELECT l.\"timestamp\", 3, l.id, l.campaign_id, COALESCE(l.step, 0), 0, "          \
               "l.error_code, "                                                                              \
               "NULL, c.name, NULL FROM sent_logs l JOIN campaigns c ON c.id = l.campaign_id "               \
               "WHERE l.account_id = $1 AND l.contact_id = $2 AND l.status = 'failed' "                      \
               "UNION ALL " TIMELINE_RECIPIENTS("read_at", "4") " UNION ALL " TIMELINE_RECIPIENTS(           \
                   "replied_at",                                                                             \
                   "5") " UNION ALL SELECT k.at, 6, k.id, r.campaign_id, r.step, 0, NULL, NULL, "            \
                        "t.original_url, NULL "                                                              \
                        "FROM recipients r JOIN link_clicks k ON k.account_id = $1 AND k.recipient_id = "    \
                        "r.id "                                                                              \
                        "JOIN trackable_links t ON t.id = k.link_id WHERE r.account_id = $1 AND "            \
                        "r.contact_id = $2 "                                                                 \
                        "UNION ALL SELECT o.created_at, 7, o.id, o.attributed_campaign_id, "                 \
                        "COALESCE(o.attributed_step, 0), "                                                   \
                        "o.amount, o.order_id, o.currency, NULL, NULL FROM orders o WHERE o.account_id = "   \
                        "$1 "                                                                                \
                        "AND o.contact_id = $2 "                                                             \
                        "UNION ALL SELECT o.received_at, 8, o.id, o.attributed_campaign_id, "                \
                        "COALESCE(o.attributed_step, 0), "                                                   \
                        "o.amount, o.order_id, o.currency, NULL, NULL FROM orders o WHERE o.account_id = "   \
                        "$1 "                                                                                \
                        "AND o.contact_id = $2 AND o.status = 'refunded' "                                   \
                        "UNION ALL SELECT a.at, CASE a.kind WHEN 'opted_out' THEN 9 WHEN 'opted_in' THEN "   \
                        "10 ELSE 11 END, "                                                                   \
                        "a.id, NULL, 0, 0, a.actor, a.source, NULL, a.details FROM contact_audit a "         \
                        "WHERE a.account_id = $1 AND a.contact_id = $2) e "                                  \
                        "WHERE (e.at, e.rank, e.id) < ($3::bigint, $4::bigint, $5::bigint) "                 \
                        "ORDER BY e.at DESC, e.rank DESC, e.id DESC LIMIT $6")                               \
    X(S_AUDIT_INSERT, "INSERT INTO contact_audit(account_id, contact_id, kind, actor, source, at, details) " \
                      "VALUES ($1, $2, $3, $4, $5, $6, $7)")                                                 \
    X(S_OPT_IN, "UPDATE contacts SET opted_out_at = NULL WHERE account_id = $1 AND id = $2 "                 \
                "AND opted_out_at IS NOT NULL")

/* Privacy and the audit log (issue 19; store/store_privacy.h). The parts of a person that an
 * erasure removes are one statement each ($1 account, $2 contact; core/privacy.c decides which and
 * in what order): S_PURGE_CONTACT leaves the contact row with nothing about the person, so that
 * the campaign rows naming it keep their counts. A page of the audit log is two index ranges, the
 * account's entries and the instance's (account_id NULL), merged newest first. */
#define AUDIT_COLS                                                                                           \
    "id, COALESCE(account_id, 0), at, actor, COALESCE(ip, ''), action, COALESCE(target, ''), details"
#define AUDIT_BRANCH(cond)                                                                                   \
    "SELECT * FROM (SELECT " AUDIT_COLS " FROM audit_log WHERE " cond " AND id < $2 ORDER BY id DESC "       \
    "LIMIT $3) b"
#define CONTACT_OF(col) "(SELECT " col " FROM contacts WHERE account_id = $1 AND id = $2)"
#define PRIVACY_STMTS(X)                                                                                     \
    X(S_ERASURE_FIND, "SELECT erased_at FROM erasures WHERE account_id = $1 AND tg_user_bidx = $2")          \
    X(S_ERASURE_PUT, "INSERT INTO erasures(account_id, tg_user_bidx, erased_at) VALUES ($1, $2, $3) "        \
                     "ON CONFLICT(account_id, tg_user_bidx) DO UPDATE SET erased_at = excluded.erased_at")   \
    X(S_PURGE_INBOUND, "DELETE FROM inbound_messages WHERE account_id = $1 AND contact_id = $2")             \
    X(S_PURGE_CLICKS, "DELETE FROM link_clicks WHERE account_id = $1 AND recipient_id IN "                   \
                      "(SELECT id FROM recipients WHERE account_id = $1 AND contact_id = $2)")               \
    X(S_PURGE_CATEGORY, "DELETE FROM customer_categories WHERE account_id = $1 AND contact_id = $2")         \
    X(S_PURGE_AUDIT, "DELETE FROM contact_audit WHERE account_id = $1 AND contact_id = $2")                  \
    X(S_PURGE_ORDERS,                                                                                        \
      "UPDATE orders SET contact_id = NULL, customer_tg_user_id = NULL, customer_phone_bidx = NULL, "        \
      "customer_username_bidx = NULL WHERE account_id = $1 AND (contact_id = $2 OR contact_id IS NULL "      \
      "AND (customer_tg_user_id = " CONTACT_OF("tg_user_id") " OR customer_phone_bidx = " CONTACT_OF(        \
          "phone_bidx") " OR customer_username_bidx = " CONTACT_OF("username_bidx") "))")                    \
    X(S_PURGE_CODES, "UPDATE recipients SET discount_code = NULL WHERE account_id = $1 AND contact_id = $2 " \
                     "AND discount_code IS NOT NULL")                                                        \
    X(S_PURGE_LOGS, "UPDATE sent_logs SET user_phone = NULL WHERE account_id = $1 AND contact_id = $2 "      \
                    "AND user_phone IS NOT NULL")                                                            \
    X(S_PURGE_CONTACT,                                                                                       \
      "UPDATE contacts SET tg_user_id = 'erased:' || id::text, access_hash = NULL, first_name = NULL, "      \
      "last_name = NULL, username = NULL, phone = NULL, phone_bidx = NULL, username_bidx = NULL, "           \
      "first_inbound_at = NULL, last_inbound_at = NULL, inbound_count = 0, last_read_max_id = 0, "           \
      "opted_out_at = NULL, blocked_at = NULL, deactivated_at = NULL, privacy_restricted_at = NULL, "        \
      "charges_at = NULL, charges_stars = NULL, category_tag = NULL, created_at = $3, updated_at = $3, "     \
      "erased_at = $3 "                                                                                      \
      "WHERE account_id = $1 AND id = $2 AND erased_at IS NULL")                                             \
    X(S_CONTACT_RECIPIENTS,                                                                                  \
      "SELECT r.id, r.campaign_id, c.name, r.step, r.status, COALESCE(r.error_code, ''), r.created_at, "     \
      "COALESCE(r.sent_at, 0), COALESCE(r.read_at, 0), COALESCE(r.replied_at, 0), "                          \
      "COALESCE(r.clicked_at, 0), r.discount_code FROM recipients r JOIN campaigns c ON c.id = "             \
      "r.campaign_id "                                                                                       \
      "WHERE r.account_id = $1 AND r.contact_id = $2 ORDER BY r.id")                                         \
    X(S_CONTACT_ORDERS,                                                                                      \
      "SELECT id, order_id, amount, currency, status, created_at, COALESCE(attributed_campaign_id, 0), "     \
      "COALESCE(attributed_by, ''), is_test FROM orders WHERE account_id = $1 AND contact_id = $2 "          \
      "ORDER BY created_at, id")                                                                             \
    X(S_AUDIT_ADD, "INSERT INTO audit_log(account_id, at, actor, ip, action, target, details) "              \
                   "VALUES ($1, $2, $3, $4, $5, $6, $7)")                                                    \
    X(S_AUDIT_PAGE, AUDIT_BRANCH("account_id = $1") " UNION ALL " AUDIT_BRANCH(                              \
                        "account_id IS NULL") " ORDER BY 1 DESC LIMIT $3")

#define SEGMENT_COLS "id, name, filters_json, created_at, updated_at"

/* Outgoing webhooks (issue 19; store/store_webhooks.h). An endpoint's last status is that of its
 * newest delivery tried at least once. A claim takes one due row whose endpoint has nothing in
 * flight (so one slow endpoint holds one delivery thread, and its events go out in order); on
 * PostgreSQL rows another instance is claiming are skipped rather than waited for, and the outer
 * WHERE checks the claim's condition again on the row it locked (READ COMMITTED). */
#define WEBHOOK_COLS                                                                                         \
    "w.id, w.url, w.events, w.description, w.created_at, COALESCE(d.status, ''), "                           \
    "COALESCE(d.last_status_code, 0), COALESCE(d.last_attempt_at, 0) FROM webhooks w "                       \
    "LEFT JOIN webhook_deliveries d ON d.id = (SELECT MAX(x.id) FROM webhook_deliveries x "                  \
    "WHERE x.webhook_id = w.id AND x.attempts > 0)"
#define WEBHOOK_CLAIM(lock)                                                                                  \
    "UPDATE webhook_deliveries SET claimed_by = $1, lease_until = $2 WHERE id = (SELECT d.id "               \
    "FROM webhook_deliveries d WHERE d.status = 'pending' AND d.next_attempt_at <= $3 "                      \
    "AND d.lease_until <= $3 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries x "                            \
    "WHERE x.webhook_id = d.webhook_id AND x.lease_until > 0 AND x.lease_until > $3) "                       \
    "ORDER BY d.next_attempt_at, d.id LIMIT 1" lock ") AND status = 'pending' AND lease_until <= $3 "        \
    "RETURNING id"
#define WEBHOOK_STMTS(X, Y)                                                                                  \
    X(S_WEBHOOK_INSERT, "INSERT INTO webhooks(account_id, url, events, description, created_at) "            \
                        "VALUES ($1, $2, $3, $4, $5) RETURNING id")                                          \
    X(S_WEBHOOK_SET_SECRET, "UPDATE webhooks SET secret = $1 WHERE account_id = $2 AND id = $3")             \
    X(S_WEBHOOK_LIST, "SELECT " WEBHOOK_COLS " WHERE w.account_id = $1 ORDER BY w.id")                       \
    X(S_WEBHOOK_GET, "SELECT " WEBHOOK_COLS " WHERE w.account_id = $1 AND w.id = $2")                        \
    X(S_WEBHOOK_DELETE, "DELETE FROM webhooks WHERE account_id = $1 AND id = $2")                            \
    X(S_WEBHOOK_WANTED,                                                                                      \
      "SELECT COUNT(*) FROM webhooks WHERE account_id = $1 AND (events & $2::bigint) <> 0")                  \
    /* Of the accounts in $1 (a JSON array of ids), those with an endpoint wanting a bit of $2. */           \
    Y(S_WEBHOOKS_WANTING,                                                                                    \
      "SELECT DISTINCT w.account_id FROM webhooks w WHERE w.account_id = ANY(ARRAY("                         \
      "SELECT json_array_elements_text($1::json)::bigint)) AND (w.events & $2::bigint) <> 0",                \
      "SELECT DISTINCT w.account_id FROM webhooks w WHERE w.account_id IN "                                  \
      "(SELECT value FROM json_each($1)) AND (w.events & $2) <> 0")                                          \
    X(S_WEBHOOK_EVENT_INSERT, "INSERT INTO webhook_events(account_id, type, created_at, data) "              \
                              "VALUES ($1, $2, $3, $4) RETURNING id")                                        \
    X(S_WEBHOOK_DELIVERIES_INSERT,                                                                           \
      "INSERT INTO webhook_deliveries(account_id, webhook_id, event_id, next_attempt_at) "                   \
      "SELECT $1, id, $2, $3 FROM webhooks WHERE account_id = $1 AND (events & $4::bigint) <> 0")            \
    Y(S_WEBHOOK_CLAIM, WEBHOOK_CLAIM(" FOR UPDATE SKIP LOCKED"), WEBHOOK_CLAIM(""))                          \
    X(S_WEBHOOK_JOB,                                                                                         \
      "SELECT d.id, d.account_id, d.webhook_id, d.event_id, d.attempts, e.created_at, e.type, e.data, "      \
      "w.url, w.secret FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id "                \
      "JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1")                                              \
    X(S_WEBHOOK_DONE,                                                                                        \
      "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, last_attempt_at = $2, "           \
      "last_status_code = $3, last_error = $4, next_attempt_at = COALESCE($5, next_attempt_at), "            \
      "lease_until = 0, claimed_by = NULL WHERE id = $6 AND claimed_by = $7")                                \
    X(S_WEBHOOK_UNCLAIM, "UPDATE webhook_deliveries SET lease_until = 0, claimed_by = NULL "                 \
                         "WHERE id = $1 AND claimed_by = $2")                                                \
    X(S_WEBHOOK_UNCLAIM_ALL, "UPDATE webhook_deliveries SET lease_until = 0, claimed_by = NULL "             \
                             "WHERE lease_until > 0 AND claimed_by = $1")                                    \
    X(S_WEBHOOK_NEXT_DUE, "SELECT next_attempt_at FROM webhook_deliveries WHERE status = 'pending' "         \
                          "ORDER BY next_attempt_at LIMIT 1")                                                \
    X(S_WEBHOOK_DELIVERIES,                                                                                  \
      "SELECT d.id, d.event_id, e.type, d.status, d.attempts, COALESCE(d.last_status_code, 0), "             \
      "d.next_attempt_at, e.created_at, COALESCE(d.last_attempt_at, 0), COALESCE(d.last_error, '') "         \
      "FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id "                                \
      "WHERE d.account_id = $1 AND d.webhook_id = $2 AND ($3::bigint = 0 OR d.id < $3) "                     \
      "ORDER BY d.id DESC LIMIT $4")                                                                         \
    X(S_WEBHOOK_PRUNE, "DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events "              \
                       "WHERE created_at < $1 ORDER BY id LIMIT $2)")                                        \
    X(S_WEBHOOK_PENDING, "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'")                 \
    X(S_RECIPIENT_CONTACT, "SELECT contact_id FROM recipients WHERE account_id = $1 AND id = $2")            \
    SEAL(X, WEBHOOKS_SECRET, "webhooks", "id", "secret", "account_id::text || ':' || id::text")

/* Every statement, by name: X(id, sql) for both backends, Y(id, postgresql, sqlite) where the two
 * dialects need different text. */
#define STMTS(X, Y)                                                                                          \
    /* transaction control of the SQLite backend (PostgreSQL's BEGIN carries its isolation level) */         \
    X(S_BEGIN, "BEGIN IMMEDIATE")                                                                            \
    X(S_BEGIN_READ, "BEGIN") /* a read snapshot on a reader connection (store->read) */                      \
    X(S_COMMIT, "COMMIT")                                                                                    \
    X(S_ROLLBACK, "ROLLBACK")                                                                                \
    X(S_VERSION, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations")                                  \
    X(S_MIGRATION_DONE, "INSERT INTO schema_migrations(version, applied_at) VALUES ($1, $2)")                \
    X(S_PING, "SELECT 1")                                                                                    \
    X(S_NOTIFY, "SELECT pg_notify($1, $2)") /* PostgreSQL only */                                            \
    /* accounts, sessions, meta */                                                                           \
    X(S_ACCOUNT_INSERT, "INSERT INTO accounts(email, api_key, plan_type, password_hash, created_at) "        \
                        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT(email) DO NOTHING RETURNING id")            \
    X(S_ACCOUNT_BY_EMAIL, "SELECT " ACCOUNT_COLS " FROM accounts WHERE email = $1")                          \
    X(S_ACCOUNT_BY_KEY, "SELECT " ACCOUNT_COLS " FROM accounts WHERE api_key = $1")                          \
    X(S_ACCOUNT_GET, "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = $1")                                  \
    X(S_ACCOUNT_UPDATE,                                                                                      \
      "UPDATE accounts SET timezone = $1, frequency_cap_days = $2, daily_send_limit = $3, "                  \
      "error_streak_limit = $4 WHERE id = $5")                                                               \
    X(S_ACCOUNT_SET_WH, "UPDATE accounts SET webhook_secret = $1 WHERE id = $2")                             \
    X(S_ACCOUNT_GET_WH, "SELECT webhook_secret FROM accounts WHERE id = $1 AND webhook_secret IS NOT NULL")  \
    X(S_SESSION_GET, "SELECT status, encrypted_session_data, phone, tg_user_id, updated_at, "                \
                     "COALESCE(frozen_at, 0) "                                                               \
                     "FROM telegram_sessions WHERE account_id = $1")                                         \
    X(S_SESSION_PUT,                                                                                         \
      "INSERT INTO telegram_sessions(account_id, status, encrypted_session_data, phone, "                    \
      "tg_user_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT(account_id) DO UPDATE "           \
      "SET status = excluded.status, encrypted_session_data = excluded.encrypted_session_data, "             \
      "phone = excluded.phone, tg_user_id = excluded.tg_user_id, updated_at = excluded.updated_at")          \
    X(S_SESSION_STATUS, "UPDATE telegram_sessions SET status = $1, updated_at = $2 WHERE account_id = $3")   \
    X(S_SESSION_FROZEN, /* $1 the time it froze, NULL when it is not (any more) */                           \
      "UPDATE telegram_sessions SET frozen_at = $1 WHERE account_id = $2 "                                   \
      "AND frozen_at IS DISTINCT FROM $1::bigint")                                                           \
    X(S_SESSION_DELETE, "DELETE FROM telegram_sessions WHERE account_id = $1")                               \
    X(S_SESSIONS_CONNECTED, "SELECT account_id FROM telegram_sessions WHERE status = 'connected' "           \
                            "ORDER BY account_id")                                                           \
    X(S_META_GET, "SELECT value FROM meta WHERE key = $1")                                                   \
    X(S_META_SET, "INSERT INTO meta(key, value) VALUES ($1, $2) "                                            \
                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value")                                   \
    X(S_META_DELETE, "DELETE FROM meta WHERE key = $1")                                                      \
    /* contacts, inbound messages, categories, audiences */                                                  \
    X(S_CONTACT_INSERT, "INSERT INTO contacts(account_id, tg_user_id, access_hash, first_name, last_name, "  \
                        "username, phone, phone_bidx, username_bidx, created_at, updated_at) "               \
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")                \
    X(S_CONTACT_UPDATE,                                                                                      \
      "UPDATE contacts SET access_hash = $1, first_name = $2, last_name = $3, username = $4, "               \
      "phone = $5, phone_bidx = $6, username_bidx = $7, updated_at = $8 "                                    \
      "WHERE account_id = $9 AND id = $10")                                                                  \
    X(S_CONTACT_BY_TG,                                                                                       \
      "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = $1 AND c.tg_user_id = $2")               \
    X(S_CONTACT_GET, "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = $1 AND c.id = $2 "        \
                     "AND c.erased_at IS NULL")                                                              \
    X(S_CONTACT_ADDRESS, "SELECT c.id, c.tg_user_id, c.access_hash, c.first_name, "                          \
                         "COALESCE(c.opted_out_at, 0) FROM contacts c "                                      \
                         "WHERE c.account_id = $1 AND c.id = $2 AND c.erased_at IS NULL")                    \
    X(S_CONTACTS_PAGE, "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = $1 AND c.id > $2 "      \
                       "AND c.erased_at IS NULL ORDER BY c.id LIMIT $3")                                     \
    X(S_CONTACT_BY_PHONE,                                                                                    \
      "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = $1 AND c.phone_bidx = $2 "               \
      "ORDER BY c.id LIMIT 1")                                                                               \
    X(S_CONTACT_BY_USERNAME, "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = $1 "              \
                             "AND c.username_bidx = $2 ORDER BY c.id LIMIT 1")                               \
    X(S_INBOUND_INSERT, "INSERT INTO inbound_messages(account_id, contact_id, tg_message_id, text, date) "   \
                        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")                                \
    /* n messages sent between $1 and $5 counted on the contact. */                                          \
    Y(S_INBOUND_COUNT,                                                                                       \
      "UPDATE contacts SET inbound_count = inbound_count + $4, "                                             \
      "first_inbound_at = LEAST(COALESCE(first_inbound_at, $1), $1), "                                       \
      "last_inbound_at = GREATEST(COALESCE(last_inbound_at, $5), $5) WHERE account_id = $2 AND id = $3",     \
      "UPDATE contacts SET inbound_count = inbound_count + $4, "                                             \
      "first_inbound_at = MIN(COALESCE(first_inbound_at, $1), $1), "                                         \
      "last_inbound_at = MAX(COALESCE(last_inbound_at, $5), $5) WHERE account_id = $2 AND id = $3")          \
    X(S_INBOUND_RECENT, "SELECT text, tg_message_id FROM (SELECT text, tg_message_id, date, id "             \
                        "FROM inbound_messages WHERE account_id = $1 AND contact_id = $2 "                   \
                        "ORDER BY date DESC, id DESC LIMIT $3) t ORDER BY date, id")                         \
    X(S_CONTACT_CATEGORY_TAG, "UPDATE contacts SET category_tag = $3 WHERE account_id = $1 AND id = $2")     \
    X(S_CATEGORY_PUT,                                                                                        \
      "INSERT INTO customer_categories(account_id, contact_id, category, confidence_score, "                 \
      "updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT(account_id, contact_id) DO UPDATE SET "           \
      "category = excluded.category, confidence_score = excluded.confidence_score, "                         \
      "updated_at = excluded.updated_at")                                                                    \
    Y(S_AUDIENCE, AUDIENCE_WHERE " AND c.id > $13 ORDER BY c.id LIMIT $14", AUDIENCE_WHERE " ORDER BY c.id") \
    Y(S_AUDIENCE_HELD, AUDIENCE_HELD_WHERE " AND c.id > $13 ORDER BY c.id LIMIT $14",                        \
      AUDIENCE_HELD_WHERE " ORDER BY c.id")                                                                  \
    X(S_CONTACT_BLOCKED,                                                                                     \
      "UPDATE contacts SET blocked_at = COALESCE(blocked_at, $1) WHERE account_id = $2 AND id = $3")         \
    X(S_CONTACT_DEACTIVATED, "UPDATE contacts SET deactivated_at = COALESCE(deactivated_at, $1) "            \
                             "WHERE account_id = $2 AND id = $3")                                            \
    X(S_CONTACT_PRIVACY, "UPDATE contacts SET privacy_restricted_at = COALESCE(privacy_restricted_at, $1) "  \
                         "WHERE account_id = $2 AND id = $3")                                                \
    X(S_CONTACT_CHARGES, /* $4: the price in stars when Telegram gave it, else NULL (kept) */                \
      "UPDATE contacts SET charges_at = COALESCE(charges_at, $1), "                                          \
      "charges_stars = COALESCE($4, charges_stars) WHERE account_id = $2 AND id = $3")                       \
    X(S_OPT_OUT,                                                                                             \
      "UPDATE contacts SET opted_out_at = COALESCE(opted_out_at, $1) WHERE account_id = $2 AND id = $3 "     \
      "AND opted_out_at IS NULL")                                                                            \
    X(S_OPT_OUT_COUNT,                                                                                       \
      "UPDATE campaign_analytics SET total_opted_out = total_opted_out + 1 "                                 \
      "WHERE account_id = $1 AND campaign_id IN (SELECT DISTINCT campaign_id FROM recipients "               \
      "WHERE account_id = $1 AND contact_id = $2 AND status = 'sent')")                                      \
    /* campaigns, their media, codes and links */                                                            \
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
    X(S_CAMPAIGN_OVERRIDE,                                                                                   \
      "UPDATE campaigns SET override_quiet_hours = $1, updated_at = $4 WHERE account_id = $2 AND id = $3")   \
    X(S_CAMPAIGN_NUDGES,                                                                                     \
      "UPDATE campaigns SET nudge_settings_json = $1, updated_at = $2 WHERE account_id = $3 AND id = $4")    \
    X(S_SET_CATEGORIES,                                                                                      \
      "UPDATE campaign_analytics SET cat_browser = $1, cat_buyer = $2, cat_refund_risk = $3 "                \
      "WHERE account_id = $4 AND campaign_id = $5")                                                          \
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
      "SELECT id, code, code_bidx, 0 FROM discount_codes WHERE account_id = $1 AND campaign_id = $2 "        \
      "AND recipient_id IS NULL ORDER BY id LIMIT 1")                                                        \
    X(S_CODE_TAKE, "UPDATE discount_codes SET recipient_id = $1, assigned_at = $2 WHERE id = $3 "            \
                   "AND recipient_id IS NULL")                                                               \
    X(S_CODE_GET, "SELECT id, code, code_bidx, COALESCE(recipient_id, 0) FROM discount_codes "               \
                  "WHERE account_id = $1 AND id = $2")                                                       \
    X(S_LINK_INSERT, "INSERT INTO trackable_links(account_id, campaign_id, original_url, tracking_code) "    \
                     "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")                                       \
    X(S_LINK_GET,                                                                                            \
      "SELECT id FROM trackable_links WHERE account_id = $1 AND campaign_id = $2 AND original_url = $3")     \
    X(S_LINK_BY_ID, "SELECT account_id, campaign_id, original_url FROM trackable_links WHERE id = $1")       \
    X(S_MEDIA_INSERT, "INSERT INTO media(account_id, kind, mime, size, sha256, storage_key, created_at) "    \
                      "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING")                          \
    X(S_MEDIA_BY_SHA, "SELECT " MEDIA_COLS " FROM media WHERE account_id = $1 AND sha256 = $2")              \
    X(S_MEDIA_GET, "SELECT " MEDIA_COLS " FROM media WHERE account_id = $1 AND id = $2")                     \
    /* the send engine: starting, the outbox, outcomes, nudges, counters */                                  \
    X(S_RUNNING_OTHER,                                                                                       \
      "SELECT id FROM campaigns WHERE account_id = $1 AND status = 'running' AND id != $2 LIMIT 1")          \
    X(S_CAMPAIGN_TO_RUNNING,                                                                                 \
      "UPDATE campaigns SET status = 'running', pause_reason = NULL, pause_code = NULL, "                    \
      "override_quiet_hours = $1, started_at = COALESCE(started_at, $2), updated_at = $3 "                   \
      "WHERE account_id = $4 AND id = $5 AND status = $6")                                                   \
    Y(S_RECIPIENTS_INSERT, /* $3: a JSON array of contact ids, inserted in its order */                      \
      "INSERT INTO recipients(account_id, campaign_id, contact_id, step, status, created_at) "               \
      "SELECT $1, $2, u.contact_id::bigint, 0, 'pending', $4 FROM json_array_elements_text($3::json) "       \
      "WITH ORDINALITY AS u(contact_id, i) ORDER BY u.i ON CONFLICT DO NOTHING",                             \
      "INSERT INTO recipients(account_id, campaign_id, contact_id, step, status, created_at) "               \
      "SELECT $1, $2, value, 0, 'pending', $4 FROM json_each($3) WHERE true ORDER BY key "                   \
      "ON CONFLICT DO NOTHING")                                                                              \
    Y(S_CAMPAIGN_TRANSITION,                                                                                 \
      "UPDATE campaigns SET status = $1, pause_reason = $2, pause_code = NULL, updated_at = $3, "            \
      "finished_at = CASE WHEN $1::text IN ('completed', 'cancelled') THEN $3::bigint ELSE finished_at END " \
      "WHERE account_id = $4 AND id = $5 AND status = ANY (string_to_array($6::text, ','))",                 \
      "UPDATE campaigns SET status = $1, pause_reason = $2, pause_code = NULL, updated_at = $3, "            \
      "finished_at = CASE WHEN $1 IN ('completed', 'cancelled') THEN $3 ELSE finished_at END "               \
      "WHERE account_id = $4 AND id = $5 AND instr(',' || $6 || ',', ',' || status || ',') > 0")             \
    X(S_CAMPAIGNS_PAUSE_ALL,                                                                                 \
      "UPDATE campaigns SET status = 'paused', pause_reason = $1, pause_code = NULL, "                       \
      "updated_at = $2 "                                                                                     \
      "WHERE account_id = $3 AND status IN ('running', 'nudging')")                                          \
    X(S_CAMPAIGN_PAUSE_CODE, "UPDATE campaigns SET pause_code = $1 WHERE account_id = $2 AND id = $3 "       \
                             "AND status = 'paused'")                                                        \
    X(S_SENT_SINCE, "SELECT COUNT(*) FROM recipients WHERE account_id = $1 AND sent_at >= $2")               \
    X(S_ACCOUNTS_SENDING,                                                                                    \
      "SELECT DISTINCT account_id FROM campaigns WHERE status IN ('running', 'nudging') "                    \
      "ORDER BY account_id")                                                                                 \
    X(S_CAMPAIGNS_IN_STATUS, "SELECT id FROM campaigns WHERE account_id = $1 AND status = $2 ORDER BY id")   \
    X(S_CAMPAIGNS_BY_STATUS, "SELECT status, COUNT(*) FROM campaigns GROUP BY status ORDER BY status")       \
    X(S_OUTBOX_DEPTH,                                                                                        \
      "SELECT COALESCE(SUM(s.rows - s.sent - s.failed - s.skipped), 0)::bigint FROM campaign_steps s "       \
      "JOIN campaigns c ON c.account_id = s.account_id AND c.id = s.campaign_id "                            \
      "WHERE c.status IN ('running', 'nudging')")                                                            \
    X(S_RECIPIENT_SENDING,                                                                                   \
      "SELECT " RECIPIENT_COLS " FROM recipients r JOIN campaigns c ON c.id = r.campaign_id "                \
      "WHERE r.account_id = $1 AND r.status = 'sending' AND c.account_id = $1 "                              \
      "AND c.status IN ('running', 'nudging') ORDER BY r.id LIMIT 1")                                        \
    X(S_RECIPIENT_DUE,                                                                                       \
      "SELECT " RECIPIENT_COLS " FROM recipients r JOIN campaigns c ON c.id = r.campaign_id "                \
      "WHERE r.account_id = $1 AND r.status = 'pending' AND r.next_attempt_at <= $2 "                        \
      "AND c.account_id = $1 AND c.status IN ('running', 'nudging') "                                        \
      "ORDER BY r.next_attempt_at, r.id LIMIT 1")                                                            \
    /* The same two reads for a batch of rows (engine's group commit, DECISIONS 77), in one */               \
    /* statement (DECISIONS 82): each side one index range scan, then at most 2 x $3 rows */                 \
    /* sorted by (side, its order): columns 16 to 18, after RECIPIENT_COLS' 11 and the */                    \
    /* contact's address (S_CONTACT_ADDRESS's four, NULL when erased). */                                    \
    X(S_RECIPIENTS_NEXT,                                                                                     \
      "SELECT * FROM (SELECT " RECIPIENT_COLS ", " NEXT_ADDRESS ", 0 AS k, 0 AS t, r.id AS o "               \
      "FROM recipients r JOIN campaigns c ON c.id = r.campaign_id " NEXT_CONTACT "WHERE r.account_id = $1 "  \
      "AND r.status = 'sending' AND c.account_id = $1 AND c.status IN ('running', 'nudging') "               \
      "ORDER BY r.id LIMIT $3) s UNION ALL SELECT * FROM (SELECT " RECIPIENT_COLS ", " NEXT_ADDRESS ", "     \
      "1 AS k, r.next_attempt_at AS t, r.id AS o FROM recipients r JOIN campaigns c ON c.id = "              \
      "r.campaign_id " NEXT_CONTACT                                                                          \
      "WHERE r.account_id = $1 AND r.status = 'pending' AND r.next_attempt_at <= $2 "                        \
      "AND c.account_id = $1 AND c.status IN ('running', 'nudging') ORDER BY r.next_attempt_at, r.id "       \
      "LIMIT $3) d ORDER BY 17, 18, 19 LIMIT $3")                                                            \
    /* S_RECIPIENTS_NEXT without the 'sending' rows: one index range in due order, no sort. */               \
    X(S_RECIPIENTS_DUE,                                                                                      \
      "SELECT " RECIPIENT_COLS ", " NEXT_ADDRESS " FROM recipients r JOIN campaigns c ON c.id = "            \
      "r.campaign_id " NEXT_CONTACT "WHERE r.account_id = $1 AND r.status = 'pending' AND "                  \
      "r.next_attempt_at <= $2 AND c.account_id = $1 AND c.status IN ('running', 'nudging') "                \
      "ORDER BY r.next_attempt_at, r.id LIMIT $3")                                                           \
    /* The status test is written as recipients_due's condition (migration 15): SQLite takes a     */        \
    /* partial index only for a WHERE that holds it as written.                                    */        \
    X(S_RECIPIENT_NEXT_AT,                                                                                   \
      "SELECT COALESCE(MIN(r.next_attempt_at), 0) FROM recipients r "                                        \
      "JOIN campaigns c ON c.id = r.campaign_id WHERE r.account_id = $1 AND c.account_id = $1 "              \
      "AND c.status IN ('running', 'nudging') AND (r.status = 'pending' OR r.status = 'sending')")           \
    X(S_RECIPIENT_CLAIM, "UPDATE recipients SET status = 'sending', random_id = COALESCE(random_id, $1), "   \
                         "discount_code = COALESCE(discount_code, $2), attempt = attempt + 1 "               \
                         "WHERE account_id = $3 AND id = $4 AND status IN ('pending', 'sending')")           \
    X(S_RECIPIENT_UNCLAIM, "UPDATE recipients SET status = 'pending', attempt = attempt - 1 "                \
                           "WHERE account_id = $1 AND id = $2 AND status = 'sending'")                       \
    X(S_RECIPIENT_CODE, "SELECT discount_code FROM recipients WHERE account_id = $1 AND id = $2")            \
    X(S_RECIPIENT_FINISH, "UPDATE recipients SET status = $1, tg_message_id = COALESCE($2, tg_message_id), " \
                          "error_code = $3, next_attempt_at = $4, "                                          \
                          "sent_at = CASE WHEN $5::text = 'sent' THEN $6::bigint ELSE sent_at END "          \
                          "WHERE account_id = $7 AND id = $8")                                               \
    X(S_LOG_INSERT,                                                                                          \
      "INSERT INTO sent_logs(account_id, campaign_id, status, error_details, timestamp, contact_id, "        \
      "step, attempt, error_code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")                              \
    X(S_COUNT_SENT, "UPDATE campaign_analytics SET total_sent = total_sent + $4, updated_at = $1 "           \
                    "WHERE account_id = $2 AND campaign_id = $3")                                            \
    X(S_COUNT_FAILED, "UPDATE campaign_analytics SET total_failed = total_failed + $4, updated_at = $1 "     \
                      "WHERE account_id = $2 AND campaign_id = $3")                                          \
    X(S_FAILURE_BUMP,                                                                                        \
      "INSERT INTO campaign_failures(account_id, campaign_id, code, n) VALUES ($1, $2, $3, 1) "              \
      "ON CONFLICT(campaign_id, code) DO UPDATE SET n = campaign_failures.n + 1")                            \
    X(S_OPEN_ROWS, "SELECT rows - sent - failed - skipped FROM campaign_steps WHERE account_id = $1 "        \
                   "AND campaign_id = $2 AND step = $3")                                                     \
    X(S_NUDGE_SCHEDULE,                                                                                      \
      "INSERT INTO recipients(account_id, campaign_id, contact_id, step, status, error_code, "               \
      "created_at, discount_code) SELECT r.account_id, r.campaign_id, r.contact_id, $3::bigint, "            \
      "CASE WHEN c.opted_out_at IS NOT NULL OR c.blocked_at IS NOT NULL "                                    \
      "       OR c.deactivated_at IS NOT NULL OR c.erased_at IS NOT NULL THEN 'skipped' "                    \
      "     WHEN $4::text IN ('no_reply', 'no_reply_no_click') AND EXISTS (SELECT 1 FROM recipients x "      \
      "       WHERE x.account_id = $1 AND x.campaign_id = $2 AND x.contact_id = r.contact_id "               \
      "       AND x.replied_at IS NOT NULL) THEN 'skipped' "                                                 \
      "     WHEN $4::text IN ('no_click', 'no_reply_no_click') AND EXISTS (SELECT 1 FROM recipients x "      \
      "       WHERE x.account_id = $1 AND x.campaign_id = $2 AND x.contact_id = r.contact_id "               \
      "       AND x.clicked_at IS NOT NULL) THEN 'skipped' "                                                 \
      "     ELSE 'pending' END, "                                                                            \
      "CASE WHEN c.erased_at IS NOT NULL THEN 'erased' WHEN c.opted_out_at IS NOT NULL THEN 'opted_out' "    \
      "     WHEN c.blocked_at IS NOT NULL OR c.deactivated_at IS NOT NULL THEN 'unreachable' "               \
      "     ELSE NULL END, $6::bigint, r.discount_code "                                                     \
      "FROM recipients r JOIN contacts c ON c.id = r.contact_id AND c.account_id = r.account_id "            \
      "WHERE r.account_id = $1 AND r.campaign_id = $2 AND r.step = $3::bigint - 1 AND r.status = 'sent' "    \
      "AND r.sent_at <= $5 AND r.sent_at > COALESCE((SELECT scheduled_through FROM "                         \
      "campaign_steps WHERE campaign_id = $2 AND step = $3::bigint), 0) "                                    \
      "ON CONFLICT DO NOTHING RETURNING campaign_id, step, status")                                          \
    /* The account is asked of the campaign (as in S_QUEUE_BEFORE): MIN is then one probe of       */        \
    /* recipients_step_sent, where a test of each row's account read rows until one passed.        */        \
    X(S_NUDGE_NEXT_DUE,                                                                                      \
      "SELECT COALESCE(MIN(r.sent_at), 0) FROM recipients r WHERE r.campaign_id = $2 "                       \
      "AND r.step = $3::bigint - 1 AND r.status = 'sent' AND r.sent_at > "                                   \
      "COALESCE((SELECT scheduled_through FROM campaign_steps WHERE campaign_id = $2 "                       \
      "AND step = $3::bigint), 0) AND EXISTS (SELECT 1 FROM campaigns WHERE id = $2 AND account_id = $1)")   \
    /* PostgreSQL plans a set-returning function over a parameter at 100 rows whatever it holds, */          \
    /* and to update 100 of a few thousand rows it hashes a whole scan of the table: 2.9 ms where */         \
    /* the keys' index takes 0.3. Each statement updating rows named in $1 therefore also names */           \
    /* them by key (KEYS_IN), which the planner serves from the key's index at any size. */                  \
    /* The group commit's sent messages and claims, one statement for many rows where the backend */         \
    /* writes sets (db.h row_sets; DECISIONS 82, 94): $1 a JSON array of {a: account, i: recipient, */       \
    /* c: campaign, p: contact, s: step, t: attempt, m: Telegram message id, d: random_id}; each as */       \
    /* S_RECIPIENT_FINISH, S_LOG_INSERT and S_RECIPIENT_CLAIM (without a discount code) write one. */        \
    Y(S_RECIPIENTS_SENT,                                                                                     \
      "UPDATE recipients r SET status = 'sent', tg_message_id = COALESCE(NULLIF(x.m, 0), r.tg_message_id), " \
      "error_code = NULL, next_attempt_at = 0, sent_at = $2 FROM json_to_recordset($1::json) AS x(a "        \
      "bigint, i bigint, c bigint, p bigint, s int, t int, m bigint, d text) "                               \
      "WHERE r.account_id = x.a AND r.id = x.i AND r.id = " KEYS_IN("i"),                                    \
      "UPDATE recipients SET status = 'sent', "                                                              \
      "tg_message_id = COALESCE(NULLIF(json_extract(e.value, '$.m'), 0), tg_message_id), "                   \
      "error_code = NULL, next_attempt_at = 0, sent_at = $2 FROM json_each($1) AS e "                        \
      "WHERE recipients.account_id = json_extract(e.value, '$.a') "                                          \
      "AND recipients.id = json_extract(e.value, '$.i')")                                                    \
    Y(S_LOGS_SENT,                                                                                           \
      "INSERT INTO sent_logs(account_id, campaign_id, status, error_details, timestamp, contact_id, "        \
      "step, attempt, error_code) SELECT x.a, x.c, 'sent', NULL, $2, NULLIF(x.p, 0), x.s, x.t, NULL "        \
      "FROM json_to_recordset($1::json) AS x(a bigint, i bigint, c bigint, p bigint, s int, t int, m "       \
      "bigint, d text)",                                                                                     \
      "INSERT INTO sent_logs(account_id, campaign_id, status, error_details, timestamp, contact_id, "        \
      "step, attempt, error_code) SELECT json_extract(value, '$.a'), json_extract(value, '$.c'), "           \
      "'sent', NULL, $2, NULLIF(json_extract(value, '$.p'), 0), json_extract(value, '$.s'), "                \
      "json_extract(value, '$.t'), NULL FROM json_each($1) ORDER BY key")                                    \
    /* The counters of the commit's sent messages: $1 a JSON array of {a: account, c: campaign, */           \
    /* s: step, n: messages}, each (c, s) once (struct sent_count). */                                       \
    Y(S_COUNT_SENT_MANY,                                                                                     \
      "UPDATE campaign_analytics ca SET total_sent = ca.total_sent + g.n, updated_at = $2 FROM "             \
      "(SELECT x.a, x.c, SUM(x.n) AS n FROM json_to_recordset($1::json) AS x(a bigint, c bigint, s int, "    \
      "n bigint) GROUP BY x.a, x.c) g WHERE ca.account_id = g.a AND ca.campaign_id = g.c "                   \
      "AND ca.campaign_id = " KEYS_IN("c"),                                                                  \
      "UPDATE campaign_analytics SET total_sent = total_sent + g.n, updated_at = $2 FROM "                   \
      "(SELECT json_extract(value, '$.a') AS a, json_extract(value, '$.c') AS c, "                           \
      "SUM(json_extract(value, '$.n')) AS n FROM json_each($1) GROUP BY 1, 2) AS g "                         \
      "WHERE campaign_analytics.account_id = g.a AND campaign_analytics.campaign_id = g.c")                  \
    Y(S_STEPS_SENT_MANY,                                                                                     \
      "INSERT INTO campaign_steps(account_id, campaign_id, step, rows, sent, failed, skipped, read, "        \
      "replied, clicked) SELECT x.a, x.c, x.s, 0, x.n, 0, 0, 0, 0, 0 FROM json_to_recordset($1::json) "      \
      "AS x(a bigint, c bigint, s int, n bigint) ON CONFLICT(campaign_id, step) DO UPDATE SET "              \
      "sent = campaign_steps.sent + excluded.sent",                                                          \
      "INSERT INTO campaign_steps(account_id, campaign_id, step, rows, sent, failed, skipped, read, "        \
      "replied, clicked) SELECT json_extract(value, '$.a'), json_extract(value, '$.c'), "                    \
      "json_extract(value, '$.s'), 0, json_extract(value, '$.n'), 0, 0, 0, 0, 0 FROM json_each($1) "         \
      "WHERE true ON CONFLICT(campaign_id, step) DO UPDATE SET sent = campaign_steps.sent + excluded.sent")  \
    Y(S_CLAIM_MANY,                                                                                          \
      "UPDATE recipients r SET status = 'sending', random_id = COALESCE(r.random_id, x.d), "                 \
      "attempt = r.attempt + 1 FROM json_to_recordset($1::json) AS x(a bigint, i bigint, c bigint, p "       \
      "bigint, s int, t int, m bigint, d text) "                                                             \
      "WHERE r.account_id = x.a AND r.id = x.i AND r.status IN ('pending', 'sending') "                      \
      "AND r.id = " KEYS_IN("i") " RETURNING r.id",                                                          \
      "UPDATE recipients SET status = 'sending', "                                                           \
      "random_id = COALESCE(random_id, json_extract(e.value, '$.d')), attempt = attempt + 1 "                \
      "FROM json_each($1) AS e WHERE recipients.account_id = json_extract(e.value, '$.a') "                  \
      "AND recipients.id = json_extract(e.value, '$.i') AND recipients.status IN ('pending', 'sending') "    \
      "RETURNING id")                                                                                        \
    X(S_STEP_BUMP,                                                                                           \
      "INSERT INTO campaign_steps(account_id, campaign_id, step, rows, sent, failed, skipped, read, "        \
      "replied, clicked) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT(campaign_id, step) "   \
      "DO UPDATE SET rows = campaign_steps.rows + excluded.rows, sent = campaign_steps.sent + "              \
      "excluded.sent, "                                                                                      \
      "failed = campaign_steps.failed + excluded.failed, "                                                   \
      "skipped = campaign_steps.skipped + excluded.skipped, read = campaign_steps.read + excluded.read, "    \
      "replied = campaign_steps.replied + excluded.replied, "                                                \
      "clicked = campaign_steps.clicked + excluded.clicked")                                                 \
    /* Only for a campaign of the account: another account's call must not move its cutoff. */               \
    Y(S_STEP_THROUGH,                                                                                        \
      "INSERT INTO campaign_steps(account_id, campaign_id, step, scheduled_through) "                        \
      "SELECT $1, id, $3, $4 FROM campaigns WHERE id = $2 AND account_id = $1 "                              \
      "ON CONFLICT(campaign_id, step) DO UPDATE SET "                                                        \
      "scheduled_through = GREATEST(campaign_steps.scheduled_through, excluded.scheduled_through)",          \
      "INSERT INTO campaign_steps(account_id, campaign_id, step, scheduled_through) "                        \
      "SELECT $1, id, $3, $4 FROM campaigns WHERE id = $2 AND account_id = $1 "                              \
      "ON CONFLICT(campaign_id, step) DO UPDATE SET "                                                        \
      "scheduled_through = MAX(scheduled_through, excluded.scheduled_through)")                              \
    X(S_REPLIED, "UPDATE recipients SET replied_at = COALESCE(replied_at, $1) WHERE account_id = $2 "        \
                 "AND contact_id = $3 AND status = 'sent' AND sent_at >= $4 AND replied_at IS NULL "         \
                 "RETURNING campaign_id, step")                                                              \
    X(S_READ,                                                                                                \
      "UPDATE recipients SET read_at = COALESCE(read_at, $1) WHERE account_id = $2 AND contact_id = $3 "     \
      "AND status = 'sent' AND tg_message_id <= $4 AND read_at IS NULL RETURNING campaign_id, step")         \
    X(S_SKIP_NUDGES,                                                                                         \
      "UPDATE recipients SET status = 'skipped', error_code = $1 WHERE account_id = $2 "                     \
      "AND contact_id = $3 AND status = 'pending' AND step >= $4 RETURNING campaign_id, step")               \
    /* campaign reads: logs, counters, scorecard */                                                          \
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
    X(S_FAILURES, "SELECT code, n FROM campaign_failures WHERE account_id = $1 AND campaign_id = $2 ORDER "  \
                  "BY n DESC, code")                                                                         \
    X(S_STEP_COUNTS, "SELECT sent, replied, clicked FROM campaign_steps WHERE account_id = $1 "              \
                     "AND campaign_id = $2 AND step = $3")                                                   \
    X(S_LINK_STATS, "SELECT id, original_url, clicks, unique_clicks, revenue FROM trackable_links "          \
                    "WHERE account_id = $1 AND campaign_id = $2 ORDER BY id")                                \
    X(S_REVENUE_ROWS,                                                                                        \
      "SELECT key, orders, revenue FROM revenue_by WHERE account_id = $1 AND campaign_id = $2 "              \
      "AND kind = $3 ORDER BY revenue DESC, key")                                                            \
    X(S_READ_TIMES, "SELECT read_at FROM recipients WHERE account_id = $1 AND campaign_id = $2 "             \
                    "AND read_at IS NOT NULL")                                                               \
    /* clicks */                                                                                             \
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
    /* orders, attribution, revenue */                                                                       \
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
                    "SUM(amount)::bigint, COUNT(*) FROM orders "                                             \
                    "WHERE account_id = $1 AND status = 'paid' AND attributed_campaign_id IS NOT NULL "      \
                    "AND created_at >= $2 AND created_at < $3 AND currency = $4 GROUP BY b ORDER BY b")      \
    X(S_REV_CAMPAIGNS,                                                                                       \
      "SELECT o.attributed_campaign_id, c.name, SUM(o.amount)::bigint, COUNT(*) FROM orders o "              \
      "JOIN campaigns c ON c.id = o.attributed_campaign_id AND c.account_id = o.account_id "                 \
      "WHERE o.account_id = $1 AND o.status = 'paid' AND o.created_at >= $2 "                                \
      "AND o.created_at < $3 AND o.currency = $4 GROUP BY 1, 2 ORDER BY 3 DESC, 1")                          \
    X(S_CURRENCY_COUNT,                                                                                      \
      "INSERT INTO order_currencies(account_id, currency, orders) VALUES ($1, $2, 1) "                       \
      "ON CONFLICT(account_id, currency) DO UPDATE SET orders = order_currencies.orders + 1")                \
    /* (in key order: the most used is picked in C, as a sort costs more than the rows read) */              \
    X(S_ACCOUNT_CURRENCY, "SELECT currency, orders FROM order_currencies WHERE account_id = $1 "             \
                          "ORDER BY currency")                                                               \
    X(S_REV_CURRENCY,                                                                                        \
      "SELECT currency FROM orders WHERE account_id = $1 AND created_at >= $2 AND created_at < $3 "          \
      "AND is_test = 0 GROUP BY currency ORDER BY COUNT(*) DESC, currency LIMIT 1")                          \
    /* the shop's side: credentials, the orders list, import progress (issue 17) */                          \
    X(S_ACCOUNT_SET_PASSWORD, "UPDATE accounts SET password_hash = $1 WHERE id = $2")                        \
    X(S_ACCOUNT_REVOKE, "UPDATE accounts SET token_gen = token_gen + 1 WHERE id = $1 RETURNING token_gen")   \
    X(S_ACCOUNT_SET_KEY, "UPDATE accounts SET api_key = $1 WHERE id = $2")                                   \
    X(S_ORDERS_PAGE,                                                                                         \
      "SELECT id, order_id, amount, currency, status, created_at, COALESCE(attributed_campaign_id, 0), "     \
      "COALESCE(attributed_by, ''), is_test FROM orders WHERE account_id = $1 AND id < $2 "                  \
      "ORDER BY id DESC LIMIT $3")                                                                           \
    X(S_ORDER_MARK_TEST, "UPDATE orders SET is_test = 1 WHERE account_id = $1 AND id = $2")                  \
    X(S_IMPORT_PUT,                                                                                          \
      "INSERT INTO order_imports(account_id, id, lines, bytes_done, bytes_total, finished, updated_at) "     \
      "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT(account_id, id) DO UPDATE SET "                       \
      "lines = excluded.lines, bytes_done = excluded.bytes_done, bytes_total = excluded.bytes_total, "       \
      "finished = excluded.finished, updated_at = excluded.updated_at")                                      \
    X(S_IMPORT_GET, "SELECT lines, bytes_done, bytes_total, finished, updated_at FROM order_imports "        \
                    "WHERE account_id = $1 AND id = $2")                                                     \
    X(S_IMPORTS_PRUNE, "DELETE FROM order_imports WHERE account_id = $1 AND updated_at < $2")                \
    /* engine leases (DESIGN §4) */                                                                         \
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
    X(S_LEASE_HANDED, "UPDATE engine_leases SET expires_at = 0 WHERE account_id = $1 AND owner = $2")        \
    /* segments and scheduled starts (issue 16) */                                                           \
    X(S_SEGMENT_INSERT, "INSERT INTO segments(account_id, name, filters_json, created_at, updated_at) "      \
                        "VALUES ($1, $2, $3, $4, $4) RETURNING id")                                          \
    X(S_SEGMENT_UPDATE, "UPDATE segments SET name = $1, filters_json = $2, updated_at = $3 "                 \
                        "WHERE account_id = $4 AND id = $5")                                                 \
    X(S_SEGMENT_GET, "SELECT " SEGMENT_COLS " FROM segments WHERE account_id = $1 AND id = $2")              \
    X(S_SEGMENT_LIST, "SELECT " SEGMENT_COLS " FROM segments WHERE account_id = $1 ORDER BY id")             \
    X(S_SEGMENT_DELETE, "DELETE FROM segments WHERE account_id = $1 AND id = $2")                            \
    Y(S_SEGMENT_CAMPAIGNS,                                                                                   \
      "SELECT COUNT(*) FROM campaigns WHERE account_id = $1 AND segment_id = $2 "                            \
      "AND status = ANY (string_to_array($3::text, ','))",                                                   \
      "SELECT COUNT(*) FROM campaigns WHERE account_id = $1 AND segment_id = $2 "                            \
      "AND instr(',' || $3 || ',', ',' || status || ',') > 0")                                               \
    X(S_CAMPAIGN_AUDIENCE, "UPDATE campaigns SET segment_id = $1, filters_json = $2, updated_at = $3 "       \
                           "WHERE account_id = $4 AND id = $5")                                              \
    X(S_CAMPAIGN_START_AT, "UPDATE campaigns SET start_at = $1, override_quiet_hours = $2, updated_at = $3 " \
                           "WHERE account_id = $4 AND id = $5")                                              \
    X(S_SCHEDULED_DUE, "SELECT account_id, id, start_at FROM campaigns WHERE status = 'scheduled' "          \
                       "AND start_at <= $1 ORDER BY start_at, id LIMIT $2")                                  \
    /* where a campaign's messages are in the send queue (issue 18) */                                       \
    /* The account is asked of the campaign once, not of each row: MAX and COUNT then read          */       \
    /* recipients_results alone (one probe; a covering range), not the table row of each entry.    */        \
    X(S_QUEUE_LAST, "SELECT COALESCE(MAX(id), 0) FROM recipients WHERE campaign_id = $2 AND step = $3 "      \
                    "AND status = 'pending' AND EXISTS (SELECT 1 FROM campaigns WHERE id = $2 "              \
                    "AND account_id = $1)")                                                                  \
    X(S_QUEUE_BEFORE, "SELECT COUNT(*) FROM recipients WHERE campaign_id = $2 AND step = $3 "                \
                      "AND status = 'pending' AND id < $4 AND EXISTS (SELECT 1 FROM campaigns "              \
                      "WHERE id = $2 AND account_id = $1)")                                                  \
    /* Every pending row of the step: the open rows of its counters less those being sent.          */       \
    X(S_QUEUE_ALL, "SELECT COALESCE((SELECT rows - sent - failed - skipped FROM campaign_steps "             \
                   "WHERE account_id = $1 AND campaign_id = $2 AND step = $3), 0) - (SELECT COUNT(*) "       \
                   "FROM recipients WHERE account_id = $1 AND campaign_id = $2 AND step = $3 "               \
                   "AND status = 'sending')")                                                                \
    SEALED_STMTS(X)                                                                                          \
    PEOPLE_STMTS(X)                                                                                          \
    WEBHOOK_STMTS(X, Y)                                                                                      \
    PRIVACY_STMTS(X)

enum stmt_id {
#define SQL_X(id, sql)         id,
#define SQL_Y(id, pg, sqlite_) id,
    STMTS(SQL_X, SQL_Y)
#undef SQL_X
#undef SQL_Y
        S__COUNT
};

/* The statement's name, for messages ("S_ACCOUNT_GET"). */
const char *sql_name(enum stmt_id id);

/* PostgreSQL's text of statement id (static). */
const char *sql_pg(enum stmt_id id);

/* SQLite's text of statement id, derived as the header comment says. @return malloc'd, or NULL
 * when out of memory */
char *sql_sqlite(enum stmt_id id);

#endif
