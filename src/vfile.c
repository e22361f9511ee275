#include "vfile.h"

#include <errno.h>
#include <string.h>

#include "fsops_int.h"

/* `.state`: the state's text, a snapshot taken at open. */
static int open_state(struct fs *fs, struct fs_file *fh, struct fs_open_reply *reply)
{
	(void)reply;
	fh->text_len = virt_state_text(&fs->virt, fh->text, sizeof(fh->text));
	return 0;
}

static off_t size_state(struct fs *fs)
{
	char text[16];

	return (off_t)virt_state_text(&fs->virt, text, sizeof(text));
}

/* `.events`: a reader of the transitions from the open on. */
static int open_events(struct fs *fs, struct fs_file *fh, struct fs_open_reply *reply)
{
	fh->reader = events_open(fs->events);
	if (!fh->reader)
		return ENOMEM;
	reply->nonseekable = true;
	return 0;
}

static const struct vfile table[] = {
	{ .name = ".state", .ino = VFILE_STATE_INO, .mode = 0444, .listed = true,
	  .write_err = EACCES, .name_err = EPERM, .open = open_state, .size = size_state },
	{ .name = ".events", .ino = VFILE_EVENTS_INO, .mode = 0444, .listed = false,
	  .write_err = EACCES, .name_err = EPERM, .open = open_events },
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

const struct vfile *vfile_by_name(uint64_t parent, const char *name)
{
	if (parent != NODE_ROOT_INO)
		return NULL;
	for (size_t i = 0; i < NTABLE; i++)
		if (strcmp(name, table[i].name) == 0)
			return &table[i];
	return NULL;
}

const struct vfile *vfile_by_ino(uint64_t ino)
{
	for (size_t i = 0; i < NTABLE; i++)
		if (table[i].ino == ino)
			return &table[i];
	return NULL;
}

const struct vfile *vfile_at(size_t i)
{
	return i < NTABLE ? &table[i] : NULL;
}

void vfile_attr(struct fs *fs, const struct vfile *v, struct stat *a)
{
	memset(a, 0, sizeof(*a));
	a->st_ino = v->ino;
	a->st_mode = S_IFREG | (v->mode & ~fs->cfg.umask & 07777);
	a->st_nlink = 1;
	a->st_uid = fs->cfg.uid;
	a->st_gid = fs->cfg.gid;
	a->st_size = v->size ? v->size(fs) : 0;
	a->st_blksize = 4096;
	a->st_mtim = virt_state_changed(&fs->virt);
	a->st_ctim = a->st_mtim;
	a->st_atim = a->st_mtim;
}
