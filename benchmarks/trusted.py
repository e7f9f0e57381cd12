"""Trusted grading, measured (reported, never asserted).

    .venv/bin/python benchmarks/trusted.py            # times per notebook and for one student's course
    .venv/bin/python benchmarks/trusted.py --cheats   # also the cheat table (needs a Jupyter kernel)

1. Time per notebook of ``autograder.trusted.grader.grade`` (the grader process plus one learner process)
   against in-process grading (``python -m autograder.trusted inprocess``: a fresh interpreter that
   runs the submission's cells, then the source's test cells, as course-check does), on the
   solution notebooks; round trips between the two processes; the learner process's start-up.
2. One student's whole course: the seven notebooks one after the other, and two at a time.
3. ``--cheats``: every cheat of tests/trusted/test_integrity.py on a blank 01_chain_rule (and
   00_finite_differences): its score in a real kernel (nbclient, with the source's test cells put
   back as nbgrader's autograde does, a cell scoring 0 when it errors or writes to stderr), in one
   process, and through trusted.grade, with the key trusted.grade names.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AUTOGRADER_CALL_SECONDS", "20")
os.environ.setdefault("MPLBACKEND", "Agg")

from autograder.trusted import grader as trusted  # noqa: E402

NOTEBOOKS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir() and p.name[:2].isdigit())


def solution(a):
    return ROOT / "solutions" / a / f"{a}.ipynb"


def in_process(sub, src):
    began = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "autograder.trusted", "inprocess", str(sub), str(src)],
                          capture_output=True, text=True, cwd=ROOT)
    took = time.perf_counter() - began
    try:
        return json.loads(proc.stdout.splitlines()[-1]), took
    except (IndexError, ValueError):       # the submission broke the grading process itself
        return None, took


class Counting(trusted.LearnerSession):
    """A LearnerSession that keeps its figures."""
    last = None

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.trips = 0
        Counting.last = self

    def end_test(self):
        if self.endpoint is not None:
            self.trips += self.endpoint.round_trips
            self.endpoint.round_trips = 0
        super().end_test()


def trusted_timed(sub, src):
    real = trusted.LearnerSession
    trusted.LearnerSession = Counting
    try:
        began = time.perf_counter()
        rows = trusted.grade(sub, src)
        took = time.perf_counter() - began
    finally:
        trusted.LearnerSession = real
    s = Counting.last
    return rows, took, s.trips, s.startup_seconds


def _grade_one_notebook(a):
    began = time.perf_counter()
    rows = trusted.grade(solution(a), solution(a))
    return a, trusted.score(rows), time.perf_counter() - began


def times():
    print("## Per notebook (solution notebooks; seconds, this machine)\n")
    print("| notebook | trusted.grade | in process | ratio | round trips | learner start-up | score |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    totals = [0.0, 0.0]
    for a in NOTEBOOKS:
        rows, t, trips, starts = trusted_timed(solution(a), solution(a))
        base, b = in_process(solution(a), solution(a))
        totals[0] += t
        totals[1] += b
        total = sum(r["points"] for r in rows)
        print(f"| {a} | {t:.2f} | {b:.2f} | {t / b:.1f} | {trips:,} | {', '.join(f'{s:.2f}' for s in starts)} | "
              f"{trusted.score(rows):g} / {total:g} (in process {trusted.score(base):g}) |")
    print(f"| **one student's course, one after the other** | **{totals[0]:.1f}** | **{totals[1]:.1f}** | "
          f"{totals[0] / totals[1]:.1f} | | | |")
    began = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_grade_one_notebook, NOTEBOOKS))
    print(f"\nOne student's course through trusted.grade, two notebooks at a time: "
          f"{time.perf_counter() - began:.1f} s (load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores).")


# --- the cheat table ------------------------------------------------------------------------------------

def in_kernel_score(path, src):
    """nbgrader's way: the source's test cells put back, the notebook run in a kernel, a test cell
    scoring its points unless it errors or writes to stderr."""
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(str(path), as_version=4)
    source = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nbformat.read(str(src), as_version=4).cells}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and meta.get("grade_id") in source:
            cell.source = source[meta["grade_id"]].source
            meta["points"] = source[meta["grade_id"]].metadata["nbgrader"]["points"]
    with tempfile.TemporaryDirectory() as work:
        client = NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3",
                                resources={"metadata": {"path": work}})
        try:
            client.execute()
        except Exception as exc:  # a kernel that died
            return f"kernel died ({type(exc).__name__})"
    score = 0.0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            bad = any(o.get("output_type") == "error" or (o.get("output_type") == "stream" and o.get("name") == "stderr")
                      for o in cell.get("outputs", []))
            score += 0 if bad else float(meta.get("points", 0))
    return score


def cheats():
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "trusted")]
    import nbedit
    import test_integrity as ti
    print("\n## Cheats (blank answers plus the cheat)\n")
    print("| cheat | notebook | in a kernel | in one process | trusted.grade | named |")
    print("|---|---|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = [(name, a, lambda name=name, a=a: ti.with_cell(a, ti.CHEATS[name]))
                 for name in ti.CHEATS for a in ("01_chain_rule", "00_finite_differences")]
        for name, (a, cell, source, _) in ti.ANSWERS.items():
            def make(a=a, cell=cell, source=source):
                nb = nbedit.read(ROOT / "notebooks" / a / f"{a}.ipynb")
                nbedit.set_source(nb, cell, source)
                return nb
            cases.append((name, a, make))
        for name, a, make in cases:
            path = tmp / f"{a}.ipynb"
            nbedit.write(make(), path)
            src = solution(a)
            kernel = in_kernel_score(path, src)
            base, _ = in_process(path, src)
            rows = trusted.grade(path, src)
            keys = sorted({r["key"] for r in rows if r["key"] in ("tampering", "uses_course_code")})
            total = sum(r["points"] for r in rows)
            kernel_text = f"{kernel:g} / {total:g}" if isinstance(kernel, float) else kernel
            base_text = f"{trusted.score(base):g} / {total:g}" if base is not None else "crashed"
            print(f"| {name} | {a[:2]} | {kernel_text} | {base_text} | "
                  f"{trusted.score(rows):g} / {total:g} | {', '.join(keys) or 'no'} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cheats", action="store_true", help="also measure the cheat table (a kernel per cheat)")
    parser.add_argument("--only-cheats", action="store_true")
    args = parser.parse_args()
    if not args.only_cheats:
        times()
    if args.cheats or args.only_cheats:
        cheats()


if __name__ == "__main__":
    main()
