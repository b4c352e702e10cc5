#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Judge one guest boot from its logs, or sum up several.

usage: check-log.py boot BUILD OUTDIR MODE
       (MODE: test, lockdep, lockdep-access, drm, bounce, sync, upstream,
       demo, dev, oracle, fuzz, kcsan, coverage or arch: the arm64 guest
       of make check-full)
       check-log.py sum OUTDIR...

The oracle boot runs our kselftests case by case on the unmodified 6.12
base kernel.  There, an unmarked case must pass, a case marked with
DIFFERS_FROM_612(row) must fail, the row must be in README.md's
"Differences from 6.12" table, and the case must pass in our test boot
(BUILD/out/test, when it ran); every row of the table must be pinned by
at least one marked case.  The demos must exit 0.  Kernel reports are
the base's and only counted.

A boot passes when it reached the end of its init script, every test in it
passed and the kernel log holds no report of any debug facility: WARNING,
BUG, Oops, lockdep, KASAN, UBSAN, kmemleak, debugobjects, list corruption,
hung tasks.  The lockdep boot passes only if lockdep did report the
expected dma-fence dependency cycle and nothing else went wrong.

The kcsan boot (the KCSAN kernel, BUILD is its build directory) fails on
a KCSAN report in which the function of either racing access (the first
frame of its stack) is one of our objects' (drivers/dma-buf/**,
virtio_dma_buf); reports elsewhere in the kernel are listed and counted,
not failed.

Each boot writes OUTDIR/result (passed failed skipped).  'sum' adds them up
and prints the closing 'N passed, N failed, N skipped' line; a failure or
a skip fails the sum.
"""
import os
import re
import subprocess
import sys

REPORTS = re.compile(
    r"WARNING:|BUG:|Oops|general protection fault|Kernel panic|"
    r"UBSAN:|BUG: KASAN|INFO: (possible|task|trying|lockdep)|"
    r"DEBUG_LOCKS_WARN_ON|ODEBUG:|list_(add|del) corruption|"
    r"suspected memory leak|unreferenced object|rcu: INFO|"
    r"Call Trace:|stack-protector|segfault at")
LOCKDEP_CYCLE = "possible circular locking dependency detected"
LOCKDEP_CULPRIT = {
    "lockdep": "lock_in_signalling_path_then_wait_under_it",
    "lockdep-access": "begin_access_takes_resv",
}
DEMOS = ("fence-demo", "dmabuf-demo", "prime-demo")
PEER_SELFTESTS = ("dma_fence", "dma_fence_chain", "dma_fence_unwrap",
                  "dma_resv")
TAP = re.compile(r"^(not ok|ok) \d+ (.*)$")
# Upstream 6.12's TTM KUnit tests leak their buffer objects, managers and
# the shmem files (with the creds of the kunit_try_catch threads those
# files hold).  Measured against upstream's own dma-resv and dma-fence in
# the same configuration, the leaks are identical, so in the drm boot a
# leak is excused when its allocation ran inside a TTM test module.
UPSTREAM_TEST_LEAK = re.compile(
    r"\[ttm_\w*(test|kunit_helpers|mock_manager)\]|"
    r"comm \"kthreadd\"(?s:.*)prepare_creds\+(?s:.*)copy_creds\+")


class Verdict:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.problems = []

    def bad(self, what):
        self.problems.append(what)
        self.failed += 1


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


EXPECT_WARN = re.compile(r"dmabuf-expect-warn: (begin|end) (\S+)")
# Inside an expect-warn bracket only the WARN splat itself is excused; a
# KASAN, lockdep or any other report there still fails the run.
WARN_SPLAT = re.compile(r"WARNING: CPU:|Call Trace:")


# WARNs that upstream 6.12's own DRM/TTM KUnit tests provoke, whatever
# dma-buf they run on: drm_gem_shmem_test calls the shmem helpers without
# the reservation lock they assert (fixed upstream after 6.12), and two TTM
# cases check that bad arguments warn (NULL vma manager, no_wait with a
# ticket).  Excused in the drm boot only, by exact site.  The shmem
# helpers are built in (virtio-gpu selects them), and in the drm boot only
# drm_gem_shmem_test calls them.
UPSTREAM_DRM_WARN = re.compile(
    r"WARNING: CPU: \d+ PID: \d+ at (drivers/gpu/drm/drm_gem_shmem_helper\.c:"
    r"\d+ drm_gem_shmem_\w+\+|"
    r"drivers/gpu/drm/ttm/ttm_device\.c:192 ttm_device_init\+|"
    r"include/drm/ttm/ttm_bo\.h:287 ttm_bo_reserve\+.*\[ttm_bo_test\])")

# Core mm, not ours: when the fail-nth sweep fails a page-table allocation
# inside remap_pfn_range() (a heap's mmap, as 6.12's heaps map), the
# cleanup zaps the half-built range and untrack_pfn() WARNs on finding no
# PAT entry.  Only injected failures reach it; the sweep still requires
# ENOMEM and nothing leaked.
UPSTREAM_MM_WARN = re.compile(
    r"WARNING: CPU: \d+ PID: \d+ at arch/x86/mm/pat/memtype\.c:\d+ "
    r"untrack_pfn\+")


def kernel_reports(console, v=None, excused=None):
    """Report lines of @console, minus the WARNs that tests announced.

    A test that proves a WARN fires prints 'dmabuf-expect-warn: begin TAG'
    before and '... end TAG' after; each such bracket must hold at least
    one WARN (counted as a passed check in @v) and its WARN lines are not
    reported."""
    out = []
    open_tag, seen = None, 0
    skip_trace = False
    n_excused = 0
    for line in console.splitlines():
        if excused and excused.search(line):
            n_excused += 1
            skip_trace = True
            continue
        if skip_trace and "Call Trace:" in line:
            skip_trace = False
            continue
        m = EXPECT_WARN.search(line)
        if m:
            if m.group(1) == "begin":
                open_tag, seen = m.group(2), 0
            elif open_tag == m.group(2):
                if v is not None:
                    if seen:
                        v.passed += 1
                    else:
                        v.bad("expected WARN did not fire: " + open_tag)
                open_tag = None
            continue
        if open_tag and WARN_SPLAT.search(line):
            seen += line.count("WARNING: CPU:")
            continue
        if REPORTS.search(line):
            out.append(line.strip())
    if open_tag and v is not None:
        v.bad("expect-warn bracket never closed: " + open_tag)
    if n_excused:
        print("  %d WARNs provoked by upstream's own DRM/TTM KUnit tests "
              "(known, see README)" % n_excused)
    return out


def kunit(build, out, v, console):
    # Built-in suites print a KTAP document at boot, and so does each test
    # module when it is loaded.  Each document is parsed on its own; one
    # whose built-in run was filtered down to nothing ("1..0") is skipped.
    lines = console.splitlines()
    heads = [i for i, line in enumerate(lines)
             if re.match(r"^(\[[ \d.]+\] )?K?TAP version \d+$", line)]
    docs = [(i, j) for i, j in zip(heads, heads[1:] + [len(lines)])
            if i + 1 < len(lines) and not lines[i + 1].endswith("1..0")]
    kunit_py = os.path.join(build, "linux/tools/testing/kunit/kunit.py")
    counts = {}
    summaries = []
    failed_run = False
    report = open(os.path.join(out, "kunit.txt"), "w")
    for n, (i, j) in enumerate(docs):
        ktap = os.path.abspath(os.path.join(out, "ktap-%d.log" % n))
        with open(ktap, "w") as f:
            f.write("\n".join(lines[i:j]) + "\n")
        r = subprocess.run([sys.executable, kunit_py, "parse", ktap],
                           capture_output=True, text=True)
        report.write(r.stdout + r.stderr)
        m = re.search(r"Ran (\d+) tests?: (.*)", r.stdout)
        if not m:
            failed_run = True
            continue
        summaries.append(m.group(0))
        for k, c in re.findall(
                r"(passed|failed|skipped|crashed|errors): (\d+)", m.group(2)):
            counts[k] = counts.get(k, 0) + int(c)
        if r.returncode:
            failed_run = True
        for line in r.stdout.splitlines():
            if "[FAILED]" in line or "[CRASHED]" in line:
                print("    " + line.strip())
    report.close()
    v.passed += counts.get("passed", 0)
    v.skipped += counts.get("skipped", 0)
    bad = counts.get("failed", 0) + counts.get("crashed", 0) + \
        counts.get("errors", 0)
    v.failed += bad
    for sm in summaries:
        print("  kunit: " + sm)
    if not docs:
        v.bad("no KUnit results in the kernel log")
    elif failed_run and not bad:
        v.bad("KUnit results could not be parsed (see %s/kunit.txt)" % out)
    elif bad:
        v.problems.append("KUnit failures (see %s/kunit.txt)" % out)


def peer_selftests(user, console, v):
    m = re.search(r"HARNESS-MODULE dmabuf_selftests rc=(\d+)", user)
    ran = re.findall(r"dma-buf: Running (\S+)", console)
    missing = [s for s in PEER_SELFTESTS if s not in ran]
    n = len([r for r in ran if "/" in r])
    print("  upstream dmabuf_selftests: %d subtests in %d groups, rc=%s" % (
        n, len(PEER_SELFTESTS) - len(missing), m.group(1) if m else "?"))
    if not m or m.group(1) != "0" or missing or "failed with error" in console:
        v.bad("upstream dmabuf_selftests failed (missing: %s)" %
              ", ".join(missing))
    else:
        v.passed += n


BLOCK = re.compile(r"HARNESS-BEGIN (\S+)\n(.*?)HARNESS-END \1 rc=(\d+)", re.S)
RUNNER = re.compile(r"HARNESS-RUNNER-BEGIN (\S+)\n(.*?)"
                    r"HARNESS-RUNNER-END \1 rc=\d+", re.S)
RUN_HEAD = re.compile(r"^# selftests: [^:]+: (\S+)$")
RUN_RESULT = re.compile(r"^(ok|not ok) \d+ selftests: [^:]+: (\S+)(.*)$")


def runner_blocks(user, v=None):
    """(name, output, rc) of each program that the kselftest runner
    (run_kselftest.sh) ran: its output is the program's with the runner's
    "# " prefix taken off, rc what the runner's result line says (0, 4
    for a SKIP, exit=N, 124 for a TIMEOUT).  Names of the run "m32" get
    the prefix m32/.  A run that reports fewer programs than its plan
    (a hang or a crash of the runner) fails @v."""
    out = []
    for run, text in RUNNER.findall(user):
        prefix = "" if run == "ours" else run + "/"
        plan = re.search(r"^1\.\.(\d+)$", text, re.M)
        body = None
        got = 0
        for line in text.splitlines():
            h = RUN_HEAD.match(line)
            r = RUN_RESULT.match(line)
            if h:
                body = []
            elif r and body is not None:
                rest = r.group(3)
                e = re.search(r"exit=(\d+)", rest)
                rc = ("4" if "# SKIP" in rest else "0") if r.group(1) == \
                    "ok" else e.group(1) if e else \
                    "124" if "TIMEOUT" in rest else "1"
                out.append((prefix + r.group(2), "\n".join(body), rc))
                body = None
                got += 1
            elif body is not None:
                body.append(line[2:] if line.startswith("# ") else "")
        if v is not None and (not plan or int(plan.group(1)) != got):
            v.bad("the kselftest runner (%s) reported %d of %s programs" %
                  (run, got, plan.group(1) if plan else "?"))
    return out


def program_blocks(user, v=None):
    """(name, output, rc) of every test program of a boot's user.log."""
    return BLOCK.findall(user) + runner_blocks(user, v)


def kselftests(user, v):
    blocks = program_blocks(user, v)
    if not blocks:
        v.bad("no kselftest ran")
    for name, body, rc in blocks:
        if name.startswith("fuzz-") or name == "ioctl-bench":
            continue    # judged by fuzz() and bench_smoke()
        p = f = s = 0
        for line in body.splitlines():
            t = TAP.match(line)
            if not t:
                continue
            if "# SKIP" in t.group(2):
                s += 1
            elif t.group(1) == "ok":
                p += 1
            else:
                f += 1
                print("    not ok: %s: %s" % (name, t.group(2)))
        print("  kselftest %s: %d passed, %d failed, %d skipped, rc=%s" % (
            name, p, f, s, rc))
        v.passed += p
        v.skipped += s
        v.failed += f
        if rc not in ("0", "4") or p + f + s == 0:
            v.problems.append("kselftest %s rc=%s" % (name, rc))
            if f == 0:
                v.failed += 1


def bench_module(console, v):
    """The benchmark module's smoke run printed its figures (its cases are
    judged with the other KUnit results; no figure is ever judged)."""
    figures = re.findall(r"dmabuf-bench: op=(\S+) n=\d+ .*ours=", console)
    sizes = re.findall(r"dmabuf-bench: sizeof\(struct (\w+)\)", console)
    if not figures or not sizes:
        v.bad("the benchmark module printed no figures")
    else:
        print("  bench: module smoke, %d operations, %d struct sizes" % (
            len(set(figures)), len(sizes)))


def bench_ioctl(user, v):
    """The ioctl benchmark's smoke run ran every operation."""
    runs = [b for b in BLOCK.findall(user) if b[0] == "ioctl-bench"]
    done = re.search(r"dmabuf-ioctl-bench: done ok=(\d+) failed=(\d+)",
                     runs[0][1]) if runs else None
    if not done or runs[0][2] != "0" or done.group(2) != "0" or \
            done.group(1) == "0":
        v.bad("the ioctl benchmark's smoke run failed: %s" % (
            runs[0][1].strip()[-600:] if runs else "it did not run"))
    else:
        print("  bench: ioctl smoke, %s operations" % done.group(1))
        v.passed += 1


def m32(user, v):
    # Every kselftest program of /tests also ran as a 32-bit program.
    t = re.search(r"HARNESS-INFO m32 kselftests: (\d+) of (\d+) programs, "
                  r"(\d+) s", user)
    if not t or t.group(1) != t.group(2) or t.group(1) == "0":
        v.bad("the 32-bit kselftests (/tests32) did not all run: %s" %
              (t.group(0) if t else "no report"))
    else:
        print("  32-bit kselftests (m32/*): %s programs in %s s" %
              (t.group(1), t.group(3)))


def kmemleak(user, out, mode, v):
    m = re.search(r"HARNESS-KMEMLEAK leaks=(\d+)", user)
    if not m:
        v.bad("no kmemleak scan result")
        return
    objs = re.split(r"\nunreferenced object", user.replace("\r", ""))[1:]
    excused = 0
    if mode == "drm":
        excused = len([o for o in objs if UPSTREAM_TEST_LEAK.search(o)])
    ours = int(m.group(1)) - excused
    if excused:
        print("  kmemleak: %d leaks allocated inside upstream's TTM KUnit "
              "tests (known, see README)" % excused)
    if ours:
        v.bad("kmemleak: %d leaks (see %s/user.log)" % (ours, out))
    else:
        print("  kmemleak: no leak of ours")


README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                      "README.md")
CASE = re.compile(r"HARNESS-CASE-BEGIN (\S+)\n(.*?)HARNESS-CASE \1 rc=(\d+)",
                  re.S)
MARK = re.compile(r"^# differs-from-6\.12: (\S+)$", re.M)


def readme_rows(path=README):
    """The row ids of the README's "Differences from 6.12" table."""
    text = read(path)
    m = re.search(r"^## Differences from 6\.12\s*$(.*?)(?=^## |\Z)", text,
                  re.M | re.S)
    if not m:
        return set()
    return set(re.findall(r"^\|\s*`([^`]+)`\s*\|", m.group(1), re.M))


def failed_in_test_boot(build):
    """Cases (prog/case) that did not pass in our test boot, if it ran."""
    user = read(os.path.join(build, "out", "test", "user.log"))
    if not user:
        return None
    bad = set()
    for name, body, rc in program_blocks(user):
        for line in body.splitlines():
            t = TAP.match(line)
            if t and (t.group(1) == "not ok" or "# SKIP" in t.group(2)):
                case = t.group(2).split(" ")[0].split(".")[-1]
                bad.add("%s/%s" % (name, case))
    return bad


def oracle(build, user, console, v):
    rows = readme_rows()
    ours_bad = failed_in_test_boot(build)
    cases = CASE.findall(user)
    if not cases:
        v.bad("no kselftest case ran on the base kernel")
    marked = 0
    used = set()
    for case, body, rc in cases:
        marks = MARK.findall(body)
        ok = rc == "0"
        if marks:
            marked += 1
            row = marks[0]
            used.add(row)
            if row not in rows:
                v.bad("%s: marked with row '%s', which the README's "
                      "Differences table lacks" % (case, row))
            elif ok:
                v.bad("%s: marked %s but PASSES on 6.12 (stale mark)" %
                      (case, row))
            elif ours_bad is not None and case in ours_bad:
                v.bad("%s: marked %s but does not pass on our kernel" %
                      (case, row))
            else:
                v.passed += 1
        elif ok:
            v.passed += 1
        else:
            why = [ln.strip() for ln in body.splitlines()
                   if re.match(r"#\s+\S+\.c:\d+:", ln) or
                   ln.startswith("not ok") or "# SKIP" in ln][:4]
            v.bad("%s: fails on 6.12 (rc=%s) and is not marked\n      %s" %
                  (case, rc, "\n      ".join(why)))
    # Every row of the table is backed by at least one marked case.
    for row in sorted(rows - used) if cases else []:
        v.bad("README row '%s' is pinned by no marked case" % row)
    ran = dict(re.findall(r"HARNESS-END (\S+) rc=(\d+)", user))
    for name in DEMOS:
        if ran.get(name) == "0":
            v.passed += 1
        else:
            v.bad("demo %s on 6.12: rc=%s" % (name, ran.get(name, "missing")))
    print("  %d kselftest cases run on 6.12, %d of them marked as "
          "differing (README rows: %d)%s" % (
              len(cases), marked, len(rows),
              "" if ours_bad is not None else
              "; no test boot log to cross-check the marks with"))
    n = len([ln for ln in console.splitlines() if REPORTS.search(ln)])
    if n:
        print("  %d kernel report lines of the base kernel (not judged)" % n)


# --- KCSAN (make boot-kcsan) ---
KCSAN_RULE = "=" * 66
KCSAN_ACCESS = re.compile(r"^(\[[ \d.]+\] )?\s*(race at unknown origin, "
                          r"with )?(read|write|read-write)( \(marked\))?"
                          r"( \(reordered\))? to ")
FRAME = re.compile(r"^(?:\[[ \d.]+\] )?\s*(\w[\w.]*\+0x[0-9a-f]+/0x[0-9a-f]+)"
                   r"(?: \[(\w+)\])?\s*$")


def kcsan_reports(console):
    """Each KCSAN report: (title, [first frame of each access])."""
    reps = []
    cur = None
    want = False
    for line in console.splitlines():
        if "BUG: KCSAN:" in line:
            cur = [line[line.index("BUG: KCSAN:"):].strip(), []]
            reps.append(cur)
            want = False
            continue
        if cur is None:
            continue
        if KCSAN_RULE in line:
            cur = None
        elif KCSAN_ACCESS.search(line):
            want = True
        elif want:
            m = FRAME.match(line)
            if m:
                # The first frame below kcsan's own, the access itself.
                if not m.group(1).startswith(("kcsan_", "__tsan_")):
                    cur[1].append((m.group(1), m.group(2)))
                    want = False
    return [(t, f) for t, f in reps]


def our_symbols(build):
    """(name, size) of every symbol defined by an object of ours.

    The guest kernels have no debug info, so a frame is placed by its
    function: a frame is ours when an object built from our files
    defines a function of that name and size (a static function of the
    same name elsewhere has, but for chance, another size).  An access
    inside a function of our headers that was inlined into someone
    else's shows that caller's name and is not recognised as ours."""
    tree = os.path.join(build, "linux")
    objs = [os.path.join(r, f)
            for r, _, fs in os.walk(os.path.join(tree, "drivers/dma-buf"))
            for f in fs if f.endswith(".o") and not f.endswith(".mod.o")]
    objs.append(os.path.join(tree, "drivers/virtio/virtio_dma_buf.o"))
    objs = [o for o in objs if os.path.exists(o)]
    syms = set()
    r = subprocess.run(["nm", "-S", "--defined-only"] + objs,
                       capture_output=True, text=True)
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "tTwW":
            syms.add((f[3], int(f[1], 16)))
    return syms


def frame_is_ours(frame, syms):
    m = re.match(r"([\w.]+)\+0x[0-9a-f]+/0x([0-9a-f]+)$", frame)
    return bool(m) and (m.group(1), int(m.group(2), 16)) in syms


def kcsan(build, console, v):
    reps = kcsan_reports(console)
    syms = our_symbols(build)
    if not syms:
        v.bad("no object of ours found in %s/linux to place KCSAN "
              "reports with" % build)
    ours, theirs = [], []
    for title, frames in reps:
        where = ", ".join("%s%s%s" % (fn, " [%s]" % mod if mod else "",
                                      " (ours)" if frame_is_ours(fn, syms)
                                      else "")
                          for fn, mod in frames)
        mine = any(frame_is_ours(fn, syms) for fn, _ in frames)
        (ours if mine else theirs).append("%s: %s" % (title, where))
    print("  KCSAN: %d reports, %d in our files, %d elsewhere (listed, "
          "not judged)" % (len(reps), len(ours), len(theirs)))
    for t in sorted(set(theirs)):
        print("    elsewhere: " + t)
    for t in ours:
        v.bad("KCSAN report in our files: " + t)
    if not ours:
        v.passed += 1


def fuzz(user, v):
    """The fuzz boot: each seed's run ends clean; the self-test (when it
    ran) fails as it must, through the baseline check, and is minimised."""
    blocks = re.findall(r"HARNESS-BEGIN (fuzz-\S+)\n(.*?)HARNESS-END \1 "
                        r"rc=(\d+)", user, re.S)
    if not [b for b in blocks if b[0] != "fuzz-self-test-leak"]:
        v.bad("no fuzz run")
    for name, body, rc in blocks:
        if name == "fuzz-self-test-leak":
            m = re.search(r"FUZZ-MINIMAL (\d+) ops", body)
            if rc == "1" and "FUZZ-LEAK" in body and m:
                print("  fuzz self-test: the kept descriptor was caught and "
                      "minimised to %s ops" % m.group(1))
                v.passed += 1
            else:
                v.bad("fuzz self-test: a leak was not caught and minimised "
                      "(rc=%s)" % rc)
            continue
        done = re.search(r"FUZZ-DONE (.*): clean", body)
        if rc == "0" and done:
            print("  fuzz: " + done.group(1))
            v.passed += 1
        else:
            v.bad("%s rc=%s:\n    %s" % (name, rc, "\n    ".join(
                [ln for ln in body.splitlines()
                 if ln.startswith("FUZZ-")][-12:])))


def boot(build, out, mode):
    console = read(os.path.join(out, "console.log"))
    user = read(os.path.join(out, "user.log"))
    v = Verdict()
    print("== %s boot (%s) ==" % (mode, out))
    if "HARNESS-DONE" not in user:
        v.bad("the guest did not finish (hang, timeout or crash); "
              "last kernel lines:\n    " +
              "\n    ".join(console.splitlines()[-15:]))
    # The base kernel's reports are 6.12's, not ours: not judged.
    reports = kernel_reports(console, None if mode == "oracle" else v,
                             UPSTREAM_DRM_WARN if mode == "drm" else
                             UPSTREAM_MM_WARN
                             if mode in ("test", "dev", "coverage")
                             else None)
    if mode == "oracle":
        oracle(build, user, console, v)
        reports = []
    elif mode.startswith("lockdep"):
        # Each splat boot names the function its report must point at.
        culprit = LOCKDEP_CULPRIT[mode]
        if (LOCKDEP_CYCLE in console and "dma_fence_map" in console and
                culprit in console):
            print("  lockdep reported the dma_fence_map cycle through %s, "
                  "as it must" % culprit)
            v.passed += 1
            # The splat itself is expected; anything besides it is not.
            reports = [r for r in reports if not re.search(
                r"WARNING: possible circular|Call Trace:|INFO: lockdep", r)]
        else:
            v.bad("lockdep did NOT report the dma_fence_map cycle")
        if not re.search(r"HARNESS-MODULE \S+lockdep-test rc=0", user):
            v.bad("the lockdep splat module did not load cleanly")
        kunit(build, out, v, console)
    elif mode == "demo":
        # make run's programs, each of which checks what it shows.
        ran = dict(re.findall(r"HARNESS-END (\S+) rc=(\d+)", user))
        for name in DEMOS:
            if ran.get(name) == "0":
                v.passed += 1
            else:
                v.bad("demo %s: rc=%s" % (name, ran.get(name, "missing")))
        kmemleak(user, out, mode, v)
        reports = [r for r in reports if "suspected memory leak" not in r]
    elif mode == "fuzz":
        fuzz(user, v)
        kmemleak(user, out, mode, v)
        reports = [r for r in reports if "suspected memory leak" not in r]
    elif mode == "dev":
        # make boot-dev: whatever SUITES and TESTS picked, but something.
        if re.search(r"K?TAP version \d+\n(\[[ \d.]+\] )?\s*1\.\.[1-9]",
                     console):
            kunit(build, out, v, console)
        if "HARNESS-BEGIN" in user:
            kselftests(user, v)
        if "HARNESS-BEGIN ioctl-bench" in user:
            bench_ioctl(user, v)
        if not v.passed + v.failed + v.skipped:
            v.bad("nothing ran: SUITES matched no suite and TESTS is empty")
        kmemleak(user, out, mode, v)
        reports = [r for r in reports if "suspected memory leak" not in r]
    elif mode == "kcsan":
        kunit(build, out, v, console)
        peer_selftests(user, console, v)
        kselftests(user, v)
        if "HARNESS-BEGIN fuzz-" in user:
            fuzz(user, v)
        for name, rc in re.findall(r"HARNESS-MODULE (\S+) rc=(\d+)", user):
            if rc != "0":
                v.bad("module %s failed to load (rc=%s)" % (name, rc))
        kcsan(build, console, v)
        kmemleak(user, out, mode, v)
        # KCSAN's reports are judged by kcsan() above, the leak scan's
        # summary by kmemleak().
        reports = [r for r in reports if "BUG: KCSAN:" not in r and
                   "suspected memory leak" not in r]
    else:
        if mode in ("sync", "upstream"):
            # Upstream's kselftests alone; the boot runs no KUnit.
            kselftests(user, v)
        else:
            kunit(build, out, v, console)
        if mode == "arch":
            # Another architecture's guest: upstream's selftest module,
            # our kselftests, upstream's udmabuf and dmabuf-heap.
            peer_selftests(user, console, v)
            kselftests(user, v)
        if mode in ("test", "coverage"):
            peer_selftests(user, console, v)
            kselftests(user, v)
            if mode == "test":
                m32(user, v)            # the coverage boot runs no -m32
            else:
                fuzz(user, v)           # its short fuzzer run
            bench_module(console, v)
            bench_ioctl(user, v)
        for name, rc in re.findall(r"HARNESS-MODULE (\S+) rc=(\d+)", user):
            if rc != "0":
                v.bad("module %s failed to load (rc=%s)" % (name, rc))
        kmemleak(user, out, mode, v)
        # The scan's own summary line is judged by kmemleak() above.
        reports = [r for r in reports if "suspected memory leak" not in r]
    if reports:
        v.bad("kernel reports in the log:\n    " +
              "\n    ".join(reports[:30]))
    for p in v.problems:
        print("  FAIL: " + p)
    print("  %s boot: %d passed, %d failed, %d skipped" % (
        mode, v.passed, v.failed, v.skipped))
    with open(os.path.join(out, "result"), "w") as f:
        f.write("%d %d %d\n" % (v.passed, v.failed, v.skipped))
    return 1 if v.problems or v.failed else 0


def total(dirs):
    p = f = s = 0
    for d in dirs:
        r = read(os.path.join(d, "result")).split()
        if len(r) != 3:
            print("no result for %s" % d)
            f += 1
            continue
        p, f, s = p + int(r[0]), f + int(r[1]), s + int(r[2])
    print("%d passed, %d failed, %d skipped" % (p, f, s))
    if s:
        # The guest is configured for every test; a skip means one of
        # them did not run, which must not pass for a green check.
        print("FAIL: %d tests were skipped" % s)
    return 1 if f or s else 0


def main():
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "boot":
        sys.exit(boot(a[1], a[2], a[3]))
    if len(a) >= 2 and a[0] == "sum":
        sys.exit(total(a[1:]))
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
