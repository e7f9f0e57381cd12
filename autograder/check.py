"""The pipeline end to end: finite differences -> comparison -> diagnosis -> message.

Two public checks build on it:

* ``check_grad(f, grad_f, x)`` for a scalar function and its gradient;
* ``check_layer(forward, backward, *inputs)`` for the course's layer
  convention: ``forward(*inputs) -> (out, cache)`` and
  ``backward(dout, cache) -> (d_input_1, d_input_2, ...)``.

Both pass silently except for one printed line, or raise ``CheckFailed``
(an ``AssertionError``) whose message names the gradient, the mistake, the
worst entry and the relative error.
"""
import functools
import inspect

import numpy as np

from . import numeric
from .catalog import Evidence, RETURN_MISTAKES, SHAPE_MISTAKES, VALUE_MISTAKES, first_match
from .compare import DirectionalOracle, FullOracle
from .guard import CheckFailed, call
from .tolerances import DIRECTIONAL_MIN_SIZE, GRAD_RTOL, N_DIRECTIONS


def public(fn):
    """Re-raise a CheckFailed from the public entry point, so the learner's
    traceback is two frames long instead of ten."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        __tracebackhide__ = True  # noqa: F841 (read by pytest / IPython)
        try:
            return fn(*args, **kwargs)
        except CheckFailed as exc:
            failure = exc
        raise CheckFailed(str(failure), key=failure.key, keys=failure.keys) from None
    return wrapper


# --- diagnosis and message -----------------------------------------------------

def diagnose(ev, mistakes=()):
    """The first catalog row that explains the evidence, or None if it is correct."""
    row = first_match(RETURN_MISTAKES, ev)
    if row is not None:
        return row
    ev.yours = np.asarray(ev.raw, dtype=np.float64)
    if ev.got != tuple(ev.want):
        return first_match(SHAPE_MISTAKES, ev)
    if ev.oracle.matches(ev.yours):
        return None
    return first_match(list(mistakes) + VALUE_MISTAKES, ev)


def _index_text(idx):
    if idx and idx[0] == "direction":
        return f"along random direction {idx[1]}"
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def explain(ev, row):
    """A few lines: the named mistake, then the worst entry and the error."""
    lines = [row.sentence(ev)]
    if ev.yours is not None and ev.got == tuple(ev.want) and ev.oracle is not None:
        idx, mine, truth = ev.oracle.worst(ev.yours)
        truth_label = getattr(ev.oracle, "label", "numeric")
        if ev.yours.ndim == 0:
            lines.append(f"  yours {mine:.6g}, {truth_label} {truth:.6g}")
        else:
            where = _index_text(idx)
            label = f"{ev.name}{where}" if where.startswith("[") else f"{ev.name} {where}"
            lines.append(f"  worst entry {label}: yours {mine:.6g}, {truth_label} {truth:.6g}")
        lines.append(f"  relative error {ev.oracle.error(ev.yours):.1e} (tolerance {ev.oracle.rtol:.0e})")
    return "\n".join(lines)


def judge(ev, mistakes=()):
    """None if correct, else the explanation; sets ``ev.extra['key']`` to the mistake's key."""
    row = diagnose(ev, mistakes)
    if row is None:
        return None
    ev.extra["key"] = row.key
    return explain(ev, row)


# --- oracles from the learner's own forward function ------------------------------

def oracle_for(f, x, rng):
    """The truth about the gradient of scalar f at x: entry by entry, or
    along random directions when x is large."""
    x = np.asarray(x, dtype=np.float64)
    if x.size < DIRECTIONAL_MIN_SIZE:
        return FullOracle(numeric.gradient(f, x))
    directions = numeric.random_directions(x.shape, N_DIRECTIONS, rng)
    targets = [float(numeric.jvp(f, x, u)) for u in directions]
    return DirectionalOracle(x.shape, directions, targets)


# --- check_grad ----------------------------------------------------------------------

@public
def check_grad(f, grad_f, x, *, name="gradient", mistakes=(), seed=0, quiet=False):
    """Check ``grad_f(x)`` against central differences of the scalar function ``f``.

    >>> check_grad(lambda x: np.sum(x ** 3), lambda x: 3 * x ** 2, np.array([1.0, -2.0]))
    """
    x = np.array(x, dtype=np.float64)
    before = x.copy()
    what = getattr(grad_f, "__name__", "grad_f")
    raw = call(grad_f, x, what=what)
    if not np.array_equal(x, before):
        raise CheckFailed(f"{what} changed its input x in place; work on a copy (x = x.copy()) "
                          f"or write new arrays (y = x * 2, not x *= 2).", key="mutated_input")
    fname = getattr(f, "__name__", "f")
    oracle = call(oracle_for, lambda z: float(f(z)), before, np.random.default_rng([seed, 0xBAC4]),
                  what=fname)
    ev = Evidence(name=name, of="x", raw=raw, want=before.shape, oracle=oracle, inputs=(before,))
    message = judge(ev, mistakes)
    if message:
        raise CheckFailed(f"{what}: {message}", key=ev.extra["key"], keys={name: ev.extra["key"]})
    if not quiet:
        print(f"check_grad passed: {what} matches central differences "
              f"(relative error {oracle.error(ev.yours):.1e}).")


# --- check_layer ---------------------------------------------------------------------

def input_names(forward, count):
    """Names of forward's parameters (x, W, b, ...), for messages."""
    try:
        params = [p.name for p in inspect.signature(forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    if len(params) >= count:
        return params[:count]
    return [f"x{i}" for i in range(count)]


def _run_forward(forward, xs, names, what):
    """forward(*copies) -> (out, cache), checking the convention and mutation."""
    copies = [x.copy() for x in xs]
    result = call(forward, *copies, what=what)
    if not isinstance(result, tuple) or len(result) != 2:
        got = "None" if result is None else (f"a tuple of {len(result)}" if isinstance(result, tuple)
                                             else type(result).__name__)
        raise CheckFailed(f"{what} must return (out, cache), a tuple of 2; it returned {got}.",
                          key="bad_return")
    for name, x, c in zip(names, xs, copies):
        if not np.array_equal(x, c):
            raise CheckFailed(f"{what} changed its input {name} in place; build new arrays "
                              f"(out = x + b, not x += b).", key="mutated_input")
    try:
        out = np.asarray(result[0], dtype=np.float64)
    except (TypeError, ValueError):
        out = None
    if out is None or not np.all(np.isfinite(out)):
        raise CheckFailed(f"{what} returned an output that is not a finite array of numbers.",
                          key="bad_output")
    return out, result[1]


def _gradients(backward, dout, cache, count, names, what):
    """backward(dout, cache) as a tuple of ``count`` gradients."""
    dcopy = dout.copy()
    grads = call(backward, dcopy, cache, what=what)
    if not np.array_equal(dcopy, dout):
        raise CheckFailed(f"{what} changed dout in place; compute new arrays instead "
                          f"(dx = dout * mask, not dout *= mask).", key="mutated_input")
    expected = ", ".join("d" + n for n in names)
    if grads is None:
        raise CheckFailed(f"{what} returned None: it must return ({expected}). Did you forget `return`?",
                          key="returned_none")
    if count == 1 and not isinstance(grads, (tuple, list)):
        grads = (grads,)
    if not isinstance(grads, (tuple, list)) or len(grads) != count:
        n = len(grads) if isinstance(grads, (tuple, list)) else 1
        raise CheckFailed(f"{what} returned {n} value{'s' if n != 1 else ''}; "
                          f"it must return {count}: ({expected}), one gradient per input, in order.",
                          key="wrong_count")
    return tuple(grads)


@public
def check_layer(forward, backward, *inputs, wrt=None, mistakes=(), seed=0, batch=None,
                names=None, quiet=False):
    """Check a layer's backward pass against central differences of its forward pass.

    ``forward(*inputs)`` returns ``(out, cache)``; ``backward(dout, cache)``
    returns one gradient per input in ``wrt`` (default: every input), in order.
    The upstream gradient ``dout`` is random (seeded); a second, different one
    finds a backward pass that ignores it.
    """
    xs = [np.array(x, dtype=np.float64) for x in inputs]
    wrt = list(range(len(xs))) if wrt is None else list(wrt)
    names = list(names) if names else input_names(forward, len(xs))
    fwd_name = getattr(forward, "__name__", "forward")
    bwd_name = getattr(backward, "__name__", "backward")
    # Salted, so dout is never the same draw as inputs made with the same seed.
    rng = np.random.default_rng([seed, 0xBAC4])
    if batch is None and xs and xs[0].ndim >= 2:
        batch = xs[0].shape[0]

    out, cache = _run_forward(forward, xs, names, fwd_name)
    dout = rng.standard_normal(out.shape)
    dout_again = rng.standard_normal(out.shape)
    grad_names = [names[i] for i in wrt]
    grads = _gradients(backward, dout, cache, len(wrt), grad_names, bwd_name)
    _, cache_again = _run_forward(forward, xs, names, fwd_name)
    grads_again = _gradients(backward, dout_again, cache_again, len(wrt), grad_names, bwd_name)

    failures, keys, errors = [], {}, []
    for slot, i in enumerate(wrt):
        def scalar_loss(z, i=i, w=dout):
            args = [x.copy() for x in xs]
            args[i] = z
            return float(np.sum(np.asarray(forward(*args)[0], dtype=np.float64) * w))

        def scalar_loss_again(z, i=i):
            return scalar_loss(z, i, dout_again)

        oracle = call(oracle_for, scalar_loss, xs[i], rng, what=fwd_name)
        oracle_again = call(oracle_for, scalar_loss_again, xs[i], rng, what=fwd_name)
        again = grads_again[slot]
        try:
            again = np.asarray(again, dtype=np.float64) if np.shape(again) == xs[i].shape else None
        except (TypeError, ValueError):
            again = None
        ev = Evidence(name="d" + names[i], of=names[i], raw=grads[slot], want=xs[i].shape,
                      oracle=oracle, batch=batch, yours_again=again, oracle_again=oracle_again,
                      inputs=tuple(x.copy() for x in xs), dout=dout.copy())
        message = judge(ev, mistakes)
        if message:
            failures.append(message)
            keys[ev.name] = ev.extra["key"]
        else:
            errors.append(f"{ev.name} {oracle.error(ev.yours):.1e}")
    if failures:
        raise CheckFailed(f"{bwd_name}: " + "\n".join(failures), key=next(iter(keys.values())), keys=keys)
    if not quiet:
        print(f"check_layer passed: {bwd_name} matches central differences "
              f"(relative errors: {', '.join(errors)}; tolerance {GRAD_RTOL:.0e}).")


# --- answers that are values, not gradients of the learner's own forward -----------------

def check_answer(what, raw, expected, *, name=None, of="x", rtol=GRAD_RTOL, mistakes=(),
                 inputs=(), context=""):
    """Compare a learner's returned value with a known right answer and raise a
    CheckFailed naming the mistake (same catalog, same message format).

    ``expected`` is computed by the check from an independent formula;
    ``context`` says for which input (", for f = sin at x = 0.7").
    """
    expected = np.asarray(expected, dtype=np.float64)
    oracle = FullOracle(expected, rtol=rtol)
    oracle.label = "expected"
    ev = Evidence(name=name or what, of=of, raw=raw, want=expected.shape,
                  oracle=oracle, inputs=tuple(inputs))
    message = judge(ev, mistakes)
    if message:
        first, *rest = message.split("\n")
        raise CheckFailed("\n".join([f"{what}{context}: {first}"] + rest),
                          key=ev.extra["key"], keys={ev.name: ev.extra["key"]})
    return ev.yours
