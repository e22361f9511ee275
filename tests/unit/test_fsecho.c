/*
 * test_fsecho — what changes made by other clients raise (fsecho.c,
 * fsechoplan.c), on the in-memory backend: the queue is drained by
 * fs_echo_drain with a stand-in for the kernel that does what the kernel
 * does for the thread's system calls (a lookup of each component through
 * fs_echo_lookup, then fs_echo_make or fs_echo_remove) and records each
 * operation that succeeded as "MODIFY rel", "CREATE rel/" (a directory),
 * "CREATE rel", "DELETE rel". Only what the kernel knows raises anything;
 * what this mount does itself raises nothing twice; bursts coalesce; the
 * watches are re-armed without a read.
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

struct kernel {
	struct fx *fx;
	char log[4096];
};

/* Look up each component of `rel` but the last through fs_echo_lookup (the
 * kernel's path walk); *last points to the last. 0: the directory's inode
 * in *dir (one lookup counted, the caller forgets it; the root: none). */
static int walk(struct kernel *k, const char *rel, uint64_t *dir, char *last, size_t len)
{
	char buf[512], *comp, *save = NULL, *next;
	uint64_t at = NODE_ROOT_INO;

	snprintf(buf, sizeof(buf), "%s", rel);
	comp = strtok_r(buf, "/", &save);
	while (comp && (next = strtok_r(NULL, "/", &save)) != NULL) {
		struct fs_entry e;
		int rc = fs_echo_lookup(k->fx->fs, at, comp, &e);

		if (at != NODE_ROOT_INO)
			fs_forget(k->fx->fs, at, 1);
		if (rc)
			return rc;
		at = e.ino;
		comp = next;
	}
	snprintf(last, len, "%s", comp ? comp : "");
	*dir = at;
	return 0;
}

static int kernel_op(void *ctx, enum echo_op_type type, const char *rel, enum node_kind kind)
{
	struct kernel *k = ctx;
	struct fs *fs = k->fx->fs;
	struct fs_entry e;
	char name[256], line[600];
	uint64_t dir;
	int rc = walk(k, rel, &dir, name, sizeof(name));

	if (rc)
		return rc;
	rc = fs_echo_lookup(fs, dir, name, &e);
	if (type == ECHO_MODIFY) {
		if (rc == 0)
			fs_forget(fs, e.ino, 1);   /* open, write, close: answered by ops.c */
	} else if (type == ECHO_CREATE) {
		if (rc == 0) {                 /* the kernel finds it: EEXIST */
			fs_forget(fs, e.ino, 1);
			rc = EEXIST;
		} else if (rc == ENOENT) {
			rc = fs_echo_make(fs, dir, name, kind == NK_DIR, &e);
		}
	} else if (rc == 0) {
		rc = fs_echo_remove(fs, dir, name);
		fs_forget(fs, e.ino, 1);       /* the kernel lets go of the deleted inode */
	}
	if (dir != NODE_ROOT_INO)
		fs_forget(fs, dir, 1);
	if (rc == 0) {
		snprintf(line, sizeof(line), "%s%s %s%s", k->log[0] ? "\n" : "",
			 type == ECHO_MODIFY ? "MODIFY" : type == ECHO_CREATE ? "CREATE" : "DELETE",
			 rel, type == ECHO_CREATE && kind == NK_DIR ? "/" : "");
		strncat(k->log, line, sizeof(k->log) - strlen(k->log) - 1);
	}
	return rc;
}

/* Drain the queue; what it raised, one operation a line. */
static const char *drain(struct kernel *k, struct fx *fx)
{
	k->fx = fx;
	k->log[0] = '\0';
	fs_echo_drain(fx->fs, kernel_op, k);
	assert_int_equal(fs_echo_queued(fx->fs), 0);
	return k->log;
}

static void rm_(struct fx *fx, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), BASE "/%s", rel);
	assert_int_equal(memback_delete(fx->m, path), 0);
}

/* ---- data ---- */

static void test_a_remote_set_modifies_a_known_file_at_every_change(void **state)
{
	struct fx *fx = *state;
	struct kernel k;

	mk(fx, "a.conf", "v1", false);
	lookup(fx, NODE_ROOT_INO, "a.conf");
	set(fx, "a.conf", "v2");
	assert_string_equal(drain(&k, fx), "MODIFY a.conf");
	/* Nobody read it since: the drain's own fetch re-armed the watch. */
	set(fx, "a.conf", "v3");
	assert_string_equal(drain(&k, fx), "MODIFY a.conf");
	assert_string_equal(drain(&k, fx), "");
}

static void test_a_burst_on_one_file_is_one_modify(void **state)
{
	struct fx *fx = *state;
	struct kernel k;
	char v[16];

	mk(fx, "hot.conf", "0", false);
	lookup(fx, NODE_ROOT_INO, "hot.conf");
	for (int i = 1; i <= 100; i++) {
		snprintf(v, sizeof(v), "%d", i);
		set(fx, "hot.conf", v);
	}
	assert_int_equal(fs_echo_queued(fx->fs), 1);
	assert_string_equal(drain(&k, fx), "MODIFY hot.conf");
}

static void test_what_the_kernel_does_not_know_raises_nothing(void **state)
{
	struct fx *fx = *state;
	struct kernel k;

	mk(fx, "a.conf", "v1", false);
	mk(fx, "d", NULL, false);
	mk(fx, "d/x.conf", "x", false);
	assert_content(fx, lookup(fx, NODE_ROOT_INO, "a.conf"), "v1");
	fs_forget(fx->fs, lookup(fx, NODE_ROOT_INO, "a.conf"), 2);   /* forgotten */
	set(fx, "a.conf", "v2");
	mk(fx, "d/y.conf", "y", false);     /* d was never listed */
	assert_int_equal(fs_echo_queued(fx->fs), 0);
	assert_string_equal(drain(&k, fx), "");
}

static void test_this_mounts_own_write_raises_nothing_more(void **state)
{
	struct fx *fx = *state;
	struct kernel k;
	struct fs_file *fh;
	uint64_t a;

	mk(fx, "a.conf", "v1", false);
	a = lookup(fx, NODE_ROOT_INO, "a.conf");
	fh = wopen(fx, a, O_WRONLY | O_TRUNC);
	wr(fx, fh, "mine", 0);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_value(fx, "a.conf", "mine");
	assert_string_equal(drain(&k, fx), "");
	set(fx, "a.conf", "theirs");        /* then another client's */
	assert_string_equal(drain(&k, fx), "MODIFY a.conf");
}

/* The watch event of this mount's own write comes before the write's reply:
 * a refetch planned meanwhile cannot tell whose value it sees, and waits for
 * the reply (here: answered during the second refetch) instead of raising. */
struct reply {
	struct fx *fx;
	int calls;
};

static void reply_hook(void *ctx, struct memback *m, const char *const *paths, size_t n)
{
	struct reply *r = ctx;
	struct fx *fx = r->fx;
	struct node_table *t = fs_table(fx->fs);
	struct zstat st;
	struct entry *e;

	(void)paths;
	(void)n;
	if (++r->calls < 2)
		return;
	assert_int_equal(memback_stat(m, BASE "/mine.conf", &st), 0);
	node_lock(t);
	e = node_entry(t, BASE "/mine.conf");
	if (e && e->writing) {
		e->writing = 0;
		e->own_mzxid = st.mzxid;
	}
	node_unlock(t);
}

static void test_an_own_write_in_flight_is_not_raised_as_remote(void **state)
{
	struct fx *fx = *state;
	struct node_table *t = fs_table(fx->fs);
	struct reply r = { .fx = fx };
	struct kernel k;
	struct entry *e;

	mk(fx, "mine.conf", "v1", false);
	lookup(fx, NODE_ROOT_INO, "mine.conf");
	node_lock(t);
	e = node_entry(t, BASE "/mine.conf");
	assert_non_null(e);
	e->writing = 1;                 /* a commit of it was sent, not answered */
	node_unlock(t);
	set(fx, "mine.conf", "v2");      /* its watch event */
	memback_set_fetch_hook(fx->m, reply_hook, &r);
	assert_string_equal(drain(&k, fx), "");
	memback_set_fetch_hook(fx->m, NULL, NULL);
}

static void test_a_directory_data_change_modifies_its_datafile(void **state)
{
	struct fx *fx = *state;
	struct kernel k;

	mk(fx, "d", "v1", false);
	mk(fx, "d/c", NULL, false);
	lookup(fx, NODE_ROOT_INO, "d");
	set(fx, "d", "v2");
	assert_string_equal(drain(&k, fx), "MODIFY d/.data");
}

/* ---- names ---- */

static void test_creates_in_a_listed_directory_show_their_kind(void **state)
{
	struct fx *fx = *state;
	struct kernel k;
	uint64_t d;

	mk(fx, "d", NULL, false);
	mk(fx, "d/old.conf", "o", false);
	d = lookup(fx, NODE_ROOT_INO, "d");
	free(list_names(fx, d));
	mk(fx, "d/new.conf", "n", false);
	mk(fx, "d/sub", NULL, false);
	mk(fx, "d/sub/inner.conf", "i", false);
	assert_string_equal(drain(&k, fx), "CREATE d/new.conf\nCREATE d/sub/");
	/* The new directory is known now, and listed by the recursive
	 * watcher's scan; what is made in it next is raised. */
	free(list_names(fx, lookup(fx, d, "sub")));
	mk(fx, "d/sub/next.conf", "x", false);
	assert_string_equal(drain(&k, fx), "CREATE d/sub/next.conf");
}

static void test_a_name_looked_up_absent_is_created(void **state)
{
	struct fx *fx = *state;
	struct kernel k;
	struct fs_entry e;

	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "later.conf", &e), ENOENT);
	mk(fx, "later.conf", "here", false);
	assert_string_equal(drain(&k, fx), "CREATE later.conf");
	assert_content(fx, lookup(fx, NODE_ROOT_INO, "later.conf"), "here");
}

static void test_a_remote_delete_is_raised_once_even_when_the_inode_was_forgotten(void **state)
{
	struct fx *fx = *state;
	struct kernel k;
	uint64_t a, b;

	mk(fx, "held.conf", "h", false);
	mk(fx, "forgot.conf", "f", false);
	free(list_names(fx, NODE_ROOT_INO));
	a = lookup(fx, NODE_ROOT_INO, "held.conf");
	assert_content(fx, a, "h");
	b = lookup(fx, NODE_ROOT_INO, "forgot.conf");
	assert_content(fx, b, "f");
	rm_(fx, "held.conf");
	rm_(fx, "forgot.conf");
	fs_forget(fx->fs, b, 1);           /* the kernel dropped it with its name */
	assert_string_equal(drain(&k, fx), "DELETE held.conf\nDELETE forgot.conf");
	assert_string_equal(drain(&k, fx), "");
}

/* A lookup that finds a deleted name gone before its delete is raised must
 * not let the kernel cache the absence: the unlink that raises IN_DELETE
 * would fail on the kernel's negative entry without reaching the daemon. */
static void test_an_absence_found_before_the_delete_is_raised_is_not_cached(void **state)
{
	struct fx *fx = *state;
	struct kernel k;
	struct fs_entry e;
	uint64_t a;

	mk(fx, "gone.conf", "g", false);
	a = lookup(fx, NODE_ROOT_INO, "gone.conf");
	assert_content(fx, a, "g");
	rm_(fx, "gone.conf");
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "gone.conf", &e), ENOENT);
	assert_true(e.entry_timeout == 0);
	assert_string_equal(drain(&k, fx), "DELETE gone.conf");
	fs_forget(fx->fs, a, 1);
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "gone.conf", &e), ENOENT);
	assert_true(e.entry_timeout > 0);
}

static void test_this_mounts_own_unlink_raises_nothing_more(void **state)
{
	struct fx *fx = *state;
	struct kernel k;
	uint64_t a;

	mk(fx, "a.conf", "v1", false);
	free(list_names(fx, NODE_ROOT_INO));
	a = lookup(fx, NODE_ROOT_INO, "a.conf");
	assert_content(fx, a, "v1");
	assert_int_equal(fs_unlink(fx->fs, NODE_ROOT_INO, "a.conf", 0), 0);
	assert_false(exists(fx, "a.conf"));
	fs_forget(fx->fs, a, 1);
	assert_string_equal(drain(&k, fx), "");
}

/* vim's swap file: made, removed and made again through this mount while
 * the thread's fetch of the directory was in flight. The listing it got
 * lacks the name, but the inode the kernel holds now is the new one: it
 * must not be deleted (vim's fsync of it then failed with ENOENT). */
struct remake {
	struct fx *fx;
	struct fs_file *fh;
	uint64_t ino;
	bool done;
};

static void remake_hook(void *ctx, struct memback *m, const char *const *paths, size_t n)
{
	struct remake *r = ctx;

	(void)m;
	(void)paths;
	(void)n;
	if (r->done)
		return;
	r->done = true;
	r->fh = creat_(r->fx, ".f.swp", O_RDWR | O_CREAT | O_EXCL, &r->ino);
}

static void test_a_name_made_again_while_the_listing_was_fetched_is_not_deleted(void **state)
{
	struct fx *fx = *state;
	struct remake r = { .fx = fx };
	struct kernel k;
	struct fs_file *fh;
	uint64_t first;

	fh = creat_(fx, ".f.swp", O_RDWR | O_CREAT | O_EXCL, &first);
	fs_release(fx->fs, fh);
	free(list_names(fx, NODE_ROOT_INO));     /* the listing holds .f.swp */
	assert_int_equal(fs_unlink(fx->fs, NODE_ROOT_INO, ".f.swp", 0), 0);
	fs_forget(fx->fs, first, 1);
	memback_set_fetch_hook(fx->m, remake_hook, &r);
	assert_string_equal(drain(&k, fx), "");
	memback_set_fetch_hook(fx->m, NULL, NULL);
	assert_true(r.done);
	wr(fx, r.fh, "swap", 0);
	assert_int_equal(fs_flush(fx->fs, r.fh), 0);
	fs_release(fx->fs, r.fh);
	assert_value(fx, ".f.swp", "swap");
}

static void test_a_file_gaining_children_is_deleted_then_created_as_a_directory(void **state)
{
	struct fx *fx = *state;
	struct kernel k;

	mk(fx, "grow", "was a file", false);
	assert_int_equal(lookup_entry(fx, NODE_ROOT_INO, "grow").attr.st_mode & S_IFMT, S_IFREG);
	mk(fx, "grow/kid", "k", false);
	assert_string_equal(drain(&k, fx), "DELETE grow\nCREATE grow/");
	assert_int_equal(lookup_entry(fx, NODE_ROOT_INO, "grow").attr.st_mode & S_IFMT, S_IFDIR);
}

static void test_a_directory_emptied_and_given_data_deletes_what_it_held_first(void **state)
{
	struct fx *fx = *state;
	struct kernel k;
	uint64_t d;

	mk(fx, "d", NULL, false);
	mk(fx, "d/x", "x", false);
	d = lookup(fx, NODE_ROOT_INO, "d");
	free(list_names(fx, d));
	lookup(fx, d, "x");
	rm_(fx, "d/x");
	set(fx, "d", "now a file");
	assert_string_equal(drain(&k, fx), "DELETE d/x\nDELETE d\nCREATE d");
}

static void test_nothing_is_queued_when_it_is_off(void **state)
{
	struct fx *fx = *state;
	struct kernel k;

	mk(fx, "a.conf", "v1", false);
	lookup(fx, NODE_ROOT_INO, "a.conf");
	set(fx, "a.conf", "v2");
	assert_int_equal(fs_echo_queued(fx->fs), 0);
	assert_null(fs_echo_handle(fx->fs));
	assert_false(fs_echo_self(fx->fs, 1234));
	assert_string_equal(drain(&k, fx), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_remote_set_modifies_a_known_file_at_every_change,
						fx_setup_echo, fx_teardown),
		cmocka_unit_test_setup_teardown(test_a_burst_on_one_file_is_one_modify,
						fx_setup_echo, fx_teardown),
		cmocka_unit_test_setup_teardown(test_what_the_kernel_does_not_know_raises_nothing,
						fx_setup_echo, fx_teardown),
		cmocka_unit_test_setup_teardown(test_this_mounts_own_write_raises_nothing_more,
						fx_setup_echo, fx_teardown),
		cmocka_unit_test_setup_teardown(test_an_own_write_in_flight_is_not_raised_as_remote,
						fx_setup_echo, fx_teardown),
		cmocka_unit_test_setup_teardown(test_a_directory_data_change_modifies_its_datafile,
						fx_setup_echo, fx_teardown),
		cmocka_unit_test_setup_teardown(test_creates_in_a_listed_directory_show_their_kind,
						fx_setup_echo, fx_teardown),
		cmocka_unit_test_setup_teardown(test_a_name_looked_up_absent_is_created,
						fx_setup_echo, fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_a_remote_delete_is_raised_once_even_when_the_inode_was_forgotten,
			fx_setup_echo, fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_an_absence_found_before_the_delete_is_raised_is_not_cached,
			fx_setup_echo, fx_teardown),
		cmocka_unit_test_setup_teardown(test_this_mounts_own_unlink_raises_nothing_more,
						fx_setup_echo, fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_a_name_made_again_while_the_listing_was_fetched_is_not_deleted,
			fx_setup_echo, fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_a_file_gaining_children_is_deleted_then_created_as_a_directory,
			fx_setup_echo, fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_a_directory_emptied_and_given_data_deletes_what_it_held_first,
			fx_setup_echo, fx_teardown),
		cmocka_unit_test_setup_teardown(test_nothing_is_queued_when_it_is_off, fx_setup,
						fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
