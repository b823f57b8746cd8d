/* pg — what the files of the PostgreSQL backend share (pg.c: connections, the runner,
 * transactions, opening; listen.c: LISTEN/NOTIFY). Not for use outside store/pg/. */
#ifndef TGR_STORE_PG_H
#define TGR_STORE_PG_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "store/db.h"

struct pg {
    struct db db;    /* first: a struct store * is a struct pg * */
    char *url;       /* kept to reconnect; never logged (it may hold a password) */
    char where[200]; /* user@host:port/db, for messages */
    pthread_key_t key;
    pthread_mutex_t lock;
    struct conn *conns;
    struct listener *listener;
    /* Planner statistics (pg.c "statistics"): rows inserted since open, and the count at
     * which the growing tables are analyzed next (0: no more). */
    _Atomic int64_t inserted, analyze_at;
};

/* A new connection to url with tgr's defaults (the URL's own parameters win); check PQstatus. */
PGconn *pg_connect(const char *url);

/* store->notify and store->listen (listen.c), and stopping the listener at close. */
enum db_status pg_notify(struct store *st, const char *channel, const char *payload);
enum db_status pg_listen(struct store *st, const char *channel, void (*fn)(void *cls, const char *payload),
                         void *cls);
void pg_listener_stop(struct pg *s);

#endif
