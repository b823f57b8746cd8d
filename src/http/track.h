/* track — the rule of a click on a tracked link (API.md "Tracking"), shared by the two paths that
 * answer GET /t/:code: the route handler behind libmicrohttpd (http/h_track.c) and the fast path
 * in front of it (http/fastclick.c). Both call track_click() and answer a found link with the
 * same 302, whose own headers are named here once. Layer: http. */
#ifndef TGR_TRACK_H
#define TGR_TRACK_H

#include <stddef.h>
#include <stdint.h>

#include "analytics/clicks.h"

struct app;

/* The 302's headers besides Location (the common security headers follow them, http/server.h). */
#define TRACK_CONTENT_TYPE  "text/plain; charset=utf-8"
#define TRACK_CACHE_CONTROL "no-store"

/* A link found by its code: whose click it is, and the Location of its 302. */
struct track_link {
    int64_t link_id, recipient_id, account_id, campaign_id;
    char loc[CLICKS_LOCATION_MAX];
};

/* Decode code and find where its link goes; counts nothing.
 * @return 1 found (out filled), 0 no such link, -1 the database is not available */
int track_find(struct app *app, const char *code, struct track_link *out);

/* Count a click on a found link, by the rule of track_click(). Call it once the click is sure to
 * be answered (the fast path builds its reply and reads the request first). */
void track_count(struct app *app, const struct track_link *l, int counted, const char *ua, size_t ua_len,
                 const char *ip);

/* track_find(), then track_count() when found: decode code, find where its link goes, and count the click:
 * not for HEAD (counted 0), a link-preview bot or crawler (by its User-Agent, ua_len bytes, NULL when
 * absent), or a repeat from ip within the window (analytics/clickwin.h); counted clicks are queued
 * (analytics/clicks.h).
 * @param loc CLICKS_LOCATION_MAX bytes: the Location of the 302 when found
 * @return 1 found, 0 no such link, -1 the database is not available */
int track_click(struct app *app, const char *code, int counted, const char *ua, size_t ua_len, const char *ip,
                char loc[CLICKS_LOCATION_MAX]);

#endif
