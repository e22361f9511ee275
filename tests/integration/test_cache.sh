#!/bin/bash
# SPEC §4: repeated reads of unchanged files never reach ZooKeeper (the
# server's packet counter stays put but for pings), and the cache is not simply
# stale: a remote set is seen by the next cat.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROUNDS=${CACHE_ROUNDS:-200}   # fewer under valgrind (tools/test)
NFILES=20
# Allowed packets: pings only. The C client pings after a third of the
# session timeout without traffic (~13 s for 40 s): 3, plus one per 13 s that
# the rounds take beyond the first (a slow or sanitizer build).
PING_MS=13333
max_packets() { local ms=$1; echo $((3 + ms / PING_MS)); }

zk_start
zkctl create /base
zkctl create /base/dir
files=()
for i in $(seq -w 1 "$NFILES"); do
	zkctl create "/base/dir/f$i.conf" "content of file $i"
	files+=("f$i.conf")
done

MNT=$TEST_DIR/mnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$MNT" -o session_timeout=40

# The daemon's session got the timeout it asked for (else pings are frequent
# and the bound below means nothing).
zk_4lw cons | grep -q 'to=40000' ||
	fail "no session with a 40 s timeout in 'cons' (-o session_timeout=40 not applied?): $(zk_4lw cons)"

# First round: fills the caches (this one may reach ZooKeeper).
cd "$MNT/dir"
for f in "${files[@]}"; do
	assert_file_content "$f" "content of file ${f:1:2}" "first read of dir/$f"
done
ls -l >/dev/null || fail "ls -l of dir failed"

r0=$(zk_received)
t0=$(_now_ms)
for ((round = 1; round <= ROUNDS; round++)); do
	for f in "${files[@]}"; do
		cat "$f" >/dev/null || fail "round $round: cat dir/$f failed"
	done
	ls -l >/dev/null || fail "round $round: ls -l of dir failed"
done
t1=$(_now_ms)
r1=$(zk_received)
cd /
# the srvr that reads r1 counts itself as one received packet
packets=$((r1 - r0 - 1))
limit=$(max_packets $((t1 - t0)))
info "$ROUNDS rounds of $NFILES cats + ls -l in $((t1 - t0)) ms: $packets packets reached ZooKeeper (limit $limit)"
((packets <= limit)) ||
	fail "$ROUNDS rounds of cat/ls -l over unchanged files sent $packets packets to ZooKeeper in $((t1 - t0)) ms (expected at most $limit pings; Received: $r0 -> $r1)"

# The cache follows the server: a remote set is seen by the next cat.
zkctl set /base/dir/f07.conf "changed remotely"
wait_until 5 file_is "$MNT/dir/f07.conf" "changed remotely" ||
	fail "dir/f07.conf: still '$(_show "$(cat "$MNT/dir/f07.conf" 2>&1)")' 5 s after a remote set"
assert_file_content "$MNT/dir/f08.conf" "content of file 08" "an unchanged neighbour"

# And unchanged again means cached again.
assert_file_content "$MNT/dir/f07.conf" "changed remotely" "dir/f07.conf (re-read once)"
r0=$(zk_received)
t0=$(_now_ms)
for ((round = 1; round <= 50; round++)); do
	cat "$MNT/dir/f07.conf" >/dev/null || fail "cat dir/f07.conf failed"
done
t1=$(_now_ms)
r1=$(zk_received)
packets=$((r1 - r0 - 1))
limit=$(max_packets $((t1 - t0)))
((packets <= limit)) ||
	fail "50 cats of dir/f07.conf after it changed once sent $packets packets to ZooKeeper (expected at most $limit pings)"

zkfs_umount "$MNT"
