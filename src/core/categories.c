/* categories — recompute, seal, store and open contacts' categories; see categories.h. */
#include "core/categories.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "core/sealed.h"
#include "crypto/seal.h"

#define CATEGORY_TEXTS 50

static void row_key(int64_t account_id, int64_t contact_id, char *out, size_t cap)
{
    snprintf(out, cap, "%lld:%lld", (long long)account_id, (long long)contact_id);
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

enum db_status categories_recompute(struct app *app, int64_t account_id, int64_t contact_id)
{
    struct store *st = app->store;
    struct classify_input in = {0, 0, NULL, 0};
    struct classification out = {CAT_BROWSER, 0};
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
    if (!texts || !app->lexicon || classify(app->lexicon, &in, &out) != TGR_OK) {
        log_warn("categories", "account %lld: contact %lld could not be classified; using browser",
                 (long long)account_id, (long long)contact_id);
        out.category = CAT_BROWSER;
        out.confidence = 0;
    }
    for (size_t i = 0; i < nt; i++)
        free(texts[i]);
    free(texts);

    char rk[48], conf[16];
    row_key(account_id, contact_id, rk, sizeof rk);
    snprintf(conf, sizeof conf, "%.3f", out.confidence);
    const char *name = category_name(out.category);
    struct blob bc = {0}, bf = {0};
    if (seal(app->kr, "customer_categories", "category", rk, name, strlen(name), &bc.p, &bc.len) != TGR_OK ||
        seal(app->kr, "customer_categories", "confidence_score", rk, conf, strlen(conf), &bf.p, &bf.len) !=
            TGR_OK) {
        blob_release(&bc);
        blob_release(&bf);
        return DB_HARD;
    }
    r = st->category_put(st, account_id, contact_id, &bc, &bf);
    blob_release(&bc);
    blob_release(&bf);
    if (r >= 0 && (!had || before.category != out.category))
        r = audit_change(app, account_id, contact_id, had ? category_name(before.category) : NULL, name,
                         out.confidence);
    return r;
}
