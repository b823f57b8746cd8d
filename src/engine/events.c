/* events — what the engine does with the bridge's events (docs/BRIDGE-PROTOCOL.md): a bridge
 * that is ready again gets its accounts' sessions started, an incoming message is stored (and
 * counts as a reply, or an opt-out), a read receipt marks messages read, a dead session pauses
 * the account's campaigns. Layer: engine; runs on the engine thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "cluster/cluster.h"
#include "core/classify.h"
#include "core/cstate.h"
#include "core/outcome.h"
#include "engine/engine_internal.h"
#include "store/store.h"
#include "tg/sync.h"

static int64_t event_account(json_t *ev)
{
    json_t *a = json_object_get(ev, "account");
    return json_is_integer(a) ? json_integer_value(a) : 0;
}

static void on_message(struct engine *e, int64_t account, json_t *ev)
{
    struct app *app = e->app;
    int64_t contact_id = 0;
    if (sync_import_event(app, account, ev, &contact_id) < 0 || !contact_id) {
        log_warn("engine", "account %lld: could not store an incoming message", (long long)account);
        return;
    }
    /* A reply counts for the campaign messages this contact got in the last week, and stops
     * its nudges. */
    int64_t n = 0;
    if (recipients_replied(app->store, account, contact_id, now_ms() - 7LL * 86400000, &n) < 0)
        log_warn("engine", "account %lld: a reply of contact %lld could not be counted (database)",
                 (long long)account, (long long)contact_id);
    const char *text = json_string_value(json_object_get(ev, "text"));
    if (text && app->lexicon && classify_is_stop(app->lexicon, text) &&
        contact_opt_out(app->store, account, contact_id) == DB_ONE)
        log_info("engine", "account %lld: contact %lld asked to stop; opted out of all campaigns",
                 (long long)account, (long long)contact_id);
}

static void on_read(struct engine *e, int64_t account, json_t *ev)
{
    struct store *st = e->app->store;
    json_t *peer = json_object_get(ev, "peer");
    json_t *max = json_object_get(ev, "max_id");
    char uid[24];
    if (json_is_string(peer))
        snprintf(uid, sizeof uid, "%s", json_string_value(peer));
    else if (json_is_integer(peer))
        snprintf(uid, sizeof uid, "%lld", (long long)json_integer_value(peer));
    else
        return;
    struct contact c;
    if (!json_is_integer(max) || st->contact_by_tg_id(st, account, uid, &c) != DB_ONE) return;
    if (recipients_read(st, account, c.id, json_integer_value(max)) < 0)
        log_warn("engine", "account %lld: a read receipt could not be counted (database)",
                 (long long)account);
    contact_release(&c);
}

void engine__handle_event(struct engine *e, json_t *ev)
{
    struct app *app = e->app;
    const char *kind = json_string_value(json_object_get(ev, "event"));
    int64_t account = event_account(ev);
    if (!kind) return;
    /* Replies and read receipts are counted on the rows sent before them: write the outcomes that
     * wait for a group commit first. A reply (maybe a stop, which spares the contact its pending
     * messages) or a dead session changes what may be sent: the account's claimed batch goes back
     * to pending before it is handled. */
    engine__flush(e);
    if (account > 0 && (strcmp(kind, "message") == 0 || strcmp(kind, "session_invalid") == 0))
        for (size_t i = 0; i < e->n_accts; i++)
            if (e->accts[i].account_id == account && e->accts[i].q_n) engine__batch_drop(e, &e->accts[i], 1);
    if (strcmp(kind, "ready") == 0) {
        /* A new bridge knows no clients: start the accounts this instance owns (all connected
         * ones without leases). Before the first lease round there are none: that round starts
         * what it takes. */
        if (cluster_leased(e->cluster)) {
            size_t n = 0;
            const int64_t *owned = cluster_owned(e->cluster, &n);
            for (size_t i = 0; i < n; i++)
                engine__run_job(e, owned[i], JOB_START);
        } else {
            int64_t *ids = NULL;
            size_t n = 0;
            if (app->store->sessions_connected(app->store, &ids, &n) >= 0) {
                for (size_t i = 0; i < n; i++)
                    engine__run_job(e, ids[i], JOB_START);
                free(ids);
            }
        }
    } else if (strcmp(kind, "message") == 0 && account > 0) {
        on_message(e, account, ev);
    } else if (strcmp(kind, "read") == 0 && account > 0) {
        on_read(e, account, ev);
    } else if (strcmp(kind, "session_invalid") == 0 && account > 0) {
        const char *code = json_string_value(json_object_get(ev, "code"));
        log_warn("engine", "account %lld: Telegram session is no longer valid (%s); reconnect needed",
                 (long long)account, code ? code : "?");
        engine__session_dead(app, account);
    }
}

void engine__session_dead(struct app *app, int64_t account)
{
    /* Each is retried by what comes next: a campaign left running meets the dead session at its
     * next send and comes here again. */
    if (app->store->session_set_status(app->store, account, "invalid") < 0 ||
        campaigns_pause_every(app->store, account, "session_invalid") < 0)
        log_error("engine", "account %lld: the dead session could not be recorded (database)",
                  (long long)account);
}
