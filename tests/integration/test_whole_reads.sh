#!/bin/bash
# SPEC §5: readers see the old content or the new content, never a truncated,
# empty or mixed value, while the file is rewritten at full speed:
#   - locally, through the mount, with open(O_TRUNC) + write + close: the
#     kernel sets the file's size to 0 at such an open, before anything is
#     written;
#   - remotely, by another ZooKeeper session, while another process stat(2)s
#     the file (which gives the kernel each new size).
# readrace (readrace.c) runs 3 reader threads against a writer for a few
# seconds and counts the reads that are not one whole value. This is what
# keeps file opens direct_io (docs/SEMANTICS.md, docs/PERFORMANCE.md): with
# reads through the kernel's page cache both cases returned cut values.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SECS=${WHOLE_READS_SECS:-5}

zk_start
zkctl create /wr
zkctl create /wr/local.conf "value 00000000 xxxxx"
zkctl create /wr/remote.conf "value 00000000 xxxxx"

MNT=$TEST_DIR/mnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/wr" "$MNT"

run_race() {
	local what=$1 out rc=0
	shift
	out=$("$READRACE_BIN" "$@" 2>&1) || rc=$?
	info "$what: $out"
	[ "$rc" -eq 0 ] || fail "$what: a reader saw a value that is not whole, or readers and writer did not overlap (exit $rc): $(_show "$out")"
}

info "readers against a local writer (open O_TRUNC, write, close) for $SECS s"
run_race "local writer" "$MNT/local.conf" "$SECS" local
v=$(zkctl get /wr/local.conf)
[[ $v =~ ^(value\ [0-9]{8}\ xxxxx|a\ much\ longer\ value\ [0-9]{24})$ ]] ||
	fail "local.conf in ZooKeeper after the race: '$(_show "$v")' (expected one whole value)"

info "readers against a remote writer (zoo_set) and a stat loop for $SECS s"
run_race "remote writer" "$MNT/remote.conf" "$SECS" remote "$ZK_HOSTPORT" /wr/remote.conf

zkfs_umount "$MNT"
