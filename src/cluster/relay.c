/* relay — Telegram work for an account whose client runs on another instance; see cluster.h
 * cluster_remote. Layer: cluster (base, crypto, store below).
 *
 * The asking instance seals {"kind","account","req"} into meta "cmd:<id>" and notifies the
 * owner ("c:<owner>:<id>"); the owner runs it on its tg worker pool (the command callback) and
 * seals {"result"} or {"error":{"code","message","seconds"}} into meta "cmdr:<id>", which the
 * asker polls for. Both rows are deleted after. Sealed, because a request may carry a message's
 * text and an answer a contact's details; the row key is the meta key, so a row cannot be
 * replayed under another id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "base/app.h"
#include "base/log.h"
#include "base/util.h"
#include "base/worker.h"
#include "cluster/cluster.h"
#include "cluster/cluster_internal.h"
#include "crypto/seal.h"
#include "store/store.h"

#define CMD_POLL_MS 50
#define CMD_REQ_MAX (1u << 20)
#define CMD_RES_MAX (64u * 1024)

/* Seal a JSON object into a meta value under key. */
static int meta_put_sealed(struct app *app, const char *key, json_t *o)
{
    char *plain = json_dumps(o, JSON_COMPACT);
    unsigned char *ct = NULL;
    size_t ctlen = 0;
    int rc = TGR_ERR;
    if (plain && seal(app->kr, "meta", "value", key, plain, strlen(plain), &ct, &ctlen) == TGR_OK) {
        char *b64 = malloc(base64url_len(ctlen) + 1);
        if (b64) {
            base64url_encode(ct, ctlen, b64);
            rc = app->store->meta_set(app->store, key, b64) == DB_ONE ? TGR_OK : TGR_ERR;
            free(b64);
        }
    }
    if (plain) {
        sodium_memzero(plain, strlen(plain));
        free(plain);
    }
    free(ct);
    return rc;
}

/* Read and open a sealed meta value. @return the object, or NULL (missing, or not ours) */
static json_t *meta_get_sealed(struct app *app, const char *key, size_t cap)
{
    char *b64 = malloc(cap);
    unsigned char *ct = malloc(cap);
    json_t *o = NULL;
    size_t ctlen = 0, plen = 0;
    char *plain = NULL;
    if (b64 && ct && app->store->meta_get(app->store, key, b64, cap) == DB_ONE &&
        base64url_decode(b64, strlen(b64), ct, cap, &ctlen) == TGR_OK &&
        seal_open(app->kr, "meta", "value", key, ct, ctlen, &plain, &plen) == TGR_OK) {
        json_error_t je;
        o = json_loads(plain, 0, &je);
        sodium_memzero(plain, plen);
        free(plain);
    }
    free(b64);
    free(ct);
    return o;
}

int cluster_remote(struct cluster *c, const char *owner, int64_t account_id, const char *kind, json_t *req,
                   int timeout_ms, json_t **result, struct bridge_error *err)
{
    struct app *app = c->app;
    struct store *st = app->store;
    unsigned char rnd[12];
    char id[24], key[40], rkey[40], note[200];
    randombytes_buf(rnd, sizeof rnd);
    base64url_encode(rnd, sizeof rnd, id);
    snprintf(key, sizeof key, "cmd:%s", id);
    snprintf(rkey, sizeof rkey, "cmdr:%s", id);
    snprintf(note, sizeof note, "c:%s:%s", owner, id);
    int rc = TGR_ERR;
    snprintf(err->code, sizeof err->code, "NETWORK");
    if (strstr(owner, ":shed")) {
        snprintf(err->message, sizeof err->message,
                 "this account is moving to another instance; try again in a few seconds");
        return TGR_ERR;
    }
    if (!st->notify) {
        snprintf(err->message, sizeof err->message,
                 "this account's Telegram client runs on instance %.60s; several instances need PostgreSQL",
                 owner);
        return TGR_ERR;
    }
    json_t *cmd = json_pack("{s:s, s:I, s:O}", "kind", kind, "account", (json_int_t)account_id, "req", req);
    snprintf(err->message, sizeof err->message,
             "the instance that runs this account's Telegram client did not answer");
    err->seconds = 0;
    if (!cmd || meta_put_sealed(app, key, cmd) != TGR_OK || st->notify(st, CLUSTER_CHANNEL, note) != DB_ONE) {
        json_decref(cmd);
        (void)!st->meta_delete(st, key); /* a command row left behind is never answered nor read */
        return TGR_ERR;
    }
    json_decref(cmd);
    for (int64_t until = now_ms() + timeout_ms + 2000; now_ms() < until;) {
        json_t *res = meta_get_sealed(app, rkey, CMD_RES_MAX);
        if (!res) {
            struct timespec ts = {0, CMD_POLL_MS * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        json_t *ok = json_object_get(res, "result"), *bad = json_object_get(res, "error");
        if (ok) {
            *result = json_incref(ok);
            rc = TGR_OK;
        } else {
            snprintf(err->code, sizeof err->code, "%s",
                     json_string_value(json_object_get(bad, "code")) ?: "INTERNAL");
            snprintf(err->message, sizeof err->message, "%s",
                     json_string_value(json_object_get(bad, "message")) ?: "");
            err->seconds = (int)json_integer_value(json_object_get(bad, "seconds"));
        }
        json_decref(res);
        break;
    }
    /* Done with the exchange: rows left by a failed delete are overwritten by the next command's
     * fresh random key, never read again. */
    (void)!st->meta_delete(st, key);
    (void)!st->meta_delete(st, rkey);
    return rc;
}

/* ---- the owner's side ---- */

struct cmd_job {
    struct cluster *c;
    char id[24];
};

/* tg worker pool: run one relayed command and seal its answer. */
static void cmd_job(void *arg)
{
    struct cmd_job *j = arg;
    struct cluster *c = j->c;
    struct app *app = c->app;
    char key[40], rkey[40];
    snprintf(key, sizeof key, "cmd:%s", j->id);
    snprintf(rkey, sizeof rkey, "cmdr:%s", j->id);
    json_t *cmd = meta_get_sealed(app, key, CMD_REQ_MAX);
    const char *kind = json_string_value(json_object_get(cmd, "kind"));
    json_t *acct = json_object_get(cmd, "account"), *req = json_object_get(cmd, "req");
    if (!kind || !json_is_integer(acct)) {
        json_decref(cmd);
        free(j);
        return; /* gone (answered, or the asker gave up) */
    }
    int64_t account = json_integer_value(acct);
    json_t *result = NULL;
    struct bridge_error err = {"INTERNAL", "unknown command", 0};
    int rc = c->run ? c->run(c->ctx, account, kind, req, &result, &err) : TGR_ERR;
    json_t *ans = rc == TGR_OK ? json_pack("{s:o}", "result", result ? result : json_null())
                               : json_pack("{s:{s:s, s:s, s:i}}", "error", "code", err.code, "message",
                                           err.message, "seconds", err.seconds);
    if (!ans || meta_put_sealed(app, rkey, ans) != TGR_OK)
        log_warn("engine", "account %lld: could not store the answer to a command", (long long)account);
    json_decref(ans);
    json_decref(cmd);
    free(j);
}

void cluster__command_submit(struct cluster *c, const char *id)
{
    struct cmd_job *j = calloc(1, sizeof *j);
    if (!j || strlen(id) >= sizeof j->id) {
        free(j);
        return;
    }
    j->c = c;
    snprintf(j->id, sizeof j->id, "%s", id);
    if (!c->app->tg_pool || worker_pool_submit(c->app->tg_pool, cmd_job, j) != TGR_OK) free(j);
}
