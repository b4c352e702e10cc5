#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the UNMODIFIED 6.12 base kernel for the oracle boot: a copy of the
# base tree in BUILD/linux-612 (no file of ours laid over it; its Kconfig
# only declares the options that our KUnit suites and test modules add,
# which no file of the base reads), configured from the same fragments as
# our guest.  Same kmake settings, so that every file our overlay does not
# touch is a ccache hit.  Only bzImage: the oracle loads no module.
# With nodebug, the base kernel of make bench instead: BUILD/linux-612-nodebug
# from guest.config and harness/config/nodebug.config, no debug.config.
# usage: harness/build-612.sh BUILD [nodebug]
set -eu
build=$(cd "$1" && pwd)
h=$(cd "$(dirname "$0")" && pwd)
variant=${2:+-$2}
base=$build/base/linux-source-6.12
tree=$build/linux-612$variant
export KTREE=linux-612$variant
exec 9>"$build/lock-612$variant"
flock 9
[ -d "$base" ] || { echo "build-612: no base tree at $base" >&2; exit 1; }
if [ ! -f "$tree/.base-copied" ]; then
	echo "build-612: copying the base tree to $tree"
	rm -rf "$tree"
	cp -a "$base" "$tree"
	touch "$tree/.base-copied"
fi
frags="$h/config/guest.config $h/config/debug.config"
[ -n "$variant" ] && frags="$h/config/guest.config $h/config/nodebug.config"
# The options the base tree's Kconfig files define (Kconfig.harness, below,
# left out).
known=$build/612-kconfig-symbols
[ -s "$known" ] || find "$tree" -name 'Kconfig*' ! -name Kconfig.harness \
	-type f -print0 |
	xargs -0 grep -hoE '^[[:space:]]*(menu)?config[[:space:]]+[A-Za-z0-9_]+' |
	awk '{ print "CONFIG_" $2 }' | sort -u > "$known"
frag=$build/612$variant.config
cat $frags | grep -E '^CONFIG_[A-Z0-9_]+=' > "$frag"
# The fragments' options that only our tree knows (our test modules) are
# declared in the copy's Kconfig.harness: no file of the base reads them,
# and the base's include/generated/autoconf.h is then our guest's, so that
# ccache's direct mode (which hashes that header) shares every object our
# overlay does not touch.  Only y and m can be declared this way.
unknown=$(while IFS= read -r line; do
	grep -qx "${line%%=*}" "$known" || echo "$line"
done < "$frag")
printf '%s\n' "$unknown" | grep -vE '^$|=[ymn]$' &&
	{ echo "build-612: options of ours with values Kconfig.harness cannot declare" >&2; exit 1; }
printf '%s\n' "$unknown" | grep -E '=[ym]$' | sed 's/^CONFIG_//; s/=.*//' |
	while read -r sym; do
		printf 'config %s\n\ttristate "%s (declared for the harness; unused)"\n\n' \
			"$sym" "$sym"
	done > "$tree/Kconfig.harness.new"
cmp -s "$tree/Kconfig.harness.new" "$tree/Kconfig.harness" 2>/dev/null &&
	rm "$tree/Kconfig.harness.new" ||
	mv "$tree/Kconfig.harness.new" "$tree/Kconfig.harness"
grep -qx 'source "Kconfig.harness"' "$tree/Kconfig" ||
	printf '\nsource "Kconfig.harness"\n' >> "$tree/Kconfig"
declared=$(grep -c '^config' "$tree/Kconfig.harness" || true)
stamp=$(cat "$frag" | sha1sum | cut -c1-40)
if [ ! -f "$tree/.config" ] || [ "$(cat "$tree/.dmabuf-config" 2>/dev/null)" != "$stamp" ]; then
	echo "build-612: configuring (tinyconfig + the fragments; $declared options of ours declared in Kconfig.harness)"
	"$h/kmake" "$build" -s tinyconfig >/dev/null
	(cd "$tree" && ARCH=x86_64 scripts/kconfig/merge_config.sh -m -Q .config "$frag" >/dev/null)
	"$h/kmake" "$build" -s olddefconfig >/dev/null
	awk -F= '{ v[$1] = $0 } END { for (k in v) print v[k] }' "$frag" |
		while IFS= read -r line; do
			opt=${line%%=*}
			if [ "${line#*=}" = n ]; then
				if grep -q "^$opt=" "$tree/.config"; then echo "$line"; fi
			elif ! grep -qx "$line" "$tree/.config"; then
				echo "$line"
			fi
		done > "$build/config-mismatch-612$variant"
	if [ -s "$build/config-mismatch-612$variant" ]; then
		echo "build-612: these fragment options did not survive olddefconfig:" >&2
		cat "$build/config-mismatch-612$variant" >&2
		exit 1
	fi
	echo "$stamp" > "$tree/.dmabuf-config"
fi
echo "build-612: compiling the base kernel (warm ccache: about 4 min from a fresh copy; seconds when nothing changed)"
start=$(date +%s)
log=$build/build-612$variant.log
"$h/kmake" "$build" bzImage > "$log" 2>&1 &
pid=$!
while kill -0 $pid 2>/dev/null; do
	sleep 30
	kill -0 $pid 2>/dev/null || break
	echo "build-612: ... $(( $(date +%s) - start )) s, $(grep -c '^  CC' "$log") files compiled so far"
done
if ! wait $pid; then
	grep -E 'error|Error' "$log" | head -40 >&2
	echo "build-612: FAILED (full log: $log)" >&2
	exit 1
fi
echo "build-612: base kernel ready in $(( $(date +%s) - start )) s"
