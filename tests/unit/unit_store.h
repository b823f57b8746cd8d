/* unit_store — the store under test for unit tests that run on both backends: SQLite in a
 * directory by default, PostgreSQL when TGR_TEST_PG names a server (a postgres:// URL of a user
 * that may create databases, or a file holding one, as scripts/pg.sh writes); each opening then
 * gets a database of its own, dropped by unit_store_drop. Header-only: each test is one file. */
#ifndef TGR_UNIT_STORE_H
#define TGR_UNIT_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "store/store.h"

/* The PostgreSQL server of TGR_TEST_PG (the URL, or the file's first line); "" for SQLite. */
static inline const char *pg_admin_url(void)
{
    static char url[512];
    const char *v = getenv("TGR_TEST_PG");
    if (!v || !*v) return "";
    if (strncmp(v, "postgres", 8) == 0) return v;
    FILE *f = fopen(v, "r");
    if (!f || !fgets(url, sizeof url, f)) url[0] = 0;
    if (f) fclose(f);
    url[strcspn(url, "\r\n")] = 0;
    return url;
}

/* Run one statement on the admin database; 0 on success. */
static inline int pg_admin(const char *sql)
{
    PGconn *c = PQconnectdb(pg_admin_url());
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

/* Open the store under test: SQLite in dir, or a new PostgreSQL database whose name goes to db
 * and URL to url (both "" on SQLite; open the same one again with store_open(url, dir, …)). */
static inline struct store *unit_store_open(const char *dir, char *db, size_t dbcap, char *url, size_t urlcap)
{
    char err[256];
    const char *admin = pg_admin_url();
    struct store *st;
    db[0] = url[0] = 0;
    if (!*admin) {
        st = store_open(NULL, dir, err, sizeof err);
    } else {
        static int seq;
        snprintf(db, dbcap, "tgr_unit_%d_%d", (int)getpid(), ++seq);
        char sql[128];
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
        if (pg_admin(sql) != 0) return NULL;
        const char *slash = strrchr(admin, '/');
        snprintf(url, urlcap, "%.*s/%s", (int)(slash - admin), admin, db);
        st = store_open(url, dir, err, sizeof err);
    }
    if (!st) fprintf(stderr, "store_open: %s\n", err);
    return st;
}

/* Drop the PostgreSQL database of unit_store_open (nothing on SQLite). 0 on success. */
static inline int unit_store_drop(const char *db)
{
    if (!db[0]) return 0;
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", db);
    return pg_admin(sql);
}

/* Close the store under test, drop its database and remove dir. @return 0, or -1 */
static inline int unit_store_close(struct store *st, const char *db, const char *dir)
{
    st->close(st);
    if (unit_store_drop(db) != 0) return -1;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
