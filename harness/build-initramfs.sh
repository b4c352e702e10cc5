#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the guest's initramfs: static busybox, our init, our kselftests
# installed with the kselftest runner, statically linked test programs
# (the fuzzer, the sweep, upstream's sync, udmabuf and dmabuf-heaps
# kselftests) and the test modules.
# With 612 as second argument, the oracle boot's initramfs instead: our
# kselftests and the demos built against the uapi headers of the
# unmodified base tree (BUILD/linux-612), the same init, no modules; with
# 612-nodebug, the same from BUILD/linux-612-nodebug, for make bench.
# With KARCH=arm64 (and CROSS_COMPILE=aarch64-linux-gnu-), the arm64
# guest's (make check-full): every program cross-built statically, Debian's
# busybox-static for arm64 (install-deps.sh unpacks it), no -m32 builds.
# usage: [KARCH=arm64] harness/build-initramfs.sh BUILD [612|612-nodebug]
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
gcc=${CROSS_COMPILE:-}gcc
bits_list="64 32"
if [ "${KARCH:-x86_64}" = arm64 ]; then
	cp /usr/local/lib/dmabuf-harness/busybox-arm64 "$root/bin/busybox"
	bits_list=64
else
	cp /bin/busybox "$root/bin/busybox"
fi
cp "$h/guest/init" "$root/init"
chmod +x "$root/init"
# The kselftest runner times programs out with /usr/bin/timeout
# --foreground (GNU's option); busybox's timeout takes the rest.
mkdir -p "$root/usr/bin"
printf '#!/bin/sh\n[ "$1" = --foreground ] && shift\nexec /bin/timeout "$@"\n' \
	> "$root/usr/bin/timeout"
chmod +x "$root/usr/bin/timeout"
cc="$gcc -static -O2 -Wall -Wextra -Werror -pthread -I$hdr/include"
sel=$tree/tools/testing/selftests
echo "initramfs$sfx: building test programs"
# The ioctl benchmark: make bench runs it on our kernel and on the base's
# (this script with 612-nodebug), make check's test boot once as a smoke.
mkdir -p "$root/bench"
$cc -o "$root/bench/dmabuf-ioctl-bench" \
	"$repo/tools/testing/selftests/dma-buf/bench/dmabuf-ioctl-bench.c"
if [ -z "$base" ]; then
	# Our kselftests the usual way: their Makefile (lib.mk) through the
	# selftests Makefile of the prepared tree, installed with its runner
	# (run_kselftest.sh, kselftest-list.txt, settings, config) into
	# /kselftest; and the same programs built with -m32 into
	# /kselftest32, which the guest runs through the compat ioctls
	# (issue 11, 32-bit callers).  -Wno-clobbered: an i386 64-bit local
	# lives in a register pair across the harness's setjmp, which gcc
	# flags although a longjmp abandons the test.
	echo "initramfs: building our kselftests (make -C tools/testing/selftests TARGETS=dma-buf install)"
	for bits in $bits_list; do
		inst=$root/kselftest${bits#64}
		flags=-Werror
		# (clang, which LLVM=1 makes lib.mk use, has no such warning)
		nc=-Wno-clobbered
		[ -n "${LLVM:-}" ] && nc=
		[ "$bits" = 32 ] && flags="-Werror -m32 $nc"
		make -s -C "$sel" TARGETS=dma-buf \
			O="$build/kselftest$bits" \
			KHDR_INCLUDES="-isystem $hdr/include" \
			USERCFLAGS="$flags" KSFT_INSTALL_PATH="$inst" \
			${CROSS_COMPILE:+CROSS_COMPILE=$CROSS_COMPILE ARCH=$KARCH} install \
			> "$build/kselftest$bits.log" 2>&1 ||
			{ cat "$build/kselftest$bits.log" >&2; exit 1; }
	done
	# The fuzzer's and the sweep's programs (subdirectories fuzz/ and
	# sweep/, not kselftests the runner runs) as 32-bit programs in
	# /tests32/fuzz and /tests32/sweep, for their own harness blocks and
	# make boot-dev TESTS=m32/sweep/NAME.
	k=$repo/tools/testing/selftests/dma-buf
	for src in "$k"/fuzz/*.c "$k"/sweep/*.c; do
		[ "$bits_list" = 64 ] && break
		[ -e "$src" ] || continue
		d=${src%/*}
		d=$root/tests32${d#"$k"}
		mkdir -p "$d"
		$cc -m32 -Wno-clobbered -I"$sel" -o "$d/$(basename "$src" .c)" \
			"$src"
	done
else
	# The oracle's: our kselftests built alone against the base's uapi
	# headers (its tree has no tools/testing/selftests/dma-buf), one
	# program each in /tests, which its guest runs case by case.
	for src in "$repo"/tools/testing/selftests/dma-buf/*.c; do
		$cc -I"$sel" -o "$root/tests/$(basename "$src" .c)" "$src"
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
# The allocation-failure sweep (fault injection): not a kselftest, as the
# oracle boot runs those on the unmodified 6.12 kernel.
mkdir -p "$root/sweep"
for src in "$repo"/tools/testing/selftests/dma-buf/sweep/*.c; do
	[ -e "$src" ] || continue
	$cc -I"$sel" -o "$root/sweep/$(basename "$src" .c)" "$src"
done
# Upstream's sync kselftest, unchanged with its own main() (sources from
# the base tree), for the sync boot.
s=$sel/sync
$gcc -static -O2 -pthread -I"$hdr/include" -o "$root/upstream/sync_test" \
	"$s"/sync_test.c "$s"/sync.c "$s"/sync_alloc.c "$s"/sync_fence.c \
	"$s"/sync_merge.c "$s"/sync_wait.c "$s"/sync_stress_parallelism.c \
	"$s"/sync_stress_consumer.c "$s"/sync_stress_merge.c
# Upstream's udmabuf and dmabuf-heaps kselftests (base tree, unchanged)
# for the upstream boot.  -w: udmabuf.c redefines glibc's MFD_* macros
# through linux/memfd.h, which is upstream's to fix, not ours.
$gcc -static -O2 -w -I"$hdr/include" -I"$sel" -o "$root/upstream/udmabuf" \
	"$sel"/drivers/dma-buf/udmabuf.c
$gcc -static -O2 -I"$hdr/include" -I"$sel" -o "$root/upstream/dmabuf-heap" \
	"$sel"/dmabuf-heaps/dmabuf-heap.c
# The uapi fuzzer (make fuzz, make check's fuzz boot).
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
echo "initramfs: $(wc -l < "$root/kselftest/kselftest-list.txt") kselftest programs ($bits_list bits), $(find "$root/lib/modules" -name '*.ko' | wc -l) modules, $(du -k "$build/initramfs.cpio.gz" | cut -f1) KiB"
