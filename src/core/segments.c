/* segments — saved audiences; see segments.h. */
#include "core/segments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "core/audience.h"
#include "core/cstate.h"
#include "store/store.h"

static enum segment_outcome invalid(struct jspec_error *err, const char *field, const char *msg)
{
    err->code = ERR_VALIDATION;
    snprintf(err->field, sizeof err->field, "%s", field);
    snprintf(err->message, sizeof err->message, "%s %s", field, msg);
    return SEGMENT_INVALID;
}

/* Parse filters text as stored (NULL: none) without the account check (it was made on saving). */
static int parse_stored(const char *text, struct filters *f)
{
    struct jspec_error err;
    json_error_t je;
    json_t *j = text ? json_loads(text, 0, &je) : NULL;
    int rc = text && !j ? TGR_ERR : filters_parse(j, NULL, 0, f, &err);
    json_decref(j);
    return rc;
}

enum segment_outcome segment_write(struct store *st, int64_t account_id, int64_t *id, const char *name,
                                   int has_filters, json_t *filters, struct segment *out,
                                   struct jspec_error *err)
{
    struct segment s;
    memset(&s, 0, sizeof s);
    snprintf(s.filters_json, sizeof s.filters_json, "{}");
    if (*id) {
        enum db_status r = st->segment_get(st, account_id, *id, &s);
        if (r != DB_ONE) return r < 0 ? SEGMENT_STORE : SEGMENT_NOT_FOUND;
    }
    if (name) {
        int visible = 0, control = 0;
        for (const unsigned char *t = (const unsigned char *)name; *t; t++) {
            visible |= *t > ' ';
            control |= *t < ' ' || *t == 0x7f;
        }
        if (!visible || control)
            return invalid(err, "name", "must have visible characters and no line breaks");
        if (utf8_chars(name) > SEGMENT_NAME_MAX || strlen(name) >= sizeof s.name)
            return invalid(err, "name", "must be at most 200 characters");
        snprintf(s.name, sizeof s.name, "%s", name);
    } else if (!*id) {
        return invalid(err, "name", "is required");
    }
    if (has_filters) {
        struct filters f;
        if (filters_parse(filters, st, account_id, &f, err) != TGR_OK) return SEGMENT_INVALID;
        json_t *j = filters_to_json(&f);
        char *text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!text) return SEGMENT_STORE;
        int fits = strlen(text) < sizeof s.filters_json;
        if (fits) snprintf(s.filters_json, sizeof s.filters_json, "%s", text);
        free(text);
        if (!fits) return invalid(err, "filters", "are too long");
    }
    enum db_status r = st->segment_save(st, account_id, &s, id);
    if (r < 0) return SEGMENT_STORE;
    if (r == DB_NONE) return SEGMENT_NOT_FOUND; /* deleted meanwhile */
    if (out) {
        r = st->segment_get(st, account_id, *id, out);
        if (r != DB_ONE) return r < 0 ? SEGMENT_STORE : SEGMENT_NOT_FOUND;
    }
    return SEGMENT_OK;
}

struct removal {
    int64_t account_id, id;
    int in_use;
};

static enum db_status remove_unused(struct store *st, void *cls)
{
    struct removal *rm = cls;
    char statuses[40];
    int64_t n = 0;
    rm->in_use = 0;
    snprintf(statuses, sizeof statuses, "%s,%s", campaign_status_name(CAMPAIGN_DRAFT),
             campaign_status_name(CAMPAIGN_SCHEDULED));
    enum db_status r = st->segment_campaigns(st, rm->account_id, rm->id, statuses, &n);
    if (r < 0) return r;
    if (n > 0) {
        rm->in_use = 1;
        return DB_NONE;
    }
    return st->segment_delete(st, rm->account_id, rm->id);
}

enum segment_outcome segment_remove(struct store *st, int64_t account_id, int64_t id)
{
    struct removal rm = {account_id, id, 0};
    enum db_status r = st->txn(st, TX_NORMAL, remove_unused, &rm);
    if (r < 0) return SEGMENT_STORE;
    if (rm.in_use) return SEGMENT_IN_USE;
    return r == DB_ONE ? SEGMENT_OK : SEGMENT_NOT_FOUND;
}

int campaign_audience_filters(struct store *st, int64_t account_id, const struct campaign *c,
                              struct filters *f, char **json)
{
    if (json) *json = NULL;
    const char *text = c->filters_json;
    struct segment s;
    enum campaign_status cs;
    int unstarted =
        campaign_status_parse(c->status, &cs) == 0 && (cs == CAMPAIGN_DRAFT || cs == CAMPAIGN_SCHEDULED);
    if (c->segment_id && unstarted) {
        enum db_status r = st->segment_get(st, account_id, c->segment_id, &s);
        if (r != DB_ONE) {
            if (r == DB_NONE)
                log_error("segments", "campaign %lld: its segment %lld is gone", (long long)c->id,
                          (long long)c->segment_id);
            return TGR_ERR;
        }
        text = s.filters_json;
    }
    if (parse_stored(text, f) != TGR_OK) {
        /* Saved filters were checked when saved: an unreadable one is damage, not the user's. */
        log_error("segments", "campaign %lld: stored filters do not parse", (long long)c->id);
        return TGR_ERR;
    }
    if (json && text && !(*json = strdup(text))) return TGR_ERR;
    return TGR_OK;
}

int segment_reach(struct app *app, const struct account *acct, const char *filters_json, int64_t *count)
{
    struct filters f;
    struct audience a;
    *count = 0;
    if (parse_stored(filters_json, &f) != TGR_OK) return TGR_ERR;
    if (audience_resolve(app, acct->id, &f, acct->frequency_cap_days, &a) != TGR_OK) return TGR_ERR;
    *count = (int64_t)a.n;
    audience_release(&a);
    return TGR_OK;
}
