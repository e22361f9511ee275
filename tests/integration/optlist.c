/*
 * optlist — prints the options table of src/options.c, one row a line, for the
 * shell tests that hold it against the man pages (test_manpages) and the
 * mount helper (test_helper). Tab-separated columns:
 *
 *   NAME    the flag ("-f", "--help") or the -o option ("timeout", "x-")
 *   FORM    flag         a command-line flag, not an -o option
 *           switch       -o NAME
 *           value        -o NAME=VALUE
 *           drop         -o NAME, for mount(8)/systemd only: zkfs drops it
 *           drop-prefix  -o NAME..., any option that starts with NAME: dropped
 *   HELPER  pass or drop: what mount.zkfs does with it
 *   LISTED  help or -: whether zkfs --help lists it (else it is an alias or a
 *           drop kind)
 *   CONF    its key in zkfs.conf(5), or -
 *
 * A flag's alias ("--help" of "-h") is a line of its own.
 */
#include <stdio.h>

#include "options.h"

static const char *form(const struct option_spec *r)
{
	if (r->name[0] == '-')
		return "flag";
	switch (r->kind) {
	case OPT_SWITCH:
	case OPT_FUSE:
		return "switch";
	case OPT_DROP:
		return "drop";
	case OPT_DROP_PREFIX:
		return "drop-prefix";
	default:
		return "value";
	}
}

static void row(const char *name, const struct option_spec *r)
{
	printf("%s\t%s\t%s\t%s\t%s\n", name, form(r), r->helper_passes ? "pass" : "drop",
	       r->help ? "help" : "-", r->conf_key ? r->conf_key : "-");
}

int main(void)
{
	for (size_t i = 0; i < options_count; i++) {
		row(options_table[i].name, &options_table[i]);
		if (options_table[i].alias)
			row(options_table[i].alias, &options_table[i]);
	}
	return ferror(stdout) || fflush(stdout) != 0 ? 1 : 0;
}
