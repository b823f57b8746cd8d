/* csvout — CSV text with libcsv, guarded cells, and the streamed reply; see csvout.h. */
#include "http/csvout.h"

#include <csv.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "http/server.h"

/* What a spreadsheet may take for the start of a formula. */
static const char FORMULA_START[] = {'=', '+', '-', '@', '\t', '\r'};

static int grow(struct csv_buf *b, size_t more)
{
    if (b->failed) return TGR_ERR;
    if (b->len + more <= b->cap) return TGR_OK;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = 1;
        return TGR_ERR;
    }
    b->p = p;
    b->cap = cap;
    return TGR_OK;
}

void csv_cell(struct csv_buf *b, const char *s, size_t n)
{
    int guard = s && n && memchr(FORMULA_START, s[0], sizeof FORMULA_START) != NULL;
    size_t need = s ? csv_write(NULL, 0, s, n) : 0; /* the quoted text's length */
    if (grow(b, need + 2) != TGR_OK) return;        /* and a comma, and the guard's quote */
    if (b->cells++) b->p[b->len++] = ',';
    if (!s) return; /* an empty cell */
    char *at = b->p + b->len;
    if (guard) {
        /* "'text": the opening quote, then the quoted text with its own opening quote replaced */
        at[0] = '"';
        csv_write(at + 1, need, s, n);
        at[1] = '\'';
        b->len += need + 1;
    } else {
        b->len += csv_write(at, need, s, n);
    }
}

void csv_end_record(struct csv_buf *b)
{
    if (grow(b, 2) != TGR_OK) return;
    b->p[b->len++] = '\r';
    b->p[b->len++] = '\n';
    b->cells = 0;
}

void csv_json_record(struct csv_buf *b, json_t *obj, const char *const *names)
{
    for (size_t i = 0; names[i]; i++) {
        json_t *v = json_object_get(obj, names[i]);
        char num[40];
        switch (v ? json_typeof(v) : JSON_NULL) {
        case JSON_STRING:
            csv_cell(b, json_string_value(v), json_string_length(v));
            break;
        case JSON_INTEGER:
            snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
            csv_cell(b, num, strlen(num));
            break;
        case JSON_REAL:
            snprintf(num, sizeof num, "%.10g", json_real_value(v));
            csv_cell(b, num, strlen(num));
            break;
        case JSON_TRUE:
            csv_cell(b, "true", 4);
            break;
        case JSON_FALSE:
            csv_cell(b, "false", 5);
            break;
        default: /* null, or a shape no export has */
            csv_cell(b, NULL, 0);
            break;
        }
    }
    csv_end_record(b);
}

void csv_buf_free(struct csv_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

struct csv_stream {
    struct csv_buf b;
    size_t off; /* bytes of b already handed to MHD */
    int done;   /* the producer said the last page */
    csv_next_fn next;
    void *ctx;
    void (*ctx_free)(void *);
};

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct csv_stream *s = cls;
    (void)pos;
    while (s->off == s->b.len) {
        if (s->done) return MHD_CONTENT_READER_END_OF_STREAM;
        s->b.len = s->off = 0; /* the buffer is kept: one page's size, whatever the export's */
        int k = s->next(s->ctx, &s->b);
        if (k < 0 || s->b.failed) return MHD_CONTENT_READER_END_WITH_ERROR;
        s->done = k == 0;
    }
    size_t n = s->b.len - s->off < max ? s->b.len - s->off : max;
    memcpy(buf, s->b.p + s->off, n);
    s->off += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct csv_stream *s = cls;
    s->ctx_free(s->ctx);
    csv_buf_free(&s->b);
    free(s);
}

int csv_reply(struct req *r, const char *filename, const char *const *names, csv_next_fn next, void *ctx,
              void (*ctx_free)(void *))
{
    struct csv_stream *s = calloc(1, sizeof *s);
    if (!s) {
        ctx_free(ctx);
        reply_error(r, ERR_INTERNAL, NULL, NULL);
        return 0;
    }
    s->next = next;
    s->ctx = ctx;
    s->ctx_free = ctx_free;
    for (size_t i = 0; names[i]; i++)
        csv_cell(&s->b, names[i], strlen(names[i]));
    csv_end_record(&s->b);
    int k = next(ctx, &s->b);
    struct MHD_Response *resp = NULL;
    if (k >= 0 && !s->b.failed)
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, reader, s, stream_free);
    if (!resp) {
        stream_free(s);
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return 0;
    }
    s->done = k == 0;
    char disposition[160];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", filename);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/csv; charset=utf-8");
    MHD_add_response_header(resp, "Content-Disposition", disposition);
    if (r->resp) MHD_destroy_response(r->resp);
    r->resp = resp;
    r->status = 200;
    return 0;
}
