/*
 * ops — the struct fuse_lowlevel_ops of zkfs. Each op_x parses the request,
 * calls fs_x (fsops.h), and replies; nothing else. The session's userdata is
 * the struct fs.
 */
#ifndef ZKFS_OPS_H
#define ZKFS_OPS_H

#include <fuse_lowlevel.h>

#include "events.h"

extern const struct fuse_lowlevel_ops zkfs_ops;
/* How `.events` reads block: parked requests, answered later (events.h). */
extern const struct events_hooks zkfs_events_hooks;

#endif
