#!/bin/bash
# Random file operations through the mount against an in-memory model
# (tests/integration/fsxlite.c): pwrite with gaps, pread compared byte for
# byte, ftruncate both ways, appends through the file offset, closes and
# reopens. After every operation fsxlite checks that fstat's st_size and
# lseek(SEEK_END) give the length the handle's own writes made
# (docs/SEMANTICS.md "Buffers and commits": a writer's uncommitted buffer shows
# in its fstat and lseek). At the end the znode (zkctl, the ground truth) and
# the mount's cat must hold exactly the model's bytes.
#
# Environment (set by meson): FSXLITE_BIN, besides lib.sh's. Optional:
# FSX_OPS (default 10000) and FSX_OPS_B (4000), the operations of the two runs
# (tools/test's valgrind stage runs fewer).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ -n "${FSXLITE_BIN:-}" ] && [ -x "$FSXLITE_BIN" ] ||
	fail "FSXLITE_BIN is not set to an executable (got '${FSXLITE_BIN:-}'): tests/integration/fsxlite"

zk_start
zkctl create /fsx

MNT=$TEST_DIR/mnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/fsx" "$MNT"

# run_fsx NAME WHAT FSXLITE_ARGS...: fsxlite on MNT/NAME; then zkctl get /fsx/NAME
# and cat MNT/NAME must both be the model's bytes.
run_fsx() {
	local name=$1 what=$2 model=$TEST_DIR/$1.model out=$TEST_DIR/$1.out rc=0 t0 ms
	shift 2
	info "$what: fsxlite $* $name"
	t0=$(_now_ms)
	"$FSXLITE_BIN" "$@" "$MNT/$name" "$model" >"$out" 2>&1 || rc=$?
	ms=$(($(_now_ms) - t0))
	if [ "$rc" != 0 ]; then
		cat "$out" >&2
		fail "$what: fsxlite $* failed (exit $rc) after $ms ms: $(grep -m1 FAIL "$out" || tail -n 1 "$out")"
	fi
	info "$(cat "$out") [$ms ms]"
	[ -f "$model" ] || fail "$what: fsxlite wrote no model to $model"
	assert_zk_file "/fsx/$name" "$model" "$what: /fsx/$name in ZooKeeper after fsxlite"
	local got=$TEST_DIR/$name.cat
	timeout 30 cat "$MNT/$name" >"$got" || fail "$what: cat $MNT/$name failed"
	cmp -s "$got" "$model" ||
		fail "$what: cat $MNT/$name ($(stat -c %s "$got") bytes) differs from the model ($(stat -c %s "$model") bytes): $(cmp "$got" "$model" 2>&1 | head -n 1)"
	assert_eq "$(stat -c %s "$model")" "$(stat -c %s "$MNT/$name")" "$what: stat size of $name after fsxlite"
}

# (a) one handle for the whole run, one commit at the end: the shape of the
# acceptance run of xfstests' fsx (no mmap, files up to 500 kB, sizes checked
# after every operation).
run_fsx a.bin "one handle, ${FSX_OPS:-10000} ops" -n "${FSX_OPS:-10000}" -l 500000 -s 1

# (b) closes and reopens (a commit each, then the whole content read back), an
# fsync after every change (a commit each), and appends through a second
# O_APPEND descriptor. Smaller and fewer than (a): about 2,800 commits of up to
# 100 kB. The test's ZooKeeper (lib.sh: -Xmx256m) keeps its last 500 committed
# requests in memory (zookeeper.commitLogCount) and runs out of heap after a
# few hundred commits of ~500 kB; the disk it writes grows with every commit.
run_fsx b.bin "reopen 1/50, fsync, O_APPEND descriptor" -n "${FSX_OPS_B:-4000}" -l 100000 -s 2 \
	-c 50 -y -a

zkfs_umount "$MNT"
