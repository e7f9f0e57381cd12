"""The check cell's verdict is the grade's verdict.

Notebooks mixing right answers, a wrong answer, stderr, a warning, a syntax error and a stub are
run in a real Jupyter kernel (nbclient, the learner's copy: visible checks) and through
``course-check progress`` (kernel-free, the course's test cells): the table ``check.progress()``
prints at the end of the kernel run must agree with course-check's part by part, status and
first line.  Then a kernel session as a learner has it: a stub run first, the edit with a syntax
error next, and the check cell says which cell did not run.
"""
import json
import re
import subprocess
import sys

import pytest

from conftest import ROOT, VENV_BIN, execute_notebook, nbgrader_env
from mistakes import HIDDEN, Kernel, code_cells, solution_notebook

ROW = re.compile(r"^  \[( |x)\] (\w+)\s+\S+ pt\s+(passed|failed|not implemented yet|not checked yet)")


def _learner_copy(nb):
    """The solution notebook as the learner's copy runs it: test cells without hidden tests."""
    for cell in nb["cells"]:
        text = "".join(cell.get("source", ""))
        if HIDDEN[0] in text:
            cell["source"] = text[:text.index(HIDDEN[0])] + text[text.index(HIDDEN[1]) + len(HIDDEN[1]):]
    return nb


def _answer(nb, grade_id):
    return next(c for c in nb["cells"] if (c.get("metadata", {}).get("nbgrader", {}) or {}).get("grade_id") == grade_id)


def _edit(nb, grade_id, old, new):
    cell = _answer(nb, grade_id)
    text = "".join(cell["source"])
    assert old in text, f"{grade_id}: {old!r} not in the solution cell"
    cell["source"] = text.replace(old, new, 1)


# Each mixed notebook: (assignment, [(answer cell, old text, new text)]), what each part becomes.
MIXES = {
    "04_vector_backprop": [
        ("sigmoid", "def sigmoid_backward(dout, cache):",
         "def sigmoid_backward(dout, cache):\n    import sys; print('checking', dout.shape, file=sys.stderr)"),
        ("tanh", "def tanh_backward(dout, cache):",
         "def tanh_backward(dout, cache):\n    import warnings; warnings.warn('tanh is slow')"),
        ("relu", "return", "return ("),                                      # a SyntaxError
        ("mse_loss", "n = y.shape[0]", "raise NotImplementedError()"),       # a stub
        ("softmax_cross_entropy", "return loss, dscores / n", "return loss, dscores"),   # the 1/N missing
    ],
    "03_scalar_backprop": [
        ("hidden_delta", "delta[j] = dy[j] * y[j] * (1.0 - y[j])", "delta[j] = dy[j] * y[j]"),   # wrong
        ("layer_backward", "m, n = W.shape", "m, n = W.shape\n    import logging; logging.warning('W %s', W.shape)"),
        ("delta_identity_mse", "delta = np.zeros(len(y))", "raise NotImplementedError()"),
        ("loss", "E = 0.0", "E = 0.0 +"),                                                    # a SyntaxError
    ],
    "06_autodiff": [
        ("value_pow", "out = Value(", "out = Value((("),                     # a SyntaxError in a method
        ("topo_order", "order, visited = [], set()", "raise NotImplementedError()"),
        ("value_functions", "def exp(self):", "def exp(self):\n    import sys; sys.stderr.write('exp\\n')"),
    ],
}


def _kernel_table(nb_path):
    nb = execute_notebook(nb_path, allow_errors=True)
    progress = next(c for c in nb.cells if c.cell_type == "code" and c.source.strip() == "check.progress()")
    out = "".join(o.get("text", "") for o in progress.outputs if o.get("name") == "stdout")
    rows, lines = {}, out.splitlines()
    for i, line in enumerate(lines):
        match = ROW.match(line)
        if match:
            follow = lines[i + 1].strip() if i + 1 < len(lines) and lines[i + 1].startswith("        ") else ""
            rows[match.group(2)] = (match.group(3), follow if match.group(3) == "failed" else "")
    return rows, nb


def _course_check_table(folder):
    proc = subprocess.run([str(VENV_BIN / "course-check"), "progress", str(folder), "--json", "--jobs", "1"],
                          capture_output=True, text=True, env=nbgrader_env(), cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    from autograder.grading.cli import _status
    from autograder.grading.runner import _one_line
    rows = {}
    for notebook in json.loads(proc.stdout)["notebooks"]:
        for row in notebook["rows"]:
            status = _status(row)
            rows[row["grade_id"][len("test_"):]] = (status, _one_line(row["message"]) if status == "failed" else "")
    return rows


@pytest.mark.parametrize("assignment", list(MIXES))
def test_check_progress_agrees_with_course_check(assignment, tmp_path):
    """Does check.progress() in a kernel say, part by part, what course-check progress says?"""
    _, nb = solution_notebook(assignment)
    nb = _learner_copy(nb)
    for grade_id, old, new in MIXES[assignment]:
        _edit(nb, grade_id, old, new)
    folder = tmp_path / "notebooks" / assignment
    folder.mkdir(parents=True)
    (tmp_path / "solutions").symlink_to(ROOT / "solutions")
    path = folder / f"{assignment}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    for extra in (ROOT / "solutions" / assignment).iterdir():     # data files next to the notebook
        if extra.suffix != ".ipynb" and not extra.name.startswith("."):
            (folder / extra.name).symlink_to(extra)
    kernel, ran = _kernel_table(path)
    graded = _course_check_table(tmp_path / "notebooks")
    assert set(kernel) == set(graded)
    differ = {part: (kernel[part], graded[part]) for part in kernel if kernel[part] != graded[part]}
    assert not differ, "\n".join(f"{p}: kernel {k} / course-check {g}" for p, (k, g) in differ.items())
    statuses = {status for status, _ in kernel.values()}
    assert {"passed", "failed", "not implemented yet"} <= statuses
    failed = " ".join(line for _, line in kernel.values())
    assert "wrote to stderr" in failed and "did not run (SyntaxError at line" in failed
    assert "this exercise builds on" in failed or assignment != "04_vector_backprop"
    # and the kernel showed no raw NameError anywhere
    for cell in ran.cells:
        for output in cell.get("outputs", []):
            assert output.get("ename") != "NameError" or "did not run" in output.get("evalue", "")


def test_a_stale_stub_is_not_what_the_check_reports():
    """In a kernel where the stub ran first, a later edit with a SyntaxError does not run: the check
    cell says so (not "not implemented yet"), and so does a NameError in a fresh kernel."""
    path, nb = solution_notebook("04_vector_backprop")
    cells = code_cells(_learner_copy(nb), hidden=False)
    setup = next(c for c in cells if "import autograder" in c)
    answer = "".join(_answer(nb, "relu")["source"])
    stub = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "raise NotImplementedError()", answer, flags=re.S)
    broken = answer.replace("return", "return (", 1)
    check = "check.relu(relu_forward, relu_backward)"
    from autograder.checks import vector_backprop
    number = vector_backprop.EXERCISES.keys.index("relu") + 1
    with Kernel(path.parent) as kernel:
        kernel.fresh()
        kernel.run(setup)
        kernel.run(stub)
        assert "not implemented yet" in kernel.run(check)["error"][1]
        assert kernel.run(broken)["error"][0] == "SyntaxError"
        said = kernel.run(check)["error"]
        assert said[0] == "CheckFailed" and f"your Exercise {number} cell did not run (SyntaxError at line" in said[1]
        assert kernel.verdict()["key"] == "cell_did_not_run"
        assert kernel.run("check.progress()")["stdout"].count("did not run") == 1
        kernel.fresh()
        kernel.run(setup)
        kernel.run(broken)
        said = kernel.run(check)["error"]
        assert said[0] == "NameError" and f"your Exercise {number} cell did not run" in said[1]
        fixed = kernel.run(answer)
        assert fixed["error"] is None
        assert "[ok] relu" in kernel.run(check)["stdout"]
