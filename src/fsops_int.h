/*
 * fsops_int — what the fs files (fs.c, fsops.c, fsreval.c, fsfile.c,
 * fscommit.c, fsdir.c, fsname.c, fsxattr.c, vfile.c) share and nobody else
 * sees: the filesystem object, the facts of one request (read only through
 * fs_refresh, fs_node_facts, fs_child and fs_settle), the helpers that turn
 * them into attributes, the commits, and the revalidation after an expiry.
 */
#ifndef ZKFS_FSOPS_INT_H
#define ZKFS_FSOPS_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "cancel.h"
#include "fsops.h"
#include "vfile.h"

/* What a change found by the revalidation is handed to: fs_on_watch, given
 * by fs.c (a change found is a watch event that the expiry swallowed). */
typedef void (*fs_change_fn)(struct fs *fs, enum zevent ev, const char *path);

/* The revalidation of what an expired session left stale (fsreval.c): its
 * thread and what wakes it. */
struct fs_reval {
	fs_change_fn change;      /* const */
	pthread_mutex_t mu;
	pthread_cond_t cond;      /* mu: wanted, stop, and the end of a pass */
	pthread_t thread;         /* started */
	bool started;             /* mu: fs_start made the thread */
	bool stop;                /* mu: fs_detach or fs_stop: no pass any more */
	bool wanted;              /* mu: CONNECTED since the last pass began */
	bool running;             /* mu: a pass is under way */
	unsigned gen;             /* mu: expiries so far; a pass ends at the next */
	struct fs_reval_stats stats; /* mu: what the passes did */
	struct cancel cx;         /* the thread's current token: fired at stop, it
	                           * ends the fetch in flight (cancel.h) */
	pthread_mutex_t join_mu;  /* one fs_stop joins, the others wait for it */
};

struct fs {
	struct fs_config cfg;     /* const; strings owned */
	struct backend be;        /* const */
	struct node_table *nt;    /* has its own lock */
	struct virt virt;         /* has its own lock */
	struct events *events;    /* has its own lock */
	atomic_bool detached;     /* fs_detach was called */
	pthread_mutex_t files_mu;
	struct fs_file *files;    /* files_mu: every open handle (fs_free frees
	                           * those the kernel never released) */
	struct readlog *reads;    /* has its own lock: which process read which
	                           * version (readlog.h), for rename's check */
	struct echo *echo;        /* has its own lock: inotify events of remote
	                           * changes (fsecho.c); NULL when off */
	struct fs_reval reval;    /* has its own lock */
};

/* ---- inotify events of remote changes (fsecho.c) ---- */

/* Create fs->echo (cfg.remote_events), and free it (the thread joined). */
int fs_echo_new(struct fs *fs);
void fs_echo_free(struct fs *fs);
/* A watch_seen_fn (node.h; ctx is the fs): queue what the event may raise. */
void fs_echo_seen(void *ctx, struct entry *e, enum zevent ev);
/* The connection's state: batches wait while it is not CONNECTED. */
void fs_echo_state(struct fs *fs, enum zstate state);

/* What is known of one znode for the length of one request: borrowed from the
 * entry (cached, watched) or from a fetch that raced with an event (not cached). */
struct facts {
	struct zstat stat;
	struct zdata *data;
	char *const *children;
	size_t nchildren;
	bool cached;
	bool pending;    /* a deferred create (fsfile.c): no znode yet, stat made up */
	bool noread;     /* the znode exists but this session may not read it
	                  * (ZNOAUTH): stat only, data empty, never cached */
};

/* An open file (fsfile.c). */
struct fs_file {
	struct zdata *data;       /* const: read-only handles, the value at open */
	size_t text_len;          /* const: a virtual file's snapshot (vfile.h) */
	char text[16];
	struct events_reader *reader; /* const: a virtual file's stream (vfile.h) */
	struct fs_file *prev, *next;  /* fs->files_mu */
	unsigned refs;                /* fs->files_mu: the kernel's (until release) +
	                               * a rename settling the handle (fs_file_put) */
	/* Handles that may write: */
	struct node *node;        /* const, pinned; node->entry may change (rename) */
	pid_t pid;                /* const: who opened it (readlog.h: a commit is
	                           * a version its writer knows) */
	struct entry *created;    /* const: the entry of a deferred create (pinned) */
	bool writable, append;    /* const */
	pthread_mutex_t mu;
	char *buf;                /* mu: the whole value as it will be committed */
	size_t len, cap;          /* mu */
	int32_t version;          /* mu: the version buf was loaded at */
	size_t base_len;          /* mu: bytes of buf loaded at that version; what
	                           * follows was appended by this handle */
	bool appends_only;        /* mu: every change since was an append (O_APPEND):
	                           * a commit that finds a newer version appends to it */
	bool replace;             /* mu: commit overwrites whatever is there */
	bool create;              /* mu: the znode does not exist yet */
	bool dirty;               /* mu: written since the last commit: flush commits */
	bool owed;                /* mu: the open itself changes the value (O_TRUNC, a
	                           * new file): committed at release if not before */
	int spoiled;              /* mu: EFBIG, or the error of a failed commit:
	                           * nothing more will be committed */
};

/* ENOTCONN once the mount was detached (fs_detach), else 0: what every
 * operation that reaches a new name or opens something answers first. */
int fs_gone(struct fs *fs);

/* The type a znode is shown as (SPEC.md §3). */
enum node_kind fs_kind_of(struct fs *fs, const struct entry *e, const struct facts *f);

/* Whether watch event `ev` leaves the type e's name shows as it is
 * (kind_stable_fn, node.h; ctx is the fs). */
bool fs_kind_stable(void *ctx, const struct entry *e, enum zevent ev);

/* struct stat for inode `ino` of `kind` from a znode's stat. */
void fs_fill_attr(struct fs *fs, uint64_t ino, enum node_kind kind,
		  const struct zstat *zs, struct stat *a);

/* The permission bits shown for `kind` (0644 or 0755, minus -o umask=). */
unsigned fs_default_mode(struct fs *fs, enum node_kind kind);
/* `e` was just made by this mount as `kind` with `mode` (create, mkdir:
 * shown minus -o umask=, node.h: entry->mode). Lock held. */
void fs_made_mode(struct fs *fs, struct entry *e, enum node_kind kind, unsigned mode);

/* struct stat of inode `n` (lock held): fs_fill_attr, the mode given to what
 * this mount made, and the size of a writer's uncommitted buffer
 * (node.h). Remembers `zs` as what the kernel was shown (node->shown). */
void fs_node_attr(struct fs *fs, struct node *n, const struct zstat *zs,
		  struct stat *a);


/* Borrow the cached facts of a valid entry. */
void fs_facts_from_entry(const struct entry *e, struct facts *out);

/* How long the kernel may keep what was answered from these facts. */
double fs_timeout_for(struct fs *fs, bool cached);

/* False for names ZooKeeper refuses (they cannot exist). */
bool fs_name_possible(const char *name);

/* dir + "/" + name (malloc'd), NULL on ENOMEM. */
char *fs_join_path(const char *dir, const char *name);

/* Store a fetch result in `e` unless an event raced it or `keep` is false (a
 * fetch that left no watch), and describe it in `out`. Lock held. `f` keeps
 * what was not stored; the caller clears it. */
int fs_settle(struct fs *fs, struct entry *e, uint64_t epoch, struct zfetch *f, bool keep,
	      struct facts *out);

/* Make the facts of `e` current. Lock held on entry and return, dropped during
 * the round trip. ENOENT with out->cached: the absence is watched. */
int fs_refresh(struct fs *fs, struct entry *e, struct zfetch *f, struct facts *out);

/* Create the znode of `e`, empty, now (mkdir, O_EXCL): lock held, dropped
 * during the request; `e` stays pinned. The creation's own watch event drops
 * no name; EEXIST drops the kernel's (negative) entry of it. */
int fs_create_znode(struct fs *fs, struct entry *e, struct zstat *zs);

/* A deferred create of `e` is live: its name exists for this mount only. */
bool fs_entry_pending(const struct entry *e);

/* ---- commits (fscommit.c, under fsfile.c) ---- */

/* The znode path handle `fh` writes to now (malloc'd), or NULL: unlinked
 * through this mount. Table lock held. */
char *fs_handle_path(struct fs_file *fh);
/* A handle's version when it no longer holds the znode's value: a
 * conditional commit of it fails with ESTALE (ZooKeeper takes only -1 and
 * versions from 0 as matches). */
#define FS_VERSION_STALE (-2)

/* One ZooKeeper write of fh's buffer to `path`: a create (a deferred one;
 * when the file was made meanwhile, an overwrite if the handle `wrote`, else
 * nothing, and *st gets version FS_VERSION_STALE), a set at fh->version, an
 * overwrite (fh->replace), or for an O_APPEND handle that finds a newer
 * version, its appended bytes on that version. *st gets the znode's new
 * stat. Lock fh->mu held, not the table lock. */
int fs_commit(struct fs *fs, struct fs_file *fh, const char *path, bool wrote,
	      struct zstat *st);
/* Commit what fh holds and go on from the version written; a failure spoils
 * the handle (the same error at every later flush). Lock fh->mu held. */
int fs_commit_now(struct fs *fs, struct fs_file *fh);
/* fh holds nothing uncommitted any more: its node's size is ZooKeeper's again
 * (node.h: wfh). Table lock held. */
void fs_unshow_len(struct fs_file *fh);

/* The writers of a file being renamed, held from before the rename's request
 * until after it (fs_writers_take / fs_writers_release), so that what they
 * wrote moves with the name and no commit of theirs comes in between. */
struct fs_writers {
	struct fs_file **v;
	size_t n;
};
/* Take the writable handles of inode `n` (pinned; no lock held), each with a
 * reference and its lock fh->mu (in the order of fs->files: two renames take
 * them alike), and commit what each holds uncommitted (written, owed by
 * O_TRUNC, or a deferred create), as fsync would; a handle that failed before
 * (spoiled) is skipped. 0, or the first error (a failed commit: ESTALE, EIO,
 * ...; ENOMEM). The handles are held either way. */
int fs_writers_take(struct fs *fs, struct node *n, struct fs_writers *w);
/* Unlock and drop them. With `moved` (the rename succeeded), the handles
 * that held the source's `from` version go on from `to`, the target's
 * version that now holds their value; the others held an older value, and
 * their next conditional commit fails with ESTALE. No table lock held. */
void fs_writers_release(struct fs *fs, struct fs_writers *w, bool moved, int32_t from,
			int32_t to);

/* This mount wrote the value of `path` whose stat is `st`: the watch event
 * of its own write raises no inotify event (fsecho.c). Takes the lock. */
void fs_own_write(struct fs *fs, const char *path, const struct zstat *st);
/* ---- revalidation after an expiry (fsreval.c, under fs.c and fsops.c) ---- */

/* Set up and tear down fs->reval (no thread yet: fs_start); `change` gets
 * each change a pass finds. 0 or an errno. */
int fs_reval_init(struct fs *fs, fs_change_fn change);
void fs_reval_destroy(struct fs *fs);
/* The session expired (the node table has marked its facts stale): a pass
 * under way ends after its current batch. Backend event thread; no wait. */
void fs_reval_expired(struct fs *fs);
/* CONNECTED: a pass revalidates what is stale (if anything). Backend event
 * thread; no wait. */
void fs_reval_connected(struct fs *fs);
/* No pass any more, and the one under way gives up (fs_detach). Any thread;
 * no wait. */
void fs_reval_end(struct fs *fs);

/* What a fetch of a stale entry showed (fs_reval_judge). */
enum fs_reval_outcome {
	FS_REVAL_UNCHANGED,  /* as cached: the facts are current again */
	FS_REVAL_CHANGED,    /* fs_on_watch was called for each change; the
	                      * fetched facts are stored unless another event
	                      * came meanwhile */
	FS_REVAL_SKIPPED,    /* not stale any more, or its epoch moved: an event,
	                      * a drop, a refetch or an expiry dealt with it */
	FS_REVAL_FAILED,     /* the answer is an error: still stale */
};
/* Judge `f`, the answer (0 or ENOENT, else FAILED) of a fetch of pinned
 * entry `e` that began at `epoch`, against its stale facts: the
 * revalidation's comparison (fsreval.c), for its passes and for fs_refresh.
 * *nev gets the number of fs_on_watch calls. Table lock held on entry and
 * return, dropped while fs_on_watch runs. `f` keeps what was not stored. */
enum fs_reval_outcome fs_reval_judge(struct fs *fs, struct entry *e, uint64_t epoch,
				     struct zfetch *f, size_t *nev);

/* Milliseconds since the epoch (CLOCK_REALTIME). */
int64_t fs_now_ms(void);

/* Checks before creating `name` in directory inode `pn` (lock held): EINVAL
 * for names ZooKeeper refuses, EEXIST for the virtual files' names. */
int fs_name_check(struct fs *fs, const struct node *pn, const char *name);

/* The entry for `name` in directory inode `parent`, and its facts (fs_refresh).
 * Lock held (dropped during a fetch). With `creating`, a name that cannot be
 * created fails first (fs_name_check). 0, ENOENT (absent), or an errno; *e is
 * pinned whenever it is set, and the caller unpins it. */
int fs_child(struct fs *fs, uint64_t parent, const char *name, bool creating,
	     struct entry **e, struct zfetch *f, struct facts *facts);

/* The directory inode `parent` (lock held): ENOENT, ENOTDIR, or 0. */
int fs_dir_node(struct fs *fs, uint64_t parent, struct node **out);

/* Refresh the facts behind inode `n` and check it still shows them. Lock held
 * (dropped during a fetch). ENOENT when the znode is gone, is now shown by
 * another inode, or the kernel forgot `n` meanwhile and nothing else held it:
 * then `n` is freed, and on any error the caller must not touch `n` unless it
 * holds its own pin. An inode waiting for its czxid (node.h: adopt) takes the
 * one fetched. */
int fs_node_facts(struct fs *fs, struct node *n, struct zfetch *f, struct facts *facts);

#endif
