/*
 * Unit tests of events.c: the `.events` stream without FUSE. The hooks
 * record what would have been replied to the kernel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

/* What the hooks saw: answers as "req:text|" (EOF as "req:EOF|"), woken and
 * dropped poll handles as "w:ph|" / "d:ph|". Requests and handles are small
 * integers cast to pointers. */
struct seen {
	char log[1024];
	int interrupted;      /* the request reported as interrupted, 0 none */
};

static void seen_add(struct seen *s, const char *fmt, ...)
{
	size_t len = strlen(s->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->log + len, sizeof(s->log) - len, fmt, ap);
	va_end(ap);
}

static void h_answer(void *ctx, void *req, const char *buf, size_t len)
{
	if (len == 0)
		seen_add(ctx, "%d:EOF|", (int)(intptr_t)req);
	else
		seen_add(ctx, "%d:%.*s|", (int)(intptr_t)req, (int)len, buf);
}

static bool h_interrupted(void *ctx, void *req)
{
	return ((struct seen *)ctx)->interrupted == (int)(intptr_t)req;
}

static void h_wake(void *ctx, void *ph)
{
	seen_add(ctx, "w:%d|", (int)(intptr_t)ph);
}

static void h_drop(void *ctx, void *ph)
{
	seen_add(ctx, "d:%d|", (int)(intptr_t)ph);
}

#define REQ(n) ((void *)(intptr_t)(n))

struct fx {
	struct seen seen;
	struct events *e;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct events_hooks h = {
		.answer = h_answer, .interrupted = h_interrupted,
		.wake = h_wake, .drop = h_drop,
	};

	assert_non_null(fx);
	h.ctx = &fx->seen;
	fx->e = events_new(&h);
	assert_non_null(fx->e);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	events_free(fx->e);
	free(fx);
	return 0;
}

/* Read what is there without parking: the text, "" when nothing, "EOF". */
static const char *read_now(struct fx *fx, struct events_reader *r, size_t size)
{
	static char buf[256];
	ssize_t n = events_read(fx->e, r, buf, size, NULL);

	if (n == -EAGAIN)
		return "";
	if (n == 0)
		return "EOF";
	assert_true(n > 0 && (size_t)n <= size);
	buf[n] = '\0';
	return buf;
}

static void test_a_reader_sees_the_transitions_after_its_open_in_order(void **state)
{
	struct fx *fx = *state;
	struct events_reader *early, *late;

	events_push(fx->e, ZS_CONNECTED);          /* before any open: nobody sees it */
	early = events_open(fx->e);
	assert_string_equal(read_now(fx, early, 100), "");
	events_push(fx->e, ZS_SUSPENDED);
	late = events_open(fx->e);
	events_push(fx->e, ZS_LOST);
	events_push(fx->e, ZS_CONNECTED);
	assert_string_equal(read_now(fx, early, 100), "SUSPENDED\nLOST\nCONNECTED\n");
	assert_string_equal(read_now(fx, late, 100), "LOST\nCONNECTED\n");
	assert_string_equal(read_now(fx, early, 100), "");
	events_close(fx->e, early);
	events_close(fx->e, late);
	assert_string_equal(fx->seen.log, "");
}

/* bash's `read` takes one byte at a time from a stream. */
static void test_small_reads_cut_lines_without_losing_bytes(void **state)
{
	struct fx *fx = *state;
	struct events_reader *r = events_open(fx->e);
	char all[64] = "";

	events_push(fx->e, ZS_SUSPENDED);
	events_push(fx->e, ZS_CONNECTED);
	for (int i = 0; i < 40; i++)
		strcat(all, read_now(fx, r, 1));
	assert_string_equal(all, "SUSPENDED\nCONNECTED\n");
	assert_string_equal(read_now(fx, r, 7), "");
	events_close(fx->e, r);
}

static void test_a_parked_read_is_answered_by_the_next_transition(void **state)
{
	struct fx *fx = *state;
	struct events_reader *a = events_open(fx->e), *b = events_open(fx->e);
	char buf[64];

	assert_int_equal(events_read(fx->e, a, buf, sizeof(buf), REQ(1)), -EAGAIN);
	assert_int_equal(events_read(fx->e, b, buf, 3, REQ(2)), -EAGAIN);
	assert_string_equal(fx->seen.log, "");
	events_push(fx->e, ZS_LOST);
	/* each answered once, with what fits its size; the rest stays */
	assert_string_equal(fx->seen.log, "1:LOST\n|2:LOS|");
	assert_string_equal(read_now(fx, b, 100), "T\n");
	events_push(fx->e, ZS_CONNECTED);
	assert_string_equal(fx->seen.log, "1:LOST\n|2:LOS|");   /* nothing parked now */
	events_close(fx->e, a);
	events_close(fx->e, b);
}

static void test_cancel_takes_back_a_parked_read_once(void **state)
{
	struct fx *fx = *state;
	struct events_reader *r = events_open(fx->e);
	char buf[64];

	assert_int_equal(events_read(fx->e, r, buf, sizeof(buf), REQ(7)), -EAGAIN);
	assert_true(events_cancel(fx->e, REQ(7)));
	assert_false(events_cancel(fx->e, REQ(7)));
	events_push(fx->e, ZS_SUSPENDED);
	assert_string_equal(fx->seen.log, "");       /* the cancelled one is not answered */
	assert_false(events_cancel(fx->e, REQ(8)));  /* never parked */
	/* an answered request cannot be cancelled */
	assert_string_equal(read_now(fx, r, 100), "SUSPENDED\n");
	assert_int_equal(events_read(fx->e, r, buf, sizeof(buf), REQ(9)), -EAGAIN);
	events_push(fx->e, ZS_CONNECTED);
	assert_false(events_cancel(fx->e, REQ(9)));
	assert_string_equal(fx->seen.log, "9:CONNECTED\n|");
	events_close(fx->e, r);
}

/* An interrupt that came before the request was parked: it is not parked. */
static void test_an_interrupted_request_is_not_parked(void **state)
{
	struct fx *fx = *state;
	struct events_reader *r = events_open(fx->e);
	char buf[64];

	fx->seen.interrupted = 3;
	assert_int_equal(events_read(fx->e, r, buf, sizeof(buf), REQ(3)), -EINTR);
	assert_false(events_cancel(fx->e, REQ(3)));
	events_push(fx->e, ZS_LOST);
	assert_string_equal(fx->seen.log, "");
	/* a line waiting is given even to an interrupted request */
	assert_int_equal(events_read(fx->e, r, buf, sizeof(buf), REQ(3)), 5);
	events_close(fx->e, r);
}

static void test_the_end_answers_everyone_with_eof_now_and_later(void **state)
{
	struct fx *fx = *state;
	struct events_reader *a = events_open(fx->e), *b = events_open(fx->e);
	char buf[64];

	assert_int_equal(events_read(fx->e, a, buf, sizeof(buf), REQ(1)), -EAGAIN);
	events_push(fx->e, ZS_SUSPENDED);
	assert_int_equal(events_read(fx->e, a, buf, sizeof(buf), REQ(2)), -EAGAIN);
	assert_false(events_poll(fx->e, a, REQ(40)));
	events_end(fx->e);
	assert_string_equal(fx->seen.log, "1:SUSPENDED\n|2:EOF|w:40|");
	/* b still gets the line it had coming, then EOF */
	assert_string_equal(read_now(fx, b, 100), "SUSPENDED\n");
	assert_string_equal(read_now(fx, b, 100), "EOF");
	assert_true(events_poll(fx->e, b, NULL));
	events_close(fx->e, a);
	events_close(fx->e, b);
}

static void test_close_answers_what_its_reader_parked(void **state)
{
	struct fx *fx = *state;
	struct events_reader *a = events_open(fx->e), *b = events_open(fx->e);
	char buf[64];

	assert_int_equal(events_read(fx->e, a, buf, sizeof(buf), REQ(1)), -EAGAIN);
	assert_int_equal(events_read(fx->e, b, buf, sizeof(buf), REQ(2)), -EAGAIN);
	assert_false(events_poll(fx->e, a, REQ(50)));
	events_close(fx->e, a);
	assert_string_equal(fx->seen.log, "1:EOF|d:50|");
	events_push(fx->e, ZS_CONNECTED);
	assert_string_equal(fx->seen.log, "1:EOF|d:50|2:CONNECTED\n|");
	events_close(fx->e, b);
}

static void test_poll_keeps_one_handle_and_wakes_it_at_a_transition(void **state)
{
	struct fx *fx = *state;
	struct events_reader *r = events_open(fx->e);

	assert_false(events_poll(fx->e, r, NULL));
	assert_false(events_poll(fx->e, r, REQ(10)));
	assert_false(events_poll(fx->e, r, REQ(11)));     /* replaces 10 */
	assert_string_equal(fx->seen.log, "d:10|");
	events_push(fx->e, ZS_LOST);
	assert_string_equal(fx->seen.log, "d:10|w:11|");
	assert_true(events_poll(fx->e, r, REQ(12)));      /* ready: dropped at once */
	assert_string_equal(fx->seen.log, "d:10|w:11|d:12|");
	assert_string_equal(read_now(fx, r, 100), "LOST\n");
	assert_false(events_poll(fx->e, r, NULL));
	events_close(fx->e, r);
}

static void test_a_reader_far_behind_skips_the_oldest(void **state)
{
	struct fx *fx = *state;
	struct events_reader *r = events_open(fx->e);
	char buf[8192];
	ssize_t n;
	size_t lines = 0;

	for (int i = 0; i < 300; i++)
		events_push(fx->e, i % 2 ? ZS_CONNECTED : ZS_SUSPENDED);
	n = events_read(fx->e, r, buf, sizeof(buf), NULL);
	assert_true(n > 0);
	for (ssize_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	assert_int_equal(lines, 256);
	/* the newest is the last line */
	assert_true(n >= 10 && memcmp(buf + n - 10, "CONNECTED\n", 10) == 0);
	events_close(fx->e, r);
}

static void test_without_hooks_nothing_is_parked(void **state)
{
	struct events *e = events_new(NULL);
	struct events_reader *r;
	char buf[16];

	(void)state;
	assert_non_null(e);
	r = events_open(e);
	assert_int_equal(events_read(e, r, buf, sizeof(buf), REQ(1)), -EAGAIN);
	assert_false(events_cancel(e, REQ(1)));
	events_push(e, ZS_CONNECTED);
	assert_int_equal(events_read(e, r, buf, sizeof(buf), REQ(1)), 10);
	assert_int_equal(events_read(e, r, buf, 0, NULL), 0);
	events_close(e, r);
	events_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_reader_sees_the_transitions_after_its_open_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_reads_cut_lines_without_losing_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_parked_read_is_answered_by_the_next_transition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_takes_back_a_parked_read_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_interrupted_request_is_not_parked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_the_end_answers_everyone_with_eof_now_and_later, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_answers_what_its_reader_parked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_keeps_one_handle_and_wakes_it_at_a_transition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_reader_far_behind_skips_the_oldest, setup, teardown),
		cmocka_unit_test(test_without_hooks_nothing_is_parked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
