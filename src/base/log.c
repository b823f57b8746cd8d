/* log — stderr line logger, text or JSON lines; see log.h. */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

static enum log_level min_level = LOG_INFO;
static enum log_format format = LOG_TEXT;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level lvl)
{
    min_level = lvl;
}

void log_set_format(enum log_format fmt)
{
    format = fmt;
}

/* Append s[0..n) as the inside of a JSON string: quotes, backslashes and control characters
 * escaped, bytes that are not UTF-8 replaced by U+FFFD, so every line parses. */
static size_t json_escape(char *out, size_t cap, size_t at, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n && at + 7 < cap;) {
        if (u[i] == '"' || u[i] == '\\') {
            out[at++] = '\\';
            out[at++] = (char)u[i++];
        } else if (u[i] < 0x20 || u[i] == 0x7f) {
            at += (size_t)snprintf(out + at, cap - at, "\\u%04x", u[i++]);
        } else if (u[i] < 0x80) {
            out[at++] = (char)u[i++];
        } else {
            size_t len = utf8_seq(u + i, n - i);
            if (len) {
                memcpy(out + at, u + i, len);
                at += len;
                i += len;
            } else {
                at += (size_t)snprintf(out + at, cap - at, "\\ufffd");
                i++;
            }
        }
    }
    return at;
}

static void write_json(enum log_level lvl, const char *module, const struct timespec *ts, const char *msg)
{
    char line[8192];
    struct tm tm;
    gmtime_r(&ts->tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "{\"time\":\"%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ\",\"level\":\"%s\",\"module\":\"",
                          ts->tv_nsec / 1000000, level_names[lvl]);
    n = json_escape(line, sizeof line, n, module, strlen(module));
    n += (size_t)snprintf(line + n, sizeof line - n, "\",\"message\":\"");
    /* "account 42: …" names the account the line is about. */
    long long account = 0;
    int used = 0;
    if (sscanf(msg, "account %lld: %n", &account, &used) == 1 && used > 0 && account > 0)
        msg += used;
    else
        account = 0;
    n = json_escape(line, sizeof line - 40, n, msg, strlen(msg));
    if (account)
        n += (size_t)snprintf(line + n, sizeof line - n, "\",\"account\":%lld}\n", account);
    else
        n += (size_t)snprintf(line + n, sizeof line - n, "\"}\n");
    ssize_t r = write(STDERR_FILENO, line, n < sizeof line ? n : sizeof line - 1);
    (void)r;
}

void log_msg(enum log_level lvl, const char *module, const char *fmt, ...)
{
    if (lvl < min_level) return;
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (format == LOG_JSON) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        write_json(lvl, module, &ts, line);
        return;
    }
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &tm);
    int w = snprintf(line + n, sizeof line - n, "%s %s: ", level_names[lvl], module);
    if (w > 0) n += (size_t)w < sizeof line - n ? (size_t)w : sizeof line - n - 1;
    va_list ap;
    va_start(ap, fmt);
    w = vsnprintf(line + n, sizeof line - n, fmt, ap);
    va_end(ap);
    if (w > 0) n += (size_t)w < sizeof line - n ? (size_t)w : sizeof line - n - 1;
    /* Control characters from outside input must not forge extra log lines. */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)line[i] < 0x20) line[i] = ' ';
    if (n >= sizeof line - 1) n = sizeof line - 2;
    line[n++] = '\n';
    ssize_t r = write(STDERR_FILENO, line, n);
    (void)r;
}
