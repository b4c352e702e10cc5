#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Build our documentation the kernel's way and check what it renders.

usage: docs.py BUILD

Runs `make htmldocs SPHINXDIRS=driver-api` in the prepared tree BUILD/linux
(Debian's python3-sphinx), keeps the log in BUILD/out/docs/htmldocs.log
and fails (exit 1, the reasons in BUILD/out/docs/problems) on:
  - a warning or error of Sphinx or kernel-doc that names a file of ours;
  - a DOC: section of one of our source files whose text is not in the
    rendered pages;
  - an exported symbol of ours that the pages do not document (a function
    needs its kernel-doc entry, an exported variable a mention).
Prints where the HTML is.
"""
import html
import os
import re
import subprocess
import sys
import time

H = os.path.dirname(os.path.abspath(__file__))
SUBDIR = "driver-api"
PAGES = ("dma-buf.html", "sync_file.html")


def say(msg):
    print("docs: " + msg, flush=True)


def our_files(tree):
    """The files the harness laid over the base (its manifest)."""
    with open(os.path.join(tree, ".dmabuf-overlay")) as f:
        return [p for p in f.read().split()
                if p.startswith(("drivers/", "include/", "Documentation/"))]


def words(text):
    """Letters and digits only: markup renders differently, words do not."""
    return re.sub(r"[^A-Za-z0-9]", "", text)


def rst_plain(text):
    """The words reStructuredText shows of @text: a role's text (or its
    title, before the <target>), literals without their quotes."""
    text = re.sub(r":[\w:]+:`([^`<]*?)\s*(<[^>]*>)?`", r"\1", text)
    text = text.replace("``", "")
    return re.sub(r"\\(.)", r"\1", text)


def page_text(path):
    with open(path, errors="replace") as f:
        raw = f.read()
    body = re.sub(r"<[^>]+>", " ", raw)
    return raw, words(html.unescape(body))


def doc_sections(tree, rel):
    """(title, first words of its text) of each DOC: section of rel."""
    out = []
    path = os.path.join(tree, rel)
    with open(path, errors="replace") as f:
        titles = re.findall(r"^ \* DOC: (.+)$", f.read(), re.M)
    for title in titles:
        r = subprocess.run([os.path.join(tree, "scripts/kernel-doc"), "-rst",
                            "-function", title, path],
                           capture_output=True, text=True)
        prose = [ln.strip() for ln in r.stdout.splitlines()
                 if ln.strip() and not ln.startswith(".. ")]
        out.append((title, words(rst_plain(" ".join(prose)))[:60]))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build = os.path.abspath(sys.argv[1])
    tree = os.path.join(build, "linux")
    out = os.path.join(build, "out", "docs")
    os.makedirs(out, exist_ok=True)
    log = os.path.join(out, "htmldocs.log")
    t0 = time.time()
    say("make htmldocs SPHINXDIRS=%s (about 3-5 minutes)" % SUBDIR)
    # Debian's sphinx-build runs on Debian's python3; the kernel's helper
    # scripts take whichever python3 comes first.
    env = dict(os.environ, PATH="/usr/bin:" + os.environ.get("PATH", ""))
    with open(log, "w") as f:
        rc = subprocess.run(["flock", os.path.join(build, "lock"), "make",
                             "-C", tree, "htmldocs", "SPHINXDIRS=" + SUBDIR],
                            stdout=f, stderr=subprocess.STDOUT,
                            env=env).returncode
    problems = []
    if rc:
        problems.append("make htmldocs failed (rc=%d), see %s" % (rc, log))
    ours = our_files(tree)
    with open(log, errors="replace") as f:
        lines = f.read().splitlines()
    flagged = re.compile(r"warning|error", re.I)
    n_warn = len([ln for ln in lines if flagged.search(ln)])
    for ln in lines:
        if flagged.search(ln) and any(p in ln for p in ours):
            problems.append("warning: " + ln.strip())
    html_dir = os.path.join(tree, "Documentation", "output", SUBDIR)
    raws, texts = [], []
    for page in PAGES:
        p = os.path.join(html_dir, page)
        if not os.path.isfile(p):
            problems.append("page %s was not rendered" % p)
            continue
        raw, text = page_text(p)
        raws.append(raw)
        texts.append(text)
    alltext = "".join(texts)
    allraw = "".join(raws)
    n_doc = n_sym = 0
    sources = [p for p in ours if p.endswith((".c", ".h")) and
               not p.startswith(("drivers/dma-buf/tests/",
                                 "Documentation/"))]
    for rel in sources:
        for title, start in doc_sections(tree, rel):
            n_doc += 1
            if not start or start not in alltext:
                problems.append("DOC: %s (%s) is not in the pages" % (
                    title, rel))
        if not rel.endswith(".c"):
            continue
        with open(os.path.join(tree, rel), errors="replace") as f:
            src = f.read()
        for sym in re.findall(r"EXPORT_SYMBOL(?:_GPL)?(?:_NS)?\((\w+)", src):
            n_sym += 1
            is_func = re.search(r"\b%s\(" % sym, src)
            if is_func and 'id="c.%s"' % sym not in allraw:
                problems.append("exported %s (%s) has no entry in the "
                                "pages" % (sym, rel))
            elif not is_func and sym not in allraw:
                problems.append("exported %s (%s) is not mentioned in the "
                                "pages" % (sym, rel))
    with open(os.path.join(out, "problems"), "w") as f:
        f.write("".join(p + "\n" for p in problems))
    say("%d s, %d warning lines in the log, none may name one of our %d "
        "files; %d DOC sections and %d exported symbols checked in the "
        "pages" % (time.time() - t0, n_warn, len(ours), n_doc, n_sym))
    for p in problems[:40]:
        say("  " + p)
    say("HTML: file://%s/dma-buf.html" % html_dir)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
