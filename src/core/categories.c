/* categories — recompute, seal, store and open contacts' categories; see categories.h. */
#include "core/categories.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "core/sealed.h"
#include "crypto/seal.h"

#define CATEGORY_TEXTS 50

#define TAG_DOMAIN "customer_categories.category"

/* "<account_id>:<contact_id>", the row key of both sealed columns and of the tag. Written digit by
 * digit: an audience scan builds one per contact, and snprintf cost as much as a tag. */
static void row_key(int64_t account_id, int64_t contact_id, char *out, size_t cap)
{
    char tmp[48];
    size_t n = 0;
    int64_t parts[2] = {account_id, contact_id};
    for (int p = 0; p < 2; p++) {
        uint64_t v = parts[p] < 0 ? (uint64_t)0 - (uint64_t)parts[p] : (uint64_t)parts[p];
        char digits[20];
        int d = 0;
        do {
            digits[d++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        if (parts[p] < 0) tmp[n++] = '-';
        while (d)
            tmp[n++] = digits[--d];
        if (p == 0) tmp[n++] = ':';
    }
    if (n >= cap) n = cap - 1; /* callers give 48 bytes: never cut */
    memcpy(out, tmp, n);
    out[n] = 0;
}

struct classification categories_open(const struct keyring *kr, int64_t account_id, int64_t contact_id,
                                      const struct blob *category, const struct blob *confidence)
{
    struct classification c = {CAT_BROWSER, 0};
    if (!category->p || !confidence->p) return c;
    char rk[48], *cat = NULL, *conf = NULL;
    size_t len;
    row_key(account_id, contact_id, rk, sizeof rk);
    if (seal_open(kr, "customer_categories", "category", rk, category->p, category->len, &cat, &len) ==
            TGR_OK &&
        seal_open(kr, "customer_categories", "confidence_score", rk, confidence->p, confidence->len, &conf,
                  &len) == TGR_OK) {
        int k = category_parse(cat);
        double v = strtod(conf, NULL);
        if (k >= 0 && v >= 0 && v <= 1) {
            c.category = (enum category)k;
            c.confidence = v;
        }
    }
    free(cat);
    free(conf);
    return c;
}

/* A line in the contact audit log: the category became `to` (from `from`, NULL the first time). */
static enum db_status audit_change(struct app *app, int64_t account_id, int64_t contact_id, const char *from,
                                   const char *to, double confidence)
{
    json_t *d = json_pack("{s:s?, s:s, s:f}", "from", from, "to", to, "confidence", confidence);
    char *text = d ? json_dumps(d, JSON_COMPACT | JSON_REAL_PRECISION(3)) : NULL;
    json_decref(d);
    struct blob sealed = {0};
    int ok = text && audit_details_seal(app, account_id, contact_id, text, &sealed) == TGR_OK;
    free(text);
    if (!ok) return DB_HARD;
    struct contact_audit e = {contact_id, now_ms(), "category_changed", "system", "classification", &sealed};
    enum db_status r = app->store->contact_audit_add(app->store, account_id, &e);
    blob_release(&sealed);
    return r;
}

/* Classify from in, store the result and write the audit line of a change (had: classified
 * before, as before). */
static enum db_status classify_store(struct app *app, int64_t account_id, int64_t contact_id,
                                     const struct classify_input *in, int had, struct classification before)
{
    struct classification out = {CAT_BROWSER, 0};
    if (!in->texts || !app->lexicon || classify(app->lexicon, in, &out) != TGR_OK) {
        log_warn("categories", "account %lld: contact %lld could not be classified; using browser",
                 (long long)account_id, (long long)contact_id);
        out.category = CAT_BROWSER;
        out.confidence = 0;
    }
    const char *name = category_name(out.category);
    enum db_status r = categories_put(app, account_id, contact_id, out);
    if (r >= 0 && (!had || before.category != out.category))
        r = audit_change(app, account_id, contact_id, had ? category_name(before.category) : NULL, name,
                         out.confidence);
    return r;
}

enum db_status categories_recompute(struct app *app, int64_t account_id, int64_t contact_id)
{
    struct store *st = app->store;
    struct classify_input in = {0, 0, NULL, 0};
    struct contact c;
    enum db_status r = st->contact_get(st, account_id, contact_id, &c);
    if (r != DB_ONE) return r;
    r = st->order_counts(st, account_id, contact_id, &in.paid_orders, &in.refunded_orders);
    struct blob *sealed = NULL;
    int64_t *ids = NULL;
    size_t n = 0;
    if (r >= 0) r = st->inbound_recent(st, account_id, contact_id, CATEGORY_TEXTS, &sealed, &ids, &n);
    if (r < 0) {
        contact_release(&c);
        return r;
    }
    char **texts = calloc(n ? n : 1, sizeof *texts);
    size_t nt = 0;
    for (size_t i = 0; texts && i < n; i++) {
        if (inbound_text_open(app, account_id, c.tg_user_id, ids[i], &sealed[i], &texts[nt]) == TGR_OK) nt++;
        blob_release(&sealed[i]);
    }
    free(sealed);
    free(ids);
    /* What it was, for the audit line of a change (none: never classified). */
    int had = c.category.p != NULL;
    struct classification before =
        categories_open(app->kr, account_id, contact_id, &c.category, &c.confidence);
    contact_release(&c);
    in.texts = (const char *const *)texts;
    in.n_texts = nt;
    r = classify_store(app, account_id, contact_id, &in, had, before);
    for (size_t i = 0; i < nt; i++)
        free(texts[i]);
    free(texts);
    return r;
}

enum db_status categories_first(struct app *app, int64_t account_id, int64_t contact_id,
                                const char *const *texts, size_t n, int linked_orders)
{
    struct classify_input in = {0, 0, NULL, 0};
    enum db_status r = DB_NONE;
    if (linked_orders > 0)
        r = app->store->order_counts(app->store, account_id, contact_id, &in.paid_orders,
                                     &in.refunded_orders);
    if (r < 0) return r;
    static const char *const none[1] = {NULL};
    /* The newest CATEGORY_TEXTS, as inbound_recent gives them to categories_recompute. */
    in.texts = n > CATEGORY_TEXTS ? texts + (n - CATEGORY_TEXTS) : n ? texts : none;
    in.n_texts = n > CATEGORY_TEXTS ? CATEGORY_TEXTS : n;
    return classify_store(app, account_id, contact_id, &in, 0, (struct classification){CAT_BROWSER, 0});
}

enum db_status categories_put(struct app *app, int64_t account_id, int64_t contact_id,
                              struct classification c)
{
    char rk[48], conf[16];
    row_key(account_id, contact_id, rk, sizeof rk);
    snprintf(conf, sizeof conf, "%.3f", c.confidence);
    const char *name = category_name(c.category);
    struct blob bc = {0}, bf = {0};
    if (seal(app->kr, "customer_categories", "category", rk, name, strlen(name), &bc.p, &bc.len) != TGR_OK ||
        seal(app->kr, "customer_categories", "confidence_score", rk, conf, strlen(conf), &bf.p, &bf.len) !=
            TGR_OK) {
        blob_release(&bc);
        blob_release(&bf);
        return DB_HARD;
    }
    unsigned char key[SEAL_TAG_KEYBYTES];
    seal_tag_key(app->kr, TAG_DOMAIN, key);
    enum db_status r =
        app->store->category_put(app->store, account_id, contact_id, &bc, &bf, seal_tag(key, rk, name));
    sodium_memzero(key, sizeof key);
    blob_release(&bc);
    blob_release(&bf);
    return r;
}

void categories_reader_init(struct category_reader *r, const struct keyring *kr, int64_t account_id)
{
    r->kr = kr;
    r->account_id = account_id;
    seal_tag_key(kr, TAG_DOMAIN, r->tag_key);
}

int categories_of_row(const struct category_reader *r, const struct audience_row *row, unsigned wanted)
{
    if (!wanted) wanted = (1u << CAT_COUNT) - 1;
    if (!row->category_tag) {
        struct classification c =
            categories_open(r->kr, r->account_id, row->contact_id, &row->category, &row->confidence);
        return wanted & (1u << c.category) ? (int)c.category : -1;
    }
    char rk[48];
    row_key(r->account_id, row->contact_id, rk, sizeof rk);
    for (int k = 0; k < CAT_COUNT; k++)
        if (wanted & (1u << k) &&
            seal_tag(r->tag_key, rk, category_name((enum category)k)) == row->category_tag)
            return k;
    if (!(wanted & (1u << CAT_BROWSER))) return -1;
    /* Browser is wanted and the tag is not browser's: another category, or unreadable (a tag that
     * matches none), which categories_open calls browser. */
    for (int k = 0; k < CAT_COUNT; k++)
        if (!(wanted & (1u << k)) &&
            seal_tag(r->tag_key, rk, category_name((enum category)k)) == row->category_tag)
            return -1;
    return CAT_BROWSER;
}
