/*
 * test_notify — the notify thread (notify.h) without a kernel: notices reach
 * the kernel in the order they were queued, with their own copy of an entry's
 * name, also when queued before the thread starts; notify_sync waits for
 * every notice queued before it, gives up after NOTIFY_SYNC_SEC, does not
 * wait before notify_start or after notify_stop, and is woken by
 * notify_stop; the errors of a kernel that forgot an inode or is unmounting
 * are not logged, others are; a `.state` touch changes MNT/.state's times,
 * and touches asked while the thread is busy make one; notices left at
 * notify_stop are dropped; many threads may queue at once.
 *
 * The kernel side is faked: this file defines the two libfuse calls that
 * notify.c makes (the test links no libfuse), and the "session" passed to
 * notify_start is a struct kernel that records each call, answers with
 * `answer`, and can hold a call in flight (the thread is then busy) until
 * released. The mount point is a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

/* ---- the faked kernel ---- */

struct call {
	enum notice_kind kind;
	fuse_ino_t ino, parent;    /* ino: INVAL_INODE; parent: INVAL_ENTRY */
	off_t off, len;            /* INVAL_INODE */
	char name[64];             /* INVAL_ENTRY */
	size_t namelen;
};

struct kernel {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct call *calls;        /* mu: ncalls of them */
	size_t ncalls, cap;
	int answer;                /* mu: what each call returns (0 or -errno) */
	bool hold;                 /* mu: a call waits while set */
	bool holding;              /* mu: a call is waiting in hold */
};

static struct kernel *kernel_of(struct fuse_session *se)
{
	return (struct kernel *)(void *)se;
}

static struct fuse_session *session_of(struct kernel *k)
{
	return (struct fuse_session *)(void *)k;
}

/* Record a call and answer it, once no hold keeps it in flight. */
static int kernel_call(struct kernel *k, const struct call *c)
{
	int answer;

	pthread_mutex_lock(&k->mu);
	if (k->ncalls == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 64;
		k->calls = realloc(k->calls, k->cap * sizeof(*k->calls));
		if (!k->calls)
			abort();
	}
	k->calls[k->ncalls++] = *c;
	while (k->hold) {
		k->holding = true;
		pthread_cond_broadcast(&k->cv);
		pthread_cond_wait(&k->cv, &k->mu);
	}
	k->holding = false;
	answer = k->answer;
	pthread_mutex_unlock(&k->mu);
	return answer;
}

int fuse_lowlevel_notify_inval_inode(struct fuse_session *se, fuse_ino_t ino, off_t off,
				     off_t len)
{
	struct call c = { .kind = NOTICE_INVAL_INODE, .ino = ino, .off = off, .len = len };

	return kernel_call(kernel_of(se), &c);
}

int fuse_lowlevel_notify_inval_entry(struct fuse_session *se, fuse_ino_t parent,
				     const char *name, size_t namelen)
{
	struct call c = { .kind = NOTICE_INVAL_ENTRY, .parent = parent, .namelen = namelen };

	snprintf(c.name, sizeof(c.name), "%.*s", (int)namelen, name);
	return kernel_call(kernel_of(se), &c);
}

/* Hold the next call in flight, and wait until one is held. */
static void kernel_hold(struct kernel *k)
{
	pthread_mutex_lock(&k->mu);
	k->hold = true;
	pthread_mutex_unlock(&k->mu);
}

static void kernel_wait_held(struct kernel *k)
{
	pthread_mutex_lock(&k->mu);
	while (!k->holding)
		pthread_cond_wait(&k->cv, &k->mu);
	pthread_mutex_unlock(&k->mu);
}

static void kernel_release(struct kernel *k)
{
	pthread_mutex_lock(&k->mu);
	k->hold = false;
	pthread_cond_broadcast(&k->cv);
	pthread_mutex_unlock(&k->mu);
}

static size_t kernel_ncalls(struct kernel *k)
{
	size_t n;

	pthread_mutex_lock(&k->mu);
	n = k->ncalls;
	pthread_mutex_unlock(&k->mu);
	return n;
}

/* ---- the fixture: a kernel, a mount point, a struct notify ---- */

struct fx {
	struct kernel k;
	char mnt[64];              /* a temporary directory */
	char state_path[96];       /* mnt/.state, a regular file */
	struct notify *q;
	int saved_stderr;          /* while the log is captured, else -1 */
	FILE *log;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	int fd;

	if (!fx)
		return -1;
	pthread_mutex_init(&fx->k.mu, NULL);
	pthread_cond_init(&fx->k.cv, NULL);
	snprintf(fx->mnt, sizeof(fx->mnt), "/tmp/test_notify.XXXXXX");
	if (!mkdtemp(fx->mnt))
		return -1;
	snprintf(fx->state_path, sizeof(fx->state_path), "%s/.state", fx->mnt);
	fd = open(fx->state_path, O_CREAT | O_WRONLY, 0444);
	if (fd < 0)
		return -1;
	close(fd);
	fx->q = notify_new();
	fx->saved_stderr = -1;
	*state = fx;
	return fx->q ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	kernel_release(&fx->k);
	notify_free(fx->q);     /* stops and joins the thread */
	unlink(fx->state_path);
	rmdir(fx->mnt);
	free(fx->k.calls);
	pthread_cond_destroy(&fx->k.cv);
	pthread_mutex_destroy(&fx->k.mu);
	free(fx);
	return 0;
}

static void start(struct fx *fx)
{
	assert_int_equal(notify_start(fx->q, session_of(&fx->k), fx->mnt), 0);
}

static void inval_inode(struct notify *q, uint64_t ino)
{
	struct notice n = { .kind = NOTICE_INVAL_INODE, .ino = ino };

	notify_sink(q, &n);
}

static void inval_entry(struct notify *q, uint64_t parent, const char *name)
{
	struct notice n = { .kind = NOTICE_INVAL_ENTRY, .parent = parent, .name = name };

	notify_sink(q, &n);
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The log (stderr) goes to a temporary file until log_text(). */
static void capture_log(struct fx *fx)
{
	fflush(stderr);
	fx->log = tmpfile();
	assert_non_null(fx->log);
	fx->saved_stderr = dup(STDERR_FILENO);
	assert_true(fx->saved_stderr >= 0);
	assert_int_equal(dup2(fileno(fx->log), STDERR_FILENO), STDERR_FILENO);
}

/* What was logged since capture_log (malloc'd), and stderr back. */
static char *log_text(struct fx *fx)
{
	char *text = calloc(1, 4096);
	size_t n;

	assert_non_null(text);
	fflush(stderr);
	dup2(fx->saved_stderr, STDERR_FILENO);
	close(fx->saved_stderr);
	fx->saved_stderr = -1;
	rewind(fx->log);
	n = fread(text, 1, 4095, fx->log);
	text[n] = '\0';
	fclose(fx->log);
	fx->log = NULL;
	return text;
}

/* notify_sync on another thread; `done` is set when it returned. */
struct syncer {
	struct notify *q;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
};

static void *sync_main(void *arg)
{
	struct syncer *s = arg;

	notify_sync(s->q);
	pthread_mutex_lock(&s->mu);
	s->done = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void syncer_start(struct syncer *s, struct notify *q)
{
	memset(s, 0, sizeof(*s));
	s->q = q;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	assert_int_equal(pthread_create(&s->thread, NULL, sync_main, s), 0);
}

/* Whether it returned within ms. */
static bool syncer_wait(struct syncer *s, int ms)
{
	struct timespec dl;
	bool done;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += ms / 1000;
	dl.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	while (!s->done && pthread_cond_timedwait(&s->cv, &s->mu, &dl) == 0)
		;
	done = s->done;
	pthread_mutex_unlock(&s->mu);
	return done;
}

static void syncer_join(struct syncer *s)
{
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
}

/* An inotify descriptor on MNT/.state for IN_ATTRIB (what a touch raises). */
static int watch_state(struct fx *fx)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	assert_true(fd >= 0);
	assert_true(inotify_add_watch(fd, fx->state_path, IN_ATTRIB) >= 0);
	return fd;
}

/* How many IN_ATTRIB events come within ms (waiting only for the first). */
static int attrib_events(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int count = 0;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	for (;;) {
		char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		for (char *p2 = buf; p2 < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p2;

			count += (ev->mask & IN_ATTRIB) != 0;
			p2 += sizeof(*ev) + ev->len;
		}
	}
	return count;
}

/* ---- notices ---- */

static void test_notices_reach_the_kernel_in_queue_order(void **state)
{
	struct fx *fx = *state;
	const struct call *c;

	start(fx);
	inval_inode(fx->q, 5);
	inval_entry(fx->q, 1, "a.conf");
	inval_inode(fx->q, 7);
	inval_entry(fx->q, 9, "b");
	notify_sync(fx->q);

	assert_int_equal(kernel_ncalls(&fx->k), 4);
	c = fx->k.calls;
	assert_int_equal(c[0].kind, NOTICE_INVAL_INODE);
	assert_int_equal(c[0].ino, 5);
	assert_int_equal(c[0].off, 0);      /* the whole inode: attributes and pages */
	assert_int_equal(c[0].len, 0);
	assert_int_equal(c[1].kind, NOTICE_INVAL_ENTRY);
	assert_int_equal(c[1].parent, 1);
	assert_string_equal(c[1].name, "a.conf");
	assert_int_equal(c[1].namelen, 6);
	assert_int_equal(c[2].ino, 7);
	assert_int_equal(c[3].parent, 9);
	assert_string_equal(c[3].name, "b");
	assert_int_equal(notify_sent(fx->q), 4);
}

static void test_notices_queued_before_start_are_sent_with_their_own_name(void **state)
{
	struct fx *fx = *state;
	char name[16] = "first";

	inval_entry(fx->q, 3, name);
	strcpy(name, "XXXXX");              /* the caller's buffer is its own again */
	inval_inode(fx->q, 4);
	assert_int_equal(kernel_ncalls(&fx->k), 0);
	assert_int_equal(notify_sent(fx->q), 0);

	start(fx);
	notify_sync(fx->q);
	assert_int_equal(kernel_ncalls(&fx->k), 2);
	assert_string_equal(fx->k.calls[0].name, "first");
	assert_int_equal(fx->k.calls[0].namelen, 5);
	assert_int_equal(fx->k.calls[1].ino, 4);
}

static void test_kernel_errors_of_a_forgotten_inode_or_an_unmount_are_not_logged(void **state)
{
	struct fx *fx = *state;
	const int quiet[] = { ENOENT, EBADF, ENOTCONN, ENODEV };
	char *log;

	start(fx);
	capture_log(fx);
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		pthread_mutex_lock(&fx->k.mu);
		fx->k.answer = -quiet[i];
		pthread_mutex_unlock(&fx->k.mu);
		inval_inode(fx->q, 10 + i);
		inval_entry(fx->q, 20 + i, "x");
		notify_sync(fx->q);
	}
	log = log_text(fx);
	assert_string_equal(log, "");
	free(log);
	assert_int_equal(notify_sent(fx->q), 8);   /* tried, and counted */

	capture_log(fx);
	pthread_mutex_lock(&fx->k.mu);
	fx->k.answer = -EIO;
	pthread_mutex_unlock(&fx->k.mu);
	inval_inode(fx->q, 31);
	inval_entry(fx->q, 32, "y");
	notify_sync(fx->q);
	log = log_text(fx);
	assert_non_null(strstr(log, "warning: kernel cache notice for inode 31: "));
	assert_non_null(strstr(log, "warning: kernel cache notice for inode 32: "));
	free(log);
}

static void test_notices_left_at_stop_are_dropped(void **state)
{
	struct fx *fx = *state;

	start(fx);
	kernel_hold(&fx->k);
	inval_inode(fx->q, 1);
	kernel_wait_held(&fx->k);           /* the thread is in the kernel with it */
	inval_inode(fx->q, 2);
	inval_entry(fx->q, 1, "late");
	notify_stop(fx->q);
	kernel_release(&fx->k);
	notify_join(fx->q);

	assert_int_equal(kernel_ncalls(&fx->k), 1);
	assert_int_equal(notify_sent(fx->q), 1);
	inval_inode(fx->q, 3);              /* queued, never sent: notify_free frees it */
	notify_sync(fx->q);                 /* stopped: no wait */
	assert_int_equal(kernel_ncalls(&fx->k), 1);
}

static void test_join_without_start_returns_and_free_takes_null(void **state)
{
	struct fx *fx = *state;

	notify_stop(fx->q);
	notify_join(fx->q);
	notify_free(NULL);
}

/* ---- notify_sync ---- */

static void test_sync_waits_for_every_notice_queued_before_it(void **state)
{
	struct fx *fx = *state;
	struct syncer s;

	start(fx);
	kernel_hold(&fx->k);
	inval_inode(fx->q, 1);
	inval_inode(fx->q, 2);
	inval_entry(fx->q, 1, "c");
	kernel_wait_held(&fx->k);
	syncer_start(&s, fx->q);
	assert_false(syncer_wait(&s, 200));
	kernel_release(&fx->k);
	assert_true(syncer_wait(&s, 5000));
	syncer_join(&s);
	assert_int_equal(kernel_ncalls(&fx->k), 3);
	assert_int_equal(notify_sent(fx->q), 3);
}

static void test_sync_gives_up_after_NOTIFY_SYNC_SEC(void **state)
{
	struct fx *fx = *state;
	long long t0;
	char *log;

	start(fx);
	kernel_hold(&fx->k);
	inval_inode(fx->q, 1);
	inval_inode(fx->q, 2);
	kernel_wait_held(&fx->k);
	capture_log(fx);
	t0 = now_ms();
	notify_sync(fx->q);
	assert_in_range(now_ms() - t0, NOTIFY_SYNC_SEC * 1000 - 100, NOTIFY_SYNC_SEC * 1000 + 2000);
	log = log_text(fx);
	assert_non_null(strstr(log, "warning: kernel cache notices still queued after 2 s (2 to go)"));
	free(log);
	kernel_release(&fx->k);
	notify_sync(fx->q);
	assert_int_equal(notify_sent(fx->q), 2);
}

static void test_sync_does_not_wait_before_start_or_after_stop(void **state)
{
	struct fx *fx = *state;
	long long t0 = now_ms();

	inval_inode(fx->q, 1);
	notify_sync(fx->q);                 /* no thread yet */
	assert_in_range(now_ms() - t0, 0, 500);
	assert_int_equal(kernel_ncalls(&fx->k), 0);

	start(fx);
	notify_sync(fx->q);
	assert_int_equal(kernel_ncalls(&fx->k), 1);

	kernel_hold(&fx->k);
	inval_inode(fx->q, 2);
	kernel_wait_held(&fx->k);
	inval_inode(fx->q, 3);
	notify_stop(fx->q);
	t0 = now_ms();
	notify_sync(fx->q);                 /* stopped: 3 will never be sent */
	assert_in_range(now_ms() - t0, 0, 500);
	kernel_release(&fx->k);
}

static void test_stop_wakes_a_waiting_sync(void **state)
{
	struct fx *fx = *state;
	struct syncer s;

	start(fx);
	kernel_hold(&fx->k);
	inval_inode(fx->q, 1);
	kernel_wait_held(&fx->k);
	syncer_start(&s, fx->q);
	assert_false(syncer_wait(&s, 100));
	notify_stop(fx->q);                 /* the kernel still holds the notice */
	assert_true(syncer_wait(&s, 1000));
	syncer_join(&s);
	kernel_release(&fx->k);
	notify_join(fx->q);
}

/* ---- .state ---- */

static void test_a_touch_changes_the_times_of_the_state_file(void **state)
{
	struct fx *fx = *state;
	struct timespec past[2] = { { .tv_sec = 1000000000 }, { .tv_sec = 1000000000 } };
	struct stat st;
	int fd;

	assert_int_equal(utimensat(AT_FDCWD, fx->state_path, past, 0), 0);
	fd = watch_state(fx);
	start(fx);
	notify_touch_state(fx->q);
	assert_int_equal(attrib_events(fd, 5000), 1);
	assert_int_equal(stat(fx->state_path, &st), 0);
	assert_true(st.st_mtime > time(NULL) - 60);
	assert_true(st.st_atime > time(NULL) - 60);
	assert_int_equal(kernel_ncalls(&fx->k), 0);   /* a touch is no kernel notice */
	close(fd);
}

static void test_touches_asked_while_busy_make_one(void **state)
{
	struct fx *fx = *state;
	int fd = watch_state(fx), n;

	start(fx);
	kernel_hold(&fx->k);
	inval_inode(fx->q, 1);
	kernel_wait_held(&fx->k);           /* busy */
	notify_touch_state(fx->q);
	notify_touch_state(fx->q);
	notify_touch_state(fx->q);
	kernel_release(&fx->k);
	n = attrib_events(fd, 5000);
	inval_inode(fx->q, 2);              /* the thread goes round again ... */
	notify_sync(fx->q);
	n += attrib_events(fd, 200);        /* ... with no second touch */
	assert_int_equal(n, 1);
	close(fd);
}

static void test_a_touch_that_fails_is_logged(void **state)
{
	struct fx *fx = *state;
	char *log = NULL;
	long long t0;

	/* The "mount point" is a regular file: MNT/.state is ENOTDIR. */
	capture_log(fx);
	assert_int_equal(notify_start(fx->q, session_of(&fx->k), fx->state_path), 0);
	notify_touch_state(fx->q);
	t0 = now_ms();
	do {                                /* the thread logs when it gets to it */
		struct timespec pause = { .tv_nsec = 10000000 };
		long size;

		nanosleep(&pause, NULL);
		fflush(stderr);
		fseek(fx->log, 0, SEEK_END);
		size = ftell(fx->log);
		if (size > 0)
			break;
	} while (now_ms() - t0 < 5000);
	notify_stop(fx->q);
	notify_join(fx->q);
	log = log_text(fx);
	assert_non_null(strstr(log, "/.state/.state: cannot touch: Not a directory"));
	free(log);
}

/* ---- many threads ---- */

#define PRODUCERS 4
#define PER_PRODUCER 500

struct producer {
	struct fx *fx;
	int id;
	size_t seen;        /* its notices the kernel had seen when its sync returned */
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	struct kernel *k = &p->fx->k;

	for (int i = 0; i < PER_PRODUCER; i++) {
		if (i % 2)
			inval_inode(p->fx->q, (uint64_t)p->id * 100000 + (uint64_t)i);
		else
			inval_entry(p->fx->q, (uint64_t)p->id * 100000 + (uint64_t)i, "n");
	}
	notify_sync(p->fx->q);
	pthread_mutex_lock(&k->mu);
	for (size_t c = 0; c < k->ncalls; c++) {
		uint64_t ino = k->calls[c].kind == NOTICE_INVAL_INODE ? k->calls[c].ino
								      : k->calls[c].parent;

		p->seen += ino / 100000 == (uint64_t)p->id;
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

static void test_many_threads_queue_and_each_sync_sees_its_own_notices_sent(void **state)
{
	struct fx *fx = *state;
	struct producer p[PRODUCERS];
	pthread_t t[PRODUCERS];

	start(fx);
	for (int i = 0; i < PRODUCERS; i++) {
		p[i] = (struct producer){ .fx = fx, .id = i + 1 };
		assert_int_equal(pthread_create(&t[i], NULL, produce, &p[i]), 0);
	}
	for (int i = 0; i < PRODUCERS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(p[i].seen, PER_PRODUCER);
	}
	assert_int_equal(notify_sent(fx->q), PRODUCERS * PER_PRODUCER);
	/* Each producer's notices in the order it queued them. */
	for (int id = 1; id <= PRODUCERS; id++) {
		uint64_t last = 0;

		for (size_t c = 0; c < fx->k.ncalls; c++) {
			const struct call *call = &fx->k.calls[c];
			uint64_t ino = call->kind == NOTICE_INVAL_INODE ? call->ino : call->parent;

			if (ino / 100000 != (uint64_t)id)
				continue;
			assert_true(last == 0 || ino == last + 1);
			last = ino;
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_notices_reach_the_kernel_in_queue_order),
		T(test_notices_queued_before_start_are_sent_with_their_own_name),
		T(test_kernel_errors_of_a_forgotten_inode_or_an_unmount_are_not_logged),
		T(test_notices_left_at_stop_are_dropped),
		T(test_join_without_start_returns_and_free_takes_null),
		T(test_sync_waits_for_every_notice_queued_before_it),
		T(test_sync_gives_up_after_NOTIFY_SYNC_SEC),
		T(test_sync_does_not_wait_before_start_or_after_stop),
		T(test_stop_wakes_a_waiting_sync),
		T(test_a_touch_changes_the_times_of_the_state_file),
		T(test_touches_asked_while_busy_make_one),
		T(test_a_touch_that_fails_is_logged),
		T(test_many_threads_queue_and_each_sync_sees_its_own_notices_sent),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
