/* blobstore — where media bytes live, behind a small interface so that an S3-compatible
 * backend can be added later (scale-out issue). The local backend keeps files under
 * DATA/media/<account_id>/<sha256> (written to a temp file, fsync'd, renamed). Keys are opaque
 * strings chosen by the backend; the database stores them in media.storage_key. */
#ifndef TGR_BLOBSTORE_H
#define TGR_BLOBSTORE_H

#include <stddef.h>
#include <stdint.h>

struct blobstore {
    const char *backend; /* "local" */

    /* Store data for account under a key derived from its sha256 (idempotent: the same bytes
     * give the same key). @param key out, NUL-terminated. @return TGR_OK or TGR_ERR */
    int (*put)(struct blobstore *bs, int64_t account_id, const char *sha256, const void *data, size_t len,
               char *key, size_t keycap);

    /* Read a blob. @param[out] data malloc'd; caller frees. @return TGR_OK or TGR_ERR (missing) */
    int (*get)(struct blobstore *bs, const char *key, void **data, size_t *len);

    /* A local filesystem path for key, for the Telegram bridge to upload from (the S3 backend
     * will download to a cache file). @return TGR_OK or TGR_ERR */
    int (*local_path)(struct blobstore *bs, const char *key, char *path, size_t cap);

    int (*remove)(struct blobstore *bs, const char *key);
    void (*close)(struct blobstore *bs);
};

/* The local backend rooted at dir (created mode 0700 if missing). @return NULL with err set */
struct blobstore *blobstore_local_open(const char *dir, char *err, size_t errlen);

#endif
