#!/bin/bash
# Issue 5 (failover): a mount on a 3-server ensemble survives the crash of the
# server it is connected to and then of the leader. The session moves to a
# surviving server without expiring (.state goes SUSPENDED -> CONNECTED and
# never LOST), the watch on a cached file is re-armed there (a change made
# while the client was away shows up), and cached data is served throughout.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

command -v inotifywait >/dev/null 2>&1 || fail "inotifywait not found (package inotify-tools)"
command -v ss >/dev/null 2>&1 || fail "ss not found (package iproute2)"

zk_ensemble_start
zkctl_at "$ZK_ENS_HOSTPORTS" create /base
zkctl_at "$ZK_ENS_HOSTPORTS" create /base/app.conf "v1"

MNT=$TEST_DIR/mnt
zkfs_mount "zookeeper://$ZK_ENS_HOSTPORTS/base" "$MNT" -o timeout=5,session_timeout=20
assert_file_content "$MNT/app.conf" "v1" "app.conf before the failover (now cached and watched)"
# the mount's source is the whole server list, commas included
assert_eq "zookeeper://$ZK_ENS_HOSTPORTS/base" \
	"$(awk -v m="$MNT" '$2 == m { print $1 }' /proc/mounts)" "the mount's source in /proc/mounts"

state_watch "$MNT"   # state_events, record_state, $STATES_SEEN (faults.sh)
# state_reached WANT N0: record .state; true once it reads WANT and inotify
# reported at least 2 events since the count N0 (out of it and back in).
state_reached() {
	record_state
	[ "$(tail -n1 "$STATES_SEEN")" = "$1" ] && (($(state_events) >= $2 + 2))
}
record_state

# ---- fault 1: SIGKILL the server zkfs is connected to
wait_until 10 zk_ensemble_serving "$ZKFS_PID" >/dev/null ||
	fail "no established connection from zkfs (PID $ZKFS_PID) to an ensemble client port: $(ss -Htnp state established | grep "pid=$ZKFS_PID," || true)"
S1=$(zk_ensemble_serving "$ZKFS_PID")
info "zkfs is connected to server $S1 (port ${ZK_ENS_PORTS[$S1]}); the leader is $(zk_ensemble_leader)"
n0=$(state_events)
log0=$(log_mark)
zk_ensemble_stop_one "$S1" KILL

# change the file right away through a surviving server, while zkfs is away
# or just reconnecting
S_OTHER=$(((S1 % 3) + 1))
zkctl_at "127.0.0.1:${ZK_ENS_PORTS[$S_OTHER]}" set /base/app.conf "v2 after failover"

wait_until 40 state_reached CONNECTED "$n0" ||
	fail ".state: expected SUSPENDED then CONNECTED (2 inotify events) within 40 s of killing server $S1; seen: $(paste -sd' ' "$STATES_SEEN"), $(($(state_events) - n0)) events, log: $(log_states_since "$log0")"
info "states seen: $(paste -sd' ' "$STATES_SEEN"); inotify events since the kill: $(($(state_events) - n0)); zkfs log: $(log_states_since "$log0")"
assert_eq "SUSPENDED CONNECTED" "$(log_states_since "$log0")" "the zkfs log's state transitions after killing server $S1"
! grep -qx LOST "$STATES_SEEN" || fail ".state went LOST (the session expired) during the failover: $(paste -sd' ' "$STATES_SEEN")"
grep -q 'zookeeper: LOST\|session expired' "$ZKFS_LOG" && fail "the zkfs log reports a lost session: $(grep -n 'LOST\|expired' "$ZKFS_LOG")"

S2=$(zk_ensemble_serving "$ZKFS_PID") ||
	fail "zkfs (PID $ZKFS_PID) has no connection to an ensemble server after CONNECTED"
[ "$S2" != "$S1" ] || fail "zkfs reports server $S2 as its server after that server was killed"
info "zkfs moved to server $S2"

wait_until 10 file_is "$MNT/app.conf" "v2 after failover" ||
	fail "app.conf: the change made during the failover is not visible within 10 s (the watch did not survive the move); reads '$(_show "$(timeout 5 cat "$MNT/app.conf" 2>&1)")'"

# ---- fault 2: the leader (another server if zkfs is on the leader)
zk_ensemble_start_one "$S1"   # a quorum of 2 must remain after the next kill
wait_until 30 zk_ensemble_leader >/dev/null || fail "no leader after restarting server $S1"
L=$(zk_ensemble_leader)
S2=$(zk_ensemble_serving "$ZKFS_PID") || fail "zkfs has no connection to an ensemble server before fault 2"
if [ "$L" != "$S2" ]; then
	K=$L
else
	K=$(((S2 % 3) + 1))
fi
info "fault 2: leader $L, zkfs on $S2, killing $K"
: >"$STATES_SEEN"
record_state
log1=$(log_mark)
zk_ensemble_stop_one "$K" KILL
assert_file_content "$MNT/app.conf" "v2 after failover" "app.conf (cached) right after killing server $K"
record_state
# the survivors elect a leader again
wait_until 60 zk_ensemble_leader >/dev/null || fail "no leader within 60 s after killing server $K"
wait_until 40 _state_is "$MNT" CONNECTED ||
	fail ".state: expected CONNECTED within 40 s of killing server $K; reads '$(_show "$(cat "$MNT/.state" 2>&1)")'"
record_state
info "fault 2: states seen: $(paste -sd' ' "$STATES_SEEN"); zkfs log: $(log_states_since "$log1")"
! grep -qx LOST "$STATES_SEEN" || fail ".state went LOST after killing server $K: $(paste -sd' ' "$STATES_SEEN")"
case " $(log_states_since "$log1") " in
*" LOST "*) fail "the zkfs log reports LOST after killing server $K: $(log_states_since "$log1")" ;;
esac
assert_file_content "$MNT/app.conf" "v2 after failover" "app.conf after killing server $K"
assert_file_content "$MNT/.state" $'CONNECTED\n' ".state after killing server $K"

# the mount still follows remote changes
zkctl_at "$ZK_ENS_HOSTPORTS" set /base/app.conf "v3"
wait_until 10 file_is "$MNT/app.conf" "v3" ||
	fail "app.conf: a remote change after the second fault is not visible within 10 s"

zkfs_umount "$MNT"
