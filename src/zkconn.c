/*
 * zkconn — the connection: handles, the state machine, how a call takes a
 * connected handle (contract in zkconn.h).
 */
#include "zkconn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zookeeper/zookeeper.h>

#include "auth.h"
#include "log.h"
#include "zkerr.h"

#define BACKOFF_MS      20     /* pause before retrying on an unchanged state */
#define RESOLVE_DELAY_MS 60000 /* zoo_set_servers_resolution_delay */
/* A connection lost within QUICK_DROP_MS of being made was refused by the
 * server; QUICK_DROPS of them in a row make zkfs drop its watches (the
 * server refuses a re-registration larger than its jute.maxbuffer). */
#define QUICK_DROP_MS   1000
#define QUICK_DROPS     3

/* ---- time ---- */

struct timespec zk_deadline(int ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	if (ms < 0)
		ms = 0;
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* 0 after a wakeup, ETIMEDOUT once `dl` has passed. */
int zk_timed_wait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *dl)
{
	return pthread_cond_timedwait(c, m, dl) == ETIMEDOUT ? ETIMEDOUT : 0;
}

int zk_cond_init(pthread_cond_t *c)
{
	pthread_condattr_t a;
	int err;

	err = pthread_condattr_init(&a);
	if (err)
		return err;
	err = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (!err)
		err = pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
	return err;
}

/* ---- handles and the state machine ---- */

void zk_retire_current(struct zk *zk)   /* zk->mu held */
{
	struct zkh *h = zk->cur;

	if (!h)
		return;
	zk->cur = NULL;
	h->refs--;
	h->next = zk->retired;
	zk->retired = h;
	pthread_cond_broadcast(&zk->cond);
}

/* The state a session event leads to (zk->mu held). */
static enum zstate next_state(struct zk *zk, struct zkh *h, zhandle_t *zh,
			      int state, bool *expired)
{
	if (state == ZOO_CONNECTED_STATE || state == ZOO_READONLY_STATE) {
		const clientid_t *id = zoo_client_id(zh);

		h->connected = true;
		zk->session_id = id ? id->client_id : 0;
		zk->session_timeout = zoo_recv_timeout(zh);
		return ZS_CONNECTED;
	}
	if (state == ZOO_CONNECTING_STATE)
		return h->connected ? ZS_SUSPENDED : zk->state;
	if (state == ZOO_EXPIRED_SESSION_STATE) {
		*expired = true;
		zk_retire_current(zk);
		zk->need_session = true;
		return ZS_LOST;
	}
	if (state == ZOO_AUTH_FAILED_STATE) {
		/* The client gives the handle up; so does Kazoo (LOST). */
		log_err("zookeeper: authentication failed, the session is unusable");
		return ZS_LOST;
	}
	return zk->state;   /* associating, not connected: nothing to report */
}

static long ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/*
 * A transition `from` -> `to` (zk->mu held): is this the connection that the
 * servers keep dropping at once? The C client re-registers every watch in one
 * request at each reconnection, and a server drops a request over its
 * jute.maxbuffer, with the connection, every time: the client would retry
 * forever. True once QUICK_DROPS such drops came in a row.
 */
static bool rejected(struct zk *zk, enum zstate from, enum zstate to)
{
	if (to == ZS_CONNECTED)
		clock_gettime(CLOCK_MONOTONIC, &zk->connected_at);
	if (from != ZS_CONNECTED || to != ZS_SUSPENDED)
		return false;
	if (ms_since(&zk->connected_at) >= QUICK_DROP_MS) {
		zk->quick_drops = 0;
		return false;
	}
	if (++zk->quick_drops < QUICK_DROPS)
		return false;
	zk->quick_drops = 0;
	return true;
}

static void session_event(struct zk *zk, struct zkh *h, zhandle_t *zh, int state)
{
	bool expired = false, change, drop_all = false;
	enum zstate to;
	int64_t sid;
	int tmo;

	pthread_mutex_lock(&zk->cb_mu);
	pthread_mutex_lock(&zk->mu);
	if (h != zk->cur || zk->stopping) {
		pthread_mutex_unlock(&zk->mu);
		pthread_mutex_unlock(&zk->cb_mu);
		return;
	}
	to = next_state(zk, h, zh, state, &expired);
	change = to != zk->state;
	if (change) {
		drop_all = rejected(zk, zk->state, to);
		zk->state = to;
		if (to == ZS_LOST)
			zk->session_id = 0;
	}
	if (change || expired) {
		zk->gen++;
		pthread_cond_broadcast(&zk->cond);
	}
	sid = zk->session_id;
	tmo = zk->session_timeout;
	pthread_mutex_unlock(&zk->mu);
	if (change && to == ZS_CONNECTED) {
		/* The session id tells a move to another server (same id) from
		 * a new session after an expiry (another id). */
		log_info("zookeeper: %s (session 0x%llx, timeout %d ms)", zstate_name(to),
			 (unsigned long long)sid, tmo);
	} else if (change) {
		log_info("zookeeper: %s%s", zstate_name(to),
			 expired ? " (session expired)" : "");
	}
	if (change) {
		if (zk->ev.on_state)
			zk->ev.on_state(zk->ev.ctx, to, expired);
	}
	if (drop_all) {
		log_warn("zookeeper: the server dropped the last %d connections as soon as they "
			 "were made (are this mount's watches over its jute.maxbuffer?): "
			 "dropping every cached fact and its watch", QUICK_DROPS);
		if (zk->ev.on_rejected)
			zk->ev.on_rejected(zk->ev.ctx);
	}
	pthread_mutex_unlock(&zk->cb_mu);
}

static void watch_event(struct zk *zk, struct zkh *h, zhandle_t *zh, int type,
			const char *path)
{
	enum zevent ev;
	bool live;

	if (type == ZOO_CREATED_EVENT)
		ev = ZEV_CREATED;
	else if (type == ZOO_DELETED_EVENT)
		ev = ZEV_DELETED;
	else if (type == ZOO_CHANGED_EVENT)
		ev = ZEV_CHANGED;
	else if (type == ZOO_CHILD_EVENT)
		ev = ZEV_CHILD;
	else
		return;
	if (!path)
		return;
	pthread_mutex_lock(&zk->cb_mu);
	pthread_mutex_lock(&zk->mu);
	live = h == zk->cur && !zk->stopping;
	pthread_mutex_unlock(&zk->mu);
	if (live) {
		log_debug("zookeeper: watch %d on %s", (int)ev, path);
		/* The receiver drops every fact of `path`: the watch that did not
		 * fire (a data change leaves the child watch) backs nothing now,
		 * and must not be re-registered at a reconnection (node.h). */
		zoo_remove_watches(zh, path, ZWATCHTYPE_ANY, NULL, NULL, 1);
		if (zk->ev.on_watch)
			zk->ev.on_watch(zk->ev.ctx, ev, path);
	}
	pthread_mutex_unlock(&zk->cb_mu);
}

/* The default watcher of every handle; ctx is its struct zkh. */
static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	struct zkh *h = ctx;

	if (!h)
		return;
	if (type == ZOO_SESSION_EVENT)
		session_event(h->zk, h, zh, state);
	else if (type != ZOO_NOTWATCHING_EVENT)
		watch_event(h->zk, h, zh, type, path);
}

/* ---- sessions ---- */

/* The client keeps them and sends them on every (re)connection of this
 * session; a new session (after an expiry) gets them here again. */
static void add_credentials(struct zk *zk, zhandle_t *zh)
{
	for (size_t i = 0; zk->auth && i < zk->auth->n; i++) {
		const struct auth_cred *c = &zk->auth->creds[i];
		int rc = zoo_add_auth(zh, c->scheme, c->cert, (int)c->len, NULL, NULL);

		if (rc != ZOK)   /* never log the credential itself */
			log_err("zookeeper: cannot add credentials of scheme %s: %s", c->scheme,
				zk_errname(rc));
	}
}

/* Open a session and make it current (zkconn.h). Called without mu. */
int zk_open_session(struct zk *zk)
{
	struct zkh *h = calloc(1, sizeof(*h));
	zhandle_t *zh;
	int err;

	if (!h)
		return ENOMEM;
	h->zk = zk;
	h->refs = 1;
	pthread_mutex_lock(&zk->mu);
	zk->cur = h;            /* before init: its events may come at once */
	pthread_mutex_unlock(&zk->mu);
	errno = 0;
	zh = zookeeper_init(zk->servers, watcher, zk->session_timeout_ms, NULL, h, 0);
	err = errno;
	pthread_mutex_lock(&zk->mu);
	if (!zh) {
		zk->cur = NULL;
		pthread_mutex_unlock(&zk->mu);
		free(h);
		log_err("zookeeper: cannot use servers \"%s\": %s", zk->servers,
			strerror(err ? err : EINVAL));
		return err == ENOMEM ? ENOMEM : EINVAL;
	}
	add_credentials(zk, zh);
	/* The I/O thread re-resolves the server list at every wake-up unless
	 * told otherwise (a getaddrinfo per request, seen in profiles): at most
	 * once a minute, and always after a connection loss. */
	zoo_set_servers_resolution_delay(zh, RESOLVE_DELAY_MS);
	h->zh = zh;
	zk->gen++;
	pthread_cond_broadcast(&zk->cond);
	pthread_mutex_unlock(&zk->mu);
	return 0;
}

/* ---- what a call takes ---- */

/* The pause of `backoff` (zkconn.h): the last round failed on a handle the
 * client may not have given up on yet. */
struct zkh *zk_acquire(struct zk *zk, const struct timespec *dl, bool backoff,
		       unsigned *gen, const struct cancel *cx)
{
	struct zkh *h = NULL;

	pthread_mutex_lock(&zk->mu);
	if (backoff) {
		struct timespec pause = zk_deadline(BACKOFF_MS);

		if (before(dl, &pause))
			pause = *dl;
		while (!zk->stopping && !zk->no_wait && zk->gen == *gen &&
		       !(cx && cancel_fired(cx)) && zk_timed_wait(&zk->cond, &zk->mu, &pause) == 0)
			;
	}
	for (;;) {
		if (zk->stopping || (cx && cancel_fired(cx)))
			break;
		if (zk->state == ZS_CONNECTED && zk->cur && zk->cur->zh) {
			h = zk->cur;
			h->refs++;
			*gen = zk->gen;
			break;
		}
		if (zk->no_wait || zk_timed_wait(&zk->cond, &zk->mu, dl))
			break;
	}
	pthread_mutex_unlock(&zk->mu);
	return h;
}

void zk_unwatch(struct zk *zk, const char *path)
{
	struct zkh *h = NULL;

	pthread_mutex_lock(&zk->mu);
	if (zk->cur && zk->cur->zh && !zk->stopping) {
		h = zk->cur;
		h->refs++;
	}
	pthread_mutex_unlock(&zk->mu);
	if (!h)
		return;
	zoo_remove_watches(h->zh, path, ZWATCHTYPE_ANY, NULL, NULL, 1);
	zk_release(zk, h);
}

void zk_release(struct zk *zk, struct zkh *h)
{
	pthread_mutex_lock(&zk->mu);
	if (--h->refs == 0)
		pthread_cond_broadcast(&zk->cond);
	pthread_mutex_unlock(&zk->mu);
}

bool zk_enter(struct zk *zk)
{
	bool ok;

	pthread_mutex_lock(&zk->mu);
	ok = !zk->stopping;
	if (ok)
		zk->users++;
	pthread_mutex_unlock(&zk->mu);
	return ok;
}

void zk_leave(struct zk *zk)
{
	pthread_mutex_lock(&zk->mu);
	if (--zk->users == 0)
		pthread_cond_broadcast(&zk->cond);
	pthread_mutex_unlock(&zk->mu);
}
