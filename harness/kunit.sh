#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Our KUnit suites the way kernel developers run them: kunit.py with
# drivers/dma-buf/.kunitconfig, on BUILD/linux-kunit, a copy of the
# prepared tree that is never built in place (kunit.py builds out of
# tree, in its .kunit directory).  Its KTAP summary is judged like a boot:
# OUT/kunit/result counts passed, failed and skipped cases.
# With "prebuild", only start `kunit.py build --jobs=2` at nice 10 in the
# background and return: make check does so first of all, so that the
# build takes the CPU time its other steps leave idle (lint's serial
# parts, the single vCPU of the sync boot); the run later waits for that
# build (BUILD/lock-kunit) and finds the kernel built.
# KUNIT_ARCH=arm64 or i386 runs the same suites on that architecture
# (issue 14), each in a tree of its own (BUILD/linux-kunit-ARCH, lock
# BUILD/lock-kunit-ARCH, results in OUT/kunit-ARCH), from a copy of the
# .kunitconfig without its x86_64-only lines (PCI and the AMD GART that
# give x86 DMA ops of a device's own) plus harness/config/kunit-ARCH.config.
# arm64 is cross-compiled (aarch64-linux-gnu-) and boots qemu-system-
# aarch64 -M virt; i386 boots qemu-system-i386.
# usage: [KUNIT_ARCH=arm64|i386] harness/kunit.sh BUILD [prebuild]
set -u
build=$(cd "$1" && pwd)
h=$(cd "$(dirname "$0")" && pwd)
arch=${KUNIT_ARCH:-x86_64}
sfx=
[ "$arch" = x86_64 ] || sfx=-$arch
tree=$build/linux-kunit$sfx
out=$build/out/kunit$sfx
lock=$build/lock-kunit$sfx
kcfg=(--kunitconfig=drivers/dma-buf --arch="$arch")
case $arch in
x86_64) ;;
arm64|i386)
	kcfg=(--kunitconfig="$build/kunitconfig-$arch" --arch="$arch")
	[ "$arch" = arm64 ] && kcfg+=(--cross_compile=aarch64-linux-gnu-) ;;
*) echo "kunit: no such architecture: $arch" >&2; exit 1 ;;
esac
mkdir -p "$build/out"
flock "$lock" python3 "$h/prepare.py" tree "$build" linux-kunit$sfx \
	> "$build/out/kunit$sfx-prepare.log" ||
	{ cat "$build/out/kunit$sfx-prepare.log"; exit 1; }
if [ -n "$sfx" ]; then
	{ grep -vE '^CONFIG_(PCI|CPU_SUP_AMD|GART_IOMMU)=' \
		"$tree/drivers/dma-buf/.kunitconfig"
	  cat "$h/config/kunit-$arch.config"; } > "$build/kunitconfig-$arch.new"
	# Rewritten only when it changes: kunit.py reconfigures on a change.
	if cmp -s "$build/kunitconfig-$arch.new" "$build/kunitconfig-$arch"; then
		rm "$build/kunitconfig-$arch.new"
	else
		mv "$build/kunitconfig-$arch.new" "$build/kunitconfig-$arch"
	fi
fi
# ccache as harness/kmake sets it up, so that a rebuild is quick.
export CCACHE_BASEDIR="$tree" CCACHE_NOHASHDIR=1 CCACHE_DEPEND=1
export KBUILD_BUILD_TIMESTAMP="2024-11-17 00:00 UTC"
export KBUILD_BUILD_USER=dmabuf KBUILD_BUILD_HOST=harness
export PATH="/usr/lib/ccache:$PATH"
# The arm64 cross compiler that install-deps.sh unpacks, with its ccache.
x=/usr/local/lib/dmabuf-harness/cross
[ "$arch" = arm64 ] && export PATH="$x/ccache:$x/bin:$PATH"
if [ "${2:-}" = prebuild ]; then
	# On both cores at nice 10: it takes what make check's other steps
	# leave idle, and none of them waits for it.
	jobs=2 prio=10
	echo "kunit: building the $arch KUnit kernel in the background ($jobs jobs, nice $prio)"
	(cd "$tree" && exec flock "$lock" nice -n $prio \
		./tools/testing/kunit/kunit.py build "${kcfg[@]}" --jobs=$jobs) \
		> "$build/out/kunit$sfx-prebuild.log" 2>&1 < /dev/null &
	exit 0
fi
rm -rf "$out"
mkdir -p "$out"
# The command of drivers/dma-buf/.kunitconfig, with a longer timeout for
# a loaded machine.
cmd=(./tools/testing/kunit/kunit.py run "${kcfg[@]}"
     "--qemu_args=-smp 2" "--timeout=${KUNIT_TIMEOUT:-900}")
echo "kunit: ${cmd[*]} (from scratch about 10 min)"
start=$(date +%s)
(cd "$tree" && flock "$lock" "${cmd[@]}") \
	> "$out/kunit.log" 2>&1 &
pid=$!
while kill -0 $pid 2>/dev/null; do
	sleep 30
	kill -0 $pid 2>/dev/null || break
	echo "kunit: ... $(( $(date +%s) - start )) s, $(find "$tree/.kunit" \
		-name '*.o' 2>/dev/null | wc -l) objects built, $(grep -c \
		'\[PASSED\]' "$out/kunit.log") cases passed"
done
wait $pid
rc=$?
sum=$(grep -oE 'Ran [0-9]+ tests?: .*' "$out/kunit.log" | tail -1)
n() { echo "$sum" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+' || echo 0; }
pass=$(n passed)
fail=$(( $(n failed) + $(n crashed) + $(n errors) ))
skip=$(n skipped)
grep -E '\[(FAILED|CRASHED|SKIPPED)\]' "$out/kunit.log" | head -20
# The suites that ran, in order; another architecture must run every
# suite of the x86_64 run (when it ran), but i386 the sg_table suite,
# which needs per-device DMA ops (see harness/config/kunit-i386.config).
grep -oE '=+ [a-z0-9-]+ \([0-9]+ subtests\) =+' "$out/kunit.log" |
	awk '{ print $2 }' > "$out/suites"
if [ -n "$sfx" ] && [ -s "$build/out/kunit/suites" ]; then
	while read -r suite; do
		[ "$arch/$suite" = i386/dma-sgtable ] && continue
		grep -qx "$suite" "$out/suites" && continue
		echo "kunit: suite $suite of the x86_64 run did not run on $arch"
		fail=$((fail + 1))
	done < "$build/out/kunit/suites"
fi
# No summary, or kunit.py failed without a failed case to show for it.
if { [ -z "$sum" ] || [ "$rc" -ne 0 ]; } && [ "$fail" -eq 0 ]; then
	tail -20 "$out/kunit.log"
	fail=$((fail + 1))
fi
echo "kunit: ${sum:-no summary} (rc=$rc) in $(( $(date +%s) - start )) s; log $out/kunit.log"
echo "$pass $fail $skip" > "$out/result"
