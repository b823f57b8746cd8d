/* people — a campaign's recipients in pages, the contact filters, opt-outs by hand; see people.h. */
#include "core/people.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/util.h"
#include "core/audit.h"
#include "core/categories.h"
#include "core/outcome.h"

/* ---- a campaign's recipients ---------------------------------------------------------------------- */

static const char *const result_names[RS_COUNT] = {
#define X(id, name) [id] = name,
    RESULT_STATUSES(X)
#undef X
};

const char *result_status_name(enum result_status s)
{
    return (unsigned)s < RS_COUNT ? result_names[s] : "unknown";
}

int result_status_parse(const char *name, enum result_status *out)
{
    for (int i = 0; name && i < RS_COUNT; i++)
        if (strcmp(name, result_names[i]) == 0) {
            *out = (enum result_status)i;
            return TGR_OK;
        }
    return TGR_ERR;
}

#define BIT(s)       (1u << (s))
#define NOT_FINISHED (BIT(RECIPIENT_PENDING) | BIT(RECIPIENT_SENDING))

enum result_status result_status_of(const char *stored, int campaign_cancelled)
{
    if (strcmp(stored, "sent") == 0) return RS_SENT;
    if (strcmp(stored, "failed") == 0) return RS_FAILED;
    if (strcmp(stored, "skipped") == 0) return RS_SKIPPED;
    return campaign_cancelled ? RS_CANCELLED : RS_PENDING; /* pending, sending */
}

/* The stored statuses that show as status (RS_COUNT: every one). */
static unsigned stored_statuses(enum result_status status, int cancelled)
{
    switch (status) {
    case RS_PENDING:
        return cancelled ? 0 : NOT_FINISHED;
    case RS_CANCELLED:
        return cancelled ? NOT_FINISHED : 0;
    case RS_SENT:
        return BIT(RECIPIENT_SENT);
    case RS_FAILED:
        return BIT(RECIPIENT_FAILED);
    case RS_SKIPPED:
        return BIT(RECIPIENT_SKIPPED);
    case RS_COUNT:
        break;
    }
    return BIT(RECIPIENT_STATUS_COUNT) - 1;
}

/* How many rows of one step show as status, from its counters. */
static int64_t step_count(const struct step_totals *t, enum result_status status, int cancelled)
{
    int64_t open = t->rows - t->sent - t->failed - t->skipped;
    switch (status) {
    case RS_PENDING:
        return cancelled ? 0 : open;
    case RS_CANCELLED:
        return cancelled ? open : 0;
    case RS_SENT:
        return t->sent;
    case RS_FAILED:
        return t->failed;
    case RS_SKIPPED:
        return t->skipped;
    case RS_COUNT:
        break;
    }
    return t->rows;
}

static enum results_outcome fail(struct results_scan *s, enum results_outcome o)
{
    results_close(s);
    return o;
}

enum results_outcome results_open(struct store *st, int64_t account_id, int64_t campaign_id,
                                  enum result_status status, int step, int64_t after, struct results_scan *s)
{
    memset(s, 0, sizeof *s);
    s->account_id = account_id;
    s->campaign_id = campaign_id;
    struct campaign c;
    enum db_status r = st->campaign_get(st, account_id, campaign_id, &c);
    if (r != DB_ONE) return r < 0 ? RESULTS_STORE : RESULTS_NOT_FOUND;
    s->cancelled = strcmp(c.status, "cancelled") == 0;
    campaign_release(&c);
    s->statuses = stored_statuses(status, s->cancelled);
    int from = step; /* the first step to read */
    if (after > 0) {
        r = st->recipient_step(st, account_id, campaign_id, after, &from);
        if (r < 0) return RESULTS_STORE;
        if (r == DB_NONE || (step >= 0 && from != step)) return RESULTS_BAD_AFTER;
    }
    struct step_totals *t = NULL;
    size_t n = 0;
    r = st->campaign_step_totals(st, account_id, campaign_id, &t, &n);
    if (r < 0) return RESULTS_STORE;
    s->steps = malloc((n ? n : 1) * sizeof *s->steps);
    if (!s->steps) {
        free(t);
        return RESULTS_STORE;
    }
    for (size_t i = 0; i < n; i++) {
        if (step >= 0 && t[i].step != step) continue;
        s->total += step_count(&t[i], status, s->cancelled);
        if (t[i].step >= from) s->steps[s->n_steps++] = t[i].step;
    }
    free(t);
    /* `after` is a row of `from`: it applies only if that step is the first one read. */
    s->after = s->n_steps && s->steps[0] == from ? after : 0;
    return RESULTS_OK;
}

enum db_status results_next(struct store *st, struct results_scan *s, int limit, struct result_row **rows,
                            size_t *n)
{
    struct result_row *out = NULL;
    size_t have = 0;
    *rows = NULL;
    *n = 0;
    while (s->statuses && (int)have < limit && s->at < s->n_steps) {
        struct result_row *got = NULL;
        size_t k = 0;
        int want = limit - (int)have;
        enum db_status r = st->results_page(st, s->account_id, s->campaign_id, s->steps[s->at], s->statuses,
                                            s->after, want, &got, &k);
        struct result_row *grown = r >= 0 && k ? realloc(out, (have + k) * sizeof *out) : out;
        if (r < 0 || (k && !grown)) {
            for (size_t i = 0; i < k; i++)
                result_row_release(&got[i]);
            free(got);
            for (size_t i = 0; i < have; i++)
                result_row_release(&out[i]);
            free(out);
            return r < 0 ? r : DB_HARD;
        }
        out = grown;
        if (k) {
            memcpy(out + have, got, k * sizeof *got);
            have += k;
            s->after = got[k - 1].id;
        }
        free(got);
        if ((int)k < want) { /* this step is done */
            s->at++;
            s->after = 0;
        }
    }
    *rows = out;
    *n = have;
    return have ? DB_ONE : DB_NONE;
}

void results_close(struct results_scan *s)
{
    free(s->steps);
    s->steps = NULL;
    s->n_steps = s->at = 0;
}

enum results_outcome results_page_read(struct store *st, int64_t account_id, int64_t campaign_id,
                                       enum result_status status, int step, int64_t after, int limit,
                                       struct results_page *out)
{
    memset(out, 0, sizeof *out);
    struct results_scan s;
    enum results_outcome o = results_open(st, account_id, campaign_id, status, step, after, &s);
    if (o != RESULTS_OK) return fail(&s, o);
    out->total = s.total;
    out->cancelled = s.cancelled;
    /* One more than the page, to know whether another follows. */
    if (results_next(st, &s, limit + 1, &out->rows, &out->n) < 0) return fail(&s, RESULTS_STORE);
    results_close(&s);
    if (out->n > (size_t)limit) {
        for (size_t i = (size_t)limit; i < out->n; i++)
            result_row_release(&out->rows[i]);
        out->n = (size_t)limit;
        out->next_after = out->rows[limit - 1].id;
    }
    return RESULTS_OK;
}

void results_page_release(struct results_page *p)
{
    for (size_t i = 0; i < p->n; i++)
        result_row_release(&p->rows[i]);
    free(p->rows);
    p->rows = NULL;
    p->n = 0;
}

int result_names_open(struct app *app, int64_t account_id, const struct result_row *row,
                      struct contact_plain *out)
{
    struct contact c;
    memset(&c, 0, sizeof c);
    c.id = row->contact_id;
    snprintf(c.tg_user_id, sizeof c.tg_user_id, "%s", row->tg_user_id);
    c.first_name = row->first_name; /* borrowed: contact_open only reads them */
    c.last_name = row->last_name;
    c.username = row->username;
    return contact_open(app, account_id, &c, out);
}

/* ---- contacts ---------------------------------------------------------------------------------- */

static int contains(const char *hay, const char *needle)
{
    return hay && strcasestr(hay, needle) != NULL;
}

static int matches(const struct contact_plain *p, const char *q)
{
    return contains(p->first_name, q) || contains(p->last_name, q) || contains(p->username, q) ||
           contains(p->phone, q);
}

/* Whether c passes what can be told without opening its names (opened into p when it does). */
static int passes(struct app *app, int64_t account_id, const struct contact_filter *f,
                  const struct contact *c, struct contact_plain *p)
{
    if (f->opted_out >= 0 && (c->opted_out_at != 0) != f->opted_out) return 0;
    if (f->category >= 0 &&
        categories_open(app->kr, account_id, c->id, &c->category, &c->confidence).category !=
            (enum category)f->category)
        return 0;
    if (contact_open(app, account_id, c, p) != TGR_OK) return 0; /* logged by contact_open */
    if (!f->q || matches(p, f->q)) return 1;
    contact_plain_release(p);
    return 0;
}

enum db_status contacts_scan(struct app *app, int64_t account_id, const struct contact_filter *f,
                             int64_t *cursor, int page, contact_fn fn, void *cls)
{
    struct store *st = app->store;
    struct contact *rows = NULL;
    size_t n = 0;
    enum db_status r = st->contacts_page(st, account_id, *cursor, page, &rows, &n);
    if (r < 0) return r;
    int stop = 0;
    for (size_t i = 0; i < n; i++) {
        if (!stop) {
            *cursor = rows[i].id;
            struct contact_plain p;
            if (passes(app, account_id, f, &rows[i], &p)) {
                stop = fn(cls, &rows[i], &p);
                contact_plain_release(&p);
            }
        }
        contact_release(&rows[i]);
    }
    free(rows);
    return stop || n == (size_t)page ? DB_ONE : DB_NONE;
}

/* The API's contact object (GET /contacts/:id; moved here from http/h_contacts.c so that a
 * person's export, core/privacy.c, starts from the same object). */
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

/* ---- opt-outs by hand ------------------------------------------------------------------------------- */

struct by_hand {
    int64_t account_id, contact_id;
    int out;
    const struct audit_who *who;
    const struct blob *details;
    enum opt_out_outcome res;
};

static enum db_status by_hand(struct store *st, void *cls)
{
    struct by_hand *x = cls;
    x->res = OPT_OUT_STORE;
    struct contact c;
    enum db_status r = st->contact_get(st, x->account_id, x->contact_id, &c);
    if (r != DB_ONE) {
        if (r == DB_NONE) x->res = OPT_OUT_NOT_FOUND;
        return r;
    }
    contact_release(&c);
    struct contact_audit e = {
        x->contact_id, now_ms(),  x->out ? "opted_out" : "opted_in", audit_actor_name(x->who->actor),
        "api",         x->details};
    if (x->out) {
        r = contact_opt_out_as(st, x->account_id, &e); /* joins this transaction */
    } else {
        r = st->contact_clear_opted_out(st, x->account_id, x->contact_id);
        enum db_status a = r == DB_ONE ? st->contact_audit_add(st, x->account_id, &e) : DB_ONE;
        if (a < 0) return a;
    }
    if (r < 0) return r;
    if (r == DB_ONE) {
        enum db_status a = audit_record(
            st, x->account_id, x->who, x->out ? AUDIT_CONTACT_OPT_OUT : AUDIT_CONTACT_OPT_IN, "contact",
            x->contact_id, json_pack("{s:s, s:b}", "source", "api", "reason_given", x->details != NULL));
        if (a < 0) return a;
    }
    x->res = r == DB_ONE ? OPT_OUT_CHANGED : OPT_OUT_UNCHANGED;
    return DB_ONE;
}

enum opt_out_outcome contact_opt_out_by_hand(struct app *app, int64_t account_id, int64_t contact_id, int out,
                                             const struct audit_who *who, const char *reason)
{
    struct blob details = {0};
    if (reason) {
        json_t *d = json_pack("{s:s}", "reason", reason);
        char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
        json_decref(d);
        int ok = text && audit_details_seal(app, account_id, contact_id, text, &details) == TGR_OK;
        free(text);
        if (!ok) return OPT_OUT_STORE;
    }
    struct by_hand x = {account_id, contact_id, out, who, reason ? &details : NULL, OPT_OUT_STORE};
    enum db_status r = app->store->txn(app->store, TX_DURABLE, by_hand, &x);
    blob_release(&details);
    return r < 0 && x.res != OPT_OUT_NOT_FOUND ? OPT_OUT_STORE : x.res;
}
