"""trusted.grade on broken and hostile submissions: nothing stops the grading, a part that cannot be
graded says why ("not graded: ..."), the others are graded, and every wait is bounded.

The base is the solution of 00_finite_differences (its parts and points read from it); each case
breaks one part, or the whole file.
"""
import json
import time

import pytest

import nbedit
from conftest import learner_path, load_solution, solution_path

from autograder.trusted import grader as trusted

NB = "00_finite_differences"
POINTS = {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"]["points"]
          for c in nbedit.test_cells(nbedit.read(solution_path(NB)))}


def solved_with(tmp_path, **sources):
    nb = nbedit.read(solution_path(NB))
    for grade_id, source in sources.items():
        nbedit.set_source(nb, grade_id, source)
    path = tmp_path / f"{NB}.ipynb"
    nbedit.write(nb, path)
    return path


def grade(path, **kwargs):
    began = time.monotonic()
    rows = trusted.grade(path, solution_path(NB), **kwargs)
    return {r["grade_id"]: r for r in rows}, time.monotonic() - began


def others_pass(rows, broken):
    for grade_id, row in rows.items():
        if grade_id != broken:
            assert row["passed"], (grade_id, row)


def test_a_function_that_loops_is_stopped_and_the_rest_is_graded(tmp_path):
    path = solved_with(tmp_path, numerical_gradient=(
        "def numerical_gradient(f, x, h=1e-5):\n    while True:\n        try:\n            pass\n"
        "        except BaseException:\n            pass\n"))
    rows, took = grade(path, seconds=10)       # the notebook's own demo cells call it too
    row = rows["test_numerical_gradient"]
    assert row["status"] == "graded" and row["key"] == "timeout" and not row["passed"]
    assert "did not finish" in row["message"]
    others_pass(rows, "test_numerical_gradient")
    assert took < 60


@pytest.mark.parametrize("body, says", [
    ("import os\n    os._exit(5)", "exit code 5"),
    ("import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)", "SIGKILL"),
    ("import os, signal\n    os.kill(os.getpid(), signal.SIGSEGV)", "SIGSEGV"),
])
def test_a_function_that_ends_the_process_is_not_graded_and_the_rest_is(tmp_path, body, says):
    path = solved_with(tmp_path, relative_error=f"def relative_error(a, b, floor=1e-3):\n    {body}\n")
    rows, _ = grade(path)
    row = rows["test_relative_error"]
    assert not row["passed"] and row["status"].startswith("not graded: ") and says in row["status"], row
    others_pass(rows, "test_relative_error")


def test_a_function_that_eats_all_memory_fails_alone(tmp_path):
    path = solved_with(tmp_path, cauchy_loss_grad=(
        "def cauchy_loss_grad(x):\n    hog = np.ones((1 << 31,))\n    return 2 * x / (1 + x ** 2)\n"))
    rows, _ = grade(path, memory=2 << 30)
    row = rows["test_cauchy_loss_grad"]
    assert not row["passed"] and "MemoryError" in row["message"] + row["status"], row
    others_pass(rows, "test_cauchy_loss_grad")


@pytest.mark.parametrize("cell", [
    "while True:\n    try:\n        pass\n    except BaseException:\n        pass\n",
    "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nimport sys\nsys.settrace = lambda *a: None\n"
    "while True:\n    pass\n",
    "import os\nos._exit(0)\n",
    "import sys\nsys.exit('bye')\n",
    "raise SystemError('boom')\n",
])
def test_a_cell_that_hangs_exits_or_fails_at_the_top_level_costs_only_its_own_part(tmp_path, cell, monkeypatch):
    path = solved_with(tmp_path, relative_error=cell)
    starts, close = [], trusted.LearnerSession.close
    monkeypatch.setattr(trusted.LearnerSession, "close", lambda self: (starts.append(self.starts), close(self)))
    rows, took = grade(path, seconds=4)
    # the cell runs at most once more than it must: it ends or hangs the learner's process once, and
    # the next start skips it (before, the grader waited out every later cell's time too, then ran it
    # again in a new start to find which cell it was)
    assert starts == [2] if "while True" in cell or "_exit" in cell else starts == [1], starts
    row = rows["test_relative_error"]
    assert not row["passed"] and row["key"] in ("not_defined", "not_graded", "tampering"), row
    others_pass(rows, "test_relative_error")
    assert took < 90


def test_a_grading_leaves_no_record_of_the_learner_s_functions_behind():
    # the checks record the functions each part was called with, to re-run a passed part later;
    # after a trusted grading those are proxies into a learner process that has ended, and a later
    # check in this process (another grading, a test) that re-ran them failed with RemoteLost
    import autograder.checks as checks
    from autograder.checks import finite_differences
    rows, _ = grade(solution_path(NB))
    assert all(r["passed"] for r in rows.values())
    notebook = finite_differences.EXERCISES.notebook
    assert not checks._ARGS.get(notebook) and not checks._STATUS.get(notebook)
    # the module object this process holds keeps its own reference to the records: empty too
    assert finite_differences.EXERCISES.args == {} and finite_differences.EXERCISES.status == {}
    # and the symptom itself: a later check that re-runs an earlier part (convergence_order re-runs
    # central_difference) passes with correct functions
    finite_differences.convergence_order(load_solution(NB).convergence_order, quiet=True)


@pytest.mark.parametrize("content", [b"", b"{not json", b"[1, 2, 3]", b'{"cells": "no"}', b"\xff\xfe\x00"])
def test_a_file_that_is_not_a_notebook_is_not_graded(tmp_path, content):
    path = tmp_path / f"{NB}.ipynb"
    path.write_bytes(content)
    rows, _ = grade(path)
    assert list(rows) == list(POINTS)
    for row in rows.values():
        assert not row["passed"] and row["status"].startswith("not graded: ")


def test_another_assignment_s_notebook_is_not_graded(tmp_path):
    """01's solved notebook submitted as 00: not graded, and said why (an exercise both share
    would otherwise earn the other notebook's points)."""
    rows, _ = grade(solution_path("01_chain_rule"))
    assert trusted.score(list(rows.values())) == 0
    assert {r["key"] for r in rows.values()} == {"not_graded"}
    assert {r["status"] for r in rows.values()} == {f"not graded: this is 01_chain_rule's notebook, not {NB}'s"}


def test_deleted_duplicated_and_edited_test_cells_change_nothing(tmp_path):
    nb = nbedit.read(solution_path(NB))
    tests = nbedit.test_cells(nb)
    nb["cells"].remove(tests[0])                              # deleted
    nb["cells"].append(json.loads(json.dumps(tests[1])))      # duplicated
    tests[2]["source"] = "assert False"                       # edited
    tests[3]["metadata"]["nbgrader"]["points"] = 100          # re-pointed
    path = tmp_path / f"{NB}.ipynb"
    nbedit.write(nb, path)
    rows, _ = grade(path)
    assert {k: r["points"] for k, r in rows.items()} == POINTS
    assert all(r["passed"] for r in rows.values())


def test_stderr_and_warnings_in_a_correct_answer_cost_the_part_as_in_nbgrader(tmp_path):
    path = solved_with(tmp_path, central_difference=(
        "import sys\ndef central_difference(f, x, h=1e-5):\n    print('debug', file=sys.stderr)\n"
        "    return (f(x + h) - f(x - h)) / (2 * h)\n"),
        cauchy_loss_grad="def cauchy_loss_grad(x):\n    np.log(np.zeros(1))\n    return 2 * x / (1 + x ** 2)\n")
    rows, _ = grade(path)
    assert rows["test_central_difference"]["key"] == "stderr"
    assert rows["test_cauchy_loss_grad"]["key"] == "warning"
    assert "divide by zero" in rows["test_cauchy_loss_grad"]["message"]


def test_megabytes_of_output_are_bounded(tmp_path):
    path = solved_with(tmp_path, relative_error=nbedit.source(nbedit.read(solution_path(NB)), "relative_error")
                       + "\nprint('x' * 50_000_000)\n")
    rows, _ = grade(path)
    assert all(r["passed"] for r in rows.values())


def test_the_learner_process_is_started_through_wrap(tmp_path):
    seen = []

    def wrap(argv):
        seen.append(list(argv))
        return ["env", "WRAPPED=1"] + list(argv)
    rows, _ = grade(solution_path(NB), wrap=wrap)
    assert all(r["passed"] for r in rows.values())
    assert seen and seen[0][1:5] == ["-S", "-E", "-s", "-c"]


def test_an_untouched_notebook_costs_one_learner_process(tmp_path, monkeypatch):
    starts = []
    real = trusted.LearnerSession._spawn

    def spawn(self):
        starts.append(1)
        return real(self)
    monkeypatch.setattr(trusted.LearnerSession, "_spawn", spawn)
    rows, _ = grade(learner_path(NB))
    assert len(starts) == 1 and trusted.score(list(rows.values())) == 0


def test_grading_leaves_the_checks_time_limit_as_it_was(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_CALL_SECONDS", "2")
    grade(solution_path(NB))
    import os
    assert os.environ["AUTOGRADER_CALL_SECONDS"] == "2"


def test_a_refused_action_does_not_hide_a_stub_not_yet_written(tmp_path):
    """A blank notebook whose cells start a program (matplotlib does, to list fonts, when it has no
    font cache): the refusal is named where a part fails otherwise, never instead of "not
    implemented yet"."""
    nb = nbedit.read(learner_path(NB))
    setup = next(c for c in nb["cells"] if "import" in "".join(c["source"]))
    setup["source"] = "".join(setup["source"]) + "\nimport subprocess\ntry:\n    subprocess.run(['true'])\nexcept Exception:\n    pass\n"
    path = tmp_path / f"{NB}.ipynb"
    nbedit.write(nb, path)
    rows, _ = grade(path, seconds=20)
    assert {row["key"] for row in rows.values()} == {"not_implemented"}, rows
    path = solved_with(tmp_path, central_difference=(
        "import subprocess\ntry:\n    subprocess.run(['true'])\nexcept Exception:\n    pass\n"
        "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x)) / h\n"))
    rows, _ = grade(path, seconds=20)
    row = rows["test_central_difference"]
    assert row["key"] == "uses_course_code" and "may not do (use subprocess.Popen)" in row["message"], row
    assert "course's own code" not in row["message"], "nothing of the course's was used"
