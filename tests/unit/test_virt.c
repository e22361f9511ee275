/*
 * test_virt — the state behind `.state` (virt.h): LOST at first, transitions
 * recorded once each with their time, and the file's text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "virt.h"

static void test_starts_lost_and_records_only_changes(void **state)
{
	struct virt v;
	struct timespec t1 = { .tv_sec = 100, .tv_nsec = 5 }, t2 = { .tv_sec = 200 };
	char text[16];

	(void)state;
	virt_init(&v);
	assert_int_equal(virt_state_text(&v, text, sizeof(text)), 5);
	assert_string_equal(text, "LOST\n");
	assert_false(virt_set_state(&v, ZS_LOST, &t1));
	assert_true(virt_set_state(&v, ZS_CONNECTED, &t1));
	assert_int_equal(virt_state_changed(&v).tv_sec, 100);
	assert_int_equal(virt_state_changed(&v).tv_nsec, 5);
	assert_false(virt_set_state(&v, ZS_CONNECTED, &t2));
	assert_int_equal(virt_state_changed(&v).tv_sec, 100);   /* not a transition */
	assert_int_equal(virt_state_text(&v, text, sizeof(text)), 10);
	assert_string_equal(text, "CONNECTED\n");
	assert_true(virt_set_state(&v, ZS_SUSPENDED, &t2));
	assert_int_equal(virt_state_changed(&v).tv_sec, 200);
	assert_int_equal(virt_state_text(&v, text, sizeof(text)), 10);
	assert_string_equal(text, "SUSPENDED\n");
	virt_destroy(&v);
}

static void test_a_short_buffer_gets_a_cut_text(void **state)
{
	struct virt v;
	char text[4];

	(void)state;
	virt_init(&v);
	assert_int_equal(virt_state_text(&v, text, sizeof(text)), 3);
	assert_string_equal(text, "LOS");
	virt_destroy(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starts_lost_and_records_only_changes),
		cmocka_unit_test(test_a_short_buffer_gets_a_cut_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
