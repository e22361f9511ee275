/*
 * fsreval — after a session expiry, the revalidation of the facts the node
 * table kept (contract: fs_on_state, fs_start, fs_stop and fs_reval_wait in
 * fsops.h; the calls from fs.c in fsops_int.h).
 *
 * An expiry kills every watch, but the facts stay: node_on_expired marks them
 * stale and they are served as while SUSPENDED, with no notice to the kernel.
 * At each CONNECTED, this module's thread (never the backend's event thread,
 * which must not call the backend) makes one pass:
 *
 *   1. the paths of the stale entries, under the table lock, sorted so that a
 *      path comes before its parent (ZooKeeper delivers a node's DELETED or
 *      CREATED before its parent's CHILD);
 *   2. in batches of REVAL_BATCH: each entry still stale is pinned and its
 *      epoch noted, then one pipelined fetch of the batch (FETCH_DATA |
 *      FETCH_CHILDREN: it watches every path on the new session again);
 *   3. each answer whose entry's epoch did not move (no event, no drop, no
 *      other expiry meanwhile) is compared with the cached facts: absent vs
 *      present (ZEV_CREATED, ZEV_DELETED), czxid (a new incarnation:
 *      ZEV_DELETED), mzxid and version (ZEV_CHANGED), pzxid, cversion and the
 *      list of children (ZEV_CHILD; with a data change, both). Unchanged: the
 *      facts stay cached (node_revalidated). Changed: fs_on_watch once per
 *      kind, exactly as if the watch had fired (fs.c hands it over at
 *      fs_reval_init: fs.c is above this file), then the fetched facts are
 *      stored if nothing else moved the epoch in between (otherwise the
 *      next access fetches again).
 *
 * A request that needs a stale fact while CONNECTED does not wait for the
 * pass: fs_refresh fetches it and judges it the same way (fs_reval_judge),
 * so that what is read after CONNECTED is current (a write through this
 * mount raises no event on a path the new session does not watch yet) and a
 * change still raises its events once, whichever of the two finds it first.
 *
 * A batch that fails (connection lost for longer than the backend's timeout,
 * EINTR at stop), another expiry or a stop ends the pass: what it did not
 * reach stays stale, still served, and the next CONNECTED starts a new pass.
 * The cost is one fetch per stale path, REVAL_BATCH of them per round trip.
 *
 * Locks: fs->reval.mu (the thread's state) and the table lock are never held
 * together, and neither across a fetch or fs_on_watch. The event thread only
 * sets flags and signals (fs_reval_expired, fs_reval_connected).
 */
#include "fsops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fsops_int.h"
#include "log.h"

#define REVAL_BATCH 512   /* paths per pipelined fetch */

/* ---- the thread's state ---- */

int fs_reval_init(struct fs *fs, fs_change_fn change)
{
	struct fs_reval *r = &fs->reval;
	int err;

	memset(r, 0, sizeof(*r));
	r->change = change;
	err = pthread_cond_init(&r->cond, NULL);
	if (err)
		return err;
	pthread_mutex_init(&r->mu, NULL);
	pthread_mutex_init(&r->join_mu, NULL);
	cancel_init(&r->cx);
	return 0;
}

void fs_reval_destroy(struct fs *fs)
{
	struct fs_reval *r = &fs->reval;

	fs_stop(fs);
	cancel_destroy(&r->cx);
	pthread_mutex_destroy(&r->join_mu);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cond);
}

void fs_reval_expired(struct fs *fs)
{
	pthread_mutex_lock(&fs->reval.mu);
	fs->reval.gen++;
	pthread_mutex_unlock(&fs->reval.mu);
}

void fs_reval_connected(struct fs *fs)
{
	pthread_mutex_lock(&fs->reval.mu);
	fs->reval.wanted = true;
	pthread_cond_broadcast(&fs->reval.cond);
	pthread_mutex_unlock(&fs->reval.mu);
}

void fs_reval_end(struct fs *fs)
{
	pthread_mutex_lock(&fs->reval.mu);
	fs->reval.stop = true;
	pthread_cond_broadcast(&fs->reval.cond);
	pthread_mutex_unlock(&fs->reval.mu);
	cancel_fire(&fs->reval.cx);   /* the fetch in flight gives up */
}

/* Whether the pass begun at expiry count `gen` must end: stopped, or the
 * session it revalidates on expired too. */
static bool pass_over(struct fs *fs, unsigned gen)
{
	bool over;

	pthread_mutex_lock(&fs->reval.mu);
	over = fs->reval.stop || fs->reval.gen != gen;
	pthread_mutex_unlock(&fs->reval.mu);
	return over;
}

/* ---- comparing an answer with the cached facts ---- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Descending: a path before its parent (a prefix sorts first ascending). */
static int cmp_paths_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

/* The same names as the entry's sorted children; sorts f's. */
static bool same_children(const struct entry *e, struct zfetch *f)
{
	if (e->nchildren != f->nchildren)
		return false;
	if (f->nchildren > 1)
		qsort(f->children, f->nchildren, sizeof(*f->children), cmp_names);
	for (size_t i = 0; i < f->nchildren; i++)
		if (strcmp(e->children[i], f->children[i]) != 0)
			return false;
	return true;
}

/* The events that take the stale facts of `e` to what `f` (answered 0 or
 * ENOENT) says, into ev[]; how many (0: unchanged). Lock held. */
static size_t changes(const struct entry *e, struct zfetch *f, enum zevent ev[2])
{
	size_t n = 0;

	if (e->absent) {
		if (f->err == ENOENT)
			return 0;
		ev[0] = ZEV_CREATED;
		return 1;
	}
	if (f->err == ENOENT || f->stat.czxid != e->stat.czxid) {
		ev[0] = ZEV_DELETED;   /* gone, or another incarnation */
		return 1;
	}
	/* Not readable any more: its facts cannot be cached (fs_settle). */
	if (f->noread || f->stat.mzxid != e->stat.mzxid || f->stat.version != e->stat.version)
		ev[n++] = ZEV_CHANGED;
	if (f->stat.pzxid != e->stat.pzxid || f->stat.cversion != e->stat.cversion ||
	    (!f->noread && !same_children(e, f)))
		ev[n++] = ZEV_CHILD;
	return n;
}

/*
 * Judge the answer `f` for pinned entry `e`, whose epoch was `epoch` before
 * the fetch (fsops_int.h). Lock held on entry and return, dropped while
 * fs_on_watch runs. A change is claimed (no longer stale) before the lock is
 * dropped, so that the pass and a request judging the same path at once
 * raise its events once.
 */
enum fs_reval_outcome fs_reval_judge(struct fs *fs, struct entry *e, uint64_t epoch,
				     struct zfetch *f, size_t *nev)
{
	enum zevent ev[2];
	size_t n;

	*nev = 0;
	if (e->epoch != epoch || !e->stale)
		return FS_REVAL_SKIPPED;   /* an event, a drop or an expiry came first */
	if (f->err && f->err != ENOENT) {
		log_debug("%s: not revalidated (%s): still stale", e->path, strerror(f->err));
		return FS_REVAL_FAILED;
	}
	n = changes(e, f, ev);
	node_revalidated(fs->nt, e);   /* the fetch watches it again */
	if (n == 0)
		return FS_REVAL_UNCHANGED;
	node_unlock(fs->nt);
	for (size_t i = 0; i < n; i++) {
		log_debug("%s: changed while the session was gone: event %d", e->path,
			  (int)ev[i]);
		fs->reval.change(fs, ev[i], e->path);   /* fs_on_watch */
	}
	*nev = n;
	node_lock(fs->nt);
	/* Each fs_on_watch moved the epoch once: if nothing else did, the
	 * fetched facts are current, and their watches are set. */
	if (e->epoch == epoch + n) {
		if (f->err == ENOENT)
			node_store_absent(fs->nt, e, e->epoch);
		else if (!f->noread)
			node_store(fs->nt, e, e->epoch, f);
	}
	return FS_REVAL_CHANGED;
}

/* ---- a pass ---- */

/* Revalidate `paths[0..n)` with one fetch. 0, or the fetch's errno. */
static int run_batch(struct fs *fs, char **paths, size_t n, struct fs_reval_stats *st)
{
	struct entry **ents = calloc(n, sizeof(*ents));
	uint64_t *epochs = calloc(n, sizeof(*epochs));
	const char **ask = calloc(n, sizeof(*ask));
	struct zfetch *out = calloc(n, sizeof(*out));
	size_t m = 0;
	int rc = 0;

	if (!ents || !epochs || !ask || !out) {
		rc = ENOMEM;
		goto out;
	}
	node_lock(fs->nt);
	for (size_t i = 0; i < n; i++) {
		struct entry *e = node_entry(fs->nt, paths[i]);

		if (!e || !e->stale)
			continue;   /* swept, dropped or refetched since */
		entry_pin(e);
		ents[m] = e;
		epochs[m] = e->epoch;
		ask[m] = e->path;   /* const while pinned */
		m++;
	}
	node_unlock(fs->nt);
	if (m > 0)
		rc = fs->be.ops->fetch(fs->be.impl, ask, m, FETCH_DATA | FETCH_CHILDREN, out);
	node_lock(fs->nt);
	for (size_t i = 0; i < m && rc == 0; i++) {
		size_t nev;

		switch (fs_reval_judge(fs, ents[i], epochs[i], &out[i], &nev)) {
		case FS_REVAL_UNCHANGED: st->unchanged++; break;
		case FS_REVAL_CHANGED:   st->changed++; break;
		case FS_REVAL_SKIPPED:   st->skipped++; break;
		case FS_REVAL_FAILED:    st->failed++; break;
		}
		st->events += nev;
		st->paths++;
	}
	for (size_t i = 0; i < m; i++)
		entry_unpin(ents[i]);
	node_unlock(fs->nt);
	for (size_t i = 0; i < m; i++)
		zfetch_clear(&out[i]);
out:
	free(ents);
	free(epochs);
	free(ask);
	free(out);
	return rc;
}

/* One pass over what is stale now, for the session of expiry count `gen`.
 * Adds what it did to *st. */
static void pass(struct fs *fs, unsigned gen, struct fs_reval_stats *st)
{
	char **paths;
	size_t n, done = 0;
	int rc = 0;

	node_lock(fs->nt);
	paths = node_stale_paths(fs->nt, &n);
	node_unlock(fs->nt);
	if (n == SIZE_MAX) {
		log_err("out of memory for the revalidation of the cached facts: "
			"tried again at the next connection");
		st->given_up++;
		return;
	}
	if (n == 0)
		return;
	qsort(paths, n, sizeof(*paths), cmp_paths_desc);
	log_info("revalidating the cached facts of %zu path(s) on the new session", n);
	while (done < n && !pass_over(fs, gen)) {
		size_t k = n - done < REVAL_BATCH ? n - done : REVAL_BATCH;

		rc = run_batch(fs, paths + done, k, st);
		if (rc)
			break;
		done += k;
	}
	if (done < n) {
		st->given_up++;
		log_info("revalidation ended after %zu of %zu path(s) (%s): the rest stays cached, "
			 "revalidated at the next connection", done, n,
			 rc ? strerror(rc) : "the session expired or the mount ends");
	} else {
		log_info("revalidation done: %zu path(s), %zu unchanged, %zu changed (%zu events), "
			 "%zu skipped (an event or an expiry came first), %zu failed", n, st->unchanged,
			 st->changed, st->events, st->skipped, st->failed);
	}
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

static void *reval_main(void *arg)
{
	struct fs *fs = arg;
	struct fs_reval *r = &fs->reval;

	cancel_set_current(&r->cx);    /* fs_stop ends the fetch in flight */
	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct fs_reval_stats st = { 0 };
		unsigned gen;

		while (!r->stop && !r->wanted)
			pthread_cond_wait(&r->cond, &r->mu);
		if (r->stop)
			break;
		r->wanted = false;
		r->running = true;
		gen = r->gen;
		pthread_mutex_unlock(&r->mu);
		pass(fs, gen, &st);
		pthread_mutex_lock(&r->mu);
		r->running = false;
		r->stats.passes++;
		r->stats.paths += st.paths;
		r->stats.unchanged += st.unchanged;
		r->stats.changed += st.changed;
		r->stats.events += st.events;
		r->stats.skipped += st.skipped;
		r->stats.failed += st.failed;
		r->stats.given_up += st.given_up;
		pthread_cond_broadcast(&r->cond);
	}
	r->running = false;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
	cancel_set_current(NULL);
	return NULL;
}

/* ---- life cycle ---- */

int fs_start(struct fs *fs)
{
	struct fs_reval *r = &fs->reval;
	int err = 0;

	pthread_mutex_lock(&r->mu);
	if (r->started)
		err = EALREADY;
	else if (r->stop)
		err = ECANCELED;
	else if ((err = pthread_create(&r->thread, NULL, reval_main, fs)) == 0)
		r->started = true;
	pthread_mutex_unlock(&r->mu);
	return err;
}

void fs_stop(struct fs *fs)
{
	struct fs_reval *r;
	bool join;

	if (!fs)
		return;
	r = &fs->reval;
	fs_reval_end(fs);
	pthread_mutex_lock(&r->join_mu);
	pthread_mutex_lock(&r->mu);
	join = r->started;
	r->started = false;
	pthread_mutex_unlock(&r->mu);
	if (join)
		pthread_join(r->thread, NULL);
	pthread_mutex_unlock(&r->join_mu);
}

void fs_reval_wait(struct fs *fs, struct fs_reval_stats *st)
{
	struct fs_reval *r = &fs->reval;

	pthread_mutex_lock(&r->mu);
	while (r->started && !r->stop && (r->wanted || r->running))
		pthread_cond_wait(&r->cond, &r->mu);
	if (st)
		*st = r->stats;
	pthread_mutex_unlock(&r->mu);
}
