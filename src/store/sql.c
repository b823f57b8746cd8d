/* sql — the statement table of sql.h as arrays, and SQLite's text derived from PostgreSQL's. */
#include "store/sql.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name, *pg, *sqlite; /* sqlite: NULL = derived from pg */
} stmts[S__COUNT] = {
#define SQL_X(id, sql)        [id] = {#id, sql, NULL},
#define SQL_Y(id, pg, sqlite) [id] = {#id, pg, sqlite},
    STMTS(SQL_X, SQL_Y)
#undef SQL_X
#undef SQL_Y
};

const char *sql_name(enum stmt_id id)
{
    return stmts[id].name;
}

const char *sql_pg(enum stmt_id id)
{
    return stmts[id].pg;
}

/* Copy sql, turning $n into ?n and dropping ::type casts outside quoted literals. */
char *sql_sqlite(enum stmt_id id)
{
    const char *s = stmts[id].sqlite ? stmts[id].sqlite : stmts[id].pg;
    char *out = malloc(strlen(s) + 1), *o = out;
    if (!out) return NULL;
    int quoted = 0;
    while (*s) {
        if (*s == '\'') quoted = !quoted;
        if (!quoted && *s == '$' && isdigit((unsigned char)s[1])) {
            *o++ = '?';
            s++;
        } else if (!quoted && s[0] == ':' && s[1] == ':') {
            s += 2;
            while (isalnum((unsigned char)*s) || *s == '_' || *s == '[' || *s == ']')
                s++;
        } else {
            *o++ = *s++;
        }
    }
    *o = 0;
    return out;
}
