/*
 * zkctl — ground truth for the integration tests: acts on and inspects
 * ZooKeeper directly through the C client, never through the mount.
 *
 *   zkctl -s HOST:PORT [-t timeout_sec] [-a SCHEME:CREDENTIAL] CMD ARGS
 *
 *   -a adds credentials to the session (e.g. -a digest:alice:secret), and
 *   makes `create` give the znode the creator's ACL (auth::cdrwa) instead of
 *   world:anyone:cdrwa.
 *
 *   create PATH [DATA]        persistent znode; no DATA: empty (0-byte) data
 *   create-null PATH          persistent znode whose value is NULL (length -1)
 *   create-eph PATH [DATA] [-- hold]
 *                             ephemeral znode; prints "ready" once created and
 *                             keeps the session open until stdin reaches EOF or
 *                             SIGTERM/SIGINT/SIGHUP arrives, then closes it
 *   set PATH DATA             set data (any version)
 *   set-file PATH FILE        set data from FILE (up to 1 MiB)
 *   get PATH                  the exact bytes to stdout (a NULL value: nothing)
 *   stat PATH                 key=value lines
 *   ls PATH                   children, one per line, sorted (strcmp)
 *   exists PATH               exit 0 if it exists, 1 if not
 *   rm PATH                   delete (any version)
 *   rmr PATH                  delete recursively
 *   mkpath PATH               create missing components (empty data)
 *   tree PATH                 PATH and every descendant, depth first, children
 *                             sorted (strcmp): one line "REL<TAB>DATA" each, REL
 *                             "." for PATH itself, else relative to PATH; DATA
 *                             escaped: \\ \n \t, other bytes outside 0x20-0x7e
 *                             as \xHH (a NULL value prints like an empty one)
 *   fill PATH COUNT [PREFIX]  create COUNT persistent children f0000.conf ...
 *                             (PREFIX0000.conf ... with PREFIX) with data
 *                             "0000\n" ..., pipelined (fast)
 *   acl PATH                  the ACL, one "scheme:id:perms" line per entry,
 *                             perms in the order rwcda
 *   setacl PATH PERMS         set the ACL to world:anyone:PERMS (letters of rwcda)
 *   setloop PATH N MAXGAP_MS  N sets of PATH, one at a time, each waited for,
 *                             with a random pause of 0..MAXGAP_MS ms after
 *                             each; value i (1..N) is self-checking:
 *                             "i:" + (i * 37 % 997 + 1) times the letter
 *                             'a' + i % 26 + ":i\n" (a cut or mixed read shows);
 *                             prints the last value's i
 *   burst DIR NFILES ROUNDS   ROUNDS rounds of sets of DIR/f0000.conf ...
 *                             (NFILES files, as `fill` names them), pipelined
 *                             (zoo_aset, up to 1000 in flight), value
 *                             "rR fFFFF\n"; waits for every completion; prints
 *                             "sets S ms T" (T: first request to last answer)
 *
 * Exit: 0 success; 1 ZNONODE on exists/get; 2 any other error, with
 * "zkctl: PATH: ZERRORNAME" on stderr. The C client's log is off unless
 * $ZKCTL_DEBUG is set.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <zookeeper/zookeeper.h>

#define MAX_FILE (1024 * 1024)

static zhandle_t *zh;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int zstate_now; /* last session state seen, under mu */

static const char *errname(int rc)
{
	switch (rc) {
	case ZOK: return "ZOK";
	case ZSYSTEMERROR: return "ZSYSTEMERROR";
	case ZRUNTIMEINCONSISTENCY: return "ZRUNTIMEINCONSISTENCY";
	case ZDATAINCONSISTENCY: return "ZDATAINCONSISTENCY";
	case ZCONNECTIONLOSS: return "ZCONNECTIONLOSS";
	case ZMARSHALLINGERROR: return "ZMARSHALLINGERROR";
	case ZUNIMPLEMENTED: return "ZUNIMPLEMENTED";
	case ZOPERATIONTIMEOUT: return "ZOPERATIONTIMEOUT";
	case ZBADARGUMENTS: return "ZBADARGUMENTS";
	case ZINVALIDSTATE: return "ZINVALIDSTATE";
	case ZNEWCONFIGNOQUORUM: return "ZNEWCONFIGNOQUORUM";
	case ZRECONFIGINPROGRESS: return "ZRECONFIGINPROGRESS";
	case ZSSLCONNECTIONERROR: return "ZSSLCONNECTIONERROR";
	case ZAPIERROR: return "ZAPIERROR";
	case ZNONODE: return "ZNONODE";
	case ZNOAUTH: return "ZNOAUTH";
	case ZBADVERSION: return "ZBADVERSION";
	case ZNOCHILDRENFOREPHEMERALS: return "ZNOCHILDRENFOREPHEMERALS";
	case ZNODEEXISTS: return "ZNODEEXISTS";
	case ZNOTEMPTY: return "ZNOTEMPTY";
	case ZSESSIONEXPIRED: return "ZSESSIONEXPIRED";
	case ZINVALIDCALLBACK: return "ZINVALIDCALLBACK";
	case ZINVALIDACL: return "ZINVALIDACL";
	case ZAUTHFAILED: return "ZAUTHFAILED";
	case ZCLOSING: return "ZCLOSING";
	case ZNOTHING: return "ZNOTHING";
	case ZSESSIONMOVED: return "ZSESSIONMOVED";
	case ZNOTREADONLY: return "ZNOTREADONLY";
	case ZEPHEMERALONLOCALSESSION: return "ZEPHEMERALONLOCALSESSION";
	case ZNOWATCHER: return "ZNOWATCHER";
	case ZRECONFIGDISABLED: return "ZRECONFIGDISABLED";
	case ZSESSIONCLOSEDREQUIRESASLAUTH: return "ZSESSIONCLOSEDREQUIRESASLAUTH";
	case ZTHROTTLEDOP: return "ZTHROTTLEDOP";
	default: return "ZUNKNOWN";
	}
}

/* Report a ZooKeeper error and return the exit code for it. */
static int zfail(const char *what, int rc, int nonode_code)
{
	fprintf(stderr, "zkctl: %s: %s\n", what, errname(rc));
	return rc == ZNONODE ? nonode_code : 2;
}

static int sysfail(const char *what)
{
	fprintf(stderr, "zkctl: %s: %s\n", what, strerror(errno));
	return 2;
}

static void watcher(zhandle_t *h, int type, int state, const char *path, void *ctx)
{
	(void)h; (void)path; (void)ctx;
	if (type != ZOO_SESSION_EVENT)
		return;
	pthread_mutex_lock(&mu);
	zstate_now = state;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* Open a session and wait until it is connected, at most timeout_s. */
static int connect_zk(const char *hosts, int timeout_s)
{
	/* The client's own log stays off (stderr carries only zkctl's one line)
	 * unless $ZKCTL_DEBUG is set. */
	zoo_set_debug_level(getenv("ZKCTL_DEBUG") ? ZOO_LOG_LEVEL_DEBUG : (ZooLogLevel)0);
	zh = zookeeper_init(hosts, watcher, timeout_s * 1000, NULL, NULL, 0);
	if (!zh)
		return sysfail(hosts);
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_s;
	int rc = 0;
	pthread_mutex_lock(&mu);
	while (zstate_now != ZOO_CONNECTED_STATE && rc == 0) {
		if (zstate_now == ZOO_EXPIRED_SESSION_STATE ||
		    zstate_now == ZOO_AUTH_FAILED_STATE)
			break;
		rc = pthread_cond_timedwait(&cv, &mu, &dl);
	}
	int ok = zstate_now == ZOO_CONNECTED_STATE;
	pthread_mutex_unlock(&mu);
	if (!ok) {
		fprintf(stderr, "zkctl: %s: %s (not connected within %d s)\n", hosts,
			errname(ZCONNECTIONLOSS), timeout_s);
		return 2;
	}
	return 0;
}

static const struct ACL_vector *create_acl = &ZOO_OPEN_ACL_UNSAFE;

static int do_create(const char *path, const char *data, int len, int flags)
{
	int rc = zoo_create(zh, path, data, len, create_acl, flags, NULL, 0);
	return rc == ZOK ? 0 : zfail(path, rc, 2);
}

static int do_set(const char *path, const char *data, int len)
{
	int rc = zoo_set(zh, path, data, len, -1);
	return rc == ZOK ? 0 : zfail(path, rc, 2);
}

static int do_set_file(const char *path, const char *file)
{
	FILE *f = fopen(file, "rb");
	if (!f)
		return sysfail(file);
	char *buf = malloc(MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		return sysfail("malloc");
	}
	size_t n = fread(buf, 1, MAX_FILE + 1, f);
	int err = ferror(f);
	fclose(f);
	if (err || n > MAX_FILE) {
		fprintf(stderr, "zkctl: %s: %s\n", file, err ? "read error" : "larger than 1 MiB");
		free(buf);
		return 2;
	}
	int r = do_set(path, buf, (int)n);
	free(buf);
	return r;
}

static int write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return sysfail("stdout");
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read the value of PATH into a malloc'd *bufp of *lenp bytes (0 for a NULL
 * value). 0, or the exit code after reporting the error (ZNONODE gives
 * nonode_code). */
static int fetch(const char *path, char **bufp, int *lenp, int nonode_code)
{
	struct Stat st;
	for (int attempt = 0; attempt < 10; attempt++) {
		int rc = zoo_exists(zh, path, 0, &st);
		if (rc != ZOK)
			return zfail(path, rc, nonode_code);
		int cap = st.dataLength + 1;
		char *buf = malloc((size_t)cap);
		if (!buf)
			return sysfail("malloc");
		int len = cap;
		rc = zoo_get(zh, path, 0, buf, &len, &st);
		if (rc != ZOK) {
			free(buf);
			return zfail(path, rc, nonode_code);
		}
		if (st.dataLength >= cap) { /* grew between the two calls */
			free(buf);
			continue;
		}
		*bufp = buf;
		*lenp = len > 0 ? len : 0;
		return 0;
	}
	fprintf(stderr, "zkctl: %s: value keeps changing\n", path);
	return 2;
}

static int do_get(const char *path)
{
	char *buf;
	int len;
	int r = fetch(path, &buf, &len, 1);
	if (r != 0)
		return r;
	r = len > 0 ? write_all(buf, (size_t)len) : 0;
	free(buf);
	return r;
}

static int do_stat(const char *path)
{
	struct Stat st;
	int rc = zoo_exists(zh, path, 0, &st);
	if (rc != ZOK)
		return zfail(path, rc, 2);
	printf("czxid=%lld\nmzxid=%lld\npzxid=%lld\nctime=%lld\nmtime=%lld\n"
	       "version=%d\ncversion=%d\naversion=%d\nephemeralOwner=%lld\n"
	       "dataLength=%d\nnumChildren=%d\n",
	       (long long)st.czxid, (long long)st.mzxid, (long long)st.pzxid,
	       (long long)st.ctime, (long long)st.mtime, st.version, st.cversion,
	       st.aversion, (long long)st.ephemeralOwner, st.dataLength, st.numChildren);
	return fflush(stdout) == 0 ? 0 : sysfail("stdout");
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int do_ls(const char *path)
{
	struct String_vector v = {0, NULL};
	int rc = zoo_get_children(zh, path, 0, &v);
	if (rc != ZOK)
		return zfail(path, rc, 2);
	qsort(v.data, (size_t)v.count, sizeof(char *), cmpstr);
	for (int i = 0; i < v.count; i++)
		printf("%s\n", v.data[i]);
	deallocate_String_vector(&v);
	return fflush(stdout) == 0 ? 0 : sysfail("stdout");
}

static char *child_path(const char *parent, const char *name)
{
	size_t lp = strlen(parent), ln = strlen(name);
	char *p = malloc(lp + ln + 2);
	if (!p)
		return NULL;
	memcpy(p, parent, lp);
	size_t o = lp;
	if (lp == 0 || parent[lp - 1] != '/')
		p[o++] = '/';
	memcpy(p + o, name, ln + 1);
	return p;
}

static int do_rmr(const char *path)
{
	struct String_vector v = {0, NULL};
	int rc = zoo_get_children(zh, path, 0, &v);
	if (rc != ZOK)
		return zfail(path, rc, 2);
	int r = 0;
	for (int i = 0; i < v.count && r == 0; i++) {
		char *c = child_path(path, v.data[i]);
		if (!c) {
			r = sysfail("malloc");
			break;
		}
		r = do_rmr(c);
		free(c);
	}
	deallocate_String_vector(&v);
	if (r != 0 || strcmp(path, "/") == 0)
		return r;
	rc = zoo_delete(zh, path, -1);
	return rc == ZOK || rc == ZNONODE ? 0 : zfail(path, rc, 2);
}

static int do_mkpath(const char *path)
{
	size_t n = strlen(path);
	char *p = strdup(path);
	if (!p)
		return sysfail("malloc");
	for (size_t i = 1; i <= n; i++) {
		if ((i < n && p[i] != '/') || p[i - 1] == '/')
			continue; /* not at a component's end, or an empty one */
		char save = p[i];
		p[i] = '\0';
		int rc = zoo_create(zh, p, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
		if (rc != ZOK && rc != ZNODEEXISTS) {
			int r = zfail(p, rc, 2);
			free(p);
			return r;
		}
		p[i] = save;
	}
	free(p);
	return 0;
}

static void put_escaped(const char *p, int len)
{
	for (int i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\\')
			fputs("\\\\", stdout);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c > 0x7e)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

/* One "REL<TAB>DATA" line for PATH, then its children's, depth first. */
static int tree_at(const char *path, const char *rel)
{
	char *buf;
	int len;
	int r = fetch(path, &buf, &len, 2);
	if (r != 0)
		return r;
	printf("%s\t", rel);
	put_escaped(buf, len);
	putchar('\n');
	free(buf);

	struct String_vector v = {0, NULL};
	int rc = zoo_get_children(zh, path, 0, &v);
	if (rc != ZOK)
		return zfail(path, rc, 2);
	qsort(v.data, (size_t)v.count, sizeof(char *), cmpstr);
	for (int i = 0; i < v.count && r == 0; i++) {
		char *c = child_path(path, v.data[i]);
		char *crel = strcmp(rel, ".") == 0 ? strdup(v.data[i]) : child_path(rel, v.data[i]);
		if (!c || !crel)
			r = sysfail("malloc");
		else
			r = tree_at(c, crel);
		free(c);
		free(crel);
	}
	deallocate_String_vector(&v);
	return r;
}

static int do_tree(const char *path)
{
	int r = tree_at(path, ".");
	if (fflush(stdout) != 0 && r == 0)
		r = sysfail("stdout");
	return r;
}

/* fill: creates in flight and the first error, under mu */
static int fill_pending, fill_err = ZOK;

static void fill_done(int rc, const char *value, const void *data)
{
	(void)value; (void)data;
	pthread_mutex_lock(&mu);
	if (rc != ZOK && fill_err == ZOK)
		fill_err = rc;
	fill_pending--;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* Wait until at most `most` creates are in flight; 0, or -1 after 60 s. */
static int fill_wait(int most)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 60;
	int rc = 0;
	pthread_mutex_lock(&mu);
	while (fill_pending > most && rc == 0)
		rc = pthread_cond_timedwait(&cv, &mu, &dl);
	pthread_mutex_unlock(&mu);
	return rc == 0 ? 0 : -1;
}

static int do_fill(const char *parent, const char *count_s, const char *prefix)
{
	char *end;
	long count = strtol(count_s, &end, 10);
	if (*end || count < 0 || count > 100000) {
		fprintf(stderr, "zkctl: fill: bad COUNT %s\n", count_s);
		return 2;
	}
	size_t lp = strlen(parent) + strlen(prefix);
	char *path = malloc(lp + 32);
	if (!path)
		return sysfail("malloc");
	int rc = ZOK;
	for (long i = 0; i < count && rc == ZOK; i++) {
		char data[16];
		snprintf(path, lp + 32, "%s/%s%04ld.conf", parent, prefix, i);
		int len = snprintf(data, sizeof data, "%04ld\n", i);
		if (fill_wait(256) != 0) {
			rc = ZOPERATIONTIMEOUT;
			break;
		}
		pthread_mutex_lock(&mu);
		fill_pending++;
		pthread_mutex_unlock(&mu);
		rc = zoo_acreate(zh, path, data, len, &ZOO_OPEN_ACL_UNSAFE, 0, fill_done, NULL);
		if (rc != ZOK) {
			pthread_mutex_lock(&mu);
			fill_pending--;
			pthread_mutex_unlock(&mu);
		}
	}
	if (fill_wait(0) != 0 && rc == ZOK)
		rc = ZOPERATIONTIMEOUT;
	pthread_mutex_lock(&mu);
	if (rc == ZOK)
		rc = fill_err;
	pthread_mutex_unlock(&mu);
	free(path);
	return rc == ZOK ? 0 : zfail(parent, rc, 2);
}

/* setloop's value number i: "i:" + a body whose length and letter depend on
 * i + ":i\n" (the reloader of test_inotify checks it). */
static int loop_value(char *buf, size_t cap, long i)
{
	int body = (int)(i * 37 % 997 + 1);
	int n = snprintf(buf, cap, "%ld:", i);

	if (n < 0 || (size_t)n + (size_t)body + 32 > cap)
		return -1;
	memset(buf + n, 'a' + (int)(i % 26), (size_t)body);
	n += body;
	n += snprintf(buf + n, cap - (size_t)n, ":%ld\n", i);
	return n;
}

static int do_setloop(const char *path, const char *n_s, const char *gap_s)
{
	char *end;
	long n = strtol(n_s, &end, 10);
	long gap;
	if (*end || n < 1 || n > 1000000 || !gap_s ||
	    (gap = strtol(gap_s, &end, 10), *end) || gap < 0 || gap > 10000) {
		fprintf(stderr, "zkctl: setloop: bad N or MAXGAP_MS\n");
		return 2;
	}
	char buf[1100];
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	for (long i = 1; i <= n; i++) {
		int len = loop_value(buf, sizeof buf, i);
		int rc = zoo_set(zh, path, buf, len, -1);
		if (rc != ZOK)
			return zfail(path, rc, 2);
		/* a deliberate spacing between the sets, not a synchronisation */
		long us = gap ? random() % (gap * 1000 + 1) : 0;
		struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
		while (us && nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	printf("%ld\n", n);
	return fflush(stdout) == 0 ? 0 : sysfail("stdout");
}

static void burst_done(int rc, const struct Stat *st, const void *data)
{
	(void)st;
	fill_done(rc, NULL, data);
}

static int do_burst(const char *dir, const char *nfiles_s, const char *rounds_s)
{
	char *end;
	long nfiles = strtol(nfiles_s, &end, 10);
	long rounds;
	if (*end || nfiles < 1 || nfiles > 100000 || !rounds_s ||
	    (rounds = strtol(rounds_s, &end, 10), *end) || rounds < 1 || rounds > 10000) {
		fprintf(stderr, "zkctl: burst: bad NFILES or ROUNDS\n");
		return 2;
	}
	size_t lp = strlen(dir);
	char *path = malloc(lp + 32);
	if (!path)
		return sysfail("malloc");
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = ZOK;
	long sent = 0;
	for (long r = 0; r < rounds && rc == ZOK; r++) {
		for (long f = 0; f < nfiles && rc == ZOK; f++) {
			char data[32];
			snprintf(path, lp + 32, "%s/f%04ld.conf", dir, f);
			int len = snprintf(data, sizeof data, "r%ld f%04ld\n", r, f);
			if (fill_wait(1000) != 0) {
				rc = ZOPERATIONTIMEOUT;
				break;
			}
			pthread_mutex_lock(&mu);
			fill_pending++;
			pthread_mutex_unlock(&mu);
			rc = zoo_aset(zh, path, data, len, -1, burst_done, NULL);
			if (rc != ZOK) {
				pthread_mutex_lock(&mu);
				fill_pending--;
				pthread_mutex_unlock(&mu);
			} else {
				sent++;
			}
		}
	}
	if (fill_wait(0) != 0 && rc == ZOK)
		rc = ZOPERATIONTIMEOUT;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_mutex_lock(&mu);
	if (rc == ZOK)
		rc = fill_err;
	pthread_mutex_unlock(&mu);
	free(path);
	if (rc != ZOK)
		return zfail(dir, rc, 2);
	printf("sets %ld ms %ld\n", sent,
	       (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	return fflush(stdout) == 0 ? 0 : sysfail("stdout");
}

static int do_acl(const char *path)
{
	struct ACL_vector acl = {0, NULL};
	struct Stat st;
	int rc = zoo_get_acl(zh, path, &acl, &st);
	if (rc != ZOK)
		return zfail(path, rc, 2);
	for (int i = 0; i < acl.count; i++) {
		int p = acl.data[i].perms;
		printf("%s:%s:%s%s%s%s%s\n", acl.data[i].id.scheme, acl.data[i].id.id,
		       p & ZOO_PERM_READ ? "r" : "", p & ZOO_PERM_WRITE ? "w" : "",
		       p & ZOO_PERM_CREATE ? "c" : "", p & ZOO_PERM_DELETE ? "d" : "",
		       p & ZOO_PERM_ADMIN ? "a" : "");
	}
	deallocate_ACL_vector(&acl);
	return fflush(stdout) == 0 ? 0 : sysfail("stdout");
}

static int do_setacl(const char *path, const char *perms_s)
{
	int perms = 0;
	for (const char *p = perms_s; *p; p++) {
		switch (*p) {
		case 'r': perms |= ZOO_PERM_READ; break;
		case 'w': perms |= ZOO_PERM_WRITE; break;
		case 'c': perms |= ZOO_PERM_CREATE; break;
		case 'd': perms |= ZOO_PERM_DELETE; break;
		case 'a': perms |= ZOO_PERM_ADMIN; break;
		default:
			fprintf(stderr, "zkctl: setacl: bad PERMS %s (letters of rwcda)\n", perms_s);
			return 2;
		}
	}
	char scheme[] = "world", id[] = "anyone";
	struct ACL entry = {perms, {scheme, id}};
	struct ACL_vector v = {1, &entry};
	int rc = zoo_set_acl(zh, path, -1, &v);
	return rc == ZOK ? 0 : zfail(path, rc, 2);
}

/* Hold an ephemeral: wait for EOF on stdin or a terminating signal. The
 * signals were blocked before the client threads started, so only this
 * signalfd sees them. */
static int hold(const sigset_t *sigs)
{
	int sfd = signalfd(-1, sigs, SFD_CLOEXEC);
	if (sfd < 0)
		return sysfail("signalfd");
	printf("ready\n");
	if (fflush(stdout) != 0)
		return sysfail("stdout");
	struct pollfd pf[2] = {{STDIN_FILENO, POLLIN, 0}, {sfd, POLLIN, 0}};
	char buf[4096];
	for (;;) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return sysfail("poll");
		}
		if (pf[1].revents)
			break;
		if (pf[0].revents) {
			ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
			if (r <= 0 && !(r < 0 && errno == EINTR))
				break;
		}
	}
	close(sfd);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: zkctl -s HOST:PORT [-t timeout_sec] CMD ARGS\n"
		"  create PATH [DATA] | create-null PATH | create-eph PATH [DATA] [-- hold]\n"
		"  set PATH DATA | set-file PATH FILE | get PATH | stat PATH | ls PATH\n"
		"  exists PATH | rm PATH | rmr PATH | mkpath PATH\n"
		"  tree PATH | fill PATH COUNT [PREFIX] | acl PATH | setacl PATH PERMS\n"
		"  setloop PATH N MAXGAP_MS | burst DIR NFILES ROUNDS\n");
}

int main(int argc, char **argv)
{
	const char *hosts = NULL, *cred = NULL;
	int timeout_s = 10, opt;
	while ((opt = getopt(argc, argv, "+s:t:a:h")) != -1) {
		switch (opt) {
		case 's': hosts = optarg; break;
		case 'a': cred = optarg; break;
		case 't': timeout_s = atoi(optarg); break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	int nargs = argc - optind;
	if (!hosts || timeout_s <= 0 || nargs < 2) {
		usage();
		return 2;
	}
	const char *cmd = argv[optind], *path = argv[optind + 1];
	const char *arg = nargs >= 3 ? argv[optind + 2] : NULL;
	const char *arg2 = nargs >= 4 ? argv[optind + 3] : NULL;
	int setter = !strcmp(cmd, "set") || !strcmp(cmd, "set-file") ||
		     !strcmp(cmd, "fill") || !strcmp(cmd, "setacl") ||
		     !strcmp(cmd, "setloop") || !strcmp(cmd, "burst");
	int maxargs = !strcmp(cmd, "fill") || !strcmp(cmd, "setloop") ||
		      !strcmp(cmd, "burst") ? 4 :
		      setter || !strcmp(cmd, "create") || !strcmp(cmd, "create-eph") ? 3 : 2;
	if (!strcmp(cmd, "create-eph")) {
		/* an optional trailing "-- hold" (it always holds) */
		for (int i = optind + 2; i < argc; i++) {
			if (!strcmp(argv[i], "--")) {
				if (i == optind + 2)
					arg = NULL;
				nargs = i - optind;
				break;
			}
		}
	}
	if (nargs > maxargs || (setter && !arg)) {
		usage();
		return 2;
	}

	/* Block the terminating signals before the client's threads start, so
	 * they inherit the mask and create-eph can take them with signalfd. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	int holding = !strcmp(cmd, "create-eph");
	if (holding)
		pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	int r = connect_zk(hosts, timeout_s);
	if (r != 0) {
		if (zh)
			zookeeper_close(zh);
		return r;
	}
	if (cred) {
		const char *colon = strchr(cred, ':');
		char scheme[64];

		if (!colon || (size_t)(colon - cred) >= sizeof(scheme)) {
			fprintf(stderr, "zkctl: -a wants SCHEME:CREDENTIAL\n");
			zookeeper_close(zh);
			return 2;
		}
		snprintf(scheme, sizeof(scheme), "%.*s", (int)(colon - cred), cred);
		/* Synchronous enough: requests on the session queue behind it. */
		int rc = zoo_add_auth(zh, scheme, colon + 1, (int)strlen(colon + 1), NULL, NULL);
		if (rc != ZOK) {
			zookeeper_close(zh);
			return zfail("auth", rc, 2);
		}
		create_acl = &ZOO_CREATOR_ALL_ACL;
	}
	if (!strcmp(cmd, "create"))
		r = do_create(path, arg ? arg : "", arg ? (int)strlen(arg) : 0, 0);
	else if (!strcmp(cmd, "create-null"))
		r = do_create(path, NULL, -1, 0);
	else if (holding) {
		r = do_create(path, arg ? arg : "", arg ? (int)strlen(arg) : 0, ZOO_EPHEMERAL);
		if (r == 0)
			r = hold(&sigs);
	} else if (!strcmp(cmd, "set"))
		r = do_set(path, arg, (int)strlen(arg));
	else if (!strcmp(cmd, "set-file"))
		r = do_set_file(path, arg);
	else if (!strcmp(cmd, "get"))
		r = do_get(path);
	else if (!strcmp(cmd, "stat"))
		r = do_stat(path);
	else if (!strcmp(cmd, "ls"))
		r = do_ls(path);
	else if (!strcmp(cmd, "exists")) {
		int rc = zoo_exists(zh, path, 0, NULL);
		r = rc == ZOK ? 0 : rc == ZNONODE ? 1 : zfail(path, rc, 1);
	} else if (!strcmp(cmd, "rm")) {
		int rc = zoo_delete(zh, path, -1);
		r = rc == ZOK ? 0 : zfail(path, rc, 2);
	} else if (!strcmp(cmd, "rmr"))
		r = do_rmr(path);
	else if (!strcmp(cmd, "mkpath"))
		r = do_mkpath(path);
	else if (!strcmp(cmd, "tree"))
		r = do_tree(path);
	else if (!strcmp(cmd, "fill"))
		r = do_fill(path, arg, arg2 ? arg2 : "f");
	else if (!strcmp(cmd, "setloop"))
		r = do_setloop(path, arg, arg2);
	else if (!strcmp(cmd, "burst"))
		r = do_burst(path, arg, arg2);
	else if (!strcmp(cmd, "acl"))
		r = do_acl(path);
	else if (!strcmp(cmd, "setacl"))
		r = do_setacl(path, arg);
	else {
		fprintf(stderr, "zkctl: unknown command %s\n", cmd);
		usage();
		r = 2;
	}
	int rc = zookeeper_close(zh);
	if (rc != ZOK && r == 0)
		r = zfail("close", rc, 2);
	return r;
}
