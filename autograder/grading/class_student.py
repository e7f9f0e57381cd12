"""One student's submission in ``course-check class``: nbgrader autograde, trusted grading, feedback.

``Student`` grades the submissions of one student at a time, in a worker process of
``classgrade``: it refuses a submission that links out of its folder (``refuse_links``), runs
nbgrader in-process with the kernel in the sandbox, grades the same notebook with the trusted
grader (the grade of record) and combines the two (``combine``), writing a feedback page where
nbgrader could not grade.
"""
import html
import json
import os
import shutil
import time
from pathlib import Path

from . import runner
from ..trusted import sandbox
from .class_nbgrader import gradebook, nbgrader_reason

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
