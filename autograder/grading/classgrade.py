"""``course-check class``: grade a class with nbgrader, then say what the class got wrong.

This module runs the class (workers, journal, the command); one student's grading is
``class_student``, nbgrader's configuration and gradebook ``class_nbgrader``, the reports
``class_report``.

    course-check class 04_vector_backprop            one assignment
    course-check class --all                         every assignment in solutions/
    course-check class --all --student alice         one student's whole course

For each student (``submitted/<student>/<assignment>/<assignment>.ipynb``), in ``--jobs``
parallel workers (default: one more than the cores, as each worker waits part of the time for
its kernel and its learner process), and with every other student graded whatever one
submission holds:

1. ``nbgrader autograde <assignment> --student <student>``, in-process (nbgrader is imported
   once per worker), the kernel started as a sandbox user (``autograder.trusted.sandbox``; as root);
2. the same submission graded by trusted grading (``autograder.trusted.grader``: the learner's code in
   a process of its own, also sandboxed, the checks out of its reach), the grade of record, which
   gives the named mistake of every failed part; where its score of a part differs from
   nbgrader's, it goes into the gradebook as the manual score.  When nbgrader could not grade
   the notebook (the kernel died, a cell could not be interrupted, not a notebook), the
   kernel-free runner (``autograder.grading.runner``) names the reason and the trusted rows say what
   the rest of the notebook earns (``recovered``).  ``--fast`` uses the kernel-free runner
   instead of trusted grading;
3. with ``--feedback``, ``nbgrader generate_feedback`` (and, for a notebook nbgrader could not
   grade, a page that says why).

Then: a check that the gradebook holds every submission graded (a missing one is graded again),
``grades.csv`` (``nbgrader export``), and in ``class_report/``: ``students.csv`` (one row per
submission: status, score, recovered, changes the learner made to the notebook),
``exercises.csv`` (mean and distribution per exercise), ``mistakes.csv`` and ``mistakes.png``
(the class mistake report: per exercise, which named mistakes and how often).

Parallel workers share one gradebook.  Every nbgrader gradebook session of a worker holds an
exclusive lock (``flock`` on ``.gradebook.lock``) and SQLite waits up to 10 minutes for a busy
database, so two workers never write at once; the check in step 4 and
``tests/grading/test_class_grading.py`` (a class graded with 2 workers and again with 1 gives the same
gradebook) show that nothing is lost.

Gradebook: ``make generate`` writes ``notebooks/`` without a gradebook (``--no-db``); an
assignment missing from ``gradebook.db`` is added here (``nbgrader generate_assignment`` into a
scratch folder: ``notebooks/`` is not touched).
"""
import fcntl
import gc
import json
import multiprocessing
import os
import queue
import sys
import time
from functools import partial
from pathlib import Path

from . import runner
from ..trusted import sandbox
from .class_nbgrader import ensure_gradebook, gradebook, load_config, lock_gradebook
from .class_report import _num, export_csv, print_summary, write_reports
from .class_student import Student

KERNEL_FREE_CELL_SECONDS = 30.0


# --- the workers ---------------------------------------------------------------------------------

def _die_with_parent():
    """A worker whose class run is killed stops too (and, through the sandbox's supervisors, so
    does everything it started): no orphan grades into the gradebook behind a resumed run."""
    parent = os.getppid()
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, 9, 0, 0, 0)      # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(0)
    return parent


def _worker(course, options, slot, tasks, results):
    parent = _die_with_parent()
    for name, value in SINGLE_THREADED.items():   # for the kernels and learner processes it starts
        os.environ.setdefault(name, value)
    if options.get("log"):  # nbgrader's log and the kernels' messages: to a file, not the screen
        fd = os.open(options["log"].format(slot=slot), os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    try:
        lock_gradebook(str(course))
        cfg = load_config(course, timeout=options["timeout"], sandboxed=options["sandboxed"])
        grader = Student(course, cfg, slot=slot, sandboxed=options["sandboxed"], feedback=options["feedback"],
                         cell_seconds=options["cell_seconds"], grader=options.get("grader"),
                         logs=str(Path(options["log"]).parent) if options.get("log") else None)
    except BaseException as exc:  # report and stop: the parent grades the rest elsewhere
        results.put(("dead", slot, f"{type(exc).__name__}: {exc}"))
        return
    # what is alive now (nbgrader, Jupyter, SQLAlchemy: a large heap) lives as long as the worker:
    # out of the garbage collector's sight, so that each full collection (trusted grading makes
    # one before each test cell) looks at the graded submission's objects only, not 150 ms of these
    gc.collect()
    gc.freeze()
    while True:
        try:
            task = tasks.get(timeout=1)
        except queue.Empty:
            if os.getppid() != parent:
                return
            continue
        if task is None:
            results.put(("bye", slot, None))
            return
        student, assignments = task
        try:
            records = grader.grade(student, assignments)
        except BaseException as exc:  # one student never stops the class
            why = f"the grader failed ({type(exc).__name__}: {str(exc)[:300]})"
            records = [{"student": student, "assignment": a, "nbgrader_ok": False, "status":
                        f"not graded: {why}", "score": None,
                        "max": None, "recovered": None, "rows": [], "notes": [], "cells": {},
                        "nbgrader_reason": str(exc)} for a in assignments]
            for record in records:   # nbgrader may have recorded the kernel's score: not the grade
                try:
                    grader.zero_gradebook(record, why)
                except Exception:
                    pass
        results.put(("done", slot, records))


def default_jobs():
    """One worker more than the cores: a worker waits part of the time (for its kernel to start,
    for its learner process to answer), and the extra one fills those gaps (measured: a class
    graded 5% faster with 3 workers than with 2 on 2 cores, and no faster with 4)."""
    return (os.cpu_count() or 1) + 1


# A worker's kernels and learner processes use one BLAS thread each: the workers already keep
# every core busy, and a second thread per process would only make them wait for each other
# (measured: a class graded 11% faster on 2 cores with 2 workers).
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def grade_class(course, assignments, *, students=None, jobs=None, timeout=None, feedback=False,
                sandboxed=None, cell_seconds=KERNEL_FREE_CELL_SECONDS, grader=None, say=print, log=None,
                journal=None, resume=True):
    """Grade every submission of ``assignments``; returns the list of records (one per
    submission) and the run's facts.  ``grader``: a per-notebook rows function with the
    signature of ``autograder.grading.runner.grade`` (default: the kernel-free grader, batched).

    ``journal``: a file where each submission's record is written as soon as it is final (its
    grades in the gradebook); a run that was stopped (killed, the machine restarted) is resumed
    from it by the next run over the same assignments (``resume``): what it had graded is kept,
    not graded again."""
    course = Path(course).resolve()
    started = time.perf_counter()
    if sandboxed is None:
        sandboxed = sandbox.available()
    cfg = load_config(course)
    nbgrader_timeout = timeout or cfg.Execute.get("timeout") or 30
    cell_seconds = min(cell_seconds, float(nbgrader_timeout))
    from nbgrader.coursedir import CourseDirectory
    coursedir = CourseDirectory(config=cfg)
    run_lock = lock_class_run(course)
    try:
        return _grade_class(course, assignments, cfg, coursedir, students=students, jobs=jobs, timeout=timeout,
                            feedback=feedback, sandboxed=sandboxed, cell_seconds=cell_seconds, grader=grader,
                            say=say, log=log, journal=journal, resume=resume, started=started)
    finally:
        os.close(run_lock)


def lock_class_run(course):
    """One class run per course at a time: a second one stops at once and says why (two runs would
    grade the same submissions into one gradebook).  Runs over different courses are independent
    (each sandboxed program has its own namespaces, cgroup and leased sandbox user)."""
    fd = os.open(os.path.join(course, ".class-run.lock"), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
        except OSError:
            holder = "?"
        os.close(fd)
        raise ClassRunBusy(f"another `course-check class` is grading {course} (process {holder}); "
                           f"wait for it to finish") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


class ClassRunBusy(RuntimeError):
    """Another class run holds this course."""


def read_journal(path, header):
    """The records of an unfinished run over the same work (``header``), from its journal:
    {(student, assignment): record}; {} when the last run finished or did other work."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    runs = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue          # a line cut by the run's death
        if "run" in entry:
            runs.append([entry["run"], {}, False])
        elif runs and "done" in entry and isinstance(entry["done"], dict):
            rec = entry["done"]
            runs[-1][1][(rec.get("student"), rec.get("assignment"))] = rec
        elif runs and entry.get("finished"):
            runs[-1][2] = True
    # consecutive unfinished runs of the same work add up (a run resumed and stopped again)
    kept = {}
    for run, done, finished in runs:
        if finished or run != header:
            kept = {}
            continue
        kept.update(done)
    return kept


class Journal:
    """Append-only, one JSON line per final record, flushed to disk each time."""

    def __init__(self, path, header, fresh):
        self.path = Path(path) if path else None
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "w" if fresh else "a", encoding="utf-8")
        self.write({"run": header, "pid": os.getpid(), "time": time.strftime("%Y-%m-%d %H:%M:%S")})

    def write(self, entry):
        if self.path is None:
            return
        self.fh.write(json.dumps(entry, default=str) + "\n")
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def done(self, records):
        for record in records:
            self.write({"done": record})

    def close(self, finished):
        if self.path is None:
            return
        if finished:
            self.write({"finished": True})
        self.fh.close()


def _grade_class(course, assignments, cfg, coursedir, *, students, jobs, timeout, feedback, sandboxed,
                 cell_seconds, grader, say, log, journal, resume, started):
    lock_gradebook(str(course))
    added = ensure_gradebook(course, cfg, assignments, say)
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, ".", ".")).resolve()
    tasks = {}
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir()) if submitted.is_dir() else []:
        if students and student_dir.name not in students:
            continue
        mine = [a for a in assignments if (student_dir / a).is_dir() or (student_dir / a).is_symlink()]
        if mine:
            tasks[student_dir.name] = mine
    facts = {"students": len(tasks), "submissions": sum(map(len, tasks.values())), "added": added,
             "sandboxed": sandboxed, "protected": []}
    if not tasks:
        return [], facts
    if sandboxed:
        facts["protected"] = sandbox.protect(str(course))
        sandbox.hide(course)          # the course's folder is covered in every sandboxed view
        facts["layers"] = sandbox.layers()
    # one task per submission (student, assignment), the slowest notebooks first, so that the
    # workers share out even one student's course
    work = sorted(((s, a) for s, mine in tasks.items() for a in mine),
                  key=lambda sa: (-runner.COST.get(sa[1], 5.0), sa[0]))
    header = {"assignments": sorted(assignments), "students": sorted(students or []),
              "grader": _grader_name(grader)}
    kept = read_journal(journal, header) if (journal and resume) else {}
    if kept:
        lost = {(r["student"], r["assignment"]) for r in verify(cfg, list(kept.values()))}
        kept = {k: r for k, r in kept.items() if k not in lost and k in set(work)}
    if kept:
        say(f"resuming a class run that was stopped: {len(kept)} submission(s) it graded are kept "
            f"(their grades are in the gradebook), {len(work) - len(kept)} to grade")
        facts["resumed"] = len(kept)
    work = [w for w in work if w not in kept]
    log_book = Journal(journal, header, fresh=not kept)
    records = list(kept.values())
    try:
        records += _run_workers(course, work, jobs, timeout, sandboxed, feedback, cell_seconds, grader, log,
                                say, facts, log_book, len(kept))
        records = _finish(course, cfg, records, timeout, sandboxed, feedback, cell_seconds, grader, say,
                          facts, log_book)
    except BaseException:
        log_book.close(finished=False)
        raise
    log_book.close(finished=True)
    facts["lost"] = len(verify(cfg, records))
    records.sort(key=lambda r: (r["assignment"], r["student"]))
    facts["seconds"] = time.perf_counter() - started
    return records, facts


def _grader_name(grader):
    if grader is None:
        return "autograder.grading.runner:grade"
    return f"{getattr(grader, '__module__', '?')}:{getattr(grader, '__qualname__', '?')}"


def _run_workers(course, work, jobs, timeout, sandboxed, feedback, cell_seconds, grader, log, say, facts,
                 log_book, already):
    if not work:
        facts.setdefault("workers", 0)
        return []
    workers = max(1, min(jobs or default_jobs(), len(work)))
    facts["workers"] = workers
    options = {"timeout": timeout, "sandboxed": sandboxed, "feedback": feedback, "cell_seconds": cell_seconds,
               "grader": grader, "log": str(log) if log else None}
    if log:
        Path(log).parent.mkdir(parents=True, exist_ok=True)
    # each worker has a sandbox slot of its own, leased for this run: another run on this machine
    # (another course, the test suite) never uses the same sandbox user at the same time
    held = sandbox.lease(workers) if sandboxed else [(i, None) for i in range(workers)]
    slots = [slot for slot, _ in held]
    facts["slots"] = slots
    try:
        ctx = multiprocessing.get_context("fork")
        task_q, result_q = ctx.Queue(), ctx.Queue()
        for student, a in work:
            task_q.put((student, [a]))
        procs = {slot: ctx.Process(target=_worker, args=(course, options, slot, task_q, result_q), daemon=True)
                 for slot in slots}
        for proc in procs.values():
            proc.start()
        for _ in procs:
            task_q.put(None)
        records, done, alive = [], already, set(procs)
        while alive:
            try:
                kind, slot, payload = result_q.get(timeout=5)
            except queue.Empty:
                for slot in list(alive):
                    if not procs[slot].is_alive():
                        alive.discard(slot)
                        say(f"worker {slot} stopped (exit code {procs[slot].exitcode})")
                continue
            if kind == "done":
                records.extend(payload)
                log_book.done(payload)
                done += 1
                say(progress_line(done, len(work) + already, payload))
            else:
                alive.discard(slot)
                if kind == "dead":
                    say(f"worker {slot} could not start: {payload}")
        for proc in procs.values():
            proc.join(timeout=10)
    finally:
        if sandboxed:
            sandbox.release(held)
    # submissions a dead worker took with it
    graded = {(r["student"], r["assignment"]) for r in records}
    for student, a in work:
        if (student, a) not in graded:
            records.append({"student": student, "assignment": a, "nbgrader_ok": False, "status":
                            "not graded: its worker stopped", "score": None, "max": None, "recovered": None,
                            "rows": [], "notes": [], "cells": {}, "nbgrader_reason": ""})
    return records


def _timed_out(record):
    """The parts (or the reason) of a submission that ran out of time."""
    parts = [row["grade_id"] for row in record.get("rows", []) if row.get("key") == "timeout"]
    if not parts and "did not finish" in record.get("status", ""):
        parts = ["(the notebook)"]
    return parts


def _finish(course, cfg, records, timeout, sandboxed, feedback, cell_seconds, grader, say, facts, log_book):
    """After the workers: submissions missing from the gradebook, and submissions with a part that
    timed out while others were graded at once, graded again one at a time."""
    lost = verify(cfg, records)
    slow = [r for r in records if _timed_out(r) and r not in lost]
    if not lost and not slow:
        return records
    held = sandbox.lease(1) if sandboxed else [(0, None)]
    try:
        again = Student(course, load_config(course, timeout=timeout, sandboxed=sandboxed), slot=held[0][0],
                        sandboxed=sandboxed, feedback=feedback, cell_seconds=cell_seconds, grader=grader)
        if lost:
            say(f"{len(lost)} graded submission(s) missing from the gradebook: grading them again, one at a time")
            fresh = [rec for r in lost for rec in again.grade(r["student"], [r["assignment"]])]
            log_book.done(fresh)
            keep = {(r["student"], r["assignment"]) for r in fresh}
            records = [r for r in records if (r["student"], r["assignment"]) not in keep] + fresh
            facts["regraded"] = len(fresh)
        if slow:
            load = _load()
            say(f"{len(slow)} submission(s) with a part that ran out of time while {facts.get('workers', 1)} were "
                f"graded at once (load average {load}): grading them again, alone")
            fresh = []
            for r in slow:
                (second,) = again.grade(r["student"], [r["assignment"]])
                before, after = _timed_out(r), _timed_out(second)
                if after:
                    second["notes"] = second.get("notes", []) + [
                        f"graded again alone: {', '.join(after)} ran out of time both times (the learner's code)"]
                else:
                    second["notes"] = second.get("notes", []) + [
                        f"graded again alone: {', '.join(before)} ran out of time while {facts.get('workers', 1)} "
                        f"submissions were graded at once (load average {load}), and not alone"]
                fresh.append(second)
            log_book.done(fresh)
            keep = {(r["student"], r["assignment"]) for r in fresh}
            records = [r for r in records if (r["student"], r["assignment"]) not in keep] + fresh
            facts["timeouts_regraded"] = len(fresh)
    finally:
        if sandboxed:
            sandbox.release(held)
    return records


def _load():
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


def verify(cfg, records):
    """Records nbgrader graded whose grades are not all in the gradebook."""
    from nbgrader.api import MissingEntry
    lost = []
    with gradebook(cfg) as gb:
        for r in records:
            if not r.get("nbgrader_ok"):
                continue
            try:
                sub = gb.find_submission(r["assignment"], r["student"])
                grades = [g for nb in sub.notebooks for g in nb.grades if g.cell_type == "code" and g.max_score]
                if not grades or any(g.auto_score is None for g in grades):
                    lost.append(r)
            except MissingEntry:
                lost.append(r)
    return lost


def progress_line(done, total, records):
    parts = []
    for r in records:
        if r["status"] == "graded":
            parts.append(f"{r['student']} {r['assignment']}: {_num(r['score'])} / {_num(r['max'])}")
        else:
            parts.append(f"{r['student']} {r['assignment']}: NOT GRADED ({r['status'][len('not graded: '):][:70]})")
    seconds = max((r.get("student_seconds", 0) for r in records), default=0)
    return f"[{done}/{total}] " + ", ".join(parts) + f"  ({seconds:.1f} s)"


# --- the command ----------------------------------------------------------------------------------

def all_assignments(course, cfg):
    from nbgrader.coursedir import CourseDirectory
    coursedir = CourseDirectory(config=cfg)
    source = Path(coursedir.format_path(coursedir.source_directory, ".", "."))
    return sorted(p.name for p in source.iterdir() if p.is_dir() and list(p.glob("*.ipynb")))


def main_from_args(args):
    course = Path(args.course).resolve()
    if not (course / "nbgrader_config.py").exists():
        print(f"course-check class: no nbgrader_config.py in {course} (use --course)", file=sys.stderr)
        return 2
    say = (lambda *a, **k: None) if args.quiet else partial(print, flush=True)
    cfg = load_config(course)
    assignments = all_assignments(course, cfg) if args.all else list(args.assignments)
    if not assignments:
        print("course-check class: name an assignment, or --all", file=sys.stderr)
        return 2
    sandboxed = False if args.no_sandbox else sandbox.available()
    if not args.no_sandbox and not sandboxed:
        print(f"WARNING: no sandbox: {sandbox.why_not()}. Run as root (sudo) to grade untrusted "
              f"submissions as another user.", file=sys.stderr)
    out = Path(args.out) if args.out else course / "class_report"
    # the grade of record comes from trusted grading (autograder.trusted.grader): learners' code runs in a
    # process of its own, the checks in the grader, out of reach; --fast uses the kernel-free grader,
    # which runs learners' code and the checks in one process and can be fooled by a cheat
    grader = None
    choice = "autograder.grading.runner:grade" if args.fast else (args.grader or "autograder.trusted.grader:grade")
    if choice != "autograder.grading.runner:grade":
        import importlib
        module, _, name = choice.partition(":")
        grader = getattr(importlib.import_module(module), name or "grade")
    if sandboxed:
        layers = sandbox.layers()
        missing = [k for k, v in layers.items() if v is not True]
        say("sandbox: " + sandbox.describe_layers(layers))
        if missing:
            print(f"WARNING: the sandbox runs without {', '.join(missing)} on this machine "
                  f"(docs/integrity.md says what each layer stops)", file=sys.stderr)
    try:
        records, facts = grade_class(course, assignments, students=args.student, jobs=args.jobs,
                                     timeout=args.timeout, feedback=args.feedback, sandboxed=sandboxed, say=say,
                                     log=out / "logs" / "worker{slot}.log", grader=grader,
                                     journal=out / "progress.jsonl", resume=not getattr(args, "restart", False))
    except ClassRunBusy as exc:
        print(f"course-check class: {exc}", file=sys.stderr)
        return 2
    if not records:
        print(f"course-check class: no submissions of {', '.join(assignments)} under submitted/", file=sys.stderr)
        return 2
    if facts.get("protected"):
        say("sandbox: removed other users' access to " + ", ".join(os.path.relpath(p, course) for p in facts["protected"]))
    files = {"grades": export_csv(course, cfg)}
    files.update(write_reports(out, records, facts))
    files["logs"] = out / "logs"
    lines = []
    print_summary(records, facts, dict(files, summary=out / "summary.txt"), say=lines.append)
    (out / "summary.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    sandbox.give_back(str(course))
    if not args.quiet:
        print("\n".join(lines), flush=True)
    return 0 if all(r["status"] == "graded" for r in records) else 1
