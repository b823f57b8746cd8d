/* test_store — the storage interface: migrations (idempotent), accounts (create, duplicate,
 * lookups), meta, readers and writers on many threads, transactions that race, and every other
 * function of struct store, each called on its own (the *_pieces tests: the data operations the
 * rules compose) and through the rules of core/ and cluster/ that compose them (start, outcome,
 * reactions, clicks, attribution, lease rounds), so that those run on both backends too.
 * Written against struct store (with one read by SQL, for what no function reads back), and run
 * on both backends: SQLite by default, PostgreSQL when TGR_TEST_PG names a server (a postgres://
 * URL of a user that may create databases, or a file holding one, as scripts/pg.sh writes); each
 * test then gets a database of its own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "base/util.h"
#include "cluster/cluster.h"
#include "core/attribution.h"
#include "core/launch.h"
#include "core/outcome.h"
#include "core/progress.h"
#include "store/db.h"
#include "store/sql.h"
#include "store/store.h"
#include "unit_store.h"

struct fx {
    char dir[64];
    struct store *st;
    char db[64]; /* PostgreSQL: this test's database */
    char url[512];
};

/* Open the store under test: SQLite in f->dir, or a new PostgreSQL database. */
static struct store *open_store(struct fx *f)
{
    return unit_store_open(f->dir, f->db, sizeof f->db, f->url, sizeof f->url);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/tgr-store-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    f->st = open_store(f);
    if (!f->st) return -1;
    int applied = -1;
    if (f->st->migrate(f->st, &applied) != DB_ONE || applied < 1) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    int rc = unit_store_close(f->st, f->db, f->dir);
    free(f);
    return rc;
}

static void migrate_is_idempotent(void **state)
{
    struct fx *f = *state;
    int applied = -1;
    assert_int_equal(f->st->migrate(f->st, &applied), DB_ONE);
    assert_int_equal(applied, 0);
}

static struct account new_account(const char *email)
{
    struct account a = {0};
    snprintf(a.email, sizeof a.email, "%s", email);
    snprintf(a.password_hash, sizeof a.password_hash, "$argon2id$fake");
    snprintf(a.plan_type, sizeof a.plan_type, "free");
    return a;
}

static void accounts_round_trip(void **state)
{
    struct fx *f = *state;
    struct account a = new_account("shop@example.com"), got;
    int64_t id = 0, id2 = 0;
    assert_int_equal(f->st->account_create(f->st, &a, "keyhash1", &id), DB_ONE);
    assert_true(id > 0);
    assert_int_equal(f->st->account_by_email(f->st, "shop@example.com", &got), DB_ONE);
    assert_int_equal(got.id, id);
    assert_string_equal(got.timezone, "UTC");
    assert_int_equal(got.frequency_cap_days, 2);
    assert_int_equal(got.webhook_secret_set, 0);
    assert_int_equal(f->st->account_by_api_key(f->st, "keyhash1", &got), DB_ONE);
    assert_int_equal(got.id, id);
    assert_int_equal(f->st->account_by_api_key(f->st, "nope", &got), DB_NONE);
    assert_int_equal(f->st->account_get(f->st, id + 100, &got), DB_NONE);

    /* The same email again changes nothing. */
    struct account dup = new_account("shop@example.com");
    assert_int_equal(f->st->account_create(f->st, &dup, "keyhash2", &id2), DB_NONE);
    assert_int_equal(f->st->account_by_api_key(f->st, "keyhash2", &got), DB_NONE);

    /* New accounts: no daily limit, a streak of 5 pauses (issue 15). */
    assert_int_equal(got.daily_send_limit, 0);
    assert_int_equal(got.error_streak_limit, 5);
    struct account set = got;
    snprintf(set.timezone, sizeof set.timezone, "Europe/Berlin");
    set.frequency_cap_days = 5;
    set.daily_send_limit = 40;
    set.error_streak_limit = 7;
    assert_int_equal(f->st->account_update(f->st, &set), DB_ONE);
    assert_int_equal(f->st->account_get(f->st, id, &got), DB_ONE);
    assert_string_equal(got.timezone, "Europe/Berlin");
    assert_int_equal(got.frequency_cap_days, 5);
    assert_int_equal(got.daily_send_limit, 40);
    assert_int_equal(got.error_streak_limit, 7);

    const unsigned char sealed[] = {1, 2, 3, 0, 4};
    assert_int_equal(f->st->account_set_webhook_secret(f->st, id, sealed, sizeof sealed), DB_ONE);
    unsigned char *out = NULL;
    size_t len = 0;
    assert_int_equal(f->st->account_webhook_secret(f->st, id, &out, &len), DB_ONE);
    assert_int_equal(len, sizeof sealed);
    assert_memory_equal(out, sealed, sizeof sealed);
    free(out);
    assert_int_equal(f->st->account_get(f->st, id, &got), DB_ONE);
    assert_int_equal(got.webhook_secret_set, 1);
}

static void meta_values(void **state)
{
    struct fx *f = *state;
    char v[64];
    assert_int_equal(f->st->meta_get(f->st, "k", v, sizeof v), DB_NONE);
    assert_int_equal(f->st->meta_set(f->st, "k", "one"), DB_ONE);
    assert_int_equal(f->st->meta_set(f->st, "k", "two"), DB_ONE);
    assert_int_equal(f->st->meta_get(f->st, "k", v, sizeof v), DB_ONE);
    assert_string_equal(v, "two");
}

struct worker_arg {
    struct store *st;
    int base;
    int failures;
};

static void *hammer(void *p)
{
    struct worker_arg *w = p;
    for (int i = 0; i < 50; i++) {
        char email[64];
        snprintf(email, sizeof email, "t%d-%d@example.com", w->base, i);
        struct account a = new_account(email), got;
        int64_t id;
        char key[32];
        snprintf(key, sizeof key, "k%d-%d", w->base, i);
        if (w->st->account_create(w->st, &a, key, &id) != DB_ONE) w->failures++;
        if (w->st->account_by_email(w->st, email, &got) != DB_ONE || got.id != id) w->failures++;
        if (w->st->ping(w->st) != DB_ONE) w->failures++;
    }
    return NULL;
}

static void many_threads_read_and_write(void **state)
{
    struct fx *f = *state;
    pthread_t t[4];
    struct worker_arg w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker_arg){f->st, i, 0};
        pthread_create(&t[i], NULL, hammer, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
}

/* Transactions that read, add one and write the same row race on every thread; none of the
 * committed increments may be lost (PostgreSQL: serialization failures are run again). */
static enum db_status add_one(struct store *st, void *cls)
{
    char v[32] = "0";
    enum db_status r = st->meta_get(st, "counter", v, sizeof v);
    if (r < 0) return r;
    char next[32];
    snprintf(next, sizeof next, "%ld", strtol(v, NULL, 10) + 1);
    return st->meta_set(st, "counter", next);
}

struct racer {
    struct store *st;
    int committed, failures;
};

static void *race(void *p)
{
    struct racer *w = p;
    for (int i = 0; i < 25; i++) {
        enum db_status r = w->st->txn(w->st, TX_NORMAL, add_one, NULL);
        if (r == DB_ONE)
            w->committed++;
        else
            w->failures++;
    }
    return NULL;
}

static void racing_transactions_lose_nothing(void **state)
{
    struct fx *f = *state;
    pthread_t t[4];
    struct racer w[4];
    int committed = 0, failures = 0;
    for (int i = 0; i < 4; i++) {
        w[i] = (struct racer){f->st, 0, 0};
        pthread_create(&t[i], NULL, race, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        committed += w[i].committed;
        failures += w[i].failures;
    }
    char v[32];
    assert_int_equal(f->st->meta_get(f->st, "counter", v, sizeof v), DB_ONE);
    assert_int_equal(strtol(v, NULL, 10), committed);
    assert_true(failures <= 4); /* a retry budget exhausted now and then, never as a rule */
}

static void bad_urls_are_refused(void **state)
{
    char err[256];
    assert_null(store_open("mysql://x", "/tmp", err, sizeof err));
    assert_non_null(strstr(err, "sqlite:"));
    assert_null(store_open("sqlite:/nonexistent-dir/x/y.db", "/tmp", err, sizeof err));
    /* An unreachable server is named in the error, its password never. */
    assert_null(store_open("postgres://shop:s3cretpw@127.0.0.1:1/tgr", "/tmp", err, sizeof err));
    assert_non_null(strstr(err, "127.0.0.1"));
    assert_null(strstr(err, "s3cretpw"));
    assert_null(store_open("postgresql://shop:s3cretpw@127.0.0.1:1/tgr", "/tmp", err, sizeof err));
    assert_null(strstr(err, "s3cretpw"));
}

/* ---- callbacks that record what the store reports ---------------------------------------------- */

struct fail_seen {
    char code[32];
    int64_t n;
    int calls;
};

static void failures_cb(void *cls, const char *code, int64_t n)
{
    struct fail_seen *fs = cls;
    snprintf(fs->code, sizeof fs->code, "%s", code);
    fs->n = n;
    fs->calls++;
}

/* What campaigns_by_status reported, as "draft=1,running=1" (in its order). */
static void statuses_cb(void *cls, const char *status, int64_t n)
{
    char *out = cls;
    size_t len = strlen(out);
    snprintf(out + len, 128 - len, "%s%s=%lld", len ? "," : "", status, (long long)n);
}

/* campaigns_by_status and outbox_depth (every account's) as "statuses depth". */
static void assert_gauges(struct store *st, const char *statuses, int64_t depth)
{
    char got[128] = "";
    int64_t n = -1;
    assert_int_equal(st->campaigns_by_status(st, statuses_cb, got), DB_ONE);
    assert_string_equal(got, statuses);
    assert_int_equal(st->outbox_depth(st, &n), DB_ONE);
    assert_int_equal(n, depth);
}

/* Up to 8 rows of integers a callback reported. */
struct seen {
    int n;
    int64_t v[8][5];
    char text[8][64];
};

static void times_cb(void *cls, int64_t at)
{
    struct seen *s = cls;
    if (s->n < 8) s->v[s->n++][0] = at;
}

static void link_cb(void *cls, int64_t id, const char *url, int64_t clicks, int64_t unique, int64_t revenue)
{
    struct seen *s = cls;
    if (s->n >= 8) return;
    int64_t row[5] = {id, clicks, unique, revenue, 0};
    memcpy(s->v[s->n], row, sizeof row);
    snprintf(s->text[s->n++], sizeof s->text[0], "%s", url);
}

static void rev_cb(void *cls, int64_t key, int64_t orders, int64_t revenue)
{
    struct seen *s = cls;
    if (s->n >= 8) return;
    int64_t row[5] = {key, orders, revenue, 0, 0};
    memcpy(s->v[s->n++], row, sizeof row);
}

static void rev_campaign_cb(void *cls, int64_t id, const char *name, int64_t revenue, int64_t orders)
{
    struct seen *s = cls;
    if (s->n >= 8) return;
    int64_t row[5] = {id, revenue, orders, 0, 0};
    memcpy(s->v[s->n], row, sizeof row);
    snprintf(s->text[s->n++], sizeof s->text[0], "%s", name);
}

struct audience_seen {
    int n, stop_after;
    int64_t ids[16];
    size_t category_len[16];
    int64_t tags[16];
    int marks[16]; /* 1 charges, 2 privacy_restricted */
};

static int audience_cb(void *cls, const struct audience_row *row)
{
    struct audience_seen *s = cls;
    if (s->n < 16) {
        s->ids[s->n] = row->contact_id;
        s->category_len[s->n] = row->category.p ? row->category.len : 0;
        s->tags[s->n] = row->category_tag;
        s->marks[s->n] = (row->charges ? 1 : 0) | (row->privacy_restricted ? 2 : 0);
    }
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

/* ---- every other function of struct store, domain by domain ---------------------------------- */

static int64_t make_account(struct store *st, const char *email)
{
    struct account a = new_account(email);
    int64_t id = 0;
    assert_int_equal(st->account_create(st, &a, email, &id), DB_ONE);
    return id;
}

static struct blob bl(const char *s)
{
    return (struct blob){(unsigned char *)s, strlen(s)};
}

static int64_t make_contact(struct store *st, int64_t account, const char *tg_user_id)
{
    struct contact c = {0};
    snprintf(c.tg_user_id, sizeof c.tg_user_id, "%s", tg_user_id);
    c.first_name = bl("first");
    int64_t id = 0;
    assert_int_equal(st->contact_save(st, account, &c, &id), DB_ONE);
    assert_true(id > 0);
    return id;
}

static int64_t make_campaign(struct store *st, int64_t account, const char *name)
{
    struct campaign c = {0};
    snprintf(c.name, sizeof c.name, "%s", name);
    c.message_text = "hello {first_name}";
    c.track_links = 1;
    int64_t id = 0;
    assert_int_equal(st->campaign_create(st, account, &c, &id), DB_ONE);
    assert_true(id > 0);
    return id;
}

/* Claim the next due row of the account and send (sent 1) or fail (sent 0) it; returns its id. */
static int64_t finish_next(struct store *st, int64_t account, int sent, int64_t *contact)
{
    struct recipient r;
    assert_int_equal(st->recipient_next(st, account, now_ms(), &r), DB_ONE);
    char rid[24];
    snprintf(rid, sizeof rid, "%lld", (long long)(1000 + r.id));
    assert_int_equal(st->recipient_claim(st, account, r.id, rid, NULL), DB_ONE);
    struct send_outcome o = {.recipient_id = r.id,
                             .campaign_id = r.campaign_id,
                             .contact_id = r.contact_id,
                             .step = r.step,
                             .attempt = 1,
                             .status = sent ? RECIPIENT_SENT : RECIPIENT_FAILED,
                             .log_status = sent ? "sent" : "failed",
                             .error_code = sent ? NULL : "USER_IS_BLOCKED",
                             .tg_message_id = sent ? 500 + r.id : 0};
    assert_int_equal(recipient_finish(st, account, &o), DB_ONE);
    if (contact) *contact = r.contact_id;
    return r.id;
}

/* Start a draft campaign for contacts[0..n) and claim, then send, each of its step-0 rows. */
static void send_all(struct store *st, int64_t account, int64_t campaign, const int64_t *contacts, size_t n,
                     int64_t *rids)
{
    assert_int_equal(campaign_start(st, account, campaign, contacts, n, 0, NULL), START_OK);
    for (size_t i = 0; i < n; i++) {
        int64_t contact = 0, id = finish_next(st, account, 1, &contact);
        assert_int_equal(contact, contacts[i]);
        if (rids) rids[i] = id;
    }
}

static void sessions_round_trip(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "s@example.com"), b = make_account(st, "t@example.com");
    struct tg_session s;
    assert_int_equal(st->session_get(st, a, &s), DB_NONE);
    struct tg_session in = {.session = bl("sealed-session"), .phone = bl("sealed-phone")};
    snprintf(in.status, sizeof in.status, "code_sent");
    assert_int_equal(st->session_put(st, a, &in), DB_ONE);
    assert_int_equal(st->session_get(st, a, &s), DB_ONE);
    assert_string_equal(s.status, "code_sent");
    assert_string_equal(s.tg_user_id, "");
    assert_int_equal(s.session.len, strlen("sealed-session"));
    assert_memory_equal(s.session.p, "sealed-session", s.session.len);
    assert_memory_equal(s.phone.p, "sealed-phone", s.phone.len);
    assert_true(s.updated_at > 0);
    tg_session_release(&s);

    /* put replaces every field: no phone now, a user id */
    in.phone = (struct blob){0};
    snprintf(in.tg_user_id, sizeof in.tg_user_id, "777");
    assert_int_equal(st->session_put(st, a, &in), DB_ONE);
    assert_int_equal(st->session_set_status(st, a, "connected"), DB_ONE);
    assert_int_equal(st->session_set_status(st, b + 100, "connected"), DB_NONE);
    assert_int_equal(st->session_get(st, a, &s), DB_ONE);
    assert_string_equal(s.status, "connected");
    assert_string_equal(s.tg_user_id, "777");
    assert_null(s.phone.p);
    tg_session_release(&s);

    assert_int_equal(st->session_put(st, b, &in), DB_ONE);
    int64_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(st->sessions_connected(st, &ids, &n), DB_ONE);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], a);
    free(ids);
    assert_int_equal(st->session_delete(st, a), DB_ONE);
    assert_int_equal(st->session_get(st, a, &s), DB_NONE);
    assert_int_equal(st->sessions_connected(st, &ids, &n), DB_NONE);
    assert_int_equal(n, 0);
    free(ids);
}

static void contacts_round_trip(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "c@example.com"), other = make_account(st, "o@example.com");
    struct contact c = {0};
    snprintf(c.tg_user_id, sizeof c.tg_user_id, "42");
    c.first_name = bl("Ann");
    c.username = bl("ann_u");
    snprintf(c.phone_bidx, sizeof c.phone_bidx, "pb42");
    snprintf(c.username_bidx, sizeof c.username_bidx, "ub42");
    int64_t id = 0;
    assert_int_equal(st->contact_save(st, a, &c, &id), DB_ONE);
    struct contact got;
    assert_int_equal(st->contact_by_tg_id(st, a, "42", &got), DB_ONE);
    assert_int_equal(got.id, id);
    assert_memory_equal(got.first_name.p, "Ann", 3);
    assert_null(got.last_name.p);
    assert_int_equal(got.inbound_count, 0);
    assert_int_equal(got.first_inbound_at, 0);
    contact_release(&got);
    assert_int_equal(st->contact_by_tg_id(st, other, "42", &got), DB_NONE);
    assert_int_equal(st->contact_get(st, other, id, &got), DB_NONE);

    /* update by id: the sealed fields and blind indexes are replaced */
    c.id = id;
    c.last_name = bl("Lee");
    c.phone_bidx[0] = 0;
    int64_t id2 = 0;
    assert_int_equal(st->contact_save(st, a, &c, &id2), DB_ONE);
    assert_int_equal(id2, id);
    assert_int_equal(st->contact_get(st, a, id, &got), DB_ONE);
    assert_memory_equal(got.last_name.p, "Lee", 3);
    assert_string_equal(got.phone_bidx, "");
    assert_string_equal(got.username_bidx, "ub42");
    contact_release(&got);
    assert_int_equal(st->contact_by_bidx(st, a, "username", "ub42", &got), DB_ONE);
    assert_int_equal(got.id, id);
    contact_release(&got);
    assert_int_equal(st->contact_by_bidx(st, a, "phone", "pb42", &got), DB_NONE);

    /* inbound messages: new once, then known; first/last times and the count follow */
    struct blob t1 = bl("sealed-1"), t2 = bl("sealed-2"), t3 = bl("sealed-3");
    assert_int_equal(st->inbound_add(st, a, id, 10, &t1, 5000), DB_ONE);
    assert_int_equal(st->inbound_add(st, a, id, 10, &t1, 5000), DB_NONE);
    assert_int_equal(st->inbound_add(st, a, id, 11, &t2, 3000), DB_ONE);
    assert_int_equal(st->inbound_add(st, a, id, 12, &t3, 9000), DB_ONE);
    assert_int_equal(st->contact_get(st, a, id, &got), DB_ONE);
    assert_int_equal(got.inbound_count, 3);
    assert_int_equal(got.first_inbound_at, 3000);
    assert_int_equal(got.last_inbound_at, 9000);
    contact_release(&got);
    struct blob *texts = NULL;
    int64_t *mids = NULL;
    size_t n = 0;
    assert_int_equal(st->inbound_recent(st, a, id, 2, &texts, &mids, &n), DB_ONE);
    assert_int_equal(n, 2); /* the two newest, oldest first */
    assert_int_equal(mids[0], 10);
    assert_int_equal(mids[1], 12);
    assert_memory_equal(texts[1].p, "sealed-3", 8);
    for (size_t i = 0; i < n; i++)
        blob_release(&texts[i]);
    free(texts);
    free(mids);
    assert_int_equal(st->inbound_recent(st, a, id + 99, 5, &texts, &mids, &n), DB_NONE);
    free(texts);
    free(mids);
    /* the same in two halves: messages alone, then counted once */
    assert_int_equal(st->inbound_insert(st, a, id, 13, &t1, 2000), DB_ONE);
    assert_int_equal(st->inbound_insert(st, a, id, 13, &t1, 2000), DB_NONE);
    assert_int_equal(st->inbound_insert(st, a, id, 14, &t2, 9500), DB_ONE);
    assert_int_equal(st->inbound_count(st, a, id, 2, 2000, 9500), DB_ONE);
    assert_int_equal(st->contact_get(st, a, id, &got), DB_ONE);
    assert_int_equal(got.inbound_count, 5);
    assert_int_equal(got.first_inbound_at, 2000);
    assert_int_equal(got.last_inbound_at, 9500);
    contact_release(&got);

    /* a category shows on the contact */
    struct blob cat = bl("sealed-cat"), conf = bl("sealed-conf");
    assert_int_equal(st->category_put(st, a, id, &cat, &conf, 0), DB_ONE);
    assert_int_equal(st->category_put(st, a, id, &conf, &cat, 0), DB_ONE);
    assert_int_equal(st->contact_get(st, a, id, &got), DB_ONE);
    assert_memory_equal(got.category.p, "sealed-conf", got.category.len);
    assert_memory_equal(got.confidence.p, "sealed-cat", got.confidence.len);
    contact_release(&got);

    /* pages by id */
    int64_t id3 = make_contact(st, a, "43"), id4 = make_contact(st, a, "44");
    make_contact(st, other, "45");
    struct contact *rows = NULL;
    assert_int_equal(st->contacts_page(st, a, 0, 2, &rows, &n), DB_ONE);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].id, id);
    assert_int_equal(rows[1].id, id3);
    for (size_t i = 0; i < n; i++)
        contact_release(&rows[i]);
    free(rows);
    assert_int_equal(st->contacts_page(st, a, id3, 10, &rows, &n), DB_ONE);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].id, id4);
    contact_release(&rows[0]);
    free(rows);
    assert_int_equal(st->contacts_page(st, a, id4, 10, &rows, &n), DB_NONE);
    assert_int_equal(st->contacts_page(st, a, 0, 0, &rows, &n), DB_NONE);

    /* opting out is once */
    assert_int_equal(contact_opt_out(st, a, id3), DB_ONE);
    assert_int_equal(contact_opt_out(st, a, id3), DB_NONE);
    assert_int_equal(st->contact_get(st, a, id3, &got), DB_ONE);
    assert_true(got.opted_out_at > 0);
    contact_release(&got);
}

static void campaigns_round_trip(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "k@example.com"), other = make_account(st, "x@example.com");

    struct media_row m = {0}, got_m;
    snprintf(m.kind, sizeof m.kind, "photo");
    snprintf(m.mime, sizeof m.mime, "image/png");
    snprintf(m.sha256, sizeof m.sha256, "%064d", 1);
    snprintf(m.storage_key, sizeof m.storage_key, "media/abc");
    m.size = 1234;
    assert_int_equal(st->media_add(st, a, &m, &got_m), DB_ONE);
    int64_t media_id = got_m.id;
    assert_true(media_id > 0);
    struct media_row again;
    assert_int_equal(st->media_add(st, a, &m, &again), DB_NONE); /* same sha256: the row there */
    assert_int_equal(again.id, media_id);
    assert_int_equal(st->media_get(st, a, media_id, &got_m), DB_ONE);
    assert_string_equal(got_m.mime, "image/png");
    assert_int_equal(got_m.size, 1234);
    assert_string_equal(got_m.storage_key, "media/abc");
    assert_int_equal(st->media_get(st, other, media_id, &got_m), DB_NONE);

    struct campaign c = {0};
    snprintf(c.name, sizeof c.name, "Spring");
    c.message_text = "Hi";
    c.filters_json = "{\"min_orders\":1}";
    c.nudges_json = "[]";
    c.track_links = 1;
    c.media_ids[0] = media_id;
    c.n_media = 1;
    int64_t id = 0;
    assert_int_equal(st->campaign_create(st, a, &c, &id), DB_ONE);
    int64_t id2 = make_campaign(st, a, "Summer");
    struct campaign got;
    assert_int_equal(st->campaign_get(st, a, id, &got), DB_ONE);
    assert_string_equal(got.name, "Spring");
    assert_string_equal(got.status, "draft");
    assert_string_equal(got.message_text, "Hi");
    assert_string_equal(got.filters_json, "{\"min_orders\":1}");
    assert_null(got.quiet_hours_json);
    assert_null(got.discount_json);
    assert_int_equal(got.n_media, 1);
    assert_int_equal(got.media_ids[0], media_id);
    assert_int_equal(got.track_links, 1);
    assert_int_equal(got.started_at, 0);
    campaign_release(&got);
    assert_int_equal(st->campaign_get(st, other, id, &got), DB_NONE);

    struct campaign *rows = NULL;
    size_t n = 0;
    assert_int_equal(st->campaign_list(st, a, &rows, &n), DB_ONE);
    assert_int_equal(n, 2); /* newest first */
    assert_int_equal(rows[0].id, id2);
    assert_int_equal(rows[1].id, id);
    assert_int_equal(rows[1].n_media, 1);
    for (size_t i = 0; i < n; i++)
        campaign_release(&rows[i]);
    free(rows);
    assert_int_equal(st->campaign_list(st, other, &rows, &n), DB_NONE);

    /* editable fields of a draft; the media list is replaced */
    c.id = id;
    snprintf(c.name, sizeof c.name, "Spring sale");
    c.discount_json = "{\"mode\":\"static\"}";
    c.n_media = 0;
    assert_int_equal(st->campaign_update(st, a, &c), DB_ONE);
    assert_int_equal(st->campaign_set_override(st, a, id, 1), DB_ONE);
    assert_int_equal(st->campaign_set_nudges(st, a, id, "[{\"after_hours\":1}]"), DB_ONE);
    assert_int_equal(st->campaign_get(st, a, id, &got), DB_ONE);
    assert_string_equal(got.name, "Spring sale");
    assert_string_equal(got.discount_json, "{\"mode\":\"static\"}");
    assert_string_equal(got.nudges_json, "[{\"after_hours\":1}]");
    assert_int_equal(got.override_quiet_hours, 1);
    assert_int_equal(got.n_media, 0);
    campaign_release(&got);

    const int64_t cats[3] = {4, 5, 6};
    assert_int_equal(st->campaign_set_categories(st, a, id, cats), DB_ONE);
    struct campaign_counts k;
    assert_int_equal(st->campaign_counts(st, a, id, &k), DB_ONE);
    assert_int_equal(k.by_category[0], 4);
    assert_int_equal(k.by_category[2], 6);
    assert_int_equal(k.audience, 0);

    /* only drafts are deleted; a running campaign is neither deleted nor edited */
    int64_t ct = make_contact(st, a, "1");
    assert_int_equal(campaign_start(st, a, id2, &ct, 1, 0, NULL), START_OK);
    assert_int_equal(st->campaign_delete(st, a, id2), DB_NONE);
    c.id = id2;
    assert_int_equal(st->campaign_update(st, a, &c), DB_NONE);
    assert_int_equal(st->campaign_delete(st, other, id), DB_NONE);
    assert_int_equal(st->link_ensure(st, a, id, "https://x.example/", &(int64_t){0}), DB_ONE);
    assert_int_equal(st->campaign_delete(st, a, id), DB_ONE);
    assert_int_equal(st->campaign_get(st, a, id, &got), DB_NONE);
}

static void codes_round_trip(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "d@example.com");
    int64_t camp = make_campaign(st, a, "Codes");
    int64_t contacts[2] = {make_contact(st, a, "1"), make_contact(st, a, "2")};
    struct discount_code_row codes[3] = {
        {.code = bl("sealed-A")}, {.code = bl("sealed-B")}, {.code = bl("sealed-C")}};
    snprintf(codes[0].code_bidx, sizeof codes[0].code_bidx, "bA");
    snprintf(codes[1].code_bidx, sizeof codes[1].code_bidx, "bB");
    snprintf(codes[2].code_bidx, sizeof codes[2].code_bidx, "bC");
    assert_int_equal(st->codes_replace(st, a, camp, codes, 2), DB_ONE);
    struct discount_code_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(st->codes_list(st, a, camp, &rows, &n), DB_ONE);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].code_bidx, "bA");
    assert_memory_equal(rows[1].code.p, "sealed-B", 8);
    assert_int_equal(rows[0].recipient_id, 0);
    int64_t first_id = rows[0].id;
    for (size_t i = 0; i < n; i++)
        blob_release(&rows[i].code);
    free(rows);

    /* a recipient gets the first free code, and the same one when asking again */
    assert_int_equal(campaign_start(st, a, camp, contacts, 2, 0, NULL), START_OK);
    struct recipient r;
    assert_int_equal(st->recipient_next(st, a, now_ms(), &r), DB_ONE);
    struct discount_code_row got;
    assert_int_equal(st->code_assign(st, a, camp, r.id, &got), DB_ONE);
    assert_int_equal(got.id, first_id);
    assert_int_equal(got.recipient_id, r.id);
    assert_memory_equal(got.code.p, "sealed-A", 8);
    blob_release(&got.code);
    assert_int_equal(st->code_assign(st, a, camp, r.id, &got), DB_ONE);
    assert_int_equal(got.id, first_id);
    blob_release(&got.code);
    assert_int_equal(st->code_get(st, a, first_id, &got), DB_ONE);
    assert_int_equal(got.recipient_id, r.id);
    assert_string_equal(got.code_bidx, "bA");
    blob_release(&got.code);

    /* replacing keeps assigned codes; an empty pool is DB_NONE */
    assert_int_equal(st->codes_replace(st, a, camp, codes + 2, 1), DB_ONE);
    assert_int_equal(st->codes_list(st, a, camp, &rows, &n), DB_ONE);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].code_bidx, "bA");
    assert_string_equal(rows[1].code_bidx, "bC");
    for (size_t i = 0; i < n; i++)
        blob_release(&rows[i].code);
    free(rows);
    assert_int_equal(st->code_assign(st, a, camp, r.id + 1, &got), DB_ONE);
    assert_string_equal(got.code_bidx, "bC");
    blob_release(&got.code);
    assert_int_equal(st->code_assign(st, a, camp, r.id + 2, &got), DB_NONE);
    assert_int_equal(st->code_get(st, a, first_id + 1000, &got), DB_NONE);
}

/* The engine's batches (DECISIONS 77): a batch of due rows in recipient_next's order, claimed in
 * one group commit with the outcomes waiting for it; a claim that never reached Telegram undone;
 * the contact's address for a message. */
static void outbox_batches(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "batch@example.com");
    int64_t contacts[4] = {make_contact(st, a, "41"), make_contact(st, a, "42"), make_contact(st, a, "43"),
                           make_contact(st, a, "44")};
    int64_t camp = make_campaign(st, a, "Batch");
    struct recipient r[8];
    size_t n = 99;
    assert_int_equal(st->recipients_next(st, a, now_ms(), 0, r, NULL, 8, &n), DB_NONE);
    assert_int_equal(n, 0);
    assert_int_equal(campaign_start(st, a, camp, contacts, 4, 1, NULL), START_OK);
    assert_int_equal(st->recipients_next(st, a, now_ms(), 0, r, NULL, 3, &n), DB_ONE);
    assert_int_equal(n, 3);
    int64_t id[4];
    for (int i = 0; i < 3; i++) {
        assert_string_equal(r[i].status, "pending");
        assert_int_equal(r[i].contact_id, contacts[i]);
        id[i] = r[i].id;
    }
    struct outbox_claim claims[3];
    const char *rids[3] = {"9001", "9002", "9003"};
    for (int i = 0; i < 3; i++)
        claims[i] = (struct outbox_claim){a, id[i], rids[i], NULL, DB_HARD};
    assert_int_equal(outbox_commit(st, claims, 3, NULL, 0), DB_ONE);
    for (int i = 0; i < 3; i++)
        assert_int_equal(claims[i].claimed, DB_ONE);
    /* 'sending' rows first, then the pending one */
    assert_int_equal(st->recipients_next(st, a, now_ms(), 0, r, NULL, 8, &n), DB_ONE);
    assert_int_equal(n, 4);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(r[i].id, id[i]);
        assert_string_equal(r[i].status, "sending");
        assert_string_equal(r[i].random_id, rids[i]);
        assert_int_equal(r[i].attempt, 1);
    }
    id[3] = r[3].id;
    assert_string_equal(r[3].status, "pending");
    /* pending only (the engine holds the 'sending' ones): the same order without them */
    assert_int_equal(st->recipients_next(st, a, now_ms(), 1, r, NULL, 8, &n), DB_ONE);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].id, id[3]);
    assert_int_equal(st->recipients_next(st, a, -1, 1, r, NULL, 8, &n), DB_NONE); /* none due yet */
    /* undone: pending again with its random_id, its attempt as before the claim */
    assert_int_equal(st->recipient_unclaim(st, a, id[1]), DB_ONE);
    assert_int_equal(st->recipient_unclaim(st, a, id[1]), DB_NONE);
    assert_int_equal(st->recipients_next(st, a, now_ms(), 0, r, NULL, 8, &n), DB_ONE);
    assert_int_equal(n, 4);
    assert_int_equal(r[0].id, id[0]);
    assert_int_equal(r[1].id, id[2]);
    assert_int_equal(r[2].id, id[1]);
    assert_string_equal(r[2].status, "pending");
    assert_string_equal(r[2].random_id, "9002");
    assert_int_equal(r[2].attempt, 0);
    /* an outcome and a claim in one commit; a row that moved on is not claimed */
    struct outbox_done done = {a,
                               {.recipient_id = id[0],
                                .campaign_id = camp,
                                .contact_id = contacts[0],
                                .attempt = 1,
                                .status = RECIPIENT_SENT,
                                .log_status = "sent",
                                .tg_message_id = 77}};
    claims[0] = (struct outbox_claim){a, id[1], "9002", NULL, DB_HARD};
    assert_int_equal(outbox_commit(st, claims, 1, &done, 1), DB_ONE);
    assert_int_equal(claims[0].claimed, DB_ONE);
    claims[0] = (struct outbox_claim){a, id[0], "9001", NULL, DB_HARD};
    assert_int_equal(outbox_commit(st, claims, 1, NULL, 0), DB_ONE);
    assert_int_equal(claims[0].claimed, DB_NONE);
    assert_int_equal(st->recipients_next(st, a, now_ms(), 0, r, NULL, 8, &n), DB_ONE);
    assert_int_equal(n, 3);
    assert_int_equal(r[0].id, id[1]);
    assert_int_equal(r[1].id, id[2]);
    assert_int_equal(r[2].id, id[3]);
    /* an outcome the table of moves does not allow writes nothing */
    done.o.recipient_id = id[1];
    done.o.status = RECIPIENT_SENDING;
    assert_int_equal(outbox_commit(st, NULL, 0, &done, 1), DB_HARD);
    /* the address of a message */
    struct contact ct;
    assert_int_equal(st->contact_address(st, a, contacts[2], &ct), DB_ONE);
    assert_int_equal(ct.id, contacts[2]);
    assert_string_equal(ct.tg_user_id, "43");
    assert_int_equal(ct.first_name.len, strlen("first"));
    assert_memory_equal(ct.first_name.p, "first", ct.first_name.len);
    assert_null(ct.access_hash.p);
    contact_release(&ct);
    assert_int_equal(st->contact_address(st, a + 1000, contacts[2], &ct), DB_NONE);
}

static void send_flow(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "e@example.com");
    int64_t contacts[3] = {make_contact(st, a, "1"), make_contact(st, a, "2"), make_contact(st, a, "3")};
    int64_t camp = make_campaign(st, a, "Main"), camp2 = make_campaign(st, a, "Second");
    int64_t *ids = NULL;
    size_t n = 0;
    assert_gauges(st, "draft=2", 0);
    make_campaign(st, make_account(st, "other@example.com"), "Other's");
    assert_gauges(st, "draft=3", 0);
    assert_int_equal(st->accounts_sending(st, &ids, &n), DB_NONE);
    free(ids);
    struct recipient r;
    assert_int_equal(st->recipient_next(st, a, now_ms(), &r), DB_NONE);
    int64_t at = -1;
    assert_int_equal(st->recipient_next_at(st, a, &at), DB_ONE);
    assert_int_equal(at, 0);

    assert_int_equal(campaign_start(st, a, camp, contacts, 3, 1, NULL), START_OK);
    int64_t running = 0;
    assert_int_equal(campaign_start(st, a, camp2, contacts, 3, 0, &running), START_OTHER_RUNNING);
    assert_int_equal(running, camp);
    assert_int_equal(campaign_start(st, a, camp, contacts, 3, 0, NULL),
                     START_NOT_STARTABLE); /* not a draft */
    struct campaign c;
    assert_int_equal(st->campaign_get(st, a, camp, &c), DB_ONE);
    assert_string_equal(c.status, "running");
    assert_int_equal(c.override_quiet_hours, 1);
    assert_true(c.started_at > 0);
    campaign_release(&c);
    assert_int_equal(st->accounts_sending(st, &ids, &n), DB_ONE);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], a);
    free(ids);
    assert_int_equal(st->campaigns_in_status(st, a, "running", &ids, &n), DB_ONE);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], camp);
    free(ids);
    assert_int_equal(st->campaigns_in_status(st, a, "nudging", &ids, &n), DB_NONE);
    int64_t open = 0;
    assert_int_equal(st->campaign_open_rows(st, a, camp, 0, &open), DB_ONE);
    assert_int_equal(open, 3);
    assert_gauges(st, "draft=2,running=1", 3);

    /* the pending rows go out in order; a claimed row comes first until it is finished */
    assert_int_equal(st->recipient_next(st, a, now_ms(), &r), DB_ONE);
    assert_string_equal(r.status, "pending");
    assert_int_equal(r.contact_id, contacts[0]);
    assert_int_equal(r.step, 0);
    int64_t r1 = r.id;
    struct blob code = bl("sealed-code");
    assert_int_equal(st->recipient_claim(st, a, r1, "rid-1", &code), DB_ONE);
    assert_int_equal(st->recipient_claim(st, a, r1, "rid-2", NULL), DB_ONE); /* random_id kept */
    assert_int_equal(st->recipient_next(st, a, now_ms(), &r), DB_ONE);
    assert_int_equal(r.id, r1);
    assert_string_equal(r.status, "sending");
    assert_string_equal(r.random_id, "rid-1");
    assert_int_equal(r.attempt, 2);
    struct blob got;
    assert_int_equal(st->recipient_code(st, a, r1, &got), DB_ONE);
    assert_memory_equal(got.p, "sealed-code", got.len);
    blob_release(&got);
    struct send_outcome o = {.recipient_id = r1,
                             .campaign_id = camp,
                             .contact_id = contacts[0],
                             .attempt = 2,
                             .status = RECIPIENT_SENT,
                             .log_status = "sent",
                             .tg_message_id = 900};
    assert_int_equal(recipient_finish(st, a, &o), DB_ONE);

    /* a retry later: pending with a next attempt time, logged, counted nowhere */
    assert_int_equal(st->recipient_next(st, a, now_ms(), &r), DB_ONE);
    int64_t r2 = r.id;
    assert_int_equal(st->recipient_claim(st, a, r2, "rid-2", NULL), DB_ONE);
    int64_t later = now_ms() + 3600000;
    o = (struct send_outcome){.recipient_id = r2,
                              .campaign_id = camp,
                              .contact_id = contacts[1],
                              .attempt = 1,
                              .status = RECIPIENT_PENDING,
                              .log_status = "flood_wait",
                              .error_code = "FLOOD_WAIT",
                              .error_details = "wait 3600 s",
                              .next_attempt_at = later};
    assert_int_equal(recipient_finish(st, a, &o), DB_ONE);
    assert_int_equal(st->recipient_next(st, a, now_ms(), &r), DB_ONE);
    int64_t r3 = r.id;
    assert_int_equal(r.contact_id, contacts[2]);
    assert_int_equal(st->recipient_next(st, a, later, &r), DB_ONE);
    assert_int_equal(r.id, r3); /* due at the same time: the lower id first */

    /* a permanent failure marks the contact and counts the reason */
    assert_int_equal(st->recipient_claim(st, a, r3, "rid-3", NULL), DB_ONE);
    o = (struct send_outcome){.recipient_id = r3,
                              .campaign_id = camp,
                              .contact_id = contacts[2],
                              .attempt = 1,
                              .status = RECIPIENT_FAILED,
                              .log_status = "failed",
                              .error_code = "USER_IS_BLOCKED",
                              .mark_contact = 1};
    assert_int_equal(recipient_finish(st, a, &o), DB_ONE);
    struct contact ct;
    assert_int_equal(st->contact_get(st, a, contacts[2], &ct), DB_ONE);
    assert_true(ct.blocked_at > 0);
    assert_int_equal(ct.deactivated_at, 0);
    contact_release(&ct);
    assert_int_equal(st->recipient_next(st, a, now_ms(), &r), DB_NONE);
    assert_int_equal(st->recipient_next_at(st, a, &at), DB_ONE);
    assert_int_equal(at, later);
    assert_int_equal(st->campaign_open_rows(st, a, camp, 0, &open), DB_ONE);
    assert_int_equal(open, 1);

    struct campaign_counts k;
    assert_int_equal(st->campaign_counts(st, a, camp, &k), DB_ONE);
    assert_int_equal(k.audience, 3);
    assert_int_equal(k.sent, 1);
    assert_int_equal(k.failed, 1);
    assert_int_equal(k.pending, 1);
    assert_int_equal(k.skipped, 0);
    assert_gauges(st, "draft=2,running=1", 1); /* the pending row waiting for its retry */
    struct fail_seen fs = {{0}, 0, 0};
    assert_int_equal(st->campaign_failures(st, a, camp, failures_cb, &fs), DB_ONE);
    assert_int_equal(fs.calls, 1);
    assert_string_equal(fs.code, "USER_IS_BLOCKED");
    assert_int_equal(fs.n, 1);

    /* the log: three outcome lines, then one added by hand */
    assert_int_equal(st->log_add(st, a, camp, 0, 0, "paused", NULL, "by the user"), DB_ONE);
    struct log_row *logs = NULL;
    assert_int_equal(st->logs_page(st, a, camp, 0, 10, &logs, &n), DB_ONE);
    assert_int_equal(n, 4);
    assert_string_equal(logs[0].status, "sent");
    assert_int_equal(logs[0].contact_id, contacts[0]);
    assert_string_equal(logs[1].status, "flood_wait");
    assert_string_equal(logs[1].error_code, "FLOOD_WAIT");
    assert_string_equal(logs[1].error_details, "wait 3600 s");
    assert_string_equal(logs[3].status, "paused");
    assert_int_equal(logs[3].contact_id, 0);
    assert_string_equal(logs[3].error_details, "by the user");
    int64_t after = logs[1].id;
    free(logs);
    assert_int_equal(st->logs_page(st, a, camp, after, 1, &logs, &n), DB_ONE);
    assert_int_equal(n, 1);
    assert_string_equal(logs[0].status, "failed");
    free(logs);
    assert_int_equal(st->logs_page(st, a, camp, after, 0, &logs, &n), DB_NONE);

    /* transitions: only from the named states; finished_at on completion */
    assert_int_equal(st->campaign_transition(st, a, camp, "draft", "running", NULL), DB_NONE);
    assert_int_equal(st->campaign_transition(st, a, camp, "running,nudging", "paused", "storage_error"),
                     DB_ONE);
    assert_int_equal(st->campaign_get(st, a, camp, &c), DB_ONE);
    assert_string_equal(c.status, "paused");
    assert_string_equal(c.pause_reason, "storage_error");
    campaign_release(&c);
    assert_int_equal(st->recipient_next(st, a, later, &r), DB_NONE); /* paused: nothing due */
    assert_gauges(st, "draft=2,paused=1", 0); /* a paused campaign's rows are not in the outbox */
    assert_int_equal(st->accounts_sending(st, &ids, &n), DB_NONE);
    free(ids);
    /* resuming a paused campaign adds no rows */
    assert_int_equal(campaign_start(st, a, camp, NULL, 0, 0, NULL), START_OK);
    assert_int_equal(st->campaign_get(st, a, camp, &c), DB_ONE);
    assert_string_equal(c.status, "running");
    assert_string_equal(c.pause_reason, "");
    campaign_release(&c);
    assert_int_equal(st->campaign_counts(st, a, camp, &k), DB_ONE);
    assert_int_equal(k.audience, 3);
    assert_int_equal(st->campaigns_pause_all(st, a, "session_invalid"), DB_ONE);
    assert_int_equal(st->campaign_get(st, a, camp, &c), DB_ONE);
    assert_string_equal(c.status, "paused");
    assert_string_equal(c.pause_reason, "session_invalid");
    campaign_release(&c);
    assert_int_equal(st->campaigns_pause_all(st, a, "session_invalid"), DB_NONE);
    assert_int_equal(st->campaign_transition(st, a, camp, "paused", "completed", NULL), DB_ONE);
    assert_int_equal(st->campaign_get(st, a, camp, &c), DB_ONE);
    assert_true(c.finished_at > 0);
    campaign_release(&c);
    /* the second campaign may start now */
    assert_int_equal(campaign_start(st, a, camp2, contacts, 2, 0, NULL), START_OK);
}

/* Issue 15: what Telegram's answers leave on the contact (privacy_restricted, charges with the
 * price), a skipped row counted as skipped, the frozen mark of a session, the code of an
 * error_streak pause, and the day's count the daily limit reads. */
static void account_safety(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "safety@example.com"), other = make_account(st, "other@example.com");
    int64_t contacts[3] = {make_contact(st, a, "1"), make_contact(st, a, "2"), make_contact(st, a, "3")};
    int64_t camp = make_campaign(st, a, "Safety"), n = -1, t0 = now_ms();
    assert_int_equal(st->sent_since(st, a, 0, &n), DB_ONE);
    assert_int_equal(n, 0);
    assert_int_equal(campaign_start(st, a, camp, contacts, 3, 0, NULL), START_OK);
    /* Not paused: a pause code has nothing to stick to. */
    assert_int_equal(st->campaign_set_pause_code(st, a, camp, "X"), DB_NONE);
    static const struct {
        enum recipient_status status;
        const char *code;
        int mark;
        int64_t stars;
    } outcomes[3] = {{RECIPIENT_FAILED, "USER_PRIVACY_RESTRICTED", 3, 0},
                     {RECIPIENT_SKIPPED, "ALLOW_PAYMENT_REQUIRED_50", 4, 50},
                     {RECIPIENT_SENT, NULL, 0, 0}};
    for (int i = 0; i < 3; i++) {
        struct recipient r;
        assert_int_equal(st->recipient_next(st, a, now_ms(), &r), DB_ONE);
        assert_int_equal(r.contact_id, contacts[i]);
        char rid[24];
        snprintf(rid, sizeof rid, "%d", 7000 + i);
        assert_int_equal(st->recipient_claim(st, a, r.id, rid, NULL), DB_ONE);
        struct send_outcome o = {.recipient_id = r.id,
                                 .campaign_id = camp,
                                 .contact_id = contacts[i],
                                 .attempt = 1,
                                 .status = outcomes[i].status,
                                 .log_status = recipient_status_name(outcomes[i].status),
                                 .error_code = outcomes[i].code,
                                 .tg_message_id = outcomes[i].code ? 0 : 900,
                                 .mark_contact = outcomes[i].mark,
                                 .mark_stars = outcomes[i].stars};
        assert_int_equal(recipient_finish(st, a, &o), DB_ONE);
    }
    struct contact ct;
    assert_int_equal(st->contact_get(st, a, contacts[0], &ct), DB_ONE);
    assert_true(ct.privacy_restricted_at > 0);
    assert_int_equal(ct.charges_at, 0);
    contact_release(&ct);
    assert_int_equal(st->contact_get(st, a, contacts[1], &ct), DB_ONE);
    assert_true(ct.charges_at > 0);
    assert_int_equal(ct.charges_stars, 50);
    assert_int_equal(ct.privacy_restricted_at, 0);
    assert_int_equal(ct.blocked_at, 0);
    contact_release(&ct);
    /* The audience rows carry the marks; the filter is core/audience.c's. */
    const struct audience_query all = {.min_orders = -1, .max_orders = -1, .min_spent = -1};
    struct audience_seen s = {0};
    assert_int_equal(st->audience_scan(st, a, &all, audience_cb, &s), DB_ONE);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.marks[0], 2);
    assert_int_equal(s.marks[1], 1);
    assert_int_equal(s.marks[2], 0);
    struct campaign_counts k;
    assert_int_equal(st->campaign_counts(st, a, camp, &k), DB_ONE);
    assert_int_equal(k.sent, 1);
    assert_int_equal(k.failed, 1);
    assert_int_equal(k.skipped, 1);
    /* The day's count: what was sent since a time, this account's only. */
    assert_int_equal(st->sent_since(st, a, t0, &n), DB_ONE);
    assert_int_equal(n, 1);
    assert_int_equal(st->sent_since(st, a, now_ms() + 1000, &n), DB_ONE);
    assert_int_equal(n, 0);
    assert_int_equal(st->sent_since(st, other, 0, &n), DB_ONE);
    assert_int_equal(n, 0);
    /* The code of an error_streak pause; any other move clears it. */
    assert_int_equal(st->campaigns_pause_all(st, a, "error_streak"), DB_ONE);
    assert_int_equal(st->campaign_set_pause_code(st, a, camp, "SOMETHING_NEW"), DB_ONE);
    assert_int_equal(st->campaign_set_pause_code(st, other, camp, "SOMETHING_NEW"), DB_NONE);
    struct campaign c;
    assert_int_equal(st->campaign_get(st, a, camp, &c), DB_ONE);
    assert_string_equal(c.pause_reason, "error_streak");
    assert_string_equal(c.pause_code, "SOMETHING_NEW");
    campaign_release(&c);
    assert_int_equal(st->campaign_transition(st, a, camp, "paused", "running", NULL), DB_ONE);
    assert_int_equal(st->campaign_get(st, a, camp, &c), DB_ONE);
    assert_string_equal(c.pause_code, "");
    campaign_release(&c);
    /* A frozen session: set once (DB_NONE when it already is), read back, cleared. */
    assert_int_equal(st->session_set_frozen(st, a, 1234), DB_NONE); /* no session row yet */
    struct tg_session ts = {0};
    snprintf(ts.status, sizeof ts.status, "connected");
    assert_int_equal(st->session_put(st, a, &ts), DB_ONE);
    assert_int_equal(st->session_set_frozen(st, a, 1234), DB_ONE);
    assert_int_equal(st->session_set_frozen(st, a, 1234), DB_NONE);
    struct tg_session got;
    assert_int_equal(st->session_get(st, a, &got), DB_ONE);
    assert_int_equal(got.frozen_at, 1234);
    assert_string_equal(got.status, "connected");
    tg_session_release(&got);
    assert_int_equal(st->session_set_frozen(st, a, 0), DB_ONE);
    assert_int_equal(st->session_set_frozen(st, a, 0), DB_NONE);
    assert_int_equal(st->session_get(st, a, &got), DB_ONE);
    assert_int_equal(got.frozen_at, 0);
    tg_session_release(&got);
}

static void nudges_and_reactions(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "n@example.com");
    int64_t contacts[4] = {make_contact(st, a, "1"), make_contact(st, a, "2"), make_contact(st, a, "3"),
                           make_contact(st, a, "4")};
    int64_t camp = make_campaign(st, a, "Nudged");
    send_all(st, a, camp, contacts, 4, NULL);
    int64_t due = -1;
    assert_int_equal(st->nudge_next_due(st, a, camp, 1, &due), DB_ONE);
    assert_true(due > 0);

    /* contact 1 reads (tg_message_id up to its own), contact 2 replies, contact 4 opts out */
    struct recipient none;
    assert_int_equal(st->recipient_next(st, a, now_ms(), &none), DB_NONE);
    assert_int_equal(recipients_read(st, a, contacts[0], 1000000), DB_ONE);
    assert_int_equal(recipients_read(st, a, contacts[0], 1000000), DB_NONE); /* once */
    struct seen s = {0};
    assert_int_equal(st->read_times(st, a, camp, times_cb, &s), DB_ONE);
    assert_int_equal(s.n, 1);
    assert_true(s.v[0][0] > 0);
    int64_t n = -1;
    assert_true(recipients_replied(st, a, contacts[1], 0, &n) >= 0);
    assert_int_equal(n, 1);
    assert_true(recipients_replied(st, a, contacts[1], 0, &n) >= 0);
    assert_int_equal(n, 0);
    assert_int_equal(contact_opt_out(st, a, contacts[3]), DB_ONE);
    struct campaign_counts k;
    assert_int_equal(st->campaign_counts(st, a, camp, &k), DB_ONE);
    assert_int_equal(k.read, 1);
    assert_int_equal(k.replied, 1);
    assert_int_equal(k.opted_out, 1);
    assert_int_equal(k.sent, 4);
    int64_t sent = 0, replied = 0, clicked = 0;
    assert_int_equal(st->step_counts(st, a, camp, 0, &sent, &replied, &clicked), DB_ONE);
    assert_int_equal(sent, 4);
    assert_int_equal(replied, 1);
    assert_int_equal(clicked, 0);
    assert_int_equal(st->step_counts(st, a, camp, 1, &sent, &replied, &clicked), DB_NONE);

    /* a "no reply" nudge: the replier and the opted-out contact get skipped rows */
    int64_t created = -1;
    assert_int_equal(nudge_schedule(st, a, camp, 1, "no_reply", now_ms() + 1000, &created), DB_ONE);
    assert_int_equal(created, 4);
    assert_true(nudge_schedule(st, a, camp, 1, "no_reply", now_ms() + 1000, &created) >= 0);
    assert_int_equal(created, 0); /* once */
    assert_int_equal(st->nudge_next_due(st, a, camp, 1, &due), DB_ONE);
    assert_int_equal(due, 0);
    int64_t open = -1;
    assert_int_equal(st->campaign_open_rows(st, a, camp, 1, &open), DB_ONE);
    assert_int_equal(open, 2);
    assert_int_equal(st->campaign_counts(st, a, camp, &k), DB_ONE);
    assert_int_equal(k.skipped, 2);
    assert_int_equal(k.pending, 2);
    assert_int_equal(k.audience, 4); /* step 0 only */

    /* the nudges go out; a reply now also skips the contact's pending nudge */
    struct recipient r;
    assert_int_equal(st->recipient_next(st, a, now_ms(), &r), DB_ONE);
    assert_int_equal(r.step, 1);
    assert_int_equal(r.contact_id, contacts[0]);
    assert_true(recipients_replied(st, a, contacts[2], 0, &n) >= 0);
    assert_int_equal(n, 1);
    assert_int_equal(st->campaign_open_rows(st, a, camp, 1, &open), DB_ONE);
    assert_int_equal(open, 1);
    assert_int_equal(st->step_counts(st, a, camp, 1, &sent, &replied, &clicked), DB_ONE);
    assert_int_equal(sent, 0);
}

static void links_and_clicks(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "l@example.com");
    int64_t contacts[2] = {make_contact(st, a, "1"), make_contact(st, a, "2")};
    int64_t camp = make_campaign(st, a, "Links");
    int64_t link = 0, link2 = 0, same = 0;
    assert_int_equal(st->link_ensure(st, a, camp, "https://shop.example/a", &link), DB_ONE);
    assert_int_equal(st->link_ensure(st, a, camp, "https://shop.example/b", &link2), DB_ONE);
    assert_int_equal(st->link_ensure(st, a, camp, "https://shop.example/a", &same), DB_ONE);
    assert_int_equal(same, link);
    assert_true(link2 != link);
    int64_t acc = 0, cid = 0;
    char *url = NULL;
    assert_int_equal(st->link_get(st, link2, &acc, &cid, &url), DB_ONE);
    assert_int_equal(acc, a);
    assert_int_equal(cid, camp);
    assert_string_equal(url, "https://shop.example/b");
    free(url);
    assert_int_equal(st->link_get(st, link2 + 100, &acc, &cid, &url), DB_NONE);
    assert_null(url);

    int64_t rid[2];
    send_all(st, a, camp, contacts, 2, rid);
    int64_t t = now_ms();
    struct click clicks[4] = {
        {a, camp, link, rid[0], t},      /* unique on the link and the campaign */
        {a, camp, link, rid[0], t + 1},  /* again: counted, not unique */
        {a, camp, link2, rid[0], t + 2}, /* unique on link 2, not on the campaign */
        {a, camp, link, 0, t + 3},       /* a preview: the link only */
    };
    assert_int_equal(clicks_record(st, clicks, 4), DB_ONE);
    struct seen s = {0};
    assert_int_equal(st->link_stats(st, a, camp, link_cb, &s), DB_ONE);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.v[0][0], link);
    assert_string_equal(s.text[0], "https://shop.example/a");
    assert_int_equal(s.v[0][1], 3); /* clicks */
    assert_int_equal(s.v[0][2], 1); /* unique */
    assert_int_equal(s.v[1][1], 1);
    assert_int_equal(s.v[1][2], 1);
    struct campaign_counts k;
    assert_int_equal(st->campaign_counts(st, a, camp, &k), DB_ONE);
    assert_int_equal(k.clicks, 4);
    assert_int_equal(k.unique_clicks, 1);
    int64_t sent = 0, replied = 0, clicked = 0;
    assert_int_equal(st->step_counts(st, a, camp, 0, &sent, &replied, &clicked), DB_ONE);
    assert_int_equal(clicked, 1);
    assert_int_equal(clicks_record(st, NULL, 0), DB_ONE);
}

static void orders_and_attribution(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "r@example.com");
    int64_t contacts[3] = {make_contact(st, a, "1"), make_contact(st, a, "2"), make_contact(st, a, "3")};
    int64_t camp = make_campaign(st, a, "Revenue");
    struct discount_code_row code = {.code = bl("sealed-code")};
    snprintf(code.code_bidx, sizeof code.code_bidx, "cb1");
    assert_int_equal(st->codes_replace(st, a, camp, &code, 1), DB_ONE);
    int64_t link = 0;
    assert_int_equal(st->link_ensure(st, a, camp, "https://shop.example/", &link), DB_ONE);
    int64_t rid[3];
    send_all(st, a, camp, contacts, 3, rid);
    int64_t t = now_ms() + 1000;

    /* an order that names a customer with no contact yet is linked when asked */
    struct order_row o = {.amount = 1500, .created_at = t};
    snprintf(o.order_id, sizeof o.order_id, "A-1");
    snprintf(o.currency, sizeof o.currency, "EUR");
    snprintf(o.status, sizeof o.status, "paid");
    snprintf(o.customer_tg_user_id, sizeof o.customer_tg_user_id, "2");
    snprintf(o.body_hash, sizeof o.body_hash, "h1");
    int64_t oid = 0, dup = 0;
    assert_int_equal(st->order_save(st, a, &o, &oid), DB_ONE);
    assert_true(oid > 0);
    assert_int_equal(st->order_save(st, a, &o, &dup), DB_NONE);
    struct order_row got;
    assert_int_equal(st->order_get(st, a, "A-1", &got), DB_ONE);
    assert_int_equal(got.id, oid);
    assert_int_equal(got.amount, 1500);
    assert_string_equal(got.currency, "EUR");
    assert_int_equal(got.contact_id, 0);
    assert_string_equal(got.customer_tg_user_id, "2");
    assert_string_equal(got.body_hash, "h1");
    assert_int_equal(st->order_get(st, a, "nope", &got), DB_NONE);
    int linked = -1;
    assert_int_equal(st->orders_link_contact(st, a, contacts[1], "2", NULL, NULL, &linked), DB_ONE);
    assert_int_equal(linked, 1);
    assert_int_equal(st->orders_link_contact(st, a, contacts[1], "2", NULL, NULL, &linked), DB_NONE);
    assert_int_equal(linked, 0);
    assert_int_equal(st->order_latest_paid(st, a, contacts[1], &got), DB_ONE);
    assert_int_equal(got.id, oid);
    assert_int_equal(st->order_latest_paid(st, a, contacts[0], &got), DB_NONE);

    /* by window: the latest message to the customer before the order */
    struct attribution at;
    assert_int_equal(attribution_find(st, a, 0, 0, NULL, contacts[1], t, 86400000, &at), DB_ONE);
    assert_int_equal(at.campaign_id, camp);
    assert_string_equal(at.by, "window");
    assert_int_equal(at.step, 0);
    assert_int_equal(at.recipient_id, rid[1]);
    assert_int_equal(attribution_find(st, a, 0, 0, NULL, contacts[1], t - 86400000 * 2, 1000, &at), DB_NONE);
    assert_int_equal(
        attribution_apply(st, a, oid,
                          &(struct attribution){.campaign_id = camp, .recipient_id = rid[1], .by = "window"},
                          1500, 1),
        DB_ONE);
    assert_int_equal(st->order_get(st, a, "A-1", &got), DB_ONE);
    assert_int_equal(got.attributed_campaign_id, camp);
    assert_int_equal(got.attributed_recipient_id, rid[1]);

    /* by ref, with its link; the code used counts too */
    assert_int_equal(attribution_find(st, a, rid[0], link, "cb1", 0, t, 0, &at), DB_ONE);
    assert_string_equal(at.by, "ref");
    assert_int_equal(at.recipient_id, rid[0]);
    assert_int_equal(at.link_id, link);
    assert_true(at.code_id > 0);
    int64_t code_id = at.code_id;
    assert_int_equal(attribution_find(st, a, rid[0], link + 100, NULL, 0, t, 0, &at), DB_ONE);
    assert_int_equal(at.link_id, 0); /* a link of no campaign of the ref's */
    /* by code: a static code names the campaign; the message is the customer's latest of it */
    assert_int_equal(attribution_find(st, a, 0, 0, "cb1", contacts[2], t, 0, &at), DB_ONE);
    assert_string_equal(at.by, "code");
    assert_int_equal(at.code_id, code_id);
    assert_int_equal(at.campaign_id, camp);
    assert_int_equal(at.recipient_id, rid[2]);
    assert_int_equal(attribution_find(st, a, 0, 0, "nocode", 0, t, 0, &at), DB_NONE);

    struct order_row o2 = o;
    snprintf(o2.order_id, sizeof o2.order_id, "A-2");
    o2.amount = 700;
    o2.contact_id = contacts[0];
    o2.customer_tg_user_id[0] = 0;
    snprintf(o2.discount_code_bidx, sizeof o2.discount_code_bidx, "cb1");
    int64_t oid2 = 0;
    assert_int_equal(st->order_save(st, a, &o2, &oid2), DB_ONE);
    struct attribution full = {.campaign_id = camp,
                               .recipient_id = rid[0],
                               .link_id = link,
                               .code_id = code_id,
                               .step = 0,
                               .by = "ref"};
    assert_int_equal(attribution_apply(st, a, oid2, &full, 700, 1), DB_ONE);
    int paid = -1, refunded = -1;
    assert_int_equal(st->order_counts(st, a, contacts[0], &paid, &refunded), DB_ONE);
    assert_int_equal(paid, 1);
    assert_int_equal(refunded, 0);

    struct campaign_counts k;
    assert_int_equal(st->campaign_counts(st, a, camp, &k), DB_ONE);
    assert_int_equal(k.orders, 2);
    assert_int_equal(k.revenue, 2200);
    struct seen s = {0};
    assert_int_equal(st->revenue_rows(st, a, camp, "step", rev_cb, &s), DB_ONE);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0][0], 0);
    assert_int_equal(s.v[0][1], 2);
    assert_int_equal(s.v[0][2], 2200);
    memset(&s, 0, sizeof s);
    assert_int_equal(st->revenue_rows(st, a, camp, "code", rev_cb, &s), DB_ONE);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0][0], code_id);
    assert_int_equal(s.v[0][2], 700);
    memset(&s, 0, sizeof s);
    assert_int_equal(st->link_stats(st, a, camp, link_cb, &s), DB_ONE);
    assert_int_equal(s.v[0][3], 700);

    /* the revenue reads */
    char cur[4] = "x";
    assert_int_equal(st->revenue_currency(st, a, 0, t + 1, cur), DB_ONE);
    assert_string_equal(cur, "EUR");
    assert_int_equal(st->revenue_currency(st, a, t + 1, t + 2, cur), DB_NONE);
    assert_string_equal(cur, "");
    memset(&s, 0, sizeof s);
    assert_int_equal(st->revenue_series(st, a, 0, t + 1, "EUR", 1000, 0, rev_cb, &s), DB_ONE);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0][0], t / 1000 * 1000);
    assert_int_equal(s.v[0][1], 2200); /* revenue, then orders */
    assert_int_equal(s.v[0][2], 2);
    memset(&s, 0, sizeof s);
    assert_int_equal(st->revenue_campaigns(st, a, 0, t + 1, "EUR", rev_campaign_cb, &s), DB_ONE);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0][0], camp);
    assert_string_equal(s.text[0], "Revenue");
    assert_int_equal(s.v[0][1], 2200);
    assert_int_equal(s.v[0][2], 2);

    /* a refund: status updated, then the credit reversed */
    o2.id = oid2;
    snprintf(o2.status, sizeof o2.status, "refunded");
    int64_t same = 0;
    assert_int_equal(st->order_save(st, a, &o2, &same), DB_ONE);
    assert_int_equal(same, oid2);
    assert_int_equal(attribution_apply(st, a, oid2, &full, 700, -1), DB_ONE);
    assert_int_equal(st->order_counts(st, a, contacts[0], &paid, &refunded), DB_ONE);
    assert_int_equal(paid, 0);
    assert_int_equal(refunded, 1);
    assert_int_equal(st->campaign_counts(st, a, camp, &k), DB_ONE);
    assert_int_equal(k.orders, 1);
    assert_int_equal(k.revenue, 1500);
    struct contact c;
    assert_int_equal(st->contact_get(st, a, contacts[1], &c), DB_ONE);
    assert_int_equal(c.orders_count, 1);
    assert_int_equal(c.spent, 1500);
    contact_release(&c);
}

static void audiences(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "u@example.com");
    int64_t c[4] = {make_contact(st, a, "1"), make_contact(st, a, "2"), make_contact(st, a, "3"),
                    make_contact(st, a, "4")};
    struct blob cat = bl("sealed-category"), conf = bl("sealed-conf");
    assert_int_equal(st->category_put(st, a, c[1], &cat, &conf, 0), DB_ONE);
    assert_int_equal(contact_opt_out(st, a, c[3]), DB_ONE);
    const struct audience_query all = {.min_orders = -1, .max_orders = -1, .min_spent = -1};
    struct audience_seen s = {0};
    assert_int_equal(st->audience_scan(st, a, &all, audience_cb, &s), DB_ONE);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.ids[0], c[0]);
    assert_int_equal(s.ids[2], c[2]);
    assert_int_equal(s.category_len[0], 0);
    assert_int_equal(s.category_len[1], strlen("sealed-category"));
    /* with a tag, the scan gives the tag and leaves the sealed category unread (migration 13) */
    assert_int_equal(st->category_put(st, a, c[1], &cat, &conf, -4242), DB_ONE);
    memset(&s, 0, sizeof s);
    assert_int_equal(st->audience_scan(st, a, &all, audience_cb, &s), DB_ONE);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.tags[0], 0);
    assert_int_equal(s.tags[1], -4242);
    assert_int_equal(s.category_len[1], 0);
    memset(&s, 0, sizeof s);
    s.stop_after = 2;
    assert_int_equal(st->audience_scan(st, a, &all, audience_cb, &s), DB_ONE);
    assert_int_equal(s.n, 2);

    /* buyers, and contacts sent something lately */
    struct order_row o = {.amount = 100, .created_at = now_ms(), .contact_id = c[2]};
    snprintf(o.order_id, sizeof o.order_id, "B-1");
    snprintf(o.currency, sizeof o.currency, "EUR");
    snprintf(o.status, sizeof o.status, "paid");
    assert_int_equal(st->order_save(st, a, &o, &(int64_t){0}), DB_ONE);
    struct audience_query q = all;
    q.min_orders = 1;
    memset(&s, 0, sizeof s);
    assert_int_equal(st->audience_scan(st, a, &q, audience_cb, &s), DB_ONE);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.ids[0], c[2]);
    q = all;
    q.min_spent = 101;
    memset(&s, 0, sizeof s);
    assert_int_equal(st->audience_scan(st, a, &q, audience_cb, &s), DB_ONE);
    assert_int_equal(s.n, 0);
    int64_t camp = make_campaign(st, a, "Cap");
    send_all(st, a, camp, c, 1, NULL);
    q = all;
    q.cap_since = now_ms() - 60000;
    memset(&s, 0, sizeof s);
    assert_int_equal(st->audience_scan(st, a, &q, audience_cb, &s), DB_ONE);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.ids[0], c[1]);
    q = all;
    q.not_replied_to_campaign = camp;
    memset(&s, 0, sizeof s);
    assert_int_equal(st->audience_scan(st, a, &q, audience_cb, &s), DB_ONE);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.ids[0], c[0]);
}

/* n accounts <prefix><i>@example.com, each with a connected session. */
static void connected_accounts(struct store *st, const char *prefix, int64_t *acc, int n)
{
    struct tg_session on = {0};
    snprintf(on.status, sizeof on.status, "connected");
    for (int i = 0; i < n; i++) {
        char email[32];
        snprintf(email, sizeof email, "%s%d@example.com", prefix, i);
        acc[i] = make_account(st, email);
        assert_int_equal(st->session_put(st, acc[i], &on), DB_ONE);
    }
}

static void leases_share_accounts(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t acc[4];
    connected_accounts(st, "lease", acc, 4);
    int64_t now = now_ms(), ttl = 10000;
    int64_t *ids = NULL;
    size_t n = 0, taken = 0;
    char owner[64];
    assert_int_equal(st->lease_owner(st, acc[0], now, owner, sizeof owner), DB_NONE);
    assert_int_equal(cluster_lease_round(st, "a", now, ttl, &ids, &n, &taken), DB_ONE);
    assert_int_equal(n, 4);
    assert_int_equal(taken, 4);
    assert_int_equal(ids[0], acc[0]);
    free(ids);
    assert_int_equal(st->lease_owner(st, acc[2], now, owner, sizeof owner), DB_ONE);
    assert_string_equal(owner, "a");

    /* a second instance: a holds more than its share plus one, and hands the newest over */
    assert_int_equal(cluster_lease_round(st, "b", now, ttl, &ids, &n, &taken), DB_NONE);
    assert_int_equal(taken, 0);
    free(ids);
    assert_int_equal(cluster_lease_round(st, "a", now + 1, ttl, &ids, &n, &taken), DB_ONE);
    assert_int_equal(n, 2);
    assert_int_equal(ids[1], acc[1]);
    free(ids);
    assert_int_equal(st->lease_owner(st, acc[3], now + 1, owner, sizeof owner), DB_ONE);
    assert_string_equal(owner, "a:shed");
    /* b takes nothing while a's clients may still run; a says one stopped: b takes that one */
    assert_int_equal(cluster_lease_round(st, "b", now + 2, ttl, &ids, &n, &taken), DB_NONE);
    assert_int_equal(taken, 0);
    free(ids);
    assert_int_equal(st->lease_handed(st, "b", acc[3]), DB_NONE); /* not b's to free: no change */
    assert_int_equal(st->lease_owner(st, acc[3], now + 3, owner, sizeof owner), DB_ONE);
    assert_int_equal(st->lease_handed(st, "a", acc[3]), DB_ONE);
    assert_int_equal(cluster_lease_round(st, "b", now + 3, ttl, &ids, &n, &taken), DB_ONE);
    assert_int_equal(taken, 1);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], acc[3]);
    free(ids);
    /* the other is free at the latest LEASE_HANDOFF_MS later (a died before it could say so) */
    assert_int_equal(st->lease_owner(st, acc[2], now + LEASE_HANDOFF_MS, owner, sizeof owner), DB_ONE);
    assert_int_equal(st->lease_owner(st, acc[2], now + LEASE_HANDOFF_MS + 2, owner, sizeof owner), DB_NONE);
    assert_int_equal(st->lease_handed(st, "a", acc[2]), DB_ONE);
    int64_t later = now + 10;
    assert_int_equal(cluster_lease_round(st, "b", later, ttl, &ids, &n, &taken), DB_ONE);
    assert_int_equal(n, 2);
    assert_int_equal(taken, 1);
    assert_int_equal(ids[0], acc[2]);
    free(ids);

    /* a login forces the owner; a clean shutdown lets go at once */
    assert_int_equal(st->lease_force(st, "b", acc[0], later, ttl), DB_ONE);
    assert_int_equal(st->lease_owner(st, acc[0], later, owner, sizeof owner), DB_ONE);
    assert_string_equal(owner, "b");
    assert_int_equal(st->leases_release(st, "b"), DB_ONE);
    assert_int_equal(st->lease_owner(st, acc[0], later, owner, sizeof owner), DB_NONE);
    assert_int_equal(st->lease_owner(st, acc[1], later, owner, sizeof owner), DB_ONE);
    assert_string_equal(owner, "a");
    /* an account whose session is gone is dropped by its owner's next round */
    assert_int_equal(st->session_delete(st, acc[1]), DB_ONE);
    assert_int_equal(cluster_lease_round(st, "a", later, ttl, &ids, &n, &taken), DB_ONE);
    for (size_t i = 0; i < n; i++)
        assert_true(ids[i] != acc[1]);
    free(ids);
}

/* ---- the data operations the rules of core/ and cluster/ compose, one by one ------------------- */

/* One integer by SQL on the database under test, for what no store function reads back (the
 * campaign's sent and failed totals, a recipient's status, the live instances' rows). */
static int64_t sql_int(struct fx *f, const char *sql)
{
    int64_t v = -1;
    if (f->url[0]) {
        PGconn *c = PQconnectdb(f->url);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
            v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        PQfinish(c);
        return v;
    }
    char path[128];
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    snprintf(path, sizeof path, "%s/tgr.db", f->dir);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

/* The row of (campaign, step) in a tally, or NULL. */
static const struct step_tally_row *tally_at(const struct step_tally *t, int64_t campaign, int step)
{
    for (int k = 0; k < t->n; k++)
        if (t->at[k].campaign_id == campaign && t->at[k].step == step) return &t->at[k];
    return NULL;
}

static void start_pieces(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "sp@example.com"), other = make_account(st, "sp2@example.com");
    int64_t contacts[3] = {make_contact(st, a, "1"), make_contact(st, a, "2"), make_contact(st, a, "3")};
    int64_t camp = make_campaign(st, a, "One"), camp2 = make_campaign(st, a, "Two"), now = now_ms();
    int64_t running = -1, inserted = -1;
    assert_int_equal(st->campaign_running_other(st, a, camp, &running), DB_NONE);
    assert_int_equal(running, 0);
    assert_int_equal(st->campaign_set_running(st, a, camp, "paused", 1, now), DB_NONE); /* a draft */
    assert_int_equal(st->campaign_set_running(st, other, camp, "draft", 1, now), DB_NONE);
    assert_int_equal(st->campaign_set_running(st, a, camp, "draft", 1, now), DB_ONE);
    struct campaign c;
    assert_int_equal(st->campaign_get(st, a, camp, &c), DB_ONE);
    assert_string_equal(c.status, "running");
    assert_int_equal(c.override_quiet_hours, 1);
    assert_int_equal(c.started_at, now);
    campaign_release(&c);
    assert_int_equal(st->campaign_running_other(st, a, camp2, &running), DB_ONE);
    assert_int_equal(running, camp);
    assert_int_equal(st->campaign_running_other(st, a, camp, &running), DB_NONE);
    assert_int_equal(st->campaign_running_other(st, other, camp2, &running), DB_NONE);

    /* recipients in the order given, each contact once */
    const int64_t order[3] = {contacts[2], contacts[0], contacts[1]};
    assert_int_equal(st->recipients_insert(st, a, camp, order, 2, now, &inserted), DB_ONE);
    assert_int_equal(inserted, 2);
    assert_int_equal(st->recipients_insert(st, a, camp, order, 3, now, &inserted), DB_ONE);
    assert_int_equal(inserted, 1);
    assert_int_equal(st->recipients_insert(st, a, camp, order, 3, now, &inserted), DB_NONE);
    assert_int_equal(inserted, 0);
    struct recipient r;
    assert_int_equal(st->recipient_next(st, a, now_ms(), &r), DB_ONE);
    assert_int_equal(r.contact_id, contacts[2]);
    assert_string_equal(r.status, "pending");

    /* the counters are the rule's to keep: nothing counted until bumped */
    struct campaign_counts k;
    assert_int_equal(st->campaign_counts(st, a, camp, &k), DB_ONE);
    assert_int_equal(k.audience, 0);
    assert_int_equal(st->step_bump(st, a, camp, 0, &(struct step_delta){.rows = 3, .sent = 1}), DB_ONE);
    assert_int_equal(
        st->step_bump(st, a, camp, 0, &(struct step_delta){.failed = 1, .replied = 1, .clicked = 1}), DB_ONE);
    assert_int_equal(st->step_bump(st, a, camp, 1, &(struct step_delta){.rows = 2, .skipped = 1, .read = 1}),
                     DB_ONE);
    assert_int_equal(st->campaign_counts(st, a, camp, &k), DB_ONE);
    assert_int_equal(k.audience, 3);
    assert_int_equal(k.sent, 1);
    assert_int_equal(k.failed, 1);
    assert_int_equal(k.skipped, 1);
    assert_int_equal(k.pending, 2); /* 1 of step 0, 1 of step 1 */
    assert_int_equal(k.read, 1);
    assert_int_equal(k.replied, 1);
    int64_t sent = 0, replied = 0, clicked = 0;
    assert_int_equal(st->step_counts(st, a, camp, 0, &sent, &replied, &clicked), DB_ONE);
    assert_int_equal(sent, 1);
    assert_int_equal(replied, 1);
    assert_int_equal(clicked, 1);
    int64_t open = -1;
    assert_int_equal(st->campaign_open_rows(st, a, camp, 1, &open), DB_ONE);
    assert_int_equal(open, 1);
}

/* Segments, a campaign's segment and scheduled start, and the scheduled campaigns due (issue 16):
 * each function on its own, the other account's rows out of reach, and a deleted segment leaving
 * the campaigns that named it without one. */
static void segment_pieces(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "sg@example.com"), other = make_account(st, "sg2@example.com");
    struct segment s = {0}, got;
    int64_t id = 0, id2 = 0, n = -1;
    snprintf(s.name, sizeof s.name, "Buyers");
    snprintf(s.filters_json, sizeof s.filters_json, "{\"min_orders\":1}");
    assert_int_equal(st->segment_save(st, a, &s, &id), DB_ONE);
    assert_true(id > 0);
    snprintf(s.name, sizeof s.name, "Everyone");
    snprintf(s.filters_json, sizeof s.filters_json, "{}");
    assert_int_equal(st->segment_save(st, a, &s, &id2), DB_ONE);
    assert_true(id2 > id);
    assert_int_equal(st->segment_get(st, a, id, &got), DB_ONE);
    assert_string_equal(got.name, "Buyers");
    assert_string_equal(got.filters_json, "{\"min_orders\":1}");
    assert_true(got.created_at > 0 && got.updated_at == got.created_at);
    assert_int_equal(st->segment_get(st, other, id, &got), DB_NONE);

    /* replaced in place; another account's id is not found and changes nothing */
    s.id = id;
    snprintf(s.name, sizeof s.name, "Big buyers");
    snprintf(s.filters_json, sizeof s.filters_json, "{\"min_spent\":5000}");
    assert_int_equal(st->segment_save(st, other, &s, &(int64_t){0}), DB_NONE);
    assert_int_equal(st->segment_save(st, a, &s, &(int64_t){0}), DB_ONE);
    struct segment *rows = NULL;
    size_t nr = 0;
    assert_int_equal(st->segment_list(st, a, &rows, &nr), DB_ONE);
    assert_int_equal(nr, 2);
    assert_int_equal(rows[0].id, id);
    assert_string_equal(rows[0].name, "Big buyers");
    assert_string_equal(rows[0].filters_json, "{\"min_spent\":5000}");
    assert_int_equal(rows[1].id, id2);
    free(rows);
    assert_int_equal(st->segment_list(st, other, &rows, &nr), DB_NONE);

    /* a campaign's segment and start */
    int64_t camp = make_campaign(st, a, "Planned"), camp2 = make_campaign(st, a, "Later");
    assert_int_equal(st->campaign_set_audience(st, a, camp, id, NULL), DB_ONE);
    assert_int_equal(st->campaign_set_audience(st, a, camp2, id, "{\"min_orders\":2}"), DB_ONE);
    assert_int_equal(st->campaign_set_audience(st, other, camp, 0, NULL), DB_NONE);
    int64_t at = now_ms() + 60000;
    assert_int_equal(st->campaign_set_start(st, a, camp, at, 1), DB_ONE);
    assert_int_equal(st->campaign_set_start(st, other, camp, 0, 0), DB_NONE);
    struct campaign c;
    assert_int_equal(st->campaign_get(st, a, camp, &c), DB_ONE);
    assert_int_equal(c.segment_id, id);
    assert_null(c.filters_json);
    assert_int_equal(c.start_at, at);
    assert_int_equal(c.override_quiet_hours, 1);
    campaign_release(&c);
    assert_int_equal(st->campaign_get(st, a, camp2, &c), DB_ONE);
    assert_string_equal(c.filters_json, "{\"min_orders\":2}");
    assert_int_equal(c.start_at, 0);
    campaign_release(&c);

    /* the campaigns naming a segment, by status */
    assert_int_equal(st->segment_campaigns(st, a, id, "draft,scheduled", &n), DB_ONE);
    assert_int_equal(n, 2);
    assert_int_equal(st->segment_campaigns(st, a, id, "scheduled", &n), DB_ONE);
    assert_int_equal(n, 0);
    assert_int_equal(st->segment_campaigns(st, other, id, "draft", &n), DB_ONE);
    assert_int_equal(n, 0);

    /* scheduled campaigns due by a time, of every account, soonest first */
    struct scheduled_start *due = NULL;
    size_t nd = 0;
    assert_int_equal(st->campaigns_scheduled(st, at, 10, &due, &nd), DB_NONE); /* none is scheduled */
    assert_int_equal(st->campaign_transition(st, a, camp, "draft", "scheduled", NULL), DB_ONE);
    int64_t theirs = make_campaign(st, other, "Theirs");
    assert_int_equal(st->campaign_set_start(st, other, theirs, at - 1000, 0), DB_ONE);
    assert_int_equal(st->campaign_transition(st, other, theirs, "draft", "scheduled", NULL), DB_ONE);
    assert_int_equal(st->campaigns_scheduled(st, at - 1001, 10, &due, &nd), DB_NONE);
    assert_int_equal(st->campaigns_scheduled(st, at, 10, &due, &nd), DB_ONE);
    assert_int_equal(nd, 2);
    assert_int_equal(due[0].account_id, other);
    assert_int_equal(due[0].campaign_id, theirs);
    assert_int_equal(due[0].start_at, at - 1000);
    assert_int_equal(due[1].account_id, a);
    assert_int_equal(due[1].campaign_id, camp);
    free(due);
    assert_int_equal(st->campaigns_scheduled(st, at, 1, &due, &nd), DB_ONE);
    assert_int_equal(nd, 1);
    free(due);
    assert_int_equal(st->segment_campaigns(st, a, id, "scheduled", &n), DB_ONE);
    assert_int_equal(n, 1);

    /* deleting a segment leaves its campaigns without one */
    assert_int_equal(st->segment_delete(st, other, id), DB_NONE);
    assert_int_equal(st->segment_delete(st, a, id), DB_ONE);
    assert_int_equal(st->segment_delete(st, a, id), DB_NONE);
    assert_int_equal(st->segment_get(st, a, id, &got), DB_NONE);
    assert_int_equal(st->campaign_get(st, a, camp, &c), DB_ONE);
    assert_int_equal(c.segment_id, 0);
    campaign_release(&c);
}

static void outcome_pieces(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "op@example.com");
    int64_t contacts[2] = {make_contact(st, a, "1"), make_contact(st, a, "2")};
    int64_t camp = make_campaign(st, a, "Outcomes"), now = now_ms(), inserted = 0;
    assert_int_equal(st->recipients_insert(st, a, camp, contacts, 2, now, &inserted), DB_ONE);
    assert_int_equal(st->campaign_set_running(st, a, camp, "draft", 0, now), DB_ONE);
    struct recipient r1, r2;
    assert_int_equal(st->recipient_next(st, a, now_ms(), &r1), DB_ONE);
    assert_int_equal(st->recipient_claim(st, a, r1.id, "rid-1", NULL), DB_ONE);

    /* the row: sent with its Telegram id and time */
    struct send_outcome o = {.recipient_id = r1.id,
                             .campaign_id = camp,
                             .contact_id = contacts[0],
                             .attempt = 1,
                             .status = RECIPIENT_SENT,
                             .log_status = "sent",
                             .tg_message_id = 4242};
    assert_int_equal(st->recipient_set_outcome(st, a, &o, now + 5), DB_ONE);
    struct sent_message m;
    assert_int_equal(st->sent_message_get(st, a, r1.id, &m), DB_ONE);
    assert_int_equal(m.campaign_id, camp);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT sent_at FROM recipients WHERE id = %lld", (long long)r1.id);
    assert_int_equal(sql_int(f, sql), now + 5);
    snprintf(sql, sizeof sql, "SELECT tg_message_id FROM recipients WHERE id = %lld", (long long)r1.id);
    assert_int_equal(sql_int(f, sql), 4242);
    assert_int_equal(st->log_outcome(st, a, &o, now + 5), DB_ONE);

    /* another: back to pending with a next attempt, its Telegram id untouched */
    assert_int_equal(st->recipient_next(st, a, now_ms(), &r2), DB_ONE);
    assert_int_equal(st->recipient_claim(st, a, r2.id, "rid-2", NULL), DB_ONE);
    o = (struct send_outcome){.recipient_id = r2.id,
                              .campaign_id = camp,
                              .contact_id = contacts[1],
                              .step = 0,
                              .attempt = 3,
                              .status = RECIPIENT_PENDING,
                              .log_status = "retry",
                              .error_code = "TIMEOUT",
                              .error_details = "no answer",
                              .next_attempt_at = now + 60000};
    assert_int_equal(st->recipient_set_outcome(st, a, &o, now + 6), DB_ONE);
    assert_int_equal(st->sent_message_get(st, a, r2.id, &m), DB_NONE);
    int64_t at = 0;
    assert_int_equal(st->recipient_next_at(st, a, &at), DB_ONE);
    assert_int_equal(at, now + 60000);
    assert_int_equal(st->log_outcome(st, a, &o, now + 6), DB_ONE);
    struct log_row *logs = NULL;
    size_t n = 0;
    assert_int_equal(st->logs_page(st, a, camp, 0, 10, &logs, &n), DB_ONE);
    assert_int_equal(n, 2);
    assert_string_equal(logs[0].status, "sent");
    assert_int_equal(logs[0].at, now + 5);
    assert_int_equal(logs[0].contact_id, contacts[0]);
    assert_string_equal(logs[1].status, "retry");
    assert_string_equal(logs[1].error_code, "TIMEOUT");
    assert_string_equal(logs[1].error_details, "no answer");
    free(logs);
    snprintf(sql, sizeof sql, "SELECT MAX(attempt) FROM sent_logs WHERE campaign_id = %lld", (long long)camp);
    assert_int_equal(sql_int(f, sql), 3);

    /* the campaign's totals and failure reasons */
    assert_int_equal(st->campaign_count_result(st, a, camp, 1, now), DB_ONE);
    assert_int_equal(st->campaign_count_result(st, a, camp, 0, now), DB_ONE);
    assert_int_equal(st->campaign_count_result(st, a, camp, 0, now), DB_ONE);
    snprintf(sql, sizeof sql,
             "SELECT total_sent * 10 + total_failed FROM campaign_analytics WHERE campaign_id = %lld",
             (long long)camp);
    assert_int_equal(sql_int(f, sql), 12);
    assert_int_equal(st->campaign_failure_add(st, a, camp, "PEER_FLOOD"), DB_ONE);
    assert_int_equal(st->campaign_failure_add(st, a, camp, "PEER_FLOOD"), DB_ONE);
    struct fail_seen fs = {{0}, 0, 0};
    assert_int_equal(st->campaign_failures(st, a, camp, failures_cb, &fs), DB_ONE);
    assert_int_equal(fs.calls, 1);
    assert_string_equal(fs.code, "PEER_FLOOD");
    assert_int_equal(fs.n, 2);

    /* contact marks keep their first time; opting out is once */
    struct contact ct;
    assert_int_equal(st->contact_mark(st, a, contacts[0], 1, 0, now), DB_ONE);
    assert_int_equal(st->contact_mark(st, a, contacts[0], 1, 0, now + 1), DB_ONE);
    assert_int_equal(st->contact_mark(st, a, contacts[1], 2, 0, now + 2), DB_ONE);
    assert_int_equal(st->contact_mark(st, a, contacts[1], 5, 0, now), DB_HARD);
    assert_int_equal(st->contact_mark(st, a, contacts[1] + 100, 1, 0, now), DB_NONE);
    assert_int_equal(st->contact_get(st, a, contacts[0], &ct), DB_ONE);
    assert_int_equal(ct.blocked_at, now);
    assert_int_equal(ct.deactivated_at, 0);
    contact_release(&ct);
    assert_int_equal(st->contact_get(st, a, contacts[1], &ct), DB_ONE);
    assert_int_equal(ct.deactivated_at, now + 2);
    assert_int_equal(ct.blocked_at, 0);
    contact_release(&ct);
    assert_int_equal(st->contact_set_opted_out(st, a, contacts[0], now + 3), DB_ONE);
    assert_int_equal(st->contact_set_opted_out(st, a, contacts[0], now + 4), DB_NONE);
    assert_int_equal(st->contact_get(st, a, contacts[0], &ct), DB_ONE);
    assert_int_equal(ct.opted_out_at, now + 3);
    contact_release(&ct);

    /* an opt-out counts in the campaigns that sent the contact something, not in the others */
    int64_t quiet = make_campaign(st, a, "Unsent");
    assert_int_equal(st->recipients_insert(st, a, quiet, contacts, 1, now, &inserted), DB_ONE);
    assert_int_equal(st->campaigns_count_opt_out(st, a, contacts[0]), DB_ONE);
    struct campaign_counts k;
    assert_int_equal(st->campaign_counts(st, a, camp, &k), DB_ONE);
    assert_int_equal(k.opted_out, 1);
    assert_int_equal(st->campaign_counts(st, a, quiet, &k), DB_ONE);
    assert_int_equal(k.opted_out, 0);
}

static void reaction_pieces(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "rp@example.com");
    int64_t contacts[3] = {make_contact(st, a, "1"), make_contact(st, a, "2"), make_contact(st, a, "3")};
    int64_t camp = make_campaign(st, a, "Reactions"), rid[3];
    send_all(st, a, camp, contacts, 3, rid); /* Telegram message ids 500 + row id */
    int64_t now = now_ms() + 10;
    struct step_tally t;

    /* a read receipt marks the contact's sent rows up to max_id, once */
    assert_int_equal(st->recipients_mark_read(st, a, contacts[0], 500 + rid[0] - 1, now, &t), DB_NONE);
    assert_int_equal(t.total, 0);
    assert_int_equal(st->recipients_mark_read(st, a, contacts[0], 500 + rid[0], now, &t), DB_ONE);
    assert_int_equal(t.total, 1);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.at[0].campaign_id, camp);
    assert_int_equal(t.at[0].step, 0);
    assert_int_equal(t.at[0].rows, 1);
    assert_int_equal(st->recipients_mark_read(st, a, contacts[0], 500 + rid[0], now, &t), DB_NONE);
    struct seen s = {0};
    assert_int_equal(st->read_times(st, a, camp, times_cb, &s), DB_ONE);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0][0], now);

    /* a reply marks the rows sent since `since`, once */
    assert_int_equal(st->recipients_mark_replied(st, a, contacts[1], now + 1000, now, &t), DB_NONE);
    assert_int_equal(st->recipients_mark_replied(st, a, contacts[1], 0, now, &t), DB_ONE);
    assert_int_equal(t.total, 1);
    assert_non_null(tally_at(&t, camp, 0));
    assert_int_equal(st->recipients_mark_replied(st, a, contacts[1], 0, now, &t), DB_NONE);
    assert_int_equal(t.total, 0);

    /* nudge rows: pending where the condition holds, skipped (and tallied so) where it does not */
    assert_int_equal(st->nudge_rows_create(st, a, camp, 1, "no_reply", now - 3600000, now, &t), DB_NONE);
    assert_int_equal(st->nudge_rows_create(st, a, camp, 1, "no_reply", now, now, &t), DB_ONE);
    assert_int_equal(t.total, 3);
    const struct step_tally_row *x = tally_at(&t, camp, 1);
    assert_non_null(x);
    assert_int_equal(x->rows, 3);
    assert_int_equal(x->skipped, 1); /* the replier */
    assert_int_equal(st->nudge_rows_create(st, a, camp, 1, "no_reply", now, now, &t), DB_NONE);
    assert_int_equal(t.total, 0);

    /* scheduled through: nothing of step 0 is due for nudge 1 any more; another account's call
     * moves nothing */
    int64_t due = -1;
    assert_int_equal(st->nudge_next_due(st, a, camp, 1, &due), DB_ONE);
    assert_true(due > 0);
    int64_t b = make_account(st, "rp2@example.com");
    assert_int_equal(st->nudge_scheduled_through(st, b, camp, 1, now), DB_NONE);
    assert_int_equal(st->nudge_next_due(st, a, camp, 1, &due), DB_ONE);
    assert_true(due > 0);
    assert_int_equal(st->nudge_scheduled_through(st, a, camp, 1, now), DB_ONE);
    assert_int_equal(st->nudge_next_due(st, a, camp, 1, &due), DB_ONE);
    assert_int_equal(due, 0);

    /* skipping pending rows from a step on */
    struct recipient r;
    assert_int_equal(st->recipients_skip_pending(st, a, contacts[0], "replied", 2, &t), DB_NONE);
    assert_int_equal(st->recipients_skip_pending(st, a, contacts[0], "replied", 1, &t), DB_ONE);
    assert_int_equal(t.total, 1);
    assert_int_equal(tally_at(&t, camp, 1)->rows, 1);
    assert_int_equal(st->recipients_skip_pending(st, a, contacts[2], "opted_out", 0, &t), DB_ONE);
    assert_int_equal(st->recipient_next(st, a, now_ms(), &r), DB_NONE);
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM recipients WHERE campaign_id = %lld AND step = 1 AND status = 'skipped' "
             "AND error_code = 'opted_out'",
             (long long)camp);
    assert_int_equal(sql_int(f, sql), 1);
}

static void click_pieces(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "cp@example.com");
    int64_t contact = make_contact(st, a, "1"), camp = make_campaign(st, a, "Clicks"), rid = 0, link = 0;
    send_all(st, a, camp, &contact, 1, &rid);
    assert_int_equal(st->link_ensure(st, a, camp, "https://shop.example/c", &link), DB_ONE);
    int64_t t = now_ms();
    assert_int_equal(st->click_seen(st, a, link, rid), DB_NONE);
    assert_int_equal(st->click_add(st, a, link, rid, t), DB_ONE);
    assert_int_equal(st->click_add(st, a, link, 0, t), DB_ONE); /* a preview: no recipient */
    assert_int_equal(st->click_seen(st, a, link, rid), DB_ONE);
    int step = -1;
    assert_int_equal(st->recipient_mark_clicked(st, a, rid, camp + 1000, t, &step), DB_NONE);
    assert_int_equal(st->recipient_mark_clicked(st, a, rid, camp, t, &step), DB_ONE);
    assert_int_equal(step, 0);
    assert_int_equal(st->recipient_mark_clicked(st, a, rid, camp, t + 1, &step), DB_NONE);
    struct audience_seen as = {0};
    const struct audience_query clicked = {
        .min_orders = -1, .max_orders = -1, .min_spent = -1, .clicked_campaign = camp};
    assert_int_equal(st->audience_scan(st, a, &clicked, audience_cb, &as), DB_ONE);
    assert_int_equal(as.n, 1);

    assert_int_equal(st->link_count_click(st, link, 1), DB_ONE);
    assert_int_equal(st->link_count_click(st, link, 0), DB_ONE);
    struct seen s = {0};
    assert_int_equal(st->link_stats(st, a, camp, link_cb, &s), DB_ONE);
    assert_int_equal(s.v[0][1], 2); /* clicks */
    assert_int_equal(s.v[0][2], 1); /* unique */
    assert_int_equal(st->campaign_count_click(st, a, camp, 1), DB_ONE);
    assert_int_equal(st->campaign_count_click(st, a, camp, 0), DB_ONE);
    struct campaign_counts k;
    assert_int_equal(st->campaign_counts(st, a, camp, &k), DB_ONE);
    assert_int_equal(k.clicks, 2);
    assert_int_equal(k.unique_clicks, 1);
}

static void attribution_pieces(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "ap@example.com");
    int64_t contacts[2] = {make_contact(st, a, "1"), make_contact(st, a, "2")};
    int64_t camp = make_campaign(st, a, "Credit"), camp2 = make_campaign(st, a, "Other"), rid[2], link = 0;
    struct discount_code_row codes[2] = {{.code = bl("sealed-1")}, {.code = bl("sealed-2")}};
    snprintf(codes[0].code_bidx, sizeof codes[0].code_bidx, "static");
    snprintf(codes[1].code_bidx, sizeof codes[1].code_bidx, "pool");
    assert_int_equal(st->codes_replace(st, a, camp, codes, 2), DB_ONE);
    assert_int_equal(st->link_ensure(st, a, camp, "https://shop.example/p", &link), DB_ONE);
    int64_t before = now_ms();
    send_all(st, a, camp, contacts, 2, rid);
    int64_t after = now_ms();

    /* sent messages: by id, and the latest to a contact in a window, of one campaign or any */
    struct sent_message m;
    assert_int_equal(st->sent_message_get(st, a, rid[1], &m), DB_ONE);
    assert_int_equal(m.recipient_id, rid[1]);
    assert_int_equal(m.campaign_id, camp);
    assert_int_equal(m.step, 0);
    assert_int_equal(st->sent_message_get(st, a, rid[1] + 100, &m), DB_NONE);
    assert_int_equal(st->sent_message_latest(st, a, contacts[0], before, after, 0, &m), DB_ONE);
    assert_int_equal(m.recipient_id, rid[0]);
    assert_int_equal(st->sent_message_latest(st, a, contacts[0], before, after, camp, &m), DB_ONE);
    assert_int_equal(st->sent_message_latest(st, a, contacts[0], before, after, camp2, &m), DB_NONE);
    assert_int_equal(st->sent_message_latest(st, a, contacts[0], after + 1, after + 2, 0, &m), DB_NONE);
    assert_int_equal(st->sent_message_latest(st, a, contacts[0], 0, before - 1, 0, &m), DB_NONE);

    /* links and codes */
    assert_int_equal(st->link_in_campaign(st, a, link, camp), DB_ONE);
    assert_int_equal(st->link_in_campaign(st, a, link, camp2), DB_NONE);
    int64_t code_id = 0, code_campaign = 0, code_recipient = -1;
    assert_int_equal(st->code_by_bidx(st, a, "static", &code_id, &code_campaign, &code_recipient), DB_ONE);
    assert_true(code_id > 0);
    assert_int_equal(code_campaign, camp);
    assert_int_equal(code_recipient, 0);
    struct discount_code_row given;
    assert_int_equal(st->code_assign(st, a, camp, rid[1], &given), DB_ONE); /* the first free: "static" */
    blob_release(&given.code);
    assert_int_equal(st->code_by_bidx(st, a, "static", &code_id, &code_campaign, &code_recipient), DB_ONE);
    assert_int_equal(code_recipient, rid[1]);
    assert_int_equal(st->code_by_bidx(st, a, "nothing", &code_id, &code_campaign, &code_recipient), DB_NONE);
    int64_t in = 0;
    assert_int_equal(st->code_in_campaign(st, a, camp, "pool", &in), DB_ONE);
    assert_true(in > 0 && in != code_id);
    assert_int_equal(st->code_in_campaign(st, a, camp2, "pool", &in), DB_NONE);
    assert_int_equal(in, 0);

    /* the credit's writes */
    struct order_row o = {.amount = 900, .created_at = after};
    snprintf(o.order_id, sizeof o.order_id, "P-1");
    snprintf(o.currency, sizeof o.currency, "EUR");
    snprintf(o.status, sizeof o.status, "paid");
    int64_t oid = 0;
    assert_int_equal(st->order_save(st, a, &o, &oid), DB_ONE);
    struct attribution at = {.campaign_id = camp,
                             .recipient_id = rid[0],
                             .link_id = link,
                             .code_id = code_id,
                             .step = 0,
                             .by = "ref"};
    assert_int_equal(st->order_set_attribution(st, a, oid, &at), DB_ONE);
    struct order_row got;
    assert_int_equal(st->order_get(st, a, "P-1", &got), DB_ONE);
    assert_int_equal(got.attributed_campaign_id, camp);
    assert_int_equal(got.attributed_recipient_id, rid[0]);
    assert_int_equal(got.attributed_link_id, link);
    assert_int_equal(got.attributed_code_id, code_id);
    assert_int_equal(st->campaign_revenue_add(st, a, camp, 900, 1), DB_ONE);
    assert_int_equal(st->campaign_revenue_add(st, a, camp, 100, 1), DB_ONE);
    assert_int_equal(st->campaign_revenue_add(st, a, camp, -100, -1), DB_ONE);
    struct campaign_counts k;
    assert_int_equal(st->campaign_counts(st, a, camp, &k), DB_ONE);
    assert_int_equal(k.orders, 1);
    assert_int_equal(k.revenue, 900);
    assert_int_equal(st->link_revenue_add(st, a, link, 900), DB_ONE);
    struct seen s = {0};
    assert_int_equal(st->link_stats(st, a, camp, link_cb, &s), DB_ONE);
    assert_int_equal(s.v[0][3], 900);
    assert_int_equal(st->revenue_by_add(st, a, camp, "code", code_id, 1, 900), DB_ONE);
    assert_int_equal(st->revenue_by_add(st, a, camp, "code", code_id, 1, 50), DB_ONE);
    assert_int_equal(st->revenue_by_add(st, a, camp, "step", 0, 1, 900), DB_ONE);
    memset(&s, 0, sizeof s);
    assert_int_equal(st->revenue_rows(st, a, camp, "code", rev_cb, &s), DB_ONE);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0][0], code_id);
    assert_int_equal(s.v[0][1], 2);
    assert_int_equal(s.v[0][2], 950);
}

static void lease_pieces(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t acc[3];
    connected_accounts(st, "lp", acc, 3);
    int64_t now = now_ms(), ttl = 10000, live = -1, held = -1, sending = -1, taken = -1;
    assert_int_equal(st->lease_refresh(st, "old", now - 11 * ttl, ttl), DB_ONE);
    assert_int_equal(st->lease_refresh(st, "a", now, ttl), DB_ONE);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM engine_instances"), 1); /* "old" forgotten */
    assert_int_equal(st->lease_refresh(st, "b", now - ttl / 2, ttl), DB_ONE);
    assert_int_equal(st->lease_counts(st, "a", now, ttl, &live, &held, &sending), DB_ONE);
    assert_int_equal(live, 2);
    assert_int_equal(held, 0);
    assert_int_equal(sending, 3);

    /* take: the lowest ids first, up to n */
    assert_int_equal(st->lease_take(st, "a", now, ttl, 2, &taken), DB_ONE);
    assert_int_equal(taken, 2);
    int64_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(st->leases_owned(st, "a", now, &ids, &n), DB_ONE);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], acc[0]);
    assert_int_equal(ids[1], acc[1]);
    free(ids);
    assert_int_equal(st->lease_take(st, "b", now, ttl, 5, &taken), DB_ONE);
    assert_int_equal(taken, 1); /* only the one nobody holds */
    assert_int_equal(st->lease_counts(st, "a", now, ttl, &live, &held, &sending), DB_ONE);
    assert_int_equal(held, 2);

    /* shed: the highest ids first, renamed, free at until */
    assert_int_equal(st->lease_shed(st, "a", now + 50, 1), DB_ONE);
    char owner[64];
    assert_int_equal(st->lease_owner(st, acc[1], now, owner, sizeof owner), DB_ONE);
    assert_string_equal(owner, "a:shed");
    assert_int_equal(st->lease_owner(st, acc[1], now + 50, owner, sizeof owner), DB_NONE);
    assert_int_equal(st->leases_owned(st, "a", now, &ids, &n), DB_ONE);
    assert_int_equal(n, 1);
    free(ids);

    /* refresh: renews what it holds, drops an account whose session went away */
    assert_int_equal(st->leases_owned(st, "a", now + ttl, &ids, &n), DB_NONE);
    free(ids);
    assert_int_equal(st->lease_refresh(st, "a", now + ttl - 1, ttl), DB_ONE);
    assert_int_equal(st->leases_owned(st, "a", now + ttl, &ids, &n), DB_ONE);
    assert_int_equal(ids[0], acc[0]);
    free(ids);
    assert_int_equal(st->session_delete(st, acc[0]), DB_ONE);
    assert_int_equal(st->lease_refresh(st, "a", now + ttl, ttl), DB_ONE);
    assert_int_equal(st->leases_owned(st, "a", now + ttl, &ids, &n), DB_NONE);
    free(ids);
}

#define BIT(s) (1u << (s))

static void results_free(struct result_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        result_row_release(&rows[i]);
    free(rows);
}

/* Results per person, timelines and the contact audit (issue 16): each function on its own. */
static void people_pieces(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "pp@example.com"), b = make_account(st, "pp2@example.com");
    int64_t c[4] = {make_contact(st, a, "1"), make_contact(st, a, "2"), make_contact(st, a, "3"),
                    make_contact(st, a, "4")};
    int64_t camp = make_campaign(st, a, "People"), link = 0;
    struct step_totals *tot = NULL;
    size_t n = 0;
    assert_int_equal(st->campaign_step_totals(st, a, camp, &tot, &n), DB_NONE);
    assert_int_equal(campaign_start(st, a, camp, c, 4, 0, NULL), START_OK);
    int64_t r0 = finish_next(st, a, 1, NULL), r1 = finish_next(st, a, 0, NULL),
            r2 = finish_next(st, a, 1, NULL);

    /* the totals per step, from the counters */
    assert_int_equal(st->campaign_step_totals(st, a, camp, &tot, &n), DB_ONE);
    assert_int_equal(n, 1);
    assert_int_equal(tot[0].step, 0);
    assert_int_equal(tot[0].rows, 4);
    assert_int_equal(tot[0].sent, 2);
    assert_int_equal(tot[0].failed, 1);
    assert_int_equal(tot[0].skipped, 0);
    free(tot);
    assert_int_equal(st->campaign_step_totals(st, b, camp, &tot, &n), DB_NONE);

    /* what the person did: a read, two clicks, a paid order credited to the row */
    struct step_tally t;
    int64_t now = now_ms();
    assert_int_equal(st->recipients_mark_read(st, a, c[0], 500 + r0, now, &t), DB_ONE);
    assert_int_equal(st->link_ensure(st, a, camp, "https://shop.example/p", &link), DB_ONE);
    assert_int_equal(st->click_add(st, a, link, r0, now + 1), DB_ONE);
    assert_int_equal(st->click_add(st, a, link, r0, now + 2), DB_ONE);
    struct order_row o = {.amount = 1999, .created_at = now + 3, .contact_id = c[0]};
    snprintf(o.order_id, sizeof o.order_id, "PP-1");
    snprintf(o.currency, sizeof o.currency, "EUR");
    snprintf(o.status, sizeof o.status, "paid");
    int64_t oid = 0;
    assert_int_equal(st->order_save(st, a, &o, &oid), DB_ONE);
    struct attribution at = {
        .campaign_id = camp, .recipient_id = r0, .link_id = link, .step = 0, .by = "ref"};
    assert_int_equal(st->order_set_attribution(st, a, oid, &at), DB_ONE);

    /* every row, in id order, with the person's names; then pages */
    struct result_row *rows = NULL;
    unsigned all = (1u << RECIPIENT_STATUS_COUNT) - 1;
    assert_int_equal(st->results_page(st, a, camp, 0, all, 0, 10, &rows, &n), DB_ONE);
    assert_int_equal(n, 4);
    assert_int_equal(rows[0].id, r0);
    assert_int_equal(rows[1].id, r1);
    assert_int_equal(rows[2].id, r2);
    assert_string_equal(rows[0].status, "sent");
    assert_string_equal(rows[1].status, "failed");
    assert_string_equal(rows[1].error_code, "USER_IS_BLOCKED");
    assert_string_equal(rows[3].status, "pending");
    assert_int_equal(rows[3].contact_id, c[3]);
    assert_string_equal(rows[3].tg_user_id, "4");
    assert_memory_equal(rows[0].first_name.p, "first", 5);
    assert_null(rows[0].last_name.p);
    assert_true(rows[0].sent_at > 0 && rows[0].read_at == now && rows[0].replied_at == 0);
    assert_int_equal(rows[0].clicks, 2);
    assert_int_equal(rows[0].orders, 1);
    assert_int_equal(rows[0].revenue, 1999);
    assert_int_equal(rows[1].clicks + rows[1].orders + rows[1].sent_at + rows[1].opted_out_at, 0);
    int64_t pending_id = rows[3].id;
    results_free(rows, n);
    assert_int_equal(st->results_page(st, a, camp, 0, all, r1, 2, &rows, &n), DB_ONE);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].id, r2);
    assert_int_equal(rows[1].id, pending_id);
    results_free(rows, n);
    /* by stored status; none of a step without rows, of another account, or of no status */
    assert_int_equal(st->results_page(st, a, camp, 0, BIT(RECIPIENT_SENT), 0, 10, &rows, &n), DB_ONE);
    assert_int_equal(n, 2);
    results_free(rows, n);
    assert_int_equal(
        st->results_page(st, a, camp, 0, BIT(RECIPIENT_PENDING) | BIT(RECIPIENT_SENDING), 0, 10, &rows, &n),
        DB_ONE);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].id, pending_id);
    results_free(rows, n);
    assert_int_equal(st->results_page(st, a, camp, 0, BIT(RECIPIENT_SKIPPED), 0, 10, &rows, &n), DB_NONE);
    assert_int_equal(st->results_page(st, a, camp, 1, all, 0, 10, &rows, &n), DB_NONE);
    assert_int_equal(st->results_page(st, b, camp, 0, all, 0, 10, &rows, &n), DB_NONE);
    assert_int_equal(st->results_page(st, a, camp, 0, 0, 0, 10, &rows, &n), DB_NONE);

    /* the step of a row, of that campaign and account only */
    int step = -1;
    assert_int_equal(st->recipient_step(st, a, camp, r2, &step), DB_ONE);
    assert_int_equal(step, 0);
    assert_int_equal(st->recipient_step(st, a, camp + 100, r2, &step), DB_NONE);
    assert_int_equal(st->recipient_step(st, b, camp, r2, &step), DB_NONE);

    /* opting out and back in; the audit log */
    assert_int_equal(st->contact_clear_opted_out(st, a, c[3]), DB_NONE);
    assert_int_equal(st->contact_set_opted_out(st, a, c[3], now), DB_ONE);
    assert_int_equal(st->contact_clear_opted_out(st, b, c[3]), DB_NONE);
    assert_int_equal(st->contact_clear_opted_out(st, a, c[3]), DB_ONE);
    assert_int_equal(st->contact_clear_opted_out(st, a, c[3]), DB_NONE);
    struct blob details = bl("sealed-details");
    struct contact_audit e = {c[0], now + 4, "category_changed", "system", "classification", &details};
    assert_int_equal(st->contact_audit_add(st, a, &e), DB_ONE);
    e = (struct contact_audit){c[0], now + 5, "opted_out", "user", "api", NULL};
    assert_int_equal(st->contact_audit_add(st, a, &e), DB_ONE);

    /* the timeline: newest first, every kind of event, in pages */
    struct blob text = bl("sealed-text");
    assert_int_equal(st->inbound_add(st, a, c[0], 77, &text, now - 1000), DB_ONE);
    struct timeline_row *ev = NULL;
    assert_int_equal(st->timeline_page(st, a, c[0], NULL, 50, &ev, &n), DB_ONE);
    const int want[] = {TL_OPTED_OUT, TL_CATEGORY_CHANGED, TL_ORDER, TL_CLICKED, TL_CLICKED, TL_READ};
    assert_true(n == 8);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(ev[i].key.kind, want[i]);
    assert_int_equal(ev[7].key.kind, TL_MESSAGE_IN); /* sent and the message: the oldest two */
    assert_int_equal(ev[6].key.kind, TL_CAMPAIGN_SENT);
    assert_string_equal(ev[0].code, "user");
    assert_string_equal(ev[0].extra, "api");
    assert_null(ev[0].sealed.p);
    assert_memory_equal(ev[1].sealed.p, "sealed-details", ev[1].sealed.len);
    assert_int_equal(ev[2].num, 1999);
    assert_string_equal(ev[2].code, "PP-1");
    assert_string_equal(ev[2].extra, "EUR");
    assert_int_equal(ev[2].campaign_id, camp);
    assert_string_equal(ev[3].name, "https://shop.example/p");
    assert_string_equal(ev[6].name, "People");
    assert_int_equal(ev[7].num, 77);
    assert_memory_equal(ev[7].sealed.p, "sealed-text", ev[7].sealed.len);
    struct timeline_key k = ev[3].key;
    for (size_t i = 0; i < n; i++)
        timeline_row_release(&ev[i]);
    free(ev);
    assert_int_equal(st->timeline_page(st, a, c[0], &k, 2, &ev, &n), DB_ONE);
    assert_int_equal(n, 2);
    assert_int_equal(ev[0].key.kind, TL_CLICKED);
    assert_int_equal(ev[1].key.kind, TL_READ);
    for (size_t i = 0; i < n; i++)
        timeline_row_release(&ev[i]);
    free(ev);
    /* a failure and a refund; another account sees nothing */
    assert_int_equal(st->timeline_page(st, a, c[1], NULL, 50, &ev, &n), DB_ONE);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].key.kind, TL_CAMPAIGN_FAILED);
    assert_string_equal(ev[0].code, "USER_IS_BLOCKED");
    assert_int_equal(ev[0].campaign_id, camp);
    timeline_row_release(&ev[0]);
    free(ev);
    o.id = oid;
    snprintf(o.status, sizeof o.status, "refunded");
    assert_int_equal(st->order_save(st, a, &o, NULL), DB_ONE);
    assert_int_equal(st->timeline_page(st, a, c[0], NULL, 50, &ev, &n), DB_ONE);
    assert_int_equal(n, 9);
    int refunds = 0;
    for (size_t i = 0; i < n; i++) {
        refunds += ev[i].key.kind == TL_REFUND && ev[i].num == 1999 && ev[i].key.at >= now;
        timeline_row_release(&ev[i]);
    }
    free(ev);
    assert_int_equal(refunds, 1);
    assert_int_equal(st->timeline_page(st, b, c[0], NULL, 50, &ev, &n), DB_NONE);
}

static void sealed_values_rotate(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "k1@example.com"), b = make_account(st, "k2@example.com");
    const unsigned char s1[] = {1, 2, 3}, s2[] = {4, 5};
    assert_int_equal(st->account_set_webhook_secret(st, a, s1, sizeof s1), DB_ONE);
    assert_int_equal(st->account_set_webhook_secret(st, b, s2, sizeof s2), DB_ONE);
    struct sealed_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(st->sealed_scan(st, SEALED_WEBHOOK_SECRET, "", 1, &rows, &n), DB_ONE);
    assert_int_equal(n, 1);
    char want[32];
    snprintf(want, sizeof want, "%lld", (long long)a);
    assert_string_equal(rows[0].cursor, want);
    assert_string_equal(rows[0].row_key, want);
    assert_int_equal(rows[0].value.len, 3);
    char cursor[SEALED_CURSOR_MAX];
    snprintf(cursor, sizeof cursor, "%s", rows[0].cursor);
    sealed_row_release(&rows[0]);
    free(rows);
    assert_int_equal(st->sealed_scan(st, SEALED_WEBHOOK_SECRET, cursor, 10, &rows, &n), DB_ONE);
    assert_int_equal(n, 1);
    assert_memory_equal(rows[0].value.p, s2, 2);
    /* replaced where the value is still what was read */
    rows[0].fresh.p = malloc(4);
    memcpy(rows[0].fresh.p, "NEW!", 4);
    rows[0].fresh.len = 4;
    size_t replaced = 9;
    assert_int_equal(st->sealed_replace(st, SEALED_WEBHOOK_SECRET, rows, n, &replaced), DB_ONE);
    assert_int_equal(replaced, 1);
    assert_int_equal(st->sealed_replace(st, SEALED_WEBHOOK_SECRET, rows, n, &replaced), DB_ONE);
    assert_int_equal(replaced, 0); /* the value changed in between */
    sealed_row_release(&rows[0]);
    free(rows);
    unsigned char *out = NULL;
    size_t len = 0;
    assert_int_equal(st->account_webhook_secret(st, b, &out, &len), DB_ONE);
    assert_int_equal(len, 4);
    assert_memory_equal(out, "NEW!", 4);
    free(out);
    assert_int_equal(st->sealed_scan(st, SEALED_WEBHOOK_SECRET, cursor, 10, &rows, &n), DB_ONE);
    sealed_row_release(&rows[0]);
    free(rows);
    snprintf(cursor, sizeof cursor, "%lld", (long long)b);
    assert_int_equal(st->sealed_scan(st, SEALED_WEBHOOK_SECRET, cursor, 10, &rows, &n), DB_NONE);
    assert_int_equal(n, 0);

    /* contacts' row keys and meta's text values */
    int64_t c = make_contact(st, a, "99");
    assert_int_equal(st->sealed_scan(st, SEALED_CONTACT_FIRST_NAME, "", 10, &rows, &n), DB_ONE);
    assert_int_equal(n, 1);
    snprintf(want, sizeof want, "%lld", (long long)c);
    assert_string_equal(rows[0].cursor, want);
    snprintf(want, sizeof want, "%lld:99", (long long)a);
    assert_string_equal(rows[0].row_key, want);
    sealed_row_release(&rows[0]);
    free(rows);
    assert_int_equal(st->meta_set(st, "cmd:1", "c2VhbGVk"), DB_ONE);
    assert_int_equal(st->meta_set(st, "other", "x"), DB_ONE);
    assert_int_equal(st->sealed_scan(st, SEALED_META_VALUE, "", 10, &rows, &n), DB_ONE);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].cursor, "cmd:1");
    assert_string_equal(rows[0].row_key, "cmd:1");
    assert_int_equal(rows[0].value.len, 8);
    rows[0].fresh.p = malloc(5);
    memcpy(rows[0].fresh.p, "Zm9vYg", 5);
    rows[0].fresh.len = 5;
    assert_int_equal(st->sealed_replace(st, SEALED_META_VALUE, rows, n, &replaced), DB_ONE);
    assert_int_equal(replaced, 1);
    sealed_row_release(&rows[0]);
    free(rows);
    char v[32];
    assert_int_equal(st->meta_get(st, "cmd:1", v, sizeof v), DB_ONE);
    assert_string_equal(v, "Zm9vY");
    assert_int_equal(st->meta_delete(st, "cmd:1"), DB_ONE);
    assert_int_equal(st->meta_delete(st, "cmd:1"), DB_NONE);
    assert_int_equal(st->meta_get(st, "cmd:1", v, sizeof v), DB_NONE);
}

/* Every sealed column can be scanned and rewritten (one value of each, all statements of
 * STORE_SEALED_COLUMNS on this backend). */
static void every_sealed_column_rotates(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "all@example.com");
    const unsigned char wh[] = {9, 9};
    assert_int_equal(st->account_set_webhook_secret(st, a, wh, sizeof wh), DB_ONE);
    struct tg_session s = {.session = bl("sess"), .phone = bl("ph")};
    snprintf(s.status, sizeof s.status, "connected");
    assert_int_equal(st->session_put(st, a, &s), DB_ONE);
    struct contact c = {.access_hash = bl("ah"),
                        .first_name = bl("fn"),
                        .last_name = bl("ln"),
                        .username = bl("un"),
                        .phone = bl("pn")};
    snprintf(c.tg_user_id, sizeof c.tg_user_id, "5");
    int64_t cid = 0;
    assert_int_equal(st->contact_save(st, a, &c, &cid), DB_ONE);
    struct blob text = bl("txt"), cat = bl("cat"), conf = bl("conf"), code = bl("rc");
    assert_int_equal(st->inbound_add(st, a, cid, 77, &text, 1000), DB_ONE);
    assert_int_equal(st->category_put(st, a, cid, &cat, &conf, 0), DB_ONE);
    int64_t camp = make_campaign(st, a, "Sealed");
    struct discount_code_row dc = {.code = bl("dc")};
    snprintf(dc.code_bidx, sizeof dc.code_bidx, "b");
    assert_int_equal(st->codes_replace(st, a, camp, &dc, 1), DB_ONE);
    assert_int_equal(campaign_start(st, a, camp, &cid, 1, 0, NULL), START_OK);
    struct recipient r;
    assert_int_equal(st->recipient_next(st, a, now_ms(), &r), DB_ONE);
    assert_int_equal(st->recipient_claim(st, a, r.id, "rid", &code), DB_ONE);
    assert_int_equal(st->meta_set(st, "cmdr:9", "dmFs"), DB_ONE);
    struct blob details = bl("ad");
    struct contact_audit e = {cid, 1000, "opted_out", "user", "api", &details};
    assert_int_equal(st->contact_audit_add(st, a, &e), DB_ONE);
    int64_t hook = 0;
    struct blob hs = bl("hs");
    assert_int_equal(st->hooks->insert(st, a, "https://example.com/h", 1, "", 1000, &hook), DB_ONE);
    assert_int_equal(st->hooks->set_secret(st, a, hook, &hs), DB_ONE);
    for (int col = 0; col < SEALED__COUNT; col++) {
        struct sealed_row *rows = NULL;
        size_t n = 0, replaced = 0;
        assert_int_equal(st->sealed_scan(st, (enum store_sealed)col, "", 10, &rows, &n), DB_ONE);
        assert_int_equal(n, 1);
        rows[0].fresh.p = malloc(5);
        memcpy(rows[0].fresh.p, "fresh", 5);
        rows[0].fresh.len = 5;
        assert_int_equal(st->sealed_replace(st, (enum store_sealed)col, rows, n, &replaced), DB_ONE);
        assert_int_equal(replaced, 1);
        sealed_row_release(&rows[0]);
        free(rows);
        assert_int_equal(st->sealed_scan(st, (enum store_sealed)col, "", 10, &rows, &n), DB_ONE);
        assert_int_equal(rows[0].value.len, 5);
        assert_memory_equal(rows[0].value.p, "fresh", 5);
        sealed_row_release(&rows[0]);
        free(rows);
    }
}

/* A transaction whose function fails writes nothing; store calls inside it join it. */
static enum db_status write_then_fail(struct store *st, void *cls)
{
    enum db_status r = st->meta_set(st, "inside", "1");
    if (r < 0) return r;
    struct account a = {
        .id = *(int64_t *)cls, .timezone = "Asia/Tokyo", .frequency_cap_days = 9, .error_streak_limit = 5};
    r = st->account_update(st, &a);
    return r < 0 ? r : DB_HARD;
}

static void failed_transactions_roll_back(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "t@example.com");
    assert_int_equal(st->txn(st, TX_DURABLE, write_then_fail, &a), DB_HARD);
    char v[8];
    assert_int_equal(st->meta_get(st, "inside", v, sizeof v), DB_NONE);
    struct account got;
    assert_int_equal(st->account_get(st, a, &got), DB_ONE);
    assert_string_equal(got.timezone, "UTC");
}

struct heard {
    pthread_mutex_t lock;
    char last[64];
    int calls;
};

static void heard_cb(void *cls, const char *payload)
{
    struct heard *h = cls;
    pthread_mutex_lock(&h->lock);
    if (*payload) snprintf(h->last, sizeof h->last, "%s", payload);
    h->calls++;
    pthread_mutex_unlock(&h->lock);
}

/* PostgreSQL nudges other instances with NOTIFY; SQLite has neither function (instances poll). */
static void notify_reaches_listeners(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    if (strcmp(st->backend, "sqlite") == 0) {
        assert_null(st->notify);
        assert_null(st->listen);
        return;
    }
    struct heard h = {PTHREAD_MUTEX_INITIALIZER, "", 0};
    assert_int_equal(st->listen(st, "tgr_test", heard_cb, &h), DB_ONE);
    assert_int_equal(st->listen(st, "tgr_test", heard_cb, &h), DB_HARD); /* one listener */
    /* The listener connects on its own thread: send until it has heard one (at most ~10 s). */
    int got = 0;
    for (int i = 0; i < 100 && !got; i++) {
        assert_int_equal(st->notify(st, "tgr_test", "wake 7"), DB_ONE);
        usleep(100 * 1000);
        pthread_mutex_lock(&h.lock);
        got = strcmp(h.last, "wake 7") == 0;
        pthread_mutex_unlock(&h.lock);
    }
    assert_true(got);
    assert_int_equal(st->listen(st, "tgr_test", NULL, NULL), DB_ONE);
}

/* More contacts than one statement takes (inserts and PostgreSQL's audience pages are 5,000):
 * each gets its recipient row, in order, and an audience scan sees each once. */
struct many {
    int64_t account, ids[5003];
};

static enum db_status add_many(struct store *st, void *cls)
{
    struct many *m = cls;
    for (int i = 0; i < 5003; i++) {
        struct contact c = {0};
        snprintf(c.tg_user_id, sizeof c.tg_user_id, "%d", 700000 + i);
        enum db_status r = st->contact_save(st, m->account, &c, &m->ids[i]);
        if (r != DB_ONE) return r < 0 ? r : DB_HARD;
    }
    return DB_ONE;
}

struct scan_seen {
    int64_t n, last;
    int ordered;
};

static int scan_cb(void *cls, const struct audience_row *row)
{
    struct scan_seen *s = cls;
    if (row->contact_id <= s->last) s->ordered = 0;
    s->last = row->contact_id;
    s->n++;
    return 0;
}

static void large_audiences(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    struct many *m = calloc(1, sizeof *m);
    m->account = make_account(st, "big@example.com");
    assert_int_equal(st->txn(st, TX_NORMAL, add_many, m), DB_ONE);
    const struct audience_query all = {.min_orders = -1, .max_orders = -1, .min_spent = -1};
    struct scan_seen s = {0, 0, 1};
    assert_int_equal(st->audience_scan(st, m->account, &all, scan_cb, &s), DB_ONE);
    assert_int_equal(s.n, 5003);
    assert_true(s.ordered);
    int64_t camp = make_campaign(st, m->account, "Big");
    assert_int_equal(campaign_start(st, m->account, camp, m->ids, 5003, 0, NULL), START_OK);
    struct campaign_counts k;
    assert_int_equal(st->campaign_counts(st, m->account, camp, &k), DB_ONE);
    assert_int_equal(k.audience, 5003);
    assert_int_equal(k.pending, 5003);
    struct recipient r;
    assert_int_equal(st->recipient_next(st, m->account, now_ms(), &r), DB_ONE);
    assert_int_equal(r.contact_id, m->ids[0]);
    free(m);
}

/* The shop's side (issue 17): credential writes, the token generation, the orders list newest
 * first with test orders marked, the currency read leaving test orders out, import progress. */
/* The account's currency from its counted orders (issue 21 item 5): the most used, a tie to the
 * first alphabetically, per account; and a read snapshot runs its reads and answers what fn did. */
struct snap {
    int64_t account;
    char cur[4];
    int calls;
};

static enum db_status snap_read(struct store *st, void *cls)
{
    struct snap *s = cls;
    s->calls++;
    /* a read inside the snapshot, and a snapshot inside it (it just runs) */
    enum db_status r = st->account_currency(st, s->account, s->cur);
    return r < 0 ? r : DB_ONE;
}

static enum db_status snap_outer(struct store *st, void *cls)
{
    return st->read(st, snap_read, cls);
}

static void account_currency_counts(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "currency@example.com"), b = make_account(st, "currency-b@example.com");
    char cur[4] = "x";
    assert_int_equal(st->account_currency(st, a, cur), DB_NONE);
    assert_string_equal(cur, "");
    assert_int_equal(st->currency_count(st, a, "USD"), DB_ONE);
    assert_int_equal(st->currency_count(st, a, "EUR"), DB_ONE);
    assert_int_equal(st->account_currency(st, a, cur), DB_ONE);
    assert_string_equal(cur, "EUR"); /* one each: the first alphabetically */
    assert_int_equal(st->currency_count(st, a, "USD"), DB_ONE);
    assert_int_equal(st->account_currency(st, a, cur), DB_ONE);
    assert_string_equal(cur, "USD");
    assert_int_equal(st->currency_count(st, b, "GBP"), DB_ONE);
    assert_int_equal(st->account_currency(st, b, cur), DB_ONE);
    assert_string_equal(cur, "GBP");
    struct snap s = {a, "", 0};
    assert_int_equal(st->read(st, snap_outer, &s), DB_ONE);
    assert_int_equal(s.calls, 1);
    assert_string_equal(s.cur, "USD");
    /* inside a write transaction a snapshot reads the transaction's writes */
    assert_int_equal(st->txn(st, TX_NORMAL, snap_outer, &s), DB_ONE);
    assert_int_equal(s.calls, 2);
}

/* The group commit's writes, both ways a backend may make them (db.h row_sets): one statement
 * over a JSON array of the rows, or one per row (DECISIONS 94). Two accounts' campaigns, claimed
 * and then sent in one commit each: the rows, the log lines and the counters (added up per
 * campaign and step in core/outcome.c) come out the same either way. */
static void group_commit_both_ways(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    struct db *d = (struct db *)st;
    const struct db_ops *own = d->ops;
    for (int sets = 0; sets <= 1; sets++) {
        struct db_ops ops = *own;
        ops.row_sets = sets;
        d->ops = &ops;
        char email[64];
        int64_t acc[2], camp[2], ids[5];
        struct outbox_claim claims[5];
        struct outbox_done done[5];
        const char *rids[5] = {"71", "72", "73", "74", "75"};
        size_t k = 0;
        for (int i = 0; i < 2; i++) {
            snprintf(email, sizeof email, "group%d-%d@example.com", sets, i);
            acc[i] = make_account(st, email);
            camp[i] = make_campaign(st, acc[i], "Group");
            int64_t contacts[3];
            int per = i ? 2 : 3;
            for (int c = 0; c < per; c++) {
                snprintf(email, sizeof email, "%d%d%d", sets, i, c);
                contacts[c] = make_contact(st, acc[i], email);
            }
            assert_int_equal(campaign_start(st, acc[i], camp[i], contacts, (size_t)per, 1, NULL), START_OK);
            struct recipient r[3];
            size_t n = 0;
            assert_int_equal(st->recipients_next(st, acc[i], now_ms(), 0, r, NULL, 3, &n), DB_ONE);
            assert_int_equal(n, (size_t)per);
            for (size_t c = 0; c < n; c++, k++) {
                ids[k] = r[c].id;
                claims[k] = (struct outbox_claim){acc[i], r[c].id, rids[k], NULL, DB_HARD};
                done[k] = (struct outbox_done){acc[i],
                                               {.recipient_id = r[c].id,
                                                .campaign_id = camp[i],
                                                .contact_id = r[c].contact_id,
                                                .attempt = 1,
                                                .status = RECIPIENT_SENT,
                                                .log_status = "sent",
                                                .tg_message_id = 500 + (int64_t)k}};
            }
        }
        assert_int_equal(outbox_commit(st, claims, 5, NULL, 0), DB_ONE);
        for (int i = 0; i < 5; i++)
            assert_int_equal(claims[i].claimed, DB_ONE);
        /* claimed again while its outcome is written: the row has moved on */
        claims[0].claimed = DB_HARD;
        assert_int_equal(outbox_commit(st, claims, 1, done, 5), DB_ONE);
        assert_int_equal(claims[0].claimed, DB_NONE);
        char sql[256];
        for (int i = 0; i < 5; i++) {
            snprintf(
                sql, sizeof sql,
                "SELECT tg_message_id * 10 + CASE WHEN status = 'sent' AND sent_at > 0 THEN 2 ELSE 0 END "
                "+ attempt * 1000000 "
                "FROM recipients WHERE id = %lld AND random_id = '%s'",
                (long long)ids[i], rids[i]);
            assert_int_equal(sql_int(f, sql), 1000000 + (500 + i) * 10 + 2);
        }
        for (int i = 0; i < 2; i++) {
            int64_t per = i ? 2 : 3;
            snprintf(sql, sizeof sql, "SELECT total_sent FROM campaign_analytics WHERE campaign_id = %lld",
                     (long long)camp[i]);
            assert_int_equal(sql_int(f, sql), per);
            snprintf(sql, sizeof sql,
                     "SELECT sent * 100 + rows FROM campaign_steps WHERE campaign_id = %lld "
                     "AND step = 0",
                     (long long)camp[i]);
            assert_int_equal(sql_int(f, sql), per * 100 + per);
            snprintf(sql, sizeof sql,
                     "SELECT COUNT(*) FROM sent_logs WHERE campaign_id = %lld AND "
                     "status = 'sent' AND step = 0 AND attempt = 1 AND account_id = %lld",
                     (long long)camp[i], (long long)acc[i]);
            assert_int_equal(sql_int(f, sql), per);
        }
    }
    d->ops = own;
}

/* PostgreSQL: a new shop's first rows get the planner's statistics at once (store/pg/pg.c
 * "Statistics"). Batches of 500 orders, committed within a second of the connection's last
 * statement: PostgreSQL 15 then still holds their counts in the connection, and before the
 * counts were flushed first the orders table was left unanalyzed (http.test_shop.pg, CI). */
struct order_batch {
    int64_t account;
    int from;
};

static enum db_status save_orders(struct store *st, void *cls)
{
    const struct order_batch *b = cls;
    for (int i = b->from; i < b->from + 500; i++) {
        struct order_row o = {.amount = 100, .created_at = now_ms()};
        snprintf(o.order_id, sizeof o.order_id, "first-%d", i);
        snprintf(o.currency, sizeof o.currency, "EUR");
        snprintf(o.status, sizeof o.status, "paid");
        snprintf(o.body_hash, sizeof o.body_hash, "h%d", i);
        int64_t id = 0;
        enum db_status r = st->order_save(st, b->account, &o, &id);
        if (r < 0) return r;
    }
    return DB_ONE;
}

static void first_rows_are_analyzed(void **state)
{
    struct fx *f = *state;
    if (!f->url[0]) skip(); /* SQLite plans without statistics here */
    struct store *st = f->st;
    int64_t a = make_account(st, "first@example.com");
    for (int from = 0; from < 3500; from += 500) {
        struct order_batch b = {a, from};
        assert_int_equal(st->txn(st, TX_DURABLE, save_orders, &b), DB_ONE);
    }
    assert_int_equal(sql_int(f, "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'orders' "
                                "AND last_analyze IS NOT NULL"),
                     1);
}

/* The plan of statement id on the database under test, one line per node: SQLite's EXPLAIN QUERY
 * PLAN, or PostgreSQL's generic plan (every parameter NULL) after pg_setup ran on its connection
 * (left uncommitted: the connection ends without a commit). @return malloc'd */
static char *plan_of(struct fx *f, enum stmt_id id, const char *pg_setup)
{
    size_t cap = 8192, len = 0;
    char *out = calloc(1, cap);
    if (f->url[0]) {
        const char *sql = sql_pg(id);
        int params = 0;
        for (const char *p = strchr(sql, '$'); p; p = strchr(p + 1, '$'))
            if (atoi(p + 1) > params) params = atoi(p + 1);
        size_t qcap = strlen(sql) + 64;
        char *q = malloc(qcap), args[256] = "";
        snprintf(q, qcap, "PREPARE p AS %s", sql);
        for (int i = 0; i < params; i++)
            snprintf(args + strlen(args), sizeof args - strlen(args), "%sNULL", i ? ", " : "(");
        if (params) strcat(args, ")");
        char explain[300];
        snprintf(explain, sizeof explain, "EXPLAIN (COSTS OFF) EXECUTE p%s", args);
        PGconn *c = PQconnectdb(f->url);
        PQclear(PQexec(c, "SET plan_cache_mode = force_generic_plan"));
        PGresult *set = PQexec(c, pg_setup);
        if (PQresultStatus(set) != PGRES_COMMAND_OK) fail_msg("%s", PQerrorMessage(c));
        PQclear(set);
        PQclear(PQexec(c, q));
        PGresult *r = PQexec(c, explain);
        for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++)
            len += (size_t)snprintf(out + len, cap - len, "%s\n", PQgetvalue(r, i, 0));
        PQclear(r);
        PQfinish(c);
        free(q);
        return out;
    }
    char path[128], *sql = sql_sqlite(id);
    size_t qcap = strlen(sql) + 32;
    char *q = malloc(qcap);
    snprintf(q, qcap, "EXPLAIN QUERY PLAN %s", sql);
    snprintf(path, sizeof path, "%s/tgr.db", f->dir);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK)
        while (sqlite3_step(st) == SQLITE_ROW && len < cap)
            len += (size_t)snprintf(out + len, cap - len, "%s\n", (const char *)sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(q);
    free(sql);
    return out;
}

/* Migration 15 (DECISIONS 97): recipients_due, recipients_step_sent and recipients_sent_at hold
 * only the rows their reads want, and each read still finds its index on both backends — SQLite
 * takes a partial index only when the query's WHERE holds the index's condition as written (or
 * one side of its OR), so a read rewritten without it would quietly scan instead. */
static void partial_indexes_serve_their_reads(void **state)
{
    struct fx *f = *state;
    static const struct {
        enum stmt_id id;
        const char *index;
    } reads[] = {
        {S_RECIPIENTS_DUE, "recipients_due"},    {S_RECIPIENT_DUE, "recipients_due"},
        {S_RECIPIENT_SENDING, "recipients_due"}, {S_RECIPIENT_NEXT_AT, "recipients_due"},
        {S_RECIPIENTS_NEXT, "recipients_due"},   {S_NUDGE_NEXT_DUE, "recipients_step_sent"},
        {S_SENT_SINCE, "recipients_sent_at"},
    };
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        /* Sequential scans as costly as they go: any index that can serve the read is named. */
        char *plan = plan_of(f, reads[i].id, "SET enable_seqscan = off");
        if (!strstr(plan, reads[i].index))
            fail_msg("%s does not read %s:\n%s", sql_name(reads[i].id), reads[i].index, plan);
        free(plan);
    }
    /* The indexes are partial: a sent row is not among the rows to send, a claimed one not among the sent. */
    assert_int_equal(sql_int(f, f->url[0]
                                    ? "SELECT count(*) FROM pg_indexes WHERE indexname IN "
                                      "('recipients_due', 'recipients_step_sent', 'recipients_sent_at') "
                                      "AND indexdef LIKE '% WHERE %'"
                                    : "SELECT count(*) FROM sqlite_master WHERE name IN "
                                      "('recipients_due', 'recipients_step_sent', 'recipients_sent_at') "
                                      "AND sql LIKE '% WHERE %'"),
                     3);
}

/* The group commit's statements that update rows named in a JSON array find each row by its key
 * at any size of the table. PostgreSQL takes such an array for 100 rows, and against a few
 * thousand rows it hashed a whole scan of recipients for every commit (2.9 ms, 9 of 10 of the
 * commit's time in the scale-out bench) until each statement named its keys as well (KEYS_IN in
 * sql.h). The rows are added and analyzed on the plan's own connection and never committed. */
static void row_sets_update_by_key(void **state)
{
    struct fx *f = *state;
    static const char fill[] = "BEGIN; SET LOCAL session_replication_role = replica; "
                               "INSERT INTO recipients(account_id, campaign_id, contact_id, created_at) "
                               "SELECT g / 5 + 1, g / 5 + 1, g, 0 FROM generate_series(0, 4999) g; "
                               "INSERT INTO campaign_analytics(account_id, campaign_id, updated_at) "
                               "SELECT g, g, 0 FROM generate_series(1, 1000) g; "
                               "INSERT INTO webhooks(account_id, url, events, created_at) "
                               "SELECT g, 'https://example.com/', 1, 0 FROM generate_series(1, 1000) g; "
                               "ANALYZE recipients, campaign_analytics, webhooks";
    static const struct {
        enum stmt_id id;
        const char *table;
    } writes[] = {
        {S_RECIPIENTS_SENT, "recipients"},
        {S_CLAIM_MANY, "recipients"},
        {S_COUNT_SENT_MANY, "campaign_analytics"},
        {S_WEBHOOKS_WANTING, "webhooks"},
    };
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        char *plan = plan_of(f, writes[i].id, fill), scan[64];
        snprintf(scan, sizeof scan, f->url[0] ? "Seq Scan on %s" : "SCAN %s", writes[i].table);
        if (!plan[0] || strstr(plan, scan))
            fail_msg("%s reads the whole of %s:\n%s", sql_name(writes[i].id), writes[i].table, plan);
        free(plan);
    }
}

static void shop_pieces(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    int64_t a = make_account(st, "shop-side@example.com"), b = make_account(st, "other-side@example.com");
    struct account got;
    assert_int_equal(st->account_get(st, a, &got), DB_ONE);
    assert_int_equal(got.token_gen, 0);
    int64_t gen = 0;
    assert_int_equal(st->account_tokens_revoke(st, a, &gen), DB_ONE);
    assert_int_equal(gen, 1);
    assert_int_equal(st->account_tokens_revoke(st, a, &gen), DB_ONE);
    assert_int_equal(gen, 2);
    assert_int_equal(st->account_tokens_revoke(st, a + b + 100, &gen), DB_NONE);
    assert_int_equal(st->account_set_password(st, a, "$argon2id$new"), DB_ONE);
    assert_int_equal(st->account_set_api_key(st, a, "newkeyhash"), DB_ONE);
    assert_int_equal(st->account_set_api_key(st, a + b + 100, "x"), DB_NONE);
    assert_int_equal(st->account_get(st, a, &got), DB_ONE);
    assert_int_equal(got.token_gen, 2);
    assert_string_equal(got.password_hash, "$argon2id$new");
    assert_int_equal(st->account_by_api_key(st, "shop-side@example.com", &got), DB_NONE); /* the old hash */
    assert_int_equal(st->account_by_api_key(st, "newkeyhash", &got), DB_ONE);
    assert_int_equal(got.id, a);
    assert_int_equal(st->account_get(st, b, &got), DB_ONE);
    assert_int_equal(got.token_gen, 0); /* the other account keeps its tokens */

    /* The list: newest first, pages by id, another account's orders never in it. */
    int64_t ids[5];
    for (int i = 0; i < 5; i++) {
        struct order_row o = {.amount = 100 + i, .created_at = now_ms() + i};
        snprintf(o.order_id, sizeof o.order_id, "L-%d", i);
        snprintf(o.currency, sizeof o.currency, i == 4 ? "USD" : "EUR");
        snprintf(o.status, sizeof o.status, "paid");
        assert_int_equal(st->order_save(st, i == 2 ? b : a, &o, &ids[i]), DB_ONE);
    }
    assert_int_equal(st->order_mark_test(st, a, ids[4]), DB_ONE);
    assert_int_equal(st->order_mark_test(st, a, ids[2]), DB_NONE); /* b's order */
    struct order_summary *rows = NULL;
    size_t n = 0;
    assert_int_equal(st->orders_page(st, a, 0, 3, &rows, &n), DB_ONE);
    assert_int_equal(n, 3);
    assert_string_equal(rows[0].order_id, "L-4");
    assert_int_equal(rows[0].test, 1);
    assert_string_equal(rows[0].currency, "USD");
    assert_string_equal(rows[1].order_id, "L-3");
    assert_int_equal(rows[1].test, 0);
    assert_int_equal(rows[1].amount, 103);
    assert_string_equal(rows[1].status, "paid");
    assert_int_equal(rows[1].attributed_campaign_id, 0);
    assert_string_equal(rows[1].attributed_by, "");
    assert_string_equal(rows[2].order_id, "L-1");
    int64_t last = rows[2].id;
    free(rows);
    assert_int_equal(st->orders_page(st, a, last, 3, &rows, &n), DB_ONE);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].order_id, "L-0");
    free(rows);
    assert_int_equal(st->orders_page(st, a, ids[0], 3, &rows, &n), DB_NONE);
    assert_int_equal(n, 0);
    assert_int_equal(st->orders_page(st, b, 0, 10, &rows, &n), DB_ONE);
    assert_int_equal(n, 1);
    free(rows);
    /* Test orders do not choose the account's money currency: EUR, though the test order is USD
     * and a USD order more would tie. */
    struct order_row usd = {.amount = 5, .created_at = now_ms()};
    snprintf(usd.order_id, sizeof usd.order_id, "L-usd");
    snprintf(usd.currency, sizeof usd.currency, "USD");
    snprintf(usd.status, sizeof usd.status, "paid");
    assert_int_equal(st->order_save(st, a, &usd, &(int64_t){0}), DB_ONE);
    char cur[4];
    assert_int_equal(st->revenue_currency(st, a, 0, now_ms() + 60000, cur), DB_ONE);
    assert_string_equal(cur, "EUR");

    /* Import progress: written, replaced, read back, per account, pruned. */
    struct import_progress p = {10, 2048, 8192, 0, 0}, back;
    assert_int_equal(st->import_progress_put(st, a, "up-1", &p), DB_ONE);
    p = (struct import_progress){20, 8192, 8192, 1, 0};
    assert_int_equal(st->import_progress_put(st, a, "up-1", &p), DB_ONE);
    assert_int_equal(st->import_progress_get(st, a, "up-1", &back), DB_ONE);
    assert_int_equal(back.lines, 20);
    assert_int_equal(back.bytes_done, 8192);
    assert_int_equal(back.bytes_total, 8192);
    assert_int_equal(back.finished, 1);
    assert_true(back.updated_at > 0 && back.updated_at <= now_ms());
    int64_t at = back.updated_at;
    assert_int_equal(st->import_progress_get(st, b, "up-1", &back), DB_NONE);
    assert_int_equal(st->imports_prune(st, a, at), DB_NONE); /* not older than itself */
    assert_int_equal(st->imports_prune(st, a, at + 1), DB_ONE);
    assert_int_equal(st->import_progress_get(st, a, "up-1", &back), DB_NONE);
}

/* Outgoing webhooks' outbox (issue 19): an event is queued for the endpoints that want it, a
 * claim takes one due delivery of an endpoint with nothing in flight and no one else's, an
 * attempt's outcome ends the claim (a retry is not claimed before its time), a stale claim of
 * another instance is not taken, unclaim_all lets go of an instance's own, deleting an endpoint
 * deletes its deliveries, and pruning forgets old events. */
static void webhook_outbox(void **state)
{
    struct fx *f = *state;
    struct store *st = f->st;
    const struct store_hooks *h = st->hooks;
    int64_t a = make_account(st, "hooks@example.com"), b = make_account(st, "hooks2@example.com");
    int64_t w1 = 0, w2 = 0, w3 = 0, ev = 0, queued = 0, n = 0;
    assert_int_equal(h->insert(st, a, "https://one.example/h", 1 | 4, "first", 1000, &w1), DB_ONE);
    assert_int_equal(h->insert(st, a, "https://two.example/h", 4, "", 1000, &w2), DB_ONE);
    assert_int_equal(h->insert(st, b, "https://three.example/h", 1, "", 1000, &w3), DB_ONE);
    struct blob sec = bl("sealed-secret");
    assert_int_equal(h->set_secret(st, a, w1, &sec), DB_ONE);
    assert_int_equal(h->set_secret(st, b, w1, &sec), DB_NONE); /* another account's */
    assert_int_equal(h->wanted(st, a, 4, &n), DB_ONE);
    assert_int_equal(n, 2);
    assert_int_equal(h->wanted(st, a, 2, &n), DB_ONE);
    assert_int_equal(n, 0);

    /* bit 1: only w1 of account a */
    assert_int_equal(h->event_add(st, a, "message.sent", 1, 5000, "{\"x\":1}", &ev, &queued), DB_ONE);
    assert_true(ev > 0);
    assert_int_equal(queued, 1);
    int64_t ev2 = 0;
    assert_int_equal(h->event_add(st, a, "message.read", 4, 5001, "{}", &ev2, &queued), DB_ONE);
    assert_int_equal(queued, 2);
    assert_int_equal(h->pending(st, &n), DB_ONE);
    assert_int_equal(n, 3);

    /* Not due before its time; then w1's first event, then w2's (w1 has one in flight). */
    struct webhook_job j, k, none;
    assert_int_equal(h->claim(st, "inst-a", 4999, 4999 + 60000, &none), DB_NONE);
    assert_int_equal(h->claim(st, "inst-a", 6000, 66000, &j), DB_ONE);
    assert_int_equal(j.webhook_id, w1);
    assert_int_equal(j.event_id, ev);
    assert_int_equal(j.account_id, a);
    assert_string_equal(j.type, "message.sent");
    assert_string_equal(j.data, "{\"x\":1}");
    assert_string_equal(j.url, "https://one.example/h");
    assert_int_equal(j.secret.len, sec.len);
    assert_int_equal(j.created_at, 5000);
    assert_int_equal(h->claim(st, "inst-b", 6000, 66000, &k), DB_ONE);
    assert_int_equal(k.webhook_id, w2);
    assert_int_equal(k.event_id, ev2);
    assert_int_equal(h->claim(st, "inst-b", 6000, 66000, &none), DB_NONE); /* w1's second waits */
    assert_int_equal(h->next_due(st, &n), DB_ONE);
    assert_int_equal(n, 5000);

    /* j fails and is tried again at 9000; only its holder writes the outcome. */
    struct webhook_attempt fail = {"pending", 500, "HTTP 500", 6100, 9000};
    assert_int_equal(h->done(st, j.id, "inst-b", &fail), DB_NONE);
    assert_int_equal(h->done(st, j.id, "inst-a", &fail), DB_ONE);
    webhook_job_release(&j);
    assert_int_equal(h->claim(st, "inst-a", 6200, 66200, &none), DB_ONE); /* w1's second event now */
    assert_int_equal(none.event_id, ev2);
    webhook_job_release(&k);
    assert_int_equal(h->claim(st, "inst-a", 9000, 69000, &k), DB_NONE); /* w1 busy, w2 held by b */
    assert_int_equal(h->unclaim_all(st, "inst-a"), DB_ONE);
    webhook_job_release(&none);
    struct webhook_attempt ok = {"delivered", 204, NULL, 9100, 0};
    assert_int_equal(h->claim(st, "inst-b", 9000, 69000, &none), DB_ONE);
    assert_int_equal(none.event_id, ev2); /* let go of: due since 5001 */
    assert_int_equal(h->done(st, none.id, "inst-b", &ok), DB_ONE);
    webhook_job_release(&none);
    assert_int_equal(h->claim(st, "inst-b", 9000, 69000, &none), DB_ONE);
    assert_int_equal(none.webhook_id, w1);
    assert_int_equal(none.event_id, ev); /* the retry */
    assert_int_equal(none.attempts, 1);
    assert_int_equal(h->done(st, none.id, "inst-b", &ok), DB_ONE);
    webhook_job_release(&none);

    /* A lease that ran out is claimed by anyone. */
    assert_int_equal(h->claim(st, "inst-c", 66000, 126000, &none), DB_ONE);
    assert_int_equal(none.webhook_id, w2);
    webhook_job_release(&none);

    /* The view: newest first, another account's endpoint shows nothing. */
    struct webhook_delivery_row *rows = NULL;
    size_t nr = 0;
    assert_int_equal(h->deliveries(st, a, w1, 0, 10, &rows, &nr), DB_ONE);
    assert_int_equal(nr, 2);
    assert_int_equal(rows[0].event_id, ev2);
    assert_string_equal(rows[1].status, "delivered");
    assert_int_equal(rows[1].attempts, 2);
    assert_int_equal(rows[1].last_status_code, 204);
    assert_string_equal(rows[1].type, "message.sent");
    assert_int_equal(rows[1].created_at, 5000);
    free(rows);
    assert_int_equal(h->deliveries(st, b, w1, 0, 10, &rows, &nr), DB_NONE);
    struct webhook_row w;
    assert_int_equal(h->get(st, a, w1, &w), DB_ONE);
    assert_string_equal(w.description, "first");
    assert_int_equal(w.events, 5);
    assert_string_equal(w.last_status, "delivered"); /* its newest tried delivery */
    assert_int_equal(w.last_status_code, 204);
    assert_int_equal(h->get(st, b, w1, &w), DB_NONE);
    struct webhook_row *list = NULL;
    assert_int_equal(h->list(st, a, &list, &nr), DB_ONE);
    assert_int_equal(nr, 2);
    assert_int_equal(list[0].id, w1);
    assert_string_equal(list[1].last_status, "");
    free(list);

    /* Deleting an endpoint deletes its deliveries; pruning forgets old events and theirs. */
    assert_int_equal(h->remove(st, b, w1), DB_NONE);
    assert_int_equal(h->remove(st, a, w2), DB_ONE);
    assert_int_equal(h->pending(st, &n), DB_ONE);
    assert_int_equal(n, 0);
    assert_int_equal(h->prune(st, 5001, 100, &n), DB_ONE);
    assert_int_equal(n, 1);
    assert_int_equal(h->deliveries(st, a, w1, 0, 10, &rows, &nr), DB_ONE);
    assert_int_equal(nr, 1);
    assert_int_equal(rows[0].event_id, ev2);
    free(rows);
    assert_int_equal(h->recipient_contact(st, a, 999999, &n), DB_NONE);
    (void)w3;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(migrate_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(accounts_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(meta_values, setup, teardown),
        cmocka_unit_test_setup_teardown(many_threads_read_and_write, setup, teardown),
        cmocka_unit_test_setup_teardown(racing_transactions_lose_nothing, setup, teardown),
        cmocka_unit_test(bad_urls_are_refused),
        cmocka_unit_test_setup_teardown(sessions_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(contacts_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(campaigns_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(codes_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(send_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(outbox_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(group_commit_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(account_safety, setup, teardown),
        cmocka_unit_test_setup_teardown(nudges_and_reactions, setup, teardown),
        cmocka_unit_test_setup_teardown(links_and_clicks, setup, teardown),
        cmocka_unit_test_setup_teardown(orders_and_attribution, setup, teardown),
        cmocka_unit_test_setup_teardown(audiences, setup, teardown),
        cmocka_unit_test_setup_teardown(leases_share_accounts, setup, teardown),
        cmocka_unit_test_setup_teardown(start_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(segment_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(outcome_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(reaction_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(click_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(attribution_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(lease_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(people_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(sealed_values_rotate, setup, teardown),
        cmocka_unit_test_setup_teardown(every_sealed_column_rotates, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_transactions_roll_back, setup, teardown),
        cmocka_unit_test_setup_teardown(notify_reaches_listeners, setup, teardown),
        cmocka_unit_test_setup_teardown(large_audiences, setup, teardown),
        cmocka_unit_test_setup_teardown(shop_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(first_rows_are_analyzed, setup, teardown),
        cmocka_unit_test_setup_teardown(partial_indexes_serve_their_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(row_sets_update_by_key, setup, teardown),
        cmocka_unit_test_setup_teardown(account_currency_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(webhook_outbox, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
