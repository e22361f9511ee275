/*
 * catlat — what a `cat` loop on the mount sees during a burst of remote
 * changes (test_inotify): open FILE, read it to EOF, close it, again and
 * again until STOPFILE exists, timing each round (CLOCK_MONOTONIC).
 *
 *   catlat FILE STOPFILE
 *
 * Prints "ready" once the first round is done, and at the end
 * "cats N errors E p50_ms X p99_ms Y max_ms Z". Exit 0 when E is 0 and
 * N at least 1; 1 otherwise; 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	size_t n = 0, cap = 1024;
	long long *lat = malloc(cap * sizeof(*lat));
	long errors = 0;
	char buf[65536];

	if (argc != 3 || !lat) {
		fprintf(stderr, "usage: catlat FILE STOPFILE\n");
		free(lat);
		return 2;
	}
	while (access(argv[2], F_OK) != 0) {
		long long t0 = now_ns();
		int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
		ssize_t r = 0;

		if (fd < 0) {
			errors++;
			if (errors <= 5)
				fprintf(stderr, "catlat: open %s: %s\n", argv[1], strerror(errno));
		} else {
			while ((r = read(fd, buf, sizeof(buf))) > 0 || (r < 0 && errno == EINTR))
				;
			if (r < 0 && ++errors <= 5)
				fprintf(stderr, "catlat: read %s: %s\n", argv[1], strerror(errno));
			close(fd);
		}
		if (n == cap) {
			long long *v = realloc(lat, 2 * cap * sizeof(*lat));

			if (!v)
				break;
			lat = v;
			cap *= 2;
		}
		lat[n++] = now_ns() - t0;
		if (n == 1) {
			printf("ready\n");
			fflush(stdout);
		}
	}
	if (n == 0) {
		printf("cats 0 errors %ld\n", errors);
		free(lat);
		return 1;
	}
	qsort(lat, n, sizeof(*lat), cmp_ll);
	printf("cats %zu errors %ld p50_ms %.3f p99_ms %.3f max_ms %.3f\n", n, errors,
	       lat[n / 2] / 1e6, lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] / 1e6,
	       lat[n - 1] / 1e6);
	free(lat);
	return errors ? 1 : 0;
}
