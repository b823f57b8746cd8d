/* send — preparing one message and classifying the answer; see send.h. */
#include "engine/send.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "core/links.h"
#include "base/log.h"
#include "core/orders.h"
#include "core/render.h"
#include "core/tgerror.h"
#include "base/util.h"
#include "crypto/seal.h"
#include "store/blobstore.h"
#include "tg/sync.h"

static const char *const send_kind_names[] = {
#define X(id, name) [id] = name,
    SEND_KINDS(X)
#undef X
};

const char *send_kind_name(enum send_kind k)
{
    return (unsigned)k < sizeof send_kind_names / sizeof send_kind_names[0] ? send_kind_names[k] : "?";
}

/* The class of the code in the Telegram error registry (core/tgerror.h) says what to do. */
enum send_kind send_classify(const char *code, int *mark)
{
    const struct tg_error *t = tgerror_find(code, NULL);
    enum tg_error_class cls = t ? t->cls : TG_ERROR_DEFAULT_CLASS;
    *mark = TGM_NONE;
    switch (cls) {
    case TGE_FLOOD_WAIT:
        return SEND_FLOOD_WAIT;
    case TGE_PEER_FLOOD:
        return SEND_PEER_FLOOD;
    case TGE_SESSION_DEAD:
        return SEND_SESSION_DEAD;
    case TGE_TEMPORARY:
        return SEND_TEMPORARY;
    case TGE_RECIPIENT_PERMANENT:
        break;
    }
    if (t) *mark = (int)t->mark;
    return SEND_PERMANENT; /* recipient-side refusals, and anything Telegram calls wrong with the message */
}

/* "#1042 (€19.99)" — the same text preview shows (h_campaigns.c keeps its own for the API). */
static void last_order_text(struct app *app, int64_t account_id, int64_t contact_id, char *out, size_t cap);

struct link_ctx {
    struct app *app;
    int64_t account_id, campaign_id, recipient_id;
    char urls[16][640];
    int used;
    enum db_status db; /* the worst link_ensure result: a failed write must not fail the row */
};

static const char *tracked(void *cls, const char *url)
{
    struct link_ctx *lc = cls;
    int64_t link_id;
    if (lc->used >= 16) return NULL;
    enum db_status s =
        lc->app->store->link_ensure(lc->app->store, lc->account_id, lc->campaign_id, url, &link_id);
    if (s < 0) {
        if (s < lc->db) lc->db = s;
        return NULL;
    }
    char code[LINK_CODE_MAX];
    link_code(lc->app->kr, link_id, lc->recipient_id, code);
    char *out = lc->urls[lc->used++];
    snprintf(out, sizeof lc->urls[0], "%s/t/%s", lc->app->cfg.public_url, code);
    return out;
}

static void fail_with(char *code, size_t codecap, char *why, size_t whycap, const char *c, const char *w)
{
    snprintf(code, codecap, "%s", c);
    snprintf(why, whycap, "%s", w);
}

/* The discount code of this recipient: kept from an earlier attempt, else assigned now. */
static int discount_for(struct app *app, int64_t account_id, const struct campaign *c,
                        const struct recipient *r, char *code, size_t cap, struct blob *sealed)
{
    struct store *st = app->store;
    /* Sealed per (campaign, contact), so nudge rows carry the same code as the first message. */
    char rk[80];
    snprintf(rk, sizeof rk, "%lld:%lld:%lld", (long long)account_id, (long long)c->id,
             (long long)r->contact_id);
    struct blob kept = {0};
    if (st->recipient_code(st, account_id, r->id, &kept) < 0) return -2;
    if (kept.p) {
        char *plain = NULL;
        size_t len;
        int ok =
            seal_open(app->kr, "recipients", "discount_code", rk, kept.p, kept.len, &plain, &len) == TGR_OK;
        blob_release(&kept);
        if (!ok) return TGR_ERR;
        snprintf(code, cap, "%s", plain);
        free(plain);
        return TGR_OK;
    }
    if (!c->discount_json) return TGR_OK; /* no codes: the placeholder uses its fallback */
    struct discount_code_row row;
    enum db_status s;
    if (strstr(c->discount_json, "static")) {
        struct discount_code_row *rows = NULL;
        size_t n = 0;
        s = st->codes_list(st, account_id, c->id, &rows, &n);
        if (s < 0) return -2;
        if (n == 0) return TGR_ERR;
        row = rows[0];
        for (size_t i = 1; i < n; i++)
            blob_release(&rows[i].code);
        free(rows);
    } else {
        s = st->code_assign(st, account_id, c->id, r->id, &row);
        if (s == DB_HARD) return SEND_PREPARE_STORAGE;
        if (s < 0) return -2;
        if (s == DB_NONE) return TGR_ERR;
    }
    char crk[96], *plain = NULL;
    size_t len;
    snprintf(crk, sizeof crk, "%lld:%lld:%s", (long long)account_id, (long long)c->id, row.code_bidx);
    int ok =
        seal_open(app->kr, "discount_codes", "code", crk, row.code.p, row.code.len, &plain, &len) == TGR_OK;
    blob_release(&row.code);
    if (!ok) return TGR_ERR;
    snprintf(code, cap, "%s", plain);
    int rc = seal(app->kr, "recipients", "discount_code", rk, plain, strlen(plain), &sealed->p, &sealed->len);
    free(plain);
    return rc;
}

int send_prepare(struct app *app, int64_t account_id, const struct recipient *r, json_t **req, char *why_code,
                 size_t codecap, char *why, size_t whycap)
{
    struct store *st = app->store;
    struct campaign c;
    struct contact ct;
    *req = NULL;
    enum db_status s = st->campaign_get(st, account_id, r->campaign_id, &c);
    if (s < 0) return -2;
    s = st->contact_get(st, account_id, r->contact_id, &ct);
    if (s < 0) {
        campaign_release(&c);
        return -2;
    }
    int rc = TGR_ERR;
    struct contact_plain p;
    memset(&p, 0, sizeof p);
    const char *tmpl = c.message_text;
    json_t *nudges = NULL;
    struct blob sealed = {0};
    struct rendered out;
    memset(&out, 0, sizeof out);
    char code[72] = "", last_order[200] = "", random_id[24];
    if (s == DB_NONE || contact_open(app, account_id, &ct, &p) != TGR_OK || !p.access_hash) {
        fail_with(why_code, codecap, why, whycap, "PEER_ID_INVALID", "the contact cannot be addressed");
        goto done;
    }
    if (r->step > 0) {
        json_error_t je;
        nudges = c.nudges_json ? json_loads(c.nudges_json, 0, &je) : NULL;
        tmpl =
            json_string_value(json_object_get(json_array_get(nudges, (size_t)r->step - 1), "message_text"));
        if (!tmpl) {
            fail_with(why_code, codecap, why, whycap, "nudge_removed", "this nudge is no longer in the plan");
            goto done;
        }
    }
    unsigned uses = 0;
    struct render_error re;
    if (render_check(tmpl, &uses, &re) != TGR_OK) {
        fail_with(why_code, codecap, why, whycap, "template_invalid", re.message);
        goto done;
    }
    if (uses & RENDER_USES_DISCOUNT_CODE) {
        int d = discount_for(app, account_id, &c, r, code, sizeof code, &sealed);
        if (d == -2 || d == SEND_PREPARE_STORAGE) {
            rc = d;
            goto done;
        }
        if (d != TGR_OK) {
            fail_with(why_code, codecap, why, whycap, "no_discount_code",
                      "the campaign's pool of codes is empty");
            goto done;
        }
    }
    if (uses & RENDER_USES_LAST_ORDER) last_order_text(app, account_id, ct.id, last_order, sizeof last_order);
    struct render_vars vars = {p.first_name, last_order[0] ? last_order : NULL, code[0] ? code : NULL};
    struct link_ctx lc = {
        .app = app, .account_id = account_id, .campaign_id = c.id, .recipient_id = r->id, .db = DB_ONE};
    int rendered = render(tmpl, &vars, c.track_links ? tracked : NULL, &lc, &out, &re);
    if (lc.db < 0) {
        rc = lc.db == DB_HARD ? SEND_PREPARE_STORAGE : -2; /* not the template's fault: the row stays */
        goto done;
    }
    if (rendered != TGR_OK) {
        fail_with(why_code, codecap, why, whycap, "template_invalid", re.message);
        goto done;
    }
    /* The media file is found before the claim: a message never goes out without its photo
     * because the blob store is unreachable for a moment (the caller retries, then pauses). */
    json_t *media = json_null();
    if (c.n_media && r->step == 0) {
        struct media_row m;
        char path[1100];
        enum db_status ms = st->media_get(st, account_id, c.media_ids[0], &m);
        if (ms < 0) {
            rc = -2;
            goto done;
        }
        if (ms == DB_NONE) {
            fail_with(why_code, codecap, why, whycap, "media_missing",
                      "the campaign's media file was deleted");
            goto done;
        }
        if (!app->media || app->media->local_path(app->media, m.storage_key, path, sizeof path) != TGR_OK) {
            fail_with(why_code, codecap, why, whycap, "MEDIA_UNAVAILABLE",
                      "the media store could not provide the campaign's file");
            rc = SEND_PREPARE_RETRY;
            goto done;
        }
        media = json_pack("{s:s, s:s}", "path", path, "mime", m.mime);
    }
    if (r->random_id[0]) {
        snprintf(random_id, sizeof random_id, "%s", r->random_id);
    } else {
        /* Derived from what the message is (campaign, contact, step) under a secret key, not
         * drawn at random: if this row is ever sent again as new — a database restored from a
         * backup older than the send — Telegram sees the same random_id and delivers nothing. */
        unsigned char h[8];
        char in[80];
        int n = snprintf(in, sizeof in, "tgr-random-id|%lld|%lld|%d", (long long)r->campaign_id,
                         (long long)r->contact_id, r->step);
        crypto_generichash(h, sizeof h, (const unsigned char *)in, (size_t)n, app->kr->blind,
                           sizeof app->kr->blind);
        int64_t v = 0;
        memcpy(&v, h, sizeof v);
        v &= INT64_MAX; /* positive, and never 0 */
        snprintf(random_id, sizeof random_id, "%lld", (long long)(v ? v : 1));
    }
    /* The row is 'sending' with its random_id, committed, before Telegram hears of it. */
    enum db_status cs = st->recipient_claim(st, account_id, r->id, random_id, sealed.p ? &sealed : NULL);
    if (cs < 0) {
        json_decref(media);
        rc = cs == DB_HARD ? SEND_PREPARE_STORAGE : -2; /* unclaimed: nothing goes to Telegram */
        goto done;
    }
    *req = json_pack("{s:s, s:I, s:{s:s, s:s}, s:s, s:o, s:o, s:s}", "op", "send", "account",
                     (json_int_t)account_id, "peer", "user_id", ct.tg_user_id, "access_hash", p.access_hash,
                     "text", out.text, "entities", rendered_entities_json(&out), "media", media, "random_id",
                     random_id);
    rc = *req ? TGR_OK : -2;
done:
    rendered_release(&out);
    blob_release(&sealed);
    json_decref(nudges);
    contact_plain_release(&p);
    if (s == DB_ONE) contact_release(&ct);
    campaign_release(&c);
    return rc;
}

static void last_order_text(struct app *app, int64_t account_id, int64_t contact_id, char *out, size_t cap)
{
    struct order_row o;
    if (app->store->order_latest_paid(app->store, account_id, contact_id, &o) == DB_ONE)
        orders_format(&o, out, cap);
}
