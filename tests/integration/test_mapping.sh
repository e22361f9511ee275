#!/bin/bash
# SPEC §3 (and §6 .state, §7 ENOENT): how znodes map to files and directories,
# checked through the mount against zkctl (the ground truth).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

zk_start

# ---- a sample tree under /base
zkctl create /base
zkctl create /base/file.txt "some data"                 # data -> file
zkctl set /base/file.txt "some data, version 1"
zkctl set /base/file.txt "some data, version 2"         # version 2
zkctl create /base/plainname "value without extension"  # data, no extension -> file
zkctl create /base/app.conf                             # empty, extension -> file
zkctl create /base/locks                                # empty, no extension -> dir
zkctl create /base/x.d                                  # empty, ends in .d -> dir
zkctl create /base/.hidden                              # dot only first -> dir
zkctl create /base/.hidden.conf                         # a dot after the first char -> file
zkctl create-null /base/nullnode                        # NULL like empty -> dir
zkctl create-null /base/null.conf                       # NULL like empty -> file
zkctl create /base/withkids.conf                        # children win over the extension
zkctl create /base/withkids.conf/child "child data"
zkctl create /base/dirdata "the directory's own data"  # dir with data
zkctl create /base/dirdata/kid "k"
zkctl create /base/dirnodata                            # dir without data
zkctl create /base/dirnodata/kid "k"
zkctl create /base/big600k
zkctl create /base/big1m
head -c 600000 /dev/urandom >"$TEST_DIR/v600k"
head -c 1000000 /dev/urandom >"$TEST_DIR/v1m"
zkctl set-file /base/big600k "$TEST_DIR/v600k"
zkctl set-file /base/big1m "$TEST_DIR/v1m"
zk_hold_ephemeral /base/eph "ephemeral data"            # ephemeral -> file
zk_hold_ephemeral /base/ephempty                        # ephemeral, empty, no ext -> file

MNT=$TEST_DIR/mnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$MNT"

# ---- types
assert_eq dir "$(ftype "$MNT")" "type of the mount root (the base path)"
for n in file.txt plainname app.conf .hidden.conf null.conf eph ephempty big600k big1m; do
	assert_eq file "$(ftype "$MNT/$n")" "type of $n"
done
for n in locks x.d .hidden nullnode withkids.conf dirdata dirnodata; do
	assert_eq dir "$(ftype "$MNT/$n")" "type of $n"
done
assert_eq file "$(ftype "$MNT/withkids.conf/child")" "type of withkids.conf/child"

# ---- content
assert_file_content "$MNT/file.txt" "some data, version 2"
assert_file_content "$MNT/plainname" "value without extension"
assert_file_content "$MNT/app.conf" ""
assert_file_content "$MNT/null.conf" ""
assert_file_content "$MNT/eph" "ephemeral data"
assert_file_content "$MNT/ephempty" ""
assert_file_content "$MNT/withkids.conf/child" "child data"
cmp "$TEST_DIR/v600k" "$MNT/big600k" || fail "big600k: the 600,000-byte value did not read back byte for byte"
cmp "$TEST_DIR/v1m" "$MNT/big1m" || fail "big1m: the 1,000,000-byte value did not read back byte for byte"
# the same through a small-block reader (many read() calls at offsets)
dd if="$MNT/big1m" bs=4096 status=none | cmp - "$TEST_DIR/v1m" ||
	fail "big1m read with 4 KiB blocks differs from the value"

# ---- a directory's own data: .data
ls_a() { (cd "$1" && LC_ALL=C ls -a); }
assert_eq "$(printf '.\n..\n.data\nkid')" "$(ls_a "$MNT/dirdata")" "ls -a of a directory with data"
assert_file_content "$MNT/dirdata/.data" "the directory's own data" "dirdata/.data"
assert_eq "$(printf '.\n..\nkid')" "$(ls_a "$MNT/dirnodata")" "ls -a of a directory without data (no .data listed)"
assert_file_content "$MNT/dirnodata/.data" "" "dirnodata/.data (reachable by name, empty)"
assert_eq "$(printf '.\n..')" "$(ls_a "$MNT/locks")" "ls -a of an empty directory"
assert_file_content "$MNT/.data" "" "the root's .data (base path without data)"
assert_eq "$(zkstat /base/dirdata dataLength)" "$(stat -c %s "$MNT/dirdata/.data")" "size of dirdata/.data"

# ---- the root listing: every child of /base, plus the virtual files
listing=$(ls_a "$MNT")
grep -qxF .state <<<"$listing" || fail "ls -a of the root does not list .state: $listing"
if grep -qxF .data <<<"$listing"; then
	fail "ls -a of the root lists .data although /base has no data"
fi
expected=$(zkctl ls /base)
got=$(grep -vxF -e . -e .. -e .state -e .events <<<"$listing")
assert_eq "$expected" "$got" "ls -a of the root (without . .. .state .events) vs zkctl ls /base"

# ---- .state
assert_file_content "$MNT/.state" $'CONNECTED\n' ".state"

# ---- attributes: size = dataLength, mtime = znode mtime, modes, owner, nlink
for n in file.txt plainname app.conf null.conf eph ephempty big600k big1m withkids.conf/child; do
	assert_eq "$(zkstat "/base/$n" dataLength)" "$(stat -c %s "$MNT/$n")" "size of $n (dataLength)"
done
for n in file.txt app.conf eph big1m locks dirdata withkids.conf nullnode; do
	ms=$(zkstat "/base/$n" mtime)
	assert_eq "$((ms / 1000))" "$(stat -c %Y "$MNT/$n")" "mtime of $n (znode mtime $ms ms)"
	assert_eq "$((ms / 1000))" "$(stat -c %Z "$MNT/$n")" "ctime of $n (znode mtime $ms ms)"
done
for n in file.txt plainname app.conf .hidden.conf null.conf eph ephempty big1m dirdata/.data; do
	assert_eq 644 "$(stat -c %a "$MNT/$n")" "mode of file $n"
	assert_eq 1 "$(stat -c %h "$MNT/$n")" "nlink of file $n"
done
for n in "" locks x.d .hidden nullnode withkids.conf dirdata dirnodata; do
	assert_eq 755 "$(stat -c %a "$MNT/$n")" "mode of directory '${n:-/}'"
	assert_eq 1 "$(stat -c %h "$MNT/$n")" "nlink of directory '${n:-/}'"
done
assert_eq "$(id -u):$(id -g)" "$(stat -c %u:%g "$MNT/file.txt")" "owner of file.txt (the mounting user)"
assert_eq "$(id -u):$(id -g)" "$(stat -c %u:%g "$MNT/locks")" "owner of locks (the mounting user)"

# ---- statfs answers
df "$MNT" >/dev/null || fail "df $MNT failed (statfs must answer)"

# ---- extended attributes equal the znode's stat (numeric values may be
# written in decimal or 0x-hex; compared as numbers)
num() { python3 -c 'import sys; print(int(sys.argv[1].strip(), 0))' "$1" 2>/dev/null || echo "not-a-number:$1"; }
for n in file.txt eph dirdata withkids.conf app.conf; do
	zkstat=$(zkctl stat "/base/$n")
	for key in czxid mzxid pzxid ctime mtime version cversion aversion ephemeralOwner dataLength numChildren; do
		want=$(sed -n "s/^$key=//p" <<<"$zkstat")
		raw=$(xattr_get "$MNT/$n" "user.zookeeper.$key") ||
			fail "getxattr user.zookeeper.$key on $n failed"
		assert_eq "$want" "$(num "$raw")" "xattr user.zookeeper.$key of $n (raw '$raw')"
	done
	acl=$(xattr_get "$MNT/$n" user.zookeeper.acl) || fail "getxattr user.zookeeper.acl on $n failed"
	[ -n "$acl" ] || fail "xattr user.zookeeper.acl of $n is empty"
done
owner=$(zkstat /base/eph ephemeralOwner)
[ "$owner" != 0 ] || fail "zkctl: /base/eph has ephemeralOwner 0 (the holder is not ephemeral?)"
assert_eq 2 "$(num "$(xattr_get "$MNT/file.txt" user.zookeeper.version)")" "xattr version of file.txt after two sets"

# ---- a missing name is ENOENT
expect_fail "No such file or directory" "stat of a missing name" stat "$MNT/no-such-node"
expect_fail "No such file or directory" "cat of a missing name" cat "$MNT/no-such-node.conf"

zkfs_umount "$MNT"
assert_eq 0 "$ZKFS_STATUS" "exit status of the daemon after unmount"
