"""Hostile and broken submissions, graded kernel-free (``course-check``), each with its expected
result; ``tests/grading/test_class_grading.py`` grades the same ones through real nbgrader and writes the
table of ``docs/hostile.md``.

A case: the submission (a notebook made from 00_finite_differences, or raw text), what nbgrader
records for it, whether it is graded or "not graded: <reason>", and, when it is not, what the
rest of the notebook earns graded without a kernel (``recovered``).
"""
import copy
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import pytest

import nbedit
from autograder.grading import runner
from autograder.trusted import submission
from conftest import ROOT, learner_path, solution_path

NB = "00_finite_differences"
# the parts of 00 and their points, read from the instructor's notebook (the notebook's authors
# change them; a case's expected score is FULL minus the points of the part it gets wrong)
POINTS = {c["metadata"]["nbgrader"]["grade_id"]: float(c["metadata"]["nbgrader"]["points"])
          for c in nbedit.test_cells(nbedit.read(solution_path(NB)))}
FULL = sum(POINTS.values())


def solved():
    """The learner notebook with every answer cell solved (as a learner submits it)."""
    nb = nbedit.read(learner_path(NB))
    sol = nbedit.read(solution_path(NB))
    for c in nbedit.solution_cells(sol):
        gid = c["metadata"]["nbgrader"]["grade_id"]
        nbedit.set_source(nb, gid, nbedit.source(sol, gid))
    return nb


def blank():
    return nbedit.read(learner_path(NB))


def insert_after(nb, grade_id, source, cell_id="extra"):
    index = nb["cells"].index(nbedit.cell(nb, grade_id))
    nb["cells"].insert(index + 1, {"cell_type": "code", "id": cell_id, "metadata": {}, "execution_count": None,
                                   "outputs": [], "source": source})
    return nb


def answer(nb, grade_id, source):
    return nbedit.set_source(nb, grade_id, source)


def points_of(assignment):
    return sum(float(c["metadata"]["nbgrader"]["points"]) for c in nbedit.test_cells(nbedit.read(solution_path(assignment))))


def cell_after(nb, grade_id):
    """The index a cell inserted after ``grade_id``'s cell gets (insert_after)."""
    return nb["cells"].index(nbedit.cell(nb, grade_id)) + 1


GOOD_GRADIENT = '''def _good(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad

def numerical_gradient(f, x, h=1e-5):
    return {}
'''


def returns(expression):
    return lambda: answer(solved(), "numerical_gradient", GOOD_GRADIENT.format(expression))


def edit_meta(cell_id, **changes):
    def make():
        nb = solved()
        nbedit.cell(nb, cell_id)["metadata"]["nbgrader"].update(changes)
        return nb
    return make


def duplicated():
    nb = solved()
    cell = nbedit.cell(nb, "test_central_difference")
    twin = copy.deepcopy(cell)
    twin["id"] = "twin"
    nb["cells"].insert(nb["cells"].index(cell) + 1, twin)
    return nb


def deleted():
    nb = solved()
    nb["cells"].remove(nbedit.cell(nb, "test_relative_error"))
    return nb


def to_markdown():
    nb = solved()
    cell = nbedit.cell(nb, "test_relative_error")
    cell["cell_type"] = "markdown"
    cell.pop("outputs", None)
    cell.pop("execution_count", None)
    return nb


def with_test_cells(source):
    def make():
        nb = blank()
        for c in nbedit.test_cells(nb):
            c["source"] = source
        return nb
    return make


def other_assignment():
    return nbedit.read(solution_path("01_chain_rule"))


KBI_LOOP = "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass\n"


@dataclass
class Case:
    name: str
    what: str                       # one line for the docs table
    make: Callable                  # -> notebook dict, or str (raw file content)
    score: float                    # what nbgrader records (and course-check reports)
    status: str = "graded"          # "graded", or a piece of the "not graded: ..." reason
    recovered: Optional[float] = None   # when not graded: what the rest earns kernel-free
    keys: dict = field(default_factory=dict)   # test cell -> expected mistake key
    note: str = ""                  # a piece of an expected "changed" note
    nbgrader_note: str = ""         # a piece of nbgrader's own reason, when it differs


CASES = [
    Case("correct", "every answer right", solved, FULL),
    Case("blank", "nothing answered (a genuine 0)", blank, 0.0,
         keys={"test_central_difference": "not_implemented"}),
    Case("partial", "two of the parts answered",
         lambda: answer(answer(blank(), "central_difference", nbedit.source(nbedit.read(solution_path(NB)), "central_difference")),
                        "relative_error", nbedit.source(nbedit.read(solution_path(NB)), "relative_error")),
         POINTS["test_central_difference"] + POINTS["test_relative_error"],
         keys={"test_numerical_gradient": "not_implemented"}),
    Case("planted_mistake", "the forward difference where the central one is asked",
         lambda: answer(solved(), "central_difference",
                        "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x)) / h\n"),
         FULL - POINTS["test_central_difference"],
         keys={"test_central_difference": "forward_difference"}),
    Case("loop_in_function", "an infinite loop inside an answer function",
         lambda: answer(solved(), "numerical_gradient",
                        "def numerical_gradient(f, x, h=1e-5):\n    while True:\n        pass\n"),
         FULL - POINTS["test_numerical_gradient"],
         keys={"test_numerical_gradient": "timeout"}),
    Case("loop_in_cell", "an infinite loop at the top level of an answer cell (interrupted)",
         lambda: answer(solved(), "relative_error", "while True:\n    pass\n"), FULL - POINTS["test_relative_error"],
         keys={"test_relative_error": "NameError"}),
    Case("loop_ignoring_interrupt", "a top-level loop that catches KeyboardInterrupt",
         lambda: insert_after(solved(), "relative_error", KBI_LOOP), 0.0, "kept running after it was interrupted",
         recovered=FULL, nbgrader_note="could not be interrupted"),
    Case("stderr_in_answer_cell", "a correct answer cell that prints to stderr (allowed)",
         lambda: answer(solved(), "relative_error", nbedit.source(nbedit.read(solution_path(NB)), "relative_error")
                        + "\nimport sys\nprint('debugging', file=sys.stderr)\n"), FULL),
    Case("stderr_in_function", "a correct function that prints to stderr while checked (policy: 0)",
         lambda: answer(solved(), "cauchy_loss_grad", "import sys\n_grad = None\n"
                        + nbedit.source(nbedit.read(solution_path(NB)), "cauchy_loss_grad").replace(
                            "def cauchy_loss_grad(x):", "def _cauchy(x):")
                        + "\ndef cauchy_loss_grad(x):\n    print('debugging', file=sys.stderr)\n    return _cauchy(x)\n"),
         FULL - POINTS["test_cauchy_loss_grad"], keys={"test_cauchy_loss_grad": "stderr"}),
    Case("numpy_warning", "a correct value computed with a numpy overflow warning",
         lambda: answer(solved(), "cauchy_loss_grad", "_grad = None\n"
                        + nbedit.source(nbedit.read(solution_path(NB)), "cauchy_loss_grad").replace(
                            "def cauchy_loss_grad(x):", "def _cauchy(x):")
                        + "\ndef cauchy_loss_grad(x):\n    np.exp(np.float64(1000.0))\n    return _cauchy(x)\n"),
         FULL - POINTS["test_cauchy_loss_grad"], keys={"test_cauchy_loss_grad": "warning"}),
    Case("exception_at_definition", "an answer cell that raises before its def",
         lambda: answer(solved(), "relative_error", "raise ValueError('not yet')\n"
                        + nbedit.source(nbedit.read(solution_path(NB)), "relative_error")),
         FULL - POINTS["test_relative_error"],
         keys={"test_relative_error": "cell_did_not_run"}),
    Case("returns_nan", "a gradient full of NaN", returns("np.full_like(_good(f, x, h), np.nan)"), FULL - POINTS["test_numerical_gradient"],
         keys={"test_numerical_gradient": "non_finite"}),
    Case("returns_inf", "a gradient full of inf", returns("np.full_like(_good(f, x, h), np.inf)"), FULL - POINTS["test_numerical_gradient"],
         keys={"test_numerical_gradient": "non_finite"}),
    Case("returns_int", "an integer gradient", returns("_good(f, x, h).astype(int)"), FULL - POINTS["test_numerical_gradient"],
         keys={"test_numerical_gradient": "integer_dtype"}),
    Case("returns_list", "the right numbers as a nested list (accepted: the check converts it)",
         returns("_good(f, x, h).tolist()"), FULL),
    Case("wrong_shape", "a gradient with an extra axis", returns("_good(f, x, h)[..., None]"), FULL - POINTS["test_numerical_gradient"],
         keys={"test_numerical_gradient": "kept_axis"}),
    Case("exit_call", "exit() in a cell (it shuts the kernel down)",
         lambda: insert_after(solved(), "setup", "exit()\n"), 0.0, "calls exit()", recovered=FULL,
         nbgrader_note="kernel died"),
    Case("sys_exit", "sys.exit() in a cell (an error in that cell only)",
         lambda: insert_after(solved(), "setup", "import sys\nsys.exit(1)\n"), FULL),
    Case("os_exit", "os._exit(1) in a cell",
         lambda: insert_after(solved(), "relative_error", "import os\nos._exit(1)\n"), 0.0, "stopped Python",
         recovered=FULL, nbgrader_note="kernel died"),
    Case("killed_by_signal", "the kernel kills itself with SIGKILL",
         lambda: insert_after(solved(), "relative_error", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"),
         0.0, "killed Python (signal SIGKILL)", recovered=FULL, nbgrader_note="kernel died"),
    Case("megabytes_of_output", "5 MB printed in one line",
         lambda: insert_after(solved(), "relative_error", "print('x' * 5_000_000)\n"), FULL),
    Case("deleted_test_cell", "a test cell deleted", deleted, FULL, note="was missing; it was put back"),
    Case("edited_test_cells", "every test cell replaced by `pass`, nothing answered", with_test_cells("pass\n"), 0.0,
         note="was edited; the original runs instead"),
    Case("faked_test_cells", "every test cell replaced by a print of '[ok]', nothing answered",
         with_test_cells("print('[ok] passed')\n"), 0.0, note="was edited; the original runs instead"),
    Case("duplicated_test_cell", "a test cell duplicated", duplicated, FULL, note="appears more than once"),
    Case("repointed_test_cell", "a test cell re-pointed to another's id, with 100 points",
         edit_meta("test_relative_error", grade_id="test_central_difference", points=100), FULL,
         note="appears more than once"),
    Case("points_edited", "a test cell's points set to 100", edit_meta("test_relative_error", points=100), FULL,
         note="points 100 (should be 2)"),
    Case("answer_made_graded", "an answer cell marked as a graded cell worth 50",
         edit_meta("relative_error", grade=True, points=50), FULL, note="grade True (should be False)"),
    Case("schema_edited", "a cell's nbgrader schema_version set to 1", edit_meta("test_relative_error", schema_version=1),
         FULL, note="schema_version 1"),
    Case("test_cell_markdown", "a test cell turned into markdown", to_markdown, FULL,
         note="cell type markdown (should be code)"),
    Case("not_json", "a file that is not JSON", lambda: "{ this is not a notebook", 0.0, "not a notebook",
         nbgrader_note="not a notebook"),
    Case("empty_file", "an empty file", lambda: "", 0.0, "empty file", nbgrader_note="not a notebook"),
    Case("other_assignment", "01_chain_rule's (solved) notebook saved as 00's", other_assignment, 0.0,
         "this is 01_chain_rule's notebook"),
]
BY_NAME = {case.name: case for case in CASES}


def write(case, path):
    content = case.make()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        nbedit.write(content, path)
    return path


@pytest.fixture(scope="module")
def kernel_free(tmp_path_factory):
    """Every case graded by ``autograder.grading.runner.grade_many`` (as ``course-check class`` does)."""
    base = tmp_path_factory.mktemp("hostile")
    pairs = [(write(case, base / case.name / NB / f"{NB}.ipynb"), solution_path(NB)) for case in CASES]
    results = runner.grade_many(pairs, seconds=10, workers=2)
    return {case.name: result for case, result in zip(CASES, results)}


@pytest.mark.parametrize("name", list(BY_NAME))
def test_each_case_kernel_free(kernel_free, name):
    case, result = BY_NAME[name], kernel_free[name]
    assert result["score"] == case.score, (result["status"], result["rows"])
    if case.status == "graded":
        assert result["status"] == "graded", result["status"]
    else:
        assert result["status"].startswith("not graded: ") and case.status in result["status"], result["status"]
        assert result["recovered"] == case.recovered
    keys = {row["grade_id"]: row["key"] for row in result["rows"]}
    for grade_id, key in case.keys.items():
        assert keys[grade_id] == key, (grade_id, keys, [r["message"] for r in result["rows"]])
    if case.note:
        assert any(case.note in note for note in result["notes"]), result["notes"]
    elif case.status == "graded":
        assert result["notes"] == [], "an honest notebook gets no note"
    assert all(set(row) == {"grade_id", "points", "passed", "key", "message", "status"} for row in result["rows"])
    assert result["max"] == FULL, "points come from the checks module, not the notebook"


def test_rows_have_the_trusted_format(tmp_path):
    path = write(BY_NAME["planted_mistake"], tmp_path / NB / f"{NB}.ipynb")
    rows = runner.grade(path, solution_path(NB), seconds=5)
    assert [r["grade_id"] for r in rows] == list(POINTS)
    first = rows[0]
    assert first["passed"] is False and first["key"] == "forward_difference" and first["status"] == "graded"
    assert "forward difference" in first["message"]
    assert all(r["passed"] and r["key"] == "" for r in rows[1:])


# --- sanitizing, both ways ------------------------------------------------------------------

def test_an_honest_notebook_is_left_alone():
    for make in (solved, blank):
        nb = make()
        done = submission.sanitize(nb, assignment=NB, source_nb=nbedit.read(solution_path(NB)))
        assert done.notes == [] and done.rejected is None
        hidden = [c for c in done.nb["cells"] if "BEGIN HIDDEN TESTS" in submission.source_text(c)]
        assert len(hidden) == len(POINTS), "the instructor's test cells (hidden half included) run"


@pytest.mark.parametrize("assignment", ["01_chain_rule", "02_jacobian", "03_scalar_backprop", "04_vector_backprop",
                                        "05_training", "06_autodiff"])
def test_every_released_notebook_is_honest(assignment):
    done = submission.sanitize(nbedit.read(learner_path(assignment)), assignment=assignment,
                               source_nb=nbedit.read(solution_path(assignment)))
    assert done.notes == [] and done.rejected is None


def test_without_a_source_points_come_from_the_checks_module():
    nb = edit_meta("test_relative_error", points=100)()
    exercises = submission.exercises_for(NB)
    done = submission.sanitize(nb, assignment=NB, exercises=exercises)
    cell = nbedit.cell(done.nb, "test_relative_error")
    assert cell["metadata"]["nbgrader"]["points"] == 2.0
    assert any("points 100" in n for n in done.notes)


def test_a_notebook_is_not_a_notebook():
    for text, reason in [("", "empty file"), ("{ nope", "not valid JSON"), ("[1, 2]", "without a list of cells"),
                         ('{"cells": [1]}', "malformed")]:
        with pytest.raises(submission.NotANotebook, match=reason):
            submission.read(_tmp_text(text))


def _tmp_text(text, _counter=[0]):
    import tempfile
    _counter[0] += 1
    path = Path(tempfile.mkdtemp()) / f"nb{_counter[0]}.ipynb"
    path.write_text(text, encoding="utf-8")
    return path


def test_strip_hidden_matches_the_released_test_cells():
    sol, rel = nbedit.read(solution_path(NB)), nbedit.read(learner_path(NB))
    for c in nbedit.test_cells(sol):
        gid = c["metadata"]["nbgrader"]["grade_id"]
        assert submission.strip_hidden(submission.source_text(c)) == nbedit.source(rel, gid)


# --- course-check progress on a hostile course --------------------------------------------

def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def hostile_course(tmp_path_factory):
    """A course folder whose notebooks/ holds one broken notebook of each kind next to good ones."""
    root = tmp_path_factory.mktemp("course")
    (root / "solutions").symlink_to(ROOT / "solutions")
    for a in ("01_chain_rule", "02_jacobian"):
        target = root / "notebooks" / a / f"{a}.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(solution_path(a).read_text(encoding="utf-8"), encoding="utf-8")
    write(BY_NAME["os_exit"], root / "notebooks" / NB / f"{NB}.ipynb")
    for name in ("zz_not_json",):
        (root / "notebooks" / name).mkdir()
        (root / "notebooks" / name / f"{name}.ipynb").write_text("{ not json", encoding="utf-8")
    return root


def test_progress_reports_each_broken_notebook_in_one_line(hostile_course):
    proc = cli("progress", str(hostile_course / "notebooks"))
    out = proc.stdout
    assert proc.returncode == 1, "a notebook that cannot be graded makes progress exit 1"
    assert "00_finite_differences" in out and f"0 / {FULL:g} points" in out
    assert "! not graded: cell" in out and "stopped Python" in out
    assert f"without that cell, the rest earns {FULL:g} / {FULL:g}" in out
    assert "zz_not_json" in out and "is not a notebook" in out
    p01, p02 = points_of("01_chain_rule"), points_of("02_jacobian")
    assert "01_chain_rule" in out and f"{p01:g} / {p01:g} points" in out
    assert "02_jacobian" in out and f"{p02:g} / {p02:g} points" in out
    assert f"total: {p01 + p02:g} / {FULL + p01 + p02:g} points" in out


def test_progress_json(hostile_course):
    proc = cli("progress", str(hostile_course / "notebooks"), "--json")
    data = json.loads(proc.stdout)
    by = {Path(r["path"]).parent.name: r for r in data["notebooks"]}
    assert by[NB]["status"].startswith("not graded: ") and by[NB]["recovered"] == FULL
    assert by["01_chain_rule"]["status"] == "graded" and by["01_chain_rule"]["score"] == points_of("01_chain_rule")
    assert by["zz_not_json"]["score"] == 0.0
    assert data["score"] == points_of("01_chain_rule") + points_of("02_jacobian")
    for row in by["01_chain_rule"]["rows"]:
        assert set(row) == {"grade_id", "points", "passed", "key", "message", "status"}


def test_progress_names_the_mistake_of_each_failed_part(tmp_path):
    root = tmp_path
    (root / "solutions").symlink_to(ROOT / "solutions")
    write(BY_NAME["planted_mistake"], root / "notebooks" / NB / f"{NB}.ipynb")
    proc = cli("progress", str(root / "notebooks"))
    assert proc.returncode == 0, "every notebook was graded: progress is a report"
    lines = proc.stdout.splitlines()
    at = next(i for i, ln in enumerate(lines) if "test_central_difference" in ln)
    assert lines[at].startswith("  [ ]") and "0/2" in lines[at] and lines[at].endswith("failed")
    assert "this is the forward difference" in lines[at + 1], "the named mistake, in one line"
    assert list(POINTS)[1] in lines[at + 2], "one line per failure: then the next part"
    assert cli("progress", str(root / "notebooks"), "--strict").returncode == 1


def test_progress_of_an_empty_folder(tmp_path):
    proc = cli("progress", str(tmp_path))
    assert proc.returncode == 2 and "no notebooks found" in proc.stderr


def test_progress_counts_points_from_the_checks_module_not_the_notebook(tmp_path):
    """A learner who sets a test cell's points to 100, or makes an answer cell graded, gains nothing."""
    root = tmp_path
    nb = edit_meta("test_relative_error", points=100)()
    nbedit.cell(nb, "central_difference")["metadata"]["nbgrader"].update(grade=True, points=50)
    nbedit.write(nb, root / "notebooks" / NB / f"{NB}.ipynb")   # no solutions/: the checks module decides
    data = json.loads(cli("progress", str(root / "notebooks"), "--json").stdout)
    (result,) = data["notebooks"]
    assert result["max"] == FULL and result["score"] == FULL
    assert {r["grade_id"]: r["points"] for r in result["rows"]} == POINTS
    assert any("points 100" in n for n in result["notes"])


def test_a_notebook_that_blocks_every_interruption_runs_out_of_time_once(tmp_path):
    """A cell that blocks SIGALRM cannot be stopped from inside; the parent kills the child at the
    notebook's time limit, reports the cell, and does not run it all again."""
    nb = insert_after(solved(), "relative_error",
                      "import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])\nwhile True:\n    pass\n")
    path = tmp_path / NB / f"{NB}.ipynb"
    nbedit.write(nb, path)
    job = runner.prepare(path, source=solution_path(NB))
    (result,) = runner.run([job], cell_seconds=1, notebook_seconds=4)
    at = cell_after(nb, "relative_error")
    assert result["status"] == f"not graded: cell {at} did not finish within 4 s", "one reason: not run again"


def test_progress_ignores_a_scratch_notebook(tmp_path):
    (tmp_path / "solutions").symlink_to(ROOT / "solutions")
    write(BY_NAME["correct"], tmp_path / "notebooks" / NB / f"{NB}.ipynb")
    (tmp_path / "notebooks" / NB / "scratch.ipynb").write_text("{}", encoding="utf-8")
    proc = cli("progress", str(tmp_path / "notebooks"))
    assert proc.returncode == 0 and "scratch" not in proc.stdout and f"total: {FULL:g} / {FULL:g} points" in proc.stdout
