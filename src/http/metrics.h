/* metrics — request counters and latency histograms per route, the operational counters and
 * histograms of base/counters.h, and gauges read when the page is rendered (campaigns by status,
 * outbox depth, the sealing key in use), in the Prometheus text format for GET /metrics.
 * Recording is lock-free (relaxed atomics), so it can sit on the hot path of every request. */
#ifndef TGR_METRICS_H
#define TGR_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct app;
struct route;
struct metrics;

/* One series per route of the table (and one for requests that matched none). */
struct metrics *metrics_new(const struct route *routes);
void metrics_free(struct metrics *m);

/* Record one finished request. route_idx -1 means it matched no route. */
void metrics_observe(struct metrics *m, int route_idx, unsigned status, int64_t micros);

/* Render everything (plus tgr_build_info and process uptime), reading the gauges from app's store
 * and keyring.
 * @return malloc'd text, *len set; NULL when out of memory */
char *metrics_render(struct metrics *m, struct app *app, size_t *len);

/* The access token of GET /metrics, from the environment variable TGR_METRICS_TOKEN only (never a
 * flag, so it does not show in `ps`). Only its BLAKE2b-256 hash is kept, so the token itself is
 * not held by the server after start and cannot end up in a log. */
#define METRICS_TOKEN_HASH_BYTES 32
#define METRICS_TOKEN_MIN        16
#define METRICS_TOKEN_MAX        512

/* Read TGR_METRICS_TOKEN. Unset or empty: *set = 0 (/metrics stays open). Otherwise it must be
 * METRICS_TOKEN_MIN..METRICS_TOKEN_MAX visible ASCII characters (no spaces), and it is then removed
 * from the environment (so child processes do not inherit it): call before any thread starts.
 * @param[out] hash the token's hash when *set
 * @return TGR_OK, or TGR_ERR with a reason in err that does not repeat the value */
int metrics_token_load(unsigned char hash[METRICS_TOKEN_HASH_BYTES], int *set, char *err, size_t errlen);

/* Whether authorization (the Authorization header's value, or NULL) is "Bearer <token>" for the
 * token whose hash is given. The comparison takes the same time whatever the bytes sent.
 * @return 1 or 0 */
int metrics_token_ok(const unsigned char hash[METRICS_TOKEN_HASH_BYTES], const char *authorization);

#endif
