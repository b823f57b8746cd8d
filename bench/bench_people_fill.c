/* bench_people_fill — bench/people.py's helper: writes N contacts with sealed names (first, last,
 * username) into a stopped server's data directory, sealed with its own master key, so that the
 * server opens them as it would synced ones. Usage: bench_people_fill DATA_DIR ACCOUNT_ID N.
 * The recipients, counters, clicks and orders are written by people.py with SQL. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/util.h"
#include "core/sealed.h"
#include "crypto/keys.h"
#include "store/store.h"

struct fill {
    struct app *app;
    int64_t account_id;
    int from, to;
};

static enum db_status fill_txn(struct store *st, void *cls)
{
    struct fill *f = cls;
    for (int i = f->from; i < f->to; i++) {
        struct contact c;
        memset(&c, 0, sizeof c);
        snprintf(c.tg_user_id, sizeof c.tg_user_id, "%d", 500000 + i);
        char rk[64], first[48], last[48], user[48];
        contact_row_key(f->account_id, c.tg_user_id, rk, sizeof rk);
        snprintf(first, sizeof first, i % 50 ? "Customer %06d" : "Customer \"%06d\", the", i);
        snprintf(last, sizeof last, "Benchmark");
        snprintf(user, sizeof user, "cust%06d", i);
        if (contact_seal_field(f->app, "first_name", rk, first, &c.first_name) != TGR_OK ||
            contact_seal_field(f->app, "last_name", rk, last, &c.last_name) != TGR_OK ||
            contact_seal_field(f->app, "username", rk, user, &c.username) != TGR_OK)
            return DB_HARD;
        int64_t id;
        enum db_status r = st->contact_save(st, f->account_id, &c, &id);
        contact_release(&c);
        if (r != DB_ONE) return DB_HARD;
    }
    return DB_ONE;
}

int main(int argc, char **argv)
{
    if (argc != 4 || sodium_init() < 0) {
        fprintf(stderr, "usage: bench_people_fill DATA_DIR ACCOUNT_ID N\n");
        return 2;
    }
    int64_t account_id = atoll(argv[2]);
    int n = atoi(argv[3]);
    struct app app;
    struct keyring keys;
    memset(&app, 0, sizeof app);
    app.kr = &keys;
    char err[256];
    if (keyring_load(app.kr, argv[1], 0, err, sizeof err) != TGR_OK) {
        fprintf(stderr, "bench_people_fill: %s\n", err);
        return 1;
    }
    app.store = store_open(NULL, argv[1], err, sizeof err);
    if (!app.store) {
        fprintf(stderr, "bench_people_fill: %s\n", err);
        return 1;
    }
    for (int from = 0; from < n; from += 5000) {
        struct fill f = {&app, account_id, from, from + 5000 < n ? from + 5000 : n};
        if (app.store->txn(app.store, TX_NORMAL, fill_txn, &f) != DB_ONE) {
            fprintf(stderr, "bench_people_fill: writing contacts failed\n");
            return 1;
        }
    }
    app.store->close(app.store);
    keyring_clear(app.kr);
    return 0;
}
