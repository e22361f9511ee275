#!/bin/bash
# SPEC §1 (the mount forms) and issue 4 items 2-3: real mounts through mount(8).
#   mount -t zkfs SOURCE DIR -o ...     /sbin/mount.zkfs (the built helper)
#   mount -t fuse.zkfs SOURCE DIR -o ...  fuse3's /sbin/mount.fuse, which runs
#                                       "zkfs" from PATH
#   mount -T FSTAB DIR                  an fstab line of type zkfs / fuse.zkfs
# Each mount is live when mount(8) returns (.state reads CONNECTED at once), a
# file reads as zkctl sees it, /proc/mounts shows type fuse.zkfs with the
# source as device, zkfs got the options it should, and umount ends the
# daemon. mount -f runs nothing. Failures (closed port, ro with a missing base
# path, a bad URL, an unknown option) make mount(8) exit with zkfs's status 1
# and message, in about -o timeout= seconds, and leave no mount and no daemon.
#
# What it installs, for its duration only, as symlinks to symlinks in its temp
# dir, never replacing an existing file (the EXIT trap removes them):
#   /sbin/mount.zkfs -> $TEST_DIR/sbin/mount.zkfs -> the built helper
#     (mount(8) looks for helpers in /sbin only); the helper runs $ZKFS_BIN,
#     its test override, which mount(8) passes on with root's environment;
#   /usr/local/bin/zkfs -> $TEST_DIR/bin/zkfs -> $ZKFS_BIN
#     (mount(8) resets PATH to /usr/local/sbin:/usr/local/bin:/usr/sbin:
#     /usr/bin:/sbin:/bin for its helpers, and mount.fuse runs "zkfs" through
#     /bin/sh -c with it; /usr/local/sbin/zkfs, which would come first, must
#     not exist). Every daemon is checked to be $ZKFS_BIN (/proc/PID/exe).
#
# Concurrent runs (two build dirs, two engineers, build/test and
# build/sanitize): those two names are machine-wide, so the whole test runs
# under an exclusive flock on /run/lock/zkfs-test-mount.lock, waiting up to
# 240 s for another run. flock -o keeps the lock in the flock process only: no
# ZooKeeper or zkfs daemon started here inherits it, so a leaked process cannot
# hold it, and a killed run releases it. A link left by a killed run (it
# points into a zkfs-test_mount.* temp dir, and no run holds the lock) is
# removed first. Everything else is per run: temp dir, ports.
set -euo pipefail

LOCK=/run/lock/zkfs-test-mount.lock
if [ "${_ZKFS_TEST_MOUNT_LOCKED:-}" != 1 ]; then
	rc=0
	_ZKFS_TEST_MOUNT_LOCKED=1 flock -o -w 240 -E 75 "$LOCK" "$BASH" "$0" "$@" || rc=$?
	[ "$rc" != 75 ] || echo "[test_mount] FAIL: another test_mount held $LOCK for 240 s" >&2
	exit "$rc"
fi
source "$(dirname "$0")/lib.sh"

unset ASAB_ZOOKEEPER_SERVERS
[ -n "${MOUNT_ZKFS:-}" ] && [ -x "$MOUNT_ZKFS" ] ||
	fail "MOUNT_ZKFS is not set to the built, executable mount-helper/mount.zkfs (got '${MOUNT_ZKFS:-}')"
command -v mount >/dev/null && command -v umount >/dev/null || fail "mount/umount not found (package mount)"
[ -x /sbin/mount.fuse ] || fail "/sbin/mount.fuse is absent (package fuse3): mount -t fuse.zkfs needs it"
[ ! -e /sbin/mount.fuse.zkfs ] ||
	fail "/sbin/mount.fuse.zkfs exists ($(ls -ld /sbin/mount.fuse.zkfs)): mount -t fuse.zkfs would not go through mount.fuse"
export ZKFS_BIN

# A sanitizer build's daemon reports after it has detached from stderr:
# have the reports written to files, and fail on any (checked at the end).
# (Harmless for a build without sanitizers.)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TEST_DIR/sanitizer"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$TEST_DIR/sanitizer"
_sanitizer_reports() {
	local f bad=0
	for f in "$TEST_DIR"/sanitizer.*; do
		[ -s "$f" ] || continue
		printf -- '----- %s -----\n' "$f" >&2
		head -n 60 "$f" >&2
		bad=1
	done
	return "$bad"
}
on_cleanup _sanitizer_reports

# ---------------------------------------------------------------- the helper where mount(8) looks

# install_link TARGET LINK: LINK -> TARGET for the test's duration (see above)
install_link() {
	local target=$1 link=$2 old
	if [ -L "$link" ]; then
		old=$(readlink "$link")
		case $old in
		*/zkfs-test_mount.*/"${target#"$TEST_DIR"/}")
			info "removing $link -> $old, left by a test_mount that was killed (we hold $LOCK)"
			rm -f "$link"
			;;
		esac
	fi
	system_symlink "$target" "$link"
}
mkdir -p "$TEST_DIR/sbin" "$TEST_DIR/bin"
ln -s "$MOUNT_ZKFS" "$TEST_DIR/sbin/mount.zkfs"
ln -s "$ZKFS_BIN" "$TEST_DIR/bin/zkfs"
[ -d /usr/local/bin ] || fail "/usr/local/bin does not exist"
[ ! -e /usr/local/sbin/zkfs ] ||
	fail "/usr/local/sbin/zkfs exists: it comes first in mount(8)'s PATH, so mount.fuse would run it"
install_link "$TEST_DIR/sbin/mount.zkfs" /sbin/mount.zkfs
install_link "$TEST_DIR/bin/zkfs" /usr/local/bin/zkfs

# ---------------------------------------------------------------- ZooKeeper

zk_start
zkctl mkpath /app/dir
zkctl create /app/a.conf "port = 8080
"
zkctl create /app/dir/b.conf "b data"
SRC=zookeeper://$ZK_HOSTPORT/app
GOODCONF=$TEST_DIR/good.conf
printf '[zookeeper]\nservers=%s\npath=/app\n' "$ZK_HOSTPORT" >"$GOODCONF"

# run_mount TAG CMD...: run CMD (mount(8) or umount(8)), bounded to 60 s;
# sets RC, OUT, ERR and MS (milliseconds it took)
run_mount() {
	local tag=$1 t0 t1
	shift
	RC=0
	t0=$(_now_ms)
	timeout 60 "$@" </dev/null >"$TEST_DIR/$tag.out" 2>"$TEST_DIR/$tag.err" || RC=$?
	t1=$(_now_ms)
	MS=$((t1 - t0))
	OUT=$(cat "$TEST_DIR/$tag.out")
	ERR=$(cat "$TEST_DIR/$tag.err")
}

# mount_line MNT: "DEVICE TYPE" of MNT in /proc/mounts
mount_line() { awk -v m="$1" '$2 == m { print $1, $3 }' /proc/mounts; }

# check_live WHAT MNT DEVICE ZNODE FILE: mount(8) just returned 0 for MNT
# (RC/ERR from run_mount). Sets DAEMON_PID and DAEMON_OPTS (zkfs's -o
# options, sorted, one a line).
check_live() {
	local what=$1 mnt=$2 dev=$3 znode=$4 file=$5 state argv=()
	[ "$RC" = 0 ] || fail "$what: mount exited $RC: $ERR"
	state=$(timeout 5 cat "$mnt/.state" 2>&1) || true
	assert_eq CONNECTED "$state" "$what: .state read as soon as mount returned"
	assert_eq "$dev fuse.zkfs" "$(mount_line "$mnt")" "$what: device and type in /proc/mounts"
	timeout 10 cat "$mnt/$file" >"$TEST_DIR/got" || fail "$what: cat $mnt/$file failed"
	assert_zk_file "$znode" "$TEST_DIR/got" "$what: $file through the mount vs zkctl get $znode"
	zkfs_daemon_of "$mnt" "$what"
	mapfile -d '' argv <"/proc/$DAEMON_PID/cmdline"
	# zkfs SOURCE DIR -o OPTS, in that order (the helper's and mount.fuse's)
	[ "${#argv[@]}" = 5 ] && [ "${argv[3]}" = -o ] ||
		fail "$what: zkfs was run as '$(printf '%q ' "${argv[@]}")', expected zkfs SOURCE DIR -o OPTS"
	assert_eq "$mnt" "${argv[2]}" "$what: zkfs's DIR argument"
	DAEMON_SRC=${argv[1]}
	DAEMON_OPTS=$(tr , '\n' <<<"${argv[4]}" | sort)
}

# opts_are WHAT OPT...: DAEMON_OPTS is exactly this set
opts_are() {
	local what=$1
	shift
	assert_eq "$(printf '%s\n' "$@" | sort)" "$DAEMON_OPTS" "$what: the options zkfs got (sorted)"
}

# umount_check WHAT MNT: umount(8) unmounts and the daemon ends
umount_check() {
	local what=$1 mnt=$2
	run_mount umount umount "$mnt"
	[ "$RC" = 0 ] || fail "$what: umount $mnt exited $RC: $ERR"
	! is_mounted "$mnt" || fail "$what: $mnt is still mounted after umount"
	wait_until 20 _pid_gone "$DAEMON_PID" ||
		fail "$what: the daemon (PID $DAEMON_PID) did not exit within 20 s of umount"
	info "ok: $what"
}

# ---------------------------------------------------------------- mount -t zkfs

newmnt
MNT1=$MNT # the mount point of the cases one after another
run_mount zkfs1 mount -t zkfs "$SRC" "$MNT" \
	-o "config=$EMPTY_CONF,_netdev,nofail,x-systemd.automount,comment=foo,uid=5"
check_live "mount -t zkfs" "$MNT" "$SRC" /app/a.conf a.conf
assert_eq "$SRC" "$DAEMON_SRC" "mount -t zkfs: zkfs's SOURCE argument"
# mount(8) adds rw; the helper drops _netdev, nofail (x-*, comment= never reach it)
opts_are "mount -t zkfs" rw "config=$EMPTY_CONF" uid=5
assert_eq 5 "$(stat -c %u "$MNT/a.conf")" "mount -t zkfs: the owner (-o uid=5)"
[ "$(readlink "/proc/$DAEMON_PID/exe")" = "$(realpath "$ZKFS_BIN")" ] ||
	fail "mount -t zkfs: the daemon is not $ZKFS_BIN"
umount_check "mount -t zkfs, then umount" "$MNT"

# a source without servers, which mount(8) must pass on as it is
MNT=$MNT1
run_mount zkfs2 mount -t zkfs zookeeper:./dir "$MNT" -o "config=$GOODCONF"
check_live "mount -t zkfs zookeeper:./dir" "$MNT" "zookeeper://$ZK_HOSTPORT/app/dir" /app/dir/b.conf b.conf
assert_eq zookeeper:./dir "$DAEMON_SRC" "mount -t zkfs zookeeper:./dir: zkfs's SOURCE argument"
umount_check "mount -t zkfs zookeeper:./dir, then umount" "$MNT"

# ---------------------------------------------------------------- mount -t fuse.zkfs (mount.fuse)

MNT=$MNT1
run_mount fuse1 mount -t fuse.zkfs "$SRC" "$MNT" \
	-o "config=$EMPTY_CONF,_netdev,nofail,x-systemd.automount,comment=foo,uid=5"
check_live "mount -t fuse.zkfs" "$MNT" "$SRC" /app/a.conf a.conf
assert_eq "$SRC" "$DAEMON_SRC" "mount -t fuse.zkfs: zkfs's SOURCE argument"
# mount.fuse drops _netdev and nofail, adds dev,suid: proof it went that way
opts_are "mount -t fuse.zkfs" rw "config=$EMPTY_CONF" uid=5 dev suid
assert_eq 5 "$(stat -c %u "$MNT/a.conf")" "mount -t fuse.zkfs: the owner (-o uid=5)"
umount_check "mount -t fuse.zkfs, then umount" "$MNT"

# ---------------------------------------------------------------- fstab lines (mount -T)

FSTAB=$TEST_DIR/fstab
newmnt
FST_ZKFS=$MNT
newmnt
FST_FUSE=$MNT
cat >"$FSTAB" <<EOF
# test_mount's fstab
$SRC $FST_ZKFS zkfs _netdev,nofail,ro,config=$EMPTY_CONF 0 0
$SRC/dir $FST_FUSE fuse.zkfs _netdev,nofail,x-systemd.requires=zookeeper.service,config=$EMPTY_CONF 0 0
EOF

run_mount fstab1 mount -T "$FSTAB" "$FST_ZKFS"
check_live "fstab, type zkfs, ro" "$FST_ZKFS" "$SRC" /app/a.conf a.conf
opts_are "fstab, type zkfs, ro" ro "config=$EMPTY_CONF"
expect_fail "Read-only file system" "fstab ro: touch of a new file" touch "$FST_ZKFS/new.conf"
assert_zk_absent /app/new.conf "fstab ro: the refused touch"
PID_ZKFS=$DAEMON_PID

run_mount fstab2 mount -T "$FSTAB" "$FST_FUSE"
check_live "fstab, type fuse.zkfs" "$FST_FUSE" "$SRC/dir" /app/dir/b.conf b.conf
opts_are "fstab, type fuse.zkfs" rw "config=$EMPTY_CONF" dev suid
PID_FUSE=$DAEMON_PID

DAEMON_PID=$PID_ZKFS
umount_check "fstab, type zkfs: umount" "$FST_ZKFS"
DAEMON_PID=$PID_FUSE
umount_check "fstab, type fuse.zkfs: umount" "$FST_FUSE"

# ---------------------------------------------------------------- mount -f: nothing runs

MNT=$MNT1
run_mount fake mount -f -v -t zkfs "$SRC" "$MNT" -o "config=$EMPTY_CONF,_netdev"
assert_eq 0 "$RC" "mount -fv -t zkfs: exit status ($ERR)"
want="mount.zkfs: '$ZKFS_BIN' '$SRC' '$MNT' '-o' 'rw,config=$EMPTY_CONF'"
grep -qxF "$want" <<<"$OUT" || fail "mount -fv -t zkfs: the helper did not print \"$want\"; stdout: $OUT"
! is_mounted "$MNT" || fail "mount -f: $MNT is mounted"
no_zkfs_for "$MNT" || fail "mount -f: a zkfs process runs for $MNT"
info "ok: mount -f runs nothing"

# ---------------------------------------------------------------- failures: zkfs's status and message

# mount_fails WHAT MAX_MS SUBSTRING CMD...: CMD (a mount(8) command) exits 1
# (zkfs's status) within MAX_MS, with SUBSTRING on stderr, and leaves no mount
# on $MNT and no zkfs for it
mount_fails() {
	local what=$1 max=$2 sub=$3
	shift 3
	run_mount fail "$@"
	info "$what: exit $RC after $MS ms: $ERR"
	assert_eq 1 "$RC" "$what: the exit status of mount (zkfs's); stderr: $ERR"
	[[ "$ERR" == *"$sub"* ]] || fail "$what: stderr does not contain '$sub': $ERR"
	((MS <= max)) || fail "$what: mount took $MS ms to fail (at most $max expected)"
	! is_mounted "$MNT" || fail "$what: $MNT is mounted"
	wait_until 10 no_zkfs_for "$MNT" ||
		fail "$what: a zkfs process is left for $MNT: $(zkfs_pids_for "$MNT")"
	info "ok: $what"
}

CLOSED=$(free_port)
CONNECT_MSG="cannot connect to ZooKeeper at 127.0.0.1:$CLOSED within 2 s"
newmnt
mount_fails "mount -t zkfs, a closed port, timeout=2" 9000 "$CONNECT_MSG" \
	mount -t zkfs "zookeeper://127.0.0.1:$CLOSED/app" "$MNT" -o "config=$EMPTY_CONF,timeout=2,_netdev"
mount_fails "mount -t fuse.zkfs, a closed port, timeout=2" 9000 "$CONNECT_MSG" \
	mount -t fuse.zkfs "zookeeper://127.0.0.1:$CLOSED/app" "$MNT" \
	-o "config=$EMPTY_CONF,timeout=2,_netdev"
mount_fails "mount -t zkfs, ro and a missing base path" 20000 \
	"/missing/base: base path does not exist (read-only mount)" \
	mount -t zkfs "zookeeper://$ZK_HOSTPORT/missing/base" "$MNT" -o "config=$EMPTY_CONF,ro"
assert_zk_absent /missing "the refused ro mount"
mount_fails "mount -t zkfs, a bad URL" 20000 'unknown scheme "http:"' \
	mount -t zkfs http://h/x "$MNT" -o "config=$EMPTY_CONF"
mount_fails "mount -t zkfs, an unknown option" 20000 bogus \
	mount -t zkfs "$SRC" "$MNT" -o "config=$EMPTY_CONF,bogus"
mount_fails "mount -t fuse.zkfs, an unknown option" 20000 bogus \
	mount -t fuse.zkfs "$SRC" "$MNT" -o "config=$EMPTY_CONF,bogus"
printf '%s %s zkfs _netdev,nofail,ro,config=%s 0 0\n' "zookeeper://$ZK_HOSTPORT/missing/base" \
	"$MNT" "$EMPTY_CONF" >"$TEST_DIR/fstab.bad"
mount_fails "fstab, ro and a missing base path" 20000 "base path does not exist" \
	mount -T "$TEST_DIR/fstab.bad" "$MNT"
