"""Does notebook 04's vector network give notebook 03's loop network's gradients on the same weights?

Both solution notebooks are loaded with ``autograder.load_notebook``.  Notebook 03 computes a
batch's loss and gradients one sample and one neuron at a time, as the mean of the per-sample
ones (seed 003's E = 1/2 sum (y - t)^2 or the cross-entropy of a softmax); notebook 04 computes
them with matrix products and the 1/N inside the loss.  They must agree to round-off, at N = 1
(where the seeds' per-sample deltas and the course's dz coincide) and for a batch (where the
1/N enters).  Sigmoid hidden units; each output/loss pair the two notebooks share.

Notebook 03's interface, as this test uses it (its solution notebook, 03_scalar_backprop):

    batch_gradients(X, T, W1, b1, W2, b2, output) -> (L, dW1, db1, dW2, db2)
    X: (N, l), T: (N, n) (one-hot rows for output="softmax"), output in
    {"identity", "sigmoid", "softmax"}; L the mean of the per-sample errors.
"""
import numpy as np
import pytest

from conftest import load_solution

RTOL = 1e-10
KEYS = ("W1", "b1", "W2", "b2")


@pytest.fixture(scope="module")
def nb03():
    nb = load_solution("03_scalar_backprop")
    assert "batch_gradients" in nb, ("notebook 03 defines no batch_gradients(X, T, W1, b1, W2, b2, "
                                     "output); adapt this test to notebook 03's batch function")
    return nb


@pytest.fixture(scope="module")
def nb04():
    return load_solution("04_vector_backprop")


def close(mine, theirs, what):
    mine, theirs = np.asarray(mine, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert mine.shape == theirs.shape, (what, mine.shape, theirs.shape)
    scale = max(np.max(np.abs(theirs), initial=0.0), 1e-3)
    err = np.max(np.abs(mine - theirs), initial=0.0) / scale
    assert err <= RTOL, f"{what}: notebooks 03 and 04 differ by {err:.1e}"


def sigmoid_output_net(nb04, x, t, params):
    """Sigmoid hidden AND output units with the squared error, built from notebook 04's layers."""
    z1, c1 = nb04.affine_forward(x, params["W1"], params["b1"])
    h1, ca = nb04.sigmoid_forward(z1)
    z2, c2 = nb04.affine_forward(h1, params["W2"], params["b2"])
    y, cb = nb04.sigmoid_forward(z2)
    value, dy = nb04.mse_loss(y, t)
    dh1, dW2, db2 = nb04.affine_backward(nb04.sigmoid_backward(dy, cb), c2)
    _, dW1, db1 = nb04.affine_backward(nb04.sigmoid_backward(dh1, ca), c1)
    return value, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def vector(nb04, output, x, t, params):
    if output == "identity":
        return nb04.two_layer_net(x, t, params, hidden="sigmoid", loss="mse")
    if output == "softmax":
        return nb04.two_layer_net(x, np.argmax(t, axis=1), params, hidden="sigmoid", loss="softmax")
    return sigmoid_output_net(nb04, x, t, params)


@pytest.mark.parametrize("n", [1, 5])
@pytest.mark.parametrize("output", ["identity", "softmax", "sigmoid"])
def test_vector_network_matches_the_loop_network(nb03, nb04, output, n):
    rng = np.random.default_rng(40 + n)
    l, m, k = 4, 6, 3
    x = rng.uniform(-1.5, 1.5, size=(n, l))
    t = np.eye(k)[rng.integers(0, k, size=n)] if output == "softmax" else rng.standard_normal((n, k))
    params = {"W1": rng.standard_normal((l, m)), "b1": 0.5 * rng.standard_normal(m),
              "W2": rng.standard_normal((m, k)), "b2": 0.5 * rng.standard_normal(k)}
    L, *loop_grads = nb03.batch_gradients(x.copy(), t.copy(), *(params[key].copy() for key in KEYS), output)
    value, grads = vector(nb04, output, x, t, {key: v.copy() for key, v in params.items()})
    close(value, L, f"loss (output={output!r}, N={n})")
    for key, theirs in zip(KEYS, loop_grads):
        close(grads[key], theirs, f"d{key} (output={output!r}, N={n})")


def test_the_loop_demo_of_notebook_04_is_notebook_03s_network(nb03, nb04):
    """Notebook 04's demo cell labels its loop network as notebook 03's: the numbers must agree."""
    rng = np.random.default_rng(7)
    x, t = rng.standard_normal((3, 4)), rng.standard_normal((3, 2))
    params = [rng.standard_normal((4, 5)), rng.standard_normal(5), rng.standard_normal((5, 2)), rng.standard_normal(2)]
    E, demo = nb04.loop_batch_gradients(x, t, *params)
    L, *theirs = nb03.batch_gradients(x.copy(), t.copy(), *(p.copy() for p in params), "identity")
    close(E, L, "loss")
    for key, g in zip(KEYS, theirs):
        close(demo[key], g, f"d{key}")
