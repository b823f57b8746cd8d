/* timeline — one contact's history, newest first (issue 16; API.md "Results per person":
 * GET /contacts/:id/timeline): the messages they wrote, the campaign messages sent to them or
 * failed, what they did with them (read, replied, clicked), their orders and refunds, and the
 * contact audit log (opted out, opted back in, category changed). The store merges the sources
 * in one statement (store_people.h S_TIMELINE); only the page asked for is opened.
 *
 * Paging: events are ordered by (time, kind, row) descending; a page's next_after is that key of
 * its last event as text, "<unix ms>.<kind>.<row id>", which the next request passes as after.
 * Layer: core. */
#ifndef TGR_TIMELINE_H
#define TGR_TIMELINE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct app;

#define TIMELINE_CURSOR_MAX 64

/* The API's type of a kind ("message_in"), or NULL for a kind that is none. */
const char *timeline_type_name(int kind);

/* Parse a next_after as given back by a client. @return TGR_OK with *out, or TGR_ERR */
int timeline_cursor_parse(const char *s, struct timeline_key *out);
/* The text of k (cap >= TIMELINE_CURSOR_MAX). */
void timeline_cursor_format(const struct timeline_key *k, char *out, size_t cap);

enum timeline_outcome { TIMELINE_OK, TIMELINE_NOT_FOUND, TIMELINE_STORE };

/* Up to limit events of the contact (of account_id, else TIMELINE_NOT_FOUND) older than before
 * (NULL: from the newest), as the API's objects {"at","type","campaign_id","text","details"}.
 * @param[out] events a new array (on TIMELINE_OK)
 * @param[out] next the key to read on from, when *more */
enum timeline_outcome timeline_read(struct app *app, int64_t account_id, int64_t contact_id,
                                    const struct timeline_key *before, int limit, json_t **events,
                                    struct timeline_key *next, int *more);

#endif
