/* stmt_webhooks — the data operations of outgoing webhooks (store/store_webhooks.h documents each;
 * the statements are WEBHOOK_STMTS of sql.h), once for both backends, gathered in stmt_hooks. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/db.h"
#include "store/stmt.h"

void webhook_job_release(struct webhook_job *j)
{
    free(j->data);
    free(j->url);
    j->data = j->url = NULL;
    blob_release(&j->secret);
}

static int read_webhook(void *cls, const struct db_row *r, void *elem)
{
    (void)cls;
    struct webhook_row *w = elem;
    w->id = db_i64(r, 0);
    db_copy(r, 1, w->url, sizeof w->url);
    w->events = db_i64(r, 2);
    db_copy(r, 3, w->description, sizeof w->description);
    w->created_at = db_i64(r, 4);
    db_copy(r, 5, w->last_status, sizeof w->last_status);
    w->last_status_code = db_i64(r, 6);
    w->last_attempt_at = db_i64(r, 7);
    return 0;
}

static enum db_status insert(struct store *st, int64_t account_id, const char *url, int64_t events,
                             const char *description, int64_t now, int64_t *id)
{
    *id = 0;
    return db_write_ints(st, TX_NORMAL, S_WEBHOOK_INSERT,
                         P(SP_I64(account_id), SP_STR(url), SP_I64(events),
                           SP_STR(description ? description : ""), SP_I64(now)),
                         id, 1);
}

static enum db_status set_secret(struct store *st, int64_t account_id, int64_t id, const struct blob *sealed)
{
    return db_write(st, TX_NORMAL, S_WEBHOOK_SET_SECRET,
                    P(SP_SEALED(sealed), SP_I64(account_id), SP_I64(id)));
}

static enum db_status list(struct store *st, int64_t account_id, struct webhook_row **rows, size_t *n)
{
    return db_list(st, S_WEBHOOK_LIST, P(SP_I64(account_id)), sizeof **rows, read_webhook, NULL, NULL,
                   (void **)rows, n);
}

static enum db_status get(struct store *st, int64_t account_id, int64_t id, struct webhook_row *out)
{
    memset(out, 0, sizeof *out);
    return db_one(st, S_WEBHOOK_GET, P(SP_I64(account_id), SP_I64(id)), sizeof *out, read_webhook, NULL, NULL,
                  out);
}

static enum db_status remove_webhook(struct store *st, int64_t account_id, int64_t id)
{
    return db_write(st, TX_NORMAL, S_WEBHOOK_DELETE, P(SP_I64(account_id), SP_I64(id)));
}

static enum db_status wanted(struct store *st, int64_t account_id, int64_t mask, int64_t *n)
{
    *n = 0;
    return db_ints(st, S_WEBHOOK_WANTED, P(SP_I64(account_id), SP_I64(mask)), n, 1);
}

struct wanting {
    int64_t *out;
    size_t cap, *n;
};

static int read_wanting(void *cls, const struct db_row *r)
{
    struct wanting *w = cls;
    if (*w->n < w->cap) w->out[(*w->n)++] = db_i64(r, 0);
    return 0;
}

static enum db_status wanting(struct store *st, const int64_t *accounts, size_t n, int64_t mask, int64_t *out,
                              size_t *nout)
{
    *nout = 0;
    if (n == 0) return DB_NONE;
    char *j = malloc(n * 21 + 3);
    if (!j) return DB_HARD;
    size_t len = 0;
    j[len++] = '[';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(j + len, 22, "%s%" PRId64, i ? "," : "", accounts[i]);
    j[len++] = ']';
    j[len] = 0;
    enum db_status r = db_rows(st, S_WEBHOOKS_WANTING, P(SP_STR(j), SP_I64(mask)), read_wanting,
                               &(struct wanting){out, n, nout});
    free(j);
    return r;
}

struct event_add {
    int64_t account_id, bit, now;
    const char *type, *data;
    int64_t *event_id, *deliveries;
};

static enum db_status add_event(struct store *st, void *cls)
{
    const struct event_add *e = cls;
    *e->event_id = *e->deliveries = 0;
    enum db_status r = db_write_ints(
        st, TX_NORMAL, S_WEBHOOK_EVENT_INSERT,
        P(SP_I64(e->account_id), SP_STR(e->type), SP_I64(e->now), SP_STR(e->data)), e->event_id, 1);
    if (r != DB_ONE) return r < 0 ? r : DB_HARD;
    r = db_changes(st, S_WEBHOOK_DELIVERIES_INSERT,
                   P(SP_I64(e->account_id), SP_I64(*e->event_id), SP_I64(e->now), SP_I64(e->bit)),
                   e->deliveries);
    if (r >= 0 && *e->deliveries > 0) db_note_queued();
    return r < 0 ? r : DB_ONE;
}

static enum db_status event_add(struct store *st, int64_t account_id, const char *type, int64_t bit,
                                int64_t now, const char *data, int64_t *event_id, int64_t *deliveries)
{
    return db_txn(st, TX_NORMAL, add_event,
                  &(struct event_add){account_id, bit, now, type, data, event_id, deliveries});
}

static int read_job(void *cls, const struct db_row *r, void *elem)
{
    (void)cls;
    struct webhook_job *j = elem;
    j->id = db_i64(r, 0);
    j->account_id = db_i64(r, 1);
    j->webhook_id = db_i64(r, 2);
    j->event_id = db_i64(r, 3);
    j->attempts = db_i64(r, 4);
    j->created_at = db_i64(r, 5);
    db_copy(r, 6, j->type, sizeof j->type);
    j->data = db_dup(r, 7);
    j->url = db_dup(r, 8);
    if (!j->data || !j->url) return -1;
    return db_blob(r, 9, &j->secret) == TGR_OK ? 0 : -1;
}

static void release_job(void *elem)
{
    webhook_job_release(elem);
}

struct claim {
    const char *instance;
    int64_t now, lease_until;
    struct webhook_job *out;
};

static enum db_status claim_one(struct store *st, void *cls)
{
    const struct claim *c = cls;
    int64_t id = 0;
    webhook_job_release(c->out);
    memset(c->out, 0, sizeof *c->out);
    /* The claim's RETURNING is read to the end before the row is read (db.h). */
    enum db_status r =
        db_ints(st, S_WEBHOOK_CLAIM, P(SP_STR(c->instance), SP_I64(c->lease_until), SP_I64(c->now)), &id, 1);
    if (r != DB_ONE || !id) return r < 0 ? r : DB_NONE;
    return db_one(st, S_WEBHOOK_JOB, P(SP_I64(id)), sizeof *c->out, read_job, release_job, NULL, c->out);
}

static enum db_status claim(struct store *st, const char *instance, int64_t now, int64_t lease_until,
                            struct webhook_job *out)
{
    memset(out, 0, sizeof *out);
    return db_txn(st, TX_LEASE, claim_one, &(struct claim){instance, now, lease_until, out});
}

static enum db_status done(struct store *st, int64_t delivery_id, const char *instance,
                           const struct webhook_attempt *a)
{
    return db_write(st, TX_LEASE, S_WEBHOOK_DONE,
                    P(SP_STR(a->status), SP_I64(a->at), SP_ID(a->status_code), SP_STR(a->error),
                      SP_ID(a->next_attempt_at), SP_I64(delivery_id), SP_STR(instance)));
}

static enum db_status unclaim(struct store *st, int64_t delivery_id, const char *instance)
{
    return db_write(st, TX_LEASE, S_WEBHOOK_UNCLAIM, P(SP_I64(delivery_id), SP_STR(instance)));
}

static enum db_status unclaim_all(struct store *st, const char *instance)
{
    return db_write(st, TX_LEASE, S_WEBHOOK_UNCLAIM_ALL, P(SP_STR(instance)));
}

static int64_t queued(struct store *st)
{
    return db_queued_commits(st);
}

static void on_queued(struct store *st, void (*fn)(void *arg), void *arg)
{
    db_on_queued(st, fn, arg);
}

static enum db_status next_due(struct store *st, int64_t *at)
{
    *at = 0;
    return db_ints(st, S_WEBHOOK_NEXT_DUE, NULL, at, 1);
}

static int read_delivery(void *cls, const struct db_row *r, void *elem)
{
    (void)cls;
    struct webhook_delivery_row *d = elem;
    d->id = db_i64(r, 0);
    d->event_id = db_i64(r, 1);
    db_copy(r, 2, d->type, sizeof d->type);
    db_copy(r, 3, d->status, sizeof d->status);
    d->attempts = db_i64(r, 4);
    d->last_status_code = db_i64(r, 5);
    d->next_attempt_at = db_i64(r, 6);
    d->created_at = db_i64(r, 7);
    d->last_attempt_at = db_i64(r, 8);
    db_copy(r, 9, d->last_error, sizeof d->last_error);
    return 0;
}

static enum db_status deliveries(struct store *st, int64_t account_id, int64_t webhook_id, int64_t before_id,
                                 int limit, struct webhook_delivery_row **rows, size_t *n)
{
    return db_list(st, S_WEBHOOK_DELIVERIES,
                   P(SP_I64(account_id), SP_I64(webhook_id), SP_I64(before_id), SP_I64(limit)), sizeof **rows,
                   read_delivery, NULL, NULL, (void **)rows, n);
}

struct prune {
    int64_t before, limit, *n;
};

static enum db_status prune_events(struct store *st, void *cls)
{
    const struct prune *p = cls;
    *p->n = 0;
    return db_changes(st, S_WEBHOOK_PRUNE, P(SP_I64(p->before), SP_I64(p->limit)), p->n);
}

static enum db_status prune(struct store *st, int64_t before, int64_t limit, int64_t *n)
{
    return db_txn(st, TX_LEASE, prune_events, &(struct prune){before, limit, n});
}

static enum db_status pending(struct store *st, int64_t *n)
{
    *n = 0;
    return db_ints(st, S_WEBHOOK_PENDING, NULL, n, 1);
}

static enum db_status recipient_contact(struct store *st, int64_t account_id, int64_t recipient_id,
                                        int64_t *contact_id)
{
    *contact_id = 0;
    return db_ints(st, S_RECIPIENT_CONTACT, P(SP_I64(account_id), SP_I64(recipient_id)), contact_id, 1);
}

const struct store_hooks stmt_hooks = {
    .insert = insert,
    .set_secret = set_secret,
    .list = list,
    .get = get,
    .remove = remove_webhook,
    .wanted = wanted,
    .wanting = wanting,
    .event_add = event_add,
    .claim = claim,
    .done = done,
    .unclaim = unclaim,
    .unclaim_all = unclaim_all,
    .next_due = next_due,
    .queued = queued,
    .on_queued = on_queued,
    .deliveries = deliveries,
    .prune = prune,
    .pending = pending,
    .recipient_contact = recipient_contact,
};
