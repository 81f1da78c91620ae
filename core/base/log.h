/*
 * log -- the host's logger.
 *
 * Lines go to stderr as "2026-11-28T12:00:00Z LEVEL [context] message" and,
 * when syslog is enabled, to syslog too.  Each thread may set a context name
 * (the plugin it runs), which then prefixes every line that thread logs, so a
 * plugin never has to pass its own name (collectd's plugin_set_ctx).
 * Thread-safe.
 */
#ifndef IH_LOG_H
#define IH_LOG_H

#include <stdarg.h>
#include "ingesthost/plugin.h"

/* Lines above `level` (e.g. IH_LOG_INFO) are dropped. */
void ih_log_set_level(int level);
int ih_log_get_level(void);
/* The level named error, warning, notice, info or debug; -1 for another name. */
int ih_log_level_by_name(const char *name);
/* Also send lines to syslog under `ident` (daemon mode). */
void ih_log_open_syslog(const char *ident);
/* Name shown in brackets for lines from the calling thread; NULL clears.
 * The string is copied. */
void ih_log_set_context(const char *name);
const char *ih_log_get_context(void);
/* Hand every line (level, message: no stamp, no context) to `sink` instead
 * of stderr and syslog; NULL restores them.  A plugin worker sends its lines
 * to the host this way.  Set before other threads start. */
void ih_log_set_sink(void (*sink)(int level, const char *msg));

void ih_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ih_vlog(int level, const char *fmt, va_list ap);

#define ih_err(...) ih_log(IH_LOG_ERR, __VA_ARGS__)
#define ih_warn(...) ih_log(IH_LOG_WARNING, __VA_ARGS__)
#define ih_notice(...) ih_log(IH_LOG_NOTICE, __VA_ARGS__)
#define ih_info(...) ih_log(IH_LOG_INFO, __VA_ARGS__)
#define ih_debug(...) ih_log(IH_LOG_DEBUG, __VA_ARGS__)

/*
 * A complaint that repeats (Redis down every cycle) is logged once, and one
 * line is logged when it clears (collectd's c_complain / c_release).
 */
typedef struct ih_complaint {
	int active;
} ih_complaint;

/* Log fmt at WARNING unless c is already active; returns 1 if it logged. */
int ih_complain(ih_complaint *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* If c was active, log fmt at NOTICE and clear it; returns 1 if it logged. */
int ih_release(ih_complaint *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
