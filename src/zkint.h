/*
 * zkint — what zk.c (the connection) shares with the calls over it: the batch
 * engine zkbatch.c (zkbatch.h), the reads of zkcall.c and the writes of
 * zkwrite.c. Private to src/zk*.c.
 *
 * Lock order: zk->cb_mu, then zk->mu, then a batch's mutex. No lock is held
 * across a round trip except inside pthread_cond_timedwait on it. Conditions
 * use CLOCK_MONOTONIC; deadlines are absolute CLOCK_MONOTONIC times.
 */
#ifndef ZKFS_ZKINT_H
#define ZKFS_ZKINT_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <zookeeper/zookeeper.h>

#include "cancel.h"
#include "zk.h"

struct batch;

/* One zhandle_t: one session (see zk.c). */
struct zkh {
	struct zk *zk;          /* immutable */
	zhandle_t *zh;          /* zk->mu; NULL until zookeeper_init returned */
	struct zkh *next;       /* zk->mu: in zk->retired */
	unsigned refs;          /* zk->mu: zk while current + callers sending */
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
	struct batch *batches;          /* mu: every live batch (zkbatch.c) */
	int session_timeout;            /* mu: negotiated, ms */
	int64_t session_id;             /* mu: 0 when none */
	unsigned users;                 /* mu: threads inside a call */
	bool need_session;              /* mu: expired, the supervisor opens one */
	struct timespec connected_at;   /* mu: when the state last became CONNECTED */
	unsigned quick_drops;           /* mu: connections lost right after they were
	                                 * made, in a row (zk.c: rejected watches) */
	bool stopping;                  /* mu: zk_free has begun */
	bool no_wait;                   /* mu: zk_stop_waiting was called */
	bool started;                   /* owner thread only (zk_start, zk_free) */
	pthread_t supervisor;
};

/* Now + ms on CLOCK_MONOTONIC. */
struct timespec zk_deadline(int ms);

/* pthread_cond_timedwait: 0 after a wakeup, ETIMEDOUT once `dl` passed. */
int zk_timed_wait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *dl);

/* Initialise a condition on CLOCK_MONOTONIC. 0 or errno. */
int zk_cond_init(pthread_cond_t *c);

/*
 * Wait until CONNECTED on a usable handle and take a reference to it; NULL at
 * the deadline, once zk_free has begun, or once `cx` (if not NULL) fired: the
 * token's waker must then broadcast zk->cond (cancel.h). With `backoff` (the
 * last round met a connection error), first pause up to a few ms unless the
 * state changed since *gen. *gen gets the generation the handle was taken at.
 */
struct zkh *zk_acquire(struct zk *zk, const struct timespec *dl, bool backoff,
		       unsigned *gen, const struct cancel *cx);
void zk_release(struct zk *zk, struct zkh *h);

/* A thread enters a call (false once zk_free has begun) and leaves it;
 * zk_free waits until every thread has left. */
bool zk_enter(struct zk *zk);
void zk_leave(struct zk *zk);

/* Forget the client's watches of `path` locally (backend.h unwatch): no
 * request, any state; nothing without a session. Takes zk->mu briefly. */
void zk_unwatch(struct zk *zk, const char *path);

/* zkbatch.c: after zookeeper_close(h), no answer comes from h any more:
 * release what its unanswered requests held and wake their callers. */
void zk_reap(struct zk *zk, const struct zkh *h);

/* zkcall.c: fetch the data and stat of `n` paths without leaving watches
 * (what zkwrite.c reads back after a write of unknown outcome); as fetch. */
int zk_read_back(struct zk *zk, const char *const *paths, size_t n, struct zfetch *out);

/* zkbatch.c: free every batch left (zk_free, after all handles are closed). */
void zk_batches_free(struct zk *zk);

#endif
