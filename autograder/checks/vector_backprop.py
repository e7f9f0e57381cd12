"""Checks for 04_vector_backprop: layers, batches and a network.

One check per graded cell.  Gradients are judged against central differences of
the learner's own forward pass (``check_layer``); loss values, parameter vectors
and byte counts against closed forms written here, never the learner's code.
The named mistakes are this notebook's: dW transposed (also for a square W), db
not summed over the batch, the batch mean taken twice or never, the activation
derivative missing or taken at the output, ReLU's mask from the wrong array or
written into dout, dx not reshaped back, softmax cross-entropy overflowing, the
hinge loss counting the correct class's own margin, the regularisation gradient
missing or without its 2, the parameter vector in the wrong order.

Every input is away from a kink: ReLU inputs and hinge margins are at least 0.05
from 0, so a central difference never straddles one.
"""
import functools

import numpy as np

from . import Exercises
from .. import check_layer, like
from ..check import check_answer, through
from ..guard import CheckFailed, call
from .reference import sigmoid as _sigmoid, sigmoid_derivative as _dsigmoid

EXERCISES = Exercises("04_vector_backprop", [
    ("affine", "Affine layer: x @ W + b for a batch, any input shape", 3),
    ("sigmoid", "Sigmoid layer", 1),
    ("tanh", "Tanh layer", 1),
    ("relu", "ReLU layer", 2),
    ("mse_loss", "Mean squared error: value and dy", 2),
    ("softmax_cross_entropy", "Softmax cross-entropy: value and dscores, stable", 2),
    ("collapse_linear", "Two linear layers are one (seed 004)", 1),
    ("two_layer_net", "Two-layer network from the layers: loss and gradients", 3),
    ("flatten", "Parameter vector theta = [vec(W); b] and back (seed 000)", 2),
    ("layer_theta_grad", "dL/dtheta of one layer: an outer product and a sum", 1),
    ("hinge_loss", "CS231n's multiclass hinge loss with L2 regularisation", 3),
    ("cache_bytes", "What the forward pass keeps: bytes of a cache", 1),
], functions={"flatten": ("flatten", "unflatten")})
progress = EXERCISES.progress

# check_layer takes a 2-D first input's rows as a batch; for inputs that are not a batch
# (a weight matrix, a parameter vector) no "N times" diagnosis applies.
NO_BATCH = 0
KINK_MARGIN = 0.05   # ReLU inputs and hinge margins stay this far from 0


# --- references (closed forms) -----------------------------------------------------------------

def _relu(z):
    return np.maximum(z, 0.0)


def _softmax_rows(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _log_softmax_rows(s):
    shifted = s - s.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _ce(scores, labels):
    n = scores.shape[0]
    return float(-np.mean(_log_softmax_rows(scores)[np.arange(n), labels]))


def _ce_grad(scores, labels):
    n = scores.shape[0]
    g = _softmax_rows(scores)
    g[np.arange(n), labels] -= 1.0
    return g / n


def _mse(y, t):
    return float(0.5 * np.sum((y - t) ** 2) / y.shape[0])


ACTIVATIONS = {
    "relu": (_relu, lambda z: (z > 0).astype(np.float64)),
    "sigmoid": (_sigmoid, _dsigmoid),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
}


def _net(x, W1, b1, W2, b2, t, hidden, loss, variant=None):
    """Loss and gradients of scores = a(x @ W1 + b1) @ W2 + b2, for the mistake rows too."""
    n = x.shape[0]
    act, dact = ACTIVATIONS[hidden]
    z1 = x @ W1 + b1
    h1 = act(z1)
    s = h1 @ W2 + b2
    if loss == "softmax":
        value, ds = _ce(s, t), _ce_grad(s, t)
    else:
        value, ds = _mse(s, t), (s - t) / n
    local = dact(z1)
    if variant == "no_derivative":
        local = np.ones_like(z1)
    elif variant == "at_output":
        local = dact(h1)
    dz1 = (ds @ W2.T) * local
    grads = {"W1": x.T @ dz1, "b1": dz1.sum(axis=0), "W2": h1.T @ ds, "b2": ds.sum(axis=0)}
    return value, grads


def _hinge(W, x, labels, reg, variant=None):
    """CS231n's multiclass SVM loss and dW; ``variant`` builds the named wrong answers."""
    n = x.shape[0]
    rows = np.arange(n)
    s = x @ W
    margins = s - s[rows, labels][:, None] + 1.0
    margins[rows, labels] = 0.0
    data = np.maximum(margins, 0.0).sum() / n
    value = data + reg * np.sum(W * W)
    mask = (margins > 0).astype(np.float64)
    if variant != "not_subtracted":
        mask[rows, labels] = -mask.sum(axis=1)
    dW = x.T @ mask / n
    reg_grad = {"reg_grad_missing": 0.0, "reg_grad_no_2": reg * W}.get(variant, 2 * reg * W)
    return value, dW + reg_grad


# --- helpers -----------------------------------------------------------------------------------

def _rng(hidden, base):
    return np.random.default_rng(base + (1 if hidden else 0))


def _name(fn, default):
    return getattr(fn, "__name__", default)


def _away_from_zero(rng, shape, low=0.1, high=2.0):
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _pair(what, result, first, second):
    """A function that must return a pair: say so by name when it does not."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        got = "None" if result is None else (f"a tuple of {len(result)}" if isinstance(result, (tuple, list))
                                             else type(result).__name__)
        raise CheckFailed(f"{what} must return ({first}, {second}), a tuple of 2; it returned {got}.",
                          key="bad_return")
    return result


def _answer(what, raw, expected, *, name, context="", mistakes=()):
    """check_answer, with a clear sentence for a value that is not an array of numbers at all
    (a list of arrays of different lengths, say), which numpy cannot even give a shape."""
    if raw is not None:
        try:
            np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            raise CheckFailed(f"{what}{context}: {name} is not an array of numbers (got "
                              f"{type(raw).__name__}); return one numpy array "
                              f"(np.concatenate joins a list of arrays).", key="not_numeric") from None
        if np.ndim(expected) == 0 and np.ndim(raw) > 0:
            kind = "the mean over the batch" if name == "loss" else "a number"
            raise CheckFailed(f"{what}{context}: {name} must be one number ({kind}); yours has shape "
                              f"{np.shape(raw)}.", key="not_a_number")
    return check_answer(what, raw, expected, name=name, of=name, context=context, mistakes=mistakes)


def _forward_value(forward, inputs, expected, what, name="out", mistakes=(), context=""):
    """forward(*inputs) returns (out, cache) with out equal to ``expected``; returns the cache."""
    result = _pair(what, call(forward, *[np.array(v) for v in inputs], what=what), name, "cache")
    _answer(what, result[0], expected, name=name, mistakes=mistakes, context=context)
    return result[1]


def _with_name(fn, name):
    fn.__name__ = name
    return fn


def _overflowed(what, exc, key, sentence):
    """Re-raise a warning or exception about overflow / log(0) as a named mistake."""
    text = str(exc)
    if exc.key in ("warning", "exception") and any(w in text for w in ("overflow", "divide by zero",
                                                                       "invalid value")):
        raise CheckFailed(f"{what}: {sentence}\n  ({text.splitlines()[0]})", key=key) from None
    raise exc


# --- 1. affine ---------------------------------------------------------------------------------

def _flat(x):
    return x.reshape(x.shape[0], -1)


def _affine_rows():
    def square_transposed(ev):
        x, W, _ = ev.inputs
        return (_flat(x).T @ ev.dout).T

    return [
        like("dW_transposed", "dW = x.T @ dout has the shape of W, (fan_in, fan_out); yours is its "
                              "transpose dout.T @ x. With a square W the shapes cannot tell you: "
                              "dW[i, j] = sum_s x[s, i] dout[s, j].", square_transposed, grads="dW"),
        like("dx_used_W", "dx = dout @ W.T: each input x[s, i] reached every output through "
                          "W[i, :]; you multiplied by W instead of W.T.",
             lambda ev: (ev.dout @ ev.inputs[1]).reshape(ev.inputs[0].shape), grads="dx"),
        like("mean_in_layer", "{name} is N={N} times too small: a layer does not average. The 1/N "
                              "of the batch mean is already inside dout (the loss put it there), "
                              "so sum over the batch: dW = x.T @ dout, db = dout.sum(axis=0).",
             lambda ev: (_flat(ev.inputs[0]).T @ ev.dout) / ev.inputs[0].shape[0], grads="dW"),
        like("mean_in_layer", "{name} is N={N} times too small: a layer does not average. The 1/N "
                              "of the batch mean is already inside dout (the loss put it there), "
                              "so sum over the batch: db = dout.sum(axis=0).",
             lambda ev: ev.dout.mean(axis=0), grads="db"),
    ]


def _affine_case(forward, backward, x, W, b, seed):
    fwd, bwd = _name(forward, "affine_forward"), _name(backward, "affine_backward")
    n = x.shape[0]
    context = f" for x of shape {x.shape}, W of shape {W.shape}"
    try:
        cache = _forward_value(forward, (x, W, b), _flat(x) @ W + b, fwd, context=context, mistakes=[
            like("forgot_bias", "out = x @ W + b: the bias b is missing.", lambda ev: _flat(x) @ W),
        ])
    except CheckFailed as exc:
        if x.ndim > 2 and exc.key == "exception":
            raise CheckFailed(f"{fwd}: x has shape {x.shape}: flatten each sample to one row first, "
                              f"x.reshape(x.shape[0], -1) of shape ({n}, {W.shape[0]}), then x @ W + b."
                              f"\n  ({str(exc).splitlines()[0]})", key="x_not_flattened") from None
        raise
    if x.ndim > 2:
        # dx must come back in x's own shape; the catalog would only say "wrong shape"
        dout = np.random.default_rng(seed).standard_normal((n, W.shape[1]))
        grads = call(backward, dout, cache, what=bwd)
        if isinstance(grads, (tuple, list)) and len(grads) == 3 and np.shape(grads[0]) == (n, W.shape[0]):
            raise CheckFailed(f"{bwd}: dx has shape {np.shape(grads[0])}, the flattened rows; x had shape "
                              f"{x.shape}. Reshape it back: dx.reshape(x.shape) (keep x, or its shape, "
                              f"in the cache).", key="dx_not_reshaped")
    try:
        check_layer(forward, backward, x, W, b, names=["x", "W", "b"], mistakes=_affine_rows(),
                    seed=seed, quiet=True)
    except CheckFailed as exc:
        text = str(exc)
        if exc.key == "exception" and text.startswith(bwd) and ("mismatch" in text or "not aligned" in text):
            raise CheckFailed(f"{bwd}: a matrix product's sizes do not fit. With dout ({n}, {W.shape[1]}), "
                              f"x2 = x.reshape(N, -1) ({n}, {W.shape[0]}) and W {W.shape}: dx = dout @ W.T "
                              f"and dW = x2.T @ dout.\n  ({text.splitlines()[0]})", key="backward_shapes") from None
        raise


@EXERCISES.check("affine")
def affine(forward, backward, *, hidden=False):
    rng = _rng(hidden, 400)
    # shapes that differ on every axis, a square W (a transposed dW keeps its shape), and a
    # batch of 3-D inputs (images) flattened to rows
    shapes = [((5, 3, 6), None), ((5, 4, 4), None), ((4, 6, 5), (2, 3))] if hidden else \
        [((4, 5, 3), None), ((3, 4, 4), None), ((4, 12, 5), (2, 3, 2))]
    for k, ((n, d, m), sample) in enumerate(shapes):
        x = rng.standard_normal((n,) + (sample or (d,)))
        W, b = rng.standard_normal((d, m)), rng.standard_normal(m)
        _affine_case(forward, backward, x, W, b, seed=(41 if hidden else 40) + 10 * k)


# --- 2-4. activations --------------------------------------------------------------------------

def _activation_value(forward, z, expected, what, overflow_sentence=None):
    try:
        _forward_value(forward, (z,), expected, what, context=f" for z of shape {z.shape}")
    except CheckFailed as exc:
        if overflow_sentence:
            _overflowed(what, exc, "overflow", overflow_sentence)
        raise


@EXERCISES.check("sigmoid")
def sigmoid(forward, backward, *, hidden=False):
    fwd = _name(forward, "sigmoid_forward")
    rng = _rng(hidden, 410)
    big = np.array([[800.0, -800.0, 3.0], [-40.0, 0.5, 40.0]])
    _activation_value(forward, big, _sigmoid(big), fwd,
                      "exp overflowed for z = -800: use a stable sigmoid (the `sigmoid` of the setup "
                      "cell) so exp only ever sees numbers <= 0.")
    z = rng.uniform(-3.0, 3.0, size=(5, 3) if hidden else (4, 3))
    check_layer(forward, backward, z, names=["z"], seed=43 if hidden else 42, quiet=True, mistakes=[
        like("missing_activation_derivative", "you forgot the sigmoid's derivative: dz = dout * "
             "sigma(z) * (1 - sigma(z)), not dout.", lambda ev: ev.dout),
        like("derivative_at_output", "sigma' is taken at the layer's input z, not at its output: "
             "with out = sigma(z) cached, dz = dout * out * (1 - out); yours computes "
             "sigma(out) * (1 - sigma(out)).", lambda ev: ev.dout * _dsigmoid(_sigmoid(ev.inputs[0]))),
        like("not_derivative", "you multiplied dout by sigma(z); its derivative is sigma(z) * (1 - sigma(z)).",
             lambda ev: ev.dout * _sigmoid(ev.inputs[0])),
    ])


@EXERCISES.check("tanh")
def tanh(forward, backward, *, hidden=False):
    fwd = _name(forward, "tanh_forward")
    rng = _rng(hidden, 420)
    big = np.array([[800.0, -800.0, 1.5], [-3.0, 0.25, 30.0]])
    _activation_value(forward, big, np.tanh(big), fwd,
                      "exp overflowed for large |z|: np.tanh is stable, use it.")
    z = rng.uniform(-2.0, 2.0, size=(3, 5) if hidden else (4, 3))
    t = lambda ev: np.tanh(ev.inputs[0])  # noqa: E731
    check_layer(forward, backward, z, names=["z"], seed=45 if hidden else 44, quiet=True, mistakes=[
        like("missing_activation_derivative", "you forgot tanh's derivative: dz = dout * (1 - tanh(z)**2).",
             lambda ev: ev.dout),
        like("derivative_at_output", "tanh' is taken at the layer's input z, not at its output: with "
             "out = tanh(z) cached, dz = dout * (1 - out**2); yours computes 1 - tanh(out)**2.",
             lambda ev: ev.dout * (1 - np.tanh(t(ev)) ** 2)),
        like("forgot_square", "tanh'(z) = 1 - tanh(z)**2: the square is missing.",
             lambda ev: ev.dout * (1 - t(ev))),
    ])


@EXERCISES.check("relu")
def relu(forward, backward, *, hidden=False):
    fwd = _name(forward, "relu_forward")
    rng = _rng(hidden, 430)
    z = _away_from_zero(rng, (5, 4) if hidden else (4, 3))
    _forward_value(forward, (z,), _relu(z), fwd, context=f" for z of shape {z.shape}", mistakes=[
        like("relu_inverted", "relu(z) = max(0, z) keeps the positive entries and zeroes the negative "
             "ones; yours does the opposite.", lambda ev: np.minimum(z, 0.0)),
        like("relu_scalar_max", "use np.maximum(z, 0) (entry by entry); np.max(z) is the largest entry.",
             lambda ev: np.full(z.shape, max(z.max(), 0.0))),
    ])
    mask = lambda ev: ev.inputs[0] > 0  # noqa: E731
    check_layer(forward, backward, z, names=["z"], seed=47 if hidden else 46, quiet=True, mistakes=[
        like("missing_relu_mask", "you passed dout through unchanged: ReLU's local derivative is 1 "
             "where z > 0 and 0 elsewhere, so dz = dout * (z > 0).", lambda ev: ev.dout),
        like("mask_from_dout", "the mask must come from the layer's input z (or its output): "
             "dz = dout * (z > 0). Yours, dout * (dout > 0), keeps the positive upstream gradients.",
             lambda ev: ev.dout * (ev.dout > 0)),
        like("mask_inverted", "the mask is inverted: the gradient flows where z > 0 and stops where z < 0.",
             lambda ev: ev.dout * (ev.inputs[0] < 0)),
        like("mask_without_dout", "dz = dout * (z > 0): you returned the mask alone, without dout.",
             lambda ev: mask(ev).astype(np.float64)),
    ])


# --- 5-6. losses -------------------------------------------------------------------------------

def _loss_layer(fn, what, grad_name, *fixed):
    """The learner's loss fn(y, *fixed) -> (loss, dy) as a layer for check_layer: its forward
    is the learner's own loss value, its backward dout * dy."""
    forward = through(fn, lambda y: ((y,) + fixed, {}), lambda out: _pair(what, out, "loss", grad_name), what)

    def backward(dout, dy):
        try:
            arr = np.asarray(dy, dtype=np.float64)
        except (TypeError, ValueError):
            return dy
        return dout * arr

    return forward, _with_name(backward, what)


def _mean_rows(n, grad):
    """Wrong answers of a batch-mean loss's gradient: the mean never or twice."""
    return [
        like("mean_never", "{name} is N={N} times too large: the loss is the MEAN over the batch, "
             "so its gradient carries a 1/N: divide by N.", lambda ev: ev.dout * n * grad(ev)),
        like("mean_twice", "{name} is N={N} times too small: the 1/N of the batch mean is there twice "
             "(once is enough: loss = sum / N, so d loss = (...) / N).", lambda ev: ev.dout * grad(ev) / n),
    ]


@EXERCISES.check("mse_loss")
def mse_loss(fn, *, hidden=False):
    what = _name(fn, "mse_loss")
    rng = _rng(hidden, 440)
    n, m = (5, 3) if hidden else (4, 3)
    y, t = rng.standard_normal((n, m)), rng.standard_normal((n, m))
    result = _pair(what, call(fn, y.copy(), t.copy(), what=what), "loss", "dy")
    sq = np.sum((y - t) ** 2)
    ref = _mse(y, t)
    _answer(what, result[0], ref, name="loss", context=f" for y, t of shape {y.shape}", mistakes=[
        like("mean_never", "the loss is the MEAN over the batch: 0.5 * sum((y - t)**2) / N. Yours is "
             "the sum over the batch (N times too large).", lambda ev: 0.5 * sq),
        like("mean_twice", "the loss divides by N once: 0.5 * sum((y - t)**2) / N. Yours divides twice.",
             lambda ev: 0.5 * sq / n ** 2),
        like("missing_half", "the loss is HALF the squared error, 0.5 * sum((y - t)**2) / N (seed 003's "
             "E = 1/2 sum (y - t)^2), so that dy = (y - t) / N has no factor 2.", lambda ev: sq / n),
        like("mean_over_outputs", "average over the batch only: sum the squared errors over the outputs "
             "of each sample, 0.5 * sum((y - t)**2) / N. np.mean averages over the outputs too.",
             lambda ev: 0.5 * sq / (n * m)),
        like("mean_over_outputs", "average over the batch only: 0.5 * sum((y - t)**2) / N. "
             "np.mean((y - t)**2) averages over the outputs too, and drops the 1/2.",
             lambda ev: sq / (n * m)),
    ])
    forward, backward = _loss_layer(fn, what, "dy", t.copy())
    grad = lambda ev: (ev.inputs[0] - t) / n  # noqa: E731
    check_layer(forward, backward, y, names=["y"], seed=49 if hidden else 48, quiet=True, batch=n,
                mistakes=_mean_rows(n, grad) + [
        like("dy_sign", "dy = (y - t) / N: you have (t - y) / N, the sign is flipped.",
             lambda ev: -ev.dout * grad(ev)),
    ])


SOFTMAX_OVERFLOW = ("exp overflowed for scores around 1000: subtract each row's max first (softmax "
                    "does not change, and exp then only sees numbers <= 0).")
LOG_OF_ZERO = ("log(p) met p = 0: a probability of exp(-2000) underflows to 0 and log(0) = -inf. "
               "Compute log p without p: log softmax = (s - max) - log(sum(exp(s - max))).")


def _ce_inputs(hidden):
    rng = _rng(hidden, 450)
    n, c = (5, 4) if hidden else (4, 3)
    scores = rng.uniform(-2.0, 2.0, size=(n, c))
    labels = rng.permutation(np.arange(n) % c)
    return scores, labels


def _call_ce(fn, scores, labels, what):
    try:
        return _pair(what, call(fn, scores.copy(), labels.copy(), what=what), "loss", "dscores")
    except CheckFailed as exc:
        if "log" in str(exc) and "divide by zero" in str(exc):
            raise CheckFailed(f"{what}: {LOG_OF_ZERO}", key="log_of_zero") from None
        _overflowed(what, exc, "softmax_overflow", SOFTMAX_OVERFLOW)


@EXERCISES.check("softmax_cross_entropy")
def softmax_cross_entropy(fn, *, hidden=False):
    what = _name(fn, "softmax_cross_entropy")
    scores, labels = _ce_inputs(hidden)
    n, c = scores.shape
    ref = _ce(scores, labels)
    result = _call_ce(fn, scores, labels, what)
    logp = _log_softmax_rows(scores)[np.arange(n), labels]
    _answer(what, result[0], ref, name="loss", context=f" for scores of shape {scores.shape}", mistakes=[
        like("mean_never", "the loss is the MEAN over the batch of -log p[label]; yours is the sum "
             "(N times too large).", lambda ev: -np.sum(logp)),
        like("sign_flipped", "the loss is -log p[label] (positive); yours is +log p[label].",
             lambda ev: np.mean(logp)),
        like("mean_over_classes", "average over the batch only: -log p[label] is one number per sample; "
             "you divided by the number of classes too.", lambda ev: ref / c),
        like("labels_not_used", "pick each sample's own label: -log p[s, labels[s]] (index with "
             "p[np.arange(N), labels]); yours averages over every class.",
             lambda ev: float(-np.mean(_log_softmax_rows(scores)))),
    ])
    forward, backward = _loss_layer(fn, what, "dscores", labels.copy())
    grad = lambda ev: _ce_grad(ev.inputs[0], labels)  # noqa: E731
    p = lambda ev: _softmax_rows(ev.inputs[0])  # noqa: E731
    check_layer(forward, backward, scores, names=["scores"], seed=51 if hidden else 50, quiet=True,
                batch=n, mistakes=_mean_rows(n, grad) + [
        like("onehot_not_subtracted", "dscores = (p - onehot) / N: the one-hot of the labels is not "
             "subtracted.", lambda ev: ev.dout * p(ev) / n),
        like("dscores_sign", "dscores = (p - onehot) / N; yours is (onehot - p) / N.",
             lambda ev: -ev.dout * grad(ev)),
    ])
    # scores of size 1000: finite and warning-free, with a label whose probability is exp(-2000)
    big = np.array([[1000.0, 999.0, -1000.0], [-1000.0, 1000.0, 0.0], [500.0, -500.0, 998.0],
                    [3.0, 1.0, 2.0]])
    big_labels = np.array([0, 0, 2, 1])
    result = _call_ce(fn, big, big_labels, what)
    context = " for scores around 1000"
    for label, value in zip(("loss", "dscores"), result):
        try:
            finite = np.all(np.isfinite(np.asarray(value, dtype=np.float64)))
        except (TypeError, ValueError):
            finite = True       # not numbers: check_answer names that below
        if not finite:
            raise CheckFailed(f"{what}{context}: {label} is not finite. {LOG_OF_ZERO}", key="log_of_zero")
    exact = _ce(big, big_labels)
    try:
        yours = float(np.asarray(result[0], dtype=np.float64))
    except (TypeError, ValueError):
        yours = None
    if yours is not None and abs(yours - exact) > 1e-6 * exact:
        raise CheckFailed(f"{what}{context}: the loss is {yours:.6g}, the exact value {exact:.6g}: where p "
                          f"underflows to 0, log(p + eps) or np.clip(p, eps, 1) is far off. Compute log p "
                          f"without p: (s - max) - log(sum(exp(s - max))).", key="log_clipped")
    _answer(what, result[0], exact, name="loss", context=context)
    _answer(what, result[1], _ce_grad(big, big_labels), name="dscores", context=context)


# --- 7. two linear layers collapse ---------------------------------------------------------------

ORDER = ("x @ W1 @ W2 = x @ (W1 @ W2): the first layer's matrix stands on the LEFT in the course's "
         "row convention (seed 004 writes W2 W1 x for columns, the same map transposed).")


@EXERCISES.check("collapse_linear")
def collapse_linear(fn, *, hidden=False):
    what = _name(fn, "collapse_linear")
    rng = _rng(hidden, 460)
    sizes = [(4, 4, 4), (3, 6, 2)] if hidden else [(4, 4, 4), (5, 6, 3)]
    for d, h, m in sizes:
        W1, b1 = rng.standard_normal((d, h)), rng.standard_normal(h)
        W2, b2 = rng.standard_normal((h, m)), rng.standard_normal(m)
        try:
            result = _pair(what, call(fn, W1.copy(), b1.copy(), W2.copy(), b2.copy(), what=what), "W", "b")
        except CheckFailed as exc:
            if exc.key == "exception" and ("mismatch" in str(exc) or "not aligned" in str(exc)):
                raise CheckFailed(f"{what}: {ORDER}\n  ({str(exc).splitlines()[0]})", key="composition_order") from None
            raise
        context = f" for W1 {W1.shape}, W2 {W2.shape}"
        _answer(what, result[0], W1 @ W2, name="W", context=context, mistakes=[
            like("composition_order", ORDER, lambda ev: W2 @ W1),
            like("elementwise_product", "compose with a matrix product, W1 @ W2, not entry by entry.",
                 lambda ev: W1 * W2),
        ])
        _answer(what, result[1], b1 @ W2 + b2, name="b", context=context, mistakes=[
            like("bias_not_carried", "b1 goes through the second layer too: (x @ W1 + b1) @ W2 + b2 = "
                 "x @ (W1 @ W2) + (b1 @ W2 + b2).", lambda ev: b2),
            like("bias_not_carried", "b1 goes through the second layer: b = b1 @ W2 + b2, not b1 + b2.",
                 lambda ev: b1 + b2 if b1.shape == b2.shape else np.full(b2.shape, np.nan)),
        ])


# --- 8. the two-layer network --------------------------------------------------------------------

PARAMS = ("W1", "b1", "W2", "b2")


def _net_case(rng, n, d, h, c, loss):
    """Inputs whose hidden pre-activations are at least KINK_MARGIN from 0 (ReLU's kink)."""
    while True:
        x = rng.standard_normal((n, d))
        W1, b1 = rng.standard_normal((d, h)) * 0.6, rng.standard_normal(h) * 0.3
        if np.min(np.abs(x @ W1 + b1)) > KINK_MARGIN:
            break
    W2, b2 = rng.standard_normal((h, c)) * 0.6, rng.standard_normal(c) * 0.3
    t = rng.permutation(np.arange(n) % c) if loss == "softmax" else rng.standard_normal((n, c))
    return x, W1, b1, W2, b2, t


def _net_rows(t, hidden, loss):
    def variant(name, **kw):
        def wrong(ev):
            return ev.dout * _net(*ev.inputs, t, hidden, loss, **kw)[1][ev.name[1:]]
        return wrong

    def scaled(k):
        def wrong(ev):
            return k(ev.inputs[0].shape[0]) * ev.dout * _net(*ev.inputs, t, hidden, loss)[1][ev.name[1:]]
        return wrong

    derivative = {"relu": "ReLU's mask (z1 > 0)", "sigmoid": "the sigmoid's derivative",
                  "tanh": "tanh's derivative"}[hidden]
    return [
        like("missing_activation_derivative", f"{{name}}: the backward pass skipped {derivative}: "
             f"dz1 = dh1 * a'(z1) before dW1 = x.T @ dz1.", variant("x", variant="no_derivative"),
             grads=("dW1", "db1")),
        like("derivative_at_output", "{name}: a'(z1) is taken at the hidden layer's input z1, not at its "
             "output h1 = a(z1).", variant("x", variant="at_output"), grads=("dW1", "db1")),
        like("mean_twice", "{name} is N={N} times too small: the loss's gradient already carries the 1/N "
             "of the batch mean; the layers must not divide again.", scaled(lambda n: 1.0 / n)),
        like("mean_never", "{name} is N={N} times too large: the loss is the mean over the batch, so "
             "dscores carries a 1/N (your loss's gradient must divide by N).", scaled(lambda n: n)),
    ]


def _check_net(fn, what, x, W1, b1, W2, b2, t, hidden, loss, seed):
    kwargs = dict(hidden=hidden, loss=loss)
    context = f" (hidden={hidden!r}, loss={loss!r}, x of shape {x.shape})"
    params = dict(zip(PARAMS, (W1, b1, W2, b2)))
    given = {k: v.copy() for k, v in params.items()}
    result = _pair(what, call(functools.partial(fn, **kwargs), x.copy(), np.array(t), given, what=what),
                   "loss", "grads")
    value, grads = result
    if not isinstance(grads, dict) or any(k not in grads for k in PARAMS):
        have = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise CheckFailed(f"{what}: grads must be a dict with the keys 'W1', 'b1', 'W2', 'b2' (one gradient "
                          f"per parameter); got {have}.", key="bad_grads")
    ref_value = _net(x, W1, b1, W2, b2, t, hidden, loss)[0]
    _answer(what, value, ref_value, name="loss", context=context, mistakes=[
        like("ignored_hidden_argument", f"the loss is the one of a network with hidden={other!r}: use the "
             f"activation named by the argument `hidden` ({hidden!r} here).",
             lambda ev, other=other: _net(x, W1, b1, W2, b2, t, other, loss)[0])
        for other in ACTIVATIONS if other != hidden])

    forward = through(fn, lambda x_, W1_, b1_, W2_, b2_: ((x_, np.array(t), {"W1": W1_, "b1": b1_, "W2": W2_,
                                                                           "b2": b2_}), kwargs),
                      lambda out: (out[0], out[1]), what)

    def backward(dout, grads_):
        out = []
        for k in PARAMS:
            try:
                out.append(dout * np.asarray(grads_[k], dtype=np.float64))
            except (TypeError, ValueError):
                out.append(grads_[k])
        return tuple(out)

    check_layer(forward, _with_name(backward, what), x, W1, b1, W2, b2,
                names=["x", "W1", "b1", "W2", "b2"], wrt=[1, 2, 3, 4], seed=seed, quiet=True,
                mistakes=_net_rows(t, hidden, loss))


@EXERCISES.check("two_layer_net", uses=("affine", "sigmoid", "tanh", "relu", "mse_loss", "softmax_cross_entropy"))
def two_layer_net(fn, *, hidden=False):
    what = _name(fn, "two_layer_net")
    rng = _rng(hidden, 470)
    cases = [((5, 3, 6, 4), "relu", "softmax"), ((4, 6, 5, 2), "sigmoid", "mse"),
             ((3, 4, 5, 6), "tanh", "softmax")] if hidden else \
        [((4, 5, 6, 3), "relu", "softmax"), ((4, 3, 5, 2), "sigmoid", "mse")]
    for k, ((n, d, h, c), act, loss) in enumerate(cases):
        x, W1, b1, W2, b2, t = _net_case(rng, n, d, h, c, loss)
        _check_net(fn, what, x, W1, b1, W2, b2, t, act, loss, seed=(53 if hidden else 52) + 10 * k)


# --- 9. the parameter vector ---------------------------------------------------------------------

def _layers(rng, sizes):
    return [(rng.standard_normal((a, b)), rng.standard_normal(b)) for a, b in zip(sizes[:-1], sizes[1:])]


def _theta(layers, order="C"):
    return np.concatenate([np.concatenate([W.ravel(order=order), b]) for W, b in layers])


@EXERCISES.check("flatten")
def flatten(flatten_fn, unflatten_fn, *, hidden=False):
    fwhat, uwhat = _name(flatten_fn, "flatten"), _name(unflatten_fn, "unflatten")
    rng = _rng(hidden, 480)
    sizes = [3, 5, 2, 4] if hidden else [4, 5, 3]
    layers = _layers(rng, sizes)
    given = [(W.copy(), b.copy()) for W, b in layers]
    raw = call(flatten_fn, given, what=fwhat)
    if any(not (np.array_equal(W, W0) and np.array_equal(b, b0)) for (W, b), (W0, b0) in zip(given, layers)):
        raise CheckFailed(f"{fwhat} changed the arrays it was given; build a new vector "
                          f"(np.concatenate makes one).", key="mutated_input")
    context = f" for layers of shapes {[(W.shape, b.shape) for W, b in layers]}"
    _answer(fwhat, raw, _theta(layers), name="theta", context=context, mistakes=[
        like("bias_first", "theta_n = [vec(W_n); b_n]: the weights of each layer come first, then its bias.",
             lambda ev: np.concatenate([np.concatenate([b, W.ravel()]) for W, b in layers])),
        like("column_major", "vec(W) here is W.ravel() (row by row): the seed's W_n is our W.T, and "
             "stacking the columns of W.T is reading W row by row. Yours stacks W's columns.",
             lambda ev: _theta(layers, order="F")),
        like("weights_then_biases", "keep each layer together: [vec(W1); b1; vec(W2); b2; ...], not "
             "all weights first and then all biases.",
             lambda ev: np.concatenate([W.ravel() for W, _ in layers] + [b for _, b in layers])),
    ])
    # unflatten: a different theta, shapes taken from `like` (whose values must not leak through)
    theta = rng.standard_normal(_theta(layers).size)
    like_layers = [(np.zeros_like(W), np.zeros_like(b)) for W, b in layers]
    before = theta.copy()
    out = call(unflatten_fn, theta, like_layers, what=uwhat)
    if not np.array_equal(theta, before):
        raise CheckFailed(f"{uwhat} changed theta in place.", key="mutated_input")
    if not isinstance(out, (list, tuple)) or len(out) != len(layers):
        raise CheckFailed(f"{uwhat} must return a list of {len(layers)} (W, b) pairs, one per layer; "
                          f"it returned {type(out).__name__}"
                          f"{' of length %d' % len(out) if isinstance(out, (list, tuple)) else ''}.",
                          key="bad_return")
    offset = 0
    for k, ((W, b), pair) in enumerate(zip(layers, out)):
        got = _pair(f"{uwhat} (layer {k + 1})", pair, "W", "b")
        w_flat = theta[offset:offset + W.size]
        b_flat = theta[offset + W.size:offset + W.size + b.size]
        ctx = f", layer {k + 1} of {len(layers)}"
        _answer(uwhat, got[0], w_flat.reshape(W.shape), name=f"W{k + 1}", context=ctx, mistakes=[
            like("column_major", "read W row by row: theta[...].reshape(W.shape) (the default, row-major "
                 "order), the inverse of W.ravel().", lambda ev: w_flat.reshape(W.shape, order="F")),
        ])
        _answer(uwhat, got[1], b_flat, name=f"b{k + 1}", context=ctx)
        offset += W.size + b.size
    back = call(unflatten_fn, call(flatten_fn, layers, what=fwhat), layers, what=uwhat)
    for (W, b), (W2, b2) in zip(layers, back):
        if not (np.array_equal(W, W2) and np.array_equal(b, b2)):
            raise CheckFailed(f"{uwhat}({fwhat}(layers), layers) does not give the layers back.",
                              key="not_inverse")


@EXERCISES.check("layer_theta_grad")
def layer_theta_grad(fn, *, hidden=False):
    what = _name(fn, "layer_theta_grad")
    rng = _rng(hidden, 490)
    for n, d, m in ([(5, 3, 4), (1, 4, 3)] if hidden else [(4, 5, 3), (1, 3, 2)]):
        h = rng.standard_normal((n, d))
        theta = rng.standard_normal(d * m + m)

        def forward(theta_, h=h, d=d, m=m):
            W, b = theta_[:d * m].reshape(d, m), theta_[d * m:]
            return h @ W + b, h

        def backward(dout, h_):
            return fn(h_.copy(), dout)

        grads = call(fn, h.copy(), rng.standard_normal((n, m)), what=what)
        size = np.size(grads) if grads is not None else 0
        if np.ndim(grads) == 1 and size == d * m:
            raise CheckFailed(f"{what}: dtheta has {size} entries, only vec(dW); theta = [vec(W); b] has "
                              f"{d * m + m}: append db = dz.sum(axis=0).", key="bias_missing")
        if np.ndim(grads) == 1 and size == d * m + n * m and n > 1:
            raise CheckFailed(f"{what}: dtheta has {size} entries: db still has the batch axis. A bias is "
                              f"shared by all N={n} samples: db = dz.sum(axis=0), {m} numbers.",
                              key="batch_not_summed")
        check_layer(_with_name(forward, "h @ W + b"), _with_name(backward, what), theta, names=["theta"],
                    seed=55 if hidden else 54, quiet=True, batch=NO_BATCH, mistakes=[
            like("outer_transposed", "vec(dW) comes from dW = h.T @ dz (shape (fan_in, fan_out)), the sum "
                 "of the outer products outer(h[s], dz[s]); yours ravels dz.T @ h, its transpose.",
                 lambda ev: np.concatenate([(ev.dout.T @ h).ravel(), ev.dout.sum(axis=0)])),
            like("mean_in_layer", "dtheta is N times too small: sum over the batch (h.T @ dz, dz.sum(0)); "
                 "the 1/N of the loss is already in dz.",
                 lambda ev: np.concatenate([(h.T @ ev.dout).ravel(), ev.dout.sum(axis=0)]) / n),
        ])


# --- 10. the hinge loss ----------------------------------------------------------------------------

def _hinge_case(rng, n, d, c):
    """Data whose margins s_j - s_y + 1 (j != y) are all at least KINK_MARGIN from 0, some positive
    and some negative, so the max matters and no central difference straddles its kink."""
    while True:
        x = rng.standard_normal((n, d))
        W = rng.standard_normal((d, c)) * 0.5
        labels = rng.permutation(np.arange(n) % c)
        s = x @ W
        margins = s - s[np.arange(n), labels][:, None] + 1.0
        off = np.delete(margins.ravel(), np.arange(n) * c + labels)
        if np.min(np.abs(off)) > KINK_MARGIN and np.sum(off > 0) >= 2 and np.sum(off < 0) >= 2:
            return x, W, labels


@EXERCISES.check("hinge_loss")
def hinge_loss(fn, *, hidden=False):
    what = _name(fn, "hinge_loss")
    rng = _rng(hidden, 500)
    reg = 0.15 if hidden else 0.1
    for n, d, c in ([(6, 3, 4), (4, 4, 4)] if hidden else [(5, 4, 3), (4, 3, 3)]):
        x, W, labels = _hinge_case(rng, n, d, c)
        result = _pair(what, call(fn, W.copy(), x.copy(), labels.copy(), reg, what=what), "loss", "dW")
        ref = _hinge(W, x, labels, reg)[0]
        data = ref - reg * np.sum(W * W)
        context = f" for x of shape {x.shape}, W of shape {W.shape}, reg = {reg}"
        _answer(what, result[0], ref, name="loss", context=context, mistakes=[
            like("own_margin_counted", "the loss is exactly 1 too large: L_i sums over j != y_i only. "
                 "The correct class's own margin s_y - s_y + 1 = 1 is always positive; zero it "
                 "(margins[np.arange(N), labels] = 0). Its gradient cancels, so only the loss shows it.",
                 lambda ev: ref + 1.0),
            like("reg_missing", "L = (1/N) sum_i L_i + reg * sum(W**2): the regularisation term is missing.",
                 lambda ev: data),
            like("mean_never", "L = (1/N) sum_i L_i + R: the data loss is the mean over the N samples; "
                 "yours is the sum.", lambda ev: data * n + reg * np.sum(W * W)),
            like("no_max", "L_i = sum_j max(0, s_j - s_y + 1): margins below 0 count as 0 (the hinge); "
                 "you summed them unclamped.",
                 lambda ev: float(np.sum(np.delete((x @ W - (x @ W)[np.arange(n), labels][:, None] + 1).ravel(),
                                                   np.arange(n) * c + labels))) / n + reg * np.sum(W * W)),
        ])

        forward = through(fn, lambda W_, x=x, labels=labels: ((W_, x.copy(), labels.copy(), reg), {}),
                          lambda out: _pair(what, out, "loss", "dW"), what)

        def backward(dout, dW):
            try:
                return (dout * np.asarray(dW, dtype=np.float64),)
            except (TypeError, ValueError):
                return (dW,)

        variant = lambda v: lambda ev: ev.dout * _hinge(ev.inputs[0], x, labels, reg, variant=v)[1]  # noqa: E731
        check_layer(forward, _with_name(backward, what), W, names=["W"], batch=NO_BATCH,
                    seed=57 if hidden else 56, quiet=True, mistakes=[
            like("reg_grad_missing", "dW is missing the regularisation's gradient: d(reg * sum W**2)/dW "
                 "= 2 * reg * W.", variant("reg_grad_missing")),
            like("reg_grad_no_2", "the regularisation's gradient is 2 * reg * W (the derivative of W**2 is "
                 "2W); yours has reg * W.", variant("reg_grad_no_2")),
            like("correct_class_not_subtracted", "the correct class's column is missing its part: each "
                 "positive margin has s_j - s_y, so besides adding x_i to column j it subtracts x_i from "
                 "column y_i (once per positive margin).", variant("not_subtracted")),
            like("mean_never", "dW is N times too large in its data part: the data loss is the mean over "
                 "the samples, so divide x.T @ mask by N.",
                 lambda ev: ev.dout * (n * (_hinge(ev.inputs[0], x, labels, 0.0)[1]) + 2 * reg * ev.inputs[0])),
        ])


# --- 11. memory ----------------------------------------------------------------------------------

def _arrays(cache):
    """Every array a nested cache refers to, once per occurrence."""
    if isinstance(cache, np.ndarray):
        return [cache]
    if isinstance(cache, dict):
        cache = list(cache.values())
    if isinstance(cache, (list, tuple)):
        return [a for item in cache for a in _arrays(item)]
    return []


def _cache_answers(cache):
    """The right byte count and the counts of the named mistakes."""
    every = _arrays(cache)
    once = list({id(a): a for a in every}.values())
    top = cache if isinstance(cache, (list, tuple)) else list(cache.values()) if isinstance(cache, dict) else [cache]
    return sum(a.nbytes for a in once), [
        ("counted_twice", "an array that the cache holds twice is one array in memory: count each array "
         "once (remember the id() of each array you counted).", sum(a.nbytes for a in every)),
        ("counted_entries", "count bytes, not entries: a.nbytes (a.size * a.itemsize), not a.size.",
         sum(a.size for a in once)),
        ("assumed_8_bytes", "not every array has 8 bytes per entry (float32 has 4, bool 1): use a.nbytes.",
         sum(8 * a.size for a in once)),
        ("not_recursive", "look inside every list, tuple and dict of the cache, however deeply nested "
         "(a recursive function does it).", sum(a.nbytes for a in top if isinstance(a, np.ndarray))),
    ]


@EXERCISES.check("cache_bytes")
def cache_bytes(fn, *, hidden=False):
    what = _name(fn, "cache_bytes")
    rng = _rng(hidden, 510)
    x, W = rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    out = rng.standard_normal((4, 3))
    small = rng.standard_normal((6, 2)).astype(np.float32)
    mask = rng.standard_normal((4, 3)) > 0
    cases = [
        ((x, W), "(x, W)"),
        ([(x, W), (out,), {"out": out, "mask": mask, "n": 4, "name": "relu"}, None, 2.5, [small]],
         "nested lists, tuples and dicts holding one array twice, a bool mask and a float32 array"),
    ]
    if hidden:
        cases.append(({"layers": [(x, W), (x, out)], "count": 3, "x": x}, "a dict whose layers share x"))
    for cache, label in cases:
        expected, named = _cache_answers(cache)
        raw = call(fn, cache, what=what)
        try:
            if np.ndim(raw) != 0 or isinstance(raw, (bool, np.bool_)):
                raise TypeError
            yours = float(raw)
        except (TypeError, ValueError):
            raise CheckFailed(f"{what} for {label}: return one number, the total bytes; got "
                              f"{type(raw).__name__}.", key="not_numeric") from None
        if yours == expected:
            continue
        for key, sentence, value in named:
            if value != expected and yours == value:
                raise CheckFailed(f"{what} for {label}: {sentence}\n  yours {yours:g} bytes, "
                                  f"expected {expected:g}", key=key)
        raise CheckFailed(f"{what} for {label}: yours {yours:g} bytes, expected {expected:g}.",
                          key="wrong_values")
