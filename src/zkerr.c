/*
 * zkerr — the errno table of SPEC.md §7 and the names of the ZooKeeper C
 * client's result codes (contract in zkerr.h).
 */
#include "zkerr.h"

#include <errno.h>
#include <stddef.h>
#include <zookeeper/zookeeper.h>

int zk_errno(int zrc)
{
	switch (zrc) {
	case ZOK:                      return 0;
	case ZNONODE:                  return ENOENT;
	case ZNODEEXISTS:              return EEXIST;
	case ZNOTEMPTY:                return ENOTEMPTY;
	case ZNOAUTH:                  return EACCES;
	case ZAUTHFAILED:              return EACCES;
	case ZBADVERSION:              return ESTALE;
	case ZBADARGUMENTS:            return EINVAL;   /* also an invalid znode name */
	case ZINVALIDACL:              return EINVAL;
	case ZNOCHILDRENFOREPHEMERALS: return EINVAL;   /* a child under an ephemeral node */
	default:
		/* ZCONNECTIONLOSS, ZOPERATIONTIMEOUT, ZSESSIONEXPIRED,
		 * ZINVALIDSTATE, ZCLOSING, ZMARSHALLINGERROR, ZSYSTEMERROR,
		 * ZRUNTIMEINCONSISTENCY, ZDATAINCONSISTENCY and anything else. */
		return EIO;
	}
}

#define NAME(c) { c, #c }

static const struct {
	int rc;
	const char *name;
} zk_names[] = {
	NAME(ZOK),
	NAME(ZSYSTEMERROR),
	NAME(ZRUNTIMEINCONSISTENCY),
	NAME(ZDATAINCONSISTENCY),
	NAME(ZCONNECTIONLOSS),
	NAME(ZMARSHALLINGERROR),
	NAME(ZUNIMPLEMENTED),
	NAME(ZOPERATIONTIMEOUT),
	NAME(ZBADARGUMENTS),
	NAME(ZINVALIDSTATE),
	NAME(ZNEWCONFIGNOQUORUM),
	NAME(ZRECONFIGINPROGRESS),
	NAME(ZSSLCONNECTIONERROR),
	NAME(ZAPIERROR),
	NAME(ZNONODE),
	NAME(ZNOAUTH),
	NAME(ZBADVERSION),
	NAME(ZNOCHILDRENFOREPHEMERALS),
	NAME(ZNODEEXISTS),
	NAME(ZNOTEMPTY),
	NAME(ZSESSIONEXPIRED),
	NAME(ZINVALIDCALLBACK),
	NAME(ZINVALIDACL),
	NAME(ZAUTHFAILED),
	NAME(ZCLOSING),
	NAME(ZNOTHING),
	NAME(ZSESSIONMOVED),
	NAME(ZNOTREADONLY),
	NAME(ZEPHEMERALONLOCALSESSION),
	NAME(ZNOWATCHER),
	NAME(ZRECONFIGDISABLED),
	NAME(ZSESSIONCLOSEDREQUIRESASLAUTH),
	NAME(ZTHROTTLEDOP),
};

const char *zk_errname(int zrc)
{
	for (size_t i = 0; i < sizeof(zk_names) / sizeof(zk_names[0]); i++)
		if (zk_names[i].rc == zrc)
			return zk_names[i].name;
	return "ZUNKNOWN";
}
