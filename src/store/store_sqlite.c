/* store_sqlite — the SQLite backend of struct store (store.h).
 *
 * Connections: one writer connection, used under a mutex, where every write transaction is
 * BEGIN IMMEDIATE … COMMIT; one reader connection per thread (created on first use, kept in a
 * pthread key and in a list so that close can find them all). WAL mode lets readers run while
 * the writer writes; busy_timeout covers other processes (`tgr account create` beside a running
 * server). Each connection prepares each statement once and keeps it (SQLITE_PREPARE_PERSISTENT).
 * synchronous is NORMAL, raised to FULL around writes that touch auth or money. */
#include "store/store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "store/migrations.h"

#define ACCOUNT_COLS "id, email, plan_type, password_hash, timezone, frequency_cap_days, " \
                     "webhook_secret IS NOT NULL, created_at"

#define CONTACT_COLS                                                                                   \
    "c.id, c.tg_user_id, c.access_hash, c.first_name, c.last_name, c.username, c.phone, c.phone_bidx, "   \
    "c.username_bidx, COALESCE(c.first_inbound_at, 0), COALESCE(c.last_inbound_at, 0), c.inbound_count, "  \
    "COALESCE(c.opted_out_at, 0), COALESCE(c.blocked_at, 0), COALESCE(c.deactivated_at, 0), c.created_at, " \
    "c.updated_at, "                                                                                       \
    "(SELECT COUNT(*) FROM orders o WHERE o.account_id = c.account_id AND o.contact_id = c.id "            \
    "  AND o.status = 'paid'), "                                                                           \
    "(SELECT COALESCE(SUM(o.amount), 0) FROM orders o WHERE o.account_id = c.account_id "                  \
    "  AND o.contact_id = c.id AND o.status = 'paid')"

/* Every statement the backend runs, by name. */
#define STMTS(X)                                                                                     \
    X(S_VERSION, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations")                           \
    X(S_MIGRATION_DONE, "INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)")             \
    X(S_PING, "SELECT 1")                                                                             \
    X(S_ACCOUNT_INSERT, "INSERT INTO accounts(email, api_key, plan_type, password_hash, created_at) "  \
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(email) DO NOTHING")                       \
    X(S_ACCOUNT_BY_EMAIL, "SELECT " ACCOUNT_COLS " FROM accounts WHERE email = ?")                     \
    X(S_ACCOUNT_BY_KEY, "SELECT " ACCOUNT_COLS " FROM accounts WHERE api_key = ?")                     \
    X(S_ACCOUNT_GET, "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?")                             \
    X(S_ACCOUNT_UPDATE, "UPDATE accounts SET timezone = ?, frequency_cap_days = ? WHERE id = ?")       \
    X(S_ACCOUNT_SET_WH, "UPDATE accounts SET webhook_secret = ? WHERE id = ?")                         \
    X(S_ACCOUNT_GET_WH, "SELECT webhook_secret FROM accounts WHERE id = ? AND webhook_secret IS NOT NULL") \
    X(S_SESSION_GET, "SELECT status, encrypted_session_data, phone, tg_user_id, updated_at "             \
                     "FROM telegram_sessions WHERE account_id = ?")                                     \
    X(S_SESSION_PUT, "INSERT INTO telegram_sessions(account_id, status, encrypted_session_data, phone, "  \
                     "tg_user_id, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(account_id) DO UPDATE " \
                     "SET status = excluded.status, encrypted_session_data = excluded.encrypted_session_data, " \
                     "phone = excluded.phone, tg_user_id = excluded.tg_user_id, updated_at = excluded.updated_at") \
    X(S_SESSION_STATUS, "UPDATE telegram_sessions SET status = ?, updated_at = ? WHERE account_id = ?")     \
    X(S_SESSION_DELETE, "DELETE FROM telegram_sessions WHERE account_id = ?")                               \
    X(S_SESSIONS_CONNECTED, "SELECT account_id FROM telegram_sessions WHERE status = 'connected' "         \
                            "ORDER BY account_id")                                                          \
    X(S_CONTACT_INSERT, "INSERT INTO contacts(account_id, tg_user_id, access_hash, first_name, last_name, " \
                        "username, phone, phone_bidx, username_bidx, created_at, updated_at) "              \
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")                                         \
    X(S_CONTACT_UPDATE, "UPDATE contacts SET access_hash = ?, first_name = ?, last_name = ?, username = ?, " \
                        "phone = ?, phone_bidx = ?, username_bidx = ?, updated_at = ? "                     \
                        "WHERE account_id = ? AND id = ?")                                                  \
    X(S_CONTACT_BY_TG, "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = ? AND c.tg_user_id = ?") \
    X(S_CONTACT_GET, "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = ? AND c.id = ?")          \
    X(S_CONTACTS_PAGE, "SELECT " CONTACT_COLS " FROM contacts c WHERE c.account_id = ? AND c.id > ? "        \
                       "ORDER BY c.id LIMIT ?")                                                             \
    X(S_INBOUND_INSERT, "INSERT INTO inbound_messages(account_id, contact_id, tg_message_id, text, date) "  \
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")                                    \
    X(S_INBOUND_TOUCH, "UPDATE contacts SET inbound_count = inbound_count + 1, "                            \
                       "first_inbound_at = MIN(COALESCE(first_inbound_at, ?1), ?1), "                       \
                       "last_inbound_at = MAX(COALESCE(last_inbound_at, ?1), ?1) "                          \
                       "WHERE account_id = ?2 AND id = ?3")                                                 \
    X(S_META_GET, "SELECT value FROM meta WHERE key = ?")                                              \
    X(S_META_SET, "INSERT INTO meta(key, value) VALUES (?, ?) "                                        \
                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value")

enum stmt_id {
#define X(id, sql) id,
    STMTS(X)
#undef X
        S__COUNT
};

static const char *const stmt_sql[] = {
#define X(id, sql) [id] = sql,
    STMTS(X)
#undef X
};

struct conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[S__COUNT];
    struct conn *next;
};

struct sq {
    struct store base; /* first: a struct store * is a struct sq * */
    char path[4096];
    struct conn *writer;
    pthread_mutex_t wlock;
    int wsync_full;
    pthread_key_t rkey;
    pthread_mutex_t rlock;
    struct conn *readers;
};

static struct sq *SQ(struct store *st)
{
    return (struct sq *)st;
}

static void conn_close(struct conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < S__COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
    sqlite3_close_v2(c->db);
    free(c);
}

static int exec(sqlite3 *db, const char *sql)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        log_error("store", "sqlite exec failed: %s", sqlite3_errstr(rc));
    return rc;
}

static struct conn *conn_open(const char *path, int writer, char *err, size_t errlen)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    int rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        if (err)
            snprintf(err, errlen, "cannot open database %s: %s", path, sqlite3_errstr(rc));
        conn_close(c);
        return NULL;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, 5000);
    if (exec(c->db, "PRAGMA foreign_keys = ON") != SQLITE_OK ||
        (writer && exec(c->db, "PRAGMA journal_mode = WAL") != SQLITE_OK) ||
        exec(c->db, "PRAGMA synchronous = NORMAL") != SQLITE_OK ||
        (!writer && exec(c->db, "PRAGMA query_only = 1") != SQLITE_OK)) {
        if (err)
            snprintf(err, errlen, "cannot configure database %s: %s", path, sqlite3_errmsg(c->db));
        conn_close(c);
        return NULL;
    }
    return c;
}

/* The prepared statement id on c, reset and with bindings cleared. */
static sqlite3_stmt *stmt(struct conn *c, enum stmt_id id)
{
    if (!c->stmt[id]) {
        int rc = sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[id], NULL);
        if (rc != SQLITE_OK) {
            log_error("store", "prepare of statement %d failed: %s", (int)id, sqlite3_errmsg(c->db));
            return NULL;
        }
    }
    sqlite3_reset(c->stmt[id]);
    sqlite3_clear_bindings(c->stmt[id]);
    return c->stmt[id];
}

static enum db_status rc_status(sqlite3 *db, int rc, const char *what)
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

static struct conn *reader_conn(struct sq *s);

/* The write transaction this thread is inside, if any (see txn). */
static __thread struct sq *tl_txn;
static __thread int tl_depth, tl_failed;

/* This thread's reader connection — or the writer while this thread holds a write
 * transaction, so that a transaction reads its own writes. */
static struct conn *reader(struct sq *s)
{
    if (tl_txn == s)
        return s->writer;
    return reader_conn(s);
}

static struct conn *reader_conn(struct sq *s)
{
    struct conn *c = pthread_getspecific(s->rkey);
    if (c)
        return c;
    c = conn_open(s->path, 0, NULL, 0);
    if (!c)
        return NULL;
    pthread_mutex_lock(&s->rlock);
    c->next = s->readers;
    s->readers = c;
    pthread_mutex_unlock(&s->rlock);
    pthread_setspecific(s->rkey, c);
    return c;
}

/* Take the writer and open a write transaction; durable=1 makes its commit synchronous=FULL.
 * On success the caller must call wend(). */
static enum db_status wbegin(struct sq *s, int durable)
{
    if (tl_txn == s) {
        tl_depth++;
        return DB_ONE;
    }
    pthread_mutex_lock(&s->wlock);
    if (durable != s->wsync_full) {
        if (exec(s->writer->db, durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL") == SQLITE_OK)
            s->wsync_full = durable;
    }
    int rc = sqlite3_exec(s->writer->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        pthread_mutex_unlock(&s->wlock);
        return rc_status(s->writer->db, rc, "begin");
    }
    tl_txn = s;
    tl_depth = 1;
    tl_failed = 0;
    return DB_ONE;
}

/* Commit when st is not an error, else roll back; releases the writer. Returns the final status. */
static enum db_status wend(struct sq *s, enum db_status st)
{
    if (st < 0)
        tl_failed = 1;
    if (--tl_depth > 0)
        return st;
    tl_txn = NULL;
    if (tl_failed && st >= 0)
        st = DB_HARD; /* an inner step failed: the whole transaction goes */
    if (st >= 0) {
        int rc = sqlite3_exec(s->writer->db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            st = rc_status(s->writer->db, rc, "commit");
            sqlite3_exec(s->writer->db, "ROLLBACK", NULL, NULL, NULL);
        }
    } else {
        sqlite3_exec(s->writer->db, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&s->wlock);
    return st;
}

/* Run a prepared write statement to completion; DB_ONE if it changed a row, DB_NONE if not. */
static enum db_status step_write(struct sq *s, sqlite3_stmt *q, const char *what)
{
    if (!q)
        return DB_HARD;
    int rc = sqlite3_step(q);
    enum db_status st = rc_status(s->writer->db, rc, what);
    if (st == DB_NONE && sqlite3_changes(s->writer->db) > 0)
        st = DB_ONE;
    sqlite3_reset(q);
    return st;
}

static void copy_text(char *dst, size_t cap, sqlite3_stmt *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static void read_account(sqlite3_stmt *q, struct account *a)
{
    memset(a, 0, sizeof *a);
    a->id = sqlite3_column_int64(q, 0);
    copy_text(a->email, sizeof a->email, q, 1);
    copy_text(a->plan_type, sizeof a->plan_type, q, 2);
    copy_text(a->password_hash, sizeof a->password_hash, q, 3);
    copy_text(a->timezone, sizeof a->timezone, q, 4);
    a->frequency_cap_days = sqlite3_column_int(q, 5);
    a->webhook_secret_set = sqlite3_column_int(q, 6);
    a->created_at = sqlite3_column_int64(q, 7);
}

static enum db_status account_query(struct store *st, enum stmt_id id, const char *text, int64_t num,
                                    struct account *out)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, id) : NULL;
    if (!q)
        return DB_HARD;
    if (text)
        sqlite3_bind_text(q, 1, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(q, 1, num);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "account lookup");
    if (r == DB_ONE)
        read_account(q, out);
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_account_by_email(struct store *st, const char *email, struct account *out)
{
    return account_query(st, S_ACCOUNT_BY_EMAIL, email, 0, out);
}

static enum db_status sq_account_by_api_key(struct store *st, const char *hash, struct account *out)
{
    return account_query(st, S_ACCOUNT_BY_KEY, hash, 0, out);
}

static enum db_status sq_account_get(struct store *st, int64_t id, struct account *out)
{
    return account_query(st, S_ACCOUNT_GET, NULL, id, out);
}

static enum db_status sq_account_create(struct store *st, const struct account *a, const char *api_key_hash,
                                        int64_t *id)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0)
        return r;
    sqlite3_stmt *q = stmt(s->writer, S_ACCOUNT_INSERT);
    if (q) {
        sqlite3_bind_text(q, 1, a->email, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, api_key_hash, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, a->plan_type[0] ? a->plan_type : "free", -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, a->password_hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, now_ms());
    }
    r = step_write(s, q, "account insert");
    if (r == DB_ONE && id)
        *id = sqlite3_last_insert_rowid(s->writer->db);
    return wend(s, r);
}

static enum db_status sq_account_update(struct store *st, int64_t id, const char *tz, int cap)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0)
        return r;
    sqlite3_stmt *q = stmt(s->writer, S_ACCOUNT_UPDATE);
    if (q) {
        sqlite3_bind_text(q, 1, tz, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 2, cap);
        sqlite3_bind_int64(q, 3, id);
    }
    return wend(s, step_write(s, q, "account update"));
}

static enum db_status sq_account_set_webhook_secret(struct store *st, int64_t id, const unsigned char *sealed,
                                                    size_t len)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0)
        return r;
    sqlite3_stmt *q = stmt(s->writer, S_ACCOUNT_SET_WH);
    if (q) {
        sqlite3_bind_blob(q, 1, sealed, (int)len, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, id);
    }
    return wend(s, step_write(s, q, "webhook secret update"));
}

static enum db_status sq_account_webhook_secret(struct store *st, int64_t id, unsigned char **out, size_t *len)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_ACCOUNT_GET_WH) : NULL;
    if (!q)
        return DB_HARD;
    sqlite3_bind_int64(q, 1, id);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "webhook secret lookup");
    if (r == DB_ONE) {
        int n = sqlite3_column_bytes(q, 0);
        *out = malloc(n ? (size_t)n : 1);
        if (!*out) {
            r = DB_HARD;
        } else {
            memcpy(*out, sqlite3_column_blob(q, 0), (size_t)n);
            *len = (size_t)n;
        }
    }
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_meta_get(struct store *st, const char *key, char *out, size_t cap)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_META_GET) : NULL;
    if (!q)
        return DB_HARD;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "meta lookup");
    if (r == DB_ONE)
        copy_text(out, cap, q, 0);
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_meta_set(struct store *st, const char *key, const char *value)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0)
        return r;
    sqlite3_stmt *q = stmt(s->writer, S_META_SET);
    if (q) {
        sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
    }
    return wend(s, step_write(s, q, "meta update"));
}

static enum db_status sq_ping(struct store *st)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_PING) : NULL;
    if (!q)
        return DB_HARD;
    enum db_status r = rc_status(c->db, sqlite3_step(q), "ping");
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_migrate(struct store *st, int *applied)
{
    struct sq *s = SQ(st);
    int n = 0;
    if (applied)
        *applied = 0;
    pthread_mutex_lock(&s->wlock);
    int rc = exec(s->writer->db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                 " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    pthread_mutex_unlock(&s->wlock);
    if (rc != SQLITE_OK)
        return DB_HARD;
    for (int v = 1; sqlite_migrations[v - 1]; v++) {
        enum db_status r = wbegin(s, 1);
        if (r < 0)
            return r;
        /* The version is read inside the write transaction, so two processes migrating at
         * once apply each migration once. */
        sqlite3_stmt *q = stmt(s->writer, S_VERSION);
        r = q ? rc_status(s->writer->db, sqlite3_step(q), "schema version") : DB_HARD;
        int have = r == DB_ONE ? sqlite3_column_int(q, 0) : 0;
        if (q)
            sqlite3_reset(q);
        if (r < 0 || have >= v) {
            wend(s, r < 0 ? r : DB_NONE);
            if (r < 0)
                return r;
            continue;
        }
        if (exec(s->writer->db, sqlite_migrations[v - 1]) != SQLITE_OK) {
            wend(s, DB_HARD);
            log_error("store", "migration %d failed", v);
            return DB_HARD;
        }
        q = stmt(s->writer, S_MIGRATION_DONE);
        if (q) {
            sqlite3_bind_int(q, 1, v);
            sqlite3_bind_int64(q, 2, now_ms());
        }
        r = wend(s, step_write(s, q, "migration record"));
        if (r < 0)
            return r;
        n++;
        log_info("store", "applied migration %d", v);
    }
    if (applied)
        *applied = n;
    return DB_ONE;
}

/* ---- helpers for blobs ------------------------------------------------------------------- */

static int read_blob(sqlite3_stmt *q, int col, struct blob *b)
{
    b->p = NULL;
    b->len = 0;
    if (sqlite3_column_type(q, col) == SQLITE_NULL)
        return TGR_OK;
    int n = sqlite3_column_bytes(q, col);
    b->p = malloc(n > 0 ? (size_t)n : 1);
    if (!b->p)
        return TGR_ERR;
    memcpy(b->p, sqlite3_column_blob(q, col), (size_t)n);
    b->len = (size_t)n;
    return TGR_OK;
}

static void bind_blob(sqlite3_stmt *q, int i, const struct blob *b)
{
    if (b && b->p)
        sqlite3_bind_blob(q, i, b->p, (int)b->len, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, i);
}

static void bind_text_or_null(sqlite3_stmt *q, int i, const char *t)
{
    if (t && *t)
        sqlite3_bind_text(q, i, t, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, i);
}

/* ---- transactions ------------------------------------------------------------------------ */

static enum db_status sq_txn(struct store *st, int durable, enum db_status (*fn)(struct store *, void *), void *cls)
{
    struct sq *s = SQ(st);
    enum db_status r = DB_HARD;
    for (int attempt = 0; attempt < 4; attempt++) {
        r = wbegin(s, durable);
        if (r == DB_SOFT)
            continue;
        if (r < 0)
            return r;
        r = wend(s, fn(st, cls));
        if (r != DB_SOFT)
            return r;
    }
    return r;
}

/* ---- Telegram sessions ------------------------------------------------------------------- */

static enum db_status sq_session_get(struct store *st, int64_t account_id, struct tg_session *out)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_SESSION_GET) : NULL;
    memset(out, 0, sizeof *out);
    if (!q)
        return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "session lookup");
    if (r == DB_ONE) {
        copy_text(out->status, sizeof out->status, q, 0);
        copy_text(out->tg_user_id, sizeof out->tg_user_id, q, 3);
        out->updated_at = sqlite3_column_int64(q, 4);
        if (read_blob(q, 1, &out->session) != TGR_OK || read_blob(q, 2, &out->phone) != TGR_OK) {
            tg_session_release(out);
            r = DB_HARD;
        }
    }
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_session_put(struct store *st, int64_t account_id, const struct tg_session *in)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0)
        return r;
    sqlite3_stmt *q = stmt(s->writer, S_SESSION_PUT);
    if (q) {
        sqlite3_bind_int64(q, 1, account_id);
        sqlite3_bind_text(q, 2, in->status, -1, SQLITE_STATIC);
        bind_blob(q, 3, &in->session);
        bind_blob(q, 4, &in->phone);
        bind_text_or_null(q, 5, in->tg_user_id);
        sqlite3_bind_int64(q, 6, now_ms());
    }
    return wend(s, step_write(s, q, "session save"));
}

static enum db_status sq_session_set_status(struct store *st, int64_t account_id, const char *status)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0)
        return r;
    sqlite3_stmt *q = stmt(s->writer, S_SESSION_STATUS);
    if (q) {
        sqlite3_bind_text(q, 1, status, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, now_ms());
        sqlite3_bind_int64(q, 3, account_id);
    }
    return wend(s, step_write(s, q, "session status"));
}

static enum db_status sq_session_delete(struct store *st, int64_t account_id)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 1);
    if (r < 0)
        return r;
    sqlite3_stmt *q = stmt(s->writer, S_SESSION_DELETE);
    if (q)
        sqlite3_bind_int64(q, 1, account_id);
    return wend(s, step_write(s, q, "session delete"));
}

static enum db_status sq_sessions_connected(struct store *st, int64_t **ids, size_t *n)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_SESSIONS_CONNECTED) : NULL;
    *ids = NULL;
    *n = 0;
    if (!q)
        return DB_HARD;
    size_t cap = 0;
    enum db_status r;
    while ((r = rc_status(c->db, sqlite3_step(q), "connected sessions")) == DB_ONE) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            int64_t *np = realloc(*ids, cap * sizeof **ids);
            if (!np) {
                r = DB_HARD;
                break;
            }
            *ids = np;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(q, 0);
    }
    sqlite3_reset(q);
    if (r < 0) {
        free(*ids);
        *ids = NULL;
        *n = 0;
        return r;
    }
    return *n ? DB_ONE : DB_NONE;
}

/* ---- contacts ---------------------------------------------------------------------------- */

static int read_contact(sqlite3_stmt *q, struct contact *c)
{
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(q, 0);
    copy_text(c->tg_user_id, sizeof c->tg_user_id, q, 1);
    if (read_blob(q, 2, &c->access_hash) || read_blob(q, 3, &c->first_name) || read_blob(q, 4, &c->last_name) ||
        read_blob(q, 5, &c->username) || read_blob(q, 6, &c->phone)) {
        contact_release(c);
        return TGR_ERR;
    }
    copy_text(c->phone_bidx, sizeof c->phone_bidx, q, 7);
    copy_text(c->username_bidx, sizeof c->username_bidx, q, 8);
    c->first_inbound_at = sqlite3_column_int64(q, 9);
    c->last_inbound_at = sqlite3_column_int64(q, 10);
    c->inbound_count = sqlite3_column_int64(q, 11);
    c->opted_out_at = sqlite3_column_int64(q, 12);
    c->blocked_at = sqlite3_column_int64(q, 13);
    c->deactivated_at = sqlite3_column_int64(q, 14);
    c->created_at = sqlite3_column_int64(q, 15);
    c->updated_at = sqlite3_column_int64(q, 16);
    c->orders_count = sqlite3_column_int64(q, 17);
    c->spent = sqlite3_column_int64(q, 18);
    return TGR_OK;
}

static enum db_status sq_contact_save(struct store *st, int64_t account_id, const struct contact *ct, int64_t *id)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0)
        return r;
    int64_t now = now_ms();
    sqlite3_stmt *q;
    if (ct->id == 0) {
        q = stmt(s->writer, S_CONTACT_INSERT);
        if (q) {
            sqlite3_bind_int64(q, 1, account_id);
            sqlite3_bind_text(q, 2, ct->tg_user_id, -1, SQLITE_STATIC);
            bind_blob(q, 3, &ct->access_hash);
            bind_blob(q, 4, &ct->first_name);
            bind_blob(q, 5, &ct->last_name);
            bind_blob(q, 6, &ct->username);
            bind_blob(q, 7, &ct->phone);
            bind_text_or_null(q, 8, ct->phone_bidx);
            bind_text_or_null(q, 9, ct->username_bidx);
            sqlite3_bind_int64(q, 10, now);
            sqlite3_bind_int64(q, 11, now);
        }
        r = step_write(s, q, "contact insert");
        if (r == DB_ONE && id)
            *id = sqlite3_last_insert_rowid(s->writer->db);
    } else {
        q = stmt(s->writer, S_CONTACT_UPDATE);
        if (q) {
            bind_blob(q, 1, &ct->access_hash);
            bind_blob(q, 2, &ct->first_name);
            bind_blob(q, 3, &ct->last_name);
            bind_blob(q, 4, &ct->username);
            bind_blob(q, 5, &ct->phone);
            bind_text_or_null(q, 6, ct->phone_bidx);
            bind_text_or_null(q, 7, ct->username_bidx);
            sqlite3_bind_int64(q, 8, now);
            sqlite3_bind_int64(q, 9, account_id);
            sqlite3_bind_int64(q, 10, ct->id);
        }
        r = step_write(s, q, "contact update");
        if (id)
            *id = ct->id;
    }
    return wend(s, r);
}

static enum db_status contact_query(struct store *st, enum stmt_id sid, int64_t account_id, const char *text,
                                    int64_t num, struct contact *out)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, sid) : NULL;
    memset(out, 0, sizeof *out);
    if (!q)
        return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    if (text)
        sqlite3_bind_text(q, 2, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(q, 2, num);
    enum db_status r = rc_status(c->db, sqlite3_step(q), "contact lookup");
    if (r == DB_ONE && read_contact(q, out) != TGR_OK)
        r = DB_HARD;
    sqlite3_reset(q);
    return r;
}

static enum db_status sq_contact_by_tg_id(struct store *st, int64_t account_id, const char *tg_user_id,
                                          struct contact *out)
{
    return contact_query(st, S_CONTACT_BY_TG, account_id, tg_user_id, 0, out);
}

static enum db_status sq_contact_get(struct store *st, int64_t account_id, int64_t id, struct contact *out)
{
    return contact_query(st, S_CONTACT_GET, account_id, NULL, id, out);
}

static enum db_status sq_contacts_page(struct store *st, int64_t account_id, int64_t after_id, int limit,
                                       struct contact **rows, size_t *n)
{
    struct conn *c = reader(SQ(st));
    sqlite3_stmt *q = c ? stmt(c, S_CONTACTS_PAGE) : NULL;
    *rows = NULL;
    *n = 0;
    if (!q || limit <= 0)
        return q ? DB_NONE : DB_HARD;
    *rows = calloc((size_t)limit, sizeof **rows);
    if (!*rows)
        return DB_HARD;
    sqlite3_bind_int64(q, 1, account_id);
    sqlite3_bind_int64(q, 2, after_id);
    sqlite3_bind_int(q, 3, limit);
    enum db_status r;
    while ((r = rc_status(c->db, sqlite3_step(q), "contacts page")) == DB_ONE && *n < (size_t)limit) {
        if (read_contact(q, &(*rows)[*n]) != TGR_OK) {
            r = DB_HARD;
            break;
        }
        (*n)++;
    }
    sqlite3_reset(q);
    if (r < 0) {
        for (size_t i = 0; i < *n; i++)
            contact_release(&(*rows)[i]);
        free(*rows);
        *rows = NULL;
        *n = 0;
        return r;
    }
    return *n ? DB_ONE : DB_NONE;
}

static enum db_status sq_inbound_add(struct store *st, int64_t account_id, int64_t contact_id, int64_t tg_message_id,
                                     const struct blob *text, int64_t date_ms)
{
    struct sq *s = SQ(st);
    enum db_status r = wbegin(s, 0);
    if (r < 0)
        return r;
    sqlite3_stmt *q = stmt(s->writer, S_INBOUND_INSERT);
    if (q) {
        sqlite3_bind_int64(q, 1, account_id);
        sqlite3_bind_int64(q, 2, contact_id);
        sqlite3_bind_int64(q, 3, tg_message_id);
        bind_blob(q, 4, text);
        sqlite3_bind_int64(q, 5, date_ms);
    }
    r = step_write(s, q, "inbound insert");
    if (r == DB_ONE) {
        q = stmt(s->writer, S_INBOUND_TOUCH);
        if (q) {
            sqlite3_bind_int64(q, 1, date_ms);
            sqlite3_bind_int64(q, 2, account_id);
            sqlite3_bind_int64(q, 3, contact_id);
        }
        enum db_status t = step_write(s, q, "contact inbound update");
        if (t < 0)
            r = t;
    }
    return wend(s, r);
}

static void sq_close(struct store *st)
{
    struct sq *s = SQ(st);
    if (!s)
        return;
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
    if (s->writer) {
        /* A clean close checkpoints the WAL into the main file. */
        sqlite3_exec(s->writer->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
        conn_close(s->writer);
    }
    pthread_mutex_destroy(&s->wlock);
    pthread_mutex_destroy(&s->rlock);
    free(s);
}

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
    pthread_mutex_init(&s->wlock, NULL);
    pthread_mutex_init(&s->rlock, NULL);
    pthread_key_create(&s->rkey, NULL);
    s->writer = conn_open(path, 1, err, errlen);
    if (!s->writer) {
        sq_close(&s->base);
        return NULL;
    }
    s->base.backend = "sqlite";
    s->base.close = sq_close;
    s->base.migrate = sq_migrate;
    s->base.ping = sq_ping;
    s->base.account_create = sq_account_create;
    s->base.account_by_email = sq_account_by_email;
    s->base.account_by_api_key = sq_account_by_api_key;
    s->base.account_get = sq_account_get;
    s->base.account_update = sq_account_update;
    s->base.account_set_webhook_secret = sq_account_set_webhook_secret;
    s->base.account_webhook_secret = sq_account_webhook_secret;
    s->base.txn = sq_txn;
    s->base.session_get = sq_session_get;
    s->base.session_put = sq_session_put;
    s->base.session_set_status = sq_session_set_status;
    s->base.session_delete = sq_session_delete;
    s->base.sessions_connected = sq_sessions_connected;
    s->base.contact_save = sq_contact_save;
    s->base.contact_by_tg_id = sq_contact_by_tg_id;
    s->base.contact_get = sq_contact_get;
    s->base.contacts_page = sq_contacts_page;
    s->base.inbound_add = sq_inbound_add;
    s->base.meta_get = sq_meta_get;
    s->base.meta_set = sq_meta_set;
    return &s->base;
}
