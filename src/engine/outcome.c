/* outcome — what a send's answer does (DESIGN §4's table): the row is sent, retried with
 * backoff, failed with Telegram's reason, skipped (the person charges Stars), or held while the
 * account waits out a FloodWait; the campaign pauses on PEER_FLOOD and on an error streak (the
 * same code, not a refusal by one person, error_streak_limit times in a row), every campaign of
 * the account on a dead session or a frozen account. A row that could not even be prepared ends
 * here too. A write of the send path that fails for good pauses sending with reason
 * storage_error. Layer: engine; runs on the engine thread. What an error code means is send.c's
 * send_classify; this decides what the engine does about it. */
#include <stdio.h>
#include <string.h>

#include "base/app.h"
#include "base/counters.h"
#include "base/log.h"
#include "core/cstate.h"
#include "core/outcome.h"
#include "core/tgerror.h"
#include "base/util.h"
#include "engine/engine_internal.h"
#include "engine/send.h"
#include "store/store.h"

int64_t engine__interval_ms(const struct engine *e)
{
    double rate = e->app->cfg.send_rate > 0 ? e->app->cfg.send_rate : 1;
    return (int64_t)(1000.0 / rate + 0.5);
}

/* Counting from the answer rather than from the dispatch keeps the gap between two deliveries
 * at Telegram at least one interval, however long the first took to get there; from when the
 * answer came, not when the engine thread got to it (an answer may wait for the engine's next
 * wake-up, queue.c engine__push). */
void engine__send_answered(struct engine *e, struct acct *a, int64_t answered_at)
{
    a->in_flight = 0;
    int64_t interval = engine__interval_ms(e);
    int64_t at = answered_at + interval;
    if (at > a->next_send_at) a->next_send_at = at;
    /* The lag follows a slower answer at once and a faster one a quarter of the way, and is at
     * most a quarter of the interval: a message goes at most that much later than its pacing
     * allows (DECISIONS 98). */
    int64_t lag = answered_at - a->sent_at;
    if (lag < 0 || a->sent_at == 0) lag = 0;
    a->lag_ms = lag >= a->lag_ms ? lag : a->lag_ms - (a->lag_ms - lag + 3) / 4;
    if (a->lag_ms > interval / 4) a->lag_ms = interval / 4;
}

static int64_t backoff_ms(int attempt)
{
    int64_t ms = RETRY_BASE_MS;
    for (int i = 1; i < attempt && ms < RETRY_MAX_MS; i++)
        ms *= 2;
    return ms > RETRY_MAX_MS ? RETRY_MAX_MS : ms;
}

/* Write the storage_error pause of an account whose send path could not write. Until it is
 * written nothing is sent for the account (tick.c); once written, the campaigns are 'paused'
 * with reason storage_error and a person resumes them when the disk or database is fixed. The
 * pause is one small UPDATE, so it usually fits where the outcome (several rows) did not; when
 * even it fails it is tried again every STORAGE_RETRY_MS. */
int engine__storage_pause(struct engine *e, struct acct *a, int64_t account, int64_t now)
{
    struct store *st = e->app->store;
    if (campaigns_pause_every(st, account, "storage_error") < 0) {
        a->storage_retry_at = now + STORAGE_RETRY_MS;
        return 0;
    }
    a->storage_pending = 0;
    if (a->storage_campaign)
        (void)!st->log_add(/* the pause is written; its log line may be lost to the same failure */
                           st, account, a->storage_campaign, 0, 0, "paused", "storage_error",
                           "the database could not write (disk full or failing); the campaign is paused: "
                           "resume it "
                           "when storage is fixed");
    counter_add(CNT_STORAGE_PAUSES, 1);
    log_warn("engine", "account %lld: campaigns paused (storage_error)", (long long)account);
    return 1;
}

/* A write of the send path failed for good (DB_HARD: disk full, I/O error, a database that
 * refuses writes). Sending stops at once, in memory; a row whose outcome was lost stays
 * 'sending' with its random_id, so the send after the resume cannot deliver it twice. */
void engine__storage_failed(struct engine *e, struct acct *a, int64_t account, int64_t campaign_id,
                            const char *what)
{
    if (!a) return;
    if (!a->storage_pending)
        log_error("engine", "account %lld: storing %s failed; sending stops (storage_error)",
                  (long long)account, what);
    a->storage_pending = 1;
    a->storage_campaign = campaign_id;
    a->sending_held = 0; /* whatever failed may have left a row 'sending' */
    engine__storage_pause(e, a, account, now_ms());
}

/* The error streak after a recipient's final outcome: a failure whose code is not a refusal by
 * one person extends the run of its (campaign, code), anything else ends it. When the run
 * reaches the account's error_streak_limit the campaign pauses with reason error_streak and the
 * code, so a code tgr does not know (or a message Telegram refuses for everyone) costs that many
 * people, never the audience. */
static void streak(struct engine *e, struct acct *a, int64_t account, const struct send_outcome *o)
{
    if (!a) return;
    int counts = o->status == RECIPIENT_FAILED && o->error_code && !tgerror_is_personal(o->error_code);
    if (!counts) {
        a->streak_n = 0;
        return;
    }
    if (a->streak_n && a->streak_campaign == o->campaign_id && strcmp(a->streak_code, o->error_code) == 0) {
        a->streak_n++;
    } else {
        a->streak_n = 1;
        a->streak_campaign = o->campaign_id;
        snprintf(a->streak_code, sizeof a->streak_code, "%s", o->error_code);
    }
    if (a->streak_n < 2) return;
    struct store *st = e->app->store;
    struct account acc;
    int limit = st->account_get(st, account, &acc) == DB_ONE ? acc.error_streak_limit : 5;
    if (limit < 2) limit = 2;
    if (a->streak_n < limit) return;
    int n = a->streak_n;
    a->streak_n = 0;
    if (campaign_move(st, account, o->campaign_id, MOVE_PAUSE, "error_streak") < 0 ||
        st->campaign_set_pause_code(st, account, o->campaign_id, a->streak_code) < 0) {
        log_error("engine", "account %lld: campaign %lld could not be paused after %d failures (%s)",
                  (long long)account, (long long)o->campaign_id, n, a->streak_code);
        return;
    }
    char why[256];
    snprintf(why, sizeof why,
             "%d recipients in a row failed with %s; the campaign is paused so that no more are lost: "
             "check the message and the account, then resume",
             n, a->streak_code);
    (void)!st->log_add(/* the pause is written; its log line is a courtesy */
                       st, account, o->campaign_id, 0, 0, "paused", a->streak_code, why);
    log_warn("engine", "account %lld: campaign %lld paused (error_streak %s x%d)", (long long)account,
             (long long)o->campaign_id, a->streak_code, n);
}

void engine__flush_failed(struct engine *e, enum db_status r)
{
    /* The rows stay 'sending' with their random_ids: sent again, Telegram answers with the message
     * it has, and the outcome is written then. */
    for (size_t i = 0; i < e->n_done; i++) {
        struct acct *a = engine__acct(e, e->done[i].account_id);
        if (a) a->sending_held = 0;
        if (a && r == DB_HARD && !a->storage_pending)
            engine__storage_failed(e, a, e->done[i].account_id, e->done[i].o.campaign_id, "a send outcome");
    }
    e->n_done = 0;
}

void engine__flush(struct engine *e)
{
    if (e->n_done == 0) return;
    enum db_status r = outbox_commit(e->app->store, NULL, 0, e->done, e->n_done);
    if (r >= 0)
        e->n_done = 0;
    else if (r == DB_HARD || e->n_done == DONE_MAX)
        engine__flush_failed(e, r);
    else
        e->done_since = now_ms(); /* busy: tried again at the next commit */
}

/* recipient_finish (core/outcome.h), with a failure that retrying cannot fix turned into a
 * storage_error pause.
 * A plain 'sent' waits for the next group commit (DONE_FLUSH_MS at most); anything else is
 * written at once, after the outcomes waiting before it.
 * A transient failure (DB_SOFT) leaves the row as it was: it is looked at again on the next tick.
 * A final outcome (sent, failed, skipped) moves the error streak and the day's count. */
static void finish(struct engine *e, struct acct *a, int64_t account, const struct send_outcome *o)
{
    struct store *st = e->app->store;
    enum db_status s = DB_ONE;
    if (o->status == RECIPIENT_SENT && !o->mark_contact && !o->error_code) {
        if (e->n_done == DONE_MAX) engine__flush(e);
        if (e->n_done == 0) e->done_since = now_ms();
        struct outbox_done *d = &e->done[e->n_done++];
        d->account_id = account;
        d->o = *o;
        d->o.log_status = "sent";
        /* sent_at is the time it is written, as before: nudges are scheduled up to a watermark of
         * sent_at (core/progress.c), so rows must appear in sent_at order. */
        d->o.error_details = NULL;
    } else {
        engine__flush(e);
        s = recipient_finish(st, account, o);
    }
    if (s == DB_HARD) engine__storage_failed(e, a, account, o->campaign_id, "a send outcome");
    if (s < 0 && a) a->sending_held = 0; /* the row stays 'sending' */
    if (s < 0 || o->status == RECIPIENT_PENDING) return;
    if (o->status == RECIPIENT_FAILED)
        counter_add_by(FAM_MESSAGES_FAILED, o->error_code, 1);
    else
        counter_add(o->status == RECIPIENT_SENT ? CNT_MESSAGES_SENT : CNT_MESSAGES_SKIPPED, 1);
    streak(e, a, account, o);
    if (a && o->status == RECIPIENT_SENT) a->daily.sent++;
}

void engine__handle_result(struct engine *e, struct item *it)
{
    struct app *app = e->app;
    struct store *st = app->store;
    int64_t account = it->account_id;
    struct acct *a = engine__acct(e, account);
    if (a) engine__send_answered(e, a, it->answered_at);
    const struct recipient *r = &it->rec;
    struct send_outcome o = {.recipient_id = r->id,
                             .campaign_id = r->campaign_id,
                             .contact_id = r->contact_id,
                             .step = r->step,
                             .attempt = r->attempt + 1};
    int64_t now = now_ms();
    char details[256] = "";
    if (it->ev) {
        json_t *mid = json_object_get(it->ev, "message_id");
        o.status = RECIPIENT_SENT;
        o.log_status = "sent";
        o.tg_message_id = json_is_integer(mid) ? json_integer_value(mid) : 0;
        finish(e, a, account, &o);
        /* A send that goes through: the account is not (or no longer) frozen. */
        if (a && a->frozen != 0 && st->session_set_frozen(st, account, 0) >= 0) a->frozen = 0;
        return;
    }
    /* The account's claimed batch goes back to pending before anything else: whatever this error
     * does (a wait, a pause, a streak), the rest is decided again at the next turn. */
    if (a && a->q_n) engine__batch_drop(e, a, 1);
    struct send_class sc;
    enum send_kind k = send_classify(it->err.code, &sc);
    o.error_code = it->err.code;
    snprintf(details, sizeof details, "%s", it->err.message);
    o.error_details = details;
    switch (k) {
    case SEND_OK:
        break;
    case SEND_FLOOD_WAIT: {
        int64_t wait = (int64_t)(it->err.seconds > 0 ? it->err.seconds : 30) * 1000;
        counter_add(CNT_FLOOD_WAITS, 1);
        counter_add(CNT_FLOOD_WAIT_SECONDS, (uint64_t)(wait / 1000));
        if (a) {
            char key[48], v[32];
            a->flood_until = now + wait + FLOOD_MARGIN_MS;
            snprintf(key, sizeof key, "flood_until:%lld", (long long)account);
            snprintf(v, sizeof v, "%lld", (long long)a->flood_until);
            /* Kept in memory either way; the database copy only survives a restart. */
            if (st->meta_set(st, key, v) < 0)
                log_warn("engine", "account %lld: FloodWait not stored; a restart would forget it",
                         (long long)account);
        }
        o.status = RECIPIENT_PENDING;
        o.log_status = "flood_wait";
        o.next_attempt_at = now + wait + FLOOD_MARGIN_MS;
        snprintf(details, sizeof details, "Telegram asked to wait %d s; sending resumes by itself",
                 it->err.seconds);
        finish(e, a, account, &o);
        log_warn("engine", "account %lld: FLOOD_WAIT %d s", (long long)account, it->err.seconds);
        break;
    }
    case SEND_PEER_FLOOD:
        counter_add(CNT_PEER_FLOOD_PAUSES, 1);
        o.status = RECIPIENT_PENDING;
        o.log_status = "paused";
        snprintf(details, sizeof details,
                 "Telegram limits this account (PEER_FLOOD); the campaign is paused");
        /* Pause first: a crash between the two leaves a paused campaign with its row 'sending'
         * (re-sent with the same random_id after the resume), never a campaign that goes on. */
        if (campaign_move(st, account, r->campaign_id, MOVE_PAUSE, "peer_flood") < 0)
            log_error("engine",
                      "account %lld: campaign %lld could not be paused; the next send meets PEER_FLOOD again",
                      (long long)account, (long long)r->campaign_id);
        finish(e, a, account, &o);
        log_warn("engine", "account %lld: PEER_FLOOD; campaign %lld paused", (long long)account,
                 (long long)r->campaign_id);
        break;
    case SEND_SESSION_DEAD:
        counter_add(CNT_SESSION_INVALID_PAUSES, 1);
        o.status = RECIPIENT_PENDING;
        o.log_status = "paused";
        snprintf(details, sizeof details, "the Telegram session is no longer valid (%s); reconnect",
                 it->err.code);
        engine__session_dead(e->app, account); /* pause first, as for PEER_FLOOD */
        finish(e, a, account, &o);
        log_warn("engine", "account %lld: session dead (%s); campaigns paused", (long long)account,
                 it->err.code);
        break;
    case SEND_FROZEN:
        /* The account is read-only until an appeal succeeds: nothing it sends can arrive, so every
         * campaign pauses, the row goes back to pending, and the session is kept (the inbox still
         * syncs). Pause first, as for PEER_FLOOD. */
        counter_add(CNT_FROZEN_PAUSES, 1);
        o.status = RECIPIENT_PENDING;
        o.log_status = "paused";
        snprintf(details, sizeof details,
                 "Telegram froze this account (%s); appeal through @SpamBot in the Telegram app, then resume",
                 it->err.code);
        if (campaigns_pause_every(st, account, "account_frozen") < 0)
            log_error("engine", "account %lld: campaigns could not be paused (account frozen)",
                      (long long)account);
        if (st->session_set_frozen(st, account, now) < 0)
            log_error("engine", "account %lld: the frozen mark could not be stored", (long long)account);
        else if (a)
            a->frozen = 1;
        finish(e, a, account, &o);
        log_warn("engine", "account %lld: frozen by Telegram (%s); campaigns paused", (long long)account,
                 it->err.code);
        break;
    case SEND_SKIP:
        /* The person charges Stars for messages: tgr never pays. */
        o.status = RECIPIENT_SKIPPED;
        o.log_status = "skipped";
        o.mark_contact = sc.mark;
        o.mark_stars = sc.number;
        if (sc.number)
            snprintf(details, sizeof details, "this person charges %d Stars per message; tgr never pays",
                     sc.number);
        else
            snprintf(details, sizeof details, "this person charges Stars for messages; tgr never pays");
        finish(e, a, account, &o);
        break;
    case SEND_PERMANENT:
        o.status = RECIPIENT_FAILED;
        o.log_status = "failed";
        o.mark_contact = sc.mark;
        finish(e, a, account, &o);
        break;
    case SEND_TEMPORARY:
        if (o.attempt >= MAX_ATTEMPTS) {
            o.status = RECIPIENT_FAILED;
            o.log_status = "failed";
            o.error_code = "retries_exhausted";
            snprintf(details, sizeof details, "gave up after %d attempts; last error %s", o.attempt,
                     it->err.code);
        } else {
            o.status = RECIPIENT_PENDING;
            o.log_status = "retry";
            o.next_attempt_at = now + backoff_ms(o.attempt);
        }
        finish(e, a, account, &o);
        if (strcmp(it->err.code, "NOT_STARTED") == 0) engine__run_job(e, account, JOB_START);
        break;
    }
}

int64_t engine__prepare_failed(struct engine *e, struct acct *a, const struct recipient *r, int rc,
                               const char *code, char *why, size_t whycap, int64_t now)
{
    struct store *st = e->app->store;
    int64_t account = a->account_id;
    if (rc == SEND_PREPARE_STORAGE) {
        engine__storage_failed(e, a, account, r->campaign_id, "a send claim");
        return a->storage_pending ? a->storage_retry_at : now;
    }
    if (rc == SEND_PREPARE_RETRY) {
        /* The media store is down: retry with backoff; when retries run out the campaign pauses
         * (the row stays pending) rather than sending without the file or failing everyone. */
        struct send_outcome o = {.recipient_id = r->id,
                                 .campaign_id = r->campaign_id,
                                 .contact_id = r->contact_id,
                                 .step = r->step,
                                 .attempt = r->attempt + 1,
                                 .status = RECIPIENT_PENDING,
                                 .log_status = "retry",
                                 .error_code = code,
                                 .error_details = why,
                                 .next_attempt_at = now + backoff_ms(r->attempt + 1)};
        if (o.attempt >= MAX_ATTEMPTS) {
            o.attempt = 0;
            o.log_status = "paused";
            o.next_attempt_at = now;
            snprintf(why, whycap,
                     "the media store is unavailable; the campaign is paused: resume when it is back");
        }
        finish(e, a, account, &o);
        if (o.attempt == 0 && !a->storage_pending) {
            if (campaign_move(st, account, r->campaign_id, MOVE_PAUSE, "media_unavailable") < 0)
                log_error("engine", "account %lld: campaign %lld could not be paused", (long long)account,
                          (long long)r->campaign_id);
            log_warn("engine", "account %lld: media store unavailable; campaign %lld paused",
                     (long long)account, (long long)r->campaign_id);
        }
        return now;
    }
    /* Permanent for this row (contact gone, template broken, pool empty…), or the person opted
     * out while it was claimed: skipped, as their pending rows were (DECISIONS 104). */
    int skip = rc == SEND_PREPARE_SKIP;
    struct send_outcome o = {.recipient_id = r->id,
                             .campaign_id = r->campaign_id,
                             .contact_id = r->contact_id,
                             .step = r->step,
                             .attempt = r->attempt,
                             .status = skip ? RECIPIENT_SKIPPED : RECIPIENT_FAILED,
                             .log_status = skip ? "skipped" : "failed",
                             .error_code = code,
                             .error_details = why};
    finish(e, a, account, &o);
    return now;
}
