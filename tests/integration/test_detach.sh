#!/bin/bash
# docs/SEMANTICS.md "The daemon": `umount -l` (and `fusermount3 -uz`) while
# files on the mount are open. The kernel sends the daemon nothing until the
# last file is closed, and a reader of `.events` never closes it by itself;
# zkfs notices the mount leaving the mount table and then
#  - ends every `.events` reader with end-of-file (within 2 s),
#  - lets a process that holds a regular file open read it to the end,
#  - answers anything new (a lookup from a working directory inside the
#    detached mount) with ENOTCONN,
#  - stops waiting for servers (a read blocked on a stopped server ends),
#  - exits within 5 s of the last close, leaving no process.
# Also while SUSPENDED. SIGTERM is test_events'.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export LC_ALL=C

zk_start
zkctl create /d
zkctl create /d/a.conf "value of a"
zkctl create /d/sub
zkctl create /d/sub/b.conf "value of b"
MNT=$TEST_DIR/mnt

# events_reader: cat of .events in the background, blocked in its read.
# Sets EV_PID; its exit status goes to $TEST_DIR/ev.N.out.
_EV_N=0
events_reader() {
	_EV_N=$((_EV_N + 1))
	EV_OUT=$TEST_DIR/ev.$_EV_N.out
	bash -c 'cat "$1"; echo "exit $?"' _ "$MNT/.events" >"$EV_OUT" 2>&1 &
	EV_PID=$!
	track_pid "$EV_PID"
	wait_until 5 _child_cat_blocked "$EV_PID" || fail "cat of .events is not blocked in a read"
}
_cwd_is() { [ "$(readlink "/proc/$1/cwd" 2>/dev/null)" = "$2" ]; }

# detach HOW: unmount MNT lazily, as HOW (umount-l, fusermount3-uz).
detach() {
	case $1 in
	umount-l) umount -l "$MNT" ;;
	fusermount3-uz) fusermount3 -uz "$MNT" ;;
	esac
	! is_mounted "$MNT" || fail "$1: $MNT is still in the mount table"
}

# reader_ended WHAT: the .events reader exited with EOF (status 0) within 2 s.
reader_ended() {
	wait_until 2 _pid_gone "$EV_PID" || fail "$1: cat of .events still blocked 2 s after the detach"
	assert_eq "exit 0" "$(tail -n1 "$EV_OUT")" "$1: cat of .events (end-of-file, no error)"
}

# daemon_gone WHAT PID: the daemon exits within 5 s, with status 0, and no
# process of it is left.
daemon_gone() {
	wait_until 5 _pid_gone "$2" || fail "$1: the daemon is still running 5 s after the last close"
	local rc=0
	wait "$2" 2>/dev/null || rc=$?
	assert_eq 0 "$rc" "$1: the daemon's exit status"
	no_zkfs_for "$MNT" || fail "$1: a zkfs process is left: $(zkfs_pids_for "$MNT")"
	grep -q "$MNT: unmounted" "$ZKFS_LOG" || fail "$1: the daemon did not log the detach"
}

for how in umount-l fusermount3-uz; do
	info "$how with a .events reader, a file held open, and a shell inside the mount"
	zkfs_mount "zookeeper://$ZK_HOSTPORT/d" "$MNT"
	pid=$ZKFS_PID
	events_reader
	exec 5<"$MNT/a.conf"
	mkfifo "$TEST_DIR/go.$how"
	# A shell whose working directory is in the mount: after the detach it
	# may still name things there, and gets ENOTCONN.
	# b.conf is read first: the kernel keeps its name, so truncate(2) of it
	# sends no lookup, only the truncation, which must be refused too.
	bash -c 'cd "$1" && cat b.conf >/dev/null && read -r _ <"$2" && {
		python3 -c "import os; os.truncate(\"b.conf\", 0)"; echo "truncate $?"
		cat b.conf; echo "cat $?"; ls; echo "ls $?"; }' \
		_ "$MNT/sub" "$TEST_DIR/go.$how" >"$TEST_DIR/inside.$how" 2>&1 &
	inside=$!
	track_pid "$inside"
	wait_until 5 _cwd_is "$inside" "$MNT/sub" || fail "$how: the shell did not enter $MNT/sub"
	detach "$how"
	reader_ended "$how"
	_pid_alive "$pid" || fail "$how: the daemon exited while a file was still open"
	timeout 5 bash -c 'echo go >"$1"' _ "$TEST_DIR/go.$how" || fail "$how: the shell inside the mount is not waiting"
	wait_until 5 _pid_gone "$inside" || fail "$how: the shell inside the mount did not finish"
	grep -q "^truncate 1$" "$TEST_DIR/inside.$how" && grep -q "^cat 1$" "$TEST_DIR/inside.$how" &&
		grep -q "^ls 2$" "$TEST_DIR/inside.$how" &&
		grep -q "Transport endpoint is not connected" "$TEST_DIR/inside.$how" ||
		fail "$how: truncate, cat and ls inside the detached mount: expected ENOTCONN, got: $(cat "$TEST_DIR/inside.$how")"
	assert_zk_content /d/sub/b.conf "value of b" "$how: /d/sub/b.conf after the refused truncate"
	assert_eq "value of a" "$(cat <&5)" "$how: the file held open, read after the detach"
	_pid_alive "$pid" || fail "$how: the daemon exited before the last close"
	exec 5<&-
	daemon_gone "$how" "$pid"
	assert_zk_content /d/a.conf "value of a" "$how: /d/a.conf in ZooKeeper"
done

info "umount -l of the mount point while a bind mount of it stays: the bind mount still works"
zkfs_mount "zookeeper://$ZK_HOSTPORT/d" "$MNT"
pid=$ZKFS_PID
BIND=$TEST_DIR/bind
mkdir -p "$BIND"
mount --bind "$MNT/sub" "$BIND"
track_mount "$BIND"
detach umount-l
assert_file_content "$BIND/b.conf" "value of b" "b.conf through the bind mount after umount -l of $MNT"
sh_ok "echo > c.conf through the bind mount" 'echo bound >"$1"' "$BIND/c.conf"
assert_zk_content /d/sub/c.conf $'bound\n' "/d/sub/c.conf written through the bind mount"
_pid_alive "$pid" || fail "the daemon exited while a bind mount of its mount was in use"
umount "$BIND"
daemon_gone "umount of the bind mount" "$pid"

info "umount -l while SUSPENDED, with a .events reader and a read blocked on the stopped server"
zkfs_mount "zookeeper://$ZK_HOSTPORT/d" "$MNT" -o timeout=60
pid=$ZKFS_PID
events_reader
zk_stop
wait_until 30 _state_is "$MNT" SUSPENDED || fail ".state did not read SUSPENDED with the server stopped"
# The SUSPENDED line is the reader's; it must still end at the detach.
cat "$MNT/sub/b.conf" >"$TEST_DIR/blocked.out" 2>&1 &   # never read: not cached
blocked=$!
track_pid "$blocked"
wait_until 5 blocked_on_fuse "$blocked" || fail "cat of an uncached file did not block on the stopped server"
detach umount-l
reader_ended "umount -l while SUSPENDED"
# -o timeout=60: only the detach can end this read within 5 s.
wait_until 5 _pid_gone "$blocked" || fail "the read blocked on the stopped server did not end within 5 s of the detach"
rc=0
wait "$blocked" || rc=$?
[ "$rc" != 0 ] || fail "the read blocked on the stopped server succeeded: $(cat "$TEST_DIR/blocked.out")"
daemon_gone "umount -l while SUSPENDED" "$pid"
zk_restart
assert_zk_content /d/sub/b.conf "value of b" "/d/sub/b.conf in ZooKeeper"
