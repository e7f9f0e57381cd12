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
import ast
import builtins
import contextlib
import functools
import importlib
import io
import os
import re
import traceback
import warnings

from ..guard import CheckFailed, stderr_sentence, warning_sentence
from ..i18n import N_, tr, translated

# Outcomes live here, outside the per-notebook modules, so that reloading a
# module (see ``fresh``) does not forget what the learner already passed.
_STATUS = {}
# The Exercises of every notebook whose checks are loaded (the latest load of each).
_REGISTRY = {}
# First line of each failed part's message, per notebook (what check.progress() shows).
_MESSAGES = {}
# The arguments each part's check last passed with, per notebook: a part that fails can then run
# the checks of the parts it builds on again, on their hidden inputs.
_ARGS = {}
_IN_DEPENDENCY = []     # a dependency's check is running on behalf of another part
# Names (functions, classes, ``Class.method``) whose defining cell's latest run failed before
# defining them: name -> what went wrong ("SyntaxError at line 5: '(' was never closed").
_NOT_RUN = {}


_FRESH_CODE = {}        # checks module -> ((file, mtime, size), its compiled code)


def fresh(name):
    """A newly loaded copy of ``autograder.checks.<name>``.

    Hidden tests call the checks through it, so a notebook that replaced a
    check function (``check.f = lambda *a: None``) cannot fake a pass.  The module's code runs again
    as ``importlib.reload`` would run it, from its file as it is now; the compiled code is kept while
    the file is unchanged (kernels run with PYTHONDONTWRITEBYTECODE, where a reload compiled the
    whole module again for every hidden test cell).
    """
    module = importlib.import_module(f"{__name__}.{name}")
    origin = module.__spec__.origin
    stat = os.stat(origin)
    stamp = (origin, stat.st_mtime_ns, stat.st_size)
    kept = _FRESH_CODE.get(name)
    if kept is None or kept[0] != stamp:
        kept = _FRESH_CODE[name] = (stamp, module.__spec__.loader.get_code(module.__name__))
    exec(kept[1], module.__dict__)
    return module


def exercise_for(function):
    """(number, title) of the exercise, in any loaded notebook, that defines ``function`` (a name or
    ``Class.method``); None when no exercise does."""
    bare = function.rsplit(".", 1)[-1]
    for name in dict.fromkeys((function, bare)):
        for tier in range(3):
            for exercises in reversed(list(_REGISTRY.values())):
                found = exercises.exercise_of(name, tier=tier)
                if found:
                    return found
    return None


def not_implemented_message(function):
    """The sentence shown when ``function`` (a name, or ``Class.method``) is still a stub."""
    found = exercise_for(function)
    if found:
        number, title = found
        return tr("{function} is not implemented yet: finish Exercise {number} ({title}) first, then run this "
                  "cell again.", function=function, number=number, title=translated(title))
    return tr("{function} is not implemented yet: finish its exercise above first, then run this cell again.",
              function=function)


# --- cells that did not run ---------------------------------------------------------------------
# A cell with a SyntaxError defines nothing; one that raises defines what comes before the error.
# Its functions are then missing (a NameError in the check cell) or stale (an earlier version, a
# stub, still in the kernel): the check says which cell did not run and why.  The IPython hooks
# below (a kernel) and ``autograder.loader`` (course-check) keep the same record.

def cell_defines(source):
    """Names a cell defines at top level: functions, classes, ``Class.attr = ...`` and a function
    attached to a class by a decorator (notebook 06's ``@add_to_class(Value)`` before ``def exp``
    defines ``exp`` and ``Value.exp``)."""
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError):   # the names are still readable line by line
        names = []
        for cls, name in re.findall(r"^(?:@\w+\((\w+)\)\s*\n)?(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)",
                                    source, flags=re.M):
            names += [name] + ([f"{cls}.{name}"] if cls else [])
        names += [".".join(m) for m in re.findall(r"^([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*=[^=]", source, flags=re.M)]
        return list(dict.fromkeys(names))
    names = []
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and decorator.args and isinstance(decorator.args[0], ast.Name):
                    names.append(f"{decorator.args[0].id}.{node.name}")
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                    names.append(f"{target.value.id}.{target.attr}")
    return list(dict.fromkeys(names))


def _lookup(namespace, name):
    head, _, attr = name.partition(".")
    obj = namespace.get(head)
    return getattr(obj, attr, None) if attr and obj is not None else obj


def _cell_line(exc):
    """The line of the cell (its module-level code) where ``exc`` was raised, or None."""
    if isinstance(exc, SyntaxError):
        return exc.lineno
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_name == "<module>":
            line = lineno
            break
    return line


def describe_error(exc):
    """'SyntaxError at line 5: '(' was never closed', 'ZeroDivisionError at line 3: division by zero'."""
    line = _cell_line(exc)
    error = tr("{error} at line {line}", error=type(exc).__name__, line=line) if line else type(exc).__name__
    text = exc.msg if isinstance(exc, SyntaxError) and exc.msg else str(exc)
    text = text.strip().splitlines()[0] if text and text.strip() else ""
    return error + (f": {text}" if text else "")


class CellRecord:
    """One cell's run: ``CellRecord(source, namespace)`` before it, ``.done(error)`` after it."""

    def __init__(self, source, namespace):
        self.namespace = namespace
        try:
            self.names = cell_defines(source)
        except Exception:  # noqa: BLE001 (a cell's text can be anything)
            self.names = []
        self.before = {name: id(_lookup(namespace, name)) for name in self.names}

    def done(self, error=None):
        for name in self.names:
            now = _lookup(self.namespace, name)
            stale = now is None or id(now) == self.before[name]
            if error is not None and stale:
                _NOT_RUN[name] = describe_error(error)
            else:
                _NOT_RUN.pop(name, None)


def forget_cells():
    """A fresh kernel: no cell has run, no check either (``autograder.loader`` calls it)."""
    _NOT_RUN.clear()
    for store in (_STATUS, _MESSAGES, _ARGS):
        for records in store.values():
            records.clear()     # in place: an Exercises object still holds its notebook's dict
        store.clear()


def did_not_run_message(name):
    """The sentence for a function whose cell did not run, or None if its cell ran."""
    what = _NOT_RUN.get(name)
    if what is None:
        return None
    found = exercise_for(name)
    if found:
        return tr("your Exercise {number} cell did not run ({what}): fix it and run it again.",
                  number=found[0], what=what)
    return tr("your cell that defines {name} did not run ({what}): fix it and run it again.", name=name, what=what)


def _names_of(args):
    """The names of the functions and classes a check was given (a class's methods that belong to
    the part are among its own functions)."""
    return [name for name in (getattr(arg, "__name__", None) for arg in args) if isinstance(name, str)]


def name_error_message(exc):
    """For a NameError whose name's cell did not run: the sentence (else None)."""
    name = getattr(exc, "name", None)
    if name is None:
        match = re.search(r"name '(\w+)' is not defined", str(exc))
        name = match.group(1) if match else None
    return did_not_run_message(name) if name else None


_CHECK_CALL = re.compile(r"^\s*(\w+)\.(\w+)\(", flags=re.M)


def record_test_cell_failure(source, namespace, exc):
    """A test cell stopped before its check ran (a NameError: an answer cell did not run): record
    the failure for its parts, as the check would have, and return (message, key); None when the
    error is something else."""
    message = name_error_message(exc) if isinstance(exc, NameError) else None
    if message is None:
        return None
    for variable, part in _CHECK_CALL.findall(source):
        exercises = getattr(namespace.get(variable), "EXERCISES", None)
        if isinstance(exercises, Exercises) and part in exercises.keys:
            exercises.record(part, "failed", message)
    return message, "cell_did_not_run"


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
    if issubclass(etype, NameError) and not issubclass(etype, CheckFailed):
        message = name_error_message(evalue)
        if message is None:
            shell.showtraceback((etype, evalue, tb), tb_offset=tb_offset, running_compiled_code=True)
            return
        _show_message(shell, NameError, NameError(message))
        return
    if issubclass(etype, NotImplementedError):
        function = _stub_in_a_cell(shell, tb)
        if function is None:
            shell.showtraceback((etype, evalue, tb), tb_offset=tb_offset, running_compiled_code=True)
            return
        friendly = NotImplementedError(not_implemented_message(function))
        _show_message(shell, NotImplementedError, friendly)
        return
    _show_message(shell, etype, evalue)


class _Hooks:
    """IPython's pre_run_cell / post_run_cell: keep the record of cells that did not run, and the
    verdict of a test cell that stopped before its check could run."""

    def __init__(self, shell):
        self.shell, self.record, self.source = shell, None, ""

    def pre(self, info=None):
        self.source = getattr(info, "raw_cell", "") or ""
        self.record = CellRecord(self.source, self.shell.user_ns)

    def post(self, result=None):
        record, self.record = self.record, None
        if record is None or result is None:
            return
        error = getattr(result, "error_before_exec", None) or getattr(result, "error_in_exec", None)
        verdict = None
        try:
            record.done(error)
            if error is not None:
                said = record_test_cell_failure(self.source, self.shell.user_ns, error)
                if said is not None:
                    verdict = {"key": said[1], "message": said[0]}
                else:
                    verdict = {"key": getattr(error, "key", None) if isinstance(error, CheckFailed)
                               else type(error).__name__, "message": str(error)}
        except Exception:  # noqa: BLE001 (a hook must never disturb the kernel)
            pass
        _LAST[:] = [verdict]


_LAST = [None]


def last_verdict():
    """What the last cell run in this kernel raised, as the check cell showed it: {"key", "message"}
    (a CheckFailed's key, "cell_did_not_run", or the exception's type), or None if it raised nothing.
    For tools that replay notebooks in a kernel (tests/mistakes)."""
    return _LAST[0]


def _install_handler():
    get_ipython = getattr(builtins, "get_ipython", None)
    shell = get_ipython() if get_ipython else None
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return
    shell.set_custom_exc((CheckFailed, NotImplementedError, NameError), show_briefly)
    events = getattr(shell, "events", None)
    if events is None:
        return
    old = getattr(shell, "_autograder_hooks", None)
    if old is not None:   # this package was imported again (a reload): one pair of hooks only
        for event, callback in (("pre_run_cell", old.pre), ("post_run_cell", old.post)):
            try:
                events.unregister(event, callback)
            except ValueError:
                pass
    hooks = _Hooks(shell)
    events.register("pre_run_cell", hooks.pre)
    events.register("post_run_cell", hooks.post)
    shell._autograder_hooks = hooks


_install_handler()


def _finite(value, depth=0):
    """False when ``value`` (an array, a number, or a tuple/list/dict of them) holds nan or inf.
    Anything that is not numbers (None, a string, a function, an object) holds neither: a gate's
    cache ``None`` or an in-place update's ``None`` return is not evidence of a non-finite value."""
    import numpy as np
    if value is None:
        return True
    if isinstance(value, (tuple, list)) and depth < 4:
        return all(_finite(v, depth + 1) for v in value)
    if isinstance(value, dict) and depth < 4:
        return all(_finite(v, depth + 1) for v in value.values())
    try:
        array = np.asarray(value)
        if array.dtype.kind not in "fc":      # integers and booleans are finite; objects, strings: no numbers
            return True
        return bool(np.all(np.isfinite(array)))
    except Exception:  # noqa: BLE001 (a learner's object can be anything)
        return True


def _largest(args):
    """' (inputs up to 50 in size)': the largest magnitude among the numeric arguments, or ''."""
    import numpy as np
    sizes = []
    for a in args:
        try:
            array = np.asarray(a)
            if array.dtype.kind in "fiu" and array.size:
                sizes.append(float(np.max(np.abs(array.astype(np.float64)))))
        except Exception:  # noqa: BLE001
            continue
    return " " + tr("(inputs up to {size:.3g} in size)", size=max(sizes)) if sizes else ""


# Keys that report a symptom (wrong numbers, a shape, an exception, a warning), not a mistake of
# the part's own code: a dependency that misbehaved on this part's inputs is then named first.
# After any other key the part's own mistake is named, so the dependency's note follows it.
SYMPTOM_KEYS = frozenset({"wrong_values", "partly_wrong", "scaled_other", "wrong_shape", "exception", "failed",
                          "not_numeric", "bad_output", "wrong_count", "stderr", "warning", "forward_wrong",
                          "non_finite", "not_finite", "bad_return", "returned_none", "timeout"})


def _point_to(calls, functions):
    """The sentence naming the first dependency that misbehaved in ``calls`` (see Exercises.trace)."""
    import numpy as np
    for name, entries in calls.items():
        for entry in entries:
            raised = entry.get("raised")
            if raised is not None and not isinstance(raised, (NotImplementedError, CheckFailed)):
                # its check passed, so the arguments it was given here are the first suspect
                text = str(raised).strip().splitlines()[0] if str(raised).strip() else ""
                return tr("this failure starts in {name}, whose check passed: it raised {error} on the arguments "
                          "this exercise passed it: check them first (which ones, in which order, their shapes and "
                          "dtypes), then {name} itself.",
                          name=name, error=type(raised).__name__ + (f" ({text})" if text else ""))
            if entry.get("nonfinite") is not None:
                return tr("this failure points to {name}, whose check passed: on the inputs this exercise gave "
                          "it{sizes}, it returned nan or inf; fix it first (is it the stable form?).",
                          name=name, sizes=entry["nonfinite"])
    from .. import check_layer
    for name in calls:
        if not name.endswith("_forward"):
            continue
        stem = name[:-len("_forward")]
        forward, backward = functions.get(name), functions.get(stem + "_backward")
        if backward is None or stem + "_backward" not in calls:
            continue
        inputs = [a for a in calls[name][0]["args"]]
        try:
            arrays = [np.asarray(a, dtype=np.float64) for a in inputs]
        except (TypeError, ValueError):
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                check_layer(forward, backward, *arrays, wrt=_with_gradients(forward, backward, arrays), quiet=True)
        except CheckFailed as exc:
            first = str(exc).splitlines()[0]
            return tr("this failure points to {backward}, whose check passed: on the inputs this exercise gave "
                      "{name}, it does not match finite differences ({first}); fix it first.",
                      backward=stem + "_backward", name=name, first=first)
        except Exception:  # noqa: BLE001 (inputs the layer check cannot use)
            continue
    return None


def _with_gradients(forward, backward, arrays):
    """The inputs a forward/backward pair gives gradients for: one per input, in order, the constants a
    gate is built with (its last inputs: mul_const_forward(x, a)) getting none, so a backward that
    returns fewer gradients than forward has inputs covers the first ones."""
    import numpy as np
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out, cache = forward(*[a.copy() for a in arrays])
            grads = backward(np.ones_like(np.asarray(out, dtype=np.float64)), cache)
    except Exception:  # noqa: BLE001 (check_layer will say what is wrong)
        return None
    count = len(grads) if isinstance(grads, (tuple, list)) else 1
    return list(range(count)) if 0 < count < len(arrays) else None


# The states of a part in the progress table (the words kept in ``_STATUS`` are the English ones).
STATUS_WORDS = {"passed": N_("passed"), "failed": N_("failed"), "not implemented yet": N_("not implemented yet"),
                "not checked yet": N_("not checked yet")}


def _padded(text, width):
    """``text`` followed by spaces up to ``width`` columns of a terminal (a Hangul syllable takes two)."""
    import unicodedata
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - columns)


def _passed_line(key, hidden, points):
    """'[ok] key: check passed (2 points when graded).'"""
    if hidden:
        return (tr("[ok] {key}: hidden check passed ({points:g} point when graded).", key=key, points=points)
                if points == 1 else
                tr("[ok] {key}: hidden check passed ({points:g} points when graded).", key=key, points=points))
    return (tr("[ok] {key}: check passed ({points:g} point when graded).", key=key, points=points) if points == 1
            else tr("[ok] {key}: check passed ({points:g} points when graded).", key=key, points=points))


def _builds_on(names, cells):
    """The lead sentence of a failure in a part whose earlier parts ``names`` have not passed
    (``cells``: because their cells did not run)."""
    listed = ", ".join(names)
    if len(names) == 1:
        return (tr("this exercise builds on {names}, whose cell did not run: fix it first (this failure may come "
                   "from it).", names=listed) if cells else
                tr("this exercise builds on {names}, whose check has not passed yet: fix it first (this failure "
                   "may come from it).", names=listed))
    return (tr("this exercise builds on {names}, whose cell did not run: fix them first (this failure may come "
               "from them).", names=listed) if cells else
            tr("this exercise builds on {names}, whose checks have not passed yet: fix them first (this failure "
               "may come from them).", names=listed))


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
        self.messages = _MESSAGES.setdefault(notebook, {})
        self.args = _ARGS.setdefault(notebook, {})
        self.checks = {}
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
        return tr("see hint {hint} of Exercise {number} ({title}) above.", hint=hint, number=number,
                  title=translated(title))

    def points(self, key):
        return next(p["points"] for p in self.parts if p["key"] == key)

    def owned(self, key):
        """Every function name part ``key`` may define (its key, declared functions, the convention)."""
        return set().union(*(self._owned(key, tier) for tier in range(3)))

    def record(self, key, status, message=""):
        """What happened to part ``key`` in this session (``_STATUS`` outlives ``fresh``)."""
        self.status[key] = status
        lines = [line for line in str(message).splitlines() if line.strip()]
        if status == "passed" or not lines:
            self.messages.pop(key, None)
        else:
            self.messages[key] = lines[0].strip()

    def broken(self, uses):
        """The parts of ``uses`` that have not passed: [(key, why)], why being "cell" (its cell did not
        run) or "check" (its check failed or is not implemented yet)."""
        found = []
        for k in uses:
            if any(name in _NOT_RUN for name in self.owned(k)):
                found.append((k, "cell"))
            elif self.status.get(k) in ("failed", "not implemented yet"):
                found.append((k, "check"))
        return found

    def recheck(self, uses):
        """Run the checks of the parts of ``uses`` that passed, again on their hidden inputs (what the
        grade runs too): a dependency that passes its visible check but is still wrong on a branch
        those inputs do not reach fails there, and is then named as the cause."""
        if _IN_DEPENDENCY:
            return
        _IN_DEPENDENCY.append(True)
        try:
            for k in uses:
                if self.status.get(k) == "passed" and k in self.args and k in self.checks:
                    args, kwargs = self.args[k]
                    try:
                        self.checks[k](*args, hidden=True, quiet=True, **kwargs)
                    except CheckFailed:
                        pass   # its wrapper recorded the failure
                    except Exception:  # noqa: BLE001 (the dependency's check is not this part's problem)
                        pass
        finally:
            _IN_DEPENDENCY.pop()

    def trace(self, run, args, uses):
        """Run ``run()`` once more with the functions of the parts of ``uses`` recorded where the
        learner's functions in ``args`` look them up (their module's globals); return the first
        sentence that points to one of them, or None.  A dependency is pointed to when, on the
        inputs this part gave it, it raised, returned nan or inf, or (a forward/backward pair) its
        backward disagrees with finite differences of its forward."""
        names = sorted({n for k in uses for n in self.owned(k) if "." not in n})
        spaces = {id(g): g for g in (getattr(a, "__globals__", None) for a in args) if isinstance(g, dict)}
        calls, originals = {}, []
        for space in spaces.values():
            for name in names:
                original = space.get(name)
                if not callable(original) or getattr(original, "__globals__", None) is not space:
                    continue

                def recording(*a, _f=original, _n=name, **k):
                    entry = {"args": [x.copy() if hasattr(x, "copy") else x for x in a]}
                    finite_args = _finite(list(a) + list(k.values()))
                    calls.setdefault(_n, []).append(entry)
                    try:
                        result = _f(*a, **k)
                    except BaseException as exc:
                        entry["raised"] = exc
                        raise
                    # judged now: the caller may later change what it got (training fills params)
                    if finite_args and not _finite(result):
                        entry["nonfinite"] = _largest(a)
                    return result
                space[name] = functools.update_wrapper(recording, original)
                originals.append((space, name, original))
        if not originals:
            return None
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                run()
        except Exception:  # noqa: BLE001 (it failed before: only the record matters)
            pass
        finally:
            for space, name, original in originals:
                space[name] = original
        functions = {name: original for _, name, original in originals}
        return _point_to(calls, functions)

    def check(self, key, uses=()):
        """Decorator: register ``fn`` as the check of exercise part ``key``.

        ``uses``: earlier parts whose functions this exercise is meant to call; when one of
        them has failed (or is not implemented yet) in this session, a failure here leads with
        that, because fixing that part first may fix this one too.

        The check's verdict is the grade's: code that writes to stderr while the check runs fails
        it (nbgrader scores such a cell 0), and a function whose cell did not run (a SyntaxError,
        an exception before its ``def``) fails it with the cell's error, not with a stale version.
        """
        for k in (key, *uses):
            if k not in self.keys:
                raise ValueError(f"{k!r} is not an exercise of {self.notebook}")

        def decorate(fn):
            @functools.wraps(fn)
            def wrapper(*args, hidden=False, quiet=False, **kwargs):
                __tracebackhide__ = True  # noqa: F841
                err = io.StringIO()
                try:
                    stale = [m for m in map(did_not_run_message, dict.fromkeys(
                        _names_of(args) + sorted(self.owned(key)))) if m]
                    if stale:
                        raise CheckFailed(stale[0], key="cell_did_not_run")
                    # quiet: also silence what the check itself prints (side-by-side tables)
                    # every warning shown each time (a kernel shows one only once per place; the grade's
                    # fresh kernel shows it), and stderr kept: nbgrader scores a cell with stderr as 0
                    with contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext(), \
                            contextlib.redirect_stderr(err), warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always")
                        fn(*args, hidden=hidden, **kwargs)
                    if caught:
                        raise CheckFailed(warning_sentence(tr("your code"), caught[0]), key="warning")
                    if err.getvalue().strip():
                        raise CheckFailed(stderr_sentence(tr("your code"), err.getvalue()), key="stderr")
                except CheckFailed as exc:
                    failure = exc
                else:
                    if not hidden:
                        self.record(key, "passed")
                        self.args[key] = (args, kwargs)
                    if not quiet:
                        print(_passed_line(key, hidden, self.points(key)))
                    return None
                message = str(failure)
                broken, pointed = [], None
                if failure.key not in ("not_implemented", "cell_did_not_run"):
                    self.recheck(uses)
                    broken = self.broken(uses)
                    if uses and not broken and not _IN_DEPENDENCY:
                        pointed = self.trace(lambda: fn(*args, hidden=hidden, **kwargs), args, uses)
                if pointed and failure.key not in SYMPTOM_KEYS:
                    message = message + "\n  (" + pointed + ")"
                elif pointed:
                    message = pointed + "\n  " + message.replace("\n", "\n  ")
                elif broken:
                    lead = _builds_on([k for k, _ in broken], all(w == "cell" for _, w in broken))
                    message = lead + "\n  " + message.replace("\n", "\n  ")
                if failure.hint is not None:
                    message += "\n  " + self.hint_sentence(key, failure.hint)
                self.record(key, "not implemented yet" if failure.key == "not_implemented" else "failed", message)
                raise CheckFailed(message, key=failure.key, keys=failure.keys, hint=failure.hint) from None
            wrapper.exercise = key
            self.checks[key] = wrapper
            return wrapper
        return decorate

    def table(self):
        """Rows of (part, title, points, status) for this session."""
        return [(p["key"], p["title"], p["points"], self.status.get(p["key"], "not checked yet"))
                for p in self.parts]

    def progress(self):
        """Print this notebook's progress table (checks run in this session); under a failed part,
        the first line of its message, as ``course-check progress`` shows it."""
        rows = self.table()
        done = sum(points for _, _, points, status in rows if status == "passed")
        total = sum(points for _, _, points, _ in rows)
        width = max(len(key) for key, *_ in rows)
        print(tr("{notebook}: {done:g} / {total:g} points checked so far", notebook=self.notebook, done=done,
                 total=total))
        for key, title, points, status in rows:
            mark = "x" if status == "passed" else " "
            print(tr("  [{mark}] {key:<{width}}  {points:>2g} pt  {status} {title}", mark=mark, key=key,
                     width=width, points=points, status=_padded(translated(STATUS_WORDS.get(status, status)), 20),
                     title=translated(title)))
            if status == "failed" and self.messages.get(key):
                print(f"        {self.messages[key]}")
