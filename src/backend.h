/*
 * backend — the ZooKeeper calls the filesystem semantics (fsops) need, as a
 * table of function pointers. The real backend is `zk` (zk.h); the unit tests
 * use an in-memory one (tests/unit/memback.c). fsops knows nothing else of
 * ZooKeeper.
 *
 * Paths are absolute znode paths ("/asab/app.conf"; the root is "/").
 * Errors are positive errno values (the table of SPEC.md §7). The backend logs
 * every failure other than ENOENT with the path and the ZooKeeper error name;
 * callers need not log again.
 *
 * Watches: every fetch leaves a watch behind for each fact it returns (a data
 * watch for data+stat, a child watch for the children, an exists watch for a
 * node found absent). When one fires, the backend calls events->on_watch once
 * with the path, from its own event thread, in the order ZooKeeper delivered
 * them. A watch fires once; fetch again to re-arm it.
 *
 * Ordering guarantee (ZooKeeper's, kept by the backend): a fetch that returns
 * after on_watch(P) was called returns values at least as new as that event.
 * Callers detect "an event came while my fetch was in flight" by an epoch they
 * keep per path (node.h), not by anything here.
 */
#ifndef ZKFS_BACKEND_H
#define ZKFS_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zdata.h"

/* A znode's Stat, in host types. Times are milliseconds since the epoch. */
struct zstat {
	int64_t czxid, mzxid, pzxid;
	int64_t ctime_ms, mtime_ms;
	int32_t version, cversion, aversion;
	int64_t ephemeral_owner;     /* session id, 0 for persistent nodes */
	int32_t data_length, num_children;
};

/* Connection states, with Kazoo's meanings (SPEC.md §6). */
enum zstate { ZS_LOST = 0, ZS_CONNECTED, ZS_SUSPENDED };

const char *zstate_name(enum zstate s);  /* "LOST", "CONNECTED", "SUSPENDED" */

enum zevent {
	ZEV_CREATED,   /* an exists watch on an absent node: it now exists */
	ZEV_DELETED,   /* the node is gone */
	ZEV_CHANGED,   /* its data changed */
	ZEV_CHILD,     /* its list of children changed */
};

struct backend_events {
	/* A watch fired for `path`. Runs on the backend's event thread: must not
	 * block on anything a request handler may hold, nor call the backend. */
	void (*on_watch)(void *ctx, enum zevent ev, const char *path);
	/* The connection state changed. `expired` is true on the transition to
	 * LOST caused by an expired session: every watch is gone. Same thread
	 * rules as on_watch. */
	void (*on_state)(void *ctx, enum zstate state, bool expired);
	/* The servers drop every new connection at once (several in a row): as
	 * when the watches the client re-registers do not fit one request. The
	 * receiver should drop its cached facts and unwatch every path, so that
	 * the next attempt succeeds. Same thread rules as on_watch; may be NULL. */
	void (*on_rejected)(void *ctx);
	void *ctx;
};

/* What to fetch of each path. */
#define FETCH_DATA     1u   /* data + stat, leaves a data watch */
#define FETCH_CHILDREN 2u   /* the children's names, leaves a child watch */
#define FETCH_NOWATCH  4u   /* leave no watch at all (facts that will not be cached) */

/* The result of fetching one path. */
struct zfetch {
	int err;               /* 0; ENOENT (absent: an exists watch is set); or an errno */
	struct zstat stat;     /* err == 0 */
	struct zdata *data;    /* err == 0 and FETCH_DATA: one reference, owned by the
	                        * caller; zdata_empty() for a node without data */
	char **children;       /* err == 0 and FETCH_CHILDREN: malloc'd array of
	                        * malloc'd names, in no particular order */
	size_t nchildren;
	bool noread;           /* err == 0: the node exists but this session may not
	                        * read it (ZNOAUTH): `stat` only (from an exists,
	                        * which needs no permission), no data (NULL), no
	                        * children, and no watch left for it */
};

/* One operation of a transaction (backend_ops.multi). */
enum zop_type { ZOP_CREATE, ZOP_SET, ZOP_DELETE, ZOP_CHECK };
struct zop {
	enum zop_type type;
	const char *path;
	const char *data;      /* CREATE, SET: `len` bytes (NULL when len is 0) */
	size_t len;
	int32_t version;       /* SET, DELETE, CHECK: expected version, -1 any */
};

/* Release what a zfetch holds and zero it. */
void zfetch_clear(struct zfetch *f);

struct backend_ops {
	/*
	 * Fetch `n` paths, all requests in flight at once (one round trip for
	 * the batch, not n). Each out[i] gets its own result. Returns 0 when
	 * every path was answered, or EIO when the batch could not be completed
	 * within the backend's timeout (connection down), EINTR when the
	 * request being served was interrupted (its cancel token fired:
	 * cancel.h), ENOMEM, or EINVAL (`what` asks for neither data nor
	 * children); then out[] is cleared.
	 * While the connection is SUSPENDED it waits (up to the timeout) for it
	 * to come back and retries; reads are idempotent.
	 * A node found absent gets an exists watch (err = ENOENT). If it appears
	 * between the get and the exists, the backend fetches it again. A node
	 * this session may not read is answered with its stat only (noread).
	 */
	int (*fetch)(void *impl, const char *const *paths, size_t n, unsigned what,
		     struct zfetch *out);

	/* The node's ACL as text, one "scheme:id:perms" line each (perms from
	 * "rwcda"), each line ending in '\n'. *text is malloc'd. 0 or errno. */
	int (*get_acl)(void *impl, const char *path, char **text);

	/* Forget every watch this client holds on `path`, locally (no request,
	 * no wait, any state): the facts they backed were dropped, and the
	 * client must not re-register them when it reconnects (node.h, the
	 * watch budget). Their events, if any still come, are not delivered. */
	void (*unwatch)(void *impl, const char *path);

	/*
	 * Writes. Each is sent once: a write is never sent again after it may
	 * have reached the server. While the connection is SUSPENDED they wait
	 * (up to the timeout) for it to come back before sending. Errors: ENOENT
	 * (no node, or no parent), EEXIST, ENOTEMPTY, ESTALE (version mismatch),
	 * EINVAL (a name or value the server refuses), EACCES (ACL), EIO
	 * (not connected in time; or the connection was lost with the request
	 * in flight, or no answer came in time: the outcome is unknown, the
	 * path is logged as such, and the backend reads the node back: 0 if it
	 * shows the write applied, EIO otherwise).
	 * Versions: -1 matches any version.
	 */

	/* Create a persistent znode with `len` bytes of `data` (len 0: empty).
	 * *st gets its stat. */
	int (*create)(void *impl, const char *path, const char *data, size_t len,
		      struct zstat *st);

	/* Set the data of `path` if its version is `version`. *st gets the new stat. */
	int (*set)(void *impl, const char *path, const char *data, size_t len,
		   int32_t version, struct zstat *st);

	/* Delete `path` if its version is `version`. */
	int (*remove)(void *impl, const char *path, int32_t version);

	/* Run `n` operations as one transaction (ZooKeeper's multi): all or
	 * none. On failure, *failed (if not NULL) gets the index of the
	 * operation that failed and the errno is that operation's. */
	int (*multi)(void *impl, const struct zop *ops, size_t n, size_t *failed);
};

struct backend {
	const struct backend_ops *ops;
	void *impl;
};

#endif
