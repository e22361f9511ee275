/*
 * test_mountinfo — reading the kernel's mount table (mountinfo.h): the
 * topmost mount on a path, its type and identity, escaped mount points,
 * optional fields, whether a mount is still in the table, and a table that
 * is not of the format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mountinfo.h"

static const char table[] =
	"22 1 0:21 / /proc rw,nosuid shared:5 - proc proc rw\n"
	"30 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
	"61 30 0:45 / /mnt/a rw,nosuid,nodev,relatime shared:30 - fuse.zkfs "
	"zookeeper://h:2181/a rw,user_id=0,group_id=0\n"
	"62 30 0:46 / /mnt/my\\040dir rw - tmpfs tmpfs rw\n"
	"63 62 0:47 / /mnt/my\\040dir rw master:1 propagate_from:2 - fuse.zkfs "
	"zookeeper://h:2181/b rw\n"
	"64 30 0:48 / /mnt/b rw - fuse.sshfs u@h: rw\n";

static int top(const char *text, const char *path, char *type, size_t len)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(f);
	rc = mountinfo_top(f, path, type, len);
	fclose(f);
	return rc;
}

static void test_finds_the_type_mounted_on_a_path(void **state)
{
	char type[32];

	(void)state;
	assert_int_equal(top(table, "/mnt/a", type, sizeof(type)), 1);
	assert_string_equal(type, "fuse.zkfs");
	assert_int_equal(top(table, "/mnt/b", type, sizeof(type)), 1);
	assert_string_equal(type, "fuse.sshfs");
	assert_int_equal(top(table, "/", type, sizeof(type)), 1);
	assert_string_equal(type, "ext4");
}

static void test_nothing_mounted_is_0(void **state)
{
	char type[32] = "";

	(void)state;
	assert_int_equal(top(table, "/mnt", type, sizeof(type)), 0);
	assert_int_equal(top(table, "/mnt/a/sub", type, sizeof(type)), 0);
	assert_int_equal(top(table, "/mnt/my dir/x", type, sizeof(type)), 0);
}

static void test_the_last_of_stacked_mounts_is_the_top(void **state)
{
	char type[32];

	/* /mnt/my dir: a tmpfs, and a zkfs stacked on it (with optional fields). */
	(void)state;
	assert_int_equal(top(table, "/mnt/my dir", type, sizeof(type)), 1);
	assert_string_equal(type, "fuse.zkfs");
}

static void test_a_long_type_is_cut_to_the_buffer(void **state)
{
	char type[5];

	(void)state;
	assert_int_equal(top(table, "/mnt/a", type, sizeof(type)), 1);
	assert_string_equal(type, "fuse");
}

static void test_a_line_not_of_the_format_is_EINVAL(void **state)
{
	char type[32];

	(void)state;
	assert_int_equal(top("30 1 8:1 / / rw\n", "/", type, sizeof(type)), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(top("garbage\n", "/x", type, sizeof(type)), -1);
	assert_int_equal(top("", "/", type, sizeof(type)), 0);
}

static int has(const char *text, const struct mountinfo_id *id)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(f);
	rc = mountinfo_has(f, id);
	fclose(f);
	return rc;
}

static void test_the_top_mount_is_known_by_id_and_device(void **state)
{
	struct mountinfo_id id = { 0 };
	char type[32];
	FILE *f = fmemopen((void *)table, strlen(table), "r");

	(void)state;
	assert_non_null(f);
	assert_int_equal(mountinfo_top_id(f, "/mnt/my dir", type, sizeof(type), &id), 1);
	fclose(f);
	assert_string_equal(type, "fuse.zkfs");
	assert_int_equal(id.id, 63);
	assert_int_equal(id.major, 0);
	assert_int_equal(id.minor, 47);
	assert_int_equal(has(table, &id), 1);
}

static void test_a_detached_mount_is_not_in_the_table(void **state)
{
	/* After `umount -l /mnt/a`: line 61 is gone; a new mount on the same path
	 * may reuse the ID, but not the device of a mount still in use. */
	static const char after[] =
		"30 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		"61 30 0:49 / /mnt/a rw - fuse.zkfs zookeeper://h:2181/a rw\n";
	/* A bind mount of a subdirectory of /mnt/a still serves it. */
	static const char bound[] =
		"30 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		"70 30 0:45 /sub /srv/b rw - fuse.zkfs zookeeper://h:2181/a rw\n";
	struct mountinfo_id id = { .id = 61, .major = 0, .minor = 45 };

	(void)state;
	assert_int_equal(has(table, &id), 1);
	assert_int_equal(has(after, &id), 0);
	assert_int_equal(has(bound, &id), 1);
	assert_int_equal(has("", &id), 0);
	assert_int_equal(has("garbage\n", &id), -1);
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finds_the_type_mounted_on_a_path),
		cmocka_unit_test(test_nothing_mounted_is_0),
		cmocka_unit_test(test_the_last_of_stacked_mounts_is_the_top),
		cmocka_unit_test(test_a_long_type_is_cut_to_the_buffer),
		cmocka_unit_test(test_a_line_not_of_the_format_is_EINVAL),
		cmocka_unit_test(test_the_top_mount_is_known_by_id_and_device),
		cmocka_unit_test(test_a_detached_mount_is_not_in_the_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
