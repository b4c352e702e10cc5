#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Install the Debian packages the harness needs, if any is missing.
set -e
pkgs="linux-source-6.12 qemu-system-x86 busybox-static gcc make flex bison
bc libelf-dev libssl-dev cpio gzip xz-utils ccache python3 perl kmod sparse rsync"
# gcc-12-multilib: the kselftests are also built with gcc -m32 -static.
# (Not the gcc-multilib metapackage: Debian has it conflict with every
# cross compiler, gcc-aarch64-linux-gnu included.)
pkgs="$pkgs gcc-12-multilib"
# python3-ply: checkpatch's SPDX check (scripts/spdxcheck.py).
pkgs="$pkgs python3-ply"
# python3-sphinx: make htmldocs of our documentation (make docs, make lint).
pkgs="$pkgs python3-sphinx"
# gnuplot-nox: make bench's plots (harness/bench.py).
pkgs="$pkgs gnuplot-nox"
# Other architectures and compilers (issue 14): what the arm64 cross
# compiler needs (its cc1, binutils, libgcc and libc6-dev-arm64-cross for
# the static arm64 programs) and qemu-system-aarch64; dtc for the arm64
# guest's device tree; clang, LLVM and lld for the LLVM=1 kernel.  i386
# needs nothing more (qemu-system-i386 is in qemu-system-x86, gcc -m32 in
# gcc-12-multilib).
pkgs="$pkgs cpp-12-aarch64-linux-gnu binutils-aarch64-linux-gnu
libgcc-12-dev-arm64-cross libc6-dev-arm64-cross linux-libc-dev-arm64-cross
libcc1-0 qemu-system-arm device-tree-compiler clang llvm lld"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
# Unpacked, not installed, into $lib: the arm64 guest's busybox, Debian's
# busybox-static for arm64 (installing it would replace the host's amd64
# one, same path), and the driver of Debian's gcc-12-aarch64-linux-gnu:
# Debian has gcc-multilib (which other trees of this project install)
# conflict with every cross gcc, so that each apt-get install of one
# removes the other.  $lib/cross/bin has aarch64-linux-gnu-gcc and
# $lib/cross/ccache its ccache link: harness/kunit.sh and
# build-variant.sh put both on PATH.
lib=/usr/local/lib/dmabuf-harness
bb=$lib/busybox-arm64
cross=$lib/cross
if [ -z "$missing" ] && [ -x $bb ] && [ -x $cross/bin/aarch64-linux-gnu-gcc ]; then
	echo "deps: all packages present"
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if [ -n "$missing" ]; then
	echo "deps: installing$missing (a few minutes on a fresh machine)"
	apt-get update -q
	apt-get install -y -q --no-install-recommends $missing
fi
tmp=$(mktemp -d)
chmod 777 "$tmp"   # apt-get download writes here as _apt
mkdir -p $lib
if [ ! -x $bb ]; then
	echo "deps: unpacking busybox-static:arm64 into $lib"
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
		apt-get update -q
	fi
	(cd "$tmp" && apt-get download -q busybox-static:arm64 &&
		dpkg-deb -x busybox-static_*_arm64.deb bb)
	cp "$tmp/bb/bin/busybox" $bb
fi
if [ ! -x $cross/bin/aarch64-linux-gnu-gcc ]; then
	echo "deps: unpacking gcc-12-aarch64-linux-gnu into $cross"
	rm -rf $cross
	(cd "$tmp" && apt-get download -q gcc-12-aarch64-linux-gnu &&
		dpkg-deb -x gcc-12-aarch64-linux-gnu_*.deb gcc)
	mkdir -p $cross/bin $cross/ccache
	cp -a "$tmp/gcc/usr" $cross/
	# The driver finds cc1, libgcc and binutils relative to itself.
	ln -s /usr/aarch64-linux-gnu $cross/usr/aarch64-linux-gnu
	g=usr/lib/gcc-cross/aarch64-linux-gnu/12
	for f in /$g/*; do
		[ -e "$cross/$g/${f##*/}" ] || ln -s "$f" "$cross/$g/"
	done
	ln -s ../usr/bin/aarch64-linux-gnu-gcc-12 $cross/bin/aarch64-linux-gnu-gcc
	ln -s /usr/bin/ccache $cross/ccache/aarch64-linux-gnu-gcc
fi
rm -rf "$tmp"
