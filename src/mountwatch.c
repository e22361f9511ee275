#include "mountwatch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mountinfo.h"

#define MOUNTINFO "/proc/self/mountinfo"

struct mountwatch {
	struct mountinfo_id id;     /* const */
	void (*gone)(void *ctx);    /* const */
	void *ctx;                  /* const */
	int table_fd;               /* const: polled, never read */
	int stop_fd[2];             /* const: a pipe; a byte (or its close) stops */
	pthread_t thread;
};

/* 1: the mount is still in the table, 0: gone, -1: the table could not be
 * read (the mount is then taken as present). */
static int present(const struct mountinfo_id *id)
{
	FILE *f = fopen(MOUNTINFO, "re");
	int rc;

	if (!f)
		return -1;
	rc = mountinfo_has(f, id);
	fclose(f);
	return rc;
}

static void *watch_main(void *arg)
{
	struct mountwatch *w = arg;
	struct pollfd fds[2] = {
		{ .fd = w->table_fd, .events = POLLPRI },
		{ .fd = w->stop_fd[0], .events = POLLIN },
	};

	/* A change between the identification and the first poll is seen
	 * here: poll marks every change since the table was opened. */
	for (;;) {
		int n = poll(fds, 2, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("%s: poll: %s; a detached mount will not be noticed",
				 MOUNTINFO, strerror(errno));
			break;
		}
		if (fds[1].revents)
			break;
		if (!(fds[0].revents & (POLLPRI | POLLERR)))
			continue;
		if (present(&w->id) == 0) {
			w->gone(w->ctx);
			break;
		}
	}
	return NULL;
}

int mountwatch_start(const char *mountpoint, const char *fstype, void (*gone)(void *ctx),
		     void *ctx, struct mountwatch **out)
{
	struct mountwatch *w = calloc(1, sizeof(*w));
	char type[64];
	FILE *f;
	int rc;

	*out = NULL;
	if (!w)
		return ENOMEM;
	w->gone = gone;
	w->ctx = ctx;
	w->stop_fd[0] = w->stop_fd[1] = -1;
	/* Opened first: every later change marks it, even one before the
	 * thread polls. */
	w->table_fd = open(MOUNTINFO, O_RDONLY | O_CLOEXEC);
	if (w->table_fd < 0 || !(f = fopen(MOUNTINFO, "re"))) {
		rc = errno;
		goto fail;
	}
	rc = mountinfo_top_id(f, mountpoint, type, sizeof(type), &w->id);
	rc = rc < 0 ? errno : rc == 0 || strcmp(type, fstype) != 0 ? ENOENT : 0;
	fclose(f);
	if (rc)
		goto fail;
	if (pipe2(w->stop_fd, O_CLOEXEC) != 0) {
		rc = errno;
		goto fail;
	}
	rc = pthread_create(&w->thread, NULL, watch_main, w);
	if (rc)
		goto fail;
	*out = w;
	return 0;
fail:
	if (w->table_fd >= 0)
		close(w->table_fd);
	if (w->stop_fd[0] >= 0) {
		close(w->stop_fd[0]);
		close(w->stop_fd[1]);
	}
	free(w);
	return rc;
}

int mountwatch_present(struct mountwatch *w)
{
	return w ? present(&w->id) : -1;
}

void mountwatch_stop(struct mountwatch *w)
{
	if (!w)
		return;
	close(w->stop_fd[1]);     /* POLLHUP on the read end */
	pthread_join(w->thread, NULL);
	close(w->stop_fd[0]);
	close(w->table_fd);
	free(w);
}
