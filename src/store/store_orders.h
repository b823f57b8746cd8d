/* store_orders — the rows of the shop's orders as the store keeps them: an order with its
 * attribution, a row of the orders list, the progress of a CSV import, and an attribution
 * (core/attribution.c decides it). Included by store.h. Layer: store. */
#ifndef TGR_STORE_ORDERS_H
#define TGR_STORE_ORDERS_H

#include <stdint.h>

struct order_row {
    int64_t id;
    char order_id[129];
    int64_t amount;
    char currency[4];
    char status[12]; /* paid, refunded */
    int64_t created_at, received_at;
    int64_t contact_id; /* 0 if no customer matched */
    char discount_code_bidx[40];
    char ref[129];
    int64_t attributed_campaign_id;
    char body_hash[65];
    /* who the order names (insert only): Telegram id, blind indexes of phone and username */
    char customer_tg_user_id[24], customer_phone_bidx[40], customer_username_bidx[40];
    /* attribution, as stored */
    int64_t attributed_recipient_id, attributed_link_id, attributed_code_id;
    int attributed_step;
    char attributed_by[12]; /* "ref", "code", "window"; "" (read only) */
};

/* One row of the orders list (GET /orders): what the shop sent about the order and how it was
 * credited — no field about its customer. attributed_by as stored ("ref", "code", "window", ""). */
struct order_summary {
    int64_t id;
    char order_id[129];
    int64_t amount;
    char currency[4];
    char status[12];
    int64_t created_at;
    int64_t attributed_campaign_id; /* 0: credited to nothing */
    char attributed_by[12];
    int test; /* a test order (kept out of revenue) */
};

/* How far a CSV import has read its file (POST /orders/import?progress=ID), as any instance reads it. */
struct import_progress {
    int64_t lines, bytes_done, bytes_total;
    int finished;
    int64_t updated_at; /* unix ms */
};

/* Which campaign message an order is credited to (core/attribution.c), as its order row keeps it. */
struct attribution {
    int64_t campaign_id, recipient_id, link_id, code_id;
    int step;
    const char *by; /* "ref", "code", "window" */
};

#endif
