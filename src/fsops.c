/*
 * fsops — the mapping of znodes to files and directories, the facts of one
 * request, attributes, lookup, getattr and forget (contract in fsops.h and
 * fsops_int.h). The bottom of the fs files: it calls none of the others.
 */
#include "fsops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsops_int.h"
#include "log.h"
#include "readlog.h"

int fs_gone(struct fs *fs)
{
	return atomic_load(&fs->detached) ? ENOTCONN : 0;
}

/* ---- the mapping ---- */

static bool has_extension(const char *name)
{
	const char *dot = strchr(name + (name[0] != '\0'), '.');
	size_t len = strlen(name);

	if (!dot)
		return false;
	return !(len >= 2 && strcmp(name + len - 2, ".d") == 0);
}

static bool is_root_entry(struct fs *fs, const struct entry *e)
{
	return node_root(fs->nt)->entry == e;
}

/* Whether `ev` leaves the type e's name shows as it is (fs_kind_of), judged
 * from the facts of before it (kind_stable_fn, node.h). A data change turns
 * only a childless, extensionless znode between file and directory (empty:
 * a directory); a change of children only one whose data or name makes it a
 * file when it has none. Creation and deletion always change the name. */
bool fs_kind_stable(void *ctx, const struct entry *e, enum zevent ev)
{
	struct fs *fs = ctx;

	if (!e->valid || !e->node || (ev != ZEV_CHANGED && ev != ZEV_CHILD))
		return false;
	if (is_root_entry(fs, e) || e->stat.ephemeral_owner != 0 ||
	    node_made_is(e, e->stat.czxid))
		return true;
	if (ev == ZEV_CHANGED)
		return e->stat.num_children > 0 || has_extension(e->name);
	return e->stat.data_length == 0 && !has_extension(e->name);
}

enum node_kind fs_kind_of(struct fs *fs, const struct entry *e, const struct facts *f)
{
	if (is_root_entry(fs, e) || f->stat.num_children > 0)
		return NK_DIR;
	if (f->stat.ephemeral_owner != 0)
		return NK_FILE;
	/* What this mount created keeps its kind while the kernel holds it. */
	if (node_made_is(e, f->stat.czxid))
		return e->made_kind;
	if (f->stat.data_length > 0)
		return NK_FILE;
	return has_extension(e->name) ? NK_FILE : NK_DIR;
}

static void set_time(struct timespec *ts, int64_t ms)
{
	ts->tv_sec = (time_t)(ms / 1000);
	ts->tv_nsec = (long)(ms % 1000) * 1000000L;
}

unsigned fs_default_mode(struct fs *fs, enum node_kind kind)
{
	return (kind == NK_DIR ? 0755u : 0644u) & ~fs->cfg.umask & 07777u;
}

void fs_made_mode(struct fs *fs, struct entry *e, enum node_kind kind, unsigned mode)
{
	node_set_mode(e, mode & ~fs->cfg.umask, fs_default_mode(fs, kind));
}

void fs_fill_attr(struct fs *fs, uint64_t ino, enum node_kind kind,
		      const struct zstat *zs, struct stat *a)
{
	mode_t perm = fs_default_mode(fs, kind);

	memset(a, 0, sizeof(*a));
	a->st_ino = ino;
	a->st_mode = (kind == NK_DIR ? S_IFDIR : S_IFREG) | perm;
	a->st_nlink = 1;
	a->st_uid = fs->cfg.uid;
	a->st_gid = fs->cfg.gid;
	a->st_size = zs->data_length;
	a->st_blksize = 4096;
	a->st_blocks = (a->st_size + 511) / 512;
	set_time(&a->st_mtim, zs->mtime_ms);
	a->st_ctim = a->st_mtim;
	a->st_atim = a->st_mtim;
}

void fs_node_attr(struct fs *fs, struct node *n, const struct zstat *zs,
		  struct stat *a)
{
	if (zs != &n->shown) {
		n->shown = *zs;
		n->shown_set = true;
	}
	fs_fill_attr(fs, n->ino, n->kind == NK_DIR ? NK_DIR : NK_FILE, zs, a);
	/* The mode given to what this mount made (node.h: entry->mode); kept
	 * on the inode for when it is detached. */
	if (n->entry && n->kind != NK_DATAFILE) {
		n->mode_set = n->entry->mode_set && node_made_is(n->entry, zs->czxid);
		n->mode = n->entry->mode;
	}
	if (n->mode_set)
		a->st_mode = (a->st_mode & S_IFMT) | n->mode;
	if (n->wfh) {
		a->st_size = (off_t)n->wlen;
		a->st_blocks = (a->st_size + 511) / 512;
	}
}

double fs_timeout_for(struct fs *fs, bool cached)
{
	return cached ? fs->cfg.cache_timeout : 0.0;
}

/* ZooKeeper refuses names with control characters; such names cannot exist. */
bool fs_name_possible(const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)   /* U+0080..U+009F */
			return false;
	}
	return name[0] != '\0';
}

char *fs_join_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name) < 0)
		return NULL;
	return p;
}

/* ---- facts: from the cache, or fetched ---- */

void fs_facts_from_entry(const struct entry *e, struct facts *out)
{
	out->stat = e->stat;
	out->data = e->data;
	out->children = e->children;
	out->nchildren = e->nchildren;
	out->cached = true;
}

/* Put a fetch result into `e` (if no event raced it) and describe it in `out`.
 * Lock held. `f` keeps what was not stored; the caller clears it. */
int fs_settle(struct fs *fs, struct entry *e, uint64_t epoch, struct zfetch *f, bool keep,
	      struct facts *out)
{
	memset(out, 0, sizeof(*out));
	if (f->err == ENOENT) {
		out->cached = keep && node_store_absent(fs->nt, e, epoch);
		return ENOENT;
	}
	if (f->err)
		return f->err;
	if (f->noread) {   /* listed and stat'able, never cached: no watch holds it */
		out->stat = f->stat;
		out->data = zdata_empty();
		out->noread = true;
		return 0;
	}
	if (keep && node_store(fs->nt, e, epoch, f)) {
		fs_facts_from_entry(e, out);
		return 0;
	}
	out->stat = f->stat;
	out->data = f->data ? f->data : zdata_empty();
	out->children = f->children;
	out->nchildren = f->nchildren;
	out->cached = false;
	return 0;
}

/* The cached facts of `e` (valid or absent) into `out`: 0 or ENOENT. */
static int from_cache(struct fs *fs, struct entry *e, struct facts *out)
{
	node_touch(fs->nt, e);
	if (e->absent) {
		out->cached = true;
		return ENOENT;
	}
	fs_facts_from_entry(e, out);
	return 0;
}

/* Make the facts of `e` current. Lock held on entry and on return; dropped
 * during a round trip. ENOENT with out->cached: the absence is watched.
 * Facts an expiry left stale (node.h) are served as they are while no server
 * is at hand; once CONNECTED they are read anew and judged as the
 * revalidation would (fs_reval_judge: a change raises its events), and
 * served still if the servers went away again meanwhile (EIO). */
int fs_refresh(struct fs *fs, struct entry *e, struct zfetch *f, struct facts *out)
{
	const char *path = e->path;
	bool anew = e->stale && virt_state(&fs->virt) == ZS_CONNECTED;
	uint64_t epoch;
	int rc;

	memset(out, 0, sizeof(*out));
	if (e->valid && !anew)
		return from_cache(fs, e, out);
	if (fs_entry_pending(e)) {
		out->stat.ctime_ms = out->stat.mtime_ms = e->pending_ms;
		out->data = zdata_empty();
		out->pending = true;
		return 0;
	}
	if (e->absent && !anew)
		return from_cache(fs, e, out);
	epoch = e->epoch;
	entry_pin(e);
	node_unlock(fs->nt);
	rc = fs->be.ops->fetch(fs->be.impl, &path, 1, FETCH_DATA | FETCH_CHILDREN, f);
	node_lock(fs->nt);
	entry_unpin(e);
	if (rc == EIO && e->stale && e->epoch == epoch)
		return from_cache(fs, e, out);
	if (rc)
		return rc;
	if (anew) {
		size_t nev;

		entry_pin(e);     /* the lock is dropped during the events */
		fs_reval_judge(fs, e, epoch, f, &nev);
		entry_unpin(e);
		if ((e->valid || e->absent) && !e->stale)
			return from_cache(fs, e, out);   /* confirmed, or stored */
		if (f->err && f->err != ENOENT)
			return f->err;
		/* Dropped by an event meanwhile: this answer, not cached. */
		return fs_settle(fs, e, epoch, f, false, out);
	}
	return fs_settle(fs, e, epoch, f, true, out);
}

/* ---- lookup, getattr, forget ---- */

static int lookup_datafile(struct fs *fs, struct node *pn, struct fs_entry *out)
{
	struct zfetch f = { 0 };
	struct facts facts;
	struct node *n;
	int rc;

	/* fs_node_facts, not fs_refresh: the lock is dropped during the fetch, and
	 * `pn` may since have been detached or stopped being a directory. */
	rc = fs_node_facts(fs, pn, &f, &facts);
	if (rc == 0) {
		n = node_datafile(fs->nt, pn->entry);
		if (!n) {
			rc = ENOMEM;
		} else {
			node_ref(n);
			fs_node_attr(fs, n, &facts.stat, &out->attr);
			out->ino = n->ino;
			out->entry_timeout = out->attr_timeout = fs_timeout_for(fs, facts.cached);
		}
	}
	node_unlock(fs->nt);
	zfetch_clear(&f);
	return rc;
}

int fs_lookup(struct fs *fs, uint64_t parent, const char *name, struct fs_entry *out)
{
	const struct vfile *v;
	struct zfetch f = { 0 };
	struct facts facts;
	struct node *pn, *n;
	struct entry *e;
	char *path;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fs_gone(fs)) != 0)
		return rc;
	if ((v = vfile_by_name(parent, name)) != NULL) {
		out->ino = v->ino;
		vfile_attr(fs, v, &out->attr);
		out->entry_timeout = fs->cfg.cache_timeout;
		return 0;
	}
	node_lock(fs->nt);
	pn = node_by_ino(fs->nt, parent);
	if (!pn || !pn->entry) {
		node_unlock(fs->nt);
		return ENOENT;
	}
	if (pn->kind != NK_DIR) {
		node_unlock(fs->nt);
		return ENOTDIR;
	}
	if (strcmp(name, fs->cfg.datafile) == 0)
		return lookup_datafile(fs, pn, out);
	if (!fs_name_possible(name)) {
		node_unlock(fs->nt);
		return ENOENT;
	}
	path = fs_join_path(pn->entry->path, name);
	e = path ? node_entry_get(fs->nt, path) : NULL;
	free(path);
	if (!e) {
		node_unlock(fs->nt);
		return ENOMEM;
	}
	rc = fs_refresh(fs, e, &f, &facts);
	if (rc == ENOENT) {
		out->entry_timeout = e->echo_pending ? 0 : fs_timeout_for(fs, facts.cached);
	} else if (rc == 0) {
		n = node_attach(fs->nt, e, fs_kind_of(fs, e, &facts), (uint64_t)facts.stat.czxid);
		if (!n) {
			rc = ENOMEM;
		} else {
			node_ref(n);
			out->ino = n->ino;
			fs_node_attr(fs, n, &facts.stat, &out->attr);
			out->entry_timeout = out->attr_timeout = fs_timeout_for(fs, facts.cached);
		}
	}
	node_unlock(fs->nt);
	zfetch_clear(&f);
	return rc;
}

void fs_forget(struct fs *fs, uint64_t ino, uint64_t nlookup)
{
	if (vfile_by_ino(ino))
		return;       /* never counted */
	node_forget(fs->nt, ino, nlookup);
}

/* Refresh the facts behind inode `n` and check that it still shows them.
 * Lock held. ENOENT when the znode is gone or is now shown by another inode. */
int fs_node_facts(struct fs *fs, struct node *n, struct zfetch *f, struct facts *facts)
{
	struct entry *e = n->entry;
	int rc;

	if (!e)
		return ENOENT;
	node_pin(n);
	rc = fs_refresh(fs, e, f, facts);
	/* The kernel may have forgotten `n` while the lock was free: if this
	 * pin is all that holds it, the unpin frees it; do not touch it after. */
	if (n->pins == 1 && n->nlookup == 0 && n->ino != NODE_ROOT_INO) {
		node_unpin(fs->nt, n);
		return rc ? rc : ENOENT;
	}
	node_unpin(fs->nt, n);
	if (rc)
		return rc;
	if (n->entry != e)
		return ENOENT;
	if (n->kind == NK_DATAFILE)
		return fs_kind_of(fs, e, facts) == NK_DIR ? 0 : ENOENT;
	if (n->ino == NODE_ROOT_INO)
		return 0;
	if (fs_kind_of(fs, e, facts) != n->kind)
		return ENOENT;
	if (facts->pending)
		return 0;
	if (n->adopt) {
		n->czxid = (uint64_t)facts->stat.czxid;
		n->adopt = false;
	}
	return (uint64_t)facts->stat.czxid == n->czxid ? 0 : ENOENT;
}

int fs_create_znode(struct fs *fs, struct entry *e, struct zstat *zs)
{
	char *path = strdup(e->path);
	int rc;

	if (!path)
		return ENOMEM;
	entry_pin(e);
	e->creating++;
	node_unlock(fs->nt);
	rc = fs->be.ops->create(fs->be.impl, path, NULL, 0, zs);
	node_lock(fs->nt);
	e->creating--;
	if (rc == EEXIST)
		node_name_stale(fs->nt, e);   /* made meanwhile by someone else */
	entry_unpin(e);
	free(path);
	return rc;
}

bool fs_entry_pending(const struct entry *e)
{
	return e->pending > 0 && e->node && e->node->adopt && e->made;
}

void fs_own_write(struct fs *fs, const char *path, const struct zstat *st)
{
	struct entry *e;

	node_lock(fs->nt);
	if ((e = node_entry(fs->nt, path)) != NULL)
		e->own_mzxid = st->mzxid;
	node_unlock(fs->nt);
}

int64_t fs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fs_dir_node(struct fs *fs, uint64_t parent, struct node **out)
{
	struct node *pn = node_by_ino(fs->nt, parent);

	*out = NULL;
	if (!pn || !pn->entry)
		return ENOENT;
	if (pn->kind != NK_DIR)
		return ENOTDIR;
	*out = pn;
	return 0;
}

int fs_child(struct fs *fs, uint64_t parent, const char *name, bool creating,
	     struct entry **e, struct zfetch *f, struct facts *facts)
{
	struct node *pn;
	char *path;
	int rc;

	*e = NULL;
	rc = fs_dir_node(fs, parent, &pn);
	if (rc == 0 && creating)
		rc = fs_name_check(fs, pn, name);
	if (rc)
		return rc;
	if (!fs_name_possible(name))
		return ENOENT;
	path = fs_join_path(pn->entry->path, name);
	*e = path ? node_entry_get(fs->nt, path) : NULL;
	free(path);
	if (!*e)
		return ENOMEM;
	entry_pin(*e);
	return fs_refresh(fs, *e, f, facts);
}

int fs_name_check(struct fs *fs, const struct node *pn, const char *name)
{
	if (vfile_by_name(pn->ino, name))
		return EEXIST;
	if (strcmp(name, fs->cfg.datafile) == 0)
		return EEXIST;
	if (!fs_name_possible(name) || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return EINVAL;
	/* ZooKeeper's own subtree: /zookeeper cannot be created or removed. */
	if (strcmp(pn->entry->path, "/") == 0 && strcmp(name, "zookeeper") == 0)
		return EINVAL;
	return 0;
}

int fs_getattr(struct fs *fs, uint64_t ino, struct stat *st, double *timeout)
{
	const struct vfile *v;
	struct zfetch f = { 0 };
	struct facts facts;
	struct node *n;
	int rc;

	if ((v = vfile_by_ino(ino)) != NULL) {
		vfile_attr(fs, v, st);
		*timeout = 0;
		return 0;
	}
	node_lock(fs->nt);
	n = node_by_ino(fs->nt, ino);
	if (!n) {
		node_unlock(fs->nt);
		return ENOENT;
	}
	node_pin(n);     /* kept even if the kernel forgets it meanwhile */
	rc = fs_node_facts(fs, n, &f, &facts);
	if (rc == 0) {
		fs_node_attr(fs, n, &facts.stat, st);
		*timeout = fs_timeout_for(fs, facts.cached);
	} else if (rc == ENOENT && n->shown_set && n->nlookup > 0) {
		/* Deleted or replaced while the kernel holds it (an open file
		 * whose name was unlinked or renamed over): what it last showed,
		 * with no link, as a local file gives fstat. */
		fs_node_attr(fs, n, &n->shown, st);
		st->st_nlink = 0;
		*timeout = 0;
		rc = 0;
	}
	node_unpin(fs->nt, n);
	node_unlock(fs->nt);
	zfetch_clear(&f);
	return rc;
}
