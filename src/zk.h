/*
 * zk — the connection to the ensemble: one zhandle_t at a time, the state
 * machine LOST -> CONNECTED -> SUSPENDED -> CONNECTED (or -> LOST on expiry,
 * after which a new session is opened by itself), timeouts on every wait, the
 * asynchronous calls behind struct backend, and the errno table of SPEC.md §7.
 * Its files and their layers: zk.c.
 *
 * Threads: the C client's I/O and completion threads, plus one supervisor
 * thread of this module that closes the handles it retired (zookeeper_close()
 * cannot run on the completion thread) and opens a new session after an
 * expiry. Watch and state callbacks (struct backend_events) run on the
 * completion thread.
 *
 * Every wait is bounded: a call waits at most `timeout_ms` in all, whether for
 * the connection to come back or for the answer; then it fails with EIO and
 * the path and ZooKeeper error name are logged. A read made inside an
 * interruptible request ends earlier, with EINTR, when the request is
 * interrupted (cancel.h). Reads are sent again after a connection error; a
 * write is sent at most once (backend.h). When the connection fails with a
 * write in flight, or no answer comes in time, its outcome is unknown
 * ("<path>: <ZERROR>, outcome unknown" in the log): the call then reads its
 * paths back, within one more `timeout_ms`, and returns 0 if ZooKeeper shows
 * the write applied, EIO otherwise (zkwrite.c).
 */
#ifndef ZKFS_ZK_H
#define ZKFS_ZK_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "zkerr.h"          /* zk_errno, zk_errname */

struct zk;
struct ACL_vector;              /* <zookeeper/zookeeper.h> */
struct auth;                    /* auth.h */

struct zk_config {
	const char *servers;        /* "h1:2181,h2:2181" (source_normalize_servers) */
	int session_timeout_ms;     /* asked of the server; it may negotiate */
	int timeout_ms;             /* bound on every call and wait */
	bool debug;                 /* verbose C client log */
	const struct ACL_vector *acl;  /* of the znodes backend create/multi make;
	                             * NULL: ZOO_OPEN_ACL_UNSAFE (world:anyone) */
	const struct auth *auth;    /* credentials added to every session (auth.h);
	                             * NULL: none. Not copied: must outlive the zk */
};

/* The ACL of `-o acl=NAME`: "open" (world:anyone:cdrwa), "creator" (all for
 * the authenticated creator: needs credentials), "read" (world:anyone:r).
 * NULL for another name. */
const struct ACL_vector *zk_acl_named(const char *name);

/* Allocate; does not connect. The strings are copied; cfg->acl is not and
 * must outlive the zk. NULL on ENOMEM. */
struct zk *zk_new(const struct zk_config *cfg, const struct backend_events *ev);

/* Open the first session (zookeeper_init) and start the supervisor.
 * Returns 0 or an errno (EINVAL for a server list the client refuses,
 * EALREADY when started already). */
int zk_start(struct zk *zk);

/* Wait until CONNECTED, at most timeout_ms. 0, or ETIMEDOUT. */
int zk_wait_connected(struct zk *zk, int timeout_ms);

enum zstate zk_state(struct zk *zk);

/* The negotiated session timeout in ms (0 before the first connection) and
 * the current session id (0 when none). */
int zk_session_timeout(struct zk *zk);
int64_t zk_session_id(struct zk *zk);

/* The backend view of this connection (struct backend_ops over it). */
struct backend zk_backend(struct zk *zk);

/* Create every missing component of `path` as a persistent znode without
 * data and with the open ACL (the container's ensure_path). 0 or errno. */
int zk_ensure_path(struct zk *zk, const char *path);

/* Whether `path` exists, without a watch: 0, ENOENT, or another errno. */
int zk_exists(struct zk *zk, const char *path);

/* From now on no call waits for a connection: one made while not connected,
 * and every one waiting now, fails at once with EIO (the mount was detached:
 * nobody should wait for a server that may never come back). Calls on a live
 * connection go on as before. Any thread. */
void zk_stop_waiting(struct zk *zk);

/* Close the session (ephemeral nodes go), stop the supervisor, free.
 * Pending calls fail with EIO. NULL is fine. */
void zk_free(struct zk *zk);

#endif
