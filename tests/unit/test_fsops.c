/*
 * test_fsops — the filesystem semantics (SPEC.md §3, §4, §6) on the in-memory
 * backend, without a kernel or a server: the mapping of znodes to files and
 * directories, attributes, `.state`, the caches and the watch events that
 * drop them (counted in backend fetches), events racing a fetch (race_hook,
 * fsfx.h), large values, xattrs, and the errnos. Directories (listings, the
 * virtual entries in them, `.data`, lookup counts) are test_fsdir; the
 * fixture is fsfx.h.
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


/* ---- mapping (SPEC §3) ---- */

static void test_znode_with_children_is_a_directory(void **state)
{
	struct fx *fx = *state;

	mk(fx, "app.conf", "data", false);
	mk(fx, "app.conf/child", NULL, false);
	assert_int_equal(type_of(fx, "app.conf"), S_IFDIR);
}

static void test_ephemeral_znode_is_a_file(void **state)
{
	struct fx *fx = *state;

	mk(fx, "member", NULL, true);
	assert_int_equal(type_of(fx, "member"), S_IFREG);
}

static void test_znode_with_data_is_a_file(void **state)
{
	struct fx *fx = *state;

	mk(fx, "locks", "x", false);
	assert_int_equal(type_of(fx, "locks"), S_IFREG);
}

static void test_empty_znode_with_an_extension_is_a_file(void **state)
{
	struct fx *fx = *state;

	mk(fx, "app.conf", NULL, false);
	mk(fx, "a.b.c", NULL, false);
	assert_int_equal(type_of(fx, "app.conf"), S_IFREG);
	assert_int_equal(type_of(fx, "a.b.c"), S_IFREG);
}

static void test_empty_znode_without_an_extension_is_a_directory(void **state)
{
	struct fx *fx = *state;

	mk(fx, "locks", NULL, false);
	assert_int_equal(type_of(fx, "locks"), S_IFDIR);
}

static void test_empty_znode_ending_in_dot_d_is_a_directory(void **state)
{
	struct fx *fx = *state;

	mk(fx, "x.d", NULL, false);
	mk(fx, "conf.d", NULL, false);
	assert_int_equal(type_of(fx, "x.d"), S_IFDIR);
	assert_int_equal(type_of(fx, "conf.d"), S_IFDIR);
}

static void test_empty_znode_with_only_a_leading_dot_is_a_directory(void **state)
{
	struct fx *fx = *state;

	mk(fx, ".hidden", NULL, false);
	assert_int_equal(type_of(fx, ".hidden"), S_IFDIR);
}

static void test_root_is_a_directory_even_with_data(void **state)
{
	struct fx *fx = *state;
	struct stat st;
	double timeout;

	set(fx, "", "root data");
	assert_int_equal(fs_getattr(fx->fs, NODE_ROOT_INO, &st, &timeout), 0);
	assert_int_equal(st.st_mode & S_IFMT, S_IFDIR);
	assert_int_equal(st.st_ino, NODE_ROOT_INO);
	assert_content(fx, lookup(fx, NODE_ROOT_INO, ".data"), "root data");
}

/* ---- attributes ---- */

static void test_attributes_come_from_the_znode_stat(void **state)
{
	struct fx *fx = *state;
	struct fs_entry f, d;
	struct zstat zs;

	mk(fx, "f.txt", "hello", false);
	mk(fx, "d", NULL, false);
	mk(fx, "d/c", NULL, false);
	f = lookup_entry(fx, NODE_ROOT_INO, "f.txt");
	d = lookup_entry(fx, NODE_ROOT_INO, "d");
	assert_int_equal(memback_stat(fx->m, BASE "/f.txt", &zs), 0);

	assert_int_equal(f.attr.st_size, 5);
	assert_int_equal(f.attr.st_mode, S_IFREG | 0644);
	assert_int_equal(f.attr.st_nlink, 1);
	assert_int_equal(f.attr.st_uid, UID);
	assert_int_equal(f.attr.st_gid, GID);
	assert_int_equal(f.attr.st_mtim.tv_sec, zs.mtime_ms / 1000);
	assert_int_equal(f.attr.st_mtim.tv_nsec, (zs.mtime_ms % 1000) * 1000000);
	assert_int_equal(f.attr.st_ctim.tv_sec, zs.mtime_ms / 1000);
	assert_true(f.entry_timeout > 0);
	assert_true(f.attr_timeout > 0);

	assert_int_equal(d.attr.st_mode, S_IFDIR | 0755);
	assert_int_equal(d.attr.st_nlink, 1);
	assert_int_equal(d.attr.st_size, 0);
}

static void test_getattr_matches_lookup(void **state)
{
	struct fx *fx = *state;
	struct fs_entry e;
	struct stat st;
	double timeout;

	mk(fx, "f.txt", "hello", false);
	e = lookup_entry(fx, NODE_ROOT_INO, "f.txt");
	assert_int_equal(fs_getattr(fx->fs, e.ino, &st, &timeout), 0);
	assert_int_equal(st.st_ino, e.ino);
	assert_int_equal(st.st_mode, e.attr.st_mode);
	assert_int_equal(st.st_size, e.attr.st_size);
	assert_int_equal(st.st_mtim.tv_sec, e.attr.st_mtim.tv_sec);
	assert_true(timeout > 0);
}

static void test_umask_applies_to_modes(void **state)
{
	struct fx *fx = *state;

	mk(fx, "f.txt", "x", false);
	mk(fx, "d", NULL, false);
	assert_int_equal(lookup_entry(fx, NODE_ROOT_INO, "f.txt").attr.st_mode, S_IFREG | 0640);
	assert_int_equal(lookup_entry(fx, NODE_ROOT_INO, "d").attr.st_mode, S_IFDIR | 0750);
}

/* ---- .state (SPEC §6) ---- */

static void test_state_is_ino_2_and_reads_LOST_at_first(void **state)
{
	struct fx *fx = *state;
	struct fs_entry e = lookup_entry(fx, NODE_ROOT_INO, ".state");
	struct stat st;
	double timeout;

	assert_int_equal(e.ino, VFILE_STATE_INO);
	assert_int_equal(e.attr.st_mode, S_IFREG | 0444);
	assert_int_equal(e.attr.st_size, 5);
	assert_content(fx, VFILE_STATE_INO, "LOST\n");
	assert_int_equal(fs_getattr(fx->fs, VFILE_STATE_INO, &st, &timeout), 0);
	assert_int_equal(st.st_size, 5);
	assert_int_equal(fetches(fx), 0);
}

static void test_state_reads_CONNECTED_once_connected(void **state)
{
	struct fx *fx = *state;
	struct stat st;
	double timeout;

	assert_true(fs_on_state(fx->fs, ZS_CONNECTED, false));
	assert_content(fx, VFILE_STATE_INO, "CONNECTED\n");
	assert_int_equal(fs_getattr(fx->fs, VFILE_STATE_INO, &st, &timeout), 0);
	assert_int_equal(st.st_size, 10);
	assert_true(fs_on_state(fx->fs, ZS_SUSPENDED, false));
	assert_content(fx, VFILE_STATE_INO, "SUSPENDED\n");
}

static void test_on_state_reports_only_changes(void **state)
{
	struct fx *fx = *state;

	assert_false(fs_on_state(fx->fs, ZS_LOST, false));
	assert_true(fs_on_state(fx->fs, ZS_CONNECTED, false));
	assert_false(fs_on_state(fx->fs, ZS_CONNECTED, false));
	assert_true(fs_on_state(fx->fs, ZS_LOST, true));
}

static void test_state_open_is_direct_io(void **state)
{
	struct fx *fx = *state;
	struct fs_open_reply r;
	struct fs_file *fh;

	assert_int_equal(fs_open(fx->fs, VFILE_STATE_INO, O_RDONLY, 0, &fh, &r), 0);
	assert_true(r.direct_io);
	assert_false(r.keep_cache);
	assert_true(r.noflush);
	assert_false(r.nonseekable);
	fs_release(fx->fs, fh);
	/* .events: a stream */
	assert_int_equal(fs_open(fx->fs, VFILE_EVENTS_INO, O_RDONLY, 0, &fh, &r), 0);
	assert_true(r.direct_io && r.noflush && r.nonseekable);
	assert_non_null(fs_file_events(fh));
	fs_release(fx->fs, fh);
	assert_int_equal(fs_open(fx->fs, VFILE_EVENTS_INO, O_WRONLY, 0, &fh, &r), EACCES);
}

/* ---- the negative cache ---- */

static void test_missing_name_is_a_cached_negative_entry(void **state)
{
	struct fx *fx = *state;
	struct fs_entry e;
	size_t before;

	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "nope", &e), ENOENT);
	assert_int_equal(e.ino, 0);
	assert_true(e.entry_timeout > 0);
	assert_true(memback_watches(fx->m, BASE "/nope") & MEMBACK_W_EXISTS);
	before = fetches(fx);
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "nope", &e), ENOENT);
	assert_true(e.entry_timeout > 0);
	assert_int_equal(fetches(fx), before);
}

static void test_created_name_is_found_after_a_negative_entry(void **state)
{
	struct fx *fx = *state;
	struct fs_entry e;

	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "later.conf", &e), ENOENT);
	mk(fx, "later.conf", "here", false);
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "later.conf"), 1);
	assert_content(fx, lookup(fx, NODE_ROOT_INO, "later.conf"), "here");
}

static void test_impossible_name_is_ENOENT_without_a_request(void **state)
{
	struct fx *fx = *state;
	struct fs_entry e;

	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "bad\nname", &e), ENOENT);
	assert_int_equal(e.entry_timeout, 0);
	assert_int_equal(fetches(fx), 0);
}

/* ---- the positive cache ---- */

static void test_unchanged_nodes_are_served_without_a_request(void **state)
{
	struct fx *fx = *state;
	uint64_t d, f, df;
	struct stat st;
	double timeout;
	size_t before = 0;

	mk(fx, "d", "dir data", false);
	mk(fx, "d/f.txt", "hello", false);
	for (int round = 0; round < 2; round++) {
		if (round == 1)
			before = fetches(fx);
		d = lookup(fx, NODE_ROOT_INO, "d");
		f = lookup(fx, d, "f.txt");
		df = lookup(fx, d, ".data");
		assert_int_equal(fs_getattr(fx->fs, NODE_ROOT_INO, &st, &timeout), 0);
		assert_int_equal(fs_getattr(fx->fs, d, &st, &timeout), 0);
		assert_int_equal(fs_getattr(fx->fs, f, &st, &timeout), 0);
		assert_content(fx, f, "hello");
		assert_content(fx, df, "dir data");
		assert_listing(fx, NODE_ROOT_INO, ". .. .state d");
		assert_listing(fx, d, ". .. .data f.txt");
	}
	assert_int_equal(fetches(fx), before);
}

static void test_remote_set_is_read_by_the_next_read(void **state)
{
	struct fx *fx = *state;
	uint64_t f;

	mk(fx, "f.txt", "old", false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	assert_content(fx, f, "old");
	set(fx, "f.txt", "brand new");
	assert_int_equal(count_inode(&fx->sink, f), 1);
	assert_content(fx, f, "brand new");
	assert_int_equal(lookup_entry(fx, NODE_ROOT_INO, "f.txt").attr.st_size, 9);
}

/* File data is cached by the daemon (watched), never in the kernel's pages. */
static void test_file_opens_are_direct_io(void **state)
{
	struct fx *fx = *state;
	struct fs_open_reply r;
	struct fs_file *fh;
	uint64_t f;

	mk(fx, "f.txt", "v1", false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	assert_false(open_keeps_cache(fx, f));
	assert_int_equal(fs_open(fx->fs, f, O_RDONLY, 0, &fh, &r), 0);
	assert_true(r.direct_io);
	assert_true(r.noflush);       /* nothing to commit: no FLUSH at close */
	assert_null(fs_file_events(fh));
	fs_release(fx->fs, fh);
}

static void test_file_gaining_a_child_becomes_a_directory_with_a_new_ino(void **state)
{
	struct fx *fx = *state;
	struct stat st;
	double timeout;
	uint64_t old, dir;

	mk(fx, "node", "x", false);
	old = lookup(fx, NODE_ROOT_INO, "node");
	mk(fx, "node/child", NULL, false);
	assert_int_equal(count_inode(&fx->sink, old), 1);
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "node"), 1);
	/* While the kernel holds the old inode (an open file), it shows what it
	 * showed last, unlinked, and cannot be opened. */
	assert_int_equal(fs_getattr(fx->fs, old, &st, &timeout), 0);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(st.st_size, 1);
	assert_true(S_ISREG(st.st_mode));

	dir = lookup(fx, NODE_ROOT_INO, "node");
	assert_int_not_equal(dir, old);
	assert_int_equal(type_of(fx, "node"), S_IFDIR);
	assert_int_equal(fs_getattr(fx->fs, old, &st, &timeout), 0);
	assert_int_equal(st.st_nlink, 0);
	assert_content(fx, lookup(fx, dir, ".data"), "x");
	fs_forget(fx->fs, old, 1);
	assert_null(table_node(fx, old));
	assert_int_equal(fs_getattr(fx->fs, old, &st, &timeout), ENOENT);
}

static void test_deleted_node_is_gone(void **state)
{
	struct fx *fx = *state;
	struct fs_entry e;
	struct stat st;
	double timeout;
	uint64_t f;

	mk(fx, "f.txt", "x", false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	assert_int_equal(memback_delete(fx->m, BASE "/f.txt"), 0);
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "f.txt"), 1);
	/* fstat of a descriptor still open on it: its last attributes, no link. */
	assert_int_equal(fs_getattr(fx->fs, f, &st, &timeout), 0);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(timeout, 0);
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "f.txt", &e), ENOENT);
	assert_true(e.entry_timeout > 0);
	/* Recreated: a new incarnation, a new inode. */
	mk(fx, "f.txt", "y", false);
	assert_int_not_equal(lookup(fx, NODE_ROOT_INO, "f.txt"), f);
}

/* ---- events that race a fetch ---- */

static void test_event_during_a_lookup_fetch_is_not_cached(void **state)
{
	struct fx *fx = *state;
	struct race r = { .path = BASE "/f.txt", .what = RACE_SET };
	struct fs_entry e;
	size_t before;

	mk(fx, "f.txt", "old", false);
	memback_set_fetch_hook(fx->m, race_hook, &r);
	e = lookup_entry(fx, NODE_ROOT_INO, "f.txt");
	assert_int_equal(r.fired, 1);
	assert_int_equal(e.entry_timeout, 0);
	assert_int_equal(e.attr_timeout, 0);

	before = fetches(fx);
	e = lookup_entry(fx, NODE_ROOT_INO, "f.txt");
	assert_int_equal(fetches(fx), before + 1);
	assert_true(e.entry_timeout > 0);
	assert_int_equal(e.attr.st_size, 5);
	assert_content(fx, e.ino, "raced");
	assert_int_equal(fetches(fx), before + 1);
	fs_forget(fx->fs, e.ino, 2);
}

static void test_creation_during_a_negative_lookup_is_not_cached(void **state)
{
	struct fx *fx = *state;
	struct race r = { .path = BASE "/new.conf", .what = RACE_CREATE };
	struct fs_entry e;

	memback_set_fetch_hook(fx->m, race_hook, &r);
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "new.conf", &e), ENOENT);
	assert_int_equal(r.fired, 1);
	assert_int_equal(e.entry_timeout, 0);
	assert_content(fx, lookup(fx, NODE_ROOT_INO, "new.conf"), "raced");
}

static void test_directory_deleted_during_a_datafile_lookup_is_ENOENT(void **state)
{
	struct fx *fx = *state;
	struct race r = { .path = BASE "/locks", .what = RACE_DELETE };
	struct fs_entry e;
	uint64_t d;

	mk(fx, "locks", NULL, false);
	d = lookup(fx, NODE_ROOT_INO, "locks");
	fs_on_rejected(fx->fs);                 /* drop the cache: the lookup fetches */
	memback_set_fetch_hook(fx->m, race_hook, &r);
	assert_int_equal(fs_lookup(fx->fs, d, ".data", &e), ENOENT);
	assert_int_equal(r.fired, 1);
}

static void test_directory_turned_file_has_no_datafile(void **state)
{
	struct fx *fx = *state;
	struct fs_entry e;
	uint64_t d;

	mk(fx, "locks", NULL, false);
	d = lookup(fx, NODE_ROOT_INO, "locks");
	set(fx, "locks", "now a file");
	assert_int_equal(fs_lookup(fx->fs, d, ".data", &e), ENOENT);
}

/* ---- large values ---- */

static void test_megabyte_value_reads_back_whole_at_any_offset(void **state)
{
	struct fx *fx = *state;
	const size_t size = 1000000;
	char *value = malloc(size), *whole;
	const char *buf;
	struct fs_open_reply r;
	struct fs_file *fh;
	size_t len;
	uint64_t f;

	assert_non_null(value);
	for (size_t i = 0; i < size; i++)
		value[i] = (char)(i * 31 % 251);
	assert_int_equal(memback_create(fx->m, BASE "/big.bin", value, size, false), 0);
	f = lookup(fx, NODE_ROOT_INO, "big.bin");
	assert_int_equal(lookup_entry(fx, NODE_ROOT_INO, "big.bin").attr.st_size, size);

	assert_int_equal(fs_open(fx->fs, f, O_RDONLY, 0, &fh, &r), 0);
	assert_int_equal(rd(fx->fs, fh, size, 0, &buf, &len), 0);
	assert_int_equal(len, size);
	assert_memory_equal(buf, value, size);
	assert_int_equal(rd(fx->fs, fh, 131072, 4096, &buf, &len), 0);
	assert_int_equal(len, 131072);
	assert_memory_equal(buf, value + 4096, len);
	assert_int_equal(rd(fx->fs, fh, 131072, 999000, &buf, &len), 0);
	assert_int_equal(len, 1000);
	assert_memory_equal(buf, value + 999000, len);
	assert_int_equal(rd(fx->fs, fh, 10, 999999, &buf, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(buf[0], value[999999]);
	assert_int_equal(rd(fx->fs, fh, 10, 1000000, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(rd(fx->fs, fh, 10, 5000000, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(rd(fx->fs, fh, 10, -1, &buf, &len), EINVAL);
	fs_release(fx->fs, fh);

	whole = read_all(fx, f, &len);
	assert_int_equal(len, size);
	assert_memory_equal(whole, value, size);
	free(whole);
	free(value);
}

static void test_open_file_keeps_reading_the_value_it_opened(void **state)
{
	struct fx *fx = *state;
	struct fs_open_reply r;
	struct fs_file *fh;
	const char *buf;
	size_t len;
	uint64_t f;

	mk(fx, "f.txt", "before", false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	assert_int_equal(fs_open(fx->fs, f, O_RDONLY, 0, &fh, &r), 0);
	set(fx, "f.txt", "after!");
	assert_int_equal(rd(fx->fs, fh, 100, 0, &buf, &len), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(buf, "before", 6);
	fs_release(fx->fs, fh);
	assert_content(fx, f, "after!");
}

/* ---- extended attributes ---- */

static char *xattr(struct fx *fx, uint64_t ino, const char *name)
{
	char *value = NULL, *out;
	size_t len = 0;
	int rc = fs_getxattr(fx->fs, ino, name, &value, &len);

	if (rc != 0)
		fail_msg("getxattr %s: %s", name, strerror(rc));
	out = strndup(value, len);
	assert_non_null(out);
	free(value);
	return out;
}

static void assert_xattr(struct fx *fx, uint64_t ino, const char *name, const char *expect)
{
	char *got = xattr(fx, ino, name);

	assert_string_equal(got, expect);
	free(got);
}

static void test_xattrs_show_the_znode_stat(void **state)
{
	struct fx *fx = *state;
	uint64_t f, d, e;
	struct zstat zs;
	char hex[32];

	mk(fx, "f.txt", "a", false);
	set(fx, "f.txt", "bb");
	set(fx, "f.txt", "ccc");
	mk(fx, "d", NULL, false);
	mk(fx, "d/x", NULL, false);
	mk(fx, "d/y", NULL, false);
	mk(fx, "e", NULL, true);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	d = lookup(fx, NODE_ROOT_INO, "d");
	e = lookup(fx, NODE_ROOT_INO, "e");
	assert_int_equal(memback_stat(fx->m, BASE "/f.txt", &zs), 0);

	assert_xattr(fx, f, "user.zookeeper.version", "2");
	assert_xattr(fx, f, "user.zookeeper.dataLength", "3");
	assert_xattr(fx, f, "user.zookeeper.numChildren", "0");
	assert_xattr(fx, f, "user.zookeeper.ephemeralOwner", "0x0");
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)zs.czxid);
	assert_xattr(fx, f, "user.zookeeper.czxid", hex);
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)zs.mzxid);
	assert_xattr(fx, f, "user.zookeeper.mzxid", hex);
	snprintf(hex, sizeof(hex), "%lld", (long long)zs.mtime_ms);
	assert_xattr(fx, f, "user.zookeeper.mtime", hex);
	assert_xattr(fx, d, "user.zookeeper.numChildren", "2");
	assert_xattr(fx, d, "user.zookeeper.cversion", "2");
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)MEMBACK_SESSION);
	assert_xattr(fx, e, "user.zookeeper.ephemeralOwner", hex);
	assert_xattr(fx, f, "user.zookeeper.acl", MEMBACK_DEFAULT_ACL);
	assert_int_equal(memback_set_acl(fx->m, BASE "/d", "digest:bob:abc=:r\n"), 0);
	assert_xattr(fx, d, "user.zookeeper.acl", "digest:bob:abc=:r\n");
}

static void test_unknown_xattr_is_ENODATA(void **state)
{
	struct fx *fx = *state;
	char *value = NULL;
	size_t len;
	uint64_t f;

	mk(fx, "f.txt", "a", false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	assert_int_equal(fs_getxattr(fx->fs, f, "user.zookeeper.nope", &value, &len), ENODATA);
	assert_int_equal(fs_getxattr(fx->fs, f, "user.other", &value, &len), ENODATA);
	assert_int_equal(fs_getxattr(fx->fs, f, "security.selinux", &value, &len), ENODATA);
	assert_int_equal(fs_getxattr(fx->fs, VFILE_STATE_INO, "user.zookeeper.version", &value,
				     &len), ENODATA);
	assert_null(value);
}

static void test_listxattr_lists_none_of_the_zookeeper_names(void **state)
{
	struct fx *fx = *state;
	char *list = NULL, *value = NULL;
	size_t len = 1;
	uint64_t f;

	/* They are ZooKeeper's, readable by name, but not listed: cp -a, mv and
	 * rsync -X copy what is listed, and could set none of them. */
	mk(fx, "f.txt", "a", false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	assert_int_equal(fs_listxattr(fx->fs, f, &list, &len), 0);
	assert_int_equal(len, 0);
	free(list);
	assert_int_equal(fs_getxattr(fx->fs, f, "user.zookeeper.version", &value, &len), 0);
	assert_int_equal(len, 1);
	assert_memory_equal(value, "0", 1);
	free(value);
}

/* ---- a backend that is down, and session expiry ---- */

static void test_backend_down_fails_uncached_lookups_but_serves_the_cache(void **state)
{
	struct fx *fx = *state;
	struct fs_entry e;
	struct stat st;
	double timeout;
	uint64_t a;

	mk(fx, "a.txt", "cached", false);
	mk(fx, "b.txt", "never read", false);
	a = lookup(fx, NODE_ROOT_INO, "a.txt");
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "absent", &e), ENOENT);
	memback_set_down(fx->m, true);

	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "b.txt", &e), EIO);
	assert_int_equal(lookup(fx, NODE_ROOT_INO, "a.txt"), a);
	assert_int_equal(fs_getattr(fx->fs, a, &st, &timeout), 0);
	assert_content(fx, a, "cached");
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "absent", &e), ENOENT);
	assert_true(e.entry_timeout > 0);

	memback_set_down(fx->m, false);
	assert_content(fx, lookup(fx, NODE_ROOT_INO, "b.txt"), "never read");
}

static void test_backend_down_fails_uncached_reads_with_EIO(void **state)
{
	struct fx *fx = *state;
	struct fs_open_reply r;
	struct fs_file *fh;
	struct fs_dir *dh;
	struct stat st;
	double timeout;
	bool keep;
	uint64_t a;

	mk(fx, "a.txt", "x", false);
	a = lookup(fx, NODE_ROOT_INO, "a.txt");
	set(fx, "a.txt", "y");                 /* drops the cached facts */
	memback_set_down(fx->m, true);
	assert_int_equal(fs_getattr(fx->fs, a, &st, &timeout), EIO);
	assert_int_equal(fs_open(fx->fs, a, O_RDONLY, 0, &fh, &r), EIO);
	assert_int_equal(fs_opendir(fx->fs, NODE_ROOT_INO, &dh, &keep), EIO);
}

/* ---- errors ---- */

static void test_open_of_a_directory_is_EISDIR(void **state)
{
	struct fx *fx = *state;
	struct fs_open_reply r;
	struct fs_file *fh;

	mk(fx, "d", NULL, false);
	assert_int_equal(fs_open(fx->fs, lookup(fx, NODE_ROOT_INO, "d"), O_RDONLY, 0, &fh, &r),
			 EISDIR);
	assert_int_equal(fs_open(fx->fs, NODE_ROOT_INO, O_RDONLY, 0, &fh, &r), EISDIR);
}

static void test_unknown_inode_is_ENOENT(void **state)
{
	struct fx *fx = *state;
	struct fs_entry e;
	struct stat st;
	double timeout;

	assert_int_equal(fs_getattr(fx->fs, 9999, &st, &timeout), ENOENT);
	assert_int_equal(fs_lookup(fx->fs, 9999, "x", &e), ENOENT);
}

static void test_statfs_answers(void **state)
{
	struct fx *fx = *state;
	struct statvfs st;

	assert_int_equal(fs_statfs(fx->fs, &st), 0);
	assert_int_equal(st.f_bsize, 4096);
	assert_true(st.f_namemax > 0);
	assert_int_equal(fetches(fx), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_znode_with_children_is_a_directory),
		T(test_ephemeral_znode_is_a_file),
		T(test_znode_with_data_is_a_file),
		T(test_empty_znode_with_an_extension_is_a_file),
		T(test_empty_znode_without_an_extension_is_a_directory),
		T(test_empty_znode_ending_in_dot_d_is_a_directory),
		T(test_empty_znode_with_only_a_leading_dot_is_a_directory),
		T(test_root_is_a_directory_even_with_data),
		T(test_attributes_come_from_the_znode_stat),
		T(test_getattr_matches_lookup),
		cmocka_unit_test_setup_teardown(test_umask_applies_to_modes, fx_setup_umask027,
						fx_teardown),
		T(test_state_is_ino_2_and_reads_LOST_at_first),
		T(test_state_reads_CONNECTED_once_connected),
		T(test_on_state_reports_only_changes),
		T(test_state_open_is_direct_io),
		T(test_missing_name_is_a_cached_negative_entry),
		T(test_created_name_is_found_after_a_negative_entry),
		T(test_impossible_name_is_ENOENT_without_a_request),
		T(test_unchanged_nodes_are_served_without_a_request),
		T(test_remote_set_is_read_by_the_next_read),
		T(test_file_opens_are_direct_io),
		T(test_file_gaining_a_child_becomes_a_directory_with_a_new_ino),
		T(test_deleted_node_is_gone),
		T(test_event_during_a_lookup_fetch_is_not_cached),
		T(test_creation_during_a_negative_lookup_is_not_cached),
		T(test_directory_deleted_during_a_datafile_lookup_is_ENOENT),
		T(test_directory_turned_file_has_no_datafile),
		T(test_megabyte_value_reads_back_whole_at_any_offset),
		T(test_open_file_keeps_reading_the_value_it_opened),
		T(test_xattrs_show_the_znode_stat),
		T(test_unknown_xattr_is_ENODATA),
		T(test_listxattr_lists_none_of_the_zookeeper_names),
		T(test_backend_down_fails_uncached_lookups_but_serves_the_cache),
		T(test_backend_down_fails_uncached_reads_with_EIO),
		T(test_open_of_a_directory_is_EISDIR),
		T(test_unknown_inode_is_ENOENT),
		T(test_statfs_answers),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
