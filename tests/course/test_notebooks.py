"""Every notebook follows the course's conventions (docs/AUTHORING.md)."""
import importlib
import json
import re

import pytest

import nbedit
from conftest import ROOT, assignments, learner_path, solution_path

ALL = assignments()


def topic_module(assignment):
    return importlib.import_module("autograder.checks." + assignment.split("_", 1)[1])


def text(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.mark.parametrize("assignment", ALL)
@pytest.mark.parametrize("tree", ["solutions", "notebooks"])
def test_no_outputs_and_stable_ids(assignment, tree):
    path = solution_path(assignment) if tree == "solutions" else learner_path(assignment)
    nb = json.loads(path.read_text(encoding="utf-8"))
    ids = [c.get("id") for c in nb["cells"]]
    assert all(ids) and len(set(ids)) == len(ids), "every cell needs a unique id"
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and c["execution_count"] is None, f"cell {c['id']} has outputs"


@pytest.mark.parametrize("assignment", ALL)
def test_opens_with_goals_and_time_and_ends_with_glossary(assignment):
    nb = nbedit.read(solution_path(assignment))
    first = text(nb["cells"][0])
    assert first.startswith(f"# {assignment[:2]} ·")
    assert re.search(r"\*\*Time:\*\* about \d+ minutes", first)
    assert "## Learning goals" in first
    last = text(nb["cells"][-1])
    assert "## Glossary · 용어집" in last and "| English | 한국어 |" in last
    assert any(text(c).strip() == "check.progress()" for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("assignment", ALL)
def test_test_cells_match_the_checks_module(assignment):
    """One graded cell per exercise part, with the module's points, calling its check,
    with a hidden half that reloads the checks (so a patched check cannot fake a pass)."""
    module = topic_module(assignment)
    nb = nbedit.read(solution_path(assignment))
    cells = nbedit.test_cells(nb)
    parts = {p["key"]: p["points"] for p in module.EXERCISES.parts}
    assert module.EXERCISES.notebook == assignment
    assert [c["metadata"]["nbgrader"]["grade_id"] for c in cells] == [f"test_{k}" for k in parts]
    for c in cells:
        key = c["metadata"]["nbgrader"]["grade_id"][len("test_"):]
        assert c["metadata"]["nbgrader"]["points"] == parts[key]
        assert c["metadata"]["nbgrader"]["locked"]
        src = text(c)
        visible, _, hidden = src.partition("### BEGIN HIDDEN TESTS")
        assert visible.strip().startswith(f"check.{key}("), visible
        assert hidden.strip().startswith(f'check = autograder.checks.fresh("{module.__name__.rsplit(".", 1)[1]}")')
        assert f"check.{key}(" in hidden and "hidden=True" in hidden


@pytest.mark.parametrize("assignment", ALL)
def test_solution_cells_have_solution_markers(assignment):
    nb = nbedit.read(solution_path(assignment))
    for c in nbedit.solution_cells(nb):
        assert "### BEGIN SOLUTION" in text(c) and "### END SOLUTION" in text(c), c["id"]


def test_notation_page_maps_the_seed_symbols():
    """docs/NOTATION.md maps the seeds' notation (Div, delta, h_n, u_k) to the course's."""
    page = (ROOT / "docs" / "NOTATION.md").read_text(encoding="utf-8")
    rows = [line for line in page.splitlines() if line.startswith("|")]
    for symbol in ["Div", "δ", "h_n", "u_k"]:
        assert any(symbol in row for row in rows), f"no row of docs/NOTATION.md maps {symbol}"


@pytest.mark.parametrize("assignment", [a for a in ALL if not a.startswith("00")])
def test_notebooks_built_on_the_seeds_have_a_notation_map(assignment):
    nb = nbedit.read(solution_path(assignment))
    maps = [text(c) for c in nb["cells"] if c["cell_type"] == "markdown" and "## Notation map" in text(c)]
    assert maps, "a notebook that uses the seed notes' examples has a '## Notation map' section"
    assert maps[0].count("|") > 12, "the notation map is a table: the notes' symbol | the course's | meaning"


@pytest.mark.parametrize("assignment", ALL)
def test_exercise_headings_follow_the_checks_module(assignment):
    """Part N of the module's Exercises is "Exercise N": each `### Exercise N` heading is followed by
    solution cells defining functions of part N (so a stub can say which exercise to finish)."""
    module = topic_module(assignment)
    nb = nbedit.read(solution_path(assignment))
    sections, numbers = [], None
    for c in nb["cells"]:
        if c["cell_type"] == "markdown":
            heading = [line for line in text(c).splitlines() if line.startswith("### ") and "Exercise" in line]
            if heading:
                numbers = [int(n) for n in re.findall(r"Exercise (\d+)", heading[0])]
                sections.append((numbers, []))
        elif numbers is not None and "### BEGIN SOLUTION" in text(c):
            # a method attached with @add_to_class(Cls) is Cls.name (notebook 06)
            sections[-1][1].extend(f"{cls}.{name}" if cls else name for cls, name in
                                   re.findall(r"^(?:@add_to_class\((\w+)\)\n)?def (\w+)\(", text(c), re.M))
    assert [n for numbers, _ in sections for n in numbers] == list(range(1, len(module.EXERCISES.parts) + 1))
    for numbers, functions in sections:
        assert functions, f"Exercise {numbers}: no solution cell defines a function"
        owners = {name: module.EXERCISES.exercise_of(name) for name in functions}
        assert all(owners.values()), f"functions of no exercise (declare them with functions=): {owners}"
        assert {number for number, _ in owners.values()} == set(numbers), owners
