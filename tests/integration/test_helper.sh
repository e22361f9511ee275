#!/bin/bash
# Issue 4 item 2: mount.zkfs's argument handling as a unit. The built helper
# ($MOUNT_ZKFS) runs with ZKFS_BIN pointing to a fake zkfs that records its
# argv (NUL-separated); every case asserts that exact argv, for the orders and
# flags mount(8) uses ("External helpers" in mount(8): SOURCE DIR [-sfnv]
# [-o OPTS] [-t TYPE]) and the others the helper accepts; and the helper passes
# on or drops each -o option as zkfs's options table ($OPTLIST_BIN) says.
# No ZooKeeper, no mount.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ -n "${MOUNT_ZKFS:-}" ] && [ -x "$MOUNT_ZKFS" ] ||
	fail "MOUNT_ZKFS is not set to the built, executable mount-helper/mount.zkfs (got '${MOUNT_ZKFS:-}')"
[ -n "${OPTLIST_BIN:-}" ] && [ -x "$OPTLIST_BIN" ] ||
	fail "OPTLIST_BIN is not set to an executable (got '${OPTLIST_BIN:-}')"
case ${ZKFS_INSTALLED_BIN:-} in
/*) ;;
*) fail "ZKFS_INSTALLED_BIN must be the absolute install path of zkfs (got '${ZKFS_INSTALLED_BIN:-}')" ;;
esac

FAKE="$TEST_DIR/fake bin/zkfs" # a space in its path: the helper must quote it
REC=$TEST_DIR/argv
mkdir -p "${FAKE%/*}"
cat >"$FAKE" <<'EOF'
#!/bin/bash
# a fake zkfs: record $0 and every argument, NUL-terminated; exit $FAKE_ZKFS_RC
{
	printf '%s\0' "$0"
	for a in "$@"; do printf '%s\0' "$a"; done
} >"$FAKE_ZKFS_OUT"
exit "${FAKE_ZKFS_RC:-0}"
EOF
chmod +x "$FAKE"
export FAKE_ZKFS_OUT=$REC

SRC=zookeeper://zk1:2181,zk2:2181/app
DIR=/mnt/app
ALL_DROPPED='_netdev,nofail,auto,noauto,user,users,nouser,user=bob,owner,group,defaults,x-systemd.automount,x-systemd.requires=zk.service,comment=a b,,'

# helper ARGS...: run the helper with the fake zkfs; sets RC, OUT (stdout),
# ERR (stderr) and GOT (the recorded argv, or "(zkfs not run)").
HELPER=("$MOUNT_ZKFS")
helper() {
	rm -f "$REC"
	RC=0
	ZKFS_BIN=$FAKE "${HELPER[@]}" "$@" >"$TEST_DIR/out" 2>"$TEST_DIR/err" </dev/null || RC=$?
	OUT=$(cat "$TEST_DIR/out")
	ERR=$(cat "$TEST_DIR/err")
	if [ -f "$REC" ]; then
		local got=()
		mapfile -d '' got <"$REC"
		GOT=$(printf '%q ' "${got[@]}")
	else
		GOT="(zkfs not run)"
	fi
}

# expect_argv WHAT EXPECTED_ARGV... -- HELPER_ARGS...: the helper exits 0 and
# runs zkfs with exactly EXPECTED_ARGV after the fake's own path.
expect_argv() {
	local what=$1 exp=("$FAKE")
	shift
	while [ "$1" != -- ]; do
		exp+=("$1")
		shift
	done
	shift
	helper "$@"
	[ "$RC" = 0 ] || fail "$what: mount.zkfs $(printf '%q ' "$@")exited $RC: $ERR"
	assert_eq "$(printf '%q ' "${exp[@]}")" "$GOT" "$what: the argv of zkfs"
	info "ok: $what"
}

# printed_is WHAT EXPECTED_ARGV...: $OUT is one line "mount.zkfs: CMD" where
# CMD, read by the shell, is exactly EXPECTED_ARGV (so it is quoted right).
printed_is() {
	local what=$1 cmd words=()
	shift
	[ "$(grep -c . <<<"$OUT")" = 1 ] || fail "$what: expected one line on stdout, got: $OUT"
	[[ "$OUT" == "mount.zkfs: "* ]] || fail "$what: the printed line does not start with 'mount.zkfs: ': $OUT"
	cmd=${OUT#mount.zkfs: }
	eval "words=($cmd)"
	assert_eq "$(printf '%q ' "$@")" "$(printf '%q ' "${words[@]}")" "$what: the printed command"
}

# expect_usage WHAT SUBSTRING HELPER_ARGS...: exit 1, SUBSTRING on stderr, zkfs not run.
expect_usage() {
	local what=$1 sub=$2
	shift 2
	helper "$@"
	[ "$RC" = 1 ] || fail "$what: mount.zkfs $(printf '%q ' "$@")exited $RC (expected 1): $ERR"
	[[ "$ERR" == *"$sub"* ]] || fail "$what: stderr does not contain '$sub': $ERR"
	[[ "$ERR" == mount.zkfs:* ]] || fail "$what: stderr does not start with 'mount.zkfs:': $ERR"
	assert_eq "(zkfs not run)" "$GOT" "$what: zkfs must not run"
	info "ok: $what"
}

# ---------------------------------------------------------------- as mount(8) calls it

# options only for mount(8)/systemd/fstab are dropped, the rest kept in order
expect_argv "mount(8) order, the fstab option mix" "$SRC" "$DIR" -o ro,uid=5 -- \
	"$SRC" "$DIR" -o _netdev,nofail,ro,x-systemd.automount,comment=foo,uid=5
expect_argv "mount(8)'s default rw is passed on" "$SRC" "$DIR" -o rw,config=/etc/zkfs/a.conf -- \
	"$SRC" "$DIR" -o rw,config=/etc/zkfs/a.conf,_netdev,nofail
expect_argv "every mount(8)-only option dropped: no -o at all" "$SRC" "$DIR" -- \
	"$SRC" "$DIR" -o "$ALL_DROPPED"
expect_argv "no options" "$SRC" "$DIR" -- "$SRC" "$DIR"
expect_argv "-n (no mtab) is ignored" "$SRC" "$DIR" -o ro -- "$SRC" "$DIR" -n -o ro
expect_argv "-s (sloppy) is ignored" "$SRC" "$DIR" -o ro -- "$SRC" "$DIR" -s -o ro
expect_argv "-s -n together, mount(8)'s order" "$SRC" "$DIR" -o rw -- "$SRC" "$DIR" -s -n -o rw
expect_argv "-t fuse.zkfs after -o is ignored" "$SRC" "$DIR" -o rw -- "$SRC" "$DIR" -o rw -t fuse.zkfs
expect_argv "-t zkfs is ignored" "$SRC" "$DIR" -- "$SRC" "$DIR" -t zkfs

# ---------------------------------------------------------------- the options table

# Every -o option of zkfs's table, alone and among others: passed on or
# dropped as its HELPER column says (the shell script cannot read the table).
n=0
while IFS=$'\t' read -r name form passes _; do
	case $form in
	flag) continue ;;   # -f, -d, -h, -V: zkfs's flags, not -o options
	value) opt=$name=1 ;;
	drop-prefix) opt=${name}x ;;
	*) opt=$name ;;
	esac
	case $passes in
	pass) want=("$FAKE" "$SRC" "$DIR" -o "ro,$opt,uid=5") ;;
	drop) want=("$FAKE" "$SRC" "$DIR" -o "ro,uid=5") ;;
	*) fail "optlist printed '$passes' for '$name' (pass or drop)" ;;
	esac
	helper "$SRC" "$DIR" -o "ro,$opt,uid=5"
	[ "$RC" = 0 ] || fail "-o $opt: mount.zkfs exited $RC: $ERR"
	assert_eq "$(printf '%q ' "${want[@]}")" "$GOT" "-o $opt (the table says: $passes): the argv of zkfs"
	n=$((n + 1))
done < <("$OPTLIST_BIN")
[ "$n" -ge 25 ] || fail "optlist printed only $n -o options"
info "ok: the $n -o options of zkfs's table are passed on or dropped as the table says"

# ---------------------------------------------------------------- other orders and forms

expect_argv "options before SOURCE DIR" "$SRC" "$DIR" -o ro,uid=5 -- \
	-n -o _netdev,ro,uid=5 -s "$SRC" "$DIR"
expect_argv "-o between SOURCE and DIR" "$SRC" "$DIR" -o ro -- "$SRC" -o ro,nofail "$DIR"
expect_argv "flags combined (-sn)" "$SRC" "$DIR" -o ro -- "$SRC" "$DIR" -sn -o ro
expect_argv "-oOPTS attached" "$SRC" "$DIR" -o ro,gid=7 -- "$SRC" "$DIR" -oro,_netdev,gid=7
expect_argv "several -o are joined in order" "$SRC" "$DIR" -o ro,uid=5,timeout=3 -- \
	"$SRC" "$DIR" -o ro -o nofail -o uid=5,timeout=3
expect_argv "a source without servers (zookeeper:./rel)" zookeeper:./rel "$DIR" -- zookeeper:./rel "$DIR"

# ---------------------------------------------------------------- quoting

WEIRD_SRC='zookeeper://h:1/a b*/$(x)'
WEIRD_DIR="$TEST_DIR/d i r/\$HOME 'q' \"dq\" *"
WEIRD_OPT="config=$TEST_DIR/c f*.conf"
expect_argv "SOURCE, DIR and option values are never split or globbed" \
	"$WEIRD_SRC" "$WEIRD_DIR" -o "$WEIRD_OPT,section=s p" -- \
	"$WEIRD_SRC" "$WEIRD_DIR" -o "$WEIRD_OPT,comment=x y*,section=s p"
expect_argv "a backslash-escaped comma stays inside its option" \
	"$SRC" "$DIR" -o 'config=/etc/zkfs/a\,b.conf,ro' -- \
	"$SRC" "$DIR" -o 'config=/etc/zkfs/a\,b.conf,x-a\,b,ro'
for sh in /bin/dash /bin/bash; do
	[ -x "$sh" ] || fail "$sh is absent (Debian's dash and bash are essential packages)"
	HELPER=("$sh" "$MOUNT_ZKFS")
	expect_argv "quoting under $sh" "$WEIRD_SRC" "$WEIRD_DIR" -o "$WEIRD_OPT" -- \
		"$WEIRD_SRC" "$WEIRD_DIR" -o "_netdev,$WEIRD_OPT"
done
HELPER=("$MOUNT_ZKFS")

# ---------------------------------------------------------------- -f, -v, exit status, environment

# -f: print the command, run nothing, exit 0
helper "$SRC" "$DIR" -f -o _netdev,ro
assert_eq 0 "$RC" "-f: exit status ($ERR)"
assert_eq "(zkfs not run)" "$GOT" "-f: zkfs must not run"
printed_is "-f" "$FAKE" "$SRC" "$DIR" -o ro
info "ok: -f prints and runs nothing"

# -v: print the command, then run it
helper "$WEIRD_SRC" "$WEIRD_DIR" -v -o "_netdev,$WEIRD_OPT"
assert_eq 0 "$RC" "-v: exit status ($ERR)"
assert_eq "$(printf '%q ' "$FAKE" "$WEIRD_SRC" "$WEIRD_DIR" -o "$WEIRD_OPT")" "$GOT" "-v: the argv of zkfs"
printed_is "-v" "$FAKE" "$WEIRD_SRC" "$WEIRD_DIR" -o "$WEIRD_OPT"
info "ok: -v prints and runs"

# without -v or -f the helper prints nothing of its own
helper "$SRC" "$DIR" -o ro
assert_eq "" "$OUT$ERR" "no -v: the helper's output"

# -f and -v together (mount -fv)
helper "$SRC" "$DIR" -f -v -o ro
assert_eq 0 "$RC" "-f -v: exit status"
assert_eq "(zkfs not run)" "$GOT" "-f -v: zkfs must not run"
printed_is "-f -v" "$FAKE" "$SRC" "$DIR" -o ro

# the exit status is zkfs's
for want in 1 7; do
	FAKE_ZKFS_RC=$want helper "$SRC" "$DIR" -o ro
	assert_eq "$want" "$RC" "the helper's exit status when zkfs exits $want"
	assert_eq "$(printf '%q ' "$FAKE" "$SRC" "$DIR" -o ro)" "$GOT" "zkfs exiting $want: its argv"
done

# no PATH at all (mount(8) may give helpers a minimal environment): builtins only
rm -f "$REC"
rc=0
env -i ZKFS_BIN="$FAKE" FAKE_ZKFS_OUT="$REC" "$MOUNT_ZKFS" "$SRC" "$DIR" -o nofail,ro \
	>"$TEST_DIR/out" 2>"$TEST_DIR/err" || rc=$?
assert_eq 0 "$rc" "an empty environment: exit status ($(cat "$TEST_DIR/err"))"
mapfile -d '' got <"$REC"
assert_eq "$(printf '%q ' "$FAKE" "$SRC" "$DIR" -o ro)" "$(printf '%q ' "${got[@]}")" \
	"an empty environment: the argv of zkfs"
info "ok: runs with an empty environment"

# the zkfs it runs without ZKFS_BIN: the absolute install path, written in at build time
rc=0
out=$(env -u ZKFS_BIN "$MOUNT_ZKFS" "$SRC" "$DIR" -f -o ro 2>&1) || rc=$?
assert_eq 0 "$rc" "-f without ZKFS_BIN: exit status ($out)"
OUT=$out
printed_is "-f without ZKFS_BIN: the built-in zkfs path" "$ZKFS_INSTALLED_BIN" "$SRC" "$DIR" -o ro
grep -qF "'$ZKFS_INSTALLED_BIN'" "$MOUNT_ZKFS" ||
	fail "the helper does not contain the zkfs path '$ZKFS_INSTALLED_BIN'"

# a zkfs that is not there: a message, exit 1
rc=0
err=$(ZKFS_BIN=$TEST_DIR/no-such-zkfs "$MOUNT_ZKFS" "$SRC" "$DIR" 2>&1 >/dev/null) || rc=$?
assert_eq 1 "$rc" "a missing zkfs: exit status"
[[ "$err" == *"$TEST_DIR/no-such-zkfs"* ]] || fail "a missing zkfs: the message does not name it: $err"

# ---------------------------------------------------------------- usage errors

expect_usage "no arguments" "SOURCE and DIR are required"
expect_usage "only SOURCE" "SOURCE and DIR are required" "$SRC" -o ro
expect_usage "three positional arguments" "too many arguments: 'extra'" "$SRC" "$DIR" extra
expect_usage "-o without a value" "option -o needs a value" "$SRC" "$DIR" -o
expect_usage "-t without a value" "option -t needs a value" "$SRC" "$DIR" -t
expect_usage "an unknown flag" "unknown option '-x'" "$SRC" "$DIR" -x
expect_usage "an unknown flag among known ones" "unknown option '-q'" "$SRC" "$DIR" -nqv
expect_usage "-N (another namespace)" "not supported" "$SRC" "$DIR" -N /proc/1/ns/mnt
