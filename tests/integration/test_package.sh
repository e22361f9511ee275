#!/usr/bin/env bash
# test_package — packaging/debian builds a .deb from a copy of the source tree
# (as README "Packages" tells), and the .deb holds what a zkfs package must:
# the daemon, the mount(8) helper, the man pages, /etc/zkfs/zkfs.conf as a
# conffile, the systemd unit, and a Depends line that pulls in fuse3 and the
# ZooKeeper C client. It is unpacked into a temp root (dpkg -x), never
# installed into the system.
#
# The copy is what git tracks plus what it does not ignore (a clean clone: the
# tracked files; a working tree: with the uncommitted work); without git, the
# tree minus build directories.
#
# Environment (set by meson):
#   ZKFS_SOURCE_ROOT   the source tree
#   ZKFS_VERSION       the project version (meson.build)
#
# Needs dpkg-dev, debhelper and the Build-Depends (tools/deps installs them);
# neither /dev/fuse nor ZooKeeper. Exit 0 pass, 1 fail; no skips.
set -euo pipefail

# shellcheck source=msg.sh
source "$(dirname "$0")/msg.sh"

ROOT=${ZKFS_SOURCE_ROOT:-}
[ -n "$ROOT" ] && [ -f "$ROOT/meson.build" ] ||
	fail "ZKFS_SOURCE_ROOT is not the source tree (got '$ROOT')"
[ -n "${ZKFS_VERSION:-}" ] || fail "ZKFS_VERSION is not set"
for c in dpkg-buildpackage dpkg-deb dpkg-parsechangelog dpkg-checkbuilddeps dh man; do
	command -v "$c" >/dev/null 2>&1 || fail "$c not found: run tools/deps (dpkg-dev, debhelper, man-db)"
done
[ -d "$ROOT/packaging/debian" ] || fail "$ROOT/packaging/debian is missing"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/zkfs-$TEST_NAME.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# ---------------------------------------------------------------- versions

version=$(dpkg-parsechangelog -l "$ROOT/packaging/debian/changelog" -S Version) ||
	fail "dpkg-parsechangelog cannot read packaging/debian/changelog"
upstream=${version%-*}
[ "$upstream" = "$ZKFS_VERSION" ] ||
	fail "debian/changelog has version $version; meson.build has $ZKFS_VERSION (expected $ZKFS_VERSION-N)"
[ "$(dpkg-parsechangelog -l "$ROOT/packaging/debian/changelog" -S Source)" = zkfs ] ||
	fail "debian/changelog is not for the source package zkfs"

# ---------------------------------------------------------------- the tree

src=$TMP/zkfs-$upstream
mkdir "$src"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Tracked and not ignored files, those that exist (a deleted file is
	# still tracked until committed).
	(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar -c --null --no-recursion -T - | tar -x -C "$src") ||
		fail "cannot copy the git-tracked files of $ROOT"
	how="the files git tracks (and does not ignore)"
else
	(cd "$ROOT" && tar -c --exclude=./.git --exclude='./build*' --exclude=./mnt \
		--exclude=./.try --exclude=./debian . | tar -x -C "$src") ||
		fail "cannot copy $ROOT"
	how="the tree (not a git checkout)"
fi
[ -f "$src/meson.build" ] && [ -f "$src/src/main.c" ] || fail "the copy of the tree lacks meson.build or src/main.c"
[ ! -e "$src/debian" ] || fail "the tree has a debian/ at its top already; packaging/debian is the one to use"
cp -r "$ROOT/packaging/debian" "$src/debian"
[ -x "$src/debian/rules" ] || fail "packaging/debian/rules is not executable"
grep -qx '3.0 (quilt)' "$src/debian/source/format" || fail "debian/source/format is not 3.0 (quilt)"
info "copied $how to $src"

# ---------------------------------------------------------------- build

out=$(cd "$src" && dpkg-checkbuilddeps 2>&1) || fail "Build-Depends not installed (run tools/deps): $out"

start=$SECONDS
(
	cd "$src"
	unset MAKEFLAGS MFLAGS MAKELEVEL DH_VERBOSE
	export DEB_BUILD_OPTIONS="nocheck parallel=2"
	timeout 270 dpkg-buildpackage -b -us -uc
) >"$TMP/build.log" 2>&1 || {
	tail -n 60 "$TMP/build.log" >&2
	fail "dpkg-buildpackage -b -us -uc failed (last lines above)"
}
info "dpkg-buildpackage -b took $((SECONDS - start)) s"
grep -E '^(dpkg-[a-z]+|dh_[a-z_]+|debian/rules): (warning|error)' "$TMP/build.log" >&2 &&
	fail "the package build printed warnings (above)"

arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=$TMP/zkfs_${version}_${arch}.deb
[ -f "$deb" ] || fail "no $deb after the build: $(ls "$TMP")"

# ---------------------------------------------------------------- control fields

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = zkfs ] || fail "Package is '$(field Package)', expected zkfs"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', expected $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture is '$(field Architecture)'"
depends=$(field Depends)
# One dependency per line, without version constraints.
deps=$(tr ',' '\n' <<<"$depends" | sed -E 's/\(.*\)//; s/^ +//; s/ +$//')
for d in fuse3 libzookeeper-mt2 libfuse3-3 libsystemd0 libc6; do
	grep -qx "$d" <<<"$deps" || fail "Depends lacks $d: $depends"
done
grep -qx zookeeper <<<"$(field Suggests | tr ',' '\n' | sed 's/^ *//')" ||
	fail "Suggests lacks zookeeper: $(field Suggests)"
info "Depends: $depends"

conffiles=$(dpkg-deb -I "$deb" conffiles 2>/dev/null) || fail "the package has no conffiles"
grep -qx /etc/zkfs/zkfs.conf <<<"$conffiles" || fail "/etc/zkfs/zkfs.conf is not a conffile: $conffiles"

# ---------------------------------------------------------------- file list

list=$(dpkg-deb -c "$deb") || fail "dpkg-deb -c failed"
# "MODE OWNER SIZE DATE TIME ./PATH" -> "MODE PATH"
files=$(awk '{ p = $6; sub(/^\./, "", p); print $1, p }' <<<"$list")
has() { # MODE_REGEX PATH
	grep -qE "^$1 ${2//./\\.}$" <<<"$files" ||
		fail "the package lacks $2 (mode $1): $(awk '{ print $2 }' <<<"$files" | tr '\n' ' ')"
}
has '-rwxr-xr-x' /usr/bin/zkfs
has '-rw-r--r--' /etc/zkfs/zkfs.conf
has '-rw-r--r--' /usr/share/man/man8/zkfs.8.gz
has '-rw-r--r--' /usr/share/man/man8/mount.zkfs.8.gz
has '-rw-r--r--' /usr/share/man/man5/zkfs.conf.5.gz
has '-rw-r--r--' /usr/share/doc/zkfs/copyright
has '-rw-r--r--' /usr/share/doc/zkfs/SEMANTICS.md
# The helper and the unit come with the tree; when the tree has them, so must
# the package.
helper_src=$src/mount-helper/mount.zkfs.in
if [ -f "$helper_src" ]; then
	has '-rwxr-xr-x' /usr/sbin/mount.zkfs
	info "mount.zkfs is in the tree and in the package"
else
	grep -q ' /usr/sbin/mount\.zkfs$' <<<"$files" && fail "the package has /usr/sbin/mount.zkfs, but the tree has no helper"
	info "the tree has no mount-helper/mount.zkfs.in yet: /usr/sbin/mount.zkfs not checked"
fi
if [ -f "$src/config/zkfs@.service" ]; then
	has '-rw-r--r--' /usr/lib/systemd/system/zkfs@.service
fi
# Nothing of the test suite, nothing outside the FHS places a package uses.
stray=$(awk '$1 !~ /^d/ { print $2 }' <<<"$files" |
	grep -vE '^/(usr/bin/zkfs|usr/sbin/mount\.zkfs|etc/zkfs/zkfs\.conf|usr/share/(man|doc)/.*|usr/lib/systemd/system/[^/]+)$' || true)
[ -z "$stray" ] || fail "unexpected files in the package: $stray"

# ---------------------------------------------------------------- unpacked

root=$TMP/root
dpkg -x "$deb" "$root" || fail "dpkg -x failed"
[ -x "$root/usr/bin/zkfs" ] || fail "dpkg -x: no executable usr/bin/zkfs"
out=$("$root/usr/bin/zkfs" --version 2>&1) || fail "the packaged zkfs --version failed: $out"
grep -qF "zkfs $ZKFS_VERSION" <<<"$out" || fail "the packaged zkfs --version says '$out', expected zkfs $ZKFS_VERSION"
libs=$(ldd "$root/usr/bin/zkfs") || fail "ldd of the packaged zkfs failed"
for l in libzookeeper_mt.so.2 libfuse3.so.3 libsystemd.so.0; do
	grep -qF "$l" <<<"$libs" || fail "the packaged zkfs is not linked with $l: $libs"
done
grep -q 'not found' <<<"$libs" && fail "the packaged zkfs has unresolved libraries: $libs"
cmp -s "$root/etc/zkfs/zkfs.conf" "$src/config/zkfs.conf" ||
	fail "the packaged /etc/zkfs/zkfs.conf differs from config/zkfs.conf"
for page in man8/zkfs.8.gz man8/mount.zkfs.8.gz man5/zkfs.conf.5.gz; do
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$root/usr/share/man/$page" 2>&1 >/dev/null) ||
		fail "man -l of the packaged $page failed: $out"
	[ -z "$out" ] || fail "the packaged $page renders with warnings: $out"
done
if [ -f "$helper_src" ]; then
	# The installed helper runs the installed daemon, with the mount-only
	# options dropped (-f: print the command, mount nothing).
	out=$(env -u ZKFS_BIN sh "$root/usr/sbin/mount.zkfs" zookeeper://zk1:2181/app /mnt/app \
		-f -o _netdev,nofail,ro 2>&1) || fail "the packaged mount.zkfs -f failed: $out"
	grep -qF "/usr/bin/zkfs" <<<"$out" || fail "the packaged mount.zkfs does not run /usr/bin/zkfs: $out"
	grep -qF "ro" <<<"$out" || fail "the packaged mount.zkfs drops 'ro': $out"
	grep -qE '_netdev|nofail' <<<"$out" && fail "the packaged mount.zkfs passes _netdev/nofail on: $out"
fi

# ---------------------------------------------------------------- the RPM spec agrees

# rpmbuild is not at hand: check packaging/rpm/zkfs.spec against the .deb.
spec=$ROOT/packaging/rpm/zkfs.spec
[ -f "$spec" ] || fail "$spec is missing"
spec_version=$(awk '$1 == "Version:" { print $2 }' "$spec")
[ "$spec_version" = "$ZKFS_VERSION" ] || fail "zkfs.spec has Version '$spec_version', meson.build $ZKFS_VERSION"
deb_opts=$(grep -oE -- '-D[a-z_]+=[^ ]+' "$src/debian/rules" | sort | tr '\n' ' ')
rpm_opts=$(grep -E '^%meson ' "$spec" | grep -oE -- '-D[a-z_]+=[^ ]+' | sort | tr '\n' ' ')
[ -n "$deb_opts" ] && [ "$deb_opts" = "$rpm_opts" ] ||
	fail "debian/rules configures with '$deb_opts', zkfs.spec with '$rpm_opts'"
# %files, with the macros expanded as on a merged-/usr system with /usr/sbin.
spec_files=$(sed -n '/^%files/,/^%changelog/p' "$spec" | grep -vE '^(%files|%changelog|%doc|%license|%dir|#|$)' |
	sed -E 's/^%config\(noreplace\) //' |
	sed -e 's|%{_bindir}|/usr/bin|; s|%{_sbindir}|/usr/sbin|; s|%{_sysconfdir}|/etc|' \
		-e 's|%{_unitdir}|/usr/lib/systemd/system|; s|%{_mandir}|/usr/share/man|')
grep -q '%' <<<"$spec_files" && fail "zkfs.spec %files has a macro this test does not know: $spec_files"
while read -r f; do
	case $f in /usr/share/doc/*) continue ;; esac
	ok=0
	while read -r pat; do
		# shellcheck disable=SC2053 # $pat is a glob on purpose
		[[ $f == $pat ]] && ok=1 && break
	done <<<"$spec_files"
	[ "$ok" = 1 ] || fail "zkfs.spec %files does not list $f, which the .deb has"
done < <(awk '$1 !~ /^d/ { print $2 }' <<<"$files")
n_spec=$(grep -c . <<<"$spec_files")
n_deb=$(awk '$1 !~ /^d/ && $2 !~ /^\/usr\/share\/doc\// { n++ } END { print n }' <<<"$files")
[ "$n_spec" = "$n_deb" ] || fail "zkfs.spec %files lists $n_spec files, the .deb has $n_deb (outside /usr/share/doc)"
grep -qE '^%config\(noreplace\) %\{_sysconfdir\}/zkfs/zkfs\.conf$' "$spec" ||
	fail "zkfs.spec does not mark /etc/zkfs/zkfs.conf %config(noreplace)"
grep -qE '^%doc .*docs/SEMANTICS\.md' "$spec" || fail "zkfs.spec does not ship docs/SEMANTICS.md"

info "PASS ($deb, $(stat -c %s "$deb") bytes)"
