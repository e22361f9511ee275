#include "node.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "log.h"
#include "node_int.h"


static uint64_t hash_ino(uint64_t ino)
{
	return ino * 11400714819323198485ull;
}

static bool paths_grow(struct node_table *t)
{
	size_t cap = t->paths_cap ? t->paths_cap * 2 : 1024;
	struct entry **nb = calloc(cap, sizeof(*nb));

	if (!nb)
		return false;
	for (size_t i = 0; i < t->paths_cap; i++) {
		struct entry *e = t->paths[i], *next;
		for (; e; e = next) {
			next = e->path_next;
			size_t b = hash_str(e->path) & (cap - 1);
			e->path_next = nb[b];
			nb[b] = e;
		}
	}
	free(t->paths);
	t->paths = nb;
	t->paths_cap = cap;
	return true;
}

static bool inos_grow(struct node_table *t)
{
	size_t cap = t->inos_cap ? t->inos_cap * 2 : 1024;
	struct node **nb = calloc(cap, sizeof(*nb));

	if (!nb)
		return false;
	for (size_t i = 0; i < t->inos_cap; i++) {
		struct node *n = t->inos[i], *next;
		for (; n; n = next) {
			next = n->ino_next;
			size_t b = hash_ino(n->ino) & (cap - 1);
			n->ino_next = nb[b];
			nb[b] = n;
		}
	}
	free(t->inos);
	t->inos = nb;
	t->inos_cap = cap;
	return true;
}

static void inos_remove(struct node_table *t, struct node *n)
{
	struct node **pp = &t->inos[hash_ino(n->ino) & (t->inos_cap - 1)];

	for (; *pp; pp = &(*pp)->ino_next) {
		if (*pp == n) {
			*pp = n->ino_next;
			t->ninos--;
			return;
		}
	}
}

/* ---- facts and notices: the primitives (nodefacts.c builds on them) ---- */

void node_lru_unlink(struct node_table *t, struct entry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else if (t->lru_head == e)
		t->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else if (t->lru_tail == e)
		t->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

void node_lru_append(struct node_table *t, struct entry *e)
{
	e->lru_prev = t->lru_tail;
	e->lru_next = NULL;
	if (t->lru_tail)
		t->lru_tail->lru_next = e;
	else
		t->lru_head = e;
	t->lru_tail = e;
}

void node_drop_facts(struct node_table *t, struct entry *e)
{
	if (e->watched)
		node_lru_unlink(t, e);
	t->watch_bytes -= e->watched;
	e->watched = 0;
	zdata_put(e->data);
	e->data = NULL;
	for (size_t i = 0; i < e->nchildren; i++)
		free(e->children[i]);
	free(e->children);
	e->children = NULL;
	e->nchildren = 0;
	e->valid = false;
	e->absent = false;
	if (e->stale) {
		e->stale = false;
		t->nstale--;
	}
}

/* The inode of the directory holding `e`, if the kernel knows it. */
struct node *node_parent_known(struct node_table *t, const struct entry *e)
{
	size_t len = (size_t)(e->name - e->path);
	struct entry *pe;
	char *ppath;

	if (e == t->root_entry || len == 0)
		return NULL;
	ppath = strndup(e->path, len > 1 ? len - 1 : 1);
	if (!ppath)
		return NULL;
	pe = node_entry(t, ppath);
	free(ppath);
	if (!pe || !pe->node || pe->node->nlookup == 0)
		return NULL;
	return pe->node;
}

void node_send_inode(struct node_table *t, const struct node *n)
{
	if (n && n->nlookup > 0) {
		struct notice nt = { .kind = NOTICE_INVAL_INODE, .ino = n->ino };
		t->sink(t->sink_ctx, &nt);
	}
}

/* Tell the kernel to forget what it may cache of `e`, its inode and its name. */
void node_send_entry(struct node_table *t, struct entry *e)
{
	struct node *p = node_parent_known(t, e);

	node_send_inode(t, e->node);
	node_send_inode(t, e->datafile);
	if (p) {
		struct notice nt = { .kind = NOTICE_INVAL_ENTRY, .parent = p->ino, .name = e->name };
		t->sink(t->sink_ctx, &nt);
	}
}

/* ---- inodes and entries ---- */

static struct node *node_new(struct node_table *t, enum node_kind kind, uint64_t czxid,
			     uint64_t ino)
{
	struct node *n;

	if (t->ninos + 1 > t->inos_cap / 2 && !inos_grow(t))
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->ino = ino ? ino : t->next_ino++;
	n->kind = kind;
	n->czxid = czxid;
	n->kernel_mzxid = -1;
	size_t b = hash_ino(n->ino) & (t->inos_cap - 1);
	n->ino_next = t->inos[b];
	t->inos[b] = n;
	t->ninos++;
	return n;
}

struct node *node_new_detached(struct node_table *t, enum node_kind kind)
{
	return node_new(t, kind, 0, 0);
}

/* Free `n` if nothing holds it any more. */
static void node_maybe_free(struct node_table *t, struct node *n)
{
	if (n->nlookup || n->pins || n == t->root)
		return;
	if (n->entry) {
		if (n->entry->node == n)
			n->entry->node = NULL;
		if (n->entry->datafile == n)
			n->entry->datafile = NULL;
	}
	inos_remove(t, n);
	free(n);
}

void node_detach(struct node_table *t, struct node *n)
{
	if (!n || n == t->root)
		return;
	if (n->entry) {
		if (n->entry->node == n)
			n->entry->node = NULL;
		if (n->entry->datafile == n)
			n->entry->datafile = NULL;
		n->entry = NULL;
	}
	node_maybe_free(t, n);
}

/* Detach `n`, whose name this mount removed itself (the kernel knows). */
static void detach_unlinked(struct node_table *t, struct node *n)
{
	if (n && n != t->root)
		n->unlinked = true;
	node_detach(t, n);
}

struct node_table *node_table_new(const char *base, notice_fn sink, void *sink_ctx)
{
	struct node_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	t->sink = sink;
	t->sink_ctx = sink_ctx;
	t->next_ino = NODE_FIRST_INO;
	t->sweep_at = NODE_SWEEP_MIN;
	if (!paths_grow(t) || !inos_grow(t))
		goto fail;
	t->root_entry = node_entry_get(t, base);
	if (!t->root_entry)
		goto fail;
	t->root = node_new(t, NK_DIR, 0, NODE_ROOT_INO);
	if (!t->root)
		goto fail;
	t->root->entry = t->root_entry;
	t->root->nlookup = 1;     /* the kernel holds the root from mount to unmount */
	t->root_entry->node = t->root;
	t->root_entry->pins = 1;
	return t;
fail:
	node_table_free(t);
	return NULL;
}

void node_table_free(struct node_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->paths_cap; i++) {
		struct entry *e = t->paths[i], *next;
		for (; e; e = next) {
			next = e->path_next;
			node_drop_facts(t, e);
			free(e->path);
			free(e);
		}
	}
	for (size_t i = 0; i < t->inos_cap; i++) {
		struct node *n = t->inos[i], *next;
		for (; n; n = next) {
			next = n->ino_next;
			free(n);
		}
	}
	free(t->paths);
	free(t->inos);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void node_lock(struct node_table *t)
{
	pthread_mutex_lock(&t->lock);
}

void node_unlock(struct node_table *t)
{
	pthread_mutex_unlock(&t->lock);
}

struct node *node_by_ino(struct node_table *t, uint64_t ino)
{
	struct node *n = t->inos[hash_ino(ino) & (t->inos_cap - 1)];

	while (n && n->ino != ino)
		n = n->ino_next;
	return n;
}

struct node *node_root(struct node_table *t)
{
	return t->root;
}

struct entry *node_entry(struct node_table *t, const char *path)
{
	struct entry *e = t->paths[hash_str(path) & (t->paths_cap - 1)];

	while (e && strcmp(e->path, path) != 0)
		e = e->path_next;
	return e;
}

/* Nothing refers to `e`: no inode, no pin, no deferred create, no mode given
 * to a file this mount made (kept for the life of the mount). */
static bool entry_unused(const struct node_table *t, const struct entry *e)
{
	return e != t->root_entry && !e->node && !e->datafile && e->pins == 0 &&
	       e->pending == 0 && !e->mode_set;
}

/*
 * Free the entries nothing refers to, so that the table does not grow with
 * every name ever looked up. Their facts go (a later lookup fetches again;
 * a watch that fires for a freed path is ignored). An absent entry may back
 * a negative dentry in the kernel: tell the kernel to drop it first.
 */
static void sweep(struct node_table *t)
{
	size_t before = t->npaths;

	for (size_t i = 0; i < t->paths_cap; i++) {
		struct entry **pp = &t->paths[i];

		while (*pp) {
			struct entry *e = *pp;

			if (!entry_unused(t, e)) {
				pp = &e->path_next;
				continue;
			}
			if (e->absent)
				node_send_entry(t, e);
			*pp = e->path_next;
			node_drop_facts(t, e);
			/* Also a watch a fetch left that no fact accounts for (it
			 * raced an event): nothing fetches a swept path. */
			if (t->unwatch)
				t->unwatch(t->unwatch_ctx, e->path);
			free(e->path);
			free(e);
			t->npaths--;
		}
	}
	t->sweep_at = t->npaths * 2 > NODE_SWEEP_MIN ? t->npaths * 2 : NODE_SWEEP_MIN;
	log_debug("node table: %zu of %zu entries freed", before - t->npaths, before);
}

struct entry *node_entry_get(struct node_table *t, const char *path)
{
	struct entry *e = node_entry(t, path);

	if (e)
		return e;
	if (t->npaths >= t->sweep_at)
		sweep(t);
	if (t->npaths + 1 > t->paths_cap / 2 && !paths_grow(t))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->path = strdup(path);
	if (!e->path) {
		free(e);
		return NULL;
	}
	e->name = strrchr(e->path, '/') + 1;
	size_t b = hash_str(path) & (t->paths_cap - 1);
	e->path_next = t->paths[b];
	t->paths[b] = e;
	t->npaths++;
	return e;
}

struct node *node_attach(struct node_table *t, struct entry *e, enum node_kind kind,
			 uint64_t czxid)
{
	struct node *n = e->node;

	if (e == t->root_entry)
		return t->root;
	if (n && n->kind == kind && (n->czxid == czxid || n->adopt)) {
		if (czxid != 0) {        /* 0: a deferred create, nothing to adopt yet */
			n->czxid = czxid;
			n->adopt = false;
		}
		return n;
	}
	if (n) {
		log_debug("%s: new inode (was ino %llu)", e->path, (unsigned long long)n->ino);
		node_detach(t, n);
		node_detach(t, e->datafile);
	}
	n = node_new(t, kind, czxid, 0);
	if (!n)
		return NULL;
	n->entry = e;
	e->node = n;
	return n;
}

struct node *node_datafile(struct node_table *t, struct entry *e)
{
	struct node *n = e->datafile;

	if (n)
		return n;
	n = node_new(t, NK_DATAFILE, e->valid ? (uint64_t)e->stat.czxid : 0, 0);
	if (!n)
		return NULL;
	n->entry = e;
	e->datafile = n;
	return n;
}

void node_pending_add(struct node_table *t, struct entry *e, int64_t now_ms)
{
	if (e->pending++ == 0) {
		e->pending_ms = now_ms;
		e->pending_next = t->pending;
		t->pending = e;
	}
}

void node_pending_del(struct node_table *t, struct entry *e)
{
	assert(e->pending > 0);
	if (--e->pending > 0)
		return;
	for (struct entry **pp = &t->pending; *pp; pp = &(*pp)->pending_next) {
		if (*pp == e) {
			*pp = e->pending_next;
			break;
		}
	}
	e->pending_next = NULL;
}

struct entry *node_pending_first(struct node_table *t)
{
	return t->pending;
}

void node_rehome(struct node_table *t, struct node *n, struct entry *from, struct entry *to)
{
	if (n == t->root || to == t->root_entry || from == to)
		return;
	if (!n)
		node_drop(t, to);
	/* What this mount made keeps its kind and mode under the new name (read
	 * from `from`: the source's delete may have detached `n` already). */
	if (from->made) {
		node_made(to, from->made_kind, 0);
		to->mode = from->mode;
		to->mode_set = from->mode_set;
	} else {
		to->made = to->mode_set = false;
	}
	from->made = from->mode_set = false;
	from->removed = true;
	if (!n)
		return;
	if (to->node != n) {
		detach_unlinked(t, to->node);
		detach_unlinked(t, to->datafile);
	}
	if (n->entry && n->entry != to) {
		node_detach(t, n->entry->datafile);
		if (n->entry->node == n)
			n->entry->node = NULL;
		if (n->entry->datafile == n)
			n->entry->datafile = NULL;
	}
	n->entry = to;
	to->node = n;
	n->adopt = true;
}

void node_made(struct entry *e, enum node_kind kind, int64_t czxid)
{
	e->removed = false;
	e->made = true;
	e->made_kind = kind;
	e->made_czxid = czxid;
}

bool node_made_is(const struct entry *e, int64_t czxid)
{
	return e->made && (e->made_czxid == 0 || e->made_czxid == czxid);
}

void node_set_mode(struct entry *e, unsigned mode, unsigned dflt)
{
	e->mode = mode & 07777;
	e->mode_set = e->mode != (dflt & 07777);
}

void node_name_stale(struct node_table *t, struct entry *e)
{
	node_send_entry(t, e);
}

void node_unmade(struct entry *e)
{
	e->made = e->mode_set = false;
}

void node_gone(struct node_table *t, struct node *n)
{
	if (n && n->kind == NK_DIR && n->entry && n->entry->node == n)
		node_detach(t, n->entry->datafile);
	node_detach(t, n);
}

void node_drop(struct node_table *t, struct entry *e)
{
	node_unmade(e);     /* gone: a later znode there is not ours */
	e->removed = true;
	detach_unlinked(t, e->node);
	detach_unlinked(t, e->datafile);
}

void node_pin(struct node *n)
{
	n->pins++;
}

void node_unpin(struct node_table *t, struct node *n)
{
	assert(n->pins > 0);
	n->pins--;
	node_maybe_free(t, n);
}

void entry_pin(struct entry *e)
{
	e->pins++;
}

void entry_unpin(struct entry *e)
{
	assert(e->pins > 0);
	e->pins--;
}

void node_ref(struct node *n)
{
	n->nlookup++;
}

void node_forget(struct node_table *t, uint64_t ino, uint64_t nlookup)
{
	struct node *n;

	node_lock(t);
	n = node_by_ino(t, ino);
	if (!n) {
		log_warn("forget of unknown inode %llu", (unsigned long long)ino);
	} else if (n->nlookup < nlookup) {
		log_err("inode %llu: forget %llu > lookup count %llu", (unsigned long long)ino,
			(unsigned long long)nlookup, (unsigned long long)n->nlookup);
		assert(n->nlookup >= nlookup);
		n->nlookup = 0;
		node_maybe_free(t, n);
	} else {
		n->nlookup -= nlookup;
		node_maybe_free(t, n);
	}
	node_unlock(t);
}

size_t node_count_inodes(struct node_table *t)
{
	size_t n;

	node_lock(t);
	n = t->ninos;
	node_unlock(t);
	return n;
}

size_t node_count_entries(struct node_table *t)
{
	size_t n;

	node_lock(t);
	n = t->npaths;
	node_unlock(t);
	return n;
}
