/* metrics — request counters and latency histograms per route, rendered in the Prometheus
 * text format for GET /metrics. Recording is lock-free (relaxed atomics), so it can sit on the
 * hot path of every request. */
#ifndef TGR_METRICS_H
#define TGR_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct route;
struct metrics;

/* One series per route of the table (and one for requests that matched none). */
struct metrics *metrics_new(const struct route *routes);
void metrics_free(struct metrics *m);

/* Record one finished request. route_idx -1 means it matched no route. */
void metrics_observe(struct metrics *m, int route_idx, unsigned status, int64_t micros);

/* Render everything (plus tgr_build_info and process uptime).
 * @return malloc'd text, *len set; NULL when out of memory */
char *metrics_render(struct metrics *m, size_t *len);

#endif
