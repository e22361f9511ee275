/*
 * The namespace: mkdir, unlink, rmdir, rename (SPEC.md §5). Contract in
 * fsops.h; what each returns is in docs/SEMANTICS.md.
 *
 * Each call looks at the facts it needs (cached and watched, or fetched),
 * drops the table lock, makes one ZooKeeper request (a multi for rename), and
 * takes the lock again to bring the table in line. Watches fired by our own
 * request arrive before its answer, so the cache is already dropped by then.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsops_int.h"
#include "log.h"
#include "readlog.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* A directory rename moves at most this many znodes in one multi. */
#define RENAME_MAX_NODES 1000

static void release(struct fs *fs, struct entry *e, struct zfetch *f)
{
	if (e)
		entry_unpin(e);
	node_unlock(fs->nt);
	zfetch_clear(f);
}

/* The kind `e` is shown as. Lock held. */
static enum node_kind kind_of(struct fs *fs, struct entry *e, const struct facts *facts)
{
	return fs_kind_of(fs, e, facts);
}

/* The reserved names: the virtual files' (vfile.h), the datafile anywhere. */
enum vname { VN_NONE, VN_VIRT, VN_DATA };

static enum vname vname_of(struct fs *fs, uint64_t parent, const char *name)
{
	if (vfile_by_name(parent, name))
		return VN_VIRT;
	return strcmp(name, fs->cfg.datafile) == 0 ? VN_DATA : VN_NONE;
}

/* The errno of a name operation on a virtual file's name, else 0. */
static int virt_name_err(uint64_t parent, const char *name)
{
	const struct vfile *v = vfile_by_name(parent, name);

	return v ? v->name_err : 0;
}

int fs_refuse(struct fs *fs)
{
	return fs->cfg.ro ? EROFS : EPERM;
}

int fs_mkdir(struct fs *fs, uint64_t parent, const char *name, unsigned mode,
	     struct fs_entry *out)
{
	struct zfetch f = { 0 };
	struct facts facts;
	struct zstat zs;
	struct entry *e = NULL;
	struct node *n;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fs_gone(fs)) != 0)
		return rc;
	if (fs->cfg.ro)
		return EROFS;
	node_lock(fs->nt);
	rc = fs_child(fs, parent, name, true, &e, &f, &facts);
	rc = rc == 0 ? EEXIST : rc == ENOENT ? 0 : rc;
	if (rc == 0)
		rc = fs_create_znode(fs, e, &zs);
	if (rc == 0) {
		n = node_attach(fs->nt, e, NK_DIR, (uint64_t)zs.czxid);
		if (!n) {
			rc = ENOMEM;
		} else {
			node_made(e, NK_DIR, zs.czxid);
			fs_made_mode(fs, e, NK_DIR, mode);
			node_ref(n);
			out->ino = n->ino;
			fs_node_attr(fs, n, &zs, &out->attr);
		}
	}
	release(fs, e, &f);
	return rc;
}

/* Delete the znode behind `e` (lock held, dropped during the request). */
static int delete_entry(struct fs *fs, struct entry *e, int32_t version)
{
	const char *path = e->path;
	int rc;

	node_unlock(fs->nt);
	rc = fs->be.ops->remove(fs->be.impl, path, version);
	node_lock(fs->nt);
	if (rc == 0)
		node_drop(fs->nt, e);
	return rc;
}

/* The children of a directory are all real znodes named like its `.data`
 * (shadowed: nothing else can reach them through the mount). */
static bool only_shadowed(struct fs *fs, char *const *children, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(children[i], fs->cfg.datafile) != 0)
			return false;
	return true;
}

static int delete_with_shadowed(struct fs *fs, struct entry *e, const struct zstat *seen);

/* `rm dir/.data`: empty the directory's own data. Lock held. */
static int empty_datafile(struct fs *fs, uint64_t parent)
{
	struct zstat zs;
	struct node *pn;
	char *path;
	int rc = fs_dir_node(fs, parent, &pn);

	if (rc)
		return rc;
	path = strdup(pn->entry->path);
	if (!path)
		return ENOMEM;
	node_unlock(fs->nt);
	rc = fs->be.ops->set(fs->be.impl, path, NULL, 0, -1, &zs);
	if (rc == 0)
		fs_own_write(fs, path, &zs);
	node_lock(fs->nt);
	free(path);
	return rc;
}

int fs_unlink(struct fs *fs, uint64_t parent, const char *name, pid_t pid)
{
	struct zfetch f = { 0 };
	struct facts facts;
	struct entry *e = NULL;
	int rc;

	if ((rc = fs_gone(fs)) != 0)
		return rc;
	if (fs->cfg.ro)
		return EROFS;
	if ((rc = virt_name_err(parent, name)) != 0)
		return rc;
	node_lock(fs->nt);
	if (vname_of(fs, parent, name) == VN_DATA) {
		rc = empty_datafile(fs, parent);
		node_unlock(fs->nt);
		return rc;
	}
	rc = fs_child(fs, parent, name, false, &e, &f, &facts);
	if (rc == 0 && kind_of(fs, e, &facts) == NK_DIR)
		rc = EISDIR;
	if (rc == 0 && facts.pending)
		node_drop(fs->nt, e);    /* never created: its handles commit nothing */
	else if (rc == 0)
		rc = delete_entry(fs, e, -1);
	if (rc == 0)   /* what it read there binds no rename of its own to it now */
		readlog_forget(fs->reads, pid, e->path);
	release(fs, e, &f);
	return rc;
}

int fs_rmdir(struct fs *fs, uint64_t parent, const char *name)
{
	struct zfetch f = { 0 };
	struct facts facts;
	struct entry *e = NULL;
	int rc;

	if ((rc = fs_gone(fs)) != 0)
		return rc;
	if (fs->cfg.ro)
		return EROFS;
	if (vname_of(fs, parent, name) != VN_NONE)
		return ENOTDIR;
	node_lock(fs->nt);
	/* Checked against the version seen empty: a value set meanwhile gives
	 * ESTALE, and we look again. */
	for (int attempt = 0; attempt < 3; attempt++) {
		zfetch_clear(&f);
		if (e)
			entry_unpin(e);
		rc = fs_child(fs, parent, name, false, &e, &f, &facts);
		if (rc == 0 && kind_of(fs, e, &facts) != NK_DIR)
			rc = ENOTDIR;
		if (rc == 0 && facts.stat.data_length > 0)
			rc = ENOTEMPTY;
		if (rc == 0 && facts.stat.num_children > 0)
			rc = only_shadowed(fs, facts.children, facts.nchildren)
				     ? delete_with_shadowed(fs, e, &facts.stat) : ENOTEMPTY;
		else if (rc == 0)
			rc = delete_entry(fs, e, facts.stat.version);
		if (rc != ESTALE)
			break;
	}
	if (rc == ESTALE)
		rc = ENOTEMPTY;
	release(fs, e, &f);
	return rc;
}

/* ---- rename ---- */

/* The znodes of a subtree, parents before children. */
struct tree {
	char **paths;            /* absolute */
	struct zfetch *f;        /* data + stat of each */
	size_t n, cap;
	size_t bytes;            /* data and paths, to fit one request */
};

static void tree_free(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->paths[i]);
		zfetch_clear(&t->f[i]);
	}
	free(t->paths);
	free(t->f);
}

static int tree_add(struct tree *t, char *path)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **np = realloc(t->paths, cap * sizeof(*np));
		struct zfetch *nf;

		if (!np)
			return ENOMEM;
		t->paths = np;
		nf = realloc(t->f, cap * sizeof(*nf));
		if (!nf)
			return ENOMEM;
		t->f = nf;
		t->cap = cap;
	}
	memset(&t->f[t->n], 0, sizeof(t->f[t->n]));
	t->paths[t->n++] = path;
	return 0;
}

/* Read the subtree at `root` level by level, one batch per level. Without
 * the table lock. To move it (`deleting` false): data and stat of each,
 * EXDEV when it is too big for one request or holds an ephemeral znode,
 * EACCES when a value cannot be read. To delete it: stat and children only
 * (a znode this session may not read counts as a leaf: its delete is then
 * refused if it has children), EXDEV when too many. ESTALE when it changes
 * while being read. */
static int tree_read(struct fs *fs, const char *root, bool deleting, struct tree *t)
{
	size_t level = 0, end;
	char *r = strdup(root);
	int rc;

	if (!r || tree_add(t, r)) {
		free(r);
		return ENOMEM;
	}
	while (level < t->n) {
		end = t->n;
		/* Read once, not cached: no watches left behind (node.h). */
		rc = fs->be.ops->fetch(fs->be.impl, (const char *const *)t->paths + level,
				       end - level, (deleting ? 0 : FETCH_DATA) | FETCH_CHILDREN |
				       FETCH_NOWATCH, t->f + level);
		if (rc)
			return rc;
		for (size_t i = level; i < end; i++) {
			/* t->f moves as children are added: index it, keep no pointer. */
			if (t->f[i].err)
				return t->f[i].err == ENOENT ? ESTALE : t->f[i].err;
			if (t->f[i].noread && !deleting)
				return EACCES;   /* its value cannot be moved */
			if (t->f[i].stat.ephemeral_owner != 0 && !deleting)
				return EXDEV;    /* cannot be re-created as what it is */
			t->bytes += (deleting ? 0 : t->f[i].data->len) + 2 * strlen(t->paths[i]) + 64;
			if (t->n + t->f[i].nchildren > RENAME_MAX_NODES)
				return EXDEV;
			for (size_t c = 0; c < t->f[i].nchildren; c++) {
				char *p = fs_join_path(t->paths[i], t->f[i].children[c]);

				if (!p || tree_add(t, p)) {
					free(p);
					return ENOMEM;
				}
			}
			if (t->n > RENAME_MAX_NODES || t->bytes > fs->cfg.max_size)
				return EXDEV;
		}
		level = end;
	}
	return 0;
}

/*
 * rmdir of a directory that looks empty but holds a real znode named like
 * `.data` (and maybe a subtree below it): all go in one multi, each delete
 * checked against the version read, so that `rm -rf` never leaves a directory
 * that can be neither read nor removed (docs/SEMANTICS.md). `seen` is the
 * directory as rmdir found it. ESTALE when any of it changed meanwhile
 * (rmdir looks again; a child added after the read makes the server refuse
 * the multi: ENOTEMPTY); ENOTEMPTY when the subtree is over one request;
 * EACCES when the session may not delete a part. Lock held, dropped meanwhile.
 */
static int delete_with_shadowed(struct fs *fs, struct entry *e, const struct zstat *seen)
{
	struct tree t = { 0 };
	struct zop *ops = NULL;
	char *dir = strdup(e->path);
	size_t failed = 0;
	int rc = dir ? 0 : ENOMEM;

	node_unlock(fs->nt);
	if (rc == 0)
		rc = tree_read(fs, dir, true, &t);
	if (rc == 0 && (t.f[0].stat.version != seen->version ||
			t.f[0].stat.czxid != seen->czxid ||
			!only_shadowed(fs, t.f[0].children, t.f[0].nchildren)))
		rc = ESTALE;
	if (rc == 0 && !(ops = calloc(t.n, sizeof(*ops))))
		rc = ENOMEM;
	if (rc == 0) {
		for (size_t i = 0; i < t.n; i++)   /* children first */
			ops[i] = (struct zop){ .type = ZOP_DELETE, .path = t.paths[t.n - 1 - i],
					       .version = t.f[t.n - 1 - i].stat.version };
		rc = fs->be.ops->multi(fs->be.impl, ops, t.n, &failed);
		if (rc == ENOENT)
			rc = ESTALE;   /* a part was deleted meanwhile: look again */
	}
	if (rc == 0)
		log_info("%s: removed with its child `%s` (shadowed by the mount's own "
			 "`%s`; %zu znode(s) in all)", dir, fs->cfg.datafile, fs->cfg.datafile, t.n);
	if (rc == EXDEV) {
		log_warn("%s: its child `%s` (shadowed by the mount) has over %d znodes below "
			 "it: not removed (mount with another -o datafile= to remove them)",
			 dir, fs->cfg.datafile, RENAME_MAX_NODES);
		rc = ENOTEMPTY;
	}
	node_lock(fs->nt);
	free(ops);
	tree_free(&t);
	free(dir);
	if (rc == 0)
		node_drop(fs->nt, e);
	return rc;
}

/* A rename's multi failed. The backend logged the failure with the path and
 * the ZooKeeper error, as a warning unless it is a lost race (ESTALE: a
 * version moved), which it logs for debugging only: that one is worth a
 * warning here, once, with what the rename was. */
static void log_lost_race(const char *from, const char *to, const char *path, int rc)
{
	if (rc == ESTALE)
		log_warn("rename %s -> %s: %s changed meanwhile: nothing renamed", from, to, path);
}

/* The ops of a directory rename: [delete the empty target], create the new
 * subtree, delete the old one (children first), each delete checked against
 * the version read. ops[] holds 2 * t->n + 1; new paths go to newp[]. */
static int tree_ops(const struct tree *t, const char *to, const struct facts *target,
		    struct zop *ops, char **newp, size_t *nops)
{
	size_t k = 0, rootlen = strlen(t->paths[0]);

	if (target)
		ops[k++] = (struct zop){ .type = ZOP_DELETE, .path = to,
					 .version = target->stat.version };
	for (size_t i = 0; i < t->n; i++) {
		if (asprintf(&newp[i], "%s%s", to, t->paths[i] + rootlen) < 0) {
			newp[i] = NULL;
			return ENOMEM;
		}
		ops[k++] = (struct zop){ .type = ZOP_CREATE, .path = newp[i],
					 .data = t->f[i].data->len ? t->f[i].data->bytes : NULL,
					 .len = t->f[i].data->len };
	}
	for (size_t i = t->n; i-- > 0;)
		ops[k++] = (struct zop){ .type = ZOP_DELETE, .path = t->paths[i],
					 .version = t->f[i].stat.version };
	*nops = k;
	return 0;
}

static int rename_dir(struct fs *fs, const char *from, const char *to,
		      const struct facts *target)
{
	struct tree t = { 0 };
	struct zop *ops = NULL;
	char **newp = NULL;
	size_t nops = 0, failed = 0;
	int rc = tree_read(fs, from, false, &t);

	if (rc == 0) {
		ops = calloc(2 * t.n + 1, sizeof(*ops));
		newp = calloc(t.n, sizeof(*newp));
		rc = ops && newp ? tree_ops(&t, to, target, ops, newp, &nops) : ENOMEM;
	}
	if (rc == 0)
		rc = fs->be.ops->multi(fs->be.impl, ops, nops, &failed);
	if (rc == EXDEV)
		log_info("%s: too big to rename in one request (%zu znodes so far): EXDEV",
			 from, t.n);
	else if (rc && nops)
		log_lost_race(from, to, ops[failed].path, rc);
	for (size_t i = 0; newp && i < t.n; i++)
		free(newp[i]);
	free(newp);
	free(ops);
	tree_free(&t);
	return rc;
}

static int rename_file(struct fs *fs, const char *from, const char *to,
		       const struct facts *src, const struct facts *target)
{
	struct zop ops[2];
	size_t failed = 0;
	int rc;

	ops[0] = (struct zop){ .type = target ? ZOP_SET : ZOP_CREATE, .path = to,
			       .data = src->data->len ? src->data->bytes : NULL,
			       .len = src->data->len,
			       .version = target ? target->stat.version : -1 };
	ops[1] = (struct zop){ .type = ZOP_DELETE, .path = from, .version = src->stat.version };
	rc = fs->be.ops->multi(fs->be.impl, ops, 2, &failed);
	if (rc)
		log_lost_race(from, to, ops[failed].path, rc);
	return rc;
}

/* Is `rename from -> to` one we can do? Lock held. */
static int rename_check(struct fs *fs, struct entry *se, const struct facts *sf,
			struct entry *te, int trc, const struct facts *tf, unsigned flags)
{
	enum node_kind sk = kind_of(fs, se, sf);

	if (trc && trc != ENOENT)
		return trc;
	if (trc == 0 && se == te)
		return 0;
	if (trc == 0 && (flags & RENAME_NOREPLACE))
		return EEXIST;
	if (sk == NK_DIR && strncmp(te->path, se->path, strlen(se->path)) == 0 &&
	    te->path[strlen(se->path)] == '/')
		return EINVAL;   /* into itself */
	if (trc == 0) {
		enum node_kind tk = kind_of(fs, te, tf);

		if (sk != NK_DIR && tk == NK_DIR)
			return EISDIR;
		if (sk == NK_DIR && tk != NK_DIR)
			return ENOTDIR;
		if (tk == NK_DIR && (tf->stat.num_children > 0 || tf->stat.data_length > 0))
			return ENOTEMPTY;
		if (tf->pending)
			return EBUSY;    /* a new file not yet written */
	}
	return sf->pending ? EBUSY : 0;
}

/* Take the writers of the file `name` in `parent` (fs_writers_take): what
 * they wrote is committed now, so that the rename moves it (tempfile +
 * os.replace before close), and nothing of theirs is committed until the
 * rename is done. *np: their inode, pinned (NULL: no inode, no writers). */
static int settle_source(struct fs *fs, uint64_t parent, const char *name,
			 struct fs_writers *w, struct node **np)
{
	struct entry *e = NULL;
	struct node *pn, *n = NULL;
	char *path;

	node_lock(fs->nt);
	if (fs_dir_node(fs, parent, &pn) == 0 && (path = fs_join_path(pn->entry->path, name))) {
		e = node_entry(fs->nt, path);
		free(path);
	}
	n = e ? e->node : NULL;
	if (n)
		node_pin(n);
	node_unlock(fs->nt);
	*np = n;
	return n ? fs_writers_take(fs, n, w) : 0;
}

/*
 * A rename over the target `to` (known at `tf`) is checked against the
 * version known now (the multi sends it); when the renaming process read the
 * target before, that must be the version it read (readlog.h): of two
 * `sed -i` of one file, the later fails with ESTALE instead of dropping the
 * earlier's change. No lock held (readlog_find reads /proc).
 */
static int target_check(struct fs *fs, pid_t pid, const char *to, const struct facts *tf)
{
	int64_t czxid;
	int32_t v;

	if (!readlog_find(fs->reads, pid, to, &czxid, &v))
		return 0;
	if ((czxid != 0 && czxid != tf->stat.czxid) || v != tf->stat.version) {
		log_warn("rename over %s: changed since the renaming process read it "
			 "(version %d, now %d): nothing written", to, (int)v,
			 (int)tf->stat.version);
		return ESTALE;
	}
	return 0;
}

int fs_rename(struct fs *fs, uint64_t parent, const char *name, uint64_t newparent,
	      const char *newname, unsigned flags, pid_t pid)
{
	struct zfetch sfe = { 0 }, tfe = { 0 };
	struct facts sf = { 0 }, tf = { 0 };
	struct fs_writers w = { 0 };
	struct entry *se = NULL, *te = NULL;
	struct node *moved = NULL, *writers = NULL;
	char *from = NULL, *to = NULL;
	bool dir = false;
	int32_t tv = 0;
	int rc, trc = 0;

	if ((rc = fs_gone(fs)) != 0)
		return rc;
	if (fs->cfg.ro)
		return EROFS;
	if (flags & ~(unsigned)RENAME_NOREPLACE)
		return EINVAL;     /* RENAME_EXCHANGE, RENAME_WHITEOUT */
	if ((rc = virt_name_err(parent, name)) != 0 ||
	    (rc = virt_name_err(newparent, newname)) != 0)
		return rc;
	if (vname_of(fs, parent, name) == VN_DATA || vname_of(fs, newparent, newname) == VN_DATA)
		return EINVAL;
	rc = settle_source(fs, parent, name, &w, &writers);
	node_lock(fs->nt);
	if (rc == 0)
		rc = fs_child(fs, parent, name, false, &se, &sfe, &sf);
	/* Ours: the cached value may be dropped while the lock is free. */
	sf.data = rc == 0 ? zdata_get(sf.data) : NULL;
	if (rc == 0) {
		trc = fs_child(fs, newparent, newname, true, &te, &tfe, &tf);
		rc = te ? rename_check(fs, se, &sf, te, trc, &tf, flags) : trc;
	}
	if (rc == 0 && se != te && (sf.noread || (trc == 0 && tf.noread)))
		rc = EACCES;
	if (rc == 0 && se != te) {
		dir = kind_of(fs, se, &sf) == NK_DIR;
		tv = trc == 0 ? tf.stat.version + 1 : 0;   /* the target's, after */
		from = strdup(se->path);
		to = strdup(te->path);
		node_unlock(fs->nt);   /* se and te stay pinned, sf.data referenced */
		if (!from || !to)
			rc = ENOMEM;
		if (rc == 0 && trc == 0)
			rc = target_check(fs, pid, to, &tf);
		node_lock(fs->nt);
	}
	if (rc == 0 && se != te) {
		/* Our own delete of the source detaches its inode before the
		 * answer comes: hold it to move it to the target. */
		moved = se->node;
		if (moved)
			node_pin(moved);
		node_unlock(fs->nt);
		if (dir)
			rc = rename_dir(fs, from, to, trc == 0 ? &tf : NULL);
		else
			rc = rename_file(fs, from, to, &sf, trc == 0 ? &tf : NULL);
		node_lock(fs->nt);
	}
	if (rc == 0 && se != te) {
		if (dir)
			node_moved_subtree(fs->nt, se, te);
		node_rehome(fs->nt, moved, se, te);
	}
	node_unlock(fs->nt);
	if (rc == 0 && se != te && !dir)   /* the target holds the value, at tv */
		readlog_note(fs->reads, pid, to, trc == 0 ? tf.stat.czxid : 0, tv);
	fs_writers_release(fs, &w, rc == 0 && se != te && !dir && writers == moved,
			   sf.stat.version, tv);
	zdata_put(sf.data);
	node_lock(fs->nt);
	if (moved)
		node_unpin(fs->nt, moved);
	if (writers)
		node_unpin(fs->nt, writers);
	free(from);
	free(to);
	if (te)
		entry_unpin(te);
	zfetch_clear(&tfe);
	release(fs, se, &sfe);
	return rc;
}
