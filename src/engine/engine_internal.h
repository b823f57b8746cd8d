/* engine_internal — what the engine's files share; the public contract is engine.h and nothing
 * outside src/engine/ includes this. Layer: engine (above tg and cluster, below http).
 *
 * The files, one job each:
 *   engine.c    the thread: its loop over the work queue and the timers, start, stop, free
 *   queue.c     the work queue (items posted by any thread) and the per-account state
 *   jobs.c      work that waits on Telegram, run on the tg worker pool (sync, start, stop)
 *   events.c    the bridge's events: ready, incoming messages, read receipts, dead sessions
 *   direct.c    messages outside campaigns, waited for by a worker thread
 *   tick.c      the send loop: lease rounds, one account's turn, its next batch of due messages
 *               claimed with every other account's of the tick in one group commit
 *   outcome.c   what a send's answer (or a failed preparation) does to the row and the account
 *   progress.c  nudges due and a campaign's phase changes (running → nudging → completed)
 *   quiet.c     quiet hours and the daily limit
 *   schedule.c  a thread of its own that starts scheduled campaigns at their time (issue 16)
 * Functions named engine__* are shared between these files; everything else is static.
 * Unless said otherwise, all of it runs on the engine thread. */
#ifndef TGR_ENGINE_INTERNAL_H
#define TGR_ENGINE_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bridge_error.h"
#include "core/daily.h"
#include "core/outcome.h"
#include "store/store.h"

struct app;
struct send_memo;
struct bridge;
struct cluster;
struct direct;

enum item_kind { IT_EVENT, IT_SYNC, IT_START, IT_RESULT, IT_WAKE, IT_DIRECT, IT_DIRECT_DONE, IT_STARTED };

/* One piece of work for the engine thread. An item handed to the bridge (IT_RESULT, a direct
 * message) carries the engine in next until its answer comes back. */
struct item {
    enum item_kind kind;
    int64_t account_id;
    json_t *ev; /* IT_EVENT: the event; IT_RESULT: the result or NULL; IT_DIRECT: the request */
    struct bridge_error err;
    struct recipient rec;  /* IT_RESULT */
    int64_t claimed_us;    /* IT_RESULT: mono µs before its claim (HIST_SEND) */
    int64_t answered_at;   /* IT_RESULT, IT_DIRECT_DONE: when the bridge's answer came (unix ms) */
    int64_t slack_ms;      /* IT_RESULT: how long after it the engine must next act for the account (its
                            * interval, or that less CLAIM_LEAD_MS when its batch is used up, plus its
                            * lag_ms); an answer the engine's wake-up comes within that of waits for it
                            * (queue.c) */
    struct direct *direct; /* IT_DIRECT */
    struct item *next;
};

#define FLOOD_MARGIN_MS 500
/* Group commit (DECISIONS 77): an account claims the messages of about CLAIM_AHEAD_MS of its
 * sending at once (rate × CLAIM_AHEAD_MS / 1000, 1 to CLAIM_BATCH_MAX), and the outcomes of sent
 * messages wait for the next commit, DONE_FLUSH_MS at most (longer than a batch lasts, so that
 * while an account sends, its batches' commits carry them). */
#define CLAIM_AHEAD_MS   1000
#define CLAIM_BATCH_MAX  32
#define DONE_MAX         64
#define DONE_FLUSH_MS    1500
#define RETRY_BASE_MS    2000
#define RETRY_MAX_MS     60000
#define MAX_ATTEMPTS     6
#define SEND_TIMEOUT_MS  10000 /* a retry reuses the random_id, so giving up early is safe */
#define IDLE_TICK_MS     1000
#define STORAGE_RETRY_MS 2000 /* how often a pause that could not be written is tried again */
#define ADVANCE_EVERY_MS 500
#define ADVANCE_BUSY_MS  5000 /* the same while the account is sending, plus its share (progress.c) */
#define JOB_RETRY_MS     100  /* how often jobs that found the queue full are queued again */
/* An account whose claimed batch is used up reads and claims the next this long before its next
 * message may go, its pacing interval ending (quiet hours ending: QUIET_LEAD_MS) (DECISIONS 89):
 * at 1/s a batch is one message, and waiting for the interval to pass before the read and the
 * commit added their time to every message's interval. 500 ms left a thousand accounts sending
 * together half a second for a thousand reads and their commits, more than the engine needed on
 * PostgreSQL; 800 ms gives it most of the interval (DECISIONS 102). */
#define CLAIM_LEAD_MS 800
/* After how long one tick starts no more looks at accounts with no message due, letting due
 * messages go (tick.c). */
#define TICK_LOOKS_MS 20
/* Quiet hours end for every account of a timezone at one instant (the morning's campaigns, the
 * scale-out bench's gate), and the first batch of each costs a few reads more than the next (its
 * campaign, media and steps): read and claimed CLAIM_LEAD_MS ahead, a thousand accounts' first
 * messages left up to 440 ms late. This far ahead the batches are claimed by the time the hours
 * end and all go at once (DECISIONS 102). */
#define QUIET_LEAD_MS 5000
/* An account whose queue waits for quiet hours looks again at least this often. */
#define QUIET_LOOK_MS  60000
#define DAILY_CHECK_MS 5000 /* how often the daily limit and today's count are read again */

/* Whether an item must be handled before the engine sends anything: a wake-up (a paused
 * campaign's claimed batch goes back to pending), an event (a STOP spares the contact its
 * message), a direct message (it goes first). Answers of sends and the like need not: a tick
 * runs between two takes of the queue only while none of these waits (engine.c). */
static inline int must_precede(enum item_kind k)
{
    return k == IT_WAKE || k == IT_EVENT || k == IT_DIRECT;
}

/* A message claimed (durably 'sending' with its random_id) and not yet handed to the bridge. */
struct queued {
    struct recipient rec;
    char *req; /* the bridge request's text (owned; send.h struct send_prepared) */
    size_t req_len;
    struct blob code;   /* its sealed discount code until the claim stores it (empty: none) */
    int64_t claimed_us; /* mono µs before its preparation (HIST_SEND) */
};

/* What the engine knows about one Telegram account between ticks. */
struct acct {
    int64_t account_id;
    int in_flight;        /* a send is out at the bridge */
    int64_t next_send_at; /* pacing: the earliest next send (unix ms) */
    int64_t sent_at;      /* when the send out at the bridge left (unix ms) */
    /* How long its answers take (unix ms; the longest lately, decaying): the engine's look after a
     * send comes this much after its pacing would allow if the answer came at once, so that an
     * answer coming before then waits for that one wake-up (outcome.c, DECISIONS 98). */
    int64_t lag_ms;
    int64_t quiet_until;  /* the next batch's first message waits for quiet hours ending then */
    int64_t flood_until;  /* FloodWait: nothing before this */
    int64_t quiet_logged; /* campaign whose quiet-hours pause was logged last */
    int64_t advanced_at;  /* last look at nudges and phase changes */
    int64_t nudges_for;   /* campaign whose first follow-up's due time was noted (progress.c) */
    int64_t nudge_due_at; /* then: its first follow-up comes due; a look is made then (0: none) */
    int64_t look_at;      /* when the account next needs a look (tick.c) */
    int sending;          /* its last look found due messages (tick.c); progress.c counts it busy */
    /* Every 'sending' row of the account is one this engine holds — claimed in q, out at the
     * bridge, or its outcome waiting in e->done — so its next batch reads pending rows only
     * (tick.c, DECISIONS 95). Set by a batch read that found no other; cleared by anything that
     * may leave one behind: a batch dropped still claimed, outcomes that could not be written, a
     * takeover, a wake-up. */
    int sending_held;
    int held_reads;         /* batches read without the 'sending' rows since the last read with them */
    struct send_memo *memo; /* while it sends: its campaign, read again when edited (engine/send.h) */
    struct item *direct;    /* direct messages waiting for their turn */
    int starting;           /* taken over from another instance: its client is being started here */
    /* Jobs that could not be queued (the Telegram pool's queue was full), as bits 1 << JOB_SYNC
     * and 1 << JOB_STOP: queued again on the next ticks (jobs.c). A stop must run: a shed lease
     * is freed only once the client here has stopped (DECISIONS 76, 83); a sync must too, or
     * a login's contacts never arrive. */
    unsigned jobs_waiting;
    /* A write of the send path failed (storage_failed): nothing is sent for the account until
     * the storage_error pause has been written; tried again at storage_retry_at. */
    int storage_pending;
    int64_t storage_retry_at;
    int64_t storage_campaign; /* the campaign whose row failed, for its log line */
    /* The error streak (outcome.c): failures in a row of one campaign with one code that is not
     * a refusal by one person. */
    int64_t streak_campaign;
    int streak_n;
    char streak_code[64];
    int frozen; /* -1 not known, 0 not frozen, 1 Telegram froze the account (FROZEN_*) */
    /* The daily limit (core/daily.h), read again every DAILY_CHECK_MS and at the day's end;
     * counted up by each message sent in between. */
    int64_t daily_checked_at, daily_logged; /* daily_logged: the day_start whose wait was logged */
    struct daily daily;
    /* The account's batch (tick.c): q[q_i..q_n) wait for their turn, claimed when q_claimed, else
     * prepared in this tick and waiting for its group commit. */
    struct queued q[CLAIM_BATCH_MAX];
    int q_i, q_n, q_claimed;
};

struct engine {
    struct app *app;
    struct bridge *bridge;
    struct cluster *cluster; /* leases and commands from other instances (cluster/cluster.h) */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct item *head, *tail; /* the work queue, under mu */
    size_t n_first;           /* under mu: items queued that must precede any send (must_precede) */
    int stopping;
    int64_t sleeps_until; /* under mu: when the engine thread's wait ends (0: not waiting) */
    struct acct *accts;   /* the engine thread's own */
    size_t n_accts, cap_accts;
    size_t *acct_index; /* accts by account id (queue.c) */
    size_t cap_index;
    /* schedule.c's thread: it sleeps on sched_cv (under sched_mu) until the next start_at, at
     * most SCHEDULE_LOOK_MS, or until poked (a wake-up here or from another instance). */
    pthread_t sched_thread;
    pthread_mutex_t sched_mu;
    pthread_cond_t sched_cv;
    int sched_running, sched_stopping, sched_poked;
    /* Outcomes of sent messages waiting for the next group commit (outcome.c), at most DONE_MAX,
     * the oldest since done_since. */
    struct outbox_done done[DONE_MAX];
    size_t looks_from; /* where in the owned accounts the tick's looks start (tick.c) */
    size_t n_done;
    int64_t done_since;
    /* Tests only (TGR_TEST_CRASH_AT=batch:K with TGR_TEST_MODE=1): the process ends before the
     * K-th message of a claimed batch goes to the bridge, so a test can restart it with claims
     * made and outcomes unwritten (tests/http/test_sending.py's BatchCrashTest). 0: never. */
    int crash_at;
    /* Accounts whose batch was prepared in this tick and waits for its group commit (tick.c). */
    int64_t *refill;
    size_t n_refill, cap_refill;
    size_t n_jobs_waiting; /* accounts with jobs_waiting */
};

/* ---- queue.c (any thread) ---- */
/* Queue an item (taking it); while stopping it is dropped (a direct message answered NETWORK).
 * A sync, start or wake already waiting for the same account covers a new one. */
void engine__push(struct engine *e, struct item *it);
/* Under mu: take up to max items off the head of the queue, linked through next (NULL: none);
 * *first_waits says whether an item that must precede any send (must_precede) is still queued. */
struct item *engine__take(struct engine *e, size_t max, int *first_waits);
/* An account id's bits mixed (Fibonacci hashing): the account index's slot, a spread by account. */
static inline uint64_t engine__mix(int64_t account_id)
{
    return ((uint64_t)account_id * 0x9E3779B97F4A7C15ull) >> 32;
}
/* A zeroed item, or NULL (logged) when out of memory. */
struct item *engine__item_new(enum item_kind kind, int64_t account_id);
/* Queue a new item with ev (taken). */
void engine__post(struct engine *e, enum item_kind kind, int64_t account_id, json_t *ev);
/* The account's state, made on first use (with its stored FloodWait); NULL when out of memory. */
struct acct *engine__acct(struct engine *e, int64_t account_id);

/* ---- jobs.c ---- */
enum engine_job { JOB_SYNC, JOB_START, JOB_STOP };
/* Run a job for the account on the tg worker pool. A start that cannot be queued still ends in
 * IT_STARTED, so a taken-over account never waits for it; a sync or stop that cannot be queued
 * waits in jobs_waiting (a client left running would meet its taker's: AUTH_KEY_DUPLICATED); a
 * start calls off a waiting stop (the account was taken back). Engine thread. */
void engine__run_job(struct engine *e, int64_t account_id, enum engine_job job);
/* Queue the jobs that could not be queued before (jobs_waiting), as far as the pool takes them. */
void engine__jobs_retry(struct engine *e);

/* ---- events.c ---- */
void engine__handle_event(struct engine *e, json_t *ev);

/* ---- direct.c ---- */
/* Give a direct message (IT_DIRECT, taken) to its account's queue.
 * @return 1 if queued (look at the account now), 0 if answered and freed (out of memory) */
int engine__direct_enqueue(struct engine *e, struct item *it);
/* Send the account's next direct message now (the account is free and paced). */
void engine__direct_send(struct engine *e, struct acct *a);
/* Answer every direct message still waiting, in an account's list or in the queue the stopped
 * thread left (engine_stop, after the join; again in engine_free, which finds none). */
void engine__direct_drop_all(struct engine *e);
/* Answer the worker waiting for a direct message (exactly once), dropping its reference. */
void engine__direct_finish(struct direct *d, json_t *result, const struct bridge_error *err);

/* ---- tick.c ---- */
/* One lease round (cluster_claim) and what it changed: clients started and stopped. */
void engine__claim(struct engine *e, int64_t now);
/* Look at accounts[0..n) now, their batches in one commit. @return when the next of them needs a
 * look (unix ms) */
int64_t engine__tick_accounts(struct engine *e, const int64_t *accounts, size_t n);
/* Look at every account that may need it. @return when the next look is due (unix ms) */
int64_t engine__tick(struct engine *e);

/* Drop the account's batch: its claimed messages not yet handed to the bridge go back to
 * pending when unclaim (nothing of theirs reached Telegram), else stay 'sending' (another instance
 * now sends for the account and resends them with their random_ids; or storage failed). */
void engine__batch_drop(struct engine *e, struct acct *a, int unclaim);
/* Free the account's campaign memo (a->memo; NULL after). */
void engine__memo_free(struct acct *a);

/* ---- outcome.c ---- */
/* The pacing interval of an account (DESIGN §4: at most --send-rate messages a second). */
int64_t engine__interval_ms(const struct engine *e);
/* A send was answered at answered_at (unix ms): the next may leave one interval after it; the
 * account's lag_ms learns how long the answer took. */
void engine__send_answered(struct engine *e, struct acct *a, int64_t answered_at);
/* Write the outcomes waiting for a group commit now (before anything that reads them: an event, a
 * lease round, stopping). */
void engine__flush(struct engine *e);
/* The waiting outcomes' group commit has failed with r: they are dropped (their rows stay
 * 'sending', resent with their random_ids) and, on DB_HARD, sending stops (storage_error). */
void engine__flush_failed(struct engine *e, enum db_status r);
/* What a send's answer does (IT_RESULT). */
void engine__handle_result(struct engine *e, struct item *it);
/* send_prepare refused the row (rc its return: TGR_ERR, SEND_PREPARE_RETRY or
 * SEND_PREPARE_STORAGE) with why_code/why. @return when the account next needs a look */
int64_t engine__prepare_failed(struct engine *e, struct acct *a, const struct recipient *r, int rc,
                               const char *code, char *why, size_t whycap, int64_t now);
/* A write of the send path failed for good (what: for the log): sending stops for the account
 * until the storage_error pause is written. */
void engine__storage_failed(struct engine *e, struct acct *a, int64_t account, int64_t campaign_id,
                            const char *what);
/* Write the storage_error pause. @return 1 if written (sending may go on after a resume) */
int engine__storage_pause(struct engine *e, struct acct *a, int64_t account, int64_t now);

/* Before sending r: when the account's daily limit is used up, the instant sending may go on
 * (the local midnight; logged on r's campaign once a day), else 0. */
int64_t engine__daily_wait(struct engine *e, struct acct *a, int64_t account, int64_t campaign_id,
                           int64_t now);

/* ---- progress.c ---- */
/* Nudges due and phase changes of the account's running and nudging campaigns, at most every
 * ADVANCE_EVERY_MS. */
void engine__advance(struct engine *e, struct acct *a, int64_t account, int64_t now);
/* A first message of campaign_id (its parsed nudge plan nudges) goes at when: the first time the
 * account sends for it, the look at its first follow-up is set for when that comes due. */
void engine__nudge_note(struct acct *a, int64_t campaign_id, const json_t *nudges, int64_t when);

/* ---- quiet.c ---- */
/* In the quiet hours of campaign c (campaign_id; NULL: not known, not quiet) at now? Then log it
 * once per campaign and set *resume. */
int engine__quiet_now(struct engine *e, struct acct *a, int64_t account, const struct campaign *c,
                      int64_t campaign_id, int64_t now, int64_t *resume);

/* ---- schedule.c ---- */
/* Start the scheduling thread (after the engine's); stop it (waits for a start under way; pokes
 * after it are harmless); free what it used (engine_free); ask it to look now (any thread: a
 * campaign was scheduled, or one ended, maybe elsewhere). */
void engine__schedule_start(struct engine *e);
void engine__schedule_stop(struct engine *e);
void engine__schedule_free(struct engine *e);
void engine__schedule_poke(struct engine *e);

/* The account's Telegram session is dead: mark it invalid and pause its running campaigns with
 * reason session_invalid (events.c). */
void engine__session_dead(struct app *app, int64_t account);

#endif
