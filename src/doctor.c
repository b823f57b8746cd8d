/* doctor — the checks of `tgr doctor`; see doctor.h. It reads the database with SQLite's and
 * libpq's own calls, not through the store, because opening the store migrates (DECISIONS 60). */
#include "doctor.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/config.h"
#include "base/util.h"
#include "crypto/keys.h"
#include "http/metrics.h"
#include "blob/blobstore.h"
#include "store/migrations.h"

#define MIN_FREE_BYTES (1LL << 30) /* 1 GiB free on the data directory's file system */
#define MAX_CLOCK_MS   2000        /* leases compare wall clocks (README "Several instances") */
#define MIN_NODE_MAJOR 18

struct doctor {
    int checks, failed;
};

/* One result line: "✓ what: detail" or "✗ what: detail" and, indented, "fix: …". */
static void report(struct doctor *d, int ok, const char *what, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void report(struct doctor *d, int ok, const char *what, const char *fix, const char *fmt, ...)
{
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    d->checks++;
    if (!ok) d->failed++;
    printf("%s %-10s %s\n", ok ? "✓" : "✗", what, detail);
    if (!ok && fix) printf("  %-10s fix: %s\n", "", fix);
}

/* VAR=value lines of an EnvironmentFile (comments and blank lines skipped) into the
 * environment, so that the checks see what the service sees. @return TGR_OK or TGR_ERR */
static int load_env_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "--env-file %s: %s", path, strerror(errno));
        return TGR_ERR;
    }
    char line[4096];
    int ok = TGR_OK, n = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        s[strcspn(s, "\r\n")] = 0;
        if (!*s || *s == '#') continue;
        char *eq = strchr(s, '=');
        if (!eq || eq == s) {
            snprintf(err, errlen, "--env-file %s:%d: expected VARIABLE=value", path, n);
            ok = TGR_ERR;
            break;
        }
        *eq = 0;
        setenv(s, eq + 1, 1);
    }
    fclose(f);
    return ok;
}

static void check_data_dir(struct doctor *d, const struct config *c)
{
    struct stat st;
    char fix[1200];
    if (stat(c->data_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(fix, sizeof fix, "tgr migrate --data %s (as the user that runs tgr) makes it", c->data_dir);
        report(d, 0, "data dir", fix, "%s: %s", c->data_dir, errno ? strerror(errno) : "not a directory");
        return;
    }
    if (st.st_uid != geteuid()) {
        snprintf(fix, sizeof fix,
                 "run doctor (and tgr) as the directory's owner, e.g. sudo -u tgr tgr doctor");
        report(d, 0, "data dir", fix, "%s belongs to uid %u, doctor runs as uid %u", c->data_dir,
               (unsigned)st.st_uid, (unsigned)geteuid());
        return;
    }
    if (st.st_mode & 077) {
        snprintf(fix, sizeof fix, "chmod 700 %s", c->data_dir);
        report(d, 0, "data dir", fix, "%s is open to group or others (mode %04o)", c->data_dir,
               (unsigned)(st.st_mode & 07777));
        return;
    }
    if (access(c->data_dir, W_OK | X_OK) != 0) {
        snprintf(fix, sizeof fix, "chmod u+rwx %s", c->data_dir);
        report(d, 0, "data dir", fix, "%s is not writable", c->data_dir);
        return;
    }
    report(d, 1, "data dir", NULL, "%s is private to uid %u (mode %04o)", c->data_dir, (unsigned)st.st_uid,
           (unsigned)(st.st_mode & 07777));
}

static void check_keys(struct doctor *d, const struct config *c)
{
    char path[CONFIG_PATH_MAX + 16], fix[1200], err[256];
    const char *env = getenv("TGR_MASTER_KEY");
    snprintf(path, sizeof path, "%s/master.key", c->data_dir);
    struct stat st;
    if (!(env && *env)) {
        if (stat(path, &st) != 0) {
            report(d, 0, "master key",
                   "restore the key file from your backup; a new installation gets one on its first start",
                   "%s: %s", path, strerror(errno));
            return;
        }
        if (st.st_mode & 077) {
            snprintf(fix, sizeof fix, "chmod 600 %s", path);
            report(d, 0, "master key", fix, "%s is readable by group or others (mode %04o): tgr refuses it",
                   path, (unsigned)(st.st_mode & 07777));
            return;
        }
        if (st.st_uid != geteuid()) {
            snprintf(fix, sizeof fix, "chown the file to the user that runs tgr, or run doctor as that user");
            report(d, 0, "master key", fix, "%s belongs to uid %u, doctor runs as uid %u", path,
                   (unsigned)st.st_uid, (unsigned)geteuid());
            return;
        }
    }
    struct keyring kr;
    if (keyring_load(&kr, c->data_dir, 0, err, sizeof err) != TGR_OK) {
        report(d, 0, "master key", "put the installation's master key back (backup, or TGR_MASTER_KEY)", "%s",
               err);
        return;
    }
    keyring_clear(&kr);
    report(d, 1, "master key", NULL, "%s opens (mode 0600)", env && *env ? "TGR_MASTER_KEY" : path);
}

static int known_migrations(const char *const *list)
{
    int n = 0;
    while (list[n])
        n++;
    return n;
}

/* The schema version and, on PostgreSQL, the server's clock minus ours (ms). */
static void check_database(struct doctor *d, const struct config *c)
{
    char fix[1200];
    int pg = !strncmp(c->db_url, "postgres://", 11) || !strncmp(c->db_url, "postgresql://", 13);
    int version = -1, known = known_migrations(pg ? pg_migrations : sqlite_migrations);
    long long offset_ms = 0;
    char where[CONFIG_PATH_MAX + 16];
    if (pg) {
        PGconn *conn = PQconnectdb(c->db_url);
        snprintf(where, sizeof where, "PostgreSQL at %s", PQhost(conn) ? PQhost(conn) : "?");
        if (PQstatus(conn) != CONNECTION_OK) {
            char msg[300];
            snprintf(msg, sizeof msg, "%s", PQerrorMessage(conn));
            msg[strcspn(msg, "\n")] = 0;
            PQfinish(conn);
            report(d, 0, "database", "check TGR_DB (host, port, user, password) and that the server runs",
                   "%s does not answer: %s", where, msg);
            report(d, 0, "clock", "the database must answer first",
                   "cannot read the database server's clock");
            return;
        }
        int64_t t0 = now_ms();
        PGresult *r = PQexec(conn, "SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint");
        int64_t t1 = now_ms();
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
            offset_ms = strtoll(PQgetvalue(r, 0, 0), NULL, 10) - (t0 + t1) / 2;
        PQclear(r);
        r = PQexec(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
        version = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? atoi(PQgetvalue(r, 0, 0)) : 0;
        PQclear(r);
        PQfinish(conn);
    } else {
        char path[CONFIG_PATH_MAX + 16];
        if (!strncmp(c->db_url, "sqlite:", 7))
            snprintf(path, sizeof path, "%s", c->db_url + 7);
        else
            snprintf(path, sizeof path, "%s/tgr.db", c->data_dir);
        snprintf(where, sizeof where, "SQLite %s", path);
        sqlite3 *db = NULL;
        if (access(path, F_OK) != 0 || sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
            snprintf(fix, sizeof fix, "tgr migrate%s%s makes it (as the user that runs tgr)",
                     strcmp(c->data_dir, "./data") ? " --data " : "",
                     strcmp(c->data_dir, "./data") ? c->data_dir : "");
            report(d, 0, "database", fix, "no database at %s", path);
            sqlite3_close(db);
        } else {
            sqlite3_stmt *q = NULL;
            version = 0;
            if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", -1, &q,
                                   NULL) == SQLITE_OK &&
                sqlite3_step(q) == SQLITE_ROW)
                version = sqlite3_column_int(q, 0);
            sqlite3_finalize(q);
            sqlite3_close(db);
        }
    }
    if (version >= 0) {
        if (version < known) {
            snprintf(fix, sizeof fix,
                     "tgr migrate (as the user that runs tgr), or restart the service: it migrates on start");
            report(d, 0, "database", fix, "%s is at schema %d of %d: not migrated", where, version, known);
        } else if (version > known) {
            report(d, 0, "database", "run the newer tgr that wrote it (or restore a backup of this version)",
                   "%s is at schema %d, newer than this tgr's %d", where, version, known);
        } else {
            report(d, 1, "database", NULL, "%s answers, schema %d of %d", where, version, known);
        }
    }
    if (!pg)
        report(d, 1, "clock", NULL, "SQLite uses this machine's clock");
    else if (llabs(offset_ms) > MAX_CLOCK_MS)
        report(d, 0, "clock", "run NTP (systemd-timesyncd or chrony) on this machine and the database server",
               "the database server's clock is %+lld ms from this machine's (at most ±%d)", offset_ms,
               MAX_CLOCK_MS);
    else
        report(d, 1, "clock", NULL, "the database server's clock is %+lld ms from this machine's", offset_ms);
}

/* The directory part of path ("." when it has none). */
static void parent_dir(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, cap, ".");
    else
        snprintf(out, cap, "%.*s", slash == path ? 1 : (int)(slash - path), path);
}

/* `node --version` of the configured binary: its major version, or -1. */
static int node_major(const char *node, char *version, size_t cap)
{
    if (strchr(node, '\'')) return -1;
    char cmd[CONFIG_PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "'%s' --version 2>/dev/null", node);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    version[0] = 0;
    if (!fgets(version, (int)cap, p)) version[0] = 0;
    pclose(p);
    version[strcspn(version, "\r\n")] = 0;
    return version[0] == 'v' ? atoi(version + 1) : -1;
}

static void check_node_and_bridge(struct doctor *d, const struct config *c)
{
    char version[64], fix[1200];
    int major = node_major(c->node, version, sizeof version);
    if (major < MIN_NODE_MAJOR)
        report(d, 0, "node", "apt install nodejs (or set TGR_NODE to Node.js 18 or newer)", "%s: %s", c->node,
               major < 0 ? "not found or does not run" : version);
    else
        report(d, 1, "node", NULL, "%s is %s", c->node, version);

    char script[CONFIG_PATH_MAX + 64], dir[CONFIG_PATH_MAX + 64], path[CONFIG_PATH_MAX * 2];
    source_path(c->bridge_script[0] ? c->bridge_script : "bridge/main.mjs", script, sizeof script);
    if (access(script, R_OK) != 0) {
        report(d, 0, "bridge", "reinstall tgr, or set TGR_BRIDGE to the bridge's main.mjs", "%s: %s", script,
               strerror(errno));
        return;
    }
    parent_dir(script, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/package.json", dir);
    json_error_t je;
    json_t *pkg = json_load_file(path, 0, &je);
    json_t *deps = json_object_get(pkg, "dependencies");
    if (!json_is_object(deps)) {
        json_decref(pkg);
        report(d, 0, "bridge", "reinstall tgr", "%s is missing or has no dependencies", path);
        return;
    }
    const char *name;
    json_t *want;
    char missing[512] = "";
    int n = 0;
    json_object_foreach(deps, name, want)
    {
        n++;
        snprintf(path, sizeof path, "%s/node_modules/%s/package.json", dir, name);
        json_t *mod = json_load_file(path, 0, &je);
        const char *have = json_string_value(json_object_get(mod, "version"));
        const char *pin = json_string_value(want);
        if (!have || (pin && isdigit((unsigned char)pin[0]) && strcmp(pin, have) != 0)) {
            size_t len = strlen(missing);
            snprintf(missing + len, sizeof missing - len, "%s%s@%s (%s)", len ? ", " : "", name,
                     pin ? pin : "?", have ? have : "missing");
        }
        json_decref(mod);
    }
    json_decref(pkg);
    if (missing[0]) {
        snprintf(fix, sizeof fix,
                 "cd %s && npm ci --omit=dev (a source tree: make deps; a package: reinstall tgr)", dir);
        report(d, 0, "bridge", fix, "npm modules of %s not as pinned: %s", dir, missing);
    } else {
        report(d, 1, "bridge", NULL, "%s with its %d pinned npm module%s", script, n, n == 1 ? "" : "s");
    }
}

static void check_telegram(struct doctor *d, const struct config *c)
{
    char fix[1200];
    if (!strcmp(c->telegram, "gramjs")) {
        const char *id = getenv("TG_API_ID"), *hash = getenv("TG_API_HASH");
        int id_ok = id && *id && strspn(id, "0123456789") == strlen(id) && strlen(id) <= 12;
        int hash_ok = hash && strlen(hash) == 32 && strspn(hash, "0123456789abcdef") == 32;
        if (!id_ok || !hash_ok)
            report(d, 0, "telegram",
                   "set TG_API_ID (a number) and TG_API_HASH (32 hex digits) from my.telegram.org",
                   "gramjs needs %s",
                   !id_ok ? "TG_API_ID: missing or not a number"
                          : "TG_API_HASH: missing or not 32 hex digits");
        else
            report(d, 1, "telegram", NULL, "gramjs with API id %s", id);
        return;
    }
    char scenario[CONFIG_PATH_MAX + 64], dir[CONFIG_PATH_MAX + 64];
    source_path(c->sim_scenario, scenario, sizeof scenario);
    parent_dir(scenario, dir, sizeof dir);
    if (access(scenario, R_OK) != 0) {
        snprintf(fix, sizeof fix, "set TGR_SIM_SCENARIO to a readable scenario file");
        report(d, 0, "telegram", fix, "simulator scenario %s: %s", scenario, strerror(errno));
    } else if (access(dir, W_OK) != 0) {
        snprintf(fix, sizeof fix,
                 "copy the scenario into the data directory and point TGR_SIM_SCENARIO at the copy");
        report(d, 0, "telegram", fix, "the simulator writes its record beside %s, and %s is not writable",
               scenario, dir);
    } else {
        report(d, 1, "telegram", NULL, "simulated (%s); set TGR_TELEGRAM=gramjs for the real one", scenario);
    }
}

static void check_media(struct doctor *d, const struct config *c)
{
    char err[512], fix[1200];
    if (strncmp(c->media, "s3://", 5) != 0) {
        char dir[CONFIG_PATH_MAX + 16];
        snprintf(dir, sizeof dir, "%s/media", c->data_dir);
        struct stat st;
        if (stat(dir, &st) != 0)
            report(d, 1, "media", NULL, "local; %s is made on the first upload", dir);
        else if (!S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) != 0) {
            snprintf(fix, sizeof fix, "chown -R the user that runs tgr %s; chmod 700 %s", dir, dir);
            report(d, 0, "media", fix, "%s is not a writable directory", dir);
        } else
            report(d, 1, "media", NULL, "local, %s", dir);
        return;
    }
    struct blobstore *bs = blobstore_open(c->media, c->data_dir, err, sizeof err);
    if (!bs) {
        report(d, 0, "media",
               "set TGR_S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (README \"Media on S3\")",
               "%s", err);
        return;
    }
    /* A signed GET of an object that cannot exist: 404 means the endpoint answers, the bucket
     * exists and the key may read it. */
    void *data = NULL;
    size_t len = 0;
    errno = 0;
    int r = bs->get(bs, "0/0000000000000000000000000000000000000000000000000000000000000000", &data, &len);
    int e = errno;
    free(data);
    bs->close(bs);
    if (r == TGR_OK || e == ENOENT)
        report(d, 1, "media", NULL, "%s answers a signed request", c->media);
    else
        report(d, 0, "media",
               "check TGR_S3_ENDPOINT, the bucket's name and the key's rights (s3:GetObject on it)",
               "%s does not answer a signed request (%s); the server's log has S3's reason", c->media,
               strerror(e));
}

static void check_disk(struct doctor *d, const struct config *c)
{
    struct statvfs sv;
    if (statvfs(c->data_dir, &sv) != 0) {
        report(d, 0, "disk", "fix the data directory first", "cannot read free space of %s: %s", c->data_dir,
               strerror(errno));
        return;
    }
    long long avail = (long long)sv.f_bavail * (long long)sv.f_frsize;
    if (avail < MIN_FREE_BYTES)
        report(d, 0, "disk", "free space on that file system (old backups, media-cache/ may be deleted)",
               "%.1f GiB free for %s (at least 1 GiB)", (double)avail / (1 << 30), c->data_dir);
    else
        report(d, 1, "disk", NULL, "%.1f GiB free for %s", (double)avail / (1 << 30), c->data_dir);
}

int cmd_doctor(int argc, char **argv)
{
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("Usage: tgr doctor [--env-file FILE] [options]\n"
                   "Checks the installation with the settings `tgr serve` would use (FILE first, e.g.\n"
                   "/etc/tgr/tgr.env, then the environment and the options) and says how to fix what fails.\n"
                   "Changes nothing. Exit 0 when every check passes, 1 when one fails.\n\n");
            config_usage(stdout, CONFIG_FOR_SERVE | CONFIG_FOR_STORE);
            return 0;
        }
    char err[512];
    const char *extra[1] = {NULL};
    /* --env-file first, before the environment is read. */
    for (int i = 2; i < argc; i++) {
        const char *file = !strncmp(argv[i], "--env-file=", 11)             ? argv[i] + 11
                           : !strcmp(argv[i], "--env-file") && i + 1 < argc ? argv[i + 1]
                                                                            : NULL;
        if (file && load_env_file(file, err, sizeof err) != TGR_OK) {
            fprintf(stderr, "tgr doctor: %s\n", err);
            return 2;
        }
    }
    struct doctor d = {0, 0};
    struct config c;
    if (config_init(&c, err, sizeof err) != TGR_OK) {
        report(&d, 0, "settings", "correct that variable (in /etc/tgr/tgr.env for the service)", "%s", err);
        printf("\n1 check failed; the others need the settings\n");
        return 1;
    }
    if (config_parse_args(&c, argc, argv, 2, CONFIG_FOR_SERVE | CONFIG_FOR_STORE, "--env-file", extra, err,
                          sizeof err) != TGR_OK) {
        fprintf(stderr, "tgr doctor: %s (see 'tgr doctor --help')\n", err);
        return 2;
    }
    unsigned char token_hash[METRICS_TOKEN_HASH_BYTES];
    int token_set = 0;
    if (metrics_token_load(token_hash, &token_set, err, sizeof err) != TGR_OK)
        report(&d, 0, "settings", "correct TGR_METRICS_TOKEN, or unset it to leave /metrics open", "%s", err);
    else
        report(&d, 1, "settings", NULL, "parse: listen %s, data %s, telegram %s, media %s%s", c.listen,
               c.data_dir, c.telegram, strncmp(c.media, "s3://", 5) ? "local" : "S3",
               token_set ? ", /metrics behind a token" : "");
    check_data_dir(&d, &c);
    check_keys(&d, &c);
    check_database(&d, &c);
    check_node_and_bridge(&d, &c);
    check_telegram(&d, &c);
    check_media(&d, &c);
    check_disk(&d, &c);
    if (d.failed)
        printf("\n%d of %d checks failed\n", d.failed, d.checks);
    else
        printf("\nall %d checks passed\n", d.checks);
    return d.failed ? 1 : 0;
}
