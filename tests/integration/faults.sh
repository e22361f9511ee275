# shellcheck shell=bash
#
# faults.sh — sourced by lib.sh: helpers of the fault tests.
#
# (issue 5) Helpers of the fault tests (test_state, test_failover, test_pause,
# test_outage, test_expiry; usable from any test): inotify on .state, the
# zkfs log's state transitions and session ids, the counter writer, and the
# reader of .events. (Freezing a process is lib.sh's fault_stop; the servers'
# own helpers, zk_config and zk_session_listed among them, are zkserver.sh's.)

# ---- watching .state

# state_watch MNT [EVENTS]: inotifywait -m -e EVENTS (default attrib) on
# MNT/.state, its output in $EV_OUT; returns once its watch is set.
# `state_events` counts the events so far; `state_events_more_than N`: more
# than N. `record_state` appends the value .state reads now to $STATES_SEEN
# unless it is the last one there: the values seen, in order. (MNT in $MNT
# for record_state.)
state_watch() {
	EV_OUT=$TEST_DIR/inotify.out
	EV_ERR=$TEST_DIR/inotify.err
	inotifywait -m -e "${2:-attrib}" "$1/.state" >"$EV_OUT" 2>"$EV_ERR" &
	track_pid $!
	wait_until 10 grep -q "Watches established" "$EV_ERR" ||
		fail "inotifywait did not establish its watch on .state within 10 s: $(cat "$EV_ERR")"
	STATES_SEEN=$TEST_DIR/states.seen
	: >"$STATES_SEEN"
}
state_events() { grep -c '\.state' "$EV_OUT" || true; }
state_events_more_than() { (($(state_events) > $1)); }
record_state() {
	local s
	s=$(timeout 5 cat "$MNT/.state" 2>/dev/null) || s="(unreadable)"
	[ "$(tail -n1 "$STATES_SEEN")" = "$s" ] || echo "$s" >>"$STATES_SEEN"
}

# ---- the zkfs log ($ZKFS_LOG, or the file given)

# log_mark [LOG]: the number of lines in the log now (for the *_since helpers).
log_mark() { wc -l <"${1:-$ZKFS_LOG}"; }

# log_states_since MARK [LOG]: the states of the "zookeeper: STATE" lines
# after line MARK, space-joined ("SUSPENDED CONNECTED").
log_states_since() {
	tail -n "+$(($1 + 1))" "${2:-$ZKFS_LOG}" |
		sed -n 's/.*zookeeper: \(CONNECTED\|SUSPENDED\|LOST\)\b.*/\1/p' | paste -sd' ' -
}

# log_sessions_since MARK [LOG]: the session ids of the "zookeeper: CONNECTED
# (session 0x...)" lines after line MARK, space-joined.
log_sessions_since() {
	tail -n "+$(($1 + 1))" "${2:-$ZKFS_LOG}" |
		sed -n 's/.*zookeeper: CONNECTED (session \(0x[0-9a-f]*\).*/\1/p' | paste -sd' ' -
}

# zkfs_session_id [LOG]: the id of the last session the log reports CONNECTED.
zkfs_session_id() {
	local s
	s=$(log_sessions_since 0 "${1:-$ZKFS_LOG}")
	s=${s##* }
	[ -n "$s" ] || fail "the zkfs log ${1:-$ZKFS_LOG} names no session (no 'zookeeper: CONNECTED (session 0x...)' line)"
	echo "$s"
}

# zkfs_session_timeout [LOG]: the negotiated session timeout (ms) of the last
# CONNECTED line.
zkfs_session_timeout() {
	local t
	t=$(sed -n 's/.*zookeeper: CONNECTED (session 0x[0-9a-f]*, timeout \([0-9]*\) ms).*/\1/p' \
		"${1:-$ZKFS_LOG}" | tail -n1)
	[ -n "$t" ] || fail "the zkfs log ${1:-$ZKFS_LOG} names no session timeout"
	echo "$t"
}

# log_states_reach MARK WANT [LOG]: the states since MARK end with WANT (a
# space-joined suffix such as "LOST CONNECTED"); for wait_until.
log_states_reach() {
	local s
	s=$(log_states_since "$1" "${3:-$ZKFS_LOG}")
	[[ " $s" == *" $2" ]]
}

# ---- the counter writer
#
# counter_start TAG FILE: a background process writes 1, 2, 3, ... to FILE (a
# file of a mount), one open(O_WRONLY|O_TRUNC) + write + close per number
# through wr (so every failure is known with its errno), a few ms apart,
# until counter_stop. Its log $TEST_DIR/counter.TAG/log has "try N" before
# each attempt and "ok N" (close returned 0: acknowledged) or
# "fail N STEP: ENAME..." after it. counter_check then compares with ZooKeeper.

declare -A _COUNTER_PID=()

_counter_loop() {
	set +e
	local file=$1 dir=$2 n=0
	while [ ! -e "$dir/stop" ]; do
		n=$((n + 1))
		echo "try $n" >>"$dir/log"
		if "$WR_BIN" open "$file" wronly,trunc write "$n" 2>"$dir/err"; then
			echo "ok $n" >>"$dir/log"
		else
			echo "fail $n $(_wr_failures "$dir/err")" >>"$dir/log"
			cat "$dir/err" >>"$dir/errors"
		fi
		sleep 0.02   # pacing, not synchronisation
	done
}

counter_start() {
	local tag=$1 file=$2 dir=$TEST_DIR/counter.$1
	_need_wr
	[ -z "${_COUNTER_PID[$tag]:-}" ] || fail "counter_start $tag: already running"
	mkdir -p "$dir"
	rm -f "$dir/stop"
	: >"$dir/log"
	_counter_loop "$file" "$dir" </dev/null &
	_COUNTER_PID[$tag]=$!
	track_pid "$!"
	info "counter $tag: writing 1, 2, 3, ... to $file (PID $!)"
}

# counter_acks TAG: how many numbers were acknowledged so far.
counter_acks() { grep -c '^ok ' "$TEST_DIR/counter.$1/log" || true; }
# counter_fails TAG: how many attempts failed so far.
counter_fails() { grep -c '^fail ' "$TEST_DIR/counter.$1/log" || true; }
_counter_acks_over() { (($(counter_acks "$1") > $2)); }
_counter_fails_over() { (($(counter_fails "$1") > $2)); }

# counter_wait_acks TAG N SECS [WHAT]: wait until more than N numbers were
# acknowledged (the writer makes progress); fail after SECS.
counter_wait_acks() {
	wait_until "$3" _counter_acks_over "$1" "$2" ||
		fail "${4:-counter $1}: no more than $2 writes acknowledged within $3 s (last: $(tail -n 3 "$TEST_DIR/counter.$1/log" | paste -sd' ' -); errors: $(tail -n 3 "$TEST_DIR/counter.$1/errors" 2>/dev/null | paste -sd' ' -))"
}

# counter_stop TAG [SECS]: ask the writer to stop after its current attempt
# and wait for it (default 30 s: an attempt is bounded by -o timeout=).
counter_stop() {
	local tag=$1 secs=${2:-30} pid=${_COUNTER_PID[$1]:-}
	[ -n "$pid" ] || fail "counter_stop $tag: not running"
	touch "$TEST_DIR/counter.$tag/stop"
	wait_until "$secs" _pid_gone "$pid" ||
		fail "counter $tag: a write through the mount did not end within $secs s (hung?): $(tail -n 2 "$TEST_DIR/counter.$tag/log" | paste -sd' ' -)"
	wait "$pid" 2>/dev/null || true
	_COUNTER_PID[$tag]=
}

# counter_check TAG ZKPATH [HOSTPORT [exact]]: after counter_stop, with zkctl
# at HOSTPORT (default $ZK_HOSTPORT): ZooKeeper holds a number between the
# last acknowledged one (no acknowledged write lost) and the last attempted
# one (nothing that was never written), and every failed attempt failed with
# EIO (a connection error). ZKPATH must have been created (version 0) for the
# counter alone: its version is then the number of writes committed, which
# must be at least the number acknowledged (each acknowledgement is a commit)
# and at most that plus the attempts that failed at close (outcome unknown).
# With "exact", they must be equal: a writer is told the truth, success only
# if the write was committed, a failure only if it was not (zkfs reads back
# what it cannot know; use this where the fault is shorter than -o timeout=).
counter_check() {
	local tag=$1 zpath=$2 hp=${3:-$ZK_HOSTPORT} mode=${4:-} log=$TEST_DIR/counter.$1/log
	local last_try last_ok v ver tries oks fails closefails bad
	[ -z "${_COUNTER_PID[$tag]:-}" ] || fail "counter_check $tag: stop it first (counter_stop)"
	last_try=$(sed -n 's/^try //p' "$log" | sort -n | tail -n1)
	last_ok=$(sed -n 's/^ok //p' "$log" | sort -n | tail -n1)
	tries=$(grep -c '^try ' "$log" || true)
	oks=$(grep -c '^ok ' "$log" || true)
	fails=$(grep -c '^fail ' "$log" || true)
	closefails=$(grep -c '^fail [0-9]* .*close: ' "$log" || true)
	info "counter $tag: $tries attempted (last $last_try), $oks acknowledged (last ${last_ok:-none}), $fails failed: $(sed -n 's/^fail [0-9]* //p' "$log" | sort | uniq -c | sed 's/^ *//' | paste -sd',' -)"
	[ -n "$last_try" ] || fail "counter $tag: no attempt was made"
	v=$(zkctl_at "$hp" get "$zpath") || fail "counter $tag: zkctl get $zpath failed"
	ver=$(zkctl_at "$hp" stat "$zpath" | sed -n 's/^version=//p')
	[[ "$ver" =~ ^[0-9]+$ ]] || fail "counter $tag: no version in zkctl stat $zpath"
	info "counter $tag: ZooKeeper holds $v at version $ver ($ver writes committed; $oks acknowledged, $closefails failed at close)"
	[[ "$v" =~ ^[0-9]+$ ]] || fail "counter $tag: ZooKeeper holds '$(_show "$v")' at $zpath, not a number"
	((v >= ${last_ok:-0})) ||
		fail "counter $tag: ZooKeeper holds $v, but $last_ok was acknowledged (an acknowledged write was lost)"
	((v <= last_try)) ||
		fail "counter $tag: ZooKeeper holds $v, but the last attempt was $last_try"
	bad=$(sed -n 's/^fail \([0-9]*\) /\1 /p' "$log" | grep -Ev '^[0-9]+ ([a-z-]+: EIO ?)+$' || true)
	[ -z "$bad" ] ||
		fail "counter $tag: attempts failed with something else than EIO: $(head -n 5 <<<"$bad" | paste -sd';' -)"
	((ver >= oks)) ||
		fail "counter $tag: $oks writes acknowledged, but ZooKeeper committed only $ver (version): an acknowledged write did not happen"
	((ver <= oks + closefails)) ||
		fail "counter $tag: ZooKeeper committed $ver writes (version), more than the $oks acknowledged and $closefails failed at close"
	if [ "$mode" = exact ] && ((ver != oks)); then
		fail "counter $tag: ZooKeeper committed $ver writes (version) but only $oks were acknowledged: $((ver - oks)) write(s) reported as failed (EIO at close) did happen (an unknown outcome must be read back)"
	fi
	return 0
}

# ---- .events (where the mount has it)
#
# events_start MNT: when MNT/.events exists, read it in the background (one
# line per transition after the open) into $EVENTS_OUT, and return once the
# reader holds it open. EVENTS_OUT is "" when the mount has no .events.
# events_seen: the lines read so far, space-joined. events_stop: stop the
# reader (an open file keeps the mount busy: call it before zkfs_umount).
EVENTS_OUT=
EVENTS_PID=
_EVENTS_N=0
_events_open() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q '/\.events$'; }
events_start() {
	EVENTS_OUT=
	if [ ! -e "$1/.events" ]; then
		info "$1 has no .events: transitions are checked in the log only"
		return 0
	fi
	_EVENTS_N=$((_EVENTS_N + 1))
	EVENTS_OUT=$TEST_DIR/events.$_EVENTS_N.out
	cat "$1/.events" >"$EVENTS_OUT" 2>"$EVENTS_OUT.err" &
	EVENTS_PID=$!
	track_pid "$EVENTS_PID"
	wait_until 10 _events_open "$EVENTS_PID" ||
		fail "cat $1/.events did not open it within 10 s: $(cat "$EVENTS_OUT.err")"
}
events_seen() { paste -sd' ' "$EVENTS_OUT"; }
# events_reach WANT: the lines read so far end with WANT (space-joined).
events_reach() { [[ " $(events_seen)" == *" $1" ]]; }
events_stop() {
	[ -n "$EVENTS_PID" ] && stop_pid "$EVENTS_PID" 5
	EVENTS_PID=
}
