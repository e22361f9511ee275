#!/bin/bash
# What everyday tools do to a whole mount (README, docs/SEMANTICS.md): list
# it, search it, copy it, mount it, move files between mounts.
#
#   6  A znode whose ACL denies READ is listed like any other name (ls, ls -l,
#      find succeed, in the root and in a subdirectory); reading it fails with
#      EACCES, and the other files read fine.
#   8  Walking the whole mount finishes: grep -r (8a) and cp -a MNT/. DEST
#      (8b) do not hang on the .events stream; .state still reads, and
#      .events read by name is still a stream that blocks (8c, a guard).
#   9  Mounting again on a mount point zkfs already holds is refused at once,
#      with a message naming it: 9a -f with the same source, 9b -f with
#      another source, 9c the daemon mode (no -f).
#   10 Copying and moving a file from one mount to another (two base paths of
#      one server) with the tools' attribute preservation is quiet, succeeds
#      and moves the data: 10a cp -a (quiet today: cp -a keeps xattr errors to
#      itself; a guard), 10b mv, 10c cp --preserve=all.
#
# ONLY=ID[,ID...] runs some sections alone (see userlib.sh): ONLY=9c.
# Each section has its own base path and mount; every result is checked in
# ZooKeeper (zkctl, the ground truth) and through the mount.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/userlib.sh"
export LC_ALL=C # the messages of coreutils, as errno_msg gives them

for tool in ls find grep cp mv; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is absent"
done

zk_start

# ---------------------------------------------------------------- 6. unreadable znodes

if section 6 "a znode without READ permission is listed; reading it is EACCES"; then
	zkctl create /u6
	zkctl create /u6/a.conf $'plain\n'
	zkctl create /u6/secret.conf $'s3cret\n'
	zkctl create /u6/sub
	zkctl create /u6/sub/b.conf $'bee\n'
	zkctl create /u6/sub/hidden.conf $'h1dden\n'
	zkctl setacl /u6/secret.conf cdwa
	zkctl setacl /u6/sub/hidden.conf cdwa
	assert_eq world:anyone:wcda "$(zkctl acl /u6/secret.conf)" "6: ACL of /u6/secret.conf (the setup: no READ)"
	assert_eq world:anyone:wcda "$(zkctl acl /u6/sub/hidden.conf)" "6: ACL of /u6/sub/hidden.conf (the setup: no READ)"
	MNT=$TEST_DIR/mnt6
	zkfs_mount "zookeeper://$ZK_HOSTPORT/u6" "$MNT"

	tool_ok "6: ls of the mount root, which holds a znode without READ" 20 ls "$MNT"
	for n in a.conf secret.conf sub; do
		grep -qxF "$n" "$TOOL_OUT" || fail "6: ls of the mount root does not list $n (expected a.conf secret.conf sub): $(paste -sd' ' "$TOOL_OUT")"
	done
	tool_ok "6: ls -l of the mount root, which holds a znode without READ" 20 ls -l "$MNT"
	for n in a.conf secret.conf sub; do
		grep -q " $n\$" "$TOOL_OUT" || fail "6: ls -l of the mount root does not list $n: $(paste -sd'|' "$TOOL_OUT")"
	done
	tool_ok "6: ls -l of sub, which holds a znode without READ" 20 ls -l "$MNT/sub"
	for n in b.conf hidden.conf; do
		grep -q " $n\$" "$TOOL_OUT" || fail "6: ls -l of sub does not list $n: $(paste -sd'|' "$TOOL_OUT")"
	done
	tool_ok "6: find of the mount" 20 find "$MNT"
	for n in a.conf secret.conf sub sub/b.conf sub/hidden.conf; do
		grep -qxF "$MNT/$n" "$TOOL_OUT" || fail "6: find of the mount does not list $n: $(sed "s|^$MNT|.|" "$TOOL_OUT" | paste -sd' ' -)"
	done
	expect_errno EACCES "6: cat secret.conf (a znode without READ)" cat "$MNT/secret.conf"
	expect_errno EACCES "6: cat sub/hidden.conf (a znode without READ)" cat "$MNT/sub/hidden.conf"
	assert_file_content "$MNT/a.conf" $'plain\n' "6: a.conf next to secret.conf"
	assert_file_content "$MNT/sub/b.conf" $'bee\n' "6: sub/b.conf next to sub/hidden.conf"
	zkfs_umount "$MNT"
fi

# ---------------------------------------------------------------- 8. walking the whole mount

if group 8; then
	zkctl create /u8
	zkctl create /u8/a.conf $'needle = 1\n'
	zkctl create /u8/b.conf $'hay = 2\n'
	zkctl create /u8/sub
	zkctl create /u8/sub/c.conf $'needle = 3\n'
	MNT8=$TEST_DIR/mnt8
	zkfs_mount "zookeeper://$ZK_HOSTPORT/u8" "$MNT8"
fi

if section 8a "grep -r over the mount root finishes"; then
	run_tool 20 grep -r needle "$MNT8"
	[ "$TOOL_RC" != 124 ] ||
		fail "8a: expected 'grep -r needle MNT' to finish, but it was still running after 20 s (killed); it printed: $(paste -sd'|' "$TOOL_OUT")"
	[ "$TOOL_RC" = 0 ] || fail "8a: grep -r needle MNT exited $TOOL_RC (expected 0: matches, no error): $(_show "$(cat "$TOOL_ERR")")"
	assert_eq "$MNT8/a.conf:needle = 1|$MNT8/sub/c.conf:needle = 3" "$(sort "$TOOL_OUT" | paste -sd'|' -)" "8a: what grep -r needle MNT prints"
fi

if section 8b "cp -a MNT/. DEST of the mount root finishes and copies the files"; then
	DEST=$TEST_DIR/dest8
	run_tool 20 cp -a "$MNT8/." "$DEST"
	[ "$TOOL_RC" != 124 ] ||
		fail "8b: expected 'cp -a MNT/. DEST' to finish, but it was still running after 20 s (killed); it copied: $(cd "$DEST" 2>/dev/null && find . | sort | paste -sd' ' -)"
	[ "$TOOL_RC" = 0 ] || fail "8b: cp -a MNT/. DEST exited $TOOL_RC (expected 0): $(_show "$(cat "$TOOL_ERR")")"
	assert_file_content "$DEST/a.conf" $'needle = 1\n' "8b: the copy of a.conf"
	assert_file_content "$DEST/b.conf" $'hay = 2\n' "8b: the copy of b.conf"
	assert_file_content "$DEST/sub/c.conf" $'needle = 3\n' "8b: the copy of sub/c.conf"
fi

if section 8c ".state reads and .events by name is still a blocking stream (a guard: passes today)"; then
	assert_file_content "$MNT8/.state" $'CONNECTED\n' "8c: cat .state"
	[ -e "$MNT8/.events" ] || fail "8c: $MNT8/.events is not reachable by name (stat fails)"
	run_tool 1 cat "$MNT8/.events"
	assert_eq 124 "$TOOL_RC" "8c: exit status of 'timeout 1 cat MNT/.events' (124: still blocked in its read, a stream with no transition to give)"
fi

if group 8; then
	zkfs_umount "$MNT8"
fi

# ---------------------------------------------------------------- 9. mounting twice

# zkfs_mounts_on MNT: how many fuse.zkfs mounts /proc/mounts has on MNT.
zkfs_mounts_on() { awk -v m="$1" '$2 == m && $3 == "fuse.zkfs"' /proc/mounts | wc -l; }

# second_mount TAG MNT ARGS...: run "$ZKFS_BIN" ARGS (a second mount on MNT,
# which zkfs holds already): it must exit non-zero within 20 s, say on stderr
# that MNT is already mounted, and leave exactly one zkfs mount on MNT, the
# first one, working.
second_mount() {
	local tag=$1 mnt=$2 pid rc=0 n err
	shift 2
	track_mount "$mnt" # a second daemon that stacks must go at cleanup too
	"$ZKFS_BIN" "$@" </dev/null >"$TEST_DIR/second.$tag.out" 2>"$TEST_DIR/second.$tag.err" &
	pid=$!
	track_pid "$pid"
	if ! wait_until 20 _pid_gone "$pid"; then
		n=$(zkfs_mounts_on "$mnt")
		stop_pid "$pid"
		fail "$tag: expected 'zkfs $*' on the mount point zkfs already holds to exit non-zero at once, but it was still running after 20 s, with $n fuse.zkfs mounts on $mnt (expected 1)"
	fi
	wait "$pid" || rc=$?
	err=$(cat "$TEST_DIR/second.$tag.err")
	[ "$rc" != 0 ] ||
		fail "$tag: expected 'zkfs $*' on the mount point zkfs already holds to exit non-zero, but it exited 0, with $(zkfs_mounts_on "$mnt") fuse.zkfs mounts on $mnt now (expected 1; stderr: '$(_show "$err")')"
	if [[ "$err" != *"$mnt"* ]] || ! grep -qi 'already mounted' <<<"$err"; then
		fail "$tag: expected a message on stderr naming $mnt and saying it is already mounted; got (exit $rc): '$(_show "$err")'"
	fi
	assert_eq 1 "$(zkfs_mounts_on "$mnt")" "$tag: number of fuse.zkfs mounts on $mnt in /proc/mounts after the refused second mount"
	_pid_alive "$ZKFS_PID" || fail "$tag: the first zkfs daemon (PID $ZKFS_PID) is gone"
	assert_file_content "$mnt/.state" $'CONNECTED\n' "$tag: .state of the first mount"
	assert_file_content "$mnt/a.conf" $'first\n' "$tag: a.conf through the first mount (its source, /u9)"
	sh_ok "$tag: echo > w.conf through the first mount" 'echo "$2" >"$1"' "$mnt/w.conf" "$tag"
	assert_zk_content /u9/w.conf "$tag"$'\n' "$tag: /u9/w.conf written through the first mount"
}

if group 9; then
	zkctl create /u9
	zkctl create /u9/a.conf $'first\n'
	zkctl create /u9other
	zkctl create /u9other/a.conf $'other\n'
	MNT9=$TEST_DIR/mnt9
	zkfs_mount "zookeeper://$ZK_HOSTPORT/u9" "$MNT9"
	assert_eq 1 "$(zkfs_mounts_on "$MNT9")" "9: fuse.zkfs mounts on $MNT9 after the first mount"
fi

if section 9a "zkfs -f with the same source"; then
	second_mount 9a "$MNT9" -f "zookeeper://$ZK_HOSTPORT/u9" "$MNT9" -o "config=$EMPTY_CONF"
fi

if section 9b "zkfs -f with another source"; then
	second_mount 9b "$MNT9" -f "zookeeper://$ZK_HOSTPORT/u9other" "$MNT9" -o "config=$EMPTY_CONF"
fi

if section 9c "zkfs in daemon mode (no -f) with the same source"; then
	second_mount 9c "$MNT9" "zookeeper://$ZK_HOSTPORT/u9" "$MNT9" -o "config=$EMPTY_CONF"
fi

if group 9; then
	zkfs_umount "$MNT9"
	assert_eq 0 "$(zkfs_mounts_on "$MNT9")" "9: fuse.zkfs mounts on $MNT9 after unmounting the first"
fi

# ---------------------------------------------------------------- 10. between two mounts

if group 10; then
	zkctl create /u10a
	zkctl create /u10a/f.conf $'f = 1\n'
	zkctl create /u10a/g.conf $'g = 2\n'
	zkctl create /u10a/h.conf $'h = 3\n'
	zkctl create /u10b
	MNTA=$TEST_DIR/mnt10a
	MNTB=$TEST_DIR/mnt10b
	zkfs_mount "zookeeper://$ZK_HOSTPORT/u10a" "$MNTA"
	zkfs_mount "zookeeper://$ZK_HOSTPORT/u10b" "$MNTB"
fi

# quiet_ok TAG CMD...: CMD exits 0 within 20 s and prints nothing on stderr.
quiet_ok() {
	local tag=$1
	shift
	run_tool 20 "$@"
	[ "$TOOL_RC" != 124 ] || fail "$tag: '$*' did not finish within 20 s"
	[ ! -s "$TOOL_ERR" ] ||
		fail "$tag: expected '$*' to print nothing on stderr, but it printed $(wc -l <"$TOOL_ERR") line(s) (exit $TOOL_RC), e.g. '$(head -n 2 "$TOOL_ERR" | paste -sd'|' -)'"
	[ "$TOOL_RC" = 0 ] || fail "$tag: expected '$*' to exit 0, got $TOOL_RC"
}

if section 10a "cp -a MNT1/f.conf MNT2/ (a guard: quiet today with coreutils 9.1)"; then
	quiet_ok 10a cp -a "$MNTA/f.conf" "$MNTB/"
	assert_zk_content /u10b/f.conf $'f = 1\n' "10a: /u10b/f.conf after cp -a"
	assert_zk_content /u10a/f.conf $'f = 1\n' "10a: /u10a/f.conf after cp -a (the source stays)"
	assert_file_content "$MNTB/f.conf" $'f = 1\n' "10a: f.conf through the destination mount"
fi

if section 10b "mv MNT1/g.conf MNT2/"; then
	quiet_ok 10b mv "$MNTA/g.conf" "$MNTB/"
	assert_zk_content /u10b/g.conf $'g = 2\n' "10b: /u10b/g.conf after mv"
	assert_zk_absent /u10a/g.conf "10b: /u10a/g.conf after mv (the source goes)"
	[ ! -e "$MNTA/g.conf" ] || fail "10b: $MNTA/g.conf still exists in the source mount after mv"
	assert_file_content "$MNTB/g.conf" $'g = 2\n' "10b: g.conf through the destination mount"
fi

if section 10c "cp --preserve=all MNT1/h.conf MNT2/"; then
	quiet_ok 10c cp --preserve=all "$MNTA/h.conf" "$MNTB/"
	assert_zk_content /u10b/h.conf $'h = 3\n' "10c: /u10b/h.conf after cp --preserve=all"
	assert_file_content "$MNTB/h.conf" $'h = 3\n' "10c: h.conf through the destination mount"
fi

if group 10; then
	zkfs_umount "$MNTB"
	zkfs_umount "$MNTA"
fi

sections_done
