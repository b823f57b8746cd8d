/* sync — dialog import, sealing and blind indexes of contacts; see sync.h. */
#include "tg/sync.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/log.h"
#include "core/phone.h"
#include "base/util.h"
#include "cluster/cluster.h"
#include "crypto/seal.h"
#include "core/categories.h"
#include "core/privacy.h"
#include "tg/bridge.h"
#include "tg/session.h"

#define SYNC_PAGE       500 /* the bridge protocol's most (MAX_SYNC_LIMIT): fewer commits and pages */
#define SYNC_TIMEOUT_MS 60000
#define SYNC_LOCKS      64

/* One sync per account at a time; accounts share 64 striped locks. */
static pthread_mutex_t sync_locks[SYNC_LOCKS] = {[0 ... SYNC_LOCKS - 1] = PTHREAD_MUTEX_INITIALIZER};

/* A string field of a JSON object, or NULL when missing, null or empty. */
static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (json_is_string(v) && json_string_length(v) > 0) return json_string_value(v);
    return NULL;
}

/* A 64-bit id given as a string or a number, as a decimal string. */
static int jid(json_t *o, const char *k, char *out, size_t cap)
{
    json_t *v = json_object_get(o, k);
    if (json_is_string(v)) {
        int64_t n;
        if (parse_i64(json_string_value(v), INT64_MIN, INT64_MAX, &n) != TGR_OK) return TGR_ERR;
        snprintf(out, cap, "%lld", (long long)n);
        return TGR_OK;
    }
    if (json_is_integer(v)) {
        snprintf(out, cap, "%lld", (long long)json_integer_value(v));
        return TGR_OK;
    }
    return TGR_ERR;
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Username as indexed: lowercase, without a leading '@'. */
static void norm_username(const char *in, char *out, size_t cap)
{
    if (*in == '@') in++;
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = 0;
}

/* When a message was sent (unix ms): its date, or now when it has none (a live event). */
static int64_t message_at(json_t *m)
{
    json_t *date = json_object_get(m, "date");
    return json_is_number(date) ? (int64_t)(json_number_value(date) * 1000) : now_ms();
}

/* An inbound message the account keeps: one from the customer, written after they were last
 * erased (erased_at 0: never). Old history synced again must not bring an erased person back. */
static int kept_inbound(json_t *m, int64_t erased_at)
{
    return !json_is_true(json_object_get(m, "out")) && (!erased_at || message_at(m) > erased_at);
}

static int has_inbound(json_t *d, int64_t erased_at)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(d, "messages"), i, m)
    {
        if (kept_inbound(m, erased_at)) return 1;
    }
    return 0;
}

enum db_status sync_import_dialog(struct app *app, int64_t account_id, json_t *d, struct sync_counts *counts)
{
    struct store *st = app->store;
    char uid[24], ah[24];
    if (jid(d, "user_id", uid, sizeof uid) != TGR_OK) return DB_NONE; /* not a user we can address: skip */
    int have_ah = jid(d, "access_hash", ah, sizeof ah) == TGR_OK;
    const char *first = jstr(d, "first_name"), *last = jstr(d, "last_name"), *user = jstr(d, "username");
    char phone[20] = "";
    const char *raw_phone = jstr(d, "phone");
    if (raw_phone && phone_normalize(raw_phone, phone, sizeof phone) != TGR_OK) phone[0] = 0;
    char rk[64];
    contact_row_key(account_id, uid, rk, sizeof rk);

    char kept_first[256], kept_last[256], kept_user[64];
    int64_t erased_at = 0;
    enum db_status r = erasure_time(app, account_id, uid, &erased_at);
    if (r < 0) return r;
    struct contact cur;
    r = st->contact_by_tg_id(st, account_id, uid, &cur);
    if (r < 0) return r;
    if (r == DB_NONE && !has_inbound(d, erased_at))
        return DB_NONE; /* only the shop wrote in this chat (or all they wrote was erased) */
    int is_new = r == DB_NONE, linked_orders = 0;
    int64_t contact_id = cur.id;
    int changed = r == DB_NONE;
    if (r == DB_ONE) {
        struct contact_plain p;
        if (contact_open(app, account_id, &cur, &p) != TGR_OK) {
            changed = 1; /* unreadable: rewrite from what Telegram says now */
        } else {
            /* A live event may lack fields the dialog had (access hash, phone): keep those. One
             * without a first name carries no profile at all (Telegram's short updates, a sender
             * the bridge could not look up; every Telegram user has a first name): keep the
             * names as stored rather than clear them. */
            if (!first && p.first_name) {
                snprintf(kept_first, sizeof kept_first, "%s", p.first_name);
                snprintf(kept_last, sizeof kept_last, "%s", p.last_name ? p.last_name : "");
                snprintf(kept_user, sizeof kept_user, "%s", p.username ? p.username : "");
                first = kept_first;
                last = p.last_name ? kept_last : NULL;
                user = p.username ? kept_user : NULL;
            }
            changed = !same(p.first_name, first) || !same(p.last_name, last) || !same(p.username, user) ||
                      (phone[0] && !same(p.phone, phone)) || (have_ah && !same(p.access_hash, ah));
            if (!have_ah && p.access_hash) {
                snprintf(ah, sizeof ah, "%s", p.access_hash);
                have_ah = 1;
            }
            if (!phone[0] && p.phone) snprintf(phone, sizeof phone, "%s", p.phone);
            contact_plain_release(&p);
        }
    }
    contact_release(&cur);
    if (changed) {
        struct contact c;
        memset(&c, 0, sizeof c);
        c.id = contact_id;
        snprintf(c.tg_user_id, sizeof c.tg_user_id, "%s", uid);
        if (contact_seal_field(app, "access_hash", rk, have_ah ? ah : NULL, &c.access_hash) ||
            contact_seal_field(app, "first_name", rk, first, &c.first_name) ||
            contact_seal_field(app, "last_name", rk, last, &c.last_name) ||
            contact_seal_field(app, "username", rk, user, &c.username) ||
            contact_seal_field(app, "phone", rk, phone[0] ? phone : NULL, &c.phone)) {
            contact_release(&c);
            return DB_HARD;
        }
        if (phone[0]) blind_index(app->kr, "contacts.phone", phone, c.phone_bidx);
        if (user) {
            char u[64];
            norm_username(user, u, sizeof u);
            blind_index(app->kr, "contacts.username", u, c.username_bidx);
        }
        r = st->contact_save(st, account_id, &c, &contact_id);
        if (r >= 0 && c.id == 0) /* a new customer: orders that named them before now count */
            r = st->orders_link_contact(st, account_id, contact_id, uid, c.phone_bidx, c.username_bidx,
                                        &linked_orders);
        contact_release(&c);
        if (r < 0) return r;
        if (counts) {
            if (c.id == 0)
                counts->contacts_added++;
            else
                counts->contacts_updated++;
        }
    }

    size_t i;
    json_t *m, *messages = json_object_get(d, "messages");
    int added = 0;
    int64_t first_at = 0, last_at = 0;
    /* A new contact is classified from the texts at hand (categories_first), borrowed from d. */
    const char **texts = is_new ? calloc(json_array_size(messages) + 1, sizeof *texts) : NULL;
    if (is_new && !texts) return DB_HARD;
    json_array_foreach(messages, i, m)
    {
        if (!kept_inbound(m, erased_at)) continue;
        json_t *mid = json_object_get(m, "message_id");
        const char *text = json_string_value(json_object_get(m, "text"));
        if (!json_is_integer(mid)) continue;
        char mrk[96];
        snprintf(mrk, sizeof mrk, "%s:%lld", rk, (long long)json_integer_value(mid));
        struct blob sealed = {0};
        if (seal(app->kr, "inbound_messages", "text", mrk, text ? text : "", text ? strlen(text) : 0,
                 &sealed.p, &sealed.len) != TGR_OK) {
            free(texts);
            return DB_HARD;
        }
        int64_t at = message_at(m);
        r = st->inbound_insert(st, account_id, contact_id, json_integer_value(mid), &sealed, at);
        blob_release(&sealed);
        if (r < 0) {
            free(texts);
            return r;
        }
        if (r == DB_ONE) {
            if (texts) texts[added] = text ? text : "";
            if (!added || at < first_at) first_at = at;
            if (!added || at > last_at) last_at = at;
            added++;
            if (counts) counts->messages_added++;
        }
    }
    /* Counted on the contact once for the dialog (inside the caller's transaction), not once per
     * message: each count rewrites the contact's row and its audience index entry. */
    r = added ? st->inbound_count(st, account_id, contact_id, added, first_at, last_at) : DB_ONE;
    if (r < 0) {
        free(texts);
        return r;
    }
    /* New words from the customer may change what they are (buyer, browser, refund risk). */
    if (is_new)
        r = categories_first(app, account_id, contact_id, texts, (size_t)added, linked_orders);
    else if (added || changed)
        r = categories_recompute(app, account_id, contact_id);
    else
        r = DB_ONE;
    free(texts);
    return r < 0 ? DB_HARD : DB_ONE;
}

struct page_ctx {
    struct app *app;
    int64_t account_id;
    json_t *dialogs;
    struct sync_counts counts; /* of this page: added to the total only if it commits */
};

static enum db_status import_page(struct store *st, void *cls)
{
    struct page_ctx *pc = cls;
    size_t i;
    json_t *d;
    memset(&pc->counts, 0, sizeof pc->counts);
    json_array_foreach(pc->dialogs, i, d)
    {
        enum db_status r = sync_import_dialog(pc->app, pc->account_id, d, &pc->counts);
        if (r < 0) return r;
    }
    return DB_ONE;
}

/* One page asked of the bridge, on a thread of its own so that the next page is fetched (the
 * bridge builds it, the bridge thread parses it) while this one is written: a 100,000-dialog sync
 * spent a third of its time waiting for pages (DECISIONS 79). */
struct fetch {
    struct app *app;
    int64_t account_id;
    json_t *cursor; /* owned: null for the first page */
    json_t *result; /* owned by the caller once joined */
    struct bridge_error err;
    int rc;
    pthread_t thread;
};

static void *fetch_page(void *cls)
{
    struct fetch *f = cls;
    json_t *req = json_pack("{s:s, s:I, s:O, s:i}", "op", "sync", "account", (json_int_t)f->account_id,
                            "cursor", f->cursor, "limit", SYNC_PAGE);
    f->result = NULL;
    f->rc = req ? tgs_call(f->app, f->account_id, req, SYNC_TIMEOUT_MS, &f->result, &f->err) : TGR_ERR;
    if (!req) snprintf(f->err.code, sizeof f->err.code, "NOMEM");
    json_decref(req);
    json_decref(f->cursor);
    f->cursor = NULL;
    return NULL;
}

/* Start fetching the page after cursor (taken); without a thread, fetch it here and now. */
static void fetch_start(struct fetch *f, json_t *cursor)
{
    memset(&f->err, 0, sizeof f->err);
    f->cursor = cursor;
    if (pthread_create(&f->thread, NULL, fetch_page, f) != 0) {
        fetch_page(f); /* no thread: fetch it now, as before */
        f->thread = pthread_self();
    }
}

static void fetch_wait(struct fetch *f)
{
    if (!pthread_equal(f->thread, pthread_self())) pthread_join(f->thread, NULL);
}

int sync_account(struct app *app, int64_t account_id, struct sync_counts *counts, struct bridge_error *err)
{
    memset(counts, 0, sizeof *counts);
    char owner[128];
    if (!cluster_is_local(app->cluster, account_id, owner, sizeof owner)) {
        /* The account's client runs on another instance: the sync runs there. */
        json_t *result = NULL;
        if (cluster_remote(app->cluster, owner, account_id, "sync", json_null(), SYNC_TIMEOUT_MS * 4, &result,
                           err) != TGR_OK)
            return TGR_ERR;
        counts->contacts_added = json_integer_value(json_object_get(result, "contacts_added"));
        counts->contacts_updated = json_integer_value(json_object_get(result, "contacts_updated"));
        counts->messages_added = json_integer_value(json_object_get(result, "messages_added"));
        json_decref(result);
        return TGR_OK;
    }
    pthread_mutex_t *lock = &sync_locks[(uint64_t)account_id % SYNC_LOCKS];
    pthread_mutex_lock(lock);
    int64_t t0 = mono_ms();
    struct fetch f = {.app = app, .account_id = account_id};
    int rc = TGR_OK;
    fetch_start(&f, json_null());
    for (;;) {
        fetch_wait(&f);
        if (f.rc != TGR_OK) {
            *err = f.err;
            rc = TGR_ERR;
            break;
        }
        json_t *result = f.result;
        json_t *next = json_object_get(result, "next_cursor");
        /* The next page is asked for before this one is written; a page that fails to write
         * stops the sync, and the page fetched meanwhile is dropped. */
        int more = json_is_string(next);
        if (more) fetch_start(&f, json_incref(next));
        struct page_ctx pc = {app, account_id, json_object_get(result, "dialogs"), {0, 0, 0}};
        enum db_status r = app->store->txn(app->store, TX_NORMAL, import_page, &pc);
        json_decref(result);
        if (r < 0) {
            if (more) {
                fetch_wait(&f);
                json_decref(f.result);
            }
            snprintf(err->code, sizeof err->code, "STORE");
            snprintf(err->message, sizeof err->message, "the database refused the imported contacts");
            rc = TGR_ERR;
            break;
        }
        counts->contacts_added += pc.counts.contacts_added;
        counts->contacts_updated += pc.counts.contacts_updated;
        counts->messages_added += pc.counts.messages_added;
        if (!more) break;
    }
    pthread_mutex_unlock(lock);
    if (rc == TGR_OK)
        log_info("sync", "account %lld: %lld contacts added, %lld updated, %lld messages added in %lld ms",
                 (long long)account_id, (long long)counts->contacts_added,
                 (long long)counts->contacts_updated, (long long)counts->messages_added,
                 (long long)(mono_ms() - t0));
    else
        log_warn("sync", "account %lld: sync stopped: %s", (long long)account_id, err->code);
    return rc;
}

struct event_ctx {
    struct app *app;
    int64_t account_id;
    json_t *dialog;
    int64_t contact_id;
};

static enum db_status import_event(struct store *st, void *cls)
{
    struct event_ctx *ec = cls;
    enum db_status r = sync_import_dialog(ec->app, ec->account_id, ec->dialog, NULL);
    if (r < 0) return r;
    char uid[24];
    struct contact c;
    if (jid(ec->dialog, "user_id", uid, sizeof uid) == TGR_OK &&
        st->contact_by_tg_id(st, ec->account_id, uid, &c) == DB_ONE) {
        ec->contact_id = c.id;
        contact_release(&c);
    }
    return r;
}

enum db_status sync_import_event(struct app *app, int64_t account_id, json_t *ev, int64_t *contact_id)
{
    json_t *from = json_object_get(ev, "from");
    if (!json_is_object(from)) return DB_NONE;
    json_t *dialog = json_deep_copy(from);
    json_t *msg =
        json_pack("{s:O, s:O, s:O, s:b}", "message_id", json_object_get(ev, "message_id"), "text",
                  json_object_get(ev, "text") ? json_object_get(ev, "text") : json_null(), "date",
                  json_object_get(ev, "date") ? json_object_get(ev, "date") : json_null(), "out", 0);
    json_object_set_new(dialog, "messages", json_pack("[o]", msg));
    struct event_ctx ec = {app, account_id, dialog, 0};
    enum db_status r = app->store->txn(app->store, TX_NORMAL, import_event, &ec);
    json_decref(dialog);
    if (contact_id) *contact_id = ec.contact_id;
    return r;
}
