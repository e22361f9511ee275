#!/bin/bash
# Issue 5, robustness: 16 processes work through one mount at the same time
# (thousands of operations in all) while another client changes ZooKeeper
# directly; then the result is checked against ZooKeeper (zkctl, the ground
# truth).
#
# Under /st (the mount's base path):
#   own/pI/fK.conf   worker I's own files (K 0..3): rewritten with increasing
#                    values (O_TRUNC) and read back at once; at the end each
#                    holds the last value whose close(2) succeeded
#   own/pI/dN, eN    worker I's own directories: mkdir, a file created in it,
#                    rename dN -> eN (the subtree in one multi), and often
#                    rmdir (after unlinking the file); the ones kept at the end
#                    are exactly the ones that must exist
#   shared/sJ.log    appended by every worker (O_APPEND: conditional on the
#                    version read at open, ESTALE means nothing was written);
#                    at the end: every acknowledged line exactly once, no other
#   shared/rJ.conf   rewritten by every worker (O_TRUNC: any version); read
#                    back as a whole value some worker wrote, never a partial one;
#                    at the end: one of the acknowledged values
#   shared/          listed by every worker while the remote client creates and
#                    deletes shared/zN.conf in it
#   remote/xK.conf   set by the remote client only; read through the mount
#                    (a whole value), at the end the same as in ZooKeeper
#
# Each worker does STRESS_OPS operations (default 100: 1600 in all, each one
# or more processes through the mount); they must all be done within
# STRESS_SECS (default 240; this 2-core machine spends its time forking, the
# daemon is mostly idle). STRESS_MIN_OPS (default all of them) must be done.
# Environment knobs exist for slow runs (valgrind).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
_need_wr

NPROC=16
STRESS_SECS=${STRESS_SECS:-240}
STRESS_OPS=${STRESS_OPS:-70}
STRESS_MIN_OPS=${STRESS_MIN_OPS:-$((NPROC * STRESS_OPS))}
NOWN=4    # own files per worker
NSHARED=3 # shared files of each kind
NREMOTE=4 # remote/xK.conf
WAIT=$((5 * ${ZKFS_WAIT_SCALE:-1})) # seconds a remote change may take to show

zk_start
zkctl create /st
zkctl create /st/own
zkctl create /st/shared
zkctl create /st/remote
for i in $(seq 0 $((NPROC - 1))); do
	zkctl create "/st/own/p$i"
done
for j in $(seq 0 $((NSHARED - 1))); do
	zkctl create "/st/shared/s$j.log"
	zkctl create "/st/shared/r$j.conf" "init-$j"
done
for k in $(seq 0 $((NREMOTE - 1))); do
	zkctl create "/st/remote/x$k.conf" "r-$k-0"
done

MNT=$TEST_DIR/mnt
zkfs_mount "zookeeper://$ZK_HOSTPORT/st" "$MNT"
STOP=$TEST_DIR/stop
DEADLINE_MS=$(($(_now_ms) + STRESS_SECS * 1000))

# ---------------------------------------------------------------- workers

# worker I: runs in a subshell; writes its results into $TEST_DIR/wI/:
#   bad      unexpected failures (the test fails if any)
#   ops      the number of operations done
#   own      "fK.conf VALUE" lines: the last acknowledged value of each own file
#   dirs     the own directories that must exist at the end (one per line)
#   appended "sJ.log LINE" lines acknowledged; stale: appends refused (ESTALE)
#   rewrote  "rJ.conf VALUE" lines acknowledged
worker() {
	local i=$1 d=$TEST_DIR/w$1 own=$MNT/own/p$1
	local n=0 op k j v got rc err line dirs=() keep=() stale=0
	local -A last=()
	mkdir -p "$d"
	: >"$d/bad"
	: >"$d/appended"
	: >"$d/rewrote"
	RANDOM=$((i * 7919 + 17))
	bad() { printf 'worker %d op %d: %s\n' "$i" "$n" "$*" >>"$d/bad"; }
	while ((n < STRESS_OPS)) && [ ! -e "$STOP" ] && (($(_now_ms) < DEADLINE_MS)); do
		n=$((n + 1))
		op=$((RANDOM % 20))
		if ((op < 7)); then
			# rewrite an own file with an increasing value, read it back
			k=$((RANDOM % NOWN))
			v="p$i-f$k-$n"
			rc=0
			err=$("$WR_BIN" open "$own/f$k.conf" creat,trunc write "$v" 2>&1) || rc=$?
			if [ "$rc" != 0 ]; then
				bad "rewrite of own f$k.conf failed (exit $rc): $err"
				continue
			fi
			last[f$k.conf]=$v
			got=$(cat "$own/f$k.conf" 2>&1) || { bad "cat own f$k.conf: $got"; continue; }
			[ "$got" = "$v" ] || bad "own f$k.conf read back '$(_show "$got")', wrote '$v'"
		elif ((op < 10)); then
			# append a line to a shared log (ESTALE: not acknowledged)
			j=$((RANDOM % NSHARED))
			line="p$i-$n"
			rc=0
			err=$("$WR_BIN" open "$MNT/shared/s$j.log" append write "$line"$'\n' 2>&1) || rc=$?
			if [ "$rc" = 0 ]; then
				echo "s$j.log $line" >>"$d/appended"
			elif [[ $err == "wr: close: ESTALE ("*")" ]]; then
				stale=$((stale + 1))
			else
				bad "append to s$j.log failed (exit $rc): $err"
			fi
		elif ((op < 12)); then
			# rewrite a shared file; read it: a whole value, never a partial one
			j=$((RANDOM % NSHARED))
			v="r$j-p$i-$n"
			rc=0
			err=$("$WR_BIN" open "$MNT/shared/r$j.conf" trunc write "$v" 2>&1) || rc=$?
			if [ "$rc" = 0 ]; then
				echo "r$j.conf $v" >>"$d/rewrote"
			else
				bad "rewrite of r$j.conf failed (exit $rc): $err"
			fi
			got=$(cat "$MNT/shared/r$j.conf" 2>&1) || { bad "cat r$j.conf: $got"; continue; }
			[[ $got =~ ^(init-$j|r$j-p[0-9]+-[0-9]+)$ ]] || bad "r$j.conf read '$(_show "$got")'"
		elif ((op < 15)); then
			# own directories: mkdir dN, a file in it, rename to eN, often rmdir
			v=d$n
			if ! err=$(mkdir "$own/$v" 2>&1); then
				bad "mkdir $v: $err"
				continue
			fi
			rc=0
			err=$("$WR_BIN" open "$own/$v/in.conf" creat,excl write "in-$n" 2>&1) || rc=$?
			[ "$rc" = 0 ] || { bad "create $v/in.conf (exit $rc): $err"; dirs+=("$v"); continue; }
			if ! err=$(mv -T "$own/$v" "$own/e$n" 2>&1); then
				bad "mv $v e$n: $err"
				dirs+=("$v" "$v/in.conf")
				continue
			fi
			got=$(cat "$own/e$n/in.conf" 2>&1) || got="(cat failed) $got"
			[ "$got" = "in-$n" ] || bad "e$n/in.conf after the rename: '$(_show "$got")'"
			if ((RANDOM % 3)); then
				err=$(rm "$own/e$n/in.conf" 2>&1 && rmdir "$own/e$n" 2>&1) ||
					{ bad "rm + rmdir e$n: $err"; dirs+=("e$n" "e$n/in.conf"); }
			else
				dirs+=("e$n" "e$n/in.conf")
			fi
		elif ((op < 18)); then
			# list the shared directory: the fixed entries are always there
			got=$(ls "$MNT/shared" 2>&1) || { bad "ls shared: $got"; continue; }
			for j in $(seq 0 $((NSHARED - 1))); do
				grep -qx "s$j.log" <<<"$got" && grep -qx "r$j.conf" <<<"$got" ||
					bad "ls shared lacks s$j.log or r$j.conf: $(_show "$got")"
			done
		else
			# a value the remote client sets: whole
			k=$((RANDOM % NREMOTE))
			got=$(cat "$MNT/remote/x$k.conf" 2>&1) || { bad "cat remote x$k.conf: $got"; continue; }
			[[ $got =~ ^r-$k-[0-9]+$ ]] || bad "remote x$k.conf read '$(_show "$got")'"
			ls "$MNT/remote" >/dev/null 2>&1 || bad "ls remote failed"
		fi
	done
	echo "$n" >"$d/ops"
	echo "$stale" >"$d/stale"
	: >"$d/own"
	for k in "${!last[@]}"; do echo "$k ${last[$k]}" >>"$d/own"; done
	printf '%s\n' "${dirs[@]}" | sed '/^$/d' >"$d/dirs"
}

# remote: sets remote/xK.conf and creates/deletes shared/zN.conf and
# remote/tN.conf through zkctl until the workers are done. Writes
# $TEST_DIR/remote.{bad,ops}.
remote() {
	local n=0 k bad=$TEST_DIR/remote.bad
	: >"$bad"
	while [ ! -e "$STOP" ]; do
		n=$((n + 1))
		k=$((n % NREMOTE))
		zkctl set "/st/remote/x$k.conf" "r-$k-$n" 2>>"$bad" || echo "set x$k.conf failed" >>"$bad"
		case $((n % 4)) in
		0) zkctl create "/st/shared/z$n.conf" "z$n" 2>>"$bad" || echo "create z$n failed" >>"$bad" ;;
		2) ((n < 6)) || zkctl rm "/st/shared/z$((n - 2)).conf" 2>>"$bad" || echo "rm z$((n - 2)) failed" >>"$bad" ;;
		1) zkctl create "/st/remote/t$n.conf" "t" 2>>"$bad" || echo "create t$n failed" >>"$bad" ;;
		3) zkctl rm "/st/remote/t$((n - 2)).conf" 2>>"$bad" || echo "rm t$((n - 2)) failed" >>"$bad" ;;
		esac
	done
	echo "$n" >"$TEST_DIR/remote.ops"
}

info "$NPROC workers for up to $STRESS_SECS s / $STRESS_OPS operations each, and a remote client"
t0=$(_now_ms)
remote &
RPID=$!
track_pid "$RPID"
WPIDS=()
for i in $(seq 0 $((NPROC - 1))); do
	worker "$i" &
	WPIDS+=($!)
	track_pid "$!"
done
workers_done() {
	local p
	for p in "${WPIDS[@]}"; do _pid_gone "$p" || return 1; done
}
wait_until $((STRESS_SECS + 60 * ${ZKFS_WAIT_SCALE:-1})) workers_done ||
	fail "the workers did not finish within $((STRESS_SECS + 60 * ${ZKFS_WAIT_SCALE:-1})) s (a hung operation?)"
touch "$STOP"
wait_until 30 _pid_gone "$RPID" || fail "the remote client did not stop within 30 s"
for p in "${WPIDS[@]}" "$RPID"; do wait "$p" || fail "a worker (PID $p) exited non-zero"; done
t1=$(_now_ms)
_pid_alive "$ZKFS_PID" || fail "the daemon died during the run"

total=0
nstale=0
for i in $(seq 0 $((NPROC - 1))); do
	[ -f "$TEST_DIR/w$i/ops" ] || fail "worker $i left no result"
	total=$((total + $(cat "$TEST_DIR/w$i/ops")))
	nstale=$((nstale + $(cat "$TEST_DIR/w$i/stale")))
done
info "$total operations by $NPROC workers and $(cat "$TEST_DIR/remote.ops") remote rounds in $((t1 - t0)) ms; $nstale appends refused with ESTALE"
cat "$TEST_DIR"/w*/bad "$TEST_DIR/remote.bad" >"$TEST_DIR/allbad"
[ ! -s "$TEST_DIR/allbad" ] ||
	fail "$(wc -l <"$TEST_DIR/allbad") unexpected result(s); the first: $(head -n 5 "$TEST_DIR/allbad")"
((total >= STRESS_MIN_OPS)) || fail "only $total operations in all (expected at least $STRESS_MIN_OPS)"

# ---------------------------------------------------------------- the result

info "own files hold their last acknowledged value (ZooKeeper and the mount)"
for i in $(seq 0 $((NPROC - 1))); do
	while read -r f v; do
		assert_zk_content "/st/own/p$i/$f" "$v" "worker $i's $f in ZooKeeper"
		assert_file_content "$MNT/own/p$i/$f" "$v" "worker $i's $f through the mount"
	done <"$TEST_DIR/w$i/own"
done

info "shared logs hold every acknowledged line exactly once, and nothing else"
for j in $(seq 0 $((NSHARED - 1))); do
	cat "$TEST_DIR"/w*/appended | sed -n "s/^s$j\\.log //p" | sort >"$TEST_DIR/s$j.exp"
	zkctl get "/st/shared/s$j.log" >"$TEST_DIR/s$j.got"
	sort "$TEST_DIR/s$j.got" | cmp -s - "$TEST_DIR/s$j.exp" ||
		fail "s$j.log in ZooKeeper vs the acknowledged appends: $(sort "$TEST_DIR/s$j.got" | diff - "$TEST_DIR/s$j.exp" | head -n 10 | tr '\n' ' ')"
	cmp -s "$MNT/shared/s$j.log" "$TEST_DIR/s$j.got" || fail "s$j.log through the mount differs from ZooKeeper's value"
done
[ "$(cat "$TEST_DIR"/w*/appended | wc -l)" -gt 0 ] || fail "no append was acknowledged at all"

info "shared rewritten files hold an acknowledged value"
for j in $(seq 0 $((NSHARED - 1))); do
	v=$(zkctl get "/st/shared/r$j.conf")
	# (grep reads the files itself: grep -q after a pipe would make cat's
	# SIGPIPE fail the pipeline under pipefail)
	if grep -qxF "r$j.conf $v" "$TEST_DIR"/w*/rewrote; then
		:
	elif [ "$v" = "init-$j" ] && ! grep -q "^r$j.conf " "$TEST_DIR"/w*/rewrote; then
		:
	else
		fail "r$j.conf holds '$(_show "$v")', which no worker was acknowledged for"
	fi
	assert_file_content "$MNT/shared/r$j.conf" "$v" "r$j.conf through the mount"
done

info "no znode exists that should not, none is missing"
{
	echo .
	echo own
	echo shared
	echo remote
	for i in $(seq 0 $((NPROC - 1))); do
		echo "own/p$i"
		sed "s|^|own/p$i/|" "$TEST_DIR/w$i/dirs"
		while read -r f _; do echo "own/p$i/$f"; done <"$TEST_DIR/w$i/own"
	done
	for j in $(seq 0 $((NSHARED - 1))); do
		echo "shared/s$j.log"
		echo "shared/r$j.conf"
	done
	for k in $(seq 0 $((NREMOTE - 1))); do echo "remote/x$k.conf"; done
} | sort >"$TEST_DIR/tree.exp"
zkctl tree /st | cut -f1 | grep -Ev '^shared/z[0-9]+\.conf$|^remote/t[0-9]+\.conf$' |
	sort >"$TEST_DIR/tree.got"
cmp -s "$TEST_DIR/tree.got" "$TEST_DIR/tree.exp" ||
	fail "the znodes under /st differ from what the workers were acknowledged for (< ZooKeeper, > expected): $(diff "$TEST_DIR/tree.got" "$TEST_DIR/tree.exp" | head -n 20 | tr '\n' ' ')"

info "listings through the mount equal ZooKeeper's children"
# every directory of the tree, as zkctl lists it, against ls -A through the
# mount (waiting for the remote client's last changes to show)
listing_same() {
	local rel=$1 z m
	z=$(zkctl ls "/st${rel:+/$rel}") || return 1
	m=$(cd "$MNT${rel:+/$rel}" && LC_ALL=C ls -A | grep -vxE '\.state|\.events' | LC_ALL=C sort) || return 1
	[ "$z" = "$m" ]
}
ndirs=0
while IFS= read -r rel; do
	[ "$rel" = . ] && rel=
	[ -d "$MNT${rel:+/$rel}" ] || continue
	ndirs=$((ndirs + 1))
	wait_until "$WAIT" listing_same "$rel" ||
		fail "listing of '${rel:-/}' through the mount differs from zkctl ls: $(diff <(zkctl ls "/st${rel:+/$rel}") <(cd "$MNT${rel:+/$rel}" && LC_ALL=C ls -A | LC_ALL=C sort) | head -n 10 | tr '\n' ' ')"
done < <(zkctl tree /st | cut -f1)
info "$ndirs directory listings compared"
for k in $(seq 0 $((NREMOTE - 1))); do
	v=$(zkctl get "/st/remote/x$k.conf")
	wait_until "$WAIT" file_is "$MNT/remote/x$k.conf" "$v" ||
		fail "remote/x$k.conf through the mount is not ZooKeeper's '$v' within $WAIT s: '$(_show "$(cat "$MNT/remote/x$k.conf" 2>&1)")'"
done

info "the daemon is alive and logged no error"
_pid_alive "$ZKFS_PID" || fail "the daemon died"
_state_is "$MNT" CONNECTED || fail ".state is not CONNECTED after the run"
# expected: info lines, and the warning of each append refused with ESTALE
unexpected() { grep -v '^zkfs: info: ' "$ZKFS_LOG" | grep -vE '^zkfs: warning: /st/shared/s[0-9]+\.log: changed since it was opened \(version [0-9]+\): nothing written$'; }
if unexpected | grep -q .; then
	fail "the daemon logged something unexpected: $(unexpected | head -n 10)"
fi
zkfs_umount "$MNT"
assert_eq 0 "$ZKFS_STATUS" "the daemon's exit status after unmounting"
