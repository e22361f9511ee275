/*
 * test_zk — the errno table, the names of result codes, and the connection's
 * bounds without a server. With ZKFS_TEST_SERVERS=host:port (a running
 * ZooKeeper), also the calls against it, reads and writes; with
 * ZKFS_TEST_SERVER_PID as well, writes whose outcome is unknown, a suspended
 * and an expired session (the server is paused with SIGSTOP).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include "backend.h"
#include "log.h"
#include "zk.h"

/* ---- helpers ---- */

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A loopback port nobody listens on. */
static int closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

#define MAX_REC 512

/* What the backend reported, for the tests to wait on. */
struct recorder {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int nstates;
	enum zstate states[MAX_REC];
	bool expired[MAX_REC];
	int nwatches;
	enum zevent watch_ev[MAX_REC];
	char watch_path[MAX_REC][128];
};

static void rec_state(void *ctx, enum zstate s, bool expired)
{
	struct recorder *r = ctx;

	pthread_mutex_lock(&r->mu);
	if (r->nstates < MAX_REC) {
		r->states[r->nstates] = s;
		r->expired[r->nstates++] = expired;
	}
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void rec_watch(void *ctx, enum zevent ev, const char *path)
{
	struct recorder *r = ctx;

	pthread_mutex_lock(&r->mu);
	if (r->nwatches < MAX_REC) {
		r->watch_ev[r->nwatches] = ev;
		snprintf(r->watch_path[r->nwatches++], 128, "%s", path);
	}
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static struct recorder *rec_new(void)
{
	struct recorder *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	return r;
}

static void rec_free(struct recorder *r)
{
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* Wait until the watch (ev, path) was reported; false after timeout_ms. */
static bool rec_wait_watch(struct recorder *r, enum zevent ev, const char *path, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	bool found = false;

	pthread_mutex_lock(&r->mu);
	while (!found) {
		struct timespec ts;

		for (int i = 0; i < r->nwatches && !found; i++)
			found = r->watch_ev[i] == ev && strcmp(r->watch_path[i], path) == 0;
		if (found || now_ms() >= end)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
	}
	pthread_mutex_unlock(&r->mu);
	return found;
}

/* Wait until at least n states were reported; false after timeout_ms. */
static bool rec_wait_states(struct recorder *r, int n, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	bool ok;

	pthread_mutex_lock(&r->mu);
	while (r->nstates < n && now_ms() < end) {
		pthread_mutex_unlock(&r->mu);
		usleep(20 * 1000);
		pthread_mutex_lock(&r->mu);
	}
	ok = r->nstates >= n;
	pthread_mutex_unlock(&r->mu);
	return ok;
}

static struct zk *new_zk(const char *servers, int timeout_ms, struct recorder *r)
{
	struct zk_config cfg = {
		.servers = servers,
		.session_timeout_ms = 6000,
		.timeout_ms = timeout_ms,
	};
	struct backend_events ev = { rec_watch, rec_state, r };
	struct zk *zk = zk_new(&cfg, r ? &ev : NULL);

	assert_non_null(zk);
	return zk;
}

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
	assert_int_equal(zk_backend(zk).ops->state(zk_backend(zk).impl), ZS_LOST);
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
	assert_int_equal(be.ops->state(be.impl), ZS_LOST);
	assert_int_equal(zk_session_id(zk), 0);
	t0 = now_ms();
	zk_free(zk);
	assert_in_range(now_ms() - t0, 0, 2000);
	assert_int_equal(r->nstates, 0);
	rec_free(r);
}

struct pending_call {
	struct zk *zk;
	int err;
	int64_t took;
};

static void *fetch_thread(void *arg)
{
	struct pending_call *c = arg;
	struct backend be = zk_backend(c->zk);
	const char *paths[] = { "/x" };
	struct zfetch out[1];
	int64_t t0 = now_ms();

	c->err = be.ops->fetch(be.impl, paths, 1, FETCH_DATA, out);
	c->took = now_ms() - t0;
	return NULL;
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

static void test_writes_before_start_fail_with_eio(void **state)
{
	struct zk *zk = new_zk("127.0.0.1:2181", 200, NULL);
	struct backend be = zk_backend(zk);
	struct zop ops[2] = {
		{ .type = ZOP_CREATE, .path = "/a", .data = "x", .len = 1 },
		{ .type = ZOP_DELETE, .path = "/b", .version = -1 },
	};
	struct zstat st = { .version = 42 };
	size_t failed = 7;

	assert_int_equal(be.ops->create(be.impl, "/a", "x", 1, &st), EIO);
	assert_int_equal(be.ops->set(be.impl, "/a", "y", 1, -1, &st), EIO);
	assert_int_equal(be.ops->remove(be.impl, "/a", 0), EIO);
	assert_int_equal(be.ops->multi(be.impl, ops, 2, &failed), EIO);
	assert_int_equal(failed, 2);            /* no operation is at fault */
	assert_int_equal(st.version, 42);       /* untouched on failure */
	zk_free(zk);
}

/* Operations the client could not send are refused before any connection,
 * with the index of the first one at fault. */
static void test_multi_refuses_an_invalid_operation_before_sending(void **state)
{
	static const char *const bad[] = {
		"relative", "/a/", "/a//b", "/a/./b", "/a/..", "/.", "/a/\x01", "",
	};
	struct zk *zk = new_zk("127.0.0.1:2181", 200, NULL);
	struct backend be = zk_backend(zk);
	struct zop ops[3] = {
		{ .type = ZOP_CHECK, .path = "/ok", .version = 0 },
		{ .type = ZOP_SET, .path = "/ok/a..b/.c/d.", .data = "v", .len = 1, .version = -1 },
		{ .type = ZOP_DELETE, .version = -1 },
	};
	size_t failed;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ops[2].path = bad[i];
		failed = 99;
		assert_int_equal(be.ops->multi(be.impl, ops, 3, &failed), EINVAL);
		assert_int_equal(failed, 2);
	}
	ops[2].path = NULL;
	assert_int_equal(be.ops->multi(be.impl, ops, 3, &failed), EINVAL);
	assert_int_equal(failed, 2);
	ops[2].path = "/ok/x";
	ops[1].data = NULL;                     /* one byte, from nowhere */
	assert_int_equal(be.ops->multi(be.impl, ops, 3, &failed), EINVAL);
	assert_int_equal(failed, 1);
	assert_int_equal(be.ops->create(be.impl, "/ok/y", NULL, 1, NULL), EINVAL);

	/* Valid paths (one with an odd but legal name) only wait to be sent. */
	ops[1].data = "v";
	assert_int_equal(be.ops->multi(be.impl, ops, 3, &failed), EIO);
	assert_int_equal(failed, 3);
	/* An empty transaction changes nothing and needs no server. */
	assert_int_equal(be.ops->multi(be.impl, ops, 0, &failed), 0);
	assert_int_equal(failed, 0);
	zk_free(zk);
}

static void test_writes_to_an_unreachable_server_fail_within_timeout(void **state)
{
	char servers[64];
	struct zk *zk;
	struct backend be;
	struct zop op = { .type = ZOP_DELETE, .path = "/a", .version = -1 };
	struct zstat st;
	int64_t t0;

	snprintf(servers, sizeof(servers), "127.0.0.1:%d", closed_port());
	zk = new_zk(servers, 500, NULL);
	be = zk_backend(zk);
	assert_int_equal(zk_start(zk), 0);
	t0 = now_ms();
	assert_int_equal(be.ops->create(be.impl, "/a", "x", 1, &st), EIO);
	assert_in_range(now_ms() - t0, 450, 500 + 2000);
	t0 = now_ms();
	assert_int_equal(be.ops->set(be.impl, "/a", "x", 1, 3, &st), EIO);
	assert_int_equal(be.ops->remove(be.impl, "/a", -1), EIO);
	assert_int_equal(be.ops->multi(be.impl, &op, 1, NULL), EIO);
	assert_in_range(now_ms() - t0, 3 * 450, 3 * 500 + 2000);
	zk_free(zk);
}

/* ---- against a live server (ZKFS_TEST_SERVERS) ---- */

struct live {
	const char *servers;
	zhandle_t *raw;             /* ground truth, a plain client */
	char base[64];
	struct recorder *r;
	struct zk *zk;
	struct backend be;
};

static void raw_delete_tree(zhandle_t *zh, const char *path)
{
	struct String_vector v = { 0 };

	if (zoo_get_children(zh, path, 0, &v) == ZOK) {
		for (int i = 0; i < v.count; i++) {
			char child[512];

			snprintf(child, sizeof(child), "%s/%s", path, v.data[i]);
			raw_delete_tree(zh, child);
		}
		deallocate_String_vector(&v);
	}
	zoo_delete(zh, path, -1);
}

static zhandle_t *raw_connect(const char *servers)
{
	zhandle_t *zh = zookeeper_init(servers, NULL, 10000, NULL, NULL, 0);
	int64_t end = now_ms() + 10000;

	assert_non_null(zh);
	while (zoo_state(zh) != ZOO_CONNECTED_STATE && now_ms() < end)
		usleep(10 * 1000);
	assert_int_equal(zoo_state(zh), ZOO_CONNECTED_STATE);
	return zh;
}

static int live_setup(void **state)
{
	const char *servers = getenv("ZKFS_TEST_SERVERS");
	struct live *l;

	if (!servers || !*servers)
		return 0;
	l = calloc(1, sizeof(*l));
	assert_non_null(l);
	l->servers = servers;
	l->raw = raw_connect(servers);
	snprintf(l->base, sizeof(l->base), "/zkfs-test-zk-%d", (int)getpid());
	raw_delete_tree(l->raw, l->base);
	l->r = rec_new();
	l->zk = new_zk(servers, 30000, l->r);
	l->be = zk_backend(l->zk);
	assert_int_equal(zk_start(l->zk), 0);
	assert_int_equal(zk_wait_connected(l->zk, 10000), 0);
	*state = l;
	return 0;
}

static int live_teardown(void **state)
{
	struct live *l = *state;

	if (!l)
		return 0;
	zk_free(l->zk);
	if (zoo_state(l->raw) != ZOO_CONNECTED_STATE) {    /* expired by a pause */
		zookeeper_close(l->raw);
		l->raw = raw_connect(l->servers);
	}
	raw_delete_tree(l->raw, l->base);
	zookeeper_close(l->raw);
	rec_free(l->r);
	free(l);
	return 0;
}

#define LIVE(l) struct live *l = *state; assert_non_null(l)

static void path_of(const struct live *l, char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s%s", l->base, rel);
}

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

/* ---- writes against a live server ---- */

/* stderr captured to a file, to check what the backend logs. */
struct capture {
	int saved;
	FILE *f;
};

static void capture_start(struct capture *c)
{
	fflush(stderr);
	c->f = tmpfile();
	assert_non_null(c->f);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_true(dup2(fileno(c->f), STDERR_FILENO) >= 0);
}

/* Restore stderr; the text written meanwhile, malloc'd. */
static char *capture_end(struct capture *c)
{
	long len;
	char *text;

	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	len = ftell(c->f);
	text = calloc(1, (size_t)(len > 0 ? len : 0) + 1);
	assert_non_null(text);
	rewind(c->f);
	if (len > 0)
		assert_int_equal(fread(text, 1, (size_t)len, c->f), (size_t)len);
	fclose(c->f);
	return text;
}

/* The node's version through the raw client, -1 when it is absent. */
static int raw_version(const struct live *l, const char *path)
{
	struct Stat st;

	return zoo_exists(l->raw, path, 0, &st) == ZOK ? st.version : -1;
}

/* Whether the node holds exactly `want` (through the raw client). */
static bool raw_data_is(const struct live *l, const char *path, const char *want)
{
	char buf[256];
	int len = sizeof(buf);

	return zoo_get(l->raw, path, 0, buf, &len, NULL) == ZOK &&
	       len == (int)strlen(want) && memcmp(buf, want, (size_t)len) == 0;
}

/* Create base + rel through the backend, "" as its data; its stat. */
static struct zstat live_create(const struct live *l, char *p, size_t size,
				const char *rel, const char *data)
{
	struct zstat st;

	path_of(l, p, size, rel);
	assert_int_equal(l->be.ops->create(l->be.impl, p, data, strlen(data), &st), 0);
	return st;
}

static void test_live_create_makes_a_node_that_fetch_sees_at_version_0(void **state)
{
	char p[128], e[128];
	const char *paths[2] = { p, e };
	struct zfetch out[2];
	struct zstat st, est;

	LIVE(l);
	assert_int_equal(zk_ensure_path(l->zk, l->base), 0);
	st = live_create(l, p, sizeof(p), "/app.conf", "hello");
	assert_int_equal(st.version, 0);
	assert_int_equal(st.data_length, 5);
	assert_int_equal(st.num_children, 0);
	assert_int_equal(st.ephemeral_owner, 0);
	assert_true(st.czxid > 0);
	assert_int_equal(st.mzxid, st.czxid);
	assert_true(st.mtime_ms > 0);
	est = live_create(l, e, sizeof(e), "/empty.conf", "");
	assert_int_equal(est.data_length, 0);

	assert_int_equal(l->be.ops->fetch(l->be.impl, paths, 2, FETCH_DATA, out), 0);
	assert_int_equal(out[0].err, 0);
	assert_int_equal(out[0].data->len, 5);
	assert_memory_equal(out[0].data->bytes, "hello", 5);
	assert_int_equal(out[0].stat.version, 0);
	assert_int_equal(out[0].stat.czxid, st.czxid);
	assert_int_equal(out[0].stat.mtime_ms, st.mtime_ms);
	assert_int_equal(out[1].err, 0);
	assert_int_equal(out[1].data->len, 0);
	zfetch_clear(&out[0]);
	zfetch_clear(&out[1]);
	/* The open ACL by default. */
	assert_true(raw_data_is(l, p, "hello"));
}

static void test_live_create_fails_on_an_existing_node_a_missing_parent_a_bad_name(void **state)
{
	char p[128], orphan[128], bad[128];
	struct capture cap;
	struct zstat st = { .version = 42 };
	char *log;

	LIVE(l);
	assert_int_equal(zk_ensure_path(l->zk, l->base), 0);
	live_create(l, p, sizeof(p), "/f", "one");
	path_of(l, orphan, sizeof(orphan), "/no/such/parent");
	path_of(l, bad, sizeof(bad), "/a//b");

	capture_start(&cap);
	assert_int_equal(l->be.ops->create(l->be.impl, p, "two", 3, &st), EEXIST);
	assert_int_equal(l->be.ops->create(l->be.impl, orphan, "x", 1, &st), ENOENT);
	assert_int_equal(l->be.ops->create(l->be.impl, bad, "x", 1, &st), EINVAL);
	log = capture_end(&cap);
	assert_int_equal(st.version, 42);
	assert_true(raw_data_is(l, p, "one"));
	assert_int_equal(raw_version(l, orphan), -1);
	/* Expected outcomes are the caller's to report; the rest is logged. */
	assert_null(strstr(log, p));
	assert_null(strstr(log, orphan));
	assert_non_null(strstr(log, "ZBADARGUMENTS"));
	free(log);
}

static void test_live_set_checks_the_version_and_returns_the_new_stat(void **state)
{
	char p[128], missing[128];
	struct capture cap;
	struct zstat st0, st;
	char *log;

	LIVE(l);
	assert_int_equal(zk_ensure_path(l->zk, l->base), 0);
	st0 = live_create(l, p, sizeof(p), "/s", "v0");
	assert_int_equal(l->be.ops->set(l->be.impl, p, "v1!", 3, 0, &st), 0);
	assert_int_equal(st.version, 1);
	assert_int_equal(st.data_length, 3);
	assert_int_equal(st.czxid, st0.czxid);
	assert_true(st.mzxid > st0.mzxid);
	assert_true(raw_data_is(l, p, "v1!"));

	capture_start(&cap);
	assert_int_equal(l->be.ops->set(l->be.impl, p, "stale", 5, 0, &st), ESTALE);
	path_of(l, missing, sizeof(missing), "/nothing");
	assert_int_equal(l->be.ops->set(l->be.impl, missing, "x", 1, -1, &st), ENOENT);
	log = capture_end(&cap);
	assert_null(strstr(log, "warning"));
	free(log);
	assert_int_equal(st.version, 1);        /* untouched on failure */
	assert_true(raw_data_is(l, p, "v1!"));
	assert_int_equal(raw_version(l, p), 1);

	assert_int_equal(l->be.ops->set(l->be.impl, p, "any", 3, -1, &st), 0);
	assert_int_equal(st.version, 2);
	assert_true(raw_data_is(l, p, "any"));
	assert_int_equal(l->be.ops->set(l->be.impl, p, NULL, 0, 2, &st), 0);
	assert_int_equal(st.version, 3);
	assert_int_equal(st.data_length, 0);
	assert_true(raw_data_is(l, p, ""));
}

static void test_live_remove_checks_the_version_and_the_children(void **state)
{
	char p[128], dir[128], child[128];
	struct capture cap;
	char *log;

	LIVE(l);
	assert_int_equal(zk_ensure_path(l->zk, l->base), 0);
	live_create(l, p, sizeof(p), "/r", "x");
	assert_int_equal(zoo_set(l->raw, p, "y", 1, 0), ZOK);          /* version 1 */
	live_create(l, dir, sizeof(dir), "/d", "");
	live_create(l, child, sizeof(child), "/d/c", "");

	capture_start(&cap);
	assert_int_equal(l->be.ops->remove(l->be.impl, p, 0), ESTALE);
	assert_int_equal(l->be.ops->remove(l->be.impl, dir, -1), ENOTEMPTY);
	log = capture_end(&cap);
	assert_null(strstr(log, "warning"));
	free(log);
	assert_int_equal(raw_version(l, p), 1);
	assert_int_equal(raw_version(l, dir), 0);

	assert_int_equal(l->be.ops->remove(l->be.impl, p, 1), 0);
	assert_int_equal(raw_version(l, p), -1);
	assert_int_equal(l->be.ops->remove(l->be.impl, p, -1), ENOENT);
	assert_int_equal(l->be.ops->remove(l->be.impl, child, -1), 0);
	assert_int_equal(l->be.ops->remove(l->be.impl, dir, 0), 0);
	assert_int_equal(raw_version(l, dir), -1);
}

/* The largest value zkfs writes (SPEC: 1 MiB - 1 KiB, under the server's
 * default jute.maxbuffer of 1 MiB), created and then replaced. */
static void test_live_largest_value_is_written_and_read_back_whole(void **state)
{
	enum { LEN = 1047552 };
	char p[128];
	const char *paths[1] = { p };
	struct zfetch out[1];
	struct zstat st;
	char *big = malloc(LEN);

	LIVE(l);
	assert_non_null(big);
	for (int i = 0; i < LEN; i++)
		big[i] = (char)(i * 7 + i / 4096);
	assert_int_equal(zk_ensure_path(l->zk, l->base), 0);
	path_of(l, p, sizeof(p), "/big.bin");
	assert_int_equal(l->be.ops->create(l->be.impl, p, big, LEN, &st), 0);
	assert_int_equal(st.data_length, LEN);
	assert_int_equal(l->be.ops->fetch(l->be.impl, paths, 1, FETCH_DATA, out), 0);
	assert_int_equal(out[0].err, 0);
	assert_int_equal(out[0].data->len, LEN);
	assert_memory_equal(out[0].data->bytes, big, LEN);
	zfetch_clear(&out[0]);

	for (int i = 0; i < LEN; i++)
		big[i] = (char)~big[i];
	assert_int_equal(l->be.ops->set(l->be.impl, p, big, LEN, 0, &st), 0);
	assert_int_equal(st.version, 1);
	assert_int_equal(st.data_length, LEN);
	assert_int_equal(l->be.ops->fetch(l->be.impl, paths, 1, FETCH_DATA, out), 0);
	assert_int_equal(out[0].data->len, LEN);
	assert_memory_equal(out[0].data->bytes, big, LEN);
	zfetch_clear(&out[0]);
	free(big);
}

static void test_live_multi_applies_check_set_create_delete_together(void **state)
{
	char a[128], b[128], c[128], d[128];
	struct zop ops[4];
	size_t failed = 99;

	LIVE(l);
	assert_int_equal(zk_ensure_path(l->zk, l->base), 0);
	live_create(l, a, sizeof(a), "/a", "a");
	live_create(l, b, sizeof(b), "/b", "b0");
	live_create(l, d, sizeof(d), "/d", "d");
	path_of(l, c, sizeof(c), "/c");
	ops[0] = (struct zop){ .type = ZOP_CHECK, .path = a, .version = 0 };
	ops[1] = (struct zop){ .type = ZOP_SET, .path = b, .data = "b1", .len = 2, .version = 0 };
	ops[2] = (struct zop){ .type = ZOP_CREATE, .path = c, .data = "c", .len = 1 };
	ops[3] = (struct zop){ .type = ZOP_DELETE, .path = d, .version = 0 };

	assert_int_equal(l->be.ops->multi(l->be.impl, ops, 4, &failed), 0);
	assert_int_equal(failed, 4);
	assert_true(raw_data_is(l, a, "a"));
	assert_int_equal(raw_version(l, a), 0);
	assert_true(raw_data_is(l, b, "b1"));
	assert_int_equal(raw_version(l, b), 1);
	assert_true(raw_data_is(l, c, "c"));
	assert_int_equal(raw_version(l, d), -1);
}

/* Run ops, expect errno `err` at index `at`, and nothing applied. */
static void expect_multi_fails(const struct live *l, const struct zop *ops, size_t n,
			       int err, size_t at)
{
	size_t failed = 99;

	assert_int_equal(l->be.ops->multi(l->be.impl, ops, n, &failed), err);
	assert_int_equal(failed, at);
}

static void test_live_multi_failure_names_the_operation_and_applies_nothing(void **state)
{
	char x[128], y[128], z[128], missing[128];
	struct zop ops[3];
	struct capture cap;
	char *log;

	LIVE(l);
	assert_int_equal(zk_ensure_path(l->zk, l->base), 0);
	live_create(l, x, sizeof(x), "/x", "x");
	live_create(l, y, sizeof(y), "/y", "y");
	path_of(l, z, sizeof(z), "/z");
	path_of(l, missing, sizeof(missing), "/missing");

	capture_start(&cap);
	/* The last fails: the set and the create before it are not applied. */
	ops[0] = (struct zop){ .type = ZOP_SET, .path = x, .data = "X", .len = 1, .version = -1 };
	ops[1] = (struct zop){ .type = ZOP_CREATE, .path = z, .data = "z", .len = 1 };
	ops[2] = (struct zop){ .type = ZOP_DELETE, .path = y, .version = 7 };
	expect_multi_fails(l, ops, 3, ESTALE, 2);
	/* The middle fails. */
	ops[1] = (struct zop){ .type = ZOP_CREATE, .path = y, .data = "dup", .len = 3 };
	ops[2] = (struct zop){ .type = ZOP_CREATE, .path = z, .data = "z", .len = 1 };
	expect_multi_fails(l, ops, 3, EEXIST, 1);
	/* The first fails: a check. */
	ops[0] = (struct zop){ .type = ZOP_CHECK, .path = x, .version = 3 };
	ops[1] = (struct zop){ .type = ZOP_SET, .path = y, .data = "Y", .len = 1, .version = -1 };
	expect_multi_fails(l, ops, 3, ESTALE, 0);
	ops[0] = (struct zop){ .type = ZOP_SET, .path = missing, .data = "m", .len = 1, .version = -1 };
	expect_multi_fails(l, ops, 2, ENOENT, 0);
	ops[0] = (struct zop){ .type = ZOP_CREATE, .path = x, .data = "m", .len = 1 };
	ops[1] = (struct zop){ .type = ZOP_DELETE, .path = x, .version = -1 };
	expect_multi_fails(l, ops, 2, EEXIST, 0);
	log = capture_end(&cap);
	assert_null(strstr(log, "warning"));
	free(log);

	assert_true(raw_data_is(l, x, "x"));
	assert_int_equal(raw_version(l, x), 0);
	assert_true(raw_data_is(l, y, "y"));
	assert_int_equal(raw_version(l, y), 0);
	assert_int_equal(raw_version(l, z), -1);
	assert_int_equal(raw_version(l, missing), -1);

	/* A name the server refuses (the client accepts it): EINVAL, logged. */
	path_of(l, z, sizeof(z), "/bad\x7f");
	ops[0] = (struct zop){ .type = ZOP_SET, .path = x, .data = "X", .len = 1, .version = -1 };
	ops[1] = (struct zop){ .type = ZOP_CREATE, .path = z, .data = "z", .len = 1 };
	capture_start(&cap);
	expect_multi_fails(l, ops, 2, EINVAL, 1);
	log = capture_end(&cap);
	assert_non_null(strstr(log, "ZBADARGUMENTS"));
	free(log);
	assert_int_equal(raw_version(l, x), 0);
}

/* ---- a paused server (ZKFS_TEST_SERVER_PID) ---- */

static void pause_server(pid_t pid, int ms)
{
	assert_int_equal(kill(pid, SIGSTOP), 0);
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

/* A set(-1) sent while the server is stopped for `pause_ms` by a zk whose
 * calls time out after `timeout_ms`: EIO once, logged as "outcome unknown"
 * with `zerr`; its time in *took. The server runs again when this returns. */
static void set_while_paused(const struct live *l, const char *path, int timeout_ms,
			     int pause_ms, const char *zerr, int64_t *took)
{
	pid_t pid = (pid_t)atoi(getenv("ZKFS_TEST_SERVER_PID"));
	struct zk *zk = new_zk(l->servers, timeout_ms, NULL);
	struct backend be = zk_backend(zk);
	struct capture cap;
	struct zstat st;
	char want[256];
	int64_t t0;
	char *log;
	int err;

	assert_int_equal(zk_start(zk), 0);
	assert_int_equal(zk_wait_connected(zk, 10000), 0);
	assert_int_equal(kill(pid, SIGSTOP), 0);
	t0 = now_ms();
	capture_start(&cap);
	err = be.ops->set(be.impl, path, "once", 4, -1, &st);
	*took = now_ms() - t0;
	log = capture_end(&cap);
	if (now_ms() - t0 < pause_ms)
		usleep((useconds_t)(pause_ms - (now_ms() - t0)) * 1000);
	assert_int_equal(kill(pid, SIGCONT), 0);       /* before any assertion */

	assert_int_equal(err, EIO);
	snprintf(want, sizeof(want), "%s: %s, outcome unknown", path, zerr);
	if (!strstr(log, want))
		print_message("log: %s\n", log ? log : "");
	assert_non_null(strstr(log, want));
	free(log);

	/* Connected again, the zk writes normally. */
	assert_int_equal(zk_wait_connected(zk, 30000), 0);
	usleep(1500 * 1000);    /* room for a resend that must not happen */
	zk_free(zk);
}

/* The raw client, connected again after a pause. */
static void raw_wait_connected(struct live *l)
{
	int64_t end = now_ms() + 20000;

	while (zoo_state(l->raw) != ZOO_CONNECTED_STATE && now_ms() < end)
		usleep(20 * 1000);
	if (zoo_state(l->raw) != ZOO_CONNECTED_STATE) {         /* expired */
		zookeeper_close(l->raw);
		l->raw = raw_connect(l->servers);
	}
}

/* At most one application: the version moved by 0 or 1, and a later write
 * through the fixture's zk lands right after it. */
static void expect_applied_at_most_once(struct live *l, const char *path, int v0)
{
	struct zstat st;
	int v;

	raw_wait_connected(l);
	v = raw_version(l, path);
	print_message("version before %d, after the lost write %d\n", v0, v);
	assert_in_range(v, v0, v0 + 1);
	if (v == v0 + 1)
		assert_true(raw_data_is(l, path, "once"));
	assert_int_equal(zk_wait_connected(l->zk, 30000), 0);
	assert_int_equal(l->be.ops->set(l->be.impl, path, "after", 5, -1, &st), 0);
	assert_int_equal(st.version, v + 1);
	usleep(500 * 1000);
	assert_int_equal(raw_version(l, path), v + 1);
}

/* The server stops answering; the call's deadline (1 s) comes first. */
static void test_live_write_unanswered_by_the_deadline_is_eio_and_not_resent(void **state)
{
	char p[128];
	int64_t took;

	LIVE(l);
	assert_non_null(getenv("ZKFS_TEST_SERVER_PID"));
	assert_int_equal(zk_ensure_path(l->zk, l->base), 0);
	live_create(l, p, sizeof(p), "/late", "v0");
	set_while_paused(l, p, 1000, 2500, "ZOPERATIONTIMEOUT", &took);
	assert_in_range(took, 950, 1000 + 1000);
	expect_applied_at_most_once(l, p, 0);
}

/* The server stops answering for longer than the client's read timeout (2/3
 * of the 6 s session): the client drops the connection with the write in
 * flight, well before the call's deadline (20 s), and reconnects later. A
 * resend would happen after the reconnection, within the deadline. */
static void test_live_write_whose_connection_drops_is_eio_and_not_resent(void **state)
{
	char p[128];
	int64_t took;

	LIVE(l);
	assert_non_null(getenv("ZKFS_TEST_SERVER_PID"));
	assert_int_equal(zk_ensure_path(l->zk, l->base), 0);
	live_create(l, p, sizeof(p), "/dropped", "v0");
	set_while_paused(l, p, 20000, 5500, "ZOPERATIONTIMEOUT", &took);
	assert_in_range(took, 1000, 5500);
	expect_applied_at_most_once(l, p, 0);
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
		cmocka_unit_test(test_writes_before_start_fail_with_eio),
		cmocka_unit_test(test_multi_refuses_an_invalid_operation_before_sending),
		cmocka_unit_test(test_writes_to_an_unreachable_server_fail_within_timeout),
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
		cmocka_unit_test_setup_teardown(test_live_create_makes_a_node_that_fetch_sees_at_version_0,
						live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_create_fails_on_an_existing_node_a_missing_parent_a_bad_name,
						live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_set_checks_the_version_and_returns_the_new_stat,
						live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_remove_checks_the_version_and_the_children,
						live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_largest_value_is_written_and_read_back_whole,
						live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_multi_applies_check_set_create_delete_together,
						live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_multi_failure_names_the_operation_and_applies_nothing,
						live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_write_unanswered_by_the_deadline_is_eio_and_not_resent,
						live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_write_whose_connection_drops_is_eio_and_not_resent,
						live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_suspended_then_expired_session_is_replaced,
						live_setup, live_teardown),
	};
	const char *servers = getenv("ZKFS_TEST_SERVERS");

	log_setup(LOG_LVL_WARN, false);
	if (getenv("ZKFS_TEST_FILTER"))         /* e.g. "*multi*", to run a few */
		cmocka_set_test_filter(getenv("ZKFS_TEST_FILTER"));
	if (servers && *servers)
		return cmocka_run_group_tests_name("zk live", live, NULL, NULL);
	return cmocka_run_group_tests_name("zk offline", offline, NULL, NULL);
}
