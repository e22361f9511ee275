/*
 * auth — the credentials file of `-o auth_file=FILE` (SPEC.md §8): one
 * `scheme:user:password` per line (ZooKeeper's digest scheme: `digest:`),
 * blank lines and lines starting with '#' ignored.
 *
 * The file is refused unless it is a regular file that neither group nor
 * others may read or write (like ssh's private keys): credentials never come
 * from argv or the environment. Nothing here ever prints a credential; errors
 * name the file and the line only. The memory holding them is wiped on free.
 */
#ifndef ZKFS_AUTH_H
#define ZKFS_AUTH_H

#include <stddef.h>

struct auth_cred {
	char *scheme;    /* "digest" */
	char *cert;      /* "user:password", as zoo_add_auth takes it */
	size_t len;      /* strlen(cert) */
};

struct auth {
	struct auth_cred *creds;
	size_t n;
};

/* Load `path`. 0, or -1 with one line in `err` (the file, the line number,
 * what is wrong: never the line's text). On error *out is empty. */
int auth_load(const char *path, struct auth *out, char *err, size_t errlen);

/* Wipe and free. A zeroed struct auth is fine. */
void auth_free(struct auth *a);

#endif
