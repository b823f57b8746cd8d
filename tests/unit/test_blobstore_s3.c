/* test_blobstore_s3 — the S3 backend of blobstore.h and the blobstore_open factory: which URLs
 * and settings are refused (EINVAL), the shared key check, and put/get/local_path/remove against
 * tests/s3/s3server.py (which verifies every signature and payload hash), from several threads
 * at once, since the HTTP threads and the engine call the store concurrently. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>

#include "base/util.h"
#include "blob/blobstore.h"

#define ACCESS "AKIAUNITTEST00000001"
#define SECRET "unit/test+secret/key0123456789abcdefABCD"

static char tmpdir[PATH_MAX];
static pid_t server_pid = -1;
static char endpoint[64];

static void sha_hex(const void *d, size_t n, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, d, n);
    sodium_bin2hex(out, 65, h, sizeof h);
}

/* Start s3server.py (next to this file's directory: ../s3/) on a free port. */
static int start_server(void)
{
    char script[PATH_MAX];
    snprintf(script, sizeof script, "%s", __FILE__);
    char *slash = strrchr(script, '/');
    if (!slash) return -1;
    snprintf(slash, sizeof script - (size_t)(slash - script), "/../s3/s3server.py");
    if (access(script, R_OK) != 0) return -1;
    char root[PATH_MAX + 16];
    snprintf(root, sizeof root, "%s/objects", tmpdir);
    int fds[2];
    if (pipe(fds) != 0) return -1;
    server_pid = fork();
    if (server_pid < 0) return -1;
    if (server_pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execlp("python3", "python3", script, "--root", root, "--bucket", "unit-bucket", "--access-key",
               ACCESS, "--secret-key", SECRET, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[64] = "";
    size_t n = 0;
    while (n + 1 < sizeof line) {
        ssize_t r = read(fds[0], line + n, 1);
        if (r <= 0 || line[n] == '\n') break;
        n++;
    }
    line[n] = '\0';
    close(fds[0]);
    int port = 0;
    if (sscanf(line, "port %d", &port) != 1) return -1;
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", port);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tgr-test-s3-XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    if (sodium_init() < 0) return -1;
    if (start_server() != 0) fprintf(stderr, "s3server.py did not start; the S3 round trips are skipped\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
    }
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct blobstore *open_s3(const char *bucket, const char *prefix, const char *secret)
{
    char cache[PATH_MAX + 16];
    snprintf(cache, sizeof cache, "%s/cache", tmpdir);
    struct blobstore_s3_config cfg = {.endpoint = endpoint,
                                      .region = "us-east-1",
                                      .bucket = bucket,
                                      .prefix = prefix,
                                      .access_key = ACCESS,
                                      .secret_key = secret,
                                      .cache_dir = cache,
                                      .timeout_ms = 10000,
                                      .attempts = 2};
    char err[256];
    return blobstore_s3_open(&cfg, err, sizeof err);
}

static void key_check(void **state)
{
    (void)state;
    const char *h = "43739c566e26fd7cb88f69d3864ea34740372f5ee99acac169e090beffbce5c6";
    char k[128];
    snprintf(k, sizeof k, "7/%s", h);
    assert_true(blobstore_key_valid(k));
    snprintf(k, sizeof k, "0/%s", h);
    assert_true(blobstore_key_valid(k));
    snprintf(k, sizeof k, "9223372036854775807/%s", h);
    assert_true(blobstore_key_valid(k));
    const char *bad[] = {
        NULL,
        "",
        "7",
        "7/",
        "/x",
        "07/43739c566e26fd7cb88f69d3864ea34740372f5ee99acac169e090beffbce5c6",
        "9223372036854775808/43739c566e26fd7cb88f69d3864ea34740372f5ee99acac169e090beffbce5c6",
        "7/43739C566E26FD7CB88F69D3864EA34740372F5EE99ACAC169E090BEFFBCE5C6",
        "7/43739c566e26fd7cb88f69d3864ea34740372f5ee99acac169e090beffbce5c",
        "7/../../etc/passwd",
        "-1/43739c566e26fd7cb88f69d3864ea34740372f5ee99acac169e090beffbce5c6",
        "7/43739c566e26fd7cb88f69d3864ea34740372f5ee99acac169e090beffbce5c6/x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(blobstore_key_valid(bad[i]));
}

static void open_refuses_bad_settings(void **state)
{
    (void)state;
    char err[256], cache[PATH_MAX + 16];
    snprintf(cache, sizeof cache, "%s/cache-cfg", tmpdir);
    struct {
        const char *endpoint, *region, *bucket, *prefix, *access;
    } bad[] = {
        {"ftp://h", "us-east-1", "bucket", "", ACCESS},
        {"http://", "us-east-1", "bucket", "", ACCESS},
        {"http://u:p@h", "us-east-1", "bucket", "", ACCESS},
        {"http://h/path", "us-east-1", "bucket", "", ACCESS},
        {"http://h?x=1", "us-east-1", "bucket", "", ACCESS},
        {"http://h", "", "bucket", "", ACCESS},
        {"http://h", "us east", "bucket", "", ACCESS},
        {"http://h", "us-east-1", "ab", "", ACCESS},
        {"http://h", "us-east-1", "Bucket", "", ACCESS},
        {"http://h", "us-east-1", "-bucket", "", ACCESS},
        {"http://h", "us-east-1", "bucket", "a//b", ACCESS},
        {"http://h", "us-east-1", "bucket", "/a", ACCESS},
        {"http://h", "us-east-1", "bucket", "a/../b", ACCESS},
        {"http://h", "us-east-1", "bucket", "a b", ACCESS},
        {"http://h", "us-east-1", "bucket", "", ""},
        {"http://h", "us-east-1", "bucket", "", "AK:x"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct blobstore_s3_config cfg = {.endpoint = bad[i].endpoint,
                                          .region = bad[i].region,
                                          .bucket = bad[i].bucket,
                                          .prefix = bad[i].prefix,
                                          .access_key = bad[i].access,
                                          .secret_key = SECRET,
                                          .cache_dir = cache};
        errno = 0;
        err[0] = '\0';
        struct blobstore *bs = blobstore_s3_open(&cfg, err, sizeof err);
        if (bs) fail_msg("case %zu was accepted", i);
        assert_int_equal(errno, EINVAL);
        assert_true(err[0] != '\0');
        assert_null(strstr(err, SECRET));
    }
    struct blobstore_s3_config ok = {.endpoint = "https://s3.example.test:8443/",
                                     .region = "eu-central-1",
                                     .bucket = "my.bucket-1",
                                     .prefix = "a/b.c/d_e/",
                                     .access_key = ACCESS,
                                     .secret_key = SECRET,
                                     .cache_dir = cache};
    struct blobstore *bs = blobstore_s3_open(&ok, err, sizeof err);
    assert_non_null(bs);
    assert_string_equal(bs->backend, "s3");
    bs->close(bs);
}

static void factory(void **state)
{
    (void)state;
    char err[256], data[PATH_MAX + 16];
    snprintf(data, sizeof data, "%s/data", tmpdir);
    mkdir(data, 0700);
    struct blobstore *bs = blobstore_open("local", data, err, sizeof err);
    assert_non_null(bs);
    assert_string_equal(bs->backend, "local");
    bs->close(bs);

    unsetenv("TGR_S3_ENDPOINT");
    unsetenv("TGR_S3_ACCESS_KEY");
    unsetenv("TGR_S3_SECRET_KEY");
    setenv("AWS_ACCESS_KEY_ID", ACCESS, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    errno = 0;
    assert_null(blobstore_open("s3://tgr-media", data, err, sizeof err));
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(err, "TGR_S3_ENDPOINT"));
    for (const char *url = "gopher://x"; url; url = !strcmp(url, "gopher://x") ? "s3://" : NULL) {
        errno = 0;
        assert_null(blobstore_open(url, data, err, sizeof err));
        assert_int_equal(errno, EINVAL);
    }
    setenv("TGR_S3_ENDPOINT", "http://127.0.0.1:9", 1);
    unsetenv("AWS_SECRET_ACCESS_KEY");
    errno = 0;
    assert_null(blobstore_open("s3://tgr-media", data, err, sizeof err));
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(err, "AWS_SECRET_ACCESS_KEY"));
    setenv("TGR_S3_SECRET_KEY", SECRET, 1); /* the TGR_ name is accepted too */
    bs = blobstore_open("s3://tgr-media/pre", data, err, sizeof err);
    assert_non_null(bs);
    assert_string_equal(bs->backend, "s3");
    bs->close(bs);
    unsetenv("TGR_S3_ENDPOINT");
    unsetenv("TGR_S3_SECRET_KEY");
    unsetenv("AWS_ACCESS_KEY_ID");
}

static void round_trip(void **state)
{
    (void)state;
    if (server_pid <= 0) skip();
    struct blobstore *bs = open_s3("unit-bucket", "p/q", SECRET);
    assert_non_null(bs);
    const char data[] = "the bytes of a photo";
    char hex[65], key[160], path[PATH_MAX];
    sha_hex(data, sizeof data - 1, hex);
    assert_int_equal(bs->put(bs, 42, hex, data, sizeof data - 1, key, sizeof key), TGR_OK);
    char want[160];
    snprintf(want, sizeof want, "42/%s", hex);
    assert_string_equal(key, want);
    /* Again: idempotent. A wrong hash is refused. */
    assert_int_equal(bs->put(bs, 42, hex, data, sizeof data - 1, key, sizeof key), TGR_OK);
    assert_int_equal(bs->put(bs, 42, hex, "other", 5, key, sizeof key), TGR_ERR);

    void *got = NULL;
    size_t len = 0;
    assert_int_equal(bs->get(bs, want, &got, &len), TGR_OK);
    assert_int_equal(len, sizeof data - 1);
    assert_memory_equal(got, data, len);
    free(got);

    assert_int_equal(bs->local_path(bs, want, path, sizeof path), TGR_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, (off_t)(sizeof data - 1));
    char objfile[PATH_MAX + 200];
    snprintf(objfile, sizeof objfile, "%s/objects/unit-bucket/p/q/%s", tmpdir, want);
    assert_int_equal(stat(objfile, &st), 0);

    /* Hostile keys never reach the server. */
    const char *bad[] = {"../42/x", "42/../../etc", "42", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        assert_int_equal(bs->get(bs, bad[i], &got, &len), TGR_ERR);
        assert_int_equal(errno, EINVAL);
        assert_int_equal(bs->local_path(bs, bad[i], path, sizeof path), TGR_ERR);
        assert_int_equal(bs->remove(bs, bad[i]), TGR_ERR);
    }

    assert_int_equal(bs->remove(bs, want), TGR_OK);
    assert_int_equal(bs->remove(bs, want), TGR_OK); /* already gone */
    assert_int_equal(stat(objfile, &st), -1);
    char cached[PATH_MAX + 200];
    snprintf(cached, sizeof cached, "%s/cache/%s", tmpdir, want);
    assert_int_equal(stat(cached, &st), -1);
    errno = 0;
    assert_int_equal(bs->get(bs, want, &got, &len), TGR_ERR);
    assert_int_equal(errno, ENOENT);
    errno = 0;
    assert_int_equal(bs->local_path(bs, want, path, sizeof path), TGR_ERR);
    assert_int_equal(errno, ENOENT);
    bs->close(bs);
}

static void wrong_secret(void **state)
{
    (void)state;
    if (server_pid <= 0) skip();
    struct blobstore *bs = open_s3("unit-bucket", "", "not the secret");
    assert_non_null(bs);
    char hex[65], key[160];
    sha_hex("x", 1, hex);
    assert_int_equal(bs->put(bs, 1, hex, "x", 1, key, sizeof key), TGR_ERR);
    void *got = NULL;
    size_t len = 0;
    assert_int_equal(bs->get(bs, key, &got, &len), TGR_ERR);
    assert_null(got);
    bs->close(bs);
}

struct worker {
    struct blobstore *bs;
    int id, failures;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 8; i++) {
        char data[64], hex[65], key[160], path[PATH_MAX];
        /* Half the blobs are shared by every thread, half are the thread's own. */
        int n = snprintf(data, sizeof data, "blob %d of %d", i, i % 2 ? w->id : -1);
        sha_hex(data, (size_t)n, hex);
        void *got = NULL;
        size_t len = 0;
        if (w->bs->put(w->bs, 3, hex, data, (size_t)n, key, sizeof key) != TGR_OK ||
            w->bs->get(w->bs, key, &got, &len) != TGR_OK || len != (size_t)n || memcmp(got, data, len) != 0 ||
            w->bs->local_path(w->bs, key, path, sizeof path) != TGR_OK)
            w->failures++;
        free(got);
    }
    return NULL;
}

static void concurrent_calls(void **state)
{
    (void)state;
    if (server_pid <= 0) skip();
    struct blobstore *bs = open_s3("unit-bucket", "", SECRET);
    assert_non_null(bs);
    pthread_t t[6];
    struct worker w[6];
    for (int i = 0; i < 6; i++) {
        w[i] = (struct worker){bs, i, 0};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    bs->close(bs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_check),    cmocka_unit_test(open_refuses_bad_settings),
        cmocka_unit_test(factory),      cmocka_unit_test(round_trip),
        cmocka_unit_test(wrong_secret), cmocka_unit_test(concurrent_calls),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
