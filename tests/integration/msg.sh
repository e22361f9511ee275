# msg.sh — how every integration test speaks: info, fail, _show. Sourced by
# lib.sh and by the tests that need neither FUSE nor ZooKeeper (man pages,
# packages), which do not source lib.sh.

TEST_NAME=$(basename "$0" .sh)

info() { printf '[%s] %s\n' "$TEST_NAME" "$*" >&2; }

# fail MSG: print a clear failure and end the test (an EXIT trap cleans up).
fail() {
	printf '[%s] FAIL: %s\n' "$TEST_NAME" "$*" >&2
	exit 1
}

# Show at most 200 bytes of a value, control characters and line ends made
# visible (cat -A: a newline shows as "$").
_show() { printf '%s' "$1" | head -c 200 | cat -A | tr '\n' ' '; }
