/*
 * events — the `.events` stream (SPEC.md §6): every open reads one line per
 * connection-state transition after the open ("SUSPENDED\n", "LOST\n",
 * "CONNECTED\n"), a read blocks until there is one, and the end of the mount
 * ends every stream with EOF.
 *
 * Blocking without a thread: a read with nothing to return is *parked*
 * (its opaque request is kept) and answered through the hooks when the next
 * transition or the end comes, or taken back by events_cancel (an
 * interrupt). Poll handles are kept the same way and woken on a transition.
 * Pure: knows neither FUSE nor ZooKeeper; the hooks do.
 *
 * Thread-safe. The hooks are called with the module's lock held: they must
 * not call back into this module. The last 256 transitions are kept; a reader
 * further behind than that skips the oldest.
 */
#ifndef ZKFS_EVENTS_H
#define ZKFS_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "backend.h"

struct events_hooks {
	/* Answer a parked read with `len` bytes (0: EOF). */
	void (*answer)(void *ctx, void *req, const char *buf, size_t len);
	/* Whether the request has been interrupted (checked before parking). */
	bool (*interrupted)(void *ctx, void *req);
	/* Tell a poll handle that its file is readable now, and free it. */
	void (*wake)(void *ctx, void *ph);
	/* Free a poll handle without telling it anything. */
	void (*drop)(void *ctx, void *ph);
	void *ctx;
};

struct events;
struct events_reader;

/* NULL on ENOMEM. Without hooks nothing is ever parked (reads return -EAGAIN). */
struct events *events_new(const struct events_hooks *hooks);
/* Answers what is parked with EOF (as events_end), then frees. */
void events_free(struct events *e);

/* Record a transition to `s`: every parked read that can be answered is. */
void events_push(struct events *e, enum zstate s);
/* The end of the mount: parked reads get EOF, and so does every later read. */
void events_end(struct events *e);

/* A reader that sees the transitions from now on. NULL on ENOMEM. */
struct events_reader *events_open(struct events *e);
/* Forget a reader; what it has parked gets EOF, its poll handle is dropped. */
void events_close(struct events *e, struct events_reader *r);

/* Up to `size` bytes of the reader's next lines into buf: their count (> 0),
 * 0 at the end (EOF), or -EAGAIN: nothing yet; `req` is parked (unless NULL,
 * or interrupted: then -EINTR) and will be answered through the hooks. */
ssize_t events_read(struct events *e, struct events_reader *r, char *buf, size_t size,
		    void *req);
/* Take back a parked request: true when it was parked (the caller answers it
 * now), false when it has been or is being answered already. */
bool events_cancel(struct events *e, void *req);

/* Readiness of a reader: true when a read would not block (a line, or EOF).
 * When not ready and `ph` is not NULL, `ph` is kept (a previous one dropped)
 * and woken at the next transition; when ready, `ph` is dropped at once. */
bool events_poll(struct events *e, struct events_reader *r, void *ph);

#endif
