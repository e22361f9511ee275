/*
 * mountwatch — notice that the daemon's own mount left the mount table
 * (`umount -l`, `fusermount3 -uz`, or a plain unmount), which the kernel
 * tells the daemon nothing of while a file on the mount stays open.
 *
 * A thread polls /proc/self/mountinfo, which the kernel marks (POLLPRI) at
 * every change of the mount table, rereads it then (mountinfo.h), and calls
 * `gone` once, from that thread, when the mount is no longer there.
 */
#ifndef ZKFS_MOUNTWATCH_H
#define ZKFS_MOUNTWATCH_H

struct mountwatch;

/*
 * Watch the topmost mount on `mountpoint` (absolute and resolved), which must
 * be of type `fstype` (it was just mounted). 0 and *out, or an errno: ENOENT
 * when no such mount is on top there, or what opening the table or starting
 * the thread gave.
 */
int mountwatch_start(const char *mountpoint, const char *fstype, void (*gone)(void *ctx),
		     void *ctx, struct mountwatch **out);

/* Whether the mount (or a bind mount of it) is in the table now, read at
 * once: 1 yes, 0 no, -1 the table could not be read. NULL: -1. */
int mountwatch_present(struct mountwatch *w);

/* Stop watching and free: `gone` is not running and will not run once this
 * returns. NULL is fine. */
void mountwatch_stop(struct mountwatch *w);

#endif
