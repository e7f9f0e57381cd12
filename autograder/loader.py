"""Running a notebook's code in-process, without a kernel.

``load_notebook(path)`` executes the notebook's code cells that are not
nbgrader test cells, in order, in one fresh namespace, and returns what they
defined.  ``grade_notebook(path)`` also runs the test cells and reports each
one as nbgrader would score it: passed (no error, nothing on stderr) or
failed, with the first lines of the reason.

A cell that raises, loops or exits is recorded and the next cell runs: one
broken exercise does not hide the others.  IPython-only lines (``%magic``,
``!shell``) are skipped; plots go to the non-interactive Agg backend.
"""
import contextlib
import io
import json
import os
import sys
import warnings
from dataclasses import dataclass, field

from .guard import _OutOfTime, time_limit

CELL_SECONDS = 60.0


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_test_cell(cell):
    """An autograded test cell: graded, and not a solution cell."""
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _source(cell):
    src = cell.get("source", "")
    src = "".join(src) if isinstance(src, list) else src
    lines = [("pass  # " + line) if line.lstrip().startswith(("%", "!")) else line
             for line in src.splitlines()]
    return "\n".join(lines)


@dataclass
class CellRun:
    index: int
    grade_id: str
    points: float
    passed: bool
    message: str = ""
    stdout: str = ""


@dataclass
class Notebook:
    """What a notebook defined, plus how each executed cell went."""

    path: str
    namespace: dict
    runs: list = field(default_factory=list)

    def __getattr__(self, name):
        try:
            return self.namespace[name]
        except KeyError:
            raise AttributeError(f"the notebook {os.path.basename(self.path)} defines no {name!r}") from None

    def __contains__(self, name):
        return name in self.namespace

    @property
    def errors(self):
        return [run for run in self.runs if not run.passed]

    @property
    def tests(self):
        return [run for run in self.runs if run.grade_id and run.points]


def _first_lines(exc):
    text = f"{type(exc).__name__}: {exc}".strip()
    lines = text.splitlines()
    return "\n".join(lines[:6])


def _run_cell(code, namespace, index, label, seconds):
    """exec one cell; returns (error message or "", stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    message = ""
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = lambda m, c, f, l, file=None, line=None: err.write(f"{c.__name__}: {m}\n")
        try:
            with time_limit(seconds):
                exec(compile(code, f"<{label} cell {index}>", "exec"), namespace)
        except _OutOfTime:
            message = f"the cell did not finish within {seconds:g} s and was stopped"
        except SystemExit:
            message = "the cell called exit()"
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # anything the notebook's code may raise
            message = _first_lines(exc)
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
    return message, out.getvalue(), err.getvalue()


def _execute(path, run_tests, seconds):
    with open(path, encoding="utf-8") as fh:
        nb = json.load(fh)
    os.environ.setdefault("MPLBACKEND", "Agg")
    namespace = {"__name__": "__main__", "__file__": os.path.abspath(path)}
    result = Notebook(path=str(path), namespace=namespace)
    label = os.path.basename(str(path))
    here = os.getcwd()
    os.chdir(os.path.dirname(os.path.abspath(path)))
    try:
        for index, cell in enumerate(nb.get("cells", [])):
            if cell.get("cell_type") != "code":
                continue
            test = is_test_cell(cell)
            if test and not run_tests:
                continue
            meta = nbgrader_meta(cell)
            message, out, err = _run_cell(_source(cell), namespace, index, label, seconds)
            if test and not message and err.strip():
                message = "the cell wrote to stderr (nbgrader scores that as 0):\n" + err.strip()[:500]
            result.runs.append(CellRun(index=index, grade_id=meta.get("grade_id", ""),
                                       points=float(meta.get("points", 0) or 0) if test else 0.0,
                                       passed=not message, message=message, stdout=out))
    finally:
        os.chdir(here)
    return result


def load_notebook(path, *, seconds=CELL_SECONDS):
    """Execute a notebook's non-test code cells in-process; return its definitions.

    >>> nb = load_notebook("solutions/00_finite_differences/00_finite_differences.ipynb")
    >>> nb.central_difference(np.sin, 0.0)
    """
    return _execute(path, run_tests=False, seconds=seconds)


def grade_notebook(path, *, seconds=CELL_SECONDS):
    """Execute every code cell, tests included; ``.tests`` lists the graded cells."""
    return _execute(path, run_tests=True, seconds=seconds)
