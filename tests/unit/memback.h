/*
 * memback — an in-memory struct backend (backend.h) for the unit tests: a tree
 * of znodes with ZooKeeper's stat bookkeeping and watch semantics, and no
 * server.
 *
 * The tree: "/" always exists (czxid 0). Every mutation takes the next zxid
 * from a counter (starting at 1) and the next time from a fake clock (starting
 * at MEMBACK_EPOCH_MS, +1000 ms per mutation), and keeps czxid/mzxid/pzxid,
 * version/cversion, ctime/mtime, numChildren and dataLength as ZooKeeper does.
 * Ephemeral nodes are owned by MEMBACK_SESSION and cannot have children.
 *
 * Watches, as the ZooKeeper C client keeps them for one watcher: fetch()
 * leaves a data watch (FETCH_DATA), a child watch (FETCH_CHILDREN) or, for an
 * absent node, an exists watch on each path. The mutation helpers fire them
 * once and forget them, calling events->on_watch synchronously, before they
 * return:
 *   memback_create  ZEV_CREATED to the node's exists watch, then ZEV_CHILD to
 *                   the parent's child watch;
 *   memback_set     ZEV_CHANGED to the node's data watch;
 *   memback_delete  ZEV_DELETED to the node's data and child watches (once, as
 *                   the C client delivers one event per watcher), then
 *                   ZEV_CHILD to the parent's child watch.
 *
 * Not thread-safe: one test thread drives it. The fetch hook runs inside
 * fetch() after the results are computed and the watches set, just before it
 * returns: what a watch event delivered while a batch is still in flight looks
 * like. The hook may call the mutation helpers, and fetch too provided it does
 * not recurse (the hook runs again inside that fetch).
 *
 * Errors are positive errno values, as in backend.h.
 */
#ifndef ZKFS_TEST_MEMBACK_H
#define ZKFS_TEST_MEMBACK_H

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"

#define MEMBACK_EPOCH_MS   1700000000000LL
#define MEMBACK_SESSION    0x1000000abcdef01LL
#define MEMBACK_DEFAULT_ACL "world:anyone:cdrwa\n"

/* Kinds of watches left on a path (memback_watches). */
#define MEMBACK_W_DATA     1u
#define MEMBACK_W_CHILD    2u
#define MEMBACK_W_EXISTS   4u

struct memback;

typedef void (*memback_hook)(void *ctx, struct memback *m, const char *const *paths,
			     size_t n);

/* A tree holding only "/". NULL on ENOMEM. */
struct memback *memback_new(void);
void memback_free(struct memback *m);

/* The backend to hand to fs_new; valid while m lives. */
struct backend memback_backend(struct memback *m);

/* Where watch events go (copied). Without it, events are dropped. */
void memback_set_events(struct memback *m, const struct backend_events *ev);

/* Mutations (fire watches as above). EEXIST, ENOENT (no parent / no node),
 * ENOTEMPTY (delete with children), EINVAL (child of an ephemeral, bad path),
 * ENOMEM. They work while the backend is "down". */
int memback_create(struct memback *m, const char *path, const char *data, size_t len,
		   bool ephemeral);
int memback_set(struct memback *m, const char *path, const char *data, size_t len);
int memback_delete(struct memback *m, const char *path);
int memback_set_acl(struct memback *m, const char *path, const char *text);

/* An ACL without READ (memback_set_acl, e.g. "world:anyone:cdwa\n") makes
 * fetch answer that node as ZooKeeper's backend does: noread, its stat only,
 * no watch. */

/* The session expired: every watch is forgotten (no event), then
 * events->on_state(ZS_LOST, expired) is called. The next session is the
 * caller's to announce (on_state ZS_CONNECTED). */
void memback_expire(struct memback *m);

/* While down, fetch and get_acl fail with EIO (and so do writes, below). */
void memback_set_down(struct memback *m, bool down);

/* Inspection, without leaving watches and without counting as a fetch. */
int memback_stat(struct memback *m, const char *path, struct zstat *st);
unsigned memback_watches(struct memback *m, const char *path);   /* MEMBACK_W_* bits */

/* How many unwatch() calls were made (each drops every watch of its path,
 * as the C client's local removal does). FETCH_NOWATCH leaves none. */
size_t memback_unwatch_count(struct memback *m);

/* How many fetch() calls were made, and how many paths they asked for. */
size_t memback_fetch_count(struct memback *m);
size_t memback_fetched_paths(struct memback *m);

/* How many write requests (create, set, remove, multi) came through the
 * backend; each fails with EIO while down. A multi is all or nothing: a dry
 * run first, then the operations, firing their watches in order. */
size_t memback_write_count(struct memback *m);

/* Run `hook` inside every fetch() that succeeds (NULL: none). */
void memback_set_fetch_hook(struct memback *m, memback_hook hook, void *ctx);

#endif
