/*
 * zkbatch — the engine under every call over the connection (zkconn.h): the
 * reads of zkcall.c and the writes of zkwrite.c. Private to src/zk*.c.
 *
 * A call is one struct batch of `n` slots (one per path, or one per write).
 * It runs in rounds: wait until CONNECTED, send every outstanding request at
 * once, wait for all their answers, then let the call's classifier decide
 * what each slot does next (done; ask something else; retry after a
 * connection error), until no slot has anything left to ask or the deadline
 * (timeout_ms from the start of the call) has passed.
 *
 * The engine never decides that a request may be sent again: the classifier
 * does. Reads are idempotent and retried; a write is retried only while it
 * has not left (slot.sent is false), so it is sent at most once.
 *
 * A batch is heap-allocated and counted (the caller + each request in
 * flight), so an answer arriving after the caller gave up only drops a
 * reference: everything a completion writes into (slots, a multi's results)
 * lives in the batch. Every batch is linked in zk->batches: after
 * zookeeper_close() the client may have dropped requests without answering
 * them, and batch_reap() releases what they held and wakes their caller,
 * who sees RC_PENDING.
 *
 * Lock order: zk->mu, then batch->mu. Completions run on the client's
 * completion thread and take batch->mu only (zk->mu to free a batch).
 */
#ifndef ZKFS_ZKBATCH_H
#define ZKFS_ZKBATCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zookeeper/zookeeper.h>

#include "backend.h"
#include "zkconn.h"

/* Our own result codes next to ZooKeeper's (which are <= 0). */
#define RC_PENDING 1           /* not answered in this round */
#define RC_NOMEM   2           /* answered, but copying the answer failed */

/* What a slot asks in its next round (the classifier's business). */
enum phase { PH_DONE, PH_GET, PH_EXISTS, PH_STAT, PH_ACL, PH_CREATE, PH_WRITE };
/* The requests of one slot in a round: get, get_children, or one other. */
enum kind { K_DATA, K_CHILDREN, K_OTHER, K_COUNT };

/* Slot fields marked b->mu are written under it by the completions while the
 * round's requests are in flight; the caller reads and resets them only once
 * the round is over (pending == 0, seen under b->mu). */
struct slot {
	int rc[K_COUNT];        /* b->mu: this round's answers, RC_PENDING if none */
	struct zstat st[2];     /* b->mu: [0] data, create or set answer; [1] children */
	struct zdata *data;     /* b->mu */
	char **names;           /* b->mu */
	size_t nnames;          /* b->mu */
	char *text;             /* b->mu: get_acl */
	int zrc;                /* caller: the final result code */
	int err;                /* caller: the final errno */
	unsigned char phase;    /* caller */
	unsigned char refetch;  /* caller */
	bool noread;            /* caller: done with a stat only (fetch: ZNOAUTH) */
	bool sent;              /* caller: a request of this round was taken by
	                         * the client, so it may reach the server */
};

struct req {                    /* the `data` of one request */
	struct batch *b;
	uint32_t idx;           /* its slot */
	unsigned char kind;     /* enum kind */
};

/* What makes a batch a particular call. */
struct batch_class {
	/* The requests slot s sends in its phase: a set of (1u << enum kind). */
	unsigned (*kinds)(const struct batch *b, const struct slot *s);
	/* Send request r (slot r->idx, r->kind) on zh: ZOK, or the client's
	 * refusal (then no answer comes, except after ZMARSHALLINGERROR). */
	int (*send)(struct batch *b, zhandle_t *zh, const struct req *r);
	/* After a round: finish each slot in todo that is done (batch_finish),
	 * set the phase of the others, and keep only those in todo, ascending.
	 * Returns true when a connection error was seen (back off). */
	bool (*classify)(struct batch *b);
	/* Log that the call gives up; `why` is "not connected in time",
	 * "closing", or `late` below. */
	void (*gave_up)(const struct batch *b, const char *why);
	/* What the deadline means for requests in flight: "no answer in time"
	 * for reads, "outcome unknown" for writes. */
	const char *late;
};

struct batch {
	struct zk *zk;                  /* immutable */
	const struct batch_class *cls;  /* immutable */
	pthread_mutex_t mu;
	pthread_cond_t cv;              /* on mu: pending reached 0 */
	struct batch *prev, *next;      /* zk->mu */
	unsigned refs;                  /* mu: the caller + each request in flight */
	size_t inflight;                /* mu: sent, not answered */
	size_t pending;                 /* mu: of this round, not answered */
	const struct zkh *h;            /* mu: where the requests in flight went */
	bool poisoned;                  /* mu: a request may be answered late */
	zoo_op_result_t *results;       /* a multi's, one per operation: written by
	                                 * the client's completion thread before it
	                                 * calls our completion (which takes mu);
	                                 * read by the caller once the round is over */
	/* caller only: */
	struct cancel *cancel;          /* ends the call's waits early, or NULL
	                                 * (cancel.h: reads only) */
	const char *const *paths;       /* one per slot; valid during the call */
	bool watch;
	unsigned what;                  /* FETCH_* */
	int last_rc;                    /* last connection error seen */
	size_t n, ntodo;
	uint32_t *todo;                 /* slots with requests this round, ascending */
	struct slot *slots;
	struct req *reqs;               /* 2 per slot */
	const struct zop *ops;          /* a write's operations (zkwrite.c) */
	size_t nops;
	bool multi;                     /* send ops as one transaction */
	zoo_op_t *zops;                 /* a multi's requests, built to send */
};

/* A batch of n slots (1 <= n <= UINT32_MAX), all in the first round with
 * `phase`, linked in zk->batches; the caller holds its one reference.
 * `paths` (one per slot) must stay valid until the call returns. NULL on
 * ENOMEM or an n out of range. */
struct batch *batch_new(struct zk *zk, const struct batch_class *cls,
			const char *const *paths, size_t n, enum phase phase);

/* The caller leaves; answers still in flight keep the batch alive. */
void batch_release(struct batch *b);

/*
 * Run the batch as one call: rounds until no slot is left in todo. Returns 0
 * (each slot's outcome is in its zrc and err), EIO when the call gave up
 * (zk_free has begun, not connected in time, no answer by the deadline, a
 * request the client could not marshal; it has logged why: cls->gave_up), or
 * EINTR when b->cancel fired while it waited (requests still in flight are
 * answered into the batch and dropped, as after the deadline).
 */
int batch_call(struct batch *b);

/* In a completion: lock b->mu and return r's slot ... */
struct slot *answer_begin(const struct req *r);
/* ... then account for the answer, unlock, and free the batch if this was
 * its last reference. */
void answer_end(struct batch *b);

/* The slot is done with result code rc: zrc, err (RC_NOMEM is ENOMEM) and
 * PH_DONE. Logs nothing. */
void batch_finish(struct slot *s, int rc);

/* A connection error, or no answer: a request may be retried if idempotent. */
bool batch_retryable(int rc);

/* The first path left in todo, with " (and N more)": the default gave_up. */
void batch_log_gave_up(const struct batch *b, const char *why);

/* A ZooKeeper Stat in host types. */
void zstat_from(struct zstat *o, const struct Stat *s);

/* After zookeeper_close(h) no answer comes from h any more: release what
 * its unanswered requests held and wake their callers, who see RC_PENDING
 * (the supervisor, zk.c). Takes zk->mu, then each batch's mutex. */
void batch_reap(struct zk *zk, const struct zkh *h);

/* Free every batch left (zk_free, once every handle is closed and every
 * caller has left; none should be left then). */
void batch_free_all(struct zk *zk);

#endif
