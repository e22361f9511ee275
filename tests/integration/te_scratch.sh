#!/bin/bash
# Issues 5 and 17 (session expiry), SPEC §4 and §6: the daemon is frozen
# (SIGSTOP) until the server has expired its session; meanwhile a cached file
# is changed, a cached file deleted and a file created, directly in
# ZooKeeper. After SIGCONT: LOST, then CONNECTED with a new session, opened
# by zkfs itself. The cached facts were kept (no kernel notice at the
# expiry); the new session revalidates them in one pipelined pass, which
# finds the changes: the new value, the deleted file ENOENT, the created one
# listed. What did not change stays cached: with every server then stopped,
# a file read before the expiry is still served. A counter writer loses no
# acknowledged write.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

command -v inotifywait >/dev/null 2>&1 || fail "inotifywait not found (package inotify-tools)"

ST=2   # -o session_timeout= (s)

# a server that grants a 2 s session and expires it within a tick (500 ms)
zk_start
zk_config tickTime=500 minSessionTimeout=1000
zk_restart
zkctl create /base
zkctl create /base/a.conf "a1"
zkctl create /base/gone.conf "to be deleted"
zkctl create /base/counter.conf "0"
zkctl create /base/dir
zkctl create /base/dir/b.conf "b1"
zkctl create /base/same.conf "s1"
zkctl create /base/dir/same.conf "d1"
zkctl create /base/keep
zkctl create /base/keep/k.conf "k1"   # read before the expiry, never after until the end

MNT=$TEST_DIR/mnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/base" "$MNT" -o timeout=5,session_timeout=$ST,debug
SID0=$(zkfs_session_id)
assert_eq $((ST * 1000)) "$(zkfs_session_timeout)" "the negotiated session timeout (ms)"

# cache everything the kernel and zkfs can hold: data, attributes, names,
# listings, and the absence of new.conf (a negative entry)
assert_file_content "$MNT/a.conf" "a1" "a.conf before the expiry"
assert_file_content "$MNT/gone.conf" "to be deleted" "gone.conf before the expiry"
assert_file_content "$MNT/dir/b.conf" "b1" "dir/b.conf before the expiry"
assert_file_content "$MNT/same.conf" "s1" "same.conf before the expiry"
assert_file_content "$MNT/dir/same.conf" "d1" "dir/same.conf before the expiry"
assert_file_content "$MNT/keep/k.conf" "k1" "keep/k.conf before the expiry"
assert_eq 2 "$(stat -c %s "$MNT/a.conf")" "a.conf's size before the expiry"
ls -a "$MNT" "$MNT/dir" >/dev/null
[ ! -e "$MNT/new.conf" ] || fail "new.conf exists before the expiry"
[ ! -e "$MNT/dir/new.conf" ] || fail "dir/new.conf exists before the expiry"

state_watch "$MNT"   # state_events (faults.sh)

# .events, where the mount has it, records every transition (a LOST can be
# too short for inotify and a read of .state to see)
events_start "$MNT"

counter_start e "$MNT/counter.conf"
counter_wait_acks e 2 20 "the counter writer before the expiry"

# a recursive inotify watcher of the mount: the changes made while the
# session was gone must raise their events once, after the new session
IW_OUT=$TEST_DIR/iw.ev
inotifywait -m -r --format '%w%f|%e' "$MNT" >"$IW_OUT" 2>"$TEST_DIR/iw.err" &
IW_PID=$!
track_pid "$IW_PID"
wait_until 10 grep -q "Watches established" "$TEST_DIR/iw.err" ||
	fail "inotifywait -m -r did not start: $(cat "$TEST_DIR/iw.err")"

zk_session_listed "$SID0" || fail "the server does not list zkfs's session $SID0 (4lw dump/cons): $(zk_4lw dump)"

# ---- freeze the daemon until the server expires its session
n0=$(state_events)
mark=$(log_mark)
t0=$(_now_ms)
fault_stop "$ZKFS_PID"
zk_session_gone() { ! zk_session_listed "$SID0"; }
wait_until 30 zk_session_gone ||
	fail "the server still lists session $SID0 30 s after the daemon was frozen (session timeout $ST s)"
t1=$(_now_ms)
info "the server expired session $SID0 $((t1 - t0)) ms after the daemon was frozen"

# the changes zkfs must not miss
zkctl set /base/a.conf "a2 changed while expired"
zkctl rm /base/gone.conf
zkctl create /base/new.conf "created while expired"
zkctl set /base/dir/b.conf "b2"
zkctl create /base/dir/new.conf "n2"

fault_cont "$ZKFS_PID"

# ---- LOST, then CONNECTED with a new session
wait_until 30 log_states_reach "$mark" "LOST CONNECTED" ||
	fail "expected LOST then CONNECTED in the zkfs log within 30 s of SIGCONT; got '$(log_states_since "$mark")'"
wait_until 10 _state_is "$MNT" CONNECTED ||
	fail ".state: expected CONNECTED after the new session; reads '$(_show "$(timeout 5 cat "$MNT/.state" 2>&1)")'"
states=$(log_states_since "$mark")
SID1=$(zkfs_session_id)
info "after SIGCONT: log states '$states', sessions '$(log_sessions_since "$mark")', inotify events $(($(state_events) - n0))"
case $states in
"LOST CONNECTED" | "SUSPENDED LOST CONNECTED") ;;
*) fail "the zkfs log's state transitions across the expiry: expected '[SUSPENDED ]LOST CONNECTED', got '$states'" ;;
esac
tail -n "+$((mark + 1))" "$ZKFS_LOG" | grep -q 'zookeeper: LOST (session expired)' ||
	fail "the zkfs log does not report the expiry ('zookeeper: LOST (session expired)')"
[ "$SID1" != "$SID0" ] || fail "CONNECTED after the expiry with the old session $SID0"
assert_eq "$SID1" "$(log_sessions_since "$mark")" "the sessions connected after the expiry (one new one)"
state_events_more_than "$n0" || fail "inotifywait reported no event on .state across the expiry"

# ---- the new session revalidates what was cached, in one pass
revalidated() { tail -n "+$((mark + 1))" "$ZKFS_LOG" | grep -q 'revalidation done: '; }
wait_until 20 revalidated ||
	fail "no 'revalidation done' in the zkfs log within 20 s of the new session: $(tail -n "+$((mark + 1))" "$ZKFS_LOG" | grep -i revalidat | paste -sd'|' -)"
summary=$(tail -n "+$((mark + 1))" "$ZKFS_LOG" | grep 'revalidation done: ' | tail -n1)
info "${summary#*zkfs*: }"
changed=$(sed -n 's/.* \([0-9]*\) changed .*/\1/p' <<<"$summary")
unchanged=$(sed -n 's/.* \([0-9]*\) unchanged,.*/\1/p' <<<"$summary")
# changed: a.conf, gone.conf, new.conf (absent before), the base (children),
# dir/b.conf, dir/new.conf (absent before), dir (children); unchanged at
# least same.conf, dir/same.conf, keep and keep/k.conf
((${changed:-0} >= 7)) || fail "the revalidation found $changed changed paths, expected at least 7: $summary"
((${unchanged:-0} >= 4)) || fail "the revalidation found $unchanged unchanged paths, expected at least 4: $summary"

# ---- so the changes made meanwhile show (once the kernel has the notices)
gone_is_enoent() {
	local err rc=0
	err=$(stat "$MNT/gone.conf" 2>&1 >/dev/null) || rc=$?
	[ "$rc" != 0 ] && [[ "$err" == *"$(errno_msg ENOENT)"* ]]
}
size_is() { [ "$(stat -c %s "$1" 2>/dev/null)" = "$2" ]; }
wait_until 5 file_is "$MNT/a.conf" "a2 changed while expired" ||
	fail "a.conf after the new session: expected the value set while the session was expired, reads '$(_show "$(timeout 5 cat "$MNT/a.conf" 2>&1)")'"
wait_until 5 size_is "$MNT/a.conf" 24 ||
	fail "a.conf's size after the new session: expected 24, got $(stat -c %s "$MNT/a.conf" 2>&1)"
wait_until 5 gone_is_enoent ||
	fail "gone.conf (deleted while the session was expired) after the new session: expected ENOENT, stat says: $(stat "$MNT/gone.conf" 2>&1)"
wait_until 5 in_listing "$MNT" new.conf ||
	fail "ls does not list new.conf (created while the session was expired) after the new session: $(ls -a "$MNT" | paste -sd' ' -)"
in_listing "$MNT" gone.conf && fail "ls lists gone.conf (deleted while the session was expired) after the new session"
assert_file_content "$MNT/new.conf" "created while expired" "new.conf after the new session"
wait_until 5 file_is "$MNT/dir/b.conf" "b2" ||
	fail "dir/b.conf after the new session: expected b2, reads '$(_show "$(timeout 5 cat "$MNT/dir/b.conf" 2>&1)")'"
wait_until 5 in_listing "$MNT/dir" new.conf ||
	fail "ls dir does not list dir/new.conf after the new session: $(ls -a "$MNT/dir" | paste -sd' ' -)"
assert_file_content "$MNT/dir/new.conf" "n2" "dir/new.conf after the new session"

# ---- and raised their inotify events, each once: a marker created after
# them raises its own after theirs (one queue, in order)
ev_count() { grep -cxF -- "$MNT/$1|$2" "$IW_OUT" || true; }
ev_seen() { [ "$(ev_count "$1" "$2")" -ge 1 ]; }
for want in "a.conf|CLOSE_WRITE,CLOSE" "gone.conf|DELETE" "new.conf|CREATE" \
	"dir/b.conf|CLOSE_WRITE,CLOSE" "dir/new.conf|CREATE"; do
	wait_until 10 ev_seen "${want%|*}" "${want#*|}" ||
		fail "inotify: no '${want#*|}' on ${want%|*} for its change while the session was gone: $(grep -v counter.conf "$IW_OUT" | paste -sd' ' -)"
done
zkctl create /base/zz-marker.conf "m"
wait_until 10 ev_seen zz-marker.conf CREATE || fail "inotify: no CREATE for the marker zz-marker.conf"
for want in "a.conf|CLOSE_WRITE,CLOSE" "a.conf|MODIFY" "gone.conf|DELETE" "new.conf|CREATE" \
	"dir/b.conf|CLOSE_WRITE,CLOSE" "dir/new.conf|CREATE"; do
	assert_eq 1 "$(ev_count "${want%|*}" "${want#*|}")" \
		"inotify: '${want#*|}' events on ${want%|*} across the expiry (once)"
done
for same in same.conf dir/same.conf keep/k.conf; do
	assert_eq 0 "$(grep -c -- "^$MNT/$same|" "$IW_OUT" || true)" \
		"inotify: events on $same, unchanged across the expiry"
done
stop_pid "$IW_PID"

if [ -n "$EVENTS_OUT" ]; then
	wait_until 5 events_reach CONNECTED || true
	assert_eq "$states" "$(events_seen)" ".events across the expiry (the same transitions as the log)"
	events_stop
fi

# the new session's watches work
zkctl set /base/a.conf "a3"
wait_until 5 file_is "$MNT/a.conf" "a3" ||
	fail "a.conf: a remote change after the new session is not visible within 5 s (watches not set on the new session?)"
zkctl rm /base/dir/new.conf
wait_until 5 eval '[ ! -e "$MNT/dir/new.conf" ]' ||
	fail "dir/new.conf: a remote delete after the new session is not visible within 5 s"

# writes work again; no acknowledged write was lost
acks=$(counter_acks e)
counter_wait_acks e "$((acks + 2))" 20 "the counter writer after the expiry"
counter_stop e
counter_check e /base/counter.conf "$ZK_HOSTPORT" exact
wr_ok "echo a4 > a.conf after the expiry" open "$MNT/a.conf" wronly,trunc write a4
assert_zk_content /base/a.conf "a4" "a.conf in ZooKeeper after a write after the expiry"

# ---- every server stops: what did not change across the expiry is still
# cached (revalidated, watched again) and served at once; keep/k.conf was
# read before the expiry and not since (no listing of keep/ either)
zk_stop
wait_until 30 _state_is "$MNT" SUSPENDED ||
	fail ".state: expected SUSPENDED within 30 s of stopping the server; reads '$(_show "$(timeout 5 cat "$MNT/.state" 2>&1)")'"
t0=$(_now_ms)
assert_file_content "$MNT/keep/k.conf" "k1" "keep/k.conf (read before the expiry, unchanged) while every server is down"
assert_file_content "$MNT/same.conf" "s1" "same.conf (read before the expiry, unchanged) while every server is down"
assert_file_content "$MNT/dir/same.conf" "d1" "dir/same.conf (read before the expiry, unchanged) while every server is down"
assert_file_content "$MNT/dir/b.conf" "b2" "dir/b.conf (revalidated) while every server is down"
t1=$(_now_ms)
(((t1 - t0) < 1500)) || fail "reading cached files took $((t1 - t0)) ms while every server is down (expected no wait)"

# unmounting while SUSPENDED is prompt
t0=$(_now_ms)
zkfs_umount "$MNT"
t1=$(_now_ms)
info "unmounted in $((t1 - t0)) ms while every server is down"
