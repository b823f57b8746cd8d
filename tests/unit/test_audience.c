/* test_audience — who a campaign reaches (core/audience.c audience_resolve, with filters parsed
 * by filters_parse as the API parses them): every filter of API.md "Campaigns" and DECISIONS 25
 * alone and combined, the frequency cap, and the contacts never reached (opted out, blocked,
 * deactivated), on a small world of two accounts built in-process on SQLite: contacts,
 * inbound messages, campaigns sent, read, replied to and clicked, and orders credited to them.
 * Each case names exactly the contacts it expects, and no account ever reaches another's. */
#include "rules_fixture.h"

#include <jansson.h>

#include "core/audience.h"
#include "core/campaign.h"

/* The world, built once (audience_resolve only reads). Contacts of account A by name: */
enum who {
    BUYER,   /* wrote 1 day ago; 2 paid orders (1500 + 2500), the second credited to X; got X: read,
              * replied, clicked */
    BROWSER, /* wrote 10 days ago; no orders; got X: read it */
    REFUND,  /* wrote 2 days ago; an order credited to X, then refunded; got X, did nothing */
    OPTOUT,  /* like BUYER (wrote 1 day ago, an order credited to X, got X: read, replied,
              * clicked), then opted out */
    BLOCKED, /* wrote 1 day ago; Y failed: the contact blocked the account */
    DEACT,   /* wrote 1 day ago; Y failed: the account is deleted */
    CAPPED,  /* wrote 1 day ago; got Y 1 day ago */
    SILENT,  /* never wrote, no orders, never messaged */
    OLD,     /* wrote 40 days ago; one paid order of 300; X failed to reach it */
    A_COUNT
};
static const char *const names[A_COUNT] = {"buyer", "browser", "refund", "optout", "blocked",
                                           "deact", "capped",  "silent", "old"};

struct world {
    struct rfx *f;
    int64_t a, b;       /* accounts */
    int64_t c[A_COUNT]; /* A's contacts */
    int64_t b1, b2;     /* B's contacts, with the Telegram ids of BUYER and BROWSER */
    int64_t x, y, z;    /* A's campaigns X (5 days ago) and Y (1 day ago); B's campaign Z */
};

static int64_t y_blocked, y_deact, x_failed;

static enum rfx_outcome outcome(int64_t contact)
{
    if (contact == y_blocked) return RFX_BLOCKED;
    if (contact == y_deact) return RFX_DEACTIVATED;
    if (contact == x_failed) return RFX_FAILED;
    return RFX_SENT;
}

/* The contact read, replied to and clicked its message of campaign `campaign` (row `row`). */
static void engaged(struct rfx *f, int64_t account, int64_t campaign, int64_t contact, int64_t row,
                    int64_t at, int read, int replied, int clicked)
{
    struct store *st = f->st;
    if (read) assert_int_equal(recipients_read(st, account, contact, 10 * row), DB_ONE);
    if (replied) {
        int64_t n = 0;
        /* (its status is the skipping of pending nudges': DB_NONE when there were none) */
        assert_true(recipients_replied(st, account, contact, at - 7 * DAY_MS, &n) >= 0);
        assert_int_equal(n, 1);
    }
    if (clicked) {
        int64_t link = 0;
        assert_int_equal(st->link_ensure(st, account, campaign, "https://shop.example/sale", &link), DB_ONE);
        struct click k = {account, campaign, link, row, at};
        assert_int_equal(clicks_record(st, &k, 1), DB_ONE);
    }
}

static int build(void **state)
{
    if (rfx_setup(state) != 0) return -1;
    struct rfx *f = *state;
    struct world *w = calloc(1, sizeof *w);
    if (!w) return -1;
    w->f = f;
    *state = w; /* destroy() releases everything, even after a failed assertion here */
    int64_t now = now_ms();
    w->a = f->a;
    w->b = f->b;
    static const int64_t wrote_days_ago[A_COUNT] = {1, 10, 2, 1, 1, 1, 1, -1, 40};
    for (int i = 0; i < A_COUNT; i++) {
        char tg[16];
        snprintf(tg, sizeof tg, "%d", 1001 + i);
        w->c[i] = rfx_contact(f, w->a, tg);
        if (wrote_days_ago[i] >= 0) rfx_inbound(f, w->a, w->c[i], 1, now - wrote_days_ago[i] * DAY_MS);
    }
    assert_int_equal(rfx_order(f, w->a, "A-1", 1500, "paid", "1001", now - 20 * DAY_MS, NULL, NULL).outcome,
                     ORDER_NEW);
    assert_int_equal(rfx_order(f, w->a, "A-5", 300, "paid", "1009", now - 30 * DAY_MS, NULL, NULL).outcome,
                     ORDER_NEW);

    /* X, five days ago, to BUYER, BROWSER, REFUND, OPTOUT and OLD (failed). */
    w->x = rfx_campaign(f, w->a, "X", NULL, NULL);
    int64_t to_x[] = {w->c[BUYER], w->c[BROWSER], w->c[REFUND], w->c[OPTOUT], w->c[OLD]}, xrows[5];
    x_failed = w->c[OLD];
    rfx_run(f, w->a, w->x, to_x, 5, now - 5 * DAY_MS, xrows, outcome);
    engaged(f, w->a, w->x, w->c[BUYER], xrows[0], now - 4 * DAY_MS, 1, 1, 1);
    engaged(f, w->a, w->x, w->c[BROWSER], xrows[1], now - 4 * DAY_MS, 1, 0, 0);
    engaged(f, w->a, w->x, w->c[OPTOUT], xrows[3], now - 4 * DAY_MS, 1, 1, 1);
    /* Orders within 7 days of X: credited to it (the last message). */
    static const char *const credited[][2] = {{"A-2", "1001"}, {"A-3", "1003"}, {"A-4", "1004"}};
    for (int i = 0; i < 3; i++)
        assert_int_equal(
            rfx_order(f, w->a, credited[i][0], 2500, "paid", credited[i][1], now - 3600000, NULL, NULL)
                .attributed_campaign_id,
            w->x);
    assert_int_equal(rfx_order(f, w->a, "A-3", 2500, "refunded", "1003", now - 3600000, NULL, NULL).outcome,
                     ORDER_REFUNDED);
    assert_int_equal(contact_opt_out(f->st, w->a, w->c[OPTOUT]), DB_ONE);

    /* Y, one day ago, to BLOCKED and DEACT (both failing for good) and CAPPED. */
    w->y = rfx_campaign(f, w->a, "Y", NULL, NULL);
    int64_t to_y[] = {w->c[BLOCKED], w->c[DEACT], w->c[CAPPED]};
    y_blocked = w->c[BLOCKED];
    y_deact = w->c[DEACT];
    rfx_run(f, w->a, w->y, to_y, 3, now - DAY_MS, NULL, outcome);

    /* Account B: two contacts with the Telegram ids of BUYER and BROWSER; Z, five days ago, to
     * both; b1 wrote, read, replied, clicked and bought. */
    w->b1 = rfx_contact(f, w->b, "1001");
    w->b2 = rfx_contact(f, w->b, "1002");
    rfx_inbound(f, w->b, w->b1, 1, now - DAY_MS);
    w->z = rfx_campaign(f, w->b, "Z", NULL, NULL);
    int64_t to_z[] = {w->b1, w->b2}, zrows[2];
    rfx_run(f, w->b, w->z, to_z, 2, now - 5 * DAY_MS, zrows, NULL);
    engaged(f, w->b, w->z, w->b1, zrows[0], now - 4 * DAY_MS, 1, 1, 1);
    assert_int_equal(
        rfx_order(f, w->b, "B-1", 100, "paid", "1001", now - 3600000, NULL, NULL).attributed_campaign_id,
        w->z);
    return 0;
}

static int destroy(void **state)
{
    struct world *w = *state;
    if (!w) return -1;
    void *f = w->f;
    free(w);
    return rfx_teardown(&f);
}

/* Whether the space-separated list `want` names `name`. */
static int listed(const char *want, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = want; (p = strstr(p, name)) != NULL; p += n)
        if ((p == want || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ')) return 1;
    return 0;
}

/* Resolve account A's audience for filters (JSON as the API takes it; NULL = none; the
 * reference is stolen) and the frequency cap, and check it is exactly the contacts in want. */
static void expect(struct world *w, json_t *filters, int cap_days, const char *want)
{
    struct filters fl;
    struct jspec_error err;
    char *text = filters ? json_dumps(filters, JSON_COMPACT) : strdup("none");
    assert_int_equal(filters_parse(filters, w->f->st, w->a, &fl, &err), TGR_OK);
    struct audience au;
    assert_int_equal(audience_resolve(&w->f->app, w->a, &fl, cap_days, &au), TGR_OK);
    char got[256] = "";
    for (size_t i = 0; i < au.n; i++) {
        int k = 0;
        while (k < A_COUNT && w->c[k] != au.ids[i])
            k++;
        size_t len = strlen(got);
        snprintf(got + len, sizeof got - len, "%s%s", len ? " " : "", k < A_COUNT ? names[k] : "ANOTHER");
        if (i && au.ids[i] <= au.ids[i - 1]) fail_msg("%s: ids not ascending", text);
    }
    int ok = 1;
    for (int k = 0; k < A_COUNT; k++)
        if (listed(got, names[k]) != listed(want, names[k])) ok = 0;
    if (!ok || strstr(got, "ANOTHER"))
        fail_msg("filters %s cap %d: got [%s], want [%s]", text, cap_days, got, want);
    size_t sum = 0;
    for (int c = 0; c < CAT_COUNT; c++)
        sum += au.by_category[c];
    assert_int_equal(sum, au.n);
    audience_release(&au);
    free(text);
    json_decref(filters);
}

static json_t *one(const char *name, json_int_t v)
{
    return json_pack("{s:I}", name, v);
}

/* No filters: everyone who may be messaged; opted-out, blocked and deactivated contacts never. */
static void no_filters(void **state)
{
    struct world *w = *state;
    expect(w, NULL, 0, "buyer browser refund capped silent old");
    expect(w, json_object(), 0, "buyer browser refund capped silent old");
}

/* The frequency cap skips contacts sent anything (by any campaign) within that many days;
 * a failed send is not a message. */
static void frequency_cap(void **state)
{
    struct world *w = *state;
    expect(w, NULL, 2, "buyer browser refund silent old"); /* Y a day ago */
    expect(w, NULL, 4, "buyer browser refund silent old");
    expect(w, NULL, 6, "silent old"); /* X five days ago too */
    expect(w, NULL, 365, "silent old");
}

static void last_message_within_days(void **state)
{
    struct world *w = *state;
    expect(w, one("last_message_within_days", 1), 0, ""); /* a day ago is just outside */
    expect(w, one("last_message_within_days", 3), 0, "buyer refund capped");
    expect(w, one("last_message_within_days", 30), 0, "buyer browser refund capped");
    expect(w, one("last_message_within_days", 3650), 0, "buyer browser refund capped old");
}

/* Categories come from orders here: paid → buyer, refunded → refund_risk, none → browser. */
static void categories(void **state)
{
    struct world *w = *state;
    expect(w, json_pack("{s:[s]}", "categories", "buyer"), 0, "buyer old");
    expect(w, json_pack("{s:[s]}", "categories", "browser"), 0, "browser capped silent");
    expect(w, json_pack("{s:[s]}", "categories", "refund_risk"), 0, "refund");
    expect(w, json_pack("{s:[s,s]}", "categories", "buyer", "refund_risk"), 0, "buyer refund old");
    expect(w, json_pack("{s:[s,s,s]}", "categories", "buyer", "browser", "refund_risk"), 0,
           "buyer browser refund capped silent old");

    struct filters fl;
    struct jspec_error err;
    struct audience au;
    assert_int_equal(filters_parse(NULL, NULL, w->a, &fl, &err), TGR_OK);
    assert_int_equal(audience_resolve(&w->f->app, w->a, &fl, 0, &au), TGR_OK);
    assert_int_equal(au.by_category[CAT_BUYER], 2);
    assert_int_equal(au.by_category[CAT_BROWSER], 3);
    assert_int_equal(au.by_category[CAT_REFUND_RISK], 1);
    audience_release(&au);
}

/* Order counts and spending count paid orders only (a refunded order is neither). */
static void orders_and_spent(void **state)
{
    struct world *w = *state;
    expect(w, one("min_orders", 0), 0, "buyer browser refund capped silent old");
    expect(w, one("min_orders", 1), 0, "buyer old");
    expect(w, one("min_orders", 2), 0, "buyer");
    expect(w, one("min_orders", 3), 0, "");
    expect(w, one("max_orders", 0), 0, "browser refund capped silent");
    expect(w, one("max_orders", 1), 0, "browser refund capped silent old");
    expect(w, json_pack("{s:I, s:I}", "min_orders", 1, "max_orders", 1), 0, "old");
    expect(w, one("min_spent", 0), 0, "buyer browser refund capped silent old");
    expect(w, one("min_spent", 300), 0, "buyer old");
    expect(w, one("min_spent", 301), 0, "buyer");
    expect(w, one("min_spent", 4000), 0, "buyer");
    expect(w, one("min_spent", 4001), 0, "");
}

/* What a contact did with another campaign (X): only contacts X reached, and of those only the
 * ones it was sent to, never the opted-out one. */
static void campaign_filters(void **state)
{
    struct world *w = *state;
    expect(w, one("clicked_campaign", w->x), 0, "buyer");
    expect(w, one("not_replied_to_campaign", w->x), 0, "browser refund");
    expect(w, one("read_campaign", w->x), 0, "buyer browser");
    expect(w, one("not_read_campaign", w->x), 0, "refund");
    expect(w, one("replied_to_campaign", w->x), 0, "buyer");
    expect(w, one("bought_from_campaign", w->x), 0, "buyer"); /* REFUND's order was refunded */
    /* Y reached only CAPPED; the failed sends are neither read nor unread messages. */
    expect(w, one("not_read_campaign", w->y), 0, "capped");
    expect(w, one("not_replied_to_campaign", w->y), 0, "capped");
    expect(w, one("read_campaign", w->y), 0, "");
    expect(w, one("bought_from_campaign", w->y), 0, "");
}

/* Filters combine with AND, with each other and with the cap. */
static void combined(void **state)
{
    struct world *w = *state;
    expect(w, json_pack("{s:I, s:I}", "read_campaign", w->x, "max_orders", 0), 0, "browser");
    expect(w,
           json_pack("{s:[s,s], s:I}", "categories", "buyer", "refund_risk", "last_message_within_days", 3),
           0, "buyer refund");
    expect(w, json_pack("{s:I, s:[s]}", "not_replied_to_campaign", w->x, "categories", "refund_risk"), 0,
           "refund");
    expect(w, json_pack("{s:I, s:I}", "clicked_campaign", w->x, "not_read_campaign", w->x), 0, "");
    expect(w, json_pack("{s:I, s:I}", "bought_from_campaign", w->x, "min_spent", 4000), 0, "buyer");
    expect(w, json_pack("{s:I, s:I}", "last_message_within_days", 30, "min_orders", 1), 0, "buyer");
    expect(w, one("bought_from_campaign", w->x), 4, "buyer");
    expect(w, one("bought_from_campaign", w->x), 6, "");
    expect(w, one("min_orders", 1), 6, "old");
}

/* Account B's audience is B's contacts only, whatever A did with the same Telegram users, and
 * A's filters cannot name B's campaigns (filters_parse refuses; given anyway, they match nobody). */
static void accounts_apart(void **state)
{
    struct world *w = *state;
    struct filters fl;
    struct jspec_error err;
    struct audience au;
    assert_int_equal(filters_parse(NULL, NULL, w->b, &fl, &err), TGR_OK);
    assert_int_equal(audience_resolve(&w->f->app, w->b, &fl, 0, &au), TGR_OK);
    assert_int_equal(au.n, 2);
    assert_true(au.ids[0] == w->b1 && au.ids[1] == w->b2);
    audience_release(&au);
    for (int k = 0; k < CF_COUNT; k++) {
        json_t *j = one(campaign_filter_names[k], w->z);
        assert_int_equal(filters_parse(j, w->f->st, w->a, &fl, &err), TGR_ERR);
        char field[64];
        snprintf(field, sizeof field, "filters.%s", campaign_filter_names[k]);
        assert_string_equal(err.field, field);
        json_decref(j);

        /* Z given to A's audience directly, and X to B's: nobody. */
        assert_int_equal(filters_parse(NULL, NULL, w->a, &fl, &err), TGR_OK);
        fl.campaign[k] = w->z;
        assert_int_equal(audience_resolve(&w->f->app, w->a, &fl, 0, &au), TGR_OK);
        assert_int_equal(au.n, 0);
        audience_release(&au);
        fl.campaign[k] = w->x;
        assert_int_equal(audience_resolve(&w->f->app, w->b, &fl, 0, &au), TGR_OK);
        assert_int_equal(au.n, 0);
        audience_release(&au);
        /* B's own: b1 clicked, read, replied and bought; b2 did nothing with Z. */
        fl.campaign[k] = w->z;
        assert_int_equal(audience_resolve(&w->f->app, w->b, &fl, 0, &au), TGR_OK);
        assert_int_equal(au.n, 1);
        int64_t expected = k == CF_NOT_REPLIED || k == CF_NOT_READ ? w->b2 : w->b1;
        assert_int_equal(au.ids[0], expected);
        audience_release(&au);
    }
    /* B's contacts wrote and bought as A's did; B's limits still reach only B's. */
    assert_int_equal(filters_parse(NULL, NULL, w->b, &fl, &err), TGR_OK);
    fl.min_orders = 1;
    assert_int_equal(audience_resolve(&w->f->app, w->b, &fl, 0, &au), TGR_OK);
    assert_int_equal(au.n, 1);
    assert_int_equal(au.ids[0], w->b1);
    audience_release(&au);
    fl.min_orders = -1;
    fl.last_message_within_days = 3;
    assert_int_equal(audience_resolve(&w->f->app, w->b, &fl, 0, &au), TGR_OK);
    assert_int_equal(au.n, 1);
    assert_int_equal(au.ids[0], w->b1);
    audience_release(&au);
}

/* Set (or clear, with 0) a contact's marks from Telegram's answers, as the engine's outcomes
 * leave them (store.h contact_mark: privacy_restricted_at, charges_at). */
static void mark(struct world *w, int64_t contact, int64_t privacy_at, int64_t charges_at)
{
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(w->f->db,
                                        "UPDATE contacts SET privacy_restricted_at = NULLIF(?1, 0), "
                                        "charges_at = NULLIF(?2, 0) WHERE id = ?3",
                                        -1, &q, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(q, 1, privacy_at);
    sqlite3_bind_int64(q, 2, charges_at);
    sqlite3_bind_int64(q, 3, contact);
    assert_int_equal(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
}

/* People who charge Stars for messages, and people whose privacy refused the account, are left
 * out unless the filters ask for them; the audience counts them, by mark, only when they
 * matched every other filter (issue 15). */
static void telegram_marks(void **state)
{
    struct world *w = *state;
    mark(w, w->c[SILENT], 0, 1000);
    mark(w, w->c[OLD], 1000, 0);
    mark(w, w->c[BROWSER], 1000, 1000); /* both: counted once, as charging */
    expect(w, NULL, 0, "buyer refund capped");
    struct filters fl;
    struct jspec_error err;
    struct audience au;
    assert_int_equal(filters_parse(NULL, w->f->st, w->a, &fl, &err), TGR_OK);
    assert_int_equal(audience_resolve(&w->f->app, w->a, &fl, 0, &au), TGR_OK);
    assert_int_equal(au.left_out_charging, 2);
    assert_int_equal(au.left_out_privacy, 1);
    audience_release(&au);
    /* Only those the other filters let through are counted. */
    json_t *recent = one("last_message_within_days", 3);
    assert_int_equal(filters_parse(recent, w->f->st, w->a, &fl, &err), TGR_OK);
    json_decref(recent);
    assert_int_equal(audience_resolve(&w->f->app, w->a, &fl, 0, &au), TGR_OK);
    assert_int_equal(au.left_out_charging + au.left_out_privacy, 0);
    audience_release(&au);
    expect(w, json_pack("{s:b}", "include_charging", 1), 0, "buyer refund capped silent");
    expect(w, json_pack("{s:b}", "include_privacy_restricted", 1), 0, "buyer refund capped old");
    expect(w, json_pack("{s:b, s:b}", "include_charging", 1, "include_privacy_restricted", 1), 0,
           "buyer browser refund capped silent old");
    mark(w, w->c[SILENT], 0, 0);
    mark(w, w->c[OLD], 0, 0);
    mark(w, w->c[BROWSER], 0, 0);
    expect(w, NULL, 0, "buyer browser refund capped silent old");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_filters),
        cmocka_unit_test(frequency_cap),
        cmocka_unit_test(last_message_within_days),
        cmocka_unit_test(categories),
        cmocka_unit_test(orders_and_spent),
        cmocka_unit_test(campaign_filters),
        cmocka_unit_test(combined),
        cmocka_unit_test(accounts_apart),
        cmocka_unit_test(telegram_marks),
    };
    return cmocka_run_group_tests(tests, build, destroy);
}
