"""A real nbgrader round trip in a temporary copy of the course.

generate_assignment -> submitted/ -> autograde -> export (CSV) -> generate_feedback,
with honest, empty, cheating and hostile submissions side by side.
"""
import csv
import shutil
import subprocess

import pytest

import nbedit
from conftest import ROOT, assignments, learner_path, nbgrader_cmd, nbgrader_env, solution_path

NB = "00_finite_differences"


def total_points(assignment):
    return sum(c["metadata"]["nbgrader"]["points"] for c in nbedit.test_cells(nbedit.read(solution_path(assignment))))


def without(part, assignment=None):
    """The notebook's total less the points of ``part``'s test cell (read from the source)."""
    nb = nbedit.read(solution_path(assignment or NB))
    return total_points(assignment or NB) - nbedit.cell(nb, f"test_{part}")["metadata"]["nbgrader"]["points"]


def run(args, cwd, timeout=600):
    proc = subprocess.run(nbgrader_cmd() + args, cwd=cwd, env=nbgrader_env(), capture_output=True,
                          text=True, timeout=timeout)
    return proc


def submit(course, student, assignment, nb):
    nbedit.write(nb, course / "submitted" / student / assignment / f"{assignment}.ipynb")


def solved(assignment, parts):
    """The learner notebook with the solution cells ``parts`` copied from the source."""
    nb = nbedit.read(learner_path(assignment))
    sol = nbedit.read(solution_path(assignment))
    for part in parts:
        nbedit.set_source(nb, part, nbedit.source(sol, part))
    return nb


def hostile(edit):
    nb = nbedit.read(solution_path(NB))
    edit(nb)
    return nb


# student -> (assignment, notebook maker, expected score or None for "no grade")
def submissions():
    subs = {}
    for a in assignments():
        subs[f"perfect_{a}"] = (a, lambda a=a: nbedit.read(solution_path(a)), total_points(a))
        subs[f"untouched_{a}"] = (a, lambda a=a: nbedit.read(learner_path(a)), 0)
    subs["pass_in_tests"] = (NB, lambda: _tests_replaced_by_pass(), 0)
    subs["partial"] = (NB, lambda: solved(NB, ["central_difference", "relative_error"]), 4)
    subs["infinite_loop_in_function"] = (NB, lambda: hostile(lambda nb: nbedit.set_source(
        nb, "numerical_gradient", "def numerical_gradient(f, x, h=1e-5):\n    while True:\n        pass\n")), without("numerical_gradient"))
    subs["infinite_loop_in_cell"] = (NB, lambda: hostile(lambda nb: nbedit.set_source(
        nb, "relative_error", "while True:\n    pass\n")), without("relative_error"))
    subs["sys_exit"] = (NB, lambda: hostile(lambda nb: nbedit.set_source(
        nb, "relative_error", "import sys\nsys.exit('bye')\n")), without("relative_error"))
    subs["monkeypatched_check"] = (NB, lambda: hostile(lambda nb: nbedit.set_source(
        nb, "central_difference",
        "check.central_difference = lambda *a, **k: None\ncentral_difference = None\n")), without("central_difference"))
    # these two stopped stock `nbgrader autograde` for every later student (perfect_*, untouched_*):
    # the course's nbgrader_config.py restores them instead (autograder/grading/nbgrader_hooks.py)
    subs["duplicated_test_cell"] = (NB, lambda: hostile(_duplicate_a_test_cell), total_points(NB))
    subs["edited_schema_version"] = (NB, lambda: hostile(lambda nb: nbedit.cell(nb, "test_relative_error")[
        "metadata"]["nbgrader"].update(schema_version=1)), total_points(NB))
    subs["unstoppable_loop"] = (NB, lambda: hostile(lambda nb: nbedit.set_source(
        nb, "cauchy_loss_grad",
        "def cauchy_loss_grad(x):\n    while True:\n        try:\n            while True:\n                pass\n"
        "        except BaseException:\n            pass\n")), without("cauchy_loss_grad"))
    return subs


def _duplicate_a_test_cell(nb):
    cell = nbedit.cell(nb, "test_central_difference")
    twin = dict(cell, id="twin")
    nb["cells"].insert(nb["cells"].index(cell) + 1, twin)


def _tests_replaced_by_pass():
    nb = nbedit.read(learner_path(NB))
    for c in nbedit.test_cells(nb):
        c["source"] = "pass"
    return nb


LOGS = {}  # assignment -> what `nbgrader autograde` printed


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    for a in assignments():
        proc = run(["generate_assignment", a, "--force"], course)
        assert proc.returncode == 0, proc.stderr[-2000:]
    subs = submissions()
    for student, (a, make, _) in subs.items():
        submit(course, student, a, make())
    # a notebook that is not JSON at all, next to the others
    bad = course / "submitted" / "corrupt" / NB / f"{NB}.ipynb"
    bad.parent.mkdir(parents=True)
    bad.write_text("{ this is not a notebook", encoding="utf-8")

    logs = {}
    for a in assignments():
        proc = run(["autograde", a, "--Execute.timeout=15"], course, timeout=900)
        assert "Traceback" not in proc.stdout
        logs[a] = proc.stdout + proc.stderr
    proc = run(["export"], course)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(course / "grades.csv", newline="") as fh:
        grades = {(row["student_id"], row["assignment"]): row for row in csv.DictReader(fh)}
    for a in assignments():
        run(["generate_feedback", a], course)
    LOGS.update(logs)
    return course, subs, grades


def _score(grades, student, assignment):
    row = grades.get((student, assignment))
    return None if row is None or row["raw_score"] in ("", None) else float(row["raw_score"])


@pytest.mark.parametrize("student", list(submissions()))
def test_each_submission_gets_its_expected_score(graded, student):
    """Honest work gets full marks, empty or cheating work 0, and a hostile cell
    costs only the exercise it sits in."""
    _, subs, grades = graded
    assignment, _, expected = subs[student]
    assert _score(grades, student, assignment) == expected


def test_csv_lists_max_score(graded):
    _, _, grades = graded
    for a in assignments():
        row = grades[(f"perfect_{a}", a)]
        assert float(row["max_score"]) == total_points(a)


def test_corrupt_notebook_does_not_stop_the_run(graded):
    """An unreadable submission scores nothing, and everybody else is still graded."""
    _, _, grades = graded
    assert _score(grades, "corrupt", NB) in (None, 0.0)
    assert _score(grades, f"perfect_{NB}", NB) == total_points(NB)


def test_feedback_has_no_hidden_tests(graded):
    course, _, _ = graded
    pages = list((course / "feedback").rglob("*.html"))
    assert pages, "no feedback was generated"
    assert {page.parent.name for page in pages} >= set(assignments()), "feedback for every assignment"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "hidden=True" not in text and "BEGIN HIDDEN TESTS" not in text, page


def test_feedback_explains_a_failure(graded):
    """The feedback of a partial submission shows the check's message for the missing part."""
    course, _, _ = graded
    page = course / "feedback" / "partial" / NB / f"{NB}.html"
    text = page.read_text(encoding="utf-8")
    assert "not implemented yet" in text


def test_no_checksum_false_alarm_and_each_real_edit_logged(graded):
    """Stock nbgrader logged "checksum has changed" for every test cell with hidden tests, even in
    untouched notebooks; the course's configuration logs one line per real edit, and no other."""
    log = "\n".join(LOGS.values())
    assert "checksum" not in log
    changed = [line for line in log.splitlines() if "submission changed:" in line]
    assert any("test_central_difference appears more than once" in line for line in changed)
    assert any("schema_version 1 (should be 3)" in line for line in changed)
    assert any("test cell test_central_difference was edited" in line for line in changed), "pass_in_tests"
    sections = log.split("Sanitizing ")
    for section in sections[1:]:
        student = section.split("/submitted/")[1].split("/")[0]
        if student.startswith(("perfect_", "untouched_", "partial")):
            assert "submission changed" not in section, student
