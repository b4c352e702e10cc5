#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the guest's initramfs: static busybox, our init, statically linked
# test programs (ours and upstream's sync, udmabuf and dmabuf-heaps
# kselftests) and the test modules.
# With 612 as second argument, the oracle boot's initramfs instead: our
# kselftests and the demos built against the uapi headers of the
# unmodified base tree (BUILD/linux-612), the same init, no modules.
# usage: harness/build-initramfs.sh BUILD [612]
set -euo pipefail
build=$(cd "$1" && pwd)
h=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$h")
base=${2:-}
sfx=${base:+-$base}
export KTREE=linux$sfx
tree=$build/linux$sfx
root=$build/initramfs$sfx
hdr=$build/usr$sfx
lock=$build/lock$sfx
echo "initramfs$sfx: installing uapi headers"
flock "$lock" "$h/kmake" "$build" -s headers_install INSTALL_HDR_PATH="$hdr" >/dev/null
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,tests,upstream,demo,lib/modules}
cp /bin/busybox "$root/bin/busybox"
cp "$h/guest/init" "$root/init"
chmod +x "$root/init"
cc="gcc -static -O2 -Wall -Wextra -Werror -pthread -I$hdr/include"
sel=$tree/tools/testing/selftests
echo "initramfs$sfx: building test programs"
# Our kselftests.
for src in "$repo"/tools/testing/selftests/dma-buf/*.c; do
	[ -e "$src" ] || continue
	$cc -I"$sel" -o "$root/tests/$(basename "$src" .c)" "$src"
done
# The same kselftests as 32-bit programs (issue 11, 32-bit callers): run
# under IA32_EMULATION, every ioctl goes through the compat entry points.
# The fuzzer's and the sweep's programs (subdirectories fuzz/ and sweep/)
# go to /tests32/fuzz and /tests32/sweep, which the test loop does not run
# (their own harness blocks or make boot-dev TESTS=m32/sweep/NAME do).
# -Wno-clobbered: an i386 64-bit local lives in a register pair across the
# harness's setjmp, which gcc flags although a longjmp abandons the test.
# The oracle's initramfs has only compat-uapi's 32-bit build (below).
if [ -z "$base" ]; then
	k=$repo/tools/testing/selftests/dma-buf
	for src in "$k"/*.c "$k"/fuzz/*.c "$k"/sweep/*.c; do
		[ -e "$src" ] || continue
		d=${src%/*}
		d=$root/tests32${d#"$k"}
		mkdir -p "$d"
		$cc -m32 -Wno-clobbered -I"$sel" -o "$d/$(basename "$src" .c)" \
			"$src"
	done
fi
if [ -n "$base" ]; then
	# The oracle also runs compat-uapi as a 32-bit program, so that 6.12's
	# compat paths are the contract too (one program: about 10 s more).
	$cc -m32 -Wno-clobbered -I"$sel" -o "$root/tests/m32-compat-uapi" \
		"$repo/tools/testing/selftests/dma-buf/compat-uapi.c"
	for src in "$h"/demo/*.c; do
		$cc -o "$root/demo/$(basename "$src" .c)" "$src"
	done
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$build/initramfs$sfx.cpio.gz"
	echo "initramfs$sfx: $(ls "$root/tests" | wc -w) test programs, $(ls "$root/demo" | wc -w) demos, $(du -k "$build/initramfs$sfx.cpio.gz" | cut -f1) KiB"
	exit 0
fi
# The allocation-failure sweep (fault injection): outside /tests, which
# the oracle boot runs on the unmodified 6.12 kernel.
mkdir -p "$root/sweep"
for src in "$repo"/tools/testing/selftests/dma-buf/sweep/*.c; do
	[ -e "$src" ] || continue
	$cc -I"$sel" -o "$root/sweep/$(basename "$src" .c)" "$src"
done
# Upstream's sync kselftest, unchanged with its own main() (sources from
# the base tree), for the sync boot; outside /tests, which the test boot
# runs whole.
s=$sel/sync
gcc -static -O2 -pthread -I"$hdr/include" -o "$root/upstream/sync_test" \
	"$s"/sync_test.c "$s"/sync.c "$s"/sync_alloc.c "$s"/sync_fence.c \
	"$s"/sync_merge.c "$s"/sync_wait.c "$s"/sync_stress_parallelism.c \
	"$s"/sync_stress_consumer.c "$s"/sync_stress_merge.c
# Upstream's udmabuf and dmabuf-heaps kselftests (base tree, unchanged)
# for the upstream boot.  -w: udmabuf.c redefines glibc's MFD_* macros
# through linux/memfd.h, which is upstream's to fix, not ours.
gcc -static -O2 -w -I"$hdr/include" -I"$sel" -o "$root/upstream/udmabuf" \
	"$sel"/drivers/dma-buf/udmabuf.c
gcc -static -O2 -I"$hdr/include" -I"$sel" -o "$root/upstream/dmabuf-heap" \
	"$sel"/dmabuf-heaps/dmabuf-heap.c
# The uapi fuzzer (make fuzz, make check's fuzz boot), outside /tests,
# which the test boot runs whole.
mkdir -p "$root/fuzz"
$cc -o "$root/fuzz/dmabuf-fuzz" \
	"$repo"/tools/testing/selftests/dma-buf/fuzz/dmabuf-fuzz.c
# Demonstration programs of make run.
for src in "$h"/demo/*.c; do
	[ -e "$src" ] || continue
	$cc -o "$root/demo/$(basename "$src" .c)" "$src"
done
# Every module, with modules.dep, so that the guest's modprobe resolves
# dependencies (the DRM test modules need their helper modules).
flock "$build/lock" "$h/kmake" "$build" -s modules_install \
	INSTALL_MOD_PATH="$root" INSTALL_MOD_STRIP=1 >/dev/null
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$build/initramfs.cpio.gz"
echo "initramfs: $(ls "$root/tests" | wc -w) test programs, $(find "$root/lib/modules" -name '*.ko' | wc -l) modules, $(du -k "$build/initramfs.cpio.gz" | cut -f1) KiB"
