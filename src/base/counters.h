/* counters — what the send engine, the bridge, the click counter, the orders, the store and the
 * cluster count for operators, shown by GET /metrics (http/metrics.c renders them in the
 * Prometheus text format): counters, and histograms of durations with fixed buckets.
 * Each is one line where the thing happens: counter_add(CNT_FLOOD_WAITS, 1). Process-wide,
 * lock-free (relaxed atomics), from zero at each start, as Prometheus counters are.
 * Labels are bounded: a family keeps at most COUNTER_LABELS distinct values (what comes after
 * counts under "other"), and a label is only [A-Za-z0-9_], never an id of a person. */
#ifndef TGR_COUNTERS_H
#define TGR_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

/* Counters. Entries of one metric with a fixed label (counter_def.value set) are adjacent. */
enum counter {
    CNT_MESSAGES_SENT,
    CNT_MESSAGES_SKIPPED,
    CNT_FLOOD_WAITS,
    CNT_FLOOD_WAIT_SECONDS,
    CNT_PEER_FLOOD_PAUSES,
    CNT_SESSION_INVALID_PAUSES,
    CNT_FROZEN_PAUSES,
    CNT_STORAGE_PAUSES,
    CNT_BRIDGE_RESTARTS,
    CNT_CLICKS_COUNTED,
    CNT_CLICKS_BOTS,
    CNT_LEASES_TAKEN,
    CNT_LEASES_LOST,
    CNT_CLAIMS_MISSED, /* a message prepared whose claim found it moved on */
    CNT_ORDERS_ATTRIBUTED,
    CNT_ORDERS_ATTRIBUTED_REFUNDED,
    /* tgr_order_webhooks_total{outcome}: each POST /webhooks/orders */
    CNT_WEBHOOK_ACCEPTED,     /* a new order stored */
    CNT_WEBHOOK_REFUNDED,     /* a stored paid order now refunded */
    CNT_WEBHOOK_DUPLICATE,    /* a repeat of what is stored */
    CNT_WEBHOOK_CONFLICT,     /* 409: the order_id exists with other details */
    CNT_WEBHOOK_INVALID,      /* 400 */
    CNT_WEBHOOK_UNAUTHORIZED, /* 401 */
    CNT_WEBHOOK_LIMITED,      /* 429 */
    CNT_WEBHOOK_FAILED,       /* 503: the database failed */
    /* tgr_store_errors_total{kind}: store operations that failed (store/db.c) */
    CNT_STORE_ERRORS_HARD,
    CNT_STORE_ERRORS_TRANSIENT,
    /* tgr_webhook_deliveries_total{outcome}: attempts of outgoing webhooks (hooks/deliver.c) */
    CNT_HOOKS_DELIVERED, /* a 2xx answer */
    CNT_HOOKS_RETRY,     /* failed; tried again later */
    CNT_HOOKS_FAILED,    /* failed for the last time (24 h after the event) */
    CNT_N
};

/* Counters with one label whose values come as they are seen. */
enum counter_family {
    FAM_MESSAGES_FAILED,  /* label: the error code (Telegram's, or retries_exhausted, …) */
    FAM_REVENUE,          /* label: the currency; minor units credited to campaigns */
    FAM_REVENUE_REFUNDED, /* label: the currency; minor units of credited orders refunded */
    FAM_N
};

#define COUNTER_LABELS 48

/* Add n. */
void counter_add(enum counter c, uint64_t n);
/* Add n to the series of label (NULL or empty: "unknown"; not [A-Za-z0-9_]{1,40}: "other"). */
void counter_add_by(enum counter_family f, const char *label, uint64_t n);

struct counter_def {
    const char *name; /* tgr_…_total */
    const char *help;
    const char *label; /* families, and counters with a fixed label: the label's name */
    const char *value; /* counters with a fixed label: its value */
};
extern const struct counter_def counter_defs[CNT_N];
extern const struct counter_def counter_family_defs[FAM_N];

uint64_t counter_get(enum counter c);
/* The i-th series of family f (0 ≤ i < COUNTER_LABELS). @return 1 with *label and *value set,
 * 0 when that slot is unused */
int counter_family_get(enum counter_family f, size_t i, const char **label, uint64_t *value);

/* ---- histograms -------------------------------------------------------------------------------- */

#define HIST_BOUNDS 14

/* One series of a histogram of durations: observations by bucket (not cumulative; the last is
 * +Inf) and their sum. Zeroed is empty. */
struct hist {
    uint64_t bucket[HIST_BOUNDS + 1];
    uint64_t sum_us;
};

/* Record a duration of micros (negative: 0) in h, whose buckets' upper bounds, in seconds,
 * ascending, are bounds. Lock-free. */
void hist_observe(struct hist *h, const double bounds[HIST_BOUNDS], int64_t micros);
/* Read h: cum[i] observations of at most bounds[i], cum[HIST_BOUNDS] all of them (the
 * +Inf bucket and the count agree even while others observe). @return the sum in seconds */
double hist_read(const struct hist *h, uint64_t cum[HIST_BOUNDS + 1]);

/* The histograms of base/counters: a label from a fixed list, or none. */
enum histogram {
    HIST_SEND,   /* tgr_send_duration_seconds: a campaign message, outbox claim to Telegram's answer */
    HIST_BRIDGE, /* tgr_bridge_request_duration_seconds{op}: a bridge request to its answer */
    HIST_N
};

#define HIST_VALUES 12 /* label values of a histogram at most */

struct histogram_def {
    const char *name; /* tgr_…_seconds */
    const char *help;
    const char *label;                     /* NULL: one series */
    const char *const values[HIST_VALUES]; /* the label's values, the last "other" (NULL after) */
    const double bounds[HIST_BOUNDS];
};
extern const struct histogram_def histogram_defs[HIST_N];

/* The index of value among h's label values ("other"'s when it is none of them; 0 without a
 * label). */
size_t histogram_value(enum histogram h, const char *value);
/* Record a duration of micros in the series of label value index v of h. */
void histogram_observe(enum histogram h, size_t v, int64_t micros);
/* The series of label value index v of h (v < HIST_VALUES, values[v] not NULL). */
const struct hist *histogram_series(enum histogram h, size_t v);

#endif
