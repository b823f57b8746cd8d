/* audit — the account's log of who did what (issue 19 item 3; API.md "Audit log"): logins and
 * failed logins, the Telegram session, campaign and segment changes, webhooks, a person's export,
 * erasure and opt-out changes, account settings and key rotations.
 *
 * An entry says who (actor user, api_key or system, and the client address), what (an action of
 * AUDIT_ACTIONS) and to what (a target "campaign:7"), with a few details. It never holds a message
 * text, a password, a login code, a reason someone typed or anything about a person: the log is
 * append-only (the database refuses UPDATE and DELETE) and outlives an erasure, so a person's data
 * in it could never be removed. audit_record enforces that in one place: details may only use the
 * keys of AUDIT_DETAIL_KEYS, with numbers, booleans, short tokens or lists of tokens as values.
 *
 * Where the change is a rule of core (an erasure, an export, an opt-out) the entry is written in
 * the change's own transaction; elsewhere the handler records it right after the change committed
 * (a crash between the two loses the entry, never the change). Layer: core. */
#ifndef TGR_AUDIT_H
#define TGR_AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

#define AUDIT_ACTIONS(X)                                                                                     \
    X(AUDIT_LOGIN, "auth.login")                                                                             \
    X(AUDIT_LOGIN_FAILED, "auth.login_failed")                                                               \
    X(AUDIT_LOGOUT_ALL, "auth.logout_all")                                                                   \
    X(AUDIT_SESSION_CONNECT, "session.connect")                                                              \
    X(AUDIT_SESSION_VERIFY, "session.verify")                                                                \
    X(AUDIT_SESSION_LOGOUT, "session.logout")                                                                \
    X(AUDIT_CAMPAIGN_CREATE, "campaign.create")                                                              \
    X(AUDIT_CAMPAIGN_UPDATE, "campaign.update")                                                              \
    X(AUDIT_CAMPAIGN_SCHEDULE, "campaign.schedule")                                                          \
    X(AUDIT_CAMPAIGN_UNSCHEDULE, "campaign.unschedule")                                                      \
    X(AUDIT_CAMPAIGN_START, "campaign.start")                                                                \
    X(AUDIT_CAMPAIGN_PAUSE, "campaign.pause")                                                                \
    X(AUDIT_CAMPAIGN_RESUME, "campaign.resume")                                                              \
    X(AUDIT_CAMPAIGN_CANCEL, "campaign.cancel")                                                              \
    X(AUDIT_CAMPAIGN_DELETE, "campaign.delete")                                                              \
    X(AUDIT_SEGMENT_CREATE, "segment.create")                                                                \
    X(AUDIT_SEGMENT_UPDATE, "segment.update")                                                                \
    X(AUDIT_SEGMENT_DELETE, "segment.delete")                                                                \
    X(AUDIT_WEBHOOK_CREATE, "webhook.create")                                                                \
    X(AUDIT_WEBHOOK_DELETE, "webhook.delete")                                                                \
    X(AUDIT_CONTACT_EXPORT, "contact.export")                                                                \
    X(AUDIT_CONTACT_ERASE, "contact.erase")                                                                  \
    X(AUDIT_CONTACT_OPT_OUT, "contact.opt_out")                                                              \
    X(AUDIT_CONTACT_OPT_IN, "contact.opt_in")                                                                \
    X(AUDIT_ACCOUNT_UPDATE, "account.update")                                                                \
    X(AUDIT_PASSWORD_CHANGE, "account.password_change")                                                      \
    X(AUDIT_API_KEY_ROTATE, "account.api_key_rotate")                                                        \
    X(AUDIT_WEBHOOK_SECRET_ROTATE, "account.webhook_secret_rotate")                                          \
    X(AUDIT_KEYS_ROTATE, "keys.rotate")

enum audit_action {
#define X(id, name) id,
    AUDIT_ACTIONS(X)
#undef X
        AUDIT_ACTION_COUNT
};

/* The keys details may use. Values: integers, booleans, null, tokens (1 to 64 characters of
 * letters, digits and _ . : / + -, no spaces) or arrays of at most 32 tokens.
 *   fields                the names of the fields a change set
 *   outcome               a login's or a Telegram step's result: an error code, "connected", …
 *   source                where an opt-out came from: api, stop_message
 *   status                a campaign's status after the change
 *   start_at              a scheduled start, RFC 3339
 *   override_quiet_hours  a start's or a schedule's choice
 *   reason_given          an opt-out change came with a reason (kept sealed with the person)
 *   timezone … error_streak_limit  account settings, with their new values
 *   events, host          a webhook's event types and host (never its path or query: a secret
 *                         may be in them)
 *   key_id                the master key made current
 *   messages, clicks, orders  what an erasure removed, counted */
#define AUDIT_DETAIL_KEYS(X)                                                                                 \
    X("fields")                                                                                              \
    X("outcome")                                                                                             \
    X("source")                                                                                              \
    X("status")                                                                                              \
    X("start_at")                                                                                            \
    X("override_quiet_hours")                                                                                \
    X("reason_given")                                                                                        \
    X("timezone")                                                                                            \
    X("frequency_cap_days")                                                                                  \
    X("daily_send_limit")                                                                                    \
    X("error_streak_limit")                                                                                  \
    X("events")                                                                                              \
    X("host")                                                                                                \
    X("key_id")                                                                                              \
    X("messages")                                                                                            \
    X("clicks")                                                                                              \
    X("orders")

enum audit_actor { AUDIT_USER, AUDIT_API_KEY, AUDIT_SYSTEM };

/* Who did it: the actor and the client's address ("" for none, as the system's). */
struct audit_who {
    enum audit_actor actor;
    char ip[AUDIT_IP_MAX];
};

/* The stored names: "auth.login", … ("" for none); "user", "api_key", "system". */
const char *audit_action_name(enum audit_action a);
const char *audit_actor_name(enum audit_actor a);

/* Whether details (NULL: none) keep the rule above. @return TGR_OK or TGR_ERR */
int audit_details_allowed(const json_t *details);

/* Append an entry to the log of account_id (0: the instance's, shown to every account): who did a
 * to target_kind:target_id (target_id 0: "kind" alone; kind NULL: no target), with details
 * (stolen; NULL for none). Joins the caller's transaction, else runs a durable one of its own.
 * Details that break the rule write nothing (logged: a bug).
 * @return DB_ONE, DB_SOFT, DB_HARD */
TGR_MUST_CHECK enum db_status audit_record(struct store *st, int64_t account_id, const struct audit_who *who,
                                           enum audit_action a, const char *target_kind, int64_t target_id,
                                           json_t *details);

/* Up to limit entries of the account (and the instance) with id < before (INT64_MAX: the newest),
 * newest first, as the API's objects {"id","at","actor","ip","action","target","details"}.
 * @param[out] entries a new array on DB_ONE or DB_NONE
 * @param[out] next the id to pass as before for the next page, 0 when this was the last
 * @return DB_ONE (entries), DB_NONE (none), DB_SOFT, DB_HARD */
TGR_MUST_CHECK enum db_status audit_read(struct store *st, int64_t account_id, int64_t before, int limit,
                                         json_t **entries, int64_t *next);

#endif
