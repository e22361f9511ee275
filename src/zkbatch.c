/*
 * zkbatch — the batch engine: life cycle, answers, rounds, the call loop,
 * reaping after a handle is closed (contract in zkbatch.h).
 */
#include "zkbatch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "zkerr.h"

/* ---- life cycle ---- */

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
	s->sent = false;
}

static void batch_destroy(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		slot_reset(&b->slots[i]);
	free(b->slots);
	free(b->todo);
	free(b->reqs);
	free(b->results);
	free(b->zops);
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

struct batch *batch_new(struct zk *zk, const struct batch_class *cls,
			const char *const *paths, size_t n, enum phase phase)
{
	struct batch *b;

	if (n == 0 || n > UINT32_MAX)
		return NULL;
	b = calloc(1, sizeof(*b));
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
	b->cls = cls;
	b->paths = paths;
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

void batch_release(struct batch *b)
{
	bool last;

	pthread_mutex_lock(&b->mu);
	last = --b->refs == 0;
	pthread_mutex_unlock(&b->mu);
	if (last)
		batch_free(b);
}

/*
 * After zookeeper_close(h): no answer will come from h any more. Release what
 * its unanswered requests held and wake their callers (they see RC_PENDING).
 */
void batch_reap(struct zk *zk, const struct zkh *h)
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

void batch_free_all(struct zk *zk)
{
	while (zk->batches) {
		struct batch *b = zk->batches;

		batch_unlink(zk, b);
		batch_destroy(b);
	}
}

/* ---- answers (the client's completion thread) ---- */

struct slot *answer_begin(const struct req *r)
{
	pthread_mutex_lock(&r->b->mu);
	return &r->b->slots[r->idx];
}

void answer_end(struct batch *b)    /* b->mu held; unlocks */
{
	bool last;

	b->inflight--;
	if (b->pending && --b->pending == 0)
		pthread_cond_signal(&b->cv);
	last = --b->refs == 0;
	pthread_mutex_unlock(&b->mu);
	if (last)
		batch_free(b);
}

void zstat_from(struct zstat *o, const struct Stat *s)
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

/* ---- rounds ---- */

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

static unsigned count_kinds(unsigned kinds)
{
	unsigned n = 0;

	for (int kind = 0; kind < K_COUNT; kind++)
		n += (kinds >> kind) & 1u;
	return n;
}

/* Send the requests of every slot in todo on h, all at once. A reference per
 * request is taken first: an answer may come before the next is sent. */
static void send_round(struct batch *b, struct zkh *h)
{
	size_t nreq = 0, k = 0;

	for (size_t t = 0; t < b->ntodo; t++) {
		struct slot *s = &b->slots[b->todo[t]];

		slot_reset(s);
		nreq += count_kinds(b->cls->kinds(b, s));
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
		unsigned kinds = b->cls->kinds(b, s);

		for (int kind = 0; kind < K_COUNT; kind++) {
			struct req *r;
			int rc;

			if (!(kinds & (1u << kind)))
				continue;
			r = &b->reqs[k++];
			r->b = b;
			r->idx = i;
			r->kind = (unsigned char)kind;
			rc = b->cls->send(b, h->zh, r);
			if (rc == ZOK)
				s->sent = true;
			else
				refused(b, i, kind, rc);
		}
	}
}

static bool cancelled(const struct batch *b)
{
	return b->cancel && cancel_fired(b->cancel);
}

/* Wait for the round's answers: 0, ETIMEDOUT at the deadline, or EINTR once
 * b->cancel fired. */
static int await_round(struct batch *b, const struct timespec *dl)
{
	int err = 0;

	pthread_mutex_lock(&b->mu);
	while (b->pending > 0 && !err && !cancelled(b))
		err = zk_timed_wait(&b->cv, &b->mu, dl);
	if (b->pending == 0)
		err = 0;
	else if (!err)
		err = EINTR;
	pthread_mutex_unlock(&b->mu);
	return err;
}

/* cancel.h's waker: wake the caller wherever it waits, in zk_acquire
 * (zk->cond) or in await_round (b->cv). One lock at a time. */
static void wake_caller(void *ctx)
{
	struct batch *b = ctx;

	pthread_mutex_lock(&b->zk->mu);
	pthread_cond_broadcast(&b->zk->cond);
	pthread_mutex_unlock(&b->zk->mu);
	pthread_mutex_lock(&b->mu);
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

/* The first path left in todo, with " (and N more)" in `more`, for the log. */
static const char *todo_path(const struct batch *b, char *more, size_t len)
{
	more[0] = '\0';
	if (b->ntodo > 1)
		snprintf(more, len, " (and %zu more)", b->ntodo - 1);
	return b->paths[b->ntodo ? b->todo[0] : 0];
}

static int interrupted(const struct batch *b)
{
	char more[40];
	const char *path = todo_path(b, more, sizeof(more));

	log_info("%s%s: interrupted", path, more);
	return EINTR;
}

bool batch_retryable(int rc)
{
	return rc == RC_PENDING || rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT ||
	       rc == ZINVALIDSTATE || rc == ZSESSIONEXPIRED || rc == ZCLOSING;
}

void batch_finish(struct slot *s, int rc)
{
	s->zrc = rc;
	s->err = rc == RC_NOMEM ? ENOMEM : zk_errno(rc);
	s->phase = PH_DONE;
}

void batch_log_gave_up(const struct batch *b, const char *why)
{
	char more[40];
	const char *path = todo_path(b, more, sizeof(more));

	log_warn("%s%s: %s, %s", path, more, zk_errname(b->last_rc), why);
}

/* Why a call found no connection to send on (zk_acquire gave none). */
static const char *no_connection(struct zk *zk, bool *closing)
{
	const char *why;

	pthread_mutex_lock(&zk->mu);
	*closing = zk->stopping;
	why = zk->stopping ? "closing" : zk->no_wait ? "not connected (the mount is gone: "
		"nothing waits any more)" : "not connected in time";
	pthread_mutex_unlock(&zk->mu);
	return why;
}

static bool is_poisoned(struct batch *b)
{
	bool poisoned;

	pthread_mutex_lock(&b->mu);
	poisoned = b->poisoned;
	pthread_mutex_unlock(&b->mu);
	return poisoned;
}

/* Run rounds until no slot has anything left to ask: 0, or EIO. */
static int run(struct zk *zk, struct batch *b)
{
	struct timespec dl = zk_deadline(zk->timeout_ms);
	bool backoff = false;
	unsigned gen = 0;

	while (b->ntodo > 0) {
		struct zkh *h = zk_acquire(zk, &dl, backoff, &gen, b->cancel);

		if (!h && cancelled(b))
			return interrupted(b);
		if (!h) {
			bool closing;
			const char *why = no_connection(zk, &closing);

			if (closing)
				b->last_rc = ZCLOSING;
			b->cls->gave_up(b, why);
			return EIO;
		}
		send_round(b, h);
		zk_release(zk, h);
		if (is_poisoned(b)) {
			log_warn("%s: %s", b->paths[b->todo[0]], zk_errname(ZMARSHALLINGERROR));
			return EIO;
		}
		int err = await_round(b, &dl);

		if (err == EINTR)
			return interrupted(b);
		if (err) {
			b->last_rc = ZOPERATIONTIMEOUT;
			b->cls->gave_up(b, b->cls->late);
			return EIO;
		}
		backoff = b->cls->classify(b);
	}
	return 0;
}

int batch_call(struct batch *b)
{
	struct zk *zk = b->zk;
	int err;

	if (!zk_enter(zk)) {
		log_warn("%s: %s", b->paths[0], zk_errname(ZCLOSING));
		return EIO;
	}
	if (b->cancel)
		cancel_set_waker(b->cancel, wake_caller, b);
	err = run(zk, b);
	if (b->cancel)
		cancel_set_waker(b->cancel, NULL, NULL);
	zk_leave(zk);
	return err;
}
