/* log — the one way tgr writes diagnostics: one line per event on stderr, either text,
 * "2026-11-25T08:49:04Z level module: message", or (--log-format json) one JSON object,
 * {"time":"2026-11-25T08:49:04.123Z","level":"info","module":"engine","message":"…","account":7}.
 * A line about one account starts its message "account N: "; the JSON form lifts N into
 * "account" and drops the prefix. Never pass secrets, a person's data (names, phones, message
 * text), SQL or stack traces here; these lines end up in shop owners' terminals, the journal and
 * log collectors. */
#ifndef TGR_LOG_H
#define TGR_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_TEXT, LOG_JSON };

/* Lines below this level are dropped. Default LOG_INFO; TGR_LOG_LEVEL=debug lowers it. */
void log_set_level(enum log_level lvl);

/* Text (the default) or JSON lines (TGR_LOG_FORMAT=json). Set once at start, before threads. */
void log_set_format(enum log_format fmt);

/* Write one line. Thread-safe: a line is written with one write(2). */
void log_msg(enum log_level lvl, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(mod, ...) log_msg(LOG_DEBUG, mod, __VA_ARGS__)
#define log_info(mod, ...)  log_msg(LOG_INFO, mod, __VA_ARGS__)
#define log_warn(mod, ...)  log_msg(LOG_WARN, mod, __VA_ARGS__)
#define log_error(mod, ...) log_msg(LOG_ERROR, mod, __VA_ARGS__)

#endif
