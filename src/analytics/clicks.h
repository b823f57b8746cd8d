/* clicks — the hot path behind GET /t/:code: link lookups from memory, and a writer that
 * records counted clicks in batches (group commit) instead of one transaction per request.
 *
 * Links never change once created, so their target URL is cached after the first lookup, already
 * cut where the ref goes (its own lock, held for a copy of the bytes: never the queue's). Clicks
 * wait in a bounded queue; one thread writes whatever is queued CLICKS_FLUSH_MS after the first of
 * them (or as soon as CLICKS_BATCH are waiting) in one transaction, and sleeps while none wait. A crash loses
 * at most the clicks of the last CLICKS_FLUSH_MS; a clean stop writes everything.
 *
 * Repeats are not counted: a click from the address of an earlier counted click on the same
 * link for the same recipient within 10 minutes is only redirected (analytics/clickwin.h).
 * Layer: analytics (above base, crypto, store, core; below cluster, tg, engine, http). */
#ifndef TGR_CLICKS_H
#define TGR_CLICKS_H

#include <stddef.h>
#include <stdint.h>

#define CLICKS_FLUSH_MS 50
#define CLICKS_BATCH    512

struct store;
struct clicks;

struct clicks *clicks_start(struct store *st);
/* Write what is queued and stop the writer. */
void clicks_stop(struct clicks *c);

/* Room for any redirect target: a link's URL (core/text.h MAX_URL, 2048 bytes), "&tgr_ref=", a
 * ref and the NUL. */
#define CLICKS_LOCATION_MAX 2112

/* Where a click on link_id goes: the link's URL with tgr_ref=<ref> added to its query, before
 * any fragment ("https://s.example/p?x=1&tgr_ref=REF#top"), into loc; and the link's account
 * and campaign. The URL is read once and kept split around the ref, so a click copies bytes
 * instead of parsing and formatting it.
 * @param loc CLICKS_LOCATION_MAX bytes
 * @return 1 found, 0 unknown, -1 database trouble */
int clicks_redirect(struct clicks *c, int64_t link_id, const char *ref, int64_t *account_id,
                    int64_t *campaign_id, char loc[CLICKS_LOCATION_MAX]);

/* Whether a click from addr (the client's address as text) on (link, recipient) counts now: the
 * first within the repeat window does, repeats inside it do not. A click that counts opens a new
 * window, so call it only for clicks that will be added. */
int clicks_counts(struct clicks *c, int64_t link_id, int64_t recipient_id, const char *addr);

/* Queue a counted click. When the queue is full the caller writes the batch itself. */
void clicks_add(struct clicks *c, int64_t account_id, int64_t campaign_id, int64_t link_id,
                int64_t recipient_id);

/* Write everything queued now (tests and shutdown). */
void clicks_flush(struct clicks *c);

#endif
