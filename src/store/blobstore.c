/* blobstore — the factory that turns a --media URL into a backend (blobstore.h), and the key
 * check the backends share.
 *
 * "local" is DATA/media on this machine; "s3://BUCKET[/PREFIX]" is an S3-compatible bucket
 * whose endpoint, region and keys come from the environment, never from the command line,
 * so the secret key is not visible in `ps` and never part of the URL that gets logged. */
#include "store/blobstore.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define SHA256_HEX 64

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
    const char *hex = slash + 1;
    if (strlen(hex) != SHA256_HEX) return 0;
    for (size_t i = 0; i < SHA256_HEX; i++)
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f'))) return 0;
    return 1;
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
    char cache[4096];
    int n = snprintf(cache, sizeof cache, "%s/media-cache", data_dir);
    if (n < 0 || (size_t)n >= sizeof cache) {
        snprintf(err, errlen, "--data: path too long");
        errno = EINVAL;
        return NULL;
    }
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
        char dir[4096];
        int n = snprintf(dir, sizeof dir, "%s/media", data_dir);
        if (n < 0 || (size_t)n >= sizeof dir) {
            snprintf(err, errlen, "--data: path too long");
            errno = EINVAL;
            return NULL;
        }
        struct blobstore *bs = blobstore_local_open(dir, err, errlen);
        if (!bs && errno == EINVAL) errno = EIO; /* a directory problem, not a bad setting */
        return bs;
    }
    if (!strncmp(url, "s3://", 5)) return open_s3(url, data_dir, err, errlen);
    snprintf(err, errlen, "--media: expected local or s3://BUCKET[/PREFIX], got '%.80s'", url);
    errno = EINVAL;
    return NULL;
}
