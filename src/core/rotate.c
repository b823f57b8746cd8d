/* rotate — owns key rotation: the server's key watcher and the `tgr keys` commands; see rotate.h
 * and docs/DECISIONS.md 44.
 *
 * Every sealed column is walked through store->sealed_scan in batches; a value under another
 * key than the current one is opened with the AD its writers used (table, column, row key as the
 * backend's scan builds it) and sealed again under the current key, and the batch is written
 * with store->sealed_replace, which only replaces values that are still what was read. Values
 * of meta (sealed commands between instances) are base64url text of the sealed bytes. */
#include "core/rotate.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "base/log.h"
#include "base/util.h"
#include "core/audit.h"
#include "crypto/seal.h"
#include "store/store.h"

/* Time for every running server to have re-read the key files (or the current id) after a
 * change: two watch periods and a margin. */
#define SETTLE_MS   (2 * KEYS_WATCH_MS + 500)
#define MAX_PASSES  10
#define MAX_TRIES   10
#define SHOW_ERRORS 5

static const struct {
    const char *table, *column;
} cols[SEALED__COUNT] = {
#define X(id, table, column) [id] = {table, column},
    STORE_SEALED_COLUMNS(X)
#undef X
};

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* The current id the database names (1 when it names none). */
static enum db_status db_current(struct store *st, uint8_t *id)
{
    char v[16];
    enum db_status r = st->meta_get(st, KEYS_META_CURRENT, v, sizeof v);
    *id = 1;
    if (r == DB_ONE) {
        int64_t x;
        if (parse_i64(v, 1, KEYS_ID_MAX, &x) != TGR_OK) {
            log_error("keys", "meta %s holds '%s', which is not a key id", KEYS_META_CURRENT, v);
            return DB_HARD;
        }
        *id = (uint8_t)x;
    }
    return r;
}

/* ---- the watcher ------------------------------------------------------------------------- */

/* One refresh; *warned remembers the id last complained about, so the log is not flooded. */
static void refresh(struct keyring *kr, struct store *st, const char *data_dir, int *warned)
{
    char err[512];
    int added = keyring_reload(kr, data_dir, err, sizeof err);
    if (added < 0 && *warned != -2) {
        log_error("keys", "%s", err);
        *warned = -2;
    } else if (added > 0) {
        log_info("keys", "loaded %d new master key(s) from %s", added, data_dir);
    }
    uint8_t want;
    if (db_current(st, &want) < 0) return; /* the database is away: keep sealing as before */
    if (want == keyring_current_id(kr)) return;
    if (keyring_set_current(kr, want) == TGR_OK) {
        log_info("keys", "new values are sealed with master key %u now", (unsigned)want);
        *warned = 0;
    } else if (*warned != want) {
        char path[PATH_MAX];
        keys_file_path(data_dir, want, path, sizeof path);
        log_error(
            "keys",
            "the database makes master key %u current, but %s is not here: still sealing with key %u, and "
            "values sealed with %u do not open; copy that file from the instance that made it",
            (unsigned)want, path, (unsigned)keyring_current_id(kr), (unsigned)want);
        *warned = want;
    }
}

void keys_refresh(struct keyring *kr, struct store *st, const char *data_dir)
{
    int warned = 0;
    refresh(kr, st, data_dir, &warned);
}

struct keys_watch {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, warned;
    struct keyring *kr;
    struct store *st;
    const char *data_dir;
};

static void *watch_main(void *arg)
{
    thread_name("tgr-keys");
    struct keys_watch *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += KEYS_WATCH_MS / 1000;
        ts.tv_nsec += (long)(KEYS_WATCH_MS % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        if (w->stop) break;
        pthread_mutex_unlock(&w->mu);
        refresh(w->kr, w->st, w->data_dir, &w->warned);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct keys_watch *keys_watch_start(struct keyring *kr, struct store *st, const char *data_dir)
{
    struct keys_watch *w = calloc(1, sizeof *w);
    if (!w) {
        log_error("keys", "out of memory for the key watcher");
        return NULL;
    }
    w->kr = kr;
    w->st = st;
    w->data_dir = data_dir;
    refresh(kr, st, data_dir, &w->warned);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->th, NULL, watch_main, w) != 0) {
        log_error("keys", "cannot start the key watcher: a rotation will need a restart to take effect");
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return NULL;
    }
    return w;
}

void keys_watch_stop(struct keys_watch *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

/* ---- one value ----------------------------------------------------------------------------- */

/* The sealed bytes of a stored value: itself, or (meta) decoded from base64url into buf.
 * @return the bytes and *len, or NULL when the value cannot be a sealed one */
static const unsigned char *sealed_bytes(enum store_sealed col, const struct blob *v, unsigned char **buf,
                                         size_t *len)
{
    *buf = NULL;
    if (col != SEALED_META_VALUE) {
        *len = v->len;
        return v->p;
    }
    *buf = malloc(v->len + 1);
    if (!*buf || base64url_decode((const char *)v->p, v->len, *buf, v->len + 1, len) != TGR_OK) {
        free(*buf);
        *buf = NULL;
        return NULL;
    }
    return *buf;
}

/* The key id of a stored value, or -1 when it is not a sealed value at all. */
static int value_key_id(enum store_sealed col, const struct blob *v)
{
    unsigned char *buf;
    size_t len = 0;
    const unsigned char *ct = sealed_bytes(col, v, &buf, &len);
    int id = ct && len >= SEAL_OVERHEAD && ct[0] == SEAL_VERSION ? ct[1] : -1;
    free(buf);
    return id;
}

/* Seal r->value again under kr's current key into r->fresh (stored form).
 * @return TGR_OK, or TGR_ERR when it does not open (or memory ran out) */
static int reseal_value(const struct keyring *kr, enum store_sealed col, struct sealed_row *r)
{
    unsigned char *buf;
    size_t len = 0;
    const unsigned char *ct = sealed_bytes(col, &r->value, &buf, &len);
    char *plain = NULL;
    size_t plen = 0;
    int rc = TGR_ERR;
    if (ct &&
        seal_open(kr, cols[col].table, cols[col].column, r->row_key, ct, len, &plain, &plen) == TGR_OK) {
        unsigned char *fresh = NULL;
        size_t flen = 0;
        if (seal(kr, cols[col].table, cols[col].column, r->row_key, plain, plen, &fresh, &flen) == TGR_OK) {
            if (col != SEALED_META_VALUE) {
                r->fresh.p = fresh;
                r->fresh.len = flen;
                rc = TGR_OK;
            } else {
                char *b64 = malloc(base64url_len(flen) + 1);
                if (b64) {
                    base64url_encode(fresh, flen, b64);
                    r->fresh.p = (unsigned char *)b64;
                    r->fresh.len = strlen(b64);
                    rc = TGR_OK;
                }
                free(fresh);
            }
        }
        sodium_memzero(plain, plen);
        free(plain);
    }
    free(buf);
    return rc;
}

/* ---- walking every sealed value ---------------------------------------------------------- */

struct tally {
    int64_t by_id[SEALED__COUNT][KEYS_ID_MAX + 1];
    int64_t not_sealed[SEALED__COUNT]; /* values that are no sealed value at all */
};

/* Read one batch, retrying a busy database. */
static enum db_status scan(struct store *st, enum store_sealed col, const char *after, int limit,
                           struct sealed_row **rows, size_t *n)
{
    enum db_status r = DB_HARD;
    for (int i = 0; i < MAX_TRIES; i++) {
        r = st->sealed_scan(st, col, after, limit, rows, n);
        if (r != DB_SOFT) break;
        sleep_ms(100 * (i + 1));
    }
    return r;
}

static void free_rows(struct sealed_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sealed_row_release(&rows[i]);
    free(rows);
}

/* Count every sealed value by key id. @return TGR_OK or TGR_ERR (the store failed) */
static int count_all(struct store *st, int batch, struct tally *t)
{
    memset(t, 0, sizeof *t);
    for (int c = 0; c < SEALED__COUNT; c++) {
        char cursor[SEALED_CURSOR_MAX] = "";
        for (;;) {
            struct sealed_row *rows = NULL;
            size_t n = 0;
            enum db_status r = scan(st, (enum store_sealed)c, cursor, batch, &rows, &n);
            if (r < 0) return TGR_ERR;
            if (r == DB_NONE) break;
            for (size_t i = 0; i < n; i++) {
                int id = value_key_id((enum store_sealed)c, &rows[i].value);
                if (id < 0)
                    t->not_sealed[c]++;
                else
                    t->by_id[c][id]++;
            }
            snprintf(cursor, sizeof cursor, "%s", rows[n - 1].cursor);
            free_rows(rows, n);
            if (n < (size_t)batch) break;
        }
    }
    return TGR_OK;
}

/* Values under any id but keep. */
static int64_t count_other(const struct tally *t, uint8_t keep)
{
    int64_t n = 0;
    for (int c = 0; c < SEALED__COUNT; c++)
        for (int id = 0; id <= KEYS_ID_MAX; id++)
            if (id != keep) n += t->by_id[c][id];
    return n;
}

static int64_t count_id(const struct tally *t, int id)
{
    int64_t n = 0;
    for (int c = 0; c < SEALED__COUNT; c++)
        n += t->by_id[c][id];
    return n;
}

struct pass {
    int64_t resealed, missed, bad, unknown;
};

/* Re-seal every value of one column that is not under kr's current key. */
static int reseal_column(const struct keyring *kr, struct store *st, enum store_sealed col, int batch,
                         FILE *out, struct pass *p)
{
    char cursor[SEALED_CURSOR_MAX] = "";
    uint8_t cur = keyring_current_id(kr);
    int64_t done = 0;
    for (;;) {
        struct sealed_row *rows = NULL;
        size_t n = 0;
        enum db_status r = scan(st, col, cursor, batch, &rows, &n);
        if (r < 0) {
            fprintf(stderr, "tgr: reading %s.%s failed; see the log\n", cols[col].table, cols[col].column);
            return TGR_ERR;
        }
        if (r == DB_NONE) break;
        size_t todo = 0;
        for (size_t i = 0; i < n; i++) {
            int id = value_key_id(col, &rows[i].value);
            if (id == cur) continue;
            if (id < 0 || !keyring_has(kr, (uint8_t)id)) {
                if (id >= 0)
                    p->unknown++;
                else
                    p->bad++;
                continue;
            }
            if (reseal_value(kr, col, &rows[i]) != TGR_OK) {
                if (p->bad++ < SHOW_ERRORS)
                    fprintf(stderr, "tgr: %s.%s of row %s does not open with key %d (left as it is)\n",
                            cols[col].table, cols[col].column, rows[i].cursor, id);
                continue;
            }
            todo++;
        }
        if (todo) {
            size_t replaced = 0;
            r = DB_SOFT;
            for (int i = 0; i < MAX_TRIES && r == DB_SOFT; i++) {
                r = st->sealed_replace(st, col, rows, n, &replaced);
                if (r == DB_SOFT) sleep_ms(100 * (i + 1));
            }
            if (r < 0) {
                free_rows(rows, n);
                fprintf(stderr, "tgr: writing %s.%s failed; see the log\n", cols[col].table,
                        cols[col].column);
                return TGR_ERR;
            }
            p->resealed += (int64_t)replaced;
            p->missed += (int64_t)(todo - replaced);
            done += (int64_t)replaced;
            fprintf(out, "  %s.%s: %lld re-sealed\n", cols[col].table, cols[col].column, (long long)done);
            fflush(out);
        }
        snprintf(cursor, sizeof cursor, "%s", rows[n - 1].cursor);
        free_rows(rows, n);
        if (n < (size_t)batch) break;
    }
    return TGR_OK;
}

/* The ids that values use but kr does not hold, as text ("3, 4"); "" when none. */
static void missing_ids(const struct keyring *kr, const struct tally *t, char *out, size_t cap)
{
    out[0] = 0;
    for (int id = 0; id <= KEYS_ID_MAX; id++) {
        if (count_id(t, id) && !keyring_has(kr, (uint8_t)id)) {
            size_t l = strlen(out);
            snprintf(out + l, cap - l, "%s%d", l ? ", " : "", id);
        }
    }
}

/* ---- tgr keys rotate ------------------------------------------------------------------------ */

/* The key to rotate to: a prepared one (a key file newer than current), else a new file. */
static int next_key(struct keyring *kr, const char *data_dir, uint8_t cur, int *made, uint8_t *out)
{
    uint8_t ids[KEYS_MAX_SEAL];
    int n = keyring_ids(kr, ids, KEYS_MAX_SEAL);
    *made = 0;
    if (n > 0 && ids[n - 1] > cur) {
        *out = ids[n - 1];
        return TGR_OK;
    }
    unsigned next = (n > 0 && ids[n - 1] > cur ? ids[n - 1] : cur) + 1u;
    if (next > KEYS_ID_MAX) {
        fprintf(stderr, "tgr: key ids are used up (%d); tgr cannot rotate further\n", KEYS_ID_MAX);
        return TGR_ERR;
    }
    if (n >= KEYS_MAX_SEAL) {
        fprintf(stderr, "tgr: %d master keys are here already; retire old ones first (tgr keys retire ID)\n",
                n);
        return TGR_ERR;
    }
    char err[512];
    if (keys_create(data_dir, (uint8_t)next, err, sizeof err) != TGR_OK ||
        keyring_reload(kr, data_dir, err, sizeof err) < 0) {
        fprintf(stderr, "tgr: %s\n", err);
        return TGR_ERR;
    }
    if (!keyring_has(kr, (uint8_t)next)) {
        fprintf(stderr, "tgr: the new key %u did not load\n", next);
        return TGR_ERR;
    }
    *made = 1;
    *out = (uint8_t)next;
    return TGR_OK;
}

/* Make sure the index keys outlive master key 1 (keys.h). */
static int save_index(const struct keyring *kr, const char *data_dir)
{
    char err[512];
    if (keyring_has(kr, 1)) {
        if (keys_index_save(kr, data_dir, err, sizeof err) != TGR_OK) {
            fprintf(stderr, "tgr: %s\n", err);
            return TGR_ERR;
        }
        return TGR_OK;
    }
    return TGR_OK; /* master key 1 is gone: keyring_load found index.key or TGR_INDEX_KEY */
}

int keys_rotate(struct keyring *kr, struct store *st, const char *data_dir, int prepare, int batch, FILE *out)
{
    if (batch < 1) batch = KEYS_BATCH_DEFAULT;
    uint8_t cur;
    if (db_current(st, &cur) < 0) {
        fprintf(stderr, "tgr: cannot read the current key id from the database; see the log\n");
        return 1;
    }
    struct tally *t = malloc(sizeof *t);
    if (!t) {
        fprintf(stderr, "tgr: out of memory\n");
        return 1;
    }
    int rc = 1;
    uint8_t target = cur;
    if (count_all(st, batch, t) != TGR_OK) {
        fprintf(stderr, "tgr: cannot read the sealed values; see the log\n");
        goto out;
    }
    int64_t older = count_other(t, cur);
    if (!prepare && keyring_has(kr, cur) && older > 0 && cur != 1) {
        /* A rotation was interrupted (or a lagging instance sealed with an old key): finish it. */
        fprintf(out, "key %u is current; %lld value(s) still use older keys: re-sealing them\n",
                (unsigned)cur, (long long)older);
    } else {
        int made;
        if (save_index(kr, data_dir) != TGR_OK || next_key(kr, data_dir, cur, &made, &target) != TGR_OK)
            goto out;
        char path[PATH_MAX];
        keys_file_path(data_dir, target, path, sizeof path);
        if (prepare) {
            fprintf(
                out,
                "%s master key %u in %s. With several hosts, copy it (mode 0600) into every instance's data "
                "directory, then run 'tgr keys rotate' to make it current.\n",
                made ? "made" : "found the prepared", (unsigned)target, path);
            rc = 0;
            goto out;
        }
        fprintf(out, "%s master key %u (%s); waiting %d ms for running servers to load it\n",
                made ? "made" : "using the prepared", (unsigned)target, path, SETTLE_MS);
        fflush(out);
        sleep_ms(SETTLE_MS);
        char v[8];
        snprintf(v, sizeof v, "%u", (unsigned)target);
        if (st->meta_set(st, KEYS_META_CURRENT, v) != DB_ONE) {
            fprintf(stderr,
                    "tgr: cannot record key %u as current; see the log (run 'tgr keys rotate' again)\n",
                    (unsigned)target);
            goto out;
        }
        /* An instance-wide entry of the audit log (every account sees it); the rotation goes on
         * without it, said on stderr, rather than stop half-way. */
        const struct audit_who system = {AUDIT_SYSTEM, ""};
        if (audit_record(st, 0, &system, AUDIT_KEYS_ROTATE, "keys", 0,
                         json_pack("{s:i}", "key_id", (int)target)) < 0)
            fprintf(stderr, "tgr: the audit log did not take the rotation to key %u; see the log\n",
                    (unsigned)target);
        fprintf(out, "key %u is current; waiting %d ms for running servers to seal with it\n",
                (unsigned)target, SETTLE_MS);
        fflush(out);
        sleep_ms(SETTLE_MS);
    }
    if (keyring_set_current(kr, target) != TGR_OK) {
        char path[PATH_MAX];
        keys_file_path(data_dir, target, path, sizeof path);
        fprintf(stderr, "tgr: the database makes key %u current but %s is not here\n", (unsigned)target,
                path);
        goto out;
    }

    /* Passes until no value under an older key is left: a server that rewrote a row between our
     * read and our write (compare-and-set missed), or sealed with the old key before it switched,
     * is caught by the next pass. */
    int64_t total = 0;
    for (int pass = 1; pass <= MAX_PASSES; pass++) {
        struct pass p = {0};
        fprintf(out, "pass %d: re-sealing values under older keys with key %u, %d per transaction\n", pass,
                (unsigned)target, batch);
        fflush(out);
        for (int c = 0; c < SEALED__COUNT; c++)
            if (reseal_column(kr, st, (enum store_sealed)c, batch, out, &p) != TGR_OK) goto out;
        total += p.resealed;
        if (count_all(st, batch, t) != TGR_OK) {
            fprintf(stderr, "tgr: cannot read the sealed values; see the log\n");
            goto out;
        }
        older = count_other(t, target);
        char missing[256];
        missing_ids(kr, t, missing, sizeof missing);
        if (missing[0]) {
            fprintf(stderr,
                    "tgr: values use key id(s) %s, whose key files are not in %s; put them back and run "
                    "'tgr keys rotate' again\n",
                    missing, data_dir);
            goto out;
        }
        if (p.bad) {
            fprintf(stderr,
                    "tgr: %lld value(s) do not open with the key they name (damaged, or sealed for another "
                    "row); they were left as they are\n",
                    (long long)p.bad);
            goto out;
        }
        if (older == 0) {
            fprintf(
                out,
                "done: %lld value(s) re-sealed; every sealed value uses key %u. Older keys can be retired "
                "with 'tgr keys retire ID' (keep an offline copy while old backups may be restored).\n",
                (long long)total, (unsigned)target);
            rc = 0;
            goto out;
        }
        fprintf(out, "%lld value(s) still use older keys (written by a server meanwhile); another pass\n",
                (long long)older);
        sleep_ms(KEYS_WATCH_MS);
    }
    fprintf(stderr,
            "tgr: values keep being sealed with older keys: is an instance running without %s's key files "
            "(see its log)? Fix that and run 'tgr keys rotate' again\n",
            data_dir);
out:
    free(t);
    return rc;
}

/* ---- tgr keys status ---------------------------------------------------------------------- */

int keys_status(struct keyring *kr, struct store *st, const char *data_dir, int json, FILE *out)
{
    uint8_t cur;
    if (db_current(st, &cur) < 0) {
        fprintf(stderr, "tgr: cannot read the current key id from the database; see the log\n");
        return 1;
    }
    struct tally *t = malloc(sizeof *t);
    if (!t || count_all(st, KEYS_BATCH_DEFAULT, t) != TGR_OK) {
        fprintf(stderr, "tgr: cannot read the sealed values; see the log\n");
        free(t);
        return 1;
    }
    uint8_t ids[KEYS_MAX_SEAL];
    int n = keyring_ids(kr, ids, KEYS_MAX_SEAL);
    const char *index = getenv("TGR_INDEX_KEY")       ? "TGR_INDEX_KEY"
                        : keys_index_exists(data_dir) ? "index.key"
                                                      : "derived from master key 1";
    json_t *o = json_object(), *held = json_array(), *by_col = json_object(), *total = json_object();
    for (int i = 0; i < n; i++)
        json_array_append_new(held, json_integer(ids[i]));
    int64_t not_sealed = 0;
    for (int c = 0; c < SEALED__COUNT; c++) {
        json_t *m = json_object();
        for (int id = 0; id <= KEYS_ID_MAX; id++) {
            if (!t->by_id[c][id]) continue;
            char k[8];
            snprintf(k, sizeof k, "%d", id);
            json_object_set_new(m, k, json_integer(t->by_id[c][id]));
        }
        not_sealed += t->not_sealed[c];
        char name[96];
        snprintf(name, sizeof name, "%s.%s", cols[c].table, cols[c].column);
        json_object_set_new(by_col, name, m);
    }
    for (int id = 0; id <= KEYS_ID_MAX; id++) {
        int64_t k = count_id(t, id);
        if (k || keyring_has(kr, (uint8_t)id)) {
            char s[8];
            snprintf(s, sizeof s, "%d", id);
            json_object_set_new(total, s, json_integer(k));
        }
    }
    json_object_set_new(o, "current", json_integer(cur));
    json_object_set_new(o, "keys", held);
    json_object_set_new(o, "index_keys", json_string(index));
    json_object_set_new(o, "columns", by_col);
    json_object_set_new(o, "total", total);
    json_object_set_new(o, "not_sealed", json_integer(not_sealed));
    if (json) {
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (s) fprintf(out, "%s\n", s);
        free(s);
    } else {
        fprintf(out, "current key: %u (the database's choice; every instance seals with it)\n",
                (unsigned)cur);
        fprintf(out, "keys here:");
        for (int i = 0; i < n; i++) {
            char path[PATH_MAX];
            keys_file_path(data_dir, ids[i], path, sizeof path);
            fprintf(out, "%s %u (%s)", i ? "," : "", (unsigned)ids[i],
                    ids[i] == 1 && getenv("TGR_MASTER_KEY") ? "TGR_MASTER_KEY" : path);
        }
        fprintf(out, "\nindex keys: %s\nsealed values by key id:\n", index);
        const char *name;
        json_t *m;
        json_object_foreach(by_col, name, m)
        {
            if (!json_object_size(m)) continue;
            fprintf(out, "  %-40s", name);
            const char *k;
            json_t *v;
            json_object_foreach(m, k, v) fprintf(out, " key %s: %lld", k, (long long)json_integer_value(v));
            fprintf(out, "\n");
        }
        fprintf(out, "total:");
        const char *k;
        json_t *v;
        json_object_foreach(total, k, v) fprintf(out, " key %s: %lld", k, (long long)json_integer_value(v));
        fprintf(out, "\n");
        if (not_sealed)
            fprintf(out, "%lld stored value(s) are not sealed values at all\n", (long long)not_sealed);
    }
    json_decref(o);
    free(t);
    return 0;
}

/* ---- tgr keys retire ---------------------------------------------------------------------- */

int keys_retire(struct keyring *kr, struct store *st, const char *data_dir, unsigned id, FILE *out)
{
    uint8_t cur;
    if (db_current(st, &cur) < 0) {
        fprintf(stderr, "tgr: cannot read the current key id from the database; see the log\n");
        return 1;
    }
    char path[PATH_MAX];
    keys_file_path(data_dir, (uint8_t)id, path, sizeof path);
    if (id == cur) {
        fprintf(stderr, "tgr: key %u is the current key; run 'tgr keys rotate' first\n", id);
        return 1;
    }
    if (!keyring_has(kr, (uint8_t)id)) {
        fprintf(stderr, "tgr: there is no master key %u here (%s)\n", id, path);
        return 1;
    }
    struct tally *t = malloc(sizeof *t);
    if (!t || count_all(st, KEYS_BATCH_DEFAULT, t) != TGR_OK) {
        fprintf(stderr, "tgr: cannot read the sealed values; see the log\n");
        free(t);
        return 1;
    }
    int64_t uses = count_id(t, (int)id);
    free(t);
    if (uses > 0) {
        fprintf(stderr,
                "tgr: %lld sealed value(s) still use key %u; run 'tgr keys rotate' to re-seal them first\n",
                (long long)uses, id);
        return 1;
    }
    if (id == 1 && save_index(kr, data_dir) != TGR_OK) return 1;
    if (id == 1 && getenv("TGR_MASTER_KEY")) {
        fprintf(
            out,
            "no value uses key 1 any more. It comes from TGR_MASTER_KEY: remove that from the environment "
            "of every instance (the index keys are in %s/index.key, or give them as TGR_INDEX_KEY).\n",
            data_dir);
        return 0;
    }
    char err[512];
    if (keys_remove(data_dir, (uint8_t)id, err, sizeof err) != TGR_OK) {
        fprintf(stderr, "tgr: %s\n", err);
        return 1;
    }
    fprintf(out,
            "retired key %u: removed %s. Backups taken before the rotation need it; keep an offline copy as "
            "long as you may restore one.\n",
            id, path);
    return 0;
}
