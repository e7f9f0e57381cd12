"""Correct reference layers for the engine tests, written from the formulas.

Each backward pass here is checked against finite differences in
test_engine.py before any planted mistake is built on top of it.
"""
import numpy as np


def affine_forward(x, W, b):
    return x @ W + b, (x, W)


def affine_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def stable_sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_forward(z):
    s = stable_sigmoid(z)
    return s, s


def sigmoid_backward(dout, s):
    return dout * s * (1.0 - s)


def tanh_forward(z):
    t = np.tanh(z)
    return t, t


def tanh_backward(dout, t):
    return dout * (1.0 - t * t)


def mse_forward(pred, target):
    """Mean over the batch of the squared error summed over outputs: (1/N) sum ||pred_n - target_n||^2."""
    diff = pred - target
    return np.sum(diff * diff) / pred.shape[0], (diff, pred.shape[0])


def mse_backward(dout, cache):
    diff, n = cache
    return dout * 2.0 * diff / n


def softmax_ce_forward(scores, onehot):
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    n = scores.shape[0]
    return -np.sum(onehot * logp) / n, (np.exp(logp), onehot, n)


def softmax_ce_backward(dout, cache):
    p, onehot, n = cache
    return dout * (p - onehot) / n


# --- layers with kinks: their checks must leave out entries whose finite-difference step straddles one

def relu_forward(z):
    return np.maximum(z, 0.0), z


def relu_backward(dout, z):
    return dout * (z > 0)


def max_forward(x, y):
    """The max gate, entry by entry; a tie goes to x."""
    return np.maximum(x, y), (x, y)


def max_backward(dout, cache):
    x, y = cache
    x_wins = x >= y
    return dout * x_wins, dout * ~x_wins


def hinge_forward(scores, onehot):
    """CS231n's multiclass hinge loss: (1/N) sum_n sum_{j != y_n} max(0, s_nj - s_ny_n + 1)."""
    n = scores.shape[0]
    labels = onehot.argmax(axis=1)
    correct = scores[np.arange(n), labels][:, None]
    margins = np.maximum(0.0, scores - correct + 1.0)
    margins[np.arange(n), labels] = 0.0
    return np.sum(margins) / n, (margins, labels, n)


def hinge_backward(dout, cache):
    margins, labels, n = cache
    active = (margins > 0).astype(np.float64)
    active[np.arange(n), labels] = -active.sum(axis=1)
    return dout * active / n
