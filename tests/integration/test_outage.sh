#!/bin/bash
# Issue 5 (every server down), SPEC §4 and §6: while the only server is
# stopped, cached files are served; an uncached read fails with EIO after
# about -o timeout= (not at once, not later); a write to a cached file fails
# at close with EIO and commits nothing; a create fails and leaves no znode;
# unmounting a second mount returns at once and its daemon exits. When the
# server returns: CONNECTED (through LOST if the session expired), everything
# works again. A counter writer runs through the whole outage: ZooKeeper ends
# up with a number between the last acknowledged and the last attempted one.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

TMO=3   # -o timeout=

zk_start
zkctl create /base
zkctl create /base/read.conf "cached data"
zkctl create /base/sub
zkctl create /base/sub/unread.conf "never read before the outage"
zkctl create /base/edit.conf "old"
zkctl create /base/counter.conf "0"

MNT=$TEST_DIR/mnt
MNT2=$TEST_DIR/mnt2
zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$MNT2" -o timeout=$TMO
PID2=$ZKFS_PID
LOG2=$ZKFS_LOG
zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$MNT" -o timeout=$TMO
SID0=$(zkfs_session_id)
info "main mount: PID $ZKFS_PID, session $SID0; second mount: PID $PID2"

# cache what the outage will need: two files' data and the root's listing
# (so that new.conf is known absent; a listing fetches its children, so the
# never-read file is one level down)
assert_file_content "$MNT/read.conf" "cached data" "read.conf before the outage"
assert_file_content "$MNT/edit.conf" "old" "edit.conf before the outage"
ls -a "$MNT" >/dev/null
[ ! -e "$MNT/new.conf" ] || fail "new.conf exists before the outage"
assert_file_content "$MNT2/read.conf" "cached data" "read.conf in the second mount"

events_start "$MNT"
counter_start out "$MNT/counter.conf"
counter_wait_acks out 2 20 "the counter writer before the outage"

# ---- every server down
mark=$(log_mark)
fails0=$(counter_fails out)
zk_stop
wait_until 30 _state_is "$MNT" SUSPENDED ||
	fail ".state: expected SUSPENDED within 30 s of stopping the server; reads '$(_show "$(timeout 5 cat "$MNT/.state" 2>&1)")'"
info "server stopped; states since: $(log_states_since "$mark")"

# cached data is served, at once (a read that needed the server would fail)
t0=$(_now_ms)
assert_file_content "$MNT/read.conf" "cached data" "read.conf (cached) while every server is down"
t1=$(_now_ms)
(((t1 - t0) < 1500)) || fail "reading a cached file took $((t1 - t0)) ms while every server is down (expected no wait)"

# an uncached read: EIO after about -o timeout=$TMO, logged with its path
t0=$(_now_ms)
rc=0
err=$(timeout 30 cat "$MNT/sub/unread.conf" 2>&1 >/dev/null) || rc=$?
t1=$(_now_ms)
elapsed=$((t1 - t0))
info "cat of a never-read file during the outage: exit $rc after $elapsed ms: $err"
[ "$rc" != 0 ] || fail "cat of a never-read file succeeded while every server was down"
[ "$rc" != 124 ] || fail "cat of a never-read file still blocked after 30 s (expected EIO after about $TMO s)"
[[ "$err" == *"$(errno_msg EIO)"* ]] ||
	fail "cat of a never-read file during the outage: expected '$(errno_msg EIO)', got: $err"
((elapsed >= TMO * 1000 - 500)) ||
	fail "cat of a never-read file failed after $elapsed ms: expected it to wait for the connection about -o timeout=$TMO s"
((elapsed <= TMO * 1000 + 3000)) ||
	fail "cat of a never-read file failed after $elapsed ms: expected about -o timeout=$TMO s (at most $((TMO + 3)) s)"
grep -q '/base/sub/unread.conf: Z[A-Z]*' <(tail -n "+$((mark + 1))" "$ZKFS_LOG") ||
	fail "the zkfs log does not name /base/sub/unread.conf with a ZooKeeper error: $(tail -n "+$((mark + 1))" "$ZKFS_LOG" | tail -n 5)"
info "log: $(tail -n "+$((mark + 1))" "$ZKFS_LOG" | grep '/base/sub/unread.conf' | head -n1)"

# a write to a cached file fails at close with EIO, after about the timeout
t0=$(_now_ms)
wr_fails "echo new > edit.conf during the outage" "close: EIO" -- \
	open "$MNT/edit.conf" wronly,trunc write new
t1=$(_now_ms)
((t1 - t0 <= TMO * 1000 + 3000)) ||
	fail "the failing write to edit.conf took $((t1 - t0)) ms (expected about -o timeout=$TMO s)"
# the failed write shows nowhere: the old value or EIO, never "new"
got=$(timeout 30 cat "$MNT/edit.conf" 2>/dev/null) || true
[ "$got" != new ] || fail "edit.conf reads the value of a write whose close failed"

# a new file: fails (EIO at open or at close) and stays absent
rc=0
"$WR_BIN" open "$MNT/new.conf" wronly,creat,excl write fresh >/dev/null 2>"$TEST_DIR/new.err" || rc=$?
got=$(_wr_failures "$TEST_DIR/new.err")
info "creating new.conf during the outage: exit $rc, failures '$got'"
[ "$rc" != 0 ] || fail "creating new.conf succeeded while every server was down"
case $got in
"open: EIO" | "close: EIO") ;;
*) fail "creating new.conf during the outage: expected 'open: EIO' or 'close: EIO', got '$got': $(cat "$TEST_DIR/new.err")" ;;
esac

# the counter writer's attempts fail (EIO) rather than hang
counter_wait_acks_none() { (($(counter_fails out) > fails0)); }
wait_until $((TMO + 10)) counter_wait_acks_none ||
	fail "the counter writer saw no failed write within $((TMO + 10)) s of the outage (hung?): $(tail -n 2 "$TEST_DIR/counter.out/log" | paste -sd' ' -)"

# unmounting the second mount returns at once; its daemon exits
t0=$(_now_ms)
rc=0
timeout 20 fusermount3 -u "$MNT2" || rc=$?
t1=$(_now_ms)
[ "$rc" = 0 ] || fail "fusermount3 -u $MNT2 during the outage failed (exit $rc)"
(((t1 - t0) < 5000)) || fail "fusermount3 -u $MNT2 during the outage took $((t1 - t0)) ms (expected at once)"
! is_mounted "$MNT2" || fail "$MNT2 is still mounted after fusermount3 -u"
wait_until 10 _pid_gone "$PID2" ||
	fail "the second daemon (PID $PID2) did not exit within 10 s of its unmount during the outage: $(tail -n 5 "$LOG2")"
rc=0
wait "$PID2" || rc=$?
[ "$rc" = 0 ] || fail "the second daemon exited with status $rc after its unmount during the outage"
info "unmount during the outage: $((t1 - t0)) ms; the daemon exited 0"

# ---- the server returns
zk_restart
wait_until 40 _state_is "$MNT" CONNECTED ||
	fail ".state: expected CONNECTED within 40 s of the server's return; reads '$(_show "$(timeout 5 cat "$MNT/.state" 2>&1)")'"
states=$(log_states_since "$mark")
info "states since the outage began: $states; sessions: $(log_sessions_since "$mark")"
case $states in
"SUSPENDED CONNECTED")
	assert_eq "$SID0" "$(zkfs_session_id)" "the session after the outage (it did not expire)" ;;
"SUSPENDED LOST CONNECTED")
	[ "$(zkfs_session_id)" != "$SID0" ] || fail "LOST, but the session after it is the old one $SID0" ;;
*) fail "the zkfs log's state transitions during the outage: expected 'SUSPENDED CONNECTED' or 'SUSPENDED LOST CONNECTED', got '$states'" ;;
esac

if [ -n "$EVENTS_OUT" ]; then
	wait_until 5 events_reach CONNECTED || true
	assert_eq "$states" "$(events_seen)" ".events during the outage (the same transitions as the log)"
	events_stop
fi

# nothing of the failed writes was committed
assert_zk_content /base/edit.conf "old" "edit.conf in ZooKeeper after the failed write"
assert_zk_absent /base/new.conf "new.conf after its failed create"
assert_file_content "$MNT/edit.conf" "old" "edit.conf through the mount after the outage"
[ ! -e "$MNT/new.conf" ] || fail "new.conf shows in the mount after its create failed"
ls -a "$MNT" | grep -qx new.conf && fail "ls lists new.conf after its create failed"

# everything works again
assert_file_content "$MNT/sub/unread.conf" "never read before the outage" "unread.conf after the outage"
assert_file_content "$MNT/read.conf" "cached data" "read.conf after the outage"
wr_ok "echo new > edit.conf after the outage" open "$MNT/edit.conf" wronly,trunc write new
assert_zk_content /base/edit.conf "new" "edit.conf in ZooKeeper after a write after the outage"
wr_ok "creating new.conf after the outage" open "$MNT/new.conf" wronly,creat,excl write fresh
assert_zk_content /base/new.conf "fresh" "new.conf in ZooKeeper after the outage"
zkctl set /base/read.conf "changed after the outage"
wait_until 5 file_is "$MNT/read.conf" "changed after the outage" ||
	fail "read.conf: a remote change after the outage is not visible within 5 s (watch not re-armed?)"
# the failed write and create left nothing behind: a later grep of the log
# finds them logged
tail -n "+$((mark + 1))" "$ZKFS_LOG" | grep -q '/base/edit.conf' ||
	fail "the failed write to /base/edit.conf is not in the zkfs log"

# the counter: acknowledged again after the outage, nothing lost
acks=$(counter_acks out)
counter_wait_acks out "$((acks + 2))" 20 "the counter writer after the outage"
counter_stop out
counter_check out /base/counter.conf
assert_eq "$(sed -n 's/^ok //p' "$TEST_DIR/counter.out/log" | tail -n1)" \
	"$(timeout 5 cat "$MNT/counter.conf")" "counter.conf through the mount (the last acknowledged number)"

zkfs_umount "$MNT"
