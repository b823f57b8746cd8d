/* blob/s3 — the S3-compatible backend of blobstore.h, over libcurl.
 *
 * Objects live at ENDPOINT/BUCKET/[PREFIX/]<account_id>/<sha256> (path-style, which every
 * S3-compatible server understands; virtual-host style needs DNS per bucket). Requests are signed
 * by libcurl's CURLOPT_AWS_SIGV4 ("aws:amz:REGION:s3"). libcurl does not hash an uploaded body
 * itself, so every request carries `x-amz-content-sha256` with the hex sha256 of its body (of the
 * empty string for GET, HEAD and DELETE); libcurl takes that header's value as the payload hash
 * and signs the header with the others, so the server can check both the signature and the
 * bytes. UNSIGNED-PAYLOAD is never used. No request has query parameters, so the canonical query
 * is empty (libcurl before 8.x does not sort them; if one is ever added, keep them sorted).
 *
 * Each call uses its own CURL easy handle: the HTTP threads and the engine thread call in at the
 * same time, and an easy handle must not be shared between threads. A transient failure — a
 * connection error, a timeout, HTTP 5xx or 429 — is retried (3 attempts by default, 0.2 s then
 * 0.8 s apart); anything else is final. Failures are logged with the method, the object and S3's
 * error code and message; the credentials never reach a log line, an error message or a URL.
 *
 * put is idempotent: the key is the content hash, so a HEAD that finds an object of the right size
 * means it is already there; otherwise (not found, refused, failed) the bytes are PUT (again). get checks
 * that the bytes hash to the key. local_path keeps a private cache under
 * DATA/media-cache/<account_id>/<sha256> (directories 0700, files 0600): a cached file is used when its
 * content still hashes to its name, otherwise it is downloaded to a temp file (hashed while written) and
 * renamed into place, so the bridge never sees a partial file. The cache can be deleted at any time. */
#include "blob/blobstore.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <sodium.h>

#include "base/log.h"
#include "base/util.h"

#define SHA256_HEX 64
/* The empty string's sha256: the payload hash of GET, HEAD and DELETE. */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* Nothing we store comes near this; it bounds get's buffer and a cache download. */
#define OBJECT_MAX ((size_t)1024 * 1024 * 1024)
/* How much of an error reply is kept to find S3's <Code> and <Message> in. */
#define ERROR_BODY_MAX     4096
#define DEFAULT_TIMEOUT_MS 120000L
#define CONNECT_TIMEOUT_MS 5000L
#define DEFAULT_ATTEMPTS   3
/* An attempt that moves fewer than LOW_SPEED bytes/s for LOW_SPEED_TIME s is given up. */
#define LOW_SPEED      1024L
#define LOW_SPEED_TIME 20L

struct s3 {
    struct blobstore bs; /* first, so a struct blobstore * is a struct s3 * */
    char *endpoint;      /* "http(s)://host[:port]", no trailing slash */
    char *bucket;
    char *prefix; /* "" or "a/b/" */
    char *access_key, *secret_key;
    char *sigv4; /* "aws:amz:REGION:s3" */
    char *cache; /* absolute */
    int cachefd;
    long timeout_ms;
    int attempts;
};

/* Where a response body goes: memory (fd < 0) or a file, hashed as it is written. Bodies of
 * error replies go to err instead, whatever the sink. */
struct sink {
    CURL *curl;
    unsigned char *buf;
    size_t len, cap;
    int fd;
    crypto_hash_sha256_state sha;
    size_t written;
    int too_big, io_failed;
    char err[ERROR_BODY_MAX + 1];
    size_t errlen;
};

struct source {
    const struct blob_src *src;
    size_t off;
    int failed; /* errno of a failed read of the file */
};

static struct s3 *s3_of(struct blobstore *bs)
{
    return (struct s3 *)bs;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* --- one HTTP exchange ----------------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    struct sink *k = userp;
    size_t n = size * nmemb;
    long status = 0;
    curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        size_t room = ERROR_BODY_MAX - k->errlen;
        size_t take = n < room ? n : room;
        memcpy(k->err + k->errlen, data, take);
        k->errlen += take;
        k->err[k->errlen] = '\0';
        return n;
    }
    if (k->written + n > OBJECT_MAX) {
        k->too_big = 1;
        return 0; /* CURLE_WRITE_ERROR */
    }
    if (k->fd >= 0) {
        if (blobstore_write_all(k->fd, data, n) != 0) {
            k->io_failed = errno ? errno : EIO;
            return 0;
        }
        crypto_hash_sha256_update(&k->sha, (const unsigned char *)data, n);
    } else {
        if (k->len + n > k->cap) {
            size_t cap = k->cap ? k->cap : 65536;
            while (cap < k->len + n)
                cap *= 2;
            unsigned char *p = realloc(k->buf, cap);
            if (!p) {
                k->io_failed = ENOMEM;
                return 0;
            }
            k->buf = p;
            k->cap = cap;
        }
        memcpy(k->buf + k->len, data, n);
        k->len += n;
    }
    k->written += n;
    return n;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *userp)
{
    struct source *src = userp;
    long n = blob_src_read(src->src, src->off, buf, size * nmemb);
    if (n < 0) {
        src->failed = errno;
        return CURL_READFUNC_ABORT;
    }
    src->off += (size_t)n;
    return (size_t)n;
}

/* Start a sink over again (before a retry). @return TGR_OK or TGR_ERR (the file could not be
 * truncated) */
static int sink_reset(struct sink *k)
{
    k->len = 0;
    k->written = 0;
    k->too_big = 0;
    k->io_failed = 0;
    k->errlen = 0;
    k->err[0] = '\0';
    if (k->fd >= 0) {
        if (ftruncate(k->fd, 0) != 0 || lseek(k->fd, 0, SEEK_SET) != 0) return TGR_ERR;
        crypto_hash_sha256_init(&k->sha);
    }
    return TGR_OK;
}

/* The text of <tag>…</tag> in an S3 error reply, printable ASCII only, into out. */
static void xml_field(const char *xml, const char *tag, char *out, size_t cap)
{
    char open[40], close[40];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    out[0] = '\0';
    const char *a = strstr(xml, open);
    if (!a) return;
    a += strlen(open);
    const char *b = strstr(a, close);
    if (!b) return;
    size_t n = 0;
    for (const char *p = a; p < b && n + 1 < cap; p++)
        out[n++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
    out[n] = '\0';
}

static int transient_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

static int transient_status(long status)
{
    return status == 429 || (status >= 500 && status <= 599);
}

/* Send one request for key, retrying transient failures. body/len/body_sha: what a PUT sends
 * (body_sha is its hex sha256). sink: where a 2xx body goes (NULL to drop it; for HEAD nothing
 * comes). @param[out] size of the object when the reply says it (HEAD), else -1.
 * @return the final HTTP status, or -1 when no reply came (logged) or the sink failed
 * (errno set: EFBIG, ENOMEM or the write error). Every status but 2xx and 404 is logged. */
static long s3_request(struct s3 *s, const char *method, const char *key, const struct blob_src *body,
                       const char *body_sha, struct sink *sink, curl_off_t *size)
{
    char url[2048];
    int n = snprintf(url, sizeof url, "%s/%s/%s%s", s->endpoint, s->bucket, s->prefix, key);
    if (n < 0 || (size_t)n >= sizeof url) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char shahdr[32 + SHA256_HEX];
    snprintf(shahdr, sizeof shahdr, "x-amz-content-sha256: %s", body_sha ? body_sha : EMPTY_SHA256);
    struct sink scratch;
    memset(&scratch, 0, sizeof scratch);
    scratch.fd = -1;
    struct sink *k = sink ? sink : &scratch;
    if (size) *size = -1;

    long status = -1;
    for (int attempt = 1; attempt <= s->attempts; attempt++) {
        if (attempt > 1) {
            sleep_ms(attempt == 2 ? 200 : 800);
            if (sink_reset(k) != TGR_OK) {
                log_error("s3", "%s %s/%s%s: cannot restart the download: %s", method, s->bucket, s->prefix,
                          key, strerror(errno));
                status = -1;
                break;
            }
        }
        CURL *c = curl_easy_init();
        struct curl_slist *hdrs = curl_slist_append(NULL, shahdr);
        if (!c || !hdrs) {
            curl_easy_cleanup(c);
            curl_slist_free_all(hdrs);
            errno = ENOMEM;
            free(scratch.buf);
            return -1;
        }
        struct source src = {body, 0, 0};
        char errbuf[CURL_ERROR_SIZE] = "";
        k->curl = c;
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "tgr");
        curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s->sigv4);
        curl_easy_setopt(c, CURLOPT_USERNAME, s->access_key);
        curl_easy_setopt(c, CURLOPT_PASSWORD, s->secret_key);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s->timeout_ms);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, k);
        if (!strcmp(method, "PUT")) {
            curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
            curl_easy_setopt(c, CURLOPT_READDATA, &src);
            curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body->len);
        } else if (!strcmp(method, "HEAD")) {
            curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        } else if (strcmp(method, "GET") != 0) {
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        }
        CURLcode cc = curl_easy_perform(c);
        status = -1;
        if (cc == CURLE_OK) {
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
            if (size) curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, size);
        }
        curl_easy_cleanup(c);
        curl_slist_free_all(hdrs);
        k->curl = NULL;

        if (cc == CURLE_WRITE_ERROR && (k->too_big || k->io_failed)) {
            log_error("s3", "%s %s/%s%s: %s", method, s->bucket, s->prefix, key,
                      k->too_big ? "the object is larger than 1 GiB" : strerror(k->io_failed));
            errno = k->too_big ? EFBIG : k->io_failed;
            status = -1;
            break;
        }
        if (cc != CURLE_OK) {
            int again = transient_curl(cc) && attempt < s->attempts;
            log_msg(again ? LOG_WARN : LOG_ERROR, "s3", "%s %s/%s/%s%s: %s%s", method, s->endpoint, s->bucket,
                    s->prefix, key, errbuf[0] ? errbuf : curl_easy_strerror(cc), again ? "; retrying" : "");
            if (!again) break;
            continue;
        }
        if (transient_status(status) && attempt < s->attempts) {
            log_warn("s3", "%s %s/%s%s: HTTP %ld; retrying", method, s->bucket, s->prefix, key, status);
            continue;
        }
        break;
    }
    char code[64], msg[200];
    xml_field(k->err, "Code", code, sizeof code);
    xml_field(k->err, "Message", msg, sizeof msg);
    /* A missing object is an answer, not a failure; a missing bucket (404 NoSuchBucket) is one.
     * A refused HEAD is not logged: it has no body to say why, and put goes on with a PUT. */
    int quiet = (status == 404 && (!code[0] || !strcmp(code, "NoSuchKey"))) ||
                (!strcmp(method, "HEAD") && status >= 400 && status < 500);
    if (status > 0 && (status < 200 || status > 299) && !quiet) {
        log_error("s3", "%s %s/%s%s: HTTP %ld%s%s%s%s", method, s->bucket, s->prefix, key, status,
                  code[0] ? " " : "", code, msg[0] ? ": " : "", msg);
    }
    if (status < 0 && !errno) errno = EIO;
    free(scratch.buf);
    return status;
}

/* --- the interface ---------------------------------------------------------------------------- */

static int s3_store(struct blobstore *bs, int64_t account_id, const char *sha256, const struct blob_src *body,
                    char *key, size_t keycap)
{
    struct s3 *s = s3_of(bs);
    size_t len = body->len;
    if (account_id < 0 || !blobstore_sha256_valid(sha256)) return TGR_ERR;
    char hex[SHA256_HEX + 1];
    if (blob_src_sha256_hex(body, hex) != TGR_OK) {
        log_error("s3", "put: cannot read the upload: %s", strerror(errno));
        return TGR_ERR;
    }
    if (strcmp(hex, sha256) != 0) {
        log_error("s3", "put: sha256 does not match the data");
        return TGR_ERR;
    }
    int n = snprintf(key, keycap, "%" PRId64 "/%s", account_id, sha256);
    if (n < 0 || (size_t)n >= keycap) return TGR_ERR;

    /* Same key, same bytes: an object of the right size is already what we would write. */
    curl_off_t size = -1;
    long st = s3_request(s, "HEAD", key, NULL, NULL, NULL, &size);
    if (st == 200 && size == (curl_off_t)len) return TGR_OK;
    /* Anything else, 403 included (AWS answers a missing key with 403 to a key pair without
     * s3:ListBucket), is left to the PUT, whose reply says what is wrong. */
    st = s3_request(s, "PUT", key, body, sha256, NULL, NULL);
    if (st == 200 || st == 201 || st == 204) return TGR_OK;
    return TGR_ERR;
}

static int s3_put(struct blobstore *bs, int64_t account_id, const char *sha256, const void *data, size_t len,
                  char *key, size_t keycap)
{
    if (!data && len > 0) return TGR_ERR;
    struct blob_src body = {data ? data : "", -1, len};
    return s3_store(bs, account_id, sha256, &body, key, keycap);
}

static int s3_put_fd(struct blobstore *bs, int64_t account_id, const char *sha256, int fd, size_t len,
                     char *key, size_t keycap)
{
    struct blob_src body = {NULL, fd, len};
    return s3_store(bs, account_id, sha256, &body, key, keycap);
}

static int s3_get(struct blobstore *bs, const char *key, void **data, size_t *len)
{
    struct s3 *s = s3_of(bs);
    *data = NULL;
    *len = 0;
    if (!blobstore_key_valid(key)) {
        errno = EINVAL;
        return TGR_ERR;
    }
    struct sink k;
    memset(&k, 0, sizeof k);
    k.fd = -1;
    errno = 0;
    long st = s3_request(s, "GET", key, NULL, NULL, &k, NULL);
    if (st != 200) {
        free(k.buf);
        errno = st == 404 ? ENOENT : (errno ? errno : EIO);
        return TGR_ERR;
    }
    char hex[SHA256_HEX + 1];
    blobstore_sha256_hex(k.buf, k.len, hex);
    if (strcmp(hex, strchr(key, '/') + 1) != 0) {
        log_error("s3", "GET %s/%s%s: the object's bytes do not match its name (damaged)", s->bucket,
                  s->prefix, key);
        free(k.buf);
        errno = EIO;
        return TGR_ERR;
    }
    if (!k.buf) {
        k.buf = malloc(1);
        if (!k.buf) return TGR_ERR;
    }
    *data = k.buf;
    *len = k.len;
    return TGR_OK;
}

/* Does the file at dfd/name hold bytes that hash to hex? */
static int cached_file_ok(int dfd, const char *name, const char *hex)
{
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 0;
    }
    crypto_hash_sha256_state sha;
    crypto_hash_sha256_init(&sha);
    unsigned char buf[65536];
    int ok = 1;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) ok = 0;
        if (r <= 0) break;
        crypto_hash_sha256_update(&sha, buf, (size_t)r);
    }
    close(fd);
    unsigned char digest[crypto_hash_sha256_BYTES];
    char got[SHA256_HEX + 1];
    crypto_hash_sha256_final(&sha, digest);
    sodium_bin2hex(got, sizeof got, digest, sizeof digest);
    return ok && strcmp(got, hex) == 0;
}

static int s3_local_path(struct blobstore *bs, const char *key, char *path, size_t cap)
{
    struct s3 *s = s3_of(bs);
    if (!blobstore_key_valid(key)) {
        errno = EINVAL;
        return TGR_ERR;
    }
    const char *slash = strchr(key, '/');
    char account[24];
    memcpy(account, key, (size_t)(slash - key));
    account[slash - key] = '\0';
    const char *hex = slash + 1;
    int n = snprintf(path, cap, "%s/%s", s->cache, key);
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return TGR_ERR;
    }
    if (mkdirat(s->cachefd, account, 0700) != 0 && errno != EEXIST) {
        log_error("s3", "cache: create %s/%s: %s", s->cache, account, strerror(errno));
        return TGR_ERR;
    }
    int dfd = openat(s->cachefd, account, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        log_error("s3", "cache: open %s/%s: %s", s->cache, account, strerror(errno));
        return TGR_ERR;
    }
    if (cached_file_ok(dfd, hex, hex)) {
        close(dfd);
        return TGR_OK;
    }

    unsigned char rnd[8];
    char rndhex[sizeof rnd * 2 + 1], tmp[SHA256_HEX + 32];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(rndhex, sizeof rndhex, rnd, sizeof rnd);
    snprintf(tmp, sizeof tmp, ".tmp-%s-%s", hex, rndhex);
    struct sink k;
    memset(&k, 0, sizeof k);
    k.fd = openat(dfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (k.fd < 0) {
        log_error("s3", "cache: create %s/%s/%s: %s", s->cache, account, tmp, strerror(errno));
        close(dfd);
        return TGR_ERR;
    }
    crypto_hash_sha256_init(&k.sha);
    errno = 0;
    long st = s3_request(s, "GET", key, NULL, NULL, &k, NULL);
    int saved = st == 404 ? ENOENT : (errno ? errno : EIO);
    int ok = st == 200;
    if (ok) {
        unsigned char digest[crypto_hash_sha256_BYTES];
        char got[SHA256_HEX + 1];
        crypto_hash_sha256_final(&k.sha, digest);
        sodium_bin2hex(got, sizeof got, digest, sizeof digest);
        if (strcmp(got, hex) != 0) {
            log_error("s3", "GET %s/%s%s: the object's bytes do not match its name (damaged)", s->bucket,
                      s->prefix, key);
            ok = 0;
            saved = EIO;
        }
    }
    if (close(k.fd) != 0 && ok) {
        ok = 0;
        saved = errno;
    }
    if (ok && renameat(dfd, tmp, dfd, hex) != 0) {
        saved = errno;
        ok = 0;
        log_error("s3", "cache: rename into %s/%s: %s", s->cache, key, strerror(saved));
    }
    if (!ok) unlinkat(dfd, tmp, 0);
    close(dfd);
    if (!ok) {
        errno = saved;
        return TGR_ERR;
    }
    return TGR_OK;
}

static int s3_remove(struct blobstore *bs, const char *key)
{
    struct s3 *s = s3_of(bs);
    if (!blobstore_key_valid(key)) {
        errno = EINVAL;
        return TGR_ERR;
    }
    long st = s3_request(s, "DELETE", key, NULL, NULL, NULL, NULL);
    if (st != 200 && st != 204 && st != 404) return TGR_ERR;
    if (unlinkat(s->cachefd, key, 0) != 0 && errno != ENOENT)
        log_warn("s3", "cache: remove %s/%s: %s", s->cache, key, strerror(errno));
    return TGR_OK;
}

static void s3_close(struct blobstore *bs)
{
    if (!bs) return;
    struct s3 *s = s3_of(bs);
    if (s->cachefd >= 0) close(s->cachefd);
    if (s->secret_key) sodium_memzero(s->secret_key, strlen(s->secret_key));
    free(s->endpoint);
    free(s->bucket);
    free(s->prefix);
    free(s->access_key);
    free(s->secret_key);
    free(s->sigv4);
    free(s->cache);
    free(s);
    curl_global_cleanup();
}

/* --- opening ------------------------------------------------------------------------------------ */

static int bucket_valid(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') || b[i] == '.' || b[i] == '-'))
            return 0;
    return b[0] != '.' && b[0] != '-' && b[n - 1] != '.' && b[n - 1] != '-';
}

/* "" or segments of [A-Za-z0-9._-] separated by single slashes, none "." or "..", at most 200
 * characters; trailing slashes are dropped by the caller. */
static int prefix_valid(const char *p, size_t n)
{
    if (n > 200) return 0;
    size_t i = 0;
    while (i < n) {
        size_t seg = i;
        while (i < n && p[i] != '/') {
            char c = p[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-'))
                return 0;
            i++;
        }
        size_t len = i - seg;
        if (len == 0 || (len == 1 && p[seg] == '.') || (len == 2 && p[seg] == '.' && p[seg + 1] == '.'))
            return 0;
        if (i < n) i++; /* the slash */
    }
    return 1;
}

/* http(s)://host[:port] with an optional trailing slash; no user info, path, query or fragment. */
static int endpoint_valid(const char *e, int *https)
{
    const char *host;
    if (!strncmp(e, "http://", 7)) {
        host = e + 7;
        *https = 0;
    } else if (!strncmp(e, "https://", 8)) {
        host = e + 8;
        *https = 1;
    } else {
        return 0;
    }
    size_t n = strlen(host);
    if (n > 0 && host[n - 1] == '/') n--;
    if (n == 0 || n > 300) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = host[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '-' || c == ':' || c == '[' || c == ']'))
            return 0;
    }
    return 1;
}

static int region_valid(const char *r)
{
    size_t n = strlen(r);
    if (n == 0 || n > 40) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-')) return 0;
    return 1;
}

/* Give up opening: err says why, errno is err_no, s (if any) is freed. @return NULL */
__attribute__((format(printf, 5, 6))) static struct blobstore *fail(struct s3 *s, int err_no, char *err,
                                                                    size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    if (s) s3_close(&s->bs);
    errno = err_no;
    return NULL;
}

struct blobstore *blobstore_s3_open(const struct blobstore_s3_config *cfg, char *err, size_t errlen)
{
    int https = 0;
    if (!cfg->endpoint || !endpoint_valid(cfg->endpoint, &https))
        return fail(NULL, EINVAL, err, errlen,
                    "TGR_S3_ENDPOINT: expected http(s)://HOST[:PORT] without a path, got '%.80s'",
                    cfg->endpoint ? cfg->endpoint : "");
    if (!cfg->region || !region_valid(cfg->region))
        return fail(NULL, EINVAL, err, errlen, "TGR_S3_REGION: expected a region like us-east-1, got '%.40s'",
                    cfg->region ? cfg->region : "");
    if (!cfg->bucket || !bucket_valid(cfg->bucket))
        return fail(NULL, EINVAL, err, errlen,
                    "--media: '%.70s' is not a bucket name (3-63 of a-z, 0-9, '.', '-')",
                    cfg->bucket ? cfg->bucket : "");
    size_t plen = cfg->prefix ? strlen(cfg->prefix) : 0;
    while (plen > 0 && cfg->prefix[plen - 1] == '/')
        plen--;
    if (!cfg->prefix || !prefix_valid(cfg->prefix, plen))
        return fail(NULL, EINVAL, err, errlen,
                    "--media: the prefix '%.70s' may only have segments of A-Z a-z 0-9 . _ -",
                    cfg->prefix ? cfg->prefix : "");
    if (!cfg->access_key || !*cfg->access_key || strpbrk(cfg->access_key, ": \t\r\n"))
        return fail(NULL, EINVAL, err, errlen, "%s",
                    "the S3 access key is missing or has a space or colon in it");
    if (!cfg->secret_key || !*cfg->secret_key)
        return fail(NULL, EINVAL, err, errlen, "%s", "the S3 secret key is missing");
    if (!cfg->cache_dir || !*cfg->cache_dir)
        return fail(NULL, EINVAL, err, errlen, "%s", "blobstore: no cache directory");
    if (sodium_init() < 0)
        return fail(NULL, EIO, err, errlen, "%s", "blobstore: libsodium failed to initialise");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return fail(NULL, EIO, err, errlen, "%s", "blobstore: libcurl failed to initialise");

    struct s3 *s = calloc(1, sizeof *s);
    if (!s) {
        curl_global_cleanup();
        return fail(NULL, ENOMEM, err, errlen, "%s", "blobstore: out of memory");
    }
    s->cachefd = -1;
    s->endpoint = strdup(cfg->endpoint);
    s->bucket = strdup(cfg->bucket);
    s->access_key = strdup(cfg->access_key);
    s->secret_key = strdup(cfg->secret_key);
    s->prefix = malloc(plen + 2);
    size_t slen = strlen("aws:amz::s3") + strlen(cfg->region) + 1;
    s->sigv4 = malloc(slen);
    if (!s->endpoint || !s->bucket || !s->access_key || !s->secret_key || !s->prefix || !s->sigv4)
        return fail(s, ENOMEM, err, errlen, "%s", "blobstore: out of memory");
    size_t elen = strlen(s->endpoint);
    if (elen > 0 && s->endpoint[elen - 1] == '/') s->endpoint[elen - 1] = '\0';
    memcpy(s->prefix, cfg->prefix, plen);
    if (plen > 0) s->prefix[plen++] = '/';
    s->prefix[plen] = '\0';
    snprintf(s->sigv4, slen, "aws:amz:%s:s3", cfg->region);
    s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
    s->attempts = cfg->attempts > 0 ? cfg->attempts : DEFAULT_ATTEMPTS;

    if (blobstore_mkdirs(cfg->cache_dir) != 0)
        return fail(s, errno == EINVAL ? EIO : errno, err, errlen,
                    "blobstore: cannot create the cache %.200s", cfg->cache_dir);
    s->cache = realpath(cfg->cache_dir, NULL);
    if (!s->cache)
        return fail(s, EIO, err, errlen, "blobstore: cannot resolve the cache %.200s", cfg->cache_dir);
    s->cachefd = open(s->cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->cachefd < 0) return fail(s, EIO, err, errlen, "blobstore: cannot open the cache %.200s", s->cache);

    if (!https) {
        const char *h = s->endpoint + 7;
        if (strncmp(h, "127.", 4) != 0 && strncmp(h, "localhost", 9) != 0 && strncmp(h, "[::1]", 5) != 0)
            log_warn("s3", "the endpoint %s is plain HTTP: media travels unencrypted", s->endpoint);
    }
    s->bs.backend = "s3";
    s->bs.put = s3_put;
    s->bs.put_fd = s3_put_fd;
    s->bs.get = s3_get;
    s->bs.local_path = s3_local_path;
    s->bs.remove = s3_remove;
    s->bs.close = s3_close;
    log_info("s3", "media in s3://%s/%s at %s (region %s), cache %s", s->bucket, s->prefix, s->endpoint,
             cfg->region, s->cache);
    return &s->bs;
}
