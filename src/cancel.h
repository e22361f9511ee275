/*
 * cancel — a token that ends a wait for ZooKeeper early: an interrupted FUSE
 * request (Ctrl-C on a `cat` blocked on an outage) is answered with EINTR at
 * once, instead of when its call gives up at -o timeout.
 *
 * ops.c makes one token per request that may wait for ZooKeeper and only
 * reads, registers it with libfuse's interrupt callback, and makes it the
 * calling thread's current token for the length of the fs call. The reads of
 * zk (zkbatch.c) take the current token when they start: while they wait,
 * they register a waker, and a fired token makes them give up with EINTR.
 * Writes never take a token (a write abandoned in flight would leave its
 * outcome unknown).
 *
 * The current token is thread-local, like errno: it is the context of the
 * request this worker thread is serving, and passing it through every fs and
 * backend call instead would put a FUSE notion into all of them.
 *
 * Thread-safe: cancel_fire runs on another thread than the waiter. The waker
 * is called with the token's lock held; it may take the locks the waiter
 * waits under, so the waiter must not call cancel_set_waker while holding
 * them.
 */
#ifndef ZKFS_CANCEL_H
#define ZKFS_CANCEL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct cancel {
	pthread_mutex_t mu;
	atomic_bool fired;
	void (*wake)(void *ctx);   /* mu */
	void *wake_ctx;            /* mu */
};

void cancel_init(struct cancel *c);
void cancel_destroy(struct cancel *c);

/* Fire the token (any thread, any number of times): the waiter registered,
 * if any, is woken. */
void cancel_fire(struct cancel *c);

/* Whether the token fired. Lock-free: a waiter checks it under its own lock. */
bool cancel_fired(const struct cancel *c);

/* Register how to wake the waiter (wake NULL: none). If the token already
 * fired, `wake` is not called: the waiter checks cancel_fired itself. */
void cancel_set_waker(struct cancel *c, void (*wake)(void *ctx), void *ctx);

/* The calling thread's current token, or NULL. */
struct cancel *cancel_current(void);
void cancel_set_current(struct cancel *c);

#endif
