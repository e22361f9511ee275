#include "options.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum { KEY_HELP, KEY_VERSION, KEY_FOREGROUND, KEY_DEBUG, KEY_DROP, KEY_ALLOW_OTHER };

#define ZKFS_OPT(t, f, v) { t, offsetof(struct options, f), v }

static const struct fuse_opt option_table[] = {
	ZKFS_OPT("config=%s", config, 0),
	ZKFS_OPT("section=%s", section, 0),
	ZKFS_OPT("datafile=%s", datafile, 0),
	ZKFS_OPT("timeout=%u", timeout, 0),
	ZKFS_OPT("session_timeout=%u", session_timeout, 0),
	ZKFS_OPT("cache_timeout=%lf", cache_timeout, 0),
	ZKFS_OPT("max_size=%lu", max_size, 0),
	ZKFS_OPT("auth_file=%s", auth_file, 0),
	ZKFS_OPT("acl=%s", acl, 0),
	FUSE_OPT_KEY("allow_other", KEY_ALLOW_OTHER),
	ZKFS_OPT("uid=%u", uid, 0),
	ZKFS_OPT("uid=", uid_set, 1),
	ZKFS_OPT("gid=%u", gid, 0),
	ZKFS_OPT("gid=", gid_set, 1),
	ZKFS_OPT("umask=%o", umask, 0),
	ZKFS_OPT("ro", ro, 1),
	ZKFS_OPT("rw", ro, 0),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("-f", KEY_FOREGROUND),
	FUSE_OPT_KEY("-d", KEY_DEBUG),
	FUSE_OPT_KEY("debug", KEY_DEBUG),
	FUSE_OPT_KEY("_netdev", KEY_DROP),
	FUSE_OPT_KEY("nofail", KEY_DROP),
	FUSE_OPT_KEY("auto", KEY_DROP),
	FUSE_OPT_KEY("noauto", KEY_DROP),
	FUSE_OPT_KEY("user", KEY_DROP),
	FUSE_OPT_KEY("users", KEY_DROP),
	FUSE_OPT_KEY("nouser", KEY_DROP),
	FUSE_OPT_KEY("defaults", KEY_DROP),
	FUSE_OPT_KEY("owner", KEY_DROP),
	FUSE_OPT_KEY("group", KEY_DROP),
	FUSE_OPT_END
};

/* fuse_opt_parse takes one pointer for both the offsets and option_proc, so the
 * options come first. */
struct parse_ctx {
	struct options o;
	char *err;
	size_t errlen;
	int nonopts;
};

static int option_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct parse_ctx *c = data;
	struct options *o = &c->o;

	(void)outargs;
	switch (key) {
	case KEY_HELP:
		o->show_help = 1;
		return 0;
	case KEY_VERSION:
		o->show_version = 1;
		return 0;
	case KEY_FOREGROUND:
		o->foreground = 1;
		return 0;
	case KEY_DEBUG:
		o->foreground = 1;
		o->debug = 1;
		return 0;
	case KEY_DROP:
		return 0;
	case KEY_ALLOW_OTHER:
		/* Other users see the files: let the kernel check the modes shown. */
		o->allow_other = 1;
		return fuse_opt_add_arg(outargs, "-odefault_permissions") == 0 ? 1 : -1;
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
		if (strncmp(arg, "x-", 2) == 0 || strncmp(arg, "comment=", 8) == 0)
			return 0;
		if (arg[0] == '-' && arg[1] != 'o') {
			snprintf(c->err, c->errlen, "unknown option '%s'", arg);
			return -1;
		}
		return 1;   /* a mount option for fuse_session_new to judge */
	default:
		return 1;
	}
}

int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	struct parse_ctx c = { .err = err, .errlen = errlen };
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);

	c.o.timeout = 10;
	c.o.session_timeout = 10;
	c.o.cache_timeout = 300;
	c.o.max_size = ZKFS_DEFAULT_MAX_SIZE;
	err[0] = '\0';
	if (fuse_opt_parse(&args, &c, option_table, option_proc) != 0) {
		if (!err[0])
			snprintf(err, errlen, "cannot parse the command line");
		fuse_opt_free_args(&args);
		c.o.fuse = (struct fuse_args)FUSE_ARGS_INIT(0, NULL);
		*o = c.o;
		return -1;
	}
	c.o.fuse = args;
	*o = c.o;
	/* One argument is the mount point; two are SOURCE MOUNTPOINT. */
	if (o->source && !o->mountpoint) {
		o->mountpoint = o->source;
		o->source = NULL;
	}
	if (o->show_help || o->show_version)
		return 0;
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

void options_usage(FILE *out, const char *prog)
{
	fprintf(out,
"usage: %s [-f] [-d] [-o OPT[,OPT...]] [SOURCE] MOUNTPOINT\n"
"\n"
"Mount a ZooKeeper subtree. SOURCE is zookeeper://HOST:PORT[,HOST:PORT...]/PATH,\n"
"zookeeper:///PATH or zookeeper:./PATH (servers from the config file or\n"
"$ASAB_ZOOKEEPER_SERVERS); without SOURCE the config section decides.\n"
"\n"
"  -f                     stay in the foreground\n"
"  -d                     debug: foreground, verbose log\n"
"  -h, --help             this help\n"
"  -V, --version          the version\n"
"  -o config=FILE         config file (default " ZKFS_DEFAULT_CONFIG ")\n"
"  -o section=NAME        config section (default zookeeper)\n"
"  -o timeout=SEC         bound on every ZooKeeper wait (default 10)\n"
"  -o session_timeout=SEC session timeout asked of the server (default 10)\n"
"  -o cache_timeout=SEC   how long the kernel may keep names and attributes (default 300)\n"
"  -o max_size=BYTES      largest value a write may make (default 1047552)\n"
"  -o auth_file=FILE      credentials, scheme:user:password per line (mode 0600)\n"
"  -o acl=open|creator|read  ACL of created znodes (default: open; creator with auth_file)\n"
"  -o datafile=NAME       name of a directory's own data file (default .data)\n"
"  -o uid=N,gid=N         owner shown (default: the mounting user)\n"
"  -o umask=OOO           mask for every mode shown (default 0)\n"
"  -o ro                  read-only: every modifying call fails with EROFS\n"
"  -o allow_other, ...    FUSE mount options\n", prog);
}

void options_free(struct options *o)
{
	free(o->source);
	free(o->mountpoint);
	free(o->config);
	free(o->section);
	free(o->datafile);
	free(o->auth_file);
	free(o->acl);
	fuse_opt_free_args(&o->fuse);
}
