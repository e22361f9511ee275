/*
 * zkcall — the reads over the connection: struct backend's fetch and get_acl,
 * the read-back of zkwrite.c, and what zk_exists and zk_ensure_path do
 * (contracts in zkcall.h). Each is a batch (zkbatch.h) with its own
 * classifier:
 *
 *   fetch:       get (+ get_children) with watches; after ZNONODE an exists
 *                with a watch; if the node appeared meanwhile, get again;
 *                after ZNOAUTH an exists without a watch, for the stat
 *                (exists needs no permission: the node is listed, not read).
 *   get_acl,
 *   exists:      one request per path.
 *   ensure_path: a create per component, all pipelined in one round (the
 *                client sends in order, so parents precede children).
 *
 * All of them may be sent again: after a connection error every request
 * without an answer is retried within the call's deadline. That is safe for
 * reads, and for ensure_path, whose creates of empty nodes accept ZNODEEXISTS.
 * Writes, which may not be resent, are in zkwrite.c.
 */
#include "zkcall.h"

#include "zkbatch.h"
#include "zkerr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zookeeper/zookeeper.h>

#include "log.h"

#define REFETCH_MAX     3      /* a node absent to get, present to exists */

/* ---- completions (the client's completion thread) ---- */

static void on_data(int rc, const char *value, int value_len,
		    const struct Stat *stat, const void *data)
{
	const struct req *r = data;
	struct zdata *d = NULL;
	struct slot *s;

	if (rc == ZOK) {
		d = value && value_len > 0 ? zdata_new(value, (size_t)value_len) : zdata_empty();
		if (!d)
			rc = RC_NOMEM;
	}
	s = answer_begin(r);
	s->rc[K_DATA] = rc;
	if (rc == ZOK) {
		zdata_put(s->data);
		s->data = d;
		zstat_from(&s->st[0], stat);
	}
	answer_end(r->b);
}

static int copy_names(const struct String_vector *v, char ***out, size_t *n)
{
	size_t count = v && v->count > 0 ? (size_t)v->count : 0;
	char **names;

	*out = NULL;
	*n = 0;
	if (count == 0)
		return 0;
	names = calloc(count, sizeof(*names));
	if (!names)
		return -1;
	for (size_t i = 0; i < count; i++) {
		names[i] = strdup(v->data[i]);
		if (!names[i]) {
			while (i > 0)
				free(names[--i]);
			free(names);
			return -1;
		}
	}
	*out = names;
	*n = count;
	return 0;
}

static void on_children(int rc, const struct String_vector *strings,
			const struct Stat *stat, const void *data)
{
	const struct req *r = data;
	char **names = NULL;
	size_t n = 0;
	struct slot *s;

	if (rc == ZOK && copy_names(strings, &names, &n))
		rc = RC_NOMEM;
	s = answer_begin(r);
	s->rc[K_CHILDREN] = rc;
	if (rc == ZOK) {
		s->names = names;
		s->nnames = n;
		zstat_from(&s->st[1], stat);
	}
	answer_end(r->b);
}

static void on_other(int rc, const void *data)
{
	const struct req *r = data;

	answer_begin(r)->rc[K_OTHER] = rc;
	answer_end(r->b);
}

static void on_exists(int rc, const struct Stat *stat, const void *data)
{
	const struct req *r = data;
	struct slot *s = answer_begin(r);

	s->rc[K_OTHER] = rc;
	if (rc == ZOK && stat)
		zstat_from(&s->st[0], stat);
	answer_end(r->b);
}

static void on_create(int rc, const char *value, const void *data)
{
	on_other(rc, data);
}

/* "scheme:id:perms\n" per entry, perms from "rwcda". NULL on ENOMEM. */
static char *acl_text(const struct ACL_vector *v)
{
	size_t len = 1, off = 0;
	char *text;

	for (int32_t i = 0; v && i < v->count; i++)
		len += strlen(v->data[i].id.scheme) + strlen(v->data[i].id.id) + 8;
	text = malloc(len);
	if (!text)
		return NULL;
	text[0] = '\0';
	for (int32_t i = 0; v && i < v->count; i++) {
		const int *bits[] = { &ZOO_PERM_READ, &ZOO_PERM_WRITE, &ZOO_PERM_CREATE,
				      &ZOO_PERM_DELETE, &ZOO_PERM_ADMIN };
		const struct ACL *a = &v->data[i];
		char perms[6], *p = perms;

		for (int k = 0; k < 5; k++)
			if (a->perms & *bits[k])
				*p++ = "rwcda"[k];
		*p = '\0';
		off += (size_t)snprintf(text + off, len - off, "%s:%s:%s\n",
					a->id.scheme, a->id.id, perms);
	}
	return text;
}

static void on_acl(int rc, struct ACL_vector *acl, struct Stat *stat, const void *data)
{
	const struct req *r = data;
	char *text = NULL;
	struct slot *s;

	if (rc == ZOK && !(text = acl_text(acl)))
		rc = RC_NOMEM;
	s = answer_begin(r);
	s->rc[K_OTHER] = rc;
	if (rc == ZOK)
		s->text = text;
	answer_end(r->b);
}

/* ---- sending ---- */

static int send_read(struct batch *b, zhandle_t *zh, const struct req *r)
{
	const char *path = b->paths[r->idx];

	if (r->kind == K_DATA)
		return zoo_aget(zh, path, b->watch, on_data, r);
	if (r->kind == K_CHILDREN)
		return zoo_aget_children2(zh, path, b->watch, on_children, r);
	switch ((enum phase)b->slots[r->idx].phase) {
	case PH_EXISTS:
		return zoo_aexists(zh, path, b->watch, on_exists, r);
	case PH_STAT:
		return zoo_aexists(zh, path, 0, on_exists, r);
	case PH_ACL:
		return zoo_aget_acl(zh, path, on_acl, r);
	case PH_CREATE:
		/* ensure_path: the open ACL, as its contract says (zk.h). */
		return zoo_acreate(zh, path, NULL, -1, &ZOO_OPEN_ACL_UNSAFE,
				   ZOO_PERSISTENT, on_create, r);
	default:
		return ZSYSTEMERROR;    /* no request in this phase */
	}
}

/* The kinds a slot sends in its phase, as a bit set. */
static unsigned read_kinds(const struct batch *b, const struct slot *s)
{
	if (s->phase != PH_GET)
		return 1u << K_OTHER;
	return ((b->what & FETCH_DATA) ? 1u << K_DATA : 0) |
	       ((b->what & FETCH_CHILDREN) ? 1u << K_CHILDREN : 0);
}

/* ---- classification: after a round, what each slot does next ---- */

static void finish(struct slot *s, int rc, const char *path, bool quiet)
{
	batch_finish(s, rc);
	if (rc != ZOK && rc != ZNONODE && !quiet)
		log_warn("%s: %s", path, rc == RC_NOMEM ? "out of memory" : zk_errname(rc));
}

/* The result of a get round: a connection error, then ZNONODE, then others. */
static int get_verdict(const struct batch *b, const struct slot *s)
{
	int worst = ZOK;

	for (int k = K_DATA; k <= K_CHILDREN; k++) {
		int rc = s->rc[k];

		if (!(read_kinds(b, s) & (1u << k)) || rc == ZOK)
			continue;
		if (batch_retryable(rc))
			return rc;
		if (rc == ZNONODE || worst == ZOK)
			worst = rc;
	}
	return worst;
}

static void fetch_next(struct slot *s, int rc, const char *path)
{
	if (s->phase == PH_GET) {
		if (rc == ZNONODE)
			s->phase = PH_EXISTS;   /* set an exists watch */
		else if (rc == ZNOAUTH)
			s->phase = PH_STAT;     /* its stat, which needs no permission */
		else
			finish(s, rc, path, false);
	} else if (s->phase == PH_STAT && rc == ZOK) {
		log_info("%s: %s: no permission to read it; shown from its stat", path,
			 zk_errname(ZNOAUTH));
		finish(s, ZOK, path, true);
		s->noread = true;
	} else if (s->phase == PH_STAT && rc == ZNONODE && s->refetch++ < REFETCH_MAX) {
		s->phase = PH_GET;              /* deleted meanwhile: look again */
	} else if (rc == ZOK) {
		/* It appeared between the get and the exists: fetch it again. */
		if (s->refetch++ < REFETCH_MAX) {
			s->phase = PH_GET;
		} else {
			log_warn("%s: keeps appearing and vanishing", path);
			finish(s, ZOK, path, true);
			s->err = EIO;
		}
	} else {
		finish(s, rc, path, false);
	}
}

static bool fetch_classify(struct batch *b)
{
	size_t keep = 0;
	bool retry = false;

	for (size_t t = 0; t < b->ntodo; t++) {
		uint32_t i = b->todo[t];
		struct slot *s = &b->slots[i];
		int rc = s->phase == PH_GET ? get_verdict(b, s) : s->rc[K_OTHER];

		if (batch_retryable(rc)) {
			retry = true;
			b->last_rc = rc;
		} else {
			fetch_next(s, rc, b->paths[i]);
		}
		if (s->phase != PH_DONE)
			b->todo[keep++] = i;
	}
	b->ntodo = keep;
	return retry;
}

/* One request per slot (exists, get_acl). */
static bool single_classify(struct batch *b)
{
	size_t keep = 0;
	bool retry = false;

	for (size_t t = 0; t < b->ntodo; t++) {
		uint32_t i = b->todo[t];
		int rc = b->slots[i].rc[K_OTHER];

		if (batch_retryable(rc)) {
			retry = true;
			b->last_rc = rc;
			b->todo[keep++] = i;
		} else {
			finish(&b->slots[i], rc, b->paths[i], false);
		}
	}
	b->ntodo = keep;
	return retry;
}

/* Creates of ensure_path: after a connection error, every component not yet
 * there is sent again, in order, so that parents precede children. (Creating
 * an empty node twice is harmless: the second gets ZNODEEXISTS.) */
static bool create_classify(struct batch *b)
{
	size_t keep = 0;
	bool retry = false;

	for (size_t t = 0; t < b->ntodo; t++) {
		int rc = b->slots[b->todo[t]].rc[K_OTHER];

		if (batch_retryable(rc)) {
			retry = true;
			b->last_rc = rc;
		}
	}
	for (size_t t = 0; t < b->ntodo; t++) {
		uint32_t i = b->todo[t];
		int rc = b->slots[i].rc[K_OTHER];

		if (retry && rc != ZOK && rc != ZNODEEXISTS)
			b->todo[keep++] = i;
		else
			finish(&b->slots[i], rc, b->paths[i], true);   /* ensure_result logs */
	}
	b->ntodo = keep;
	return retry;
}

static const struct batch_class fetch_class = {
	read_kinds, send_read, fetch_classify, batch_log_gave_up, "no answer in time",
};
static const struct batch_class single_class = {
	read_kinds, send_read, single_classify, batch_log_gave_up, "no answer in time",
};
static const struct batch_class create_class = {
	read_kinds, send_read, create_classify, batch_log_gave_up, "no answer in time",
};

/* ---- calls ---- */

static void take_result(const struct batch *b, struct slot *s, struct zfetch *o)
{
	o->err = s->err;
	if (o->err)
		return;
	if (s->noread) {
		o->noread = true;
		o->stat = s->st[0];
		return;
	}
	o->stat = (b->what & FETCH_DATA) ? s->st[0] : s->st[1];
	if (b->what & FETCH_DATA) {
		o->data = s->data;
		s->data = NULL;
	}
	if (b->what & FETCH_CHILDREN) {
		/* The children's facts as the list was read. */
		o->stat.cversion = s->st[1].cversion;
		o->stat.pzxid = s->st[1].pzxid;
		o->stat.num_children = s->st[1].num_children;
		o->children = s->names;
		o->nchildren = s->nnames;
		s->names = NULL;
		s->nnames = 0;
	}
}

/* The fetch of struct backend (watch) or a read-back (no watch); `cx` ends
 * its waits early (cancel.h), or NULL. */
static int fetch_call(struct zk *zk, const char *const *paths, size_t n, unsigned what,
		      bool watch, struct cancel *cx, struct zfetch *out)
{
	struct batch *b;
	int err;

	if (n == 0)
		return 0;
	memset(out, 0, n * sizeof(*out));
	if (!(what & (FETCH_DATA | FETCH_CHILDREN)) || n > UINT32_MAX)
		return EINVAL;
	b = batch_new(zk, &fetch_class, paths, n, PH_GET);
	if (!b) {
		log_err("%s: out of memory for a batch of %zu", paths[0], n);
		return ENOMEM;
	}
	b->what = what;
	b->watch = watch;
	b->cancel = cx;
	err = batch_call(b);
	if (!err)
		for (size_t i = 0; i < n; i++)
			take_result(b, &b->slots[i], &out[i]);
	batch_release(b);
	return err;
}

int zk_read_fetch(void *impl, const char *const *paths, size_t n, unsigned what,
		  struct zfetch *out)
{
	/* The reads of an interruptible request (ops.c) end at its interrupt. */
	return fetch_call(impl, paths, n, what & ~FETCH_NOWATCH, !(what & FETCH_NOWATCH),
			  cancel_current(), out);
}

int zk_read_back(struct zk *zk, const char *const *paths, size_t n, struct zfetch *out)
{
	/* Part of a write's outcome: never cut short. */
	return fetch_call(zk, paths, n, FETCH_DATA, false, NULL, out);
}

/* One request on one path: the slot's final errno, or the call's. */
static int single(struct zk *zk, const char *path, enum phase ph, bool watch,
		  char **text)
{
	const char *const *paths = &path;
	struct batch *b = batch_new(zk, &single_class, paths, 1, ph);
	int err;

	if (!b) {
		log_err("%s: out of memory", path);
		return ENOMEM;
	}
	b->watch = watch;
	b->cancel = cancel_current();   /* reads only; NULL outside a request */
	err = batch_call(b);
	if (!err)
		err = b->slots[0].err;
	if (!err && text) {
		*text = b->slots[0].text;
		b->slots[0].text = NULL;
	}
	batch_release(b);
	return err;
}

int zk_read_acl(void *impl, const char *path, char **text)
{
	*text = NULL;
	return single(impl, path, PH_ACL, false, text);
}

int zk_read_exists(struct zk *zk, const char *path)
{
	return single(zk, path, PH_EXISTS, false, NULL);
}

/* "/a/b/c" -> "/a", "/a/b", "/a/b/c", malloc'd; `path` is a valid znode path.
 * 0 or ENOMEM (*out and *n hold what was made). */
static int components(const char *path, char ***out, size_t *n)
{
	size_t len = strlen(path), count = 0;

	*n = 0;
	for (size_t i = 1; i <= len; i++)
		count += i == len || path[i] == '/';
	*out = calloc(count, sizeof(**out));
	if (!*out)
		return ENOMEM;
	for (size_t i = 1; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		(*out)[*n] = strndup(path, i);
		if (!(*out)[*n])
			return ENOMEM;
		(*n)++;
	}
	return 0;
}

static void free_components(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The outcome of the creates: the last component decides; when it failed
 * because a parent is missing, the first failure is the cause. */
static int ensure_result(struct batch *b, char **v, size_t n)
{
	struct slot *last = &b->slots[n - 1];
	size_t i;

	if (last->zrc == ZOK || last->zrc == ZNODEEXISTS)
		return 0;
	for (i = 0; last->zrc == ZNONODE && i < n - 1; i++)
		if (b->slots[i].zrc != ZOK && b->slots[i].zrc != ZNODEEXISTS)
			break;
	if (last->zrc != ZNONODE || i == n - 1)
		i = n - 1;
	log_warn("%s: %s", v[i], zk_errname(b->slots[i].zrc));
	return b->slots[i].err;
}

int zk_read_ensure_path(struct zk *zk, const char *path)
{
	struct batch *b;
	char **v = NULL;
	size_t n = 0;
	int err;

	if (!path || path[0] != '/')
		return EINVAL;
	err = zk_read_exists(zk, path); /* also EINVAL for an invalid path */
	if (err != ENOENT)
		return err;
	b = components(path, &v, &n) ? NULL :
	    batch_new(zk, &create_class, (const char *const *)v, n, PH_CREATE);
	if (!b) {
		log_err("%s: out of memory", path);
		free_components(v, n);
		return ENOMEM;
	}
	err = batch_call(b);
	if (!err)
		err = ensure_result(b, v, n);
	batch_release(b);
	free_components(v, n);
	return err;
}
