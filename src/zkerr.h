/*
 * zkerr — the errno table of SPEC.md §7 and the names of the ZooKeeper C
 * client's result codes. Pure functions, any thread. Public through zk.h.
 */
#ifndef ZKFS_ZKERR_H
#define ZKFS_ZKERR_H

/* The errno for a ZooKeeper result code (SPEC.md §7), 0 for ZOK; EIO for a
 * connection error and for any code the table does not name. */
int zk_errno(int zrc);

/* The ZooKeeper name of a result code: "ZNONODE", "ZCONNECTIONLOSS", ...;
 * "ZUNKNOWN" for a code the client does not define. */
const char *zk_errname(int zrc);

#endif
