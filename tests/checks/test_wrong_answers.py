"""No check crashes: every check of every notebook, fed many generated wrong answers, ends in a
CheckFailed with a sentence (or passes, when the answer is still right), never in another
exception, and writes nothing to stderr.

The checks and the solution's functions come from the solution notebooks' test cells
(``check.<part>(<names>)``), so a new part is covered without editing this file.  Each wrong
answer is the solution's function with its result changed: scaled, transposed, permuted,
perturbed on some entries, with an axis added or lost, as a list, as integers, in float32, with a
nan, None, raising, a scalar, one value too few; for a class, one method at a time broken the same
ways.  ``WRONG_ANSWERS=all`` runs every change on every returned value (about 4 minutes on two
cores); the default runs a sample of SAMPLE changes per value, rotated from case to case so that
every change meets every notebook.
"""
import contextlib
import functools
import importlib
import io
import json
import os
import re
import time

import numpy as np
import pytest

from autograder import CheckFailed
from conftest import assignments, load_solution, solution_path

EVERYTHING = os.environ.get("WRONG_ANSWERS") == "all"
SAMPLE = 6      # changes per returned value by default (all of them with WRONG_ANSWERS=all)
SLOW_CHECK = 0.3   # CPU seconds: a check slower than this gets 2 changes per value by default
CALL = re.compile(r"^(\w+)\.(\w+)\(([\w, ]*)\)\s*$")


def visible_calls(assignment):
    """[(module name, part, [argument names])] from the notebook's test cells' first lines."""
    nb = json.loads(solution_path(assignment).read_text(encoding="utf-8"))
    topic = None
    calls = []
    for cell in nb["cells"]:
        source = "".join(cell.get("source", ""))
        found = re.search(r"from autograder\.checks import (\w+) as check", source)
        if found:
            topic = found.group(1)
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        if cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution"):
            match = CALL.match(source.splitlines()[0])
            assert match, f"{assignment}: a test cell's first line is not check.part(names): {source[:80]!r}"
            calls.append((topic, match.group(2), [a.strip() for a in match.group(3).split(",") if a.strip()]))
    return calls


# --- wrong answers made from right ones ---------------------------------------------------------

def _arrayish(value):
    return isinstance(value, (np.ndarray, float, int, np.floating, np.integer)) and not isinstance(value, bool)


def _nan(a):
    a = np.array(a, dtype=np.float64)
    a.flat[0] = np.nan
    return a


def _perturb(a):
    a = np.array(a, dtype=np.float64)
    a.flat[::3] += 0.37
    return a


def _lose_axis(a):
    a = np.asarray(a)
    return a[0] if a.ndim else a


VALUE_CHANGES = {
    "scaled": lambda a: np.asarray(a) * 1.7,
    "transposed": lambda a: np.asarray(a).T,
    "permuted": lambda a: np.asarray(a)[::-1],
    "perturbed": _perturb,
    "axis_added": lambda a: np.asarray(a)[None],
    "axis_lost": _lose_axis,
    "as_list": lambda a: np.asarray(a).tolist(),
    "as_int": lambda a: np.asarray(a).astype(np.int64),
    "float32": lambda a: np.asarray(a).astype(np.float32),
    "nan": _nan,
    "as_scalar": lambda a: float(np.sum(a)),
    "as_string": lambda a: "0.5",
}


class Boom(Exception):
    pass


def _raise(*args, **kwargs):
    raise Boom("a learner's function raised")


def _change_slot(result, slot, change):
    """``result`` with its value at ``slot`` changed (a tuple's entry, a dict's value, or itself)."""
    if slot is None:
        return change(result)
    if isinstance(result, tuple):
        return result[:slot] + (change(result[slot]),) + result[slot + 1:]
    if isinstance(result, list):
        return result[:slot] + [change(result[slot])] + result[slot + 1:]
    if isinstance(result, dict):
        key = list(result)[slot]
        return {**result, key: change(result[key])}
    raise LookupError(slot)


def _slots(result):
    """Where a returned value can be changed: [(slot, value)]; slot None is the result itself."""
    if isinstance(result, (tuple, list)):
        return [(i, v) for i, v in enumerate(result)]
    if isinstance(result, dict):
        return [(i, result[k]) for i, k in enumerate(result)]
    return [(None, result)]


def _changed_in_place(args, kwargs):
    """After a function that works in place: scale the first array it was given (in a dict too)."""
    for value in list(args) + list(kwargs.values()):
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size:
            value *= 1.7
            return
        if isinstance(value, dict):
            for item in value.values():
                if isinstance(item, np.ndarray) and item.dtype.kind == "f" and item.size:
                    item *= 1.7
                    return


def function_variants(fn, probe, turn=0, sample=None):
    """(label, wrong function) for a function; ``probe()`` is one right result, to know its shape;
    ``turn`` rotates the sample of changes made by default."""
    variants = [("raises", _raise), ("returns_none", lambda *a, **k: None)]
    result = probe()

    def made(transform):
        @functools.wraps(fn)
        def wrong(*args, **kwargs):
            return transform(fn(*args, **kwargs), args, kwargs)
        return wrong

    if result is None:   # works in place
        def in_place(r, args, kwargs):
            _changed_in_place(args, kwargs)
            return r
        return variants + [("in_place_scaled", made(in_place)), ("returns_number", made(lambda r, a, k: 1.0))]
    slots = [(slot, value) for slot, value in _slots(result) if _arrayish(value)]
    if isinstance(result, (tuple, list)) and len(result) > 1:
        variants.append(("one_too_few", made(lambda r, a, k: r[:-1])))
    names = list(VALUE_CHANGES)
    for n, (slot, value) in enumerate(slots[:4]):
        k = sample or SAMPLE
        chosen = names if EVERYTHING else [names[(turn + n * k + j) % len(names)] for j in range(k)]
        for label in chosen:
            variants.append((f"{label}@{slot}", made(
                lambda r, a, k, slot=slot, change=VALUE_CHANGES[label]: _change_slot(r, slot, change))))
    return variants


def _object_changes(result):
    """Changes to an object a method returned (a Value, a Tensor): its data scaled, or not an object."""
    changes = [("returns_float", lambda r: 0.5)]
    if hasattr(result, "data") and _arrayish(getattr(result, "data")):
        def scaled(r):
            r.data = r.data * 1.7
            return r
        changes.append(("data_scaled", scaled))
    return changes


def method_variants(cls):
    """(label, method name, wrong method) for each method the class defines."""
    for name, method in list(vars(cls).items()):
        if not callable(method) or isinstance(method, type) or name in ("__init__", "__repr__", "__hash__",
                                                                        "__eq__", "__init_subclass__"):
            continue
        if isinstance(method, (staticmethod, classmethod)):
            continue
        yield "raises", name, _raise
        yield "returns_none", name, lambda *a, **k: None

        def wrapped(change, method=method):
            @functools.wraps(method)
            def wrong(*args, **kwargs):
                result = method(*args, **kwargs)
                if result is None:
                    for arg in args[:1]:   # self: its gradient changed after the call
                        if hasattr(arg, "grad") and _arrayish(getattr(arg, "grad")):
                            arg.grad = arg.grad * 1.7
                    return result
                return change(result)
            return wrong
        yield "returns_float", name, wrapped(lambda r: 0.5 if hasattr(r, "data") else r)
        yield "data_scaled", name, wrapped(lambda r: _object_changes(r)[-1][1](r))


# --- the cases -------------------------------------------------------------------------------------

def _cases():
    cases = []
    for assignment in assignments():
        for topic, part, names in visible_calls(assignment):
            for position, name in enumerate(names):
                cases.append(pytest.param(assignment, topic, part, names, position, len(cases),
                                          id=f"{assignment}:{part}:{name}"))
    return cases


def _run(check, args):
    """None if the check passed; else the CheckFailed.  Anything else propagates."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            check(*args, quiet=True)
    except CheckFailed as exc:
        failure = exc
    else:
        failure = None
    assert err.getvalue() == "", f"the check wrote to stderr: {err.getvalue()[:300]}"
    return failure


def _judge(label, failure):
    if failure is None:
        return None
    message = str(failure).strip()
    assert message and "Traceback" not in message, f"{label}: a CheckFailed without a sentence: {message!r}"
    return failure.key


@pytest.mark.parametrize("assignment, topic, part, names, position, turn", _cases())
def test_generated_wrong_answers_end_in_a_sentence(assignment, topic, part, names, position, turn):
    """Does every generated wrong answer for this argument end in a CheckFailed with a sentence
    (or a pass), never in another exception?"""
    nb = load_solution(assignment)
    module = importlib.import_module(f"autograder.checks.{topic}")
    check = getattr(module, part)
    args = [nb.namespace[n] for n in names]
    target = args[position]
    keys = {}
    if isinstance(target, type):
        own = {n.split(".", 1)[1] for n in module.EXERCISES.owned(part) if n.startswith(target.__name__ + ".")}
        if not own:   # the class is only a helper of this part: by default, a rotating few of its methods
            methods = [n for n in vars(target) if callable(vars(target)[n])]
            own = {methods[(turn + j) % len(methods)] for j in range(3)} if methods else set()
        for label, method_name, wrong in method_variants(target):
            if method_name not in own and not EVERYTHING:
                continue   # by default, the methods of this part only
            original = vars(target)[method_name]
            setattr(target, method_name, wrong)
            try:
                keys[f"{method_name}:{label}"] = _judge(label, _run(check, args))
            finally:
                setattr(target, method_name, original)
        assert keys, f"{names[position]} defines no method to break"
        return
    if not callable(target):
        pytest.skip(f"{names[position]} is not a function")
    recorded = []

    @functools.wraps(target)
    def recording(*a, **k):
        result = target(*a, **k)
        if not recorded:
            recorded.append(result)
        return result

    probe_args = list(args)
    probe_args[position] = recording
    started = time.process_time()
    assert _run(check, probe_args) is None, "the solution passes its check"
    slow = time.process_time() - started > SLOW_CHECK      # a check that trains a network: fewer changes
    for label, wrong in function_variants(target, lambda: recorded[0] if recorded else None, turn,
                                          sample=2 if slow else None):
        planted = list(args)
        planted[position] = wrong
        keys[label] = _judge(label, _run(check, planted))
    # an exception is never a right answer; nor is None from a function that returns something
    assert keys["raises"] is not None, "a function that raises passed its check"
    # (a function the part only builds on may be called just to find a stub: only the part's own)
    if recorded and recorded[0] is not None and names[position] in module.EXERCISES.owned(part):
        assert keys["returns_none"] is not None, "a function that returns None passed its check"
