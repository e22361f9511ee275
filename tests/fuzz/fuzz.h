/*
 * fuzz — what the libFuzzer targets of tests/fuzz share: CHECK, which abort()s
 * (a crash libFuzzer reports with its input) when a parser breaks a promise
 * of its header, and the one temporary file of a target whose parser reads
 * only files.
 */
#ifndef ZKFS_FUZZ_H
#define ZKFS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: broken promise: %s\n",           \
				__FILE__, __LINE__, #cond);                      \
			abort();                                                 \
		}                                                                \
	} while (0)

/* The path of this process's temporary file (mode 0600, in $TMPDIR, else
 * /tmp, named after `tag`, removed at exit), now holding data[0..size). */
const char *fuzz_tmpfile(const char *tag, const uint8_t *data, size_t size);

#endif
