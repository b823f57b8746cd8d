/* categories — each contact's category (buyer, browser, refund_risk) and confidence, computed by
 * classify.c from its orders and inbound messages and kept sealed in customer_categories
 * (row key "<account_id>:<contact_id>"). Recomputed when a message or an order arrives. A
 * classification that fails falls back to browser with confidence 0 and is logged. The first
 * category and every change of it leave a line in the contact audit log (category_changed, its
 * details {"from","to","confidence"} sealed), which the contact's timeline shows. */
#ifndef TGR_CATEGORIES_H
#define TGR_CATEGORIES_H

#include <stdint.h>

#include "core/classify.h"
#include "store/store.h"

struct app;
struct keyring;

/* Recompute and store one contact's category. Safe inside the caller's transaction. */
enum db_status categories_recompute(struct app *app, int64_t account_id, int64_t contact_id);

/* A contact's category from its sealed columns; absent or unreadable → browser, 0. */
struct classification categories_open(const struct keyring *kr, int64_t account_id, int64_t contact_id,
                                      const struct blob *category, const struct blob *confidence);

#endif
