/* backup — `tgr backup` / `tgr restore` for the SQLite backend; see store/backup.h. */
#include "store/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

static int fail(char *err, size_t errlen, sqlite3 *db, const char *what)
{
    snprintf(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
    return TGR_ERR;
}

static int fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return TGR_ERR;
    int rc = fsync(fd) == 0 ? TGR_OK : TGR_ERR;
    close(fd);
    return rc;
}

int sqlite_backup(const char *db_path, const char *dest, int64_t *bytes, char *err, size_t errlen)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", dest) >= (int)sizeof tmp) {
        snprintf(err, errlen, "the backup file name is too long");
        return TGR_ERR;
    }
    unlink(tmp);
    sqlite3 *src = NULL, *dst = NULL;
    int rc = TGR_ERR;
    if (sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fail(err, errlen, src, "cannot open the database");
        goto out;
    }
    sqlite3_busy_timeout(src, 10000);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600); /* private before a byte lands */
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    close(fd);
    if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fail(err, errlen, dst, "cannot write the backup");
        goto out;
    }
    /* One step copies every page inside one read transaction: a consistent snapshot, while the
     * server's writers go on (WAL). */
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) {
        fail(err, errlen, dst, "cannot start the backup");
        goto out;
    }
    int s;
    while ((s = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || s == SQLITE_LOCKED)
        sqlite3_sleep(50);
    sqlite3_backup_finish(b);
    if (s != SQLITE_DONE) {
        fail(err, errlen, dst, "the backup failed");
        goto out;
    }
    /* The copy is a self-contained file: no WAL beside it. */
    if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK) {
        fail(err, errlen, dst, "cannot finish the backup");
        goto out;
    }
    sqlite3_close(dst);
    dst = NULL;
    struct stat st;
    if (fsync_path(tmp) != TGR_OK || stat(tmp, &st) != 0 || rename(tmp, dest) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", dest, strerror(errno));
        goto out;
    }
    *bytes = (int64_t)st.st_size;
    rc = TGR_OK;
out:
    if (dst) sqlite3_close(dst);
    if (src) sqlite3_close(src);
    if (rc != TGR_OK) unlink(tmp);
    return rc;
}

int sqlite_backup_check(const char *file, int *version, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    int rc = TGR_ERR;
    *version = 0;
    if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fail(err, errlen, db, "cannot open the backup");
        goto out;
    }
    if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", -1, &q, NULL) !=
            SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW) {
        snprintf(err, errlen, "%s is not a tgr database backup", file);
        goto out;
    }
    *version = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    q = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(q, 0), "ok") != 0) {
        snprintf(err, errlen, "%s fails SQLite's integrity check: the copy is damaged", file);
        goto out;
    }
    rc = TGR_OK;
out:
    sqlite3_finalize(q);
    if (db) sqlite3_close(db);
    return rc;
}

int sqlite_backup_probe(const char *file, char *table, char *column, char *row_key, size_t cap,
                        unsigned char **ct, size_t *ctlen)
{
    static const struct {
        const char *table, *column, *sql;
    } probes[] = {
        {"telegram_sessions", "encrypted_session_data",
         "SELECT account_id, encrypted_session_data FROM telegram_sessions "
         "WHERE encrypted_session_data IS NOT NULL LIMIT 1"},
        {"contacts", "first_name",
         "SELECT account_id || ':' || tg_user_id, first_name FROM contacts WHERE first_name IS NOT NULL "
         "LIMIT 1"},
    };
    sqlite3 *db = NULL;
    *ct = NULL;
    *ctlen = 0;
    if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return TGR_ERR;
    }
    int rc = TGR_OK;
    for (size_t i = 0; i < sizeof probes / sizeof probes[0] && !*ct; i++) {
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(db, probes[i].sql, -1, &q, NULL) != SQLITE_OK) {
            rc = TGR_ERR;
            break;
        }
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 1) > 0) {
            size_t n = (size_t)sqlite3_column_bytes(q, 1);
            *ct = malloc(n);
            if (*ct) {
                memcpy(*ct, sqlite3_column_blob(q, 1), n);
                *ctlen = n;
                snprintf(table, cap, "%s", probes[i].table);
                snprintf(column, cap, "%s", probes[i].column);
                snprintf(row_key, cap, "%s", (const char *)sqlite3_column_text(q, 0));
            }
        }
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return rc;
}
