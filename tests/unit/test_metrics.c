/* Unit tests for the operators' metrics (base/counters.c, http/metrics.c): the histogram type's
 * buckets (a bound is inclusive, as Prometheus's le), a histogram's fixed label values, that
 * the series of one counter with a fixed label sit together (one HELP/TYPE each), and the gauges
 * read at render time on a real SQLite store — present and zero on an empty database, left out
 * of the page when their read fails, which counts a store error. The exposition as a whole is
 * checked by promtool in tests/http/test_ops_metrics.py. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/counters.h"
#include "base/util.h"
#include "crypto/keys.h"
#include "http/metrics.h"
#include "http/router.h"
#include "store/store.h"

static void test_hist_buckets(void **state)
{
    (void)state;
    static const double b[HIST_BOUNDS] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1,
                                          0.2,   0.5,   1,     2,    5,    10,   20};
    struct hist h = {0};
    uint64_t cum[HIST_BOUNDS + 1];
    assert_true(hist_read(&h, cum) == 0);
    assert_int_equal(cum[HIST_BOUNDS], 0);
    hist_observe(&h, b, 1000);     /* exactly 0.001 s: le="0.001" */
    hist_observe(&h, b, 1001);     /* just over: the next bucket */
    hist_observe(&h, b, -5);       /* a clock step back counts as 0 */
    hist_observe(&h, b, 60000000); /* past the last bound: +Inf only */
    double sum = hist_read(&h, cum);
    assert_int_equal(cum[0], 2);
    assert_int_equal(cum[1], 3);
    assert_int_equal(cum[HIST_BOUNDS - 1], 3);
    assert_int_equal(cum[HIST_BOUNDS], 4);
    assert_true(sum > 60.00200 && sum < 60.00201);
}

static void test_histogram_values(void **state)
{
    (void)state;
    const struct histogram_def *d = &histogram_defs[HIST_BRIDGE];
    size_t other = histogram_value(HIST_BRIDGE, "other");
    assert_string_equal(d->values[other], "other");
    assert_null(d->values[other + 1]);
    assert_string_equal(d->values[histogram_value(HIST_BRIDGE, "send")], "send");
    assert_string_equal(d->values[histogram_value(HIST_BRIDGE, "sync")], "sync");
    assert_int_equal(histogram_value(HIST_BRIDGE, "getDialogs"), other);
    assert_int_equal(histogram_value(HIST_BRIDGE, NULL), other);
    assert_int_equal(histogram_value(HIST_SEND, "send"), 0);
    histogram_observe(HIST_BRIDGE, histogram_value(HIST_BRIDGE, "sync"), 30000);
    uint64_t cum[HIST_BOUNDS + 1];
    hist_read(histogram_series(HIST_BRIDGE, histogram_value(HIST_BRIDGE, "sync")), cum);
    assert_int_equal(cum[HIST_BOUNDS], 1);
}

/* A metric's entries in counter_defs are adjacent, with one help and one label name. */
static void test_fixed_labels_are_adjacent(void **state)
{
    (void)state;
    for (int i = 0; i < CNT_N; i++)
        for (int j = i + 2; j < CNT_N; j++)
            if (strcmp(counter_defs[i].name, counter_defs[j].name) == 0)
                assert_string_equal(counter_defs[j - 1].name, counter_defs[i].name);
    for (int i = 1; i < CNT_N; i++) {
        if (strcmp(counter_defs[i].name, counter_defs[i - 1].name) != 0) continue;
        assert_string_equal(counter_defs[i].help, counter_defs[i - 1].help);
        assert_string_equal(counter_defs[i].label, counter_defs[i - 1].label);
        assert_non_null(counter_defs[i].value);
    }
}

static enum hres nothing(struct req *r)
{
    (void)r;
    return H_OK;
}

static const struct route routes[] = {{"GET", "/x", nothing, AUTH_NONE, 0, NULL, 0},
                                      {NULL, NULL, NULL, AUTH_NONE, 0, NULL, 0}};

struct fx {
    char dir[64];
    struct app app;
    struct keyring kr;
    struct metrics *m;
};

static char *render(struct fx *f)
{
    size_t len = 0;
    char *text = metrics_render(f->m, &f->app, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

static void test_gauges(void **state)
{
    (void)state;
    struct fx f = {.dir = "/tmp/tgr-metrics-XXXXXX"};
    assert_non_null(mkdtemp(f.dir));
    char err[256];
    f.app.store = store_open(NULL, f.dir, err, sizeof err);
    assert_non_null(f.app.store);
    assert_int_equal(f.app.store->migrate(f.app.store, NULL), DB_ONE);
    unsigned char master[KEYS_BYTES] = {7};
    keyring_from_master(&f.kr, master);
    f.app.kr = &f.kr;
    f.m = metrics_new(routes);
    assert_non_null(f.m);

    char *text = render(&f);
    assert_non_null(strstr(text, "# TYPE tgr_campaigns gauge\n"));
    assert_non_null(strstr(text, "\ntgr_campaigns{status=\"running\"} 0\n"));
    assert_non_null(strstr(text, "\ntgr_campaigns{status=\"scheduled\"} 0\n"));
    assert_non_null(strstr(text, "\ntgr_outbox_messages 0\n"));
    assert_non_null(strstr(text, "\ntgr_sealing_key_id 1\n"));
    assert_non_null(strstr(text, "\ntgr_store_errors_total{kind=\"hard\"} 0\n"));
    assert_non_null(strstr(text, "\ntgr_send_duration_seconds_count 0\n"));
    free(text);

    /* The campaigns table gone: both reads fail, their gauges are not shown as 0. */
    char path[128];
    snprintf(path, sizeof path, "%s/tgr.db", f.dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "ALTER TABLE campaigns RENAME TO campaigns_gone", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    uint64_t hard = counter_get(CNT_STORE_ERRORS_HARD);
    text = render(&f);
    assert_null(strstr(text, "tgr_campaigns"));
    assert_null(strstr(text, "tgr_outbox_messages"));
    assert_non_null(strstr(text, "\ntgr_sealing_key_id 1\n"));
    assert_int_equal(counter_get(CNT_STORE_ERRORS_HARD), hard + 2);
    free(text);

    metrics_free(f.m);
    f.app.store->close(f.app.store);
    keyring_clear(&f.kr);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f.dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_buckets),
        cmocka_unit_test(test_histogram_values),
        cmocka_unit_test(test_fixed_labels_are_adjacent),
        cmocka_unit_test(test_gauges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
