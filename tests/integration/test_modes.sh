#!/bin/bash
# docs/SEMANTICS.md "chmod, chown" and "A directory's `.data`": the modes real
# tools give the files they make, and real znodes named like the mount's
# virtual files.
#  1. tar -x, install -m, cp -p, rsync -a and `touch; chmod +x` of scripts:
#     the mode is shown for the life of the mount (also once the kernel has
#     let go of the inode), the script runs, and ZooKeeper holds exactly the
#     values (no mode is stored, no temporary file left); another mount shows
#     the defaults.
#  2. A tree holding real `.data`, `.state` and `.events` znodes: listed and
#     read as documented, `rm -rf` of it removes everything (checked through
#     an independent client), and the shadowed ones are reachable through
#     `-o datafile=` and a mount of the parent.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export LC_ALL=C

umask 022
for tool in tar rsync install; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is absent: run tools/deps"
done

zk_start
zkctl create /m
MNT=$TEST_DIR/mnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/m" "$MNT"
M1=$ZKFS_PID
SRC=$TEST_DIR/src
mkdir -p "$SRC/pkg/bin"
SCRIPT=$'#!/bin/sh\necho ran pkg\n'
printf '%s' "$SCRIPT" >"$SRC/pkg/bin/run.sh"
printf 'plain\n' >"$SRC/pkg/README.txt"
chmod 755 "$SRC/pkg/bin/run.sh"
chmod 644 "$SRC/pkg/README.txt"
chmod 750 "$SRC/pkg/bin"

# runs PATH WHAT: PATH executes and prints the script's line.
runs() {
	local out
	out=$("$1" 2>&1) || fail "$2: $1 does not run: $out"
	assert_eq "ran pkg" "$out" "$2: the output of $1"
}

# forget: the kernel lets go of every inode it does not need (what happens to
# a file tar closed once memory is short).
forget() { sync; echo 2 >/proc/sys/vm/drop_caches; }

info "tar -x: the modes of the archive are shown, the script runs"
tar -C "$SRC" -cf "$TEST_DIR/pkg.tar" pkg
assert_ok "tar -xf pkg.tar" tar -C "$MNT" -xf "$TEST_DIR/pkg.tar"
assert_eq 750 "$(mode_of "$MNT/pkg/bin")" "tar: mode of pkg/bin"
assert_eq 755 "$(mode_of "$MNT/pkg/bin/run.sh")" "tar: mode of pkg/bin/run.sh"
assert_eq 644 "$(mode_of "$MNT/pkg/README.txt")" "tar: mode of pkg/README.txt"
runs "$MNT/pkg/bin/run.sh" tar
forget
assert_eq 755 "$(mode_of "$MNT/pkg/bin/run.sh")" "tar: mode of run.sh once the kernel let go of it"
runs "$MNT/pkg/bin/run.sh" "tar, after the kernel let go"
assert_zk_content /m/pkg/bin/run.sh "$SCRIPT" "tar: /m/pkg/bin/run.sh in ZooKeeper"
assert_zk_content /m/pkg/README.txt $'plain\n' "tar: /m/pkg/README.txt in ZooKeeper"
assert_eq "README.txt bin" "$(zkctl ls /m/pkg | paste -sd' ' -)" "tar: children of /m/pkg"
assert_eq "run.sh" "$(zkctl ls /m/pkg/bin | paste -sd' ' -)" "tar: children of /m/pkg/bin"

info "install -m 755: the new file is 0755 and runs"
assert_ok "install -m 755" install -m 755 "$SRC/pkg/bin/run.sh" "$MNT/inst.sh"
assert_eq 755 "$(mode_of "$MNT/inst.sh")" "install: mode of inst.sh"
runs "$MNT/inst.sh" install
assert_zk_content /m/inst.sh "$SCRIPT" "install: /m/inst.sh in ZooKeeper"

info "cp -p of an executable"
assert_ok "cp -p" cp -p "$SRC/pkg/bin/run.sh" "$MNT/cpp.sh"
assert_eq 755 "$(mode_of "$MNT/cpp.sh")" "cp -p: mode of cpp.sh"
runs "$MNT/cpp.sh" "cp -p"
assert_zk_content /m/cpp.sh "$SCRIPT" "cp -p: /m/cpp.sh in ZooKeeper"

info "rsync -a: the mode is set on a temporary file that is then renamed"
assert_ok "rsync -a" rsync -a "$SRC/pkg/" "$MNT/rs/"
assert_eq 750 "$(mode_of "$MNT/rs/bin")" "rsync -a: mode of rs/bin"
assert_eq 755 "$(mode_of "$MNT/rs/bin/run.sh")" "rsync -a: mode of rs/bin/run.sh"
assert_eq 644 "$(mode_of "$MNT/rs/README.txt")" "rsync -a: mode of rs/README.txt"
runs "$MNT/rs/bin/run.sh" "rsync -a"
assert_zk_content /m/rs/bin/run.sh "$SCRIPT" "rsync -a: /m/rs/bin/run.sh in ZooKeeper"
assert_eq "run.sh" "$(zkctl ls /m/rs/bin | paste -sd' ' -)" "rsync -a: children of /m/rs/bin (no temporary file)"
assert_ok "rsync -a again (nothing to do)" rsync -a "$SRC/pkg/" "$MNT/rs/"
assert_eq 755 "$(mode_of "$MNT/rs/bin/run.sh")" "rsync -a again: mode of rs/bin/run.sh"

info "mv of a directory this mount made: the modes below it go with it"
sh_ok "mkdir, cp, chmod +x in stage" 'mkdir -p "$1/stage/bin" && cp "$2" "$1/stage/bin/go" && chmod 700 "$1/stage/bin" && chmod +x "$1/stage/bin/go"' \
	"$MNT" "$SRC/pkg/bin/run.sh"
forget
assert_ok "mv stage final" mv "$MNT/stage" "$MNT/final"
assert_eq 700 "$(mode_of "$MNT/final/bin")" "mv: mode of final/bin"
assert_eq 755 "$(mode_of "$MNT/final/bin/go")" "mv: mode of final/bin/go"
runs "$MNT/final/bin/go" "mv of its directory"
assert_ok "chmod 750 final/bin/go (still made by this mount)" chmod 750 "$MNT/final/bin/go"
assert_zk_content /m/final/bin/go "$SCRIPT" "mv: /m/final/bin/go in ZooKeeper"
assert_zk_absent /m/stage "mv: the old name"

info "chmod +x right after creating"
sh_ok "touch, write, chmod +x" 'touch "$1" && cat "$2" >"$1" && chmod +x "$1"' \
	"$MNT/new.sh" "$SRC/pkg/bin/run.sh"
assert_eq 755 "$(mode_of "$MNT/new.sh")" "chmod +x: mode of new.sh"
runs "$MNT/new.sh" "chmod +x"
forget
assert_ok "chmod 700 new.sh, after the kernel let go" chmod 700 "$MNT/new.sh"
assert_eq 700 "$(mode_of "$MNT/new.sh")" "chmod 700: mode of new.sh"

info "what this mount did not make keeps refusing another mode"
zkctl create /m/theirs.sh "$SCRIPT"
expect_errno EPERM "chmod +x of a znode another client made" chmod +x "$MNT/theirs.sh"
assert_eq 644 "$(mode_of "$MNT/theirs.sh")" "mode of theirs.sh after the refused chmod"
expect_fail "Operation not permitted" "cp -p over a file another client made" \
	cp -p "$SRC/pkg/bin/run.sh" "$MNT/theirs.sh"
assert_zk_content /m/theirs.sh "$SCRIPT" "theirs.sh in ZooKeeper"

info "-o umask=027 masks the modes given, too"
MNTU=$TEST_DIR/mntu
zkfs_mount "zookeeper://$ZK_HOSTPORT/m" "$MNTU" -o umask=027
assert_ok "tar -xf into a umask=027 mount" tar -C "$MNTU/rs" -xf "$TEST_DIR/pkg.tar"
assert_eq 750 "$(mode_of "$MNTU/rs/pkg/bin/run.sh")" "umask=027: mode of run.sh (0755 asked)"
assert_eq 640 "$(mode_of "$MNTU/rs/pkg/README.txt")" "umask=027: mode of README.txt (0644 asked)"
assert_eq 640 "$(mode_of "$MNTU/theirs.sh")" "umask=027: a file another client made"
zkfs_umount "$MNTU"
assert_ok "rm -r rs/pkg" rm -r "$MNT/rs/pkg"

info "the modes are this mount's memory: another mount shows the defaults"
MNT2=$TEST_DIR/mnt2
zkfs_mount "zookeeper://$ZK_HOSTPORT/m" "$MNT2"
assert_eq 644 "$(mode_of "$MNT2/pkg/bin/run.sh")" "second mount: mode of pkg/bin/run.sh"
assert_eq 755 "$(mode_of "$MNT2/pkg/bin")" "second mount: mode of pkg/bin"
zkfs_umount "$MNT2"
assert_eq 755 "$(mode_of "$MNT/pkg/bin/run.sh")" "first mount: mode of pkg/bin/run.sh, still"
assert_eq "cpp.sh final inst.sh new.sh pkg rs theirs.sh" "$(zkctl ls /m | paste -sd' ' -)" \
	"children of /m after every tool"

# ------------------------------------------------ real znodes named like the virtual files

info "a tree with real .data, .state and .events znodes"
zkctl create /m/t "own data of t"
zkctl create /m/t/.data "a real znode named .data"
zkctl create /m/t/.state "a real znode named .state"
zkctl create /m/t/.events "a real znode named .events"
zkctl create /m/t/x.conf "x"
zkctl create /m/u
zkctl create /m/u/.data
zkctl create /m/u/.data/kid.conf "below the shadowed .data"
zkctl create /m/.state "a real .state in the base"
zkctl create /m/.events "a real .events in the base"

# Listing: `.data` is t's own data (non-empty: listed); `.state` and `.events`
# are reserved in the root only, so in t they are the real znodes.
assert_eq ".data .events .state x.conf" "$(cd "$MNT/t" && ls -A | paste -sd' ' -)" "ls -A t"
assert_file_content "$MNT/t/.data" "own data of t" "t/.data (t's own data)"
assert_file_content "$MNT/t/.state" "a real znode named .state" "t/.state"
assert_file_content "$MNT/t/.events" "a real znode named .events" "t/.events"
assert_eq "" "$(cd "$MNT/u" && ls -A | paste -sd' ' -)" "ls -A u (its real .data is shadowed)"
assert_file_content "$MNT/.state" $'CONNECTED\n' "the base's .state (the virtual one)"
assert_ok "grep -r of the mount (.events is not listed)" timeout 20 grep -rq "own data" "$MNT"

info "the shadowed znodes are reachable through -o datafile= and a mount of the parent"
MNT3=$TEST_DIR/mnt3
zkfs_mount "zookeeper://$ZK_HOSTPORT/m" "$MNT3" -o datafile=.zkdata
assert_file_content "$MNT3/t/.data" "a real znode named .data" "datafile=.zkdata: t/.data"
assert_file_content "$MNT3/t/.zkdata" "own data of t" "datafile=.zkdata: t/.zkdata"
assert_file_content "$MNT3/u/.data/kid.conf" "below the shadowed .data" "datafile=.zkdata: u/.data/kid.conf"
zkfs_umount "$MNT3"
MNT4=$TEST_DIR/mnt4
zkfs_mount "zookeeper://$ZK_HOSTPORT/" "$MNT4"
assert_file_content "$MNT4/m/.state" "a real .state in the base" "mount of /: m/.state"
assert_file_content "$MNT4/m/.events" "a real .events in the base" "mount of /: m/.events"

info "rm -rf of the tree removes everything, the shadowed znodes too"
assert_ok "rm -rf t" rm -rf "$MNT/t"
assert_zk_absent /m/t "rm -rf t"
assert_ok "rm -rf u" rm -rf "$MNT/u"
assert_zk_absent /m/u "rm -rf u (and the subtree below its shadowed .data)"
grep -q "/m/u: removed with its child \`.data\`" "$TEST_DIR"/zkfs.*.log ||
	fail "the daemon did not log the removal of u's shadowed .data"

info "the base's own .state and .events stay shadowed, untouched, and removable from the parent"
expect_errno EPERM "rm .state in the base" rm -f "$MNT/.state"
assert_zk_content /m/.state "a real .state in the base" "/m/.state after rm through the mount"
assert_ok "rm m/.state through the mount of /" rm "$MNT4/m/.state" "$MNT4/m/.events"
assert_zk_absent /m/.state "rm m/.state through the mount of /"
assert_zk_absent /m/.events "rm m/.events through the mount of /"
zkfs_umount "$MNT4"

assert_eq 755 "$(mode_of "$MNT/pkg/bin/run.sh")" "mode of pkg/bin/run.sh at the end"
_pid_alive "$M1" || fail "the first daemon died"
zkfs_umount "$MNT"

