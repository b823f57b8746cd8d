/* people — what the shop can see and do about people (issue 16; API.md "Results per person",
 * "Opt-outs", "Contacts"): a campaign's recipient rows with what each person did, read in pages
 * in (step, id) order; the contact filters of GET /contacts and /contacts.csv; opting a person
 * out or back in by hand, kept in the contact audit log. The HTTP handlers (http/h_people.c,
 * http/h_contacts.c) parse, call these and reply; the CSV exports call the scans page by page.
 * Layer: core. */
#ifndef TGR_PEOPLE_H
#define TGR_PEOPLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sealed.h"
#include "store/store.h"

struct app;

/* ---- a campaign's recipients ---- */

/* A recipient row's status as the API shows it: pending (also while being sent), sent, failed,
 * skipped, and cancelled — the rows a cancelled campaign never sent. */
#define RESULT_STATUSES(X)                                                                                   \
    X(RS_PENDING, "pending")                                                                                 \
    X(RS_SENT, "sent")                                                                                       \
    X(RS_FAILED, "failed")                                                                                   \
    X(RS_SKIPPED, "skipped")                                                                                 \
    X(RS_CANCELLED, "cancelled")

enum result_status {
#define X(id, name) id,
    RESULT_STATUSES(X)
#undef X
        RS_COUNT
};

const char *result_status_name(enum result_status s);
/* @return TGR_OK with *out, or TGR_ERR for a name that is none of them */
int result_status_parse(const char *name, enum result_status *out);
/* The status the API shows for a row stored with `stored` in a campaign that is (or not) cancelled. */
enum result_status result_status_of(const char *stored, int campaign_cancelled);

/* A reading of a campaign's recipient rows: every step asked for, ascending, each in id order. */
struct results_scan {
    int64_t account_id, campaign_id;
    unsigned statuses; /* stored statuses read (bits 1 << enum recipient_status) */
    int cancelled;     /* the campaign is cancelled */
    int *steps;        /* the steps to read, ascending (malloc'd) */
    size_t n_steps, at;
    int64_t after; /* the last row read in steps[at] */
    int64_t total; /* rows of the filter, from the per-step counters */
};

enum results_outcome { RESULTS_OK, RESULTS_NOT_FOUND, RESULTS_BAD_AFTER, RESULTS_STORE };

/* Start reading campaign_id's rows (of account_id: else RESULTS_NOT_FOUND) whose API status is
 * status (RS_COUNT: any) and whose step is step (-1: any), after recipient row `after` (0: from
 * the first; a row that is not one of them: RESULTS_BAD_AFTER). s->total counts the filter's
 * rows (campaign_steps' counters, no scan). Close s with results_close on RESULTS_OK. */
enum results_outcome results_open(struct store *st, int64_t account_id, int64_t campaign_id,
                                  enum result_status status, int step, int64_t after, struct results_scan *s);
/* The next up to limit rows. @param[out] rows malloc'd (result_row_release each, then free)
 * @return DB_ONE, DB_NONE (no more), DB_SOFT, DB_HARD */
TGR_MUST_CHECK enum db_status results_next(struct store *st, struct results_scan *s, int limit,
                                           struct result_row **rows, size_t *n);
void results_close(struct results_scan *s);

/* One page for GET /campaigns/:id/recipients: up to limit rows, and the row id to read on from
 * (0 when this is the last page). */
struct results_page {
    struct result_row *rows;
    size_t n;
    int64_t next_after, total;
    int cancelled;
};
enum results_outcome results_page_read(struct store *st, int64_t account_id, int64_t campaign_id,
                                       enum result_status status, int step, int64_t after, int limit,
                                       struct results_page *out);
void results_page_release(struct results_page *p);

/* Open a row's sealed names (as contact_open does; phone and access hash stay NULL). */
int result_names_open(struct app *app, int64_t account_id, const struct result_row *row,
                      struct contact_plain *out);

/* ---- contacts ---- */

/* The filters of GET /contacts: category (enum category, -1 any), q (a piece of a name, username
 * or phone, NULL for none), opted_out (1 opted out, 0 not, -1 either). */
struct contact_filter {
    int category;
    const char *q;
    int opted_out;
};

/* fn's view of one contact that passes the filter: c as stored, p its sealed fields opened. */
typedef int (*contact_fn)(void *cls, const struct contact *c, const struct contact_plain *p);

/* The contacts of the account after *cursor that pass f, in id order, reading one store page of
 * at most `page` rows: fn for each (its non-zero return stops; the rows read so far count as read).
 * *cursor moves past every row read. @return DB_ONE (rows were read: more may follow), DB_NONE
 * (no rows left), DB_SOFT, DB_HARD. A contact whose sealed fields do not open is skipped (logged). */
TGR_MUST_CHECK enum db_status contacts_scan(struct app *app, int64_t account_id,
                                            const struct contact_filter *f, int64_t *cursor, int page,
                                            contact_fn fn, void *cls);

/* The API's contact object of c, p its sealed fields opened. @return a new reference */
json_t *contact_to_json(struct app *app, int64_t account_id, const struct contact *c,
                        const struct contact_plain *p);

/* ---- opt-outs by hand ---- */

enum opt_out_outcome { OPT_OUT_CHANGED, OPT_OUT_UNCHANGED, OPT_OUT_NOT_FOUND, OPT_OUT_STORE };

/* Opt the contact out (out 1) or back in (out 0) by hand: who (core/audit.h) is the user or API
 * key and its address, reason NULL for none. Opting out is the rule a stop message follows
 * (core/outcome.c: counted in the campaigns that reached the person, pending messages skipped);
 * opting in clears the mark only (messages skipped meanwhile stay skipped). Either leaves a line
 * in the contact audit log, with the reason sealed, and an entry in the account audit log (without
 * the reason: issue 19), in the same transaction; one that changes nothing leaves neither
 * (OPT_OUT_UNCHANGED). */
struct audit_who;
enum opt_out_outcome contact_opt_out_by_hand(struct app *app, int64_t account_id, int64_t contact_id, int out,
                                             const struct audit_who *who, const char *reason);

#endif
