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
     * give the same key; a blob already stored is kept). sha256 is 64 lowercase hex digits and
     * must be the hash of data (checked). @param key out, NUL-terminated ("<account_id>/<sha256>"
     * for the local backend). @return TGR_OK or TGR_ERR (I/O failures are logged) */
    int (*put)(struct blobstore *bs, int64_t account_id, const char *sha256, const void *data, size_t len,
               char *key, size_t keycap);

    /* Read a blob. @param[out] data malloc'd; caller frees.
     * @return TGR_OK, or TGR_ERR (missing: errno ENOENT; a malformed key: EINVAL) */
    int (*get)(struct blobstore *bs, const char *key, void **data, size_t *len);

    /* A local filesystem path for key, for the Telegram bridge to upload from (the S3 backend
     * will download to a cache file). The path is absolute.
     * @return TGR_OK, or TGR_ERR (malformed key, blob missing, or cap too small) */
    int (*local_path)(struct blobstore *bs, const char *key, char *path, size_t cap);

    /* Delete a blob. @return TGR_OK (also when it was already gone), or TGR_ERR (malformed key,
     * I/O error) */
    int (*remove)(struct blobstore *bs, const char *key);
    /* Free the store and everything it holds. */
    void (*close)(struct blobstore *bs);
};

/* The local backend rooted at dir (created mode 0700 if missing, with any missing parents).
 * Keys given to get/local_path/remove must be exactly "<account_id>/<64 lowercase hex>"; anything
 * else ("..", absolute paths, ...) is refused. @return NULL with err set; release with close */
struct blobstore *blobstore_local_open(const char *dir, char *err, size_t errlen);

#endif
