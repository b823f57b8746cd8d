/* stmt — the struct store functions written once over the runner (db.h), by the file that holds
 * them. Each is stmt_<name>, with exactly the type of struct store's member <name>; a backend's
 * static const struct store lists them with STORE_STMT_INIT and adds its own (close, and on
 * PostgreSQL notify and listen). A new store function: its member in store.h, its statement in
 * sql.h, its body in the file of its domain, its name in that file's list here. */
#ifndef TGR_STORE_STMT_H
#define TGR_STORE_STMT_H

#include "store/store.h"

/* clang-format off */
#define STMT_ACCOUNTS(X) /* stmt_accounts.c; migrate, txn, read: db.c */                                    \
    X(migrate) X(txn) X(read) X(ping) X(account_create) X(account_by_email) X(account_by_api_key)           \
    X(account_get) X(account_update) X(account_set_webhook_secret) X(account_webhook_secret) X(session_get) \
    X(session_put) X(session_set_status) X(session_set_frozen) X(session_delete) X(sessions_connected)      \
    X(meta_get) X(meta_set) X(meta_delete)
#define STMT_CONTACTS(X) /* stmt_contacts.c */                                                               \
    X(contact_save) X(contact_by_tg_id) X(contact_get) X(contact_address) X(contacts_page) X(contact_by_bidx) X(inbound_add)    \
    X(inbound_insert) X(inbound_count)                                                                       \
    X(inbound_recent) X(category_put) X(audience_scan) X(contact_mark) X(contact_set_opted_out)              \
    X(campaigns_count_opt_out)
#define STMT_CAMPAIGNS(X) /* stmt_campaigns.c */                                                             \
    X(campaign_create) X(campaign_get) X(campaign_list) X(campaign_update) X(campaign_delete)                \
    X(campaign_set_override) X(campaign_set_nudges) X(campaign_set_categories) X(campaign_transition)        \
    X(campaigns_pause_all) X(campaign_set_pause_code) X(sent_since) X(accounts_sending) X(campaigns_in_status) X(codes_replace) X(codes_list)         \
    X(code_assign) X(code_get) X(media_add) X(media_get) X(link_ensure) X(link_get)
#define STMT_OUTBOX(X) /* stmt_outbox.c: the outbox and the campaign reads */                                \
    X(recipient_next) X(recipients_next) X(recipient_next_at) X(recipient_claim) X(recipient_unclaim) X(recipient_code) X(campaign_open_rows)        \
    X(nudge_next_due) X(log_add) X(logs_page) X(campaign_counts) X(campaign_failures) X(step_counts)         \
    X(link_stats) X(revenue_rows) X(read_times) X(campaigns_by_status) X(outbox_depth)         \
    X(queue_rows)
#define STMT_SEND(X) /* stmt_send.c: the writes of sending, reactions and clicks */                         \
    X(campaign_running_other) X(campaign_set_running) X(recipients_insert) X(step_bump)                      \
    X(recipient_set_outcome) X(log_outcome) X(campaign_count_result) X(campaign_failure_add)                 \
    X(recipients_sent) X(logs_sent) X(campaigns_count_sent) X(steps_count_sent) X(recipients_claim)          \
    X(nudge_rows_create) X(nudge_scheduled_through) X(recipients_mark_replied) X(recipients_mark_read)       \
    X(recipients_skip_pending) X(click_seen) X(click_add) X(recipient_mark_clicked) X(link_count_click)      \
    X(campaign_count_click)
#define STMT_ORDERS(X) /* stmt_orders.c */                                                                   \
    X(order_get) X(order_save) X(orders_link_contact) X(order_latest_paid) X(order_counts)                   \
    X(revenue_series) X(revenue_campaigns) X(revenue_currency) X(sent_message_get) X(sent_message_latest)    \
    X(currency_count) X(account_currency) X(link_in_campaign) X(code_by_bidx) X(code_in_campaign)            \
    X(order_set_attribution) X(campaign_revenue_add) X(link_revenue_add) X(revenue_by_add)
#define STMT_LEASES(X) /* stmt_leases.c */                                                                   \
    X(lease_refresh) X(lease_counts) X(lease_shed) X(lease_take) X(leases_owned) X(leases_release)           \
    X(lease_force) X(lease_owner) X(lease_handed)
#define STMT_KEYS(X) /* stmt_keys.c */                                                                       \
    X(sealed_scan) X(sealed_replace)
#define STMT_PEOPLE(X) /* stmt_people.c: results per person, timelines, the contact audit */            \
    X(campaign_step_totals) X(recipient_step) X(results_page) X(timeline_page) X(contact_audit_add)          \
    X(contact_clear_opted_out)
#define STMT_SEGMENTS(X) /* stmt_segments.c: segments and scheduled starts */                               \
    X(segment_save) X(segment_get) X(segment_list) X(segment_delete) X(segment_campaigns)                    \
    X(campaign_set_audience) X(campaign_set_start) X(campaigns_scheduled)
#define STMT_SHOP(X) /* stmt_shop.c: credentials, the orders list, import progress (issue 17) */           \
    X(account_set_password) X(account_tokens_revoke) X(account_set_api_key) X(orders_page)                   \
    X(order_mark_test) X(import_progress_put) X(import_progress_get) X(imports_prune)
#define STMT_PRIVACY(X) /* stmt_privacy.c: erasure, export, the audit log (contact_orders: stmt_shop.c) */ \
    X(erasure_find) X(erasure_put) X(contact_purge) X(contact_messages) X(contact_orders) X(audit_add)        \
    X(audit_page)
#define STORE_STMTS(X)                                                                                       \
    STMT_ACCOUNTS(X) STMT_CONTACTS(X) STMT_CAMPAIGNS(X) STMT_OUTBOX(X) STMT_SEND(X) STMT_ORDERS(X)           \
    STMT_LEASES(X) STMT_KEYS(X) STMT_PEOPLE(X) STMT_SEGMENTS(X) STMT_SHOP(X)                                 \
    STMT_PRIVACY(X)
/* clang-format on */

#define STMT_DECLARE(name) extern __typeof__(*((struct store *)0)->name) stmt_##name;
STORE_STMTS(STMT_DECLARE)
#undef STMT_DECLARE

/* The designated initialisers of every shared member of a backend's const struct store. */
#define STMT_INIT(name) .name = stmt_##name,
#define STORE_STMT_INIT STORE_STMTS(STMT_INIT).hooks = &stmt_hooks,

/* The data operations of outgoing webhooks (stmt_webhooks.c), one table for both backends. */
extern const struct store_hooks stmt_hooks;

#endif
