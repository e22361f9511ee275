/*
 * zkfx — the fixture the zk unit tests (test_zk, test_zkwrite) share: a clock,
 * a closed loopback port, a recorder of what the backend reports, a zk on it,
 * and for the live groups (ZKFS_TEST_SERVERS) a zk connected to the server
 * with a plain client beside it as ground truth, under a base path of its own
 * that teardown removes. The helpers assert as they go (cmocka).
 */
#ifndef ZKFS_TEST_ZKFX_H
#define ZKFS_TEST_ZKFX_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zookeeper/zookeeper.h>

#include "backend.h"
#include "zk.h"

/* CLOCK_MONOTONIC in milliseconds. */
int64_t now_ms(void);
/* A loopback port nobody listens on. */
int closed_port(void);

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

struct recorder *rec_new(void);
void rec_free(struct recorder *r);
/* Wait until the watch (ev, path) was reported; false after timeout_ms. */
bool rec_wait_watch(struct recorder *r, enum zevent ev, const char *path, int timeout_ms);
/* Wait until at least n states were reported; false after timeout_ms. */
bool rec_wait_states(struct recorder *r, int n, int timeout_ms);

/* A zk (not started) on `servers`, calls timing out after timeout_ms, a 6 s
 * session; its events go to r (none when r is NULL). */
struct zk *new_zk(const char *servers, int timeout_ms, struct recorder *r);

/* ---- against a live server (ZKFS_TEST_SERVERS) ---- */

struct live {
	const char *servers;
	zhandle_t *raw;             /* ground truth, a plain client */
	char base[64];
	struct recorder *r;
	struct zk *zk;
	struct backend be;
};

/* The plain client: connected (within 10 s), or the test fails. */
zhandle_t *raw_connect(const char *servers);
/* Delete path and everything under it, ignoring errors. */
void raw_delete_tree(zhandle_t *zh, const char *path);

/* cmocka setup/teardown: *state is a struct live, connected (NULL without
 * ZKFS_TEST_SERVERS); base is /zkfs-test-zk-<pid>, absent at the start. */
/* SIGSTOP the server `pid` and return once every thread of it is stopped
 * (/proc/PID/task/TID/stat state 'T', 5 s at most): kill(2) returns before
 * the signal reaches all of a JVM's threads, and a request sent at once may
 * still be answered. Fails the test if it does not stop. */
void server_stop(pid_t pid);

int live_setup(void **state);
int live_teardown(void **state);

#define LIVE(l) struct live *l = *state; assert_non_null(l)

/* base + rel into buf. */
void path_of(const struct live *l, char *buf, size_t len, const char *rel);

/* Before the groups run: the log at warnings, and ZKFS_TEST_FILTER (e.g.
 * "*multi*") as cmocka's test filter when set. */
void zkfx_init(void);
/* Whether ZKFS_TEST_SERVERS names a server: the live group runs, else the
 * offline one. */
bool zkfx_live(void);

#endif
