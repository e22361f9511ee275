/*
 * reloader — a configuration reloader written with the raw inotify API, as
 * programs that read their configuration from the mount are (test_inotify,
 * issue 17), and a raw event printer.
 *
 *   reloader reload DIR NAME OUT
 *       One watch on directory DIR for IN_CLOSE_WRITE | IN_MOVED_TO |
 *       IN_CREATE | IN_DELETE. Reads DIR/NAME once at the start and again on
 *       every event naming NAME (open, read to EOF, close), and appends one
 *       line per read to OUT (flushed at once):
 *           ok I        a complete value number I of `zkctl setloop`:
 *                       "I:" + (I * 37 % 997 + 1) times 'a' + I % 26 + ":I\n"
 *           bad TEXT    anything else (a partial or mixed value), shown
 *                       escaped, at most 80 bytes
 *           absent      no such file (after IN_DELETE)
 *       Prints "ready" on stdout once the watch is in place; on SIGTERM or
 *       SIGINT prints "reads R events E bad B" and exits: 0 when B is 0.
 *
 *   reloader watch PATH OUT
 *       One watch on PATH (a file or a directory) for every event; appends
 *       one line per event to OUT: "NAME|FLAG,FLAG" (NAME empty for an event
 *       on PATH itself), IN_IGNORED included (inotifywait does not print
 *       it). Prints "ready" once the watch is in place; exits after
 *       IN_IGNORED (the watch is gone) or on SIGTERM/SIGINT.
 *
 * Exit 2 on usage or setup errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;   /* no SA_RESTART: read(2) returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* Whether buf[0..len) is the complete value number *num of zkctl setloop. */
static bool complete(const char *buf, size_t len, long *num)
{
	char *end;
	long i, body, n;
	char tail[32];

	if (len == 0 || buf[0] < '0' || buf[0] > '9')
		return false;
	errno = 0;
	i = strtol(buf, &end, 10);
	if (errno || end >= buf + len || *end != ':' || i < 0)
		return false;
	body = i * 37 % 997 + 1;
	n = end + 1 - buf;
	if (n + body > (long)len)
		return false;
	for (long k = 0; k < body; k++)
		if (buf[n + k] != 'a' + (char)(i % 26))
			return false;
	n += body;
	snprintf(tail, sizeof(tail), ":%ld\n", i);
	if ((size_t)n + strlen(tail) != len || memcmp(buf + n, tail, strlen(tail)) != 0)
		return false;
	*num = i;
	return true;
}

static void put_escaped(FILE *out, const char *p, size_t len)
{
	for (size_t i = 0; i < len && i < 80; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\n')
			fputs("\\n", out);
		else if (c < 0x20 || c > 0x7e || c == '\\')
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	if (len > 80)
		fprintf(out, "...(%zu bytes)", len);
}

/* Read `path` whole and record the value; 1 if it was bad. */
static int reread(const char *path, FILE *out)
{
	static char buf[8192];
	size_t len = 0;
	long num;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT) {
			fprintf(out, "absent\n");
			fflush(out);
			return 0;
		}
		fprintf(out, "bad open: %s\n", strerror(errno));
		fflush(out);
		return 1;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(out, "bad read: %s\n", strerror(errno));
			fflush(out);
			close(fd);
			return 1;
		}
		if (r == 0 || (len += (size_t)r) == sizeof(buf))
			break;
	}
	close(fd);
	if (complete(buf, len, &num)) {
		fprintf(out, "ok %ld\n", num);
		fflush(out);
		return 0;
	}
	fputs("bad ", out);
	put_escaped(out, buf, len);
	fputc('\n', out);
	fflush(out);
	return 1;
}

static void flags(FILE *out, uint32_t m)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{IN_ACCESS, "ACCESS"}, {IN_MODIFY, "MODIFY"}, {IN_ATTRIB, "ATTRIB"},
		{IN_CLOSE_WRITE, "CLOSE_WRITE"}, {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"},
		{IN_OPEN, "OPEN"}, {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"},
		{IN_CREATE, "CREATE"}, {IN_DELETE, "DELETE"}, {IN_DELETE_SELF, "DELETE_SELF"},
		{IN_MOVE_SELF, "MOVE_SELF"}, {IN_UNMOUNT, "UNMOUNT"},
		{IN_Q_OVERFLOW, "Q_OVERFLOW"}, {IN_IGNORED, "IGNORED"}, {IN_ISDIR, "ISDIR"},
	};
	bool first = true;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (m & names[i].bit) {
			fprintf(out, "%s%s", first ? "" : ",", names[i].name);
			first = false;
		}
	}
}

int main(int argc, char **argv)
{
	char evbuf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool reload = argc == 5 && strcmp(argv[1], "reload") == 0;
	bool watch = argc == 4 && strcmp(argv[1], "watch") == 0;
	const char *name = reload ? argv[3] : NULL;
	char path[PATH_MAX];
	long reads = 0, events = 0, bad = 0;
	FILE *out;
	int ifd;

	if (!reload && !watch) {
		fprintf(stderr, "usage: reloader reload DIR NAME OUT | reloader watch PATH OUT\n");
		return 2;
	}
	catch_signals();
	out = fopen(argv[argc - 1], "a");
	ifd = inotify_init1(IN_CLOEXEC);
	if (!out || ifd < 0) {
		perror("reloader: setup");
		return 2;
	}
	if (inotify_add_watch(ifd, argv[2], reload ? IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
							     IN_DELETE : IN_ALL_EVENTS) < 0) {
		fprintf(stderr, "reloader: inotify_add_watch %s: %s\n", argv[2], strerror(errno));
		return 2;
	}
	if (reload) {
		snprintf(path, sizeof(path), "%s/%s", argv[2], name);
		bad += reread(path, out);
		reads++;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		ssize_t r = read(ifd, evbuf, sizeof(evbuf));
		bool gone = false;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			perror("reloader: read");
			return 2;
		}
		for (char *p = evbuf; p < evbuf + r;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			p += sizeof(*ev) + ev->len;
			events++;
			if (watch) {
				fprintf(out, "%s|", ev->len ? ev->name : "");
				flags(out, ev->mask);
				fputc('\n', out);
				fflush(out);
				gone |= (ev->mask & IN_IGNORED) != 0;
			} else if (ev->len && strcmp(ev->name, name) == 0) {
				bad += reread(path, out);
				reads++;
			}
		}
		if (gone)
			break;
	}
	if (reload)
		printf("reads %ld events %ld bad %ld\n", reads, events, bad);
	fclose(out);
	return bad ? 1 : 0;
}
