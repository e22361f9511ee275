#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

/* Written once by log_setup() before threads start; read-only afterwards. */
static enum log_level log_threshold = LOG_LVL_INFO;
static bool log_to_syslog;

void log_setup(enum log_level threshold, bool use_syslog)
{
	log_threshold = threshold;
	log_to_syslog = use_syslog;
	if (use_syslog)
		openlog("zkfs", LOG_PID, LOG_DAEMON);
}

bool log_enabled(enum log_level lvl)
{
	return lvl <= log_threshold;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *const tag[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	if (log_to_syslog) {
		vsyslog(prio[lvl], fmt, ap);
	} else {
		char line[1024];
		vsnprintf(line, sizeof(line), fmt, ap);
		fprintf(stderr, "zkfs: %s: %s\n", tag[lvl], line);
	}
	va_end(ap);
}
