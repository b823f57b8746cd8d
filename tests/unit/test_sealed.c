/* test_sealed — the row keys of the sealed columns (core/sealed.c): what is sealed for one
 * account, campaign or contact opens there and nowhere else, and the engine's and the editor's
 * shared message pieces (core/message.c) read the store's failure as a failure. */
#include "rules_fixture.h"

#include "core/message.h"
#include "core/sealed.h"

static void contact_fields_open_only_for_their_account(void **state)
{
    struct rfx *f = *state;
    char rk[64];
    struct contact c;
    memset(&c, 0, sizeof c);
    c.id = 1;
    snprintf(c.tg_user_id, sizeof c.tg_user_id, "4242");
    contact_row_key(f->a, c.tg_user_id, rk, sizeof rk);
    assert_int_equal(contact_seal_field(&f->app, "first_name", rk, "Anna", &c.first_name), TGR_OK);
    assert_int_equal(contact_seal_field(&f->app, "phone", rk, NULL, &c.phone), TGR_OK);
    assert_null(c.phone.p);
    struct contact_plain p;
    assert_int_equal(contact_open(&f->app, f->a, &c, &p), TGR_OK);
    assert_string_equal(p.first_name, "Anna");
    assert_null(p.phone);
    contact_plain_release(&p);
    assert_int_equal(contact_open(&f->app, f->b, &c, &p), TGR_ERR); /* another account's key */
    snprintf(c.tg_user_id, sizeof c.tg_user_id, "4243");            /* another contact's row */
    assert_int_equal(contact_open(&f->app, f->a, &c, &p), TGR_ERR);
    blob_release(&c.first_name);
}

static void codes_open_only_for_their_campaign(void **state)
{
    struct rfx *f = *state;
    struct discount_code_row row;
    char *code = NULL;
    memset(&row, 0, sizeof row);
    assert_int_equal(code_seal(&f->app, f->a, 7, "SPRING10", &row), TGR_OK);
    assert_int_equal(code_open(&f->app, f->a, 7, &row, &code), TGR_OK);
    assert_string_equal(code, "SPRING10");
    free(code);
    assert_int_equal(code_open(&f->app, f->a, 8, &row, &code), TGR_ERR);
    assert_int_equal(code_open(&f->app, f->b, 7, &row, &code), TGR_ERR);
    blob_release(&row.code);

    struct blob given = {0};
    assert_int_equal(recipient_code_seal(&f->app, f->a, 7, 99, "SPRING10", &given), TGR_OK);
    assert_int_equal(recipient_code_open(&f->app, f->a, 7, 99, &given, &code), TGR_OK);
    assert_string_equal(code, "SPRING10");
    free(code);
    assert_int_equal(recipient_code_open(&f->app, f->a, 7, 98, &given, &code), TGR_ERR);
    blob_release(&given);
}

static enum db_status failing_latest(struct store *st, int64_t a, int64_t c, struct order_row *o)
{
    return DB_HARD;
}

static void last_order_failure_is_a_failure(void **state)
{
    struct rfx *f = *state;
    char out[200];
    int64_t p = rfx_contact(f, f->a, "9001");
    assert_int_equal(message_last_order(&f->app, f->a, p, out, sizeof out), 0);
    assert_string_equal(out, "");
    struct order_result res = rfx_order(f, f->a, "1042", 1999, "paid", "9001", f->t0, NULL, NULL);
    assert_int_equal(res.outcome, ORDER_NEW);
    assert_int_equal(message_last_order(&f->app, f->a, p, out, sizeof out), 0);
    assert_non_null(strstr(out, "#1042"));
    enum db_status (*real)(struct store *, int64_t, int64_t, struct order_row *) = f->st->order_latest_paid;
    f->st->order_latest_paid = failing_latest;
    assert_int_equal(message_last_order(&f->app, f->a, p, out, sizeof out), -1);
    f->st->order_latest_paid = real;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(contact_fields_open_only_for_their_account, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(codes_open_only_for_their_campaign, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(last_order_failure_is_a_failure, rfx_setup, rfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
