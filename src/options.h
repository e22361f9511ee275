/*
 * options — the command line: `zkfs [-f] [-d] [-o OPT[,OPT...]] [SOURCE] MOUNTPOINT`.
 *
 * Every flag and every -o option is one row of `options_table` (options.c):
 * its name, its kind, the field of struct options it sets, its default, its
 * --help line, its zkfs.conf(5) key and whether mount.zkfs(8) passes it on.
 * options_parse() builds its fuse_opt table and applies the defaults from the
 * rows, options_usage() prints the rows; tests check every row against
 * zkfs(8), zkfs.conf(5) and the mount helper.
 *
 * Options that only mean something to mount(8) or systemd (_netdev, nofail,
 * auto, noauto, user, users, nouser, owner, group, defaults, x-*, comment=)
 * are rows too, and are dropped. Any other option is left in `fuse` for
 * fuse_session_new(), which refuses what it does not know ("unknown option").
 */
#ifndef ZKFS_OPTIONS_H
#define ZKFS_OPTIONS_H

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define ZKFS_DEFAULT_CONFIG "/etc/zkfs/zkfs.conf"   /* meson's sysconfdir is /etc */
#define ZKFS_DEFAULT_SECTION "zookeeper"
#define ZKFS_DEFAULT_DATAFILE ".data"
#define ZKFS_DEFAULT_MAX_SIZE (1024ul * 1024 - 1024)   /* 1 MiB less 1 KiB */

struct options {
	char *source;            /* SOURCE, NULL when absent */
	char *mountpoint;        /* MOUNTPOINT as given */
	char *config;            /* -o config=, NULL: ZKFS_DEFAULT_CONFIG */
	char *section;           /* -o section=, NULL: ZKFS_DEFAULT_SECTION */
	char *datafile;          /* -o datafile=, NULL: ZKFS_DEFAULT_DATAFILE */
	unsigned timeout;        /* -o timeout=SEC, default 10 */
	unsigned session_timeout;/* -o session_timeout=SEC, default 10 */
	double cache_timeout;    /* -o cache_timeout=SEC, default 300 */
	unsigned long max_size;  /* -o max_size=BYTES, default ZKFS_DEFAULT_MAX_SIZE */
	unsigned uid, gid, umask;/* -o uid=, gid=, umask= (octal) */
	int uid_set, gid_set;
	char *auth_file;         /* -o auth_file=, NULL: no credentials */
	char *acl;               /* -o acl=open|creator|read, NULL: by auth_file */
	int allow_other;         /* -o allow_other (adds default_permissions) */
	int ro;                  /* -o ro, 0 again with -o rw */
	int noremote_events;     /* -o noremote_events: remote changes raise no
	                          * inotify events; 0 again with -o remote_events */
	int foreground;          /* -f (or -d) */
	int debug;               /* -d, -o debug */
	int show_help;           /* -h, --help */
	int show_version;        /* -V, --version */
	struct fuse_args fuse;   /* for fuse_session_new: argv[0] and mount options */
};

/* What a row is, and so how it is given and what it does. */
enum option_kind {
	OPT_SWITCH,       /* `-f` or `-o ro`: sets an int field to `value` */
	OPT_STRING,       /* `-o NAME=TEXT`: a malloc'd copy (the last one given) */
	OPT_UINT,         /* `-o NAME=N`, unsigned, decimal */
	OPT_ULONG,        /* `-o NAME=N`, unsigned long, decimal */
	OPT_DOUBLE,       /* `-o NAME=X`, double */
	OPT_OCTAL,        /* `-o NAME=OOO`, unsigned, octal */
	OPT_ID,           /* `-o NAME=N`, unsigned, and sets the int field NAME_set to 1 */
	OPT_FUSE,         /* `-o NAME`: a libfuse option, passed on; sets an int field
			   * to 1 and adds `implies` to what libfuse gets */
	OPT_DROP,         /* `-o NAME`: for mount(8)/systemd only, dropped */
	OPT_DROP_PREFIX,  /* `-o NAME...`: every option that starts with NAME, dropped */
};

/*
 * One row of the table. The fuse_opt template, the field and the kind agree
 * (the row macros in options.c check the field's type at compile time).
 */
struct option_spec {
	const char *name;        /* "timeout", "ro", or a flag "-f" */
	enum option_kind kind;
	const char *templ;       /* fuse_opt template: "timeout=%u", "ro", "-f" */
	size_t offset;           /* the field of struct options (not for the drop kinds) */
	const char *set_templ;   /* OPT_ID: "NAME=", the template that sets NAME_set */
	size_t set_offset;       /* OPT_ID: the field NAME_set */
	int value;               /* OPT_SWITCH: the value stored (1, or 0 for "rw") */
	const char *alias;       /* OPT_SWITCH: another spelling doing the same, shown
				  * after the name in --help ("--help" of "-h"), or NULL */
	const char *implies;     /* OPT_FUSE: the argument added for libfuse */
	union {
		unsigned long u;     /* OPT_UINT, OPT_ULONG, OPT_OCTAL */
		double d;            /* OPT_DOUBLE */
	} def;                   /* default of the numeric kinds, set by options_parse */
	const char *def_text;    /* OPT_STRING: what NULL in the field means, shown
				  * as "(default X)"; NULL: nothing shown */
	const char *arg;         /* --help: the value's placeholder ("SEC") */
	const char *help;        /* --help: the line; NULL: not listed (an alias
				  * such as "rw" or "debug", or a drop kind) */
	const char *conf_key;    /* key of zkfs.conf's section that sets it, or NULL */
	bool helper_passes;      /* mount.zkfs(8) passes it on to zkfs */
};

extern const struct option_spec options_table[];
extern const size_t options_count;

/* Parse argv. Returns 0, or -1 with a one-line message in `err`. Either way
 * `o` is filled in (defaults from the table) and must be freed with
 * options_free(). `-d` implies `-f`. */
int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen);

/* The usage line, then one line per table row that has a help line. */
void options_usage(FILE *out, const char *prog);

void options_free(struct options *o);

#endif
