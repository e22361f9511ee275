#!/bin/bash
# SPEC §6 `.events`: each open yields one line per transition after the open,
# a read blocks until the next one, a signal interrupts it (EINTR, not a hang
# or a leaked request), poll(2) works, and the end of the mount is EOF.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

zk_start
zkctl create /base
MNT=$TEST_DIR/mnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$MNT" -o timeout=3

# ---- listed, read-only, a stream
# Reachable by name, never listed: grep -r, cp -a and tar of the root would
# block in it for good.
if ls -a "$MNT" | grep -qx '.events'; then
	fail ".events is listed in ls -a of the root (it must be reachable by name only): $(ls -a "$MNT" | tr '\n' ' ')"
fi
[ -e "$MNT/.events" ] || fail ".events is not reachable by name"
assert_eq "$(stat -c '%s %A' "$MNT/.events")" "0 -r--r--r--" ".events size and mode"
if bash -c 'echo x >"$1"' _ "$MNT/.events" 2>/dev/null; then
	fail "writing to .events succeeded (it must be read-only)"
fi
exec 3<"$MNT/.events"

# ---- poll: nothing to read while nothing happened (bash's read -t 0 is a
# select(2) with a zero timeout on the descriptor)
if read -r -t 0 <&3; then
	fail ".events polled readable before any transition"
fi

# a poll(2) with a deadline times out
assert_eq "$("$WR_BIN" open "$MNT/.events" rdonly poll 300)" timeout "poll(2) of an idle .events for 300 ms"

# ---- a blocked cat is ended by SIGINT (Ctrl-C) at once: the kernel cannot
# let it die before the daemon answers the INTERRUPT of its read. A
# background job of a script ignores SIGINT: env gives cat the default back.
env --default-signal=INT cat "$MNT/.events" >"$TEST_DIR/cat.out" 2>"$TEST_DIR/cat.err" &
cat_pid=$!
track_pid "$cat_pid"
wait_until 5 blocked_on_fuse "$cat_pid" || fail "cat of .events is not blocked in a read"
kill -INT "$cat_pid"
wait_until 3 _pid_gone "$cat_pid" || fail "cat of .events still runs 3 s after SIGINT"

# ---- transitions: a reader loop opened before them sees each one, in order
LINES_OUT=$TEST_DIR/lines.out
: >"$LINES_OUT"
bash -c 'while read -r s; do echo "$s" >>"$2"; done <"$1"; echo EOF >>"$2"' _ \
	"$MNT/.events" "$LINES_OUT" &
loop_pid=$!
track_pid "$loop_pid"
wait_until 5 blocked_on_fuse "$loop_pid" || fail "the reader loop is not blocked in a read of .events"

# a poll(2) blocked before the transition wakes up with it
POLL_OUT=$TEST_DIR/poll.out
"$WR_BIN" open "$MNT/.events" rdonly poll 60000 read >"$POLL_OUT" 2>&1 &
poll_pid=$!
track_pid "$poll_pid"
wait_until 5 grep -q poll "/proc/$poll_pid/wchan" ||
	fail "wr is not blocked in poll(2) of .events (wchan $(cat "/proc/$poll_pid/wchan" 2>&1))"

zk_stop
wait_until 30 grep -qx SUSPENDED "$LINES_OUT" ||
	fail ".events: no SUSPENDED line within 30 s of stopping the server (got: $(tr '\n' ' ' <"$LINES_OUT"))"
wait_until 5 _pid_gone "$poll_pid" || fail "a poll(2) of .events did not wake up at the transition"
assert_eq "$(tr '\n' ' ' <"$POLL_OUT")" "ready SUSPENDED " "poll(2) then read(2) of .events across the transition"
# poll now reports the line on the descriptor opened at the start
read -r -t 0 <&3 || fail ".events did not poll readable after a transition"
read -r -t 5 line <&3 || fail "reading the pending line of .events failed"
assert_eq "$line" SUSPENDED "the first line of a .events opened before the outage"

zk_restart
wait_until 40 _state_is "$MNT" CONNECTED || fail ".state did not return to CONNECTED"
wait_until 10 grep -qx CONNECTED "$LINES_OUT" ||
	fail ".events: no CONNECTED line after the server came back (got: $(tr '\n' ' ' <"$LINES_OUT"))"
got=$(tr '\n' ' ' <"$LINES_OUT")
case "$got" in
"SUSPENDED CONNECTED " | "SUSPENDED LOST CONNECTED ") ;;
*) fail ".events lines: expected SUSPENDED, (LOST,) CONNECTED in order, got: $got" ;;
esac
info ".events lines: $got"

# a new open sees only what comes after it
exec 4<"$MNT/.events"
if read -r -t 0 <&4; then
	fail "a .events opened after the transitions polled readable: $(timeout 1 head -n1 <&4)"
fi

# ---- the end of the mount is EOF for every reader
bash -c 'cat "$1"; echo "exit $?"' _ "$MNT/.events" >"$TEST_DIR/cat2.out" 2>&1 &
cat2_pid=$!
track_pid "$cat2_pid"
wait_until 5 _child_cat_blocked "$cat2_pid" ||
	fail "the second cat is not blocked in a read of .events"
exec 3<&- 4<&-
kill -TERM "$ZKFS_PID"
wait_until 10 _pid_gone "$cat2_pid" || fail "cat of .events did not end within 10 s of stopping the daemon"
assert_eq "$(cat "$TEST_DIR/cat2.out")" "exit 0" "cat of .events at the end of the mount (EOF, no error)"
wait_until 10 grep -qx EOF "$LINES_OUT" || fail "the reader loop did not see EOF at the end of the mount"
wait_until 20 _pid_gone "$ZKFS_PID" || fail "the daemon did not exit after SIGTERM"
! is_mounted "$MNT" || fail "$MNT is still mounted after the daemon exited"
