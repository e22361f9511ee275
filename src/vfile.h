/*
 * vfile — the virtual files of the mount root, declared in one table: `.state`
 * (the connection state) and `.events` (a stream of its transitions). Every
 * filesystem operation asks the table and nothing else: lookup, readdir,
 * getattr, open and read (fsfile.c), poll (ops.c, through the handle's
 * stream), xattrs (none), and the name operations (fsname.c).
 *
 * What every virtual file is: a file in the root only (a real znode of its
 * name there is shadowed), of the table's mode (minus -o umask=), owned by
 * uid=/gid=, whose times are those of the last state transition, that is
 * never cached by the kernel (attribute timeout 0) and not counted in the
 * node table (lookups of it are never forgotten). Opening it for writing or
 * truncating it, and any setattr but times, fail with `write_err`; creating
 * its name (mkdir, O_CREAT|O_EXCL) with EEXIST; unlinking or renaming onto or
 * from it with `name_err`.
 *
 * Adding one: a table entry in vfile.c, its open (and size) function, and its
 * test; docs/SEMANTICS.md says what it is for.
 */
#ifndef ZKFS_VFILE_H
#define ZKFS_VFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define VFILE_STATE_INO  2u   /* inodes 2 .. NODE_FIRST_INO - 1 are the table's */
#define VFILE_EVENTS_INO 3u

struct fs;
struct fs_file;
struct fs_open_reply;

struct vfile {
	const char *name;
	uint64_t ino;
	mode_t mode;              /* permission bits, before -o umask= */
	bool listed;              /* readdir shows it; a stream whose read blocks must
	                           * not be listed (grep -r, cp -a, tar would block) */
	int write_err;            /* open for writing, truncate, setattr */
	int name_err;             /* unlink, rename */
	/* Fill a new read-only handle: a snapshot (fh->text, fh->text_len), or a
	 * stream (fh->reader: read and poll go to events.h; reply->nonseekable).
	 * 0 or an errno; on error the caller releases the handle. */
	int (*open)(struct fs *fs, struct fs_file *fh, struct fs_open_reply *reply);
	/* Its size now; NULL: 0 (a stream). */
	off_t (*size)(struct fs *fs);
};

/* The virtual file `name` in directory `parent` (the root only), or NULL. */
const struct vfile *vfile_by_name(uint64_t parent, const char *name);

/* The virtual file of inode `ino`, or NULL. */
const struct vfile *vfile_by_ino(uint64_t ino);

/* The table's entries in order: index 0, 1, ... until NULL. */
const struct vfile *vfile_at(size_t i);

/* Its struct stat now. */
void vfile_attr(struct fs *fs, const struct vfile *v, struct stat *a);

#endif
