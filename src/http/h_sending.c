/* h_sending — running a campaign (API.md "Campaigns"): start, pause, resume, cancel, nudge,
 * test, logs (JSON pages or a live event stream) and the live counters.
 *
 * These routes only change the store and wake the engine; the engine thread does the sending
 * (STYLE §9). The test send waits for Telegram on the tg worker pool, with a deadline. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tgerror.h"
#include "core/classify.h"
#include "base/app.h"
#include "core/audience.h"
#include "core/campaign.h"
#include "core/cstate.h"
#include "core/launch.h"
#include "core/progress.h"
#include "core/render.h"
#include "base/util.h"
#include "engine/engine.h"
#include "http/handlers.h"
#include "http/server.h"
#include "http/sse.h"
#include "tg/bridge.h"
#include "tg/session.h"
#include "core/sealed.h"

#define LOGS_DEFAULT 100
#define LOGS_MAX     1000

static enum hres db_failed(struct req *r)
{
    reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
    return H_NO;
}

/* Refuse with no_session (or 503 when the session cannot be read). @return 1 when connected */
static int need_session(struct req *r)
{
    int c = session_connected(r->app->store, r->account_id);
    if (c < 0)
        db_failed(r);
    else if (!c)
        reply_error(r, ERR_NO_SESSION, NULL, NULL);
    return c > 0;
}

/* Reply with the campaign as stored now. */
enum hres campaign_reply(struct req *r, int64_t id)
{
    struct campaign c;
    if (r->app->store->campaign_get(r->app->store, r->account_id, id, &c) != DB_ONE) return db_failed(r);
    reply_json(r, 200, campaign_to_json(r->app, r->account_id, &c));
    campaign_release(&c);
    return H_OK;
}

static int parse_override(struct req *r, int *override)
{
    struct jfield spec[] = {JF_OPTIONAL(JF_BOOL("override_quiet_hours", override)), JF_END};
    return http_parse_spec(r, spec);
}

/* Parse, start (core/launch.c holds every rule), reply. */
enum hres campaigns_start_h(struct req *r)
{
    int override = 0;
    int64_t id;
    if (parse_override(r, &override) != TGR_OK) return H_NO;
    if (parse_i64(route_param(&r->params, "id"), 1, INT64_MAX, &id) != TGR_OK) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no such campaign");
        return H_NO;
    }
    struct launch_result res;
    switch (campaign_launch(r->app, &r->account, id, override, &res)) {
    case LAUNCH_OK:
        engine_wake(r->app->engine, r->account_id);
        http_audit(r, AUDIT_CAMPAIGN_START, "campaign", id,
                   json_pack("{s:b}", "override_quiet_hours", override));
        return campaign_reply(r, id);
    case LAUNCH_NOT_FOUND:
        reply_error(r, ERR_NOT_FOUND, NULL, "no such campaign");
        return H_NO;
    case LAUNCH_NOT_DRAFT:
        reply_error(r, ERR_INVALID_STATE, NULL, "this campaign is %s; only a draft can be started%s",
                    res.status, strcmp(res.status, "paused") == 0 ? " (use /resume)" : "");
        return H_NO;
    case LAUNCH_NO_SESSION:
        reply_error(r, ERR_NO_SESSION, NULL, NULL);
        return H_NO;
    case LAUNCH_EMPTY_AUDIENCE:
        reply_error(r, ERR_EMPTY_AUDIENCE, NULL,
                    "no contact matches the filters (opted-out, blocked and recently messaged contacts are "
                    "left out)");
        return H_NO;
    case LAUNCH_EMPTY_POOL:
        reply_error(r, ERR_EMPTY_POOL, "discount_codes.codes", "the pool of discount codes is empty");
        return H_NO;
    case LAUNCH_OTHER_RUNNING: {
        json_t *e = json_pack("{s:s, s:s, s:I}", "code", "campaign_running", "message",
                              "another campaign of this account is running; pause or cancel it first",
                              "running_campaign_id", (json_int_t)res.running_id);
        reply_json(r, 409, json_pack("{s:o}", "error", e));
        return H_NO;
    }
    case LAUNCH_CHANGED:
        reply_error(r, ERR_INVALID_STATE, NULL, "the campaign changed meanwhile; reload it");
        return H_NO;
    case LAUNCH_STORE:
        break;
    }
    return db_failed(r);
}

/* pause / resume / cancel: a move (core/cstate.h), a log line, a wake-up. */
static enum hres move(struct req *r, enum campaign_move m, const char *reason, const char *log_status,
                      const char *verb, enum audit_action a)
{
    struct campaign c;
    if (campaign_load_req(r, &c) != TGR_OK) return H_NO;
    int64_t id = c.id;
    char status[16];
    snprintf(status, sizeof status, "%s", c.status);
    campaign_release(&c);
    enum db_status s = campaign_move(r->app->store, r->account_id, id, m, reason);
    if (s < 0) return db_failed(r);
    if (s == DB_NONE) {
        reply_error(r, ERR_INVALID_STATE, NULL, "a %s campaign cannot be %s", status, verb);
        return H_NO;
    }
    /* The move is made; its line in the live log is a courtesy a failing database may skip. */
    if (log_status)
        (void)!r->app->store->log_add(r->app->store, r->account_id, id, 0, 0, log_status, NULL, NULL);
    engine_wake(r->app->engine, r->account_id);
    http_audit(r, a, "campaign", id, NULL);
    return campaign_reply(r, id);
}

enum hres campaigns_pause_h(struct req *r)
{
    struct jfield spec[] = {JF_END};
    if (http_parse_spec(r, spec) != TGR_OK) return H_NO;
    return move(r, MOVE_PAUSE, "manual", "paused", "paused", AUDIT_CAMPAIGN_PAUSE);
}

enum hres campaigns_resume_h(struct req *r)
{
    int override = -1;
    if (parse_override(r, &override) != TGR_OK) return H_NO;
    if (!need_session(r)) return H_NO;
    int64_t id;
    if (parse_i64(route_param(&r->params, "id"), 1, INT64_MAX, &id) == TGR_OK && override >= 0)
        if (r->app->store->campaign_set_override(r->app->store, r->account_id, id, override) < 0)
            return db_failed(r);
    return move(r, MOVE_RESUME, NULL, "resumed", "resumed", AUDIT_CAMPAIGN_RESUME);
}

enum hres campaigns_cancel_h(struct req *r)
{
    struct jfield spec[] = {JF_END};
    if (http_parse_spec(r, spec) != TGR_OK) return H_NO;
    return move(r, MOVE_CANCEL, NULL, NULL, "cancelled", AUDIT_CAMPAIGN_CANCEL);
}

enum hres campaigns_nudge_h(struct req *r)
{
    json_t *nudges = NULL;
    struct jfield spec[] = {JF_ARRAY("nudges", &nudges), JF_END};
    if (http_parse_spec(r, spec) != TGR_OK) return H_NO;
    struct jspec_error err;
    if (nudges_validate(nudges, &err) != TGR_OK) {
        reply_error(r, err.code, err.field, "%s", err.message);
        return H_NO;
    }
    struct campaign c;
    if (campaign_load_req(r, &c) != TGR_OK) return H_NO;
    int64_t id = c.id;
    enum campaign_status cs = CAMPAIGN_DRAFT;
    int done = campaign_status_parse(c.status, &cs) != 0 || !campaign_status_takes_nudges(cs);
    char status[16];
    snprintf(status, sizeof status, "%s", c.status);
    campaign_release(&c);
    if (done) {
        reply_error(r, ERR_INVALID_STATE, NULL, "a %s campaign takes no more nudges", status);
        return H_NO;
    }
    char *text = json_dumps(nudges, JSON_COMPACT);
    enum db_status s = r->app->store->campaign_set_nudges(r->app->store, r->account_id, id, text);
    free(text);
    if (s < 0) return db_failed(r);
    /* A completed main pass with new nudges ahead goes on nudging. */
    if (json_array_size(nudges)) campaign_move(r->app->store, r->account_id, id, MOVE_NEW_NUDGES, NULL);
    engine_wake(r->app->engine, r->account_id);
    http_audit(r, AUDIT_CAMPAIGN_UPDATE, "campaign", id, audit_body_fields(r));
    return campaign_reply(r, id);
}

/* ---- test send to Saved Messages -------------------------------------------------------- */

static void test_job(struct req *r)
{
    struct campaign c;
    if (campaign_load_req(r, &c) != TGR_OK) return;
    struct render_vars none = {NULL, NULL, NULL};
    struct rendered out;
    struct render_error re;
    if (render(c.message_text, &none, NULL, NULL, &out, &re) != TGR_OK) {
        reply_error(r, ERR_VALIDATION, "message_text", "message_text: %s", re.message);
        campaign_release(&c);
        return;
    }
    char random_id[24];
    int64_t v;
    randombytes_buf(&v, sizeof v);
    snprintf(random_id, sizeof random_id, "%lld", (long long)v);
    json_t *req = json_pack("{s:s, s:I, s:{s:b}, s:s, s:o, s:n, s:s}", "op", "send", "account",
                            (json_int_t)r->account_id, "peer", "self", 1, "text", out.text, "entities",
                            rendered_entities_json(&out), "media", "random_id", random_id);
    rendered_release(&out);
    campaign_release(&c);
    json_t *result = NULL;
    struct bridge_error err;
    /* Through the engine, so the test message takes its turn in the account's pacing. */
    int rc = engine_send_direct(r->app->engine, r->account_id, req, &result, &err);
    json_decref(req);
    if (rc != TGR_OK) {
        if (strcmp(err.code, "TIMEOUT") == 0 || strcmp(err.code, "NETWORK") == 0)
            reply_error(r, ERR_TELEGRAM_UNAVAILABLE, NULL, "Telegram did not answer in time; try again");
        else
            reply_error(r, ERR_TELEGRAM_REFUSED, NULL, "Telegram refused the test message: %s", err.code);
        return;
    }
    json_t *mid = json_object_get(result, "message_id");
    reply_json(r, 200, json_pack("{s:s, s:O}", "status", "sent", "message_id", mid ? mid : json_null()));
    json_decref(result);
}

enum hres campaigns_test_h(struct req *r)
{
    struct jfield spec[] = {JF_END};
    if (http_parse_spec(r, spec) != TGR_OK) return H_NO;
    if (!need_session(r)) return H_NO;
    http_defer(r, r->app->tg_pool, "test", test_job);
    return H_DEFER;
}

/* ---- logs ------------------------------------------------------------------------------- */

/* A log line as the API shows it; names of contacts are decrypted (and cached per call). */
static json_t *log_json(struct app *app, int64_t account_id, const struct log_row *l, json_t *names)
{
    char at[40], key[24];
    rfc3339(l->at, at, sizeof at);
    json_t *name = json_null();
    if (l->contact_id) {
        snprintf(key, sizeof key, "%lld", (long long)l->contact_id);
        name = json_object_get(names, key);
        if (!name) {
            struct contact c;
            struct contact_plain p;
            name = json_null();
            if (app->store->contact_get(app->store, account_id, l->contact_id, &c) == DB_ONE) {
                if (contact_open(app, account_id, &c, &p) == TGR_OK) {
                    if (p.first_name) name = json_string(p.first_name);
                    contact_plain_release(&p);
                }
                contact_release(&c);
            }
            json_object_set_new(names, key, name);
        }
        json_incref(name);
    }
    json_t *o = json_pack("{s:I, s:s, s:o, s:o, s:i, s:s}", "id", (json_int_t)l->id, "at", at, "contact_id",
                          l->contact_id ? json_integer(l->contact_id) : json_null(), "name", name, "step",
                          l->step, "status", l->status);
    json_object_set_new(o, "error_code", l->error_code[0] ? json_string(l->error_code) : json_null());
    json_object_set_new(o, "error_details",
                        l->error_details[0] ? json_string(l->error_details) : json_null());
    return o;
}

struct stream_ctx {
    struct app *app;
    int64_t account_id, campaign_id, last_id;
    json_t *names;
};

static void stream_free(void *p)
{
    struct stream_ctx *sc = p;
    json_decref(sc->names);
    free(sc);
}

static long stream_next(void *p, char *buf, size_t cap)
{
    struct stream_ctx *sc = p;
    struct log_row *rows = NULL;
    size_t n = 0;
    if (sc->app->store->logs_page(sc->app->store, sc->account_id, sc->campaign_id, sc->last_id, 20, &rows,
                                  &n) < 0)
        return 0;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *o = log_json(sc->app, sc->account_id, &rows[i], sc->names);
        char *text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!text) break;
        int w = snprintf(buf + used, cap - used, "id: %lld\ndata: %s\n\n", (long long)rows[i].id, text);
        free(text);
        if (w < 0 || (size_t)w >= cap - used) break; /* the rest goes in the next call */
        used += (size_t)w;
        sc->last_id = rows[i].id;
    }
    free(rows);
    return (long)used;
}

enum hres campaigns_logs_h(struct req *r)
{
    int64_t after = 0, limit = LOGS_DEFAULT;
    const char *v = req_query(r, "after");
    if (v && parse_i64(v, 0, INT64_MAX, &after) != TGR_OK) {
        reply_error(r, ERR_BAD_QUERY, "after", "after must be a log id");
        return H_NO;
    }
    v = req_query(r, "limit");
    if (v && parse_i64(v, 1, LOGS_MAX, &limit) != TGR_OK) {
        reply_error(r, ERR_BAD_QUERY, "limit", "limit must be a whole number from 1 to %d", LOGS_MAX);
        return H_NO;
    }
    struct campaign c;
    if (campaign_load_req(r, &c) != TGR_OK) return H_NO;
    int64_t id = c.id;
    campaign_release(&c);
    const char *accept = req_header(r, "Accept");
    if (accept && strstr(accept, "text/event-stream")) {
        const char *last = req_header(r, "Last-Event-ID");
        int64_t le;
        if (last && parse_i64(last, 0, INT64_MAX, &le) == TGR_OK && le > after) after = le;
        struct stream_ctx *sc = calloc(1, sizeof *sc);
        if (!sc) return H_SYSERR;
        sc->app = r->app;
        sc->account_id = r->account_id;
        sc->campaign_id = id;
        sc->last_id = after;
        sc->names = json_object();
        return sse_reply(r, stream_next, sc, stream_free) == 0 ? H_OK : H_SYSERR;
    }
    struct log_row *rows = NULL;
    size_t n = 0;
    if (r->app->store->logs_page(r->app->store, r->account_id, id, after, (int)limit, &rows, &n) < 0)
        return db_failed(r);
    json_t *list = json_array(), *names = json_object();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, log_json(r->app, r->account_id, &rows[i], names));
    json_decref(names);
    json_t *next = n == (size_t)limit ? json_integer(rows[n - 1].id) : json_null();
    free(rows);
    reply_json(r, 200, json_pack("{s:o, s:o}", "logs", list, "next_after", next));
    return H_OK;
}

/* ---- live counters ---------------------------------------------------------------------- */

static void on_failure(void *cls, const char *code, int64_t n)
{
    json_object_set_new(cls, code, json_integer(n));
}

static json_t *time_or_null(int64_t ms)
{
    char t[40];
    if (!ms) return json_null();
    rfc3339(ms, t, sizeof t);
    return json_string(t);
}

static json_t *step_json(const struct step_progress *s)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "total", (json_int_t)s->total, "sent",
                     (json_int_t)s->sent, "failed", (json_int_t)s->failed, "skipped", (json_int_t)s->skipped,
                     "pending", (json_int_t)s->pending, "eta", time_or_null(s->eta));
}

/* The progress fields of GET …/analytics (and its rows in GET /analytics/campaigns). */
int campaign_progress_json(struct req *r, const struct campaign *c, json_t *o, struct campaign_progress *p)
{
    double rate = r->app->cfg.send_rate > 0 ? r->app->cfg.send_rate : 1;
    if (campaign_progress_read(r->app, &r->account, c, now_ms(), rate, p) != TGR_OK) return TGR_ERR;
    json_object_set_new(o, "eta", time_or_null(p->eta));
    json_object_set_new(o, "first_message", step_json(&p->first));
    json_object_set_new(o, "follow_ups", step_json(&p->follow_ups));
    json_t *behind = json_array();
    for (int b = 0; b < p->n_behind; b++)
        json_array_append_new(behind, json_pack("{s:I, s:s, s:s, s:I}", "campaign_id",
                                                (json_int_t)p->behind[b].campaign_id, "name",
                                                p->behind[b].name, "status", p->behind[b].status, "messages",
                                                (json_int_t)p->behind[b].messages));
    json_object_set_new(o, "waiting_behind", behind);
    return TGR_OK;
}

json_t *campaign_metrics_json(struct req *r, const struct campaign *c)
{
    struct store *st = r->app->store;
    struct campaign_counts k;
    if (st->campaign_counts(st, r->account_id, c->id, &k) < 0) return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string(c->status));
    json_object_set_new(o, "audience", json_integer(k.audience));
    json_object_set_new(o, "pending", json_integer(k.pending + k.sending));
    json_object_set_new(o, "sent", json_integer(k.sent));
    json_object_set_new(o, "failed", json_integer(k.failed));
    json_object_set_new(o, "skipped", json_integer(k.skipped));
    json_object_set_new(o, "read", json_integer(k.read));
    json_object_set_new(o, "replied", json_integer(k.replied));
    json_object_set_new(o, "opted_out", json_integer(k.opted_out));
    json_object_set_new(o, "clicks", json_integer(k.clicks));
    json_object_set_new(o, "unique_clicks", json_integer(k.unique_clicks));
    json_object_set_new(o, "ctr", json_real(k.sent ? (double)k.unique_clicks / (double)k.sent : 0));
    json_object_set_new(o, "orders", json_integer(k.orders));
    json_object_set_new(o, "revenue", json_integer(k.revenue));
    /* Revenue is in the account's currency: the one most of its orders use (as /analytics/revenue). */
    char cur[4];
    account_currency(r, cur);
    json_object_set_new(o, "currency", json_string(cur));
    json_t *cd = json_object();
    for (int kk = 0; kk < CAT_COUNT; kk++)
        json_object_set_new(cd, category_name((enum category)kk), json_integer(k.by_category[kk]));
    json_object_set_new(o, "category_distribution", cd);
    json_t *by = json_object();
    json_object_set_new(o, "failures_by_reason", by);
    if (st->campaign_failures(st, r->account_id, c->id, on_failure, by) < 0) {
        json_decref(o); /* a failed read is not "no failures" */
        return NULL;
    }
    /* What each reason means, in one line for people (core/tgerror.h); null for a code neither
     * Telegram's list nor tgr's own names. */
    json_t *reasons = json_object();
    const char *code;
    json_t *n;
    json_object_foreach(by, code, n)
    {
        const char *why = tgerror_explain(code);
        json_object_set_new(reasons, code, why ? json_string(why) : json_null());
    }
    json_object_set_new(o, "reasons", reasons);
    double rate = r->app->cfg.send_rate > 0 ? r->app->cfg.send_rate : 1;
    json_object_set_new(o, "send_rate_per_min", json_real(rate * 60));
    /* The first message and the follow-ups apart, each monotonic, with times that count the
     * queue ahead, FloodWait, quiet hours and the daily limit (core/progress.h). */
    struct campaign_progress p;
    if (campaign_progress_json(r, c, o, &p) != TGR_OK) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "flood_wait_until",
                        time_or_null(progress_flood_until(st, r->account_id, now_ms())));
    struct quiet_hours q;
    int64_t resumes = 0;
    int quiet = !c->override_quiet_hours && quiet_hours_from_text(c->quiet_hours_json, &q) == TGR_OK &&
                quiet_hours_active(&q, now_ms(), &resumes);
    char when[40];
    if (quiet) rfc3339(resumes, when, sizeof when);
    json_object_set_new(
        o, "quiet_hours",
        json_pack("{s:b, s:o}", "active", quiet, "resumes_at", quiet ? json_string(when) : json_null()));
    /* Each follow-up of the plan: its counts came with the progress; when the next comes due. */
    json_t *nudges = json_array();
    for (int i = 0; i < p.n_nudges; i++) {
        int64_t due = 0;
        if (st->nudge_next_due(st, r->account_id, c->id, i + 1, &due) < 0) {
            json_decref(nudges);
            json_decref(o);
            return NULL;
        }
        json_t *nd = json_pack("{s:i, s:I, s:I}", "step", i + 1, "scheduled",
                               (json_int_t)p.nudges[i].scheduled, "sent", (json_int_t)p.nudges[i].sent);
        char t[40];
        if (due) {
            rfc3339(due + p.nudges[i].after_s * 1000, t, sizeof t);
            json_object_set_new(nd, "next_at", json_string(t));
        } else {
            json_object_set_new(nd, "next_at", json_null());
        }
        json_array_append_new(nudges, nd);
    }
    json_object_set_new(o, "nudges", nudges);
    return o;
}

struct metrics_read {
    struct req *r;
    int loaded; /* the campaign was read (else its 404 or 503 is queued) */
    json_t *o;
};

static enum db_status metrics_read(struct store *st, void *cls)
{
    (void)st;
    struct metrics_read *m = cls;
    struct campaign c;
    if (campaign_load_req(m->r, &c) != TGR_OK) return DB_NONE;
    m->loaded = 1;
    m->o = campaign_metrics_json(m->r, &c);
    campaign_release(&c);
    return m->o ? DB_ONE : DB_HARD;
}

/* GET /campaigns/:id/analytics: its two dozen reads in one snapshot (store->read), which also
 * makes them cheaper on SQLite; the dashboard asks every few seconds while a campaign runs. */
enum hres campaigns_analytics_h(struct req *r)
{
    struct metrics_read m = {r, 0, NULL};
    enum db_status s = r->app->store->read(r->app->store, metrics_read, &m);
    if (!m.loaded) return r->resp ? H_NO : db_failed(r); /* 404, or a 503 queued by the load or here */
    if (!m.o || s < 0) {
        json_decref(m.o);
        return db_failed(r);
    }
    reply_json(r, 200, m.o);
    return H_OK;
}
