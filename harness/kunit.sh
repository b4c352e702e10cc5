#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Our KUnit suites the way kernel developers run them: kunit.py with
# drivers/dma-buf/.kunitconfig, on BUILD/linux-kunit, a copy of the
# prepared tree that is never built in place (kunit.py builds out of
# tree, in its .kunit directory).  Its KTAP summary is judged like a boot:
# OUT/kunit/result counts passed, failed and skipped cases.
# With "prebuild", only start `kunit.py build --jobs=1` in the background
# and return: make check does so before the sync boot, whose single vCPU
# leaves a core idle for minutes; the run later waits for that build
# (BUILD/lock-kunit) and finds the kernel built.
# usage: harness/kunit.sh BUILD [prebuild]
set -u
build=$(cd "$1" && pwd)
h=$(cd "$(dirname "$0")" && pwd)
tree=$build/linux-kunit
out=$build/out/kunit
mkdir -p "$build/out"
flock "$build/lock-kunit" python3 "$h/prepare.py" tree "$build" linux-kunit \
	> "$build/out/kunit-prepare.log" ||
	{ cat "$build/out/kunit-prepare.log"; exit 1; }
# ccache as harness/kmake sets it up, so that a rebuild is quick.
export CCACHE_BASEDIR="$tree" CCACHE_NOHASHDIR=1
export KBUILD_BUILD_TIMESTAMP="2024-11-17 00:00 UTC"
export KBUILD_BUILD_USER=dmabuf KBUILD_BUILD_HOST=harness
export PATH="/usr/lib/ccache:$PATH"
if [ "${2:-}" = prebuild ]; then
	echo "kunit: building the KUnit kernel in the background, on one core"
	(cd "$tree" && exec flock "$build/lock-kunit" \
		./tools/testing/kunit/kunit.py build \
		--kunitconfig=drivers/dma-buf --arch=x86_64 --jobs=1) \
		> "$build/out/kunit-prebuild.log" 2>&1 < /dev/null &
	exit 0
fi
rm -rf "$out"
mkdir -p "$out"
# The command of drivers/dma-buf/.kunitconfig, with a longer timeout for
# a loaded machine.
cmd=(./tools/testing/kunit/kunit.py run --kunitconfig=drivers/dma-buf
     --arch=x86_64 "--qemu_args=-smp 2" "--timeout=${KUNIT_TIMEOUT:-900}")
echo "kunit: ${cmd[*]} (from scratch about 10 min)"
start=$(date +%s)
(cd "$tree" && flock "$build/lock-kunit" "${cmd[@]}") > "$out/kunit.log" 2>&1 &
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
# No summary, or kunit.py failed without a failed case to show for it.
if { [ -z "$sum" ] || [ "$rc" -ne 0 ]; } && [ "$fail" -eq 0 ]; then
	tail -20 "$out/kunit.log"
	fail=$((fail + 1))
fi
echo "kunit: ${sum:-no summary} (rc=$rc) in $(( $(date +%s) - start )) s; log $out/kunit.log"
echo "$pass $fail $skip" > "$out/result"
