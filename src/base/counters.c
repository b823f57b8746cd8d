/* counters — process-wide operational counters; see counters.h. */
#include "base/counters.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

const struct counter_def counter_defs[CNT_N] = {
    [CNT_MESSAGES_SENT] = {"tgr_messages_sent_total", "Campaign messages Telegram accepted.", NULL, NULL},
    [CNT_MESSAGES_SKIPPED] = {"tgr_messages_skipped_total",
                              "Campaign messages not sent on purpose (the person charges Stars).", NULL,
                              NULL},
    [CNT_FLOOD_WAITS] = {"tgr_flood_waits_total", "FLOOD_WAIT answers from Telegram.", NULL, NULL},
    [CNT_FLOOD_WAIT_SECONDS] = {"tgr_flood_wait_seconds_total", "Seconds Telegram asked accounts to wait.",
                                NULL, NULL},
    [CNT_PEER_FLOOD_PAUSES] = {"tgr_peer_flood_pauses_total", "Campaigns paused by PEER_FLOOD.", NULL, NULL},
    [CNT_SESSION_INVALID_PAUSES] = {"tgr_session_invalid_pauses_total",
                                    "Accounts whose Telegram session died (campaigns paused).", NULL, NULL},
    [CNT_FROZEN_PAUSES] = {"tgr_account_frozen_pauses_total",
                           "Accounts frozen by Telegram (campaigns paused).", NULL, NULL},
    [CNT_STORAGE_PAUSES] = {"tgr_storage_pauses_total",
                            "Accounts whose sending paused because the database failed (storage_error).",
                            NULL, NULL},
    [CNT_BRIDGE_RESTARTS] = {"tgr_bridge_restarts_total", "Restarts of the Node.js Telegram bridge.", NULL,
                             NULL},
    [CNT_CLICKS_COUNTED] = {"tgr_clicks_counted_total", "Tracked-link clicks counted.", NULL, NULL},
    [CNT_CLICKS_BOTS] = {"tgr_clicks_bots_total",
                         "Tracked-link requests of bots and link previews (not counted).", NULL, NULL},
    [CNT_LEASES_TAKEN] = {"tgr_leases_taken_total", "Accounts whose sending this instance took over.", NULL,
                          NULL},
    [CNT_LEASES_LOST] = {"tgr_leases_lost_total", "Accounts whose sending moved to another instance.", NULL,
                         NULL},
    [CNT_CLAIMS_MISSED] = {"tgr_send_claims_missed_total",
                           "Campaign messages prepared whose outbox claim found them moved on (paused, sent, "
                           "or another instance's): work done for nothing.",
                           NULL, NULL},
    [CNT_ORDERS_ATTRIBUTED] = {"tgr_orders_attributed_total",
                               "Paid shop orders credited to a campaign (webhook or CSV import).", NULL,
                               NULL},
    [CNT_ORDERS_ATTRIBUTED_REFUNDED] = {"tgr_orders_attributed_refunded_total",
                                        "Orders credited to a campaign that were then refunded.", NULL, NULL},
#define WEBHOOK(outcome)                                                                                     \
    {                                                                                                        \
        "tgr_order_webhooks_total",                                                                          \
            "Order webhooks (POST /webhooks/orders) by outcome: accepted, refunded, duplicate, conflict, "   \
            "invalid, "                                                                                      \
            "unauthorized, limited, failed.",                                                                \
            "outcome", outcome                                                                               \
    }
    [CNT_WEBHOOK_ACCEPTED] = WEBHOOK("accepted"),
    [CNT_WEBHOOK_REFUNDED] = WEBHOOK("refunded"),
    [CNT_WEBHOOK_DUPLICATE] = WEBHOOK("duplicate"),
    [CNT_WEBHOOK_CONFLICT] = WEBHOOK("conflict"),
    [CNT_WEBHOOK_INVALID] = WEBHOOK("invalid"),
    [CNT_WEBHOOK_UNAUTHORIZED] = WEBHOOK("unauthorized"),
    [CNT_WEBHOOK_LIMITED] = WEBHOOK("limited"),
    [CNT_WEBHOOK_FAILED] = WEBHOOK("failed"),
#undef WEBHOOK
#define STORE_ERRORS(kind)                                                                                   \
    {                                                                                                        \
        "tgr_store_errors_total",                                                                            \
            "Store operations that failed (a statement outside a transaction, or a whole transaction, "      \
            "rolled "                                                                                        \
            "back): hard (retrying will not help) or transient (busy, conflict, connection lost).",          \
            "kind", kind                                                                                     \
    }
    [CNT_STORE_ERRORS_HARD] = STORE_ERRORS("hard"),
    [CNT_STORE_ERRORS_TRANSIENT] = STORE_ERRORS("transient"),
#undef STORE_ERRORS
#define HOOKS(outcome)                                                                                       \
    {                                                                                                        \
        "tgr_webhook_deliveries_total",                                                                      \
            "Attempts to deliver outgoing webhooks by outcome: delivered (a 2xx answer), retry (failed, "    \
            "tried again later), failed (failed for the last time).",                                        \
            "outcome", outcome                                                                               \
    }
    [CNT_HOOKS_DELIVERED] = HOOKS("delivered"),
    [CNT_HOOKS_RETRY] = HOOKS("retry"),
    [CNT_HOOKS_FAILED] = HOOKS("failed"),
#undef HOOKS
};

const struct counter_def counter_family_defs[FAM_N] = {
    [FAM_MESSAGES_FAILED] = {"tgr_messages_failed_total",
                             "Campaign messages that failed for good, by reason.", "reason", NULL},
    [FAM_REVENUE] = {"tgr_revenue_minor_total",
                     "Revenue of orders credited to campaigns, in the currency's minor units (cents); "
                     "refunds are not subtracted: see tgr_revenue_refunded_minor_total.",
                     "currency", NULL},
    [FAM_REVENUE_REFUNDED] = {"tgr_revenue_refunded_minor_total",
                              "Revenue of credited orders that were refunded, in the currency's minor units.",
                              "currency", NULL},
};

#define DURATION_BOUNDS                                                                                      \
    {                                                                                                        \
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120                                 \
    }

const struct histogram_def histogram_defs[HIST_N] = {
    [HIST_SEND] = {"tgr_send_duration_seconds",
                   "Campaign messages from the outbox claim to Telegram's answer (errors included).",
                   NULL,
                   {NULL},
                   DURATION_BOUNDS},
    [HIST_BRIDGE] = {"tgr_bridge_request_duration_seconds",
                     "Requests to the Telegram bridge from the call to the answer (errors and timeouts "
                     "included), by operation.",
                     "op",
                     {"send", "sync", "start", "send_code", "sign_in", "upload", "logout", "stop", "ping",
                      "other"},
                     DURATION_BOUNDS},
};

static uint64_t values[CNT_N];

/* A family's series: labels are written once under mu, then published by n (release); values
 * are atomic, so rendering takes no lock. */
struct family {
    size_t n;
    char label[COUNTER_LABELS][41];
    uint64_t value[COUNTER_LABELS];
};
static struct family families[FAM_N];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

void counter_add(enum counter c, uint64_t n)
{
    __atomic_fetch_add(&values[c], n, __ATOMIC_RELAXED);
}

uint64_t counter_get(enum counter c)
{
    return __atomic_load_n(&values[c], __ATOMIC_RELAXED);
}

static int plain(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= 40 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* The slot of label in fam, added if there is room (the last slot is kept for "other"). */
static size_t slot(struct family *fam, const char *label)
{
    for (size_t i = 0; i < fam->n; i++)
        if (strcmp(fam->label[i], label) == 0) return i;
    if (fam->n >= COUNTER_LABELS - 1 && strcmp(label, "other") != 0) return slot(fam, "other");
    size_t i = fam->n;
    snprintf(fam->label[i], sizeof fam->label[i], "%s", label);
    __atomic_store_n(&fam->n, i + 1, __ATOMIC_RELEASE);
    return i;
}

void counter_add_by(enum counter_family f, const char *label, uint64_t n)
{
    if (!label || !*label) label = "unknown";
    if (!plain(label)) label = "other";
    struct family *fam = &families[f];
    pthread_mutex_lock(&mu);
    size_t i = slot(fam, label);
    pthread_mutex_unlock(&mu);
    __atomic_fetch_add(&fam->value[i], n, __ATOMIC_RELAXED);
}

int counter_family_get(enum counter_family f, size_t i, const char **label, uint64_t *value)
{
    if (i >= __atomic_load_n(&families[f].n, __ATOMIC_ACQUIRE)) return 0;
    *label = families[f].label[i];
    *value = __atomic_load_n(&families[f].value[i], __ATOMIC_RELAXED);
    return 1;
}

/* ---- histograms ---------------------------------------------------------------------------------- */

void hist_observe(struct hist *h, const double bounds[HIST_BOUNDS], int64_t micros)
{
    if (micros < 0) micros = 0;
    double secs = (double)micros / 1e6;
    size_t i = 0;
    while (i < HIST_BOUNDS && secs > bounds[i])
        i++;
    __atomic_fetch_add(&h->bucket[i], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->sum_us, (uint64_t)micros, __ATOMIC_RELAXED);
}

double hist_read(const struct hist *h, uint64_t cum[HIST_BOUNDS + 1])
{
    uint64_t n = 0;
    for (size_t i = 0; i <= HIST_BOUNDS; i++)
        cum[i] = n += __atomic_load_n(&h->bucket[i], __ATOMIC_RELAXED);
    return (double)__atomic_load_n(&h->sum_us, __ATOMIC_RELAXED) / 1e6;
}

static struct hist histograms[HIST_N][HIST_VALUES];

size_t histogram_value(enum histogram h, const char *value)
{
    const struct histogram_def *d = &histogram_defs[h];
    if (!d->label) return 0;
    size_t i = 0;
    for (; d->values[i + 1]; i++)
        if (value && strcmp(d->values[i], value) == 0) return i;
    return i; /* the last: "other" */
}

void histogram_observe(enum histogram h, size_t v, int64_t micros)
{
    hist_observe(&histograms[h][v < HIST_VALUES ? v : 0], histogram_defs[h].bounds, micros);
}

const struct hist *histogram_series(enum histogram h, size_t v)
{
    return &histograms[h][v];
}
