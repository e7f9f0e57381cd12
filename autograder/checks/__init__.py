"""Per-notebook checks: one module per notebook, one function per graded cell.

A notebook's test cell reads ``check.central_difference(central_difference)``;
the hidden part of the same cell calls the same check with ``hidden=True``
(other inputs, same logic), so the logic lives here and nbgrader's feedback
shows no hidden-test source.

Each module declares its exercises with ``Exercises`` and decorates one check
function per exercise part.  The decorator

* turns any failure into a short ``CheckFailed`` (a two-frame traceback),
* prints one line on success,
* records the outcome so ``check.progress()`` can show a table.
"""
import builtins
import contextlib
import functools
import importlib
import io

from ..guard import CheckFailed

# Outcomes live here, outside the per-notebook modules, so that reloading a
# module (see ``fresh``) does not forget what the learner already passed.
_STATUS = {}


def fresh(name):
    """A newly loaded copy of ``autograder.checks.<name>``.

    Hidden tests call the checks through it, so a notebook that replaced a
    check function (``check.f = lambda *a: None``) cannot fake a pass.
    """
    return importlib.reload(importlib.import_module(f"{__name__}.{name}"))


def _show_check_failures_briefly():
    """In IPython/Jupyter, show a CheckFailed as its message alone, without a
    traceback: the message says everything, and a traceback would quote the
    test cell's source (hidden tests included) into nbgrader's feedback."""
    get_ipython = getattr(builtins, "get_ipython", None)
    shell = get_ipython() if get_ipython else None
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return

    def show(shell, etype, evalue, tb, tb_offset=None):
        shell.showtraceback((etype, evalue, tb), exception_only=True)
    shell.set_custom_exc((CheckFailed,), show)


_show_check_failures_briefly()


class Exercises:
    """The graded parts of one notebook and what happened to them in this session."""

    def __init__(self, notebook, parts):
        self.notebook = notebook
        self.parts = [dict(key=k, title=t, points=p) for k, t, p in parts]
        self.keys = [p["key"] for p in self.parts]
        self.status = _STATUS.setdefault(notebook, {})

    def points(self, key):
        return next(p["points"] for p in self.parts if p["key"] == key)

    def check(self, key, uses=()):
        """Decorator: register ``fn`` as the check of exercise part ``key``.

        ``uses``: earlier parts whose functions this exercise is meant to call; when one of
        them has failed (or is not implemented yet) in this session, a failure here says so,
        because fixing that part first may fix this one too.
        """
        for k in (key, *uses):
            if k not in self.keys:
                raise ValueError(f"{k!r} is not an exercise of {self.notebook}")

        def decorate(fn):
            @functools.wraps(fn)
            def wrapper(*args, hidden=False, quiet=False, **kwargs):
                __tracebackhide__ = True  # noqa: F841
                try:
                    # quiet: also silence what the check itself prints (side-by-side tables)
                    with contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext():
                        fn(*args, hidden=hidden, **kwargs)
                except CheckFailed as exc:
                    failure = exc
                else:
                    if not hidden:
                        self.status[key] = "passed"
                    if not quiet:
                        tag = "hidden check" if hidden else "check"
                        print(f"[ok] {key}: {tag} passed ({self.points(key):g} point"
                              f"{'s' if self.points(key) != 1 else ''} when graded).")
                    return None
                self.status[key] = "not implemented yet" if failure.key == "not_implemented" else "failed"
                message = str(failure)
                broken = [k for k in uses if self.status.get(k) in ("failed", "not implemented yet")]
                if broken and failure.key != "not_implemented":
                    message += (f"\n  note: this exercise builds on {', '.join(broken)}, whose check "
                                f"{'has' if len(broken) == 1 else 'have'} not passed yet; fix "
                                f"{'it' if len(broken) == 1 else 'them'} first.")
                raise CheckFailed(message, key=failure.key, keys=failure.keys) from None
            wrapper.exercise = key
            return wrapper
        return decorate

    def table(self):
        """Rows of (part, title, points, status) for this session."""
        return [(p["key"], p["title"], p["points"], self.status.get(p["key"], "not checked yet"))
                for p in self.parts]

    def progress(self):
        """Print this notebook's progress table (checks run in this session)."""
        rows = self.table()
        done = sum(points for _, _, points, status in rows if status == "passed")
        total = sum(points for _, _, points, _ in rows)
        width = max(len(key) for key, *_ in rows)
        print(f"{self.notebook}: {done:g} / {total:g} points checked so far")
        for key, title, points, status in rows:
            mark = "x" if status == "passed" else " "
            print(f"  [{mark}] {key:<{width}}  {points:>2g} pt  {status:<20} {title}")
