#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "vfile.h"

struct item {
	struct item *next;
	enum notice_kind kind;
	uint64_t ino, parent;
	char name[];
};

struct notify {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct item *head, *tail;   /* lock */
	bool touch_pending;         /* lock */
	bool stopping;              /* lock */
	bool started;               /* lock */
	unsigned long sent;         /* lock */
	unsigned long queued;       /* lock: notices ever queued */
	unsigned long handled;      /* lock: notices taken off and sent (or failed) */
	pthread_cond_t drained;     /* on lock: handled moved */
	pthread_t thread;           /* written by notify_start only */
	struct fuse_session *se;    /* const once started */
	char *state_path;           /* const once started */
};

struct notify *notify_new(void)
{
	struct notify *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	pthread_cond_init(&q->drained, NULL);
	return q;
}

void notify_sink(void *ctx, const struct notice *n)
{
	struct notify *q = ctx;
	size_t len = n->kind == NOTICE_INVAL_ENTRY ? strlen(n->name) : 0;
	struct item *it = malloc(sizeof(*it) + len + 1);

	if (!it) {
		log_err("out of memory: kernel cache notice for inode %llu lost",
			(unsigned long long)(n->ino ? n->ino : n->parent));
		return;
	}
	it->next = NULL;
	it->kind = n->kind;
	it->ino = n->ino;
	it->parent = n->parent;
	memcpy(it->name, len ? n->name : "", len + 1);
	pthread_mutex_lock(&q->lock);
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->queued++;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

void notify_touch_state(struct notify *q)
{
	pthread_mutex_lock(&q->lock);
	q->touch_pending = true;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

static bool expected(int err)
{
	return err == ENOENT || err == EBADF || err == ENOTCONN || err == ENODEV;
}

static void send_item(struct notify *q, const struct item *it)
{
	int rc;

	if (it->kind == NOTICE_INVAL_INODE)
		rc = fuse_lowlevel_notify_inval_inode(q->se, it->ino, 0, 0);
	else
		rc = fuse_lowlevel_notify_inval_entry(q->se, it->parent, it->name,
						      strlen(it->name));
	if (rc < 0 && !expected(-rc))
		log_warn("kernel cache notice for inode %llu: %s",
			 (unsigned long long)(it->ino ? it->ino : it->parent), strerror(-rc));
}

static void touch_state(struct notify *q)
{
	if (utimensat(AT_FDCWD, q->state_path, NULL, 0) < 0) {
		int err = errno;
		if (!expected(err))
			log_warn("%s: cannot touch: %s", q->state_path, strerror(err));
	}
}

static void *notify_main(void *arg)
{
	struct notify *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->stopping && !q->head && !q->touch_pending)
			pthread_cond_wait(&q->cond, &q->lock);
		if (q->stopping)
			break;
		if (q->head) {
			struct item *it = q->head;
			q->head = it->next;
			if (!q->head)
				q->tail = NULL;
			pthread_mutex_unlock(&q->lock);
			send_item(q, it);
			free(it);
			pthread_mutex_lock(&q->lock);
			q->sent++;
			q->handled++;
			pthread_cond_broadcast(&q->drained);
		} else {
			q->touch_pending = false;
			pthread_mutex_unlock(&q->lock);
			touch_state(q);
			pthread_mutex_lock(&q->lock);
		}
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int notify_start(struct notify *q, struct fuse_session *se, const char *mountpoint)
{
	int rc;

	q->se = se;
	if (asprintf(&q->state_path, "%s/%s", mountpoint, vfile_by_ino(VFILE_STATE_INO)->name) < 0)
		return ENOMEM;
	rc = pthread_create(&q->thread, NULL, notify_main, q);
	if (rc == 0) {
		pthread_mutex_lock(&q->lock);
		q->started = true;
		pthread_mutex_unlock(&q->lock);
	}
	return rc;
}

void notify_stop(struct notify *q)
{
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_signal(&q->cond);
	pthread_cond_broadcast(&q->drained);
	pthread_mutex_unlock(&q->lock);
}

void notify_join(struct notify *q)
{
	bool started;

	pthread_mutex_lock(&q->lock);
	started = q->started;
	q->started = false;
	pthread_mutex_unlock(&q->lock);
	if (started)
		pthread_join(q->thread, NULL);
}

unsigned long notify_sent(struct notify *q)
{
	unsigned long n;

	pthread_mutex_lock(&q->lock);
	n = q->sent;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void notify_free(struct notify *q)
{
	if (!q)
		return;
	notify_stop(q);
	notify_join(q);
	while (q->head) {
		struct item *it = q->head;
		q->head = it->next;
		free(it);
	}
	free(q->state_path);
	pthread_cond_destroy(&q->cond);
	pthread_cond_destroy(&q->drained);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

void notify_sync(void *ctx)
{
	struct notify *q = ctx;
	struct timespec dl;
	unsigned long target;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += NOTIFY_SYNC_SEC;
	pthread_mutex_lock(&q->lock);
	target = q->queued;
	while (q->started && !q->stopping && q->handled < target && rc == 0)
		rc = pthread_cond_timedwait(&q->drained, &q->lock, &dl);
	if (rc == ETIMEDOUT)
		log_warn("kernel cache notices still queued after %d s (%lu to go)",
			 NOTIFY_SYNC_SEC, target - q->handled);
	pthread_mutex_unlock(&q->lock);
}
