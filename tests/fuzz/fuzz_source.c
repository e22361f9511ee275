/*
 * fuzz_source — libFuzzer target for source_resolve(), source_normalize_path()
 * and source_normalize_servers() (src/source.h).
 *
 * Input: one flags byte, then up to six fields separated by NUL bytes:
 *   url, conf_servers, conf_path, env_servers, conf_file, section
 * A field is NULL when the input ends before it, or when its bit (1 << i) is
 * set in the flags byte. Bits 6-7 choose the size of the error buffer (1, 16,
 * 128 or 512 bytes), which is malloc'd to that exact size so that ASan sees any
 * write past it.
 *
 * Beyond "no crash, no leak, no undefined behaviour", it checks what source.h
 * promises, and abort()s when a promise is broken:
 *   - on success: servers is a normalised "host:port,..." list; base_path is
 *     absolute, has no "//", no trailing '/' (except the root "/"), no "." or
 *     ".." component; both are fixed points of their normalisers; the origin
 *     is "URL", "config" or "environment" and that source was given (URL >
 *     config > environment); without a URL, base_path is the config path;
 *   - on failure: out is zeroed and err is one non-empty, NUL-terminated line.
 */
#include "source.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { F_URL, F_CONF_SERVERS, F_CONF_PATH, F_ENV_SERVERS, F_CONF_FILE, F_SECTION, NFIELDS };

static const size_t err_sizes[4] = { 1, 16, 128, 512 };

static bool is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

/* A normalised absolute path. */
static void check_path(const char *p)
{
	size_t n = strlen(p);

	CHECK(p[0] == '/');
	if (n == 1)
		return;
	CHECK(p[n - 1] != '/');
	CHECK(strstr(p, "//") == NULL);
	for (const char *c = p; *c != '\0';) {
		c++;    /* the '/' */
		size_t len = strcspn(c, "/");
		CHECK(len > 0);
		CHECK(!(len == 1 && c[0] == '.'));
		CHECK(!(len == 2 && c[0] == '.' && c[1] == '.'));
		c += len;
	}
}

/* A normalised "host:port,[v6]:port" list: no blanks, no empty item, a port
 * 1..65535 without leading zeros on every item. */
static void check_servers(const char *s)
{
	CHECK(*s != '\0');
	for (const char *c = s;;) {
		if (*c == '[') {
			const char *rb = strchr(c, ']');
			CHECK(rb != NULL && rb > c + 1);
			CHECK(memchr(c + 1, ':', (size_t)(rb - c - 1)) != NULL);
			CHECK(memchr(c + 1, ',', (size_t)(rb - c - 1)) == NULL);
			c = rb + 1;
		} else {
			const char *h = c;
			while (is_host_char(*c))
				c++;
			CHECK(c > h);
		}
		CHECK(*c == ':');
		c++;
		CHECK(*c >= '1' && *c <= '9');
		unsigned long port = 0;
		const char *d = c;
		while (*c >= '0' && *c <= '9' && c - d < 6)
			port = port * 10 + (unsigned long)(*c++ - '0');
		CHECK(port >= 1 && port <= 65535);
		if (*c == '\0')
			break;
		CHECK(*c == ',');
		c++;
	}
}

/* err is NUL-terminated inside its buffer and is one line. */
static void check_err(const char *err, size_t errlen, bool failed)
{
	const char *end = memchr(err, '\0', errlen);

	CHECK(end != NULL);
	for (const char *c = err; c < end; c++)
		CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
	if (failed && errlen > 1)
		CHECK(end > err);
}

static void fuzz_normalize(const char *text, size_t errlen)
{
	char *err = malloc(errlen);
	char *p, *again;

	if (err == NULL)
		return;
	memset(err, 'x', errlen);
	p = source_normalize_path(text, err, errlen);
	if (p != NULL) {
		check_path(p);
		again = source_normalize_path(p, NULL, 0);
		CHECK(again != NULL && strcmp(again, p) == 0);
		free(again);
		free(p);
	} else {
		check_err(err, errlen, true);
	}

	memset(err, 'x', errlen);
	p = source_normalize_servers(text, err, errlen);
	if (p != NULL) {
		check_servers(p);
		again = source_normalize_servers(p, NULL, 0);
		CHECK(again != NULL && strcmp(again, p) == 0);
		free(again);
		free(p);
	} else {
		check_err(err, errlen, true);
	}
	free(err);
}

static void check_resolved(const struct source_input *in, const struct source *out)
{
	char *again;

	CHECK(out->servers != NULL && out->base_path != NULL && out->servers_origin != NULL);
	check_servers(out->servers);
	check_path(out->base_path);
	again = source_normalize_servers(out->servers, NULL, 0);
	CHECK(again != NULL && strcmp(again, out->servers) == 0);
	free(again);
	again = source_normalize_path(out->base_path, NULL, 0);
	CHECK(again != NULL && strcmp(again, out->base_path) == 0);
	free(again);

	if (strcmp(out->servers_origin, "URL") == 0) {
		CHECK(in->url != NULL);
	} else if (strcmp(out->servers_origin, "config") == 0) {
		CHECK(in->conf_servers != NULL);
	} else {
		CHECK(strcmp(out->servers_origin, "environment") == 0);
		CHECK(in->env_servers != NULL && in->conf_servers == NULL);
	}

	if (in->url == NULL) {
		char *conf = source_normalize_path(in->conf_path != NULL ? in->conf_path
						   : "/asab", NULL, 0);
		CHECK(conf != NULL && strcmp(conf, out->base_path) == 0);
		free(conf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *field[NFIELDS] = { NULL };
	unsigned flags;
	size_t errlen;
	char *buf, *err;

	if (size == 0)
		return 0;
	flags = data[0];
	errlen = err_sizes[flags >> 6];

	/* The fields, NUL-terminated, in one exactly sized copy. */
	buf = malloc(size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	for (size_t i = 0, off = 0; i < NFIELDS && off < size; i++) {
		field[i] = buf + off;
		off += strlen(buf + off) + 1;
	}
	for (size_t i = 0; i < NFIELDS; i++)
		if (flags & (1u << i))
			field[i] = NULL;

	for (size_t i = 0; i < F_CONF_FILE; i++)
		if (field[i] != NULL)
			fuzz_normalize(field[i], errlen);

	struct source_input in = {
		.url = field[F_URL],
		.conf_servers = field[F_CONF_SERVERS],
		.conf_path = field[F_CONF_PATH],
		.env_servers = field[F_ENV_SERVERS],
		.conf_file = field[F_CONF_FILE],
		.section = field[F_SECTION],
	};
	struct source out;

	err = malloc(errlen);
	if (err == NULL) {
		free(buf);
		return 0;
	}
	memset(err, 'x', errlen);
	memset(&out, 0xa5, sizeof(out));
	if (source_resolve(&in, &out, err, errlen) == 0) {
		check_resolved(&in, &out);
		check_err(err, errlen, false);
	} else {
		CHECK(out.servers == NULL && out.base_path == NULL &&
		      out.servers_origin == NULL);
		check_err(err, errlen, true);
	}
	source_free(&out);
	CHECK(out.servers == NULL && out.base_path == NULL);
	free(err);
	free(buf);
	return 0;
}
