"""Grade many notebooks kernel-free, in parallel, so that no notebook can take the others down.

One parent process imports numpy, matplotlib (Agg) and every checks module once, then forks one
child per notebook (``workers`` at a time, the longest notebooks first).  A child grades its
notebook with ``autograder.loader`` and sends back one JSON line; before each cell it says which
cell it starts, so when a child dies (``os._exit``, a signal, memory) or runs out of time, the
parent knows the cell and grades the notebook again without it: the notebook is reported
"not graded: <reason>" (as nbgrader, whose kernel dies there, grades nothing of it), and what
the rest earns is kept as ``recovered``.

A result, per notebook::

    {"assignment", "path", "status": "graded" | "not graded: <reason>",
     "score", "max", "recovered", "rows": [{grade_id, points, passed, key, message, status}],
     "notes": [...], "errors": [{"cell", "kind", "key", "message"}], "seconds"}

``score`` is what nbgrader would record (0 when not graded); ``recovered`` what the gradable
part earns.  Rows have the format of ``autograder.trusted.grader.grade``.

Without ``os.fork`` (Windows) each notebook runs in its own ``python -m autograder.grading.runner``.
"""
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .. import i18n
from ..i18n import tr
from ..loader import grade_notebook
from ..trusted import submission

CELL_SECONDS = 30.0
NOTEBOOK_SECONDS = 240.0
RETRIES = 3
# Rough cost of each notebook (seconds of the solution on the reference machine), to start the
# slowest first; unknown notebooks count as the slowest.
COST = {"05_training": 3.0, "04_vector_backprop": 1.3, "06_autodiff": 0.9, "02_jacobian": 0.6,
        "03_scalar_backprop": 0.6, "01_chain_rule": 0.2, "00_finite_differences": 0.1}


def preload(jobs=()):
    """Import what the notebooks import (numpy, matplotlib, their checks modules), once, before
    forking."""
    os.environ["MPLBACKEND"] = "Agg"
    import importlib
    import re
    import numpy  # noqa: F401
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    except ImportError:  # pragma: no cover (matplotlib is a course dependency)
        pass
    names = set()
    for job in jobs:
        for cell in job.get("nb", {}).get("cells", []):
            names.update(re.findall(r"autograder\.checks import (\w+)|fresh\(\s*[\"'](\w+)",
                                    submission.source_text(cell)))
    for name in {n for pair in names for n in pair if n}:
        try:
            importlib.import_module(f"autograder.checks.{name}")
        except Exception:  # the notebook will say so itself
            pass


def _one_line(text):
    text = (text or "").strip()
    if text.startswith("CheckFailed: "):
        text = text[len("CheckFailed: "):]
    return text.splitlines()[0] if text else ""


# --- preparing a job -------------------------------------------------------------------

def placeholder_rows(points, reason):
    """One failed row per graded cell, for a notebook none of whose cells could be graded."""
    return [{"grade_id": gid, "points": pts, "passed": False, "key": "not_graded", "message": reason,
             "status": f"not graded: {reason}"} for gid, pts in points.items()]


def not_graded(assignment, path, reason, max_points=0.0, rows=(), notes=()):
    return {"assignment": assignment, "path": str(path), "status": f"not graded: {reason}",
            "score": 0.0, "max": max_points, "recovered": None, "rows": list(rows), "notes": list(notes),
            "errors": [], "seconds": 0.0}


def prepare(path, *, assignment=None, source=None, exercises=None, presanitized=False):
    """A job for ``run``, or (when the file cannot be graded at all) a finished result."""
    path = Path(path)
    assignment = assignment or path.parent.name
    if exercises is None and not presanitized:
        exercises = submission.exercises_for(assignment)
    max_points = float(sum(p["points"] for p in exercises.parts)) if exercises else 0.0
    points = {f"test_{p['key']}": float(p["points"]) for p in exercises.parts} if exercises else {}
    try:
        nb = submission.read(path)
    except submission.NotANotebook as exc:
        reason = f"{path.name} {exc}"
        return not_graded(assignment, path, reason, max_points, rows=placeholder_rows(points, reason))
    notes = []
    if not presanitized:
        source_nb = None
        if source is not None and Path(source).exists():
            try:
                source_nb = submission.read(source)
            except submission.NotANotebook as exc:
                notes.append(f"the source notebook {source} {exc}: ignored")
        if source_nb is not None and exercises is not None:
            for gid, theirs, ours in submission.points_disagree(source_nb, exercises):
                notes.append(f"course error: {gid} has {theirs} points in the source notebook but "
                             f"{ours} in the checks module; the checks module's points count")
        done = submission.sanitize(nb, assignment=assignment, source_nb=source_nb, exercises=exercises)
        notes += done.notes
        if done.rejected:
            return not_graded(assignment, path, done.rejected, max_points,
                              rows=placeholder_rows(points, done.rejected))
        nb = done.nb
    return {"assignment": assignment, "path": str(path), "nb": nb, "notes": notes, "points": points,
            "skip": [], "max": max_points}


# --- the child ------------------------------------------------------------------------

def _grade(job, cell_seconds, say):
    started = time.perf_counter()
    graded = grade_notebook(job["path"], seconds=cell_seconds, nb=job["nb"], skip=set(job["skip"]),
                            on_cell=lambda index: say(f"cell {index}"))
    rows = []
    for run in graded.tests:
        points = job["points"].get(run.grade_id, run.points)
        rows.append({"grade_id": run.grade_id, "points": points, "passed": run.passed,
                     "key": "" if run.passed else run.key, "message": run.message, "status": "graded"})
    errors = [{"cell": run.index, "kind": run.kind, "key": run.key, "message": _one_line(run.message)}
              for run in graded.runs if not run.passed and run.kind != "test"]
    return {"rows": rows, "errors": errors, "fatal": [reason for _, reason in graded.fatal],
            "seconds": time.perf_counter() - started}


def _child(job, cell_seconds, channel):
    """In the forked child: grade, report on ``channel`` (an fd), never return."""
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        say = lambda line: os.write(channel, (line + "\n").encode())  # noqa: E731
        result = _grade(job, cell_seconds, say)
        data = ("result " + json.dumps(result) + "\n").encode()
        while data:
            data = data[os.write(channel, data):]
    finally:
        os._exit(0)


# --- the parent -----------------------------------------------------------------------

def _finish(job, outcome, fatal_extra):
    fatal = list(fatal_extra) + (outcome["fatal"] if outcome else [])
    rows = outcome["rows"] if outcome else placeholder_rows(job["points"], "; ".join(fatal))
    recovered = float(sum(r["points"] for r in rows if r["passed"]))
    result = {"assignment": job["assignment"], "path": job["path"], "max": job["max"] or
              float(sum(r["points"] for r in rows)), "notes": job["notes"],
              "errors": outcome["errors"] if outcome else [], "seconds": outcome["seconds"] if outcome else 0.0}
    if fatal:
        status = "not graded: " + "; ".join(dict.fromkeys(fatal))
        for row in rows:
            row["status"] = status
        result.update(status=status, score=0.0, recovered=recovered, rows=rows)
    else:
        result.update(status="graded", score=recovered, recovered=None, rows=rows)
    return result


def _death(status, cell):
    where = tr("cell {cell}", cell=cell) if cell is not None else tr("the notebook")
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return tr("{where} killed Python (signal {name})", where=where, name=name)
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return tr("{where} stopped Python (os._exit({code}) or a crash)", where=where, code=code)


def run(jobs, *, workers=None, cell_seconds=CELL_SECONDS, notebook_seconds=NOTEBOOK_SECONDS,
        retries=RETRIES, on_result=None):
    """Grade prepared ``jobs`` (finished results pass through); results in the jobs' order."""
    workers = max(1, workers or os.cpu_count() or 1)
    results = [None] * len(jobs)
    todo = []
    for i, job in enumerate(jobs):
        if "nb" not in job:
            results[i] = job
            if on_result:
                on_result(job)
        else:
            todo.append((i, dict(job, fatal=[], tries=0)))
    if not todo:
        return results
    if not hasattr(os, "fork"):  # pragma: no cover (Windows)
        for i, job in todo:
            results[i] = _run_in_subprocess(job, cell_seconds, notebook_seconds)
            if on_result:
                on_result(results[i])
        return results
    preload([job for _, job in todo])
    todo.sort(key=lambda item: -COST.get(item[1]["assignment"], 5.0))
    running = {}
    try:
        while todo or running:
            while todo and len(running) < workers:
                i, job = todo.pop(0)
                read_fd, write_fd = os.pipe()
                pid = os.fork()
                if pid == 0:  # pragma: no cover (the child never returns)
                    os.close(read_fd)
                    _child(job, cell_seconds, write_fd)
                os.close(write_fd)
                running[read_fd] = dict(i=i, job=job, pid=pid, buf=b"", cell=None,
                                        deadline=time.monotonic() + notebook_seconds)
            timeout = max(0.0, min(r["deadline"] for r in running.values()) - time.monotonic())
            ready, _, _ = select.select(list(running), [], [], timeout)
            for fd in list(running):
                entry = running[fd]
                if fd in ready:
                    chunk = os.read(fd, 1 << 16)
                    if chunk:
                        entry["buf"] += chunk
                        *lines, entry["buf"] = entry["buf"].split(b"\n")
                        for line in lines:
                            if line.startswith(b"cell "):
                                entry["cell"] = int(line[5:])
                            elif line.startswith(b"result "):
                                entry["result"] = json.loads(line[7:])
                        if "result" not in entry:
                            continue
                        # done: do not wait for end of file (a process the notebook started may
                        # still hold the pipe); the child exits right after its result
                        os.close(fd)
                        del running[fd]
                        _reap(entry["pid"])
                        _settle(entry, None, None, todo, results, retries, on_result)
                        continue
                    # end of file: the child is done or dead
                    os.close(fd)
                    del running[fd]
                    _, status = os.waitpid(entry["pid"], 0)
                    _settle(entry, status, None, todo, results, retries, on_result)
                elif time.monotonic() >= entry["deadline"]:
                    os.kill(entry["pid"], signal.SIGKILL)
                    os.waitpid(entry["pid"], 0)
                    os.close(fd)
                    del running[fd]
                    _settle(entry, None, notebook_seconds, todo, results, retries, on_result)
    finally:
        for entry in running.values():
            try:
                os.kill(entry["pid"], signal.SIGKILL)
                os.waitpid(entry["pid"], 0)
            except OSError:
                pass
    return results


def _reap(pid, seconds=5.0):
    """Wait for a child that has sent its result; kill it if it lingers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def _settle(entry, status, timed_out, todo, results, retries, on_result):
    job, cell = entry["job"], entry["cell"]
    if "result" in entry:
        results[entry["i"]] = _finish(job, entry["result"], job["fatal"])
    else:
        with i18n.speaking(i18n.notebook_language(job.get("nb") or {})):
            if timed_out:
                reason = (tr("cell {cell} did not finish within {seconds:g} s", cell=cell, seconds=timed_out)
                          if cell is not None else
                          tr("the notebook did not finish within {seconds:g} s", seconds=timed_out))
            else:
                reason = _death(status, cell)
        job = dict(job, fatal=job["fatal"] + [reason], tries=job["tries"] + 1)
        # a dead child is graded again without its cell (quick); a notebook that ran out of time
        # is not (it could take as long again)
        if not timed_out and cell is not None and job["tries"] <= retries and cell not in job["skip"]:
            job["skip"] = job["skip"] + [cell]
            todo.insert(0, (entry["i"], job))
            return
        results[entry["i"]] = _finish(job, None, job["fatal"])
    if on_result:
        on_result(results[entry["i"]])


def _run_in_subprocess(job, cell_seconds, notebook_seconds):  # pragma: no cover (Windows)
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "job.json"
        spec.write_text(json.dumps(dict(job, cell_seconds=cell_seconds)), encoding="utf-8")
        try:
            proc = subprocess.run([sys.executable, "-m", "autograder.grading.runner", "--child", str(spec)],
                                  capture_output=True, text=True, timeout=notebook_seconds)
        except subprocess.TimeoutExpired:
            return _finish(job, None, [f"the notebook did not finish within {notebook_seconds:g} s"])
    for line in proc.stdout.splitlines():
        if line.startswith("result "):
            return _finish(job, json.loads(line[7:]), [])
    return _finish(job, None, [f"the notebook stopped Python (exit code {proc.returncode})"])


# --- whole folders ----------------------------------------------------------------------

def course_root_of(notebook):
    """The course folder of ``<course>/notebooks/<assignment>/<assignment>.ipynb``."""
    return Path(notebook).resolve().parent.parent.parent


def grade_paths(paths, *, root=None, workers=None, cell_seconds=CELL_SECONDS,
                notebook_seconds=NOTEBOOK_SECONDS, on_result=None):
    """Grade notebooks ``<assignment>/<assignment>.ipynb`` with ``root/solutions`` as authority."""
    jobs = []
    for path in paths:
        path = Path(path)
        assignment = path.parent.name
        base = Path(root) if root else course_root_of(path)
        source = base / "solutions" / assignment / f"{assignment}.ipynb"
        jobs.append(prepare(path, assignment=assignment, source=source if source.exists() else None))
    return run(jobs, workers=workers, cell_seconds=cell_seconds, notebook_seconds=notebook_seconds,
               on_result=on_result)


# --- one submission, possibly in a sandbox ---------------------------------------------------

def grade_many(pairs, *, seconds=60.0, wrap=None, workers=1, notebook_seconds=NOTEBOOK_SECONDS):
    """Results (see the module docstring) for ``pairs`` of (submission path, source path).

    The submissions are read and restored here (with the source notebooks, which the learner's
    code never sees), then graded in one ``python -m autograder.grading.runner -`` process started as
    ``wrap(argv)`` (``autograder.trusted.sandbox.wrap`` with a slot, for a class), which forks once per
    notebook.  ``seconds`` limits each cell.
    """
    jobs = []
    for path, source in pairs:
        path = Path(path)
        jobs.append(prepare(path, assignment=path.parent.name, source=source))
    todo = [job for job in jobs if "nb" in job]
    if todo:
        payload = {"cell_seconds": seconds, "notebook_seconds": notebook_seconds, "workers": workers,
                   "jobs": [dict(job, path=Path(job["path"]).name) for job in todo]}
        argv = [sys.executable, "-m", "autograder.grading.runner", "-"]
        argv = wrap(argv) if wrap else argv
        budget = notebook_seconds * (RETRIES + 1) * len(todo) + 60
        try:
            with tempfile.TemporaryDirectory() as scratch:
                proc = subprocess.run(argv, input=json.dumps(payload), capture_output=True, text=True,
                                      timeout=budget, cwd=scratch)
            done = json.loads(proc.stdout) if proc.returncode == 0 else None
            failure = None if done is not None else (
                f"the grader stopped (exit code {proc.returncode}): "
                + ((proc.stderr or "").strip().splitlines() or ["no message"])[-1])
        except subprocess.TimeoutExpired:
            done, failure = None, f"the grader did not finish within {budget:g} s"
        except ValueError:
            done, failure = None, "the grader's answer was not readable"
        for k, job in enumerate(todo):
            if done is not None and k < len(done):
                result = dict(done[k], path=job["path"])
            else:
                result = _finish(dict(job, fatal=[]), None, [failure])
            job.clear()
            job.update(result)
    return jobs


def grade(submission_path, source_path, *, seconds=60.0, wrap=None):
    """Rows ``{grade_id, points, passed, key, message, status}`` of one submission, graded
    kernel-free with the source notebook's test cells (the format of ``autograder.trusted.grader.grade``)."""
    return grade_many([(submission_path, source_path)], seconds=seconds, wrap=wrap)[0]["rows"]


def main(argv=None):
    """``python -m autograder.grading.runner -``: prepared jobs as JSON on stdin, results as JSON on
    stdout.  This is what runs inside the sandbox for a class."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":  # pragma: no cover (Windows fallback)
        job = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
        out = os.dup(1)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        result = _grade(job, job.pop("cell_seconds"), lambda line: None)
        os.write(out, ("result " + json.dumps(result) + "\n").encode())
        return 0
    spec = json.loads(sys.stdin.read() if argv[:1] == ["-"] else Path(argv[0]).read_text(encoding="utf-8"))
    jobs = spec["jobs"]
    results = run(jobs, workers=spec.get("workers", 1), cell_seconds=spec.get("cell_seconds", CELL_SECONDS),
                  notebook_seconds=spec.get("notebook_seconds", NOTEBOOK_SECONDS))
    sys.stdout.write(json.dumps(results))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
