/* rules_leases — which instance sends for which account (DESIGN §4; store.h "engine leases"),
 * written once over the runner (db.h). On PostgreSQL a lease round runs READ COMMITTED: as
 * SERIALIZABLE it would conflict with every other writer, and its upserts are atomic per row
 * (ON CONFLICT … WHERE expired), so two instances never both own an account; a share overshot by
 * one is harmless. This rule moves into core/ in phase 2 of issue 14. */
#include "base/util.h"
#include "store/db.h"
#include "store/stmt.h"

struct round {
    const char *instance;
    int64_t now, ttl_ms;
    size_t *taken;
};

/* Say this instance is alive, renew what it holds, drop accounts whose session went away, then
 * move towards a fair share: ceil(connected accounts / live instances). */
static enum db_status lease_round(struct store *st, void *cls)
{
    const struct round *o = cls;
    const char *me = o->instance;
    int64_t now = o->now, live = 0, held = 0, sending = 0, n = 0;
    *o->taken = 0;
    enum db_status r = db_exec(st, S_INSTANCE_BEAT, P(SP_STR(me), SP_I64(now)));
    if (r >= 0) r = db_exec(st, S_INSTANCES_PRUNE, P(SP_I64(now - 10 * o->ttl_ms)));
    if (r >= 0) r = db_exec(st, S_LEASE_RENEW, P(SP_STR(me), SP_I64(now + o->ttl_ms)));
    if (r >= 0) r = db_exec(st, S_LEASE_DROP_IDLE, P(SP_STR(me)));
    if (r >= 0) r = db_ints(st, S_INSTANCES_LIVE, P(SP_I64(now - o->ttl_ms)), &live, 1);
    if (r >= 0) r = db_ints(st, S_LEASES_HELD, P(SP_STR(me)), &held, 1);
    if (r >= 0) r = db_ints(st, S_SENDING_COUNT, NULL, &sending, 1);
    if (r < 0) return r;
    if (live < 1) live = 1;
    int64_t share = (sending + live - 1) / live;
    if (held > share + 1) {
        /* More than a fair share (another instance joined): hand the extra over. They are renamed
         * "<instance>:shed", so they are not renewed and this engine drops their clients now, and
         * expire after LEASE_HANDOFF_MS, so the taker's client starts only after this one's has
         * stopped. */
        return db_exec(st, S_LEASE_SHED, P(SP_STR(me), SP_I64(now + LEASE_HANDOFF_MS), SP_I64(held - share)));
    }
    if (share > held) {
        r = db_changes(st, S_LEASE_TAKE,
                       P(SP_STR(me), SP_I64(now + o->ttl_ms), SP_I64(now), SP_I64(share - held)), &n);
        if (r >= 0) *o->taken = (size_t)n;
    }
    return r;
}

enum db_status stmt_leases_claim(struct store *st, const char *instance, int64_t now, int64_t ttl_ms,
                                 int64_t **ids, size_t *n, size_t *taken)
{
    struct round o = {instance, now, ttl_ms, taken};
    *ids = NULL;
    *n = 0;
    *taken = 0;
    enum db_status r = db_txn(st, TX_LEASE, lease_round, &o);
    if (r < 0) return r;
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
