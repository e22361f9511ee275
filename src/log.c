#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <syslog.h>

/* The threshold and the destination in one word, so that a message sees
 * both from the same setting: a threshold, plus TO_SYSLOG. Written by
 * log_setup (before threads) and log_to_syslog (any thread); read by all. */
#define TO_SYSLOG 0x100u
static atomic_uint log_mode = LOG_LVL_INFO;

static void set_mode(enum log_level threshold, bool use_syslog)
{
	if (use_syslog)
		openlog("zkfs", LOG_PID, LOG_DAEMON);   /* before a message can use it */
	atomic_store(&log_mode, (unsigned)threshold | (use_syslog ? TO_SYSLOG : 0));
}

void log_setup(enum log_level threshold, bool use_syslog)
{
	set_mode(threshold, use_syslog);
}

void log_to_syslog(enum log_level threshold)
{
	set_mode(threshold, true);
}

static bool enabled(unsigned mode, enum log_level lvl)
{
	return (unsigned)lvl <= (mode & ~TO_SYSLOG);
}

bool log_enabled(enum log_level lvl)
{
	return enabled(atomic_load(&log_mode), lvl);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *const tag[] = { "error", "warning", "info", "debug" };
	unsigned mode = atomic_load(&log_mode);
	va_list ap;

	if (!enabled(mode, lvl))
		return;
	va_start(ap, fmt);
	if (mode & TO_SYSLOG) {
		vsyslog(prio[lvl], fmt, ap);
	} else {
		char line[1024];
		vsnprintf(line, sizeof(line), fmt, ap);
		fprintf(stderr, "zkfs: %s: %s\n", tag[lvl], line);
	}
	va_end(ap);
}
