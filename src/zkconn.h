/*
 * zkconn — the connection: struct zk and its handles, the state machine fed
 * by the client's session events, the watch events handed to struct
 * backend_events, and how a call takes a connected handle (zk_acquire). The
 * bottom layer of src/zk*.c (the layers: zk.c), private to them.
 *
 * struct zkh is one zhandle_t, i.e. one session. zk holds a reference while
 * it is current; a caller holds one while it sends requests on it. After an
 * expiry (or at zk_free) it is retired; the supervisor (zk.c) closes it once
 * nobody holds it, so zookeeper_close() never runs on the client's threads
 * nor under a caller's feet.
 *
 * State: starts LOST; CONNECTED on ZOO_CONNECTED_STATE; SUSPENDED on
 * ZOO_CONNECTING_STATE once this session has been connected; LOST (expired)
 * on ZOO_EXPIRED_SESSION_STATE, after which the current handle is retired and
 * need_session asks the supervisor for a new session; LOST on
 * ZOO_AUTH_FAILED_STATE. Each transition is reported once, in order, with
 * cb_mu held.
 *
 * Lock order: zk->cb_mu, then zk->mu, then a batch's mutex. No lock is held
 * across a round trip except inside pthread_cond_timedwait on it. Conditions
 * use CLOCK_MONOTONIC; deadlines are absolute CLOCK_MONOTONIC times.
 */
#ifndef ZKFS_ZKCONN_H
#define ZKFS_ZKCONN_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <zookeeper/zookeeper.h>

#include "backend.h"
#include "cancel.h"

struct batch;

/* One zhandle_t: one session. */
struct zkh {
	struct zk *zk;          /* immutable */
	zhandle_t *zh;          /* zk->mu; NULL until zookeeper_init returned */
	struct zkh *next;       /* zk->mu: in zk->retired */
	unsigned refs;          /* zk->mu: zk while current + each caller using it */
	bool connected;         /* zk->mu: this session has been connected */
};

struct zk {
	char *servers;                  /* immutable after zk_new */
	int session_timeout_ms;         /* immutable */
	int timeout_ms;                 /* immutable */
	bool debug;                     /* immutable */
	struct backend_events ev;       /* immutable */
	const struct ACL_vector *acl;   /* immutable: of the znodes a write creates */
	const struct auth *auth;        /* immutable, not owned: added to each session */

	pthread_mutex_t cb_mu;          /* held while calling ev */
	pthread_mutex_t mu;
	pthread_cond_t cond;            /* on mu: state, handles, refs, users */
	enum zstate state;              /* mu */
	unsigned gen;                   /* mu: bumped on each change of state or handle */
	struct zkh *cur;                /* mu: the session in use, or NULL */
	struct zkh *retired;            /* mu: handles waiting for zookeeper_close */
	struct batch *batches;          /* mu: every live batch (zkbatch.c's) */
	int session_timeout;            /* mu: negotiated, ms */
	int64_t session_id;             /* mu: 0 when none */
	unsigned users;                 /* mu: threads inside a call */
	bool need_session;              /* mu: expired, the supervisor opens one */
	struct timespec connected_at;   /* mu: when the state last became CONNECTED */
	unsigned quick_drops;           /* mu: connections lost right after they were
	                                 * made, in a row (zkconn.c: rejected watches) */
	bool stopping;                  /* mu: zk_free has begun */
	bool no_wait;                   /* mu: zk_stop_waiting was called */
	bool started;                   /* owner thread only (zk_start, zk_free) */
	pthread_t supervisor;           /* owner thread only: valid once started */
};

/* Now + ms on CLOCK_MONOTONIC (a negative ms counts as 0). */
struct timespec zk_deadline(int ms);

/* pthread_cond_timedwait: 0 after a wakeup, ETIMEDOUT once `dl` passed. */
int zk_timed_wait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *dl);

/* Initialise a condition on CLOCK_MONOTONIC. 0 or errno. */
int zk_cond_init(pthread_cond_t *c);

/*
 * Open a session (zookeeper_init) with zk's credentials and make it current
 * (the supervisor and zk_start; called without zk->mu, and only while no
 * handle is current). 0, ENOMEM, or EINVAL for a server list the client
 * refuses (logged).
 */
int zk_open_session(struct zk *zk);

/* Move the current handle, if any, to zk->retired and drop zk's reference
 * to it (zk->mu held). */
void zk_retire_current(struct zk *zk);

/*
 * Wait until CONNECTED on a usable handle and take a reference to it. NULL
 * at the deadline, once zk_free has begun, once `cx` (if not NULL) fired
 * (the token's waker must then broadcast zk->cond: cancel.h), or at once
 * when not connected after zk_stop_waiting. With `backoff` (the last round
 * met a connection error), first pause up to 20 ms unless the generation
 * changes from *gen meanwhile (or one of the above cuts it short). *gen gets
 * the generation the handle was taken at. Give the reference back with
 * zk_release.
 */
struct zkh *zk_acquire(struct zk *zk, const struct timespec *dl, bool backoff,
		       unsigned *gen, const struct cancel *cx);
void zk_release(struct zk *zk, struct zkh *h);

/* A thread enters a call (false once zk_free has begun) and leaves it;
 * zk_free waits until every thread has left. */
bool zk_enter(struct zk *zk);
void zk_leave(struct zk *zk);

/* Forget the client's watches of `path` locally (backend.h unwatch): no
 * request, any state; nothing without a handle or once zk_free has begun.
 * Takes zk->mu briefly (and the client's own lock). */
void zk_unwatch(struct zk *zk, const char *path);

#endif
