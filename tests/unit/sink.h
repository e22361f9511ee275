/*
 * sink — a notice_fn (node.h) for the unit tests that keeps every notice, so
 * a test can count what the kernel would have been told.
 */
#ifndef ZKFS_TEST_SINK_H
#define ZKFS_TEST_SINK_H

#include <stdint.h>

#include "node.h"

struct seen_notice {
	enum notice_kind kind;
	uint64_t ino, parent;
	char name[64];
};

struct sink {
	struct seen_notice *v;   /* n of them; grows as needed */
	int n, cap;
};

/* The notice_fn; ctx is a struct sink (zeroed to start). Fails the test on ENOMEM. */
void capture(void *ctx, const struct notice *nt);
/* Free what the sink holds and empty it. */
void sink_free(struct sink *s);

/* How many INVAL_INODE notices for `ino`, INVAL_ENTRY notices for parent/name. */
int count_inode(const struct sink *s, uint64_t ino);
int count_entry(const struct sink *s, uint64_t parent, const char *name);

#endif
