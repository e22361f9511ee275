/*
 * test_fsraces — what keeps data whole when writers meet (issue 12,
 * docs/SEMANTICS.md "Writing"), on the in-memory backend: an O_APPEND commit
 * that finds a newer version appends to it; a rename moves what the source's
 * writers hold; a rename over a file is checked against the version the
 * renaming process read; a writer's uncommitted size shows in getattr; an
 * unlinked or replaced inode still answers getattr and makes open retry
 * (ESTALE). The backend's tree is the ground truth.
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
#include <unistd.h>

#include <cmocka.h>

#include "fsfx.h"

/* Two live processes (readlog.h ignores records of ended ones): this test and
 * its parent; init stands for a process that read nothing. */
#define PID_A getpid()
#define PID_B getppid()
#define PID_OTHER 1

static struct fs_file *open_as(struct fx *fx, uint64_t ino, int flags, pid_t pid)
{
	struct fs_open_reply r;
	struct fs_file *fh = NULL;

	assert_int_equal(fs_open(fx->fs, ino, flags, pid, &fh, &r), 0);
	return fh;
}

static off_t size_of(struct fx *fx, uint64_t ino)
{
	struct stat st;
	double timeout;

	assert_int_equal(fs_getattr(fx->fs, ino, &st, &timeout), 0);
	return st.st_size;
}

/* ---- O_APPEND ---- */

static void test_append_commit_appends_to_the_newest_value(void **state)
{
	struct fx *fx = *state;
	struct fs_file *a, *b;
	uint64_t f;

	mk(fx, "log.txt", "start\n", false);
	f = lookup(fx, NODE_ROOT_INO, "log.txt");
	a = wopen(fx, f, O_WRONLY | O_APPEND);
	b = wopen(fx, f, O_WRONLY | O_APPEND);
	wr(fx, a, "A\n", 0);
	wr(fx, b, "B\n", 0);
	assert_int_equal(fs_flush(fx->fs, a), 0);
	assert_int_equal(fs_flush(fx->fs, b), 0);      /* version moved: appended to it */
	set(fx, "log.txt", "start\nA\nB\nremote\n");
	wr(fx, b, "B2\n", 0);                           /* goes on from its own commit */
	assert_int_equal(fs_flush(fx->fs, b), 0);
	fs_release(fx->fs, a);
	fs_release(fx->fs, b);
	assert_value(fx, "log.txt", "start\nA\nB\nremote\nB2\n");
	assert_int_equal(zstat_of(fx, "log.txt").version, 4);
}

static void test_append_after_a_truncation_is_not_an_append(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t f;

	mk(fx, "log.txt", "start\n", false);
	f = lookup(fx, NODE_ROOT_INO, "log.txt");
	fh = wopen(fx, f, O_RDWR | O_APPEND);
	struct stat want = { .st_size = 2 };
	struct stat st;
	double timeout;
	assert_int_equal(fs_setattr(fx->fs, f, FS_SET_SIZE, &want, fh, &st, &timeout), 0);
	wr(fx, fh, "x\n", 0);
	set(fx, "log.txt", "changed\n");
	assert_int_equal(fs_flush(fx->fs, fh), ESTALE);
	fs_release(fx->fs, fh);
	assert_value(fx, "log.txt", "changed\n");
}

static void test_append_to_a_value_past_max_size_is_efbig(void **state)
{
	struct fx *fx = *state;
	char big[FX_MAX_SIZE];
	struct fs_file *fh;
	uint64_t f;

	mk(fx, "log.txt", "x", false);
	f = lookup(fx, NODE_ROOT_INO, "log.txt");
	fh = wopen(fx, f, O_WRONLY | O_APPEND);
	wr(fx, fh, "tail", 0);
	memset(big, 'b', sizeof(big));
	assert_int_equal(memback_set(fx->m, BASE "/log.txt", big, sizeof(big)), 0);
	assert_int_equal(fs_flush(fx->fs, fh), EFBIG);
	fs_release(fx->fs, fh);
	assert_int_equal(zstat_of(fx, "log.txt").data_length, FX_MAX_SIZE);
}

/* ---- rename ---- */

/* tempfile + os.replace before close: the target gets what was written. */
static void test_rename_commits_what_the_source_writers_hold(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t t;

	mk(fx, "app.conf", "old\n", false);
	lookup(fx, NODE_ROOT_INO, "app.conf");
	fh = creat_(fx, "tmpXYZ", O_WRONLY | O_CREAT | O_EXCL, &t);
	wr(fx, fh, "new\n", 0);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "tmpXYZ", NODE_ROOT_INO, "app.conf",
				   0, PID_A), 0);
	assert_value(fx, "app.conf", "new\n");
	assert_false(exists(fx, "tmpXYZ"));
	/* The handle goes on from the target's version: a later write lands there. */
	wr(fx, fh, "more\n", 4);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_value(fx, "app.conf", "new\nmore\n");
}

static void test_rename_of_a_file_not_yet_created_creates_it(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t t;

	fh = creat_(fx, "p.tmp", O_WRONLY | O_CREAT, &t);    /* deferred create */
	wr(fx, fh, "plain\n", 0);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "p.tmp", NODE_ROOT_INO, "p.conf",
				   0, PID_A), 0);
	assert_value(fx, "p.conf", "plain\n");
	assert_false(exists(fx, "p.tmp"));
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_value(fx, "p.conf", "plain\n");
}

static void test_a_handle_that_failed_before_does_not_stop_a_rename(void **state)
{
	struct fx *fx = *state;
	char big[FX_MAX_SIZE + 1];
	struct fs_file *fh;
	uint64_t f;

	mk(fx, "f.conf", "kept\n", false);
	f = lookup(fx, NODE_ROOT_INO, "f.conf");
	fh = wopen(fx, f, O_WRONLY);
	memset(big, 'b', sizeof(big));
	assert_int_equal(fs_write(fx->fs, fh, big, sizeof(big), 0), EFBIG);   /* told */
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "f.conf", NODE_ROOT_INO, "g.conf",
				   0, PID_A), 0);
	assert_value(fx, "g.conf", "kept\n");
	assert_int_equal(fs_flush(fx->fs, fh), EFBIG);
	fs_release(fx->fs, fh);
	assert_value(fx, "g.conf", "kept\n");
}

static void test_rename_over_a_file_changed_since_the_process_read_it_is_estale(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t f, t;

	/* Two `sed -i` of one file: both read version 0, B replaces it first. */
	mk(fx, "s.conf", "line\n", false);
	f = lookup(fx, NODE_ROOT_INO, "s.conf");
	fs_release(fx->fs, open_as(fx, f, O_RDONLY, PID_A));
	fs_release(fx->fs, open_as(fx, f, O_RDONLY, PID_B));
	fh = creat_(fx, "sedB", O_WRONLY | O_CREAT | O_EXCL, &t);
	wr(fx, fh, "line\nB\n", 0);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	fh = creat_(fx, "sedA", O_WRONLY | O_CREAT | O_EXCL, &t);
	wr(fx, fh, "line\nA\n", 0);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "sedB", NODE_ROOT_INO, "s.conf",
				   0, PID_B), 0);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "sedA", NODE_ROOT_INO, "s.conf",
				   0, PID_A), ESTALE);
	assert_value(fx, "s.conf", "line\nB\n");
	assert_true(exists(fx, "sedA"));
	/* A process that never read the target replaces it (mv new old). */
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "sedA", NODE_ROOT_INO, "s.conf",
				   0, PID_OTHER), 0);
	assert_value(fx, "s.conf", "line\nA\n");
}

static void test_rename_by_the_process_that_deleted_the_target_is_not_bound(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t f, t;

	mk(fx, "c.conf", "v0\n", false);
	f = lookup(fx, NODE_ROOT_INO, "c.conf");
	fs_release(fx->fs, open_as(fx, f, O_RDONLY, PID_A));
	set(fx, "c.conf", "v1\n");
	assert_int_equal(fs_unlink(fx->fs, NODE_ROOT_INO, "c.conf", PID_A), 0);
	mk(fx, "c.conf", "someone else's\n", false);
	fh = creat_(fx, "c.tmp", O_WRONLY | O_CREAT | O_EXCL, &t);
	wr(fx, fh, "mine\n", 0);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "c.tmp", NODE_ROOT_INO, "c.conf",
				   0, PID_A), 0);
	assert_value(fx, "c.conf", "mine\n");
}

static void test_a_writer_of_an_older_version_renamed_gets_estale(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t f;

	/* It opened version 0 and wrote nothing; another client set version 1;
	 * `mv f g` moves version 1. Its write must not land on g unchecked. */
	mk(fx, "f.conf", "v0\n", false);
	f = lookup(fx, NODE_ROOT_INO, "f.conf");
	fh = wopen(fx, f, O_RDWR);
	set(fx, "f.conf", "v1\n");
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "f.conf", NODE_ROOT_INO, "g.conf",
				   0, PID_A), 0);
	wr(fx, fh, "X", 0);
	assert_int_equal(fs_flush(fx->fs, fh), ESTALE);
	fs_release(fx->fs, fh);
	assert_value(fx, "g.conf", "v1\n");
}

static void test_a_creator_that_wrote_nothing_leaves_a_siblings_value(void **state)
{
	struct fx *fx = *state;
	struct fs_file *creator, *writer;
	uint64_t t;

	/* `exec 3>t; echo data >t; exec 3>&-`: the file holds "data". */
	creator = creat_(fx, "t.conf", O_WRONLY | O_CREAT | O_TRUNC, &t);
	writer = wopen(fx, t, O_WRONLY | O_TRUNC);
	wr(fx, writer, "data\n", 0);
	assert_int_equal(fs_flush(fx->fs, writer), 0);
	fs_release(fx->fs, writer);
	assert_value(fx, "t.conf", "data\n");
	assert_int_equal(fs_flush(fx->fs, creator), 0);
	fs_release(fx->fs, creator);
	assert_value(fx, "t.conf", "data\n");
}

/* ---- a znode without READ permission ---- */

static void test_an_unreadable_znode_is_listed_and_refused_where_read(void **state)
{
	struct fx *fx = *state;
	struct fs_open_reply r;
	struct fs_file *fh = NULL;
	struct fs_dir *dh = NULL;
	struct stat want = { .st_size = 10 }, st;
	double timeout;
	bool keep;
	uint64_t s, d;

	mk(fx, "ok.conf", "fine", false);
	mk(fx, "secret.conf", "hidden", false);
	mk(fx, "d", NULL, false);
	mk(fx, "d/in.conf", "x", false);
	mk(fx, "sealed", NULL, false);
	mk(fx, "sealed/kid.conf", "k", false);
	assert_int_equal(memback_set_acl(fx->m, BASE "/secret.conf", "world:anyone:cdwa\n"), 0);
	assert_int_equal(memback_set_acl(fx->m, BASE "/sealed", "world:anyone:cdwa\n"), 0);
	assert_listing(fx, NODE_ROOT_INO, ". .. .state d ok.conf sealed secret.conf");
	s = lookup(fx, NODE_ROOT_INO, "secret.conf");
	assert_int_equal(fs_getattr(fx->fs, s, &st, &timeout), 0);
	assert_int_equal(st.st_size, 6);
	assert_int_equal(timeout, 0);              /* never cached: no watch holds it */
	assert_int_equal(fs_open(fx->fs, s, O_RDONLY, 0, &fh, &r), EACCES);
	assert_int_equal(fs_open(fx->fs, s, O_RDWR, 0, &fh, &r), EACCES);
	assert_int_equal(fs_setattr(fx->fs, s, FS_SET_SIZE, &want, NULL, &st, &timeout), EACCES);
	/* A directory that cannot be read is not listed as empty. */
	d = lookup(fx, NODE_ROOT_INO, "sealed");
	assert_int_equal(fs_opendir(fx->fs, d, &dh, &keep), EACCES);
	/* Nor moved: its value and children cannot be read. */
	assert_int_equal(memback_set_acl(fx->m, BASE "/d/in.conf", "world:anyone:cdwa\n"), 0);
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "d", NODE_ROOT_INO, "e", 0, 0), EACCES);
	assert_true(exists(fx, "d/in.conf"));
	assert_int_equal(memback_watches(fx->m, BASE "/secret.conf"), 0);
}

/* ---- sizes and stale inodes ---- */

static void test_a_writers_uncommitted_size_shows_in_getattr(void **state)
{
	struct fx *fx = *state;
	struct stat want = { .st_size = 2 }, st;
	struct fs_file *fh;
	double timeout;
	uint64_t f;

	mk(fx, "f.txt", "hello\n", false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	fh = wopen(fx, f, O_RDWR);
	assert_int_equal(size_of(fx, f), 6);
	wr(fx, fh, "abc", 6);
	assert_int_equal(size_of(fx, f), 9);
	assert_int_equal(fs_setattr(fx->fs, f, FS_SET_SIZE, &want, fh, &st, &timeout), 0);
	assert_int_equal(st.st_size, 2);
	assert_int_equal(size_of(fx, f), 2);
	assert_int_equal(zstat_of(fx, "f.txt").data_length, 6);   /* nothing committed */
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	assert_int_equal(size_of(fx, f), 2);
	fs_release(fx->fs, fh);
	assert_value(fx, "f.txt", "he");

	fh = wopen(fx, f, O_WRONLY | O_TRUNC);                    /* its writer sees 0 */
	assert_int_equal(size_of(fx, f), 0);
	fs_discard(fx->fs, fh);
	assert_int_equal(size_of(fx, f), 2);
}

static void test_a_replaced_inode_answers_getattr_and_open_retries(void **state)
{
	struct fx *fx = *state;
	struct fs_open_reply r;
	struct fs_file *fh = NULL;
	struct stat st;
	double timeout;
	uint64_t old;

	mk(fx, "a.conf", "aaa", false);
	mk(fx, "b.conf", "b", false);
	old = lookup(fx, NODE_ROOT_INO, "a.conf");
	assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "b.conf", NODE_ROOT_INO, "a.conf",
				   0, 0), 0);
	assert_int_equal(fs_getattr(fx->fs, old, &st, &timeout), 0);
	assert_int_equal(st.st_size, 3);
	assert_int_equal(st.st_nlink, 0);
	/* ESTALE: the kernel looks the name up again (and opens the new file). */
	assert_int_equal(fs_open(fx->fs, old, O_RDONLY, 0, &fh, &r), ESTALE);
	assert_content(fx, lookup(fx, NODE_ROOT_INO, "a.conf"), "b");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_append_commit_appends_to_the_newest_value),
		T(test_append_after_a_truncation_is_not_an_append),
		T(test_append_to_a_value_past_max_size_is_efbig),
		T(test_rename_commits_what_the_source_writers_hold),
		T(test_rename_of_a_file_not_yet_created_creates_it),
		T(test_a_handle_that_failed_before_does_not_stop_a_rename),
		T(test_rename_over_a_file_changed_since_the_process_read_it_is_estale),
		T(test_rename_by_the_process_that_deleted_the_target_is_not_bound),
		T(test_a_writer_of_an_older_version_renamed_gets_estale),
		T(test_a_creator_that_wrote_nothing_leaves_a_siblings_value),
		T(test_an_unreadable_znode_is_listed_and_refused_where_read),
		T(test_a_writers_uncommitted_size_shows_in_getattr),
		T(test_a_replaced_inode_answers_getattr_and_open_retries),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
