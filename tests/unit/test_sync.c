/* test_sync — the inbox import (tg/sync.c sync_import_dialog and sync_import_event) in-process on
 * SQLite: what a live message does to a contact that exists. Telegram's short updates (and a
 * sender the bridge could not look up) carry no profile; such a message must not clear the
 * customer's names, while a real change of name is kept. */
#include "rules_fixture.h"

#include <jansson.h>

#include "core/sealed.h"
#include "tg/sync.h"

static void names_of(struct rfx *f, const char *tg, char *first, char *last, char *user)
{
    struct contact c;
    struct contact_plain p;
    assert_int_equal(f->st->contact_by_tg_id(f->st, f->a, tg, &c), DB_ONE);
    assert_int_equal(contact_open(&f->app, f->a, &c, &p), TGR_OK);
    snprintf(first, 64, "%s", p.first_name ? p.first_name : "(null)");
    snprintf(last, 64, "%s", p.last_name ? p.last_name : "(null)");
    snprintf(user, 64, "%s", p.username ? p.username : "(null)");
    contact_plain_release(&p);
    contact_release(&c);
}

static enum db_status event(struct rfx *f, json_t *from, int64_t message_id)
{
    json_t *ev = json_pack("{s:s, s:I, s:o, s:I, s:s, s:I}", "event", "message", "account", (json_int_t)f->a,
                           "from", from, "message_id", (json_int_t)message_id, "text", "hello again", "date",
                           (json_int_t)1780000000);
    int64_t id = 0;
    enum db_status r = sync_import_event(&f->app, f->a, ev, &id);
    json_decref(ev);
    return r;
}

static void a_message_without_a_profile_keeps_the_names(void **state)
{
    struct rfx *f = *state;
    char first[64], last[64], user[64];
    assert_true(event(f,
                      json_pack("{s:s, s:s, s:s, s:s, s:s}", "user_id", "4242", "access_hash", "77",
                                "first_name", "Anna", "last_name", "Berg", "username", "annab"),
                      1) >= 0);
    names_of(f, "4242", first, last, user);
    assert_string_equal(first, "Anna");
    /* A short update: the sender's id only, names null. */
    assert_true(
        event(f, json_pack("{s:s, s:n, s:n, s:n}", "user_id", "4242", "first_name", "last_name", "username"),
              2) >= 0);
    names_of(f, "4242", first, last, user);
    assert_string_equal(first, "Anna");
    assert_string_equal(last, "Berg");
    assert_string_equal(user, "annab");
    /* A real change (a new last name, no username any more) is kept. */
    assert_true(event(f,
                      json_pack("{s:s, s:s, s:s, s:n}", "user_id", "4242", "first_name", "Anna", "last_name",
                                "Lind", "username"),
                      3) >= 0);
    names_of(f, "4242", first, last, user);
    assert_string_equal(last, "Lind");
    assert_string_equal(user, "(null)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_message_without_a_profile_keeps_the_names, rfx_setup, rfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
