#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Lay the project over the base kernel and report what is still upstream's.

usage: prepare.py base   BUILD          unpack Debian's linux-source-6.12 once
       prepare.py tree   BUILD          (re)build BUILD/linux = base + overlay
       prepare.py report BUILD          print the ownership report

The overlay is every file of the repository under the kernel directories
below.  A file is written into the build tree only when its content
differs, so unchanged files keep their mtimes and make rebuilds only what
a change touches.  Files overlaid by an earlier run but gone from the
repository now are put back to the base version (or removed).
"""
import filecmp
import os
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
    "virtio_dma_buf")] + ["include/uapi/linux/%s.h" % n for n in (
        "dma-buf", "sync_file", "dma-heap", "udmabuf")] + [
    "include/trace/events/dma_fence.h",
]
# Upstream's own selftests: never committed here, copied from the base and
# run against our implementation.
PEER_TESTS = ("selftest.c", "selftest.h", "selftests.h")
# Upstream sources compiled next to ours for comparison, copied from the
# base into the build tree at prepare time (base path -> tree path).
BASE_COPIES = {
    "drivers/dma-buf/dma-resv.c":
        "drivers/dma-buf/tests/upstream-dma-resv.c",
}
# Why an upstream file of the owned set is still in use.
NOTES = {
    "drivers/dma-buf/sync_file.c":
        "our dma-buf core's EXPORT/IMPORT_SYNC_FILE use it until issue 5",
    "include/linux/sync_file.h":
        "our dma-buf core's EXPORT/IMPORT_SYNC_FILE use it until issue 5",
}
PARTIAL = {
    "include/linux/dma-mapping.h": "dma_*_sgtable*() wrappers",
    "include/linux/scatterlist.h": "for_each_sgtable_*() wrappers",
}


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
    v = {}
    with open(os.path.join(base, "Makefile")) as f:
        for line in f:
            k, _, val = line.partition("=")
            if k.strip() in ("VERSION", "PATCHLEVEL", "SUBLEVEL"):
                v[k.strip()] = val.strip()
            if len(v) == 3:
                break
    say("base tree: Linux %s.%s.%s, Debian linux-source-6.12 %s" % (
        v.get("VERSION"), v.get("PATCHLEVEL"), v.get("SUBLEVEL"),
        base_version()))


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


def cmd_tree(build):
    base = base_dir(build)
    tree = os.path.join(build, "linux")
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
    for rel in sorted(old - set(new)):
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
    new = new + sorted(BASE_COPIES.values())
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
    print("ours (%d):" % len(ours))
    for r in ours:
        print("  ours      " + r)
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


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("base", "tree", "report"):
        sys.exit(__doc__)
    build = os.path.abspath(sys.argv[2])
    {"base": cmd_base, "tree": cmd_tree, "report": cmd_report}[
        sys.argv[1]](build)


if __name__ == "__main__":
    main()
