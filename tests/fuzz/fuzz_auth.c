/*
 * fuzz_auth — libFuzzer target for the credentials file reader (src/auth.h).
 *
 * auth_load() reads only from a file it checks (a regular file, mode 0600, not
 * a symlink), so the input is written to a temporary file made with mkstemp()
 * (mode 0600) in $TMPDIR, else /tmp, and loaded from there.
 * Beyond "no crash, no leak, no undefined behaviour", it checks what auth.h
 * promises, and abort()s when a promise is broken:
 *   - on success: one credential for each line that is neither blank nor a
 *     '#' comment (no line is silently dropped, e.g. after a NUL byte), at
 *     least one; each has a non-empty scheme without ':', a cert
 *     "user:password" holding a ':', len == strlen(cert); neither holds a line
 *     break, nor does a cert end in blanks;
 *   - on failure: *out is empty, and err is "auth_file FILE: ..." or
 *     "auth_file FILE:N: ...", one line that never quotes the file's text.
 */
#include "auth.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The messages auth.c may give after "auth_file FILE". */
static bool known_reason(const char *rest)
{
	static const char *const file_reasons[] = {
		": no credentials", ": out of memory", ": not a regular file",
	};
	static const char *const line_reasons[] = {
		"expected scheme:user:password", "out of memory", "NUL byte in line",
	};

	for (size_t i = 0; i < sizeof(file_reasons) / sizeof(*file_reasons); i++)
		if (strcmp(rest, file_reasons[i]) == 0)
			return true;
	if (strncmp(rest, ": larger than ", 14) == 0)
		return true;
	if (rest[0] != ':' || rest[1] < '1' || rest[1] > '9')
		return false;
	rest++;
	while (*rest >= '0' && *rest <= '9')
		rest++;
	if (strncmp(rest, ": ", 2) != 0)
		return false;
	for (size_t i = 0; i < sizeof(line_reasons) / sizeof(*line_reasons); i++)
		if (strcmp(rest + 2, line_reasons[i]) == 0)
			return true;
	return false;
}

/* Lines that must give a credential: after trailing "\r", ' ' and '\t' go,
 * neither empty nor starting with '#'. */
static size_t credential_lines(const uint8_t *data, size_t size)
{
	size_t n = 0;

	for (size_t off = 0; off < size;) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t len = nl != NULL ? (size_t)(nl - (data + off)) : size - off;

		while (len > 0 && strchr("\r \t", data[off + len - 1]) != NULL &&
		       data[off + len - 1] != '\0')
			len--;
		if (len > 0 && data[off] != '#')
			n++;
		off += (nl != NULL ? (size_t)(nl - (data + off)) : size - off) + 1;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *file = fuzz_tmpfile("fuzz_auth", data, size);
	const size_t errlen = 4096 + 256;
	char *err = malloc(errlen);
	struct auth a;

	CHECK(err != NULL);
	memset(err, 'x', errlen);
	memset(&a, 0xa5, sizeof(a));
	if (auth_load(file, &a, err, errlen) == 0) {
		CHECK(a.n >= 1 && a.creds != NULL);
		CHECK(a.n == credential_lines(data, size));
		for (size_t i = 0; i < a.n; i++) {
			const struct auth_cred *c = &a.creds[i];
			size_t len = strlen(c->cert);

			CHECK(c->scheme[0] != '\0');
			CHECK(strpbrk(c->scheme, ":\n") == NULL);
			CHECK(strchr(c->cert, ':') != NULL);
			CHECK(strchr(c->cert, '\n') == NULL);
			CHECK(c->len == len);
			CHECK(strchr(" \t\r", c->cert[len - 1]) == NULL);
		}
	} else {
		size_t flen = strlen(file);

		CHECK(a.n == 0 && a.creds == NULL);
		CHECK(memchr(err, '\0', errlen) != NULL);
		CHECK(strncmp(err, "auth_file ", 10) == 0);
		CHECK(strncmp(err + 10, file, flen) == 0);
		if (!known_reason(err + 10 + flen)) {
			fprintf(stderr, "fuzz_auth: unexpected message \"%s\"\n", err);
			abort();
		}
	}
	auth_free(&a);
	CHECK(a.n == 0 && a.creds == NULL);
	free(err);
	return 0;
}
