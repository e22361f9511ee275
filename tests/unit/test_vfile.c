/*
 * test_vfile — the virtual files' table (vfile.h) on the in-memory backend:
 * what every entry of the table gets from every operation (so that a new
 * entry is checked by these tests as it is), and the table's own lookups.
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

static void test_the_table_is_found_by_name_in_the_root_only_and_by_inode(void **state)
{
	const struct vfile *v;

	(void)state;
	assert_non_null(vfile_at(0));
	for (size_t i = 0; (v = vfile_at(i)) != NULL; i++) {
		assert_ptr_equal(vfile_by_name(NODE_ROOT_INO, v->name), v);
		assert_ptr_equal(vfile_by_ino(v->ino), v);
		assert_null(vfile_by_name(NODE_FIRST_INO, v->name));
		assert_true(v->ino > NODE_ROOT_INO && v->ino < NODE_FIRST_INO);
		assert_non_null(v->open);
		for (size_t k = 0; k < i; k++)
			assert_true(vfile_at(k)->ino != v->ino &&
				    strcmp(vfile_at(k)->name, v->name) != 0);
	}
	assert_null(vfile_by_name(NODE_ROOT_INO, "app.conf"));
	assert_null(vfile_by_ino(NODE_ROOT_INO));
	assert_null(vfile_by_ino(NODE_FIRST_INO));
	assert_string_equal(vfile_by_ino(VFILE_STATE_INO)->name, ".state");
	assert_string_equal(vfile_by_ino(VFILE_EVENTS_INO)->name, ".events");
}

/* What each operation gives every virtual file. */
static void test_every_virtual_file_is_read_only_and_reserved(void **state)
{
	struct fx *fx = *state;
	const struct vfile *v;
	struct fs_open_reply r;
	struct stat want = { 0 }, st;
	struct fs_entry e;
	struct fs_file *fh;
	char *value = NULL, *names;
	size_t len;
	double t;

	for (size_t i = 0; (v = vfile_at(i)) != NULL; i++) {
		e = lookup_entry(fx, NODE_ROOT_INO, v->name);
		assert_int_equal(e.ino, v->ino);
		assert_int_equal(e.attr.st_mode, S_IFREG | (v->mode & ~022));   /* umask=022 */
		assert_int_equal(e.attr.st_uid, UID);
		assert_int_equal(e.attr.st_gid, GID);
		assert_int_equal(fs_getattr(fx->fs, v->ino, &st, &t), 0);
		assert_int_equal(t, 0.0);                   /* never cached */
		assert_int_equal(st.st_ino, v->ino);
		assert_int_equal(fs_open(fx->fs, v->ino, O_RDONLY, 0, &fh, &r), 0);
		assert_true(r.direct_io && r.noflush && !r.keep_cache);
		assert_int_equal(r.nonseekable, fs_file_events(fh) != NULL);
		fs_release(fx->fs, fh);
		assert_int_equal(fs_open(fx->fs, v->ino, O_WRONLY, 0, &fh, &r), v->write_err);
		assert_int_equal(fs_open(fx->fs, v->ino, O_RDONLY | O_TRUNC, 0, &fh, &r),
				 v->write_err);
		want.st_size = 0;
		assert_int_equal(fs_setattr(fx->fs, v->ino, FS_SET_SIZE, &want, NULL, &st, &t),
				 v->write_err);
		assert_int_equal(fs_setattr(fx->fs, v->ino, FS_SET_MTIME, &want, NULL, &st, &t), 0);
		assert_int_equal(fs_create(fx->fs, NODE_ROOT_INO, v->name, O_WRONLY | O_CREAT |
					   O_EXCL, 0644, 0, &e, &fh, &r), EEXIST);
		assert_int_equal(fs_mkdir(fx->fs, NODE_ROOT_INO, v->name, 0755, &e), EEXIST);
		assert_int_equal(fs_unlink(fx->fs, NODE_ROOT_INO, v->name, 0), v->name_err);
		mk(fx, "x.conf", "x", false);
		assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, "x.conf", NODE_ROOT_INO, v->name,
					   0, 0), v->name_err);
		assert_int_equal(fs_rename(fx->fs, NODE_ROOT_INO, v->name, NODE_ROOT_INO, "y.conf",
					   0, 0), v->name_err);
		assert_int_equal(fs_getxattr(fx->fs, v->ino, "user.zookeeper.version", &value,
					     &len), ENODATA);
		fs_forget(fx->fs, v->ino, 5);               /* never counted: ignored */
		assert_int_equal(memback_delete(fx->m, BASE "/x.conf"), 0);
		/* Listed as the table says. */
		names = list_names(fx, NODE_ROOT_INO);
		assert_int_equal(strstr(names, v->name) != NULL, v->listed);
		free(names);
	}
}

static void test_real_znodes_of_those_names_are_shadowed_in_the_root_only(void **state)
{
	struct fx *fx = *state;
	const struct vfile *v;
	uint64_t d;

	mk(fx, "sub", NULL, false);
	for (size_t i = 0; (v = vfile_at(i)) != NULL; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "%s", v->name);
		mk(fx, rel, "real", false);
		snprintf(rel, sizeof(rel), "sub/%s", v->name);
		mk(fx, rel, "real", false);
		assert_int_equal(lookup(fx, NODE_ROOT_INO, v->name), v->ino);
		d = lookup(fx, NODE_ROOT_INO, "sub");
		assert_content(fx, lookup(fx, d, v->name), "real");
	}
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_table_is_found_by_name_in_the_root_only_and_by_inode),
		T(test_every_virtual_file_is_read_only_and_reserved),
		T(test_real_znodes_of_those_names_are_shadowed_in_the_root_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
