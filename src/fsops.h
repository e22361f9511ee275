/*
 * fsops — the filesystem's semantics, without FUSE: each fs_x computes what a
 * request should answer and returns 0 or a positive errno; it never replies.
 * ops.c turns the results into FUSE replies (compute, then reply).
 *
 * fsops works on a struct backend (backend.h), the node table (node.h) and the
 * virtual files (virt.h). It holds the table lock only between round trips.
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
#include "virt.h"

struct fs_config {
	const char *base;        /* normalised base path (copied) */
	const char *datafile;    /* name of a directory's own data file, ".data" (copied) */
	uid_t uid;
	gid_t gid;
	mode_t umask;
	double cache_timeout;    /* seconds the kernel may keep entries and attributes */
	bool ro;                 /* -o ro: every modifying call fails with EROFS */
};

struct fs;

/* The node table is created by fs_new with `sink` for its notices. NULL on ENOMEM. */
struct fs *fs_new(const struct fs_config *cfg, struct backend be, notice_fn sink,
		  void *sink_ctx);
void fs_free(struct fs *fs);

struct node_table *fs_table(struct fs *fs);
struct virt *fs_virt(struct fs *fs);

/* Backend events (backend.h thread rules). fs_on_state returns true when the
 * state of `.state` changed, so that the caller can announce it. */
void fs_on_watch(struct fs *fs, enum zevent ev, const char *path);
bool fs_on_state(struct fs *fs, enum zstate state, bool expired);

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

/* setattr: only setting times, and only `.state`, succeeds for now (it changes
 * nothing; the notify thread uses it to raise inotify events). */
#define FS_SET_ATIME 1
#define FS_SET_MTIME 2
int fs_setattr(struct fs *fs, uint64_t ino, int to_set, struct stat *st, double *timeout);

/* Open files read a snapshot of the value taken at open. */
struct fs_file;
struct fs_open_reply {
	bool keep_cache;   /* the kernel's cached pages are of this very version */
	bool direct_io;    /* virtual files: every read comes to the daemon */
};
int fs_open(struct fs *fs, uint64_t ino, int flags, struct fs_file **fh,
	    struct fs_open_reply *reply);
/* Points *buf at up to `size` bytes at `off` (len 0 at or past the end). */
int fs_read(struct fs *fs, struct fs_file *fh, size_t size, off_t off,
	    const char **buf, size_t *len);
void fs_release(struct fs *fs, struct fs_file *fh);

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
