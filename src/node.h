/*
 * node — the inode table and the cache of what ZooKeeper said about each path.
 *
 * Three ID spaces, explained once:
 *   - ino (fuse_ino_t): what the kernel holds. Allocated from a counter and never
 *     reused during a mount, so the generation is always 1. NODE_ROOT_INO (1) is
 *     the base path, NODE_STATE_INO (2) is `.state`; znode-backed inodes start
 *     at NODE_FIRST_INO.
 *   - znode path: what ZooKeeper knows. The table holds one *entry* per path it
 *     has asked about: the cached facts (stat, data, children, or "absent"),
 *     each backed by a watch, and an epoch bumped by every watch event on it.
 *   - czxid: one incarnation of a znode. An entry's inode is replaced (new ino)
 *     when a fetch shows another czxid or another kind: the kernel must look it
 *     up again rather than see a file turn into a directory under one ino.
 *
 * You CAN: keep a `struct node *` or `struct entry *` while you hold a pin
 * (node_pin / node_unpin) or the table lock. You CANNOT: read or write the
 * facts without the table lock, or hold the lock across a ZooKeeper round trip.
 *
 * Watches and epochs: before a fetch, read entry->epoch under the lock; after,
 * store the facts only if the epoch did not move (node_store). An event that
 * came while the fetch was in flight thus never leaves a stale fact cached.
 *
 * Notices: whenever a fact the kernel may cache is dropped, the table hands a
 * notice (invalidate this inode, or this entry name in that directory) to the
 * sink given at creation; only for inodes the kernel knows (lookup count > 0).
 * The sink must not block (notify.c queues them for its own thread).
 */
#ifndef ZKFS_NODE_H
#define ZKFS_NODE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "zdata.h"

#define NODE_ROOT_INO   1u
#define NODE_STATE_INO  2u
#define NODE_FIRST_INO  16u

enum node_kind {
	NK_DIR,        /* a znode shown as a directory */
	NK_FILE,       /* a znode shown as a file */
	NK_DATAFILE,   /* the `.data` file of a directory: its znode's data */
	NK_STATE,      /* `.state` */
};

enum notice_kind {
	NOTICE_INVAL_INODE,   /* drop attributes and cached pages of `ino` */
	NOTICE_INVAL_ENTRY,   /* drop the dentry `name` in directory `parent` */
};

struct notice {
	enum notice_kind kind;
	uint64_t ino;         /* INVAL_INODE */
	uint64_t parent;      /* INVAL_ENTRY */
	const char *name;     /* INVAL_ENTRY: valid during the call only */
};

typedef void (*notice_fn)(void *ctx, const struct notice *n);

struct entry;

/* An inode the kernel may hold. */
struct node {
	uint64_t ino;              /* const */
	enum node_kind kind;       /* const */
	uint64_t czxid;            /* const: the incarnation it shows (0 for virtual) */
	struct entry *entry;       /* lock: table. NULL once detached (deleted or replaced) */
	uint64_t nlookup;          /* lock: table. the kernel's lookup count */
	unsigned pins;             /* lock: table. handlers using it right now */
	int64_t kernel_mzxid;      /* lock: table. version whose pages the kernel may cache, -1 none */
	struct node *ino_next;     /* lock: table. hash chain by ino */
};

/* What the table knows of one znode path. */
struct entry {
	char *path;                /* const: absolute znode path */
	const char *name;          /* const: points into path, after the last '/' */
	uint64_t epoch;            /* lock: table. bumped by every event on path */
	bool valid;                /* lock: table. stat, data, children are current and watched */
	bool absent;               /* lock: table. known not to exist, exists watch set */
	struct zstat stat;         /* lock: table. valid */
	struct zdata *data;        /* lock: table. valid; one reference */
	char **children;           /* lock: table. valid; sorted names */
	size_t nchildren;          /* lock: table. valid */
	struct node *node;         /* lock: table. the attached inode, or NULL */
	struct node *datafile;     /* lock: table. the `.data` inode of this directory, or NULL */
	unsigned pins;             /* lock: table. handlers using it right now */
	struct entry *path_next;   /* lock: table. hash chain by path */
};

struct node_table;

/*
 * Create the table with the root entry for `base` (an absolute znode path)
 * attached to NODE_ROOT_INO (kind NK_DIR, pinned forever). `sink` receives the
 * notices. NULL on ENOMEM.
 */
struct node_table *node_table_new(const char *base, notice_fn sink, void *sink_ctx);
void node_table_free(struct node_table *t);

/* The table lock; every function below that takes `locked` state expects it held. */
void node_lock(struct node_table *t);
void node_unlock(struct node_table *t);

/* --- lookups (lock held) --- */

struct node *node_by_ino(struct node_table *t, uint64_t ino);
struct entry *node_entry(struct node_table *t, const char *path);        /* NULL if none */
struct entry *node_entry_get(struct node_table *t, const char *path);    /* create if none; NULL on ENOMEM */
struct node *node_root(struct node_table *t);

/* The inode for `e` of `kind` showing incarnation `czxid`: the attached one if it
 * matches, else a new one (the old is detached). NULL on ENOMEM. */
struct node *node_attach(struct node_table *t, struct entry *e, enum node_kind kind, uint64_t czxid);

/* The `.data` inode of directory entry `e` (created on first use). NULL on ENOMEM. */
struct node *node_datafile(struct node_table *t, struct entry *e);

/* Pins keep a node/entry alive while the lock is dropped. */
void node_pin(struct node *n);
void node_unpin(struct node_table *t, struct node *n);
void entry_pin(struct entry *e);
void entry_unpin(struct entry *e);

/* The kernel got a reply that names `n` (lookup, create, readdirplus entry). */
void node_ref(struct node *n);

/* --- facts (lock held) --- */

/*
 * Store a successful fetch `f` in `e` if e->epoch is still `epoch`. When stored,
 * f's data and children move into `e` (f keeps its stat, its data and children
 * become NULL) and it returns true. Otherwise `f` is left to the caller.
 */
bool node_store(struct node_table *t, struct entry *e, uint64_t epoch, struct zfetch *f);

/* Record that `e` is absent (exists watch set) if e->epoch is still `epoch`. */
bool node_store_absent(struct node_table *t, struct entry *e, uint64_t epoch);

/* --- without the lock --- */

/* The kernel forgot `nlookup` lookups of `ino`. Frees detached or unreferenced
 * inodes. Unknown inos are ignored (logged). */
void node_forget(struct node_table *t, uint64_t ino, uint64_t nlookup);

/* A watch fired (backend event thread). Drops the facts of `path`, bumps its
 * epoch, detaches its inode on ZEV_DELETED, and sends the notices. */
void node_on_watch(struct node_table *t, enum zevent ev, const char *path);

/* The session expired: every watch is gone. Drop every fact and send a notice
 * for every inode and dentry the kernel may cache. */
void node_on_expired(struct node_table *t);

/* Counters for tests and the log. */
size_t node_count_inodes(struct node_table *t);
size_t node_count_entries(struct node_table *t);

#endif
