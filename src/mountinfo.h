/*
 * mountinfo — what the kernel's mount table (/proc/self/mountinfo,
 * proc(5)) says of a mount point: whether something is mounted on it, and
 * of which type. zkfs refuses to stack a second mount on its own
 * (docs/SEMANTICS.md, "The daemon").
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

#endif
