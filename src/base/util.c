/* util — clocks, number parsing, base64url, timestamps, file reading; see util.h. */
#include "base/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

static pthread_once_t clock_once = PTHREAD_ONCE_INIT;
static const char *clock_file; /* TGR_TEST_CLOCK_FILE, read once */
static _Atomic int64_t clock_offset, clock_read_at;

static void clock_init(void)
{
    const char *f = getenv("TGR_TEST_CLOCK_FILE");
    clock_file = f && *f ? f : NULL;
}

/* The test clock's offset: the file's number, read again when 100 ms have passed. */
static int64_t test_offset(void)
{
    int64_t mono = mono_ms(), at = atomic_load(&clock_read_at);
    if (at && mono - at < 100) return atomic_load(&clock_offset);
    atomic_store(&clock_read_at, mono ? mono : 1);
    FILE *f = fopen(clock_file, "r");
    long long v = 0;
    if (f) {
        if (fscanf(f, "%lld", &v) != 1) v = 0;
        fclose(f);
    }
    atomic_store(&clock_offset, (int64_t)v);
    return (int64_t)v;
}

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    pthread_once(&clock_once, clock_init);
    return clock_file ? ms + test_offset() : ms;
}

void deadline_in(int64_t wait_ms, struct timespec *ts)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += wait_ms / 1000;
    ts->tv_nsec += (wait_ms % 1000) * 1000000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}

int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !*s) return TGR_ERR;
    const char *p = s;
    if (*p == '-') p++;
    if (*p < '0' || *p > '9') return TGR_ERR;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max) return TGR_ERR;
    *out = v;
    return TGR_OK;
}

size_t base64url_len(size_t n)
{
    return sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1;
}

void base64url_encode(const unsigned char *in, size_t n, char *out)
{
    sodium_bin2base64(out, base64url_len(n) + 1, in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int base64url_decode(const char *in, size_t inlen, unsigned char *out, size_t cap, size_t *outlen)
{
    /* libsodium 1.0.18 reads some bytes >= 0x80 as letters of the alphabet, so one value could be
     * spelled several ways (a JWT signature, a link code): only the alphabet itself is taken. */
    for (size_t i = 0; i < inlen; i++) {
        unsigned char c = (unsigned char)in[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_'))
            return TGR_ERR;
    }
    const char *end = NULL;
    if (sodium_base642bin(out, cap, in, inlen, NULL, outlen, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return TGR_ERR;
    return end == in + inlen ? TGR_OK : TGR_ERR;
}

void rfc3339(int64_t ms, char *out, size_t cap)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    if (ms % 1000)
        snprintf(out + n, cap - n, ".%03dZ", (int)(ms % 1000));
    else
        snprintf(out + n, cap - n, "Z");
}

int read_file(const char *path, size_t cap, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return TGR_ERR;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return TGR_ERR;
    }
    if ((size_t)st.st_size > cap) {
        fclose(f);
        errno = EFBIG;
        return TGR_ERR;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        fclose(f);
        return TGR_ERR;
    }
    size_t n = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    buf[n] = 0;
    *out = buf;
    if (len) *len = n;
    return TGR_OK;
}

void source_path(const char *rel, char *out, size_t cap)
{
    snprintf(out, cap, "%s", rel);
    if (rel[0] == '/' || access(out, R_OK) == 0) return;
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return;
    *slash = 0;
    /* build/tgr → ../rel (a source tree); /usr/bin/tgr → ../lib/tgr/rel (cmake --install, the
     * Debian package). */
    static const char *const trees[] = {"", "lib/tgr/"};
    char alt[2200];
    for (size_t i = 0; i < sizeof trees / sizeof trees[0]; i++) {
        snprintf(alt, sizeof alt, "%s/../%s%s", exe, trees[i], rel);
        if (access(alt, R_OK) == 0) {
            char real[PATH_MAX];
            snprintf(out, cap, "%s", realpath(alt, real) ? real : alt); /* no bin/.. in logs */
            return;
        }
    }
}

size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len = s[0] >= 0xf0 && s[0] <= 0xf4   ? 4
                 : s[0] >= 0xe0 && s[0] <= 0xef ? 3
                 : s[0] >= 0xc2 && s[0] < 0xe0  ? 2
                                                : 0;
    if (!len || len > n) return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    if (len == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0))) return 0;
    if (len == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))) return 0;
    return len;
}

void thread_name(const char *name)
{
    pthread_setname_np(pthread_self(), name);
}
