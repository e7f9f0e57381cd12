"""How long each cell of each solution notebook takes in a fresh kernel.

    .venv/bin/python benchmarks/cell_times.py [--repeat 3] [NN_topic ...]

Runs every solution notebook top to bottom in a new Jupyter kernel (as a learner
does with "Run All"), ``--repeat`` times, and prints per notebook: the kernel's
start-up, the setup cell, the total of the other cells, and the slowest cells
(median over the runs), with the machine's load average before and after, so that a figure can
be quoted with the conditions it was measured under.  Figures are reported, never asserted: the
README's workshop timings come from here.
"""
import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def run_in_kernel(path, timeout=600):
    """Run a notebook top to bottom in a fresh kernel (nbclient), timing each code cell.

    Returns {"startup": seconds until the kernel answers, "total": seconds from the kernel's start
    to the end of the last cell, "cells": [{index, grade_id, points, test, first, seconds}]}.
    benchmarks/bench_course.py uses it too.
    """
    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    cells = []
    with client.setup_kernel():
        startup = time.perf_counter() - start
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t0 = time.perf_counter()
            client.execute_cell(cell, index)
            meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
            first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            cells.append({"index": index, "grade_id": meta.get("grade_id", ""),
                          "points": meta.get("points", 0) or 0,
                          "test": bool(meta.get("grade")) and not meta.get("solution"),
                          "first": first[:60], "seconds": time.perf_counter() - t0})
        total = time.perf_counter() - start
    return {"startup": startup, "total": total, "cells": cells}


def run_once(path):
    """[(cell index, first line, seconds)] for every code cell, plus kernel start-up seconds."""
    run = run_in_kernel(path)
    return run["startup"], [(c["index"], c["first"], c["seconds"]) for c in run["cells"]]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="assignment names (default: all)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top", type=int, default=4, help="how many of the slowest cells to list")
    args = parser.parse_args(argv)
    names = args.notebooks or sorted(p.name for p in (ROOT / "solutions").iterdir()
                                     if p.is_dir() and p.name[:2].isdigit())
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, median of {args.repeat} fresh-kernel runs; load average "
          f"{os.getloadavg()[0]:.1f} at the start")
    for name in names:
        path = ROOT / "solutions" / name / f"{name}.ipynb"
        runs = [run_once(path) for _ in range(args.repeat)]
        startup = statistics.median(r[0] for r in runs)
        per_cell = {}
        for _, times in runs:
            for index, first, seconds in times:
                per_cell.setdefault((index, first), []).append(seconds)
        medians = {key: statistics.median(v) for key, v in per_cell.items()}
        cells = sorted(medians.items(), key=lambda kv: kv[0][0])
        setup = cells[0][1] if cells else 0.0
        rest = sum(s for _, s in cells[1:])
        over_half = sum(1 for _, s in cells[1:] if s > 0.5)
        print(f"\n{name}: kernel start {startup:.2f} s, setup cell {setup:.2f} s, "
              f"{len(cells) - 1} other cells {rest:.2f} s in total, {over_half} over 0.5 s")
        for (index, first), seconds in sorted(cells[1:], key=lambda kv: -kv[1])[:args.top]:
            print(f"  cell {index:3d}  {seconds:6.3f} s  {first}")
    print(f"\n# load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
