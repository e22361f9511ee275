#!/bin/bash
# SPEC §1/§2 and §9 (ending), plus §5's -o ro: the command line, resolving
# servers and base path, errors that mount nothing, daemon mode,
# unmount/SIGTERM, and EROFS for every modifying call on a -o ro mount.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

unset ASAB_ZOOKEEPER_SERVERS # hermetic: only where a case sets it

zk_start
zkctl mkpath /base/dir
zkctl create /base/a.conf "original"
zkctl create /base/dir/kid "k"
zkctl create /base/locks
zkctl set /base/dir "dir data"

# ---------------------------------------------------------------- help, version

out=$(timeout 10 "$ZKFS_BIN" --help 2>&1 </dev/null) || fail "zkfs --help exited non-zero: $out"
grep -qi usage <<<"$out" || fail "zkfs --help does not print a usage: $out"
grep -qi mountpoint <<<"$out" || fail "zkfs --help does not mention MOUNTPOINT: $out"
grep -qi source <<<"$out" || fail "zkfs --help does not mention SOURCE: $out"
out=$(timeout 10 "$ZKFS_BIN" -h 2>&1 </dev/null) || fail "zkfs -h exited non-zero: $out"
grep -qi usage <<<"$out" || fail "zkfs -h does not print a usage: $out"
for flag in --version -V; do
	out=$(timeout 10 "$ZKFS_BIN" "$flag" 2>&1 </dev/null) || fail "zkfs $flag exited non-zero: $out"
	if [ -n "${ZKFS_VERSION:-}" ]; then
		grep -qF "$ZKFS_VERSION" <<<"$out" || fail "zkfs $flag does not print the version $ZKFS_VERSION: $out"
	else
		grep -qE '[0-9]+\.[0-9]+' <<<"$out" || fail "zkfs $flag does not print a version: $out"
	fi
done

# ---------------------------------------------------------------- errors

# cli_error WHAT "SUBSTRING..." -- ARGS...: zkfs -f ARGS must exit non-zero
# within 20 s with one line on stderr containing every SUBSTRING (compared
# without case), and mount nothing on $ERRMNT (the mount point ARGS use).
# With ONE_LINE=0 (errors found after connecting, when a foreground daemon may
# have logged before) other lines may come first; the last line must match.
ERRMNT=$TEST_DIR/errmnt
mkdir -p "$ERRMNT"
track_mount "$ERRMNT"
CLI_N=0
cli_error() {
	local what=$1 subs=() rc err pid
	shift
	while [ "$1" != -- ]; do
		subs+=("$1")
		shift
	done
	shift
	CLI_N=$((CLI_N + 1))
	err=$TEST_DIR/cli$CLI_N.err
	"$ZKFS_BIN" -f "$@" </dev/null >/dev/null 2>"$err" &
	pid=$!
	if ! wait_until 20 _pid_gone "$pid"; then
		stop_pid "$pid" 5
		fail "$what: zkfs -f $* was still running after 20 s (expected an error); stderr: $(cat "$err")"
	fi
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" != 0 ] || fail "$what: zkfs -f $* exited 0 (expected an error)"
	! is_mounted "$ERRMNT" || fail "$what: $ERRMNT is mounted after zkfs -f $* failed"
	if [ "${ONE_LINE:-1}" = 1 ]; then
		[ "$(grep -c . "$err")" = 1 ] ||
			fail "$what: expected one line on stderr from zkfs -f $*, got $(grep -c . "$err"): $(cat "$err")"
	fi
	local s msg
	msg=$(grep . "$err" | tail -n 1)
	for s in "${subs[@]}"; do
		grep -qiF -- "$s" <<<"$msg" || fail "$what: the message does not contain '$s': $msg"
	done
	info "ok: $what: $msg"
}

BADCONF=$TEST_DIR/bad.conf
printf '[zookeeper]\nservers=%s\nthis line is malformed\n' "$ZK_HOSTPORT" >"$BADCONF"
GOODCONF=$TEST_DIR/good.conf
printf '# a comment\n[zookeeper]\nservers=%s\npath=/cfgbase\n' "$ZK_HOSTPORT" >"$GOODCONF"

cli_error "unknown scheme" http -- http://h/x "$ERRMNT" -o "config=$EMPTY_CONF"
cli_error "empty host list" "zookeeper://,/x" -- "zookeeper://,/x" "$ERRMNT" -o "config=$EMPTY_CONF"
cli_error "bad port" 99999 -- "zookeeper://h:99999/x" "$ERRMNT" -o "config=$EMPTY_CONF"
cli_error "dot-dot in the path" ".." -- "zookeeper://$ZK_HOSTPORT/a/../b" "$ERRMNT" -o "config=$EMPTY_CONF"
cli_error "dot in the path" "a/./b" -- "zookeeper://$ZK_HOSTPORT/a/./b" "$ERRMNT" -o "config=$EMPTY_CONF"
cli_error "malformed config" "$BADCONF:3" -- "zookeeper:///base" "$ERRMNT" -o "config=$BADCONF"
cli_error "missing explicit config" "$TEST_DIR/no-such.conf" -- "zookeeper:///base" "$ERRMNT" -o "config=$TEST_DIR/no-such.conf"
cli_error "missing section" nosuch -- "zookeeper:///base" "$ERRMNT" -o "config=$GOODCONF,section=nosuch"
cli_error "no servers anywhere (no SOURCE)" URL "$EMPTY_CONF" ASAB_ZOOKEEPER_SERVERS -- "$ERRMNT" -o "config=$EMPTY_CONF"
cli_error "no servers anywhere (zookeeper:///x)" URL "$EMPTY_CONF" ASAB_ZOOKEEPER_SERVERS -- "zookeeper:///x" "$ERRMNT" -o "config=$EMPTY_CONF"
cli_error "unknown option" bogus -- "zookeeper://$ZK_HOSTPORT/base" "$ERRMNT" -o "config=$EMPTY_CONF,bogus"
cli_error "unknown option (separate -o)" bogus -- "zookeeper://$ZK_HOSTPORT/base" "$ERRMNT" -o "config=$EMPTY_CONF" -o bogus
# -o ro with a missing base path is a mount error and creates nothing
ONE_LINE=0 cli_error "ro with a missing base path" /missing/base -- "zookeeper://$ZK_HOSTPORT/missing/base" "$ERRMNT" -o "config=$EMPTY_CONF,ro"
rc=0
zkctl exists /missing || rc=$?
assert_eq 1 "$rc" "zkctl exists /missing after the refused ro mount (1 = absent)"

# ---------------------------------------------------------------- success forms

# check_and_umount MNT FILE CONTENT WHAT: the mount shows FILE with CONTENT;
# then unmount, and the daemon exits 0
check_and_umount() {
	assert_file_content "$1/$2" "$3" "$4"
	zkfs_umount "$1"
	assert_eq 0 "$ZKFS_STATUS" "$4: the daemon's exit status after fusermount3 -u"
}

zkctl mkpath /cfgbase/sub
zkctl create /cfgbase/top.conf "cfgbase top"
zkctl create /cfgbase/sub/f.conf "cfgbase sub"

# servers from the environment
newmnt
ASAB_ZOOKEEPER_SERVERS=$ZK_HOSTPORT zkfs_mount "zookeeper:///base" "$MNT" -o "config=$EMPTY_CONF"
check_and_umount "$MNT" a.conf "original" "zookeeper:///base with ASAB_ZOOKEEPER_SERVERS"

# precedence: config over environment (the environment names a closed port)
DEAD=127.0.0.1:$(free_port)
newmnt
ASAB_ZOOKEEPER_SERVERS=$DEAD zkfs_mount "zookeeper:///base" "$MNT" -o "config=$GOODCONF,timeout=5"
check_and_umount "$MNT" a.conf "original" "zookeeper:///base: config servers win over the environment"

# precedence: URL over config (the config names a closed port)
DEADCONF=$TEST_DIR/dead.conf
printf '[zookeeper]\nservers=%s\npath=/cfgbase\n' "$DEAD" >"$DEADCONF"
newmnt
ASAB_ZOOKEEPER_SERVERS=$DEAD zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$MNT" -o "config=$DEADCONF,timeout=5"
check_and_umount "$MNT" a.conf "original" "URL servers win over config and environment"

# zookeeper:./sub with a config: config path + /sub
newmnt
zkfs_mount "zookeeper:./sub" "$MNT" -o "config=$GOODCONF"
check_and_umount "$MNT" f.conf "cfgbase sub" "zookeeper:./sub with path=/cfgbase"

# no SOURCE: the config path
newmnt
zkfs_mount "" "$MNT" -o "config=$GOODCONF"
assert_eq dir "$(ftype "$MNT/sub")" "no SOURCE: sub under the config path"
check_and_umount "$MNT" top.conf "cfgbase top" "no SOURCE with path=/cfgbase"

# a named section
SECTCONF=$TEST_DIR/section.conf
printf '[zookeeper]\nservers=%s\npath=/base\n[other]\nservers=%s\npath=/cfgbase\n' "$DEAD" "$ZK_HOSTPORT" >"$SECTCONF"
newmnt
zkfs_mount "" "$MNT" -o "config=$SECTCONF,section=other"
check_and_umount "$MNT" top.conf "cfgbase top" "no SOURCE with -o section=other"

# no SOURCE and no path in the config: /asab (created if missing)
ASABCONF=$TEST_DIR/asab.conf
printf '[zookeeper]\nservers=%s\n' "$ZK_HOSTPORT" >"$ASABCONF"
newmnt
zkfs_mount "" "$MNT" -o "config=$ASABCONF"
zkctl exists /asab || fail "no SOURCE, no config path: /asab was not created (the default path is /asab)"
zkctl create /asab/hello.conf "asab"
wait_until 5 file_is "$MNT/hello.conf" "asab" || fail "no SOURCE, no config path: the mount does not show /asab"
zkfs_umount "$MNT"

# zk: alias, both forms
newmnt
zkfs_mount "zk://$ZK_HOSTPORT/base" "$MNT"
check_and_umount "$MNT" a.conf "original" "zk:// alias"
newmnt
zkfs_mount "zk:./sub" "$MNT" -o "config=$GOODCONF"
check_and_umount "$MNT" f.conf "cfgbase sub" "zk:./sub alias"

# normalisation: // collapses, a trailing / goes
newmnt
zkfs_mount "zookeeper://$ZK_HOSTPORT//base//dir/" "$MNT"
check_and_umount "$MNT" kid "k" "zookeeper://HOST//base//dir/"

# the base path is created if missing
newmnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/new/deep/base" "$MNT"
zkctl exists /new/deep/base || fail "the missing base path /new/deep/base was not created"
assert_eq dir "$(ftype "$MNT")" "the created base path (always a directory)"
zkfs_umount "$MNT"

# ---------------------------------------------------------------- daemon mode

# zkfs without -f returns 0 only once the mount is live
newmnt
rc=0
env -u ASAB_ZOOKEEPER_SERVERS timeout 60 "$ZKFS_BIN" "zookeeper://$ZK_HOSTPORT/base" "$MNT" \
	-o "config=$EMPTY_CONF" </dev/null >"$TEST_DIR/daemon.out" 2>"$TEST_DIR/daemon.err" || rc=$?
[ "$rc" = 0 ] || fail "zkfs (daemon mode) exited $rc: $(cat "$TEST_DIR/daemon.err")"
state=$(timeout 5 cat "$MNT/.state" 2>&1) || true
assert_eq CONNECTED "$state" "daemon mode: .state read immediately after zkfs returned"
assert_file_content "$MNT/a.conf" "original" "daemon mode: a.conf"
zkfs_daemon_of "$MNT" "daemon mode"
fusermount3 -u "$MNT" || fail "daemon mode: fusermount3 -u failed"
wait_until 20 _pid_gone "$DAEMON_PID" || fail "daemon mode: the daemon (PID $DAEMON_PID) did not exit within 20 s of the unmount"
! is_mounted "$MNT" || fail "daemon mode: still mounted after fusermount3 -u"

# daemon mode and a server that is not there: non-zero within ~10 s, a
# message, nothing mounted, no daemon left
newmnt
CLOSED=$(free_port)
t0=$(_now_ms)
rc=0
env -u ASAB_ZOOKEEPER_SERVERS timeout 60 "$ZKFS_BIN" "zookeeper://127.0.0.1:$CLOSED/x" "$MNT" \
	-o "config=$EMPTY_CONF,timeout=2" </dev/null >"$TEST_DIR/closed.out" 2>"$TEST_DIR/closed.err" || rc=$?
t1=$(_now_ms)
info "daemon mode, closed port: exit $rc after $((t1 - t0)) ms: $(cat "$TEST_DIR/closed.err")"
[ "$rc" != 0 ] || fail "daemon mode with a closed port ($CLOSED) exited 0"
[ "$rc" != 124 ] || fail "daemon mode with a closed port ($CLOSED) still running after 60 s"
(((t1 - t0) <= 10000)) || fail "daemon mode with a closed port and -o timeout=2 took $((t1 - t0)) ms to fail (expected at most ~10 s)"
[ -s "$TEST_DIR/closed.err" ] || fail "daemon mode with a closed port: no message on stderr"
! is_mounted "$MNT" || fail "daemon mode with a closed port: $MNT is mounted"
wait_until 5 no_zkfs_for "$MNT" ||
	fail "daemon mode with a closed port: a zkfs process is left: $(zkfs_pids_for "$MNT")"

# ---------------------------------------------------------------- ending

# SIGTERM ends the daemon and unmounts
newmnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$MNT"
pid=$ZKFS_PID
kill -TERM "$pid"
wait_until 20 _pid_gone "$pid" || fail "SIGTERM: the daemon (PID $pid) did not exit within 20 s"
rc=0
wait "$pid" || rc=$?
assert_eq 0 "$rc" "SIGTERM: the daemon's exit status"
! is_mounted "$MNT" || fail "SIGTERM: $MNT is still mounted after the daemon exited"

# ---------------------------------------------------------------- read-only

# check_erofs MNT (a -o ro mount): every modifying call fails with EROFS and
# changes nothing
check_erofs() {
	local m=$1 before after rc
	before=$(zkctl stat /base/a.conf)
	local ro="Read-only file system"
	expect_fail "$ro" "touch of a new file" touch "$m/new.conf"
	expect_fail "$ro" "mkdir" mkdir "$m/newdir"
	expect_fail "$ro" "rm of a file" rm "$m/a.conf"
	expect_fail "$ro" "rmdir of an empty directory" rmdir "$m/locks"
	expect_fail "$ro" "echo > existing file" bash -c 'echo x >"$1"' _ "$m/a.conf"
	expect_fail "$ro" "echo >> existing file" bash -c 'echo x >>"$1"' _ "$m/a.conf"
	expect_fail "$ro" "echo > new file" bash -c 'echo x >"$1"' _ "$m/other.conf"
	expect_fail "$ro" "truncate" truncate -s 0 "$m/a.conf"
	expect_fail "$ro" "mv" mv "$m/a.conf" "$m/b.conf"
	expect_fail "$ro" "echo > dir/.data" bash -c 'echo x >"$1"' _ "$m/dir/.data"
	expect_fail "$ro" "rm dir/.data" rm "$m/dir/.data"
	expect_fail "$ro" "chmod to another mode" chmod 600 "$m/a.conf"
	expect_fail "$ro" "symlink" ln -s a.conf "$m/link.conf"
	expect_fail "$ro" "hard link" ln "$m/a.conf" "$m/hard.conf"
	expect_fail "$ro" "mkfifo" mkfifo "$m/fifo"
	for p in /base/new.conf /base/newdir /base/other.conf /base/b.conf /base/link.conf /base/hard.conf /base/fifo; do
		rc=0
		zkctl exists "$p" || rc=$?
		assert_eq 1 "$rc" "zkctl exists $p after the refused calls (1 = absent)"
	done
	zkctl exists /base/locks || fail "/base/locks is gone after a refused rmdir"
	assert_eq "original" "$(zkctl get /base/a.conf)" "/base/a.conf after the refused calls"
	assert_eq "dir data" "$(zkctl get /base/dir)" "/base/dir data after the refused calls"
	after=$(zkctl stat /base/a.conf)
	assert_eq "$before" "$after" "zkctl stat /base/a.conf before/after the refused calls"
	assert_file_content "$m/a.conf" "original" "a.conf through the mount after the refused calls"
}

newmnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$MNT" -o ro
check_erofs "$MNT"
zkfs_umount "$MNT"
