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
    assert [r.passed for r in solution.tests] == [True] * 5
    learner = grade_notebook(learner_path(NB))
    assert [r.passed for r in learner.tests] == [False] * 5
    assert all("not implemented yet" in r.message for r in learner.tests)


def _answer_cell(grade_id):
    """The index of the answer cell ``grade_id`` in notebook 00 (cells are counted from 0)."""
    cells = nbedit.read(solution_path(NB))["cells"]
    return next(i for i, c in enumerate(cells)
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


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
    assert passed == {"test_central_difference": True, "test_convergence_order": True,
                      "test_numerical_gradient": True, "test_relative_error": False,
                      "test_cauchy_loss_grad": True}
    assert any("boom" in r.message for r in graded.errors)


def test_a_cell_that_loops_is_stopped(tmp_path):
    path = _broken(tmp_path, "relative_error", "while True:\n    pass\n")
    graded = grade_notebook(path, seconds=1)
    assert any("did not finish" in r.message for r in graded.errors)
    assert sum(r.points for r in graded.tests if r.passed) == 7     # 9 but relative_error's 2


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


def test_a_cell_that_warns_while_compiling_warns_on_every_grading(tmp_path):
    # the loader keeps compiled cells for the next grading; one whose compiling warned (an invalid
    # escape sequence: SyntaxWarning on stderr, a test cell scores 0) must warn again each time
    nb = nbedit.read(solution_path(NB))
    cell = nbedit.cell(nb, "test_cauchy_loss_grad")
    cell["source"] = "pattern = '\\d+'\n" + "".join(cell["source"])
    path = tmp_path / NB / f"{NB}.ipynb"
    nbedit.write(nb, path)
    for _ in range(2):
        failed = [r for r in grade_notebook(path).tests if not r.passed]
        assert [r.grade_id for r in failed] == ["test_cauchy_loss_grad"]
        assert "SyntaxWarning" in failed[0].message or "escape" in failed[0].message, failed[0].message


def test_fresh_runs_the_checks_module_again_and_reads_its_file_when_it_changes():
    import autograder.checks as checks
    module = checks.fresh("finite_differences")
    module.central_difference = lambda *a, **k: None          # a notebook rebinding a check
    assert checks.fresh("finite_differences").central_difference.__name__ == "central_difference"
    # compiled code kept under a stamp the file no longer has is not used: the file is read again
    stamp, _ = checks._FRESH_CODE["finite_differences"]
    stale = (stamp[0], stamp[1] - 1, stamp[2])
    checks._FRESH_CODE["finite_differences"] = (stale, compile("STALE_CODE_RAN = True", "stale", "exec"))
    module = checks.fresh("finite_differences")
    assert "STALE_CODE_RAN" not in vars(module)
    assert checks._FRESH_CODE["finite_differences"][0] == stamp


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
    assert proc.returncode == 1, "a notebook that cannot be graded: exit 1 (documented in course-check -h)"
    assert "[x] test_central_difference" in proc.stdout and " 2/2 " in proc.stdout
    assert "00_finite_differences" in proc.stdout and "9 / 9 points" in proc.stdout
    assert "zz_broken" in proc.stdout and "not graded: zz_broken.ipynb is not a notebook" in proc.stdout
    assert "total: 9 / 9 points" in proc.stdout


def test_cli_survives_a_notebook_that_kills_python(tmp_path):
    path = _broken(tmp_path, "cauchy_loss_grad", "import os\nos._exit(3)\n")
    proc = cli("grade", str(path))
    assert proc.returncode == 1
    cell = _answer_cell("cauchy_loss_grad")
    assert f"not graded: cell {cell} stopped Python (os._exit(3) or a crash)" in proc.stdout
    assert "without that cell, the rest earns 8 / 9" in proc.stdout


def test_exit_status_is_documented():
    text = cli("--help").stdout
    assert "Exit status" in text and "progress  0 when every notebook could be graded" in text


def test_cli_grade_explains_failures():
    proc = cli("grade", str(learner_path(NB)))
    assert proc.returncode == 1
    assert "0 / 9 points" in proc.stdout
    assert proc.stdout.count("not implemented yet") >= 4


def test_a_failed_test_cell_records_the_named_mistake(tmp_path):
    path = _broken(tmp_path, "central_difference",
                   "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x)) / h\n")
    graded = grade_notebook(path)
    keys = {r.grade_id: r.key for r in graded.tests}
    assert keys == {"test_central_difference": "forward_difference", "test_convergence_order": "",
                    "test_numerical_gradient": "", "test_relative_error": "", "test_cauchy_loss_grad": ""}


def test_exit_stops_the_kernel_but_sys_exit_does_not(tmp_path):
    """IPython's exit() shuts a Jupyter kernel down (nbgrader grades nothing of the notebook);
    sys.exit() is an error in its own cell only.  The loader runs on and says which."""
    graded = grade_notebook(_broken(tmp_path, "cauchy_loss_grad", "exit()\n"))
    cell = _answer_cell("cauchy_loss_grad")
    assert graded.fatal == [(cell, f"cell {cell} calls exit(), which shuts the Jupyter kernel down")]
    graded = grade_notebook(_broken(tmp_path, "cauchy_loss_grad", "exit(keep_kernel=True)\n"))
    assert graded.fatal == []
    graded = grade_notebook(_broken(tmp_path, "cauchy_loss_grad", "import sys\nsys.exit(2)\n"))
    assert graded.fatal == []
    run = next(r for r in graded.runs if r.index == cell)
    assert run.key == "exit" and "sys.exit(2)" in run.message


def test_a_loop_that_swallows_the_interrupt_is_fatal_but_a_plain_loop_is_not(tmp_path):
    graded = grade_notebook(_broken(tmp_path, "relative_error", "while True:\n    pass\n"), seconds=1)
    assert graded.fatal == []
    swallow = "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass\n"
    graded = grade_notebook(_broken(tmp_path, "relative_error", swallow), seconds=1)
    assert len(graded.fatal) == 1 and "kept running after it was interrupted" in graded.fatal[0][1]
    assert sum(r.points for r in graded.tests if r.passed) == 7, "the rest is still graded"


def test_skipped_cells_are_not_run(tmp_path):
    path = _broken(tmp_path, "relative_error", "raise RuntimeError('never')\n")
    cell = _answer_cell("relative_error")
    graded = grade_notebook(path, skip={cell})
    run = next(r for r in graded.runs if r.index == cell)
    assert run.key == "skipped" and "never" not in run.message


# --- course-check generate: regenerating never loses a learner's work ----------------------

@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory):
    """A clone of the course (with git history), sharing this checkout's venv."""
    import shutil
    base = tmp_path_factory.mktemp("repo") / "course"
    shutil.copytree(ROOT, base, ignore=shutil.ignore_patterns(".venv", "__pycache__", "*.egg-info", ".git"))
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run(git + ["init", "-q"], cwd=base, check=True)
    subprocess.run(git + ["add", "-A"], cwd=base, check=True)
    subprocess.run(git + ["commit", "-qm", "copy"], cwd=base, check=True)
    return base


def _generate(course, *args):
    return subprocess.run([sys.executable, "-m", "autograder", "generate", "--course", str(course), *args],
                          capture_output=True, text=True, timeout=600)


def test_generate_keeps_a_learners_work(repo_copy):
    path = repo_copy / "notebooks" / NB / f"{NB}.ipynb"
    nb = nbedit.read(path)
    nbedit.set_source(nb, "central_difference", "def central_difference(f, x, h=1e-5):\n    return 0.0\n")
    nbedit.write(nb, path)
    learner = path.read_text(encoding="utf-8")
    proc = _generate(repo_copy, NB)
    assert proc.returncode == 1
    assert "NOT regenerated" in proc.stdout and "answer cell central_difference was edited" in proc.stdout
    assert path.read_text(encoding="utf-8") == learner, "the learner's notebook is untouched"
    proc = _generate(repo_copy, NB, "--force")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    backups = list(path.parent.glob(f"{NB}.ipynb.bak-*"))
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8") == learner
    assert path.read_text(encoding="utf-8") == learner_path(NB).read_text(encoding="utf-8")


def test_generate_replaces_an_untouched_older_generation(repo_copy):
    path = repo_copy / "notebooks" / "01_chain_rule" / "01_chain_rule.ipynb"
    nb = nbedit.read(path)
    nb["cells"][0]["source"] = "# an older title\n"   # the instructor's previous generation
    nbedit.write(nb, path)
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qam", "older"],
                   cwd=repo_copy, check=True)
    proc = _generate(repo_copy, "01_chain_rule")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert path.read_text(encoding="utf-8") == learner_path("01_chain_rule").read_text(encoding="utf-8")


def test_generate_refuses_a_notebook_that_was_run(repo_copy):
    path = repo_copy / "notebooks" / "02_jacobian" / "02_jacobian.ipynb"
    nb = nbedit.read(path)
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi\n"}]
    nbedit.write(nb, path)
    proc = _generate(repo_copy, "02_jacobian")
    assert proc.returncode == 1 and "it has outputs" in proc.stdout


def test_a_long_message_keeps_its_hint_line():
    """course-check shows six lines of a failure; the line that points to the hint survives the cut."""
    from autograder import CheckFailed
    from autograder.loader import _first_lines
    body = "\n".join(f"line {i}" for i in range(1, 9))
    with_hint = _first_lines(CheckFailed(body + "\n  see hint 2 of Exercise 3 (X) above.", key="k", hint=2))
    assert with_hint.splitlines()[-1].strip() == "see hint 2 of Exercise 3 (X) above."
    assert len(with_hint.splitlines()) == 6 and "line 5" in with_hint and "line 6" not in with_hint
    without = _first_lines(CheckFailed(body, key="k"))
    assert without.splitlines() == ["CheckFailed: line 1"] + [f"line {i}" for i in range(2, 7)]
