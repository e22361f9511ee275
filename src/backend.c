#include "backend.h"

#include <stdlib.h>
#include <string.h>

const char *zstate_name(enum zstate s)
{
	switch (s) {
	case ZS_CONNECTED: return "CONNECTED";
	case ZS_SUSPENDED: return "SUSPENDED";
	case ZS_LOST:      break;
	}
	return "LOST";
}

void zfetch_clear(struct zfetch *f)
{
	zdata_put(f->data);
	for (size_t i = 0; i < f->nchildren; i++)
		free(f->children[i]);
	free(f->children);
	memset(f, 0, sizeof(*f));
}
