/*
 * fsfx — the fixture the fs unit tests (test_fsops, test_fsdir, test_fswrite,
 * test_fsraces)
 * share: an fs on the in-memory backend (memback.h) with the base path /asab,
 * a sink that captures the node table's notices, a fetch hook that races an
 * event with a fetch, and helpers that assert as they go (cmocka).
 */
#ifndef ZKFS_TEST_FSFX_H
#define ZKFS_TEST_FSFX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fsops.h"
#include "memback.h"
#include "sink.h"
#include "vfile.h"

#define BASE "/asab"
#define UID 1234
#define GID 5678
#define TIMEOUT 60.0
#define FX_MAX_SIZE 1000    /* -o max_size of the fixture */

struct fx {
	struct memback *m;
	struct fs *fs;
	struct sink sink;
};

void forward_watch(void *ctx, enum zevent ev, const char *path);
void forward_state(void *ctx, enum zstate state, bool expired);

/* cmocka setups: umask 022, umask 027, and a -o ro mount; one teardown. */
int open_fx(void **state, mode_t umask_, bool ro);
int fx_setup(void **state);
int fx_setup_umask027(void **state);
int fx_setup_ro(void **state);
int fx_setup_echo(void **state);   /* cfg.remote_events (fsecho.c), no thread */
int fx_teardown(void **state);

/* Create / set BASE/rel with `data` (NULL: empty) behind the mount's back. */
void mk(struct fx *fx, const char *rel, const char *data, bool ephemeral);
void set(struct fx *fx, const char *rel, const char *data);
size_t fetches(struct fx *fx);

/* fs_read: *buf stays valid until the next rd() or the end of the test. */
int rd(struct fs *fs, struct fs_file *fh, size_t size, off_t off, const char **buf,
       size_t *len);

/* Successful lookups (fail the test otherwise). */
struct fs_entry lookup_entry(struct fx *fx, uint64_t parent, const char *name);
uint64_t lookup(struct fx *fx, uint64_t parent, const char *name);
mode_t type_of(struct fx *fx, const char *name);

/* The whole content of `ino` through fs_open/fs_read (malloc'd, NUL-ended). */
char *read_all(struct fx *fx, uint64_t ino, size_t *lenp);
void assert_content(struct fx *fx, uint64_t ino, const char *expect);
bool open_keeps_cache(struct fx *fx, uint64_t ino);

/* The names of a listing joined by ' ' (malloc'd), and its assertion. */
char *list_names(struct fx *fx, uint64_t ino);
void assert_listing(struct fx *fx, uint64_t ino, const char *expect);

struct node *table_node(struct fx *fx, uint64_t ino);

/* A fetch hook (memback_set_fetch_hook) that, at the first fetch, changes
 * `path` behind the fetch's back; ctx is a struct race, fired counts calls. */
struct race {
	const char *path;     /* what the hook changes, once */
	enum { RACE_SET, RACE_CREATE, RACE_DELETE } what;
	int fired;
};
void race_hook(void *ctx, struct memback *m, const char *const *paths, size_t n);

/* Writing (test_fswrite, test_fsraces). The znode BASE/rel's stat, and
 * whether it exists, in the backend (the ground truth); its value there, read
 * through a fresh lookup + open; the backend's write requests so far. */
struct zstat zstat_of(struct fx *fx, const char *rel);
bool exists(struct fx *fx, const char *rel);
void assert_value(struct fx *fx, const char *rel, const char *expect);
size_t writes(struct fx *fx);
/* fs_open for writing (direct_io, flushing), failing the test otherwise. */
struct fs_file *wopen(struct fx *fx, uint64_t ino, int flags);
/* fs_write of the string `s` at `off`, which must succeed. */
void wr(struct fx *fx, struct fs_file *fh, const char *s, off_t off);
/* create(2) of BASE/name through fs_create; the entry's lookup is counted. */
struct fs_file *creat_(struct fx *fx, const char *name, int flags, uint64_t *ino);

#endif
