#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Install the Debian packages the harness needs, if any is missing.
set -e
pkgs="linux-source-6.12 qemu-system-x86 busybox-static gcc make flex bison
bc libelf-dev libssl-dev cpio gzip xz-utils ccache python3 perl kmod sparse rsync"
# gcc-multilib: the kselftests are also built with gcc -m32 -static.
pkgs="$pkgs gcc-multilib"
# python3-ply: checkpatch's SPDX check (scripts/spdxcheck.py).
pkgs="$pkgs python3-ply"
# python3-sphinx: make htmldocs of our documentation (make docs, make lint).
pkgs="$pkgs python3-sphinx"
# gnuplot-nox: make bench's plots (harness/bench.py).
pkgs="$pkgs gnuplot-nox"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi
echo "deps: installing$missing (a few minutes on a fresh machine)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
