/* test_deliver — the outgoing webhooks' dispatcher (src/hooks/deliver.c) on a real store: an idle
 * outbox is looked at with reads only, no claim (a write transaction) until something is due,
 * and read only when this process queued something or every 2 s; an idle dispatcher sleeps
 * between those reads and a commit that queues wakes it; something due is claimed. The store's
 * hooks are wrapped to count the calls. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/app.h"
#include "base/util.h"
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

/* How often the dispatcher thread ("tgr-hooks") has gone to sleep and been woken: its voluntary
 * context switches, as the kernel counts them (-1: no such thread). */
static long dispatcher_wakes(void)
{
    DIR *dir = opendir("/proc/self/task");
    long n = -1;
    struct dirent *e;
    while (dir && n < 0 && (e = readdir(dir))) {
        char path[300], comm[32] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *fp = fopen(path, "r");
        if (!fp) continue;
        int named = fgets(comm, sizeof comm, fp) && strncmp(comm, "tgr-hooks\n", 10) == 0;
        fclose(fp);
        if (!named) continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        fp = fopen(path, "r");
        char line[128];
        while (fp && fgets(line, sizeof line, fp))
            if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1) break;
        if (fp) fclose(fp);
    }
    if (dir) closedir(dir);
    return n;
}

static void idle_outbox_is_only_read(void **state)
{
    struct fx *f = *state;
    run_for_ms(f, 900); /* a look every 250 ms */
    assert_true(__atomic_load_n(&looks, __ATOMIC_RELAXED) >= 1);
    assert_int_equal(__atomic_load_n(&claims, __ATOMIC_RELAXED), 0);
}

/* DECISIONS 96: a look reads the outbox only when this process queued something since the last
 * read, or every LOOK_ALL_MS (2 s) for what other instances queued: in 2.3 s idle, two reads
 * (at the start and 2 s later), where a read every 250 ms made nine. */
static void idle_outbox_is_read_every_two_seconds(void **state)
{
    struct fx *f = *state;
    run_for_ms(f, 2300);
    assert_int_equal(__atomic_load_n(&looks, __ATOMIC_RELAXED), 2);
}

/* DECISIONS 103: between those reads the dispatcher sleeps; it does not wake on a shorter clock
 * to see whether this process queued something (a commit that queues wakes it). In 2.3 s idle it
 * sleeps about three times (after the first read, after the second, and senders' start-up); on a
 * 250 ms clock it slept ten times. */
static void idle_dispatcher_sleeps_between_reads(void **state)
{
    struct fx *f = *state;
    struct deliverer *d = deliver_start(&f->app, "unit");
    assert_non_null(d);
    usleep(100 * 1000);
    long w0 = dispatcher_wakes();
    usleep(2200 * 1000);
    long w1 = dispatcher_wakes();
    deliver_stop(d);
    assert_true(w0 >= 0);
    assert_in_range(w1 - w0, 0, 4);
}

struct queue_one {
    int64_t account_id;
    int64_t deliveries;
};

static enum db_status queue_one(struct store *st, void *cls)
{
    struct queue_one *q = cls;
    int64_t event_id = 0;
    return st->hooks->event_add(st, q->account_id, "message.sent", 1, now_ms(), "{}", &event_id,
                                &q->deliveries);
}

/* An event queued here is read at once: the commit wakes the dispatcher, which would otherwise
 * sleep until its next read 2 s after the first. */
static void an_event_queued_here_is_read_at_the_next_look(void **state)
{
    struct fx *f = *state;
    struct account a = {0};
    snprintf(a.email, sizeof a.email, "hooks@example.com");
    snprintf(a.password_hash, sizeof a.password_hash, "$argon2id$fake");
    snprintf(a.plan_type, sizeof a.plan_type, "free");
    int64_t account = 0, endpoint = 0;
    assert_int_equal(f->st->account_create(f->st, &a, a.email, &account), DB_ONE);
    assert_int_equal(
        f->st->hooks->insert(f->st, account, "https://hooks.example/x", 1, "", now_ms(), &endpoint), DB_ONE);
    struct deliverer *d = deliver_start(&f->app, "unit");
    assert_non_null(d);
    usleep(300 * 1000);
    int before = __atomic_load_n(&looks, __ATOMIC_RELAXED);
    struct queue_one q = {account, 0};
    assert_int_equal(f->st->txn(f->st, TX_NORMAL, queue_one, &q), DB_ONE);
    assert_int_equal(q.deliveries, 1);
    usleep(500 * 1000);
    int after = __atomic_load_n(&looks, __ATOMIC_RELAXED);
    int claimed = __atomic_load_n(&claims, __ATOMIC_RELAXED);
    deliver_stop(d);
    assert_true(after > before);
    assert_true(claimed >= 1);
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
        cmocka_unit_test_setup_teardown(idle_outbox_is_read_every_two_seconds, setup, teardown),
        cmocka_unit_test_setup_teardown(idle_dispatcher_sleeps_between_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(an_event_queued_here_is_read_at_the_next_look, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
