/* orders — shop orders arriving by webhook or CSV (API.md "Orders and revenue"): matched to a
 * customer (Telegram user id, phone through its blind index, or username), stored once per
 * order_id, refunds reversing revenue. Attribution to campaigns happens in analytics. */
#ifndef TGR_ORDERS_H
#define TGR_ORDERS_H

#include <stddef.h>
#include <stdint.h>

struct app;

#define ORDER_AMOUNT_MAX 100000000000LL /* minor units: a billion in major units is plenty */

struct order_in {
    const char *order_id; /* 1–128 characters */
    int64_t amount;       /* minor units, 0..ORDER_AMOUNT_MAX */
    const char *currency; /* ISO 4217, three capital letters */
    const char *status;   /* paid or refunded */
    int64_t created_at;   /* unix ms; 0 = now */
    const char *tg_user_id, *phone, *username; /* the customer: any of them, may be NULL */
    const char *discount_code, *ref;           /* may be NULL */
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

/* Import a CSV (header order_id,amount,currency,status,created_at,telegram_user_id,phone,username,
 * discount_code,ref — columns matched by name, any order, extra columns refused). amount is minor
 * units, or a decimal with a dot ("19.99") read as major units. progress(ctx, line, total_bytes_done)
 * is called every 1000 lines when given. @return TGR_OK, or TGR_ERR when the header is unusable
 * (res->errors[0] says why) */
int orders_import_csv(struct app *app, int64_t account_id, const char *data, size_t len,
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
