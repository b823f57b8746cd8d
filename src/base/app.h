/* app — what every part of a running tgr shares: settings, store, keys, limits, pools.
 * One instance lives in main(); handlers reach it through req->app. Fields are set up before
 * the HTTP server starts and are read-only afterwards (each pointed-to object is thread-safe).
 * Layer: base, the bottom (includes no other module of src/). */
#ifndef TGR_APP_H
#define TGR_APP_H

#include "base/config.h"
struct keyring;

struct store;
struct worker_pool;
struct ratelimit;
struct loginlimit;
struct metrics;
struct route;
struct engine;
struct bridge;
struct cluster;
struct lexicon;
struct blobstore;
struct clicks;

struct app {
    struct config cfg;
    struct store *store;
    struct keyring *kr;            /* the master and derived keys (crypto/keys.h) */
    struct worker_pool *hash_pool; /* Argon2id, bounded by --hash-workers */
    struct ratelimit *rl_api, *rl_session;
    struct loginlimit *login_limits; /* POST /auth/login (http/loginlimit.h) */
    struct metrics *metrics;
    const struct route *routes;
    struct worker_pool *tg_pool; /* HTTP work that waits on Telegram (login, sync) */
    struct engine *engine;       /* owns the bridge; NULL in commands that do not serve */
    /* The engine's bridge and cluster (tg/bridge.h, cluster/cluster.h), for tg/, which sits
     * below the engine; set by engine_start before its thread runs, NULL without an engine. */
    struct bridge *bridge;
    struct cluster *cluster;
    struct lexicon *lexicon; /* customer classification words (share/lexicon.json) */
    struct blobstore *media; /* media bytes (blob/blobstore.h) */
    struct clicks *clicks;   /* tracked-link cache and batching click writer */
    /* TGR_METRICS_TOKEN set: GET /metrics needs it as a bearer token (only its hash is kept). */
    unsigned char metrics_token_hash[32];
    int metrics_token_set;
    /* --telegram sim: what the scenario's simulated Telegram expects at login (the web app shows
     * it, so a demo needs no reading of files). sim_code empty otherwise. */
    char sim_code[32], sim_phone[24];
    int sim_two_step;
};

#endif
