/* stmt_outbox — the outbox (which message goes next, its claim, its code) and the reads of a
 * campaign's progress (logs, counters, scorecard) and of every campaign for operators' gauges,
 * once for both backends (store.h documents each function). The writes of a send's outcome and of reactions
 * are in stmt_send.c. */
#include <string.h>

#include "base/util.h"
#include "store/db.h"
#include "store/stmt.h"

static int read_recipient(void *cls, const struct db_row *r, void *elem)
{
    struct recipient *out = elem;
    out->id = db_i64(r, 0);
    out->campaign_id = db_i64(r, 1);
    out->contact_id = db_i64(r, 2);
    out->step = (int)db_i64(r, 3);
    db_copy(r, 4, out->status, sizeof out->status);
    db_copy(r, 5, out->random_id, sizeof out->random_id);
    out->attempt = (int)db_i64(r, 6);
    out->next_attempt_at = db_i64(r, 7);
    out->tg_message_id = db_i64(r, 8);
    out->sent_at = db_i64(r, 9);
    out->campaign_version = db_i64(r, 10);
    return TGR_OK;
}

/* A row left 'sending' (by a crash or a lost answer) goes first, then the pending row due
 * soonest; each is one index range scan on recipients_due. */
enum db_status stmt_recipient_next(struct store *st, int64_t account_id, int64_t now, struct recipient *out)
{
    enum db_status r =
        db_one(st, S_RECIPIENT_SENDING, P(SP_I64(account_id)), sizeof *out, read_recipient, NULL, NULL, out);
    if (r != DB_NONE) return r;
    return db_one(st, S_RECIPIENT_DUE, P(SP_I64(account_id), SP_I64(now)), sizeof *out, read_recipient, NULL,
                  NULL, out);
}

struct recipients_read {
    struct recipient *out;
    struct contact *addr; /* or NULL */
    size_t cap, *n;
};

/* A row of S_RECIPIENTS_NEXT or S_RECIPIENTS_DUE: the recipient, then its contact's address from
 * column 11 and when the person opted out (column 15). */
static int read_recipients(void *cls, const struct db_row *r)
{
    struct recipients_read *x = cls;
    if (*x->n >= x->cap) return 1;
    memset(&x->out[*x->n], 0, sizeof x->out[0]);
    read_recipient(NULL, r, &x->out[*x->n]);
    if (x->addr) {
        struct contact *c = &x->addr[*x->n];
        c->id = db_i64(r, 11);
        db_copy(r, 12, c->tg_user_id, sizeof c->tg_user_id);
        if (db_blob(r, 13, &c->access_hash) != TGR_OK || db_blob(r, 14, &c->first_name) != TGR_OK) return -1;
        c->opted_out_at = db_i64(r, 15);
    }
    (*x->n)++;
    return 0;
}

enum db_status stmt_recipients_next(struct store *st, int64_t account_id, int64_t now, int pending_only,
                                    struct recipient *out, struct contact *addr, size_t cap, size_t *n)
{
    struct recipients_read x = {out, addr, cap, n};
    *n = 0;
    if (addr) memset(addr, 0, cap * sizeof *addr);
    if (cap == 0) return DB_NONE;
    enum db_status r = db_rows(st, pending_only ? S_RECIPIENTS_DUE : S_RECIPIENTS_NEXT,
                               P(SP_I64(account_id), SP_I64(now), SP_I64((int64_t)cap)), read_recipients, &x);
    if (r < 0) return r;
    return *n ? DB_ONE : DB_NONE;
}

enum db_status stmt_recipient_next_at(struct store *st, int64_t account_id, int64_t *at)
{
    return db_ints(st, S_RECIPIENT_NEXT_AT, P(SP_I64(account_id)), at, 1);
}

/* The claim is one conditional UPDATE (pending or sending → sending): of two instances racing
 * for a row on PostgreSQL, the serializable transactions let one win and the other run again. */
enum db_status stmt_recipient_claim(struct store *st, int64_t account_id, int64_t recipient_id,
                                    const char *random_id, const struct blob *code)
{
    return db_write(st, TX_DURABLE, S_RECIPIENT_CLAIM,
                    P(SP_STR(random_id), SP_SEALED(code), SP_I64(account_id), SP_I64(recipient_id)));
}

enum db_status stmt_recipient_unclaim(struct store *st, int64_t account_id, int64_t recipient_id)
{
    return db_write(st, TX_NORMAL, S_RECIPIENT_UNCLAIM, P(SP_I64(account_id), SP_I64(recipient_id)));
}

enum db_status stmt_recipient_code(struct store *st, int64_t account_id, int64_t recipient_id,
                                   struct blob *out)
{
    return db_one_blob(st, S_RECIPIENT_CODE, P(SP_I64(account_id), SP_I64(recipient_id)), out);
}

enum db_status stmt_campaign_open_rows(struct store *st, int64_t account_id, int64_t campaign_id, int step,
                                       int64_t *n)
{
    return db_ints(st, S_OPEN_ROWS, P(SP_I64(account_id), SP_I64(campaign_id), SP_I64(step)), n, 1);
}

enum db_status stmt_nudge_next_due(struct store *st, int64_t account_id, int64_t campaign_id, int step,
                                   int64_t *sent_at)
{
    return db_ints(st, S_NUDGE_NEXT_DUE, P(SP_I64(account_id), SP_I64(campaign_id), SP_I64(step)), sent_at,
                   1);
}

enum db_status stmt_log_add(struct store *st, int64_t account_id, int64_t campaign_id, int64_t contact_id,
                            int step, const char *status, const char *error_code, const char *details)
{
    return db_write(st, TX_NORMAL, S_LOG_INSERT,
                    P(SP_I64(account_id), SP_I64(campaign_id), SP_STR(status), SP_OPT(details),
                      SP_I64(now_ms()), SP_ID(contact_id), SP_I64(step), SP_NULL, SP_OPT(error_code)));
}

static int read_log(void *cls, const struct db_row *r, void *elem)
{
    struct log_row *l = elem;
    l->id = db_i64(r, 0);
    l->at = db_i64(r, 1);
    l->contact_id = db_i64(r, 2);
    l->step = (int)db_i64(r, 3);
    db_copy(r, 4, l->status, sizeof l->status);
    db_copy(r, 5, l->error_code, sizeof l->error_code);
    db_copy(r, 6, l->error_details, sizeof l->error_details);
    return TGR_OK;
}

enum db_status stmt_logs_page(struct store *st, int64_t account_id, int64_t campaign_id, int64_t after,
                              int limit, struct log_row **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    if (limit <= 0) return DB_NONE;
    return db_list(st, S_LOGS_PAGE, P(SP_I64(account_id), SP_I64(campaign_id), SP_I64(after), SP_I64(limit)),
                   sizeof **rows, read_log, NULL, NULL, (void **)rows, n);
}

enum db_status stmt_campaign_counts(struct store *st, int64_t account_id, int64_t campaign_id,
                                    struct campaign_counts *out)
{
    int64_t v[9], w[8];
    memset(out, 0, sizeof *out);
    enum db_status r = db_ints(st, S_COUNTS_ROWS, P(SP_I64(account_id), SP_I64(campaign_id)), v, 9);
    if (r < 0) return r;
    if (r == DB_ONE) {
        out->audience = v[0];
        out->pending = v[1];
        out->sending = v[2];
        out->sent = v[3];
        out->failed = v[4];
        out->skipped = v[5];
        out->read = v[6];
        out->replied = v[7];
        out->unique_clicks = v[8];
    }
    r = db_ints(st, S_COUNTS_ANALYTICS, P(SP_I64(account_id), SP_I64(campaign_id)), w, 8);
    if (r == DB_ONE) {
        out->clicks = w[0];
        out->opted_out = w[1];
        out->orders = w[2];
        out->revenue = w[3];
        memcpy(out->by_category, w + 4, sizeof out->by_category);
        out->unique_clicks = w[7];
    }
    return r < 0 ? r : DB_ONE;
}

enum db_status stmt_step_counts(struct store *st, int64_t account_id, int64_t campaign_id, int step,
                                int64_t *sent, int64_t *replied, int64_t *clicked)
{
    int64_t v[3];
    enum db_status r =
        db_ints(st, S_STEP_COUNTS, P(SP_I64(account_id), SP_I64(campaign_id), SP_I64(step)), v, 3);
    *sent = v[0];
    *replied = v[1];
    *clicked = v[2];
    return r;
}

/* ---- reads that report row by row ---------------------------------------------------------------- */

#define REPORT(r, type) ((type)(r)->fn)

/* fn(cls, text, n) of the first two columns. */
static int report_text_n(void *cls, const struct db_row *r)
{
    const struct db_report *p = cls;
    REPORT(p, void (*)(void *, const char *, int64_t))(p->cls, db_str(r, 0), db_i64(r, 1));
    return 0;
}

static int report_link(void *cls, const struct db_row *r)
{
    const struct db_report *p = cls;
    REPORT(p, void (*)(void *, int64_t, const char *, int64_t, int64_t, int64_t))
    (p->cls, db_i64(r, 0), db_str(r, 1), db_i64(r, 2), db_i64(r, 3), db_i64(r, 4));
    return 0;
}

static int report_time(void *cls, const struct db_row *r)
{
    const struct db_report *p = cls;
    REPORT(p, void (*)(void *, int64_t))(p->cls, db_i64(r, 0));
    return 0;
}

enum db_status stmt_campaign_failures(struct store *st, int64_t account_id, int64_t campaign_id,
                                      void (*fn)(void *cls, const char *code, int64_t n), void *cls)
{
    return db_report(st, S_FAILURES, P(SP_I64(account_id), SP_I64(campaign_id)), report_text_n,
                     (void (*)(void))fn, cls);
}

enum db_status stmt_campaigns_by_status(struct store *st,
                                        void (*fn)(void *cls, const char *status, int64_t n), void *cls)
{
    return db_report(st, S_CAMPAIGNS_BY_STATUS, NULL, report_text_n, (void (*)(void))fn, cls);
}

enum db_status stmt_outbox_depth(struct store *st, int64_t *n)
{
    return db_ints(st, S_OUTBOX_DEPTH, NULL, n, 1);
}

enum db_status stmt_link_stats(struct store *st, int64_t account_id, int64_t campaign_id,
                               void (*fn)(void *cls, int64_t id, const char *url, int64_t clicks,
                                          int64_t unique, int64_t revenue),
                               void *cls)
{
    return db_report(st, S_LINK_STATS, P(SP_I64(account_id), SP_I64(campaign_id)), report_link,
                     (void (*)(void))fn, cls);
}

enum db_status stmt_revenue_rows(struct store *st, int64_t account_id, int64_t campaign_id, const char *kind,
                                 void (*fn)(void *cls, int64_t key, int64_t orders, int64_t revenue),
                                 void *cls)
{
    return db_report(st, S_REVENUE_ROWS, P(SP_I64(account_id), SP_I64(campaign_id), SP_STR(kind)),
                     db_report_3ints, (void (*)(void))fn, cls);
}

enum db_status stmt_read_times(struct store *st, int64_t account_id, int64_t campaign_id,
                               void (*fn)(void *cls, int64_t at), void *cls)
{
    return db_report(st, S_READ_TIMES, P(SP_I64(account_id), SP_I64(campaign_id)), report_time,
                     (void (*)(void))fn, cls);
}

/* The last entry of the pending range of recipients_results (campaign_id, step, status, id), and
 * the part of the range below before_id. That part is counted entry by entry (0.1 µs each), so
 * when the whole range lies below before_id — a campaign queued before another, the usual case —
 * it is taken from the step's counters instead, whatever its length. */
enum db_status stmt_queue_rows(struct store *st, int64_t account_id, int64_t campaign_id, int step,
                               int64_t before_id, int64_t *last, int64_t *before)
{
    *last = 0;
    if (before) *before = 0;
    enum db_status r =
        db_ints(st, S_QUEUE_LAST, P(SP_I64(account_id), SP_I64(campaign_id), SP_I64(step)), last, 1);
    if (r < 0 || before_id <= 0 || !before || !*last) return r;
    if (*last < before_id) {
        r = db_ints(st, S_QUEUE_ALL, P(SP_I64(account_id), SP_I64(campaign_id), SP_I64(step)), before, 1);
        if (*before < 0) *before = 0;
        return r;
    }
    return db_ints(st, S_QUEUE_BEFORE,
                   P(SP_I64(account_id), SP_I64(campaign_id), SP_I64(step), SP_I64(before_id)), before, 1);
}
