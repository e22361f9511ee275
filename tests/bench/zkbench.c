/*
 * zkbench — the floor that zkfs is measured against: the same work done by a
 * small program on the ZooKeeper C client (libzookeeper_mt, THREADED), plus
 * the few workloads of tests/bench/run that need one process doing exact
 * system calls on the mount. Every timed subcommand prints its elapsed time
 * in milliseconds (one number) on stdout, except `latency` (p50 and p99).
 *
 *   zkbench -s HOST:PORT CMD ARGS
 *
 *   populate ROOT NDIRS NPER SIZE   ROOT, ROOT/dNNN, ROOT/dNNN/fNNNNN (SIZE
 *                                   bytes each), async creates (a window of
 *                                   2000 outstanding); NDIRS 0: the files go
 *                                   straight under ROOT. Prints ms.
 *   get ROOT NDIRS NPER             NDIRS*NPER sequential zoo_get of the
 *                                   files populate made. Prints ms.
 *   lsl PATH                        zoo_get_children + one pipelined
 *                                   zoo_aexists per child. Prints ms.
 *   create DIR N SIZE               N sequential zoo_create DIR/nNNNNN with
 *                                   SIZE bytes (DIR must exist). Prints ms.
 *   walk ROOT                       the whole tree below ROOT, pipelined: one
 *                                   zoo_aget_children2 per node (children and
 *                                   stat), all outstanding at once. Prints
 *                                   "ms nodes".
 *   count PATH                      the number of children of PATH.
 *   latency PATH N [MNTFILE]        N changes of PATH by zoo_set; each is
 *                                   timed from before zoo_set until the new
 *                                   value is seen: with MNTFILE, by reading
 *                                   MNTFILE (open/read/close in a loop);
 *                                   without, by a second session that holds
 *                                   a data watch (zoo_wget) and gets the
 *                                   value when it fires. Prints "p50 p99" ms.
 *   inotify PATH N MNTFILE          N changes of PATH by zoo_set; each is
 *                                   timed from before zoo_set until an
 *                                   inotify watch of MNTFILE gets
 *                                   IN_CLOSE_WRITE; the file is then read and
 *                                   must hold the new value. Prints "p50 p99".
 *
 * Without -s (no ZooKeeper involved):
 *   writefiles DIR N SIZE           N new files DIR/wNNNNN: open(O_CREAT|
 *                                   O_WRONLY|O_TRUNC), write SIZE bytes,
 *                                   close, one after the other. Prints ms.
 *
 * ZKBENCH_RESOLVE_DELAY=MS sets zoo_set_servers_resolution_delay on the
 * sessions (default: the client's own, a name resolution at every wake-up of
 * its I/O thread). Exit 0 on success, 2 on any error (message on stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include <zookeeper/zookeeper.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void die(const char *what, int rc)
{
	fprintf(stderr, "zkbench: %s: %s\n", what, rc ? zerror(rc) : strerror(errno));
	exit(2);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ------------------------------------------------------------ connection */

static int connected;

static void conn_watcher(zhandle_t *h, int type, int state, const char *path, void *ctx)
{
	(void)h; (void)path; (void)ctx;
	if (type == ZOO_SESSION_EVENT && state == ZOO_CONNECTED_STATE) {
		pthread_mutex_lock(&mu);
		connected++;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
}

static zhandle_t *connect_zk(const char *hosts)
{
	int want;
	zhandle_t *h;
	struct timespec dl;

	pthread_mutex_lock(&mu);
	want = connected + 1;
	pthread_mutex_unlock(&mu);
	h = zookeeper_init(hosts, conn_watcher, 30000, NULL, NULL, 0);
	if (!h)
		die("zookeeper_init", 0);
	/* ZKBENCH_RESOLVE_DELAY=MS: zoo_set_servers_resolution_delay (the client
	 * otherwise calls getaddrinfo at every wake-up of its I/O thread). */
	if (getenv("ZKBENCH_RESOLVE_DELAY"))
		zoo_set_servers_resolution_delay(h, atoi(getenv("ZKBENCH_RESOLVE_DELAY")));
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 20;
	pthread_mutex_lock(&mu);
	while (connected < want)
		if (pthread_cond_timedwait(&cv, &mu, &dl) == ETIMEDOUT) {
			pthread_mutex_unlock(&mu);
			fprintf(stderr, "zkbench: no connection to %s within 20 s\n", hosts);
			exit(2);
		}
	pthread_mutex_unlock(&mu);
	return h;
}

/* ------------------------------------------------------------ a window of async calls */

static long outstanding;
static int async_err;

static void begin_call(long window)
{
	pthread_mutex_lock(&mu);
	while (outstanding >= window)
		pthread_cond_wait(&cv, &mu);
	outstanding++;
	pthread_mutex_unlock(&mu);
}

static void end_call(int rc)
{
	pthread_mutex_lock(&mu);
	if (rc != ZOK && !async_err)
		async_err = rc;
	outstanding--;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void wait_all(void)
{
	pthread_mutex_lock(&mu);
	while (outstanding > 0)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	if (async_err)
		die("async call", async_err);
}

static void create_done(int rc, const char *value, const void *data)
{
	(void)value; (void)data;
	end_call(rc == ZNODEEXISTS ? ZOK : rc);
}

static void stat_done(int rc, const struct Stat *st, const void *data)
{
	(void)st; (void)data;
	end_call(rc);
}

/* ------------------------------------------------------------ subcommands */

static char *payload(int size)
{
	char *b = malloc(size > 0 ? size : 1);
	int i;

	if (!b)
		die("malloc", 0);
	for (i = 0; i < size; i++)
		b[i] = i == size - 1 ? '\n' : 'a' + i % 26;
	return b;
}

static void file_path(char *out, size_t len, const char *root, int ndirs, int d, int f)
{
	if (ndirs > 0)
		snprintf(out, len, "%s/d%03d/f%05d", root, d, f);
	else
		snprintf(out, len, "%s/f%05d", root, f);
}

static void acreate(zhandle_t *h, const char *path, const char *buf, int len)
{
	begin_call(2000);
	int rc = zoo_acreate(h, path, buf, len, &ZOO_OPEN_ACL_UNSAFE, 0, create_done, NULL);
	if (rc != ZOK)
		die(path, rc);
}

static int cmd_populate(zhandle_t *h, char **av)
{
	const char *root = av[0];
	int ndirs = atoi(av[1]), nper = atoi(av[2]), size = atoi(av[3]);
	char *buf = payload(size), path[1024];
	double t0 = now_ms();
	int d, f;

	acreate(h, root, NULL, -1);
	for (d = 0; d < ndirs; d++) {
		snprintf(path, sizeof(path), "%s/d%03d", root, d);
		acreate(h, path, NULL, -1);
	}
	for (d = 0; d < (ndirs > 0 ? ndirs : 1); d++)
		for (f = 0; f < nper; f++) {
			file_path(path, sizeof(path), root, ndirs, d, f);
			acreate(h, path, buf, size);
		}
	wait_all();
	printf("%.3f\n", now_ms() - t0);
	free(buf);
	return 0;
}

static int cmd_get(zhandle_t *h, char **av)
{
	const char *root = av[0];
	int ndirs = atoi(av[1]), nper = atoi(av[2]);
	char path[1024], buf[4096];
	double t0 = now_ms();
	int d, f, rc, len;

	for (d = 0; d < (ndirs > 0 ? ndirs : 1); d++)
		for (f = 0; f < nper; f++) {
			file_path(path, sizeof(path), root, ndirs, d, f);
			len = sizeof(buf);
			rc = zoo_get(h, path, 0, buf, &len, NULL);
			if (rc != ZOK)
				die(path, rc);
		}
	printf("%.3f\n", now_ms() - t0);
	return 0;
}

static int cmd_lsl(zhandle_t *h, char **av)
{
	const char *dir = av[0];
	struct String_vector kids = { 0 };
	char path[1024];
	double t0 = now_ms();
	int rc, i;

	rc = zoo_get_children(h, dir, 0, &kids);
	if (rc != ZOK)
		die(dir, rc);
	for (i = 0; i < kids.count; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, kids.data[i]);
		begin_call(1L << 30);
		rc = zoo_aexists(h, path, 0, stat_done, NULL);
		if (rc != ZOK)
			die(path, rc);
	}
	wait_all();
	printf("%.3f\n", now_ms() - t0);
	deallocate_String_vector(&kids);
	return 0;
}

static int cmd_count(zhandle_t *h, char **av)
{
	struct String_vector kids = { 0 };
	int rc = zoo_get_children(h, av[0], 0, &kids);

	if (rc != ZOK)
		die(av[0], rc);
	printf("%d\n", kids.count);
	deallocate_String_vector(&kids);
	return 0;
}

static int cmd_create(zhandle_t *h, char **av)
{
	const char *dir = av[0];
	int n = atoi(av[1]), size = atoi(av[2]), i, rc;
	char *buf = payload(size), path[1024];
	double t0 = now_ms();

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/n%05d", dir, i);
		rc = zoo_create(h, path, buf, size, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
		if (rc != ZOK)
			die(path, rc);
	}
	printf("%.3f\n", now_ms() - t0);
	free(buf);
	return 0;
}

/* walk: each completion issues the calls for its children (from the
 * completion thread: async calls only queue, they never wait). */
static zhandle_t *walk_h;
static long walk_nodes;

static void walk_node(const char *path);

static void walk_done(int rc, const struct String_vector *kids, const struct Stat *st,
		      const void *data)
{
	char *path = (char *)data, child[1024];
	int i;

	(void)st;
	if (rc == ZOK) {
		for (i = 0; i < kids->count; i++) {
			snprintf(child, sizeof(child), "%s%s%s", path,
				 strcmp(path, "/") ? "/" : "", kids->data[i]);
			walk_node(child);
		}
		pthread_mutex_lock(&mu);
		walk_nodes++;
		pthread_mutex_unlock(&mu);
	}
	free(path);
	end_call(rc);
}

static void walk_node(const char *path)
{
	char *p = strdup(path);
	int rc;

	if (!p)
		die("strdup", 0);
	pthread_mutex_lock(&mu);
	outstanding++;
	pthread_mutex_unlock(&mu);
	rc = zoo_aget_children2(walk_h, p, 0, walk_done, p);
	if (rc != ZOK)
		die(path, rc);
}

static int cmd_walk(zhandle_t *h, char **av)
{
	double t0 = now_ms();

	walk_h = h;
	walk_node(av[0]);
	wait_all();
	printf("%.3f %ld\n", now_ms() - t0, walk_nodes);
	return 0;
}

/* latency */
static int watch_fired;

static void data_watcher(zhandle_t *h, int type, int state, const char *path, void *ctx)
{
	(void)h; (void)state; (void)path; (void)ctx;
	if (type == ZOO_CHANGED_EVENT || type == ZOO_DELETED_EVENT) {
		pthread_mutex_lock(&mu);
		watch_fired = 1;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return (int)n;
}

static int cmd_latency(zhandle_t *h, const char *hosts, int ac, char **av)
{
	const char *path = av[0], *mntfile = ac > 2 ? av[2] : NULL;
	int n = atoi(av[1]), i, rc, len;
	double *lat = calloc(n, sizeof(double));
	zhandle_t *w = mntfile ? NULL : connect_zk(hosts);
	char val[64], got[4096];
	struct timespec pause = { 0, 20 * 1000 * 1000 };

	if (!lat)
		die("calloc", 0);
	for (i = 0; i < n; i++) {
		snprintf(val, sizeof(val), "value %d of %d %ld\n", i, n, (long)getpid());
		if (w) {
			len = sizeof(got);
			pthread_mutex_lock(&mu);
			watch_fired = 0;
			pthread_mutex_unlock(&mu);
			rc = zoo_wget(w, path, data_watcher, NULL, got, &len, NULL);
			if (rc != ZOK)
				die(path, rc);
		} else if (i == 0 && read_file(mntfile, got, sizeof(got)) < 0) {
			die(mntfile, 0);   /* (later rounds: the mount shows the last value) */
		}
		double t0 = now_ms();

		rc = zoo_set(h, path, val, (int)strlen(val), -1);
		if (rc != ZOK)
			die(path, rc);
		if (w) {
			pthread_mutex_lock(&mu);
			while (!watch_fired)
				pthread_cond_wait(&cv, &mu);
			pthread_mutex_unlock(&mu);
			len = sizeof(got) - 1;
			rc = zoo_get(w, path, 0, got, &len, NULL);
			if (rc != ZOK)
				die(path, rc);
			got[len > 0 ? len : 0] = 0;
			if (strcmp(got, val) != 0) {
				fprintf(stderr, "zkbench: watcher read '%s'\n", got);
				exit(2);
			}
		} else {
			for (;;) {
				if (read_file(mntfile, got, sizeof(got)) >= 0 && strcmp(got, val) == 0)
					break;
				if (now_ms() - t0 > 10000) {
					fprintf(stderr, "zkbench: %s still reads '%s' 10 s after the set\n",
						mntfile, got);
					exit(2);
				}
			}
		}
		lat[i] = now_ms() - t0;
		nanosleep(&pause, NULL);    /* let the daemon settle between changes */
	}
	qsort(lat, n, sizeof(double), cmp_double);
	printf("%.3f %.3f\n", lat[(n - 1) / 2], lat[(int)(0.99 * (n - 1) + 0.5)]);
	if (w)
		zookeeper_close(w);
	free(lat);
	return 0;
}

static int cmd_writefiles(char **av)
{
	const char *dir = av[0];
	int n = atoi(av[1]), size = atoi(av[2]), i, fd;
	char *buf = payload(size), path[1024];
	double t0 = now_ms();

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/w%05d", dir, i);
		fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
		if (fd < 0)
			die(path, 0);
		if (write(fd, buf, size) != size)
			die(path, 0);
		if (close(fd) != 0)
			die(path, 0);
	}
	printf("%.3f\n", now_ms() - t0);
	free(buf);
	return 0;
}

/* inotify: remote set until IN_CLOSE_WRITE reaches a watcher of the file */
static int cmd_inotify(zhandle_t *h, char **av)
{
	const char *path = av[0], *mntfile = av[2];
	int n = atoi(av[1]), fd = inotify_init1(IN_CLOEXEC), i, rc;
	double *lat = calloc(n, sizeof(double));
	char val[64], got[4096];
	char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct timespec pause = { 0, 20 * 1000 * 1000 };

	if (!lat || fd < 0)
		die("inotify", 0);
	if (inotify_add_watch(fd, mntfile, IN_CLOSE_WRITE) < 0)
		die(mntfile, 0);
	if (read_file(mntfile, got, sizeof(got)) < 0)    /* known to the kernel */
		die(mntfile, 0);
	for (i = 0; i < n; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		bool fired = false;

		snprintf(val, sizeof(val), "inotify %d of %d %ld\n", i, n, (long)getpid());
		double t0 = now_ms();

		rc = zoo_set(h, path, val, (int)strlen(val), -1);
		if (rc != ZOK)
			die(path, rc);
		while (!fired) {
			if (poll(&p, 1, 10000) != 1) {
				fprintf(stderr, "zkbench: no IN_CLOSE_WRITE on %s 10 s after the set\n",
					mntfile);
				exit(2);
			}
			ssize_t len = read(fd, ev, sizeof(ev));

			for (char *q = ev; len > 0 && q < ev + len;) {
				struct inotify_event *e = (struct inotify_event *)q;

				fired |= (e->mask & IN_CLOSE_WRITE) != 0;
				q += sizeof(*e) + e->len;
			}
		}
		lat[i] = now_ms() - t0;
		if (read_file(mntfile, got, sizeof(got)) < 0 || strcmp(got, val) != 0) {
			fprintf(stderr, "zkbench: after IN_CLOSE_WRITE %s reads '%s'\n", mntfile, got);
			exit(2);
		}
		nanosleep(&pause, NULL);
	}
	qsort(lat, n, sizeof(double), cmp_double);
	printf("%.3f %.3f\n", lat[(n - 1) / 2], lat[(int)(0.99 * (n - 1) + 0.5)]);
	close(fd);
	free(lat);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: zkbench -s HOST:PORT populate|get|lsl|create|walk|count|latency|inotify ARGS\n"
			"       zkbench writefiles DIR N SIZE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *hosts = NULL;
	zhandle_t *h;
	int rc;

	if (argc > 2 && strcmp(argv[1], "-s") == 0) {
		hosts = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		usage();
	const char *cmd = argv[1];
	char **av = argv + 2;
	int ac = argc - 2;

	if (strcmp(cmd, "writefiles") == 0 && ac == 3)
		return cmd_writefiles(av);
	if (!hosts)
		usage();
	zoo_set_debug_level(getenv("ZKBENCH_DEBUG") ? ZOO_LOG_LEVEL_DEBUG : ZOO_LOG_LEVEL_ERROR);
	if (!getenv("ZKBENCH_DEBUG"))
		zoo_set_log_stream(fopen("/dev/null", "w"));
	h = connect_zk(hosts);
	if (strcmp(cmd, "populate") == 0 && ac == 4)
		rc = cmd_populate(h, av);
	else if (strcmp(cmd, "get") == 0 && ac == 3)
		rc = cmd_get(h, av);
	else if (strcmp(cmd, "lsl") == 0 && ac == 1)
		rc = cmd_lsl(h, av);
	else if (strcmp(cmd, "create") == 0 && ac == 3)
		rc = cmd_create(h, av);
	else if (strcmp(cmd, "walk") == 0 && ac == 1)
		rc = cmd_walk(h, av);
	else if (strcmp(cmd, "count") == 0 && ac == 1)
		rc = cmd_count(h, av);
	else if (strcmp(cmd, "latency") == 0 && (ac == 2 || ac == 3))
		rc = cmd_latency(h, hosts, ac, av);
	else if (strcmp(cmd, "inotify") == 0 && ac == 3)
		rc = cmd_inotify(h, av);
	else
		usage();
	zookeeper_close(h);
	return rc;
}
