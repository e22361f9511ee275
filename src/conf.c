/*
 * conf — a small INI reader as a stream (init / line / finish), and
 * conf_load_section(), which reads one file and keeps `servers` and `path` of
 * one section. The contract is in conf.h.
 *
 * Choices the header leaves open:
 *   - blanks inside the brackets are trimmed too: "[ zookeeper ]" is "zookeeper";
 *   - the separator is the first '=' or ':' of the line, so a value may hold
 *     either ("servers = h1:2181");
 *   - no inline comments: "path = /a ; b" has the value "/a ; b" (as Python's
 *     configparser by default);
 *   - a NUL byte inside a line is malformed;
 *   - conf_load_section() matches keys without regard to case (configparser
 *     lower-cases keys) and section names exactly; when a key repeats, or a
 *     section appears twice, the last value wins.
 */
#include "conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Narrow [*s, *e) to its non-blank middle. */
static void trim(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

static int fail(struct conf_parser *p, const char *what)
{
	snprintf(p->error, sizeof(p->error), "line %u: %s", p->lineno, what);
	return -1;
}

void conf_init(struct conf_parser *p, conf_kv_fn fn, void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->fn = fn;
	p->ctx = ctx;
}

/* "[name]": s and e are the trimmed line, *s == '['. */
static int parse_section(struct conf_parser *p, const char *s, const char *e)
{
	if (e[-1] != ']' || e - s < 2)
		return fail(p, "section header without closing ']'");
	s++;
	e--;
	trim(&s, &e);
	if (s == e)
		return fail(p, "empty section name '[]'");
	if ((size_t)(e - s) >= sizeof(p->section))
		return fail(p, "section name too long");
	memcpy(p->section, s, (size_t)(e - s));
	p->section[e - s] = '\0';
	p->in_section = true;
	return 0;
}

/* "key = value" or "key: value": s and e are the trimmed line. */
static int parse_key(struct conf_parser *p, const char *s, const char *e)
{
	const char *sep = s;

	while (sep < e && *sep != '=' && *sep != ':')
		sep++;
	if (sep == e)
		return fail(p, "expected '[section]' or 'key = value'");
	const char *ks = s, *ke = sep, *vs = sep + 1, *ve = e;
	trim(&ks, &ke);
	trim(&vs, &ve);
	if (ks == ke)
		return fail(p, "missing key before '=' or ':'");
	if (!p->in_section)
		return fail(p, "key before any [section]");

	size_t klen = (size_t)(ke - ks), vlen = (size_t)(ve - vs);
	char *buf = malloc(klen + vlen + 2);
	if (buf == NULL)
		return fail(p, "out of memory");
	memcpy(buf, ks, klen);
	buf[klen] = '\0';
	memcpy(buf + klen + 1, vs, vlen);
	buf[klen + 1 + vlen] = '\0';
	int rc = p->fn != NULL ? p->fn(p->ctx, p->section, buf, buf + klen + 1) : 0;
	free(buf);
	return rc;
}

int conf_line(struct conf_parser *p, const char *line, size_t len)
{
	const char *s = line, *e = line + len;

	p->lineno++;
	p->error[0] = '\0';
	if (memchr(line, '\0', len) != NULL)
		return fail(p, "NUL byte in line");
	trim(&s, &e);
	if (s == e || *s == '#' || *s == ';')
		return 0;
	if (*s == '[')
		return parse_section(p, s, e);
	return parse_key(p, s, e);
}

int conf_finish(struct conf_parser *p)
{
	p->error[0] = '\0';
	return 0;
}

/* --- conf_load_section ------------------------------------------------- */

struct load_ctx {
	const char *want;         /* the section asked for */
	struct conf_section *out;
};

static int set_string(char **dst, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

static int keep_key(void *ctx, const char *section, const char *key, const char *value)
{
	struct load_ctx *lc = ctx;

	if (strcmp(section, lc->want) != 0)
		return 0;
	if (strcasecmp(key, "servers") == 0)
		return set_string(&lc->out->servers, value);
	if (strcasecmp(key, "path") == 0)
		return set_string(&lc->out->path, value);
	return 0;
}

/* Feed every line of f. Returns 0, or -1 with err set. */
static int feed_file(FILE *f, const char *file, struct conf_parser *p,
		     struct load_ctx *lc, char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	errno = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		rc = conf_line(p, line, (size_t)n);
		if (rc == -1) {
			/* p->error is "line N: what"; the file form is "FILE:N: what". */
			const char *what = strchr(p->error, ':');
			snprintf(err, errlen, "%s:%u: %s", file, p->lineno,
				 what != NULL ? what + 2 : p->error);
			break;
		}
		if (rc != 0) {
			snprintf(err, errlen, "%s:%u: %s", file, p->lineno, strerror(rc));
			break;
		}
		if (p->in_section && strcmp(p->section, lc->want) == 0)
			lc->out->found = true;
		errno = 0;
	}
	int saved = errno;
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: %s", file, strerror(saved != 0 ? saved : EIO));
		rc = -1;
	}
	free(line);
	if (rc == 0)
		rc = conf_finish(p);
	return rc == 0 ? 0 : -1;
}

int conf_load_section(const char *file, const char *section, bool file_must_exist,
		      bool section_must_exist, struct conf_section *out,
		      char *err, size_t errlen)
{
	struct load_ctx lc = { .want = section, .out = out };
	struct conf_parser p;

	memset(out, 0, sizeof(*out));
	if (errlen > 0)
		err[0] = '\0';
	FILE *f = fopen(file, "r");
	if (f == NULL) {
		int saved = errno;
		if (saved == ENOENT && !file_must_exist)
			return 0;
		snprintf(err, errlen, "%s: %s", file, strerror(saved));
		return -1;
	}
	conf_init(&p, keep_key, &lc);
	int rc = feed_file(f, file, &p, &lc, err, errlen);
	fclose(f);
	if (rc == 0 && !out->found && section_must_exist) {
		snprintf(err, errlen, "%s: no section [%s]", file, section);
		rc = -1;
	}
	if (rc != 0) {
		conf_section_free(out);
		return -1;
	}
	return 0;
}

void conf_section_free(struct conf_section *s)
{
	if (s == NULL)
		return;
	free(s->servers);
	free(s->path);
	s->servers = NULL;
	s->path = NULL;
	s->found = false;
}
