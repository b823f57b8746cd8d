/* ratelimit — token buckets keyed by a string (an IP, an email, an account id).
 *
 * Each key has a bucket of `burst` tokens refilled at `per_minute` tokens a minute; a request
 * takes one. The table is bounded: when it is full, buckets that have refilled completely are
 * forgotten (they carry no information), so memory stays flat under a flood of new keys. */
#ifndef TGR_RATELIMIT_H
#define TGR_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

/* @return a limiter, or NULL when out of memory. per_minute <= 0 disables limiting. */
struct ratelimit *ratelimit_new(double per_minute, double burst, int max_keys);
void ratelimit_free(struct ratelimit *rl);

/* Take one token for key at time now_ms (monotonic).
 * @return 0 when allowed, else the whole seconds (>= 1) after which a token will be there */
int ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms);

#endif
