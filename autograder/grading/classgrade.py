"""``course-check class``: grade a class with nbgrader, then say what the class got wrong.

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
``tests/test_class_grading.py`` (a class graded with 2 workers and again with 1 gives the same
gradebook) show that nothing is lost.

Gradebook: ``make generate`` writes ``notebooks/`` without a gradebook (``--no-db``); an
assignment missing from ``gradebook.db`` is added here (``nbgrader generate_assignment`` into a
scratch folder: ``notebooks/`` is not touched).
"""
import collections
import copy
import csv
import fcntl
import gc
import html
import json
import multiprocessing
import os
import queue
import re
import shutil
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from . import runner
from ..trusted import sandbox

# jsonschema imports rfc3987_syntax when it is installed (jupyter_events asks for it), and that
# module builds a grammar when imported: a second of start-up for every process that imports
# nbformat, nbgrader's among them.  The formats it checks (iri, iri-reference) appear in no schema
# nbformat or nbgrader validates, so the grading processes go without it.
sys.modules.setdefault("rfc3987_syntax", None)

LOCK_NAME = ".gradebook.lock"
DB_TIMEOUT = 600
KERNEL_FREE_CELL_SECONDS = 30.0


# --- nbgrader, in-process -----------------------------------------------------------------

def _venv_on_path():
    """nbgrader runs ``alembic`` from PATH: put this Python's bin folder first."""
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def load_config(course, *, timeout=None, sandboxed=False):
    """The course's nbgrader configuration (``nbgrader_config.py``), with the options of a run."""
    _venv_on_path()
    from traitlets.config.loader import PyFileConfigLoader
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    cfg.CourseDirectory.root = str(course)
    configured = os.environ.get("NBGRADER_DB_URL") or (
        cfg.CourseDirectory.db_url if "db_url" in cfg.CourseDirectory else "")
    if configured and not str(configured).startswith("sqlite"):
        cfg.CourseDirectory.db_url = str(configured)   # a database server (PostgreSQL): as configured
    else:  # SQLite in the course folder, waiting for the lock rather than failing at once
        db = Path(course) / "gradebook.db"
        cfg.CourseDirectory.db_url = f"sqlite:///{db}?timeout={DB_TIMEOUT}"
    if timeout:
        cfg.Execute.timeout = int(timeout)
    if sandboxed:
        from .nbgrader_hooks import SandboxedExecute
        steps = list(cfg.Autograde.autograde_preprocessors) if "autograde_preprocessors" in cfg.Autograde else []
        if not steps:
            from nbgrader.converters import Autograde
            steps = list(Autograde.autograde_preprocessors.default_value)
        cfg.Autograde.autograde_preprocessors = [
            SandboxedExecute if _is_execute(step) else step for step in steps]
    return cfg


def _is_execute(step):
    name = step if isinstance(step, str) else f"{step.__module__}.{step.__name__}"
    return name.rsplit(".", 1)[-1] == "Execute"


_lock = {"fd": None, "depth": 0}


def lock_gradebook(course):
    """Make every ``nbgrader.api.Gradebook`` of this process hold an exclusive ``flock`` from
    its creation to its ``close()``: parallel workers never use the database at the same time."""
    from nbgrader import api as nbapi
    _lock["fd"] = os.open(os.path.join(course, LOCK_NAME), os.O_CREAT | os.O_RDWR, 0o600)
    if getattr(nbapi.Gradebook, "_course_locked", False):
        return
    init, close = nbapi.Gradebook.__init__, nbapi.Gradebook.close

    def acquire():
        if _lock["depth"] == 0:
            deadline = time.monotonic() + DB_TIMEOUT
            while True:
                try:
                    fcntl.flock(_lock["fd"], fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError("the gradebook stayed locked for 10 minutes") from None
                    time.sleep(0.01)
        _lock["depth"] += 1

    def release():
        _lock["depth"] -= 1
        if _lock["depth"] == 0:
            fcntl.flock(_lock["fd"], fcntl.LOCK_UN)

    def locked_init(self, *args, **kwargs):
        acquire()
        try:
            init(self, *args, **kwargs)
        except BaseException:
            release()
            raise
        self._course_holds = True

    def locked_close(self):
        try:
            close(self)
        finally:
            if getattr(self, "_course_holds", False):
                self._course_holds = False
                release()

    nbapi.Gradebook.__init__ = locked_init
    nbapi.Gradebook.close = locked_close
    nbapi.Gradebook._course_locked = True


def gradebook(cfg):
    from nbgrader.api import Gradebook
    return Gradebook(cfg.CourseDirectory.db_url, cfg.CourseDirectory.course_id)


def ensure_gradebook(course, cfg, assignments, say):
    """Add to the gradebook every assignment it lacks (generated into a scratch release folder)."""
    from nbgrader.api import MissingEntry
    from nbgrader.apps.api import NbGraderAPI
    missing = []
    with gradebook(cfg) as gb:
        for a in assignments:
            try:
                gb.find_assignment(a)
            except MissingEntry:
                missing.append(a)
    if not missing:
        return []
    with tempfile.TemporaryDirectory() as scratch:
        cfg2 = copy.deepcopy(cfg)
        cfg2.CourseDirectory.release_directory = scratch
        api = NbGraderAPI(config=cfg2)
        for a in missing:
            say(f"adding {a} to the gradebook (generated into a scratch folder; notebooks/ is not touched)")
            result = api.generate_assignment(a, force=True)
            if not result["success"]:
                raise RuntimeError(f"could not add {a} to the gradebook:\n{result.get('error', '')[-2000:]}")
    return missing


# --- what went wrong, in one line ----------------------------------------------------------

NBGRADER_REASONS = [
    (r"SubmissionRejected: (?:not graded: )?(.*)", None),
    (r"Kernel died", "the kernel died (exit(), os._exit, a signal or out of memory)"),
    (r"CellTimeoutError|Timeout waiting for execute reply", "a cell did not finish and could not be interrupted"),
    (r"UnresponsiveKernelError|kernel became unresponsive", "the kernel stopped answering"),
    (r"NotJSONError|does not appear to be JSON", "not a notebook (not valid JSON)"),
    (r"ValidationError|failed to validate", "the notebook's structure is not valid"),
    (r"No submitted file", "no notebook was submitted"),
]


def nbgrader_reason(text):
    """One line for why nbgrader could not grade a submission, from its log."""
    for pattern, sentence in NBGRADER_REASONS:
        m = re.search(pattern, text)
        if m:
            return sentence or m.group(1).strip().splitlines()[0]
    lines = [ln.strip() for ln in text.splitlines() if re.match(r"\s*[\w.]+(Error|Exception):", ln)]
    return lines[-1] if lines else "nbgrader stopped with an error"


# --- one student -------------------------------------------------------------------------------

class Student:
    """Grades the submissions of one student at a time, in a worker process."""

    def __init__(self, course, cfg, *, slot, sandboxed, feedback, cell_seconds, grader=None, logs=None):
        from nbgrader.apps.api import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        self.course, self.cfg, self.slot = Path(course), cfg, slot
        self.sandboxed, self.feedback, self.cell_seconds = sandboxed, feedback, cell_seconds
        self.api = NbGraderAPI(config=cfg)
        self.coursedir = CourseDirectory(config=cfg)
        self.grader = grader
        self.logs = logs
        os.environ["AUTOGRADER_SANDBOX_SLOT"] = str(slot)

    def wrap(self, argv, learner=False):
        """``argv`` in the sandbox of this worker's slot; ``learner=True`` for trusted grading's
        learner process (its view shows neither the course's package nor a network)."""
        if not self.sandboxed:
            return argv
        return sandbox.wrap(argv, workdir=sandbox.PRIVATE_DIR, slot=self.slot, learner=learner)

    def path(self, kind, student, assignment):
        folder = {"submitted": self.coursedir.submitted_directory, "source": self.coursedir.source_directory,
                  "autograded": self.coursedir.autograded_directory,
                  "feedback": self.coursedir.feedback_directory}[kind]
        if kind == "source":
            return Path(self.coursedir.format_path(folder, ".", assignment)) / f"{assignment}.ipynb"
        return Path(self.coursedir.format_path(folder, student, assignment)) / f"{assignment}.ipynb"

    def grade(self, student, assignments):
        started = time.perf_counter()
        records = [self.autograde(student, a) for a in assignments]
        if self.sandboxed:
            sandbox.kill_all(self.slot)
        t0 = time.perf_counter()
        kernel_free = self.kernel_free(student, assignments, records)
        if self.sandboxed:
            sandbox.kill_all(self.slot)
        kf_seconds = time.perf_counter() - t0
        for i, (record, result) in enumerate(zip(records, kernel_free)):
            if not record["nbgrader_ok"] and "kernel died" in record["nbgrader_reason"] \
                    and result.get("status") == "graded":
                # nbgrader's kernel died, but nothing in the notebook stops Python: not the
                # learner's doing (a crash, the machine); grade it once more
                again = self.autograde(student, record["assignment"])
                if self.sandboxed:
                    sandbox.kill_all(self.slot)
                again["retried"] = record["nbgrader_reason"]
                records[i] = record = again
                if record["nbgrader_ok"] and self.grader is None:
                    result = self.kernel_free(student, [record["assignment"]], [record])[0]
            combine(record, result)
            if self.grader is not None and record["nbgrader_ok"]:
                self.reconcile(record)
                missed = record.get("not_graded_parts", [])
                if missed and len(missed) == len(record["rows"]):
                    # no part graded by the grader of record: the notebook is not graded, whatever
                    # nbgrader's kernel said (its score is not recorded)
                    record["status"] = f"not graded: {missed[0][1]}"
                    record["recovered"] = None
            record["kernel_free_seconds"] = kf_seconds / max(1, len(records))
            if self.feedback:
                self.write_feedback(record)
        for record in records:
            record["student_seconds"] = time.perf_counter() - started
        return records

    def autograde(self, student, assignment):
        """nbgrader autograde for one submission: its record (status, score, per-cell grades)."""
        t0 = time.perf_counter()
        refused = refuse_links(self.path("submitted", student, assignment).parent) or self.refuse_source(
            student, assignment)
        if refused:
            # nbgrader (as root) would copy what a link points to: the solutions, the gradebook,
            # another student's notebook.  Nothing of it is read.
            record = {"student": student, "assignment": assignment, "nbgrader_ok": False,
                      "nbgrader_reason": refused, "nbgrader_seconds": 0.0, "refused": refused}
            with gradebook(self.cfg) as gb:      # in grades.csv, with 0 for this assignment
                gb.update_or_create_student(student)
            record.update(self.read_gradebook(student, assignment))
            self.zero_gradebook(record, refused)
            return record
        outcome = self.api.autograde(assignment, student, force=True, create=True)
        self.save_log(student, assignment, outcome)
        text = (outcome.get("log") or "") + "\n" + (outcome.get("error") or "")
        record = {"student": student, "assignment": assignment, "nbgrader_ok": bool(outcome["success"]),
                  "nbgrader_reason": "" if outcome["success"] else nbgrader_reason(text),
                  "nbgrader_seconds": time.perf_counter() - t0}
        if not outcome["success"] and "SubmissionRejected" in text:
            # not this assignment's notebook (another's, the instructor's own): nothing to grade
            record["refused"] = record["nbgrader_reason"]
        record.update(self.read_gradebook(student, assignment))
        return record

    def refuse_source(self, student, assignment):
        """Why the submission is not graded when it is the instructor's own source notebook (it
        holds the hidden tests; `nbgrader collect` follows an inbound link to ``solutions/``)."""
        from ..trusted import submission
        try:
            nb = submission.read(self.path("submitted", student, assignment))
            source = submission.read(self.path("source", student, assignment))
        except submission.NotANotebook:
            return ""
        return submission.SOURCE_NOTEBOOK if submission.holds_hidden_tests(nb, source) else ""

    def save_log(self, student, assignment, outcome):
        """nbgrader's log of one submission: ``<logs>/<student>/<assignment>.log``."""
        if not self.logs:
            return
        path = Path(self.logs) / student / f"{assignment}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:  # a second attempt is appended
            fh.write((outcome.get("log") or "") + (outcome.get("error") or ""))

    def kernel_free(self, student, assignments, records=None):
        pairs = [(self.path("submitted", student, a), self.path("source", student, a)) for a in assignments]
        if self.grader is None:
            # a notebook whose every failed part nbgrader found "not implemented yet" (or with full
            # marks) has no mistake to name: its rows come from nbgrader's own run
            known = [self.rows_from_nbgrader(r) if r is not None and r["nbgrader_ok"] else None
                     for r in (records or [None] * len(pairs))]
            full = [k is not None for k in known]
            todo = [pair for pair, skip in zip(pairs, full) if not skip]
            graded = iter(runner.grade_many(todo, seconds=self.cell_seconds, wrap=self.wrap) if todo else [])
            results = []
            for i, ((sub, src), skip) in enumerate(zip(pairs, full)):
                if not skip:
                    results.append(next(graded))
                    continue
                job = runner.prepare(sub, assignment=sub.parent.name, source=src)
                rows = known[i]
                order = list(job.get("points", {}))
                rows.sort(key=lambda row: order.index(row["grade_id"]) if row["grade_id"] in order else len(order))
                results.append({"assignment": sub.parent.name, "path": str(sub), "status": "graded",
                                "rows": rows, "notes": job.get("notes", []), "errors": [],
                                "max": job.get("max"), "score": float(sum(row["points"] for row in rows
                                                                          if row["passed"])),
                                "recovered": None})
            return results
        results = []
        for i, ((sub, src), a) in enumerate(zip(pairs, assignments)):
            record = records[i] if records else None
            if record is not None and record.get("refused"):
                why = f"not graded: {record['refused']}"
                rows = [{"grade_id": gid, "points": top, "passed": False, "key": "not_graded",
                         "message": record["refused"], "status": why} for gid, top in _source_parts(src)]
                results.append({"assignment": a, "path": str(sub), "status": why, "rows": rows, "notes": [],
                                "errors": [], "max": float(sum(r["points"] for r in rows)), "score": 0.0,
                                "recovered": None})
                continue
            try:
                rows = self.grader(sub, src, seconds=self.cell_seconds, wrap=self.wrap)
            except Exception as exc:    # never the kernel's word instead: every part is not graded
                why = f"the grader failed ({type(exc).__name__}: {str(exc)[:200]})"
                rows = [{"grade_id": gid, "points": top, "passed": False, "key": "not_graded", "message": why,
                         "status": f"not graded: {why}"} for gid, top in _source_parts(src)]
            status = next((r["status"] for r in rows if r["status"] != "graded"), "graded")
            passed = float(sum(r["points"] for r in rows if r["passed"]))
            notes = runner.prepare(sub, assignment=a, source=src).get("notes", [])
            result = {"assignment": a, "path": str(sub), "status": status, "rows": rows, "notes": notes,
                      "errors": [], "max": float(sum(r["points"] for r in rows)),
                      "score": 0.0 if status != "graded" else passed,
                      "recovered": passed if status != "graded" else None}
            if record is not None and not record["nbgrader_ok"]:
                # nbgrader could not grade it: the kernel-free runner, which runs the notebook cell
                # by cell as a kernel does, names the cell and what it did ("cell 7 calls exit()")
                explained = runner.grade_many([(sub, src)], seconds=self.cell_seconds, wrap=self.wrap)[0]
                if explained.get("status", "").startswith("not graded: "):
                    result["status"] = explained["status"]
                    result["recovered"] = None if explained.get("recovered") is None else (
                        passed if status == "graded" else explained["recovered"])
            results.append(result)
        return results

    def reconcile(self, record):
        """The rows' verdicts are the grade of record.  Where nbgrader's in-kernel score of a test
        cell differs (a cheat fooled the kernel, or the kernel's run differed), the rows' score goes
        into the gradebook as nbgrader's manual score, which `nbgrader export` and the feedback use;
        the record keeps both totals and says what changed."""
        from nbgrader.api import MissingEntry
        a, student = record["assignment"], record["student"]
        record["in_kernel_score"] = record["score"]
        overridden = []
        graded = {row["grade_id"] for row in record["rows"]}
        # a part the grader of record gave no row for (a test cell the source does not have)
        rows = record["rows"] + [{"grade_id": gid, "points": top, "passed": False, "key": "not_graded",
                                  "message": "the grader of record gave no verdict for this part",
                                  "status": "not graded: the grader of record gave no verdict for this part"}
                                 for gid, (_, top) in record.get("cells", {}).items() if gid not in graded]
        record["rows"] = rows
        with gradebook(self.cfg) as gb:
            for row in rows:
                # only a part the grader of record passed earns points: one it could not grade is
                # recorded as 0 (not the kernel's score), and said so
                want = float(row["points"]) if row["passed"] and row.get("status", "graded") == "graded" else 0.0
                try:
                    grade = gb.find_grade(row["grade_id"], a, a, student)
                except MissingEntry:
                    continue
                auto = None if grade.auto_score is None else float(grade.auto_score)
                if auto is None or abs(auto - want) > 1e-9:
                    grade.manual_score = want
                    overridden.append((row, auto, want))
            if overridden:
                gb.db.commit()
        record["trusted_changes"] = [
            {"grade_id": row["grade_id"], "points": float(row["points"]), "in_kernel": auto, "trusted": want,
             "key": row.get("key") or "", "message": row.get("message") or "",
             "not_graded": row.get("status", "graded") != "graded"} for row, auto, want in overridden]
        record["not_graded_parts"] = [(row["grade_id"], row["status"][len("not graded: "):])
                                      for row in rows if row.get("status", "graded") != "graded"]
        if overridden:
            record.update(self.read_gradebook(student, a))
            record["notes"] = record["notes"] + [
                f"trusted grading: {row['grade_id']} scored {'nothing' if auto is None else f'{auto:g}'} in "
                f"nbgrader's kernel, {want:g} trusted" + (
                    f" (not graded: {row['status'][len('not graded: '):][:160]})" if row.get("status", "graded") != "graded"
                    else f" ({row['key']})" if row.get("key") else "")
                for row, auto, want in overridden]

    def zero_gradebook(self, record, why):
        """Every part of a submission that could not be graded at all: 0 in the gradebook (the
        kernel's score, when nbgrader ran, is not the grade of record)."""
        from nbgrader.api import MissingEntry
        a, student = record["assignment"], record["student"]
        changed = False
        with gradebook(self.cfg) as gb:
            try:
                sub = gb.find_submission(a, student)
            except MissingEntry:
                return
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if grade.cell_type == "code" and grade.max_score and (grade.auto_score or grade.manual_score):
                        grade.manual_score = 0.0
                        changed = True
            if changed:
                gb.db.commit()
        if changed:
            record.update(self.read_gradebook(student, a))

    def rows_from_nbgrader(self, record):
        """Rows from nbgrader's graded notebook when every part either got full marks or failed
        as "not implemented yet"; None when a part failed otherwise (its mistake must be named)."""
        if not record["cells"]:
            return None
        failed = {gid for gid, (score, top) in record["cells"].items() if score is None or score < top}
        messages = {}
        if failed:
            path = self.path("autograded", record["student"], record["assignment"])
            try:
                nb = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
            for cell in nb.get("cells", []):
                gid = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
                if gid in failed:
                    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
                    text = errors[-1].get("evalue", "") if errors else ""
                    if "is not implemented yet" not in text:
                        return None
                    messages[gid] = text
            if set(messages) != failed:
                return None
        return [{"grade_id": gid, "points": top, "passed": gid not in failed,
                 "key": "not_implemented" if gid in failed else "", "message": messages.get(gid, ""),
                 "status": "graded"} for gid, (score, top) in record["cells"].items()]

    def read_gradebook(self, student, assignment):
        from nbgrader.api import MissingEntry
        with gradebook(self.cfg) as gb:
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                return {"score": None, "max": None, "cells": {}}
            cells = {}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if grade.cell_type == "code" and grade.max_score:
                        # the manual score, where the grader of record wrote one, else nbgrader's
                        score = grade.manual_score if grade.manual_score is not None else grade.auto_score
                        cells[grade.name] = (None if score is None else float(score), float(grade.max_score))
            return {"score": float(sub.score), "max": float(sub.max_score), "cells": cells}

    def explain_changes(self, record):
        """Put the trusted grading's changes at the top of nbgrader's feedback page."""
        page = self.path("feedback", record["student"], record["assignment"]).with_suffix(".html")
        if not page.is_file():
            return
        text = page.read_text(encoding="utf-8")
        at = text.find("<body")
        at = text.find(">", at) + 1 if at >= 0 else 0
        page.write_text(text[:at] + "\n" + trusted_section(record["trusted_changes"]) + text[at:], encoding="utf-8")

    def write_feedback(self, record):
        # nbgrader's page shows the kernel's run: only for a notebook the grader of record graded
        if record["nbgrader_ok"] and record.get("status", "graded") == "graded":
            outcome = self.api.generate_feedback(record["assignment"], record["student"], force=True)
            if outcome["success"]:
                if record.get("trusted_changes"):
                    self.explain_changes(record)
                return
        page = self.path("feedback", record["student"], record["assignment"]).with_suffix(".html")
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(feedback_page(record), encoding="utf-8")
        # what `nbgrader release_feedback` needs to hand this page to the student
        submitted = self.path("submitted", record["student"], record["assignment"]).parent
        for name in ("timestamp.txt", "submission_secret.txt"):
            if (submitted / name).is_file():
                shutil.copy(submitted / name, page.parent / name)


def refuse_links(folder):
    """Why a submitted folder cannot be graded without following a link, or "": its notebook must
    be a regular file, and nothing in it may be a symbolic link or a special file (a FIFO would
    stop nbgrader's copy; a link would make it copy, as root, what the link points to)."""
    import stat
    folder = Path(folder)
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        return ""
    if stat.S_ISLNK(st.st_mode):
        return f"the submitted folder {folder.name} is a symbolic link (to {os.readlink(folder)}): links are not graded"
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            mode = os.lstat(path).st_mode
            rel = os.path.relpath(path, folder)
            if stat.S_ISLNK(mode):
                return (f"{rel} is a symbolic link (to {os.readlink(path)}): a submission must hold "
                        f"files, not links, and nothing of it was read")
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                return f"{rel} is not a regular file: nothing of the submission was read"
    return ""


def _source_parts(source):
    """[(grade_id, points)] of the test cells of a source notebook (for rows of a grader that
    failed); [] when the source cannot be read."""
    try:
        from ..trusted.grader import read_notebook, source_tests
        tests, _ = source_tests(read_notebook(source))
    except Exception:
        return []
    return [(gid, points) for gid, points, _ in tests]


def trusted_section(changes):
    """The part of a feedback page that says which scores trusted grading changed, and why."""
    items = []
    for c in changes:
        before = "nothing" if c["in_kernel"] is None else f"{c['in_kernel']:g}"
        first = c["message"].strip().splitlines()[0] if c["message"].strip() else ""
        if c.get("not_graded"):
            first = "not graded (" + first + "); 0 is recorded, ask your instructor" if first else "not graded"
        items.append(f"<li><code>{html.escape(c['grade_id'])}</code>: {c['trusted']:g} of {c['points']:g} points "
                     f"(the notebook's own run gave {before})" + (f": {html.escape(first)}" if first else "") + "</li>")
    return ("<div class=\"course-trusted\" style=\"border:2px solid #b00;padding:0.5em 1em;margin:1em 0\">"
            "<h2>Graded again, apart from your code</h2><p>Each test was also run by the course's grader "
            "with your functions in a process of their own, out of reach of the rest of your notebook. "
            "Where the two runs disagreed, that grade is the one recorded, and the test cells below may "
            "show otherwise:</p><ul>" + "".join(items) + "</ul></div>\n")


def combine(record, result):
    """The class record of one submission: nbgrader's score, the kernel-free rows and reasons."""
    record["rows"] = result.get("rows", [])
    record["notes"] = result.get("notes", [])
    if record.get("retried"):
        record["notes"] = record["notes"] + [f"graded twice: the first time {record['retried']}, with "
                                             f"nothing in the notebook that stops Python"]
    record["max"] = record.get("max") or result.get("max")
    if record["nbgrader_ok"]:
        record["status"] = "graded"
        record["recovered"] = None
        if result.get("status", "graded") != "graded":
            record["notes"] = record["notes"] + [f"kernel-free: {result['status']} (nbgrader graded it)"]
    else:
        kf = result.get("status", "")
        reason = kf[len("not graded: "):] if kf.startswith("not graded: ") else record["nbgrader_reason"]
        if record["nbgrader_reason"] and record["nbgrader_reason"] not in reason and not kf.startswith("not graded: "):
            reason = record["nbgrader_reason"]
        record["status"] = f"not graded: {reason}"
        # what the kernel-free run gives (the rest of the notebook, when it found the culprit)
        record["recovered"] = result.get("recovered") if result.get("recovered") is not None else (
            result.get("score") if result.get("status") == "graded" and result.get("rows") else None)
        if record["score"] is None:
            record["score"] = 0.0


def feedback_page(record):
    rec = record.get("recovered")
    lines = [f"<h1>{html.escape(record['assignment'])}: not graded</h1>",
             f"<p>{html.escape(record['status'])}.</p>",
             "<p>nbgrader recorded 0 points for this notebook.</p>"]
    if rec is not None:
        lines.append(f"<p>Graded without a kernel (the offending cell skipped), the rest of the notebook "
                     f"earns {rec:g} of {record['max']:g} points; ask your instructor.</p>")
    for note in record.get("notes", []):
        lines.append(f"<p>Note: {html.escape(note)}</p>")
    return "<!DOCTYPE html><html><meta charset='utf-8'><body>" + "\n".join(lines) + "</body></html>\n"


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


# --- export and reports ----------------------------------------------------------------------

def export_csv(course, cfg):
    """``nbgrader export``: grades.csv in the course folder."""
    from nbgrader.plugins import CsvExportPlugin
    plugin = CsvExportPlugin(config=cfg)
    plugin.to = str(Path(course) / "grades.csv")
    with gradebook(cfg) as gb:
        plugin.export(gb)
    return Path(plugin.to)


def sentence(message):
    """The named mistake of a failed check, one line (without the leading ``CheckFailed:``)."""
    return runner._one_line(message)


def exercise_stats(records):
    """Per (assignment, test cell): points, mean, passed/failed/not graded counts."""
    stats = collections.OrderedDict()
    for r in records:
        for row in r["rows"]:
            key = (r["assignment"], row["grade_id"])
            s = stats.setdefault(key, {"points": row["points"], "scores": [], "passed": 0, "failed": 0,
                                       "not_graded": 0})
            if r["status"] != "graded" or row.get("status", "graded") != "graded":
                s["not_graded"] += 1
                continue
            score = r.get("cells", {}).get(row["grade_id"], (None, None))[0]
            if score is None:
                score = row["points"] if row["passed"] else 0.0
            s["scores"].append(score)
            s["passed" if score >= row["points"] else "failed"] += 1
    return stats


def mistake_counts(records):
    """{(assignment, test cell): Counter(key)} and {key: the check's sentence}, over every
    submission (graded or not) whose kernel-free run named a mistake."""
    counts, sentences = collections.OrderedDict(), {}
    for r in records:
        for row in r["rows"]:
            if row["passed"] or row["key"] in ("", "not_graded", "skipped"):
                continue
            key = (r["assignment"], row["grade_id"])
            counts.setdefault(key, collections.Counter())[row["key"]] += 1
            sentences.setdefault((key, row["key"]), collections.Counter())[sentence(row["message"])] += 1
    best = {k: c.most_common(1)[0][0] for k, c in sentences.items()}
    return counts, best


# the keys trusted grading gives an attempt to fool the grading or to use the course's own code
INTEGRITY_KEYS = ("tampering", "uses_course_code")


def write_reports(out, records, facts):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "students.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["student", "assignment", "status", "score", "max_score", "in_kernel_score",
                    "recovered_kernel_free", "failed_parts", "integrity", "changes_to_notebook",
                    "not_graded_parts"])
        for r in records:
            failed = "; ".join(f"{row['grade_id']}={row['key']}" for row in r["rows"] if not row["passed"])
            integrity = "; ".join(f"{row['grade_id']}={row['key']}" for row in r["rows"]
                                  if row.get("key") in INTEGRITY_KEYS)
            w.writerow([r["student"], r["assignment"], r["status"], _num(r["score"]), _num(r["max"]),
                        _num(r.get("in_kernel_score")), _num(r.get("recovered")), failed, integrity,
                        " | ".join(r.get("notes", [])),
                        "; ".join(f"{gid}: {why}" for gid, why in r.get("not_graded_parts", []))])
    stats = exercise_stats(records)
    submitted = collections.Counter(r["assignment"] for r in records)
    with open(out / "exercises.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["assignment", "exercise", "points", "submissions", "graded", "mean", "full_marks",
                    "not_full", "not_graded"])
        for (a, gid), s in stats.items():
            mean = statistics.fmean(s["scores"]) if s["scores"] else ""
            w.writerow([a, gid, _num(s["points"]), submitted[a], len(s["scores"]), _num(mean), s["passed"],
                        s["failed"], s["not_graded"]])
    counts, best = mistake_counts(records)
    with open(out / "mistakes.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["assignment", "exercise", "mistake", "count", "submissions", "sentence"])
        for (a, gid), counter in counts.items():
            for key, n in counter.most_common():
                w.writerow([a, gid, key, n, submitted[a], best[((a, gid), key)]])
    (out / "run.json").write_text(json.dumps(facts, indent=1, default=str), encoding="utf-8")
    plot = plot_mistakes(out / "mistakes.png", counts, submitted)
    return {"students": out / "students.csv", "exercises": out / "exercises.csv",
            "mistakes": out / "mistakes.csv", "plot": plot}


def _num(x):
    return "" if x is None or x == "" else f"{x:g}"


def plot_mistakes(path, counts, submitted, top=30):
    """A horizontal bar per (exercise, named mistake), the most frequent first: how many of the
    submissions made it.  "not implemented yet" is left out (it is not a mistake)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    items = [((a, gid), key, n) for (a, gid), c in counts.items() for key, n in c.items()
             if key != "not_implemented"]
    items.sort(key=lambda item: (-item[2] / max(1, submitted[item[0][0]]), item[0], item[1]))
    items = items[:top]
    assignments = sorted({a for (a, _), _, _ in items})
    colors = {a: plt.cm.tab10(i % 10) for i, a in enumerate(assignments)}
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.32 * max(1, len(items))))
    if items:
        labels = [f"{gid.removeprefix('test_')}: {key}" for (_, gid), key, _ in items]
        shares = [n / max(1, submitted[a]) for (a, _), _, n in items]
        bars = ax.barh(range(len(items)), shares, color=[colors[a] for (a, _), _, _ in items])
        for bar, ((a, _), _, n) in zip(bars, items):
            ax.text(bar.get_width() + 0.005, bar.get_y() + bar.get_height() / 2, f"{n} of {submitted[a]}",
                    va="center", fontsize=8)
        ax.set_yticks(range(len(items)))
        ax.set_yticklabels(labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, min(1.0, max(shares) * 1.25 + 0.05))
        handles = [plt.Rectangle((0, 0), 1, 1, color=colors[a]) for a in assignments]
        ax.legend(handles, assignments, fontsize=8, loc="lower right")
    else:
        ax.text(0.5, 0.5, "no named mistakes", ha="center", va="center")
        ax.set_yticks([])
    ax.set_xlabel("share of the submissions that made this mistake")
    ax.set_title("Class mistake report: exercise: named mistake (the check's key)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def print_summary(records, facts, files, say=print):
    graded = [r for r in records if r["status"] == "graded"]
    missed = [r for r in records if r["status"] != "graded"]
    say("")
    say(f"Class report: {facts['students']} students, {facts['submissions']} submissions, "
        f"{facts.get('seconds', 0):.0f} s with {facts.get('workers', 1)} worker(s)"
        + (", sandboxed" if facts.get("sandboxed") else ", NOT sandboxed"))
    say(f"  graded: {len(graded)}   not graded: {len(missed)}   gradebook check: "
        f"{'nothing lost' if not facts.get('lost') else str(facts['lost']) + ' missing'}")
    by_assignment = collections.OrderedDict()
    for r in records:
        by_assignment.setdefault(r["assignment"], []).append(r)
    stats = exercise_stats(records)
    for a, recs in by_assignment.items():
        scores = [r["score"] for r in recs if r["status"] == "graded"]
        top = recs[0]["max"] or 0
        if scores:
            say(f"\n{a}: {len(recs)} submitted, {len(scores)} graded, mean {statistics.fmean(scores):.1f} / "
                f"{top:g}, median {statistics.median(scores):g}  {histogram(scores, top)}")
        else:
            say(f"\n{a}: {len(recs)} submitted, none graded")
        for (aa, gid), s in stats.items():
            if aa != a:
                continue
            mean = statistics.fmean(s["scores"]) if s["scores"] else 0.0
            say(f"  {gid:<34} mean {mean:4.2f} / {s['points']:<3g} full {s['passed']:>3}  not {s['failed']:>3}"
                + (f"  not graded {s['not_graded']}" if s["not_graded"] else ""))
    if missed:
        say("\nNot graded (nbgrader recorded 0; this is not a genuine zero):")
        for r in missed:
            rec = "" if r.get("recovered") is None else f" [kernel-free, without that cell: {r['recovered']:g}/{r['max']:g}]"
            say(f"  {r['student']} {r['assignment']}: {r['status'][len('not graded: '):]}{rec}")
    partly = [(r, gid, why) for r in records if r["status"] == "graded" for gid, why in r.get("not_graded_parts", [])]
    if partly:
        say("\nParts not graded (0 recorded, not the kernel's score; this is not a genuine zero):")
        for r, gid, why in partly:
            say(f"  {r['student']} {r['assignment']} {gid}: {why}")
    changed = [(r, n) for r in records for n in r.get("notes", [])]
    if changed:
        say("\nNotebooks the learner changed (restored before grading):")
        for r, note in changed:
            say(f"  {r['student']} {r['assignment']}: {note}")
    counts, best = mistake_counts(records)
    submitted = collections.Counter(r["assignment"] for r in records)
    if counts:
        say("\nClass mistake report (what to re-teach):")
        for (a, gid), counter in counts.items():
            for key, n in counter.most_common():
                if key == "not_implemented":
                    continue
                say(f"  {gid.removeprefix('test_')}: {n} of {submitted[a]} - {best[((a, gid), key)]} ({key})")
        blanks = sum(c.get("not_implemented", 0) for c in counts.values())
        if blanks:
            say(f"  (and {blanks} parts not implemented yet)")
    say("")
    for label, path in files.items():
        say(f"{label + ':':<10} {path}")


def histogram(scores, top, bins=4):
    if not top:
        return ""
    edges = [top * i / bins for i in range(bins + 1)]
    counts = [0] * bins
    for s in scores:
        counts[min(bins - 1, int(bins * s / top)) if s < top else bins - 1] += 1
    return " ".join(f"[{edges[i]:g}-{edges[i + 1]:g}{']' if i == bins - 1 else ')'}: {counts[i]}" for i in range(bins))


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
