"""load_notebook, grade_notebook and the course-check CLI, on real and broken notebooks."""
import json
import subprocess
import sys

import numpy as np
import pytest

import nbedit
from autograder import load_notebook
from autograder.loader import grade_notebook
from conftest import ROOT, learner_path, solution_path

NB = "00_finite_differences"


def test_load_notebook_returns_definitions_without_running_tests():
    nb = load_notebook(solution_path(NB))
    assert nb.central_difference(np.sin, 0.0) == pytest.approx(1.0, rel=1e-9)
    assert not nb.errors
    assert all(not run.points for run in nb.runs), "test cells are not executed by load_notebook"
    with pytest.raises(AttributeError, match="defines no 'nonexistent'"):
        nb.nonexistent


def test_grade_notebook_scores_like_nbgrader():
    solution = grade_notebook(solution_path(NB))
    assert [r.passed for r in solution.tests] == [True] * 4
    learner = grade_notebook(learner_path(NB))
    assert [r.passed for r in learner.tests] == [False] * 4
    assert all("not implemented yet" in r.message for r in learner.tests)


def _broken(tmp_path, part, source):
    nb = nbedit.read(solution_path(NB))
    nbedit.set_source(nb, part, source)
    path = tmp_path / NB / f"{NB}.ipynb"
    nbedit.write(nb, path)
    return path


def test_a_broken_cell_does_not_hide_the_others(tmp_path):
    path = _broken(tmp_path, "relative_error", "raise RuntimeError('boom')\n")
    graded = grade_notebook(path)
    passed = {r.grade_id: r.passed for r in graded.tests}
    assert passed == {"test_central_difference": True, "test_numerical_gradient": True,
                      "test_relative_error": False, "test_cauchy_loss_grad": True}
    assert any("boom" in r.message for r in graded.errors)


def test_a_cell_that_loops_is_stopped(tmp_path):
    path = _broken(tmp_path, "relative_error", "while True:\n    pass\n")
    graded = grade_notebook(path, seconds=1)
    assert any("did not finish" in r.message for r in graded.errors)
    assert sum(r.points for r in graded.tests if r.passed) == 6


def test_stderr_in_a_test_cell_fails_it(tmp_path):
    nb = nbedit.read(solution_path(NB))
    cell = nbedit.cell(nb, "test_cauchy_loss_grad")
    cell["source"] = "import sys\nprint('debug', file=sys.stderr)\n" + "".join(cell["source"])
    path = tmp_path / NB / f"{NB}.ipynb"
    nbedit.write(nb, path)
    graded = grade_notebook(path)
    failed = [r for r in graded.tests if not r.passed]
    assert [r.grade_id for r in failed] == ["test_cauchy_loss_grad"]
    assert "stderr" in failed[0].message


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def test_cli_progress_table(tmp_path):
    root = tmp_path / "course"
    (root / NB).mkdir(parents=True)
    (root / NB / f"{NB}.ipynb").write_text(solution_path(NB).read_text(encoding="utf-8"))
    other = "zz_broken"
    (root / other).mkdir()
    (root / other / f"{other}.ipynb").write_text("not json")
    proc = cli("progress", str(root))
    assert proc.returncode == 0, proc.stderr
    assert "[x] test_central_difference" in proc.stdout and " 2/2 " in proc.stdout
    assert "00_finite_differences" in proc.stdout and "8 / 8 points" in proc.stdout
    assert "(whole notebook)" in proc.stdout, "an unreadable notebook is reported, not fatal"
    assert "total: 8 / 8 points" in proc.stdout


def test_cli_survives_a_notebook_that_kills_python(tmp_path):
    path = _broken(tmp_path, "cauchy_loss_grad", "import os\nos._exit(3)\n")
    proc = cli("grade", str(path))
    assert proc.returncode == 1
    assert "stopped Python (exit code 3)" in proc.stdout


def test_cli_grade_explains_failures():
    proc = cli("grade", str(learner_path(NB)))
    assert proc.returncode == 1
    assert "0 / 8 points" in proc.stdout
    assert proc.stdout.count("not implemented yet") >= 4
