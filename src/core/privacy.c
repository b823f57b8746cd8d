/* privacy — export and erasure of one person; see privacy.h. */
#include "core/privacy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "core/categories.h"
#include "core/orders.h"
#include "core/outcome.h"
#include "core/people.h"
#include "core/sealed.h"
#include "core/timeline.h"
#include "crypto/seal.h"

#define EXPORT_PAGE   500 /* timeline events read per page */
#define SCRUB_TRIES   5
#define SCRUB_WAIT_MS 200

/* The blind index domain of an erased person's Telegram user id. */
#define ERASURE_DOMAIN "erasures.tg_user_id"

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

/* A member of o, or null when it has none (json_pack's "O" refuses NULL). */
static json_t *field(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return v ? v : json_null();
}

static json_t *time_or_null(int64_t ms)
{
    char t[40];
    if (!ms) return json_null();
    rfc3339(ms, t, sizeof t);
    return json_string(t);
}

enum db_status erasure_time(struct app *app, int64_t account_id, const char *tg_user_id, int64_t *at)
{
    char bidx[BLIND_HEX_LEN + 1];
    blind_index(app->kr, ERASURE_DOMAIN, tg_user_id, bidx);
    return app->store->erasure_find(app->store, account_id, bidx, at);
}

/* ---- export ------------------------------------------------------------------------------------- */

/* The contact object of the API, and what else the contact row holds. */
static json_t *profile_json(struct app *app, int64_t account_id, const struct contact *c,
                            const struct contact_plain *p)
{
    json_t *o = contact_to_json(app, account_id, c, p);
    json_object_set_new(o, "first_message_at", time_or_null(c->first_inbound_at));
    json_object_set_new(o, "created_at", time_or_null(c->created_at));
    json_object_set_new(o, "updated_at", time_or_null(c->updated_at));
    json_object_set_new(o, "opted_out_at", time_or_null(c->opted_out_at));
    json_object_set_new(o, "blocked_at", time_or_null(c->blocked_at));
    json_object_set_new(o, "deactivated_at", time_or_null(c->deactivated_at));
    json_object_set_new(o, "privacy_restricted_at", time_or_null(c->privacy_restricted_at));
    json_object_set_new(o, "charges_for_messages_at", time_or_null(c->charges_at));
    return o;
}

/* Every event of the contact's timeline, oldest first. @return PRIVACY_OK with *out */
static enum privacy_outcome all_events(struct app *app, int64_t account_id, int64_t contact_id, json_t **out)
{
    json_t *all = json_array();
    struct timeline_key key, *before = NULL;
    int more = 1;
    while (more) {
        json_t *page = NULL;
        enum timeline_outcome t =
            timeline_read(app, account_id, contact_id, before, EXPORT_PAGE, &page, &key, &more);
        if (t != TIMELINE_OK) {
            json_decref(all);
            return t == TIMELINE_NOT_FOUND ? PRIVACY_NOT_FOUND : PRIVACY_STORE;
        }
        json_array_extend(all, page);
        json_decref(page);
        before = &key;
    }
    /* The timeline is newest first; an export reads better as a history. */
    json_t *chrono = json_array();
    for (size_t i = json_array_size(all); i > 0; i--)
        json_array_append(chrono, json_array_get(all, i - 1));
    json_decref(all);
    *out = chrono;
    return PRIVACY_OK;
}

/* A message for the "messages" list, with its time for sorting. */
struct msg {
    int64_t at;
    json_t *o;
};

static int by_time(const void *a, const void *b)
{
    const struct msg *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* The text a campaign step was written with: the campaign's message (step 0) or its nudge's. */
static json_t *step_text(struct app *app, int64_t account_id, int64_t campaign_id, int step, json_t *cache)
{
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)campaign_id);
    json_t *texts = json_object_get(cache, key);
    if (!texts) {
        texts = json_array();
        struct campaign c;
        if (app->store->campaign_get(app->store, account_id, campaign_id, &c) == DB_ONE) {
            json_array_append_new(texts, json_string(c.message_text ? c.message_text : ""));
            json_t *nudges = c.nudges_json ? json_loads(c.nudges_json, 0, NULL) : NULL;
            size_t i;
            json_t *n;
            json_array_foreach(nudges, i, n)
            {
                json_t *t = json_object_get(n, "message_text");
                json_array_append_new(texts, json_is_string(t) ? json_incref(t) : json_null());
            }
            json_decref(nudges);
            campaign_release(&c);
        }
        json_object_set_new(cache, key, texts);
    }
    json_t *t = json_array_get(texts, (size_t)step);
    return t ? json_incref(t) : json_null();
}

/* The sections of the export that come from the timeline: messages in, category history,
 * opt-out changes, clicks. Messages go to msgs (sorted later with the campaign messages). */
static void from_events(json_t *events, json_t *out, struct msg **msgs, size_t *n_msgs)
{
    json_t *category = json_array(), *opt_outs = json_array(), *clicks = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e)
    {
        const char *type = json_string_value(json_object_get(e, "type"));
        json_t *at = json_object_get(e, "at"), *d = json_object_get(e, "details");
        if (!type) continue;
        if (!strcmp(type, "message_in")) {
            int64_t ms = 0;
            (void)parse_rfc3339(json_string_value(at), &ms); /* written by rfc3339: parses; 0 sorts first */
            (*msgs)[(*n_msgs)++] =
                (struct msg){ms, json_pack("{s:O, s:s, s:O, s:O}", "at", at, "direction", "in", "text",
                                           field(e, "text"), "tg_message_id", field(d, "tg_message_id"))};
        } else if (!strcmp(type, "category_changed")) {
            json_array_append_new(category,
                                  json_pack("{s:O, s:O, s:O, s:O}", "at", at, "from", field(d, "from"), "to",
                                            field(d, "to"), "confidence", field(d, "confidence")));
        } else if (!strcmp(type, "opted_out") || !strcmp(type, "opted_in")) {
            json_array_append_new(opt_outs, json_pack("{s:O, s:s, s:O, s:O, s:O}", "at", at, "type", type,
                                                      "reason", field(e, "text"), "actor", field(d, "actor"),
                                                      "source", field(d, "source")));
        } else if (!strcmp(type, "clicked")) {
            json_array_append_new(clicks, json_pack("{s:O, s:O, s:O, s:O}", "at", at, "campaign_id",
                                                    field(e, "campaign_id"), "step", field(d, "step"), "url",
                                                    field(e, "text")));
        }
    }
    json_object_set_new(out, "category_history", category);
    json_object_set_new(out, "opt_outs", opt_outs);
    json_object_set_new(out, "clicks", clicks);
}

/* Every campaign message with its status and code; the sent ones also go to msgs. */
static json_t *campaign_messages(struct app *app, int64_t account_id, int64_t contact_id,
                                 const struct person_message *rows, size_t n, struct msg *msgs,
                                 size_t *n_msgs)
{
    json_t *list = json_array(), *cache = json_object();
    for (size_t i = 0; i < n; i++) {
        const struct person_message *m = &rows[i];
        char *code = NULL;
        if (m->code.p &&
            recipient_code_open(app, account_id, m->campaign_id, contact_id, &m->code, &code) != TGR_OK)
            code = NULL; /* logged by the keyring; the rest of the export is still worth having */
        json_t *o = json_pack("{s:I, s:s, s:i, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "campaign_id",
                              (json_int_t)m->campaign_id, "campaign_name", m->campaign_name, "step", m->step,
                              "status", m->status, "error_code", str_or_null(m->error_code), "created_at",
                              time_or_null(m->created_at), "sent_at", time_or_null(m->sent_at), "read_at",
                              time_or_null(m->read_at), "replied_at", time_or_null(m->replied_at),
                              "clicked_at", time_or_null(m->clicked_at), "discount_code", str_or_null(code));
        free(code);
        json_array_append_new(list, o);
        if (m->sent_at && !strcmp(m->status, "sent"))
            msgs[(*n_msgs)++] = (struct msg){
                m->sent_at,
                json_pack("{s:O, s:s, s:I, s:i, s:o}", "at", json_object_get(o, "sent_at"), "direction",
                          "out", "campaign_id", (json_int_t)m->campaign_id, "step", m->step, "text",
                          step_text(app, account_id, m->campaign_id, m->step, cache))};
    }
    json_decref(cache);
    return list;
}

static json_t *orders_json(const struct order_summary *rows, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct order_summary *o = &rows[i];
        const char *via = !o->attributed_by[0]                ? NULL
                          : !strcmp(o->attributed_by, "code") ? "discount_code"
                                                              : o->attributed_by;
        json_array_append_new(
            list, json_pack("{s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:b}", "order_id", o->order_id, "amount",
                            (json_int_t)o->amount, "currency", o->currency, "status", o->status, "created_at",
                            time_or_null(o->created_at), "attributed_campaign_id",
                            o->attributed_campaign_id ? json_integer(o->attributed_campaign_id) : json_null(),
                            "attributed_via", str_or_null(via), "test", o->test));
    }
    return list;
}

static void free_person_messages(struct person_message *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        person_message_release(&rows[i]);
    free(rows);
}

enum privacy_outcome contact_export(struct app *app, int64_t account_id, int64_t contact_id,
                                    const struct audit_who *who, json_t **out)
{
    struct store *st = app->store;
    *out = NULL;
    struct contact c;
    enum db_status r = st->contact_get(st, account_id, contact_id, &c);
    if (r != DB_ONE) return r == DB_NONE ? PRIVACY_NOT_FOUND : PRIVACY_STORE;
    struct contact_plain p;
    if (contact_open(app, account_id, &c, &p) != TGR_OK) {
        contact_release(&c);
        return PRIVACY_STORE;
    }
    /* The entry first: an export nobody can see in the log does not happen. */
    if (audit_record(st, account_id, who, AUDIT_CONTACT_EXPORT, "contact", contact_id, NULL) < 0) {
        contact_plain_release(&p);
        contact_release(&c);
        return PRIVACY_STORE;
    }
    json_t *doc = json_object(), *events = NULL;
    char now[40];
    rfc3339(now_ms(), now, sizeof now);
    json_object_set_new(doc, "exported_at", json_string(now));
    json_object_set_new(doc, "profile", profile_json(app, account_id, &c, &p));
    contact_plain_release(&p);
    contact_release(&c);

    struct person_message *pm = NULL;
    struct order_summary *orders = NULL;
    size_t n_pm = 0, n_orders = 0;
    enum privacy_outcome res = all_events(app, account_id, contact_id, &events);
    if (res == PRIVACY_OK && (st->contact_messages(st, account_id, contact_id, &pm, &n_pm) < 0 ||
                              st->contact_orders(st, account_id, contact_id, &orders, &n_orders) < 0))
        res = PRIVACY_STORE;
    struct msg *msgs = res == PRIVACY_OK ? calloc(json_array_size(events) + n_pm + 1, sizeof *msgs) : NULL;
    if (res == PRIVACY_OK && !msgs) res = PRIVACY_STORE;
    if (res != PRIVACY_OK) {
        json_decref(events);
        json_decref(doc);
        free_person_messages(pm, n_pm);
        free(orders);
        return res;
    }
    size_t n_msgs = 0;
    from_events(events, doc, &msgs, &n_msgs);
    json_object_set_new(doc, "campaign_messages",
                        campaign_messages(app, account_id, contact_id, pm, n_pm, msgs, &n_msgs));
    qsort(msgs, n_msgs, sizeof *msgs, by_time);
    json_t *messages = json_array();
    for (size_t i = 0; i < n_msgs; i++)
        json_array_append_new(messages, msgs[i].o);
    json_object_set_new(doc, "messages", messages);
    json_object_set_new(doc, "orders", orders_json(orders, n_orders));
    json_decref(events);
    free(msgs);
    free_person_messages(pm, n_pm);
    free(orders);
    *out = doc;
    return PRIVACY_OK;
}

/* ---- erasure ------------------------------------------------------------------------------------ */

struct erase {
    struct app *app;
    int64_t account_id, contact_id;
    const struct audit_who *who;
    enum privacy_outcome res;
};

/* The order matters: clicks are found through the campaign rows, orders through the contact's
 * blind indexes, so the contact row is emptied last. */
static const enum contact_part erase_order[] = {
    CONTACT_PART_CLICKS, CONTACT_PART_INBOUND, CONTACT_PART_CATEGORY, CONTACT_PART_AUDIT,
    CONTACT_PART_ORDERS, CONTACT_PART_CODES,   CONTACT_PART_LOGS,     CONTACT_PART_CONTACT,
};

static enum db_status erase_one(struct store *st, void *cls)
{
    struct erase *x = cls;
    x->res = PRIVACY_STORE;
    struct contact c;
    enum db_status r = st->contact_get(st, x->account_id, x->contact_id, &c);
    if (r != DB_ONE) {
        if (r == DB_NONE) x->res = PRIVACY_NOT_FOUND;
        return r;
    }
    char bidx[BLIND_HEX_LEN + 1];
    blind_index(x->app->kr, ERASURE_DOMAIN, c.tg_user_id, bidx);
    contact_release(&c);
    int64_t now = now_ms();

    /* Nothing more is sent to them: their pending messages are skipped, counted as skips. */
    struct step_tally t;
    r = st->recipients_skip_pending(st, x->account_id, x->contact_id, "erased", 0, &t);
    if (r >= 0) r = steps_count(st, x->account_id, &t, STEP_SKIPPED);
    int64_t n[CONTACT_PART_COUNT] = {0};
    for (size_t i = 0; r >= 0 && i < sizeof erase_order / sizeof erase_order[0]; i++)
        r = st->contact_purge(st, x->account_id, x->contact_id, erase_order[i], now, &n[erase_order[i]]);
    if (r >= 0) r = st->erasure_put(st, x->account_id, bidx, now);
    if (r >= 0)
        r = audit_record(st, x->account_id, x->who, AUDIT_CONTACT_ERASE, "contact", x->contact_id,
                         json_pack("{s:I, s:I, s:I}", "messages", (json_int_t)n[CONTACT_PART_INBOUND],
                                   "clicks", (json_int_t)n[CONTACT_PART_CLICKS], "orders",
                                   (json_int_t)n[CONTACT_PART_ORDERS]));
    if (r < 0) return r;
    x->res = PRIVACY_OK;
    return DB_ONE;
}

/* Make the erased bytes unreadable in the database's files, where the backend can (store.h). */
static void scrub(struct store *st, int64_t account_id)
{
    if (!st->scrub) return;
    enum db_status r = DB_SOFT;
    for (int i = 0; i < SCRUB_TRIES && r == DB_SOFT; i++) {
        if (i) nanosleep(&(struct timespec){0, SCRUB_WAIT_MS * 1000000L}, NULL);
        r = st->scrub(st);
    }
    if (r != DB_ONE)
        log_warn("privacy",
                 "account %lld: the write-ahead log could not be emptied after an erasure; the next "
                 "checkpoint will",
                 (long long)account_id);
}

enum privacy_outcome contact_erase(struct app *app, int64_t account_id, int64_t contact_id,
                                   const struct audit_who *who)
{
    struct erase x = {app, account_id, contact_id, who, PRIVACY_STORE};
    enum db_status r = app->store->txn(app->store, TX_DURABLE, erase_one, &x);
    if (r < 0 && x.res == PRIVACY_OK) x.res = PRIVACY_STORE; /* the commit failed */
    if (x.res == PRIVACY_OK) scrub(app->store, account_id);
    return x.res;
}
