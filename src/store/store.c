/* store — picks the backend named by a database URL; see store.h. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

struct store *store_open(const char *url, const char *data_dir, char *err, size_t errlen)
{
    char path[4096];
    if (!url || !*url) {
        if (snprintf(path, sizeof path, "%s/tgr.db", data_dir) >= (int)sizeof path) {
            snprintf(err, errlen, "data directory path too long");
            return NULL;
        }
        return store_sqlite_open(path, err, errlen);
    }
    if (strncmp(url, "sqlite:", 7) == 0 && url[7])
        return store_sqlite_open(url + 7, err, errlen);
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        snprintf(err, errlen, "the PostgreSQL backend is not built yet; use sqlite:PATH");
        return NULL;
    }
    snprintf(err, errlen, "--db must be sqlite:PATH or postgres://…");
    return NULL;
}
