/* campaign — filters, quiet hours, nudges and discount settings; see campaign.h. */
#include "core/campaign.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/classify.h"
#include "core/render.h"
#include "core/tz.h"
#include "base/util.h"
#include "store/store.h"

static int fail(struct jspec_error *err, const char *field, const char *msg)
{
    err->code = ERR_VALIDATION;
    snprintf(err->field, sizeof err->field, "%s", field);
    snprintf(err->message, sizeof err->message, "%s %s", field, msg);
    return TGR_ERR;
}

static int campaign_exists(struct store *st, int64_t account_id, int64_t id)
{
    struct campaign c;
    if (!st) return 1;
    if (st->campaign_get(st, account_id, id, &c) != DB_ONE) return 0;
    campaign_release(&c);
    return 1;
}

const char *const campaign_filter_names[CF_COUNT] = {"clicked_campaign",    "not_replied_to_campaign",
                                                     "read_campaign",       "not_read_campaign",
                                                     "replied_to_campaign", "bought_from_campaign"};

int filters_parse(json_t *j, struct store *st, int64_t account_id, struct filters *f, struct jspec_error *err)
{
    memset(f, 0, sizeof *f);
    f->min_orders = f->max_orders = f->min_spent = -1;
    if (!j || json_is_null(j)) return TGR_OK;
    json_t *cats = NULL;
    struct jfield spec[] = {
        JF_NULLABLE(JF_INT_RANGE("last_message_within_days", &f->last_message_within_days, 1, 3650)),
        JF_NULLABLE(JF_ARRAY("categories", &cats)),
        JF_NULLABLE(JF_INT_RANGE("min_orders", &f->min_orders, 0, 1000000)),
        JF_NULLABLE(JF_INT_RANGE("max_orders", &f->max_orders, 0, 1000000)),
        JF_NULLABLE(JF_INT_RANGE("min_spent", &f->min_spent, 0, INT64_MAX / 2)),
        JF_NULLABLE(JF_INT_RANGE(campaign_filter_names[CF_CLICKED], &f->campaign[CF_CLICKED], 1, INT64_MAX)),
        JF_NULLABLE(
            JF_INT_RANGE(campaign_filter_names[CF_NOT_REPLIED], &f->campaign[CF_NOT_REPLIED], 1, INT64_MAX)),
        JF_NULLABLE(JF_INT_RANGE(campaign_filter_names[CF_READ], &f->campaign[CF_READ], 1, INT64_MAX)),
        JF_NULLABLE(
            JF_INT_RANGE(campaign_filter_names[CF_NOT_READ], &f->campaign[CF_NOT_READ], 1, INT64_MAX)),
        JF_NULLABLE(JF_INT_RANGE(campaign_filter_names[CF_REPLIED], &f->campaign[CF_REPLIED], 1, INT64_MAX)),
        JF_NULLABLE(JF_INT_RANGE(campaign_filter_names[CF_BOUGHT], &f->campaign[CF_BOUGHT], 1, INT64_MAX)),
        JF_NULLABLE(JF_BOOL("include_charging", &f->include_charging)),
        JF_NULLABLE(JF_BOOL("include_privacy_restricted", &f->include_privacy_restricted)),
        JF_END,
    };
    if (jspec_parse(j, spec, "filters", err) != TGR_OK) return TGR_ERR;
    size_t i;
    json_t *c;
    json_array_foreach(cats, i, c)
    {
        int cat = json_is_string(c) ? category_parse(json_string_value(c)) : -1;
        if (cat < 0) return fail(err, "filters.categories", "must list buyer, browser or refund_risk");
        f->categories |= 1u << cat;
    }
    if (cats && json_array_size(cats) == 0)
        return fail(err, "filters.categories", "must not be empty (leave it out for every category)");
    if (f->min_orders >= 0 && f->max_orders >= 0 && f->min_orders > f->max_orders)
        return fail(err, "filters.max_orders", "must not be less than min_orders");
    for (int k = 0; k < CF_COUNT; k++) {
        if (f->campaign[k] && !campaign_exists(st, account_id, f->campaign[k])) {
            char field[64];
            snprintf(field, sizeof field, "filters.%s", campaign_filter_names[k]);
            return fail(err, field, "is not a campaign of this account");
        }
    }
    return TGR_OK;
}

json_t *filters_to_json(const struct filters *f)
{
    json_t *o = json_object();
    if (f->last_message_within_days)
        json_object_set_new(o, "last_message_within_days", json_integer(f->last_message_within_days));
    if (f->categories) {
        json_t *a = json_array();
        for (int c = 0; c < CAT_COUNT; c++)
            if (f->categories & (1u << c))
                json_array_append_new(a, json_string(category_name((enum category)c)));
        json_object_set_new(o, "categories", a);
    }
    if (f->min_orders >= 0) json_object_set_new(o, "min_orders", json_integer(f->min_orders));
    if (f->max_orders >= 0) json_object_set_new(o, "max_orders", json_integer(f->max_orders));
    if (f->min_spent >= 0) json_object_set_new(o, "min_spent", json_integer(f->min_spent));
    for (int k = 0; k < CF_COUNT; k++)
        if (f->campaign[k]) json_object_set_new(o, campaign_filter_names[k], json_integer(f->campaign[k]));
    if (f->include_charging) json_object_set_new(o, "include_charging", json_true());
    if (f->include_privacy_restricted) json_object_set_new(o, "include_privacy_restricted", json_true());
    return o;
}

int parse_hhmm(const char *s)
{
    if (strlen(s) != 5 || s[2] != ':') return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9')) return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59) return -1;
    return h * 60 + m;
}

int quiet_hours_parse(json_t *j, struct quiet_hours *q, struct jspec_error *err)
{
    memset(q, 0, sizeof *q);
    if (!j || json_is_null(j)) return TGR_OK;
    const char *start = NULL, *end = NULL, *tz = NULL;
    struct jfield spec[] = {
        JF_STRING_LEN("start", &start, 1, 5),
        JF_STRING_LEN("end", &end, 1, 5),
        JF_STRING_LEN("timezone", &tz, 1, 63),
        JF_END,
    };
    if (jspec_parse(j, spec, "quiet_hours", err) != TGR_OK) return TGR_ERR;
    q->start_min = parse_hhmm(start);
    q->end_min = parse_hhmm(end);
    if (q->start_min < 0) return fail(err, "quiet_hours.start", "must be HH:MM");
    if (q->end_min < 0) return fail(err, "quiet_hours.end", "must be HH:MM");
    if (q->start_min == q->end_min) return fail(err, "quiet_hours.end", "must differ from start");
    if (!tz_valid(tz))
        return fail(err, "quiet_hours.timezone", "must be an IANA time zone such as Europe/Berlin");
    snprintf(q->timezone, sizeof q->timezone, "%s", tz);
    q->set = 1;
    return TGR_OK;
}

json_t *quiet_hours_to_json(const struct quiet_hours *q)
{
    char s[8], e[8];
    if (!q->set) return json_null();
    snprintf(s, sizeof s, "%02d:%02d", q->start_min / 60, q->start_min % 60);
    snprintf(e, sizeof e, "%02d:%02d", q->end_min / 60, q->end_min % 60);
    return json_pack("{s:s, s:s, s:s}", "start", s, "end", e, "timezone", q->timezone);
}

int nudges_validate(json_t *j, struct jspec_error *err)
{
    if (!j || json_is_null(j)) return TGR_OK;
    if (!json_is_array(j)) return fail(err, "nudges", "must be an array");
    if (json_array_size(j) > NUDGES_MAX) {
        char m[64];
        snprintf(m, sizeof m, "must have at most %d entries", NUDGES_MAX);
        return fail(err, "nudges", m);
    }
    size_t i;
    json_t *n;
    json_array_foreach(j, i, n)
    {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "nudges[%zu]", i);
        int64_t after = 0;
        const char *cond = NULL, *text = NULL;
        struct jfield spec[] = {
            JF_INT_RANGE("after_seconds", &after, 1, 30 * 86400),
            JF_STRING_LEN("condition", &cond, 1, 32),
            JF_STRING_LEN("message_text", &text, 1, 65536),
            JF_END,
        };
        if (jspec_parse(n, spec, prefix, err) != TGR_OK) return TGR_ERR;
        char field[64];
        if (strcmp(cond, "no_reply") && strcmp(cond, "no_click") && strcmp(cond, "no_reply_no_click")) {
            snprintf(field, sizeof field, "%s.condition", prefix);
            return fail(err, field, "must be no_reply, no_click or no_reply_no_click");
        }
        struct render_error re;
        if (render_check(text, NULL, &re) != TGR_OK) {
            snprintf(field, sizeof field, "%s.message_text", prefix);
            return fail(err, field, re.message);
        }
    }
    return TGR_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int code_ok(const char *c)
{
    size_t n = strlen(c);
    if (n < 1 || n > 64) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = c[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
              ch == '_'))
            return 0;
    }
    return 1;
}

int discount_validate(json_t *j, struct jspec_error *err)
{
    if (!j || json_is_null(j)) return TGR_OK;
    const char *mode = NULL, *code = NULL;
    json_t *codes = NULL;
    struct jfield spec[] = {
        JF_STRING_LEN("mode", &mode, 1, 16),
        JF_OPTIONAL(JF_STRING("code", &code)),
        JF_OPTIONAL(JF_ARRAY("codes", &codes)),
        JF_END,
    };
    if (jspec_parse(j, spec, "discount_codes", err) != TGR_OK) return TGR_ERR;
    if (strcmp(mode, "static") == 0) {
        if (!code || codes)
            return fail(err, "discount_codes.code", "is required with mode static (and codes is not)");
        if (!code_ok(code))
            return fail(err, "discount_codes.code", "must be 1-64 letters, digits, '-' or '_'");
        return TGR_OK;
    }
    if (strcmp(mode, "pool") != 0) return fail(err, "discount_codes.mode", "must be static or pool");
    if (!codes || code)
        return fail(err, "discount_codes.codes", "is required with mode pool (and code is not)");
    if (json_array_size(codes) > DISCOUNT_POOL_MAX)
        return fail(err, "discount_codes.codes", "must have at most 100000 codes");
    size_t i;
    json_t *c;
    json_array_foreach(codes, i, c)
    {
        if (!json_is_string(c) || !code_ok(json_string_value(c)))
            return fail(err, "discount_codes.codes", "must be codes of 1-64 letters, digits, '-' or '_'");
    }
    /* Distinct: a sorted copy makes this n log n for big pools. */
    size_t n = json_array_size(codes);
    const char **v = n ? calloc(n, sizeof *v) : NULL;
    if (n && !v) return fail(err, "discount_codes.codes", "is too large");
    for (i = 0; i < n; i++)
        v[i] = json_string_value(json_array_get(codes, i));
    qsort(v, n, sizeof *v, cmp_str);
    int dup = 0;
    for (i = 1; i < n; i++)
        if (strcmp(v[i - 1], v[i]) == 0) dup = 1;
    free(v);
    if (dup) return fail(err, "discount_codes.codes", "must not repeat a code");
    return TGR_OK;
}

int quiet_hours_from_text(const char *text, struct quiet_hours *q)
{
    struct jspec_error err;
    json_error_t je;
    json_t *j = text ? json_loads(text, 0, &je) : NULL;
    int rc = quiet_hours_parse(j, q, &err);
    json_decref(j);
    return rc;
}

/* Conversions in another zone need TZ set for the process; the lock keeps two callers from
 * mixing zones. zone_enter sets TZ to tz (keeping the old value in saved), zone_leave puts it
 * back; between the two, localtime_r is in tz. */
static pthread_mutex_t tz_mu = PTHREAD_MUTEX_INITIALIZER;

struct saved_tz {
    char old[128];
    int had;
};

static void zone_enter(const char *tz, struct saved_tz *saved)
{
    pthread_mutex_lock(&tz_mu);
    const char *cur = getenv("TZ");
    saved->had = cur != NULL;
    snprintf(saved->old, sizeof saved->old, "%s", cur ? cur : "");
    setenv("TZ", tz, 1);
    tzset();
}

static void zone_leave(const struct saved_tz *saved)
{
    if (saved->had)
        setenv("TZ", saved->old, 1);
    else
        unsetenv("TZ");
    tzset();
    pthread_mutex_unlock(&tz_mu);
}

/* Inside zone_enter: the wall clock at ms, and its offset from UTC in seconds. */
static int64_t wall_clock(int64_t ms, struct tm *lt)
{
    time_t t = (time_t)(ms / 1000);
    localtime_r(&t, lt);
    struct tm copy = *lt;
    return (int64_t)timegm(&copy) - (int64_t)t;
}

/* The last days local_day found, by zone: a day's bounds hold for all of it, and each conversion
 * sets TZ for the process and reads the zone's file again (a tenth of the CPU of GET
 * …/analytics, which asks for the account's day on every poll; local_hour asked once per read
 * receipt of the scorecard). */
#define DAYS_KEPT 16
#define NO_OFFSET INT64_MIN
static struct {
    char tz[65];
    int64_t start, end; /* as mktime gave them, in ms */
    int64_t offset;     /* from UTC in seconds, the same all day; NO_OFFSET on a day it changes */
} days_kept[DAYS_KEPT];
static unsigned days_next;
static pthread_mutex_t days_mu = PTHREAD_MUTEX_INITIALIZER;

static int day_kept(const char *tz, int64_t ms, int64_t *start, int64_t *end, int64_t *offset)
{
    int found = 0;
    pthread_mutex_lock(&days_mu);
    for (int i = 0; i < DAYS_KEPT && !found; i++)
        if (days_kept[i].start <= ms && ms < days_kept[i].end && strcmp(days_kept[i].tz, tz) == 0) {
            *start = days_kept[i].start;
            *end = days_kept[i].end;
            *offset = days_kept[i].offset;
            found = 1;
        }
    pthread_mutex_unlock(&days_mu);
    return found;
}

static void day_keep(const char *tz, int64_t start, int64_t end, int64_t offset)
{
    if (strlen(tz) >= sizeof days_kept[0].tz) return;
    pthread_mutex_lock(&days_mu);
    unsigned i = days_next++ % DAYS_KEPT;
    snprintf(days_kept[i].tz, sizeof days_kept[i].tz, "%s", tz);
    days_kept[i].start = start;
    days_kept[i].end = end;
    days_kept[i].offset = offset;
    pthread_mutex_unlock(&days_mu);
}

/* The local day around ms, as mktime gives it, kept (day_keep) when it holds ms; offset is its
 * offset from UTC when that is the same all day (zones do not change twice within a day, so the
 * same offset at its first and last second means none), else NO_OFFSET. */
static void find_day(const char *tz, int64_t ms, int64_t *start, int64_t *end, int64_t *offset)
{
    if (day_kept(tz, ms, start, end, offset)) return;
    struct tm lt;
    struct saved_tz saved;
    zone_enter(tz, &saved);
    wall_clock(ms, &lt);
    struct tm day = {.tm_year = lt.tm_year, .tm_mon = lt.tm_mon, .tm_mday = lt.tm_mday, .tm_isdst = -1};
    struct tm next = day;
    next.tm_mday++;
    time_t s = mktime(&day), e = mktime(&next); /* mktime normalises the 32nd, and a missing 00:00 */
    struct tm first, last;
    int64_t o1 = wall_clock((int64_t)s * 1000, &first), o2 = wall_clock((int64_t)e * 1000 - 1000, &last);
    zone_leave(&saved);
    *start = (int64_t)s * 1000;
    *end = (int64_t)e * 1000;
    *offset = o1 == o2 ? o1 : NO_OFFSET;
    if (*start <= ms && ms < *end) day_keep(tz, *start, *end, *offset);
}

int local_hour(const char *tz, int64_t ms)
{
    int64_t start, end, offset;
    find_day(tz, ms, &start, &end, &offset);
    if (offset != NO_OFFSET && start <= ms && ms < end) {
        int64_t s = ms / 1000 + offset; /* the wall clock, in seconds since 1970-01-01 00:00 */
        return (int)(((s % 86400) + 86400) % 86400 / 3600);
    }
    struct tm lt; /* the day its offset changes: converted as it is */
    struct saved_tz saved;
    zone_enter(tz, &saved);
    wall_clock(ms, &lt);
    zone_leave(&saved);
    return lt.tm_hour;
}

void local_day(const char *tz, int64_t ms, int64_t *start, int64_t *end)
{
    int64_t offset;
    find_day(tz, ms, start, end, &offset);
    if (*start > ms) *start = ms - ms % 1000; /* a day that begins after midnight is skipped in (never) */
    if (*end <= ms) *end = ms + 1000;
}

static int in_window(const struct quiet_hours *q, int m)
{
    return q->start_min < q->end_min ? (m >= q->start_min && m < q->end_min)
                                     : (m >= q->start_min || m < q->end_min);
}

/* Inside zone_enter: the first instant after `from` (ms, quiet) whose offset differs from
 * `offset`, looked for up to `to`; 0 when the offset at `to` is still `offset` (zones do not
 * change twice within a day). Offsets change on whole seconds: a bisection over seconds. */
static int64_t offset_change(int64_t from, int64_t to, int64_t offset)
{
    struct tm lt;
    if (wall_clock(to, &lt) == offset) return 0;
    int64_t lo = from / 1000, hi = (to + 999) / 1000; /* offset at lo, another at hi */
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (wall_clock(mid * 1000, &lt) == offset)
            lo = mid;
        else
            hi = mid;
    }
    return hi * 1000;
}

/* Inside zone_enter: when the quiet hours holding at t end — the first instant at which the
 * wall clock reads a time outside the window. While the zone's offset stays the same the wall
 * clock runs with real time, so the end is t plus the minutes left on the clock; when the
 * offset changes before that (daylight saving), the clock jumped, and the minutes left are
 * counted again from the jump, which may itself be the end (a jump past the window's end, or
 * back to before its start). */
static int64_t window_end(const struct quiet_hours *q, int64_t t)
{
    int64_t end = t;
    for (int jumps = 0; jumps < 3; jumps++) {
        struct tm lt;
        int64_t offset = wall_clock(t, &lt);
        int m = lt.tm_hour * 60 + lt.tm_min;
        if (!in_window(q, m)) return t;
        int until = q->end_min - m;
        if (until <= 0) until += 24 * 60;
        end = t - (int64_t)lt.tm_sec * 1000 - t % 1000 + (int64_t)until * 60000;
        int64_t jump = offset_change(t, end, offset);
        if (!jump) return end;
        t = jump;
    }
    return end;
}

int quiet_hours_active(const struct quiet_hours *q, int64_t now, int64_t *resumes_at)
{
    if (resumes_at) *resumes_at = 0;
    if (!q->set) return 0;
    struct tm lt;
    struct saved_tz saved;
    zone_enter(q->timezone, &saved);
    wall_clock(now, &lt);
    int in = in_window(q, lt.tm_hour * 60 + lt.tm_min);
    if (in && resumes_at) *resumes_at = window_end(q, now);
    zone_leave(&saved);
    return in;
}
