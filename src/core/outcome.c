/* outcome — a send's outcome, replies, read receipts, opt-outs and clicks; see outcome.h. */
#include "core/outcome.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "core/webhooks.h"
#include "core/audit.h"

enum db_status steps_count(struct store *st, int64_t account_id, const struct step_tally *t,
                           enum step_counter c)
{
    enum db_status r = DB_ONE;
    for (int k = 0; r >= 0 && k < t->n; k++) {
        const struct step_tally_row *x = &t->at[k];
        struct step_delta d = {0};
        switch (c) {
        case STEP_NEW_ROWS:
            d.rows = x->rows;
            d.skipped = x->skipped;
            break;
        case STEP_READ:
            d.read = x->rows;
            break;
        case STEP_REPLIED:
            d.replied = x->rows;
            break;
        case STEP_SKIPPED:
            d.skipped = x->rows;
            break;
        }
        r = st->step_bump(st, account_id, x->campaign_id, x->step, &d);
    }
    return r;
}

/* ---- the outcome of a send ---------------------------------------------------------------------- */

struct finish {
    int64_t account_id;
    const struct send_outcome *o;
};

static json_t *time_json(int64_t ms)
{
    char t[40];
    rfc3339(ms, t, sizeof t);
    return json_string(t);
}

/* message.sent and message.failed: the message (campaign, person, step) and what became of it. */
static enum db_status outcome_event(struct store *st, int64_t account_id, void *cls, json_t **out)
{
    const struct send_outcome *o = cls;
    *out = json_pack("{s:I, s:I, s:i, s:o}", "campaign_id", (json_int_t)o->campaign_id, "contact_id",
                     (json_int_t)o->contact_id, "step", o->step, "at", time_json(now_ms()));
    if (*out && o->status == RECIPIENT_SENT)
        json_object_set_new(*out, "telegram_message_id", json_integer(o->tg_message_id));
    if (*out && o->status == RECIPIENT_FAILED)
        json_object_set_new(*out, "error_code", o->error_code ? json_string(o->error_code) : json_null());
    return *out ? DB_ONE : DB_HARD;
}

static enum db_status finish(struct store *st, void *cls)
{
    const struct finish *f = cls;
    const struct send_outcome *o = f->o;
    int64_t now = now_ms(), a = f->account_id;
    int sent = o->status == RECIPIENT_SENT, failed = o->status == RECIPIENT_FAILED;
    enum db_status r = st->recipient_set_outcome(st, a, o, now);
    if (r >= 0) r = st->log_outcome(st, a, o, now);
    if (r >= 0 && (sent || failed)) r = st->campaign_count_result(st, a, o->campaign_id, sent, now);
    int skipped = o->status == RECIPIENT_SKIPPED; /* a person who charges Stars (issue 15) */
    if (r >= 0 && (sent || failed || skipped)) {
        struct step_delta d = {.sent = sent, .failed = failed, .skipped = skipped};
        r = st->step_bump(st, a, o->campaign_id, o->step, &d);
    }
    if (r >= 0 && failed && o->error_code) r = st->campaign_failure_add(st, a, o->campaign_id, o->error_code);
    if (r >= 0 && o->mark_contact)
        r = st->contact_mark(st, a, o->contact_id, o->mark_contact, o->mark_stars, now);
    if (r >= 0 && (sent || failed))
        r = webhook_emit(st, a, sent ? WH_MESSAGE_SENT : WH_MESSAGE_FAILED, outcome_event, (void *)o);
    return r >= 0 ? DB_ONE : r;
}

enum db_status recipient_finish(struct store *st, int64_t account_id, const struct send_outcome *o)
{
    /* An outcome is written on a 'sending' row: anything the table does not allow is a bug. */
    if (!recipient_move_allowed(RECIPIENT_SENDING, o->status)) return DB_HARD;
    return st->txn(st, TX_NORMAL, finish, &(struct finish){account_id, o});
}

struct group {
    struct outbox_claim *claims;
    size_t n;
    const struct outbox_done *done;
    size_t m;
};

/* A plain 'sent' (no contact to mark, no error, the log's own status): written with the others
 * of the commit, one statement each for all of them (DECISIONS 82). */
static int plain_sent(const struct send_outcome *o)
{
    return o->status == RECIPIENT_SENT && !o->mark_contact && !o->error_code && !o->error_details &&
           (!o->log_status || strcmp(o->log_status, "sent") == 0);
}

/* A claim that goes with the others of the commit in one statement: no sealed code to store,
 * and a random_id of digits (the statement's parameter is JSON). */
static int plain_claim(const struct outbox_claim *c)
{
    return !c->code && c->random_id && c->random_id[0] &&
           strspn(c->random_id, "0123456789") == strlen(c->random_id);
}

/* Add one message of (account, campaign, step) to counts[0..*k), each pair once. */
static void count_sent(struct sent_count *counts, size_t *k, int64_t account, int64_t campaign, int step)
{
    for (size_t i = 0; i < *k; i++)
        if (counts[i].campaign_id == campaign && counts[i].step == step && counts[i].account_id == account) {
            counts[i].n++;
            return;
        }
    counts[(*k)++] = (struct sent_count){account, campaign, step, 1};
}

/* What finish() writes, for the plain 'sent' outcomes of done[0..m) at once: the rows, their log
 * lines, the campaigns' and steps' counters (added up here, one write per campaign and step), and
 * message.sent for the accounts some endpoint wants it of (one statement asks for all of them).
 * counts holds m. */
static enum db_status sent_many(struct store *st, const struct outbox_done *done, size_t m,
                                struct outbox_row *rows, int64_t *accounts, struct sent_count *counts)
{
    size_t k = 0, na = 0, nc = 0;
    for (size_t i = 0; i < m; i++) {
        const struct send_outcome *o = &done[i].o;
        if (!plain_sent(o)) continue;
        rows[k++] = (struct outbox_row){done[i].account_id,
                                        o->recipient_id,
                                        o->campaign_id,
                                        o->contact_id,
                                        o->tg_message_id,
                                        o->step,
                                        o->attempt,
                                        NULL,
                                        0};
        count_sent(counts, &nc, done[i].account_id, o->campaign_id, o->step);
        size_t a = 0;
        while (a < na && accounts[a] != done[i].account_id)
            a++;
        if (a == na) accounts[na++] = done[i].account_id;
    }
    if (k == 0) return DB_ONE;
    int64_t now = now_ms();
    enum db_status r = st->recipients_sent(st, rows, k, now);
    if (r >= 0) r = st->logs_sent(st, rows, k, now);
    if (r >= 0) r = st->campaigns_count_sent(st, counts, nc, now);
    if (r >= 0) r = st->steps_count_sent(st, counts, nc);
    size_t nw = 0;
    if (r >= 0) r = st->hooks->wanting(st, accounts, na, WEBHOOK_BIT(WH_MESSAGE_SENT), accounts, &nw);
    for (size_t i = 0; r >= 0 && nw && i < m; i++) {
        if (!plain_sent(&done[i].o)) continue;
        for (size_t a = 0; a < nw; a++)
            if (accounts[a] == done[i].account_id) {
                r = webhook_emit_wanted(st, done[i].account_id, WH_MESSAGE_SENT, outcome_event,
                                        (void *)&done[i].o);
                break;
            }
    }
    return r;
}

/* The claims of the commit: the plain ones in one statement, the others (a discount code to
 * store) one by one. */
static enum db_status claim_many(struct store *st, struct outbox_claim *claims, size_t n,
                                 struct outbox_row *rows)
{
    size_t k = 0;
    enum db_status r = DB_ONE;
    for (size_t i = 0; i < n; i++)
        if (plain_claim(&claims[i]))
            rows[k++] = (struct outbox_row){
                claims[i].account_id, claims[i].recipient_id, 0, 0, 0, 0, 0, claims[i].random_id, 0};
    if (k) r = st->recipients_claim(st, rows, k);
    for (size_t i = 0, j = 0; r >= 0 && i < n; i++) {
        struct outbox_claim *c = &claims[i];
        if (plain_claim(c))
            c->claimed = rows[j++].claimed ? DB_ONE : DB_NONE;
        else
            r = c->claimed = st->recipient_claim(st, c->account_id, c->recipient_id, c->random_id, c->code);
    }
    return r;
}

static enum db_status group_commit(struct store *st, void *cls)
{
    const struct group *g = cls;
    enum db_status r = DB_ONE;
    for (size_t i = 0; i < g->m; i++)
        if (!recipient_move_allowed(RECIPIENT_SENDING, g->done[i].o.status)) return DB_HARD;
    size_t most = g->m > g->n ? g->m : g->n;
    struct outbox_row *rows = malloc((most ? most : 1) * sizeof *rows);
    int64_t *accounts = malloc((g->m ? g->m : 1) * sizeof *accounts);
    struct sent_count *counts = malloc((g->m ? g->m : 1) * sizeof *counts);
    if (!rows || !accounts || !counts) {
        free(rows);
        free(accounts);
        free(counts);
        return DB_HARD;
    }
    r = sent_many(st, g->done, g->m, rows, accounts, counts);
    for (size_t i = 0; r >= 0 && i < g->m; i++)
        if (!plain_sent(&g->done[i].o))
            r = finish(st, &(struct finish){g->done[i].account_id, &g->done[i].o});
    if (r >= 0) r = claim_many(st, g->claims, g->n, rows);
    free(rows);
    free(accounts);
    free(counts);
    return r >= 0 ? DB_ONE : r;
}

enum db_status outbox_commit(struct store *st, struct outbox_claim *claims, size_t n,
                             const struct outbox_done *done, size_t m)
{
    if (n == 0 && m == 0) return DB_ONE;
    return st->txn(st, n ? TX_DURABLE : TX_NORMAL, group_commit, &(struct group){claims, n, done, m});
}

/* ---- what customers do ------------------------------------------------------------------------- */

struct reaction {
    int64_t account_id, contact_id, arg;
    int64_t *n;
};

/* One (campaign, step) of a tally, for message.read and message.replied. */
struct tally_event {
    int64_t contact_id, at;
    const struct step_tally_row *row;
};

static enum db_status tally_event(struct store *st, int64_t account_id, void *cls, json_t **out)
{
    const struct tally_event *t = cls;
    *out = json_pack("{s:I, s:I, s:i, s:o}", "campaign_id", (json_int_t)t->row->campaign_id, "contact_id",
                     (json_int_t)t->contact_id, "step", t->row->step, "at", time_json(t->at));
    return *out ? DB_ONE : DB_HARD;
}

/* An event ev for each (campaign, step) whose message to the contact a tally counts. */
static enum db_status tally_emit(struct store *st, int64_t account_id, int64_t contact_id, int64_t at,
                                 const struct step_tally *t, enum webhook_event ev)
{
    enum db_status r = DB_ONE;
    for (int k = 0; r >= 0 && k < t->n; k++)
        if (t->at[k].rows > 0)
            r = webhook_emit(st, account_id, ev, tally_event,
                             &(struct tally_event){contact_id, at, &t->at[k]});
    return r;
}

/* Skip the contact's pending rows from min_step on, with reason, and count them skipped. */
static enum db_status skip_pending(struct store *st, int64_t account_id, int64_t contact_id,
                                   const char *reason, int min_step)
{
    struct step_tally t;
    enum db_status r = st->recipients_skip_pending(st, account_id, contact_id, reason, min_step, &t);
    return r < 0 ? r : steps_count(st, account_id, &t, STEP_SKIPPED);
}

static enum db_status replied(struct store *st, void *cls)
{
    const struct reaction *x = cls;
    struct step_tally t;
    int64_t now = now_ms();
    *x->n = 0;
    enum db_status r = st->recipients_mark_replied(st, x->account_id, x->contact_id, x->arg, now, &t);
    if (r < 0) return r;
    *x->n = t.total;
    r = steps_count(st, x->account_id, &t, STEP_REPLIED);
    if (r >= 0) r = tally_emit(st, x->account_id, x->contact_id, now, &t, WH_MESSAGE_REPLIED);
    /* A reply stops the contact's nudges. */
    if (r >= 0) r = skip_pending(st, x->account_id, x->contact_id, "replied", 1);
    return r;
}

enum db_status recipients_replied(struct store *st, int64_t account_id, int64_t contact_id, int64_t since,
                                  int64_t *n)
{
    int64_t none = 0;
    return st->txn(st, TX_NORMAL, replied, &(struct reaction){account_id, contact_id, since, n ? n : &none});
}

static enum db_status read_receipt(struct store *st, void *cls)
{
    const struct reaction *x = cls;
    struct step_tally t;
    int64_t now = now_ms();
    enum db_status r = st->recipients_mark_read(st, x->account_id, x->contact_id, x->arg, now, &t);
    if (r < 0) return r;
    enum db_status c = steps_count(st, x->account_id, &t, STEP_READ);
    if (c >= 0) c = tally_emit(st, x->account_id, x->contact_id, now, &t, WH_MESSAGE_READ);
    return c < 0 ? c : r;
}

enum db_status recipients_read(struct store *st, int64_t account_id, int64_t contact_id, int64_t max_id)
{
    return st->txn(st, TX_NORMAL, read_receipt, &(struct reaction){account_id, contact_id, max_id, NULL});
}

struct opt_out_line {
    int64_t account_id;
    const struct contact_audit *e;
};

/* contact.opted_out: who, when, and how (source: stop_message, api). */
static enum db_status opt_out_event(struct store *st, int64_t account_id, void *cls, json_t **out)
{
    const struct contact_audit *e = cls;
    *out = json_pack("{s:I, s:o, s:s}", "contact_id", (json_int_t)e->contact_id, "at", time_json(e->at),
                     "source", e->source ? e->source : "");
    return *out ? DB_ONE : DB_HARD;
}

/* Opting out counts once per campaign that reached the contact, skips every pending row and
 * leaves its line in the contact audit log. */
static enum db_status opt_out(struct store *st, void *cls)
{
    const struct opt_out_line *x = cls;
    int64_t contact_id = x->e->contact_id;
    enum db_status r = st->contact_set_opted_out(st, x->account_id, contact_id, x->e->at);
    if (r != DB_ONE) return r;
    r = st->campaigns_count_opt_out(st, x->account_id, contact_id);
    if (r >= 0) r = skip_pending(st, x->account_id, contact_id, "opted_out", 0);
    if (r >= 0) r = st->contact_audit_add(st, x->account_id, x->e);
    if (r >= 0) r = webhook_emit(st, x->account_id, WH_CONTACT_OPTED_OUT, opt_out_event, (void *)x->e);
    return r >= 0 ? DB_ONE : r;
}

enum db_status contact_opt_out_as(struct store *st, int64_t account_id, const struct contact_audit *e)
{
    return st->txn(st, TX_DURABLE, opt_out, &(struct opt_out_line){account_id, e});
}

/* A stop message's opt-out is also an entry of the account audit log (issue 19), by the system. */
static enum db_status stop_message(struct store *st, void *cls)
{
    const struct opt_out_line *x = cls;
    enum db_status r = opt_out(st, cls);
    if (r != DB_ONE) return r;
    const struct audit_who system = {AUDIT_SYSTEM, ""};
    enum db_status a = audit_record(st, x->account_id, &system, AUDIT_CONTACT_OPT_OUT, "contact",
                                    x->e->contact_id, json_pack("{s:s}", "source", "stop_message"));
    return a < 0 ? a : r;
}

enum db_status contact_opt_out(struct store *st, int64_t account_id, int64_t contact_id)
{
    struct contact_audit e = {contact_id, now_ms(), "opted_out", "system", "stop_message", NULL};
    return st->txn(st, TX_DURABLE, stop_message, &(struct opt_out_line){account_id, &e});
}

/* ---- clicks ---------------------------------------------------------------------------------------- */

struct click_event {
    const struct click *k;
    int unique;
};

/* link.clicked: the link, and the person and message it was sent in (null for a preview's link). */
static enum db_status click_event(struct store *st, int64_t account_id, void *cls, json_t **out)
{
    const struct click_event *c = cls;
    const struct click *k = c->k;
    int64_t link_account = 0, link_campaign = 0, contact_id = 0;
    int step = 0;
    char *url = NULL;
    enum db_status r = st->link_get(st, k->link_id, &link_account, &link_campaign, &url);
    if (r < 0) return r;
    if (k->recipient_id) {
        r = st->hooks->recipient_contact(st, account_id, k->recipient_id, &contact_id);
        if (r >= 0) r = st->recipient_step(st, account_id, k->campaign_id, k->recipient_id, &step);
        if (r < 0) {
            free(url);
            return r;
        }
    }
    *out = json_pack(
        "{s:I, s:I, s:s?, s:o, s:o, s:b, s:o}", "campaign_id", (json_int_t)k->campaign_id, "link_id",
        (json_int_t)k->link_id, "url", url, "contact_id", contact_id ? json_integer(contact_id) : json_null(),
        "step", contact_id ? json_integer(step) : json_null(), "unique", c->unique, "at", time_json(k->at));
    free(url);
    return *out ? DB_ONE : DB_HARD;
}

static enum db_status one_click(struct store *st, const struct click *k)
{
    int link_unique = 0, campaign_unique = 0;
    enum db_status r;
    if (k->recipient_id) {
        r = st->click_seen(st, k->account_id, k->link_id, k->recipient_id);
        if (r < 0) return r;
        link_unique = r == DB_NONE;
    }
    r = st->click_add(st, k->account_id, k->link_id, k->recipient_id, k->at);
    if (r >= 0 && k->recipient_id) {
        int step = 0;
        r = st->recipient_mark_clicked(st, k->account_id, k->recipient_id, k->campaign_id, k->at, &step);
        campaign_unique = r == DB_ONE;
        if (campaign_unique)
            r = st->step_bump(st, k->account_id, k->campaign_id, step, &(struct step_delta){.clicked = 1});
    }
    if (r >= 0) r = st->link_count_click(st, k->link_id, link_unique);
    if (r >= 0) r = st->campaign_count_click(st, k->account_id, k->campaign_id, campaign_unique);
    if (r >= 0)
        r = webhook_emit(st, k->account_id, WH_LINK_CLICKED, click_event,
                         &(struct click_event){k, campaign_unique});
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

enum db_status clicks_record(struct store *st, const struct click *clicks, size_t n)
{
    return st->txn(st, TX_NORMAL, record, &(struct clicks){clicks, n});
}
