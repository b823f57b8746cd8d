/* backup — consistent online copies of the SQLite database for `tgr backup` and `tgr restore`
 * (issue 9). PostgreSQL deployments use pg_dump (README "Backup"); these functions are SQLite's.
 *
 * A backup is a plain SQLite file: the database as one read transaction saw it (SQLite's backup
 * API over a WAL database does not stop the running server's writers). It holds the sealed
 * values as they are: without the master key it reveals nothing personal, and with it alone one
 * can restore — keep the two apart. */
#ifndef TGR_BACKUP_H
#define TGR_BACKUP_H

#include <stddef.h>
#include <stdint.h>

/* Copy the database at db_path to dest (written as dest.tmp, fsync'd, renamed; mode 0600).
 * @param[out] bytes the size of the copy
 * @return TGR_OK, or TGR_ERR with a one-line reason in err */
int sqlite_backup(const char *db_path, const char *dest, int64_t *bytes, char *err, size_t errlen);

/* Check that file is a tgr SQLite database that passes SQLite's integrity check.
 * @param[out] version its newest migration
 * @return TGR_OK, or TGR_ERR with a one-line reason in err */
int sqlite_backup_check(const char *file, int *version, char *err, size_t errlen);

/* One sealed value of the database at file, to check a master key against: the first stored
 * Telegram session, else the first contact's first name. table/column/row_key are what it was
 * sealed for. @param[out] ct malloc'd (caller frees); NULL when the database holds none.
 * @return TGR_OK, or TGR_ERR (unreadable) */
int sqlite_backup_probe(const char *file, char *table, char *column, char *row_key, size_t cap,
                        unsigned char **ct, size_t *ctlen);

#endif
