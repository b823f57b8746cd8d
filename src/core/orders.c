/* orders — order ingestion and CSV import; see orders.h. */
#include "core/orders.h"

#include <csv.h>
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/attribution.h"
#include "core/categories.h"
#include "base/app.h"
#include "base/counters.h"
#include "base/log.h"
#include "core/links.h"
#include "core/phone.h"
#include "core/webhooks.h"
#include "base/util.h"
#include "crypto/seal.h"
#include "store/store.h"

int parse_rfc3339(const char *s, int64_t *ms)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return TGR_ERR;
    const char *p = s + 10;
    int64_t frac = 0, off = 0;
    if (*p) {
        if ((*p != 'T' && *p != 't' && *p != ' ') || sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 ||
            n != 8)
            return TGR_ERR;
        p += 9;
        if (*p == '.') {
            int digits = 0;
            for (p++; isdigit((unsigned char)*p); p++, digits++)
                if (digits < 3) frac = frac * 10 + (*p - '0');
            if (!digits) return TGR_ERR;
            for (; digits < 3; digits++)
                frac *= 10;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5 || oh > 23 || om > 59) return TGR_ERR;
            off = (oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
            p += 6;
        } else {
            return TGR_ERR;
        }
        if (*p) return TGR_ERR;
    }
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return TGR_ERR;
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    if (tm.tm_mday != d) /* 2026-02-31 normalised into March */
        return TGR_ERR;
    *ms = ((int64_t)t - off) * 1000 + frac;
    return TGR_OK;
}

/* @return 0 (not valid), for order_valid's returns */
static int set_invalid(struct order_result *res, const char *field, const char *msg)
{
    res->outcome = ORDER_INVALID;
    snprintf(res->field, sizeof res->field, "%s", field);
    snprintf(res->message, sizeof res->message, "%s %s", field, msg);
    return 0;
}

static int valid_text(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20) return 0;
    return 1;
}

/* What the order says about its customer, in the forms contacts are indexed by. */
static void customer_keys(struct app *app, const struct order_in *in, struct order_row *o)
{
    char e164[20];
    if (in->tg_user_id) snprintf(o->customer_tg_user_id, sizeof o->customer_tg_user_id, "%s", in->tg_user_id);
    if (in->phone && phone_normalize(in->phone, e164, sizeof e164) == TGR_OK)
        blind_index(app->kr, "contacts.phone", e164, o->customer_phone_bidx);
    if (in->username) {
        char u[64];
        const char *s = in->username[0] == '@' ? in->username + 1 : in->username;
        size_t i = 0;
        for (; s[i] && i + 1 < sizeof u; i++)
            u[i] = (char)tolower((unsigned char)s[i]);
        u[i] = 0;
        blind_index(app->kr, "contacts.username", u, o->customer_username_bidx);
    }
}

/* The contact an order names (Telegram id first, then phone, then username), or 0. */
static int64_t match_customer(struct app *app, int64_t account_id, const struct order_row *o)
{
    struct store *st = app->store;
    struct contact c;
    int64_t id = 0;
    if ((o->customer_tg_user_id[0] &&
         st->contact_by_tg_id(st, account_id, o->customer_tg_user_id, &c) == DB_ONE) ||
        (o->customer_phone_bidx[0] &&
         st->contact_by_bidx(st, account_id, "phone", o->customer_phone_bidx, &c) == DB_ONE) ||
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
    if (in->test) /* a test order and a real one never share an order_id; real hashes are unchanged */
        crypto_hash_sha256_update(&h, (const unsigned char *)"\0test", 5);
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

/* order.attributed: an order credited to a campaign — or, status refunded, one whose credit a
 * refund took back. attributed_via is as GET /orders names it. */
struct order_event {
    const struct order_row *o;
    const struct attribution *a;
};

static enum db_status order_event(struct store *st, int64_t account_id, void *cls, json_t **out)
{
    const struct order_event *x = cls;
    const char *by = x->a->by;
    char created[40];
    rfc3339(x->o->created_at, created, sizeof created);
    *out = json_pack("{s:s, s:I, s:s, s:s, s:s, s:I, s:i, s:s?, s:o}", "order_id", x->o->order_id, "amount",
                     (json_int_t)x->o->amount, "currency", x->o->currency, "status", x->o->status,
                     "created_at", created, "campaign_id", (json_int_t)x->a->campaign_id, "step", x->a->step,
                     "attributed_via", by && strcmp(by, "code") == 0 ? "discount_code" : by, "contact_id",
                     x->o->contact_id ? json_integer(x->o->contact_id) : json_null());
    return *out ? DB_ONE : DB_HARD;
}

static enum db_status ingest_txn(struct store *st, void *cls)
{
    struct ingest_ctx *ic = cls;
    const struct order_in *in = ic->in;
    struct order_result *res = ic->res;
    memset(res, 0, sizeof *res); /* a transaction retried runs this again */
    int64_t created = in->created_at ? in->created_at : now_ms();
    char hash[65];
    details_hash(in, in->created_at, hash);
    struct order_row cur;
    enum db_status r = st->order_get(st, ic->account_id, in->order_id, &cur);
    if (r < 0) return r;
    if (r == DB_ONE) {
        res->order_row_id = cur.id;
        res->contact_id = cur.contact_id;
        res->attributed_campaign_id = cur.attributed_campaign_id;
        int other_customer = in->tg_user_id && cur.customer_tg_user_id[0] &&
                             strcmp(in->tg_user_id, cur.customer_tg_user_id) != 0;
        if (strcmp(cur.body_hash, hash) != 0 || other_customer) {
            res->outcome = ORDER_CONFLICT;
            snprintf(res->message, sizeof res->message,
                     "order %.100s exists with another amount, currency or customer", in->order_id);
            return DB_NONE;
        }
        if (strcmp(cur.status, in->status) == 0) {
            res->outcome = ORDER_SAME;
            return DB_NONE;
        }
        if (strcmp(in->status, "refunded") != 0) {
            res->outcome = ORDER_CONFLICT;
            snprintf(res->message, sizeof res->message,
                     "order %.100s was refunded; it cannot become paid again", in->order_id);
            return DB_NONE;
        }
        snprintf(cur.status, sizeof cur.status, "refunded");
        r = st->order_save(st, ic->account_id, &cur, NULL);
        if (r < 0) return r;
        res->outcome = ORDER_REFUNDED;
        if (cur.attributed_campaign_id) {
            /* A refund takes the revenue back from wherever it was credited. */
            struct attribution a = {cur.attributed_campaign_id, cur.attributed_recipient_id,
                                    cur.attributed_link_id,     cur.attributed_code_id,
                                    cur.attributed_step,        NULL};
            r = attribution_apply(st, ic->account_id, cur.id, &a, cur.amount, -1);
            if (r < 0) return r;
            a.by = cur.attributed_by[0] ? cur.attributed_by : NULL;
            r = webhook_emit(st, ic->account_id, WH_ORDER_ATTRIBUTED, order_event,
                             &(struct order_event){&cur, &a});
            if (r < 0) return r;
        }
    } else {
        struct order_row o;
        memset(&o, 0, sizeof o);
        snprintf(o.order_id, sizeof o.order_id, "%s", in->order_id);
        o.amount = in->amount;
        snprintf(o.currency, sizeof o.currency, "%s", in->currency);
        snprintf(o.status, sizeof o.status, "%s", in->status);
        o.created_at = created;
        if (!in->test) {
            customer_keys(ic->app, in, &o);
            o.contact_id = match_customer(ic->app, ic->account_id, &o);
        }
        if (in->discount_code)
            blind_index(ic->app->kr, "discount_codes.code", in->discount_code, o.discount_code_bidx);
        snprintf(o.ref, sizeof o.ref, "%s", in->ref ? in->ref : "");
        snprintf(o.body_hash, sizeof o.body_hash, "%s", hash);
        r = st->order_save(st, ic->account_id, &o, &res->order_row_id);
        if (r < 0) return r;
        res->contact_id = o.contact_id;
        res->outcome = ORDER_NEW;
        if (in->test) {
            r = st->order_mark_test(st, ic->account_id, res->order_row_id);
            return r < 0 ? r : DB_ONE;
        }
        /* The account's currency is the one most of its orders use, test orders left out; it is
         * counted here rather than over the orders at every read (analytics asks at each poll). */
        r = st->currency_count(st, ic->account_id, o.currency);
        if (r < 0) return r;
        if (strcmp(o.status, "paid") == 0) {
            int64_t ref_recipient = 0, ref_link = 0;
            if (in->ref && link_ref_parse(ic->app->kr, in->ref, &ref_recipient, &ref_link) != TGR_OK)
                ref_recipient = ref_link = 0; /* a ref we did not make: ignore it */
            struct attribution a;
            r = attribution_find(st, ic->account_id, ref_recipient, ref_link, o.discount_code_bidx,
                                 o.contact_id, created, ATTRIBUTION_WINDOW_MS, &a);
            if (r < 0) return r;
            if (r == DB_ONE) {
                r = attribution_apply(st, ic->account_id, res->order_row_id, &a, o.amount, 1);
                if (r < 0) return r;
                r = webhook_emit(st, ic->account_id, WH_ORDER_ATTRIBUTED, order_event,
                                 &(struct order_event){&o, &a});
                if (r < 0) return r;
                res->attributed_campaign_id = a.campaign_id;
            }
        }
    }
    if (res->contact_id)
        return categories_recompute(ic->app, ic->account_id, res->contact_id) < 0 ? DB_HARD : DB_ONE;
    return DB_ONE;
}

/* The checks every order passes before anything is stored: the webhook's and each CSV line's.
 * @return 1, or 0 with res an ORDER_INVALID that says which field is wrong */
static int order_valid(const struct order_in *in, struct order_result *res)
{
    if (!in->order_id || !valid_text(in->order_id, 128))
        return set_invalid(res, "order_id", "must be 1-128 printable characters");
    if (in->amount < 0 || in->amount > ORDER_AMOUNT_MAX)
        return set_invalid(res, "amount",
                           "must be a whole number of minor units (cents) from 0 to 100000000000");
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
    return 1;
}

/* Store one valid order in a durable transaction of its own. */
static void store_order(struct app *app, int64_t account_id, const struct order_in *in,
                        struct order_result *res)
{
    struct ingest_ctx ic = {app, account_id, in, res};
    enum db_status r = app->store->txn(app->store, TX_DURABLE, ingest_txn, &ic);
    if (r < 0) {
        memset(res, 0, sizeof *res);
        res->outcome = ORDER_STORE;
        snprintf(res->message, sizeof res->message, "the database is not available; retry shortly");
    }
}

/* Count a committed order's credit for operators (base/counters.h): a new paid order credited to
 * a campaign, with its amount by currency, or the refund of a credited one. */
static void count_credit(const struct order_in *in, const struct order_result *res)
{
    if (!res->attributed_campaign_id) return;
    if (res->outcome == ORDER_NEW) {
        counter_add(CNT_ORDERS_ATTRIBUTED, 1);
        counter_add_by(FAM_REVENUE, in->currency, (uint64_t)in->amount);
    } else if (res->outcome == ORDER_REFUNDED) {
        counter_add(CNT_ORDERS_ATTRIBUTED_REFUNDED, 1);
        counter_add_by(FAM_REVENUE_REFUNDED, in->currency, (uint64_t)in->amount);
    }
}

void orders_ingest(struct app *app, int64_t account_id, const struct order_in *in, struct order_result *res)
{
    memset(res, 0, sizeof *res);
    if (order_valid(in, res)) store_order(app, account_id, in, res);
    count_credit(in, res);
}

int orders_webhook_mac(struct app *app, int64_t account_id, const void *body, size_t len,
                       unsigned char mac[32])
{
    struct store *st = app->store;
    unsigned char *sealed = NULL;
    size_t slen = 0;
    if (st->account_webhook_secret(st, account_id, &sealed, &slen) != DB_ONE) return TGR_ERR;
    char rk[24], *secret = NULL;
    size_t n;
    snprintf(rk, sizeof rk, "%lld", (long long)account_id);
    int ok = seal_open(app->kr, "accounts", "webhook_secret", rk, sealed, slen, &secret, &n) == TGR_OK;
    free(sealed);
    if (!ok) return TGR_ERR;
    crypto_auth_hmacsha256_state hs;
    crypto_auth_hmacsha256_init(&hs, (const unsigned char *)secret, n);
    crypto_auth_hmacsha256_update(&hs, (const unsigned char *)(body ? body : ""), len);
    crypto_auth_hmacsha256_final(&hs, mac);
    sodium_memzero(&hs, sizeof hs);
    sodium_memzero(secret, n);
    free(secret);
    return TGR_OK;
}

/* ---- CSV --------------------------------------------------------------------------------
 *
 * libcsv (Debian's libcsv-dev) reads the file: a push parser, fed IMPORT_CHUNK bytes at a time,
 * that calls on_field at the end of each field and on_record at the end of each record. It runs
 * in strict mode (a quote inside an unquoted field, or text after a closing quote, is an error,
 * as RFC 4180 has it) and drops the spaces around unquoted fields.
 *
 * Lines. Errors name the physical line a record starts on, which libcsv does not tell. So each
 * chunk is handed over in pieces that end at a line break (CR or LF): libcsv ends a record only
 * on such a byte, so after each piece we know whether a record is still open, and a record that
 * is not open begins on the line of the next piece that holds more than blanks.
 *
 * Limits. libcsv grows its field buffer without bound; its realloc is replaced by one that
 * refuses past CSV_PARSER_MAX, so one import holds at most that, the chunk, one record
 * (IMPORT_RECORD_MAX) and one batch of rows, whatever the file's size. A field longer than
 * IMPORT_FIELD_MAX, or a record longer than IMPORT_RECORD_MAX, is read to its end and its line
 * refused. A field that does not even fit the parser's buffer stops libcsv (CSV_ENOMEM), as a
 * strict-mode error does (CSV_EPARSE): the line is refused, the parser is reset (parser_reset)
 * and reading resumes after the next LF — inside the field when it was quoted and had
 * line breaks, whose further lines are then errors of their own.
 *
 * Batches. Lines are checked as they are read (order_valid: nothing invalid reaches the store)
 * and kept, with their outcome when they are already an error, until IMPORT_BATCH of them are
 * there; then one durable transaction runs ingest_txn for each valid one — the webhook's rules,
 * not a copy. A row whose outcome is a conflict or a repeat writes nothing, so no row can undo
 * another's; only a database failure fails the transaction, and then the batch is stored again
 * row by row (store_order), so that a row the database refuses costs only itself, as before.
 * Outcomes are counted in line order once their batch is done. */

#define CSV_COLS       10
#define CSV_PARSER_MAX (64 * 1024)
#define STR_(x)        #x
#define STR(x)         STR_(x)

static const char *const csv_names[CSV_COLS] = {
    "order_id",         "amount", "currency", "status",        "created_at",
    "telegram_user_id", "phone",  "username", "discount_code", "ref"};

/* libcsv's realloc: its field buffer never grows past CSV_PARSER_MAX. */
static void *capped_realloc(void *p, size_t n)
{
    return n > CSV_PARSER_MAX ? NULL : realloc(p, n);
}

/* Room for the texts of the longest valid order: every text field of order_in at its maximum. */
#define ROW_TEXT_MAX 512

/* One data line waiting for its batch: its order, or (refused) the error it already has. */
struct batch_row {
    long line;
    int refused;
    struct order_in in; /* its strings point into text */
    char text[ROW_TEXT_MAX];
    struct order_result r;
};

struct import {
    struct app *app;
    int64_t account_id;
    struct import_result *res;
    void (*progress)(void *ctx, long line, size_t done, size_t total);
    void *ctx;
    size_t done, total; /* bytes read before the current chunk; the caller's total */
    struct csv_parser p;
    long line;     /* the physical line being read, from 1 */
    long rec_line; /* the line the current record began on */
    int open;      /* a record has begun and not ended */
    int ended;     /* on_record ran during the current piece */
    int skipping;  /* after a line libcsv stopped on: skip to the next LF */
    int failed;    /* the header was refused: read no further */
    int have_header;
    int col[CSV_COLS]; /* field index of each known column, or -1 */
    size_t ncols;
    /* The current record: its first CSV_COLS + 1 fields, NUL-terminated, at off[] in rec. */
    size_t nf, used, len; /* len: its bytes so far, one separator between fields */
    const char *bad;      /* why the record is refused, NULL while it is fine */
    size_t off[CSV_COLS + 1];
    char rec[IMPORT_RECORD_MAX + 1];
    /* The batch: nb rows kept. Rows are allocated as first needed and reused by later batches,
     * so a small file allocates little; they never move, so pointers into their text hold. */
    struct batch_row *rows[IMPORT_BATCH];
    size_t nb;
};

static int parse_amount(const char *s, int64_t *out)
{
    const char *dot = strchr(s, '.');
    if (!dot) return parse_i64(s, 0, ORDER_AMOUNT_MAX, out);
    char whole[32];
    size_t wl = (size_t)(dot - s), fl = strlen(dot + 1);
    if (wl == 0 || wl >= sizeof whole || fl == 0 || fl > 2) return TGR_ERR;
    memcpy(whole, s, wl);
    whole[wl] = 0;
    int64_t w, f;
    if (parse_i64(whole, 0, ORDER_AMOUNT_MAX / 100, &w) != TGR_OK ||
        parse_i64(dot + 1, 0, 99, &f) != TGR_OK || dot[1] == '-' || dot[1] == '+')
        return TGR_ERR;
    *out = w * 100 + (fl == 1 ? f * 10 : f);
    return TGR_OK;
}

static void add_error(struct import_result *res, long line, const char *msg)
{
    res->errors_total++;
    if (res->n_errors >= IMPORT_MAX_ERRORS) return;
    if (!res->errors) res->errors = calloc(IMPORT_MAX_ERRORS, sizeof *res->errors);
    if (!res->errors) return;
    res->errors[res->n_errors].line = line;
    snprintf(res->errors[res->n_errors].message, sizeof res->errors[0].message, "%s", msg);
    res->n_errors++;
}

static enum db_status batch_txn(struct store *st, void *cls)
{
    struct import *im = cls;
    for (size_t i = 0; i < im->nb; i++) {
        struct batch_row *b = im->rows[i];
        if (b->refused) continue;
        struct ingest_ctx ic = {im->app, im->account_id, &b->in, &b->r};
        enum db_status r = ingest_txn(st, &ic);
        if (r < 0) return r;
    }
    return DB_ONE;
}

/* Store the rows kept so far and count every kept line's outcome. */
static void batch_flush(struct import *im)
{
    size_t valid = 0;
    for (size_t i = 0; i < im->nb; i++)
        valid += !im->rows[i]->refused;
    if (valid && im->app->store->txn(im->app->store, TX_DURABLE, batch_txn, im) < 0) {
        for (size_t i = 0; i < im->nb; i++)
            if (!im->rows[i]->refused)
                store_order(im->app, im->account_id, &im->rows[i]->in, &im->rows[i]->r);
    }
    for (size_t i = 0; i < im->nb; i++) {
        const struct batch_row *b = im->rows[i];
        count_credit(&b->in, &b->r);
        switch (b->r.outcome) {
        case ORDER_NEW:
        case ORDER_REFUNDED:
            im->res->imported++;
            break;
        case ORDER_SAME:
            im->res->skipped++;
            break;
        default:
            add_error(im->res, b->line, b->r.message);
            break;
        }
    }
    im->nb = 0;
}

/* The next batch row of the current record; the batch is stored first when it is full (or
 * cannot grow). */
static struct batch_row *batch_next(struct import *im)
{
    if (im->nb < IMPORT_BATCH && !im->rows[im->nb]) im->rows[im->nb] = malloc(sizeof *im->rows[0]);
    if (im->nb == IMPORT_BATCH || !im->rows[im->nb]) batch_flush(im); /* rows[0] always exists */
    struct batch_row *b = im->rows[im->nb++];
    memset(b, 0, sizeof *b);
    b->line = im->rec_line;
    return b;
}

/* The current record is an error of its line: msg completes "line N: ...". */
static void row_error(struct import *im, const char *msg)
{
    struct batch_row *b = batch_next(im);
    b->refused = 1;
    b->r.outcome = ORDER_INVALID;
    snprintf(b->r.message, sizeof b->r.message, "%s", msg);
}

/* The header is unusable: the import stops with this one error. */
static void header_error(struct import *im, const char *what)
{
    char m[200];
    snprintf(m, sizeof m, "line %ld: %s", im->rec_line, what);
    add_error(im->res, im->rec_line, m);
    im->failed = 1;
}

static void record_reset(struct import *im)
{
    im->nf = im->used = im->len = 0;
    im->bad = NULL;
}

/* The current record cannot be read (msg completes "line N: ..."): an error of its line, or
 * the end of the import when it is the header. */
static void record_refused(struct import *im, const char *msg)
{
    if (im->have_header) {
        row_error(im, msg);
    } else if (!im->failed) {
        char m[160];
        snprintf(m, sizeof m, "the header %s", msg);
        header_error(im, m);
    }
    record_reset(im);
}

static const char *field(const struct import *im, size_t i)
{
    return im->rec + im->off[i];
}

static void header(struct import *im)
{
    char m[160];
    for (int j = 0; j < CSV_COLS; j++)
        im->col[j] = -1;
    /* More than CSV_COLS names always hold an unknown or repeated one, so the loop stops at the
     * (kept) field CSV_COLS at the latest. */
    for (size_t i = 0; i < im->nf && i <= CSV_COLS; i++) {
        int k = -1;
        for (int j = 0; j < CSV_COLS; j++)
            if (strcmp(field(im, i), csv_names[j]) == 0) k = j;
        if (k < 0 || im->col[k] >= 0) {
            snprintf(m, sizeof m, "header column '%.60s' is %s", field(im, i),
                     k < 0 ? "not known" : "repeated");
            return header_error(im, m);
        }
        im->col[k] = (int)i;
    }
    for (int j = 0; j < 4; j++) {
        if (im->col[j] < 0) {
            snprintf(m, sizeof m, "header is missing the column %s", csv_names[j]);
            return header_error(im, m);
        }
    }
    im->ncols = im->nf;
    im->have_header = 1;
}

/* Copy the order's strings into b->text. @return TGR_OK, or TGR_ERR when they do not fit */
static int keep_texts(struct batch_row *b)
{
    const char **s[] = {&b->in.order_id, &b->in.currency, &b->in.status,        &b->in.tg_user_id,
                        &b->in.phone,    &b->in.username, &b->in.discount_code, &b->in.ref};
    size_t used = 0;
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        if (!*s[i]) continue;
        size_t n = strlen(*s[i]) + 1;
        if (n > sizeof b->text - used) return TGR_ERR;
        memcpy(b->text + used, *s[i], n);
        *s[i] = b->text + used;
        used += n;
    }
    return TGR_OK;
}

static void data_row(struct import *im)
{
    if (im->bad) return row_error(im, im->bad);
    if (im->nf == 1 && field(im, 0)[0] == 0) return; /* a blank line */
    if (im->nf != im->ncols) return row_error(im, "has a different number of fields than the header");
#define V(k) (im->col[k] >= 0 && field(im, (size_t)im->col[k])[0] ? field(im, (size_t)im->col[k]) : NULL)
    struct order_in in = {V(0), 0, V(2), V(3), 0, V(5), V(6), V(7), V(8), V(9), 0};
    if (!V(1) || parse_amount(V(1), &in.amount) != TGR_OK)
        return row_error(im, "amount must be minor units (1999) or a decimal (19.99)");
    if (V(4) && parse_rfc3339(V(4), &in.created_at) != TGR_OK)
        return row_error(im, "created_at must be a date and time like 2026-11-25T08:00:00Z");
#undef V
    struct batch_row *b = batch_next(im);
    b->in = in;
    if (!order_valid(&b->in, &b->r)) {
        b->refused = 1;
    } else if (keep_texts(b) != TGR_OK) { /* cannot happen: order_valid bounds every text */
        set_invalid(&b->r, "order", "fields are too long");
        b->refused = 1;
    }
}

/* libcsv: the end of a field. */
static void on_field(void *s, size_t len, void *data)
{
    struct import *im = data;
    im->len += len + (im->nf ? 1 : 0);
    if (!im->bad && len > IMPORT_FIELD_MAX)
        im->bad = "has a field longer than " STR(IMPORT_FIELD_MAX) " bytes";
    else if (!im->bad && im->len > IMPORT_RECORD_MAX)
        im->bad = "is longer than " STR(IMPORT_RECORD_MAX) " bytes";
    else if (!im->bad && len && memchr(s, 0, len))
        im->bad = "has a NUL byte in a field";
    if (!im->bad && im->nf <= CSV_COLS) {
        /* Fits: used + len + 1 is the record's length so far plus one, at most IMPORT_RECORD_MAX + 1. */
        if (len) memcpy(im->rec + im->used, s, len);
        im->rec[im->used + len] = 0;
        im->off[im->nf] = im->used;
        im->used += len + 1;
    }
    im->nf++;
}

/* libcsv: the end of a record. */
static void on_record(int c, void *data)
{
    struct import *im = data;
    (void)c;
    im->ended = 1;
    if (!im->failed && im->nf > 0) {
        if (im->have_header)
            data_row(im);
        else if (im->bad)
            record_refused(im, im->bad);
        else
            header(im);
    }
    record_reset(im);
}

/* Forget the record libcsv has open: csv_fini without callbacks — and without CSV_STRICT_FINI,
 * with which it refuses to (and resets nothing) while a quoted field is open. */
static void parser_reset(struct csv_parser *p)
{
    csv_set_opts(p, CSV_STRICT);
    csv_fini(p, NULL, NULL, NULL);
    csv_set_opts(p, CSV_STRICT | CSV_STRICT_FINI);
}

/* Nothing but what libcsv skips between records: spaces, tabs, line breaks. */
static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return 0;
    return 1;
}

/* Hand a chunk to libcsv, one piece per line break (see the comment above). */
static void feed(struct import *im, const char *buf, size_t n)
{
    size_t i = 0;
    while (i < n && !im->failed) {
        size_t j = i;
        while (j < n && buf[j] != '\n' && buf[j] != '\r')
            j++;
        size_t end = j < n ? j + 1 : n;
        int lf = j < n && buf[j] == '\n';
        if (im->skipping) {
            im->skipping = !lf;
        } else {
            if (!im->open) im->rec_line = im->line;
            im->ended = 0;
            if (csv_parse(&im->p, buf + i, end - i, on_field, on_record, im) < end - i) {
                record_refused(im, csv_error(&im->p) == CSV_EPARSE
                                       ? "is not valid CSV (a quote inside an unquoted field, or text after "
                                         "a closing quote)"
                                       : "has a field longer than " STR(IMPORT_FIELD_MAX) " bytes");
                parser_reset(&im->p);
                im->open = 0;
                im->skipping = !lf;
            } else if (im->ended) {
                im->open = 0;
            } else if (!blank(buf + i, end - i)) {
                im->open = 1;
            }
        }
        if (lf && ++im->line % 1000 == 0 && im->progress)
            im->progress(im->ctx, im->line, im->done + end, im->total);
        i = end;
    }
}

int orders_import_csv(struct app *app, int64_t account_id, FILE *in, size_t total_bytes,
                      void (*progress)(void *ctx, long line, size_t done, size_t total), void *ctx,
                      struct import_result *res)
{
    memset(res, 0, sizeof *res);
    struct import *im = calloc(1, sizeof *im);
    char *chunk = malloc(IMPORT_CHUNK);
    struct batch_row *row0 = malloc(sizeof *row0);
    if (!im || !chunk || !row0 || csv_init(&im->p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        free(im);
        free(chunk);
        free(row0);
        add_error(res, 1, "the server is out of memory; retry shortly");
        return TGR_ERR;
    }
    csv_set_realloc_func(&im->p, capped_realloc);
    csv_set_blk_size(&im->p, 4096);
    im->app = app;
    im->account_id = account_id;
    im->res = res;
    im->progress = progress;
    im->ctx = ctx;
    im->total = total_bytes;
    im->line = im->rec_line = 1;
    im->rows[0] = row0;

    size_t n;
    while (!im->failed && (n = fread(chunk, 1, IMPORT_CHUNK, in)) > 0) {
        size_t skip = 0;
        if (im->done == 0 && n >= 3 && memcmp(chunk, "\xEF\xBB\xBF", 3) == 0)
            skip = 3; /* a UTF-8 byte order mark from spreadsheet exports */
        im->done += skip;
        feed(im, chunk + skip, n - skip);
        im->done += n - skip;
    }
    if (!im->failed && ferror(in)) {
        im->rec_line = im->line;
        record_refused(im, "could not be read: the file ends here");
    } else if (!im->failed && !im->skipping && csv_fini(&im->p, on_field, on_record, im) != 0) {
        record_refused(im, "is not valid CSV (a quoted field is not closed)");
    }
    int rc = TGR_OK;
    if (im->failed) {
        rc = TGR_ERR;
    } else if (!im->have_header) {
        add_error(res, 1, "the file is empty or its header is not CSV");
        rc = TGR_ERR;
    } else {
        batch_flush(im);
        if (progress) progress(ctx, im->line, im->done, total_bytes);
    }
    csv_free(&im->p);
    for (size_t i = 0; i < IMPORT_BATCH && im->rows[i]; i++)
        free(im->rows[i]);
    free(chunk);
    free(im);
    return rc;
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
    } cur[] = {{"EUR", "€", 1, 2}, {"USD", "$", 1, 2},  {"GBP", "£", 1, 2}, {"RUB", " ₽", 0, 2},
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
