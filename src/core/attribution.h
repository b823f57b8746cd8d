/* attribution — which campaign message a paid order is credited to (API.md "Orders and revenue",
 * DESIGN §5), and the crediting: the order row, the campaign's totals, the link's revenue and the
 * per-step, per-link and per-code sums. Layer: core; core/orders.c calls it inside an order's
 * transaction. */
#ifndef TGR_ATTRIBUTION_H
#define TGR_ATTRIBUTION_H

#include <stdint.h>

#include "store/store.h"

/* What an order is credited to, in order: the recipient of its ref (ref_recipient; with ref_link
 * when that is a link of the same campaign); else the campaign whose code it used (code_bidx)
 * and the message that carried it (the pool code's own recipient, or for a static code the
 * latest message of that campaign to the contact); else the latest campaign message sent to the
 * contact within window_ms before created_at. An order that used one of the credited campaign's
 * codes counts for that code too.
 * @return DB_ONE with *a, DB_NONE (credited to nothing), or the store's failure */
TGR_MUST_CHECK enum db_status attribution_find(struct store *st, int64_t account_id, int64_t ref_recipient,
                                               int64_t ref_link, const char *code_bidx, int64_t contact_id,
                                               int64_t created_at, int64_t window_ms, struct attribution *a);

/* Credit (sign 1) or reverse (sign -1) amount to a, in one durable transaction: the order row (on
 * credit), the campaign's orders and revenue, the link's revenue, and the per-step, per-link and
 * per-code sums. */
TGR_MUST_CHECK enum db_status attribution_apply(struct store *st, int64_t account_id, int64_t order_row_id,
                                                const struct attribution *a, int64_t amount, int sign);

#endif
