/* tick — the send loop: lease rounds, and each account's turn. Layer: engine; engine thread.
 *
 * An account may send when this instance owns it (cluster_owns), no send of it is out at the
 * bridge, its FloodWait and pacing interval have passed, its client is not being started and no
 * storage_error pause is waiting to be written. Its next message is then handed to the bridge;
 * the answer comes back as IT_RESULT (outcome.c). Direct messages (direct.c) go first, on any
 * instance that has one.
 *
 * Group commit (DECISIONS 77). Messages are claimed in batches: an account whose batch is used up
 * reads its next due rows — as many as it sends in CLAIM_AHEAD_MS at its rate —, checks them
 * against quiet hours and the daily limit (quiet.c) and prepares each (send.c, sharing one read of
 * the campaign and one write per tracked URL). The batches of every account prepared in one tick
 * are then claimed in one durable transaction, together with the outcomes of sent messages that
 * waited for it (outcome.c): one fsync for them all. Only after that commit does any of their
 * messages go to the bridge, one per pacing interval as before. A crash at any point leaves each
 * row pending (never claimed: sent later as new) or 'sending' with its random_id (claimed: sent
 * again first after the restart, and Telegram delivers a random_id once), so nothing is lost or
 * doubled. A batch that must not go on — the campaign changed (a wake-up), a reply came in, a send
 * met an error — goes back to pending (engine__batch_drop) before anything else is decided. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/counters.h"
#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "cluster/cluster.h"
#include "core/cstate.h"
#include "core/outcome.h"
#include "engine/engine_internal.h"
#include "engine/send.h"
#include "store/store.h"
#include "tg/bridge.h"

/* An account just taken over waits one send interval and re-reads its FloodWait, as the
 * instance that sent for it before may have left either. Only the owner runs the account's
 * Telegram client: it is started here (a login on this instance may have started it already; a
 * second start is harmless), and the clients of accounts another instance took are stopped. */
void engine__claim(struct engine *e, int64_t now)
{
    struct store *st = e->app->store;
    struct cluster_round round;
    if (cluster_claim(e->cluster, now, &round) != TGR_OK) return;
    /* An account handed over leaves its outcomes written before its new owner's first round. */
    if (round.n_lost) engine__flush(e);
    for (size_t i = 0; i < round.n_taken; i++) {
        int64_t id = round.taken[i];
        struct acct *a = engine__acct(e, id);
        if (!a) continue;
        int64_t at = now + engine__interval_ms(e);
        if (a->next_send_at < at) a->next_send_at = at;
        a->sending_held = 0; /* the instance before may have left rows 'sending' */
        char key[48], v[32];
        int64_t until;
        snprintf(key, sizeof key, "flood_until:%lld", (long long)id);
        if (st->meta_get(st, key, v, sizeof v) == DB_ONE && parse_i64(v, 0, INT64_MAX, &until) == TGR_OK &&
            until > a->flood_until)
            a->flood_until = until;
        counter_add(CNT_LEASES_TAKEN, 1);
        log_info("engine", "instance %s now sends for account %lld", cluster_instance(e->cluster),
                 (long long)id);
        if (cluster_leased(e->cluster)) {
            a->starting = 1; /* its sends wait for the start (IT_STARTED), not for NOT_STARTED retries */
            engine__run_job(e, id, JOB_START);
        }
    }
    counter_add(CNT_LEASES_LOST, round.n_lost);
    for (size_t i = 0; i < round.n_lost; i++)
        engine__run_job(e, round.lost[i], JOB_STOP);
    cluster_round_release(&round);
}

/* Bridge I/O thread: hand the answer to the engine thread. */
static void on_send_done(void *arg, json_t *result, const struct bridge_error *err)
{
    struct item *it = arg;
    histogram_observe(HIST_SEND, 0, mono_us() - it->claimed_us);
    it->answered_at = now_ms();
    if (result)
        it->ev = json_incref(result);
    else
        it->err = *err;
    struct engine *e = (struct engine *)it->next; /* the engine rode along in next */
    it->next = NULL;
    engine__push(e, it);
}

/* How many messages the account claims at once: those of CLAIM_AHEAD_MS at the send rate. */
static int batch_size(const struct engine *e)
{
    int64_t n = CLAIM_AHEAD_MS / engine__interval_ms(e);
    return n < 1 ? 1 : n > CLAIM_BATCH_MAX ? CLAIM_BATCH_MAX : (int)n;
}

void engine__memo_free(struct acct *a)
{
    if (!a->memo) return;
    send_memo_release(a->memo);
    free(a->memo);
    a->memo = NULL;
}

void engine__batch_drop(struct engine *e, struct acct *a, int unclaim)
{
    struct store *st = e->app->store;
    int claimed = a->q_claimed;
    if (claimed && !unclaim && a->q_i < a->q_n) a->sending_held = 0; /* left 'sending' */
    for (int i = a->q_i; i < a->q_n; i++) {
        struct queued *q = &a->q[i];
        /* Never handed to the bridge, so back to pending is safe; if this fails the row stays
         * 'sending' and is sent again first, with the same random_id. */
        if (unclaim && claimed && st->recipient_unclaim(st, a->account_id, q->rec.id) < 0) {
            a->sending_held = 0;
            log_warn("engine",
                     "account %lld: a claimed message could not go back to pending; it is sent next",
                     (long long)a->account_id);
        }
        free(q->req);
        q->req = NULL;
        blob_release(&q->code);
    }
    a->q_i = a->q_n = 0;
    a->q_claimed = 0;
}

/* When the account's claimed batch may send its next message: its pace, and the end of the quiet
 * hours its first message waited for. */
static int64_t batch_send_at(const struct acct *a)
{
    return a->next_send_at > a->quiet_until ? a->next_send_at : a->quiet_until;
}

/* When the account next has something to do: send its next claimed message, or read and claim
 * its next batch CLAIM_LEAD_MS before that one may go (DECISIONS 89), QUIET_LEAD_MS when quiet
 * hours ending hold it (DECISIONS 102). */
static int64_t next_act_at(const struct acct *a)
{
    if (a->q_n) return batch_send_at(a);
    return a->quiet_until > a->next_send_at ? a->quiet_until - QUIET_LEAD_MS
                                            : a->next_send_at - CLAIM_LEAD_MS;
}

/* The next look at an account whose send is out: next_act_at with the answer's usual lag, which
 * an answer coming by then waits for (queue.c) — the next act counts from the answer, so a look
 * at next_act_at alone would find it not yet due and need a second wake-up a few ms later
 * (DECISIONS 98) — or after an idle tick (the answer wakes the engine then). */
static int64_t in_flight_look(const struct acct *a, int64_t now)
{
    int64_t at = next_act_at(a) + a->lag_ms;
    return at > now ? at : now + IDLE_TICK_MS;
}

/* Hand the account's next claimed message to the bridge. @return when the account next needs a look */
static int64_t send_next(struct engine *e, struct acct *a)
{
    struct queued *q = &a->q[a->q_i];
    if (e->crash_at && a->q_i + 1 == e->crash_at) {
        log_warn("engine", "TEST MODE: ending before message %d of a claimed batch", e->crash_at);
        _exit(86);
    }
    struct item *it = engine__item_new(IT_RESULT, a->account_id);
    if (!it) return now_ms() + IDLE_TICK_MS; /* it stays first in the batch */
    a->q_i++;
    it->rec = q->rec;
    it->claimed_us = q->claimed_us;
    it->next = (struct item *)e; /* carried to on_send_done */
    /* The answer may wait for the engine's wake-up if that comes within this of it; set before
     * the call, whose answer the bridge's I/O thread may push at once. */
    it->slack_ms = engine__interval_ms(e) - (a->q_i < a->q_n ? 0 : CLAIM_LEAD_MS) + a->lag_ms;
    a->in_flight = 1;
    a->sent_at = now_ms();
    a->next_send_at = a->sent_at + engine__interval_ms(e);
    bridge_call_text(e->bridge, "send", q->req, q->req_len, SEND_TIMEOUT_MS, on_send_done, it);
    free(q->req);
    q->req = NULL;
    if (a->q_i == a->q_n) a->q_i = a->q_n = a->q_claimed = 0;
    return in_flight_look(a, now_ms());
}

/* Whether the account's turn now is to send its next claimed message (turn() would): nothing
 * else of it waits, and its pace and FloodWait allow it. */
static int send_due(const struct acct *a, int64_t now)
{
    return a->q_n && a->q_claimed && !a->in_flight && !a->direct && !a->starting && !a->storage_pending &&
           now >= a->flood_until && now >= batch_send_at(a);
}

/* The account's batch waits for the tick's commit. @return 0 when out of memory */
static int refill_add(struct engine *e, int64_t account)
{
    if (e->n_refill == e->cap_refill) {
        size_t cap = e->cap_refill ? e->cap_refill * 2 : 16;
        int64_t *p = realloc(e->refill, cap * sizeof *p);
        if (!p) return 0;
        e->refill = p;
        e->cap_refill = cap;
    }
    e->refill[e->n_refill++] = account;
    return 1;
}

/* How many of the account's sent messages wait for the next group commit to write their
 * outcomes (e->done): their rows are still 'sending' in the database. */
static size_t waiting_outcomes(const struct engine *e, int64_t account)
{
    size_t n = 0;
    for (size_t i = 0; i < e->n_done; i++)
        n += e->done[i].account_id == account;
    return n;
}

static int outcome_waits(const struct engine *e, int64_t account, int64_t recipient_id)
{
    for (size_t i = 0; i < e->n_done; i++)
        if (e->done[i].account_id == account && e->done[i].o.recipient_id == recipient_id) return 1;
    return 0;
}

/* Leave out of rows[0..*n) the messages sent whose outcomes wait for the next commit, keeping at
 * most want. The read returns 'sending' rows first (a crash's leftovers), and those are 'sending'
 * too: read as many more and skipped here, or a batch came back as the messages just sent,
 * prepared and claimed for nothing (the commit writes the outcomes first, so their claims fail),
 * and every batch cost two reads, two renders and two commits (DECISIONS 86).
 * The contacts are swapped, not copied, so that each is released once (batch_prepare).
 * @return DB_ONE, or DB_NONE when none is left */
static enum db_status leave_out_waiting(const struct engine *e, int64_t account, struct recipient *rows,
                                        struct contact *addr, size_t *n, size_t want)
{
    size_t k = 0;
    for (size_t i = 0; i < *n && k < want; i++) {
        if (outcome_waits(e, account, rows[i].id)) continue;
        if (k != i) {
            rows[k] = rows[i];
            struct contact t = addr[k];
            addr[k] = addr[i];
            addr[i] = t;
        }
        k++;
    }
    *n = k;
    return k ? DB_ONE : DB_NONE;
}

/* Whether a read of rows[0..n) (of at most cap, 'sending' rows first) saw every 'sending' row of
 * the account, each one whose outcome waits in e->done. */
static int sending_all_held(const struct engine *e, int64_t account, const struct recipient *rows, size_t n,
                            size_t cap)
{
    int seen_all = n < cap || (n && strcmp(rows[n - 1].status, "pending") == 0);
    for (size_t i = 0; seen_all && i < n; i++)
        if (strcmp(rows[i].status, "sending") == 0 && !outcome_waits(e, account, rows[i].id)) return 0;
    return seen_all;
}

/* Read and prepare the account's next batch (not yet claimed: the tick's commit does that), the
 * rows read with their contacts' addresses into rows and addr. when (>= now) is when its first
 * message may go: what is due, the daily limit and quiet hours are judged for then.
 * @return when the account next needs a look (now: after the commit) */
static int64_t prepare_rows(struct engine *e, struct acct *a, int64_t now, int64_t when,
                            struct recipient *rows, struct contact *addr)
{
    struct app *app = e->app;
    struct store *st = app->store;
    int64_t account = a->account_id;
    /* The 'sending' rows are read too unless the engine holds them all (sending_held); and once
     * more when the pending ones run out after batches read without them, so that a row left
     * 'sending' by a path that should have cleared sending_held still goes before the campaign's
     * end, not at the next wake-up. */
    int held = a->sending_held;
    size_t n = 0, want = (size_t)batch_size(e), cap = want + (held ? 0 : waiting_outcomes(e, account));
    enum db_status s = st->recipients_next(st, account, when, held, rows, addr, cap, &n);
    if (held && s == DB_NONE && a->held_reads) {
        held = 0;
        cap = want + waiting_outcomes(e, account);
        s = st->recipients_next(st, account, when, 0, rows, addr, cap, &n);
    }
    if (held && s == DB_ONE) a->held_reads++;
    if (s >= 0 && !held) {
        a->sending_held = sending_all_held(e, account, rows, n, cap);
        a->held_reads = 0;
    }
    if (s == DB_ONE && cap > want) s = leave_out_waiting(e, account, rows, addr, &n, want);
    a->sending = s == DB_ONE;
    if (s != DB_ONE) {
        engine__memo_free(a); /* nothing due: the campaign is read afresh when something is */
        int64_t at = 0;
        if (s < 0 || st->recipient_next_at(st, account, &at) < 0) at = 0; /* look again after an idle tick */
        return at > now ? (at < now + IDLE_TICK_MS ? at : now + IDLE_TICK_MS) : now + IDLE_TICK_MS;
    }
    /* Follow-ups going out of a campaign still 'running': its main pass may just have ended, and
     * a sending account looks at phases only every ADVANCE_BUSY_MS or so — look now, so that the move
     * to nudging is seen within a message or two, as when every message was a look. */
    const struct send_memo *mm = a->memo;
    if (rows[0].step > 0 && mm && mm->have && mm->c.id == rows[0].campaign_id &&
        mm->c.updated_at == rows[0].campaign_version &&
        strcmp(mm->c.status, campaign_status_name(CAMPAIGN_RUNNING)) == 0) {
        a->advanced_at = 0;
        engine__advance(e, a, account, now);
    }
    /* The daily limit, looked at again every DAILY_CHECK_MS: a raised limit or the clock
     * passing midnight lets sending go on. A batch never holds more than the day has left. */
    int64_t until = engine__daily_wait(e, a, account, rows[0].campaign_id, when);
    if (until) return until < now + DAILY_CHECK_MS ? until : now + DAILY_CHECK_MS;
    if (a->daily.limit > 0 && (int64_t)n > a->daily.limit - a->daily.sent)
        n = (size_t)(a->daily.limit - a->daily.sent);
    if (!a->memo) {
        a->memo = malloc(sizeof *a->memo);
        if (!a->memo) return now + IDLE_TICK_MS;
        send_memo_init(a->memo);
    }
    struct send_memo *m = a->memo;
    int64_t next = now;
    for (size_t i = 0; i < n; i++) {
        const struct recipient *r = &rows[i];
        const struct campaign *c;
        int64_t resume = 0;
        enum db_status cs = send_memo_campaign(app, m, account, r, &c);
        if (cs >= 0 &&
            engine__quiet_now(e, a, account, cs == DB_ONE ? c : NULL, r->campaign_id, when, &resume)) {
            if (a->q_n == 0) {
                /* Nothing goes: the account is not busy, so its look at phases runs again (a
                 * campaign resumed in its quiet hours with its first messages out moves to
                 * nudging), and a look skipped while the pacing interval ran is made when it
                 * ends, not a minute later (DECISIONS 87). */
                a->sending = 0;
                next = resume < now + QUIET_LOOK_MS ? resume : now + QUIET_LOOK_MS;
                if (a->next_send_at > now && a->next_send_at < next) next = a->next_send_at;
                /* Quiet hours ending before the next look: the batch is read and claimed
                 * QUIET_LEAD_MS before they end and its first message goes when they do. */
                if (next == resume && resume > when) {
                    a->quiet_until = resume;
                    next = resume - QUIET_LEAD_MS > now ? resume - QUIET_LEAD_MS : now;
                }
            }
            break; /* the rows before it go; this campaign waits */
        }
        struct send_prepared p;
        char code[64], why[256];
        int64_t claimed_us = mono_us();
        int rc = send_prepare(app, m, account, r, &addr[i], &p, code, sizeof code, why, sizeof why);
        if (rc == -2) {
            if (a->q_n == 0) next = now + IDLE_TICK_MS; /* database trouble (a read): look again shortly */
            break;
        }
        if (rc != TGR_OK) {
            int64_t at = engine__prepare_failed(e, a, r, rc, code, why, sizeof why, now);
            if (a->storage_pending) {
                engine__batch_drop(e, a, 0);
                next = at;
                break;
            }
            continue;
        }
        if (r->step == 0) engine__nudge_note(a, r->campaign_id, m->nudges, when);
        struct queued *q = &a->q[a->q_n++];
        q->rec = *r;
        snprintf(q->rec.random_id, sizeof q->rec.random_id, "%s", p.random_id);
        q->req = p.req;
        q->req_len = p.req_len;
        q->claimed_us = claimed_us;
        p.req = NULL;
        q->code = p.code; /* stored with the claim */
        p.code = (struct blob){0};
        send_prepared_release(&p);
    }
    if (a->q_n > 0 && !refill_add(e, account)) engine__batch_drop(e, a, 0);
    return next;
}

static int64_t batch_prepare(struct engine *e, struct acct *a, int64_t now, int64_t when)
{
    struct recipient rows[CLAIM_BATCH_MAX + DONE_MAX];
    struct contact addr[CLAIM_BATCH_MAX + DONE_MAX];
    memset(addr, 0, sizeof addr);
    int64_t at = prepare_rows(e, a, now, when, rows, addr);
    for (size_t i = 0; i < sizeof addr / sizeof addr[0]; i++)
        contact_release(&addr[i]);
    return at;
}

/* One look at the account (engine__tick_accounts without the commit). */
static int64_t turn(struct engine *e, int64_t account, int64_t now)
{
    struct acct *a = engine__acct(e, account);
    if (!a) return now + IDLE_TICK_MS;
    int own = cluster_owns(e->cluster, account, now);
    if (!own && a->q_n) engine__batch_drop(e, a, 0); /* the new owner sends them, random_ids and all */
    /* A claimed message due now goes before the look at phases, which costs a few statements and
     * waits for the account's next turn (its answer): when quiet hours end, every account's first
     * message is due at once, and their looks first made the last of a thousand go 430 ms late
     * (DECISIONS 102). */
    if (own && send_due(a, now)) return send_next(e, a);
    if (own && !a->storage_pending) engine__advance(e, a, account, now);
    if (a->in_flight) return in_flight_look(a, now);
    if (now < a->flood_until) return a->flood_until;
    /* An empty queue's next batch is read and claimed CLAIM_LEAD_MS (QUIET_LEAD_MS when quiet hours
     * ending hold it) before its first message may go, so that its round trips and its share of
     * the tick's commit pass while the pacing interval runs (DECISIONS 89, 102); a claimed
     * message still waits for batch_send_at. */
    int64_t ready = a->direct ? a->next_send_at : next_act_at(a);
    if (now < ready) return ready;
    if (a->direct) {
        engine__direct_send(e, a);
        return a->next_send_at;
    }
    if (!own || a->starting)
        return now + IDLE_TICK_MS; /* another instance sends for it, or its client is starting */
    if (a->storage_pending) {
        if (a->q_n) engine__batch_drop(e, a, 0);
        if (now < a->storage_retry_at || !engine__storage_pause(e, a, account, now))
            return a->storage_retry_at; /* no campaign sends until the storage_error pause is written */
    }
    if (a->q_n && a->q_claimed) return send_next(e, a);
    if (a->q_n) return now; /* prepared in this tick: waiting for its commit */
    return batch_prepare(e, a, now, batch_send_at(a) > now ? batch_send_at(a) : now);
}

/* turn(), remembering when the account next needs one (engine__tick skips it until then). */
static int64_t look(struct engine *e, int64_t account, int64_t now)
{
    int64_t at = turn(e, account, now);
    struct acct *a = engine__acct(e, account);
    if (a) a->look_at = at;
    return at;
}

/* The tick's group commit: every batch prepared in it claimed in one durable transaction, with
 * the outcomes waiting for a commit; then each account sends the first message of its batch.
 * @return the earliest next look of those accounts (INT64_MAX: none) */
static int64_t commit(struct engine *e)
{
    int64_t next = INT64_MAX;
    if (e->n_refill == 0) return next;
    struct outbox_claim claims[CLAIM_BATCH_MAX * 8];
    size_t done = 0;
    while (done < e->n_refill) {
        /* As many accounts as the claims array holds go into one commit. */
        size_t n = 0, first = done;
        for (; done < e->n_refill; done++) {
            struct acct *a = engine__acct(e, e->refill[done]);
            if (!a) continue;
            if (n + (size_t)a->q_n > sizeof claims / sizeof claims[0]) break;
            for (int i = 0; i < a->q_n; i++)
                claims[n++] = (struct outbox_claim){a->account_id, a->q[i].rec.id, a->q[i].rec.random_id,
                                                    a->q[i].code.p ? &a->q[i].code : NULL, DB_NONE};
        }
        enum db_status r = outbox_commit(e->app->store, claims, n, e->done, e->n_done);
        if (r >= 0) {
            e->n_done = 0;
        } else {
            engine__flush_failed(e, r);
        }
        n = 0;
        for (size_t k = first; k < done; k++) {
            struct acct *a = engine__acct(e, e->refill[k]);
            if (!a) continue;
            int kept = 0;
            int64_t campaign = a->q_n ? a->q[0].rec.campaign_id : 0;
            for (int i = 0; i < a->q_n; i++, n++) {
                blob_release(&a->q[i].code);
                if (r >= 0 && claims[n].claimed == DB_ONE) {
                    a->q[kept++] = a->q[i];
                } else {
                    if (r >= 0) counter_add(CNT_CLAIMS_MISSED, 1);
                    free(a->q[i].req); /* not claimed (moved on, or the commit failed): never sent */
                    a->q[i].req = NULL;
                }
            }
            a->q_i = 0;
            a->q_n = kept;
            a->q_claimed = kept > 0;
            if (r == DB_HARD) engine__storage_failed(e, a, a->account_id, campaign, "a send claim");
            /* A direct message may have gone out in this tick since the batch was prepared: the
             * batch then waits its turn (claimed) like any other. */
            int64_t now = now_ms(), at;
            if (!kept)
                at = now + (r < 0 ? IDLE_TICK_MS : 0);
            else if (a->in_flight)
                at = in_flight_look(a, now);
            else if (now < batch_send_at(a))
                at = batch_send_at(a);
            else
                at = send_next(e, a);
            a->look_at = at;
            if (at < next) next = at;
        }
    }
    e->n_refill = 0;
    return next;
}

int64_t engine__tick_accounts(struct engine *e, const int64_t *accounts, size_t n)
{
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        int64_t at = look(e, accounts[i], now_ms());
        if (at < next) next = at;
    }
    int64_t at = commit(e);
    return at < next ? at : next;
}

int64_t engine__tick(struct engine *e)
{
    int64_t now = now_ms(), next = now + IDLE_TICK_MS;
    if (cluster_claim_due(e->cluster, now)) engine__claim(e, now);
    if (e->n_jobs_waiting) {
        engine__jobs_retry(e);
        if (e->n_jobs_waiting) next = now + JOB_RETRY_MS;
    }
    int64_t claim = cluster_next_claim(e->cluster);
    if (claim < next) next = claim > now ? claim : now + 50;
    size_t n = 0;
    const int64_t *owned = cluster_owned(e->cluster, &n);
    /* An account is looked at when the time its last turn gave has come; whatever changes that
     * time sooner (an answer, a wake-up, a start, a direct message) gives it a turn of its own
     * (engine.c). Turning every account on every tick cost each idle account two statements a
     * tick, and ticks come every few ms with a thousand accounts sending (DECISIONS 78).
     * The messages due go first; no other look (reads, a campaign's end: a few statements each)
     * starts once TICK_LOOKS_MS have passed, the rest waiting for the next tick, so that a message never
     * waits behind hundreds of them: when a thousand campaigns ended together, a 300 ms run of looks held the
     * last messages of the others (DECISIONS 102). */
    for (size_t i = 0; i < n; i++) {
        struct acct *a = engine__acct(e, owned[i]);
        if (a && a->look_at <= now && send_due(a, now)) look(e, owned[i], now); /* turn() checks the lease */
    }
    int64_t until = mono_ms() + TICK_LOOKS_MS;
    size_t from = n ? e->looks_from % n : 0, left = n; /* the next tick starts where this one stopped */
    for (size_t k = 0; k < n; k++) {
        size_t i = (from + k) % n;
        struct acct *a = engine__acct(e, owned[i]);
        int64_t at;
        if (a && a->look_at > now) {
            at = a->look_at;
        } else if (mono_ms() >= until) {
            at = now; /* the next tick, after this one's commit and the work waiting */
            if (left == n) left = i;
        } else {
            at = look(e, owned[i], now);
        }
        if (at < next) next = at;
    }
    e->looks_from = left == n ? 0 : left;
    /* Accounts with no campaign running may still have a direct message waiting. */
    for (size_t i = 0; i < e->n_accts; i++) {
        if (!e->accts[i].direct) continue;
        int64_t at = look(e, e->accts[i].account_id, now);
        if (at < next) next = at;
    }
    int64_t at = commit(e);
    if (at < next) next = at;
    /* Outcomes wait for the next commit at most DONE_FLUSH_MS. */
    if (e->n_done) {
        if (now - e->done_since >= DONE_FLUSH_MS)
            engine__flush(e);
        else if (e->done_since + DONE_FLUSH_MS < next)
            next = e->done_since + DONE_FLUSH_MS;
    }
    return next;
}
