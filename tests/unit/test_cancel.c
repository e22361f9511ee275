/*
 * test_cancel — the token that ends a wait for ZooKeeper early (cancel.h):
 * firing wakes the registered waiter, once per fire, and never one that has
 * deregistered; a token fired before a waiter registers is seen through
 * cancel_fired; the current token belongs to the calling thread.
 * (The waits it ends are tested in test_zk.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include "cancel.h"

static void count_wake(void *ctx)
{
	(*(int *)ctx)++;
}

static void test_fire_wakes_the_registered_waiter(void **state)
{
	struct cancel c;
	int woken = 0;

	(void)state;
	cancel_init(&c);
	assert_false(cancel_fired(&c));
	cancel_set_waker(&c, count_wake, &woken);
	assert_int_equal(woken, 0);
	cancel_fire(&c);
	assert_true(cancel_fired(&c));
	assert_int_equal(woken, 1);
	cancel_fire(&c);                     /* a second interrupt */
	assert_int_equal(woken, 2);
	cancel_set_waker(&c, NULL, NULL);
	cancel_fire(&c);
	assert_int_equal(woken, 2);
	assert_true(cancel_fired(&c));
	cancel_destroy(&c);
}

static void test_fired_before_the_waiter_registers(void **state)
{
	struct cancel c;
	int woken = 0;

	(void)state;
	cancel_init(&c);
	cancel_fire(&c);
	cancel_set_waker(&c, count_wake, &woken);
	assert_int_equal(woken, 0);          /* the waiter checks cancel_fired */
	assert_true(cancel_fired(&c));
	cancel_destroy(&c);
}

static void *current_of_new_thread(void *arg)
{
	(void)arg;
	return cancel_current();
}

static void test_current_token_is_per_thread(void **state)
{
	struct cancel c;
	pthread_t t;
	void *other = &c;

	(void)state;
	cancel_init(&c);
	assert_null(cancel_current());
	cancel_set_current(&c);
	assert_ptr_equal(cancel_current(), &c);
	assert_int_equal(pthread_create(&t, NULL, current_of_new_thread, NULL), 0);
	assert_int_equal(pthread_join(t, &other), 0);
	assert_null(other);
	cancel_set_current(NULL);
	assert_null(cancel_current());
	cancel_destroy(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fire_wakes_the_registered_waiter),
		cmocka_unit_test(test_fired_before_the_waiter_registers),
		cmocka_unit_test(test_current_token_is_per_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
