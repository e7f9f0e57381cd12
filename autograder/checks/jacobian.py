"""Checks for 02_jacobian: Jacobians and vector-Jacobian products
(long: one notebook's checks and the catalog of its mistakes, read together, one exercise after
another; split by exercise they would scatter what a notebook's author edits at once).

One check per graded cell.  References are closed forms written here
(diag(s) - s s^T, W, W^T, products of Jacobians, J^T v), never the learner's
own code.  The named mistakes are this notebook's: a Jacobian transposed,
softmax treated as elementwise or written with s where diag(s) belongs, a
composition multiplied in the wrong order, a bias left out of the forward pass,
a VJP that returns J v or runs in the forward order, a VJP that builds the full
Jacobian, a branch whose gradients are not added, f = ||W x||^2 left unsummed.

A product that fails on shapes inside the learner's code is not taken as
evidence of a wrong order by itself: the same check then runs on inputs where
every order fits (``_attempt``), and only a named mistake there is reported as
the cause.

Vectors are 1-D arrays here; a Jacobian is ``J[i, j] = d y_i / d x_j`` of
shape (len(y), len(x)).
"""
import tracemalloc

import numpy as np

from . import Exercises
from .. import Mistake, check_layer, like
from ..check import check_answer
from ..compare import relative_error
from ..guard import CheckFailed, call
from ..i18n import N_, tr, translated
from ..tolerances import GRAD_RTOL
from .reference import sigmoid as _sigmoid, sigmoid_derivative as _dsigmoid, softmax as _softmax

EXERCISES = Exercises("02_jacobian", [
    ("numerical_jacobian", "Numerical Jacobian, column by column", 2),
    ("sigmoid_jacobian", "Jacobian of an elementwise activation (diagonal)", 1),
    ("linear_jacobian", "Jacobian of z = W x", 1),
    ("row_linear_jacobian", "Jacobian of z = x W (one batch row)", 1),
    ("softmax", "Stable softmax", 1),
    ("softmax_jacobian", "Jacobian of softmax, a full matrix", 2),
    ("chain_jacobian", "Jacobian of a composition: a product in order", 1),
    ("network_jacobian", "Jacobian of a two-layer network (seed 000)", 1),
    ("sigmoid_vjp", "VJP of the sigmoid", 1),
    ("linear_vjp", "VJP of z = W x", 1),
    ("row_linear_vjp", "VJP of z = x W, for x and W", 1),
    ("softmax_vjp", "VJP of softmax without the matrix", 2),
    ("residual_vjp", "VJP through a branch: y = x + sigmoid(W x + b)", 1),
    ("network_vjp", "VJP of the two-layer network, right to left", 1),
    ("wx_norm", "Seed 004: f = ||W x||^2 forward and backward", 2),
])
progress = EXERCISES.progress

# A VJP of a function of D numbers needs O(D) memory; building the D x D Jacobian needs 8 D^2
# bytes (32 MB at D = 2000).  Measured (benchmarks/vjp_memory.py): correct VJPs peak at 50-85 kB,
# VJPs that build J at 32-64 MB.  The limit, 1000 bytes per entry (2 MB), sits about 25 times
# above the first and 16 times below the second.
VJP_MEMORY_D = 2000
VJP_BYTES_PER_ENTRY = 1000
# network_vjp is measured with x and h2 of size 2000 and a hidden layer of 20: its Jacobian
# dh2/dx is 2000 x 2000 (32 MB), while W1 and W2 hold 40000 numbers each (320 kB).  Correct VJPs
# peak at 49-101 kB, VJPs that build a 2000 x 2000 matrix (J, or diag(sigma'(z2))) at 32-96 MB
# (benchmarks/vjp_memory.py): the same limit sits 20 times above the first, 16 below the second.
VJP_NETWORK_SIZES = (VJP_MEMORY_D, 20, VJP_MEMORY_D)


# --- references (closed forms) ---------------------------------------------------------------



def _softmax_jacobian(z):
    s = _softmax(z)
    return np.diag(s) - np.outer(s, s)


def _net(x, W1, b1, W2, b2, forward=None):
    """Seed 000's layers, column vectors: h1 = a(W1 x + b1), h2 = a(W2 h1 + b2).  ``forward`` plants
    a slip in the forward pass: "skips_activation" (z2 = W2 z1 + b2), "b1_for_b2" (z2 = W2 h1 + b1)."""
    z1 = W1 @ x + b1
    h1 = _sigmoid(z1)
    z2 = W2 @ (z1 if forward == "skips_activation" else h1) + (b1 if forward == "b1_for_b2" else b2)
    return z1, h1, z2, _sigmoid(z2)


FORWARD_SLIPS = {
    "skips_activation": ("forward_skips_activation",
                         N_("sigma' of layer 2 is taken at W2 @ z1 + b2: layer 2's input is the hidden OUTPUT "
                            "h1 = sigmoid(z1), not the pre-activation z1, so z2 = W2 @ h1 + b2")),
    "b1_for_b2": ("wrong_bias", N_("sigma' of layer 2 is taken at W2 @ h1 + b1: each layer adds its own bias, "
                                   "z2 = W2 @ h1 + b2")),
}


def _name(fn, default):
    return getattr(fn, "__name__", default)


def _rng(hidden, base):
    return np.random.default_rng(base + (1 if hidden else 0))


# --- helpers: calling, matrices with named shape mistakes, VJPs as layers -----------------

def _failed_on_shapes(exc):
    """Did the learner's code raise because the sizes of a product (or a broadcast) do not fit, or
    because an index ran past the end of an array (a loop over the wrong size, an index pair
    swapped)?"""
    text = str(exc).splitlines()[0]
    return exc.key == "exception" and any(
        needle in text for needle in ("mismatch", "not aligned", "could not be broadcast",
                                      "could not broadcast", "is out of bounds"))


def _crash_sentence(crash):
    if "IndexError" in crash:
        return tr("an index in your code runs past the end of an array")
    return tr("the shapes of two arrays in your code do not fit")


def _attempt(run, *, what, context, probe=None, probe_context="", hint="", cite=None):
    """``run()``, a call of the learner's code or a whole comparison, with an honest diagnosis
    when a product inside the learner's code fails on shapes.

    A failed product is not by itself evidence of a wrong order (an identity of the wrong
    size fails the same way).  ``probe()`` runs the same comparison on inputs where every
    product fits, the wrong orders and the missing transposes included; if it names a
    mistake, that is the diagnosis.  Otherwise the failure is reported as it is; ``cite`` is the
    number of the exercise's hint about sizes, for that report.
    """
    try:
        return run()
    except CheckFailed as exc:
        if not _failed_on_shapes(exc):
            raise
        crash = str(exc).splitlines()[0]
    found = None
    if probe is not None:
        try:
            probe()
        except CheckFailed as exc:
            found = exc
        if found is not None and found.key not in ("exception", "shapes_do_not_fit", "warning", "timeout"):
            template = (N_("{found}\n  (found {probe_context}, where every index fits; {context_strip} your code "
                           "failed: {crash})") if "IndexError" in crash else
                        N_("{found}\n  (found {probe_context}, where every product fits; {context_strip} your code "
                           "failed: {crash})"))
            raise CheckFailed(tr(template, found=found, probe_context=probe_context, context_strip=context.strip(),
                                 crash=crash),
                              key=found.key, keys=found.keys, hint=found.hint)
    honest = f"{what}{context}: {_crash_sentence(crash)}.\n  ({crash})"
    hint = translated(hint) if hint else hint
    if probe is not None and found is None and "IndexError" in crash:
        said = tr("{probe_context}, where every index fits, your code gives the right answer: so a loop runs over "
                  "another array's size, or an array is made with the wrong shape", probe_context=probe_context)
        honest += f"\n  {said[0].upper() + said[1:]}"
        honest += f" ({hint})." if hint else "."
    elif probe is not None and found is None:
        honest += "\n  " + tr("The order of the product is not the cause: {probe_context}, where every product fits, "
                               "your code gives the right answer. So a size in your code comes from the wrong array",
                               probe_context=probe_context)
        honest += f" ({hint})." if hint else "."
    elif hint:
        honest += "\n  " + tr("hint: {hint}", hint=hint)
    raise CheckFailed(honest, key="shapes_do_not_fit", hint=cite)


def _call(fn, *args, what, context="", probe=None, probe_context="", hint="", cite=None):
    return _attempt(lambda: call(fn, *args, what=what), what=what, context=context, probe=probe,
                    probe_context=probe_context, hint=hint, cite=cite)


def _safe(wrong_answer):
    """A catalog row's wrong answer that may not exist for these shapes (then it matches nothing)."""
    def candidate(ev):
        try:
            with np.errstate(all="ignore"):
                return wrong_answer(ev)
        except (ValueError, IndexError):
            return np.full((), np.nan)
    return candidate


def _matrix(what, raw, expected, *, name="J", transposed=None, shape_mistakes=(), mistakes=(),
            inputs=(), context="", hint=None):
    """Compare a returned matrix with ``expected``.

    ``transposed``: the sentence for a result equal to expected.T (either shape);
    ``shape_mistakes``: (key, sentence, wrong array[, hint number]) tried when the shape is wrong;
    ``hint``: the number of the exercise's hint about rows and columns, cited by a transposed or
    wrongly shaped J.
    """
    expected = np.asarray(expected, dtype=np.float64)
    try:
        mine = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        mine = None
    if mine is not None and mine.ndim == 2 and transposed and mine.shape == expected.T.shape \
            and relative_error(mine, expected.T) <= GRAD_RTOL and not _close(mine, expected):
        raise CheckFailed(f"{what}{context}: {translated(transposed)}", key="jacobian_transposed", hint=hint)
    if mine is not None and mine.shape != expected.shape:
        for key, sentence, wrong, *cited in shape_mistakes:
            wrong = np.asarray(wrong, dtype=np.float64)
            if mine.shape == wrong.shape and relative_error(mine, wrong) <= GRAD_RTOL:
                raise CheckFailed(f"{what}{context}: {translated(sentence)}", key=key, hint=(cited or [None])[0])
        if expected.ndim == 2 and _is_float_array(raw):
            # the generic shape rows speak of a gradient "with the shape of x"; a Jacobian's
            # shape comes from the output and the input
            m, n = expected.shape
            turned = mine.shape == (n, m)
            shapes = (tr('{mine_shape}, the transpose of the expected {expected_shape}', mine_shape=mine.shape, expected_shape=expected.shape) if turned
                      else tr('{mine_shape} but {expected_shape} was expected', mine_shape=mine.shape, expected_shape=expected.shape))
            raise CheckFailed(
                tr("{what}{context}: {name} has shape {shapes}: a Jacobian is a matrix with one row per "
                   "output ({m} here) and one column per input ({n}).",
                   what=what, context=context, name=name, shapes=shapes, m=m, n=n),
                key="shape_transposed" if turned else "wrong_shape", hint=hint)
    return check_answer(what, raw, expected, name=name, mistakes=mistakes, inputs=inputs, context=context)


def _is_float_array(raw):
    try:
        return np.issubdtype(np.asarray(raw).dtype, np.floating)
    except (TypeError, ValueError):
        return False


def _close(a, b):
    return a.shape == b.shape and relative_error(a, b) <= GRAD_RTOL


def _unchanged(what, before, after, name, advice, hint=None):
    if not np.array_equal(before, after):
        raise CheckFailed(tr("{what} changed its input {name} in place; {advice}",
                             what=what, name=name, advice=advice), key="mutated_input", hint=hint)


def _as_layer(vjp, reference, what):
    """forward/backward pair for check_layer: the forward is the check's own
    reference, the backward calls the learner's ``vjp(*inputs, v)``."""
    def forward(*inputs):
        return reference(*inputs), tuple(np.array(x) for x in inputs)

    def backward(dout, cache):
        return vjp(*cache, dout)

    forward.__name__ = "reference forward"
    backward.__name__ = what
    return forward, backward


def _peak_bytes(fn, *args, what):
    """Peak memory numpy allocates while fn runs (tracemalloc sees numpy's buffers)."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        call(fn, *args, what=what)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        if not was_tracing:
            tracemalloc.stop()


def _no_full_jacobian(vjp, args, what, network=False):
    d = np.asarray(args[0]).size
    peak = _peak_bytes(vjp, *args, what=what)
    if peak <= VJP_BYTES_PER_ENTRY * d:
        return
    size = tr("{mb:.1f} MB at its peak, about {k:.2g} x {d} x {d} floats", mb=peak / 1e6, k=peak / (8 * d * d), d=d)
    if network:
        hidden = np.asarray(args[2]).size
        raise CheckFailed(
            tr("{what} built a full Jacobian: for x and v of {d} numbers each and a hidden layer of "
               "{hidden}, it used {size}, while W1 and W2 hold {hidden_d} numbers each. A VJP needs no "
               "matrix larger than W1 or W2: pass v back through each function's VJP (sigma'(z) * v, "
               "W.T @ v), never form J or diag(sigma'(z)).",
               what=what, d=d, hidden=hidden, size=size, hidden_d=hidden * d), key="builds_full_jacobian", hint=1)
    raise CheckFailed(tr("{what} built a full Jacobian: for a vector of {d} numbers it used {size}. A VJP needs "
                         "O({d}) memory: combine v with the local derivatives directly, never form J.",
                         what=what, d=d, size=size), key="builds_full_jacobian", hint=1)


# --- 1. numerical Jacobian -------------------------------------------------------------------

def _f_smooth(x):
    """R^3 -> R^4, a smooth test function with a closed-form Jacobian."""
    return np.array([np.sin(x[0]) * x[1], x[1] ** 2 + x[2], np.exp(x[0] - x[2]), x[0] * x[1] * x[2]])


def _J_smooth(x):
    e = np.exp(x[0] - x[2])
    return np.array([
        [np.cos(x[0]) * x[1], np.sin(x[0]), 0.0],
        [0.0, 2.0 * x[1], 1.0],
        [e, 0.0, -e],
        [x[1] * x[2], x[0] * x[2], x[0] * x[1]],
    ])


def _cubic(A):
    def f(x):
        return A @ (x ** 3)
    return f


ALL_AT_ONCE = N_("every column of yours is the same: you nudged all inputs at once (x + h), which moves "
               "the outputs by J @ ones, the sum of the columns. Nudge one input at a time: column j is "
               "(f(x + h e_j) - f(x - h e_j)) / (2h), with e_j the j-th unit vector.")


def _all_at_once(f, x, h):
    column = (f(x + h) - f(x - h)) / (2 * h)
    return np.tile(column[:, None], (1, x.size))


J_SHAPE = N_("J has one row per output, m = f(x).size, and one column per input, n = x.size")
DIVIDE_2H = N_("yours is twice the Jacobian: divide by 2h, the distance between x+h and x-h, not by h.")
COLUMN = N_("column {j} of yours is all zero, and it is right elsewhere: column j is how every output moves "
          "with x_j, and x_{j} was never nudged: {why}.")
TIMES_H = N_("yours is the Jacobian times h^2: (f(x+h) - f(x-h)) / 2 * h divides by 2 and then MULTIPLIES by h "
           "(Python reads a / 2 * h as (a / 2) * h). Write / (2 * h).")


ONE_SIDED = N_("you used a one-sided difference ((f(x+h) - f(x)) / h or (f(x) - f(x-h)) / h); "
             "the course uses central differences (f(x+h) - f(x-h)) / (2h), whose error is "
             "O(h^2) instead of O(h).")
# Integer points (x = [2, -1, 1]): a copy that keeps the integer dtype truncates x_j + h back to x_j.
NJ_INTEGERS = {False: [2, -1, 1], True: [1, 0, -2]}


def _integer_input(fn, what):
    """The answer for an integer x is wrong, and the same function is right on the same x as floats."""
    def test(ev):
        x = ev.inputs[0]
        try:
            again = np.asarray(call(fn, _f_smooth, x.astype(np.float64), what=what), dtype=np.float64)
        except (CheckFailed, TypeError, ValueError):
            return False
        return again.shape == ev.want and ev.oracle.matches(again)
    return Mistake("integer_input", "x holds integers, and your x_j + h was truncated back to an integer, so "
                                    "f never moved: work on a float copy, x = np.asarray(x, dtype=float). Your "
                                    "function is right on the same x given as floats.", test, hint=3)


@EXERCISES.check("numerical_jacobian")
def numerical_jacobian(fn, *, hidden=False):
    what = _name(fn, "numerical_jacobian")
    rng = _rng(hidden, 600)
    # (a) a smooth R^3 -> R^4 function at the default step: J has shape (4, 3)
    x = rng.uniform(-1.0, 1.0, size=3)
    before = x.copy()
    raw = _call(fn, _f_smooth, x, what=what, context=tr(' for f: R^3 -> R^4'), hint=J_SHAPE, cite=2)
    _unchanged(what, before, x, "x", tr("nudge copies (xp = x.copy(); xp[j] += h) or restore x."), hint=3)
    truth = _J_smooth(before)
    one_sided = [np.stack([(_f_smooth(before + 1e-5 * e) - _f_smooth(before)) / 1e-5 for e in np.eye(3)], axis=1),
                 np.stack([(_f_smooth(before) - _f_smooth(before - 1e-5 * e)) / 1e-5 for e in np.eye(3)], axis=1)]
    _matrix(what, raw, truth, transposed=N_("J[i, j] = dy_i/dx_j has one ROW per output and one COLUMN "
            "per input: nudging x_j fills column j. Yours is J.T (shape (3, 4) instead of (4, 3))."),
            mistakes=[like("forward_difference", ONE_SIDED, lambda ev, k=k: one_sided[k], hint=2) for k in (0, 1)]
            + [like("divided_by_h", DIVIDE_2H, lambda ev: 2 * truth, hint=2),
               like("precedence", TIMES_H, lambda ev: truth * 1e-10, hint=2),
               like("column_skipped", tr(COLUMN, j=2, why=tr("the loop over the inputs stops one short: "
                                                                "range(x.size) runs j = 0, ..., n - 1")),
                    lambda ev: truth * (np.arange(3) != 2), hint=2),
               like("column_skipped", tr(COLUMN, j=0, why=tr("a loop that starts at 1 skips it (Python "
                                                                "counts from 0)")),
                    lambda ev: truth * (np.arange(3) != 0), hint=2),
               like("nudged_all_inputs", ALL_AT_ONCE, lambda ev: _all_at_once(_f_smooth, before, 1e-5), hint=1)],
            context=tr(' for f: R^3 -> R^4'), hint=2)
    # (b) f(x) = A x^3 at h = 0.1, where the central difference is known exactly:
    # ((x+h)^3 - (x-h)^3) / (2h) = 3x^2 + h^2
    h = 0.2 if hidden else 0.1
    A = rng.standard_normal((2, 4))
    x = rng.uniform(-2.0, 2.0, size=4)           # |x_j| > 1 too: a step scaled by |x_j| shows
    raw = _call(fn, _cubic(A), x.copy(), h, what=what, context=tr(' for f: R^4 -> R^2 with h = {h}', h=h),
                hint=J_SHAPE, cite=2)
    exact_central = A * (3 * x ** 2 + h ** 2)
    mistakes = [
        like("ignores_h", tr("numerical_jacobian(f, x, h={h}) must use the step h it is given, the same for every "
                             "entry; yours scales it by max(1, |x_j|), which is how the course's checker picks its "
                             "own step.",
                             h=h),
             lambda ev: A * (3 * x ** 2 + (h * np.maximum(1.0, np.abs(x))) ** 2), hint=3),
        like("ignores_h", tr("numerical_jacobian(f, x, h={h}) must use the step h it is given; yours gives the same "
                             "result as a tiny step (the exact Jacobian).",
                             h=h),
             lambda ev: A * (3 * x ** 2), hint=3),
        like("forward_difference", "you used a forward difference (f(x+h) - f(x)) / h; use the "
                                   "central difference (f(x+h) - f(x-h)) / (2h).",
             lambda ev: A * (3 * x ** 2 + 3 * x * h + h ** 2), hint=2),
        like("forward_difference", "you used a backward difference (f(x) - f(x-h)) / h; use the "
                                   "central difference (f(x+h) - f(x-h)) / (2h).",
             lambda ev: A * (3 * x ** 2 - 3 * x * h + h ** 2), hint=2),
        like("divided_by_h", DIVIDE_2H, lambda ev: 2 * exact_central, hint=2),
        like("precedence", TIMES_H, lambda ev: exact_central * h ** 2, hint=2),
        like("nudged_all_inputs", ALL_AT_ONCE, lambda ev: _all_at_once(_cubic(A), x, h), hint=1),
    ]
    _matrix(what, raw, exact_central, transposed=N_("J[i, j] = dy_i/dx_j: nudging x_j fills column j; "
            "yours is J.T."), mistakes=mistakes, context=tr(' for f(x) = A x^3 with h = {h}', h=h), hint=2)
    # (c) an integer point, the default step: the Jacobian itself
    x = np.array(NJ_INTEGERS[hidden], dtype=np.int64)
    context = tr(' for f: R^3 -> R^4 at the integer point x = {x_tolist}', x_tolist=x.tolist())
    raw = _call(fn, _f_smooth, x.copy(), what=what, context=context, hint=J_SHAPE, cite=2)
    _matrix(what, raw, _J_smooth(x.astype(np.float64)), inputs=(x,), mistakes=[_integer_input(fn, what)],
            context=context, hint=2)


# --- 2. Jacobians of layers --------------------------------------------------------------------

def _dsigmoid_forms(z):
    """The usual wrong ways to write sigma'(z) = s (1 - s), s = sigmoid(z): (key, what yours is,
    the values). sigma itself and z (1 - z) have rows of their own in each check."""
    s = _sigmoid(z)
    return [
        ("derivative_at_output", N_("yours is sigma'(s) = sigmoid(s) (1 - sigmoid(s)) with s = sigmoid(z): the "
                                    "derivative taken AT the output. sigma'(z) = s (1 - s) is written WITH the "
                                    "output s, not evaluated at it"), _dsigmoid(s)),
        ("tanh_derivative", N_("yours is 1 - s^2, the derivative of tanh (1 - tanh^2) written with the sigmoid's "
                               "output; the sigmoid's derivative is s (1 - s)"), 1 - s * s),
        ("missing_one_minus", N_("yours is (1 - s) alone; sigma'(z) = s (1 - s) keeps the factor s"), 1 - s),
    ]


def _dsigmoid_form(z, key):
    return next(values for k, _, values in _dsigmoid_forms(z) if k == key)


def _unstable_sigmoid(what, exc, where, cite=None):
    """A warning (overflow, 0/0) or nan where the notebook's stable sigmoid is finite and silent: the
    learner wrote the sigmoid by hand; anything else is raised as it is."""
    first = str(exc).splitlines()[0]
    if exc.key in ("warning", "non_finite") and any(w in first for w in ("overflow", "invalid value",
                                                                          "divide by zero", "nan", "inf")):
        raise CheckFailed(tr("{what}{where}: an exp overflowed (or made nan): 1 / (1 + np.exp(-z)) overflows for z "
                             "far below 0, np.exp(z) / (1 + np.exp(z)) for z far above 0. Use the notebook's sigmoid, "
                             "s = sigmoid(z): it only ever takes exp of -|z|, so it is finite and silent for any z.\n  "
                             "({first})",
                             what=what, where=where, first=first), key="unstable_sigmoid", hint=cite) from None
    raise exc


@EXERCISES.check("sigmoid_jacobian")
def sigmoid_jacobian(fn, *, hidden=False):
    what = _name(fn, "sigmoid_jacobian")
    rng = _rng(hidden, 610)
    # two sizes each side, each with entries far out (the text promises |z| up to 1000)
    for size in ((5, 2) if hidden else (4, 1)):
        z = np.concatenate([rng.uniform(-3.0, 3.0, size=size), [800.0, -800.0]])
        _sigmoid_jacobian_case(fn, z, what)


def _sigmoid_jacobian_case(fn, z, what):
    where = tr(' for z with entries at -800 and 800')
    try:
        raw = _call(fn, z.copy(), what=what)
        if _is_float_array(raw) and not np.all(np.isfinite(np.asarray(raw))):
            raise CheckFailed(tr("{what}: J contains nan or inf", what=what), key="non_finite")
    except CheckFailed as exc:
        _unstable_sigmoid(what, exc, where, cite=3)
    d = _dsigmoid(z)
    s = _sigmoid(z)
    n = z.size
    _matrix(what, raw, np.diag(d), shape_mistakes=[
        ("returned_value", tr("you returned sigma(z), the function's value; its Jacobian is the {n} x {n} "
                              "matrix diag(sigma'(z)), with sigma' = sigma(1 - sigma).", n=n), _sigmoid(z), 2),
        ("diagonal_as_vector", tr("you returned the diagonal as a vector of shape ({n},); the Jacobian "
                                  "of a map R^{n} -> R^{n} is a {n} x {n} matrix: put the derivatives on "
                                  "its diagonal (np.diag).", n=n), d, 3),
    ], mistakes=[
        like("missing_sigmoid_derivative", "the diagonal holds sigma(z); it must hold the derivative "
                                           "sigma(z)(1 - sigma(z)).", lambda ev: np.diag(_sigmoid(z)), hint=2),
        like("used_z_as_s", "the diagonal holds z (1 - z): sigma' = s (1 - s) is written in the sigmoid's "
                            "OUTPUT s = sigmoid(z) (notebook 01's sigmoid_backward received s); compute "
                            "s = sigmoid(z) first.", lambda ev: np.diag(z * (1 - z)), hint=2),
        like("off_diagonal_nonzero", "an elementwise activation's Jacobian is diagonal: y_i depends on "
                                     "z_i only, so dy_i/dz_j = 0 for i != j.",
             lambda ev: np.tile(d, (n, 1)), hint=1),
        like("off_diagonal_nonzero", "an elementwise activation's Jacobian is diagonal: y_i depends on "
                                     "z_i only, so dy_i/dz_j = 0 for i != j.",
             lambda ev: np.tile(d[:, None], (1, n)), hint=1),
        like("off_diagonal_nonzero", "an elementwise activation's Jacobian is diagonal: y_i depends on "
                                     "z_i only, so dy_i/dz_j = 0 for i != j (np.outer is not np.diag).",
             lambda ev: np.outer(d, d), hint=1),
        like("off_diagonal_nonzero", "yours has s_i (1 - s_j) in every entry (np.outer(s, 1 - s)): right on "
                                     "the diagonal, but an elementwise activation's y_i depends on z_i only, so "
                                     "dy_i/dz_j = 0 for i != j: np.diag(s * (1 - s)).",
             lambda ev: np.outer(s, 1 - s), hint=1),
        like("off_diagonal_nonzero", "yours has (1 - s_i) s_j in every entry (np.outer(1 - s, s)): right on "
                                     "the diagonal, but an elementwise activation's y_i depends on z_i only, so "
                                     "dy_i/dz_j = 0 for i != j: np.diag(s * (1 - s)).",
             lambda ev: np.outer(1 - s, s), hint=1),
        like("broadcast_vector", "np.diag(s) - s * s subtracts the VECTOR s^2 from every row of the matrix "
                                 "(numpy broadcasts it), which puts -s_j^2 off the diagonal, where an elementwise "
                                 "activation's Jacobian has 0: np.diag(s * (1 - s)).",
             lambda ev: np.diag(s) - s * s, hint=3),
        like("broadcast_vector", "np.diag(s) - (s * s)[:, None] subtracts the VECTOR s^2 from every column of "
                                 "the matrix, which puts -s_i^2 off the diagonal, where an elementwise "
                                 "activation's Jacobian has 0: np.diag(s * (1 - s)).",
             lambda ev: np.diag(s) - (s * s)[:, None], hint=3),
        like("softmax_formula", "yours is diag(s) - s s^T, softmax's Jacobian. Softmax's outputs share one "
                                "denominator, so each depends on every z_j; the sigmoid is elementwise (y_i "
                                "depends on z_i only), so its Jacobian is diagonal: diag(s (1 - s)).",
             lambda ev: np.diag(s) - np.outer(s, s), hint=1),
    ] + [like(key, tr("the diagonal must hold sigma'(z_i) = s_i (1 - s_i); {says}.", says=translated(says)),
              lambda ev, values=values: np.diag(values), hint=2) for key, says, values in _dsigmoid_forms(z)],
        context=tr(' for z of size {n}', n=n))


TRANSPOSED_WX = N_("J^T where J was asked: for z = W x, z_i = sum_j W[i, j] x_j, so "
                 "J[i, j] = dz_i/dx_j = W[i, j]: J = W, of shape (len(z), len(x)).")
TRANSPOSED_XW = N_("J^T where J was asked: for z = x @ W, z_i = sum_j x_j W[j, i], so "
                 "J[i, j] = dz_i/dx_j = W[j, i]: J = W.T, of shape (len(z), len(x)).")
# (rows, columns) of W: two shapes with no equal axes each side, then a square W, where a
# transposed answer keeps its shape and is found by its values
LINEAR_SHAPES = {False: [(3, 5), (6, 2), (4, 4)], True: [(2, 6), (5, 3), (4, 4)]}


USED_X = N_("the Jacobian with respect to x does not contain x: z is linear in x, so dz_i/dx_j = {entry}. "
          "Yours is {yours}: differentiating W[{ij}] x_j by x_j leaves W[{ij}] alone.")


def _linear_jacobian_case(fn, W, x, what):
    m, d = W.shape
    context = tr(' for W of shape {W_shape}', W_shape=W.shape) if m != d else tr(' for a square W')
    raw = call(fn, W.copy(), x.copy(), what=what)
    _matrix(what, raw, W, transposed=TRANSPOSED_WX, shape_mistakes=[
        ("returned_value", N_("you returned z = W x, the function's value; its Jacobian is the matrix of "
                           "derivatives dz_i/dx_j, one row per output and one column per input."), W @ x, 1),
    ], mistakes=[
        like("used_x", "the Jacobian with respect to x does not contain x: z is linear in x, "
                       "so dz_i/dx_j = W[i, j].", lambda ev: np.tile(x, (m, 1)), hint=2),
        like("used_x", tr(USED_X, entry="W[i, j]", yours="W[i, j] x_j (W * x)", ij="i, j"),
             lambda ev: W * x, hint=2),
        like("used_x", tr(USED_X, entry="W[i, j]", yours="W[i, j] x_i (W * x[:, None])", ij="i, j"),
             _safe(lambda ev: W * x[:, None]), hint=2),
    ], context=context, hint=2)


@EXERCISES.check("linear_jacobian")
def linear_jacobian(fn, *, hidden=False):
    what = _name(fn, "linear_jacobian")
    rng = _rng(hidden, 620)
    cases = [(rng.standard_normal((m, d)), rng.standard_normal(d)) for m, d in LINEAR_SHAPES[hidden]]
    square = cases[-1]
    sizes = tr('J has one row per output, m = W.shape[0], and one column per input, n = W.shape[1]')
    for W, x in cases:
        _attempt(lambda W=W, x=x: _linear_jacobian_case(fn, W, x, what), what=what,
                 context=tr(' for W of shape {W_shape}', W_shape=W.shape),
                 probe=None if W is square[0] else (lambda: _linear_jacobian_case(fn, *square, what)),
                 probe_context=tr('with a square W of shape (4, 4)'), hint=sizes, cite=2)


def _row_linear_jacobian_case(fn, x, W, what):
    d, m = W.shape
    context = tr(' for x of shape {x_shape}, W of shape {W_shape}', x_shape=x.shape, W_shape=W.shape) if m != d else tr(' for a square W')
    raw = call(fn, x.copy(), W.copy(), what=what)
    _matrix(what, raw, W.T, transposed=TRANSPOSED_XW, shape_mistakes=[
        ("returned_value", N_("you returned z = x @ W, the function's value; its Jacobian is the matrix of "
                           "derivatives dz_i/dx_j, one row per output and one column per input."), x @ W, 1),
    ], mistakes=[
        like("used_x", "the Jacobian with respect to x does not contain x: z is linear in x, "
                       "so dz_i/dx_j = W[j, i].", lambda ev: np.tile(x, (m, 1)), hint=2),
        like("used_x", tr(USED_X, entry="W[j, i]", yours="W[j, i] x_j (W.T * x)", ij="j, i"),
             lambda ev: W.T * x, hint=2),
        like("used_x", tr(USED_X, entry="W[j, i]", yours="W[j, i] x_i ((W * x[:, None]).T)", ij="j, i"),
             _safe(lambda ev: (W * x[:, None]).T), hint=2),
    ], context=context, hint=2)


@EXERCISES.check("row_linear_jacobian")
def row_linear_jacobian(fn, *, hidden=False):
    what = _name(fn, "row_linear_jacobian")
    rng = _rng(hidden, 630)
    cases = [(rng.standard_normal(d), rng.standard_normal((d, m))) for m, d in LINEAR_SHAPES[hidden]]
    square = cases[-1]
    sizes = (tr('J has one row per output, m = W.shape[1], and one column per input, n = W.shape[0] = x.size: J[i, j] = W[j, i]'))
    for x, W in cases:
        _attempt(lambda x=x, W=W: _row_linear_jacobian_case(fn, x, W, what), what=what,
                 context=tr(' for x of shape {x_shape}, W of shape {W_shape}', x_shape=x.shape, W_shape=W.shape),
                 probe=None if W is square[1] else (lambda: _row_linear_jacobian_case(fn, *square, what)),
                 probe_context=tr('with a square W of shape (4, 4)'), hint=sizes, cite=2)


# --- 3. softmax --------------------------------------------------------------------------------

def _softmax_inputs(hidden):
    """Ordinary scores and scores around 1000, of different sizes (5 and 6; hidden 6 and 4)."""
    rng = _rng(hidden, 640)
    z = rng.uniform(-3.0, 3.0, size=6 if hidden else 5)
    # max(z) - mean(z) > 709 and z[0] far below max(z): subtracting the mean, min(z) or z[0]
    # instead of the max overflows too
    big = (np.array([-1000.0, 999.0, 1000.0, 998.5, -1000.0, -990.0]) if not hidden
           else np.array([-900.0, 750.0, 751.0, -950.0]))
    return z, big


# Every score far below 0 (sizes 3 and 4, hidden 4 and 3): a shift by max|z| (or none) sends every
# exponent below -745, where exp underflows to 0, and the sum is 0 (0/0); only the max makes the
# largest exponent exactly 0.
LOW_SCORES = {False: np.array([-1000.0, -1003.0, -998.5]), True: np.array([-900.0, -897.5, -903.0, -899.0])}


# integer scores (an output filled into np.zeros_like(z) would be truncated)
SOFTMAX_INTEGERS = {False: np.array([3, -1, 0, 2]), True: np.array([1, 4, -2])}


def _axis_on_a_vector(what, exc, cite=None):
    """numpy's AxisError for axis=1 (or keepdims tricks) on the 1-D z of this notebook, in words."""
    first = str(exc).splitlines()[0]
    if exc.key == "exception" and "AxisError" in first:
        raise CheckFailed(tr("{what}: z is one vector, a 1-D array, so it has only axis 0: np.max(z) and np.sum(e) "
                             "need no axis. (axis=1 is for a batch of rows, one sample per row, as in notebook 04.)\n  "
                             "({first})",
                             what=what, first=first), key="axis_on_a_vector", hint=cite) from None


def _unstable(what, exc, cite=None, z=None):
    text = str(exc)
    if exc.key in ("warning", "exception") and any(w in text for w in ("overflow", "invalid value", "divide by zero")):
        if z is not None and np.max(z) < -700:
            raise CheckFailed(tr("{what}: for scores that are all far below 0 (z = {np_round_z_1_tolist}) your "
                                 "exponentials all underflowed to 0, and their sum too (0/0 = nan). Shift by c = max(z), "
                                 "not max(|z|) nor any other number: then the largest exponent is exactly 0, e^0 = 1, and "
                                 "the sum is at least 1 for any z.",
                                 what=what, np_round_z_1_tolist=np.round(z, 1).tolist()),
                              key="softmax_underflow", hint=cite) from None
        raise CheckFailed(tr("{what}: exp overflowed for z around 1000. Subtract max(z) first: softmax(z - c) = "
                             "softmax(z) for any constant c, and then exp only sees numbers <= 0.",
                             what=what), key="softmax_overflow", hint=cite) from None
    raise exc


@EXERCISES.check("softmax")
def softmax(fn, *, hidden=False):
    what = _name(fn, "softmax")
    z, big = _softmax_inputs(hidden)
    for v in (z, big, SOFTMAX_INTEGERS[hidden].copy(), LOW_SCORES[hidden].copy()):
        before = v.copy()
        try:
            raw = call(fn, v, what=what)
        except CheckFailed as exc:
            _axis_on_a_vector(what, exc, cite=3)
            _unstable(what, exc, cite=2, z=before)
        _unchanged(what, before, v, "z", tr("write z - np.max(z) (a new array), not z -= np.max(z)."), hint=3)
        try:
            mine = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            mine = None
        if mine is not None and mine.shape == v.shape and not np.all(np.isfinite(mine)):
            _unstable(what, CheckFailed("overflow", key="warning"), cite=2, z=before)
        zf = before.astype(np.float64)
        e = np.exp(zf - zf.max())
        check_answer(what, raw, _softmax(zf), name="s", context=tr(' for z = {np_round_before_3}', np_round_before_3=np.round(before, 3)), mistakes=[
            like("not_normalized", "divide by the sum: softmax(z)_i = exp(z_i) / sum_j exp(z_j), "
                                   "so the entries add up to 1.", _safe(lambda ev: e), hint=3),
            like("not_normalized", "divide by the sum: softmax(z)_i = exp(z_i) / sum_j exp(z_j), "
                                   "so the entries add up to 1.", _safe(lambda ev: np.exp(zf)), hint=3),
            like("integer_input", "z holds integers, and your exponentials were stored into an integer "
                                  "array (np.zeros_like(z) of an integer z) and cut to whole numbers: compute "
                                  "them in a new float array, e = np.exp(z - np.max(z)).",
                 _safe(lambda ev: np.trunc(e) / np.sum(np.trunc(e))) if np.issubdtype(before.dtype, np.integer)
                 else (lambda ev: np.nan), hint=3),
            like("log_softmax", "yours is log softmax(z) = (z - max z) - log(sum(exp(z - max z))), the "
                                "log-sum-exp form; softmax is its exponential: e = np.exp(z - np.max(z)), "
                                "then e / np.sum(e).",
                 _safe(lambda ev: (zf - zf.max()) - np.log(np.sum(e))), hint=3),
            like("mixed_shift", "the numerator is shifted and the denominator is not: "
                                "exp(z - max z) / sum(exp(z)) is softmax(z) times exp(-max z). Shift both: "
                                "compute e = np.exp(z - np.max(z)) once, then e / e.sum().",
                 _safe(lambda ev: e / np.sum(np.exp(zf))), hint=2),
        ])


def _softmax_jacobian_forms(z, s):
    """Likely ways to write diag(s) - s s^T wrongly, each named by the entries it gets right.
    J[i, j] = s_i (delta_ij - s_j): the first four get the diagonal s_i(1 - s_i) right and every
    entry off it wrong; the next one the reverse."""
    diag, outer = np.diag(s), np.outer(s, s)
    squares = N_("{a} is the vector of squares, not the matrix s s^T: np.diag(s) - {b} has -s_{c}^2 off the "
                 "diagonal where -s_i s_j belongs. It is right on the diagonal (s_i(1 - s_i)) only by accident. "
                 "Use np.outer(s, s).")
    return [
        like("diag_not_matrix", tr("yours has (1 - s_i) s_j in every entry, as s - np.outer(s, s) (the vector s broadcast "
                                   "across every row) or np.outer(1 - s, s) give: right on the diagonal (s_i(1 - s_i)) "
                                   "only by accident, and wrong everywhere off it, where J[i, j] = -s_i s_j. The 1 of "
                                   "s_i(delta_ij - s_j) belongs on the diagonal only: diag(s) is a matrix with s on its "
                                   "diagonal, np.diag(s), and J = np.diag(s) - np.outer(s, s)."),
             lambda ev: s - outer, hint=3),
        like("diag_not_matrix", tr("yours has s_i (1 - s_j) in every entry, as s[:, None] - np.outer(s, s) (s broadcast "
                                   "down every column) or np.outer(s, 1 - s) give: right on the diagonal (s_i(1 - s_i)) "
                                   "only by accident, and wrong everywhere off it, where J[i, j] = -s_i s_j. The 1 of "
                                   "s_i(delta_ij - s_j) belongs on the diagonal only: diag(s) is a matrix with s on its "
                                   "diagonal, np.diag(s), and J = np.diag(s) - np.outer(s, s)."),
             lambda ev: s[:, None] - outer, hint=3),
        like("squares_not_outer", tr(squares, a=tr("s * s (or s**2)"), b=tr("s * s (the same as (np.eye(n) - s) * s)"), c="j"),
             lambda ev: diag - s * s, hint=3),
        like("squares_not_outer", tr(squares, a="(s * s)[:, None]", b="(s * s)[:, None]", c="i"),
             lambda ev: diag - (s * s)[:, None], hint=3),
        like("diagonal_twice", "the diagonal subtracts s_i^2 twice: diag(s * (1 - s)) already holds "
                               "-s_i^2, and - np.outer(s, s) takes it away again. The entries off the "
                               "diagonal are right; J = diag(s) - s s^T.",
             lambda ev: np.diag(s * (1 - s)) - outer, hint=3),
        like("dot_not_outer", "s @ s (and s.T @ s, s @ s.T, np.dot(s, s)) is one number, the sum of "
                              "s_k^2, not the matrix s s^T: a 1-D numpy array is neither a row nor a "
                              "column, and .T leaves it as it is. Use np.outer(s, s).",
             lambda ev: diag - s @ s, hint=3),
        like("used_z", "J is written in s = softmax(z), not in z: compute s = softmax(z) first.",
             lambda ev: np.diag(z) - np.outer(z, z), hint=1),
    ]


@EXERCISES.check("softmax_jacobian", uses=("softmax",))
def softmax_jacobian(fn, *, hidden=False):
    what = _name(fn, "softmax_jacobian")
    z, big = _softmax_inputs(hidden)
    for v in (z, big, LOW_SCORES[hidden]):
        try:
            raw = call(fn, v.copy(), what=what)
        except CheckFailed as exc:
            _unstable(what, exc, z=v)
        s = _softmax(v)
        diag, outer = np.diag(s), np.outer(s, s)
        _matrix(what, raw, diag - outer, shape_mistakes=[
            ("returned_value", tr("you returned s = softmax(z), the function's value; its Jacobian is the "
                                  "{n} x {n} matrix diag(s) - s s^T.", n=s.size), s, 3),
            ("softmax_as_elementwise", tr("you returned a vector of shape {shape}; softmax is not "
                                          "elementwise: every s_i depends on every z_j, so J is a full "
                                          "{n} x {n} matrix diag(s) - s s^T.", shape=s.shape, n=s.size), s * (1 - s), 1),
        ], mistakes=[
            like("softmax_as_elementwise",
                 "softmax treated as elementwise: you kept only the diagonal s_i(1 - s_i). Every s_i "
                 "depends on every z_j (through the sum), so the off-diagonal entries are -s_i s_j: "
                 "J = diag(s) - s s^T.", lambda ev: np.diag(s * (1 - s)), hint=1),
            like("missing_outer", "J = diag(s) - s s^T: the term -s s^T (np.outer(s, s)) is missing.",
                 lambda ev: diag, hint=2),
            like("missing_diag", "J = diag(s) - s s^T: the term diag(s) is missing.", lambda ev: -outer, hint=3),
            like("outer_sign", "J = diag(s) - s s^T: subtract the outer product, do not add it.",
                 lambda ev: diag + outer, hint=2),
            like("sign_flipped", "J = diag(s) - s s^T; yours is s s^T - diag(s).", lambda ev: outer - diag, hint=2),
        ] + _softmax_jacobian_forms(v, s), context=tr(" for z of size {n} around 1000", n=v.size) if v is big else
           tr(" for z of size {n} around -1000", n=v.size) if v is LOW_SCORES[hidden] else
           tr(" for z of size {n}", n=v.size))


# --- 4. composition ---------------------------------------------------------------------------

ORDER = N_("composition in the wrong order: for y = f_K(...f_2(f_1(x))) the Jacobian is "
         "J_K @ ... @ J_2 @ J_1 (the last function's Jacobian on the LEFT), as in seed 000's "
         "product: dh_N/dh_(N-1) ... dh_(n+1)/dh_n.")
CHAIN_SIZES = N_("J_k has shape (n_k, n_(k-1)), so the product J_K @ ... @ J_1 has shape (n_K, n_0); "
               "a matrix you start the product from (an identity) must be n_0 x n_0, "
               "n_0 = jacobians[0].shape[1]")


def _product(jacobians):
    """J_K @ ... @ J_1 for [J_1, ..., J_K]."""
    want = jacobians[0]
    for J in jacobians[1:]:
        want = J @ want
    return want


def _fold(op, jacobians):
    """op(...op(op(J_1, J_2), J_3)..., J_K): with np.matmul, the product in the wrong order
    J_1 @ J_2 @ ... @ J_K (ValueError when its sizes do not fit)."""
    out = jacobians[0]
    for J in jacobians[1:]:
        out = op(out, J)
    return out


def _chain_mistakes(jacs):
    """Named wrong products of [J_1, ..., J_K]; each may not exist for every list of shapes."""
    if len(jacs) < 2:
        return []
    missing = tr('one Jacobian is missing from the product: use all of them.')
    return [
        like("composition_order", ORDER, _safe(lambda ev: _fold(np.matmul, jacs)), hint=1),
        like("elementwise_product", "multiply Jacobians as matrices (@ or np.matmul), not entry by "
                                    "entry (*).", _safe(lambda ev: _fold(np.multiply, jacs)), hint=2),
        like("summed", "the chain rule multiplies the Jacobians; you added them.",
             _safe(lambda ev: _fold(np.add, jacs)), hint=2),
    ] + [like("missing_factor", missing, _safe(lambda ev, k=k: _product(jacs[:k] + jacs[k + 1:])), hint=3)
         for k in range(len(jacs))] + [
        like("product_overwritten", "only the last Jacobian survived: `J = J_next` inside the loop replaces "
                                    "the product instead of extending it; multiply, J = J_next @ J.",
             lambda ev: jacs[-1], hint=2)] + [
        like("extra_factor", tr("J_{k} is in your product twice; each Jacobian enters it once: start from J_1 and "
                                "loop over the REST, jacobians[1:] (or start from an identity and loop over all of "
                                "them).", k=k + 1) if k == 0 else
             tr("J_{k} is in your product twice; each Jacobian enters it once.", k=k + 1),
             _safe(lambda ev, k=k: _product(jacs[:k + 1] + jacs[k:])), hint=3) for k in range(len(jacs))]


def _chain_case(fn, jacs, what, context):
    """The learner's chain_jacobian on a copy of ``jacs`` against J_K @ ... @ J_1."""
    given = [J.copy() for J in jacs]
    try:
        raw = call(fn, given, what=what)
    except CheckFailed as exc:
        if len(jacs) == 1 and exc.key == "exception" and not _failed_on_shapes(exc):
            raise CheckFailed(tr("{what}{context}: {str_exc_splitlines_0}. A chain of one function is that function: its "
                                 "Jacobian is J_1 itself (np.linalg.multi_dot, for one, needs at least two arrays; a loop "
                                 "over the list needs no special case).",
                                 what=what, context=context, str_exc_splitlines_0=str(exc).splitlines()[0]),
                              key="one_jacobian", hint=3) from None
        raise
    if len(given) != len(jacs) or any(not np.array_equal(a, b) for a, b in zip(given, jacs)):
        raise CheckFailed(tr("{what} changed the list it was given (reverse() or pop() work in place); use "
                             "reversed(jacobians) or a copy.",
                             what=what), key="mutated_input", hint=2)
    shape_mistakes = []
    if len(jacs) > 1:
        try:           # the wrong order may give another shape: J_1 @ J_2 is (5, 5) for (5, 3), (3, 5)
            shape_mistakes = [("composition_order", ORDER, _fold(np.matmul, jacs), 1)]
        except ValueError:
            pass
    _matrix(what, raw, _product(jacs), shape_mistakes=shape_mistakes, mistakes=_chain_mistakes(jacs),
            context=context)


@EXERCISES.check("chain_jacobian")
def chain_jacobian(fn, *, hidden=False):
    what = _name(fn, "chain_jacobian")
    rng = _rng(hidden, 650)
    # square first: every product fits in any order, so a wrong order or an elementwise
    # product computes and is named by its values
    square = [rng.standard_normal((4, 4)) for _ in range(3)]
    _attempt(lambda: _chain_case(fn, square, what, tr(" for three 4 x 4 Jacobians")), what=what,
             context=tr(' for three 4 x 4 Jacobians'), hint=CHAIN_SIZES, cite=2)
    # shapes that differ on every axis, two lists of different lengths: R^3 -> R^5 -> R^2 and
    # R^4 -> R^2 -> R^5 -> R^3 (hidden: R^3 -> R^5 -> R^2 -> R^4 and R^2 -> R^6).  If a product
    # fails there, the probe has sizes 3, 5, 3, 5, ... where the reversed order fits too.
    for sizes in ([[3, 5, 2, 4], [2, 6]] if hidden else [[3, 5, 2], [4, 2, 5, 3]]):
        jacs = [rng.standard_normal((sizes[k + 1], sizes[k])) for k in range(len(sizes) - 1)]
        alternating = [(3, 5)[k % 2] for k in range(len(sizes))]
        probe = [rng.standard_normal((alternating[k + 1], alternating[k])) for k in range(len(sizes) - 1)]
        shapes = lambda js: [J.shape for J in js]  # noqa: E731
        context = (tr(' for Jacobians of shapes {shapes_jacs}', shapes_jacs=shapes(jacs)) if len(jacs) > 1
                   else tr(' for a list of one Jacobian, of shape {jacs_0_shape}', jacs_0_shape=jacs[0].shape))
        probe_context = tr('with Jacobians of shapes {shapes_probe}', shapes_probe=shapes(probe))
        _attempt(lambda: _chain_case(fn, jacs, what, context), what=what, context=context,
                 probe=lambda: _chain_case(fn, probe, what, tr(" for Jacobians of shapes {shapes_jacs}", shapes_jacs=shapes(probe))),
                 probe_context=probe_context, hint=CHAIN_SIZES, cite=2)
    # one function: its own Jacobian
    _attempt(lambda: _chain_case(fn, jacs[:1], what, tr(" for a list of one Jacobian")), what=what,
             context=tr(' for a list of one Jacobian'), hint=CHAIN_SIZES, cite=2)


def _net_inputs(hidden, base, sizes=None):
    rng = _rng(hidden, base)
    d, h, m = sizes or ((5, 3, 4) if hidden else (4, 5, 3))
    return (rng.standard_normal(d), rng.standard_normal((h, d)), rng.standard_normal(h) * 0.5,
            rng.standard_normal((m, h)), rng.standard_normal(m) * 0.5)


def _net_jacobian(x, W1, b1, W2, b2, *, d1=True, d2=True, at_output=False, at_x=False, reverse=False,
                  T=False, forward=None):
    """D2 W2 D1 W1 and its named variants: an activation Jacobian left out, sigma' taken at the
    outputs (or layer 1's at x), the factors in the reverse order W1 D1 W2 D2, W.T for W, a slip in
    the forward pass that feeds sigma' (``_net``)."""
    z1, h1, z2, h2 = _net(x, W1, b1, W2, b2, forward)
    n1, n2 = z1.size, z2.size
    D1 = np.diag(_dsigmoid(x if at_x else h1 if at_output in (True, "1") else z1)) if d1 else np.eye(n1)
    D2 = np.diag(_dsigmoid(h2 if at_output in (True, "2") else z2)) if d2 else np.eye(n2)
    factors = [W1.T if T else W1, D1, W2.T if T else W2, D2]
    return np.linalg.multi_dot(factors) if reverse else _product(factors)


BIAS = N_("you left {which} out of the forward pass. A bias adds nothing to the product of Jacobians "
        "(its derivative with respect to x is 0), but it shifts the pre-activation, and sigma' is "
        "evaluated there: z1 = W1 x + b1, z2 = W2 h1 + b2.")


def _network_mistakes(J):
    """Rows for a two-layer network; J(x, W1, b1, W2, b2, **variant) is the matrix to compare."""
    missing = N_("you left out the activation's Jacobian diag(sigma'(z)) of {which}: J = D2 W2 D1 W1.")

    hints = {"missing_activation_jacobian": 2, "activation_at_output": 2, "activation_at_wrong_point": 2,
             "composition_order": 3, "used_W_T": 3}

    def row(key, sentence, **variant):
        return like(key, sentence, _safe(lambda ev: J(*ev.inputs[:5], **variant)), hint=hints[key])

    def no_bias(which):
        def wrong(ev):
            x, W1, b1, W2, b2 = ev.inputs[:5]
            return J(x, W1, 0 * b1 if "b1" in which else b1, W2, 0 * b2 if "b2" in which else b2)
        return like("bias_left_out", tr(BIAS, which=tr(which) if which == "b1 and b2" else which), _safe(wrong),
                    hint=1)

    return [
        row("missing_activation_jacobian", tr(missing, which=tr("both layers")), d1=False, d2=False),
        row("missing_activation_jacobian", tr(missing, which=tr("layer 1")), d1=False),
        row("missing_activation_jacobian", tr(missing, which=tr("layer 2")), d2=False),
        row("activation_at_output", N_("sigma' must be evaluated at the pre-activation z = W h + b, "
                                    "not at the layer's output h = sigma(z)."), at_output=True),
        row("activation_at_output", N_("sigma' of layer 1 must be evaluated at its pre-activation z1 = W1 x + b1, "
                                    "not at its output h1 = sigma(z1): sigmoid_jacobian(z1)."), at_output="1"),
        row("activation_at_output", N_("sigma' of layer 2 must be evaluated at its pre-activation z2 = W2 h1 + b2, "
                                    "not at its output h2 = sigma(z2): sigmoid_jacobian(z2)."), at_output="2"),
        row("activation_at_wrong_point", N_("sigma' of layer 1 is evaluated at that layer's own input, the "
                                         "pre-activation z1 = W1 x + b1, not at x."), at_x=True),
        no_bias("b1 and b2"), no_bias("b1"), no_bias("b2"),
        row("composition_order", ORDER, reverse=True),
        row("composition_order", tr("{order} Also, {missing}", order=translated(ORDER), missing=tr(missing, which=tr("layer 2"))), reverse=True, d2=False),
        row("composition_order", tr("{order} Also, {missing}", order=translated(ORDER), missing=tr(missing, which=tr("layer 1"))), reverse=True, d1=False),
        row("composition_order", tr("{order} Also, {missing}", order=translated(ORDER), missing=tr(missing, which=tr("both layers"))), reverse=True,
            d1=False, d2=False),
        row("used_W_T", N_("for z = W h the Jacobian with respect to h is W itself (J[i, j] = W[i, j], "
                        "one row per output), not W.T: check linear_jacobian."), T=True),
    ] + [like(key, tr("the forward pass is wrong, and the Jacobian with it: {says}.", says=translated(says)),
              _safe(lambda ev, slip=slip: J(*ev.inputs[:5], forward=slip)), hint=1)
         for slip, (key, says) in FORWARD_SLIPS.items()]


@EXERCISES.check("network_jacobian", uses=("linear_jacobian", "sigmoid_jacobian", "chain_jacobian"))
def network_jacobian(fn, *, hidden=False):
    what = _name(fn, "network_jacobian")
    transposed = N_("J^T where J was asked: J = dh2/dx has one row per output h2_i and one column "
                    "per input x_j.")

    def case(inputs, context):
        raw = call(fn, *[a.copy() for a in inputs], what=what)
        _matrix(what, raw, _net_jacobian(*inputs), transposed=transposed,
                mistakes=_network_mistakes(_net_jacobian), inputs=inputs, context=context, hint=3)

    square = _net_inputs(hidden, 665, sizes=(4, 4, 4))
    for base, sizes in ((660, None), (662, (2, 6, 3) if hidden else (3, 6, 2))):
        inputs = _net_inputs(hidden, base, sizes=sizes)
        x, _, b1, _, b2 = inputs
        context = tr(' for x of size {x_size}, hidden size {b1_size}, output size {b2_size}', x_size=x.size, b1_size=b1.size, b2_size=b2.size)
        _attempt(lambda: case(inputs, context), what=what, context=context,
                 probe=lambda: case(square, tr(" for x, hidden and output all of size 4")),
                 probe_context=tr('with x, hidden and output all of size 4'),
                 hint=tr("W1 is (n1, n0), W2 is (n2, n1), diag(sigma'(z_n)) is (n_n, n_n)"), cite=2)


# --- 5. vector-Jacobian products ------------------------------------------------------------------

# check_layer takes the rows of a 2-D first input as a batch; these inputs are single vectors
# and matrices, so no "N times too large" diagnosis applies (0 matches no batch size).
NO_BATCH = 0

JV = N_("you computed J v; a VJP multiplies by the transpose, J^T v (= v @ J): v has one entry per "
      "OUTPUT, the result one per INPUT. For z = W x that is W.T @ v; for a batch row z = x @ W, W @ v.")


def _vjp_shapes(vjp, reference, xs, names, wrt, shapes, seed, what, context):
    """A VJP whose result has the wrong shape, compared with the named wrong answers of other shapes
    that ``shapes(xs, v)`` gives: {gradient name: [(key, sentence, wrong answer (a function of
    nothing), hint)]}.  Any other outcome is left to check_layer."""
    v = np.random.default_rng([seed, 0x5A4E]).standard_normal(np.shape(reference(*xs)))
    result = call(vjp, *[x.copy() for x in xs], v.copy(), what=what)
    wrt = list(range(len(xs))) if wrt is None else list(wrt)
    grads = (result,) if len(wrt) == 1 else result
    if not isinstance(grads, (tuple, list)) or len(grads) != len(wrt):
        return
    candidates = shapes(xs, v)
    for g, i in zip(grads, wrt):
        name = "d" + names[i]
        try:
            mine = np.asarray(g, dtype=np.float64)
        except (TypeError, ValueError):
            return
        if mine.shape == xs[i].shape:
            continue
        for key, sentence, wrong, cited in candidates.get(name, ()):
            try:                      # a wrong answer that does not exist for these shapes matches nothing
                with np.errstate(all="ignore"):
                    wrong = np.asarray(wrong(), dtype=np.float64)
            except (ValueError, IndexError):
                continue
            if wrong.shape == mine.shape and relative_error(mine, wrong) <= GRAD_RTOL:
                raise CheckFailed(tr("{what}{context}: {name} has shape {mine_shape} but {xs_i_shape} was expected (the shape "
                                     "of {names_i}): {sentence}",
                                     what=what, context=context, name=name, mine_shape=mine.shape, xs_i_shape=xs[i].shape, names_i=names[i], sentence=translated(sentence)), key=key, hint=cited)


def _vjp_check(vjp, reference, inputs, names, wrt, mistakes, seed, what, *, context="",
               probe_inputs=None, probe_context="", hint="", cite=None, shapes=None):
    """The learner's VJP as the backward of ``reference``, through check_layer.  When a product
    inside it fails on shapes, the same check runs on ``probe_inputs`` (square: every product
    fits, J v too) to find out why.  ``shapes(xs, v)``: named wrong answers whose shape is not
    the gradient's (see ``_vjp_shapes``), tried first."""
    def run(xs):
        if shapes is not None:
            _vjp_shapes(vjp, reference, xs, names, wrt, shapes, seed, what,
                        context if xs is inputs else " " + probe_context)
        forward, backward = _as_layer(vjp, reference, what)
        try:
            check_layer(forward, backward, *xs, wrt=wrt, names=names, mistakes=mistakes, seed=seed,
                        batch=NO_BATCH, quiet=True)
        except CheckFailed as exc:
            _as_vjp_words(exc, what, names)
            raise
    probe = (lambda: run(probe_inputs)) if probe_inputs is not None else None
    _attempt(lambda: run(inputs), what=what, context=context, probe=probe,
             probe_context=probe_context, hint=hint, cite=cite)


def _as_vjp_words(exc, what, names):
    """check_layer speaks of a layer's cache and dout; a VJP here receives its inputs and v. An
    input or v edited in place is reported in those words (the engine runs the VJP twice on the
    same arrays, so an edit shows as a changed cache or a changed dout)."""
    text = str(exc)
    if exc.key == "mutated_cache":
        name = next((n for n in names if f"the cached {n}" in text or tr("the cached {name}", name=n) in text), None)
        edited = tr("its input {name}", name=name) if name else tr("one of its inputs")
        raise CheckFailed(tr("{what} changed {edited} in place: a second call with the same inputs gave another "
                             "result. Compute new arrays instead ({name_or_z} *= ... or {name_or_z}[...] = ... edits "
                             "the caller's array).",
                             what=what, edited=edited, name_or_z=name or 'z'), key="mutated_input") from None
    if exc.key == "mutated_input" and ("changed dout in place" in text or "dout" in text.splitlines()[0]):
        raise CheckFailed(tr("{what} changed v in place: compute a new array (v * s, not v *= s); the caller may "
                             "still need v.",
                             what=what), key="mutated_input") from None


@EXERCISES.check("sigmoid_vjp")
def sigmoid_vjp(fn, *, hidden=False):
    what = _name(fn, "sigmoid_vjp")
    rng = _rng(hidden, 700)
    s = lambda ev: _sigmoid(ev.inputs[0])  # noqa: E731
    mistakes = [
        like("missing_sigmoid_derivative", "you forgot the sigmoid derivative: J^T v = sigma'(z) * v "
                                           "with sigma' = sigma(1 - sigma).", lambda ev: ev.dout, hint=2),
        like("missing_sigmoid_derivative", "you multiplied v by sigma(z); the derivative is "
                                           "sigma(z)(1 - sigma(z)).", lambda ev: ev.dout * s(ev), hint=2),
        like("used_z_as_s", "sigma' = s (1 - s) is written in the sigmoid's OUTPUT s = sigmoid(z); you "
                            "used z itself (notebook 01's sigmoid_backward received s): compute "
                            "s = sigmoid(z) first.", lambda ev: ev.dout * ev.inputs[0] * (1 - ev.inputs[0]), hint=2),
        like("diagonal_summed", "J^T v for a diagonal J is v * diag(J), entry by entry; you summed "
                                "over v.", lambda ev: np.sum(ev.dout) * _dsigmoid(ev.inputs[0]), hint=1),
        like("softmax_formula", "yours is s * (v - v.s), softmax's VJP. The sigmoid is elementwise (its "
                                "Jacobian is diagonal, no -s s^T term), so J^T v = sigma'(z) * v = s (1 - s) v.",
             lambda ev: s(ev) * (ev.dout - np.dot(ev.dout, s(ev))), hint=1),
        like("precedence", "yours computes v * s * 1 - s: without parentheses, * comes before -, so the "
                           "1 - s factor is lost. Write v * s * (1 - s).",
             lambda ev: ev.dout * s(ev) - s(ev), hint=3),
        like("precedence", "yours computes v * s - s**2: without parentheses only the first term of "
                           "s - s^2 is multiplied by v. Write v * (s - s**2) or v * s * (1 - s).",
             lambda ev: ev.dout * s(ev) - s(ev) ** 2, hint=3),
        like("arguments_swapped", "sigmoid_vjp(z, v) gets the sigmoid's input z first and the upstream "
                                  "gradient v second; yours uses them the other way round, sigma'(v) * z. "
                                  "J^T v = sigma'(z) * v.", lambda ev: ev.inputs[0] * _dsigmoid(ev.dout), hint=2),
    ] + [like(key, tr("J^T v = sigma'(z) * v with sigma'(z) = s (1 - s); {says}.", says=translated(says)),
              lambda ev, key=key: ev.dout * _dsigmoid_form(ev.inputs[0], key), hint=2)
         for key, says, _ in _dsigmoid_forms(np.zeros(1))]
    for k, size in enumerate((7, 4) if hidden else (6, 3)):
        z = rng.uniform(-3.0, 3.0, size=size)
        _vjp_check(fn, _sigmoid, [z], ["z"], None, mistakes, (17 if hidden else 16) + 10 * k, what,
                   context=tr(' for z of size {size}', size=size))
    _no_full_jacobian(fn, (rng.uniform(-3, 3, VJP_MEMORY_D), rng.standard_normal(VJP_MEMORY_D)), what)


@EXERCISES.check("linear_vjp")
def linear_vjp(fn, *, hidden=False):
    what = _name(fn, "linear_vjp")
    rng = _rng(hidden, 710)
    square = rng.standard_normal((4, 4)), rng.standard_normal(4)
    for shape in [(4, 4)] + ([(2, 6), (5, 3)] if hidden else [(3, 5), (6, 2)]):
        W, x = (square if shape == (4, 4) else (rng.standard_normal(shape), rng.standard_normal(shape[1])))
        _vjp_check(fn, lambda W, x: W @ x, [W, x], ["W", "x"], [1], [
            like("jv_not_vjp", JV, lambda ev: ev.inputs[0] @ ev.dout, hint=2),
            like("summed_wrong_axis", LINEAR_AXIS, _safe(lambda ev: ev.dout * ev.inputs[0].sum(axis=1)), hint=2),
            like("inverse_not_transpose", tr(INVERSE, transpose="W.T @ v", inverse="np.linalg.pinv(W) @ v"),
                 _safe(lambda ev: np.linalg.pinv(ev.inputs[0]) @ ev.dout), hint=1),
            like("used_x", "yours is W.T @ x: a VJP multiplies the upstream gradient v, not the layer's "
                           "input x (which J = W does not contain): W.T @ v.",
                 _safe(lambda ev: ev.inputs[0].T @ ev.inputs[1]), hint=2),
            like("used_x", "yours is (W.T @ v) * x: J = W does not contain x (z is linear in x), so the "
                           "VJP has no factor x: W.T @ v.", lambda ev: (ev.inputs[0].T @ ev.dout) * ev.inputs[1],
                 hint=2),
        ], 18 if hidden else 17, what, context=tr(' for W of shape {shape}', shape=shape), probe_inputs=list(square),
            probe_context=tr('with a square W of shape (4, 4)'), hint=tr('W is (m, n), x and the result (n,), v (m,)'),
            cite=2, shapes=_linear_vjp_shapes)


LINEAR_AXIS = N_("W.T @ v adds v_i W[i, j] over the outputs i, axis 0 of W; yours adds over axis 1, which "
               "gives v_i times the sum of row i: np.sum(W * v[:, None], axis=0) is W.T @ v.")
INVERSE = N_("a VJP multiplies by the transpose of J, {transpose}; yours uses the inverse, {inverse}. Going backward sends "
           "the gradient back along the same edges, weighted by the same W; it does not undo the map.")


def _linear_vjp_shapes(xs, v):
    W, x = xs
    weight = N_("{w} is the gradient with respect to W (section 5's dW = v x^T), of W's shape; linear_vjp "
              "returns the gradient with respect to x, one entry per input: W.T @ v.")
    return {"dx": [
        ("returned_weight_gradient", tr(weight, w="np.outer(v, x)"), lambda: np.outer(v, x), 2),
        ("returned_weight_gradient", tr(weight, w=tr("np.outer(x, v), the transpose of v x^T,")),
         lambda: np.outer(x, v), 2),
        ("summed_wrong_axis", LINEAR_AXIS, lambda: v * W.sum(axis=1), 2),
        ("not_summed", N_("W * v[:, None] holds the terms v_i W[i, j]; the VJP adds them over the outputs i: "
                          "np.sum(W * v[:, None], axis=0), which is W.T @ v."), lambda: W * v[:, None], 2),
    ]}


@EXERCISES.check("row_linear_vjp")
def row_linear_vjp(fn, *, hidden=False):
    what = _name(fn, "row_linear_vjp")
    rng = _rng(hidden, 720)
    square = rng.standard_normal(4), rng.standard_normal((4, 4))
    for shape in ([(6, 2), (3, 5)] if hidden else [(5, 3), (2, 6)]) + [(4, 4)]:
        x, W = (square if shape == (4, 4) else (rng.standard_normal(shape[0]), rng.standard_normal(shape)))
        _vjp_check(fn, lambda x, W: x @ W, [x, W], ["x", "W"], None, [
            like("jv_not_vjp", "dx = W @ v (= v @ W.T): v has one entry per output z_i, dx one per "
                               "input x_j; you multiplied by W the other way round.",
                 lambda ev: ev.dout @ ev.inputs[1], grads="dx", hint=1),
            like("dW_transposed", "dW[j, i] = x_j v_i: dW = np.outer(x, v), with the shape of W; "
                                  "yours is np.outer(v, x).",
                 lambda ev: np.outer(ev.dout, ev.inputs[0]), grads="dW", hint=2),
            like("summed_wrong_axis", ROW_AXIS, _safe(lambda ev: ev.dout * ev.inputs[1].sum(axis=0)),
                 grads="dx", hint=3),
            like("inverse_not_transpose", tr(INVERSE, transpose="dx = W @ v", inverse="v @ np.linalg.pinv(W)"),
                 _safe(lambda ev: ev.dout @ np.linalg.pinv(ev.inputs[1])), grads="dx", hint=1),
            like("dW_uses_dx", tr(DW_DX, yours="np.outer(dx, v)", right="x"),
                 lambda ev: np.outer(ev.inputs[1] @ ev.dout, ev.dout), grads="dW", hint=2),
        ], 19 if hidden else 18, what, context=tr(' for x of size {shape_0}, W of shape {shape}', shape_0=shape[0], shape=shape),
            probe_inputs=list(square), probe_context=tr('with a square W of shape (4, 4)'),
            hint=tr('x is (n,), W and dW (n, m), v (m,)'), cite=3, shapes=_row_linear_vjp_shapes)


ROW_AXIS = N_("dx = W @ v adds W[j, i] v_i over the outputs i, axis 1 of W; yours adds over axis 0, which "
            "gives v_i times the sum of column i.")
DW_DX = N_("dW[j, i] = x_j v_i: dW = np.outer(x, v), the input x on the weight's edge times the upstream "
         "gradient v; yours is {yours}, with the input gradient dx where {right} belongs.")


def _row_linear_vjp_shapes(xs, v):
    x, W = xs
    return {
        "dx": [("summed_wrong_axis", ROW_AXIS, lambda: v * W.sum(axis=0), 3)],
        "dW": [("dW_uses_dx", tr(DW_DX, yours="np.outer(x, dx)", right="v"), lambda: np.outer(x, W @ v), 2),
               ("elementwise_not_outer", N_("x * v multiplies entry by entry and gives a vector; dW[j, i] = "
                                            "x_j v_i needs every pair (j, i): np.outer(x, v), of W's shape."),
                lambda: x * v, 3)],
    }


@EXERCISES.check("softmax_vjp", uses=("softmax",))
def softmax_vjp(fn, *, hidden=False):
    what = _name(fn, "softmax_vjp")
    rng = _rng(hidden, 730)
    sm = lambda ev: _softmax(ev.inputs[0])  # noqa: E731
    mistakes = [
        like("softmax_as_elementwise",
             "softmax treated as elementwise: v * s * (1 - s) uses only the diagonal of J. With the "
             "full J = diag(s) - s s^T: J^T v = s * (v - v.s).",
             lambda ev: ev.dout * sm(ev) * (1 - sm(ev)), hint=1),
        like("missing_outer", "J^T v = s * (v - v.s): the term from -s s^T (subtracting v.s = "
                              "np.dot(v, s)) is missing.", lambda ev: ev.dout * sm(ev), hint=2),
        like("unweighted_sum", "subtract the s-weighted sum v.s = np.dot(v, s), not sum(v).",
             lambda ev: sm(ev) * (ev.dout - np.sum(ev.dout)), hint=2),
        like("missing_s_factor", "J^T v = s * (v - v.s): the factor s (from diag(s) and from s s^T) is "
                                 "missing; yours is v - v.s.", lambda ev: ev.dout - np.dot(ev.dout, sm(ev)), hint=2),
        like("missing_s_factor", "J^T v = s * (v - v.s) = s * v - s (v.s): the second term keeps its factor "
                                 "s (it comes from s s^T v = s (s.v)); yours is s * v - v.s.",
             lambda ev: sm(ev) * ev.dout - np.dot(ev.dout, sm(ev)), hint=2),
        like("missing_s_factor", "J^T v = s * (v - v.s) = s * v - s (v.s): the first term keeps its factor "
                                 "s (it comes from diag(s) v = s * v); yours is v - s (v.s).",
             lambda ev: ev.dout - sm(ev) * np.dot(ev.dout, sm(ev)), hint=2),
        like("precedence", "yours computes s * v - s * v @ s: * and @ have the same precedence and are read "
                           "from the left, so s * v @ s is (s * v) @ s, the number sum_i s_i^2 v_i. Write "
                           "s * (v - np.dot(v, s)).",
             lambda ev: sm(ev) * ev.dout - (sm(ev) * ev.dout) @ sm(ev), hint=3),
        like("cross_entropy_shortcut", tr(CE_SHORTCUT, yours="s - v"), lambda ev: sm(ev) - ev.dout, hint=2),
        like("cross_entropy_shortcut", tr(CE_SHORTCUT, yours="v - s"), lambda ev: ev.dout - sm(ev), hint=2),
        like("arguments_swapped", "softmax_vjp(z, v) gets the scores z first and the upstream gradient v "
                                  "second; yours uses them the other way round (softmax of v). "
                                  "J^T v = s * (v - v.s) with s = softmax(z).",
             lambda ev: _softmax(ev.dout) * (ev.inputs[0] - np.dot(ev.inputs[0], _softmax(ev.dout))), hint=2),
    ]
    for k, size in enumerate((6, 3) if hidden else (5, 2)):
        z = rng.uniform(-2.0, 2.0, size=size)
        _vjp_check(fn, _softmax, [z], ["z"], None, mistakes, (21 if hidden else 20) + 10 * k, what,
                   context=tr(' for z of size {size}', size=size))
    big = (np.array([-900.0, 750.0, 751.0, -950.0]) if hidden
           else np.array([-1000.0, 999.0, 1000.0, 998.0, -1000.0, -990.0]))
    for z, where in ((big, tr(" for z around 1000")), (LOW_SCORES[hidden], tr(" for z around -1000"))):
        v = np.array([0.5, -1.0, 2.0, 0.25, -0.75, 1.5])[:z.size]
        try:
            raw = call(fn, z.copy(), v.copy(), what=what)
        except CheckFailed as exc:
            _unstable(what, exc, cite=3, z=z)
        check_answer(what, raw, _softmax_jacobian(z).T @ v, name="dz", context=where)
    _no_full_jacobian(fn, (rng.uniform(-3, 3, VJP_MEMORY_D), rng.standard_normal(VJP_MEMORY_D)), what)


CE_SHORTCUT = N_("yours is {yours}: softmax followed by the cross-entropy with v as its one-hot target has the "
               "gradient s - v (notebook 03's delta y - t), but a VJP of softmax alone multiplies v by the "
               "softmax Jacobian: J^T v = s * (v - v.s).")


def _residual_vjp(x, W, b, v, *, skip=True, layer=True, T=True, d=True, bias=True, at_x=False,
                  reverse=False, inside=False):
    """v + W.T (sigma'(W x + b) * v) and its named variants: ``reverse`` applies W.T before sigma',
    ``inside`` sends the skip path's v through the layer's VJP too."""
    z = x if at_x else W @ x + (b if bias else 0)
    if reverse:
        return (v if skip else 0) + _dsigmoid(z) * ((W.T if T else W) @ v)
    u = v * _dsigmoid(z) if d else v
    if inside:
        return (W.T if T else W) @ (u + v)
    return (v if skip else 0) + ((W.T if T else W) @ u if layer else 0)


@EXERCISES.check("residual_vjp", uses=("sigmoid_vjp", "linear_vjp"))
def residual_vjp(fn, *, hidden=False):
    what = _name(fn, "residual_vjp")
    rng = _rng(hidden, 740)
    hints = {"branch_not_summed": 1, "jv_not_vjp": 2, "missing_sigmoid_derivative": 2, "bias_left_out": 2,
             "activation_at_wrong_point": 2, "vjp_order": 2, "branch_added_inside": 3}

    def row(key, sentence, **variant):
        return like(key, sentence, lambda ev: _residual_vjp(*ev.inputs, ev.dout, **variant), hint=hints[key])

    branch = (tr("forgetting that gradients add at a branch: x reaches y along two paths, the skip connection and the layer, so dx = v + W.T @ (sigma'(z) * v)."))
    mistakes = [
        row("branch_not_summed", branch, skip=False),
        row("branch_not_summed", branch, layer=False),
        row("jv_not_vjp", N_("in the layer path use W.T: dx = v + W.T @ (sigma'(z) * v); yours has W."), T=False),
        row("missing_sigmoid_derivative", N_("you forgot the sigmoid derivative in the layer path: "
                                          "dx = v + W.T @ (sigma'(z) * v)."), d=False),
        row("bias_left_out", N_("you left b out: sigma' is evaluated at z = W x + b. The bias adds "
                             "nothing to the product, but it shifts z, where sigma' is taken."), bias=False),
        row("activation_at_wrong_point", N_("sigma' is evaluated at the layer's pre-activation "
                                         "z = W x + b, not at x."), at_x=True),
        row("vjp_order", N_("in the layer path the VJPs run from the output back: the sigmoid was applied "
                         "last, so its VJP comes first, W.T @ (sigma'(z) * v); yours applies W.T first, "
                         "sigma'(z) * (W.T @ v)."), reverse=True),
        row("branch_added_inside", N_("the two paths are added too early: the skip path's gradient v goes "
                                   "straight to x, dx = v + W.T @ (sigma'(z) * v); yours sends v through "
                                   "the layer's W.T as well, W.T @ (sigma'(z) * v + v)."), inside=True),
        like("skip_passes_x", "the skip path y = x + ... passes the upstream gradient back unchanged "
                              "(its Jacobian is the identity, so its VJP is v), not x: "
                              "dx = v + W.T @ (sigma'(z) * v).",
             lambda ev: ev.inputs[0] + _residual_vjp(*ev.inputs, ev.dout, skip=False), hint=2),
    ]
    for k, d in enumerate((6, 2) if hidden else (5, 3)):
        x, W, b = rng.standard_normal(d), rng.standard_normal((d, d)), rng.standard_normal(d) * 0.5
        _vjp_check(fn, lambda x, W, b: x + _sigmoid(W @ x + b), [x, W, b], ["x", "W", "b"], [0], mistakes,
                   (23 if hidden else 22) + 10 * k, what, context=tr(' for x of size {d}', d=d),
                   hint=tr('W is (n, n); x, b, v and the result are (n,)'))


def _net_vjp(x, W1, b1, W2, b2, v, *, d1=True, d2=True, at_output=False, T=True, forward_order=False,
             forward=None):
    """W1.T (sigma'(z1) * W2.T (sigma'(z2) * v)) and its named variants."""
    z1, h1, z2, h2 = _net(x, W1, b1, W2, b2, forward)
    g1 = _dsigmoid(h1 if at_output in (True, "1") else z1) if d1 else 1.0
    g2 = _dsigmoid(h2 if at_output in (True, "2") else z2) if d2 else 1.0
    t = (lambda M: M.T) if T else (lambda M: M)
    if forward_order:                 # W1 first, as in the forward pass
        return g2 * (t(W2) @ (g1 * (t(W1) @ v)))
    return t(W1) @ (g1 * (t(W2) @ (g2 * v)))


def _network_vjp_mistakes():
    missing = N_("you left out sigma'(z) of {which}: dx = W1.T @ (sigma'(z1) * (W2.T @ (sigma'(z2) * v))).")

    hints = {"missing_activation_derivative": 2, "activation_at_output": 2, "bias_left_out": 1, "jv_not_vjp": 2,
             "vjp_order": 1}

    def row(key, sentence, b1=True, b2=True, **variant):
        def wrong(ev):
            x, W1, B1, W2, B2 = ev.inputs
            return _net_vjp(x, W1, B1 if b1 else 0 * B1, W2, B2 if b2 else 0 * B2, ev.dout, **variant)
        return like(key, sentence, _safe(wrong), hint=hints[key])

    return [
        row("missing_activation_derivative", tr(missing, which=tr("both layers")), d1=False, d2=False),
        row("missing_activation_derivative", tr(missing, which=tr("layer 1")), d1=False),
        row("missing_activation_derivative", tr(missing, which=tr("layer 2")), d2=False),
        row("activation_at_output", N_("sigma' must be evaluated at the pre-activations z1, z2, not at "
                                    "the outputs h1, h2."), at_output=True),
        row("activation_at_output", N_("sigma' of layer 1 must be evaluated at its pre-activation z1, not at its "
                                    "output h1: sigmoid_vjp(z1, ...)."), at_output="1"),
        row("activation_at_output", N_("sigma' of layer 2 must be evaluated at its pre-activation z2, not at its "
                                    "output h2: sigmoid_vjp(z2, v)."), at_output="2"),
        row("bias_left_out", tr(BIAS, which=tr("b1 and b2")), b1=False, b2=False),
        row("bias_left_out", tr(BIAS, which="b1"), b1=False),
        row("bias_left_out", tr(BIAS, which="b2"), b2=False),
        row("jv_not_vjp", N_("each linear step of a VJP multiplies by W.T, not W: dx = W1.T @ (sigma'(z1) "
                          "* (W2.T @ (sigma'(z2) * v)))."), T=False),
        row("vjp_order", N_("apply the VJPs from the output back, in the reverse order of the forward "
                         "pass: sigmoid of layer 2, then W2, then sigmoid of layer 1, then W1. Yours "
                         "starts at W1, as the forward pass does."), forward_order=True),
    ] + [like(key, tr("the forward pass is wrong, and the VJP with it: {says}.", says=translated(says)),
              _safe(lambda ev, slip=slip: _net_vjp(*ev.inputs, ev.dout, forward=slip)), hint=3)
         for slip, (key, says) in FORWARD_SLIPS.items()]


@EXERCISES.check("network_vjp", uses=("sigmoid_vjp", "linear_vjp"))
def network_vjp(fn, *, hidden=False):
    what = _name(fn, "network_vjp")
    square = _net_inputs(hidden, 755, sizes=(4, 4, 4))
    for k, sizes in enumerate((None, (2, 6, 3) if hidden else (3, 6, 2))):
        inputs = _net_inputs(hidden, 750 + k, sizes=sizes)
        x, _, b1, _, b2 = inputs
        _vjp_check(fn, lambda *a: _net(*a)[3], list(inputs), ["x", "W1", "b1", "W2", "b2"], [0],
                   _network_vjp_mistakes(), (25 if hidden else 24) + 10 * k, what,
                   context=tr(' for x of size {x_size}, hidden size {b1_size}, output size {b2_size}', x_size=x.size, b1_size=b1.size, b2_size=b2.size),
                   probe_inputs=list(square), probe_context=tr('with x, hidden and output all of size 4'),
                   hint=tr('W1 is (n1, n0), W2 is (n2, n1); v and the VJP through layer 2 are (n2,), through layer 1 (n1,), dx (n0,)'), cite=2)
    # at a width where building the (n2, n0) Jacobian costs 32 MB, and W1, W2 stay small
    n0, n1, n2 = VJP_NETWORK_SIZES
    rng = _rng(hidden, 756)
    big = (rng.standard_normal(n0), rng.standard_normal((n1, n0)) / np.sqrt(n0), rng.standard_normal(n1) * 0.5,
           rng.standard_normal((n2, n1)) / np.sqrt(n1), rng.standard_normal(n2) * 0.5, rng.standard_normal(n2))
    _no_full_jacobian(fn, big, what, network=True)


# --- 6. seed 004: f(x, W) = ||W x||^2 ------------------------------------------------------------

SEED_W = np.array([[0.1, 0.5], [-0.3, 0.8]])
SEED_X = np.array([0.2, 0.4])
# Only 0.44 and 0.52 are in the seed note; the rest are on CS231n lecture 4's slides.
SEED_LINES = N_("seed note (CS231n lecture 4): df/dq = [0.44, 0.52]\n"
              "lecture 4's slides:           f = 0.116, dW = [[0.088, 0.176], [0.104, 0.208]], "
              "dx = [-0.112, 0.636]")


def _rounded(value):
    try:
        a = np.round(np.asarray(value, dtype=np.float64), 3)
    except (TypeError, ValueError):
        return repr(value)
    return f"{float(a):.3f}" if a.ndim == 0 else str(a.tolist())


def _seed_side_by_side(forward, backward, fwd, bwd):
    """The seed's numbers and, if the learner's code produces them, the learner's."""
    try:
        f, cache = call(forward, SEED_W.copy(), SEED_X.copy(), what=fwd)
        dW, dx = call(backward, 1.0, cache, what=bwd)
    except (CheckFailed, TypeError, ValueError):
        return translated(SEED_LINES)
    return (translated(SEED_LINES) + "\n"
            + tr("yours:                        f = {f}, dW = {dW}, dx = {dx}", f=_rounded(f), dW=_rounded(dW),
                 dx=_rounded(dx)))


def _wx_rows():
    """Named wrong backward passes; dq is what the learner used for df/dq."""
    def dq(ev, kind):
        W, x = ev.inputs
        q = W @ x
        return ev.dout * {"2q": 2 * q, "q": q, "2": 2 + 0 * q, "1": 1 + 0 * q}[kind]

    def dW(kind):
        return lambda ev: np.outer(dq(ev, kind), ev.inputs[1])

    def dx(kind):
        return lambda ev: ev.inputs[0].T @ dq(ev, kind)

    half = N_("{name} is half the right value: d(q_i^2)/dq_i = 2 q_i, and the 2 is missing.")
    constant = N_("d(q_i^2)/dq_i = 2 q_i: you used {k} instead of 2 q.")
    return [
        like("dW_transposed", "df/dW = 2 q x^T: dW[i, j] = 2 q_i x_j (np.outer(q, x)); yours is its "
                              "transpose 2 x q^T.", lambda ev: dW("2q")(ev).T, grads="dW", hint=2),
        like("jv_not_vjp", "df/dx = 2 W^T q: multiply by W.T, not W.",
             _safe(lambda ev: ev.inputs[0] @ dq(ev, "2q")), grads="dx", hint=2),
        like("scaled_half", half, dW("q"), grads="dW", hint=2),
        like("scaled_half", half, dx("q"), grads="dx", hint=2),
    ] + [like("forgot_square_rule", tr(constant, k=k), g(k), grads=n, hint=2)
         for k in ("2", "1") for g, n in ((dW, "dW"), (dx, "dx"))]


def _wx_case(forward, backward, W, x, fwd, bwd, hidden):
    result = call(forward, W.copy(), x.copy(), what=fwd)
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed(tr("{fwd} must return (f, cache), a tuple of 2.", fwd=fwd), key="bad_return")
    q = W @ x
    is_number = tr('f = ||W x||^2 is a number: sum the squares, np.sum(q**2).')
    _matrix(fwd, result[0], np.sum(q ** 2), name="f", context=tr(' for W of shape {W_shape}', W_shape=W.shape), shape_mistakes=[
        ("f_not_summed", tr("{is_number} Yours is the vector q**2, of shape {shape}.", is_number=is_number,
                            shape=q.shape), q ** 2, 1),
        ("f_not_summed", tr("{is_number} Yours is q = W x itself, of shape {shape}.", is_number=is_number,
                            shape=q.shape), q, 1),
    ], mistakes=[
        like("forgot_square", "f = ||W x||^2 is the sum of the SQUARES of q = W x.", lambda ev: np.sum(q), hint=1),
        like("norm_not_squared", "f = ||W x||^2 = sum(q**2), the squared norm, not the norm.",
             lambda ev: np.sqrt(np.sum(q ** 2)), hint=1),
        like("square_of_sum", "f = sum_i q_i^2, the sum of the squares; yours is (sum_i q_i)^2, the "
                              "square of the sum.", lambda ev: np.sum(q) ** 2, hint=1),
        like("row_product", "q = W @ x, W times the column x; x @ W computes W.T @ x.",
             _safe(lambda ev: np.sum((x @ W) ** 2)), hint=1),
    ])
    _wx_dW_shape(forward, backward, W, x, fwd, bwd)
    check_layer(forward, backward, W, x, names=["W", "x"], batch=NO_BATCH, quiet=True,
                seed=27 if hidden else 26, mistakes=_wx_rows(), reference=lambda W, x: np.sum((W @ x) ** 2))


def _wx_dW_shape(forward, backward, W, x, fwd, bwd):
    """dW of another shape than W's, when it is dq times x entry by entry (a vector where the outer
    product belongs); any other shape is left to check_layer."""
    _, cache = call(forward, W.copy(), x.copy(), what=fwd)
    result = call(backward, 1.0, cache, what=bwd)
    if not isinstance(result, tuple) or len(result) != 2:
        return
    try:
        dW = np.asarray(result[0], dtype=np.float64)
        with np.errstate(all="ignore"):
            elementwise = 2 * (W @ x) * x
    except (TypeError, ValueError):
        return
    if dW.shape != W.shape and dW.shape == elementwise.shape and relative_error(dW, elementwise) <= GRAD_RTOL:
        raise CheckFailed(tr("{bwd} for W of shape {W_shape}: dW has shape {dW_shape} but {W_shape} was expected (the "
                             "shape of W): dq * x multiplies entry by entry and gives a vector; dW[i, j] = dq_i x_j "
                             "needs every pair (i, j): np.outer(dq, x), of W's shape.",
                             bwd=bwd, W_shape=W.shape, dW_shape=dW.shape),
                          key="elementwise_not_outer", hint=3)


@EXERCISES.check("wx_norm")
def wx_norm(forward, backward, *, hidden=False):
    fwd, bwd = _name(forward, "wx_norm_forward"), _name(backward, "wx_norm_backward")
    rng = _rng(hidden, 760)
    # square first (a transposed dW or W used for W.T keeps the shape and can be named), then
    # shapes that differ on every axis
    square = rng.standard_normal((3, 3)), rng.standard_normal(3)
    cases = [square] + [(rng.standard_normal(shape), rng.standard_normal(shape[1]))
                        for shape in ([(4, 3), (2, 5)] if hidden else [(3, 4), (5, 2)])]
    if not hidden:
        cases.insert(0, (SEED_W, SEED_X))
    try:
        for W, x in cases:
            _attempt(lambda: _wx_case(forward, backward, W, x, fwd, bwd, hidden), what=f"{fwd}/{bwd}",
                     context=tr(' for W of shape {W_shape}', W_shape=W.shape),
                     probe=lambda: _wx_case(forward, backward, *square, fwd, bwd, hidden),
                     probe_context=tr('with a square W of shape (3, 3)'),
                     hint=tr('W is (m, n), x and dx (n,), q = W x and dq (m,), dW (m, n)'), cite=2)
    except CheckFailed as exc:
        if hidden or exc.key == "not_implemented":
            raise
        raise CheckFailed(f"{exc}\n{_seed_side_by_side(forward, backward, fwd, bwd)}",
                          key=exc.key, keys=exc.keys) from None
    if not hidden:
        print(_seed_side_by_side(forward, backward, fwd, bwd))
