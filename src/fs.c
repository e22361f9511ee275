/*
 * fs — the filesystem object (fsops.h): its creation and end, and what the
 * backend's events do to it. Above the other fs files: the end frees the
 * handles still open (fsfile.c); an event goes to the node table with the
 * mapping's judgement of what it changes (fsops.c); an expiry and the next
 * CONNECTED go to the revalidation (fsreval.c).
 */
#include "fsops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsops_int.h"
#include "readlog.h"

/* The node table dropped facts: their watches go too (node.h). Lock held;
 * the backend's unwatch sends nothing and waits for nothing. */
static void unwatch(void *ctx, const char *path)
{
	struct fs *fs = ctx;

	fs->be.ops->unwatch(fs->be.impl, path);
}

struct fs *fs_new(const struct fs_config *cfg, struct backend be, notice_fn sink,
		  void *sink_ctx)
{
	struct fs *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	if (fs_reval_init(fs, fs_on_watch) != 0) {
		free(fs);
		return NULL;
	}
	fs->cfg = *cfg;
	fs->cfg.base = strdup(cfg->base);
	fs->cfg.datafile = strdup(cfg->datafile);
	fs->be = be;
	pthread_mutex_init(&fs->files_mu, NULL);
	fs->nt = node_table_new(cfg->base, sink, sink_ctx);
	virt_init(&fs->virt);
	fs->events = events_new(cfg->events_hooks);
	fs->reads = readlog_new();
	if (!fs->cfg.base || !fs->cfg.datafile || !fs->nt || !fs->events || !fs->reads ||
	    (cfg->remote_events && fs_echo_new(fs) != 0)) {
		fs_free(fs);
		return NULL;
	}
	if (be.ops->unwatch)
		node_set_watch_budget(fs->nt, cfg->watch_budget, unwatch, fs);
	return fs;
}

void fs_free(struct fs *fs)
{
	if (!fs)
		return;
	fs_echo_free(fs);         /* its thread uses the table */
	fs_reval_destroy(fs);         /* its thread uses the table and the backend */
	while (fs->files)             /* open when the mount ended: commit nothing */
		fs_discard(fs, fs->files);
	pthread_mutex_destroy(&fs->files_mu);
	node_table_free(fs->nt);
	events_free(fs->events);
	readlog_free(fs->reads);
	virt_destroy(&fs->virt);
	free((char *)fs->cfg.base);
	free((char *)fs->cfg.datafile);
	free(fs);
}

struct node_table *fs_table(struct fs *fs)
{
	return fs->nt;
}

struct virt *fs_virt(struct fs *fs)
{
	return &fs->virt;
}

struct events *fs_events(struct fs *fs)
{
	return fs->events;
}

void fs_detach(struct fs *fs)
{
	atomic_store(&fs->detached, true);
	events_end(fs->events);
	fs_echo_stop(fs);
	fs_reval_end(fs);
}

void fs_on_watch(struct fs *fs, enum zevent ev, const char *path)
{
	node_on_watch(fs->nt, ev, path, fs_kind_stable, fs->echo ? fs_echo_seen : NULL, fs);
}

void fs_on_rejected(struct fs *fs)
{
	node_unwatch_all(fs->nt);
}

bool fs_on_state(struct fs *fs, enum zstate state, bool expired)
{
	struct timespec now;
	bool changed;

	if (expired) {
		node_on_expired(fs->nt);      /* kept, served, stale */
		fs_reval_expired(fs);
	}
	fs_echo_state(fs, state);
	clock_gettime(CLOCK_REALTIME, &now);
	changed = virt_set_state(&fs->virt, state, &now);
	if (changed)
		events_push(fs->events, state);
	if (state == ZS_CONNECTED)
		fs_reval_connected(fs);       /* revalidate what is stale */
	return changed;
}
