/*
 * readrace — readers at full speed against a file that keeps changing, for
 * test_whole_reads: every read(2) must return one whole value, never a value
 * cut short, an empty one or a mix of two (SPEC.md §5).
 *
 *   readrace FILE SECONDS local
 *       a writer thread rewrites FILE through the mount: open(O_WRONLY|O_TRUNC),
 *       write, close. (The kernel sets a file's size to 0 at such an open.)
 *   readrace FILE SECONDS remote HOSTPORT ZPATH
 *       a writer thread sets ZPATH, the znode behind FILE, with its own
 *       ZooKeeper session (zoo_set), while another thread stat(2)s FILE
 *       (each stat may give the kernel the new size).
 *
 * Either way three reader threads open FILE, fstat it, read up to 4 KiB in one
 * read(2) and close it, until SECONDS have passed. The values alternate
 * between a short and a long form, so that a long value cut to a short size (or
 * a short one read at a long size) shows:
 *     short: "value NNNNNNNN xxxxx"                       20 bytes
 *     long:  "a much longer value NNNN...(24 digits)"      44 bytes
 * FILE must hold one of them at the start.
 *
 * Prints "reads R changes C bad B" and up to 5 bad reads on stderr. A failed
 * open, write or zoo_set counts as bad and stops every thread at once (the
 * mount may be gone). Exit 0 when B is 0, R at least 100 and C at least 10
 * (the readers and the writer overlapped); 1 otherwise; 2 on usage or setup
 * errors.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zookeeper/zookeeper.h>

#define READERS 3
#define SHORT_LEN 20
#define LONG_LEN 44

struct race {
	const char *file;
	const char *zpath;
	zhandle_t *zh;
	time_t end;
	int (*set)(struct race *r, const char *v, int len);   /* the writer's change */
	long reads, changes, bad;   /* atomics */
	int broken;                 /* atomic: a call failed (the mount is gone?) */
};

static bool done(const struct race *r)
{
	return time(NULL) >= r->end || __atomic_load_n(&r->broken, __ATOMIC_RELAXED);
}

/* A failed call: counted as bad, reported once (perror of `what`, unless
 * NULL: reported already), and every thread stops. */
static void broke(struct race *r, const char *what)
{
	__atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
	if (__atomic_exchange_n(&r->broken, 1, __ATOMIC_RELAXED) == 0 && what)
		perror(what);
}

static int value(long i, char *v, size_t cap)
{
	if (i % 2)
		return snprintf(v, cap, "a much longer value %024ld", i);
	return snprintf(v, cap, "value %08ld xxxxx", i);
}

static bool digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

static bool whole(const char *b, ssize_t n)
{
	if (n == SHORT_LEN)
		return memcmp(b, "value ", 6) == 0 && digits(b + 6, 8) &&
		       memcmp(b + 14, " xxxxx", 6) == 0;
	if (n == LONG_LEN)
		return memcmp(b, "a much longer value ", 20) == 0 && digits(b + 20, 24);
	return false;
}

static void *reader(void *arg)
{
	struct race *r = arg;
	char buf[4096];
	struct stat st;

	while (!done(r)) {
		int fd = open(r->file, O_RDONLY);
		ssize_t n;

		if (fd < 0) {
			broke(r, "readrace: open");
			break;
		}
		fstat(fd, &st);
		n = read(fd, buf, sizeof(buf));
		close(fd);
		__atomic_add_fetch(&r->reads, 1, __ATOMIC_RELAXED);
		if (!whole(buf, n) &&
		    __atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED) <= 5)
			fprintf(stderr, "readrace: bad read: %zd bytes: \"%.*s\"\n", n,
				n > 0 ? (int)n : 0, buf);
	}
	return NULL;
}

/* Rewrite FILE through the mount: open(O_TRUNC), write, close. 0 or -1. */
static int set_local(struct race *r, const char *v, int len)
{
	int fd = open(r->file, O_WRONLY | O_TRUNC);

	if (fd < 0 || write(fd, v, (size_t)len) != len || close(fd) != 0) {
		perror("readrace: write");
		return -1;
	}
	return 0;
}

/* Set ZPATH with our own session. 0 or -1. */
static int set_remote(struct race *r, const char *v, int len)
{
	int rc = zoo_set(r->zh, r->zpath, v, len, -1);

	if (rc != ZOK) {
		fprintf(stderr, "readrace: zoo_set %s: %s\n", r->zpath, zerror(rc));
		return -1;
	}
	return 0;
}

/* The writer: the values in turn, each by r->set, until done or a failure. */
static void *writer(void *arg)
{
	struct race *r = arg;
	char v[64];

	for (long i = 1; !done(r); i++) {
		if (r->set(r, v, value(i, v, sizeof(v))) != 0) {
			broke(r, NULL);
			break;
		}
		__atomic_add_fetch(&r->changes, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *statter(void *arg)
{
	struct race *r = arg;
	struct stat st;

	while (!done(r))
		stat(r->file, &st);
	return NULL;
}

static zhandle_t *connect_zk(const char *hostport)
{
	zhandle_t *zh;

	zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
	zh = zookeeper_init(hostport, NULL, 10000, NULL, NULL, 0);
	for (int i = 0; zh && i < 1000 && zoo_state(zh) != ZOO_CONNECTED_STATE; i++)
		usleep(10000);
	if (!zh || zoo_state(zh) != ZOO_CONNECTED_STATE) {
		fprintf(stderr, "readrace: cannot connect to %s\n", hostport);
		return NULL;
	}
	return zh;
}

int main(int argc, char **argv)
{
	struct race r = { 0 };
	pthread_t t[READERS + 2];
	int nt = 0;
	bool remote = argc == 6 && strcmp(argv[3], "remote") == 0;

	if (!remote && !(argc == 4 && strcmp(argv[3], "local") == 0)) {
		fprintf(stderr, "usage: readrace FILE SECONDS local\n"
				"       readrace FILE SECONDS remote HOSTPORT ZPATH\n");
		return 2;
	}
	r.file = argv[1];
	r.end = time(NULL) + atoi(argv[2]);
	if (remote) {
		r.zpath = argv[5];
		if (!(r.zh = connect_zk(argv[4])))
			return 2;
		r.set = set_remote;
		pthread_create(&t[nt++], NULL, statter, &r);
	} else {
		r.set = set_local;
	}
	pthread_create(&t[nt++], NULL, writer, &r);
	for (int i = 0; i < READERS; i++)
		pthread_create(&t[nt++], NULL, reader, &r);
	for (int i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	if (r.zh)
		zookeeper_close(r.zh);
	printf("reads %ld changes %ld bad %ld\n", r.reads, r.changes, r.bad);
	return r.bad == 0 && r.reads >= 100 && r.changes >= 10 ? 0 : 1;
}
