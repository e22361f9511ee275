/*
 * test_zdata — the reference-counted value buffer: copies at creation, shared
 * by zdata_get, freed by the last zdata_put (leaks and early frees show under
 * the sanitizer build), and the shared empty value that is never freed.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "zdata.h"

static void test_new_copies_the_bytes(void **state)
{
	char src[] = "hello";
	struct zdata *d = zdata_new(src, 5);

	assert_non_null(d);
	src[0] = 'J';
	assert_int_equal(d->len, 5);
	assert_memory_equal(d->bytes, "hello", 5);
	zdata_put(d);
}

static void test_get_shares_one_copy_until_the_last_put(void **state)
{
	struct zdata *d = zdata_new("value", 5);
	struct zdata *a = zdata_get(d);
	struct zdata *b = zdata_get(d);

	assert_ptr_equal(a, d);
	assert_ptr_equal(b, d);
	zdata_put(d);
	zdata_put(a);
	/* One reference left: the bytes are still there. */
	assert_int_equal(b->len, 5);
	assert_memory_equal(b->bytes, "value", 5);
	zdata_put(b);
}

static void test_empty_value_is_shared(void **state)
{
	struct zdata *a = zdata_new(NULL, 0);
	struct zdata *b = zdata_new("ignored", 0);

	assert_ptr_equal(a, zdata_empty());
	assert_ptr_equal(b, zdata_empty());
	assert_int_equal(zdata_empty()->len, 0);
}

static void test_empty_value_is_never_freed(void **state)
{
	struct zdata *e = zdata_empty();

	/* More puts than gets: a counted empty value would be freed (and the
	 * sanitizer build would report it) or go negative. */
	for (int i = 0; i < 10; i++)
		zdata_put(e);
	assert_ptr_equal(zdata_get(e), e);
	assert_ptr_equal(zdata_empty(), e);
	assert_int_equal(e->len, 0);
}

static void test_null_is_accepted_by_get_and_put(void **state)
{
	assert_null(zdata_get(NULL));
	zdata_put(NULL);
}

struct churn {
	struct zdata *d;
	int rounds;
};

static void *churn_refs(void *arg)
{
	struct churn *c = arg;

	for (int i = 0; i < c->rounds; i++)
		zdata_put(zdata_get(c->d));
	return NULL;
}

static void test_count_is_exact_under_concurrent_get_and_put(void **state)
{
	struct churn c = { .d = zdata_new("shared", 6), .rounds = 200000 };
	pthread_t th[4];

	assert_non_null(c.d);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, churn_refs, &c), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	/* A lost update would have freed it early or leave it leaked. */
	assert_memory_equal(c.d->bytes, "shared", 6);
	zdata_put(c.d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_copies_the_bytes),
		cmocka_unit_test(test_get_shares_one_copy_until_the_last_put),
		cmocka_unit_test(test_empty_value_is_shared),
		cmocka_unit_test(test_empty_value_is_never_freed),
		cmocka_unit_test(test_null_is_accepted_by_get_and_put),
		cmocka_unit_test(test_count_is_exact_under_concurrent_get_and_put),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
