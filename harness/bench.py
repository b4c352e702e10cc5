#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Tabulate and plot the dma-buf benchmarks of four guest boots.

usage: bench.py report OUTDIR WALL_OURS ICOUNT_OURS WALL_612 ICOUNT_612
       bench.py symbols TREE

symbols checks the benchmark module's build in the prepared TREE: every
global symbol the base kernel's copies (drivers/dma-buf/tests/upstream/)
define carries the bench_up_ prefix, and none of them calls a symbol that
this tree's own dma-buf objects define, so that "upstream" really
measures the base kernel's code.  Without copies it has nothing to check.

The inputs are the guest logs of four QEMU boots: our kernel and the
unmodified 6.12 kernel, each once under multi-threaded TCG timed by the
wall clock (WALL_*) and once on one vCPU with -icount shift=0 (ICOUNT_*),
where the guest clock advances 1 ns per guest instruction, so its "ns/op"
counts guest instructions: deterministic, where the wall clock shows cache
and lock effects but also the host's noise.

Lines are found after any prefix (timestamps, KTAP indentation):
  dmabuf-bench: op=O n=N reps=R runs=K ours=F upstream=F|- ratio=P%|-
  dmabuf-bench: sizeof(struct S) ours=I upstream=I
come from the in-kernel module, which runs ours and upstream's copy in one
boot (our kernel's logs only);
  dmabuf-ioctl-bench: op=O n=N reps=R runs=K ns=F rate=F
from the userspace benchmark in all four boots, where "upstream" is the
6.12 log of the same clock.  A repeated (op, n) keeps its last line,
FAILED lines are listed, a missing log's figures are shown as "-".

Writes OUTDIR/bench.txt, OUTDIR/bench.md and, per op measured at two or
more N, OUTDIR/plots/OP.dat and OP.png (if gnuplot is installed).  Exit
status 1 only when no input holds a benchmark result: a benchmark never
fails on a time.
"""
import argparse
import math
import os
import re
import shutil
import subprocess
import sys

KSIZE = re.compile(r"dmabuf-bench: sizeof\(struct (\w+)\) ours=(\d+) "
                   r"upstream=(\d+)")
BENCH = re.compile(r"dmabuf-(ioctl-)?bench: op=(\S+) n=(\d+)(.*)")
FAILED = re.compile(r"dmabuf-(?:ioctl-)?bench:.*\bFAILED\b")
FIELD = re.compile(r"(\w+)=(\S+)")
CLOCKS = ("instr", "wall")
SIDES = ("ours", "up")
COLUMNS = ("instr_ours", "instr_up", "wall_ours", "wall_up")
INSTR_GOAL = 100.0      # percent: more instructions than upstream
WALL_GOAL = 105.0       # percent: wall clock has noise, allow 5%
SLOPE_SLACK = 0.15      # log-log slope margin before "grows faster"
INPUTS = {("wall", "ours"): "WALL_OURS", ("instr", "ours"): "ICOUNT_OURS",
          ("wall", "up"): "WALL_612", ("instr", "up"): "ICOUNT_612"}


def number(text):
    """Parse a float field; None for '-', junk, NaN or infinity."""
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_log(path):
    """Read one log into a dict of its results, or None if unreadable."""
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    log = {"kernel": {}, "ioctl": {}, "sizes": {}, "failed": []}
    for line in lines:
        size, bench = KSIZE.search(line), BENCH.search(line)
        if FAILED.search(line):
            log["failed"].append(line.strip())
        elif size:
            log["sizes"][size.group(1)] = (int(size[2]), int(size[3]))
        elif bench:
            key = (bench[2], int(bench[3]))
            fields = dict(FIELD.findall(bench[4]))
            if bench[1] and "ns" in fields:
                log["ioctl"][key] = number(fields["ns"])
            elif not bench[1] and "ours" in fields:
                log["kernel"][key] = (number(fields["ours"]),
                                      number(fields.get("upstream", "-")))
    return log


def collect(logs):
    """Merge the four logs into {op: {n: {column: value}}}, ordered."""
    kernel, ioctl = {}, {}
    for clock in CLOCKS:
        log = logs[(clock, "ours")] or {"kernel": {}}
        for (op, n), (ours, up) in log["kernel"].items():
            cell = kernel.setdefault(op, {}).setdefault(n, {})
            cell[clock + "_ours"], cell[clock + "_up"] = ours, up
    for side in SIDES:
        for clock in CLOCKS:
            log = logs[(clock, side)] or {"ioctl": {}}
            for (op, n), ns in log["ioctl"].items():
                cell = ioctl.setdefault("ioctl:" + op, {}).setdefault(n, {})
                cell[clock + "_" + side] = ns
    kernel.update(ioctl)
    return kernel


def fmt(value):
    """Format a cost: an integer from 100 up, else one decimal."""
    if value is None:
        return "-"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.1f}"


def fmt_ratio(value):
    """Format a percentage with one decimal, '-' when missing."""
    return "-" if value is None else f"{value:.1f}%"


def ratio(ours, up):
    """Return ours/upstream in percent, or None if either is missing."""
    if ours is None or up is None or up <= 0:
        return None
    return 100.0 * ours / up


def table_rows(ops):
    """Return the table's rows as lists of strings, plus the raw ratios."""
    rows, ratios = [], []
    for op, by_n in ops.items():
        for n in sorted(by_n):
            get = [by_n[n].get(k) for k in COLUMNS]
            ri, rw = ratio(get[0], get[1]), ratio(get[2], get[3])
            rows.append([op, str(n), fmt(get[0]), fmt(get[1]), fmt_ratio(ri),
                         fmt(get[2]), fmt(get[3]), fmt_ratio(rw)])
            ratios.append((f"{op} n={n}", ri, rw))
    return rows, ratios


def render_text(header, rows):
    """Render a fixed-width table, the first column left-aligned."""
    widths = [max(len(r[i]) for r in [header] + rows)
              for i in range(len(header))]
    out = []
    for k, row in enumerate([header] + rows):
        cells = [row[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        out.append("  ".join(cells).rstrip())
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def render_md(header, rows):
    """Render a GitHub markdown table, numbers right-aligned."""
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|"]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |"
            for r in rows]
    return out


def slope(points):
    """Least-squares slope of log(cost) over log(n); None if < 2 points."""
    pts = [(math.log(n), math.log(v)) for n, v in points
           if n > 0 and v is not None and v > 0]
    if len({x for x, _ in pts}) < 2:
        return None
    mx, my = (sum(p[i] for p in pts) / len(pts) for i in (0, 1))
    return (sum((x - mx) * (y - my) for x, y in pts)
            / sum((x - mx) ** 2 for x, _ in pts))


def growth(ops):
    """Return summary lines of the log-log slopes of ops with >= 3 n."""
    out = []
    for op, by_n in ops.items():
        if len(by_n) < 3:
            continue
        s = {k: slope([(n, c.get(k)) for n, c in by_n.items()])
             for k in COLUMNS}
        text = ", ".join(f"{k.replace('_up', ' upstream').replace('_', ' ')}"
                         f" {'-' if s[k] is None else f'{s[k]:.2f}'}"
                         for k in COLUMNS)
        flag = (s["instr_ours"] is not None and s["instr_up"] is not None
                and s["instr_ours"] > s["instr_up"] + SLOPE_SLACK)
        out.append(f"    {op}: {text}"
                   + ("  <-- grows faster than upstream" if flag else ""))
    return out


def summary(ratios, ops, logs):
    """Return the summary lines: goals, growth, missing inputs, FAILED."""
    over_i = [f"{w} ({fmt_ratio(ri)})" for w, ri, _ in ratios
              if ri is not None and ri > INSTR_GOAL]
    over_w = [f"{w} ({fmt_ratio(rw)})" for w, _, rw in ratios
              if rw is not None and rw > WALL_GOAL]
    out = ["summary:"]
    for what, over, goal in (("instr", over_i, INSTR_GOAL),
                             ("wall", over_w, WALL_GOAL)):
        out.append(f"  {len(over)} rows with {what} ratio > {goal:.0f}%"
                   + (": " + ", ".join(over) if over else ""))
    grown = growth(ops)
    if grown:
        out += ["  growth, log-log slope of cost over N (1 = linear):"] + grown
    for key, name in INPUTS.items():
        if logs[key] is None:
            out.append(f"  {name}: missing, shown as -")
        elif logs[key]["failed"]:
            out.append(f"  {name}: {len(logs[key]['failed'])} FAILED lines")
            out += [f"    {line}" for line in logs[key]["failed"]]
    return out


def gnuplot_terminal():
    """Return the best PNG terminal gnuplot offers, None without gnuplot."""
    if not shutil.which("gnuplot"):
        return None
    try:
        probe = subprocess.run(["gnuplot", "-e", "set terminal"], text=True,
                               capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if "pngcairo" in probe.stdout + probe.stderr:
        return "pngcairo size 900,420 noenhanced"
    return "png size 900,420 noenhanced"


def panel(dat, title, ylabel, cols, has):
    """Return gnuplot commands for one log-log panel of the multiplot."""
    lines = [f"set title '{title}'", f"set ylabel '{ylabel}'"]
    curves = [f"'{dat}' using 1:{col} lw 2 ps 1.2 title '{label}'"
              for col, label in cols if has[col]]
    if not curves:
        return lines + ["unset logscale", "set key off", "unset tics",
                        "set xrange [0:1]", "set yrange [0:1]",
                        "set label 1 'no data' at 0.5,0.5 center",
                        "plot NaN notitle", "unset label 1", "set key on",
                        "set tics", "set autoscale", "set logscale xy"]
    return lines + ["plot " + ", ".join(curves)]


def plot(plots, op, by_n, terminal):
    """Write plots/OP.dat and, with a terminal, render plots/OP.png."""
    name = re.sub(r"[^A-Za-z0-9_-]", "_", op)
    with open(os.path.join(plots, name + ".dat"), "w") as f:
        f.write("# N " + " ".join(COLUMNS) + "\n")
        for n in sorted(by_n):
            vals = [by_n[n].get(k) for k in COLUMNS]
            f.write(f"{n} " + " ".join("NaN" if v is None else f"{v:.10g}"
                                       for v in vals) + "\n")
    if terminal is None:
        return False
    has = {i + 2: any((by_n[n].get(k) or 0) > 0 for n in by_n)
           for i, k in enumerate(COLUMNS)}
    title = op.replace("'", "''")
    script = [f"set terminal {terminal}", f"set output '{name}.png'",
              "set datafile missing 'NaN'", "set logscale xy", "set grid",
              "set key top left Left reverse box opaque",
              "set xlabel 'N'", "set style data linespoints",
              f"set multiplot layout 1,2 title '{title}'"]
    script += panel(name + ".dat", "instructions (icount)",
                    "guest instructions / op",
                    [(2, "ours"), (3, "upstream 6.12")], has)
    script += panel(name + ".dat", "wall clock (MTTCG)", "wall ns / op",
                    [(4, "ours"), (5, "upstream 6.12")], has)
    script.append("unset multiplot")
    try:
        run = subprocess.run(["gnuplot"], input="\n".join(script) + "\n",
                             text=True, capture_output=True, cwd=plots,
                             timeout=120, check=False)
        error = run.stderr.strip() if run.returncode else None
    except (OSError, subprocess.TimeoutExpired) as e:
        error = str(e)
    if error:
        print(f"note: gnuplot failed on {op}: {error}")
    return error is None


def write_tables(outdir, ops, sizes, below):
    """Print the report and write it to OUTDIR/bench.txt and bench.md."""
    header = ["op", "N", "instr ours", "instr upstream", "ratio",
              "wall ns ours", "wall ns upstream", "ratio"]
    rows = table_rows(ops)[0]
    text, md = render_text(header, rows), render_md(header, rows)
    if sizes:
        srows = [[f"struct {s}", str(o), str(u), "ok" if o <= u else "LARGER"]
                 for s, (o, u) in sizes.items()]
        sheader = ["struct", "ours", "upstream", "check"]
        text += [""] + render_text(sheader, srows)
        md += [""] + render_md(sheader, srows)
    text += [""] + below
    md += ["", "```"] + below + ["```"]
    os.makedirs(outdir, exist_ok=True)
    for name, lines in (("bench.txt", text), ("bench.md", md)):
        with open(os.path.join(outdir, name), "w") as f:
            f.write("\n".join(lines) + "\n")
    print("\n".join(text))
    print(f"\nwrote {os.path.join(outdir, 'bench.txt')} and "
          f"{os.path.join(outdir, 'bench.md')}")


def write_plots(outdir, ops):
    """Write a .dat and a .png per op measured at two or more N."""
    multi = {op: by_n for op, by_n in ops.items() if len(by_n) >= 2}
    if not multi:
        return
    plots = os.path.join(outdir, "plots")
    os.makedirs(plots, exist_ok=True)
    terminal = gnuplot_terminal()
    if terminal is None:
        print("note: gnuplot not installed, wrote the .dat files only")
    drawn = sum(plot(plots, op, by_n, terminal) for op, by_n in multi.items())
    print(f"wrote {len(multi)} .dat and {drawn} .png files in {plots}")


def report(args):
    """Run the report subcommand; return the exit status."""
    logs = {key: parse_log(getattr(args, name.lower()))
            for key, name in INPUTS.items()}
    ops = collect(logs)
    sizes = {}
    for key in (("wall", "ours"), ("instr", "ours")):
        for s, v in (logs[key] or {"sizes": {}})["sizes"].items():
            sizes.setdefault(s, v)
    if not ops and not sizes:
        print("bench: no benchmark line in any input; did the boots break?")
        return 1
    write_tables(args.outdir, ops, sizes,
                 summary(table_rows(ops)[1], ops, logs))
    write_plots(args.outdir, ops)
    return 0


UP_PREFIXES = ("bench_up_", "bench_upstream_", "__export_symbol_",
               "__ksymtab_", "__kstrtab_", "__kstrtabns_", "__crc_")


def nm(path):
    """(defined globals, undefined) symbol names of an object file."""
    out = subprocess.run(["nm", path], capture_output=True, text=True,
                         check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 2 and f[0] == "U":
            undefined.add(f[1])
        elif len(f) == 3 and f[1] in "TDRBGSVW":
            defined.add(f[2])
    return defined, undefined


def symbols(args):
    """Check the renaming of the upstream copies (see the docstring)."""
    tests = os.path.join(args.tree, "drivers/dma-buf/tests")
    up = os.path.join(tests, "upstream")
    objs = sorted(os.path.join(up, f) for f in os.listdir(up)
                  if f.endswith(".o")) if os.path.isdir(up) else []
    if not objs:
        print("bench: no upstream copies built, nothing to check")
        return 0
    objs.append(os.path.join(tests, "dmabuf-bench-upstream.o"))
    ours = set()
    db = os.path.join(args.tree, "drivers/dma-buf")
    for d, _, names in os.walk(db):
        if d.startswith(tests):
            continue
        for n in names:
            if n.endswith(".o") and not n.endswith(".mod.o") and \
                    n != "built-in.a":
                ours |= nm(os.path.join(d, n))[0]
    bad = []
    for o in objs:
        defined, undefined = nm(o)
        rel = os.path.relpath(o, args.tree)
        for sym in sorted(defined):
            if not sym.startswith(UP_PREFIXES) and \
                    sym != "dmabuf_bench_upstream":
                bad.append("%s defines %s without the bench_up_ prefix" %
                           (rel, sym))
        for sym in sorted(undefined & ours):
            bad.append("%s calls %s of this tree" % (rel, sym))
    for b in bad:
        print("bench: " + b, file=sys.stderr)
    if bad:
        return 1
    print("bench: %d upstream objects, all globals renamed, none calls "
          "into this tree (%d symbols of ours checked)" % (len(objs),
                                                             len(ours)))
    return 0


def main():
    """Parse the command line and run the subcommand."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("report", help="tabulate and plot four boots' logs")
    rep.add_argument("outdir", metavar="OUTDIR")
    for name in INPUTS.values():
        rep.add_argument(name.lower(), metavar=name)
    rep.set_defaults(func=report)
    sym = sub.add_parser("symbols", help="check the upstream copies' "
                         "renaming in a built tree")
    sym.add_argument("tree", metavar="TREE")
    sym.set_defaults(func=symbols)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
