/*
 * test_fsmodes — modes and reserved names on the in-memory backend
 * (docs/SEMANTICS.md "chmod, chown", "Reserved names"): what this mount made
 * shows the mode it was created with or a chmod gave it, for the life of the
 * mount, through renames (also of its directory), never sent to ZooKeeper and
 * forgotten with the znode; -o umask= masks every mode; rmdir removes a real
 * znode shadowed by `.data` with its directory, never a child added meanwhile.
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

static mode_t mode_of(struct fx *fx, const char *name)
{
	return lookup_entry(fx, NODE_ROOT_INO, name).attr.st_mode & 07777;
}

static void chmod_(struct fx *fx, uint64_t ino, mode_t mode, int expect)
{
	struct stat want = { 0 }, st;
	double t;

	want.st_mode = S_IFREG | mode;
	assert_int_equal(fs_setattr(fx->fs, ino, FS_SET_MODE, &want, NULL, &st, &t), expect);
}

static void test_chmod_of_a_file_this_mount_made_is_kept_for_the_mount(void **state)
{
	struct fx *fx = *state;
	struct stat want = { 0 }, st;
	struct fs_file *fh;
	double t;
	uint64_t f;
	size_t w;

	fh = creat_(fx, "inst.conf", O_WRONLY | O_CREAT | O_EXCL, &f);
	w = writes(fx);
	want.st_mode = S_IFREG | 0600;
	assert_int_equal(fs_setattr(fx->fs, f, FS_SET_MODE, &want, fh, &st, &t), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(fs_getattr(fx->fs, f, &st, &t), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	want.st_mode = S_IFREG | 0755;
	assert_int_equal(fs_setattr(fx->fs, f, FS_SET_MODE, &want, fh, &st, &t), 0);
	assert_int_equal(mode_of(fx, "inst.conf"), 0755);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_int_equal(writes(fx), w);       /* a mode is never sent to ZooKeeper */
	fs_forget(fx->fs, f, 2);
	/* Forgotten by the kernel (tar's file is closed): still shown, and the
	 * mode can still be changed. */
	f = lookup(fx, NODE_ROOT_INO, "inst.conf");
	assert_int_equal(mode_of(fx, "inst.conf"), 0755);
	chmod_(fx, f, 0700, 0);
	assert_int_equal(mode_of(fx, "inst.conf"), 0700);
	fs_forget(fx->fs, f, 2);
	/* Deleted and made again by another client: its own, the default. */
	assert_int_equal(memback_delete(fx->m, BASE "/inst.conf"), 0);
	mk(fx, "inst.conf", "theirs", false);
	f = lookup(fx, NODE_ROOT_INO, "inst.conf");
	assert_int_equal(mode_of(fx, "inst.conf"), 0644);
	chmod_(fx, f, 0755, EPERM);
	fs_forget(fx->fs, f, 2);
}

static void test_create_and_mkdir_show_the_mode_they_were_given(void **state)
{
	struct fx *fx = *state;
	struct fs_open_reply r;
	struct fs_entry e;
	struct fs_file *fh;
	uint64_t d;

	/* tar: created 0700 (umask 022 of the fixture applies), then chmod. */
	assert_int_equal(fs_create(fx->fs, NODE_ROOT_INO, "run.sh", O_WRONLY | O_CREAT | O_EXCL,
				   0777, 0, &e, &fh, &r), 0);
	assert_int_equal(e.attr.st_mode & 07777, 0755);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	fs_forget(fx->fs, e.ino, 1);
	assert_int_equal(mode_of(fx, "run.sh"), 0755);
	assert_int_equal(fs_mkdir(fx->fs, NODE_ROOT_INO, "priv", 0700, &e), 0);
	d = e.ino;
	assert_int_equal(e.attr.st_mode, S_IFDIR | 0700);
	fs_forget(fx->fs, d, 1);
	assert_int_equal(lookup_entry(fx, NODE_ROOT_INO, "priv").attr.st_mode, S_IFDIR | 0700);
	/* An existing file opened by create keeps what it shows. */
	mk(fx, "old.conf", "x", false);
	assert_int_equal(fs_create(fx->fs, NODE_ROOT_INO, "old.conf", O_WRONLY | O_CREAT,
				   0700, 0, &e, &fh, &r), 0);
	assert_int_equal(e.attr.st_mode & 07777, 0644);
	fs_release(fx->fs, fh);
	fs_forget(fx->fs, e.ino, 1);
}

static void test_rename_moves_the_mode_with_the_file(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t f;

	/* rsync -a: a temporary file, its mode, then a rename over the target. */
	mk(fx, "app.sh", "old", false);
	fh = creat_(fx, ".app.sh.XYZ", O_WRONLY | O_CREAT | O_EXCL, &f);
	wr(fx, fh, "#!/bin/sh\n", 0);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	chmod_(fx, f, 0755, 0);
	fs_forget(fx->fs, f, 1);     /* the kernel may have let go of it already */
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, ".app.sh.XYZ", NODE_ROOT_INO, "app.sh",
				   0, 0), 0);
	assert_int_equal(mode_of(fx, "app.sh"), 0755);
	assert_value(fx, "app.sh", "#!/bin/sh\n");
	assert_int_equal(fs_create(fx->fs, NODE_ROOT_INO, ".app.sh.XYZ", O_WRONLY | O_CREAT |
				   O_EXCL, 0644, 0, &(struct fs_entry){ 0 }, &fh,
				   &(struct fs_open_reply){ 0 }), 0);
	fs_release(fx->fs, fh);
	assert_int_equal(mode_of(fx, ".app.sh.XYZ"), 0644);   /* the old name's mode left */
}

static void test_rmdir_removes_a_shadowed_datafile_znode_with_its_directory(void **state)
{
	struct fx *fx = *state;
	size_t w;

	mk(fx, "h", "", false);
	mk(fx, "h/.data", "hidden", false);
	mk(fx, "h/.data/kid", "k", false);
	assert_listing(fx, lookup(fx, NODE_ROOT_INO, "h"), ". ..");
	w = writes(fx);
	assert_int_equal(fs_rmdir(fx->fs, NODE_ROOT_INO, "h"), 0);
	assert_int_equal(writes(fx), w + 1);           /* one multi */
	assert_false(exists(fx, "h/.data/kid"));
	assert_false(exists(fx, "h/.data"));
	assert_false(exists(fx, "h"));
	/* Anything else below it still makes it not empty. */
	mk(fx, "g", "", false);
	mk(fx, "g/.data", "hidden", false);
	mk(fx, "g/kid", "k", false);
	assert_int_equal(fs_rmdir(fx->fs, NODE_ROOT_INO, "g"), ENOTEMPTY);
	assert_true(exists(fx, "g/.data"));
	assert_true(exists(fx, "g/kid"));
}

static mode_t mode_in(struct fx *fx, uint64_t dir, const char *name)
{
	struct fs_entry e = lookup_entry(fx, dir, name);

	fs_forget(fx->fs, e.ino, 1);
	return e.attr.st_mode & 07777;
}

static void test_a_directory_rename_keeps_the_modes_below_it(void **state)
{
	struct fx *fx = *state;
	struct fs_open_reply r;
	struct fs_entry e, de;
	struct fs_file *fh;
	uint64_t d2, run;

	assert_int_equal(fs_mkdir(fx->fs, NODE_ROOT_INO, "stage", 0700, &de), 0);
	assert_int_equal(fs_create(fx->fs, de.ino, "go", O_WRONLY | O_CREAT | O_EXCL, 0755, 0,
				   &e, &fh, &r), 0);
	fs_release(fx->fs, fh);
	fs_forget(fx->fs, e.ino, 1);
	fs_forget(fx->fs, de.ino, 1);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "stage", NODE_ROOT_INO, "final", 0, 0),
			 0);
	assert_int_equal(mode_in(fx, NODE_ROOT_INO, "final"), 0700);
	d2 = lookup(fx, NODE_ROOT_INO, "final");
	/* `go` is empty and has no extension: a file because this mount made it. */
	assert_int_equal(lookup_entry(fx, d2, "go").attr.st_mode, S_IFREG | 0755);
	run = lookup(fx, d2, "go");
	chmod_(fx, run, 0700, 0);                 /* still this mount's */
	assert_int_equal(mode_in(fx, d2, "go"), 0700);
	fs_forget(fx->fs, run, 2);
	fs_forget(fx->fs, d2, 1);
}

static void test_a_deleted_name_forgets_its_mode_and_kind(void **state)
{
	struct fx *fx = *state;
	struct fs_open_reply r;
	struct fs_entry e;
	struct fs_file *fh;
	size_t before = node_count_entries(fs_table(fx->fs));

	/* A deferred create unlinked before its commit, then another client's
	 * znode of that name: its own kind (empty, no extension: a directory)
	 * and mode, and no chmod. */
	assert_int_equal(fs_create(fx->fs, NODE_ROOT_INO, "lock", O_WRONLY | O_CREAT, 0600, 0,
				   &e, &fh, &r), 0);
	assert_int_equal(fs_unlink(fx->fs, NODE_ROOT_INO, "lock", 0), 0);
	fs_release(fx->fs, fh);
	fs_forget(fx->fs, e.ino, 1);
	mk(fx, "lock", NULL, false);
	e = lookup_entry(fx, NODE_ROOT_INO, "lock");
	assert_int_equal(e.attr.st_mode, S_IFDIR | 0755);
	chmod_(fx, e.ino, 0700, EPERM);
	fs_forget(fx->fs, e.ino, 1);
	/* Thousands of files given a mode and deleted: the table lets them go. */
	for (int i = 0; i < 10000; i++) {
		char name[32];

		snprintf(name, sizeof(name), "tmp%05d", i);
		assert_int_equal(fs_create(fx->fs, NODE_ROOT_INO, name,
					   O_WRONLY | O_CREAT | O_EXCL, 0600, 0, &e, &fh, &r), 0);
		fs_release(fx->fs, fh);
		assert_int_equal(fs_unlink(fx->fs, NODE_ROOT_INO, name, 0), 0);
		fs_forget(fx->fs, e.ino, 1);
	}
	assert_true(node_count_entries(fs_table(fx->fs)) < before + 2 * NODE_SWEEP_MIN);
}

static void test_umask_masks_the_mode_a_chmod_gives(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t f, g;

	/* The fixture mounts with -o umask=022. */
	fh = creat_(fx, "mine.sh", O_WRONLY | O_CREAT | O_EXCL, &f);
	fs_release(fx->fs, fh);
	chmod_(fx, f, 0777, 0);
	assert_int_equal(mode_of(fx, "mine.sh"), 0755);
	mk(fx, "theirs.conf", "x", false);
	g = lookup(fx, NODE_ROOT_INO, "theirs.conf");
	chmod_(fx, g, 0666, 0);                   /* masked: what it shows */
	chmod_(fx, g, 0600, EPERM);
	assert_int_equal(mode_of(fx, "theirs.conf"), 0644);
}

static void test_a_refused_setattr_changes_no_mode(void **state)
{
	struct fx *fx = *state;
	struct stat want = { 0 }, st;
	struct fs_file *fh;
	double t;
	uint64_t f;

	fh = creat_(fx, "x.conf", O_WRONLY | O_CREAT | O_EXCL, &f);
	want.st_mode = S_IFREG | 0600;
	want.st_uid = 4242;
	assert_int_equal(fs_setattr(fx->fs, f, FS_SET_MODE | FS_SET_UID, &want, fh, &st, &t),
			 EPERM);
	assert_int_equal(mode_of(fx, "x.conf"), 0644);
	fs_release(fx->fs, fh);
}

static void test_rmdir_never_deletes_a_child_added_meanwhile(void **state)
{
	struct fx *fx = *state;
	struct race r = { .path = BASE "/h/keep", .what = RACE_CREATE };

	mk(fx, "h", "", false);
	mk(fx, "h/.data", "hidden", false);
	memback_set_fetch_hook(fx->m, race_hook, &r);
	assert_int_equal(fs_rmdir(fx->fs, NODE_ROOT_INO, "h"), ENOTEMPTY);
	memback_set_fetch_hook(fx->m, NULL, NULL);
	assert_true(r.fired > 0);
	assert_true(exists(fx, "h/keep"));
	assert_true(exists(fx, "h/.data"));
}

static void test_rmdir_removes_an_ephemeral_or_unreadable_shadowed_znode(void **state)
{
	struct fx *fx = *state;
	char big[900];

	mk(fx, "eh", "", false);
	mk(fx, "eh/.data", "x", true);
	assert_int_equal(fs_rmdir(fx->fs, NODE_ROOT_INO, "eh"), 0);
	assert_false(exists(fx, "eh"));
	mk(fx, "nh", "", false);
	mk(fx, "nh/.data", "x", false);
	assert_int_equal(memback_set_acl(fx->m, BASE "/nh/.data", "world:anyone:d"), 0);
	assert_int_equal(fs_rmdir(fx->fs, NODE_ROOT_INO, "nh"), 0);
	assert_false(exists(fx, "nh"));
	/* Values are not read: their size does not count. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mk(fx, "bh", "", false);
	mk(fx, "bh/.data", "", false);
	mk(fx, "bh/.data/a", big, false);
	mk(fx, "bh/.data/b", big, false);
	assert_int_equal(fs_rmdir(fx->fs, NODE_ROOT_INO, "bh"), 0);
	assert_false(exists(fx, "bh"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_chmod_of_a_file_this_mount_made_is_kept_for_the_mount),
		T(test_create_and_mkdir_show_the_mode_they_were_given),
		T(test_rename_moves_the_mode_with_the_file),
		T(test_a_directory_rename_keeps_the_modes_below_it),
		T(test_a_deleted_name_forgets_its_mode_and_kind),
		T(test_umask_masks_the_mode_a_chmod_gives),
		T(test_a_refused_setattr_changes_no_mode),
		T(test_rmdir_removes_a_shadowed_datafile_znode_with_its_directory),
		T(test_rmdir_never_deletes_a_child_added_meanwhile),
		T(test_rmdir_removes_an_ephemeral_or_unreadable_shadowed_znode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
