#!/bin/bash
# SPEC §8 and §9: digest credentials from -o auth_file (refused when others may
# read the file, never logged), ZNOAUTH as EACCES, the ACL of created znodes
# (-o acl=, creator by default with credentials), allow_other implying
# default_permissions, and READY=1 to $NOTIFY_SOCKET once the mount is live.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

zk_start
SECRET=pw-$RANDOM$RANDOM
zkctl mkpath /base
zkctl create /base/open.conf "for everyone"
# alice's node: the creator's ACL (digest:alice:<hash>:cdrwa)
zkctl -a "digest:alice:$SECRET" create /base/alice.conf "alice only"
# (reading an ACL needs READ or ADMIN on the node: alice's session)
zalice() { zkctl -a "digest:alice:$SECRET" "$@"; }
zalice acl /base/alice.conf | grep -q '^digest:alice:' ||
	fail "setup: /base/alice.conf has no digest ACL: $(zalice acl /base/alice.conf 2>&1)"
! zkctl get /base/alice.conf 2>/dev/null || fail "setup: an anonymous session reads alice's node"

CREDS=$TEST_DIR/creds
printf '# zkfs test credentials\ndigest:alice:%s\n' "$SECRET" >"$CREDS"
chmod 600 "$CREDS"

# ---------------------------------------------------------------- without credentials
info "without credentials: a node with a digest ACL is EACCES, the others read"
M=$TEST_DIR/anon
zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$M"
assert_file_content "$M/open.conf" "for everyone"
expect_fail "Permission denied" "cat of alice's node without credentials" cat "$M/alice.conf"
grep -q "/base/alice.conf.*ZNOAUTH" "$ZKFS_LOG" ||
	fail "the log does not name /base/alice.conf with ZNOAUTH: $(cat "$ZKFS_LOG")"
zkfs_umount "$M"

# ---------------------------------------------------------------- with credentials
info "with credentials: alice's node reads and writes; new znodes get the creator's ACL"
M=$TEST_DIR/alice
zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$M" -o "auth_file=$CREDS"
assert_file_content "$M/alice.conf" "alice only"
echo "changed by alice" >"$M/alice.conf"
assert_eq "changed by alice" "$(zalice get /base/alice.conf)" "alice's node after the write"
echo new >"$M/made.conf"
wait_until 10 eval 'zalice exists /base/made.conf' || fail "made.conf never reached ZooKeeper"
assert_eq new "$(zalice get /base/made.conf)" "made.conf in ZooKeeper"
! zkctl get /base/made.conf 2>/dev/null || fail "an anonymous session reads a znode made with credentials"
acl=$(zalice acl /base/made.conf)
[[ "$acl" == digest:alice:*:rwcda ]] ||
	fail "a znode made with credentials should have alice's creator ACL, has: $acl"
mkdir "$M/dir.d"
[[ "$(zalice acl /base/dir.d)" == digest:alice:* ]] || fail "mkdir: ACL $(zalice acl /base/dir.d)"
! grep -q "$SECRET" "$ZKFS_LOG" || fail "the secret appears in the daemon's log"
! grep -q "$SECRET" "/proc/$ZKFS_PID/cmdline" || fail "the secret appears in argv"
zkfs_umount "$M"

# -o acl=open with credentials: world-readable new znodes
M=$TEST_DIR/open
zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$M" -o "auth_file=$CREDS,acl=open"
echo x >"$M/world.conf"
await_zk_content /base/world.conf "x
"
assert_eq "world:anyone:rwcda" "$(zkctl acl /base/world.conf)" "ACL with acl=open"
zkfs_umount "$M"

# ---------------------------------------------------------------- refusals
info "refused: a credentials file others may read, acl=creator without one, a bad acl"
M=$TEST_DIR/refused
mkdir -p "$M"
chmod 644 "$CREDS"
rc=0
out=$(timeout 20 "$ZKFS_BIN" -o "config=$EMPTY_CONF,auth_file=$CREDS" \
	"zookeeper://$ZK_HOSTPORT/base" "$M" 2>&1) || rc=$?
assert_eq 1 "$rc" "exit status with a group/world-readable auth_file"
[[ "$out" == *"$CREDS"*refused* ]] || fail "message for a readable auth_file: $out"
[[ "$out" != *"$SECRET"* ]] || fail "the message shows the secret: $out"
! is_mounted "$M" || fail "$M is mounted although the auth_file was refused"
chmod 600 "$CREDS"
rc=0
out=$(timeout 20 "$ZKFS_BIN" -o "config=$EMPTY_CONF,acl=creator" \
	"zookeeper://$ZK_HOSTPORT/base" "$M" 2>&1) || rc=$?
assert_eq 1 "$rc" "exit status of acl=creator without auth_file"
[[ "$out" == *"acl=creator needs credentials"* ]] || fail "message: $out"
rc=0
out=$(timeout 20 "$ZKFS_BIN" -o "config=$EMPTY_CONF,acl=everyone" \
	"zookeeper://$ZK_HOSTPORT/base" "$M" 2>&1) || rc=$?
assert_eq 1 "$rc" "exit status of acl=everyone"
[[ "$out" == *"acl=everyone: must be open, creator or read"* ]] || fail "message: $out"

# ---------------------------------------------------------------- allow_other
info "allow_other adds default_permissions: the kernel checks the modes shown"
M=$TEST_DIR/other
chmod 755 "$TEST_DIR"   # so that nobody can reach the mount point (creds stays 0600)
zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$M" -o allow_other
opts=$(awk -v m="$M" '$2 == m { print $4 }' /proc/mounts)
[[ ",$opts," == *,default_permissions,* && ",$opts," == *,allow_other,* ]] ||
	fail "mount options with allow_other: $opts"
# nobody may read (0644) but not write (owner root)
setpriv --reuid=65534 --regid=65534 --clear-groups cat "$M/open.conf" >/dev/null ||
	fail "user nobody cannot read a 0644 file with allow_other"
expect_fail "Permission denied" "user nobody writing a 0644 file of root" \
	setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "echo x > '$M/open.conf'"
assert_zk_content /base/open.conf "for everyone"
zkfs_umount "$M"

# ---------------------------------------------------------------- READY=1
info "READY=1 reaches \$NOTIFY_SOCKET once the mount is live (daemon mode)"
M=$TEST_DIR/notify
mkdir -p "$M"
track_mount "$M"
SOCK=$TEST_DIR/notify.sock
socat -u "UNIX-RECV:$SOCK" "OPEN:$TEST_DIR/notified,creat,append" &
track_pid $!
wait_until 10 test -S "$SOCK" || fail "socat did not create $SOCK"
NOTIFY_SOCKET=$SOCK "$ZKFS_BIN" -o "config=$EMPTY_CONF" "zookeeper://$ZK_HOSTPORT/base" "$M" ||
	fail "zkfs in daemon mode with NOTIFY_SOCKET failed"
wait_until 10 grep -q "READY=1" "$TEST_DIR/notified" ||
	fail "no READY=1 on the socket: $(cat "$TEST_DIR/notified" 2>/dev/null)"
assert_eq CONNECTED "$(cat "$M/.state")" ".state when READY=1 was sent"
pid=$(zkfs_pids_for "$M")
umount "$M"
wait_until 20 _pid_gone "$pid" || fail "the daemon (PID $pid) did not end after umount"
