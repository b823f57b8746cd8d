/* daily — the daily send limit of an account (issue 15): at most daily_send_limit campaign
 * messages (first messages and nudges together; test sends are not campaign messages) per
 * calendar day in the account's time zone. The engine asks before each send and waits until
 * the local midnight when the limit is reached; GET /campaigns/:id asks to say so. Layer: core. */
#ifndef TGR_DAILY_H
#define TGR_DAILY_H

#include <stdint.h>

struct store;

struct daily {
    int limit;                  /* 0: no limit */
    int64_t day_start, day_end; /* the account's current local day (unix ms) */
    int64_t sent;               /* campaign messages sent since day_start */
};

/* Read the account's limit and what it sent today (at now).
 * @return TGR_OK, or TGR_ERR when a read failed (the caller neither sends on it nor says
 *         "waiting") */
int daily_read(struct store *st, int64_t account_id, int64_t now, struct daily *out);

/* 1 when the day's messages are used up: nothing more is sent before d->day_end. */
static inline int daily_reached(const struct daily *d)
{
    return d->limit > 0 && d->sent >= d->limit;
}

#endif
