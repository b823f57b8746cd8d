/* h_contacts — GET /contacts and GET /contacts/:id (API.md "Contacts"): the account's audience,
 * decrypted for its owner only. Filtering by q (name, username, phone) happens after
 * decryption, since those fields are sealed; the scan (core/people.h contacts_scan) walks pages
 * of the store in id order. opted_out=true|false (API.md "Opt-outs") is a filter too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/categories.h"
#include "base/app.h"
#include "base/util.h"
#include "http/handlers.h"
#include "http/server.h"
#include "core/people.h"
#include "core/sealed.h"

#define CONTACTS_DEFAULT_LIMIT 50
#define CONTACTS_MAX_LIMIT     1000

int contacts_filter_query(struct req *r, struct contact_filter *f)
{
    f->category = -1;
    f->q = NULL;
    f->opted_out = -1;
    const char *category = req_query(r, "category");
    if (category && *category && strcmp(category, "buyer") && strcmp(category, "browser") &&
        strcmp(category, "refund_risk")) {
        reply_error(r, ERR_BAD_QUERY, "category", "category must be buyer, browser or refund_risk");
        return TGR_ERR;
    }
    if (category && *category) f->category = category_parse(category);
    const char *q = req_query(r, "q");
    if (q && strlen(q) > 100) {
        reply_error(r, ERR_BAD_QUERY, "q", "q must be at most 100 characters");
        return TGR_ERR;
    }
    if (q && *q) f->q = q;
    const char *out = req_query(r, "opted_out");
    if (out && *out) {
        if (strcmp(out, "true") && strcmp(out, "false")) {
            reply_error(r, ERR_BAD_QUERY, "opted_out", "opted_out must be true or false");
            return TGR_ERR;
        }
        f->opted_out = strcmp(out, "true") == 0;
    }
    return TGR_OK;
}

struct listing {
    struct app *app;
    int64_t account_id, limit, last_id;
    json_t *list;
    int more;
};

static int list_one(void *cls, const struct contact *c, const struct contact_plain *p)
{
    struct listing *l = cls;
    if ((int64_t)json_array_size(l->list) == l->limit) {
        l->more = 1; /* one more match exists: there is a next page */
        return 1;
    }
    json_array_append_new(l->list, contact_to_json(l->app, l->account_id, c, p));
    l->last_id = c->id;
    return 0;
}

enum hres contacts_list_h(struct req *r)
{
    int64_t limit = CONTACTS_DEFAULT_LIMIT, after = 0;
    const char *v = req_query(r, "limit");
    if (v && parse_i64(v, 1, CONTACTS_MAX_LIMIT, &limit) != TGR_OK) {
        reply_error(r, ERR_BAD_QUERY, "limit", "limit must be a whole number from 1 to %d",
                    CONTACTS_MAX_LIMIT);
        return H_NO;
    }
    v = req_query(r, "after");
    if (v && parse_i64(v, 0, INT64_MAX, &after) != TGR_OK) {
        reply_error(r, ERR_BAD_QUERY, "after", "after must be a contact id");
        return H_NO;
    }
    struct contact_filter f;
    if (contacts_filter_query(r, &f) != TGR_OK) return H_NO;
    int filtering = f.q || f.category >= 0 || f.opted_out >= 0;
    struct listing l = {r->app, r->account_id, limit, 0, json_array(), 0};
    enum db_status s;
    do {
        /* unfiltered, one more row than the page tells whether another follows */
        s = contacts_scan(r->app, r->account_id, &f, &after, filtering ? 500 : (int)limit + 1, list_one, &l);
    } while (s == DB_ONE && !l.more);
    if (s < 0) {
        json_decref(l.list);
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    /* spent is in minor units: say of which currency (issue 18), the account's as in analytics. */
    char cur[4];
    account_currency(r, cur);
    reply_json(r, 200,
               json_pack("{s:o, s:o, s:s}", "contacts", l.list, "next_after",
                         l.more ? json_integer(l.last_id) : json_null(), "currency", cur));
    return H_OK;
}

int contact_id_param(struct req *r, int64_t *id)
{
    if (parse_i64(route_param(&r->params, "id"), 1, INT64_MAX, id) == TGR_OK) return TGR_OK;
    reply_error(r, ERR_NOT_FOUND, NULL, "no such contact");
    return TGR_ERR;
}

enum hres contact_reply(struct req *r, int64_t id)
{
    struct contact c;
    enum db_status s = r->app->store->contact_get(r->app->store, r->account_id, id, &c);
    if (s < 0) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    if (s == DB_NONE) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no such contact");
        return H_NO;
    }
    struct contact_plain p;
    if (contact_open(r->app, r->account_id, &c, &p) != TGR_OK) {
        contact_release(&c);
        return H_SYSERR;
    }
    reply_json(r, 200, contact_to_json(r->app, r->account_id, &c, &p));
    contact_plain_release(&p);
    contact_release(&c);
    return H_OK;
}

enum hres contacts_get_h(struct req *r)
{
    int64_t id;
    if (contact_id_param(r, &id) != TGR_OK) return H_NO;
    return contact_reply(r, id);
}
