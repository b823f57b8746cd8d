/* pg — the PostgreSQL backend of struct store, for `--db postgres://…`: connections,
 * transactions and the runner of db.h; every store function itself is shared (store/stmt.h).
 *
 * Connections: one libpq connection per thread, opened on the thread's first call (kept in a
 * pthread key and in a list so that close finds them all; a thread that exits closes its own).
 * A connection that breaks is opened again on the next call outside a transaction; a call that
 * meets a broken connection outside a transaction is run once more on the new one.
 * Statements: each statement of sql.h is prepared once per connection by name (PQprepare) on
 * first use and run with $n parameters only (PQexecPrepared); bytes are binary parameters, and
 * every result is read in binary format.
 *
 * Transactions: the store functions were written against SQLite's single writer, where a write
 * transaction sees no concurrent writer. Here each write transaction is SERIALIZABLE, which gives
 * the same outcome under concurrency (docs/DECISIONS.md); a serialization failure or a deadlock
 * (SQLSTATE 40001, 40P01) or a lost connection rolls back and runs the whole transaction again,
 * at most TXN_TRIES times, and is DB_SOFT after that. Store calls made inside a transaction on
 * the same thread join it. Reads outside a transaction are single READ COMMITTED statements;
 * store->read runs its function as it comes (db_ops.read is NULL), since a snapshot would cost a
 * BEGIN and a COMMIT round trip more than the reads it holds together save.
 * Durability: durable transactions (auth, money, the outbox claim before a Telegram send) commit
 * with synchronous_commit on; the others with SET LOCAL synchronous_commit = off.
 * Statistics: a table that has never been analyzed gets the planner's guess of a few rows, at
 * which a lookup by a unique key (orders by order_id, contacts by tg_user_id) ties with a scan
 * of any index that starts with account_id, and the plan a connection caches then reads every
 * row of the account per lookup until autovacuum analyzes the table, a minute or more later: a
 * new shop's first import of 50,000 orders took 84 s instead of 4. So each time the rows this
 * process inserted pass 3,000, 6,000, 12,000 … up to about a million, the tables grown by half
 * since their last analysis are analyzed (DECISIONS 64), which also ends those cached plans.
 * Rows count toward a mark when their transaction commits, and the connection's own table counts
 * are flushed to PostgreSQL's statistics before they are read (DECISIONS 93). */
#include "store/pg/pg.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/util.h"
#include "store/migrations.h"
#include "store/stmt.h"

/* How often a transaction is run when it keeps meeting serialization failures. */
#define TXN_TRIES 10
/* The most parameters of a statement. */
#define MAXP 16

struct conn {
    PGconn *db;
    struct pg *owner;
    unsigned char prepared[S__COUNT];
    struct conn *next;
};

static struct pg *PG(struct store *st)
{
    return (struct pg *)st;
}

/* The write transaction this thread is inside, if any (see wbegin). tl_failed: a statement in
 * it failed, so it can only roll back; tl_retry: that failure is one a new run may not meet
 * (serialization failure, deadlock, lost connection). */
static __thread struct pg *tl_txn;
static __thread int tl_depth, tl_failed, tl_retry, tl_durable, tl_kind;
static __thread int64_t tl_inserted; /* rows the open transaction inserted, counted at its commit */

/* ---- connections ----------------------------------------------------------------------------- */

static void conn_free(struct conn *c)
{
    if (!c) return;
    PQfinish(c->db);
    free(c);
}

/* The pthread key's destructor: a thread that ends closes its connection. */
static void conn_dtor(void *p)
{
    struct conn *c = p;
    struct pg *s = c->owner;
    pthread_mutex_lock(&s->lock);
    for (struct conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    conn_free(c);
}

/* The first line of libpq's message, without the trailing newline. */
static void first_line(char *dst, size_t cap, const char *msg)
{
    size_t n = strcspn(msg ? msg : "", "\n");
    snprintf(dst, cap, "%.*s", (int)n, msg ? msg : "");
}

/* The server's notices ("relation already exists, skipping") are not tgr's to print. */
static void no_notice(void *arg, const char *message) {}

PGconn *pg_connect(const char *url)
{
    /* The defaults come first so that the URL's own parameters override them. */
    const char *const keys[] = {"application_name", "connect_timeout", "dbname", NULL};
    const char *const vals[] = {"tgr", "10", url, NULL};
    PGconn *db = PQconnectdbParams(keys, vals, 1);
    if (db) PQsetNoticeProcessor(db, no_notice, NULL);
    return db;
}

/* This thread's connection, opened (or opened again, when broken and no transaction is open
 * on it) as needed. @return NULL when the server cannot be reached (logged) */
static struct conn *conn_get(struct pg *s)
{
    struct conn *c = pthread_getspecific(s->key);
    if (c && (PQstatus(c->db) == CONNECTION_OK || tl_txn == s)) return c;
    char why[256];
    if (c) {
        PQreset(c->db);
        memset(c->prepared, 0, sizeof c->prepared);
        if (PQstatus(c->db) == CONNECTION_OK) {
            log_warn("store", "reconnected to PostgreSQL at %s", s->where);
            return c;
        }
        first_line(why, sizeof why, PQerrorMessage(c->db));
        log_error("store", "cannot reach PostgreSQL at %s: %s", s->where, why);
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->owner = s;
    c->db = pg_connect(s->url);
    if (!c->db || PQstatus(c->db) != CONNECTION_OK) {
        first_line(why, sizeof why, c->db ? PQerrorMessage(c->db) : "out of memory");
        log_error("store", "cannot connect to PostgreSQL at %s: %s", s->where, why);
        conn_free(c);
        return NULL;
    }
    pthread_mutex_lock(&s->lock);
    c->next = s->conns;
    s->conns = c;
    pthread_mutex_unlock(&s->lock);
    pthread_setspecific(s->key, c);
    return c;
}

/* DB_SOFT for what running again may fix (serialization failure, deadlock, lock timeout, a lost
 * or restarting server), DB_HARD otherwise; logs either way and marks the open transaction. */
static enum db_status failed(struct pg *s, PGconn *db, const PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    int soft = !db || PQstatus(db) != CONNECTION_OK || !state || strncmp(state, "08", 2) == 0 ||
               strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0 ||
               strncmp(state, "57P", 3) == 0;
    char msg[256];
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    first_line(msg, sizeof msg, primary ? primary : db ? PQerrorMessage(db) : "no connection");
    if (soft)
        log_warn("store", "%s: %s (%s)", what, msg, state ? state : "connection");
    else if (!(state && strcmp(state, "25P02") == 0)) /* "transaction aborted": the cause is logged */
        log_error("store", "%s failed: %s (%s)", what, msg, state ? state : "?");
    if (tl_txn == s) {
        tl_failed = 1;
        if (soft) tl_retry = 1;
    }
    return soft ? DB_SOFT : DB_HARD;
}

/* ---- the runner ------------------------------------------------------------------------------- */

/* The parameters of one statement: numbers as text, texts as text, bytes as binary. */
struct params {
    int n;
    const char *v[MAXP];
    int len[MAXP], fmt[MAXP];
    char num[MAXP][24];
};

static int params_of(struct params *q, const struct sp *p)
{
    memset(q, 0, sizeof *q);
    for (; p && p->kind != SPK_END; p++, q->n++) {
        if (q->n == MAXP) return TGR_ERR;
        if (p->kind == SPK_I64) {
            snprintf(q->num[q->n], sizeof q->num[0], "%" PRId64, p->i);
            q->v[q->n] = q->num[q->n];
        } else if (p->kind != SPK_NULL) {
            q->v[q->n] = p->p;
            q->len[q->n] = (int)p->n;
            q->fmt[q->n] = p->kind == SPK_BLOB || p->kind == SPK_TEXTN;
        }
    }
    return TGR_OK;
}

/* An integer column of a binary result (bool, int2, int4 or int8; 0 when NULL). */
static int64_t pg_col_i64(const struct db_row *r, int col)
{
    if (PQgetisnull(r->h, r->i, col)) return 0;
    const unsigned char *v = (const unsigned char *)PQgetvalue(r->h, r->i, col);
    int n = PQgetlength(r->h, r->i, col);
    uint64_t x = 0;
    for (int i = 0; i < n && i < 8; i++)
        x = x << 8 | v[i];
    switch (n) {
    case 1:
        return (int8_t)x;
    case 2:
        return (int16_t)x;
    case 4:
        return (int32_t)x;
    case 8:
        return (int64_t)x;
    default:
        log_error("store", "column %d is not an integer (%d bytes)", col, n);
        return 0;
    }
}

static int pg_col_null(const struct db_row *r, int col)
{
    return PQgetisnull(r->h, r->i, col);
}

/* A text column (libpq ends every value with a NUL, binary results too). */
static const char *pg_col_text(const struct db_row *r, int col)
{
    return PQgetisnull(r->h, r->i, col) ? NULL : PQgetvalue(r->h, r->i, col);
}

static const void *pg_col_bytes(const struct db_row *r, int col, size_t *n)
{
    *n = (size_t)PQgetlength(r->h, r->i, col);
    return pg_col_text(r, col);
}

static const struct db_ops pg_ops;

/* ---- statistics (see the top of this file) ------------------------------------------------------ */

#define ANALYZE_FIRST 3000
#define ANALYZE_LAST  (1000 << 10)

static enum db_status exec_sql(struct pg *s, const char *sql, const char *what);

/* Outside a transaction: when the rows inserted have reached the next mark, analyze the tables
 * grown by half (and at least 500 rows) since their last analysis. One thread does it; the
 * others go on. */
static void stats_refresh(struct pg *s)
{
    int64_t at = atomic_load(&s->analyze_at);
    if (!at || atomic_load(&s->inserted) < at) return;
    if (!atomic_compare_exchange_strong(&s->analyze_at, &at, at >= ANALYZE_LAST ? 0 : at * 2)) return;
    struct conn *c = conn_get(s);
    if (!c) return;
    /* Since PostgreSQL 15 a backend holds its table counts for up to 10 s when it flushed them
     * less than a second ago, so the rows this connection just committed (a first import's
     * batches) were often missing from n_mod_since_analyze below and the table went
     * unanalyzed (http.test_shop.pg). The flush is forced when this command ends. */
    if (PQserverVersion(c->db) >= 150000) PQclear(PQexec(c->db, "SELECT pg_stat_force_next_flush()"));
    PGresult *res = PQexec(c->db, "SELECT quote_ident(relname) FROM pg_stat_user_tables "
                                  "WHERE schemaname = current_schema() AND n_mod_since_analyze >= "
                                  "GREATEST(500, n_live_tup / 2)");
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        for (int i = 0; i < PQntuples(res); i++) {
            char sql[160];
            snprintf(sql, sizeof sql, "ANALYZE %s", PQgetvalue(res, i, 0));
            if (exec_sql(s, sql, "statistics") < 0) break;
        }
    }
    PQclear(res);
}

static enum db_status pg_run(struct store *st, enum stmt_id id, const struct sp *p, db_reader row, void *cls,
                             int64_t *changed)
{
    struct pg *s = PG(st);
    struct params q;
    if (params_of(&q, p) != TGR_OK) {
        log_error("store", "%s: more than %d parameters", sql_name(id), MAXP);
        return DB_HARD;
    }
    for (int attempt = 0;; attempt++) {
        struct conn *c = conn_get(s);
        if (!c) return failed(s, NULL, NULL, sql_name(id));
        char name[16];
        snprintf(name, sizeof name, "s%d", (int)id);
        PGresult *res = NULL;
        if (!c->prepared[id]) {
            res = PQprepare(c->db, name, sql_pg(id), 0, NULL);
            if (PQresultStatus(res) == PGRES_COMMAND_OK) {
                c->prepared[id] = 1;
                PQclear(res);
                res = NULL;
            }
        }
        if (!res) res = PQexecPrepared(c->db, name, q.n, q.v, q.len, q.fmt, 1);
        ExecStatusType es = PQresultStatus(res);
        if (es == PGRES_TUPLES_OK || es == PGRES_COMMAND_OK) {
            const char *cmd = PQcmdTuples(res);
            int64_t n = cmd[0] ? strtoll(cmd, NULL, 10) : 0;
            int rows = es == PGRES_TUPLES_OK ? PQntuples(res) : 0, k = 0;
            struct db_row r = {&pg_ops, res, 0};
            for (; row && r.i < rows && k == 0; r.i++)
                k = row(cls, &r);
            if (n > 0 && strncmp(PQcmdStatus(res), "INSERT", 6) == 0) { /* RETURNING ones too */
                if (tl_txn == s)
                    tl_inserted += n;
                else
                    atomic_fetch_add(&s->inserted, n);
            }
            PQclear(res);
            if (k < 0) return DB_HARD;
            if (changed) *changed = n;
            return rows > 0 || (es == PGRES_COMMAND_OK && n > 0) ? DB_ONE : DB_NONE;
        }
        /* A connection that broke between two calls: once more on a new one. */
        if (attempt == 0 && tl_txn != s && PQstatus(c->db) != CONNECTION_OK) {
            PQclear(res);
            continue;
        }
        enum db_status r = failed(s, c->db, res, sql_name(id));
        PQclear(res);
        return r;
    }
}

/* Run fixed SQL without parameters (transaction control, migrations). */
static enum db_status exec_sql(struct pg *s, const char *sql, const char *what)
{
    struct conn *c = conn_get(s);
    if (!c) return failed(s, NULL, NULL, what);
    PGresult *res = PQexec(c->db, sql);
    ExecStatusType es = PQresultStatus(res);
    enum db_status r = DB_ONE;
    if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK)
        r = failed(s, c->db, res, what);
    else if (strcmp(sql, "COMMIT") == 0 && strcmp(PQcmdStatus(res), "COMMIT") != 0)
        r = DB_HARD; /* a COMMIT of a failed transaction answers ROLLBACK */
    PQclear(res);
    return r;
}

static enum db_status pg_script(struct store *st, const char *sql)
{
    return exec_sql(PG(st), sql, "migration");
}

/* ---- transactions ------------------------------------------------------------------------------ */

/* Open a write transaction, or join the one this thread has open. On success the caller must
 * call wend(). A durable call inside a normal transaction makes its commit synchronous. */
static enum db_status wbegin(struct pg *s, enum db_tx kind)
{
    if (tl_txn == s) {
        tl_depth++;
        if (kind == TX_DURABLE && !tl_durable) {
            tl_durable = 1;
            if (exec_sql(s, "SET LOCAL synchronous_commit = on", "durable commit") < 0) tl_failed = 1;
        }
        return DB_ONE;
    }
    static const char *const begin[] = {
        [TX_NORMAL] = "BEGIN ISOLATION LEVEL SERIALIZABLE; SET LOCAL synchronous_commit = off",
        [TX_DURABLE] = "BEGIN ISOLATION LEVEL SERIALIZABLE",
        /* Migrations wait for each other on an advisory lock and must then see what the other
         * committed, which a serializable snapshot taken before the wait would not. */
        [TX_MIGRATE] = "BEGIN ISOLATION LEVEL READ COMMITTED",
        /* Lease rounds: see store.h enum db_tx. */
        [TX_LEASE] = "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit = off",
    };
    tl_retry = 0;
    tl_inserted = 0;
    enum db_status r = exec_sql(s, begin[kind], "begin");
    if (r < 0) {
        /* A BEGIN that failed half-way may have left a transaction open. */
        struct conn *c = pthread_getspecific(s->key);
        if (c && PQtransactionStatus(c->db) != PQTRANS_IDLE) PQclear(PQexec(c->db, "ROLLBACK"));
        return r;
    }
    tl_txn = s;
    tl_kind = kind;
    tl_depth = 1;
    tl_failed = 0;
    tl_durable = kind == TX_DURABLE || kind == TX_MIGRATE;
    return DB_ONE;
}

/* Commit when st is not an error and nothing inside failed, else roll back.
 * @return the final status: st, or the failure (DB_SOFT when running it again may succeed) */
static enum db_status wend(struct pg *s, enum db_status st)
{
    if (st < 0) tl_failed = 1;
    if (--tl_depth > 0) return st;
    if (tl_failed && st >= 0) st = DB_HARD; /* an inner step failed: the whole transaction goes */
    if (tl_retry && st < 0) st = DB_SOFT;   /* whatever the callers made of it, a new run may succeed */
    if (st >= 0) {
        enum db_status c = exec_sql(s, "COMMIT", "commit");
        if (c < 0) {
            st = c;
            if (c == DB_SOFT) tl_retry = 1;
        } else {
            /* Counted once committed: another thread reaching the mark first would look at
             * counts that cannot hold this transaction's rows yet. */
            atomic_fetch_add(&s->inserted, tl_inserted);
        }
    } else {
        struct conn *c = pthread_getspecific(s->key);
        if (c && PQstatus(c->db) == CONNECTION_OK) exec_sql(s, "ROLLBACK", "rollback");
    }
    tl_txn = NULL;
    /* Not after a lease round: its thread keeps the leases alive, and an ANALYZE there delayed a
     * renewal long enough for another instance to take an account while this one still ran its
     * Telegram client (http.test_scaleout.pg, AUTH_KEY_DUPLICATED). */
    if (tl_kind != TX_LEASE) stats_refresh(s);
    return st;
}

static void backoff(int attempt)
{
    /* 1..4 ms times the attempt, jittered so that two colliding transactions part. */
    long us = (long)(1000 + randombytes_uniform(3000)) * attempt;
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

/* The outermost transaction runs fn again (in a new transaction) when it failed in a way a new
 * run may not (tl_retry), or on any DB_SOFT with retry_soft; a joined one runs fn once. */
static enum db_status pg_txn(struct store *st, enum db_tx kind, int retry_soft,
                             enum db_status (*fn)(struct store *st, void *cls), void *cls)
{
    struct pg *s = PG(st);
    for (int attempt = 0;;) {
        int top = tl_txn != s;
        enum db_status r = wbegin(s, kind);
        if (r >= 0) {
            r = wend(s, fn(st, cls));
            if (!top || r != DB_SOFT || !(tl_retry || retry_soft)) return r;
        } else if (r != DB_SOFT) {
            return r;
        }
        if (++attempt >= TXN_TRIES) return r;
        backoff(attempt);
    }
}

/* ---- opening and closing ------------------------------------------------------------------------ */

/* Key of the advisory lock that makes concurrent migrations take turns ("tgr" + 1). */
#define MIGRATION_LOCK "7630834"

static const struct db_ops pg_ops = {
    .run = pg_run,
    .txn = pg_txn,
    .script = pg_script,
    .col_null = pg_col_null,
    .col_i64 = pg_col_i64,
    .col_text = pg_col_text,
    .col_bytes = pg_col_bytes,
    .scan_page = 5000,
    .row_sets = 1,
    .migrations = pg_migrations,
    /* Under the lock, the version read is the one every other migrator left. */
    .migrate_first = "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ");"
                     "CREATE TABLE IF NOT EXISTS schema_migrations ("
                     " version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
};

static void pg_close(struct store *st)
{
    struct pg *s = PG(st);
    if (!s) return;
    pg_listener_stop(s);
    /* The key goes first, so that no thread's exit closes a connection freed here. */
    pthread_key_delete(s->key);
    pthread_mutex_lock(&s->lock);
    struct conn *c = s->conns;
    while (c) {
        struct conn *next = c->next;
        conn_free(c);
        c = next;
    }
    s->conns = NULL;
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_destroy(&s->lock);
    if (s->url) {
        sodium_memzero(s->url, strlen(s->url));
        free(s->url);
    }
    free(s);
}

static const struct store pg_store = {
    .backend = "postgres", .close = pg_close, .notify = pg_notify, .listen = pg_listen, STORE_STMT_INIT};

/* "user@host:port/db" of a URL for messages: everything but the password. */
static void describe(const char *url, char *out, size_t cap)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &err);
    const char *user = "", *host = "", *port = "", *db = "";
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (!o->val) continue;
        if (strcmp(o->keyword, "user") == 0)
            user = o->val;
        else if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
        else if (strcmp(o->keyword, "dbname") == 0)
            db = o->val;
    }
    snprintf(out, cap, "%s%s%s%s%s/%s", user, *user ? "@" : "", *host ? host : "localhost", *port ? ":" : "",
             port, db);
    PQconninfoFree(opts);
    PQfreemem(err);
}

struct store *store_pg_open(const char *url, char *err, size_t errlen)
{
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &perr);
    if (!opts) {
        /* libpq's message quotes no part of the URL, but is kept out anyway: it may be long. */
        snprintf(err, errlen, "invalid PostgreSQL URL");
        PQfreemem(perr);
        return NULL;
    }
    PQconninfoFree(opts);
    struct pg *s = calloc(1, sizeof *s);
    if (!s || !(s->url = strdup(url))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->db.base = pg_store;
    s->db.ops = &pg_ops;
    describe(url, s->where, sizeof s->where);
    pthread_mutex_init(&s->lock, NULL);
    pthread_key_create(&s->key, conn_dtor);
    atomic_init(&s->inserted, 0);
    atomic_init(&s->analyze_at, ANALYZE_FIRST);
    /* The opening thread connects now, so that an unreachable server is reported at start. */
    PGconn *probe = pg_connect(url);
    if (!probe || PQstatus(probe) != CONNECTION_OK) {
        char why[256];
        first_line(why, sizeof why, probe ? PQerrorMessage(probe) : "out of memory");
        snprintf(err, errlen, "cannot connect to PostgreSQL at %s: %s", s->where, why);
        PQfinish(probe);
        pg_close(&s->db.base);
        return NULL;
    }
    PQfinish(probe);
    return &s->db.base;
}
