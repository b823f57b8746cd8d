/* log — the one way tgr writes diagnostics: one line per event on stderr,
 * "2026-11-25T08:49:04Z level module: message". Never pass secrets, SQL or stack traces here;
 * these lines end up in shop owners' terminals and log collectors. */
#ifndef TGR_LOG_H
#define TGR_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below this level are dropped. Default LOG_INFO; TGR_LOG_LEVEL=debug lowers it. */
void log_set_level(enum log_level lvl);

/* Write one line. Thread-safe: a line is written with one write(2). */
void log_msg(enum log_level lvl, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(mod, ...) log_msg(LOG_DEBUG, mod, __VA_ARGS__)
#define log_info(mod, ...)  log_msg(LOG_INFO, mod, __VA_ARGS__)
#define log_warn(mod, ...)  log_msg(LOG_WARN, mod, __VA_ARGS__)
#define log_error(mod, ...) log_msg(LOG_ERROR, mod, __VA_ARGS__)

#endif
