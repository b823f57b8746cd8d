/* rules_send — the multi-step rules of sending, written once over the runner (db.h): starting a
 * campaign, the outcome of a send, scheduling nudges, replies, read receipts, opt-outs and
 * clicks. Each runs in one transaction; the per-step counters (campaign_steps) are kept here as
 * rows change state, so analytics reads a few rows instead of counting recipients. These rules
 * move into core/ in phase 2 of issue 14; until then store.h documents each. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/db.h"
#include "store/stmt.h"

/* Ids per statement when a campaign's recipients are inserted. */
#define INSERT_BATCH 5000

/* Per-step counters (campaign_steps). Fields of a delta: rows, sent, failed, skipped, read,
 * replied, clicked. */
enum { D_ROWS, D_SENT, D_FAILED, D_SKIPPED, D_READ, D_REPLIED, D_CLICKED, D_COUNT };

static enum db_status bump(struct store *st, int64_t account_id, int64_t campaign_id, int step,
                           const int64_t d[D_COUNT])
{
    return db_exec(st, S_STEP_BUMP,
                   P(SP_I64(account_id), SP_I64(campaign_id), SP_I64(step), SP_I64(d[D_ROWS]),
                     SP_I64(d[D_SENT]), SP_I64(d[D_FAILED]), SP_I64(d[D_SKIPPED]), SP_I64(d[D_READ]),
                     SP_I64(d[D_REPLIED]), SP_I64(d[D_CLICKED])));
}

static enum db_status bump1(struct store *st, int64_t account_id, int64_t campaign_id, int step, int field)
{
    int64_t d[D_COUNT] = {0};
    d[field] = 1;
    return bump(st, account_id, campaign_id, step, d);
}

/* The rows a write statement changed, per (campaign, step), from its RETURNING columns. */
struct hits {
    struct hit {
        int64_t campaign_id, d[D_COUNT];
        int step;
    } h[64];
    int n, field;
    int64_t total;
};

static int read_hit(void *cls, const struct db_row *r)
{
    struct hits *hs = cls;
    int64_t cid = db_i64(r, 0);
    int step = (int)db_i64(r, 1), k = 0;
    while (k < hs->n && !(hs->h[k].campaign_id == cid && hs->h[k].step == step))
        k++;
    if (k == hs->n) {
        if (hs->n == 64) return 0; /* one contact's rows span few campaigns; never reached in practice */
        memset(&hs->h[k], 0, sizeof hs->h[k]);
        hs->h[k].campaign_id = cid;
        hs->h[k].step = step;
        hs->n++;
    }
    hs->total++;
    if (hs->field == D_ROWS) { /* new nudge rows: (campaign_id, step, status) */
        hs->h[k].d[D_ROWS]++;
        if (strcmp(db_str(r, 2), "skipped") == 0) hs->h[k].d[D_SKIPPED]++;
    } else {
        hs->h[k].d[hs->field]++;
    }
    return 0;
}

/* Run a write statement whose RETURNING gives (campaign_id, step) per changed row, then count the
 * rows per (campaign, step) in field — or, for new nudge rows (field D_ROWS, a status column
 * too), in D_ROWS and, for 'skipped' rows, D_SKIPPED. The counters are written after the
 * statement has finished, as SQLite requires for RETURNING.
 * @param[out] n rows changed (may be NULL) */
static enum db_status count_returning(struct store *st, enum stmt_id id, const struct sp *p,
                                      int64_t account_id, int field, int64_t *n)
{
    struct hits hs = {.field = field};
    enum db_status r = db_rows(st, id, p, read_hit, &hs);
    for (int k = 0; r >= 0 && k < hs.n; k++)
        r = bump(st, account_id, hs.h[k].campaign_id, hs.h[k].step, hs.h[k].d);
    if (n) *n = hs.total;
    return r < 0 ? r : hs.total ? DB_ONE : DB_NONE;
}

/* Skip a contact's pending rows from step min_step on, with a reason. */
static enum db_status skip_pending(struct store *st, int64_t account_id, int64_t contact_id,
                                   const char *reason, int min_step)
{
    return count_returning(st, S_SKIP_NUDGES,
                           P(SP_STR(reason), SP_I64(account_id), SP_I64(contact_id), SP_I64(min_step)),
                           account_id, D_SKIPPED, NULL);
}

/* ---- starting a campaign ------------------------------------------------------------------------ */

struct start {
    int64_t account_id, campaign_id;
    const int64_t *contact_ids;
    size_t n;
    int override_quiet, busy;
    int64_t *running_id;
};

/* Insert the step-0 rows, INSERT_BATCH ids per statement (a JSON array parameter).
 * @param[out] inserted rows that were new */
static enum db_status insert_recipients(struct store *st, const struct start *s, int64_t now,
                                        int64_t *inserted)
{
    char *arr = malloc((size_t)INSERT_BATCH * 21 + 3);
    if (!arr) return DB_HARD;
    enum db_status r = DB_ONE;
    for (size_t i = 0; r >= 0 && i < s->n; i += INSERT_BATCH) {
        size_t end = i + INSERT_BATCH < s->n ? i + INSERT_BATCH : s->n, len = 0;
        arr[len++] = '[';
        for (size_t k = i; k < end; k++)
            len += (size_t)snprintf(arr + len, 22, "%s%" PRId64, k > i ? "," : "", s->contact_ids[k]);
        arr[len++] = ']';
        arr[len] = 0;
        int64_t changed = 0;
        r = db_changes(st, S_RECIPIENTS_INSERT,
                       P(SP_I64(s->account_id), SP_I64(s->campaign_id), SP_STR(arr), SP_I64(now)), &changed);
        *inserted += changed;
    }
    free(arr);
    return r;
}

/* Only one campaign of an account runs at a time: another running one makes this DB_NONE inside
 * (and DB_SOFT outside). A draft gets its recipients, a paused campaign (contact_ids NULL) none. */
static enum db_status start(struct store *st, void *cls)
{
    struct start *s = cls;
    int64_t now = now_ms(), running = 0, inserted = 0;
    s->busy = 0;
    enum db_status r =
        db_ints(st, S_RUNNING_OTHER, P(SP_I64(s->account_id), SP_I64(s->campaign_id)), &running, 1);
    if (r == DB_ONE) {
        if (s->running_id) *s->running_id = running;
        s->busy = 1;
        return DB_NONE;
    }
    if (r < 0) return r;
    r = db_exec(st, S_CAMPAIGN_TO_RUNNING,
                P(SP_I64(s->override_quiet), SP_I64(now), SP_I64(now), SP_I64(s->account_id),
                  SP_I64(s->campaign_id), SP_STR(s->contact_ids ? "draft" : "paused")));
    if (r == DB_ONE && s->contact_ids && s->n) r = insert_recipients(st, s, now, &inserted);
    if (r == DB_ONE && inserted) {
        int64_t d[D_COUNT] = {[D_ROWS] = inserted};
        r = bump(st, s->account_id, s->campaign_id, 0, d) < 0 ? DB_HARD : DB_ONE;
    }
    return r;
}

enum db_status stmt_campaign_start(struct store *st, int64_t account_id, int64_t campaign_id,
                                   const int64_t *contact_ids, size_t n, int override_quiet,
                                   int64_t *running_id)
{
    struct start s = {account_id, campaign_id, contact_ids, n, override_quiet, 0, running_id};
    enum db_status r = db_txn(st, TX_DURABLE, start, &s);
    return s.busy && r == DB_NONE ? DB_SOFT : r;
}

/* ---- the outcome of a send ---------------------------------------------------------------------- */

struct finish {
    int64_t account_id;
    const struct send_outcome *o;
};

/* The recipient row, its log line, the campaign's and the step's counters, the failure reason
 * and the contact's mark, together. */
static enum db_status finish(struct store *st, void *cls)
{
    const struct finish *f = cls;
    const struct send_outcome *o = f->o;
    int64_t now = now_ms(), a = f->account_id;
    /* An outcome is written on a 'sending' row: anything the table does not allow is a bug. */
    if (!recipient_move_allowed(RECIPIENT_SENDING, o->status)) return DB_HARD;
    const char *status = recipient_status_name(o->status);
    enum db_status r =
        db_exec(st, S_RECIPIENT_FINISH,
                P(SP_STR(status), SP_ID(o->tg_message_id), SP_OPT(o->error_code), SP_I64(o->next_attempt_at),
                  SP_STR(status), SP_I64(now), SP_I64(a), SP_I64(o->recipient_id)));
    if (r >= 0)
        r = db_exec(st, S_LOG_INSERT,
                    P(SP_I64(a), SP_I64(o->campaign_id), SP_STR(o->log_status), SP_OPT(o->error_details),
                      SP_I64(now), SP_ID(o->contact_id), SP_I64(o->step), SP_I64(o->attempt),
                      SP_OPT(o->error_code)));
    int sent = o->status == RECIPIENT_SENT, failed = o->status == RECIPIENT_FAILED;
    int skipped = o->status == RECIPIENT_SKIPPED;
    if (r >= 0 && (sent || failed))
        r = db_exec(st, sent ? S_COUNT_SENT : S_COUNT_FAILED,
                    P(SP_I64(now), SP_I64(a), SP_I64(o->campaign_id)));
    if (r >= 0 && (sent || failed || skipped))
        r = bump1(st, a, o->campaign_id, o->step, sent ? D_SENT : failed ? D_FAILED : D_SKIPPED);
    if (r >= 0 && failed && o->error_code)
        r = db_exec(st, S_FAILURE_BUMP, P(SP_I64(a), SP_I64(o->campaign_id), SP_STR(o->error_code)));
    if (r >= 0 && o->mark_contact) {
        /* enum tg_contact_mark's values (core/tgerror.h), in its order */
        static const enum stmt_id marks[] = {0, S_CONTACT_BLOCKED, S_CONTACT_DEACTIVATED, S_CONTACT_PRIVACY,
                                             S_CONTACT_CHARGES};
        if (o->mark_contact < 0 || o->mark_contact >= (int)(sizeof marks / sizeof marks[0])) return DB_HARD;
        r = o->mark_contact == 4
                ? db_exec(st, S_CONTACT_CHARGES,
                          P(SP_I64(now), SP_I64(a), SP_I64(o->contact_id), SP_ID(o->mark_stars)))
                : db_exec(st, marks[o->mark_contact], P(SP_I64(now), SP_I64(a), SP_I64(o->contact_id)));
    }
    return r >= 0 ? DB_ONE : r;
}

/* Not durable on its own: if the outcome is lost, the row is still 'sending' with its random_id
 * and is sent again, which Telegram answers with the message it already has. */
enum db_status stmt_recipient_finish(struct store *st, int64_t account_id, const struct send_outcome *o)
{
    return db_txn(st, TX_NORMAL, finish, &(struct finish){account_id, o});
}

/* ---- nudges ---------------------------------------------------------------------------------------- */

struct nudge {
    int64_t account_id, campaign_id, sent_before;
    int step;
    const char *condition;
    int64_t *created;
};

static enum db_status schedule(struct store *st, void *cls)
{
    const struct nudge *g = cls;
    enum db_status r = count_returning(st, S_NUDGE_SCHEDULE,
                                       P(SP_I64(g->account_id), SP_I64(g->campaign_id), SP_I64(g->step),
                                         SP_STR(g->condition), SP_I64(g->sent_before), SP_I64(now_ms())),
                                       g->account_id, D_ROWS, g->created);
    if (r < 0) return r;
    /* Step-1 rows sent up to here have their step row now (pending or skipped). */
    return db_exec(st, S_STEP_THROUGH,
                   P(SP_I64(g->account_id), SP_I64(g->campaign_id), SP_I64(g->step), SP_I64(g->sent_before)));
}

enum db_status stmt_nudge_schedule(struct store *st, int64_t account_id, int64_t campaign_id, int step,
                                   const char *condition, int64_t sent_before, int64_t *created)
{
    return db_txn(st, TX_DURABLE, schedule,
                  &(struct nudge){account_id, campaign_id, sent_before, step, condition, created});
}

/* ---- what customers do ------------------------------------------------------------------------- */

struct reaction {
    int64_t account_id, contact_id, arg;
    int64_t *n;
};

static enum db_status replied(struct store *st, void *cls)
{
    const struct reaction *x = cls;
    enum db_status r = count_returning(
        st, S_REPLIED, P(SP_I64(now_ms()), SP_I64(x->account_id), SP_I64(x->contact_id), SP_I64(x->arg)),
        x->account_id, D_REPLIED, x->n);
    /* A reply stops the contact's nudges. */
    if (r >= 0) r = skip_pending(st, x->account_id, x->contact_id, "replied", 1);
    return r;
}

enum db_status stmt_recipients_replied(struct store *st, int64_t account_id, int64_t contact_id,
                                       int64_t since, int64_t *n)
{
    return db_txn(st, TX_NORMAL, replied, &(struct reaction){account_id, contact_id, since, n});
}

static enum db_status read_receipt(struct store *st, void *cls)
{
    const struct reaction *x = cls;
    return count_returning(st, S_READ,
                           P(SP_I64(now_ms()), SP_I64(x->account_id), SP_I64(x->contact_id), SP_I64(x->arg)),
                           x->account_id, D_READ, NULL);
}

enum db_status stmt_recipients_read(struct store *st, int64_t account_id, int64_t contact_id, int64_t max_id)
{
    return db_txn(st, TX_NORMAL, read_receipt, &(struct reaction){account_id, contact_id, max_id, NULL});
}

/* Opting out counts once per campaign that reached the contact and skips every pending row. */
static enum db_status opt_out(struct store *st, void *cls)
{
    const struct reaction *x = cls;
    enum db_status r =
        db_exec(st, S_OPT_OUT, P(SP_I64(now_ms()), SP_I64(x->account_id), SP_I64(x->contact_id)));
    if (r != DB_ONE) return r;
    r = db_exec(st, S_OPT_OUT_COUNT, P(SP_I64(x->account_id), SP_I64(x->contact_id)));
    if (r >= 0) r = skip_pending(st, x->account_id, x->contact_id, "opted_out", 0);
    return r >= 0 ? DB_ONE : r;
}

enum db_status stmt_contact_opt_out(struct store *st, int64_t account_id, int64_t contact_id)
{
    return db_txn(st, TX_DURABLE, opt_out, &(struct reaction){account_id, contact_id, 0, NULL});
}

/* ---- clicks ---------------------------------------------------------------------------------------- */

/* A click counts on its link (unique when its recipient had not clicked that link before), marks
 * the recipient's first click (unique for the campaign and its step), and counts on the campaign.
 * Recipient 0 (a preview link) counts on the link only. */
static enum db_status one_click(struct store *st, const struct click *k)
{
    int link_unique = 0, campaign_unique = 0;
    enum db_status r;
    if (k->recipient_id) {
        r = db_exec(st, S_CLICK_SEEN, P(SP_I64(k->account_id), SP_I64(k->link_id), SP_I64(k->recipient_id)));
        if (r < 0) return r;
        link_unique = r == DB_NONE;
    }
    r = db_exec(st, S_CLICK_INSERT,
                P(SP_I64(k->account_id), SP_I64(k->link_id), SP_ID(k->recipient_id), SP_I64(k->at)));
    if (r >= 0 && k->recipient_id) {
        int64_t step = 0;
        r = db_ints(st, S_RECIPIENT_CLICKED,
                    P(SP_I64(k->at), SP_I64(k->account_id), SP_I64(k->recipient_id), SP_I64(k->campaign_id)),
                    &step, 1);
        campaign_unique = r == DB_ONE;
        if (campaign_unique) r = bump1(st, k->account_id, k->campaign_id, (int)step, D_CLICKED);
    }
    if (r >= 0) r = db_exec(st, S_LINK_COUNT, P(SP_I64(link_unique), SP_I64(k->link_id)));
    if (r >= 0)
        r = db_exec(st, S_CAMPAIGN_CLICKS,
                    P(SP_I64(campaign_unique), SP_I64(k->account_id), SP_I64(k->campaign_id)));
    return r;
}

struct clicks {
    const struct click *k;
    size_t n;
};

static enum db_status record(struct store *st, void *cls)
{
    const struct clicks *c = cls;
    enum db_status r = DB_ONE;
    for (size_t i = 0; i < c->n && r >= 0; i++)
        r = one_click(st, &c->k[i]);
    return r >= 0 ? DB_ONE : r;
}

enum db_status stmt_clicks_record(struct store *st, const struct click *clicks, size_t n)
{
    return db_txn(st, TX_NORMAL, record, &(struct clicks){clicks, n});
}
