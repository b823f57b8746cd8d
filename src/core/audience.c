/* audience — audience resolution; see audience.h. A scan reads each candidate's category as its
 * keyed tag (categories_of_row: a SipHash per category tried) and opens a sealed category only
 * for a contact classified before the tags (DECISIONS 79). */
#include "core/audience.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/categories.h"
#include "base/app.h"
#include "base/util.h"
#include "store/store.h"

struct scan {
    struct category_reader cr;
    unsigned categories;
    const struct filters *f;
    struct audience *out;
    int failed;
};

static int take(void *cls, const struct audience_row *row)
{
    struct scan *s = cls;
    int category = categories_of_row(&s->cr, row, s->categories);
    if (category < 0) return 0;
    struct audience *a = s->out;
    if (row->charges && !s->f->include_charging) {
        a->left_out_charging++;
        return 0;
    }
    if (row->privacy_restricted && !s->f->include_privacy_restricted) {
        a->left_out_privacy++;
        return 0;
    }
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 1024;
        int64_t *p = realloc(a->ids, cap * sizeof *p);
        if (!p) {
            s->failed = 1;
            return 1;
        }
        a->ids = p;
        a->cap = cap;
    }
    a->ids[a->n++] = row->contact_id;
    a->by_category[category]++;
    return 0;
}

/* The part of the filters SQL applies, and the cap as a time. */
static struct audience_query query_of(const struct filters *f, int cap_days, int64_t now)
{
    return (struct audience_query){
        .min_last_inbound_at = f->last_message_within_days ? now - f->last_message_within_days * 86400000 : 0,
        .min_orders = f->min_orders,
        .max_orders = f->max_orders,
        .min_spent = f->min_spent,
        .clicked_campaign = f->campaign[CF_CLICKED],
        .not_replied_to_campaign = f->campaign[CF_NOT_REPLIED],
        .read_campaign = f->campaign[CF_READ],
        .not_read_campaign = f->campaign[CF_NOT_READ],
        .replied_to_campaign = f->campaign[CF_REPLIED],
        .bought_from_campaign = f->campaign[CF_BOUGHT],
        .cap_since = cap_days > 0 ? now - (int64_t)cap_days * 86400000 : 0,
    };
}

int audience_resolve(struct app *app, int64_t account_id, const struct filters *f, int cap_days,
                     struct audience *out)
{
    memset(out, 0, sizeof *out);
    struct audience_query q = query_of(f, cap_days, now_ms());
    struct scan s = {.categories = f->categories, .f = f, .out = out};
    categories_reader_init(&s.cr, app->kr, account_id);
    int rc =
        app->store->audience_scan(app->store, account_id, &q, take, &s) < 0 || s.failed ? TGR_ERR : TGR_OK;
    sodium_memzero(&s.cr, sizeof s.cr);
    if (rc != TGR_OK) audience_release(out);
    return rc;
}

struct held_scan {
    struct category_reader cr;
    unsigned categories;
    int64_t cap_ms;
    struct audience_held *out;
};

static int take_held(void *cls, const struct audience_row *row)
{
    struct held_scan *s = cls;
    if (s->categories && categories_of_row(&s->cr, row, s->categories) < 0) return 0;
    struct audience_held *h = s->out;
    if (row->opted_out) {
        h->opted_out++;
    } else if (row->blocked) {
        h->blocked++;
    } else if (s->cap_ms && row->last_sent_at) {
        /* The row is here for the cap: its latest campaign message is within it. */
        h->frequency_cap++;
        int64_t free_at = row->last_sent_at + s->cap_ms;
        if (!h->cap_ends_at || free_at < h->cap_ends_at) h->cap_ends_at = free_at;
    }
    return 0;
}

int audience_held_back(struct app *app, int64_t account_id, const struct filters *f, int cap_days,
                       struct audience_held *out)
{
    memset(out, 0, sizeof *out);
    struct audience_query q = query_of(f, cap_days, now_ms());
    q.held = 1;
    struct held_scan s = {
        .categories = f->categories, .cap_ms = cap_days > 0 ? (int64_t)cap_days * 86400000 : 0, .out = out};
    categories_reader_init(&s.cr, app->kr, account_id);
    int rc = app->store->audience_scan(app->store, account_id, &q, take_held, &s) < 0 ? TGR_ERR : TGR_OK;
    sodium_memzero(&s.cr, sizeof s.cr);
    if (rc != TGR_OK) memset(out, 0, sizeof *out);
    return rc;
}

void audience_release(struct audience *a)
{
    free(a->ids);
    memset(a, 0, sizeof *a);
}
