/*
 * test_auth — the credentials file (auth.h): its format, its errors (file and
 * line, never the secret), and the refusal of files others may read.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"

/* A temporary file with `len` bytes of `text` and `mode`; the path is static
 * storage. */
static const char *file_with_bytes(const char *text, size_t len, mode_t mode)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/test_auth.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static const char *file_with(const char *text, mode_t mode)
{
	return file_with_bytes(text, strlen(text), mode);
}

static void test_lines_give_scheme_and_credential(void **state)
{
	const char *p = file_with("# zkfs credentials\n\ndigest:alice:s3cret\r\n"
				  "digest:bob:pa:ss:word\n", 0600);
	struct auth a;
	char err[256];

	(void)state;
	assert_int_equal(auth_load(p, &a, err, sizeof(err)), 0);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.creds[0].scheme, "digest");
	assert_string_equal(a.creds[0].cert, "alice:s3cret");
	assert_int_equal(a.creds[0].len, 12);
	assert_string_equal(a.creds[1].cert, "bob:pa:ss:word");
	auth_free(&a);
	assert_int_equal(a.n, 0);
	unlink(p);
}

static void test_a_file_others_may_read_is_refused(void **state)
{
	const char *p = file_with("digest:alice:s3cret\n", 0640);
	struct auth a;
	char err[256];

	(void)state;
	assert_int_equal(auth_load(p, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "refused"));
	assert_null(strstr(err, "s3cret"));
	assert_int_equal(a.n, 0);
	assert_int_equal(chmod(p, 0604), 0);
	assert_int_equal(auth_load(p, &a, err, sizeof(err)), -1);
	assert_int_equal(chmod(p, 0400), 0);
	assert_int_equal(auth_load(p, &a, err, sizeof(err)), 0);
	auth_free(&a);
	unlink(p);
}

static void test_a_malformed_line_names_file_and_line_not_the_text(void **state)
{
	const char *p = file_with("digest:alice:s3cret\n\nnosecretcolon\n", 0600);
	struct auth a;
	char err[256], want[128];

	(void)state;
	assert_int_equal(auth_load(p, &a, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3:", p);
	assert_non_null(strstr(err, want));
	assert_null(strstr(err, "nosecretcolon"));
	assert_int_equal(a.n, 0);
	unlink(p);
	p = file_with("digest:onlyuser\n", 0600);
	assert_int_equal(auth_load(p, &a, err, sizeof(err)), -1);
	assert_null(strstr(err, "onlyuser"));
	unlink(p);
}

/* Found by tests/fuzz/fuzz_auth: the lines after a NUL byte were silently
 * dropped (and left unwiped in freed memory). */
static void test_a_nul_byte_is_a_malformed_line(void **state)
{
	static const char text[] = "digest:alice:s3cret\n\0digest:bob:hidden\n";
	const char *p = file_with_bytes(text, sizeof(text) - 1, 0600);
	struct auth a;
	char err[256], want[128];

	(void)state;
	assert_int_equal(auth_load(p, &a, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: NUL byte", p);
	assert_non_null(strstr(err, want));
	assert_null(strstr(err, "hidden"));
	assert_int_equal(a.n, 0);
	unlink(p);
}

static void test_missing_empty_and_special_files(void **state)
{
	const char *p = file_with("# nothing\n", 0600);
	struct auth a;
	char err[256];

	(void)state;
	assert_int_equal(auth_load(p, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no credentials"));
	unlink(p);
	assert_int_equal(auth_load("/nonexistent/creds", &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(auth_load("/tmp", &a, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_give_scheme_and_credential),
		cmocka_unit_test(test_a_file_others_may_read_is_refused),
		cmocka_unit_test(test_a_malformed_line_names_file_and_line_not_the_text),
		cmocka_unit_test(test_a_nul_byte_is_a_malformed_line),
		cmocka_unit_test(test_missing_empty_and_special_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
