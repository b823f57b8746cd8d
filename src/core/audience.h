/* audience — who a campaign reaches (API.md "Campaigns", filters): the account's contacts that
 * pass the filters, minus opted-out, blocked and deactivated contacts and those messaged by any
 * campaign within the account's frequency cap, and — unless the filters ask for them — minus
 * contacts who charge Stars for messages or whose privacy settings refused the account (counted
 * in left_out, so the preview says how many and why). SQL applies everything it can see;
 * categories are sealed, so they and the marks are filtered here. */
#ifndef TGR_AUDIENCE_H
#define TGR_AUDIENCE_H

#include <stddef.h>
#include <stdint.h>

#include "core/classify.h"
#include "core/campaign.h"

struct app;

struct audience {
    int64_t *ids; /* contact ids, ascending */
    size_t n, cap;
    size_t by_category[CAT_COUNT];
    size_t left_out_charging, left_out_privacy; /* matched the filters, left out for their mark */
};

/* @param cap_days the account's frequency cap (0 = none)
 * @return TGR_OK, or TGR_ERR (database failure) */
int audience_resolve(struct app *app, int64_t account_id, const struct filters *f, int cap_days,
                     struct audience *out);
void audience_release(struct audience *a);

/* Who passes the filters (categories included) but is held back, each person counted once under
 * the first reason that holds: opted out, blocked (or deactivated), then messaged by any campaign
 * within the frequency cap. With the audience's count they make everyone the filters select, so a
 * shop can be told why an audience is small or empty (DECISIONS 67). */
struct audience_held {
    size_t opted_out, blocked, frequency_cap;
    int64_t cap_ends_at; /* when the first person held by the cap can be messaged again (unix ms); 0 none */
};

/* @return TGR_OK, or TGR_ERR (database failure) */
int audience_held_back(struct app *app, int64_t account_id, const struct filters *f, int cap_days,
                       struct audience_held *out);

#endif
