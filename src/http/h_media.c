/* h_media — POST /media/upload and GET /media/:id (API.md "Media"). The type is decided from
 * the bytes (core/media.c); the bytes go to the blob store, deduplicated per account by sha256. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/app.h"
#include "core/media.h"
#include "core/util.h"
#include "http/handlers.h"
#include "http/multipart.h"
#include "http/server.h"
#include "store/blobstore.h"

static json_t *media_json(const struct media_row *m)
{
    return json_pack("{s:I, s:s, s:s, s:I, s:s}", "id", (json_int_t)m->id, "kind", m->kind, "mime", m->mime, "size",
                     (json_int_t)m->size, "sha256", m->sha256);
}

enum hres media_upload_h(struct req *r)
{
    const char *ct = req_header(r, "Content-Type");
    const char *data = r->body;
    size_t len = r->body_len;
    if (ct && strncasecmp(ct, "multipart/form-data", 19) == 0) {
        char boundary[80], err[200];
        struct multipart_part part;
        if (multipart_boundary(ct, boundary, sizeof boundary) != TGR_OK) {
            reply_error(r, ERR_VALIDATION, "file", "the multipart Content-Type has no usable boundary");
            return H_NO;
        }
        if (multipart_find(r->body ? r->body : "", r->body_len, boundary, "file", &part, err, sizeof err) != TGR_OK) {
            reply_error(r, ERR_VALIDATION, "file", "%s", err);
            return H_NO;
        }
        data = part.data;
        len = part.len;
    }
    struct media_info info;
    switch (media_sniff(data, len, &info)) {
    case MEDIA_OK:
        break;
    case MEDIA_EMPTY:
        reply_error(r, ERR_VALIDATION, "file", "the file is empty");
        return H_NO;
    case MEDIA_TOO_LARGE:
        reply_error(r, ERR_TOO_LARGE, "file", "%s files may be at most %u MiB", info.kind,
                    (strcmp(info.kind, "video") == 0 ? MEDIA_VIDEO_MAX : MEDIA_PHOTO_MAX) / (1024 * 1024));
        return H_NO;
    case MEDIA_UNSUPPORTED:
        reply_error(r, ERR_UNSUPPORTED_MEDIA_TYPE, "file",
                    "the file is %s; allowed are JPEG, PNG, WebP and GIF photos and MP4 videos",
                    info.detected[0] ? info.detected : "of an unknown type");
        return H_NO;
    }
    struct media_row m, out;
    memset(&m, 0, sizeof m);
    snprintf(m.kind, sizeof m.kind, "%s", info.kind);
    snprintf(m.mime, sizeof m.mime, "%s", info.mime);
    snprintf(m.sha256, sizeof m.sha256, "%s", info.sha256);
    m.size = (int64_t)info.size;
    struct blobstore *bs = r->app->media;
    if (!bs || bs->put(bs, r->account_id, info.sha256, data, len, m.storage_key, sizeof m.storage_key) != TGR_OK) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the media store cannot take the file right now");
        return H_NO;
    }
    enum db_status s = r->app->store->media_add(r->app->store, r->account_id, &m, &out);
    if (s < 0) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    /* The same bytes again: the existing media, 200 instead of 201. */
    reply_json(r, s == DB_ONE ? 201 : 200, media_json(&out));
    return H_OK;
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
