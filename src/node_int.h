/*
 * node_int — what node.c (the tables: inodes, entries, pins, renames, and
 * the primitives of facts and notices) gives nodefacts.c (storing facts,
 * their watches and budget, and what an event or an expiry drops), and
 * nobody else sees. nodefacts.c builds on node.c, never the other way.
 */
#ifndef ZKFS_NODE_INT_H
#define ZKFS_NODE_INT_H

#include "node.h"

/* Two chained hash tables, grown by doubling: entries by path, inodes by ino. */
struct node_table {
	pthread_mutex_t lock;
	notice_fn sink;               /* const */
	void *sink_ctx;               /* const */
	struct entry **paths;         /* lock */
	size_t npaths, paths_cap;     /* lock */
	struct node **inos;           /* lock */
	size_t ninos, inos_cap;       /* lock */
	uint64_t next_ino;            /* lock */
	struct entry *pending;        /* lock: entries with a deferred create */
	size_t sweep_at;              /* lock: npaths that triggers a sweep */
	struct entry *root_entry;     /* const after creation */
	struct node *root;            /* const after creation */
	size_t watch_bytes;           /* lock: what the watches of the cached facts
	                               * weigh in the client's re-registration */
	size_t watch_budget;          /* lock: 0, no limit (node_set_watch_budget) */
	unwatch_fn unwatch;           /* lock */
	void *unwatch_ctx;            /* lock */
	struct entry *lru_head, *lru_tail; /* lock: entries with facts, least
	                               * recently used first */
	size_t nstale;                /* lock: entries with entry->stale */
};

/* The rest is node.c's, for nodefacts.c. Lock held for all. */

/* Detach inode `n` from its entry (NULL or the root: nothing), and free it
 * if nothing holds it. */
void node_detach(struct node_table *t, struct node *n);

/* The entries with facts, least recently used first (the watch budget). */
void node_lru_unlink(struct node_table *t, struct entry *e);
void node_lru_append(struct node_table *t, struct entry *e);

/* Drop the facts of `e` and their weight (no notice, no unwatch); they are
 * no longer stale. */
void node_drop_facts(struct node_table *t, struct entry *e);

/* Tell the kernel to forget what it may cache of inode `n` (NULL, or one the
 * kernel does not know: nothing), or of `e`: its inodes and, if the kernel
 * knows its directory, its name. */
void node_send_inode(struct node_table *t, const struct node *n);
void node_send_entry(struct node_table *t, struct entry *e);

#endif
