/*
 * fsecho_int — what fsecho.c (the queue, the thread, the operations on the
 * mount), fsechoans.c (the answers to them) and fsechoplan.c (what a batch
 * of refetched paths raises) share, and nobody else sees. fsechoans.c
 * builds on fsecho.c, which builds on fsechoplan.c, never the other way.
 */
#ifndef ZKFS_FSECHO_INT_H
#define ZKFS_FSECHO_INT_H

#include "fsops_int.h"

#define EVBIT(ev) (1u << (unsigned)(ev))

/* A path whose watch events wait to be raised (one per path: later events
 * merge in). Fields under the echo's lock, except while the item is in
 * flight: then the thread owns evs, ino, kind and base, and events go to
 * the again_* fields. */
struct echo_item {
	struct echo_item *next;  /* the queue, in the order of the first event */
	struct echo_item *hnext; /* hash chain by path */
	char *path;
	unsigned evs;            /* EVBIT of every event merged in */
	uint64_t ino;            /* the inode the kernel held for path, 0 none */
	enum node_kind kind;     /* its kind, if ino */
	char **base;             /* the listing before the events (sorted), if has_base */
	size_t nbase;
	bool has_base;
	bool inflight;           /* being processed: events set `again` */
	bool deferred;           /* planned while this mount's own write of it was in
	                          * flight: taken again once it is answered */
	bool again;
	unsigned again_evs;
	char **again_base;       /* a listing taken by an event while in flight */
	size_t again_nbase;
	bool again_has_base;
};

struct echo_op {
	enum echo_op_type type;  /* 0: none (dropped) */
	char *path;              /* the znode path (MODIFY of `.data`: its file's path) */
	uint64_t ino;            /* DELETE: the inode to delete */
	uint64_t parent_ino;     /* DELETE of a name in a directory that is gone or
	                          * became a file: the directory's inode the kernel
	                          * held, answered to its lookup meanwhile; 0 */
	enum node_kind kind;     /* CREATE, DELETE */
	bool kind_known;         /* a CREATE of a listed child learns it by a fetch */
};

/* A batch of items and what they raise, in order. */
struct echo_batch {
	struct echo_item **items;
	size_t n;
	struct entry **es;       /* each item's entry, pinned (echo_batch_unpin) */
	char ***lists;           /* each item's listing as fetched (sorted), if lists_ok */
	size_t *nlists;
	bool *lists_ok;
	struct echo_op *ops;
	size_t nops, capops;
	bool oom;                /* an operation could not be planned */
	bool names_dropped;      /* kernel notices were queued for the deletes' names:
	                          * to be sent before they are performed */
};

/* Allocate the arrays of a batch of `n` items. ENOMEM or 0. */
int echo_batch_init(struct echo_batch *b, struct echo_item **items, size_t n);
/* Fetch the batch's paths again in one pipelined request (re-arming their
 * watches; the facts are stored unless an event came meanwhile), and plan
 * what each raises: data changes, names created and deleted (the listing
 * compared with the item's base), kind changes. Table lock not held; taken
 * inside. 0, or the fetch's error (nothing planned, nothing pinned). */
int echo_batch_plan(struct fs *fs, struct echo_batch *b);
/* Unpin the entries (table lock held). */
void echo_batch_unpin(struct echo_batch *b);
/* Free what the batch holds (not the items). */
void echo_batch_free(struct echo_batch *b);

/* Whether the kernel holds `n` for the name of entry `e` and this mount has
 * not removed it itself: a delete may be raised for it. Table lock held. */
bool echo_deletable(const struct node *n, const struct entry *e);

/* The operation in progress (a copy: its path stays valid while the
 * thread waits for the request being answered), and the inode its delete
 * names from now on (a stand-in). fsecho.c's; for fsechoans.c. */
void echo_current(struct fs *fs, struct echo_op *op);
void echo_current_ino(struct fs *fs, uint64_t ino);

void echo_free_list(char **v, size_t n);
/* A sorted copy of `n` names; *ok false on ENOMEM (then NULL). */
char **echo_dup_sorted(char *const *v, size_t n, bool *ok);

#endif
