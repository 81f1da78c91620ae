#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "base/log.h"

static _Atomic int log_level = IH_LOG_INFO; /* set by the main thread, read by all */
static int log_syslog;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread char log_ctx[64];
static void (*log_sink)(int level, const char *msg); /* set once, before threads */

void ih_log_set_level(int level) { log_level = level; }
int ih_log_get_level(void) { return log_level; }

int ih_log_level_by_name(const char *name)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = { { "error", IH_LOG_ERR }, { "warning", IH_LOG_WARNING }, { "notice", IH_LOG_NOTICE },
		       { "info", IH_LOG_INFO }, { "debug", IH_LOG_DEBUG } };

	for (size_t i = 0; name != NULL && i < sizeof levels / sizeof levels[0]; i++)
		if (strcmp(name, levels[i].name) == 0)
			return levels[i].level;
	return -1;
}

void ih_log_open_syslog(const char *ident)
{
	openlog(ident, LOG_PID, LOG_DAEMON);
	log_syslog = 1;
}

void ih_log_set_context(const char *name)
{
	if (name == NULL)
		log_ctx[0] = '\0';
	else
		snprintf(log_ctx, sizeof log_ctx, "%s", name);
}

const char *ih_log_get_context(void) { return log_ctx[0] ? log_ctx : NULL; }

void ih_log_set_sink(void (*sink)(int level, const char *msg)) { log_sink = sink; }

static const char *level_name(int level)
{
	switch (level) {
	case IH_LOG_ERR: return "ERROR";
	case IH_LOG_WARNING: return "WARNING";
	case IH_LOG_NOTICE: return "NOTICE";
	case IH_LOG_INFO: return "INFO";
	default: return "DEBUG";
	}
}

void ih_vlog(int level, const char *fmt, va_list ap)
{
	char msg[2048], stamp[32];
	struct timespec ts;
	struct tm tm;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (log_sink != NULL) {
		log_sink(level, msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);

	pthread_mutex_lock(&log_lock);
	if (log_ctx[0])
		fprintf(stderr, "%s %s [%s] %s\n", stamp, level_name(level), log_ctx, msg);
	else
		fprintf(stderr, "%s %s %s\n", stamp, level_name(level), msg);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
	if (log_syslog) {
		if (log_ctx[0])
			syslog(level, "[%s] %s", log_ctx, msg);
		else
			syslog(level, "%s", msg);
	}
}

void ih_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ih_vlog(level, fmt, ap);
	va_end(ap);
}

/* Move c to `active` and log, unless it is there already. */
static int complaint_to(ih_complaint *c, int active, int level, const char *fmt, va_list ap)
{
	if (c->active == active)
		return 0;
	c->active = active;
	ih_vlog(level, fmt, ap);
	return 1;
}

int ih_complain(ih_complaint *c, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = complaint_to(c, 1, IH_LOG_WARNING, fmt, ap);
	va_end(ap);
	return r;
}

int ih_release(ih_complaint *c, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = complaint_to(c, 0, IH_LOG_NOTICE, fmt, ap);
	va_end(ap);
	return r;
}
