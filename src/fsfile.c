/*
 * Open files: read snapshots, write buffers (SPEC.md §5), deferred creates,
 * the handles' life cycle, and setattr. Contract in fsops.h. The commits are
 * fscommit.c's.
 *
 * A handle that may write keeps the whole value in its buffer and commits it
 * with one ZooKeeper write. Its lock (fh->mu) is held across that round trip:
 * it serialises the requests of one handle only. The table lock is never held
 * across a round trip. Order: fh->mu, then the table lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fsops_int.h"
#include "log.h"
#include "readlog.h"

static struct fs_file *fh_new(struct fs *fs)
{
	struct fs_file *fh = calloc(1, sizeof(*fh));

	if (!fh)
		return NULL;
	fh->refs = 1;
	pthread_mutex_init(&fh->mu, NULL);
	pthread_mutex_lock(&fs->files_mu);
	fh->next = fs->files;
	if (fs->files)
		fs->files->prev = fh;
	fs->files = fh;
	pthread_mutex_unlock(&fs->files_mu);
	return fh;
}

/* Make room for `len` bytes, zero-filling from fh->len. Lock mu held. */
static int buf_resize(struct fs_file *fh, size_t len)
{
	if (len > fh->cap) {
		size_t cap = fh->cap ? fh->cap : 4096;
		char *nb;

		while (cap < len)
			cap *= 2;
		nb = realloc(fh->buf, cap);
		if (!nb)
			return ENOMEM;
		fh->buf = nb;
		fh->cap = cap;
	}
	if (len > fh->len)
		memset(fh->buf + fh->len, 0, len - fh->len);
	fh->len = len;
	return 0;
}

/* Set up a handle that may write on node `n` from `facts`, for process
 * `pid`. Lock held. */
static int writable_init(struct fs *fs, struct fs_file *fh, struct node *n,
			 const struct facts *facts, int flags, pid_t pid)
{
	fh->writable = true;
	fh->pid = pid;
	fh->append = (flags & O_APPEND) != 0;
	fh->appends_only = true;
	if (facts->noread && !(flags & O_TRUNC))
		return EACCES;        /* its value cannot be loaded */
	if (flags & O_TRUNC) {
		fh->replace = true;
		fh->owed = true;      /* `: > f` empties f (at release, see fs_flush) */
		n->wfh = fh;          /* its size is 0 now, for its writer */
		n->wlen = 0;
	} else if (facts->data->len > 0) {
		int rc = buf_resize(fh, facts->data->len);

		if (rc)
			return rc;
		memcpy(fh->buf, facts->data->bytes, facts->data->len);
	}
	fh->base_len = fh->len;
	fh->version = facts->stat.version;
	if (facts->pending) {         /* another handle's deferred create */
		fh->create = true;
		fh->created = n->entry;
		entry_pin(fh->created);
		node_pending_add(fs->nt, fh->created, fs_now_ms());
	}
	fh->node = n;
	node_pin(n);
	return 0;
}

/* A virtual file (vfile.h): read-only, its content as its open makes it. */
static int open_virt(struct fs *fs, const struct vfile *v, int flags, struct fs_file **fhp,
		     struct fs_open_reply *reply)
{
	struct fs_file *fh;
	int rc;

	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
		return v->write_err;
	fh = fh_new(fs);
	if (!fh)
		return ENOMEM;
	rc = v->open(fs, fh, reply);
	if (rc) {
		fs_release(fs, fh);
		return rc;
	}
	reply->direct_io = true;
	reply->noflush = true;
	*fhp = fh;
	return 0;
}

struct events_reader *fs_file_events(const struct fs_file *fh)
{
	return fh->reader;
}

/* Remember the version `pid` opened `n` at, for a rename over it. Lock held. */
static void note_read(struct fs *fs, pid_t pid, const struct node *n,
		      const struct facts *facts)
{
	if (n->entry && !facts->pending)
		readlog_note(fs->reads, pid, n->entry->path, facts->stat.czxid,
			     facts->stat.version);
}

int fs_open(struct fs *fs, uint64_t ino, int flags, pid_t pid, struct fs_file **fhp,
	    struct fs_open_reply *reply)
{
	const struct vfile *v;
	bool writing = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
	struct zfetch f = { 0 };
	struct facts facts;
	struct fs_file *fh;
	struct node *n;
	int rc;

	memset(reply, 0, sizeof(*reply));
	if ((rc = fs_gone(fs)) != 0)
		return rc;
	if ((v = vfile_by_ino(ino)) != NULL)
		return open_virt(fs, v, flags, fhp, reply);
	if (writing && fs->cfg.ro)
		return EROFS;
	node_lock(fs->nt);
	n = node_by_ino(fs->nt, ino);
	rc = n ? fs_node_facts(fs, n, &f, &facts) : ENOENT;
	if (rc == 0 && n->kind == NK_DIR)
		rc = EISDIR;
	if (rc == 0 && facts.noread && !writing)
		rc = EACCES;
	if (rc == 0 && n->kind != NK_DATAFILE && !(flags & O_TRUNC))
		note_read(fs, pid, n, &facts);
	fh = rc ? NULL : fh_new(fs);
	if (rc == 0 && !fh)
		rc = ENOMEM;
	if (rc == 0 && writing) {
		rc = writable_init(fs, fh, n, &facts, flags, pid);
		reply->direct_io = true;
	} else if (rc == 0) {
		/* Reads are served from this snapshot, never from the kernel's page
		 * cache: a local open(O_TRUNC) makes the kernel zero the file's size
		 * at once, and a page-cache reader at that moment would read an
		 * empty value that ZooKeeper never held (docs/SEMANTICS.md). */
		fh->data = zdata_get(facts.data);
		reply->direct_io = true;
		reply->noflush = true;    /* nothing to commit: no FLUSH at close */
	}
	/* An inode deleted or replaced (renamed over) after the kernel looked
	 * its name up: ESTALE makes the kernel walk the path once more with
	 * fresh lookups (do_filp_open's LOOKUP_REVAL), so an open that races a
	 * rename over its name opens the new file instead of failing. */
	if (rc == ENOENT && n)
		rc = ESTALE;
	node_unlock(fs->nt);
	zfetch_clear(&f);
	if (rc) {
		fs_release(fs, fh);
		return rc;
	}
	*fhp = fh;
	return 0;
}

/* The counted entry of the file behind `e`, from `facts`. Lock held. */
static int file_entry(struct fs *fs, struct entry *e, const struct facts *facts,
		      bool made, unsigned mode, struct fs_entry *out, struct node **np)
{
	enum node_kind kind = made ? NK_FILE : fs_kind_of(fs, e, facts);
	struct node *n;

	if (kind == NK_DIR)
		return EISDIR;
	n = node_attach(fs->nt, e, kind, facts->pending ? 0 : (uint64_t)facts->stat.czxid);
	if (!n)
		return ENOMEM;
	if (made) {
		node_made(e, NK_FILE, facts->stat.czxid);
		fs_made_mode(fs, e, NK_FILE, mode);
		n->adopt = facts->pending;
	}
	node_ref(n);
	out->ino = n->ino;
	fs_node_attr(fs, n, &facts->stat, &out->attr);
	out->entry_timeout = out->attr_timeout = fs_timeout_for(fs, facts->cached);
	*np = n;
	return 0;
}

/* Make the znode now (O_EXCL) or defer it to the first commit. Lock held.
 * On success `facts` describes the new file. */
static int make_file(struct fs *fs, struct entry *e, int flags, struct facts *facts)
{
	struct zstat zs = { 0 };
	int rc = 0;

	memset(facts, 0, sizeof(*facts));
	facts->data = zdata_empty();
	if (flags & O_EXCL) {
		rc = fs_create_znode(fs, e, &zs);
	} else {
		zs.ctime_ms = zs.mtime_ms = fs_now_ms();
		facts->pending = true;
	}
	facts->stat = zs;
	return rc;
}

int fs_create(struct fs *fs, uint64_t parent, const char *name, int flags, unsigned mode,
	      pid_t pid, struct fs_entry *out, struct fs_file **fhp, struct fs_open_reply *reply)
{
	struct zfetch f = { 0 };
	struct facts facts = { 0 };
	struct fs_file *fh = NULL;
	struct node *n = NULL;
	struct entry *e = NULL;
	bool made = false;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(reply, 0, sizeof(*reply));
	if ((rc = fs_gone(fs)) != 0)
		return rc;
	if (fs->cfg.ro)
		return EROFS;
	node_lock(fs->nt);
	rc = fs_child(fs, parent, name, true, &e, &f, &facts);
	if (rc == 0 && (flags & O_EXCL)) {
		rc = EEXIST;
	} else if (rc == ENOENT) {
		/* The usual case: absent. (Present: the kernel's negative entry
		 * was older than ours; open what is there, as open(2) would.) */
		made = true;
		rc = make_file(fs, e, flags, &facts);
	}
	if (rc == 0)
		rc = file_entry(fs, e, &facts, made, mode, out, &n);
	if (rc == 0 && !(fh = fh_new(fs)))
		rc = ENOMEM;
	if (rc == 0 && !made && !(flags & O_TRUNC))
		note_read(fs, pid, n, &facts);
	if (rc == 0) {
		/* A new file's value is replaced whole: O_TRUNC. A deferred
		 * create is counted by writable_init (facts.pending). */
		rc = writable_init(fs, fh, n, &facts, made ? flags | O_TRUNC : flags, pid);
		if (made && !facts.pending)
			fh->owed = fh->replace = false;   /* O_EXCL: made empty, version 0 */
		reply->direct_io = true;
	}
	if (rc && n) {
		n->nlookup--;
		if (made)
			node_drop(fs->nt, e);
	}
	if (e)
		entry_unpin(e);
	node_unlock(fs->nt);
	zfetch_clear(&f);
	if (rc) {
		fs_release(fs, fh);
		memset(out, 0, sizeof(*out));
		return rc;
	}
	*fhp = fh;
	return 0;
}

int fs_read(struct fs *fs, struct fs_file *fh, size_t size, off_t off,
	    const char **buf, size_t *len, char **copy)
{
	const char *bytes;
	size_t total;

	*copy = NULL;
	*len = 0;
	if (off < 0)
		return EINVAL;
	if (fh->reader) {             /* what is there now, never blocking */
		ssize_t n;

		*copy = malloc(size ? size : 1);
		if (!*copy)
			return ENOMEM;
		n = events_read(fs->events, fh->reader, *copy, size, NULL);
		*buf = *copy;
		*len = n > 0 ? (size_t)n : 0;
		return n < 0 ? (int)-n : 0;
	}
	if (!fh->writable) {
		/* A copy, not the snapshot itself: once the kernel has the reply's
		 * bytes the reader may close, and the release free the snapshot,
		 * before fuse_reply_buf has returned. */
		bytes = fh->data ? fh->data->bytes : fh->text;
		total = fh->data ? fh->data->len : fh->text_len;
		if ((uint64_t)off < total)
			*len = total - (size_t)off < size ? total - (size_t)off : size;
		*copy = malloc(*len ? *len : 1);
		if (!*copy)
			return ENOMEM;
		memcpy(*copy, bytes + (*len ? off : 0), *len);
		*buf = *copy;
		return 0;
	}
	pthread_mutex_lock(&fh->mu);
	if ((uint64_t)off < fh->len) {
		*len = fh->len - (size_t)off < size ? fh->len - (size_t)off : size;
		*copy = malloc(*len ? *len : 1);
		if (*copy)
			memcpy(*copy, fh->buf + off, *len);
	}
	pthread_mutex_unlock(&fh->mu);
	if (*len && !*copy)
		return ENOMEM;
	*buf = *copy;
	return 0;
}

/* Spoil the handle: nothing it holds will be committed. Lock mu held. */
static int spoil(struct fs *fs, struct fs_file *fh, size_t want)
{
	fh->spoiled = EFBIG;
	log_warn("write of %zu bytes exceeds max_size=%zu: nothing of this file handle "
		 "will be written", want, fs->cfg.max_size);
	return EFBIG;
}

/* The handle's buffer changed: its length is the size its node shows until
 * the commit (node.h: wfh). Lock mu held, not the table lock. */
static void show_len(struct fs *fs, struct fs_file *fh)
{
	node_lock(fs->nt);
	fh->node->wfh = fh;
	fh->node->wlen = (int64_t)fh->len;
	node_unlock(fs->nt);
}

int fs_write(struct fs *fs, struct fs_file *fh, const char *buf, size_t size, off_t off)
{
	size_t end;
	int rc = 0;

	if (!fh->writable)
		return EBADF;
	if (off < 0)
		return EINVAL;
	pthread_mutex_lock(&fh->mu);
	if (fh->append)
		off = (off_t)fh->len;
	end = (size_t)off + size;
	if (fh->spoiled)
		rc = fh->spoiled;
	else if (end > fs->cfg.max_size || end < size)
		rc = spoil(fs, fh, end);
	else if (end > fh->len)
		rc = buf_resize(fh, end);
	if (rc == 0) {
		memcpy(fh->buf + off, buf, size);
		fh->dirty = true;
		show_len(fs, fh);
	}
	pthread_mutex_unlock(&fh->mu);
	return rc;
}

/* Resize the buffer (ftruncate on the handle). Lock mu held. */
static int handle_truncate(struct fs *fs, struct fs_file *fh, off_t size)
{
	int rc;

	if (size < 0)
		return EINVAL;
	if ((uint64_t)size > fs->cfg.max_size)
		return EFBIG;
	if (fh->spoiled)
		return fh->spoiled;
	if ((size_t)size < fh->len)
		fh->len = (size_t)size;
	rc = buf_resize(fh, (size_t)size);
	if (rc)
		return rc;
	if (size == 0)
		fh->replace = true;   /* the whole value is replaced */
	fh->dirty = true;
	fh->appends_only = false;
	show_len(fs, fh);
	return 0;
}

/* Drop a reference to a handle (fh->refs); the last frees it. No lock. */
static void fs_file_put(struct fs *fs, struct fs_file *fh)
{
	bool last;

	pthread_mutex_lock(&fs->files_mu);
	last = --fh->refs == 0;
	if (last) {
		if (fh->prev)
			fh->prev->next = fh->next;
		else
			fs->files = fh->next;
		if (fh->next)
			fh->next->prev = fh->prev;
	}
	pthread_mutex_unlock(&fs->files_mu);
	if (!last)
		return;
	if (fh->node || fh->created) {
		node_lock(fs->nt);
		if (fh->created) {
			node_pending_del(fs->nt, fh->created);
			entry_unpin(fh->created);
		}
		if (fh->node) {
			fs_unshow_len(fh);
			node_unpin(fs->nt, fh->node);
		}
		node_unlock(fs->nt);
	}
	events_close(fs->events, fh->reader);
	zdata_put(fh->data);
	free(fh->buf);
	pthread_mutex_destroy(&fh->mu);
	free(fh);
}

void fs_release(struct fs *fs, struct fs_file *fh)
{
	if (!fh)
		return;
	if (fh->writable) {
		/* Nobody is left to tell of a failure: the backend logs it. */
		pthread_mutex_lock(&fh->mu);
		if (!fh->spoiled && (fh->dirty || fh->owed))
			fs_commit_now(fs, fh);
		pthread_mutex_unlock(&fh->mu);
	}
	fs_file_put(fs, fh);
}

void fs_discard(struct fs *fs, struct fs_file *fh)
{
	if (fh && fh->writable) {
		pthread_mutex_lock(&fh->mu);
		fh->dirty = fh->owed = false;
		pthread_mutex_unlock(&fh->mu);
	}
	fs_release(fs, fh);
}

/* The handles that may write to inode `n`, each with a reference, in the
 * order of fs->files. Read under the table lock too: writable_init sets
 * fh->node under it, after fh_new has listed the handle. */
static int node_handles(struct fs *fs, const struct node *n, struct fs_writers *w)
{
	size_t cap = 0;
	int rc = 0;

	w->v = NULL;
	w->n = 0;
	node_lock(fs->nt);
	pthread_mutex_lock(&fs->files_mu);
	for (struct fs_file *fh = fs->files; fh; fh = fh->next) {
		if (!fh->writable || fh->node != n)
			continue;
		if (w->n == cap) {
			struct fs_file **nv = realloc(w->v, (cap = cap ? 2 * cap : 4) * sizeof(*nv));

			if (!nv) {
				rc = ENOMEM;
				break;
			}
			w->v = nv;
		}
		fh->refs++;
		w->v[w->n++] = fh;
	}
	pthread_mutex_unlock(&fs->files_mu);
	node_unlock(fs->nt);
	return rc;
}

int fs_writers_take(struct fs *fs, struct node *n, struct fs_writers *w)
{
	int rc = node_handles(fs, n, w);

	for (size_t i = 0; i < w->n; i++) {
		struct fs_file *fh = w->v[i];
		int r;

		/* A handle that failed before (an old EFBIG or ESTALE, already its
		 * writer's error at write or close) holds nothing that will ever
		 * be committed: it does not stop the rename. */
		pthread_mutex_lock(&fh->mu);
		r = 0;
		if (!fh->spoiled && (fh->dirty || fh->owed || fh->create))
			r = fs_commit_now(fs, fh);
		if (r && !rc)
			rc = r;
	}
	return rc;
}

void fs_writers_release(struct fs *fs, struct fs_writers *w, bool moved, int32_t from,
			int32_t to)
{
	for (size_t i = 0; i < w->n; i++) {
		struct fs_file *fh = w->v[i];

		if (moved && !fh->create && !fh->replace)
			fh->version = fh->version == from ? to : FS_VERSION_STALE;
		pthread_mutex_unlock(&fh->mu);
		fs_file_put(fs, fh);
	}
	free(w->v);
	w->v = NULL;
	w->n = 0;
}

/* ---- setattr ---- */

/* truncate(2) without a handle: one set, at once. */
static int path_truncate(struct fs *fs, struct node *n, const struct facts *facts,
			 off_t size)
{
	struct fs_file tmp = { .writable = true, .node = n };
	struct zstat st;
	char *path;
	int rc;

	if (size < 0)
		return EINVAL;
	if ((uint64_t)size > fs->cfg.max_size)
		return EFBIG;
	if (facts->pending)
		return 0;   /* the deferred create's handle holds the value */
	if (facts->noread && size > 0)
		return EACCES;   /* its first bytes cannot be read */
	path = fs_handle_path(&tmp);
	if (!path)
		return ENOENT;
	tmp.version = facts->stat.version;
	tmp.replace = size == 0;
	rc = buf_resize(&tmp, (size_t)size);
	if (rc == 0 && size > 0)
		memcpy(tmp.buf, facts->data->bytes,
		       facts->data->len < (size_t)size ? facts->data->len : (size_t)size);
	node_pin(n);
	node_unlock(fs->nt);
	if (rc == 0)
		rc = fs_commit(fs, &tmp, path, true, &st);
	node_lock(fs->nt);
	node_unpin(fs->nt, n);
	free(tmp.buf);
	free(path);
	return rc;
}

/*
 * chmod of what this mount made (this incarnation: `czxid`): kept in memory
 * for the life of the mount (node.h: entry->mode), so that tar, install,
 * cp -p and rsync, which create a file and then set its mode, work. Anything
 * else: only what is shown already. Either way -o umask= masks the mode, as
 * it does every mode shown. 0 with *mode the bits to show from now on (the
 * shown ones: no change), or EPERM. Lock held.
 */
static int mode_change(struct fs *fs, struct node *n, int64_t czxid, int to_set,
		       const struct stat *want, const struct stat *st, unsigned *mode)
{
	*mode = st->st_mode & 07777;
	if (!(to_set & FS_SET_MODE) || (want->st_mode & 07777 & ~fs->cfg.umask) == *mode)
		return 0;
	if (!n->entry || !node_made_is(n->entry, czxid) || n->kind == NK_DATAFILE)
		return EPERM;
	*mode = want->st_mode & 07777 & ~fs->cfg.umask;
	return 0;
}

static int check_attrs(int to_set, const struct stat *want, const struct stat *have)
{
	if (to_set & FS_SET_OTHER)
		return EPERM;
	if ((to_set & FS_SET_UID) && want->st_uid != have->st_uid)
		return EPERM;
	if ((to_set & FS_SET_GID) && want->st_gid != have->st_gid)
		return EPERM;
	return 0;
}

int fs_setattr(struct fs *fs, uint64_t ino, int to_set, const struct stat *want,
	       struct fs_file *fh, struct stat *st, double *timeout)
{
	const struct vfile *v;
	const int times = FS_SET_ATIME | FS_SET_MTIME;
	struct zfetch f = { 0 };
	struct facts facts;
	struct node *n;
	unsigned mode = 0;
	int rc;

	*timeout = 0;
	if ((v = vfile_by_ino(ino)) != NULL) {
		if (to_set == 0 || (to_set & ~times))
			return v->write_err;
		vfile_attr(fs, v, st);
		return 0;
	}
	if (!fh && (rc = fs_gone(fs)) != 0)
		return rc;     /* by name after a detach: new; ftruncate of an open file goes on */
	if (fs->cfg.ro)
		return EROFS;
	node_lock(fs->nt);
	n = node_by_ino(fs->nt, ino);
	rc = n ? fs_node_facts(fs, n, &f, &facts) : ENOENT;
	if (rc == 0) {
		fs_node_attr(fs, n, &facts.stat, st);
		rc = mode_change(fs, n, facts.stat.czxid, to_set, want, st, &mode);
	}
	if (rc == 0)
		rc = check_attrs(to_set, want, st);
	if (rc == 0 && (to_set & FS_SET_SIZE)) {
		if (n->kind == NK_DIR) {
			rc = EISDIR;
		} else if (fh && fh->writable) {
			node_unlock(fs->nt);
			pthread_mutex_lock(&fh->mu);
			rc = handle_truncate(fs, fh, want->st_size);
			pthread_mutex_unlock(&fh->mu);
			node_lock(fs->nt);
		} else {
			rc = path_truncate(fs, n, &facts, want->st_size);
		}
		/* A handle's truncation shows at once to its writer (node.h: wfh),
		 * as a truncation by path does. */
		if (rc == 0)
			st->st_size = want->st_size;
	}
	/* The mode last: a setattr refused in part changes nothing. */
	if (rc == 0 && mode != (st->st_mode & 07777u)) {
		if (n->entry)
			node_set_mode(n->entry, mode, fs_default_mode(fs, n->kind));
		n->mode = mode;
		n->mode_set = true;
		st->st_mode = (st->st_mode & S_IFMT) | mode;
	}
	node_unlock(fs->nt);
	zfetch_clear(&f);
	return rc;
}
