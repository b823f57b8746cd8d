/* config — every setting of tgr, from flags, environment variables and defaults (DESIGN §7).
 *
 * Each option has a flag and an environment variable (--data ↔ TGR_DATA); a flag wins over
 * the variable, the variable over the default. The table in config.c is the only list of
 * options: --help, the README and the parser all come from it. */
#ifndef TGR_CONFIG_H
#define TGR_CONFIG_H

#include <stdio.h>

#define CONFIG_PATH_MAX 1024

struct config {
    char listen[300];      /* HOST:PORT as given */
    char listen_host[256]; /* parsed */
    int listen_port;
    char data_dir[CONFIG_PATH_MAX];
    char db_url[CONFIG_PATH_MAX];
    char media[CONFIG_PATH_MAX]; /* "local" or "s3://BUCKET[/PREFIX]" */
    char telegram[16];           /* "sim" or "gramjs" */
    char sim_scenario[CONFIG_PATH_MAX];
    char public_url[512];
    double send_rate;
    char web_dir[CONFIG_PATH_MAX];
    char node[CONFIG_PATH_MAX];          /* the Node.js binary */
    char bridge_script[CONFIG_PATH_MAX]; /* bridge/main.mjs; empty = next to the build */
    int threads;                         /* HTTP polling threads */
    int max_connections;                 /* open HTTP connections at most (MHD_OPTION_CONNECTION_LIMIT) */
    int max_connections_per_ip;          /* per client address; 0 = no cap */
    int request_timeout;                 /* seconds of silence before a connection is closed */
    int max_header_bytes;                /* per-connection memory for request line and headers */
    int max_json_depth;                  /* nesting of a JSON body */
    int max_streams;                     /* live log streams (SSE) open at once per account */
    int stream_keepalive;                /* seconds between keep-alive comments on a quiet stream */
    int stream_max_age;   /* seconds a stream lasts at most (one of a token: until its exp if sooner) */
    int hash_workers;     /* concurrent Argon2id computations */
    int rate_api;         /* requests per minute per account */
    int rate_login;       /* failed logins per minute per (email, address) */
    int rate_login_ip;    /* failed logins per minute per address */
    int rate_login_email; /* failed logins per hour per email from untrusted clients */
    int rate_session;     /* /session/connect and /session/verify per minute per account */
    int demo;             /* create (once) and print the demo login */
    char instance_id[64]; /* this instance's name in engine leases; empty = host + data dir */
    int lease_seconds;    /* how long a sending lease lasts without renewal */
    char log_level[16];
    char log_format[8]; /* "text" or "json" */

    /* outgoing webhooks (issue 19) */
    int webhooks_allow_private; /* they may go to loopback and private addresses */
    int webhook_retry_base_ms;  /* a failed one is first tried again after this long (doubling) */
    char trusted_proxies[1024]; /* addresses and CIDRs whose X-Forwarded-For is believed (http/clientip.h) */
};

/* Which options a command takes (bit mask of CONFIG_FOR_*). */
#define CONFIG_FOR_SERVE 1
#define CONFIG_FOR_STORE 2 /* commands that open the store: serve, migrate, account create, … */

/* Fill defaults, then environment variables, for every option.
 * @return TGR_OK, or TGR_ERR with a one-line reason in err (a bad environment value) */
int config_init(struct config *c, char *err, size_t errlen);

/* Apply the flags in argv[first..argc) that belong to command mask `for_mask`. Flags not in
 * the table are left for the caller only if `extra` lists them ("--email,--password-file").
 * Both "--flag value" and "--flag=value" work.
 * @param[out] rest receives indexes of the extra flags' values, in order: rest[k] for extra k
 * @return TGR_OK, or TGR_ERR with a one-line reason in err */
int config_parse_args(struct config *c, int argc, char **argv, int first, unsigned for_mask,
                      const char *extra, const char **rest, char *err, size_t errlen);

/* Print the option list of for_mask (flag, variable, default, help) for --help. */
void config_usage(FILE *out, unsigned for_mask);

#endif
