/* audience — who a campaign reaches (API.md "Campaigns", filters): the account's contacts that
 * pass the filters, minus opted-out, blocked and deactivated contacts and those messaged by any
 * campaign within the account's frequency cap. SQL applies everything it can see; categories
 * are sealed, so they are opened and filtered here. */
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
};

/* @param cap_days the account's frequency cap (0 = none)
 * @return TGR_OK, or TGR_ERR (database failure) */
int audience_resolve(struct app *app, int64_t account_id, const struct filters *f, int cap_days,
                     struct audience *out);
void audience_release(struct audience *a);

#endif
