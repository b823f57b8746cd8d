/* orders — order ingestion and CSV import; see orders.h. */
#include "core/orders.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/categories.h"
#include "core/app.h"
#include "core/log.h"
#include "core/links.h"
#include "core/phone.h"
#include "core/util.h"
#include "crypto/seal.h"
#include "store/store.h"

int parse_rfc3339(const char *s, int64_t *ms)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return TGR_ERR;
    const char *p = s + 10;
    int64_t frac = 0, off = 0;
    if (*p) {
        if ((*p != 'T' && *p != 't' && *p != ' ') || sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 || n != 8)
            return TGR_ERR;
        p += 9;
        if (*p == '.') {
            int digits = 0;
            for (p++; isdigit((unsigned char)*p); p++, digits++)
                if (digits < 3)
                    frac = frac * 10 + (*p - '0');
            if (!digits)
                return TGR_ERR;
            for (; digits < 3; digits++)
                frac *= 10;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5 || oh > 23 || om > 59)
                return TGR_ERR;
            off = (oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
            p += 6;
        } else {
            return TGR_ERR;
        }
        if (*p)
            return TGR_ERR;
    }
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return TGR_ERR;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    if (tm.tm_mday != d) /* 2026-02-31 normalised into March */
        return TGR_ERR;
    *ms = ((int64_t)t - off) * 1000 + frac;
    return TGR_OK;
}

static void set_invalid(struct order_result *res, const char *field, const char *msg)
{
    res->outcome = ORDER_INVALID;
    snprintf(res->field, sizeof res->field, "%s", field);
    snprintf(res->message, sizeof res->message, "%s %s", field, msg);
}

static int valid_text(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20)
            return 0;
    return 1;
}

/* What the order says about its customer, in the forms contacts are indexed by. */
static void customer_keys(struct app *app, const struct order_in *in, struct order_row *o)
{
    char e164[20];
    if (in->tg_user_id)
        snprintf(o->customer_tg_user_id, sizeof o->customer_tg_user_id, "%s", in->tg_user_id);
    if (in->phone && phone_normalize(in->phone, e164, sizeof e164) == TGR_OK)
        blind_index(&app->kr, "contacts.phone", e164, o->customer_phone_bidx);
    if (in->username) {
        char u[64];
        const char *s = in->username[0] == '@' ? in->username + 1 : in->username;
        size_t i = 0;
        for (; s[i] && i + 1 < sizeof u; i++)
            u[i] = (char)tolower((unsigned char)s[i]);
        u[i] = 0;
        blind_index(&app->kr, "contacts.username", u, o->customer_username_bidx);
    }
}

/* The contact an order names (Telegram id first, then phone, then username), or 0. */
static int64_t match_customer(struct app *app, int64_t account_id, const struct order_row *o)
{
    struct store *st = app->store;
    struct contact c;
    int64_t id = 0;
    if ((o->customer_tg_user_id[0] && st->contact_by_tg_id(st, account_id, o->customer_tg_user_id, &c) == DB_ONE) ||
        (o->customer_phone_bidx[0] && st->contact_by_bidx(st, account_id, "phone", o->customer_phone_bidx, &c) == DB_ONE) ||
        (o->customer_username_bidx[0] &&
         st->contact_by_bidx(st, account_id, "username", o->customer_username_bidx, &c) == DB_ONE)) {
        id = c.id;
        contact_release(&c);
    }
    return id;
}

/* What identifies an order beyond its id: amount and currency (and, checked beside this, the
 * customer's Telegram id when both name one). A repeat that differs only in how it writes a
 * phone or username, or leaves out its code or ref (refund webhooks often do), is the same
 * order; one with another amount, currency or Telegram customer is a conflict. */
static void details_hash(const struct order_in *in, int64_t created_at, char out[65])
{
    (void)created_at;
    crypto_hash_sha256_state h;
    unsigned char d[32];
    char num[64];
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const unsigned char *)in->order_id, strlen(in->order_id) + 1);
    crypto_hash_sha256_update(&h, (const unsigned char *)in->currency, strlen(in->currency) + 1);
    snprintf(num, sizeof num, "%lld", (long long)in->amount);
    crypto_hash_sha256_update(&h, (const unsigned char *)num, strlen(num));
    crypto_hash_sha256_final(&h, d);
    sodium_bin2hex(out, 65, d, sizeof d);
}

/* DESIGN §4 / API.md: the latest campaign message within 7 days earns an order without ref or code. */
#define ATTRIBUTION_WINDOW_MS (7LL * 86400 * 1000)

struct ingest_ctx {
    struct app *app;
    int64_t account_id;
    const struct order_in *in;
    struct order_result *res;
};

static enum db_status ingest_txn(struct store *st, void *cls)
{
    struct ingest_ctx *ic = cls;
    const struct order_in *in = ic->in;
    struct order_result *res = ic->res;
    int64_t created = in->created_at ? in->created_at : now_ms();
    char hash[65];
    details_hash(in, in->created_at, hash);
    struct order_row cur;
    enum db_status r = st->order_get(st, ic->account_id, in->order_id, &cur);
    if (r < 0)
        return r;
    if (r == DB_ONE) {
        res->order_row_id = cur.id;
        res->contact_id = cur.contact_id;
        res->attributed_campaign_id = cur.attributed_campaign_id;
        int other_customer = in->tg_user_id && cur.customer_tg_user_id[0] &&
                             strcmp(in->tg_user_id, cur.customer_tg_user_id) != 0;
        if (strcmp(cur.body_hash, hash) != 0 || other_customer) {
            res->outcome = ORDER_CONFLICT;
            snprintf(res->message, sizeof res->message, "order %.100s exists with another amount, currency or customer",
                     in->order_id);
            return DB_NONE;
        }
        if (strcmp(cur.status, in->status) == 0) {
            res->outcome = ORDER_SAME;
            return DB_NONE;
        }
        if (strcmp(in->status, "refunded") != 0) {
            res->outcome = ORDER_CONFLICT;
            snprintf(res->message, sizeof res->message, "order %.100s was refunded; it cannot become paid again",
                     in->order_id);
            return DB_NONE;
        }
        snprintf(cur.status, sizeof cur.status, "refunded");
        r = st->order_save(st, ic->account_id, &cur, NULL);
        if (r < 0)
            return r;
        res->outcome = ORDER_REFUNDED;
        if (cur.attributed_campaign_id) {
            /* A refund takes the revenue back from wherever it was credited. */
            struct attribution a = {cur.attributed_campaign_id, cur.attributed_recipient_id, cur.attributed_link_id,
                                    cur.attributed_code_id, cur.attributed_step, NULL};
            r = st->attribution_apply(st, ic->account_id, cur.id, &a, cur.amount, -1);
            if (r < 0)
                return r;
        }
    } else {
        struct order_row o;
        memset(&o, 0, sizeof o);
        snprintf(o.order_id, sizeof o.order_id, "%s", in->order_id);
        o.amount = in->amount;
        snprintf(o.currency, sizeof o.currency, "%s", in->currency);
        snprintf(o.status, sizeof o.status, "%s", in->status);
        o.created_at = created;
        customer_keys(ic->app, in, &o);
        o.contact_id = match_customer(ic->app, ic->account_id, &o);
        if (in->discount_code)
            blind_index(&ic->app->kr, "discount_codes.code", in->discount_code, o.discount_code_bidx);
        snprintf(o.ref, sizeof o.ref, "%s", in->ref ? in->ref : "");
        snprintf(o.body_hash, sizeof o.body_hash, "%s", hash);
        r = st->order_save(st, ic->account_id, &o, &res->order_row_id);
        if (r < 0)
            return r;
        res->contact_id = o.contact_id;
        res->outcome = ORDER_NEW;
        if (strcmp(o.status, "paid") == 0) {
            int64_t ref_recipient = 0, ref_link = 0;
            if (in->ref && link_ref_parse(&ic->app->kr, in->ref, &ref_recipient, &ref_link) != TGR_OK)
                ref_recipient = ref_link = 0; /* a ref we did not make: ignore it */
            struct attribution a;
            r = st->attribution_find(st, ic->account_id, ref_recipient, ref_link, o.discount_code_bidx, o.contact_id,
                                     created, ATTRIBUTION_WINDOW_MS, &a);
            if (r < 0)
                return r;
            if (r == DB_ONE) {
                r = st->attribution_apply(st, ic->account_id, res->order_row_id, &a, o.amount, 1);
                if (r < 0)
                    return r;
                res->attributed_campaign_id = a.campaign_id;
            }
        }
    }
    if (res->contact_id)
        return categories_recompute(ic->app, ic->account_id, res->contact_id) < 0 ? DB_HARD : DB_ONE;
    return DB_ONE;
}

void orders_ingest(struct app *app, int64_t account_id, const struct order_in *in, struct order_result *res)
{
    memset(res, 0, sizeof *res);
    if (!in->order_id || !valid_text(in->order_id, 128))
        return set_invalid(res, "order_id", "must be 1-128 printable characters");
    if (in->amount < 0 || in->amount > ORDER_AMOUNT_MAX)
        return set_invalid(res, "amount", "must be a whole number of minor units (cents) from 0 to 100000000000");
    if (!in->currency || strlen(in->currency) != 3 || !isupper((unsigned char)in->currency[0]) ||
        !isupper((unsigned char)in->currency[1]) || !isupper((unsigned char)in->currency[2]))
        return set_invalid(res, "currency", "must be an ISO 4217 code such as EUR");
    if (!in->status || (strcmp(in->status, "paid") != 0 && strcmp(in->status, "refunded") != 0))
        return set_invalid(res, "status", "must be paid or refunded");
    if ((in->tg_user_id && !valid_text(in->tg_user_id, 24)) || (in->phone && !valid_text(in->phone, 32)) ||
        (in->username && !valid_text(in->username, 64)))
        return set_invalid(res, "customer", "fields must be short printable strings");
    if (in->discount_code && !valid_text(in->discount_code, 64))
        return set_invalid(res, "discount_code", "must be 1-64 printable characters");
    if (in->ref && !valid_text(in->ref, 128))
        return set_invalid(res, "ref", "must be 1-128 printable characters");
    struct ingest_ctx ic = {app, account_id, in, res};
    enum db_status r = app->store->txn(app->store, 1, ingest_txn, &ic);
    if (r < 0) {
        res->outcome = ORDER_STORE;
        snprintf(res->message, sizeof res->message, "the database is not available; retry shortly");
    }
}

/* ---- CSV -------------------------------------------------------------------------------- */

#define CSV_COLS 10
static const char *const csv_names[CSV_COLS] = {"order_id", "amount",   "currency", "status",        "created_at",
                                                "telegram_user_id", "phone", "username", "discount_code", "ref"};

/* Read one CSV record (RFC 4180: quotes, doubled quotes, CRLF or LF) starting at *pos.
 * Fields are copied into buf (NUL-separated) and pointed to from f[]. @return fields, or -1 */
static int csv_record(const char *data, size_t len, size_t *pos, char *buf, size_t cap, char **f, int maxf)
{
    size_t p = *pos, o = 0;
    int n = 0;
    if (p >= len)
        return 0;
    for (;;) {
        if (n == maxf)
            return -1;
        f[n++] = buf + o;
        if (p < len && data[p] == '"') {
            p++;
            for (;;) {
                if (p >= len)
                    return -1;
                if (data[p] == '"') {
                    if (p + 1 < len && data[p + 1] == '"') {
                        if (o + 1 >= cap)
                            return -1;
                        buf[o++] = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (o + 1 >= cap)
                    return -1;
                buf[o++] = data[p++];
            }
        } else {
            while (p < len && data[p] != ',' && data[p] != '\n' && data[p] != '\r') {
                if (data[p] == '"' || o + 1 >= cap)
                    return -1;
                buf[o++] = data[p++];
            }
        }
        buf[o++] = 0;
        if (p < len && data[p] == ',') {
            p++;
            continue;
        }
        if (p < len && data[p] == '\r')
            p++;
        if (p < len && data[p] == '\n')
            p++;
        else if (p < len)
            return -1;
        break;
    }
    *pos = p;
    return n;
}

static int parse_amount(const char *s, int64_t *out)
{
    const char *dot = strchr(s, '.');
    if (!dot)
        return parse_i64(s, 0, ORDER_AMOUNT_MAX, out);
    char whole[32];
    size_t wl = (size_t)(dot - s), fl = strlen(dot + 1);
    if (wl == 0 || wl >= sizeof whole || fl == 0 || fl > 2)
        return TGR_ERR;
    memcpy(whole, s, wl);
    whole[wl] = 0;
    int64_t w, f;
    if (parse_i64(whole, 0, ORDER_AMOUNT_MAX / 100, &w) != TGR_OK || parse_i64(dot + 1, 0, 99, &f) != TGR_OK ||
        dot[1] == '-' || dot[1] == '+')
        return TGR_ERR;
    *out = w * 100 + (fl == 1 ? f * 10 : f);
    return TGR_OK;
}

static void add_error(struct import_result *res, long line, const char *msg)
{
    res->errors_total++;
    if (res->n_errors >= IMPORT_MAX_ERRORS)
        return;
    if (!res->errors)
        res->errors = calloc(IMPORT_MAX_ERRORS, sizeof *res->errors);
    if (!res->errors)
        return;
    res->errors[res->n_errors].line = line;
    snprintf(res->errors[res->n_errors].message, sizeof res->errors[0].message, "%s", msg);
    res->n_errors++;
}

int orders_import_csv(struct app *app, int64_t account_id, const char *data, size_t len,
                      void (*progress)(void *ctx, long line, size_t done, size_t total), void *ctx,
                      struct import_result *res)
{
    memset(res, 0, sizeof *res);
    char buf[4096], *f[CSV_COLS + 1];
    size_t pos = 0;
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB && (unsigned char)data[2] == 0xBF)
        pos = 3; /* a UTF-8 byte order mark from spreadsheet exports */
    int n = csv_record(data, len, &pos, buf, sizeof buf, f, CSV_COLS + 1);
    int col[CSV_COLS];
    for (int i = 0; i < CSV_COLS; i++)
        col[i] = -1;
    if (n <= 0) {
        add_error(res, 1, "the file is empty or its header is not CSV");
        return TGR_ERR;
    }
    for (int i = 0; i < n; i++) {
        int k = -1;
        for (int j = 0; j < CSV_COLS; j++)
            if (strcmp(f[i], csv_names[j]) == 0)
                k = j;
        if (k < 0 || col[k] >= 0) {
            char m[200];
            snprintf(m, sizeof m, "header column '%.60s' is %s", f[i], k < 0 ? "not known" : "repeated");
            add_error(res, 1, m);
            return TGR_ERR;
        }
        col[k] = i;
    }
    for (int j = 0; j < 5; j++) {
        if (col[j] < 0 && j != 4) {
            char m[200];
            snprintf(m, sizeof m, "header is missing the column %s", csv_names[j]);
            add_error(res, 1, m);
            return TGR_ERR;
        }
    }
    long line = 1, next_line = 2;
    while (pos < len) {
        /* Errors name the physical line a record starts on (quoted fields may span lines). */
        line = next_line;
        size_t start = pos;
        char *vals[CSV_COLS + 1];
        int got = csv_record(data, len, &pos, buf, sizeof buf, vals, CSV_COLS + 1);
        for (size_t k = start; k < pos && k < len; k++)
            next_line += data[k] == '\n';
        if (progress && line % 1000 == 0)
            progress(ctx, line, pos, len);
        if (got < 0) {
            add_error(res, line, "not a valid CSV line (quotes, or too many or too long fields)");
            /* Skip to the next line break to go on. */
            while (pos < len && data[pos] != '\n')
                pos++;
            if (pos < len)
                pos++;
            next_line = line + 1;
            continue;
        }
        if (got == 1 && vals[0][0] == 0)
            continue; /* blank line */
        if (got != n) {
            add_error(res, line, "has a different number of fields than the header");
            continue;
        }
#define V(k) (col[k] >= 0 && vals[col[k]][0] ? vals[col[k]] : NULL)
        struct order_in in = {V(0), 0, V(2), V(3), 0, V(5), V(6), V(7), V(8), V(9)};
        if (!V(1) || parse_amount(V(1), &in.amount) != TGR_OK) {
            add_error(res, line, "amount must be minor units (1999) or a decimal (19.99)");
            continue;
        }
        if (V(4) && parse_rfc3339(V(4), &in.created_at) != TGR_OK) {
            add_error(res, line, "created_at must be a date and time like 2026-11-25T08:00:00Z");
            continue;
        }
#undef V
        struct order_result r;
        orders_ingest(app, account_id, &in, &r);
        switch (r.outcome) {
        case ORDER_NEW:
        case ORDER_REFUNDED:
            res->imported++;
            break;
        case ORDER_SAME:
            res->skipped++;
            break;
        default:
            add_error(res, line, r.message);
            break;
        }
    }
    if (progress)
        progress(ctx, line, len, len);
    return TGR_OK;
}

void import_result_release(struct import_result *r)
{
    free(r->errors);
    memset(r, 0, sizeof *r);
}

/* "#1042 (€19.99)" */
void orders_format(const struct order_row *o, char *out, size_t cap)
{
    static const struct {
        const char *code, *sym;
        int before, decimals;
    } cur[] = {{"EUR", "€", 1, 2}, {"USD", "$", 1, 2}, {"GBP", "£", 1, 2}, {"RUB", " ₽", 0, 2},
               {"JPY", "¥", 1, 0}, {"UAH", " ₴", 0, 2}, {"INR", "₹", 1, 2}};
    const char *sym = NULL;
    int before = 0, dec = 2;
    for (size_t i = 0; i < sizeof cur / sizeof cur[0]; i++)
        if (strcmp(o->currency, cur[i].code) == 0) {
            sym = cur[i].sym;
            before = cur[i].before;
            dec = cur[i].decimals;
        }
    char amount[48];
    int64_t a = o->amount < 0 ? -o->amount : o->amount;
    if (dec == 2)
        snprintf(amount, sizeof amount, "%lld.%02lld", (long long)(a / 100), (long long)(a % 100));
    else
        snprintf(amount, sizeof amount, "%lld", (long long)a);
    const char *hash = o->order_id[0] == '#' ? "" : "#";
    if (!sym)
        snprintf(out, cap, "%s%s (%s %s)", hash, o->order_id, amount, o->currency);
    else if (before)
        snprintf(out, cap, "%s%s (%s%s)", hash, o->order_id, sym, amount);
    else
        snprintf(out, cap, "%s%s (%s%s)", hash, o->order_id, amount, sym);
}

