/* migrations — the numbered schema migrations of both backends, embedded in the binary and
 * written once. Migration N is sqlite_migrations[N-1] and pg_migrations[N-1]; a migration, once
 * released, never changes: later changes are new entries. The schema follows DESIGN §2: the
 * seed's tables with their seed columns, account_id on every tenant table, and the indexes the
 * API's queries need; *_bidx columns hold keyed blind indexes. The dialects differ in three type
 * names, the parameters of MIGRATIONS: ID the row id (SQLite's INTEGER PRIMARY KEY, a BIGINT
 * identity on PostgreSQL), INT every integer (times in unix ms, counters, money in minor units)
 * and BYTES sealed values (seal.h; BLOB, BYTEA); DIALECT(sqlite, postgresql) holds a statement
 * written twice. */
#include "store/migrations.h"

#include <stddef.h>

/* clang-format off */
#define MIGRATIONS(ID, INT, BYTES, DIALECT) {                                                                \
    /* 1: the whole initial schema. */                                                                       \
    "CREATE TABLE accounts ("                                                                                \
    "  id " ID ","                                                                                           \
    "  email TEXT NOT NULL UNIQUE,"                                                                          \
    "  api_key TEXT UNIQUE," /* keyed hash of the API key; the key itself is shown once */                   \
    "  plan_type TEXT NOT NULL DEFAULT 'free',"                                                              \
    "  password_hash TEXT NOT NULL,"                                                                         \
    "  timezone TEXT NOT NULL DEFAULT 'UTC',"                                                                \
    "  frequency_cap_days " INT " NOT NULL DEFAULT 2,"                                                       \
    "  webhook_secret " BYTES "," /* sealed */                                                               \
    "  created_at " INT " NOT NULL"                                                                          \
    ");"                                                                                                     \
    "CREATE TABLE telegram_sessions ("                                                                       \
    "  account_id " INT " PRIMARY KEY REFERENCES accounts(id),"                                              \
    "  encrypted_session_data " BYTES ","                                                                    \
    "  status TEXT NOT NULL DEFAULT 'none',"                                                                 \
    "  phone " BYTES ","                                                                                     \
    "  tg_user_id TEXT,"                                                                                     \
    "  updated_at " INT " NOT NULL"                                                                          \
    ");"                                                                                                     \
    "CREATE TABLE contacts ("                                                                                \
    "  id " ID ","                                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  tg_user_id TEXT NOT NULL,"                                                                            \
    "  access_hash " BYTES ", first_name " BYTES ", last_name " BYTES ", "                                   \
    "username " BYTES ", phone " BYTES ","                                                                   \
    "  phone_bidx TEXT, username_bidx TEXT,"                                                                 \
    "  first_inbound_at " INT ", last_inbound_at " INT ","                                                   \
    "  inbound_count " INT " NOT NULL DEFAULT 0,"                                                            \
    "  last_read_max_id " INT " NOT NULL DEFAULT 0,"                                                         \
    "  opted_out_at " INT ", blocked_at " INT ", deactivated_at " INT ","                                    \
    "  created_at " INT " NOT NULL, updated_at " INT " NOT NULL,"                                            \
    "  UNIQUE (account_id, tg_user_id)"                                                                      \
    ");"                                                                                                     \
    "CREATE INDEX contacts_phone ON contacts(account_id, phone_bidx);"                                       \
    "CREATE INDEX contacts_username ON contacts(account_id, username_bidx);"                                 \
    "CREATE INDEX contacts_last_inbound ON contacts(account_id, last_inbound_at);"                           \
    "CREATE TABLE inbound_messages ("                                                                        \
    "  id " ID ","                                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  contact_id " INT " NOT NULL REFERENCES contacts(id),"                                                 \
    "  tg_message_id " INT " NOT NULL,"                                                                      \
    "  text " BYTES "," /* sealed */                                                                         \
    "  date " INT " NOT NULL,"                                                                               \
    "  UNIQUE (account_id, contact_id, tg_message_id)"                                                       \
    ");"                                                                                                     \
    "CREATE INDEX inbound_by_contact ON inbound_messages(account_id, contact_id, date);"                     \
    "CREATE TABLE customer_categories ("                                                                     \
    "  id " ID ","                                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  contact_id " INT " NOT NULL REFERENCES contacts(id),"                                                 \
    "  user_phone " BYTES ","                /* sealed, as the seed has it */                                \
    "  category " BYTES " NOT NULL,"         /* sealed */                                                    \
    "  confidence_score " BYTES " NOT NULL," /* sealed */                                                    \
    "  updated_at " INT " NOT NULL,"                                                                         \
    "  UNIQUE (account_id, contact_id)"                                                                      \
    ");"                                                                                                     \
    "CREATE TABLE media ("                                                                                   \
    "  id " ID ","                                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  kind TEXT NOT NULL, mime TEXT NOT NULL, size " INT " NOT NULL, sha256 TEXT NOT NULL,"                 \
    "  storage_key TEXT NOT NULL,"                                                                           \
    "  created_at " INT " NOT NULL"                                                                          \
    ");"                                                                                                     \
    "CREATE INDEX media_by_account ON media(account_id, id);"                                                \
    "CREATE TABLE campaigns ("                                                                               \
    "  id " ID ","                                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  name TEXT NOT NULL,"                                                                                  \
    "  message_text TEXT NOT NULL,"                                                                          \
    "  status TEXT NOT NULL DEFAULT 'draft',"                                                                \
    "  filters_json TEXT, quiet_hours_json TEXT, nudge_settings_json TEXT,"                                  \
    "  track_links " INT " NOT NULL DEFAULT 1,"                                                              \
    "  discount_json TEXT,"                                                                                  \
    "  override_quiet_hours " INT " NOT NULL DEFAULT 0,"                                                     \
    "  created_at " INT " NOT NULL, updated_at " INT " NOT NULL,"                                            \
    "  started_at " INT ", finished_at " INT ", pause_reason TEXT"                                           \
    ");"                                                                                                     \
    "CREATE INDEX campaigns_by_account ON campaigns(account_id, status);"                                    \
    "CREATE TABLE campaign_media ("                                                                          \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  campaign_id " INT " NOT NULL REFERENCES campaigns(id),"                                               \
    "  media_id " INT " NOT NULL REFERENCES media(id),"                                                      \
    "  position " INT " NOT NULL,"                                                                           \
    "  PRIMARY KEY (campaign_id, position)"                                                                  \
    ");"                                                                                                     \
    "CREATE TABLE recipients ("                                                                              \
    "  id " ID ","                                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  campaign_id " INT " NOT NULL REFERENCES campaigns(id),"                                               \
    "  contact_id " INT " NOT NULL REFERENCES contacts(id),"                                                 \
    "  step " INT " NOT NULL DEFAULT 0,"                                                                     \
    "  status TEXT NOT NULL DEFAULT 'pending',"                                                              \
    "  random_id TEXT,"                                                                                      \
    "  discount_code " BYTES "," /* sealed */                                                                \
    "  attempt " INT " NOT NULL DEFAULT 0,"                                                                  \
    "  next_attempt_at " INT " NOT NULL DEFAULT 0,"                                                          \
    "  tg_message_id " INT ","                                                                               \
    "  error_code TEXT,"                                                                                     \
    "  sent_at " INT ", read_at " INT ", replied_at " INT ", clicked_at " INT ","                            \
    "  created_at " INT " NOT NULL,"                                                                         \
    "  UNIQUE (campaign_id, contact_id, step)"                                                               \
    ");"                                                                                                     \
    "CREATE INDEX recipients_due ON recipients(account_id, status, next_attempt_at);"                        \
    "CREATE INDEX recipients_by_contact ON recipients(account_id, contact_id, sent_at);"                     \
    "CREATE TABLE sent_logs ("                                                                               \
    "  id " ID ","                                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  campaign_id " INT " NOT NULL REFERENCES campaigns(id),"                                               \
    "  user_phone " BYTES "," /* sealed, as the seed has it */                                               \
    "  status TEXT NOT NULL,"                                                                                \
    "  error_details TEXT,"                                                                                  \
    "  timestamp " INT " NOT NULL,"                                                                          \
    "  contact_id " INT ", step " INT ", attempt " INT ", error_code TEXT"                                   \
    ");"                                                                                                     \
    "CREATE INDEX sent_logs_by_campaign ON sent_logs(account_id, campaign_id, id);"                          \
    "CREATE TABLE trackable_links ("                                                                         \
    "  id " ID ","                                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  campaign_id " INT " NOT NULL REFERENCES campaigns(id),"                                               \
    "  original_url TEXT NOT NULL,"                                                                          \
    "  tracking_code TEXT NOT NULL UNIQUE,"                                                                  \
    "  clicks " INT " NOT NULL DEFAULT 0,"                                                                   \
    "  unique_clicks " INT " NOT NULL DEFAULT 0,"                                                            \
    "  revenue " INT " NOT NULL DEFAULT 0"                                                                   \
    ");"                                                                                                     \
    "CREATE INDEX links_by_campaign ON trackable_links(account_id, campaign_id);"                            \
    "CREATE TABLE link_clicks ("                                                                             \
    "  id " ID ","                                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  link_id " INT " NOT NULL REFERENCES trackable_links(id),"                                             \
    "  recipient_id " INT " REFERENCES recipients(id),"                                                      \
    "  at " INT " NOT NULL"                                                                                  \
    ");"                                                                                                     \
    "CREATE INDEX clicks_by_link ON link_clicks(account_id, link_id, recipient_id);"                         \
    "CREATE TABLE discount_codes ("                                                                          \
    "  id " ID ","                                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  campaign_id " INT " NOT NULL REFERENCES campaigns(id),"                                               \
    "  code " BYTES " NOT NULL," /* sealed */                                                                \
    "  code_bidx TEXT NOT NULL,"                                                                             \
    "  recipient_id " INT " REFERENCES recipients(id),"                                                      \
    "  assigned_at " INT                                                                                     \
    ");"                                                                                                     \
    "CREATE INDEX codes_by_bidx ON discount_codes(account_id, code_bidx);"                                   \
    "CREATE INDEX codes_free ON discount_codes(account_id, campaign_id, recipient_id);"                      \
    "CREATE TABLE orders ("                                                                                  \
    "  id " ID ","                                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  order_id TEXT NOT NULL,"                                                                              \
    "  amount " INT " NOT NULL,"                                                                             \
    "  currency TEXT NOT NULL,"                                                                              \
    "  status TEXT NOT NULL,"                                                                                \
    "  created_at " INT " NOT NULL,"                                                                         \
    "  contact_id " INT " REFERENCES contacts(id),"                                                          \
    "  discount_code_bidx TEXT, ref TEXT,"                                                                   \
    "  attributed_campaign_id " INT " REFERENCES campaigns(id),"                                             \
    "  attributed_recipient_id " INT ", attributed_link_id " INT ","                                         \
    "  body_hash TEXT,"                                                                                      \
    "  received_at " INT " NOT NULL,"                                                                        \
    "  UNIQUE (account_id, order_id)"                                                                        \
    ");"                                                                                                     \
    "CREATE INDEX orders_by_contact ON orders(account_id, contact_id, created_at);"                          \
    "CREATE INDEX orders_by_campaign ON orders(account_id, attributed_campaign_id);"                         \
    "CREATE TABLE campaign_analytics ("                                                                      \
    "  id " ID ","                                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  campaign_id " INT " NOT NULL UNIQUE REFERENCES campaigns(id),"                                        \
    "  total_sent " INT " NOT NULL DEFAULT 0,"                                                               \
    "  total_failed " INT " NOT NULL DEFAULT 0,"                                                             \
    "  total_clicks " INT " NOT NULL DEFAULT 0,"                                                             \
    "  unique_clicks " INT " NOT NULL DEFAULT 0,"                                                            \
    "  total_revenue " INT " NOT NULL DEFAULT 0,"                                                            \
    "  total_orders " INT " NOT NULL DEFAULT 0,"                                                             \
    "  total_read " INT " NOT NULL DEFAULT 0,"                                                               \
    "  total_replied " INT " NOT NULL DEFAULT 0,"                                                            \
    "  total_opted_out " INT " NOT NULL DEFAULT 0,"                                                          \
    "  best_performing_lines TEXT,"                                                                          \
    "  updated_at " INT " NOT NULL"                                                                          \
    ");"                                                                                                     \
    "CREATE TABLE meta ("                                                                                    \
    "  key TEXT PRIMARY KEY,"                                                                                \
    "  value TEXT NOT NULL"                                                                                  \
    ");",                                                                                                    \
    /* 2: lookups the campaign, media and order routes need. */                                              \
    "CREATE UNIQUE INDEX links_by_url ON trackable_links(campaign_id, original_url);"                        \
    "CREATE UNIQUE INDEX media_by_sha ON media(account_id, sha256);"                                         \
    "CREATE UNIQUE INDEX codes_by_campaign ON discount_codes(campaign_id, code_bidx);"                       \
    "CREATE INDEX orders_by_bidx ON orders(account_id, discount_code_bidx);"                                 \
    "CREATE INDEX recipients_by_campaign ON recipients(account_id, campaign_id, contact_id);",               \
    /* 3: who an order names, kept so that an order that arrives before its customer has written             \
     * (no contact yet) is linked when the contact appears. */                                               \
    "ALTER TABLE orders ADD COLUMN customer_tg_user_id TEXT;"                                                \
    "ALTER TABLE orders ADD COLUMN customer_phone_bidx TEXT;"                                                \
    "ALTER TABLE orders ADD COLUMN customer_username_bidx TEXT;"                                             \
    "CREATE INDEX orders_unlinked ON orders(account_id, contact_id);",                                       \
    /* 4: revenue attribution, kept up to date as orders arrive (never recomputed on read). */               \
    "ALTER TABLE orders ADD COLUMN attributed_step " INT ";"                                                 \
    "ALTER TABLE orders ADD COLUMN attributed_code_id " INT ";"                                              \
    "ALTER TABLE orders ADD COLUMN attributed_by TEXT;"                                                      \
    "ALTER TABLE campaign_analytics ADD COLUMN cat_buyer " INT " NOT NULL DEFAULT 0;"                        \
    "ALTER TABLE campaign_analytics ADD COLUMN cat_browser " INT " NOT NULL DEFAULT 0;"                      \
    "ALTER TABLE campaign_analytics ADD COLUMN cat_refund_risk " INT " NOT NULL DEFAULT 0;"                  \
    "CREATE TABLE revenue_by ("                                                                              \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  campaign_id " INT " NOT NULL REFERENCES campaigns(id),"                                               \
    "  kind TEXT NOT NULL,"  /* step, link, code */                                                          \
    "  key " INT " NOT NULL," /* step number, link id, code id */                                            \
    "  orders " INT " NOT NULL DEFAULT 0,"                                                                   \
    "  revenue " INT " NOT NULL DEFAULT 0,"                                                                  \
    "  PRIMARY KEY (campaign_id, kind, key)"                                                                 \
    ");"                                                                                                     \
    "CREATE INDEX orders_by_time ON orders(account_id, created_at);",                                        \
    /* 5: per-step counters kept as rows change state, so analytics reads a few rows instead of              \
     * counting a million recipients (API.md: counters are real-time, not recomputed per request). */        \
    "CREATE TABLE campaign_steps ("                                                                          \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  campaign_id " INT " NOT NULL REFERENCES campaigns(id),"                                               \
    "  step " INT " NOT NULL,"                                                                               \
    "  rows " INT " NOT NULL DEFAULT 0, sent " INT " NOT NULL DEFAULT 0, failed " INT " NOT NULL DEFAULT 0," \
    "  skipped " INT " NOT NULL DEFAULT 0, read " INT " NOT NULL DEFAULT 0, "                                \
    "replied " INT " NOT NULL DEFAULT 0,"                                                                    \
    "  clicked " INT " NOT NULL DEFAULT 0,"                                                                  \
    /* nudges: step-1 rows sent up to here are scheduled */                                                  \
    "  scheduled_through " INT " NOT NULL DEFAULT 0,"                                                        \
    "  PRIMARY KEY (campaign_id, step)"                                                                      \
    ");"                                                                                                     \
    DIALECT(                                                                                                 \
    "INSERT INTO campaign_steps(account_id, campaign_id, step, rows, sent, failed, skipped, read, replied, " \
    "clicked) "                                                                                              \
    "  SELECT account_id, campaign_id, step, COUNT(*), SUM(status = 'sent'), SUM(status = 'failed'), "       \
    "  SUM(status = 'skipped'), SUM(read_at IS NOT NULL), SUM(replied_at IS NOT NULL), "                     \
    "SUM(clicked_at IS NOT "                                                                                 \
    "NULL) "                                                                                                 \
    "  FROM recipients GROUP BY campaign_id, step;",                                                         \
    "INSERT INTO campaign_steps(account_id, campaign_id, step, rows, sent, failed, skipped, read, replied, " \
    "clicked) "                                                                                              \
    "  SELECT account_id, campaign_id, step, COUNT(*), COUNT(*) FILTER (WHERE status = 'sent'), "            \
    "  COUNT(*) FILTER (WHERE status = 'failed'), COUNT(*) FILTER (WHERE status = 'skipped'), "              \
    "  COUNT(read_at), COUNT(replied_at), COUNT(clicked_at) "                                                \
    "  FROM recipients GROUP BY account_id, campaign_id, step;"                                              \
    )                                                                                                        \
    "CREATE TABLE campaign_failures ("                                                                       \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  campaign_id " INT " NOT NULL REFERENCES campaigns(id),"                                               \
    "  code TEXT NOT NULL,"                                                                                  \
    "  n " INT " NOT NULL DEFAULT 0,"                                                                        \
    "  PRIMARY KEY (campaign_id, code)"                                                                      \
    ");"                                                                                                     \
    DIALECT(                                                                                                 \
    "INSERT INTO campaign_failures(account_id, campaign_id, code, n) SELECT account_id, campaign_id, "       \
    "error_code, "                                                                                           \
    "  COUNT(*) FROM recipients WHERE status = 'failed' AND error_code IS NOT NULL GROUP BY campaign_id, "   \
    "error_code;",                                                                                           \
    "INSERT INTO campaign_failures(account_id, campaign_id, code, n) SELECT account_id, campaign_id, "       \
    "error_code, "                                                                                           \
    "  COUNT(*) FROM recipients WHERE status = 'failed' AND error_code IS NOT NULL "                         \
    "  GROUP BY account_id, campaign_id, error_code;"                                                        \
    )                                                                                                        \
    "CREATE INDEX recipients_step_sent ON recipients(campaign_id, step, status, sent_at);",                  \
    /* 6: several instances on one database — who sends for which account (store.h leases). */               \
    "CREATE TABLE engine_leases ("                                                                           \
    "  account_id " INT " PRIMARY KEY REFERENCES accounts(id),"                                              \
    "  owner TEXT NOT NULL,"                                                                                 \
    "  expires_at " INT " NOT NULL,"                                                                         \
    "  epoch " INT " NOT NULL DEFAULT 1" /* +1 at every change of owner */                                   \
    ");"                                                                                                     \
    "CREATE INDEX engine_leases_owner ON engine_leases(owner);"                                              \
    "CREATE TABLE engine_instances ("                                                                        \
    "  id TEXT PRIMARY KEY,"                                                                                 \
    "  seen_at " INT " NOT NULL"                                                                             \
    ");",                                                                                                    \
    /* 7: account safety (issue 15) — the daily limit and the error streak per account, a frozen   */       \
    /* account, contacts that charge Stars or keep the account out by privacy, the code of an       */       \
    /* error_streak pause, and the index the daily count reads.                                     */       \
    "ALTER TABLE accounts ADD COLUMN daily_send_limit " INT " NOT NULL DEFAULT 0;"                           \
    "ALTER TABLE accounts ADD COLUMN error_streak_limit " INT " NOT NULL DEFAULT 5;"                         \
    "ALTER TABLE telegram_sessions ADD COLUMN frozen_at " INT ";"                                            \
    "ALTER TABLE contacts ADD COLUMN privacy_restricted_at " INT ";"                                         \
    "ALTER TABLE contacts ADD COLUMN charges_at " INT ";"                                                    \
    "ALTER TABLE contacts ADD COLUMN charges_stars " INT ";"                                                 \
    "ALTER TABLE campaigns ADD COLUMN pause_code TEXT;"                                                      \
    "CREATE INDEX recipients_sent_at ON recipients(account_id, sent_at);",                                   \
    /* 8: results per person and contact timelines (issue 16) — the contact audit log (opt-outs by   */       \
    /* hand and by a stop message, opt-ins, category changes; details sealed), with the opt-outs     */       \
    /* made before it; a page of a campaign's recipients per step and status in id order; the clicks */       \
    /* and credited orders of one recipient row; a contact's failed campaign messages.               */       \
    "CREATE TABLE contact_audit ("                                                                           \
    "  id " ID ","                                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  contact_id " INT " NOT NULL REFERENCES contacts(id),"                                                 \
    "  kind TEXT NOT NULL,"   /* opted_out, opted_in, category_changed */                                    \
    "  actor TEXT NOT NULL,"  /* user, api_key, system */                                                    \
    "  source TEXT NOT NULL," /* api, stop_message, classification, before_audit */                          \
    "  at " INT " NOT NULL,"                                                                                 \
    "  details " BYTES        /* sealed JSON, row key "<account_id>:<contact_id>" */                         \
    ");"                                                                                                     \
    "CREATE INDEX contact_audit_by_contact ON contact_audit(account_id, contact_id, at);"                    \
    "INSERT INTO contact_audit(account_id, contact_id, kind, actor, source, at) "                            \
    "  SELECT account_id, id, 'opted_out', 'system', 'before_audit', opted_out_at FROM contacts "            \
    "  WHERE opted_out_at IS NOT NULL;"                                                                      \
    "CREATE INDEX recipients_results ON recipients(campaign_id, step, status, id);"                          \
    "CREATE INDEX clicks_by_recipient ON link_clicks(account_id, recipient_id);"                             \
    "CREATE INDEX orders_by_recipient ON orders(account_id, attributed_recipient_id);"                       \
    "CREATE INDEX sent_logs_by_contact ON sent_logs(account_id, contact_id, \"timestamp\");",                \
    /* 9: saved segments, and the campaign's segment and scheduled start (issue 16). A segment's    */       \
    /* filters are read when its campaign starts; deleting one that started campaigns name leaves   */       \
    /* them without it (their filters were copied at the start).                                   */       \
    "CREATE TABLE segments ("                                                                                \
    "  id " ID ","                                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  name TEXT NOT NULL,"                                                                                  \
    "  filters_json TEXT NOT NULL,"                                                                          \
    "  created_at " INT " NOT NULL, updated_at " INT " NOT NULL"                                             \
    ");"                                                                                                     \
    "CREATE INDEX segments_account ON segments(account_id, id);"                                             \
    "ALTER TABLE campaigns ADD COLUMN segment_id " INT " REFERENCES segments(id) ON DELETE SET NULL;"        \
    "ALTER TABLE campaigns ADD COLUMN start_at " INT ";"                                                     \
    "CREATE INDEX campaigns_segment ON campaigns(segment_id);"                                               \
    "CREATE INDEX campaigns_start_at ON campaigns(status, start_at);",                                       \
    /* 10: the shop's side (issue 17) — a token generation per account (a password change or     */         \
    /* "sign out everywhere" raises it; tokens of an earlier one are refused), test orders (kept */         \
    /* out of revenue), the orders list newest first, and the progress of a CSV import that any  */         \
    /* instance can read.                                                                          */       \
    "ALTER TABLE accounts ADD COLUMN token_gen " INT " NOT NULL DEFAULT 0;"                                  \
    "ALTER TABLE orders ADD COLUMN is_test " INT " NOT NULL DEFAULT 0;"                                      \
    "CREATE INDEX orders_newest ON orders(account_id, id);"                                                  \
    "CREATE TABLE order_imports ("                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  id TEXT NOT NULL," /* chosen by the client: ?progress= of POST /orders/import */                     \
    "  lines " INT " NOT NULL DEFAULT 0,"                                                                    \
    "  bytes_done " INT " NOT NULL DEFAULT 0,"                                                               \
    "  bytes_total " INT " NOT NULL DEFAULT 0,"                                                              \
    "  finished " INT " NOT NULL DEFAULT 0,"                                                                 \
    "  updated_at " INT " NOT NULL,"                                                                         \
    "  PRIMARY KEY (account_id, id)"                                                                         \
    ");",                                                                                                    \
    /* 11: outgoing webhooks (issue 19) — the endpoints (events as bits of enum webhook_event, the */        \
    /* secret sealed under "<account_id>:<id>"), the events some endpoint wanted, and the outbox of */       \
    /* deliveries, one row per (event, endpoint), claimed by one instance at a time with a lease.   */       \
    "CREATE TABLE webhooks ("                                                                                \
    "  id " ID ","                                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  url TEXT NOT NULL,"                                                                                   \
    "  events " INT " NOT NULL,"                                                                             \
    "  description TEXT NOT NULL DEFAULT '',"                                                                \
    "  secret " BYTES ","                                                                                    \
    "  created_at " INT " NOT NULL"                                                                          \
    ");"                                                                                                     \
    "CREATE INDEX webhooks_account ON webhooks(account_id, id);"                                             \
    "CREATE TABLE webhook_events ("                                                                          \
    "  id " ID ","                                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  type TEXT NOT NULL,"                                                                                  \
    "  created_at " INT " NOT NULL,"                                                                         \
    "  data TEXT NOT NULL"                                                                                   \
    ");"                                                                                                     \
    "CREATE INDEX webhook_events_created ON webhook_events(created_at);"                                     \
    "CREATE TABLE webhook_deliveries ("                                                                      \
    "  id " ID ","                                                                                           \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  webhook_id " INT " NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,"                               \
    "  event_id " INT " NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,"                           \
    "  status TEXT NOT NULL DEFAULT 'pending'," /* pending, delivered, failed (given up) */                  \
    "  attempts " INT " NOT NULL DEFAULT 0,"                                                                 \
    "  next_attempt_at " INT " NOT NULL,"                                                                    \
    "  last_attempt_at " INT ","                                                                             \
    "  last_status_code " INT ","                                                                            \
    "  last_error TEXT,"                                                                                     \
    "  claimed_by TEXT,"                                                                                     \
    "  lease_until " INT " NOT NULL DEFAULT 0"                                                               \
    ");"                                                                                                     \
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';"   \
    "CREATE INDEX webhook_deliveries_leased ON webhook_deliveries(webhook_id) WHERE lease_until > 0;"        \
    "CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries(webhook_id, id);"                      \
    "CREATE INDEX webhook_deliveries_event ON webhook_deliveries(event_id);",                                \
    /* 12: privacy and the audit log (issue 19 items 2 and 3). An erased contact stays as a row   */         \
    /* without anything about the person (erased_at set), so that the campaign rows naming it keep */        \
    /* their counts; erasures keeps the keyed hash of the person's Telegram user id, so that old  */         \
    /* history synced again does not bring them back. audit_log is the account's append-only log  */         \
    /* of who did what (account_id NULL: an instance-wide entry, as a master key rotation); its    */        \
    /* triggers refuse every UPDATE and DELETE (and TRUNCATE on PostgreSQL).                       */        \
    "ALTER TABLE contacts ADD COLUMN erased_at " INT ";"                                                     \
    "CREATE TABLE erasures ("                                                                                \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  tg_user_bidx TEXT NOT NULL," /* keyed blind index of the Telegram user id */                          \
    "  erased_at " INT " NOT NULL,"                                                                          \
    "  PRIMARY KEY (account_id, tg_user_bidx)"                                                               \
    ");"                                                                                                     \
    "CREATE TABLE audit_log ("                                                                               \
    "  id " ID ","                                                                                           \
    "  account_id " INT " REFERENCES accounts(id),"                                                          \
    "  at " INT " NOT NULL,"                                                                                 \
    "  actor TEXT NOT NULL,"  /* user, api_key, system */                                                    \
    "  ip TEXT,"                                                                                             \
    "  action TEXT NOT NULL," /* core/audit.h AUDIT_ACTIONS */                                               \
    "  target TEXT,"          /* "campaign:7", "contact:12", … */                                            \
    "  details TEXT"          /* a JSON object of the keys core/audit.c allows */                            \
    ");"                                                                                                     \
    "CREATE INDEX audit_log_by_account ON audit_log(account_id, id);"                                        \
    DIALECT(                                                                                                 \
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "                                         \
    "  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"                                          \
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "                                         \
    "  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;",                                         \
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "                           \
    "  $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;"                                         \
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "                               \
    "  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();"                                               \
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "                                     \
    "  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();"                                         \
    ),                                                                                                       \
    /* 13: a million contacts (issue 21 item 4, DECISIONS 79). The audience scan reads one index   */        \
    /* in id order instead of every contact's row (names, phone, access hash: most of a row's      */        \
    /* bytes) in last-message order and sorting; category_tag (core/categories.c, a keyed SipHash */        \
    /* of the sealed category, NULL until the contact is classified again) takes the category     */        \
    /* into that index, so the scan opens no sealed category and joins no other table. It serves   */       \
    /* the last-message filter too, which was contacts_last_inbound's only reader: that index goes, */       \
    /* one less to write for every contact a sync adds and every message it counts.               */        \
    "ALTER TABLE contacts ADD COLUMN category_tag " INT ";"                                                  \
    "CREATE INDEX contacts_audience ON contacts(account_id, id, last_inbound_at, opted_out_at, "             \
    "blocked_at, deactivated_at, erased_at, charges_at, privacy_restricted_at, category_tag);"               \
    "DROP INDEX contacts_last_inbound;",                                                                     \
    /* 14: the account's currency kept as a count of its orders per currency (issue 21 item 5):   */        \
    /* every analytics read asked for the most used one, a GROUP BY over all the account's orders */        \
    /* (17 ms at 37,500 orders). Test orders are not counted, as they never were.                 */        \
    "CREATE TABLE order_currencies ("                                                                        \
    "  account_id " INT " NOT NULL REFERENCES accounts(id),"                                                 \
    "  currency TEXT NOT NULL,"                                                                              \
    "  orders " INT " NOT NULL DEFAULT 0,"                                                                   \
    "  PRIMARY KEY (account_id, currency)"                                                                   \
    ");"                                                                                                     \
    "INSERT INTO order_currencies(account_id, currency, orders) "                                            \
    "  SELECT account_id, currency, COUNT(*) FROM orders WHERE is_test = 0 GROUP BY account_id, currency;", \
    /* 15: fewer index entries to write per message (issue 21 item 2, DECISIONS 97). The claim and  */       \
    /* the outcome of every message changed its row in five indexes holding status or sent_at;     */       \
    /* three of them are read for some rows only, and now hold only those: recipients_due the rows */       \
    /* still to send (a sent row leaves it, nothing goes in), recipients_step_sent the sent ones   */       \
    /* (the nudges' reads; a claim no longer touches it) and recipients_sent_at those with a time. */       \
    /* The reads name the index's condition as it is written (SQLite uses a partial index only    */       \
    /* when the query's WHERE holds that term, or one side of its OR).                            */       \
    "DROP INDEX recipients_due;"                                                                             \
    "CREATE INDEX recipients_due ON recipients(account_id, status, next_attempt_at) "                        \
    "  WHERE status = 'pending' OR status = 'sending';"                                                      \
    "DROP INDEX recipients_step_sent;"                                                                       \
    "CREATE INDEX recipients_step_sent ON recipients(campaign_id, step, status, sent_at) WHERE status = 'sent';"\
    "DROP INDEX recipients_sent_at;"                                                                         \
    "CREATE INDEX recipients_sent_at ON recipients(account_id, sent_at) WHERE sent_at IS NOT NULL;",          \
    NULL,                                                                                                    \
}
/* clang-format on */

#define SQLITE_TEXT(sqlite, pg) sqlite
#define PG_TEXT(sqlite, pg)     pg

const char *const sqlite_migrations[] = MIGRATIONS("INTEGER PRIMARY KEY", "INTEGER", "BLOB", SQLITE_TEXT);
const char *const pg_migrations[] =
    MIGRATIONS("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BIGINT", "BYTEA", PG_TEXT);
