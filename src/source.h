/*
 * source — the container's resolution: a zookeeper:// URL, a config section and
 * $ASAB_ZOOKEEPER_SERVERS become one list of servers and one base path
 * (SPEC.md §2). Pure string work: no I/O, no FUSE, no ZooKeeper.
 *
 * URL forms (scheme "zookeeper:" or its alias "zk:"):
 *   zookeeper://h1:2181,h2:2181/a/b   servers from the URL, base /a/b
 *   zookeeper:///a/b                  servers from config, else env; base /a/b
 *   zookeeper:./a/b                   servers from config, else env; base config path + /a/b
 *   (no URL)                          servers from config, else env; base config path
 * Precedence for servers: URL > config > environment.
 * Config path defaults to "/asab" (as ASAB does); a relative config path
 * ("myfolder") is taken from the root ("/myfolder").
 *
 * Normalisation: "//" collapses, a trailing "/" goes, "." and ".." components
 * are rejected, the root is "/". Servers: "host[:port]" or "[v6addr][:port]",
 * comma-separated, blanks around items ignored, default port 2181, port 1..65535,
 * an empty item or empty list is an error.
 */
#ifndef ZKFS_SOURCE_H
#define ZKFS_SOURCE_H

#include <stddef.h>

struct source_input {
	const char *url;          /* SOURCE argument, NULL when none */
	const char *conf_servers; /* config `servers`, NULL when absent */
	const char *conf_path;    /* config `path`, NULL when absent */
	const char *env_servers;  /* getenv("ASAB_ZOOKEEPER_SERVERS"), NULL when unset */
	const char *conf_file;    /* for messages: the config file looked at */
	const char *section;      /* for messages: the section looked at */
};

struct source {
	char *servers;     /* normalised "h1:2181,h2:2181" (malloc'd) */
	char *base_path;   /* normalised absolute znode path, "/" for the root (malloc'd) */
	const char *servers_origin; /* static text: "URL", "config", "environment" */
};

/*
 * Resolve. Returns 0 and fills `out`, or -1 with one clear line in `err`
 * (no trailing newline) and `out` zeroed. Errors: unknown scheme, malformed
 * URL, empty host list or item, bad port, "." or ".." in a path, and no servers
 * anywhere, whose message names all three places looked (the URL, the config
 * file and section, and $ASAB_ZOOKEEPER_SERVERS).
 */
int source_resolve(const struct source_input *in, struct source *out,
		   char *err, size_t errlen);

void source_free(struct source *s);

/* Normalise an absolute or relative path (relative paths are taken from the
 * root). Returns a malloc'd string, or NULL with `err` set. */
char *source_normalize_path(const char *path, char *err, size_t errlen);

/* Normalise a server list. Returns a malloc'd string, or NULL with `err` set. */
char *source_normalize_servers(const char *servers, char *err, size_t errlen);

#endif
