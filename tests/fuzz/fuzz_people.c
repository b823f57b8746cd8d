/* fuzz_people — what issue 16 reads from outside and writes for spreadsheets: a timeline's after
 * cursor (core/timeline.c timeline_cursor_parse), a recipients status filter (core/people.c
 * result_status_parse) and a CSV cell (http/csvout.c csv_cell). Input: cursor '\n' status '\n'
 * cell bytes (the rest, NULs included).
 *
 * Invariants: a cursor that parses has its fields in range and reads back the same after
 * formatting; a status parses exactly when it is one of the five names, and names itself; a cell
 * written beside a plain one and read back by libcsv in strict mode is one record of two fields:
 * the bytes given (after a "'" when they begin with = + - @ tab or CR) and the plain one. */
#include <csv.h>

#include "base/util.h"
#include "core/people.h"
#include "core/timeline.h"
#include "fuzz.h"
#include "http/csvout.h"

struct read_back {
    int fields, records, bad;
    const char *want;
    size_t want_len;
};

static void on_field(void *s, size_t len, void *cls)
{
    struct read_back *rb = cls;
    if (rb->fields == 0 && (len != rb->want_len || (len && memcmp(s, rb->want, len) != 0))) rb->bad = 1;
    if (rb->fields == 1 && (len != 5 || memcmp(s, "plain", 5) != 0)) rb->bad = 1;
    rb->fields++;
}

static void on_record(int c, void *cls)
{
    (void)c;
    ((struct read_back *)cls)->records++;
}

static void check_cell(const uint8_t *data, size_t size)
{
    struct csv_buf b = {0};
    csv_cell(&b, (const char *)data, size);
    csv_cell(&b, "plain", 5);
    csv_end_record(&b);
    FUZZ_CHECK(!b.failed);
    int guard = size && memchr("=+-@\t\r", data[0], 6) != NULL;
    char *want = malloc(size + 2);
    if (!want) abort();
    want[0] = '\'';
    if (size) memcpy(want + guard, data, size);
    struct read_back rb = {0, 0, 0, guard ? want : (const char *)data, size + (size_t)guard};
    struct csv_parser p;
    FUZZ_CHECK(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) == 0);
    FUZZ_CHECK(csv_parse(&p, b.p, b.len, on_field, on_record, &rb) == b.len);
    FUZZ_CHECK(csv_fini(&p, on_field, on_record, &rb) == 0);
    csv_free(&p);
    FUZZ_CHECK(!rb.bad && rb.fields == 2 && rb.records == 1);
    free(want);
    csv_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *cursor = fuzz_take(&data, &size, '\n');
    char *status = fuzz_take(&data, &size, '\n');
    struct timeline_key k, again;
    if (timeline_cursor_parse(cursor, &k) == TGR_OK) {
        FUZZ_CHECK(k.at >= 0 && k.id >= 0 && k.kind >= 0 && k.kind <= 1000);
        char text[TIMELINE_CURSOR_MAX];
        timeline_cursor_format(&k, text, sizeof text);
        FUZZ_CHECK(timeline_cursor_parse(text, &again) == TGR_OK);
        FUZZ_CHECK(again.at == k.at && again.kind == k.kind && again.id == k.id);
    }
    enum result_status rs;
    int known = 0;
    for (int i = 0; i < RS_COUNT; i++)
        known |= strcmp(status, result_status_name((enum result_status)i)) == 0;
    if (result_status_parse(status, &rs) == TGR_OK) {
        FUZZ_CHECK(known && strcmp(result_status_name(rs), status) == 0);
    } else {
        FUZZ_CHECK(!known);
    }
    check_cell(data, size);
    free(cursor);
    free(status);
    return 0;
}
