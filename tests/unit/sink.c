/* sink — a capturing notice sink for the unit tests (see sink.h). */
#include "sink.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

void capture(void *ctx, const struct notice *nt)
{
	struct sink *s = ctx;
	struct seen_notice *v;

	if (s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 64;

		v = realloc(s->v, (size_t)cap * sizeof(*v));
		assert_non_null(v);
		s->v = v;
		s->cap = cap;
	}
	v = &s->v[s->n++];
	v->kind = nt->kind;
	v->ino = nt->ino;
	v->parent = nt->parent;
	snprintf(v->name, sizeof(v->name), "%s", nt->kind == NOTICE_INVAL_ENTRY ? nt->name : "");
}

void sink_free(struct sink *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

int count_inode(const struct sink *s, uint64_t ino)
{
	int c = 0;

	for (int i = 0; i < s->n; i++)
		c += s->v[i].kind == NOTICE_INVAL_INODE && s->v[i].ino == ino;
	return c;
}

int count_entry(const struct sink *s, uint64_t parent, const char *name)
{
	int c = 0;

	for (int i = 0; i < s->n; i++)
		c += s->v[i].kind == NOTICE_INVAL_ENTRY && s->v[i].parent == parent &&
		     strcmp(s->v[i].name, name) == 0;
	return c;
}
