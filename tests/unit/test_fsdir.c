/*
 * test_fsdir — directories on the in-memory backend, without a kernel or a
 * server (SPEC.md §3, §4, §6): listings (opendir/readdir: `.` and `..` then
 * sorted names with inode numbers and types, one batch for 1000 children,
 * the listing cache and the event that drops it, an event racing a listing's
 * fetch), the virtual entries a listing shows (a directory's `.data`, `.state`
 * in the root only, real children they shadow), the lookup counts of dirents
 * and of lookups that forget frees, and opendir of a file. The rest of the
 * filesystem semantics is test_fsops; the fixture is fsfx.h.
 *
 * The mount's base path is /asab; its children are made with mk().
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fsfx.h"

/* ---- .data ---- */

static void test_datafile_is_reachable_while_the_directory_data_is_empty(void **state)
{
	struct fx *fx = *state;
	uint64_t d, df;
	struct fs_entry e;

	mk(fx, "locks", NULL, false);
	d = lookup(fx, NODE_ROOT_INO, "locks");
	e = lookup_entry(fx, d, ".data");
	df = e.ino;
	assert_int_not_equal(df, d);
	assert_int_equal(e.attr.st_mode & S_IFMT, S_IFREG);
	assert_int_equal(e.attr.st_size, 0);
	assert_content(fx, df, "");
}

static void test_datafile_is_listed_only_while_the_directory_has_data(void **state)
{
	struct fx *fx = *state;
	uint64_t d;

	mk(fx, "d", NULL, false);
	mk(fx, "d/c", NULL, false);
	d = lookup(fx, NODE_ROOT_INO, "d");
	assert_listing(fx, d, ". .. c");
	set(fx, "d", "dir data");
	assert_listing(fx, d, ". .. .data c");
	set(fx, "d", "");
	assert_listing(fx, d, ". .. c");
}

static void test_datafile_reads_the_directory_znode_data(void **state)
{
	struct fx *fx = *state;
	uint64_t d, df;

	mk(fx, "d", "v1", false);
	mk(fx, "d/c", NULL, false);
	d = lookup(fx, NODE_ROOT_INO, "d");
	df = lookup(fx, d, ".data");
	assert_int_equal(lookup_entry(fx, d, ".data").attr.st_size, 2);
	assert_content(fx, df, "v1");
	set(fx, "d", "version two");
	assert_true(count_inode(&fx->sink, df) >= 1);
	assert_content(fx, df, "version two");
}

/* A data change keeps the kernel's name when it cannot change the type (an
 * extension, children): only the inode is invalidated, so a busy directory's
 * lock is not needed. Where it can (a childless, extensionless znode: empty
 * is a directory), the name goes too. */
static void test_a_data_change_drops_the_name_only_when_the_type_may_change(void **state)
{
	struct fx *fx = *state;
	uint64_t conf, bare, d;

	mk(fx, "a.conf", "1", false);
	mk(fx, "bare", "1", false);
	mk(fx, "d", "x", false);
	mk(fx, "d/c", NULL, false);
	conf = lookup(fx, NODE_ROOT_INO, "a.conf");
	bare = lookup(fx, NODE_ROOT_INO, "bare");
	d = lookup(fx, NODE_ROOT_INO, "d");
	assert_int_equal(type_of(fx, "bare"), S_IFREG);

	set(fx, "a.conf", "2");
	assert_int_equal(count_inode(&fx->sink, conf), 1);
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "a.conf"), 0);
	assert_content(fx, conf, "2");
	set(fx, "d", "y");
	assert_int_equal(count_inode(&fx->sink, d), 1);
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "d"), 0);

	set(fx, "bare", "");
	assert_int_equal(count_inode(&fx->sink, bare), 1);
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "bare"), 1);
	assert_int_equal(type_of(fx, "bare"), S_IFDIR);
}

static void test_real_children_named_like_virtual_files_are_shadowed(void **state)
{
	struct fx *fx = *state;
	uint64_t d;

	set(fx, "", "root data");
	mk(fx, ".state", "real state", false);
	mk(fx, ".data", "real data", false);
	mk(fx, "d", "d data", false);
	mk(fx, "d/.data", "child data", false);

	assert_int_equal(lookup(fx, NODE_ROOT_INO, ".state"), VFILE_STATE_INO);
	assert_content(fx, VFILE_STATE_INO, "LOST\n");
	assert_content(fx, lookup(fx, NODE_ROOT_INO, ".data"), "root data");
	d = lookup(fx, NODE_ROOT_INO, "d");
	assert_content(fx, lookup(fx, d, ".data"), "d data");
	assert_listing(fx, NODE_ROOT_INO, ". .. .state .data d");
	assert_listing(fx, d, ". .. .data");
}

/* ---- .state in listings (SPEC §6) ---- */

static void test_state_is_listed_in_the_root_only(void **state)
{
	struct fx *fx = *state;
	struct fs_entry e;
	uint64_t d;

	mk(fx, "d", NULL, false);
	mk(fx, "d/c", NULL, false);
	d = lookup(fx, NODE_ROOT_INO, "d");
	assert_listing(fx, NODE_ROOT_INO, ". .. .state d");
	assert_listing(fx, d, ". .. c");
	assert_int_equal(fs_lookup(fx->fs, d, ".state", &e), ENOENT);
}

/* ---- an event that races a listing's fetch ---- */

static void test_event_during_a_listing_fetch_refetches_the_dropped_child(void **state)
{
	struct fx *fx = *state;
	struct race r = { .path = BASE "/d/a", .what = RACE_SET };
	const struct fs_dirent *ent;
	struct fs_dir *dh;
	uint64_t d;
	size_t before, paths;
	bool keep;

	mk(fx, "d", NULL, false);
	mk(fx, "d/a", "1", false);
	mk(fx, "d/b", "2", false);
	d = lookup(fx, NODE_ROOT_INO, "d");
	lookup(fx, d, "a");                 /* cached: only b is fetched at opendir */
	before = fetches(fx);
	paths = memback_fetched_paths(fx->m);
	memback_set_fetch_hook(fx->m, race_hook, &r);   /* drops a's facts meanwhile */

	assert_int_equal(fs_opendir(fx->fs, d, &dh, &keep), 0);
	assert_int_equal(fetches(fx), before + 2);
	assert_int_equal(memback_fetched_paths(fx->m), paths + 2);
	assert_non_null(ent = fs_readdir(dh, 2));
	assert_string_equal(ent->name, "a");
	assert_int_equal(ent->entry.attr.st_size, 5);
	assert_non_null(ent = fs_readdir(dh, 3));
	assert_string_equal(ent->name, "b");
	assert_null(fs_readdir(dh, 4));
	fs_releasedir(fx->fs, dh);
}

/* ---- listings ---- */

static void test_listing_is_dot_dotdot_then_sorted_names(void **state)
{
	struct fx *fx = *state;
	const struct fs_dirent *ent;
	struct fs_dir *dh;
	uint64_t d;
	bool keep;

	mk(fx, "b", "x", false);
	mk(fx, "a.conf", NULL, false);
	mk(fx, "_x", NULL, false);
	mk(fx, "C", "y", false);
	assert_listing(fx, NODE_ROOT_INO, ". .. .state C _x a.conf b");
	mk(fx, "d", "dir", false);
	mk(fx, "d/z", NULL, false);
	mk(fx, "d/a", NULL, false);
	d = lookup(fx, NODE_ROOT_INO, "d");
	assert_listing(fx, d, ". .. .data a z");

	/* Entries carry inode numbers and types. */
	assert_int_equal(fs_opendir(fx->fs, NODE_ROOT_INO, &dh, &keep), 0);
	for (size_t i = 0; (ent = fs_readdir(dh, i)) != NULL; i++) {
		mode_t type = ent->entry.attr.st_mode & S_IFMT;
		if (strcmp(ent->name, "..") == 0)
			continue;
		if (strcmp(ent->name, ".") != 0)
			assert_int_equal(ent->entry.attr.st_ino, ent->entry.ino);
		if (strcmp(ent->name, "d") == 0 || strcmp(ent->name, "_x") == 0 ||
		    strcmp(ent->name, ".") == 0)
			assert_int_equal(type, S_IFDIR);
		else
			assert_int_equal(type, S_IFREG);
	}
	assert_int_equal(fs_readdir(dh, 1)->entry.attr.st_mode & S_IFMT, S_IFDIR);
	fs_releasedir(fx->fs, dh);
}

static void test_listing_of_1000_children_is_one_batch(void **state)
{
	struct fx *fx = *state;
	struct fs_dir *dh;
	const struct fs_dirent *ent;
	char path[64], expect[16];
	size_t before, paths;
	uint64_t d;
	bool keep;

	mk(fx, "big", NULL, false);
	for (int i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), BASE "/big/c%04d", i);
		assert_int_equal(memback_create(fx->m, path, "v", 1, false), 0);
	}
	d = lookup(fx, NODE_ROOT_INO, "big");
	before = fetches(fx);
	paths = memback_fetched_paths(fx->m);

	assert_int_equal(fs_opendir(fx->fs, d, &dh, &keep), 0);
	assert_int_equal(fetches(fx), before + 1);
	assert_int_equal(memback_fetched_paths(fx->m), paths + 1000);
	for (int i = 0; i < 1000; i++) {
		assert_non_null(ent = fs_readdir(dh, (size_t)i + 2));
		snprintf(expect, sizeof(expect), "c%04d", i);
		assert_string_equal(ent->name, expect);
		assert_true(ent->entry.entry_timeout > 0);
	}
	assert_null(fs_readdir(dh, 1002));
	fs_releasedir(fx->fs, dh);

	/* A second listing is served from the cache, and the kernel may keep it. */
	assert_int_equal(fs_opendir(fx->fs, d, &dh, &keep), 0);
	assert_int_equal(fetches(fx), before + 1);
	assert_true(keep);
	fs_releasedir(fx->fs, dh);
}

static void test_listing_cache_is_dropped_when_a_child_comes(void **state)
{
	struct fx *fx = *state;
	struct fs_dir *dh;
	uint64_t d;
	bool keep;

	mk(fx, "d", NULL, false);
	mk(fx, "d/a", NULL, false);
	d = lookup(fx, NODE_ROOT_INO, "d");
	assert_listing(fx, d, ". .. a");
	mk(fx, "d/b", NULL, false);
	assert_int_equal(count_inode(&fx->sink, d), 1);
	assert_int_equal(fs_opendir(fx->fs, d, &dh, &keep), 0);
	assert_false(keep);
	fs_releasedir(fx->fs, dh);
	assert_listing(fx, d, ". .. a b");
}

static void test_dirent_ref_counts_a_lookup(void **state)
{
	struct fx *fx = *state;
	const struct fs_dirent *ent;
	struct fs_dir *dh;
	uint64_t held, dropped;
	bool keep;

	mk(fx, "held.txt", "1", false);
	mk(fx, "dropped.txt", "2", false);
	assert_int_equal(fs_opendir(fx->fs, NODE_ROOT_INO, &dh, &keep), 0);
	assert_non_null(ent = fs_readdir(dh, 3));
	assert_string_equal(ent->name, "dropped.txt");
	dropped = ent->entry.ino;
	assert_non_null(ent = fs_readdir(dh, 4));
	assert_string_equal(ent->name, "held.txt");
	held = ent->entry.ino;
	fs_dirent_ref(fx->fs, ent);
	fs_dirent_ref(fx->fs, fs_readdir(dh, 0));   /* "." is not counted */
	fs_dirent_ref(fx->fs, fs_readdir(dh, 2));   /* nor .state */
	fs_releasedir(fx->fs, dh);

	assert_null(table_node(fx, dropped));
	assert_non_null(table_node(fx, held));
	assert_int_equal(table_node(fx, held)->nlookup, 1);
	assert_int_equal(table_node(fx, NODE_ROOT_INO)->nlookup, 1);
	assert_int_equal(lookup(fx, NODE_ROOT_INO, "held.txt"), held);
	fs_forget(fx->fs, held, 2);
	assert_null(table_node(fx, held));
}

static void test_lookup_counts_and_forget_free_the_inode(void **state)
{
	struct fx *fx = *state;
	size_t before;
	uint64_t f;

	mk(fx, "f.txt", "x", false);
	before = node_count_inodes(fs_table(fx->fs));
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	assert_int_equal(lookup(fx, NODE_ROOT_INO, "f.txt"), f);
	assert_int_equal(node_count_inodes(fs_table(fx->fs)), before + 1);
	fs_forget(fx->fs, f, 1);
	assert_non_null(table_node(fx, f));
	fs_forget(fx->fs, f, 1);
	assert_null(table_node(fx, f));
	assert_int_equal(node_count_inodes(fs_table(fx->fs)), before);
	fs_forget(fx->fs, VFILE_STATE_INO, 1);      /* .state is not counted: ignored */
}

/* ---- errors ---- */

static void test_opendir_of_a_file_is_ENOTDIR(void **state)
{
	struct fx *fx = *state;
	struct fs_entry e;
	struct fs_dir *dh;
	bool keep;
	uint64_t f;

	mk(fx, "f.txt", "x", false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	assert_int_equal(fs_opendir(fx->fs, f, &dh, &keep), ENOTDIR);
	assert_int_equal(fs_lookup(fx->fs, f, "x", &e), ENOTDIR);
}

static void test_after_a_detach_new_names_are_ENOTCONN_and_open_files_read(void **state)
{
	struct fx *fx = *state;
	struct fs_open_reply r;
	struct fs_entry e;
	struct fs_file *fh, *nf;
	struct fs_dir *dh;
	const char *buf;
	size_t len;
	bool keep;
	uint64_t f, d;

	mk(fx, "f.txt", "held", false);
	mk(fx, "d", NULL, false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	d = lookup(fx, NODE_ROOT_INO, "d");
	assert_int_equal(fs_open(fx->fs, f, O_RDONLY, 0, &fh, &r), 0);
	fs_detach(fx->fs);
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "f.txt", &e), ENOTCONN);
	assert_int_equal(fs_open(fx->fs, f, O_RDONLY, 0, &nf, &r), ENOTCONN);
	assert_int_equal(fs_opendir(fx->fs, d, &dh, &keep), ENOTCONN);
	assert_int_equal(fs_create(fx->fs, d, "n.txt", O_WRONLY | O_CREAT, 0644, 0, &e, &nf, &r),
			 ENOTCONN);
	assert_int_equal(fs_mkdir(fx->fs, d, "n", 0755, &e), ENOTCONN);
	assert_int_equal(fs_unlink(fx->fs, NODE_ROOT_INO, "f.txt", 0), ENOTCONN);
	assert_int_equal(fs_rmdir(fx->fs, NODE_ROOT_INO, "d"), ENOTCONN);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "f.txt", d, "f.txt", 0, 0), ENOTCONN);
	assert_int_equal(rd(fx->fs, fh, 100, 0, &buf, &len), 0);   /* open: still read */
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "held", 4);
	fs_release(fx->fs, fh);
	assert_true(exists(fx, "f.txt"));
	fs_forget(fx->fs, f, 1);
	fs_forget(fx->fs, d, 1);
}

/* mkdir and O_EXCL of a name the kernel was told is absent: the watch event
 * of the creation (memback sends it before the create returns, as ZooKeeper
 * sends it before the reply) must not drop the new entry's name, which a
 * process may have entered already (getcwd). */
static void test_a_creation_of_this_mount_drops_no_name(void **state)
{
	struct fx *fx = *state;
	struct fs_open_reply r;
	struct fs_entry e;
	struct fs_file *fh;

	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "newdir", &e), ENOENT);
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "new.conf", &e), ENOENT);
	assert_int_equal(fs_mkdir(fx->fs, NODE_ROOT_INO, "newdir", 0755, &e), 0);
	fs_forget(fx->fs, e.ino, 1);
	assert_int_equal(fs_create(fx->fs, NODE_ROOT_INO, "new.conf", O_WRONLY | O_CREAT | O_EXCL,
				   0644, 0, &e, &fh, &r), 0);
	fs_release(fx->fs, fh);
	fs_forget(fx->fs, e.ino, 1);
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "newdir"), 0);
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "new.conf"), 0);
	/* Another client's creation of a name the kernel holds as absent does. */
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "theirs", &e), ENOENT);
	mk(fx, "theirs", NULL, false);
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "theirs"), 1);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_datafile_is_reachable_while_the_directory_data_is_empty),
		T(test_datafile_is_listed_only_while_the_directory_has_data),
		T(test_datafile_reads_the_directory_znode_data),
		T(test_a_data_change_drops_the_name_only_when_the_type_may_change),
		T(test_real_children_named_like_virtual_files_are_shadowed),
		T(test_state_is_listed_in_the_root_only),
		T(test_event_during_a_listing_fetch_refetches_the_dropped_child),
		T(test_listing_is_dot_dotdot_then_sorted_names),
		T(test_listing_of_1000_children_is_one_batch),
		T(test_listing_cache_is_dropped_when_a_child_comes),
		T(test_dirent_ref_counts_a_lookup),
		T(test_lookup_counts_and_forget_free_the_inode),
		T(test_opendir_of_a_file_is_ENOTDIR),
		T(test_after_a_detach_new_names_are_ENOTCONN_and_open_files_read),
		T(test_a_creation_of_this_mount_drops_no_name),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
