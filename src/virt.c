#include "virt.h"

#include <stdio.h>

void virt_init(struct virt *v)
{
	pthread_mutex_init(&v->lock, NULL);
	v->state = ZS_LOST;
	clock_gettime(CLOCK_REALTIME, &v->changed);
	v->transitions = 0;
}

void virt_destroy(struct virt *v)
{
	pthread_mutex_destroy(&v->lock);
}

bool virt_set_state(struct virt *v, enum zstate s, const struct timespec *now)
{
	bool changed;

	pthread_mutex_lock(&v->lock);
	changed = v->state != s;
	if (changed) {
		v->state = s;
		v->changed = *now;
		v->transitions++;
	}
	pthread_mutex_unlock(&v->lock);
	return changed;
}

size_t virt_state_text(struct virt *v, char *buf, size_t size)
{
	int n;

	pthread_mutex_lock(&v->lock);
	n = snprintf(buf, size, "%s\n", zstate_name(v->state));
	pthread_mutex_unlock(&v->lock);
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

enum zstate virt_state(struct virt *v)
{
	enum zstate s;

	pthread_mutex_lock(&v->lock);
	s = v->state;
	pthread_mutex_unlock(&v->lock);
	return s;
}

struct timespec virt_state_changed(struct virt *v)
{
	struct timespec ts;

	pthread_mutex_lock(&v->lock);
	ts = v->changed;
	pthread_mutex_unlock(&v->lock);
	return ts;
}
