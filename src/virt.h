/*
 * virt — the virtual files of the mount root. For now `.state`: the connection
 * state as text ("CONNECTED\n", "SUSPENDED\n", "LOST\n") and the time of the
 * last transition, which is the file's mtime and ctime.
 *
 * Thread-safe: the state is set from the backend's event thread and read by
 * request handlers. Pure: knows neither FUSE nor ZooKeeper.
 */
#ifndef ZKFS_VIRT_H
#define ZKFS_VIRT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "backend.h"

struct virt {
	pthread_mutex_t lock;
	enum zstate state;        /* lock */
	struct timespec changed;  /* lock: CLOCK_REALTIME of the last transition */
	unsigned long transitions;/* lock: how many so far */
};

/* Start in LOST (a new connection starts LOST), changed = now. */
void virt_init(struct virt *v);
void virt_destroy(struct virt *v);

/* Record a transition at `now`. Returns false (and changes nothing) when the
 * state is already `s`. */
bool virt_set_state(struct virt *v, enum zstate s, const struct timespec *now);

/* The content of `.state` into buf (at least 16 bytes); returns its length. */
size_t virt_state_text(struct virt *v, char *buf, size_t size);

/* The state now. */
enum zstate virt_state(struct virt *v);

/* The time of the last transition. */
struct timespec virt_state_changed(struct virt *v);

#endif
