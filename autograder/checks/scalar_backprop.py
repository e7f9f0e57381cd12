"""Checks for 03_scalar_backprop: backprop one neuron at a time, with explicit loops
(long: one notebook's checks and the catalog of its mistakes, read together, one exercise after
another; split by exercise they would scatter what a notebook's author edits at once).

One check per graded cell.  The network is seed 003's: input, hidden and output layers with
indices i, j, k and sizes l, m, n; ``W1[i, j]`` and ``W2[j, k]`` (fan_in, fan_out); one sample
``x`` of shape (l,) and target ``t`` of shape (n,); a sigmoid hidden layer and one of three
output activation / error pairs:

    "identity":  y_k = u_k,          E = 1/2 sum_k (y_k - t_k)^2
    "sigmoid":   y_k = sigma(u_k),   E = 1/2 sum_k (y_k - t_k)^2
    "softmax":   y = softmax(u),     E = -sum_k t_k log y_k        (t one-hot)

References are closed forms written here with numpy products (never the learner's loops).
Backward passes are judged against central differences of the learner's own loop forward
(``backward_loops``) or of a reference forward (the layer-sized parts, ``batch_gradients``).

Inputs are not kind (issue 18): every check runs at least two cases whose sizes differ from each
other and within each case (a square case first wherever a swapped index would otherwise raise
an IndexError instead of showing in the values), every output branch, integer inputs where a
learner could start an array from them (the CS231n neuron, one-hot and whole-number targets, an
input x of whole numbers), inputs that must come back unchanged, and saturated neurons (u = +-800)
wherever the notebook promises stable formulas.

Each named mistake points to the hint of its exercise that addresses it (``hint=N``: the N-th
``<details>`` block of the exercise's markdown; ``tests/course/test_scalar_backprop_notebook.py`` keeps
every number used here present in the notebook).
"""
from contextlib import contextmanager

import numpy as np

from . import Exercises
from .. import check_grad, check_layer, like
from ..catalog import Mistake
from ..check import check_answer, through
from ..guard import CheckFailed, call
from ..i18n import N_, tr
from .reference import sigmoid as _sigmoid, sigmoid_derivative as _dsigmoid, softmax as _softmax

EXERCISES = Exercises("03_scalar_backprop", [
    ("sigmoid_neuron", "One sigmoid neuron with the delta rule (CS231n's numbers)", 2),
    ("forward_loops", "Forward pass neuron by neuron, storing every u and y", 2),
    ("loss", "The error E: squared error or cross-entropy", 1),
    ("delta_identity_mse", "Output delta: identity output, squared error", 1),
    ("delta_sigmoid_mse", "Output delta: sigmoid output, squared error", 1),
    ("delta_softmax_ce", "Output delta: softmax output, cross-entropy", 2),
    ("layer_backward", "A layer's gradients from its deltas: dW, db and the gradient sent back", 2),
    ("hidden_delta", "Hidden delta from the gradient sent back", 1),
    ("backward_loops", "The whole backward pass, output layer then hidden layer", 2),
    ("batch_gradients", "A batch: the mean of the per-sample gradients", 2),
    ("dz_from_deltas", "The seeds' per-sample deltas and the course's batch gradient dz", 1),
])
progress = EXERCISES.progress

OUTPUTS = ("identity", "sigmoid", "softmax")
CACHE_KEYS = ("u_hidden", "y_hidden", "u_out", "y_out")
SATURATED = 800.0          # exp(800) overflows float64; the notebook's sigmoid and softmax do not


# --- references (closed forms) ------------------------------------------------------------------

def _activate(u, output):
    if output == "identity":
        return np.array(u, dtype=np.float64)
    if output == "sigmoid":
        return _sigmoid(u)
    return _softmax(np.asarray(u, dtype=np.float64))


def _error(y, t, output):
    y, t = np.asarray(y, dtype=np.float64), np.asarray(t, dtype=np.float64)
    if output == "softmax":
        return -float(np.sum(t * np.log(y)))
    return 0.5 * float(np.sum((y - t) ** 2))


def _delta_out(u, t, output):
    """dE/du_k for each pair (the three closed forms of the notebook)."""
    y = _activate(u, output)
    if output == "sigmoid":
        return (y - t) * y * (1.0 - y)
    return y - t                                   # identity + squared error, softmax + CE


def _net(x, W1, b1, W2, b2, output):
    u1 = x @ W1 + b1
    y1 = _sigmoid(u1)
    u2 = y1 @ W2 + b2
    return u1, y1, u2, _activate(u2, output)


def _backprop(x, W1, b1, W2, b2, delta_out, variant=None, output="identity"):
    """Reference backward pass from the output deltas; ``variant`` plants one mistake."""
    u1, y1, u2, _ = _net(x, W1, b1, W2, b2, "identity")
    if variant == "output_derivative_twice":
        y2 = _activate(u2, output)
        delta_out = delta_out * y2 * (1.0 - y2)
    y_in = {"u_as_input": u1, "x_as_input": x}.get(variant, y1)
    if y_in.shape != y1.shape:
        return None
    dW2, db2 = np.outer(y_in, delta_out), delta_out
    dy1 = W2 @ delta_out
    if variant == "delta_out_as_dy":
        if delta_out.shape != u1.shape:
            return None
        dy1 = delta_out
    if variant in ("output_layer_cache", "output_layer_cache_u") and u2.shape != u1.shape:
        return None
    y2 = _activate(u2, output)
    local = {"no_derivative": np.ones_like(u1), "derivative_at_output": _dsigmoid(y1),
             "u_as_y": u1 * (1.0 - u1), "output_layer_cache": y2 * (1.0 - y2),
             "output_layer_cache_u": _dsigmoid(u2)}.get(variant, _dsigmoid(u1))
    d1 = dy1 * local
    x_in = {"y_as_hidden_input": y1, "u_as_hidden_input": u1}.get(variant, x)
    if x_in.shape != x.shape:
        return None
    if variant == "W2_for_W1":
        return {"dx": W2 @ d1, "dW1": np.outer(x_in, d1), "db1": d1, "dW2": dW2, "db2": db2} \
            if W2.shape[1] == d1.size and W2.shape[0] == x.size else None
    return {"dx": W1 @ d1, "dW1": np.outer(x_in, d1), "db1": d1, "dW2": dW2, "db2": db2}


def _sample(rng, l, m, n, output):
    x = rng.uniform(-1.5, 1.5, size=l)
    W1, b1 = rng.standard_normal((l, m)), 0.5 * rng.standard_normal(m)
    W2, b2 = rng.standard_normal((m, n)), 0.5 * rng.standard_normal(n)
    return x, W1, b1, W2, b2, _target(rng, n, output)


def _target(rng, n, output, integer=False):
    """A target for the pair: one-hot for softmax, in (0, 1) for sigmoid, real for identity.
    ``integer``: as whole numbers of integer dtype (class labels one-hot, 0/1 labels, counts)."""
    if output == "softmax":
        return np.eye(n, dtype=np.int64 if integer else np.float64)[rng.integers(n)]
    if output == "sigmoid":
        if integer:
            return (np.arange(n) % 2 == rng.integers(2)).astype(np.int64)
        return rng.uniform(0.05, 0.95, size=n)
    if integer:
        return rng.integers(-3, 4, size=n)
    return rng.standard_normal(n)


def _rng(hidden, base):
    return np.random.default_rng(base + (1 if hidden else 0))


def _name(fn, default):
    return getattr(fn, "__name__", default)


def _sizes(l, m, n):
    return f"l={l}, m={m}, n={n}"


def row(key, says, wrong_answer, grads=None, hint=None):
    """``like``, but a wrong answer that cannot be computed for these inputs (a shape that does
    not fit, an index out of range) only means the row does not apply: it never ends the check."""
    base = like(key, says, wrong_answer, grads=grads, hint=hint)

    def test(ev):
        try:
            return bool(base.test(ev))
        except Exception:  # noqa: BLE001 (a row that cannot be computed does not match)
            return False
    return Mistake(base.key, base.says, test, grads=base.grads, hint=hint)


def _never():
    """A wrong answer that does not apply to these shapes (a row then never matches)."""
    return None


def _square(A):
    return A.ndim == 2 and A.shape[0] == A.shape[1]


@contextmanager
def _hints(mapping):
    """Give a failure whose key the catalog shares with every notebook (integer_dtype,
    mutated_input, ...) the number of this exercise's hint that addresses it."""
    try:
        yield
    except CheckFailed as exc:
        if exc.hint is None and exc.key in mapping:
            raise CheckFailed(str(exc), key=exc.key, keys=exc.keys, hint=mapping[exc.key]) from None
        raise


UNSTABLE_KEYS = ("warning", "non_finite", "bad_output")


def _saturated(run, key, sentence, hint):
    """Run a case with saturated neurons; a warning, nan/inf or an OverflowError there is the
    unstable formula ``sentence`` names (correct code is finite and silent at any u)."""
    try:
        run()
    except CheckFailed as exc:
        first = str(exc).splitlines()[0]
        if exc.key in UNSTABLE_KEYS or (exc.key == "exception" and "OverflowError" in first):
            raise CheckFailed(f"{sentence}\n  ({first})", key=key, hint=hint) from None
        raise


def _unchanged(what, given, kept, advice, hint=None):
    """The learner's function must leave its arguments as it got them: ``given`` the arrays it was
    called with, ``kept`` copies taken before the call, both {name: array}."""
    for name, before in kept.items():
        after = given[name]
        if not (isinstance(after, np.ndarray) and after.shape == before.shape and after.dtype == before.dtype
                and np.array_equal(after, before)):
            raise CheckFailed(tr("{what} changed its argument {name} in place: {advice}",
                                 what=what, name=name, advice=advice), key="mutated_input",
                              hint=hint)


def _shared_arrays(what, returned, truth, hint=None):
    """Two returned gradients that are ONE array under two names (``dw = dx = np.zeros(P)``): the
    second loop overwrote the first's entries.  ``returned`` and ``truth``: {name: value}, in the
    order of the return; only pairs whose right answers differ are a mistake."""
    names = [n for n, v in returned.items() if isinstance(v, np.ndarray)]
    for a, first in enumerate(names):
        for second in names[a + 1:]:
            x, y = returned[first], returned[second]
            try:
                shared = np.shares_memory(x, y)
                differ = np.shape(truth[first]) != np.shape(truth[second]) or not np.allclose(
                    truth[first], truth[second])
            except (TypeError, ValueError):
                continue
            if shared and differ:
                raise CheckFailed(
                    tr("{what} returned {first} and {second} as one array under two names (as `{first} = "
                       "{second} = np.zeros(...)` makes one array, not two): whatever is written into {second} "
                       "also lands in {first}. Make each its own array: {first}, {second} = np.zeros(...), "
                       "np.zeros(...).",
                       what=what, first=first, second=second), key="shared_array", hint=hint)


# --- loop bounds: a neuron skipped, or a loop run over another layer's size ------------------------

def _truncation(ev):
    """(axis, start, stop) when ``yours`` is right except for a block of entries left at 0 along one
    axis: the first entry (a loop from 1), or every entry from ``start`` on (a loop stopped early)."""
    truth = getattr(ev.oracle, "expected", None)
    yours = ev.yours
    if truth is None or yours is None or yours.ndim == 0 or yours.shape != truth.shape:
        return None
    for axis in range(yours.ndim):
        size = yours.shape[axis]
        if size < 2:
            continue
        blocks = [(0, 1)] + [(start, size) for start in range(size - 1, 0, -1)]
        for start, stop in blocks:
            cut = tuple(slice(start, stop) if a == axis else slice(None) for a in range(yours.ndim))
            if np.any(yours[cut]) or not np.any(truth[cut]):
                continue
            repaired = yours.copy()
            repaired[cut] = truth[cut]
            if ev.oracle.matches(repaired):
                return axis, start, stop
    return None


def _loop_rows(labels, sizes_of, hint=None):
    """Two rows over one detection: ``neuron_skipped`` (the last neuron, or the first, never reached)
    and ``wrong_loop_bound`` (the loop ran over range(b) with b another layer's size).

    ``labels[name]`` gives, per axis of the gradient, (who, letter, count): for dW2
    [("hidden neuron", "j", "m"), ("output neuron", "k", "n")]; ``sizes_of(ev)`` the sizes
    {"l": 4, "m": 5, "n": 3} of the case.
    """
    def found(ev):
        if "truncated" not in ev.extra:
            ev.extra["truncated"] = _truncation(ev) if ev.name in labels else None
        return ev.extra["truncated"]

    def skipped(ev):
        hit = found(ev)
        return hit is not None and (hit[1] == 0 or hit[1] == hit[2] - 1)

    def bound(ev):
        hit = found(ev)
        return hit is not None and 0 < hit[1] < hit[2] - 1

    def where(ev):
        axis, start, stop = ev.extra["truncated"]
        index = ", ".join((str(start) if stop - start == 1 else f"{start}:") if a == axis else ":"
                          for a in range(ev.yours.ndim))
        return axis, start, stop, f"{ev.name}[{index}]"

    def skipped_details(ev):
        axis, start, stop, at = where(ev)
        who, letter, count = labels[ev.name][axis]
        if start > 0:
            why = tr("{who} {letter} = {start}, the last of {count} = {stop}, was never reached: the loop "
                     "`for {letter} in range({count} - 1)` stops one short; range({count}) runs "
                     "{letter} = 0, ..., {count} - 1", who=tr(who), letter=letter, start=start, count=count,
                     stop=stop)
        else:
            why = tr("{who} {letter} = 0 was never reached: a loop that starts at 1, "
                     "`range(1, {count})`, skips it (Python counts from 0)", who=tr(who), letter=letter,
                     count=count)
        return {"where": at, "why": why}

    def bound_details(ev):
        axis, start, stop, at = where(ev)
        who, letter, count = labels[ev.name][axis]
        sizes = sizes_of(ev)
        others = [c for c, v in sizes.items() if v == start and c != count]
        if others:
            why = tr("the loop over the {who}s {letter} ran over range({other}) = range({start}), the size of "
                     "another layer, instead of range({count}) = range({stop}): each index has its own range "
                     "(i in range(l), j in range(m), k in range(n))", who=tr(who), letter=letter,
                     other=others[0], start=start, count=count, stop=stop)
        else:
            why = tr("the loop over the {who}s {letter} ran over range({start}) instead of "
                     "range({count}) = range({stop}): each index has its own range "
                     "(i in range(l), j in range(m), k in range(n))", who=tr(who), letter=letter,
                     start=start, count=count, stop=stop)
        return {"where": at, "why": why}

    return [Mistake("neuron_skipped", "{where} is all zero: {why}.", skipped, grads=tuple(labels),
                    details=skipped_details, hint=hint),
            Mistake("wrong_loop_bound", "{where} is all zero: {why}.", bound, grads=tuple(labels),
                    details=bound_details, hint=hint)]


INDEX_RANGE = N_("{what} works when {shape_word} square but raises IndexError for {shapes}: a loop "
               "runs over the wrong layer's size, or an index pair is swapped somewhere. Each index "
               "has its own range: i in range(l), j in range(m), k in range(n); and w_jk is W[j, k] "
               "(row = the neuron the weight comes from, column = the neuron it goes to).")


def _non_square(run, what, shape_word, shapes, hint=None):
    """Run a non-square case after the square one passed; name an IndexError there."""
    try:
        run()
    except CheckFailed as exc:
        if exc.key == "exception" and "IndexError" in str(exc):
            raise CheckFailed(tr(INDEX_RANGE, what=what, shape_word=shape_word, shapes=shapes)
                              + f"\n  ({str(exc).splitlines()[0]})", key="index_out_of_range",
                              hint=hint) from None
        raise


def _check_order(raw, wanted, what):
    """Gradients returned in another order (the seed lists dw, db, dy) get their own message.

    ``wanted``: [(name, shape)] in the course's order, one per input.
    """
    if not isinstance(raw, (tuple, list)) or len(raw) != len(wanted):
        return
    try:
        got = [np.shape(g) for g in raw]
    except (TypeError, ValueError):
        return
    shapes = [shape for _, shape in wanted]
    if got != shapes and sorted(got) == sorted(shapes):
        order = ", ".join(name for name, _ in wanted)
        raise CheckFailed(tr("{what} returned its gradients in another order: return ({order}), one per input in the "
                             "order of the inputs (the course's convention), although the seed lists dw, db first. "
                             "Shapes returned: {got}.",
                             what=what, order=order, got=got), key="gradient_order")


# --- 1. one neuron: CS231n's sigmoid neuron with the delta rule ------------------------------------

# CS231n's numbers are whole numbers: given as integer arrays, as a learner would type them.
SEED_NEURON = (np.array([-1, -2]), np.array([2, -3]), -3, 1.0)   # x, w, b, dE/dy
NEURON_FIELDS = ("y", "delta", "dw", "db", "dx")
NEURON_HINTS = {"integer_dtype": 3, "mutated_input": 3}


def _neuron_truth(x, w, b, dE_dy):
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    u = float(np.dot(w, x) + b)
    y = float(_sigmoid(u))
    delta = dE_dy * y * (1.0 - y)
    return {"y": y, "delta": delta, "dw": x * delta, "db": delta, "dx": w * delta}


def _neuron_values(raw, what):
    if not isinstance(raw, (tuple, list)) or len(raw) != 5:
        got = "None" if raw is None else (tr("a tuple of {n}", n=len(raw)) if isinstance(raw, (tuple, list))
                                          else type(raw).__name__)
        raise CheckFailed(tr("{what} must return (y, delta, dw, db, dx), a tuple of 5; it returned {got}.",
                             what=what, got=got),
                          key="bad_return")
    return dict(zip(NEURON_FIELDS, raw))


def _fmt(value):
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return "?"
    if arr.ndim == 0:
        return f"{float(arr):.4f}"
    return "(" + ", ".join(f"{v:.4f}" for v in arr.ravel()) + ")"


def _right(text, width):
    """``text`` right-aligned in ``width`` columns of a terminal, where a Hangul syllable takes two."""
    import unicodedata
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return " " * max(width - columns, 0) + text


def _neuron_table(mine):
    """The seed note's, CS231n's and the learner's numbers for the seed neuron, side by side."""
    rows = [("y = f", "-", "0.73", "y"), ("delta", "0.2", "0.20", "delta"),
            ("dw = (dw0, dw1)", "(-0.2, -)", "(-0.20, -0.39)", "dw"), ("db (= dw2)", "0.2", "0.20", "db"),
            ("dx = (dx0, dx1)", "(0.4, -)", "(0.39, -0.59)", "dx")]
    lines = ["  " + tr("CS231n neuron: w = (2, -3), b = -3, x = (-1, -2), dE/dy = 1"),
             f"  {'':16s}{_right(tr('seed note 004'), 15)}{_right(tr('CS231n slides'), 17)}   {tr('yours')}"]
    for label, note, slides, key in rows:
        yours = _fmt(mine.get(key)) if mine is not None else "?"
        lines.append(f"  {label:16s}{note:>15s}{slides:>17s}   {yours}")
    return "\n".join(lines)


def _neuron_mistakes(x, w, b, dE_dy, field):
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    truth = _neuron_truth(x, w, b, dE_dy)
    y = truth["y"]
    at_output = dE_dy * float(_dsigmoid(y))
    two = float(_sigmoid(x[0] * w[0] + x[1] * w[1] + b)) if len(x) > 2 else None
    u = float(np.dot(w, x) + b)
    forward = N_("the forward value y = sigma(u), u = sum_p x_p w_p + b, is wrong: {why}")
    rows = {
        "y": [row("fixed_input_count", tr("u = sum_p x_p w_p + b sums over ALL P = len(x) inputs (this neuron "
                                          "has {P}); yours uses only the first two.", P=len(x)),
                  lambda ev: _never() if two is None else two),
              row("bias_added_per_input", tr(forward, why=tr("yours adds the bias once per input, u = sum_p x_p "
                                                             "w_p + P b (P = {P}): add b once, outside the loop "
                                                             "over p (start u at b).", P=len(x))),
                  lambda ev: float(_sigmoid(u + (len(x) - 1) * b)), hint=2),
              row("missing_bias", tr(forward, why=tr("the bias b is missing from u (start u at b, not at 0).")),
                  lambda ev: float(_sigmoid(u - b)), hint=2),
              row("missing_activation", tr(forward, why=tr("yours is u itself; y = sigma(u), with the given "
                                                           "sigmoid.")),
                  lambda ev: u, hint=1),
              row("sign_flipped", tr(forward, why=tr("yours is sigma(-u) = 1 - y; the sigmoid takes u itself.")),
                  lambda ev: float(_sigmoid(-u)), hint=1),
              row("sum_overwritten", tr(forward, why=tr(
                  "yours keeps only the last product x_p w_p (plus b): `u = ...` inside the loop overwrites u; "
                  "add each product, u = u + x[p] * w[p] (with P = 2 inputs, a loop from p = 1 gives the same)."
                  if len(x) == 2 else
                  "yours keeps only the last product x_p w_p (plus b): `u = ...` inside the loop overwrites u; "
                  "add each product, u = u + x[p] * w[p].")),
                  lambda ev: float(_sigmoid(x[-1] * w[-1] + b)), hint=2),
              row("sum_overwritten", tr(forward, why=tr("yours keeps only the last product x_p w_p: `u = ...` "
                                                        "inside the loop overwrites u (and the bias); add each "
                                                        "product, u = u + x[p] * w[p], starting from u = b.")),
                  lambda ev: float(_sigmoid(x[-1] * w[-1])), hint=2),
              row("input_skipped", tr(forward, why=tr("the sum over p left out the last input, p = P - 1 = {last}: "
                                                      "`range(len(x) - 1)` stops one short; range(len(x)) runs "
                                                      "p = 0, ..., P - 1.", last=len(x) - 1)),
                  lambda ev: float(_sigmoid(u - x[-1] * w[-1])), hint=2),
              row("input_skipped", tr(forward, why=tr("the sum over p left out the first input, p = 0: a loop "
                                                      "`range(1, len(x))` skips it (Python counts from 0).")),
                  lambda ev: float(_sigmoid(u - x[0] * w[0])), hint=2)],
        "delta": [
            row("missing_activation_derivative", N_("delta = dE/dy * dy/du: the sigmoid's derivative "
                                                 "y (1 - y) is missing (yours is dE/dy alone)."),
                lambda ev: dE_dy, hint=1),
            row("derivative_at_output", N_("sigma' must be taken at u, the neuron's input: "
                                        "sigma'(u) = y (1 - y). Yours is sigma'(y) = sigma(y)(1 - sigma(y))."),
                lambda ev: at_output, hint=1),
            row("ignores_upstream", tr("delta = dE/dy * y (1 - y): multiply by dE/dy (the check passes "
                                       "dE/dy = {dE_dy:g} here).", dE_dy=dE_dy), lambda ev: y * (1 - y), hint=1),
        ],
        "dw": [row("dw_dx_swapped", N_("dw_p = y_p delta = x_p delta (the input on the weight's edge); "
                                    "yours is w_p delta, which is dx."), lambda ev: w * truth["delta"], hint=2),
               row("missing_delta", N_("dw_p = x_p delta: yours is x_p without delta (the chain rule "
                                    "multiplies the local derivative du/dw_p = x_p by delta)."),
                   lambda ev: x, hint=2),
               row("missing_local_derivative", N_("dw_p = x_p delta: yours is delta alone in every entry; the "
                                               "local derivative du/dw_p = x_p, the input on the weight's edge, "
                                               "is missing."), lambda ev: np.full(len(x), truth["delta"]), hint=2)],
        "dx": [row("dw_dx_swapped", N_("dx_p = w_p delta (the weight on the input's edge); yours is "
                                    "x_p delta, which is dw."), lambda ev: x * truth["delta"], hint=2),
               row("missing_delta", N_("dx_p = w_p delta: yours is w_p without delta (the chain rule "
                                    "multiplies the local derivative du/dx_p = w_p by delta)."),
                   lambda ev: w, hint=2),
               row("missing_local_derivative", N_("dx_p = w_p delta: yours is delta alone in every entry; the "
                                               "local derivative du/dx_p = w_p, the weight on the input's edge, "
                                               "is missing."), lambda ev: np.full(len(x), truth["delta"]), hint=2)],
        "db": [row("bias_gradient_includes_input", N_("db = delta (du/db = 1); yours multiplies delta by "
                                                   "an input."), lambda ev: x[-1] * truth["delta"], hint=2),
               row("bias_gradient_times_b", N_("db = delta: du/db = 1, since u = ... + b holds b itself, not "
                                            "b times something; yours multiplies delta by b."),
                   lambda ev: b * truth["delta"] if b not in (0, 1) else _never(), hint=2)],
    }
    return rows.get(field, [])


def _neuron_case(fn, case, context, what):
    x, w, b, dE_dy = case
    args = [x.copy(), w.copy(), b, dE_dy]
    raw = call(fn, *args, what=what)
    _unchanged(what, {"x": args[0], "w": args[1]}, {"x": x, "w": w},
               tr("compute new arrays (dw = np.zeros(len(x)), then fill it) and leave x and w as they are."),
               hint=3)
    mine = _neuron_values(raw, what)
    truth = _neuron_truth(x, w, b, dE_dy)
    _shared_arrays(what, {"dw": mine["dw"], "dx": mine["dx"]}, truth, hint=3)
    for field in NEURON_FIELDS:
        check_answer(what, mine[field], truth[field], name=field, of={"dw": "w", "dx": "x"}.get(field, field),
                     mistakes=_neuron_mistakes(x, w, b, dE_dy, field), context=context)
    return mine


@EXERCISES.check("sigmoid_neuron")
def sigmoid_neuron(fn, *, hidden=False):
    what = _name(fn, "sigmoid_neuron")
    if hidden:
        cases = [(np.array([1.3, -0.4]), np.array([-0.6, 1.7]), 0.25, 2.5),
                 (np.array([0.7, 0.2, -1.1, 0.45]), np.array([0.5, -1.3, 0.8, 2.2]), -0.6, -1.5),
                 (np.array([2, 1, -1]), np.array([300, 150, -90]), 10, 3.0)]           # u = +850
    else:
        cases = [SEED_NEURON, (np.array([0.5, -1.2, 0.8]), np.array([0.3, 0.9, -1.1]), 0.4, -0.7),
                 (np.array([3.0, -2.0, 1.5, 0.5]), np.array([-120.0, 80.0, -60.0, 40.0]), -210.0, 1.5)]
    seed_values = None
    try:
        with _hints(NEURON_HINTS):
            for case_no, case in enumerate(cases):
                x, w, b, dE_dy = case
                context = (tr(" for CS231n's neuron") if not hidden and case_no == 0 else
                           tr(" for x = {x}, w = {w}, b = {b}, dE/dy = {dE_dy}", x=x.tolist(), w=w.tolist(), b=b,
                              dE_dy=dE_dy))
                u = float(np.dot(np.asarray(w, dtype=np.float64), x) + b)
                if abs(u) >= SATURATED:
                    _saturated(lambda case=case, context=context: _neuron_case(fn, case, context, what),
                               "unstable_sigmoid",
                               tr("{what} fails for a saturated neuron (u = {u:g}){context}: exp(-u) overflows in "
                                  "the formula 1 / (1 + exp(-u)). Use the notebook's sigmoid, which is stable for "
                                  "any u.",
                                  what=what, u=u, context=context), hint=3)
                    continue
                mine = _neuron_case(fn, case, context, what)
                if not hidden and case_no == 0:
                    seed_values = mine
    except CheckFailed as exc:
        if hidden or exc.key == "not_implemented":
            raise
        raise CheckFailed(f"{exc}\n{_neuron_table(seed_values)}", key=exc.key, keys=exc.keys, hint=exc.hint) from None
    if not hidden:
        print(_neuron_table(seed_values))


# --- 2. forward pass with loops --------------------------------------------------------------------

FORWARD_HINTS = {"integer_dtype": 2, "mutated_input": 1}


def _forward_result(raw, what):
    if not isinstance(raw, tuple) or len(raw) != 2:
        raise CheckFailed(tr("{what} must return (y, cache), a tuple of 2.", what=what), key="bad_return")
    y, cache = raw
    if not isinstance(cache, dict) or any(k not in cache for k in CACHE_KEYS):
        raise CheckFailed(tr("{what}: the cache must be the dict built at the end of the function, with the keys "
                             "{keys}; keep those lines as they are.",
                             what=what, keys=', '.join(CACHE_KEYS)),
                          key="cache_format")
    return y, cache


def _softmax_running(u2):
    """softmax applied inside the loop over k, before the later u_r were computed (still 0)."""
    y = np.zeros_like(u2)
    for k in range(len(u2)):
        v = u2.copy()
        v[k + 1:] = 0.0
        y[k] = _softmax(v)[k]
    return y


def _forward_mistakes(x, W1, b1, W2, b2, output):
    u1, y1, u2, y2 = _net(x, W1, b1, W2, b2, output)
    labels = {"u_hidden": [(N_("hidden neuron"), "j", "m")], "y_hidden": [(N_("hidden neuron"), "j", "m")],
              "u_out": [(N_("output neuron"), "k", "n")], "y_out": [(N_("output neuron"), "k", "n")]}
    sizes = {"l": W1.shape[0], "m": W1.shape[1], "n": W2.shape[1]}
    loops = _loop_rows(labels, lambda ev: sizes, hint=2)
    transposed = N_("w_pj is W[p, j]: the row is the neuron the weight comes from, the column the neuron "
                    "it goes to (shape (fan_in, fan_out)); you used W[j, p].")
    hidden_rows = [
        row("transposed_weight_index", transposed,
            lambda ev: W1 @ x + b1 if _square(W1) else _never(), grads="u_hidden", hint=2),
        row("missing_bias", N_("u_j = sum_p y_p w_pj + b_j: the bias b_j is missing."),
            lambda ev: x @ W1, grads="u_hidden", hint=1),
        row("sum_overwritten", N_("u_j = sum_p y_p w_pj + b_j adds ALL l inputs; yours keeps only the last "
                               "one, p = l - 1 (did `=` overwrite instead of `+=` adding?)."),
            lambda ev: x[-1] * W1[-1] + b1, grads="u_hidden", hint=1),
        row("bias_added_per_input", N_("add the bias b_j once, outside the loop over the inputs p; yours "
                                    "adds it l times."), lambda ev: x @ W1 + len(x) * b1, grads="u_hidden", hint=1),
        row("wrong_bias", N_("each layer has its own biases: the hidden neuron j adds b1[j]; yours adds b2[j], "
                          "the output layer's."), lambda ev: x @ W1 + b2[:W1.shape[1]] if b2.size >= W1.shape[1]
            else _never(), grads="u_hidden", hint=1),
        row("missing_hidden_activation", N_("the hidden layer's output is y_j = sigma(u_j); yours is u_j."),
            lambda ev: u1, grads="y_hidden", hint=1),
    ]
    out_rows = [
        row("used_u_not_y", N_("the output layer's inputs are the hidden OUTPUTS y_j = sigma(u_j), "
                            "not the pre-activations u_j."), lambda ev: u1 @ W2 + b2, grads="u_out", hint=1),
        row("transposed_weight_index", N_("w_qk is W[q, k]: the row is the neuron the weight comes from, the "
                                          "column the neuron it goes to (shape (fan_in, fan_out)); you used "
                                          "W[k, q]."),
            lambda ev: W2 @ y1 + b2 if _square(W2) else _never(), grads="u_out", hint=2),
        row("missing_bias", N_("u_k = sum_q y_q w_qk + b_k: the bias b_k is missing."),
            lambda ev: y1 @ W2, grads="u_out", hint=1),
        row("sum_overwritten", N_("u_k = sum_q y_q w_qk + b_k adds ALL m hidden outputs; yours keeps only "
                               "the last one, q = m - 1 (did `=` overwrite instead of `+=` adding?)."),
            lambda ev: y1[-1] * W2[-1] + b2, grads="u_out", hint=1),
        row("bias_added_per_input", N_("add the bias b_k once, outside the loop over the inputs q; yours "
                                    "adds it m times."), lambda ev: y1 @ W2 + len(y1) * b2, grads="u_out", hint=1),
        row("wrong_layer_input", N_("the output layer's inputs are the hidden outputs y_hidden[q]; yours uses the "
                                 "network's inputs x[q] there (x belongs to the hidden layer)."),
            lambda ev: x @ W2 + b2 if x.size == W2.shape[0] else _never(), grads="u_out", hint=1),
        row("wrong_bias", N_("each layer has its own biases: the output neuron k adds b2[k]; yours adds b1[k], "
                          "the hidden layer's."), lambda ev: y1 @ W2 + b1[:W2.shape[1]] if b1.size >= W2.shape[1]
            else _never(), grads="u_out", hint=1),
    ]
    act_rows = {
        "identity": [row("identity_output_activated", N_("with output='identity' the output neurons apply "
                                                      "no function: y_k = u_k (check the branch your "
                                                      "`if` takes for 'identity')."),
                         lambda ev: _sigmoid(u2), grads="y_out", hint=3)],
        "sigmoid": [row("missing_output_activation", N_("with output='sigmoid', y_k = sigma(u_k); yours is u_k."),
                        lambda ev: u2, grads="y_out", hint=3)],
        "softmax": [row("softmax_as_elementwise", N_("softmax is not applied neuron by neuron: "
                                                  "y_k = exp(u_k) / sum_r exp(u_r) divides by a sum over "
                                                  "ALL output neurons. Yours is sigma(u_k)."),
                        lambda ev: _sigmoid(u2), grads="y_out", hint=3),
                    row("softmax_before_all_u", N_("softmax needs every u_r: yours applied it inside the loop "
                                                "over k, while the later u_r were still 0. Fill u_out first, "
                                                "then apply softmax(u_out) once, after the loop."),
                        lambda ev: _softmax_running(u2), grads="y_out", hint=3),
                    row("softmax_not_normalized", N_("softmax divides exp(u_k) by sum_r exp(u_r); yours is "
                                                  "not divided (the outputs must sum to 1)."),
                        lambda ev: np.exp(u2), grads="y_out", hint=3),
                    row("missing_output_activation", N_("with output='softmax', y = softmax(u); yours is u."),
                        lambda ev: u2, grads="y_out", hint=3)],
    }[output]
    return hidden_rows + out_rows + act_rows + loops


def _check_forward_case(fn, x, W1, b1, W2, b2, output, what):
    l, m, n = W1.shape[0], W1.shape[1], W2.shape[1]
    args = [x, W1, b1, W2, b2]
    copies = [a.copy() for a in args]
    raw = call(fn, *copies, output, what=what)
    for name, a, c in zip(["x", "W1", "b1", "W2", "b2"], args, copies):
        if not np.array_equal(a, c):
            raise CheckFailed(tr("{what} changed its input {name} in place; write into the arrays u_hidden, "
                                 "y_hidden, u_out, y_out instead.",
                                 what=what, name=name), key="mutated_input", hint=1)
    y, cache = _forward_result(raw, what)
    truth = dict(zip(CACHE_KEYS, _net(x, W1, b1, W2, b2, output)))
    mistakes = _forward_mistakes(x, W1, b1, W2, b2, output)
    context = f" ({_sizes(l, m, n)}, output={output!r})"
    for key in CACHE_KEYS:
        check_answer(what, cache[key], truth[key], name=key, of=key, mistakes=mistakes, context=context)
    check_answer(what, y, truth["y_out"], name="y", of="y_out", context=context)


def forward_cases(hidden):
    """(x, W1, b1, W2, b2, t, output) for the forward and backward checks: a square case first,
    then sizes that differ from each other and between cases; every output once."""
    rng = _rng(hidden, 900)
    shapes = [(3, 3, 3), (6, 4, 2), (2, 5, 3)] if hidden else [(4, 4, 4), (4, 5, 3), (5, 3, 2)]
    outputs = ["sigmoid", "softmax", "identity"] if hidden else ["identity", "sigmoid", "softmax"]
    return [_sample(rng, *s, out) + (out,) for s, out in zip(shapes, outputs)]


def saturated_case(hidden):
    """A network whose hidden and output neurons are saturated: pre-activations near -800 and +800 in
    both layers, where an exp of the wrong sign overflows; softmax output (sigmoid in the hidden half)."""
    rng = _rng(hidden, 905)
    if hidden:
        x = np.array([1.0, -1.0, 0.5])
        W1 = np.array([[400.0, -400.0, 400.0, 200.0, -200.0], [-400.0, 400.0, 400.0, -200.0, 200.0],
                       [0.0, 0.0, 0.0, 400.0, -400.0]])           # u_hidden about 800, -800, 0, 600, -600
    else:
        x = np.array([1.0, -1.0])
        W1 = np.array([[400.0, -400.0, 400.0], [-400.0, 400.0, 400.0]])   # u_hidden about 800, -800, 0
    m = W1.shape[1]
    n = 2 if hidden else 4
    b1 = rng.uniform(-1.0, 1.0, size=m)
    W2 = rng.standard_normal((m, n))
    b2 = np.linspace(-SATURATED, SATURATED, n)
    output = "sigmoid" if hidden else "softmax"
    return x, W1, b1, W2, b2, _target(rng, n, output), output


@EXERCISES.check("forward_loops")
def forward_loops(fn, *, hidden=False):
    what = _name(fn, "forward_loops")
    cases = forward_cases(hidden)
    square, rest = cases[0], cases[1:]
    with _hints(FORWARD_HINTS):
        _check_forward_case(fn, *square[:5], square[6], what)
        for case in rest:
            W1, W2 = case[1], case[3]
            _non_square(lambda case=case: _check_forward_case(fn, *case[:5], case[6], what), what,
                        tr("W1 and W2 are"), tr("W1 of shape {W1_shape} and W2 of shape {W2_shape}",
                                                     W1_shape=W1.shape, W2_shape=W2.shape), hint=2)
        case = saturated_case(hidden)
        u1, _, u2, _ = _net(*case[:5], "identity")
        _saturated(lambda: _check_forward_case(fn, *case[:5], case[6], what), "unstable_activation",
                   tr("{what} fails for a saturated network (u_hidden from {u1_min:.0f} to {u1_max:.0f}, u_out "
                      "from {u2_min:.0f} to {u2_max:.0f}, output={output!r}): an exp overflows. Use the "
                      "notebook's sigmoid and softmax, which are stable for any u.",
                      what=what, u1_min=u1.min(), u1_max=u1.max(), u2_min=u2.min(), u2_max=u2.max(),
                      output=case[6]), hint=3)


# --- 3. the error E ---------------------------------------------------------------------------------

def _loss_mistakes(y, t, output):
    y, t = np.asarray(y, dtype=np.float64), np.asarray(t, dtype=np.float64)
    if output == "softmax":
        return [
            row("cross_entropy_sign", N_("E = -sum_k t_k log y_k: the minus makes E positive "
                                      "(log y_k < 0 for probabilities)."), lambda ev: -_error(y, t, output), hint=3),
            row("binary_cross_entropy", N_("the softmax pair's E is -sum_k t_k log y_k only; the terms "
                                        "(1 - t_k) log(1 - y_k) belong to a sigmoid output per class."),
                lambda ev: -float(np.sum(t * np.log(y) + (1 - t) * np.log(1 - y))), hint=3),
            row("squared_error_for_softmax", N_("with output='softmax' E is the cross-entropy "
                                             "-sum_k t_k log y_k, not the squared error."),
                lambda ev: 0.5 * float(np.sum((y - t) ** 2)), hint=1),
            row("mean_not_sum", N_("E sums over the output neurons k; yours divides by n (a mean)."),
                lambda ev: _error(y, t, output) / len(y), hint=3),
            row("log_base", N_("the cross-entropy uses the natural logarithm, np.log; yours uses np.log10, the "
                            "base-10 one (log10 y = ln y / ln 10, so your E is 0.4343 times the right one)."),
                lambda ev: -float(np.sum(t * np.log10(y))), hint=3),
            row("log_base", N_("the cross-entropy uses the natural logarithm, np.log; yours uses np.log2, the "
                            "base-2 one (log2 y = ln y / ln 2, so your E is 1.443 times the right one)."),
                lambda ev: -float(np.sum(t * np.log2(y))), hint=3),
        ]
    rows = [
        row("missing_half", N_("E = 1/2 sum_k (y_k - t_k)^2: the 1/2 is missing (it is there so that "
                            "dE/dy_k = y_k - t_k, without a 2)."), lambda ev: float(np.sum((y - t) ** 2)), hint=2),
        row("mean_not_sum", N_("E sums over the output neurons k; yours divides by n (a mean)."),
            lambda ev: 0.5 * float(np.mean((y - t) ** 2)), hint=2),
        row("not_squared", N_("E = 1/2 sum_k (y_k - t_k)^2: square each difference."),
            lambda ev: 0.5 * float(np.sum(y - t)), hint=2),
        row("norm_not_squared", N_("E = 1/2 sum_k (y_k - t_k)^2, half the SQUARED distance; yours takes the "
                                "square root (the distance ||y - t|| itself)."),
            lambda ev: float(np.sqrt(np.sum((y - t) ** 2))), hint=2),
        row("norm_not_squared", N_("E = 1/2 sum_k (y_k - t_k)^2, half the SQUARED distance; yours takes the "
                                "square root (half the distance ||y - t||)."),
            lambda ev: 0.5 * float(np.sqrt(np.sum((y - t) ** 2))), hint=2),
        row("squared_before_sum", N_("E = 1/2 sum_k (y_k - t_k)^2 squares each difference, then adds: yours "
                                  "squares the sum of the differences."),
            lambda ev: 0.5 * float(np.sum(y - t)) ** 2, hint=2),
    ]
    if output == "sigmoid":
        rows.append(row("cross_entropy_for_sigmoid", N_("with output='sigmoid' E is the squared error "
                                                     "1/2 sum_k (y_k - t_k)^2; the cross-entropy goes with "
                                                     "output='softmax' only (check the condition of your `if`)."),
                        lambda ev: -float(np.sum(t * np.log(y))), hint=1))
        rows.append(row("cross_entropy_for_sigmoid", N_("with output='sigmoid' E is the squared error "
                                                     "1/2 sum_k (y_k - t_k)^2, not a binary cross-entropy; "
                                                     "the cross-entropy goes with output='softmax' only."),
                        lambda ev: -float(np.sum(t * np.log(y) + (1 - t) * np.log(1 - y))), hint=1))
    return rows


def _log_of_zero(what, exc, output):
    """A log of 0 in the cross-entropy: the outputs y_k of a softmax are never 0, the one-hot targets
    are, so the log was taken of t (y and t swapped, or the terms (1 - t) log(1 - y) of a binary
    cross-entropy at t = 1)."""
    first = str(exc).splitlines()[0]
    if output == "softmax" and exc.key == "warning" and "divide by zero encountered in log" in first:
        raise CheckFailed(tr("{what} (output='softmax'): your code took the log of 0. The softmax outputs y_k are "
                             "never 0, but a one-hot target t has zeros: E = -sum_k t_k log y_k takes the log of y, "
                             "not of t (are y and t swapped?).\n  ({first})",
                             what=what, first=first), key="log_of_target",
                          hint=3) from None


@EXERCISES.check("loss")
def loss(fn, *, hidden=False):
    what = _name(fn, "loss")
    rng = _rng(hidden, 910)
    sizes = {"identity": (4, 2), "sigmoid": (3, 6), "softmax": (5, 3)} if hidden else \
        {"identity": (3, 5), "sigmoid": (4, 2), "softmax": (5, 3)}
    with _hints({"mutated_input": 2, "integer_dtype": 2}):
        for case in range(2):
            for output in OUTPUTS:
                n = sizes[output][case]
                u = rng.uniform(-2.0, 2.0, size=n)
                y, t = _activate(u, output), _target(rng, n, output, integer=case == 1)
                args = [y.copy(), t.copy()]
                try:
                    raw = call(fn, *args, output, what=what)
                except CheckFailed as exc:
                    _log_of_zero(what, exc, output)
                    raise
                _unchanged(what, {"y": args[0], "t": args[1]}, {"y": y, "t": t},
                           tr("E is one number computed from y and t; leave both arrays as they are (y -= t, or "
                              "y[k] = ..., changes the caller's outputs)."))
                try:
                    per_neuron = np.asarray(raw, dtype=np.float64)
                except (TypeError, ValueError):
                    per_neuron = None
                if per_neuron is not None and per_neuron.shape == (n,):
                    raise CheckFailed(tr("{what} (output={output!r}): E is one number, the sum over the {n} "
                                         "output neurons; yours has shape ({n},): add the terms up.",
                                         what=what, output=output, n=n),
                                      key="not_summed", hint=2)
                context = (tr(" (integer targets, n={n}, output={output!r})", n=n, output=output) if case == 1
                           else f" (n={n}, output={output!r})")
                check_answer(what, raw, _error(y, t, output), name="E", of="E",
                             mistakes=_loss_mistakes(y, t, output),
                             context=context)


# --- 4-6. output deltas: one per loss/activation pair -----------------------------------------------

DELTA_HINTS = {"integer_dtype": 3, "mutated_input": 3}
NEW_ARRAY = N_("write the deltas into a new float array (delta = np.zeros(len(y))); `delta = y` makes "
             "delta another name for the array y, so delta[k] = ... writes into y.")


def _check_delta(fn, output, hidden, base, mistakes_of, saturated=None):
    """Two cases of different sizes (the second with integer targets), then ``saturated``:
    (u, t, key, sentence) for a case where the pair's formula must stay finite."""
    what = _name(fn, "delta")
    rng = _rng(hidden, base)
    with _hints(DELTA_HINTS):
        for case, n in enumerate([5, 4] if hidden else [3, 5]):
            u = rng.uniform(-2.5, 2.5, size=n)
            t = _target(rng, n, output, integer=case == 1)
            y = _activate(u, output)
            args = [u.copy(), y.copy(), t.copy()]
            call(fn, *args, what=what)
            _unchanged(what, dict(zip("uyt", args)), dict(zip("uyt", (u, y, t))), tr(NEW_ARRAY), hint=3)

            def E(v, t=t):
                return _error(_activate(v, output), t, output)

            def learner(v, t=t):
                return fn(v.copy(), _activate(v, output), t.copy())
            learner.__name__ = what
            check_grad(E, learner, u, name="delta", mistakes=mistakes_of(t), quiet=True)
        if saturated is not None:
            u, t, key, sentence = saturated
            y = _activate(u, output)

            def run():
                raw = call(fn, u.copy(), y.copy(), t.copy(), what=what)
                check_answer(what, raw, _delta_out(u, t, output), name="delta", of="u",
                             mistakes=mistakes_of(t), context=tr(" at u = {u}", u=np.array2string(u, precision=1)))
            _saturated(run, key, sentence, hint=3)


SIGN = N_("the sign of (y_k - t_k) is flipped: E grows when y_k moves away from t_k, so dE/dy_k = y_k - t_k.")


def _factor_slips(a, y, t=None, first="dE/dy"):
    """The usual slips in writing delta = a * y (1 - y), a sigmoid's delta from the gradient ``a`` of
    its output (``first`` says what a is): (key, sentence, wrong delta).  With ``t``: the target
    written where an output belongs."""
    slips = [
        ("tanh_derivative", tr("delta = {first} * y (1 - y), the sigmoid's derivative written with its output y; "
                               "yours has 1 - y^2, the derivative of tanh (1 - tanh^2).", first=first),
         a * (1 - y * y)),
        ("added_not_multiplied", tr("delta = {first} * y (1 - y), the sigmoid's derivative written with its "
                                    "output y: the chain rule MULTIPLIES the two factors; yours adds them, "
                                    "{first} + y (1 - y).", first=first), a + y * (1 - y)),
        ("precedence", tr("delta = {first} * y (1 - y), the sigmoid's derivative written with its output y; yours "
                          "computes {first} * y - y**2: without parentheses, * comes before -, so only the first "
                          "term is multiplied by {first}. Write {first} * (y - y**2) or {first} * y * (1 - y).",
                          first=first), a * y - y ** 2),
        ("precedence", tr("delta = {first} * y (1 - y), the sigmoid's derivative written with its output y; yours "
                          "computes {first} * y * 1 - y: without parentheses, * comes before -. "
                          "Write {first} * y * (1 - y).", first=first), a * y - y),
    ]
    if t is not None:
        slips += [
            ("target_in_derivative", tr("delta = {first} * y (1 - y), the sigmoid's derivative written with its "
                                        "output y only; yours puts the target t where an output y belongs: "
                                        "{form}.", first=first, form=form), a * value)
            for form, value in (("(y - t) * y * (1 - t)", y * (1 - t)), ("(y - t) * t * (1 - y)", t * (1 - y)),
                                ("(y - t) * t * (1 - t)", t * (1 - t)))]
        slips.append(("precedence", tr("delta = {first} * y (1 - y), the sigmoid's derivative written with its "
                                       "output y; yours computes y - t * y * (1 - y): without parentheses, * "
                                       "comes before -, so only t is multiplied. Write (y - t) * y * (1 - y).",
                                       first=first), y - t * y * (1 - y)))
    return slips


def _y(ev, output):
    return _activate(ev.inputs[0], output)


@EXERCISES.check("delta_identity_mse")
def delta_identity_mse(fn, *, hidden=False):
    def mistakes(t):
        y = lambda ev: _y(ev, "identity")  # noqa: E731
        return [
            row("sign_of_error_flipped", SIGN, lambda ev: t - y(ev), hint=2),
            row("missing_half_cancel", N_("d/dy_k of 1/2 (y_k - t_k)^2 is y_k - t_k: the 2 of the square "
                                       "cancels the 1/2."), lambda ev: 2 * (y(ev) - t), hint=2),
            row("identity_has_derivative_1", N_("the identity output y_k = u_k has dy_k/du_k = 1: "
                                             "delta_k = y_k - t_k, with no y_k (1 - y_k)."),
                lambda ev: (y(ev) - t) * y(ev) * (1 - y(ev)), hint=2),
            row("identity_has_derivative_1", N_("the identity output y_k = u_k has dy_k/du_k = 1: "
                                             "delta_k = y_k - t_k, with no sigma'(u_k)."),
                lambda ev: (y(ev) - t) * _dsigmoid(ev.inputs[0]), hint=2),
            row("error_not_delta", N_("delta_k is the derivative dE/du_k, not the error "
                                   "1/2 (y_k - t_k)^2 itself."), lambda ev: 0.5 * (y(ev) - t) ** 2, hint=1),
            row("missing_target", N_("delta_k = y_k - t_k: the target is missing (yours is y_k alone)."),
                lambda ev: y(ev), hint=2),
        ]
    _check_delta(fn, "identity", hidden, 920, mistakes)


@EXERCISES.check("delta_sigmoid_mse")
def delta_sigmoid_mse(fn, *, hidden=False):
    def mistakes(t):
        y = lambda ev: _y(ev, "sigmoid")  # noqa: E731
        return [
            row("sigmoid_pair_without_derivative", N_("with a sigmoid output, delta_k = (y_k - t_k) * "
                                                   "y_k (1 - y_k): the factor dy_k/du_k = y_k (1 - y_k) is "
                                                   "missing (y_k - t_k alone is the identity pair's delta)."),
                lambda ev: y(ev) - t, hint=1),
            row("derivative_at_output", N_("sigma' must be taken at u_k: sigma'(u_k) = y_k (1 - y_k). Yours "
                                        "is sigma'(y_k) = sigma(y_k)(1 - sigma(y_k)), the derivative at the "
                                        "output."), lambda ev: (y(ev) - t) * _dsigmoid(y(ev)), hint=2),
            row("u_as_y", N_("sigma'(u_k) = y_k (1 - y_k) with the OUTPUT y_k = sigma(u_k); yours is "
                          "u_k (1 - u_k): the pre-activation went where the output belongs."),
                lambda ev: (y(ev) - t) * ev.inputs[0] * (1 - ev.inputs[0]), hint=2),
            row("sign_of_error_flipped", SIGN, lambda ev: (t - y(ev)) * y(ev) * (1 - y(ev)), hint=1),
            row("missing_one_minus", N_("sigma'(u_k) = y_k (1 - y_k); yours multiplies by y_k alone."),
                lambda ev: (y(ev) - t) * y(ev), hint=2),
            row("missing_one_minus", N_("sigma'(u_k) = y_k (1 - y_k); yours multiplies by (1 - y_k) alone."),
                lambda ev: (y(ev) - t) * (1 - y(ev)), hint=2),
            row("missing_target", N_("delta_k = (y_k - t_k) y_k (1 - y_k): the target is missing from the first "
                                  "factor (yours is y_k * y_k (1 - y_k))."), lambda ev: y(ev) * y(ev) * (1 - y(ev)),
                hint=1),
        ] + [row(key, says, lambda ev, k=k: _factor_slips(y(ev) - t, y(ev), t, "(y - t)")[k][2],
                 hint={"tanh_derivative": 2, "target_in_derivative": 2}.get(key, 3))
             for k, (key, says, _) in enumerate(_factor_slips(np.zeros(1), np.zeros(1), np.zeros(1), "(y - t)"))]
    rng = _rng(hidden, 935)
    u = np.array([-SATURATED, 2.0, SATURATED, -0.5, 1.5]) if hidden else np.array([SATURATED, -1.0, -SATURATED])
    saturated = (u, _target(rng, len(u), "sigmoid"), "unstable_sigmoid",
                 tr("delta_sigmoid_mse fails for saturated output neurons (u_k = -800 or 800): an exp of the "
                    "wrong sign overflows. Write sigma'(u_k) with the given output, y_k (1 - y_k), which is "
                    "finite for any u."))
    _check_delta(fn, "sigmoid", hidden, 930, mistakes, saturated)


@EXERCISES.check("delta_softmax_ce")
def delta_softmax_ce(fn, *, hidden=False):
    def mistakes(t):
        y = lambda ev: _y(ev, "softmax")  # noqa: E731
        return [
            row("softmax_as_elementwise", N_("softmax treated as elementwise: y_k depends on every u_r, so "
                                             "delta_k = sum_r dE/dy_r * dy_r/du_k, with the full Jacobian "
                                             "dy_r/du_k = y_r (1[r = k] - y_k). You used only its diagonal "
                                             "y_k (1 - y_k). The sum collapses to delta_k = y_k - t_k."),
                lambda ev: -t * (1 - y(ev)), hint=2),
            row("softmax_as_elementwise", N_("softmax treated as elementwise: y_k depends on every u_r, so "
                                             "delta_k = sum_r dE/dy_r * dy_r/du_k, with the full Jacobian "
                                             "dy_r/du_k = y_r (1[r = k] - y_k). Yours is the sigmoid pair's "
                                             "formula (y_k - t_k) y_k (1 - y_k). The sum collapses to "
                                             "delta_k = y_k - t_k."),
                lambda ev: (y(ev) - t) * y(ev) * (1 - y(ev)), hint=2),
            row("missing_softmax_jacobian", N_("dE/dy_k = -t_k / y_k is only the first factor: multiply by "
                                            "the softmax Jacobian and sum over r, which gives y_k - t_k."),
                lambda ev: -t / y(ev), hint=2),
            row("jacobian_index_slip", N_("dy_r/du_k = y_r (1[r = k] - y_k): the probability subtracted is "
                                       "y_k, that of the neuron k you differentiate by; yours subtracts y_r "
                                       "(inside the sum over r the two letters are easy to swap)."),
                lambda ev: float(np.sum(t * y(ev))) - t, hint=2),
            row("sign_of_error_flipped", N_("the sign of (y_k - t_k) is flipped: E grows when y_k moves away "
                                            "from t_k, so delta_k = y_k - t_k."),
                lambda ev: t - y(ev), hint=3),
            row("target_ignored", N_("delta_k = y_k - t_k with the one-hot target t: only the true class gets the "
                                  "-1 (t_k = 1 there, 0 elsewhere); yours subtracts 1 from every entry, y_k - 1."),
                lambda ev: y(ev) - 1.0, hint=3),
            row("target_ignored", N_("delta_k = y_k - t_k: the -t_k is missing (yours is y_k alone); with the "
                                  "one-hot t only the true class's delta changes."), lambda ev: y(ev), hint=3),
        ]
    rng = _rng(hidden, 945)
    n = 4 if hidden else 3
    c = int(rng.integers(n))
    u = rng.uniform(-1.0, 1.0, size=n)
    u[c] = -SATURATED                    # the true class: y_c underflows to 0 in float64
    saturated = (u, np.eye(n)[c], "unstable_double_loop",
                 tr("delta_softmax_ce fails where the network gives the true class a probability that "
                    "underflows to 0 (y_c = 0 in float64): the derivation's double loop divides -t_c / y_c "
                    "by 0. Hand in the collapsed form y_k - t_k, which is finite for any u."))
    _check_delta(fn, "softmax", hidden, 940, mistakes, saturated)


# --- 7. one layer's weights, bias and the gradient sent back ------------------------------------------

LAYER_LABELS = {"dW": [(N_("input neuron"), "j", "m"), (N_("neuron"), "k", "n")], "db": [(N_("neuron"), "k", "n")],
                "dy_in": [(N_("input neuron"), "j", "m")]}
LAYER_HINTS = {"integer_dtype": 3}


def _layer_sizes(ev):
    W = ev.inputs[1]
    return {"m": W.shape[0], "n": W.shape[1]}


def _layer_mistakes():
    y_in = lambda ev: ev.inputs[0]  # noqa: E731
    W = lambda ev: ev.inputs[1]  # noqa: E731
    return [
        row("transposed_weight_index", N_("dy_in[j] = sum_r delta_r w_jr uses W[j, r] (row j: the weights "
                                       "leaving neuron j); yours uses W[r, j], the transposed index."),
            lambda ev: ev.dout @ W(ev) if _square(W(ev)) else _never(), grads="dy_in", hint=2),
        row("missing_sum_over_next_layer", N_("dy_in[j] = sum_r delta_r w_jr sums over ALL n neurons r of the "
                                              "layer: neuron j feeds every one of them. Yours uses only r = n - 1, "
                                              "the last one: `=` overwrote what `+=` should have added over r in "
                                              "range(n)."),
            lambda ev: ev.dout[-1] * W(ev)[:, -1], grads="dy_in", hint=3),
        row("missing_sum_over_next_layer", N_("dy_in[j] = sum_r delta_r w_jr sums over ALL n neurons r of the "
                                              "layer: neuron j feeds every one of them. Yours uses only r = 0; "
                                              "accumulate with += over r in range(n)."),
            lambda ev: ev.dout[0] * W(ev)[:, 0], grads="dy_in", hint=2),
        row("missing_sum_over_next_layer", N_("dy_in[j] = sum_r delta_r w_jr sums over ALL n neurons r of the "
                                              "layer: neuron j feeds every one of them. Yours uses only r = j; "
                                              "accumulate with += over r in range(n)."),
            lambda ev: ev.dout * np.diag(W(ev)) if _square(W(ev)) else _never(), grads="dy_in", hint=2),
        row("missing_weight", N_("du_r/dy_j = w_jr: each delta_r is multiplied by the weight w_jr "
                              "before summing."), lambda ev: np.full(W(ev).shape[0], ev.dout.sum()),
            grads="dy_in", hint=2),
        row("bias_gradient_includes_input", N_("db_k = delta_k: du_k/db_k = 1, so no y_j enters db. Yours "
                                            "is y_j delta_k for the last j (the bias is not on any "
                                            "input's edge)."), lambda ev: y_in(ev)[-1] * ev.dout, grads="db",
            hint=2),
        row("bias_gradient_includes_input", N_("db_k = delta_k: du_k/db_k = 1, so no y_j enters db. Yours "
                                            "adds y_j delta_k over j."), lambda ev: y_in(ev).sum() * ev.dout,
            grads="db", hint=2),
        row("bias_gradient_includes_input", N_("db_k = delta_k: du_k/db_k = 1, so no y enters db. Yours is "
                                            "y_k delta_k, with an input's value (and another layer's index)."),
            lambda ev: y_in(ev)[:ev.dout.size] * ev.dout if y_in(ev).size >= ev.dout.size else _never(),
            grads="db", hint=2),
        row("dW_missing_input", N_("dw_jk = y_j delta_k: the input y_j on the weight's edge is missing."),
            lambda ev: np.tile(ev.dout, (W(ev).shape[0], 1)), grads="dW", hint=2),
        row("dW_indices_swapped", N_("dw_jk = y_j delta_k: the input of the weight's row j times the delta "
                                  "of its column k; yours is y_k delta_j (k and j swapped: seed 003's "
                                  "margin note, k임 j아님)."),
            lambda ev: np.outer(ev.dout, y_in(ev)) if _square(W(ev)) else _never(), grads="dW", hint=1),
    ] + _loop_rows(LAYER_LABELS, _layer_sizes, hint=3)


def _layer_case(fn, y_in, W, b, seed, what, integer=False):
    """``integer``: the cache holds y_in as an integer array (an input x of whole numbers)."""
    def layer_forward(y_in, W, b):
        kept = y_in.astype(np.int64) if integer and np.array_equal(y_in, np.round(y_in)) else y_in.copy()
        return y_in @ W + b, (kept, W.copy())

    def backward(dout, cache):
        return fn(dout, cache[0], cache[1])
    backward.__name__ = what

    delta = np.linspace(-1.0, 1.0, W.shape[1])
    probe = call(fn, delta, y_in.copy(), W.copy(), what=what)
    _check_order(probe, [("dy_in", y_in.shape), ("dW", W.shape), ("db", b.shape)], what)
    if isinstance(probe, (tuple, list)) and len(probe) == 3:
        _shared_arrays(what, dict(zip(("dy_in", "dW", "db"), probe)),
                       {"dy_in": W @ delta, "dW": np.outer(y_in, delta), "db": delta}, hint=3)
    check_layer(layer_forward, backward, y_in, W, b, names=["y_in", "W", "b"],
                mistakes=_layer_mistakes(), seed=seed, quiet=True)


@EXERCISES.check("layer_backward")
def layer_backward(fn, *, hidden=False):
    what = _name(fn, "layer_backward")
    rng = _rng(hidden, 950)
    shapes = [(3, 3), (3, 5), (6, 2)] if hidden else [(4, 4), (5, 3), (2, 6)]

    def case(shape, k):
        if k == len(shapes) - 1:
            y_in = rng.integers(1, 4, size=shape[0]) * rng.choice([-1, 1], size=shape[0])  # whole numbers
        else:
            y_in = rng.uniform(0.05, 0.95, size=shape[0])      # a sigmoid layer's outputs
        return (y_in.astype(np.float64), rng.standard_normal(shape), 0.5 * rng.standard_normal(shape[1]),
                (41 if hidden else 40) + k)

    with _hints(LAYER_HINTS):
        _layer_case(fn, *case(shapes[0], 0), what)
        for k, shape in enumerate(shapes[1:], start=1):
            args = case(shape, k)
            integer = k == len(shapes) - 1
            _non_square(lambda args=args, integer=integer: _layer_case(fn, *args, what, integer=integer), what,
                        tr("W is"), tr("W of shape {shape} (m = {m} inputs j, n = {n} neurons k)", shape=shape,
                                         m=shape[0], n=shape[1]), hint=3)


# --- 8. the hidden delta --------------------------------------------------------------------------

HIDDEN_HINTS = {"mutated_input": 3, "mutated_cache": 3}


def _hidden_delta_mistakes():
    s = lambda ev: _sigmoid(ev.inputs[0])  # noqa: E731
    return [
        row("missing_activation_derivative", N_("delta_j = dy_j * dy_j/du_j: the sigmoid's derivative "
                                             "y_j (1 - y_j) is missing."), lambda ev: ev.dout, hint=1),
        row("derivative_at_output", N_("sigma' must be taken at u_j, the neuron's input: sigma'(u_j) = "
                                    "y_j (1 - y_j). Yours is sigma'(y_j) = sigma(y_j)(1 - sigma(y_j)), "
                                    "the derivative evaluated at the output."),
            lambda ev: ev.dout * _dsigmoid(s(ev)), hint=2),
        row("u_as_y", N_("sigma'(u_j) = y_j (1 - y_j) with the OUTPUT y_j = sigma(u_j); yours is "
                      "u_j (1 - u_j): the pre-activation went where the output belongs (the arguments "
                      "are hidden_delta(dy, u, y))."), lambda ev: ev.dout * ev.inputs[0] * (1 - ev.inputs[0]),
            hint=2),
        row("missing_one_minus", N_("dy_j/du_j = sigma'(u_j) = y_j (1 - y_j); yours multiplies by y_j = "
                                 "sigma(u_j) alone (the sigmoid, not its derivative)."), lambda ev: ev.dout * s(ev),
            hint=2),
        row("missing_one_minus", N_("sigma'(u_j) = y_j (1 - y_j); yours multiplies by (1 - y_j) alone."),
            lambda ev: ev.dout * (1 - s(ev)), hint=2),
        row("dy_summed_again", N_("delta_j = dy_j * y_j (1 - y_j), entry by entry: dy_j already holds the sum over "
                               "the next layer's neurons (layer_backward added it up); yours multiplies by "
                               "sum(dy), a second sum, over the hidden neurons j."),
            lambda ev: np.sum(ev.dout) * _dsigmoid(ev.inputs[0]), hint=1),
    ] + [row(key, says, lambda ev, k=k: _factor_slips(ev.dout, s(ev), first="dy")[k][2],
             hint={"tanh_derivative": 2}.get(key, 3))
         for k, (key, says, _) in enumerate(_factor_slips(np.zeros(1), np.zeros(1), first="dy"))]


@EXERCISES.check("hidden_delta")
def hidden_delta(fn, *, hidden=False):
    what = _name(fn, "hidden_delta")
    rng = _rng(hidden, 960)

    def sigmoid_layer(u):
        y = _sigmoid(u)
        return y, (u.copy(), y.copy())

    def backward(dout, cache):
        return fn(dout, cache[0], cache[1])
    backward.__name__ = what
    sizes = [6, 4] if hidden else [5, 3]
    with _hints(HIDDEN_HINTS):
        for k, m in enumerate(sizes):
            u = rng.uniform(-3.0, 3.0, size=m)
            check_layer(sigmoid_layer, backward, u, names=["u"], mistakes=_hidden_delta_mistakes(),
                        seed=(43 if hidden else 42) + 2 * k, quiet=True)
        u = np.array([SATURATED, -1.3, -SATURATED, 0.4]) if hidden else np.array([-SATURATED, 0.7, SATURATED])
        _saturated(lambda: check_layer(sigmoid_layer, backward, u, names=["u"],
                                       mistakes=_hidden_delta_mistakes(), seed=47 if hidden else 46,
                                       quiet=True),
                   "unstable_sigmoid_derivative",
                   tr("{what} fails for saturated hidden neurons (u_j = -800 or 800): an exp of the wrong sign "
                      "overflows in sigma'(u_j). Write it with the given output, y_j (1 - y_j), or the "
                      "notebook's sigmoid_derivative(u_j): both are finite for any u.",
                      what=what), hint=3)


# --- 9. the whole backward pass -------------------------------------------------------------------

NET_LABELS = {"dx": [(N_("input"), "i", "l")], "dW1": [(N_("input"), "i", "l"), (N_("hidden neuron"), "j", "m")],
              "db1": [(N_("hidden neuron"), "j", "m")],
              "dW2": [(N_("hidden neuron"), "j", "m"), (N_("output neuron"), "k", "n")],
              "db2": [(N_("output neuron"), "k", "n")]}
BACKWARD_HINTS = {}


def _net_sizes(ev):
    W1, W2 = ev.inputs[1], ev.inputs[3]
    return {"l": W1.shape[0], "m": W1.shape[1], "n": W2.shape[1]}


def _variant_row(key, sentence, variant, grads, hint=None, output="identity"):
    def wrong(ev):
        ref = _backprop(*ev.inputs, ev.dout, variant=variant, output=output)
        return _never() if ref is None else ref[ev.name]
    return row(key, sentence, wrong, grads=grads, hint=hint)


def _network_mistakes(output):
    hidden_grads = ("dx", "dW1", "db1")
    rows = [
        _variant_row("used_u_not_y", N_("the output layer's input is the hidden OUTPUT y_j = sigma(u_j): "
                                     "dw_jk = y_j delta_k, not u_j delta_k."), "u_as_input", "dW2", hint=2),
        _variant_row("wrong_layer_input", N_("the output layer's input is the hidden output y_j, not x: "
                                          "dw_jk = y_j delta_k."), "x_as_input", "dW2", hint=2),
        _variant_row("wrong_layer_input", N_("the hidden layer's input is x: dw_ij = x_i delta_j, so "
                                          "layer_backward(delta_hidden, cache[\"x\"], cache[\"W1\"]); yours "
                                          "passes the hidden OUTPUT y_hidden as that layer's input."),
                     "y_as_hidden_input", "dW1", hint=2),
        _variant_row("wrong_layer_input", N_("the hidden layer's input is x: dw_ij = x_i delta_j, so "
                                          "layer_backward(delta_hidden, cache[\"x\"], cache[\"W1\"]); yours "
                                          "passes the hidden pre-activation u_hidden as that layer's input."),
                     "u_as_hidden_input", "dW1", hint=2),
        _variant_row("wrong_layer_cache", N_("hidden_delta takes the HIDDEN layer's cached arrays, "
                                          "cache[\"u_hidden\"] and cache[\"y_hidden\"]; yours passes the output "
                                          "layer's u_out and y_out."), "output_layer_cache", hidden_grads, hint=2,
                     output=output),
        _variant_row("wrong_layer_cache", N_("hidden_delta takes the HIDDEN layer's cached arrays, "
                                          "cache[\"u_hidden\"] and cache[\"y_hidden\"]; yours passes the output "
                                          "layer's u_out and y_out."), "output_layer_cache_u", hidden_grads, hint=2),
        _variant_row("wrong_weights", N_("the hidden layer's gradients use its own weights: "
                                      "layer_backward(delta_hidden, cache[\"x\"], cache[\"W1\"]); yours passes W2, "
                                      "the output layer's."), "W2_for_W1", ("dx",), hint=2),
        _variant_row("wrong_upstream", N_("hidden_delta takes dy_hidden, the gradient the output layer sent "
                                       "back (dy_j = sum_r delta_r w_jr, the first result of layer_backward), "
                                       "not delta_out itself."), "delta_out_as_dy", hidden_grads, hint=3),
        _variant_row("missing_activation_derivative", N_("the hidden delta is delta_j = dy_j * sigma'(u_j): "
                                                      "the sigmoid's derivative is missing (was hidden_delta "
                                                      "skipped?)."), "no_derivative", hidden_grads, hint=1),
        _variant_row("derivative_at_output", N_("sigma' must be taken at u_j: sigma'(u_j) = y_j (1 - y_j). "
                                             "Yours is sigma'(y_j), the derivative at the output."),
                     "derivative_at_output", hidden_grads),
        _variant_row("u_as_y", N_("sigma'(u_j) = y_j (1 - y_j) with the OUTPUT y_j = sigma(u_j); yours is "
                               "u_j (1 - u_j): the pre-activation went where the output belongs (check the "
                               "order of the arguments of hidden_delta(dy, u, y))."), "u_as_y", hidden_grads,
                     hint=2),
    ]
    if output != "identity":
        rows.append(_variant_row(
            "output_derivative_twice",
            tr("backward_loops receives delta_out = dE/du_k, which already holds the output "
               "activation's derivative (section 4); for output={output!r} yours multiplies it by y_k "
               "(1 - y_k) once more.",
               output=output),
            "output_derivative_twice", ("dx", "dW1", "db1", "dW2", "db2"), hint=3, output=output))
    return rows + _loop_rows(NET_LABELS, _net_sizes)


def _u_out_forward(forward, output, what):
    """The learner's forward pass seen from its cached u_out: delta_out = dE/du_out is the upstream
    gradient of u_out for every output pair, so finite differences of <u_out, dout> judge backward."""
    def post(result):
        return result[1]["u_out"], result[1]
    return through(forward, lambda x, W1, b1, W2, b2: ((x, W1, b1, W2, b2, output), {}), post, what)


def _forward_is_right(forward, case, what):
    try:
        _check_forward_case(forward, *case[:5], case[6], what)
    except CheckFailed as exc:
        if exc.key == "not_implemented":
            raise
        raise CheckFailed(tr("{what} does not compute the right values yet, and this check differentiates it: fix "
                             "Exercise 2 first.\n  ({error})",
                             what=what, error=str(exc).splitlines()[0]), key="forward_wrong") from None


def _backward_case(forward, backward, case, seed, fwd_name):
    _forward_is_right(forward, case, fwd_name)
    x, W1, b1, W2, b2 = case[:5]
    output = case[6]
    _, cache = call(forward, *[a.copy() for a in case[:5]], output, what=fwd_name)
    probe = call(backward, np.linspace(-1.0, 1.0, W2.shape[1]), cache, what=_name(backward, "backward_loops"))
    _check_order(probe, [("dx", x.shape), ("dW1", W1.shape), ("db1", b1.shape), ("dW2", W2.shape),
                         ("db2", b2.shape)], _name(backward, "backward_loops"))

    def reference(x, W1, b1, W2, b2):
        return _net(x, W1, b1, W2, b2, output)[2]
    check_layer(_u_out_forward(forward, output, fwd_name), backward, *case[:5],
                names=["x", "W1", "b1", "W2", "b2"], mistakes=_network_mistakes(output), seed=seed, quiet=True,
                reference=reference)


@EXERCISES.check("backward_loops", uses=("forward_loops", "layer_backward", "hidden_delta"))
def backward_loops(forward, backward, *, hidden=False):
    fwd, bwd = _name(forward, "forward_loops"), _name(backward, "backward_loops")
    cases = forward_cases(hidden)
    base = 45 if hidden else 44
    with _hints(BACKWARD_HINTS):
        _backward_case(forward, backward, cases[0], base, fwd)
        for k, case in enumerate(cases[1:], start=1):
            W1, W2 = case[1], case[3]
            _non_square(lambda case=case, k=k: _backward_case(forward, backward, case, base + 10 * k, fwd),
                        bwd, tr("W1 and W2 are"), tr("W1 of shape {W1_shape} and W2 of shape {W2_shape}",
                                                     W1_shape=W1.shape, W2_shape=W2.shape))


# --- 10. a batch ----------------------------------------------------------------------------------

BATCH_HINTS = {"scaled_N": 2, "mutated_input": 2, "integer_dtype": 2}


def _sample_grads(x, t, W1, b1, W2, b2, output):
    u1, y1, u2, y2 = _net(x, W1, b1, W2, b2, output)
    ref = _backprop(x, W1, b1, W2, b2, _delta_out(u2, t, output))
    return [ref["dW1"], ref["db1"], ref["dW2"], ref["db2"]]


def _batch_mistakes(X, T, output):
    N, l = X.shape
    slot = {"dW1": 0, "db1": 1, "dW2": 2, "db2": 3}

    def last_sample(scale):
        def wrong(ev):
            return ev.dout * scale * _sample_grads(X[-1], T[-1], *ev.inputs, output)[slot[ev.name]]
        return wrong

    def first_samples(count):
        def wrong(ev):
            total = sum(_sample_grads(X[s], T[s], *ev.inputs, output)[slot[ev.name]] for s in range(count))
            return ev.dout * total / count
        return wrong

    says = tr("only the last sample's gradient survived: inside the loop over samples s, add each "
              "sample's gradient (dW += ...), do not overwrite it (dW = ...); then divide by N = {N}.", N=N)
    rows = [row("not_accumulated", says, last_sample(1.0), hint=2),
            row("not_accumulated", says, last_sample(1.0 / N), hint=2)]
    if l < N:
        rows.append(row("sample_loop_bound", tr("the loop over samples ran over range({l}), the number of inputs "
                                                "l = X.shape[1], instead of range(N) with N = X.shape[0] = {N}, "
                                                "the number of rows (one sample per row).",
                                                l=l, N=N),
                        first_samples(l), hint=1))
    if output == "sigmoid":
        def identity_delta(ev):
            total = 0.0
            for x, t in zip(X, T):
                u1, y1, u2, y2 = _net(x, *ev.inputs, output)
                total = total + _backprop(x, *ev.inputs, y2 - t)[ev.name]
            return ev.dout * total / N
        rows.append(row("delta_ignores_pair", N_("with output='sigmoid' the output delta is (y_k - t_k) y_k "
                                                 "(1 - y_k), not y_k - t_k: take it from OUTPUT_DELTA[output]."),
                        identity_delta,
                        hint=1))
    return rows


def _batch_case(fn, X, T, params, output, seed, what):
    N, l = X.shape

    def batch_loss(W1, b1, W2, b2):
        # The course's own forward pass and error, which the learner's L has just matched: finite
        # differences of them need no call of the learner's code (thousands of calls otherwise,
        # each a round trip to the learner's process in trusted grading).  All N rows at once.
        return _batch_error(X, T, W1, b1, W2, b2, output), None
    batch_loss.__name__ = tr("the batch's mean loss")

    given = [X.copy(), T.copy()] + [p.copy() for p in params]
    try:
        result = call(fn, *given, output, what=what)
    except CheckFailed as exc:
        first = str(exc).splitlines()[0]
        if exc.key == "exception" and "IndexError" in first and l > N:
            raise CheckFailed(tr("{what} raised IndexError for N = {N} samples of l = {l} inputs ({first}): does "
                                 "the loop over samples run over range(X.shape[1]) = range({l})? N is X.shape[0] "
                                 "= {N}, the number of rows (one sample per row).",
                                 what=what, N=N, l=l, first=first),
                              key="sample_loop_bound", hint=1) from None
        raise
    _unchanged(what, dict(zip(["X", "targets", "W1", "b1", "W2", "b2"], given)),
               dict(zip(["X", "targets", "W1", "b1", "W2", "b2"], [X, T] + list(params))),
               tr("the gradients go into new arrays (dW1 = np.zeros_like(W1), ...); the inputs and the "
                  "parameters must come back as they were given."))
    if not isinstance(result, (tuple, list)) or len(result) != 5:
        raise CheckFailed(tr("{what} must return (L, dW1, db1, dW2, db2), a tuple of 5.",
                             what=what), key="bad_return")
    errors = [_error(_net(X[s], *params, output)[3], T[s], output) for s in range(N)]
    truth_L = float(np.mean(errors))
    _loop_never_ran(what, result, truth_L, N)
    L_rows = [
        row("L_summed", tr("L is the MEAN of the per-sample errors E over the batch: divide the sum by N = {N}.",
                           N=N),
            lambda ev: N * truth_L, hint=2),
        row("not_accumulated", N_("L is the mean over ALL samples: add each sample's E inside the loop "
                               "(L += ...), then divide by N."), lambda ev: errors[-1] / N, hint=2),
        row("not_accumulated", N_("L is the mean over ALL samples: add each sample's E inside the loop "
                               "(L += ...), then divide by N."), lambda ev: errors[-1], hint=2),
    ]
    if l < N:
        L_rows.append(row("sample_loop_bound", tr("L is the mean over all N = X.shape[0] = {N} samples (the "
                                                  "rows); yours averages the first l = X.shape[1] = {l} only.",
                                                  N=N, l=l),
                          lambda ev: float(np.mean(errors[:l])), hint=1))
    L_rows.append(row("divided_by_wrong_size", tr("L is the sum of the per-sample errors divided by N = "
                                                  "X.shape[0] = {N}, the number of samples; yours divides by l = "
                                                  "X.shape[1] = {l}.",
                                                  N=N, l=l), lambda ev: N * truth_L / l, hint=1))
    context = (tr(" (N={N}, output={output!r}, one-hot targets as integers)", N=N, output=output)
               if np.issubdtype(T.dtype, np.integer) else f" (N={N}, output={output!r})")
    check_answer(what, result[0], truth_L, name="L", of="L", context=context,
                 mistakes=L_rows)

    def backward(dL, cache):
        scaled = []
        for g in result[1:]:
            try:
                scaled.append(None if g is None else dL * np.asarray(g, dtype=np.float64))
            except (TypeError, ValueError):
                scaled.append(g)                       # not numbers: the catalog says so
        return tuple(scaled)
    backward.__name__ = what
    check_layer(batch_loss, backward, *params, names=["W1", "b1", "W2", "b2"], batch=N,
                mistakes=_batch_mistakes(X, T, output) + _loop_rows({k: v for k, v in NET_LABELS.items()
                                                                    if k != "dx"}, _net_sizes_of(params)),
                seed=seed, quiet=True)


def _loop_never_ran(what, result, truth_L, N):
    """L and every gradient 0 (the running totals as they started) where the mean error is not: the
    loop over the samples ran zero times."""
    try:
        nothing = all(not np.any(np.asarray(v, dtype=np.float64)) for v in result)
    except (TypeError, ValueError):
        return
    if nothing and truth_L != 0.0:
        raise CheckFailed(tr("{what} (N={N}): L and every gradient are 0, as the running totals started, though the "
                             "batch's mean error is {truth_L:.4g}: the loop over the samples never ran. Does it "
                             "iterate over something already used up (len(list(samples)) consumes a zip or a "
                             "generator, and a second loop over it sees nothing) or over an empty range? Loop over "
                             "range(N), N = X.shape[0].",
                             what=what, N=N, truth_L=truth_L), key="loop_never_ran", hint=3)


def _batch_error(X, T, W1, b1, W2, b2, output):
    """L = (1/N) sum_s E_s for the rows of X and T, the course's forward pass on all rows at once."""
    U = _sigmoid(X @ W1 + b1) @ W2 + b2
    T = np.asarray(T, dtype=np.float64)
    if output == "softmax":
        shifted = U - U.max(axis=1, keepdims=True)
        log_y = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(np.mean(-np.sum(T * log_y, axis=1)))
    Y = _sigmoid(U) if output == "sigmoid" else U
    return float(np.mean(0.5 * np.sum((Y - T) ** 2, axis=1)))


def _net_sizes_of(params):
    sizes = {"l": params[0].shape[0], "m": params[0].shape[1], "n": params[2].shape[1]}
    return lambda ev: sizes


BATCH_CASES = {   # (output, N, l, m, n): N differs between cases, no two sizes equal within one
    False: [("identity", 3, 4, 5, 2), ("sigmoid", 5, 3, 4, 2), ("softmax", 2, 5, 3, 4)],
    True: [("sigmoid", 3, 5, 4, 2), ("softmax", 4, 2, 3, 5), ("identity", 2, 3, 5, 4)],
}


@EXERCISES.check("batch_gradients", uses=("forward_loops", "loss", "delta_identity_mse", "delta_sigmoid_mse",
                                          "delta_softmax_ce", "backward_loops"))
def batch_gradients(forward, loss_fn, fn, *, hidden=False):
    """``fn(X, targets, W1, b1, W2, b2, output) -> (L, dW1, db1, dW2, db2)``: L against the course's
    own forward pass and error, then the gradients against finite differences of that loss.  The
    learner's ``forward`` and ``loss_fn``, which ``fn`` builds on, are called once each first, so
    that a stub among them is named as such; their values are checked by their own exercises."""
    fwd, lname, what = _name(forward, "forward_loops"), _name(loss_fn, "loss"), _name(fn, "batch_gradients")
    rng = _rng(hidden, 970)
    with _hints(BATCH_HINTS):
        for k, (output, N, l, m, n) in enumerate(BATCH_CASES[hidden]):
            X = rng.uniform(-1.5, 1.5, size=(N, l))
            T = np.stack([_target(rng, n, output, integer=output == "softmax") for _ in range(N)])
            params = [rng.standard_normal((l, m)), 0.5 * rng.standard_normal(m),
                      rng.standard_normal((m, n)), 0.5 * rng.standard_normal(n)]
            if k == 0:
                made = call(forward, X[0].copy(), *[p.copy() for p in params], output, what=fwd)
                if isinstance(made, tuple) and len(made) == 2:
                    call(loss_fn, made[0], T[0].copy(), output, what=lname)
            _batch_case(fn, X, T, params, output, (47 if hidden else 46) + 10 * k, what)


# --- 11. the seeds' per-sample deltas and the course's dz -----------------------------------------

@EXERCISES.check("dz_from_deltas")
def dz_from_deltas(fn, *, hidden=False):
    """``fn(deltas) -> dz``: deltas (N, n) holds seed 003's delta_k of each sample s in row s (the
    derivative of that sample's error E_s); dz = dL/du for the course's L = (1/N) sum_s E_s is
    deltas / N, row by row (only E_s depends on sample s's u)."""
    what = _name(fn, "dz_from_deltas")
    rng = _rng(hidden, 990)
    for N, n in ([(3, 4), (5, 2)] if hidden else [(4, 3), (2, 5)]):
        deltas = rng.standard_normal((N, n))
        given = deltas.copy()
        raw = call(fn, given, what=what)
        _unchanged(what, {"deltas": given}, {"deltas": deltas},
                   tr("return a new array (dz = deltas / N), leaving deltas as it is (deltas /= N changes it)."),
                   hint=3)
        context = tr(" (N={N} samples, n={n} output neurons)", N=N, n=n)
        try:
            shape = np.shape(raw)
        except Exception:  # noqa: BLE001 (a learner's object may refuse np.shape)
            shape = None
        collapsed = [("averaged_over_samples", deltas.mean(axis=0), tr("the mean of the deltas over the samples")),
                     ("summed_over_samples", deltas.sum(axis=0), tr("the sum of the deltas over the samples"))]
        if shape == (n,):
            for key, value, said in collapsed:
                try:
                    same = np.allclose(np.asarray(raw, dtype=np.float64), value, rtol=1e-9, atol=0.0)
                except (TypeError, ValueError):
                    same = False
                if same:
                    raise CheckFailed(
                        tr("{what}{context}: yours has shape ({n},), {said}. dz keeps one row per sample, shape "
                           "({N}, {n}) like deltas: the course's dz[s, k] is the derivative of L by sample s's u_k, "
                           "and only sample s's error contains it. (A sum over the samples comes later: it is db = "
                           "dz.sum(axis=0).)",
                           what=what, context=context, n=n, said=said, N=N), key=key, hint=3)
        check_answer(what, raw, deltas / N, name="dz", of="deltas", context=context, mistakes=[
            row("missing_1_over_N", tr("dz = dL/du for L = (1/N) sum_s E_s: the 1/N of the mean is missing (N = "
                                       "{N} here); yours is the seed's per-sample delta itself.",
                                       N=N),
                lambda ev: deltas, hint=2),
            row("times_N", tr("the course's L is the mean over the N = {N} samples, so dz = delta / N; yours "
                              "multiplies by N (delta = N * dz reads the other way).",
                              N=N),
                lambda ev: N * deltas, hint=2),
            row("divided_by_outputs", tr("divide by N = {N}, the number of samples (rows), not by n = {n}, the "
                                         "number of output neurons.",
                                         N=N, n=n), lambda ev: deltas / n, hint=2),
            row("divided_by_size", tr("divide by N = deltas.shape[0] = {N}, the number of samples (rows), not by "
                                      "deltas.size = N * n = {size}, the number of entries.",
                                      N=N, size=N * n),
                lambda ev: deltas / (N * n), hint=2),
        ])
