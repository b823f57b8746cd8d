/* h_track — GET /t/:code (API.md "Tracking"): the redirect behind every tracked link. No
 * credential: the code itself (link + recipient, encrypted and authenticated, core/links.c) says
 * whose click it is. Link-preview bots and crawlers are redirected but not counted, nor are
 * repeats from one address within 10 minutes (analytics/clickwin.h). No database read per click:
 * links come from the cache (with their URL already cut where the ref goes), the repeat window
 * is in memory, clicks are written in batches. */
#include <string.h>

#include "base/counters.h"
#include "analytics/clicks.h"
#include "base/app.h"
#include "core/links.h"
#include "base/log.h"
#include "base/util.h"
#include "http/handlers.h"
#include "http/server.h"
#include "http/track.h"

static int is_bot(const char *ua, size_t ua_len)
{
    /* TelegramBot, Twitterbot, Slackbot, Discordbot… all say "bot". */
    static const char *bots[] = {"bot",      "crawler",      "spider",   "preview",   "facebookexternalhit",
                                 "whatsapp", "slack",        "discord",  "embedly",   "skypeuripreview",
                                 "vkshare",  "linkexpander", "headless", "lighthouse"};
    if (!ua || !ua_len) return 1; /* real browsers always say who they are */
    char low[256];
    size_t i = 0;
    for (; i < ua_len && ua[i] && i + 1 < sizeof low; i++)
        low[i] = (char)((ua[i] >= 'A' && ua[i] <= 'Z') ? ua[i] + 32 : ua[i]);
    low[i] = 0;
    for (size_t k = 0; k < sizeof bots / sizeof bots[0]; k++)
        if (strstr(low, bots[k])) return 1;
    return 0;
}

int track_find(struct app *app, const char *code, struct track_link *out)
{
    char ref[LINK_CODE_MAX];
    if (!code || link_code_parse(app->kr, code, &out->link_id, &out->recipient_id) != TGR_OK) return 0;
    link_ref(app->kr, out->recipient_id, out->link_id, ref);
    return clicks_redirect(app->clicks, out->link_id, ref, &out->account_id, &out->campaign_id, out->loc);
}

void track_count(struct app *app, const struct track_link *l, int counted, const char *ua, size_t ua_len,
                 const char *ip)
{
    /* HEAD requests, link-preview bots and repeats are redirected but not counted. */
    int bot = is_bot(ua, ua_len);
    if (bot) counter_add(CNT_CLICKS_BOTS, 1); /* not an atomic add of 0 on every click */
    if (counted && !bot && clicks_counts(app->clicks, l->link_id, l->recipient_id, ip)) {
        counter_add(CNT_CLICKS_COUNTED, 1);
        clicks_add(app->clicks, l->account_id, l->campaign_id, l->link_id, l->recipient_id);
    }
}

int track_click(struct app *app, const char *code, int counted, const char *ua, size_t ua_len, const char *ip,
                char loc[CLICKS_LOCATION_MAX])
{
    struct track_link l;
    int found = track_find(app, code, &l);
    if (found <= 0) return found;
    track_count(app, &l, counted, ua, ua_len, ip);
    memcpy(loc, l.loc, CLICKS_LOCATION_MAX);
    return 1;
}

enum hres track_click_h(struct req *r)
{
    char loc[CLICKS_LOCATION_MAX];
    const char *ua = req_header(r, "User-Agent");
    int found = track_click(r->app, route_param(&r->params, "code"), strcmp(r->method, "GET") == 0, ua,
                            ua ? strlen(ua) : 0, r->ip, loc);
    if (found < 0) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    if (!found) {
        static const char page[] =
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Link not "
            "found</title></head><body><h1>This link does not exist</h1><p>It may have been "
            "mistyped or cut short.</p></body></html>";
        r->is_web = 1;
        reply_data(r, 404, "text/html; charset=utf-8", page, sizeof page - 1);
        return H_NO;
    }
    reply_data(r, 302, TRACK_CONTENT_TYPE, "", 0);
    reply_header(r, "Location", loc);
    reply_header(r, "Cache-Control", TRACK_CACHE_CONTROL);
    return H_OK;
}
