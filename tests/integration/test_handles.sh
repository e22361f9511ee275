#!/bin/bash
# docs/SEMANTICS.md "Writing" and "Consistency": what a process sees through
# its own open file descriptor, as on a local file system.
#
#   2  A handle's own writes show in its fstat(2) and lseek(SEEK_END) before
#      close: the size is that of the handle's buffer, not ZooKeeper's value.
#         2a O_RDWR, lseek to the end, write, lseek(SEEK_END), fstat, write more
#         2b O_WRONLY|O_TRUNC of an existing file, write, fstat
#         2c O_CREAT of a new file, write, fstat
#   7  An open descriptor outlives its name: after another process removes
#      the name, fstat(2) still succeeds with the size the file had, and
#      reading gives the content it opened.
#         7a the name unlinked (rm)      7b the name renamed over (mv other FILE)
#
# ONLY=ID[,ID...] runs some sections alone (see userlib.sh): ONLY=7.
# Python's os module makes the exact system calls; every value is checked in
# ZooKeeper (zkctl, the ground truth) and through the mount.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/userlib.sh"
export LC_ALL=C

zk_start
zkctl create /h

MNT=$TEST_DIR/mnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/h" "$MNT"

# run_py TAG SCRIPT ARGS...: run a Python program; it must exit 0. Its
# "KEY VALUE" lines are read with py_field TAG KEY.
run_py() {
	local tag=$1 rc=0
	shift
	"$PYTHON" "$@" >"$TEST_DIR/py.$tag.out" 2>"$TEST_DIR/py.$tag.err" </dev/null || rc=$?
	[ "$rc" = 0 ] ||
		fail "$tag: expected the program to succeed, but python exited $rc after printing '$(paste -sd' ' "$TEST_DIR/py.$tag.out")': $(grep -v '^ ' "$TEST_DIR/py.$tag.err" | tail -n 2 | paste -sd' ' -)"
}

# hex STRING: its bytes in hexadecimal, as Python's bytes.hex() gives them.
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

# ---------------------------------------------------------------- 2. a handle sees its own writes

if section 2a "O_RDWR: lseek(SEEK_END) and fstat see the handle's own writes"; then
	zkctl create /h/seek.conf $'hello\n'
	assert_file_content "$MNT/seek.conf" $'hello\n' "seek.conf before the test"
	cat >"$TEST_DIR/seek.py" <<-'EOF'
		import os, sys
		fd = os.open(sys.argv[1], os.O_RDWR)
		print("end0", os.lseek(fd, 0, os.SEEK_END), flush=True)
		os.write(fd, b"abc")
		print("end1", os.lseek(fd, 0, os.SEEK_END), flush=True)
		print("size1", os.fstat(fd).st_size, flush=True)
		os.write(fd, b"def")
		os.close(fd)
	EOF
	run_py 2a "$TEST_DIR/seek.py" "$MNT/seek.conf"
	assert_eq 6 "$(py_field 2a end0)" "2a: lseek(fd, 0, SEEK_END) right after open(O_RDWR) of 'hello\\n'"
	assert_eq 9 "$(py_field 2a end1)" "2a: lseek(fd, 0, SEEK_END) after the handle wrote 'abc' at the end of 'hello\\n' (its own write must count)"
	assert_eq 9 "$(py_field 2a size1)" "2a: fstat(fd).st_size after the handle wrote 'abc' at the end of 'hello\\n'"
	assert_zk_content /h/seek.conf $'hello\nabcdef' "2a: /h/seek.conf after write 'abc', lseek(SEEK_END), write 'def', close"
	assert_file_content "$MNT/seek.conf" $'hello\nabcdef' "2a: seek.conf through the mount after close"
fi

if section 2b "O_WRONLY|O_TRUNC of an existing file: fstat sees the handle's 10 bytes"; then
	zkctl create /h/trunc.conf $'0123456789abcdef\n'
	assert_file_content "$MNT/trunc.conf" $'0123456789abcdef\n' "trunc.conf before the test"
	cat >"$TEST_DIR/trunc.py" <<-'EOF'
		import os, sys
		fd = os.open(sys.argv[1], os.O_WRONLY | os.O_TRUNC)
		os.write(fd, b"ten bytes\n")
		print("size1", os.fstat(fd).st_size, flush=True)
		os.close(fd)
	EOF
	run_py 2b "$TEST_DIR/trunc.py" "$MNT/trunc.conf"
	assert_eq 10 "$(py_field 2b size1)" "2b: fstat(fd).st_size after open(O_WRONLY|O_TRUNC) of a 17-byte file and a write of 10 bytes, before close"
	assert_zk_content /h/trunc.conf $'ten bytes\n' "2b: /h/trunc.conf after close"
	assert_file_content "$MNT/trunc.conf" $'ten bytes\n' "2b: trunc.conf through the mount after close"
fi

if section 2c "O_CREAT of a new file: fstat sees the handle's 5 bytes"; then
	zk_absent /h/fresh.conf || fail "2c: /h/fresh.conf exists before the test"
	cat >"$TEST_DIR/creat.py" <<-'EOF'
		import os, sys
		fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
		os.write(fd, b"five\n")
		print("size1", os.fstat(fd).st_size, flush=True)
		os.close(fd)
	EOF
	run_py 2c "$TEST_DIR/creat.py" "$MNT/fresh.conf"
	assert_eq 5 "$(py_field 2c size1)" "2c: fstat(fd).st_size after open(O_WRONLY|O_CREAT) of a new file and a write of 5 bytes, before close"
	assert_zk_content /h/fresh.conf $'five\n' "2c: /h/fresh.conf after close"
	assert_eq 0 "$(zkstat /h/fresh.conf version)" "2c: version of /h/fresh.conf (created with its data)"
	assert_file_content "$MNT/fresh.conf" $'five\n' "2c: fresh.conf through the mount after close"
fi

# ---------------------------------------------------------------- 7. a descriptor outlives its name

cat >"$TEST_DIR/hold.py" <<'EOF'
# Open FILE read-only, say "ready", wait until GO exists (at most 60 s), then
# fstat the descriptor and read it from the start.
import errno, os, sys
from golib import wait_go
path, go = sys.argv[1:3]
fd = os.open(path, os.O_RDONLY)
print("size0", os.fstat(fd).st_size, flush=True)
print("ready", flush=True)
wait_go(go)
try:
    st = os.fstat(fd)
    print("fstat ok", flush=True)
    print("size", st.st_size, flush=True)
    print("nlink", st.st_nlink, flush=True)
except OSError as e:
    print("fstat", errno.errorcode.get(e.errno, e.errno), flush=True)
try:
    print("read", os.read(fd, 1 << 20).hex(), flush=True)
except OSError as e:
    print("read", errno.errorcode.get(e.errno, e.errno), flush=True)
os.close(fd)
EOF

# check_held TAG CONTENT WHAT: the held descriptor of python TAG (opened on
# CONTENT) could still fstat, with CONTENT's size, and read CONTENT.
check_held() {
	local tag=$1 content=$2 what=$3 size=${#2}
	assert_eq ok "$(py_field "$tag" fstat)" "$tag: fstat(2) of a descriptor opened before $what (expected success, as on a local file system)"
	assert_eq "$size" "$(py_field "$tag" size)" "$tag: fstat(fd).st_size of a descriptor opened before $what (the size it had)"
	info "$tag: st_nlink after $what: $(py_field "$tag" nlink) (a local file system gives 0)"
	assert_eq "$(hex "$content")" "$(py_field "$tag" read)" "$tag: the bytes read(2) gives, in hex, from a descriptor opened before $what (the content it opened)"
}

if section 7a "fstat and read of an open descriptor after rm of its name"; then
	zkctl create /h/gone.conf $'opened value\n'
	assert_file_content "$MNT/gone.conf" $'opened value\n' "gone.conf before the test"
	py_start 7a "$TEST_DIR/hold.py" "$MNT/gone.conf" "$TEST_DIR/go.7a"
	assert_eq 13 "$(py_field 7a size0)" "7a: fstat(fd).st_size right after open"
	assert_ok "7a: rm gone.conf (by another process, while it is held open)" rm "$MNT/gone.conf"
	assert_zk_absent /h/gone.conf "7a: gone.conf after rm"
	touch "$TEST_DIR/go.7a"
	py_finish 7a
	check_held 7a $'opened value\n' "its name was unlinked by another process"
fi

if section 7b "fstat and read of an open descriptor after its name was renamed over"; then
	zkctl create /h/over.conf $'old value here\n'
	zkctl create /h/other.conf $'new\n'
	assert_file_content "$MNT/over.conf" $'old value here\n' "over.conf before the test"
	assert_file_content "$MNT/other.conf" $'new\n' "other.conf before the test"
	py_start 7b "$TEST_DIR/hold.py" "$MNT/over.conf" "$TEST_DIR/go.7b"
	assert_eq 15 "$(py_field 7b size0)" "7b: fstat(fd).st_size right after open"
	assert_ok "7b: mv other.conf over.conf (by another process, while over.conf is held open)" mv "$MNT/other.conf" "$MNT/over.conf"
	assert_zk_content /h/over.conf $'new\n' "7b: /h/over.conf after mv other.conf over.conf"
	assert_zk_absent /h/other.conf "7b: other.conf after mv"
	touch "$TEST_DIR/go.7b"
	py_finish 7b
	check_held 7b $'old value here\n' "its name was renamed over by another process"
	assert_file_content "$MNT/over.conf" $'new\n' "7b: over.conf through the mount after the mv"
fi

sections_done
zkfs_umount "$MNT"
