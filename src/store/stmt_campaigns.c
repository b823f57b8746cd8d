/* stmt_campaigns — campaigns and their media, discount codes and tracked links, and the status
 * changes that are one statement, once for both backends (store.h documents each function). */
#include <sodium.h>
#include <string.h>

#include "base/util.h"
#include "store/db.h"
#include "store/stmt.h"

static int read_media_id(void *cls, const struct db_row *r)
{
    struct campaign *c = cls;
    if (c->n_media < CAMPAIGN_MAX_MEDIA) c->media_ids[c->n_media++] = db_i64(r, 0);
    return 0;
}

struct campaign_read {
    struct store *st;
    int64_t account_id;
};

static int read_campaign(void *cls, const struct db_row *r, void *elem)
{
    const struct campaign_read *cr = cls;
    struct campaign *c = elem;
    c->id = db_i64(r, 0);
    db_copy(r, 1, c->name, sizeof c->name);
    c->message_text = db_dup(r, 2);
    db_copy(r, 3, c->status, sizeof c->status);
    c->filters_json = db_dup(r, 4);
    c->quiet_hours_json = db_dup(r, 5);
    c->nudges_json = db_dup(r, 6);
    c->track_links = (int)db_i64(r, 7);
    c->discount_json = db_dup(r, 8);
    c->override_quiet_hours = (int)db_i64(r, 9);
    c->created_at = db_i64(r, 10);
    c->updated_at = db_i64(r, 11);
    c->started_at = db_i64(r, 12);
    c->finished_at = db_i64(r, 13);
    db_copy(r, 14, c->pause_reason, sizeof c->pause_reason);
    db_copy(r, 15, c->pause_code, sizeof c->pause_code);
    c->start_at = db_i64(r, 16);
    c->segment_id = db_i64(r, 17);
    if (!c->message_text) return TGR_ERR;
    /* The media list is a second statement, run while this row is read. */
    enum db_status m =
        db_rows(cr->st, S_CAMPAIGN_MEDIA_LIST, P(SP_I64(cr->account_id), SP_I64(c->id)), read_media_id, c);
    return m < 0 ? TGR_ERR : TGR_OK;
}

static void release_campaign(void *elem)
{
    campaign_release(elem);
}

enum db_status stmt_campaign_get(struct store *st, int64_t account_id, int64_t id, struct campaign *out)
{
    memset(out, 0, sizeof *out);
    return db_one(st, S_CAMPAIGN_GET, P(SP_I64(account_id), SP_I64(id)), sizeof *out, read_campaign,
                  release_campaign, &(struct campaign_read){st, account_id}, out);
}

enum db_status stmt_campaign_list(struct store *st, int64_t account_id, struct campaign **rows, size_t *n)
{
    struct campaign_read cr = {st, account_id};
    return db_list(st, S_CAMPAIGN_LIST, P(SP_I64(account_id)), sizeof **rows, read_campaign, release_campaign,
                   &cr, (void **)rows, n);
}

struct campaign_write {
    int64_t account_id;
    const struct campaign *c;
    int64_t *id;
};

static enum db_status set_media(struct store *st, int64_t account_id, const struct campaign *c, int64_t id)
{
    enum db_status r = db_exec(st, S_CAMPAIGN_MEDIA_CLEAR, P(SP_I64(account_id), SP_I64(id)));
    for (int i = 0; r >= 0 && i < c->n_media; i++)
        r = db_exec(st, S_CAMPAIGN_MEDIA_ADD,
                    P(SP_I64(account_id), SP_I64(id), SP_I64(c->media_ids[i]), SP_I64(i)));
    return r;
}

#define CAMPAIGN_FIELDS(c)                                                                                   \
    SP_STR((c)->name), SP_STR((c)->message_text), SP_OPT((c)->filters_json), SP_OPT((c)->quiet_hours_json),  \
        SP_OPT((c)->nudges_json), SP_I64((c)->track_links), SP_OPT((c)->discount_json)

static enum db_status campaign_insert(struct store *st, void *cls)
{
    const struct campaign_write *w = cls;
    int64_t now = now_ms(), id = 0;
    enum db_status r =
        db_ints(st, S_CAMPAIGN_INSERT,
                P(SP_I64(w->account_id), CAMPAIGN_FIELDS(w->c), SP_I64(now), SP_I64(now)), &id, 1);
    if (r == DB_ONE) r = set_media(st, w->account_id, w->c, id);
    if (r >= 0) r = db_exec(st, S_ANALYTICS_INSERT, P(SP_I64(w->account_id), SP_I64(id), SP_I64(now)));
    if (r >= 0 && w->id) *w->id = id;
    return r >= 0 ? DB_ONE : r;
}

enum db_status stmt_campaign_create(struct store *st, int64_t account_id, const struct campaign *c,
                                    int64_t *id)
{
    return db_txn(st, TX_NORMAL, campaign_insert, &(struct campaign_write){account_id, c, id});
}

static enum db_status campaign_change(struct store *st, void *cls)
{
    const struct campaign_write *w = cls;
    enum db_status r =
        db_exec(st, S_CAMPAIGN_UPDATE,
                P(CAMPAIGN_FIELDS(w->c), SP_I64(now_ms()), SP_I64(w->account_id), SP_I64(w->c->id)));
    if (r == DB_ONE) r = set_media(st, w->account_id, w->c, w->c->id) < 0 ? DB_HARD : DB_ONE;
    return r;
}

enum db_status stmt_campaign_update(struct store *st, int64_t account_id, const struct campaign *c)
{
    return db_txn(st, TX_NORMAL, campaign_change, &(struct campaign_write){account_id, c, NULL});
}

static enum db_status campaign_remove(struct store *st, void *cls)
{
    const int64_t *v = cls; /* account, campaign */
    struct campaign c;
    enum db_status r = st->campaign_get(st, v[0], v[1], &c);
    int draft = r == DB_ONE && strcmp(c.status, "draft") == 0;
    if (r == DB_ONE) campaign_release(&c);
    if (r < 0 || !draft) return r < 0 ? r : DB_NONE;
    static const enum stmt_id steps[] = {S_CAMPAIGN_MEDIA_CLEAR, S_CAMPAIGN_DELETE_DEPS,
                                         S_CAMPAIGN_DELETE_CODES, S_CAMPAIGN_DELETE_LINKS, S_CAMPAIGN_DELETE};
    for (size_t k = 0; r >= 0 && k < sizeof steps / sizeof steps[0]; k++)
        r = db_exec(st, steps[k], P(SP_I64(v[0]), SP_I64(v[1])));
    return r;
}

enum db_status stmt_campaign_delete(struct store *st, int64_t account_id, int64_t id)
{
    int64_t v[] = {account_id, id};
    return db_txn(st, TX_NORMAL, campaign_remove, v);
}

enum db_status stmt_campaign_set_override(struct store *st, int64_t account_id, int64_t campaign_id, int on)
{
    return db_write(st, TX_NORMAL, S_CAMPAIGN_OVERRIDE,
                    P(SP_I64(on), SP_I64(account_id), SP_I64(campaign_id), SP_I64(now_ms())));
}

enum db_status stmt_campaign_set_nudges(struct store *st, int64_t account_id, int64_t campaign_id,
                                        const char *nudges_json)
{
    return db_write(st, TX_NORMAL, S_CAMPAIGN_NUDGES,
                    P(SP_STR(nudges_json), SP_I64(now_ms()), SP_I64(account_id), SP_I64(campaign_id)));
}

enum db_status stmt_campaign_set_categories(struct store *st, int64_t account_id, int64_t campaign_id,
                                            const int64_t counts[3])
{
    return db_write(
        st, TX_NORMAL, S_SET_CATEGORIES,
        P(SP_I64(counts[0]), SP_I64(counts[1]), SP_I64(counts[2]), SP_I64(account_id), SP_I64(campaign_id)));
}

enum db_status stmt_campaign_transition(struct store *st, int64_t account_id, int64_t campaign_id,
                                        const char *from, const char *to, const char *reason)
{
    return db_write(st, TX_DURABLE, S_CAMPAIGN_TRANSITION,
                    P(SP_STR(to), SP_OPT(reason), SP_I64(now_ms()), SP_I64(account_id), SP_I64(campaign_id),
                      SP_STR(from)));
}

enum db_status stmt_campaigns_pause_all(struct store *st, int64_t account_id, const char *reason)
{
    return db_write(st, TX_DURABLE, S_CAMPAIGNS_PAUSE_ALL,
                    P(SP_STR(reason), SP_I64(now_ms()), SP_I64(account_id)));
}

enum db_status stmt_campaign_set_pause_code(struct store *st, int64_t account_id, int64_t campaign_id,
                                            const char *code)
{
    return db_write(st, TX_NORMAL, S_CAMPAIGN_PAUSE_CODE,
                    P(SP_OPT(code), SP_I64(account_id), SP_I64(campaign_id)));
}

enum db_status stmt_sent_since(struct store *st, int64_t account_id, int64_t since, int64_t *n)
{
    *n = 0;
    return db_ints(st, S_SENT_SINCE, P(SP_I64(account_id), SP_I64(since)), n, 1);
}

enum db_status stmt_accounts_sending(struct store *st, int64_t **ids, size_t *n)
{
    return db_ids(st, S_ACCOUNTS_SENDING, NULL, ids, n);
}

enum db_status stmt_campaigns_in_status(struct store *st, int64_t account_id, const char *status,
                                        int64_t **ids, size_t *n)
{
    return db_ids(st, S_CAMPAIGNS_IN_STATUS, P(SP_I64(account_id), SP_STR(status)), ids, n);
}

/* ---- discount codes ---------------------------------------------------------------------------- */

struct codes {
    int64_t account_id, campaign_id;
    const struct discount_code_row *codes;
    size_t n;
};

static enum db_status codes_write(struct store *st, void *cls)
{
    const struct codes *c = cls;
    enum db_status r = db_exec(st, S_CODES_CLEAR_FREE, P(SP_I64(c->account_id), SP_I64(c->campaign_id)));
    for (size_t i = 0; r >= 0 && i < c->n; i++)
        r = db_exec(st, S_CODE_INSERT,
                    P(SP_I64(c->account_id), SP_I64(c->campaign_id), SP_SEALED(&c->codes[i].code),
                      SP_STR(c->codes[i].code_bidx)));
    return r >= 0 ? DB_ONE : r;
}

enum db_status stmt_codes_replace(struct store *st, int64_t account_id, int64_t campaign_id,
                                  const struct discount_code_row *codes, size_t n)
{
    return db_txn(st, TX_NORMAL, codes_write, &(struct codes){account_id, campaign_id, codes, n});
}

static int read_code(void *cls, const struct db_row *r, void *elem)
{
    struct discount_code_row *c = elem;
    c->id = db_i64(r, 0);
    db_copy(r, 2, c->code_bidx, sizeof c->code_bidx);
    c->recipient_id = db_i64(r, 3);
    return db_blob(r, 1, &c->code);
}

static void release_code(void *elem)
{
    blob_release(&((struct discount_code_row *)elem)->code);
}

enum db_status stmt_codes_list(struct store *st, int64_t account_id, int64_t campaign_id,
                               struct discount_code_row **rows, size_t *n)
{
    return db_list(st, S_CODES_LIST, P(SP_I64(account_id), SP_I64(campaign_id)), sizeof **rows, read_code,
                   release_code, NULL, (void **)rows, n);
}

enum db_status stmt_code_get(struct store *st, int64_t account_id, int64_t code_id,
                             struct discount_code_row *out)
{
    return db_one(st, S_CODE_GET, P(SP_I64(account_id), SP_I64(code_id)), sizeof(struct discount_code_row),
                  read_code, release_code, NULL, out);
}

struct code_assign {
    int64_t account_id, campaign_id, recipient_id;
    struct discount_code_row *out;
};

/* The code of a recipient, else the first free one taken for it. On PostgreSQL two recipients
 * taking the same free code conflict, and the loser runs again with the next. */
static enum db_status code_take(struct store *st, void *cls)
{
    const struct code_assign *a = cls;
    enum db_status r = db_one(st, S_CODE_OF_RECIPIENT,
                              P(SP_I64(a->account_id), SP_I64(a->campaign_id), SP_I64(a->recipient_id)),
                              sizeof *a->out, read_code, release_code, NULL, a->out);
    if (r != DB_NONE) return r;
    r = db_one(st, S_CODE_FREE, P(SP_I64(a->account_id), SP_I64(a->campaign_id)), sizeof *a->out, read_code,
               release_code, NULL, a->out);
    if (r != DB_ONE) return r;
    a->out->recipient_id = a->recipient_id;
    r = db_exec(st, S_CODE_TAKE, P(SP_I64(a->recipient_id), SP_I64(now_ms()), SP_I64(a->out->id)));
    if (r == DB_ONE) return DB_ONE;
    blob_release(&a->out->code);
    return r < 0 ? r : DB_HARD;
}

enum db_status stmt_code_assign(struct store *st, int64_t account_id, int64_t campaign_id,
                                int64_t recipient_id, struct discount_code_row *out)
{
    return db_txn(st, TX_NORMAL, code_take,
                  &(struct code_assign){account_id, campaign_id, recipient_id, out});
}

/* ---- media ------------------------------------------------------------------------------------- */

static int read_media(void *cls, const struct db_row *r, void *elem)
{
    struct media_row *m = elem;
    m->id = db_i64(r, 0);
    db_copy(r, 1, m->kind, sizeof m->kind);
    db_copy(r, 2, m->mime, sizeof m->mime);
    m->size = db_i64(r, 3);
    db_copy(r, 4, m->sha256, sizeof m->sha256);
    db_copy(r, 5, m->storage_key, sizeof m->storage_key);
    m->created_at = db_i64(r, 6);
    return TGR_OK;
}

struct media_new {
    int64_t account_id;
    const struct media_row *m;
    struct media_row *out;
};

static enum db_status media_insert(struct store *st, void *cls)
{
    const struct media_new *w = cls;
    const struct media_row *m = w->m;
    enum db_status ins = db_exec(st, S_MEDIA_INSERT,
                                 P(SP_I64(w->account_id), SP_STR(m->kind), SP_STR(m->mime), SP_I64(m->size),
                                   SP_STR(m->sha256), SP_STR(m->storage_key), SP_I64(now_ms())));
    if (ins < 0) return ins;
    enum db_status r = db_one(st, S_MEDIA_BY_SHA, P(SP_I64(w->account_id), SP_STR(m->sha256)), sizeof *w->out,
                              read_media, NULL, NULL, w->out);
    return r == DB_ONE ? ins : r == DB_NONE ? DB_HARD : r; /* ins: DB_ONE new, DB_NONE already there */
}

enum db_status stmt_media_add(struct store *st, int64_t account_id, const struct media_row *m,
                              struct media_row *out)
{
    return db_txn(st, TX_NORMAL, media_insert, &(struct media_new){account_id, m, out});
}

enum db_status stmt_media_get(struct store *st, int64_t account_id, int64_t id, struct media_row *out)
{
    return db_one(st, S_MEDIA_GET, P(SP_I64(account_id), SP_I64(id)), sizeof *out, read_media, NULL, NULL,
                  out);
}

/* ---- tracked links ----------------------------------------------------------------------------- */

struct link_new {
    int64_t account_id, campaign_id;
    const char *url;
    int64_t *link_id;
};

static enum db_status link_insert(struct store *st, void *cls)
{
    const struct link_new *l = cls;
    /* The tracking code: 8 random bytes in hex, unique in the table. */
    unsigned char raw[8];
    char code[2 * sizeof raw + 1];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(code, sizeof code, raw, sizeof raw);
    enum db_status r = db_exec(
        st, S_LINK_INSERT, P(SP_I64(l->account_id), SP_I64(l->campaign_id), SP_STR(l->url), SP_STR(code)));
    if (r >= 0)
        r = db_ints(st, S_LINK_GET, P(SP_I64(l->account_id), SP_I64(l->campaign_id), SP_STR(l->url)),
                    l->link_id, 1);
    return r == DB_NONE ? DB_HARD : r;
}

enum db_status stmt_link_ensure(struct store *st, int64_t account_id, int64_t campaign_id, const char *url,
                                int64_t *link_id)
{
    return db_txn(st, TX_NORMAL, link_insert, &(struct link_new){account_id, campaign_id, url, link_id});
}

struct link_read {
    int64_t *account_id, *campaign_id;
    char **url;
};

static int read_link(void *cls, const struct db_row *r)
{
    const struct link_read *l = cls;
    *l->account_id = db_i64(r, 0);
    *l->campaign_id = db_i64(r, 1);
    *l->url = db_dup(r, 2);
    return *l->url ? 1 : -1;
}

enum db_status stmt_link_get(struct store *st, int64_t link_id, int64_t *account_id, int64_t *campaign_id,
                             char **url)
{
    struct link_read l = {account_id, campaign_id, url};
    *url = NULL;
    return db_rows(st, S_LINK_BY_ID, P(SP_I64(link_id)), read_link, &l);
}
