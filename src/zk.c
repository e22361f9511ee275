/*
 * zk — the connection's face (contract in zk.h): its life cycle (zk_new,
 * zk_start, zk_free), the supervisor thread that closes retired handles and
 * opens a new session after an expiry, its state, and the calls: the backend
 * table, zk_exists and zk_ensure_path, which are the reads of zkcall.c and
 * the writes of zkwrite.c.
 *
 * The files of zk, each calling only those below it; private headers:
 *
 *   zk.c        this                                          (zk.h)
 *   zkwrite.c   writes; reads back a write of unknown outcome (zkwrite.h)
 *   zkcall.c    reads                                         (zkcall.h)
 *   zkbatch.c   the batch engine under every call             (zkbatch.h)
 *   zkconn.c    struct zk, handles, the state machine         (zkconn.h)
 *   zkerr.c     the errno table and error names               (zkerr.h)
 */
#include "zk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zookeeper/zookeeper.h>

#include "zkbatch.h"
#include "zkcall.h"
#include "zkconn.h"
#include "zkwrite.h"

#define REOPEN_DELAY_MS 1000   /* between failed zookeeper_init after expiry */

const struct ACL_vector *zk_acl_named(const char *name)
{
	if (strcmp(name, "open") == 0)
		return &ZOO_OPEN_ACL_UNSAFE;
	if (strcmp(name, "creator") == 0)
		return &ZOO_CREATOR_ALL_ACL;
	if (strcmp(name, "read") == 0)
		return &ZOO_READ_ACL_UNSAFE;
	return NULL;
}

/* ---- the supervisor ---- */

/* After zookeeper_close(h) no answer comes from h any more. */
static void close_handle(struct zk *zk, struct zkh *h)
{
	if (h->zh)
		zookeeper_close(h->zh);
	batch_reap(zk, h);   /* its unanswered requests */
	free(h);
}

/* Unlink a retired handle nobody holds (zk->mu held), or NULL. */
static struct zkh *closable(struct zk *zk)
{
	for (struct zkh **p = &zk->retired; *p; p = &(*p)->next) {
		struct zkh *h = *p;

		if (h->refs == 0) {
			*p = h->next;
			return h;
		}
	}
	return NULL;
}

static void reopen(struct zk *zk)   /* zk->mu held; may drop it */
{
	struct timespec dl;
	int err;

	zk->need_session = false;
	pthread_mutex_unlock(&zk->mu);
	err = zk_open_session(zk);
	pthread_mutex_lock(&zk->mu);
	if (!err)
		return;
	zk->need_session = true;
	dl = zk_deadline(REOPEN_DELAY_MS);
	while (!zk->stopping && zk_timed_wait(&zk->cond, &zk->mu, &dl) == 0)
		;
}

/* The supervisor: closes retired handles, opens a session after expiry. */
static void *supervise(void *arg)
{
	struct zk *zk = arg;
	struct zkh *h;

	pthread_mutex_lock(&zk->mu);
	for (;;) {
		if ((h = closable(zk))) {
			pthread_mutex_unlock(&zk->mu);
			close_handle(zk, h);
			pthread_mutex_lock(&zk->mu);
		} else if (zk->stopping && zk->cur) {
			zk_retire_current(zk);
		} else if (zk->stopping) {
			if (!zk->retired)
				break;
			pthread_cond_wait(&zk->cond, &zk->mu);   /* a caller still sends */
		} else if (zk->need_session) {
			reopen(zk);
		} else {
			pthread_cond_wait(&zk->cond, &zk->mu);
		}
	}
	pthread_mutex_unlock(&zk->mu);
	return NULL;
}

/* ---- life cycle ---- */

struct zk *zk_new(const struct zk_config *cfg, const struct backend_events *ev)
{
	struct zk *zk = calloc(1, sizeof(*zk));

	if (!zk)
		return NULL;
	zk->servers = strdup(cfg->servers ? cfg->servers : "");
	if (!zk->servers || zk_cond_init(&zk->cond)) {
		free(zk->servers);
		free(zk);
		return NULL;
	}
	pthread_mutex_init(&zk->mu, NULL);
	pthread_mutex_init(&zk->cb_mu, NULL);
	zk->session_timeout_ms = cfg->session_timeout_ms;
	zk->timeout_ms = cfg->timeout_ms;
	zk->debug = cfg->debug;
	if (ev)
		zk->ev = *ev;
	zk->acl = cfg->acl ? cfg->acl : &ZOO_OPEN_ACL_UNSAFE;
	zk->auth = cfg->auth;
	zk->state = ZS_LOST;
	return zk;
}

int zk_start(struct zk *zk)
{
	int err;

	if (zk->started)
		return EALREADY;
	/* The client's own log only with -d: zkfs logs what matters itself
	 * (state changes, failed calls with path and error name), and mount(8)
	 * should print one clear line on failure, not the client's retries. */
	zoo_set_debug_level(zk->debug ? ZOO_LOG_LEVEL_DEBUG : (ZooLogLevel)0);
	err = zk_open_session(zk);
	if (err)
		return err;
	err = pthread_create(&zk->supervisor, NULL, supervise, zk);
	if (err) {
		struct zkh *h;

		pthread_mutex_lock(&zk->mu);
		h = zk->cur;
		zk->cur = NULL;
		pthread_mutex_unlock(&zk->mu);
		close_handle(zk, h);
		return err;
	}
	zk->started = true;
	return 0;
}

void zk_free(struct zk *zk)
{
	if (!zk)
		return;
	pthread_mutex_lock(&zk->mu);
	zk->stopping = true;
	pthread_cond_broadcast(&zk->cond);
	pthread_mutex_unlock(&zk->mu);
	if (zk->started)
		pthread_join(zk->supervisor, NULL);   /* every handle is closed */
	pthread_mutex_lock(&zk->mu);
	while (zk->users > 0)
		pthread_cond_wait(&zk->cond, &zk->mu);
	pthread_mutex_unlock(&zk->mu);
	batch_free_all(zk);   /* none should be left */
	pthread_cond_destroy(&zk->cond);
	pthread_mutex_destroy(&zk->mu);
	pthread_mutex_destroy(&zk->cb_mu);
	free(zk->servers);
	free(zk);
}

/* ---- the state ---- */

int zk_wait_connected(struct zk *zk, int timeout_ms)
{
	struct timespec dl = zk_deadline(timeout_ms);
	int err;

	pthread_mutex_lock(&zk->mu);
	while (zk->state != ZS_CONNECTED && !zk->stopping)
		if (zk_timed_wait(&zk->cond, &zk->mu, &dl))
			break;
	err = zk->state == ZS_CONNECTED ? 0 : ETIMEDOUT;
	pthread_mutex_unlock(&zk->mu);
	return err;
}

enum zstate zk_state(struct zk *zk)
{
	enum zstate s;

	pthread_mutex_lock(&zk->mu);
	s = zk->state;
	pthread_mutex_unlock(&zk->mu);
	return s;
}

int zk_session_timeout(struct zk *zk)
{
	int t;

	pthread_mutex_lock(&zk->mu);
	t = zk->session_timeout;
	pthread_mutex_unlock(&zk->mu);
	return t;
}

int64_t zk_session_id(struct zk *zk)
{
	int64_t id;

	pthread_mutex_lock(&zk->mu);
	id = zk->session_id;
	pthread_mutex_unlock(&zk->mu);
	return id;
}

void zk_stop_waiting(struct zk *zk)
{
	pthread_mutex_lock(&zk->mu);
	zk->no_wait = true;
	pthread_cond_broadcast(&zk->cond);
	pthread_mutex_unlock(&zk->mu);
}

/* ---- calls: reads (zkcall.c) and writes (zkwrite.c) ---- */

int zk_exists(struct zk *zk, const char *path)
{
	return zk_read_exists(zk, path);
}

int zk_ensure_path(struct zk *zk, const char *path)
{
	return zk_read_ensure_path(zk, path);
}

static void be_unwatch(void *impl, const char *path)
{
	zk_unwatch(impl, path);
}

static const struct backend_ops zk_ops = {
	.fetch = zk_read_fetch,
	.get_acl = zk_read_acl,
	.unwatch = be_unwatch,
	.create = zk_write_create,
	.set = zk_write_set,
	.remove = zk_write_remove,
	.multi = zk_write_multi,
};

struct backend zk_backend(struct zk *zk)
{
	return (struct backend){ .ops = &zk_ops, .impl = zk };
}
