/* util — small helpers every module needs: clocks, safe number parsing, base64url, UTF-8
 * sequences, thread names, and the result codes shared by non-storage functions. */
#ifndef TGR_UTIL_H
#define TGR_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Version and short commit of this build (generated version.c). */
extern const char tgr_version[];
extern const char tgr_commit[];

/* Generic outcome for functions that are not handlers or storage (STYLE §6). */
#define TGR_OK  0
#define TGR_ERR (-1)

/* A result that must be looked at: ignoring it is a warning (an error with -Werror). Where
 * ignoring is deliberate, write (void)! before the call and say why in a comment. */
#define TGR_MUST_CHECK __attribute__((warn_unused_result))

/* Wall clock, UTC unix milliseconds. For tests only: when the environment names a file in
 * TGR_TEST_CLOCK_FILE, the decimal number of milliseconds it holds (re-read at most every
 * 100 ms) is added, so a test can move the server's day forward (the daily limit's midnight)
 * without waiting for it. */
int64_t now_ms(void);
/* Monotonic clock in milliseconds, for intervals and deadlines. */
int64_t mono_ms(void);
/* The same in microseconds, for durations (metrics). */
int64_t mono_us(void);
struct timespec;
/* The CLOCK_REALTIME instant wait_ms from now, for pthread_cond_timedwait. */
void deadline_in(int64_t wait_ms, struct timespec *ts);

/* Parse a whole decimal integer in [min,max]; no sign tricks, no trailing junk.
 * @return TGR_OK and *out set, or TGR_ERR */
int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Base64url without padding. out must hold base64url_len(n)+1 bytes; it is NUL-terminated. */
size_t base64url_len(size_t n);
void base64url_encode(const unsigned char *in, size_t n, char *out);
/* Decode base64url (no padding) into out (cap bytes).
 * @return TGR_OK with *outlen set, or TGR_ERR on a bad character, bad length or overflow */
int base64url_decode(const char *in, size_t inlen, unsigned char *out, size_t cap, size_t *outlen);

/* RFC 3339 UTC ("2026-11-25T08:49:04Z", or with .mmm when ms is not whole) into out (>= 32 bytes). */
void rfc3339(int64_t ms, char *out, size_t cap);

/* Read a whole file (at most cap bytes). *out is malloc'd and NUL-terminated; caller frees.
 * @return TGR_OK, or TGR_ERR with errno set (EFBIG when over cap) */
int read_file(const char *path, size_t cap, char **out, size_t *len);

/* A file of the source tree (bridge/main.mjs, share/lexicon.json, …): rel itself if it exists
 * (or is absolute), else the same path beside the binary's tree (build/tgr → ../rel), else in
 * the installed tree (/usr/bin/tgr → /usr/lib/tgr/rel), so the defaults work from any working
 * directory. */
void source_path(const char *rel, char *out, size_t cap);

/* The length of the valid UTF-8 sequence of a non-ASCII byte at s (at most n bytes): no overlong
 * forms, surrogates or values past U+10FFFF, as jansson's strings are; 0 when invalid. */
size_t utf8_seq(const unsigned char *s, size_t n);

/* Name the calling thread (at most 15 bytes), as `top -H` and /proc show it. */
void thread_name(const char *name);

#endif
