/* rules_fixture — what the rule tests (test_audience, test_attribution, test_nudges) share: an
 * app on a SQLite store in a temp directory with a keyring, a small lexicon and two accounts
 * (rfx_setup and rfx_teardown are cmocka setup and teardown functions), and helpers
 * that build accounts, contacts, campaigns, sent messages and orders through the store
 * interface and core/ (starts and outcomes through core/launch.c and core/outcome.c), the way the
 * server does. The store stamps sends with the clock; the
 * instants a rule depends on (when a message was sent) are pinned afterwards through a second
 * SQLite connection (rfx_sent_at), so a test states them exactly.
 *
 * Header-only (static inline) because every tests/unit/test_*.c is its own executable. */
#ifndef TGR_TEST_RULES_FIXTURE_H
#define TGR_TEST_RULES_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "core/classify.h"
#include "core/launch.h"
#include "core/orders.h"
#include "core/outcome.h"
#include "crypto/keys.h"
#include "store/store.h"

#define DAY_MS (86400LL * 1000)

struct rfx {
    char dir[64];
    struct app app;
    struct store *st;
    struct keyring keys;
    sqlite3 *db;  /* the same database, for pinning instants */
    int64_t a, b; /* two accounts, a@example.com and b@example.com */
    int64_t t0;   /* a fixed instant to place events around: 2026-05-04T12:00:00Z */
};

/* A lexicon only needs to exist: categories in these tests come from orders (classify.c: a
 * paid order makes a buyer, a refunded one a refund_risk, none a browser). */
static const char rfx_lexicon[] =
    "{\"version\": 1, \"categories\": {\"buyer\": {\"en\": [\"thanks\"]}, "
    "\"browser\": {\"en\": [\"price\"]}, \"refund_risk\": {\"en\": [\"refund\"]}}}";

static inline int64_t rfx_account(struct rfx *f, const char *email)
{
    struct account a = {0};
    int64_t id = 0;
    snprintf(a.email, sizeof a.email, "%s", email);
    snprintf(a.password_hash, sizeof a.password_hash, "$argon2id$fake");
    snprintf(a.plan_type, sizeof a.plan_type, "free");
    assert_int_equal(f->st->account_create(f->st, &a, email, &id), DB_ONE);
    return id;
}

static inline int rfx_setup(void **state)
{
    struct rfx *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->app.kr = &f->keys;
    log_set_level(LOG_WARN); /* not the migrations' lines for every test */
    snprintf(f->dir, sizeof f->dir, "/tmp/tgr-rules-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    char err[256], path[128];
    f->st = store_open(NULL, f->dir, err, sizeof err);
    int applied = 0;
    if (!f->st || f->st->migrate(f->st, &applied) != DB_ONE) return -1;
    f->app.store = f->st;
    unsigned char m[KEYS_BYTES];
    for (int i = 0; i < KEYS_BYTES; i++)
        m[i] = (unsigned char)(11 + i);
    keyring_from_master(f->app.kr, m);
    snprintf(path, sizeof path, "%s/lexicon.json", f->dir);
    FILE *lf = fopen(path, "w");
    if (!lf || fputs(rfx_lexicon, lf) < 0 || fclose(lf) != 0) return -1;
    f->app.lexicon = lexicon_load(path, err, sizeof err);
    if (!f->app.lexicon) return -1;
    snprintf(path, sizeof path, "%s/tgr.db", f->dir);
    if (sqlite3_open(path, &f->db) != SQLITE_OK) return -1;
    sqlite3_busy_timeout(f->db, 5000);
    *state = f;
    f->a = rfx_account(f, "a@example.com");
    f->b = rfx_account(f, "b@example.com");
    return parse_rfc3339("2026-05-04T12:00:00Z", &f->t0);
}

static inline int rfx_teardown(void **state)
{
    struct rfx *f = *state;
    if (!f) return -1;
    sqlite3_close(f->db);
    f->st->close(f->st);
    lexicon_free(f->app.lexicon);
    keyring_clear(f->app.kr);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* The account's Telegram session is connected (what a start needs). */
static inline void rfx_connect(struct rfx *f, int64_t account)
{
    struct tg_session s;
    memset(&s, 0, sizeof s);
    snprintf(s.status, sizeof s.status, "connected");
    snprintf(s.tg_user_id, sizeof s.tg_user_id, "777");
    assert_int_equal(f->st->session_put(f->st, account, &s), DB_ONE);
}

/* A contact with no sealed fields (the rules here never open them). */
static inline int64_t rfx_contact(struct rfx *f, int64_t account, const char *tg_user_id)
{
    struct contact c;
    int64_t id = 0;
    memset(&c, 0, sizeof c);
    snprintf(c.tg_user_id, sizeof c.tg_user_id, "%s", tg_user_id);
    assert_int_equal(f->st->contact_save(f->st, account, &c, &id), DB_ONE);
    return id;
}

/* The contact wrote to the shop at `at` (its last_inbound_at is the latest such). */
static inline void rfx_inbound(struct rfx *f, int64_t account, int64_t contact, int64_t tg_message_id,
                               int64_t at)
{
    assert_int_equal(f->st->inbound_add(f->st, account, contact, tg_message_id, NULL, at), DB_ONE);
}

/* A draft campaign; nudges_json and discount_json may be NULL. */
static inline int64_t rfx_campaign(struct rfx *f, int64_t account, const char *name, const char *nudges_json,
                                   const char *discount_json)
{
    struct campaign c;
    int64_t id = 0;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name);
    c.message_text = (char *)"Hi";
    c.nudges_json = (char *)nudges_json;
    c.discount_json = (char *)discount_json;
    assert_int_equal(f->st->campaign_create(f->st, account, &c, &id), DB_ONE);
    return id;
}

/* A campaign's stored status, copied into buf. */
static inline const char *rfx_status(struct rfx *f, int64_t account, int64_t id, char *buf, size_t cap)
{
    struct campaign c;
    assert_int_equal(f->st->campaign_get(f->st, account, id, &c), DB_ONE);
    snprintf(buf, cap, "%s", c.status);
    campaign_release(&c);
    return buf;
}

/* Pin when a recipient row was sent. */
static inline void rfx_sent_at(struct rfx *f, int64_t recipient, int64_t at)
{
    sqlite3_stmt *q = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(f->db, "UPDATE recipients SET sent_at = ?1 WHERE id = ?2", -1, &q, NULL),
        SQLITE_OK);
    sqlite3_bind_int64(q, 1, at);
    sqlite3_bind_int64(q, 2, recipient);
    assert_int_equal(sqlite3_step(q), SQLITE_DONE);
    assert_int_equal(sqlite3_changes(f->db), 1);
    sqlite3_finalize(q);
}

/* How one send ends (the engine's outcomes, as core/outcome.c recipient_finish writes them). */
enum rfx_outcome { RFX_SENT, RFX_FAILED, RFX_BLOCKED, RFX_DEACTIVATED };

/* Write how the send of a claimed row ended, as the engine does; a sent row gets Telegram
 * message id 10 * its id and is pinned at sent_at. */
static inline void rfx_finish(struct rfx *f, int64_t account, const struct recipient *r, enum rfx_outcome o,
                              int64_t sent_at)
{
    struct send_outcome so = {
        .recipient_id = r->id,
        .campaign_id = r->campaign_id,
        .contact_id = r->contact_id,
        .step = r->step,
        .attempt = 1,
        .status = o == RFX_SENT ? RECIPIENT_SENT : RECIPIENT_FAILED,
        .log_status = o == RFX_SENT ? "sent" : "failed",
        .error_code = o == RFX_SENT          ? NULL
                      : o == RFX_BLOCKED     ? "USER_IS_BLOCKED"
                      : o == RFX_DEACTIVATED ? "INPUT_USER_DEACTIVATED"
                                             : "USER_PRIVACY_RESTRICTED",
        .tg_message_id = o == RFX_SENT ? 10 * r->id : 0,
        .mark_contact = o == RFX_BLOCKED       ? 1
                        : o == RFX_DEACTIVATED ? 2
                                               : 0,
    };
    assert_int_equal(recipient_finish(f->st, account, &so), DB_ONE);
    if (o == RFX_SENT) rfx_sent_at(f, r->id, sent_at);
}

/* Send every due row of the account's running and nudging campaigns, as the engine would:
 * take it, claim it, write its outcome — outcome(contact) says which (NULL: all sent), sent
 * ones pinned at sent_at. For each row, rows[] (may be NULL) gets its recipient id at the
 * index of its contact in contacts[].
 * @return how many rows were handled */
static inline int rfx_send_due(struct rfx *f, int64_t account, int64_t sent_at, const int64_t *contacts,
                               size_t n, int64_t *rows, enum rfx_outcome (*outcome)(int64_t contact))
{
    struct recipient r;
    int handled = 0;
    while (f->st->recipient_next(f->st, account, now_ms() + DAY_MS, &r) == DB_ONE) {
        struct blob none = {0};
        assert_int_equal(f->st->recipient_claim(f->st, account, r.id, "rid", &none), DB_ONE);
        rfx_finish(f, account, &r, outcome ? outcome(r.contact_id) : RFX_SENT, sent_at);
        for (size_t i = 0; rows && i < n; i++)
            if (contacts[i] == r.contact_id) rows[i] = r.id;
        handled++;
    }
    return handled;
}

/* Run a draft campaign to its end: start it for contacts, send each one its message at sent_at
 * (rows[i] gets contact i's recipient id), and mark it completed so that the account can start
 * another. */
static inline void rfx_run(struct rfx *f, int64_t account, int64_t campaign, const int64_t *contacts,
                           size_t n, int64_t sent_at, int64_t *rows,
                           enum rfx_outcome (*outcome)(int64_t contact))
{
    int64_t running = 0;
    assert_int_equal(campaign_start(f->st, account, campaign, contacts, n, 0, &running), START_OK);
    assert_int_equal(rfx_send_due(f, account, sent_at, contacts, n, rows, outcome), (int)n);
    assert_int_equal(f->st->campaign_transition(f->st, account, campaign, "running", "completed", NULL),
                     DB_ONE);
}

/* An order from the webhook or a CSV line, by Telegram customer id (NULL: no customer). */
static inline struct order_result rfx_order(struct rfx *f, int64_t account, const char *order_id,
                                            int64_t amount, const char *status, const char *tg_user_id,
                                            int64_t created_at, const char *code, const char *ref)
{
    struct order_in in = {
        .order_id = order_id,
        .amount = amount,
        .currency = "EUR",
        .status = status,
        .created_at = created_at,
        .tg_user_id = tg_user_id,
        .discount_code = code,
        .ref = ref,
    };
    struct order_result res;
    orders_ingest(&f->app, account, &in, &res);
    return res;
}

#endif
