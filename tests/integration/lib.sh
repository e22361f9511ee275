# shellcheck shell=bash
#
# lib.sh — sourced by every tests/integration/test_*.sh that mounts zkfs.
#
# Gives each test its own temp dir, helpers to mount zkfs and act on ZooKeeper
# directly (zkctl, the ground truth), deadline-bounded waits, assertions, and
# the one trap chain (at the end: the EXIT trap and its on_cleanup hooks) that
# unmounts and stops everything the test started.
#
# The test helpers are defined once, each in one of these files:
#   msg.sh       info, fail, _show (also for the tests without lib.sh)
#   lib.sh       this file: processes, mounts, zkctl, assertions, wr, cleanup
#   zkserver.sh  the ZooKeeper servers: zk_start (standalone), zk_ensemble_*
#   faults.sh    the fault tests': .state watch, log states, counter, .events
#   userlib.sh   users' programs: sections, python, tools (sourced by tests)
# The first four are sourced by lib.sh. A test defines only what it alone uses.
#
# Environment (set by meson):
#   ZKFS_BIN    the daemon under test
#   ZKCTL_BIN   tests/integration/zkctl
#   WR_BIN      tests/integration/wr (needed by the tests that use wr_*)
# Optional:
#   ZK_SERVER_SH   zkServer.sh to use (default /usr/share/zookeeper/bin/zkServer.sh)
#   KEEP_TMP=1     keep the test's temp dir (logs) after it ends
#   ZKFS_WRAPPER   a command line that zkfs_mount puts before "$ZKFS_BIN"
#                  (word-split), e.g. tools/valgrind's "valgrind
#                  --log-file=%q{TEST_DIR}/valgrind.%p.log ...". The cleanup
#                  fails the test on any valgrind log in $TEST_DIR that reports
#                  errors or lacks its ERROR SUMMARY (a daemon killed early).
#   ZK_JVMFLAGS    more JVM flags for the servers started (or restarted) from
#                  then on, e.g. "-Djute.maxbuffer=40000"
#   ZKFS_WAIT_SCALE  integer factor for lib.sh's own waits on the daemon
#                  (mount ready, exit after unmount); default 1
#
# Exit codes: 0 pass, 1 fail. There is no skip: a machine without /dev/fuse
# or java cannot prove anything, so the test fails and says what is missing.

ZK_SERVER_SH=${ZK_SERVER_SH:-/usr/share/zookeeper/bin/zkServer.sh}

# ---------------------------------------------------------------- messages

# shellcheck source=msg.sh
source "$(dirname "${BASH_SOURCE[0]}")/msg.sh"

# ---------------------------------------------------------------- prerequisites

[ -c /dev/fuse ] || fail "/dev/fuse is absent: this test needs a FUSE-capable machine"
command -v java >/dev/null 2>&1 || fail "java is absent: run tools/deps (it installs zookeeper and its JRE)"
[ -n "${ZKCTL_BIN:-}" ] && [ -x "$ZKCTL_BIN" ] ||
	fail "ZKCTL_BIN is not set to an executable (got '${ZKCTL_BIN:-}')"
[ -n "${ZKFS_BIN:-}" ] && [ -x "$ZKFS_BIN" ] ||
	fail "ZKFS_BIN is not set to an executable (got '${ZKFS_BIN:-}')"
[ -x "$ZK_SERVER_SH" ] || fail "$ZK_SERVER_SH not found (package zookeeper)"
command -v fusermount3 >/dev/null 2>&1 || fail "fusermount3 not found (package fuse3)"

TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/zkfs-$TEST_NAME.XXXXXX")
TEST_DIR=$(realpath "$TEST_DIR")
EMPTY_CONF=$TEST_DIR/empty.conf
: >"$EMPTY_CONF"
export TEST_DIR EMPTY_CONF

_LIB_DAEMONS=()   # "PID MOUNTPOINT" of zkfs daemons started with zkfs_mount
_LIB_MOUNTS=()    # mountpoints to make sure are unmounted at the end
_LIB_PIDS=()      # other background processes (inotifywait, zkctl holders)
_LIB_FDS=()       # file descriptors held open for background processes
_LIB_FROZEN=()    # PIDs frozen with fault_stop and not continued since

# ---------------------------------------------------------------- waiting

_now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

# wait_until DEADLINE_SEC CMD...: re-run CMD (in this shell) until it succeeds
# or DEADLINE_SEC (may be fractional) have passed; 1 on timeout. CMD runs at
# least once and once more at the deadline.
wait_until() {
	local secs=$1
	shift
	local now end t
	t=${EPOCHREALTIME/[.,]/}
	now=$((t / 1000))
	end=$((now + $(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000 }')))
	while :; do
		if "$@"; then
			return 0
		fi
		t=${EPOCHREALTIME/[.,]/}
		now=$((t / 1000))
		if ((now >= end)); then
			"$@" && return 0
			return 1
		fi
		sleep 0.05
	done
}

# ---------------------------------------------------------------- processes

# pid_state PID: the state letter of process PID (/proc/PID/stat: R, S, T
# stopped, Z zombie, ...); fails when there is no such process.
pid_state() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$st" ] && echo "$st"
}

# Alive and not a zombie (a reparented server may linger as one).
_pid_alive() {
	local st
	[ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
	st=$(pid_state "$1") || return 1
	[ "$st" != Z ] && [ "$st" != X ]
}
_pid_gone() { ! _pid_alive "$1"; }

# blocked_on_fuse PID: PID waits in the kernel for the answer to a FUSE request.
blocked_on_fuse() { [ "$(cat "/proc/$1/wchan" 2>/dev/null)" = request_wait_answer ]; }

# _child_cat_blocked PID: the cat that PID (a bash -c '...cat...') runs waits
# for a FUSE answer. The child is looked up on every call: bash may not have
# forked it yet.
_child_cat_blocked() { blocked_on_fuse "$(pgrep -P "$1" -x cat)"; }

# fault_stop PID / fault_cont PID: freeze a process (a ZooKeeper server, the
# zkfs daemon) with SIGSTOP, and let it go on. A process still frozen when the
# test ends is continued first thing in the EXIT trap, before the unmounts and
# the stops (a frozen daemon or server would stall them).
fault_stop() {
	kill -STOP "$1" || fail "cannot SIGSTOP PID $1"
	_LIB_FROZEN+=("$1")
}
fault_cont() {
	kill -CONT "$1" || fail "cannot SIGCONT PID $1"
	_not_frozen "$1"
}
_not_frozen() {
	local i
	for i in "${!_LIB_FROZEN[@]}"; do
		[ "${_LIB_FROZEN[$i]}" = "$1" ] && unset '_LIB_FROZEN[i]'
	done
	return 0
}

# stop_pid PID [SEC]: SIGTERM (and SIGCONT), wait (default 10 s), SIGKILL;
# reap if our child.
stop_pid() {
	local pid=$1 secs=${2:-10}
	_not_frozen "$pid"
	if _pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true   # it may be gone already
		kill -CONT "$pid" 2>/dev/null || true   # (set -e in the tests)
		if ! wait_until "$secs" _pid_gone "$pid"; then
			info "PID $pid ignored SIGTERM for $secs s; SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			wait_until 10 _pid_gone "$pid" || info "PID $pid survived SIGKILL"
		fi
	fi
	wait "$pid" 2>/dev/null || true
}

# Remember a background process for the cleanup trap.
track_pid() { _LIB_PIDS+=("$1"); }

# ---------------------------------------------------------------- mounts

# is_mounted MNT: MNT is a mount point in /proc/mounts.
is_mounted() {
	local m
	m=$(realpath -m "$1")
	awk -v m="$m" '$2 == m { f = 1 } END { exit !f }' /proc/mounts
}

# Unmount MNT if mounted: fusermount3 -u, umount -l as the fallback.
_force_umount() {
	local mnt=$1
	is_mounted "$mnt" || return 0
	timeout 10 fusermount3 -u "$mnt" 2>/dev/null ||
		timeout 10 fusermount3 -uz "$mnt" 2>/dev/null ||
		umount -l "$mnt" 2>/dev/null || true
	is_mounted "$mnt" && info "could not unmount $mnt"
	return 0
}

# PIDs of zkfs processes that have MNT as an argument (a daemon that went to
# the background is not our child; this finds it by its own mount point,
# which is a unique temp path).
zkfs_pids_for() {
	local mnt exe p a
	mnt=$(realpath -m "$1")
	exe=$(realpath "$ZKFS_BIN")
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$exe" ] || continue
		while IFS= read -r -d '' a; do
			if [ "$a" = "$1" ] || [ "$a" = "$mnt" ]; then
				echo "${p#/proc/}"
				break
			fi
		done 2>/dev/null <"$p/cmdline"
	done
}

# zkfs_daemon_of MNT WHAT: set DAEMON_PID to the one zkfs process that serves
# MNT (a daemon gone to the background); fail when there is none, or more.
zkfs_daemon_of() {
	local pids
	pids=$(zkfs_pids_for "$1")
	[ -n "$pids" ] || fail "$2: no zkfs process serves $1"
	[ "$(wc -w <<<"$pids")" = 1 ] || fail "$2: more than one zkfs process serves $1: $pids"
	DAEMON_PID=$pids
}

# no_zkfs_for MNT: no zkfs process has MNT as an argument (for wait_until).
no_zkfs_for() { [ -z "$(zkfs_pids_for "$1")" ]; }

# Remember a mount point for the cleanup trap (mounts made without zkfs_mount).
track_mount() { _LIB_MOUNTS+=("$1"); }

# newmnt: set MNT to a fresh mount point, $TEST_DIR/mntN (made, and tracked
# for the cleanup trap), for mounts made without zkfs_mount.
_NEWMNT_N=0
newmnt() {
	_NEWMNT_N=$((_NEWMNT_N + 1))
	MNT=$TEST_DIR/mnt$_NEWMNT_N
	mkdir -p "$MNT"
	track_mount "$MNT"
}

# in_listing DIR NAME: NAME is listed by ls -a of DIR.
in_listing() { (cd "$1" && ls -a) | grep -qxF -- "$2"; }

_state_is() { [ "$(timeout 5 cat "$1/.state" 2>/dev/null)" = "$2" ]; }
_mount_ready_or_dead() { _pid_gone "$2" || _state_is "$1" CONNECTED; }

# zkfs_mount SRC MNT [OPTS...]: run "$ZKFS_BIN" -f SRC MNT OPTS in the
# background (stderr to $ZKFS_LOG), wait until MNT/.state reads CONNECTED.
# SRC "" means no SOURCE argument. Unless OPTS name a config (config=), a
# "-o config=$EMPTY_CONF" is added so that /etc/zkfs/zkfs.conf is not read.
# Sets ZKFS_PID and ZKFS_LOG.
_ZKFS_N=0
zkfs_mount() {
	local src=$1 mnt=$2
	shift 2
	local args=(-f)
	[ -n "$src" ] && args+=("$src")
	args+=("$mnt")
	case " $* " in
	*config=*) ;;
	*) args+=(-o "config=$EMPTY_CONF") ;;
	esac
	args+=("$@")
	mkdir -p "$mnt"
	_ZKFS_N=$((_ZKFS_N + 1))
	ZKFS_LOG=$TEST_DIR/zkfs.$_ZKFS_N.log
	info "mount: zkfs ${args[*]}"
	# shellcheck disable=SC2086 # ZKFS_WRAPPER is a command line: split it
	${ZKFS_WRAPPER:-} "$ZKFS_BIN" "${args[@]}" </dev/null >"$ZKFS_LOG" 2>&1 &
	ZKFS_PID=$!
	_LIB_DAEMONS+=("$ZKFS_PID $mnt")
	if ! wait_until $((30 * ${ZKFS_WAIT_SCALE:-1})) _mount_ready_or_dead "$mnt" "$ZKFS_PID" || _pid_gone "$ZKFS_PID"; then
		local how="is still running"
		if _pid_gone "$ZKFS_PID"; then
			local rc=0
			wait "$ZKFS_PID" || rc=$?
			how="exited with status $rc"
		fi
		printf -- '----- zkfs log (%s) -----\n' "$ZKFS_LOG" >&2
		cat "$ZKFS_LOG" >&2
		printf -- '-----\n' >&2
		fail "zkfs_mount $src $mnt: $mnt/.state did not read CONNECTED within $((30 * ${ZKFS_WAIT_SCALE:-1})) s; the daemon $how"
	fi
}

# zkfs_umount MNT: fusermount3 -u, then wait until the daemon exits.
# Sets ZKFS_STATUS to the daemon's exit status (when it was our child).
_fusermount_quiet() { fusermount3 -u "$1" 2>/dev/null; }

zkfs_umount() {
	local mnt=$1 i pid=
	for i in "${!_LIB_DAEMONS[@]}"; do
		if [ "${_LIB_DAEMONS[$i]#* }" = "$mnt" ]; then
			pid=${_LIB_DAEMONS[$i]%% *}
			unset '_LIB_DAEMONS[i]'
		fi
	done
	[ -n "$pid" ] || pid=$(zkfs_pids_for "$mnt" | head -n1)
	# A daemon that cannot clone its mount (no CAP_SYS_ADMIN; valgrind lacks
	# open_tree) raises the inotify events of remote changes through the
	# mount point, which is busy while it does (docs/SEMANTICS.md): a plain
	# unmount is then tried again for a while.
	if ! fusermount3 -u "$mnt" &&
		! { grep -qs "raised through the mount point itself" "$TEST_DIR"/zkfs.*.log &&
			wait_until 10 _fusermount_quiet "$mnt"; }; then
		# leave it to the cleanup trap, which no longer lists it otherwise
		[ -n "$pid" ] && _LIB_DAEMONS+=("$pid $mnt")
		track_mount "$mnt"
		fail "fusermount3 -u $mnt failed"
	fi
	if [ -n "$pid" ]; then
		wait_until $((20 * ${ZKFS_WAIT_SCALE:-1})) _pid_gone "$pid" ||
			fail "the zkfs daemon (PID $pid) did not exit within $((20 * ${ZKFS_WAIT_SCALE:-1})) s after unmounting $mnt"
		ZKFS_STATUS=0
		wait "$pid" 2>/dev/null || ZKFS_STATUS=$?
	fi
	! is_mounted "$mnt" || fail "$mnt is still mounted after fusermount3 -u"
}

# ---------------------------------------------------------------- ZooKeeper

# zkctl ARGS...: zkctl against the standalone server (zk_start).
zkctl() { "$ZKCTL_BIN" -s "$ZK_HOSTPORT" "$@"; }

# zkctl_at HOSTPORTS ARGS...: zkctl against other servers (an ensemble, some
# of its servers), each call bounded to 10 s.
zkctl_at() { "$ZKCTL_BIN" -s "$1" -t 10 "${@:2}"; }

# zk_hold_ephemeral PATH [DATA]: create an ephemeral znode held by a
# background "zkctl create-eph" until the test releases it (or ends).
# Sets HOLD_PID. Release with stop_pid "$HOLD_PID".
_HOLD_N=0
zk_hold_ephemeral() {
	local path=$1 fifo out fd
	_HOLD_N=$((_HOLD_N + 1))
	fifo=$TEST_DIR/hold.$_HOLD_N.in
	out=$TEST_DIR/hold.$_HOLD_N.out
	mkfifo "$fifo"
	exec {fd}<>"$fifo" # keeps the holder's stdin open (no EOF) until cleanup
	_LIB_FDS+=("$fd")
	if [ $# -ge 2 ]; then
		"$ZKCTL_BIN" -s "$ZK_HOSTPORT" create-eph "$path" "$2" -- hold <"$fifo" >"$out" 2>&1 &
	else
		"$ZKCTL_BIN" -s "$ZK_HOSTPORT" create-eph "$path" -- hold <"$fifo" >"$out" 2>&1 &
	fi
	HOLD_PID=$!
	track_pid "$HOLD_PID"
	wait_until 15 grep -qx ready "$out" ||
		fail "zkctl create-eph $path did not print ready within 15 s: $(cat "$out")"
}

# ---------------------------------------------------------------- assertions

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
	[ "$1" = "$2" ] ||
		fail "${3:-value}: expected '$(_show "$1")', got '$(_show "$2")'"
}

# assert_file_content FILE EXPECTED [WHAT]: cat FILE must succeed and give
# exactly these bytes (trailing newlines included).
assert_file_content() {
	local file=$1 expected=$2 what=${3:-$1} exp got rc=0 err
	exp=$TEST_DIR/.exp.$BASHPID
	got=$TEST_DIR/.got.$BASHPID
	printf '%s' "$expected" >"$exp"
	timeout 30 cat "$file" >"$got" 2>"$got.err" || rc=$?
	err=$(cat "$got.err")
	if [ "$rc" != 0 ]; then
		rm -f "$exp" "$got" "$got.err"
		fail "$what: cat $file failed (exit $rc): $err"
	fi
	if ! cmp -s "$got" "$exp"; then
		local shown
		shown=$(head -c 200 "$got" | cat -A)
		rm -f "$exp" "$got" "$got.err"
		fail "$what: expected content '$(_show "$expected")', got '$shown' (shown with cat -A)"
	fi
	rm -f "$exp" "$got" "$got.err"
}

# file_is FILE EXPECTED: the condition form of assert_file_content (for wait_until).
file_is() {
	local tmp=$TEST_DIR/.exp.c.$BASHPID rc=0
	printf '%s' "$2" >"$tmp"
	timeout 30 cat "$1" 2>/dev/null | cmp -s - "$tmp" || rc=1
	rm -f "$tmp"
	return $rc
}

# expect_fail SUBSTRING WHAT CMD...: CMD must fail and its stderr contain SUBSTRING.
expect_fail() {
	local sub=$1 what=$2 err rc=0
	shift 2
	err=$("$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" != 0 ] || fail "$what: expected failure ('$sub'), but '$*' succeeded"
	[[ "$err" == *"$sub"* ]] ||
		fail "$what: expected an error containing '$sub', got (exit $rc): $(_show "$err")"
}

# xattr_get FILE NAME: the value of an extended attribute (getfattr when the
# attr package is installed, else python3's os.getxattr).
xattr_get() {
	if command -v getfattr >/dev/null 2>&1; then
		getfattr --absolute-names --only-values -n "$2" -- "$1"
	else
		python3 -c 'import os, sys
sys.stdout.buffer.write(os.getxattr(sys.argv[1], sys.argv[2]))' "$1" "$2"
	fi
}

# ftype PATH: "file" or "dir" (or stat's own word for anything else).
ftype() {
	local t
	t=$(stat -c %F -- "$1") || return 1
	case $t in
	"regular file" | "regular empty file") echo file ;;
	directory) echo dir ;;
	*) echo "$t" ;;
	esac
}

# mode_of PATH: its permission bits in octal (644, 755, ...).
mode_of() { stat -c %a -- "$1"; }

# ---------------------------------------------------------------- writing

# zkstat PATH KEY: one field of "zkctl stat PATH" (czxid, version, dataLength, ...).
zkstat() {
	local out v
	out=$(zkctl stat "$1") || fail "zkctl stat $1 failed"
	v=$(sed -n "s/^$2=//p" <<<"$out")
	[ -n "$v" ] || fail "zkctl stat $1 has no field $2"
	echo "$v"
}

# zk_absent PATH: the znode does not exist (zkctl exists answers 1).
zk_absent() {
	local rc=0
	zkctl exists "$1" 2>/dev/null || rc=$?
	[ "$rc" = 1 ]
}

# assert_zk_absent PATH WHAT / assert_zk_exists PATH WHAT
assert_zk_absent() {
	local rc=0
	zkctl exists "$1" || rc=$?
	[ "$rc" = 1 ] || fail "${2:-$1}: the znode $1 exists in ZooKeeper (expected none; zkctl exists gave $rc)"
}
assert_zk_exists() {
	local rc=0
	zkctl exists "$1" || rc=$?
	[ "$rc" = 0 ] || fail "${2:-$1}: the znode $1 does not exist in ZooKeeper (zkctl exists gave $rc)"
}

# assert_zk_content PATH EXPECTED [WHAT]: zkctl get PATH gives exactly these
# bytes (trailing newlines included).
assert_zk_content() {
	local exp=$TEST_DIR/.zexp.$BASHPID
	printf '%s' "$2" >"$exp"
	assert_zk_file "$1" "$exp" "${3:-$1}"
	rm -f "$exp"
}

# assert_zk_file PATH FILE [WHAT]: zkctl get PATH gives exactly FILE's bytes.
assert_zk_file() {
	local got=$TEST_DIR/.zgot.$BASHPID shown
	zkctl get "$1" >"$got" || fail "${3:-$1}: zkctl get $1 failed"
	if ! cmp -s "$got" "$2"; then
		shown=$(head -c 200 "$got" | cat -A)
		fail "${3:-$1}: ZooKeeper holds '$shown' ($(stat -c %s "$got") bytes), expected '$(head -c 200 "$2" | cat -A)' ($(stat -c %s "$2") bytes) (shown with cat -A)"
	fi
	rm -f "$got"
}

# zk_content_is PATH EXPECTED: the condition form of assert_zk_content.
zk_content_is() {
	local exp=$TEST_DIR/.zexp.c.$BASHPID rc=0
	printf '%s' "$2" >"$exp"
	zkctl get "$1" 2>/dev/null | cmp -s - "$exp" || rc=1
	rm -f "$exp"
	return $rc
}

# await_zk_content PATH EXPECTED [WHAT]: like assert_zk_content, for a commit
# that a file's release makes (a handle whose only change is O_TRUNC or the
# creation of the file commits at release, which the kernel sends after
# close(2) has returned): waits up to 5 s for it first.
await_zk_content() {
	wait_until 5 zk_content_is "$1" "$2" || true
	assert_zk_content "$@"
}

# assert_ok WHAT CMD...: CMD must succeed; else fail with its exit status and stderr.
assert_ok() {
	local what=$1 err rc=0
	shift
	err=$("$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = 0 ] || fail "$what: '$*' failed (exit $rc): $(_show "$err")"
}

# sh_ok WHAT SCRIPT [ARGS...]: bash -c SCRIPT _ ARGS must succeed (for
# redirections: sh_ok "echo > f" 'echo x >"$1"' "$MNT/f").
sh_ok() {
	local what=$1 script=$2
	shift 2
	assert_ok "$what" bash -c "$script" _ "$@"
}

_need_wr() {
	[ -n "${WR_BIN:-}" ] && [ -x "$WR_BIN" ] ||
		fail "WR_BIN is not set to an executable (got '${WR_BIN:-}'): tests/integration/wr"
}

# wr ARGS...: tests/integration/wr (see wr.c: open FILE FLAGS STEPS..., truncate,
# rename, errmsg).
wr() {
	_need_wr
	"$WR_BIN" "$@"
}

# errno_msg ENAME: strerror() text of an errno name (EPERM -> "Operation not permitted").
errno_msg() {
	_need_wr
	"$WR_BIN" errmsg "$1" || fail "errno_msg: unknown errno name $1"
}

# expect_errno ENAME WHAT CMD...: CMD must fail with strerror(ENAME) on its stderr.
expect_errno() {
	local msg
	msg=$(errno_msg "$1")
	expect_fail "$msg" "$2 (expected $1)" "${@:3}"
}

# The "STEP: ENAME" failures named in wr's stderr (file $1), space-joined.
_wr_failures() {
	sed -n 's/^wr: \([a-z-]*\): \([A-Z0-9]*\) (.*/\1: \2/p' "$1" | paste -sd' ' -
}

# wr_ok WHAT ARGS...: wr ARGS must succeed.
wr_ok() {
	local what=$1 err=$TEST_DIR/.wr.err.$BASHPID rc=0
	shift
	_need_wr
	"$WR_BIN" "$@" >/dev/null 2>"$err" || rc=$?
	[ "$rc" = 0 ] || fail "$what: wr $(_show "$*") failed (exit $rc): $(cat "$err")"
	rm -f "$err"
}

# wr_fails WHAT "STEP: ENAME"... -- ARGS...: wr ARGS must fail, and the calls
# that failed must be exactly these, in order (e.g. "write: EFBIG" "close: EFBIG").
wr_fails() {
	local what=$1 exp=() err=$TEST_DIR/.wr.err.$BASHPID rc=0 got
	shift
	while [ "$1" != -- ]; do
		exp+=("$1")
		shift
	done
	shift
	_need_wr
	"$WR_BIN" "$@" >/dev/null 2>"$err" || rc=$?
	got=$(_wr_failures "$err")
	[ "$rc" != 0 ] || fail "$what: wr $(_show "$*") succeeded; expected the failures '${exp[*]}'"
	[ "$got" = "${exp[*]}" ] ||
		fail "$what: expected the failures '${exp[*]}', got '$got' (exit $rc): $(cat "$err")"
	rm -f "$err"
}

_wr_waiting_or_gone() { grep -qx waiting "$1" || _pid_gone "$2"; }

# wr_start TAG ARGS...: run wr ARGS (which must contain a "wait FILE" step) in
# the background; return once it printed "waiting" (it holds the file open).
# Its output goes to $TEST_DIR/wr.TAG.{out,err}. Sets WR_PID.
wr_start() {
	local tag=$1
	shift
	_need_wr
	local out=$TEST_DIR/wr.$tag.out err=$TEST_DIR/wr.$tag.err
	"$WR_BIN" "$@" >"$out" 2>"$err" &
	WR_PID=$!
	track_pid "$WR_PID"
	wait_until 30 _wr_waiting_or_gone "$out" "$WR_PID" ||
		fail "wr $tag: did not reach its wait step within 30 s: $(cat "$err")"
	grep -qx waiting "$out" ||
		fail "wr $tag: exited before its wait step: $(cat "$err")"
}

# wr_finish TAG GOFILE WHAT [EXPECTED_FAILURE...]: create GOFILE so the
# background wr TAG (started last, WR_PID) goes on, wait for it (30 s), then
# check its failures: none when no EXPECTED_FAILURE is given ("close: ESTALE"...).
wr_finish() {
	local tag=$1 go=$2 what=$3 rc=0 got
	shift 3
	touch "$go"
	wait_until 30 _pid_gone "$WR_PID" || fail "$what: wr $tag did not end within 30 s after $go appeared"
	wait "$WR_PID" || rc=$?
	got=$(_wr_failures "$TEST_DIR/wr.$tag.err")
	if [ $# = 0 ]; then
		[ "$rc" = 0 ] || fail "$what: wr $tag failed (exit $rc): $(cat "$TEST_DIR/wr.$tag.err")"
	else
		[ "$rc" != 0 ] || fail "$what: wr $tag succeeded; expected the failures '$*'"
		[ "$got" = "$*" ] ||
			fail "$what: expected the failures '$*', got '$got' (exit $rc): $(cat "$TEST_DIR/wr.$tag.err")"
	fi
}

# ---------------------------------------------------------------- the trap chain
#
# lib.sh alone sets the traps; nothing else may (a module or a test that set
# its own EXIT trap would replace this one). INT and TERM exit (130, 143),
# and the EXIT trap, cleanup, ends what the test started, in this order:
#   1. continue every process still frozen (fault_stop, zk_pause);
#   2. stop the background processes (track_pid), close the held descriptors;
#   3. unmount every mount (zkfs_mount, track_mount) and end its daemon;
#   4. fail the test on a sanitizer or valgrind report of a daemon, and show
#      the daemons' logs when the test failed;
#   5. run the on_cleanup hooks, the last registered first: a test's own, the
#      ensemble's, and last the standalone server's (zkserver.sh);
#   6. remove $TEST_DIR (kept when a mount remains or KEEP_TMP=1) and exit
#      with the test's status, 1 when any step failed.
# (A background subshell does not inherit the traps: it needs no trap -.)

# on_cleanup CMD [ARGS...]: have the EXIT trap run CMD ARGS at step 5, after
# the mounts and daemons are gone. CMD runs in a subshell, with the test's
# status so far in $CLEANUP_RC (0: passing); a CMD that fails (or calls fail)
# fails the test, and the other hooks still run.
_LIB_HOOKS=()
on_cleanup() { _LIB_HOOKS+=("$(printf '%q ' "$@")"); }

_remove_own_symlink() {
	[ -L "$1" ] && [ "$(readlink "$1")" = "$2" ] || return 0
	rm -f "$1" || {
		info "cannot remove $1"
		return 1
	}
}

# system_symlink TARGET LINK: create the symlink LINK -> TARGET for the rest of
# the test (e.g. a helper where mount(8) looks for it), removed by the EXIT
# trap if it still points to TARGET. Never replaces anything: an existing LINK
# fails the test. Tests that share a LINK must serialise themselves (flock).
system_symlink() {
	ln -sT "$1" "$2" 2>/dev/null ||
		fail "cannot create the symlink $2 -> $1 (it exists: $(ls -ld "$2" 2>&1)); this test never replaces a file it did not create"
	on_cleanup _remove_own_symlink "$2" "$1"
}

cleanup() {
	local rc=$? entry pid mnt p fd h
	set +e
	trap - EXIT INT TERM
	cd / # a cwd inside a mount would keep it busy
	# 1. a frozen server or daemon would stall every step below
	for pid in "${_LIB_FROZEN[@]}"; do
		kill -CONT "$pid" 2>/dev/null
	done
	_LIB_FROZEN=()
	# 2.
	for pid in "${_LIB_PIDS[@]}"; do
		stop_pid "$pid" 5
	done
	for fd in "${_LIB_FDS[@]}"; do
		exec {fd}>&-
	done
	# 3.
	for entry in "${_LIB_DAEMONS[@]}"; do
		pid=${entry%% *}
		mnt=${entry#* }
		_force_umount "$mnt"
		wait_until $((10 * ${ZKFS_WAIT_SCALE:-1})) _pid_gone "$pid" || stop_pid "$pid" 10
		wait "$pid" 2>/dev/null
	done
	for mnt in "${_LIB_MOUNTS[@]}"; do
		_force_umount "$mnt"
		for p in $(zkfs_pids_for "$mnt"); do
			wait_until 10 _pid_gone "$p" || stop_pid "$p" 10
		done
	done
	# 4. A daemon built with ASan/UBSan reports into its log: any report fails
	# the test, even one from a daemon that ended in this cleanup.
	for p in "$TEST_DIR"/zkfs.*.log; do
		[ -s "$p" ] || continue
		if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$p"; then
			printf '[%s] FAIL: a sanitizer report in %s\n' "$TEST_NAME" "$p" >&2
			rc=1
		fi
	done
	# A daemon run under valgrind (ZKFS_WRAPPER) writes its own log: errors
	# (leaks of the kinds the wrapper counts as errors included) fail the
	# test, and so does a log without its final summary (killed early).
	for p in "$TEST_DIR"/valgrind.*.log; do
		[ -f "$p" ] || continue
		if grep -Eq '== ERROR SUMMARY: [1-9]' "$p" || ! grep -q '== ERROR SUMMARY:' "$p"; then
			printf '[%s] FAIL: valgrind reports errors (or no summary) in %s\n' "$TEST_NAME" "$p" >&2
			cat "$p" >&2
			rc=1
		fi
	done
	if [ "$rc" != 0 ]; then
		for p in "$TEST_DIR"/zkfs.*.log; do
			[ -s "$p" ] || continue
			printf -- '----- %s (last 60 lines) -----\n' "$p" >&2
			tail -n 60 "$p" >&2
		done
	fi
	# 5.
	for ((h = ${#_LIB_HOOKS[@]} - 1; h >= 0; h--)); do
		# shellcheck disable=SC2030 # CLEANUP_RC is for the hook alone
		(CLEANUP_RC=$rc && eval "${_LIB_HOOKS[h]}") || {
			printf '[%s] FAIL: cleanup step failed: %s\n' "$TEST_NAME" "${_LIB_HOOKS[h]}" >&2
			rc=1
		}
	done
	# 6.
	if awk -v d="$TEST_DIR/" 'index($2, d) == 1 { f = 1 } END { exit !f }' /proc/mounts; then
		info "mounts remain under $TEST_DIR; not removing it"
	elif [ "${KEEP_TMP:-0}" = 1 ]; then
		info "kept $TEST_DIR"
	else
		rm -rf --one-file-system "$TEST_DIR"
	fi
	if [ "$rc" = 0 ]; then
		info "PASS"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- modules
# shellcheck source=zkserver.sh
source "$(dirname "${BASH_SOURCE[0]}")/zkserver.sh"
# shellcheck source=faults.sh
source "$(dirname "${BASH_SOURCE[0]}")/faults.sh"
