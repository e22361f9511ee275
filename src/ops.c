#include "ops.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "fsops.h"
#include "log.h"

static struct fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/*
 * Requests that only read may wait for ZooKeeper (up to -o timeout while it is
 * away). Their interrupt (Ctrl-C) fires a token that ends the wait at once:
 * the fs call then returns EINTR (cancel.h). wait_end deregisters the
 * callback before the reply: libfuse runs a callback under the request's
 * lock, which fuse_req_interrupt_func takes too, so none can still be using
 * the token once it returns.
 */
static void on_interrupt(fuse_req_t req, void *data)
{
	(void)req;
	cancel_fire(data);
}

static void wait_begin(fuse_req_t req, struct cancel *c)
{
	cancel_init(c);
	cancel_set_current(c);
	fuse_req_interrupt_func(req, on_interrupt, c);   /* fires now if already interrupted */
}

static void wait_end(fuse_req_t req, struct cancel *c)
{
	fuse_req_interrupt_func(req, NULL, NULL);
	cancel_set_current(NULL);
	cancel_destroy(c);
}

/* A request of the daemon's own thread that raises inotify events for
 * remote changes (fsops.h: fs_echo_*): answered without side effects. */
static bool from_echo(fuse_req_t req)
{
	return fs_echo_self(fs_of(req), fuse_req_ctx(req)->pid);
}

static bool echo_handle(fuse_req_t req, struct fuse_file_info *fi)
{
	return fi && fs_echo_handle(fs_of(req)) &&
	       (struct fs_file *)(uintptr_t)fi->fh == fs_echo_handle(fs_of(req));
}

static void to_fuse_entry(const struct fs_entry *in, struct fuse_entry_param *out)
{
	memset(out, 0, sizeof(*out));
	out->ino = in->ino;
	out->generation = 1;
	out->attr = in->attr;
	out->attr_timeout = in->attr_timeout;
	out->entry_timeout = in->entry_timeout;
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want &= ~FUSE_CAP_CACHE_SYMLINKS;
	/* open(O_TRUNC) reaches fs_open with the flag: the handle's buffer
	 * starts empty, and ZooKeeper never holds an emptied value. */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	/* Writes are committed at close: no writeback cache in the kernel. */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	struct fs_entry out;
	struct cancel c;
	int rc;

	wait_begin(req, &c);
	if (from_echo(req))
		rc = fs_echo_lookup(fs_of(req), parent, name, &out);
	else
		rc = fs_lookup(fs_of(req), parent, name, &out);
	wait_end(req, &c);
	if (rc == 0 || (rc == ENOENT && out.entry_timeout > 0)) {
		to_fuse_entry(&out, &e);
		if (fuse_reply_entry(req, &e) != 0 && rc == 0)
			fs_forget(fs_of(req), out.ino, 1);   /* the kernel never got it */
		return;
	}
	fuse_reply_err(req, rc);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	fs_forget(fs_of(req), ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		fs_forget(fs_of(req), forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	double timeout;
	struct cancel c;
	int rc;

	(void)fi;
	wait_begin(req, &c);
	rc = fs_getattr(fs_of(req), ino, &st, &timeout);
	wait_end(req, &c);
	if (rc)
		fuse_reply_err(req, rc);
	else
		fuse_reply_attr(req, &st, timeout);
}

static int fs_set_bits(int to_set)
{
	const int known = FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
			  FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME | FUSE_SET_ATTR_MODE |
			  FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID | FUSE_SET_ATTR_SIZE;
	int set = 0;

	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW))
		set |= FS_SET_ATIME;
	if (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME))
		set |= FS_SET_MTIME;
	if (to_set & FUSE_SET_ATTR_MODE)
		set |= FS_SET_MODE;
	if (to_set & FUSE_SET_ATTR_UID)
		set |= FS_SET_UID;
	if (to_set & FUSE_SET_ATTR_GID)
		set |= FS_SET_GID;
	if (to_set & FUSE_SET_ATTR_SIZE)
		set |= FS_SET_SIZE;
	if (to_set & ~known)
		set |= FS_SET_OTHER;
	return set;
}

static struct fs_file *fh_of(struct fuse_file_info *fi)
{
	return fi ? (struct fs_file *)(uintptr_t)fi->fh : NULL;
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct stat st;
	double timeout;
	int rc = fs_setattr(fs_of(req), ino, fs_set_bits(to_set), attr, fh_of(fi), &st,
			    &timeout);

	if (rc)
		fuse_reply_err(req, rc);
	else
		fuse_reply_attr(req, &st, timeout);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_open_reply r;
	struct fs_file *fh;
	struct cancel c;
	int rc;

	if (from_echo(req)) {    /* raises IN_OPEN; its write IN_MODIFY, its close
				  * IN_CLOSE_WRITE: nothing reaches ZooKeeper */
		fi->fh = (uint64_t)(uintptr_t)fs_echo_handle(fs_of(req));
		fi->direct_io = 1;
		fi->keep_cache = 0;
		fi->noflush = 1;
		fuse_reply_open(req, fi);
		return;
	}
	wait_begin(req, &c);     /* an open only reads; a write waits for the commit */
	rc = fs_open(fs_of(req), ino, fi->flags, fuse_req_ctx(req)->pid, &fh, &r);
	wait_end(req, &c);

	if (rc) {
		fuse_reply_err(req, rc);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)fh;
	fi->keep_cache = r.keep_cache;
	fi->direct_io = r.direct_io;
	fi->nonseekable = r.nonseekable;
	fi->noflush = r.noflush;
	if (fuse_reply_open(req, fi) != 0)
		fs_discard(fs_of(req), fh);   /* an O_TRUNC the caller never saw succeed */
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	struct fs_open_reply r;
	struct fs_entry out;
	struct fs_file *fh;
	int rc;

	if (from_echo(req)) {    /* a file made elsewhere: its real entry, no write */
		rc = fs_echo_make(fs_of(req), parent, name, false, &out);
		if (rc) {
			fuse_reply_err(req, rc);
			return;
		}
		to_fuse_entry(&out, &e);
		fi->fh = (uint64_t)(uintptr_t)fs_echo_handle(fs_of(req));
		fi->direct_io = 1;
		fi->noflush = 1;
		if (fuse_reply_create(req, &e, fi) != 0)
			fs_forget(fs_of(req), out.ino, 1);
		return;
	}
	rc = fs_create(fs_of(req), parent, name, fi->flags, mode, fuse_req_ctx(req)->pid, &out,
		       &fh, &r);
	if (rc) {
		fuse_reply_err(req, rc);
		return;
	}
	to_fuse_entry(&out, &e);
	fi->fh = (uint64_t)(uintptr_t)fh;
	fi->keep_cache = r.keep_cache;
	fi->direct_io = r.direct_io;
	if (fuse_reply_create(req, &e, fi) != 0) {
		fs_discard(fs_of(req), fh);
		fs_forget(fs_of(req), out.ino, 1);
	}
}

/* ---- `.events`: a read with nothing to return is parked (events.h) ---- */

static void events_answer(void *ctx, void *req, const char *buf, size_t len)
{
	(void)ctx;
	fuse_reply_buf(req, buf, len);
}

static bool events_interrupted(void *ctx, void *req)
{
	(void)ctx;
	return fuse_req_interrupted(req) != 0;
}

static void events_wake(void *ctx, void *ph)
{
	(void)ctx;
	fuse_lowlevel_notify_poll(ph);
	fuse_pollhandle_destroy(ph);
}

static void events_drop(void *ctx, void *ph)
{
	(void)ctx;
	fuse_pollhandle_destroy(ph);
}

const struct events_hooks zkfs_events_hooks = {
	.answer = events_answer,
	.interrupted = events_interrupted,
	.wake = events_wake,
	.drop = events_drop,
};

/* An INTERRUPT for a parked read (Ctrl-C): EINTR, unless it was answered.
 * The request stays valid during this call (libfuse holds a reference);
 * `data` is the fs, which outlives every request. */
static void events_on_interrupt(fuse_req_t req, void *data)
{
	if (events_cancel(fs_events(data), req))
		fuse_reply_err(req, EINTR);
}

/* Register for interrupts first, then park: events_read checks under its
 * lock whether the request was interrupted in between. */
static void events_op_read(fuse_req_t req, struct events_reader *r, size_t size)
{
	struct fs *fs = fs_of(req);
	char buf[4096];
	ssize_t n;

	fuse_req_interrupt_func(req, events_on_interrupt, fs);
	n = events_read(fs_events(fs), r, buf, size < sizeof(buf) ? size : sizeof(buf), req);
	if (n >= 0)
		fuse_reply_buf(req, buf, (size_t)n);
	else if (n != -EAGAIN)
		fuse_reply_err(req, (int)-n);
}

static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	struct events_reader *r = fs_file_events(fh_of(fi));
	unsigned revents = POLLIN | POLLRDNORM;

	(void)ino;
	if (r && !events_poll(fs_events(fs_of(req)), r, ph))
		revents = 0;
	else if (!r && ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, revents);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	const char *buf;
	char *copy;
	size_t len;
	int rc;

	(void)ino;
	if (fs_file_events(fh_of(fi))) {
		events_op_read(req, fs_file_events(fh_of(fi)), size);
		return;
	}
	rc = fs_read(fs_of(req), fh_of(fi), size, off, &buf, &len, &copy);
	if (rc)
		fuse_reply_err(req, rc);
	else
		fuse_reply_buf(req, buf, len);
	free(copy);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
		     off_t off, struct fuse_file_info *fi)
{
	int rc = echo_handle(req, fi) ? 0 : fs_write(fs_of(req), fh_of(fi), buf, size, off);

	(void)ino;
	if (rc)
		fuse_reply_err(req, rc);
	else
		fuse_reply_write(req, size);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	if (!echo_handle(req, fi))
		fs_release(fs_of(req), fh_of(fi));
	fuse_reply_err(req, 0);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	fuse_reply_err(req, echo_handle(req, fi) ? 0 : fs_flush(fs_of(req), fh_of(fi)));
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	fuse_reply_err(req, echo_handle(req, fi) ? 0 : fs_flush(fs_of(req), fh_of(fi)));
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_dir *dh;
	struct cancel c;
	bool keep;
	int rc;

	wait_begin(req, &c);
	rc = fs_opendir(fs_of(req), ino, &dh, &keep);
	wait_end(req, &c);

	if (rc) {
		fuse_reply_err(req, rc);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)dh;
	fi->cache_readdir = 1;
	fi->keep_cache = keep;
	if (fuse_reply_open(req, fi) != 0)
		fs_releasedir(fs_of(req), dh);
}

static void reply_dir(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi,
		      bool plus)
{
	struct fs_dir *dh = (struct fs_dir *)(uintptr_t)fi->fh;
	char *buf = malloc(size);
	size_t pos = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (size_t i = (size_t)off;; i++) {
		const struct fs_dirent *d = fs_readdir(dh, i);
		size_t len;

		if (!d)
			break;
		if (plus) {
			struct fuse_entry_param e;
			to_fuse_entry(&d->entry, &e);
			len = fuse_add_direntry_plus(req, buf + pos, size - pos, d->name, &e,
						     (off_t)(i + 1));
		} else {
			len = fuse_add_direntry(req, buf + pos, size - pos, d->name,
						&d->entry.attr, (off_t)(i + 1));
		}
		if (len > size - pos)
			break;
		if (plus)
			fs_dirent_ref(fs_of(req), d);
		pos += len;
	}
	fuse_reply_buf(req, buf, pos);
	free(buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)ino;
	reply_dir(req, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	(void)ino;
	reply_dir(req, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	fs_releasedir(fs_of(req), (struct fs_dir *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs st;
	int rc = fs_statfs(fs_of(req), &st);

	(void)ino;
	if (rc)
		fuse_reply_err(req, rc);
	else
		fuse_reply_statfs(req, &st);
}

static void reply_bytes(fuse_req_t req, int rc, char *value, size_t len, size_t size)
{
	if (rc)
		fuse_reply_err(req, rc);
	else if (size == 0)
		fuse_reply_xattr(req, len);
	else if (len > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, value, len);
	free(value);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	char *value = NULL;
	size_t len = 0;
	struct cancel c;
	int rc;

	wait_begin(req, &c);
	rc = fs_getxattr(fs_of(req), ino, name, &value, &len);
	wait_end(req, &c);

	reply_bytes(req, rc, value, len, size);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	char *list = NULL;
	size_t len = 0;
	int rc = fs_listxattr(fs_of(req), ino, &list, &len);

	reply_bytes(req, rc, list, len, size);
}

/* ---- the namespace ---- */

static void reply_entry(fuse_req_t req, int rc, const struct fs_entry *out)
{
	struct fuse_entry_param e;

	if (rc) {
		fuse_reply_err(req, rc);
		return;
	}
	to_fuse_entry(out, &e);
	if (fuse_reply_entry(req, &e) != 0)
		fs_forget(fs_of(req), out->ino, 1);
}

/* mknod of a regular file is a create that commits at once; nothing else. */
static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		     dev_t rdev)
{
	struct fs_open_reply r;
	struct fs_entry out;
	struct fs_file *fh;
	int rc;

	(void)rdev;
	if (from_echo(req)) {
		rc = fs_echo_make(fs_of(req), parent, name, false, &out);
		reply_entry(req, rc, &out);
		return;
	}
	if (!S_ISREG(mode)) {
		fuse_reply_err(req, fs_refuse(fs_of(req)));
		return;
	}
	rc = fs_create(fs_of(req), parent, name, O_WRONLY | O_EXCL, mode,
		       fuse_req_ctx(req)->pid,
		       &out, &fh, &r);
	if (rc == 0) {
		rc = fs_flush(fs_of(req), fh);
		fs_release(fs_of(req), fh);
		if (rc)
			fs_forget(fs_of(req), out.ino, 1);
	}
	reply_entry(req, rc, &out);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct fs_entry out;
	int rc;

	if (from_echo(req))
		rc = fs_echo_make(fs_of(req), parent, name, true, &out);
	else
		rc = fs_mkdir(fs_of(req), parent, name, mode, &out);
	reply_entry(req, rc, &out);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (from_echo(req))
		fuse_reply_err(req, fs_echo_remove(fs_of(req), parent, name));
	else
		fuse_reply_err(req, fs_unlink(fs_of(req), parent, name, fuse_req_ctx(req)->pid));
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (from_echo(req))
		fuse_reply_err(req, fs_echo_remove(fs_of(req), parent, name));
	else
		fuse_reply_err(req, fs_rmdir(fs_of(req), parent, name));
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	fuse_reply_err(req, fs_rename(fs_of(req), parent, name, newparent, newname, flags,
				      fuse_req_ctx(req)->pid));
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	(void)link;
	(void)parent;
	(void)name;
	fuse_reply_err(req, fs_refuse(fs_of(req)));
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	(void)ino;
	(void)newparent;
	(void)newname;
	fuse_reply_err(req, fs_refuse(fs_of(req)));
}

/* The user.zookeeper.* attributes are ZooKeeper's: EPERM. Others cannot be
 * stored: ENOTSUP, which cp -a and rsync -X accept. */
static int xattr_refusal(fuse_req_t req, const char *name)
{
	if (fs_refuse(fs_of(req)) == EROFS)
		return EROFS;
	return strncmp(name, "user.zookeeper.", 15) == 0 ? EPERM : ENOTSUP;
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	(void)ino;
	(void)value;
	(void)size;
	(void)flags;
	fuse_reply_err(req, xattr_refusal(req, name));
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)ino;
	fuse_reply_err(req, xattr_refusal(req, name));
}

const struct fuse_lowlevel_ops zkfs_ops = {
	.init         = op_init,
	.lookup       = op_lookup,
	.forget       = op_forget,
	.forget_multi = op_forget_multi,
	.getattr      = op_getattr,
	.setattr      = op_setattr,
	.mknod        = op_mknod,
	.mkdir        = op_mkdir,
	.unlink       = op_unlink,
	.rmdir        = op_rmdir,
	.symlink      = op_symlink,
	.rename       = op_rename,
	.link         = op_link,
	.open         = op_open,
	.read         = op_read,
	.write        = op_write,
	.flush        = op_flush,
	.release      = op_release,
	.fsync        = op_fsync,
	.opendir      = op_opendir,
	.readdir      = op_readdir,
	.readdirplus  = op_readdirplus,
	.releasedir   = op_releasedir,
	.statfs       = op_statfs,
	.setxattr     = op_setxattr,
	.getxattr     = op_getxattr,
	.listxattr    = op_listxattr,
	.removexattr  = op_removexattr,
	.create       = op_create,
	.poll         = op_poll,
};
