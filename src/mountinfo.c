#include "mountinfo.h"

#include <errno.h>
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

/* The mount point and type of one line (modified in place): 0, or -1. */
static int parse(char *line, char **mnt, char **type)
{
	char *save = NULL, *tok;
	int field = 0;

	*mnt = *type = NULL;
	for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		field++;
		if (field == 5)
			*mnt = tok;
		else if (field > 6 && strcmp(tok, "-") == 0)
			break;   /* the optional fields end here */
	}
	if (!tok || !*mnt || !(*type = strtok_r(NULL, " \n", &save)))
		return -1;
	unescape(*mnt);
	return 0;
}

int mountinfo_top(FILE *f, const char *path, char *fstype, size_t len)
{
	char *line = NULL, *mnt, *type;
	size_t cap = 0;
	int found = 0;

	errno = 0;
	while (getline(&line, &cap, f) >= 0) {
		if (parse(line, &mnt, &type) != 0) {
			free(line);
			errno = EINVAL;
			return -1;
		}
		if (strcmp(mnt, path) != 0)
			continue;
		found = 1;          /* later lines are mounted on top of earlier ones */
		if (len) {
			strncpy(fstype, type, len - 1);
			fstype[len - 1] = '\0';
		}
	}
	free(line);
	if (ferror(f))
		return -1;
	return found;
}
