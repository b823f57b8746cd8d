/* test_deliver — the outgoing webhooks' dispatcher (src/hooks/deliver.c) on a real store: an idle
 * outbox is looked at with reads only, no claim (a write transaction) until something is due;
 * something due is claimed. The store's hooks are wrapped to count the calls. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/app.h"
#include "hooks/deliver.h"
#include "store/store.h"
#include "unit_store.h"

static const struct store_hooks *real;
static int claims, looks;
static int64_t fake_due; /* 0: the store's own answer */

static enum db_status counting_claim(struct store *st, const char *instance, int64_t now, int64_t lease_until,
                                     struct webhook_job *out)
{
    __atomic_add_fetch(&claims, 1, __ATOMIC_RELAXED);
    return real->claim(st, instance, now, lease_until, out);
}

static enum db_status counting_next_due(struct store *st, int64_t *at)
{
    __atomic_add_fetch(&looks, 1, __ATOMIC_RELAXED);
    int64_t due = __atomic_load_n(&fake_due, __ATOMIC_RELAXED);
    if (!due) return real->next_due(st, at);
    *at = due;
    return DB_ONE;
}

struct fx {
    char dir[64], db[64], url[512];
    struct store *st;
    struct store_hooks hooks;
    struct app app;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/tgr-deliver-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    f->st = unit_store_open(f->dir, f->db, sizeof f->db, f->url, sizeof f->url);
    int applied = 0;
    if (!f->st || f->st->migrate(f->st, &applied) != DB_ONE) return -1;
    real = f->st->hooks;
    f->hooks = *real;
    f->hooks.claim = counting_claim;
    f->hooks.next_due = counting_next_due;
    f->st->hooks = &f->hooks;
    snprintf(f->app.cfg.data_dir, sizeof f->app.cfg.data_dir, "%s", f->dir);
    f->app.store = f->st;
    claims = looks = 0;
    fake_due = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    f->st->hooks = real;
    int rc = unit_store_close(f->st, f->db, f->dir);
    free(f);
    return rc;
}

static void run_for_ms(struct fx *f, int ms)
{
    struct deliverer *d = deliver_start(&f->app, "unit");
    assert_non_null(d);
    usleep((useconds_t)ms * 1000);
    deliver_stop(d);
}

static void idle_outbox_is_only_read(void **state)
{
    struct fx *f = *state;
    run_for_ms(f, 900); /* a look every 250 ms */
    assert_true(__atomic_load_n(&looks, __ATOMIC_RELAXED) >= 2);
    assert_int_equal(__atomic_load_n(&claims, __ATOMIC_RELAXED), 0);
}

static void something_due_is_claimed(void **state)
{
    struct fx *f = *state;
    fake_due = (int64_t)time(NULL) * 1000 - 1000; /* due a second ago (the store has no row to give) */
    run_for_ms(f, 600);
    assert_true(__atomic_load_n(&claims, __ATOMIC_RELAXED) >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(idle_outbox_is_only_read, setup, teardown),
        cmocka_unit_test_setup_teardown(something_due_is_claimed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
