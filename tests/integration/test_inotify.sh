#!/bin/bash
# Issue 17: changes made by another ZooKeeper client (zkctl, an independent
# session) raise real inotify events on the mount (docs/SEMANTICS.md,
# "inotify"; src/fsecho.c). The "Done when" items 1-5, session expiry aside
# (test_expiry):
#   1. inotifywait -m -r gets the events of a set, a create (file, directory,
#      a file in a new directory), a delete (IN_DELETE on the directory;
#      IN_DELETE_SELF then IN_IGNORED on the file's own watch), a kind flip,
#      a `.data` change, and of changes made while the daemon was
#      disconnected, each once; none with -o noremote_events; no second one
#      for a change made through the mount itself.
#   2. a reloader on the raw inotify API reads the last value of 200 remote
#      sets, and never a partial one;
#   3. an IN_CLOSE_WRITE-only file watch (entr) fires for remote sets, again
#      and again, with nobody reading the file in between;
#   4. a burst (10,000 sets on 1,000 files) coalesces, keeps memory bounded,
#      keeps a cat loop served, ends with every value current, and causes no
#      ZooKeeper write;
#   5. an unmount while events are pending, and while SUSPENDED, is prompt.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ -n "${RELOADER_BIN:-}" ] && [ -x "$RELOADER_BIN" ] || fail "RELOADER_BIN is not set to an executable"
[ -n "${CATLAT_BIN:-}" ] && [ -x "$CATLAT_BIN" ] || fail "CATLAT_BIN is not set to an executable"
command -v inotifywait >/dev/null 2>&1 || fail "inotifywait not found (package inotify-tools)"

# seconds a remote change may take to raise its events (a slow build, a
# daemon under valgrind: tools/valgrind's ZKFS_WAIT_SCALE)
WAIT=$((10 * ${ZKFS_WAIT_SCALE:-1}))
# Knobs for slow runs (valgrind: tools/test): the burst's size, and seconds
# added to every deadline for the daemon's exit (valgrind's leak check).
BURST_FILES=${BURST_FILES:-1000}
BURST_ROUNDS=${BURST_ROUNDS:-10}
EXIT_SLACK=${EXIT_SLACK:-0}

zk_start
zkctl create /base
zkctl create /base/a.conf "v1"
zkctl create /base/own.conf "mine"
zkctl create /base/gone.conf "to be deleted, watched"
zkctl create /base/gone2.conf "to be deleted, unwatched"
zkctl create /base/grow.conf "was a file"
zkctl create /base/dd "d1"
zkctl create /base/dd/kid "k"
zkctl create /base/w.conf "w0"
zkctl create /base/out.conf "o1"
zkctl create /base/outgone.conf "deleted during the outage"
zkctl create /base/mk          # the barriers' markers (see barrier)
zkctl create /base/cfg
zkctl create /base/cfg/app.conf $'0:a:0\n'
zkctl create /base/catme.conf "read in a loop during the burst"
zkctl create /base/burst
zkctl fill /base/burst "$BURST_FILES"

MNT=$TEST_DIR/mnt
# session_timeout: the session outlives the outage of section 1 (two server
# restarts); an expiry is test_expiry's.
zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$MNT" -o session_timeout=40
MAIN_PID=$ZKFS_PID
MAIN_LOG=$ZKFS_LOG

# Events only for what the kernel knows: list everything first.
ls -laR "$MNT" >/dev/null

# ---------------------------------------------------------------- helpers

# watch_start TAG PATH [INOTIFYWAIT ARGS...]: inotifywait -m (more ARGS, e.g.
# -r, -e) on PATH, one "PATH|EVENTS" line per event in $TEST_DIR/TAG.ev,
# started once it printed "Watches established". Sets WATCH_PID.
watch_start() {
	local tag=$1 path=$2
	shift 2
	inotifywait -m "$@" --format '%w%f|%e' "$path" >"$TEST_DIR/$tag.ev" 2>"$TEST_DIR/$tag.err" &
	WATCH_PID=$!
	track_pid "$WATCH_PID"
	wait_until 30 grep -q "Watches established" "$TEST_DIR/$tag.err" ||
		fail "inotifywait $tag on $path: no 'Watches established' within 30 s: $(cat "$TEST_DIR/$tag.err")"
}

# evs TAG: the events of watcher TAG so far, paths relative to the mount
# ("a.conf|MODIFY"), the .state ATTRIB of the connection's transitions left
# out.
evs() { sed -e "s|^$MNT/||" -e "s|^$TEST_DIR/||" "$TEST_DIR/$1.ev" | grep -v '^\.state|ATTRIB$' || true; }

# has_ev TAG LINE: watcher TAG got the event LINE ("a.conf|CLOSE_WRITE,CLOSE").
has_ev() { evs "$1" | grep -qxF -- "$2"; }

# ev_count TAG LINE: how many times.
ev_count() { evs "$1" | grep -cxF -- "$2" || true; }

# await_ev TAG LINE WHAT: wait (WAIT s) for the event.
await_ev() {
	wait_until "$WAIT" has_ev "$1" "$2" ||
		fail "$3: watcher $1 got no '$2' within $WAIT s; it got: $(evs "$1" | tail -n 30 | tr '\n' ' ')"
}

# ev_of TAG NAME: the events of watcher TAG for NAME, one line, in order.
ev_of() { evs "$1" | awk -F'|' -v n="$2" '$1 == n { printf "%s ", $2 }'; }

# barrier TAG: every event of a remote change made before it has reached
# watcher TAG (which must see MNT/mk). A new name in `mk` (a directory whose
# listing nothing else changes) raises IN_CREATE after whatever the daemon
# queued before it: ZooKeeper sends a session's watch events in zxid order
# and the daemon raises them in the order they came. Twice: a change that
# arrived while its path was being processed goes round once more, after
# the first marker.
_MK_N=0
MARKERS=0 # znodes the barriers created (ZooKeeper writes, section 4)
barrier() {
	local i
	for i in 1 2; do
		_MK_N=$((_MK_N + 1))
		zkctl create "/base/mk/m$_MK_N" marker
		MARKERS=$((MARKERS + 1))
		await_ev "$1" "mk/m$_MK_N|CREATE" "barrier m$_MK_N"
	done
}

# ---------------------------------------------------------------- 1. inotifywait -m -r

watch_start all "$MNT" -r
ALL_PID=$WATCH_PID

# -- set of a file: OPEN, MODIFY, CLOSE_WRITE (the pair a save gives), in order
zkctl set /base/a.conf "v2, longer than v1"
await_ev all "a.conf|CLOSE_WRITE,CLOSE" "remote set of a.conf"
assert_eq "OPEN MODIFY CLOSE_WRITE,CLOSE " "$(ev_of all a.conf)" "events of a remote set of a.conf"
assert_file_content "$MNT/a.conf" "v2, longer than v1" "a.conf after its remote set, read on the event"
assert_zk_content /base/a.conf "v2, longer than v1"

# -- create of a file
zkctl create /base/new.conf "fresh"
await_ev all "new.conf|CREATE" "remote create of new.conf"
assert_file_content "$MNT/new.conf" "fresh" "new.conf after its remote create"
assert_zk_content /base/new.conf "fresh"

# -- create of a directory (no data, no children: it shows as a directory)
zkctl create /base/nd
await_ev all "nd|CREATE,ISDIR" "remote create of the directory nd"
assert_eq dir "$(ftype "$MNT/nd")" "nd after its remote create"
assert_zk_exists /base/nd

# -- a directory, and a file in it created right after: the recursive
# watcher gets the file's IN_CREATE once it watches the new directory, or
# finds the file when it scans it (inotifywait -r does not print what its
# scan finds; a watcher that scans, like watchdog, reports it).
zkctl create /base/nd2
zkctl create /base/nd2/inner.conf "inside"
await_ev all "nd2|CREATE,ISDIR" "remote create of the directory nd2"
if wait_until "$WAIT" has_ev all "nd2/inner.conf|CREATE"; then
	info "nd2/inner.conf: IN_CREATE reached the recursive watcher"
else
	in_listing "$MNT/nd2" inner.conf ||
		fail "nd2/inner.conf: neither an IN_CREATE nor in the listing of nd2 (events: $(evs all | grep nd2 | tr '\n' ' '))"
	info "nd2/inner.conf: no IN_CREATE; a scan of nd2 finds it"
fi
assert_file_content "$MNT/nd2/inner.conf" "inside" "nd2/inner.conf"
assert_zk_content /base/nd2/inner.conf "inside"

# -- delete of a file with watches of its own: IN_DELETE on the directory,
# IN_DELETE_SELF then IN_IGNORED on the file (raw inotify: inotifywait does
# not print IN_IGNORED), and inotifywait -m on the file gets IN_DELETE_SELF.
RAW=$TEST_DIR/gone.raw
"$RELOADER_BIN" watch "$MNT/gone.conf" "$RAW" >"$TEST_DIR/gone.raw.out" 2>&1 &
RAW_PID=$!
track_pid "$RAW_PID"
wait_until 10 grep -qx ready "$TEST_DIR/gone.raw.out" || fail "reloader watch on gone.conf did not start"
watch_start gonef "$MNT/gone.conf"
zkctl rm /base/gone.conf
await_ev all "gone.conf|DELETE" "remote delete of gone.conf (watched)"
await_ev gonef "gone.conf|DELETE_SELF" "remote delete of gone.conf, inotifywait -m on the file"
wait_until "$WAIT" _pid_gone "$RAW_PID" ||
	fail "raw watch of gone.conf: no IN_IGNORED within $WAIT s; got: $(tr '\n' ' ' <"$RAW")"
# the unlink's IN_ATTRIB (link count) comes first on a local filesystem too
got=$(grep -v '^|ATTRIB$' "$RAW" | tr '\n' ' ')
assert_eq "|DELETE_SELF |IGNORED " "$got" "raw events on gone.conf's own watch"
[ ! -e "$MNT/gone.conf" ] || fail "gone.conf still exists in the mount after its remote delete"
assert_zk_absent /base/gone.conf

# -- delete of a file that only its directory's watch sees
zkctl rm /base/gone2.conf
await_ev all "gone2.conf|DELETE" "remote delete of gone2.conf (only the directory watched)"
[ ! -e "$MNT/gone2.conf" ] || fail "gone2.conf still exists in the mount after its remote delete"
assert_zk_absent /base/gone2.conf

# -- kind flip: a file gains a child: IN_DELETE, then IN_CREATE|IN_ISDIR
zkctl create /base/grow.conf/child "c"
await_ev all "grow.conf|CREATE,ISDIR" "grow.conf becoming a directory"
got=$(ev_of all grow.conf)
case "$got" in
"DELETE CREATE,ISDIR "*) ;;
*) fail "events of grow.conf gaining a child: expected 'DELETE CREATE,ISDIR' first, got '$got'" ;;
esac
assert_eq dir "$(ftype "$MNT/grow.conf")" "grow.conf after gaining a child"
assert_file_content "$MNT/grow.conf/child" "c" "grow.conf/child"
assert_file_content "$MNT/grow.conf/.data" "was a file" "grow.conf/.data"

# -- .data of a directory: IN_MODIFY, IN_CLOSE_WRITE on dd/.data
zkctl set /base/dd "d2"
await_ev all "dd/.data|CLOSE_WRITE,CLOSE" "remote set of the directory dd"
assert_eq "OPEN MODIFY CLOSE_WRITE,CLOSE " "$(ev_of all dd/.data)" "events of dd/.data"
assert_file_content "$MNT/dd/.data" "d2" "dd/.data after the remote set of dd"
assert_zk_content /base/dd "d2"

# -- so far, each of those once
barrier all
for ev in "a.conf|CLOSE_WRITE,CLOSE" "a.conf|MODIFY" "new.conf|CREATE" "nd|CREATE,ISDIR" \
	"nd2|CREATE,ISDIR" "gone.conf|DELETE" "gone2.conf|DELETE" "grow.conf|DELETE" \
	"grow.conf|CREATE,ISDIR" "dd/.data|CLOSE_WRITE,CLOSE"; do
	assert_eq 1 "$(ev_count all "$ev")" "how many times the watcher got '$ev'"
done

# -- a change made through the mount raises its events once: the kernel's,
# and none from the daemon when the watch event of its own write comes back
printf 'x\n' >"$MNT/own.conf"
await_zk_content /base/own.conf $'x\n'
barrier all
assert_eq 1 "$(ev_count all "own.conf|CLOSE_WRITE,CLOSE")" "IN_CLOSE_WRITE of a write through the mount"
assert_eq 1 "$(ev_count all "own.conf|OPEN")" "IN_OPEN of a write through the mount"

# -- -o noremote_events: the same changes raise nothing on a second mount
MNT2=$TEST_DIR/mnt2
zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$MNT2" -o noremote_events
ls -laR "$MNT2" >/dev/null
watch_start quiet "$MNT2" -r -e modify -e close_write -e create -e delete -e moved_to \
	-e moved_from -e delete_self -e attrib
zkctl set /base/a.conf "v3"
zkctl create /base/quiet.conf "q"
await_ev all "a.conf|CLOSE_WRITE,CLOSE" "remote set of a.conf (v3), on the first mount"
wait_until "$WAIT" file_is "$MNT2/a.conf" "v3" ||
	fail "a.conf in the noremote_events mount: not v3 within $WAIT s"
wait_until "$WAIT" in_listing "$MNT2" quiet.conf ||
	fail "quiet.conf: not listed in the noremote_events mount within $WAIT s"
barrier all
got=$(sed -e "s|^$MNT2/||" "$TEST_DIR/quiet.ev" | grep -v '^\.state|ATTRIB$' || true)
assert_eq "" "$got" "events on the -o noremote_events mount for a remote set and create"
zkfs_umount "$MNT2"

# -- changes made while the daemon was disconnected: raised once, after it
# is back. The server is restarted on another client port (same data) for
# the changes, so the daemon cannot reach it meanwhile, then back on its
# own port: ZooKeeper fires the re-registered watches of the changes since
# the last zxid the daemon saw.
RAWO=$TEST_DIR/outgone.raw
"$RELOADER_BIN" watch "$MNT/outgone.conf" "$RAWO" >"$TEST_DIR/outgone.raw.out" 2>&1 &
RAWO_PID=$!
track_pid "$RAWO_PID"
wait_until 10 grep -qx ready "$TEST_DIR/outgone.raw.out" || fail "reloader watch on outgone.conf did not start"
zk_stop
wait_until 30 _state_is "$MNT" SUSPENDED || fail ".state did not read SUSPENDED within 30 s of stopping the server"
ORIG_PORT=$ZK_PORT
ZK_PORT=$(free_port)
ZK_HOSTPORT=127.0.0.1:$ZK_PORT
zk_config clientPort="$ZK_PORT"
_zk_launch || fail "ZooKeeper did not start on the other port $ZK_PORT"
zkctl set /base/out.conf "o2, set while the daemon was away"
zkctl create /base/outnew.conf "created while the daemon was away"
zkctl rm /base/outgone.conf
zkctl create /base/outdir
zk_stop
ZK_PORT=$ORIG_PORT
ZK_HOSTPORT=127.0.0.1:$ZK_PORT
zk_config clientPort="$ZK_PORT"
_zk_launch || fail "ZooKeeper did not start again on its port $ZK_PORT"
wait_until 40 _state_is "$MNT" CONNECTED || fail ".state did not read CONNECTED within 40 s of the server's return"
await_ev all "out.conf|CLOSE_WRITE,CLOSE" "a set made while the daemon was disconnected"
await_ev all "outnew.conf|CREATE" "a create made while the daemon was disconnected"
await_ev all "outgone.conf|DELETE" "a delete made while the daemon was disconnected"
await_ev all "outdir|CREATE,ISDIR" "a directory created while the daemon was disconnected"
wait_until "$WAIT" _pid_gone "$RAWO_PID" ||
	fail "raw watch of outgone.conf: no IN_IGNORED within $WAIT s; got: $(tr '\n' ' ' <"$RAWO")"
assert_eq "|DELETE_SELF |IGNORED " "$(grep -v '^|ATTRIB$' "$RAWO" | tr '\n' ' ')" "raw events on outgone.conf's own watch"
barrier all
for ev in "out.conf|CLOSE_WRITE,CLOSE" "out.conf|MODIFY" "outnew.conf|CREATE" "outgone.conf|DELETE" \
	"outdir|CREATE,ISDIR"; do
	assert_eq 1 "$(ev_count all "$ev")" "how many times the watcher got '$ev' (a change made while disconnected)"
done
assert_file_content "$MNT/out.conf" "o2, set while the daemon was away"
assert_file_content "$MNT/outnew.conf" "created while the daemon was away"
[ ! -e "$MNT/outgone.conf" ] || fail "outgone.conf still exists in the mount"
assert_zk_content /base/out.conf "o2, set while the daemon was away"
assert_zk_absent /base/outgone.conf
stop_pid "$ALL_PID"

# ---------------------------------------------------------------- 2. a reloader on raw inotify

# setloop's value number I (tests/integration/zkctl.c, reloader.c)
loop_value() {
	local i=$1 body
	body=$(printf "%$((i * 37 % 997 + 1))s" '' | tr ' ' "$(printf "\\$(printf %03o $((97 + i % 26)))")")
	printf '%s:%s:%s\n' "$i" "$body" "$i"
}

ls -la "$MNT/cfg" >/dev/null
RL_OUT=$TEST_DIR/reloader.reads
"$RELOADER_BIN" reload "$MNT/cfg" app.conf "$RL_OUT" >"$TEST_DIR/reloader.out" 2>&1 &
RL_PID=$!
track_pid "$RL_PID"
wait_until 10 grep -qx ready "$TEST_DIR/reloader.out" ||
	fail "the reloader did not start: $(cat "$TEST_DIR/reloader.out")"
last=$(zkctl setloop /base/cfg/app.conf 200 20)
assert_eq 200 "$last" "zkctl setloop's last value"
assert_zk_content /base/cfg/app.conf "$(loop_value 200)
"
_reloader_at() { [ "$(tail -n 1 "$RL_OUT")" = "ok $1" ]; }
wait_until "$WAIT" _reloader_at 200 ||
	fail "the reloader's last read is '$(tail -n 1 "$RL_OUT")' $WAIT s after the last of 200 remote sets (expected 'ok 200')"
kill -TERM "$RL_PID"
wait_until 10 _pid_gone "$RL_PID" || fail "the reloader did not exit on SIGTERM"
rl_rc=0
wait "$RL_PID" || rl_rc=$?
info "reloader: $(tail -n 1 "$TEST_DIR/reloader.out"); values read: $(grep -c '^ok' "$RL_OUT")"
if grep -q '^bad' "$RL_OUT"; then
	fail "the reloader read partial or mixed values: $(grep '^bad' "$RL_OUT" | head -n 5 | tr '\n' ' ')"
fi
assert_eq 0 "$rl_rc" "the reloader's exit status (0: no bad read)"
# and never an older value after a newer one
awk '$1 == "ok" { if ($2 < prev) { print "value " $2 " read after " prev; bad = 1; exit } prev = $2 } END { exit bad }' "$RL_OUT" ||
	fail "the reloader read an older value after a newer one: $(awk '$1 == "ok" { if ($2 < prev) { print $2 " after " prev; exit } prev = $2 }' "$RL_OUT")"

# ---------------------------------------------------------------- 3. IN_CLOSE_WRITE only, as entr waits

# w.conf was listed (known) and is never read from here on: the daemon must
# re-arm its own watch after each event.
for round in 1 2 3; do
	inotifywait -e close_write --format '%e' "$MNT/w.conf" >"$TEST_DIR/entr.$round" 2>"$TEST_DIR/entr.$round.err" &
	entr_pid=$!
	track_pid "$entr_pid"
	wait_until 10 grep -q "Watches established" "$TEST_DIR/entr.$round.err" ||
		fail "inotifywait -e close_write w.conf (round $round) did not start"
	zkctl set /base/w.conf "w$round"
	wait_until "$WAIT" _pid_gone "$entr_pid" ||
		fail "round $round: inotifywait -e close_write w.conf got nothing $WAIT s after a remote set"
	rc=0
	wait "$entr_pid" || rc=$?
	assert_eq 0 "$rc" "round $round: inotifywait -e close_write's exit status"
	assert_eq "CLOSE_WRITE,CLOSE" "$(cat "$TEST_DIR/entr.$round")" "round $round: the event inotifywait -e close_write got"
done
assert_file_content "$MNT/w.conf" "w3" "w.conf after three remote sets"
assert_zk_content /base/w.conf "w3"

# ---------------------------------------------------------------- 4. the burst

vm() {
	local v
	v=$(awk -v k="$1:" '$1 == k { print $2 }' "/proc/$MAIN_PID/status")
	[[ "$v" =~ ^[0-9]+$ ]] || fail "no $1 in /proc/$MAIN_PID/status"
	echo "$v"
}
zxid() {
	local z
	z=$(zk_4lw srvr | sed -n 's/^Zxid: *//p')
	[[ "$z" =~ ^0x[0-9a-fA-F]+$ ]] || fail "could not read Zxid from srvr: '$z'"
	echo $((z))
}

ls -l "$MNT/burst" >/dev/null # the kernel knows the files
[ "$(ls "$MNT/burst" | wc -l)" = "$BURST_FILES" ] ||
	fail "burst: $(ls "$MNT/burst" | wc -l) files listed, expected $BURST_FILES"
# The kernel drops what a watcher does not read in time beyond
# fs.inotify.max_queued_events (16384 by default) and queues IN_Q_OVERFLOW
# instead. The burst raises thousands of events per watcher, and on a loaded
# machine inotifywait falls behind: the queues are made large enough for the
# test to count every event (the limit is taken when a watcher starts).
q0=$(cat /proc/sys/fs/inotify/max_queued_events)
if [ "$q0" -lt 1048576 ]; then
	echo 1048576 >/proc/sys/fs/inotify/max_queued_events
	on_cleanup sh -c "echo $q0 >/proc/sys/fs/inotify/max_queued_events"
fi
watch_start all2 "$MNT" -r
watch_start bw "$MNT/burst" -r
rss0=$(vm VmRSS)
hwm0=$(vm VmHWM)
STOP=$TEST_DIR/catlat.stop
"$CATLAT_BIN" "$MNT/catme.conf" "$STOP" >"$TEST_DIR/catlat.out" 2>"$TEST_DIR/catlat.err" &
CAT_PID=$!
track_pid "$CAT_PID"
wait_until 10 grep -qx ready "$TEST_DIR/catlat.out" || fail "the cat loop did not start: $(cat "$TEST_DIR/catlat.err")"
z0=$(zxid)
MARKERS=0
burst_out=$(zkctl burst /base/burst "$BURST_FILES" "$BURST_ROUNDS") || fail "zkctl burst failed"
info "burst: $burst_out"
# every value current through the mount (one grep reads all the files)
expect_all() {
	for i in $(seq -f %04g 0 $((BURST_FILES - 1))); do
		printf '%s:r%d f%s\n' "f$i.conf" $((BURST_ROUNDS - 1)) "$i"
	done
}
expect_all >"$TEST_DIR/burst.expected"
_burst_current() { (cd "$MNT/burst" && grep -H '' f*.conf) | cmp -s - "$TEST_DIR/burst.expected"; }
wait_until $((3 * WAIT)) _burst_current ||
	fail "burst: the mount does not show the last value of every file $((3 * WAIT)) s after the burst: $( (cd "$MNT/burst" && grep -H '' f*.conf) | diff - "$TEST_DIR/burst.expected" | head -n 6 | tr '\n' ' ')"
touch "$STOP"
wait_until 10 _pid_gone "$CAT_PID" || fail "the cat loop did not stop"
cat_rc=0
wait "$CAT_PID" || cat_rc=$?
catlat=$(tail -n 1 "$TEST_DIR/catlat.out")
barrier all2
z1=$(zxid)
rss1=$(vm VmRSS)
hwm1=$(vm VmHWM)
# ZooKeeper holds the same values
zkctl tree /base/burst | awk -F'\t' '$1 != "." { sub(/\\n$/, "", $2); print $1 ":" $2 }' >"$TEST_DIR/burst.zk"
cmp -s "$TEST_DIR/burst.expected" "$TEST_DIR/burst.zk" ||
	fail "burst: ZooKeeper's values differ from the last round: $(diff "$TEST_DIR/burst.zk" "$TEST_DIR/burst.expected" | head -n 6 | tr '\n' ' ')"
# Events per file (the directory watch names the file). Reads raise IN_OPEN,
# IN_ACCESS and IN_CLOSE_NOWRITE (the check of the values above), which are
# not the mechanism's: they are left out. Each open ends in one close, so the
# daemon's own IN_OPENs are the IN_OPENs less the IN_CLOSE_NOWRITEs, and may
# not be more than its IN_CLOSE_WRITEs (fewer when inotify merged the
# daemon's IN_OPEN with a reader's that came right after it: two identical
# events in a row are queued once). (The cat loop reads a file outside the
# burst: its reads would interleave with the daemon's opens of its file,
# which inotify then merges.)
evs bw | awk -F'|' '
	$1 !~ /^burst\/f[0-9]+\.conf$/ { next }
	{ seen[$1] = 1 }
	$2 ~ /^OPEN/ { op[$1]++; next }
	$2 ~ /CLOSE_NOWRITE/ { cnw[$1]++; next }
	$2 ~ /ACCESS/ { next }
	{ n[$1]++; if ($2 ~ /CLOSE_WRITE/) cw[$1]++ }
	END {
		for (f in seen) {
			files++; c = cw[f] + 0; o = op[f] - cnw[f]; e = n[f] + o; t += e
			if (e > max) { max = e; maxf = f }
			if (mincw == "" || c < mincw) { mincw = c; mincwf = f }
			if (c > maxcw) maxcw = c
			if (o > c && nbad++ < 5) bad = bad " " f ":" o "/" c
		}
		printf "%d %d %d %s %d %s %d %s\n", files, t, max, maxf, mincw, mincwf, maxcw, (bad == "" ? "-" : bad)
	}' >"$TEST_DIR/burst.counts"
read -r ev_files ev_total ev_max ev_maxf ev_mincw ev_mincwf ev_maxcw ev_badopen <"$TEST_DIR/burst.counts"
! grep -q 'Q_OVERFLOW' "$TEST_DIR/bw.ev" ||
	fail "burst: the watcher's queue overflowed (IN_Q_OVERFLOW): its counts are incomplete"
writes=$((BURST_FILES * BURST_ROUNDS + MARKERS))
sessions=$((1 + MARKERS)) # zkctl burst, and each marker's zkctl: createSession + closeSession
info "burst figures: $burst_out; cat loop: $catlat"
info "burst figures: daemon VmRSS ${rss0} kB -> ${rss1} kB, VmHWM ${hwm0} kB -> ${hwm1} kB"
info "burst figures: events on $ev_files files, total $ev_total, max per file $ev_max ($ev_maxf), IN_CLOSE_WRITE per file min $ev_mincw max $ev_maxcw"
info "burst figures: zxid delta $((z1 - z0)) = $writes writes + 2 x $sessions sessions expected"
assert_eq 0 "$cat_rc" "the cat loop's exit status (0: no failed open or read): $catlat"
[ "$ev_files" = "$BURST_FILES" ] || fail "burst: events for $ev_files files, expected every one of the $BURST_FILES"
[ "$ev_badopen" = - ] || fail "burst: the daemon opened files more often than it raised IN_CLOSE_WRITE (file:opens/close_writes):$ev_badopen"
[ "$ev_mincw" -ge 1 ] ||
	fail "burst: $ev_mincwf got no IN_CLOSE_WRITE for its changes (a watcher misses its last value): $(evs bw | grep -F "$ev_mincwf|" | paste -sd' ' -); daemon log: $(grep -F "${ev_mincwf#burst/}" "$MAIN_LOG" | tail -n 5 | paste -sd' ' -)"
# Coalescing: never more raises (one IN_CLOSE_WRITE each) than changes for a
# file, and far fewer in all: changes that come while the thread is busy
# merge (a slow burst, its sets a file further apart, merges less).
[ "$ev_maxcw" -le "$BURST_ROUNDS" ] ||
	fail "burst: a file got $ev_maxcw IN_CLOSE_WRITEs for its $BURST_ROUNDS remote sets"
[ "$ev_max" -le $((3 * BURST_ROUNDS)) ] ||
	fail "burst: $ev_max events for $ev_maxf for its $BURST_ROUNDS remote sets (3 a change at most)"
[ $((ev_total * 2)) -le $((3 * BURST_FILES * BURST_ROUNDS)) ] ||
	fail "burst: $ev_total events for $((BURST_FILES * BURST_ROUNDS)) remote sets: fewer than half of them coalesced"
[ $((hwm1 - rss0)) -lt $((64 * 1024)) ] ||
	fail "burst: the daemon's memory grew from VmRSS $rss0 kB to VmHWM $hwm1 kB (more than 64 MiB)"
assert_eq $((writes + 2 * sessions)) $((z1 - z0)) \
	"burst: ZooKeeper transactions during the burst (the test's $writes writes and $sessions sessions; any more were caused by the mechanism)"
stop_pid "$CAT_PID"

# ---------------------------------------------------------------- 5. unmount while events are pending, while SUSPENDED

# -- a burst under way: the unmount succeeds (not EBUSY) and the daemon ends
MNT3=$TEST_DIR/mnt3
zkfs_mount "zookeeper://$ZK_HOSTPORT/base/burst" "$MNT3"
P3=$ZKFS_PID
ls -l "$MNT3" >/dev/null
watch_start pend "$MNT3"
zkctl burst /base/burst "$BURST_FILES" 5 >"$TEST_DIR/burst2.out" 2>&1 &
B2_PID=$!
track_pid "$B2_PID"
_pend_started() { [ -s "$TEST_DIR/pend.ev" ]; }
wait_until "$WAIT" _pend_started || fail "unmount while pending: no event of the second burst within $WAIT s"
# A daemon that cannot clone its mount (no CAP_SYS_ADMIN; valgrind, which
# lacks open_tree) raises the events through the mount point, which is busy
# meanwhile, as its log says and docs/SEMANTICS.md documents: then the lazy
# unmount, which must be as prompt.
um=(fusermount3 -u)
if grep -q "raised through the mount point itself" "$ZKFS_LOG"; then
	info "the daemon raises events through the mount point: fusermount3 -uz"
	um=(fusermount3 -uz)
fi
assert_ok "${um[*]} while the daemon raises the events of a burst" "${um[@]}" "$MNT3"
wait_until $((5 + EXIT_SLACK)) _pid_gone "$P3" ||
	fail "the daemon of $MNT3 still runs $((5 + EXIT_SLACK)) s after its unmount during a burst"
! is_mounted "$MNT3" || fail "$MNT3 still mounted"
wait_until 60 _pid_gone "$B2_PID" || fail "the second burst did not end"
wait "$B2_PID" || fail "the second burst failed: $(cat "$TEST_DIR/burst2.out")"

# -- SUSPENDED with a change queued: the unmount is prompt (within -o timeout)
MNT4=$TEST_DIR/mnt4
zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$MNT4" -o timeout=3,session_timeout=6
P4=$ZKFS_PID
ls -laR "$MNT4" >/dev/null
zkctl set /base/a.conf "v4"
zk_pause
wait_until 20 _state_is "$MNT4" SUSPENDED || fail ".state of $MNT4 did not read SUSPENDED within 20 s of pausing the server"
assert_ok "fusermount3 -u while SUSPENDED" fusermount3 -u "$MNT4"
wait_until $((4 + EXIT_SLACK)) _pid_gone "$P4" ||
	fail "the daemon of $MNT4 still runs $((4 + EXIT_SLACK)) s after its unmount while SUSPENDED (-o timeout=3)"
! is_mounted "$MNT4" || fail "$MNT4 still mounted"
zk_resume
wait_until 30 _state_is "$MNT" CONNECTED || fail "the first mount did not read CONNECTED again after the pause"

# -- the first mount (-o timeout=10): an unmount at once after a remote set
# with the server paused (the refetch of the change may be under way)
zkctl set /base/a.conf "v5"
zk_pause
um=(fusermount3 -u)
grep -q "raised through the mount point itself" "$MAIN_LOG" && um=(fusermount3 -uz)
assert_ok "${um[*]} with the server paused" "${um[@]}" "$MNT"
wait_until $((12 + EXIT_SLACK)) _pid_gone "$MAIN_PID" ||
	fail "the first daemon still runs $((12 + EXIT_SLACK)) s after its unmount with the server paused (-o timeout=10)"
! is_mounted "$MNT" || fail "$MNT still mounted"
zk_resume
