/*
 * fsechoans — the answers to the requests of fsecho.c's thread (fsops.h:
 * fs_echo_lookup, fs_echo_make, fs_echo_remove), which ops.c recognises by
 * their pid. They depend on the operation in progress (fsecho_int.h:
 * echo_current): a lookup of the name being created is negative unless the
 * kernel holds its inode already; a lookup of the name being deleted gives
 * the inode the kernel held (or a stand-in when it forgot it), and the
 * unlink succeeds for it; anything else is answered as for anyone. No
 * answer ever deletes or replaces a name the kernel holds for a znode that
 * exists, and none writes to ZooKeeper.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsecho_int.h"

/* The operation in progress (*op: a copy, its path valid while it is in
 * progress), and the path of `name` in directory inode `parent` (malloc'd,
 * or NULL): the directory may be one the kernel held that is gone (the
 * operation's parent_ino). Table lock held. */
static char *current(struct fs *fs, uint64_t parent, const char *name, struct echo_op *op)
{
	struct node *pn = node_by_ino(fs->nt, parent);
	const char *slash;
	char *dir, *path;

	echo_current(fs, op);
	if (pn && pn->entry)
		return fs_join_path(pn->entry->path, name);
	if (!pn || !op->type || op->parent_ino != parent || !(slash = strrchr(op->path, '/')))
		return NULL;
	dir = strndup(op->path, (size_t)(slash - op->path));
	path = dir ? fs_join_path(dir[0] ? dir : "/", name) : NULL;
	free(dir);
	return path;
}

static bool is_current(struct fs *fs, enum echo_op_type type, uint64_t parent, const char *name,
		       struct echo_op *op, char **path)
{
	*path = current(fs, parent, name, op);
	return *path && op->type == type && strcmp(op->path, *path) == 0;
}

/* Whether the kernel may hold another inode than `ino` for the name of `e`:
 * the one a lookup or create through this mount gave it since (a newer
 * znode there). Answering `ino` would make the kernel drop that name, and a
 * delete would remove it: neither may happen. Table lock held. */
static bool holds_other(const struct entry *e, uint64_t ino)
{
	return e && e->node && e->node->ino != ino && e->node->nlookup > 0;
}

/* Whether the table knows the znode of `n` to exist as it shows it: then no
 * delete is raised for it, whatever was planned. Table lock held. */
static bool still_there(struct fs *fs, const struct node *n, const struct entry *e)
{
	struct facts f;

	if (!n || !e || n->entry != e || !e->valid)
		return false;
	fs_facts_from_entry(e, &f);
	return (n->adopt || n->czxid == (uint64_t)e->stat.czxid) &&
	       n->kind == fs_kind_of(fs, e, &f);
}

/* Answer a lookup with inode `ino` of entry `e`, if the kernel holds it and
 * it may be deleted (echo_deletable). Table lock held. */
static int answer_held(struct fs *fs, uint64_t ino, const struct entry *e, struct fs_entry *out)
{
	struct node *n = node_by_ino(fs->nt, ino);

	memset(out, 0, sizeof(*out));
	if (!echo_deletable(n, e) || holds_other(e, ino) || still_there(fs, n, e))
		return ENOENT;
	node_ref(n);
	out->ino = n->ino;
	fs_node_attr(fs, n, &n->shown, &out->attr);
	return 0;
}

/* Answer a lookup with a new inode of `kind` that only the delete in
 * progress will use. Table lock held. */
static int answer_ghost(struct fs *fs, enum node_kind kind, struct fs_entry *out)
{
	struct node *n = node_new_detached(fs->nt, kind);
	struct zstat zs = { 0 };

	memset(out, 0, sizeof(*out));
	if (!n)
		return ENOMEM;
	node_ref(n);
	out->ino = n->ino;
	fs_fill_attr(fs, n->ino, kind, &zs, &out->attr);
	echo_current_ino(fs, n->ino);   /* what the unlink will name */
	return 0;
}

/* Whether `path` is the directory that holds `child`. */
static bool is_parent_of(const char *path, const char *child)
{
	size_t len = strlen(path);
	const char *slash = strrchr(child, '/');

	return slash && (size_t)(slash - child) == len && strncmp(path, child, len) == 0;
}

int fs_echo_lookup(struct fs *fs, uint64_t parent, const char *name, struct fs_entry *out)
{
	struct echo_op op;
	struct entry *e;
	char *path;
	int rc = -1;

	node_lock(fs->nt);
	if (is_current(fs, ECHO_CREATE, parent, name, &op, &path)) {
		/* Negative unless the kernel holds the name's inode already:
		 * then the create finds it and raises nothing twice. */
		e = node_entry(fs->nt, path);
		if (!e || !e->node || e->node->nlookup == 0) {
			memset(out, 0, sizeof(*out));
			rc = ENOENT;
		}
	} else if (path && op.type == ECHO_DELETE && strcmp(op.path, path) == 0) {
		/* The inode the kernel held, so that its own watch gets
		 * IN_DELETE_SELF; if it forgot it, a stand-in, so that the
		 * directory's watch gets IN_DELETE (not for what this mount
		 * removed itself). */
		e = node_entry(fs->nt, path);
		if (node_by_ino(fs->nt, op.ino) || !e || e->removed || holds_other(e, 0))
			rc = answer_held(fs, op.ino, e, out);
		else
			rc = answer_ghost(fs, op.kind, out);
	} else if (path && op.type == ECHO_DELETE && op.parent_ino && is_parent_of(path, op.path)) {
		/* A directory gone or turned into a file: the one the kernel
		 * held, until what it held inside is deleted. */
		rc = answer_held(fs, op.parent_ino, node_entry(fs->nt, path), out);
	}
	node_unlock(fs->nt);
	free(path);
	return rc >= 0 ? rc : fs_lookup(fs, parent, name, out);
}

int fs_echo_make(struct fs *fs, uint64_t parent, const char *name, bool dir,
		 struct fs_entry *out)
{
	struct echo_op op;
	char *path;
	bool match;
	int rc;

	node_lock(fs->nt);
	match = is_current(fs, ECHO_CREATE, parent, name, &op, &path);
	node_unlock(fs->nt);
	free(path);
	if (!match)
		return EEXIST;
	rc = fs_lookup(fs, parent, name, out);
	if (rc == 0 && S_ISDIR(out->attr.st_mode) != dir) {
		fs_forget(fs, out->ino, 1);
		rc = EEXIST;
	}
	return rc;
}

int fs_echo_remove(struct fs *fs, uint64_t parent, const char *name)
{
	struct echo_op op;
	struct node *n;
	char *path;
	int rc = ENOENT;

	node_lock(fs->nt);
	if (is_current(fs, ECHO_DELETE, parent, name, &op, &path)) {
		struct entry *e = node_entry(fs->nt, path);

		n = node_by_ino(fs->nt, op.ino);
		if (echo_deletable(n, e) && !holds_other(e, op.ino) && !still_there(fs, n, e)) {
			n->echoed = true;
			node_gone(fs->nt, n);
			rc = 0;
		}
	}
	node_unlock(fs->nt);
	free(path);
	return rc;
}

