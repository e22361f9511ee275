/*
 * mountinfo — what the kernel's mount table (/proc/self/mountinfo,
 * proc(5)) says of a mount point: whether something is mounted on it, and
 * of which type, and whether one given mount is still in the table. zkfs
 * refuses to stack a second mount on its own, and ends when its mount is
 * detached (`umount -l`) (docs/SEMANTICS.md, "The daemon").
 *
 * Knows neither FUSE nor ZooKeeper. No state.
 */
#ifndef ZKFS_MOUNTINFO_H
#define ZKFS_MOUNTINFO_H

#include <stddef.h>
#include <stdio.h>

/*
 * Read the mount table from `f` (the format of /proc/self/mountinfo) and
 * find the topmost mount on `path` (absolute and resolved, as realpath(3)
 * gives it; the table's octal escapes \040 etc. are undone before
 * comparing). 1: found, its type ("fuse.zkfs", "tmpfs", ...) in `fstype`,
 * cut to `len` bytes with its NUL; 0: nothing is mounted on `path`; -1: a
 * line that is not of the format (errno EINVAL) or a read error (errno).
 */
int mountinfo_top(FILE *f, const char *path, char *fstype, size_t len);

/* One mount, as long as it lives: its mount ID (reused once it is gone) and
 * its device (which stays taken while anything still uses the mount). */
struct mountinfo_id {
	unsigned long id;
	unsigned major, minor;
};

/* As mountinfo_top, and the topmost mount's identity in *id. */
int mountinfo_top_id(FILE *f, const char *path, char *fstype, size_t len,
		     struct mountinfo_id *id);

/* Whether the mount `id` is in the table read from `f`: 1 yes, 0 no (it was
 * unmounted or detached), -1 as mountinfo_top. */
int mountinfo_has(FILE *f, const struct mountinfo_id *id);

#endif
