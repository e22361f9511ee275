/* zkfx — the fixture of the zk unit tests (see zkfx.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "zkfx.h"

int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A loopback port nobody listens on. */
int closed_port(void)
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

struct recorder *rec_new(void)
{
	struct recorder *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	return r;
}

void rec_free(struct recorder *r)
{
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* Wait until the watch (ev, path) was reported; false after timeout_ms. */
bool rec_wait_watch(struct recorder *r, enum zevent ev, const char *path, int timeout_ms)
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
bool rec_wait_states(struct recorder *r, int n, int timeout_ms)
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

struct zk *new_zk(const char *servers, int timeout_ms, struct recorder *r)
{
	struct zk_config cfg = {
		.servers = servers,
		.session_timeout_ms = 6000,
		.timeout_ms = timeout_ms,
	};
	struct backend_events ev = { .on_watch = rec_watch, .on_state = rec_state, .ctx = r };
	struct zk *zk = zk_new(&cfg, r ? &ev : NULL);

	assert_non_null(zk);
	return zk;
}

void raw_delete_tree(zhandle_t *zh, const char *path)
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

zhandle_t *raw_connect(const char *servers)
{
	zhandle_t *zh = zookeeper_init(servers, NULL, 10000, NULL, NULL, 0);
	int64_t end = now_ms() + 10000;

	assert_non_null(zh);
	while (zoo_state(zh) != ZOO_CONNECTED_STATE && now_ms() < end)
		usleep(10 * 1000);
	assert_int_equal(zoo_state(zh), ZOO_CONNECTED_STATE);
	return zh;
}

/* Every thread of `pid` is stopped (state 'T' in its task's stat). */
static bool all_stopped(pid_t pid)
{
	char dir[64], file[400], buf[512];
	struct dirent *d;
	bool stopped = true;
	DIR *tasks;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	tasks = opendir(dir);
	if (!tasks)
		return false;
	while (stopped && (d = readdir(tasks))) {
		FILE *f;
		char *p;
		size_t n;

		if (d->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s/stat", dir, d->d_name);
		f = fopen(file, "r");
		if (!f)
			continue;   /* the thread ended */
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		p = strrchr(buf, ')');
		stopped = p && p[1] == ' ' && (p[2] == 'T' || p[2] == 't');
	}
	closedir(tasks);
	return stopped;
}

void server_stop(pid_t pid)
{
	int64_t end = now_ms() + 5000;

	assert_int_equal(kill(pid, SIGSTOP), 0);
	while (!all_stopped(pid) && now_ms() < end)
		usleep(1000);
	assert_true(all_stopped(pid));
}

int live_setup(void **state)
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

int live_teardown(void **state)
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

void path_of(const struct live *l, char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s%s", l->base, rel);
}

void zkfx_init(void)
{
	log_setup(LOG_LVL_WARN, false);
	if (getenv("ZKFS_TEST_FILTER"))         /* e.g. "*multi*", to run a few */
		cmocka_set_test_filter(getenv("ZKFS_TEST_FILTER"));
}

bool zkfx_live(void)
{
	const char *servers = getenv("ZKFS_TEST_SERVERS");

	return servers && *servers;
}
