#!/bin/bash
# SPEC §3/§5, docs/SEMANTICS.md "Writing": calls that change names and
# attributes: mkdir (and the naming rule after a remount), unlink, rmdir,
# rename/renameat2 (files, directories, EXDEV and mv's fallback), names
# ZooKeeper refuses, chmod/chown, links, device nodes, setting times.
# Every check is made through the mount AND with zkctl (the ground truth).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export LC_ALL=C # the messages of coreutils, as errno_msg gives them

zk_start
zkctl create /n
zkctl create /n/f.conf "f data"
zkctl create /n/empty
zkctl create /n/full
zkctl create /n/full/kid "k"
zkctl create /n/sub
zkctl create /n/sub/keep.conf "keep"
zkctl create /n/ren.conf "ren data"
zkctl create /n/src.conf "source data"
zkctl create /n/dst.conf "target data"
zkctl setacl /n/dst.conf rwa # an ACL of its own: must survive a rename over it
zkctl create /n/nr1.conf "one"
zkctl create /n/nr2.conf "two"
zkctl create /n/tree "tree data"
zkctl create /n/tree/a.conf "A"
zkctl create /n/tree/inner "inner data"
zkctl create /n/tree/inner/b.conf $'B\n'
zkctl create /n/tree/inner/deep
zkctl create /n/tree/inner/deep/c.conf "C"
zkctl create /n/tree/emptydir
zkctl create /n/tree/empty.conf
zkctl create /n/big
zkctl fill /n/big 1200
zkctl create /n/heavy
head -c 600000 /dev/urandom >"$TEST_DIR/h1"
head -c 600000 /dev/urandom >"$TEST_DIR/h2"
zkctl create /n/heavy/h1.bin
zkctl create /n/heavy/h2.bin
zkctl set-file /n/heavy/h1.bin "$TEST_DIR/h1"
zkctl set-file /n/heavy/h2.bin "$TEST_DIR/h2"

MNT=$TEST_DIR/mnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/n" "$MNT"

# ---------------------------------------------------------------- mkdir

info "mkdir creates a persistent znode without data, shown as a directory"
assert_ok "mkdir locks" mkdir "$MNT/locks"
assert_zk_exists /n/locks "mkdir locks"
assert_eq 0 "$(zkstat /n/locks dataLength)" "dataLength of /n/locks"
assert_eq 0 "$(zkstat /n/locks numChildren)" "numChildren of /n/locks"
assert_eq 0 "$(zkstat /n/locks ephemeralOwner)" "ephemeralOwner of /n/locks (persistent)"
assert_eq dir "$(ftype "$MNT/locks")" "type of locks after mkdir"
in_listing "$MNT" locks || fail "locks: not listed after mkdir"

assert_ok "mkdir x.conf" mkdir "$MNT/x.conf"
assert_zk_exists /n/x.conf "mkdir x.conf"
assert_eq 0 "$(zkstat /n/x.conf dataLength)" "dataLength of /n/x.conf"
assert_eq dir "$(ftype "$MNT/x.conf")" "type of x.conf right after mkdir (the mount keeps the type it created)"

assert_ok "touch Makefile" touch "$MNT/Makefile"
await_zk_content /n/Makefile "" "touch Makefile"
assert_eq 0 "$(zkstat /n/Makefile dataLength)" "dataLength of /n/Makefile"
assert_eq file "$(ftype "$MNT/Makefile")" "type of Makefile right after touch (the mount keeps the type it created)"

before=$(zkctl stat /n/f.conf)
expect_errno EEXIST "mkdir of an existing directory" mkdir "$MNT/locks"
expect_errno EEXIST "mkdir of an existing file's name" mkdir "$MNT/f.conf"
assert_eq "$before" "$(zkctl stat /n/f.conf)" "zkctl stat f.conf after the refused mkdir"
assert_eq file "$(ftype "$MNT/f.conf")" "type of f.conf after the refused mkdir"

assert_ok "mkdir -p p/q/r" mkdir -p "$MNT/p/q/r"
assert_zk_exists /n/p/q/r "mkdir -p p/q/r"
sh_ok "echo in > p/q/r/in.conf" 'echo in >"$1"' "$MNT/p/q/r/in.conf"
assert_zk_content /n/p/q/r/in.conf $'in\n' "p/q/r/in.conf"
assert_eq 0 "$(zkstat /n/p/q/r/in.conf version)" "version of p/q/r/in.conf (one create)"

info "zookeeper is an ordinary name below a base path other than /"
assert_ok "mkdir zookeeper under /n" mkdir "$MNT/zookeeper"
assert_zk_exists /n/zookeeper "mkdir zookeeper under /n"
assert_ok "rmdir zookeeper under /n" rmdir "$MNT/zookeeper"
assert_zk_absent /n/zookeeper "rmdir zookeeper under /n"

# ---------------------------------------------------------------- unlink

info "unlink deletes a file znode"
zkctl create /n/del.conf "bye"
assert_file_content "$MNT/del.conf" "bye" "del.conf before rm"
assert_ok "rm del.conf" rm "$MNT/del.conf"
assert_zk_absent /n/del.conf "rm del.conf"
expect_errno ENOENT "stat of the removed del.conf" stat "$MNT/del.conf"
! in_listing "$MNT" del.conf || fail "del.conf: still listed after rm"
expect_errno ENOENT "unlink of the removed del.conf" unlink "$MNT/del.conf"

zkctl create /n/gone.conf "x"
assert_file_content "$MNT/gone.conf" "x" "gone.conf before its remote delete"
zkctl rm /n/gone.conf
expect_errno ENOENT "unlink of a file deleted remotely" unlink "$MNT/gone.conf"

expect_errno EISDIR "unlink of a directory" unlink "$MNT/full"
assert_zk_content /n/full/kid "k" "full/kid after the refused unlink of full"

# ---------------------------------------------------------------- rmdir

info "rmdir deletes a directory znode without children"
assert_ok "rmdir empty" rmdir "$MNT/empty"
assert_zk_absent /n/empty "rmdir empty"
! in_listing "$MNT" empty || fail "empty: still listed after rmdir"
expect_errno ENOENT "stat of the removed directory" stat "$MNT/empty"

expect_errno ENOTEMPTY "rmdir of a directory with a child" rmdir "$MNT/full"
assert_zk_content /n/full/kid "k" "full/kid after the refused rmdir"
assert_eq dir "$(ftype "$MNT/full")" "type of full after the refused rmdir"

assert_ok "mkdir withdata" mkdir "$MNT/withdata"
sh_ok "echo x > withdata/.data" 'echo x >"$1"' "$MNT/withdata/.data"
assert_zk_content /n/withdata $'x\n' "/n/withdata after echo x > withdata/.data"
expect_errno ENOTEMPTY "rmdir of a directory whose .data is not empty" rmdir "$MNT/withdata"
assert_zk_content /n/withdata $'x\n' "/n/withdata after the refused rmdir"
assert_ok "rm withdata/.data" rm "$MNT/withdata/.data"
assert_zk_content /n/withdata "" "/n/withdata after rm withdata/.data"
assert_ok "rmdir withdata (its .data now empty)" rmdir "$MNT/withdata"
assert_zk_absent /n/withdata "rmdir withdata"

expect_errno ENOTDIR "rmdir of a file" rmdir "$MNT/f.conf"
assert_zk_content /n/f.conf "f data" "f.conf after the refused rmdir"

# ---------------------------------------------------------------- remount: the naming rule decides

info "after a remount the naming rule decides the type of empty znodes"
zkfs_umount "$MNT"
zkfs_mount "zookeeper://$ZK_HOSTPORT/n" "$MNT"
assert_eq dir "$(ftype "$MNT/locks")" "type of locks after a remount (empty, no extension)"
assert_eq file "$(ftype "$MNT/x.conf")" "type of x.conf after a remount (empty, with an extension)"
assert_eq dir "$(ftype "$MNT/Makefile")" "type of Makefile after a remount (empty, no extension)"
assert_eq dir "$(ftype "$MNT/p/q/r")" "type of p/q/r after a remount"
assert_file_content "$MNT/x.conf" "" "x.conf after a remount"
assert_file_content "$MNT/p/q/r/in.conf" $'in\n' "p/q/r/in.conf after a remount"

# ---------------------------------------------------------------- rename: files

info "rename of a file to a new name, and into another directory"
assert_ok "mv ren.conf renamed.conf" mv "$MNT/ren.conf" "$MNT/renamed.conf"
assert_zk_absent /n/ren.conf "mv ren.conf renamed.conf (the source)"
assert_zk_content /n/renamed.conf "ren data" "renamed.conf after mv"
assert_file_content "$MNT/renamed.conf" "ren data" "renamed.conf through the mount"
assert_eq "$(zkstat /n/renamed.conf czxid)" "$(zkstat /n pzxid)" \
	"czxid of renamed.conf = pzxid of /n (create and delete in one transaction: one multi)"
expect_errno ENOENT "stat of ren.conf after mv" stat "$MNT/ren.conf"
assert_ok "mv renamed.conf sub/moved.conf" mv "$MNT/renamed.conf" "$MNT/sub/moved.conf"
assert_zk_absent /n/renamed.conf "mv into sub (the source)"
assert_zk_content /n/sub/moved.conf "ren data" "sub/moved.conf after mv"
assert_file_content "$MNT/sub/moved.conf" "ren data" "sub/moved.conf through the mount"

info "rename over an existing file: the target keeps its znode (czxid, ACL), version +1"
cz=$(zkstat /n/dst.conf czxid)
v=$(zkstat /n/dst.conf version)
acl=$(zkctl acl /n/dst.conf)
assert_eq "world:anyone:rwa" "$acl" "the ACL given to /n/dst.conf (setup)"
assert_file_content "$MNT/dst.conf" "target data" "dst.conf before the rename (cached)"
assert_ok "mv src.conf dst.conf" mv "$MNT/src.conf" "$MNT/dst.conf"
assert_zk_content /n/dst.conf "source data" "dst.conf after mv src.conf dst.conf"
assert_eq "$cz" "$(zkstat /n/dst.conf czxid)" "czxid of dst.conf after the rename over it (the same znode)"
assert_eq $((v + 1)) "$(zkstat /n/dst.conf version)" "version of dst.conf after the rename over it"
assert_eq "$acl" "$(zkctl acl /n/dst.conf)" "ACL of dst.conf after the rename over it"
assert_zk_absent /n/src.conf "mv src.conf dst.conf (the source)"
assert_eq "$(zkstat /n/dst.conf mzxid)" "$(zkstat /n pzxid)" \
	"mzxid of dst.conf = pzxid of /n (set and delete in one transaction: one multi)"
assert_file_content "$MNT/dst.conf" "source data" "dst.conf through the mount after the rename"
expect_errno ENOENT "stat of src.conf after the rename" stat "$MNT/src.conf"

info "rename errors: EISDIR, ENOTDIR, EEXIST (RENAME_NOREPLACE), EINVAL (RENAME_EXCHANGE)"
s1=$(zkctl stat /n/nr1.conf)
s2=$(zkctl stat /n/nr2.conf)
wr_fails "rename of a file over a directory" "rename: EISDIR" -- rename "$MNT/nr1.conf" "$MNT/full"
wr_fails "rename of a directory over a file" "rename: ENOTDIR" -- rename "$MNT/locks" "$MNT/nr1.conf"
wr_fails "RENAME_NOREPLACE onto an existing file" "rename: EEXIST" -- rename "$MNT/nr1.conf" "$MNT/nr2.conf" noreplace
wr_fails "RENAME_EXCHANGE" "rename: EINVAL" -- rename "$MNT/nr1.conf" "$MNT/nr2.conf" exchange
mv -n "$MNT/nr1.conf" "$MNT/nr2.conf" 2>/dev/null || true # coreutils decides the status
assert_eq "$s1" "$(zkctl stat /n/nr1.conf)" "zkctl stat nr1.conf after the refused renames and mv -n"
assert_eq "$s2" "$(zkctl stat /n/nr2.conf)" "zkctl stat nr2.conf after the refused renames and mv -n"
assert_zk_content /n/nr2.conf "two" "nr2.conf after mv -n nr1.conf nr2.conf"
assert_file_content "$MNT/nr1.conf" "one" "nr1.conf through the mount after the refused renames"
assert_file_content "$MNT/nr2.conf" "two" "nr2.conf through the mount after the refused renames"
assert_zk_content /n/full/kid "k" "full/kid after the refused rename over full"
assert_zk_exists /n/locks "locks after the refused rename of it"
wr_ok "RENAME_NOREPLACE onto a free name" rename "$MNT/nr1.conf" "$MNT/nr3.conf" noreplace
assert_zk_absent /n/nr1.conf "RENAME_NOREPLACE nr1.conf nr3.conf (the source)"
assert_zk_content /n/nr3.conf "one" "nr3.conf after RENAME_NOREPLACE"

# ---------------------------------------------------------------- rename: directories

info "a directory rename moves the whole subtree, data included"
zkctl tree /n/tree >"$TEST_DIR/tree.before"
assert_ok "mv tree tree2" mv "$MNT/tree" "$MNT/tree2"
zkctl tree /n/tree2 >"$TEST_DIR/tree.after"
cmp -s "$TEST_DIR/tree.before" "$TEST_DIR/tree.after" ||
	fail "/n/tree2 after mv tree tree2 differs from /n/tree before: $(diff "$TEST_DIR/tree.before" "$TEST_DIR/tree.after" | head -n 10 | tr '\n' ' ')"
assert_zk_absent /n/tree "mv tree tree2 (the source)"
# one multi is one transaction: every znode of the new subtree has its zxid
czxids=$(cut -f1 "$TEST_DIR/tree.after" | while IFS= read -r rel; do
	p=/n/tree2
	[ "$rel" = . ] || p=/n/tree2/$rel
	zkstat "$p" czxid
done | sort -u)
assert_eq "$(zkstat /n pzxid)" "$czxids" "the czxids of every znode under /n/tree2 (one multi: all equal to the pzxid of /n)"
expect_errno ENOENT "stat of tree after mv" stat "$MNT/tree"
assert_file_content "$MNT/tree2/.data" "tree data" "tree2/.data"
assert_file_content "$MNT/tree2/inner/deep/c.conf" "C" "tree2/inner/deep/c.conf"
assert_file_content "$MNT/tree2/inner/.data" "inner data" "tree2/inner/.data"
assert_eq dir "$(ftype "$MNT/tree2/emptydir")" "type of tree2/emptydir"
assert_eq file "$(ftype "$MNT/tree2/empty.conf")" "type of tree2/empty.conf"
assert_ok "mv tree2 sub/tree3" mv "$MNT/tree2" "$MNT/sub/tree3"
zkctl tree /n/sub/tree3 >"$TEST_DIR/tree.after3"
cmp -s "$TEST_DIR/tree.before" "$TEST_DIR/tree.after3" ||
	fail "/n/sub/tree3 after mv tree2 sub/tree3 differs from the original tree"
assert_zk_absent /n/tree2 "mv tree2 sub/tree3 (the source)"

info "a directory over 1000 znodes: EXDEV, and mv copies and deletes by itself"
zkctl tree /n/big >"$TEST_DIR/big.before"
wr_fails "renameat2 of a directory of 1201 znodes" "rename: EXDEV" -- rename "$MNT/big" "$MNT/big2"
assert_eq 1200 "$(zkctl ls /n/big | wc -l)" "children of /n/big after the refused rename"
assert_zk_absent /n/big2 "the refused rename of big (the target)"
t0=$(_now_ms)
assert_ok "mv big big2 (1201 znodes: mv's copy + delete fallback)" mv "$MNT/big" "$MNT/big2"
info "mv of 1200 files through the fallback: $(($(_now_ms) - t0)) ms"
zkctl tree /n/big2 >"$TEST_DIR/big.after"
cmp -s "$TEST_DIR/big.before" "$TEST_DIR/big.after" ||
	fail "/n/big2 after mv differs from /n/big before: $(diff "$TEST_DIR/big.before" "$TEST_DIR/big.after" | head -n 10 | tr '\n' ' ')"
assert_zk_absent /n/big "mv big big2 (the source)"
assert_eq 1200 "$(ls "$MNT/big2" | wc -l)" "files listed in big2 through the mount"
assert_file_content "$MNT/big2/f1199.conf" $'1199\n' "big2/f1199.conf"

info "a directory whose data exceed max_size in total: EXDEV, and mv falls back"
wr_fails "renameat2 of a directory holding 1,200,000 bytes" "rename: EXDEV" -- rename "$MNT/heavy" "$MNT/heavy2"
assert_zk_file /n/heavy/h1.bin "$TEST_DIR/h1" "heavy/h1.bin after the refused rename"
assert_zk_absent /n/heavy2 "the refused rename of heavy (the target)"
assert_ok "mv heavy heavy2" mv "$MNT/heavy" "$MNT/heavy2"
assert_zk_file /n/heavy2/h1.bin "$TEST_DIR/h1" "heavy2/h1.bin after mv"
assert_zk_file /n/heavy2/h2.bin "$TEST_DIR/h2" "heavy2/h2.bin after mv"
assert_zk_absent /n/heavy "mv heavy heavy2 (the source)"

# ---------------------------------------------------------------- names ZooKeeper refuses

info "names with control characters: EINVAL, nothing sent"
zkctl ls /n >"$TEST_DIR/ls.before"
for name in $'a\x01b.conf' $'tab\x1f' $'del\x7f.conf' $'c1\xc2\x80x' $'c1\xc2\x9fx'; do
	shown=$(printf '%s' "$name" | od -An -c | tr -s ' ')
	expect_errno EINVAL "touch of a name with a control character ($shown)" touch "$MNT/$name"
	expect_errno EINVAL "mkdir of a name with a control character ($shown)" mkdir "$MNT/$name"
	wr_fails "O_CREAT of a name with a control character ($shown)" "open: EINVAL" -- open "$MNT/$name" creat write x
done
wr_fails "rename to a name with a control character" "rename: EINVAL" -- rename "$MNT/f.conf" "$MNT/"$'bad\x01.conf'
zkctl ls /n >"$TEST_DIR/ls.after"
cmp -s "$TEST_DIR/ls.before" "$TEST_DIR/ls.after" ||
	fail "the children of /n changed after the refused names: $(diff "$TEST_DIR/ls.before" "$TEST_DIR/ls.after" | tr '\n' ' ')"
assert_zk_content /n/f.conf "f data" "f.conf after the refused rename"
sh_ok "echo > café.conf" 'echo ok >"$1"' "$MNT/café.conf"
assert_zk_content /n/café.conf $'ok\n' "café.conf (U+00E9 is allowed)"
sh_ok "echo > a name with U+00A0" 'echo ok >"$1"' "$MNT/nb"$'\xc2\xa0'"sp.conf"
assert_zk_content /n/nb$'\xc2\xa0'sp.conf $'ok\n' "a name with U+00A0 (just past the refused range)"

info "reserved names: .state and .events in the root, .data anywhere"
wr_fails "O_CREAT|O_EXCL of .state" "open: EEXIST" -- open "$MNT/.state" creat,excl
expect_errno EEXIST "mkdir .state" mkdir "$MNT/.state"
wr_fails "O_CREAT|O_EXCL of .events" "open: EEXIST" -- open "$MNT/.events" creat,excl
expect_errno EEXIST "mkdir .events" mkdir "$MNT/.events"
expect_errno EEXIST "mkdir full/.data" mkdir "$MNT/full/.data"
assert_zk_absent /n/.state "the refused creations of .state"
assert_zk_absent /n/.events "the refused creations of .events"
assert_zk_absent /n/full/.data "the refused mkdir full/.data"

info "base path /: zookeeper directly under the root is refused"
RMNT=$TEST_DIR/rootmnt
zkfs_mount "zookeeper://$ZK_HOSTPORT" "$RMNT"
zkctl ls /zookeeper >"$TEST_DIR/zkdir.before"
rc=0
err=$(mkdir "$RMNT/zookeeper" 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "mkdir zookeeper in a mount of /: succeeded"
[[ $err == *"$(errno_msg EEXIST)"* || $err == *"$(errno_msg EINVAL)"* ]] ||
	fail "mkdir zookeeper in a mount of /: expected EEXIST or EINVAL, got: $err"
assert_ok "mkdir rootdir in a mount of /" mkdir "$RMNT/rootdir"
assert_zk_exists /rootdir "mkdir rootdir in a mount of /"
wr_fails "rename of a directory to zookeeper in the root" "rename: EINVAL" -- rename "$RMNT/rootdir" "$RMNT/zookeeper"
assert_zk_exists /rootdir "rootdir after the refused rename to zookeeper"
zkctl ls /zookeeper >"$TEST_DIR/zkdir.after"
cmp -s "$TEST_DIR/zkdir.before" "$TEST_DIR/zkdir.after" || fail "the children of /zookeeper changed"
assert_ok "rmdir rootdir" rmdir "$RMNT/rootdir"
assert_zk_absent /rootdir "rmdir rootdir in a mount of /"
zkfs_umount "$RMNT"

# ---------------------------------------------------------------- chmod, chown, links, nodes, times

info "chmod/chown to what is shown succeed and change nothing; anything else: EPERM"
before=$(zkctl stat /n/f.conf)
dbefore=$(zkctl stat /n/full)
assert_eq 644 "$(stat -c %a "$MNT/f.conf")" "mode of f.conf"
assert_eq 755 "$(stat -c %a "$MNT/full")" "mode of full"
own=$(stat -c %u:%g "$MNT/f.conf")
assert_ok "chmod 644 f.conf (the mode it shows)" chmod 644 "$MNT/f.conf"
assert_ok "chmod 755 full (the mode it shows)" chmod 755 "$MNT/full"
assert_ok "chown $own f.conf (the owner it shows)" chown "$own" "$MNT/f.conf"
assert_ok "chown $own full (the owner it shows)" chown "$own" "$MNT/full"
expect_errno EPERM "chmod 600 f.conf" chmod 600 "$MNT/f.conf"
expect_errno EPERM "chmod 755 f.conf" chmod 755 "$MNT/f.conf"
expect_errno EPERM "chmod 700 full" chmod 700 "$MNT/full"
expect_errno EPERM "chown 1234 f.conf" chown 1234 "$MNT/f.conf"
expect_errno EPERM "chgrp 1234 f.conf" chgrp 1234 "$MNT/f.conf"
assert_eq 644 "$(stat -c %a "$MNT/f.conf")" "mode of f.conf after the refused chmod"
assert_eq "$own" "$(stat -c %u:%g "$MNT/f.conf")" "owner of f.conf after the refused chown"

info "symlink, hard link, fifo, device node: EPERM"
expect_errno EPERM "ln -s" ln -s f.conf "$MNT/sym.conf"
expect_errno EPERM "ln (hard link)" ln "$MNT/f.conf" "$MNT/hard.conf"
expect_errno EPERM "mkfifo" mkfifo "$MNT/fifo"
expect_errno EPERM "mknod c 1 3" mknod "$MNT/dev" c 1 3
for p in sym.conf hard.conf fifo dev; do
	assert_zk_absent "/n/$p" "the refused creation of $p"
done

info "setting times succeeds and changes nothing in ZooKeeper"
assert_ok "touch -m f.conf" touch -m "$MNT/f.conf"
assert_ok "touch -a f.conf" touch -a "$MNT/f.conf"
assert_ok "touch -d 2001-01-01 f.conf" touch -d 2001-01-01 "$MNT/f.conf"
assert_ok "touch f.conf" touch "$MNT/f.conf"
assert_ok "touch -d 2001-01-01 full" touch -d 2001-01-01 "$MNT/full"
assert_eq "$before" "$(zkctl stat /n/f.conf)" "zkctl stat f.conf after chmod/chown to the same and setting times"
assert_eq "$dbefore" "$(zkctl stat /n/full)" "zkctl stat full after chmod/chown to the same and setting times"
assert_zk_content /n/f.conf "f data" "f.conf after chmod/chown/touch"

# `git init NEW`, `mkdir -p x && cd x`: a process enters a directory the moment
# it is made, and getcwd(3) must find it there (the ZooKeeper event of the
# creation must not unhash the kernel's new entry under it).
info "mkdir, then chdir and getcwd at once, 60 times (in the root and below)"
out=$(cd "$MNT" && python3 -c '
import os, sys
bad = 0
for top in (".", "deep"):
    os.makedirs(top, exist_ok=True)
    base = os.path.realpath(top)
    for i in range(30):
        d = os.path.join(base, "cwd%02d" % i)
        os.mkdir(d)
        os.chdir(d)
        try:
            if os.getcwd() != d:
                bad += 1
        except OSError as e:
            bad += 1
            print("getcwd in %s: %s" % (d, e), file=sys.stderr)
        os.chdir(base)
print(bad)' 2>&1) || fail "the mkdir/chdir/getcwd loop failed: $out"
assert_eq 0 "$out" "getcwd failures in directories entered as soon as they were made"
assert_eq 30 "$(zkctl ls /n | grep -c '^cwd')" "the directories made in the root, in ZooKeeper"

zkfs_umount "$MNT"
