/*
 * test_conf — the INI grammar of conf.h fed line by line, and
 * conf_load_section() on temporary files: found / absent file and section,
 * malformed lines with file and line number, long values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"

#define ERRLEN 512
#define MAX_KV 16

#define assert_contains(hay, needle)                                          \
	do {                                                                  \
		if (strstr((hay), (needle)) == NULL)                          \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle)); \
	} while (0)

/* What the callback saw, as "section|key|value" lines. */
struct seen {
	char *kv[MAX_KV];
	int n;
	int stop_at;  /* return 7 on this call (1-based), 0: never */
};

static int record(void *ctx, const char *section, const char *key, const char *value)
{
	struct seen *s = ctx;
	size_t len = strlen(section) + strlen(key) + strlen(value) + 3;

	assert_true(s->n < MAX_KV);
	s->kv[s->n] = malloc(len);
	assert_non_null(s->kv[s->n]);
	snprintf(s->kv[s->n], len, "%s|%s|%s", section, key, value);
	s->n++;
	return s->n == s->stop_at ? 7 : 0;
}

static void seen_free(struct seen *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->kv[i]);
	s->n = 0;
}

/* Feed a NUL-terminated text line by line (lines keep their '\n'). */
static int feed(struct conf_parser *p, const char *text)
{
	while (*text != '\0') {
		size_t n = strcspn(text, "\n");
		if (text[n] == '\n')
			n++;
		int rc = conf_line(p, text, n);
		if (rc != 0)
			return rc;
		text += n;
	}
	return conf_finish(p);
}

/* Feed one line; expect -1 and an error naming the line and the reason. */
static void expect_malformed(const char *text, unsigned lineno, const char *why)
{
	struct conf_parser p;
	struct seen s = { 0 };
	char want[32];

	conf_init(&p, record, &s);
	assert_int_equal(feed(&p, text), -1);
	assert_int_equal(p.lineno, lineno);
	snprintf(want, sizeof(want), "line %u: ", lineno);
	assert_contains(p.error, want);
	assert_contains(p.error, why);
	seen_free(&s);
}

/* --- the stream ---------------------------------------------------------- */

static void test_keys_are_reported_with_their_section_in_file_order(void **state)
{
	(void)state;
	struct conf_parser p;
	struct seen s = { 0 };

	conf_init(&p, record, &s);
	assert_int_equal(feed(&p, "[a]\nx=1\ny=2\n[b]\nx=3\n"), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.kv[0], "a|x|1");
	assert_string_equal(s.kv[1], "a|y|2");
	assert_string_equal(s.kv[2], "b|x|3");
	assert_int_equal(p.lineno, 5);
	assert_string_equal(p.section, "b");
	assert_true(p.in_section);
	assert_string_equal(p.error, "");
	seen_free(&s);
}

static void test_comments_and_blank_lines_are_ignored(void **state)
{
	(void)state;
	struct conf_parser p;
	struct seen s = { 0 };

	conf_init(&p, record, &s);
	assert_int_equal(feed(&p, "# top\n; also\n\n   \n\t\n[a]\n  # indented\n"
				  "\t; indented\nk=v\n#k=w\n"), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.kv[0], "a|k|v");
	assert_int_equal(p.lineno, 10);
	seen_free(&s);
}

static void test_colon_separates_key_and_value_like_equals(void **state)
{
	(void)state;
	struct conf_parser p;
	struct seen s = { 0 };

	conf_init(&p, record, &s);
	assert_int_equal(feed(&p, "[a]\nk: v\nj:w\n"), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.kv[0], "a|k|v");
	assert_string_equal(s.kv[1], "a|j|w");
	seen_free(&s);
}

static void test_first_separator_splits_so_values_may_hold_colons(void **state)
{
	(void)state;
	struct conf_parser p;
	struct seen s = { 0 };

	conf_init(&p, record, &s);
	assert_int_equal(feed(&p, "[a]\nservers = h1:2181,h2:2181\nk: x=y\n"), 0);
	assert_string_equal(s.kv[0], "a|servers|h1:2181,h2:2181");
	assert_string_equal(s.kv[1], "a|k|x=y");
	seen_free(&s);
}

static void test_key_and_value_are_trimmed(void **state)
{
	(void)state;
	struct conf_parser p;
	struct seen s = { 0 };

	conf_init(&p, record, &s);
	assert_int_equal(feed(&p, "[a]\r\n \t key \t=\t  some value \t\r\n"), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.kv[0], "a|key|some value");
	seen_free(&s);
}

static void test_value_keeps_inline_comment_text(void **state)
{
	(void)state;
	struct conf_parser p;
	struct seen s = { 0 };

	conf_init(&p, record, &s);
	assert_int_equal(feed(&p, "[a]\npath = /x ; not a comment # nor this\n"), 0);
	assert_string_equal(s.kv[0], "a|path|/x ; not a comment # nor this");
	seen_free(&s);
}

static void test_empty_value_is_allowed(void **state)
{
	(void)state;
	struct conf_parser p;
	struct seen s = { 0 };

	conf_init(&p, record, &s);
	assert_int_equal(feed(&p, "[a]\nk=\nj :  \n"), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.kv[0], "a|k|");
	assert_string_equal(s.kv[1], "a|j|");
	seen_free(&s);
}

static void test_section_header_blanks_are_trimmed(void **state)
{
	(void)state;
	struct conf_parser p;
	struct seen s = { 0 };

	conf_init(&p, record, &s);
	assert_int_equal(feed(&p, "  [ zoo keeper ]\t\nk=v\n"), 0);
	assert_string_equal(s.kv[0], "zoo keeper|k|v");
	seen_free(&s);
}

static void test_line_is_read_only_up_to_len(void **state)
{
	(void)state;
	struct conf_parser p;
	struct seen s = { 0 };
	const char text[] = "[a]k=v";
	/* Exactly sized heap copies, no NUL: the sanitizer catches any over-read. */
	char *sec = malloc(3), *kv = malloc(3);

	assert_non_null(sec);
	assert_non_null(kv);
	memcpy(sec, text, 3);
	memcpy(kv, text + 3, 3);
	conf_init(&p, record, &s);
	assert_int_equal(conf_line(&p, sec, 3), 0);
	assert_int_equal(conf_line(&p, kv, 3), 0);
	assert_int_equal(conf_line(&p, kv, 0), 0);
	assert_string_equal(s.kv[0], "a|k|v");
	assert_int_equal(p.lineno, 3);
	free(sec);
	free(kv);
	seen_free(&s);
}

static void test_without_callback_lines_are_only_checked(void **state)
{
	(void)state;
	struct conf_parser p;

	conf_init(&p, NULL, NULL);
	assert_int_equal(feed(&p, "[a]\nk=v\n"), 0);
	assert_int_equal(feed(&p, "junk\n"), -1);
}

static void test_key_before_section_is_malformed(void **state)
{
	(void)state;
	expect_malformed("# c\nk=v\n[a]\n", 2, "key before any [section]");
}

static void test_line_without_separator_is_malformed(void **state)
{
	(void)state;
	expect_malformed("[a]\nk=v\njust words\n", 3, "expected '[section]' or 'key = value'");
}

static void test_bad_section_headers_are_malformed(void **state)
{
	(void)state;
	expect_malformed("[a\n", 1, "without closing ']'");
	expect_malformed("[\n", 1, "without closing ']'");
	expect_malformed("[a] trailing\n", 1, "without closing ']'");
	expect_malformed("[]\n", 1, "empty section name");
	expect_malformed("[ \t ]\n", 1, "empty section name");
}

static void test_overlong_section_name_is_malformed(void **state)
{
	(void)state;
	char line[sizeof(((struct conf_parser *)0)->section) + 3];

	memset(line, 'x', sizeof(line));
	line[0] = '[';
	line[sizeof(line) - 2] = ']';
	line[sizeof(line) - 1] = '\0';
	expect_malformed(line, 1, "section name too long");
	line[sizeof(line) - 3] = ']';
	line[sizeof(line) - 2] = '\0';
	struct conf_parser p;
	conf_init(&p, NULL, NULL);
	assert_int_equal(feed(&p, line), 0);
	assert_int_equal(strlen(p.section), sizeof(p.section) - 1);
}

static void test_missing_key_is_malformed(void **state)
{
	(void)state;
	expect_malformed("[a]\n= v\n", 2, "missing key");
	expect_malformed("[a]\n  : v\n", 2, "missing key");
}

static void test_nul_byte_in_line_is_malformed(void **state)
{
	(void)state;
	struct conf_parser p;

	conf_init(&p, NULL, NULL);
	assert_int_equal(conf_line(&p, "[a]", 3), 0);
	assert_int_equal(conf_line(&p, "k=v\0w", 5), -1);
	assert_contains(p.error, "line 2: NUL byte");
}

static void test_error_is_cleared_by_the_next_good_line(void **state)
{
	(void)state;
	struct conf_parser p;

	conf_init(&p, NULL, NULL);
	assert_int_equal(conf_line(&p, "junk", 4), -1);
	assert_string_not_equal(p.error, "");
	assert_int_equal(conf_line(&p, "[a]", 3), 0);
	assert_string_equal(p.error, "");
	assert_int_equal(conf_finish(&p), 0);
}

static void test_callback_result_stops_parsing(void **state)
{
	(void)state;
	struct conf_parser p;
	struct seen s = { .stop_at = 2 };

	conf_init(&p, record, &s);
	assert_int_equal(feed(&p, "[a]\nx=1\ny=2\nz=3\n"), 7);
	assert_int_equal(s.n, 2);
	assert_int_equal(p.lineno, 3);
	assert_string_equal(p.error, "");
	seen_free(&s);
}

/* --- conf_load_section --------------------------------------------------- */

/* Write text to a new temporary file; its name goes to path. */
static void temp_file(char path[static 32], const char *text, size_t len)
{
	strcpy(path, "/tmp/test_conf.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* Load `section` of a file holding text; the file is removed afterwards. */
static int load_text(const char *text, const char *section, bool section_must_exist,
		     struct conf_section *out, char *err, char path[static 32])
{
	temp_file(path, text, strlen(text));
	int rc = conf_load_section(path, section, true, section_must_exist, out, err, ERRLEN);
	assert_int_equal(unlink(path), 0);
	return rc;
}

static void test_load_keeps_servers_and_path_of_the_section(void **state)
{
	(void)state;
	struct conf_section cs;
	char err[ERRLEN], path[32];

	assert_int_equal(load_text("[zookeeper]\nservers=h1:2181,h2:2181\npath=myfolder\n",
				   "zookeeper", true, &cs, err, path), 0);
	assert_true(cs.found);
	assert_string_equal(cs.servers, "h1:2181,h2:2181");
	assert_string_equal(cs.path, "myfolder");
	conf_section_free(&cs);
}

static void test_load_ignores_other_sections_and_keys(void **state)
{
	(void)state;
	struct conf_section cs;
	char err[ERRLEN], path[32];

	assert_int_equal(load_text("[general]\nservers=no\npath=/no\n"
				   "[zookeeper]\nother=1\nservers=yes\n"
				   "[zk2]\npath=/no\n",
				   "zookeeper", true, &cs, err, path), 0);
	assert_true(cs.found);
	assert_string_equal(cs.servers, "yes");
	assert_null(cs.path);
	conf_section_free(&cs);
}

static void test_load_matches_keys_without_case_and_sections_exactly(void **state)
{
	(void)state;
	struct conf_section cs;
	char err[ERRLEN], path[32];

	assert_int_equal(load_text("[ZooKeeper]\nservers=no\n[zookeeper]\nSERVERS=h1\nPath=/p\n",
				   "zookeeper", true, &cs, err, path), 0);
	assert_string_equal(cs.servers, "h1");
	assert_string_equal(cs.path, "/p");
	conf_section_free(&cs);
}

static void test_load_last_value_wins(void **state)
{
	(void)state;
	struct conf_section cs;
	char err[ERRLEN], path[32];

	assert_int_equal(load_text("[zookeeper]\nservers=a\n[x]\n[zookeeper]\nservers=b\n",
				   "zookeeper", true, &cs, err, path), 0);
	assert_string_equal(cs.servers, "b");
	conf_section_free(&cs);
}

static void test_load_section_without_keys_is_found_with_nulls(void **state)
{
	(void)state;
	struct conf_section cs;
	char err[ERRLEN], path[32];

	assert_int_equal(load_text("[zookeeper]\n# nothing\n", "zookeeper", true, &cs, err,
				   path), 0);
	assert_true(cs.found);
	assert_null(cs.servers);
	assert_null(cs.path);
	conf_section_free(&cs);
}

static void test_load_empty_value_is_kept_as_empty_string(void **state)
{
	(void)state;
	struct conf_section cs;
	char err[ERRLEN], path[32];

	assert_int_equal(load_text("[zookeeper]\nservers=\npath =\n", "zookeeper", true,
				   &cs, err, path), 0);
	assert_string_equal(cs.servers, "");
	assert_string_equal(cs.path, "");
	conf_section_free(&cs);
}

static void test_load_last_line_without_newline_is_read(void **state)
{
	(void)state;
	struct conf_section cs;
	char err[ERRLEN], path[32];

	assert_int_equal(load_text("[zookeeper]\r\nservers=h1\r\npath=/p", "zookeeper", true,
				   &cs, err, path), 0);
	assert_string_equal(cs.servers, "h1");
	assert_string_equal(cs.path, "/p");
	conf_section_free(&cs);
}

static void test_missing_default_file_is_silently_absent(void **state)
{
	(void)state;
	struct conf_section cs;
	char err[ERRLEN] = "";

	assert_int_equal(conf_load_section("/nonexistent/zkfs.conf", "zookeeper", false, false,
					   &cs, err, sizeof(err)), 0);
	assert_false(cs.found);
	assert_null(cs.servers);
	assert_null(cs.path);
	assert_string_equal(err, "");
}

static void test_missing_file_is_absent_even_with_a_named_section(void **state)
{
	(void)state;
	struct conf_section cs;
	char err[ERRLEN] = "";

	/* The header: an absent file that may be absent wins over a named section. */
	assert_int_equal(conf_load_section("/nonexistent/zkfs.conf", "mine", false, true,
					   &cs, err, sizeof(err)), 0);
	assert_false(cs.found);
}

static void test_missing_named_file_is_an_error_with_file(void **state)
{
	(void)state;
	struct conf_section cs;
	char err[ERRLEN] = "";

	assert_int_equal(conf_load_section("/nonexistent/zkfs.conf", "zookeeper", true, false,
					   &cs, err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/zkfs.conf: No such file or directory");
	assert_false(cs.found);
	assert_null(cs.servers);
}

static void test_unreadable_default_file_is_an_error(void **state)
{
	(void)state;
	struct conf_section cs;
	char err[ERRLEN] = "";

	/* Only "does not exist" is silent: a directory is an error even by default. */
	assert_int_equal(conf_load_section("/tmp", "zookeeper", false, false, &cs, err,
					   sizeof(err)), -1);
	assert_string_equal(err, "/tmp: Is a directory");
	assert_int_equal(conf_load_section("/etc/passwd/zkfs.conf", "zookeeper", false,
					   false, &cs, err, sizeof(err)), -1);
	assert_string_equal(err, "/etc/passwd/zkfs.conf: Not a directory");
}

static void test_malformed_line_is_an_error_with_file_and_line(void **state)
{
	(void)state;
	struct conf_section cs;
	char err[ERRLEN], path[32], want[ERRLEN];

	assert_int_equal(load_text("# c\n\nservers=h1\n[zookeeper]\n", "zookeeper", false,
				   &cs, err, path), -1);
	snprintf(want, sizeof(want), "%s:3: key before any [section]", path);
	assert_string_equal(err, want);

	assert_int_equal(load_text("[zookeeper]\nservers=h1\npath=/p\noops\n", "zookeeper",
				   false, &cs, err, path), -1);
	snprintf(want, sizeof(want), "%s:4: expected '[section]' or 'key = value'", path);
	assert_string_equal(err, want);
	/* Nothing is kept on error. */
	assert_false(cs.found);
	assert_null(cs.servers);
	assert_null(cs.path);
}

static void test_malformed_line_in_another_section_is_an_error(void **state)
{
	(void)state;
	struct conf_section cs;
	char err[ERRLEN], path[32];

	assert_int_equal(load_text("[zookeeper]\nservers=h1\n[other]\n[]\n", "zookeeper",
				   false, &cs, err, path), -1);
	assert_contains(err, ":4: empty section name");
}

static void test_missing_named_section_is_an_error_with_file(void **state)
{
	(void)state;
	struct conf_section cs;
	char err[ERRLEN], path[32], want[ERRLEN];

	assert_int_equal(load_text("[zookeeper]\nservers=h1\n", "mine", true, &cs, err, path),
			 -1);
	snprintf(want, sizeof(want), "%s: no section [mine]", path);
	assert_string_equal(err, want);
	assert_false(cs.found);
	assert_null(cs.servers);
}

static void test_missing_default_section_is_not_an_error(void **state)
{
	(void)state;
	struct conf_section cs;
	char err[ERRLEN], path[32];

	assert_int_equal(load_text("[other]\nservers=h1\n", "zookeeper", false, &cs, err,
				   path), 0);
	assert_false(cs.found);
	assert_null(cs.servers);
	assert_null(cs.path);
	assert_int_equal(load_text("", "zookeeper", false, &cs, err, path), 0);
	assert_false(cs.found);
}

static void test_very_long_value_is_kept_whole(void **state)
{
	(void)state;
	size_t n = 100 * 1024;
	const char *head = "[zookeeper]\npath=";
	size_t hl = strlen(head);
	char *text = malloc(hl + n + 2);
	struct conf_section cs;
	char err[ERRLEN], path[32];

	assert_non_null(text);
	memcpy(text, head, hl);
	memset(text + hl, 'v', n);
	strcpy(text + hl + n, "\n");
	temp_file(path, text, hl + n + 1);
	int rc = conf_load_section(path, "zookeeper", true, true, &cs, err, sizeof(err));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rc, 0);
	assert_non_null(cs.path);
	assert_int_equal(strlen(cs.path), n);
	assert_int_equal(strspn(cs.path, "v"), n);
	conf_section_free(&cs);
	free(text);
}

static void test_section_free_is_idempotent(void **state)
{
	(void)state;
	struct conf_section cs;
	char err[ERRLEN], path[32];

	assert_int_equal(load_text("[zookeeper]\nservers=h1\n", "zookeeper", true, &cs, err,
				   path), 0);
	conf_section_free(&cs);
	conf_section_free(&cs);
	conf_section_free(NULL);
	assert_null(cs.servers);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_are_reported_with_their_section_in_file_order),
		cmocka_unit_test(test_comments_and_blank_lines_are_ignored),
		cmocka_unit_test(test_colon_separates_key_and_value_like_equals),
		cmocka_unit_test(test_first_separator_splits_so_values_may_hold_colons),
		cmocka_unit_test(test_key_and_value_are_trimmed),
		cmocka_unit_test(test_value_keeps_inline_comment_text),
		cmocka_unit_test(test_empty_value_is_allowed),
		cmocka_unit_test(test_section_header_blanks_are_trimmed),
		cmocka_unit_test(test_line_is_read_only_up_to_len),
		cmocka_unit_test(test_without_callback_lines_are_only_checked),
		cmocka_unit_test(test_key_before_section_is_malformed),
		cmocka_unit_test(test_line_without_separator_is_malformed),
		cmocka_unit_test(test_bad_section_headers_are_malformed),
		cmocka_unit_test(test_overlong_section_name_is_malformed),
		cmocka_unit_test(test_missing_key_is_malformed),
		cmocka_unit_test(test_nul_byte_in_line_is_malformed),
		cmocka_unit_test(test_error_is_cleared_by_the_next_good_line),
		cmocka_unit_test(test_callback_result_stops_parsing),
		cmocka_unit_test(test_load_keeps_servers_and_path_of_the_section),
		cmocka_unit_test(test_load_ignores_other_sections_and_keys),
		cmocka_unit_test(test_load_matches_keys_without_case_and_sections_exactly),
		cmocka_unit_test(test_load_last_value_wins),
		cmocka_unit_test(test_load_section_without_keys_is_found_with_nulls),
		cmocka_unit_test(test_load_empty_value_is_kept_as_empty_string),
		cmocka_unit_test(test_load_last_line_without_newline_is_read),
		cmocka_unit_test(test_missing_default_file_is_silently_absent),
		cmocka_unit_test(test_missing_file_is_absent_even_with_a_named_section),
		cmocka_unit_test(test_missing_named_file_is_an_error_with_file),
		cmocka_unit_test(test_unreadable_default_file_is_an_error),
		cmocka_unit_test(test_malformed_line_is_an_error_with_file_and_line),
		cmocka_unit_test(test_malformed_line_in_another_section_is_an_error),
		cmocka_unit_test(test_missing_named_section_is_an_error_with_file),
		cmocka_unit_test(test_missing_default_section_is_not_an_error),
		cmocka_unit_test(test_very_long_value_is_kept_whole),
		cmocka_unit_test(test_section_free_is_idempotent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
