/* timeline — a contact's events, opened and shaped for the API; see timeline.h. */
#include "core/timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "core/sealed.h"

const char *timeline_type_name(int kind)
{
    switch (kind) {
#define X(id, rank, name)                                                                                    \
    case id:                                                                                                 \
        return name;
        TIMELINE_KINDS(X)
#undef X
    }
    return NULL;
}

/* One decimal piece of a cursor, from s up to the next '.' (or the end when last). */
static const char *piece(const char *s, int last, int64_t max, int64_t *out)
{
    const char *end = last ? s + strlen(s) : strchr(s, '.');
    char buf[24];
    size_t len = end ? (size_t)(end - s) : 0;
    if (!end || len == 0 || len >= sizeof buf) return NULL;
    memcpy(buf, s, len);
    buf[len] = 0;
    for (size_t i = 0; i < len; i++)
        if (buf[i] < '0' || buf[i] > '9') return NULL;
    if (parse_i64(buf, 0, max, out) != TGR_OK) return NULL;
    return last ? end : end + 1;
}

int timeline_cursor_parse(const char *s, struct timeline_key *out)
{
    int64_t at, kind, id;
    if (!s || strlen(s) >= TIMELINE_CURSOR_MAX) return TGR_ERR;
    const char *p = piece(s, 0, INT64_MAX, &at);
    if (p) p = piece(p, 0, 1000, &kind);
    if (p) p = piece(p, 1, INT64_MAX, &id);
    if (!p) return TGR_ERR;
    out->at = at;
    out->kind = (int)kind;
    out->id = id;
    return TGR_OK;
}

void timeline_cursor_format(const struct timeline_key *k, char *out, size_t cap)
{
    snprintf(out, cap, "%lld.%d.%lld", (long long)k->at, k->kind, (long long)k->id);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* A sealed value of the event, opened (NULL when empty or unreadable: logged). */
static char *open_sealed(struct app *app, int64_t account_id, int64_t contact_id, const char *tg_user_id,
                         const struct timeline_row *e)
{
    char *out = NULL;
    if (!e->sealed.p) return NULL;
    int r = e->key.kind == TL_MESSAGE_IN
                ? inbound_text_open(app, account_id, tg_user_id, e->num, &e->sealed, &out)
                : audit_details_open(app, account_id, contact_id, &e->sealed, &out);
    if (r != TGR_OK) {
        log_warn("timeline", "account %lld: an event of contact %lld does not open (wrong master key?)",
                 (long long)account_id, (long long)contact_id);
        return NULL;
    }
    return out;
}

/* The API's object of one event. */
static json_t *event_json(struct app *app, int64_t account_id, const struct contact *c,
                          const struct timeline_row *e)
{
    char at[40];
    rfc3339(e->key.at, at, sizeof at);
    json_t *details = json_object(), *text = json_null();
    char *plain = open_sealed(app, account_id, c->id, c->tg_user_id, e);
    switch ((enum timeline_kind)e->key.kind) {
    case TL_MESSAGE_IN:
        text = str_or_null(plain);
        json_object_set_new(details, "tg_message_id", json_integer(e->num));
        break;
    case TL_CAMPAIGN_FAILED:
        json_object_set_new(details, "error_code", json_string(e->code));
        /* fall through */
    case TL_CAMPAIGN_SENT:
    case TL_READ:
    case TL_REPLIED:
    case TL_CLICKED:
        text = str_or_null(e->name); /* the campaign's name; a click's URL */
        json_object_set_new(details, "step", json_integer(e->step));
        break;
    case TL_ORDER:
    case TL_REFUND:
        text = json_string(e->code);
        json_object_set_new(details, "order_id", json_string(e->code));
        json_object_set_new(details, "amount", json_integer(e->num));
        json_object_set_new(details, "currency", json_string(e->extra));
        break;
    case TL_OPTED_OUT:
    case TL_OPTED_IN:
    case TL_CATEGORY_CHANGED: {
        json_t *d = plain ? json_loads(plain, 0, NULL) : NULL;
        if (json_is_object(d)) json_object_update(details, d);
        json_decref(d);
        if (e->key.kind == TL_CATEGORY_CHANGED)
            text = str_or_null(json_string_value(json_object_get(details, "to")));
        else
            text = str_or_null(json_string_value(json_object_get(details, "reason")));
        json_object_set_new(details, "actor", json_string(e->code));
        json_object_set_new(details, "source", json_string(e->extra));
        break;
    }
    }
    free(plain);
    return json_pack("{s:s, s:s, s:o, s:o, s:o}", "at", at, "type", timeline_type_name(e->key.kind),
                     "campaign_id", e->campaign_id ? json_integer(e->campaign_id) : json_null(), "text", text,
                     "details", details);
}

enum timeline_outcome timeline_read(struct app *app, int64_t account_id, int64_t contact_id,
                                    const struct timeline_key *before, int limit, json_t **events,
                                    struct timeline_key *next, int *more)
{
    struct store *st = app->store;
    *events = NULL;
    *more = 0;
    struct contact c;
    enum db_status r = st->contact_get(st, account_id, contact_id, &c);
    if (r != DB_ONE) return r < 0 ? TIMELINE_STORE : TIMELINE_NOT_FOUND;
    struct timeline_row *rows = NULL;
    size_t n = 0;
    r = st->timeline_page(st, account_id, contact_id, before, limit + 1, &rows, &n);
    if (r < 0) {
        contact_release(&c);
        return TIMELINE_STORE;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        if (i < (size_t)limit) {
            json_array_append_new(list, event_json(app, account_id, &c, &rows[i]));
            *next = rows[i].key;
        } else {
            *more = 1;
        }
        timeline_row_release(&rows[i]);
    }
    free(rows);
    contact_release(&c);
    *events = list;
    return TIMELINE_OK;
}
