/*
 * notify — the one thread that tells the kernel what to forget.
 *
 * The node table's notices (node.h) and `.state` transitions are queued here
 * from any thread without blocking (the queue is unbounded: a lost
 * invalidation would be a stale cache). The thread calls
 * fuse_lowlevel_notify_inval_inode / _inval_entry, and touches MNT/.state with
 * utimensat so that inotify watchers wake (SPEC.md §6). It is never a request
 * handler and never the ZooKeeper completion thread: an invalidation may wait
 * for a page lock that a request holds while it waits for that very thread.
 *
 * ENOENT, EBADF, ENOTCONN and ENODEV from the kernel (an inode it already
 * forgot, an unmount in progress) are expected and ignored.
 */
#ifndef ZKFS_NOTIFY_H
#define ZKFS_NOTIFY_H

#include "node.h"

struct fuse_session;
struct notify;

struct notify *notify_new(void);

/* A notice_fn (node.h): queue a copy of `n`. ctx is the struct notify. */
void notify_sink(void *ctx, const struct notice *n);

/* Queue a touch of `.state` (several pending touches collapse into one). */
void notify_touch_state(struct notify *q);

/* Start the thread once the filesystem is mounted at `mountpoint` (absolute). */
int notify_start(struct notify *q, struct fuse_session *se, const char *mountpoint);

/* Stop taking work (call before unmounting), then notify_join after it. */
void notify_stop(struct notify *q);
void notify_join(struct notify *q);

/*
 * Wait until every notice queued before the call has been sent to the kernel
 * (at most NOTIFY_SYNC_SEC; not at all before notify_start or after
 * notify_stop). For a request handler that changed ZooKeeper and must not
 * reply before the kernel dropped what it made stale (a commit at close). It
 * must hold no lock and the kernel no directory lock for it: an invalidation
 * may wait for those. ctx is the struct notify (fs_config.sync_notices).
 */
#define NOTIFY_SYNC_SEC 2
void notify_sync(void *ctx);

/* How many notices were sent to the kernel (tests, debug log). */
unsigned long notify_sent(struct notify *q);

void notify_free(struct notify *q);

#endif
