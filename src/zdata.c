#include "zdata.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* The count lives in front of the public struct so that the struct stays plain. */
struct zdata_box {
	atomic_uint refs;
	struct zdata d;
};

static struct zdata_box empty_box = { .refs = 1, .d = { .len = 0 } };

#define BOX(p) ((struct zdata_box *)((char *)(p) - offsetof(struct zdata_box, d)))

struct zdata *zdata_empty(void)
{
	return &empty_box.d;
}

struct zdata *zdata_new(const char *src, size_t len)
{
	struct zdata_box *b;

	if (len == 0)
		return zdata_empty();
	b = malloc(sizeof(*b) + len);
	if (!b)
		return NULL;
	atomic_init(&b->refs, 1);
	b->d.len = len;
	memcpy(b->d.bytes, src, len);
	return &b->d;
}

struct zdata *zdata_get(struct zdata *d)
{
	if (d && d != &empty_box.d)
		atomic_fetch_add(&BOX(d)->refs, 1);
	return d;
}

void zdata_put(struct zdata *d)
{
	if (!d || d == &empty_box.d)
		return;
	if (atomic_fetch_sub(&BOX(d)->refs, 1) == 1)
		free(BOX(d));
}
