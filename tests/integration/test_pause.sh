#!/bin/bash
# Issue 5 (a paused server), SPEC §4 and §6: on a 3-server ensemble, the
# server holding zkfs's session is frozen (SIGSTOP) for longer than the
# client's read timeout (2/3 of the session timeout). The client moves on by
# itself: .state goes SUSPENDED, then CONNECTED on another server with the
# same session (never LOST); cached data is served throughout; a change made
# through another server meanwhile shows afterwards (the watch survived the
# move); a counter writer loses no acknowledged write.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

command -v inotifywait >/dev/null 2>&1 || fail "inotifywait not found (package inotify-tools)"
command -v ss >/dev/null 2>&1 || fail "ss not found (package iproute2)"

ST=4   # -o session_timeout= (s); the ensemble's tickTime is 500 ms: 1 s .. 60 s

zk_ensemble_start
zkctl_at "$ZK_ENS_HOSTPORTS" create /base
zkctl_at "$ZK_ENS_HOSTPORTS" create /base/app.conf "v1"
zkctl_at "$ZK_ENS_HOSTPORTS" create /base/counter.conf "0"

MNT=$TEST_DIR/mnt
zkfs_mount "zookeeper://$ZK_ENS_HOSTPORTS/base" "$MNT" -o timeout=5,session_timeout=$ST
assert_file_content "$MNT/app.conf" "v1" "app.conf before the pause (now cached and watched)"
SID0=$(zkfs_session_id)
NEG=$(zkfs_session_timeout)
assert_eq $((ST * 1000)) "$NEG" "the negotiated session timeout (ms)"
READ_TMO=$((NEG * 2 / 3))

state_watch "$MNT"   # state_events, record_state, $STATES_SEEN (faults.sh)
record_state
events_start "$MNT"

counter_start p "$MNT/counter.conf"
counter_wait_acks p 2 20 "the counter writer before the pause"

wait_until 10 zk_ensemble_serving "$ZKFS_PID" >/dev/null ||
	fail "no established connection from zkfs (PID $ZKFS_PID) to an ensemble client port"
S=$(zk_ensemble_serving "$ZKFS_PID")
P=${ZK_ENS_PIDS[$S]}
OTHERS=
for i in 1 2 3; do
	[ "$i" = "$S" ] || OTHERS+=${OTHERS:+,}127.0.0.1:${ZK_ENS_PORTS[$i]}
done
info "zkfs (session $SID0, timeout $NEG ms, read timeout $READ_TMO ms) is on server $S (PID $P, $(zk_ensemble_mode "$S")); pausing it"

# ---- pause the serving server
n0=$(state_events)
mark=$(log_mark)
t_pause=$(_now_ms)
fault_stop "$P"

# cached data is served at once while the server is frozen
t0=$(_now_ms)
assert_file_content "$MNT/app.conf" "v1" "app.conf (cached) right after pausing server $S"
t1=$(_now_ms)
(((t1 - t0) < 1500)) || fail "reading the cached app.conf took $((t1 - t0)) ms with server $S paused (expected no wait)"

# a remote change through the other servers (retried while they elect a new
# leader, if the paused one led)
zk_set_others() { zkctl_at "$OTHERS" set /base/app.conf "v2 during the pause" 2>/dev/null; }
wait_until 40 zk_set_others || fail "could not set /base/app.conf through servers $OTHERS within 40 s"

# SUSPENDED, then CONNECTED on another server: the client moved on by itself
state_back() { record_state; log_states_reach "$mark" "SUSPENDED CONNECTED"; }
wait_until 40 state_back ||
	fail "expected SUSPENDED then CONNECTED in the zkfs log within 40 s of pausing server $S; log: '$(log_states_since "$mark")', .state seen: $(paste -sd' ' "$STATES_SEEN")"
t_back=$(_now_ms)
[ "$(pid_state "$P")" = T ] ||
	fail "server $S (PID $P) is not stopped any more"
record_state
info "back to CONNECTED $((t_back - t_pause)) ms after the pause; log: $(log_states_since "$mark"); .state seen: $(paste -sd' ' "$STATES_SEEN"); inotify events: $(($(state_events) - n0))"
assert_eq "SUSPENDED CONNECTED" "$(log_states_since "$mark")" "the zkfs log's state transitions during the pause"
assert_eq "$SID0" "$(log_sessions_since "$mark")" "the session after the move (same session, not a new one)"
! grep -qx LOST "$STATES_SEEN" || fail ".state went LOST during the pause: $(paste -sd' ' "$STATES_SEEN")"
(((t_back - t_pause) >= READ_TMO - 500)) ||
	fail "CONNECTED again $((t_back - t_pause)) ms after the pause, before the read timeout ($READ_TMO ms): did zkfs leave the server for another reason?"
# inotify merges identical events its reader has not read yet (inotify(7)):
# when CONNECTED follows SUSPENDED before inotifywait has read the first one
# (seen with two valgrind runs on 2 CPUs), the two are one event. .state must
# wake it; that none is missed is .events' promise, checked just below.
wait_until 5 state_events_more_than "$n0" ||
	fail "inotifywait reported no event on .state for SUSPENDED and CONNECTED"
if [ -n "$EVENTS_OUT" ]; then
	wait_until 5 events_reach CONNECTED || true
	assert_eq "SUSPENDED CONNECTED" "$(events_seen)" ".events during the pause"
fi
wait_until 10 zk_ensemble_serving "$ZKFS_PID" >/dev/null || fail "zkfs has no connection to an ensemble server after CONNECTED"
S2=$(zk_ensemble_serving "$ZKFS_PID")
[ "$S2" != "$S" ] || fail "zkfs is connected to the paused server $S"
info "zkfs moved to server $S2"

# the change made during the pause shows (the watch survived the move)
wait_until 10 file_is "$MNT/app.conf" "v2 during the pause" ||
	fail "app.conf: the change made during the pause is not visible within 10 s of CONNECTED; reads '$(_show "$(timeout 5 cat "$MNT/app.conf" 2>&1)")'"

# writes through the mount go on (while the server is still paused)
acks=$(counter_acks p)
counter_wait_acks p "$((acks + 2))" 20 "the counter writer after the move"

# ---- the paused server goes on
fault_cont "$P"
wait_until 60 _ens_serving "$S" || fail "server $S did not serve again within 60 s of SIGCONT"
wait_until 30 _ens_quorum_ok || fail "the ensemble did not settle within 30 s of SIGCONT of server $S"
assert_file_content "$MNT/.state" $'CONNECTED\n' ".state after the paused server went on"
case " $(log_states_since "$mark") " in
*" LOST "*) fail "the zkfs log reports LOST: $(log_states_since "$mark")" ;;
esac

acks=$(counter_acks p)
counter_wait_acks p "$((acks + 2))" 20 "the counter writer after SIGCONT"
counter_stop p
counter_check p /base/counter.conf "$ZK_ENS_HOSTPORTS" exact

zkctl_at "$ZK_ENS_HOSTPORTS" set /base/app.conf "v3"
wait_until 10 file_is "$MNT/app.conf" "v3" ||
	fail "app.conf: a remote change after the pause is not visible within 10 s"
wr_ok "echo v4 > app.conf after the pause" open "$MNT/app.conf" wronly,trunc write v4
[ "$(zkctl_at "$ZK_ENS_HOSTPORTS" get /base/app.conf)" = v4 ] || fail "app.conf in ZooKeeper is not v4 after writing it"

[ -z "$EVENTS_OUT" ] || assert_eq "SUSPENDED CONNECTED" "$(events_seen)" ".events during the whole test"
events_stop
zkfs_umount "$MNT"
