/* ratelimit — token buckets keyed by a string (an address, an email, an account id), and the
 * key of a client address.
 *
 * Each key has a bucket of `burst` tokens refilled at `per_minute` tokens a minute; a request
 * takes one. A token taken as a reservation (before work whose outcome decides whether it should
 * count) can be given back with ratelimit_refund(). The table is bounded: when it is full,
 * buckets that have refilled completely are forgotten (they carry no information), so memory
 * stays flat under a flood of new keys. */
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

/* Give back one token taken from key at an earlier ratelimit_take(), never past the burst. A key
 * that was forgotten meanwhile (full again) is left alone. */
void ratelimit_refund(struct ratelimit *rl, const char *key, int64_t now_ms);

/* Longest key ratelimit_addr_key() writes, with its NUL ("ffff:ffff:ffff:ffff::/64"). */
#define RATELIMIT_ADDR_KEY_MAX 48

/* The key under which a client address is limited. An IPv4 address is itself; an IPv4-mapped
 * IPv6 address (::ffff:192.0.2.1) is the IPv4 address; any other IPv6 address is its /64
 * ("2001:db8:1:2::/64"), because a single host or customer is routinely given a whole /64 and
 * could otherwise pick a new address per request. Text that is not an address (a Unix socket
 * peer, "") is kept as given, cut to fit.
 * @param ip the address as inet_ntop wrote it */
void ratelimit_addr_key(const char *ip, char out[RATELIMIT_ADDR_KEY_MAX]);

#endif
