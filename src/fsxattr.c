/* Extended attributes user.zookeeper.* (read-only) and statfs. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsops_int.h"

#define XATTR_PREFIX "user.zookeeper."

static const char *const xattr_keys[] = {
	"czxid", "mzxid", "pzxid", "ctime", "mtime", "version", "cversion",
	"aversion", "ephemeralOwner", "dataLength", "numChildren", "acl",
};
#define NKEYS (sizeof(xattr_keys) / sizeof(xattr_keys[0]))

/* zxids and the owner session in hex as zkCli shows them, the rest in decimal. */
static int format_stat(const struct zstat *st, size_t key, char **value)
{
	switch (key) {
	case 0: return asprintf(value, "0x%" PRIx64, (uint64_t)st->czxid);
	case 1: return asprintf(value, "0x%" PRIx64, (uint64_t)st->mzxid);
	case 2: return asprintf(value, "0x%" PRIx64, (uint64_t)st->pzxid);
	case 3: return asprintf(value, "%" PRId64, st->ctime_ms);
	case 4: return asprintf(value, "%" PRId64, st->mtime_ms);
	case 5: return asprintf(value, "%" PRId32, st->version);
	case 6: return asprintf(value, "%" PRId32, st->cversion);
	case 7: return asprintf(value, "%" PRId32, st->aversion);
	case 8: return asprintf(value, "0x%" PRIx64, (uint64_t)st->ephemeral_owner);
	case 9: return asprintf(value, "%" PRId32, st->data_length);
	default: return asprintf(value, "%" PRId32, st->num_children);
	}
}

static int get_acl(struct fs *fs, uint64_t ino, char **value, size_t *len)
{
	struct node *n;
	char *path = NULL;
	int rc;

	node_lock(fs->nt);
	n = node_by_ino(fs->nt, ino);
	if (n && n->entry)
		path = strdup(n->entry->path);
	rc = !n || !n->entry ? ENOENT : path ? 0 : ENOMEM;
	node_unlock(fs->nt);
	if (rc == 0)
		rc = fs->be.ops->get_acl(fs->be.impl, path, value);
	free(path);
	if (rc == 0)
		*len = strlen(*value);
	return rc;
}

int fs_getxattr(struct fs *fs, uint64_t ino, const char *name, char **value, size_t *len)
{
	struct zfetch f = { 0 };
	struct facts facts;
	struct node *n;
	size_t key;
	int rc;

	if (vfile_by_ino(ino) || strncmp(name, XATTR_PREFIX, strlen(XATTR_PREFIX)) != 0)
		return ENODATA;
	name += strlen(XATTR_PREFIX);
	for (key = 0; key < NKEYS && strcmp(name, xattr_keys[key]) != 0; key++)
		;
	if (key == NKEYS)
		return ENODATA;
	if (strcmp(name, "acl") == 0)
		return get_acl(fs, ino, value, len);
	node_lock(fs->nt);
	n = node_by_ino(fs->nt, ino);
	rc = n ? fs_node_facts(fs, n, &f, &facts) : ENOENT;
	if (rc == 0) {
		int l = format_stat(&facts.stat, key, value);
		if (l < 0)
			rc = ENOMEM;
		else
			*len = (size_t)l;
	}
	node_unlock(fs->nt);
	zfetch_clear(&f);
	return rc;
}

/* The user.zookeeper.* names are readable, not listed: cp -a, mv and rsync -X
 * copy every listed attribute, and none of these can be set (on another
 * zkfs mount, or as stale copies on a local disk). */
int fs_listxattr(struct fs *fs, uint64_t ino, char **list, size_t *len)
{
	(void)fs;
	(void)ino;
	*list = NULL;
	*len = 0;
	return 0;
}

int fs_statfs(struct fs *fs, struct statvfs *st)
{
	memset(st, 0, sizeof(*st));
	st->f_bsize = 4096;
	st->f_frsize = 4096;
	st->f_namemax = 255;
	st->f_files = node_count_inodes(fs->nt);
	return 0;
}
