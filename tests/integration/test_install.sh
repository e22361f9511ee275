#!/bin/bash
# Issue 4 item 1: what "meson install" puts where. Everything goes into DESTDIR
# staging trees under the test's temp dir; the live system is never written.
#  1. this build dir (MESON_BUILD_ROOT, whatever its prefix), DESTDIR-installed:
#     zkfs in bindir, mount.zkfs in sbindir (executable, POSIX sh, running
#     zkfs by its absolute install path), sysconfdir/zkfs/zkfs.conf = config/
#     zkfs.conf, the systemd units meson found in config/, no mount.fuse.zkfs;
#     the live sysconfdir/zkfs/zkfs.conf is left as it was.
#  2. a second install over that tree keeps an edited zkfs.conf and puts back
#     everything else.
#  3. config/install-conf.sh on its own: no DESTDIR (a scratch sysconfdir),
#     an existing file or symlink is kept with a message, DESTDIR handling,
#     MESON_INSTALL_DRY_RUN writes nothing.
#  4. the Debian layout: a scratch build of the same sources with
#     --prefix=/usr installs /usr/bin/zkfs, /usr/sbin/mount.zkfs (running
#     /usr/bin/zkfs) and /etc/zkfs/zkfs.conf.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

for v in MESON_BUILD_ROOT MESON_SOURCE_ROOT INSTALL_BINDIR INSTALL_SBINDIR INSTALL_SYSCONFDIR \
	INSTALL_CONF_SCRIPT SYSTEMD_UNIT_DIR ZKFS_INSTALLED_BIN; do
	[ -n "${!v:-}" ] || fail "$v is not set (meson sets it: tests/integration/meson.build)"
done
[ -f "$MESON_BUILD_ROOT/meson-private/install.dat" ] ||
	fail "MESON_BUILD_ROOT=$MESON_BUILD_ROOT is not a configured meson build dir"
CONF_SRC=$MESON_SOURCE_ROOT/config/zkfs.conf
[ -f "$CONF_SRC" ] || fail "$CONF_SRC is missing"
command -v meson >/dev/null || fail "meson is not in PATH"

# check_helper FILE ZKFS WHAT: FILE is the installed helper: a regular,
# executable (0755) POSIX sh script that runs ZKFS by that absolute path
check_helper() {
	local f=$1 zkfs=$2 what=$3 out rc=0
	[ -f "$f" ] && [ ! -L "$f" ] || fail "$what: $f is not a regular file"
	[ -x "$f" ] || fail "$what: $f is not executable"
	assert_eq 755 "$(mode_of "$f")" "$what: the mode of $f"
	assert_eq '#!/bin/sh' "$(head -n1 "$f")" "$what: the first line of $f"
	dash -n "$f" || fail "$what: $f is not valid POSIX sh (dash -n)"
	grep -qF "'$zkfs'" "$f" || fail "$what: $f does not contain the absolute zkfs path '$zkfs'"
	# what it would run, without ZKFS_BIN: that path
	out=$(env -i "$f" zookeeper://h:1/x /mnt/x -f -o _netdev,ro 2>&1) || rc=$?
	assert_eq 0 "$rc" "$what: $f -f exit status ($out)"
	assert_eq "mount.zkfs: '$zkfs' 'zookeeper://h:1/x' '/mnt/x' '-o' 'ro'" "$out" "$what: $f -f"
}

# host_conf_state: the live zkfs.conf as it is (or its absence)
LIVE_CONF=$INSTALL_SYSCONFDIR/zkfs/zkfs.conf
host_conf_state() { stat -c '%i %s %Y %a' -- "$LIVE_CONF" 2>/dev/null || echo absent; }

# ---------------------------------------------------------------- 1. this build dir

D=$TEST_DIR/destdir
before=$(host_conf_state)
rc=0
meson install -C "$MESON_BUILD_ROOT" --no-rebuild --skip-subprojects --destdir "$D" \
	>"$TEST_DIR/install1.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "meson install --destdir $D failed (exit $rc): $(tail -n 20 "$TEST_DIR/install1.log")"
assert_eq "$before" "$(host_conf_state)" "the live $LIVE_CONF after a DESTDIR install"
# every file meson itself installed is inside DESTDIR
log=$MESON_BUILD_ROOT/meson-logs/install-log.txt
[ -s "$log" ] || fail "meson wrote no $log"
outside=$(awk -v d="$D" '!/^#/ && $0 != d && index($0, d "/") != 1' "$log")
[ -z "$outside" ] || fail "meson install --destdir wrote outside $D: $outside"

bin=$D$INSTALL_BINDIR/zkfs
[ -f "$bin" ] && [ -x "$bin" ] || fail "$bin is not an executable file"
out=$("$bin" --version 2>&1) || fail "the installed $bin --version failed: $out"
[[ "$out" == *"${ZKFS_VERSION:-}"* ]] || fail "the installed $bin --version: $out"
assert_eq "$INSTALL_BINDIR/zkfs" "$ZKFS_INSTALLED_BIN" "the zkfs path written into the helper"
check_helper "$D$INSTALL_SBINDIR/mount.zkfs" "$INSTALL_BINDIR/zkfs" "this build dir"
[ ! -e "$D$INSTALL_SBINDIR/mount.fuse.zkfs" ] ||
	fail "mount.fuse.zkfs is installed: fuse.zkfs is meant to go through fuse3's mount.fuse"
conf=$D$INSTALL_SYSCONFDIR/zkfs/zkfs.conf
[ -f "$conf" ] || fail "$conf was not installed"
cmp -s "$CONF_SRC" "$conf" || fail "$conf differs from $CONF_SRC"
assert_eq 644 "$(mode_of "$conf")" "the mode of $conf"
n=0
for u in ${SYSTEMD_UNITS:-}; do
	n=$((n + 1))
	f=$D$SYSTEMD_UNIT_DIR/$u
	[ -f "$f" ] || fail "the systemd unit $u was not installed in $SYSTEMD_UNIT_DIR"
	cmp -s "$MESON_SOURCE_ROOT/config/$u" "$f" || fail "$f differs from config/$u"
	assert_eq 644 "$(mode_of "$f")" "the mode of $f"
done
if [ "$n" = 0 ]; then
	[ ! -e "$D$SYSTEMD_UNIT_DIR" ] || fail "no unit configured, but $D$SYSTEMD_UNIT_DIR exists"
fi
info "ok: layout of $MESON_BUILD_ROOT installed into DESTDIR ($n systemd unit(s))"

# ---------------------------------------------------------------- 2. reinstall keeps an edited zkfs.conf

printf '[zookeeper]\nservers=edited:2181\n' >>"$conf"
cp "$conf" "$TEST_DIR/edited.conf"
rm -f "$D$INSTALL_SBINDIR/mount.zkfs" "$bin"
rc=0
meson install -C "$MESON_BUILD_ROOT" --no-rebuild --skip-subprojects --destdir "$D" \
	>"$TEST_DIR/install2.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "the second meson install failed (exit $rc): $(tail -n 20 "$TEST_DIR/install2.log")"
cmp -s "$TEST_DIR/edited.conf" "$conf" || fail "the second install replaced the edited $conf"
[ -x "$bin" ] || fail "the second install did not put back $bin"
check_helper "$D$INSTALL_SBINDIR/mount.zkfs" "$INSTALL_BINDIR/zkfs" "the second install"
assert_eq "$before" "$(host_conf_state)" "the live $LIVE_CONF after the second DESTDIR install"
info "ok: a reinstall keeps the edited zkfs.conf"

# ---------------------------------------------------------------- 3. the install script alone

[ -x "$INSTALL_CONF_SCRIPT" ] || fail "$INSTALL_CONF_SCRIPT is not executable"
# run_script WHAT ENV...: run the script (with ENV settings, DESTDIR and meson's
# variables unset unless given) on $CONF_SRC and $ETC/zkfs; exit 0 expected
ETC=$TEST_DIR/live/etc
run_script() {
	local what=$1 rc=0
	shift
	env -u DESTDIR -u MESON_INSTALL_DESTDIR_PREFIX -u MESON_INSTALL_PREFIX \
		-u MESON_INSTALL_DRY_RUN -u MESON_INSTALL_QUIET "$@" \
		"$INSTALL_CONF_SCRIPT" "$CONF_SRC" "$ETC/zkfs" >"$TEST_DIR/script.out" 2>&1 || rc=$?
	SCRIPT_OUT=$(cat "$TEST_DIR/script.out")
	[ "$rc" = 0 ] || fail "$what: install-conf.sh exited $rc: $SCRIPT_OUT"
}

run_script "no DESTDIR, dry run" MESON_INSTALL_DRY_RUN=1
[ ! -e "$ETC" ] || fail "MESON_INSTALL_DRY_RUN=1: install-conf.sh created $(find "$ETC")"
[[ "$SCRIPT_OUT" == *"Would install"* ]] || fail "dry run: no 'Would install' message: $SCRIPT_OUT"

run_script "no DESTDIR, first install"
cmp -s "$CONF_SRC" "$ETC/zkfs/zkfs.conf" || fail "no DESTDIR: $ETC/zkfs/zkfs.conf was not installed from $CONF_SRC"
assert_eq 644 "$(mode_of "$ETC/zkfs/zkfs.conf")" "no DESTDIR: the mode of zkfs.conf"
assert_eq "zkfs.conf" "$(ls -A "$ETC/zkfs")" "no DESTDIR: the files in $ETC/zkfs (no temp file left)"

echo "servers=mine:2181" >>"$ETC/zkfs/zkfs.conf"
cp "$ETC/zkfs/zkfs.conf" "$TEST_DIR/mine.conf"
run_script "no DESTDIR, over an edited file"
cmp -s "$TEST_DIR/mine.conf" "$ETC/zkfs/zkfs.conf" || fail "no DESTDIR: the edited zkfs.conf was replaced"
[[ "$SCRIPT_OUT" == *"Keeping the existing $ETC/zkfs/zkfs.conf"* ]] ||
	fail "no DESTDIR, over an edited file: no 'Keeping the existing' message: $SCRIPT_OUT"
run_script "quiet, over an edited file" MESON_INSTALL_QUIET=1
assert_eq "" "$SCRIPT_OUT" "MESON_INSTALL_QUIET=1: the script's output"

rm "$ETC/zkfs/zkfs.conf"
ln -s "$TEST_DIR/nowhere.conf" "$ETC/zkfs/zkfs.conf"
run_script "no DESTDIR, over a dangling symlink"
assert_eq "$TEST_DIR/nowhere.conf" "$(readlink "$ETC/zkfs/zkfs.conf")" "a zkfs.conf symlink is kept"
[ ! -e "$TEST_DIR/nowhere.conf" ] || fail "install-conf.sh wrote through the zkfs.conf symlink"

# DESTDIR as meson gives it: the staging root is MESON_INSTALL_DESTDIR_PREFIX less the prefix
S=$TEST_DIR/stage
run_script "DESTDIR from meson's variables" DESTDIR=relative/ignored \
	MESON_INSTALL_PREFIX=/opt/p MESON_INSTALL_DESTDIR_PREFIX="$S/opt/p"
cmp -s "$CONF_SRC" "$S$ETC/zkfs/zkfs.conf" || fail "DESTDIR: not installed into $S$ETC/zkfs/zkfs.conf"
# DESTDIR alone (the script run by hand)
S2=$TEST_DIR/stage2
run_script "DESTDIR alone" DESTDIR="$S2"
cmp -s "$CONF_SRC" "$S2$ETC/zkfs/zkfs.conf" || fail "DESTDIR alone: not installed into $S2$ETC/zkfs/zkfs.conf"
info "ok: install-conf.sh"

# ---------------------------------------------------------------- 4. the Debian layout (--prefix=/usr)

B=$TEST_DIR/build-usr
rc=0
meson setup --prefix=/usr --buildtype=plain -Dintegration=false "$B" "$MESON_SOURCE_ROOT" >"$TEST_DIR/setup-usr.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "meson setup --prefix=/usr failed (exit $rc): $(tail -n 20 "$TEST_DIR/setup-usr.log")"
opts=$(meson introspect "$B" --buildoptions | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(o["sysconfdir"], o["bindir"], o["sbindir"])')
assert_eq "/etc bin sbin" "$opts" "--prefix=/usr: sysconfdir, bindir, sbindir"
DU=$TEST_DIR/destdir-usr
rc=0
meson install -C "$B" --skip-subprojects --destdir "$DU" >"$TEST_DIR/install-usr.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "meson install of the --prefix=/usr build failed (exit $rc): $(tail -n 20 "$TEST_DIR/install-usr.log")"
[ -x "$DU/usr/bin/zkfs" ] || fail "--prefix=/usr: usr/bin/zkfs is not installed"
check_helper "$DU/usr/sbin/mount.zkfs" /usr/bin/zkfs "--prefix=/usr"
cmp -s "$CONF_SRC" "$DU/etc/zkfs/zkfs.conf" || fail "--prefix=/usr: etc/zkfs/zkfs.conf is not config/zkfs.conf"
[ ! -e "$DU/usr/sbin/mount.fuse.zkfs" ] || fail "--prefix=/usr: mount.fuse.zkfs is installed"
for u in ${SYSTEMD_UNITS:-}; do
	[ -f "$DU/usr/lib/systemd/system/$u" ] || fail "--prefix=/usr: usr/lib/systemd/system/$u is not installed"
done
[ ! -e "$DU/usr/etc" ] || fail "--prefix=/usr: something went to usr/etc: $(find "$DU/usr/etc")"
assert_eq "$(host_conf_state)" "$before" "the live $LIVE_CONF after all the installs"
info "ok: --prefix=/usr gives usr/bin/zkfs, usr/sbin/mount.zkfs, etc/zkfs/zkfs.conf"
