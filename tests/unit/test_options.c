/*
 * test_options — the command line of options.h: every row of the table
 * parses into its field, the defaults, the flags, the checks and their
 * messages, what is dropped for mount(8) and what is left for libfuse, and
 * --help listing every row that has a help line. (That every row is in
 * zkfs(8), zkfs.conf(5) and the mount helper is test_manpages and test_helper.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"

#define ERRLEN 512
#define MAXARGS 16

#define assert_contains(hay, needle)                                          \
	do {                                                                  \
		if (strstr((hay), (needle)) == NULL)                          \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle)); \
	} while (0)

/* What one parse gave. */
struct parsed {
	int rc;
	char err[ERRLEN];
	struct options o;
};

/* Parse "zkfs ARGS..." (a NULL-terminated list). */
static void parse_argv(struct parsed *p, const char *const *args)
{
	char *argv[MAXARGS + 1];
	int argc = 0;

	argv[argc++] = (char *)"zkfs";
	for (; *args != NULL; args++) {
		assert_true(argc < MAXARGS);
		argv[argc++] = (char *)*args;
	}
	argv[argc] = NULL;
	memset(p, 0, sizeof(*p));
	p->rc = options_parse(argc, argv, &p->o, p->err, sizeof(p->err));
}

#define PARSE(p, ...) parse_argv((p), (const char *const[]){ __VA_ARGS__, NULL })

/* Parse and expect success. */
#define PARSE_OK(p, ...)                                                      \
	do {                                                                  \
		PARSE(p, __VA_ARGS__);                                        \
		if ((p)->rc != 0)                                             \
			fail_msg("options_parse failed: %s", (p)->err);       \
	} while (0)

/* Parse, expect -1 and a message containing `msg`. */
#define PARSE_FAILS(msg, ...)                                                 \
	do {                                                                  \
		struct parsed p_;                                             \
		PARSE(&p_, __VA_ARGS__);                                      \
		assert_int_equal(p_.rc, -1);                                  \
		assert_contains(p_.err, (msg));                               \
		options_free(&p_.o);                                          \
	} while (0)

/* The arguments left for fuse_session_new, after argv[0], joined by ' '. */
static const char *fuse_rest(const struct options *o, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int i = 1; i < o->fuse.argc; i++) {
		if (i > 1)
			strncat(buf, " ", len - strlen(buf) - 1);
		strncat(buf, o->fuse.argv[i], len - strlen(buf) - 1);
	}
	return buf;
}

static const struct option_spec *row(const char *name)
{
	for (size_t i = 0; i < options_count; i++)
		if (strcmp(options_table[i].name, name) == 0)
			return &options_table[i];
	fail_msg("no row '%s' in the options table", name);
	return NULL;
}

/* ---------------------------------------------------------------- the table */

static void test_table_rows_are_complete_and_unique(void **state)
{
	(void)state;
	assert_true(options_count >= 20);
	for (size_t i = 0; i < options_count; i++) {
		const struct option_spec *r = &options_table[i];

		assert_non_null(r->name);
		for (size_t j = i + 1; j < options_count; j++)
			if (strcmp(r->name, options_table[j].name) == 0)
				fail_msg("'%s' has two rows", r->name);
		switch (r->kind) {
		case OPT_STRING:
		case OPT_UINT:
		case OPT_ULONG:
		case OPT_DOUBLE:
		case OPT_OCTAL:
		case OPT_ID:
			/* a value: a template NAME=%x, a placeholder and a help line */
			assert_int_equal(strncmp(r->templ, r->name, strlen(r->name)), 0);
			assert_int_equal(r->templ[strlen(r->name)], '=');
			assert_non_null(r->arg);
			assert_non_null(r->help);
			assert_true(r->helper_passes);
			break;
		case OPT_SWITCH:
		case OPT_FUSE:
			assert_string_equal(r->templ, r->name);
			assert_null(r->arg);
			/* a flag is not an -o option: mount.zkfs has flags of its own */
			assert_true(r->helper_passes == (r->name[0] != '-'));
			break;
		case OPT_DROP:
		case OPT_DROP_PREFIX:
			assert_null(r->help);
			assert_false(r->helper_passes);
			assert_null(r->conf_key);
			break;
		}
		if (r->kind == OPT_ID) {
			assert_non_null(r->set_templ);
			assert_int_equal(strncmp(r->set_templ, r->templ, strlen(r->set_templ)), 0);
		}
	}
}

static void test_defaults_come_from_the_table(void **state)
{
	struct parsed p;

	(void)state;
	PARSE_OK(&p, "/mnt");
	assert_int_equal(p.o.timeout, row("timeout")->def.u);
	assert_int_equal(p.o.timeout, 10);
	assert_int_equal(p.o.session_timeout, 10);
	assert_true(p.o.cache_timeout == 300.0);
	assert_true(p.o.cache_timeout == row("cache_timeout")->def.d);
	assert_int_equal(p.o.max_size, ZKFS_DEFAULT_MAX_SIZE);
	assert_int_equal(p.o.max_size, 1047552);
	assert_int_equal(p.o.umask, 0);
	assert_null(p.o.config);
	assert_null(p.o.section);
	assert_null(p.o.datafile);
	assert_null(p.o.auth_file);
	assert_null(p.o.acl);
	assert_null(p.o.source);
	assert_false(p.o.uid_set);
	assert_false(p.o.gid_set);
	assert_false(p.o.ro);
	assert_false(p.o.allow_other);
	assert_false(p.o.foreground);
	assert_false(p.o.debug);
	assert_false(p.o.show_help);
	assert_false(p.o.show_version);
	assert_int_equal(p.o.fuse.argc, 1);
	assert_string_equal(p.o.fuse.argv[0], "zkfs");
	options_free(&p.o);
}

/* Every value row: -o NAME=VALUE lands in its field (by the row's offset). */
static void test_every_value_row_parses_into_its_field(void **state)
{
	char opt[128];
	int n = 0;

	(void)state;
	for (size_t i = 0; i < options_count; i++) {
		const struct option_spec *r = &options_table[i];
		const char *value;
		struct parsed p;

		switch (r->kind) {
		case OPT_STRING: value = "read"; break;  /* valid for acl= too */
		case OPT_UINT:   value = "7"; break;
		case OPT_ULONG:  value = "4096"; break;
		case OPT_DOUBLE: value = "2.5"; break;
		case OPT_OCTAL:  value = "027"; break;
		case OPT_ID:     value = "42"; break;
		default: continue;
		}
		snprintf(opt, sizeof(opt), "%s=%s", r->name, value);
		PARSE_OK(&p, "-o", opt, "/mnt");
		const char *f = (const char *)&p.o + r->offset;
		switch (r->kind) {
		case OPT_STRING:
			assert_string_equal(*(char *const *)f, "read");
			break;
		case OPT_UINT:
			assert_int_equal(*(const unsigned *)f, 7);
			break;
		case OPT_ULONG:
			assert_int_equal(*(const unsigned long *)f, 4096);
			break;
		case OPT_DOUBLE:
			assert_true(*(const double *)f == 2.5);
			break;
		case OPT_OCTAL:
			assert_int_equal(*(const unsigned *)f, 027);
			break;
		case OPT_ID:
			assert_int_equal(*(const unsigned *)f, 42);
			assert_int_equal(*(const int *)((const char *)&p.o + r->set_offset), 1);
			break;
		default:
			break;
		}
		/* consumed by zkfs: nothing of it reaches libfuse */
		assert_int_equal(p.o.fuse.argc, 1);
		options_free(&p.o);
		n++;
	}
	assert_true(n >= 11);
}

static void test_each_named_option_sets_its_field(void **state)
{
	struct parsed p;

	(void)state;
	PARSE_OK(&p, "-o", "config=/etc/a.conf,section=prod,datafile=_data", "-o",
		 "timeout=3,session_timeout=30,cache_timeout=0,max_size=1000",
		 "-o", "auth_file=/etc/zkfs/app.auth,acl=creator", "-o", "uid=1000,gid=100,umask=022",
		 "zookeeper://zk1:2181/app", "/mnt/app");
	assert_string_equal(p.o.config, "/etc/a.conf");
	assert_string_equal(p.o.section, "prod");
	assert_string_equal(p.o.datafile, "_data");
	assert_int_equal(p.o.timeout, 3);
	assert_int_equal(p.o.session_timeout, 30);
	assert_true(p.o.cache_timeout == 0.0);
	assert_int_equal(p.o.max_size, 1000);
	assert_string_equal(p.o.auth_file, "/etc/zkfs/app.auth");
	assert_string_equal(p.o.acl, "creator");
	assert_int_equal(p.o.uid, 1000);
	assert_int_equal(p.o.gid, 100);
	assert_true(p.o.uid_set && p.o.gid_set);
	assert_int_equal(p.o.umask, 022);
	assert_string_equal(p.o.source, "zookeeper://zk1:2181/app");
	assert_string_equal(p.o.mountpoint, "/mnt/app");
	options_free(&p.o);
}

static void test_one_argument_is_the_mount_point_two_are_source_and_mount_point(void **state)
{
	struct parsed p;

	(void)state;
	PARSE_OK(&p, "/mnt");
	assert_null(p.o.source);
	assert_string_equal(p.o.mountpoint, "/mnt");
	options_free(&p.o);
	PARSE_OK(&p, "/mnt", "-f");   /* flags after the arguments too */
	assert_string_equal(p.o.mountpoint, "/mnt");
	assert_true(p.o.foreground);
	options_free(&p.o);
}

static void test_a_string_given_twice_keeps_the_last(void **state)
{
	struct parsed p;

	(void)state;
	PARSE_OK(&p, "-o", "config=/a", "-o", "config=/b,section=x,section=y", "/mnt");
	assert_string_equal(p.o.config, "/b");
	assert_string_equal(p.o.section, "y");
	options_free(&p.o);
}

static void test_uid_and_gid_are_set_only_when_given(void **state)
{
	struct parsed p;

	(void)state;
	PARSE_OK(&p, "-o", "uid=0", "/mnt");
	assert_int_equal(p.o.uid, 0);
	assert_true(p.o.uid_set);
	assert_false(p.o.gid_set);
	options_free(&p.o);
}

static void test_umask_is_octal(void **state)
{
	struct parsed p;

	(void)state;
	PARSE_OK(&p, "-o", "umask=777", "/mnt");
	assert_int_equal(p.o.umask, 0777);
	options_free(&p.o);
}

static void test_ro_and_rw_the_last_one_wins(void **state)
{
	struct parsed p;

	(void)state;
	PARSE_OK(&p, "-o", "ro", "/mnt");
	assert_true(p.o.ro);
	assert_int_equal(p.o.fuse.argc, 1);   /* zkfs refuses writes itself */
	options_free(&p.o);
	PARSE_OK(&p, "-o", "ro,rw", "/mnt");
	assert_false(p.o.ro);
	options_free(&p.o);
	PARSE_OK(&p, "-o", "rw", "-o", "ro", "/mnt");
	assert_true(p.o.ro);
	options_free(&p.o);
}

static void test_allow_other_goes_to_libfuse_with_default_permissions(void **state)
{
	struct parsed p;
	char buf[256];

	(void)state;
	PARSE_OK(&p, "-o", "allow_other,ro", "/mnt");
	assert_true(p.o.allow_other);
	assert_string_equal(fuse_rest(&p.o, buf, sizeof(buf)),
			    "-o allow_other -odefault_permissions");
	options_free(&p.o);
}

static void test_flags_f_d_and_o_debug(void **state)
{
	struct parsed p;

	(void)state;
	PARSE_OK(&p, "-f", "/mnt");
	assert_true(p.o.foreground);
	assert_false(p.o.debug);
	options_free(&p.o);
	PARSE_OK(&p, "-d", "/mnt");
	assert_true(p.o.debug);
	assert_true(p.o.foreground);   /* -d implies -f */
	options_free(&p.o);
	PARSE_OK(&p, "-o", "debug", "/mnt");
	assert_true(p.o.debug);
	assert_true(p.o.foreground);
	assert_int_equal(p.o.fuse.argc, 1);   /* not passed to libfuse */
	options_free(&p.o);
}

static void test_help_and_version_need_no_mount_point(void **state)
{
	const char *const help[] = { "-h", "--help" }, *const version[] = { "-V", "--version" };
	struct parsed p;

	(void)state;
	for (int i = 0; i < 2; i++) {
		PARSE_OK(&p, help[i]);
		assert_true(p.o.show_help);
		assert_false(p.o.show_version);
		options_free(&p.o);
		PARSE_OK(&p, version[i]);
		assert_true(p.o.show_version);
		assert_false(p.o.show_help);
		options_free(&p.o);
	}
	/* ... and skip the checks of values */
	PARSE_OK(&p, "-o", "timeout=0", "--help");
	assert_true(p.o.show_help);
	options_free(&p.o);
}

/* ---------------------------------------------------------------- dropped, passed on */

static void test_mount8_options_are_dropped(void **state)
{
	char opt[64], buf[256];
	struct parsed p;
	int n = 0;

	(void)state;
	for (size_t i = 0; i < options_count; i++) {
		const struct option_spec *r = &options_table[i];

		if (r->kind == OPT_DROP)
			snprintf(opt, sizeof(opt), "%s", r->name);
		else if (r->kind == OPT_DROP_PREFIX)
			snprintf(opt, sizeof(opt), "%ssomething=x", r->name);
		else
			continue;
		PARSE_OK(&p, "-o", opt, "/mnt");
		if (p.o.fuse.argc != 1)
			fail_msg("-o %s reached libfuse: %s", opt, fuse_rest(&p.o, buf, sizeof(buf)));
		options_free(&p.o);
		n++;
	}
	assert_int_equal(n, 12);
	/* the list mount(8) and systemd pass from an fstab line, among zkfs's own */
	PARSE_OK(&p, "-o", "_netdev,nofail,auto,noauto,user,users,nouser,defaults,owner,group", "-o",
		 "x-systemd.automount,x-systemd.requires=zk.service,comment=a b,ro", "/mnt");
	assert_true(p.o.ro);
	assert_int_equal(p.o.fuse.argc, 1);
	options_free(&p.o);
}

static void test_other_options_are_left_for_libfuse(void **state)
{
	struct parsed p;
	char buf[256];

	(void)state;
	/* "comment" without '=' and "user=" are not on the drop list */
	PARSE_OK(&p, "-o", "dev,suid,bogus,comment,user=bob", "/mnt");
	assert_string_equal(fuse_rest(&p.o, buf, sizeof(buf)), "-o dev,suid,bogus,comment,user=bob");
	options_free(&p.o);
}

/* ---------------------------------------------------------------- errors */

static void test_no_mount_point_is_an_error(void **state)
{
	(void)state;
	PARSE_FAILS("no mount point given (see zkfs --help)", "-f");
	PARSE_FAILS("no mount point given", "-o", "ro");
}

static void test_three_arguments_are_an_error(void **state)
{
	(void)state;
	PARSE_FAILS("too many arguments: 'c'", "a", "b", "c");
}

static void test_unknown_flag_is_an_error(void **state)
{
	(void)state;
	PARSE_FAILS("unknown option '-x'", "-x", "/mnt");
	PARSE_FAILS("unknown option '--bogus'", "--bogus", "/mnt");
	PARSE_FAILS("unknown option '-q'", "-o", "-q", "/mnt");
}

static void test_a_value_that_does_not_scan_is_an_error(void **state)
{
	(void)state;
	PARSE_FAILS("cannot parse the command line", "-o", "timeout=abc", "/mnt");
	PARSE_FAILS("cannot parse the command line", "-o", "uid=x", "/mnt");
	PARSE_FAILS("cannot parse the command line", "-o", "umask=9", "/mnt");   /* not octal */
	PARSE_FAILS("cannot parse the command line", "-o");                      /* no value */
}

static void test_timeouts_must_be_at_least_one_second(void **state)
{
	(void)state;
	PARSE_FAILS("timeout and session_timeout must be at least 1 second",
		    "-o", "timeout=0", "/mnt");
	PARSE_FAILS("timeout and session_timeout must be at least 1 second",
		    "-o", "session_timeout=0", "/mnt");
	PARSE_FAILS("cache_timeout must not be negative", "-o", "cache_timeout=-1", "/mnt");
}

static void test_max_size_is_bounded_by_jute_maxbuffer(void **state)
{
	struct parsed p;

	(void)state;
	PARSE_FAILS("max_size must be between 1 and 1047552 bytes", "-o", "max_size=0", "/mnt");
	PARSE_FAILS("max_size must be between 1 and 1047552 bytes",
		    "-o", "max_size=1047553", "/mnt");
	PARSE_OK(&p, "-o", "max_size=1047552", "/mnt");
	options_free(&p.o);
	PARSE_OK(&p, "-o", "max_size=1", "/mnt");
	options_free(&p.o);
}

static void test_acl_is_open_creator_or_read(void **state)
{
	struct parsed p;

	(void)state;
	PARSE_FAILS("acl=world: must be open, creator or read", "-o", "acl=world", "/mnt");
	PARSE_FAILS("acl=creator needs credentials (-o auth_file=FILE)", "-o", "acl=creator", "/mnt");
	PARSE_OK(&p, "-o", "acl=open", "/mnt");
	options_free(&p.o);
	PARSE_OK(&p, "-o", "acl=read", "/mnt");
	options_free(&p.o);
}

static void test_bad_umask_is_an_error(void **state)
{
	(void)state;
	PARSE_FAILS("umask must be octal, at most 0777", "-o", "umask=1000", "/mnt");
}

/* ---------------------------------------------------------------- --help */

/* options_usage() into *text (malloc'd). */
static void usage_text(char **text, size_t *len)
{
	FILE *f = open_memstream(text, len);

	assert_non_null(f);
	options_usage(f, "zkfs");
	assert_int_equal(fclose(f), 0);
}

static void test_help_lists_every_table_option_with_its_default(void **state)
{
	char *text = NULL, want[256];
	size_t len = 0;

	(void)state;
	usage_text(&text, &len);
	assert_contains(text, "usage: zkfs [-f] [-d] [-o OPT[,OPT...]] [SOURCE] MOUNTPOINT\n");
	for (size_t i = 0; i < options_count; i++) {
		const struct option_spec *r = &options_table[i];

		if (r->help == NULL) {
			/* not listed: the drop kinds, and aliases of listed rows */
			if (r->kind == OPT_SWITCH)
				assert_true(strcmp(r->name, "rw") == 0 || strcmp(r->name, "debug") == 0);
			continue;
		}
		if (r->name[0] == '-')
			snprintf(want, sizeof(want), "\n  %s%s%s ", r->name, r->alias ? ", " : "",
				 r->alias ? r->alias : "");
		else if (r->arg)
			snprintf(want, sizeof(want), "\n  -o %s=%s ", r->name, r->arg);
		else
			snprintf(want, sizeof(want), "\n  -o %s ", r->name);
		assert_contains(text, want);
		char *line = strstr(text, want) + 1;
		size_t n = strcspn(line, "\n");
		char copy[256];
		snprintf(copy, sizeof(copy), "%.*s", (int)n, line);
		assert_contains(copy, r->help);
		if (r->kind == OPT_STRING && r->def_text) {
			snprintf(want, sizeof(want), "(default %s)", r->def_text);
			assert_contains(copy, want);
		}
	}
	assert_contains(text, "  -o timeout=SEC         bound on every ZooKeeper wait (default 10)\n");
	assert_contains(text, "  -o cache_timeout=SEC   how long the kernel may keep names and "
			      "attributes (default 300)\n");
	assert_contains(text, "(default 1047552)");
	assert_contains(text, "  -o umask=OOO           mask for every mode shown (default 0)\n");
	assert_contains(text, "  -o config=FILE         config file (default " ZKFS_DEFAULT_CONFIG ")\n");
	assert_contains(text, "  -o session_timeout=SEC session timeout");
	assert_contains(text, "  -o acl=open|creator|read  ACL of created znodes");
	assert_contains(text, "  -h, --help             this help\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_rows_are_complete_and_unique),
		cmocka_unit_test(test_defaults_come_from_the_table),
		cmocka_unit_test(test_every_value_row_parses_into_its_field),
		cmocka_unit_test(test_each_named_option_sets_its_field),
		cmocka_unit_test(test_one_argument_is_the_mount_point_two_are_source_and_mount_point),
		cmocka_unit_test(test_a_string_given_twice_keeps_the_last),
		cmocka_unit_test(test_uid_and_gid_are_set_only_when_given),
		cmocka_unit_test(test_umask_is_octal),
		cmocka_unit_test(test_ro_and_rw_the_last_one_wins),
		cmocka_unit_test(test_allow_other_goes_to_libfuse_with_default_permissions),
		cmocka_unit_test(test_flags_f_d_and_o_debug),
		cmocka_unit_test(test_help_and_version_need_no_mount_point),
		cmocka_unit_test(test_mount8_options_are_dropped),
		cmocka_unit_test(test_other_options_are_left_for_libfuse),
		cmocka_unit_test(test_no_mount_point_is_an_error),
		cmocka_unit_test(test_three_arguments_are_an_error),
		cmocka_unit_test(test_unknown_flag_is_an_error),
		cmocka_unit_test(test_a_value_that_does_not_scan_is_an_error),
		cmocka_unit_test(test_timeouts_must_be_at_least_one_second),
		cmocka_unit_test(test_max_size_is_bounded_by_jute_maxbuffer),
		cmocka_unit_test(test_acl_is_open_creator_or_read),
		cmocka_unit_test(test_bad_umask_is_an_error),
		cmocka_unit_test(test_help_lists_every_table_option_with_its_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
