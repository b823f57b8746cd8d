/* cstate — campaign statuses and moves; see cstate.h. */
#include "core/cstate.h"

#include <stdio.h>
#include <string.h>

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

int campaign_move(struct store *st, int64_t account_id, int64_t campaign_id, enum campaign_move m,
                  const char *reason)
{
    /* The store's compare-and-set takes the "from" set as names: "running,nudging". */
    char from[96];
    size_t n = 0;
    from[0] = 0;
    for (int i = 0; i < CAMPAIGN_STATUS_COUNT; i++) {
        if (!(moves[m].from & CAMPAIGN_BIT(i))) continue;
        n += (size_t)snprintf(from + n, sizeof from - n, "%s%s", n ? "," : "", names[i]);
    }
    return st->campaign_transition(st, account_id, campaign_id, from, names[moves[m].to], reason);
}
