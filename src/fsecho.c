/*
 * fsecho — changes made by other ZooKeeper clients raise real inotify events
 * on the mount (fsops.h: fs_echo_*; docs/SEMANTICS.md, "inotify").
 *
 * Linux raises inotify events only for operations done through the VFS, and
 * FUSE has no notification that raises them. So a thread of the daemon does
 * on its own mount what the change would have been on a local filesystem:
 *   data changed      open(O_WRONLY), write 1 byte, close: IN_OPEN, IN_MODIFY,
 *                     IN_CLOSE_WRITE (the file, and its directory's watch)
 *   name created      mknod or mkdir: IN_CREATE (| IN_ISDIR)
 *   name deleted      unlink or rmdir: IN_DELETE on the directory,
 *                     IN_DELETE_SELF and IN_IGNORED on the name's own watch
 *   kind changed      the delete, then the create
 * Those requests come back to the daemon. ops.c recognises them by their pid
 * (the thread's id, fs_echo_self) and answers them here, without a write to
 * ZooKeeper: the open gets a marker handle whose writes are acknowledged, the
 * lookup of a name being created is negative, the mknod answers the znode's
 * real entry, the unlink succeeds for the inode the kernel held.
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
#include <time.h>
#include <unistd.h>

#include "fsops_int.h"
#include "log.h"

/* Paths per batch: one pipelined fetch. */
#define ECHO_BATCH 128

#define EVBIT(ev) (1u << (unsigned)(ev))

struct item {
	struct item *next;       /* the queue, in the order of the first event */
	struct item *hnext;      /* hash chain by path */
	char *path;
	unsigned evs;            /* EVBIT of every event merged in */
	uint64_t ino;            /* the inode the kernel held for path, 0 none */
	enum node_kind kind;     /* its kind, if ino */
	char **base;             /* the listing before the events (sorted), if has_base */
	size_t nbase;
	bool has_base;
	bool inflight;           /* being processed: events set `again` */
	bool again;
	unsigned again_evs;
	char **again_base;       /* a listing taken by an event while in flight */
	size_t again_nbase;
	bool again_has_base;
};

enum op_type { OP_NONE, OP_MODIFY, OP_CREATE, OP_DELETE };

struct op {
	enum op_type type;
	char *path;              /* the znode path (MODIFY of `.data`: its file path) */
	uint64_t ino;            /* DELETE: the inode to delete */
	enum node_kind kind;     /* CREATE, DELETE */
	bool kind_known;         /* CREATE of a listed child: fetched before */
};

struct echo {
	struct fs *fs;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct item **hash;      /* mu */
	size_t cap;              /* power of two, const */
	struct item *head, *tail;/* mu */
	size_t queued;           /* mu: items in the hash */
	bool stopping;           /* mu */
	bool started;            /* mu */
	bool connected;          /* mu */
	pthread_t thread;
	_Atomic pid_t tid;       /* the thread's id: its requests carry it */
	char *mountpoint;        /* const */
	dev_t dev;               /* const: the mount's device, 0 unknown */
	struct op cur;           /* mu: the operation in progress */
	unsigned long raised;    /* mu: operations performed */
	struct fs_file marker;   /* the handle of its opens (never used) */
};

static size_t hash_path(const char *s)
{
	size_t h = 14695981039346656037u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sorted copy of `n` names, or NULL (ENOMEM, or n == 0 with *ok). */
static char **dup_sorted(char *const *v, size_t n, bool *ok)
{
	char **out = n ? calloc(n, sizeof(*out)) : NULL;

	*ok = n == 0 || out != NULL;
	for (size_t i = 0; *ok && i < n; i++)
		if (!(out[i] = strdup(v[i])))
			*ok = false;
	if (!*ok) {
		free_list(out, n);
		return NULL;
	}
	if (n > 1)
		qsort(out, n, sizeof(*out), cmp_names);
	return out;
}

static struct item **slot(struct echo *q, const char *path)
{
	struct item **pp = &q->hash[hash_path(path) & (q->cap - 1)];

	while (*pp && strcmp((*pp)->path, path) != 0)
		pp = &(*pp)->hnext;
	return pp;
}

static void item_free(struct item *it)
{
	free_list(it->base, it->nbase);
	free_list(it->again_base, it->again_nbase);
	free(it->path);
	free(it);
}

static void enqueue(struct echo *q, struct item *it)
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
	struct item **pp, *it;

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
		free_list(base, nbase);
		return;
	}
	pp = slot(q, e->path);
	it = *pp;
	if (!it) {
		it = calloc(1, sizeof(*it));
		if (!it || !(it->path = strdup(e->path))) {
			pthread_mutex_unlock(&q->mu);
			free(it);
			free_list(base, nbase);
			log_warn("%s: out of memory: the inotify event of a remote change is lost",
				 e->path);
			return;
		}
		it->ino = knows ? n->ino : 0;
		it->kind = knows ? n->kind : NK_FILE;
		*pp = it;
		q->queued++;
		enqueue(q, it);
	}
	if (it->inflight) {
		it->again = true;
		it->again_evs |= EVBIT(ev);
		if (has_base) {
			free_list(it->again_base, it->again_nbase);
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
		free_list(base, nbase);
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

/* The operation in progress, if it is of `type` on `name` in directory inode
 * `parent`: *ino gets its inode. Table lock held. */
static bool is_current(struct fs *fs, enum op_type type, uint64_t parent, const char *name,
		       uint64_t *ino)
{
	struct echo *q = fs->echo;
	struct node *pn = node_by_ino(fs->nt, parent);
	char *path;
	bool match;

	if (!pn || !pn->entry || !(path = fs_join_path(pn->entry->path, name)))
		return false;
	pthread_mutex_lock(&q->mu);
	match = q->cur.type == type && strcmp(q->cur.path, path) == 0;
	*ino = q->cur.ino;
	pthread_mutex_unlock(&q->mu);
	free(path);
	return match;
}

/* Whether the kernel holds `n` for the name of entry `e` and this mount has
 * not removed it itself (a delete may be raised for it). Lock held. */
static bool deletable(const struct node *n, const struct entry *e)
{
	return n && n->nlookup > 0 && !n->unlinked && !n->echoed &&
	       (n->entry == NULL || n->entry == e);
}

static struct entry *child_entry(struct fs *fs, uint64_t parent, const char *name)
{
	struct node *pn = node_by_ino(fs->nt, parent);
	char *path = pn && pn->entry ? fs_join_path(pn->entry->path, name) : NULL;
	struct entry *e = path ? node_entry(fs->nt, path) : NULL;

	free(path);
	return e;
}

int fs_echo_lookup(struct fs *fs, uint64_t parent, const char *name, struct fs_entry *out)
{
	struct entry *e;
	struct node *n;
	uint64_t ino;

	node_lock(fs->nt);
	if (is_current(fs, OP_CREATE, parent, name, &ino)) {
		/* Negative unless the kernel holds the name's inode already:
		 * then the mknod finds it and raises nothing twice. */
		e = child_entry(fs, parent, name);
		if (!e || !e->node || e->node->nlookup == 0) {
			node_unlock(fs->nt);
			memset(out, 0, sizeof(*out));
			return ENOENT;
		}
	} else if (is_current(fs, OP_DELETE, parent, name, &ino)) {
		/* The inode the kernel held, so that its own watch gets
		 * IN_DELETE_SELF. */
		e = child_entry(fs, parent, name);
		n = node_by_ino(fs->nt, ino);
		memset(out, 0, sizeof(*out));
		if (!deletable(n, e)) {
			node_unlock(fs->nt);
			return ENOENT;
		}
		node_ref(n);
		out->ino = n->ino;
		fs_node_attr(fs, n, &n->shown, &out->attr);
		node_unlock(fs->nt);
		return 0;
	}
	node_unlock(fs->nt);
	return fs_lookup(fs, parent, name, out);
}

int fs_echo_make(struct fs *fs, uint64_t parent, const char *name, bool dir,
		 struct fs_entry *out)
{
	uint64_t ino;
	bool match;
	int rc;

	node_lock(fs->nt);
	match = is_current(fs, OP_CREATE, parent, name, &ino);
	node_unlock(fs->nt);
	if (!match)
		return EEXIST;
	rc = fs_lookup(fs, parent, name, out);
	if (rc == 0 && S_ISDIR(out->attr.st_mode) != dir) {
		fs_forget(fs, out->ino, 1);
		rc = EEXIST;
	}
	return rc;
}

int fs_echo_remove(struct fs *fs, uint64_t parent, const char *name)
{
	struct entry *e;
	struct node *n;
	uint64_t ino;
	int rc = ENOENT;

	node_lock(fs->nt);
	if (is_current(fs, OP_DELETE, parent, name, &ino)) {
		e = child_entry(fs, parent, name);
		n = node_by_ino(fs->nt, ino);
		if (deletable(n, e)) {
			n->echoed = true;
			node_gone(fs->nt, n);
			rc = 0;
		}
	}
	node_unlock(fs->nt);
	return rc;
}

/* ---- planning: what a batch of refetched paths raises ---- */

struct plan {
	struct op *v;
	size_t n, cap;
	bool oom;
};

static void plan_add(struct plan *p, enum op_type type, const char *path, uint64_t ino,
		     enum node_kind kind, bool kind_known)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct op *v = realloc(p->v, cap * sizeof(*v));

		if (!v) {
			p->oom = true;
			return;
		}
		p->v = v;
		p->cap = cap;
	}
	if (!(p->v[p->n].path = strdup(path))) {
		p->oom = true;
		return;
	}
	p->v[p->n].type = type;
	p->v[p->n].ino = ino;
	p->v[p->n].kind = kind;
	p->v[p->n].kind_known = kind_known;
	p->n++;
}

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].path);
	free(p->v);
}

/* A child name the mount shows as itself (not shadowed by `.data`, `.state`,
 * `.events`). */
static bool shown_name(struct fs *fs, const struct entry *dir, const char *name)
{
	if (strcmp(name, fs->cfg.datafile) == 0)
		return false;
	return !(dir == node_root(fs->nt)->entry && vfile_by_name(NODE_ROOT_INO, name));
}

/* The listing's changes: deletes of the names the kernel holds that are gone,
 * creates of the new ones. Both lists sorted. Lock held. */
static void plan_children(struct fs *fs, struct plan *p, const struct entry *e,
			  char *const *old, size_t nold, char *const *now, size_t nnow)
{
	size_t i = 0, j = 0;

	while (i < nold || j < nnow) {
		int c = i == nold ? 1 : j == nnow ? -1 : strcmp(old[i], now[j]);
		const char *name = c < 0 ? old[i] : now[j];
		char *path;

		if (c == 0) {
			i++;
			j++;
			continue;
		}
		c < 0 ? i++ : j++;
		if (!shown_name(fs, e, name) || !(path = fs_join_path(e->path, name)))
			continue;
		if (c < 0) {
			struct entry *ce = node_entry(fs->nt, path);

			if (ce && deletable(ce->node, ce))
				plan_add(p, OP_DELETE, path, ce->node->ino, ce->node->kind, true);
		} else {
			plan_add(p, OP_CREATE, path, 0, NK_FILE, false);
		}
		free(path);
	}
}

/* What item `it` raises, now that its path was fetched again (`rc`, `f`:
 * fs_settle's result). Lock held. */
static void plan_item(struct fs *fs, struct plan *p, struct item *it, struct entry *e,
		      int rc, const struct facts *f)
{
	struct node *old = it->ino ? node_by_ino(fs->nt, it->ino) : NULL;
	enum node_kind kind;
	bool same;

	if (rc == ENOENT) {
		if (it->ino && it->kind == NK_DIR && it->has_base)
			plan_children(fs, p, e, it->base, it->nbase, NULL, 0);
		if (it->ino)
			plan_add(p, OP_DELETE, it->path, it->ino, it->kind, true);
		return;
	}
	if (rc != 0 || f->noread)
		return;
	kind = fs_kind_of(fs, e, f);
	same = e == node_root(fs->nt)->entry ||
	       (old && old->entry == e && old->kind == kind &&
		(old->adopt || old->czxid == (uint64_t)f->stat.czxid));
	if (!same) {
		/* A directory that is gone or became a file: what the kernel
		 * held in it is deleted first, as `rm -r` would. */
		if (it->ino && it->kind == NK_DIR && it->has_base)
			plan_children(fs, p, e, it->base, it->nbase, NULL, 0);
		if (it->ino)
			plan_add(p, OP_DELETE, it->path, it->ino, it->kind, true);
		if ((it->ino || (it->evs & EVBIT(ZEV_CREATED))) && e != node_root(fs->nt)->entry &&
		    node_parent_known(fs->nt, e))
			plan_add(p, OP_CREATE, it->path, 0, kind, true);
		return;
	}
	if ((it->evs & EVBIT(ZEV_CHANGED)) && f->stat.mzxid != e->own_mzxid) {
		if (kind == NK_FILE) {
			plan_add(p, OP_MODIFY, it->path, 0, kind, true);
		} else {
			char *dp = fs_join_path(it->path, fs->cfg.datafile);
			if (dp)
				plan_add(p, OP_MODIFY, dp, 0, NK_FILE, true);
			free(dp);
		}
	}
	if ((it->evs & EVBIT(ZEV_CHILD)) && kind == NK_DIR && it->has_base) {
		bool ok;
		char **now = dup_sorted(f->children, f->nchildren, &ok);

		if (ok)
			plan_children(fs, p, e, it->base, it->nbase, now, f->nchildren);
		free_list(now, f->nchildren);
	}
}

/* Fetch `n` paths in one pipelined request and settle each into its entry
 * (stored unless an event came meanwhile). rc[i] is fs_settle's. Lock held
 * on entry and return, dropped during the round trip; the entries stay
 * pinned until unpin_all. 0, or the fetch's error (nothing settled). */
static int fetch_all(struct fs *fs, char **paths, size_t n, struct entry **es,
		     struct zfetch *out, struct facts *facts, int *rc)
{
	uint64_t *epochs = calloc(n ? n : 1, sizeof(*epochs));
	int err;

	if (!epochs)
		return ENOMEM;
	for (size_t i = 0; i < n; i++) {
		es[i] = node_entry_get(fs->nt, paths[i]);
		if (es[i]) {
			entry_pin(es[i]);
			epochs[i] = es[i]->epoch;
		}
	}
	node_unlock(fs->nt);
	err = fs->be.ops->fetch(fs->be.impl, (const char *const *)paths, n,
				FETCH_DATA | FETCH_CHILDREN, out);
	node_lock(fs->nt);
	for (size_t i = 0; i < n; i++) {
		if (err || !es[i])
			rc[i] = err ? err : ENOMEM;
		else
			rc[i] = fs_settle(fs, es[i], epochs[i], &out[i], true, &facts[i]);
	}
	free(epochs);
	return err;
}

static void unpin_all(struct entry **es, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (es[i])
			entry_unpin(es[i]);
}

/* The kinds of the listed children to create: fetched together. Lock held. */
static void plan_kinds(struct fs *fs, struct plan *p)
{
	size_t n = 0, k = 0;
	char **paths;
	struct entry **es;
	struct zfetch *out;
	struct facts *facts;
	int *rc;

	for (size_t i = 0; i < p->n; i++)
		n += p->v[i].type == OP_CREATE && !p->v[i].kind_known;
	if (n == 0)
		return;
	paths = calloc(n, sizeof(*paths));
	es = calloc(n, sizeof(*es));
	out = calloc(n, sizeof(*out));
	facts = calloc(n, sizeof(*facts));
	rc = calloc(n, sizeof(*rc));
	if (paths && es && out && facts && rc) {
		for (size_t i = 0; i < p->n; i++)
			if (p->v[i].type == OP_CREATE && !p->v[i].kind_known)
				paths[k++] = p->v[i].path;
		fetch_all(fs, paths, n, es, out, facts, rc);
		k = 0;
		for (size_t i = 0; i < p->n; i++) {
			struct op *o = &p->v[i];

			if (o->type != OP_CREATE || o->kind_known)
				continue;
			if (rc[k] == 0 && !facts[k].noread) {
				o->kind = fs_kind_of(fs, es[k], &facts[k]);
				o->kind_known = true;
			} else {
				o->type = OP_NONE;   /* gone again, or unreadable */
			}
			zfetch_clear(&out[k]);
			k++;
		}
		unpin_all(es, n);
	}
	free(paths);
	free(es);
	free(out);
	free(facts);
	free(rc);
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
 * keep it busy: a private clone of the mount (never in any mount table), or
 * the mount point itself without the privilege to clone. -1 when what is
 * there is not this mount (unmounted meanwhile). */
static int open_root(struct echo *q)
{
	struct stat st;
	int fd = open_tree(AT_FDCWD, q->mountpoint, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (fd < 0)
		fd = open(q->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || (q->dev && st.st_dev != q->dev)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void set_current(struct echo *q, const struct op *o)
{
	pthread_mutex_lock(&q->mu);
	if (o)
		q->cur = *o;
	else
		memset(&q->cur, 0, sizeof(q->cur));
	pthread_mutex_unlock(&q->mu);
}

static void perform(struct fs *fs, int root, const struct op *o)
{
	struct echo *q = fs->echo;
	const char *rel = rel_path(fs, o->path);
	int rc = 0, fd;

	if (!rel || o->type == OP_NONE)
		return;
	set_current(q, o);
	switch (o->type) {
	case OP_MODIFY:
		fd = openat(root, rel, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 || write(fd, "\n", 1) != 1)
			rc = errno;
		if (fd >= 0)
			close(fd);
		break;
	case OP_CREATE:
		if (o->kind == NK_DIR)
			rc = mkdirat(root, rel, 0755) ? errno : 0;
		else
			rc = mknodat(root, rel, S_IFREG | 0644, 0) ? errno : 0;
		break;
	case OP_DELETE:
		rc = unlinkat(root, rel, o->kind == NK_DIR ? AT_REMOVEDIR : 0) ? errno : 0;
		break;
	default:
		break;
	}
	set_current(q, NULL);
	pthread_mutex_lock(&q->mu);
	if (rc == 0)
		q->raised++;
	pthread_mutex_unlock(&q->mu);
	if (rc)
		log_debug("%s: inotify event of a remote change not raised: %s", o->path,
			  strerror(rc));
}

/* ---- the thread ---- */

/* After a batch: an item that got events meanwhile goes round again, with
 * what the kernel holds now and the listing of its latest fetch (or the one
 * its new event took) as the state before; the others are done. Table lock
 * and mu held. */
static void finish(struct echo *q, struct item *it, struct entry *e, char **fetched,
		   size_t nfetched, bool fetched_ok)
{
	free_list(it->base, it->nbase);
	it->base = NULL;
	it->nbase = 0;
	it->has_base = false;
	if (!it->again) {
		*slot(q, it->path) = it->hnext;
		q->queued--;
		free_list(fetched, nfetched);
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
		free_list(fetched, nfetched);
	} else if (fetched_ok) {
		it->base = fetched;
		it->nbase = nfetched;
		it->has_base = true;
	} else {
		free_list(fetched, nfetched);
	}
	it->again_base = NULL;
	it->again_nbase = 0;
	it->again_has_base = false;
	enqueue(q, it);
}

/* Put a batch back as it was (its fetch failed): tried again later. */
static void requeue(struct echo *q, struct item **items, size_t n)
{
	pthread_mutex_lock(&q->mu);
	for (size_t i = 0; i < n; i++) {
		items[i]->inflight = false;
		items[i]->evs |= items[i]->again_evs;
		items[i]->again = false;
		items[i]->again_evs = 0;
		if (items[i]->again_has_base && !items[i]->has_base) {
			items[i]->base = items[i]->again_base;
			items[i]->nbase = items[i]->again_nbase;
			items[i]->has_base = true;
			items[i]->again_base = NULL;
			items[i]->again_nbase = 0;
		}
		items[i]->again_has_base = false;
		enqueue(q, items[i]);
	}
	pthread_mutex_unlock(&q->mu);
}

/* Process a batch. *root is the open root descriptor (opened on demand). */
static int process(struct fs *fs, struct item **items, size_t n, int *root)
{
	struct echo *q = fs->echo;
	char **paths = calloc(n, sizeof(*paths));
	struct entry **es = calloc(n, sizeof(*es));
	struct zfetch *out = calloc(n, sizeof(*out));
	struct facts *facts = calloc(n, sizeof(*facts));
	int *rc = calloc(n, sizeof(*rc));
	char ***lists = calloc(n, sizeof(*lists));
	bool *lists_ok = calloc(n, sizeof(*lists_ok));
	size_t *nlists = calloc(n, sizeof(*nlists));
	struct plan p = { 0 };
	int err = ENOMEM;

	if (!paths || !es || !out || !facts || !rc || !lists || !lists_ok || !nlists)
		goto out;
	for (size_t i = 0; i < n; i++)
		paths[i] = items[i]->path;
	if (fs->cfg.sync_notices)   /* what the events made stale is dropped first */
		fs->cfg.sync_notices(fs->cfg.sync_ctx);
	node_lock(fs->nt);
	err = fetch_all(fs, paths, n, es, out, facts, rc);
	if (err) {
		unpin_all(es, n);
		node_unlock(fs->nt);
		for (size_t i = 0; i < n; i++)
			zfetch_clear(&out[i]);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		plan_item(fs, &p, items[i], es[i], rc[i], &facts[i]);
		if (rc[i] == 0 && !facts[i].noread) {
			lists[i] = dup_sorted(facts[i].children, facts[i].nchildren, &lists_ok[i]);
			nlists[i] = lists_ok[i] ? facts[i].nchildren : 0;
		} else {
			lists_ok[i] = rc[i] == ENOENT;   /* gone: nothing listed */
		}
		zfetch_clear(&out[i]);
	}
	plan_kinds(fs, &p);
	node_unlock(fs->nt);
	if (p.oom)
		log_warn("out of memory: inotify events of remote changes lost");
	for (size_t i = 0; i < p.n; i++) {
		pthread_mutex_lock(&q->mu);
		bool stop = q->stopping;
		pthread_mutex_unlock(&q->mu);
		if (stop)
			break;
		if (*root < 0 && (*root = open_root(q)) < 0) {
			log_debug("%s: not this mount any more: inotify events not raised",
				  q->mountpoint);
			break;
		}
		perform(fs, *root, &p.v[i]);
	}
	node_lock(fs->nt);
	pthread_mutex_lock(&q->mu);
	for (size_t i = 0; i < n; i++)
		finish(q, items[i], es[i], lists[i], nlists[i], lists_ok[i]);
	pthread_mutex_unlock(&q->mu);
	unpin_all(es, n);
	node_unlock(fs->nt);
	err = 0;
out:
	plan_free(&p);
	free(paths);
	free(es);
	free(out);
	free(facts);
	free(rc);
	free(lists);
	free(lists_ok);
	free(nlists);
	return err;
}

static void *echo_main(void *arg)
{
	struct fs *fs = arg;
	struct echo *q = fs->echo;
	struct item *batch[ECHO_BATCH];
	int root = -1;

	atomic_store(&q->tid, gettid());
	pthread_mutex_lock(&q->mu);
	for (;;) {
		size_t n = 0;

		while (!q->stopping && (!q->head || !q->connected)) {
			if (root >= 0) {    /* idle: let go of the mount */
				pthread_mutex_unlock(&q->mu);
				close(root);
				root = -1;
				pthread_mutex_lock(&q->mu);
				continue;
			}
			pthread_cond_wait(&q->cond, &q->mu);
		}
		if (q->stopping)
			break;
		while (q->head && n < ECHO_BATCH) {
			struct item *it = q->head;

			q->head = it->next;
			if (!q->head)
				q->tail = NULL;
			it->inflight = true;
			batch[n++] = it;
		}
		pthread_mutex_unlock(&q->mu);
		if (process(fs, batch, n, &root) != 0) {
			struct timespec dl;

			requeue(q, batch, n);
			clock_gettime(CLOCK_REALTIME, &dl);
			dl.tv_sec += 1;     /* not connected in time: again in a while */
			pthread_mutex_lock(&q->mu);
			if (!q->stopping)
				pthread_cond_timedwait(&q->cond, &q->mu, &dl);
			continue;
		}
		pthread_mutex_lock(&q->mu);
	}
	pthread_mutex_unlock(&q->mu);
	if (root >= 0)
		close(root);
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

unsigned long fs_echo_raised(struct fs *fs)
{
	unsigned long n = 0;

	if (fs->echo) {
		pthread_mutex_lock(&fs->echo->mu);
		n = fs->echo->raised;
		pthread_mutex_unlock(&fs->echo->mu);
	}
	return n;
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
	q->fs = fs;
	q->connected = true;
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
			struct item *it = q->hash[i];

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
