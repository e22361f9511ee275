#include "readlog.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"

/* A process started within this much after a record may still have made it
 * (the start time in /proc has the resolution of a clock tick). */
#define START_SLACK_MS 20

struct record {
	pid_t pid;           /* 0: free */
	uint64_t path;       /* hash */
	int64_t czxid;
	int32_t version;
	int64_t at_ms;       /* when, in ms since boot */
};

struct readlog {
	pthread_mutex_t mu;
	struct record rec[READLOG_SIZE];   /* mu */
	size_t next;                       /* mu: the slot to overwrite next */
};

int64_t readlog_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_BOOTTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

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

/* When process (or thread) `pid` started, in ms since boot (proc(5):
 * /proc/PID/stat, field 22, in clock ticks); -1 when it is gone. */
static int64_t started_ms(pid_t pid)
{
	char file[64], buf[1024], *p;
	unsigned long long ticks;
	long hz = sysconf(_SC_CLK_TCK);
	size_t n;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/stat", (int)pid);
	f = fopen(file, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');    /* the command name may hold spaces and ')' */
	if (!p || hz <= 0 ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			   "%*d %*d %*d %*d %llu", &ticks) != 1)
		return -1;
	return (int64_t)(ticks * 1000 / (unsigned long long)hz);
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

void readlog_note_at(struct readlog *rl, pid_t pid, const char *path, int64_t czxid,
		     int32_t version, int64_t at_ms)
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
	*r = (struct record){ .pid = pid, .path = h, .czxid = czxid, .version = version,
			      .at_ms = at_ms };
	pthread_mutex_unlock(&rl->mu);
}

void readlog_note(struct readlog *rl, pid_t pid, const char *path, int64_t czxid,
		  int32_t version)
{
	readlog_note_at(rl, pid, path, czxid, version, readlog_now_ms());
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

/* Made by process `group`'s present incarnation: not before it started (a
 * record of an ended process whose pid was given again is not). */
static bool current(const struct record *r, pid_t group)
{
	int64_t start = started_ms(group);

	return start >= 0 && r->at_ms + START_SLACK_MS >= start;
}

bool readlog_find(struct readlog *rl, pid_t pid, const char *path, int64_t *czxid,
		  int32_t *version)
{
	uint64_t h = hash_str(path);
	struct record cand[READLOG_SIZE], own = { 0 };
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
			own = *r;
		else
			cand[n++] = *r;
	}
	pthread_mutex_unlock(&rl->mu);
	/* /proc is read without the lock: only at a rename over a file. */
	group = tgid_of(pid);
	if (!group)
		return false;
	if (own.pid && current(&own, group)) {
		*czxid = own.czxid;
		*version = own.version;
		return true;
	}
	/* Another thread of the same process? The newest matching record. */
	for (size_t i = n; i-- > 0;) {
		if (tgid_of(cand[i].pid) == group && current(&cand[i], group)) {
			*czxid = cand[i].czxid;
			*version = cand[i].version;
			return true;
		}
	}
	return false;
}
