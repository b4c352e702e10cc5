#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Line and branch coverage of our implementation from the coverage boot.

usage: coverage.py BUILD OUTDIR

BUILD is the gcov kernel's build directory (harness/build-variant.sh gcov),
OUTDIR the coverage boot's.  The guest printed its .gcda files as a
base64'd tar.gz between HARNESS-GCOV-BEGIN and HARNESS-GCOV-END on the
second serial port (OUTDIR/user.log).  They are unpacked into OUTDIR/gcda
next to copies of the build's .gcno files and read by gcc's gcov in its
JSON format (gcov -j -b).  Printed: line and branch coverage of each .c
file of ours (drivers/dma-buf/**/*.c of the repository, tests/ excluded),
the overall line coverage, the functions never entered and whether every
EXPORT_SYMBOL*'d function was entered.  Exit status 1 below the floor:
FLOOR_LINES percent of lines overall, and every exported function entered.
"""
import base64
import glob
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLOOR_LINES = 90.0
EXPORT = re.compile(r"^EXPORT_SYMBOL\w*\((\w+)", re.M)


def owned_sources():
    """drivers/dma-buf/**/*.c of the repository, tests/ excluded."""
    out = []
    for root, dirs, files in os.walk(os.path.join(REPO, "drivers/dma-buf")):
        dirs[:] = [d for d in dirs if d != "tests"]
        for f in files:
            if f.endswith(".c"):
                out.append(os.path.relpath(os.path.join(root, f), REPO))
    return sorted(out)


def unpack(user_log, dest):
    text = open(user_log, errors="replace").read().replace("\r", "")
    m = re.search(r"HARNESS-GCOV-BEGIN\n(.*?)HARNESS-GCOV-END", text, re.S)
    if not m:
        sys.exit("coverage: no gcov data in %s (did the boot finish?)" %
                 user_log)
    blob = gzip.decompress(base64.b64decode("".join(m.group(1).split())))
    with tarfile.open(fileobj=io.BytesIO(blob)) as t:
        t.extractall(dest)


def collect(build, out):
    """Run gcov on every .gcno of the profiled build; return its JSON."""
    tree = os.path.realpath(os.path.join(build, "linux"))
    work = os.path.join(out, "gcda")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    unpack(os.path.join(out, "user.log"), work)
    # The guest's tree mirrors the absolute object directory of the build.
    root = os.path.join(work, tree.lstrip("/"))
    n_gcda = len(glob.glob(os.path.join(root, "**/*.gcda"), recursive=True))
    docs = []
    gcnos = glob.glob(os.path.join(tree, "drivers/dma-buf/**/*.gcno"),
                      recursive=True) + \
        glob.glob(os.path.join(tree, "kernel/dma/mapping.gcno"))
    for gcno in gcnos:
        rel = os.path.relpath(gcno, tree)
        dst = os.path.join(root, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(gcno, dst)
        r = subprocess.run(["gcov", "-j", "-b", "-o", os.path.dirname(dst),
                            os.path.basename(dst)[:-5] + ".o"],
                           cwd=os.path.dirname(dst), capture_output=True,
                           text=True)
        js = os.path.join(os.path.dirname(dst),
                          os.path.basename(dst)[:-5] + ".gcov.json.gz")
        if r.returncode or not os.path.exists(js):
            print("coverage: gcov failed on %s: %s" % (rel, r.stderr.strip()))
            continue
        with gzip.open(js) as f:
            docs.append(json.load(f))
    return docs, n_gcda, len(gcnos)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    build, out = sys.argv[1], sys.argv[2]
    docs, n_gcda, n_gcno = collect(build, out)
    owned = owned_sources()
    lines = {f: {} for f in owned}      # file -> line -> count
    branches = {f: {} for f in owned}   # file -> (line, i) -> count
    funcs = {f: {} for f in owned}      # file -> name -> [start, end, n]
    for d in docs:
        for fe in d["files"]:
            path = os.path.normpath(fe["file"])
            if path not in lines:
                continue
            for ln in fe["lines"]:
                k = ln["line_number"]
                lines[path][k] = lines[path].get(k, 0) + ln["count"]
                for i, b in enumerate(ln["branches"]):
                    bk = (k, i)
                    branches[path][bk] = branches[path].get(bk, 0) + \
                        b["count"]
            for fn in fe["functions"]:
                e = funcs[path].setdefault(
                    fn["name"], [fn["start_line"], fn["end_line"], 0])
                e[2] += fn["execution_count"]
    tl = th = tb = tbh = 0
    print("%-44s %15s %17s" % ("file", "lines", "branches"))
    never = []
    missing = []
    for f in owned:
        if not lines[f]:
            missing.append(f)
            continue
        nl = len(lines[f])
        hl = len([c for c in lines[f].values() if c])
        nb = len(branches[f])
        hb = len([c for c in branches[f].values() if c])
        tl, th, tb, tbh = tl + nl, th + hl, tb + nb, tbh + hb
        print("%-44s %5.1f%% %4d/%-4d %5.1f%% %5d/%-5d" % (
            f, 100.0 * hl / nl, hl, nl, 100.0 * hb / nb if nb else 100.0,
            hb, nb))
        for name, (s, e, n) in sorted(funcs[f].items(),
                                      key=lambda kv: kv[1][0]):
            # Early inlining may leave an entered function with no count
            # of its own: its lines' counts say whether it ran.
            ran = n or any(c for k, c in lines[f].items() if s <= k <= e)
            if not ran:
                never.append((f, s, name))
    pct = 100.0 * th / tl if tl else 0.0
    print("%-44s %5.1f%% %4d/%-4d %5.1f%% %5d/%-5d" % (
        "overall", pct, th, tl, 100.0 * tbh / tb if tb else 100.0, tbh, tb))
    print("coverage: %d .gcda files from the guest, %d profiled objects" % (
        n_gcda, n_gcno))
    print("functions never entered (%d):" % len(never))
    for f, s, name in never:
        print("  %s:%d %s" % (f, s, name))
    rc = 0
    entered = {}
    for f in owned:
        for name, (s, e, n) in funcs[f].items():
            entered[name] = entered.get(name, False) or bool(
                n or any(c for k, c in lines[f].items() if s <= k <= e))
    exported = []
    for f in owned:
        exported += EXPORT.findall(open(os.path.join(REPO, f)).read())
    # Exported data (dma_fence_array_ops) has no function record.
    exported = [x for x in exported if x in entered]
    cold = [x for x in exported if not entered[x]]
    print("exported functions: %d, entered: %d" % (
        len(exported), len(exported) - len(cold)))
    for x in cold:
        print("  FAIL: exported and never entered: %s" % x)
        rc = 1
    for f in missing:
        print("  FAIL: no coverage data for %s (not built?)" % f)
        rc = 1
    if pct < FLOOR_LINES:
        print("  FAIL: %.1f%% of lines, below the floor of %.0f%%" % (
            pct, FLOOR_LINES))
        rc = 1
    print("coverage: %s (floor: %.0f%% of lines, every exported function "
          "entered)" % ("PASSED" if not rc else "FAILED", FLOOR_LINES))
    return rc


if __name__ == "__main__":
    sys.exit(main())
