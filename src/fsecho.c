/*
 * fsecho — changes made by other ZooKeeper clients raise real inotify events
 * on the mount (fsops.h: fs_echo_*; docs/SEMANTICS.md, "inotify").
 *
 * Linux raises inotify events only for operations done through the VFS, and
 * FUSE has no notification that raises them. So a thread of the daemon does
 * on its own mount what the change would have been on a local filesystem:
 *   data changed      open(O_WRONLY), write 1 byte, close: IN_OPEN, IN_MODIFY,
 *                     IN_CLOSE_WRITE (the file, and its directory's watch)
 *   name created      open(O_CREAT|O_EXCL) and close: IN_CREATE, IN_OPEN,
 *                     IN_CLOSE_WRITE; or mkdir: IN_CREATE|IN_ISDIR
 *   name deleted      unlink or rmdir: IN_DELETE on the directory,
 *                     IN_DELETE_SELF and IN_IGNORED on the name's own watch
 *   kind changed      the delete, then the create
 * Those requests come back to the daemon. ops.c recognises them by their pid
 * (the thread's id, fs_echo_self) and answers them without a write to
 * ZooKeeper: the open gets a marker handle whose writes are acknowledged;
 * lookups, creates and unlinks are fsechoans.c's (the lookup of a name being
 * created is negative, the create answers the znode's real entry, the unlink
 * succeeds for the inode the kernel held).
 *
 * The flow. A watch event on something the kernel knows (node_on_watch calls
 * fs_echo_seen with the facts of before: the inode it held, the listing)
 * queues its path, at most once (later events merge into the queued item).
 * The thread takes a batch, waits until the kernel notices of the events
 * were sent (cfg.sync_notices: a watcher re-reading on the event reads the
 * new value), fetches the paths again in one pipelined request (which
 * re-arms their watches, so that the next change raises an event too, and
 * caches what a re-reading watcher will read), compares with what came
 * before, and performs the operations. What this mount changed itself raises
 * nothing more: the kernel raised its events already (entry->own_mzxid, a
 * name the kernel knows, an inode this mount unlinked: node.h).
 *
 * The operations go through a private clone of the mount (open_tree), so
 * that a plain `umount` never finds the mount busy because of them; without
 * CAP_SYS_ADMIN, through the mount point itself. The thread holds no lock
 * while it operates: a FUSE worker answers its requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "fsecho_int.h"
#include "log.h"

/* Paths per batch: one pipelined fetch. */
#define ECHO_BATCH 128

struct echo {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct echo_item **hash; /* mu */
	size_t cap;              /* power of two, const */
	struct echo_item *head, *tail; /* mu */
	size_t queued;           /* mu: items in the hash */
	bool stopping;           /* mu */
	bool started;            /* mu */
	bool connected;          /* mu */
	pthread_t thread;
	_Atomic pid_t tid;       /* the thread's id: its requests carry it */
	char *mountpoint;        /* const */
	dev_t dev;               /* const: the mount's device, 0 unknown */
	int root;                /* the thread's: the root it operates in, -1 none */
	bool told_unclonable;    /* the thread's: the log said it cannot clone */
	bool deferred;           /* mu: the last batch put an item back (finish) */
	bool root_cloned;        /* the thread's: root is a private clone */
	struct echo_op cur;      /* mu: the operation in progress */
	struct fs_file marker;   /* the handle of its opens (never used) */
};

static size_t hash_path(const char *s)
{
	size_t h = 14695981039346656037u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static struct echo_item **slot(struct echo *q, const char *path)
{
	struct echo_item **pp = &q->hash[hash_path(path) & (q->cap - 1)];

	while (*pp && strcmp((*pp)->path, path) != 0)
		pp = &(*pp)->hnext;
	return pp;
}

static void item_free(struct echo_item *it)
{
	echo_free_list(it->base, it->nbase);
	echo_free_list(it->again_base, it->again_nbase);
	free(it->path);
	free(it);
}

static void enqueue(struct echo *q, struct echo_item *it)
{
	it->next = NULL;
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	pthread_cond_signal(&q->cond);
}

/* ---- the events (node_on_watch, table lock held) ---- */

void fs_echo_seen(void *ctx, struct entry *e, enum zevent ev)
{
	struct fs *fs = ctx;
	struct echo *q = fs->echo;
	struct node *n = e->node;
	bool knows = n && n->nlookup > 0;
	bool data_known = e->datafile && e->datafile->nlookup > 0;
	char **base = NULL;
	size_t nbase = 0;
	bool has_base = false;
	struct echo_item **pp, *it;

	if (!q)
		return;
	if (ev == ZEV_CREATED) {
		/* A name the kernel looked up and found absent, in a directory
		 * it knows; not one this mount is creating itself. */
		if (e->creating || n || !node_parent_known(fs->nt, e))
			return;
	} else if (!knows && !data_known) {
		return;
	}
	if (ev == ZEV_CHILD && knows && e->valid) {
		base = e->children;        /* dropped anyway: taken, not copied */
		nbase = e->nchildren;
		has_base = true;
		e->children = NULL;
		e->nchildren = 0;
	}
	pthread_mutex_lock(&q->mu);
	if (q->stopping) {
		pthread_mutex_unlock(&q->mu);
		echo_free_list(base, nbase);
		return;
	}
	pp = slot(q, e->path);
	it = *pp;
	if (!it) {
		it = calloc(1, sizeof(*it));
		if (!it || !(it->path = strdup(e->path))) {
			pthread_mutex_unlock(&q->mu);
			free(it);
			echo_free_list(base, nbase);
			log_warn("%s: out of memory: the inotify event of a remote change is lost",
				 e->path);
			return;
		}
		it->ino = knows ? n->ino : 0;
		it->kind = knows ? n->kind : NK_FILE;
		e->echo_pending = true;
		*pp = it;
		q->queued++;
		enqueue(q, it);
	}
	if (it->inflight) {
		it->again = true;
		it->again_evs |= EVBIT(ev);
		if (has_base) {
			echo_free_list(it->again_base, it->again_nbase);
			it->again_base = base;
			it->again_nbase = nbase;
			it->again_has_base = true;
			has_base = false;
		}
	} else {
		it->evs |= EVBIT(ev);
		if (has_base && !it->has_base) {
			it->base = base;
			it->nbase = nbase;
			it->has_base = true;
			has_base = false;
		}
	}
	pthread_mutex_unlock(&q->mu);
	if (has_base)
		echo_free_list(base, nbase);
}

void fs_echo_state(struct fs *fs, enum zstate state)
{
	struct echo *q = fs->echo;

	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->connected = state == ZS_CONNECTED;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->mu);
}

/* ---- the requests of the thread (ops.c) ---- */

bool fs_echo_self(struct fs *fs, pid_t pid)
{
	return fs->echo && pid != 0 && atomic_load(&fs->echo->tid) == pid;
}

struct fs_file *fs_echo_handle(struct fs *fs)
{
	return fs->echo ? &fs->echo->marker : NULL;
}

void echo_current(struct fs *fs, struct echo_op *op)
{
	pthread_mutex_lock(&fs->echo->mu);
	*op = fs->echo->cur;
	pthread_mutex_unlock(&fs->echo->mu);
}

void echo_current_ino(struct fs *fs, uint64_t ino)
{
	pthread_mutex_lock(&fs->echo->mu);
	fs->echo->cur.ino = ino;
	pthread_mutex_unlock(&fs->echo->mu);
}

/* ---- performing ---- */

/* The path of znode path `zpath` below the mount's root ("." for the root). */
static const char *rel_path(struct fs *fs, const char *zpath)
{
	size_t len = strlen(fs->cfg.base);

	if (strcmp(fs->cfg.base, "/") == 0)
		return zpath[1] ? zpath + 1 : ".";
	if (strncmp(zpath, fs->cfg.base, len) != 0)
		return NULL;
	return zpath[len] == '/' ? zpath + len + 1 : zpath[len] ? NULL : ".";
}

/* A directory descriptor of the mount's root, for operations that do not
 * keep it busy: a private clone of the mount (in no mount table), or the
 * mount point itself without the privilege to clone. -1 when what is there
 * is not this mount (unmounted meanwhile). */
static int open_root(struct echo *q)
{
	struct statx st;
	int fd = open_tree(AT_FDCWD, q->mountpoint, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (fd < 0) {
		int err = errno;

		if (!q->told_unclonable) {
			q->told_unclonable = true;
			log_info("%s: inotify events of remote changes are raised through the mount "
				 "point itself (a private clone of the mount: %s): a plain umount finds "
				 "the mount busy while they are raised (umount -l does not)",
				 q->mountpoint, strerror(err));
		}
		fd = open(q->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	q->root_cloned = fd >= 0 && !q->told_unclonable;
	if (fd < 0)
		return -1;
	/* The attributes the kernel has (no request: the daemon may be unable
	 * to answer one while this thread waits, under valgrind). */
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE, &st) != 0 ||
	    (q->dev && makedev(st.stx_dev_major, st.stx_dev_minor) != q->dev)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One operation, relative to the thread's root. */
static int operate(struct echo *q, enum echo_op_type type, const char *rel, enum node_kind kind)
{
	int fd, rc = 0;

	switch (type) {
	case ECHO_MODIFY:
		fd = openat(q->root, rel, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 || write(fd, "\n", 1) != 1)
			rc = errno;
		if (fd >= 0)
			close(fd);
		return rc;
	case ECHO_CREATE:
		if (kind == NK_DIR)
			return mkdirat(q->root, rel, 0755) ? errno : 0;
		/* An exclusive create and close, not mknod: the file appears as
		 * `touch` makes one (IN_CREATE, IN_OPEN, IN_CLOSE_WRITE, so a
		 * watcher of IN_CLOSE_WRITE alone reads it too); and valgrind
		 * holds its lock across mknodat, which our own workers must
		 * answer. */
		fd = openat(q->root, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC, 0644);
		if (fd < 0)
			return errno;
		close(fd);
		return 0;
	case ECHO_DELETE:
		return unlinkat(q->root, rel, kind == NK_DIR ? AT_REMOVEDIR : 0) ? errno : 0;
	}
	return EINVAL;
}

/* The system calls (echo_perform_fn), relative to the thread's root. */
static int syscalls(void *ctx, enum echo_op_type type, const char *rel, enum node_kind kind)
{
	struct echo *q = ctx;
	int rc;

	if (q->root < 0 && (q->root = open_root(q)) < 0)
		return ENODEV;
	rc = operate(q, type, rel, kind);
	if (!q->root_cloned) {   /* the mount point itself: busy as briefly as can be */
		close(q->root);
		q->root = -1;
	}
	return rc;
}

static void set_current(struct echo *q, const struct echo_op *o)
{
	pthread_mutex_lock(&q->mu);
	if (o)
		q->cur = *o;
	else
		memset(&q->cur, 0, sizeof(q->cur));
	pthread_mutex_unlock(&q->mu);
}

/* Perform the batch's operations (until a stop). The number performed. */
static size_t perform_all(struct fs *fs, struct echo_batch *b, echo_perform_fn perform,
			  void *ctx)
{
	struct echo *q = fs->echo;
	size_t done = 0;

	for (size_t i = 0; i < b->nops; i++) {
		const struct echo_op *o = &b->ops[i];
		const char *rel = rel_path(fs, o->path);
		bool stop;
		int rc;

		pthread_mutex_lock(&q->mu);
		stop = q->stopping;
		pthread_mutex_unlock(&q->mu);
		if (stop)
			break;
		if (!rel || !o->type)
			continue;
		set_current(q, o);
		rc = perform(ctx, o->type, rel, o->kind);
		set_current(q, NULL);
		if (rc == ENODEV) {
			log_debug("%s: not this mount any more: inotify events not raised",
				  q->mountpoint ? q->mountpoint : "");
			break;
		}
		if (rc == ENOENT || rc == EEXIST || rc == ENOTDIR)   /* changed again meanwhile */
			log_debug("%s: inotify event of a remote change not raised: %s", o->path,
				  strerror(rc));
		else if (rc)
			log_warn("%s: inotify event of a remote change not raised: %s", o->path,
				 strerror(rc));
		else
			done++;
	}
	return done;
}

/* ---- the thread ---- */

/* After a batch: an item that got events meanwhile goes round again, with
 * what the kernel holds now and the listing of its fetch (or the one its
 * new event took) as the state before; the others are done. Table lock and
 * mu held. */
static void finish(struct echo *q, struct echo_batch *b, size_t i)
{
	struct echo_item *it = b->items[i];
	struct entry *e = b->es[i];

	if (it->deferred) {       /* again, with the same events, once its write is answered */
		it->deferred = false;
		it->again = true;
		it->again_evs |= it->evs;
		q->deferred = true;
	}
	echo_free_list(it->base, it->nbase);
	it->base = NULL;
	it->nbase = 0;
	it->has_base = false;
	if (!it->again) {
		if (e)
			e->echo_pending = false;
		*slot(q, it->path) = it->hnext;
		q->queued--;
		item_free(it);
		return;
	}
	it->evs = it->again_evs;
	it->again = false;
	it->again_evs = 0;
	it->inflight = false;
	it->ino = e && e->node && e->node->nlookup > 0 ? e->node->ino : 0;
	it->kind = it->ino ? e->node->kind : NK_FILE;
	if (it->again_has_base) {
		it->base = it->again_base;
		it->nbase = it->again_nbase;
		it->has_base = true;
	} else if (b->lists_ok[i]) {
		it->base = b->lists[i];       /* taken from the batch */
		it->nbase = b->nlists[i];
		it->has_base = true;
		b->lists[i] = NULL;
		b->nlists[i] = 0;
	}
	it->again_base = NULL;
	it->again_nbase = 0;
	it->again_has_base = false;
	enqueue(q, it);
}

/* Put a batch back as it was (its fetch failed): tried again later. */
static void requeue(struct echo *q, struct echo_item **items, size_t n)
{
	pthread_mutex_lock(&q->mu);
	for (size_t i = 0; i < n; i++) {
		struct echo_item *it = items[i];

		it->inflight = false;
		it->evs |= it->again_evs;
		it->again = false;
		it->again_evs = 0;
		if (it->again_has_base && !it->has_base) {
			it->base = it->again_base;
			it->nbase = it->again_nbase;
			it->has_base = true;
		} else {
			echo_free_list(it->again_base, it->again_nbase);
		}
		it->again_base = NULL;
		it->again_nbase = 0;
		it->again_has_base = false;
		enqueue(q, it);
	}
	pthread_mutex_unlock(&q->mu);
}

/* Take up to `max` queued items (mu held). */
static size_t take(struct echo *q, struct echo_item **batch, size_t max)
{
	size_t n = 0;

	while (q->head && n < max) {
		struct echo_item *it = q->head;

		q->head = it->next;
		if (!q->head)
			q->tail = NULL;
		it->inflight = true;
		batch[n++] = it;
	}
	return n;
}

/* Process a batch: 0, or an error (the batch was put back). */
static int process(struct fs *fs, struct echo_item **items, size_t n, echo_perform_fn perform,
		   void *ctx, size_t *done)
{
	struct echo *q = fs->echo;
	struct echo_batch b;
	int err = echo_batch_init(&b, items, n);

	if (err == 0) {
		if (fs->cfg.sync_notices)   /* what the events made stale is dropped first */
			fs->cfg.sync_notices(fs->cfg.sync_ctx);
		err = echo_batch_plan(fs, &b);
	}
	if (err) {
		echo_batch_free(&b);
		requeue(q, items, n);
		return err;
	}
	if (b.names_dropped && fs->cfg.sync_notices)
		fs->cfg.sync_notices(fs->cfg.sync_ctx);
	*done += perform_all(fs, &b, perform, ctx);
	node_lock(fs->nt);
	pthread_mutex_lock(&q->mu);
	for (size_t i = 0; i < n; i++)
		finish(q, &b, i);
	pthread_mutex_unlock(&q->mu);
	echo_batch_unpin(&b);
	node_unlock(fs->nt);
	echo_batch_free(&b);
	return 0;
}

size_t fs_echo_drain(struct fs *fs, echo_perform_fn perform, void *ctx)
{
	struct echo *q = fs->echo;
	struct echo_item *batch[ECHO_BATCH];
	size_t done = 0, n;

	if (!q)
		return 0;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		n = take(q, batch, ECHO_BATCH);
		pthread_mutex_unlock(&q->mu);
		if (n == 0 || process(fs, batch, n, perform, ctx, &done) != 0)
			return done;
	}
}

static void *echo_main(void *arg)
{
	struct fs *fs = arg;
	struct echo *q = fs->echo;
	struct echo_item *batch[ECHO_BATCH];
	size_t done = 0;

	atomic_store(&q->tid, gettid());
	pthread_mutex_lock(&q->mu);
	for (;;) {
		size_t n;

		while (!q->stopping && (!q->head || !q->connected)) {
			if (q->root >= 0) {    /* idle: let go of the mount */
				int fd = q->root;

				q->root = -1;
				pthread_mutex_unlock(&q->mu);
				close(fd);
				pthread_mutex_lock(&q->mu);
				continue;
			}
			pthread_cond_wait(&q->cond, &q->mu);
		}
		if (q->stopping)
			break;
		n = take(q, batch, ECHO_BATCH);
		pthread_mutex_unlock(&q->mu);
		if (process(fs, batch, n, syscalls, q, &done) == 0) {
			bool wait;

			pthread_mutex_lock(&q->mu);
			wait = q->deferred;
			q->deferred = false;
			pthread_mutex_unlock(&q->mu);
			if (wait) {       /* a write of this mount is being answered */
				struct timespec ms = { 0, 1000 * 1000 };

				nanosleep(&ms, NULL);
			}
			pthread_mutex_lock(&q->mu);
			continue;
		}
		{
			struct timespec dl;

			clock_gettime(CLOCK_REALTIME, &dl);
			dl.tv_sec += 1;     /* not connected in time: again in a while */
			pthread_mutex_lock(&q->mu);
			if (!q->stopping)
				pthread_cond_timedwait(&q->cond, &q->mu, &dl);
		}
	}
	pthread_mutex_unlock(&q->mu);
	if (q->root >= 0)
		close(q->root);
	q->root = -1;
	return NULL;
}

int fs_echo_start(struct fs *fs, const char *mountpoint, dev_t dev)
{
	struct echo *q = fs->echo;
	int rc;

	if (!q)
		return 0;
	if (!(q->mountpoint = strdup(mountpoint)))
		return ENOMEM;
	q->dev = dev;
	rc = pthread_create(&q->thread, NULL, echo_main, fs);
	if (rc == 0) {
		pthread_mutex_lock(&q->mu);
		q->started = true;
		pthread_mutex_unlock(&q->mu);
	}
	return rc;
}

void fs_echo_stop(struct fs *fs)
{
	struct echo *q = fs->echo;

	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->mu);
}

void fs_echo_join(struct fs *fs)
{
	struct echo *q = fs->echo;
	bool started;

	if (!q)
		return;
	fs_echo_stop(fs);
	pthread_mutex_lock(&q->mu);
	started = q->started;
	q->started = false;
	pthread_mutex_unlock(&q->mu);
	if (started)
		pthread_join(q->thread, NULL);
}

size_t fs_echo_queued(struct fs *fs)
{
	size_t n = 0;

	if (fs->echo) {
		pthread_mutex_lock(&fs->echo->mu);
		n = fs->echo->queued;
		pthread_mutex_unlock(&fs->echo->mu);
	}
	return n;
}

int fs_echo_new(struct fs *fs)
{
	struct echo *q = calloc(1, sizeof(*q));

	if (!q)
		return ENOMEM;
	q->cap = 1024;
	q->hash = calloc(q->cap, sizeof(*q->hash));
	if (!q->hash) {
		free(q);
		return ENOMEM;
	}
	q->connected = true;
	q->root = -1;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cond, NULL);
	fs->echo = q;
	return 0;
}

void fs_echo_free(struct fs *fs)
{
	struct echo *q = fs->echo;

	if (!q)
		return;
	fs_echo_join(fs);
	for (size_t i = 0; i < q->cap; i++) {
		while (q->hash[i]) {
			struct echo_item *it = q->hash[i];

			q->hash[i] = it->hnext;
			item_free(it);
		}
	}
	free(q->hash);
	free(q->mountpoint);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->mu);
	free(q);
	fs->echo = NULL;
}
