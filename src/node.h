/*
 * node — the inode table and the cache of what ZooKeeper said about each path.
 * node.c keeps the tables (inodes, entries, pins, renames); nodefacts.c the
 * facts (storing a fetch, the watch budget, events, expiry); node_int.h is
 * what they share.
 *
 * Three ID spaces, explained once:
 *   - ino (fuse_ino_t): what the kernel holds. Allocated from a counter and never
 *     reused during a mount, so the generation is always 1. NODE_ROOT_INO (1) is
 *     the base path; 2 .. NODE_FIRST_INO - 1 are the virtual files' (vfile.h,
 *     never in this table); znode-backed inodes start at NODE_FIRST_INO.
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
#define NODE_FIRST_INO  16u

/* The table frees the entries nothing refers to (no inode, pin or deferred
 * create) when it has twice as many as after the last sweep, and at least
 * this many. A caller must pin any entry it keeps across node_entry_get. */
#define NODE_SWEEP_MIN  4096u

enum node_kind {
	NK_DIR,        /* a znode shown as a directory */
	NK_FILE,       /* a znode shown as a file */
	NK_DATAFILE,   /* the `.data` file of a directory: its znode's data */
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
	uint64_t czxid;            /* lock: table. the incarnation it shows (0 for virtual) */
	bool adopt;                /* lock: table. czxid unknown yet (a deferred create, a
	                            * rename target): the next fetch's czxid is taken */
	unsigned mode;             /* lock: table. the permission bits its entry gave it
	                            * last (entry->mode), shown once it is detached (an
	                            * open file unlinked), if mode_set */
	bool mode_set;             /* lock: table */
	struct entry *entry;       /* lock: table. NULL once detached (deleted or replaced) */
	struct zstat shown;        /* lock: table. the stat last shown to the kernel, if
	                            * shown_set: what fstat of an open file shows once its
	                            * znode is deleted or replaced (fsops) */
	bool shown_set;            /* lock: table */
	const void *wfh;           /* lock: table. the open handle (fsops) whose uncommitted
	                            * buffer the size shows, or NULL: a writer's own fstat and
	                            * lseek(SEEK_END) see what it wrote */
	int64_t wlen;              /* lock: table. that buffer's length, if wfh */
	uint64_t nlookup;          /* lock: table. the kernel's lookup count */
	unsigned pins;             /* lock: table. handlers using it right now */
	int64_t kernel_mzxid;      /* lock: table. directories: the version whose listing
	                            * the kernel may cache, -1 none */
	bool unlinked;             /* lock: table. detached by this mount's own delete or
	                            * rename (node_drop, node_rehome): the kernel removed
	                            * its name itself, no remote delete is raised for it */
	bool echoed;               /* lock: table. its remote delete was raised (fsecho.c) */
	struct node *ino_next;     /* lock: table. hash chain by ino */
};

/* What the table knows of one znode path. */
struct entry {
	char *path;                /* const: absolute znode path */
	const char *name;          /* const: points into path, after the last '/' */
	uint64_t epoch;            /* lock: table. bumped by every event on path */
	bool valid;                /* lock: table. stat, data, children are current and watched */
	bool absent;               /* lock: table. known not to exist, exists watch set */
	bool stale;                /* lock: table. the facts (valid or absent) are from a
	                            * session that expired: still served, no longer
	                            * watched, to be revalidated on the new session
	                            * (node_on_expired); cleared when they are dropped,
	                            * replaced or confirmed (node_revalidated) */
	struct zstat stat;         /* lock: table. valid */
	struct zdata *data;        /* lock: table. valid; one reference */
	char **children;           /* lock: table. valid; sorted names */
	size_t nchildren;          /* lock: table. valid */
	struct node *node;         /* lock: table. the attached inode, or NULL */
	struct node *datafile;     /* lock: table. the `.data` inode of this directory, or NULL */
	unsigned pins;             /* lock: table. handlers using it right now */
	bool made;                 /* lock: table. this mount created the znode (mkdir,
	                            * create): it keeps made_kind (SPEC.md §3) while
	                            * the entry lives and shows incarnation made_czxid */
	enum node_kind made_kind;  /* lock: table. made */
	int64_t made_czxid;        /* lock: table. made; 0 until known (the first fetch) */
	unsigned mode;             /* lock: table. made: the permission bits it was created
	                            * with or a chmod gave it, shown instead of the default
	                            * (ZooKeeper keeps no mode), if mode_set. Kept for the
	                            * life of the mount: the table never sweeps the entry */
	bool mode_set;             /* lock: table */
	unsigned creating;         /* lock: table. creates of this path through this mount
	                            * in flight: the CREATED event they cause drops no
	                            * name (node_on_watch) */
	bool removed;              /* lock: table. this mount deleted or renamed away the
	                            * znode last (node_drop, node_rehome), and nothing was
	                            * stored or made here since: its delete raises nothing */
	bool echo_pending;         /* lock: table. a remote change of this path waits to
	                            * be raised (fsecho.c): an absence found meanwhile is
	                            * not cached by the kernel, so that its delete can
	                            * still be raised */
	unsigned writing;          /* lock: table. this mount's writes of the value in
	                            * flight (fs_commit): their watch event comes before
	                            * their reply, own_mzxid after */
	int64_t own_mzxid;         /* lock: table. the mzxid of the last value this mount
	                            * wrote here: its own change raises no event (fsecho.c) */
	unsigned pending;          /* lock: table. handles of a deferred create: the znode
	                            * does not exist yet, the name does (fsops) */
	int64_t pending_ms;        /* lock: table. when the deferred create was made */
	struct entry *pending_next;/* lock: table. list of entries with pending > 0 */
	size_t watched;            /* lock: table. what the watches of its facts weigh
	                            * (node_set_watch_budget), 0 without facts */
	struct entry *lru_prev, *lru_next; /* lock: table. entries with facts, least
	                            * recently used first (the watch budget) */
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

/* A deferred create of `e` began (one more handle) or ended. The first adds
 * `e` to the table's pending list, the last removes it. */
void node_pending_add(struct node_table *t, struct entry *e, int64_t now_ms);
void node_pending_del(struct node_table *t, struct entry *e);
/* Each entry with a deferred create, in no order (lock held). */
struct entry *node_pending_first(struct node_table *t);

/* `from` was renamed to `to` through this mount: what `to` showed is
 * detached; inode `n` (NULL if the kernel held none) moves to `to` and adopts
 * the czxid of its next fetch; if the mount made `from`, `to` keeps its kind
 * and mode. Lock held. */
void node_rehome(struct node_table *t, struct node *n, struct entry *from, struct entry *to);

/* The directory `e` was renamed to `to` through this mount: every entry below
 * it names a path that is gone. Tell the kernel to forget those names and
 * detach their inodes (the directory's own inode is moved by node_rehome);
 * what this mount made below `e` keeps its kind and mode below `to`. */
void node_moved_subtree(struct node_table *t, struct entry *e, struct entry *to);

/* This mount created the znode of `e` as `kind` (czxid 0: not known yet). */
void node_made(struct entry *e, enum node_kind kind, int64_t czxid);
/* The znode of `e` is not (or no longer) one this mount made: another
 * client's deferred create won the name. */
void node_unmade(struct entry *e);
/* This mount created the znode of `e`, and `czxid` is that incarnation (or the
 * one it made is not known yet). */
bool node_made_is(const struct entry *e, int64_t czxid);
/* Show `mode` (permission bits) for the znode `e`, which this mount made;
 * `dflt` is what it shows without: the entry is kept only for another. */
void node_set_mode(struct entry *e, unsigned mode, unsigned dflt);

/* The kernel may hold a stale entry for the name of `e` (a negative one, when
 * a create of it found it made meanwhile): tell it to drop it. Lock held. */
void node_name_stale(struct node_table *t, struct entry *e);

/* A new inode of `kind` attached to no entry (the kernel is told it only to
 * be deleted: fsecho.c), freed when the kernel forgets it. NULL on ENOMEM. */
struct node *node_new_detached(struct node_table *t, enum node_kind kind);

/* The kernel was told that the name of inode `n` is deleted (a remote
 * delete raised on the mount, fsecho.c): detach it, and a directory's `.data`
 * inode with it. */
void node_gone(struct node_table *t, struct node *n);

/* Detach the inode(s) of `e` (its znode was deleted through this mount, or
 * never made): what this mount made there is forgotten. */
void node_drop(struct node_table *t, struct entry *e);

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
 * epoch, detaches its inode on ZEV_DELETED, and sends the notices: for the
 * inode (and its `.data`), and for its name in its directory unless
 * `kind_stable` (called with the lock held, the entry's facts of before the
 * event still there) says that this event cannot change the type the name
 * shows: then the kernel keeps the name, and only asks for the attributes and
 * data again. kind_stable may be NULL (always the name too). */
typedef bool (*kind_stable_fn)(void *ctx, const struct entry *e, enum zevent ev);
/* `seen` (may be NULL) is called first, with the lock held and the facts of
 * before the event still in `e`; it may take e->children (set it NULL and
 * nchildren 0): they are dropped anyway. */
typedef void (*watch_seen_fn)(void *ctx, struct entry *e, enum zevent ev);
void node_on_watch(struct node_table *t, enum zevent ev, const char *path,
		   kind_stable_fn kind_stable, watch_seen_fn seen, void *ctx);

/* The inode of the directory holding `e`, if the kernel knows it (lock held). */
struct node *node_parent_known(struct node_table *t, const struct entry *e);

/* The session expired: every watch is gone. Every entry's epoch moves (a
 * fetch in flight left its watches on the dead session: its result is not
 * stored), and every entry with facts (valid or absent) keeps them, marked
 * stale: they are served as before, without a notice to the kernel, until
 * revalidated on the new session (fsreval.c). Takes the lock. */
void node_on_expired(struct node_table *t);

/* The paths of the stale entries (lock held): a malloc'd array of *n
 * malloc'd strings; NULL with *n == 0 when there is none, or on ENOMEM
 * (then *n is SIZE_MAX). */
char **node_stale_paths(struct node_table *t, size_t *n);
/* How many entries are stale (lock held). */
size_t node_stale_count(struct node_table *t);
/* The stale facts of `e` were found unchanged by a fetch on the current
 * session, which watches them again: they are current (lock held). */
void node_revalidated(struct node_table *t, struct entry *e);

/*
 * Watches have a budget. The ZooKeeper C client re-registers every watch of a
 * session in ONE request when it reconnects (SetWatches, never split), and a
 * server drops a request larger than its jute.maxbuffer (1 MiB by default)
 * and the connection with it, at every retry: a client that watches too much
 * never reconnects. Its size is the sum over the watches of 4 + the path's
 * length. So the table counts what the watches behind its facts weigh (valid
 * facts: a data and a child watch, 2 × (4 + strlen(path)); an absence: one
 * exists watch) and, when a store takes the total over `budget`, drops the
 * least recently used facts of entries nobody is using (no pin), as if their
 * watches had fired (notices sent), calling `unwatch(ctx, path)` for each
 * (which must not block: it removes the client's watches of that path
 * locally), until 7/8 of the budget is left. The entries of freed paths
 * (the sweep) are unwatched too. budget 0: no limit (the default).
 */
typedef void (*unwatch_fn)(void *ctx, const char *path);
void node_set_watch_budget(struct node_table *t, size_t budget, unwatch_fn fn, void *ctx);
/* The weight of the watches behind the cached facts (takes the lock). */
size_t node_watch_bytes(struct node_table *t);
/* Whether a batch of facts whose watches weigh `bytes` may be cached (older
 * facts make room): up to half the budget; beyond, it would push out most of
 * the cache, or not fit at all. Lock held. */
bool node_watch_room(struct node_table *t, size_t bytes);
/* e's facts were used now (the LRU order of the budget). Lock held. */
void node_touch(struct node_table *t, struct entry *e);
/* The servers keep refusing this client's watches: drop every fact, tell the
 * kernel, and unwatch every path the table knows. Takes the lock. */
void node_unwatch_all(struct node_table *t);

/* Counters for tests and the log. */
size_t node_count_inodes(struct node_table *t);
size_t node_count_entries(struct node_table *t);

#endif
