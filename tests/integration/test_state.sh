#!/bin/bash
# SPEC §6 (.state) and §4 (SUSPENDED): the connection state is a file that
# inotifywait wakes up on; cached data is served while the server is away,
# uncached operations fail with EIO after -o timeout.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

command -v inotifywait >/dev/null 2>&1 || fail "inotifywait not found (package inotify-tools)"

zk_start
zkctl create /base
zkctl create /base/read.conf "cached data"
zkctl create /base/unread.conf "never read before the outage"

MNT=$TEST_DIR/mnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$MNT" -o timeout=3

assert_file_content "$MNT/.state" $'CONNECTED\n' ".state after mounting"

# ---- .state is read-only
if bash -c 'echo x >"$1"' _ "$MNT/.state" 2>/dev/null; then
	fail "writing to .state succeeded (it must be read-only)"
fi
if bash -c ': >"$1"' _ "$MNT/.state" 2>/dev/null; then
	fail "truncating .state succeeded (it must be read-only)"
fi
assert_file_content "$MNT/.state" $'CONNECTED\n' ".state after the refused writes"

# ---- inotifywait on .state
state_watch "$MNT" attrib,modify,close_write   # $EV_OUT, state_events (faults.sh)

assert_file_content "$MNT/read.conf" "cached data" "read.conf before the outage"
mtime0=$(stat -c %y "$MNT/.state")
n0=$(state_events)

# ---- server stopped: SUSPENDED, an inotify event, a new mtime
zk_stop
wait_until 30 _state_is "$MNT" SUSPENDED ||
	fail ".state: expected SUSPENDED within 30 s of stopping the server, reads '$(_show "$(cat "$MNT/.state" 2>&1)")'"
assert_file_content "$MNT/.state" $'SUSPENDED\n' ".state while the server is stopped"
wait_until 5 state_events_more_than "$n0" ||
	fail "inotifywait reported no event on .state for CONNECTED -> SUSPENDED (output: $(cat "$EV_OUT"))"
mtime1=$(stat -c %y "$MNT/.state")
[ "$mtime1" != "$mtime0" ] || fail ".state: mtime stayed $mtime0 across CONNECTED -> SUSPENDED"

# cached data keeps being served
assert_file_content "$MNT/read.conf" "cached data" "read.conf (cached) while SUSPENDED"

# an uncached file fails with EIO, within about -o timeout=3
t0=$(_now_ms)
rc=0
err=$(timeout 30 cat "$MNT/unread.conf" 2>&1 >/dev/null) || rc=$?
t1=$(_now_ms)
elapsed=$((t1 - t0))
info "cat of a never-read file while SUSPENDED: exit $rc after $elapsed ms: $err"
[ "$rc" != 0 ] || fail "cat of a never-read file succeeded while the server was stopped"
[ "$rc" != 124 ] || fail "cat of a never-read file still blocked after 30 s (expected EIO after about 3 s)"
((elapsed <= 15000)) || fail "cat of a never-read file took $elapsed ms to fail (expected about 3 s, at most 15 s)"
[[ "$err" == *"Input/output error"* ]] ||
	fail "cat of a never-read file while SUSPENDED: expected 'Input/output error', got: $err"

# ---- server back: CONNECTED (possibly through LOST), another event
n1=$(state_events)
zk_restart
wait_until 40 _state_is "$MNT" CONNECTED ||
	fail ".state: expected CONNECTED within 40 s of restarting the server, reads '$(_show "$(cat "$MNT/.state" 2>&1)")'"
wait_until 5 state_events_more_than "$n1" ||
	fail "inotifywait reported no event on .state for the return to CONNECTED (output: $(cat "$EV_OUT"))"
mtime2=$(stat -c %y "$MNT/.state")
[ "$mtime2" != "$mtime1" ] || fail ".state: mtime stayed $mtime1 across the return to CONNECTED"
assert_file_content "$MNT/.state" $'CONNECTED\n' ".state after the server came back"

# everything works again, the never-read file too
assert_file_content "$MNT/unread.conf" "never read before the outage" "unread.conf after the server came back"
assert_file_content "$MNT/read.conf" "cached data" "read.conf after the server came back"
zkctl set /base/read.conf "changed after the outage"
wait_until 5 file_is "$MNT/read.conf" "changed after the outage" ||
	fail "read.conf: a remote set after the outage is not visible within 5 s (watches not re-established?)"

# ---- a pause (SIGSTOP) is an outage too: the client times out and suspends
n2=$(state_events)
zk_pause
wait_until 30 _state_is "$MNT" SUSPENDED ||
	fail ".state: expected SUSPENDED within 30 s of pausing the server, reads '$(_show "$(cat "$MNT/.state" 2>&1)")'"
assert_file_content "$MNT/read.conf" "changed after the outage" "read.conf (cached) while the server is paused"
zk_resume
wait_until 40 _state_is "$MNT" CONNECTED ||
	fail ".state: expected CONNECTED within 40 s of resuming the server, reads '$(_show "$(cat "$MNT/.state" 2>&1)")'"
wait_until 5 state_events_more_than "$((n2 + 1))" ||
	fail "inotifywait reported fewer than 2 events on .state for a pause and resume (output: $(cat "$EV_OUT"))"

zkfs_umount "$MNT"
