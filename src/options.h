/*
 * options — the command line: `zkfs [-f] [-d] [-o OPT[,OPT...]] [SOURCE] MOUNTPOINT`,
 * parsed with one fuse_opt table. zkfs's own options are kept here; options
 * that only mean something to mount(8) or systemd (_netdev, nofail, auto,
 * noauto, user, users, nouser, defaults, x-*, comment=) are dropped; everything
 * else is left in `fuse` for fuse_session_new(), which refuses what it does not
 * know ("unknown option").
 */
#ifndef ZKFS_OPTIONS_H
#define ZKFS_OPTIONS_H

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdio.h>

#define ZKFS_DEFAULT_CONFIG "/etc/zkfs/zkfs.conf"   /* meson's sysconfdir is /etc */
#define ZKFS_DEFAULT_MAX_SIZE (1024ul * 1024 - 1024)   /* 1 MiB less 1 KiB */

struct options {
	char *source;            /* SOURCE, NULL when absent */
	char *mountpoint;        /* MOUNTPOINT as given */
	char *config;            /* -o config=, NULL: the default file */
	char *section;           /* -o section=, NULL: "zookeeper" */
	char *datafile;          /* -o datafile=, NULL: ".data" */
	unsigned timeout;        /* -o timeout=SEC, default 10 */
	unsigned session_timeout;/* -o session_timeout=SEC, default 10 */
	double cache_timeout;    /* -o cache_timeout=SEC, default 300 */
	unsigned long max_size;  /* -o max_size=BYTES, default ZKFS_DEFAULT_MAX_SIZE */
	unsigned uid, gid, umask;/* -o uid=, gid=, umask= (octal) */
	int uid_set, gid_set;
	char *auth_file;         /* -o auth_file=, NULL: no credentials */
	char *acl;               /* -o acl=open|creator|read, NULL: by auth_file */
	int allow_other;         /* -o allow_other (adds default_permissions) */
	int ro;                  /* -o ro */
	int foreground;          /* -f (or -d) */
	int debug;               /* -d */
	int show_help;           /* -h, --help */
	int show_version;        /* -V, --version */
	struct fuse_args fuse;   /* for fuse_session_new: argv[0] and mount options */
};

/* Parse argv. Returns 0, or -1 with a one-line message in `err`. */
int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen);

void options_usage(FILE *out, const char *prog);

void options_free(struct options *o);

#endif
