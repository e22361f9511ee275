#include "mountinfo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Undo the octal escapes (\040 space, \011 tab, \012 newline, \134
 * backslash) of a mountinfo field, in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* The fields of one line that matter here. */
struct line {
	struct mountinfo_id id;
	char *mnt;      /* unescaped */
	char *type;
};

/* Parse one line (modified in place): 0, or -1. */
static int parse(char *line, struct line *out)
{
	char *save = NULL, *tok, *end;
	int field = 0;

	memset(out, 0, sizeof(*out));
	for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		field++;
		if (field == 1) {
			out->id.id = strtoul(tok, &end, 10);
			if (*end)
				return -1;
		} else if (field == 3) {
			if (sscanf(tok, "%u:%u", &out->id.major, &out->id.minor) != 2)
				return -1;
		} else if (field == 5) {
			out->mnt = tok;
		} else if (field > 6 && strcmp(tok, "-") == 0) {
			break;   /* the optional fields end here */
		}
	}
	if (!tok || !out->mnt || !(out->type = strtok_r(NULL, " \n", &save)))
		return -1;
	unescape(out->mnt);
	return 0;
}

/* Call `fn` for each line of `f` until it returns non-zero: that value, 0 at
 * the end, -1 on a line not of the format (errno EINVAL) or a read error. */
static int each_line(FILE *f, int (*fn)(const struct line *l, void *ctx), void *ctx)
{
	char *line = NULL;
	size_t cap = 0;
	struct line l;
	int rc = 0;

	errno = 0;
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		if (parse(line, &l) != 0) {
			errno = EINVAL;
			rc = -1;
		} else {
			rc = fn(&l, ctx);
		}
	}
	free(line);
	if (rc == 0 && ferror(f))
		rc = -1;
	return rc;
}

struct top_ctx {
	const char *path;
	char *fstype;
	size_t len;
	struct mountinfo_id *id;
	int found;
};

static int top_line(const struct line *l, void *arg)
{
	struct top_ctx *c = arg;

	if (strcmp(l->mnt, c->path) != 0)
		return 0;
	c->found = 1;          /* later lines are mounted on top of earlier ones */
	if (c->len) {
		strncpy(c->fstype, l->type, c->len - 1);
		c->fstype[c->len - 1] = '\0';
	}
	if (c->id)
		*c->id = l->id;
	return 0;
}

int mountinfo_top_id(FILE *f, const char *path, char *fstype, size_t len,
		     struct mountinfo_id *id)
{
	struct top_ctx c = { .path = path, .fstype = fstype, .len = len, .id = id };

	if (each_line(f, top_line, &c) < 0)
		return -1;
	return c.found;
}

int mountinfo_top(FILE *f, const char *path, char *fstype, size_t len)
{
	return mountinfo_top_id(f, path, fstype, len, NULL);
}

static int has_line(const struct line *l, void *arg)
{
	const struct mountinfo_id *id = arg;

	return l->id.major == id->major && l->id.minor == id->minor;
}

int mountinfo_has(FILE *f, const struct mountinfo_id *id)
{
	return each_line(f, has_line, (void *)id);
}
