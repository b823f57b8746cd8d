/* fuzz_orders_csv — the orders CSV import (core/orders.c: orders_import_csv, libcsv as its
 * RFC 4180 reader, its limits and line numbers, amounts, RFC 3339 dates, the per-order validation
 * and the batches) on arbitrary files, read through a stream as the server and the CLI do. The
 * store is a stub: no order is known, no customer matches, saves are only counted, and every
 * other transaction fails after its work (so a batch is stored again row by row, half of those
 * failing too). Checks that the orders imported are exactly those saved in a transaction that
 * succeeded, that every error has a line number inside the file, in order, that at most
 * IMPORT_MAX_ERRORS are kept, that an unusable header is one error and stores nothing, and that
 * progress never goes backwards. */
#include "base/app.h"
#include "crypto/keys.h"
#include "core/orders.h"
#include "base/util.h"
#include "fuzz.h"
#include "store/store.h"

static long txn_calls, txn_failed, saves_pending, saves_committed;
static long last_line;
static size_t last_done;

static enum db_status stub_txn(struct store *st, enum db_tx kind,
                               enum db_status (*fn)(struct store *, void *), void *cls)
{
    (void)kind;
    saves_pending = 0;
    enum db_status r = fn(st, cls);
    FUZZ_CHECK(r >= 0); /* nothing in this store fails */
    if (txn_calls++ % 2) {
        txn_failed++;
        return DB_HARD; /* the commit failed: the saves are gone */
    }
    saves_committed += saves_pending;
    return r;
}

static enum db_status stub_order_get(struct store *st, int64_t account_id, const char *order_id,
                                     struct order_row *out)
{
    (void)st;
    FUZZ_CHECK(account_id == 42 && order_id && strlen(order_id) <= 128);
    memset(out, 0, sizeof *out);
    return DB_NONE;
}

static enum db_status stub_order_save(struct store *st, int64_t account_id, const struct order_row *o,
                                      int64_t *id)
{
    (void)st;
    FUZZ_CHECK(account_id == 42 && o->order_id[0] && o->amount >= 0 && o->amount <= ORDER_AMOUNT_MAX);
    saves_pending++;
    if (id) *id = saves_pending;
    return DB_ONE;
}

static enum db_status stub_contact_by_tg_id(struct store *st, int64_t account_id, const char *tg_user_id,
                                            struct contact *out)
{
    (void)st;
    (void)account_id;
    (void)tg_user_id;
    memset(out, 0, sizeof *out);
    return DB_NONE;
}

static enum db_status stub_contact_by_bidx(struct store *st, int64_t account_id, const char *column,
                                           const char *bidx, struct contact *out)
{
    (void)column;
    (void)bidx;
    return stub_contact_by_tg_id(st, account_id, NULL, out);
}

/* Attribution's reads (core/attribution.c): no recipient row and no code is known. */
static enum db_status stub_sent_message_get(struct store *st, int64_t account_id, int64_t recipient_id,
                                            struct sent_message *out)
{
    (void)st;
    (void)recipient_id;
    FUZZ_CHECK(account_id == 42);
    memset(out, 0, sizeof *out);
    return DB_NONE;
}

static enum db_status stub_code_by_bidx(struct store *st, int64_t account_id, const char *code_bidx,
                                        int64_t *code_id, int64_t *campaign_id, int64_t *recipient_id)
{
    (void)st;
    FUZZ_CHECK(account_id == 42 && code_bidx);
    *code_id = *campaign_id = *recipient_id = 0;
    return DB_NONE;
}

/* Outgoing webhooks (core/webhooks.c): no endpoint wants any event. */
static enum db_status stub_hooks_wanted(struct store *st, int64_t account_id, int64_t mask, int64_t *n)
{
    (void)st;
    (void)mask;
    FUZZ_CHECK(account_id == 42);
    *n = 0;
    return DB_ONE;
}
/* The per-currency order count (analytics' currency, DECISIONS 80): three capital letters. */
static enum db_status stub_currency_count(struct store *st, int64_t account_id, const char *currency)
{
    (void)st;
    FUZZ_CHECK(account_id == 42 && strlen(currency) == 3);
    for (int i = 0; i < 3; i++)
        FUZZ_CHECK(currency[i] >= 'A' && currency[i] <= 'Z');
    return DB_ONE;
}
static const struct store_hooks stub_hooks = {.wanted = stub_hooks_wanted};

static void progress(void *ctx, long line, size_t done, size_t total)
{
    size_t size = *(size_t *)ctx;
    FUZZ_CHECK(total == size && done <= total);
    FUZZ_CHECK(line >= last_line && done >= last_done);
    last_line = line;
    last_done = done;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct store st;
    static struct app app;
    static struct keyring keys; /* all zero: a fixed key is all blind indexes need here */
    app.kr = &keys;
    st.backend = "fuzz";
    st.txn = stub_txn;
    st.order_get = stub_order_get;
    st.order_save = stub_order_save;
    st.contact_by_tg_id = stub_contact_by_tg_id;
    st.contact_by_bidx = stub_contact_by_bidx;
    st.sent_message_get = stub_sent_message_get;
    st.code_by_bidx = stub_code_by_bidx;
    st.currency_count = stub_currency_count;
    st.hooks = &stub_hooks;
    app.store = &st;
    txn_calls = txn_failed = saves_committed = last_line = 0;
    last_done = 0;

    /* The data in a buffer of its own size (it is not NUL-terminated), so any over-read is caught. */
    char *buf = malloc(size ? size : 1);
    if (!buf) abort();
    if (size) memcpy(buf, data, size);
    long lines = 1;
    for (size_t k = 0; k < size; k++)
        lines += buf[k] == '\n';
    FILE *in = fmemopen(buf, size, "r");
    if (!in) abort();

    struct import_result res;
    int rc = orders_import_csv(&app, 42, in, size, progress, &size, &res);
    FUZZ_CHECK(res.n_errors <= IMPORT_MAX_ERRORS && (long)res.n_errors <= res.errors_total);
    FUZZ_CHECK(res.n_errors == 0 || res.errors != NULL);
    for (size_t k = 0; k < res.n_errors; k++) {
        FUZZ_CHECK(res.errors[k].line >= 1 && res.errors[k].line <= lines);
        FUZZ_CHECK(res.errors[k].message[0] &&
                   memchr(res.errors[k].message, 0, sizeof res.errors[k].message));
        if (k) FUZZ_CHECK(res.errors[k].line >= res.errors[k - 1].line);
    }
    if (rc != TGR_OK) {
        FUZZ_CHECK(res.errors_total == 1 && res.n_errors == 1);
        FUZZ_CHECK(txn_calls == 0 && res.imported == 0);
    } else {
        FUZZ_CHECK(res.imported == saves_committed && res.skipped == 0);
        FUZZ_CHECK(last_done == size);
    }
    import_result_release(&res);
    fclose(in);
    free(buf);
    return 0;
}
