/*
 * test_readlog — which process read which version (readlog.h): the newest
 * record per process and path, forgetting, the ring's bound, pid 0, a record
 * found by another thread of the same process, and none of a process that
 * is gone or that started after the record. The processes are real ones:
 * this test (ME), its parent (PARENT) and init (1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "readlog.h"

#define ME getpid()
#define PARENT getppid()

static int setup(void **state)
{
	*state = readlog_new();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	readlog_free(*state);
	return 0;
}

static void test_the_newest_record_of_a_process_and_path_is_found(void **state)
{
	struct readlog *rl = *state;
	int64_t czxid = -1;
	int32_t version = -1;

	readlog_note(rl, ME, "/a/app.conf", 7, 3);
	readlog_note(rl, ME, "/a/app.conf", 7, 4);
	readlog_note(rl, PARENT, "/a/app.conf", 7, 9);
	assert_true(readlog_find(rl, ME, "/a/app.conf", &czxid, &version));
	assert_int_equal(czxid, 7);
	assert_int_equal(version, 4);
	assert_true(readlog_find(rl, PARENT, "/a/app.conf", &czxid, &version));
	assert_int_equal(version, 9);
	assert_false(readlog_find(rl, ME, "/a/other.conf", &czxid, &version));
	assert_false(readlog_find(rl, 1, "/a/app.conf", &czxid, &version));
}

static void test_forget_drops_the_record(void **state)
{
	struct readlog *rl = *state;
	int64_t czxid;
	int32_t version;

	readlog_note(rl, ME, "/f", 1, 0);
	readlog_forget(rl, ME, "/f");
	assert_false(readlog_find(rl, ME, "/f", &czxid, &version));
	readlog_forget(rl, ME, "/never");   /* nothing to forget: fine */
}

static void test_pid_0_records_nothing(void **state)
{
	struct readlog *rl = *state;
	int64_t czxid;
	int32_t version;

	readlog_note(rl, 0, "/f", 1, 0);
	assert_false(readlog_find(rl, 0, "/f", &czxid, &version));
}

static void test_the_oldest_records_go_first(void **state)
{
	struct readlog *rl = *state;
	char path[32];
	int64_t czxid;
	int32_t version;

	for (unsigned i = 0; i < READLOG_SIZE + 10; i++) {
		snprintf(path, sizeof(path), "/f%u", i);
		readlog_note(rl, ME, path, 1, (int32_t)i);
	}
	assert_false(readlog_find(rl, ME, "/f0", &czxid, &version));
	assert_false(readlog_find(rl, ME, "/f9", &czxid, &version));
	assert_true(readlog_find(rl, ME, "/f10", &czxid, &version));
	assert_int_equal(version, 10);
	snprintf(path, sizeof(path), "/f%u", READLOG_SIZE + 9);
	assert_true(readlog_find(rl, ME, path, &czxid, &version));
}

static void test_a_record_older_than_the_process_is_not_its_own(void **state)
{
	struct readlog *rl = *state;
	int64_t czxid;
	int32_t version;

	/* Made before this process started: an ended process had this pid. */
	readlog_note_at(rl, ME, "/old", 1, 0, 0);
	assert_false(readlog_find(rl, ME, "/old", &czxid, &version));
	readlog_note_at(rl, ME, "/old", 1, 0, readlog_now_ms());
	assert_true(readlog_find(rl, ME, "/old", &czxid, &version));
}

static void test_no_record_of_a_process_that_is_gone(void **state)
{
	struct readlog *rl = *state;
	int64_t czxid;
	int32_t version;
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	readlog_note(rl, child, "/gone", 1, 0);
	assert_false(readlog_find(rl, child, "/gone", &czxid, &version));
}

struct thread_arg {
	struct readlog *rl;
	pid_t tid;
	int done;
};

/* Note a read, then stay alive until told (a thread that has ended has no
 * /proc entry, and is no longer a thread of this process). */
static void *note_from_a_thread(void *p)
{
	struct thread_arg *a = p;
	pid_t tid = (pid_t)syscall(SYS_gettid);

	readlog_note(a->rl, tid, "/t.conf", 5, 2);
	__atomic_store_n(&a->tid, tid, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&a->done, __ATOMIC_SEQ_CST))
		sched_yield();
	return NULL;
}

static void test_another_thread_of_the_process_finds_the_record(void **state)
{
	struct thread_arg a = { .rl = *state };
	pthread_t t;
	int64_t czxid;
	int32_t version;

	/* A reader thread read the file; the main thread renames over it. The
	 * reader thread is still alive (joined only after the find). */
	assert_int_equal(pthread_create(&t, NULL, note_from_a_thread, &a), 0);
	while (__atomic_load_n(&a.tid, __ATOMIC_SEQ_CST) == 0)
		sched_yield();
	assert_true(readlog_find(a.rl, getpid(), "/t.conf", &czxid, &version));
	assert_int_equal(czxid, 5);
	assert_int_equal(version, 2);
	/* init is another process: no record of its own, none found. */
	assert_false(readlog_find(a.rl, 1, "/t.conf", &czxid, &version));
	__atomic_store_n(&a.done, 1, __ATOMIC_SEQ_CST);
	pthread_join(t, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_the_newest_record_of_a_process_and_path_is_found,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_drops_the_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pid_0_records_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_the_oldest_records_go_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_record_older_than_the_process_is_not_its_own,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_record_of_a_process_that_is_gone, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_another_thread_of_the_process_finds_the_record,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
