#include "fuzz.h"

#include <unistd.h>

static char tmppath[4096];
static int tmpfd = -1;

static void remove_tmp(void)
{
	unlink(tmppath);
}

const char *fuzz_tmpfile(const char *tag, const uint8_t *data, size_t size)
{
	if (tmpfd < 0) {
		const char *dir = getenv("TMPDIR");

		snprintf(tmppath, sizeof(tmppath), "%s/%s.XXXXXX",
			 dir != NULL && *dir != '\0' ? dir : "/tmp", tag);
		tmpfd = mkstemp(tmppath);
		if (tmpfd < 0) {
			perror("mkstemp");
			abort();
		}
		atexit(remove_tmp);
	}
	CHECK(ftruncate(tmpfd, 0) == 0);
	CHECK(pwrite(tmpfd, data, size, 0) == (ssize_t)size);
	return tmppath;
}
