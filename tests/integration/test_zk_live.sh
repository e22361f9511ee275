#!/bin/bash
# The zk module against a real server: runs the live groups of the unit test
# programs test_zk (connect, fetch with watches, events, a 1 MB value, a
# pipelined batch of 20,000 paths, an abandoned batch, and a paused server
# giving SUSPENDED then an expired session replaced by a new one) and
# test_zkwrite (create, set, remove and multi with their versions and errnos,
# the largest value, and writes to a paused server: EIO, never sent twice).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ -x "${TEST_ZK_BIN:-}" ] || fail "TEST_ZK_BIN is not set to the built test_zk"
[ -x "${TEST_ZKWRITE_BIN:-}" ] || fail "TEST_ZKWRITE_BIN is not set to the built test_zkwrite"
zk_start
ZKFS_TEST_SERVERS=$ZK_HOSTPORT ZKFS_TEST_SERVER_PID=$ZK_PID "$TEST_ZK_BIN" ||
	fail "test_zk's live group failed (see its output above)"
ZKFS_TEST_SERVERS=$ZK_HOSTPORT ZKFS_TEST_SERVER_PID=$ZK_PID "$TEST_ZKWRITE_BIN" ||
	fail "test_zkwrite's live group failed (see its output above)"
