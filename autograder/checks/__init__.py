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

Part N of ``Exercises(...)`` is "Exercise N" in its notebook, so a demo cell
that calls an unfinished function can say which exercise to finish first.
"""
import builtins
import contextlib
import functools
import importlib
import io
import traceback

from ..guard import CheckFailed

# Outcomes live here, outside the per-notebook modules, so that reloading a
# module (see ``fresh``) does not forget what the learner already passed.
_STATUS = {}
# The Exercises of every notebook whose checks are loaded (the latest load of each).
_REGISTRY = {}


def fresh(name):
    """A newly loaded copy of ``autograder.checks.<name>``.

    Hidden tests call the checks through it, so a notebook that replaced a
    check function (``check.f = lambda *a: None``) cannot fake a pass.
    """
    return importlib.reload(importlib.import_module(f"{__name__}.{name}"))


def not_implemented_message(function):
    """The sentence shown when ``function`` (a name, or ``Class.method``) is still a stub."""
    bare = function.rsplit(".", 1)[-1]
    for name in dict.fromkeys((function, bare)):
        for tier in range(3):
            for exercises in reversed(list(_REGISTRY.values())):
                found = exercises.exercise_of(name, tier=tier)
                if found:
                    number, title = found
                    return (f"{function} is not implemented yet: finish Exercise {number} ({title}) "
                            f"first, then run this cell again.")
    return f"{function} is not implemented yet: finish its exercise above first, then run this cell again."


def _in_a_cell(shell, code):
    """Was ``code`` compiled from a notebook cell (IPython's or ipykernel's cell file names)?"""
    name = code.co_filename
    cells = getattr(getattr(shell, "compile", None), "_filename_map", None) or {}
    return name in cells or name.startswith("<ipython-input-")


def _stub_in_a_cell(shell, tb):
    """The name of the function, defined in a notebook cell, that raised; None otherwise."""
    frames = [frame for frame, _ in traceback.walk_tb(tb)]
    if not frames:
        return None
    frame = frames[-1]
    code = frame.f_code
    if not _in_a_cell(shell, code) or code.co_name.startswith("<"):
        return None
    # a method (its first parameter is self): name it Class.method, as notebook 06's Value.__mul__
    if code.co_argcount and code.co_varnames[0] == "self" and "self" in frame.f_locals:
        return f"{type(frame.f_locals['self']).__name__}.{code.co_name}"
    return code.co_name


def _show_message(shell, etype, value):
    """Show ``CheckFailed: message`` and nothing else.  IPython's exception_only display puts
    "An exception has occurred, use %tb to see the full traceback." above it, which only
    distracts (and %tb would quote the test cell); ipykernel's _showtraceback sends exactly the
    lines it is given.  Without it (a plain IPython), fall back to exception_only."""
    send = getattr(shell, "_showtraceback", None)
    formatter = getattr(shell, "InteractiveTB", None)
    if send is None or formatter is None:
        shell.showtraceback((etype, value, None), exception_only=True)
        return
    send(etype, value, formatter.get_exception_only(etype, value))


def show_briefly(shell, etype, evalue, tb, tb_offset=None):
    """IPython handler: a CheckFailed is shown as its message alone, without a traceback (the
    message says everything, and a traceback would quote the test cell's source, hidden tests
    included, into nbgrader's feedback); a NotImplementedError raised by a stub defined in a
    notebook cell becomes one line naming the exercise to finish.  Anything else: as usual."""
    if issubclass(etype, NotImplementedError):
        function = _stub_in_a_cell(shell, tb)
        if function is None:
            shell.showtraceback((etype, evalue, tb), tb_offset=tb_offset, running_compiled_code=True)
            return
        friendly = NotImplementedError(not_implemented_message(function))
        _show_message(shell, NotImplementedError, friendly)
        return
    _show_message(shell, etype, evalue)


def _install_handler():
    get_ipython = getattr(builtins, "get_ipython", None)
    shell = get_ipython() if get_ipython else None
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return
    shell.set_custom_exc((CheckFailed, NotImplementedError), show_briefly)


_install_handler()


class Exercises:
    """The graded parts of one notebook and what happened to them in this session."""

    def __init__(self, notebook, parts, functions=None):
        """``parts``: (key, title, points) in the notebook's order, part N being "Exercise N".

        ``functions``: the notebook functions of a part, when their names do not say it
        (``{"neuron": ("neuron_gates",)}``).  Without a declaration a part owns the function
        named by its key, and ``key_forward``/``key_backward`` (for a key ``foo_gate``, also
        ``foo_forward``/``foo_backward``).
        """
        self.notebook = notebook
        self.parts = [dict(key=k, title=t, points=p) for k, t, p in parts]
        self.keys = [p["key"] for p in self.parts]
        self.functions = {k: (v,) if isinstance(v, str) else tuple(v) for k, v in (functions or {}).items()}
        for k in self.functions:
            if k not in self.keys:
                raise ValueError(f"{k!r} is not an exercise of {notebook}")
        self.status = _STATUS.setdefault(notebook, {})
        _REGISTRY.pop(notebook, None)
        _REGISTRY[notebook] = self

    def exercise_of(self, function, tier=None):
        """(number, title) of the exercise that defines ``function``, or None.

        Tier 0: a part's own key; 1: declared ``functions``; 2: the naming convention.
        An exact key wins, so ``sigmoid_backward`` is its own part, not ``sigmoid``'s backward.
        """
        for t in ((0, 1, 2) if tier is None else (tier,)):
            for number, part in enumerate(self.parts, 1):
                if function in self._owned(part["key"], t):
                    return number, part["title"]
        return None

    def _owned(self, key, tier):
        if tier == 0:
            return {key}
        if tier == 1:
            return set(self.functions.get(key, ()))
        stems = {key} | ({key[:-len("_gate")]} if key.endswith("_gate") else set())
        return {f"{stem}_{side}" for stem in stems for side in ("forward", "backward")}

    def hint_sentence(self, key, hint):
        """'see hint 2 of Exercise 5 (...)': where the notebook explains the named mistake."""
        number = self.keys.index(key) + 1
        title = self.parts[number - 1]["title"]
        return f"see hint {hint} of Exercise {number} ({title}) above."

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
                    one = len(broken) == 1
                    message += (f"\n  note: this exercise builds on {', '.join(broken)}, whose "
                                f"{'check has' if one else 'checks have'} not passed yet; fix "
                                f"{'it' if one else 'them'} first.")
                if failure.hint is not None:
                    message += "\n  " + self.hint_sentence(key, failure.hint)
                raise CheckFailed(message, key=failure.key, keys=failure.keys, hint=failure.hint) from None
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
