#include "events.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING 256u          /* transitions kept */
#define ANSWER_MAX 4096u   /* bytes of one answer to a parked read */

struct events_reader {
	struct events_reader *next;   /* e->readers */
	uint64_t seq;                 /* the next transition to show */
	char line[16];                /* the line being shown ... */
	size_t line_len, line_off;    /* ... and how much of it is shown */
	void *ph;                     /* a poll handle to wake, or NULL */
};

struct waiter {
	struct waiter *next;          /* oldest first */
	struct events_reader *r;
	void *req;
	size_t size;
};

struct events {
	pthread_mutex_t lock;
	struct events_hooks hooks;
	bool hooked;
	bool ended;
	uint64_t seq;                 /* transitions so far */
	enum zstate ring[RING];       /* transition n is ring[n % RING] */
	struct events_reader *readers;
	struct waiter *waiters, **tail;
};

struct events *events_new(const struct events_hooks *hooks)
{
	struct events *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	pthread_mutex_init(&e->lock, NULL);
	if (hooks) {
		e->hooks = *hooks;
		e->hooked = true;
	}
	e->tail = &e->waiters;
	return e;
}

/* Bytes ready for r: the rest of its line, or a line still to come. Lock held. */
static bool ready(const struct events *e, const struct events_reader *r)
{
	return e->ended || r->line_off < r->line_len || r->seq < e->seq;
}

/* Copy up to size bytes of r's lines into buf. Lock held. */
static size_t take(struct events *e, struct events_reader *r, char *buf, size_t size)
{
	size_t n = 0;

	if (e->seq - r->seq > RING)
		r->seq = e->seq - RING;
	while (n < size) {
		size_t k;

		if (r->line_off == r->line_len) {
			if (r->seq == e->seq)
				break;
			r->line_len = (size_t)snprintf(r->line, sizeof(r->line), "%s\n",
						       zstate_name(e->ring[r->seq % RING]));
			r->line_off = 0;
			r->seq++;
		}
		k = r->line_len - r->line_off;
		if (k > size - n)
			k = size - n;
		memcpy(buf + n, r->line + r->line_off, k);
		r->line_off += k;
		n += k;
	}
	return n;
}

/* Answer what can be answered among the parked reads, and wake poll handles
 * whose reader is ready. Lock held. */
static void answer_ready(struct events *e)
{
	struct waiter **pw = &e->waiters;
	char buf[ANSWER_MAX];

	while (*pw) {
		struct waiter *w = *pw;
		size_t n;

		if (!ready(e, w->r)) {
			pw = &w->next;
			continue;
		}
		n = take(e, w->r, buf, w->size < sizeof(buf) ? w->size : sizeof(buf));
		*pw = w->next;
		e->hooks.answer(e->hooks.ctx, w->req, buf, n);
		free(w);
	}
	e->tail = pw;
	for (struct events_reader *r = e->readers; r; r = r->next) {
		if (r->ph && ready(e, r)) {
			e->hooks.wake(e->hooks.ctx, r->ph);
			r->ph = NULL;
		}
	}
}

void events_push(struct events *e, enum zstate s)
{
	pthread_mutex_lock(&e->lock);
	e->ring[e->seq % RING] = s;
	e->seq++;
	if (e->hooked)
		answer_ready(e);
	pthread_mutex_unlock(&e->lock);
}

void events_end(struct events *e)
{
	pthread_mutex_lock(&e->lock);
	e->ended = true;
	if (e->hooked)
		answer_ready(e);
	pthread_mutex_unlock(&e->lock);
}

void events_free(struct events *e)
{
	if (!e)
		return;
	events_end(e);
	while (e->readers) {
		struct events_reader *r = e->readers;

		e->readers = r->next;
		free(r);
	}
	pthread_mutex_destroy(&e->lock);
	free(e);
}

struct events_reader *events_open(struct events *e)
{
	struct events_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_mutex_lock(&e->lock);
	r->seq = e->seq;
	r->next = e->readers;
	e->readers = r;
	pthread_mutex_unlock(&e->lock);
	return r;
}

void events_close(struct events *e, struct events_reader *r)
{
	struct events_reader **pr;
	struct waiter **pw;

	if (!r)
		return;
	pthread_mutex_lock(&e->lock);
	for (pr = &e->readers; *pr && *pr != r; pr = &(*pr)->next)
		;
	if (*pr)
		*pr = r->next;
	for (pw = &e->waiters; *pw;) {
		struct waiter *w = *pw;

		if (w->r != r) {
			pw = &w->next;
			continue;
		}
		*pw = w->next;
		e->hooks.answer(e->hooks.ctx, w->req, NULL, 0);
		free(w);
	}
	for (e->tail = &e->waiters; *e->tail; e->tail = &(*e->tail)->next)
		;
	if (r->ph)
		e->hooks.drop(e->hooks.ctx, r->ph);
	pthread_mutex_unlock(&e->lock);
	free(r);
}

ssize_t events_read(struct events *e, struct events_reader *r, char *buf, size_t size,
		    void *req)
{
	struct waiter *w;
	ssize_t rc;

	if (size == 0)
		return 0;
	pthread_mutex_lock(&e->lock);
	if (ready(e, r)) {
		rc = (ssize_t)take(e, r, buf, size);
	} else if (!e->hooked || !req) {
		rc = -EAGAIN;
	} else if (e->hooks.interrupted(e->hooks.ctx, req)) {
		rc = -EINTR;
	} else if (!(w = calloc(1, sizeof(*w)))) {
		rc = -ENOMEM;
	} else {
		w->r = r;
		w->req = req;
		w->size = size;
		*e->tail = w;
		e->tail = &w->next;
		rc = -EAGAIN;
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

bool events_cancel(struct events *e, void *req)
{
	struct waiter **pw, *w = NULL;
	bool found;

	pthread_mutex_lock(&e->lock);
	for (pw = &e->waiters; *pw && (*pw)->req != req; pw = &(*pw)->next)
		;
	if (*pw) {
		w = *pw;
		*pw = w->next;
		if (e->tail == &w->next)
			e->tail = pw;
	}
	pthread_mutex_unlock(&e->lock);
	found = w != NULL;
	free(w);
	return found;
}

bool events_poll(struct events *e, struct events_reader *r, void *ph)
{
	bool is_ready;

	pthread_mutex_lock(&e->lock);
	is_ready = ready(e, r);
	if (ph && e->hooked) {
		if (is_ready) {
			e->hooks.drop(e->hooks.ctx, ph);
		} else {
			if (r->ph)
				e->hooks.drop(e->hooks.ctx, r->ph);
			r->ph = ph;
		}
	}
	pthread_mutex_unlock(&e->lock);
	return is_ready;
}
