/* sqlite — the SQLite backend of struct store: connections, transactions and the runner of
 * db.h; every store function itself is shared (store/stmt.h).
 *
 * Connections: one writer connection, used under a mutex, where every write transaction is
 * BEGIN IMMEDIATE … COMMIT; one read-only reader connection per thread (created on first use,
 * kept in a pthread key and in a list so that close can find them all; store->read holds one
 * read transaction on it around several statements). WAL mode lets readers run while the writer
 * writes; busy_timeout covers other processes (`tgr account create` beside
 * a running server). Each connection prepares each statement once and keeps it
 * (SQLITE_PREPARE_PERSISTENT); the statement texts are derived from sql.h once, at open.
 * synchronous is NORMAL, and FULL for durable transactions (auth, money, the outbox claims): two
 * writer connections (one per setting) share the writer mutex, so that switching costs nothing.
 * A transaction is never run again after a conflict here (the writer mutex and busy_timeout
 * serialise writers); store->txn runs its function again on DB_SOFT, up to 4 times.
 * Every reader connection reads the database file through a memory map (mmap_size, 256 MiB): a
 * commit on the writer empties the readers' page caches, and the pages they read again then come
 * from the map instead of a read() copy each (the engine's reads after every group commit were a
 * tenth of its time; DECISIONS 77). The writers keep their page caches (their own commits leave
 * them valid) and no map: each mapping's touched pages count in the process's RSS, and a
 * 100,000-dialog sync through mapped writers peaked at 145 MB instead of 67. Writes go through
 * write(). */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "store/db.h"
#include "store/migrations.h"
#include "store/stmt.h"

struct conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[S__COUNT];
    struct conn *next;
};

struct sq {
    struct db db; /* first: a struct store * is a struct sq * */
    char path[4096];
    char *sql[S__COUNT];     /* each statement's SQLite text */
    struct conn *writer;     /* the writer of the transaction in progress (under wlock) */
    struct conn *writers[2]; /* [0] synchronous=NORMAL, [1] synchronous=FULL (auth, money, claims) */
    pthread_mutex_t wlock;
    pthread_key_t rkey;
    pthread_mutex_t rlock;
    struct conn *readers;
};

static struct sq *SQ(struct store *st)
{
    return (struct sq *)st;
}

/* The write transaction this thread is inside, if any (see wbegin). */
static __thread struct sq *tl_txn;
static __thread int tl_depth, tl_failed;

static void conn_close(struct conn *c)
{
    if (!c) return;
    for (int i = 0; i < S__COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
    sqlite3_close_v2(c->db);
    free(c);
}

static int exec(sqlite3 *db, const char *sql)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) log_error("store", "sqlite exec failed: %s", sqlite3_errstr(rc));
    return rc;
}

static struct conn *conn_open(const char *path, int writer, char *err, size_t errlen)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    int rc =
        sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        if (err) snprintf(err, errlen, "cannot open database %s: %s", path, sqlite3_errstr(rc));
        conn_close(c);
        return NULL;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, 5000);
    /* secure_delete on the writers: what a DELETE or UPDATE frees is overwritten with zeros, so
     * that an erased person's rows (and old values of rewritten ones) do not stay readable in free
     * space; scrub() then empties the write-ahead log (docs/DECISIONS.md 69). */
    if (exec(c->db, "PRAGMA foreign_keys = ON") != SQLITE_OK ||
        (writer && exec(c->db, "PRAGMA journal_mode = WAL") != SQLITE_OK) ||
        (writer && exec(c->db, "PRAGMA secure_delete = ON") != SQLITE_OK) ||
        exec(c->db, "PRAGMA synchronous = NORMAL") != SQLITE_OK ||
        (!writer && exec(c->db, "PRAGMA mmap_size = 268435456") != SQLITE_OK) ||
        (!writer && exec(c->db, "PRAGMA query_only = 1") != SQLITE_OK)) {
        if (err) snprintf(err, errlen, "cannot configure database %s: %s", path, sqlite3_errmsg(c->db));
        conn_close(c);
        return NULL;
    }
    return c;
}

/* The prepared statement id on c, reset and with bindings cleared. */
static sqlite3_stmt *stmt(struct sq *s, struct conn *c, enum stmt_id id)
{
    if (!c->stmt[id]) {
        int rc = sqlite3_prepare_v3(c->db, s->sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[id], NULL);
        if (rc != SQLITE_OK) {
            log_error("store", "prepare of %s failed: %s", sql_name(id), sqlite3_errmsg(c->db));
            return NULL;
        }
    }
    sqlite3_reset(c->stmt[id]);
    sqlite3_clear_bindings(c->stmt[id]);
    return c->stmt[id];
}

static enum db_status rc_status(int rc, const char *what)
{
    switch (rc & 0xff) {
    case SQLITE_ROW:
        return DB_ONE;
    case SQLITE_DONE:
        return DB_NONE;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        log_warn("store", "%s: database busy", what);
        return DB_SOFT;
    default:
        log_error("store", "%s failed: %s", what, sqlite3_errstr(rc));
        return DB_HARD;
    }
}

/* This thread's reader connection — or the writer while this thread holds a write transaction,
 * so that a transaction reads its own writes. */
static struct conn *conn_for(struct sq *s)
{
    if (tl_txn == s) return s->writer;
    struct conn *c = pthread_getspecific(s->rkey);
    if (c) return c;
    c = conn_open(s->path, 0, NULL, 0);
    if (!c) return NULL;
    pthread_mutex_lock(&s->rlock);
    c->next = s->readers;
    s->readers = c;
    pthread_mutex_unlock(&s->rlock);
    pthread_setspecific(s->rkey, c);
    return c;
}

static void bind(sqlite3_stmt *q, const struct sp *p)
{
    for (int i = 0; p && p[i].kind != SPK_END; i++) {
        switch (p[i].kind) {
        case SPK_I64:
            sqlite3_bind_int64(q, i + 1, p[i].i);
            break;
        case SPK_STR:
            sqlite3_bind_text(q, i + 1, p[i].p, -1, SQLITE_STATIC);
            break;
        case SPK_BLOB:
            sqlite3_bind_blob(q, i + 1, p[i].p, (int)p[i].n, SQLITE_STATIC);
            break;
        case SPK_TEXTN:
            sqlite3_bind_text(q, i + 1, p[i].p, (int)p[i].n, SQLITE_STATIC);
            break;
        default:
            sqlite3_bind_null(q, i + 1);
        }
    }
}

static const struct db_ops sqlite_ops;

/* A read stops at the reader's word (or, with no reader, at the first row); a write is stepped to
 * its end, so that all of it is done and sqlite3_changes() counts it. */
static enum db_status sq_run(struct store *st, enum stmt_id id, const struct sp *p, db_reader row, void *cls,
                             int64_t *changed)
{
    struct sq *s = SQ(st);
    struct conn *c = conn_for(s);
    sqlite3_stmt *q = c ? stmt(s, c, id) : NULL;
    if (!q) return DB_HARD;
    bind(q, p);
    int ro = sqlite3_stmt_readonly(q), rc, any = 0, stop = 0, failed = 0;
    struct db_row r = {&sqlite_ops, q, 0};
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        any = 1;
        if (row && !stop) {
            int k = row(cls, &r);
            stop = k != 0;
            failed = k < 0;
        }
        if (ro && (stop || !row)) break;
    }
    int64_t n = ro ? 0 : sqlite3_changes(c->db);
    sqlite3_reset(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return rc_status(rc, sql_name(id));
    if (failed) return DB_HARD;
    if (changed) *changed = n;
    return any || n > 0 ? DB_ONE : DB_NONE;
}

/* Run a prepared statement of transaction control. @return SQLITE_OK or the error code */
static int run_stmt(struct sq *s, enum stmt_id id)
{
    sqlite3_stmt *q = stmt(s, s->writer, id);
    if (!q) return SQLITE_ERROR;
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* Take the writer and open a write transaction, or join the one this thread is in; durable=1
 * makes its commit synchronous=FULL. On success the caller must call wend(). */
static enum db_status wbegin(struct sq *s, int durable)
{
    if (tl_txn == s) {
        tl_depth++;
        return DB_ONE;
    }
    pthread_mutex_lock(&s->wlock);
    /* Two writer connections, one per durability, so no PRAGMA flips between transactions
     * (a flip costs re-preparing statements); the mutex makes them one writer. */
    s->writer = s->writers[durable ? 1 : 0];
    int rc = run_stmt(s, S_BEGIN);
    if (rc != SQLITE_OK) {
        pthread_mutex_unlock(&s->wlock);
        return rc_status(rc, "begin");
    }
    tl_txn = s;
    tl_depth = 1;
    tl_failed = 0;
    return DB_ONE;
}

/* Commit when st is not an error, else roll back; releases the writer. Returns the final status. */
static enum db_status wend(struct sq *s, enum db_status st)
{
    if (st < 0) tl_failed = 1;
    if (--tl_depth > 0) return st;
    tl_txn = NULL;
    if (tl_failed && st >= 0) st = DB_HARD; /* an inner step failed: the whole transaction goes */
    if (st >= 0) {
        int rc = run_stmt(s, S_COMMIT);
        if (rc != SQLITE_OK) {
            st = rc_status(rc, "commit");
            run_stmt(s, S_ROLLBACK);
            /* A full disk (or a file size limit) stops the write-ahead log from growing. Copying
             * what it holds into the database lets the next transaction write the log from its
             * start again, in space it already has: small writes — the engine's storage_error
             * pause — then fit while big ones still fail (DB_HARD either way). */
            if ((rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR)
                sqlite3_wal_checkpoint_v2(s->writer->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        }
    } else {
        run_stmt(s, S_ROLLBACK);
    }
    pthread_mutex_unlock(&s->wlock);
    return st;
}

static enum db_status sq_txn(struct store *st, enum db_tx kind, int retry_soft,
                             enum db_status (*fn)(struct store *st, void *cls), void *cls)
{
    struct sq *s = SQ(st);
    enum db_status r = DB_HARD;
    for (int attempt = 0; attempt < (retry_soft ? 4 : 1); attempt++) {
        r = wbegin(s, kind == TX_DURABLE || kind == TX_MIGRATE);
        if (r == DB_SOFT) continue;
        if (r < 0) return r;
        r = wend(s, fn(st, cls));
        if (r != DB_SOFT) return r;
    }
    return r;
}

/* Step a statement of transaction control on c. @return SQLITE_OK or the error code */
static int control(struct sq *s, struct conn *c, enum stmt_id id)
{
    sqlite3_stmt *q = stmt(s, c, id);
    if (!q) return SQLITE_ERROR;
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The read snapshot of store->read: BEGIN (deferred: the snapshot is taken by fn's first read)
 * and COMMIT on this thread's reader, so that the write-ahead log's read lock is taken once for
 * all of fn's statements. A reader never stays inside a transaction: it would hold the log from
 * being checkpointed past its snapshot. */
static __thread struct sq *tl_read;

static enum db_status sq_read(struct store *st, enum db_status (*fn)(struct store *st, void *cls), void *cls)
{
    struct sq *s = SQ(st);
    if (tl_txn == s || tl_read == s) return fn(st, cls);
    struct conn *c = conn_for(s);
    if (!c) return DB_HARD;
    int rc = control(s, c, S_BEGIN_READ);
    if (rc != SQLITE_OK) return rc_status(rc, "begin read");
    tl_read = s;
    enum db_status r = fn(st, cls);
    tl_read = NULL;
    rc = control(s, c, S_COMMIT);
    if (rc != SQLITE_OK) {
        (void)control(s, c, S_ROLLBACK); /* (a read has nothing to lose; this only ends it) */
        if (r >= 0) r = rc_status(rc, "end read");
    }
    return r;
}

static enum db_status sq_script(struct store *st, const char *sql)
{
    return exec(SQ(st)->writer->db, sql) == SQLITE_OK ? DB_ONE : DB_HARD;
}

static int sq_col_null(const struct db_row *r, int col)
{
    return sqlite3_column_type(r->h, col) == SQLITE_NULL;
}

static int64_t sq_col_i64(const struct db_row *r, int col)
{
    return sqlite3_column_int64(r->h, col);
}

static const char *sq_col_text(const struct db_row *r, int col)
{
    return (const char *)sqlite3_column_text(r->h, col);
}

static const void *sq_col_bytes(const struct db_row *r, int col, size_t *n)
{
    const void *p = sqlite3_column_blob(r->h, col);
    *n = (size_t)sqlite3_column_bytes(r->h, col);
    return p;
}

static const struct db_ops sqlite_ops = {
    .run = sq_run,
    .txn = sq_txn,
    .read = sq_read,
    .script = sq_script,
    .col_null = sq_col_null,
    .col_i64 = sq_col_i64,
    .col_text = sq_col_text,
    .col_bytes = sq_col_bytes,
    .scan_page = -1,
    .row_sets = 0,
    .migrations = sqlite_migrations,
    .migrate_first = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                     " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
};

static void sq_close(struct store *st)
{
    struct sq *s = SQ(st);
    if (!s) return;
    pthread_mutex_lock(&s->rlock);
    struct conn *c = s->readers;
    while (c) {
        struct conn *next = c->next;
        conn_close(c);
        c = next;
    }
    s->readers = NULL;
    pthread_mutex_unlock(&s->rlock);
    pthread_key_delete(s->rkey);
    if (s->writers[1]) conn_close(s->writers[1]);
    if (s->writers[0]) {
        /* A clean close checkpoints the WAL into the main file. */
        sqlite3_exec(s->writers[0]->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
        conn_close(s->writers[0]);
    }
    for (int i = 0; i < S__COUNT; i++)
        free(s->sql[i]);
    pthread_mutex_destroy(&s->wlock);
    pthread_mutex_destroy(&s->rlock);
    free(s);
}

/* Copy the write-ahead log into the database and truncate it to nothing, so that page images
 * from before a deletion are gone from the files (secure_delete has zeroed the pages themselves).
 * Under the writer lock, so no transaction of this process writes meanwhile; readers of other
 * threads and processes are waited for up to busy_timeout. */
static enum db_status sq_scrub(struct store *st)
{
    struct sq *s = SQ(st);
    pthread_mutex_lock(&s->wlock);
    int rc = sqlite3_wal_checkpoint_v2(s->writers[0]->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    pthread_mutex_unlock(&s->wlock);
    return rc == SQLITE_OK ? DB_ONE : rc_status(rc, "wal checkpoint");
}

/* SQLite has no LISTEN/NOTIFY: notify and listen stay NULL, and instances poll. */
static const struct store sqlite_store = {
    .backend = "sqlite", .close = sq_close, .scrub = sq_scrub, STORE_STMT_INIT};

struct store *store_sqlite_open(const char *path, char *err, size_t errlen)
{
    struct sq *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (snprintf(s->path, sizeof s->path, "%s", path) >= (int)sizeof s->path) {
        snprintf(err, errlen, "database path too long");
        free(s);
        return NULL;
    }
    s->db.base = sqlite_store;
    s->db.ops = &sqlite_ops;
    pthread_mutex_init(&s->wlock, NULL);
    pthread_mutex_init(&s->rlock, NULL);
    pthread_key_create(&s->rkey, NULL);
    for (int i = 0; i < S__COUNT; i++) {
        if (!(s->sql[i] = sql_sqlite((enum stmt_id)i))) {
            snprintf(err, errlen, "out of memory");
            sq_close(&s->db.base);
            return NULL;
        }
    }
    s->writers[0] = conn_open(path, 1, err, errlen);
    s->writers[1] = s->writers[0] ? conn_open(path, 1, err, errlen) : NULL;
    if (!s->writers[1] || exec(s->writers[1]->db, "PRAGMA synchronous = FULL") != SQLITE_OK) {
        sq_close(&s->db.base);
        return NULL;
    }
    s->writer = s->writers[0];
    return &s->db.base;
}
