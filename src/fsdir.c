/* Directory listings: a snapshot taken at opendir, children fetched in one batch. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fsops_int.h"
#include "log.h"

struct fs_dir {
	size_t n, cap;
	struct fs_dirent *ents;
	struct node **pinned;     /* inodes named by entries, kept until releasedir */
	size_t npinned;
};

/* One child while the listing is built. */
struct child {
	char *name;
	struct entry *e;          /* pinned */
	uint64_t epoch;
	long batch;               /* index into the fetch batch, -1 when not fetched */
};

static struct fs_dirent *dir_add(struct fs_dir *dh, const char *name)
{
	struct fs_dirent *d;

	if (dh->n == dh->cap) {
		size_t cap = dh->cap ? dh->cap * 2 : 16;
		struct fs_dirent *ne = realloc(dh->ents, cap * sizeof(*ne));
		if (!ne)
			return NULL;
		dh->ents = ne;
		dh->cap = cap;
	}
	d = &dh->ents[dh->n];
	memset(d, 0, sizeof(*d));
	d->name = strdup(name);
	if (!d->name)
		return NULL;
	dh->n++;
	return d;
}

static int dir_pin(struct fs_dir *dh, struct node *n)
{
	node_pin(n);
	dh->pinned[dh->npinned++] = n;
	return 0;
}

static int cmp_dirent(const void *a, const void *b)
{
	return strcmp(((const struct fs_dirent *)a)->name, ((const struct fs_dirent *)b)->name);
}

static bool shadowed(struct fs *fs, bool root, const char *name)
{
	return strcmp(name, fs->cfg.datafile) == 0 ||
	       (root && vfile_by_name(NODE_ROOT_INO, name));
}

/* Fetch, in one batch, the children whose facts are not cached. Lock held;
 * dropped during the round trip. When their watches would not fit the
 * budget (node.h), they are fetched without watches, and *nowatch says that
 * their facts must not be cached. */
static int fetch_children(struct fs *fs, struct child **c, size_t n, struct zfetch **out,
			  size_t *nout, bool *nowatch)
{
	const char **paths = NULL;
	struct zfetch *f = NULL;
	size_t nb = 0, weight = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		c[i]->batch = (!c[i]->e->valid && !c[i]->e->absent &&
			       !fs_entry_pending(c[i]->e)) ? (long)nb++ : -1;
		if (c[i]->batch >= 0)
			weight += 2 * (4 + strlen(c[i]->e->path));
	}
	*nowatch = !node_watch_room(fs->nt, weight);
	*out = NULL;
	*nout = nb;
	if (nb == 0)
		return 0;
	paths = malloc(nb * sizeof(*paths));
	f = calloc(nb, sizeof(*f));
	if (!paths || !f) {
		free(paths);
		free(f);
		return ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (c[i]->batch >= 0)
			paths[c[i]->batch] = c[i]->e->path;
	if (*nowatch)
		log_info("listing %zu children: their watches would exceed the budget of %zu "
			 "bytes; read without watches, not cached", nb, fs->cfg.watch_budget);
	node_unlock(fs->nt);
	rc = fs->be.ops->fetch(fs->be.impl, paths, nb,
			       FETCH_DATA | FETCH_CHILDREN | (*nowatch ? FETCH_NOWATCH : 0), f);
	node_lock(fs->nt);
	free(paths);
	if (rc) {
		free(f);
		return rc;
	}
	*out = f;
	return 0;
}

/* Add the dirent of one child. Lock held. EAGAIN: fetch it (again) first. */
static int add_child(struct fs *fs, struct fs_dir *dh, struct child *c, struct zfetch *f,
		     bool nowatch)
{
	struct facts facts;
	struct fs_dirent *d;
	struct node *n;
	int rc;

	if (c->batch >= 0) {
		rc = fs_settle(fs, c->e, c->epoch, &f[c->batch], !nowatch, &facts);
	} else if (c->e->valid || fs_entry_pending(c->e)) {
		rc = fs_refresh(fs, c->e, NULL, &facts);   /* from memory: no fetch */
	} else if (c->e->absent) {
		rc = ENOENT;
	} else {
		return EAGAIN;   /* an event dropped its facts while the lock was free */
	}
	if (rc)
		return rc == ENOENT ? 0 : rc;   /* gone since the listing: leave it out */
	n = node_attach(fs->nt, c->e, fs_kind_of(fs, c->e, &facts), (uint64_t)facts.stat.czxid);
	d = n ? dir_add(dh, c->name) : NULL;
	if (!d)
		return ENOMEM;
	dir_pin(dh, n);
	d->entry.ino = n->ino;
	fs_node_attr(fs, n, &facts.stat, &d->entry.attr);
	d->entry.entry_timeout = d->entry.attr_timeout = fs_timeout_for(fs, facts.cached);
	return 0;
}

/* Is `e` a child of directory entry `dir`? */
static bool in_dir(const struct entry *dir, const struct entry *e)
{
	size_t len = (size_t)(e->name - e->path);   /* with the '/' */

	if (strcmp(dir->path, "/") == 0)
		return len == 1;
	return len == strlen(dir->path) + 1 && strncmp(e->path, dir->path, len - 1) == 0;
}

static size_t pending_count(struct fs *fs, const struct entry *dir)
{
	size_t n = 0;

	for (struct entry *pe = node_pending_first(fs->nt); pe; pe = pe->pending_next)
		n += in_dir(dir, pe);
	return n;
}

static bool listed(char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* A list of children larger than max_listing (max_size: what a ZooKeeper
 * client takes in one answer by default, jute.maxbuffer) is refused: EFBIG,
 * said in the log. Its children can still be reached by name. */
static int check_size(struct fs *fs, const struct node *n, const struct facts *facts)
{
	size_t bytes = 0;

	if (!fs->cfg.max_listing)
		return 0;
	for (size_t i = 0; i < facts->nchildren; i++)
		bytes += 4 + strlen(facts->children[i]);
	if (bytes <= fs->cfg.max_listing)
		return 0;
	log_warn("%s: %zu children, %zu bytes of names: more than max_size=%zu, not listed "
		 "(EFBIG); its children can still be reached by name", n->entry->path,
		 facts->nchildren, bytes, fs->cfg.max_listing);
	return EFBIG;
}

/* ".", "..", the listed virtual files of the root, then `.data` while the
 * directory has data. *first: the index where sorting starts. Lock held. */
static int add_fixed(struct fs *fs, struct node *n, struct fs_dir *dh,
		     const struct facts *facts, size_t *first)
{
	struct fs_dirent *d;

	if (!(d = dir_add(dh, ".")))
		return ENOMEM;
	fs_fill_attr(fs, n->ino, NK_DIR, &facts->stat, &d->entry.attr);
	if (!(d = dir_add(dh, "..")))
		return ENOMEM;
	d->entry.attr.st_ino = NODE_ROOT_INO;
	d->entry.attr.st_mode = S_IFDIR;
	for (size_t i = 0; n->ino == NODE_ROOT_INO && vfile_at(i); i++) {
		const struct vfile *v = vfile_at(i);

		if (!v->listed)
			continue;
		if (!(d = dir_add(dh, v->name)))
			return ENOMEM;
		d->entry.ino = v->ino;
		vfile_attr(fs, v, &d->entry.attr);
		d->entry.entry_timeout = fs->cfg.cache_timeout;
	}
	*first = dh->n;
	if (facts->stat.data_length > 0) {
		struct node *dn = node_datafile(fs->nt, n->entry);

		if (!dn || !(d = dir_add(dh, fs->cfg.datafile)))
			return ENOMEM;
		dir_pin(dh, dn);
		d->entry.ino = dn->ino;
		fs_node_attr(fs, dn, &facts->stat, &d->entry.attr);
		d->entry.entry_timeout = d->entry.attr_timeout = fs_timeout_for(fs, facts->cached);
	}
	return 0;
}

/* One child to list: its entry pinned, the epoch its facts are read at. */
static int child_add(struct child *c, struct entry *e, const char *name)
{
	c->name = strdup(name);
	if (!c->name)
		return ENOMEM;
	c->e = e;
	entry_pin(e);
	c->epoch = e->epoch;
	return 0;
}

/* The children of `n` to list into c[] (*nc of them): its znode's children but
 * the shadowed names, and the files created here whose znode is not made yet
 * (a deferred create). Lock held. */
static int collect_children(struct fs *fs, struct node *n, const struct facts *facts,
			    struct child *c, size_t *nc)
{
	bool root = n->ino == NODE_ROOT_INO;

	for (size_t i = 0; i < facts->nchildren; i++) {
		const char *name = facts->children[i];
		struct entry *e;
		char *path;

		if (shadowed(fs, root, name) || !fs_name_possible(name))
			continue;
		path = fs_join_path(n->entry->path, name);
		e = path ? node_entry_get(fs->nt, path) : NULL;
		free(path);
		if (!e || child_add(&c[*nc], e, name))
			return ENOMEM;
		(*nc)++;
	}
	for (struct entry *pe = node_pending_first(fs->nt); pe; pe = pe->pending_next) {
		if (!fs_entry_pending(pe) || !in_dir(n->entry, pe) ||
		    listed(facts->children, facts->nchildren, pe->name))
			continue;
		if (child_add(&c[*nc], pe, pe->name))
			return ENOMEM;
		(*nc)++;
	}
	return 0;
}

/* Fetch what is not cached of c[] in batches and add each to the listing;
 * children whose facts an event dropped meanwhile go round again (three
 * rounds at most: EIO). Lock held, dropped during the fetches. */
static int add_children(struct fs *fs, struct fs_dir *dh, struct child *c, size_t nc)
{
	struct child **pending = malloc((nc + 1) * sizeof(*pending));
	struct zfetch *f = NULL;
	size_t npending = nc, nf = 0;
	bool nowatch = false;
	int rc = pending ? 0 : ENOMEM;

	for (size_t i = 0; pending && i < nc; i++)
		pending[i] = &c[i];
	for (int round = 0; rc == 0 && npending > 0; round++) {
		size_t again = 0;

		if (round == 3) {
			rc = EIO;
			break;
		}
		rc = fetch_children(fs, pending, npending, &f, &nf, &nowatch);
		for (size_t i = 0; rc == 0 && i < npending; i++) {
			int r = add_child(fs, dh, pending[i], f, nowatch);

			if (r == EAGAIN)
				pending[again++] = pending[i];
			else
				rc = r;
		}
		for (size_t i = 0; f && i < nf; i++)
			zfetch_clear(&f[i]);
		free(f);
		f = NULL;
		npending = again;
	}
	free(pending);
	return rc;
}

/* Build the listing of directory `n`. Lock held, dropped during fetches. */
static int build(struct fs *fs, struct node *n, struct fs_dir *dh, bool *keep_cache)
{
	struct zfetch df = { 0 };
	struct child *c = NULL;
	struct facts facts;
	size_t nc = 0, first = 0, extra;
	int64_t version;
	int rc;

	rc = fs_node_facts(fs, n, &df, &facts);
	if (rc == 0 && n->kind != NK_DIR)
		rc = ENOTDIR;
	if (rc == 0 && facts.noread)
		rc = EACCES;      /* its children cannot be read: never an empty listing */
	if (rc == 0)
		rc = check_size(fs, n, &facts);
	if (rc)
		goto out;
	version = facts.stat.mzxid > facts.stat.pzxid ? facts.stat.mzxid : facts.stat.pzxid;
	*keep_cache = facts.cached && n->kernel_mzxid == version;
	n->kernel_mzxid = facts.cached ? version : -1;
	extra = pending_count(fs, n->entry);
	dh->pinned = calloc(facts.nchildren + extra + 2, sizeof(*dh->pinned));
	c = calloc(facts.nchildren + extra + 1, sizeof(*c));
	if (!dh->pinned || !c)
		rc = ENOMEM;
	if (rc == 0)
		rc = add_fixed(fs, n, dh, &facts, &first);
	if (rc == 0)
		rc = collect_children(fs, n, &facts, c, &nc);
	/* facts.children may go away once the lock is dropped: only c[] is
	 * used from here on. */
	if (rc == 0)
		rc = add_children(fs, dh, c, nc);
	if (rc == 0)   /* ".", ".." and the virtual files stay first */
		qsort(dh->ents + first, dh->n - first, sizeof(*dh->ents), cmp_dirent);
out:
	for (size_t i = 0; i < nc; i++) {
		entry_unpin(c[i].e);
		free(c[i].name);
	}
	free(c);
	zfetch_clear(&df);
	return rc;
}

int fs_opendir(struct fs *fs, uint64_t ino, struct fs_dir **dhp, bool *keep_cache)
{
	struct fs_dir *dh;
	struct node *n;
	int rc;

	*keep_cache = false;
	if ((rc = fs_gone(fs)) != 0)
		return rc;
	if (!(dh = calloc(1, sizeof(*dh))))
		return ENOMEM;
	node_lock(fs->nt);
	n = node_by_ino(fs->nt, ino);
	if (!n) {
		rc = ENOENT;
	} else {
		node_pin(n);
		rc = build(fs, n, dh, keep_cache);
		node_unpin(fs->nt, n);
	}
	node_unlock(fs->nt);
	if (rc) {
		fs_releasedir(fs, dh);
		return rc;
	}
	*dhp = dh;
	return 0;
}

const struct fs_dirent *fs_readdir(struct fs_dir *dh, size_t index)
{
	return index < dh->n ? &dh->ents[index] : NULL;
}

void fs_dirent_ref(struct fs *fs, const struct fs_dirent *d)
{
	struct node *n;

	if (d->entry.ino == 0 || vfile_by_ino(d->entry.ino))
		return;
	node_lock(fs->nt);
	n = node_by_ino(fs->nt, d->entry.ino);
	if (n)
		node_ref(n);
	node_unlock(fs->nt);
}

void fs_releasedir(struct fs *fs, struct fs_dir *dh)
{
	if (!dh)
		return;
	node_lock(fs->nt);
	for (size_t i = 0; i < dh->npinned; i++)
		node_unpin(fs->nt, dh->pinned[i]);
	node_unlock(fs->nt);
	for (size_t i = 0; i < dh->n; i++)
		free((char *)dh->ents[i].name);
	free(dh->ents);
	free(dh->pinned);
	free(dh);
}
