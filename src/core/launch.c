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
#include "store/store.h"

/* Is the account's Telegram session connected? @return 1, 0, or -1 when the read failed */
static int session_connected(struct store *st, int64_t account_id)
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

/* The checks and the start, on a loaded campaign. */
static enum launch_outcome launch(struct app *app, const struct account *acct, const struct campaign *c,
                                  int override, struct launch_result *res, struct audience *a)
{
    struct store *st = app->store;
    enum campaign_status cs;
    if (campaign_status_parse(c->status, &cs) != 0 || !campaign_move_allowed(MOVE_START, cs)) {
        snprintf(res->status, sizeof res->status, "%s", c->status);
        return LAUNCH_NOT_DRAFT;
    }
    int connected = session_connected(st, acct->id);
    if (connected < 0) return LAUNCH_STORE;
    if (!connected) return LAUNCH_NO_SESSION;

    struct filters f;
    struct jspec_error err;
    json_error_t je;
    json_t *fj = c->filters_json ? json_loads(c->filters_json, 0, &je) : NULL;
    int ok = filters_parse(fj, NULL, acct->id, &f, &err);
    json_decref(fj);
    if (ok != TGR_OK) {
        /* Saved filters were checked when saved: an unreadable one is damage, not the user's. */
        log_error("launch", "campaign %lld: stored filters do not parse: %s", (long long)c->id, err.message);
        return LAUNCH_STORE;
    }
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

    int64_t running = 0;
    enum db_status s = st->campaign_start(st, acct->id, c->id, a->ids, a->n, override, &running);
    if (s == DB_SOFT && running) {
        res->running_id = running;
        return LAUNCH_OTHER_RUNNING;
    }
    if (s < 0) return LAUNCH_STORE;
    if (s == DB_NONE) return LAUNCH_CHANGED;
    res->recipients = a->n;
    int64_t cats[3] = {(int64_t)a->by_category[CAT_BROWSER], (int64_t)a->by_category[CAT_BUYER],
                       (int64_t)a->by_category[CAT_REFUND_RISK]};
    /* The audience's mix by category is a figure for analytics; the campaign runs without it. */
    if (st->campaign_set_categories(st, acct->id, c->id, cats) < 0)
        log_warn("launch", "campaign %lld: could not store its audience by category", (long long)c->id);
    return LAUNCH_OK;
}

enum launch_outcome campaign_launch(struct app *app, const struct account *acct, int64_t id, int override,
                                    struct launch_result *res)
{
    memset(res, 0, sizeof *res);
    struct campaign c;
    enum db_status s = app->store->campaign_get(app->store, acct->id, id, &c);
    if (s < 0) return LAUNCH_STORE;
    if (s != DB_ONE) return LAUNCH_NOT_FOUND;
    struct audience a = {0};
    enum launch_outcome o = launch(app, acct, &c, override, res, &a);
    audience_release(&a);
    campaign_release(&c);
    return o;
}
