"""solutions/ -> nbgrader -> notebooks/: in sync, solutions pass, learner versions fail kindly."""
import filecmp
import subprocess

import pytest

from conftest import ROOT, assignments, learner_path, nbgrader_cmd, nbgrader_env, solution_path

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


@pytest.mark.parametrize("assignment", ALL)
def test_solution_passes_every_test_cell(assignment):
    from nbgrader.validator import Validator
    assert Validator().validate(str(solution_path(assignment))) == {}


@pytest.mark.parametrize("assignment", ALL)
def test_learner_notebook_passes_no_test_cell(assignment):
    from nbgrader.validator import Validator
    assert Validator(invert=True).validate(str(learner_path(assignment))) == {}


def _execute(path):
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(str(path), as_version=4)
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


@pytest.mark.parametrize("assignment", ALL)
def test_learner_notebook_fails_only_with_friendly_not_implemented(assignment):
    """A fresh learner notebook, run top to bottom in a real kernel: every error is a check
    saying 'not implemented yet' or, in a demo cell, one line naming the unfinished function
    and the exercise to finish; both shown without a traceback."""
    import re
    nb = _execute(learner_path(assignment))
    errors = [(cell.get("id"), out) for cell in nb.cells if cell.cell_type == "code"
              for out in cell.get("outputs", []) if out.output_type == "error"]
    assert errors, "a learner notebook with stubs should fail somewhere"
    for cell_id, out in errors:
        assert out.ename in ("NotImplementedError", "CheckFailed"), f"cell {cell_id}: {out.ename}: {out.evalue}"
        assert "not implemented yet" in out.evalue, f"cell {cell_id}: {out.ename}: {out.evalue}"
        assert len(out.traceback) <= 2, f"cell {cell_id}: shown as one message, not a traceback: {out.traceback}"
        assert not any("%tb" in line for line in out.traceback), out.traceback
        if out.ename == "NotImplementedError":
            assert re.fullmatch(r"[\w.]+ is not implemented yet: finish Exercise \d+ \(.+\) "
                                r"first, then run this cell again\.", out.evalue), out.evalue
    streams = [out for cell in nb.cells if cell.cell_type == "code"
               for out in cell.get("outputs", []) if out.output_type == "stream" and out.name == "stderr"]
    assert not streams, [s.text for s in streams]
