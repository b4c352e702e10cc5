#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Static checks of the files this project owns: clean-room text check
# against the base tree, checkpatch --strict, kernel-doc, sparse (C=2) and
# W=1 compiler warnings.  Writes OUT/lint/result like a boot does.
# usage: harness/lint.sh BUILD SHARED
set -u
build=$(cd "$1" && pwd)
shared=$2
h=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$h")
base=$build/base/linux-source-6.12
out=$build/out/lint
rm -rf "$out"
mkdir -p "$out"
pass=0
fail=0
check() {
	local name=$1 log=$out/$2
	if [ -s "$log" ]; then
		echo "lint: $name: FAILED"
		sed 's/^/    /' "$log" | head -40
		fail=$((fail + 1))
	else
		echo "lint: $name: clean"
		pass=$((pass + 1))
	fi
}
cd "$repo"
mapfile -t src < <(git ls-files -co --exclude-standard -- \
	'drivers/*.c' 'drivers/*.h' 'include/*.h' 'tools/*.c' 'tools/*.h' \
	'harness/*.c' 'harness/*.h')
mapfile -t kern < <(printf '%s\n' "${src[@]}" | grep -E '^(drivers|include)/')
echo "lint: ${#src[@]} C files of ours"

if [ -x "$shared/tools/cleanroom-check" ]; then
	"$shared/tools/cleanroom-check" "$base" "$repo" > "$out/cleanroom.raw" 2>&1
	[ $? -eq 0 ] || cp "$out/cleanroom.raw" "$out/cleanroom"
	check "cleanroom-check against the base tree" cleanroom
else
	echo "lint: cleanroom-check: FAILED (not found at $shared/tools)"
	fail=$((fail + 1))
fi

# Exceptions: for-each macros must name their loop variables more than once
# (MACRO_ARG_REUSE); userspace programs cannot use the kernel's attribute
# macros (PREFER_DEFINED_ATTRIBUTE_MACRO).
cp="$base/scripts/checkpatch.pl --strict --no-tree --terse --show-types"
cp="$cp --ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,MACRO_ARG_REUSE"
mapfile -t user < <(printf '%s\n' "${src[@]}" | grep -Ev '^(drivers|include)/')
{
	$cp -f "${kern[@]}"
	$cp --ignore PREFER_DEFINED_ATTRIBUTE_MACRO -f "${user[@]}"
} 2>&1 | grep -E '(ERROR|WARNING|CHECK):' > "$out/checkpatch"
check "checkpatch --strict" checkpatch

"$base/scripts/kernel-doc" -none "${kern[@]}" > "$out/kernel-doc" 2>&1
# Every exported function of ours has kernel-doc, and every exported
# variable at least a comment right above its definition.
for f in $(printf '%s\n' "${kern[@]}" | grep '\.c$'); do
	for sym in $(grep -oP 'EXPORT_SYMBOL(_GPL)?(_NS)?\(\K\w+' "$f"); do
		grep -qE "^ \* $sym(\(\))? - " "$f" include/linux/*.h && continue
		grep -B1 -E "^[a-z].*\b$sym\b( =|\[| *$)" "$f" | head -1 |
			grep -qE '^ \*/' && continue
		echo "$f: exported $sym has no kernel-doc"
	done
done >> "$out/kernel-doc"
# Every ':doc:' section our documentation pulls in must exist.
for rst in Documentation/driver-api/*.rst; do
	awk '/^\.\. kernel-doc::/ { f = $3 } /^   :doc:/ { sub(/^   :doc: /, ""); print f "|" $0 }' "$rst" |
	while IFS='|' read -r file doc; do
		n=$("$base/scripts/kernel-doc" -rst -function "$doc" "$build/linux/$file" 2>/dev/null | grep -c .)
		[ "$n" -gt 0 ] || echo "$rst: no DOC section '$doc' in $file"
	done
done >> "$out/kernel-doc"
check "kernel-doc (and DOC sections used by the .rst files)" kernel-doc

# sparse over every source file of drivers/dma-buf, then only what is ours
# is judged, by whole path (the benchmark's copies of base files under
# drivers/dma-buf/tests/upstream/ are not ours); compiler warnings (the
# tree builds with W=1) likewise.
flock "$build/lock" "$h/kmake" "$build" C=2 drivers/dma-buf/ > "$out/sparse.raw" 2>&1
printf '%s\n' "${kern[@]}" > "$out/ours"
grep -E '^(drivers|include)/[^:]+:[0-9]+:[0-9]+: (warning|error)' \
	"$out/sparse.raw" "$build/build.log" 2>/dev/null |
	sed 's/^[^:]*://' |
	awk -F: 'NR == FNR { ours[$0]; next } $1 in ours' "$out/ours" - |
	sort -u > "$out/warnings"
check "sparse (C=2) and W=1 warnings" warnings

# The base's in-tree users (DRM, TTM, V4L2, virtio-gpu, ...) compile
# against our headers without a single W=1 warning.  Zero is the bar, so
# no warning can be a new one of ours.
python3 "$h/prepare.py" user-warnings "$build" > "$out/users" 2> "$out/users.count"
echo "lint: $(cat "$out/users.count")"
check "W=1 warnings of in-tree users built on our headers" users

# The documentation through the kernel's make htmldocs (harness/docs.py).
python3 "$h/docs.py" "$build" > "$out/docs.log" 2>&1
grep -E '^docs: [0-9]+ s|HTML' "$out/docs.log" | sed 's/^/lint: /'
if [ -f "$build/out/docs/problems" ]; then
	cp "$build/out/docs/problems" "$out/docs"
else
	echo "harness/docs.py did not run (see $out/docs.log)" > "$out/docs"
fi
check "htmldocs (SPHINXDIRS=driver-api): warnings of ours, DOC sections, exported symbols" docs

echo "$pass 0 0" > "$out/result"
[ $fail -eq 0 ] || echo "$pass $fail 0" > "$out/result"
echo "lint: $pass passed, $fail failed"
exit 0
