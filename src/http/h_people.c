/* h_people — results per person, CSV exports, contact timelines and opt-outs by hand (issue 16;
 * API.md "Results per person", "Opt-outs"): GET /campaigns/:id/recipients and its .csv, GET
 * /contacts.csv, GET /contacts/:id/timeline, POST and DELETE /contacts/:id/opt-out. Each parses,
 * calls core/people.h or core/timeline.h, and replies; the CSV exports stream (http/csvout.h)
 * pages of the same scans, so a million rows never sit in memory. Only the page asked for (or
 * being written) is opened. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/util.h"
#include "core/people.h"
#include "core/timeline.h"
#include "engine/engine.h"
#include "http/csvout.h"
#include "http/handlers.h"
#include "http/server.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX     500 /* API.md: limit <= 500 */
#define CSV_PAGE     256 /* rows read and written at a time by an export */
#define STEP_MAX     1000
#define REASON_MAX   500

/* The fields of a recipient object, in order: the JSON's and the CSV's header. */
static const char *const RESULT_FIELDS[] = {
    "contact_id", "first_name", "last_name",  "username", "step",   "status",  "error_code", "sent_at",
    "read_at",    "replied_at", "clicked_at", "clicks",   "orders", "revenue", "opted_out",  NULL};
/* The fields of a contact object (h_contacts.c contact_to_json), in order. */
static const char *const CONTACT_FIELDS[] = {"id",
                                             "tg_user_id",
                                             "first_name",
                                             "last_name",
                                             "username",
                                             "phone",
                                             "category",
                                             "confidence",
                                             "last_message_at",
                                             "messages_count",
                                             "orders_count",
                                             "spent",
                                             "opted_out",
                                             "charges_for_messages",
                                             "charges_stars",
                                             "privacy_restricted",
                                             NULL};

static enum hres db_failed(struct req *r)
{
    reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
    return H_NO;
}

static json_t *time_or_null(int64_t ms)
{
    char t[40];
    if (!ms) return json_null();
    rfc3339(ms, t, sizeof t);
    return json_string(t);
}

/* limit (1..PAGE_MAX, else the 400 is set). */
static int page_limit(struct req *r, int64_t dflt, int64_t *limit)
{
    const char *v = req_query(r, "limit");
    *limit = dflt;
    if (!v || parse_i64(v, 1, PAGE_MAX, limit) == TGR_OK) return TGR_OK;
    reply_error(r, ERR_BAD_QUERY, "limit", "limit must be a whole number from 1 to %d", PAGE_MAX);
    return TGR_ERR;
}

/* ---- a campaign's recipients ------------------------------------------------------------------ */

/* The API's recipient object; names the row's contact cannot open are null (logged). */
static json_t *result_json(struct app *app, int64_t account_id, const struct result_row *x, int cancelled)
{
    struct contact_plain p;
    int open = result_names_open(app, account_id, x, &p) == TGR_OK;
    const char *names[3] = {open ? p.first_name : NULL, open ? p.last_name : NULL, open ? p.username : NULL};
    json_t *o = json_object();
    json_object_set_new(o, "contact_id", json_integer(x->contact_id));
    for (int i = 0; i < 3; i++)
        json_object_set_new(o, RESULT_FIELDS[1 + i], names[i] ? json_string(names[i]) : json_null());
    json_object_set_new(o, "step", json_integer(x->step));
    json_object_set_new(o, "status", json_string(result_status_name(result_status_of(x->status, cancelled))));
    json_object_set_new(o, "error_code", x->error_code[0] ? json_string(x->error_code) : json_null());
    json_object_set_new(o, "sent_at", time_or_null(x->sent_at));
    json_object_set_new(o, "read_at", time_or_null(x->read_at));
    json_object_set_new(o, "replied_at", time_or_null(x->replied_at));
    json_object_set_new(o, "clicked_at", time_or_null(x->clicked_at));
    json_object_set_new(o, "clicks", json_integer(x->clicks));
    json_object_set_new(o, "orders", json_integer(x->orders));
    json_object_set_new(o, "revenue", json_integer(x->revenue));
    json_object_set_new(o, "opted_out", json_boolean(x->opted_out_at != 0));
    if (open) contact_plain_release(&p);
    return o;
}

/* The campaign :id and the filters status and step of the query; on failure the reply is set. */
static int results_query(struct req *r, int64_t *id, enum result_status *status, int *step)
{
    if (parse_i64(route_param(&r->params, "id"), 1, INT64_MAX, id) != TGR_OK) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no such campaign");
        return TGR_ERR;
    }
    const char *v = req_query(r, "status");
    *status = RS_COUNT;
    if (v && *v && result_status_parse(v, status) != TGR_OK) {
        reply_error(r, ERR_BAD_QUERY, "status", "status must be pending, sent, failed, skipped or cancelled");
        return TGR_ERR;
    }
    v = req_query(r, "step");
    int64_t s = -1;
    if (v && *v && parse_i64(v, 0, STEP_MAX, &s) != TGR_OK) {
        reply_error(r, ERR_BAD_QUERY, "step", "step must be a whole number from 0 (the first message) to %d",
                    STEP_MAX);
        return TGR_ERR;
    }
    *step = (int)s;
    return TGR_OK;
}

/* The reply for an outcome that is not RESULTS_OK. */
static enum hres results_refused(struct req *r, enum results_outcome o)
{
    if (o == RESULTS_NOT_FOUND) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no such campaign");
        return H_NO;
    }
    if (o == RESULTS_BAD_AFTER) {
        reply_error(r, ERR_BAD_QUERY, "after", "after must be the next_after of a page of these filters");
        return H_NO;
    }
    return db_failed(r);
}

enum hres campaigns_recipients_h(struct req *r)
{
    int64_t id, limit, after = 0;
    enum result_status status;
    int step;
    if (results_query(r, &id, &status, &step) != TGR_OK || page_limit(r, PAGE_DEFAULT, &limit) != TGR_OK)
        return H_NO;
    const char *v = req_query(r, "after");
    if (v && parse_i64(v, 0, INT64_MAX, &after) != TGR_OK) {
        reply_error(r, ERR_BAD_QUERY, "after", "after must be the next_after of a page");
        return H_NO;
    }
    struct results_page p;
    enum results_outcome o =
        results_page_read(r->app->store, r->account_id, id, status, step, after, (int)limit, &p);
    if (o != RESULTS_OK) return results_refused(r, o);
    json_t *list = json_array();
    for (size_t i = 0; i < p.n; i++)
        json_array_append_new(list, result_json(r->app, r->account_id, &p.rows[i], p.cancelled));
    reply_json(r, 200,
               json_pack("{s:o, s:o, s:I}", "recipients", list, "next_after",
                         p.next_after ? json_integer(p.next_after) : json_null(), "total",
                         (json_int_t)p.total));
    results_page_release(&p);
    return H_OK;
}

struct results_export {
    struct app *app;
    int64_t account_id;
    struct results_scan scan;
};

static int results_export_page(void *ctx, struct csv_buf *b)
{
    struct results_export *x = ctx;
    struct result_row *rows = NULL;
    size_t n = 0;
    if (results_next(x->app->store, &x->scan, CSV_PAGE, &rows, &n) < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        json_t *o = result_json(x->app, x->account_id, &rows[i], x->scan.cancelled);
        csv_json_record(b, o, RESULT_FIELDS);
        json_decref(o);
        result_row_release(&rows[i]);
    }
    free(rows);
    return n == CSV_PAGE;
}

static void results_export_free(void *ctx)
{
    struct results_export *x = ctx;
    results_close(&x->scan);
    free(x);
}

enum hres campaigns_recipients_csv_h(struct req *r)
{
    int64_t id;
    enum result_status status;
    int step;
    if (results_query(r, &id, &status, &step) != TGR_OK) return H_NO;
    struct results_export *x = calloc(1, sizeof *x);
    if (!x) return H_SYSERR;
    x->app = r->app;
    x->account_id = r->account_id;
    enum results_outcome o = results_open(r->app->store, r->account_id, id, status, step, 0, &x->scan);
    if (o != RESULTS_OK) {
        results_export_free(x);
        return results_refused(r, o);
    }
    char name[64];
    snprintf(name, sizeof name, "campaign-%lld-recipients.csv", (long long)id);
    csv_reply(r, name, RESULT_FIELDS, results_export_page, x, results_export_free);
    return H_OK;
}

/* ---- contacts ------------------------------------------------------------------------------- */

struct contacts_export {
    struct app *app;
    int64_t account_id, cursor;
    struct contact_filter f;
    char q[128]; /* f.q points here: the request's query is gone once the stream runs */
    struct csv_buf *b;
};

static int contact_record(void *cls, const struct contact *c, const struct contact_plain *p)
{
    struct contacts_export *x = cls;
    json_t *o = contact_to_json(x->app, x->account_id, c, p);
    csv_json_record(x->b, o, CONTACT_FIELDS);
    json_decref(o);
    return 0;
}

static int contacts_export_page(void *ctx, struct csv_buf *b)
{
    struct contacts_export *x = ctx;
    x->b = b;
    enum db_status s = contacts_scan(x->app, x->account_id, &x->f, &x->cursor, CSV_PAGE, contact_record, x);
    return s < 0 ? -1 : s == DB_ONE;
}

enum hres contacts_csv_h(struct req *r)
{
    struct contact_filter f;
    if (contacts_filter_query(r, &f) != TGR_OK) return H_NO;
    struct contacts_export *x = calloc(1, sizeof *x);
    if (!x) return H_SYSERR;
    x->app = r->app;
    x->account_id = r->account_id;
    x->f = f;
    if (f.q) {
        snprintf(x->q, sizeof x->q, "%s", f.q); /* at most 100 characters (contacts_filter_query) */
        x->f.q = x->q;
    }
    csv_reply(r, "contacts.csv", CONTACT_FIELDS, contacts_export_page, x, free);
    return H_OK;
}

/* ---- a contact's timeline ------------------------------------------------------------------------ */

enum hres contacts_timeline_h(struct req *r)
{
    int64_t id, limit;
    if (contact_id_param(r, &id) != TGR_OK || page_limit(r, 50, &limit) != TGR_OK) return H_NO;
    struct timeline_key before, next;
    const char *v = req_query(r, "after");
    if (v && timeline_cursor_parse(v, &before) != TGR_OK) {
        reply_error(r, ERR_BAD_QUERY, "after", "after must be the next_after of a page of this timeline");
        return H_NO;
    }
    json_t *events = NULL;
    int more = 0;
    switch (timeline_read(r->app, r->account_id, id, v ? &before : NULL, (int)limit, &events, &next, &more)) {
    case TIMELINE_OK:
        break;
    case TIMELINE_NOT_FOUND:
        reply_error(r, ERR_NOT_FOUND, NULL, "no such contact");
        return H_NO;
    case TIMELINE_STORE:
        return db_failed(r);
    }
    char cursor[TIMELINE_CURSOR_MAX];
    timeline_cursor_format(&next, cursor, sizeof cursor);
    reply_json(
        r, 200,
        json_pack("{s:o, s:o}", "events", events, "next_after", more ? json_string(cursor) : json_null()));
    return H_OK;
}

/* ---- opt-outs by hand ---------------------------------------------------------------------------- */

static int blank(const char *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') return 0;
    return 1;
}

/* POST (out 1) and DELETE (out 0) /contacts/:id/opt-out: the reason is optional to opt out and
 * required to opt back in; either answers the contact as it is now. */
static enum hres opt_out(struct req *r, int out)
{
    const char *reason = NULL;
    struct jfield opt[] = {JF_NULLABLE(JF_STRING_LEN("reason", &reason, 0, REASON_MAX)), JF_END};
    struct jfield req[] = {JF_STRING_LEN("reason", &reason, 1, REASON_MAX), JF_END};
    if (http_parse_spec(r, out ? opt : req) != TGR_OK) return H_NO;
    if (!out && blank(reason)) {
        reply_error(r, ERR_VALIDATION, "reason", "reason must say why the person is written to again");
        return H_NO;
    }
    if (blank(reason)) reason = NULL;
    int64_t id;
    if (contact_id_param(r, &id) != TGR_OK) return H_NO;
    struct audit_who who;
    audit_who_of(r, &who);
    switch (contact_opt_out_by_hand(r->app, r->account_id, id, out, &who, reason)) {
    case OPT_OUT_CHANGED:
        /* A message already claimed for them goes back and is skipped when prepared again. */
        if (out) engine_wake(r->app->engine, r->account_id);
        return contact_reply(r, id);
    case OPT_OUT_UNCHANGED:
        return contact_reply(r, id);
    case OPT_OUT_NOT_FOUND:
        reply_error(r, ERR_NOT_FOUND, NULL, "no such contact");
        return H_NO;
    case OPT_OUT_STORE:
        break;
    }
    return db_failed(r);
}

enum hres contacts_opt_out_h(struct req *r)
{
    return opt_out(r, 1);
}

enum hres contacts_opt_in_h(struct req *r)
{
    return opt_out(r, 0);
}
