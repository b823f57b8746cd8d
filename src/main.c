/* main — the tgr command line: serve, migrate, account create, … doctor (DESIGN §7).
 *
 * Exit codes: 0 success, 1 a runtime failure (database, key file, port in use…), 2 a usage
 * error (unknown command or flag, bad value) — always with one line on stderr saying why. */
#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/account.h"
#include "base/app.h"
#include "base/config.h"
#include "base/log.h"
#include "base/sdnotify.h"
#include "base/util.h"
#include "crypto/keys.h"
#include "crypto/password.h"
#include "core/rotate.h"
#include "cluster/cluster.h"
#include "engine/engine.h"
#include "hooks/deliver.h"
#include "core/classify.h"
#include "analytics/clicks.h"
#include "core/orders.h"
#include "store/backup.h"
#include "blob/blobstore.h"
#include "store/migrations.h"
#include "crypto/seal.h"
#include "tg/session.h"
#include "http/loginlimit.h"
#include "http/metrics.h"
#include "http/ratelimit.h"
#include "http/server.h"
#include "http/sse.h"
#include "base/worker.h"
#include "store/store.h"
#include "demo.h"
#include "doctor.h"

static const char usage_top[] =
    "tgr — a self-hosted Telegram retargeting platform\n"
    "\n"
    "Usage:\n"
    "  tgr serve [options]                              run the server\n"
    "  tgr migrate [--data DIR] [--db URL]              apply database migrations and exit\n"
    "  tgr account create --email E --password-file F   create an account; prints its API key once\n"
    "  tgr import orders FILE.csv --account ID          import shop orders from a CSV file\n"
    "  tgr keys rotate|status|retire ID [--data DIR]    rotate the master key, re-sealing every value\n"
    "  tgr backup FILE [--data DIR]                     consistent copy of the database while serving\n"
    "  tgr restore FILE [--data DIR]                    put a backup into an empty data directory\n"
    "  tgr doctor [--env-file FILE] [options]           check the installation; say how to fix what fails\n"
    "  tgr --version\n"
    "  tgr COMMAND --help                               options of a command\n";

static int usage_error(const char *cmd, const char *msg)
{
    fprintf(stderr, "tgr%s%s: %s (see 'tgr%s%s --help')\n", cmd ? " " : "", cmd ? cmd : "", msg,
            cmd ? " " : "", cmd ? cmd : "");
    return 2;
}

static int wants_help(int argc, char **argv, int first)
{
    for (int i = first; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
    return 0;
}

static void apply_log_level(const struct config *c)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(c->log_level, names[i])) log_set_level((enum log_level)i);
    log_set_format(strcmp(c->log_format, "json") ? LOG_TEXT : LOG_JSON);
}

/* Create the data directory (mode 0700) if it does not exist. */
static int ensure_data_dir(const char *dir)
{
    if (mkdir(dir, 0700) == 0 || errno == EEXIST) return TGR_OK;
    fprintf(stderr, "tgr: cannot create the data directory %s: %s\n", dir, strerror(errno));
    return TGR_ERR;
}

static struct store *open_store(const struct config *c)
{
    char err[256];
    struct store *st = store_open(c->db_url, c->data_dir, err, sizeof err);
    if (!st) {
        fprintf(stderr, "tgr: %s\n", err);
        return NULL;
    }
    int applied = 0;
    if (st->migrate(st, &applied) != DB_ONE) {
        fprintf(stderr, "tgr: the database migrations failed; see the log above\n");
        st->close(st);
        return NULL;
    }
    return st;
}

static int load_keys(struct keyring *kr, const struct config *c)
{
    char err[256];
    if (keyring_load(kr, c->data_dir, 1, err, sizeof err) != TGR_OK) {
        fprintf(stderr, "tgr: %s\n", err);
        return TGR_ERR;
    }
    return TGR_OK;
}

/* ---- tgr migrate ------------------------------------------------------------------------ */

static int cmd_migrate(int argc, char **argv)
{
    struct config c;
    char err[256];
    if (wants_help(argc, argv, 2)) {
        printf("Usage: tgr migrate [options]\nApplies every pending database migration and exits.\n\n");
        config_usage(stdout, CONFIG_FOR_STORE);
        return 0;
    }
    if (config_init(&c, err, sizeof err) != TGR_OK ||
        config_parse_args(&c, argc, argv, 2, CONFIG_FOR_STORE, NULL, NULL, err, sizeof err) != TGR_OK)
        return usage_error("migrate", err);
    apply_log_level(&c);
    if (ensure_data_dir(c.data_dir) != TGR_OK) return 1;
    struct store *st = store_open(c.db_url, c.data_dir, err, sizeof err);
    if (!st) {
        fprintf(stderr, "tgr: %s\n", err);
        return 1;
    }
    int applied = 0;
    enum db_status r = st->migrate(st, &applied);
    st->close(st);
    if (r != DB_ONE) {
        fprintf(stderr, "tgr: the database migrations failed; see the log above\n");
        return 1;
    }
    printf("%d migration(s) applied; the database is up to date\n", applied);
    return 0;
}

/* ---- tgr backup / tgr restore ------------------------------------------------------------ */

/* The SQLite file the configuration names, or a usage error for PostgreSQL. */
static int sqlite_path(const struct config *c, const char *cmd, char *out, size_t cap)
{
    if (!c->db_url[0]) {
        snprintf(out, cap, "%s/tgr.db", c->data_dir);
        return TGR_OK;
    }
    if (strncmp(c->db_url, "sqlite:", 7) == 0 && c->db_url[7]) {
        snprintf(out, cap, "%s", c->db_url + 7);
        return TGR_OK;
    }
    usage_error(cmd,
                "on PostgreSQL use pg_dump / pg_restore (README \"Backup\"); this command copies SQLite");
    return TGR_ERR;
}

static int cmd_backup(int argc, char **argv)
{
    if (wants_help(argc, argv, 2)) {
        printf("Usage: tgr backup FILE [--data DIR] [--db sqlite:PATH]\n"
               "Writes a consistent copy of the SQLite database to FILE (mode 0600) while the server may be\n"
               "running. The copy holds sealed data: keep the master key apart from it.\n");
        return 0;
    }
    if (argc < 3 || strncmp(argv[2], "--", 2) == 0) return usage_error("backup", "missing the backup FILE");
    struct config c;
    char err[512], db[4200];
    if (config_init(&c, err, sizeof err) != TGR_OK ||
        config_parse_args(&c, argc, argv, 3, CONFIG_FOR_STORE, NULL, NULL, err, sizeof err) != TGR_OK)
        return usage_error("backup", err);
    if (sqlite_path(&c, "backup", db, sizeof db) != TGR_OK) return 2;
    if (access(db, R_OK) != 0) {
        fprintf(stderr, "tgr: no database at %s\n", db);
        return 1;
    }
    int64_t bytes = 0;
    int64_t t0 = mono_ms();
    if (sqlite_backup(db, argv[2], &bytes, err, sizeof err) != TGR_OK) {
        fprintf(stderr, "tgr: %s\n", err);
        return 1;
    }
    printf("backed up %s to %s: %lld bytes in %lld ms\n", db, argv[2], (long long)bytes,
           (long long)(mono_ms() - t0));
    return 0;
}

static int cmd_restore(int argc, char **argv)
{
    if (wants_help(argc, argv, 2)) {
        printf("Usage: tgr restore FILE [--data DIR] [--db sqlite:PATH]\n"
               "Puts a backup made by 'tgr backup' into an empty data directory. The master key of the\n"
               "backed-up installation must be there first (DATA/master.key or TGR_MASTER_KEY): the\n"
               "restore checks that it opens the backup. Campaigns resume where the backup left them;\n"
               "messages sent after the backup are not sent twice (Telegram sees the same random_id).\n");
        return 0;
    }
    if (argc < 3 || strncmp(argv[2], "--", 2) == 0) return usage_error("restore", "missing the backup FILE");
    struct config c;
    char err[512], db[4200], tmp[4300];
    if (config_init(&c, err, sizeof err) != TGR_OK ||
        config_parse_args(&c, argc, argv, 3, CONFIG_FOR_STORE, NULL, NULL, err, sizeof err) != TGR_OK)
        return usage_error("restore", err);
    apply_log_level(&c);
    if (sqlite_path(&c, "restore", db, sizeof db) != TGR_OK) return 2;
    int version = 0;
    if (sqlite_backup_check(argv[2], &version, err, sizeof err) != TGR_OK) {
        fprintf(stderr, "tgr: %s\n", err);
        return 1;
    }
    int known = 0;
    while (sqlite_migrations[known])
        known++;
    if (version > known) {
        fprintf(stderr,
                "tgr: the backup is from a newer tgr (schema %d, this one knows %d); restore it with that\n",
                version, known);
        return 1;
    }
    if (access(db, F_OK) == 0) {
        fprintf(stderr, "tgr: %s already exists: restore goes into an empty data directory\n", db);
        return 1;
    }
    if (ensure_data_dir(c.data_dir) != TGR_OK) return 1;
    struct keyring kr;
    if (keyring_load(&kr, c.data_dir, 0, err, sizeof err) != TGR_OK) {
        fprintf(stderr,
                "tgr: %s — put the master key of the backed-up installation in %s/master.key (or "
                "TGR_MASTER_KEY) first\n",
                err, c.data_dir);
        return 1;
    }
    char table[64], column[64], rk[64];
    unsigned char *ct = NULL;
    size_t ctlen = 0;
    int key_ok = 1;
    if (sqlite_backup_probe(argv[2], table, column, rk, sizeof table, &ct, &ctlen) == TGR_OK && ct) {
        char *plain = NULL;
        size_t plen = 0;
        key_ok = seal_open(&kr, table, column, rk, ct, ctlen, &plain, &plen) == TGR_OK;
        if (plain) {
            sodium_memzero(plain, plen);
            free(plain);
        }
    }
    free(ct);
    keyring_clear(&kr);
    if (!key_ok) {
        fprintf(stderr,
                "tgr: the master key in %s does not open this backup; use the key of the installation "
                "it was taken from\n",
                c.data_dir);
        return 1;
    }
    snprintf(tmp, sizeof tmp, "%s.restore", db);
    int64_t bytes = 0;
    if (sqlite_backup(argv[2], tmp, &bytes, err, sizeof err) != TGR_OK || rename(tmp, db) != 0) {
        fprintf(stderr, "tgr: %s\n", err[0] ? err : strerror(errno));
        unlink(tmp);
        return 1;
    }
    struct store *st = open_store(&c); /* brings an older backup's schema up to date */
    if (!st) return 1;
    st->close(st);
    printf("restored %s into %s: %lld bytes, schema %d; start the server to resume\n", argv[2], db,
           (long long)bytes, version);
    return 0;
}

/* ---- tgr account create ----------------------------------------------------------------- */

/* Read a password from a file ("-" = stdin): the first line, without its line ending. */
static int read_password(const char *path, char *out, size_t cap)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        fprintf(stderr, "tgr: cannot read the password file %s: %s\n", path, strerror(errno));
        return TGR_ERR;
    }
    int ok = fgets(out, (int)cap, f) != NULL;
    if (f != stdin) fclose(f);
    if (!ok) {
        fprintf(stderr, "tgr: the password file %s is empty\n", path);
        return TGR_ERR;
    }
    out[strcspn(out, "\r\n")] = 0;
    return TGR_OK;
}

static int cmd_account(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[2], "create") != 0) {
        if (wants_help(argc, argv, 2)) {
            printf("Usage: tgr account create --email E --password-file F [options]\n");
            return 0;
        }
        return usage_error("account", argc < 3 ? "missing subcommand; the only one is 'create'"
                                               : "unknown subcommand; the only one is 'create'");
    }
    if (wants_help(argc, argv, 3)) {
        printf("Usage: tgr account create --email E --password-file F [options]\n"
               "Creates an account and prints its API key on stdout, once; it cannot be shown again.\n"
               "F is a file whose first line is the password (at least %d characters); '-' reads stdin.\n\n",
               PASSWORD_MIN_LEN);
        config_usage(stdout, CONFIG_FOR_STORE);
        return 0;
    }
    struct config c;
    char err[256];
    const char *extra[2] = {NULL, NULL};
    if (config_init(&c, err, sizeof err) != TGR_OK ||
        config_parse_args(&c, argc, argv, 3, CONFIG_FOR_STORE, "--email,--password-file", extra, err,
                          sizeof err) != TGR_OK)
        return usage_error("account create", err);
    if (!extra[0] || !extra[1])
        return usage_error("account create", "--email and --password-file are both required");
    apply_log_level(&c);
    char password[PASSWORD_MAX_LEN + 2];
    if (read_password(extra[1], password, sizeof password) != TGR_OK)
        return 2; /* a bad argument: the file named is missing or empty */
    if (ensure_data_dir(c.data_dir) != TGR_OK) return 1;
    struct keyring kr;
    if (load_keys(&kr, &c) != TGR_OK) return 1;
    struct store *st = open_store(&c);
    if (!st) return 1;
    char key[ACCOUNT_API_KEY_LEN + 1];
    int64_t id = 0;
    enum db_status r = account_create(st, &kr, extra[0], password, key, &id, err, sizeof err);
    sodium_memzero(password, sizeof password);
    st->close(st);
    keyring_clear(&kr);
    if (r != DB_ONE) {
        fprintf(stderr, "tgr: %s\n", err);
        return r == DB_NONE ? 2 : 1;
    }
    /* Only the key goes to stdout, so scripts can capture it; the explanation goes to stderr. */
    printf("%s\n", key);
    fflush(stdout);
    fprintf(stderr, "created account %lld (%s); the API key above is shown this once\n", (long long)id,
            extra[0]);
    sodium_memzero(key, sizeof key);
    return 0;
}

/* ---- tgr import orders ------------------------------------------------------------------ */

static void import_progress(void *ctx, long line, size_t done, size_t total)
{
    int *tty = ctx;
    if (*tty) fprintf(stderr, "\rimporting: line %ld, %3d%%", line, total ? (int)(done * 100 / total) : 100);
}

static int cmd_import(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[2], "orders") != 0 || wants_help(argc, argv, 2)) {
        if (wants_help(argc, argv, 2)) {
            printf(
                "Usage: tgr import orders FILE.csv --account ID [--data DIR] [--db URL]\n"
                "Imports shop orders (columns order_id,amount,currency,status,created_at,telegram_user_id,\n"
                "phone,username,discount_code,ref). Repeated orders change nothing; refunds reverse.\n");
            return 0;
        }
        return usage_error("import", "the only import is 'orders FILE.csv --account ID'");
    }
    if (argc < 4 || strncmp(argv[3], "--", 2) == 0)
        return usage_error("import orders", "missing the CSV file");
    struct app app;
    struct keyring keys;
    memset(&app, 0, sizeof app);
    memset(&keys, 0, sizeof keys);
    app.kr = &keys;
    char err[256];
    const char *extra[1] = {NULL};
    if (config_init(&app.cfg, err, sizeof err) != TGR_OK ||
        config_parse_args(&app.cfg, argc, argv, 4, CONFIG_FOR_STORE, "--account", extra, err, sizeof err) !=
            TGR_OK)
        return usage_error("import orders", err);
    int64_t account_id;
    if (!extra[0] || parse_i64(extra[0], 1, INT64_MAX, &account_id) != TGR_OK)
        return usage_error("import orders", "--account ID is required (the account's number)");
    apply_log_level(&app.cfg);
    /* The file is read as it is imported, in chunks: its size is not limited by memory. */
    FILE *in = fopen(argv[3], "rb");
    struct stat sb;
    if (!in || fstat(fileno(in), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fprintf(stderr, "tgr: cannot read %s: %s\n", argv[3], in ? "not a regular file" : strerror(errno));
        if (in) fclose(in);
        return 2;
    }
    if (ensure_data_dir(app.cfg.data_dir) != TGR_OK || load_keys(app.kr, &app.cfg) != TGR_OK) {
        fclose(in);
        return 1;
    }
    app.store = open_store(&app.cfg);
    if (!app.store) {
        fclose(in);
        return 1;
    }
    char path[CONFIG_PATH_MAX + 32];
    source_path("share/lexicon.json", path, sizeof path);
    app.lexicon = lexicon_load(path, err, sizeof err);
    int rc = 0;
    struct account a;
    if (app.store->account_get(app.store, account_id, &a) != DB_ONE) {
        fprintf(stderr, "tgr: there is no account %lld\n", (long long)account_id);
        rc = 2;
    } else {
        int tty = isatty(STDERR_FILENO);
        struct import_result res;
        size_t size = (size_t)sb.st_size;
        if (orders_import_csv(&app, account_id, in, size, import_progress, &tty, &res) != TGR_OK) {
            fprintf(stderr, "%stgr: %s: %s\n", tty ? "\n" : "", argv[3],
                    res.n_errors ? res.errors[0].message : "?");
            rc = 1;
        } else {
            if (tty) fputc('\n', stderr);
            for (size_t i = 0; i < res.n_errors; i++)
                fprintf(stderr, "%s:%ld: %s\n", argv[3], res.errors[i].line, res.errors[i].message);
            if (res.errors_total > (long)res.n_errors)
                fprintf(stderr, "… and %ld more errors\n", res.errors_total - (long)res.n_errors);
            printf("%ld imported, %ld skipped (already known), %ld errors\n", res.imported, res.skipped,
                   res.errors_total);
            rc = res.errors_total ? 1 : 0;
        }
        import_result_release(&res);
    }
    fclose(in);
    lexicon_free(app.lexicon);
    app.store->close(app.store);
    keyring_clear(app.kr);
    return rc;
}

/* ---- tgr keys ------------------------------------------------------------------------- */

/* tgr keys rotate [--prepare] [--batch N] | status [--json] | retire ID — see core/rotate.h. */
static int cmd_keys(int argc, char **argv)
{
    const char *sub = argc > 2 ? argv[2] : "";
    int is_rotate = !strcmp(sub, "rotate"), is_status = !strcmp(sub, "status"),
        is_retire = !strcmp(sub, "retire");
    if (wants_help(argc, argv, 2) || (!is_rotate && !is_status && !is_retire)) {
        if (!wants_help(argc, argv, 2))
            return usage_error("keys", "the subcommands are rotate, status and retire ID");
        printf(
            "Usage: tgr keys rotate [--prepare] [--batch N] [options]\n"
            "       tgr keys status [--json] [options]\n"
            "       tgr keys retire ID [options]\n"
            "rotate makes a new master key (DATA/master.<id>.key) current for every instance on the "
            "database\n"
            "and re-seals every sealed value with it, N (500) per transaction, while servers keep running;\n"
            "run again, it resumes. --prepare only makes the key file, to copy to other hosts first.\n"
            "status counts sealed values per key id; retire removes a key no value uses any more.\n\n");
        config_usage(stdout, CONFIG_FOR_STORE);
        return 0;
    }
    unsigned retire_id = 0;
    int first = 3;
    if (is_retire) {
        int64_t v;
        if (argc < 4 || parse_i64(argv[3], 1, 255, &v) != TGR_OK)
            return usage_error("keys retire", "give the key id to retire (1-255)");
        retire_id = (unsigned)v;
        first = 4;
    }
    /* Bare flags of this command are taken out before the shared option parser sees argv. */
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args) return 1;
    int n = 0, prepare = 0, json = 0;
    for (int i = 0; i < argc; i++) {
        if (i >= first && is_rotate && !strcmp(argv[i], "--prepare"))
            prepare = 1;
        else if (i >= first && is_status && !strcmp(argv[i], "--json"))
            json = 1;
        else
            args[n++] = argv[i];
    }
    struct config c;
    char err[256];
    const char *extra[1] = {NULL};
    int rc = 1;
    if (config_init(&c, err, sizeof err) != TGR_OK ||
        config_parse_args(&c, n, args, first, CONFIG_FOR_STORE, is_rotate ? "--batch" : NULL, extra, err,
                          sizeof err) != TGR_OK) {
        free(args);
        return usage_error("keys", err);
    }
    free(args);
    int64_t batch = KEYS_BATCH_DEFAULT;
    if (extra[0] && parse_i64(extra[0], 1, 100000, &batch) != TGR_OK)
        return usage_error("keys rotate", "--batch takes a number of rows (1-100000)");
    apply_log_level(&c);
    struct keyring kr;
    if (keyring_load(&kr, c.data_dir, 0, err, sizeof err) != TGR_OK) {
        fprintf(stderr, "tgr: %s\n", err);
        return 1;
    }
    struct store *st = open_store(&c);
    if (st) {
        if (is_rotate)
            rc = keys_rotate(&kr, st, c.data_dir, prepare, (int)batch, stdout);
        else if (is_status)
            rc = keys_status(&kr, st, c.data_dir, json, stdout);
        else
            rc = keys_retire(&kr, st, c.data_dir, retire_id, stdout);
        st->close(st);
    }
    keyring_clear(&kr);
    return rc;
}

/* ---- tgr serve -------------------------------------------------------------------------- */

static int cmd_serve(int argc, char **argv)
{
    if (wants_help(argc, argv, 2)) {
        printf(
            "Usage: tgr serve [options]\nRuns the HTTP server, the send engine and the Telegram bridge.\n\n");
        config_usage(stdout, CONFIG_FOR_SERVE);
        return 0;
    }
    struct app app;
    struct keyring keys;
    memset(&app, 0, sizeof app);
    memset(&keys, 0, sizeof keys);
    app.kr = &keys;
    char err[256];
    if (config_init(&app.cfg, err, sizeof err) != TGR_OK ||
        config_parse_args(&app.cfg, argc, argv, 2, CONFIG_FOR_SERVE, NULL, NULL, err, sizeof err) != TGR_OK)
        return usage_error("serve", err);
    if (metrics_token_load(app.metrics_token_hash, &app.metrics_token_set, err, sizeof err) != TGR_OK)
        return usage_error("serve", err);
    apply_log_level(&app.cfg);
    sdnotify_init(); /* before the bridge is spawned and before any thread */
    if (ensure_data_dir(app.cfg.data_dir) != TGR_OK) return 1;
    /* A wrong --media or S3 setting is a usage error (found before a master key is made); a local
     * directory that cannot be made only disables media, as before there was a choice. */
    app.media = blobstore_open(app.cfg.media, app.cfg.data_dir, err, sizeof err);
    if (!app.media && (errno == EINVAL || strcmp(app.cfg.media, "local") != 0)) {
        if (errno == EINVAL) return usage_error("serve", err);
        fprintf(stderr, "tgr: %s\n", err);
        return 1;
    }
    if (!app.media) log_error("serve", "media uploads are unavailable: %s", err);
    if (load_keys(app.kr, &app.cfg) != TGR_OK) {
        if (app.media) app.media->close(app.media);
        return 1;
    }
    app.store = open_store(&app.cfg);
    if (!app.store) {
        if (app.media) app.media->close(app.media);
        keyring_clear(app.kr);
        return 1;
    }

    /* Signals are taken by sigwait() in this thread only; every thread started below inherits
     * the blocked mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    int rc = 1;
    struct keys_watch *keys_watch =
        keys_watch_start(app.kr, app.store, app.cfg.data_dir); /* `tgr keys rotate` */
    app.routes = api_routes;
    /* The built web app: as given, or beside the binary's source tree (build/tgr → ../web/dist). */
    {
        char web[CONFIG_PATH_MAX + 32];
        source_path(app.cfg.web_dir, web, sizeof web);
        snprintf(app.cfg.web_dir, sizeof app.cfg.web_dir, "%s", web);
    }
    char path[CONFIG_PATH_MAX + 32];
    source_path("share/lexicon.json", path, sizeof path);
    app.lexicon = lexicon_load(path, err, sizeof err);
    if (!app.lexicon) log_error("serve", "customer categories fall back to browser: %s", err);
    app.hash_pool = worker_pool_new(app.cfg.hash_workers, 64, 0);
    struct loginlimit_config login_cfg = {
        .per_addr = app.cfg.rate_login_ip,
        .per_email_addr = app.cfg.rate_login,
        .per_email_hour = app.cfg.rate_login_email,
    };
    app.login_limits = loginlimit_new(&login_cfg);
    app.rl_api = ratelimit_new(app.cfg.rate_api, app.cfg.rate_api, 100000);
    app.rl_session = ratelimit_new(app.cfg.rate_session, app.cfg.rate_session, 100000);
    app.metrics = metrics_new(api_routes);
    /* Tests only (with TGR_TEST_MODE=1): TGR_TEST_TG_POOL="<threads>,<queue>" shrinks the Telegram
     * pool, so a test can fill its queue with a handful of accounts (test_scaleout's Rebalance). */
    int tg_threads = 4, tg_queue = 256;
    const char *tg_pool = getenv("TGR_TEST_TG_POOL"), *test_mode = getenv("TGR_TEST_MODE");
    if (tg_pool && test_mode && strcmp(test_mode, "1") == 0 &&
        (sscanf(tg_pool, "%d,%d", &tg_threads, &tg_queue) != 2 || tg_threads < 1 || tg_queue < 1)) {
        tg_threads = 4;
        tg_queue = 256;
    }
    app.tg_pool = worker_pool_new(tg_threads, tg_queue, 2);
    struct http_server *http = NULL;
    struct demo *demo = NULL;
    struct deliverer *hooks = NULL;
    if (strcmp(app.cfg.telegram, "sim") == 0) demo_read_sim_login(&app);
    /* Without a working bridge the server still serves everything but Telegram (503 there). */
    app.engine = engine_start(&app, err, sizeof err);
    if (!app.engine) log_error("serve", "Telegram is unavailable: %s", err);
    if (!app.tg_pool || !app.hash_pool || !app.login_limits || !app.rl_api || !app.rl_session ||
        !app.metrics) {
        fprintf(stderr, "tgr: out of memory\n");
        goto out;
    }
    sse_init();
    app.clicks = clicks_start(app.store);
    if (!app.clicks) {
        fprintf(stderr, "tgr: out of memory\n");
        goto out;
    }
    /* Outgoing webhooks, under this instance's name among several (the cluster's), so that a
     * restart takes back its own claims at once. Without it they wait in the outbox. */
    hooks = deliver_start(&app, app.cluster              ? cluster_instance(app.cluster)
                                : app.cfg.instance_id[0] ? app.cfg.instance_id
                                                         : NULL);
    http = http_start(&app, err, sizeof err);
    if (!http) {
        fprintf(stderr, "tgr: %s\n", err);
        goto out;
    }
    if (!app.cfg.public_url[0])
        snprintf(app.cfg.public_url, sizeof app.cfg.public_url, "http://%s:%d", app.cfg.listen_host,
                 http_port(http));
    printf("listening on http://%s:%d\n", app.cfg.listen_host, http_port(http));
    if (app.cfg.demo) {
        demo_setup(&app);
        demo_telegram_hint(&app.cfg);
        if (app.engine && strcmp(app.cfg.telegram, "sim") == 0) demo = demo_start(&app);
    }
    fflush(stdout);
    log_info("serve", "tgr %s (%s) serving on port %d, data in %s, %s store", tgr_version, tgr_commit,
             http_port(http), app.cfg.data_dir, app.store->backend);
    {
        char ready[96];
        snprintf(ready, sizeof ready, "READY=1\nSTATUS=serving on port %d", http_port(http));
        sdnotify(ready);
    }

    int sig = 0;
    sigwait(&sigs, &sig);
    sdnotify("STOPPING=1");
    log_info("serve", "%s: finishing in-flight requests and stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    rc = 0;
out:
    /* Order: stop taking requests and let them finish; stop the bridge (failing any Telegram
     * call still waiting); drain the worker pools (they resume their suspended requests); then
     * stop the HTTP threads and close the store. */
    sse_shutdown(); /* event streams end, so they do not hold up the graceful stop */
    http_quiesce(http, 10000);
    deliver_stop(hooks); /* a request in flight is cut off; its delivery waits for the restart */
    engine_stop(app.engine);
    demo_stop(demo); /* after the bridge: a call it waits on returns at once */
    worker_pool_free(app.tg_pool);
    worker_pool_free(app.hash_pool);
    http_stop(http, 3000);
    clicks_stop(app.clicks); /* writes the clicks still queued */
    engine_free(app.engine);
    keys_watch_stop(keys_watch);
    loginlimit_free(app.login_limits);
    ratelimit_free(app.rl_api);
    ratelimit_free(app.rl_session);
    metrics_free(app.metrics);
    app.store->close(app.store);
    if (app.media) app.media->close(app.media);
    lexicon_free(app.lexicon);
    keyring_clear(app.kr);
    if (rc == 0) log_info("serve", "stopped cleanly");
    return rc;
}

int main(int argc, char **argv)
{
    /* Everything tgr writes (database, keys, media) is private to its user. */
    umask(077);
    if (sodium_init() < 0) {
        fprintf(stderr, "tgr: libsodium failed to initialise\n");
        return 1;
    }
    if (argc < 2) return usage_error(NULL, "missing command");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage_top, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("tgr %s (%s)\n", tgr_version, tgr_commit);
        return 0;
    }
    if (!strcmp(cmd, "serve")) return cmd_serve(argc, argv);
    if (!strcmp(cmd, "migrate")) return cmd_migrate(argc, argv);
    if (!strcmp(cmd, "account")) return cmd_account(argc, argv);
    if (!strcmp(cmd, "import")) return cmd_import(argc, argv);
    if (!strcmp(cmd, "keys")) return cmd_keys(argc, argv);
    if (!strcmp(cmd, "backup")) return cmd_backup(argc, argv);
    if (!strcmp(cmd, "restore")) return cmd_restore(argc, argv);
    if (!strcmp(cmd, "doctor")) return cmd_doctor(argc, argv);
    char msg[128];
    snprintf(msg, sizeof msg, "unknown command '%.40s'", cmd);
    return usage_error(NULL, msg);
}
