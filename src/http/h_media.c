/* h_media — POST /media/upload and GET /media/:id (API.md "Media"). The upload arrives in a
 * spool file (http/spool.h: hashed as it arrives, a multipart body reduced to its "file" field);
 * its type is decided from its leading bytes (core/media.c) and it goes to the blob store,
 * deduplicated per account by sha256, on a worker. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/app.h"
#include "core/media.h"
#include "base/util.h"
#include "http/handlers.h"
#include "http/server.h"
#include "http/spool.h"
#include "blob/blobstore.h"

static json_t *media_json(const struct media_row *m)
{
    return json_pack("{s:I, s:s, s:s, s:I, s:s}", "id", (json_int_t)m->id, "kind", m->kind, "mime", m->mime,
                     "size", (json_int_t)m->size, "sha256", m->sha256);
}

/* On a worker (kind "media"): classify the spooled file from its leading bytes, store it in the
 * blob store (fsync'd, or an S3 PUT with retries) and record it. */
static void upload_job(struct req *r)
{
    struct spool *sp = r->spool;
    size_t len = (size_t)spool_size(sp);
    size_t want = len < MEDIA_SNIFF_MAX ? len : MEDIA_SNIFF_MAX;
    char *head = malloc(want ? want : 1);
    struct blob_src src = {NULL, spool_fd(sp), len};
    long got = head ? blob_src_read(&src, 0, head, want) : -1;
    if (got < 0 || (size_t)got != want) {
        free(head);
        reply_error(r, ERR_UNAVAILABLE, NULL, "the upload cannot be read back right now");
        return;
    }
    struct media_info info;
    enum media_verdict v = media_sniff_head(head, want, len, spool_sha256(sp), &info);
    free(head);
    switch (v) {
    case MEDIA_OK:
        break;
    case MEDIA_EMPTY:
        reply_error(r, ERR_VALIDATION, "file", "the file is empty");
        return;
    case MEDIA_TOO_LARGE:
        reply_error(r, ERR_TOO_LARGE, "file", "%s files may be at most %u MiB", info.kind,
                    (strcmp(info.kind, "video") == 0 ? MEDIA_VIDEO_MAX : MEDIA_PHOTO_MAX) / (1024 * 1024));
        return;
    case MEDIA_UNSUPPORTED:
        reply_error(r, ERR_UNSUPPORTED_MEDIA_TYPE, "file",
                    "the file is %s; allowed are JPEG, PNG, WebP and GIF photos and MP4 videos",
                    info.detected[0] ? info.detected : "of an unknown type");
        return;
    }
    struct media_row m, out;
    memset(&m, 0, sizeof m);
    snprintf(m.kind, sizeof m.kind, "%s", info.kind);
    snprintf(m.mime, sizeof m.mime, "%s", info.mime);
    snprintf(m.sha256, sizeof m.sha256, "%s", info.sha256);
    m.size = (int64_t)info.size;
    struct blobstore *bs = r->app->media;
    if (!bs || bs->put_fd(bs, r->account_id, info.sha256, spool_fd(sp), len, m.storage_key,
                          sizeof m.storage_key) != TGR_OK) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the media store cannot take the file right now");
        return;
    }
    enum db_status s = r->app->store->media_add(r->app->store, r->account_id, &m, &out);
    if (s < 0) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return;
    }
    /* The same bytes again: the existing media, 200 instead of 201. */
    reply_json(r, s == DB_ONE ? 201 : 200, media_json(&out));
}

/* The body arrived in r->spool (raw bytes, or the "file" field of a multipart body). */
enum hres media_upload_h(struct req *r)
{
    if (http_spool_finish(r) != TGR_OK) return H_NO;
    /* Hashing is done; what is left (libmagic, the blob store's fsync or S3 PUT) is slow, so it
     * runs on a worker, one upload per account at a time, never on an HTTP thread. */
    http_defer(r, r->app->tg_pool, "media", upload_job);
    return H_DEFER;
}

enum hres media_get_h(struct req *r)
{
    int64_t id;
    struct media_row m;
    if (parse_i64(route_param(&r->params, "id"), 1, INT64_MAX, &id) != TGR_OK ||
        r->app->store->media_get(r->app->store, r->account_id, id, &m) != DB_ONE) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no such media");
        return H_NO;
    }
    void *data = NULL;
    size_t len = 0;
    if (!r->app->media || r->app->media->get(r->app->media, m.storage_key, &data, &len) != TGR_OK) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the media file cannot be read right now");
        return H_NO;
    }
    reply_data(r, 200, m.mime, data, len);
    free(data);
    reply_header(r, "Cache-Control", "private, max-age=86400");
    reply_header(r, "Content-Disposition", "inline");
    return H_OK;
}
