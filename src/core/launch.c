/* launch — starting a campaign; see launch.h. */
#include "core/launch.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "core/account.h"
#include "core/audience.h"
#include "core/campaign.h"
#include "core/classify.h"
#include "core/cstate.h"
#include "core/render.h"
#include "core/segments.h"
#include "store/store.h"

int session_connected(struct store *st, int64_t account_id)
{
    struct tg_session s;
    enum db_status rc = st->session_get(st, account_id, &s);
    if (rc < 0) return -1;
    if (rc != DB_ONE) return 0;
    int ok = strcmp(s.status, "connected") == 0;
    tg_session_release(&s);
    return ok;
}

/* Free codes left in the campaign's pool. @return the count, or -1 when the read failed */
static long free_codes(struct store *st, int64_t account_id, int64_t id)
{
    struct discount_code_row *codes = NULL;
    size_t n = 0;
    if (st->codes_list(st, account_id, id, &codes, &n) < 0) return -1;
    long left = 0;
    for (size_t i = 0; i < n; i++) {
        left += codes[i].recipient_id == 0;
        blob_release(&codes[i].code);
    }
    free(codes);
    return left;
}

struct start {
    int64_t account_id, campaign_id;
    const int64_t *contact_ids;
    size_t n;
    int override_quiet, busy;
    int64_t running_id;
    const char *from; /* the status it starts from */
    /* A campaign of a segment keeps the segment's filters as they were at its start. */
    int64_t segment_id;
    const char *frozen_filters;
};

static enum db_status start(struct store *st, void *cls)
{
    struct start *s = cls;
    int64_t now = now_ms(), inserted = 0;
    s->busy = 0;
    s->running_id = 0;
    enum db_status r = st->campaign_running_other(st, s->account_id, s->campaign_id, &s->running_id);
    if (r < 0) return r;
    if (r == DB_ONE) {
        s->busy = 1;
        return DB_NONE;
    }
    r = st->campaign_set_running(st, s->account_id, s->campaign_id, s->from, s->override_quiet, now);
    if (r == DB_ONE) {
        r = campaign_status_emit(st, s->account_id, s->campaign_id);
        if (r >= 0) r = DB_ONE;
    }
    if (r == DB_ONE && s->segment_id)
        r = st->campaign_set_audience(st, s->account_id, s->campaign_id, s->segment_id, s->frozen_filters);
    if (r == DB_ONE && s->contact_ids && s->n)
        r = st->recipients_insert(st, s->account_id, s->campaign_id, s->contact_ids, s->n, now, &inserted);
    if (r == DB_ONE && inserted) {
        r = st->step_bump(st, s->account_id, s->campaign_id, 0, &(struct step_delta){.rows = inserted});
        if (r >= 0) r = DB_ONE;
    }
    return r;
}

static enum start_outcome run_start(struct store *st, struct start *s, int64_t *running_id)
{
    enum db_status r = st->txn(st, TX_DURABLE, start, s);
    if (running_id) *running_id = s->busy ? s->running_id : 0;
    if (r < 0) return START_STORE;
    if (s->busy) return START_OTHER_RUNNING;
    return r == DB_ONE ? START_OK : START_NOT_STARTABLE;
}

enum start_outcome campaign_start(struct store *st, int64_t account_id, int64_t campaign_id,
                                  const int64_t *contact_ids, size_t n, int override_quiet,
                                  int64_t *running_id)
{
    struct start s = {.account_id = account_id,
                      .campaign_id = campaign_id,
                      .contact_ids = contact_ids,
                      .n = n,
                      .override_quiet = override_quiet,
                      .from = campaign_status_name(contact_ids ? CAMPAIGN_DRAFT : CAMPAIGN_PAUSED)};
    return run_start(st, &s, running_id);
}

/* The checks and the start, on a loaded campaign: move m (MOVE_START, or MOVE_START_SCHEDULED
 * at its start_at); frozen gets the segment's filters it starts with (freed by the caller). */
static enum launch_outcome launch(struct app *app, const struct account *acct, const struct campaign *c,
                                  enum campaign_move m, int override, struct launch_result *res,
                                  struct audience *a, char **frozen)
{
    struct store *st = app->store;
    enum campaign_status cs;
    if (campaign_status_parse(c->status, &cs) != 0 || !campaign_move_allowed(m, cs)) {
        snprintf(res->status, sizeof res->status, "%s", c->status);
        return LAUNCH_NOT_DRAFT;
    }
    int connected = session_connected(st, acct->id);
    if (connected < 0) return LAUNCH_STORE;
    if (!connected) return LAUNCH_NO_SESSION;
    /* Another campaign running is found again inside the start; asked first, it spares the
     * audience's scan (a scheduled campaign waiting behind it asks every second). */
    enum db_status r = st->campaign_running_other(st, acct->id, c->id, &res->running_id);
    if (r < 0) return LAUNCH_STORE;
    if (r == DB_ONE) return LAUNCH_OTHER_RUNNING;

    struct filters f;
    if (campaign_audience_filters(st, acct->id, c, &f, frozen) != TGR_OK) return LAUNCH_STORE;
    if (audience_resolve(app, acct->id, &f, acct->frequency_cap_days, a) != TGR_OK) return LAUNCH_STORE;
    if (a->n == 0) return LAUNCH_EMPTY_AUDIENCE;

    unsigned uses = 0;
    struct render_error re;
    render_check(c->message_text, &uses, &re);
    if ((uses & RENDER_USES_DISCOUNT_CODE) && c->discount_json && strstr(c->discount_json, "pool")) {
        long left = free_codes(st, acct->id, c->id);
        if (left < 0) return LAUNCH_STORE;
        if (left == 0) return LAUNCH_EMPTY_POOL;
    }

    struct start s = {.account_id = acct->id,
                      .campaign_id = c->id,
                      .contact_ids = a->ids,
                      .n = a->n,
                      .override_quiet = override,
                      .from = campaign_status_name(cs),
                      .segment_id = c->segment_id,
                      .frozen_filters = *frozen};
    switch (run_start(st, &s, &res->running_id)) {
    case START_OK:
        break;
    case START_OTHER_RUNNING:
        return LAUNCH_OTHER_RUNNING;
    case START_NOT_STARTABLE:
        return LAUNCH_CHANGED;
    case START_STORE:
        return LAUNCH_STORE;
    }
    res->recipients = a->n;
    int64_t cats[3] = {(int64_t)a->by_category[CAT_BROWSER], (int64_t)a->by_category[CAT_BUYER],
                       (int64_t)a->by_category[CAT_REFUND_RISK]};
    /* The audience's mix by category is a figure for analytics; the campaign runs without it. */
    if (st->campaign_set_categories(st, acct->id, c->id, cats) < 0)
        log_warn("launch", "campaign %lld: could not store its audience by category", (long long)c->id);
    return LAUNCH_OK;
}

/* Load campaign id and launch it with move m; override -1: the campaign's own setting. */
static enum launch_outcome load_and_launch(struct app *app, const struct account *acct, int64_t id,
                                           enum campaign_move m, int override, struct launch_result *res)
{
    memset(res, 0, sizeof *res);
    struct campaign c;
    enum db_status s = app->store->campaign_get(app->store, acct->id, id, &c);
    if (s < 0) return LAUNCH_STORE;
    if (s != DB_ONE) return LAUNCH_NOT_FOUND;
    struct audience a = {0};
    char *frozen = NULL;
    enum launch_outcome o =
        launch(app, acct, &c, m, override < 0 ? c.override_quiet_hours : override, res, &a, &frozen);
    free(frozen);
    audience_release(&a);
    campaign_release(&c);
    return o;
}

enum launch_outcome campaign_launch(struct app *app, const struct account *acct, int64_t id, int override,
                                    struct launch_result *res)
{
    return load_and_launch(app, acct, id, MOVE_START, override, res);
}

enum launch_outcome campaign_launch_scheduled(struct app *app, const struct account *acct, int64_t id,
                                              struct launch_result *res)
{
    return load_and_launch(app, acct, id, MOVE_START_SCHEDULED, -1, res);
}
