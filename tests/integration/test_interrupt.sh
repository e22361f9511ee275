#!/bin/bash
# Issue 5, robustness: a FUSE request that is interrupted (Ctrl-C on a read
# blocked on a paused server) is answered, not leaked; the mount keeps
# working afterwards. (A blocked `.events` read is answered at once:
# test_events.)
#
#   1. -o timeout=10, the server paused (SIGSTOP): `cat` of an uncached file
#      blocks; SIGINT to it ends it at once, long before the timeout: the
#      kernel lets the process die only when the daemon has answered the
#      interrupted request (a leaked request would hang it), and the daemon
#      answers EINTR as soon as the INTERRUPT comes (src/cancel.h), logging
#      "PATH: interrupted".
#   2. After the server resumes, the same file reads correctly, the daemon is
#      alive and its log has no error about an unknown or stale request.
#   3. A blocked commit (close(2) of a written file while paused) interrupted
#      with SIGINT: the writer ends within the timeout, and afterwards
#      ZooKeeper holds the old or the new value as a whole and the mount shows
#      ZooKeeper's value (a reply to the interrupted flush arrives without harm).
# The daemon runs with -d (libfuse's debug output shows the INTERRUPT).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
_need_wr

zk_start
zkctl create /i
zkctl create /i/cold.conf "cold value"
zkctl create /i/w.conf "old value"
MNT=$TEST_DIR/mnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/i" "$MNT" -o timeout=10 -d
assert_file_content "$MNT/w.conf" "old value" "w.conf before the pause"

# run_bg OUT CMD...: CMD in the background with SIGINT at its default action
# (a non-interactive shell starts background jobs with SIGINT ignored); sets BG.
run_bg() {
	local out=$1
	shift
	env --default-signal=INT "$@" >"$out" 2>&1 &
	BG=$!
	track_pid "$BG"
}

# ---------------------------------------------------------------- read

info "a cat of an uncached file blocks on the paused server; SIGINT ends it at once"
zk_pause
run_bg "$TEST_DIR/cat.out" cat "$MNT/cold.conf"
CAT=$BG
wait_until 5 blocked_on_fuse "$CAT" || fail "cat of an uncached file ended while the server was paused: $(cat "$TEST_DIR/cat.out")"
t0=$(_now_ms)
kill -INT "$CAT"
wait_until 15 _pid_gone "$CAT" || fail "cat did not end within 15 s of SIGINT (-o timeout=10)"
t1=$(_now_ms)
rc=0
wait "$CAT" || rc=$?
info "cat ended $((t1 - t0)) ms after SIGINT (exit $rc)"
[ "$rc" != 0 ] || fail "cat succeeded while the server was paused: $(cat "$TEST_DIR/cat.out")"
(((t1 - t0) < 5000)) ||
	fail "cat ended $((t1 - t0)) ms after SIGINT: the interrupted read was answered when its call gave up (-o timeout=10), not at once"
grep -q '/i/cold.conf: interrupted' "$ZKFS_LOG" ||
	fail "the daemon's log has no '/i/cold.conf: interrupted' line"
zk_resume

info "after the resume the mount works, the same file reads correctly"
wait_until 30 _state_is "$MNT" CONNECTED || fail ".state is not CONNECTED within 30 s of the resume"
assert_file_content "$MNT/cold.conf" "cold value" "cold.conf after the interrupted read"
_pid_alive "$ZKFS_PID" || fail "the daemon died"
grep -q 'INTERRUPT' "$ZKFS_LOG" || fail "the daemon's -d log shows no INTERRUPT request"

# ---------------------------------------------------------------- write

info "a commit blocked on the paused server (close), interrupted with SIGINT"
GO=$TEST_DIR/go
run_bg "$TEST_DIR/wr.out" "$WR_BIN" open "$MNT/w.conf" wronly ftruncate 0 write "new value" wait "$GO" close
W=$BG
wait_until 10 grep -qx waiting "$TEST_DIR/wr.out" || fail "wr did not reach its wait step: $(cat "$TEST_DIR/wr.out")"
zk_pause
touch "$GO"
wait_until 5 blocked_on_fuse "$W" || fail "the close of w.conf returned while the server was paused: $(cat "$TEST_DIR/wr.out")"
t0=$(_now_ms)
kill -INT "$W"
# a commit of unknown outcome is read back: at most twice -o timeout
wait_until 25 _pid_gone "$W" || fail "the writer did not end within 25 s of SIGINT (-o timeout=10)"
t1=$(_now_ms)
rc=0
wait "$W" || rc=$?
info "the writer ended $((t1 - t0)) ms after SIGINT (exit $rc: $(tr '\n' ' ' <"$TEST_DIR/wr.out"))"
zk_resume
wait_until 30 _state_is "$MNT" CONNECTED || fail ".state is not CONNECTED within 30 s of the resume"
v=$(zkctl get /i/w.conf)
case $v in
"old value" | "new value") info "ZooKeeper holds '$v' after the interrupted commit" ;;
*) fail "w.conf in ZooKeeper after the interrupted commit: '$(_show "$v")' (neither the old nor the new value)" ;;
esac
wait_until 10 file_is "$MNT/w.conf" "$v" ||
	fail "w.conf through the mount is not ZooKeeper's '$v' within 10 s: '$(_show "$(cat "$MNT/w.conf" 2>&1)")'"
wr_ok "a write after the interrupted commit" open "$MNT/w.conf" trunc write "later"
assert_zk_content /i/w.conf "later" "w.conf after a write following the interrupted commit"

info "the daemon is alive and logged no error about an unknown or stale request"
_pid_alive "$ZKFS_PID" || fail "the daemon died"
if grep -iE 'unknown (unique|request)|stale|fuse: .*(error|fail)|zkfs: error' "$ZKFS_LOG" |
	grep -v -e 'outcome unknown' -e 'ZOO_' | grep -q .; then
	fail "the daemon's log: $(grep -iE 'unknown (unique|request)|stale|fuse: .*(error|fail)|zkfs: error' "$ZKFS_LOG" | head -n 5)"
fi
grep -E '^zkfs: (error|warning)' "$ZKFS_LOG" | head -n 5 >&2 || true
zkfs_umount "$MNT"
