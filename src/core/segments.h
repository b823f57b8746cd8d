/* segments — saved audiences (API.md "Segments"): a name and filters (core/campaign.c's), checked
 * and kept in canonical form; how many people one reaches now; the one rule about deleting one
 * (not while a draft or scheduled campaign names it); and the filters a campaign's audience is
 * made of — its segment's as they are when asked (at its start: when it starts), else its own.
 * Layer: core. */
#ifndef TGR_SEGMENTS_H
#define TGR_SEGMENTS_H

#include <jansson.h>
#include <stdint.h>

#include "base/jspec.h"
#include "core/campaign.h"

struct app;
struct account;
struct campaign;
struct segment;
struct store;

#define SEGMENT_NAME_MAX 200 /* characters */

enum segment_outcome {
    SEGMENT_OK,
    SEGMENT_NOT_FOUND, /* no such segment of this account */
    SEGMENT_INVALID,   /* err names the field ("name", "filters.min_orders") */
    SEGMENT_IN_USE,    /* a draft or scheduled campaign names it */
    SEGMENT_STORE,     /* the database failed: nothing changed */
};

/* Create a segment (*id 0) or change segment *id: name NULL keeps its name, has_filters 0 keeps
 * its filters (filters NULL or JSON null: no filters, everyone). Campaign ids in the filters must
 * be the account's. @param[out] out the segment as stored (may be NULL) */
enum segment_outcome segment_write(struct store *st, int64_t account_id, int64_t *id, const char *name,
                                   int has_filters, json_t *filters, struct segment *out,
                                   struct jspec_error *err);

/* Delete segment id unless a draft or scheduled campaign names it (one transaction). */
enum segment_outcome segment_remove(struct store *st, int64_t account_id, int64_t id);

/* The filters campaign c's audience is made of: its segment's as stored now when it names one
 * and has not started (draft, scheduled), else its own (a started one keeps its segment's). @param[out] json
 * (may be NULL) their canonical text, malloc'd
 * @return TGR_OK, or TGR_ERR (a read failed, or what is stored does not parse: logged) */
int campaign_audience_filters(struct store *st, int64_t account_id, const struct campaign *c,
                              struct filters *f, char **json);

/* How many people filters_json (canonical filters text) reaches now, as a campaign's audience
 * would (opt-outs, marks, acct's frequency cap). @return TGR_OK, or TGR_ERR */
int segment_reach(struct app *app, const struct account *acct, const char *filters_json, int64_t *count);

#endif
