#!/bin/bash
# docs/SEMANTICS.md "Writing": saving a file the ways programs do, alone and
# while others save the same file, never loses data.
#
#   1  Python saves through a temporary file renamed over the target BEFORE
#      it is closed (tempfile.NamedTemporaryFile + os.replace inside the
#      `with`; os.open(O_CREAT) + write + os.rename + close): no exception, the
#      target holds the data, the temporary name is gone.
#         1a tempfile over an existing file     1b tempfile to a new name
#         1c os.open over an existing file      1d os.open to a new name
#         1e tempfile + os.fsync over an existing file (a guard: passes today)
#         1f tempfile to a new name: the target holds the data right after the
#            replace, before the close (never empty)
#      (1b and 1e pass on today's build: they guard the fix.)
#   3  Two loops of `sed -i '$a LINE'` on the same file, each line's sed
#      either exits 0 and its line is in ZooKeeper exactly once, or fails and
#      its line is absent (no lost update of an acknowledged save).
#         3a through two mounts of the same tree   3b two loops on one mount
#   4  `echo line >> FILE` from two mounts at once: every line is kept, once.
#
# ONLY=ID[,ID...] runs some sections alone (see userlib.sh): ONLY=3b.
# Every check is made in ZooKeeper (zkctl, the ground truth) and through the mount.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/userlib.sh"
export LC_ALL=C

command -v sed >/dev/null 2>&1 || fail "sed is absent"

zk_start
zkctl create /r
zkctl create /r/s3a
zkctl create /r/s3a/list.conf $'# list\n'
zkctl create /r/s3b
zkctl create /r/s3b/list.conf $'# list\n'
zkctl create /r/a4
zkctl create /r/a4/log.conf $'# log\n'

MNT=$TEST_DIR/mnt
MNT2=$TEST_DIR/mnt2
zkfs_mount "zookeeper://$ZK_HOSTPORT/r" "$MNT"
zkfs_mount "zookeeper://$ZK_HOSTPORT/r" "$MNT2"

# zk_value PATH: set VALUE to ZooKeeper's exact value of PATH (trailing newlines kept).
zk_value() {
	VALUE=$(zkctl get "$1" && echo .) || fail "zkctl get $1 failed"
	VALUE=${VALUE%.}
}

# ---------------------------------------------------------------- 1. save through a rename before close

cat >"$TEST_DIR/tempfile_save.py" <<'EOF'
# The usual "atomic save" of Python programs, with the replace inside the
# `with` (before the temporary file is closed).
# With a 4th argument "fsync", also os.fsync before the replace (a durable save).
import os, sys, tempfile
mnt, target, data = sys.argv[1:4]
with tempfile.NamedTemporaryFile('w', dir=mnt, delete=False) as f:
    print("tmp", os.path.basename(f.name), flush=True)
    f.write(data)
    f.flush()
    if sys.argv[4:] == ["fsync"]:
        os.fsync(f.fileno())
    os.replace(f.name, os.path.join(mnt, target))
print("done ok", flush=True)
EOF
cat >"$TEST_DIR/tempfile_hold.py" <<'EOF'
# tempfile + os.replace, then say "ready" and wait (at most 60 s) for GO
# before the `with` closes the file: what the target holds in between.
import os, sys, tempfile
from golib import wait_go
mnt, target, data, go = sys.argv[1:5]
with tempfile.NamedTemporaryFile('w', dir=mnt, delete=False) as f:
    print("tmp", os.path.basename(f.name), flush=True)
    f.write(data)
    f.flush()
    os.replace(f.name, os.path.join(mnt, target))
    print("ready", flush=True)
    wait_go(go)
print("done ok", flush=True)
EOF
cat >"$TEST_DIR/open_save.py" <<'EOF'
# open(O_CREAT|O_WRONLY) (no O_EXCL) + write + rename + close.
import os, sys
mnt, tmp, target, data = sys.argv[1:5]
fd = os.open(os.path.join(mnt, tmp), os.O_CREAT | os.O_WRONLY, 0o644)
print("tmp", tmp, flush=True)
os.write(fd, data.encode())
os.rename(os.path.join(mnt, tmp), os.path.join(mnt, target))
os.close(fd)
print("done ok", flush=True)
EOF

# run_save TAG NAME SCRIPT ARGS...: run a program that saves to NAME; it
# must exit 0. Sets TMPNAME to the temporary name it used.
run_save() {
	local tag=$1 name=$2 out=$TEST_DIR/py.$1.out err=$TEST_DIR/py.$1.err rc=0 now
	shift 2
	"$PYTHON" "$@" >"$out" 2>"$err" </dev/null || rc=$?
	TMPNAME=$(py_field "$tag" tmp)
	if [ "$rc" != 0 ]; then
		now=$(zkctl get "/r/$name" 2>&1 && echo .) || true
		fail "$tag: expected the save to succeed (exit 0, no exception), but python exited $rc: $(grep -v '^ ' "$err" | tail -n 2 | paste -sd' ' -) (ZooKeeper now holds '$(_show "${now%.}")' at /r/$name)"
	fi
	[ -n "$TMPNAME" ] || fail "$tag: the program printed no temporary name"
}

# check_saved TAG NAME DATA [CZXID]: after a save of DATA to NAME through
# the temporary $TMPNAME: ZooKeeper holds DATA at /r/NAME (the same znode when
# CZXID is given), the temporary name is gone, and the mount shows DATA.
check_saved() {
	local tag=$1 name=$2 data=$3 cz=${4:-} listing
	assert_zk_content "/r/$name" "$data" "$tag: /r/$name in ZooKeeper after the save (expected exactly the data written before the rename)"
	zk_absent "/r/$TMPNAME" ||
		fail "$tag: the temporary znode /r/$TMPNAME still exists in ZooKeeper after the save (expected it gone; it holds '$(_show "$(zkctl get "/r/$TMPNAME" 2>&1)")')"
	listing=$(ls -A "$MNT") || fail "$tag: ls -A of the mount failed"
	! grep -qxF "$TMPNAME" <<<"$listing" ||
		fail "$tag: ls -A of the mount still lists the temporary $TMPNAME after the save (expected it gone)"
	assert_file_content "$MNT/$name" "$data" "$tag: $name through the mount after the save"
	if [ -n "$cz" ]; then
		assert_eq "$cz" "$(zkstat "/r/$name" czxid)" "$tag: czxid of /r/$name (a rename over an existing file keeps its znode)"
	fi
}

if section 1a "tempfile.NamedTemporaryFile + os.replace before close, over an existing file"; then
	zkctl create /r/t1a.conf $'old = 1\n'
	assert_file_content "$MNT/t1a.conf" $'old = 1\n' "t1a.conf before the save"
	cz=$(zkstat /r/t1a.conf czxid)
	run_save 1a t1a.conf "$TEST_DIR/tempfile_save.py" "$MNT" t1a.conf $'new = 2\nmore = 3\n'
	check_saved 1a t1a.conf $'new = 2\nmore = 3\n' "$cz"
fi

if section 1b "tempfile.NamedTemporaryFile + os.replace before close, to a new name (a guard: passes today)"; then
	zk_absent /r/t1b.conf || fail "1b: /r/t1b.conf exists before the test"
	run_save 1b t1b.conf "$TEST_DIR/tempfile_save.py" "$MNT" t1b.conf $'fresh = yes\n'
	check_saved 1b t1b.conf $'fresh = yes\n'
fi

if section 1c "os.open(O_CREAT|O_WRONLY) + write + os.rename + close, over an existing file"; then
	zkctl create /r/t1c.conf $'old = c\n'
	assert_file_content "$MNT/t1c.conf" $'old = c\n' "t1c.conf before the save"
	cz=$(zkstat /r/t1c.conf czxid)
	run_save 1c t1c.conf "$TEST_DIR/open_save.py" "$MNT" .t1c.conf.tmp t1c.conf $'new = c\n'
	check_saved 1c t1c.conf $'new = c\n' "$cz"
fi

if section 1d "os.open(O_CREAT|O_WRONLY) + write + os.rename + close, to a new name"; then
	zk_absent /r/t1d.conf || fail "1d: /r/t1d.conf exists before the test"
	run_save 1d t1d.conf "$TEST_DIR/open_save.py" "$MNT" .t1d.conf.tmp t1d.conf $'new = d\n'
	check_saved 1d t1d.conf $'new = d\n'
fi

if section 1e "tempfile + flush + os.fsync + os.replace before close, over an existing file (a guard: passes today)"; then
	zkctl create /r/t1e.conf $'old = e\n'
	assert_file_content "$MNT/t1e.conf" $'old = e\n' "t1e.conf before the save"
	cz=$(zkstat /r/t1e.conf czxid)
	run_save 1e t1e.conf "$TEST_DIR/tempfile_save.py" "$MNT" t1e.conf $'durable = e\n' fsync
	check_saved 1e t1e.conf $'durable = e\n' "$cz"
fi

if section 1f "tempfile + os.replace to a new name: between the replace and the close, the target already holds the data"; then
	zk_absent /r/t1f.conf || fail "1f: /r/t1f.conf exists before the test"
	py_start 1f "$TEST_DIR/tempfile_hold.py" "$MNT" t1f.conf $'between = f\n' "$TEST_DIR/go.1f"
	TMPNAME=$(py_field 1f tmp)
	assert_zk_content /r/t1f.conf $'between = f\n' "1f: /r/t1f.conf in ZooKeeper after os.replace, before the close (expected the data written and flushed before the replace, never an empty value)"
	assert_file_content "$MNT/t1f.conf" $'between = f\n' "1f: t1f.conf through the mount after os.replace, before the close (as on a local file system)"
	touch "$TEST_DIR/go.1f"
	py_finish 1f
	check_saved 1f t1f.conf $'between = f\n'
fi

# ---------------------------------------------------------------- concurrent writers

# race_loop OUT GO N FUNC ARGS...: (run in the background) wait until GO
# exists, then run FUNC ARGS I for I = 1..N, appending "ok I" or "fail I" to
# OUT (by FUNC's exit status) and FUNC's stderr to OUT.err; "end" at the end.
race_loop() {
	local out=$1 go=$2 n=$3 i
	shift 3
	set +e
	wait_until 30 test -e "$go" || {
		echo "no go" >>"$out"
		exit 1
	}
	for ((i = 1; i <= n; i++)); do
		if "$@" "$i" 2>>"$out.err"; then echo "ok $i"; else echo "fail $i"; fi >>"$out"
	done
	echo end >>"$out"
}
sed_append() { sed -i "\$a LINE-$2-$3" "$1"; }   # FILE WRITER I
shell_append() { echo "APP-$2-$3" >>"$1"; }      # FILE WRITER I

# race TAG N FUNC FILE_A FILE_B: writers A (on FILE_A) and B (on FILE_B) run
# FUNC N times each, at once. Logs in $TEST_DIR/race.TAG.{A,B}.
race() {
	local tag=$1 n=$2 func=$3 go=$TEST_DIR/race.$1.go pa pb w
	rm -f "$go"
	: >"$TEST_DIR/race.$tag.A"
	: >"$TEST_DIR/race.$tag.B"
	race_loop "$TEST_DIR/race.$tag.A" "$go" "$n" "$func" "$4" A </dev/null &
	pa=$!
	track_pid "$pa"
	race_loop "$TEST_DIR/race.$tag.B" "$go" "$n" "$func" "$5" B </dev/null &
	pb=$!
	track_pid "$pb"
	touch "$go"
	for w in "$pa" "$pb"; do
		wait_until 240 _pid_gone "$w" ||
			fail "$tag: a writer loop did not end within 240 s (a call through the mount hangs?): A: $(tail -n1 "$TEST_DIR/race.$tag.A"), B: $(tail -n1 "$TEST_DIR/race.$tag.B")"
		wait "$w" || true
	done
	for w in A B; do
		[ "$(tail -n1 "$TEST_DIR/race.$tag.$w")" = end ] ||
			fail "$tag: writer $w did not run to its end: $(tail -n2 "$TEST_DIR/race.$tag.$w" | paste -sd' ' -)"
	done
}

# race_check TAG ZKPATH HEADER PREFIX MNT...: after race TAG, ZooKeeper's
# value of ZKPATH is HEADER (lines) followed by exactly the lines
# PREFIX-W-I of the calls that succeeded, each once, and none of those that
# failed; then every MNT shows that value.
race_check() {
	local tag=$1 zpath=$2 header=$3 prefix=$4 w ok fl problems='' nlines nhead total=0 m k
	shift 4
	zk_value "$zpath"
	printf '%s' "$VALUE" >"$TEST_DIR/race.$tag.value"
	for w in A B; do
		ok=$(grep -c '^ok ' "$TEST_DIR/race.$tag.$w" || true)
		fl=$(grep -c '^fail ' "$TEST_DIR/race.$tag.$w" || true)
		info "$tag: writer $w: $ok succeeded, $fl failed$( ((fl == 0)) || echo ": $(sed 's/.*: //' "$TEST_DIR/race.$tag.$w.err" | sort | uniq -c | sort -rn | head -n 3 | sed 's/^ *//' | paste -sd';' -)")"
		total=$((total + ok))
	done
	# "ok|fail<TAB>LINE" for every attempt, then the value: the problems.
	for w in A B; do
		sed -n "s/^\(ok\|fail\) \([0-9]*\)$/\1\t$prefix-$w-\2/p" "$TEST_DIR/race.$tag.$w"
	done >"$TEST_DIR/race.$tag.attempts"
	# one line "KIND<TAB>LINE" per problem: lost (a call exited 0, its line is
	# absent), dup (present more than once), ghost (a failed call's line is
	# present), alien (a line nobody wrote)
	awk -F'\t' -v hdr="$header" '
		NR == FNR { want[$2] = $1; next }
		{ n[$0]++ }
		FNR <= split(hdr, h, "\n") && $0 == h[FNR] { next }
		!($0 in want) { print "alien\t" $0 }
		END {
			for (l in want) {
				if (want[l] == "ok" && !n[l]) print "lost\t" l
				if (want[l] == "ok" && n[l] > 1) print "dup\t" l
				if (want[l] == "fail" && n[l]) print "ghost\t" l
			}
		}' "$TEST_DIR/race.$tag.attempts" "$TEST_DIR/race.$tag.value" | sort -V >"$TEST_DIR/race.$tag.problems"
	if [ -s "$TEST_DIR/race.$tag.problems" ]; then
		for k in lost dup ghost alien; do
			problems+="$(grep -c "^$k" "$TEST_DIR/race.$tag.problems" || true) $k ($(sed -n "s/^$k\t//p" "$TEST_DIR/race.$tag.problems" | head -n 4 | paste -sd' ' -)); "
		done
		fail "$tag: expected ZooKeeper's $zpath to hold, after its header, exactly once the line of each of the $total calls that exited 0 and no line of a failed call; found: $problems(lost: a call exited 0 but its line is absent; dup: more than once; ghost: the line of a failed call; alien: a line nobody wrote)"
	fi
	nhead=$(printf '%s\n' "$header" | wc -l)
	nlines=$(awk 'END { print NR }' "$TEST_DIR/race.$tag.value")
	assert_eq $((nhead + total)) "$nlines" "$tag: number of lines of $zpath in ZooKeeper ($nhead header + one per call that succeeded)"
	[ "$(head -n "$nhead" "$TEST_DIR/race.$tag.value")" = "$header" ] ||
		fail "$tag: $zpath no longer starts with its header '$(_show "$header")'"
	for w in A B; do
		(($(grep -c '^ok ' "$TEST_DIR/race.$tag.$w" || true) > 0)) ||
			fail "$tag: no call of writer $w succeeded (expected some from each writer)"
	done
	for m in "$@"; do
		wait_until 10 file_is "$m" "$VALUE" ||
			fail "$tag: $m does not show ZooKeeper's value within 10 s: it shows $(wc -l <"$m") lines, ZooKeeper has $nlines"
	done
}

# no_leftovers TAG ZKDIR EXPECTED: the children of ZKDIR (no temporary files).
no_leftovers() {
	assert_eq "$3" "$(zkctl ls "$2" | paste -sd' ' -)" "$1: children of $2 in ZooKeeper (no temporary file left behind)"
}

if section 3a "two loops of sed -i '\$a LINE' on one file, through two mounts of the same tree"; then
	assert_file_content "$MNT/s3a/list.conf" $'# list\n' "s3a/list.conf through the first mount"
	assert_file_content "$MNT2/s3a/list.conf" $'# list\n' "s3a/list.conf through the second mount"
	race 3a 40 sed_append "$MNT/s3a/list.conf" "$MNT2/s3a/list.conf"
	race_check 3a /r/s3a/list.conf "# list" LINE "$MNT/s3a/list.conf" "$MNT2/s3a/list.conf"
	no_leftovers 3a /r/s3a list.conf
fi

if section 3b "two loops of sed -i '\$a LINE' on one file, on one mount"; then
	assert_file_content "$MNT/s3b/list.conf" $'# list\n' "s3b/list.conf through the mount"
	race 3b 40 sed_append "$MNT/s3b/list.conf" "$MNT/s3b/list.conf"
	race_check 3b /r/s3b/list.conf "# list" LINE "$MNT/s3b/list.conf" "$MNT2/s3b/list.conf"
	no_leftovers 3b /r/s3b list.conf
fi

if section 4 "echo line >> FILE from two mounts at once: every line kept"; then
	assert_file_content "$MNT/a4/log.conf" $'# log\n' "a4/log.conf through the first mount"
	assert_file_content "$MNT2/a4/log.conf" $'# log\n' "a4/log.conf through the second mount"
	race 4 50 shell_append "$MNT/a4/log.conf" "$MNT2/a4/log.conf"
	for w in A B; do
		assert_eq 0 "$(grep -c '^fail ' "$TEST_DIR/race.4.$w" || true)" "4: failed 'echo >>' of writer $w (open failed: $(head -n2 "$TEST_DIR/race.4.$w.err" | paste -sd' ' -))"
	done
	race_check 4 /r/a4/log.conf "# log" APP "$MNT/a4/log.conf" "$MNT2/a4/log.conf"
	no_leftovers 4 /r/a4 log.conf
fi

sections_done
zkfs_umount "$MNT2"
zkfs_umount "$MNT"
