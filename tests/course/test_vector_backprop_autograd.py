"""Do notebook 04's layers and network agree with an independent autodiff (HIPS autograd)?

The finite-difference checks judge a backward pass against its own forward pass; this test
asks a different question: do the solution's forward AND backward agree with the formulas,
written once more here in ``autograd.numpy`` and differentiated by autograd's reverse mode.
Inputs are random (several seeds, shapes that differ on every axis, 2-D and 4-D batches),
ReLU inputs and hinge margins away from their kinks.

autograd is a test-only dependency: without it this module is skipped, saying so.
"""
import numpy as np
import pytest

from conftest import load_solution

autograd = pytest.importorskip("autograd", reason="HIPS autograd (a test-only dependency) is not installed")
anp = pytest.importorskip("autograd.numpy")

NB = "04_vector_backprop"
SEEDS = range(5)
RTOL = 1e-10          # both sides are exact formulas in float64; only round-off separates them


@pytest.fixture(scope="module")
def sol():
    return load_solution(NB)


def close(mine, theirs):
    mine, theirs = np.asarray(mine, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert mine.shape == theirs.shape
    scale = max(np.max(np.abs(theirs), initial=0.0), 1e-3)
    assert np.max(np.abs(mine - theirs), initial=0.0) <= RTOL * scale


def away_from_zero(rng, shape):
    return rng.uniform(0.05, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def a_sigmoid(z):
    return 0.5 * (anp.tanh(0.5 * z) + 1.0)


def a_log_softmax(s):
    shifted = s - anp.max(s, axis=1, keepdims=True)
    return shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))


def a_ce(s, labels):
    return -anp.mean(a_log_softmax(s)[np.arange(s.shape[0]), labels])


def a_mse(y, t):
    return 0.5 * anp.sum((y - t) ** 2) / y.shape[0]


A_ACT = {"relu": lambda z: anp.maximum(z, 0.0), "sigmoid": a_sigmoid, "tanh": anp.tanh}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("sample_shape", [(5,), (2, 3, 2)])
def test_affine(sol, seed, sample_shape):
    rng = np.random.default_rng(seed)
    n, d, m = 4, int(np.prod(sample_shape)), 3
    x, W, b = rng.standard_normal((n,) + sample_shape), rng.standard_normal((d, m)), rng.standard_normal(m)
    dout = rng.standard_normal((n, m))
    out, cache = sol.affine_forward(x, W, b)
    close(out, x.reshape(n, -1) @ W + b)

    def f(x, W, b):
        return anp.sum(dout * (anp.reshape(x, (n, -1)) @ W + b))
    for argnum, mine in enumerate(sol.affine_backward(dout, cache)):
        close(mine, autograd.grad(f, argnum)(x, W, b))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_activations(sol, seed, name):
    rng = np.random.default_rng(seed)
    z = away_from_zero(rng, (4, 3)) * 1.5
    dout = rng.standard_normal(z.shape)
    out, cache = getattr(sol, f"{name}_forward")(z)
    close(out, A_ACT[name](z))
    close(getattr(sol, f"{name}_backward")(dout, cache),
          autograd.grad(lambda v: anp.sum(dout * A_ACT[name](v)))(z))


@pytest.mark.parametrize("seed", SEEDS)
def test_losses(sol, seed):
    rng = np.random.default_rng(seed)
    y, t = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    value, dy = sol.mse_loss(y, t)
    close(value, a_mse(y, t))
    close(dy, autograd.grad(a_mse)(y, t))
    scores, labels = 3 * rng.standard_normal((5, 4)), rng.integers(0, 4, size=5)
    value, dscores = sol.softmax_cross_entropy(scores, labels)
    close(value, a_ce(scores, labels))
    close(dscores, autograd.grad(a_ce)(scores, labels))


def test_softmax_cross_entropy_for_scores_of_size_1000(sol):
    scores = np.array([[1000.0, 999.0, -1000.0], [-1000.0, 1000.0, 0.0], [500.0, -500.0, 998.0]])
    labels = np.array([0, 0, 2])
    value, dscores = sol.softmax_cross_entropy(scores, labels)
    close(value, a_ce(scores, labels))
    close(dscores, autograd.grad(a_ce)(scores, labels))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("hidden, loss", [("relu", "softmax"), ("sigmoid", "mse"), ("tanh", "softmax"),
                                          ("sigmoid", "softmax"), ("relu", "mse")])
def test_two_layer_net(sol, seed, hidden, loss):
    rng = np.random.default_rng(seed)
    n, d, h, c = 5, 4, 6, 3
    x = rng.standard_normal((n, d))
    params = {"W1": rng.standard_normal((d, h)), "b1": rng.standard_normal(h),
              "W2": rng.standard_normal((h, c)), "b2": rng.standard_normal(c)}
    t = rng.integers(0, c, size=n) if loss == "softmax" else rng.standard_normal((n, c))
    loss_fn = a_ce if loss == "softmax" else a_mse

    def f(W1, b1, W2, b2):
        return loss_fn(A_ACT[hidden](x @ W1 + b1) @ W2 + b2, t)
    value, grads = sol.two_layer_net(x, t, params, hidden=hidden, loss=loss)
    keys = ("W1", "b1", "W2", "b2")
    close(value, f(*(params[k] for k in keys)))
    for argnum, key in enumerate(keys):
        close(grads[key], autograd.grad(f, argnum)(*(params[k] for k in keys)))


@pytest.mark.parametrize("seed", SEEDS)
def test_layer_theta_grad(sol, seed):
    rng = np.random.default_rng(seed)
    n, d, m = 4, 5, 3
    h, dz = rng.standard_normal((n, d)), rng.standard_normal((n, m))
    theta = rng.standard_normal(d * m + m)

    def f(theta):
        return anp.sum(dz * (h @ anp.reshape(theta[:d * m], (d, m)) + theta[d * m:]))
    close(sol.layer_theta_grad(h, dz), autograd.grad(f)(theta))


@pytest.mark.parametrize("seed", SEEDS)
def test_hinge_loss(sol, seed):
    rng = np.random.default_rng(seed)
    n, d, c, reg = 6, 4, 3, 0.1
    while True:                                   # margins away from the hinge's kink
        x, W, labels = rng.standard_normal((n, d)), rng.standard_normal((d, c)), rng.integers(0, c, size=n)
        s = x @ W
        margins = s - s[np.arange(n), labels][:, None] + 1
        margins[np.arange(n), labels] = 1.0
        if np.min(np.abs(margins)) > 0.05:
            break
    not_label = (np.arange(c)[None, :] != labels[:, None]).astype(float)

    def f(W):
        s = x @ W
        m = s - s[np.arange(n), labels][:, None] + 1.0
        return anp.sum(anp.maximum(m, 0.0) * not_label) / n + reg * anp.sum(W * W)
    value, dW = sol.hinge_loss(W, x, labels, reg)
    close(value, f(W))
    close(dW, autograd.grad(f)(W))


def test_whole_network_gradient_through_flatten(sol):
    """flatten / unflatten around the network: one gradient vector, as autograd sees theta."""
    rng = np.random.default_rng(11)
    x, labels = rng.standard_normal((5, 4)), rng.integers(0, 3, size=5)
    layers = [(rng.standard_normal((4, 6)), rng.standard_normal(6)), (rng.standard_normal((6, 3)), rng.standard_normal(3))]
    theta = sol.flatten(layers)

    def f(theta):
        W1, b1 = anp.reshape(theta[:24], (4, 6)), theta[24:30]
        W2, b2 = anp.reshape(theta[30:48], (6, 3)), theta[48:]
        return a_ce(anp.tanh(x @ W1 + b1) @ W2 + b2, labels)
    (W1, b1), (W2, b2) = sol.unflatten(theta, layers)
    _, g = sol.two_layer_net(x, labels, {"W1": W1, "b1": b1, "W2": W2, "b2": b2}, hidden="tanh")
    close(sol.flatten([(g["W1"], g["b1"]), (g["W2"], g["b2"])]), autograd.grad(f)(theta))
