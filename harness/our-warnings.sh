#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The compiler warnings of a kernel build log that are in files of ours
# (drivers/, include/ files this repository provides), as lint.sh judges
# the guest's W=1 build; harness/build-variant.sh runs it on what the
# arm64 and clang kernels compile of ours.
# Prints them and fails when there is one; counts the rest.
# usage: harness/our-warnings.sh BUILD.LOG
set -u
log=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
[ -s "$log" ] || { echo "warnings: no build log $log" >&2; exit 1; }
ours=$(mktemp)
trap 'rm -f "$ours"' EXIT
git -C "$repo" ls-files -co --exclude-standard -- 'drivers/*.c' \
	'drivers/*.h' 'include/*.h' > "$ours"
bad=$(grep -E '^(drivers|include)/[^:]+:[0-9]+:[0-9]+: (warning|error)' "$log" |
	awk -F: 'NR == FNR { ours[$0]; next } $1 in ours' "$ours" - | sort -u)
echo "warnings: $(grep -c 'warning:' "$log") in the log ($log), $(
	[ -z "$bad" ] && echo 0 || echo "$bad" | wc -l) in files of ours"
[ -z "$bad" ] || { echo "$bad"; exit 1; }
