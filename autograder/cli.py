"""course-check: grade notebooks without a kernel, and show progress.

    course-check progress [DIR]      table of every notebook under DIR (default: notebooks)
    course-check grade NOTEBOOK...   each graded cell of each notebook, with the reasons

Each notebook runs in its own subprocess with a time limit, so a notebook
that crashes Python or never finishes is reported and the others still run.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

NOTEBOOK_SECONDS = 300


def _grade_here(path):
    """Runs inside the child process: grade one notebook, print JSON."""
    from .loader import grade_notebook
    nb = grade_notebook(path)
    rows = [dict(grade_id=r.grade_id, points=r.points, passed=r.passed, message=r.message)
            for r in nb.tests]
    sys.stdout.write("\n@@RESULT@@" + json.dumps(rows))


def grade_in_subprocess(path, seconds=NOTEBOOK_SECONDS):
    """[{grade_id, points, passed, message}] for one notebook, or a one-row failure."""
    cmd = [sys.executable, "-c", "import sys; from autograder.cli import _grade_here; _grade_here(sys.argv[1])",
           str(path)]
    env = dict(os.environ, MPLBACKEND="Agg")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds, env=env)
    except subprocess.TimeoutExpired:
        return [dict(grade_id="(whole notebook)", points=0, passed=False,
                     message=f"did not finish within {seconds} s")]
    marker = proc.stdout.rfind("@@RESULT@@")
    if marker < 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return [dict(grade_id="(whole notebook)", points=0, passed=False,
                     message=f"the notebook stopped Python (exit code {proc.returncode}): {tail}")]
    return json.loads(proc.stdout[marker + len("@@RESULT@@"):])


def _status(row):
    if row["passed"]:
        return "passed"
    if "not implemented yet" in row["message"] or "NotImplementedError" in row["message"]:
        return "not implemented yet"
    return "failed"


def cmd_progress(args):
    root = Path(args.dir)
    notebooks = sorted(p for p in root.glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not notebooks:
        print(f"no notebooks found under {root}/<assignment>/")
        return 1
    total_done = total_all = 0
    for nb in notebooks:
        rows = grade_in_subprocess(nb)
        done = sum(r["points"] for r in rows if r["passed"])
        points = sum(r["points"] for r in rows)
        total_done, total_all = total_done + done, total_all + points
        print(f"{nb.stem:<40} {done:>3g} / {points:g} points")
        for row in rows:
            got = row["points"] if row["passed"] else 0
            mark = "x" if row["passed"] else " "
            print(f"  [{mark}] {row['grade_id']:<34} {got:>2g}/{row['points']:<3g} {_status(row)}")
    print(f"\ntotal: {total_done:g} / {total_all:g} points")
    return 0


def cmd_grade(args):
    worst = 0
    for path in args.notebooks:
        rows = grade_in_subprocess(path)
        got = sum(r["points"] for r in rows if r["passed"])
        total = sum(r["points"] for r in rows)
        print(f"== {path}: {got:g} / {total:g} points")
        for row in rows:
            print(f"  {row['grade_id']}: {_status(row)}")
            if not row["passed"]:
                worst = 1
                for line in row["message"].splitlines():
                    print(f"      {line}")
    return worst


def main(argv=None):
    parser = argparse.ArgumentParser(prog="course-check", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("progress", help="progress table of every notebook in a folder")
    p.add_argument("dir", nargs="?", default="notebooks")
    p.set_defaults(func=cmd_progress)
    g = sub.add_parser("grade", help="grade notebooks and show why a cell failed")
    g.add_argument("notebooks", nargs="+")
    g.set_defaults(func=cmd_grade)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
