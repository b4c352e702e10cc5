#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turn the repository into a patch series against the exact base kernel.

usage: series.py build  BUILD   BUILD/series-git and BUILD/series/*.patch
       series.py check  BUILD   git am onto a fresh base, compare with
                                BUILD/linux, checkpatch --strict each patch
       series.py bisect BUILD   build and boot every prefix of the series

BUILD/series-git holds the base as one commit (branch base-612, made once
and kept: hashing the 80,000 files of the base takes a while) and the
series on top of it (branch series), made without a checkout from a
temporary index.  The commits' author and dates are those of the
repository's HEAD, so the same tree always gives the same patches.
Every repository file under prepare.py's KERNEL_DIRS, the three base files
of SG_EDITS and the merged MAINTAINERS land in exactly one patch (the one
that gives them their final content); a patch may also carry a step of a
file that a later patch completes (STEPS), so that every prefix builds.
"""
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time

HARNESS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HARNESS)
import prepare  # noqa: E402

REPO = prepare.REPO
MSGS = os.path.join(HARNESS, "series")
BASE_BRANCH = "base-612"

DB = "drivers/dma-buf/"
INC = "include/linux/"
UAPI = "include/uapi/linux/"


def files_under(top):
    return [p for p in prepare.overlay_files() if p.startswith(top)]


# (message file, files whose final content this patch brings).  Order is
# dependency order: headers travel with the code that implements them.
PATCHES = [
    ("01-dma-fence-core", [
        DB + "dma-fence.c", INC + "dma-fence.h",
        "include/trace/events/dma_fence.h"]),
    ("02-dma-fence-containers", [
        DB + "dma-fence-array.c", INC + "dma-fence-array.h",
        DB + "dma-fence-chain.c", INC + "dma-fence-chain.h",
        DB + "dma-fence-unwrap.c", INC + "dma-fence-unwrap.h"]),
    ("03-dma-resv", [DB + "dma-resv.c", INC + "dma-resv.h"]),
    ("04-dma-buf-core", [
        DB + "dma-buf.c", DB + "dma-buf-attach.c", DB + "dma-buf-access.c",
        DB + "dma-buf-internal.h", DB + "dma-buf-sysfs-stats.c",
        DB + "dma-buf-sysfs-stats.h", INC + "dma-buf.h",
        UAPI + "dma-buf.h", DB + "dma-buf-trace.h",
        "include/trace/events/dma_buf.h"]),
    ("05-sync-file", [
        DB + "sync_file.c", DB + "sw_sync.c", DB + "sync_debug.c",
        DB + "sync_debug.h", DB + "sync_trace.h", INC + "sync_file.h",
        UAPI + "sync_file.h"]),
    ("06-udmabuf", [DB + "udmabuf.c", UAPI + "udmabuf.h"]),
    ("07-dma-heap", [
        DB + "dma-heap.c", DB + "dma-heap-internal.h", INC + "dma-heap.h",
        UAPI + "dma-heap.h"] + files_under(DB + "heaps/")),
    ("08-virtio-dma-buf", [
        "drivers/virtio/virtio_dma_buf.c", INC + "virtio_dma_buf.h"]),
    ("09-sgtable", [
        INC + "dma-sgtable.h", INC + "sgtable-iter.h",
        DB + "dma-map-sgtable.c"] + sorted(prepare.SG_EDITS)),
    ("10-documentation", [
        "Documentation/driver-api/dma-buf.rst",
        "Documentation/driver-api/sync_file.rst"]),
    ("11-kunit", [DB + "Kconfig", DB + "Makefile", DB + ".kunitconfig"] +
     files_under(DB + "tests/")),
    ("12-selftests", files_under("tools/testing/selftests/dma-buf/")),
    ("13-maintainers", ["MAINTAINERS"]),
]


def replace_once(text, old, new, what):
    if text.count(old) != 1:
        sys.exit("series: %s: the text to replace is not found exactly "
                 "once; update STEPS" % what)
    return text.replace(old, new)


def makefile_objs(text, final):
    """dma-buf core: build dma-buf-attach.c and dma-buf-access.c."""
    old = "obj-y := dma-buf.o dma-fence.o dma-fence-array.o " \
          "dma-fence-chain.o \\\n\t dma-fence-unwrap.o dma-resv.o\n"
    new = final.split("obj-$(CONFIG_DMABUF_HEAPS)")[0]
    new = new[new.index("obj-y :="):]
    return replace_once(text, old, new, DB + "Makefile (core objects)")


def makefile_sw_sync(text, final):
    """sw_sync: find sync_trace.h from define_trace.h."""
    m = re.search(r"^# define_trace.h.*\nCFLAGS_sw_sync.o.*\n", final, re.M)
    anchor = "obj-$(CONFIG_SW_SYNC)\t\t+= sw_sync.o sync_debug.o\n"
    return replace_once(text, anchor, anchor + m.group(0),
                        DB + "Makefile (sw_sync)")


def kconfig_without_tests(text, final):
    """Kconfig help texts in our words, without the KUnit options."""
    start = final.index("config DMABUF_KUNIT_TEST\n")
    end = final.index("menuconfig DMABUF_HEAPS\n")
    return final[:start] + final[end:]


# Intermediate steps of files that a later patch completes:
# message file -> [(path, function(current text, final text))].
STEPS = {
    "04-dma-buf-core": [(DB + "Makefile", makefile_objs)],
    "05-sync-file": [(DB + "Makefile", makefile_sw_sync)],
    "10-documentation": [(DB + "Kconfig", kconfig_without_tests)],
}

# checkpatch --strict findings that remain, with the reason for each:
# (message file or None for every patch, type, regex on the message).
CHECKPATCH_EXCEPTIONS = [
    (None, "FILE_PATH_CHANGES", r"",
     "a patch adds files; the MAINTAINERS patch at the end of the series "
     "lists them"),
    (None, "MACRO_ARG_REUSE", r"",
     "the *_for_each() iterator macros must name their loop variable more "
     "than once, as upstream's own do (README: checkpatch)"),
    ("01-dma-fence-core", "MEMORY_BARRIER", r"without comment",
     "the smp_mb__after_atomic() in dma_fence_get_rcu_safe() has its "
     "comment right above it, but the diff interleaves it with the removed "
     "upstream comment and patch mode does not see it (checkpatch --file "
     "in make lint does)"),
    ("12-selftests", "PREFER_DEFINED_ATTRIBUTE_MACRO", r"",
     "userspace programs, where the kernel's attribute macros do not "
     "exist (README: checkpatch)"),
]

MAINT_ORDER = "MRLSWQBCPTXFNK"
# Kinds of fields (file patterns, keywords) that our entry adds to the
# base's entry of the same name; the others (maintainers, status) replace.
MAINT_UNION = "XFNK"


def run(args, **kw):
    kw.setdefault("check", True)
    return subprocess.run(args, **kw)


def git(gitdir, *args, env=None, inp=None, work=None):
    e = dict(os.environ)
    e["GIT_DIR"] = gitdir
    for k in ("GIT_WORK_TREE", "GIT_INDEX_FILE"):
        e.pop(k, None)
    if work:
        e["GIT_WORK_TREE"] = work
    e.update(env or {})
    out = run(["git", "-c", "core.autocrlf=false", "-c", "gc.auto=0"] +
              list(args), env=e, input=inp, capture_output=True,
              text=isinstance(inp, str) or inp is None)
    return out.stdout


def say(msg):
    print("series: " + msg, flush=True)


def identity():
    """The repository's git identity and HEAD's date, for every commit."""
    def cfg(k):
        return run(["git", "-C", REPO, "config", k], check=False,
                   capture_output=True, text=True).stdout.strip()
    head = run(["git", "-C", REPO, "log", "-1", "--format=%an%n%ae%n%cI"],
               capture_output=True, text=True).stdout.split("\n")
    name = cfg("user.name") or head[0]
    email = cfg("user.email") or head[1]
    return name, email, head[2]


def commit_env(name, email, date):
    return {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": date}


# --- MAINTAINERS -----------------------------------------------------------

def maint_entries(text):
    """Split a MAINTAINERS text into its preamble and its entries."""
    lines = text.split("\n")
    entries, pre, cur = [], [], None
    for i, line in enumerate(lines):
        field = re.match(r"^([A-Z]):\t", line)
        if field and i > 0 and cur is None and lines[i - 1].strip():
            cur = {"name": lines[i - 1], "fields": []}
            if pre and pre[-1] == lines[i - 1]:
                pre.pop()
            entries.append(cur)
        if field and cur is not None:
            cur["fields"].append(line)
        elif cur is not None and not line.strip():
            cur = None
        elif cur is None and not entries:
            pre.append(line)
    return pre, entries


def merged_maintainers(base):
    """The base's MAINTAINERS with our entries merged in.

    An entry of ours that the base has too (same name) keeps the base's
    fields of the kinds ours does not give (mailing lists, trees), takes
    ours for people and status, and lists the file patterns and keywords
    of both, sorted; an entry the base lacks is inserted in
    alphabetical order.  Entries about the repository itself (no F: under
    the kernel directories) are not the kernel's business and stay out.
    """
    with open(os.path.join(base, "MAINTAINERS")) as f:
        text = f.read()
    with open(os.path.join(REPO, "MAINTAINERS")) as f:
        _, ours = maint_entries(f.read())
    head, body = text.split("\n\n3C59X NETWORK DRIVER\n", 1)
    body = "3C59X NETWORK DRIVER\n" + body
    blocks = body.split("\n\n")
    names = [b.split("\n", 1)[0] for b in blocks]
    for e in ours:
        if not any(f.startswith("F:\t") and
                   f[3:].startswith(prepare.KERNEL_DIRS)
                   for f in e["fields"]):
            continue
        kinds = {f[0] for f in e["fields"]}
        if e["name"] in names:
            i = names.index(e["name"])
            old = blocks[i].split("\n")[1:]
            fields = [f for f in old if f[0] not in kinds or
                      (f[0] in MAINT_UNION and f not in e["fields"])]
            fields += e["fields"]
            fields.sort(key=lambda f: (MAINT_ORDER.index(f[0]),
                                       f if f[0] in MAINT_UNION else ""))
            blocks[i] = "\n".join([e["name"]] + fields)
        else:
            i = 0
            while i < len(names) and names[i] != "THE REST" and \
                    names[i].upper() < e["name"].upper():
                i += 1
            blocks.insert(i, "\n".join([e["name"]] + e["fields"]))
            names.insert(i, e["name"])
    return head + "\n\n" + "\n\n".join(blocks)


# --- build -----------------------------------------------------------------

def gitdir_of(build):
    return os.path.join(build, "series-git")


def ensure_base(build):
    """Commit the unpacked base once; return its commit."""
    base = prepare.base_dir(build)
    gd = gitdir_of(build)
    version = prepare.base_version()
    kver = prepare.kernel_version(base)
    subject = "Linux %s (Debian linux-source-6.12 %s)" % (kver, version)
    if os.path.isdir(gd):
        have = run(["git", "--git-dir", gd, "log", "-1", "--format=%s",
                    BASE_BRANCH], check=False, capture_output=True,
                   text=True).stdout.strip()
        if have == subject:
            return git(gd, "rev-parse", BASE_BRANCH).strip()
        shutil.rmtree(gd)
    say("committing the base tree %s (once; about a minute)" % subject)
    start = time.time()
    run(["git", "init", "-q", "--bare", gd])
    idx = os.path.join(gd, "base.index")
    env = {"GIT_INDEX_FILE": idx}
    git(gd, "add", "-A", "-f", ".", env=env, work=base)
    tree = git(gd, "write-tree", env=env).strip()
    os.unlink(idx)
    # The base's own date: its top Makefile's, as the package ships it.
    date = "@%d +0000" % int(os.stat(os.path.join(base, "Makefile")).st_mtime)
    msg = ("%s\n\nThe unpacked source of Debian's linux-source-6.12 package, "
           "version %s\n(Linux %s), unchanged: the base that the dma-buf "
           "series applies to.\n" % (subject, version, kver))
    e = commit_env("Debian kernel team", "debian-kernel@lists.debian.org",
                   date)
    c = git(gd, "commit-tree", tree, inp=msg, env=e).strip()
    git(gd, "update-ref", "refs/heads/" + BASE_BRANCH, c)
    say("base commit %s in %d s" % (c[:12], time.time() - start))
    return c


def final_content(build, path):
    """The content a path has in the prepared tree, as bytes."""
    if path in prepare.SG_EDITS:
        return prepare.sg_edited(prepare.base_dir(build), path).encode()
    if path == "MAINTAINERS":
        return merged_maintainers(prepare.base_dir(build)).encode()
    with open(os.path.join(REPO, path), "rb") as f:
        return f.read()


def series_paths():
    """Every path the series must carry, each exactly once."""
    want = set(prepare.overlay_files()) | set(prepare.SG_EDITS)
    want.add("MAINTAINERS")
    seen = {}
    for slug, paths in PATCHES:
        for p in paths:
            if p in seen:
                sys.exit("series: %s is in both %s and %s" % (p, seen[p],
                                                             slug))
            seen[p] = slug
    missing = sorted(want - set(seen))
    extra = sorted(set(seen) - want)
    if missing or extra:
        sys.exit("series: files in no patch: %s; patches name files that "
                 "do not exist: %s (edit PATCHES in harness/series.py)" % (
                     missing, extra))
    for slug, _ in PATCHES:
        if not os.path.isfile(os.path.join(MSGS, slug + ".txt")):
            sys.exit("series: no message harness/series/%s.txt" % slug)
    return seen


def mode_of(path):
    full = os.path.join(REPO, path)
    if os.path.isfile(full) and os.access(full, os.X_OK):
        return "100755"
    return "100644"


def message(slug, name, email):
    with open(os.path.join(MSGS, slug + ".txt")) as f:
        text = f.read().rstrip("\n")
    return "%s\n\nSigned-off-by: %s <%s>\n" % (text, name, email)


def differences_summary():
    with open(os.path.join(REPO, "README.md")) as f:
        readme = f.read()
    sec = readme.split("## Differences from 6.12", 1)[1].split("\n## ", 1)[0]
    out = []
    for line in sec.split("\n"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and cells[0].startswith("`"):
            item = "%s: %s. 6.12: %s; here: %s." % (
                cells[0], cells[1], cells[2], cells[3])
            out.append(textwrap.fill(item.replace("`", ""), 72,
                                     initial_indent="- ",
                                     subsequent_indent="  "))
    return "\n".join(out)


def cmd_build(build):
    t0 = time.time()
    owner = series_paths()
    base = prepare.base_dir(build)
    gd = gitdir_of(build)
    parent = ensure_base(build)
    name, email, date = identity()
    env = commit_env(name, email, date)
    idx = os.path.join(gd, "series.index")
    ienv = {"GIT_INDEX_FILE": idx}
    git(gd, "read-tree", parent, env=ienv)
    current = {}
    for slug, paths in PATCHES:
        todo = [(p, final_content(build, p)) for p in paths]
        for p, step in STEPS.get(slug, []):
            if owner[p] <= slug:
                sys.exit("series: %s steps %s after its final patch" % (
                    slug, p))
            if p not in current:
                src = os.path.join(base, p)
                with open(src) as f:
                    current[p] = f.read()
            fin = final_content(build, p).decode()
            current[p] = step(current[p], fin)
            todo.append((p, current[p].encode()))
        info = []
        for p, data in todo:
            blob = git(gd, "hash-object", "-w", "--stdin", inp=data)
            info.append("%s %s\t%s" % (mode_of(p), blob.decode().strip(), p))
        git(gd, "update-index", "--index-info", env=ienv,
            inp="\n".join(info) + "\n")
        tree = git(gd, "write-tree", env=ienv).strip()
        parent = git(gd, "commit-tree", tree, "-p", parent,
                     inp=message(slug, name, email), env=env).strip()
    os.unlink(idx)
    git(gd, "update-ref", "refs/heads/series", parent)
    out = os.path.join(build, "series")
    shutil.rmtree(out, ignore_errors=True)
    git(gd, "-c", "diff.renames=false", "-c", "diff.algorithm=myers",
        "-c", "format.signature=", "format-patch", "-q", "--cover-letter",
        "--full-index", "--no-renames", "--base=" + BASE_BRANCH,
        "-o", out, BASE_BRANCH + "..series", env=env)
    fill_cover(build, out)
    n = len([x for x in os.listdir(out) if x.endswith(".patch")])
    say("%d patches (with the cover letter) in %s, series %s, %d s" % (
        n, out, parent[:12], time.time() - t0))


def fill_cover(build, out):
    cover = [x for x in os.listdir(out) if x.startswith("0000-")][0]
    path = os.path.join(out, cover)
    with open(path) as f:
        text = f.read()
    with open(os.path.join(MSGS, "cover.txt")) as f:
        tmpl = f.read()
    base = prepare.base_dir(build)
    tmpl = tmpl.replace("@KERNEL@", prepare.kernel_version(base))
    tmpl = tmpl.replace("@DEBIAN@", prepare.base_version())
    tmpl = tmpl.replace("@DIFFERENCES@", differences_summary())
    subject, blurb = tmpl.split("\n", 1)
    text = replace_once(text, "*** SUBJECT HERE ***", subject, "cover")
    text = replace_once(text, "*** BLURB HERE ***", blurb.strip("\n"),
                        "cover")
    with open(path, "w") as f:
        f.write(text)


# --- check -----------------------------------------------------------------

def cmd_check(build):
    t0 = time.time()
    gd = gitdir_of(build)
    out = os.path.join(build, "series")
    tree = os.path.join(build, "linux")
    manifest = os.path.join(tree, prepare.MANIFEST)
    for need in (gd, out, manifest):
        if not os.path.exists(need):
            sys.exit("series-check: %s missing (make series, make kernel)"
                     % need)
    patches = sorted(os.path.join(out, x) for x in os.listdir(out)
                     if x.endswith(".patch") and not x.startswith("0000-"))
    work = os.path.join(build, "series-check")
    shutil.rmtree(work, ignore_errors=True)
    say("fresh clone of the base, git am of %d patches" % len(patches))
    run(["git", "clone", "-q", "--shared", "--branch", BASE_BRANCH, gd,
         work])
    wgd = os.path.join(work, ".git")
    name, email, date = identity()
    git(wgd, "-c", "user.name=" + name, "-c", "user.email=" + email, "am",
        "-q", "--whitespace=nowarn", *patches, work=work,
        env={"GIT_COMMITTER_DATE": date})
    t_am = time.time() - t0
    bad = []
    if git(wgd, "rev-parse", "HEAD^{tree}").strip() != \
            git(gd, "rev-parse", "series^{tree}").strip():
        bad.append("the applied series' tree differs from branch series")
    # The harness's tree against the applied series: every path of the
    # base and of prepare.py's manifest.  BUILD_ONLY are build-time
    # copies of upstream files (and a header generated from them), never
    # committed: the one exception.
    tracked = set(git(wgd, "ls-files", "-z").split("\0")) - {""}
    with open(manifest) as f:
        man = set(f.read().split())
    for p in sorted(man - tracked - set(prepare.BUILD_ONLY)):
        bad.append("in the harness tree, not in the series: " + p)
    base_paths = set(git(wgd, "ls-tree", "-r", "-z", "--name-only",
                         BASE_BRANCH).split("\0")) - {""}
    for p in sorted(base_paths - tracked):
        if os.path.lexists(os.path.join(tree, p)):
            bad.append("deleted by the series, in the harness tree: " + p)
    idx = os.path.join(build, "series-check.index")
    ienv = {"GIT_INDEX_FILE": idx}
    git(wgd, "read-tree", "HEAD", env=ienv)
    e = dict(os.environ, GIT_DIR=wgd, GIT_WORK_TREE=tree,
             GIT_INDEX_FILE=idx)
    run(["git", "update-index", "-q", "--refresh"], env=e, check=False,
        capture_output=True)
    diff = run(["git", "diff-files", "--name-status"], env=e,
               capture_output=True, text=True).stdout
    os.unlink(idx)
    for line in diff.splitlines():
        bad.append("differs from the harness tree: " + line)
    t_cmp = time.time() - t0 - t_am
    say("tree comparison: %d paths of the base, %d of the manifest, "
        "%d differences (am %d s, compare %d s)" % (
            len(base_paths), len(man), len(bad), t_am, t_cmp))
    bad += checkpatch(work, patches)
    say("series-check: %d s in all" % (time.time() - t0))
    if bad:
        for b in bad:
            print("series-check: " + b)
        sys.exit("series-check: FAILED (%d findings)" % len(bad))
    shutil.rmtree(work, ignore_errors=True)
    say("series-check: OK")


def checkpatch_one(work, path):
    return run(["perl", "scripts/checkpatch.pl", "--strict", "--show-types",
                "--no-summary", "--terse", path], cwd=work, check=False,
               capture_output=True, text=True).stdout


def checkpatch(work, patches):
    t0 = time.time()
    bad, excused = [], {}
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
        outs = list(pool.map(lambda p: checkpatch_one(work, p), patches))
    for p, out in zip(patches, outs):
        mine = os.path.basename(p)
        msgslug = PATCHES[int(mine[:4]) - 1][0]
        for line in out.splitlines():
            m = re.search(r"(ERROR|WARNING|CHECK):([A-Z0-9_]+): (.*)", line)
            if not m:
                continue
            why = [r for s, t, rx, r in CHECKPATCH_EXCEPTIONS
                   if t == m.group(2) and (s is None or s == msgslug) and
                   re.search(rx, m.group(3))]
            if why:
                excused[m.group(2)] = excused.get(m.group(2), 0) + 1
            else:
                bad.append("checkpatch %s: %s" % (mine, line))
    say("checkpatch --strict on %d patches: %d findings outside the "
        "exceptions, excused %s (%d s)" % (
            len(patches), len(bad),
            ", ".join("%s x%d" % kv for kv in sorted(excused.items())) or
            "none", time.time() - t0))
    return bad


# --- bisect ----------------------------------------------------------------

def without_expected_warns(con):
    """The kernel log less the WARNING lines that KUnit cases proving a
    WARN fires announce between 'dmabuf-expect-warn: begin TAG' and
    '... end TAG' (check-log.py judges those brackets in make check)."""
    out, inside = [], False
    for line in con.splitlines():
        m = re.search(r"dmabuf-expect-warn: (begin|end) \S+", line)
        if m:
            inside = m.group(1) == "begin"
        elif not (inside and "WARNING:" in line):
            out.append(line)
    return "\n".join(out)


def cmd_bisect(build):
    """Build and boot every prefix; W=1 warnings may only go away."""
    gd = gitdir_of(build)
    commits = git(gd, "rev-list", "--reverse",
                  BASE_BRANCH + "..series").split()
    only = os.environ.get("PREFIXES")
    want = set(int(x) for x in only.split(",")) if only else None
    tree = os.path.join(build, "linux-bisect")
    if not os.path.isdir(tree):
        run(["git", "--git-dir", gd, "worktree", "add", "-q", "-f",
             "--detach", tree, BASE_BRANCH])
    frags = [os.path.join(HARNESS, "config", "guest.config"),
             os.path.join(HARNESS, "config", "debug.config"),
             os.path.join(MSGS, "bisect.config")]
    kenv = dict(os.environ, KTREE="linux-bisect")
    kmake = os.path.join(HARNESS, "kmake")
    prev = None
    failed = []
    for i, c in enumerate(commits, 1):
        if want and i not in want:
            continue
        t0 = time.time()
        subj = git(gd, "log", "-1", "--format=%s", c).strip()
        say("prefix %d/%d: %s" % (i, len(commits), subj))
        run(["git", "-C", tree, "checkout", "-q", "--detach", c])
        run([kmake, build, "-s", "tinyconfig"], env=kenv,
            stdout=subprocess.DEVNULL)
        run(["scripts/kconfig/merge_config.sh", "-m", "-Q", ".config"] +
            frags, cwd=tree, env=dict(os.environ, ARCH="x86_64"),
            stdout=subprocess.DEVNULL)
        run([kmake, build, "-s", "olddefconfig"], env=kenv,
            stdout=subprocess.DEVNULL)
        log = os.path.join(build, "bisect-%02d.log" % i)
        with open(log, "w") as f:
            rc = run([kmake, build, "bzImage"], env=kenv, stdout=f,
                     stderr=subprocess.STDOUT, check=False).returncode
        with open(log, errors="replace") as f:
            warns = sorted(set(re.sub(r":\d+:\d+:", ":", line.strip())
                               for line in f if "warning:" in line))
        if rc:
            failed.append("prefix %d does not build (%s)" % (i, log))
            continue
        if prev is not None:
            for w in sorted(set(warns) - prev):
                failed.append("prefix %d: new warning: %s" % (i, w))
        # An incremental build warns only about what it recompiled, so
        # the reference is every warning seen since the first prefix.
        prev = (prev or set()) | set(warns)
        out = os.path.join(build, "out", "bisect-%02d" % i)
        shutil.rmtree(out, ignore_errors=True)
        # The built-in selftests run before init; the harness's initramfs
        # then starts, knows no mode "bisect" and powers off.
        # From the KUnit patch on, the fence suites of ours run too (but
        # for the slow case of 131,000 fences).
        benv = dict(os.environ,
                    KERNEL=os.path.join(tree, "arch/x86/boot/bzImage"))
        run([os.path.join(HARNESS, "boot.sh"), build, "bisect", out, "900",
             "kunit.filter_glob=dma-fence*", "kunit.filter=speed>slow"],
            env=benv)
        with open(os.path.join(out, "console.log"), errors="replace") as f:
            con = f.read()
        with open(os.path.join(out, "user.log"), errors="replace") as f:
            booted = "HARNESS-START mode=bisect" in f.read()
        ran = len(re.findall(r"dma-buf: Running ", con))
        bad = re.search(r"failed with error|WARNING:|BUG:|Kernel panic|"
                        r"possible .*deadlock|^\s*(# )?not ok ",
                        without_expected_warns(con), re.M)
        if not booted or ran == 0 or bad:
            failed.append("prefix %d: fence selftests (%s/console.log)" % (
                i, out))
        say("prefix %d: built and booted in %d s, %d W=1 warnings, %d "
            "selftests run" % (i, time.time() - t0, len(warns), ran))
    if failed:
        for x in failed:
            print("series-bisect: " + x)
        sys.exit("series-bisect: FAILED")
    say("series-bisect: every prefix built and passed")


def main():
    cmds = {"build": cmd_build, "check": cmd_check, "bisect": cmd_bisect}
    if len(sys.argv) != 3 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](os.path.abspath(sys.argv[2]))


if __name__ == "__main__":
    main()
