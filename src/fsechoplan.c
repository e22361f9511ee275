/*
 * fsechoplan — what a batch of paths with watch events raises (fsecho_int.h):
 * the paths are fetched again together, and each result is compared with what
 * the kernel held before the events (the item's inode, kind and listing).
 *
 *   gone, or another incarnation or kind    delete (what the kernel held in a
 *                                           directory first), then create
 *   same inode, data changed                modify (a directory: its `.data`),
 *                                           unless this mount wrote that value
 *   same directory, children changed        delete each name gone that the
 *                                           kernel holds, create each new one
 *   created (an absent name the kernel      create
 *   looked up)
 *
 * Whether the kernel still holds a name is checked again when the operation
 * reaches the daemon (fsecho.c): what this mount did meanwhile raises nothing
 * twice.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fsecho_int.h"
#include "log.h"

void echo_free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **echo_dup_sorted(char *const *v, size_t n, bool *ok)
{
	char **out = n ? calloc(n, sizeof(*out)) : NULL;

	*ok = n == 0 || out != NULL;
	for (size_t i = 0; *ok && i < n; i++)
		if (!(out[i] = strdup(v[i])))
			*ok = false;
	if (!*ok) {
		echo_free_list(out, n);
		return NULL;
	}
	if (n > 1)
		qsort(out, n, sizeof(*out), cmp_names);
	return out;
}

bool echo_deletable(const struct node *n, const struct entry *e)
{
	return n && n->nlookup > 0 && !n->unlinked && !n->echoed &&
	       (n->entry == NULL || n->entry == e);
}

static struct echo_op *add(struct echo_batch *b, enum echo_op_type type, const char *path,
			   uint64_t ino, enum node_kind kind, bool kind_known)
{
	if (b->nops == b->capops) {
		size_t cap = b->capops ? b->capops * 2 : 16;
		struct echo_op *v = realloc(b->ops, cap * sizeof(*v));

		if (!v) {
			b->oom = true;
			return NULL;
		}
		b->ops = v;
		b->capops = cap;
	}
	if (!(b->ops[b->nops].path = strdup(path))) {
		b->oom = true;
		return NULL;
	}
	b->ops[b->nops].type = type;
	b->ops[b->nops].ino = ino;
	b->ops[b->nops].parent_ino = 0;
	b->ops[b->nops].kind = kind;
	b->ops[b->nops].kind_known = kind_known;
	return &b->ops[b->nops++];
}

/* A child name the mount shows as itself (not shadowed by `.data`, `.state`,
 * `.events`). */
static bool shown_name(struct fs *fs, const struct entry *dir, const char *name)
{
	if (strcmp(name, fs->cfg.datafile) == 0)
		return false;
	return !(dir == node_root(fs->nt)->entry && vfile_by_name(NODE_ROOT_INO, name));
}

/* The listing's changes: deletes of the names gone that the kernel holds,
 * creates of the new ones. Both lists sorted. `gone_dir`: the inode of a
 * directory that is itself gone or a file now, 0 if it is still there. Lock
 * held. */
static void plan_children(struct fs *fs, struct echo_batch *b, const struct entry *e,
			  char *const *old, size_t nold, char *const *now, size_t nnow,
			  uint64_t gone_dir, int64_t pzxid)
{
	size_t i = 0, j = 0;

	while (i < nold || j < nnow) {
		int c = i == nold ? 1 : j == nnow ? -1 : strcmp(old[i], now[j]);
		const char *name = c < 0 ? old[i] : now[j];
		char *path;

		if (c == 0) {
			i++;
			j++;
			continue;
		}
		if (c < 0)
			i++;
		else
			j++;
		if (!shown_name(fs, e, name) || !(path = fs_join_path(e->path, name)))
			continue;
		if (c < 0) {
			struct entry *ce = node_entry(fs->nt, path);

			struct echo_op *o = NULL;

			/* Not an incarnation made after the listing was read
			 * (pzxid: its last change of children). */
			if (ce && echo_deletable(ce->node, ce) && !ce->node->adopt &&
			    (int64_t)ce->node->czxid <= pzxid)
				o = add(b, ECHO_DELETE, path, ce->node->ino, ce->node->kind, true);
			if (o)
				o->parent_ino = gone_dir;
		} else {
			add(b, ECHO_CREATE, path, 0, NK_FILE, false);
		}
		free(path);
	}
}

/* What item `it` raises, now that its path was fetched again (`rc`, `f`:
 * fs_settle's result). Lock held. */
static void plan_item(struct fs *fs, struct echo_batch *b, struct echo_item *it,
		      struct entry *e, int rc, const struct facts *f)
{
	struct node *old = it->ino ? node_by_ino(fs->nt, it->ino) : NULL;
	bool root = e == node_root(fs->nt)->entry;
	enum node_kind kind;
	bool same;

	if (rc == ENOENT) {
		if (it->ino && it->kind == NK_DIR && it->has_base)
			plan_children(fs, b, e, it->base, it->nbase, NULL, 0, it->ino, INT64_MAX);
		if (it->ino)
			add(b, ECHO_DELETE, it->path, it->ino, it->kind, true);
		return;
	}
	if (rc != 0 || f->noread)
		return;
	kind = fs_kind_of(fs, e, f);
	same = root || (old && old->entry == e && old->kind == kind &&
			(old->adopt || old->czxid == (uint64_t)f->stat.czxid));
	if (!same) {
		/* Gone, or became another kind: what the kernel held in a
		 * directory is deleted first, as `rm -r` would. */
		if (it->ino && it->kind == NK_DIR && it->has_base)
			plan_children(fs, b, e, it->base, it->nbase, NULL, 0, it->ino,
				      f->stat.pzxid);
		if (it->ino)
			add(b, ECHO_DELETE, it->path, it->ino, it->kind, true);
		if ((it->ino || (it->evs & EVBIT(ZEV_CREATED))) && node_parent_known(fs->nt, e))
			add(b, ECHO_CREATE, it->path, 0, kind, true);
		return;
	}
	if ((it->evs & EVBIT(ZEV_CHANGED)) && e->writing > 0) {
		it->deferred = true;      /* whether the value is ours is known at its reply */
	} else if ((it->evs & EVBIT(ZEV_CHANGED)) && f->stat.mzxid != e->own_mzxid) {
		if (kind == NK_FILE) {
			add(b, ECHO_MODIFY, it->path, 0, kind, true);
		} else {
			char *dp = fs_join_path(it->path, fs->cfg.datafile);

			if (dp)
				add(b, ECHO_MODIFY, dp, 0, NK_FILE, true);
			else
				b->oom = true;
			free(dp);
		}
	}
	if ((it->evs & EVBIT(ZEV_CHILD)) && kind == NK_DIR && it->has_base) {
		bool ok;
		char **now = echo_dup_sorted(f->children, f->nchildren, &ok);

		if (ok)
			plan_children(fs, b, e, it->base, it->nbase, now, f->nchildren, 0,
				      f->stat.pzxid);
		else
			b->oom = true;
		echo_free_list(now, ok ? f->nchildren : 0);
	}
}

/* Fetch `n` paths in one pipelined request and settle each into its entry
 * (stored unless an event came meanwhile): rc[i] is fs_settle's. Lock held
 * on entry and return, dropped during the round trip. es[i] is pinned (or
 * NULL: ENOMEM) unless the fetch failed: then nothing is pinned and its
 * error is returned. */
static int fetch_all(struct fs *fs, char **paths, size_t n, struct entry **es,
		     struct zfetch *out, struct facts *facts, int *rc)
{
	uint64_t *epochs = calloc(n ? n : 1, sizeof(*epochs));
	int err;

	if (!epochs)
		return ENOMEM;
	for (size_t i = 0; i < n; i++) {
		es[i] = node_entry_get(fs->nt, paths[i]);
		if (es[i]) {
			entry_pin(es[i]);
			epochs[i] = es[i]->epoch;
		}
	}
	node_unlock(fs->nt);
	err = fs->be.ops->fetch(fs->be.impl, (const char *const *)paths, n,
				FETCH_DATA | FETCH_CHILDREN, out);
	node_lock(fs->nt);
	for (size_t i = 0; i < n; i++) {
		if (err && es[i]) {
			entry_unpin(es[i]);
			es[i] = NULL;
		} else {
			rc[i] = es[i] ? fs_settle(fs, es[i], epochs[i], &out[i], true, &facts[i])
				      : ENOMEM;
		}
	}
	free(epochs);
	return err;
}

/* The kinds of the listed children to create: fetched together (which also
 * caches what the create's own lookup answers). Lock held. */
static void plan_kinds(struct fs *fs, struct echo_batch *b)
{
	size_t n = 0, k = 0;
	char **paths;
	struct entry **es;
	struct zfetch *out;
	struct facts *facts;
	int *rc;

	for (size_t i = 0; i < b->nops; i++)
		n += b->ops[i].type == ECHO_CREATE && !b->ops[i].kind_known;
	if (n == 0)
		return;
	paths = calloc(n, sizeof(*paths));
	es = calloc(n, sizeof(*es));
	out = calloc(n, sizeof(*out));
	facts = calloc(n, sizeof(*facts));
	rc = calloc(n, sizeof(*rc));
	if (paths && es && out && facts && rc) {
		for (size_t i = 0; i < b->nops; i++)
			if (b->ops[i].type == ECHO_CREATE && !b->ops[i].kind_known)
				paths[k++] = b->ops[i].path;
		if (fetch_all(fs, paths, n, es, out, facts, rc) != 0)
			memset(rc, 0xff, n * sizeof(*rc));   /* not fetched: none raised */
		k = 0;
		for (size_t i = 0; i < b->nops; i++) {
			struct echo_op *o = &b->ops[i];

			if (o->type != ECHO_CREATE || o->kind_known)
				continue;
			if (rc[k] == 0 && !facts[k].noread) {
				o->kind = fs_kind_of(fs, es[k], &facts[k]);
				o->kind_known = true;
			} else {
				o->type = 0;   /* gone again, unreadable, or not fetched */
			}
			zfetch_clear(&out[k]);
			if (es[k])
				entry_unpin(es[k]);
			k++;
		}
	} else {
		b->oom = true;
		for (size_t i = 0; i < b->nops; i++)
			if (b->ops[i].type == ECHO_CREATE && !b->ops[i].kind_known)
				b->ops[i].type = 0;
	}
	free(paths);
	free(es);
	free(out);
	free(facts);
	free(rc);
}

int echo_batch_init(struct echo_batch *b, struct echo_item **items, size_t n)
{
	memset(b, 0, sizeof(*b));
	b->items = items;
	b->n = n;
	b->es = calloc(n, sizeof(*b->es));
	b->lists = calloc(n, sizeof(*b->lists));
	b->nlists = calloc(n, sizeof(*b->nlists));
	b->lists_ok = calloc(n, sizeof(*b->lists_ok));
	if (!b->es || !b->lists || !b->nlists || !b->lists_ok) {
		echo_batch_free(b);
		return ENOMEM;
	}
	return 0;
}

int echo_batch_plan(struct fs *fs, struct echo_batch *b)
{
	char **paths = calloc(b->n, sizeof(*paths));
	struct zfetch *out = calloc(b->n, sizeof(*out));
	struct facts *facts = calloc(b->n, sizeof(*facts));
	int *rc = calloc(b->n, sizeof(*rc));
	int err = ENOMEM;

	if (paths && out && facts && rc) {
		for (size_t i = 0; i < b->n; i++)
			paths[i] = b->items[i]->path;
		node_lock(fs->nt);
		err = fetch_all(fs, paths, b->n, b->es, out, facts, rc);
		for (size_t i = 0; !err && i < b->n; i++) {
			plan_item(fs, b, b->items[i], b->es[i], rc[i], &facts[i]);
			if (rc[i] == 0 && !facts[i].noread) {
				b->lists[i] = echo_dup_sorted(facts[i].children, facts[i].nchildren,
							      &b->lists_ok[i]);
				b->nlists[i] = b->lists_ok[i] ? facts[i].nchildren : 0;
			} else {
				b->lists_ok[i] = rc[i] == ENOENT;   /* gone: nothing listed */
			}
		}
		for (size_t i = 0; i < b->n; i++)
			zfetch_clear(&out[i]);
		if (!err)
			plan_kinds(fs, b);
		/* A delete's name goes from the kernel first: a lookup that
		 * found the znode gone meanwhile may have left a negative
		 * entry, on which the unlink would fail without reaching the
		 * daemon (sent by the caller's sync_notices). */
		for (size_t i = 0; !err && i < b->nops; i++) {
			struct entry *de;

			if (b->ops[i].type == ECHO_DELETE &&
			    (de = node_entry(fs->nt, b->ops[i].path)) != NULL) {
				node_name_stale(fs->nt, de);
				b->names_dropped = true;
			}
		}
		node_unlock(fs->nt);
	}
	if (b->oom)
		log_warn("out of memory: inotify events of remote changes lost");
	free(paths);
	free(out);
	free(facts);
	free(rc);
	return err;
}

void echo_batch_unpin(struct echo_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->es[i])
			entry_unpin(b->es[i]);
		b->es[i] = NULL;
	}
}

void echo_batch_free(struct echo_batch *b)
{
	for (size_t i = 0; b->lists && i < b->n; i++)
		echo_free_list(b->lists[i], b->nlists ? b->nlists[i] : 0);
	for (size_t i = 0; i < b->nops; i++)
		free(b->ops[i].path);
	free(b->ops);
	free(b->es);
	free(b->lists);
	free(b->nlists);
	free(b->lists_ok);
	memset(b, 0, sizeof(*b));
}
