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

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *time_or_null(int64_t ms)
{
    char t[40];
    if (!ms) return json_null();
    rfc3339(ms, t, sizeof t);
    return json_string(t);
}

json_t *contact_to_json(struct app *app, int64_t account_id, const struct contact *c,
                        const struct contact_plain *p)
{
    struct classification cls = categories_open(app->kr, account_id, c->id, &c->category, &c->confidence);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(c->id));
    json_object_set_new(o, "tg_user_id", json_string(c->tg_user_id));
    json_object_set_new(o, "first_name", str_or_null(p->first_name));
    json_object_set_new(o, "last_name", str_or_null(p->last_name));
    json_object_set_new(o, "username", str_or_null(p->username));
    json_object_set_new(o, "phone", str_or_null(p->phone));
    json_object_set_new(o, "category", json_string(category_name(cls.category)));
    json_object_set_new(o, "confidence", json_real(cls.confidence));
    json_object_set_new(o, "last_message_at", time_or_null(c->last_inbound_at));
    json_object_set_new(o, "messages_count", json_integer(c->inbound_count));
    json_object_set_new(o, "orders_count", json_integer(c->orders_count));
    json_object_set_new(o, "spent", json_integer(c->spent));
    json_object_set_new(o, "opted_out", json_boolean(c->opted_out_at != 0));
    /* Marks from Telegram's answers (issue 15): such contacts are left out of audiences by default. */
    json_object_set_new(o, "charges_for_messages", json_boolean(c->charges_at != 0));
    json_object_set_new(o, "charges_stars",
                        c->charges_stars > 0 ? json_integer(c->charges_stars) : json_null());
    json_object_set_new(o, "privacy_restricted", json_boolean(c->privacy_restricted_at != 0));
    return o;
}

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
