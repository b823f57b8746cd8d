/* fuzz_orders_csv — the orders CSV import (core/orders.c: orders_import_csv, its RFC 4180
 * reader, amounts, RFC 3339 dates and the per-order validation) on arbitrary files. The store is
 * a stub whose transaction stores nothing and alternately succeeds and fails, so only the
 * parsing runs and every row that reaches the store is counted. Checks that every row is
 * accounted for as imported or as an error with a line number inside the file, that at most
 * IMPORT_MAX_ERRORS are kept, and that progress never goes backwards. */
#include "core/app.h"
#include "core/orders.h"
#include "core/util.h"
#include "fuzz.h"
#include "store/store.h"

static long txn_calls, txn_ok;
static long last_line;
static size_t last_done;

static enum db_status stub_txn(struct store *st, int durable, enum db_status (*fn)(struct store *, void *),
                               void *cls)
{
    (void)st;
    (void)durable;
    (void)fn;
    (void)cls;
    /* Storing nothing leaves the result as ORDER_NEW; a failure is ORDER_STORE. */
    if (txn_calls++ % 2)
        return DB_HARD;
    txn_ok++;
    return DB_ONE;
}

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
    st.backend = "fuzz";
    st.txn = stub_txn;
    app.store = &st;
    txn_calls = txn_ok = last_line = 0;
    last_done = 0;

    /* The data in a buffer of its own size (it is not NUL-terminated), so any over-read is caught. */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        abort();
    if (size)
        memcpy(buf, data, size);
    long lines = 1;
    for (size_t k = 0; k < size; k++)
        lines += buf[k] == '\n';

    struct import_result res;
    int rc = orders_import_csv(&app, 42, buf, size, progress, &size, &res);
    FUZZ_CHECK(res.n_errors <= IMPORT_MAX_ERRORS && (long)res.n_errors <= res.errors_total);
    FUZZ_CHECK(res.n_errors == 0 || res.errors != NULL);
    for (size_t k = 0; k < res.n_errors; k++) {
        FUZZ_CHECK(res.errors[k].line >= 1 && res.errors[k].line <= lines);
        FUZZ_CHECK(res.errors[k].message[0] && memchr(res.errors[k].message, 0, sizeof res.errors[k].message));
        if (k)
            FUZZ_CHECK(res.errors[k].line >= res.errors[k - 1].line);
    }
    if (rc != TGR_OK) {
        FUZZ_CHECK(res.errors_total == 1 && res.n_errors == 1 && res.errors[0].line == 1);
        FUZZ_CHECK(txn_calls == 0 && res.imported == 0);
    } else {
        FUZZ_CHECK(res.imported == txn_ok && res.skipped == 0);
        FUZZ_CHECK(res.errors_total >= txn_calls - txn_ok);
    }
    import_result_release(&res);
    free(buf);
    return 0;
}
