#!/bin/bash
# SPEC §5, docs/SEMANTICS.md "Writing": the tools people save configuration
# with work through the mount: sed -i, vim, cp, cp -p, cp + mv, install,
# rsync, rsync -t, shell appends. For each: the value in ZooKeeper is exactly
# the intended one, a file saved in place or through a rename over it keeps
# its znode (czxid), and no temporary file is left behind in ZooKeeper.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export LC_ALL=C # the messages of coreutils, as errno_msg gives them

umask 022
for tool in sed vim.tiny rsync install; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is absent: run tools/deps (packages rsync, vim-tiny)"
done

zk_start
zkctl create /t
zkctl create /t/sed.conf $'port = 8080\nhost = a\n'
zkctl create /t/vim.conf $'aaa\nbab\n'
zkctl create /t/vim2.conf $'a long first line\nsecond\n'
zkctl create /t/cp.conf "old cp value, longer than the new one"
zkctl create /t/cpp.conf "old cp -p value"
zkctl create /t/mv.conf "old mv value"
zkctl create /t/inst.conf "old install value"
zkctl create /t/rs.conf "old rsync value"
zkctl create /t/rst.conf "old rsync -t value"
zkctl create /t/app.conf $'one\n'
zkctl create /t/sub
zkctl create /t/sub/deep.conf $'x = 1\n'

MNT=$TEST_DIR/mnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/t" "$MNT"
SRC=$TEST_DIR/src
mkdir -p "$SRC"

# The children /t and /t/sub must have after every tool: no temporary file.
EXPECTED_T="app.conf cp.conf cpp.conf inst.conf mv.conf rs.conf rst.conf sed.conf sub vim.conf vim2.conf"
check_no_leftovers() {
	local what=$1 got
	got=$(zkctl ls /t | paste -sd' ' -)
	assert_eq "$EXPECTED_T" "$got" "children of /t in ZooKeeper after $what (no temporary file left)"
	got=$(zkctl ls /t/sub | paste -sd' ' -)
	assert_eq "deep.conf" "$got" "children of /t/sub in ZooKeeper after $what"
	got=$(cd "$MNT" && LC_ALL=C ls -A | paste -sd' ' -)
	assert_eq ".state $EXPECTED_T" "$got" "ls -A of the mount after $what"
}

# saved_in_place NAME EXPECTED WHAT CZXID VERSION: /t/NAME holds EXPECTED in
# ZooKeeper and through the mount, it is the same znode (CZXID) and its
# version rose by exactly 1 (one write).
saved_in_place() {
	local name=$1 exp=$2 what=$3 cz=$4 v=$5
	assert_zk_content "/t/$name" "$exp" "$what: /t/$name in ZooKeeper"
	assert_file_content "$MNT/$name" "$exp" "$what: $name through the mount"
	assert_eq "$cz" "$(zkstat "/t/$name" czxid)" "$what: czxid of /t/$name (the same znode)"
	assert_eq $((v + 1)) "$(zkstat "/t/$name" version)" "$what: version of /t/$name (one write)"
	check_no_leftovers "$what"
}

# by_one_multi PATH WHAT: PATH was last set by the transaction that last
# changed its parent's children (the temporary file's delete): a rename done
# as one multi.
by_one_multi() {
	assert_eq "$(zkstat "${1%/*}" pzxid)" "$(zkstat "$1" mzxid)" \
		"$2: mzxid of $1 = pzxid of ${1%/*} (set and delete of the temporary file in one multi)"
}

check_no_leftovers "the setup"

# ---------------------------------------------------------------- sed -i

info "sed -i: a temporary file renamed over the original"
assert_file_content "$MNT/sed.conf" $'port = 8080\nhost = a\n' "sed.conf before sed -i"
cz=$(zkstat /t/sed.conf czxid)
v=$(zkstat /t/sed.conf version)
assert_ok "sed -i s/8080/9090/ sed.conf" sed -i 's/8080/9090/' "$MNT/sed.conf"
saved_in_place sed.conf $'port = 9090\nhost = a\n' "sed -i" "$cz" "$v"
by_one_multi /t/sed.conf "sed -i"

cz=$(zkstat /t/sub/deep.conf czxid)
v=$(zkstat /t/sub/deep.conf version)
assert_ok "sed -i in a subdirectory" sed -i 's/1/2/' "$MNT/sub/deep.conf"
assert_zk_content /t/sub/deep.conf $'x = 2\n' "sed -i sub/deep.conf"
assert_eq "$cz" "$(zkstat /t/sub/deep.conf czxid)" "czxid of sub/deep.conf after sed -i"
assert_eq $((v + 1)) "$(zkstat /t/sub/deep.conf version)" "version of sub/deep.conf after sed -i"
by_one_multi /t/sub/deep.conf "sed -i sub/deep.conf"
check_no_leftovers "sed -i sub/deep.conf"

# ---------------------------------------------------------------- vim

info "vim: a swap file next to the file, the file rewritten in place"
cz=$(zkstat /t/vim.conf czxid)
v=$(zkstat /t/vim.conf version)
assert_ok "vim.tiny %s/a/b/ vim.conf" timeout 60 vim.tiny -u NONE -i NONE -es -c '%s/a/b/' -c wq "$MNT/vim.conf"
saved_in_place vim.conf $'baa\nbbb\n' "vim.tiny :%s/a/b/ + :wq" "$cz" "$v"

cz=$(zkstat /t/vim2.conf czxid)
v=$(zkstat /t/vim2.conf version)
assert_ok "vim.tiny shortening vim2.conf" timeout 60 vim.tiny -u NONE -i NONE -es -c '1d' -c wq "$MNT/vim2.conf"
saved_in_place vim2.conf $'second\n' "vim.tiny :1d + :wq (a shorter value)" "$cz" "$v"

# ---------------------------------------------------------------- cp, cp -p, cp + mv

info "cp over an existing file: O_TRUNC + write + close"
printf 'new cp value\n' >"$SRC/cp.conf"
cz=$(zkstat /t/cp.conf czxid)
v=$(zkstat /t/cp.conf version)
assert_ok "cp src cp.conf" cp "$SRC/cp.conf" "$MNT/cp.conf"
saved_in_place cp.conf $'new cp value\n' "cp" "$cz" "$v"

info "cp -p: times, mode and owner are accepted"
printf 'new cp -p value\n' >"$SRC/cpp.conf"
chmod 644 "$SRC/cpp.conf"
chown "$(stat -c %u:%g "$MNT/cpp.conf")" "$SRC/cpp.conf"
touch -d 2001-01-01 "$SRC/cpp.conf"
cz=$(zkstat /t/cpp.conf czxid)
v=$(zkstat /t/cpp.conf version)
assert_ok "cp -p src cpp.conf" cp -p "$SRC/cpp.conf" "$MNT/cpp.conf"
saved_in_place cpp.conf $'new cp -p value\n' "cp -p" "$cz" "$v"

info "cp to a temporary name, then mv over the file"
printf 'new mv value\n' >"$SRC/mv.conf"
cz=$(zkstat /t/mv.conf czxid)
v=$(zkstat /t/mv.conf version)
assert_ok "cp src mv.conf.tmp" cp "$SRC/mv.conf" "$MNT/mv.conf.tmp"
assert_zk_content /t/mv.conf.tmp $'new mv value\n' "mv.conf.tmp after cp"
assert_ok "mv mv.conf.tmp mv.conf" mv "$MNT/mv.conf.tmp" "$MNT/mv.conf"
saved_in_place mv.conf $'new mv value\n' "cp + mv" "$cz" "$v"
by_one_multi /t/mv.conf "cp + mv"

# ---------------------------------------------------------------- install

info "install -m 644: unlink, then a new file (O_CREAT|O_EXCL), then chmod 644"
printf 'new install value\n' >"$SRC/inst.conf"
assert_ok "install -m 644 src inst.conf" install -m 644 "$SRC/inst.conf" "$MNT/inst.conf"
assert_zk_content /t/inst.conf $'new install value\n' "install: /t/inst.conf in ZooKeeper"
assert_file_content "$MNT/inst.conf" $'new install value\n' "install: inst.conf through the mount"
assert_eq 644 "$(stat -c %a "$MNT/inst.conf")" "install: mode of inst.conf"
check_no_leftovers "install"

# ---------------------------------------------------------------- rsync

info "rsync and rsync -t: a temporary file renamed over the file"
printf 'new rsync value\n' >"$SRC/rs.conf"
cz=$(zkstat /t/rs.conf czxid)
v=$(zkstat /t/rs.conf version)
assert_ok "rsync src rs.conf" rsync "$SRC/rs.conf" "$MNT/rs.conf"
saved_in_place rs.conf $'new rsync value\n' "rsync" "$cz" "$v"
by_one_multi /t/rs.conf "rsync"

printf 'new rsync -t value\n' >"$SRC/rst.conf"
touch -d 2001-01-01 "$SRC/rst.conf"
cz=$(zkstat /t/rst.conf czxid)
v=$(zkstat /t/rst.conf version)
assert_ok "rsync -t src rst.conf" rsync -t "$SRC/rst.conf" "$MNT/rst.conf"
saved_in_place rst.conf $'new rsync -t value\n' "rsync -t" "$cz" "$v"
by_one_multi /t/rst.conf "rsync -t"

# ---------------------------------------------------------------- shell

info "shell: >> appends, tee rewrites"
cz=$(zkstat /t/app.conf czxid)
v=$(zkstat /t/app.conf version)
sh_ok "echo two >> app.conf" 'echo two >>"$1"' "$MNT/app.conf"
saved_in_place app.conf $'one\ntwo\n' "echo >>" "$cz" "$v"
v=$((v + 1))
sh_ok "printf | tee app.conf" 'printf "three\n" | tee "$1" >/dev/null' "$MNT/app.conf"
saved_in_place app.conf $'three\n' "tee" "$cz" "$v"

zkfs_umount "$MNT"
