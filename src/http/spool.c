/* spool — upload bodies to an anonymous file as they arrive; see spool.h. */
#include "http/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "http/multipart.h"
#include "blob/blobstore.h"

struct spool {
    int fd;
    uint64_t size;
    crypto_hash_sha256_state sha;
    char sha256[65];
    enum spool_status st;
    int multipart;
    struct multipart_stream mp; /* when multipart */
    char err[200];
};

/* An anonymous file in dir: O_TMPFILE, or mkstemp + unlink. @return fd or -1 (errno set) */
static int anonymous_file(const char *dir)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)) return fd;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/upload-XXXXXX", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0) unlink(path);
    return fd;
}

/* Bytes that belong to the kept body: to the file and the hash. */
static int keep(void *ctx, const void *p, size_t n)
{
    struct spool *s = ctx;
    if (blobstore_write_all(s->fd, p, n) != 0) {
        snprintf(s->err, sizeof s->err, "cannot write the upload: %s", strerror(errno));
        s->st = SPOOL_IO;
        return -1;
    }
    crypto_hash_sha256_update(&s->sha, p, (unsigned long long)n);
    s->size += n;
    return 0;
}

struct spool *spool_new(const char *dir, const char *content_type, const char *field, enum spool_status *st,
                        char *err, size_t errlen)
{
    struct spool *s = calloc(1, sizeof *s);
    if (!s) {
        *st = SPOOL_IO;
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    crypto_hash_sha256_init(&s->sha);
    if (content_type && strncasecmp(content_type, "multipart/form-data", 19) == 0) {
        char boundary[80];
        s->multipart = 1;
        if (multipart_boundary(content_type, boundary, sizeof boundary) != TGR_OK ||
            multipart_stream_init(&s->mp, boundary, field, keep, s) != TGR_OK) {
            *st = SPOOL_CLIENT;
            snprintf(err, errlen, "the multipart Content-Type has no usable boundary");
            free(s);
            return NULL;
        }
    }
    if (blobstore_mkdirs(dir) != 0 || (s->fd = anonymous_file(dir)) < 0) {
        *st = SPOOL_IO;
        snprintf(err, errlen, "cannot create a file for the upload in %s: %s", dir, strerror(errno));
        free(s);
        return NULL;
    }
    *st = SPOOL_OK;
    return s;
}

enum spool_status spool_write(struct spool *s, const void *p, size_t n)
{
    if (s->st != SPOOL_OK || n == 0) return s->st;
    if (!s->multipart) {
        keep(s, p, n);
        return s->st;
    }
    if (multipart_stream_feed(&s->mp, p, n) != TGR_OK && s->st == SPOOL_OK) {
        s->st = SPOOL_CLIENT;
        snprintf(s->err, sizeof s->err, "%s", s->mp.err);
    }
    return s->st;
}

enum spool_status spool_finish(struct spool *s)
{
    if (s->st != SPOOL_OK) return s->st;
    if (s->multipart && multipart_stream_finish(&s->mp) != TGR_OK) {
        s->st = SPOOL_CLIENT;
        snprintf(s->err, sizeof s->err, "%s", s->mp.err);
        return s->st;
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&s->sha, digest);
    sodium_bin2hex(s->sha256, sizeof s->sha256, digest, sizeof digest);
    return SPOOL_OK;
}

int spool_fd(const struct spool *s)
{
    return s->fd;
}

uint64_t spool_size(const struct spool *s)
{
    return s->size;
}

const char *spool_sha256(const struct spool *s)
{
    return s->sha256;
}

const char *spool_error(const struct spool *s)
{
    return s->err;
}

void spool_free(struct spool *s)
{
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    free(s);
}
