/* h_scorecard — GET /campaigns/:id/scorecard (API.md "Campaigns"): what worked and what to send
 * next. Everything is read from counters kept up to date as events arrive (recipients, links,
 * revenue_by), never recomputed from raw events here.
 *
 * best_lines: every line of the campaign's messages (initial and nudges), placeholders as written
 *   with their fallback, with the messages that carried it (sent), clicks (all, and unique
 *   recipients) on the links in that line, replies to those messages and the revenue of its
 *   links; score = (unique clicks + 2 × replies + revenue / 10 major units) / sent, highest
 *   first, ties in the order of the messages and their lines. The same line in the account's
 *   earlier campaigns (sent, unique clicks, replies) is summed beside it.
 * suggestions: rules over real data, each with filters that a new campaign accepts as they are
 *   and the audience count those filters give now; `kind` names the rule, so a client can draft a
 *   message that fits it (DECISIONS 67). `read_hour` (not_read only, when anyone read) is the
 *   hour of the account's time zone its readers read most, so a client can say it in its own
 *   language rather than quote `reason`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "core/audience.h"
#include "core/campaign.h"
#include "core/render.h"
#include "base/util.h"
#include "core/sealed.h"
#include "crypto/seal.h"
#include "http/handlers.h"
#include "http/server.h"

#define MAX_LINES   64
#define EARLIER_MAX 50

struct link_stat {
    int64_t id;
    char url[600];
    int64_t clicks, unique, revenue;
};

struct links {
    struct link_stat v[64];
    int n;
};

static void on_link(void *cls, int64_t id, const char *url, int64_t clicks, int64_t unique, int64_t revenue)
{
    struct links *l = cls;
    if (l->n < 64) l->v[l->n++] = (struct link_stat){id, "", clicks, unique, revenue};
    if (l->n <= 64) snprintf(l->v[l->n - 1].url, sizeof l->v[0].url, "%s", url ? url : "");
}

struct line {
    char text[512];
    int step, pos; /* pos: where the line is in its message, for ties */
    int64_t sent, clicks, unique, replies, revenue;
    double score;
    int64_t e_campaigns, e_sent, e_clicks, e_replies; /* the same line, earlier campaigns */
};

struct lines {
    struct line v[MAX_LINES];
    int n;
};

/* The message text of a step (0 = main, k = nudge k), or NULL. */
static const char *step_text(const struct campaign *c, json_t *nudges, int step)
{
    if (step == 0) return c->message_text;
    return json_string_value(json_object_get(json_array_get(nudges, (size_t)step - 1), "message_text"));
}

/* Split a rendered message into lines and credit each with its step's counts and the clicks and
 * revenue of the links whose text lies inside it. */
static void add_lines(struct lines *out, const char *tmpl, int step, int64_t sent, int64_t replies,
                      const struct links *links, int with_links)
{
    /* Placeholders stay visible as they were written, with their fallback, so a line reads
     * "Hi {{first_name|there}}!" and compares equal across campaigns whoever it went to. */
    struct rendered rd;
    struct render_error re;
    if (!tmpl || render(tmpl, &render_as_written, NULL, NULL, &rd, &re) != TGR_OK) return;
    const char *p = rd.text;
    int32_t u16 = 0;
    while (*p && out->n < MAX_LINES) {
        size_t len = strcspn(p, "\n");
        int32_t line_u16 = utf16_length(p, len);
        size_t a = 0, b = len;
        while (a < b && (p[a] == ' ' || p[a] == '\t'))
            a++;
        while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t' || p[b - 1] == '\r'))
            b--;
        if (b > a) {
            struct line *l = &out->v[out->n++];
            memset(l, 0, sizeof *l);
            l->pos = out->n;
            snprintf(l->text, sizeof l->text, "%.*s", (int)(b - a), p + a);
            l->step = step;
            l->sent = sent;
            l->replies = replies;
            for (size_t e = 0; with_links && e < rd.n_ents; e++) {
                if (rd.ents[e].type != ENT_TEXT_URL || rd.ents[e].offset < u16 ||
                    rd.ents[e].offset >= u16 + line_u16)
                    continue;
                for (int k = 0; k < links->n; k++) {
                    if (strcmp(links->v[k].url, rd.ents[e].url) == 0) {
                        l->clicks += links->v[k].clicks;
                        l->unique += links->v[k].unique;
                        l->revenue += links->v[k].revenue;
                    }
                }
            }
            l->score = sent ? ((double)l->unique + 2.0 * (double)l->replies + (double)l->revenue / 1000.0) /
                                  (double)sent
                            : 0;
        }
        u16 += line_u16 + (p[len] ? 1 : 0);
        p += len + (p[len] ? 1 : 0);
    }
    rendered_release(&rd);
}

/* The lines of one campaign, with its step counts and link stats. */
static void campaign_lines(struct req *r, const struct campaign *c, struct lines *out, struct links *links,
                           int *dbfail)
{
    struct store *st = r->app->store;
    json_error_t je;
    json_t *nudges = c->nudges_json ? json_loads(c->nudges_json, 0, &je) : NULL;
    links->n = 0;
    if (st->link_stats(st, r->account_id, c->id, on_link, links) < 0) *dbfail = 1;
    for (int step = 0; step <= (int)json_array_size(nudges); step++) {
        int64_t sent = 0, replied = 0, clicked = 0;
        if (st->step_counts(st, r->account_id, c->id, step, &sent, &replied, &clicked) < 0) *dbfail = 1;
        add_lines(out, step_text(c, nudges, step), step, sent, replied, links, c->track_links);
    }
    json_decref(nudges);
}

static int by_score(const void *a, const void *b)
{
    const struct line *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    /* Ties (the lines of one message without a link score alike) keep the message's order. */
    return x->step != y->step ? x->step - y->step : x->pos - y->pos;
}

struct rows_ctx {
    json_t *arr;
    const char *kind;
    struct req *r;
    int64_t campaign_id;
    const struct links *links;
};

static void on_revenue(void *cls, int64_t key, int64_t orders, int64_t revenue)
{
    struct rows_ctx *rc = cls;
    json_t *o = json_pack("{s:I, s:I}", "orders", (json_int_t)orders, "revenue", (json_int_t)revenue);
    if (strcmp(rc->kind, "step") == 0) {
        json_object_set_new(o, "step", json_integer(key));
    } else if (strcmp(rc->kind, "link") == 0) {
        for (int k = 0; k < rc->links->n; k++)
            if (rc->links->v[k].id == key) {
                json_object_set_new(o, "url", json_string(rc->links->v[k].url));
                json_object_set_new(o, "clicks", json_integer(rc->links->v[k].clicks));
            }
    } else {
        struct discount_code_row row;
        struct store *st = rc->r->app->store;
        if (st->code_get(st, rc->r->account_id, key, &row) == DB_ONE) {
            char *code = NULL;
            if (code_open(rc->r->app, rc->r->account_id, rc->campaign_id, &row, &code) == TGR_OK) {
                json_object_set_new(o, "code", json_string(code));
                free(code);
            }
            blob_release(&row.code);
        }
    }
    json_array_append_new(rc->arr, o);
}

struct hours {
    int64_t count[24];
    const char *tz;
};

static void on_read(void *cls, int64_t at)
{
    struct hours *h = cls;
    h->count[local_hour(h->tz, at)]++;
}

/* audience_count is what a campaign with these filters reaches now (the account's frequency cap
 * included, exactly as POST /campaigns + …/audience would say); right after a campaign the cap
 * often hides everyone, so the count once the cap has passed is given beside it. */
static void add_suggestion(struct req *r, json_t *arr, const char *kind, const char *title,
                           const char *reason, int read_hour, const struct filters *f)
{
    struct audience now, later;
    if (audience_resolve(r->app, r->account_id, f, r->account.frequency_cap_days, &now) != TGR_OK) return;
    if (audience_resolve(r->app, r->account_id, f, 0, &later) != TGR_OK) {
        audience_release(&now);
        return;
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:o}", "kind", kind, "title", title, "reason", reason,
                          "audience_count", (json_int_t)now.n, "audience_count_after_cap",
                          (json_int_t)later.n, "filters", filters_to_json(f));
    if (read_hour >= 0) json_object_set_new(o, "read_hour", json_integer(read_hour));
    json_array_append_new(arr, o);
    audience_release(&now);
    audience_release(&later);
}

static void empty_filters(struct filters *f)
{
    memset(f, 0, sizeof *f);
    f->min_orders = f->max_orders = f->min_spent = -1;
}

enum hres campaigns_scorecard_h(struct req *r)
{
    struct campaign c;
    if (campaign_load_req(r, &c) != TGR_OK) return H_NO;
    struct store *st = r->app->store;
    json_t *metrics = campaign_metrics_json(r, &c);
    if (!metrics) {
        campaign_release(&c);
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }

    /* A read that fails makes the whole scorecard a 503: a card built on missing numbers would
     * say what worked wrongly. */
    int dbfail = 0;

    /* best lines, with the same lines in earlier campaigns */
    struct lines *mine = calloc(1, sizeof *mine), *theirs = calloc(1, sizeof *theirs);
    struct links *links = calloc(1, sizeof *links), *other_links = calloc(1, sizeof *other_links);
    json_t *best = json_array();
    if (mine && theirs && links && other_links) {
        campaign_lines(r, &c, mine, links, &dbfail);
        struct campaign *all = NULL;
        size_t n = 0;
        if (st->campaign_list(st, r->account_id, &all, &n) < 0) dbfail = 1;
        int looked = 0;
        for (size_t i = 0; i < n; i++) {
            if (all[i].id < c.id && looked < EARLIER_MAX) {
                looked++;
                theirs->n = 0;
                campaign_lines(r, &all[i], theirs, other_links, &dbfail);
                for (int a = 0; a < mine->n; a++) {
                    int counted = 0;
                    for (int b = 0; b < theirs->n; b++) {
                        if (strcmp(mine->v[a].text, theirs->v[b].text) != 0) continue;
                        mine->v[a].e_sent += theirs->v[b].sent;
                        mine->v[a].e_clicks += theirs->v[b].unique;
                        mine->v[a].e_replies += theirs->v[b].replies;
                        counted = 1;
                    }
                    mine->v[a].e_campaigns += counted;
                }
            }
            campaign_release(&all[i]);
        }
        free(all);
        qsort(mine->v, (size_t)mine->n, sizeof mine->v[0], by_score);
        for (int a = 0; a < mine->n; a++) {
            struct line *l = &mine->v[a];
            json_t *o = json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:f}", "text", l->text, "step",
                                  l->step, "sent", (json_int_t)l->sent, "clicks", (json_int_t)l->clicks,
                                  "unique_clicks", (json_int_t)l->unique, "replies", (json_int_t)l->replies,
                                  "revenue", (json_int_t)l->revenue, "score", l->score);
            json_object_set_new(
                o, "earlier",
                l->e_campaigns ? json_pack("{s:I, s:I, s:I, s:I}", "campaigns", (json_int_t)l->e_campaigns,
                                           "sent", (json_int_t)l->e_sent, "clicks", (json_int_t)l->e_clicks,
                                           "replies", (json_int_t)l->e_replies)
                               : json_null());
            json_array_append_new(best, o);
        }
    }

    /* revenue attribution */
    json_t *by_link = json_array(), *by_step = json_array(), *by_code = json_array();
    struct rows_ctx rl = {by_link, "link", r, c.id, links}, rs = {by_step, "step", r, c.id, links},
                    rcode = {by_code, "code", r, c.id, links};
    if (links) {
        if (st->revenue_rows(st, r->account_id, c.id, "link", on_revenue, &rl) < 0 ||
            st->revenue_rows(st, r->account_id, c.id, "step", on_revenue, &rs) < 0 ||
            st->revenue_rows(st, r->account_id, c.id, "code", on_revenue, &rcode) < 0)
            dbfail = 1;
    }

    /* suggestions */
    json_t *sug = json_array();
    struct filters f;
    char reason[300];
    empty_filters(&f);
    f.campaign[CF_CLICKED] = c.id;
    f.max_orders = 0;
    add_suggestion(r, sug, "clicked_not_bought", "Clicked but never bought",
                   "They opened a link of this campaign and have no order yet: a reminder with a code often "
                   "converts them.",
                   -1, &f);
    empty_filters(&f);
    f.campaign[CF_READ] = c.id;
    f.campaign[CF_NOT_REPLIED] = c.id;
    add_suggestion(
        r, sug, "read_not_replied", "Read but did not reply",
        "They saw the message and stayed silent: ask a simple question they can answer in one word.", -1, &f);
    struct hours h = {{0}, r->account.timezone};
    if (st->read_times(st, r->account_id, c.id, on_read, &h) < 0) dbfail = 1;
    int best_hour = -1;
    for (int k = 0; k < 24; k++)
        if (h.count[k] && (best_hour < 0 || h.count[k] > h.count[best_hour])) best_hour = k;
    if (best_hour >= 0)
        snprintf(
            reason, sizeof reason,
            "They have not opened it. Readers of this campaign read most around %02d:00 (%s): send then.",
            best_hour, r->account.timezone);
    else
        snprintf(reason, sizeof reason,
                 "They have not opened it yet; try another time of day or a shorter first line.");
    empty_filters(&f);
    f.campaign[CF_NOT_READ] = c.id;
    add_suggestion(r, sug, "not_read", "Did not read", reason, best_hour, &f);
    empty_filters(&f);
    f.campaign[CF_REPLIED] = c.id;
    f.categories = 1u << CAT_REFUND_RISK;
    add_suggestion(
        r, sug, "refund_risk", "Replied with refund-risk words",
        "Their replies sound like complaints or refunds: hand them to support and leave them out of "
        "promotions.",
        -1, &f);
    empty_filters(&f);
    f.campaign[CF_BOUGHT] = c.id;
    add_suggestion(r, sug, "bought", "Bought",
                   "An order was credited to this campaign: thank them, or offer what goes with it.", -1, &f);

    free(mine);
    free(theirs);
    free(links);
    free(other_links);
    campaign_release(&c);
    if (dbfail) {
        json_decref(metrics);
        json_decref(best);
        json_decref(by_link);
        json_decref(by_step);
        json_decref(by_code);
        json_decref(sug);
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    reply_json(r, 200,
               json_pack("{s:o, s:o, s:{s:o, s:o, s:o}, s:o}", "metrics", metrics, "best_lines", best,
                         "revenue_attribution", "by_link", by_link, "by_step", by_step, "by_code", by_code,
                         "suggestions", sug));
    return H_OK;
}
