"""A catalog of planted layer bugs for the generic ``check_layer`` (no exercise rows given).

Each row is a correct layer (forward and backward written here from the formulas) with one
realistic bug planted in it, and the key ``check_layer`` should name it with.  The layers span
affine maps, elementwise activations, softmax and log-softmax, losses, normalisation, dropout-like
masks, reshapes, concatenation and gates; the bugs are the ones people make when they write a
backward pass by hand.  ``tests/checks/test_layer_bugs.py`` runs every row and asserts its key;
``benchmarks/mistakes.py`` reports the share named.

A row's ``key`` is what the right diagnosis is; a generic key (``wrong_values``, ...) marks a bug
that check_layer catches but cannot name without knowing the layer (an exercise names it with
its own ``like`` rows).
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

R = np.random.default_rng(2024)


def _away(shape, low=0.2, high=2.0, rng=R):
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _sig(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softmax(s, axis=-1):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# --- inputs: shapes that differ on every axis ---------------------------------------------
X = R.standard_normal((4, 5))
W = R.standard_normal((5, 3))
B = R.standard_normal(3)
WSQ = R.standard_normal((5, 5))
BSQ = R.standard_normal(5)
X3 = R.standard_normal((4, 2, 3))        # an affine layer that flattens its input
W6 = R.standard_normal((6, 3))
Z = _away((4, 5))                          # elementwise activations, kinks 0.2 away
Z1 = _away((1, 5))                         # a batch of one
T = R.standard_normal((4, 5))
LABELS = np.array([0, 2, 1, 4])
ONEHOT = np.eye(5)[LABELS]
Y = R.standard_normal((4, 3))
P = R.uniform(0.1, 0.9, size=(4, 5))      # targets of a binary cross-entropy
GAMMA = R.uniform(0.5, 1.5, size=5)
BETA = R.standard_normal(5)
XA = R.standard_normal((4, 2))             # concatenation: (4, 2) and (4, 3)
XB = R.standard_normal((4, 3))
MASK = (np.random.default_rng(7).uniform(size=(4, 5)) > 0.4) / 0.6   # inverted dropout, p = 0.6 kept


@dataclass
class Layer:
    name: str
    forward: Callable
    backward: Callable
    inputs: tuple
    kwargs: dict = field(default_factory=dict)


@dataclass
class Bug:
    layer: Layer
    key: str
    what: str
    backward: Callable = None     # the planted backward (None: the layer's own)
    forward: Callable = None      # a planted forward (None: the layer's own)
    inputs: tuple = None          # other inputs (None: the layer's own)

    @property
    def id(self):
        return f"{self.layer.name}:{self.key}:{self.what[:40]}"

    def run(self, check_layer):
        fwd = self.forward or self.layer.forward
        bwd = self.backward or self.layer.backward
        return check_layer(fwd, bwd, *(self.inputs or self.layer.inputs), quiet=True, **self.layer.kwargs)


# --- correct layers ----------------------------------------------------------------------

def affine_forward(x, W, b):
    return x.reshape(x.shape[0], -1) @ W + b, (x, W)


def affine_backward(dout, cache):
    x, W = cache
    return (dout @ W.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


def elementwise(f, df_from_x, df_from_out=None):
    """forward and backward of out = f(z); backward uses the input z."""
    def forward(z):
        return f(z), (z, f(z))

    def backward(dout, cache):
        z, out = cache
        return dout * df_from_x(z)
    return forward, backward


SIG = elementwise(_sig, lambda z: _sig(z) * (1 - _sig(z)))
TANH = elementwise(np.tanh, lambda z: 1 - np.tanh(z) ** 2)
RELU = elementwise(lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float))
LEAKY = elementwise(lambda z: np.where(z > 0, z, 0.1 * z), lambda z: np.where(z > 0, 1.0, 0.1))
EXP = elementwise(np.exp, np.exp)
SOFTPLUS = elementwise(lambda z: np.logaddexp(0.0, z), _sig)
SQUARE = elementwise(lambda z: z * z, lambda z: 2 * z)
SIN = elementwise(np.sin, np.cos)


def softmax_forward(s):
    p = _softmax(s)
    return p, p


def softmax_backward(dout, p):
    return p * (dout - np.sum(dout * p, axis=1, keepdims=True))


def log_softmax_forward(s):
    shifted = s - s.max(axis=1, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return out, np.exp(out)


def log_softmax_backward(dout, p):
    return dout - p * dout.sum(axis=1, keepdims=True)


def mse_forward(y, t):
    d = y - t
    return np.sum(d * d) / y.shape[0], (d, y.shape[0])


def mse_backward(dout, cache):
    d, n = cache
    return dout * 2 * d / n


def ce_forward(s, onehot):
    n = s.shape[0]
    out, p = log_softmax_forward(s)
    return -np.sum(onehot * out) / n, (p, onehot, n)


def ce_backward(dout, cache):
    p, onehot, n = cache
    return dout * (p - onehot) / n


def bce_forward(z, t):
    """Binary cross-entropy with logits, mean over every entry."""
    loss = np.logaddexp(0.0, z) - t * z
    return np.mean(loss), (z, t)


def bce_backward(dout, cache):
    z, t = cache
    return dout * (_sig(z) - t) / z.size


def batchnorm_forward(x, gamma, beta):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    std = np.sqrt(var + 1e-5)
    xhat = (x - mu) / std
    return gamma * xhat + beta, (xhat, gamma, std)


def batchnorm_backward(dout, cache):
    xhat, gamma, std = cache
    n = dout.shape[0]
    dxhat = dout * gamma
    dx = (dxhat - dxhat.mean(axis=0) - xhat * np.mean(dxhat * xhat, axis=0)) / std
    return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)


def layernorm_forward(x):
    mu = x.mean(axis=1, keepdims=True)
    std = np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
    xhat = (x - mu) / std
    return xhat, (xhat, std)


def layernorm_backward(dout, cache):
    xhat, std = cache
    return (dout - dout.mean(axis=1, keepdims=True) - xhat * np.mean(dout * xhat, axis=1, keepdims=True)) / std


def dropout_forward(x):
    """Inverted dropout with a mask drawn once (seeded) and kept in the cache."""
    mask = (np.random.default_rng(7).uniform(size=x.shape) > 0.4) / 0.6
    return x * mask, mask


def dropout_backward(dout, mask):
    return dout * mask


def reshape_forward(x):
    return x.reshape(x.shape[0], -1), x.shape


def reshape_backward(dout, shape):
    return dout.reshape(shape)


def transpose_forward(x):
    return x.T.copy(), None


def transpose_backward(dout, cache):
    return dout.T


def concat_forward(a, b):
    return np.concatenate([a, b], axis=1), a.shape[1]


def concat_backward(dout, d):
    return dout[:, :d], dout[:, d:]


def mul_forward(x, y):
    return x * y, (x, y)


def mul_backward(dout, cache):
    x, y = cache
    return dout * y, dout * x


def rowsum_forward(x):
    return x.sum(axis=1), x.shape


def rowsum_backward(dout, shape):
    return np.broadcast_to(dout[:, None], shape).copy()


def colmean_forward(x):
    return x.mean(axis=0), x.shape


def colmean_backward(dout, shape):
    return np.broadcast_to(dout / shape[0], shape).copy()


def bias_forward(x, b):
    return x + b, None


def bias_backward(dout, cache):
    return dout, dout.sum(axis=0)


def scale_forward(x, a):
    return a * x, (x, a)


def scale_backward(dout, cache):
    x, a = cache
    return a * dout, np.sum(dout * x)


def norm2_forward(x):
    """Half the squared norm of each row."""
    return 0.5 * np.sum(x * x, axis=1), x


def norm2_backward(dout, x):
    return dout[:, None] * x


AFFINE = Layer("affine", affine_forward, affine_backward, (X, W, B))
AFFINE_SQ = Layer("affine_square", affine_forward, affine_backward, (X, WSQ, BSQ))
AFFINE_3D = Layer("affine_3d", affine_forward, affine_backward, (X3, W6, B))
AFFINE_N1 = Layer("affine_n1", affine_forward, affine_backward, (X[:1], W, B))
SIGMOID = Layer("sigmoid", *SIG, (Z,))
TANH_L = Layer("tanh", *TANH, (Z,))
RELU_L = Layer("relu", *RELU, (Z,))
LEAKY_L = Layer("leaky_relu", *LEAKY, (Z,))
EXP_L = Layer("exp", *EXP, (Z,))
SOFTPLUS_L = Layer("softplus", *SOFTPLUS, (Z,))
SQUARE_L = Layer("square", *SQUARE, (Z,))
SIN_L = Layer("sin", *SIN, (Z,))
SIGMOID_N1 = Layer("sigmoid_n1", *SIG, (Z1,))
SOFTMAX = Layer("softmax", softmax_forward, softmax_backward, (X,))
LOG_SOFTMAX = Layer("log_softmax", log_softmax_forward, log_softmax_backward, (X,))
MSE = Layer("mse", mse_forward, mse_backward, (X, T), {"wrt": [0]})
CE = Layer("softmax_ce", ce_forward, ce_backward, (X, ONEHOT), {"wrt": [0]})
BCE = Layer("bce_logits", bce_forward, bce_backward, (Z, P), {"wrt": [0]})
BATCHNORM = Layer("batchnorm", batchnorm_forward, batchnorm_backward, (X, GAMMA, BETA))
LAYERNORM = Layer("layernorm", layernorm_forward, layernorm_backward, (X,))
DROPOUT = Layer("dropout", dropout_forward, dropout_backward, (X,))
RESHAPE = Layer("reshape", reshape_forward, reshape_backward, (X3,))
TRANSPOSE = Layer("transpose", transpose_forward, transpose_backward, (X,))
CONCAT = Layer("concat", concat_forward, concat_backward, (XA, XB))
MUL = Layer("mul", mul_forward, mul_backward, (X, T))
ROWSUM = Layer("rowsum", rowsum_forward, rowsum_backward, (X,))
COLMEAN = Layer("colmean", colmean_forward, colmean_backward, (X,))
BIAS = Layer("bias", bias_forward, bias_backward, (X, BETA))
SCALE = Layer("scale", scale_forward, scale_backward, (X, np.array(1.7)))
NORM2 = Layer("norm2", norm2_forward, norm2_backward, (X,))

LAYERS = [AFFINE, AFFINE_SQ, AFFINE_3D, AFFINE_N1, SIGMOID, TANH_L, RELU_L, LEAKY_L, EXP_L, SOFTPLUS_L,
          SQUARE_L, SIN_L, SIGMOID_N1, SOFTMAX, LOG_SOFTMAX, MSE, CE, BCE, BATCHNORM, LAYERNORM, DROPOUT,
          RESHAPE, TRANSPOSE, CONCAT, MUL, ROWSUM, COLMEAN, BIAS, SCALE, NORM2]


# --- planted bugs -------------------------------------------------------------------------

def _affine(dx=None, dW=None, db=None):
    def backward(dout, cache):
        x, W_ = cache
        x2 = x.reshape(x.shape[0], -1)
        right = {"dx": (dout @ W_.T).reshape(x.shape), "dW": x2.T @ dout, "db": dout.sum(axis=0)}
        env = dict(dout=dout, x=x, x2=x2, W=W_, **right)
        return tuple(f(env) if f else right[k] for k, f in (("dx", dx), ("dW", dW), ("db", db)))
    return backward


_last_grad = {}


def _accumulating_backward(dout, cache):
    """dx kept in a module-level buffer and added to on every call (never reset)."""
    z, _ = cache
    buf = _last_grad.setdefault("buf", np.zeros_like(z))
    buf += dout * (1 - np.tanh(z) ** 2)
    return buf.copy()


def _cache_editing_backward(dout, cache):
    """tanh backward that turns its cached output into the local derivative in place."""
    z, out = cache
    out *= -out
    out += 1
    return dout * out


def _elementwise_from_out(dfo):
    def backward(dout, cache):
        z, out = cache
        return dout * dfo(out)
    return backward


def _elementwise_from_x(dfx):
    def backward(dout, cache):
        z, out = cache
        return dfx(dout, z)
    return backward


BUGS = [
    # affine
    Bug(AFFINE, "shape_transposed", "dW = dout.T @ x", _affine(dW=lambda e: e["dout"].T @ e["x2"])),
    Bug(AFFINE_SQ, "transposed", "dW transposed with a square W", _affine(dW=lambda e: (e["x2"].T @ e["dout"]).T)),
    Bug(AFFINE, "batch_not_summed", "db = dout (not summed)", _affine(db=lambda e: e["dout"])),
    Bug(AFFINE, "scaled_1_over_N", "db as the batch mean", _affine(db=lambda e: e["dout"].mean(axis=0))),
    Bug(AFFINE, "scaled_1_over_N", "dW divided by N", _affine(dW=lambda e: e["x2"].T @ e["dout"] / 4)),
    Bug(AFFINE, "ignores_upstream", "dx from a dout of ones", _affine(dx=lambda e: np.ones_like(e["dout"]) @ e["W"].T)),
    Bug(AFFINE, "sign_flipped", "dW with a minus sign", _affine(dW=lambda e: -(e["x2"].T @ e["dout"]))),
    Bug(AFFINE, "summed_wrong_axis", "db summed over axis 1", _affine(db=lambda e: e["dout"].sum(axis=1))),
    Bug(AFFINE, "kept_axis", "db with keepdims=True", _affine(db=lambda e: e["dout"].sum(axis=0, keepdims=True))),
    Bug(AFFINE, "all_zeros", "db left as np.zeros", _affine(db=lambda e: np.zeros(3))),
    Bug(AFFINE_3D, "not_reshaped", "dx not reshaped back to x's shape", _affine(dx=lambda e: e["dout"] @ e["W"].T)),
    Bug(AFFINE_3D, "flattened", "dx flattened", _affine(dx=lambda e: (e["dout"] @ e["W"].T).ravel())),
    Bug(AFFINE_N1, "lost_axis", "dx of a batch of one lost its batch axis",
        _affine(dx=lambda e: (e["dout"] @ e["W"].T)[0])),
    Bug(AFFINE_SQ, "wrong_values", "dx = dout @ W (W not transposed, square W)", _affine(dx=lambda e: e["dout"] @ e["W"])),
    Bug(AFFINE, "integer_dtype", "db rounded to integers", _affine(db=lambda e: np.rint(e["dout"].sum(axis=0)).astype(int))),
    Bug(AFFINE, "returned_none", "dW from a helper that forgot return", _affine(dW=lambda e: None)),
    # elementwise activations
    Bug(SIGMOID, "local_derivative_missing", "sigmoid: dx = dout", _elementwise_from_x(lambda d, z: d.copy())),
    Bug(SIGMOID, "derivative_at_output", "sigmoid'(out) instead of sigmoid'(z)",
        _elementwise_from_out(lambda s: _sig(s) * (1 - _sig(s)))),
    Bug(SIGMOID, "wrong_values", "dout * s (the (1 - s) missing)", _elementwise_from_out(lambda s: s)),
    Bug(SIGMOID, "ignores_upstream", "s * (1 - s) without dout",
        lambda dout, c: c[1] * (1 - c[1])),
    Bug(SIGMOID, "sign_flipped", "dout * s * (s - 1)", _elementwise_from_out(lambda s: s * (s - 1))),
    Bug(SIGMOID_N1, "lost_axis", "a batch of one squeezed", lambda dout, c: (dout * c[1] * (1 - c[1]))[0]),
    Bug(TANH_L, "derivative_at_output", "1 - tanh(out)**2", _elementwise_from_out(lambda t: 1 - np.tanh(t) ** 2)),
    Bug(TANH_L, "local_derivative_missing", "tanh: dx = dout", _elementwise_from_x(lambda d, z: d.copy())),
    Bug(TANH_L, "scaled_2", "2 * (1 - out**2)", _elementwise_from_out(lambda t: 2 * (1 - t * t))),
    Bug(TANH_L, "wrong_values", "1 - out (square missing)", _elementwise_from_out(lambda t: 1 - t)),
    Bug(TANH_L, "backward_not_deterministic", "dx accumulated in a buffer across calls", _accumulating_backward),
    Bug(TANH_L, "mutated_cache", "the cached output overwritten with 1 - out**2", _cache_editing_backward),
    Bug(RELU_L, "local_derivative_missing", "relu: dx = dout", _elementwise_from_x(lambda d, z: d.copy())),
    Bug(RELU_L, "partly_wrong", "the mask from dout (dout > 0)", _elementwise_from_x(lambda d, z: d * (d > 0))),
    Bug(RELU_L, "ignores_upstream", "the mask without dout", _elementwise_from_x(lambda d, z: (z > 0) * 1.0)),
    Bug(RELU_L, "wrong_values", "the mask inverted (z < 0)", _elementwise_from_x(lambda d, z: d * (z < 0))),
    Bug(LEAKY_L, "partly_wrong", "leaky relu without its slope on negatives", _elementwise_from_x(lambda d, z: d * (z > 0))),
    Bug(LEAKY_L, "local_derivative_missing", "leaky relu: dx = dout", _elementwise_from_x(lambda d, z: d.copy())),
    Bug(EXP_L, "derivative_at_output", "exp: dout * exp(out)", _elementwise_from_out(np.exp)),
    Bug(EXP_L, "local_derivative_missing", "exp: dx = dout", _elementwise_from_x(lambda d, z: d.copy())),
    Bug(SOFTPLUS_L, "derivative_at_output", "softplus: sigmoid(out)", _elementwise_from_out(_sig)),
    Bug(SOFTPLUS_L, "local_derivative_missing", "softplus: dx = dout", _elementwise_from_x(lambda d, z: d.copy())),
    Bug(SQUARE_L, "scaled_half", "z**2: the 2 missing", _elementwise_from_x(lambda d, z: d * z)),
    Bug(SQUARE_L, "derivative_at_output", "z**2: 2 * out", _elementwise_from_out(lambda o: 2 * o)),
    Bug(SIN_L, "sign_flipped", "sin: -cos(z)", _elementwise_from_x(lambda d, z: -d * np.cos(z))),
    Bug(SIN_L, "derivative_at_output", "sin: cos(out)", _elementwise_from_out(np.cos)),
    # softmax, log-softmax
    Bug(SOFTMAX, "diagonal_only", "softmax as if elementwise: dout * p * (1 - p)",
        lambda dout, p: dout * p * (1 - p)),
    Bug(SOFTMAX, "local_derivative_missing", "softmax: dx = dout", lambda dout, p: dout.copy()),
    Bug(SOFTMAX, "wrong_values", "the row sum taken over the batch axis",
        lambda dout, p: p * (dout - np.sum(dout * p, axis=0, keepdims=True))),
    Bug(SOFTMAX, "sign_flipped", "p * (sum - dout)", lambda dout, p: p * (np.sum(dout * p, axis=1, keepdims=True) - dout)),
    Bug(LOG_SOFTMAX, "diagonal_only", "log-softmax: dout * (1 - p)", lambda dout, p: dout * (1 - p)),
    Bug(LOG_SOFTMAX, "wrong_values", "log-softmax: dout - p (not weighted by the row sum)", lambda dout, p: dout - p),
    # losses
    Bug(MSE, "scaled_N", "mse: the 1/N missing", lambda dout, c: dout * 2 * c[0]),
    Bug(MSE, "mean_twice", "mse: divided by N twice", lambda dout, c: dout * 2 * c[0] / c[1] ** 2),
    Bug(MSE, "scaled_half", "mse: the 2 missing", lambda dout, c: dout * c[0] / c[1]),
    Bug(MSE, "sign_flipped", "mse: t - y", lambda dout, c: -dout * 2 * c[0] / c[1]),
    Bug(MSE, "scaled_by_axis", "mse: divided by N * D (the mean over every entry)",
        lambda dout, c: dout * 2 * c[0] / c[0].size),
    Bug(MSE, "ignores_upstream", "mse: dout dropped", lambda dout, c: 2 * c[0] / c[1]),
    Bug(CE, "one_entry_per_row", "cross-entropy: the one-hot not subtracted", lambda dout, c: dout * c[0] / c[2]),
    Bug(CE, "scaled_N", "cross-entropy: the 1/N missing", lambda dout, c: dout * (c[0] - c[1])),
    Bug(CE, "mean_twice", "cross-entropy: divided by N twice", lambda dout, c: dout * (c[0] - c[1]) / c[2] ** 2),
    Bug(CE, "sign_flipped", "cross-entropy: onehot - p", lambda dout, c: dout * (c[1] - c[0]) / c[2]),
    Bug(BCE, "scaled_by_axis", "bce: divided by N, not N * D", lambda dout, c: dout * (_sig(c[0]) - c[1]) / c[0].shape[0]),
    Bug(BCE, "scaled_by_axis", "bce: the 1/(N*D) missing", lambda dout, c: dout * (_sig(c[0]) - c[1])),
    # normalisation
    Bug(BATCHNORM, "batch_not_summed", "dgamma not summed over the batch",
        lambda dout, c: (batchnorm_backward(dout, c)[0], dout * c[0], dout.sum(axis=0))),
    Bug(BATCHNORM, "scaled_1_over_N", "dbeta as the batch mean",
        lambda dout, c: batchnorm_backward(dout, c)[:2] + (dout.mean(axis=0),)),
    Bug(BATCHNORM, "wrong_values", "dx with the batch statistics held constant",
        lambda dout, c: (dout * c[1] / c[2],) + batchnorm_backward(dout, c)[1:]),
    Bug(BATCHNORM, "summed_wrong_axis", "dbeta summed over axis 1",
        lambda dout, c: batchnorm_backward(dout, c)[:2] + (dout.sum(axis=1),)),
    Bug(LAYERNORM, "wrong_values", "layernorm: the mean subtracted over axis 0",
        lambda dout, c: (dout - dout.mean(axis=0, keepdims=True)
                         - c[0] * np.mean(dout * c[0], axis=1, keepdims=True)) / c[1]),
    Bug(LAYERNORM, "local_derivative_missing", "layernorm: dx = dout", lambda dout, c: dout.copy()),
    # dropout-like
    Bug(DROPOUT, "backward_not_deterministic", "a new mask drawn in backward",
        lambda dout, mask: dout * (np.random.uniform(size=dout.shape) > 0.4) / 0.6),
    Bug(DROPOUT, "local_derivative_missing", "dropout: the mask not applied", lambda dout, mask: dout.copy()),
    Bug(DROPOUT, "scaled_other", "dropout: the 1/p of the mask dropped", lambda dout, mask: dout * (mask > 0)),
    Bug(DROPOUT, "mutated_input", "dropout: dout *= mask", lambda dout, mask: np.multiply(dout, mask, out=dout)),
    # reshapes
    Bug(RESHAPE, "not_reshaped", "reshape: dx = dout", lambda dout, shape: dout.copy()),
    Bug(RESHAPE, "flattened", "reshape: dx = dout.ravel()", lambda dout, shape: dout.ravel()),
    Bug(TRANSPOSE, "shape_transposed", "transpose: dx = dout", lambda dout, c: dout.copy()),
    # concatenation
    Bug(CONCAT, "shifted", "concat: the second slice starts one column late",
        lambda dout, d: (dout[:, :d], np.concatenate([dout[:, d + 1:], np.zeros((dout.shape[0], 1))], axis=1))),
    Bug(CONCAT, "wrong_shape", "concat: slices at the wrong width",
        lambda dout, d: (dout[:, :d + 1], dout[:, d + 1:])),
    # gates
    Bug(MUL, "gradient_of_other_input", "mul: dx = dout * x", lambda dout, c: (dout * c[0], dout * c[0])),
    Bug(MUL, "wrong_order", "mul: (dy, dx) returned", lambda dout, c: (dout * c[0], dout * c[1])),
    Bug(ROWSUM, "upstream_shape", "row sum: dx = dout", lambda dout, shape: dout.copy()),
    Bug(COLMEAN, "scaled_N", "column mean: the 1/N missing", lambda dout, shape: np.broadcast_to(dout, shape).copy()),
    Bug(BIAS, "batch_not_summed", "bias: db = dout", lambda dout, c: (dout, dout)),
    Bug(SCALE, "scalar_expected", "scale: da not summed", lambda dout, c: (c[1] * dout, dout * c[0])),
    Bug(NORM2, "local_derivative_missing", "half squared norm: dx = dout broadcast",
        lambda dout, x: np.broadcast_to(dout[:, None], x.shape).copy()),
    Bug(NORM2, "scaled_2", "half squared norm: 2 * x", lambda dout, x: 2 * dout[:, None] * x),
]
