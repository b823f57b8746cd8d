/* test_cluster — the cluster's narrow interface (src/cluster/cluster.h), in-process, two
 * instances on one database: instance names; lease rounds (taken and lost accounts, the fair
 * share and the hand-over, the safety margin, when the next round is due); who runs an
 * account's client (is_local, take) and the wake-up a take gives; remote commands refused
 * without a relay. On PostgreSQL (TGR_TEST_PG, CTest unit.test_cluster.pg) also the relay
 * itself: a command sealed, sent, run by the owner and answered, an error carried back, a
 * command for an instance nobody is, and a wake-up reaching the other instance. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "base/app.h"
#include "base/util.h"
#include "base/worker.h"
#include "cluster/cluster.h"
#include "crypto/keys.h"
#include "store/store.h"
#include "unit_store.h"

#define LEASE_S  15
#define LEASE_MS (LEASE_S * 1000)

/* What an instance's callbacks saw. */
struct seen {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int64_t wakes[16];
    int n_wakes;
    int commands;
};

struct fx {
    char dir[64], db[64], url[512];
    struct store *st, *st2; /* st2: a second connection to the same database (PostgreSQL) */
    struct keyring kr;
    struct worker_pool *pool;
    struct app a, b;
    struct seen seen_a, seen_b;
    struct cluster *ca, *cb;
    int64_t accounts[5]; /* ascending; the first four connected */
};

static void on_wake(void *ctx, int64_t account_id)
{
    struct seen *s = ctx;
    pthread_mutex_lock(&s->mu);
    if (s->n_wakes < 16) s->wakes[s->n_wakes++] = account_id;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* The owner's side of a relayed command: "echo" answers what it got, "flood" fails as Telegram
 * would, anything else is left to the relay's preset error. */
static int on_command(void *ctx, int64_t account_id, const char *kind, json_t *req, json_t **result,
                      struct bridge_error *err)
{
    struct seen *s = ctx;
    pthread_mutex_lock(&s->mu);
    s->commands++;
    pthread_mutex_unlock(&s->mu);
    if (strcmp(kind, "echo") == 0) {
        *result = json_pack("{s:s, s:I, s:O}", "kind", kind, "account", (json_int_t)account_id, "req", req);
        return TGR_OK;
    }
    if (strcmp(kind, "flood") == 0) {
        snprintf(err->code, sizeof err->code, "FLOOD_WAIT");
        snprintf(err->message, sizeof err->message, "wait a little");
        err->seconds = 7;
    }
    return TGR_ERR;
}

static void app_init(struct app *app, struct fx *f, struct store *st, const char *instance)
{
    memset(app, 0, sizeof *app);
    snprintf(app->cfg.instance_id, sizeof app->cfg.instance_id, "%s", instance);
    snprintf(app->cfg.data_dir, sizeof app->cfg.data_dir, "%s", f->dir);
    app->cfg.lease_seconds = LEASE_S;
    app->store = st;
    app->kr = &f->kr;
    app->tg_pool = f->pool;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/tgr-cluster-XXXXXX");
    if (!f || !mkdtemp(f->dir)) return -1;
    f->st = unit_store_open(f->dir, f->db, sizeof f->db, f->url, sizeof f->url);
    int applied = 0;
    if (!f->st || f->st->migrate(f->st, &applied) != DB_ONE) return -1;
    char err[256];
    f->st2 = f->url[0] ? store_open(f->url, f->dir, err, sizeof err) : f->st;
    if (!f->st2) return -1;
    unsigned char master[KEYS_BYTES];
    randombytes_buf(master, sizeof master);
    keyring_from_master(&f->kr, master);
    f->pool = worker_pool_new(2, 16, 0);
    app_init(&f->a, f, f->st, "a");
    app_init(&f->b, f, f->st2, "b");
    struct seen *seen[] = {&f->seen_a, &f->seen_b};
    for (int i = 0; i < 2; i++) {
        pthread_mutex_init(&seen[i]->mu, NULL);
        pthread_cond_init(&seen[i]->cv, NULL);
    }
    f->ca = cluster_new(&f->a, on_wake, on_command, &f->seen_a);
    f->cb = cluster_new(&f->b, on_wake, on_command, &f->seen_b);
    if (!f->pool || !f->ca || !f->cb) return -1;
    /* Four shops with a connected Telegram session, and one without. */
    for (int i = 0; i < 5; i++) {
        struct account acct = {0};
        char hash[32];
        snprintf(acct.email, sizeof acct.email, "shop%d@example.com", i);
        snprintf(acct.password_hash, sizeof acct.password_hash, "$argon2id$fake");
        snprintf(acct.plan_type, sizeof acct.plan_type, "free");
        snprintf(hash, sizeof hash, "keyhash%d", i);
        if (f->st->account_create(f->st, &acct, hash, &f->accounts[i]) != DB_ONE) return -1;
        if (i == 4) break;
        struct tg_session s = {0};
        snprintf(s.status, sizeof s.status, "connected");
        if (f->st->session_put(f->st, f->accounts[i], &s) != DB_ONE) return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    cluster_stop(f->ca);
    cluster_stop(f->cb);
    worker_pool_free(f->pool); /* runs what is queued: no command job outlives its cluster */
    cluster_free(f->ca);
    cluster_free(f->cb);
    if (f->st2 != f->st) f->st2->close(f->st2);
    f->st->close(f->st);
    if (unit_store_drop(f->db) != 0) return -1;
    keyring_clear(&f->kr);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

static int is_pg(const struct fx *f)
{
    return f->url[0] != 0;
}

static void assert_ids(const int64_t *got, size_t n, const int64_t *want, size_t wn)
{
    assert_int_equal(n, wn);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(got[i], want[i]);
}

static void instance_names(void **state)
{
    struct fx *f = *state;
    assert_string_equal(cluster_instance(f->ca), "a");
    /* Without --instance-id: host and data directory, the same after a restart, another for
     * another data directory. */
    struct app x = f->a, y = f->a;
    x.cfg.instance_id[0] = y.cfg.instance_id[0] = 0;
    struct cluster *c1 = cluster_new(&x, on_wake, on_command, &f->seen_a);
    struct cluster *c2 = cluster_new(&x, on_wake, on_command, &f->seen_a);
    snprintf(y.cfg.data_dir, sizeof y.cfg.data_dir, "/tmp");
    struct cluster *c3 = cluster_new(&y, on_wake, on_command, &f->seen_a);
    assert_non_null(strchr(cluster_instance(c1), ':'));
    assert_string_equal(cluster_instance(c1), cluster_instance(c2));
    assert_string_not_equal(cluster_instance(c1), cluster_instance(c3));
    cluster_free(c1);
    cluster_free(c2);
    cluster_free(c3);
}

/* The first instance takes every account; a second one joins, the first hands half over, the
 * second takes them once the hand-over time has passed; each round says what changed. */
static void leases_share_and_move(void **state)
{
    struct fx *f = *state;
    /* The rounds run a minute ahead of the clock, so the wall-clock reads of cluster_is_local
     * see the leases as the rounds left them however slow the machine is. */
    int64_t t = now_ms() + 60000, *acc = f->accounts;
    struct cluster_round r;
    size_t n;
    assert_true(cluster_leased(f->ca));
    assert_true(cluster_claim_due(f->ca, t)); /* no round yet */

    assert_int_equal(cluster_claim(f->ca, t, &r), TGR_OK);
    assert_ids(r.taken, r.n_taken, acc, 4);
    assert_int_equal(r.n_lost, 0);
    cluster_round_release(&r);
    const int64_t *owned = cluster_owned(f->ca, &n);
    assert_ids(owned, n, acc, 4);
    /* A round that took accounts is followed by another soon; the clock going back too. */
    assert_int_equal(cluster_next_claim(f->ca), t + 250);
    assert_false(cluster_claim_due(f->ca, t + 249));
    assert_true(cluster_claim_due(f->ca, t + 250));
    assert_true(cluster_claim_due(f->ca, t - 1));
    /* Sending stops a fifth of a lease before the lease could run out. */
    assert_true(cluster_owns(f->ca, acc[3], t));
    assert_true(cluster_owns(f->ca, acc[3], t + LEASE_MS - LEASE_MS / 5 - 1));
    assert_false(cluster_owns(f->ca, acc[3], t + LEASE_MS - LEASE_MS / 5));
    assert_false(cluster_owns(f->cb, acc[3], t));

    /* b joins: nothing is free yet, and a round that took nothing waits a quarter lease. */
    assert_int_equal(cluster_claim(f->cb, t + 1, &r), TGR_OK);
    assert_int_equal(r.n_taken + r.n_lost, 0);
    cluster_round_release(&r);
    assert_int_equal(cluster_next_claim(f->cb), t + 1 + LEASE_MS / 4);

    /* a holds 4, more than its share (2) plus one: it hands the highest two over. */
    assert_int_equal(cluster_claim(f->ca, t + 2, &r), TGR_OK);
    assert_int_equal(r.n_taken, 0);
    assert_ids(r.lost, r.n_lost, acc + 2, 2);
    cluster_round_release(&r);
    owned = cluster_owned(f->ca, &n);
    assert_ids(owned, n, acc, 2);
    assert_false(cluster_owns(f->ca, acc[3], t + 2));
    char owner[128];
    assert_false(cluster_is_local(f->cb, acc[3], owner, sizeof owner));
    assert_string_equal(owner, "a:shed");

    /* b takes them only once a's clients have stopped (a's stop jobs say so), not on a timer. */
    assert_int_equal(cluster_claim(f->cb, t + 3, &r), TGR_OK);
    assert_int_equal(r.n_taken, 0);
    cluster_round_release(&r);
    cluster_handed(f->ca, acc[2]);
    cluster_handed(f->ca, acc[3]);
    int64_t t2 = t + 3 + LEASE_MS / 4;
    assert_int_equal(cluster_claim(f->cb, t2, &r), TGR_OK);
    assert_ids(r.taken, r.n_taken, acc + 2, 2);
    assert_int_equal(r.n_lost, 0);
    cluster_round_release(&r);
    assert_true(cluster_owns(f->cb, acc[3], t2));
    assert_false(cluster_is_local(f->ca, acc[3], owner, sizeof owner));
    assert_string_equal(owner, "b");
    assert_true(cluster_is_local(f->cb, acc[3], owner, sizeof owner));
}

/* A login on a takes the account's client from b: a wakes it at once, b loses it in its next
 * round. An account nobody runs is taken by the first instance that asks. */
static void take_and_is_local(void **state)
{
    struct fx *f = *state;
    int64_t t = now_ms(), *acc = f->accounts;
    struct cluster_round r;
    char owner[128];
    assert_int_equal(cluster_claim(f->cb, t, &r), TGR_OK);
    assert_ids(r.taken, r.n_taken, acc, 4);
    cluster_round_release(&r);

    cluster_take(f->ca, acc[1]);
    assert_int_equal(f->seen_a.n_wakes, 1);
    assert_int_equal(f->seen_a.wakes[0], acc[1]);
    assert_true(cluster_is_local(f->ca, acc[1], owner, sizeof owner));
    assert_string_equal(owner, "a");
    assert_false(cluster_is_local(f->cb, acc[1], owner, sizeof owner));
    assert_string_equal(owner, "a");
    assert_int_equal(cluster_claim(f->cb, t + 1, &r), TGR_OK);
    assert_int_equal(r.n_taken, 0);
    int64_t lost[] = {acc[1]};
    assert_ids(r.lost, r.n_lost, lost, 1);
    cluster_round_release(&r);
    assert_false(cluster_owns(f->cb, acc[1], t + 1));

    /* Nobody runs the fifth account's client: the first to ask takes it. */
    assert_true(cluster_is_local(f->cb, acc[4], owner, sizeof owner));
    assert_string_equal(owner, "b");
    assert_false(cluster_is_local(f->ca, acc[4], owner, sizeof owner));
    assert_string_equal(owner, "b");
    /* Without a cluster (no engine) everything is local. */
    assert_true(cluster_is_local(NULL, acc[0], owner, sizeof owner));
    assert_string_equal(owner, "");
}

/* Logins on a take four accounts from b before a's first round; that round sheds two of them
 * (more than a's share plus one). a's engine never knew it held them, yet their clients run on
 * a: the round reports them lost, so that their stops free the shed leases. Unreported, nothing
 * sent for them until the shed leases ran out (a flaky http.test_scaleout.pg found it). */
static void shed_before_known(void **state)
{
    struct fx *f = *state;
    int64_t t = now_ms(), *acc = f->accounts;
    struct cluster_round r;
    assert_int_equal(cluster_claim(f->cb, t, &r), TGR_OK);
    assert_ids(r.taken, r.n_taken, acc, 4);
    cluster_round_release(&r);
    for (int i = 0; i < 4; i++)
        cluster_take(f->ca, acc[i]);

    assert_int_equal(cluster_claim(f->ca, t + 1, &r), TGR_OK);
    assert_ids(r.taken, r.n_taken, acc, 2);
    int64_t shed[] = {acc[2], acc[3]};
    assert_ids(r.lost, r.n_lost, shed, 2);
    cluster_round_release(&r);
    /* Asked once: the next round does not queue their stops again. */
    assert_int_equal(cluster_claim(f->ca, t + 2, &r), TGR_OK);
    assert_int_equal(r.n_taken + r.n_lost, 0);
    cluster_round_release(&r);
    /* Their stops free them for b (which held them all before the logins, so only the two a
     * kept are news to it). */
    cluster_handed(f->ca, acc[2]);
    cluster_handed(f->ca, acc[3]);
    assert_int_equal(cluster_claim(f->cb, t + 3, &r), TGR_OK);
    assert_ids(r.lost, r.n_lost, acc, 2);
    cluster_round_release(&r);
    size_t n;
    const int64_t *owned = cluster_owned(f->cb, &n);
    assert_ids(owned, n, shed, 2);
}

/* Commands that cannot be relayed fail at once, as NETWORK with a reason for people. */
static void remote_refusals(void **state)
{
    struct fx *f = *state;
    json_t *req = json_object(), *result = NULL;
    struct bridge_error err;
    assert_int_equal(cluster_remote(f->ca, "b:shed", 1, "echo", req, 1000, &result, &err), TGR_ERR);
    assert_string_equal(err.code, "NETWORK");
    assert_non_null(strstr(err.message, "moving to another instance"));
    if (!is_pg(f)) {
        assert_int_equal(cluster_remote(f->ca, "b", 1, "echo", req, 1000, &result, &err), TGR_ERR);
        assert_string_equal(err.code, "NETWORK");
        assert_non_null(strstr(err.message, "several instances need PostgreSQL"));
    }
    assert_null(result);
    assert_int_equal(f->seen_b.commands, 0);
    json_decref(req);
}

/* Wait up to ms until s has seen n wake-ups. @return how many it has seen */
static int wait_wakes(struct seen *s, int n, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    while (s->n_wakes < n && pthread_cond_timedwait(&s->cv, &s->mu, &ts) == 0) {}
    int got = s->n_wakes;
    pthread_mutex_unlock(&s->mu);
    return got;
}

/* PostgreSQL: a command goes to b through the database and comes back; so does an error. */
static void relay_round_trip(void **state)
{
    struct fx *f = *state;
    if (!is_pg(f)) skip();
    cluster_listen(f->cb);
    /* b's listener connects on a thread of its own: wake it until it hears (a wake-up from a
     * reaching b's wake callback is the first thing shown). */
    for (int i = 0; i < 600 && wait_wakes(&f->seen_b, 1, 100) == 0; i++)
        cluster_notify(f->ca, 42);
    assert_true(f->seen_b.n_wakes >= 1);
    assert_int_equal(f->seen_b.wakes[0], 42);
    json_t *req = json_pack("{s:s, s:i}", "op", "sync", "limit", 200), *result = NULL;
    struct bridge_error err;

    assert_int_equal(cluster_remote(f->ca, "b", 42, "echo", req, 20000, &result, &err), TGR_OK);
    json_t *want = json_pack("{s:s, s:i, s:O}", "kind", "echo", "account", 42, "req", req);
    assert_true(json_equal(result, want));
    json_decref(want);
    json_decref(result);
    result = NULL;

    assert_int_equal(cluster_remote(f->ca, "b", 42, "flood", req, 20000, &result, &err), TGR_ERR);
    assert_string_equal(err.code, "FLOOD_WAIT");
    assert_string_equal(err.message, "wait a little");
    assert_int_equal(err.seconds, 7);

    /* A kind the owner does not know: the relay's preset error. */
    assert_int_equal(cluster_remote(f->ca, "b", 42, "reboot", req, 20000, &result, &err), TGR_ERR);
    assert_string_equal(err.code, "INTERNAL");
    assert_string_equal(err.message, "unknown command");
    assert_int_equal(f->seen_b.commands, 3);

    /* "bb" is not b: nobody answers (after the timeout and its 2 s of grace). */
    assert_int_equal(cluster_remote(f->ca, "bb", 42, "echo", req, 10, &result, &err), TGR_ERR);
    assert_string_equal(err.code, "NETWORK");
    assert_non_null(strstr(err.message, "did not answer"));
    assert_null(result);
    assert_int_equal(f->seen_b.commands, 3);
    json_decref(req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(instance_names, setup, teardown),
        cmocka_unit_test_setup_teardown(leases_share_and_move, setup, teardown),
        cmocka_unit_test_setup_teardown(take_and_is_local, setup, teardown),
        cmocka_unit_test_setup_teardown(shed_before_known, setup, teardown),
        cmocka_unit_test_setup_teardown(remote_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(relay_round_trip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
