/* blobstore — the factory that turns a --media URL into a backend (blobstore.h), and the
 * helpers both backends use (the key check, hashing, writing, making directories).
 *
 * "local" is DATA/media on this machine; "s3://BUCKET[/PREFIX]" is an S3-compatible bucket
 * whose endpoint, region and keys come from the environment, never from the command line,
 * so the secret key is not visible in `ps` and never part of the URL that gets logged. */
#include "blob/blobstore.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "base/util.h"

#define SHA256_HEX 64

int blobstore_sha256_valid(const char *s)
{
    if (!s || strlen(s) != SHA256_HEX) return 0;
    for (size_t i = 0; i < SHA256_HEX; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

int blobstore_key_valid(const char *key)
{
    if (!key) return 0;
    const char *slash = strchr(key, '/');
    if (!slash) return 0;
    size_t ndig = (size_t)(slash - key);
    if (ndig < 1 || ndig > 19 || (key[0] == '0' && ndig > 1)) return 0;
    char digits[20];
    for (size_t i = 0; i < ndig; i++) {
        if (key[i] < '0' || key[i] > '9') return 0;
        digits[i] = key[i];
    }
    digits[ndig] = '\0';
    int64_t id;
    if (parse_i64(digits, 0, INT64_MAX, &id) != TGR_OK) return 0;
    return blobstore_sha256_valid(slash + 1);
}

void blobstore_sha256_hex(const void *data, size_t len, char out[SHA256_HEX + 1])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, data ? data : (const void *)"", len);
    sodium_bin2hex(out, SHA256_HEX + 1, digest, sizeof digest);
}

long blob_src_read(const struct blob_src *src, size_t off, void *buf, size_t n)
{
    if (off >= src->len) return 0;
    if (n > src->len - off) n = src->len - off;
    if (src->data) {
        memcpy(buf, (const unsigned char *)src->data + off, n);
        return (long)n;
    }
    for (;;) {
        ssize_t r = pread(src->fd, buf, n, (off_t)off);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) errno = EIO; /* the file is shorter than promised */
        return r > 0 ? (long)r : -1;
    }
}

int blob_src_sha256_hex(const struct blob_src *src, char out[SHA256_HEX + 1])
{
    if (src->data || src->len == 0) {
        blobstore_sha256_hex(src->data, src->len, out);
        return TGR_OK;
    }
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[65536];
    for (size_t off = 0; off < src->len;) {
        long n = blob_src_read(src, off, buf, sizeof buf);
        if (n < 0) return TGR_ERR;
        crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
        off += (size_t)n;
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(out, SHA256_HEX + 1, digest, sizeof digest);
    return TGR_OK;
}

int blobstore_write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int blobstore_mkdirs(const char *dir)
{
    char buf[PATH_MAX];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST) return -1;
        buf[i] = c;
    }
    return 0;
}

/* DATA/name into out. @return TGR_OK, or TGR_ERR (too long) with err set and errno EINVAL */
static int data_path(const char *data_dir, const char *name, char *out, size_t cap, char *err, size_t errlen)
{
    int n = snprintf(out, cap, "%s/%s", data_dir, name);
    if (n >= 0 && (size_t)n < cap) return TGR_OK;
    snprintf(err, errlen, "--data: path too long");
    errno = EINVAL;
    return TGR_ERR;
}

/* The first of the variables that is set and not empty, or NULL. */
static const char *env_first(const char *a, const char *b)
{
    const char *v = getenv(a);
    if (v && *v) return v;
    v = b ? getenv(b) : NULL;
    return v && *v ? v : NULL;
}

static struct blobstore *open_s3(const char *url, const char *data_dir, char *err, size_t errlen)
{
    const char *rest = url + strlen("s3://");
    size_t blen = strcspn(rest, "/");
    char bucket[64];
    if (blen == 0 || blen >= sizeof bucket) {
        snprintf(err, errlen, "--media: expected s3://BUCKET[/PREFIX], got '%.80s'", url);
        errno = EINVAL;
        return NULL;
    }
    memcpy(bucket, rest, blen);
    bucket[blen] = '\0';
    const char *prefix = rest[blen] == '/' ? rest + blen + 1 : "";

    const char *endpoint = getenv("TGR_S3_ENDPOINT");
    const char *region = getenv("TGR_S3_REGION");
    const char *access = env_first("TGR_S3_ACCESS_KEY", "AWS_ACCESS_KEY_ID");
    const char *secret = env_first("TGR_S3_SECRET_KEY", "AWS_SECRET_ACCESS_KEY");
    const char *missing = !endpoint || !*endpoint
                              ? "TGR_S3_ENDPOINT (e.g. https://s3.eu-central-1.amazonaws.com)"
                          : !access ? "AWS_ACCESS_KEY_ID (or TGR_S3_ACCESS_KEY)"
                          : !secret ? "AWS_SECRET_ACCESS_KEY (or TGR_S3_SECRET_KEY)"
                                    : NULL;
    if (missing) {
        snprintf(err, errlen, "--media %.80s needs the environment variable %s", url, missing);
        errno = EINVAL;
        return NULL;
    }
    char cache[PATH_MAX];
    if (data_path(data_dir, "media-cache", cache, sizeof cache, err, errlen) != TGR_OK) return NULL;
    struct blobstore_s3_config cfg = {
        .endpoint = endpoint,
        .region = region && *region ? region : "us-east-1",
        .bucket = bucket,
        .prefix = prefix,
        .access_key = access,
        .secret_key = secret,
        .cache_dir = cache,
    };
    return blobstore_s3_open(&cfg, err, errlen);
}

struct blobstore *blobstore_open(const char *url, const char *data_dir, char *err, size_t errlen)
{
    if (!url || !*url || !strcmp(url, "local")) {
        char dir[PATH_MAX];
        if (data_path(data_dir, "media", dir, sizeof dir, err, errlen) != TGR_OK) return NULL;
        struct blobstore *bs = blobstore_local_open(dir, err, errlen);
        if (!bs && errno == EINVAL) errno = EIO; /* a directory problem, not a bad setting */
        return bs;
    }
    if (!strncmp(url, "s3://", 5)) return open_s3(url, data_dir, err, errlen);
    snprintf(err, errlen, "--media: expected local or s3://BUCKET[/PREFIX], got '%.80s'", url);
    errno = EINVAL;
    return NULL;
}
