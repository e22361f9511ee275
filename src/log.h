/*
 * log — one place where zkfs writes messages.
 *
 * Messages go to stderr (foreground, and before the daemon has detached) or to
 * syslog with facility daemon (background). The destination and the level are
 * set once by main before any thread starts and are read-only afterwards.
 *
 * Never log credentials or znode data: paths, ZooKeeper error names and errno
 * names only.
 */
#ifndef ZKFS_LOG_H
#define ZKFS_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Set the threshold (messages above it are dropped) and the destination. */
void log_setup(enum log_level threshold, bool use_syslog);

/* True when messages of this level are written. */
bool log_enabled(enum log_level lvl);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_enabled(LOG_LVL_DEBUG)) log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

#endif
