/*
 * zdata — an immutable, reference-counted byte buffer: a znode's value as read
 * at one version. The node cache and every open file handle share one copy;
 * the last zdata_put() frees it. Thread-safe (atomic count); the bytes never
 * change after zdata_new() returns.
 */
#ifndef ZKFS_ZDATA_H
#define ZKFS_ZDATA_H

#include <stddef.h>

struct zdata {
	size_t len;
	char bytes[];   /* len bytes (not NUL-terminated) */
};

/* Copy len bytes of src (src may be NULL when len is 0). NULL on ENOMEM. */
struct zdata *zdata_new(const char *src, size_t len);

/* The shared empty value (never freed; get/put on it are no-ops). */
struct zdata *zdata_empty(void);

struct zdata *zdata_get(struct zdata *d);  /* returns d; NULL stays NULL */
void zdata_put(struct zdata *d);           /* NULL is fine */

#endif
