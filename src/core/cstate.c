/* cstate — campaign statuses and moves; see cstate.h. */
#include "core/cstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "core/webhooks.h"
#include "store/store.h"

static const char *const names[CAMPAIGN_STATUS_COUNT] = {
#define X(id, name) [id] = name,
    CAMPAIGN_STATUSES(X)
#undef X
};

static const struct {
    unsigned from;
    enum campaign_status to;
} moves[] = {
#define X(id, from_set, to_status) [id] = {from_set, to_status},
    CAMPAIGN_MOVES(X)
#undef X
};

_Static_assert(sizeof names / sizeof names[0] == CAMPAIGN_STATUS_COUNT, "one name per status");

int campaign_status_parse(const char *name, enum campaign_status *out)
{
    for (int i = 0; name && i < CAMPAIGN_STATUS_COUNT; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum campaign_status)i;
            return 0;
        }
    }
    return -1;
}

const char *campaign_status_name(enum campaign_status s)
{
    return (unsigned)s < CAMPAIGN_STATUS_COUNT ? names[s] : "unknown";
}

int campaign_move_allowed(enum campaign_move m, enum campaign_status s)
{
    return (moves[m].from & CAMPAIGN_BIT(s)) != 0;
}

enum campaign_status campaign_move_to(enum campaign_move m)
{
    return moves[m].to;
}

int campaign_status_editable(enum campaign_status s)
{
    return s == CAMPAIGN_DRAFT || s == CAMPAIGN_PAUSED;
}

int campaign_status_takes_nudges(enum campaign_status s)
{
    return s != CAMPAIGN_COMPLETED && s != CAMPAIGN_CANCELLED;
}

int campaign_status_active(enum campaign_status s)
{
    return s == CAMPAIGN_RUNNING || s == CAMPAIGN_NUDGING;
}

/* campaign.status_changed: the campaign as it is now (its new status and pause reason). */
static enum db_status status_event(struct store *st, int64_t account_id, void *cls, json_t **out)
{
    int64_t id = *(const int64_t *)cls;
    struct campaign c;
    memset(&c, 0, sizeof c);
    enum db_status r = st->campaign_get(st, account_id, id, &c);
    if (r != DB_ONE) return r < 0 ? r : DB_HARD;
    char at[40];
    rfc3339(c.updated_at ? c.updated_at : now_ms(), at, sizeof at);
    *out = json_pack("{s:I, s:s, s:s, s:s?, s:s}", "campaign_id", (json_int_t)id, "name", c.name, "status",
                     c.status, "reason", c.pause_reason[0] ? c.pause_reason : NULL, "at", at);
    campaign_release(&c);
    return *out ? DB_ONE : DB_HARD;
}

int campaign_status_emit(struct store *st, int64_t account_id, int64_t campaign_id)
{
    return webhook_emit(st, account_id, WH_CAMPAIGN_STATUS_CHANGED, status_event, &campaign_id);
}

struct move {
    int64_t account_id, campaign_id;
    enum campaign_move m;
    const char *reason;
};

static enum db_status move_txn(struct store *st, void *cls)
{
    const struct move *x = cls;
    /* The store's compare-and-set takes the "from" set as names: "running,nudging". */
    char from[96];
    size_t n = 0;
    from[0] = 0;
    for (int i = 0; i < CAMPAIGN_STATUS_COUNT; i++) {
        if (!(moves[x->m].from & CAMPAIGN_BIT(i))) continue;
        n += (size_t)snprintf(from + n, sizeof from - n, "%s%s", n ? "," : "", names[i]);
    }
    enum db_status r =
        st->campaign_transition(st, x->account_id, x->campaign_id, from, names[moves[x->m].to], x->reason);
    if (r != DB_ONE) return r;
    r = campaign_status_emit(st, x->account_id, x->campaign_id);
    return r < 0 ? r : DB_ONE;
}

int campaign_move(struct store *st, int64_t account_id, int64_t campaign_id, enum campaign_move m,
                  const char *reason)
{
    return st->txn(st, TX_DURABLE, move_txn, &(struct move){account_id, campaign_id, m, reason});
}

struct pause_every {
    int64_t account_id;
    const char *reason;
};

static enum db_status pause_every_txn(struct store *st, void *cls)
{
    const struct pause_every *x = cls;
    int64_t *running = NULL, *nudging = NULL;
    size_t n_running = 0, n_nudging = 0;
    enum db_status r =
        st->campaigns_in_status(st, x->account_id, names[CAMPAIGN_RUNNING], &running, &n_running);
    if (r >= 0) r = st->campaigns_in_status(st, x->account_id, names[CAMPAIGN_NUDGING], &nudging, &n_nudging);
    if (r >= 0) r = st->campaigns_pause_all(st, x->account_id, x->reason);
    for (size_t i = 0; r >= 0 && i < n_running; i++)
        r = campaign_status_emit(st, x->account_id, running[i]);
    for (size_t i = 0; r >= 0 && i < n_nudging; i++)
        r = campaign_status_emit(st, x->account_id, nudging[i]);
    free(running);
    free(nudging);
    return r < 0 ? r : DB_ONE;
}

int campaigns_pause_every(struct store *st, int64_t account_id, const char *reason)
{
    return st->txn(st, TX_DURABLE, pause_every_txn, &(struct pause_every){account_id, reason});
}
