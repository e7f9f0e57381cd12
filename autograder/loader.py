"""Running a notebook's code in-process, without a kernel (at the top of the package: ``load_notebook``
is public, and the graders in ``grading/`` and ``trusted/`` build on it).

``load_notebook(path)`` executes the notebook's code cells that are not
nbgrader test cells, in order, in one fresh namespace, and returns what they
defined.  ``grade_notebook(path)`` also runs the test cells and reports each
one as nbgrader would score it: passed (no error, nothing on stderr) or
failed, with the first lines of the reason.

A cell that raises, loops or exits is recorded and the next cell runs: one
broken exercise does not hide the others.  IPython-only lines (``%magic``,
``!shell``) are skipped; plots go to the non-interactive Agg backend.

Where a Jupyter kernel would stop for good, the run goes on but the notebook
records why in ``fatal`` (nbgrader grades nothing of such a notebook):
``exit()``/``quit()`` (IPython's, which shuts the kernel down, unlike
``sys.exit()``, which is an ordinary error in one cell), and a cell that
keeps running after it was interrupted (a loop that catches
``KeyboardInterrupt``).  A cell that kills the process itself (``os._exit``,
a signal) is found by ``autograder.grading.runner``, which runs the notebook again
without that cell.
"""
import contextlib
import io
import json
import os
import sys
import warnings
from dataclasses import dataclass, field

from . import i18n
from .guard import CheckFailed, _OutOfTime, stderr_sentence, time_limit

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
    key: str = ""        # the CheckFailed key (a named mistake), or what else went wrong; "" if passed
    kind: str = "code"   # "test", "answer", "locked" or "code" (an ordinary cell)


@dataclass
class Notebook:
    """What a notebook defined, plus how each executed cell went."""

    path: str
    namespace: dict
    runs: list = field(default_factory=list)
    fatal: list = field(default_factory=list)   # [(cell index, reason)]: a kernel would have stopped here

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


def _first_lines(exc, keep=6):
    """The first ``keep`` lines of what ``exc`` says; a check's last line pointing to the hint
    that addresses the mistake ("see hint 2 of Exercise 5 ...") is kept in place of the sixth."""
    text = f"{type(exc).__name__}: {exc}".strip()
    lines = text.splitlines()
    if len(lines) > keep and getattr(exc, "hint", None) is not None:
        return "\n".join(lines[:keep - 1] + lines[-1:])
    return "\n".join(lines[:keep])


class _StopsKernel:
    """``exit``/``quit`` as a Jupyter kernel has them: the cell goes on, the kernel stops after it."""

    def __init__(self, flag, name):
        self._flag, self._name = flag, name

    def __call__(self, keep_kernel=False):
        if not keep_kernel:
            self._flag.append(f"{self._name}()")

    def __repr__(self):
        return f"Use {self._name}() to stop the kernel"


def _in_notebook(frame):
    """Is this frame running the notebook's own code (compiled from a cell by ``_run_cell``)?"""
    name = frame.f_code.co_filename
    return name.startswith("<") and " cell " in name


def _cell_limit(seconds, state):
    """Stop the cell after ``seconds`` (the guard's ``time_limit``); ``state["swallowed"]``
    becomes True when the notebook's code caught the interruption and kept going (a line of a
    cell ran after it), as a Jupyter kernel would see a loop that catches KeyboardInterrupt."""
    state["swallowed"] = False

    def seen(frame):
        if _in_notebook(frame):
            state["swallowed"] = True
    return time_limit(seconds, state=state, on_line=seen)


_COMPILED = {}       # (source, file name) -> code, for sources that compiled without a warning


def _compile(code, filename):
    """``compile(code, filename, "exec")``, kept for the next run of the same cell (the test suite
    grades the same notebooks thousands of times).  A source that warns while compiling (an invalid
    escape, ``is`` with a literal) is compiled every time, so that every run warns as a kernel would."""
    key = (code, filename)
    if key in _COMPILED:
        return _COMPILED[key]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            compiled = compile(code, filename, "exec")
        finally:
            said = list(caught)
    for w in said:   # as the compiler would have issued them, under the caller's filters
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if not said and len(_COMPILED) < 8192:
        _COMPILED[key] = compiled
    return compiled


def _run_cell(code, namespace, index, label, seconds, test=False, track=False):
    """exec one cell; returns (error message or "", key, stdout, stderr, fatal reason or None).

    ``track``: keep the record of cells that did not run (``autograder.checks.CellRecord``), and
    say on a test cell that stopped with a NameError which answer cell did not run and why."""
    out, err = io.StringIO(), io.StringIO()
    message, key, fatal, error = "", "", None, None
    stops = namespace.setdefault("__stops__", [])
    state = {}
    record = None
    if track:
        from .checks import CellRecord
        record = CellRecord(code, namespace)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = lambda m, c, f, l, file=None, line=None: err.write(f"{c.__name__}: {m}\n")
        try:
            with _cell_limit(seconds, state):
                exec(_compile(code, f"<{label} cell {index}>"), namespace)
        except _OutOfTime as exc:
            message, key, error = (i18n.tr("the cell did not finish within {seconds:g} s and was stopped",
                                           seconds=seconds), "timeout", exc)
        except SystemExit as exc:
            message, key = i18n.tr("the cell called sys.exit({code})",
                                   code="" if exc.code is None else repr(exc.code)), "exit"
            error = exc
        except CheckFailed as exc:
            message, key, error = _first_lines(exc), exc.key or "failed", exc
        except BaseException as exc:  # anything the notebook's code may raise, KeyboardInterrupt too
            message, key, error = _first_lines(exc), type(exc).__name__, exc
    if record is not None:
        record.done(error)
        if test and error is not None and not isinstance(error, CheckFailed):
            from .checks import record_test_cell_failure
            said = record_test_cell_failure(code, namespace, error)
            if said is not None:
                message, key = said
    if state.get("swallowed"):
        fatal = i18n.tr("cell {index} kept running after it was interrupted at {seconds:g} s (a loop that "
                        "catches KeyboardInterrupt): a Jupyter kernel cannot be stopped there",
                        index=index, seconds=seconds)
    elif stops:
        fatal = i18n.tr("cell {index} calls {stop}, which shuts the Jupyter kernel down", index=index, stop=stops[0])
        stops.clear()
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
    return message, key, out.getvalue(), err.getvalue(), fatal


def _kind(cell):
    meta = nbgrader_meta(cell)
    if is_test_cell(cell):
        return "test"
    if meta.get("solution"):
        return "answer"
    if meta.get("locked"):
        return "locked"
    return "code"


def _execute(path, run_tests, seconds, nb=None, skip=(), on_cell=None):
    if run_tests:   # a fresh kernel, as nbgrader's: no check has run, no cell has failed
        from .checks import forget_cells
        forget_cells()
    # the checks speak the notebook's language (unless one was chosen: course-check --lang)
    lang = i18n.notebook_language(nb) if nb is not None else i18n.language_of_file(path)
    try:
        with i18n.speaking(lang):
            return _execute_cells(path, run_tests, seconds, nb, skip, on_cell)
    finally:
        if run_tests:   # what failed in this notebook says nothing about the next one
            from .checks import _NOT_RUN
            _NOT_RUN.clear()


def _execute_cells(path, run_tests, seconds, nb, skip, on_cell):
    if nb is None:
        with open(path, encoding="utf-8") as fh:
            nb = json.load(fh)
    os.environ.setdefault("MPLBACKEND", "Agg")
    namespace = {"__name__": "__main__", "__file__": os.path.abspath(path)}
    stops = namespace["__stops__"] = []
    namespace["exit"], namespace["quit"] = _StopsKernel(stops, "exit"), _StopsKernel(stops, "quit")
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
            points = float(meta.get("points", 0) or 0) if test else 0.0
            if index in skip:
                result.runs.append(CellRun(index=index, grade_id=meta.get("grade_id", ""), points=points,
                                           passed=False, message=i18n.tr("not run: this cell stopped Python"),
                                           key="skipped", kind=_kind(cell)))
                continue
            if on_cell is not None:
                on_cell(index)
            message, key, out, err, fatal = _run_cell(_source(cell), namespace, index, label, seconds,
                                                      test=test, track=run_tests)
            if test and not message and err.strip():
                message, key = stderr_sentence(i18n.tr("the cell"), err), "stderr"
            if fatal:
                result.fatal.append((index, fatal))
            result.runs.append(CellRun(index=index, grade_id=meta.get("grade_id", ""), points=points,
                                       passed=not message, message=message, stdout=out, key=key,
                                       kind=_kind(cell)))
    finally:
        os.chdir(here)
    return result


def load_notebook(path, *, seconds=CELL_SECONDS):
    """Execute a notebook's non-test code cells in-process; return its definitions.

    >>> nb = load_notebook("solutions/00_finite_differences/00_finite_differences.ipynb")
    >>> nb.central_difference(np.sin, 0.0)
    """
    return _execute(path, run_tests=False, seconds=seconds)


def grade_notebook(path, *, seconds=CELL_SECONDS, nb=None, skip=(), on_cell=None):
    """Execute every code cell, tests included; ``.tests`` lists the graded cells.

    ``nb``: the notebook as a dict (already restored by ``autograder.trusted.submission``), read from
    ``path`` when not given (``path`` still names the cells and sets the working directory);
    ``skip``: indices of cells not to run; ``on_cell(index)`` is called before each cell runs.
    A failed test cell's ``key`` is the check's named mistake (``CheckFailed.key``).
    """
    return _execute(path, run_tests=True, seconds=seconds, nb=nb, skip=skip, on_cell=on_cell)
