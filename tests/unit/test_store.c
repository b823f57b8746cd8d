/* test_store — the storage interface: migrations (idempotent), accounts (create, duplicate,
 * lookups), meta, readers and writers on many threads, transactions that race. Written against
 * struct store only, and run against both backends: SQLite by default, PostgreSQL when
 * TGR_TEST_PG names a server (a postgres:// URL of a user that may create databases, or a file
 * holding one, as scripts/pg.sh writes); each test then gets a database of its own. */
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
    f->st->close(f->st);
    if (unit_store_drop(f->db) != 0) return -1;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
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

    assert_int_equal(f->st->account_update(f->st, id, "Europe/Berlin", 5), DB_ONE);
    assert_int_equal(f->st->account_get(f->st, id, &got), DB_ONE);
    assert_string_equal(got.timezone, "Europe/Berlin");
    assert_int_equal(got.frequency_cap_days, 5);

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
        enum db_status r = w->st->txn(w->st, 0, add_one, NULL);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(migrate_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(accounts_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(meta_values, setup, teardown),
        cmocka_unit_test_setup_teardown(many_threads_read_and_write, setup, teardown),
        cmocka_unit_test_setup_teardown(racing_transactions_lose_nothing, setup, teardown),
        cmocka_unit_test(bad_urls_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
