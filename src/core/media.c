/* media — decides what an uploaded file is from its bytes; see media.h.
 *
 * Two independent opinions must agree before a file is accepted:
 *
 *   1. libmagic (MAGIC_MIME_TYPE, the system magic database) names a MIME type.
 *   2. Our own check of the leading bytes names one of the five allowed containers:
 *        JPEG  FF D8 FF
 *        PNG   89 50 4E 47 0D 0A 1A 0A
 *        GIF   "GIF87a" or "GIF89a"
 *        WebP  "RIFF" <4-byte size> "WEBP"
 *        MP4   <4-byte box size> "ftyp" <major brand>..., where the box is at least 16 bytes,
 *              fits in the data, and its major brand or one of its compatible brands is an
 *              MP4 brand (isom, iso2-iso6, mp41, mp42, avc1, dash, mmp4, M4V, M4VH, M4VP).
 *
 * The file is accepted only when the byte check names a type and libmagic names the same type
 * (for MP4, libmagic may say "video/mp4" or "video/x-m4v"; both are stored as "video/mp4").
 * Everything else is MEDIA_UNSUPPORTED, with libmagic's answer kept in info->detected for the
 * error message. Consequences, on purpose:
 *   - HTML, SVG, PDF or text renamed to .jpg: libmagic says text/html, image/svg+xml, ... and
 *     the bytes do not start with an image signature: rejected.
 *   - A polyglot with an HTML (or any other) prefix: the signature is not at offset 0: rejected.
 *   - An ISO-BMFF file that is not MP4 (QuickTime "qt  ", 3GPP, HEIC, AVIF, M4A audio): either
 *     the brand is not an MP4 brand or libmagic calls it something else: rejected.
 *   - A real image with other content appended (e.g. a JPEG with HTML after its end marker) is
 *     accepted: it is a valid image, and GET /media/:id serves it with its own Content-Type
 *     and X-Content-Type-Options: nosniff, so no browser treats it as HTML.
 * The type decides the limit: photos MEDIA_PHOTO_MAX, videos MEDIA_VIDEO_MAX.
 *
 * libmagic handles are not thread-safe, so each thread loads its own on first use and keeps it
 * in a pthread key whose destructor closes it when the thread exits. If libmagic cannot be
 * loaded the file is refused (MEDIA_UNSUPPORTED) and the failure is logged: without the second
 * opinion we do not accept anything. */
#include "core/media.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <magic.h>
#include <sodium.h>

#include "base/log.h"

/* libmagic only looks at the start of a file; handing it at most this much keeps the cost of
 * its text heuristics bounded for a 50 MiB upload. */
#define SNIFF_MAX MEDIA_SNIFF_MAX

/* The parsers libmagic runs on untrusted input that can never yield an allowed type. */
#define MAGIC_FLAGS                                                                                          \
    (MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR | MAGIC_NO_CHECK_CDF |                   \
     MAGIC_NO_CHECK_ELF | MAGIC_NO_CHECK_CSV | MAGIC_NO_CHECK_JSON)

enum kind { KIND_NONE, KIND_JPEG, KIND_PNG, KIND_GIF, KIND_WEBP, KIND_MP4 };

struct allowed {
    enum kind kind;
    const char *mime;       /* what we store and serve */
    const char *magic_mime; /* what libmagic must say */
    const char *media_kind; /* "photo" or "video" */
    size_t max;
};

static const struct allowed allowed[] = {
    {KIND_JPEG, "image/jpeg", "image/jpeg", "photo", MEDIA_PHOTO_MAX},
    {KIND_PNG, "image/png", "image/png", "photo", MEDIA_PHOTO_MAX},
    {KIND_GIF, "image/gif", "image/gif", "photo", MEDIA_PHOTO_MAX},
    {KIND_WEBP, "image/webp", "image/webp", "photo", MEDIA_PHOTO_MAX},
    {KIND_MP4, "video/mp4", "video/mp4", "video", MEDIA_VIDEO_MAX},
    /* Apple's M4V is an MP4 file under another brand; libmagic names it separately. */
    {KIND_MP4, "video/mp4", "video/x-m4v", "video", MEDIA_VIDEO_MAX},
};

static const char *const mp4_brands[] = {"isom", "iso2", "iso3", "iso4", "iso5", "iso6", "mp41",
                                         "mp42", "avc1", "dash", "mmp4", "M4V ", "M4VH", "M4VP"};

static pthread_key_t magic_key;
static pthread_once_t magic_once = PTHREAD_ONCE_INIT;
static int magic_key_ok;

static void magic_destroy(void *cookie)
{
    magic_close((magic_t)cookie);
}

static void magic_key_init(void)
{
    magic_key_ok = pthread_key_create(&magic_key, magic_destroy) == 0;
}

/* This thread's loaded libmagic handle, or NULL (logged) if libmagic is unusable. */
static magic_t thread_magic(void)
{
    pthread_once(&magic_once, magic_key_init);
    if (!magic_key_ok) return NULL;
    magic_t m = pthread_getspecific(magic_key);
    if (m) return m;
    m = magic_open(MAGIC_FLAGS);
    if (!m) {
        log_error("media", "magic_open failed");
        return NULL;
    }
    if (magic_load(m, NULL) != 0) {
        log_error("media", "magic_load failed: %s", magic_error(m) ? magic_error(m) : "unknown error");
        magic_close(m);
        return NULL;
    }
    if (pthread_setspecific(magic_key, m) != 0) {
        magic_close(m);
        return NULL;
    }
    return m;
}

static int is_mp4_brand(const unsigned char *b)
{
    for (size_t i = 0; i < sizeof mp4_brands / sizeof mp4_brands[0]; i++)
        if (memcmp(b, mp4_brands[i], 4) == 0) return 1;
    return 0;
}

/* An ISO-BMFF "ftyp" box at offset 0 that declares an MP4 brand. */
static int is_mp4(const unsigned char *p, size_t len)
{
    if (len < 16 || memcmp(p + 4, "ftyp", 4) != 0) return 0;
    uint32_t box = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    /* major brand, minor version, then whole compatible brands */
    if (box < 16 || box > len || (box - 16) % 4 != 0) return 0;
    if (is_mp4_brand(p + 8)) return 1;
    for (uint32_t off = 16; off + 4 <= box; off += 4)
        if (is_mp4_brand(p + off)) return 1;
    return 0;
}

/* Our own opinion, from the leading bytes only. */
static enum kind sniff_signature(const unsigned char *p, size_t len)
{
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    if (len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff) return KIND_JPEG;
    if (len >= 8 && memcmp(p, png, 8) == 0) return KIND_PNG;
    if (len >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0)) return KIND_GIF;
    if (len >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0) return KIND_WEBP;
    if (is_mp4(p, len)) return KIND_MP4;
    return KIND_NONE;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

enum media_verdict media_sniff_head(const void *head, size_t head_len, size_t len, const char *sha256,
                                    struct media_info *info)
{
    memset(info, 0, sizeof *info);
    info->size = len;
    if (!head || len == 0 || head_len == 0) return MEDIA_EMPTY;
    copy_str(info->sha256, sizeof info->sha256, sha256 ? sha256 : "");
    if (head_len > len) head_len = len;

    magic_t m = thread_magic();
    if (!m) {
        copy_str(info->detected, sizeof info->detected, "unknown (libmagic unavailable)");
        return MEDIA_UNSUPPORTED;
    }
    const char *said = magic_buffer(m, head, head_len < SNIFF_MAX ? head_len : SNIFF_MAX);
    copy_str(info->detected, sizeof info->detected, said ? said : "application/octet-stream");

    enum kind k = sniff_signature(head, head_len);
    if (k == KIND_NONE || !said) return MEDIA_UNSUPPORTED;
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        const struct allowed *a = &allowed[i];
        if (a->kind != k || strcmp(a->magic_mime, said) != 0) continue;
        copy_str(info->mime, sizeof info->mime, a->mime);
        copy_str(info->kind, sizeof info->kind, a->media_kind);
        return len > a->max ? MEDIA_TOO_LARGE : MEDIA_OK;
    }
    return MEDIA_UNSUPPORTED;
}

enum media_verdict media_sniff(const void *data, size_t len, struct media_info *info)
{
    char hex[65] = "";
    if (data && len) {
        unsigned char digest[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(digest, data, len);
        sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    }
    return media_sniff_head(data, len, len, hex, info);
}
