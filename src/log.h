/*
 * log — one place where zkfs writes messages.
 *
 * Messages go to stderr, or to syslog with facility daemon. main sets the
 * threshold with log_setup before any thread starts; the daemon, once the
 * mount succeeded and it has left mount(8)'s stderr, moves to syslog with
 * log_to_syslog while other threads may be logging. Nothing else changes
 * either afterwards. Until log_setup: INFO and above to stderr.
 *
 * Any thread may log at any time; a message goes wholly to one destination.
 *
 * Never log credentials or znode data: paths, ZooKeeper error names and errno
 * names only.
 */
#ifndef ZKFS_LOG_H
#define ZKFS_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Set the threshold (messages above it are dropped) and the destination.
 * Only before any thread starts (main, and tests). */
void log_setup(enum log_level threshold, bool use_syslog);

/* From now on, to syslog with this threshold. Thread-safe: for the daemon,
 * whose ZooKeeper and notify threads already run when it detaches. */
void log_to_syslog(enum log_level threshold);

/* True when messages of this level are written. */
bool log_enabled(enum log_level lvl);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_enabled(LOG_LVL_DEBUG)) log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

#endif
