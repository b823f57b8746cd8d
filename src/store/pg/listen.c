/* listen — PostgreSQL's LISTEN/NOTIFY for store->notify and store->listen: a thread of its own
 * with a connection of its own, woken by the server's notifications or by close. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "base/log.h"
#include "store/pg/pg.h"

struct listener {
    struct pg *s;
    pthread_t thread;
    int pipe[2]; /* written by close: the thread stops */
    char channel[64];
    void (*fn)(void *cls, const char *payload);
    void *cls;
};

enum db_status pg_notify(struct store *st, const char *channel, const char *payload)
{
    return db_exec(st, S_NOTIFY, P(SP_STR(channel), SP_STR(payload)));
}

/* Wait up to ms for the socket or the stop pipe. @return 1 stop, 0 otherwise */
static int listener_wait(struct listener *l, int sock, int ms)
{
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(l->pipe[0], &rd);
    int maxfd = l->pipe[0];
    if (sock >= 0) {
        FD_SET(sock, &rd);
        if (sock > maxfd) maxfd = sock;
    }
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    if (select(maxfd + 1, &rd, NULL, NULL, &tv) > 0 && FD_ISSET(l->pipe[0], &rd)) return 1;
    return 0;
}

/* (Re)connect and LISTEN; after a lost connection, fn(cls, "") says some may have been missed. */
static void *listener_main(void *arg)
{
    struct listener *l = arg;
    PGconn *db = NULL;
    int lost = 0;
    for (;;) {
        if (!db || PQstatus(db) != CONNECTION_OK) {
            if (db) {
                PQfinish(db);
                db = NULL;
                lost = 1;
            }
            db = pg_connect(l->s->url);
            char sql[96];
            snprintf(sql, sizeof sql, "LISTEN \"%s\"", l->channel);
            PGresult *res = db && PQstatus(db) == CONNECTION_OK ? PQexec(db, sql) : NULL;
            int ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
            PQclear(res);
            if (!ok) {
                if (db) PQfinish(db);
                db = NULL;
                if (listener_wait(l, -1, 1000)) break;
                continue;
            }
            if (lost) {
                log_warn("store", "listening for other instances at %s again", l->s->where);
                l->fn(l->cls, "");
                lost = 0;
            }
        }
        if (listener_wait(l, PQsocket(db), 5000)) break;
        if (!PQconsumeInput(db)) continue; /* the connection broke: the loop reconnects */
        PGnotify *n;
        while ((n = PQnotifies(db))) {
            l->fn(l->cls, n->extra ? n->extra : "");
            PQfreemem(n);
        }
    }
    if (db) PQfinish(db);
    return NULL;
}

enum db_status pg_listen(struct store *st, const char *channel, void (*fn)(void *cls, const char *payload),
                         void *cls)
{
    struct pg *s = (struct pg *)st;
    if (!fn) {
        pg_listener_stop(s);
        return DB_ONE;
    }
    if (s->listener || strlen(channel) >= sizeof s->listener->channel || strchr(channel, '"')) return DB_HARD;
    struct listener *l = calloc(1, sizeof *l);
    if (!l || pipe(l->pipe) != 0) {
        free(l);
        return DB_HARD;
    }
    l->s = s;
    snprintf(l->channel, sizeof l->channel, "%s", channel);
    l->fn = fn;
    l->cls = cls;
    if (pthread_create(&l->thread, NULL, listener_main, l) != 0) {
        close(l->pipe[0]);
        close(l->pipe[1]);
        free(l);
        return DB_HARD;
    }
    s->listener = l;
    return DB_ONE;
}

void pg_listener_stop(struct pg *s)
{
    struct listener *l = s->listener;
    if (!l) return;
    ssize_t w = write(l->pipe[1], "x", 1);
    (void)w;
    pthread_join(l->thread, NULL);
    close(l->pipe[0]);
    close(l->pipe[1]);
    free(l);
    s->listener = NULL;
}
