/* Tokens that end a wait for ZooKeeper early. Contract in cancel.h. */
#include "cancel.h"

#include <stddef.h>

static _Thread_local struct cancel *current;

void cancel_init(struct cancel *c)
{
	pthread_mutex_init(&c->mu, NULL);
	atomic_init(&c->fired, false);
	c->wake = NULL;
	c->wake_ctx = NULL;
}

void cancel_destroy(struct cancel *c)
{
	pthread_mutex_destroy(&c->mu);
}

void cancel_fire(struct cancel *c)
{
	pthread_mutex_lock(&c->mu);
	atomic_store(&c->fired, true);
	if (c->wake)
		c->wake(c->wake_ctx);
	pthread_mutex_unlock(&c->mu);
}

bool cancel_fired(const struct cancel *c)
{
	return atomic_load(&c->fired);
}

void cancel_set_waker(struct cancel *c, void (*wake)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&c->mu);
	c->wake = wake;
	c->wake_ctx = ctx;
	pthread_mutex_unlock(&c->mu);
}

struct cancel *cancel_current(void)
{
	return current;
}

void cancel_set_current(struct cancel *c)
{
	current = c;
}
