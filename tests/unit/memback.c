/* memback — the in-memory backend of the unit tests (see memback.h). */
#include "memback.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct mnode {
	char *path;
	struct zdata *data;   /* one reference */
	struct zstat stat;
	char *acl;
};

struct mwatch {
	char *path;
	unsigned kinds;       /* MEMBACK_W_* */
};

struct memback {
	struct mnode *nodes;          /* unordered; nodes[0] is "/" */
	size_t nnodes, nodes_cap;
	struct mwatch *watches;       /* unordered; kinds != 0 */
	size_t nwatches, watches_cap;
	int64_t zxid;                 /* the last zxid handed out */
	int64_t clock_ms;             /* the time of the next mutation */
	bool down;
	struct backend_events events;
	bool have_events;
	memback_hook hook;
	void *hook_ctx;
	size_t fetch_calls, fetch_paths;
	size_t writes;                /* write requests through the backend */
	size_t unwatches;             /* unwatch calls */
};

/* ---- the tree ---- */

static struct mnode *find(struct memback *m, const char *path)
{
	for (size_t i = 0; i < m->nnodes; i++)
		if (strcmp(m->nodes[i].path, path) == 0)
			return &m->nodes[i];
	return NULL;
}

/* The parent path of `path` (malloc'd), NULL for "/" or on ENOMEM. */
static char *parent_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (strcmp(path, "/") == 0 || !slash)
		return NULL;
	return slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
}

/* Is `child` a direct child of `parent`? Its name is returned in *name. */
static bool is_child(const char *parent, const char *child, const char **name)
{
	size_t plen = strcmp(parent, "/") == 0 ? 0 : strlen(parent);

	if (strcmp(child, "/") == 0 || strncmp(child, parent, plen) != 0 || child[plen] != '/')
		return false;
	if (strchr(child + plen + 1, '/'))
		return false;
	*name = child + plen + 1;
	return true;
}

/* A path ZooKeeper accepts: absolute, no empty component, no trailing '/'. */
static bool path_ok(const char *path)
{
	size_t len = strlen(path);

	return path[0] == '/' && len > 1 && path[len - 1] != '/' && !strstr(path, "//");
}

static int64_t tick(struct memback *m, int64_t *now)
{
	*now = m->clock_ms;
	m->clock_ms += 1000;
	return ++m->zxid;
}

/* ---- watches ---- */

static struct mwatch *watch_find(struct memback *m, const char *path)
{
	for (size_t i = 0; i < m->nwatches; i++)
		if (strcmp(m->watches[i].path, path) == 0)
			return &m->watches[i];
	return NULL;
}

static int watch_add(struct memback *m, const char *path, unsigned kinds)
{
	struct mwatch *w = watch_find(m, path);

	if (w) {
		w->kinds |= kinds;
		return 0;
	}
	if (m->nwatches == m->watches_cap) {
		size_t cap = m->watches_cap ? m->watches_cap * 2 : 64;
		struct mwatch *nw = realloc(m->watches, cap * sizeof(*nw));
		if (!nw)
			return ENOMEM;
		m->watches = nw;
		m->watches_cap = cap;
	}
	w = &m->watches[m->nwatches];
	w->path = strdup(path);
	if (!w->path)
		return ENOMEM;
	w->kinds = kinds;
	m->nwatches++;
	return 0;
}

/* Remove the watches of `kinds` on `path`; true when one was there. */
static bool watch_take(struct memback *m, const char *path, unsigned kinds)
{
	struct mwatch *w = watch_find(m, path);
	bool had;

	if (!w)
		return false;
	had = (w->kinds & kinds) != 0;
	w->kinds &= ~kinds;
	if (w->kinds == 0) {
		free(w->path);
		*w = m->watches[--m->nwatches];
	}
	return had;
}

/* Fire the watches of `kinds` on `path` with `ev` (once, then they are gone). */
static void fire(struct memback *m, const char *path, unsigned kinds, enum zevent ev)
{
	if (watch_take(m, path, kinds) && m->have_events)
		m->events.on_watch(m->events.ctx, ev, path);
}

/* ---- construction ---- */

struct memback *memback_new(void)
{
	struct memback *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->nodes_cap = 64;
	m->nodes = calloc(m->nodes_cap, sizeof(*m->nodes));
	if (!m->nodes) {
		free(m);
		return NULL;
	}
	m->nodes[0].path = strdup("/");
	m->nodes[0].acl = strdup(MEMBACK_DEFAULT_ACL);
	m->nodes[0].data = zdata_empty();
	m->nnodes = 1;
	m->clock_ms = MEMBACK_EPOCH_MS;
	if (!m->nodes[0].path || !m->nodes[0].acl) {
		memback_free(m);
		return NULL;
	}
	return m;
}

void memback_free(struct memback *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nnodes; i++) {
		free(m->nodes[i].path);
		free(m->nodes[i].acl);
		zdata_put(m->nodes[i].data);
	}
	for (size_t i = 0; i < m->nwatches; i++)
		free(m->watches[i].path);
	free(m->nodes);
	free(m->watches);
	free(m);
}

void memback_set_events(struct memback *m, const struct backend_events *ev)
{
	m->have_events = ev != NULL;
	if (ev)
		m->events = *ev;
}

void memback_expire(struct memback *m)
{
	for (size_t i = 0; i < m->nwatches; i++)
		free(m->watches[i].path);
	m->nwatches = 0;
	if (m->have_events && m->events.on_state)
		m->events.on_state(m->events.ctx, ZS_LOST, true);
}

void memback_set_down(struct memback *m, bool down)
{
	m->down = down;
}

void memback_set_fetch_hook(struct memback *m, memback_hook hook, void *ctx)
{
	m->hook = hook;
	m->hook_ctx = ctx;
}

size_t memback_fetch_count(struct memback *m)
{
	return m->fetch_calls;
}

size_t memback_fetched_paths(struct memback *m)
{
	return m->fetch_paths;
}

/* ---- mutations ---- */

int memback_create(struct memback *m, const char *path, const char *data, size_t len,
		   bool ephemeral)
{
	struct mnode *parent, *n;
	struct zdata *d;
	char *ppath, *copy, *acl;
	int64_t zxid, now;

	if (!path_ok(path))
		return EINVAL;
	if (find(m, path))
		return EEXIST;
	ppath = parent_of(path);
	if (!ppath)
		return ENOMEM;
	parent = find(m, ppath);
	if (!parent || parent->stat.ephemeral_owner != 0) {
		int rc = parent ? EINVAL : ENOENT;
		free(ppath);
		return rc;
	}
	if (m->nnodes == m->nodes_cap) {
		struct mnode *nn = realloc(m->nodes, m->nodes_cap * 2 * sizeof(*nn));
		if (!nn) {
			free(ppath);
			return ENOMEM;
		}
		m->nodes = nn;
		m->nodes_cap *= 2;
		parent = find(m, ppath);
	}
	copy = strdup(path);
	acl = strdup(MEMBACK_DEFAULT_ACL);
	d = zdata_new(data, len);
	if (!copy || !acl || !d) {
		free(copy);
		free(acl);
		zdata_put(d);
		free(ppath);
		return ENOMEM;
	}
	zxid = tick(m, &now);
	n = &m->nodes[m->nnodes++];
	memset(n, 0, sizeof(*n));
	n->path = copy;
	n->acl = acl;
	n->data = d;
	n->stat.czxid = n->stat.mzxid = n->stat.pzxid = zxid;
	n->stat.ctime_ms = n->stat.mtime_ms = now;
	n->stat.ephemeral_owner = ephemeral ? MEMBACK_SESSION : 0;
	n->stat.data_length = (int32_t)len;
	parent->stat.cversion++;
	parent->stat.pzxid = zxid;
	parent->stat.num_children++;

	fire(m, path, MEMBACK_W_EXISTS, ZEV_CREATED);
	fire(m, ppath, MEMBACK_W_CHILD, ZEV_CHILD);
	free(ppath);
	return 0;
}

int memback_set(struct memback *m, const char *path, const char *data, size_t len)
{
	struct mnode *n = find(m, path);
	struct zdata *d;
	int64_t now;

	if (!n)
		return ENOENT;
	d = zdata_new(data, len);
	if (!d)
		return ENOMEM;
	zdata_put(n->data);
	n->data = d;
	n->stat.mzxid = tick(m, &now);
	n->stat.mtime_ms = now;
	n->stat.version++;
	n->stat.data_length = (int32_t)len;
	fire(m, path, MEMBACK_W_DATA, ZEV_CHANGED);
	return 0;
}

int memback_delete(struct memback *m, const char *path)
{
	struct mnode *n = find(m, path), *parent;
	char *ppath;
	int64_t zxid, now;

	if (!n)
		return ENOENT;
	if (strcmp(path, "/") == 0)
		return EINVAL;
	if (n->stat.num_children > 0)
		return ENOTEMPTY;
	ppath = parent_of(path);
	if (!ppath)
		return ENOMEM;
	zxid = tick(m, &now);
	free(n->path);
	free(n->acl);
	zdata_put(n->data);
	*n = m->nodes[--m->nnodes];
	parent = find(m, ppath);
	parent->stat.cversion++;
	parent->stat.pzxid = zxid;
	parent->stat.num_children--;

	fire(m, path, MEMBACK_W_DATA | MEMBACK_W_CHILD, ZEV_DELETED);
	fire(m, ppath, MEMBACK_W_CHILD, ZEV_CHILD);
	free(ppath);
	return 0;
}

int memback_set_acl(struct memback *m, const char *path, const char *text)
{
	struct mnode *n = find(m, path);
	char *copy;

	if (!n)
		return ENOENT;
	copy = strdup(text);
	if (!copy)
		return ENOMEM;
	free(n->acl);
	n->acl = copy;
	n->stat.aversion++;
	return 0;
}

/* ---- inspection ---- */

int memback_stat(struct memback *m, const char *path, struct zstat *st)
{
	struct mnode *n = find(m, path);

	if (!n)
		return ENOENT;
	*st = n->stat;
	return 0;
}

unsigned memback_watches(struct memback *m, const char *path)
{
	struct mwatch *w = watch_find(m, path);

	return w ? w->kinds : 0;
}

/* ---- the backend ---- */

static int children_of(struct memback *m, const char *path, struct zfetch *f)
{
	const char *name;
	size_t n = 0;

	f->children = calloc(m->nnodes, sizeof(*f->children));
	if (!f->children)
		return ENOMEM;
	for (size_t i = 0; i < m->nnodes; i++) {
		if (!is_child(path, m->nodes[i].path, &name))
			continue;
		f->children[n] = strdup(name);
		if (!f->children[n])
			return ENOMEM;
		f->nchildren = ++n;
	}
	return 0;
}

/* Whether an ACL text ("scheme:id:perms" lines) grants READ: some line's
 * perms hold an 'r' (the tests use world:anyone only). */
static bool readable(const char *acl)
{
	for (const char *line = acl; line && *line;) {
		const char *end = strchr(line, '\n'), *colon = NULL;

		for (const char *p = line; *p && p != end; p++)
			if (*p == ':')
				colon = p;
		if (colon && memchr(colon, 'r', (size_t)((end ? end : colon + strlen(colon)) - colon)))
			return true;
		line = end ? end + 1 : NULL;
	}
	return false;
}

static int fetch_one(struct memback *m, const char *path, unsigned what, struct zfetch *f)
{
	struct mnode *n = find(m, path);
	int rc;

	memset(f, 0, sizeof(*f));
	if (!n) {
		f->err = ENOENT;
		return what & FETCH_NOWATCH ? 0 : watch_add(m, path, MEMBACK_W_EXISTS);
	}
	f->stat = n->stat;
	if (!readable(n->acl)) {      /* ZNOAUTH: the stat of an exists, no watch */
		f->noread = true;
		return 0;
	}
	if (what & FETCH_DATA)
		f->data = zdata_get(n->data);
	if ((what & FETCH_CHILDREN) && (rc = children_of(m, path, f)) != 0)
		return rc;
	if (what & FETCH_NOWATCH)
		return 0;
	/* A stat without data (exists) also leaves a data watch, as in ZooKeeper. */
	return watch_add(m, path, (what & FETCH_CHILDREN ? MEMBACK_W_CHILD : 0) |
				  (what & FETCH_DATA || !(what & FETCH_CHILDREN) ? MEMBACK_W_DATA : 0));
}

static int mb_fetch(void *impl, const char *const *paths, size_t n, unsigned what,
		    struct zfetch *out)
{
	struct memback *m = impl;
	int rc = 0;

	m->fetch_calls++;
	m->fetch_paths += n;
	for (size_t i = 0; i < n; i++)
		memset(&out[i], 0, sizeof(out[i]));
	if (m->down)
		return EIO;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = fetch_one(m, paths[i], what, &out[i]);
	if (rc) {
		for (size_t i = 0; i < n; i++)
			zfetch_clear(&out[i]);
		return EIO;
	}
	if (m->hook)
		m->hook(m->hook_ctx, m, paths, n);
	return 0;
}

static int mb_get_acl(void *impl, const char *path, char **text)
{
	struct memback *m = impl;
	struct mnode *n;

	if (m->down)
		return EIO;
	n = find(m, path);
	if (!n)
		return ENOENT;
	*text = strdup(n->acl);
	return *text ? 0 : ENOMEM;
}

static void mb_unwatch(void *impl, const char *path)
{
	struct memback *m = impl;

	m->unwatches++;
	watch_take(m, path, MEMBACK_W_DATA | MEMBACK_W_CHILD | MEMBACK_W_EXISTS);
}

size_t memback_unwatch_count(struct memback *m)
{
	return m->unwatches;
}

/* ---- writes through the backend ---- */

static int mb_create(void *impl, const char *path, const char *data, size_t len,
		     struct zstat *st)
{
	struct memback *m = impl;
	int rc;

	if (m->down)
		return EIO;
	m->writes++;
	rc = memback_create(m, path, data, len, false);
	if (rc == 0)
		memback_stat(m, path, st);
	return rc;
}

/* What a set or delete of `path` at `version` meets first: counted as one
 * write request; EIO while down, ENOENT, ESTALE, or 0. */
static int write_check(struct memback *m, const char *path, int32_t version)
{
	struct mnode *n;

	if (m->down)
		return EIO;
	m->writes++;
	n = find(m, path);
	if (!n)
		return ENOENT;
	return version != -1 && n->stat.version != version ? ESTALE : 0;
}

static int mb_set(void *impl, const char *path, const char *data, size_t len,
		  int32_t version, struct zstat *st)
{
	struct memback *m = impl;
	int rc = write_check(m, path, version);

	if (rc)
		return rc;
	rc = memback_set(m, path, data, len);
	if (rc == 0)
		memback_stat(m, path, st);
	return rc;
}

static int mb_remove(void *impl, const char *path, int32_t version)
{
	struct memback *m = impl;
	int rc = write_check(m, path, version);

	return rc ? rc : memback_delete(m, path);
}

/* What a multi's earlier operations did to a path (its dry run). */
struct shadow {
	const char *path;
	bool exists;
	int32_t version, children;
};

static struct shadow *shadow_of(struct memback *m, struct shadow *sh, size_t *nsh,
				const char *path)
{
	struct mnode *n;

	for (size_t i = 0; i < *nsh; i++)
		if (strcmp(sh[i].path, path) == 0)
			return &sh[i];
	n = find(m, path);
	sh[*nsh] = (struct shadow){ .path = path, .exists = n != NULL,
				    .version = n ? n->stat.version : 0,
				    .children = n ? n->stat.num_children : 0 };
	return &sh[(*nsh)++];
}

/* Would `op` succeed after the ones before it? The paths in sh[] are owned
 * by the ops (and by parents[], which outlives sh). */
static int dry_run(struct memback *m, const struct zop *op, struct shadow *sh, size_t *nsh,
		   char **parent)
{
	struct shadow *s = shadow_of(m, sh, nsh, op->path), *ps;

	*parent = parent_of(op->path);
	if (!*parent)
		return ENOMEM;
	ps = shadow_of(m, sh, nsh, *parent);
	if (op->type == ZOP_CREATE) {
		if (!path_ok(op->path))
			return EINVAL;
		if (s->exists)
			return EEXIST;
		if (!ps->exists)
			return ENOENT;
		*s = (struct shadow){ .path = op->path, .exists = true };
		ps->children++;
		return 0;
	}
	if (!s->exists)
		return ENOENT;
	if (op->version != -1 && op->version != s->version)
		return ESTALE;
	if (op->type == ZOP_SET)
		s->version++;
	if (op->type == ZOP_DELETE) {
		if (s->children > 0)
			return ENOTEMPTY;
		s->exists = false;
		ps->children--;
	}
	return 0;
}

static int apply(struct memback *m, const struct zop *op)
{
	switch (op->type) {
	case ZOP_CREATE:
		return memback_create(m, op->path, op->data, op->len, false);
	case ZOP_SET:
		return memback_set(m, op->path, op->data, op->len);
	case ZOP_DELETE:
		return memback_delete(m, op->path);
	case ZOP_CHECK:
		return 0;
	}
	return EINVAL;
}

static int mb_multi(void *impl, const struct zop *ops, size_t n, size_t *failed)
{
	struct memback *m = impl;
	struct shadow *sh = calloc(2 * n + 1, sizeof(*sh));
	char **parents = calloc(n + 1, sizeof(*parents));
	size_t nsh = 0, i;
	int rc = sh && parents ? 0 : ENOMEM;

	if (m->down)
		rc = EIO;
	else
		m->writes++;
	for (i = 0; rc == 0 && i < n; i++)
		rc = dry_run(m, &ops[i], sh, &nsh, &parents[i]);
	if (rc && failed)
		*failed = i ? i - 1 : 0;
	for (i = 0; rc == 0 && i < n; i++)
		rc = apply(m, &ops[i]);
	for (i = 0; parents && i < n; i++)
		free(parents[i]);
	free(parents);
	free(sh);
	return rc;
}

size_t memback_write_count(struct memback *m)
{
	return m->writes;
}

static const struct backend_ops memback_ops = {
	.fetch = mb_fetch,
	.unwatch = mb_unwatch,
	.get_acl = mb_get_acl,
	.create = mb_create,
	.set = mb_set,
	.remove = mb_remove,
	.multi = mb_multi,
};

struct backend memback_backend(struct memback *m)
{
	return (struct backend){ .ops = &memback_ops, .impl = m };
}
