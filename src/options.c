/*
 * options — the command line, from one table. The contract is in options.h.
 *
 * To add a mount option: a field in struct options (options.h), a row below,
 * the code that uses the field, and its entry in zkfs(8). The fuse_opt table,
 * the default, the --help line, and the tests that hold the row against
 * zkfs(8), zkfs.conf(5) and mount.zkfs follow from the row; a check of the
 * value that the kind does not imply goes into options_parse().
 */
#include "options.h"

#include <stdlib.h>
#include <string.h>

/* The field of struct options, checked to be of type T at compile time (a
 * comparison of distinct pointer types is an error with -Werror). */
#define FIELD(f, T) (offsetof(struct options, f) + 0 * sizeof(&((struct options *)0)->f == (T *)0))

#define SWITCH(n, f, v) .name = n, .kind = OPT_SWITCH, .templ = n, .offset = FIELD(f, int), .value = v
#define VALUE(k, n, fmt, f, T) .name = n, .kind = k, .templ = n "=" fmt, .offset = FIELD(f, T)
#define STRING(n, f) VALUE(OPT_STRING, n, "%s", f, char *)
#define UINT(n, f)   VALUE(OPT_UINT, n, "%u", f, unsigned)
#define ULONG(n, f)  VALUE(OPT_ULONG, n, "%lu", f, unsigned long)
#define DOUBLE(n, f) VALUE(OPT_DOUBLE, n, "%lf", f, double)
#define OCTAL(n, f)  VALUE(OPT_OCTAL, n, "%o", f, unsigned)
#define ID(n, f)     VALUE(OPT_ID, n, "%u", f, unsigned), .set_templ = n "=", \
		     .set_offset = FIELD(f##_set, int)
#define FUSE(n, f)   .name = n, .kind = OPT_FUSE, .templ = n, .offset = FIELD(f, int)
#define DROP(n)      .name = n, .kind = OPT_DROP, .templ = n
#define DROP_PREFIX(n) .name = n, .kind = OPT_DROP_PREFIX

/*
 * In --help order. mount.zkfs passes on every -o option but the drop kinds
 * (the flags are zkfs's own; the helper has other ones). No row has a
 * zkfs.conf key: zkfs.conf(5) holds servers= and path=, which resolve the
 * source (conf.h, source.h), not options; a row that gets one needs
 * conf_load_section() to keep it too.
 */
const struct option_spec options_table[] = {
	{ SWITCH("-f", foreground, 1), .help = "stay in the foreground" },
	{ SWITCH("-d", debug, 1), .help = "debug: foreground, verbose log" },
	{ SWITCH("debug", debug, 1), .helper_passes = true },    /* -o debug: as -d */
	{ SWITCH("-h", show_help, 1), .alias = "--help", .help = "this help" },
	{ SWITCH("-V", show_version, 1), .alias = "--version", .help = "the version" },
	{ STRING("config", config), .arg = "FILE", .def_text = ZKFS_DEFAULT_CONFIG,
	  .help = "config file", .helper_passes = true },
	{ STRING("section", section), .arg = "NAME", .def_text = ZKFS_DEFAULT_SECTION,
	  .help = "config section", .helper_passes = true },
	{ UINT("timeout", timeout), .arg = "SEC", .def.u = 10,
	  .help = "bound on every ZooKeeper wait", .helper_passes = true },
	{ UINT("session_timeout", session_timeout), .arg = "SEC", .def.u = 10,
	  .help = "session timeout asked of the server", .helper_passes = true },
	{ DOUBLE("cache_timeout", cache_timeout), .arg = "SEC", .def.d = 300,
	  .help = "how long the kernel may keep names and attributes", .helper_passes = true },
	{ ULONG("max_size", max_size), .arg = "BYTES", .def.u = ZKFS_DEFAULT_MAX_SIZE,
	  .help = "largest value a write may make", .helper_passes = true },
	{ STRING("auth_file", auth_file), .arg = "FILE",
	  .help = "credentials, scheme:user:password per line (mode 0600)",
	  .helper_passes = true },
	{ STRING("acl", acl), .arg = "open|creator|read",
	  .help = "ACL of created znodes (default: open; creator with auth_file)",
	  .helper_passes = true },
	{ STRING("datafile", datafile), .arg = "NAME", .def_text = ZKFS_DEFAULT_DATAFILE,
	  .help = "name of a directory's own data file", .helper_passes = true },
	{ ID("uid", uid), .arg = "N", .help = "owner shown (default: the mounting user)",
	  .helper_passes = true },
	{ ID("gid", gid), .arg = "N", .help = "group shown (default: the mounting user's group)",
	  .helper_passes = true },
	{ OCTAL("umask", umask), .arg = "OOO", .def.u = 0,
	  .help = "mask for every mode shown", .helper_passes = true },
	{ SWITCH("ro", ro, 1), .help = "read-only: every modifying call fails with EROFS",
	  .helper_passes = true },
	{ SWITCH("rw", ro, 0), .helper_passes = true },          /* undoes ro, the default */
	{ SWITCH("noremote_events", noremote_events, 1),
	  .help = "changes by other clients raise no inotify events on the mount",
	  .helper_passes = true },
	{ SWITCH("remote_events", noremote_events, 0),
	  .help = "(the default) changes by other clients raise inotify events",
	  .helper_passes = true },
	{ FUSE("allow_other", allow_other), .implies = "-odefault_permissions",
	  .help = "let other users in (the kernel checks the modes shown)",
	  .helper_passes = true },
	{ DROP("_netdev") },
	{ DROP("nofail") },
	{ DROP("auto") },
	{ DROP("noauto") },
	{ DROP("user") },
	{ DROP("users") },
	{ DROP("nouser") },
	{ DROP("defaults") },
	{ DROP("owner") },
	{ DROP("group") },
	{ DROP_PREFIX("x-") },
	{ DROP_PREFIX("comment=") },
};
const size_t options_count = sizeof(options_table) / sizeof(options_table[0]);

#define NROWS (sizeof(options_table) / sizeof(options_table[0]))

/* Keys of the fuse_opt entries that call option_proc: a row of kind OPT_FUSE
 * has its index as key. */
enum { KEY_DROP = -100 };

static void *field(struct options *o, size_t offset)
{
	return (char *)o + offset;
}

/* The fuse_opt table of the rows: at most two entries a row, and the end. */
static void build_fuse_opts(struct fuse_opt *out)
{
	size_t n = 0;

	for (size_t i = 0; i < NROWS; i++) {
		const struct option_spec *r = &options_table[i];

		switch (r->kind) {
		case OPT_SWITCH:
			out[n++] = (struct fuse_opt){ r->templ, (unsigned long)r->offset, r->value };
			if (r->alias)
				out[n++] = (struct fuse_opt){ r->alias, (unsigned long)r->offset, r->value };
			break;
		case OPT_STRING:
		case OPT_UINT:
		case OPT_ULONG:
		case OPT_DOUBLE:
		case OPT_OCTAL:
			out[n++] = (struct fuse_opt){ r->templ, (unsigned long)r->offset, 0 };
			break;
		case OPT_ID:
			/* "uid=%u" stores the value, "uid=" (matching the same
			 * options) sets uid_set. */
			out[n++] = (struct fuse_opt){ r->templ, (unsigned long)r->offset, 0 };
			out[n++] = (struct fuse_opt){ r->set_templ, (unsigned long)r->set_offset, 1 };
			break;
		case OPT_FUSE:
			out[n++] = (struct fuse_opt)FUSE_OPT_KEY(r->templ, (int)i);
			break;
		case OPT_DROP:
			out[n++] = (struct fuse_opt)FUSE_OPT_KEY(r->templ, KEY_DROP);
			break;
		case OPT_DROP_PREFIX:   /* no template matches a prefix: option_proc */
			break;
		}
	}
	out[n] = (struct fuse_opt)FUSE_OPT_END;
}

/* fuse_opt_parse takes one pointer for both the offsets and option_proc, so the
 * options come first. */
struct parse_ctx {
	struct options o;
	char *err;
	size_t errlen;
	int nonopts;
};

static bool drop_by_prefix(const char *arg)
{
	for (size_t i = 0; i < NROWS; i++) {
		const struct option_spec *r = &options_table[i];

		if (r->kind == OPT_DROP_PREFIX && strncmp(arg, r->name, strlen(r->name)) == 0)
			return true;
	}
	return false;
}

static int option_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct parse_ctx *c = data;
	struct options *o = &c->o;

	switch (key) {
	case KEY_DROP:
		return 0;
	case FUSE_OPT_KEY_NONOPT:
		if (c->nonopts == 0) {
			o->source = strdup(arg);
		} else if (c->nonopts == 1) {
			o->mountpoint = strdup(arg);
		} else {
			snprintf(c->err, c->errlen, "too many arguments: '%s'", arg);
			return -1;
		}
		c->nonopts++;
		return 0;
	case FUSE_OPT_KEY_OPT:
		if (drop_by_prefix(arg))
			return 0;
		if (arg[0] == '-' && arg[1] != 'o') {
			snprintf(c->err, c->errlen, "unknown option '%s'", arg);
			return -1;
		}
		return 1;   /* a mount option for fuse_session_new to judge */
	default:
		if (key >= 0 && (size_t)key < NROWS && options_table[key].kind == OPT_FUSE) {
			const struct option_spec *r = &options_table[key];

			*(int *)field(o, r->offset) = 1;
			if (r->implies && fuse_opt_add_arg(outargs, r->implies) != 0)
				return -1;
		}
		return 1;
	}
}

static void set_defaults(struct options *o)
{
	for (size_t i = 0; i < NROWS; i++) {
		const struct option_spec *r = &options_table[i];

		switch (r->kind) {
		case OPT_UINT:
		case OPT_OCTAL:
			*(unsigned *)field(o, r->offset) = (unsigned)r->def.u;
			break;
		case OPT_ULONG:
			*(unsigned long *)field(o, r->offset) = r->def.u;
			break;
		case OPT_DOUBLE:
			*(double *)field(o, r->offset) = r->def.d;
			break;
		default:
			break;
		}
	}
}

/* The checks of values that their kind does not imply. */
static int check(const struct options *o, char *err, size_t errlen)
{
	if (!o->mountpoint) {
		snprintf(err, errlen, "no mount point given (see zkfs --help)");
		return -1;
	}
	if (o->timeout == 0 || o->session_timeout == 0) {
		snprintf(err, errlen, "timeout and session_timeout must be at least 1 second");
		return -1;
	}
	if (o->cache_timeout < 0) {
		snprintf(err, errlen, "cache_timeout must not be negative");
		return -1;
	}
	if (o->max_size == 0 || o->max_size > ZKFS_DEFAULT_MAX_SIZE) {
		snprintf(err, errlen, "max_size must be between 1 and %lu bytes "
			 "(ZooKeeper's jute.maxbuffer less its overhead)",
			 (unsigned long)ZKFS_DEFAULT_MAX_SIZE);
		return -1;
	}
	if (o->acl && strcmp(o->acl, "open") != 0 && strcmp(o->acl, "creator") != 0 &&
	    strcmp(o->acl, "read") != 0) {
		snprintf(err, errlen, "acl=%s: must be open, creator or read", o->acl);
		return -1;
	}
	if (o->acl && strcmp(o->acl, "creator") == 0 && !o->auth_file) {
		snprintf(err, errlen, "acl=creator needs credentials (-o auth_file=FILE)");
		return -1;
	}
	if (o->umask > 0777) {
		snprintf(err, errlen, "umask must be octal, at most 0777");
		return -1;
	}
	return 0;
}

int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	struct parse_ctx c = { .err = err, .errlen = errlen };
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_opt fopts[2 * NROWS + 1];

	build_fuse_opts(fopts);
	set_defaults(&c.o);
	err[0] = '\0';
	if (fuse_opt_parse(&args, &c, fopts, option_proc) != 0) {
		if (!err[0])
			snprintf(err, errlen, "cannot parse the command line");
		fuse_opt_free_args(&args);
		c.o.fuse = (struct fuse_args)FUSE_ARGS_INIT(0, NULL);
		*o = c.o;
		return -1;
	}
	c.o.fuse = args;
	*o = c.o;
	if (o->debug)
		o->foreground = 1;
	/* One argument is the mount point; two are SOURCE MOUNTPOINT. */
	if (o->source && !o->mountpoint) {
		o->mountpoint = o->source;
		o->source = NULL;
	}
	if (o->show_help || o->show_version)
		return 0;
	return check(o, err, errlen);
}

/* The left column of a row's --help line: "-h, --help", "-o timeout=SEC". */
static void usage_name(const struct option_spec *r, char *buf, size_t len)
{
	const char *o = r->name[0] == '-' ? "" : "-o ";

	if (r->arg)
		snprintf(buf, len, "%s%s=%s", o, r->name, r->arg);
	else if (r->alias)
		snprintf(buf, len, "%s%s, %s", o, r->name, r->alias);
	else
		snprintf(buf, len, "%s%s", o, r->name);
}

void options_usage(FILE *out, const char *prog)
{
	char name[64];

	fprintf(out,
"usage: %s [-f] [-d] [-o OPT[,OPT...]] [SOURCE] MOUNTPOINT\n"
"\n"
"Mount a ZooKeeper subtree. SOURCE is zookeeper://HOST:PORT[,HOST:PORT...]/PATH,\n"
"zookeeper:///PATH or zookeeper:./PATH (servers from the config file or\n"
"$ASAB_ZOOKEEPER_SERVERS); without SOURCE the config section decides.\n"
"\n", prog);
	for (size_t i = 0; i < NROWS; i++) {
		const struct option_spec *r = &options_table[i];

		if (!r->help)
			continue;
		usage_name(r, name, sizeof(name));
		/* A name wider than its column keeps two blanks before the text. */
		fprintf(out, "  %-22s%s%s", name, strlen(name) > 22 ? "  " : " ", r->help);
		switch (r->kind) {
		case OPT_STRING:
			if (r->def_text)
				fprintf(out, " (default %s)", r->def_text);
			break;
		case OPT_UINT:
		case OPT_ULONG:
			fprintf(out, " (default %lu)", r->def.u);
			break;
		case OPT_OCTAL:
			fprintf(out, " (default %s%lo)", r->def.u ? "0" : "", r->def.u);
			break;
		case OPT_DOUBLE:
			fprintf(out, " (default %g)", r->def.d);
			break;
		default:
			break;
		}
		fputc('\n', out);
	}
	fprintf(out, "  %-22s %s\n", "-o ...", "other FUSE mount options (mount.fuse3(8))");
}

void options_free(struct options *o)
{
	for (size_t i = 0; i < NROWS; i++) {
		const struct option_spec *r = &options_table[i];

		if (r->kind == OPT_STRING) {
			char **s = field(o, r->offset);

			free(*s);
			*s = NULL;
		}
	}
	free(o->source);
	free(o->mountpoint);
	o->source = NULL;
	o->mountpoint = NULL;
	fuse_opt_free_args(&o->fuse);
}
