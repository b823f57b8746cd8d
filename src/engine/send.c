/* send — preparing one message and classifying the answer; see send.h. */
#include "engine/send.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/jsonout.h"
#include "core/links.h"
#include "base/log.h"
#include "core/orders.h"
#include "core/render.h"
#include "core/tgerror.h"
#include "base/util.h"
#include "core/message.h"
#include "core/sealed.h"
#include "crypto/seal.h"
#include "blob/blobstore.h"

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
enum send_kind send_classify(const char *code, struct send_class *out)
{
    *out = (struct send_class){0};
    const struct tg_error *t = tgerror_find(code, &out->number);
    enum tg_error_class cls = t ? t->cls : TG_ERROR_DEFAULT_CLASS;
    if (t) out->mark = (int)t->mark;
    switch (cls) {
    case TGE_FLOOD_WAIT:
        return SEND_FLOOD_WAIT;
    case TGE_PEER_FLOOD:
        return SEND_PEER_FLOOD;
    case TGE_SESSION_DEAD:
        return SEND_SESSION_DEAD;
    case TGE_ACCOUNT_FROZEN:
        return SEND_FROZEN;
    case TGE_RECIPIENT_CHARGES:
        out->personal = 1;
        return SEND_SKIP;
    case TGE_TEMPORARY:
        return SEND_TEMPORARY;
    case TGE_RECIPIENT_PERMANENT:
        out->personal = 1;
        return SEND_PERMANENT;
    case TGE_PERMANENT:
        break;
    }
    return SEND_PERMANENT;
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
    struct blob kept = {0};
    char *plain = NULL;
    if (st->recipient_code(st, account_id, r->id, &kept) < 0) return -2;
    if (kept.p) {
        int ok = recipient_code_open(app, account_id, c->id, r->contact_id, &kept, &plain) == TGR_OK;
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
    int ok = code_open(app, account_id, c->id, &row, &plain) == TGR_OK;
    blob_release(&row.code);
    if (!ok) return TGR_ERR;
    snprintf(code, cap, "%s", plain);
    /* Sealed per (campaign, contact), so nudge rows carry the same code as the first message. */
    int rc = recipient_code_seal(app, account_id, c->id, r->contact_id, plain, sealed);
    free(plain);
    return rc;
}

void send_memo_init(struct send_memo *m)
{
    memset(m, 0, sizeof *m);
}

void send_memo_release(struct send_memo *m)
{
    if (m->have) campaign_release(&m->c);
    json_decref(m->nudges);
    send_memo_init(m);
}

enum db_status send_memo_campaign(struct app *app, struct send_memo *m, int64_t account_id,
                                  const struct recipient *r, const struct campaign **c)
{
    *c = NULL;
    if (!m->have || m->c.id != r->campaign_id || m->c.updated_at != r->campaign_version) {
        send_memo_release(m);
        enum db_status s = app->store->campaign_get(app->store, account_id, r->campaign_id, &m->c);
        if (s != DB_ONE) return s;
        m->have = 1;
        if (m->c.nudges_json) {
            json_error_t je;
            m->nudges = json_loads(m->c.nudges_json, 0, &je);
        }
    }
    *c = &m->c;
    return DB_ONE;
}

void send_prepared_release(struct send_prepared *p)
{
    free(p->req);
    blob_release(&p->code);
    memset(p, 0, sizeof *p);
}

/* Derived from what the message is (campaign, contact, step) under a secret key, not drawn at
 * random: if this row is ever sent again as new — a database restored from a backup older than
 * the send — Telegram sees the same random_id and delivers nothing. */
static void random_id_of(struct app *app, const struct recipient *r, char *out, size_t cap)
{
    if (r->random_id[0]) {
        snprintf(out, cap, "%s", r->random_id);
        return;
    }
    unsigned char h[8];
    char in[80];
    int n = snprintf(in, sizeof in, "tgr-random-id|%lld|%lld|%d", (long long)r->campaign_id,
                     (long long)r->contact_id, r->step);
    crypto_generichash(h, sizeof h, (const unsigned char *)in, (size_t)n, app->kr->blind,
                       sizeof app->kr->blind);
    int64_t v = 0;
    memcpy(&v, h, sizeof v);
    v &= INT64_MAX; /* positive, and never 0 */
    snprintf(out, cap, "%lld", (long long)(v ? v : 1));
}

/* render_check of step's template tmpl, once per memo's campaign. @return TGR_OK or TGR_ERR (re filled) */
static int template_uses(struct send_memo *m, int step, const char *tmpl, unsigned *uses,
                         struct render_error *re)
{
    int kept = step >= 0 && step < SEND_MEMO_STEPS;
    if (kept && (m->checked >> step & 1u)) {
        *uses = m->uses[step];
        return TGR_OK;
    }
    if (render_check(tmpl, uses, re) != TGR_OK) return TGR_ERR;
    if (kept) {
        m->uses[step] = (unsigned char)*uses;
        m->checked |= 1u << step;
    }
    return TGR_OK;
}

int send_prepare(struct app *app, struct send_memo *m, int64_t account_id, const struct recipient *r,
                 const struct contact *addr, struct send_prepared *out, char *why_code, size_t codecap,
                 char *why, size_t whycap)
{
    struct store *st = app->store;
    const struct campaign *c;
    struct contact ct;
    memset(out, 0, sizeof *out);
    enum db_status cs = send_memo_campaign(app, m, account_id, r, &c);
    if (cs < 0) return -2;
    if (cs == DB_NONE) {
        fail_with(why_code, codecap, why, whycap, "campaign_missing", "the campaign was deleted");
        return TGR_ERR;
    }
    /* The address read with the row (recipients_next), else read now. */
    enum db_status s;
    int owned = !addr;
    if (addr) {
        ct = *addr; /* borrowed: released by the caller */
        s = addr->id ? DB_ONE : DB_NONE;
    } else {
        s = st->contact_address(st, account_id, r->contact_id, &ct);
    }
    if (s < 0) return -2;
    int rc = TGR_ERR;
    struct contact_plain p;
    memset(&p, 0, sizeof p);
    const char *tmpl = c->message_text;
    struct rendered rd;
    memset(&rd, 0, sizeof rd);
    char code[72] = "", last_order[200] = "";
    if (s == DB_ONE && ct.opted_out_at) {
        fail_with(why_code, codecap, why, whycap, "opted_out", "the person opted out before it was sent");
        rc = SEND_PREPARE_SKIP;
        goto done;
    }
    if (s == DB_NONE || contact_open(app, account_id, &ct, &p) != TGR_OK || !p.access_hash) {
        fail_with(why_code, codecap, why, whycap, "PEER_ID_INVALID", "the contact cannot be addressed");
        goto done;
    }
    if (r->step > 0) {
        tmpl = json_string_value(
            json_object_get(json_array_get(m->nudges, (size_t)r->step - 1), "message_text"));
        if (!tmpl) {
            fail_with(why_code, codecap, why, whycap, "nudge_removed", "this nudge is no longer in the plan");
            goto done;
        }
    }
    unsigned uses = 0;
    struct render_error re;
    if (template_uses(m, r->step, tmpl, &uses, &re) != TGR_OK) {
        fail_with(why_code, codecap, why, whycap, "template_invalid", re.message);
        goto done;
    }
    if (uses & RENDER_USES_DISCOUNT_CODE) {
        int d = discount_for(app, account_id, c, r, code, sizeof code, &out->code);
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
    if ((uses & RENDER_USES_LAST_ORDER) &&
        message_last_order(app, account_id, ct.id, last_order, sizeof last_order)) {
        rc = -2; /* the store failed: the row stays */
        goto done;
    }
    struct render_vars vars = {p.first_name, last_order[0] ? last_order : NULL, code[0] ? code : NULL};
    struct message_links lc;
    message_links_init(&lc, app, account_id, c->id, r->id);
    lc.memo = &m->links;
    int rendered = render(tmpl, &vars, c->track_links ? message_link : NULL, &lc, &rd, &re);
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
    char path[1100] = "";
    struct media_row md;
    int with_media = c->n_media && r->step == 0;
    if (with_media) {
        enum db_status ms = st->media_get(st, account_id, c->media_ids[0], &md);
        if (ms < 0) {
            rc = -2;
            goto done;
        }
        if (ms == DB_NONE) {
            fail_with(why_code, codecap, why, whycap, "media_missing",
                      "the campaign's media file was deleted");
            goto done;
        }
        if (!app->media || app->media->local_path(app->media, md.storage_key, path, sizeof path) != TGR_OK) {
            fail_with(why_code, codecap, why, whycap, "MEDIA_UNAVAILABLE",
                      "the media store could not provide the campaign's file");
            rc = SEND_PREPARE_RETRY;
            goto done;
        }
    }
    random_id_of(app, r, out->random_id, sizeof out->random_id);
    /* The request's text written at once, members in the order a json_pack of them would keep:
     * an object to hold it and then its dump were a fifth of the engine's instructions a message
     * (DECISIONS 99). A value that is not valid UTF-8 fails the text, as json_pack refused it. */
    struct jsonout o = {0};
    jsonout_raw(&o, "{\"op\":\"send\",\"account\":");
    jsonout_int(&o, account_id);
    jsonout_raw(&o, ",\"peer\":{\"user_id\":");
    jsonout_str(&o, ct.tg_user_id);
    jsonout_raw(&o, ",\"access_hash\":");
    jsonout_str(&o, p.access_hash);
    jsonout_raw(&o, "},\"text\":");
    jsonout_str(&o, rd.text);
    jsonout_raw(&o, ",\"entities\":");
    rendered_entities_put(&rd, &o);
    jsonout_raw(&o, ",\"media\":");
    if (with_media) {
        jsonout_raw(&o, "{\"path\":");
        jsonout_str(&o, path);
        jsonout_raw(&o, ",\"mime\":");
        jsonout_str(&o, md.mime);
        jsonout_raw(&o, "}");
    } else {
        jsonout_raw(&o, "null");
    }
    jsonout_raw(&o, ",\"random_id\":");
    jsonout_str(&o, out->random_id);
    jsonout_raw(&o, "}");
    out->req = jsonout_end(&o, &out->req_len);
    rc = out->req ? TGR_OK : -2;
done:
    if (rc != TGR_OK) blob_release(&out->code);
    rendered_release(&rd);
    contact_plain_release(&p);
    if (s == DB_ONE && owned) contact_release(&ct);
    return rc;
}
