"""Checks for 02_jacobian: Jacobians and vector-Jacobian products.

One check per graded cell.  References are closed forms written here
(diag(s) - s s^T, W, W^T, products of Jacobians, J^T v), never the learner's
own code.  The named mistakes are this notebook's: a Jacobian transposed,
softmax treated as elementwise, the -s s^T term missing, a composition
multiplied in the wrong order, a VJP that returns J v, a VJP that builds the
full Jacobian, a branch whose gradients are not added.

Vectors are 1-D arrays here; a Jacobian is ``J[i, j] = d y_i / d x_j`` of
shape (len(y), len(x)).
"""
import tracemalloc

import numpy as np

from . import Exercises
from .. import check_layer, like
from ..check import check_answer
from ..compare import relative_error
from ..guard import CheckFailed, call
from ..tolerances import GRAD_RTOL
from .reference import sigmoid as _sigmoid, sigmoid_derivative as _dsigmoid, softmax as _softmax

EXERCISES = Exercises("02_jacobian", [
    ("numerical_jacobian", "Numerical Jacobian, column by column", 2),
    ("sigmoid_jacobian", "Jacobian of an elementwise activation (diagonal)", 1),
    ("linear_jacobian", "Jacobian of z = W x", 1),
    ("row_linear_jacobian", "Jacobian of z = x W (one batch row)", 1),
    ("softmax", "Stable softmax", 1),
    ("softmax_jacobian", "Jacobian of softmax: diag(s) - s s^T", 2),
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


# --- references (closed forms) ---------------------------------------------------------------



def _softmax_jacobian(z):
    s = _softmax(z)
    return np.diag(s) - np.outer(s, s)


def _net(x, W1, b1, W2, b2):
    """Seed 000's layers, column vectors: h1 = a(W1 x + b1), h2 = a(W2 h1 + b2)."""
    z1 = W1 @ x + b1
    h1 = _sigmoid(z1)
    z2 = W2 @ h1 + b2
    return z1, h1, z2, _sigmoid(z2)


def _name(fn, default):
    return getattr(fn, "__name__", default)


def _rng(hidden, base):
    return np.random.default_rng(base + (1 if hidden else 0))


# --- helpers: calling, matrices with named shape mistakes, VJPs as layers -----------------

SHAPES_HINT = ("the sizes of a matrix product do not fit: in a product A @ B the columns of A "
               "must match the rows of B.")


def _failed_on_shapes(exc):
    """Did the learner's code raise because a matrix product's sizes do not fit?"""
    text = str(exc)
    return exc.key == "exception" and ("mismatch" in text or "not aligned" in text)


def _call(fn, *args, what, on_shapes=None):
    """call() with a named diagnosis when a matrix product fails on shapes."""
    try:
        return call(fn, *args, what=what)
    except CheckFailed as exc:
        if on_shapes and _failed_on_shapes(exc):
            key, sentence = on_shapes
            raise CheckFailed(f"{what}: {sentence}\n  ({str(exc).splitlines()[0]})", key=key) from None
        raise


def _matrix(what, raw, expected, *, name="J", transposed=None, shape_mistakes=(), mistakes=(),
            inputs=(), context=""):
    """Compare a returned matrix with ``expected``.

    ``transposed``: the sentence for a result equal to expected.T (either shape);
    ``shape_mistakes``: (key, sentence, wrong array) tried when the shape is wrong.
    """
    expected = np.asarray(expected, dtype=np.float64)
    try:
        mine = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        mine = None
    if mine is not None and mine.ndim == 2 and transposed and mine.shape == expected.T.shape \
            and relative_error(mine, expected.T) <= GRAD_RTOL and not _close(mine, expected):
        raise CheckFailed(f"{what}{context}: {transposed}", key="jacobian_transposed")
    if mine is not None and mine.shape != expected.shape:
        for key, sentence, wrong in shape_mistakes:
            wrong = np.asarray(wrong, dtype=np.float64)
            if mine.shape == wrong.shape and relative_error(mine, wrong) <= GRAD_RTOL:
                raise CheckFailed(f"{what}{context}: {sentence}", key=key)
    return check_answer(what, raw, expected, name=name, mistakes=mistakes, inputs=inputs, context=context)


def _close(a, b):
    return a.shape == b.shape and relative_error(a, b) <= GRAD_RTOL


def _unchanged(what, before, after, name, hint):
    if not np.array_equal(before, after):
        raise CheckFailed(f"{what} changed its input {name} in place; {hint}", key="mutated_input")


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


def _no_full_jacobian(vjp, args, what):
    d = np.asarray(args[0]).size
    peak = _peak_bytes(vjp, *args, what=what)
    if peak > VJP_BYTES_PER_ENTRY * d:
        raise CheckFailed(f"{what} built a full Jacobian: for a vector of {d} numbers it used "
                          f"{peak / 1e6:.1f} MB at its peak, about {peak / (8 * d * d):.2g} x "
                          f"{d} x {d} floats. A VJP needs O({d}) memory: combine v with the local "
                          f"derivatives directly, never form J.", key="builds_full_jacobian")


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


DIVIDE_2H = "yours is twice the Jacobian: divide by 2h, the distance between x+h and x-h, not by h."


@EXERCISES.check("numerical_jacobian")
def numerical_jacobian(fn, *, hidden=False):
    what = _name(fn, "numerical_jacobian")
    rng = _rng(hidden, 600)
    # (a) a smooth R^3 -> R^4 function at the default step: J has shape (4, 3)
    x = rng.uniform(-1.0, 1.0, size=3)
    before = x.copy()
    raw = _call(fn, _f_smooth, x, what=what)
    _unchanged(what, before, x, "x", "nudge copies (xp = x.copy(); xp[j] += h) or restore x.")
    truth = _J_smooth(before)
    one_sided = [np.stack([(_f_smooth(before + 1e-5 * e) - _f_smooth(before)) / 1e-5 for e in np.eye(3)], axis=1),
                 np.stack([(_f_smooth(before) - _f_smooth(before - 1e-5 * e)) / 1e-5 for e in np.eye(3)], axis=1)]
    one_sided_says = ("you used a one-sided difference ((f(x+h) - f(x)) / h or (f(x) - f(x-h)) / h); "
                      "the course uses central differences (f(x+h) - f(x-h)) / (2h), whose error is "
                      "O(h^2) instead of O(h).")
    _matrix(what, raw, truth, transposed="J[i, j] = dy_i/dx_j has one ROW per output and one COLUMN "
            "per input: nudging x_j fills column j. Yours is J.T (shape (3, 4) instead of (4, 3)).",
            mistakes=[like("forward_difference", one_sided_says, lambda ev, k=k: one_sided[k]) for k in (0, 1)]
            + [like("divided_by_h", DIVIDE_2H, lambda ev: 2 * truth)],
            context=" for f: R^3 -> R^4")
    # (b) f(x) = A x^3 at h = 0.1, where the central difference is known exactly:
    # ((x+h)^3 - (x-h)^3) / (2h) = 3x^2 + h^2
    h = 0.2 if hidden else 0.1
    A = rng.standard_normal((2, 4))
    x = rng.uniform(-1.0, 1.0, size=4)
    raw = _call(fn, _cubic(A), x.copy(), h, what=what)
    exact_central = A * (3 * x ** 2 + h ** 2)
    mistakes = [
        like("ignores_h", f"numerical_jacobian(f, x, h={h}) must use the step h it is given; yours "
                          f"gives the same result as a tiny step (the exact Jacobian).",
             lambda ev: A * (3 * x ** 2)),
        like("forward_difference", "you used a forward difference (f(x+h) - f(x)) / h; use the "
                                   "central difference (f(x+h) - f(x-h)) / (2h).",
             lambda ev: A * (3 * x ** 2 + 3 * x * h + h ** 2)),
        like("forward_difference", "you used a backward difference (f(x) - f(x-h)) / h; use the "
                                   "central difference (f(x+h) - f(x-h)) / (2h).",
             lambda ev: A * (3 * x ** 2 - 3 * x * h + h ** 2)),
        like("divided_by_h", DIVIDE_2H, lambda ev: 2 * exact_central),
    ]
    _matrix(what, raw, exact_central, transposed="J[i, j] = dy_i/dx_j: nudging x_j fills column j; "
            "yours is J.T.", mistakes=mistakes, context=f" for f(x) = A x^3 with h = {h}")


# --- 2. Jacobians of layers --------------------------------------------------------------------

@EXERCISES.check("sigmoid_jacobian")
def sigmoid_jacobian(fn, *, hidden=False):
    what = _name(fn, "sigmoid_jacobian")
    rng = _rng(hidden, 610)
    z = np.concatenate([rng.uniform(-3.0, 3.0, size=5 if hidden else 4), [800.0, -800.0]])
    raw = _call(fn, z.copy(), what=what)
    d = _dsigmoid(z)
    n = z.size
    _matrix(what, raw, np.diag(d), shape_mistakes=[
        ("diagonal_as_vector", f"you returned the diagonal as a vector of shape ({n},); the Jacobian "
                               f"of a map R^{n} -> R^{n} is a {n} x {n} matrix: put the derivatives on "
                               f"its diagonal (np.diag).", d),
    ], mistakes=[
        like("missing_sigmoid_derivative", "the diagonal holds sigma(z); it must hold the derivative "
                                           "sigma(z)(1 - sigma(z)).", lambda ev: np.diag(_sigmoid(z))),
        like("off_diagonal_nonzero", "an elementwise activation's Jacobian is diagonal: y_i depends on "
                                     "z_i only, so dy_i/dz_j = 0 for i != j.",
             lambda ev: np.tile(d, (n, 1))),
        like("off_diagonal_nonzero", "an elementwise activation's Jacobian is diagonal: y_i depends on "
                                     "z_i only, so dy_i/dz_j = 0 for i != j.",
             lambda ev: np.tile(d[:, None], (1, n))),
        like("off_diagonal_nonzero", "an elementwise activation's Jacobian is diagonal: y_i depends on "
                                     "z_i only, so dy_i/dz_j = 0 for i != j (np.outer is not np.diag).",
             lambda ev: np.outer(d, d)),
    ], context=f" for z of size {n}")


TRANSPOSED_WX = ("J^T where J was asked: for z = W x, z_i = sum_j W[i, j] x_j, so "
                 "J[i, j] = dz_i/dx_j = W[i, j]: J = W, of shape (len(z), len(x)).")
TRANSPOSED_XW = ("J^T where J was asked: for z = x @ W, z_i = sum_j x_j W[j, i], so "
                 "J[i, j] = dz_i/dx_j = W[j, i]: J = W.T, of shape (len(z), len(x)).")


@EXERCISES.check("linear_jacobian")
def linear_jacobian(fn, *, hidden=False):
    what = _name(fn, "linear_jacobian")
    rng = _rng(hidden, 620)
    m, d = (2, 6) if hidden else (3, 5)
    W, x = rng.standard_normal((m, d)), rng.standard_normal(d)
    raw = _call(fn, W.copy(), x.copy(), what=what)
    _matrix(what, raw, W, transposed=TRANSPOSED_WX, mistakes=[
        like("used_x", "the Jacobian with respect to x does not contain x: z is linear in x, "
                       "so dz_i/dx_j = W[i, j].", lambda ev: np.tile(x, (m, 1))),
    ], context=f" for W of shape {W.shape}")
    # square W: a transposed answer has the right shape and must still be found
    W = rng.standard_normal((4, 4))
    raw = _call(fn, W.copy(), rng.standard_normal(4), what=what)
    _matrix(what, raw, W, transposed=TRANSPOSED_WX, context=" for a square W")


@EXERCISES.check("row_linear_jacobian")
def row_linear_jacobian(fn, *, hidden=False):
    what = _name(fn, "row_linear_jacobian")
    rng = _rng(hidden, 630)
    d, m = (6, 2) if hidden else (5, 3)
    x, W = rng.standard_normal(d), rng.standard_normal((d, m))
    raw = _call(fn, x.copy(), W.copy(), what=what)
    _matrix(what, raw, W.T, transposed=TRANSPOSED_XW, context=f" for x of shape {x.shape}, W of shape {W.shape}")
    W = rng.standard_normal((4, 4))
    raw = _call(fn, rng.standard_normal(4), W.copy(), what=what)
    _matrix(what, raw, W.T, transposed=TRANSPOSED_XW, context=" for a square W")


# --- 3. softmax --------------------------------------------------------------------------------

def _softmax_inputs(hidden):
    rng = _rng(hidden, 640)
    z = rng.uniform(-3.0, 3.0, size=6 if hidden else 5)
    big = np.array([1000.0, 999.0, -1000.0, 998.5]) if not hidden else np.array([-900.0, 750.0, 751.0])
    return z, big


def _unstable(what, exc):
    if exc.key in ("warning", "exception") and ("overflow" in str(exc) or "invalid value" in str(exc)):
        raise CheckFailed(f"{what}: exp overflowed for z around 1000. Subtract max(z) first: "
                          f"softmax(z - c) = softmax(z) for any constant c, and then exp only sees "
                          f"numbers <= 0.", key="softmax_overflow") from None
    raise exc


@EXERCISES.check("softmax")
def softmax(fn, *, hidden=False):
    what = _name(fn, "softmax")
    z, big = _softmax_inputs(hidden)
    for v in (z, big):
        before = v.copy()
        try:
            raw = call(fn, v, what=what)
        except CheckFailed as exc:
            _unstable(what, exc)
        _unchanged(what, before, v, "z", "write z - np.max(z) (a new array), not z -= np.max(z).")
        try:
            mine = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            mine = None
        if mine is not None and mine.shape == v.shape and not np.all(np.isfinite(mine)):
            _unstable(what, CheckFailed("overflow", key="warning"))
        e = np.exp(before - before.max())
        check_answer(what, raw, _softmax(before), name="s", context=f" for z = {np.round(before, 3)}", mistakes=[
            like("not_normalized", "divide by the sum: softmax(z)_i = exp(z_i) / sum_j exp(z_j), "
                                   "so the entries add up to 1.", lambda ev: e),
            like("not_normalized", "divide by the sum: softmax(z)_i = exp(z_i) / sum_j exp(z_j), "
                                   "so the entries add up to 1.", lambda ev: np.exp(before)),
        ])


@EXERCISES.check("softmax_jacobian", uses=("softmax",))
def softmax_jacobian(fn, *, hidden=False):
    what = _name(fn, "softmax_jacobian")
    z, big = _softmax_inputs(hidden)
    for v in (z, big):
        try:
            raw = call(fn, v.copy(), what=what)
        except CheckFailed as exc:
            _unstable(what, exc)
        s = _softmax(v)
        diag, outer = np.diag(s), np.outer(s, s)
        _matrix(what, raw, diag - outer, shape_mistakes=[
            ("softmax_as_elementwise", f"you returned a vector of shape {s.shape}; softmax is not "
                                       f"elementwise: every s_i depends on every z_j, so J is a full "
                                       f"{s.size} x {s.size} matrix diag(s) - s s^T.", s * (1 - s)),
        ], mistakes=[
            like("softmax_as_elementwise",
                 "softmax treated as elementwise: you kept only the diagonal s_i(1 - s_i). Every s_i "
                 "depends on every z_j (through the sum), so the off-diagonal entries are -s_i s_j: "
                 "J = diag(s) - s s^T.", lambda ev: np.diag(s * (1 - s))),
            like("missing_outer", "J = diag(s) - s s^T: the term -s s^T (np.outer(s, s)) is missing.",
                 lambda ev: diag),
            like("missing_diag", "J = diag(s) - s s^T: the term diag(s) is missing.", lambda ev: -outer),
            like("outer_sign", "J = diag(s) - s s^T: subtract the outer product, do not add it.",
                 lambda ev: diag + outer),
            like("sign_flipped", "J = diag(s) - s s^T; yours is s s^T - diag(s).", lambda ev: outer - diag),
        ], context=" for z of size %d%s" % (v.size, " around 1000" if v is big else ""))


# --- 4. composition ---------------------------------------------------------------------------

ORDER = ("composition in the wrong order: for y = f_K(...f_2(f_1(x))) the Jacobian is "
         "J_K @ ... @ J_2 @ J_1 (the last function's Jacobian on the LEFT), as in seed 000's "
         "product: dh_N/dh_(N-1) ... dh_(n+1)/dh_n.")


@EXERCISES.check("chain_jacobian")
def chain_jacobian(fn, *, hidden=False):
    what = _name(fn, "chain_jacobian")
    rng = _rng(hidden, 650)
    # square first: a wrong order or an elementwise product computes, and can be named
    square = [rng.standard_normal((4, 4)) for _ in range(3)]
    given = [J.copy() for J in square]
    raw = _call(fn, given, what=what, on_shapes=("composition_order", ORDER))
    if len(given) != 3 or any(not np.array_equal(a, b) for a, b in zip(given, square)):
        raise CheckFailed(f"{what} changed the list it was given (reverse() or pop() work in place); "
                          f"use reversed(jacobians) or a copy.", key="mutated_input")
    J1, J2, J3 = square
    _matrix(what, raw, J3 @ J2 @ J1, mistakes=[
        like("composition_order", ORDER, lambda ev: J1 @ J2 @ J3),
        like("elementwise_product", "multiply Jacobians as matrices (@ or np.matmul), not entry by "
                                    "entry (*).", lambda ev: J1 * J2 * J3),
        like("summed", "the chain rule multiplies the Jacobians; you added them.", lambda ev: J1 + J2 + J3),
        like("missing_factor", "one Jacobian is missing from the product: use all of them.",
             lambda ev: J3 @ J2),
        like("missing_factor", "one Jacobian is missing from the product: use all of them.",
             lambda ev: J2 @ J1),
    ], context=" for three 4 x 4 Jacobians")
    # shapes that differ on every axis: R^3 -> R^5 -> R^2 (-> R^4 for the hidden check)
    sizes = [3, 5, 2, 4] if hidden else [3, 5, 2]
    jacs = [rng.standard_normal((sizes[k + 1], sizes[k])) for k in range(len(sizes) - 1)]
    raw = _call(fn, [J.copy() for J in jacs], what=what, on_shapes=("composition_order", ORDER))
    want = jacs[0]
    for J in jacs[1:]:
        want = J @ want
    _matrix(what, raw, want, context=f" for Jacobians of shapes {[J.shape for J in jacs]}")
    # one function: its own Jacobian
    raw = _call(fn, [jacs[0].copy()], what=what)
    _matrix(what, raw, jacs[0], context=" for a list of one Jacobian")


def _net_inputs(hidden, base):
    rng = _rng(hidden, base)
    d, h, m = (5, 3, 4) if hidden else (4, 5, 3)
    return (rng.standard_normal(d), rng.standard_normal((h, d)), rng.standard_normal(h) * 0.5,
            rng.standard_normal((m, h)), rng.standard_normal(m) * 0.5)


@EXERCISES.check("network_jacobian", uses=("linear_jacobian", "sigmoid_jacobian", "chain_jacobian"))
def network_jacobian(fn, *, hidden=False):
    what = _name(fn, "network_jacobian")
    x, W1, b1, W2, b2 = _net_inputs(hidden, 660)
    raw = _call(fn, x.copy(), W1.copy(), b1.copy(), W2.copy(), b2.copy(), what=what,
                on_shapes=("composition_order", ORDER))
    z1, h1, z2, _ = _net(x, W1, b1, W2, b2)
    D1, D2 = np.diag(_dsigmoid(z1)), np.diag(_dsigmoid(z2))
    at_outputs = np.diag(_dsigmoid(h1)), np.diag(_dsigmoid(_sigmoid(z2)))
    missing = "you left out the activation's Jacobian diag(sigma'(z)) of {}: J = D2 W2 D1 W1."
    _matrix(what, raw, D2 @ W2 @ D1 @ W1, transposed="J^T where J was asked: J = dh2/dx has one row "
            "per output h2_i and one column per input x_j.", mistakes=[
        like("missing_activation_jacobian", missing.format("both layers"), lambda ev: W2 @ W1),
        like("missing_activation_jacobian", missing.format("layer 1"), lambda ev: D2 @ W2 @ W1),
        like("missing_activation_jacobian", missing.format("layer 2"), lambda ev: W2 @ D1 @ W1),
        like("activation_at_output", "sigma' must be evaluated at the pre-activation z = W h + b, "
                                     "not at the layer's output h = sigma(z).",
             lambda ev: at_outputs[1] @ W2 @ at_outputs[0] @ W1),
    ], context=f" for x of size {x.size}, hidden size {b1.size}, output size {b2.size}")


# --- 5. vector-Jacobian products ------------------------------------------------------------------

# check_layer takes the rows of a 2-D first input as a batch; these inputs are single vectors
# and matrices, so no "N times too large" diagnosis applies (0 matches no batch size).
NO_BATCH = 0

JV = ("you computed J v; a VJP multiplies by the transpose, J^T v (= v @ J): v has one entry per "
      "OUTPUT, the result one per INPUT. For z = W x that is W.T @ v; for a batch row z = x @ W, W @ v.")


def _layer(forward, backward, *inputs, **kwargs):
    """check_layer, naming a failed matrix product in backward as J v instead of J^T v."""
    try:
        check_layer(forward, backward, *inputs, **kwargs)
    except CheckFailed as exc:
        if _failed_on_shapes(exc):
            what = _name(backward, "backward")
            raise CheckFailed(f"{what}: {JV}\n  ({str(exc).splitlines()[0]})", key="jv_not_vjp") from None
        raise


def _vjp_check(vjp, reference, inputs, names, wrt, mistakes, seed, what):
    forward, backward = _as_layer(vjp, reference, what)
    _layer(forward, backward, *inputs, wrt=wrt, names=names, mistakes=mistakes, seed=seed,
           batch=NO_BATCH, quiet=True)


@EXERCISES.check("sigmoid_vjp")
def sigmoid_vjp(fn, *, hidden=False):
    what = _name(fn, "sigmoid_vjp")
    rng = _rng(hidden, 700)
    z = rng.uniform(-3.0, 3.0, size=7 if hidden else 6)
    s = lambda ev: _sigmoid(ev.inputs[0])  # noqa: E731
    _vjp_check(fn, _sigmoid, [z], ["z"], None, [
        like("missing_sigmoid_derivative", "you forgot the sigmoid derivative: J^T v = sigma'(z) * v "
                                           "with sigma' = sigma(1 - sigma).", lambda ev: ev.dout),
        like("missing_sigmoid_derivative", "you multiplied v by sigma(z); the derivative is "
                                           "sigma(z)(1 - sigma(z)).", lambda ev: ev.dout * s(ev)),
        like("diagonal_summed", "J^T v for a diagonal J is v * diag(J), entry by entry; you summed "
                                "over v.", lambda ev: np.sum(ev.dout) * _dsigmoid(ev.inputs[0])),
    ], 17 if hidden else 16, what)
    _no_full_jacobian(fn, (rng.uniform(-3, 3, VJP_MEMORY_D), rng.standard_normal(VJP_MEMORY_D)), what)


@EXERCISES.check("linear_vjp")
def linear_vjp(fn, *, hidden=False):
    what = _name(fn, "linear_vjp")
    rng = _rng(hidden, 710)
    for shape in [(4, 4), (2, 6) if hidden else (3, 5)]:
        W, x = rng.standard_normal(shape), rng.standard_normal(shape[1])
        _vjp_check(fn, lambda W, x: W @ x, [W, x], ["W", "x"], [1], [
            like("jv_not_vjp", JV, lambda ev: ev.inputs[0] @ ev.dout),
        ], 18 if hidden else 17, what)


@EXERCISES.check("row_linear_vjp")
def row_linear_vjp(fn, *, hidden=False):
    what = _name(fn, "row_linear_vjp")
    rng = _rng(hidden, 720)
    for shape in [(6, 2) if hidden else (5, 3), (4, 4)]:
        x, W = rng.standard_normal(shape[0]), rng.standard_normal(shape)
        _vjp_check(fn, lambda x, W: x @ W, [x, W], ["x", "W"], None, [
            like("jv_not_vjp", "dx = W @ v (= v @ W.T): v has one entry per output z_i, dx one per "
                               "input x_j; you multiplied by W the other way round.",
                 lambda ev: ev.dout @ ev.inputs[1], grads="dx"),
            like("dW_transposed", "dW[j, i] = x_j v_i: dW = np.outer(x, v), with the shape of W; "
                                  "yours is np.outer(v, x).",
                 lambda ev: np.outer(ev.dout, ev.inputs[0]), grads="dW"),
        ], 19 if hidden else 18, what)


@EXERCISES.check("softmax_vjp", uses=("softmax",))
def softmax_vjp(fn, *, hidden=False):
    what = _name(fn, "softmax_vjp")
    rng = _rng(hidden, 730)
    z = rng.uniform(-2.0, 2.0, size=6 if hidden else 5)
    sm = lambda ev: _softmax(ev.inputs[0])  # noqa: E731
    _vjp_check(fn, _softmax, [z], ["z"], None, [
        like("softmax_as_elementwise",
             "softmax treated as elementwise: v * s * (1 - s) uses only the diagonal of J. With the "
             "full J = diag(s) - s s^T: J^T v = s * (v - v.s).",
             lambda ev: ev.dout * sm(ev) * (1 - sm(ev))),
        like("missing_outer", "J^T v = s * (v - v.s): the term from -s s^T (subtracting v.s = "
                              "np.dot(v, s)) is missing.", lambda ev: ev.dout * sm(ev)),
        like("unweighted_sum", "subtract the s-weighted sum v.s = np.dot(v, s), not sum(v).",
             lambda ev: sm(ev) * (ev.dout - np.sum(ev.dout))),
    ], 21 if hidden else 20, what)
    big = np.array([1000.0, 999.0, -1000.0, 998.0])
    v = np.array([0.5, -1.0, 2.0, 0.25])
    try:
        raw = call(fn, big.copy(), v.copy(), what=what)
    except CheckFailed as exc:
        _unstable(what, exc)
    check_answer(what, raw, _softmax_jacobian(big).T @ v, name="dz", context=" for z around 1000")
    _no_full_jacobian(fn, (rng.uniform(-3, 3, VJP_MEMORY_D), rng.standard_normal(VJP_MEMORY_D)), what)


@EXERCISES.check("residual_vjp", uses=("sigmoid_vjp", "linear_vjp"))
def residual_vjp(fn, *, hidden=False):
    what = _name(fn, "residual_vjp")
    rng = _rng(hidden, 740)
    d = 6 if hidden else 5
    x, W, b = rng.standard_normal(d), rng.standard_normal((d, d)), rng.standard_normal(d) * 0.5

    def layer_part(ev):
        x_, W_, b_ = ev.inputs
        return _dsigmoid(W_ @ x_ + b_) * ev.dout, W_

    branch = ("forgetting that gradients add at a branch: x reaches y along two paths, the skip "
              "connection and the layer, so dx = v + W.T @ (sigma'(z) * v).")
    _vjp_check(fn, lambda x, W, b: x + _sigmoid(W @ x + b), [x, W, b], ["x", "W", "b"], [0], [
        like("branch_not_summed", branch, lambda ev: layer_part(ev)[1].T @ layer_part(ev)[0]),
        like("branch_not_summed", branch, lambda ev: ev.dout),
        like("jv_not_vjp", "in the layer path use W.T: dx = v + W.T @ (sigma'(z) * v); yours has W.",
             lambda ev: ev.dout + layer_part(ev)[1] @ layer_part(ev)[0]),
        like("missing_sigmoid_derivative", "you forgot the sigmoid derivative in the layer path: "
                                           "dx = v + W.T @ (sigma'(z) * v).",
             lambda ev: ev.dout + ev.inputs[1].T @ ev.dout),
    ], 23 if hidden else 22, what)


@EXERCISES.check("network_vjp", uses=("sigmoid_vjp", "linear_vjp"))
def network_vjp(fn, *, hidden=False):
    what = _name(fn, "network_vjp")
    inputs = _net_inputs(hidden, 750)

    def pieces(ev):
        x, W1, b1, W2, b2 = ev.inputs
        z1, h1, z2, h2 = _net(x, W1, b1, W2, b2)
        return x, W1, W2, z1, h1, z2, h2, ev.dout

    def without(ev, d1=True, d2=True, at_output=False):
        x, W1, W2, z1, h1, z2, h2, v = pieces(ev)
        g2 = _dsigmoid(h2) if at_output else _dsigmoid(z2)
        g1 = _dsigmoid(h1) if at_output else _dsigmoid(z1)
        u = v * g2 if d2 else v
        u = W2.T @ u
        u = u * g1 if d1 else u
        return W1.T @ u

    missing = "you left out sigma'(z) of {}: dx = W1.T @ (sigma'(z1) * (W2.T @ (sigma'(z2) * v)))."
    _vjp_check(fn, lambda *a: _net(*a)[3], list(inputs), ["x", "W1", "b1", "W2", "b2"], [0], [
        like("missing_activation_derivative", missing.format("both layers"),
             lambda ev: without(ev, d1=False, d2=False)),
        like("missing_activation_derivative", missing.format("layer 1"), lambda ev: without(ev, d1=False)),
        like("missing_activation_derivative", missing.format("layer 2"), lambda ev: without(ev, d2=False)),
        like("activation_at_output", "sigma' must be evaluated at the pre-activations z1, z2, not at "
                                     "the outputs h1, h2.", lambda ev: without(ev, at_output=True)),
    ], 25 if hidden else 24, what)


# --- 6. seed 004: f(x, W) = ||W x||^2 ------------------------------------------------------------

SEED_W = np.array([[0.1, 0.5], [-0.3, 0.8]])
SEED_X = np.array([0.2, 0.4])


@EXERCISES.check("wx_norm")
def wx_norm(forward, backward, *, hidden=False):
    fwd, bwd = _name(forward, "wx_norm_forward"), _name(backward, "wx_norm_backward")
    rng = _rng(hidden, 760)
    # square first (a transposed dW or W used for W.T keeps the shape and can be named), then
    # shapes that differ on every axis
    cases = [(rng.standard_normal((3, 3)), rng.standard_normal(3)), (rng.standard_normal((3, 4)), rng.standard_normal(4))]
    if not hidden:
        cases.insert(0, (SEED_W, SEED_X))
    for W, x in cases:
        result = call(forward, W.copy(), x.copy(), what=fwd)
        if not isinstance(result, tuple) or len(result) != 2:
            raise CheckFailed(f"{fwd} must return (f, cache), a tuple of 2.", key="bad_return")
        q = W @ x
        check_answer(fwd, result[0], np.sum(q ** 2), name="f", context=f" for W of shape {W.shape}", mistakes=[
            like("forgot_square", "f = ||W x||^2 is the sum of the SQUARES of q = W x.", lambda ev: np.sum(q)),
            like("norm_not_squared", "f = ||W x||^2 = sum(q**2), the squared norm, not the norm.",
                 lambda ev: np.sqrt(np.sum(q ** 2))),
        ])
        _layer(forward, backward, W, x, names=["W", "x"], batch=NO_BATCH, quiet=True,
               seed=27 if hidden else 26, mistakes=[
            like("dW_transposed", "df/dW = 2 q x^T: dW[i, j] = 2 q_i x_j (np.outer(q, x)); yours is its "
                                  "transpose 2 x q^T.",
                 lambda ev: ev.dout * 2 * np.outer(ev.inputs[1], ev.inputs[0] @ ev.inputs[1]), grads="dW"),
            like("jv_not_vjp", "df/dx = 2 W^T q: multiply by W.T, not W.",
                 lambda ev: ev.dout * 2 * ev.inputs[0] @ (ev.inputs[0] @ ev.inputs[1]), grads="dx"),
            like("forgot_square_rule", "d(q_i^2)/dq_i = 2 q_i: you used 2 (or 1) instead of 2 q.",
                 lambda ev: ev.dout * 2 * ev.inputs[0].T @ np.ones(ev.inputs[0].shape[0]), grads="dx"),
        ])
    if not hidden:
        _, cache = forward(SEED_W.copy(), SEED_X.copy())
        dW, dx = backward(np.array(1.0), cache)
        print("seed (CS231n): f = 0.116, df/dq = [0.44, 0.52], dW = [[0.088, 0.176], [0.104, 0.208]], "
              "dx = [-0.112, 0.636]")
        print(f"yours:         f = {float(forward(SEED_W.copy(), SEED_X.copy())[0]):.3f}, "
              f"dW = {np.round(np.asarray(dW, dtype=float), 3).tolist()}, dx = {np.round(np.asarray(dx, dtype=float), 3).tolist()}")
