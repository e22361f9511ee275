/*
 * zkwrite — the writes of struct backend over the connection (zkwrite.c),
 * each a batch (zkbatch.h) of one request, sent at most once; a write of
 * unknown outcome is read back (zkcall.h). Contracts in backend.h; impl is
 * the struct zk. Private to src/zk*.c.
 */
#ifndef ZKFS_ZKWRITE_H
#define ZKFS_ZKWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"

int zk_write_create(void *impl, const char *path, const char *data, size_t len,
		    struct zstat *st);
int zk_write_set(void *impl, const char *path, const char *data, size_t len,
		 int32_t version, struct zstat *st);
int zk_write_remove(void *impl, const char *path, int32_t version);
int zk_write_multi(void *impl, const struct zop *ops, size_t n, size_t *failed);

#endif
