/* demo — what `tgr serve --demo` and the simulator add to a start (README "Set-up"): the demo
 * account and its login, connecting it to the simulated Telegram with the demo shop's orders,
 * and the simulator's login shown in the web app. The example campaign and the thread that runs
 * the demo's start are demo_campaign.c's. Layer: main (it uses tg and engine). */
#include "demo.h"

#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/app.h"
#include "base/config.h"
#include "base/log.h"
#include "base/util.h"
#include "core/account.h"
#include "core/orders.h"
#include "engine/engine.h"
#include "store/store.h"
#include "tg/bridge.h"
#include "tg/session.h"
#include "tg/sync.h"

#define DEMO_EMAIL "demo@tgr.local"

/* First start with --demo: create the demo account and keep its password beside the database
 * (DATA/demo-login.txt, mode 0600) so later starts can print the same login. */
void demo_setup(struct app *app)
{
    char path[CONFIG_PATH_MAX + 32], email[STORE_EMAIL_MAX + 1], pw[64];
    snprintf(path, sizeof path, "%s/demo-login.txt", app->cfg.data_dir);
    struct store *st = app->store;
    if (st->meta_get(st, "demo_account_email", email, sizeof email) == DB_ONE) {
        FILE *f = fopen(path, "r");
        if (f && fscanf(f, "%254s %63s", email, pw) == 2)
            printf("demo login: %s / %s\n", email, pw);
        else
            printf("demo account %s exists, but %s is gone; create another with 'tgr account create'\n",
                   email, path);
        if (f) fclose(f);
        return;
    }
    unsigned char raw[12];
    randombytes_buf(raw, sizeof raw);
    base64url_encode(raw, sizeof raw, pw);
    char key[ACCOUNT_API_KEY_LEN + 1], err[256];
    int64_t id;
    if (account_create(st, app->kr, DEMO_EMAIL, pw, key, &id, err, sizeof err) != DB_ONE) {
        log_warn("demo", "cannot create the demo account: %s", err);
        return;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
        dprintf(fd, "%s %s\n", DEMO_EMAIL, pw);
        close(fd);
    }
    if (st->meta_set(st, "demo_account_email", DEMO_EMAIL) < 0)
        log_warn("demo", "could not remember the demo account; the next start will say it exists");
    printf("created the demo account (this happens once)\ndemo login: %s / %s\n", DEMO_EMAIL, pw);
}

/* Free a scenario read with json_load_file and give its memory back to the system. A scenario of
 * 100,000 users is 45 MB of JSON and 300 MB of jansson values; freed, glibc kept the pages, so the
 * server stayed at that size for good (bench/sync.py measured 321 MB before its sync). */
static void scenario_free(json_t *sc)
{
    json_decref(sc);
    malloc_trim(0);
}

int demo_scenario_is_ours(const struct config *c)
{
    size_t sl = strlen(c->sim_scenario);
    return sl >= 19 && strcmp(c->sim_scenario + sl - 19, "scenarios/demo.json") == 0;
}

/* The demo runs on the simulator: connect the demo account to it (as a user would, with the
 * scenario's login code), read its inbox, and import the demo shop's orders once, so that a
 * first `make run` shows contacts, categories and orders without any set-up. */
int64_t demo_connect(struct app *app)
{
    struct store *st = app->store;
    struct account a;
    if (st->account_by_email(st, DEMO_EMAIL, &a) != DB_ONE) return 0;
    char path[CONFIG_PATH_MAX + 32];
    source_path(app->cfg.sim_scenario, path, sizeof path);
    json_error_t je;
    json_t *sc = json_load_file(path, 0, &je);
    json_t *login = json_object_get(sc, "login");
    const char *code = json_string_value(json_object_get(login, "code"));
    const char *password = json_string_value(json_object_get(login, "password"));
    struct tg_session s;
    int connected = 0;
    if (st->session_get(st, a.id, &s) == DB_ONE) {
        connected = strcmp(s.status, "connected") == 0;
        tg_session_release(&s);
    }
    if (!connected && code) {
        struct tgs_result res;
        tgs_connect(app, a.id, "+15550000000", &res);
        if (res.outcome == TGS_OK) tgs_verify(app, a.id, code, password, &res);
        if (res.outcome == TGS_OK) {
            /* The inbox now, not in the background: the example campaign needs its contacts. */
            struct sync_counts counts;
            struct bridge_error err;
            if (sync_account(app, a.id, &counts, &err) != TGR_OK) engine_request_sync(app->engine, a.id);
            log_info("demo", "the demo account is connected to the simulated Telegram");
        } else
            log_warn("demo", "could not connect the demo account to the simulator (%s)", res.code);
    }
    scenario_free(sc);
    char done[8];
    /* The demo orders belong to the demo scenario's customers only. */
    if (!demo_scenario_is_ours(&app->cfg) ||
        st->meta_get(st, "demo_orders_imported", done, sizeof done) == DB_ONE)
        return a.id;
    source_path("scenarios/demo-orders.csv", path, sizeof path);
    FILE *in = fopen(path, "rb");
    if (!in) return a.id;
    struct import_result ir;
    if (orders_import_csv(app, a.id, in, 0, NULL, NULL, &ir) == TGR_OK) {
        log_info("demo", "imported %ld demo orders", ir.imported);
        if (st->meta_set(st, "demo_orders_imported", "1") < 0)
            log_warn("demo", "could not remember the demo import; the next start imports the orders again");
    }
    import_result_release(&ir);
    fclose(in);
    return a.id;
}

/* With the simulator, say how to log in to it: the code comes from the scenario. */
void demo_telegram_hint(const struct config *c)
{
    if (strcmp(c->telegram, "sim") != 0) return;
    char path[CONFIG_PATH_MAX + 32];
    source_path(c->sim_scenario, path, sizeof path);
    json_error_t je;
    json_t *sc = json_load_file(path, 0, &je);
    const char *code = json_string_value(json_object_get(json_object_get(sc, "login"), "code"));
    if (code)
        printf("simulated Telegram: the demo account is connected; to connect another account use any phone "
               "number and the login code %s\n",
               code);
    scenario_free(sc);
}

/* The simulated Telegram's login (scenario "login" and "me.phone"; the bridge checks the file
 * itself, this only shows the demo login in the web app). */
void demo_read_sim_login(struct app *app)
{
    char path[1100];
    source_path(app->cfg.sim_scenario, path, sizeof path);
    json_error_t je;
    json_t *sc = json_load_file(path, 0, &je);
    json_t *login = json_object_get(sc, "login");
    json_t *code = json_object_get(login, "code"), *pw = json_object_get(login, "password");
    json_t *phone = json_object_get(json_object_get(sc, "me"), "phone");
    snprintf(app->sim_code, sizeof app->sim_code, "%s",
             json_is_string(code) ? json_string_value(code) : "12345");
    if (json_is_string(phone))
        snprintf(app->sim_phone, sizeof app->sim_phone, "%s", json_string_value(phone));
    app->sim_two_step = json_is_string(pw);
    scenario_free(sc);
}
