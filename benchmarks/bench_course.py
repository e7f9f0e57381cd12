"""Section 5 of `make bench`: how long the course makes people wait.

- every check cell of every solution notebook, timed two ways: **in-process** (the cell's code run
  with ``exec`` after the notebook's earlier cells, as ``course-check`` runs it: the check alone)
  and **in a kernel** (nbclient, as a learner's "Run" does: the check plus the kernel's messaging);
- each solution notebook's full run in a fresh kernel (start-up included);
- the whole-course self-check ``course-check progress`` on the learner notebooks (all stubs) and
  on the solutions (every check runs to the end);
- nbgrader: one student's whole course, and a class of generated submissions (correct, partial,
  blank, planted mistakes) of one assignment.

To measure another grading command, change ``grade`` only (and ``SELF_CHECK`` for another
self-check command).
"""
import contextlib
import csv
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SELF_CHECK = [str(BIN / "course-check"), "progress"]


def assignments():
    return sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir() and p.name[:2].isdigit())


def solution_path(assignment, root=ROOT):
    return root / "solutions" / assignment / f"{assignment}.ipynb"


def learner_path(assignment, root=ROOT):
    return root / "notebooks" / assignment / f"{assignment}.ipynb"


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_test_cell(cell):
    meta = _meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _code(cell):
    src = cell.get("source", "")
    src = "".join(src) if isinstance(src, list) else src
    return "\n".join(("pass  # " + line) if line.lstrip().startswith(("%", "!")) else line
                     for line in src.splitlines())


# ---------------------------------------------------------------------------------------------
# Check cells in-process


def _exec(code, namespace, label):
    out, err = io.StringIO(), io.StringIO()
    message = ""
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = lambda m, c, f, l, file=None, line=None: err.write(f"{c.__name__}: {m}\n")
        try:
            exec(compile(code, label, "exec"), namespace)
        except BaseException as exc:  # noqa: BLE001 (a notebook cell may raise anything)
            message = f"{type(exc).__name__}: {exc}".splitlines()[0]
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
    return message or (f"wrote to stderr: {err.getvalue().strip()[:200]}" if err.getvalue().strip() else "")


def _origin(filename):
    if filename.startswith("<") and ".ipynb" in filename:
        return "the notebook's code (the learner's functions)"
    if f"{os.sep}autograder{os.sep}" in filename:
        return "autograder (the check itself)"
    if filename.startswith("~") or filename.startswith("<"):
        return "numpy and Python built-ins (called from either)"
    return "libraries (numpy, matplotlib, ...)"


def profile_breakdown(code, namespace, label):
    """Run a cell under cProfile; its own time grouped by where the code lives."""
    import cProfile
    import pstats
    prof = cProfile.Profile()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        prof.enable()
        try:
            exec(compile(code, label, "exec"), namespace)
        except BaseException:  # noqa: BLE001
            pass
        prof.disable()
    stats = pstats.Stats(prof)
    groups = {}
    for (filename, _, _), (_, _, tt, _, _) in stats.stats.items():
        groups[_origin(filename)] = groups.get(_origin(filename), 0.0) + tt
    total = sum(groups.values()) or 1.0
    return {"seconds": total, "groups": {k: v / total for k, v in sorted(groups.items(), key=lambda kv: -kv[1])}}


def check_cells_in_process(assignment, repeats=3, profile=None):
    """Run a solution notebook's code cells in order in one namespace; each test cell runs
    ``repeats`` times in a row at its place (median over the runs; the first run is also reported
    apart: it may import or build what later runs reuse).  Returns {"total": seconds of one pass over every cell,
    "cells": [{grade_id, points, first, median, max, cpu, passed, message}]}; with ``profile`` (a
    grade id), also "profile": that cell's own time grouped by where its code lives."""
    path = solution_path(assignment)
    nb = json.loads(path.read_text(encoding="utf-8"))
    os.environ.setdefault("MPLBACKEND", "Agg")
    namespace = {"__name__": "__main__", "__file__": str(path)}
    here = os.getcwd()
    os.chdir(path.parent)
    cells, total, profiled = [], 0.0, None
    try:
        for index, cell in enumerate(nb["cells"]):
            if cell.get("cell_type") != "code":
                continue
            code, label = _code(cell), f"<{path.name} cell {index}>"
            times, cpu, message = [], [], ""
            for _ in range(repeats if is_test_cell(cell) else 1):
                start, start_cpu = time.perf_counter(), time.process_time()
                message = _exec(code, namespace, label) or message
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            total += times[0]
            if is_test_cell(cell) and profile and _meta(cell).get("grade_id") == profile:
                profiled = profile_breakdown(code, namespace, label)
            if is_test_cell(cell):
                meta = _meta(cell)
                cells.append({"grade_id": meta.get("grade_id", ""), "points": meta.get("points", 0),
                              "first": times[0], "median": statistics.median(times), "max": max(times),
                              "cpu": statistics.median(cpu), "passed": not message, "message": message})
    finally:
        os.chdir(here)
    out = {"total": total, "cells": cells}
    if profiled:
        out["profile"] = {"grade_id": profile, **profiled}
    return out


# ---------------------------------------------------------------------------------------------
# Notebooks in a kernel


def notebooks_in_kernel(names, repeats=2):
    """Each solution notebook in a fresh kernel, ``repeats`` times: full run and test cells."""
    from benchmarks.cell_times import run_in_kernel
    out = {}
    for name in names:
        runs = [run_in_kernel(solution_path(name)) for _ in range(repeats)]
        tests = {}
        for run in runs:
            for cell in run["cells"]:
                if cell["test"]:
                    tests.setdefault(cell["grade_id"], []).append(cell["seconds"])
        slowest = {}
        for run in runs:
            for cell in run["cells"]:
                if not cell["test"]:
                    slowest.setdefault((cell["index"], cell["first"]), []).append(cell["seconds"])
        top = sorted(((statistics.median(v), k) for k, v in slowest.items()), reverse=True)[:3]
        out[name] = {"startup": [r["startup"] for r in runs], "total": [r["total"] for r in runs],
                     "tests": {gid: {"median": statistics.median(v), "max": max(v)} for gid, v in tests.items()},
                     "slowest_other_cells": [{"index": k[0], "first": k[1], "median": s} for s, k in top]}
        print(f"    {name}: full run in a kernel {statistics.median(out[name]['total']):.2f} s, "
              f"slowest check cell {max((t['median'] for t in out[name]['tests'].values()), default=0):.3f} s")
    return out


# ---------------------------------------------------------------------------------------------
# The self-check


def children_cpu():
    """CPU seconds (user + system) used so far by this process's finished child processes (and
    theirs): with the wall time, it tells waiting from working."""
    try:
        import resource
    except ImportError:
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_check(folders=("notebooks", "solutions"), repeats=2):
    """Wall time of ``course-check progress FOLDER`` (a new process each time, as a learner runs it)."""
    out = {}
    for folder in folders:
        times, cpu, last = [], [], ""
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), children_cpu()
            proc = subprocess.run(SELF_CHECK + [folder], cwd=ROOT, capture_output=True, text=True,
                                  env=dict(os.environ, MPLBACKEND="Agg"))
            times.append(time.perf_counter() - start)
            cpu.append(children_cpu() - start_cpu)
            last = (proc.stdout.strip().splitlines() or [""])[-1]
        out[folder] = {"seconds": times, "cpu": cpu, "exit_code": proc.returncode, "last_line": last,
                       "command": " ".join(["course-check", "progress", folder])}
        print(f"    course-check progress {folder}: {statistics.median(times):.1f} s ({last})")
    return out


# ---------------------------------------------------------------------------------------------
# nbgrader


def nbgrader(args, course, timeout=3600):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", MPLBACKEND="Agg")
    exe = BIN / "nbgrader"
    cmd = [str(exe) if exe.exists() else "nbgrader"] + list(args)
    return subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True, timeout=timeout)


def grade(course, assignment):
    """Grade every submission of ``assignment`` (an id, or "*" for all) in the course folder.

    This is the one function to change to measure another grading command: it gets a course
    folder laid out as nbgrader's, with the gradebook made by generate_assignment and submissions
    under submitted/.  Today: the class-grading command, with its default grader (nbgrader's
    autograde, then trusted grading, the grade of record), one worker more than the cores.
    """
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", MPLBACKEND="Agg")
    which = ["--all"] if assignment == "*" else [assignment]
    return subprocess.run([str(BIN / "course-check"), "class", *which, "--course", str(course), "--quiet"],
                          cwd=course, env=env, capture_output=True, text=True, timeout=3600)


GRADER = ("course-check class ASSIGNMENT (nbgrader autograde for each submission, then trusted grading, "
          "the grade of record; one worker more than the cores)")


def make_course(folder, names):
    """A copy of the course in ``folder``: the config, the solutions of ``names``, and
    ``nbgrader generate_assignment`` run on them (learner notebooks and the gradebook)."""
    folder = Path(folder)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    for name in names:
        shutil.copytree(ROOT / "solutions" / name, folder / "solutions" / name)
    start = time.perf_counter()
    proc = nbgrader(["generate_assignment", "*", "--force"], folder)
    if proc.returncode != 0:
        raise RuntimeError(f"generate_assignment failed: {proc.stderr[-1500:]}")
    return time.perf_counter() - start


# Planted mistakes: (solution cell, text in it, replacement); each is a mistake a learner makes.
MISTAKES = {
    "04_vector_backprop": [
        ("affine", "db = dout.sum(axis=0)", "db = dout.mean(axis=0)"),
        ("softmax_cross_entropy", "return loss, dscores / n", "return loss, dscores"),
        ("sigmoid", "return dout * out * (1 - out)", "return dout * sigmoid(out) * (1 - sigmoid(out))"),
        ("relu", "return dout * (z > 0)", "dout[z <= 0] = 0\n    return dout"),
        ("hinge_loss", "    margins[rows, labels] = 0.0", "    pass"),
        ("mse_loss", "diff / n", "diff"),
    ],
    "05_training": [
        ("sgd_step", "params[name] -= lr * grads[name]", "params[name] += lr * grads[name]"),
        ("init_params", "np.sqrt(2.0 / fan_in)", "0.01"),
        ("numerical_grads", "            p[i] = old                                  # leave the network as it was\n", ""),
        ("minibatch_step", "sgd_step(params, grads, lr)", "sgd_step(params, grads, lr / len(X))"),
    ],
}
KINDS = ("correct", "partial", "blank", "mistake")
CLASS_PATTERN = ("correct", "partial", "mistake", "correct", "blank", "partial", "mistake", "correct",
                 "partial", "blank")


def roster(size):
    """[(student id, kind)]: 30 students are 9 correct, 9 partial, 6 blank, 6 planted mistakes."""
    return [(f"s{i + 1:02d}", CLASS_PATTERN[i % len(CLASS_PATTERN)]) for i in range(size)]


def _read(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _cell(nb, grade_id):
    return next(c for c in nb["cells"] if _meta(c).get("grade_id") == grade_id)


def _src(cell):
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def submission(course, assignment, kind, index=0):
    """A submission of ``kind`` made from the learner notebook and the solution (json dict), and
    a note of what it holds; ``index`` (the k-th student of this kind) varies partial submissions
    and picks the planted mistake."""
    nb = _read(learner_path(assignment, Path(course)))
    sol = _read(solution_path(assignment, Path(course)))
    parts = [_meta(c)["grade_id"] for c in sol["cells"] if _meta(c).get("solution") and c["cell_type"] == "code"]
    if kind == "blank":
        return nb, "every exercise left as the stub"
    # a partial submission: the first m exercises, as a learner who stopped on the way (m varies)
    solved = parts if kind in ("correct", "mistake") else parts[:1 + (3 * index) % (len(parts) - 1)]
    for part in solved:
        _cell(nb, part)["source"] = _src(_cell(sol, part))
    note = "every exercise solved" if kind == "correct" else f"{len(solved)} of {len(parts)} exercises solved"
    if kind == "mistake":
        table = MISTAKES.get(assignment)
        if not table:
            part = parts[index % len(parts)]
            _cell(nb, part)["source"] = _src(_cell(sol, part)) + "\nraise ValueError('planted mistake')\n"
            return nb, f"{part}: raises ValueError"
        part, old, new = table[index % len(table)]
        source = _src(_cell(sol, part))
        if old not in source:
            raise ValueError(f"planted mistake for {assignment}/{part} no longer applies: {old!r} is not in the solution")
        _cell(nb, part)["source"] = source.replace(old, new, 1)
        note = f"{part}: {' '.join(old.split())} -> {' '.join(new.split())}"
    return nb, note


def _submit(course, student, assignment, nb):
    path = Path(course) / "submitted" / student / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _scores(course):
    proc = nbgrader(["export"], course)
    if proc.returncode != 0:
        return {}
    with open(Path(course) / "grades.csv", newline="") as fh:
        return {(row["student_id"], row["assignment"]): (float(row["raw_score"] or 0), float(row["max_score"] or 0))
                for row in csv.DictReader(fh)}


def _lost(course, assignment, student):
    """{test cell: points lost} of one graded submission, from the gradebook."""
    from nbgrader.api import Gradebook
    try:
        with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
            nb = gb.find_submission_notebook(assignment, assignment, student)
            return {g.name: g.max_score - (g.score or 0) for g in nb.grades if (g.score or 0) < g.max_score}
    except Exception as exc:  # noqa: BLE001 (a missing submission, an older gradebook)
        return {"(gradebook)": str(exc).splitlines()[0][:100]}


def grading(class_assignment="04_vector_backprop", class_size=30, solo_assignments=None, keep=None):
    """One student's whole course (or ``solo_assignments``), then a class of ``class_size`` on
    ``class_assignment``, each graded by ``grade`` in a fresh copy of the course."""
    solo_assignments = solo_assignments or assignments()
    names = sorted(set(solo_assignments) | {class_assignment})
    out = {"grader": GRADER, "class_assignment": class_assignment, "class_size": class_size,
           "solo_assignments": solo_assignments}
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        out["generate_seconds"] = make_course(base, names)

        solo = Path(tmp) / "solo"
        shutil.copytree(base, solo)
        for a in solo_assignments:
            _submit(solo, "solo", a, submission(solo, a, "correct")[0])
        pattern = "*" if set(solo_assignments) == set(names) else None
        start, start_cpu = time.perf_counter(), children_cpu()
        procs = [grade(solo, pattern)] if pattern else [grade(solo, a) for a in solo_assignments]
        out["solo_seconds"] = time.perf_counter() - start
        out["solo_cpu"] = children_cpu() - start_cpu
        out["solo_ok"] = all(p.returncode == 0 for p in procs)
        scores = _scores(solo)
        out["solo_scores"] = {a: scores.get(("solo", a)) for a in solo_assignments}
        print(f"    one student, {len(solo_assignments)} assignments: {out['solo_seconds']:.1f} s")

        klass = Path(tmp) / "class"
        shutil.copytree(base, klass)
        students, seen = [], {}
        for student, kind in roster(class_size):
            seen[kind] = seen.get(kind, -1) + 1               # the k-th student of this kind
            nb, note = submission(klass, class_assignment, kind, index=seen[kind])
            _submit(klass, student, class_assignment, nb)
            students.append({"student": student, "kind": kind, "note": note})
        start, start_cpu = time.perf_counter(), children_cpu()
        proc = grade(klass, class_assignment)
        out["class_seconds"] = time.perf_counter() - start
        out["class_cpu"] = children_cpu() - start_cpu
        out["class_ok"] = proc.returncode == 0
        scores = _scores(klass)
        for s in students:
            s["score"], s["max"] = scores.get((s["student"], class_assignment), (None, None))
            s["lost"] = _lost(klass, class_assignment, s["student"]) if s["kind"] == "mistake" else {}
        out["students"] = students
        print(f"    a class of {class_size} on {class_assignment}: {out['class_seconds']:.1f} s")
        if keep:
            shutil.copytree(tmp, keep, dirs_exist_ok=True)
    return out


def check_cells(names, repeats=3):
    """Every notebook's check cells in-process; then the slowest cell once more, under cProfile."""
    out = {}
    for name in names:
        out[name] = check_cells_in_process(name, repeats)
        slow = max((c["median"] for c in out[name]["cells"]), default=0)
        print(f"    {name}: check cells in-process, slowest {slow:.3f} s")
    pairs = [(c["cpu"], name, c["grade_id"]) for name, d in out.items() for c in d["cells"]]
    if pairs:
        _, name, grade_id = max(pairs)
        again = check_cells_in_process(name, 1, profile=grade_id)
        if "profile" in again:
            out[name]["profile"] = again["profile"]
    return out
