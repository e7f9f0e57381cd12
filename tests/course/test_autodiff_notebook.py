"""Notebook 06_autodiff: its structure, and the facts its text states, from the solution itself.

The checks are tested in test_checks_autodiff.py; here: the exercise headings match the checks
module (part N is "### Exercise N" with its points), every number the text quotes is one the
code prints, the engine's semantics hold, and training on the spirals works.
"""
import re

import numpy as np
import pytest

import nbedit
from autograder.checks import autodiff as check
from conftest import load_solution, solution_path

NB = "06_autodiff"


@pytest.fixture(scope="module")
def sol():
    return load_solution(NB)


def _text(cell):
    return "".join(cell["source"])


def test_exercise_n_is_part_n_with_its_points():
    """'### Exercise N (P point[s])' in order, each followed by its solution cell and its test cell."""
    cells = nbedit.read(solution_path(NB))["cells"]
    headings = [(i, m) for i, c in enumerate(cells) if c["cell_type"] == "markdown"
                for m in re.finditer(r"^### Exercise (\d+) \((\d+) points?\)", _text(c), re.M)]
    assert [int(m.group(1)) for _, m in headings] == list(range(1, len(check.EXERCISES.parts) + 1))
    for (i, m), part in zip(headings, check.EXERCISES.parts):
        assert int(m.group(2)) == part["points"], (m.group(0), part)
        following = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells[i + 1:i + 4]]
        assert part["key"] in following and f"test_{part['key']}" in following, (m.group(0), following)


def test_no_graphviz_only_matplotlib():
    cells = nbedit.read(solution_path(NB))["cells"]
    assert not any("graphviz" in _text(c) for c in cells if c["cell_type"] == "code")


def _printed(sol, cell_id):
    cells = nbedit.read(solution_path(NB))["cells"]
    index = next(i for i, c in enumerate(cells) if c["id"] == cell_id)
    return next(run.stdout for run in sol.runs if run.index == index)


@pytest.mark.parametrize("cell_id, printed", [
    ("manual-chain", "dy/dx = 3.297442541400256    DeZero prints: 3.297442541400256"),
    ("recursion-limit", "a recursive walk of a chain of 2000 nodes fails: RecursionError"),
    ("draw-simple", "f = -12, df/dx = -4, df/dy = -4, df/dz = 3"),
    ("semantics-demo", "x * x at 3, one backward:     x.grad = 6.0"),
    ("semantics-demo", "a second backward:            x.grad = 12.0 (leaves accumulate)"),
    ("semantics-demo", "zero_grad, then backward:     x.grad = 6.0"),
    ("semantics-demo", "10,000 multiplications: x.grad = 2.7181459268, 1.0001**10000 = 2.7181459268"),
    ("draw-neuron", "f = 0.73; w.grad = (-0.20, -0.39, 0.20); x.grad = (0.39, -0.59)"),
    ("wx-demo", "f = 0.116   df/dq = [0.44 0.52]"),
    ("wx-demo", "W.grad = [[0.088, 0.176], [0.104, 0.208]]   x.grad = [-0.112  0.636]"),
])
def test_the_numbers_in_the_text_are_printed_by_the_code(sol, cell_id, printed):
    assert printed in _printed(sol, cell_id)


def test_the_neuron_graph_text_matches_its_boxes(sol):
    """The markdown above the drawing quotes -0.53 at 1/x's input 1.37, -0.2 at the exp's input and
    0.2 at z = 1: the nodes of the engine's graph hold those numbers."""
    Value = sol.Value
    w, x = [Value(2.0), Value(-3.0), Value(-3.0)], [Value(-1.0), Value(-2.0)]
    f = sol.sigmoid_neuron(w, x)
    f.backward()
    nodes = sol.topo_order(f)
    by = {(n.op, round(n.data, 2)): round(n.grad, 2) for n in nodes if n.parents}
    assert by[("+", 1.37)] == -0.53
    assert by[("*", -1.0)] == -0.2          # -z, the exp's input
    assert by[("+", 1.0)] == 0.2            # z


def test_layers_and_engine_agree_and_training_works(sol):
    out = _printed(sol, "layers-compare")
    diffs = [float(v) for v in re.findall(r"max \|engine - layers\| = ([0-9.e+-]+)", out)]
    assert len(diffs) == 4 and max(diffs) < 1e-12
    train = _printed(sol, "train")
    accuracy = float(re.search(r"training accuracy ([0-9.]+)%", train).group(1))
    assert accuracy > 95.0
    assert sol.losses[-1] < 0.2 * sol.losses[0]


def test_engine_semantics(sol):
    Value = sol.Value
    x = Value(3.0)
    y = x * x + x                        # x used three times
    y.backward()
    assert x.grad == 7.0 and y.grad == 1.0
    y.backward()
    assert x.grad == 14.0                # leaves accumulate
    y.zero_grad()
    assert x.grad == 0.0 and y.grad == 0.0
    y.backward()
    assert x.grad == 7.0
    c = 2 * x - 1 / x + x / 4 - 5        # constants on both sides
    x.grad = 0.0
    c.backward()
    assert np.isclose(x.grad, 2 + 1 / 9 + 0.25)


def test_a_chain_of_100000_nodes_needs_no_recursion(sol):
    import sys
    x = sol.Value(0.5)
    node = x
    for _ in range(100_000):
        node = node + 0.0
    limit = sys.getrecursionlimit()
    node.backward()
    assert x.grad == 1.0 and sys.getrecursionlimit() == limit


def test_tensor_reuses_value_backward_unchanged(sol):
    assert sol.Tensor.backward is sol.Value.backward
    assert sol.Tensor.zero_grad is sol.Value.zero_grad


def test_the_neuron_graph_is_legible_and_no_arrow_crosses_a_box(sol):
    """Issue 20 §4: the neuron graph was drawn at 8 pt and w2's arrow crossed the first '+' box.
    Every box's text is at least 10 pt, and no arrow passes through a box other than its two ends
    (boxes taken as 0.3 of a column either side, 0.3 of a row above and below)."""
    import matplotlib.pyplot as plt
    Value = sol.Value
    w, x = [Value(2.0), Value(-3.0), Value(-3.0)], [Value(-1.0), Value(-2.0)]
    f = sol.sigmoid_neuron(w, x)
    f.backward()
    fig, ax = sol.draw_graph(f, names={w[0]: "w0", w[1]: "w1", w[2]: "w2", x[0]: "x0", x[1]: "x1"})
    try:
        labels = [t for t in ax.texts if not hasattr(t, "xyann")]
        boxes = [t.get_position() for t in labels]
        assert len(boxes) == len(sol.topo_order(f)) and min(t.get_fontsize() for t in labels) >= 10
        arrows = [(a.xyann, a.xy) for a in ax.texts if hasattr(a, "xyann")]
        assert len(arrows) == sum(len(n.parents) for n in sol.topo_order(f))
        for start, end in arrows:
            for t in np.linspace(0.0, 1.0, 200):
                px, py = (1 - t) * np.array(start) + t * np.array(end)
                inside = [b for b in boxes if abs(px - b[0]) < 0.3 and abs(py - b[1]) < 0.3]
                assert all(np.allclose(b, start) or np.allclose(b, end) for b in inside), (start, end, inside)
    finally:
        plt.close(fig)


def test_demo_cells_after_training_draw_nothing_until_the_exercises_are_done():
    """In the learner notebook (stubs), the two plot cells after the training cell print one line
    saying what is not implemented yet, and create no figure."""
    import matplotlib.pyplot as plt
    from autograder import load_notebook
    from conftest import learner_path
    plt.close("all")
    nb = load_notebook(learner_path(NB))
    cells = nbedit.read(learner_path(NB))["cells"]
    for cell_id in ("train-loss", "train-regions"):
        index = next(i for i, c in enumerate(cells) if c["id"] == cell_id)
        run = next(r for r in nb.runs if r.index == index)
        assert run.stdout.strip().splitlines() == [
            "Nothing to draw yet: two_layer_loss, or an operation it uses, is not implemented yet (the "
            "training cell above names the exercise to finish first)."], run.stdout
    assert plt.get_fignums() == [], "a demo cell drew an empty figure"
