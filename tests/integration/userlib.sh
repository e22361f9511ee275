# shellcheck shell=bash
#
# userlib.sh — sourced after lib.sh by the tests of what users' own programs
# do through the mount (test_races.sh, test_handles.sh, test_userland.sh).
#
# Environment (optional):
#   ONLY=ID[,ID...]  run only these sections of the test: "7" runs section 7
#                    and its parts 7a, 7b, ...; "3b" runs part 3b alone. An ID
#                    that names no section of the test fails it (nothing is
#                    ever skipped silently).
#   PYTHON           the Python 3 that runs the users' programs
#                    (default /usr/bin/python3, Debian's)

PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || fail "$PYTHON is absent: this test runs Python programs through the mount (package python3, or set PYTHON)"

# The tests' Python programs live in $TEST_DIR, beside this module of theirs:
#   from golib import wait_go
#   wait_go(path)   # until the test creates `path` (a deadline of 60 s)
cat >"$TEST_DIR/golib.py" <<'EOF'
import sys, os, time

def wait_go(go, secs=60):
    end = time.monotonic() + secs
    while not os.path.exists(go):
        if time.monotonic() > end:
            sys.exit("no " + go + " within %d s" % secs)
        time.sleep(0.01)
EOF

_SECTIONS_SEEN=()   # every section ID the test offered
_SECTIONS_RUN=()    # the ones that ran

# _only_selects TOKEN ID: TOKEN of $ONLY selects section ID ("3" selects 3, 3a, 3b).
_only_selects() { [[ "$2" == "$1" || "$2" =~ ^"$1"[a-z]+$ ]]; }

# section ID TITLE: 0 when section ID is to run (and says so), else 1.
#   if section 3a "two mounts"; then ...; fi
section() {
	local id=$1 t
	_SECTIONS_SEEN+=("$id")
	if [ -n "${ONLY:-}" ]; then
		for t in ${ONLY//,/ }; do
			if _only_selects "$t" "$id"; then
				_SECTIONS_RUN+=("$id")
				info "---- section $id: $2"
				return 0
			fi
		done
		return 1
	fi
	_SECTIONS_RUN+=("$id")
	info "---- section $id: $2"
}

# group ID: 0 when any part of section group ID is to run (ONLY=8b selects
# group 8): for the setup and teardown that its parts share. Says nothing.
group() {
	local t
	[ -n "${ONLY:-}" ] || return 0
	for t in ${ONLY//,/ }; do
		_only_selects "$1" "$t" || _only_selects "$t" "$1" && return 0
	done
	return 1
}

# sections_done: at the end of the test. Fails when an ID of $ONLY selected
# no section (a typo must not pass as a run of nothing).
sections_done() {
	local t id hit only=${ONLY:-}
	for t in ${only//,/ }; do
		hit=0
		for id in "${_SECTIONS_SEEN[@]}"; do
			_only_selects "$t" "$id" && hit=1
		done
		[ "$hit" = 1 ] || fail "ONLY=$ONLY: '$t' names no section of $TEST_NAME (sections: ${_SECTIONS_SEEN[*]})"
	done
	info "sections run: ${_SECTIONS_RUN[*]}"
}

# py_start TAG SCRIPT ARGS...: run "$PYTHON" SCRIPT ARGS in the background,
# stdout to $TEST_DIR/py.TAG.out and stderr to $TEST_DIR/py.TAG.err, and
# return once it printed the line "ready" (it holds what it must hold).
# Sets PY_PID. The script must exit (not hang) when it cannot get ready.
py_start() {
	local tag=$1 out=$TEST_DIR/py.$1.out err=$TEST_DIR/py.$1.err
	shift
	"$PYTHON" "$@" >"$out" 2>"$err" </dev/null &
	PY_PID=$!
	track_pid "$PY_PID"
	wait_until 30 _py_ready_or_gone "$out" "$PY_PID" ||
		fail "python $tag: did not print 'ready' within 30 s: $(cat "$err")"
	grep -qx ready "$out" ||
		fail "python $tag: exited before it was ready: $(cat "$out" "$err" | tail -n 20)"
}
_py_ready_or_gone() { grep -qx ready "$1" || _pid_gone "$2"; }

# py_finish TAG: wait (30 s) for the background python of py_start (PY_PID)
# to end; it must exit 0. Its stdout stays in $TEST_DIR/py.TAG.out.
py_finish() {
	local tag=$1 rc=0
	wait_until 30 _pid_gone "$PY_PID" || fail "python $tag: did not end within 30 s"
	wait "$PY_PID" || rc=$?
	[ "$rc" = 0 ] || fail "python $tag: exited with status $rc: $(tail -n 20 "$TEST_DIR/py.$tag.err")"
}

# py_field TAG KEY: the value of the line "KEY VALUE" python TAG printed.
py_field() { sed -n "s/^$2 //p" "$TEST_DIR/py.$1.out" | tail -n1; }

# run_tool SECS CMD...: run CMD under `timeout SECS`, stdin from /dev/null,
# stdout to $TOOL_OUT and stderr to $TOOL_ERR (files, so that a daemon that
# keeps them open cannot hold the test). Sets TOOL_RC (124: not finished).
run_tool() {
	local secs=$1
	shift
	TOOL_OUT=$TEST_DIR/tool.out
	TOOL_ERR=$TEST_DIR/tool.err
	TOOL_RC=0
	timeout "$secs" "$@" </dev/null >"$TOOL_OUT" 2>"$TOOL_ERR" || TOOL_RC=$?
}

# tool_ok WHAT SECS CMD...: run_tool; CMD must finish and exit 0, else fail
# with its exit status and stderr. Its stdout stays in $TOOL_OUT.
tool_ok() {
	local what=$1
	shift
	run_tool "$@"
	[ "$TOOL_RC" != 124 ] || fail "$what: expected '${*:2}' to finish, but it was still running after $1 s (killed; stderr: $(_show "$(head -c 300 "$TOOL_ERR")"))"
	[ "$TOOL_RC" = 0 ] || fail "$what: expected '${*:2}' to succeed, but it exited $TOOL_RC: $(_show "$(head -c 300 "$TOOL_ERR")")"
}
