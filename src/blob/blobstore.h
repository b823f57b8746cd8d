/* blobstore — where media bytes live, behind a small interface with two backends: the local
 * one (blob/local.c, the default) keeps files under DATA/media/<account_id>/<sha256> (written to
 * a temp file, fsync'd, renamed); the S3 one (blob/s3.c) keeps objects in an S3-compatible
 * bucket, so that several instances share media. blobstore_open() picks one from the --media
 * URL. Keys are "<account_id>/<sha256>" in both; the database stores them in media.storage_key.
 * Layer: blob (above base and crypto; beside store, which it does not include; below core,
 * engine, http and main). */
#ifndef TGR_BLOBSTORE_H
#define TGR_BLOBSTORE_H

#include <stddef.h>
#include <stdint.h>

struct blobstore {
    const char *backend; /* "local" or "s3" */

    /* Store data for account under a key derived from its sha256 (idempotent: the same bytes
     * give the same key; a blob already stored is kept). sha256 is 64 lowercase hex digits and
     * must be the hash of data (checked). @param key out, NUL-terminated ("<account_id>/<sha256>"
     * for the local backend). @return TGR_OK or TGR_ERR (I/O failures are logged) */
    int (*put)(struct blobstore *bs, int64_t account_id, const char *sha256, const void *data, size_t len,
               char *key, size_t keycap);

    /* As put, for len bytes read from fd at offsets 0..len (pread: the file position is not
     * used), so that an upload spooled to a file is stored without being held in memory. */
    int (*put_fd)(struct blobstore *bs, int64_t account_id, const char *sha256, int fd, size_t len, char *key,
                  size_t keycap);

    /* Read a blob. @param[out] data malloc'd; caller frees.
     * @return TGR_OK, or TGR_ERR (missing: errno ENOENT; a malformed key: EINVAL) */
    int (*get)(struct blobstore *bs, const char *key, void **data, size_t *len);

    /* A local filesystem path for key, for the Telegram bridge to upload from (the S3 backend
     * downloads to a private cache file under DATA/media-cache/). The path is absolute.
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

/* Settings of the S3 backend. Every string is copied by blobstore_s3_open. */
struct blobstore_s3_config {
    const char *endpoint;   /* "http(s)://host[:port]", no path: objects are ENDPOINT/BUCKET/KEY */
    const char *region;     /* signing region, e.g. "us-east-1" */
    const char *bucket;     /* S3 bucket name rules: 3-63 of [a-z0-9.-] */
    const char *prefix;     /* "" or "a/b" (segments of [A-Za-z0-9._-]); objects are PREFIX/KEY */
    const char *access_key; /* never logged */
    const char *secret_key; /* never logged */
    const char *cache_dir;  /* local_path's cache (created 0700); DATA/media-cache */
    long timeout_ms;        /* one attempt's limit; 0 = the default (120 s) */
    int attempts;           /* tries of a transient failure (5xx, 429, network); 0 = the default (3) */
};

/* The S3 backend (path-style URLs, SigV4 through libcurl, the payload's sha256 signed). Opening
 * makes no request: a wrong key or an unreachable endpoint shows on the first put/get.
 * Keys are checked as by the local backend. Call from the main thread before other threads
 * use libcurl (it runs curl_global_init).
 * @return NULL with err set (errno EINVAL for a bad setting); release with close */
struct blobstore *blobstore_s3_open(const struct blobstore_s3_config *cfg, char *err, size_t errlen);

/* The backend a --media URL names: "local" (DATA/media) or "s3://BUCKET[/PREFIX]" with the
 * endpoint, region and keys from the environment (TGR_S3_ENDPOINT, TGR_S3_REGION — default
 * us-east-1 —, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or TGR_S3_ACCESS_KEY and
 * TGR_S3_SECRET_KEY, which win); the S3 cache is DATA/media-cache.
 * @return NULL with err set; errno is EINVAL when the URL or a setting is wrong or missing (a
 * usage error), another value when the store could not be opened (a directory, memory) */
struct blobstore *blobstore_open(const char *url, const char *data_dir, char *err, size_t errlen);

/* --- helpers shared by the backends (blob/blobstore.c) --- */

/* Where put's bytes come from: data when not NULL, else fd (read with pread from offset 0). */
struct blob_src {
    const void *data;
    int fd;
    size_t len;
};

/* Copy up to n bytes of src from offset off into buf. @return bytes copied (0 at the end), or
 * -1 with errno set; a file shorter than src->len reads as EIO */
long blob_src_read(const struct blob_src *src, size_t off, void *buf, size_t n);
/* The sha256 of all of src as 64 lowercase hex digits (a file is read in 64 KiB pieces).
 * @return TGR_OK, or TGR_ERR when the file cannot be read (errno set) */
int blob_src_sha256_hex(const struct blob_src *src, char out[65]);

/* True when key has the exact form "<account_id>/<64 lowercase hex>" (decimal id without
 * leading zeros, at most INT64_MAX) that put produces. */
int blobstore_key_valid(const char *key);
/* True when s is exactly 64 lowercase hex digits. */
int blobstore_sha256_valid(const char *s);
/* The sha256 of data as 64 lowercase hex digits and a NUL into out. */
void blobstore_sha256_hex(const void *data, size_t len, char out[65]);
/* write(2) all of p, retrying short writes and EINTR. @return 0, or -1 with errno set */
int blobstore_write_all(int fd, const void *p, size_t len);
/* mkdir -p with mode 0700 for the components that are missing. @return 0, or -1 with errno set */
int blobstore_mkdirs(const char *dir);

#endif
