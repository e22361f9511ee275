/*
 * test_source — SPEC.md §2: URL forms, precedence of servers (URL > config >
 * environment), the config path, normalisation of paths and server lists, and
 * the error messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "source.h"

#define CONF "/etc/zkfs/zkfs.conf"
#define ERRLEN 512

#define assert_contains(hay, needle)                                          \
	do {                                                                  \
		if (strstr((hay), (needle)) == NULL)                          \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle)); \
	} while (0)

/* An input with the usual message fields set. */
static struct source_input input(const char *url, const char *conf_servers,
				 const char *conf_path, const char *env)
{
	struct source_input in = {
		.url = url, .conf_servers = conf_servers, .conf_path = conf_path,
		.env_servers = env, .conf_file = CONF, .section = "zookeeper",
	};
	return in;
}

/* Resolve and expect success with these servers, base path and origin. */
static void expect_ok(struct source_input in, const char *servers, const char *base,
		      const char *origin)
{
	struct source s;
	char err[ERRLEN] = "";

	if (source_resolve(&in, &s, err, sizeof(err)) != 0)
		fail_msg("source_resolve failed: %s", err);
	assert_string_equal(s.servers, servers);
	assert_string_equal(s.base_path, base);
	assert_string_equal(s.servers_origin, origin);
	source_free(&s);
}

/* Resolve and expect failure: out zeroed, one line, containing both needles. */
static void expect_err(struct source_input in, const char *needle1, const char *needle2)
{
	struct source s;
	char err[ERRLEN] = "";

	assert_int_equal(source_resolve(&in, &s, err, sizeof(err)), -1);
	assert_null(s.servers);
	assert_null(s.base_path);
	assert_null(s.servers_origin);
	assert_null(strchr(err, '\n'));
	assert_contains(err, needle1);
	if (needle2 != NULL)
		assert_contains(err, needle2);
}

static void expect_path(const char *path, const char *want)
{
	char err[ERRLEN] = "";
	char *p = source_normalize_path(path, err, sizeof(err));

	if (p == NULL)
		fail_msg("source_normalize_path(\"%s\") failed: %s", path, err);
	assert_string_equal(p, want);
	free(p);
}

static void expect_path_err(const char *path, const char *needle)
{
	char err[ERRLEN] = "";

	assert_null(source_normalize_path(path, err, sizeof(err)));
	assert_contains(err, needle);
	assert_contains(err, path);
}

static void expect_servers(const char *servers, const char *want)
{
	char err[ERRLEN] = "";
	char *s = source_normalize_servers(servers, err, sizeof(err));

	if (s == NULL)
		fail_msg("source_normalize_servers(\"%s\") failed: %s", servers, err);
	assert_string_equal(s, want);
	free(s);
}

static void expect_servers_err(const char *servers, const char *needle1,
			       const char *needle2)
{
	char err[ERRLEN] = "";

	assert_null(source_normalize_servers(servers, err, sizeof(err)));
	assert_null(strchr(err, '\n'));
	assert_contains(err, needle1);
	if (needle2 != NULL)
		assert_contains(err, needle2);
}

/* --- URL forms ----------------------------------------------------------- */

static void test_absolute_url_gives_servers_and_path(void **state)
{
	(void)state;
	expect_ok(input("zookeeper://h1:2181,h2/a/b", NULL, NULL, NULL),
		  "h1:2181,h2:2181", "/a/b", "URL");
}

static void test_zk_alias_scheme_is_accepted(void **state)
{
	(void)state;
	expect_ok(input("zk://h1:2182/a", NULL, NULL, NULL), "h1:2182", "/a", "URL");
	expect_ok(input("zk:///a", "c1", NULL, NULL), "c1:2181", "/a", "config");
	expect_ok(input("zk:./a", "c1", "/p", NULL), "c1:2181", "/p/a", "config");
}

static void test_scheme_is_matched_without_case(void **state)
{
	(void)state;
	expect_ok(input("ZooKeeper://h1/a", NULL, NULL, NULL), "h1:2181", "/a", "URL");
	expect_ok(input("ZK://h1/a", NULL, NULL, NULL), "h1:2181", "/a", "URL");
}

static void test_triple_slash_url_takes_servers_from_config(void **state)
{
	(void)state;
	expect_ok(input("zookeeper:///a/b", "c1:1,c2:2", "/ignored", "e1"),
		  "c1:1,c2:2", "/a/b", "config");
}

static void test_triple_slash_url_takes_servers_from_env_without_config(void **state)
{
	(void)state;
	expect_ok(input("zookeeper:///a/b", NULL, "/ignored", "e1:3"),
		  "e1:3", "/a/b", "environment");
}

static void test_single_slash_url_is_an_absolute_path(void **state)
{
	(void)state;
	expect_ok(input("zookeeper:/a/b", "c1", "/p", NULL), "c1:2181", "/a/b", "config");
}

static void test_url_servers_without_path_mean_root(void **state)
{
	(void)state;
	expect_ok(input("zookeeper://h1:2181", "c1", "/p", NULL), "h1:2181", "/", "URL");
	expect_ok(input("zookeeper://h1:2181/", "c1", "/p", NULL), "h1:2181", "/", "URL");
}

static void test_relative_url_joins_config_path(void **state)
{
	(void)state;
	expect_ok(input("zookeeper:./a/b", "c1", "/conf/path", NULL),
		  "c1:2181", "/conf/path/a/b", "config");
}

static void test_relative_url_uses_default_asab_path(void **state)
{
	(void)state;
	expect_ok(input("zookeeper:./a/b", "c1", NULL, NULL), "c1:2181", "/asab/a/b", "config");
}

static void test_relative_url_with_relative_config_path(void **state)
{
	(void)state;
	expect_ok(input("zookeeper:./a", "c1", "myfolder", NULL), "c1:2181", "/myfolder/a",
		  "config");
}

static void test_relative_url_with_root_config_path(void **state)
{
	(void)state;
	expect_ok(input("zookeeper:./a/b", "c1", "/", NULL), "c1:2181", "/a/b", "config");
}

static void test_relative_url_is_normalised_after_joining(void **state)
{
	(void)state;
	expect_ok(input("zookeeper:.//a//b/", "c1", "/p//q/", NULL), "c1:2181", "/p/q/a/b",
		  "config");
}

static void test_relative_dot_alone_is_the_config_path(void **state)
{
	(void)state;
	expect_ok(input("zookeeper:.", "c1", "/p", NULL), "c1:2181", "/p", "config");
	expect_ok(input("zookeeper:./", "c1", "/p", NULL), "c1:2181", "/p", "config");
	expect_ok(input("zookeeper:./", "c1", NULL, NULL), "c1:2181", "/asab", "config");
}

static void test_no_url_uses_config_path(void **state)
{
	(void)state;
	expect_ok(input(NULL, "c1", "/conf/path", NULL), "c1:2181", "/conf/path", "config");
}

static void test_no_url_uses_default_asab_path(void **state)
{
	(void)state;
	expect_ok(input(NULL, "c1", NULL, NULL), "c1:2181", "/asab", "config");
	expect_ok(input(NULL, NULL, NULL, "e1"), "e1:2181", "/asab", "environment");
}

static void test_relative_config_path_is_taken_from_root(void **state)
{
	(void)state;
	expect_ok(input(NULL, "c1", "myfolder", NULL), "c1:2181", "/myfolder", "config");
	expect_ok(input(NULL, "c1", "my/folder/", NULL), "c1:2181", "/my/folder", "config");
}

static void test_empty_config_path_is_the_root(void **state)
{
	(void)state;
	expect_ok(input(NULL, "c1", "", NULL), "c1:2181", "/", "config");
	expect_ok(input("zookeeper:./a", "c1", "", NULL), "c1:2181", "/a", "config");
}

static void test_absolute_url_does_not_use_config_path(void **state)
{
	(void)state;
	/* A bad config path is not checked when nothing uses it. */
	expect_ok(input("zookeeper:///a", "c1", "/x/../y", NULL), "c1:2181", "/a", "config");
}

/* --- precedence ---------------------------------------------------------- */

static void test_url_servers_override_config_and_env(void **state)
{
	(void)state;
	expect_ok(input("zookeeper://u1:1/a", "c1:2", "/p", "e1:3"), "u1:1", "/a", "URL");
}

static void test_config_servers_override_env(void **state)
{
	(void)state;
	expect_ok(input("zookeeper:///a", "c1:2", NULL, "e1:3"), "c1:2", "/a", "config");
	expect_ok(input(NULL, "c1:2", NULL, "e1:3"), "c1:2", "/asab", "config");
}

static void test_env_servers_are_used_when_url_and_config_have_none(void **state)
{
	(void)state;
	expect_ok(input("zookeeper:///a", NULL, NULL, "e1:3,e2"), "e1:3,e2:2181", "/a",
		  "environment");
	expect_ok(input("zookeeper:./a", NULL, "/p", "e1:3"), "e1:3", "/p/a", "environment");
	expect_ok(input(NULL, NULL, "/p", "e1:3"), "e1:3", "/p", "environment");
}

static void test_no_servers_anywhere_names_all_three_places(void **state)
{
	(void)state;
	expect_err(input("zookeeper:///a", NULL, NULL, NULL),
		   "no ZooKeeper servers: not in the URL \"zookeeper:///a\"",
		   "not in [zookeeper] of /etc/zkfs/zkfs.conf, and "
		   "$ASAB_ZOOKEEPER_SERVERS is not set");
}

static void test_no_servers_names_the_section_looked_at(void **state)
{
	(void)state;
	struct source_input in = input(NULL, NULL, NULL, NULL);

	in.section = "other";
	in.conf_file = "/my.conf";
	expect_err(in, "not in the URL (none given)", "not in [other] of /my.conf");
}

static void test_no_servers_without_config_file_says_none_was_read(void **state)
{
	(void)state;
	struct source_input in = input("zk:./a", NULL, NULL, NULL);

	in.conf_file = NULL;
	expect_err(in, "not in a config file (none was read)",
		   "$ASAB_ZOOKEEPER_SERVERS is not set");
}

/* --- path normalisation -------------------------------------------------- */

static void test_double_slashes_collapse(void **state)
{
	(void)state;
	expect_path("//a///b//c", "/a/b/c");
	expect_ok(input("zookeeper://h1//a//b", NULL, NULL, NULL), "h1:2181", "/a/b", "URL");
}

static void test_trailing_slash_is_stripped(void **state)
{
	(void)state;
	expect_path("/a/b/", "/a/b");
	expect_path("/a/b///", "/a/b");
	expect_ok(input("zookeeper:///a/b/", "c1", NULL, NULL), "c1:2181", "/a/b", "config");
}

static void test_root_is_a_single_slash(void **state)
{
	(void)state;
	expect_path("/", "/");
	expect_path("///", "/");
	expect_path("", "/");
	expect_ok(input("zookeeper:///", "c1", NULL, NULL), "c1:2181", "/", "config");
	expect_ok(input("zookeeper:////", "c1", NULL, NULL), "c1:2181", "/", "config");
	expect_ok(input("zookeeper://", "c1", NULL, NULL), "c1:2181", "/", "config");
}

static void test_relative_path_is_taken_from_root(void **state)
{
	(void)state;
	expect_path("a/b", "/a/b");
}

static void test_dot_component_is_rejected(void **state)
{
	(void)state;
	expect_path_err("/a/./b", "\".\" components are not allowed");
	expect_path_err("/a/.", "\".\"");
	expect_err(input("zookeeper:///a/./b", "c1", NULL, NULL), "zookeeper:///a/./b",
		   "\".\" components are not allowed");
}

static void test_dotdot_component_is_rejected(void **state)
{
	(void)state;
	expect_path_err("/a/../b", "\"..\" components are not allowed");
	expect_path_err("..", "\"..\"");
	expect_err(input("zookeeper://h1/a/..", NULL, NULL, NULL), "zookeeper://h1/a/..",
		   "\"..\" components are not allowed");
	expect_err(input("zookeeper:./../x", "c1", "/p", NULL), "zookeeper:./../x", "\"..\"");
}

static void test_dotdot_in_config_path_is_rejected_naming_file(void **state)
{
	(void)state;
	expect_err(input(NULL, "c1", "/a/../b", NULL),
		   "path in [zookeeper] of /etc/zkfs/zkfs.conf", "\"..\" components");
	expect_err(input("zk:./x", "c1", "./b", NULL),
		   "path in [zookeeper] of /etc/zkfs/zkfs.conf", "\".\" components");
}

static void test_dots_inside_names_are_kept(void **state)
{
	(void)state;
	expect_path("/a..b/.c/..d/e.", "/a..b/.c/..d/e.");
}

/* --- server normalisation ------------------------------------------------ */

static void test_default_port_is_2181(void **state)
{
	(void)state;
	expect_servers("h1", "h1:2181");
	expect_servers("h1,h2:2182,10.0.0.1", "h1:2181,h2:2182,10.0.0.1:2181");
}

static void test_blanks_around_items_are_ignored(void **state)
{
	(void)state;
	expect_servers("  h1:1 ,\th2 ,h3\t", "h1:1,h2:2181,h3:2181");
}

static void test_ipv6_in_brackets_is_allowed(void **state)
{
	(void)state;
	expect_servers("[::1]:2182", "[::1]:2182");
	expect_servers("[::1]", "[::1]:2181");
	expect_servers("[fe80::1%eth0]:5,h1", "[fe80::1%eth0]:5,h1:2181");
	expect_ok(input("zookeeper://[::1]:2182,h1/a", NULL, NULL, NULL),
		  "[::1]:2182,h1:2181", "/a", "URL");
}

static void test_unbracketed_ipv6_is_rejected(void **state)
{
	(void)state;
	expect_servers_err("::1", "\"::1\"", "must be in brackets");
	expect_servers_err("fe80::1:2181", "\"fe80::1:2181\"", "must be in brackets");
}

static void test_malformed_brackets_are_rejected(void **state)
{
	(void)state;
	expect_servers_err("[::1", "\"[::1\"", "bad IPv6 address");
	expect_servers_err("[]:2181", "\"[]:2181\"", "bad IPv6 address");
	expect_servers_err("[host]:2181", "\"[host]:2181\"", "bad IPv6 address");
	expect_servers_err("[::1]x", "\"[::1]x\"", "after ']'");
}

static void test_port_bounds_are_1_to_65535(void **state)
{
	(void)state;
	expect_servers("h:1", "h:1");
	expect_servers("h:65535", "h:65535");
	expect_servers_err("h:0", "\"h:0\"", "bad port \"0\"");
	expect_servers_err("h:65536", "\"h:65536\"", "1..65535");
	expect_servers_err("h:99999999999999999999", "bad port", "1..65535");
}

static void test_port_must_be_digits_only(void **state)
{
	(void)state;
	expect_servers_err("h:21a", "\"h:21a\"", "bad port");
	expect_servers_err("h:+80", "\"h:+80\"", "bad port");
	expect_servers_err("h:-1", "\"h:-1\"", "bad port");
	expect_servers_err("h: 80", "\"h: 80\"", "bad port");
	expect_servers_err("h:", "\"h:\"", "bad port \"\"");
}

static void test_port_leading_zeros_are_dropped(void **state)
{
	(void)state;
	expect_servers("h:02181", "h:2181");
}

static void test_empty_item_is_rejected(void **state)
{
	(void)state;
	expect_servers_err("h1,,h2", "empty item", "\"h1,,h2\"");
	expect_servers_err("h1,", "empty item", "\"h1,\"");
	expect_servers_err(",h1", "empty item", "\",h1\"");
	expect_servers_err("h1, ,h2", "empty item", "\"h1, ,h2\"");
}

static void test_empty_list_is_rejected(void **state)
{
	(void)state;
	expect_servers_err("", "empty server list", NULL);
	expect_servers_err(" \t", "empty server list", NULL);
}

static void test_empty_host_is_rejected(void **state)
{
	(void)state;
	expect_servers_err(":2181", "\":2181\"", "empty host");
}

static void test_bad_host_character_is_rejected(void **state)
{
	(void)state;
	expect_servers_err("user@h1", "\"user@h1\"", "bad character '@'");
	expect_servers_err("h 1", "\"h 1\"", "bad character ' '");
}

/* --- URL and source errors ---------------------------------------------- */

static void test_url_with_only_a_comma_is_an_empty_item(void **state)
{
	(void)state;
	expect_err(input("zookeeper://,/x", "c1", NULL, "e1"), "SOURCE \"zookeeper://,/x\"",
		   "empty item");
}

static void test_url_with_empty_host_is_rejected(void **state)
{
	(void)state;
	expect_err(input("zookeeper://:2181/x", "c1", NULL, "e1"),
		   "SOURCE \"zookeeper://:2181/x\"", "empty host");
}

static void test_url_with_blank_servers_is_an_empty_list(void **state)
{
	(void)state;
	expect_err(input("zookeeper:// /x", "c1", NULL, NULL), "zookeeper:// /x",
		   "empty server list");
}

static void test_url_with_bad_port_is_rejected(void **state)
{
	(void)state;
	expect_err(input("zookeeper://h1:70000/x", NULL, NULL, NULL),
		   "zookeeper://h1:70000/x", "bad port \"70000\"");
}

static void test_unknown_scheme_is_rejected(void **state)
{
	(void)state;
	expect_err(input("http://h/x", "c1", NULL, NULL), "\"http://h/x\"",
		   "unknown scheme \"http:\"");
}

static void test_zookeepers_typo_is_an_unknown_scheme(void **state)
{
	(void)state;
	expect_err(input("zookeepers:///x", "c1", NULL, NULL), "\"zookeepers:///x\"",
		   "unknown scheme \"zookeepers:\"");
	expect_err(input("zookeper://h/x", "c1", NULL, NULL), "\"zookeper://h/x\"",
		   "unknown scheme");
}

static void test_text_without_scheme_is_not_a_url(void **state)
{
	(void)state;
	expect_err(input("/a/b", "c1", NULL, NULL), "SOURCE \"/a/b\"", "not a ZooKeeper URL");
	expect_err(input("", "c1", NULL, NULL), "SOURCE \"\"", "not a ZooKeeper URL");
	expect_err(input("h1:2181", "c1", NULL, NULL), "\"h1:2181\"", "unknown scheme \"h1:\"");
}

static void test_malformed_text_after_scheme_is_rejected(void **state)
{
	(void)state;
	expect_err(input("zookeeper:a/b", "c1", NULL, NULL), "\"zookeeper:a/b\"",
		   "malformed URL");
	expect_err(input("zookeeper:../a", "c1", NULL, NULL), "\"zookeeper:../a\"",
		   "malformed URL");
	expect_err(input("zookeeper:", "c1", NULL, NULL), "\"zookeeper:\"", "malformed URL");
}

static void test_bad_config_servers_are_an_error_naming_file_and_section(void **state)
{
	(void)state;
	expect_err(input("zookeeper:///a", "h1,,h2", NULL, "e1"),
		   "servers in [zookeeper] of /etc/zkfs/zkfs.conf", "empty item");
}

static void test_empty_config_servers_are_an_error_not_a_fallback(void **state)
{
	(void)state;
	expect_err(input(NULL, "", NULL, "e1"),
		   "servers in [zookeeper] of /etc/zkfs/zkfs.conf", "empty server list");
}

static void test_bad_env_servers_are_an_error_naming_the_variable(void **state)
{
	(void)state;
	expect_err(input(NULL, NULL, NULL, "h1:x"), "$ASAB_ZOOKEEPER_SERVERS",
		   "bad port \"x\"");
	expect_err(input(NULL, NULL, NULL, ""), "$ASAB_ZOOKEEPER_SERVERS",
		   "empty server list");
}

static void test_errors_are_one_line_even_with_control_characters(void **state)
{
	(void)state;
	expect_err(input("zookeeper://h\n1/a", NULL, NULL, NULL), "zookeeper://h?1/a",
		   "bad character");
	expect_err(input("zookeeper:///a/\r\n/..", "c1", NULL, NULL), "\"..\"", NULL);
}

static void test_error_text_is_truncated_to_errlen(void **state)
{
	(void)state;
	struct source_input in = input("http://x", NULL, NULL, NULL);
	struct source s;
	char err[8];

	assert_int_equal(source_resolve(&in, &s, err, sizeof(err)), -1);
	assert_int_equal(strlen(err), sizeof(err) - 1);
}

static void test_very_long_path_and_server_list_are_kept_whole(void **state)
{
	(void)state;
	size_t n = 100000;
	char *url = malloc(n + 32), *want = malloc(n + 8);

	assert_non_null(url);
	assert_non_null(want);
	strcpy(url, "zookeeper:///");
	memset(url + 13, 'x', n);
	url[13 + n] = '\0';
	want[0] = '/';
	memset(want + 1, 'x', n);
	want[n + 1] = '\0';
	expect_ok(input(url, "c1", NULL, NULL), "c1:2181", want, "config");
	free(url);
	free(want);

	char *list = malloc(2 * n + 1);
	assert_non_null(list);
	for (size_t i = 0; i < n; i++) {
		list[2 * i] = 'h';
		list[2 * i + 1] = ',';
	}
	list[2 * n - 1] = '\0';
	char err[ERRLEN];
	char *s = source_normalize_servers(list, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(strlen(s), n * strlen("h:2181,") - 1);
	free(s);
	free(list);
}

static void test_source_free_is_idempotent(void **state)
{
	(void)state;
	struct source_input in = input("zk://h1/a", NULL, NULL, NULL);
	struct source s;
	char err[ERRLEN];

	assert_int_equal(source_resolve(&in, &s, err, sizeof(err)), 0);
	source_free(&s);
	source_free(&s);
	source_free(NULL);
	assert_null(s.servers);
	assert_null(s.base_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absolute_url_gives_servers_and_path),
		cmocka_unit_test(test_zk_alias_scheme_is_accepted),
		cmocka_unit_test(test_scheme_is_matched_without_case),
		cmocka_unit_test(test_triple_slash_url_takes_servers_from_config),
		cmocka_unit_test(test_triple_slash_url_takes_servers_from_env_without_config),
		cmocka_unit_test(test_single_slash_url_is_an_absolute_path),
		cmocka_unit_test(test_url_servers_without_path_mean_root),
		cmocka_unit_test(test_relative_url_joins_config_path),
		cmocka_unit_test(test_relative_url_uses_default_asab_path),
		cmocka_unit_test(test_relative_url_with_relative_config_path),
		cmocka_unit_test(test_relative_url_with_root_config_path),
		cmocka_unit_test(test_relative_url_is_normalised_after_joining),
		cmocka_unit_test(test_relative_dot_alone_is_the_config_path),
		cmocka_unit_test(test_no_url_uses_config_path),
		cmocka_unit_test(test_no_url_uses_default_asab_path),
		cmocka_unit_test(test_relative_config_path_is_taken_from_root),
		cmocka_unit_test(test_empty_config_path_is_the_root),
		cmocka_unit_test(test_absolute_url_does_not_use_config_path),
		cmocka_unit_test(test_url_servers_override_config_and_env),
		cmocka_unit_test(test_config_servers_override_env),
		cmocka_unit_test(test_env_servers_are_used_when_url_and_config_have_none),
		cmocka_unit_test(test_no_servers_anywhere_names_all_three_places),
		cmocka_unit_test(test_no_servers_names_the_section_looked_at),
		cmocka_unit_test(test_no_servers_without_config_file_says_none_was_read),
		cmocka_unit_test(test_double_slashes_collapse),
		cmocka_unit_test(test_trailing_slash_is_stripped),
		cmocka_unit_test(test_root_is_a_single_slash),
		cmocka_unit_test(test_relative_path_is_taken_from_root),
		cmocka_unit_test(test_dot_component_is_rejected),
		cmocka_unit_test(test_dotdot_component_is_rejected),
		cmocka_unit_test(test_dotdot_in_config_path_is_rejected_naming_file),
		cmocka_unit_test(test_dots_inside_names_are_kept),
		cmocka_unit_test(test_default_port_is_2181),
		cmocka_unit_test(test_blanks_around_items_are_ignored),
		cmocka_unit_test(test_ipv6_in_brackets_is_allowed),
		cmocka_unit_test(test_unbracketed_ipv6_is_rejected),
		cmocka_unit_test(test_malformed_brackets_are_rejected),
		cmocka_unit_test(test_port_bounds_are_1_to_65535),
		cmocka_unit_test(test_port_must_be_digits_only),
		cmocka_unit_test(test_port_leading_zeros_are_dropped),
		cmocka_unit_test(test_empty_item_is_rejected),
		cmocka_unit_test(test_empty_list_is_rejected),
		cmocka_unit_test(test_empty_host_is_rejected),
		cmocka_unit_test(test_bad_host_character_is_rejected),
		cmocka_unit_test(test_url_with_only_a_comma_is_an_empty_item),
		cmocka_unit_test(test_url_with_empty_host_is_rejected),
		cmocka_unit_test(test_url_with_blank_servers_is_an_empty_list),
		cmocka_unit_test(test_url_with_bad_port_is_rejected),
		cmocka_unit_test(test_unknown_scheme_is_rejected),
		cmocka_unit_test(test_zookeepers_typo_is_an_unknown_scheme),
		cmocka_unit_test(test_text_without_scheme_is_not_a_url),
		cmocka_unit_test(test_malformed_text_after_scheme_is_rejected),
		cmocka_unit_test(test_bad_config_servers_are_an_error_naming_file_and_section),
		cmocka_unit_test(test_empty_config_servers_are_an_error_not_a_fallback),
		cmocka_unit_test(test_bad_env_servers_are_an_error_naming_the_variable),
		cmocka_unit_test(test_errors_are_one_line_even_with_control_characters),
		cmocka_unit_test(test_error_text_is_truncated_to_errlen),
		cmocka_unit_test(test_very_long_path_and_server_list_are_kept_whole),
		cmocka_unit_test(test_source_free_is_idempotent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
