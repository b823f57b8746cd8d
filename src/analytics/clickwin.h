/* clickwin — the repeat-click window of GET /t/:code: a click counts when it is the first from
 * its address on its (link, recipient) within CLICKWIN_MS; repeats inside the window are
 * redirected but not counted, so one address cannot inflate a campaign's clicks by reloading.
 *
 * Memory is fixed when the window is made and never grows, whatever the number of addresses: a
 * set-associative table (CLICKWIN_WAYS entries per bucket) of 64-bit keyed hashes (SipHash with a
 * random per-process key, so outsiders cannot aim at one bucket) of (link, recipient, address),
 * each with the time of its last counted click. A new key takes an empty or expired entry of its
 * bucket, else the oldest; evicting a live entry only lets that key count once more, and filling
 * a bucket takes clicks that each counted already. IPv6 addresses count by their /64 (what one
 * subscriber gets); IPv4 and IPv4-mapped addresses whole. The window lives in one process: each
 * instance sharing a database keeps its own (docs/DECISIONS.md 48). Thread-safe (one mutex). */
#ifndef TGR_CLICKWIN_H
#define TGR_CLICKWIN_H

#include <stddef.h>
#include <stdint.h>

#define CLICKWIN_MS      (10 * 60 * 1000)
#define CLICKWIN_WAYS    8
#define CLICKWIN_ENTRIES 65536 /* the server's table: 1 MiB */

struct clickwin;

/* A window of window_ms over at least `entries` entries (rounded up to whole buckets of a
 * power-of-two count). @return NULL when out of memory; free with clickwin_free() */
struct clickwin *clickwin_new(size_t entries, int64_t window_ms);
void clickwin_free(struct clickwin *w);

/* Record a click at now_ms (any clock that does not go back, e.g. mono_ms()).
 * @param addr the client's address as text (inet_ntop); anything else is keyed as given
 * @return 1 when it counts (no counted click of this key within the window before it), 0 when it
 *         repeats one */
int clickwin_first(struct clickwin *w, int64_t link_id, int64_t recipient_id, const char *addr,
                   int64_t now_ms);

#endif
