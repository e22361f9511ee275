/* auth — the credentials file (contract in auth.h). */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AUTH_MAX_BYTES 65536

static void wipe(char *s, size_t len)
{
	if (s)
		explicit_bzero(s, len);
}

void auth_free(struct auth *a)
{
	for (size_t i = 0; i < a->n; i++) {
		wipe(a->creds[i].scheme, strlen(a->creds[i].scheme));
		wipe(a->creds[i].cert, a->creds[i].len);
		free(a->creds[i].scheme);
		free(a->creds[i].cert);
	}
	free(a->creds);
	a->creds = NULL;
	a->n = 0;
}

/* Read the whole file after checking who may read it. malloc'd, NUL-ended;
 * *lenp is the number of bytes read (the file may hold NUL bytes). */
static char *read_private(const char *path, size_t *lenp, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	ssize_t got;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "auth_file %s: %s", path, strerror(e));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "auth_file %s: not a regular file", path);
	} else if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "auth_file %s: mode %03o lets group or others read it; "
			 "refused (chmod 600 %s)", path, (unsigned)(st.st_mode & 0777), path);
	} else if (st.st_size > AUTH_MAX_BYTES) {
		snprintf(err, errlen, "auth_file %s: larger than %d bytes", path, AUTH_MAX_BYTES);
	} else if (!(buf = calloc(1, (size_t)st.st_size + 1))) {
		snprintf(err, errlen, "auth_file %s: out of memory", path);
	} else {
		while (len < (size_t)st.st_size &&
		       (got = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
			len += (size_t)got;
		buf[len] = '\0';
		*lenp = len;
	}
	close(fd);
	return buf;
}

static int add(struct auth *a, const char *line, size_t sep)
{
	struct auth_cred *nc = realloc(a->creds, (a->n + 1) * sizeof(*nc));
	struct auth_cred *c;

	if (!nc)
		return -1;
	a->creds = nc;
	c = &a->creds[a->n];
	c->scheme = strndup(line, sep);
	c->cert = strdup(line + sep + 1);
	if (!c->scheme || !c->cert) {
		free(c->scheme);
		free(c->cert);
		return -1;
	}
	c->len = strlen(c->cert);
	a->n++;
	return 0;
}

/* One line: "scheme:user:password". Returns a reason, or NULL when fine. */
static const char *parse_line(struct auth *a, char *line)
{
	size_t len = strlen(line), sep;
	const char *colon;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';
	if (len == 0 || line[0] == '#')
		return NULL;
	colon = strchr(line, ':');
	if (!colon || colon == line)
		return "expected scheme:user:password";
	sep = (size_t)(colon - line);
	if (strcmp(line + sep + 1, "") == 0 || !strchr(line + sep + 1, ':'))
		return "expected scheme:user:password";
	if (add(a, line, sep) != 0)
		return "out of memory";
	return NULL;
}

int auth_load(const char *path, struct auth *out, char *err, size_t errlen)
{
	size_t total = 0;
	char *buf = read_private(path, &total, err, errlen), *line, *end;
	const char *why = NULL;
	int lineno = 0;

	out->creds = NULL;
	out->n = 0;
	if (!buf)
		return -1;
	/* By length, not strlen: a NUL byte must neither hide the lines after it
	 * nor keep them from being wiped. */
	for (line = buf; line < buf + total && !why; line = end + 1) {
		end = memchr(line, '\n', (size_t)(buf + total - line));
		if (!end)
			end = buf + total;
		*end = '\0';
		lineno++;
		why = memchr(line, '\0', (size_t)(end - line)) ? "NUL byte in line"
							      : parse_line(out, line);
	}
	wipe(buf, total);
	free(buf);
	if (why) {
		snprintf(err, errlen, "auth_file %s:%d: %s", path, lineno, why);
		auth_free(out);
		return -1;
	}
	if (out->n == 0) {
		snprintf(err, errlen, "auth_file %s: no credentials", path);
		auth_free(out);
		return -1;
	}
	return 0;
}
