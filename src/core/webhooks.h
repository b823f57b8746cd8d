/* webhooks — outgoing webhooks' rules (issue 19; API.md "Outgoing webhooks"): the event types,
 * queueing an event inside the transaction of what it reports, the endpoints (create with a
 * secret shown once, list, delete), what a delivery sends (body, headers, signature) and when a
 * failed one is tried again. The sending itself is hooks/deliver.c's; the rows are
 * store/store_webhooks.h's.
 *
 * Queueing: webhook_emit is called by the rule that writes the event — core/outcome.c (a send's
 * outcome, reads, replies, opt-outs, clicks), core/orders.c (a credited order), core/cstate.c and
 * core/launch.c (a campaign's status) — inside its store->txn, so an event is queued if and only
 * if what it reports is committed, and a crash loses neither. It costs one indexed read when no
 * endpoint of the account wants the type; the data is built only when one does.
 * Layer: core. */
#ifndef TGR_WEBHOOKS_H
#define TGR_WEBHOOKS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct keyring;

/* The event types, X(id, name). An endpoint's events are stored as bits (1 << id): the order is
 * part of the database and must not change; a new type goes at the end. */
#define WEBHOOK_EVENTS(X)                                                                                    \
    X(WH_MESSAGE_SENT, "message.sent")                                                                       \
    X(WH_MESSAGE_FAILED, "message.failed")                                                                   \
    X(WH_MESSAGE_READ, "message.read")                                                                       \
    X(WH_MESSAGE_REPLIED, "message.replied")                                                                 \
    X(WH_LINK_CLICKED, "link.clicked")                                                                       \
    X(WH_ORDER_ATTRIBUTED, "order.attributed")                                                               \
    X(WH_CONTACT_OPTED_OUT, "contact.opted_out")                                                             \
    X(WH_CAMPAIGN_STATUS_CHANGED, "campaign.status_changed")

enum webhook_event {
#define X(id, name) id,
    WEBHOOK_EVENTS(X)
#undef X
        WH__COUNT
};

#define WEBHOOK_BIT(e) ((int64_t)1 << (e))

/* "message.sent"; NULL for a value that is none. */
const char *webhook_event_name(enum webhook_event e);
/* @return 0 with *out, or -1 for a name that is none */
int webhook_event_parse(const char *name, enum webhook_event *out);

/* Builds an event's data object inside the caller's transaction (it may read the store).
 * @param[out] out a new reference on DB_ONE
 * @return DB_ONE, or a failure (DB_SOFT, DB_HARD) the emit returns */
typedef enum db_status (*webhook_data_fn)(struct store *st, int64_t account_id, void *cls, json_t **out);

/* Queue event ev of the account for every endpoint that wants it, with data from fn(st, account,
 * cls), in the caller's transaction (or one of its own).
 * @return DB_ONE (queued, or nobody wants it), DB_SOFT, DB_HARD */
TGR_MUST_CHECK enum db_status webhook_emit(struct store *st, int64_t account_id, enum webhook_event ev,
                                           webhook_data_fn fn, void *cls);
/* webhook_emit for a caller that has asked the store who wants ev already (store_hooks wanting,
 * one statement for many accounts): queued for every endpoint of the account that wants it. */
TGR_MUST_CHECK enum db_status webhook_emit_wanted(struct store *st, int64_t account_id, enum webhook_event ev,
                                                  webhook_data_fn fn, void *cls);

/* ---- endpoints ---------------------------------------------------------------------------------- */

enum webhook_outcome {
    WEBHOOK_OK,
    WEBHOOK_INVALID,   /* *field and *why say what (a 400) */
    WEBHOOK_NOT_FOUND, /* no such endpoint of the account */
    WEBHOOK_STORE,     /* the database failed */
};

/* What POST /webhooks asks for. events: a JSON array of event names (borrowed). */
struct webhook_new {
    const char *url;
    json_t *events;
    const char *description; /* NULL: none */
    int allow_private;       /* --webhooks-allow-private */
};

#define WEBHOOK_SECRET_LEN 49 /* "whsec_" and 43 characters of base64url */

/* Create an endpoint: the events (one or more known names, kept once each), the description (at
 * most 500 characters), the URL (webhook_url_check: it resolves, so call from a worker thread),
 * then a new secret, sealed. Durable.
 * @param[out] out the endpoint as stored; secret (WEBHOOK_SECRET_LEN + 1 bytes) the secret, to be
 *             shown once; field, why: the 400's field and sentence */
enum webhook_outcome webhook_create(struct store *st, const struct keyring *kr, int64_t account_id,
                                    const struct webhook_new *in, struct webhook_row *out, char *secret,
                                    const char **field, char *why, size_t cap);

/* Delete an endpoint and its deliveries (one being sent is not stopped). */
enum webhook_outcome webhook_delete(struct store *st, int64_t account_id, int64_t id);

/* The event names of bits, as a new JSON array in the registry's order. */
json_t *webhook_events_json(int64_t bits);

/* ---- a delivery ----------------------------------------------------------------------------------- */

/* The body of a delivery: {"id","type","created_at","account_id","data"}, the same bytes every
 * attempt. @return malloc'd, NUL-terminated, or NULL when out of memory */
char *webhook_body(const struct webhook_job *j);

/* The X-Tgr-Signature value, "t=<t>,v1=<hex HMAC-SHA256(secret, t + "." + body)>", into out
 * (cap >= 96). */
void webhook_sign(const char *secret, size_t secret_len, int64_t t, const void *body, size_t body_len,
                  char *out, size_t cap);

/* Open a job's sealed secret. @param[out] secret malloc'd (wipe and free) @return TGR_OK or TGR_ERR */
int webhook_secret_open(const struct keyring *kr, const struct webhook_job *j, char **secret, size_t *len);

/* When a delivery that failed its attempts-th attempt (1 for the first) at now is tried again:
 * base_ms after the first failure, doubling each time, and never later than created_at +
 * 2880 * base_ms (24 h at the default 30 s) — the last retry is at that time.
 * @return the time, or 0 when there is none (give up) */
int64_t webhook_retry_at(int64_t created_at, int64_t attempts, int64_t now, int64_t base_ms);

#endif
