#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build one of make check-full's extra guest kernels and its initramfs in
# a build directory of its own, BUILD/NAME, which shares BUILD's unpacked
# base and the ccache:
#   kcsan  harness/config/kcsan.config (KCSAN instead of KASAN)
#   gcov   harness/config/gcov.config, with gcov profiling for our
#          directories only (drivers/dma-buf/, its heaps/, and the file of
#          the DMA core that compiles our dma-map-sgtable.c)
#   nodebug  harness/config/nodebug.config without debug.config: the
#          benchmark kernel of make bench
#   arm64  harness/config/arm64.config instead of guest.config (with
#          debug.config): the arm64 guest, cross-built with Debian's
#          aarch64-linux-gnu-gcc, its initramfs cross-built statically
#   clang  the x86_64 guest built with LLVM=1 (clang, lld), W=1;
#          harness/config/clang.config adds nothing of its own
# usage: harness/build-variant.sh BUILD NAME
set -eu
build=$(cd "$1" && pwd)
name=$2
h=$(cd "$(dirname "$0")" && pwd)
vb=$build/$name
if [ ! -f "$h/config/$name.config" ]; then
	echo "no harness/config/$name.config" >&2
	exit 1
fi
mkdir -p "$vb"
[ -e "$vb/base" ] || ln -s ../base "$vb/base"

# kbuild reads a directory's Kbuild file instead of its Makefile.  The
# profiled directories get one in this build tree only (the repository's
# Makefiles stay as they are); it is rewritten only when it changes, so
# that its mtime does not rebuild the directory each time.
kbuild() {
	local f=$vb/linux/$1/Kbuild
	printf '# Written by harness/build-variant.sh gcov.\n%s\n%s\n' \
		"$2" 'include $(src)/Makefile' > "$f.new"
	if cmp -s "$f.new" "$f"; then rm "$f.new"; else mv "$f.new" "$f"; fi
}
if [ "$name" = gcov ]; then
	[ -d "$vb/linux" ] || python3 "$h/prepare.py" tree "$vb"
	kbuild drivers/dma-buf 'GCOV_PROFILE := y'
	kbuild drivers/dma-buf/heaps 'GCOV_PROFILE := y'
	kbuild kernel/dma 'GCOV_PROFILE_mapping.o := y'
fi
extra=$h/config/$name.config
if [ "$name" = nodebug ]; then
	export DEBUG_FRAGMENT=
fi
if [ "$name" = arm64 ]; then
	export KARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
	# The cross compiler that install-deps.sh unpacks, with its ccache.
	x=/usr/local/lib/dmabuf-harness/cross
	export PATH="$x/ccache:$x/bin:$PATH"
	export GUEST_FRAGMENT=$extra
	extra=
fi
if [ "$name" = clang ]; then
	export LLVM=1
fi
EXTRA_FRAGMENT=$extra "$h/build-kernel.sh" "$vb"
if [ "$name" = arm64 ] || [ "$name" = clang ]; then
	# Another compiler or architecture: every object of ours compiled
	# again (a ccache hit replays its warnings), so that the log holds
	# the W=1 warnings of all our files, not only of those this build
	# recompiled; one fails the build, as make lint does for gcc's.
	objs="drivers/dma-buf/ kernel/dma/"
	[ -e "$vb/linux/drivers/virtio/virtio_dma_buf.o" ] &&
		objs="$objs drivers/virtio/virtio_dma_buf.o"
	(cd "$vb/linux" && find drivers/dma-buf -name '*.o' -delete &&
		rm -f kernel/dma/mapping.o drivers/virtio/virtio_dma_buf.o)
	"$h/kmake" "$vb" $objs > "$vb/ours.log" 2>&1 ||
		{ tail -20 "$vb/ours.log"; exit 1; }
	"$h/our-warnings.sh" "$vb/ours.log"
fi
"$h/build-initramfs.sh" "$vb"
