/* db — the statement runner both storage backends share (issue 14 item 2; modelled on GNU
 * Taler's exchangedb: one function per statement over GNUNET_PQ_eval_prepared_*).
 *
 * Every struct store function is written once, in store/stmt_*.c, against this header: it
 * names a statement of the one table (sql.h), passes its parameters as a typed array
 * (P(SP_I64(id), SP_STR(name))), and reads what comes back with a reader callback or one of the
 * shapes below (one row, one value, a malloc'd array). A backend (store/sqlite/,
 * store/pg/) keeps its connections and transactions and fills struct db_ops: run a statement,
 * run a function in a transaction, read a column. Nothing here knows a backend's types.
 *
 * Transactions: db_txn runs fn in one write transaction; store calls fn makes on the same
 * thread join it (so a function of a few statements is one write), and reads inside it see its
 * writes. fn returning < 0 rolls everything back. The backend may run fn again after a conflict
 * (PostgreSQL's serialization failures), so fn must be safe to repeat and must leave its
 * outputs set on its last run. A write outside any transaction is a bug: the SQLite backend's
 * readers are read-only connections. */
#ifndef TGR_STORE_DB_H
#define TGR_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

#include "store/sql.h"
#include "store/store.h"

/* ---- parameters ---------------------------------------------------------------------------- */

enum sp_kind { SPK_END, SPK_NULL, SPK_I64, SPK_STR, SPK_BLOB, SPK_TEXTN };

/* One parameter: $1 is the array's first. Texts and bytes are borrowed until the call returns. */
struct sp {
    enum sp_kind kind;
    int64_t i;
    const void *p; /* SPK_STR: NUL-terminated; SPK_BLOB, SPK_TEXTN: n bytes */
    size_t n;
};

static inline struct sp sp_str(const char *s, int empty_is_null)
{
    return (struct sp){.kind = !s || (empty_is_null && !*s) ? SPK_NULL : SPK_STR, .p = s};
}
static inline struct sp sp_bytes(enum sp_kind kind, const void *p, size_t n)
{
    return (struct sp){.kind = p ? kind : SPK_NULL, .p = p, .n = n};
}

#define SP_END         ((struct sp){.kind = SPK_END})
#define SP_NULL        ((struct sp){.kind = SPK_NULL})
#define SP_I64(x)      ((struct sp){.kind = SPK_I64, .i = (x)})
#define SP_ID(x)       sp_id(x)                      /* an id, SQL NULL when 0 */
#define SP_STR(s)      sp_str((s), 0)                /* a text, SQL NULL when NULL */
#define SP_OPT(s)      sp_str((s), 1)                /* a text, SQL NULL when NULL or "" */
#define SP_BLOB(p, n)  sp_bytes(SPK_BLOB, (p), (n))  /* bytes (BLOB, BYTEA), SQL NULL when p is NULL */
#define SP_SEALED(b)   sp_sealed(b)                  /* a struct blob *, SQL NULL when NULL or empty */
#define SP_TEXTN(p, n) sp_bytes(SPK_TEXTN, (p), (n)) /* a text of n bytes without a NUL */
/* The parameter array of one call, ended by SP_END. */
#define P(...) ((const struct sp[]){__VA_ARGS__, SP_END})

static inline struct sp sp_id(int64_t v)
{
    return v ? SP_I64(v) : SP_NULL;
}
static inline struct sp sp_sealed(const struct blob *b)
{
    return b && b->p ? SP_BLOB(b->p, b->len) : SP_NULL;
}

/* ---- rows ---------------------------------------------------------------------------------- */

struct db_ops;

/* The current row of a running statement; valid only inside the reader it is passed to. */
struct db_row {
    const struct db_ops *ops;
    void *h; /* the backend's statement or result */
    int i;   /* the row's index in it */
};

/* Called for each row: 0 goes on, > 0 stops (not a failure), < 0 is a failure (DB_HARD). A
 * reader may run other statements, except while it reads the rows of a RETURNING statement
 * (SQLite computes those before its changes are final: collect, then write). */
typedef int (*db_reader)(void *cls, const struct db_row *r);

int64_t db_i64(const struct db_row *r, int col);     /* 0 when NULL */
const char *db_str(const struct db_row *r, int col); /* "" when NULL */
int db_isnull(const struct db_row *r, int col);
/* The bytes of a column, borrowed from the row (NULL when SQL NULL). */
const void *db_bytes(const struct db_row *r, int col, size_t *n);
/* Copy a text column into dst (truncated to cap). */
void db_copy(const struct db_row *r, int col, char *dst, size_t cap);
/* A malloc'd copy of a text column, NULL when SQL NULL (or out of memory). */
char *db_dup(const struct db_row *r, int col);
/* A malloc'd copy of a byte column (empty when NULL). @return TGR_OK or TGR_ERR */
int db_blob(const struct db_row *r, int col, struct blob *b);

/* ---- the backend ----------------------------------------------------------------------------- */

struct db_ops {
    /* Run statement id with p on this thread's connection (the transaction's, inside one), calling
     * row(cls, r) for each row until it returns non-zero (row may be NULL).
     * @param[out] changed rows the statement wrote (may be NULL)
     * @return DB_ONE (a row returned or written), DB_NONE, DB_SOFT, DB_HARD */
    enum db_status (*run)(struct store *st, enum stmt_id id, const struct sp *p, db_reader row, void *cls,
                          int64_t *changed);
    /* Run fn in a write transaction of kind (store.h enum db_tx). retry_soft: run fn again
     * when it returns DB_SOFT (store->txn's contract); else only after the backend's own
     * conflicts. @return what fn returned, or the commit's failure */
    enum db_status (*txn)(struct store *st, enum db_tx kind, int retry_soft,
                          enum db_status (*fn)(struct store *st, void *cls), void *cls);
    /* Run fn inside one read snapshot (store->read); NULL: fn runs as it is. */
    enum db_status (*read)(struct store *st, enum db_status (*fn)(struct store *st, void *cls), void *cls);
    /* Run SQL text of several statements without parameters (migrations) in the transaction. */
    enum db_status (*script)(struct store *st, const char *sql);
    int (*col_null)(const struct db_row *r, int col);
    int64_t (*col_i64)(const struct db_row *r, int col);
    const char *(*col_text)(const struct db_row *r, int col); /* NULL when SQL NULL */
    const void *(*col_bytes)(const struct db_row *r, int col, size_t *n);
    /* Rows per statement of a long scan (its LIMIT), so that PostgreSQL never holds a large
     * audience in one result; -1 (SQLite: no limit) reads it with one statement, whose cursor
     * steps through the rows as they are read. */
    int64_t scan_page;
    /* How many rows written together go (the group commit's claims and outcomes): 1, one
     * statement over a JSON array of them (PostgreSQL: each statement is a round trip); 0, the
     * single row's statement once per row (SQLite: in-process statements cost less than its
     * JSON functions, which parse every row's object again for each column; DECISIONS 94). */
    int row_sets;
    const char *const *migrations; /* NULL-terminated: element i is migration i+1 */
    const char *migrate_first;     /* run before each migration's version check */
};

/* What every backend instance starts with. */
struct db {
    struct store base; /* first: a struct store * is a struct db * */
    const struct db_ops *ops;
    int64_t queued_commits; /* db_queued_commits; atomic */
    /* db_on_queued's function and argument, under db.c's lock */
    void (*on_queued)(void *arg);
    void *on_queued_arg;
};

/* This thread's transaction made webhook deliveries claimable (stmt_webhooks.c): when its outermost
 * transaction commits, the store's count of such commits moves. */
void db_note_queued(void);
/* How many such commits this process has made (the dispatcher reads the outbox when it moves). */
int64_t db_queued_commits(struct store *st);
/* Call fn(arg) after each such commit, in the committing thread, once the count has moved (NULL:
 * stop). fn must not write to the store; it runs under a lock that db_on_queued also takes, so
 * once db_on_queued(st, NULL, NULL) returns, fn is not running and will not run again. */
void db_on_queued(struct store *st, void (*fn)(void *arg), void *arg);

/* ---- running statements --------------------------------------------------------------------- */

/* Run a statement; its rows, if any, are not read. @return DB_ONE when it returned or wrote a row */
enum db_status db_exec(struct store *st, enum stmt_id id, const struct sp *p);
/* The same, with the number of rows written. */
enum db_status db_changes(struct store *st, enum stmt_id id, const struct sp *p, int64_t *n);
/* Run a statement, calling fn for each row. @return DB_ONE (rows), DB_NONE (none), DB_SOFT, DB_HARD */
enum db_status db_rows(struct store *st, enum stmt_id id, const struct sp *p, db_reader fn, void *cls);
/* The first row's first n integer columns (zeros when there is no row). */
enum db_status db_ints(struct store *st, enum stmt_id id, const struct sp *p, int64_t *out, int n);
/* The first row's first column as text (out untouched when there is no row). */
enum db_status db_text(struct store *st, enum stmt_id id, const struct sp *p, char *out, size_t cap);
/* The first row's first column as a malloc'd blob (empty when there is no row or it is NULL). */
enum db_status db_one_blob(struct store *st, enum stmt_id id, const struct sp *p, struct blob *out);
/* The first row into out, a size-byte struct, with a reader of db_list's kind (below); out is
 * zeroed before it is read, and left alone when there is no row. */
enum db_status db_one(struct store *st, enum stmt_id id, const struct sp *p, size_t size,
                      int (*read)(void *cls, const struct db_row *r, void *elem), void (*release)(void *elem),
                      void *cls, void *out);
/* Every row into a malloc'd array of size-byte elements: read(cls, r, elem) fills one (zeroed
 * first) and leaves a failed one releasable; on failure every element read is released with
 * release (may be NULL) and nothing is returned.
 * @param[out] rows malloc'd, *n elements @return DB_ONE, DB_NONE (no rows), DB_SOFT, DB_HARD */
enum db_status db_list(struct store *st, enum stmt_id id, const struct sp *p, size_t size,
                       int (*read)(void *cls, const struct db_row *r, void *elem),
                       void (*release)(void *elem), void *cls, void **rows, size_t *n);
/* The first column of every row as a malloc'd array of ids. */
enum db_status db_ids(struct store *st, enum stmt_id id, const struct sp *p, int64_t **ids, size_t *n);
/* A caller's callback and its closure, for reads that report row by row: the reader casts fn
 * back to the callback's own type. */
struct db_report {
    void (*fn)(void);
    void *cls;
};
/* Run a read whose rows reader hands to fn. @return DB_ONE (rows or none), DB_SOFT, DB_HARD */
enum db_status db_report(struct store *st, enum stmt_id id, const struct sp *p, db_reader reader,
                         void (*fn)(void), void *cls);
/* The reader of callbacks fn(cls, int64_t, int64_t, int64_t) of the first three columns. */
int db_report_3ints(void *cls, const struct db_row *r);
/* Run fn in a write transaction of kind; see the header comment. */
enum db_status db_txn(struct store *st, enum db_tx kind, enum db_status (*fn)(struct store *st, void *cls),
                      void *cls);
/* Run one statement in a write transaction of its own (or the one this thread is in). */
enum db_status db_write(struct store *st, enum db_tx kind, enum stmt_id id, const struct sp *p);
/* The same, reading the first row's first n integer columns (an INSERT's RETURNING id). */
enum db_status db_write_ints(struct store *st, enum db_tx kind, enum stmt_id id, const struct sp *p,
                             int64_t *out, int n);

#endif
