#!/bin/bash
# SPEC §3/§4: changes made by another ZooKeeper client show up in the mount
# (watches become kernel invalidations), including negative entries and type
# changes.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

WAIT=5 # seconds a remote change may take to appear

zk_start
zkctl create /base
zkctl create /base/a.conf "v1"
zkctl create /base/gone.conf "to be deleted"
zkctl create /base/grow.conf "was a file"
zkctl create /base/dd "d1"
zkctl create /base/dd/kid "k"

MNT=$TEST_DIR/mnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$MNT"

not_in_listing() { ! in_listing "$@"; }
cat_fails() { ! cat "$1" >/dev/null 2>&1; }
type_is() { [ "$(ftype "$1" 2>/dev/null)" = "$2" ]; }

# Warm every cache: listing, attributes, data.
ls -la "$MNT" >/dev/null
assert_file_content "$MNT/a.conf" "v1"
assert_file_content "$MNT/gone.conf" "to be deleted"
assert_file_content "$MNT/grow.conf" "was a file"
assert_file_content "$MNT/dd/.data" "d1"
assert_eq 2 "$(stat -c %s "$MNT/a.conf")" "size of a.conf before the remote set"

# ---- a remote set shows in cat (longer value: a stale size would truncate it)
v2="version two, longer than before"
zkctl set /base/a.conf "$v2"
wait_until "$WAIT" file_is "$MNT/a.conf" "$v2" ||
	fail "a.conf: remote set not visible within $WAIT s; cat gives '$(_show "$(cat "$MNT/a.conf" 2>&1)")'"
assert_eq "${#v2}" "$(stat -c %s "$MNT/a.conf")" "size of a.conf after the remote set"
zkctl set /base/a.conf "v3"
wait_until "$WAIT" file_is "$MNT/a.conf" "v3" ||
	fail "a.conf: second remote set (shorter) not visible within $WAIT s; cat gives '$(_show "$(cat "$MNT/a.conf" 2>&1)")'"
assert_eq 2 "$(stat -c %s "$MNT/a.conf")" "size of a.conf after the shorter remote set"

# ---- a remote create shows in ls and cat (the listing was cached above)
zkctl create /base/new.conf "fresh"
wait_until "$WAIT" in_listing "$MNT" new.conf ||
	fail "new.conf: remote create not listed by ls within $WAIT s: $(cd "$MNT" && ls -a | tr '\n' ' ')"
assert_file_content "$MNT/new.conf" "fresh" "new.conf after a remote create"

# ---- a remote delete disappears from ls, and cat fails with ENOENT
zkctl rm /base/gone.conf
wait_until "$WAIT" not_in_listing "$MNT" gone.conf ||
	fail "gone.conf: still listed $WAIT s after a remote delete"
wait_until "$WAIT" cat_fails "$MNT/gone.conf" ||
	fail "gone.conf: cat still succeeds $WAIT s after a remote delete"
expect_fail "No such file or directory" "cat of a remotely deleted file" cat "$MNT/gone.conf"

# ---- a negative entry is invalidated by a remote create
expect_fail "No such file or directory" "cat of a name that does not exist yet" cat "$MNT/later.conf"
expect_fail "No such file or directory" "stat of a name that does not exist yet" stat "$MNT/later.conf"
zkctl create /base/later.conf "now here"
wait_until "$WAIT" file_is "$MNT/later.conf" "now here" ||
	fail "later.conf: remote create after a failed lookup not visible within $WAIT s ($(cat "$MNT/later.conf" 2>&1))"
# also for a name looked up in a subdirectory whose listing was never read
expect_fail "No such file or directory" "stat of dd/later" stat "$MNT/dd/later"
zkctl create /base/dd/later "sub"
wait_until "$WAIT" file_is "$MNT/dd/later" "sub" ||
	fail "dd/later: remote create after a failed lookup not visible within $WAIT s"

# ---- a file that gains a child becomes a directory with a new inode number
ino_before=$(stat -c %i "$MNT/grow.conf")
assert_eq file "$(ftype "$MNT/grow.conf")" "type of grow.conf before it gains a child"
zkctl create /base/grow.conf/child "c"
wait_until "$WAIT" type_is "$MNT/grow.conf" dir ||
	fail "grow.conf: still '$(ftype "$MNT/grow.conf")' $WAIT s after gaining a child (expected a directory)"
ino_after=$(stat -c %i "$MNT/grow.conf")
[ "$ino_before" != "$ino_after" ] ||
	fail "grow.conf: the inode number stayed $ino_before when it became a directory (expected a new one)"
assert_file_content "$MNT/grow.conf/child" "c" "grow.conf/child"
assert_file_content "$MNT/grow.conf/.data" "was a file" "grow.conf/.data (its data as a directory)"
in_listing "$MNT/grow.conf" .data || fail "grow.conf: .data not listed although the znode has data"

# ---- and back: a directory that loses its children becomes a file again
# (it has data), again under a new inode number
zkctl rm /base/grow.conf/child
wait_until "$WAIT" type_is "$MNT/grow.conf" file ||
	fail "grow.conf: still '$(ftype "$MNT/grow.conf")' $WAIT s after losing its only child (it has data: expected a file)"
ino_last=$(stat -c %i "$MNT/grow.conf")
[ "$ino_last" != "$ino_after" ] ||
	fail "grow.conf: the inode number stayed $ino_after when it became a file again"
assert_file_content "$MNT/grow.conf" "was a file" "grow.conf as a file again"

# ---- a directory's .data follows remote sets
zkctl set /base/dd "d2, longer"
wait_until "$WAIT" file_is "$MNT/dd/.data" "d2, longer" ||
	fail "dd/.data: remote set not visible within $WAIT s; cat gives '$(_show "$(cat "$MNT/dd/.data" 2>&1)")'"
zkctl set /base/dd ""
wait_until "$WAIT" file_is "$MNT/dd/.data" "" ||
	fail "dd/.data: remote set to empty not visible within $WAIT s"
wait_until "$WAIT" not_in_listing "$MNT/dd" .data ||
	fail "dd: .data still listed $WAIT s after the directory's data became empty"

# ---- remote changes deeper in the tree
zkctl mkpath /base/deep/er
zkctl create /base/deep/er/f.conf "deep"
wait_until "$WAIT" file_is "$MNT/deep/er/f.conf" "deep" ||
	fail "deep/er/f.conf: a remotely created subtree is not visible within $WAIT s"

zkfs_umount "$MNT"
