#!/bin/bash
# SPEC §5, docs/SEMANTICS.md "Writing": what write, close, fsync and truncate
# do to a file's znode. A writer's bytes are buffered per open file and
# committed with ONE ZooKeeper write at close and fsync; a buffer that started
# from existing content commits only if the znode's version is unchanged
# (else ESTALE); values over max_size fail with EFBIG and poison the handle.
# Every check is made through the mount AND with zkctl (the ground truth).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export LC_ALL=C # the messages of coreutils, as errno_msg gives them

WAIT=5 # seconds a remote change may take to appear in the mount

zk_start
zkctl create /w
zkctl create /w/a.conf "original"
zkctl create /w/d "dir data"
zkctl create /w/d/kid "k"

MNT=$TEST_DIR/mnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/w" "$MNT"

ver() { zkstat "/w/$1" version; }

# next_go: a fresh file name for wr's "wait" step (GO).
GO_N=0
next_go() {
	GO_N=$((GO_N + 1))
	GO=$TEST_DIR/go.$GO_N
}

# read_by_other FILE: set OTHER to FILE's content as another process reads
# it, exactly (trailing newlines kept); fails the test if cat fails.
read_by_other() {
	OTHER=$(bash -c 'cat "$1" && echo .' _ "$1") || fail "another process: cat $1 failed: $OTHER"
	OTHER=${OTHER%.}
}

# remote_set NAME VALUE: set /w/NAME with zkctl; wait until the mount shows it.
remote_set() {
	zkctl set "/w/$1" "$2"
	wait_until "$WAIT" file_is "$MNT/$1" "$2" ||
		fail "$1: the remote set to '$(_show "$2")' is not visible within $WAIT s (cat gives '$(_show "$(cat "$MNT/$1" 2>&1)")')"
}

# ---------------------------------------------------------------- 1. one set per commit

info "echo x > existing: one set, no intermediate empty value"
assert_file_content "$MNT/a.conf" "original" "a.conf before writing (warms the caches)"
v=$(ver a.conf)
cz=$(zkstat /w/a.conf czxid)
sh_ok "echo x > a.conf (an existing file)" 'echo x >"$1"' "$MNT/a.conf"
assert_zk_content /w/a.conf $'x\n' "a.conf in ZooKeeper after echo x >"
assert_eq $((v + 1)) "$(ver a.conf)" "version of a.conf after echo x > (exactly one set: neither a truncation nor the shell's flush before its write may commit)"
assert_eq "$cz" "$(zkstat /w/a.conf czxid)" "czxid of a.conf after echo x > (the same znode)"
assert_file_content "$MNT/a.conf" $'x\n' "a.conf through the mount after echo x >"
assert_eq 2 "$(stat -c %s "$MNT/a.conf")" "stat size of a.conf after echo x >"

info "O_TRUNC does not empty the value before the commit"
next_go
v=$(ver a.conf)
wr_start trunc open "$MNT/a.conf" trunc write "second value" wait "$GO"
assert_zk_content /w/a.conf $'x\n' "a.conf in ZooKeeper while an O_TRUNC writer holds it open (must not be emptied)"
assert_eq "$v" "$(ver a.conf)" "version of a.conf while an O_TRUNC writer holds it open"
read_by_other "$MNT/a.conf"
[ "$OTHER" = $'x\n' ] || [ "$OTHER" = "second value" ] ||
	fail "a.conf read by another process while an O_TRUNC writer holds it open: '$(_show "$OTHER")' (expected the old value 'x\\n' or the whole new one, never empty or partial)"
wr_finish trunc "$GO" "O_TRUNC + write + close"
assert_zk_content /w/a.conf "second value" "a.conf after an O_TRUNC write and close"
assert_eq $((v + 1)) "$(ver a.conf)" "version of a.conf after an O_TRUNC write (one set at close)"
assert_file_content "$MNT/a.conf" "second value" "a.conf through the mount after the O_TRUNC write"

# ---------------------------------------------------------------- 2. conditional commits

info "an O_APPEND buffer and a remote change: appended to the newest value"
remote_set a.conf "base"

next_go
wr_start append open "$MNT/a.conf" append write "+mine" wait "$GO"
zkctl set /w/a.conf "remote 1"
v=$(ver a.conf)
wr_finish append "$GO" "O_APPEND writer, remote change before close"
assert_zk_content /w/a.conf "remote 1+mine" "a.conf after an O_APPEND commit that found a newer value (appended to it, nothing lost)"
assert_eq $((v + 1)) "$(ver a.conf)" "version of a.conf after the O_APPEND commit (one set, on the newest version)"
wait_until "$WAIT" file_is "$MNT/a.conf" "remote 1+mine" ||
	fail "a.conf: the mount does not show the appended value within $WAIT s: '$(_show "$(cat "$MNT/a.conf" 2>&1)")'"

info "a buffer that started from existing content and a remote change: ESTALE"

next_go
wr_start offset open "$MNT/a.conf" wronly pwrite 0 "R" wait "$GO"
zkctl set /w/a.conf "remote 2"
v=$(ver a.conf)
wr_finish offset "$GO" "write at offset 0 without O_TRUNC, remote change before close" "close: ESTALE"
assert_zk_content /w/a.conf "remote 2" "a.conf after a refused write-at-offset commit"
assert_eq "$v" "$(ver a.conf)" "version of a.conf after a refused write-at-offset commit"
wait_until "$WAIT" file_is "$MNT/a.conf" "remote 2" ||
	fail "a.conf: the mount does not show 'remote 2' within $WAIT s after the refused commit"

next_go
wr_start fsync open "$MNT/a.conf" rdwr pwrite 0 "R" wait "$GO" fsync close
zkctl set /w/a.conf "remote 3"
v=$(ver a.conf)
wr_finish fsync "$GO" "fsync of a buffer whose znode changed remotely" "fsync: ESTALE" "close: ESTALE"
assert_zk_content /w/a.conf "remote 3" "a.conf after a refused fsync and close"
assert_eq "$v" "$(ver a.conf)" "version of a.conf after a refused fsync and close"
wait_until "$WAIT" file_is "$MNT/a.conf" "remote 3" ||
	fail "a.conf: the mount does not show 'remote 3' within $WAIT s after the refused fsync"

info "O_TRUNC replaces the whole value unconditionally"
next_go
wr_start trunc2 open "$MNT/a.conf" trunc write "mine wins" wait "$GO"
zkctl set /w/a.conf "remote 4"
v=$(ver a.conf)
wr_finish trunc2 "$GO" "O_TRUNC writer, remote change before close (overwrites)"
assert_zk_content /w/a.conf "mine wins" "a.conf after an O_TRUNC commit over a remote change"
assert_eq $((v + 1)) "$(ver a.conf)" "version of a.conf after the O_TRUNC commit"
assert_file_content "$MNT/a.conf" "mine wins" "a.conf through the mount after the O_TRUNC commit"

info "without a conflict, append and write at offset commit with one set each"
v=$(ver a.conf)
wr_ok "O_APPEND write" open "$MNT/a.conf" append write " +1"
assert_zk_content /w/a.conf "mine wins +1" "a.conf after an O_APPEND write"
assert_eq $((v + 1)) "$(ver a.conf)" "version of a.conf after an O_APPEND write"
assert_file_content "$MNT/a.conf" "mine wins +1" "a.conf through the mount after an O_APPEND write"
wr_ok "write at offset 0 without O_TRUNC" open "$MNT/a.conf" rdwr pwrite 0 "M"
assert_zk_content /w/a.conf "Mine wins +1" "a.conf after a write at offset 0 (the rest of the value is kept)"
assert_eq $((v + 2)) "$(ver a.conf)" "version of a.conf after a write at offset 0"
assert_file_content "$MNT/a.conf" "Mine wins +1" "a.conf through the mount after a write at offset 0"

info "fsync commits; the handle goes on from the version it committed"
next_go
v=$(ver a.conf)
wr_start fsync2 open "$MNT/a.conf" append write " A" fsync wait "$GO" write " B" close
assert_zk_content /w/a.conf "Mine wins +1 A" "a.conf in ZooKeeper after fsync, before close"
assert_eq $((v + 1)) "$(ver a.conf)" "version of a.conf after fsync (one set)"
assert_file_content "$MNT/a.conf" "Mine wins +1 A" "a.conf through the mount after fsync, before close"
wr_finish fsync2 "$GO" "write after a successful fsync, then close"
assert_zk_content /w/a.conf "Mine wins +1 A B" "a.conf after fsync, another write and close"
assert_eq $((v + 2)) "$(ver a.conf)" "version of a.conf after fsync + write + close (two commits)"

next_go
v=$(ver a.conf)
wr_start fsync3 open "$MNT/a.conf" trunc write "synced" fsync wait "$GO"
assert_zk_content /w/a.conf "synced" "a.conf in ZooKeeper after an O_TRUNC write and fsync"
wr_finish fsync3 "$GO" "close after fsync without another write"
assert_eq $((v + 1)) "$(ver a.conf)" "version of a.conf after write + fsync + close (close has nothing more to commit)"

# ---------------------------------------------------------------- 3. nothing written, nothing committed

info "opening for writing and closing without writing commits nothing"
before=$(zkctl stat /w/a.conf)
wr_ok "open O_WRONLY + close" open "$MNT/a.conf" wronly
wr_ok "open O_RDWR + close" open "$MNT/a.conf" rdwr
wr_ok "open O_APPEND + close" open "$MNT/a.conf" append
wr_ok "open O_RDWR + fsync + close" open "$MNT/a.conf" rdwr fsync
assert_ok "touch a.conf (existing)" touch "$MNT/a.conf"
assert_eq "$before" "$(zkctl stat /w/a.conf)" "zkctl stat a.conf after opening for writing without writing (no write may reach ZooKeeper)"
assert_file_content "$MNT/a.conf" "synced" "a.conf after opening for writing without writing"

info ": > existing empties the value with one set"
v=$(ver a.conf)
sh_ok ": > a.conf" ': >"$1"' "$MNT/a.conf"
await_zk_content /w/a.conf "" "a.conf after : >"
assert_eq $((v + 1)) "$(ver a.conf)" "version of a.conf after : > (one set)"
assert_file_content "$MNT/a.conf" "" "a.conf through the mount after : >"
assert_eq 0 "$(stat -c %s "$MNT/a.conf")" "stat size of a.conf after : >"

# ---------------------------------------------------------------- 5. writing past the end

info "a write past the end zero-fills the gap"
remote_set a.conf "abc"
printf 'abc\0\0\0\0\0\0\0X' >"$TEST_DIR/gap.exp"
wr_ok "pwrite at offset 10 of a 3-byte file" open "$MNT/a.conf" wronly pwrite 10 "X"
assert_zk_file /w/a.conf "$TEST_DIR/gap.exp" "a.conf after a write at offset 10 of 'abc'"
cmp -s "$MNT/a.conf" "$TEST_DIR/gap.exp" ||
	fail "a.conf through the mount after a write at offset 10: '$(cat -A "$MNT/a.conf")', expected 'abc' 7 NULs 'X'"
assert_eq 11 "$(stat -c %s "$MNT/a.conf")" "stat size of a.conf after the write at offset 10"

# ---------------------------------------------------------------- 6. new files

info "a new file written in one go is one create: version 0"
sh_ok "echo hi > new.conf" 'echo hi >"$1"' "$MNT/new.conf"
assert_zk_content /w/new.conf $'hi\n' "new.conf after echo hi >"
assert_eq 0 "$(ver new.conf)" "version of new.conf (created with its data: one write)"
assert_eq "$(zkstat /w/new.conf czxid)" "$(zkstat /w/new.conf mzxid)" "czxid = mzxid of new.conf (no set after the create)"
assert_eq 0 "$(zkstat /w/new.conf ephemeralOwner)" "ephemeralOwner of new.conf (persistent)"
assert_file_content "$MNT/new.conf" $'hi\n' "new.conf through the mount"
assert_eq file "$(ftype "$MNT/new.conf")" "type of new.conf"

info "touch creates an empty znode"
assert_ok "touch new2.conf" touch "$MNT/new2.conf"
await_zk_content /w/new2.conf "" "new2.conf after touch"
assert_eq 0 "$(ver new2.conf)" "version of new2.conf after touch"
assert_eq 0 "$(zkstat /w/new2.conf numChildren)" "numChildren of new2.conf"
assert_eq file "$(ftype "$MNT/new2.conf")" "type of new2.conf"

info "O_CREAT|O_EXCL on an existing name: EEXIST"
before=$(zkctl stat /w/new.conf)
wr_fails "O_CREAT|O_EXCL on the existing new.conf" "open: EEXIST" -- open "$MNT/new.conf" creat,excl write "no"
assert_eq "$before" "$(zkctl stat /w/new.conf)" "zkctl stat new.conf after the refused O_EXCL open"
assert_zk_content /w/new.conf $'hi\n' "new.conf after the refused O_EXCL open"

info "a new file is visible on this host from open(O_CREAT) on"
next_go
wr_start new3 open "$MNT/new3.conf" creat write "three" wait "$GO"
stat "$MNT/new3.conf" >/dev/null 2>&1 || fail "new3.conf: stat fails while its creator holds it open (before close)"
(cd "$MNT" && ls -a) | grep -qxF new3.conf || fail "new3.conf: not listed by ls while its creator holds it open"
assert_eq file "$(ftype "$MNT/new3.conf")" "type of new3.conf before close"
wr_finish new3 "$GO" "O_CREAT + write + close of new3.conf"
assert_zk_content /w/new3.conf "three" "new3.conf after close"
assert_eq 0 "$(ver new3.conf)" "version of new3.conf (one create with its data)"
assert_file_content "$MNT/new3.conf" "three" "new3.conf through the mount after close"
wr_ok "O_CREAT|O_EXCL + write + close of new4.conf" open "$MNT/new4.conf" creat,excl write "four"
assert_zk_content /w/new4.conf "four" "new4.conf after O_CREAT|O_EXCL + write + close"
assert_file_content "$MNT/new4.conf" "four" "new4.conf through the mount"

# ---------------------------------------------------------------- 9. a directory's .data

info "dir/.data: writing sets the directory's own data, rm empties it"
v=$(ver d)
sh_ok "echo hi > d/.data" 'echo hi >"$1"' "$MNT/d/.data"
assert_zk_content /w/d $'hi\n' "/w/d (the directory's own data) after echo hi > d/.data"
assert_eq $((v + 1)) "$(ver d)" "version of /w/d after echo > d/.data"
assert_eq dir "$(ftype "$MNT/d")" "type of d after writing its .data"
assert_file_content "$MNT/d/.data" $'hi\n' "d/.data through the mount"
in_listing "$MNT/d" .data || fail "d: .data not listed although the directory has data"
assert_ok "rm d/.data" rm "$MNT/d/.data"
assert_zk_content /w/d "" "/w/d after rm d/.data (emptied)"
assert_zk_exists /w/d "/w/d after rm d/.data (the directory stays)"
assert_zk_content /w/d/kid "k" "d/kid after rm d/.data"
assert_eq dir "$(ftype "$MNT/d")" "type of d after rm d/.data"
assert_file_content "$MNT/d/.data" "" "d/.data through the mount after rm"
! in_listing "$MNT/d" .data || fail "d: .data still listed after rm d/.data emptied it"

# ---------------------------------------------------------------- 14. visible at once

info "after a commit the new value is visible at once on this host"
zkctl create /w/vis.conf "v1"
assert_file_content "$MNT/vis.conf" "v1" "vis.conf before the writes (cached)"
echo v2 >"$MNT/vis.conf"
assert_eq v2 "$(cat "$MNT/vis.conf")" "cat vis.conf in the same shell right after echo v2 >"
for i in $(seq 1 25); do
	len=$(((i * 4099) % 9000))
	printf -v body '%*s' "$len" ''
	val="value $i:${body// /z}:end"
	cat "$MNT/vis.conf" >/dev/null # the old value is cached
	wr_ok "write $i of vis.conf" open "$MNT/vis.conf" trunc write "$val"
	got=$(cat "$MNT/vis.conf")
	[ "$got" = "$val" ] || fail "vis.conf write $i: cat right after the commit gives '$(_show "$got")' (expected '$(_show "$val")')"
	assert_eq "${#val}" "$(stat -c %s "$MNT/vis.conf")" "vis.conf write $i: stat size right after the commit"
	read_by_other "$MNT/vis.conf"
	assert_eq "$val" "$OTHER" "vis.conf write $i: another process reading right after the commit"
	assert_zk_content /w/vis.conf "$val" "vis.conf write $i in ZooKeeper"
done

# ---------------------------------------------------------------- 15. truncate

info "truncate: by path and on a handle"
zkctl create /w/t.conf "hello world"
assert_file_content "$MNT/t.conf" "hello world" "t.conf before truncating"
v=$(ver t.conf)
assert_ok "truncate -s 0 t.conf" truncate -s 0 "$MNT/t.conf"
assert_zk_content /w/t.conf "" "t.conf after truncate -s 0"
assert_eq $((v + 1)) "$(ver t.conf)" "version of t.conf after truncate -s 0 (one set)"
assert_file_content "$MNT/t.conf" "" "t.conf through the mount after truncate -s 0"
assert_eq 0 "$(stat -c %s "$MNT/t.conf")" "stat size of t.conf after truncate -s 0"

remote_set t.conf "hello world"
v=$(ver t.conf)
wr_ok "truncate(2) of t.conf to 5 (no open handle)" truncate "$MNT/t.conf" 5
assert_zk_content /w/t.conf "hello" "t.conf after truncate(2) to 5 (the first 5 bytes kept)"
assert_eq $((v + 1)) "$(ver t.conf)" "version of t.conf after truncate(2) to 5"
assert_file_content "$MNT/t.conf" "hello" "t.conf through the mount after truncate(2) to 5"
wr_ok "truncate(2) of t.conf to 8 (longer)" truncate "$MNT/t.conf" 8
printf 'hello\0\0\0' >"$TEST_DIR/t8.exp"
assert_zk_file /w/t.conf "$TEST_DIR/t8.exp" "t.conf after truncate(2) to 8 (zero-filled)"
cmp -s "$MNT/t.conf" "$TEST_DIR/t8.exp" || fail "t.conf through the mount after truncate(2) to 8: '$(cat -A "$MNT/t.conf")'"
assert_ok "truncate -s 3 t.conf" truncate -s 3 "$MNT/t.conf"
assert_zk_content /w/t.conf "hel" "t.conf after truncate -s 3"
assert_eq $((v + 3)) "$(ver t.conf)" "version of t.conf after three truncations"
wr_ok "truncate(2) of t.conf to 0" truncate "$MNT/t.conf" 0
assert_zk_content /w/t.conf "" "t.conf after truncate(2) to 0"
assert_eq $((v + 4)) "$(ver t.conf)" "version of t.conf after four truncations"

remote_set t.conf "hello world"
next_go
v=$(ver t.conf)
wr_start ftrunc open "$MNT/t.conf" wronly ftruncate 2 wait "$GO"
assert_zk_content /w/t.conf "hello world" "t.conf while a handle holds an uncommitted ftruncate"
assert_eq "$v" "$(ver t.conf)" "version of t.conf before the ftruncate handle closes"
wr_finish ftrunc "$GO" "ftruncate(2) on a handle, then close"
assert_zk_content /w/t.conf "he" "t.conf after ftruncate to 2 and close"
assert_eq $((v + 1)) "$(ver t.conf)" "version of t.conf after ftruncate + close (one set)"
assert_file_content "$MNT/t.conf" "he" "t.conf through the mount after ftruncate + close"
wr_ok "ftruncate 0 + write + close (how vim saves)" open "$MNT/t.conf" wronly ftruncate 0 write "rewritten"
assert_zk_content /w/t.conf "rewritten" "t.conf after ftruncate 0 + write"
assert_eq $((v + 2)) "$(ver t.conf)" "version of t.conf after ftruncate 0 + write + close (one set)"

# ---------------------------------------------------------------- concurrency

info "a reader never sees a partial, empty or mixed value while a writer rewrites 120 times"
# race_val I: "I:" + a run of one letter (chosen by I) of a length chosen by I
# (1 to 12000 bytes: up to 3 pages) + ":I". RACE_VALS[I] holds it.
race_val() {
	local i=$1 len c s letters=abcdefghijklmnopqrstuvwxyz
	len=$(((i * 7919) % 12000 + 1))
	c=${letters:$((i % 26)):1}
	s=$c
	while ((${#s} < len)); do s+=$s; done
	printf '%s:%s:%s' "$i" "${s:0:len}" "$i"
}
RACE_N=120
RACE_VALS=()
for i in $(seq 0 "$RACE_N"); do
	RACE_VALS[i]=$(race_val "$i")
done
race_reader() {
	local n=0 got id seen=" "
	while [ ! -e "$RACE_STOP" ]; do
		got=$(cat "$MNT/race.conf" 2>&1 && echo .)
		if [[ $got != *. ]]; then
			printf 'read %d failed: %s\n' "$n" "$(_show "$got")" >>"$RACE_BAD"
		else
			got=${got%.}
			if [[ $got =~ ^([0-9]+): ]] && id=${BASH_REMATCH[1]} && ((id <= RACE_N)) &&
				[ "$got" = "${RACE_VALS[id]}" ]; then
				case $seen in *" $id "*) ;; *) seen+="$id " ;; esac
			else
				printf 'read %d: %d bytes: %s\n' "$n" "${#got}" "$(_show "$got")" >>"$RACE_BAD"
			fi
		fi
		n=$((n + 1))
	done
	echo "$n $(wc -w <<<"$seen")" >"$RACE_RESULT"
}
RACE_STOP=$TEST_DIR/race.stop
RACE_BAD=$TEST_DIR/race.bad
RACE_RESULT=$TEST_DIR/race.result
: >"$RACE_BAD"
zkctl create /w/race.conf "${RACE_VALS[0]}"
assert_file_content "$MNT/race.conf" "${RACE_VALS[0]}" "race.conf before the race"
v=$(ver race.conf)
race_reader &
RPID=$!
track_pid "$RPID"
for i in $(seq 1 "$RACE_N"); do
	wr_ok "race writer: write $i" open "$MNT/race.conf" trunc write "${RACE_VALS[i]}"
done
touch "$RACE_STOP"
wait_until 30 _pid_gone "$RPID" || fail "the race reader did not stop within 30 s"
wait "$RPID" || fail "the race reader failed"
[ ! -s "$RACE_BAD" ] ||
	fail "the reader saw $(wc -l <"$RACE_BAD") bad value(s) while the writer rewrote race.conf; the first: $(head -n 3 "$RACE_BAD")"
read -r nreads ndistinct <"$RACE_RESULT"
info "race reader: $nreads reads, $ndistinct distinct values"
((nreads >= 10)) || fail "the race reader made only $nreads reads while the writer rewrote race.conf 120 times"
((ndistinct >= 2)) || fail "the race reader saw only $ndistinct distinct value(s): it did not overlap the writer"
assert_zk_content /w/race.conf "${RACE_VALS[RACE_N]}" "race.conf after the race (the last value)"
assert_eq $((v + 120)) "$(ver race.conf)" "version of race.conf after 120 rewrites (one set each)"

info "two processes append 50 lines each; ESTALE means not acknowledged, so retry"
zkctl create /w/log.conf
APP_BAD=$TEST_DIR/append.bad
: >"$APP_BAD"
appender() {
	local name=$1 i line rc err tries=0
	: >"$TEST_DIR/acked.$name"
	: >"$TEST_DIR/stale.$name"
	for i in $(seq 1 50); do
		line="$name-$i"
		while :; do
			tries=$((tries + 1))
			if ((tries > 3000)); then
				echo "$name: gave up after $tries attempts at $line" >>"$APP_BAD"
				return 1
			fi
			rc=0
			err=$("$WR_BIN" open "$MNT/log.conf" append write "$line"$'\n' 2>&1) || rc=$?
			if [ "$rc" = 0 ]; then
				echo "$line" >>"$TEST_DIR/acked.$name"
				break
			fi
			case $err in
			"wr: close: ESTALE ("*")")
				echo "$line" >>"$TEST_DIR/stale.$name"
				continue
				;;
			esac
			echo "$name: $line: unexpected failure (exit $rc): $err" >>"$APP_BAD"
			return 1
		done
	done
}
v=$(ver log.conf)
appender A &
PA=$!
track_pid "$PA"
appender B &
PB=$!
track_pid "$PB"
both_done() { _pid_gone "$PA" && _pid_gone "$PB"; }
wait_until 100 both_done || fail "the two appenders did not finish within 100 s"
wait "$PA" || true
wait "$PB" || true
[ ! -s "$APP_BAD" ] || fail "appenders: $(head -n 3 "$APP_BAD")"
assert_eq 50 "$(wc -l <"$TEST_DIR/acked.A")" "lines acknowledged to appender A"
assert_eq 50 "$(wc -l <"$TEST_DIR/acked.B")" "lines acknowledged to appender B"
info "appenders: $(cat "$TEST_DIR"/stale.* | wc -l) appends refused with ESTALE and retried"
zkctl get /w/log.conf >"$TEST_DIR/log.got"
sort "$TEST_DIR/acked.A" "$TEST_DIR/acked.B" >"$TEST_DIR/log.exp"
sort "$TEST_DIR/log.got" | cmp -s - "$TEST_DIR/log.exp" ||
	fail "log.conf in ZooKeeper does not hold every acknowledged line exactly once: $(sort "$TEST_DIR/log.got" | diff - "$TEST_DIR/log.exp" | head -n 10 | tr '\n' ' ')"
[ "$(tail -c 1 "$TEST_DIR/log.got" | od -An -c | tr -d ' ')" = '\n' ] ||
	fail "log.conf does not end with a newline (a partial line): $(tail -c 40 "$TEST_DIR/log.got" | cat -A)"
assert_eq $((v + 100)) "$(ver log.conf)" "version of log.conf after 100 acknowledged appends (one set each, none for refused ones)"
cmp -s "$MNT/log.conf" "$TEST_DIR/log.got" || fail "log.conf through the mount differs from ZooKeeper's value"

# ---------------------------------------------------------------- 4. max_size

info "default max_size (1047552): a 1,000,000-byte value and exactly the limit work byte for byte"
head -c 1000000 /dev/urandom >"$TEST_DIR/v1m"
assert_ok "cp of a 1,000,000-byte file" cp "$TEST_DIR/v1m" "$MNT/big.bin"
assert_zk_file /w/big.bin "$TEST_DIR/v1m" "big.bin (1,000,000 bytes)"
cmp -s "$MNT/big.bin" "$TEST_DIR/v1m" || fail "big.bin through the mount differs from the 1,000,000 bytes written"
head -c 1047552 /dev/urandom >"$TEST_DIR/vmax"
v=$(ver big.bin)
assert_ok "cp of a 1047552-byte file over big.bin" cp "$TEST_DIR/vmax" "$MNT/big.bin"
assert_zk_file /w/big.bin "$TEST_DIR/vmax" "big.bin (1047552 bytes: exactly the default max_size)"
assert_eq $((v + 1)) "$(ver big.bin)" "version of big.bin after cp over it (one set)"
cmp -s "$MNT/big.bin" "$TEST_DIR/vmax" || fail "big.bin through the mount differs from the 1047552 bytes written"
head -c 1047553 /dev/urandom >"$TEST_DIR/vover"
before=$(zkctl stat /w/big.bin)
wr_fails "a 1047553-byte value (default max_size + 1)" "write-stdin: EFBIG" "close: EFBIG" -- \
	open "$MNT/big.bin" trunc write-stdin <"$TEST_DIR/vover"
assert_eq "$before" "$(zkctl stat /w/big.bin)" "zkctl stat big.bin after the refused oversize value"
assert_zk_file /w/big.bin "$TEST_DIR/vmax" "big.bin after the refused oversize value (unchanged)"

info "-o max_size=1000: exactly 1000 bytes work, 1001 fail with EFBIG and poison the handle"
zkctl create /small
zkctl create /small/keep.conf "keep"
SMNT=$TEST_DIR/small
zkfs_mount "zookeeper://$ZK_HOSTPORT/small" "$SMNT" -o max_size=1000
head -c 1000 /dev/urandom >"$TEST_DIR/v1000"
head -c 1001 /dev/urandom >"$TEST_DIR/v1001"
assert_ok "cp of a 1000-byte file (exactly max_size)" cp "$TEST_DIR/v1000" "$SMNT/exact.bin"
assert_zk_file /small/exact.bin "$TEST_DIR/v1000" "exact.bin (1000 bytes, max_size=1000)"
cmp -s "$SMNT/exact.bin" "$TEST_DIR/v1000" || fail "exact.bin through the mount differs from the 1000 bytes written"

before=$(zkctl stat /small/keep.conf)
wr_fails "1001 bytes with max_size=1000" "write-stdin: EFBIG" "close: EFBIG" -- \
	open "$SMNT/keep.conf" trunc write-stdin <"$TEST_DIR/v1001"
wr_fails "a fitting write, then one past max_size (poisons the handle)" "pwrite: EFBIG" "close: EFBIG" -- \
	open "$SMNT/keep.conf" wronly write "ok" pwrite 1000 "X"
expect_errno EFBIG "head -c 1001 > keep.conf" bash -c 'head -c 1001 /dev/zero >"$1"' _ "$SMNT/keep.conf"
assert_eq "$before" "$(zkctl stat /small/keep.conf)" "zkctl stat keep.conf after three refused oversize writes (nothing committed)"
assert_zk_content /small/keep.conf "keep" "keep.conf after the refused oversize writes"
wait_until "$WAIT" file_is "$SMNT/keep.conf" "keep" ||
	fail "keep.conf through the mount after the refused oversize writes: '$(_show "$(cat "$SMNT/keep.conf" 2>&1)")'"

head -c 900 /dev/zero | tr '\0' a >"$TEST_DIR/v900"
zkctl set-file /small/keep.conf "$TEST_DIR/v900"
wait_until "$WAIT" eval '[ "$(stat -c %s "$SMNT/keep.conf")" = 900 ]' ||
	fail "keep.conf: the remote 900-byte value is not visible within $WAIT s"
printf -v app '%200s' ''
before=$(zkctl stat /small/keep.conf)
wr_fails "an O_APPEND write that crosses max_size" "write: EFBIG" "close: EFBIG" -- \
	open "$SMNT/keep.conf" append write "$app"
assert_eq "$before" "$(zkctl stat /small/keep.conf)" "zkctl stat keep.conf after the refused crossing append"
wr_ok "a write that ends exactly at max_size" open "$SMNT/keep.conf" wronly pwrite 999 "X"
{ cat "$TEST_DIR/v900"; head -c 99 /dev/zero; printf X; } >"$TEST_DIR/v1000b"
assert_zk_file /small/keep.conf "$TEST_DIR/v1000b" "keep.conf after a write ending at byte 1000"

wr_fails "a new file over max_size" "write-stdin: EFBIG" "close: EFBIG" -- \
	open "$SMNT/toobig.bin" creat,excl write-stdin <"$TEST_DIR/v1001"

zkfs_umount "$SMNT"
zkfs_umount "$MNT"
