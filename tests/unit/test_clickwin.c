/* Unit tests for analytics/clickwin, the repeat-click window of /t/: one address counts once per
 * window on one recipient's link (driven by an injected clock, no sleeping); other addresses,
 * links and recipients count apart; IPv6 counts by /64; the table never grows, a flood of
 * addresses only evicts the oldest entries, and the window still works after one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>

#include "analytics/clickwin.h"

#define T0  1000000
#define WIN CLICKWIN_MS

static void test_once_per_window(void **state)
{
    (void)state;
    struct clickwin *w = clickwin_new(CLICKWIN_ENTRIES, WIN);
    assert_non_null(w);
    assert_true(WIN == 10 * 60 * 1000);
    assert_int_equal(clickwin_first(w, 7, 9, "203.0.113.5", T0), 1);
    int counted = 0;
    for (int i = 1; i < 20; i++)
        counted += clickwin_first(w, 7, 9, "203.0.113.5", T0 + i * 1000);
    assert_int_equal(counted, 0);
    assert_int_equal(clickwin_first(w, 7, 9, "203.0.113.5", T0 + WIN - 1), 0);
    /* Ten minutes after the counted click, the next one counts, and opens a new window. */
    assert_int_equal(clickwin_first(w, 7, 9, "203.0.113.5", T0 + WIN), 1);
    assert_int_equal(clickwin_first(w, 7, 9, "203.0.113.5", T0 + WIN + 1), 0);
    assert_int_equal(clickwin_first(w, 7, 9, "203.0.113.5", T0 + 2 * WIN - 1), 0);
    assert_int_equal(clickwin_first(w, 7, 9, "203.0.113.5", T0 + 2 * WIN), 1);
    /* A clock that went back does not reopen the window. */
    assert_int_equal(clickwin_first(w, 7, 9, "203.0.113.5", T0), 0);
    clickwin_free(w);
}

static void test_keys_apart(void **state)
{
    (void)state;
    struct clickwin *w = clickwin_new(CLICKWIN_ENTRIES, WIN);
    assert_non_null(w);
    assert_int_equal(clickwin_first(w, 7, 9, "203.0.113.5", T0), 1);
    assert_int_equal(clickwin_first(w, 7, 9, "203.0.113.6", T0), 1);  /* another address */
    assert_int_equal(clickwin_first(w, 8, 9, "203.0.113.5", T0), 1);  /* another link */
    assert_int_equal(clickwin_first(w, 7, 10, "203.0.113.5", T0), 1); /* another recipient */
    assert_int_equal(clickwin_first(w, 7, 0, "203.0.113.5", T0), 1);  /* a preview code */
    assert_int_equal(clickwin_first(w, 9, 7, "203.0.113.5", T0), 1);  /* the ids swapped */
    assert_int_equal(clickwin_first(w, 7, 9, "203.0.113.6", T0 + 1), 0);
    assert_int_equal(clickwin_first(w, 8, 9, "203.0.113.5", T0 + 1), 0);
    assert_int_equal(clickwin_first(w, 7, 10, "203.0.113.5", T0 + 1), 0);
    assert_int_equal(clickwin_first(w, 7, 0, "203.0.113.5", T0 + 1), 0);
    /* An IPv4 client seen through a dual-stack socket is the same address. */
    assert_int_equal(clickwin_first(w, 7, 9, "::ffff:203.0.113.5", T0 + 1), 0);
    assert_int_equal(clickwin_first(w, 7, 9, "::ffff:203.0.113.7", T0 + 1), 1);
    /* IPv6 by /64: one subscriber's many addresses are one. */
    assert_int_equal(clickwin_first(w, 7, 9, "2001:db8:1:2::1", T0), 1);
    assert_int_equal(clickwin_first(w, 7, 9, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", T0 + 1), 0);
    assert_int_equal(clickwin_first(w, 7, 9, "2001:db8:1:3::1", T0 + 1), 1);
    /* Not an address (no peer address known): keyed as given, never a crash. */
    assert_int_equal(clickwin_first(w, 7, 9, "", T0), 1);
    assert_int_equal(clickwin_first(w, 7, 9, "", T0 + 1), 0);
    assert_int_equal(clickwin_first(w, 7, 9, NULL, T0 + 1), 0); /* NULL reads as "" */
    assert_int_equal(clickwin_first(w, 7, 9, "not an address", T0), 1);
    clickwin_free(w);
}

/* One bucket of CLICKWIN_WAYS entries: a new key takes the oldest entry, so the evicted key
 * counts once more and the others still repeat. */
static void test_evicts_oldest(void **state)
{
    (void)state;
    struct clickwin *w = clickwin_new(1, WIN);
    assert_non_null(w);
    char addr[CLICKWIN_WAYS + 1][32];
    for (int i = 0; i <= CLICKWIN_WAYS; i++)
        snprintf(addr[i], sizeof addr[i], "198.51.100.%d", i + 1);
    for (int i = 0; i < CLICKWIN_WAYS; i++)
        assert_int_equal(clickwin_first(w, 1, 1, addr[i], T0 + i), 1);
    for (int i = 0; i < CLICKWIN_WAYS; i++)
        assert_int_equal(clickwin_first(w, 1, 1, addr[i], T0 + 100), 0);
    assert_int_equal(clickwin_first(w, 1, 1, addr[CLICKWIN_WAYS], T0 + 100), 1); /* evicts addr[0] */
    for (int i = 1; i <= CLICKWIN_WAYS; i++)
        assert_int_equal(clickwin_first(w, 1, 1, addr[i], T0 + 200), 0);
    assert_int_equal(clickwin_first(w, 1, 1, addr[0], T0 + 200), 1);
    clickwin_free(w);
    /* Expired entries go before live ones: half the bucket expired, two new keys leave every
     * live one in place. */
    w = clickwin_new(1, WIN);
    assert_non_null(w);
    for (int i = 0; i < CLICKWIN_WAYS; i++)
        assert_int_equal(clickwin_first(w, 1, 1, addr[i], i < CLICKWIN_WAYS / 2 ? T0 : T0 + WIN), 1);
    assert_int_equal(clickwin_first(w, 2, 2, addr[0], T0 + WIN + 10), 1);
    assert_int_equal(clickwin_first(w, 3, 3, addr[0], T0 + WIN + 10), 1);
    for (int i = CLICKWIN_WAYS / 2; i < CLICKWIN_WAYS; i++)
        assert_int_equal(clickwin_first(w, 1, 1, addr[i], T0 + WIN + 20), 0);
    clickwin_free(w);
}

/* A flood of addresses (each of which counts once, as it should) does not grow the table and
 * leaves the window working for the keys that come after it. */
static void test_flood(void **state)
{
    (void)state;
    struct clickwin *w = clickwin_new(1024, WIN);
    assert_non_null(w);
    int counted = 0;
    char addr[64];
    for (int i = 0; i < 200000; i++) {
        snprintf(addr, sizeof addr, "2001:db8:%x:%x::1", (unsigned)(i >> 16), (unsigned)(i & 0xffff));
        counted += clickwin_first(w, 3, 4, addr, T0 + i / 100);
    }
    assert_int_equal(counted, 200000);
    assert_int_equal(clickwin_first(w, 3, 4, "192.0.2.1", T0 + 3000), 1);
    for (int i = 0; i < 20; i++)
        assert_int_equal(clickwin_first(w, 3, 4, "192.0.2.1", T0 + 3000 + i), 0);
    clickwin_free(w);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_once_per_window),
        cmocka_unit_test(test_keys_apart),
        cmocka_unit_test(test_evicts_oldest),
        cmocka_unit_test(test_flood),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
