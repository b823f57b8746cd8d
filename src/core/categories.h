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
#include "crypto/seal.h"
#include "store/store.h"

struct app;
struct keyring;

/* Recompute and store one contact's category. Safe inside the caller's transaction. */
enum db_status categories_recompute(struct app *app, int64_t account_id, int64_t contact_id);

/* The same for a contact created just now whose inbound texts the caller holds (oldest first):
 * nothing is read back or opened (a first sync of 100,000 dialogs; DECISIONS 79). The contact's
 * orders are counted only when some were linked to it (linked_orders > 0): a new contact has no
 * other. */
enum db_status categories_first(struct app *app, int64_t account_id, int64_t contact_id,
                                const char *const *texts, size_t n, int linked_orders);

/* A contact's category from its sealed columns; absent or unreadable → browser, 0. */
struct classification categories_open(const struct keyring *kr, int64_t account_id, int64_t contact_id,
                                      const struct blob *category, const struct blob *confidence);

/* Seal a contact's category and confidence, tag the category on the contact (seal_tag: what an
 * audience scan reads instead of opening it, DECISIONS 79) and store both in one write. */
enum db_status categories_put(struct app *app, int64_t account_id, int64_t contact_id,
                              struct classification c);

/* Telling the categories of one account's audience rows apart: the tag key, derived once per scan. */
struct category_reader {
    const struct keyring *kr;
    int64_t account_id;
    unsigned char tag_key[SEAL_TAG_KEYBYTES];
};

void categories_reader_init(struct category_reader *r, const struct keyring *kr, int64_t account_id);

/* The category of an audience row if it is one of wanted (bits 1u << category; 0: any), as
 * categories_open would give it (never classified or unreadable: browser), by its tag when the
 * row has one — a SipHash per category tried, no opening — else from its sealed columns.
 * @return the category, or -1 when it is not wanted */
int categories_of_row(const struct category_reader *r, const struct audience_row *row, unsigned wanted);

#endif
