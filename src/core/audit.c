/* audit — the account's append-only log of who did what; see audit.h. */
#include "core/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"

#define AUDIT_TOKEN_MAX 64
#define AUDIT_LIST_MAX  32

const char *audit_action_name(enum audit_action a)
{
    static const char *const names[] = {
#define X(id, name) [id] = name,
        AUDIT_ACTIONS(X)
#undef X
    };
    return (unsigned)a < AUDIT_ACTION_COUNT ? names[a] : "";
}

const char *audit_actor_name(enum audit_actor a)
{
    switch (a) {
    case AUDIT_USER:
        return "user";
    case AUDIT_API_KEY:
        return "api_key";
    case AUDIT_SYSTEM:
        return "system";
    }
    return "system";
}

static int key_allowed(const char *key)
{
    static const char *const keys[] = {
#define X(k) k,
        AUDIT_DETAIL_KEYS(X)
#undef X
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(keys[i], key) == 0) return 1;
    return 0;
}

/* A token: an identifier, a code, a time, a host — never a sentence. */
static int token_ok(const json_t *v)
{
    if (!json_is_string(v)) return 0;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 || n > AUDIT_TOKEN_MAX || strlen(s) != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("_.:/+-", c);
        if (!ok) return 0;
    }
    return 1;
}

static int value_ok(const json_t *v)
{
    if (json_is_integer(v) || json_is_boolean(v) || json_is_null(v)) return 1;
    if (json_is_string(v)) return token_ok(v);
    if (!json_is_array(v) || json_array_size(v) > AUDIT_LIST_MAX) return 0;
    size_t i;
    const json_t *x;
    json_array_foreach(v, i, x)
    {
        if (!token_ok(x)) return 0;
    }
    return 1;
}

int audit_details_allowed(const json_t *details)
{
    if (!details) return TGR_OK;
    if (!json_is_object(details)) return TGR_ERR;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)details, k, v)
    {
        if (!key_allowed(k) || !value_ok(v)) return TGR_ERR;
    }
    return TGR_OK;
}

enum db_status audit_record(struct store *st, int64_t account_id, const struct audit_who *who,
                            enum audit_action a, const char *target_kind, int64_t target_id, json_t *details)
{
    if ((unsigned)a >= AUDIT_ACTION_COUNT || audit_details_allowed(details) != TGR_OK) {
        log_error("audit", "account %lld: an entry of action %d breaks the audit rule; not written",
                  (long long)account_id, (int)a);
        json_decref(details);
        return DB_HARD;
    }
    struct audit_row e;
    memset(&e, 0, sizeof e);
    e.account_id = account_id;
    e.at = now_ms();
    snprintf(e.actor, sizeof e.actor, "%s", audit_actor_name(who->actor));
    snprintf(e.ip, sizeof e.ip, "%s", who->ip);
    snprintf(e.action, sizeof e.action, "%s", audit_action_name(a));
    if (target_kind && target_id)
        snprintf(e.target, sizeof e.target, "%s:%lld", target_kind, (long long)target_id);
    else if (target_kind)
        snprintf(e.target, sizeof e.target, "%s", target_kind);
    e.details =
        details && json_object_size(details) ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(details);
    enum db_status r = st->audit_add(st, &e);
    free(e.details);
    if (r < 0)
        log_warn("audit", "account %lld: the entry %s could not be written", (long long)account_id,
                 audit_action_name(a));
    return r;
}

static json_t *str_or_null(const char *s)
{
    return *s ? json_string(s) : json_null();
}

static json_t *entry_json(const struct audit_row *e)
{
    char at[40];
    rfc3339(e->at, at, sizeof at);
    json_t *details = e->details ? json_loads(e->details, 0, NULL) : NULL;
    if (!json_is_object(details)) {
        json_decref(details);
        details = json_object();
    }
    return json_pack("{s:I, s:s, s:s, s:o, s:s, s:o, s:o}", "id", (json_int_t)e->id, "at", at, "actor",
                     e->actor, "ip", str_or_null(e->ip), "action", e->action, "target",
                     str_or_null(e->target), "details", details);
}

enum db_status audit_read(struct store *st, int64_t account_id, int64_t before, int limit, json_t **entries,
                          int64_t *next)
{
    *entries = NULL;
    *next = 0;
    struct audit_row *rows = NULL;
    size_t n = 0;
    /* One more than the page tells whether another follows. */
    enum db_status r = st->audit_page(st, account_id, before, limit + 1, &rows, &n);
    if (r < 0) return r;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        if (i < (size_t)limit)
            json_array_append_new(list, entry_json(&rows[i]));
        else
            *next = rows[i - 1].id;
        audit_row_release(&rows[i]);
    }
    free(rows);
    *entries = list;
    return json_array_size(list) ? DB_ONE : DB_NONE;
}
