/*
 * fsops — the filesystem's semantics, without FUSE: each fs_x computes what a
 * request should answer and returns 0 or a positive errno; it never replies.
 * ops.c turns the results into FUSE replies (compute, then reply).
 *
 * fsops works on a struct backend (backend.h), the node table (node.h) and the
 * virtual files' table (vfile.h, with the state of virt.h and the stream of
 * events.h). It holds the table lock only between round trips.
 *
 * Mapping (SPEC.md §3): a znode with children is a directory; an ephemeral
 * znode or one with data is a file; one with neither data nor children is a
 * file when its name has an extension (a '.' after the first character, not
 * ending in ".d") and a directory otherwise; the base path is a directory.
 * A directory's own data is the file `datafile` (".data") inside it, always
 * reachable, listed only while non-empty; `.state` lives in the root. Real
 * children of those names are shadowed.
 *
 * Lookup counts: every fs_lookup that returns 0 counted one lookup of the inode
 * it returned (the caller must reply with that entry, or call fs_forget);
 * readdir entries are counted by fs_dirent_ref, for the ones actually replied.
 */
#ifndef ZKFS_FSOPS_H
#define ZKFS_FSOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include "backend.h"
#include "node.h"
#include "events.h"
#include "virt.h"

struct fs_config {
	const char *base;        /* normalised base path (copied) */
	const char *datafile;    /* name of a directory's own data file, ".data" (copied) */
	uid_t uid;
	gid_t gid;
	mode_t umask;
	double cache_timeout;    /* seconds the kernel may keep entries and attributes */
	bool ro;                 /* -o ro: every modifying call fails with EROFS */
	size_t max_size;         /* largest value a write may make (EFBIG beyond) */
	size_t max_listing;      /* largest list of children (4 + name length each) a
	                          * listing shows (EFBIG beyond); 0: no limit */
	size_t watch_budget;     /* what the watches behind cached facts may weigh in
	                          * the client's re-registration (node.h); 0: no limit */
	/* Called after a commit of file data, without any lock held: returns
	 * once the kernel has been told to drop what the commit made stale
	 * (the notify queue is drained). NULL: nothing to wait for. */
	void (*sync_notices)(void *ctx);
	void *sync_ctx;
	/* How a `.events` read blocks (events.h); NULL: it never does (EAGAIN). */
	const struct events_hooks *events_hooks;
	bool remote_events;      /* changes by other clients raise inotify events
	                          * (fs_echo_start) */
};


struct fs;

/* The node table is created by fs_new with `sink` for its notices. NULL on ENOMEM. */
struct fs *fs_new(const struct fs_config *cfg, struct backend be, notice_fn sink,
		  void *sink_ctx);
void fs_free(struct fs *fs);

struct node_table *fs_table(struct fs *fs);
struct virt *fs_virt(struct fs *fs);
struct events *fs_events(struct fs *fs);

/* The mount left the mount table (`umount -l`, main.c): the `.events`
 * readers get end-of-file, and every later lookup, open, opendir, create
 * and name operation fails with ENOTCONN (fs_gone); open files keep
 * working. Any thread, once or more. */
void fs_detach(struct fs *fs);

/* Backend events (backend.h thread rules). fs_on_state returns true when the
 * state of `.state` changed, so that the caller can announce it.
 *
 * After an expiry (fs_on_state with `expired`) the facts the node table held
 * are kept and served as while SUSPENDED (node_on_expired), and at the next
 * CONNECTED the fs's own thread (fs_start) revalidates them: it fetches the
 * stale paths in pipelined batches (which watches them on the new session)
 * and compares each answer with the cached facts. What is unchanged stays
 * cached; what changed gets fs_on_watch, once per kind of change, as if its
 * watch had fired (created, deleted, a new incarnation: deleted; data:
 * changed; children: child), and the fetched facts are cached. A path with an
 * event of its own meanwhile is left to that event. A pass that cannot finish
 * (connection lost, timeout) leaves the rest stale for the next CONNECTED;
 * another expiry restarts it. A request that needs a stale fact while
 * CONNECTED reads it anew and compares it the same way (fs_refresh); while
 * no server answers, stale facts are served. */
void fs_on_watch(struct fs *fs, enum zevent ev, const char *path);
bool fs_on_state(struct fs *fs, enum zstate state, bool expired);
void fs_on_rejected(struct fs *fs);

/*
 * Changes made by other clients raise real inotify events (fsecho.c, with
 * cfg.remote_events): a thread of the daemon performs on the mount what the
 * change would have been on a local filesystem (open+write+close, an
 * exclusive create, mkdir, unlink, rmdir). Its requests carry its thread id as their pid
 * (fs_echo_self) and must be answered by fs_echo_lookup, fs_echo_make and
 * fs_echo_remove; its opens get the handle fs_echo_handle, whose writes are
 * acknowledged (their size) and whose flush and release do nothing. Nothing
 * of it is written to ZooKeeper.
 *
 * fs_echo_start: once mounted at `mountpoint` (absolute), whose device is
 * `dev` (0: unknown); 0 or an errno. fs_echo_stop: no more operations (at a
 * detach, before unmounting); fs_echo_join: once the FUSE connection has
 * ended (an operation in flight may wait for it), before fs_free.
 */
int fs_echo_start(struct fs *fs, const char *mountpoint, dev_t dev);
void fs_echo_stop(struct fs *fs);
void fs_echo_join(struct fs *fs);
bool fs_echo_self(struct fs *fs, pid_t pid);
struct fs_entry;
int fs_echo_lookup(struct fs *fs, uint64_t parent, const char *name, struct fs_entry *out);
int fs_echo_make(struct fs *fs, uint64_t parent, const char *name, bool dir,
		 struct fs_entry *out);
int fs_echo_remove(struct fs *fs, uint64_t parent, const char *name);
struct fs_file *fs_echo_handle(struct fs *fs);
/* Paths waiting (tests). */
size_t fs_echo_queued(struct fs *fs);

/* What the thread performs: on `rel`, the path below the mount's root ("."
 * the root), a data change (open for writing, write, close), a create of a
 * `kind` (an exclusive create and close, or mkdir) or a delete (unlink or rmdir). 0 or an errno. */
enum echo_op_type { ECHO_MODIFY = 1, ECHO_CREATE, ECHO_DELETE };
typedef int (*echo_perform_fn)(void *ctx, enum echo_op_type type, const char *rel,
			       enum node_kind kind);
/* Process every queued path now, in the calling thread, with `perform`
 * standing for the system calls (the operation in progress is set around
 * each call, so fs_echo_lookup etc. answer as they do for the thread).
 * For tests, without fs_echo_start. The number of operations performed. */
size_t fs_echo_drain(struct fs *fs, echo_perform_fn perform, void *ctx);
/* The fs's own thread, the revalidation's (above). fs_new makes no thread
 * (it may run before fork()): fs_start starts it, 0 or an errno (EALREADY).
 * fs_stop ends it and waits for it: a fetch it has in flight gives up at once
 * (cancel.h). Call fs_stop before the backend is freed; fs_free calls it too.
 * Any thread but the backend's event thread; NULL, a thread never started or
 * already stopped: nothing. Without the thread, facts an expiry left stay
 * stale until a request reads them while CONNECTED. */
int fs_start(struct fs *fs);
void fs_stop(struct fs *fs);

/* What the revalidation passes did so far (the log's summary, and tests). */
struct fs_reval_stats {
	size_t passes;      /* passes ended (finished or given up) */
	size_t paths;       /* stale paths fetched */
	size_t unchanged;   /* found as cached: watched again, kept */
	size_t changed;     /* found changed: fs_on_watch called */
	size_t events;      /* fs_on_watch calls */
	size_t skipped;     /* an event, a drop, a request or another expiry
	                     * came first: left to it */
	size_t failed;      /* answered with an error: still stale */
	size_t given_up;    /* passes ended early (connection, timeout, expiry,
	                     * stop); their rest is still stale */
};
/* Wait until no pass is wanted or under way (at once without the thread),
 * then copy the counts into *st (NULL: no copy). For tests. */
void fs_reval_wait(struct fs *fs, struct fs_reval_stats *st);

/* An entry to reply with. ino == 0 is a negative entry (ENOENT). */
struct fs_entry {
	uint64_t ino;
	struct stat attr;
	double entry_timeout;
	double attr_timeout;
};

/* 0: out is a counted entry. ENOENT: out->entry_timeout says how long the
 * kernel may remember the absence (0: not at all). Other errno: nothing. */
int fs_lookup(struct fs *fs, uint64_t parent, const char *name, struct fs_entry *out);
void fs_forget(struct fs *fs, uint64_t ino, uint64_t nlookup);
int fs_getattr(struct fs *fs, uint64_t ino, struct stat *st, double *timeout);

/*
 * setattr. Times: succeed and change nothing (a znode's mtime is the
 * server's); on `.state` they are how the notify thread raises inotify
 * events. Mode/owner: succeed only when equal to what the inode shows, else
 * EPERM. Size: on a handle open for writing (fh != NULL) it resizes that
 * handle's buffer (committed at flush); without one it commits at once
 * (size 0: an unconditional set; else a set checked against the version read).
 */
#define FS_SET_ATIME 1
#define FS_SET_MTIME 2
#define FS_SET_MODE  4
#define FS_SET_UID   8
#define FS_SET_GID   16
#define FS_SET_SIZE  32
#define FS_SET_OTHER 64     /* anything else the kernel may ask: EPERM */
struct fs_file;
int fs_setattr(struct fs *fs, uint64_t ino, int to_set, const struct stat *want,
	       struct fs_file *fh, struct stat *st, double *timeout);

/*
 * Open files. A read-only handle reads a snapshot of the value taken at open.
 * A handle that may write holds a buffer with the whole value: loaded at open
 * (at the znode's version then), or empty with O_TRUNC. fs_flush commits it
 * with one ZooKeeper write when it changed: a set checked against the version
 * it was loaded at (ESTALE, nothing written, when the znode changed since),
 * or an unconditional set after O_TRUNC / a truncation to 0, or a create for
 * a file made by fs_create without O_EXCL (deferred: the znode is created by
 * the first commit, so a new file costs one write).
 */
struct fs_open_reply {
	bool keep_cache;   /* the kernel's cached pages are of this very version */
	bool direct_io;    /* every read and write comes to the daemon: always, for
	                    * files (their data is cached here, not in the kernel) */
	bool nonseekable;  /* a stream: `.events` */
	bool noflush;      /* close sends no FLUSH: read-only handles (nothing to
	                    * commit) and the virtual files (their close then
	                    * succeeds even as the mount ends) */
};
int fs_open(struct fs *fs, uint64_t ino, int flags, pid_t pid, struct fs_file **fh,
	    struct fs_open_reply *reply);
/* Create and open `name` in `parent` (flags as open(2): O_EXCL creates the
 * znode now). A new file shows `mode`'s permission bits (minus -o umask=)
 * for the life of the mount, in memory. `out` is a counted entry. EEXIST,
 * EINVAL (a name ZooKeeper refuses), ENOTDIR, EROFS. */
int fs_create(struct fs *fs, uint64_t parent, const char *name, int flags, unsigned mode,
	      pid_t pid, struct fs_entry *out, struct fs_file **fh,
	      struct fs_open_reply *reply);
/* Up to `size` bytes at `off`: *buf points into *copy (malloc'd; the caller
 * frees it once the reply is sent), never into the handle, which a release may
 * free while the reply is on its way.
 * `.events` (offsets ignored): the lines there are now, EAGAIN if none, 0
 * bytes at the end; a read that blocks goes through fs_file_events. */
int fs_read(struct fs *fs, struct fs_file *fh, size_t size, off_t off,
	    const char **buf, size_t *len, char **copy);
/* Write all of `buf` into the handle's buffer at `off` (at the end with
 * O_APPEND), zero-filling a gap. EFBIG beyond max_size: the handle is then
 * spoiled and commits nothing (flush fails with EFBIG too). */
int fs_write(struct fs *fs, struct fs_file *fh, const char *buf, size_t size, off_t off);
/* close(2), fsync(2): commit what was written since the last commit; 0 once
 * ZooKeeper has it. A failed commit spoils the handle (the same error again,
 * nothing more committed). What the open itself owes (O_TRUNC without a
 * write, a new file never written) is committed by fs_release instead: a
 * flush may come from closing one of several descriptors of the handle. */
int fs_flush(struct fs *fs, struct fs_file *fh);
/* The last descriptor is gone: commit what is still owed (errors are only
 * logged: nobody is left to tell) and free the handle. */
void fs_release(struct fs *fs, struct fs_file *fh);
/* Free a handle the kernel never got (its open or create reply failed):
 * nothing it owes is committed. */
void fs_discard(struct fs *fs, struct fs_file *fh);
/* The stream reader of a virtual file's handle (vfile.h, events.h: `.events`),
 * NULL for any other file. */
struct events_reader *fs_file_events(const struct fs_file *fh);

/* Namespace. All fail with EROFS under -o ro and EINVAL for names ZooKeeper
 * refuses. mkdir: `out` is a counted entry. rmdir: ENOTEMPTY with children
 * or a non-empty `.data`. unlink of `.data` empties its directory's data.
 * rename: one multi (see docs/SEMANTICS.md); flags RENAME_NOREPLACE (EEXIST),
 * RENAME_EXCHANGE (EINVAL); a directory whose subtree does not fit one
 * request: EXDEV. */
int fs_mkdir(struct fs *fs, uint64_t parent, const char *name, unsigned mode,
	     struct fs_entry *out);
int fs_unlink(struct fs *fs, uint64_t parent, const char *name, pid_t pid);
int fs_rmdir(struct fs *fs, uint64_t parent, const char *name);
int fs_rename(struct fs *fs, uint64_t parent, const char *name, uint64_t newparent,
	      const char *newname, unsigned flags, pid_t pid);
/* symlink, link, mknod of anything but a regular file: EROFS or EPERM. */
int fs_refuse(struct fs *fs);

/* Directory handles hold a listing taken at opendir (".", "..", then names sorted). */
struct fs_dir;
struct fs_dirent {
	const char *name;
	struct fs_entry entry;  /* attr.st_ino == entry.ino; attr.st_mode has the type */
};
int fs_opendir(struct fs *fs, uint64_t ino, struct fs_dir **dh, bool *keep_cache);
/* The entry at `index`, or NULL past the end. */
const struct fs_dirent *fs_readdir(struct fs_dir *dh, size_t index);
/* Count one lookup of a readdirplus entry that was replied ("." and ".." are not). */
void fs_dirent_ref(struct fs *fs, const struct fs_dirent *d);
void fs_releasedir(struct fs *fs, struct fs_dir *dh);

int fs_statfs(struct fs *fs, struct statvfs *st);

/* Extended attributes user.zookeeper.* (SPEC.md §3), read-only. *value and
 * *list are malloc'd. ENODATA for an unknown name. */
int fs_getxattr(struct fs *fs, uint64_t ino, const char *name, char **value, size_t *len);
int fs_listxattr(struct fs *fs, uint64_t ino, char **list, size_t *len);

#endif
