"""solutions/ -> nbgrader -> notebooks/: in sync, solutions pass, learner versions fail kindly."""
import filecmp
import subprocess

import pytest

from conftest import (ROOT, assignments, execute_notebook, languages, learner_path, nbgrader_cmd, nbgrader_env,
                      solution_edition, solution_path)

ALL = assignments()


@pytest.mark.parametrize("assignment", ALL)
def test_learner_notebook_is_generated_from_the_solution(assignment, tmp_path):
    """Regenerating notebooks/ from solutions/ gives byte-identical files (run `make generate` if not)."""
    proc = subprocess.run(nbgrader_cmd() + ["generate_assignment", assignment, "--force", "--no-db",
                                            f"--CourseDirectory.release_directory={tmp_path}"],
                          cwd=ROOT, env=nbgrader_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    fresh = tmp_path / assignment
    committed = ROOT / "notebooks" / assignment
    fresh_files = sorted(p.name for p in fresh.iterdir())
    committed_files = sorted(p.name for p in committed.iterdir())
    assert fresh_files == committed_files
    for name in fresh_files:
        assert filecmp.cmp(fresh / name, committed / name, shallow=False), (
            f"notebooks/{assignment}/{name} is out of date: run `make generate`")


EDITIONS = [(lang, a) for lang in languages() for a in ALL]


@pytest.mark.parametrize("lang, assignment", EDITIONS)
def test_solution_passes_every_test_cell(lang, assignment, tmp_path):
    """The solution, in each language of the course, passes every test cell in a kernel."""
    from nbgrader.validator import Validator
    assert Validator().validate(str(solution_edition(assignment, lang, tmp_path))) == {}


@pytest.mark.parametrize("lang, assignment", EDITIONS)
def test_learner_notebook_passes_no_test_cell(lang, assignment):
    """A fresh learner notebook, in each language, passes no test cell."""
    from nbgrader.validator import Validator
    assert Validator(invert=True).validate(str(learner_path(assignment, lang))) == {}


@pytest.mark.parametrize("lang", [lang for lang in languages() if lang != "en"])
@pytest.mark.parametrize("assignment", ALL)
def test_each_edition_is_generated_from_the_english_one(lang, assignment, tmp_path):
    """notebooks-<lang>/ is the English learner notebook with its markdown translated, byte for byte
    what `make generate` writes (run it if not); the code cells are the English ones."""
    import json
    from autograder import i18n
    from autograder.grading.release import _write_edition
    _write_edition(ROOT, lang, assignment, ROOT / "notebooks" / assignment, tmp_path)
    fresh = (tmp_path / f"{assignment}.ipynb").read_bytes()
    committed = learner_path(assignment, lang)
    assert fresh == committed.read_bytes(), f"{committed.relative_to(ROOT)} is out of date: run `make generate`"
    english = json.loads(learner_path(assignment).read_text(encoding="utf-8"))
    translated = json.loads(committed.read_text(encoding="utf-8"))
    assert [c for c in translated["cells"] if c["cell_type"] == "code"] == \
        [c for c in english["cells"] if c["cell_type"] == "code"]
    assert i18n.notebook_language(translated) == lang


def test_nbgrader_generates_the_korean_edition_as_make_generate_does(tmp_path):
    """COURSE_LANG=ko nbgrader generate_assignment (the Formgrader's path) writes the same Korean
    learner notebook as `make generate`."""
    import os
    assignment = ALL[0]
    env = dict(nbgrader_env(), COURSE_LANG="ko")
    proc = subprocess.run(nbgrader_cmd() + ["generate_assignment", assignment, "--force", "--no-db",
                                            f"--CourseDirectory.release_directory={tmp_path}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    fresh = tmp_path / assignment / f"{assignment}.ipynb"
    assert fresh.read_bytes() == learner_path(assignment, "ko").read_bytes()


def _execute(path, allow_errors=True):
    """Run a notebook in a fresh kernel, as JupyterLab's Run All does when ``allow_errors`` is
    False: a cell that raises stops the run unless it is tagged ``raises-exception`` (nbclient and
    JupyterLab both send such a cell with ``stop_on_error`` off).  A kernel that does not start (slow
    on a busy machine, or a port taken by another kernel starting at the same moment) is started
    again (conftest.execute_notebook)."""
    return execute_notebook(path, allow_errors=allow_errors)


# What a stub says, in each language: its check, and a demo cell that calls it.
NOT_IMPLEMENTED = {
    "en": ("not implemented yet",
           r"[\w.]+ is not implemented yet: finish Exercise \d+ \(.+\) first, then run this cell again\."),
    "ko": ("아직 구현되지 않았습니다",
           r"[\w.]+은\(는\) 아직 구현되지 않았습니다: 먼저 연습 문제 \d+\(.+\)부터 마친 다음, 이 셀을 다시 실행하세요\."),
}


@pytest.mark.parametrize("lang, assignment", EDITIONS)
def test_learner_notebook_fails_only_with_friendly_not_implemented(lang, assignment):
    """A fresh learner notebook, run top to bottom in a real kernel as Run All does, reaches its
    last cell (every cell that fails is tagged raises-exception); every error is a check saying
    'not implemented yet' or, in a demo cell, one line naming the unfinished function and the
    exercise to finish; both shown without a traceback, in the notebook's language."""
    import re
    from nbclient.exceptions import CellExecutionError
    said, demo = NOT_IMPLEMENTED[lang]
    try:
        nb = _execute(learner_path(assignment, lang), allow_errors=False)
    except CellExecutionError as exc:
        pytest.fail(f"Run All would stop at a cell that is not tagged raises-exception "
                    f"(autograder/grading/release.py: cells_that_may_raise): {str(exc)[-1500:]}")
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code[-1].get("execution_count"), "Run All did not reach the last cell"
    assert all(cell.get("execution_count") for cell in code), [c.get("id") for c in code if not c.get("execution_count")]
    errors = [(cell.get("id"), out) for cell in nb.cells if cell.cell_type == "code"
              for out in cell.get("outputs", []) if out.output_type == "error"]
    assert errors, "a learner notebook with stubs should fail somewhere"
    for cell_id, out in errors:
        assert out.ename in ("NotImplementedError", "CheckFailed"), f"cell {cell_id}: {out.ename}: {out.evalue}"
        assert said in out.evalue, f"cell {cell_id}: {out.ename}: {out.evalue}"
        assert len(out.traceback) <= 2, f"cell {cell_id}: shown as one message, not a traceback: {out.traceback}"
        assert not any("%tb" in line for line in out.traceback), out.traceback
        if out.ename == "NotImplementedError":
            assert re.fullmatch(demo, out.evalue), out.evalue
    streams = [out for cell in nb.cells if cell.cell_type == "code"
               for out in cell.get("outputs", []) if out.output_type == "stream" and out.name == "stderr"]
    assert not streams, [s.text for s in streams]


# --- Run All goes on past the cells an unfinished exercise makes fail --------------------------

def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize("assignment", ALL)
def test_raises_exception_tags_only_in_the_learner_copy(assignment):
    """The learner's copy tags exactly the cells release.cells_that_may_raise finds; the solution
    carries no tag (nbval honours it, so a broken solution would pass)."""
    import json
    from autograder.grading.release import RAISES, cells_that_may_raise
    source = json.loads(solution_path(assignment).read_text(encoding="utf-8"))
    learner = json.loads(learner_path(assignment).read_text(encoding="utf-8"))
    assert not [c["id"] for c in source["cells"] if RAISES in _tags(c)]
    tagged = [i for i, c in enumerate(learner["cells"]) if RAISES in _tags(c)]
    assert tagged == cells_that_may_raise(source)
    tests = {i for i, c in enumerate(learner["cells"]) if c.get("metadata", {}).get("nbgrader", {}).get("grade")}
    assert tests <= set(tagged), "every test cell is tagged"


def test_cells_that_may_raise_follows_names_from_answers_to_demos():
    """Which cells are tagged: test cells, cells using an answer's function or method, cells reading
    a name bound by a tagged cell; not the answers, not a cell that binds its own copy of a name."""
    from autograder.grading.release import cells_that_may_raise

    def code(source, **nbgrader):
        meta = {"nbgrader": dict(nbgrader, schema_version=3)} if nbgrader else {}
        return {"cell_type": "code", "metadata": meta, "source": source, "outputs": []}
    nb = {"cells": [
        code("import numpy as np\nx = np.ones(3)", locked=True, grade_id="setup"),           # 0
        code("def f(x):\n    raise NotImplementedError()", solution=True, grade_id="f"),     # 1
        code("check.f(f)", grade=True, grade_id="test_f", points=1),                          # 2
        code("y = f(x)\nprint(y)"),                                                           # 3: uses f
        code("print(y + 1)"),                                                                 # 4: y from 3
        code("y = 2\nprint(y)"),                                                              # 5: own y
        code("def g(z):\n    return f(z) + z"),                                               # 6: g calls f
        code("for x in range(3):\n    print(x)"),                                             # 7: nothing
        code("v = np.zeros(2)\nv.f()"),                                                       # 8: method f
        code("%timeit g(1)"),                                                                 # 9: magic
        {"cell_type": "markdown", "metadata": {}, "source": "f(x)"},
    ]}
    assert cells_that_may_raise(nb) == [2, 3, 4, 6, 8, 9]


def test_run_all_stops_at_a_failing_cell_without_the_tag(tmp_path):
    """The Run All check above can fail: without the tags, the first stub's check stops the run."""
    import json
    import shutil
    from nbclient.exceptions import CellExecutionError
    folder = tmp_path / "00_finite_differences"
    shutil.copytree(learner_path("00_finite_differences").parent, folder)
    path = folder / "00_finite_differences.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("tags", None)
    path.write_text(json.dumps(nb), encoding="utf-8")
    with pytest.raises(CellExecutionError, match="not implemented yet"):
        _execute(path, allow_errors=False)
