/* config — the option table and its parser; see config.h. */
#include "base/config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

enum otype { O_STR, O_INT, O_DOUBLE, O_BOOL };

struct option_def {
    const char *flag;
    const char *env;
    enum otype type;
    size_t offset, size;
    const char *def;
    unsigned for_mask;
    double min, max;
    const char *help;
};

#define STR(field)    O_STR, offsetof(struct config, field), sizeof(((struct config *)0)->field)
#define NUM(t, field) t, offsetof(struct config, field), sizeof(((struct config *)0)->field)
#define SERVE         CONFIG_FOR_SERVE
#define STORE         CONFIG_FOR_STORE

static const struct option_def options[] = {
    {"--listen", "TGR_LISTEN", STR(listen), "127.0.0.1:8080", SERVE, 0, 0,
     "address to serve HTTP on; port 0 picks a free port"},
    {"--data", "TGR_DATA", STR(data_dir), "./data", SERVE | STORE, 0, 0,
     "directory for the database, media and the master key"},
    {"--db", "TGR_DB", STR(db_url), "", SERVE | STORE, 0, 0,
     "database: sqlite:PATH or postgres://… (default: sqlite:DATA/tgr.db)"},
    {"--media", "TGR_MEDIA", STR(media), "local", SERVE, 0, 0,
     "where media lives: local (DATA/media) or s3://BUCKET[/PREFIX] (endpoint, region and keys from "
     "TGR_S3_ENDPOINT, TGR_S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"},
    {"--telegram", "TGR_TELEGRAM", STR(telegram), "sim", SERVE, 0, 0,
     "sim (simulated Telegram) or gramjs (real; needs TG_API_ID and TG_API_HASH)"},
    {"--sim-scenario", "TGR_SIM_SCENARIO", STR(sim_scenario), "scenarios/demo.json", SERVE, 0, 0,
     "scenario file of the simulated Telegram"},
    {"--public-url", "TGR_PUBLIC_URL", STR(public_url), "", SERVE, 0, 0,
     "public base URL of tracking links (default: http://LISTEN)"},
    {"--send-rate", "TGR_SEND_RATE", NUM(O_DOUBLE, send_rate), "1", SERVE, 0.01, 30,
     "messages per second per Telegram account"},
    {"--web", "TGR_WEB", STR(web_dir), "web/dist", SERVE, 0, 0, "directory of the built web app"},
    {"--node", "TGR_NODE", STR(node), "node", SERVE, 0, 0, "the Node.js binary that runs the bridge"},
    {"--bridge", "TGR_BRIDGE", STR(bridge_script), "", SERVE, 0, 0,
     "the bridge's main.mjs (default: bridge/main.mjs of this source tree)"},
    {"--threads", "TGR_THREADS", NUM(O_INT, threads), "2", SERVE, 1, 64, "HTTP threads"},
    {"--max-connections", "TGR_MAX_CONNECTIONS", NUM(O_INT, max_connections), "1000", SERVE, 1, 100000,
     "open HTTP connections at most; past it new ones wait in the listen queue"},
    {"--max-connections-per-ip", "TGR_MAX_CONNECTIONS_PER_IP", NUM(O_INT, max_connections_per_ip), "64",
     SERVE, 0, 100000,
     "open HTTP connections per client address; past it a new one is closed at once (0 = no cap)"},
    {"--request-timeout", "TGR_REQUEST_TIMEOUT", NUM(O_INT, request_timeout), "30", SERVE, 1, 3600,
     "seconds an HTTP connection may stay silent (mid-request or idle keep-alive) before it is closed"},
    {"--max-header-bytes", "TGR_MAX_HEADER_BYTES", NUM(O_INT, max_header_bytes), "16384", SERVE, 8192,
     1048576, "memory for one connection's request line and headers; larger ones get 431"},
    {"--max-json-depth", "TGR_MAX_JSON_DEPTH", NUM(O_INT, max_json_depth), "32", SERVE, 1, 32,
     "nesting of arrays and objects allowed in a JSON body; deeper is a 400"},
    {"--max-streams-per-account", "TGR_MAX_STREAMS_PER_ACCOUNT", NUM(O_INT, max_streams), "5", SERVE, 1, 1000,
     "live log streams one account may hold open at once; the next gets 429 too_many_streams"},
    {"--stream-keepalive", "TGR_STREAM_KEEPALIVE", NUM(O_INT, stream_keepalive), "15", SERVE, 1, 300,
     "seconds between keep-alive comments on a quiet live log stream"},
    {"--stream-max-age", "TGR_STREAM_MAX_AGE", NUM(O_INT, stream_max_age), "43200", SERVE, 1, 43200,
     "seconds a live log stream lasts at most; one opened with a token ends sooner when the token expires"},
    {"--hash-workers", "TGR_HASH_WORKERS", NUM(O_INT, hash_workers), "2", SERVE, 1, 16,
     "password hashes computed at once (each takes 64 MiB)"},
    {"--rate-api", "TGR_RATE_API", NUM(O_INT, rate_api), "600", SERVE, 0, 1000000,
     "API requests per minute per account (0 = unlimited)"},
    {"--rate-login", "TGR_RATE_LOGIN", NUM(O_INT, rate_login), "10", SERVE, 0, 1000000,
     "failed logins per minute per email and client address (IPv6: per /64) (0 = no limit)"},
    {"--rate-login-ip", "TGR_RATE_LOGIN_IP", NUM(O_INT, rate_login_ip), "30", SERVE, 0, 1000000,
     "failed logins per minute per client address (IPv6: per /64), whatever the email (0 = no limit)"},
    {"--rate-login-email", "TGR_RATE_LOGIN_EMAIL", NUM(O_INT, rate_login_email), "50", SERVE, 0, 1000000,
     "failed logins per hour per email from all addresses; a browser or address that logged in to it "
     "before is not held to it (0 = no limit)"},
    {"--rate-session", "TGR_RATE_SESSION", NUM(O_INT, rate_session), "10", SERVE, 0, 1000000,
     "Telegram login requests per minute per account"},
    {"--demo", "TGR_DEMO", NUM(O_BOOL, demo), "0", SERVE, 0, 1,
     "create a demo account on first start and print its login"},
    {"--instance-id", "TGR_INSTANCE_ID", STR(instance_id), "", SERVE, 0, 0,
     "this instance's name among several on one database (default: host name + data directory)"},
    {"--lease-seconds", "TGR_LEASE_SECONDS", NUM(O_INT, lease_seconds), "15", SERVE, 3, 600,
     "an account's sending moves to another instance this long after its owner stops renewing"},
    {"--webhooks-allow-private", "TGR_WEBHOOKS_ALLOW_PRIVATE", NUM(O_BOOL, webhooks_allow_private), "0",
     SERVE, 0, 1,
     "let outgoing webhooks go to loopback and private addresses (a receiver on this host or network)"},
    {"--webhook-retry-base-ms", "TGR_WEBHOOK_RETRY_BASE_MS", NUM(O_INT, webhook_retry_base_ms), "30000",
     SERVE, 1, 3600000,
     "an outgoing webhook's first retry waits this long, then twice as long each time, for 2880 times it "
     "(24 h at the default)"},
    {"--log-level", "TGR_LOG_LEVEL", STR(log_level), "info", SERVE | STORE, 0, 0,
     "debug, info, warn or error"},
    {"--log-format", "TGR_LOG_FORMAT", STR(log_format), "text", SERVE | STORE, 0, 0,
     "text (one line per event) or json (one JSON object per line)"},
    {"--trusted-proxies", "TGR_TRUSTED_PROXIES", STR(trusted_proxies), "", SERVE, 0, 0,
     "reverse proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For names the client"},
};
#define N_OPTIONS (sizeof options / sizeof options[0])

static int set(struct config *c, const struct option_def *o, const char *val, const char *origin, char *err,
               size_t errlen)
{
    char *dst = (char *)c + o->offset;
    switch (o->type) {
    case O_STR:
        if (strlen(val) >= o->size) {
            snprintf(err, errlen, "%s: value too long", origin);
            return TGR_ERR;
        }
        memcpy(dst, val, strlen(val) + 1);
        return TGR_OK;
    case O_BOOL:
        if (!strcmp(val, "1") || !strcmp(val, "true") || !strcmp(val, "yes") || !strcmp(val, "on")) {
            *(int *)dst = 1;
        } else if (!strcmp(val, "0") || !strcmp(val, "false") || !strcmp(val, "no") || !strcmp(val, "off") ||
                   !*val) {
            *(int *)dst = 0;
        } else {
            snprintf(err, errlen, "%s: expected true or false, got '%.40s'", origin, val);
            return TGR_ERR;
        }
        return TGR_OK;
    case O_INT: {
        int64_t v;
        if (parse_i64(val, (int64_t)o->min, (int64_t)o->max, &v) != TGR_OK) {
            snprintf(err, errlen, "%s: expected a whole number from %lld to %lld, got '%.40s'", origin,
                     (long long)o->min, (long long)o->max, val);
            return TGR_ERR;
        }
        *(int *)dst = (int)v;
        return TGR_OK;
    }
    case O_DOUBLE: {
        char *end = NULL;
        double v = strtod(val, &end);
        if (!*val || *end || !(v >= o->min && v <= o->max)) {
            snprintf(err, errlen, "%s: expected a number from %g to %g, got '%.40s'", origin, o->min, o->max,
                     val);
            return TGR_ERR;
        }
        *(double *)dst = v;
        return TGR_OK;
    }
    }
    return TGR_ERR;
}

/* Checks that need several options at once, and derived fields. */
static int finish(struct config *c, char *err, size_t errlen)
{
    const char *colon = strrchr(c->listen, ':');
    int64_t port;
    if (!colon || colon == c->listen || parse_i64(colon + 1, 0, 65535, &port) != TGR_OK ||
        (size_t)(colon - c->listen) >= sizeof c->listen_host) {
        snprintf(err, errlen, "--listen: expected HOST:PORT, got '%.60s'", c->listen);
        return TGR_ERR;
    }
    memcpy(c->listen_host, c->listen, (size_t)(colon - c->listen));
    c->listen_host[colon - c->listen] = 0;
    c->listen_port = (int)port;
    if (strcmp(c->telegram, "sim") != 0 && strcmp(c->telegram, "gramjs") != 0) {
        snprintf(err, errlen, "--telegram: expected sim or gramjs, got '%.40s'", c->telegram);
        return TGR_ERR;
    }
    if (strcmp(c->log_level, "debug") && strcmp(c->log_level, "info") && strcmp(c->log_level, "warn") &&
        strcmp(c->log_level, "error")) {
        snprintf(err, errlen, "--log-level: expected debug, info, warn or error, got '%.40s'", c->log_level);
        return TGR_ERR;
    }
    if (strcmp(c->log_format, "text") && strcmp(c->log_format, "json")) {
        snprintf(err, errlen, "--log-format: expected text or json, got '%.40s'", c->log_format);
        return TGR_ERR;
    }
    if (strcmp(c->media, "local") != 0 &&
        (strncmp(c->media, "s3://", 5) != 0 || !c->media[5] || c->media[5] == '/')) {
        snprintf(err, errlen, "--media: expected local or s3://BUCKET[/PREFIX], got '%.60s'", c->media);
        return TGR_ERR;
    }
    if (c->max_connections < c->threads) {
        snprintf(err, errlen, "--max-connections: must be at least --threads (%d)", c->threads);
        return TGR_ERR;
    }
    if (!c->data_dir[0]) {
        snprintf(err, errlen, "--data: must not be empty");
        return TGR_ERR;
    }
    /* Tests only (README "Telegram at the wire"): the GramJS bridge talks to a loopback MTProto
     * server instead of Telegram. Never without TGR_TEST_MODE=1. */
    const char *test_dc = getenv("TGR_GRAMJS_TEST_DC");
    const char *test_mode = getenv("TGR_TEST_MODE");
    if (test_dc && *test_dc && !(test_mode && strcmp(test_mode, "1") == 0)) {
        snprintf(err, errlen, "TGR_GRAMJS_TEST_DC is for tests only and needs TGR_TEST_MODE=1");
        return TGR_ERR;
    }
    return TGR_OK;
}

int config_init(struct config *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (set(c, &options[i], options[i].def, options[i].flag, err, errlen) != TGR_OK) return TGR_ERR;
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const char *v = getenv(options[i].env);
        if (v && set(c, &options[i], v, options[i].env, err, errlen) != TGR_OK) return TGR_ERR;
    }
    return finish(c, err, errlen);
}

int config_parse_args(struct config *c, int argc, char **argv, int first, unsigned for_mask,
                      const char *extra, const char **rest, char *err, size_t errlen)
{
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) {
            snprintf(err, errlen, "unexpected argument '%.60s'", arg);
            return TGR_ERR;
        }
        char name[64];
        const char *eq = strchr(arg, '=');
        size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
        if (nlen >= sizeof name) {
            snprintf(err, errlen, "unknown option '%.60s'", arg);
            return TGR_ERR;
        }
        memcpy(name, arg, nlen);
        name[nlen] = 0;
        const struct option_def *o = NULL;
        for (size_t k = 0; k < N_OPTIONS; k++)
            if ((options[k].for_mask & for_mask) && !strcmp(options[k].flag, name)) o = &options[k];
        int extra_idx = -1;
        if (!o && extra) {
            int k = 0;
            for (const char *p = extra; *p; k++) {
                size_t l = strcspn(p, ",");
                if (l == nlen && !strncmp(p, name, l)) extra_idx = k;
                p += l;
                if (*p == ',') p++;
            }
        }
        if (!o && extra_idx < 0) {
            snprintf(err, errlen, "unknown option '%s'", name);
            return TGR_ERR;
        }
        const char *val;
        if (eq) {
            val = eq + 1;
        } else if (o && o->type == O_BOOL && (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)) {
            val = "1"; /* a bare boolean flag */
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            snprintf(err, errlen, "option '%s' needs a value", name);
            return TGR_ERR;
        }
        if (o) {
            if (set(c, o, val, o->flag, err, errlen) != TGR_OK) return TGR_ERR;
        } else {
            rest[extra_idx] = val;
        }
    }
    return finish(c, err, errlen);
}

void config_usage(FILE *out, unsigned for_mask)
{
    fprintf(out, "Options (each also an environment variable; a flag wins):\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        if (!(options[i].for_mask & for_mask)) continue;
        if (options[i].def[0])
            fprintf(out, "  %-16s %-18s %s (default: %s)\n", options[i].flag, options[i].env, options[i].help,
                    options[i].def);
        else
            fprintf(out, "  %-16s %-18s %s\n", options[i].flag, options[i].env, options[i].help);
    }
}
