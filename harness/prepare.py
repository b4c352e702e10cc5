#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Lay the project over the base kernel and report what is still upstream's.

usage: prepare.py base   BUILD          unpack Debian's linux-source-6.12 once
       prepare.py tree   BUILD [NAME]   (re)build BUILD/NAME = base + overlay
                                        (NAME: linux; linux-kunit is the
                                        clean source tree of make kunit)
       prepare.py report BUILD          print the ownership report
       prepare.py user-warnings BUILD   the warnings of in-tree users

The overlay is every file of the repository under the kernel directories
below.  A file is written into the build tree only when its content
differs, so unchanged files keep their mtimes and make rebuilds only what
a change touches.  Files overlaid by an earlier run but gone from the
repository now are put back to the base version (or removed).
"""
import filecmp
import hashlib
import os
import re
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARBALL = "/usr/src/linux-source-6.12.tar.xz"
KERNEL_DIRS = ("drivers", "include", "Documentation", "tools")
MANIFEST = ".dmabuf-overlay"

# The files this project is to own (issue 2).  Directory entries own
# everything below them.
OWNED = [
    "drivers/dma-buf/",
    "drivers/virtio/virtio_dma_buf.c",
] + ["include/linux/%s.h" % n for n in (
    "dma-buf", "dma-fence", "dma-fence-array", "dma-fence-chain",
    "dma-fence-unwrap", "dma-resv", "dma-heap", "sync_file",
    "virtio_dma_buf", "dma-sgtable", "sgtable-iter")] + ["include/uapi/linux/%s.h" % n for n in (
        "dma-buf", "sync_file", "dma-heap", "udmabuf")] + [
    "include/trace/events/dma_fence.h",
    "include/trace/events/dma_buf.h",
]
# Upstream's own selftests: never committed here, copied from the base and
# run against our implementation.
PEER_TESTS = ("selftest.c", "selftest.h", "selftests.h")
# Upstream sources compiled next to ours for comparison (the benchmark
# module, drivers/dma-buf/tests/dmabuf-bench-upstream.c), copied from the
# base into the build tree at prepare time (base path -> tree path), never
# committed, with a generated header that renames their global symbols.
BENCH_UP = "drivers/dma-buf/tests/upstream/"
BENCH_SOURCES = ("dma-fence", "dma-fence-array", "dma-fence-chain",
                 "dma-fence-unwrap", "dma-resv", "dma-buf", "sync_file")
BENCH_HEADERS = ["include/linux/%s.h" % n for n in (
    "dma-fence", "dma-fence-array", "dma-fence-chain", "dma-fence-unwrap",
    "dma-resv", "dma-buf", "sync_file")] + [
    "include/trace/events/dma_fence.h"]
BASE_COPIES = dict(
    [("drivers/dma-buf/%s.c" % n, BENCH_UP + n + ".c")
     for n in BENCH_SOURCES] +
    [("drivers/dma-buf/dma-buf-sysfs-stats.h",
      BENCH_UP + "dma-buf-sysfs-stats.h")] +
    [(h, BENCH_UP + h) for h in BENCH_HEADERS])
BENCH_RENAME = BENCH_UP + "rename.h"
# Everything the tree preparation writes that the series does not hold.
BUILD_ONLY = sorted(BASE_COPIES.values()) + [BENCH_RENAME]
# The global names a base source defines: its exports, and functions and
# objects defined at file scope without static.
EXPORTED = re.compile(r"^EXPORT_SYMBOL\w*\((\w+)", re.M)
GLOBAL_DEF = re.compile(
    r"^(?!static\b|typedef\b|struct \w+ \{|enum\b|union\b|#|EXPORT|"
    r"MODULE|DEFINE_|subsys_initcall|__exitcall|module_)"
    r"[A-Za-z_][\w \t\*]*?\b(\w+)\s*(?:\(|=|;|\[)", re.M)
# Prototypes of the sysfs statistics, which the copy of dma-buf.c calls.
PROTOTYPE = re.compile(r"^\w[\w \t\*]*?\b(\w+)\(.*\);$", re.M)

# Why an upstream file of the owned set is still in use.
NOTES = {}
# Base files of which only some definitions are still upstream's.
PARTIAL = {}

# The sg_table wrappers (issue 6).  The base defines them in three files
# we do not own; the tree preparation cuts out exactly their definitions
# and puts an include of ours in the place of some of them.  Each cut is a
# run of lines found from the one line matching START (which must match
# exactly once), BEFORE lines above it, LINES long, whose text must hash
# to SHA256, so that a base whose definitions differ stops the
# preparation instead of building a tree that mixes two versions.  The
# rest of the file may change between Debian point releases.  The report
# lists these files as ours.
SG_EDITS = {
    "include/linux/dma-mapping.h": {
        "symbols": "dma_map_sgtable, dma_unmap_sgtable, "
                   "dma_sync_sgtable_for_cpu, dma_sync_sgtable_for_device",
        "ours": "include/linux/dma-sgtable.h",
        "cuts": [
            # The prototype of dma_map_sgtable() (CONFIG_HAS_DMA).
            (r"^int dma_map_sgtable\(", 0, 2,
             "876996562576749e42959ff1e1237c76fb2cffb989e8d055ef534127711aab6f",
             ""),
            # Its stub without CONFIG_HAS_DMA.
            (r"^static inline int dma_map_sgtable\(", 0, 5,
             "8565050514d02687cbd4fc107b3279ec447dd1b2db54a1208297726c208a3a74",
             ""),
            # dma_unmap_sgtable() and the two syncs, with their comments.
            (r"^ \* dma_unmap_sgtable - ", 1, 51,
             "c1ab3a5392434cb8bb11641e75d2aabbcc9458bfe7f2ac3b32fdda5dd99dca52",
             "/* The sg_table calls are the dma-buf project's. */\n"
             "#include <linux/dma-sgtable.h>\n"),
        ],
    },
    "include/linux/scatterlist.h": {
        "symbols": "for_each_sgtable_sg, for_each_sgtable_dma_sg, "
                   "for_each_sgtable_page, for_each_sgtable_dma_page",
        "ours": "include/linux/sgtable-iter.h",
        "cuts": [
            # for_each_sgtable_sg() and for_each_sgtable_dma_sg().
            (r"^#define for_each_sgtable_sg\(", 3, 14,
             "8a318a60d6a3f2d04155ba88f3a8828250cc8e06750c6a6ee01ea247fb595201",
             ""),
            # for_each_sgtable_page() and for_each_sgtable_dma_page().
            (r"^#define for_each_sgtable_page\(", 10, 27,
             "2b3e903923de305189eec20e41329fe69d6fb203548fc8ec7aa34c9aa675c579",
             "/* The sg_table loops are the dma-buf project's. */\n"
             "#include <linux/sgtable-iter.h>\n\n"),
        ],
    },
    # dma_map_sgtable() stays in the DMA core's file, whose static
    # __dma_map_sg_attrs() alone reports why a mapping failed; ours is
    # compiled there (see drivers/dma-buf/dma-map-sgtable.c).
    "kernel/dma/mapping.c": {
        "symbols": "dma_map_sgtable",
        "ours": "drivers/dma-buf/dma-map-sgtable.c",
        "cuts": [
            (r"^int dma_map_sgtable\(", 27, 40,
             "c163ce8da582384d2b2f3b84526852d7e3e1d7b6e39929cbcfc368cba04d0c7f",
             "/* dma_map_sgtable() is the dma-buf project's. */\n"
             "#include \"../../drivers/dma-buf/dma-map-sgtable.c\"\n\n"),
        ],
    },
}
# Nothing may define one of the eight symbols in an edited file any more.
SG_DEFINITION = re.compile(
    r"^(#define for_each_sgtable_\w+\(|(static inline )?\w+ "
    r"dma_(map|unmap|sync)_sgtable\w*\()", re.M)


def say(msg):
    print("prepare: " + msg, flush=True)


def base_dir(build):
    return os.path.join(build, "base", "linux-source-6.12")


def base_version():
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}",
                          "linux-source-6.12"], capture_output=True,
                         text=True)
    return out.stdout.strip() or "unknown"


def cmd_base(build):
    base = base_dir(build)
    if not os.path.isfile(os.path.join(base, "Makefile")):
        if not os.path.isfile(TARBALL):
            sys.exit("prepare: %s missing (apt-get install "
                     "linux-source-6.12)" % TARBALL)
        say("unpacking %s (about 15 s)" % TARBALL)
        tmp = base + ".tmp"
        shutil.rmtree(os.path.dirname(tmp) + "/linux-source-6.12.tmp",
                      ignore_errors=True)
        os.makedirs(tmp)
        subprocess.run(["tar", "xf", TARBALL, "-C", tmp,
                        "--strip-components=1"], check=True)
        os.rename(tmp, base)
    say("base tree: Linux %s, Debian linux-source-6.12 %s" % (
        kernel_version(base), base_version()))


def kernel_version(base):
    """VERSION.PATCHLEVEL.SUBLEVEL of the kernel tree @base."""
    v = {}
    with open(os.path.join(base, "Makefile")) as f:
        for line in f:
            k, _, val = line.partition("=")
            if k.strip() in ("VERSION", "PATCHLEVEL", "SUBLEVEL"):
                v[k.strip()] = val.strip()
            if len(v) == 3:
                break
    return "%s.%s.%s" % (v.get("VERSION"), v.get("PATCHLEVEL"),
                         v.get("SUBLEVEL"))


def overlay_files():
    out = []
    for top in KERNEL_DIRS:
        for d, dirs, names in os.walk(os.path.join(REPO, top)):
            dirs[:] = [x for x in dirs if not x.startswith(".")]
            for n in names:
                rel = os.path.relpath(os.path.join(d, n), REPO)
                out.append(rel)
    return sorted(out)


def put(src, dst):
    """Copy src over dst unless they are equal; return True if written."""
    if os.path.isfile(dst) and filecmp.cmp(src, dst, shallow=False):
        return False
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.lexists(dst):
        os.unlink(dst)
    shutil.copyfile(src, dst)
    shutil.copymode(src, dst)
    return True


def put_text(text, dst):
    """Write text to dst unless dst holds it; return True if written."""
    if os.path.isfile(dst):
        with open(dst) as f:
            if f.read() == text:
                return False
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.lexists(dst):
        os.unlink(dst)
    with open(dst, "w") as f:
        f.write(text)
    return True


def sg_fail(rel, why):
    sys.exit("prepare: cannot hand the sg_table wrappers in %s to the "
             "project: %s.\nprepare: the base kernel (Debian "
             "linux-source-6.12 %s) is not the one harness/prepare.py's "
             "SG_EDITS were written for; redo them against it." % (
                 rel, why, base_version()))


def sg_edited(base, rel):
    """Return the base's rel with the sg_table definitions cut out."""
    spec = SG_EDITS[rel]
    with open(os.path.join(base, rel)) as f:
        text = f.read()
    lines = text.splitlines(keepends=True)
    plan = []
    for start, before, count, want, repl in spec["cuts"]:
        hits = [i for i, line in enumerate(lines) if re.search(start, line)]
        if len(hits) != 1:
            sg_fail(rel, "'%s' matches %d lines, not one" % (start,
                                                            len(hits)))
        first = hits[0] - before
        block = "".join(lines[max(first, 0):first + count])
        if first < 0 or hashlib.sha256(block.encode()).hexdigest() != want:
            sg_fail(rel, "the %d lines at '%s' are not the expected "
                    "definition" % (count, start))
        plan.append((first, count, repl))
    for first, count, repl in sorted(plan, reverse=True):
        lines[first:first + count] = [repl] if repl else []
    out = "".join(lines)
    left = SG_DEFINITION.findall(out)
    if left:
        sg_fail(rel, "a definition is left after the cuts: %s" % (left,))
    return out


def bench_rename(base):
    """Return upstream/rename.h: a bench_up_ prefix for every global name
    the base's copied sources define, and for the trace_ wrapper of any
    such name that is also a dma_fence event (a macro argument of the
    event header, expanded before it is pasted)."""
    names = set()
    for n in BENCH_SOURCES:
        with open(os.path.join(base, "drivers/dma-buf", n + ".c")) as f:
            text = f.read()
        names.update(EXPORTED.findall(text))
        names.update(GLOBAL_DEF.findall(text))
    with open(os.path.join(base, "drivers/dma-buf/dma-buf-sysfs-stats.h")) as f:
        names.update(PROTOTYPE.findall(f.read()))
    with open(os.path.join(base, "include/trace/events/dma_fence.h")) as f:
        events = set(re.findall(r"\b(\w+)\b", f.read()))
    out = ["/* SPDX-License-Identifier: GPL-2.0-only */",
           "/* Generated by harness/prepare.py from the base kernel's "
           "sources: do not edit. */",
           "#ifndef _DMA_BUF_TESTS_UPSTREAM_RENAME_H",
           "#define _DMA_BUF_TESTS_UPSTREAM_RENAME_H"]
    for n in sorted(names):
        out.append("#define %s bench_up_%s" % (n, n))
        if n in events:
            out.append("#define trace_%s trace_bench_up_%s" % (n, n))
    out.append("#endif")
    return "\n".join(out) + "\n"


def cmd_tree(build, name="linux"):
    base = base_dir(build)
    tree = os.path.join(build, name)
    if not os.path.isdir(tree):
        say("copying base into %s" % tree)
        subprocess.run(["cp", "-a", base, tree + ".tmp"], check=True)
        os.rename(tree + ".tmp", tree)
    man = os.path.join(tree, MANIFEST)
    old = set()
    if os.path.isfile(man):
        with open(man) as f:
            old = set(f.read().split())
    new = overlay_files()
    changed = []
    # Paths written below (base copies, edited base files) are not stale.
    keep = set(new) | set(BUILD_ONLY) | set(SG_EDITS)
    keep.add("MAINTAINERS")
    for rel in sorted(old - keep):
        dst = os.path.join(tree, rel)
        if os.path.isfile(os.path.join(base, rel)):
            if put(os.path.join(base, rel), dst):
                changed.append(rel + " (back to base)")
        elif os.path.lexists(dst):
            os.unlink(dst)
            changed.append(rel + " (removed)")
    for rel in new:
        if put(os.path.join(REPO, rel), os.path.join(tree, rel)):
            changed.append(rel)
    for src, dst in BASE_COPIES.items():
        if put(os.path.join(base, src), os.path.join(tree, dst)):
            changed.append(dst + " (from base " + src + ")")
    if put_text(bench_rename(base), os.path.join(tree, BENCH_RENAME)):
        changed.append(BENCH_RENAME + " (generated)")
    for rel in sorted(SG_EDITS):
        if rel in new:
            sys.exit("prepare: %s is both in the repository and edited "
                     "by SG_EDITS" % rel)
        if put_text(sg_edited(base, rel), os.path.join(tree, rel)):
            changed.append(rel + " (base without its sg_table wrappers)")
    # The base's MAINTAINERS with our entries merged in, exactly as the
    # last patch of harness/series.py's series writes it.
    import series
    if put_text(series.merged_maintainers(base),
                os.path.join(tree, "MAINTAINERS")):
        changed.append("MAINTAINERS (the base's, with our entries)")
    new = new + BUILD_ONLY + sorted(SG_EDITS)
    new.append("MAINTAINERS")
    with open(man + ".tmp", "w") as f:
        f.write("\n".join(new) + "\n")
    os.replace(man + ".tmp", man)
    say("overlay: %d project files, %d written this time" % (
        len(new), len(changed)))
    for c in changed[:20]:
        say("  updated " + c)
    if len(changed) > 20:
        say("  ... and %d more" % (len(changed) - 20))


def owned_paths(build):
    base = base_dir(build)
    paths = set()
    for o in OWNED:
        if o.endswith("/"):
            for root in (base, REPO):
                for d, _, names in os.walk(os.path.join(root, o)):
                    for n in names:
                        paths.add(os.path.relpath(os.path.join(d, n), root))
        else:
            paths.add(o)
    return sorted(paths)


def cmd_report(build):
    base = base_dir(build)
    ours, upstream, peers = [], [], []
    for rel in owned_paths(build):
        if os.path.dirname(rel) == "drivers/dma-buf" and (
                os.path.basename(rel) in PEER_TESTS or
                os.path.basename(rel).startswith("st-")):
            peers.append(rel)
        elif os.path.isfile(os.path.join(REPO, rel)):
            ours.append(rel)
        elif os.path.isfile(os.path.join(base, rel)):
            upstream.append(rel)
    print("=== ownership report ===")
    print("ours (%d, and our definitions in %d base files):" % (
        len(ours), len(SG_EDITS)))
    for r in ours:
        print("  ours      " + r)
    for r, spec in sorted(SG_EDITS.items()):
        print("  ours      %s [only %s, ours from %s; the rest is the "
              "base's]" % (r, spec["symbols"], spec["ours"]))
    print("still from upstream 6.12 base (%d):" % (
        len(upstream) + len(PARTIAL)))
    for r in upstream:
        note = NOTES.get(r)
        print("  upstream  " + r + (" [%s]" % note if note else ""))
    for r, what in PARTIAL.items():
        print("  upstream  %s [%s]" % (r, what))
    print("upstream peer tests, run against ours (%d):" % len(peers))
    for r in peers:
        print("  peer      " + r)
    users_report(build)


# Headers of ours whose includers count as users of the subsystem.
USER_HEADERS = tuple("include/linux/%s.h" % n for n in (
    "dma-buf", "dma-fence", "dma-resv", "sync_file", "dma-heap",
    "virtio_dma_buf"))


def user_sources(build):
    """Return the base's source files built against our headers.

    kbuild records every header an object was compiled with in its .cmd
    file; an object outside drivers/dma-buf and drivers/virtio whose
    record names one of USER_HEADERS is an in-tree user of ours.
    """
    tree = os.path.join(build, "linux")
    found = []
    for d, _, names in os.walk(tree):
        rel = os.path.relpath(d, tree)
        if rel.startswith(("drivers/dma-buf", "drivers/virtio")):
            continue
        for n in names:
            if not (n.startswith(".") and n.endswith(".o.cmd")):
                continue
            src = os.path.join(rel, n[1:-len(".o.cmd")] + ".c")
            if not os.path.isfile(os.path.join(tree, src)):
                continue
            with open(os.path.join(d, n), errors="replace") as f:
                deps = f.read()
            if any("  %s \\" % h in deps for h in USER_HEADERS):
                found.append(src)
    return sorted(found)


def users_report(build):
    dirs = {}
    for src in user_sources(build):
        top = "/".join(os.path.dirname(src).split("/")[:4])
        dirs[top] = dirs.get(top, 0) + 1
    print("in-tree users built against our headers (%d objects):" %
          sum(dirs.values()))
    for top, count in sorted(dirs.items()):
        print("  user      %-44s %4d objects" % (top, count))


def cmd_user_warnings(build):
    """Print every compiler warning of an in-tree user (lint judges it)."""
    srcs = set(user_sources(build))
    with open(os.path.join(build, "build.log"), errors="replace") as f:
        for line in f:
            m = re.match(r"([^: ]+):\d+:(\d+:)? (warning|error)", line)
            if m and m.group(1) in srcs:
                print(line.rstrip())
    print("%d in-tree user objects checked" % len(srcs), file=sys.stderr)


def main():
    cmds = {"base": cmd_base, "tree": cmd_tree, "report": cmd_report,
            "user-warnings": cmd_user_warnings}
    if len(sys.argv) < 3 or sys.argv[1] not in cmds or \
            len(sys.argv) > (4 if sys.argv[1] == "tree" else 3):
        sys.exit(__doc__)
    cmds[sys.argv[1]](os.path.abspath(sys.argv[2]), *sys.argv[3:])


if __name__ == "__main__":
    main()
