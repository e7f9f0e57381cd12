"""The 03_scalar_backprop notebook keeps its promises: exercise numbers, loops, seed numbers."""
import math
import re

import nbedit
from autograder.checks import scalar_backprop as check
from conftest import solution_path

NB = "03_scalar_backprop"


def _text(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_exercise_n_is_part_n_and_is_named_after_its_function():
    """'### Exercise N (P points): `name`' introduces part N of the Exercises list, with its points,
    and the solution cell after it defines `name`."""
    cells = nbedit.read(solution_path(NB))["cells"]
    headings = []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        for match in re.finditer(r"^### Exercise (\d+) \((\d+) points?\): `(\w+)`", _text(cell), re.M):
            headings.append((int(match.group(1)), int(match.group(2)), match.group(3), index))
    assert [h[0] for h in headings] == list(range(1, len(check.EXERCISES.parts) + 1))
    for (number, points, name, index), part in zip(headings, check.EXERCISES.parts):
        assert name == part["key"] and points == part["points"], (number, name, part)
        following = next(c for c in cells[index + 1:] if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
        assert following["metadata"]["nbgrader"]["grade_id"] == name
        assert f"def {name}(" in _text(following)


def test_solutions_use_loops_not_matrix_products():
    """The point of the notebook: every index visible. Notebook 04 does the matrix products."""
    for cell in nbedit.solution_cells(nbedit.read(solution_path(NB))):
        body = _text(cell).split("### BEGIN SOLUTION")[1]
        for banned in ("@", "np.dot", "np.matmul", "np.outer", "np.einsum", ".T"):
            assert banned not in body, (cell["id"], banned)
        if cell["id"] not in ("backward_loops", "dz_from_deltas"):
            assert "for " in body, cell["id"]


def test_numbers_in_the_text_are_the_ones_the_seeds_and_checks_print():
    """The worked example's table and the side-by-side table of the check agree."""
    text = "\n".join(_text(c) for c in nbedit.read(solution_path(NB))["cells"] if c["cell_type"] == "markdown")
    for number in ["0.1966", "(-0.20,\\ -0.39)", "(0.39,\\ -0.59)", "$0.4$ for $x_0$"]:
        assert number in text, number


def test_the_worked_example_quotes_true_numbers():
    """sigma(1) = 0.7311, 1 - sigma(1) = 0.2689 and their product 0.1966, as the table says; rounded
    first, 0.73 x 0.27 = 0.1971 (the text says so rather than calling it 0.1966)."""
    text = "\n".join(_text(c) for c in nbedit.read(solution_path(NB))["cells"] if c["cell_type"] == "markdown")
    y = 1.0 / (1.0 + math.exp(-1.0))
    assert f"{y:.4f}" == "0.7311" and f"{1 - y:.4f}" == "0.2689" and f"{y * (1 - y):.4f}" == "0.1966"
    assert f"{0.73 * 0.27:.4f}" == "0.1971"
    assert "0.7311 \\times 0.2689$ | $0.1966$" in text and "0.73 \\times 0.27$ would\ngive $0.1971$" in text
    assert "0.73 \\times (1 - 0.73)" not in text


def test_no_rule_the_checks_do_not_enforce():
    """Issue 18: the notebook once said 'no @, np.dot or np.sum over a weight matrix', which no check
    can see; it now says the check compares numbers only."""
    text = "\n".join(_text(c) for c in nbedit.read(solution_path(NB))["cells"] if c["cell_type"] == "markdown")
    assert "No `@`" not in text and "cannot see how you computed them" in text


def test_symbols_keep_one_meaning():
    """N is the batch size only: seed 001's last layer is written (K), and its own (N) appears only
    where the list of the seeds' slips quotes the note; the targets array of batch_gradients is
    `targets`, not T (seed 001's T is its training set's size)."""
    cells = nbedit.read(solution_path(NB))["cells"]
    text = "\n".join(_text(c) for c in cells)
    before_slips = text.split("Where the notes slip")[0]
    assert "^{(N)}" not in before_slips and "^{(N-1)}" not in before_slips and "(K)" in before_slips
    assert "def batch_gradients(X, targets," in text and "T[s]" not in text
