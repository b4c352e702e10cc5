#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Lay the repository over the build tree, configure (when the fragments
# changed) and build the guest kernel.  Holds BUILD/lock throughout, as
# harness/devmake does, so that two makes never share the tree.
# usage: harness/build-kernel.sh BUILD
set -eu
build=$(cd "$1" && pwd)
h=$(cd "$(dirname "$0")" && pwd)
tree=$build/linux
exec 9>"$build/lock"
flock 9
python3 "$h/prepare.py" tree "$build"
# EXTRA_FRAGMENT (a path) is merged last, for experiments such as
# measuring the guest without KASAN (harness/config/no-kasan.config).
# DEBUG_FRAGMENT replaces harness/config/debug.config; empty, none is
# merged (the benchmark kernel, build-variant.sh nodebug).
# GUEST_FRAGMENT replaces harness/config/guest.config (x86_64's) for
# another architecture, KARCH (the arm64 guest of make check-full).
arch=${KARCH:-x86_64}
frags="${GUEST_FRAGMENT:-$h/config/guest.config} ${DEBUG_FRAGMENT-$h/config/debug.config} ${EXTRA_FRAGMENT:-}"
# The stamp covers our Kconfig too: an option it gains is configured.
stamp=$(cat $frags "$tree/drivers/dma-buf/Kconfig" | sha1sum | cut -c1-40)
if [ ! -f "$tree/.config" ] || [ "$(cat "$tree/.dmabuf-config" 2>/dev/null)" != "$stamp" ]; then
	echo "build: configuring (tinyconfig + $(echo $frags | sed "s|$h/||g"))"
	"$h/kmake" "$build" -s tinyconfig >/dev/null
	(cd "$tree" && ARCH=$arch scripts/kconfig/merge_config.sh -m -Q .config $frags >/dev/null)
	"$h/kmake" "$build" -s olddefconfig >/dev/null
	# Every option the fragments ask for (the last fragment naming an
	# option wins) must have survived olddefconfig.
	cat $frags | grep -E '^CONFIG_[A-Z0-9_]+=' |
		awk -F= '{ v[$1] = $0 } END { for (k in v) print v[k] }' |
		while IFS= read -r line; do
			opt=${line%%=*}
			if [ "${line#*=}" = n ]; then
				if grep -q "^$opt=" "$tree/.config"; then echo "$line"; fi
			elif ! grep -qx "$line" "$tree/.config"; then
				echo "$line"
			fi
		done > "$build/config-mismatch"
	if [ -s "$build/config-mismatch" ]; then
		echo "build: these fragment options did not survive olddefconfig:" >&2
		cat "$build/config-mismatch" >&2
		exit 1
	fi
	echo "$stamp" > "$tree/.dmabuf-config"
fi
echo "build: compiling the kernel (from scratch about 6-8 min with an empty ccache; incremental: seconds)"
start=$(date +%s)
log=$build/build.log
image=bzImage
[ "$arch" = arm64 ] && image=Image
"$h/kmake" "$build" $image modules > "$log" 2>&1 &
pid=$!
while kill -0 $pid 2>/dev/null; do
	sleep 20
	kill -0 $pid 2>/dev/null || break
	echo "build: ... $(( $(date +%s) - start )) s, $(grep -c '^  CC' "$log") files compiled so far"
done
if ! wait $pid; then
	grep -E 'error|Error|warning:' "$log" | head -40 >&2
	echo "build: FAILED (full log: $log)" >&2
	exit 1
fi
# The benchmark module's copies of the base kernel must call nothing of ours.
python3 "$h/bench.py" symbols "$tree"
# W=1 warnings of our files fail 'make lint'; the base's own are only counted.
echo "build: $(grep -c 'warning:' "$log") W=1 warnings in the log ($log)"
echo "build: kernel ready in $(( $(date +%s) - start )) s"
