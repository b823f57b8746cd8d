/* test_tgerror — the Telegram error registry (core/tgerror.h) and what reads it: every listed
 * code's class and contact mark, the engine's send outcome for it (send_classify), the login
 * flow's dead-session check (tgs_code_is_dead_session), wait codes with their seconds, unknown
 * codes, the name tables, and that the checked-in share/telegram-errors.json — what the bridge
 * and the web app read — is exactly what the C list generates.
 *
 * The expected table below is written out by hand on purpose: a change to a code's class is a
 * change of behaviour, and it must show here as well as in the registry. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "core/tgerror.h"
#include "engine/send.h"
#include "tg/session.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct expect {
    const char *code;
    enum tg_error_class cls;
    enum tg_contact_mark mark;
    enum send_kind kind;
    int personal; /* a refusal by this one person: not counted towards the error streak */
} expected[] = {
    /* The account waits N seconds, then goes on. */
    {"FLOOD_WAIT", TGE_FLOOD_WAIT, TGM_NONE, SEND_FLOOD_WAIT, 0},
    {"FLOOD_PREMIUM_WAIT", TGE_FLOOD_WAIT, TGM_NONE, SEND_FLOOD_WAIT, 0},
    {"FLOOD_TEST_PHONE_WAIT", TGE_FLOOD_WAIT, TGM_NONE, SEND_FLOOD_WAIT, 0},
    {"SLOWMODE_WAIT", TGE_FLOOD_WAIT, TGM_NONE, SEND_FLOOD_WAIT, 0},
    /* The campaign pauses. */
    {"PEER_FLOOD", TGE_PEER_FLOOD, TGM_NONE, SEND_PEER_FLOOD, 0},
    {"USER_RESTRICTED", TGE_PEER_FLOOD, TGM_NONE, SEND_PEER_FLOOD, 0},
    /* Every campaign of the account pauses; the session stays (issue 15). */
    {"FROZEN_METHOD_INVALID", TGE_ACCOUNT_FROZEN, TGM_NONE, SEND_FROZEN, 0},
    {"FROZEN_PARTICIPANT_MISSING", TGE_ACCOUNT_FROZEN, TGM_NONE, SEND_FROZEN, 0},
    /* The session is dead — AUTH_KEY_INVALID and AUTH_KEY_PERM_EMPTY were dead for the bridge
     * only, PHONE_NUMBER_BANNED for nobody (DECISIONS 54). */
    {"AUTH_KEY_UNREGISTERED", TGE_SESSION_DEAD, TGM_NONE, SEND_SESSION_DEAD, 0},
    {"AUTH_KEY_INVALID", TGE_SESSION_DEAD, TGM_NONE, SEND_SESSION_DEAD, 0},
    {"AUTH_KEY_PERM_EMPTY", TGE_SESSION_DEAD, TGM_NONE, SEND_SESSION_DEAD, 0},
    {"AUTH_KEY_DUPLICATED", TGE_SESSION_DEAD, TGM_NONE, SEND_SESSION_DEAD, 0},
    {"SESSION_REVOKED", TGE_SESSION_DEAD, TGM_NONE, SEND_SESSION_DEAD, 0},
    {"SESSION_EXPIRED", TGE_SESSION_DEAD, TGM_NONE, SEND_SESSION_DEAD, 0},
    {"USER_DEACTIVATED", TGE_SESSION_DEAD, TGM_NONE, SEND_SESSION_DEAD, 0},
    {"USER_DEACTIVATED_BAN", TGE_SESSION_DEAD, TGM_NONE, SEND_SESSION_DEAD, 0},
    {"PHONE_NUMBER_BANNED", TGE_SESSION_DEAD, TGM_NONE, SEND_SESSION_DEAD, 0},
    /* This recipient fails for good; blocked and deleted people are marked. */
    {"USER_IS_BLOCKED", TGE_RECIPIENT_PERMANENT, TGM_BLOCKED, SEND_PERMANENT, 1},
    {"YOU_BLOCKED_USER", TGE_RECIPIENT_PERMANENT, TGM_BLOCKED, SEND_PERMANENT, 1},
    {"INPUT_USER_DEACTIVATED", TGE_RECIPIENT_PERMANENT, TGM_DEACTIVATED, SEND_PERMANENT, 1},
    {"USER_PRIVACY_RESTRICTED", TGE_RECIPIENT_PERMANENT, TGM_PRIVACY, SEND_PERMANENT, 1},
    {"PRIVACY_PREMIUM_REQUIRED", TGE_RECIPIENT_PERMANENT, TGM_PRIVACY, SEND_PERMANENT, 1},
    {"CHAT_WRITE_FORBIDDEN", TGE_RECIPIENT_PERMANENT, TGM_PRIVACY, SEND_PERMANENT, 1},
    {"PEER_ID_INVALID", TGE_RECIPIENT_PERMANENT, TGM_NONE, SEND_PERMANENT, 1},
    /* The person is skipped, never paid for, and marked. */
    {"ALLOW_PAYMENT_REQUIRED", TGE_RECIPIENT_CHARGES, TGM_CHARGES, SEND_SKIP, 1},
    /* Refused for everyone: fails the row and counts towards the error streak. */
    {"MEDIA_INVALID", TGE_PERMANENT, TGM_NONE, SEND_PERMANENT, 0},
    {"ENTITY_BOUNDS_INVALID", TGE_PERMANENT, TGM_NONE, SEND_PERMANENT, 0},
    {"MESSAGE_TOO_LONG", TGE_PERMANENT, TGM_NONE, SEND_PERMANENT, 0},
    /* Retried with backoff. */
    {"TIMEOUT", TGE_TEMPORARY, TGM_NONE, SEND_TEMPORARY, 0},
    {"NETWORK", TGE_TEMPORARY, TGM_NONE, SEND_TEMPORARY, 0},
    {"INTERNAL", TGE_TEMPORARY, TGM_NONE, SEND_TEMPORARY, 0},
    {"NOT_STARTED", TGE_TEMPORARY, TGM_NONE, SEND_TEMPORARY, 0},
    {"RANDOM_ID_DUPLICATE", TGE_TEMPORARY, TGM_NONE, SEND_TEMPORARY, 0},
    {"RPC_CALL_FAIL", TGE_TEMPORARY, TGM_NONE, SEND_TEMPORARY, 0},
    {"RPC_MCGET_FAIL", TGE_TEMPORARY, TGM_NONE, SEND_TEMPORARY, 0},
    {"WORKER_BUSY_TOO_LONG_RETRY", TGE_TEMPORARY, TGM_NONE, SEND_TEMPORARY, 0},
    {"MSG_WAIT_FAILED", TGE_TEMPORARY, TGM_NONE, SEND_TEMPORARY, 0},
    {"MEDIA_UPLOAD_FAILED", TGE_TEMPORARY, TGM_NONE, SEND_TEMPORARY, 0},
    {"FILE_PART_INVALID", TGE_TEMPORARY, TGM_NONE, SEND_TEMPORARY, 0},
};

static void every_listed_code_has_its_class_mark_and_outcome(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(expected); i++) {
        const struct expect *x = &expected[i];
        const struct tg_error *t = tgerror_find(x->code, NULL);
        if (!t) fail_msg("%s is not in the registry", x->code);
        assert_string_equal(t->code, x->code);
        if (t->cls != x->cls || t->mark != x->mark)
            fail_msg("%s: class %s mark %s, expected %s %s", x->code, tgerror_class_name(t->cls),
                     tgerror_mark_name(t->mark), tgerror_class_name(x->cls), tgerror_mark_name(x->mark));
        assert_int_equal(tgerror_class(x->code, NULL), x->cls);
        struct send_class sc;
        enum send_kind k = send_classify(x->code, &sc);
        if (k != x->kind)
            fail_msg("%s: the engine does %s, expected %s", x->code, send_kind_name(k),
                     send_kind_name(x->kind));
        assert_int_equal(sc.mark, x->mark);
        assert_int_equal(sc.personal, x->personal);
        assert_int_equal(tgerror_is_personal(x->code), x->personal);
        assert_int_equal(tgerror_is_session_dead(x->code), x->cls == TGE_SESSION_DEAD);
        /* Every code has words for people: a label and a one-line explanation. */
        assert_string_equal(tgerror_explain(x->code), t->explain);
        assert_true(strlen(t->explain) >= 20 && strlen(t->explain) <= 160 && !strchr(t->explain, '\n'));
    }
}

static void the_registry_lists_exactly_the_expected_codes(void **state)
{
    (void)state;
    assert_int_equal(tgerror_count(), N(expected));
    assert_null(tgerror_at(tgerror_count()));
    for (size_t i = 0; i < tgerror_count(); i++) {
        const struct tg_error *t = tgerror_at(i);
        size_t found = 0;
        for (size_t j = 0; j < N(expected); j++)
            found += strcmp(expected[j].code, t->code) == 0;
        if (found != 1) fail_msg("%s is listed %zu times here, once in the registry", t->code, found);
        for (size_t j = 0; j < i; j++)
            if (strcmp(tgerror_at(j)->code, t->code) == 0) fail_msg("%s is in the registry twice", t->code);
        /* Telegram's spelling, and words fit for a label. */
        assert_int_equal(strspn(t->code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"), strlen(t->code));
        assert_true(t->words && t->words[0] && strlen(t->words) <= 60);
        /* Only a refusal by the recipient says something about the contact. */
        if (t->mark != TGM_NONE)
            assert_true(t->cls == TGE_RECIPIENT_PERMANENT || t->cls == TGE_RECIPIENT_CHARGES);
    }
}

/* The login flow and the inbox sync ask tgs_code_is_dead_session: the same answer as the engine,
 * AUTH_KEY_INVALID included (it failed one recipient after another before). */
static void the_session_check_agrees_with_the_engine(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(expected); i++) {
        struct send_class sc;
        int dead = send_classify(expected[i].code, &sc) == SEND_SESSION_DEAD;
        if (tgs_code_is_dead_session(expected[i].code) != dead)
            fail_msg("%s: the session check and the engine disagree", expected[i].code);
    }
    assert_true(tgs_code_is_dead_session("AUTH_KEY_INVALID"));
    assert_true(tgs_code_is_dead_session("AUTH_KEY_PERM_EMPTY"));
    assert_false(tgs_code_is_dead_session("USER_IS_BLOCKED"));
    assert_false(tgs_code_is_dead_session("SOMETHING_NEW"));
}

static void wait_codes_carry_their_seconds(void **state)
{
    (void)state;
    static const struct {
        const char *code, *base;
        int seconds;
    } waits[] = {
        {"FLOOD_WAIT_37", "FLOOD_WAIT", 37},
        {"SLOWMODE_WAIT_5", "SLOWMODE_WAIT", 5},
        {"FLOOD_PREMIUM_WAIT_120", "FLOOD_PREMIUM_WAIT", 120},
        {"FLOOD_TEST_PHONE_WAIT_1", "FLOOD_TEST_PHONE_WAIT", 1},
        {"FLOOD_WAIT_0", "FLOOD_WAIT", 0},
        {"FLOOD_WAIT_999999999", "FLOOD_WAIT", 999999999},
    };
    for (size_t i = 0; i < N(waits); i++) {
        int seconds = -1;
        const struct tg_error *t = tgerror_find(waits[i].code, &seconds);
        if (!t) fail_msg("%s not found", waits[i].code);
        assert_string_equal(t->code, waits[i].base);
        assert_int_equal(seconds, waits[i].seconds);
        seconds = -1;
        assert_int_equal(tgerror_class(waits[i].code, &seconds), TGE_FLOOD_WAIT);
        assert_int_equal(seconds, waits[i].seconds);
        struct send_class sc;
        assert_int_equal(send_classify(waits[i].code, &sc), SEND_FLOOD_WAIT);
        assert_int_equal(sc.mark, 0);
        assert_int_equal(sc.number, waits[i].seconds);
    }
    /* Without a suffix the seconds are the answer's own: left alone. */
    int seconds = 42;
    assert_int_equal(tgerror_class("FLOOD_WAIT", &seconds), TGE_FLOOD_WAIT);
    assert_int_equal(seconds, 42);
    /* A suffix is "_" and 1 to 9 digits after a listed code. */
    static const char *not_waits[] = {"FLOOD_WAIT_",   "FLOOD_WAIT_1234567890", "FLOOD_WAIT37",
                                      "FLOOD_WAIT_3a", "FLOOD_WAIT__3",         "_37",
                                      "FLOOD_WAIT_-5", "XFLOOD_WAIT_5",         "SOMETHING_NEW_5"};
    for (size_t i = 0; i < N(not_waits); i++) {
        seconds = 42;
        if (tgerror_find(not_waits[i], &seconds)) fail_msg("%s should be unknown", not_waits[i]);
        assert_int_equal(seconds, 42);
        assert_int_equal(tgerror_class(not_waits[i], &seconds), TG_ERROR_DEFAULT_CLASS);
    }
}

/* Paid messages arrive as ALLOW_PAYMENT_REQUIRED (406, older layers) or with the price in stars
 * appended (403): both skip the person and carry the price when there is one. */
static void paid_messages_carry_their_stars(void **state)
{
    (void)state;
    struct send_class sc;
    assert_int_equal(send_classify("ALLOW_PAYMENT_REQUIRED_50", &sc), SEND_SKIP);
    assert_int_equal(sc.mark, TGM_CHARGES);
    assert_int_equal(sc.number, 50);
    assert_true(sc.personal);
    assert_int_equal(send_classify("ALLOW_PAYMENT_REQUIRED", &sc), SEND_SKIP);
    assert_int_equal(sc.number, 0);
    /* Any listed code takes a number: it never changes the class. */
    assert_int_equal(send_classify("USER_IS_BLOCKED_3", &sc), SEND_PERMANENT);
    assert_int_equal(sc.mark, TGM_BLOCKED);
    assert_int_equal(send_classify("FROZEN_METHOD_INVALID_2", &sc), SEND_FROZEN);
}

/* A code the list does not name fails that recipient, marks nothing and — not being a refusal
 * by one person — counts towards the error streak (issue 15: a new Telegram error costs a few
 * people, never the audience). */
static void unknown_codes_get_the_default(void **state)
{
    (void)state;
    assert_int_equal(TG_ERROR_DEFAULT_CLASS, TGE_PERMANENT);
    static const char *unknown[] = {
        "SOMETHING_NEW", "",           "flood_wait", "user_is_blocked", "BAD_REQUEST", "USER_MIGRATE",
        "FLOOD_WAIT ",   " FLOOD_WAIT"};
    for (size_t i = 0; i < N(unknown); i++) {
        if (tgerror_find(unknown[i], NULL)) fail_msg("\"%s\" should be unknown", unknown[i]);
        assert_int_equal(tgerror_class(unknown[i], NULL), TG_ERROR_DEFAULT_CLASS);
        assert_false(tgerror_is_session_dead(unknown[i]));
        assert_false(tgerror_is_personal(unknown[i]));
        assert_null(tgerror_explain(unknown[i]));
        struct send_class sc;
        assert_int_equal(send_classify(unknown[i], &sc), SEND_PERMANENT);
        assert_int_equal(sc.mark, 0);
        assert_false(sc.personal);
    }
    assert_null(tgerror_find(NULL, NULL));
    assert_null(tgerror_explain(NULL));
    assert_int_equal(tgerror_class(NULL, NULL), TG_ERROR_DEFAULT_CLASS);
    /* tgr's own reasons are not Telegram's codes, but they have words for people, and they count
     * towards the streak (a broken template fails everyone alike). */
    static const char *own[] = {"retries_exhausted", "template_invalid", "nudge_removed", "no_discount_code",
                                "media_missing"};
    for (size_t i = 0; i < N(own); i++) {
        assert_null(tgerror_find(own[i], NULL));
        const char *why = tgerror_explain(own[i]);
        if (!why || strlen(why) < 20) fail_msg("%s has no explanation", own[i]);
        assert_false(tgerror_is_personal(own[i]));
    }
    struct send_class sc;
    assert_int_equal(send_classify(NULL, &sc), SEND_PERMANENT);
    assert_int_equal(sc.mark, 0);
}

static void names_round_trip(void **state)
{
    (void)state;
    static const char *cls[] = {"flood_wait",          "peer_flood",        "session_dead", "account_frozen",
                                "recipient_permanent", "recipient_charges", "permanent",    "temporary"};
    assert_int_equal(TGE__COUNT, N(cls));
    for (int c = 0; c < TGE__COUNT; c++)
        assert_string_equal(tgerror_class_name((enum tg_error_class)c), cls[c]);
    assert_string_equal(tgerror_class_name((enum tg_error_class)TGE__COUNT), "?");
    assert_int_equal(TGM__COUNT, 5);
    assert_string_equal(tgerror_mark_name(TGM_PRIVACY), "privacy_restricted");
    assert_string_equal(tgerror_mark_name(TGM_CHARGES), "charges_stars");
    assert_null(tgerror_mark_name(TGM_NONE));
    assert_string_equal(tgerror_mark_name(TGM_BLOCKED), "blocked");
    assert_string_equal(tgerror_mark_name(TGM_DEACTIVATED), "deactivated");
    assert_string_equal(tgerror_mark_name((enum tg_contact_mark)TGM__COUNT), "?");
    /* The marks are store.h's mark_contact values. */
    assert_int_equal(TGM_BLOCKED, 1);
    assert_int_equal(TGM_DEACTIVATED, 2);
    static const struct {
        enum send_kind k;
        const char *name;
    } kinds[] = {{SEND_OK, "sent"},
                 {SEND_FLOOD_WAIT, "flood_wait"},
                 {SEND_PEER_FLOOD, "peer_flood"},
                 {SEND_SESSION_DEAD, "session_dead"},
                 {SEND_FROZEN, "account_frozen"},
                 {SEND_SKIP, "skip"},
                 {SEND_PERMANENT, "permanent"},
                 {SEND_TEMPORARY, "temporary"}};
    for (size_t i = 0; i < N(kinds); i++)
        assert_string_equal(send_kind_name(kinds[i].k), kinds[i].name);
    assert_string_equal(send_kind_name((enum send_kind)N(kinds)), "?");
    assert_string_equal(send_kind_name((enum send_kind) - 1), "?");
}

/* What the bridge and the web app read is what the C list says, byte for byte. */
static void the_checked_in_json_is_what_the_list_generates(void **state)
{
    (void)state;
    char path[4096];
    source_path("share/telegram-errors.json", path, sizeof path);
    char *file = NULL;
    size_t len = 0;
    if (read_file(path, 1 << 20, &file, &len) != TGR_OK) fail_msg("cannot read %s", path);
    char *made = tgerror_registry_json();
    assert_non_null(made);
    if (strcmp(file, made) != 0) {
        free(file);
        free(made);
        fail_msg("%s differs from what src/core/tgerror.h generates: run `make telegram-errors` and "
                 "commit the file",
                 path);
    }
    /* And it says what the registry says, read back as a consumer reads it. */
    json_error_t je;
    json_t *doc = json_loads(made, 0, &je);
    if (!doc) fail_msg("generated JSON does not parse: %s (line %d)", je.text, je.line);
    assert_string_equal(json_string_value(json_object_get(doc, "default_class")),
                        tgerror_class_name(TG_ERROR_DEFAULT_CLASS));
    json_t *errors = json_object_get(doc, "errors");
    assert_int_equal(json_object_size(errors), tgerror_count());
    for (size_t i = 0; i < tgerror_count(); i++) {
        const struct tg_error *t = tgerror_at(i);
        json_t *e = json_object_get(errors, t->code);
        assert_non_null(e);
        assert_string_equal(json_string_value(json_object_get(e, "class")), tgerror_class_name(t->cls));
        json_t *mark = json_object_get(e, "mark");
        if (t->mark == TGM_NONE)
            assert_true(json_is_null(mark));
        else
            assert_string_equal(json_string_value(mark), tgerror_mark_name(t->mark));
        assert_string_equal(json_string_value(json_object_get(e, "words")), t->words);
        assert_string_equal(json_string_value(json_object_get(e, "explain")), t->explain);
    }
    for (int c = 0; c < TGE__COUNT; c++)
        assert_non_null(
            json_object_get(json_object_get(doc, "classes"), tgerror_class_name((enum tg_error_class)c)));
    json_decref(doc);
    free(file);
    free(made);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_listed_code_has_its_class_mark_and_outcome),
        cmocka_unit_test(the_registry_lists_exactly_the_expected_codes),
        cmocka_unit_test(the_session_check_agrees_with_the_engine),
        cmocka_unit_test(wait_codes_carry_their_seconds),
        cmocka_unit_test(paid_messages_carry_their_stars),
        cmocka_unit_test(unknown_codes_get_the_default),
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(the_checked_in_json_is_what_the_list_generates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
