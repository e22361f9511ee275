/*
 * Commits (SPEC.md §5): one ZooKeeper write for a handle's buffer, the
 * O_APPEND commit that appends to a newer version, flush and fsync. Contract
 * in fsops.h and fsops_int.h; the handles themselves are fsfile.c's, which
 * calls this file (never the other way).
 *
 * A handle's lock (fh->mu) is held across its commit's round trip: it
 * serialises the requests of one handle only. The table lock is never held
 * across a round trip. Order: fh->mu, then the table lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fsops_int.h"
#include "log.h"
#include "readlog.h"

/* A commit of an O_APPEND handle that finds a newer version appends its
 * bytes to that version instead; it gives up (ESTALE) after this many. */
#define APPEND_TRIES 16

/* The handle no longer holds anything uncommitted. Lock held. */
void fs_unshow_len(struct fs_file *fh)
{
	if (fh->node && fh->node->wfh == fh)
		fh->node->wfh = NULL;
}

/* The znode path the handle writes to now, or NULL (gone). Lock held. */
char *fs_handle_path(struct fs_file *fh)
{
	struct entry *e = fh->node->entry;

	return e ? strdup(e->path) : NULL;
}

/*
 * `>>` from two places at once: the znode moved on since this handle loaded
 * it, and the handle only appended. Append its bytes to the newest value
 * instead, checked against that value's version, as O_APPEND does on a local
 * file; so no line is lost. Lock mu held. 0, ESTALE after APPEND_TRIES, or an
 * errno (EFBIG when the result would exceed max_size).
 */
static int append_again(struct fs *fs, struct fs_file *fh, const char *path,
			struct zstat *st)
{
	const struct backend_ops *be = fs->be.ops;
	int rc = ESTALE;

	for (int i = 0; i < APPEND_TRIES && rc == ESTALE; i++) {
		struct zfetch f = { 0 };
		size_t tail = fh->len - fh->base_len, len;
		char *nb = NULL;

		rc = be->fetch(fs->be.impl, &path, 1, FETCH_DATA | FETCH_NOWATCH, &f);
		if (rc == 0)
			rc = f.err ? f.err : f.noread ? EACCES : 0;
		len = rc == 0 ? f.data->len + tail : 0;
		if (rc == 0 && len > fs->cfg.max_size)
			rc = EFBIG;
		if (rc == 0 && !(nb = malloc(len ? len : 1)))
			rc = ENOMEM;
		if (rc == 0) {
			memcpy(nb, f.data->bytes, f.data->len);
			memcpy(nb + f.data->len, fh->buf + fh->base_len, tail);
			free(fh->buf);
			fh->buf = nb;
			fh->len = fh->cap = len;
			fh->base_len = f.data->len;
			fh->version = f.stat.version;
			rc = be->set(fs->be.impl, path, fh->buf, fh->len, fh->version, st);
			log_info("%s: changed since it was opened: appended to version %d%s", path,
				 (int)f.stat.version, rc == ESTALE ? ", which changed too" : "");
		}
		zfetch_clear(&f);
	}
	return rc;
}

/* One ZooKeeper write for the buffer. Lock mu held, table lock not. */
static int commit_once(struct fs *fs, struct fs_file *fh, const char *path, bool wrote,
		       struct zstat *st)
{
	const struct backend_ops *be = fs->be.ops;
	int rc;

	if (fh->create) {
		rc = be->create(fs->be.impl, path, fh->buf, fh->len, st);
		if (rc != EEXIST)
			return rc;
		if (!wrote) {
			/* It only owed the creation (`exec 3>f`), and another handle
			 * or client made the file since: done, and its value stays.
			 * What this handle holds is not that value: a later write
			 * through it fails with ESTALE instead of replacing it. */
			log_info("%s: made meanwhile by another handle or client; its value stays",
				 path);
			memset(st, 0, sizeof(*st));
			st->version = FS_VERSION_STALE;
			return 0;
		}
		/* Created meanwhile by someone else: this was a whole replacement. */
		log_info("%s: created meanwhile by another client; replacing its value", path);
		return be->set(fs->be.impl, path, fh->buf, fh->len, -1, st);
	}
	rc = be->set(fs->be.impl, path, fh->buf, fh->len, fh->replace ? -1 : fh->version, st);
	if (rc == ESTALE && fh->append && fh->appends_only)
		rc = append_again(fs, fh, path, st);
	if (rc == ESTALE)
		log_warn("%s: changed since it was opened (version %d): nothing written",
			 path, (int)fh->version);
	return rc;
}

int fs_commit(struct fs *fs, struct fs_file *fh, const char *path, bool wrote,
	      struct zstat *st)
{
	struct entry *e;
	int rc;

	node_lock(fs->nt);
	if ((e = node_entry_get(fs->nt, path)) != NULL) {
		entry_pin(e);
		e->writing++;
	}
	node_unlock(fs->nt);
	rc = commit_once(fs, fh, path, wrote, st);
	node_lock(fs->nt);
	if (e) {
		if (rc == 0 && st->mzxid)
			e->own_mzxid = st->mzxid;
		e->writing--;
		entry_unpin(e);
	}
	node_unlock(fs->nt);
	return rc;
}

/* Commit what the handle holds. Lock mu held. A failure spoils the handle:
 * nothing more is committed and every later flush reports the same error. */
int fs_commit_now(struct fs *fs, struct fs_file *fh)
{
	struct zstat st = { 0 };
	bool created = fh->create, wrote = fh->dirty;
	char *path;
	int rc;

	node_lock(fs->nt);
	path = fs_handle_path(fh);
	node_unlock(fs->nt);
	fh->dirty = fh->owed = false;
	if (!path) {   /* unlinked through this mount while open: its data goes too */
		node_lock(fs->nt);
		fs_unshow_len(fh);
		node_unlock(fs->nt);
		return created ? 0 : (fh->spoiled = ENOENT);
	}
	rc = fs_commit(fs, fh, path, wrote, &st);
	if (rc == 0 && st.version >= 0)   /* its writer knows this version now */
		readlog_note(fs->reads, fh->pid, path, st.czxid, st.version);
	free(path);
	node_lock(fs->nt);
	fs_unshow_len(fh);       /* committed, or never will be */
	if (created && rc == 0 && st.czxid == 0 && fh->node->entry &&
	    fh->node->entry->made_czxid == 0)
		node_unmade(fh->node->entry);   /* another's create won: its kind, its mode */
	node_unlock(fs->nt);
	if (rc) {
		fh->spoiled = rc;
		return rc;
	}
	fh->version = st.version;
	fh->base_len = fh->len;
	fh->appends_only = true;
	fh->replace = fh->create = false;
	node_lock(fs->nt);
	if (created && st.czxid && fh->node->adopt) {
		fh->node->czxid = (uint64_t)st.czxid;
		fh->node->adopt = false;
		if (fh->node->entry)
			node_made(fh->node->entry, NK_FILE, st.czxid);
	}
	node_unlock(fs->nt);
	return 0;
}

/*
 * close(2) and fsync(2): commit what was written. A handle that wrote nothing
 * commits nothing here, even when its open owes a commit (O_TRUNC, a new
 * file): the shell's `echo x > f` closes a duplicate of the descriptor before
 * it writes, and an empty value must not reach ZooKeeper first. What is owed
 * is committed at release (fs_release), once every descriptor is closed.
 */
int fs_flush(struct fs *fs, struct fs_file *fh)
{
	int rc;

	if (!fh->writable)
		return 0;
	pthread_mutex_lock(&fh->mu);
	rc = fh->spoiled;
	if (!rc && fh->dirty)
		rc = fs_commit_now(fs, fh);
	pthread_mutex_unlock(&fh->mu);
	if (rc == 0 && fs->cfg.sync_notices)
		fs->cfg.sync_notices(fs->cfg.sync_ctx);
	return rc;
}
