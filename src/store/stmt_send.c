/* stmt_send — the writes of sending, once for both backends (store.h documents each function):
 * a campaign's start (the other running campaign, the move to running, its recipients), a send's
 * outcome (its row, log line, totals, failure reasons) and many at once in the group commit (as one
 * statement or one per row, as the backend wants: db.h row_sets), the per-step counters, the rows that
 * replies, read receipts and opt-outs change, nudge rows, and clicks. Each is a data operation;
 * the rules that compose them in one transaction are core/launch.c, core/outcome.c and
 * core/progress.c. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/db.h"
#include "store/stmt.h"

/* Ids per statement when a campaign's recipients are inserted. */
#define INSERT_BATCH 5000

/* ---- starting a campaign ------------------------------------------------------------------------ */

enum db_status stmt_campaign_running_other(struct store *st, int64_t account_id, int64_t campaign_id,
                                           int64_t *running_id)
{
    *running_id = 0;
    return db_ints(st, S_RUNNING_OTHER, P(SP_I64(account_id), SP_I64(campaign_id)), running_id, 1);
}

enum db_status stmt_campaign_set_running(struct store *st, int64_t account_id, int64_t campaign_id,
                                         const char *from, int override_quiet, int64_t now)
{
    return db_write(st, TX_DURABLE, S_CAMPAIGN_TO_RUNNING,
                    P(SP_I64(override_quiet), SP_I64(now), SP_I64(now), SP_I64(account_id),
                      SP_I64(campaign_id), SP_STR(from)));
}

struct insert {
    int64_t account_id, campaign_id, now;
    const int64_t *ids;
    size_t n;
    int64_t *inserted;
};

/* INSERT_BATCH ids per statement, as a JSON array parameter. */
static enum db_status insert_batches(struct store *st, void *cls)
{
    const struct insert *s = cls;
    *s->inserted = 0;
    char *arr = malloc((size_t)INSERT_BATCH * 21 + 3);
    if (!arr) return DB_HARD;
    enum db_status r = DB_ONE;
    for (size_t i = 0; r >= 0 && i < s->n; i += INSERT_BATCH) {
        size_t end = i + INSERT_BATCH < s->n ? i + INSERT_BATCH : s->n, len = 0;
        arr[len++] = '[';
        for (size_t k = i; k < end; k++)
            len += (size_t)snprintf(arr + len, 22, "%s%" PRId64, k > i ? "," : "", s->ids[k]);
        arr[len++] = ']';
        arr[len] = 0;
        int64_t changed = 0;
        r = db_changes(st, S_RECIPIENTS_INSERT,
                       P(SP_I64(s->account_id), SP_I64(s->campaign_id), SP_STR(arr), SP_I64(s->now)),
                       &changed);
        *s->inserted += changed;
    }
    free(arr);
    return r < 0 ? r : *s->inserted ? DB_ONE : DB_NONE;
}

enum db_status stmt_recipients_insert(struct store *st, int64_t account_id, int64_t campaign_id,
                                      const int64_t *contact_ids, size_t n, int64_t now, int64_t *inserted)
{
    return db_txn(st, TX_NORMAL, insert_batches,
                  &(struct insert){account_id, campaign_id, now, contact_ids, n, inserted});
}

enum db_status stmt_step_bump(struct store *st, int64_t account_id, int64_t campaign_id, int step,
                              const struct step_delta *d)
{
    return db_write(st, TX_NORMAL, S_STEP_BUMP,
                    P(SP_I64(account_id), SP_I64(campaign_id), SP_I64(step), SP_I64(d->rows), SP_I64(d->sent),
                      SP_I64(d->failed), SP_I64(d->skipped), SP_I64(d->read), SP_I64(d->replied),
                      SP_I64(d->clicked)));
}

/* ---- the outcome of a send ---------------------------------------------------------------------- */

enum db_status stmt_recipient_set_outcome(struct store *st, int64_t account_id, const struct send_outcome *o,
                                          int64_t now)
{
    const char *status = recipient_status_name(o->status);
    return db_write(st, TX_NORMAL, S_RECIPIENT_FINISH,
                    P(SP_STR(status), SP_ID(o->tg_message_id), SP_OPT(o->error_code),
                      SP_I64(o->next_attempt_at), SP_STR(status), SP_I64(now), SP_I64(account_id),
                      SP_I64(o->recipient_id)));
}

enum db_status stmt_log_outcome(struct store *st, int64_t account_id, const struct send_outcome *o,
                                int64_t now)
{
    return db_write(st, TX_NORMAL, S_LOG_INSERT,
                    P(SP_I64(account_id), SP_I64(o->campaign_id), SP_STR(o->log_status),
                      SP_OPT(o->error_details), SP_I64(now), SP_ID(o->contact_id), SP_I64(o->step),
                      SP_I64(o->attempt), SP_OPT(o->error_code)));
}

/* Add n messages sent (sent 1) or failed to the campaign's totals. */
static enum db_status count_result(struct store *st, int64_t account_id, int64_t campaign_id, int sent,
                                   int64_t n, int64_t now)
{
    return db_write(st, TX_NORMAL, sent ? S_COUNT_SENT : S_COUNT_FAILED,
                    P(SP_I64(now), SP_I64(account_id), SP_I64(campaign_id), SP_I64(n)));
}

enum db_status stmt_campaign_count_result(struct store *st, int64_t account_id, int64_t campaign_id, int sent,
                                          int64_t now)
{
    return count_result(st, account_id, campaign_id, sent, 1, now);
}

/* ---- many messages at once (the group commit, DECISIONS 82, 94) ------------------------------------ */

/* Whether the backend writes many rows with one statement over a JSON array (db.h row_sets). */
static int row_sets(const struct store *st)
{
    return ((const struct db *)st)->ops->row_sets;
}

/* A JSON array of n objects, each written by put into s (as much as it needs, at most per_row
 * bytes). @return malloc'd text, or NULL when out of memory */
static char *json_rows(size_t n, size_t per_row, const void *rows,
                       size_t (*put)(char *s, size_t cap, const void *rows, size_t i))
{
    size_t cap = 3 + n * per_row, len = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    s[len++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (i) s[len++] = ',';
        len += put(s + len, cap - len, rows, i);
    }
    s[len++] = ']';
    s[len] = 0;
    return s;
}

/* A random_id the JSON may carry: digits only (sql.h S_CLAIM_MANY). */
static const char *digits(const char *id)
{
    return id && id[0] && strspn(id, "0123456789") == strlen(id) ? id : NULL;
}

static size_t put_outbox_row(char *s, size_t cap, const void *rows, size_t i)
{
    const struct outbox_row *w = (const struct outbox_row *)rows + i;
    const char *d = digits(w->random_id);
    return (size_t)snprintf(s, cap,
                            "{\"a\":%" PRId64 ",\"i\":%" PRId64 ",\"c\":%" PRId64 ",\"p\":%" PRId64
                            ",\"s\":%d,\"t\":%d,\"m\":%" PRId64 "%s%.24s%s}",
                            w->account_id, w->recipient_id, w->campaign_id, w->contact_id, w->step,
                            w->attempt, w->tg_message_id, d ? ",\"d\":\"" : "", d ? d : "", d ? "\"" : "");
}

static size_t put_sent_count(char *s, size_t cap, const void *rows, size_t i)
{
    const struct sent_count *c = (const struct sent_count *)rows + i;
    return (size_t)snprintf(s, cap, "{\"a\":%" PRId64 ",\"c\":%" PRId64 ",\"s\":%d,\"n\":%" PRId64 "}",
                            c->account_id, c->campaign_id, c->step, c->n);
}

/* One statement id over rows as JSON ($1), with the time ($2) unless now < 0. */
static enum db_status set_write(struct store *st, enum stmt_id id, size_t n, size_t per_row, const void *rows,
                                size_t (*put)(char *s, size_t cap, const void *rows, size_t i), int64_t now)
{
    if (n == 0) return DB_NONE;
    char *j = json_rows(n, per_row, rows, put);
    if (!j) return DB_HARD;
    enum db_status r = now < 0 ? db_write(st, TX_NORMAL, id, P(SP_STR(j)))
                               : db_write(st, TX_NORMAL, id, P(SP_STR(j), SP_I64(now)));
    free(j);
    return r;
}

/* Row by row: one(st, rows, i, now) for each of n rows, in one transaction. */
struct each {
    const void *rows;
    size_t n;
    int64_t now;
    enum db_status (*one)(struct store *st, const void *rows, size_t i, int64_t now);
};

static enum db_status each_run(struct store *st, void *cls)
{
    const struct each *e = cls;
    enum db_status r = DB_NONE;
    for (size_t i = 0; i < e->n; i++) {
        enum db_status w = e->one(st, e->rows, i, e->now);
        if (w < 0) return w;
        if (w == DB_ONE) r = DB_ONE;
    }
    return r;
}

static enum db_status
each_write(struct store *st, size_t n, const void *rows,
           enum db_status (*one)(struct store *st, const void *rows, size_t i, int64_t now), int64_t now)
{
    return n ? db_txn(st, TX_NORMAL, each_run, &(struct each){rows, n, now, one}) : DB_NONE;
}

#define OUTBOX_ROW_JSON 200 /* bytes: put_outbox_row's longest */
#define SENT_COUNT_JSON 90

/* The single-row writes of a plain 'sent' (core/outcome.c plain_sent): its outcome as
 * recipient_set_outcome and log_outcome write one. */
static struct send_outcome sent_outcome(const struct outbox_row *w)
{
    return (struct send_outcome){.recipient_id = w->recipient_id,
                                 .campaign_id = w->campaign_id,
                                 .contact_id = w->contact_id,
                                 .step = w->step,
                                 .attempt = w->attempt,
                                 .status = RECIPIENT_SENT,
                                 .log_status = "sent",
                                 .tg_message_id = w->tg_message_id};
}

static enum db_status sent_one(struct store *st, const void *rows, size_t i, int64_t now)
{
    const struct outbox_row *w = (const struct outbox_row *)rows + i;
    struct send_outcome o = sent_outcome(w);
    return stmt_recipient_set_outcome(st, w->account_id, &o, now);
}

enum db_status stmt_recipients_sent(struct store *st, const struct outbox_row *rows, size_t n, int64_t now)
{
    return row_sets(st) ? set_write(st, S_RECIPIENTS_SENT, n, OUTBOX_ROW_JSON, rows, put_outbox_row, now)
                        : each_write(st, n, rows, sent_one, now);
}

static enum db_status log_one(struct store *st, const void *rows, size_t i, int64_t now)
{
    const struct outbox_row *w = (const struct outbox_row *)rows + i;
    struct send_outcome o = sent_outcome(w);
    return stmt_log_outcome(st, w->account_id, &o, now);
}

enum db_status stmt_logs_sent(struct store *st, const struct outbox_row *rows, size_t n, int64_t now)
{
    return row_sets(st) ? set_write(st, S_LOGS_SENT, n, OUTBOX_ROW_JSON, rows, put_outbox_row, now)
                        : each_write(st, n, rows, log_one, now);
}

static enum db_status campaign_one(struct store *st, const void *rows, size_t i, int64_t now)
{
    const struct sent_count *c = (const struct sent_count *)rows + i;
    return count_result(st, c->account_id, c->campaign_id, 1, c->n, now);
}

enum db_status stmt_campaigns_count_sent(struct store *st, const struct sent_count *counts, size_t k,
                                         int64_t now)
{
    return row_sets(st) ? set_write(st, S_COUNT_SENT_MANY, k, SENT_COUNT_JSON, counts, put_sent_count, now)
                        : each_write(st, k, counts, campaign_one, now);
}

static enum db_status step_one(struct store *st, const void *rows, size_t i, int64_t now)
{
    (void)now;
    const struct sent_count *c = (const struct sent_count *)rows + i;
    return stmt_step_bump(st, c->account_id, c->campaign_id, c->step, &(struct step_delta){.sent = c->n});
}

enum db_status stmt_steps_count_sent(struct store *st, const struct sent_count *counts, size_t k)
{
    return row_sets(st) ? set_write(st, S_STEPS_SENT_MANY, k, SENT_COUNT_JSON, counts, put_sent_count, -1)
                        : each_write(st, k, counts, step_one, 0);
}

struct claimed {
    struct outbox_row *rows;
    size_t n;
    const char *json; /* NULL: row by row */
};

/* One RETURNING id: mark its row claimed. */
static int read_claimed(void *cls, const struct db_row *r)
{
    struct claimed *c = cls;
    int64_t id = db_i64(r, 0);
    for (size_t i = 0; i < c->n; i++)
        if (c->rows[i].recipient_id == id) c->rows[i].claimed = 1;
    return 0;
}

static enum db_status claim_rows(struct store *st, void *cls)
{
    struct claimed *c = cls;
    for (size_t i = 0; i < c->n; i++)
        c->rows[i].claimed = 0;
    if (c->json) return db_rows(st, S_CLAIM_MANY, P(SP_STR(c->json)), read_claimed, c);
    enum db_status r = DB_NONE;
    for (size_t i = 0; i < c->n; i++) {
        struct outbox_row *w = &c->rows[i];
        int64_t changed = 0;
        enum db_status s = db_changes(
            st, S_RECIPIENT_CLAIM,
            P(SP_STR(digits(w->random_id)), SP_NULL, SP_I64(w->account_id), SP_I64(w->recipient_id)),
            &changed);
        if (s < 0) return s;
        w->claimed = changed > 0;
        if (changed > 0) r = DB_ONE;
    }
    return r;
}

enum db_status stmt_recipients_claim(struct store *st, struct outbox_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rows[i].claimed = 0;
    if (n == 0) return DB_NONE;
    char *j = NULL;
    if (row_sets(st) && !(j = json_rows(n, OUTBOX_ROW_JSON, rows, put_outbox_row))) return DB_HARD;
    /* Durable: joined, it makes the caller's transaction commit synchronously. */
    enum db_status r = db_txn(st, TX_DURABLE, claim_rows, &(struct claimed){rows, n, j});
    free(j);
    return r;
}

enum db_status stmt_campaign_failure_add(struct store *st, int64_t account_id, int64_t campaign_id,
                                         const char *code)
{
    return db_write(st, TX_NORMAL, S_FAILURE_BUMP, P(SP_I64(account_id), SP_I64(campaign_id), SP_STR(code)));
}

/* ---- rows changed, per (campaign, step) ------------------------------------------------------------ */

struct tallied {
    enum stmt_id id;
    const struct sp *p;
    int with_status; /* a third column: the new row's status */
    struct step_tally *out;
};

/* One RETURNING row: (campaign_id, step[, status]). */
static int read_tally(void *cls, const struct db_row *r)
{
    const struct tallied *w = cls;
    struct step_tally *t = w->out;
    int64_t cid = db_i64(r, 0);
    int step = (int)db_i64(r, 1), k = 0;
    while (k < t->n && !(t->at[k].campaign_id == cid && t->at[k].step == step))
        k++;
    t->total++;
    if (k == t->n) {
        if (t->n == STEP_TALLY_MAX) return 0;
        t->at[k] = (struct step_tally_row){.campaign_id = cid, .step = step};
        t->n++;
    }
    t->at[k].rows++;
    if (w->with_status && strcmp(db_str(r, 2), "skipped") == 0) t->at[k].skipped++;
    return 0;
}

static enum db_status tally_run(struct store *st, void *cls)
{
    const struct tallied *w = cls;
    memset(w->out, 0, sizeof *w->out);
    return db_rows(st, w->id, w->p, read_tally, (void *)w);
}

/* Run a write whose RETURNING gives (campaign_id, step[, status]) per changed row, into out. */
static enum db_status tally(struct store *st, enum stmt_id id, const struct sp *p, int with_status,
                            struct step_tally *out)
{
    return db_txn(st, TX_NORMAL, tally_run, &(struct tallied){id, p, with_status, out});
}

enum db_status stmt_nudge_rows_create(struct store *st, int64_t account_id, int64_t campaign_id, int step,
                                      const char *condition, int64_t sent_before, int64_t now,
                                      struct step_tally *out)
{
    return tally(st, S_NUDGE_SCHEDULE,
                 P(SP_I64(account_id), SP_I64(campaign_id), SP_I64(step), SP_STR(condition),
                   SP_I64(sent_before), SP_I64(now)),
                 1, out);
}

enum db_status stmt_nudge_scheduled_through(struct store *st, int64_t account_id, int64_t campaign_id,
                                            int step, int64_t sent_before)
{
    return db_write(st, TX_NORMAL, S_STEP_THROUGH,
                    P(SP_I64(account_id), SP_I64(campaign_id), SP_I64(step), SP_I64(sent_before)));
}

enum db_status stmt_recipients_mark_replied(struct store *st, int64_t account_id, int64_t contact_id,
                                            int64_t since, int64_t now, struct step_tally *out)
{
    return tally(st, S_REPLIED, P(SP_I64(now), SP_I64(account_id), SP_I64(contact_id), SP_I64(since)), 0,
                 out);
}

enum db_status stmt_recipients_mark_read(struct store *st, int64_t account_id, int64_t contact_id,
                                         int64_t max_id, int64_t now, struct step_tally *out)
{
    return tally(st, S_READ, P(SP_I64(now), SP_I64(account_id), SP_I64(contact_id), SP_I64(max_id)), 0, out);
}

enum db_status stmt_recipients_skip_pending(struct store *st, int64_t account_id, int64_t contact_id,
                                            const char *reason, int min_step, struct step_tally *out)
{
    return tally(st, S_SKIP_NUDGES,
                 P(SP_STR(reason), SP_I64(account_id), SP_I64(contact_id), SP_I64(min_step)), 0, out);
}

/* ---- clicks ---------------------------------------------------------------------------------------- */

enum db_status stmt_click_seen(struct store *st, int64_t account_id, int64_t link_id, int64_t recipient_id)
{
    return db_exec(st, S_CLICK_SEEN, P(SP_I64(account_id), SP_I64(link_id), SP_I64(recipient_id)));
}

enum db_status stmt_click_add(struct store *st, int64_t account_id, int64_t link_id, int64_t recipient_id,
                              int64_t at)
{
    return db_write(st, TX_NORMAL, S_CLICK_INSERT,
                    P(SP_I64(account_id), SP_I64(link_id), SP_ID(recipient_id), SP_I64(at)));
}

enum db_status stmt_recipient_mark_clicked(struct store *st, int64_t account_id, int64_t recipient_id,
                                           int64_t campaign_id, int64_t at, int *step)
{
    int64_t v = 0;
    enum db_status r =
        db_write_ints(st, TX_NORMAL, S_RECIPIENT_CLICKED,
                      P(SP_I64(at), SP_I64(account_id), SP_I64(recipient_id), SP_I64(campaign_id)), &v, 1);
    *step = (int)v;
    return r;
}

enum db_status stmt_link_count_click(struct store *st, int64_t link_id, int unique)
{
    return db_write(st, TX_NORMAL, S_LINK_COUNT, P(SP_I64(unique), SP_I64(link_id)));
}

enum db_status stmt_campaign_count_click(struct store *st, int64_t account_id, int64_t campaign_id,
                                         int unique)
{
    return db_write(st, TX_NORMAL, S_CAMPAIGN_CLICKS,
                    P(SP_I64(unique), SP_I64(account_id), SP_I64(campaign_id)));
}
