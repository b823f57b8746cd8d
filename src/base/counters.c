/* counters — process-wide operational counters; see counters.h. */
#include "base/counters.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

const struct counter_def counter_defs[CNT_N] = {
    [CNT_MESSAGES_SENT] = {"tgr_messages_sent_total", "Campaign messages Telegram accepted.", NULL},
    [CNT_MESSAGES_SKIPPED] = {"tgr_messages_skipped_total",
                              "Campaign messages not sent on purpose (the person charges Stars).", NULL},
    [CNT_FLOOD_WAITS] = {"tgr_flood_waits_total", "FLOOD_WAIT answers from Telegram.", NULL},
    [CNT_FLOOD_WAIT_SECONDS] = {"tgr_flood_wait_seconds_total", "Seconds Telegram asked accounts to wait.",
                                NULL},
    [CNT_PEER_FLOOD_PAUSES] = {"tgr_peer_flood_pauses_total", "Campaigns paused by PEER_FLOOD.", NULL},
    [CNT_SESSION_INVALID_PAUSES] = {"tgr_session_invalid_pauses_total",
                                    "Accounts whose Telegram session died (campaigns paused).", NULL},
    [CNT_FROZEN_PAUSES] = {"tgr_account_frozen_pauses_total",
                           "Accounts frozen by Telegram (campaigns paused).", NULL},
    [CNT_STORAGE_PAUSES] = {"tgr_storage_pauses_total",
                            "Accounts whose sending paused because the database failed (storage_error).",
                            NULL},
    [CNT_BRIDGE_RESTARTS] = {"tgr_bridge_restarts_total", "Restarts of the Node.js Telegram bridge.", NULL},
    [CNT_CLICKS_COUNTED] = {"tgr_clicks_counted_total", "Tracked-link clicks counted.", NULL},
    [CNT_CLICKS_BOTS] = {"tgr_clicks_bots_total",
                         "Tracked-link requests of bots and link previews (not counted).", NULL},
    [CNT_LEASES_TAKEN] = {"tgr_leases_taken_total", "Accounts whose sending this instance took over.", NULL},
    [CNT_LEASES_LOST] = {"tgr_leases_lost_total", "Accounts whose sending moved to another instance.", NULL},
};

const struct counter_def counter_family_defs[FAM_N] = {
    [FAM_MESSAGES_FAILED] = {"tgr_messages_failed_total",
                             "Campaign messages that failed for good, by reason.", "reason"},
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
