/* csvout — CSV replies (API.md "Results per person": GET /campaigns/:id/recipients.csv and GET
 * /contacts.csv), written with libcsv (Debian's libcsv, as the orders import reads): RFC 4180,
 * every field quoted (csv_write), CRLF after each record, a header row first. A cell whose text
 * begins with '=', '+', '-', '@', a tab or a carriage return gets a leading "'" so that a
 * spreadsheet shows it instead of running it as a formula (OWASP "CSV injection").
 *
 * Streamed: the reply is an MHD response callback that asks a producer for one page of rows at a
 * time (keyset pages of the store) whenever what it wrote before has gone out, so the server
 * holds one page whatever the size of the export. Each page is one bounded read, made on the
 * polling thread like any handler's. A failure after the first page ends the body without its
 * final chunk, so the client sees a cut transfer, never a short file that looks whole.
 * Layer: http. */
#ifndef TGR_CSVOUT_H
#define TGR_CSVOUT_H

#include <jansson.h>
#include <stddef.h>

struct req;

/* A growing buffer of CSV text. */
struct csv_buf {
    char *p;
    size_t len, cap;
    int failed; /* out of memory: the text is incomplete */
    int cells;  /* cells in the current record */
};

/* Append one cell of n bytes (quoted, guarded) to the current record. */
void csv_cell(struct csv_buf *b, const char *s, size_t n);
/* End the current record (CRLF). */
void csv_end_record(struct csv_buf *b);
/* One record of the values of obj named by names (NULL-terminated): strings as they are,
 * integers in decimal, reals as JSON writes them, true/false, null and missing as empty cells. */
void csv_json_record(struct csv_buf *b, json_t *obj, const char *const *names);
void csv_buf_free(struct csv_buf *b);

/* Append the next page of records to b. @return 1 (more may follow), 0 (that was the last), -1
 * (failed: the export ends as a cut transfer) */
typedef int (*csv_next_fn)(void *ctx, struct csv_buf *b);

/* Reply to r with text/csv; charset=utf-8 as an attachment named filename: the header row of
 * names, then next(ctx)'s pages until it says the end. The first page is read now, so a store
 * that fails at once is a 503 and not a cut transfer. ctx is freed with ctx_free in every case.
 * @return 0 (a reply is set) */
int csv_reply(struct req *r, const char *filename, const char *const *names, csv_next_fn next, void *ctx,
              void (*ctx_free)(void *));

#endif
