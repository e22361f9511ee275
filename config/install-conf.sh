#!/bin/sh
# install-conf.sh SRC DIR — meson install script: install SRC as DIR/zkfs.conf
# (mode 0644, DIR created), unless DIR/zkfs.conf already exists: a
# configuration an administrator may have edited is never overwritten, not on
# a reinstall or upgrade, and not inside a DESTDIR staging tree either (an
# empty staging tree, as packaging uses, always gets the file).
#
# DIR is absolute (prefix/sysconfdir/zkfs). With DESTDIR, the file goes under
# the staging root: meson's MESON_INSTALL_DESTDIR_PREFIX less
# MESON_INSTALL_PREFIX (which is DESTDIR as meson resolved it), else $DESTDIR.
# Honours MESON_INSTALL_DRY_RUN and MESON_INSTALL_QUIET.
set -eu

[ $# = 2 ] || {
	echo "usage: install-conf.sh SRC DIR" >&2
	exit 2
}
src=$1 dir=$2

root=${DESTDIR:-}
if [ -n "$root" ] && [ -n "${MESON_INSTALL_DESTDIR_PREFIX:-}" ] &&
	[ -n "${MESON_INSTALL_PREFIX:-}" ]; then
	case $MESON_INSTALL_DESTDIR_PREFIX in
	*"$MESON_INSTALL_PREFIX") root=${MESON_INSTALL_DESTDIR_PREFIX%"$MESON_INSTALL_PREFIX"} ;;
	esac
fi
dest=$root$dir/zkfs.conf

say() { [ -n "${MESON_INSTALL_QUIET:-}" ] || printf '%s\n' "$*"; }

if [ -e "$dest" ] || [ -L "$dest" ]; then
	say "Keeping the existing $dest (not replaced by $src)"
	exit 0
fi
if [ -n "${MESON_INSTALL_DRY_RUN:-}" ]; then
	say "Would install $src to $dest"
	exit 0
fi
mkdir -p "${dest%/*}"
tmp=${dest%/*}/.zkfs.conf.install.$$
trap 'rm -f "$tmp"' EXIT
cp "$src" "$tmp"
chmod 0644 "$tmp"
mv "$tmp" "$dest"
trap - EXIT
say "Installing $src to $dest"
