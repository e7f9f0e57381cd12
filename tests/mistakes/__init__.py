"""The mistake-replay catalog: realistic wrong answers, each a whole answer cell as a learner
would write it, with the mistake key its check must name.

One module per notebook, ``tests/mistakes/<NN_topic>.py``, holds ``MISTAKES``, a list of
``Mistake``.  ``replay(assignment, mistake)`` puts the mistake's cell in place of the solution's
answer cell that defines the same function(s), grades the notebook as ``course-check grade``
does (kernel-free, hidden tests included) up to the part's test cell, and returns what the
part's test cell said.  ``tests/test_mistakes.py`` asserts every row is caught and named with
its key.

A key counts as **named** when it says what to fix; the keys in ``GENERIC`` only say that
something is wrong (a symptom), so a row expecting one of them is caught but not named.
"""
import ast
import copy
import importlib
import json
import pkgutil
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]

# Keys that report a symptom, not the mistake: "caught, not named".
GENERIC = frozenset({"wrong_values", "partly_wrong", "scaled_other", "wrong_shape", "exception",
                     "failed", "not_numeric", "bad_output", "wrong_count", "stderr"})


@dataclass(frozen=True)
class Mistake:
    part: str                 # the exercise part (its key in the checks module's Exercises)
    key: str                  # the mistake key the part's check must report
    what: str                 # the mistake in a few words, as a learner would make it
    cell: str                 # the whole answer cell, as the learner wrote it
    kind: str = "common"      # "common" (the most likely one) or "subtle"
    replaces: Optional[str] = None   # the answer cell's grade_id, when its functions do not say it

    @property
    def source(self):
        return textwrap.dedent(self.cell).strip() + "\n"

    @property
    def named(self):
        return self.key not in GENERIC


@dataclass
class Outcome:
    caught: bool
    key: str                  # "" when the part passed
    message: str


def catalogs():
    """{assignment: [Mistake, ...]} for every notebook with a catalog module."""
    found = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name[:2].isdigit():
            found[info.name] = importlib.import_module(f"{__name__}.{info.name}").MISTAKES
    return dict(sorted(found.items()))


def _text(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def defined_names(source):
    """Top-level functions and classes a cell defines (and ``Class.attr = ...`` assignments)."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                    names.add(f"{target.value.id}.{target.attr}")
                elif isinstance(target, ast.Name):
                    names.add(target.id)
    return names


def solution_notebook(assignment):
    path = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    return path, json.loads(path.read_text(encoding="utf-8"))


def with_mistake(nb, mistake):
    """A copy of ``nb`` with the mistake's cell in place of the answer cell it replaces, cut after
    the part's test cell (later parts are not its business); raises LookupError when the cell or
    the test cell cannot be found."""
    nb = copy.deepcopy(nb)
    cells = nb["cells"]
    answers = [i for i, c in enumerate(cells) if c.get("cell_type") == "code" and _meta(c).get("solution")]
    if mistake.replaces:
        index = next((i for i in answers if _meta(cells[i]).get("grade_id") == mistake.replaces), None)
    else:
        wanted = defined_names(mistake.source) if mistake.source.strip() else set()
        index = next((i for i in answers if wanted and wanted <= defined_names(_text(cells[i]))), None)
        if index is None:   # the cell defines fewer names than the solution's (a helper dropped)
            index = next((i for i in answers if wanted & defined_names(_text(cells[i]))), None)
    if index is None:
        raise LookupError(f"{mistake.part}: no answer cell defines what this cell defines")
    test = next((i for i, c in enumerate(cells) if _meta(c).get("grade") and
                 _meta(c).get("grade_id") == f"test_{mistake.part}"), None)
    if test is None:
        raise LookupError(f"no test cell test_{mistake.part}")
    cells[index]["source"] = mistake.source
    nb["cells"] = cells[:test + 1]
    return nb


def replay(assignment, mistake, seconds=30.0):
    """Grade the notebook with the mistake in it, as ``course-check grade`` would (hidden tests
    included); the outcome of the part's test cell."""
    from autograder.loader import grade_notebook
    path, nb = solution_notebook(assignment)
    graded = grade_notebook(path, seconds=seconds, nb=with_mistake(nb, mistake))
    row = next(run for run in graded.tests if run.grade_id == f"test_{mistake.part}")
    return Outcome(caught=not row.passed, key="" if row.passed else (row.key or ""), message=row.message or "")
