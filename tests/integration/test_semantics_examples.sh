#!/bin/bash
# docs/SEMANTICS.md's examples are true: every ```sh block that follows a line
# "<!-- example -->" runs against a real mount, in a fresh empty base path
# (the block's working directory is the mount root), and prints exactly what
# its "# =>" lines say.
#
# A block is cut into groups: the command lines up to a run of "# =>" lines
# form one group, and that run is the group's expected output (stdout and
# stderr together, one "# => TEXT" per line; "# =>" alone is an empty line).
# Command lines after the last "# =>" must print nothing. The groups run in
# one bash, one after the other, so variables and the working directory carry
# over. Every block runs; the test fails at the end if any group differed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export LC_ALL=C # the messages of coreutils, as errno_msg gives them

DOC=${SEMANTICS_MD:-$(dirname "$0")/../../docs/SEMANTICS.md}
[ -f "$DOC" ] || fail "docs/SEMANTICS.md not found (SEMANTICS_MD='${SEMANTICS_MD:-}')"
MIN_BLOCKS=5 # the doc has more; fewer found means the extraction broke

# ---- extract: ex/N/block (the lines), ex/N/line (the doc line of its first)
EX=$TEST_DIR/ex
mkdir -p "$EX"
awk -v dir="$EX" '
	function bad(msg) { printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"; err = 1; exit 1 }
	/^<!-- example -->[ \t]*$/ { if (pending || inblock) bad("marker inside an example"); pending = 1; next }
	pending && /^```sh[ \t]*$/ {
		pending = 0; inblock = 1; n++
		system("mkdir -p \"" dir "/" n "\"")
		out = dir "/" n "/block"; printf "" > out
		print FNR + 1 > (dir "/" n "/line")
		next
	}
	pending && NF { bad("<!-- example --> is not followed by a ```sh block") }
	inblock && /^```[ \t]*$/ { inblock = 0; close(out); next }
	inblock { print > out }
	END { if (!err && (pending || inblock)) bad("an example block is not closed"); if (!err) print n + 0 > (dir "/count") }
' "$DOC" || fail "could not extract the examples of $DOC"
nblocks=$(cat "$EX/count")
info "$nblocks example blocks in $DOC"
((nblocks >= MIN_BLOCKS)) || fail "only $nblocks example blocks found in $DOC (expected at least $MIN_BLOCKS)"

# ---- compile a block: run.sh with one { ... } >K.out 2>&1 group per command
# group, K.exp the expected output, K.line the doc line of the group's start
compile() {
	local d=$1 first k=0 in_cmd=0 line n=0
	first=$(cat "$d/line")
	: >"$d/run.sh"
	while IFS= read -r line || [ -n "$line" ]; do
		if [[ $line =~ ^#\ =\>(\ (.*))?$ ]]; then
			((k > 0)) || fail "$DOC:$((first + n)): a '# =>' line before any command"
			if ((in_cmd)); then
				printf '} >"$EX_OUT/%d.out" 2>&1\n' "$k" >>"$d/run.sh"
				in_cmd=0
			fi
			printf '%s\n' "${BASH_REMATCH[2]}" >>"$d/$k.exp"
		else
			if ((!in_cmd)); then
				k=$((k + 1))
				: >"$d/$k.exp"
				echo $((first + n)) >"$d/$k.line"
				printf '{ :\n' >>"$d/run.sh"
				in_cmd=1
			fi
			printf '%s\n' "$line" >>"$d/run.sh"
		fi
		n=$((n + 1))
	done <"$d/block"
	if ((in_cmd)); then
		printf '} >"$EX_OUT/%d.out" 2>&1\n' "$k" >>"$d/run.sh"
	fi
	echo "$k" >"$d/groups"
}

zk_start

FAILED=()
for i in $(seq 1 "$nblocks"); do
	d=$EX/$i
	compile "$d"
	mnt=$TEST_DIR/mnt$i
	zkfs_mount "zookeeper://$ZK_HOSTPORT/example$i" "$mnt"
	rc=0
	(cd "$mnt" && env LC_ALL=C EX_OUT="$d" timeout 120 bash --norc --noprofile "$d/run.sh") \
		>"$d/stray.out" 2>&1 || rc=$?
	[ "$rc" != 124 ] || FAILED+=("block $i ($DOC:$(cat "$d/line")): still running after 120 s")
	ngroups=$(cat "$d/groups")
	for k in $(seq 1 "$ngroups"); do
		if [ ! -f "$d/$k.out" ]; then
			FAILED+=("$DOC:$(cat "$d/$k.line"): this group did not run: $(cat "$d/stray.out")")
		elif ! cmp -s "$d/$k.out" "$d/$k.exp"; then
			FAILED+=("$DOC:$(cat "$d/$k.line"): expected
$(sed 's/^/    | /' "$d/$k.exp")
  got
$(sed 's/^/    | /' "$d/$k.out")")
		fi
	done
	[ ! -s "$d/stray.out" ] || FAILED+=("block $i ($DOC:$(cat "$d/line")): output outside the groups: $(cat "$d/stray.out")")
	zkfs_umount "$mnt"
	info "block $i ($DOC:$(cat "$d/line")): $ngroups group(s) run"
done

if [ ${#FAILED[@]} -gt 0 ]; then
	for f in "${FAILED[@]}"; do
		printf '[%s] example: %s\n' "$TEST_NAME" "$f" >&2
	done
	fail "${#FAILED[@]} example group(s) of $DOC do not print what the doc says"
fi
