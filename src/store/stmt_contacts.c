/* stmt_contacts — contacts, their marks and opt-outs, their inbound messages and categories, and
 * audience scans, once for both backends (store.h documents each function). */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/db.h"
#include "store/stmt.h"

static int read_contact(void *cls, const struct db_row *r, void *elem)
{
    struct contact *c = elem;
    c->id = db_i64(r, 0);
    db_copy(r, 1, c->tg_user_id, sizeof c->tg_user_id);
    db_copy(r, 7, c->phone_bidx, sizeof c->phone_bidx);
    db_copy(r, 8, c->username_bidx, sizeof c->username_bidx);
    int64_t *times[] = {
        &c->first_inbound_at, &c->last_inbound_at, &c->inbound_count, &c->opted_out_at, &c->blocked_at,
        &c->deactivated_at,   &c->created_at,      &c->updated_at,    &c->orders_count, &c->spent};
    for (int i = 0; i < 10; i++)
        *times[i] = db_i64(r, 9 + i);
    struct blob *sealed[] = {&c->access_hash, &c->first_name, &c->last_name, &c->username, &c->phone};
    for (int i = 0; i < 5; i++)
        if (db_blob(r, 2 + i, sealed[i]) != TGR_OK) return TGR_ERR;
    if (db_blob(r, 19, &c->category) != TGR_OK || db_blob(r, 20, &c->confidence) != TGR_OK) return TGR_ERR;
    c->privacy_restricted_at = db_i64(r, 21);
    c->charges_at = db_i64(r, 22);
    c->charges_stars = db_i64(r, 23);
    return TGR_OK;
}

static void release_contact(void *elem)
{
    contact_release(elem);
}

static enum db_status contact_query(struct store *st, enum stmt_id id, const struct sp *p,
                                    struct contact *out)
{
    memset(out, 0, sizeof *out);
    return db_one(st, id, p, sizeof *out, read_contact, release_contact, NULL, out);
}

enum db_status stmt_contact_by_tg_id(struct store *st, int64_t account_id, const char *tg_user_id,
                                     struct contact *out)
{
    return contact_query(st, S_CONTACT_BY_TG, P(SP_I64(account_id), SP_STR(tg_user_id)), out);
}

enum db_status stmt_contact_get(struct store *st, int64_t account_id, int64_t id, struct contact *out)
{
    return contact_query(st, S_CONTACT_GET, P(SP_I64(account_id), SP_I64(id)), out);
}

static int read_address(void *cls, const struct db_row *r, void *elem)
{
    struct contact *c = elem;
    c->id = db_i64(r, 0);
    db_copy(r, 1, c->tg_user_id, sizeof c->tg_user_id);
    if (db_blob(r, 2, &c->access_hash) != TGR_OK || db_blob(r, 3, &c->first_name) != TGR_OK) return TGR_ERR;
    c->opted_out_at = db_i64(r, 4);
    return TGR_OK;
}

enum db_status stmt_contact_address(struct store *st, int64_t account_id, int64_t id, struct contact *out)
{
    memset(out, 0, sizeof *out);
    return db_one(st, S_CONTACT_ADDRESS, P(SP_I64(account_id), SP_I64(id)), sizeof *out, read_address,
                  release_contact, NULL, out);
}

enum db_status stmt_contact_by_bidx(struct store *st, int64_t account_id, const char *column,
                                    const char *bidx, struct contact *out)
{
    enum stmt_id id = strcmp(column, "phone") == 0 ? S_CONTACT_BY_PHONE : S_CONTACT_BY_USERNAME;
    return contact_query(st, id, P(SP_I64(account_id), SP_STR(bidx)), out);
}

enum db_status stmt_contacts_page(struct store *st, int64_t account_id, int64_t after_id, int limit,
                                  struct contact **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    if (limit <= 0) return DB_NONE;
    return db_list(st, S_CONTACTS_PAGE, P(SP_I64(account_id), SP_I64(after_id), SP_I64(limit)), sizeof **rows,
                   read_contact, release_contact, NULL, (void **)rows, n);
}

enum db_status stmt_contact_save(struct store *st, int64_t account_id, const struct contact *c, int64_t *id)
{
    int64_t now = now_ms(), v = 0;
    if (c->id) {
        if (id) *id = c->id;
        return db_write(st, TX_NORMAL, S_CONTACT_UPDATE,
                        P(SP_SEALED(&c->access_hash), SP_SEALED(&c->first_name), SP_SEALED(&c->last_name),
                          SP_SEALED(&c->username), SP_SEALED(&c->phone), SP_OPT(c->phone_bidx),
                          SP_OPT(c->username_bidx), SP_I64(now), SP_I64(account_id), SP_I64(c->id)));
    }
    enum db_status r = db_write_ints(st, TX_NORMAL, S_CONTACT_INSERT,
                                     P(SP_I64(account_id), SP_STR(c->tg_user_id), SP_SEALED(&c->access_hash),
                                       SP_SEALED(&c->first_name), SP_SEALED(&c->last_name),
                                       SP_SEALED(&c->username), SP_SEALED(&c->phone), SP_OPT(c->phone_bidx),
                                       SP_OPT(c->username_bidx), SP_I64(now), SP_I64(now)),
                                     &v, 1);
    if (r == DB_ONE && id) *id = v;
    return r;
}

struct inbound {
    int64_t account_id, contact_id, tg_message_id, date_ms;
    const struct blob *text;
};

enum db_status stmt_inbound_insert(struct store *st, int64_t account_id, int64_t contact_id,
                                   int64_t tg_message_id, const struct blob *text, int64_t date_ms)
{
    return db_write(
        st, TX_NORMAL, S_INBOUND_INSERT,
        P(SP_I64(account_id), SP_I64(contact_id), SP_I64(tg_message_id), SP_SEALED(text), SP_I64(date_ms)));
}

enum db_status stmt_inbound_count(struct store *st, int64_t account_id, int64_t contact_id, int64_t n,
                                  int64_t first_ms, int64_t last_ms)
{
    return db_write(st, TX_NORMAL, S_INBOUND_COUNT,
                    P(SP_I64(first_ms), SP_I64(account_id), SP_I64(contact_id), SP_I64(n), SP_I64(last_ms)));
}

static enum db_status inbound_write(struct store *st, void *cls)
{
    const struct inbound *m = cls;
    enum db_status r =
        stmt_inbound_insert(st, m->account_id, m->contact_id, m->tg_message_id, m->text, m->date_ms);
    if (r != DB_ONE) return r;
    enum db_status t = stmt_inbound_count(st, m->account_id, m->contact_id, 1, m->date_ms, m->date_ms);
    return t < 0 ? t : r;
}

enum db_status stmt_inbound_add(struct store *st, int64_t account_id, int64_t contact_id,
                                int64_t tg_message_id, const struct blob *text, int64_t date_ms)
{
    return db_txn(st, TX_NORMAL, inbound_write,
                  &(struct inbound){account_id, contact_id, tg_message_id, date_ms, text});
}

struct recent {
    struct blob *texts;
    int64_t *ids;
    size_t n, limit;
};

static int read_recent(void *cls, const struct db_row *r)
{
    struct recent *m = cls;
    if (m->n >= m->limit) return 1;
    if (db_blob(r, 0, &m->texts[m->n]) != TGR_OK) return -1;
    m->ids[m->n++] = db_i64(r, 1);
    return 0;
}

enum db_status stmt_inbound_recent(struct store *st, int64_t account_id, int64_t contact_id, int limit,
                                   struct blob **texts, int64_t **ids, size_t *n)
{
    *texts = NULL;
    *ids = NULL;
    *n = 0;
    if (limit <= 0) return DB_NONE;
    struct recent m = {calloc((size_t)limit, sizeof *m.texts), calloc((size_t)limit, sizeof *m.ids), 0,
                       (size_t)limit};
    enum db_status r = DB_HARD;
    if (m.texts && m.ids)
        r = db_rows(st, S_INBOUND_RECENT, P(SP_I64(account_id), SP_I64(contact_id), SP_I64(limit)),
                    read_recent, &m);
    if (r < 0) {
        for (size_t i = 0; i < m.n; i++)
            blob_release(&m.texts[i]);
        free(m.texts);
        free(m.ids);
        return r;
    }
    *texts = m.texts;
    *ids = m.ids;
    *n = m.n;
    return m.n ? DB_ONE : DB_NONE;
}

struct category_write {
    int64_t account_id, contact_id, tag;
    const struct blob *category, *confidence;
};

static enum db_status category_write(struct store *st, void *cls)
{
    const struct category_write *w = cls;
    enum db_status r = db_exec(st, S_CATEGORY_PUT,
                               P(SP_I64(w->account_id), SP_I64(w->contact_id), SP_SEALED(w->category),
                                 SP_SEALED(w->confidence), SP_I64(now_ms())));
    if (r >= 0)
        r = db_exec(st, S_CONTACT_CATEGORY_TAG,
                    P(SP_I64(w->account_id), SP_I64(w->contact_id), SP_ID(w->tag)));
    return r >= 0 ? DB_ONE : r;
}

enum db_status stmt_category_put(struct store *st, int64_t account_id, int64_t contact_id,
                                 const struct blob *category, const struct blob *confidence,
                                 int64_t category_tag)
{
    return db_txn(st, TX_NORMAL, category_write,
                  &(struct category_write){account_id, contact_id, category_tag, category, confidence});
}

/* send_outcome.mark_contact's values: the first time is kept. */
enum db_status stmt_contact_mark(struct store *st, int64_t account_id, int64_t contact_id, int mark,
                                 int64_t stars, int64_t now)
{
    enum stmt_id id;
    switch (mark) { /* enum tg_contact_mark's values (core/tgerror.h) */
    case 1:
        id = S_CONTACT_BLOCKED;
        break;
    case 2:
        id = S_CONTACT_DEACTIVATED;
        break;
    case 3:
        id = S_CONTACT_PRIVACY;
        break;
    case 4:
        return db_write(st, TX_NORMAL, S_CONTACT_CHARGES,
                        P(SP_I64(now), SP_I64(account_id), SP_I64(contact_id), SP_ID(stars)));
    default:
        return DB_HARD;
    }
    return db_write(st, TX_NORMAL, id, P(SP_I64(now), SP_I64(account_id), SP_I64(contact_id)));
}

enum db_status stmt_contact_set_opted_out(struct store *st, int64_t account_id, int64_t contact_id,
                                          int64_t now)
{
    return db_write(st, TX_NORMAL, S_OPT_OUT, P(SP_I64(now), SP_I64(account_id), SP_I64(contact_id)));
}

enum db_status stmt_campaigns_count_opt_out(struct store *st, int64_t account_id, int64_t contact_id)
{
    return db_write(st, TX_NORMAL, S_OPT_OUT_COUNT, P(SP_I64(account_id), SP_I64(contact_id)));
}

struct audience {
    int (*fn)(void *cls, const struct audience_row *row);
    void *cls;
    int64_t after;
    int rows, stop, held;
};

static int read_audience(void *cls, const struct db_row *r)
{
    struct audience *a = cls;
    /* The sealed blobs are borrowed from the row for the callback's duration. */
    struct audience_row row = {.contact_id = db_i64(r, 0), .category_tag = db_i64(r, 1)};
    row.category.p = (unsigned char *)db_bytes(r, 2, &row.category.len);
    row.confidence.p = (unsigned char *)db_bytes(r, 3, &row.confidence.len);
    row.charges = db_i64(r, 4) != 0;
    row.privacy_restricted = db_i64(r, 5) != 0;
    if (a->held) {
        row.opted_out = db_i64(r, 6) != 0;
        row.blocked = db_i64(r, 7) != 0;
        row.last_sent_at = db_i64(r, 8);
    }
    a->after = row.contact_id;
    a->rows++;
    a->stop = a->fn(a->cls, &row);
    return a->stop;
}

/* Contacts by id, in pages of the backend's scan_page (db.h): $13 the last id read, $14 the page;
 * a backend that reads in one statement (scan_page -1) takes neither. A held scan (q->held) reads
 * the contacts the audience holds back instead, with three more columns. */
enum db_status stmt_audience_scan(struct store *st, int64_t account_id, const struct audience_query *q,
                                  int (*fn)(void *cls, const struct audience_row *row), void *cls)
{
    struct audience a = {fn, cls, 0, 0, 0, q->held};
    int64_t page = ((struct db *)st)->ops->scan_page;
    do {
        struct sp p[] = {SP_I64(account_id),
                         SP_I64(q->min_last_inbound_at),
                         SP_I64(q->min_orders),
                         SP_I64(q->max_orders),
                         SP_I64(q->min_spent),
                         SP_I64(q->clicked_campaign),
                         SP_I64(q->not_replied_to_campaign),
                         SP_I64(q->cap_since),
                         SP_I64(q->read_campaign),
                         SP_I64(q->not_read_campaign),
                         SP_I64(q->replied_to_campaign),
                         SP_I64(q->bought_from_campaign),
                         SP_I64(a.after),
                         SP_I64(page),
                         SP_END};
        if (page < 0) p[12] = SP_END;
        a.rows = 0;
        enum db_status r = db_rows(st, q->held ? S_AUDIENCE_HELD : S_AUDIENCE, p, read_audience, &a);
        if (r < 0) return r;
    } while (!a.stop && a.rows == page);
    return DB_ONE;
}
