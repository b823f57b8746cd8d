/* test_shop — the core of the shop's side (issue 17) in-process on SQLite (rules_fixture.h): a
 * password change (the new password's rule, the current one checked, the token generation
 * raised in the same transaction, nothing written when any check fails), a new API key (the old
 * hash no longer finds the account), test orders (stored and marked, matched to no customer,
 * credited to no campaign though a real order of that customer is; an order_id is test or real
 * for good) and the webhook signature of the account's secret. */
#include "rules_fixture.h"

#include <sodium.h>

#include "core/account.h"
#include "crypto/password.h"
#include "crypto/seal.h"

static void password_change(void **state)
{
    struct rfx *f = *state;
    const char *old_pw = "correct horse battery staple", *new_pw = "a brand new passphrase 2";
    struct account a;
    assert_int_equal(f->st->account_get(f->st, f->a, &a), DB_ONE);
    assert_int_equal(password_hash(old_pw, a.password_hash), TGR_OK);
    assert_int_equal(f->st->account_set_password(f->st, f->a, a.password_hash), DB_ONE);
    char err[96];
    assert_int_equal(account_password_check("eleven char", err, sizeof err), TGR_ERR);
    assert_string_equal(err, "the password must be 12 to 1024 characters long");
    assert_int_equal(account_password_check("twelve chars", err, sizeof err), TGR_OK);

    /* Refusals write nothing: the hash and the generation stay. */
    assert_int_equal(account_password_change(f->st, &a, old_pw, "too short"), PASSWORD_NEW_INVALID);
    assert_int_equal(account_password_change(f->st, &a, "not the password", new_pw), PASSWORD_WRONG);
    assert_int_equal(account_password_change(f->st, &a, old_pw, old_pw), PASSWORD_NEW_SAME);
    struct account now;
    assert_int_equal(f->st->account_get(f->st, f->a, &now), DB_ONE);
    assert_string_equal(now.password_hash, a.password_hash);
    assert_int_equal(now.token_gen, 0);

    assert_int_equal(account_password_change(f->st, &a, old_pw, new_pw), PASSWORD_CHANGED);
    assert_int_equal(f->st->account_get(f->st, f->a, &now), DB_ONE);
    assert_int_equal(now.token_gen, 1);
    assert_int_equal(password_verify(now.password_hash, new_pw), TGR_OK);
    assert_int_equal(password_verify(now.password_hash, old_pw), TGR_ERR);
    /* The other account is untouched. */
    struct account b;
    assert_int_equal(f->st->account_get(f->st, f->b, &b), DB_ONE);
    assert_int_equal(b.token_gen, 0);
}

static void api_key_renew(void **state)
{
    struct rfx *f = *state;
    char key[ACCOUNT_API_KEY_LEN + 1], hash[ACCOUNT_KEY_HASH_LEN + 1];
    struct account got;
    assert_int_equal(account_api_key_renew(f->st, f->app.kr, f->a, key), DB_ONE);
    assert_int_equal(strlen(key), ACCOUNT_API_KEY_LEN);
    assert_int_equal(strncmp(key, "tgr_", 4), 0);
    account_api_key_hash(f->app.kr, key, hash);
    assert_int_equal(f->st->account_by_api_key(f->st, hash, &got), DB_ONE);
    assert_int_equal(got.id, f->a);
    assert_int_equal(f->st->account_by_api_key(f->st, "a@example.com", &got), DB_NONE); /* the first hash */
    char again[ACCOUNT_API_KEY_LEN + 1];
    assert_int_equal(account_api_key_renew(f->st, f->app.kr, f->a, again), DB_ONE);
    assert_string_not_equal(key, again);
    assert_int_equal(f->st->account_by_api_key(f->st, hash, &got), DB_NONE);
    /* No such account: nothing, and the key is wiped. */
    assert_int_equal(account_api_key_renew(f->st, f->app.kr, f->a + f->b + 100, again), DB_NONE);
    assert_int_equal(again[0], 0);
}

static struct order_result test_order(struct rfx *f, const char *order_id, const char *tg_user_id, int test)
{
    struct order_in in = {.order_id = order_id,
                          .amount = 1999,
                          .currency = "EUR",
                          .status = "paid",
                          .created_at = f->t0,
                          .tg_user_id = tg_user_id,
                          .test = test};
    struct order_result res;
    orders_ingest(&f->app, f->a, &in, &res);
    return res;
}

static void test_orders_stay_out_of_revenue(void **state)
{
    struct rfx *f = *state;
    int64_t contact = rfx_contact(f, f->a, "700"), row = 0;
    int64_t campaign = rfx_campaign(f, f->a, "Sale", NULL, NULL);
    rfx_run(f, f->a, campaign, &contact, 1, f->t0 - DAY_MS, &row, NULL);

    /* A real order of the customer is credited by the 7-day window... */
    struct order_result real = test_order(f, "R-1", "700", 0);
    assert_int_equal(real.outcome, ORDER_NEW);
    assert_int_equal(real.attributed_campaign_id, campaign);
    /* ...a test order of the same customer is stored and marked, for nobody and no campaign. */
    struct order_result t = test_order(f, "T-1", "700", 1);
    assert_int_equal(t.outcome, ORDER_NEW);
    assert_int_equal(t.attributed_campaign_id, 0);
    assert_int_equal(t.contact_id, 0);
    struct order_row o;
    assert_int_equal(f->st->order_get(f->st, f->a, "T-1", &o), DB_ONE);
    assert_int_equal(o.contact_id, 0);
    assert_string_equal(o.customer_tg_user_id, ""); /* never linked to the contact later either */
    struct campaign_counts k;
    assert_int_equal(f->st->campaign_counts(f->st, f->a, campaign, &k), DB_ONE);
    assert_int_equal(k.orders, 1);
    assert_int_equal(k.revenue, 1999);
    int paid = 0, refunded = 0;
    assert_int_equal(f->st->order_counts(f->st, f->a, contact, &paid, &refunded), DB_ONE);
    assert_int_equal(paid, 1);
    struct order_summary *rows = NULL;
    size_t n = 0;
    assert_int_equal(f->st->orders_page(f->st, f->a, 0, 10, &rows, &n), DB_ONE);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].order_id, "T-1");
    assert_int_equal(rows[0].test, 1);
    assert_string_equal(rows[1].order_id, "R-1");
    assert_int_equal(rows[1].test, 0);
    assert_string_equal(rows[1].attributed_by, "window");
    free(rows);

    /* A repeat is the same order; a real order with a test order's id, or the other way round, conflicts. */
    assert_int_equal(test_order(f, "T-1", "700", 1).outcome, ORDER_SAME);
    assert_int_equal(test_order(f, "T-1", "700", 0).outcome, ORDER_CONFLICT);
    assert_int_equal(test_order(f, "R-1", "700", 1).outcome, ORDER_CONFLICT);
}

static void webhook_mac(void **state)
{
    struct rfx *f = *state;
    unsigned char mac[32], want[32];
    const char *body = "{\"order_id\":\"x\"}";
    assert_int_equal(orders_webhook_mac(&f->app, f->a, body, strlen(body), mac), TGR_ERR); /* no secret yet */
    const char *secret = "whsec_test-secret";
    unsigned char *sealed = NULL;
    size_t slen = 0;
    char rk[24];
    snprintf(rk, sizeof rk, "%lld", (long long)f->a);
    assert_int_equal(
        seal(f->app.kr, "accounts", "webhook_secret", rk, secret, strlen(secret), &sealed, &slen), TGR_OK);
    assert_int_equal(f->st->account_set_webhook_secret(f->st, f->a, sealed, slen), DB_ONE);
    assert_int_equal(orders_webhook_mac(&f->app, f->a, body, strlen(body), mac), TGR_OK);
    crypto_auth_hmacsha256_state hs;
    crypto_auth_hmacsha256_init(&hs, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&hs, (const unsigned char *)body, strlen(body));
    crypto_auth_hmacsha256_final(&hs, want);
    assert_memory_equal(mac, want, 32);
    /* Sealed under account A's row key, the value does not open as account B's. */
    assert_int_equal(f->st->account_set_webhook_secret(f->st, f->b, sealed, slen), DB_ONE);
    assert_int_equal(orders_webhook_mac(&f->app, f->b, body, strlen(body), mac), TGR_ERR);
    free(sealed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(password_change, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(api_key_renew, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(test_orders_stay_out_of_revenue, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(webhook_mac, rfx_setup, rfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
