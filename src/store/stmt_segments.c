/* stmt_segments — saved segments, a campaign's segment and scheduled start, and the scheduled
 * campaigns that are due, once for both backends (store.h documents each function; the rows are
 * store/segment.h's). */
#include <string.h>

#include "base/util.h"
#include "store/db.h"
#include "store/stmt.h"

static int read_segment(void *cls, const struct db_row *r, void *elem)
{
    (void)cls;
    struct segment *s = elem;
    s->id = db_i64(r, 0);
    db_copy(r, 1, s->name, sizeof s->name);
    db_copy(r, 2, s->filters_json, sizeof s->filters_json);
    s->created_at = db_i64(r, 3);
    s->updated_at = db_i64(r, 4);
    return 0;
}

enum db_status stmt_segment_save(struct store *st, int64_t account_id, const struct segment *s, int64_t *id)
{
    int64_t now = now_ms();
    if (s->id) {
        *id = s->id;
        return db_write(
            st, TX_NORMAL, S_SEGMENT_UPDATE,
            P(SP_STR(s->name), SP_STR(s->filters_json), SP_I64(now), SP_I64(account_id), SP_I64(s->id)));
    }
    *id = 0;
    return db_write_ints(st, TX_NORMAL, S_SEGMENT_INSERT,
                         P(SP_I64(account_id), SP_STR(s->name), SP_STR(s->filters_json), SP_I64(now)), id, 1);
}

enum db_status stmt_segment_get(struct store *st, int64_t account_id, int64_t id, struct segment *out)
{
    memset(out, 0, sizeof *out);
    return db_one(st, S_SEGMENT_GET, P(SP_I64(account_id), SP_I64(id)), sizeof *out, read_segment, NULL, NULL,
                  out);
}

enum db_status stmt_segment_list(struct store *st, int64_t account_id, struct segment **rows, size_t *n)
{
    return db_list(st, S_SEGMENT_LIST, P(SP_I64(account_id)), sizeof **rows, read_segment, NULL, NULL,
                   (void **)rows, n);
}

enum db_status stmt_segment_delete(struct store *st, int64_t account_id, int64_t id)
{
    return db_write(st, TX_NORMAL, S_SEGMENT_DELETE, P(SP_I64(account_id), SP_I64(id)));
}

enum db_status stmt_segment_campaigns(struct store *st, int64_t account_id, int64_t segment_id,
                                      const char *statuses, int64_t *n)
{
    *n = 0;
    return db_ints(st, S_SEGMENT_CAMPAIGNS, P(SP_I64(account_id), SP_I64(segment_id), SP_STR(statuses)), n,
                   1);
}

enum db_status stmt_campaign_set_audience(struct store *st, int64_t account_id, int64_t id,
                                          int64_t segment_id, const char *filters_json)
{
    return db_write(
        st, TX_NORMAL, S_CAMPAIGN_AUDIENCE,
        P(SP_ID(segment_id), SP_OPT(filters_json), SP_I64(now_ms()), SP_I64(account_id), SP_I64(id)));
}

enum db_status stmt_campaign_set_start(struct store *st, int64_t account_id, int64_t id, int64_t start_at,
                                       int override_quiet_hours)
{
    return db_write(
        st, TX_NORMAL, S_CAMPAIGN_START_AT,
        P(SP_ID(start_at), SP_I64(override_quiet_hours), SP_I64(now_ms()), SP_I64(account_id), SP_I64(id)));
}

static int read_scheduled(void *cls, const struct db_row *r, void *elem)
{
    (void)cls;
    struct scheduled_start *s = elem;
    s->account_id = db_i64(r, 0);
    s->campaign_id = db_i64(r, 1);
    s->start_at = db_i64(r, 2);
    return 0;
}

enum db_status stmt_campaigns_scheduled(struct store *st, int64_t until, int limit,
                                        struct scheduled_start **rows, size_t *n)
{
    return db_list(st, S_SCHEDULED_DUE, P(SP_I64(until), SP_I64(limit)), sizeof **rows, read_scheduled, NULL,
                   NULL, (void **)rows, n);
}
