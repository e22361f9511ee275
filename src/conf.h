/*
 * conf — a small INI reader, written as a stream: init / line / finish.
 *
 * Grammar (the subset ASAB's configparser files use and zkfs needs):
 *   - blank lines and lines whose first non-blank character is '#' or ';' are ignored;
 *   - "[name]" opens a section (surrounding blanks allowed, name non-empty);
 *   - "key = value" or "key: value" inside a section; key and value are trimmed;
 *     the value may be empty; a key before any section is malformed;
 *   - anything else is malformed.
 * The parser never allocates for lines it rejects and never reads past `len`.
 *
 * conf_load_section() is the convenience the daemon uses: it reads one file and
 * keeps the keys `servers` and `path` of one section.
 */
#ifndef ZKFS_CONF_H
#define ZKFS_CONF_H

#include <stdbool.h>
#include <stddef.h>

/* Called for every key of every section, in file order. Return 0 to go on,
 * non-zero to stop parsing with that value (conf_line returns it). */
typedef int (*conf_kv_fn)(void *ctx, const char *section, const char *key,
			  const char *value);

struct conf_parser {
	conf_kv_fn fn;          /* callback for each key */
	void *ctx;              /* passed to fn */
	unsigned lineno;        /* number of the line last fed, starting at 1 */
	char section[128];      /* current section, "" before the first one */
	bool in_section;
	char error[256];        /* why the last call failed, "" if it did not */
};

void conf_init(struct conf_parser *p, conf_kv_fn fn, void *ctx);

/* Feed one line (without or with its trailing '\n'; len bytes, no NUL needed).
 * Returns 0, -1 for a malformed line (p->error says why, with the line number),
 * or what the callback returned. */
int conf_line(struct conf_parser *p, const char *line, size_t len);

/* End of input. Returns 0 (nothing can be pending in this grammar, but callers
 * call it so that the grammar can grow). */
int conf_finish(struct conf_parser *p);

/* The keys zkfs reads from its section. Strings are malloc'd, NULL when absent. */
struct conf_section {
	bool found;             /* the file existed and had the section */
	char *servers;
	char *path;
};

/*
 * Read `file` and keep `servers` and `path` of `section`.
 * - The file does not exist: if `file_must_exist` is false (the default file,
 *   which may be silently absent), returns 0 with found = false; otherwise -1
 *   ("FILE: No such file or directory"; likewise for other open/read errors).
 * - A malformed line: -1, err = "FILE:LINE: <what is wrong>".
 * - The section is missing: if `section_must_exist` is true (the user named it
 *   with -o section=), -1 ("FILE: no section [NAME]"); otherwise 0 with
 *   found = false.
 * On -1 nothing is kept in `out` (all NULL). Free with conf_section_free().
 */
int conf_load_section(const char *file, const char *section, bool file_must_exist,
		      bool section_must_exist, struct conf_section *out,
		      char *err, size_t errlen);

void conf_section_free(struct conf_section *s);

#endif
