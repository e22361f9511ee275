/*
 * nodefacts — the facts the node table caches (node.h): storing a fetch
 * against its epoch, the weight of the watches behind them and the budget
 * that evicts the least recently used, what a watch event or a rename of a
 * directory drops, with the notices for the kernel, and what an expired
 * session leaves stale (kept and served until fsreval.c revalidates it).
 */
#include "node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "node_int.h"

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- watch accounting ---- */

/* What the client's re-registration of e's watches costs: a length and the
 * path for each (the data and child watches of facts, the exists watch of an
 * absence). */
static size_t watch_weight(const struct entry *e, bool absent)
{
	size_t one = 4 + strlen(e->path);

	return absent ? one : 2 * one;
}

void node_set_watch_budget(struct node_table *t, size_t budget, unwatch_fn fn, void *ctx)
{
	node_lock(t);
	t->watch_budget = budget;
	t->unwatch = fn;
	t->unwatch_ctx = ctx;
	node_unlock(t);
}

size_t node_watch_bytes(struct node_table *t)
{
	size_t n;

	node_lock(t);
	n = t->watch_bytes;
	node_unlock(t);
	return n;
}

bool node_watch_room(struct node_table *t, size_t bytes)
{
	return t->watch_budget == 0 || bytes <= t->watch_budget / 2;
}

void node_touch(struct node_table *t, struct entry *e)
{
	if (e->watched && t->lru_tail != e) {
		node_lru_unlink(t, e);
		node_lru_append(t, e);
	}
}

/* Drop the facts of `e` and the watches behind them, and tell the kernel. */
static void unwatch_entry(struct node_table *t, struct entry *e)
{
	e->epoch++;
	node_send_entry(t, e);
	node_drop_facts(t, e);
	if (t->unwatch)
		t->unwatch(t->unwatch_ctx, e->path);
}

/* Over budget: drop the least recently used facts of entries nobody is using
 * (no pin, not `keep`) until 7/8 of the budget is left. */
static void evict(struct node_table *t, const struct entry *keep)
{
	size_t target = t->watch_budget - t->watch_budget / 8, dropped = 0;
	struct entry *e = t->lru_head, *next;

	for (; e && t->watch_bytes > target; e = next) {
		next = e->lru_next;    /* unwatch_entry unlinks e */
		if (e->pins || e == keep)
			continue;
		unwatch_entry(t, e);
		dropped++;
	}
	log_debug("watch budget %zu bytes: the facts of %zu least recently used paths dropped, "
		  "%zu bytes of watches left", t->watch_budget, dropped, t->watch_bytes);
}

/* `e` holds new facts weighing `weight`. Lock held. */
static void account(struct node_table *t, struct entry *e, size_t weight)
{
	e->watched = weight;
	t->watch_bytes += weight;
	node_lru_append(t, e);
	if (t->watch_budget && t->watch_bytes > t->watch_budget)
		evict(t, e);
}

void node_unwatch_all(struct node_table *t)
{
	node_lock(t);
	for (size_t i = 0; i < t->paths_cap; i++)
		for (struct entry *e = t->paths[i]; e; e = e->path_next)
			unwatch_entry(t, e);
	node_unlock(t);
}

bool node_store(struct node_table *t, struct entry *e, uint64_t epoch, struct zfetch *f)
{
	if (e->epoch != epoch)
		return false;
	node_drop_facts(t, e);
	e->removed = false;
	if (e->made && e->made_czxid == 0) {
		e->made_czxid = f->stat.czxid;    /* the incarnation this mount made */
	} else if (e->made && e->made_czxid != f->stat.czxid) {
		e->made = false;                  /* another client's since: its own */
		e->mode_set = false;
	}
	e->stat = f->stat;
	e->data = f->data ? f->data : zdata_empty();
	e->children = f->children;
	e->nchildren = f->nchildren;
	if (e->nchildren > 1)
		qsort(e->children, e->nchildren, sizeof(*e->children), cmp_names);
	f->data = NULL;
	f->children = NULL;
	f->nchildren = 0;
	e->valid = true;
	account(t, e, watch_weight(e, false));
	return true;
}

bool node_store_absent(struct node_table *t, struct entry *e, uint64_t epoch)
{
	if (e->epoch != epoch)
		return false;
	node_drop_facts(t, e);
	e->absent = true;
	account(t, e, watch_weight(e, true));
	return true;
}

void node_on_watch(struct node_table *t, enum zevent ev, const char *path,
		   kind_stable_fn kind_stable, watch_seen_fn seen, void *ctx)
{
	struct entry *e;

	node_lock(t);
	e = node_entry(t, path);
	if (e) {
		bool name_too;

		if (seen)
			seen(ctx, e, ev);
		name_too = !kind_stable || !kind_stable(ctx, e, ev);

		/* A creation this mount makes (in flight, or its inode attached
		 * already): the kernel holds no negative entry to drop, and
		 * dropping the new positive one would unhash it under a process
		 * that has just entered it (getcwd: ENOENT). */
		if (ev == ZEV_CREATED && (e->creating || e->node || e->datafile))
			name_too = false;

		log_debug("%s: watch event %d%s", path, (int)ev, name_too ? "" : " (inode only)");
		e->epoch++;
		node_drop_facts(t, e);
		if (name_too) {
			node_send_entry(t, e);
		} else {
			node_send_inode(t, e->node);
			node_send_inode(t, e->datafile);
		}
		if (ev == ZEV_DELETED) {
			node_detach(t, e->node);
			node_detach(t, e->datafile);
		}
	}
	node_unlock(t);
}

/* What this mount made below a renamed directory: its kind and mode, by path
 * below the directory (node_moved_subtree). */
struct made_below {
	char *rel;              /* "/a/b" below the old top */
	enum node_kind kind;
	unsigned mode;
	bool mode_set;
};

void node_moved_subtree(struct node_table *t, struct entry *top, struct entry *to)
{
	size_t len = strlen(top->path), n = 0, cap = 0;
	struct made_below *made = NULL;

	for (size_t i = 0; i < t->paths_cap; i++) {
		for (struct entry *e = t->paths[i]; e; e = e->path_next) {
			if (strncmp(e->path, top->path, len) != 0 || e->path[len] != '/')
				continue;
			if (e->made && n == cap) {
				size_t c = cap ? cap * 2 : 16;
				struct made_below *m = realloc(made, c * sizeof(*m));

				if (m) {
					made = m;
					cap = c;
				}
			}
			if (e->made && n < cap && (made[n].rel = strdup(e->path + len))) {
				made[n].kind = e->made_kind;
				made[n].mode = e->mode;
				made[n].mode_set = e->mode_set;
				n++;
			}
			unwatch_entry(t, e);   /* an absent name's exists watch too */
		}
	}
	for (size_t i = 0; i < t->paths_cap; i++)
		for (struct entry *e = t->paths[i]; e; e = e->path_next)
			if (strncmp(e->path, top->path, len) == 0 && e->path[len] == '/')
				node_drop(t, e);
	/* The same znodes, made anew by the rename's multi, under `to`: they
	 * keep the kind and mode this mount gave them (the incarnation is
	 * taken at their next fetch). Out of memory: they show the defaults. */
	for (size_t k = 0; k < n; k++) {
		char *path = NULL;
		struct entry *e;

		if (asprintf(&path, "%s%s", to->path, made[k].rel) >= 0 &&
		    (e = node_entry_get(t, path)) != NULL) {
			node_made(e, made[k].kind, 0);
			e->mode = made[k].mode;
			e->mode_set = made[k].mode_set;
		}
		free(path);
		free(made[k].rel);
	}
	free(made);
}

void node_on_expired(struct node_table *t)
{
	size_t kept = 0;

	node_lock(t);
	for (size_t i = 0; i < t->paths_cap; i++) {
		for (struct entry *e = t->paths[i]; e; e = e->path_next) {
			e->epoch++;
			if ((e->valid || e->absent) && !e->stale) {
				e->stale = true;
				t->nstale++;
			}
		}
	}
	kept = t->nstale;
	node_unlock(t);
	log_debug("session expired: the facts of %zu paths kept, to be revalidated", kept);
}

size_t node_stale_count(struct node_table *t)
{
	return t->nstale;
}

char **node_stale_paths(struct node_table *t, size_t *n)
{
	char **v;
	size_t k = 0;

	*n = 0;
	if (t->nstale == 0)
		return NULL;
	v = calloc(t->nstale, sizeof(*v));
	if (!v) {
		*n = SIZE_MAX;
		return NULL;
	}
	for (size_t i = 0; i < t->paths_cap; i++) {
		for (struct entry *e = t->paths[i]; e; e = e->path_next) {
			if (!e->stale || k == t->nstale)
				continue;
			v[k] = strdup(e->path);
			if (!v[k]) {
				while (k > 0)
					free(v[--k]);
				free(v);
				*n = SIZE_MAX;
				return NULL;
			}
			k++;
		}
	}
	*n = k;
	return v;
}

void node_revalidated(struct node_table *t, struct entry *e)
{
	if (e->stale) {
		e->stale = false;
		t->nstale--;
	}
}
