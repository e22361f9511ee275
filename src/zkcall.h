/*
 * zkcall — the reads over the connection (zkcall.c), each a batch
 * (zkbatch.h). Private to src/zk*.c: zk.c puts them in the backend table
 * and behind zk.h.
 */
#ifndef ZKFS_ZKCALL_H
#define ZKFS_ZKCALL_H

#include <stddef.h>

#include "backend.h"

struct zk;

/* struct backend's fetch and get_acl (contracts in backend.h); impl is the
 * struct zk. They end early, with EINTR, when the calling thread's current
 * token (cancel_current(), cancel.h) fires. */
int zk_read_fetch(void *impl, const char *const *paths, size_t n, unsigned what,
		  struct zfetch *out);
int zk_read_acl(void *impl, const char *path, char **text);

/* The data and stat of `n` paths, leaving no watch and never cut short by a
 * token: what zkwrite.c reads back after a write of unknown outcome. As
 * fetch with FETCH_DATA | FETCH_NOWATCH: 0 (each out[i] has its own result),
 * or EIO, ENOMEM, EINVAL with out[] cleared. */
int zk_read_back(struct zk *zk, const char *const *paths, size_t n, struct zfetch *out);

/* What zk_exists and zk_ensure_path do (contracts in zk.h). */
int zk_read_exists(struct zk *zk, const char *path);
int zk_read_ensure_path(struct zk *zk, const char *path);

#endif
