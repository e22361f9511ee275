/*
 * test_fswrite — writing (SPEC.md §5) on the in-memory backend: write buffers
 * committed at flush with one write, versioned commits (ESTALE), O_TRUNC,
 * O_APPEND, max_size (EFBIG), deferred creates, the namespace (mkdir, unlink,
 * rmdir, rename as one multi), setattr, and -o ro. Modes: test_fsmodes. Every check looks at the
 * backend's tree (memback_stat, its write counter) as ground truth.
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

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif

/* ---- commits ---- */

static void test_truncating_write_is_one_set(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t f;
	size_t w;

	mk(fx, "a.conf", "old value", false);
	f = lookup(fx, NODE_ROOT_INO, "a.conf");
	w = writes(fx);
	fh = wopen(fx, f, O_WRONLY | O_TRUNC);
	wr(fx, fh, "x\n", 0);
	/* Nothing reaches ZooKeeper before the commit: readers see the old value. */
	assert_int_equal(writes(fx), w);
	assert_value(fx, "a.conf", "old value");
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_int_equal(writes(fx), w + 1);
	assert_int_equal(zstat_of(fx, "a.conf").version, 1);
	assert_value(fx, "a.conf", "x\n");
}

/* bash's `echo x > f`: open, dup2, close the original (a flush with nothing
 * written), write, close. ZooKeeper must never hold the empty value. */
static void test_flush_before_any_write_commits_nothing(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t f;
	size_t w;

	mk(fx, "a.conf", "old", false);
	f = lookup(fx, NODE_ROOT_INO, "a.conf");
	w = writes(fx);
	fh = wopen(fx, f, O_WRONLY | O_TRUNC);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	assert_int_equal(writes(fx), w);
	assert_value(fx, "a.conf", "old");
	wr(fx, fh, "x\n", 0);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_int_equal(writes(fx), w + 1);
	assert_value(fx, "a.conf", "x\n");
}

/* An open whose reply never reached the kernel owes nothing. */
static void test_discarded_trunc_open_and_create_commit_nothing(void **state)
{
	struct fx *fx = *state;
	struct fs_entry e;
	struct fs_file *fh;
	uint64_t f;
	size_t w;

	mk(fx, "a.conf", "keep", false);
	f = lookup(fx, NODE_ROOT_INO, "a.conf");
	w = writes(fx);
	fh = wopen(fx, f, O_WRONLY | O_TRUNC);
	fs_discard(fx->fs, fh);
	fh = creat_(fx, "never.conf", O_WRONLY | O_CREAT, &f);
	fs_discard(fx->fs, fh);
	fs_forget(fx->fs, f, 1);
	assert_int_equal(writes(fx), w);
	assert_value(fx, "a.conf", "keep");
	assert_false(exists(fx, "never.conf"));
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "never.conf", &e), ENOENT);
}

static void test_open_and_close_without_writing_commits_nothing(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t f;
	size_t w;

	mk(fx, "a.conf", "v", false);
	f = lookup(fx, NODE_ROOT_INO, "a.conf");
	w = writes(fx);
	fh = wopen(fx, f, O_RDWR);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_int_equal(writes(fx), w);
	assert_int_equal(zstat_of(fx, "a.conf").version, 0);
}

static void test_trunc_without_write_empties_with_one_set(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t f;
	size_t w;

	mk(fx, "a.conf", "v", false);
	f = lookup(fx, NODE_ROOT_INO, "a.conf");
	w = writes(fx);
	fh = wopen(fx, f, O_WRONLY | O_TRUNC);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	assert_int_equal(writes(fx), w);      /* owed, committed at release */
	fs_release(fx->fs, fh);
	assert_int_equal(writes(fx), w + 1);
	assert_value(fx, "a.conf", "");
}

static void test_append_adds_to_the_value_read_at_open(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t f;

	mk(fx, "log.txt", "one\n", false);
	f = lookup(fx, NODE_ROOT_INO, "log.txt");
	fh = wopen(fx, f, O_WRONLY | O_APPEND);
	wr(fx, fh, "two\n", 0);          /* the offset is ignored with O_APPEND */
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	wr(fx, fh, "three\n", 0);
	assert_int_equal(fs_flush(fx->fs, fh), 0);   /* fsync, then more, then close */
	fs_release(fx->fs, fh);
	assert_value(fx, "log.txt", "one\ntwo\nthree\n");
	assert_int_equal(zstat_of(fx, "log.txt").version, 2);
}

static void test_remote_change_after_open_gives_estale_and_writes_nothing(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t f;

	mk(fx, "a.conf", "abc", false);
	f = lookup(fx, NODE_ROOT_INO, "a.conf");
	fh = wopen(fx, f, O_WRONLY);
	wr(fx, fh, "X", 1);
	set(fx, "a.conf", "remote");
	assert_int_equal(fs_flush(fx->fs, fh), ESTALE);
	fs_release(fx->fs, fh);
	assert_value(fx, "a.conf", "remote");
	assert_int_equal(zstat_of(fx, "a.conf").version, 1);
}

static void test_trunc_overwrites_a_remote_change(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t f;

	mk(fx, "a.conf", "abc", false);
	f = lookup(fx, NODE_ROOT_INO, "a.conf");
	fh = wopen(fx, f, O_WRONLY | O_TRUNC);
	wr(fx, fh, "mine", 0);
	set(fx, "a.conf", "remote");
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_value(fx, "a.conf", "mine");
}

static void test_write_at_offset_zero_fills_and_reads_back_the_buffer(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	const char *buf;
	char *copy;
	size_t len;
	uint64_t f;

	mk(fx, "a.bin", "ab", false);
	f = lookup(fx, NODE_ROOT_INO, "a.bin");
	fh = wopen(fx, f, O_RDWR);
	wr(fx, fh, "Z", 5);
	assert_int_equal(fs_read(fx->fs, fh, 100, 0, &buf, &len, &copy), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(buf, "ab\0\0\0Z", 6);
	free(copy);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_int_equal(zstat_of(fx, "a.bin").data_length, 6);
}

static void test_beyond_max_size_is_efbig_and_commits_nothing(void **state)
{
	struct fx *fx = *state;
	char big[FX_MAX_SIZE + 1];
	struct fs_file *fh;
	uint64_t f;
	size_t w;

	memset(big, 'x', sizeof(big));
	mk(fx, "a.conf", "keep", false);
	f = lookup(fx, NODE_ROOT_INO, "a.conf");
	/* Exactly max_size is fine. */
	fh = wopen(fx, f, O_WRONLY | O_TRUNC);
	assert_int_equal(fs_write(fx->fs, fh, big, FX_MAX_SIZE, 0), 0);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_int_equal(zstat_of(fx, "a.conf").data_length, FX_MAX_SIZE);

	w = writes(fx);
	fh = wopen(fx, f, O_WRONLY | O_TRUNC);
	assert_int_equal(fs_write(fx->fs, fh, "head", 4, 0), 0);
	assert_int_equal(fs_write(fx->fs, fh, big, sizeof(big), 4), EFBIG);
	assert_int_equal(fs_write(fx->fs, fh, "more", 4, 4), EFBIG);   /* spoiled */
	assert_int_equal(fs_flush(fx->fs, fh), EFBIG);
	fs_release(fx->fs, fh);
	assert_int_equal(writes(fx), w);
	assert_int_equal(zstat_of(fx, "a.conf").data_length, FX_MAX_SIZE);
}

static void test_datafile_write_sets_the_directory_data(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t d, df;

	mk(fx, "dir", NULL, false);
	mk(fx, "dir/kid", "k", false);
	d = lookup(fx, NODE_ROOT_INO, "dir");
	df = lookup(fx, d, ".data");
	fh = wopen(fx, df, O_WRONLY | O_TRUNC);
	wr(fx, fh, "own data", 0);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_int_equal(zstat_of(fx, "dir").data_length, 8);
	assert_int_equal(type_of(fx, "dir"), S_IFDIR);
	assert_listing(fx, d, ". .. .data kid");

	assert_int_equal(fs_unlink(fx->fs, d, ".data", 0), 0);
	assert_int_equal(zstat_of(fx, "dir").data_length, 0);
	assert_listing(fx, d, ". .. kid");
}

/* ---- creates ---- */

static void test_new_file_costs_one_write_and_keeps_its_inode(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t f;
	size_t w = writes(fx);

	fh = creat_(fx, "new.conf", O_WRONLY | O_CREAT, &f);
	/* Visible on this mount at once, though not yet in ZooKeeper. */
	assert_false(exists(fx, "new.conf"));
	assert_int_equal(lookup(fx, NODE_ROOT_INO, "new.conf"), f);
	assert_int_equal(type_of(fx, "new.conf"), S_IFREG);
	assert_listing(fx, NODE_ROOT_INO, ". .. .state new.conf");
	wr(fx, fh, "hi\n", 0);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_int_equal(writes(fx), w + 1);
	assert_int_equal(zstat_of(fx, "new.conf").version, 0);
	assert_int_equal(lookup(fx, NODE_ROOT_INO, "new.conf"), f);
	assert_value(fx, "new.conf", "hi\n");
	fs_forget(fx->fs, f, 4);
}

static void test_touch_of_a_name_without_extension_stays_a_file(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t f;

	fh = creat_(fx, "Makefile", O_WRONLY | O_CREAT, &f);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_true(exists(fx, "Makefile"));
	assert_int_equal(zstat_of(fx, "Makefile").data_length, 0);
	/* Empty and without extension: a directory by the naming rule, but the
	 * mount made it a file and the kernel still holds it. */
	assert_int_equal(type_of(fx, "Makefile"), S_IFREG);
	assert_int_equal(lookup(fx, NODE_ROOT_INO, "Makefile"), f);
}

static void test_create_excl_makes_the_znode_now(void **state)
{
	struct fx *fx = *state;
	struct fs_open_reply r;
	struct fs_entry e;
	struct fs_file *fh;
	uint64_t f;

	fh = creat_(fx, "t.tmp", O_WRONLY | O_CREAT | O_EXCL, &f);
	assert_true(exists(fx, "t.tmp"));
	wr(fx, fh, "data", 0);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_int_equal(zstat_of(fx, "t.tmp").version, 1);
	assert_int_equal(fs_create(fx->fs, NODE_ROOT_INO, "t.tmp", O_WRONLY | O_CREAT | O_EXCL,
				   0644, 0, &e, &fh, &r), EEXIST);
}

static void test_unlink_of_a_file_not_yet_committed_commits_nothing(void **state)
{
	struct fx *fx = *state;
	struct fs_entry e;
	struct fs_file *fh;
	uint64_t f;
	size_t w = writes(fx);

	fh = creat_(fx, "gone.conf", O_WRONLY | O_CREAT, &f);
	wr(fx, fh, "x", 0);
	assert_int_equal(fs_unlink(fx->fs, NODE_ROOT_INO, "gone.conf", 0), 0);
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "gone.conf", &e), ENOENT);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_false(exists(fx, "gone.conf"));
	assert_int_equal(writes(fx), w);
}

static void test_names_zookeeper_refuses_are_einval(void **state)
{
	struct fx *fx = *state;
	struct fs_open_reply r;
	struct fs_entry e;
	struct fs_file *fh;
	size_t w = writes(fx);

	assert_int_equal(fs_create(fx->fs, NODE_ROOT_INO, "a\001b", O_WRONLY, 0644, 0, &e, &fh, &r),
			 EINVAL);
	assert_int_equal(fs_mkdir(fx->fs, NODE_ROOT_INO, "x\x7fy", 0755, &e), EINVAL);
	assert_int_equal(fs_mkdir(fx->fs, NODE_ROOT_INO, "c1\xc2\x85", 0755, &e), EINVAL);
	assert_int_equal(fs_mkdir(fx->fs, NODE_ROOT_INO, ".state", 0755, &e), EEXIST);
	assert_int_equal(fs_mkdir(fx->fs, NODE_ROOT_INO, ".data", 0755, &e), EEXIST);
	assert_int_equal(writes(fx), w);
}

/* ---- the namespace ---- */

static void test_mkdir_rmdir_and_their_errors(void **state)
{
	struct fx *fx = *state;
	struct fs_entry e;
	uint64_t d;

	assert_int_equal(fs_mkdir(fx->fs, NODE_ROOT_INO, "x.conf", 0755, &e), 0);
	d = e.ino;
	assert_true(exists(fx, "x.conf"));
	/* An extension makes an empty znode a file; the mount made it a directory. */
	assert_int_equal(type_of(fx, "x.conf"), S_IFDIR);
	assert_int_equal(fs_mkdir(fx->fs, NODE_ROOT_INO, "x.conf", 0755, &e), EEXIST);
	mk(fx, "x.conf/kid", "k", false);
	assert_int_equal(fs_rmdir(fx->fs, NODE_ROOT_INO, "x.conf"), ENOTEMPTY);
	assert_int_equal(fs_unlink(fx->fs, d, "kid", 0), 0);
	assert_false(exists(fx, "x.conf/kid"));
	set(fx, "x.conf", "own");
	assert_int_equal(fs_rmdir(fx->fs, NODE_ROOT_INO, "x.conf"), ENOTEMPTY);
	set(fx, "x.conf", "");
	assert_int_equal(fs_unlink(fx->fs, NODE_ROOT_INO, "x.conf", 0), EISDIR);
	assert_int_equal(fs_rmdir(fx->fs, NODE_ROOT_INO, "x.conf"), 0);
	assert_false(exists(fx, "x.conf"));
	mk(fx, "f.txt", "f", false);
	assert_int_equal(fs_rmdir(fx->fs, NODE_ROOT_INO, "f.txt"), ENOTDIR);
	assert_int_equal(fs_unlink(fx->fs, NODE_ROOT_INO, "nope", 0), ENOENT);
	fs_forget(fx->fs, d, 2);
}

static void test_rename_over_a_file_keeps_the_target_znode(void **state)
{
	struct fx *fx = *state;
	struct zstat before;
	uint64_t src;
	size_t w;

	mk(fx, "app.conf", "old", false);
	mk(fx, "sedXYZ", "new", false);
	before = zstat_of(fx, "app.conf");
	src = lookup(fx, NODE_ROOT_INO, "sedXYZ");
	w = writes(fx);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "sedXYZ", NODE_ROOT_INO, "app.conf", 0, 0),
			 0);
	assert_int_equal(writes(fx), w + 1);           /* one multi */
	assert_false(exists(fx, "sedXYZ"));
	assert_int_equal(zstat_of(fx, "app.conf").czxid, before.czxid);
	assert_int_equal(zstat_of(fx, "app.conf").version, before.version + 1);
	/* The kernel moved the source's inode to the new name. */
	assert_int_equal(lookup(fx, NODE_ROOT_INO, "app.conf"), src);
	assert_value(fx, "app.conf", "new");
}

static void test_rename_errors(void **state)
{
	struct fx *fx = *state;

	mk(fx, "a.txt", "a", false);
	mk(fx, "b.txt", "b", false);
	mk(fx, "d", NULL, false);
	mk(fx, "d/kid", "k", false);
	mk(fx, "e", NULL, false);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "a.txt", NODE_ROOT_INO, "b.txt",
				   RENAME_NOREPLACE, 0), EEXIST);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "a.txt", NODE_ROOT_INO, "b.txt",
				   RENAME_EXCHANGE, 0), EINVAL);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "a.txt", NODE_ROOT_INO, "e", 0, 0),
			 EISDIR);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "e", NODE_ROOT_INO, "a.txt", 0, 0),
			 ENOTDIR);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "e", NODE_ROOT_INO, "d", 0, 0),
			 ENOTEMPTY);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "nope", NODE_ROOT_INO, "x", 0, 0),
			 ENOENT);
	assert_value(fx, "a.txt", "a");
	assert_value(fx, "b.txt", "b");
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "a.txt", NODE_ROOT_INO, "c.txt",
				   RENAME_NOREPLACE, 0), 0);
	assert_false(exists(fx, "a.txt"));
	assert_value(fx, "c.txt", "a");
}

static void test_rename_of_a_directory_moves_its_subtree_in_one_multi(void **state)
{
	struct fx *fx = *state;
	uint64_t d, moved;
	size_t w;

	mk(fx, "d", "own", false);
	mk(fx, "d/sub", NULL, false);
	mk(fx, "d/sub/leaf.txt", "leaf", false);
	mk(fx, "d/x.conf", "x", false);
	d = lookup(fx, NODE_ROOT_INO, "d");
	w = writes(fx);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "d", NODE_ROOT_INO, "n", 0, 0), 0);
	assert_int_equal(writes(fx), w + 1);
	assert_false(exists(fx, "d"));
	assert_int_equal(zstat_of(fx, "n").data_length, 3);
	assert_true(exists(fx, "n/sub/leaf.txt"));
	moved = lookup(fx, NODE_ROOT_INO, "n");
	assert_int_equal(moved, d);
	assert_listing(fx, moved, ". .. .data sub x.conf");
	assert_content(fx, lookup(fx, lookup(fx, moved, "sub"), "leaf.txt"), "leaf");
}

static void test_rename_of_a_directory_too_big_is_exdev(void **state)
{
	struct fx *fx = *state;
	char big[FX_MAX_SIZE];

	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mk(fx, "d", NULL, false);
	mk(fx, "d/big.bin", big, false);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "d", NODE_ROOT_INO, "n", 0, 0), EXDEV);
	assert_true(exists(fx, "d/big.bin"));
	assert_false(exists(fx, "n"));
}

/* ---- setattr ---- */

static void test_setattr_allows_what_changes_nothing(void **state)
{
	struct fx *fx = *state;
	struct stat want = { 0 }, st;
	double t;
	uint64_t f;
	size_t w;

	mk(fx, "f.txt", "abcdef", false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	w = writes(fx);
	assert_int_equal(fs_setattr(fx->fs, f, FS_SET_ATIME | FS_SET_MTIME, &want, NULL, &st, &t),
			 0);
	want.st_mode = S_IFREG | 0644;
	want.st_uid = UID;
	want.st_gid = GID;
	assert_int_equal(fs_setattr(fx->fs, f, FS_SET_MODE | FS_SET_UID | FS_SET_GID, &want, NULL,
				    &st, &t), 0);
	assert_int_equal(writes(fx), w);
	want.st_mode = S_IFREG | 0600;
	assert_int_equal(fs_setattr(fx->fs, f, FS_SET_MODE, &want, NULL, &st, &t), EPERM);
	want.st_uid = 0;
	assert_int_equal(fs_setattr(fx->fs, f, FS_SET_UID, &want, NULL, &st, &t), EPERM);
	assert_int_equal(fs_setattr(fx->fs, f, FS_SET_OTHER, &want, NULL, &st, &t), EPERM);
	/* .state: times only. */
	assert_int_equal(fs_setattr(fx->fs, VFILE_STATE_INO, FS_SET_MTIME, &want, NULL, &st, &t), 0);
	assert_int_equal(fs_setattr(fx->fs, VFILE_STATE_INO, FS_SET_SIZE, &want, NULL, &st, &t),
			 EACCES);
	assert_int_equal(writes(fx), w);
}

static void test_truncate_by_path_and_by_handle(void **state)
{
	struct fx *fx = *state;
	struct stat want = { 0 }, st;
	struct fs_file *fh;
	double t;
	uint64_t f;

	mk(fx, "f.txt", "abcdef", false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	want.st_size = 3;
	assert_int_equal(fs_setattr(fx->fs, f, FS_SET_SIZE, &want, NULL, &st, &t), 0);
	assert_value(fx, "f.txt", "abc");
	want.st_size = 0;
	assert_int_equal(fs_setattr(fx->fs, f, FS_SET_SIZE, &want, NULL, &st, &t), 0);
	assert_value(fx, "f.txt", "");

	set(fx, "f.txt", "123456");
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	fh = wopen(fx, f, O_RDWR);
	want.st_size = 2;
	assert_int_equal(fs_setattr(fx->fs, f, FS_SET_SIZE, &want, fh, &st, &t), 0);
	assert_value(fx, "f.txt", "123456");      /* not before the commit */
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_value(fx, "f.txt", "12");
}

/* ---- -o ro ---- */

static void test_ro_refuses_every_modifying_call(void **state)
{
	struct fx *fx = *state;
	struct fs_open_reply r;
	struct stat want = { 0 }, st;
	struct fs_entry e;
	struct fs_file *fh;
	double t;
	uint64_t f;

	mk(fx, "f.txt", "x", false);
	mk(fx, "d", NULL, false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	assert_int_equal(fs_open(fx->fs, f, O_WRONLY, 0, &fh, &r), EROFS);
	assert_int_equal(fs_open(fx->fs, f, O_RDONLY | O_TRUNC, 0, &fh, &r), EROFS);
	assert_int_equal(fs_create(fx->fs, NODE_ROOT_INO, "n", O_WRONLY, 0644, 0, &e, &fh, &r), EROFS);
	assert_int_equal(fs_mkdir(fx->fs, NODE_ROOT_INO, "n", 0755, &e), EROFS);
	assert_int_equal(fs_unlink(fx->fs, NODE_ROOT_INO, "f.txt", 0), EROFS);
	assert_int_equal(fs_rmdir(fx->fs, NODE_ROOT_INO, "d"), EROFS);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "f.txt", NODE_ROOT_INO, "g", 0, 0), EROFS);
	assert_int_equal(fs_setattr(fx->fs, f, FS_SET_MTIME, &want, NULL, &st, &t), EROFS);
	assert_int_equal(fs_refuse(fx->fs), EROFS);
	/* .state is read-only on any mount, and its times still work. */
	assert_int_equal(fs_open(fx->fs, VFILE_STATE_INO, O_WRONLY, 0, &fh, &r), EACCES);
	assert_int_equal(fs_setattr(fx->fs, VFILE_STATE_INO, FS_SET_MTIME, &want, NULL, &st, &t), 0);
	assert_int_equal(memback_write_count(fx->m), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_truncating_write_is_one_set),
		T(test_flush_before_any_write_commits_nothing),
		T(test_discarded_trunc_open_and_create_commit_nothing),
		T(test_open_and_close_without_writing_commits_nothing),
		T(test_trunc_without_write_empties_with_one_set),
		T(test_append_adds_to_the_value_read_at_open),
		T(test_remote_change_after_open_gives_estale_and_writes_nothing),
		T(test_trunc_overwrites_a_remote_change),
		T(test_write_at_offset_zero_fills_and_reads_back_the_buffer),
		T(test_beyond_max_size_is_efbig_and_commits_nothing),
		T(test_datafile_write_sets_the_directory_data),
		T(test_new_file_costs_one_write_and_keeps_its_inode),
		T(test_touch_of_a_name_without_extension_stays_a_file),
		T(test_create_excl_makes_the_znode_now),
		T(test_unlink_of_a_file_not_yet_committed_commits_nothing),
		T(test_names_zookeeper_refuses_are_einval),
		T(test_mkdir_rmdir_and_their_errors),
		T(test_rename_over_a_file_keeps_the_target_znode),
		T(test_rename_errors),
		T(test_rename_of_a_directory_moves_its_subtree_in_one_multi),
		T(test_rename_of_a_directory_too_big_is_exdev),
		T(test_setattr_allows_what_changes_nothing),
		T(test_truncate_by_path_and_by_handle),
		cmocka_unit_test_setup_teardown(test_ro_refuses_every_modifying_call, fx_setup_ro,
						fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
