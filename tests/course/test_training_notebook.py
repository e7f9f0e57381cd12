"""05_training's notebook matches its checks: exercise N is part N, and the text's promises hold."""
import re

import nbedit
from autograder.checks import training as check
from conftest import ROOT, solution_path

NB = "05_training"


def text(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_exercise_n_is_part_n_with_its_points():
    """'### Exercise N (P points)' comes right before the solution cell of part N (= its function)."""
    nb = nbedit.read(solution_path(NB))
    cells = nb["cells"]
    headings = []
    for i, c in enumerate(cells):
        m = re.search(r"^### Exercise (\d+) \((\d+) points?\)", text(c), re.M) if c["cell_type"] == "markdown" else None
        if m:
            solution = next(d for d in cells[i + 1:] if d.get("metadata", {}).get("nbgrader", {}).get("solution"))
            headings.append((int(m.group(1)), int(m.group(2)), solution["metadata"]["nbgrader"]["grade_id"]))
    parts = check.EXERCISES.parts
    assert [n for n, _, _ in headings] == list(range(1, len(parts) + 1))
    assert [(p, key) for _, p, key in headings] == [(p["points"], p["key"]) for p in parts]
    for _, _, key in headings:
        src = text(nbedit.cell(nb, key))
        assert f"def {key}(" in src


def test_the_given_layers_are_locked_and_introduced():
    nb = nbedit.read(solution_path(NB))
    layers = nbedit.cell(nb, "given_layers")
    assert layers["metadata"]["nbgrader"]["locked"] and not layers["metadata"]["nbgrader"]["grade"]
    for name in ["affine_forward", "affine_backward", "relu_forward", "relu_backward", "sigmoid_forward",
                 "sigmoid_backward", "tanh_forward", "tanh_backward", "mse_loss", "softmax_cross_entropy"]:
        assert f"def {name}(" in text(layers)
    before = text(nb["cells"][nb["cells"].index(layers) - 1])
    assert "notebook 04" in before and "solutions" in before


def test_the_given_layers_follow_notebook_04s_formulas():
    """Checked against finite differences, so the notebook's given cell cannot drift."""
    import numpy as np
    from autograder import check_layer
    from conftest import load_solution
    sol = load_solution(NB)
    rng = np.random.default_rng(0)
    x, W, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    check_layer(sol.affine_forward, sol.affine_backward, x, W, b, quiet=True)
    check_layer(sol.affine_forward, sol.affine_backward, rng.standard_normal((4, 2, 3)),
                rng.standard_normal((6, 3)), b, quiet=True)
    z = rng.standard_normal((4, 3)) + 0.1
    for f, g in [(sol.relu_forward, sol.relu_backward), (sol.sigmoid_forward, sol.sigmoid_backward),
                 (sol.tanh_forward, sol.tanh_backward)]:
        check_layer(f, g, z, quiet=True)
    labels = np.array([0, 2, 1, 2])
    loss, dscores = sol.softmax_cross_entropy(z, labels)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert np.isclose(loss, -np.mean(np.log(p[np.arange(4), labels])))
    assert np.allclose(dscores, (p - np.eye(3)[labels]) / 4)
    big_loss, big_d = sol.softmax_cross_entropy(z + 1000.0, labels)
    assert np.isclose(big_loss, loss) and np.allclose(big_d, dscores)
    t = rng.standard_normal((4, 3))
    mse, dy = sol.mse_loss(z, t)
    assert np.isclose(mse, 0.5 * np.sum((z - t) ** 2) / 4) and np.allclose(dy, (z - t) / 4)


def test_seed_001_typo_and_the_memory_price_are_in_the_text():
    nb = nbedit.read(solution_path(NB))
    body = "\n".join(text(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "typo" in body and "b_k = b_k - (eta / T) (grad_{W_k} Loss)^T" in body
    assert "Notebook 04 measured that price" in body
    assert "적절한 보폭을 설정해야 함" in body and "양수면" in body


def test_data_licence_note_ships_with_the_data():
    readme = (ROOT / "autograder" / "data" / "README.md").read_text(encoding="utf-8")
    assert "Alpaydin" in readme and "Kaynak" in readme and "CC BY 4.0" in readme


def exercise_markdown(nb):
    """{part key: the markdown of its '### Exercise N' cell}."""
    found = {}
    for c in nb["cells"]:
        m = re.search(r"^### Exercise (\d+) ", text(c), re.M) if c["cell_type"] == "markdown" else None
        if m:
            found[check.EXERCISES.parts[int(m.group(1)) - 1]["key"]] = text(c)
    return found


def test_every_hint_a_check_cites_is_in_its_exercise():
    """A named mistake says 'see hint N of Exercise M': that hint must be in Exercise M's markdown,
    numbered 1, 2, 3 in order, in the collapsed <details> format (blank lines kept for markdown)."""
    nb = nbedit.read(solution_path(NB))
    exercises = exercise_markdown(nb)
    assert set(check.HINTS) == set(exercises)
    for part, table in check.HINTS.items():
        numbers = [int(n) for n in re.findall(r"<details><summary><b>Hint (\d+)</b>: [^<]+</summary>\n\n",
                                              exercises[part])]
        assert numbers == list(range(1, len(numbers) + 1)), part
        assert exercises[part].count("<details>") == exercises[part].count("\n\n</details>") == len(numbers)
        assert set(table.values()) <= set(numbers), f"{part}: a check cites a hint the exercise does not have"


def test_a_named_mistake_points_to_its_hint():
    from conftest import fails_with, load_solution
    sol = load_solution(NB)

    def sgd_zips(params, grads, lr):
        for p, g in zip(params.values(), grads.values()):
            p -= lr * g
    message = fails_with("paired_by_order", check.sgd_step, sgd_zips)
    assert message.endswith("see hint 2 of Exercise 2 (The update p <- p - lr * dp, in place) above.")
    assert sol.sgd_step is not None


def test_demo_cells_draw_nothing_before_their_exercise_works(monkeypatch):
    """In the learner notebook, a cell that stops at a stub has created no figure (no empty axes)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from autograder.loader import grade_notebook
    from conftest import learner_path

    figures, current = {}, []
    close = plt.close

    def counting_close(*args, **kwargs):      # the loader closes every figure after each cell
        if current:
            figures[current[0]] = max(figures.get(current[0], 0), len(plt.get_fignums()))
        return close(*args, **kwargs)

    monkeypatch.setattr(plt, "close", counting_close)
    graded = grade_notebook(learner_path(NB), on_cell=lambda index: current.__setitem__(slice(None), [index]))
    stopped = [run.index for run in graded.runs if run.kind == "code" and not run.passed]
    assert stopped, "the learner notebook should stop at its stubs"
    assert [i for i in stopped if figures.get(i)] == []
    drawn = [run.index for run in graded.runs if run.kind == "code" and run.passed and figures.get(run.index)]
    assert drawn, "the figures of cells that need no exercise are still drawn"
