/*
 * wr — file operations with exact errno reporting, for the integration tests:
 * what a shell redirection cannot do or cannot tell apart (which call failed,
 * with which errno; a pause between write and close).
 *
 *   wr open FILE FLAGS [STEP...]
 *       open(2) FILE with FLAGS, a comma list of
 *         rdonly wronly rdwr trunc append creat excl   (wronly unless rdonly/rdwr)
 *       ("-" for none: wronly), mode 0644; then run the STEPs in order:
 *         write DATA         write(2) DATA at the current position
 *         pwrite OFF DATA    pwrite(2) DATA at byte offset OFF
 *         write-stdin        write all of stdin (64 KiB per write(2))
 *         ftruncate LEN      ftruncate(2)
 *         fsync              fsync(2)
 *         wait FILE          print "waiting" on stdout, then wait until FILE
 *                            exists (polling every 10 ms, at most 60 s)
 *         poll MS            poll(2) for POLLIN, at most MS ms: print "ready"
 *                            or "timeout" on stdout
 *         read               one read(2) of up to 4096 bytes, copied to stdout
 *         close              close(2) (done at the end when not given)
 *   wr truncate FILE LEN     truncate(2) by path (no open handle)
 *   wr rename OLD NEW [noreplace|exchange]
 *                            renameat2(2), flags 0 / RENAME_NOREPLACE /
 *                            RENAME_EXCHANGE
 *   wr errmsg ENAME          print strerror() of the errno named ENAME (EPERM:
 *                            "Operation not permitted"), to match messages of
 *                            other tools
 *
 * A failing call prints one line "wr: STEP: ENAME (message)" on stderr, for
 * example "wr: close: ESTALE (Stale file handle)". After the first failure the
 * remaining steps are skipped, but an open file is still closed, and a failing
 * close is reported on its own line too.
 *
 * Exit: 0 when every call succeeded; else the code of the FIRST failing step:
 *   10 open, 11 write/pwrite/write-stdin, 12 ftruncate/truncate, 13 fsync,
 *   14 close, 15 rename, 16 wait (deadline passed), 17 poll, 18 read; 2 usage or
 *   a local error.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
	EX_USAGE = 2, EX_OPEN = 10, EX_WRITE = 11, EX_TRUNC = 12, EX_FSYNC = 13,
	EX_CLOSE = 14, EX_RENAME = 15, EX_WAIT = 16, EX_POLL = 17, EX_READ = 18,
};

static int first_fail; /* exit code of the first failing step, 0 if none */

/* Report errno for STEP; remember CODE if it is the first failure. */
static void failed(const char *step, int code)
{
	int e = errno;
	const char *name = strerrorname_np(e);
	if (name)
		fprintf(stderr, "wr: %s: %s (%s)\n", step, name, strerror(e));
	else
		fprintf(stderr, "wr: %s: errno %d (%s)\n", step, e, strerror(e));
	if (!first_fail)
		first_fail = code;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: wr open FILE FLAGS [write DATA | pwrite OFF DATA | write-stdin |\n"
		"                           ftruncate LEN | fsync | wait FILE | poll MS | read |\n"
		"                           close]...\n"
		"       wr truncate FILE LEN\n"
		"       wr rename OLD NEW [noreplace|exchange]\n"
		"       wr errmsg ENAME\n");
	return EX_USAGE;
}

static int parse_flags(const char *s, int *flags)
{
	int acc = O_WRONLY, extra = 0;
	char *copy = strdup(s), *save = NULL;
	if (!copy)
		return -1;
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "rdonly")) acc = O_RDONLY;
		else if (!strcmp(w, "wronly")) acc = O_WRONLY;
		else if (!strcmp(w, "rdwr")) acc = O_RDWR;
		else if (!strcmp(w, "trunc")) extra |= O_TRUNC;
		else if (!strcmp(w, "append")) extra |= O_APPEND;
		else if (!strcmp(w, "creat")) extra |= O_CREAT;
		else if (!strcmp(w, "excl")) extra |= O_EXCL;
		else if (strcmp(w, "-")) {
			fprintf(stderr, "wr: unknown open flag '%s'\n", w);
			free(copy);
			return -1;
		}
	}
	free(copy);
	*flags = acc | extra;
	return 0;
}

static int parse_off(const char *s, off_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || end == s || v < 0) {
		fprintf(stderr, "wr: bad number '%s'\n", s);
		return -1;
	}
	*out = (off_t)v;
	return 0;
}

/* Write all of buf at the current position (pos < 0) or at pos. 0, or -1
 * with errno set by the failing call. */
static int write_all(int fd, const char *buf, size_t n, off_t pos)
{
	while (n > 0) {
		ssize_t w = pos < 0 ? write(fd, buf, n) : pwrite(fd, buf, n, pos);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EIO; /* a write that makes no progress */
			return -1;
		}
		buf += w;
		n -= (size_t)w;
		if (pos >= 0)
			pos += w;
	}
	return 0;
}

static int write_stdin(int fd)
{
	static char buf[65536];
	for (;;) {
		ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			perror("wr: stdin");
			exit(EX_USAGE);
		}
		if (r == 0)
			return 0;
		if (write_all(fd, buf, (size_t)r, -1) != 0)
			return -1;
	}
}

/* Print "waiting", then wait until path exists; 0, or -1 after 60 s. */
static int wait_for(const char *path)
{
	struct stat st;
	printf("waiting\n");
	fflush(stdout);
	for (int i = 0; i < 6000; i++) {
		if (stat(path, &st) == 0)
			return 0;
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	fprintf(stderr, "wr: wait: %s did not appear within 60 s\n", path);
	return -1;
}

static int do_open(int argc, char **argv)
{
	int flags;
	if (argc < 2 || parse_flags(argv[1], &flags) != 0)
		return usage();
	int fd = open(argv[0], flags, 0644);
	if (fd < 0) {
		failed("open", EX_OPEN);
		return first_fail;
	}
	int closed = 0;
	for (int i = 2; i < argc; i++) {
		const char *step = argv[i];
		int need = !strcmp(step, "pwrite") ? 2 :
			   !strcmp(step, "write") || !strcmp(step, "ftruncate") ||
			   !strcmp(step, "wait") || !strcmp(step, "poll") ? 1 : 0;
		if (i + need >= argc) {
			fprintf(stderr, "wr: %s needs %d argument(s)\n", step, need);
			first_fail = first_fail ? first_fail : EX_USAGE;
			break;
		}
		off_t off = 0;
		if (closed && strcmp(step, "close")) {
			fprintf(stderr, "wr: %s after close\n", step);
			first_fail = first_fail ? first_fail : EX_USAGE;
			break;
		}
		if (!strcmp(step, "write")) {
			const char *d = argv[i + 1];
			if (write_all(fd, d, strlen(d), -1) != 0)
				failed("write", EX_WRITE);
		} else if (!strcmp(step, "pwrite")) {
			const char *d = argv[i + 2];
			if (parse_off(argv[i + 1], &off) != 0)
				first_fail = EX_USAGE;
			else if (write_all(fd, d, strlen(d), off) != 0)
				failed("pwrite", EX_WRITE);
		} else if (!strcmp(step, "write-stdin")) {
			if (write_stdin(fd) != 0)
				failed("write-stdin", EX_WRITE);
		} else if (!strcmp(step, "ftruncate")) {
			if (parse_off(argv[i + 1], &off) != 0)
				first_fail = EX_USAGE;
			else if (ftruncate(fd, off) != 0)
				failed("ftruncate", EX_TRUNC);
		} else if (!strcmp(step, "fsync")) {
			if (fsync(fd) != 0)
				failed("fsync", EX_FSYNC);
		} else if (!strcmp(step, "wait")) {
			if (wait_for(argv[i + 1]) != 0)
				first_fail = first_fail ? first_fail : EX_WAIT;
		} else if (!strcmp(step, "poll")) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			int n = poll(&pfd, 1, atoi(argv[i + 1]));
			if (n < 0)
				failed("poll", EX_POLL);
			else
				printf("%s\n", n ? "ready" : "timeout");
			fflush(stdout);
		} else if (!strcmp(step, "read")) {
			char b[4096];
			ssize_t n = read(fd, b, sizeof(b));
			if (n < 0)
				failed("read", EX_READ);
			else
				fwrite(b, 1, (size_t)n, stdout);
			fflush(stdout);
		} else if (!strcmp(step, "close")) {
			if (!closed && close(fd) != 0)
				failed("close", EX_CLOSE);
			closed = 1;
		} else {
			fprintf(stderr, "wr: unknown step '%s'\n", step);
			first_fail = first_fail ? first_fail : EX_USAGE;
			break;
		}
		i += need;
		if (first_fail)
			break;
	}
	if (!closed && close(fd) != 0)
		failed("close", EX_CLOSE);
	return first_fail;
}

static int do_truncate(int argc, char **argv)
{
	off_t len;
	if (argc != 2 || parse_off(argv[1], &len) != 0)
		return usage();
	if (truncate(argv[0], len) != 0)
		failed("truncate", EX_TRUNC);
	return first_fail;
}

static int do_rename(int argc, char **argv)
{
	unsigned int flags = 0;
	if (argc == 3 && !strcmp(argv[2], "noreplace"))
		flags = RENAME_NOREPLACE;
	else if (argc == 3 && !strcmp(argv[2], "exchange"))
		flags = RENAME_EXCHANGE;
	else if (argc != 2)
		return usage();
	if (renameat2(AT_FDCWD, argv[0], AT_FDCWD, argv[1], flags) != 0)
		failed("rename", EX_RENAME);
	return first_fail;
}

static int do_errmsg(int argc, char **argv)
{
	if (argc != 1)
		return usage();
	for (int e = 1; e < 4096; e++) {
		const char *name = strerrorname_np(e);
		if (name && !strcmp(name, argv[0])) {
			printf("%s\n", strerror(e));
			return 0;
		}
	}
	fprintf(stderr, "wr: unknown errno name '%s'\n", argv[0]);
	return EX_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	argc -= 2;
	argv += 2;
	int r;
	if (!strcmp(cmd, "open"))
		r = do_open(argc, argv);
	else if (!strcmp(cmd, "truncate"))
		r = do_truncate(argc, argv);
	else if (!strcmp(cmd, "rename"))
		r = do_rename(argc, argv);
	else if (!strcmp(cmd, "errmsg"))
		r = do_errmsg(argc, argv);
	else
		r = usage();
	if (fflush(stdout) != 0 && r == 0)
		r = EX_USAGE;
	return r;
}
