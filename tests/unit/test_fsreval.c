/*
 * test_fsreval — across a session expiry (fsreval.c, fs_on_state in fsops.h):
 * the facts are kept and served without a fetch while the servers are away;
 * on the new session one pipelined pass revalidates them: what is unchanged
 * stays cached and is watched again, what changed gets one fs_on_watch per
 * kind of change, and what an event or a request dealt with meanwhile is left
 * alone. A pass that cannot finish leaves the rest stale for the next
 * CONNECTED; meanwhile a request reads a stale path anew (judged as a pass
 * would) unless the servers are away.
 *
 * The expiry is memback_expire (every watch forgotten, then LOST, expired);
 * the new session is fs_on_state(ZS_CONNECTED), after which fs_reval_wait
 * waits for the pass (the backend is the test thread's again only then). The
 * calls a pass makes to fs_on_watch are recorded through the hook fs.c
 * hands to the revalidation (fsops_int.h: fs->reval.change), which forwards
 * them.
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
#include "fsops_int.h"

/* ---- what a pass handed to fs_on_watch ---- */

#define MAX_SEEN 32

struct seen_event {
	enum zevent ev;
	char path[64];
};

/* Written by the revalidation's thread during a pass, read by the test
 * thread after fs_reval_wait (which orders them). */
static struct {
	struct seen_event v[MAX_SEEN];
	int n;
	fs_change_fn forward;
} seen;

static void record(struct fs *fs, enum zevent ev, const char *path)
{
	if (seen.n < MAX_SEEN) {
		seen.v[seen.n].ev = ev;
		snprintf(seen.v[seen.n].path, sizeof(seen.v[0].path), "%s", path);
	}
	seen.n++;
	seen.forward(fs, ev, path);
}

static int setup(void **state)
{
	struct fx *fx;

	if (fx_setup(state) != 0)
		return -1;
	fx = *state;
	memset(&seen, 0, sizeof(seen));
	seen.forward = fx->fs->reval.change;     /* fs_on_watch */
	fx->fs->reval.change = record;           /* no pass runs yet */
	return 0;
}

/* How many times a pass called fs_on_watch with `ev` for BASE/rel. */
static int events_for(const char *rel, enum zevent ev)
{
	char path[128];
	int c = 0;

	snprintf(path, sizeof(path), rel[0] ? BASE "/%s" : BASE, rel);
	for (int i = 0; i < seen.n && i < MAX_SEEN; i++)
		c += seen.v[i].ev == ev && strcmp(seen.v[i].path, path) == 0;
	return c;
}

/* ---- helpers ---- */

/* The pass that a CONNECTED starts, waited for: what it did. */
static struct fs_reval_stats reconnect(struct fx *fx)
{
	struct fs_reval_stats a, b;

	fs_reval_wait(fx->fs, &a);
	assert_true(fs_on_state(fx->fs, ZS_CONNECTED, false));
	fs_reval_wait(fx->fs, &b);
	assert_int_equal(b.passes, a.passes + 1);
	return (struct fs_reval_stats){
		.passes = 1, .paths = b.paths - a.paths, .unchanged = b.unchanged - a.unchanged,
		.changed = b.changed - a.changed, .events = b.events - a.events,
		.skipped = b.skipped - a.skipped, .failed = b.failed - a.failed,
		.given_up = b.given_up - a.given_up,
	};
}

static size_t stale(struct fx *fx)
{
	size_t n;

	node_lock(fs_table(fx->fs));
	n = node_stale_count(fs_table(fx->fs));
	node_unlock(fs_table(fx->fs));
	return n;
}

/* CONNECTED on the first session (its pass finds nothing stale), then the
 * caches cleared of the notices so far. */
static void first_session(struct fx *fx)
{
	struct fs_reval_stats st = reconnect(fx);

	assert_int_equal(st.paths, 0);
	fx->sink.n = 0;
}

/* Expire the session: LOST, facts kept, and no notice for the kernel. */
static void expire(struct fx *fx)
{
	int notices = fx->sink.n;

	memback_expire(fx->m);
	assert_int_equal(fx->sink.n, notices);
	assert_true(stale(fx) > 0);
}

static void rm(struct fx *fx, const char *rel)
{
	char path[128];

	snprintf(path, sizeof(path), BASE "/%s", rel);
	assert_int_equal(memback_delete(fx->m, path), 0);
}

static unsigned watches(struct fx *fx, const char *rel)
{
	char path[128];

	snprintf(path, sizeof(path), rel[0] ? BASE "/%s" : BASE, rel);
	return memback_watches(fx->m, path);
}

/* ---- while the session is gone ---- */

static void test_expiry_keeps_the_facts_and_serves_them_without_a_fetch(void **state)
{
	struct fx *fx = *state;
	struct fs_entry e;
	struct stat st;
	double timeout;
	size_t before;
	uint64_t f, d;

	mk(fx, "f.txt", "v", false);
	mk(fx, "d", NULL, false);
	mk(fx, "d/b.conf", "b", false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	assert_content(fx, f, "v");
	d = lookup(fx, NODE_ROOT_INO, "d");
	assert_listing(fx, d, ". .. b.conf");
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "absent", &e), ENOENT);
	assert_listing(fx, NODE_ROOT_INO, ". .. .state d f.txt");
	first_session(fx);

	expire(fx);
	memback_set_down(fx->m, true);   /* and every server goes away */
	before = fetches(fx);
	assert_content(fx, f, "v");
	assert_int_equal(fs_getattr(fx->fs, f, &st, &timeout), 0);
	assert_int_equal(st.st_size, 1);
	assert_int_equal(lookup(fx, NODE_ROOT_INO, "f.txt"), f);
	assert_listing(fx, d, ". .. b.conf");
	assert_content(fx, lookup(fx, d, "b.conf"), "b");
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "absent", &e), ENOENT);
	assert_true(e.entry_timeout > 0);
	assert_listing(fx, NODE_ROOT_INO, ". .. .state d f.txt");
	assert_int_equal(fetches(fx), before);
	assert_int_equal(fx->sink.n, 0);
}

/* ---- the new session ---- */

static void test_unchanged_facts_stay_cached_and_are_watched_again(void **state)
{
	struct fx *fx = *state;
	struct fs_reval_stats st;
	struct fs_entry e;
	size_t before, calls;
	uint64_t f;

	mk(fx, "f.txt", "v", false);
	mk(fx, "d", NULL, false);
	mk(fx, "d/b.conf", "b", false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	assert_content(fx, f, "v");
	assert_listing(fx, lookup(fx, NODE_ROOT_INO, "d"), ". .. b.conf");
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "absent", &e), ENOENT);
	first_session(fx);
	expire(fx);
	assert_int_equal(watches(fx, "f.txt"), 0);
	before = memback_fetched_paths(fx->m);
	calls = fetches(fx);

	st = reconnect(fx);
	/* One pipelined fetch for every stale path. */
	assert_int_equal(fetches(fx), calls + 1);
	assert_int_equal(memback_fetched_paths(fx->m), before + st.paths);
	assert_true(st.paths >= 4);           /* f.txt, d, d/b.conf, absent */
	assert_int_equal(st.unchanged, st.paths);
	assert_int_equal(st.changed + st.events + st.skipped + st.failed + st.given_up, 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(fx->sink.n, 0);
	assert_int_equal(stale(fx), 0);
	assert_int_equal(watches(fx, "f.txt"), MEMBACK_W_DATA | MEMBACK_W_CHILD);
	assert_int_equal(watches(fx, "absent"), MEMBACK_W_EXISTS);

	/* Cached: no fetch, even with every server away. */
	calls = fetches(fx);
	memback_set_down(fx->m, true);
	assert_content(fx, f, "v");
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "absent", &e), ENOENT);
	assert_int_equal(fetches(fx), calls);
	memback_set_down(fx->m, false);

	/* Watched: a change on the new session drops them as before. */
	set(fx, "f.txt", "w");
	assert_int_equal(count_inode(&fx->sink, f), 1);
	assert_content(fx, f, "w");
}

static void test_changed_data_gets_one_CHANGED_and_shows_the_new_value(void **state)
{
	struct fx *fx = *state;
	struct fs_reval_stats st;
	struct node *n;
	size_t calls;
	uint64_t f;

	mk(fx, "a.conf", "a1", false);
	f = lookup(fx, NODE_ROOT_INO, "a.conf");
	assert_content(fx, f, "a1");
	first_session(fx);
	expire(fx);
	set(fx, "a.conf", "a2 changed");   /* no watch: no event */
	assert_int_equal(fx->sink.n, 0);

	st = reconnect(fx);
	assert_int_equal(st.changed, 1);
	assert_int_equal(st.events, 1);
	assert_int_equal(seen.n, 1);
	assert_int_equal(events_for("a.conf", ZEV_CHANGED), 1);
	/* As the watch event would have: the kernel drops the inode's
	 * attributes and pages; the name stays (a file stays a file). */
	assert_int_equal(count_inode(&fx->sink, f), 1);
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "a.conf"), 0);
	n = table_node(fx, f);
	assert_non_null(n);
	assert_non_null(n->entry);
	/* The fetched facts are cached, and watched. */
	calls = fetches(fx);
	assert_content(fx, f, "a2 changed");
	assert_int_equal(fetches(fx), calls);
	assert_int_equal(watches(fx, "a.conf"), MEMBACK_W_DATA | MEMBACK_W_CHILD);
	assert_int_equal(stale(fx), 0);
}

static void test_changed_children_get_one_CHILD(void **state)
{
	struct fx *fx = *state;
	struct fs_reval_stats st;
	uint64_t d;

	mk(fx, "d", NULL, false);
	mk(fx, "d/a.conf", "a", false);
	d = lookup(fx, NODE_ROOT_INO, "d");
	assert_listing(fx, d, ". .. a.conf");
	first_session(fx);
	expire(fx);
	mk(fx, "d/n.conf", "n", false);

	st = reconnect(fx);
	assert_int_equal(st.changed, 1);
	assert_int_equal(st.events, 1);
	assert_int_equal(events_for("d", ZEV_CHILD), 1);
	assert_int_equal(seen.n, 1);
	assert_int_equal(count_inode(&fx->sink, d), 1);
	assert_listing(fx, d, ". .. a.conf n.conf");
}

static void test_data_and_children_changed_get_CHANGED_and_CHILD(void **state)
{
	struct fx *fx = *state;
	struct fs_reval_stats st;
	uint64_t d;

	mk(fx, "d", "own", false);
	mk(fx, "d/a.conf", "a", false);
	d = lookup(fx, NODE_ROOT_INO, "d");
	assert_listing(fx, d, ". .. .data a.conf");
	first_session(fx);
	expire(fx);
	set(fx, "d", "own2");
	rm(fx, "d/a.conf");
	mk(fx, "d/b.conf", "b", false);

	st = reconnect(fx);
	assert_int_equal(events_for("d", ZEV_CHANGED), 1);
	assert_int_equal(events_for("d", ZEV_CHILD), 1);
	assert_int_equal(events_for("d/a.conf", ZEV_DELETED), 1);
	assert_int_equal(seen.n, 3);
	assert_int_equal(st.changed, 2);
	assert_int_equal(st.events, 3);
	/* A path's events before its parent's, as ZooKeeper delivers them. */
	assert_string_equal(seen.v[0].path, BASE "/d/a.conf");
	assert_content(fx, lookup(fx, d, ".data"), "own2");
	assert_listing(fx, d, ". .. .data b.conf");
}

static void test_deleted_gets_one_DELETED_and_is_then_absent(void **state)
{
	struct fx *fx = *state;
	struct fs_reval_stats st;
	struct fs_entry e;
	struct node *n;
	size_t calls;
	uint64_t f;

	mk(fx, "gone.conf", "x", false);
	f = lookup(fx, NODE_ROOT_INO, "gone.conf");
	assert_content(fx, f, "x");
	first_session(fx);
	expire(fx);
	rm(fx, "gone.conf");

	st = reconnect(fx);
	assert_int_equal(st.changed, 1);
	assert_int_equal(events_for("gone.conf", ZEV_DELETED), 1);
	assert_int_equal(seen.n, 1);
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "gone.conf"), 1);
	n = table_node(fx, f);
	assert_true(n == NULL || n->entry == NULL);    /* detached */
	calls = fetches(fx);
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "gone.conf", &e), ENOENT);
	assert_true(e.entry_timeout > 0);              /* its absence is watched */
	assert_int_equal(fetches(fx), calls);
	assert_int_equal(watches(fx, "gone.conf"), MEMBACK_W_EXISTS);
}

static void test_created_gets_one_CREATED(void **state)
{
	struct fx *fx = *state;
	struct fs_reval_stats st;
	struct fs_entry e;
	size_t calls;

	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "new.conf", &e), ENOENT);
	first_session(fx);
	expire(fx);
	mk(fx, "new.conf", "created", false);

	st = reconnect(fx);
	assert_int_equal(st.changed, 1);
	assert_int_equal(events_for("new.conf", ZEV_CREATED), 1);
	assert_int_equal(seen.n, 1);
	/* The kernel's negative entry goes. */
	assert_int_equal(count_entry(&fx->sink, NODE_ROOT_INO, "new.conf"), 1);
	calls = fetches(fx);
	assert_content(fx, lookup(fx, NODE_ROOT_INO, "new.conf"), "created");
	assert_int_equal(fetches(fx), calls);
}

static void test_recreated_gets_one_DELETED_and_a_new_inode(void **state)
{
	struct fx *fx = *state;
	struct fs_reval_stats st;
	uint64_t f, g;

	mk(fx, "r.conf", "same", false);
	f = lookup(fx, NODE_ROOT_INO, "r.conf");
	assert_content(fx, f, "same");
	first_session(fx);
	expire(fx);
	rm(fx, "r.conf");
	mk(fx, "r.conf", "same", false);   /* same value, another incarnation */

	st = reconnect(fx);
	assert_int_equal(st.changed, 1);
	assert_int_equal(st.events, 1);
	assert_int_equal(events_for("r.conf", ZEV_DELETED), 1);
	assert_int_equal(seen.n, 1);
	g = lookup(fx, NODE_ROOT_INO, "r.conf");
	assert_int_not_equal(g, f);
	assert_content(fx, g, "same");
}

/* ---- what happened meanwhile on the new session ---- */

/* A fetch hook: once, at the pass's fetch, `rel` changes on the new session
 * (its watch, just set by that fetch, fires: fs_on_watch) and a request
 * reads it again (fs_lookup + read: a fetch, stored), as the event thread
 * and a FUSE worker would while the pass's answers are on their way. */
struct meanwhile {
	struct fx *fx;
	const char *rel;
	bool reread;
	int fired;
};

static void meanwhile_hook(void *ctx, struct memback *m, const char *const *paths, size_t n)
{
	struct meanwhile *mw = ctx;

	(void)m, (void)paths, (void)n;
	if (mw->fired++)
		return;       /* the read below fetches: this hook runs again */
	set(mw->fx, mw->rel, "changed on the new session");
	if (mw->reread)
		assert_content(mw->fx, lookup(mw->fx, NODE_ROOT_INO, mw->rel),
			       "changed on the new session");
}

static void event_or_refetch_meanwhile(struct fx *fx, bool reread)
{
	struct meanwhile mw = { .fx = fx, .rel = "x.conf", .reread = reread };
	struct fs_reval_stats st;
	uint64_t x, y;

	mk(fx, "x.conf", "x1", false);
	mk(fx, "y.conf", "y1", false);
	x = lookup(fx, NODE_ROOT_INO, "x.conf");
	y = lookup(fx, NODE_ROOT_INO, "y.conf");
	assert_content(fx, x, "x1");
	assert_content(fx, y, "y1");
	first_session(fx);
	expire(fx);
	set(fx, "x.conf", "x2 while expired");
	set(fx, "y.conf", "y2 while expired");
	memback_set_fetch_hook(fx->m, meanwhile_hook, &mw);

	st = reconnect(fx);
	memback_set_fetch_hook(fx->m, NULL, NULL);
	assert_int_equal(mw.fired, reread ? 2 : 1);   /* the read fetched */
	/* x: its own event dealt with it (one notice), the pass left it. */
	assert_int_equal(st.skipped, 1);
	assert_int_equal(events_for("x.conf", ZEV_CHANGED), 0);
	assert_int_equal(count_inode(&fx->sink, x), 1);
	/* y: found changed by the pass. */
	assert_int_equal(events_for("y.conf", ZEV_CHANGED), 1);
	assert_int_equal(seen.n, 1);
	assert_int_equal(count_inode(&fx->sink, y), 1);
	assert_content(fx, x, "changed on the new session");
	assert_content(fx, y, "y2 while expired");
	assert_int_equal(stale(fx), 0);
}

static void test_an_event_on_the_new_session_meanwhile_is_left_to_it(void **state)
{
	event_or_refetch_meanwhile(*state, false);
}

static void test_a_path_a_request_refetched_meanwhile_is_skipped(void **state)
{
	event_or_refetch_meanwhile(*state, true);
}

/* ---- passes that cannot finish ---- */

static void test_a_failed_pass_leaves_the_facts_stale_for_the_next_CONNECTED(void **state)
{
	struct fx *fx = *state;
	struct fs_reval_stats st;
	size_t n;
	uint64_t f;

	mk(fx, "f.txt", "v1", false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	assert_content(fx, f, "v1");
	first_session(fx);
	expire(fx);
	n = stale(fx);
	set(fx, "f.txt", "v2");
	memback_set_down(fx->m, true);     /* CONNECTED, and lost again at once */

	st = reconnect(fx);
	assert_int_equal(st.given_up, 1);
	assert_int_equal(st.paths, 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(stale(fx), n);
	assert_content(fx, f, "v1");       /* still served from the cache */
	assert_int_equal(fx->sink.n, 0);

	memback_set_down(fx->m, false);
	assert_true(fs_on_state(fx->fs, ZS_SUSPENDED, false));
	st = reconnect(fx);                /* back: the next pass */
	assert_int_equal(st.given_up, 0);
	assert_int_equal(events_for("f.txt", ZEV_CHANGED), 1);
	assert_int_equal(stale(fx), 0);
	assert_content(fx, f, "v2");
}

/* A fetch hook that expires the session once, while the pass's fetch is on
 * its way: the watches it set are gone again. */
static void expire_hook(void *ctx, struct memback *m, const char *const *paths, size_t n)
{
	int *fired = ctx;

	(void)paths, (void)n;
	if ((*fired)++ == 0)
		memback_expire(m);
}

static void test_another_expiry_during_a_pass_restarts_it(void **state)
{
	struct fx *fx = *state;
	struct fs_reval_stats st;
	int fired = 0;
	size_t n;
	uint64_t f;

	mk(fx, "f.txt", "v1", false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	assert_content(fx, f, "v1");
	first_session(fx);
	expire(fx);
	n = stale(fx);
	set(fx, "f.txt", "v2");
	memback_set_fetch_hook(fx->m, expire_hook, &fired);

	st = reconnect(fx);
	memback_set_fetch_hook(fx->m, NULL, NULL);
	assert_int_equal(fired, 1);
	assert_int_equal(st.skipped, n);   /* answers of a dead session: not used */
	assert_int_equal(seen.n, 0);
	assert_int_equal(stale(fx), n);
	assert_content(fx, f, "v1");

	st = reconnect(fx);                /* the next session's pass */
	assert_int_equal(events_for("f.txt", ZEV_CHANGED), 1);
	assert_int_equal(stale(fx), 0);
	assert_content(fx, f, "v2");
}

static void test_stop_is_idempotent_and_ends_the_passes(void **state)
{
	struct fx *fx = *state;
	struct fs_reval_stats st;
	uint64_t f;

	mk(fx, "f.txt", "v1", false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	assert_content(fx, f, "v1");
	first_session(fx);
	expire(fx);
	fs_stop(fx->fs);
	fs_stop(fx->fs);
	assert_int_equal(fs_start(fx->fs), ECANCELED);
	fs_reval_wait(fx->fs, &st);
	assert_true(fs_on_state(fx->fs, ZS_CONNECTED, false));
	fs_reval_wait(fx->fs, &st);        /* no thread: at once */
	assert_true(stale(fx) > 0);
	assert_content(fx, f, "v1");       /* a request still revalidates what it reads */
}

/* ---- requests while CONNECTED, before a pass has reached a path ---- */

/* CONNECTED with the facts of f.txt (read as "v1") still stale: its pass
 * failed, and the servers are back. */
static uint64_t stale_while_connected(struct fx *fx)
{
	struct fs_reval_stats st;
	uint64_t f;

	mk(fx, "f.txt", "v1", false);
	mk(fx, "g.txt", "g1", false);
	f = lookup(fx, NODE_ROOT_INO, "f.txt");
	assert_content(fx, f, "v1");
	assert_content(fx, lookup(fx, NODE_ROOT_INO, "g.txt"), "g1");
	first_session(fx);
	expire(fx);
	memback_set_down(fx->m, true);
	st = reconnect(fx);
	assert_int_equal(st.given_up, 1);
	memback_set_down(fx->m, false);
	assert_true(stale(fx) >= 2);
	return f;
}

static void test_a_request_while_CONNECTED_reads_a_stale_path_anew(void **state)
{
	struct fx *fx = *state;
	struct fs_reval_stats st;
	size_t calls;
	uint64_t f;

	f = stale_while_connected(fx);
	set(fx, "f.txt", "v2");            /* no watch on the new session yet */
	calls = fetches(fx);
	assert_content(fx, f, "v2");
	assert_int_equal(fetches(fx), calls + 1);
	/* Found changed by the request: the same event the pass would raise. */
	assert_int_equal(events_for("f.txt", ZEV_CHANGED), 1);
	assert_int_equal(seen.n, 1);
	assert_int_equal(count_inode(&fx->sink, f), 1);
	assert_content(fx, f, "v2");       /* cached now, and watched */
	assert_int_equal(fetches(fx), calls + 1);
	assert_int_equal(watches(fx, "f.txt"), MEMBACK_W_DATA | MEMBACK_W_CHILD);

	/* The next pass leaves it alone, and confirms the rest. */
	assert_true(fs_on_state(fx->fs, ZS_SUSPENDED, false));
	st = reconnect(fx);
	assert_int_equal(st.changed, 0);
	assert_true(st.unchanged >= 1);
	assert_int_equal(seen.n, 1);
	assert_int_equal(stale(fx), 0);
}

static void test_a_write_through_the_mount_to_a_stale_path_is_read_back(void **state)
{
	struct fx *fx = *state;
	struct fs_file *fh;
	uint64_t f;

	f = stale_while_connected(fx);
	fh = wopen(fx, f, O_WRONLY | O_TRUNC);
	wr(fx, fh, "mine", 0);
	assert_int_equal(fs_flush(fx->fs, fh), 0);
	fs_release(fx->fs, fh);
	assert_value(fx, "f.txt", "mine");
	assert_content(fx, f, "mine");
	assert_int_equal(seen.n, 0);       /* it was as cached when opened */
}

static void test_a_stale_fact_is_served_if_the_servers_went_away_again(void **state)
{
	struct fx *fx = *state;
	struct fs_entry e;
	uint64_t f;

	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "absent", &e), ENOENT);
	f = stale_while_connected(fx);
	memback_set_down(fx->m, true);     /* CONNECTED, but no answer (EIO) */
	assert_content(fx, f, "v1");
	assert_int_equal(fs_lookup(fx->fs, NODE_ROOT_INO, "absent", &e), ENOENT);
	assert_true(e.entry_timeout > 0);
	assert_true(stale(fx) >= 3);
	assert_int_equal(fx->sink.n, 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_expiry_keeps_the_facts_and_serves_them_without_a_fetch),
		T(test_unchanged_facts_stay_cached_and_are_watched_again),
		T(test_changed_data_gets_one_CHANGED_and_shows_the_new_value),
		T(test_changed_children_get_one_CHILD),
		T(test_data_and_children_changed_get_CHANGED_and_CHILD),
		T(test_deleted_gets_one_DELETED_and_is_then_absent),
		T(test_created_gets_one_CREATED),
		T(test_recreated_gets_one_DELETED_and_a_new_inode),
		T(test_an_event_on_the_new_session_meanwhile_is_left_to_it),
		T(test_a_path_a_request_refetched_meanwhile_is_skipped),
		T(test_a_failed_pass_leaves_the_facts_stale_for_the_next_CONNECTED),
		T(test_another_expiry_during_a_pass_restarts_it),
		T(test_stop_is_idempotent_and_ends_the_passes),
		T(test_a_request_while_CONNECTED_reads_a_stale_path_anew),
		T(test_a_write_through_the_mount_to_a_stale_path_is_read_back),
		T(test_a_stale_fact_is_served_if_the_servers_went_away_again),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
