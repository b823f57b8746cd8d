/* forecast — when queued messages will have gone out (issue 18, "Progress never goes backwards"):
 * a clock that walks through a queue of messages as the engine sends them, one every
 * 1/send_rate seconds, starting after a FloodWait, holding during quiet hours and waiting for
 * the local midnight when the account's daily limit is used up. Pure arithmetic over the rules
 * of core/campaign.h (quiet hours) and core/daily.h (the daily limit); no store, no clock read,
 * so the unit tests give it fixed instants. Layer: core.
 *
 * The engine sends an account's due messages one at a time in the order they were queued
 * (recipients by id), whatever their campaign, so "when does campaign B's last first message
 * go" is "when has everything queued before it, and it, gone": callers feed the queue in that
 * order, each part with the quiet hours of the campaign it belongs to (a message held by its
 * campaign's quiet hours holds the whole account, as engine/tick.c does).
 *
 * Accuracy: the pacing is exact; the bridge's own time per send is not counted (the engine's
 * interval starts when Telegram answers, so real sends run a little slower). Messages are
 * walked in chunks of at most FORECAST_CHUNK_MS; where a chunk ends inside quiet hours the
 * boundary is found by bisection, so the start of quiet hours is placed to the message. */
#ifndef TGR_FORECAST_H
#define TGR_FORECAST_H

#include <stdint.h>

#include "core/campaign.h"

#define FORECAST_CHUNK_MS  (5 * 60 * 1000LL) /* messages walked at once between quiet-hour checks */
#define FORECAST_MAX_STEPS 20000             /* past this many chunks the answer is "not known" */

struct forecast {
    int64_t t;           /* when the next message can go (unix ms); 0 once past the horizon */
    int64_t interval_ms; /* between two messages */
    int daily_limit;     /* messages per local day; 0: none */
    int64_t left_today;  /* with a limit: messages still allowed before day_end */
    int64_t day_end;     /* the next local midnight (unix ms) */
    char tz[64];         /* the account's time zone, for the days after day_end */
    int steps;           /* chunks walked so far (FORECAST_MAX_STEPS) */
};

/* Start the clock at now, or at flood_until when Telegram asked to wait longer. rate: messages
 * per second (<= 0 is taken as 1). daily_limit 0 means none; otherwise sent_today of it are used
 * up in the local day that ends at day_end, and later days of tz (NULL: UTC) start afresh. */
void forecast_init(struct forecast *f, int64_t now, double rate, int64_t flood_until, int daily_limit,
                   int64_t sent_today, int64_t day_end, const char *tz);

/* Walk n more messages held by quiet hours q (NULL or unset: none).
 * @return when the last of them goes (unix ms); the clock's time when n <= 0; 0 when it lies
 *         past the horizon (FORECAST_MAX_STEPS chunks, about two months at one message a second)
 *         or an earlier call already did — "not known" */
int64_t forecast_send(struct forecast *f, int64_t n, const struct quiet_hours *q);

#endif
