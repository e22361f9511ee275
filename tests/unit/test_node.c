/*
 * test_node — the inode table: inode numbers and their replacement, exact
 * lookup counts and pins, the epoch that keeps a raced fetch out of the cache,
 * the notices a watch event sends (captured here instead of reaching a
 * kernel), and the stale facts a session expiry leaves.
 *
 * Forgetting more than was counted is a bug that node_forget() asserts on;
 * only legal sequences are driven here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node.h"
#include "sink.h"

#define BASE "/asab"

/* ---- fixture ---- */

struct fx {
	struct sink sink;
	struct node_table *t;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->t = node_table_new(BASE, capture, &fx->sink);
	if (!fx->t) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	node_table_free(fx->t);
	sink_free(&fx->sink);
	free(fx);
	return 0;
}

/* An inode of `kind` for `path`, with `nlookup` lookups counted. */
static struct node *attach(struct fx *fx, const char *path, enum node_kind kind,
			   uint64_t czxid, int nlookup)
{
	struct entry *e;
	struct node *n;

	node_lock(fx->t);
	e = node_entry_get(fx->t, path);
	assert_non_null(e);
	n = node_attach(fx->t, e, kind, czxid);
	assert_non_null(n);
	for (int i = 0; i < nlookup; i++)
		node_ref(n);
	node_unlock(fx->t);
	return n;
}

static bool known(struct fx *fx, uint64_t ino)
{
	struct node *n;

	node_lock(fx->t);
	n = node_by_ino(fx->t, ino);
	node_unlock(fx->t);
	return n != NULL;
}

/* A successful fetch result as the backend returns it. */
static struct zfetch fetched(int64_t czxid, const char *data, int nchildren, ...)
{
	struct zfetch f = { 0 };
	va_list ap;

	f.stat.czxid = f.stat.mzxid = f.stat.pzxid = czxid;
	f.stat.data_length = (int32_t)strlen(data);
	f.stat.num_children = nchildren;
	f.data = zdata_new(data, strlen(data));
	f.children = calloc((size_t)nchildren + 1, sizeof(*f.children));
	assert_non_null(f.children);
	va_start(ap, nchildren);
	for (int i = 0; i < nchildren; i++)
		f.children[i] = strdup(va_arg(ap, const char *));
	va_end(ap);
	f.nchildren = (size_t)nchildren;
	return f;
}

/* Store a fetch of `path` with the current epoch; returns the entry. */
static struct entry *store(struct fx *fx, const char *path, const char *data)
{
	struct zfetch f = fetched(7, data, 0);
	struct entry *e;

	node_lock(fx->t);
	e = node_entry_get(fx->t, path);
	assert_non_null(e);
	assert_true(node_store(fx->t, e, e->epoch, &f));
	node_unlock(fx->t);
	zfetch_clear(&f);
	return e;
}

/* ---- inode numbers ---- */

static void test_root_is_ino_1_a_directory_of_the_base_path(void **state)
{
	struct fx *fx = *state;
	struct node *root;

	node_lock(fx->t);
	root = node_root(fx->t);
	assert_int_equal(root->ino, NODE_ROOT_INO);
	assert_int_equal(root->kind, NK_DIR);
	assert_ptr_equal(node_by_ino(fx->t, 1), root);
	assert_string_equal(root->entry->path, BASE);
	assert_int_equal(root->nlookup, 1);
	node_unlock(fx->t);
}

static void test_root_survives_forget(void **state)
{
	struct fx *fx = *state;

	node_forget(fx->t, NODE_ROOT_INO, 1);
	assert_true(known(fx, NODE_ROOT_INO));
	node_lock(fx->t);
	assert_ptr_equal(node_root(fx->t)->entry, node_entry(fx->t, BASE));
	node_unlock(fx->t);
}

static void test_attach_to_the_root_entry_returns_the_root(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(attach(fx, BASE, NK_DIR, 99, 0)->ino, NODE_ROOT_INO);
}

static void test_attach_numbers_inodes_from_first_ino_and_reuses_a_match(void **state)
{
	struct fx *fx = *state;
	struct node *a = attach(fx, BASE "/a", NK_FILE, 5, 1);
	struct node *b = attach(fx, BASE "/b", NK_DIR, 6, 1);

	assert_int_equal(a->ino, NODE_FIRST_INO);
	assert_int_equal(b->ino, NODE_FIRST_INO + 1);
	assert_ptr_equal(attach(fx, BASE "/a", NK_FILE, 5, 0), a);
	assert_int_equal(a->nlookup, 1);
}

static void test_attach_with_another_czxid_gives_a_new_ino_and_detaches_the_old(void **state)
{
	struct fx *fx = *state;
	struct node *old = attach(fx, BASE "/a", NK_FILE, 5, 1);
	uint64_t old_ino = old->ino;
	struct node *n = attach(fx, BASE "/a", NK_FILE, 8, 1);

	assert_int_not_equal(n->ino, old_ino);
	assert_true(n->ino > old_ino);
	assert_int_equal(n->czxid, 8);
	/* The kernel still holds the old ino: it stays, detached. */
	assert_true(known(fx, old_ino));
	assert_null(old->entry);
	node_lock(fx->t);
	assert_ptr_equal(node_entry(fx->t, BASE "/a")->node, n);
	node_unlock(fx->t);
	node_forget(fx->t, old_ino, 1);
	assert_false(known(fx, old_ino));
}

static void test_attach_with_another_kind_detaches_the_inode_and_its_datafile(void **state)
{
	struct fx *fx = *state;
	struct node *dir = attach(fx, BASE "/d", NK_DIR, 5, 1);
	struct node *df, *file;
	uint64_t dir_ino = dir->ino, df_ino;

	node_lock(fx->t);
	df = node_datafile(fx->t, dir->entry);
	assert_non_null(df);
	node_ref(df);
	df_ino = df->ino;
	node_unlock(fx->t);

	file = attach(fx, BASE "/d", NK_FILE, 5, 1);
	assert_int_equal(file->kind, NK_FILE);
	assert_int_not_equal(file->ino, dir_ino);
	assert_null(dir->entry);
	assert_null(df->entry);
	node_lock(fx->t);
	assert_null(node_entry(fx->t, BASE "/d")->datafile);
	node_unlock(fx->t);
	node_forget(fx->t, dir_ino, 1);
	node_forget(fx->t, df_ino, 1);
	assert_false(known(fx, dir_ino));
	assert_false(known(fx, df_ino));
}

static void test_replaced_inode_the_kernel_does_not_hold_is_freed(void **state)
{
	struct fx *fx = *state;
	uint64_t old_ino = attach(fx, BASE "/a", NK_FILE, 5, 0)->ino;
	size_t before = node_count_inodes(fx->t);

	attach(fx, BASE "/a", NK_DIR, 5, 1);
	assert_false(known(fx, old_ino));
	assert_int_equal(node_count_inodes(fx->t), before);
}

static void test_datafile_inode_is_made_once_per_directory(void **state)
{
	struct fx *fx = *state;
	struct node *dir = attach(fx, BASE "/d", NK_DIR, 5, 1);
	struct node *a, *b;

	node_lock(fx->t);
	a = node_datafile(fx->t, dir->entry);
	b = node_datafile(fx->t, dir->entry);
	assert_non_null(a);
	assert_ptr_equal(a, b);
	assert_int_equal(a->kind, NK_DATAFILE);
	assert_int_not_equal(a->ino, dir->ino);
	assert_ptr_equal(a->entry, dir->entry);
	node_ref(a);
	node_unlock(fx->t);
}

/* ---- lookup counts ---- */

static void test_forget_to_zero_frees_an_unpinned_node(void **state)
{
	struct fx *fx = *state;
	uint64_t ino = attach(fx, BASE "/a", NK_FILE, 5, 1)->ino;
	size_t before = node_count_inodes(fx->t);

	node_forget(fx->t, ino, 1);
	assert_false(known(fx, ino));
	assert_int_equal(node_count_inodes(fx->t), before - 1);
	node_lock(fx->t);
	assert_null(node_entry(fx->t, BASE "/a")->node);
	node_unlock(fx->t);
}

static void test_forget_subtracts_exactly(void **state)
{
	struct fx *fx = *state;
	struct node *n = attach(fx, BASE "/a", NK_FILE, 5, 3);
	uint64_t ino = n->ino;

	node_forget(fx->t, ino, 2);
	assert_true(known(fx, ino));
	assert_int_equal(n->nlookup, 1);
	node_forget(fx->t, ino, 1);
	assert_false(known(fx, ino));
}

static void test_pinned_node_survives_forget_until_unpinned(void **state)
{
	struct fx *fx = *state;
	struct node *n = attach(fx, BASE "/a", NK_FILE, 5, 1);
	uint64_t ino = n->ino;

	node_lock(fx->t);
	node_pin(n);
	node_unlock(fx->t);
	node_forget(fx->t, ino, 1);
	assert_true(known(fx, ino));
	node_lock(fx->t);
	node_unpin(fx->t, n);
	node_unlock(fx->t);
	assert_false(known(fx, ino));
}

static void test_forget_of_an_unknown_ino_is_ignored(void **state)
{
	struct fx *fx = *state;
	size_t before = node_count_inodes(fx->t);

	node_forget(fx->t, 12345, 1);
	assert_int_equal(node_count_inodes(fx->t), before);
}

/* ---- facts and epochs ---- */

static void test_store_takes_the_facts_and_sorts_the_children(void **state)
{
	struct fx *fx = *state;
	struct zfetch f = fetched(7, "xyz", 3, "b", "c", "a");
	struct entry *e;

	node_lock(fx->t);
	e = node_entry_get(fx->t, BASE "/d");
	assert_true(node_store(fx->t, e, e->epoch, &f));
	assert_true(e->valid);
	assert_false(e->absent);
	assert_null(f.data);
	assert_null(f.children);
	assert_int_equal(f.nchildren, 0);
	assert_int_equal(e->stat.czxid, 7);
	assert_memory_equal(e->data->bytes, "xyz", 3);
	assert_int_equal(e->nchildren, 3);
	assert_string_equal(e->children[0], "a");
	assert_string_equal(e->children[1], "b");
	assert_string_equal(e->children[2], "c");
	node_unlock(fx->t);
	zfetch_clear(&f);
}

static void test_store_refuses_when_the_epoch_moved(void **state)
{
	struct fx *fx = *state;
	struct zfetch f = fetched(7, "old", 1, "x");
	struct entry *e;
	uint64_t epoch;

	node_lock(fx->t);
	e = node_entry_get(fx->t, BASE "/a");
	epoch = e->epoch;
	node_unlock(fx->t);
	/* The event arrives while the fetch is in flight. */
	node_on_watch(fx->t, ZEV_CHANGED, BASE "/a", NULL, NULL, NULL);
	node_lock(fx->t);
	assert_int_not_equal(e->epoch, epoch);
	assert_false(node_store(fx->t, e, epoch, &f));
	assert_false(e->valid);
	assert_null(e->data);
	node_unlock(fx->t);
	/* The caller still owns what it fetched. */
	assert_non_null(f.data);
	assert_int_equal(f.nchildren, 1);
	zfetch_clear(&f);
}

static void test_store_absent_records_absence_unless_the_epoch_moved(void **state)
{
	struct fx *fx = *state;
	struct entry *e;
	uint64_t epoch;

	node_lock(fx->t);
	e = node_entry_get(fx->t, BASE "/gone");
	epoch = e->epoch;
	assert_true(node_store_absent(fx->t, e, epoch));
	assert_true(e->absent);
	assert_false(e->valid);
	node_unlock(fx->t);

	node_on_watch(fx->t, ZEV_CREATED, BASE "/gone", NULL, NULL, NULL);
	node_lock(fx->t);
	assert_false(e->absent);
	assert_false(node_store_absent(fx->t, e, epoch));
	assert_false(e->absent);
	node_unlock(fx->t);
}

/* ---- watch events ---- */

static void test_watch_bumps_the_epoch_and_drops_the_facts(void **state)
{
	struct fx *fx = *state;
	struct entry *e = store(fx, BASE "/a", "data");
	uint64_t epoch = e->epoch;

	node_on_watch(fx->t, ZEV_CHANGED, BASE "/a", NULL, NULL, NULL);
	node_lock(fx->t);
	assert_int_equal(e->epoch, epoch + 1);
	assert_false(e->valid);
	assert_null(e->data);
	assert_null(e->children);
	node_unlock(fx->t);
}

static void test_watch_invalidates_only_inodes_the_kernel_knows(void **state)
{
	struct fx *fx = *state;
	struct node *held = attach(fx, BASE "/held", NK_FILE, 5, 1);
	struct node *listed = attach(fx, BASE "/listed", NK_FILE, 6, 0);

	node_lock(fx->t);
	node_pin(listed);      /* named by an open directory listing, never looked up */
	node_unlock(fx->t);

	node_on_watch(fx->t, ZEV_CHANGED, BASE "/held", NULL, NULL, NULL);
	node_on_watch(fx->t, ZEV_CHANGED, BASE "/listed", NULL, NULL, NULL);
	assert_int_equal(count_inode(&fx->sink, held->ino), 1);
	assert_int_equal(count_inode(&fx->sink, listed->ino), 0);

	node_lock(fx->t);
	node_unpin(fx->t, listed);
	node_unlock(fx->t);
}

static void test_watch_invalidates_the_name_when_the_parent_is_known(void **state)
{
	struct fx *fx = *state;
	struct node *d = attach(fx, BASE "/d", NK_DIR, 5, 1);

	struct entry *top;

	attach(fx, BASE "/d/f", NK_FILE, 6, 1);
	/* "top" is known absent: the kernel may hold a negative entry for it. */
	node_lock(fx->t);
	top = node_entry_get(fx->t, BASE "/top");
	assert_true(node_store_absent(fx->t, top, top->epoch));
	node_unlock(fx->t);
	node_on_watch(fx->t, ZEV_CHANGED, BASE "/d/f", NULL, NULL, NULL);
	node_on_watch(fx->t, ZEV_CREATED, BASE "/top", NULL, NULL, NULL);
	assert_int_equal(count_entry(&fx->sink, d->ino, "f"), 1);
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "top"), 1);
}

static void test_watch_sends_no_entry_notice_when_the_parent_is_unknown(void **state)
{
	struct fx *fx = *state;
	struct node *f;

	/* "/asab/u" has an entry but no inode; "/asab/v" has an inode nobody holds. */
	store(fx, BASE "/u", "");
	f = attach(fx, BASE "/v/f", NK_FILE, 6, 1);
	attach(fx, BASE "/v", NK_DIR, 5, 0);          /* the kernel does not hold it */
	store(fx, BASE "/u/f", "x");

	node_on_watch(fx->t, ZEV_CHANGED, BASE "/u/f", NULL, NULL, NULL);
	node_on_watch(fx->t, ZEV_CHANGED, BASE "/v/f", NULL, NULL, NULL);
	for (int i = 0; i < fx->sink.n; i++)
		assert_int_not_equal(fx->sink.v[i].kind, NOTICE_INVAL_ENTRY);
	assert_int_equal(count_inode(&fx->sink, f->ino), 1);
	assert_int_equal(fx->sink.n, 1);
}

static void test_watch_on_a_directory_invalidates_its_datafile(void **state)
{
	struct fx *fx = *state;
	struct node *d = attach(fx, BASE "/d", NK_DIR, 5, 1);
	struct node *df;

	node_lock(fx->t);
	df = node_datafile(fx->t, d->entry);
	node_ref(df);
	node_unlock(fx->t);
	node_on_watch(fx->t, ZEV_CHANGED, BASE "/d", NULL, NULL, NULL);
	assert_int_equal(count_inode(&fx->sink, d->ino), 1);
	assert_int_equal(count_inode(&fx->sink, df->ino), 1);
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "d"), 1);
}

static void test_deleted_event_detaches_the_inode(void **state)
{
	struct fx *fx = *state;
	struct node *n = attach(fx, BASE "/a", NK_FILE, 5, 1);
	uint64_t ino = n->ino;

	node_on_watch(fx->t, ZEV_DELETED, BASE "/a", NULL, NULL, NULL);
	assert_int_equal(count_inode(&fx->sink, ino), 1);
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "a"), 1);
	assert_true(known(fx, ino));     /* the kernel still holds it */
	assert_null(n->entry);
	node_lock(fx->t);
	assert_null(node_entry(fx->t, BASE "/a")->node);
	node_unlock(fx->t);
	node_forget(fx->t, ino, 1);
	assert_false(known(fx, ino));
	/* A new incarnation gets a new inode. */
	assert_int_not_equal(attach(fx, BASE "/a", NK_FILE, 5, 1)->ino, ino);
}

static void test_changed_event_keeps_the_inode(void **state)
{
	struct fx *fx = *state;
	struct node *n = attach(fx, BASE "/a", NK_FILE, 5, 1);

	node_on_watch(fx->t, ZEV_CHANGED, BASE "/a", NULL, NULL, NULL);
	node_lock(fx->t);
	assert_ptr_equal(node_entry(fx->t, BASE "/a")->node, n);
	assert_non_null(n->entry);
	node_unlock(fx->t);
}

static void test_watch_on_an_unknown_path_sends_nothing(void **state)
{
	struct fx *fx = *state;
	size_t entries = node_count_entries(fx->t);

	node_on_watch(fx->t, ZEV_CHANGED, BASE "/never-seen", NULL, NULL, NULL);
	assert_int_equal(fx->sink.n, 0);
	assert_int_equal(node_count_entries(fx->t), entries);
}

/* ---- session expiry ---- */

static void test_expiry_keeps_every_fact_stale_and_sends_no_notice(void **state)
{
	struct fx *fx = *state;
	struct node *d = attach(fx, BASE "/d", NK_DIR, 5, 1);
	struct node *f = attach(fx, BASE "/d/f", NK_FILE, 6, 2);
	struct entry *ed, *ef, *ea, *eroot, *bare;
	uint64_t epoch_f, epoch_bare;
	char **paths;
	size_t n, watched;

	ed = store(fx, BASE "/d", "");
	ef = store(fx, BASE "/d/f", "x");
	eroot = store(fx, BASE, "");
	node_lock(fx->t);
	ea = node_entry_get(fx->t, BASE "/absent");
	assert_true(node_store_absent(fx->t, ea, ea->epoch));
	bare = node_entry_get(fx->t, BASE "/bare");    /* no facts */
	epoch_f = ef->epoch;
	epoch_bare = bare->epoch;
	assert_int_equal(node_stale_count(fx->t), 0);
	node_unlock(fx->t);
	watched = node_watch_bytes(fx->t);

	node_on_expired(fx->t);

	node_lock(fx->t);
	/* The facts stay, served as while SUSPENDED, marked stale. */
	assert_true(ed->valid && ed->stale);
	assert_true(ef->valid && ef->stale);
	assert_int_equal(ef->data->len, 1);
	assert_memory_equal(ef->data->bytes, "x", 1);
	assert_true(eroot->valid && eroot->stale);
	assert_true(ea->absent && ea->stale);
	assert_false(bare->stale);
	/* Every epoch moved: a fetch in flight left its watches on the dead
	 * session and must not be stored. */
	assert_int_equal(ef->epoch, epoch_f + 1);
	assert_int_equal(bare->epoch, epoch_bare + 1);
	assert_int_equal(node_stale_count(fx->t), 4);
	paths = node_stale_paths(fx->t, &n);
	node_unlock(fx->t);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	/* Nothing for the kernel, and the weight of the watches is what the
	 * revalidation re-arms. */
	assert_int_equal(fx->sink.n, 0);
	assert_int_equal(node_watch_bytes(fx->t), watched);
	assert_true(known(fx, f->ino));
	assert_true(known(fx, d->ino));
	assert_ptr_equal(f->entry, ef);

	/* A second expiry marks nothing twice. */
	node_on_expired(fx->t);
	node_lock(fx->t);
	assert_int_equal(node_stale_count(fx->t), 4);
	node_unlock(fx->t);
}

static void test_stale_ends_when_facts_are_confirmed_dropped_or_replaced(void **state)
{
	struct fx *fx = *state;
	struct entry *a, *b, *c;
	struct zfetch fc = fetched(9, "new", 0);

	a = store(fx, BASE "/a.conf", "a");
	b = store(fx, BASE "/b.conf", "b");
	c = store(fx, BASE "/c.conf", "c");
	node_on_expired(fx->t);
	node_lock(fx->t);
	assert_int_equal(node_stale_count(fx->t), 3);
	node_revalidated(fx->t, a);
	assert_false(a->stale);
	assert_true(a->valid);
	node_revalidated(fx->t, a);                        /* once only */
	assert_int_equal(node_stale_count(fx->t), 2);
	assert_true(node_store(fx->t, c, c->epoch, &fc));  /* a fetch of now */
	assert_false(c->stale);
	assert_int_equal(node_stale_count(fx->t), 1);
	node_unlock(fx->t);
	zfetch_clear(&fc);
	node_on_watch(fx->t, ZEV_CHANGED, BASE "/b.conf", NULL, NULL, NULL);
	node_lock(fx->t);
	assert_false(b->stale);
	assert_false(b->valid);
	assert_int_equal(node_stale_count(fx->t), 0);
	assert_null(node_stale_paths(fx->t, &(size_t){ 0 }));
	node_unlock(fx->t);
}

/* ---- the table does not grow forever ---- */

static void test_unused_entries_are_swept_and_absent_names_invalidated(void **state)
{
	struct fx *fx = *state;
	struct entry *kept, *pinned;
	struct node *n;
	char path[64];

	n = attach(fx, BASE "/kept.conf", NK_FILE, 5, 1);
	node_lock(fx->t);
	kept = n->entry;
	pinned = node_entry_get(fx->t, BASE "/pinned");
	entry_pin(pinned);
	/* Root, kept.conf and pinned are 3: fill the table to the threshold. */
	for (unsigned i = 0; i < NODE_SWEEP_MIN - 3; i++) {
		struct entry *e;

		snprintf(path, sizeof(path), BASE "/absent%u", i);
		e = node_entry_get(fx->t, path);
		assert_non_null(e);
		assert_true(node_store_absent(fx->t, e, e->epoch));
	}
	node_unlock(fx->t);
	/* The next new entry sweeps: only the root, the inode's entry, the pinned
	 * one and the new one are left. */
	assert_non_null(store(fx, BASE "/new.conf", "x"));
	assert_int_equal(node_count_entries(fx->t), 4);
	node_lock(fx->t);
	assert_ptr_equal(node_entry(fx->t, BASE "/kept.conf"), kept);
	assert_ptr_equal(node_entry(fx->t, BASE "/pinned"), pinned);
	assert_null(node_entry(fx->t, BASE "/absent0"));
	entry_unpin(pinned);
	node_unlock(fx->t);
	/* The kernel may hold a negative entry for each absent name: dropped. */
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "absent0"), 1);
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "absent4092"), 1);
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "pinned"), 0);
}

/* ---- the watch budget ---- */

struct unwatched {
	char paths[16][32];
	int n;
};

static void record_unwatch(void *ctx, const char *path)
{
	struct unwatched *u = ctx;

	if (u->n < 16)
		snprintf(u->paths[u->n], sizeof(u->paths[0]), "%s", path);
	u->n++;
}

static bool was_unwatched(const struct unwatched *u, const char *path)
{
	for (int i = 0; i < u->n && i < 16; i++)
		if (strcmp(u->paths[i], path) == 0)
			return true;
	return false;
}

static void test_watches_are_weighed_as_the_client_re_registers_them(void **state)
{
	struct fx *fx = *state;
	struct unwatched u = { .n = 0 };
	struct entry *e;

	node_set_watch_budget(fx->t, 0, record_unwatch, &u);
	store(fx, BASE "/a.conf", "x");                 /* data + child: 2 x (4 + 12) */
	assert_int_equal(node_watch_bytes(fx->t), 32);
	node_lock(fx->t);
	e = node_entry_get(fx->t, BASE "/gone");
	assert_true(node_store_absent(fx->t, e, e->epoch));   /* exists: 4 + 10 */
	node_unlock(fx->t);
	assert_int_equal(node_watch_bytes(fx->t), 46);
	node_on_watch(fx->t, ZEV_CHANGED, BASE "/a.conf", NULL, NULL, NULL);
	assert_int_equal(node_watch_bytes(fx->t), 14);
	node_on_expired(fx->t);      /* facts kept: their watches are re-armed */
	assert_int_equal(node_watch_bytes(fx->t), 14);
	assert_int_equal(u.n, 0);    /* no budget: nothing dropped for it */
}

static void test_over_budget_the_least_recently_used_facts_go(void **state)
{
	struct fx *fx = *state;
	struct unwatched u = { .n = 0 };
	struct node *n;
	struct entry *e0, *e1, *e2, *e3;

	/* Each "/asab/fN.conf" weighs 2 x (4 + 13) = 34: room for three. */
	node_set_watch_budget(fx->t, 110, record_unwatch, &u);
	n = attach(fx, BASE "/f0.conf", NK_FILE, 7, 1);
	e0 = store(fx, BASE "/f0.conf", "0");
	e1 = store(fx, BASE "/f1.conf", "1");
	e2 = store(fx, BASE "/f2.conf", "2");
	node_lock(fx->t);
	node_touch(fx->t, e0);         /* f0 used again: f1 is now the oldest */
	node_unlock(fx->t);
	assert_int_equal(node_watch_bytes(fx->t), 102);
	assert_int_equal(u.n, 0);

	e3 = store(fx, BASE "/f3.conf", "3");          /* 136 > 110: down to 7/8 */
	assert_true(node_watch_bytes(fx->t) <= 110 - 110 / 8);
	assert_int_equal(u.n, 2);
	assert_true(was_unwatched(&u, BASE "/f1.conf"));
	assert_true(was_unwatched(&u, BASE "/f2.conf"));
	assert_false(e1->valid);
	assert_false(e2->valid);
	assert_true(e0->valid);
	assert_true(e3->valid);
	/* The kernel is told, as after an event: f0's inode was not dropped. */
	assert_int_equal(count_inode(&fx->sink, n->ino), 0);
}

static void test_pinned_entries_and_the_one_stored_are_not_dropped(void **state)
{
	struct fx *fx = *state;
	struct unwatched u = { .n = 0 };
	struct node *n;
	struct entry *e0, *e1;

	node_set_watch_budget(fx->t, 40, record_unwatch, &u);
	n = attach(fx, BASE "/f0.conf", NK_FILE, 7, 1);
	e0 = store(fx, BASE "/f0.conf", "0");
	node_lock(fx->t);
	entry_pin(e0);                 /* a request is using its facts */
	node_unlock(fx->t);
	e1 = store(fx, BASE "/f1.conf", "1");          /* 68 > 40, nothing may go */
	assert_true(e0->valid);
	assert_true(e1->valid);
	assert_int_equal(u.n, 0);
	node_lock(fx->t);
	entry_unpin(e0);
	node_unlock(fx->t);
	store(fx, BASE "/f2.conf", "2");               /* now f0 and f1 may go */
	assert_false(e0->valid);
	assert_true(was_unwatched(&u, BASE "/f0.conf"));
	assert_int_equal(count_inode(&fx->sink, n->ino), 1);   /* its inode is told */
}

static void test_unwatch_all_drops_every_fact_and_unwatches_every_path(void **state)
{
	struct fx *fx = *state;
	struct unwatched u = { .n = 0 };
	struct entry *e;

	node_set_watch_budget(fx->t, 0, record_unwatch, &u);
	e = store(fx, BASE "/f0.conf", "0");
	node_unwatch_all(fx->t);
	assert_false(e->valid);
	assert_int_equal(node_watch_bytes(fx->t), 0);
	assert_true(was_unwatched(&u, BASE "/f0.conf"));
	assert_true(was_unwatched(&u, BASE));           /* the root entry too */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_unused_entries_are_swept_and_absent_names_invalidated),
		T(test_root_is_ino_1_a_directory_of_the_base_path),
		T(test_root_survives_forget),
		T(test_attach_to_the_root_entry_returns_the_root),
		T(test_attach_numbers_inodes_from_first_ino_and_reuses_a_match),
		T(test_attach_with_another_czxid_gives_a_new_ino_and_detaches_the_old),
		T(test_attach_with_another_kind_detaches_the_inode_and_its_datafile),
		T(test_replaced_inode_the_kernel_does_not_hold_is_freed),
		T(test_datafile_inode_is_made_once_per_directory),
		T(test_forget_to_zero_frees_an_unpinned_node),
		T(test_forget_subtracts_exactly),
		T(test_pinned_node_survives_forget_until_unpinned),
		T(test_forget_of_an_unknown_ino_is_ignored),
		T(test_store_takes_the_facts_and_sorts_the_children),
		T(test_store_refuses_when_the_epoch_moved),
		T(test_store_absent_records_absence_unless_the_epoch_moved),
		T(test_watch_bumps_the_epoch_and_drops_the_facts),
		T(test_watch_invalidates_only_inodes_the_kernel_knows),
		T(test_watch_invalidates_the_name_when_the_parent_is_known),
		T(test_watch_sends_no_entry_notice_when_the_parent_is_unknown),
		T(test_watch_on_a_directory_invalidates_its_datafile),
		T(test_deleted_event_detaches_the_inode),
		T(test_changed_event_keeps_the_inode),
		T(test_watch_on_an_unknown_path_sends_nothing),
		T(test_expiry_keeps_every_fact_stale_and_sends_no_notice),
		T(test_stale_ends_when_facts_are_confirmed_dropped_or_replaced),
		T(test_watches_are_weighed_as_the_client_re_registers_them),
		T(test_over_budget_the_least_recently_used_facts_go),
		T(test_pinned_entries_and_the_one_stored_are_not_dropped),
		T(test_unwatch_all_drops_every_fact_and_unwatches_every_path),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
