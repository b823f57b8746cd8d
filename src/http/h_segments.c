/* h_segments — saved audiences (API.md "Segments"): create, list, read, change and delete, each
 * with the number of people it reaches now. Parse, one core call (core/segments.c holds the
 * rules: validation naming the field, deletion refused while a draft or scheduled campaign
 * names the segment), reply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/util.h"
#include "core/segments.h"
#include "http/handlers.h"
#include "http/server.h"
#include "store/store.h"

static enum hres db_failed(struct req *r)
{
    reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
    return H_NO;
}

static enum hres not_found(struct req *r)
{
    reply_error(r, ERR_NOT_FOUND, NULL, "no such segment");
    return H_NO;
}

static int path_id(struct req *r, int64_t *id)
{
    if (parse_i64(route_param(&r->params, "id"), 1, INT64_MAX, id) == TGR_OK) return TGR_OK;
    not_found(r);
    return TGR_ERR;
}

static json_t *time_json(int64_t ms)
{
    char t[40];
    rfc3339(ms, t, sizeof t);
    return json_string(t);
}

/* The API's segment object with its live count, or NULL when the count cannot be read. */
static json_t *segment_json(struct req *r, const struct segment *s)
{
    int64_t count = 0;
    if (segment_reach(r->app, &r->account, s->filters_json, &count) != TGR_OK) return NULL;
    json_error_t je;
    json_t *filters = json_loads(s->filters_json, 0, &je);
    return json_pack("{s:I, s:s, s:o, s:I, s:o, s:o}", "id", (json_int_t)s->id, "name", s->name, "filters",
                     filters ? filters : json_object(), "count", (json_int_t)count, "created_at",
                     time_json(s->created_at), "updated_at", time_json(s->updated_at));
}

static enum hres reply_segment(struct req *r, unsigned status, const struct segment *s)
{
    json_t *o = segment_json(r, s);
    if (!o) return db_failed(r);
    reply_json(r, status, o);
    return H_OK;
}

/* Create (id 0) or change a segment from the body; filters are required on create. */
static enum hres write_segment(struct req *r, int64_t id)
{
    const char *name = NULL;
    json_t *filters = NULL;
    int has_filters = 0, create = id == 0;
    struct jfield spec[] = {
        !create ? JF_OPTIONAL(JF_STRING_LEN("name", &name, 1, SEGMENT_NAME_MAX))
                : JF_STRING_LEN("name", &name, 1, SEGMENT_NAME_MAX),
        jf_present(!create ? JF_NULLABLE(JF_OBJECT("filters", &filters)) : JF_OBJECT("filters", &filters),
                   &has_filters),
        JF_END,
    };
    if (http_parse_spec(r, spec) != TGR_OK) return H_NO;
    struct segment s;
    struct jspec_error err;
    switch (segment_write(r->app->store, r->account_id, &id, name, has_filters, filters, &s, &err)) {
    case SEGMENT_OK:
        http_audit(r, create ? AUDIT_SEGMENT_CREATE : AUDIT_SEGMENT_UPDATE, "segment", id,
                   audit_body_fields(r));
        return reply_segment(r, create ? 201 : 200, &s);
    case SEGMENT_NOT_FOUND:
        return not_found(r);
    case SEGMENT_INVALID:
        reply_error(r, err.code, err.field, "%s", err.message);
        return H_NO;
    case SEGMENT_IN_USE:
    case SEGMENT_STORE:
        break;
    }
    return db_failed(r);
}

enum hres segments_create_h(struct req *r)
{
    return write_segment(r, 0);
}

enum hres segments_patch_h(struct req *r)
{
    int64_t id;
    if (path_id(r, &id) != TGR_OK) return H_NO;
    return write_segment(r, id);
}

enum hres segments_list_h(struct req *r)
{
    struct segment *rows = NULL;
    size_t n = 0;
    if (r->app->store->segment_list(r->app->store, r->account_id, &rows, &n) < 0) return db_failed(r);
    json_t *list = json_array();
    for (size_t i = 0; i < n && list; i++) {
        json_t *o = segment_json(r, &rows[i]);
        if (!o) {
            json_decref(list);
            list = NULL;
        } else {
            json_array_append_new(list, o);
        }
    }
    free(rows);
    if (!list) return db_failed(r);
    reply_json(r, 200, json_pack("{s:o}", "segments", list));
    return H_OK;
}

enum hres segments_get_h(struct req *r)
{
    int64_t id;
    struct segment s;
    if (path_id(r, &id) != TGR_OK) return H_NO;
    enum db_status rc = r->app->store->segment_get(r->app->store, r->account_id, id, &s);
    if (rc < 0) return db_failed(r);
    if (rc == DB_NONE) return not_found(r);
    return reply_segment(r, 200, &s);
}

enum hres segments_delete_h(struct req *r)
{
    int64_t id;
    if (path_id(r, &id) != TGR_OK) return H_NO;
    switch (segment_remove(r->app->store, r->account_id, id)) {
    case SEGMENT_OK:
        http_audit(r, AUDIT_SEGMENT_DELETE, "segment", id, NULL);
        reply_empty(r, 204);
        return H_OK;
    case SEGMENT_NOT_FOUND:
        return not_found(r);
    case SEGMENT_IN_USE:
        reply_error(r, ERR_INVALID_STATE, NULL,
                    "a draft or scheduled campaign uses this segment; give it other filters first");
        return H_NO;
    case SEGMENT_INVALID:
    case SEGMENT_STORE:
        break;
    }
    return db_failed(r);
}
