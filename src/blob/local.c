/* blob/local — the local filesystem backend of blobstore.h.
 *
 * Layout: <root>/<account_id>/<sha256>, root and account directories mode 0700, files 0600.
 * The key is "<account_id>/<sha256>" (decimal id without leading zeros, 64 lowercase hex
 * digits), i.e. the path relative to root; every key given to get/local_path/remove must have
 * exactly that form, so a key can never name anything outside root ("..", "/etc/passwd", "5/x"
 * are all refused).
 *
 * put is crash-safe and idempotent: the bytes go to a temp file created with O_EXCL in the
 * account directory, are fsync'd, renamed over the final name, and the directory is fsync'd.
 * A file already present under the final name is kept (same name means same bytes); only one
 * whose size differs, which can only be damage, is replaced. put checks that sha256 really is
 * the hash of the data (while copying it), because the name is the promise that makes keeping
 * a file correct. put_fd copies from a file in 64 KiB pieces, so nothing is held whole.
 *
 * All paths are resolved against a descriptor of root opened once, and root is made absolute
 * so that local_path hands the bridge (another process, another working directory) a usable
 * path. */
#include "blob/blobstore.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "base/log.h"
#include "base/util.h"

/* Nothing we store comes near this; it only bounds get's allocation if a file is damaged. */
#define BLOB_READ_MAX ((off_t)1024 * 1024 * 1024)

#define SHA256_HEX 64

struct local {
    struct blobstore bs; /* first, so a struct blobstore * is a struct local * */
    char *root;          /* absolute */
    int rootfd;
};

static struct local *local_of(struct blobstore *bs)
{
    return (struct local *)bs;
}

/* Make <root>/<account> (mode 0700) if missing and return a descriptor of it, or -1. */
static int open_account_dir(struct local *l, const char *account)
{
    if (mkdirat(l->rootfd, account, 0700) != 0 && errno != EEXIST) return -1;
    return openat(l->rootfd, account, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Copy src into fd, hashing it on the way. @return TGR_OK when every byte was written and
 * the bytes hash to sha256, else TGR_ERR (errno set; EINVAL for a wrong hash) */
static int copy_checked(int fd, const struct blob_src *src, const char *sha256)
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[65536];
    for (size_t off = 0; off < src->len;) {
        const void *p = buf;
        long n;
        if (src->data) { /* no copy through buf for bytes already in memory */
            p = (const unsigned char *)src->data + off;
            n = (long)(src->len - off);
        } else if ((n = blob_src_read(src, off, buf, sizeof buf)) < 0) {
            return TGR_ERR;
        }
        crypto_hash_sha256_update(&st, p, (unsigned long long)n);
        if (blobstore_write_all(fd, p, (size_t)n) != 0) return TGR_ERR;
        off += (size_t)n;
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    char hex[SHA256_HEX + 1];
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    if (strcmp(hex, sha256) != 0) {
        errno = EINVAL;
        return TGR_ERR;
    }
    return TGR_OK;
}

static int local_store(struct blobstore *bs, int64_t account_id, const char *sha256,
                       const struct blob_src *src, char *key, size_t keycap)
{
    struct local *l = local_of(bs);
    size_t len = src->len;
    if (account_id < 0 || !sha256 || !blobstore_sha256_valid(sha256) ||
        (!src->data && src->fd < 0 && len > 0))
        return TGR_ERR;
    if (src->data) {
        /* Bytes in memory are checked before anything is created; a file's while it is copied. */
        char hex[SHA256_HEX + 1];
        blobstore_sha256_hex(src->data, len, hex);
        if (strcmp(hex, sha256) != 0) {
            log_error("blobstore", "put: sha256 does not match the data");
            return TGR_ERR;
        }
    }

    char account[24];
    snprintf(account, sizeof account, "%" PRId64, account_id);
    int n = snprintf(key, keycap, "%s/%s", account, sha256);
    if (n < 0 || (size_t)n >= keycap) return TGR_ERR;

    int dfd = open_account_dir(l, account);
    if (dfd < 0) {
        log_error("blobstore", "put: account directory %s: %s", account, strerror(errno));
        return TGR_ERR;
    }

    struct stat st;
    if (fstatat(dfd, sha256, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size == (uint64_t)len) {
        /* Same name, same size: the same bytes, if these are the bytes the name promises. */
        char hex[SHA256_HEX + 1];
        close(dfd);
        if (blob_src_sha256_hex(src, hex) != TGR_OK || strcmp(hex, sha256) != 0) {
            log_error("blobstore", "put: sha256 does not match the data");
            return TGR_ERR;
        }
        return TGR_OK;
    }

    unsigned char rnd[8];
    char rndhex[sizeof rnd * 2 + 1];
    char tmp[SHA256_HEX + 32];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(rndhex, sizeof rndhex, rnd, sizeof rnd);
    snprintf(tmp, sizeof tmp, ".tmp-%s-%s", sha256, rndhex);

    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_error("blobstore", "put: create %s/%s: %s", account, tmp, strerror(errno));
        close(dfd);
        return TGR_ERR;
    }
    int ok = fchmod(fd, 0600) == 0 && copy_checked(fd, src, sha256) == TGR_OK && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        saved = errno;
    }
    if (ok && renameat(dfd, tmp, dfd, sha256) != 0) {
        ok = 0;
        saved = errno;
    }
    if (!ok) {
        if (saved == EINVAL)
            log_error("blobstore", "put: sha256 does not match the data");
        else
            log_error("blobstore", "put: write %s/%s: %s", account, sha256, strerror(saved));
        unlinkat(dfd, tmp, 0);
        close(dfd);
        return TGR_ERR;
    }
    /* The rename is durable only once the directory entry is. */
    if (fsync(dfd) != 0) {
        log_error("blobstore", "put: fsync directory %s: %s", account, strerror(errno));
        close(dfd);
        return TGR_ERR;
    }
    close(dfd);
    return TGR_OK;
}

static int local_put(struct blobstore *bs, int64_t account_id, const char *sha256, const void *data,
                     size_t len, char *key, size_t keycap)
{
    if (!data && len > 0) return TGR_ERR;
    struct blob_src src = {data ? data : "", -1, len};
    return local_store(bs, account_id, sha256, &src, key, keycap);
}

static int local_put_fd(struct blobstore *bs, int64_t account_id, const char *sha256, int fd, size_t len,
                        char *key, size_t keycap)
{
    struct blob_src src = {NULL, fd, len};
    return local_store(bs, account_id, sha256, &src, key, keycap);
}

static int local_get(struct blobstore *bs, const char *key, void **data, size_t *len)
{
    struct local *l = local_of(bs);
    *data = NULL;
    *len = 0;
    if (!blobstore_key_valid(key)) {
        errno = EINVAL;
        return TGR_ERR;
    }
    int fd = openat(l->rootfd, key, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return TGR_ERR;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > BLOB_READ_MAX) {
        close(fd);
        errno = EIO;
        return TGR_ERR;
    }
    size_t size = (size_t)st.st_size;
    unsigned char *buf = malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return TGR_ERR;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    if (got != size) {
        free(buf);
        errno = EIO;
        return TGR_ERR;
    }
    *data = buf;
    *len = size;
    return TGR_OK;
}

static int local_local_path(struct blobstore *bs, const char *key, char *path, size_t cap)
{
    struct local *l = local_of(bs);
    if (!blobstore_key_valid(key)) {
        errno = EINVAL;
        return TGR_ERR;
    }
    struct stat st;
    if (fstatat(l->rootfd, key, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) return TGR_ERR;
    int n = snprintf(path, cap, "%s/%s", l->root, key);
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return TGR_ERR;
    }
    return TGR_OK;
}

static int local_remove(struct blobstore *bs, const char *key)
{
    struct local *l = local_of(bs);
    if (!blobstore_key_valid(key)) {
        errno = EINVAL;
        return TGR_ERR;
    }
    if (unlinkat(l->rootfd, key, 0) != 0 && errno != ENOENT) return TGR_ERR;
    return TGR_OK;
}

static void local_close(struct blobstore *bs)
{
    if (!bs) return;
    struct local *l = local_of(bs);
    if (l->rootfd >= 0) close(l->rootfd);
    free(l->root);
    free(l);
}

struct blobstore *blobstore_local_open(const char *dir, char *err, size_t errlen)
{
    if (!dir || !*dir) {
        snprintf(err, errlen, "blobstore: empty directory");
        return NULL;
    }
    if (sodium_init() < 0) {
        snprintf(err, errlen, "blobstore: libsodium failed to initialise");
        return NULL;
    }
    if (blobstore_mkdirs(dir) != 0) {
        snprintf(err, errlen, "blobstore: create %s: %s", dir, strerror(errno));
        return NULL;
    }
    struct local *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "blobstore: out of memory");
        return NULL;
    }
    l->rootfd = -1;
    l->root = realpath(dir, NULL);
    if (!l->root) {
        snprintf(err, errlen, "blobstore: resolve %s: %s", dir, strerror(errno));
        local_close(&l->bs);
        return NULL;
    }
    l->rootfd = open(l->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (l->rootfd < 0) {
        snprintf(err, errlen, "blobstore: open %s: %s", l->root, strerror(errno));
        local_close(&l->bs);
        return NULL;
    }
    l->bs.backend = "local";
    l->bs.put = local_put;
    l->bs.put_fd = local_put_fd;
    l->bs.get = local_get;
    l->bs.local_path = local_local_path;
    l->bs.remove = local_remove;
    l->bs.close = local_close;
    return &l->bs;
}
