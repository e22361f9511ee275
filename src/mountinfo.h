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

/* One mount: its mount ID, and its device, which every bind mount of it
 * shares and no other mount gets while anything still uses it (a FUSE
 * connection's anonymous device). */
struct mountinfo_id {
	unsigned long id;
	unsigned major, minor;
};

/* As mountinfo_top, and the topmost mount's identity in *id. */
int mountinfo_top_id(FILE *f, const char *path, char *fstype, size_t len,
		     struct mountinfo_id *id);

/* Whether the mount `id`, or a bind mount of it (the same device), is in the
 * table read from `f`: 1 yes, 0 no (unmounted or detached everywhere in this
 * namespace), -1 as mountinfo_top. */
int mountinfo_has(FILE *f, const struct mountinfo_id *id);

#endif
