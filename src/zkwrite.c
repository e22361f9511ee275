/*
 * zkwrite — the writes of struct backend: create, set, remove and multi
 * (contracts in zkwrite.h and backend.h). Each is a batch (zkbatch.h) of one
 * slot that sends one request: zoo_acreate2, zoo_aset, zoo_adelete or
 * zoo_amulti.
 *
 * A write is sent at most once. Before it has left (not connected yet, or
 * refused at once by the client, e.g. ZINVALIDSTATE while a session is being
 * replaced) the call waits and tries again within its deadline, as reads do.
 * Once the client has taken it (slot.sent), a connection error or the
 * deadline leaves the outcome unknown ("<path>: <ZERROR>, outcome unknown" in
 * the log): the server may or may not have applied it, and sending it again
 * could apply it twice (a set of version -1) or report a success as a failure
 * (a create that then finds its own node: EEXIST). So the call reads back
 * what it wrote instead, within one more timeout (read_back below): success
 * when ZooKeeper shows the write applied, EIO when it shows it not applied or
 * cannot tell (or cannot be reached).
 *
 * Logging: EEXIST, ENOENT, ESTALE and ENOTEMPTY are outcomes the caller
 * expects and reports, so they are logged at debug level; every other failure
 * at warning level, with the path and the ZooKeeper error name.
 */
#include "zkwrite.h"

#include "zkbatch.h"
#include "zkcall.h"
#include "zkerr.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zookeeper/zookeeper.h>

#include "log.h"

/* ---- completions (the client's completion thread) ---- */

static void answer(const struct req *r, int rc, const struct Stat *stat)
{
	struct slot *s = answer_begin(r);

	s->rc[K_OTHER] = rc;
	if (rc == ZOK && stat)
		zstat_from(&s->st[0], stat);
	answer_end(r->b);
}

static void on_created(int rc, const char *path, const struct Stat *stat, const void *data)
{
	answer(data, rc, stat);
}

static void on_set(int rc, const struct Stat *stat, const void *data)
{
	answer(data, rc, stat);
}

/* zoo_adelete; and zoo_amulti, whose per-operation results the client has
 * written into b->results before it calls this. */
static void on_done(int rc, const void *data)
{
	answer(data, rc, NULL);
}

/* ---- sending ---- */

/* The bytes to send: the client wants a buffer even for an empty value. */
static const char *value_of(const struct zop *op)
{
	return op->len ? op->data : "";
}

static int send_write(struct batch *b, zhandle_t *zh, const struct req *r)
{
	const struct zop *op = &b->ops[0];

	if (b->multi)
		return zoo_amulti(zh, (int)b->nops, b->zops, b->results, on_done, r);
	switch (op->type) {
	case ZOP_CREATE:
		return zoo_acreate2(zh, op->path, value_of(op), (int)op->len, b->zk->acl,
				    ZOO_PERSISTENT, on_created, r);
	case ZOP_SET:
		return zoo_aset(zh, op->path, value_of(op), (int)op->len, op->version,
				on_set, r);
	case ZOP_DELETE:
		return zoo_adelete(zh, op->path, op->version, on_done, r);
	case ZOP_CHECK:
		break;
	}
	return ZBADARGUMENTS;   /* not reached: a lone check is not a call */
}

static unsigned write_kinds(const struct batch *b, const struct slot *s)
{
	return 1u << K_OTHER;
}

/* ---- outcome ---- */

/* The operation a failed multi failed on: the first whose result is neither
 * ZOK nor ZRUNTIMEINCONSISTENCY (what the server gives the operations after
 * the failing one). nops when none is (the whole request failed). */
static size_t failing_op(const struct batch *b)
{
	for (size_t i = 0; i < b->nops; i++)
		if (b->results[i].err != ZOK && b->results[i].err != ZRUNTIMEINCONSISTENCY)
			return i;
	return b->nops;
}

static void log_failure(const char *path, int rc)
{
	int err = zk_errno(rc);

	if (rc == ZOK)
		return;
	if (err == EEXIST || err == ENOENT || err == ESTALE || err == ENOTEMPTY)
		log_debug("%s: %s", path, zk_errname(rc));
	else
		log_warn("%s: %s", path, zk_errname(rc));
}

/* The first path, and how many more operations a multi has. */
static void write_gave_up(const struct batch *b, const char *why)
{
	char more[48] = "";

	if (b->nops > 1)
		snprintf(more, sizeof(more), " (and %zu more in a multi)", b->nops - 1);
	log_warn("%s%s: %s, %s", b->ops[0].path, more, zk_errname(b->last_rc), why);
}

static bool write_classify(struct batch *b)
{
	struct slot *s = &b->slots[0];
	int rc = s->rc[K_OTHER];
	const char *path = b->ops[0].path;

	if (batch_retryable(rc) && !s->sent) {
		b->last_rc = rc;
		return true;            /* it never left: wait and send it */
	}
	b->ntodo = 0;
	if (batch_retryable(rc)) {      /* it may have reached the server */
		batch_finish(s, rc);
		s->err = EIO;
		/* RC_PENDING: the handle was closed under it (batch_reap). */
		b->last_rc = rc == RC_PENDING ? ZCLOSING : rc;
		write_gave_up(b, "outcome unknown");
		return false;
	}
	if (b->multi && rc != ZOK) {
		size_t i = failing_op(b);

		if (i < b->nops) {
			rc = b->results[i].err;
			path = b->ops[i].path;
		}
	}
	batch_finish(s, rc);
	log_failure(path, rc);
	return false;
}

static const struct batch_class write_class = {
	write_kinds, send_write, write_classify, write_gave_up, "outcome unknown",
};

/* ---- checks before sending ---- */

/*
 * The C client's own test of a path (isValidPath() in zookeeper.c, for a
 * persistent node). Only a multi needs it: zoo_amulti() reports a bad path
 * as ZMARSHALLINGERROR, without saying which operation, while the single
 * calls answer ZBADARGUMENTS. The server refuses more (ZBADARGUMENTS).
 */
static bool path_ok(const char *path)
{
	size_t len;

	if (!path || path[0] != '/')
		return false;
	len = strlen(path);
	if (len == 1)
		return true;
	if (path[len - 1] == '/')
		return false;
	for (size_t i = 1; i < len; i++) {
		unsigned char c = (unsigned char)path[i], prev = (unsigned char)path[i - 1];
		bool ends = i + 1 == len || path[i + 1] == '/';

		if (c == '/' && prev == '/')
			return false;
		if (c == '.' && ends && (prev == '/' || (prev == '.' && path[i - 2] == '/')))
			return false;           /* "." or ".." as a component */
		if (c >= 0x01 && c < 0x1f)
			return false;
	}
	return true;
}

/* An operation the client cannot send: 0, or EINVAL (logged). */
static int check_op(const struct zop *op, bool multi)
{
	bool valued = op->type == ZOP_CREATE || op->type == ZOP_SET;

	if ((unsigned)op->type > ZOP_CHECK || !op->path) {
		log_warn("%s: %s", op->path ? op->path : "(null)", zk_errname(ZBADARGUMENTS));
		return EINVAL;
	}
	if (valued && (op->len > INT_MAX || (op->len && !op->data))) {
		log_warn("%s: %s (a value of %zu bytes)", op->path,
			 zk_errname(ZBADARGUMENTS), op->len);
		return EINVAL;
	}
	if (multi && !path_ok(op->path)) {
		log_warn("%s: %s", op->path, zk_errname(ZBADARGUMENTS));
		return EINVAL;
	}
	return 0;
}

/* For a multi: the results the client fills in, and the requests to send. */
static int prepare_multi(struct batch *b)
{
	b->results = calloc(b->nops, sizeof(*b->results));
	b->zops = calloc(b->nops, sizeof(*b->zops));
	if (!b->results || !b->zops)
		return ENOMEM;
	for (size_t i = 0; i < b->nops; i++) {
		const struct zop *op = &b->ops[i];
		zoo_op_t *z = &b->zops[i];

		if (op->type == ZOP_CREATE)
			zoo_create_op_init(z, op->path, value_of(op), (int)op->len,
					   b->zk->acl, ZOO_PERSISTENT, NULL, 0);
		else if (op->type == ZOP_SET)
			zoo_set_op_init(z, op->path, value_of(op), (int)op->len,
					op->version, NULL);
		else if (op->type == ZOP_DELETE)
			zoo_delete_op_init(z, op->path, op->version);
		else
			zoo_check_op_init(z, op->path, op->version);
	}
	return 0;
}

/* ---- an unknown outcome, read back ---- */

enum seen { SEEN_APPLIED, SEEN_NOT_APPLIED, SEEN_UNCLEAR };

static bool same_value(const struct zop *op, const struct zfetch *f)
{
	size_t len = f->data ? f->data->len : 0;

	if (f->noread)    /* no permission to read it back: cannot tell */
		return false;
	return len == op->len && (len == 0 || memcmp(f->data->bytes, op->data, len) == 0);
}

/* What the read-back `f` of op's path says of op. */
static enum seen seen_of(const struct zop *op, const struct zfetch *f)
{
	switch (op->type) {
	case ZOP_CREATE:
		if (f->err == ENOENT)
			return SEEN_NOT_APPLIED;
		return f->err == 0 && f->stat.version == 0 && same_value(op, f) ?
			SEEN_APPLIED : SEEN_UNCLEAR;
	case ZOP_SET:
		if (f->err != 0)
			return SEEN_UNCLEAR;
		if (op->version < 0)    /* an overwrite: its value shows, or not */
			return same_value(op, f) ? SEEN_APPLIED : SEEN_UNCLEAR;
		if (f->stat.version == op->version)
			return SEEN_NOT_APPLIED;
		return f->stat.version == op->version + 1 && same_value(op, f) ?
			SEEN_APPLIED : SEEN_UNCLEAR;
	case ZOP_DELETE:
		if (f->err == ENOENT)
			return SEEN_APPLIED;
		return f->err == 0 && (op->version < 0 || f->stat.version == op->version) ?
			SEEN_NOT_APPLIED : SEEN_UNCLEAR;
	case ZOP_CHECK:
		break;
	}
	return SEEN_UNCLEAR;
}

/*
 * After a write of unknown outcome: read back every path it wrote and decide.
 * 0 (applied: *st gets the stat of a create or set) when every operation
 * shows applied, EIO when every one shows not applied or when it cannot be
 * told (someone else changed the node since, or no answer in time). A multi
 * is atomic: all applied or none.
 */
static int read_back(struct zk *zk, const struct zop *ops, size_t n, struct zstat *st)
{
	const char **paths = calloc(n, sizeof(*paths));
	struct zfetch *f = calloc(n, sizeof(*f));
	size_t applied = 0, not_applied = 0, checked = 0;
	int err = EIO;

	if (!paths || !f) {
		free(paths);
		free(f);
		log_err("%s: out of memory to read back a write of unknown outcome", ops[0].path);
		return EIO;
	}
	for (size_t i = 0; i < n; i++)
		paths[i] = ops[i].path;
	if (zk_read_back(zk, paths, n, f) != 0) {
		log_warn("%s: read back failed: the write's outcome stays unknown", ops[0].path);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (ops[i].type == ZOP_CHECK)
			continue;
		checked++;
		switch (seen_of(&ops[i], &f[i])) {
		case SEEN_APPLIED:     applied++;     break;
		case SEEN_NOT_APPLIED: not_applied++; break;
		case SEEN_UNCLEAR:     break;
		}
	}
	if (checked && applied == checked) {
		err = 0;
		if (st)
			*st = f[0].stat;
		log_warn("%s: read back: the write was applied", ops[0].path);
	} else if (checked && not_applied == checked) {
		log_warn("%s: read back: the write was not applied", ops[0].path);
	} else {
		log_warn("%s: read back: changed since by someone else, the write's outcome "
			 "stays unknown", ops[0].path);
	}
out:
	for (size_t i = 0; i < n; i++)
		zfetch_clear(&f[i]);
	free(f);
	free(paths);
	return err;
}

/* ---- calls ---- */

/*
 * Send ops[0..n) once, as one request (a multi when `multi`): the errno of
 * the outcome. *st (if not NULL) gets the stat of a create or set; *failed
 * (if not NULL) the index of the operation a multi failed on, n otherwise.
 */
static int write_call(struct zk *zk, const struct zop *ops, size_t n, bool multi,
		      struct zstat *st, size_t *failed)
{
	const struct slot *s;
	struct batch *b;
	bool unknown;
	int err;

	if (failed)
		*failed = n;
	for (size_t i = 0; i < n; i++) {
		err = check_op(&ops[i], multi);
		if (err) {
			if (failed)
				*failed = i;
			return err;
		}
	}
	b = batch_new(zk, &write_class, &ops[0].path, 1, PH_WRITE);
	if (b) {
		b->ops = ops;
		b->nops = n;
		b->multi = multi;
	}
	if (!b || (multi && prepare_multi(b))) {
		log_err("%s: out of memory", ops[0].path);
		if (b)
			batch_release(b);
		return ENOMEM;
	}
	err = batch_call(b);
	s = &b->slots[0];
	/* Sent, and then no answer or a connection error: unknown. */
	unknown = s->sent && (err == EIO || (err == 0 && s->err == EIO && batch_retryable(s->zrc)));
	if (!err) {
		err = s->err;
		if (!err && st)
			*st = s->st[0];
		/* An answer from the server (not a lost connection) names the
		 * operation at fault. */
		if (err && multi && failed && !batch_retryable(s->zrc))
			*failed = failing_op(b);
	}
	batch_release(b);
	if (unknown)
		err = read_back(zk, ops, n, st);
	return err;
}

int zk_write_create(void *impl, const char *path, const char *data, size_t len,
		    struct zstat *st)
{
	struct zop op = { .type = ZOP_CREATE, .path = path, .data = data, .len = len,
			  .version = -1 };

	return write_call(impl, &op, 1, false, st, NULL);
}

int zk_write_set(void *impl, const char *path, const char *data, size_t len,
		 int32_t version, struct zstat *st)
{
	struct zop op = { .type = ZOP_SET, .path = path, .data = data, .len = len,
			  .version = version };

	return write_call(impl, &op, 1, false, st, NULL);
}

int zk_write_remove(void *impl, const char *path, int32_t version)
{
	struct zop op = { .type = ZOP_DELETE, .path = path, .version = version };

	return write_call(impl, &op, 1, false, NULL, NULL);
}

int zk_write_multi(void *impl, const struct zop *ops, size_t n, size_t *failed)
{
	if (failed)
		*failed = n;
	if (n == 0)
		return 0;               /* an empty transaction changes nothing */
	if (n > INT_MAX) {
		log_warn("%s: %s (%zu operations)", ops[0].path, zk_errname(ZBADARGUMENTS), n);
		return EINVAL;
	}
	return write_call(impl, ops, n, true, NULL, failed);
}
