/* h_campaigns — campaign CRUD, audience and preview (API.md "Campaigns"). Starting, pausing and
 * the live routes belong to the send engine (h_sending.c, with the engine issue).
 *
 * A campaign's settings are validated field by field (core/campaign.c, core/render.c) and stored
 * in canonical form; discount codes are sealed in discount_codes, one row per code; with
 * track_links every <a href> of the message gets its trackable_links row at save time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/daily.h"
#include "core/classify.h"
#include "base/app.h"
#include "core/audience.h"
#include "core/campaign.h"
#include "core/cstate.h"
#include "core/links.h"
#include "core/orders.h"
#include "core/people.h"
#include "base/log.h"
#include "core/render.h"
#include "base/util.h"
#include "core/message.h"
#include "core/sealed.h"
#include "core/schedule.h"
#include "core/segments.h"
#include "crypto/seal.h"
#include "http/handlers.h"
#include "http/server.h"

#define AUDIENCE_SAMPLE     10
#define AUDIENCE_SAMPLE_MAX 100

/* ---- discount codes: sealed rows ------------------------------------------------------- */

/* The campaign's codes, decrypted, in insertion order. New reference (array of strings). */
static json_t *codes_plain(struct app *app, int64_t account_id, int64_t campaign_id, json_t **first_free)
{
    struct discount_code_row *rows = NULL;
    size_t n = 0;
    json_t *out = json_array();
    if (first_free) *first_free = NULL;
    if (app->store->codes_list(app->store, account_id, campaign_id, &rows, &n) < 0) return out;
    for (size_t i = 0; i < n; i++) {
        char *code = NULL;
        if (code_open(app, account_id, campaign_id, &rows[i], &code) == TGR_OK) {
            json_array_append_new(out, json_string(code));
            if (first_free && !*first_free && !rows[i].recipient_id) *first_free = json_string(code);
            free(code);
        }
        blob_release(&rows[i].code);
    }
    free(rows);
    return out;
}

static enum db_status save_codes(struct app *app, int64_t account_id, int64_t campaign_id, json_t *discount)
{
    json_t *list = json_object_get(discount, "codes");
    json_t *one = json_object_get(discount, "code");
    size_t n = one ? 1 : json_array_size(list);
    struct discount_code_row *rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows) return DB_HARD;
    enum db_status r = DB_ONE;
    for (size_t i = 0; i < n; i++) {
        const char *code = json_string_value(one ? one : json_array_get(list, i));
        if (code_seal(app, account_id, campaign_id, code, &rows[i]) != TGR_OK) r = DB_HARD;
    }
    if (r >= 0) r = app->store->codes_replace(app->store, account_id, campaign_id, rows, n);
    for (size_t i = 0; i < n; i++)
        blob_release(&rows[i].code);
    free(rows);
    return r;
}

/* ---- campaign JSON ---------------------------------------------------------------------- */

static json_t *parsed_or_null(const char *text)
{
    json_error_t je;
    json_t *j = text ? json_loads(text, 0, &je) : NULL;
    return j ? j : json_null();
}

static json_t *time_or_null(int64_t ms)
{
    char t[40];
    if (!ms) return json_null();
    rfc3339(ms, t, sizeof t);
    return json_string(t);
}

json_t *campaign_to_json(struct app *app, int64_t account_id, const struct campaign *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(c->id));
    json_object_set_new(o, "name", json_string(c->name));
    json_object_set_new(o, "status", json_string(c->status));
    json_object_set_new(o, "message_text", json_string(c->message_text));
    json_t *media = json_array();
    for (int i = 0; i < c->n_media; i++)
        json_array_append_new(media, json_integer(c->media_ids[i]));
    json_object_set_new(o, "media_ids", media);
    /* A campaign of a segment shows the segment's filters as they are now, until its start
     * keeps them; a read that fails shows its own. */
    struct filters f;
    char *ftext = NULL;
    int fok = campaign_audience_filters(app->store, account_id, c, &f, &ftext) == TGR_OK;
    json_t *filters = parsed_or_null(fok ? ftext : c->filters_json);
    free(ftext);
    json_object_set_new(o, "filters", json_is_null(filters) ? json_object() : filters);
    json_object_set_new(o, "segment_id", c->segment_id ? json_integer(c->segment_id) : json_null());
    json_object_set_new(o, "quiet_hours", parsed_or_null(c->quiet_hours_json));
    json_t *nudges = parsed_or_null(c->nudges_json);
    json_object_set_new(o, "nudges", json_is_null(nudges) ? json_array() : nudges);
    json_object_set_new(o, "track_links", json_boolean(c->track_links));
    json_t *discount = parsed_or_null(c->discount_json);
    if (json_is_object(discount)) {
        const char *mode = json_string_value(json_object_get(discount, "mode"));
        json_t *codes = codes_plain(app, account_id, c->id, NULL);
        if (mode && strcmp(mode, "static") == 0)
            json_object_set(discount, "code",
                            json_array_size(codes) ? json_array_get(codes, 0) : json_null());
        else
            json_object_set(discount, "codes", codes);
        json_decref(codes);
    }
    json_object_set_new(o, "discount_codes", discount);
    json_object_set_new(o, "created_at", time_or_null(c->created_at));
    json_object_set_new(o, "started_at", time_or_null(c->started_at));
    json_object_set_new(o, "finished_at", time_or_null(c->finished_at));
    json_object_set_new(o, "start_at", time_or_null(c->start_at));
    json_object_set_new(o, "pause_reason", c->pause_reason[0] ? json_string(c->pause_reason) : json_null());
    /* The code of an error_streak pause: the web app explains it from the error registry. */
    json_object_set_new(o, "pause_code", c->pause_code[0] ? json_string(c->pause_code) : json_null());
    /* A sending campaign whose account used up its daily limit waits for the local midnight. */
    struct daily d;
    int live = strcmp(c->status, "running") == 0 || strcmp(c->status, "nudging") == 0;
    int waits = live && daily_read(app->store, account_id, now_ms(), &d) == TGR_OK && daily_reached(&d);
    /* A scheduled campaign whose time has come waits for the account's running one to end. */
    int behind = !live && schedule_waiting(app->store, account_id, c, now_ms()) == 1;
    json_object_set_new(o, "waiting",
                        waits    ? json_string("daily_limit")
                        : behind ? json_string("campaign_running")
                                 : json_null());
    json_object_set_new(o, "resumes_at", waits ? time_or_null(d.day_end) : json_null());
    return o;
}

/* ---- validation ------------------------------------------------------------------------- */

struct input {
    const char *name, *message_text;
    json_t *media_ids, *filters, *quiet_hours, *nudges, *discount;
    int track_links;
    int has_name, has_text, has_media, has_filters, has_quiet, has_nudges, has_discount, has_track;
    int64_t segment_id; /* 0: none */
    int has_segment;
};

static int parse_input(struct req *r, struct input *in, int create)
{
    memset(in, 0, sizeof *in);
    in->track_links = 1;
    struct jfield spec[] = {
        jf_present(create ? JF_STRING_LEN("name", &in->name, 1, 200)
                          : JF_OPTIONAL(JF_STRING_LEN("name", &in->name, 1, 200)),
                   &in->has_name),
        jf_present(create ? JF_STRING_LEN("message_text", &in->message_text, 1, 65536)
                          : JF_OPTIONAL(JF_STRING_LEN("message_text", &in->message_text, 1, 65536)),
                   &in->has_text),
        jf_present(JF_NULLABLE(JF_ARRAY("media_ids", &in->media_ids)), &in->has_media),
        jf_present(JF_NULLABLE(JF_OBJECT("filters", &in->filters)), &in->has_filters),
        jf_present(JF_NULLABLE(JF_OBJECT("quiet_hours", &in->quiet_hours)), &in->has_quiet),
        jf_present(JF_NULLABLE(JF_ARRAY("nudges", &in->nudges)), &in->has_nudges),
        jf_present(JF_OPTIONAL(JF_BOOL("track_links", &in->track_links)), &in->has_track),
        jf_present(JF_NULLABLE(JF_OBJECT("discount_codes", &in->discount)), &in->has_discount),
        jf_present(JF_NULLABLE(JF_INT_RANGE("segment_id", &in->segment_id, 1, INT64_MAX)), &in->has_segment),
        JF_END,
    };
    return http_parse_spec(r, spec);
}

static int invalid(struct req *r, const struct jspec_error *err)
{
    reply_error(r, err->code, err->field, "%s", err->message);
    return TGR_ERR;
}

/* Apply the input onto c (a new draft or a stored campaign), validating each field. */
static int apply_input(struct req *r, const struct input *in, struct campaign *c)
{
    struct jspec_error err;
    struct app *app = r->app;
    if (in->has_name) {
        int visible = 0, control = 0;
        for (const unsigned char *t = (const unsigned char *)in->name; *t; t++) {
            visible |= *t > ' ';
            control |= *t < ' ' || *t == 0x7f;
        }
        if (!visible || control) {
            reply_error(r, ERR_VALIDATION, "name", "name must have visible characters and no line breaks");
            return TGR_ERR;
        }
        snprintf(c->name, sizeof c->name, "%s", in->name);
    }
    if (in->has_text) {
        for (const unsigned char *t = (const unsigned char *)in->message_text; *t; t++) {
            if ((*t < ' ' && *t != '\n' && *t != '\t' && *t != '\r') || *t == 0x7f) {
                reply_error(r, ERR_VALIDATION, "message_text",
                            "message_text must not contain control characters");
                return TGR_ERR;
            }
        }
    }
    if (in->has_text) {
        free(c->message_text);
        c->message_text = strdup(in->message_text);
    }
    if (in->has_media) {
        c->n_media = 0;
        size_t i;
        json_t *v;
        if (json_array_size(in->media_ids) > CAMPAIGN_MAX_MEDIA) {
            reply_error(r, ERR_VALIDATION, "media_ids", "media_ids may hold at most %d media",
                        CAMPAIGN_MAX_MEDIA);
            return TGR_ERR;
        }
        json_array_foreach(in->media_ids, i, v)
        {
            struct media_row m;
            if (!json_is_integer(v) ||
                app->store->media_get(app->store, r->account_id, json_integer_value(v), &m) != DB_ONE) {
                reply_error(r, ERR_VALIDATION, "media_ids",
                            "media_ids[%zu] is not a media id of this account", i);
                return TGR_ERR;
            }
            c->media_ids[c->n_media++] = m.id;
        }
    }
    /* The message must be valid and fit Telegram's limit with every placeholder empty. */
    struct render_error re;
    if (!c->message_text || render_check(c->message_text, NULL, &re) != TGR_OK) {
        reply_error(r, ERR_VALIDATION, "message_text", "message_text: %s",
                    c->message_text ? re.message : "missing");
        return TGR_ERR;
    }
    struct rendered out;
    struct render_vars none = {NULL, NULL, NULL};
    if (render(c->message_text, &none, NULL, NULL, &out, &re) == TGR_OK) {
        int32_t max = c->n_media ? RENDER_MAX_CAPTION : RENDER_MAX_TEXT;
        int32_t len = out.utf16_len;
        int blank = 1;
        for (const char *t = out.text; t && *t; t++)
            if (*t != ' ' && *t != '\n' && *t != '\t' && *t != '\r') blank = 0;
        rendered_release(&out);
        /* Telegram refuses an empty message; a caption may be empty. */
        if (blank && !c->n_media) {
            reply_error(
                r, ERR_VALIDATION, "message_text",
                "message_text has no text of its own (with every placeholder empty it would be blank)");
            return TGR_ERR;
        }
        if (len > max) {
            reply_error(r, ERR_VALIDATION, "message_text",
                        "message_text is %d characters long; Telegram allows %d%s", len, max,
                        c->n_media ? " in a caption" : "");
            return TGR_ERR;
        }
    }
    /* The audience is a saved segment's (read when the campaign starts) or filters of its own. */
    if (in->filters && in->segment_id) {
        reply_error(r, ERR_VALIDATION, "segment_id", "give either filters or segment_id, not both");
        return TGR_ERR;
    }
    if (in->has_segment) {
        c->segment_id = in->segment_id;
        if (c->segment_id) {
            free(c->filters_json);
            c->filters_json = NULL;
        }
    }
    if (in->has_filters && in->filters) c->segment_id = 0;
    if (in->has_filters) {
        struct filters f;
        if (filters_parse(in->filters, app->store, r->account_id, &f, &err) != TGR_OK)
            return invalid(r, &err);
        free(c->filters_json);
        json_t *j = filters_to_json(&f);
        c->filters_json = json_dumps(j, JSON_COMPACT);
        json_decref(j);
    }
    if (in->has_quiet) {
        struct quiet_hours q;
        if (quiet_hours_parse(in->quiet_hours, &q, &err) != TGR_OK) return invalid(r, &err);
        free(c->quiet_hours_json);
        json_t *j = quiet_hours_to_json(&q);
        c->quiet_hours_json = q.set ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
    }
    if (in->has_nudges) {
        if (nudges_validate(in->nudges, &err) != TGR_OK) return invalid(r, &err);
        free(c->nudges_json);
        c->nudges_json = in->nudges ? json_dumps(in->nudges, JSON_COMPACT) : NULL;
    }
    if (in->has_discount) {
        if (discount_validate(in->discount, &err) != TGR_OK) return invalid(r, &err);
        free(c->discount_json);
        c->discount_json = NULL;
        if (in->discount) {
            json_t *mode = json_pack("{s:O}", "mode", json_object_get(in->discount, "mode"));
            c->discount_json = json_dumps(mode, JSON_COMPACT);
            json_decref(mode);
        }
    }
    if (in->has_track) c->track_links = in->track_links;
    return TGR_OK;
}

/* Codes and link rows, after the campaign row exists (same transaction). */
struct save_ctx {
    struct req *r;
    struct input *in;
    struct campaign *c;
    int create;
    int no_segment; /* segment_id names no segment of the account */
};

static enum db_status save_txn(struct store *st, void *cls)
{
    struct save_ctx *sc = cls;
    struct req *r = sc->r;
    enum db_status s;
    sc->no_segment = 0;
    if (sc->c->segment_id) {
        struct segment seg;
        s = st->segment_get(st, r->account_id, sc->c->segment_id, &seg);
        if (s < 0) return s;
        if (s == DB_NONE) {
            sc->no_segment = 1;
            return DB_NONE;
        }
    }
    if (sc->create) {
        s = st->campaign_create(st, r->account_id, sc->c, &sc->c->id);
    } else {
        s = st->campaign_update(st, r->account_id, sc->c);
        if (s == DB_NONE) return DB_NONE; /* its status changed meanwhile */
    }
    if (s >= 0)
        s = st->campaign_set_audience(st, r->account_id, sc->c->id, sc->c->segment_id, sc->c->filters_json);
    if (s < 0) return s;
    if (sc->in->has_discount && sc->in->discount)
        s = save_codes(r->app, r->account_id, sc->c->id, sc->in->discount);
    else if (sc->in->has_discount)
        s = st->codes_replace(st, r->account_id, sc->c->id, NULL, 0);
    if (s < 0) return s;
    if (sc->c->track_links) {
        char **urls = NULL;
        size_t n = 0;
        struct render_error re;
        if (render_links(sc->c->message_text, &urls, &n, &re) == TGR_OK) {
            for (size_t i = 0; i < n && s >= 0; i++) {
                int64_t link_id;
                s = st->link_ensure(st, r->account_id, sc->c->id, urls[i], &link_id);
            }
            render_links_free(urls, n);
        }
    }
    return s < 0 ? s : DB_ONE;
}

static enum hres db_failed(struct req *r)
{
    reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
    return H_NO;
}

static enum hres no_segment(struct req *r)
{
    reply_error(r, ERR_VALIDATION, "segment_id", "segment_id is not a segment of this account");
    return H_NO;
}

static int campaign_id(struct req *r, int64_t *id)
{
    if (parse_i64(route_param(&r->params, "id"), 1, INT64_MAX, id) != TGR_OK) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no such campaign");
        return TGR_ERR;
    }
    return TGR_OK;
}

/* Load the campaign of the path; on failure the reply is set. */
int campaign_load_req(struct req *r, struct campaign *c)
{
    int64_t id;
    if (campaign_id(r, &id) != TGR_OK) return TGR_ERR;
    enum db_status s = r->app->store->campaign_get(r->app->store, r->account_id, id, c);
    if (s == DB_ONE) return TGR_OK;
    if (s < 0)
        db_failed(r);
    else
        reply_error(r, ERR_NOT_FOUND, NULL, "no such campaign");
    return TGR_ERR;
}

/* ---- routes ----------------------------------------------------------------------------- */

enum hres campaigns_create_h(struct req *r)
{
    struct input in;
    if (parse_input(r, &in, 1) != TGR_OK) return H_NO;
    struct campaign c;
    memset(&c, 0, sizeof c);
    snprintf(c.status, sizeof c.status, "%s", campaign_status_name(CAMPAIGN_DRAFT));
    c.track_links = 1;
    if (apply_input(r, &in, &c) != TGR_OK) {
        campaign_release(&c);
        return H_NO;
    }
    struct save_ctx sc = {r, &in, &c, 1, 0};
    enum db_status s = r->app->store->txn(r->app->store, TX_NORMAL, save_txn, &sc);
    if (s < 0 || sc.no_segment) {
        campaign_release(&c);
        return s < 0 ? db_failed(r) : no_segment(r);
    }
    struct campaign saved;
    if (r->app->store->campaign_get(r->app->store, r->account_id, c.id, &saved) != DB_ONE) {
        campaign_release(&c);
        return db_failed(r);
    }
    http_audit(r, AUDIT_CAMPAIGN_CREATE, "campaign", c.id, NULL);
    reply_json(r, 201, campaign_to_json(r->app, r->account_id, &saved));
    campaign_release(&saved);
    campaign_release(&c);
    return H_OK;
}

enum hres campaigns_list_h(struct req *r)
{
    struct campaign *rows = NULL;
    size_t n = 0;
    if (r->app->store->campaign_list(r->app->store, r->account_id, &rows, &n) < 0) return db_failed(r);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, campaign_to_json(r->app, r->account_id, &rows[i]));
        campaign_release(&rows[i]);
    }
    free(rows);
    reply_json(r, 200, json_pack("{s:o}", "campaigns", list));
    return H_OK;
}

enum hres campaigns_get_h(struct req *r)
{
    struct campaign c;
    if (campaign_load_req(r, &c) != TGR_OK) return H_NO;
    reply_json(r, 200, campaign_to_json(r->app, r->account_id, &c));
    campaign_release(&c);
    return H_OK;
}

enum hres campaigns_patch_h(struct req *r)
{
    struct campaign c;
    if (campaign_load_req(r, &c) != TGR_OK) return H_NO;
    struct input in;
    enum hres h = H_NO;
    enum campaign_status cs;
    if (campaign_status_parse(c.status, &cs) != 0 || !campaign_status_editable(cs)) {
        reply_error(r, ERR_INVALID_STATE, NULL, "a %s campaign cannot be edited; %s it first", c.status,
                    cs == CAMPAIGN_SCHEDULED ? "unschedule" : "pause");
    } else if (parse_input(r, &in, 0) == TGR_OK && apply_input(r, &in, &c) == TGR_OK) {
        struct save_ctx sc = {r, &in, &c, 0, 0};
        enum db_status s = r->app->store->txn(r->app->store, TX_NORMAL, save_txn, &sc);
        struct campaign saved;
        if (s < 0) {
            h = db_failed(r);
        } else if (sc.no_segment) {
            no_segment(r);
        } else if (s == DB_NONE) {
            reply_error(r, ERR_INVALID_STATE, NULL, "the campaign was started meanwhile; pause it first");
        } else if (r->app->store->campaign_get(r->app->store, r->account_id, c.id, &saved) == DB_ONE) {
            http_audit(r, AUDIT_CAMPAIGN_UPDATE, "campaign", c.id, audit_body_fields(r));
            reply_json(r, 200, campaign_to_json(r->app, r->account_id, &saved));
            campaign_release(&saved);
            h = H_OK;
        } else {
            h = db_failed(r);
        }
    }
    campaign_release(&c);
    return h;
}

enum hres campaigns_delete_h(struct req *r)
{
    struct campaign c;
    if (campaign_load_req(r, &c) != TGR_OK) return H_NO;
    enum campaign_status cs;
    int draft = campaign_status_parse(c.status, &cs) == 0 && cs == CAMPAIGN_DRAFT;
    char status[16];
    snprintf(status, sizeof status, "%s", c.status);
    int64_t id = c.id;
    campaign_release(&c);
    if (!draft) {
        reply_error(r, ERR_INVALID_STATE, NULL,
                    "only drafts can be deleted; this campaign is %s (cancel it instead)", status);
        return H_NO;
    }
    enum db_status s = r->app->store->campaign_delete(r->app->store, r->account_id, id);
    if (s < 0) return db_failed(r);
    if (s == DB_NONE) {
        reply_error(r, ERR_INVALID_STATE, NULL, "the campaign was started meanwhile");
        return H_NO;
    }
    http_audit(r, AUDIT_CAMPAIGN_DELETE, "campaign", id, NULL);
    reply_empty(r, 204);
    return H_OK;
}

enum hres campaigns_audience_h(struct req *r)
{
    /* ?sample=N: how many people of the audience to show (the editor's "Preview as" takes more). */
    int64_t sample_n = AUDIENCE_SAMPLE;
    const char *v = req_query(r, "sample");
    if (v && parse_i64(v, 0, AUDIENCE_SAMPLE_MAX, &sample_n) != TGR_OK) {
        reply_error(r, ERR_BAD_QUERY, "sample", "sample must be a whole number from 0 to %d",
                    AUDIENCE_SAMPLE_MAX);
        return H_NO;
    }
    struct campaign c;
    if (campaign_load_req(r, &c) != TGR_OK) return H_NO;
    struct filters f;
    int ok = campaign_audience_filters(r->app->store, r->account_id, &c, &f, NULL);
    campaign_release(&c);
    struct audience a;
    struct audience_held held;
    int cap = r->account.frequency_cap_days;
    if (ok != TGR_OK || audience_resolve(r->app, r->account_id, &f, cap, &a) != TGR_OK) return db_failed(r);
    if (audience_held_back(r->app, r->account_id, &f, cap, &held) != TGR_OK) {
        audience_release(&a);
        return db_failed(r);
    }
    json_t *sample = json_array();
    for (size_t i = 0; i < a.n && i < (size_t)sample_n; i++) {
        struct contact ct;
        struct contact_plain p;
        if (r->app->store->contact_get(r->app->store, r->account_id, a.ids[i], &ct) != DB_ONE) continue;
        if (contact_open(r->app, r->account_id, &ct, &p) == TGR_OK) {
            json_array_append_new(sample, contact_to_json(r->app, r->account_id, &ct, &p));
            contact_plain_release(&p);
        }
        contact_release(&ct);
    }
    json_t *by = json_object();
    for (int k = 0; k < CAT_COUNT; k++)
        json_object_set_new(by, category_name((enum category)k), json_integer((json_int_t)a.by_category[k]));
    /* Who matched the filters but is left out for a mark Telegram gave them, and why. */
    json_t *left_out = json_pack("{s:I, s:I}", "charges_for_messages", (json_int_t)a.left_out_charging,
                                 "privacy_restricted", (json_int_t)a.left_out_privacy);
    /* Who matched the filters but is never messaged now: why an audience is small or empty. */
    json_t *excluded = json_pack("{s:I, s:I, s:I}", "opted_out", (json_int_t)held.opted_out, "blocked",
                                 (json_int_t)held.blocked, "frequency_cap", (json_int_t)held.frequency_cap);
    reply_json(r, 200,
               json_pack("{s:I, s:o, s:o, s:o, s:o, s:i, s:o}", "count", (json_int_t)a.n, "by_category", by,
                         "sample", sample, "left_out", left_out, "excluded", excluded, "frequency_cap_days",
                         cap, "cap_ends_at", time_or_null(held.cap_ends_at)));
    audience_release(&a);
    return H_OK;
}

/* The message text of step `step` (0 = the first message, k = follow-up k), or NULL when the plan has
 * no such follow-up. *nudges holds what a follow-up's text points into; json_decref it. */
static const char *step_template(const struct campaign *c, int64_t step, json_t **nudges)
{
    *nudges = NULL;
    if (step == 0) return c->message_text;
    json_error_t je;
    *nudges = c->nudges_json ? json_loads(c->nudges_json, 0, &je) : NULL;
    return json_string_value(json_object_get(json_array_get(*nudges, (size_t)step - 1), "message_text"));
}

enum hres campaigns_preview_h(struct req *r)
{
    int64_t contact_id = 0, step = 0;
    struct jfield spec[] = {JF_INT_RANGE("contact_id", &contact_id, 1, INT64_MAX),
                            JF_OPTIONAL(JF_INT_RANGE("step", &step, 0, NUDGES_MAX)), JF_END};
    if (http_parse_spec(r, spec) != TGR_OK) return H_NO;
    struct campaign c;
    if (campaign_load_req(r, &c) != TGR_OK) return H_NO;
    json_t *nudges = NULL;
    const char *tmpl = step_template(&c, step, &nudges);
    if (!tmpl) {
        json_decref(nudges);
        campaign_release(&c);
        reply_error(r, ERR_VALIDATION, "step", "step: this campaign has no follow-up %lld", (long long)step);
        return H_NO;
    }
    struct store *st = r->app->store;
    struct contact ct;
    enum db_status s = st->contact_get(st, r->account_id, contact_id, &ct);
    if (s != DB_ONE) {
        json_decref(nudges);
        campaign_release(&c);
        if (s < 0) return db_failed(r);
        reply_error(r, ERR_NOT_FOUND, "contact_id", "no such contact");
        return H_NO;
    }
    struct contact_plain p;
    if (contact_open(r->app, r->account_id, &ct, &p) != TGR_OK) {
        contact_release(&ct);
        json_decref(nudges);
        campaign_release(&c);
        return H_SYSERR;
    }
    char last_order[200];
    if (message_last_order(r->app, r->account_id, ct.id, last_order, sizeof last_order) != 0) {
        contact_plain_release(&p);
        contact_release(&ct);
        json_decref(nudges);
        campaign_release(&c);
        return db_failed(r);
    }
    json_t *free_code = NULL;
    json_t *codes = codes_plain(r->app, r->account_id, c.id, &free_code);
    struct render_vars vars = {p.first_name, last_order[0] ? last_order : NULL,
                               free_code ? json_string_value(free_code) : NULL};
    struct message_links pl;
    message_links_init(&pl, r->app, r->account_id, c.id, 0); /* a preview's links name no recipient */
    struct rendered out;
    struct render_error re;
    unsigned uses = 0;
    enum hres h = H_OK;
    if (render_check(tmpl, &uses, &re) == TGR_OK &&
        render(tmpl, &vars, c.track_links ? message_link : NULL, &pl, &out, &re) == TGR_OK) {
        /* Media goes with the first message only (engine/send.c). */
        json_t *media = json_array();
        for (int i = 0; step == 0 && i < c.n_media; i++)
            json_array_append_new(media, json_integer(c.media_ids[i]));
        /* The placeholders this message uses that have no value for this person: their fallback,
         * or nothing, is what they read. */
        json_t *empty = json_array();
        if ((uses & RENDER_USES_FIRST_NAME) && !(vars.first_name && *vars.first_name))
            json_array_append_new(empty, json_string("first_name"));
        if ((uses & RENDER_USES_LAST_ORDER) && !vars.last_order)
            json_array_append_new(empty, json_string("last_order"));
        if ((uses & RENDER_USES_DISCOUNT_CODE) && !vars.discount_code)
            json_array_append_new(empty, json_string("discount_code"));
        reply_json(r, 200,
                   json_pack("{s:s, s:o, s:o, s:I, s:o}", "text", out.text, "entities",
                             rendered_entities_json(&out), "media_ids", media, "step", (json_int_t)step,
                             "empty_placeholders", empty));
        rendered_release(&out);
    } else {
        reply_error(r, ERR_VALIDATION, step ? "step" : "message_text", "%s: %s",
                    step ? "step" : "message_text", re.message);
        h = H_NO;
    }
    json_decref(codes);
    json_decref(free_code);
    contact_plain_release(&p);
    contact_release(&ct);
    json_decref(nudges);
    campaign_release(&c);
    return h;
}
