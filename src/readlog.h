/*
 * readlog — which process read which version of which file, so that a rename
 * over a file can be checked against the version the renaming process read
 * (`sed -i`, tempfile + os.replace): of two processes that read a file and
 * then both replace it, the second gets ESTALE instead of silently
 * overwriting the change it never saw (docs/SEMANTICS.md, rename).
 *
 * A fixed ring of READLOG_SIZE records (pid, path, czxid, version): the newest
 * per (pid, path) only, the oldest forgotten first. Paths are kept as 64-bit
 * hashes. A process is matched by the id FUSE reports for the request (the
 * calling thread), or else by its thread group, read from /proc when a
 * lookup finds no record of the thread itself (a reader thread and a renamer
 * thread of one process). Records are kept with their time, so that a new
 * process that got the pid of an ended one is not bound by its reads.
 *
 * Thread-safe (its own lock). Knows neither FUSE nor ZooKeeper.
 */
#ifndef ZKFS_READLOG_H
#define ZKFS_READLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define READLOG_SIZE 256u

struct readlog;

/* NULL on ENOMEM. */
struct readlog *readlog_new(void);
void readlog_free(struct readlog *rl);

/* `pid` read (or wrote) `path` at incarnation `czxid` (0: not known yet) and
 * `version`. pid 0 (no process: the daemon itself) records nothing. */
void readlog_note(struct readlog *rl, pid_t pid, const char *path, int64_t czxid,
		  int32_t version);

/* The same, made at `at_ms` (ms since boot, CLOCK_BOOTTIME: readlog_now_ms). */
void readlog_note_at(struct readlog *rl, pid_t pid, const char *path, int64_t czxid,
		     int32_t version, int64_t at_ms);
int64_t readlog_now_ms(void);

/* `pid` removed `path` itself: what it read there no longer binds it. */
void readlog_forget(struct readlog *rl, pid_t pid, const char *path);

/* What `pid`, or another thread of its process, last read of `path`: true
 * with *czxid (0: any) and *version, or false when there is no record. A
 * record made before the process started is not its own (an ended process
 * whose pid was given again), nor is any of a process that is gone. */
bool readlog_find(struct readlog *rl, pid_t pid, const char *path, int64_t *czxid,
		  int32_t *version);

#endif
