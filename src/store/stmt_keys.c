/* stmt_keys — key rotation's reads and compare-and-set writes of every sealed column (store.h
 * STORE_SEALED_COLUMNS; the statements are SEALED_STMTS of sql.h), once for both backends. */
#include <stdlib.h>

#include "base/util.h"
#include "store/db.h"
#include "store/stmt.h"

/* The statements of each sealed column; meta's cursor is its text key, the others' an id. */
static const struct {
    enum stmt_id scan, set;
} sealed_stmts[SEALED__COUNT] = {
#define SEALED_PAIR(id, table, column) [id] = {S_SC_##id, S_SS_##id},
    STORE_SEALED_COLUMNS(SEALED_PAIR)
#undef SEALED_PAIR
};

static int read_sealed(void *cls, const struct db_row *r, void *elem)
{
    struct sealed_row *s = elem;
    db_copy(r, 0, s->cursor, sizeof s->cursor);
    db_copy(r, 1, s->row_key, sizeof s->row_key);
    return db_blob(r, 2, &s->value);
}

static void release_sealed(void *elem)
{
    sealed_row_release(elem);
}

/* The cursor as the statement's parameter: meta's key as text, else the row id. */
static struct sp cursor_param(enum store_sealed col, const char *cursor)
{
    return col == SEALED_META_VALUE ? SP_STR(cursor) : SP_I64(cursor[0] ? strtoll(cursor, NULL, 10) : 0);
}

enum db_status stmt_sealed_scan(struct store *st, enum store_sealed col, const char *after, int limit,
                                struct sealed_row **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    if ((unsigned)col >= SEALED__COUNT) return DB_HARD;
    return db_list(st, sealed_stmts[col].scan, P(cursor_param(col, after), SP_I64(limit)), sizeof **rows,
                   read_sealed, release_sealed, NULL, (void **)rows, n);
}

struct replace {
    enum store_sealed col;
    const struct sealed_row *rows;
    size_t n, done;
};

static enum db_status replace(struct store *st, void *cls)
{
    struct replace *p = cls;
    p->done = 0;
    /* meta's value is text (the base64url of the sealed bytes), the others' bytes */
    enum sp_kind kind = p->col == SEALED_META_VALUE ? SPK_TEXTN : SPK_BLOB;
    for (size_t i = 0; i < p->n; i++) {
        const struct sealed_row *w = &p->rows[i];
        if (!w->fresh.p) continue;
        enum db_status r =
            db_exec(st, sealed_stmts[p->col].set,
                    P(sp_bytes(kind, w->fresh.p, w->fresh.len), cursor_param(p->col, w->cursor),
                      sp_bytes(kind, w->value.p, w->value.len)));
        if (r < 0) return r;
        if (r == DB_ONE) p->done++;
    }
    return DB_ONE;
}

/* Durable: once `keys status` counts these rows as re-sealed, the old key may be deleted. */
enum db_status stmt_sealed_replace(struct store *st, enum store_sealed col, const struct sealed_row *rows,
                                   size_t n, size_t *replaced)
{
    *replaced = 0;
    if ((unsigned)col >= SEALED__COUNT) return DB_HARD;
    struct replace p = {col, rows, n, 0};
    enum db_status r = db_txn(st, TX_DURABLE, replace, &p);
    if (r >= 0) *replaced = p.done;
    return r < 0 ? r : DB_ONE;
}
