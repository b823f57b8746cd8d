/* media — what an uploaded file is, decided from its bytes (never its name or the client's
 * Content-Type), and whether tgr accepts it (API.md "Media"): JPEG, PNG, WebP, GIF photos up
 * to 10 MiB, MP4 videos up to 50 MiB. */
#ifndef TGR_MEDIA_H
#define TGR_MEDIA_H

#include <stddef.h>

#define MEDIA_PHOTO_MAX (10u * 1024 * 1024)
#define MEDIA_VIDEO_MAX (50u * 1024 * 1024)

enum media_verdict {
    MEDIA_OK,
    MEDIA_UNSUPPORTED, /* not one of the allowed types (415) */
    MEDIA_TOO_LARGE,   /* allowed type, over its limit (413) */
    MEDIA_EMPTY,       /* no bytes (400) */
};

struct media_info {
    char mime[32]; /* "image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4" */
    char kind[8];  /* "photo" or "video" */
    char sha256[65];
    size_t size;
    char detected[64]; /* what libmagic said, for error messages ("text/html") */
};

/* Classify data. Thread-safe (libmagic handles are per thread, loaded on first use).
 * A file is accepted only when libmagic and a check of the leading signature bytes agree on one
 * of the allowed types (media.c explains the rule); the type then decides the size limit.
 * info->size and info->sha256 (lowercase hex) are filled for any non-empty data, detected
 * whenever libmagic answered; mime and kind only for MEDIA_OK and MEDIA_TOO_LARGE.
 * @return the verdict; info is filled as far as known */
enum media_verdict media_sniff(const void *data, size_t len, struct media_info *info);

/* The leading bytes of a file read from libmagic's reach (MEDIA_SNIFF_MAX; less only when the
 * file is shorter). */
#define MEDIA_SNIFF_MAX ((size_t)1024 * 1024)

/* As media_sniff for a file of len bytes of which only the first head_len are given (at least
 * min(len, MEDIA_SNIFF_MAX) of them for the same verdict) and whose sha256 (hex) is already
 * known, e.g. an upload hashed while it arrived. */
enum media_verdict media_sniff_head(const void *head, size_t head_len, size_t len, const char *sha256,
                                    struct media_info *info);

#endif
