/* stmt_leases — the rows of engine leases and live instances (DESIGN §4; store.h "engine
 * leases"), once for both backends. A lease round's rule (the fair share) is cluster/cluster.c's;
 * it runs these in one TX_LEASE transaction, and each runs as TX_LEASE on its own too. */
#include <stdio.h>

#include "base/util.h"
#include "store/db.h"
#include "store/stmt.h"

struct refresh {
    const char *instance;
    int64_t now, ttl_ms;
};

static enum db_status refresh(struct store *st, void *cls)
{
    const struct refresh *o = cls;
    enum db_status r = db_exec(st, S_INSTANCE_BEAT, P(SP_STR(o->instance), SP_I64(o->now)));
    if (r >= 0) r = db_exec(st, S_INSTANCES_PRUNE, P(SP_I64(o->now - 10 * o->ttl_ms)));
    if (r >= 0) r = db_exec(st, S_LEASE_RENEW, P(SP_STR(o->instance), SP_I64(o->now + o->ttl_ms)));
    if (r >= 0) r = db_exec(st, S_LEASE_DROP_IDLE, P(SP_STR(o->instance)));
    return r < 0 ? r : DB_ONE;
}

enum db_status stmt_lease_refresh(struct store *st, const char *instance, int64_t now, int64_t ttl_ms)
{
    return db_txn(st, TX_LEASE, refresh, &(struct refresh){instance, now, ttl_ms});
}

enum db_status stmt_lease_counts(struct store *st, const char *instance, int64_t now, int64_t ttl_ms,
                                 int64_t *live, int64_t *held, int64_t *sending)
{
    enum db_status r = db_ints(st, S_INSTANCES_LIVE, P(SP_I64(now - ttl_ms)), live, 1);
    if (r >= 0) r = db_ints(st, S_LEASES_HELD, P(SP_STR(instance)), held, 1);
    if (r >= 0) r = db_ints(st, S_SENDING_COUNT, NULL, sending, 1);
    return r < 0 ? r : DB_ONE;
}

enum db_status stmt_lease_shed(struct store *st, const char *instance, int64_t until, int64_t n)
{
    return db_write(st, TX_LEASE, S_LEASE_SHED, P(SP_STR(instance), SP_I64(until), SP_I64(n)));
}

enum db_status stmt_lease_handed(struct store *st, const char *instance, int64_t account_id)
{
    char shed[160]; /* an instance name (cluster: at most 127 bytes) and ":shed" */
    snprintf(shed, sizeof shed, "%s:shed", instance);
    return db_write(st, TX_LEASE, S_LEASE_HANDED, P(SP_I64(account_id), SP_STR(shed)));
}

struct take {
    const char *instance;
    int64_t now, ttl_ms, n, *taken;
};

static enum db_status take(struct store *st, void *cls)
{
    const struct take *t = cls;
    *t->taken = 0;
    return db_changes(st, S_LEASE_TAKE,
                      P(SP_STR(t->instance), SP_I64(t->now + t->ttl_ms), SP_I64(t->now), SP_I64(t->n)),
                      t->taken);
}

enum db_status stmt_lease_take(struct store *st, const char *instance, int64_t now, int64_t ttl_ms, int64_t n,
                               int64_t *taken)
{
    return db_txn(st, TX_LEASE, take, &(struct take){instance, now, ttl_ms, n, taken});
}

enum db_status stmt_leases_owned(struct store *st, const char *instance, int64_t now, int64_t **ids,
                                 size_t *n)
{
    return db_ids(st, S_LEASES_OWNED, P(SP_STR(instance), SP_I64(now)), ids, n);
}

static enum db_status release(struct store *st, void *cls)
{
    enum db_status r = db_exec(st, S_LEASES_RELEASE, P(SP_STR(cls)));
    return r < 0 ? r : db_exec(st, S_INSTANCE_GONE, P(SP_STR(cls)));
}

enum db_status stmt_leases_release(struct store *st, const char *instance)
{
    return db_txn(st, TX_LEASE, release, (void *)instance);
}

enum db_status stmt_lease_force(struct store *st, const char *instance, int64_t account_id, int64_t now,
                                int64_t ttl_ms)
{
    return db_write(st, TX_LEASE, S_LEASE_FORCE,
                    P(SP_STR(instance), SP_I64(account_id), SP_I64(now + ttl_ms)));
}

enum db_status stmt_lease_owner(struct store *st, int64_t account_id, int64_t now, char *out, size_t cap)
{
    out[0] = 0;
    return db_text(st, S_LEASE_OWNER, P(SP_I64(account_id), SP_I64(now)), out, cap);
}
