/* store — the storage interface (DESIGN §2, STYLE §7).
 *
 * struct store is a table of function pointers filled by a backend (store_sqlite.c today,
 * store_pg.c for scale-out). Handlers and the engine only ever call these; no SQL and no
 * backend type leaks out of this header. Every function over tenant data takes account_id and
 * filters on it, so a row of another account is simply not found.
 *
 * Results (STYLE §6): DB_ONE a row was found / written; DB_NONE nothing matched (for inserts:
 * nothing written because the row exists); DB_SOFT a transient conflict (busy, serialization) —
 * retry; DB_HARD a failure that retrying will not fix (logged by the backend, never shown). */
#ifndef TGR_STORE_H
#define TGR_STORE_H

#include <stddef.h>
#include <stdint.h>

enum db_status { DB_HARD = -2, DB_SOFT = -1, DB_NONE = 0, DB_ONE = 1 };

#define STORE_EMAIL_MAX 254
#define STORE_HASH_MAX 128

struct account {
    int64_t id;
    char email[STORE_EMAIL_MAX + 1];
    char plan_type[32];
    char password_hash[STORE_HASH_MAX];
    char timezone[64];
    int frequency_cap_days;
    int webhook_secret_set;
    int64_t created_at; /* unix ms */
};

struct store {
    const char *backend; /* "sqlite" or "postgres" */

    /* Close every connection; in-flight calls must have returned. Frees the store. */
    void (*close)(struct store *st);

    /* Apply every embedded migration newer than the database's version, each in its own
     * transaction. Safe to run from several processes at once.
     * @param[out] applied how many were applied now (may be NULL) */
    enum db_status (*migrate)(struct store *st, int *applied);

    /* Cheap liveness check for /healthz. */
    enum db_status (*ping)(struct store *st);

    /* Create an account. a->email (lowercased), a->password_hash, a->plan_type are read;
     * api_key_hash is the keyed hash of the new API key. Durable (synchronous=FULL).
     * @param[out] id the new account id on DB_ONE
     * @return DB_ONE, DB_NONE if the email is taken, DB_SOFT, DB_HARD */
    enum db_status (*account_create)(struct store *st, const struct account *a, const char *api_key_hash,
                                     int64_t *id);
    enum db_status (*account_by_email)(struct store *st, const char *email, struct account *out);
    enum db_status (*account_by_api_key)(struct store *st, const char *api_key_hash, struct account *out);
    enum db_status (*account_get)(struct store *st, int64_t id, struct account *out);
    /* Update timezone and frequency cap (both always written). */
    enum db_status (*account_update)(struct store *st, int64_t id, const char *timezone, int frequency_cap_days);
    /* Replace the sealed webhook secret. */
    enum db_status (*account_set_webhook_secret)(struct store *st, int64_t id, const unsigned char *sealed,
                                                 size_t len);
    /* The sealed webhook secret. @param[out] out malloc'd; caller frees. */
    enum db_status (*account_webhook_secret)(struct store *st, int64_t id, unsigned char **out, size_t *len);

    /* Instance-wide settings (not tenant data): small key → value strings. */
    enum db_status (*meta_get)(struct store *st, const char *key, char *out, size_t cap);
    enum db_status (*meta_set)(struct store *st, const char *key, const char *value);
};

/* Open the store named by url: "sqlite:PATH" (relative paths are taken from the current
 * directory) or "postgres://…". An empty url means sqlite:DATA_DIR/tgr.db.
 * @param err one line on failure (no secrets, no SQL)
 * @return the store, or NULL */
struct store *store_open(const char *url, const char *data_dir, char *err, size_t errlen);

/* The SQLite backend; store_open picks it. */
struct store *store_sqlite_open(const char *path, char *err, size_t errlen);

#endif
