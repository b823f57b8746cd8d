/* store_webhooks — the rows of outgoing webhooks (issue 19; API.md "Outgoing webhooks") and
 * struct store_hooks, the store's table of their data operations: struct store holds a pointer to
 * it (st->hooks), so that store.h names one member for the whole domain. The bodies are written
 * once over the statement runner in store/stmt_webhooks.c (both backends share the one table);
 * the rules — which events exist, what a retry waits, what a delivery sends — are
 * core/webhooks.c's. Included by store.h after struct blob. Layer: store.
 *
 * Tables (migration 11): webhooks (an endpoint: URL, the set of events it wants as bits of enum
 * webhook_event, its sealed secret), webhook_events (one per event that some endpoint wanted: its
 * type, time and data as JSON text) and webhook_deliveries, the outbox: one row per (event,
 * endpoint), pending until delivered or given up. A row is claimed by one instance at a time
 * through claimed_by and lease_until (a lease: a claim left by a dead instance runs out). */
#ifndef TGR_STORE_WEBHOOKS_H
#define TGR_STORE_WEBHOOKS_H

#include <stdint.h>

#define WEBHOOK_URL_MAX         2048
#define WEBHOOK_DESCRIPTION_MAX 500
#define WEBHOOK_ERROR_MAX       160

struct store;

/* An endpoint, with how its latest attempted delivery went. */
struct webhook_row {
    int64_t id;
    char url[WEBHOOK_URL_MAX + 1];
    int64_t events; /* bits of enum webhook_event (core/webhooks.h) */
    char description[WEBHOOK_DESCRIPTION_MAX * 4 + 1];
    int64_t created_at;
    char last_status[12];     /* of the latest delivery tried at least once: pending delivered failed; "" */
    int64_t last_status_code; /* its last HTTP status, 0 for none (no answer) */
    int64_t last_attempt_at;  /* unix ms, 0 if never */
};

/* A delivery as the deliveries view shows it. */
struct webhook_delivery_row {
    int64_t id, event_id;
    char type[32];
    char status[12]; /* pending delivered failed */
    int64_t attempts, last_status_code;
    int64_t next_attempt_at, created_at, last_attempt_at; /* unix ms; last 0 if never */
    char last_error[WEBHOOK_ERROR_MAX + 1];
};

/* A claimed delivery with everything needed to send it. Release with webhook_job_release. */
struct webhook_job {
    int64_t id, account_id, webhook_id, event_id, attempts, created_at;
    char type[32];
    char *data;         /* malloc'd JSON text of the event's data */
    char *url;          /* malloc'd */
    struct blob secret; /* sealed; row key "<account_id>:<webhook_id>" */
};
void webhook_job_release(struct webhook_job *j);

/* How one attempt ended, written on its row by done. */
struct webhook_attempt {
    const char *status;      /* pending (to be tried again), delivered, failed (given up) */
    int64_t status_code;     /* the answer's HTTP status, 0 for none */
    const char *error;       /* NULL on success, else a short reason ("HTTP 500", "timeout") */
    int64_t at;              /* when it was made */
    int64_t next_attempt_at; /* with pending: when to try again */
};

struct store_hooks {
    /* Insert an endpoint (no secret yet). @param[out] id @return DB_ONE, DB_SOFT, DB_HARD */
    TGR_MUST_CHECK enum db_status (*insert)(struct store *st, int64_t account_id, const char *url,
                                            int64_t events, const char *description, int64_t now,
                                            int64_t *id);
    /* Write the endpoint's sealed secret. @return DB_ONE, DB_NONE (no such endpoint) */
    TGR_MUST_CHECK enum db_status (*set_secret)(struct store *st, int64_t account_id, int64_t id,
                                                const struct blob *sealed);
    /* The account's endpoints by id. @param[out] rows malloc'd; free @return DB_ONE, DB_NONE (none) */
    TGR_MUST_CHECK enum db_status (*list)(struct store *st, int64_t account_id, struct webhook_row **rows,
                                          size_t *n);
    TGR_MUST_CHECK enum db_status (*get)(struct store *st, int64_t account_id, int64_t id,
                                         struct webhook_row *out);
    /* Delete an endpoint and its deliveries. @return DB_ONE, DB_NONE (no such endpoint) */
    TGR_MUST_CHECK enum db_status (*remove)(struct store *st, int64_t account_id, int64_t id);
    /* How many of the account's endpoints want any event of the bits in mask. */
    TGR_MUST_CHECK enum db_status (*wanted)(struct store *st, int64_t account_id, int64_t mask, int64_t *n);
    /* Of the n accounts, those with an endpoint wanting any event of mask (one statement).
     * @param[out] out at least n slots @param[out] nout how many were written */
    TGR_MUST_CHECK enum db_status (*wanting)(struct store *st, const int64_t *accounts, size_t n,
                                             int64_t mask, int64_t *out, size_t *nout);
    /* Store an event (type, time, data as JSON text) and a pending delivery, due at now, for every
     * endpoint of the account that wants bit. Meant for the caller's transaction.
     * @param[out] event_id @param[out] deliveries how many were queued */
    TGR_MUST_CHECK enum db_status (*event_add)(struct store *st, int64_t account_id, const char *type,
                                               int64_t bit, int64_t now, const char *data, int64_t *event_id,
                                               int64_t *deliveries);
    /* Claim the pending delivery due soonest (next_attempt_at <= now, lease run out) whose endpoint
     * has no claimed delivery, for instance until lease_until, and read it. A TX_LEASE
     * transaction; on PostgreSQL rows another instance is claiming are skipped (FOR UPDATE SKIP
     * LOCKED), and the claim's own condition is checked again on the row, so two instances never
     * hold one row. @return DB_ONE with *out, DB_NONE (nothing to claim), DB_SOFT, DB_HARD */
    TGR_MUST_CHECK enum db_status (*claim)(struct store *st, const char *instance, int64_t now,
                                           int64_t lease_until, struct webhook_job *out);
    /* Write how an attempt of a delivery instance holds ended, and let go of it.
     * @return DB_ONE, DB_NONE (it is no longer this instance's: deleted, or its lease ran out) */
    TGR_MUST_CHECK enum db_status (*done)(struct store *st, int64_t delivery_id, const char *instance,
                                          const struct webhook_attempt *a);
    /* Let go of a claimed delivery without an attempt (shutting down). */
    TGR_MUST_CHECK enum db_status (*unclaim)(struct store *st, int64_t delivery_id, const char *instance);
    /* Let go of every claim of instance (at start: claims a killed process of the same instance left). */
    TGR_MUST_CHECK enum db_status (*unclaim_all)(struct store *st, const char *instance);
    /* The next_attempt_at of the pending delivery due soonest, leased or not (0 if none). */
    TGR_MUST_CHECK enum db_status (*next_due)(struct store *st, int64_t *at);
    /* How many transactions that queued deliveries (event_add) this process has committed: when
     * it has not moved, nothing new of this process's is in the outbox (no read needed). */
    int64_t (*queued)(struct store *st);
    /* Call fn(arg) in the committing thread after each such commit (NULL: stop; when it returns,
     * fn is not running); fn may take a lock of its own but not use the store. */
    void (*on_queued)(struct store *st, void (*fn)(void *arg), void *arg);
    /* Up to limit deliveries of an endpoint with id < before_id (0: from the newest), newest first.
     * @param[out] rows malloc'd; free @return DB_ONE, DB_NONE (none) */
    TGR_MUST_CHECK enum db_status (*deliveries)(struct store *st, int64_t account_id, int64_t webhook_id,
                                                int64_t before_id, int limit,
                                                struct webhook_delivery_row **rows, size_t *n);
    /* Forget up to limit events created before `before`, with their deliveries. @param[out] n deleted */
    TGR_MUST_CHECK enum db_status (*prune)(struct store *st, int64_t before, int64_t limit, int64_t *n);
    /* Pending deliveries of every account (an operators' gauge). */
    TGR_MUST_CHECK enum db_status (*pending)(struct store *st, int64_t *n);
    /* The contact of a recipient row (a click's person). @return DB_ONE, DB_NONE */
    TGR_MUST_CHECK enum db_status (*recipient_contact)(struct store *st, int64_t account_id,
                                                       int64_t recipient_id, int64_t *contact_id);
};

#endif
