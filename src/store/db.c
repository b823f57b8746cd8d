/* db — the shared runner over a backend's struct db_ops (see db.h): the shapes of reads, the
 * write transactions, store->txn and the migrations; and the count of store errors for
 * operators (tgr_store_errors_total, base/counters.h). */
#include "store/db.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/counters.h"
#include "base/log.h"
#include "base/util.h"
#include "store/stmt.h"

static const struct db_ops *OPS(struct store *st)
{
    return ((struct db *)st)->ops;
}

/* ---- counting failures ------------------------------------------------------------------------
 * A failure is counted once, where its caller sees it: a statement run outside any transaction
 * (and outside another statement's reader), or a whole transaction — not each statement inside
 * one, which fails the transaction anyway. DB_SOFT counts when it reaches the caller, after the
 * backend's own retries. */

static _Thread_local int depth;  /* transactions and statements this thread is inside */
static _Thread_local int queued; /* db_note_queued in the transaction this thread is inside */

void db_note_queued(void)
{
    queued = 1;
}

int64_t db_queued_commits(struct store *st)
{
    return __atomic_load_n(&((struct db *)st)->queued_commits, __ATOMIC_ACQUIRE);
}

static pthread_mutex_t on_queued_mu = PTHREAD_MUTEX_INITIALIZER;

void db_on_queued(struct store *st, void (*fn)(void *arg), void *arg)
{
    struct db *d = (struct db *)st;
    pthread_mutex_lock(&on_queued_mu);
    d->on_queued = fn;
    d->on_queued_arg = arg;
    pthread_mutex_unlock(&on_queued_mu);
}

/* The count moved: tell whoever listens (the webhook dispatcher, which then reads at once). */
static void queued_committed(struct db *d)
{
    __atomic_add_fetch(&d->queued_commits, 1, __ATOMIC_RELEASE);
    pthread_mutex_lock(&on_queued_mu);
    if (d->on_queued) d->on_queued(d->on_queued_arg);
    pthread_mutex_unlock(&on_queued_mu);
}

static enum db_status counted(enum db_status r)
{
    if (r < 0 && depth == 0)
        counter_add(r == DB_HARD ? CNT_STORE_ERRORS_HARD : CNT_STORE_ERRORS_TRANSIENT, 1);
    return r;
}

static enum db_status run(struct store *st, enum stmt_id id, const struct sp *p, db_reader row, void *cls,
                          int64_t *changed)
{
    depth++;
    enum db_status r = OPS(st)->run(st, id, p, row, cls, changed);
    depth--;
    return counted(r);
}

static enum db_status txn(struct store *st, enum db_tx kind, int retry_soft,
                          enum db_status (*fn)(struct store *st, void *cls), void *cls)
{
    depth++;
    enum db_status r = OPS(st)->txn(st, kind, retry_soft, fn, cls);
    depth--;
    if (depth == 0) {
        /* Committed (or rolled back) at last: what it queued is there for the dispatcher. */
        if (r >= 0 && queued) queued_committed((struct db *)st);
        queued = 0;
    }
    return counted(r);
}

int64_t db_i64(const struct db_row *r, int col)
{
    return r->ops->col_i64(r, col);
}

const char *db_str(const struct db_row *r, int col)
{
    const char *t = r->ops->col_text(r, col);
    return t ? t : "";
}

int db_isnull(const struct db_row *r, int col)
{
    return r->ops->col_null(r, col);
}

const void *db_bytes(const struct db_row *r, int col, size_t *n)
{
    return r->ops->col_bytes(r, col, n);
}

void db_copy(const struct db_row *r, int col, char *dst, size_t cap)
{
    snprintf(dst, cap, "%s", db_str(r, col));
}

char *db_dup(const struct db_row *r, int col)
{
    const char *t = r->ops->col_text(r, col);
    return t ? strdup(t) : NULL;
}

int db_blob(const struct db_row *r, int col, struct blob *b)
{
    size_t n = 0;
    b->p = NULL;
    b->len = 0;
    if (db_isnull(r, col)) return TGR_OK;
    const void *p = r->ops->col_bytes(r, col, &n);
    b->p = malloc(n ? n : 1);
    if (!b->p) return TGR_ERR;
    if (n) memcpy(b->p, p, n);
    b->len = n;
    return TGR_OK;
}

/* ---- running statements --------------------------------------------------------------------- */

enum db_status db_exec(struct store *st, enum stmt_id id, const struct sp *p)
{
    return run(st, id, p, NULL, NULL, NULL);
}

enum db_status db_changes(struct store *st, enum stmt_id id, const struct sp *p, int64_t *n)
{
    *n = 0;
    return run(st, id, p, NULL, NULL, n);
}

enum db_status db_rows(struct store *st, enum stmt_id id, const struct sp *p, db_reader fn, void *cls)
{
    return run(st, id, p, fn, cls, NULL);
}

struct ints {
    int64_t *out;
    int n;
};

static int read_ints(void *cls, const struct db_row *r)
{
    struct ints *v = cls;
    for (int i = 0; i < v->n; i++)
        v->out[i] = db_i64(r, i);
    return 1;
}

enum db_status db_ints(struct store *st, enum stmt_id id, const struct sp *p, int64_t *out, int n)
{
    struct ints v = {out, n};
    memset(out, 0, (size_t)n * sizeof *out);
    return db_rows(st, id, p, read_ints, &v);
}

struct text {
    char *out;
    size_t cap;
};

static int read_text(void *cls, const struct db_row *r)
{
    struct text *t = cls;
    db_copy(r, 0, t->out, t->cap);
    return 1;
}

enum db_status db_text(struct store *st, enum stmt_id id, const struct sp *p, char *out, size_t cap)
{
    struct text t = {out, cap};
    return db_rows(st, id, p, read_text, &t);
}

static int read_one_blob(void *cls, const struct db_row *r)
{
    return db_blob(r, 0, cls) == TGR_OK ? 1 : -1;
}

enum db_status db_one_blob(struct store *st, enum stmt_id id, const struct sp *p, struct blob *out)
{
    memset(out, 0, sizeof *out);
    return db_rows(st, id, p, read_one_blob, out);
}

struct one {
    void *out;
    size_t size;
    int (*read)(void *cls, const struct db_row *r, void *elem);
    void (*release)(void *elem);
    void *cls;
};

static int read_first(void *cls, const struct db_row *r)
{
    struct one *o = cls;
    memset(o->out, 0, o->size);
    if (o->read(o->cls, r, o->out) == TGR_OK) return 1;
    if (o->release) o->release(o->out);
    return -1;
}

enum db_status db_one(struct store *st, enum stmt_id id, const struct sp *p, size_t size,
                      int (*read)(void *cls, const struct db_row *r, void *elem), void (*release)(void *elem),
                      void *cls, void *out)
{
    return db_rows(st, id, p, read_first, &(struct one){out, size, read, release, cls});
}

struct list {
    size_t size, n, cap;
    char *a;
    int (*read)(void *cls, const struct db_row *r, void *elem);
    void (*release)(void *elem);
    void *cls;
};

static int read_elem(void *cls, const struct db_row *r)
{
    struct list *l = cls;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        char *np = realloc(l->a, ncap * l->size);
        if (!np) return -1;
        l->a = np;
        l->cap = ncap;
    }
    void *e = l->a + l->n * l->size;
    memset(e, 0, l->size);
    if (l->read(l->cls, r, e) != TGR_OK) {
        if (l->release) l->release(e);
        return -1;
    }
    l->n++;
    return 0;
}

enum db_status db_list(struct store *st, enum stmt_id id, const struct sp *p, size_t size,
                       int (*read)(void *cls, const struct db_row *r, void *elem),
                       void (*release)(void *elem), void *cls, void **rows, size_t *n)
{
    struct list l = {size, 0, 0, NULL, read, release, cls};
    enum db_status r = db_rows(st, id, p, read_elem, &l);
    if (r < 0) {
        for (size_t i = 0; release && i < l.n; i++)
            release(l.a + i * size);
        free(l.a);
        l.a = NULL;
        l.n = 0;
    }
    *rows = l.a;
    *n = l.n;
    return r < 0 ? r : l.n ? DB_ONE : DB_NONE;
}

static int read_id(void *cls, const struct db_row *r, void *elem)
{
    *(int64_t *)elem = db_i64(r, 0);
    return TGR_OK;
}

enum db_status db_ids(struct store *st, enum stmt_id id, const struct sp *p, int64_t **ids, size_t *n)
{
    return db_list(st, id, p, sizeof **ids, read_id, NULL, NULL, (void **)ids, n);
}

enum db_status db_report(struct store *st, enum stmt_id id, const struct sp *p, db_reader reader,
                         void (*fn)(void), void *cls)
{
    struct db_report rp = {fn, cls};
    enum db_status r = db_rows(st, id, p, reader, &rp);
    return r < 0 ? r : DB_ONE;
}

int db_report_3ints(void *cls, const struct db_row *r)
{
    const struct db_report *p = cls;
    ((void (*)(void *, int64_t, int64_t, int64_t))p->fn)(p->cls, db_i64(r, 0), db_i64(r, 1), db_i64(r, 2));
    return 0;
}

/* ---- transactions ---------------------------------------------------------------------------- */

enum db_status db_txn(struct store *st, enum db_tx kind, enum db_status (*fn)(struct store *st, void *cls),
                      void *cls)
{
    return txn(st, kind, 0, fn, cls);
}

struct one_write {
    enum stmt_id id;
    const struct sp *p;
    int64_t *out;
    int n;
};

static enum db_status write_one(struct store *st, void *cls)
{
    const struct one_write *w = cls;
    return w->n ? db_ints(st, w->id, w->p, w->out, w->n) : db_exec(st, w->id, w->p);
}

enum db_status db_write(struct store *st, enum db_tx kind, enum stmt_id id, const struct sp *p)
{
    return db_write_ints(st, kind, id, p, NULL, 0);
}

enum db_status db_write_ints(struct store *st, enum db_tx kind, enum stmt_id id, const struct sp *p,
                             int64_t *out, int n)
{
    struct one_write w = {id, p, out, n};
    return db_txn(st, kind, write_one, &w);
}

enum db_status stmt_txn(struct store *st, enum db_tx kind, enum db_status (*fn)(struct store *st, void *cls),
                        void *cls)
{
    return txn(st, kind, 1, fn, cls);
}

enum db_status stmt_read(struct store *st, enum db_status (*fn)(struct store *st, void *cls), void *cls)
{
    if (!OPS(st)->read) return fn(st, cls);
    depth++;
    enum db_status r = OPS(st)->read(st, fn, cls);
    depth--;
    return counted(r);
}

/* ---- migrations ------------------------------------------------------------------------------- */

struct migration {
    int version, done;
};

/* One migration in its transaction: the version is read inside it (after migrate_first, which
 * on PostgreSQL takes the migration lock), so two processes migrating at once apply each once. */
static enum db_status migrate_one(struct store *st, void *cls)
{
    struct migration *m = cls;
    const struct db_ops *ops = OPS(st);
    int64_t have = 0;
    m->done = 0;
    enum db_status r = ops->script(st, ops->migrate_first);
    if (r >= 0) r = db_ints(st, S_VERSION, NULL, &have, 1);
    if (r < 0 || have >= m->version) return r;
    r = ops->script(st, ops->migrations[m->version - 1]);
    if (r >= 0) r = db_exec(st, S_MIGRATION_DONE, P(SP_I64(m->version), SP_I64(now_ms())));
    m->done = r >= 0;
    return r;
}

enum db_status stmt_migrate(struct store *st, int *applied)
{
    const struct db_ops *ops = OPS(st);
    int n = 0;
    if (applied) *applied = 0;
    for (int v = 1; ops->migrations[v - 1]; v++) {
        struct migration m = {v, 0};
        enum db_status r = db_txn(st, TX_MIGRATE, migrate_one, &m);
        if (r < 0) {
            log_error("store", "migration %d failed", v);
            return r;
        }
        if (m.done) {
            n++;
            log_info("store", "applied migration %d", v);
        }
    }
    if (applied) *applied = n;
    return DB_ONE;
}
