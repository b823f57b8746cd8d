/* webhooks — outgoing webhooks' rules; see webhooks.h. */
#include "core/webhooks.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jspec.h"
#include "base/util.h"
#include "core/webhook_url.h"
#include "crypto/seal.h"

static const char *const names[WH__COUNT] = {
#define X(id, name) [id] = name,
    WEBHOOK_EVENTS(X)
#undef X
};

const char *webhook_event_name(enum webhook_event e)
{
    return (unsigned)e < WH__COUNT ? names[e] : NULL;
}

int webhook_event_parse(const char *name, enum webhook_event *out)
{
    for (int i = 0; name && i < WH__COUNT; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum webhook_event)i;
            return 0;
        }
    }
    return -1;
}

json_t *webhook_events_json(int64_t bits)
{
    json_t *a = json_array();
    for (int i = 0; a && i < WH__COUNT; i++)
        if (bits & WEBHOOK_BIT(i)) json_array_append_new(a, json_string(names[i]));
    return a;
}

enum db_status webhook_emit(struct store *st, int64_t account_id, enum webhook_event ev, webhook_data_fn fn,
                            void *cls)
{
    int64_t wanted = 0;
    enum db_status r = st->hooks->wanted(st, account_id, WEBHOOK_BIT(ev), &wanted);
    if (r < 0) return r;
    if (wanted == 0) return DB_ONE;
    return webhook_emit_wanted(st, account_id, ev, fn, cls);
}

enum db_status webhook_emit_wanted(struct store *st, int64_t account_id, enum webhook_event ev,
                                   webhook_data_fn fn, void *cls)
{
    json_t *data = NULL;
    enum db_status r = fn(st, account_id, cls, &data);
    if (r < 0) {
        json_decref(data);
        return r;
    }
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    if (!text) return DB_HARD;
    int64_t event_id = 0, queued = 0;
    r = st->hooks->event_add(st, account_id, names[ev], WEBHOOK_BIT(ev), now_ms(), text, &event_id, &queued);
    free(text);
    return r < 0 ? r : DB_ONE;
}

/* ---- endpoints ---------------------------------------------------------------------------------- */

/* A 400 on field name, whose sentence is in why already. */
static enum webhook_outcome bad(const char **field, const char *name)
{
    *field = name;
    return WEBHOOK_INVALID;
}

/* The bits of a JSON array of event names. @return 0, or -1 with why */
static int parse_events(json_t *events, int64_t *bits, char *why, size_t cap)
{
    *bits = 0;
    size_t i;
    json_t *v;
    if (!json_is_array(events) || json_array_size(events) == 0) {
        snprintf(why, cap, "must list one or more event types");
        return -1;
    }
    json_array_foreach(events, i, v)
    {
        enum webhook_event e;
        if (webhook_event_parse(json_string_value(v), &e) != 0) {
            snprintf(why, cap,
                     "must list event types of: message.sent, message.failed, message.read, message.replied, "
                     "link.clicked, order.attributed, contact.opted_out, campaign.status_changed");
            return -1;
        }
        *bits |= WEBHOOK_BIT(e);
    }
    return 0;
}

struct create {
    const struct keyring *kr;
    int64_t account_id, events;
    const char *url, *description, *secret;
    struct webhook_row *out;
};

static enum db_status create_txn(struct store *st, void *cls)
{
    const struct create *c = cls;
    int64_t id = 0;
    enum db_status r = st->hooks->insert(st, c->account_id, c->url, c->events, c->description, now_ms(), &id);
    if (r != DB_ONE) return r < 0 ? r : DB_HARD;
    char rk[48];
    snprintf(rk, sizeof rk, "%" PRId64 ":%" PRId64, c->account_id, id);
    struct blob sealed = {0};
    if (seal(c->kr, "webhooks", "secret", rk, c->secret, strlen(c->secret), &sealed.p, &sealed.len) != TGR_OK)
        return DB_HARD;
    r = st->hooks->set_secret(st, c->account_id, id, &sealed);
    blob_release(&sealed);
    if (r != DB_ONE) return r < 0 ? r : DB_HARD;
    r = st->hooks->get(st, c->account_id, id, c->out);
    return r == DB_ONE ? DB_ONE : r < 0 ? r : DB_HARD;
}

enum webhook_outcome webhook_create(struct store *st, const struct keyring *kr, int64_t account_id,
                                    const struct webhook_new *in, struct webhook_row *out, char *secret,
                                    const char **field, char *why, size_t cap)
{
    *field = NULL;
    why[0] = 0;
    secret[0] = 0;
    int64_t bits = 0;
    if (parse_events(in->events, &bits, why, cap) != 0) return bad(field, "events");
    const char *desc = in->description ? in->description : "";
    if (utf8_chars(desc) > WEBHOOK_DESCRIPTION_MAX) {
        snprintf(why, cap, "must be at most 500 characters");
        return bad(field, "description");
    }
    /* The cheap checks first: a name is only resolved for an otherwise valid endpoint. */
    if (webhook_url_parse(in->url, why, cap) != WEBHOOK_URL_OK) return bad(field, "url");
    struct webhook_target t;
    if (webhook_url_check(in->url, in->allow_private, &t, why, cap) != WEBHOOK_URL_OK)
        return bad(field, "url");

    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(secret, "whsec_", 6);
    base64url_encode(raw, sizeof raw, secret + 6);
    sodium_memzero(raw, sizeof raw);
    struct create c = {kr, account_id, bits, in->url, desc, secret, out};
    if (st->txn(st, TX_DURABLE, create_txn, &c) != DB_ONE) {
        sodium_memzero(secret, WEBHOOK_SECRET_LEN + 1);
        return WEBHOOK_STORE;
    }
    return WEBHOOK_OK;
}

enum webhook_outcome webhook_delete(struct store *st, int64_t account_id, int64_t id)
{
    enum db_status r = st->hooks->remove(st, account_id, id);
    if (r < 0) return WEBHOOK_STORE;
    return r == DB_ONE ? WEBHOOK_OK : WEBHOOK_NOT_FOUND;
}

/* ---- a delivery ----------------------------------------------------------------------------------- */

char *webhook_body(const struct webhook_job *j)
{
    char created[40];
    rfc3339(j->created_at, created, sizeof created);
    /* The type is one of the registry's names and data JSON text this server wrote: neither needs
     * escaping, and the same job gives the same bytes every time. */
    size_t cap = strlen(j->data) + strlen(j->type) + 160;
    char *body = malloc(cap);
    if (!body) return NULL;
    snprintf(body, cap,
             "{\"id\":%" PRId64 ",\"type\":\"%s\",\"created_at\":\"%s\",\"account_id\":%" PRId64
             ",\"data\":%s}",
             j->event_id, j->type, created, j->account_id, j->data);
    return body;
}

void webhook_sign(const char *secret, size_t secret_len, int64_t t, const void *body, size_t body_len,
                  char *out, size_t cap)
{
    char ts[24];
    int tl = snprintf(ts, sizeof ts, "%" PRId64, t);
    crypto_auth_hmacsha256_state h;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&h, (const unsigned char *)secret, secret_len);
    crypto_auth_hmacsha256_update(&h, (const unsigned char *)ts, (unsigned long long)tl);
    crypto_auth_hmacsha256_update(&h, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&h, body, body_len);
    crypto_auth_hmacsha256_final(&h, mac);
    char hex[2 * sizeof mac + 1];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    snprintf(out, cap, "t=%s,v1=%s", ts, hex);
    sodium_memzero(&h, sizeof h);
}

int webhook_secret_open(const struct keyring *kr, const struct webhook_job *j, char **secret, size_t *len)
{
    char rk[48];
    snprintf(rk, sizeof rk, "%" PRId64 ":%" PRId64, j->account_id, j->webhook_id);
    *secret = NULL;
    *len = 0;
    if (!j->secret.p) return TGR_ERR;
    return seal_open(kr, "webhooks", "secret", rk, j->secret.p, j->secret.len, secret, len);
}

/* 24 h in units of the 30 s first wait. */
#define RETRY_WINDOW_STEPS 2880

int64_t webhook_retry_at(int64_t created_at, int64_t attempts, int64_t now, int64_t base_ms)
{
    if (base_ms < 1) base_ms = 1;
    int64_t end = created_at + RETRY_WINDOW_STEPS * base_ms;
    if (now >= end) return 0;
    int64_t delay = base_ms;
    for (int64_t i = 1; i < attempts && delay < RETRY_WINDOW_STEPS * base_ms; i++)
        delay *= 2;
    return now + delay < end ? now + delay : end;
}
