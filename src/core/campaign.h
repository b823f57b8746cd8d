/* campaign — the campaign's settings as the domain sees them: audience filters, quiet hours,
 * nudges and discount codes, parsed and validated from their JSON form (API.md "Campaigns").
 * Validation errors name the field as the API shows it ("filters.min_orders",
 * "quiet_hours.start", "nudges[1].message_text"). */
#ifndef TGR_CAMPAIGN_H
#define TGR_CAMPAIGN_H

#include <jansson.h>
#include <stdint.h>

#include "base/jspec.h"

struct store;

/* Filters that name another campaign of the account: what the contact did with it. */
enum campaign_filter {
    CF_CLICKED,     /* clicked_campaign: clicked a link of it */
    CF_NOT_REPLIED, /* not_replied_to_campaign: got it and did not reply */
    CF_READ,        /* read_campaign: read it */
    CF_NOT_READ,    /* not_read_campaign: got it and did not read it */
    CF_REPLIED,     /* replied_to_campaign: replied to it */
    CF_BOUGHT,      /* bought_from_campaign: an order was credited to it */
    CF_COUNT
};
extern const char *const campaign_filter_names[CF_COUNT];

struct filters {
    int64_t last_message_within_days; /* 0 = no limit */
    unsigned categories;              /* bit (1 << CAT_*) per allowed category; 0 = all */
    int64_t min_orders, max_orders;   /* -1 = no limit */
    int64_t min_spent;                /* minor units; -1 = no limit */
    int64_t campaign[CF_COUNT];       /* campaign ids by enum campaign_filter; 0 = none */
    /* Contacts Telegram marked (issue 15) are left out unless asked for: those who charge Stars
     * for messages (tgr never pays: they are skipped again) and those whose privacy settings
     * refused the account. */
    int include_charging, include_privacy_restricted;
};

struct quiet_hours {
    int set;
    int start_min, end_min; /* minutes after midnight, local time */
    char timezone[64];
};

#define NUDGES_MAX        5
#define DISCOUNT_POOL_MAX 100000

/* Parse filters (NULL or JSON null = no filters). Campaign ids are checked to belong to the
 * account when st is given. @return TGR_OK or TGR_ERR with err filled */
int filters_parse(json_t *j, struct store *st, int64_t account_id, struct filters *f,
                  struct jspec_error *err);
/* The canonical JSON of filters (only what is set). New reference. */
json_t *filters_to_json(const struct filters *f);

int quiet_hours_parse(json_t *j, struct quiet_hours *q, struct jspec_error *err);
json_t *quiet_hours_to_json(const struct quiet_hours *q);

/* Check a nudge plan: an array (at most NUDGES_MAX) of {"after_seconds","condition","message_text"}
 * with after_seconds 1..2592000, condition no_reply|no_click|no_reply_no_click, a valid template. */
int nudges_validate(json_t *j, struct jspec_error *err);

/* Check discount settings: {"mode":"static","code":"X"} or {"mode":"pool","codes":[…]}; codes are
 * 1–64 characters of letters, digits, '-' and '_', distinct. */
int discount_validate(json_t *j, struct jspec_error *err);

/* Whether quiet hours hold at now (unix ms): the zone's wall clock reads a time in [start, end)
 * (past midnight when end < start), so a repeated hour inside the window is quiet twice and a
 * skipped one never is. *resumes_at gets when they end: the first instant after now at which
 * they no longer hold (unix ms, on a minute), in real time across daylight-saving changes.
 * Thread-safe (zone switches are serialised). */
int quiet_hours_active(const struct quiet_hours *q, int64_t now, int64_t *resumes_at);

/* The hour of day (0-23) of ms in time zone tz. */
int local_hour(const char *tz, int64_t ms);

/* The calendar day of ms in time zone tz: *start its first instant (local midnight), *end the
 * next day's (unix ms); 23 or 25 hours apart across daylight-saving changes. Thread-safe. */
void local_day(const char *tz, int64_t ms, int64_t *start, int64_t *end);

/* Parse stored quiet hours JSON text (NULL = none). */
int quiet_hours_from_text(const char *text, struct quiet_hours *q);

/* "HH:MM" → minutes after midnight, or -1. */
int parse_hhmm(const char *s);

#endif
