/* test_orders — the orders CSV import (core/orders.c) in-process on a SQLite store: the reader
 * (libcsv) on long fields and the input that overflowed the old reader's stack, quoting, CRLF,
 * byte order marks, files larger than a chunk; line numbers in errors; batches (one transaction
 * per IMPORT_BATCH rows, a row the database refuses costing only itself, conflicts and repeats
 * inside one batch as they are one by one). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "core/orders.h"
#include "base/util.h"
#include "crypto/keys.h"
#include "store/store.h"

#define HEADER                                                                                               \
    "order_id,amount,currency,status,created_at,telegram_user_id,phone,username,discount_code,ref\n"

struct fx {
    char dir[64];
    struct app app;
    struct keyring keys;
    int64_t account;
};

/* Store wrappers: count transactions, refuse the order named fail_order. */
static enum db_status (*real_txn)(struct store *, enum db_tx, enum db_status (*)(struct store *, void *),
                                  void *);
static enum db_status (*real_order_save)(struct store *, int64_t, const struct order_row *, int64_t *);
static int txn_calls;
static const char *fail_order;

static enum db_status counting_txn(struct store *st, enum db_tx kind,
                                   enum db_status (*fn)(struct store *, void *), void *cls)
{
    txn_calls++;
    return real_txn(st, kind, fn, cls);
}

static enum db_status failing_order_save(struct store *st, int64_t account_id, const struct order_row *o,
                                         int64_t *id)
{
    if (fail_order && strcmp(o->order_id, fail_order) == 0) return DB_HARD;
    return real_order_save(st, account_id, o, id);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (f) f->app.kr = &f->keys;
    snprintf(f->dir, sizeof f->dir, "/tmp/tgr-orders-XXXXXX");
    if (!f || !mkdtemp(f->dir)) return -1;
    char err[256];
    struct store *st = store_open(NULL, f->dir, err, sizeof err);
    int applied = 0;
    if (!st || st->migrate(st, &applied) != DB_ONE) return -1;
    unsigned char m[KEYS_BYTES];
    for (int i = 0; i < KEYS_BYTES; i++)
        m[i] = (unsigned char)(7 + i);
    keyring_from_master(f->app.kr, m);
    struct account a = {0};
    snprintf(a.email, sizeof a.email, "shop@example.com");
    snprintf(a.password_hash, sizeof a.password_hash, "$argon2id$fake");
    snprintf(a.plan_type, sizeof a.plan_type, "free");
    if (st->account_create(st, &a, "keyhash", &f->account) != DB_ONE) return -1;
    real_txn = st->txn;
    real_order_save = st->order_save;
    st->txn = counting_txn;
    st->order_save = failing_order_save;
    txn_calls = 0;
    fail_order = NULL;
    f->app.store = st;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    f->app.store->close(f->app.store);
    keyring_clear(f->app.kr);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

struct progress_seen {
    int calls;
    long last_line;
    size_t last_done;
};

static void progress(void *ctx, long line, size_t done, size_t total)
{
    struct progress_seen *p = ctx;
    assert_true(line >= p->last_line && done >= p->last_done && done <= total);
    p->calls++;
    p->last_line = line;
    p->last_done = done;
}

/* Import len bytes of csv through a stream, as the HTTP handler and the CLI do. */
static int import(struct fx *f, const char *csv, size_t len, struct import_result *res,
                  struct progress_seen *p)
{
    static char empty[1];
    FILE *in = fmemopen(len ? (void *)csv : empty, len, "r");
    assert_non_null(in);
    int rc = orders_import_csv(&f->app, f->account, in, len, p ? progress : NULL, p, res);
    fclose(in);
    return rc;
}

/* The message of the error on line, or NULL. */
static const char *error_on(const struct import_result *res, long line)
{
    for (size_t i = 0; i < res->n_errors; i++)
        if (res->errors[i].line == line) return res->errors[i].message;
    return NULL;
}

static int stored(struct fx *f, const char *order_id)
{
    struct order_row o;
    return f->app.store->order_get(f->app.store, f->account, order_id, &o) == DB_ONE;
}

/* A growable text: the test files are built in it. */
struct text {
    char *p;
    size_t len, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = 0;
}

static void puts_(struct text *t, const char *s)
{
    put(t, s, strlen(s));
}

static void repeat(struct text *t, char c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(t, &c, 1);
}

/* The old reader's stack overflow: a field of exactly 4,095 bytes (its buffer's size less one)
 * followed by empty fields wrote a zero byte past its 4 KiB buffer for each of them. */
static void field_of_4095_then_empty_fields(void **state)
{
    struct fx *f = *state;
    struct text t = {0};
    puts_(&t, HEADER);
    repeat(&t, 'A', 4095);
    puts_(&t, ",,,,,,,,,\n");
    repeat(&t, 'B', 4095);
    puts_(&t, ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n");
    puts_(&t, "OK-1,100,EUR,paid,,,,,,\n");
    struct import_result res;
    assert_int_equal(import(f, t.p, t.len, &res, NULL), TGR_OK);
    assert_int_equal(res.imported, 1);
    assert_int_equal(res.errors_total, 2);
    assert_non_null(error_on(&res, 2));
    assert_non_null(strstr(error_on(&res, 2), "amount")); /* read whole: its amount is empty */
    assert_non_null(strstr(error_on(&res, 3), "different number of fields"));
    assert_true(stored(f, "OK-1"));
    import_result_release(&res);
    free(t.p);
}

/* Fields past IMPORT_FIELD_MAX (4096) and records past IMPORT_RECORD_MAX are errors of their own
 * line, whatever their length; the lines after them are imported. */
static void long_fields_are_errors_of_their_line(void **state)
{
    struct fx *f = *state;
    static const size_t lens[] = {4096, 4097, 5000, 70000, 300000};
    struct text t = {0};
    puts_(&t, HEADER);
    long line = 2;
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char row[64];
        repeat(&t, 'x', lens[i]); /* unquoted */
        puts_(&t, ",1,EUR,paid,,,,,,\n");
        puts_(&t, "\"");
        repeat(&t, 'y', lens[i]); /* quoted */
        puts_(&t, "\",1,EUR,paid,,,,,,\n");
        snprintf(row, sizeof row, "L-%zu,1,EUR,paid,,,,,,\n", i);
        puts_(&t, row);
        line += 3;
    }
    /* A line of 20,000 empty fields, and one of short fields longer than 16 KiB in all. */
    repeat(&t, ',', 20000);
    puts_(&t, "\n");
    for (int i = 0; i < 2000; i++)
        puts_(&t, "abcdefghij,");
    puts_(&t, "\nLAST,1,EUR,paid,,,,,,\n");
    struct import_result res;
    assert_int_equal(import(f, t.p, t.len, &res, NULL), TGR_OK);
    assert_int_equal(res.imported, 6);
    assert_int_equal(res.errors_total, 12);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        long l = 2 + 3 * (long)i;
        const char *m = error_on(&res, l), *q = error_on(&res, l + 1);
        assert_non_null(m);
        assert_non_null(q);
        if (lens[i] == 4096) {
            /* At the limit: read, then refused as an order_id (and a ref) too long. */
            assert_non_null(strstr(m, "order_id"));
            assert_non_null(strstr(q, "order_id"));
        } else {
            assert_string_equal(m, "has a field longer than 4096 bytes");
            assert_string_equal(q, "has a field longer than 4096 bytes");
        }
        assert_null(error_on(&res, l + 2));
        char id[16];
        snprintf(id, sizeof id, "L-%zu", i);
        assert_true(stored(f, id));
    }
    assert_string_equal(error_on(&res, line), "is longer than 16384 bytes");
    assert_string_equal(error_on(&res, line + 1), "is longer than 16384 bytes");
    assert_true(stored(f, "LAST"));
    import_result_release(&res);
    free(t.p);
}

/* RFC 4180 quoting: commas, line breaks and doubled quotes inside quoted fields; errors name the
 * line a record starts on. */
static void quoted_fields(void **state)
{
    struct fx *f = *state;
    const char *csv = HEADER "\"Q,1 \"\"x\"\"\",\"1,5\",EUR,paid,,,,,,\n" /* 2: "1,5" is not an amount */
                             "\"Q,2 \"\"y\"\"\",150,EUR,paid,,,,,,\n"     /* 3: imported */
                             "Q-3,100,EUR,paid,,,,,,\"a ref\n"            /* 4: a line break in ref */
                             "on two lines\"\n"                           /* 5 */
                             "Q-4,abc,EUR,paid,,,,,,\n"                   /* 6: bad amount */
                             "Q-5,1\"0,EUR,paid,,,,,,\n"                  /* 7: a quote in a field */
                             "\"Q-6\"x,100,EUR,paid,,,,,,\n"              /* 8: text after a quote */
                             "Q-7,100,EUR,paid,,,,,,\n"                   /* 9: imported */
                             "\"Q-8,100,EUR,paid,,,,,,\n";                /* 10: never closed */
    struct import_result res;
    assert_int_equal(import(f, csv, strlen(csv), &res, NULL), TGR_OK);
    assert_int_equal(res.imported, 2);
    assert_int_equal(res.errors_total, 6);
    assert_non_null(strstr(error_on(&res, 2), "amount"));
    assert_non_null(strstr(error_on(&res, 4), "ref"));
    assert_null(error_on(&res, 5));
    assert_non_null(strstr(error_on(&res, 6), "amount"));
    assert_non_null(strstr(error_on(&res, 7), "not valid CSV"));
    assert_non_null(strstr(error_on(&res, 8), "not valid CSV"));
    assert_non_null(strstr(error_on(&res, 10), "not closed"));
    assert_true(stored(f, "Q,2 \"y\""));
    assert_true(stored(f, "Q-7"));
    import_result_release(&res);
}

/* A spreadsheet's export: a byte order mark, CRLF line ends, blank lines, spaces around fields. */
static void bom_and_crlf(void **state)
{
    struct fx *f = *state;
    const char *csv = "\xEF\xBB\xBF"
                      "status,amount,order_id,currency\r\n"
                      "paid,100,C-1,EUR\r\n"
                      "\r\n"
                      "paid,oops,C-2,EUR\r\n" /* 4 */
                      "paid, 250 ,C-3,EUR\r\n"
                      "paid,300,C-4,EUR"; /* no line end at the end */
    struct import_result res;
    assert_int_equal(import(f, csv, strlen(csv), &res, NULL), TGR_OK);
    assert_int_equal(res.imported, 3);
    assert_int_equal(res.errors_total, 1);
    assert_int_equal(res.errors[0].line, 4);
    assert_true(stored(f, "C-1") && stored(f, "C-3") && stored(f, "C-4"));
    import_result_release(&res);
}

/* A file several chunks long: every row imported, errors on the right lines, progress forward,
 * and the rows committed IMPORT_BATCH to a transaction, not one each. */
static void a_file_larger_than_a_chunk(void **state)
{
    struct fx *f = *state;
    struct text t = {0};
    puts_(&t, HEADER);
    const int rows = 3000;
    for (int i = 0; i < rows; i++) {
        char row[160];
        /* Long enough lines that a quoted field straddles a chunk boundary somewhere. */
        snprintf(row, sizeof row, "\"BIG-%d\",%d,EUR,paid,2026-01-0%dT10:00:00Z,%d,,,\"CODE%d\",\n", i,
                 100 + i, 1 + i % 9, 900000 + i, i);
        puts_(&t, i == 2500 ? "BIG-X,1,EUR,paid,not-a-date,,,,,\n" : row);
    }
    assert_true(t.len > 2 * IMPORT_CHUNK);
    struct import_result res;
    struct progress_seen p = {0};
    txn_calls = 0;
    assert_int_equal(import(f, t.p, t.len, &res, &p), TGR_OK);
    assert_int_equal(res.imported, rows - 1);
    assert_int_equal(res.errors_total, 1);
    assert_int_equal(res.errors[0].line, 2502);
    assert_true(stored(f, "BIG-0") && stored(f, "BIG-2999"));
    assert_int_equal(txn_calls, (rows + IMPORT_BATCH - 1) / IMPORT_BATCH);
    assert_true(p.calls >= 3);
    assert_int_equal(p.last_line, rows + 2);
    assert_int_equal(p.last_done, t.len);
    import_result_release(&res);
    free(t.p);
}

/* Inside one batch, outcomes are what they are one order at a time: a repeat is skipped, another
 * amount for a known id is a conflict, a refund of an earlier line reverses it. */
static void conflicts_and_repeats_in_one_batch(void **state)
{
    struct fx *f = *state;
    const char *csv = HEADER "D-1,100,EUR,paid,,,,,,\n"
                             "D-1,100,EUR,paid,,,,,,\n"     /* 3: the same: skipped */
                             "D-1,200,EUR,paid,,,,,,\n"     /* 4: conflict */
                             "D-2,100,euro,paid,,,,,,\n"    /* 5: invalid */
                             "D-1,100,EUR,refunded,,,,,,\n" /* 6: refund */
                             "D-1,100,EUR,paid,,,,,,\n";    /* 7: paid again after a refund */
    struct import_result res;
    txn_calls = 0;
    assert_int_equal(import(f, csv, strlen(csv), &res, NULL), TGR_OK);
    assert_int_equal(txn_calls, 1);
    assert_int_equal(res.imported, 2);
    assert_int_equal(res.skipped, 1);
    assert_int_equal(res.errors_total, 3);
    assert_non_null(strstr(error_on(&res, 4), "exists with another amount"));
    assert_non_null(strstr(error_on(&res, 5), "currency"));
    assert_non_null(strstr(error_on(&res, 7), "refunded"));
    assert_int_equal(res.errors[0].line, 4);
    assert_int_equal(res.errors[2].line, 7);
    struct order_row o;
    assert_int_equal(f->app.store->order_get(f->app.store, f->account, "D-1", &o), DB_ONE);
    assert_string_equal(o.status, "refunded");
    assert_false(stored(f, "D-2"));
    import_result_release(&res);
}

/* A row the database refuses is an error of its line; the other rows of its batch are stored. */
static void a_refused_row_costs_only_itself(void **state)
{
    struct fx *f = *state;
    const char *csv = HEADER "E-1,100,EUR,paid,,,,,,\n"
                             "E-2,100,EUR,paid,,,,,,\n"
                             "E-3,100,EUR,paid,,,,,,\n";
    struct import_result res;
    fail_order = "E-2";
    assert_int_equal(import(f, csv, strlen(csv), &res, NULL), TGR_OK);
    fail_order = NULL;
    assert_int_equal(res.imported, 2);
    assert_int_equal(res.errors_total, 1);
    assert_int_equal(res.errors[0].line, 3);
    assert_non_null(strstr(res.errors[0].message, "database"));
    assert_true(stored(f, "E-1") && stored(f, "E-3"));
    assert_false(stored(f, "E-2"));
    import_result_release(&res);
}

/* A header that cannot be used ends the import with one error that names its line. */
static void header_errors_name_the_line(void **state)
{
    struct fx *f = *state;
    struct import_result res;
    assert_int_equal(import(f, "", 0, &res, NULL), TGR_ERR);
    assert_int_equal(res.n_errors, 1);
    import_result_release(&res);

    const char *csv = "\n\norder_id,amount,currency,total\n1,2,EUR,3\n";
    assert_int_equal(import(f, csv, strlen(csv), &res, NULL), TGR_ERR);
    assert_int_equal(res.errors_total, 1);
    assert_string_equal(res.errors[0].message, "line 3: header column 'total' is not known");
    import_result_release(&res);

    struct text t = {0};
    puts_(&t, "order_id,amount,currency,status,");
    repeat(&t, 'h', 100000);
    puts_(&t, "\nH-1,1,EUR,paid,\n");
    assert_int_equal(import(f, t.p, t.len, &res, NULL), TGR_ERR);
    assert_int_equal(res.errors_total, 1);
    assert_string_equal(res.errors[0].message, "line 1: the header has a field longer than 4096 bytes");
    assert_false(stored(f, "H-1"));
    import_result_release(&res);
    free(t.p);

    csv = "order_id,\"amount\"x,currency,status\n";
    assert_int_equal(import(f, csv, strlen(csv), &res, NULL), TGR_ERR);
    assert_non_null(strstr(res.errors[0].message, "line 1: the header is not valid CSV"));
    import_result_release(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(field_of_4095_then_empty_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(long_fields_are_errors_of_their_line, setup, teardown),
        cmocka_unit_test_setup_teardown(quoted_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(bom_and_crlf, setup, teardown),
        cmocka_unit_test_setup_teardown(a_file_larger_than_a_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(conflicts_and_repeats_in_one_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(a_refused_row_costs_only_itself, setup, teardown),
        cmocka_unit_test_setup_teardown(header_errors_name_the_line, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
