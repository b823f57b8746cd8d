/* store — picks the backend named by a database URL; see store.h. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

void blob_release(struct blob *b)
{
    if (b->p) sodium_memzero(b->p, b->len);
    free(b->p);
    b->p = NULL;
    b->len = 0;
}

void tg_session_release(struct tg_session *s)
{
    blob_release(&s->session);
    blob_release(&s->phone);
}

void contact_release(struct contact *c)
{
    blob_release(&c->access_hash);
    blob_release(&c->first_name);
    blob_release(&c->last_name);
    blob_release(&c->username);
    blob_release(&c->phone);
    blob_release(&c->category);
    blob_release(&c->confidence);
}

struct store *store_open(const char *url, const char *data_dir, char *err, size_t errlen)
{
    char path[4096];
    if (!url || !*url) {
        if (snprintf(path, sizeof path, "%s/tgr.db", data_dir) >= (int)sizeof path) {
            snprintf(err, errlen, "data directory path too long");
            return NULL;
        }
        return store_sqlite_open(path, err, errlen);
    }
    if (strncmp(url, "sqlite:", 7) == 0 && url[7]) return store_sqlite_open(url + 7, err, errlen);
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        return store_pg_open(url, err, errlen);
    snprintf(err, errlen, "--db must be sqlite:PATH or postgres://…");
    return NULL;
}

void campaign_release(struct campaign *c)
{
    free(c->message_text);
    free(c->filters_json);
    free(c->quiet_hours_json);
    free(c->nudges_json);
    free(c->discount_json);
    c->message_text = c->filters_json = c->quiet_hours_json = c->nudges_json = c->discount_json = NULL;
}

const char *recipient_status_name(enum recipient_status s)
{
    static const char *const names[RECIPIENT_STATUS_COUNT] = {
#define X(id, name) [id] = name,
        RECIPIENT_STATUSES(X)
#undef X
    };
    return (unsigned)s < RECIPIENT_STATUS_COUNT ? names[s] : "unknown";
}

int recipient_move_allowed(enum recipient_status from, enum recipient_status to)
{
#define B(s) (1u << (s))
    static const unsigned to_from[RECIPIENT_STATUS_COUNT] = {
        [RECIPIENT_PENDING] = B(RECIPIENT_SENDING) | B(RECIPIENT_SKIPPED),
        [RECIPIENT_SENDING] =
            B(RECIPIENT_PENDING) | B(RECIPIENT_SENT) | B(RECIPIENT_FAILED) | B(RECIPIENT_SKIPPED),
    };
#undef B
    return (unsigned)from < RECIPIENT_STATUS_COUNT && (unsigned)to < RECIPIENT_STATUS_COUNT &&
           (to_from[from] & (1u << to)) != 0;
}
