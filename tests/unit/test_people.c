/* test_people — the rules of issue 16 in core/, in-process on SQLite: a campaign's recipients read
 * in pages (core/people.c results_*: every row exactly once in (step, id) order, the API's
 * statuses with a cancelled campaign's unsent rows, step filters, totals from the counters, an
 * `after` that is not the campaign's), the contact filters (contacts_scan), opt-outs and opt-ins
 * by hand with their audit lines (contact_opt_out_by_hand, and a stop message's line), and a
 * contact's timeline (core/timeline.c: every kind, newest first, opened, paged by its cursor). */
#include "rules_fixture.h"

#include <jansson.h>

#include "core/audit.h"
#include "core/categories.h"
#include "core/people.h"
#include "core/progress.h"
#include "core/sealed.h"
#include "core/timeline.h"
#include "crypto/seal.h"

/* Who opts people out by hand in these tests. */
static const struct audit_who USER = {AUDIT_USER, "198.51.100.7"}, API_KEY = {AUDIT_API_KEY, "198.51.100.8"};

/* A contact with a sealed first name. */
static int64_t named_contact(struct rfx *f, int64_t account, const char *tg_user_id, const char *first)
{
    struct contact c;
    memset(&c, 0, sizeof c);
    snprintf(c.tg_user_id, sizeof c.tg_user_id, "%s", tg_user_id);
    char rk[64];
    contact_row_key(account, tg_user_id, rk, sizeof rk);
    assert_int_equal(contact_seal_field(&f->app, "first_name", rk, first, &c.first_name), TGR_OK);
    int64_t id = 0;
    assert_int_equal(f->st->contact_save(f->st, account, &c, &id), DB_ONE);
    contact_release(&c);
    return id;
}

static int64_t failing;
static enum rfx_outcome fail_one(int64_t contact)
{
    return contact == failing ? RFX_FAILED : RFX_SENT;
}

/* Every row of a reading, page by page (limit rows each), into ids[] (in order); returns how many. */
static size_t read_all(struct rfx *f, int64_t campaign, enum result_status status, int step, int limit,
                       int64_t *ids, int *steps, size_t cap, int64_t *total)
{
    size_t got = 0;
    int64_t after = 0;
    for (int pages = 0; pages < 100; pages++) {
        struct results_page p;
        assert_int_equal(results_page_read(f->st, f->a, campaign, status, step, after, limit, &p),
                         RESULTS_OK);
        *total = p.total;
        assert_true(p.n <= (size_t)limit);
        for (size_t i = 0; i < p.n; i++) {
            assert_true(got < cap);
            steps[got] = p.rows[i].step;
            ids[got++] = p.rows[i].id;
        }
        after = p.next_after;
        results_page_release(&p);
        if (!after) return got;
    }
    fail_msg("paging did not end");
    return 0;
}

static void results_in_pages(void **state)
{
    struct rfx *f = *state;
    struct store *st = f->st;
    int64_t c[5];
    for (int i = 0; i < 5; i++) {
        char id[8], name[16];
        snprintf(id, sizeof id, "%d", 700 + i);
        snprintf(name, sizeof name, "Name%d", i);
        c[i] = named_contact(f, f->a, id, name);
    }
    failing = c[3];
    int64_t camp = rfx_campaign(f, f->a, "Pages", NULL, NULL), running = 0, created = 0;
    assert_int_equal(campaign_start(st, f->a, camp, c, 5, 0, &running), START_OK);
    assert_int_equal(rfx_send_due(f, f->a, f->t0, c, 5, NULL, fail_one), 5);
    assert_int_equal(nudge_schedule(st, f->a, camp, 1, "no_reply", f->t0 + DAY_MS, &created), DB_ONE);
    assert_int_equal(created, 4); /* the four sent: pending nudges */

    /* every row once, step 0 first, ids ascending within a step; pages of 2 */
    int64_t ids[16], total = 0;
    int steps[16];
    size_t n = read_all(f, camp, RS_COUNT, -1, 2, ids, steps, 16, &total);
    assert_int_equal(n, 9);
    assert_int_equal(total, 9);
    for (size_t i = 1; i < n; i++)
        assert_true(steps[i] > steps[i - 1] || (steps[i] == steps[i - 1] && ids[i] > ids[i - 1]));
    assert_int_equal(steps[4], 0);
    assert_int_equal(steps[5], 1);
    assert_int_equal(read_all(f, camp, RS_COUNT, -1, 500, ids, steps, 16, &total), 9);

    /* the API's statuses and steps, and their totals from the counters */
    assert_int_equal(read_all(f, camp, RS_SENT, -1, 3, ids, steps, 16, &total), 4);
    assert_int_equal(total, 4);
    assert_int_equal(read_all(f, camp, RS_FAILED, -1, 3, ids, steps, 16, &total), 1);
    assert_int_equal(total, 1);
    assert_int_equal(read_all(f, camp, RS_PENDING, -1, 3, ids, steps, 16, &total), 4);
    assert_int_equal(total, 4);
    assert_int_equal(steps[0], 1);
    assert_int_equal(read_all(f, camp, RS_PENDING, 0, 3, ids, steps, 16, &total), 0);
    assert_int_equal(total, 0);
    assert_int_equal(read_all(f, camp, RS_COUNT, 1, 3, ids, steps, 16, &total), 4);
    assert_int_equal(total, 4);
    assert_int_equal(read_all(f, camp, RS_CANCELLED, -1, 3, ids, steps, 16, &total), 0);
    assert_int_equal(read_all(f, camp, RS_SKIPPED, -1, 3, ids, steps, 16, &total), 0);

    /* a row of another step than the filter's, a row of no such campaign, another account */
    struct results_page p;
    assert_int_equal(results_page_read(st, f->a, camp, RS_COUNT, 0, ids[0], 10, &p), RESULTS_BAD_AFTER);
    assert_int_equal(results_page_read(st, f->a, camp, RS_COUNT, -1, ids[0] + 1000, 10, &p),
                     RESULTS_BAD_AFTER);
    assert_int_equal(results_page_read(st, f->b, camp, RS_COUNT, -1, 0, 10, &p), RESULTS_NOT_FOUND);
    assert_int_equal(results_page_read(st, f->a, camp + 100, RS_COUNT, -1, 0, 10, &p), RESULTS_NOT_FOUND);

    /* a page's rows: names open, the failure's code, what the API calls each */
    assert_int_equal(results_page_read(st, f->a, camp, RS_COUNT, 0, 0, 10, &p), RESULTS_OK);
    assert_int_equal(p.n, 5);
    assert_int_equal(p.next_after, 0);
    for (size_t i = 0; i < p.n; i++) {
        struct contact_plain names;
        assert_int_equal(result_names_open(&f->app, f->a, &p.rows[i], &names), TGR_OK);
        char want[16];
        snprintf(want, sizeof want, "Name%d", (int)(p.rows[i].contact_id - c[0]));
        assert_string_equal(names.first_name, want);
        assert_null(names.last_name);
        contact_plain_release(&names);
        enum result_status rs = result_status_of(p.rows[i].status, p.cancelled);
        assert_int_equal(rs, p.rows[i].contact_id == c[3] ? RS_FAILED : RS_SENT);
        if (rs == RS_FAILED) assert_string_equal(p.rows[i].error_code, "USER_PRIVACY_RESTRICTED");
    }
    results_page_release(&p);
    struct contact_plain other;
    assert_int_equal(results_page_read(st, f->a, camp, RS_COUNT, 0, 0, 1, &p), RESULTS_OK);
    assert_int_equal(result_names_open(&f->app, f->b, &p.rows[0], &other), TGR_ERR); /* sealed for a */
    results_page_release(&p);

    /* cancelled: the nudges never sent are "cancelled", no longer "pending" */
    assert_int_equal(st->campaign_transition(st, f->a, camp, "running", "cancelled", NULL), DB_ONE);
    assert_int_equal(read_all(f, camp, RS_PENDING, -1, 3, ids, steps, 16, &total), 0);
    assert_int_equal(total, 0);
    assert_int_equal(read_all(f, camp, RS_CANCELLED, -1, 3, ids, steps, 16, &total), 4);
    assert_int_equal(total, 4);
    assert_int_equal(result_status_of("pending", 1), RS_CANCELLED);
    assert_int_equal(result_status_of("sending", 0), RS_PENDING);

    /* the names of the API's statuses */
    enum result_status s;
    for (int i = 0; i < RS_COUNT; i++) {
        assert_int_equal(result_status_parse(result_status_name((enum result_status)i), &s), TGR_OK);
        assert_int_equal(s, i);
    }
    assert_int_equal(result_status_parse("sending", &s), TGR_ERR);
    assert_int_equal(result_status_parse(NULL, &s), TGR_ERR);
    assert_string_equal(result_status_name(RS_COUNT), "unknown");
}

struct seen_contacts {
    int64_t ids[16];
    int n, stop_at;
};

static int seen_cb(void *cls, const struct contact *c, const struct contact_plain *p)
{
    struct seen_contacts *s = cls;
    assert_non_null(p->first_name);
    s->ids[s->n++] = c->id;
    return s->n == s->stop_at;
}

/* Every contact that passes f, scanning pages of `page` rows. */
static int scan_all(struct rfx *f, const struct contact_filter *flt, int page, struct seen_contacts *s)
{
    int64_t cursor = 0;
    memset(s, 0, sizeof *s);
    int calls = 0;
    enum db_status r;
    do {
        r = contacts_scan(&f->app, f->a, flt, &cursor, page, seen_cb, s);
        assert_true(r >= 0);
        calls++;
    } while (r == DB_ONE && calls < 50);
    return s->n;
}

static void contact_filters(void **state)
{
    struct rfx *f = *state;
    int64_t ana = named_contact(f, f->a, "801", "Anastasia"), bo = named_contact(f, f->a, "802", "Bo"),
            cy = named_contact(f, f->a, "803", "Cyrano");
    named_contact(f, f->b, "804", "Anatole");                         /* another account's */
    rfx_order(f, f->a, "F-1", 500, "paid", "802", f->t0, NULL, NULL); /* Bo: a buyer */
    assert_int_equal(categories_recompute(&f->app, f->a, ana), DB_ONE);
    assert_int_equal(contact_opt_out(f->st, f->a, cy), DB_ONE);
    struct seen_contacts s;
    struct contact_filter all = {-1, NULL, -1};
    assert_int_equal(scan_all(f, &all, 2, &s), 3);
    assert_int_equal(s.ids[0], ana);
    assert_int_equal(s.ids[2], cy);
    struct contact_filter q = {-1, "ANA", -1}; /* case-insensitive, of this account only */
    assert_int_equal(scan_all(f, &q, 1, &s), 1);
    assert_int_equal(s.ids[0], ana);
    struct contact_filter buyers = {CAT_BUYER, NULL, -1};
    assert_int_equal(scan_all(f, &buyers, 10, &s), 1);
    assert_int_equal(s.ids[0], bo);
    struct contact_filter out = {-1, NULL, 1}, in = {-1, NULL, 0};
    assert_int_equal(scan_all(f, &out, 10, &s), 1);
    assert_int_equal(s.ids[0], cy);
    assert_int_equal(scan_all(f, &in, 10, &s), 2);
    /* fn stops the scan: the cursor stays on the row it stopped at */
    int64_t cursor = 0;
    memset(&s, 0, sizeof s);
    s.stop_at = 1;
    assert_int_equal(contacts_scan(&f->app, f->a, &all, &cursor, 10, seen_cb, &s), DB_ONE);
    assert_int_equal(cursor, ana);
    /* a short page is the end */
    s.stop_at = 0;
    assert_int_equal(contacts_scan(&f->app, f->a, &all, &cursor, 10, seen_cb, &s), DB_NONE);
    assert_int_equal(cursor, cy);
}

/* The timeline's events of a contact, newest first, as (type, text) pairs in one string. */
static void timeline_text(struct rfx *f, int64_t account, int64_t contact, int limit, char *out, size_t cap,
                          int *pages)
{
    struct timeline_key key, *before = NULL;
    out[0] = 0;
    *pages = 0;
    for (;;) {
        json_t *events = NULL;
        int more = 0;
        assert_int_equal(timeline_read(&f->app, account, contact, before, limit, &events, &key, &more),
                         TIMELINE_OK);
        (*pages)++;
        size_t i;
        json_t *e;
        json_array_foreach(events, i, e)
        {
            const char *text = json_string_value(json_object_get(e, "text"));
            size_t len = strlen(out);
            snprintf(out + len, cap - len, "%s%s=%s", len ? " " : "",
                     json_string_value(json_object_get(e, "type")), text ? text : "-");
        }
        json_decref(events);
        if (!more) return;
        char cur[TIMELINE_CURSOR_MAX];
        timeline_cursor_format(&key, cur, sizeof cur);
        assert_int_equal(timeline_cursor_parse(cur, &key), TGR_OK);
        before = &key;
    }
}

/* Move what the store stamped with the clock to an instant around t0: sql's ?1 is at, ?2 word. */
static void pin(struct rfx *f, const char *sql, int64_t at, const char *word)
{
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->db, sql, -1, &q, NULL), SQLITE_OK);
    sqlite3_bind_int64(q, 1, at);
    sqlite3_bind_text(q, 2, word, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
}

static void audit_at(struct rfx *f, const char *kind, int64_t at)
{
    pin(f, "UPDATE contact_audit SET at = ?1 WHERE kind = ?2", at, kind);
}

static void opt_outs_and_timeline(void **state)
{
    struct rfx *f = *state;
    struct store *st = f->st;
    int64_t who = named_contact(f, f->a, "901", "Wanda");
    /* she wrote, was sent a campaign message, read it, clicked, bought, got a refund */
    char rk[96];
    struct blob text = {0};
    snprintf(rk, sizeof rk, "%lld:901:55", (long long)f->a);
    assert_int_equal(
        seal(f->app.kr, "inbound_messages", "text", rk, "do you ship to Oslo?", 20, &text.p, &text.len),
        TGR_OK);
    assert_int_equal(st->inbound_add(st, f->a, who, 55, &text, f->t0 - DAY_MS), DB_ONE);
    blob_release(&text);
    int64_t camp = rfx_campaign(f, f->a, "Oslo offer", NULL, NULL), row = 0, link = 0;
    rfx_run(f, f->a, camp, &who, 1, f->t0, &row, NULL);
    assert_int_equal(recipients_read(st, f->a, who, 10 * row), DB_ONE);
    assert_int_equal(st->link_ensure(st, f->a, camp, "https://shop.example/oslo", &link), DB_ONE);
    struct click k = {f->a, camp, link, row, f->t0 + 2000};
    assert_int_equal(clicks_record(st, &k, 1), DB_ONE);
    rfx_order(f, f->a, "OSLO-1", 4200, "paid", "901", f->t0 + 3000, NULL, NULL);
    rfx_order(f, f->a, "OSLO-1", 4200, "refunded", "901", f->t0 + 3000, NULL, NULL);
    pin(f, "UPDATE recipients SET read_at = ?1 WHERE read_at IS NOT NULL AND ?2 = ?2", f->t0 + 1000, "");
    pin(f, "UPDATE orders SET received_at = ?1 WHERE status = ?2", f->t0 + 3500, "refunded");

    /* opting out by hand, then again (nothing changes), then back in with a reason */
    assert_int_equal(contact_opt_out_by_hand(&f->app, f->a, who, 1, &USER, "asked on the phone"),
                     OPT_OUT_CHANGED);
    assert_int_equal(contact_opt_out_by_hand(&f->app, f->a, who, 1, &USER, NULL), OPT_OUT_UNCHANGED);
    struct contact c;
    assert_int_equal(st->contact_get(st, f->a, who, &c), DB_ONE);
    assert_true(c.opted_out_at > 0);
    contact_release(&c);
    struct campaign_counts counts;
    assert_int_equal(st->campaign_counts(st, f->a, camp, &counts), DB_ONE);
    assert_int_equal(counts.opted_out, 1); /* counted as a stop message is */
    audit_at(f, "opted_out", f->t0 + 4000);
    assert_int_equal(contact_opt_out_by_hand(&f->app, f->a, who, 0, &API_KEY, "wants the newsletter"),
                     OPT_OUT_CHANGED);
    assert_int_equal(contact_opt_out_by_hand(&f->app, f->a, who, 0, &API_KEY, "again"), OPT_OUT_UNCHANGED);
    audit_at(f, "opted_in", f->t0 + 5000);
    assert_int_equal(st->contact_get(st, f->a, who, &c), DB_ONE);
    assert_int_equal(c.opted_out_at, 0);
    contact_release(&c);
    assert_int_equal(contact_opt_out_by_hand(&f->app, f->b, who, 1, &USER, NULL), OPT_OUT_NOT_FOUND);
    assert_int_equal(contact_opt_out_by_hand(&f->app, f->a, who + 100, 0, &USER, "x"), OPT_OUT_NOT_FOUND);
    audit_at(f, "category_changed", f->t0 - 2 * DAY_MS); /* buyer, then refund_risk: older */

    /* newest first, every kind, opened; the same in pages of 2 */
    char all[2048], paged[2048];
    int pages = 0;
    timeline_text(f, f->a, who, 50, all, sizeof all, &pages);
    assert_int_equal(pages, 1);
    assert_string_equal(all, "opted_in=wants the newsletter opted_out=asked on the phone refund=OSLO-1 "
                             "order=OSLO-1 clicked=https://shop.example/oslo read=Oslo offer "
                             "campaign_sent=Oslo offer message_in=do you ship to Oslo? "
                             "category_changed=refund_risk category_changed=buyer");
    timeline_text(f, f->a, who, 2, paged, sizeof paged, &pages);
    assert_string_equal(paged, all);
    assert_int_equal(pages, 5);

    /* the details of an audit line and of an order */
    json_t *events = NULL;
    struct timeline_key next;
    int more = 0;
    assert_int_equal(timeline_read(&f->app, f->a, who, NULL, 4, &events, &next, &more), TIMELINE_OK);
    assert_true(more);
    json_t *in = json_array_get(events, 0), *d = json_object_get(in, "details");
    assert_string_equal(json_string_value(json_object_get(d, "actor")), "api_key");
    assert_string_equal(json_string_value(json_object_get(d, "source")), "api");
    assert_string_equal(json_string_value(json_object_get(d, "reason")), "wants the newsletter");
    assert_true(json_is_null(json_object_get(in, "campaign_id")));
    d = json_object_get(json_array_get(events, 3), "details");
    assert_int_equal(json_integer_value(json_object_get(d, "amount")), 4200);
    assert_string_equal(json_string_value(json_object_get(d, "currency")), "EUR");
    json_decref(events);
    assert_int_equal(timeline_read(&f->app, f->b, who, NULL, 4, &events, &next, &more), TIMELINE_NOT_FOUND);

    /* a stop message leaves its own line */
    assert_int_equal(contact_opt_out(st, f->a, who), DB_ONE);
    assert_int_equal(timeline_read(&f->app, f->a, who, NULL, 1, &events, &next, &more), TIMELINE_OK);
    d = json_object_get(json_array_get(events, 0), "details");
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "type")), "opted_out");
    assert_string_equal(json_string_value(json_object_get(d, "source")), "stop_message");
    assert_string_equal(json_string_value(json_object_get(d, "actor")), "system");
    json_decref(events);
}

static void cursors(void **state)
{
    (void)state;
    struct timeline_key k;
    char out[TIMELINE_CURSOR_MAX];
    assert_int_equal(timeline_cursor_parse("1770000000000.9.42", &k), TGR_OK);
    assert_int_equal(k.at, 1770000000000);
    assert_int_equal(k.kind, 9);
    assert_int_equal(k.id, 42);
    timeline_cursor_format(&k, out, sizeof out);
    assert_string_equal(out, "1770000000000.9.42");
    const char *bad[] = {"",       "1.2",    "1.2.3.4", "a.b.c",    "-1.2.3",
                         "1.-2.3", "1.2.-3", "1..3",    ".1.2",     "1.2.",
                         " 1.2.3", "1.2.3 ", "+1.2.3",  "1.1001.3", "99999999999999999999.1.1",
                         NULL};
    for (int i = 0; bad[i]; i++)
        if (timeline_cursor_parse(bad[i], &k) == TGR_OK) fail_msg("\"%s\" parsed as a cursor", bad[i]);
    assert_int_equal(timeline_cursor_parse(NULL, &k), TGR_ERR);
    assert_string_equal(timeline_type_name(TL_MESSAGE_IN), "message_in");
    assert_string_equal(timeline_type_name(TL_CATEGORY_CHANGED), "category_changed");
    assert_null(timeline_type_name(0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(results_in_pages, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(contact_filters, rfx_setup, rfx_teardown),
        cmocka_unit_test_setup_teardown(opt_outs_and_timeline, rfx_setup, rfx_teardown),
        cmocka_unit_test(cursors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
