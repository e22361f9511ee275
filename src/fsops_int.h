/*
 * fsops_int — what the fsops files (fsops.c, fsdir.c, fsxattr.c) share and
 * nobody else sees: the filesystem object, the facts of one request, and the
 * helpers that turn ZooKeeper facts into attributes.
 */
#ifndef ZKFS_FSOPS_INT_H
#define ZKFS_FSOPS_INT_H

#include "fsops.h"

struct fs {
	struct fs_config cfg;     /* const; strings owned */
	struct backend be;        /* const */
	struct node_table *nt;    /* has its own lock */
	struct virt virt;         /* has its own lock */
};

/* What is known of one znode for the length of one request: borrowed from the
 * entry (cached, watched) or from a fetch that raced with an event (not cached). */
struct facts {
	struct zstat stat;
	struct zdata *data;
	char *const *children;
	size_t nchildren;
	bool cached;
};

/* The type a znode is shown as (SPEC.md §3). */
enum node_kind fs_kind_of(struct fs *fs, const struct entry *e, const struct facts *f);

/* struct stat for inode `ino` of `kind` from a znode's stat. */
void fs_fill_attr(struct fs *fs, uint64_t ino, enum node_kind kind,
		  const struct zstat *zs, struct stat *a);

/* struct stat of `.state`. */
void fs_fill_state_attr(struct fs *fs, struct stat *a);

/* Borrow the cached facts of a valid entry. */
void fs_facts_from_entry(const struct entry *e, struct facts *out);

/* How long the kernel may keep what was answered from these facts. */
double fs_timeout_for(struct fs *fs, bool cached);

/* False for names ZooKeeper refuses (they cannot exist). */
bool fs_name_possible(const char *name);

/* dir + "/" + name (malloc'd), NULL on ENOMEM. */
char *fs_join_path(const char *dir, const char *name);

/* Store a fetch result in `e` unless an event raced it, and describe it in
 * `out`. Lock held. `f` keeps what was not stored; the caller clears it. */
int fs_settle(struct fs *fs, struct entry *e, uint64_t epoch, struct zfetch *f,
	      struct facts *out);

/* Make the facts of `e` current. Lock held on entry and return, dropped during
 * the round trip. ENOENT with out->cached: the absence is watched. */
int fs_refresh(struct fs *fs, struct entry *e, struct zfetch *f, struct facts *out);

/* Refresh the facts behind inode `n` and check it still shows them. Lock held.
 * ENOENT when the znode is gone or is now shown by another inode. */
int fs_node_facts(struct fs *fs, struct node *n, struct zfetch *f, struct facts *facts);

#endif
