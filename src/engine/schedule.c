/* schedule — when scheduled campaigns are looked at (the rule that starts them is
 * core/schedule.c). Layer: engine.
 *
 * A thread of its own, not the engine thread: starting a campaign scans its audience (a second
 * or more for a large one), which must not hold up the sends of every account. It looks at the
 * next start_at (schedule_run says when that is), and at least every SCHEDULE_LOOK_MS, since
 * another instance may have scheduled a campaign and a waiting one starts when its account's
 * running campaign ends; a wake-up (engine_wake here, or another instance's through the cluster)
 * makes it look at once. Every instance looks: whichever starts a campaign first starts it, the
 * others find it running. After a start the account's sender is woken, here and elsewhere. */
#include <pthread.h>
#include <time.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "core/schedule.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"

static void started(void *cls, int64_t account_id)
{
    engine_wake(cls, account_id);
}

static void *sched_main(void *arg)
{
    thread_name("tgr-schedule");
    struct engine *e = arg;
    pthread_mutex_lock(&e->sched_mu);
    while (!e->sched_stopping) {
        e->sched_poked = 0;
        pthread_mutex_unlock(&e->sched_mu);
        int64_t next = schedule_run(e->app, now_ms(), started, e);
        pthread_mutex_lock(&e->sched_mu);
        while (!e->sched_stopping && !e->sched_poked) {
            int64_t wait = next - now_ms();
            if (wait <= 0) break;
            struct timespec ts;
            deadline_in(wait, &ts);
            pthread_cond_timedwait(&e->sched_cv, &e->sched_mu, &ts);
        }
    }
    pthread_mutex_unlock(&e->sched_mu);
    return NULL;
}

void engine__schedule_start(struct engine *e)
{
    pthread_mutex_init(&e->sched_mu, NULL);
    pthread_cond_init(&e->sched_cv, NULL);
    e->sched_running = pthread_create(&e->sched_thread, NULL, sched_main, e) == 0;
    if (!e->sched_running)
        log_error("engine", "could not start the scheduling thread; scheduled campaigns wait");
}

void engine__schedule_stop(struct engine *e)
{
    if (!e->sched_running) return;
    pthread_mutex_lock(&e->sched_mu);
    int joined = e->sched_stopping;
    e->sched_stopping = 1;
    pthread_cond_signal(&e->sched_cv);
    pthread_mutex_unlock(&e->sched_mu);
    if (!joined) pthread_join(e->sched_thread, NULL);
}

void engine__schedule_free(struct engine *e)
{
    engine__schedule_stop(e);
    pthread_mutex_destroy(&e->sched_mu);
    pthread_cond_destroy(&e->sched_cv);
}

void engine__schedule_poke(struct engine *e)
{
    if (!e->sched_running) return;
    pthread_mutex_lock(&e->sched_mu);
    e->sched_poked = 1;
    pthread_cond_signal(&e->sched_cv);
    pthread_mutex_unlock(&e->sched_mu);
}
