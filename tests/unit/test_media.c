/* test_media — media_sniff (type from the bytes, both opinions must agree, size limits, sha256)
 * and the local blobstore (layout, modes, idempotent put, hostile keys). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "core/media.h"
#include "base/util.h"
#include "blob/blobstore.h"

/* --- small valid files, as `file --mime-type` on this machine recognises them --- */

static const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J',  'F',  'I',  'F',
                                     0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xd9};

/* A 1x1 RGBA PNG: signature, IHDR, IDAT, IEND. */
static const unsigned char png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00,
    0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00, 0x00, 0x05, 0x00,
    0x01, 0x7a, 0x5e, 0xab, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
/* sha256sum of the PNG above */
static const char png_sha256[] = "43739c566e26fd7cb88f69d3864ea34740372f5ee99acac169e090beffbce5c6";

static const unsigned char gif[] = {0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80,
                                    0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04,
                                    0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01,
                                    0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b};

static const unsigned char gif87[] = {'G', 'I', 'F', '8', '7', 'a', 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00};

static const unsigned char webp[] = {0x52, 0x49, 0x46, 0x46, 0x1a, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50,
                                     0x56, 0x50, 0x38, 0x4c, 0x0d, 0x00, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x00,
                                     0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0x00};

/* An ISO-BMFF file: a 24-byte ftyp box (major brand, minor version, two compatible brands),
 * then empty free and mdat boxes. */
static size_t make_ftyp(unsigned char *out, const char *major, const char *compat)
{
    static const unsigned char tail[] = {0, 0, 0, 8, 'f', 'r', 'e', 'e', 0, 0, 0, 8, 'm', 'd', 'a', 't'};
    unsigned char box[24] = {0, 0, 0, 24, 'f', 't', 'y', 'p'};
    memcpy(box + 8, major, 4);
    memcpy(box + 16, major, 4);
    memcpy(box + 20, compat, 4);
    memcpy(out, box, sizeof box);
    memcpy(out + sizeof box, tail, sizeof tail);
    return sizeof box + sizeof tail;
}

static enum media_verdict sniff_str(const char *s, struct media_info *info)
{
    return media_sniff(s, strlen(s), info);
}

static void accepts_the_five_types(void **st)
{
    struct media_info info;
    assert_int_equal(media_sniff(jpeg, sizeof jpeg, &info), MEDIA_OK);
    assert_string_equal(info.mime, "image/jpeg");
    assert_string_equal(info.kind, "photo");
    assert_int_equal(info.size, sizeof jpeg);

    assert_int_equal(media_sniff(png, sizeof png, &info), MEDIA_OK);
    assert_string_equal(info.mime, "image/png");
    assert_string_equal(info.kind, "photo");

    assert_int_equal(media_sniff(gif, sizeof gif, &info), MEDIA_OK);
    assert_string_equal(info.mime, "image/gif");
    assert_int_equal(media_sniff(gif87, sizeof gif87, &info), MEDIA_OK);
    assert_string_equal(info.mime, "image/gif");

    assert_int_equal(media_sniff(webp, sizeof webp, &info), MEDIA_OK);
    assert_string_equal(info.mime, "image/webp");
    assert_string_equal(info.kind, "photo");

    unsigned char mp4[64];
    size_t n = make_ftyp(mp4, "isom", "mp41");
    assert_int_equal(media_sniff(mp4, n, &info), MEDIA_OK);
    assert_string_equal(info.mime, "video/mp4");
    assert_string_equal(info.kind, "video");
    assert_string_equal(info.detected, "video/mp4");
}

static void mp4_brands(void **st)
{
    struct media_info info;
    unsigned char mp4[64];
    static const char *const ok[] = {"mp42", "mp41", "avc1", "iso2", "iso5", "dash"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t n = make_ftyp(mp4, ok[i], "isom");
        assert_int_equal(media_sniff(mp4, n, &info), MEDIA_OK);
        assert_string_equal(info.mime, "video/mp4");
    }
    /* Apple's M4V: libmagic says video/x-m4v; it is an MP4 file and is stored as one. */
    size_t n = make_ftyp(mp4, "M4V ", "M4V ");
    assert_int_equal(media_sniff(mp4, n, &info), MEDIA_OK);
    assert_string_equal(info.mime, "video/mp4");
    assert_string_equal(info.detected, "video/x-m4v");

    /* Other ISO-BMFF files are not MP4 videos, whatever their compatible brands say. */
    static const struct {
        const char *major, *compat, *detected;
    } no[] = {
        {"qt  ", "isom", "video/quicktime"}, {"heic", "mif1", "image/heic"}, {"avif", "mif1", "image/avif"},
        {"M4A ", "mp42", "audio/x-m4a"},     {"3gp4", "isom", "video/3gpp"},
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        n = make_ftyp(mp4, no[i].major, no[i].compat);
        assert_int_equal(media_sniff(mp4, n, &info), MEDIA_UNSUPPORTED);
        assert_string_equal(info.detected, no[i].detected);
        assert_string_equal(info.mime, "");
    }
    /* Our check sees an MP4 brand among the compatible ones, libmagic does not agree: refused. */
    n = make_ftyp(mp4, "XAVC", "mp42");
    assert_int_equal(media_sniff(mp4, n, &info), MEDIA_UNSUPPORTED);

    /* An ftyp box that claims to be longer than the file. */
    n = make_ftyp(mp4, "isom", "mp41");
    mp4[3] = 200;
    assert_int_equal(media_sniff(mp4, n, &info), MEDIA_UNSUPPORTED);
}

static void rejects_disguised_content(void **st)
{
    struct media_info info;
    static const struct {
        const char *body, *detected;
    } cases[] = {
        {"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>\n", "text/html"},
        {"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" "
         "height=\"1\"></svg>\n",
         "image/svg+xml"},
        {"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"></svg>\n", "image/svg+xml"},
        {"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n", "application/pdf"},
        {"just some text that someone named photo.jpg\n", "text/plain"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(sniff_str(cases[i].body, &info), MEDIA_UNSUPPORTED);
        assert_string_equal(info.detected, cases[i].detected);
        assert_string_equal(info.mime, "");
        assert_string_equal(info.kind, "");
    }

    /* A polyglot: an HTML page followed by a valid JPEG. The signature is not at offset 0. */
    const char *html = "<html><script>alert(1)</script></html>\n";
    unsigned char poly[256];
    memcpy(poly, html, strlen(html));
    memcpy(poly + strlen(html), jpeg, sizeof jpeg);
    assert_int_equal(media_sniff(poly, strlen(html) + sizeof jpeg, &info), MEDIA_UNSUPPORTED);

    /* A bare JPEG signature with nothing behind it: libmagic does not call it a JPEG. */
    assert_int_equal(media_sniff(jpeg, 3, &info), MEDIA_UNSUPPORTED);

    /* RIFF containers that are not WebP. */
    unsigned char wav[44] = {'R', 'I', 'F', 'F', 36, 0, 0, 0, 'W', 'A', 'V', 'E', 'f', 'm', 't', ' ', 16};
    assert_int_equal(media_sniff(wav, sizeof wav, &info), MEDIA_UNSUPPORTED);
    assert_string_equal(info.detected, "audio/x-wav");
    unsigned char avi[44] = {'R', 'I', 'F', 'F', 36, 0, 0, 0, 'A', 'V', 'I', ' ', 'L', 'I', 'S', 'T'};
    assert_int_equal(media_sniff(avi, sizeof avi, &info), MEDIA_UNSUPPORTED);

    /* Zeros. */
    unsigned char zeros[64] = {0};
    assert_int_equal(media_sniff(zeros, sizeof zeros, &info), MEDIA_UNSUPPORTED);
}

static void empty_is_empty(void **st)
{
    struct media_info info;
    assert_int_equal(media_sniff("", 0, &info), MEDIA_EMPTY);
    assert_int_equal(info.size, 0);
    assert_int_equal(media_sniff(NULL, 0, &info), MEDIA_EMPTY);
}

static void size_limits_follow_the_type(void **st)
{
    struct media_info info;
    /* A photo exactly at the limit passes; one byte more does not. */
    unsigned char *big = calloc(1, MEDIA_VIDEO_MAX + 1);
    assert_non_null(big);
    memcpy(big, jpeg, sizeof jpeg);
    assert_int_equal(media_sniff(big, MEDIA_PHOTO_MAX, &info), MEDIA_OK);
    assert_int_equal(media_sniff(big, MEDIA_PHOTO_MAX + 1, &info), MEDIA_TOO_LARGE);
    assert_string_equal(info.mime, "image/jpeg");
    assert_string_equal(info.kind, "photo");
    assert_int_equal(info.size, MEDIA_PHOTO_MAX + 1);

    memset(big, 0, sizeof jpeg);
    memcpy(big, png, sizeof png);
    assert_int_equal(media_sniff(big, MEDIA_PHOTO_MAX + 1, &info), MEDIA_TOO_LARGE);

    /* A video may be larger than a photo, up to its own limit. */
    memset(big, 0, sizeof png);
    size_t n = make_ftyp(big, "isom", "mp41");
    (void)n;
    assert_int_equal(media_sniff(big, MEDIA_PHOTO_MAX + 1, &info), MEDIA_OK);
    assert_int_equal(media_sniff(big, MEDIA_VIDEO_MAX, &info), MEDIA_OK);
    assert_int_equal(media_sniff(big, MEDIA_VIDEO_MAX + 1, &info), MEDIA_TOO_LARGE);
    assert_string_equal(info.kind, "video");
    free(big);
}

static void sha256_is_lowercase_hex(void **st)
{
    struct media_info info;
    assert_int_equal(media_sniff(png, sizeof png, &info), MEDIA_OK);
    assert_string_equal(info.sha256, png_sha256);
    /* Filled even for a refused file (FIPS 180-2 "abc" vector). */
    assert_int_equal(sniff_str("abc", &info), MEDIA_UNSUPPORTED);
    assert_string_equal(info.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void *sniff_thread(void *arg)
{
    long bad = 0;
    for (int i = 0; i < 50; i++) {
        struct media_info info;
        if (media_sniff(png, sizeof png, &info) != MEDIA_OK || strcmp(info.mime, "image/png") != 0) bad++;
        if (sniff_str("<html><body>x</body></html>\n", &info) != MEDIA_UNSUPPORTED) bad++;
    }
    (void)arg;
    return (void *)bad;
}

static void threads_have_their_own_handle(void **st)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, sniff_thread, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *bad;
        assert_int_equal(pthread_join(t[i], &bad), 0);
        assert_int_equal((long)bad, 0);
    }
}

/* --- blobstore --- */

struct fixture {
    char tmp[64];
    char root[128];
    struct blobstore *bs;
};

static int bs_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->tmp, sizeof f->tmp, "/tmp/tgr-blob-XXXXXX");
    if (!mkdtemp(f->tmp)) return -1;
    /* Two levels that do not exist yet: open creates them. */
    snprintf(f->root, sizeof f->root, "%s/data/media", f->tmp);
    char err[256] = "";
    f->bs = blobstore_local_open(f->root, err, sizeof err);
    if (!f->bs) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static void rm_rf(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0) return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_rf(sub);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int bs_teardown(void **state)
{
    struct fixture *f = *state;
    f->bs->close(f->bs);
    rm_rf(f->tmp);
    free(f);
    return 0;
}

static void sha_hex(const void *data, size_t len, char out[65])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, data, len);
    sodium_bin2hex(out, 65, d, sizeof d);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static void blob_round_trip(void **state)
{
    struct fixture *f = *state;
    struct blobstore *bs = f->bs;
    assert_string_equal(bs->backend, "local");
    char sha[65], key[128], want[128], path[512];
    sha_hex(png, sizeof png, sha);

    assert_int_equal(bs->put(bs, 42, sha, png, sizeof png, key, sizeof key), TGR_OK);
    snprintf(want, sizeof want, "42/%s", sha);
    assert_string_equal(key, want);

    void *data = NULL;
    size_t len = 0;
    assert_int_equal(bs->get(bs, key, &data, &len), TGR_OK);
    assert_int_equal(len, sizeof png);
    assert_memory_equal(data, png, sizeof png);
    free(data);

    assert_int_equal(bs->local_path(bs, key, path, sizeof path), TGR_OK);
    assert_true(path[0] == '/');
    char expect[512];
    char *real = realpath(f->root, NULL);
    snprintf(expect, sizeof expect, "%s/42/%s", real, sha);
    free(real);
    assert_string_equal(path, expect);

    /* Modes: root and account directory 0700, file 0600; no temp file left behind. */
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    assert_int_equal(sb.st_mode & 07777, 0600);
    assert_int_equal(stat(f->root, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0700);
    char acct[256];
    snprintf(acct, sizeof acct, "%s/42", f->root);
    assert_int_equal(stat(acct, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0700);
    assert_int_equal(count_entries(acct), 1);

    /* A too small path buffer is an error, not a truncated path. */
    assert_int_equal(bs->local_path(bs, key, path, 10), TGR_ERR);

    assert_int_equal(bs->remove(bs, key), TGR_OK);
    assert_int_equal(bs->get(bs, key, &data, &len), TGR_ERR);
    assert_null(data);
    assert_int_equal(bs->local_path(bs, key, path, sizeof path), TGR_ERR);
    /* Removing what is gone is not an error. */
    assert_int_equal(bs->remove(bs, key), TGR_OK);
}

static void blob_put_is_idempotent(void **state)
{
    struct fixture *f = *state;
    struct blobstore *bs = f->bs;
    char sha[65], key1[128], key2[128], path[512];
    sha_hex(gif, sizeof gif, sha);
    assert_int_equal(bs->put(bs, 7, sha, gif, sizeof gif, key1, sizeof key1), TGR_OK);
    assert_int_equal(bs->local_path(bs, key1, path, sizeof path), TGR_OK);
    struct stat a, b;
    assert_int_equal(stat(path, &a), 0);
    assert_int_equal(bs->put(bs, 7, sha, gif, sizeof gif, key2, sizeof key2), TGR_OK);
    assert_string_equal(key1, key2);
    assert_int_equal(stat(path, &b), 0);
    assert_int_equal(a.st_ino, b.st_ino); /* the existing file was kept, not rewritten */

    /* The same bytes for another account are a separate blob. */
    assert_int_equal(bs->put(bs, 8, sha, gif, sizeof gif, key2, sizeof key2), TGR_OK);
    assert_string_not_equal(key1, key2);

    /* A damaged file (wrong size) under the name is replaced. */
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("x", fp);
    fclose(fp);
    assert_int_equal(bs->put(bs, 7, sha, gif, sizeof gif, key2, sizeof key2), TGR_OK);
    void *data;
    size_t len;
    assert_int_equal(bs->get(bs, key1, &data, &len), TGR_OK);
    assert_int_equal(len, sizeof gif);
    assert_memory_equal(data, gif, sizeof gif);
    free(data);

    /* Empty blobs are fine. */
    sha_hex("", 0, sha);
    assert_int_equal(bs->put(bs, 7, sha, "", 0, key2, sizeof key2), TGR_OK);
    assert_int_equal(bs->get(bs, key2, &data, &len), TGR_OK);
    assert_int_equal(len, 0);
    free(data);
}

static void blob_put_checks_its_input(void **state)
{
    struct fixture *f = *state;
    struct blobstore *bs = f->bs;
    char sha[65], key[128];
    sha_hex(jpeg, sizeof jpeg, sha);
    /* The name must be the hash of the bytes. */
    assert_int_equal(bs->put(bs, 1, png_sha256, jpeg, sizeof jpeg, key, sizeof key), TGR_ERR);
    /* Uppercase, short, or path-like hashes. */
    char upper[65];
    for (int i = 0; i < 65; i++)
        upper[i] = (char)(sha[i] >= 'a' && sha[i] <= 'f' ? sha[i] - 32 : sha[i]);
    assert_int_equal(bs->put(bs, 1, upper, jpeg, sizeof jpeg, key, sizeof key), TGR_ERR);
    assert_int_equal(bs->put(bs, 1, "../../etc/passwd", jpeg, sizeof jpeg, key, sizeof key), TGR_ERR);
    assert_int_equal(bs->put(bs, -1, sha, jpeg, sizeof jpeg, key, sizeof key), TGR_ERR);
    /* A key buffer too small for the key. */
    assert_int_equal(bs->put(bs, 1, sha, jpeg, sizeof jpeg, key, 10), TGR_ERR);
    assert_int_equal(count_entries(f->root), 0);
}

static void blob_hostile_keys(void **state)
{
    struct fixture *f = *state;
    struct blobstore *bs = f->bs;
    char sha[65], key[128], path[512];
    sha_hex(webp, sizeof webp, sha);
    assert_int_equal(bs->put(bs, 3, sha, webp, sizeof webp, key, sizeof key), TGR_OK);

    char k[16][160];
    int n = 0;
    snprintf(k[n++], sizeof k[0], "%s", "");
    snprintf(k[n++], sizeof k[0], "%s", "../etc/passwd");
    snprintf(k[n++], sizeof k[0], "%s", "/etc/passwd");
    snprintf(k[n++], sizeof k[0], "3/../3/%s", sha);
    snprintf(k[n++], sizeof k[0], "/3/%s", sha);
    snprintf(k[n++], sizeof k[0], "03/%s", sha);
    snprintf(k[n++], sizeof k[0], "3//%s", sha);
    snprintf(k[n++], sizeof k[0], "-3/%s", sha);
    snprintf(k[n++], sizeof k[0], "3/%s/", sha);
    snprintf(k[n++], sizeof k[0], "3/%.63s", sha);
    snprintf(k[n++], sizeof k[0], "3/%sa", sha);
    snprintf(k[n++], sizeof k[0], "3/..%.62s", sha);
    snprintf(k[n++], sizeof k[0], "x/%s", sha);
    snprintf(k[n++], sizeof k[0], "3");
    snprintf(k[n++], sizeof k[0], "99999999999999999999/%s", sha);
    snprintf(k[n++], sizeof k[0], "3/%s", sha);
    k[n - 1][2] = 'A'; /* uppercase hex */
    for (int i = 0; i < n; i++) {
        void *data = (void *)1;
        size_t len = 1;
        assert_int_equal(bs->get(bs, k[i], &data, &len), TGR_ERR);
        assert_null(data);
        assert_int_equal(bs->local_path(bs, k[i], path, sizeof path), TGR_ERR);
        assert_int_equal(bs->remove(bs, k[i]), TGR_ERR);
    }
    assert_int_equal(bs->get(bs, NULL, &(void *){NULL}, &(size_t){0}), TGR_ERR);
    /* The blob is still there. */
    assert_int_equal(bs->local_path(bs, key, path, sizeof path), TGR_OK);
}

static void blob_refuses_symlinks(void **state)
{
    struct fixture *f = *state;
    struct blobstore *bs = f->bs;
    char sha[65], key[128], link[512], path[512];
    sha_hex(gif87, sizeof gif87, sha);
    char acct[256];
    snprintf(acct, sizeof acct, "%s/5", f->root);
    assert_int_equal(mkdir(acct, 0700), 0);
    snprintf(link, sizeof link, "%s/%s", acct, sha);
    assert_int_equal(symlink("/etc/passwd", link), 0);
    snprintf(key, sizeof key, "5/%s", sha);
    void *data = NULL;
    size_t len;
    assert_int_equal(bs->get(bs, key, &data, &len), TGR_ERR);
    assert_int_equal(bs->local_path(bs, key, path, sizeof path), TGR_ERR);
    /* put replaces the link with the real bytes rather than writing through it. */
    assert_int_equal(bs->put(bs, 5, sha, gif87, sizeof gif87, key, sizeof key), TGR_OK);
    struct stat sb;
    assert_int_equal(lstat(link, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
}

static void blob_open_failures(void **st)
{
    char err[256] = "";
    assert_null(blobstore_local_open("", err, sizeof err));
    assert_true(err[0] != '\0');
    err[0] = '\0';
    assert_null(blobstore_local_open("/dev/null/media", err, sizeof err));
    assert_non_null(strstr(err, "/dev/null/media"));
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_the_five_types),
        cmocka_unit_test(mp4_brands),
        cmocka_unit_test(rejects_disguised_content),
        cmocka_unit_test(empty_is_empty),
        cmocka_unit_test(size_limits_follow_the_type),
        cmocka_unit_test(sha256_is_lowercase_hex),
        cmocka_unit_test(threads_have_their_own_handle),
        cmocka_unit_test_setup_teardown(blob_round_trip, bs_setup, bs_teardown),
        cmocka_unit_test_setup_teardown(blob_put_is_idempotent, bs_setup, bs_teardown),
        cmocka_unit_test_setup_teardown(blob_put_checks_its_input, bs_setup, bs_teardown),
        cmocka_unit_test_setup_teardown(blob_hostile_keys, bs_setup, bs_teardown),
        cmocka_unit_test_setup_teardown(blob_refuses_symlinks, bs_setup, bs_teardown),
        cmocka_unit_test(blob_open_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
