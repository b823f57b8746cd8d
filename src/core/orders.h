/* orders — shop orders arriving by webhook or CSV (API.md "Orders and revenue"): matched to a
 * customer (Telegram user id, phone through its blind index, or username), stored once per
 * order_id, refunds reversing revenue. Attribution to campaigns: core/attribution.c. */
#ifndef TGR_ORDERS_H
#define TGR_ORDERS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct app;

#define ORDER_AMOUNT_MAX 100000000000LL /* minor units: a billion in major units is plenty */

struct order_in {
    const char *order_id;                      /* 1–128 characters */
    int64_t amount;                            /* minor units, 0..ORDER_AMOUNT_MAX */
    const char *currency;                      /* ISO 4217, three capital letters */
    const char *status;                        /* paid or refunded */
    int64_t created_at;                        /* unix ms; 0 = now */
    const char *tg_user_id, *phone, *username; /* the customer: any of them, may be NULL */
    const char *discount_code, *ref;           /* may be NULL */
    int test; /* a test order (issue 17): stored and listed, marked, matched to no customer and
               * credited to no campaign, so it changes no revenue, category or {{last_order}} */
};

enum order_outcome {
    ORDER_NEW,      /* stored */
    ORDER_SAME,     /* a repeat of what is stored: nothing changed */
    ORDER_REFUNDED, /* a stored paid order is now refunded */
    ORDER_CONFLICT, /* order_id exists with other details */
    ORDER_INVALID,  /* a field is wrong: message says which */
    ORDER_STORE,    /* the database failed */
};

struct order_result {
    enum order_outcome outcome;
    int64_t order_row_id, contact_id, attributed_campaign_id;
    char field[32];
    char message[200];
};

/* Validate, match, store. Recomputes the customer's category when the order changed anything. */
void orders_ingest(struct app *app, int64_t account_id, const struct order_in *in, struct order_result *res);

/* HMAC-SHA256 of body under the account's webhook secret: what X-Tgr-Signature: sha256=<hex>
 * carries. @return TGR_OK, or TGR_ERR when the account has no secret or it does not open */
int orders_webhook_mac(struct app *app, int64_t account_id, const void *body, size_t len,
                       unsigned char mac[32]);

struct import_error {
    long line;
    char message[200];
};

struct import_result {
    long imported, skipped;
    struct import_error *errors; /* malloc'd; at most IMPORT_MAX_ERRORS */
    size_t n_errors;
    long errors_total;
};
#define IMPORT_MAX_ERRORS 100

/* What one import reads at a time and how much of it it holds: a file of any size is read in
 * IMPORT_CHUNK pieces; one field is at most IMPORT_FIELD_MAX bytes, one line's fields together
 * at most IMPORT_RECORD_MAX (plain numbers: the error messages spell them). Rows are stored
 * IMPORT_BATCH to a transaction. */
#define IMPORT_CHUNK      (64 * 1024)
#define IMPORT_FIELD_MAX  4096
#define IMPORT_RECORD_MAX 16384
#define IMPORT_BATCH      500

/* Import a CSV read from in (header order_id,amount,currency,status,created_at,telegram_user_id,
 * phone,username,discount_code,ref — columns matched by name, any order, extra columns refused;
 * RFC 4180 quoting, CRLF or LF, an optional UTF-8 byte order mark). amount is minor units, or a
 * decimal with a dot ("19.99") read as major units. Each line's outcome is what orders_ingest()
 * gives for it; a line that is not valid CSV or has a field or record past the limits above is
 * an error of that line, and the rest of the file is still read. Rows are committed IMPORT_BATCH
 * to a durable transaction; a row the database refuses costs only that row.
 * progress(ctx, line, bytes_done, total_bytes) is called every 1000 lines when given (total_bytes
 * is only passed on: the file's size as the caller knows it). in is read to its end, not closed.
 * @return TGR_OK, or TGR_ERR when the header is unusable (res->errors[0] says why, naming its line) */
int orders_import_csv(struct app *app, int64_t account_id, FILE *in, size_t total_bytes,
                      void (*progress)(void *ctx, long line, size_t done, size_t total), void *ctx,
                      struct import_result *res);
void import_result_release(struct import_result *r);

struct order_row;
/* The {{last_order}} text of an order: "#1042 (€19.99)", "#A-7 (12.50 CHF)". */
void orders_format(const struct order_row *o, char *out, size_t cap);

/* Parse "2026-11-25T08:49:04Z", with optional fraction and ±HH:MM offset, or a bare date.
 * @return TGR_OK with *ms set, or TGR_ERR */
int parse_rfc3339(const char *s, int64_t *ms);

#endif
