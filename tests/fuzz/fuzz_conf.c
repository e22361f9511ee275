/*
 * fuzz_conf — libFuzzer target for the INI reader (src/conf.h).
 *
 * The input is a config file. It is parsed twice:
 *   1. through the stream API: each line ("\n"-terminated, the last one
 *      perhaps not) is fed to conf_line() from an exactly sized heap copy
 *      without a NUL, so ASan sees any read past `len`;
 *   2. through conf_load_section(), from a temporary file holding the same
 *      bytes, for the section "zookeeper".
 * Beyond "no crash, no leak, no undefined behaviour", it checks what conf.h
 * promises, and abort()s when a promise is broken:
 *   - every key is reported inside a section, with that section's (non-empty)
 *     name; keys are non-empty; keys and values are trimmed; the key holds no
 *     '=' or ':' (the first one separates);
 *   - conf_line() returns 0 with an empty error, or -1 with "line N: ..." for
 *     the line just fed; lineno counts the lines fed;
 *   - conf_load_section() agrees with the stream: it fails exactly when a line
 *     is malformed, naming "FILE:N:" for the same N; otherwise it keeps the
 *     last `servers` and `path` (keys matched without case) of [zookeeper];
 *     on failure everything in `out` is NULL.
 */
#include "conf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECTION "zookeeper"

struct expect {
	struct conf_parser *p;
	bool found;             /* [zookeeper] was opened */
	char *servers;          /* last `servers` of [zookeeper], malloc'd */
	char *path;
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static void check_trimmed(const char *s)
{
	size_t n = strlen(s);

	if (n > 0)
		CHECK(!is_blank(s[0]) && !is_blank(s[n - 1]));
}

static void keep(char **dst, const char *value)
{
	free(*dst);
	*dst = strdup(value);
	CHECK(*dst != NULL);
}

static int on_key(void *ctx, const char *section, const char *key, const char *value)
{
	struct expect *x = ctx;

	CHECK(x->p->in_section);
	CHECK(strcmp(section, x->p->section) == 0);
	CHECK(section[0] != '\0' && strlen(section) < sizeof(x->p->section));
	check_trimmed(section);
	CHECK(key[0] != '\0');
	check_trimmed(key);
	check_trimmed(value);
	CHECK(strpbrk(key, "=:") == NULL);
	if (strcmp(section, SECTION) == 0) {
		if (strcasecmp(key, "servers") == 0)
			keep(&x->servers, value);
		else if (strcasecmp(key, "path") == 0)
			keep(&x->path, value);
	}
	return 0;
}

/* Feed the input line by line; returns the number of the malformed line, or 0. */
static unsigned stream(const uint8_t *data, size_t size, struct expect *x)
{
	struct conf_parser p;
	unsigned bad = 0;
	size_t off = 0;

	conf_init(&p, on_key, x);
	x->p = &p;
	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t len = nl != NULL ? (size_t)(nl - (data + off)) + 1 : size - off;
		char *line = malloc(len);
		unsigned before = p.lineno;
		char prefix[32];

		CHECK(line != NULL);
		memcpy(line, data + off, len);
		int rc = conf_line(&p, line, len);
		free(line);
		off += len;

		CHECK(p.lineno == before + 1);
		if (rc == -1) {
			snprintf(prefix, sizeof(prefix), "line %u: ", p.lineno);
			CHECK(strncmp(p.error, prefix, strlen(prefix)) == 0);
			CHECK(p.error[strlen(prefix)] != '\0');
			bad = p.lineno;
			break;
		}
		CHECK(rc == 0);
		CHECK(p.error[0] == '\0');
		if (p.in_section && strcmp(p.section, SECTION) == 0)
			x->found = true;
	}
	if (bad == 0) {
		CHECK(conf_finish(&p) == 0);
		CHECK(p.error[0] == '\0');
	}
	x->p = NULL;
	return bad;
}

static bool same(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct expect x = { 0 };
	struct conf_section out;
	const size_t errlen = 256;
	char *err = malloc(errlen);
	char prefix[4200];
	unsigned bad;

	CHECK(err != NULL);
	bad = stream(data, size, &x);

	const char *file = fuzz_tmpfile("fuzz_conf", data, size);
	memset(&out, 0xa5, sizeof(out));
	memset(err, 'x', errlen);
	int rc = conf_load_section(file, SECTION, true, false, &out, err, errlen);
	CHECK(memchr(err, '\0', errlen) != NULL);
	if (bad != 0) {
		CHECK(rc == -1);
		CHECK(!out.found && out.servers == NULL && out.path == NULL);
		snprintf(prefix, sizeof(prefix), "%s:%u: ", file, bad);
		CHECK(strncmp(err, prefix, strlen(prefix)) == 0);
	} else {
		CHECK(rc == 0);
		CHECK(err[0] == '\0');
		CHECK(out.found == x.found);
		CHECK(same(out.servers, x.servers));
		CHECK(same(out.path, x.path));
	}
	conf_section_free(&out);

	/* The named section must exist when asked for. */
	memset(&out, 0xa5, sizeof(out));
	rc = conf_load_section(file, SECTION, true, true, &out, err, errlen);
	CHECK(rc == (bad == 0 && x.found ? 0 : -1));
	if (rc == -1)
		CHECK(!out.found && out.servers == NULL && out.path == NULL && err[0] != '\0');
	conf_section_free(&out);

	free(x.servers);
	free(x.path);
	free(err);
	return 0;
}
