"""Measure grading: the learner's self-check, one student's whole course, a class of 30.

    .venv/bin/python benchmarks/grading.py            # all three (about 10 minutes on 2 cores)
    .venv/bin/python benchmarks/grading.py progress   # only course-check progress
    GRADING_FAST=1 .venv/bin/python benchmarks/grading.py student class   # the same with --fast
    GRADING_JOBS=2 ...                                # another number of workers

Targets (issue 10): ``course-check progress`` on the whole course (7 notebooks) in at most 10 s,
one student's whole course through ``course-check class`` in at most 20 s, a class of 30
generated submissions of the whole course in at most 6 minutes, on 2 cores.  Figures are
reported, never asserted (the tests never time anything).

The class: 30 students, each submitting all 7 notebooks: 8 correct, 8 partial (a random half of
the answers), 6 blank and 8 with planted mistakes (in three random answers, every array the
function returns is negated), so the mistake report has something to say.  Sandboxed as root.
"""
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import nbedit  # noqa: E402

BIN = Path(sys.executable).parent
ENV = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir() and p.name[:2].isdigit())


def course_check(*args, cwd=ROOT):
    started = time.perf_counter()
    proc = subprocess.run([str(BIN / "course-check"), *args], cwd=cwd, env=ENV, capture_output=True, text=True)
    return time.perf_counter() - started, proc


def solved(a, parts=None):
    nb = nbedit.read(ROOT / "notebooks" / a / f"{a}.ipynb")
    sol = nbedit.read(ROOT / "solutions" / a / f"{a}.ipynb")
    for c in nbedit.solution_cells(sol):
        gid = c["metadata"]["nbgrader"]["grade_id"]
        if parts is None or gid in parts:
            nbedit.set_source(nb, gid, nbedit.source(sol, gid))
    return nb


PLANT = '''
_planted_{name} = {name}
def {name}(*args, **kwargs):
    out = _planted_{name}(*args, **kwargs)
    flip = lambda v: -v if isinstance(v, (np.ndarray, float)) else v
    return tuple(flip(v) for v in out) if isinstance(out, tuple) else flip(out)
'''


def planted(a, rng):
    nb = solved(a)
    answers = [c["metadata"]["nbgrader"]["grade_id"] for c in nbedit.solution_cells(nb)
               if f"def {c['metadata']['nbgrader']['grade_id']}(" in nbedit.source(nb, c["metadata"]["nbgrader"]["grade_id"])]
    for name in rng.sample(answers, min(3, len(answers))):
        nbedit.set_source(nb, name, nbedit.source(nb, name) + PLANT.format(name=name))
    return nb


def make_course(students):
    course = Path(tempfile.mkdtemp(prefix="bench-course-", dir="/tmp"))
    os.chmod(course, 0o755)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    rng = random.Random(0)
    for student, kind in students.items():
        for a in ASSIGNMENTS:
            answers = [c["metadata"]["nbgrader"]["grade_id"]
                       for c in nbedit.solution_cells(nbedit.read(ROOT / "solutions" / a / f"{a}.ipynb"))]
            nb = {"correct": lambda: solved(a),
                  "partial": lambda: solved(a, set(rng.sample(answers, len(answers) // 2))),
                  "blank": lambda: nbedit.read(ROOT / "notebooks" / a / f"{a}.ipynb"),
                  "planted": lambda: planted(a, rng)}[kind]()
            nbedit.write(nb, course / "submitted" / student / a / f"{a}.ipynb")
    return course


def bench_progress():
    """course-check progress on the whole course: the solutions (every cell runs) and blanks."""
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        solved_course = Path(tmp) / "solved"
        (solved_course / "notebooks").mkdir(parents=True)
        (solved_course / "solutions").symlink_to(ROOT / "solutions")
        for a in ASSIGNMENTS:
            shutil.copytree(ROOT / "solutions" / a, solved_course / "notebooks" / a)
        for label, folder in (("solved", solved_course / "notebooks"), ("blank", ROOT / "notebooks")):
            times = []
            for _ in range(3):
                seconds, proc = course_check("progress", str(folder), "--jobs", "2")
                times.append(seconds)
            figures[label] = statistics.median(times)
            print(f"course-check progress, whole course ({len(ASSIGNMENTS)} notebooks, {label}): "
                  f"median {figures[label]:.2f} s of 3 runs ({', '.join(f'{t:.2f}' for t in times)}); "
                  f"{proc.stdout.strip().splitlines()[-1]}")
    return figures


def bench_class(n_students):
    kinds = (["correct"] * 8 + ["partial"] * 8 + ["blank"] * 6 + ["planted"] * 8)[:n_students] \
        if n_students >= 30 else ["correct"] * n_students
    students = {f"student{i:02d}_{kind}": kind for i, kind in enumerate(kinds)}
    course = make_course(students)
    try:
        setup, _ = course_check("gradebook", "--course", str(course))
        print(f"course-check gradebook (7 assignments into a new gradebook, once per course): {setup:.1f} s")
        jobs = os.environ.get("GRADING_JOBS")          # default: the command's own (cores + 1)
        extra = (["--jobs", jobs] if jobs else []) + (["--fast"] if os.environ.get("GRADING_FAST") else [])
        seconds, proc = course_check("class", "--all", "--course", str(course), *extra)
        run = json.loads((course / "class_report" / "run.json").read_text())
        per_student = []
        with open(course / "class_report" / "students.csv", encoding="utf-8") as fh:
            import csv
            rows = list(csv.DictReader(fh))
        print(f"course-check class --all: {len(students)} student(s) x {len(ASSIGNMENTS)} notebooks: "
              f"{seconds:.1f} s wall on {run['workers']} workers{' (--fast)' if 'fast' in ' '.join(extra) else ''} ({'sandboxed' if run['sandboxed'] else 'not sandboxed'}), "
              f"exit {proc.returncode}, {sum(r['status'] == 'graded' for r in rows)} of {len(rows)} graded, "
              f"gradebook: {run['lost']} lost")
        if n_students >= 30:
            summary = proc.stdout[proc.stdout.index("Class mistake report"):].splitlines()[:8]
            print("  " + "\n  ".join(summary))
        keep = Path(tempfile.gettempdir()) / f"grading-benchmark-{n_students}"
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(course / "class_report", keep, ignore=shutil.ignore_patterns("logs"))
        print(f"  reports kept in {keep}")
        return seconds, per_student
    finally:
        shutil.rmtree(course, ignore_errors=True)


def main(argv):
    what = argv[1:] or ["progress", "student", "class"]
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    if "progress" in what:
        bench_progress()
    if "student" in what:
        bench_class(1)
    if "class" in what:
        bench_class(30)


if __name__ == "__main__":
    main(sys.argv)
