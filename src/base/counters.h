/* counters — what the send engine, the bridge, the click counter and the cluster count for
 * operators, shown by GET /metrics (http/metrics.c renders them in the Prometheus text format).
 * Each is one line where the thing happens: counter_add(CNT_FLOOD_WAITS, 1). Process-wide,
 * lock-free (relaxed atomics), from zero at each start, as Prometheus counters are.
 * Labels are bounded: a family keeps at most COUNTER_LABELS distinct values (what comes after
 * counts under "other"), and a label is only [A-Za-z0-9_], never an id of a person. */
#ifndef TGR_COUNTERS_H
#define TGR_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

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
    CNT_N
};

/* Counters with one label. */
enum counter_family {
    FAM_MESSAGES_FAILED, /* label: the error code (Telegram's, or retries_exhausted, …) */
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
    const char *label; /* families only: the label's name */
};
extern const struct counter_def counter_defs[CNT_N];
extern const struct counter_def counter_family_defs[FAM_N];

uint64_t counter_get(enum counter c);
/* The i-th series of family f (0 ≤ i < COUNTER_LABELS). @return 1 with *label and *value set,
 * 0 when that slot is unused */
int counter_family_get(enum counter_family f, size_t i, const char **label, uint64_t *value);

#endif
