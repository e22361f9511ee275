/*
 * test_zk — the zk module's reads and its connection: the errno table, the
 * names of result codes, and the connection's bounds without a server. With
 * ZKFS_TEST_SERVERS=host:port (a running ZooKeeper), also the reads against
 * it (fetch with watches, events, a large value, a pipelined batch of 20,000
 * paths, an abandoned batch); with ZKFS_TEST_SERVER_PID as well, a suspended
 * and an expired session (the server is paused with SIGSTOP). The writes are
 * test_zkwrite; the fixture both share is zkfx.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include "backend.h"
#include "cancel.h"
#include "zk.h"
#include "zkfx.h"

/* ---- the errno table and the names ---- */

static void test_errno_table_maps_spec_section_7(void **state)
{
	assert_int_equal(zk_errno(ZOK), 0);
	assert_int_equal(zk_errno(ZNONODE), ENOENT);
	assert_int_equal(zk_errno(ZNODEEXISTS), EEXIST);
	assert_int_equal(zk_errno(ZNOTEMPTY), ENOTEMPTY);
	assert_int_equal(zk_errno(ZNOAUTH), EACCES);
	assert_int_equal(zk_errno(ZAUTHFAILED), EACCES);
	assert_int_equal(zk_errno(ZBADVERSION), ESTALE);
	assert_int_equal(zk_errno(ZBADARGUMENTS), EINVAL);
	assert_int_equal(zk_errno(ZINVALIDACL), EINVAL);
	assert_int_equal(zk_errno(ZNOCHILDRENFOREPHEMERALS), EINVAL);
	assert_int_equal(zk_errno(ZCONNECTIONLOSS), EIO);
	assert_int_equal(zk_errno(ZOPERATIONTIMEOUT), EIO);
	assert_int_equal(zk_errno(ZSESSIONEXPIRED), EIO);
	assert_int_equal(zk_errno(ZINVALIDSTATE), EIO);
	assert_int_equal(zk_errno(ZCLOSING), EIO);
	assert_int_equal(zk_errno(ZMARSHALLINGERROR), EIO);
	assert_int_equal(zk_errno(ZSYSTEMERROR), EIO);
	assert_int_equal(zk_errno(ZRUNTIMEINCONSISTENCY), EIO);
	assert_int_equal(zk_errno(ZDATAINCONSISTENCY), EIO);
	assert_int_equal(zk_errno(ZSESSIONMOVED), EIO);
	assert_int_equal(zk_errno(ZTHROTTLEDOP), EIO);
	assert_int_equal(zk_errno(-9999), EIO);
	assert_int_equal(zk_errno(42), EIO);
}

#define NAMED(c) { c, #c }

static void test_errname_gives_the_constant_name_of_every_code(void **state)
{
	static const struct { int rc; const char *name; } codes[] = {
		NAMED(ZOK), NAMED(ZSYSTEMERROR), NAMED(ZRUNTIMEINCONSISTENCY),
		NAMED(ZDATAINCONSISTENCY), NAMED(ZCONNECTIONLOSS),
		NAMED(ZMARSHALLINGERROR), NAMED(ZUNIMPLEMENTED),
		NAMED(ZOPERATIONTIMEOUT), NAMED(ZBADARGUMENTS), NAMED(ZINVALIDSTATE),
		NAMED(ZNEWCONFIGNOQUORUM), NAMED(ZRECONFIGINPROGRESS),
		NAMED(ZSSLCONNECTIONERROR), NAMED(ZAPIERROR), NAMED(ZNONODE),
		NAMED(ZNOAUTH), NAMED(ZBADVERSION), NAMED(ZNOCHILDRENFOREPHEMERALS),
		NAMED(ZNODEEXISTS), NAMED(ZNOTEMPTY), NAMED(ZSESSIONEXPIRED),
		NAMED(ZINVALIDCALLBACK), NAMED(ZINVALIDACL), NAMED(ZAUTHFAILED),
		NAMED(ZCLOSING), NAMED(ZNOTHING), NAMED(ZSESSIONMOVED),
		NAMED(ZNOTREADONLY), NAMED(ZEPHEMERALONLOCALSESSION),
		NAMED(ZNOWATCHER), NAMED(ZRECONFIGDISABLED),
		NAMED(ZSESSIONCLOSEDREQUIRESASLAUTH), NAMED(ZTHROTTLEDOP),
	};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		assert_string_equal(zk_errname(codes[i].rc), codes[i].name);
	assert_string_equal(zk_errname(-9999), "ZUNKNOWN");
	assert_string_equal(zk_errname(7), "ZUNKNOWN");
}

static void test_zstate_name(void **state)
{
	assert_string_equal(zstate_name(ZS_LOST), "LOST");
	assert_string_equal(zstate_name(ZS_CONNECTED), "CONNECTED");
	assert_string_equal(zstate_name(ZS_SUSPENDED), "SUSPENDED");
}

/* ---- without a server ---- */

static void test_new_and_free_without_start(void **state)
{
	struct zk *zk = new_zk("127.0.0.1:2181", 100, NULL);

	assert_int_equal(zk_state(zk), ZS_LOST);
	assert_int_equal(zk_session_id(zk), 0);
	assert_int_equal(zk_session_timeout(zk), 0);
	zk_free(zk);
	zk_free(NULL);
}

static void test_call_before_start_fails_with_eio(void **state)
{
	struct zk *zk = new_zk("127.0.0.1:2181", 200, NULL);
	struct backend be = zk_backend(zk);
	const char *paths[] = { "/a" };
	struct zfetch out[1];

	assert_int_equal(be.ops->fetch(be.impl, paths, 1, FETCH_DATA, out), EIO);
	assert_null(out[0].data);
	zk_free(zk);
}

static void test_start_refuses_a_server_list_without_port(void **state)
{
	struct zk *zk = new_zk("nonsense", 100, NULL);

	assert_int_equal(zk_start(zk), EINVAL);
	assert_int_equal(zk_state(zk), ZS_LOST);
	zk_free(zk);
}

static void test_unreachable_server_stays_lost_and_calls_fail_within_timeout(void **state)
{
	struct recorder *r = rec_new();
	char servers[64];
	struct zk *zk;
	struct backend be;
	const char *paths[] = { "/a", "/b/c" };
	struct zfetch out[2];
	char *acl = (char *)"x";
	int64_t t0;

	snprintf(servers, sizeof(servers), "127.0.0.1:%d", closed_port());
	zk = new_zk(servers, 1000, r);
	be = zk_backend(zk);
	assert_int_equal(zk_start(zk), 0);

	t0 = now_ms();
	assert_int_equal(zk_wait_connected(zk, 500), ETIMEDOUT);
	assert_in_range(now_ms() - t0, 450, 500 + 2000);
	assert_int_equal(zk_state(zk), ZS_LOST);

	memset(out, 0xa5, sizeof(out));
	t0 = now_ms();
	assert_int_equal(be.ops->fetch(be.impl, paths, 2, FETCH_DATA | FETCH_CHILDREN, out), EIO);
	assert_in_range(now_ms() - t0, 950, 1000 + 2000);
	for (int i = 0; i < 2; i++) {
		assert_null(out[i].data);
		assert_null(out[i].children);
		assert_int_equal(out[i].nchildren, 0);
	}

	t0 = now_ms();
	assert_int_equal(be.ops->get_acl(be.impl, "/a", &acl), EIO);
	assert_null(acl);
	assert_int_equal(zk_exists(zk, "/a"), EIO);
	assert_int_equal(zk_ensure_path(zk, "/a/b"), EIO);
	assert_in_range(now_ms() - t0, 2900, 3000 + 2000);

	assert_int_equal(zk_state(zk), ZS_LOST);
	assert_int_equal(zk_session_id(zk), 0);
	t0 = now_ms();
	zk_free(zk);
	assert_in_range(now_ms() - t0, 0, 2000);
	assert_int_equal(r->nstates, 0);
	rec_free(r);
}

struct pending_call {
	struct zk *zk;
	const char *path;      /* NULL: "/x" */
	struct cancel *cx;     /* the thread's current token, or NULL */
	int err;
	int64_t took;
};

static void *fetch_thread(void *arg)
{
	struct pending_call *c = arg;
	struct backend be = zk_backend(c->zk);
	const char *paths[] = { c->path ? c->path : "/x" };
	struct zfetch out[1];
	int64_t t0 = now_ms();

	cancel_set_current(c->cx);
	c->err = be.ops->fetch(be.impl, paths, 1, FETCH_DATA, out);
	c->took = now_ms() - t0;
	zfetch_clear(&out[0]);
	return NULL;
}

/* Wait (5 s at most) until a call registered its waker on `cx`: it waits. */
static bool waker_registered(struct cancel *cx)
{
	for (int i = 0; i < 500; i++) {
		bool set;

		pthread_mutex_lock(&cx->mu);
		set = cx->wake != NULL;
		pthread_mutex_unlock(&cx->mu);
		if (set)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

/* cancel.h: a read waiting for a connection ends with EINTR when its token
 * fires, long before its timeout; one whose token fired before it began
 * does not wait at all. */
static void test_interrupted_fetch_waiting_for_a_connection_ends_with_eintr(void **state)
{
	char servers[64];
	struct cancel cx;
	struct pending_call c = { .err = -1, .cx = &cx };
	pthread_t t;

	snprintf(servers, sizeof(servers), "127.0.0.1:%d", closed_port());
	c.zk = new_zk(servers, 20000, NULL);
	assert_int_equal(zk_start(c.zk), 0);

	cancel_init(&cx);
	cancel_fire(&cx);
	fetch_thread(&c);
	assert_int_equal(c.err, EINTR);
	assert_in_range(c.took, 0, 1000);
	cancel_set_current(NULL);
	cancel_destroy(&cx);

	cancel_init(&cx);
	c.err = -1;
	assert_int_equal(pthread_create(&t, NULL, fetch_thread, &c), 0);
	assert_true(waker_registered(&cx));
	cancel_fire(&cx);
	pthread_join(t, NULL);
	assert_int_equal(c.err, EINTR);
	assert_in_range(c.took, 0, 3000);
	cancel_destroy(&cx);
	zk_free(c.zk);
}

static void test_free_with_a_call_pending_fails_it_with_eio(void **state)
{
	char servers[64];
	struct pending_call c = { .err = -1 };
	pthread_t t;
	int64_t t0;

	snprintf(servers, sizeof(servers), "127.0.0.1:%d", closed_port());
	c.zk = new_zk(servers, 20000, NULL);
	assert_int_equal(zk_start(c.zk), 0);
	assert_int_equal(pthread_create(&t, NULL, fetch_thread, &c), 0);
	usleep(500 * 1000);         /* the call is waiting for a connection */
	t0 = now_ms();
	zk_free(c.zk);
	assert_in_range(now_ms() - t0, 0, 3000);
	pthread_join(t, NULL);
	assert_int_equal(c.err, EIO);
	assert_in_range(c.took, 0, 5000);
}

/* ---- reads against a live server (ZKFS_TEST_SERVERS) ---- */

static void test_live_connects_and_reports_connected_once(void **state)
{
	LIVE(l);
	assert_int_equal(zk_state(l->zk), ZS_CONNECTED);
	assert_true(rec_wait_states(l->r, 1, 1000));
	assert_int_equal(l->r->nstates, 1);
	assert_int_equal(l->r->states[0], ZS_CONNECTED);
	assert_false(l->r->expired[0]);
	assert_true(zk_session_id(l->zk) != 0);
	assert_in_range(zk_session_timeout(l->zk), 4000, 40000);
}

static void test_live_ensure_path_then_fetch_returns_data_stat_children(void **state)
{
	char ab[128], a[128];
	const char *paths[2];
	struct zfetch out[2];
	char *acl = NULL;

	LIVE(l);
	path_of(l, ab, sizeof(ab), "/a/b");
	path_of(l, a, sizeof(a), "/a");
	assert_int_equal(zk_ensure_path(l->zk, ab), 0);
	assert_int_equal(zk_ensure_path(l->zk, ab), 0);     /* already there */
	assert_int_equal(zk_exists(l->zk, ab), 0);
	assert_int_equal(zk_ensure_path(l->zk, "/"), 0);
	assert_int_equal(zk_ensure_path(l->zk, "relative"), EINVAL);
	assert_int_equal(zoo_set(l->raw, ab, "hello", 5, -1), ZOK);

	paths[0] = ab;
	paths[1] = a;
	assert_int_equal(l->be.ops->fetch(l->be.impl, paths, 2, FETCH_DATA | FETCH_CHILDREN, out), 0);
	assert_int_equal(out[0].err, 0);
	assert_non_null(out[0].data);
	assert_int_equal(out[0].data->len, 5);
	assert_memory_equal(out[0].data->bytes, "hello", 5);
	assert_int_equal(out[0].stat.version, 1);
	assert_int_equal(out[0].stat.data_length, 5);
	assert_int_equal(out[0].stat.num_children, 0);
	assert_int_equal(out[0].stat.ephemeral_owner, 0);
	assert_true(out[0].stat.mtime_ms > 0);
	assert_int_equal(out[0].nchildren, 0);

	assert_int_equal(out[1].err, 0);
	assert_ptr_equal(out[1].data, zdata_empty());       /* created without data */
	assert_int_equal(out[1].nchildren, 1);
	assert_string_equal(out[1].children[0], "b");
	assert_int_equal(out[1].stat.num_children, 1);
	zfetch_clear(&out[0]);
	zfetch_clear(&out[1]);

	assert_int_equal(l->be.ops->get_acl(l->be.impl, ab, &acl), 0);
	assert_string_equal(acl, "world:anyone:rwcda\n");
	free(acl);
}

static void test_live_missing_node_is_enoent_then_created_event(void **state)
{
	char p[128];
	const char *paths[1] = { p };
	struct zfetch out[1];
	char *acl = (char *)"x";

	LIVE(l);
	path_of(l, p, sizeof(p), "");
	assert_int_equal(zk_ensure_path(l->zk, p), 0);
	path_of(l, p, sizeof(p), "/missing");
	assert_int_equal(zk_exists(l->zk, p), ENOENT);
	assert_int_equal(l->be.ops->get_acl(l->be.impl, p, &acl), ENOENT);
	assert_int_equal(l->be.ops->fetch(l->be.impl, paths, 1, FETCH_DATA | FETCH_CHILDREN, out), 0);
	assert_int_equal(out[0].err, ENOENT);
	assert_null(out[0].data);
	assert_int_equal(zoo_create(l->raw, p, "x", 1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
	assert_true(rec_wait_watch(l->r, ZEV_CREATED, p, 5000));
}

static void test_live_changes_fire_changed_child_deleted(void **state)
{
	char dir[128], f[128], g[128];
	const char *paths[2] = { dir, f };
	struct zfetch out[2];

	LIVE(l);
	path_of(l, dir, sizeof(dir), "/w");
	path_of(l, f, sizeof(f), "/w/f");
	path_of(l, g, sizeof(g), "/w/g");
	assert_int_equal(zk_ensure_path(l->zk, f), 0);
	assert_int_equal(l->be.ops->fetch(l->be.impl, paths, 2, FETCH_DATA | FETCH_CHILDREN, out), 0);
	zfetch_clear(&out[0]);
	zfetch_clear(&out[1]);
	assert_int_equal(zoo_set(l->raw, f, "new", 3, -1), ZOK);
	assert_true(rec_wait_watch(l->r, ZEV_CHANGED, f, 5000));
	assert_int_equal(zoo_create(l->raw, g, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
	assert_true(rec_wait_watch(l->r, ZEV_CHILD, dir, 5000));

	/* Fetch again to re-arm, then delete. */
	assert_int_equal(l->be.ops->fetch(l->be.impl, paths + 1, 1, FETCH_DATA, out), 0);
	assert_memory_equal(out[0].data->bytes, "new", 3);
	zfetch_clear(&out[0]);
	assert_int_equal(zoo_delete(l->raw, f, -1), ZOK);
	assert_true(rec_wait_watch(l->r, ZEV_DELETED, f, 5000));
}

static void test_live_large_value_is_read_whole(void **state)
{
	enum { LEN = 1000000 };
	char p[128];
	const char *paths[1] = { p };
	struct zfetch out[1];
	char *big = malloc(LEN);

	LIVE(l);
	assert_non_null(big);
	for (int i = 0; i < LEN; i++)
		big[i] = (char)('a' + i % 26);
	path_of(l, p, sizeof(p), "/big");
	assert_int_equal(zk_ensure_path(l->zk, p), 0);
	assert_int_equal(zoo_set(l->raw, p, big, LEN, -1), ZOK);
	assert_int_equal(l->be.ops->fetch(l->be.impl, paths, 1, FETCH_DATA, out), 0);
	assert_int_equal(out[0].err, 0);
	assert_int_equal(out[0].data->len, LEN);
	assert_memory_equal(out[0].data->bytes, big, LEN);
	assert_int_equal(out[0].stat.data_length, LEN);
	zfetch_clear(&out[0]);
	free(big);
}

/* Count the answers of the raw client's pipelined creates and deletes. */
struct counter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int left, failed;
};

static void count_one(struct counter *c, int rc)
{
	pthread_mutex_lock(&c->mu);
	if (rc != ZOK && rc != ZNODEEXISTS && rc != ZNONODE)
		c->failed++;
	if (--c->left == 0)
		pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static void created(int rc, const char *value, const void *data)
{
	count_one((struct counter *)data, rc);
}

static void deleted(int rc, const void *data)
{
	count_one((struct counter *)data, rc);
}

static void count_wait(struct counter *c)
{
	pthread_mutex_lock(&c->mu);
	while (c->left > 0)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
	assert_int_equal(c->failed, 0);
}

static void test_live_batch_of_20000_paths(void **state)
{
	enum { N = 20000, MISSING = 100 };
	struct counter c = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, N, 0 };
	char dir[128], **names = calloc(N, sizeof(*names));
	const char **paths = calloc(N, sizeof(*paths));
	struct zfetch *out = calloc(N, sizeof(*out));
	int64_t t0;

	LIVE(l);
	assert_true(names && paths && out);
	path_of(l, dir, sizeof(dir), "/many");
	assert_int_equal(zk_ensure_path(l->zk, dir), 0);
	for (int i = 0; i < N; i++) {
		char v[16];

		assert_true(asprintf(&names[i], "%s/n%05d", dir, i) > 0);
		paths[i] = names[i];
		snprintf(v, sizeof(v), "v%d", i);
		if (i < N - MISSING)
			assert_int_equal(zoo_acreate(l->raw, names[i], v, (int)strlen(v),
						     &ZOO_OPEN_ACL_UNSAFE, 0, created, &c), ZOK);
		else
			count_one(&c, ZOK);
	}
	count_wait(&c);

	t0 = now_ms();
	assert_int_equal(l->be.ops->fetch(l->be.impl, paths, N, FETCH_DATA, out), 0);
	print_message("fetch of %d paths: %lld ms\n", N, (long long)(now_ms() - t0));
	for (int i = 0; i < N; i++) {
		char v[16];

		if (i >= N - MISSING) {
			assert_int_equal(out[i].err, ENOENT);
			continue;
		}
		snprintf(v, sizeof(v), "v%d", i);
		assert_int_equal(out[i].err, 0);
		assert_int_equal(out[i].data->len, strlen(v));
		assert_memory_equal(out[i].data->bytes, v, strlen(v));
		zfetch_clear(&out[i]);
	}
	paths[0] = dir;
	assert_int_equal(l->be.ops->fetch(l->be.impl, paths, 1, FETCH_CHILDREN, out), 0);
	assert_int_equal(out[0].nchildren, N - MISSING);
	assert_int_equal(out[0].stat.num_children, N - MISSING);
	zfetch_clear(&out[0]);

	c.left = N - MISSING;
	for (int i = 0; i < N - MISSING; i++)
		assert_int_equal(zoo_adelete(l->raw, names[i], -1, deleted, &c), ZOK);
	count_wait(&c);
	/* The deletes fire as many watches of l->zk. An answer to a read sent
	 * now comes after them (ZooKeeper's order) and the client delivers in
	 * order: once it is in, no event is left in the client's queue, where
	 * zookeeper_close() would drop it (and leak it). */
	assert_int_equal(l->be.ops->fetch(l->be.impl, paths, 1, FETCH_CHILDREN, out), 0);
	assert_int_equal(out[0].nchildren, 0);
	zfetch_clear(&out[0]);
	for (int i = 0; i < N; i++)
		free(names[i]);
	free(names);
	free(paths);
	free(out);
}

/* One connection whose caller gives up on N answers (timeout 50 ms); then
 * either wait for them to arrive late, or zk_free at once. EIO, then 0.
 * A session is answered in order: once a later fetch is answered in time,
 * every abandoned answer has arrived (a loaded machine may take seconds). */
static int abandon_batch(const char *servers, const char **paths, size_t n,
			 struct zfetch *out, bool wait_for_answers)
{
	struct zk *zk = new_zk(servers, 50, NULL);
	struct backend be = zk_backend(zk);
	int bad = 0;

	bad |= zk_start(zk) != 0 || zk_wait_connected(zk, 10000) != 0;
	bad |= be.ops->fetch(be.impl, paths, n, FETCH_DATA | FETCH_CHILDREN, out) != EIO;
	for (size_t i = 0; i < n; i++)
		bad |= out[i].data != NULL;
	if (wait_for_answers) {
		int64_t end = now_ms() + 60000;
		int err;

		do {
			usleep(500 * 1000);
			err = be.ops->fetch(be.impl, paths, 1, FETCH_DATA, out);
		} while (err == EIO && now_ms() < end);
		bad |= err != 0;
		zfetch_clear(&out[0]);
	}
	zk_free(zk);
	return bad;
}

/*
 * A caller that gives up leaves its answers in flight: they arrive later, or
 * zk_free closes the handle under them. Neither may touch freed memory or
 * leak (run under ASan). The second case runs in a child that ends with
 * _exit: libzookeeper_mt (THREADED) never frees the requests zookeeper_close
 * drops, and LeakSanitizer would report the client's leak, not ours.
 */
static void test_live_batch_abandoned_by_a_timed_out_caller_is_harmless(void **state)
{
	enum { N = 20000 };
	const char **paths = calloc(N, sizeof(*paths));
	struct zfetch *out = calloc(N, sizeof(*out));
	int status;
	pid_t pid;

	LIVE(l);
	assert_true(paths && out);
	assert_int_equal(zk_ensure_path(l->zk, l->base), 0);
	for (int i = 0; i < N; i++)
		paths[i] = l->base;
	assert_int_equal(abandon_batch(l->servers, paths, N, out, true), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(abandon_batch(l->servers, paths, N, out, false));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(paths);
	free(out);
}

/* ---- a paused server (ZKFS_TEST_SERVER_PID) ---- */

/* A read sent to a server that does not answer (paused) ends with EINTR when
 * its token fires; the answer that comes after the resume is dropped, and the
 * next read works. */
static void test_live_interrupted_read_on_a_paused_server_ends_with_eintr(void **state)
{
	const char *pid_s = getenv("ZKFS_TEST_SERVER_PID");
	struct backend be;
	char p[128];
	const char *paths[1] = { p };
	struct zfetch out[1];
	struct cancel cx;
	struct pending_call c = { .err = -1, .path = p, .cx = &cx };
	pthread_t t;

	LIVE(l);
	assert_non_null(pid_s);
	be = zk_backend(l->zk);
	path_of(l, p, sizeof(p), "");
	assert_int_equal(zk_ensure_path(l->zk, p), 0);
	c.zk = l->zk;
	cancel_init(&cx);
	server_stop((pid_t)atoi(pid_s));
	assert_int_equal(pthread_create(&t, NULL, fetch_thread, &c), 0);
	assert_true(waker_registered(&cx));
	cancel_fire(&cx);
	pthread_join(t, NULL);
	assert_int_equal(kill((pid_t)atoi(pid_s), SIGCONT), 0);
	assert_int_equal(c.err, EINTR);
	assert_in_range(c.took, 0, 3000);
	cancel_destroy(&cx);

	assert_int_equal(be.ops->fetch(be.impl, paths, 1, FETCH_DATA, out), 0);
	assert_int_equal(out[0].err, 0);
	zfetch_clear(&out[0]);
}

static void pause_server(pid_t pid, int ms)
{
	server_stop(pid);
	usleep((useconds_t)ms * 1000);
	assert_int_equal(kill(pid, SIGCONT), 0);
}

static void test_live_suspended_then_expired_session_is_replaced(void **state)
{
	const char *pid_s = getenv("ZKFS_TEST_SERVER_PID");
	char p[128];
	const char *paths[1] = { p };
	struct zfetch out[1];
	bool expired = false;
	int64_t sid;
	int n;

	LIVE(l);
	assert_non_null(pid_s);
	path_of(l, p, sizeof(p), "");
	assert_int_equal(zk_ensure_path(l->zk, p), 0);
	n = l->r->nstates;
	sid = zk_session_id(l->zk);

	/* Longer than the client's read timeout, shorter than the session. */
	pause_server((pid_t)atoi(pid_s), zk_session_timeout(l->zk) * 5 / 6);
	assert_true(rec_wait_states(l->r, n + 2, 15000));
	assert_int_equal(l->r->states[n], ZS_SUSPENDED);
	assert_int_equal(l->r->states[n + 1], ZS_CONNECTED);
	assert_int_equal(zk_session_id(l->zk), sid);
	n += 2;

	/* Longer than the session: LOST (expired), then a new session. On
	 * resume the server may revalidate the session before its expiry
	 * thread runs (a server-side race): then pause again. */
	for (int attempt = 0; attempt < 4 && !expired; attempt++) {
		n = l->r->nstates;
		pause_server((pid_t)atoi(pid_s), zk_session_timeout(l->zk) * 2 + 2000);
		assert_true(rec_wait_states(l->r, n + 2, 30000));
		assert_int_equal(l->r->states[n], ZS_SUSPENDED);
		if (l->r->states[n + 1] == ZS_CONNECTED)
			continue;           /* it survived */
		assert_int_equal(l->r->states[n + 1], ZS_LOST);
		assert_true(l->r->expired[n + 1]);
		assert_true(rec_wait_states(l->r, n + 3, 30000));
		assert_int_equal(l->r->states[n + 2], ZS_CONNECTED);
		assert_false(l->r->expired[n + 2]);
		expired = true;
	}
	assert_true(expired);
	assert_true(zk_session_id(l->zk) != sid);
	assert_int_equal(zk_state(l->zk), ZS_CONNECTED);
	assert_int_equal(l->be.ops->fetch(l->be.impl, paths, 1, FETCH_DATA, out), 0);
	assert_int_equal(out[0].err, 0);
	zfetch_clear(&out[0]);
}

/*
 * The offline tests always run. The live ones need a server: the integration
 * test test_zk_live starts one and runs this program with ZKFS_TEST_SERVERS
 * and ZKFS_TEST_SERVER_PID set; then every live test runs (none is skipped).
 */
int main(void)
{
	const struct CMUnitTest offline[] = {
		cmocka_unit_test(test_errno_table_maps_spec_section_7),
		cmocka_unit_test(test_errname_gives_the_constant_name_of_every_code),
		cmocka_unit_test(test_zstate_name),
		cmocka_unit_test(test_new_and_free_without_start),
		cmocka_unit_test(test_call_before_start_fails_with_eio),
		cmocka_unit_test(test_start_refuses_a_server_list_without_port),
		cmocka_unit_test(test_unreachable_server_stays_lost_and_calls_fail_within_timeout),
		cmocka_unit_test(test_free_with_a_call_pending_fails_it_with_eio),
		cmocka_unit_test(test_interrupted_fetch_waiting_for_a_connection_ends_with_eintr),
	};
	const struct CMUnitTest live[] = {
		cmocka_unit_test_setup_teardown(test_live_connects_and_reports_connected_once,
						live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_ensure_path_then_fetch_returns_data_stat_children,
						live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_missing_node_is_enoent_then_created_event,
						live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_changes_fire_changed_child_deleted,
						live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_large_value_is_read_whole,
						live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_batch_of_20000_paths,
						live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_batch_abandoned_by_a_timed_out_caller_is_harmless,
						live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_interrupted_read_on_a_paused_server_ends_with_eintr,
						live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_suspended_then_expired_session_is_replaced,
						live_setup, live_teardown),
	};

	zkfx_init();
	if (zkfx_live())
		return cmocka_run_group_tests_name("zk live", live, NULL, NULL);
	return cmocka_run_group_tests_name("zk offline", offline, NULL, NULL);
}
