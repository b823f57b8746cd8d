/* sealed — the row keys of the sealed columns and their opening and sealing; see sealed.h. */
#include "core/sealed.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "crypto/seal.h"
#include "store/store.h"

void contact_row_key(int64_t account_id, const char *tg_user_id, char *out, size_t cap)
{
    snprintf(out, cap, "%lld:%s", (long long)account_id, tg_user_id);
}

int contact_seal_field(struct app *app, const char *column, const char *rk, const char *v, struct blob *b)
{
    b->p = NULL;
    b->len = 0;
    if (!v) return TGR_OK;
    return seal(app->kr, "contacts", column, rk, v, strlen(v), &b->p, &b->len);
}

static char *open_opt(struct app *app, const char *column, const char *rk, const struct blob *b)
{
    char *out = NULL;
    size_t len;
    if (!b->p) return NULL;
    if (seal_open(app->kr, "contacts", column, rk, b->p, b->len, &out, &len) != TGR_OK) return NULL;
    return out;
}

int contact_open(struct app *app, int64_t account_id, const struct contact *c, struct contact_plain *out)
{
    char rk[64];
    contact_row_key(account_id, c->tg_user_id, rk, sizeof rk);
    memset(out, 0, sizeof *out);
    out->first_name = open_opt(app, "first_name", rk, &c->first_name);
    out->last_name = open_opt(app, "last_name", rk, &c->last_name);
    out->username = open_opt(app, "username", rk, &c->username);
    out->phone = open_opt(app, "phone", rk, &c->phone);
    out->access_hash = open_opt(app, "access_hash", rk, &c->access_hash);
    if ((c->first_name.p && !out->first_name) || (c->last_name.p && !out->last_name) ||
        (c->username.p && !out->username) || (c->phone.p && !out->phone) ||
        (c->access_hash.p && !out->access_hash)) {
        log_error("contacts", "a sealed field of contact %lld does not open (wrong master key?)",
                  (long long)c->id);
        contact_plain_release(out);
        return TGR_ERR;
    }
    return TGR_OK;
}

static void free_plain(char **s)
{
    if (*s) sodium_memzero(*s, strlen(*s));
    free(*s);
    *s = NULL;
}

void contact_plain_release(struct contact_plain *p)
{
    free_plain(&p->first_name);
    free_plain(&p->last_name);
    free_plain(&p->username);
    free_plain(&p->phone);
    free_plain(&p->access_hash);
}

static void code_row_key(int64_t account_id, int64_t campaign_id, const char *bidx, char *out, size_t cap)
{
    snprintf(out, cap, "%lld:%lld:%s", (long long)account_id, (long long)campaign_id, bidx);
}

int code_open(struct app *app, int64_t account_id, int64_t campaign_id, const struct discount_code_row *row,
              char **code)
{
    char rk[96];
    size_t len;
    code_row_key(account_id, campaign_id, row->code_bidx, rk, sizeof rk);
    return seal_open(app->kr, "discount_codes", "code", rk, row->code.p, row->code.len, code, &len);
}

int code_seal(struct app *app, int64_t account_id, int64_t campaign_id, const char *code,
              struct discount_code_row *row)
{
    char rk[96];
    blind_index(app->kr, "discount_codes.code", code, row->code_bidx);
    code_row_key(account_id, campaign_id, row->code_bidx, rk, sizeof rk);
    return seal(app->kr, "discount_codes", "code", rk, code, strlen(code), &row->code.p, &row->code.len);
}

static void recipient_row_key(int64_t account_id, int64_t campaign_id, int64_t contact_id, char *out,
                              size_t cap)
{
    snprintf(out, cap, "%lld:%lld:%lld", (long long)account_id, (long long)campaign_id,
             (long long)contact_id);
}

int recipient_code_open(struct app *app, int64_t account_id, int64_t campaign_id, int64_t contact_id,
                        const struct blob *sealed, char **code)
{
    char rk[80];
    size_t len;
    recipient_row_key(account_id, campaign_id, contact_id, rk, sizeof rk);
    return seal_open(app->kr, "recipients", "discount_code", rk, sealed->p, sealed->len, code, &len);
}

int recipient_code_seal(struct app *app, int64_t account_id, int64_t campaign_id, int64_t contact_id,
                        const char *code, struct blob *out)
{
    char rk[80];
    recipient_row_key(account_id, campaign_id, contact_id, rk, sizeof rk);
    return seal(app->kr, "recipients", "discount_code", rk, code, strlen(code), &out->p, &out->len);
}

static void audit_row_key(int64_t account_id, int64_t contact_id, char *out, size_t cap)
{
    snprintf(out, cap, "%lld:%lld", (long long)account_id, (long long)contact_id);
}

int audit_details_seal(struct app *app, int64_t account_id, int64_t contact_id, const char *json,
                       struct blob *out)
{
    char rk[48];
    audit_row_key(account_id, contact_id, rk, sizeof rk);
    return seal(app->kr, "contact_audit", "details", rk, json, strlen(json), &out->p, &out->len);
}

int audit_details_open(struct app *app, int64_t account_id, int64_t contact_id, const struct blob *sealed,
                       char **json)
{
    char rk[48];
    size_t len;
    audit_row_key(account_id, contact_id, rk, sizeof rk);
    return seal_open(app->kr, "contact_audit", "details", rk, sealed->p, sealed->len, json, &len);
}

int inbound_text_open(struct app *app, int64_t account_id, const char *tg_user_id, int64_t tg_message_id,
                      const struct blob *sealed, char **text)
{
    char rk[96];
    size_t len;
    snprintf(rk, sizeof rk, "%lld:%s:%lld", (long long)account_id, tg_user_id, (long long)tg_message_id);
    return seal_open(app->kr, "inbound_messages", "text", rk, sealed->p, sealed->len, text, &len);
}
