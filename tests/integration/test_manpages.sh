#!/usr/bin/env bash
# test_manpages — the man pages in docs/man render without a warning, are
# installed, carry the project's version, and zkfs(8) documents every option
# that `zkfs --help` lists, with the same defaults, and every row of the
# options table (zkfs.conf(5) too, for a row with a config-file key);
# mount.zkfs(8) every flag the helper's usage names and every option it drops.
#
# Environment (set by meson):
#   ZKFS_BIN           the built daemon (its --help is the list of options)
#   OPTLIST_BIN        prints the options table of src/options.c (optlist.c)
#   ZKFS_SOURCE_ROOT   the source tree (docs/man, docs/meson.build, src/options.c,
#                      mount-helper/mount.zkfs.in)
#   ZKFS_VERSION       the project version
#
# Needs neither /dev/fuse nor ZooKeeper. Exit 0 pass, 1 fail; no skips.
set -euo pipefail

# shellcheck source=msg.sh
source "$(dirname "$0")/msg.sh"

[ -n "${ZKFS_BIN:-}" ] && [ -x "$ZKFS_BIN" ] ||
	fail "ZKFS_BIN is not set to an executable (got '${ZKFS_BIN:-}')"
[ -n "${ZKFS_SOURCE_ROOT:-}" ] && [ -f "$ZKFS_SOURCE_ROOT/meson.build" ] ||
	fail "ZKFS_SOURCE_ROOT is not the source tree (got '${ZKFS_SOURCE_ROOT:-}')"
[ -n "${ZKFS_VERSION:-}" ] || fail "ZKFS_VERSION is not set"
[ -n "${OPTLIST_BIN:-}" ] && [ -x "$OPTLIST_BIN" ] ||
	fail "OPTLIST_BIN is not set to an executable (got '${OPTLIST_BIN:-}')"
command -v man >/dev/null 2>&1 || fail "man not found (package man-db; run tools/deps)"
command -v groff >/dev/null 2>&1 || fail "groff not found (package groff-base; run tools/deps)"
command -v col >/dev/null 2>&1 || fail "col not found (package bsdextrautils)"

MAN_DIR=$ZKFS_SOURCE_ROOT/docs/man
PAGES=(zkfs.8 mount.zkfs.8 zkfs.conf.5)

# render FILE WIDTH: the page as plain text (no overstrikes, no tabs, ASCII
# hyphens; UTF-8, so that ${#line} counts characters). A width of 1000 puts every paragraph on one line: no wrapping and
# no hyphenation to trip the greps below.
render() {
	LC_ALL=C.UTF-8 MANWIDTH=$2 man -E UTF-8 -l "$1" 2>/dev/null | col -bx |
		sed -e 's/\xe2\x88\x92/-/g' -e 's/\xe2\x80\x90/-/g'
}

# ---------------------------------------------------------------- every page

for page in "${PAGES[@]}"; do
	f=$MAN_DIR/$page
	[ -f "$f" ] || fail "$f is missing"
	name=${page%.*}
	section=${page##*.}

	# No warning from man-db (which runs groff with -ww) nor from groff itself.
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$f" 2>&1 >/dev/null) ||
		fail "man -l $page exited non-zero: $out"
	[ -z "$out" ] || fail "man --warnings prints warnings for $page: $out"
	out=$(groff -man -ww -z "$f" 2>&1) || fail "groff -man -ww -z $page exited non-zero: $out"
	[ -z "$out" ] || fail "groff -ww prints warnings for $page: $out"

	# .TH NAME SECTION DATE "zkfs VERSION" ...
	th=$(grep -m1 '^\.TH ' "$f") || fail "$page has no .TH line"
	want_th_name=$(tr '[:lower:]' '[:upper:]' <<<"$name")
	read -r _ th_name th_section _ <<<"$th"
	[ "$th_name" = "$want_th_name" ] || fail "$page: .TH title is '$th_name', expected '$want_th_name'"
	[ "$th_section" = "$section" ] || fail "$page: .TH section is '$th_section', expected '$section'"
	grep -qF "\"zkfs $ZKFS_VERSION\"" <<<"$th" ||
		fail "$page: .TH does not carry the project version \"zkfs $ZKFS_VERSION\": $th"

	text=$(render "$f" 1000)
	[ -n "$text" ] || fail "$page renders to nothing"
	for sh in NAME SYNOPSIS DESCRIPTION 'SEE ALSO'; do
		grep -qx "$sh" <<<"$text" || fail "$page has no $sh section"
	done
	# NAME is "name - what it is", as apropos and lexgrog read it.
	grep -A1 -x NAME <<<"$text" | tail -n1 | grep -qE "^ +${name//./\\.} - [a-z]" ||
		fail "$page: the NAME line is not '$name - ...': $(grep -A1 -x NAME <<<"$text" | tail -n1)"
	# No line wider than 80 columns at MANWIDTH=80 (examples included).
	long=$(render "$f" 80 | while IFS= read -r l; do [ "${#l}" -le 80 ] || printf '%s\n' "$l"; done | head -n3)
	[ -z "$long" ] || fail "$page has lines over 80 columns at MANWIDTH=80: $long"
	# Cross references to the pages of this project exist.
	for ref in $(grep -oE '(zkfs|mount\.zkfs|zkfs\.conf)\([0-9]\)' <<<"$text" | sort -u); do
		refpage=${ref%(*}.$(tr -dc 0-9 <<<"$ref")
		[ -f "$MAN_DIR/$refpage" ] || fail "$page refers to $ref, which is not in docs/man"
	done
	# Installed by docs/meson.build.
	grep -qF "'man/$page'" "$ZKFS_SOURCE_ROOT/docs/meson.build" ||
		fail "docs/meson.build does not install man/$page"
	info "$page renders without warnings"
done

# ---------------------------------------------------------------- zkfs(8) vs zkfs --help

help=$(timeout 10 "$ZKFS_BIN" --help 2>&1 </dev/null) || fail "zkfs --help exited non-zero: $help"
zkfs8=$(render "$MAN_DIR/zkfs.8" 1000)

# entry TAG_REGEX: the man page's entry whose tag line matches (indent 7) up
# to the blank line that ends it, on one line.
entry() {
	awk -v re="^       $1" '
		!on && $0 ~ re { on = 1 }
		on && $0 == "" { exit }
		on { printf "%s ", $0 }' <<<"$zkfs8"
}

flags=() opts=()
while IFS= read -r line; do
	if [[ $line =~ ^\ \ -o\ ([^ ]+) ]]; then
		spec=${BASH_REMATCH[1]}
		default=
		if [[ $line =~ \(default\ ([^\ :\;\)]+)\) ]]; then
			default=${BASH_REMATCH[1]}
		fi
		IFS=, read -ra parts <<<"$spec"
		for p in "${parts[@]}"; do
			p=${p%%=*}
			[ -n "$p" ] && [ "$p" != "..." ] || continue
			opts+=("$p|$default")
		done
	elif [[ $line =~ ^\ \ (-[A-Za-z])(,\ (--[a-z-]+))?\  ]]; then
		flags+=("${BASH_REMATCH[1]}${BASH_REMATCH[3]:+, ${BASH_REMATCH[3]}}")
	fi
done <<<"$help"
[ "${#flags[@]}" -ge 4 ] || fail "found only ${#flags[@]} flags in zkfs --help (parser broken?): $help"
[ "${#opts[@]}" -ge 12 ] || fail "found only ${#opts[@]} -o options in zkfs --help (parser broken?): $help"

for fl in "${flags[@]}"; do
	re=${fl//./\\.}
	grep -qE "^       $re( |$)" <<<"$zkfs8" || fail "zkfs(8) has no entry for '$fl' (from zkfs --help)"
done
for od in "${opts[@]}"; do
	o=${od%%|*} default=${od#*|}
	grep -qE "^       -o $o([=,[ ]|$)" <<<"$zkfs8" ||
		fail "zkfs(8) has no entry '-o $o' (from zkfs --help)"
	if [ -n "$default" ]; then
		e=$(entry "-o $o([=,[ ]|$)")
		d=$(sed 's/[.[\*^$/]/\\&/g' <<<"$default")
		grep -qE "default $d([^A-Za-z0-9_]|$)" <<<"$e" ||
			fail "zkfs(8) does not give '-o $o' the default '$default' of zkfs --help: $e"
	fi
done
info "zkfs(8) documents the ${#flags[@]} flags and ${#opts[@]} options of zkfs --help, with their defaults"

# The other way: every -o option zkfs(8) documents is one src/options.c knows
# (its table, or an option it adds for libfuse).
n=0
while read -r o; do
	grep -qE "\"(${o}[=\"]|-o${o}\")" "$ZKFS_SOURCE_ROOT/src/options.c" ||
		fail "zkfs(8) documents '-o $o', which src/options.c does not know"
	n=$((n + 1))
done < <(grep -oE '^       -o [a-z_]+([=,]|$| )' <<<"$zkfs8" | awk '{ sub(/[=, ]$/, "", $2); print $2 }' | sort -u)
[ "$n" -ge 12 ] || fail "found only $n '-o' entries in zkfs(8)"

# ---------------------------------------------------------------- the options table

# Every row of src/options.c's table is in zkfs(8): a flag as an entry, an -o
# option as "-o NAME" (an entry when --help lists it, else in the text of the
# option it is an alias of, as rw and debug), an option zkfs drops in the
# section on mount(8)'s options; a row with a zkfs.conf key in zkfs.conf(5)
# as "KEY=". Options mount.zkfs drops are named in mount.zkfs(8) too.
table=$("$OPTLIST_BIN") || fail "$OPTLIST_BIN exited non-zero"
conf5=$(render "$MAN_DIR/zkfs.conf.5" 1000)
mount8=$(render "$MAN_DIR/mount.zkfs.8" 1000)
dropsec=$(awk '/^   Options for mount\(8\) and systemd$/ { on = 1; next }
	on && /^[^ ]|^   [^ ]/ { exit }
	on' <<<"$zkfs8")
[ -n "$dropsec" ] || fail "zkfs(8) has no section 'Options for mount(8) and systemd'"
helperdrop=$(grep -E ' are dropped: ' <<<"$mount8") ||
	fail "mount.zkfs(8) does not say which options are dropped"
rows=0
while IFS=$'\t' read -r name form helper listed conf; do
	rows=$((rows + 1))
	re=${name//./\\.}
	case $form in
	flag)
		grep -qE "^       ([^ ]+, )?$re(,| |$)" <<<"$zkfs8" ||
			fail "zkfs(8) has no entry for '$name' (a row of the options table)"
		;;
	switch | value)
		if [ "$listed" = help ]; then
			grep -qE "^       -o $re([=,[ ]|$)" <<<"$zkfs8" ||
				fail "zkfs(8) has no entry '-o $name' (a row of the options table)"
		else
			grep -qE -- "-o $re([=,. ]|$)" <<<"$zkfs8" ||
				fail "zkfs(8) does not mention '-o $name' (a row of the options table)"
		fi
		;;
	drop)
		grep -qE "(^|[ ,])$re([ ,]|$)" <<<"$dropsec" ||
			fail "zkfs(8) does not name '$name' among the options for mount(8): $dropsec"
		;;
	drop-prefix)
		grep -qF -- "$name" <<<"$dropsec" ||
			fail "zkfs(8) does not name '$name...' among the options for mount(8): $dropsec"
		;;
	*) fail "optlist printed an unknown form '$form' for '$name'" ;;
	esac
	if [ "$helper" = drop ] && [ "$form" != flag ]; then
		grep -qE "(^|[ ,])$re" <<<"$helperdrop" ||
			fail "mount.zkfs(8) does not name '$name' among the options it drops: $helperdrop"
	fi
	if [ "$conf" != - ]; then
		grep -qF -- "$conf=" <<<"$conf5" ||
			fail "zkfs.conf(5) does not document the key '$conf=' (-o $name)"
	fi
done <<<"$table"
[ "$rows" -ge 30 ] || fail "optlist printed only $rows rows: $table"
info "zkfs(8) documents the $rows rows of the options table, mount.zkfs(8) the ones it drops"

# Statements the manual makes that must stay true.
grep -qF 'zookeeper://zk1:2181,zk2:2181/app /mnt/app zkfs _netdev,nofail,ro 0 0' <<<"$zkfs8" ||
	fail "zkfs(8) lacks the fstab example line"
for s in 'EXIT STATUS' SIGNALS LOGGING ENVIRONMENT FILES EXAMPLES; do
	grep -qx "$s" <<<"$zkfs8" || fail "zkfs(8) has no $s section"
done
default_conf=$(grep -oE 'config=FILE +config file \(default [^)]+\)' <<<"$help" | sed -E 's/.*default ([^)]+)\)/\1/')
[ -n "$default_conf" ] || fail "cannot find the default config file in zkfs --help"
for page in zkfs.8 zkfs.conf.5; do
	grep -qF "$default_conf" <<<"$(render "$MAN_DIR/$page" 1000)" ||
		fail "$page does not name the default config file $default_conf"
done
grep -qF ASAB_ZOOKEEPER_SERVERS <<<"$help" && grep -qx '       ASAB_ZOOKEEPER_SERVERS' <<<"$zkfs8" ||
	fail "zkfs(8) ENVIRONMENT does not describe ASAB_ZOOKEEPER_SERVERS"

# ---------------------------------------------------------------- zkfs.conf(5)

for s in 'servers=' 'path=' '[zookeeper]' '-o section=' 'URL' ASAB_ZOOKEEPER_SERVERS; do
	grep -qF -- "$s" <<<"$conf5" || fail "zkfs.conf(5) does not mention $s"
done
# The message for a malformed line it quotes is the one zkfs prints.
bad=$(mktemp "${TMPDIR:-/tmp}/zkfs-test_manpages.XXXXXX")
trap 'rm -f "$bad"' EXIT
printf '[zookeeper]\nservers = zk1:2181\nnot a key line\n' >"$bad"
msg=$("$ZKFS_BIN" -f -o config="$bad" zookeeper:./x /nonexistent 2>&1 </dev/null) &&
	fail "zkfs accepted a malformed config file: $msg"
want=${msg#"zkfs: $bad:3: "}
[ "$want" != "$msg" ] || fail "zkfs's message for a malformed line does not name file and line: $msg"
grep -qF "zkfs: /etc/zkfs/zkfs.conf:3: $want" <<<"$conf5" ||
	fail "zkfs.conf(5) does not quote zkfs's message for a malformed line: '$want'"

# ---------------------------------------------------------------- mount.zkfs(8) vs the helper

helper=$ZKFS_SOURCE_ROOT/mount-helper/mount.zkfs.in
[ -f "$helper" ] || fail "$helper is missing"
usage=$(sh "$helper" 2>&1 </dev/null) && fail "mount.zkfs without arguments exited 0: $usage"
hflags=$(grep -oE '\[-[a-zA-Z]+\]' <<<"$usage" | head -n1 | tr -d '[]-')
[ -n "$hflags" ] || fail "cannot find the flags in mount.zkfs's usage: $usage"
for ((i = 0; i < ${#hflags}; i++)); do
	grep -qE "^       -${hflags:i:1}( |$)" <<<"$mount8" ||
		fail "mount.zkfs(8) has no entry for -${hflags:i:1} (from the helper's usage)"
done
for t in zkfs fuse.zkfs; do
	grep -qE "^ +zookeeper://[^ ]+ /[^ ]+ $t [^ ]*_netdev[^ ]* 0 0$" <<<"$mount8" ||
		fail "mount.zkfs(8) has no fstab example of type $t with _netdev"
	grep -qF "mount -t $t " <<<"$mount8" || fail "mount.zkfs(8) has no 'mount -t $t' example"
done
grep -qx 'EXIT STATUS' <<<"$mount8" || fail "mount.zkfs(8) has no EXIT STATUS section"
info "mount.zkfs(8) documents the helper's flags -$hflags and both fstab types"
info "PASS"
