/*
 * zkcall — the asynchronous calls over the connection of zk.c: struct backend
 * (fetch, get_acl, state), zk_exists and zk_ensure_path (contract in zk.h).
 *
 * A call runs in rounds: wait until CONNECTED, send every outstanding request
 * at once, wait for all answers, sort the results (done; ask exists after a
 * ZNONODE; retry after a connection error), until done or the deadline
 * (timeout_ms from the start of the call).
 *
 * struct batch holds one call's requests and answers. It is heap-allocated
 * and counted (the caller + each request in flight), so an answer arriving
 * after the caller gave up only drops a reference. Every batch is linked in
 * zk->batches: after zookeeper_close() the client may have dropped requests
 * without answering them, and zk_reap() releases what they held and wakes
 * their caller.
 *
 * Lock order: zk->mu, then batch->mu. Completions run on the client's
 * completion thread and take batch->mu only (zk->mu to free a batch).
 */
#include "zk.h"
#include "zkint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zookeeper/zookeeper.h>

#include "log.h"

#define REFETCH_MAX     3      /* a node absent to get, present to exists */

/* Our own result codes next to ZooKeeper's (which are <= 0). */
#define RC_PENDING 1           /* not answered in this round */
#define RC_NOMEM   2           /* answered, but copying the answer failed */

/* What a slot asks in its next round. */
enum phase { PH_DONE, PH_GET, PH_EXISTS, PH_ACL, PH_CREATE };
/* The requests of one slot in a round: get, get_children, or one other. */
enum kind { K_DATA, K_CHILDREN, K_OTHER, K_COUNT };

/* Slot fields marked b->mu are written under it by the completions while the
 * round's requests are in flight; the caller reads and resets them only once
 * the round is over (pending == 0, seen under b->mu). */
struct slot {
	int rc[K_COUNT];        /* b->mu: this round's answers, RC_PENDING if none */
	struct zstat st[2];     /* b->mu: from the data and children answers */
	struct zdata *data;     /* b->mu */
	char **names;           /* b->mu */
	size_t nnames;          /* b->mu */
	char *text;             /* b->mu: get_acl */
	int zrc;                /* caller: the final result code */
	int err;                /* caller: the final errno */
	unsigned char phase;    /* caller */
	unsigned char refetch;  /* caller */
};

struct req {                    /* the `data` of one request */
	struct batch *b;
	uint32_t idx;
	unsigned char kind;
};

struct batch {
	struct zk *zk;                  /* immutable */
	pthread_mutex_t mu;
	pthread_cond_t cv;              /* on mu: pending reached 0 */
	struct batch *prev, *next;      /* zk->mu */
	unsigned refs;                  /* mu: the caller + each request in flight */
	size_t inflight;                /* mu: sent, not answered */
	size_t pending;                 /* mu: of this round, not answered */
	const struct zkh *h;            /* mu: where the requests in flight went */
	bool poisoned;                  /* mu: a request may be answered late */
	/* caller only: */
	bool watch;
	unsigned what;
	int last_rc;                    /* last connection error seen */
	size_t n, ntodo;
	uint32_t *todo;                 /* slots with requests this round, ascending */
	struct slot *slots;
	struct req *reqs;               /* 2 per slot */
};

typedef bool (*classify_fn)(struct batch *b, const char *const *paths);

/* ---- batches ---- */

static void slot_reset(struct slot *s)
{
	for (int k = 0; k < K_COUNT; k++)
		s->rc[k] = RC_PENDING;
	zdata_put(s->data);
	s->data = NULL;
	for (size_t i = 0; i < s->nnames; i++)
		free(s->names[i]);
	free(s->names);
	s->names = NULL;
	s->nnames = 0;
	free(s->text);
	s->text = NULL;
}

static void batch_destroy(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		slot_reset(&b->slots[i]);
	free(b->slots);
	free(b->todo);
	free(b->reqs);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

static void batch_unlink(struct zk *zk, struct batch *b)   /* zk->mu held */
{
	if (b->prev)
		b->prev->next = b->next;
	else
		zk->batches = b->next;
	if (b->next)
		b->next->prev = b->prev;
}

static void batch_free(struct batch *b)
{
	struct zk *zk = b->zk;

	pthread_mutex_lock(&zk->mu);
	batch_unlink(zk, b);
	pthread_mutex_unlock(&zk->mu);
	batch_destroy(b);
}

/* n slots, all in the first round with `phase`. NULL on ENOMEM. */
static struct batch *batch_new(struct zk *zk, size_t n, enum phase phase)
{
	struct batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->slots = calloc(n, sizeof(*b->slots));
	b->todo = malloc(n * sizeof(*b->todo));
	b->reqs = calloc(2 * n, sizeof(*b->reqs));
	if (!b->slots || !b->todo || !b->reqs || zk_cond_init(&b->cv)) {
		free(b->slots);
		free(b->todo);
		free(b->reqs);
		free(b);
		return NULL;
	}
	pthread_mutex_init(&b->mu, NULL);
	b->zk = zk;
	b->refs = 1;
	b->n = b->ntodo = n;
	b->last_rc = ZCONNECTIONLOSS;
	for (size_t i = 0; i < n; i++) {
		b->todo[i] = (uint32_t)i;
		b->slots[i].phase = (unsigned char)phase;
	}
	pthread_mutex_lock(&zk->mu);
	b->next = zk->batches;
	if (b->next)
		b->next->prev = b;
	zk->batches = b;
	pthread_mutex_unlock(&zk->mu);
	return b;
}

/* The caller leaves; answers still in flight keep the batch alive. */
static void batch_release(struct batch *b)
{
	bool last;

	pthread_mutex_lock(&b->mu);
	last = --b->refs == 0;
	pthread_mutex_unlock(&b->mu);
	if (last)
		batch_free(b);
}

/* Account for one answer (b->mu held). True when the batch must be freed. */
static bool answered(struct batch *b)
{
	b->inflight--;
	if (b->pending && --b->pending == 0)
		pthread_cond_signal(&b->cv);
	return --b->refs == 0;
}

/*
 * After zookeeper_close(h): no answer will come from h any more. Release what
 * its unanswered requests held and wake their callers (they see RC_PENDING).
 */
void zk_reap(struct zk *zk, const struct zkh *h)
{
	struct batch *b, *next;

	pthread_mutex_lock(&zk->mu);
	for (b = zk->batches; b; b = next) {
		bool dead = false;

		next = b->next;
		pthread_mutex_lock(&b->mu);
		if (b->h == h && b->inflight) {
			b->refs -= (unsigned)b->inflight;
			b->inflight = 0;
			b->pending = 0;
			b->h = NULL;
			pthread_cond_signal(&b->cv);
			dead = b->refs == 0;
		}
		pthread_mutex_unlock(&b->mu);
		if (dead) {
			batch_unlink(zk, b);
			batch_destroy(b);
		}
	}
	pthread_mutex_unlock(&zk->mu);
}

/* ---- completions (the client's completion thread) ---- */

static void stat_from(struct zstat *o, const struct Stat *s)
{
	o->czxid = s->czxid;
	o->mzxid = s->mzxid;
	o->pzxid = s->pzxid;
	o->ctime_ms = s->ctime;
	o->mtime_ms = s->mtime;
	o->version = s->version;
	o->cversion = s->cversion;
	o->aversion = s->aversion;
	o->ephemeral_owner = s->ephemeralOwner;
	o->data_length = s->dataLength;
	o->num_children = s->numChildren;
}

static void finish_answer(struct batch *b)  /* b->mu held; unlocks */
{
	bool last = answered(b);

	pthread_mutex_unlock(&b->mu);
	if (last)
		batch_free(b);
}

static void on_data(int rc, const char *value, int value_len,
		    const struct Stat *stat, const void *data)
{
	const struct req *r = data;
	struct batch *b = r->b;
	struct zdata *d = NULL;
	struct slot *s;

	if (rc == ZOK) {
		d = value && value_len > 0 ? zdata_new(value, (size_t)value_len) : zdata_empty();
		if (!d)
			rc = RC_NOMEM;
	}
	pthread_mutex_lock(&b->mu);
	s = &b->slots[r->idx];
	s->rc[K_DATA] = rc;
	if (rc == ZOK) {
		zdata_put(s->data);
		s->data = d;
		stat_from(&s->st[0], stat);
	}
	finish_answer(b);
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
	struct batch *b = r->b;
	char **names = NULL;
	size_t n = 0;
	struct slot *s;

	if (rc == ZOK && copy_names(strings, &names, &n))
		rc = RC_NOMEM;
	pthread_mutex_lock(&b->mu);
	s = &b->slots[r->idx];
	s->rc[K_CHILDREN] = rc;
	if (rc == ZOK) {
		s->names = names;
		s->nnames = n;
		stat_from(&s->st[1], stat);
	}
	finish_answer(b);
}

static void on_other(int rc, const void *data)
{
	const struct req *r = data;
	struct batch *b = r->b;

	pthread_mutex_lock(&b->mu);
	b->slots[r->idx].rc[K_OTHER] = rc;
	finish_answer(b);
}

static void on_exists(int rc, const struct Stat *stat, const void *data)
{
	on_other(rc, data);
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
	struct batch *b = r->b;
	char *text = NULL;

	if (rc == ZOK && !(text = acl_text(acl)))
		rc = RC_NOMEM;
	pthread_mutex_lock(&b->mu);
	b->slots[r->idx].rc[K_OTHER] = rc;
	if (rc == ZOK)
		b->slots[r->idx].text = text;
	finish_answer(b);
}

/* ---- rounds ---- */

static int send_req(struct batch *b, zhandle_t *zh, const char *path,
		    enum phase ph, enum kind kind, struct req *r)
{
	if (kind == K_DATA)
		return zoo_aget(zh, path, 1, on_data, r);
	if (kind == K_CHILDREN)
		return zoo_aget_children2(zh, path, 1, on_children, r);
	if (ph == PH_EXISTS)
		return zoo_aexists(zh, path, b->watch, on_exists, r);
	if (ph == PH_ACL)
		return zoo_aget_acl(zh, path, on_acl, r);
	return zoo_acreate(zh, path, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT,
			   on_create, r);
}

/* The kinds a slot sends in its phase, as a bit set. */
static unsigned kinds_of(const struct batch *b, const struct slot *s)
{
	if (s->phase != PH_GET)
		return 1u << K_OTHER;
	return ((b->what & FETCH_DATA) ? 1u << K_DATA : 0) |
	       ((b->what & FETCH_CHILDREN) ? 1u << K_CHILDREN : 0);
}

/* A request refused at once: the client will not answer it (but see
 * ZMARSHALLINGERROR, where it may, so its reference stays). */
static void refused(struct batch *b, uint32_t idx, enum kind kind, int rc)
{
	pthread_mutex_lock(&b->mu);
	b->slots[idx].rc[kind] = rc;
	if (rc == ZMARSHALLINGERROR) {
		b->poisoned = true;
	} else {
		b->refs--;
		b->inflight--;
	}
	if (b->pending)
		b->pending--;
	pthread_mutex_unlock(&b->mu);
}

/* Send the requests of every slot in todo on h, all at once. */
static void send_round(struct batch *b, struct zkh *h, const char *const *paths)
{
	size_t nreq = 0, k = 0;

	for (size_t t = 0; t < b->ntodo; t++) {
		struct slot *s = &b->slots[b->todo[t]];

		slot_reset(s);
		for (int kind = 0; kind < K_COUNT; kind++)
			nreq += (kinds_of(b, s) >> kind) & 1u;
	}
	pthread_mutex_lock(&b->mu);
	b->refs += (unsigned)nreq;
	b->inflight += nreq;
	b->pending = nreq;
	b->h = h;
	pthread_mutex_unlock(&b->mu);
	for (size_t t = 0; t < b->ntodo; t++) {
		uint32_t i = b->todo[t];
		struct slot *s = &b->slots[i];
		unsigned kinds = kinds_of(b, s);

		for (int kind = 0; kind < K_COUNT; kind++) {
			struct req *r;
			int rc;

			if (!(kinds & (1u << kind)))
				continue;
			r = &b->reqs[k++];
			r->b = b;
			r->idx = i;
			r->kind = (unsigned char)kind;
			rc = send_req(b, h->zh, paths[i], (enum phase)s->phase, kind, r);
			if (rc != ZOK)
				refused(b, i, kind, rc);
		}
	}
}

/* Wait for the round's answers: 0, or ETIMEDOUT at the deadline. */
static int await_round(struct batch *b, const struct timespec *dl)
{
	int err = 0;

	pthread_mutex_lock(&b->mu);
	while (b->pending > 0 && !err)
		err = zk_timed_wait(&b->cv, &b->mu, dl);
	if (b->pending == 0)
		err = 0;
	pthread_mutex_unlock(&b->mu);
	return err;
}

static bool retryable(int rc)
{
	return rc == RC_PENDING || rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT ||
	       rc == ZINVALIDSTATE || rc == ZSESSIONEXPIRED || rc == ZCLOSING;
}

static void finish(struct slot *s, int rc, const char *path, bool quiet)
{
	s->zrc = rc;
	s->err = rc == RC_NOMEM ? ENOMEM : zk_errno(rc);
	s->phase = PH_DONE;
	if (rc != ZOK && rc != ZNONODE && !quiet)
		log_warn("%s: %s", path, rc == RC_NOMEM ? "out of memory" : zk_errname(rc));
}

/* The call gives up: name the first path left (and how many there are). */
static void log_gave_up(const struct batch *b, const char *const *paths, const char *why)
{
	char more[40] = "";

	if (b->ntodo > 1)
		snprintf(more, sizeof(more), " (and %zu more)", b->ntodo - 1);
	log_warn("%s%s: %s, %s", paths[b->ntodo ? b->todo[0] : 0], more,
		 zk_errname(b->last_rc), why);
}

/* Run rounds until no slot has anything left to ask: 0, or EIO. */
static int run(struct zk *zk, struct batch *b, const char *const *paths,
	       classify_fn classify)
{
	struct timespec dl = zk_deadline(zk->timeout_ms);
	bool backoff = false;
	unsigned gen = 0;

	while (b->ntodo > 0) {
		struct zkh *h = zk_acquire(zk, &dl, backoff, &gen);
		bool poisoned, closing;

		if (!h) {
			pthread_mutex_lock(&zk->mu);
			closing = zk->stopping;
			pthread_mutex_unlock(&zk->mu);
			if (closing)
				b->last_rc = ZCLOSING;
			log_gave_up(b, paths, closing ? "closing" : "not connected in time");
			return EIO;
		}
		send_round(b, h, paths);
		zk_release(zk, h);
		pthread_mutex_lock(&b->mu);
		poisoned = b->poisoned;
		pthread_mutex_unlock(&b->mu);
		if (poisoned) {
			log_warn("%s: %s", paths[b->todo[0]], zk_errname(ZMARSHALLINGERROR));
			return EIO;
		}
		if (await_round(b, &dl)) {
			b->last_rc = ZOPERATIONTIMEOUT;
			log_gave_up(b, paths, "no answer in time");
			return EIO;
		}
		backoff = classify(b, paths);
	}
	return 0;
}

/* ---- classification: after a round, what each slot does next ---- */

/* The result of a get round: a connection error, then ZNONODE, then others. */
static int get_verdict(const struct batch *b, const struct slot *s)
{
	int worst = ZOK;

	for (int k = K_DATA; k <= K_CHILDREN; k++) {
		int rc = s->rc[k];

		if (!(kinds_of(b, s) & (1u << k)) || rc == ZOK)
			continue;
		if (retryable(rc))
			return rc;
		if (rc == ZNONODE || worst == ZOK)
			worst = rc;
	}
	return worst;
}

static void fetch_next(struct batch *b, struct slot *s, int rc, const char *path)
{
	if (s->phase == PH_GET) {
		if (rc == ZNONODE)
			s->phase = PH_EXISTS;   /* set an exists watch */
		else
			finish(s, rc, path, false);
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

static bool fetch_classify(struct batch *b, const char *const *paths)
{
	size_t keep = 0;
	bool retry = false;

	for (size_t t = 0; t < b->ntodo; t++) {
		uint32_t i = b->todo[t];
		struct slot *s = &b->slots[i];
		int rc = s->phase == PH_GET ? get_verdict(b, s) : s->rc[K_OTHER];

		if (retryable(rc)) {
			retry = true;
			b->last_rc = rc;
		} else {
			fetch_next(b, s, rc, paths[i]);
		}
		if (s->phase != PH_DONE)
			b->todo[keep++] = i;
	}
	b->ntodo = keep;
	return retry;
}

/* One request per slot (exists, get_acl). */
static bool single_classify(struct batch *b, const char *const *paths)
{
	size_t keep = 0;
	bool retry = false;

	for (size_t t = 0; t < b->ntodo; t++) {
		uint32_t i = b->todo[t];
		int rc = b->slots[i].rc[K_OTHER];

		if (retryable(rc)) {
			retry = true;
			b->last_rc = rc;
			b->todo[keep++] = i;
		} else {
			finish(&b->slots[i], rc, paths[i], false);
		}
	}
	b->ntodo = keep;
	return retry;
}

/* Creates of ensure_path: after a connection error, every component not yet
 * there is sent again, in order, so that parents precede children. */
static bool create_classify(struct batch *b, const char *const *paths)
{
	size_t keep = 0;
	bool retry = false;

	for (size_t t = 0; t < b->ntodo; t++) {
		int rc = b->slots[b->todo[t]].rc[K_OTHER];

		if (retryable(rc)) {
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
			finish(&b->slots[i], rc, paths[i], true);   /* ensure_result logs */
	}
	b->ntodo = keep;
	return retry;
}

/* ---- calls ---- */

/* Run a batch as one call: 0 or an errno (EIO after the deadline). */
static int call(struct zk *zk, struct batch *b, const char *const *paths,
		classify_fn classify)
{
	int err;

	if (!zk_enter(zk)) {
		log_warn("%s: %s", paths[0], zk_errname(ZCLOSING));
		return EIO;
	}
	err = run(zk, b, paths, classify);
	zk_leave(zk);
	return err;
}

static void take_result(const struct batch *b, struct slot *s, struct zfetch *o)
{
	o->err = s->err;
	if (o->err)
		return;
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

static int be_fetch(void *impl, const char *const *paths, size_t n, unsigned what,
		    struct zfetch *out)
{
	struct zk *zk = impl;
	struct batch *b;
	int err;

	if (n == 0)
		return 0;
	memset(out, 0, n * sizeof(*out));
	if (!(what & (FETCH_DATA | FETCH_CHILDREN)) || n > UINT32_MAX)
		return EINVAL;
	b = batch_new(zk, n, PH_GET);
	if (!b) {
		log_err("%s: out of memory for a batch of %zu", paths[0], n);
		return ENOMEM;
	}
	b->what = what;
	b->watch = true;
	err = call(zk, b, paths, fetch_classify);
	if (!err)
		for (size_t i = 0; i < n; i++)
			take_result(b, &b->slots[i], &out[i]);
	batch_release(b);
	return err;
}

/* One request on one path: the slot's final errno, or the call's. */
static int single(struct zk *zk, const char *path, enum phase ph, bool watch,
		  char **text)
{
	struct batch *b = batch_new(zk, 1, ph);
	int err;

	if (!b) {
		log_err("%s: out of memory", path);
		return ENOMEM;
	}
	b->watch = watch;
	err = call(zk, b, &path, single_classify);
	if (!err)
		err = b->slots[0].err;
	if (!err && text) {
		*text = b->slots[0].text;
		b->slots[0].text = NULL;
	}
	batch_release(b);
	return err;
}

static int be_get_acl(void *impl, const char *path, char **text)
{
	*text = NULL;
	return single(impl, path, PH_ACL, false, text);
}

static enum zstate be_state(void *impl)
{
	return zk_state(impl);
}

static const struct backend_ops zk_ops = {
	.fetch = be_fetch,
	.get_acl = be_get_acl,
	.state = be_state,
};

struct backend zk_backend(struct zk *zk)
{
	return (struct backend){ .ops = &zk_ops, .impl = zk };
}

int zk_exists(struct zk *zk, const char *path)
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

int zk_ensure_path(struct zk *zk, const char *path)
{
	struct batch *b;
	char **v = NULL;
	size_t n = 0;
	int err;

	if (!path || path[0] != '/')
		return EINVAL;
	err = zk_exists(zk, path);      /* also EINVAL for an invalid path */
	if (err != ENOENT)
		return err;
	b = components(path, &v, &n) ? NULL : batch_new(zk, n, PH_CREATE);
	if (!b) {
		log_err("%s: out of memory", path);
		free_components(v, n);
		return ENOMEM;
	}
	err = call(zk, b, (const char *const *)v, create_classify);
	if (!err)
		err = ensure_result(b, v, n);
	batch_release(b);
	free_components(v, n);
	return err;
}

void zk_batches_free(struct zk *zk)
{
	while (zk->batches) {
		struct batch *b = zk->batches;

		batch_unlink(zk, b);
		batch_destroy(b);
	}
}
