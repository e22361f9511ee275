#include "readlog.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

struct record {
	pid_t pid;           /* 0: free */
	uint64_t path;       /* hash */
	int64_t czxid;
	int32_t version;
};

struct readlog {
	pthread_mutex_t mu;
	struct record rec[READLOG_SIZE];   /* mu */
	size_t next;                       /* mu: the slot to overwrite next */
};

/* The thread group (process) of thread `tid`, or 0 when it is gone. */
static pid_t tgid_of(pid_t tid)
{
	char file[64], line[128];
	pid_t tgid = 0;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/status", (int)tid);
	f = fopen(file, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

struct readlog *readlog_new(void)
{
	struct readlog *rl = calloc(1, sizeof(*rl));

	if (rl)
		pthread_mutex_init(&rl->mu, NULL);
	return rl;
}

void readlog_free(struct readlog *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->mu);
	free(rl);
}

/* The record of (pid, h), or NULL. Lock held. */
static struct record *lookup(struct readlog *rl, pid_t pid, uint64_t h)
{
	for (size_t i = 0; i < READLOG_SIZE; i++)
		if (rl->rec[i].pid == pid && rl->rec[i].path == h)
			return &rl->rec[i];
	return NULL;
}

void readlog_note(struct readlog *rl, pid_t pid, const char *path, int64_t czxid,
		  int32_t version)
{
	uint64_t h = hash_str(path);
	struct record *r;

	if (pid <= 0)
		return;
	pthread_mutex_lock(&rl->mu);
	r = lookup(rl, pid, h);
	if (!r) {
		r = &rl->rec[rl->next];
		rl->next = (rl->next + 1) % READLOG_SIZE;
	}
	*r = (struct record){ .pid = pid, .path = h, .czxid = czxid, .version = version };
	pthread_mutex_unlock(&rl->mu);
}

void readlog_forget(struct readlog *rl, pid_t pid, const char *path)
{
	struct record *r;

	if (pid <= 0)
		return;
	pthread_mutex_lock(&rl->mu);
	r = lookup(rl, pid, hash_str(path));
	if (r)
		r->pid = 0;
	pthread_mutex_unlock(&rl->mu);
}

bool readlog_find(struct readlog *rl, pid_t pid, const char *path, int64_t *czxid,
		  int32_t *version)
{
	uint64_t h = hash_str(path);
	struct record cand[READLOG_SIZE];
	const struct record *found = NULL;
	size_t n = 0;
	pid_t group;

	if (pid <= 0)
		return false;
	pthread_mutex_lock(&rl->mu);
	for (size_t i = 0; i < READLOG_SIZE; i++) {
		const struct record *r = &rl->rec[(rl->next + i) % READLOG_SIZE];  /* oldest first */

		if (r->pid == 0 || r->path != h)
			continue;
		if (r->pid == pid)
			found = r;
		else
			cand[n++] = *r;
	}
	if (found) {
		*czxid = found->czxid;
		*version = found->version;
	}
	pthread_mutex_unlock(&rl->mu);
	if (found)
		return true;
	/* Another thread of the same process? Read /proc without the lock; the
	 * newest matching record wins. */
	group = n ? tgid_of(pid) : 0;
	for (size_t i = n; group && i-- > 0;) {
		if (tgid_of(cand[i].pid) == group) {
			*czxid = cand[i].czxid;
			*version = cand[i].version;
			return true;
		}
	}
	return false;
}
