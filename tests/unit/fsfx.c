/* fsfx — the fixture of the fsops unit tests (see fsfx.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "fsfx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* fs_read of a read-only handle: never a copy. */
/* The last rd()'s copy, which its *buf points into: freed by the next rd()
 * and by fx_teardown. */
static char *rd_copy;

int rd(struct fs *fs, struct fs_file *fh, size_t size, off_t off, const char **buf,
	      size_t *len)
{
	int rc;

	free(rd_copy);
	rd_copy = NULL;
	rc = fs_read(fs, fh, size, off, buf, len, &rd_copy);
	if (rc == 0)
		assert_ptr_equal(*buf, rd_copy);
	return rc;
}

/* ---- fixture ---- */

void forward_watch(void *ctx, enum zevent ev, const char *path)
{
	fs_on_watch(ctx, ev, path);
}

void forward_state(void *ctx, enum zstate state, bool expired)
{
	fs_on_state(ctx, state, expired);
}

static int open_with(void **state, mode_t umask_, bool ro, bool echo)
{
	struct fs_config cfg = {
		.base = BASE, .datafile = ".data", .uid = UID, .gid = GID,
		.umask = umask_, .cache_timeout = TIMEOUT, .ro = ro, .max_size = FX_MAX_SIZE,
		.remote_events = echo,
	};
	struct backend_events ev = { .on_watch = forward_watch, .on_state = forward_state };
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx || !(fx->m = memback_new()) || memback_create(fx->m, BASE, NULL, 0, false))
		return -1;
	fx->fs = fs_new(&cfg, memback_backend(fx->m), capture, &fx->sink);
	if (!fx->fs)
		return -1;
	ev.ctx = fx->fs;
	memback_set_events(fx->m, &ev);
	if (fs_start(fx->fs) != 0)     /* the revalidation's thread */
		return -1;
	*state = fx;
	return 0;
}

int open_fx(void **state, mode_t umask_, bool ro)
{
	return open_with(state, umask_, ro, false);
}

int fx_setup_echo(void **state)
{
	return open_with(state, 022, false, true);
}

int fx_setup(void **state)
{
	return open_fx(state, 022, false);
}

int fx_setup_umask027(void **state)
{
	return open_fx(state, 027, false);
}

int fx_setup_ro(void **state)
{
	return open_fx(state, 022, true);
}

int fx_teardown(void **state)
{
	struct fx *fx = *state;

	fs_free(fx->fs);
	memback_free(fx->m);
	sink_free(&fx->sink);
	free(fx);
	free(rd_copy);
	rd_copy = NULL;
	return 0;
}

/* ---- helpers ---- */

/* Create BASE/rel with `data` (NULL: empty). */
void mk(struct fx *fx, const char *rel, const char *data, bool ephemeral)
{
	char path[256];

	snprintf(path, sizeof(path), BASE "/%s", rel);
	assert_int_equal(memback_create(fx->m, path, data, data ? strlen(data) : 0, ephemeral), 0);
}

void set(struct fx *fx, const char *rel, const char *data)
{
	char path[256];

	snprintf(path, sizeof(path), rel[0] ? BASE "/%s" : BASE "%s", rel);
	assert_int_equal(memback_set(fx->m, path, data, strlen(data)), 0);
}

size_t fetches(struct fx *fx)
{
	return memback_fetch_count(fx->m);
}

/* A successful lookup; returns the entry. */
struct fs_entry lookup_entry(struct fx *fx, uint64_t parent, const char *name)
{
	struct fs_entry e;
	int rc = fs_lookup(fx->fs, parent, name, &e);

	if (rc != 0)
		fail_msg("lookup of \"%s\" in %llu: %s", name, (unsigned long long)parent,
			 strerror(rc));
	assert_int_not_equal(e.ino, 0);
	assert_int_equal(e.attr.st_ino, e.ino);
	return e;
}

uint64_t lookup(struct fx *fx, uint64_t parent, const char *name)
{
	return lookup_entry(fx, parent, name).ino;
}

mode_t type_of(struct fx *fx, const char *name)
{
	return lookup_entry(fx, NODE_ROOT_INO, name).attr.st_mode & S_IFMT;
}

/* The whole content of `ino` through fs_open/fs_read (malloc'd, NUL-terminated). */
char *read_all(struct fx *fx, uint64_t ino, size_t *lenp)
{
	struct fs_open_reply r;
	struct fs_file *fh;
	size_t len = 0, cap = 4096;
	char *out = malloc(cap + 1);
	int rc;

	assert_non_null(out);
	rc = fs_open(fx->fs, ino, O_RDONLY, 0, &fh, &r);
	if (rc != 0)
		fail_msg("open of %llu: %s", (unsigned long long)ino, strerror(rc));
	for (;;) {
		const char *buf;
		size_t n;

		assert_int_equal(rd(fx->fs, fh, 65536, (off_t)len, &buf, &n), 0);
		if (n == 0)
			break;
		while (len + n > cap) {
			cap *= 2;
			out = realloc(out, cap + 1);
			assert_non_null(out);
		}
		memcpy(out + len, buf, n);
		len += n;
	}
	fs_release(fx->fs, fh);
	out[len] = '\0';
	if (lenp)
		*lenp = len;
	return out;
}

void assert_content(struct fx *fx, uint64_t ino, const char *expect)
{
	char *got = read_all(fx, ino, NULL);

	assert_string_equal(got, expect);
	free(got);
}

bool open_keeps_cache(struct fx *fx, uint64_t ino)
{
	struct fs_open_reply r;
	struct fs_file *fh;

	assert_int_equal(fs_open(fx->fs, ino, O_RDONLY, 0, &fh, &r), 0);
	fs_release(fx->fs, fh);
	return r.keep_cache;
}

/* The names of a listing, joined by ' '. */
char *list_names(struct fx *fx, uint64_t ino)
{
	struct fs_dir *dh;
	const struct fs_dirent *d;
	size_t len = 0, cap = 256;
	char *out = malloc(cap);
	bool keep;
	int rc;

	assert_non_null(out);
	out[0] = '\0';
	rc = fs_opendir(fx->fs, ino, &dh, &keep);
	if (rc != 0)
		fail_msg("opendir of %llu: %s", (unsigned long long)ino, strerror(rc));
	for (size_t i = 0; (d = fs_readdir(dh, i)) != NULL; i++) {
		size_t n = strlen(d->name);
		while (len + n + 2 > cap) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		if (len)
			out[len++] = ' ';
		memcpy(out + len, d->name, n + 1);
		len += n;
	}
	fs_releasedir(fx->fs, dh);
	return out;
}

void assert_listing(struct fx *fx, uint64_t ino, const char *expect)
{
	char *got = list_names(fx, ino);

	assert_string_equal(got, expect);
	free(got);
}

struct node *table_node(struct fx *fx, uint64_t ino)
{
	struct node *n;

	node_lock(fs_table(fx->fs));
	n = node_by_ino(fs_table(fx->fs), ino);
	node_unlock(fs_table(fx->fs));
	return n;
}

void race_hook(void *ctx, struct memback *m, const char *const *paths, size_t n)
{
	struct race *r = ctx;

	if (r->fired++)
		return;
	switch (r->what) {
	case RACE_SET:
		assert_int_equal(memback_set(m, r->path, "raced", 5), 0);
		break;
	case RACE_CREATE:
		assert_int_equal(memback_create(m, r->path, "raced", 5, false), 0);
		break;
	case RACE_DELETE:
		assert_int_equal(memback_delete(m, r->path), 0);
		break;
	}
}

/* ---- writing (test_fswrite, test_fsraces) ---- */


struct zstat zstat_of(struct fx *fx, const char *rel)
{
	char path[256];
	struct zstat st;

	snprintf(path, sizeof(path), BASE "/%s", rel);
	assert_int_equal(memback_stat(fx->m, path, &st), 0);
	return st;
}

bool exists(struct fx *fx, const char *rel)
{
	char path[256];
	struct zstat st;

	snprintf(path, sizeof(path), BASE "/%s", rel);
	return memback_stat(fx->m, path, &st) == 0;
}

/* The value in the backend, read through a fresh lookup + open. */
void assert_value(struct fx *fx, const char *rel, const char *expect)
{
	assert_int_equal(zstat_of(fx, rel).data_length, (int32_t)strlen(expect));
	assert_content(fx, lookup(fx, NODE_ROOT_INO, rel), expect);
}

size_t writes(struct fx *fx)
{
	return memback_write_count(fx->m);
}

struct fs_file *wopen(struct fx *fx, uint64_t ino, int flags)
{
	struct fs_open_reply r;
	struct fs_file *fh = NULL;
	int rc = fs_open(fx->fs, ino, flags, 0, &fh, &r);

	if (rc)
		fail_msg("open of %llu for writing: %s", (unsigned long long)ino, strerror(rc));
	assert_true(r.direct_io);
	assert_false(r.noflush);      /* close commits */
	return fh;
}

void wr(struct fx *fx, struct fs_file *fh, const char *s, off_t off)
{
	assert_int_equal(fs_write(fx->fs, fh, s, strlen(s), off), 0);
}

/* create(2) through fs_create; the entry's lookup is counted. */
struct fs_file *creat_(struct fx *fx, const char *name, int flags, uint64_t *ino)
{
	struct fs_open_reply r;
	struct fs_entry e;
	struct fs_file *fh = NULL;
	int rc = fs_create(fx->fs, NODE_ROOT_INO, name, flags, 0644, 0, &e, &fh, &r);

	if (rc)
		fail_msg("create of %s: %s", name, strerror(rc));
	*ino = e.ino;
	return fh;
}
