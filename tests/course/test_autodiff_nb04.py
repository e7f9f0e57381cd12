"""Notebook 06's engine computes the gradients of notebook 04's layers, on the same weights.

Notebook 06 shows this in a cell with the layer formulas written again; this test does it with
notebook 04's own solution functions (affine_forward/affine_backward, relu_forward/relu_backward,
softmax_cross_entropy), loaded with autograder.load_notebook.
"""
import numpy as np
import pytest

from conftest import load_solution

NB04 = "04_vector_backprop"
NEEDED = ["affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_cross_entropy"]

@pytest.fixture(scope="module")
def layers():
    nb = load_solution(NB04)
    missing = [name for name in NEEDED if name not in nb]
    assert not missing, f"notebook 04 no longer defines {missing}: adapt this test to its layer names"
    return nb


@pytest.fixture(scope="module")
def engine():
    return load_solution("06_autodiff")


def _one(result):
    """relu_backward may return dz or (dz,)."""
    return result[0] if isinstance(result, (tuple, list)) else result


@pytest.mark.parametrize("seed, n, d, h, c", [(0, 6, 4, 5, 3), (1, 5, 3, 7, 4)])
def test_engine_gradients_equal_notebook_04_layers(layers, engine, seed, n, d, h, c):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    labels = rng.permutation(np.arange(n) % c)
    W1, b1 = rng.standard_normal((d, h)) * 0.5, rng.standard_normal(h) * 0.1
    W2, b2 = rng.standard_normal((h, c)) * 0.5, rng.standard_normal(c) * 0.1
    assert np.min(np.abs(x @ W1 + b1)) > 1e-3, "inputs at ReLU's kink: pick another seed"

    z1, cache1 = layers.affine_forward(x, W1, b1)
    h1, cache_relu = layers.relu_forward(z1)
    scores, cache2 = layers.affine_forward(h1, W2, b2)
    loss, dscores = layers.softmax_cross_entropy(scores, labels)
    dh1, dW2, db2 = layers.affine_backward(dscores, cache2)
    dx, dW1, db1 = layers.affine_backward(_one(layers.relu_backward(dh1, cache_relu)), cache1)

    Tensor = engine.Tensor
    xt, params = Tensor(x), [Tensor(p) for p in (W1, b1, W2, b2)]
    out = engine.two_layer_loss(xt, labels, *params)
    out.backward()
    assert np.isclose(float(out.data), float(loss), rtol=1e-12)
    for name, by_layers, p in zip(["W1", "b1", "W2", "b2"], [dW1, db1, dW2, db2], params):
        np.testing.assert_allclose(p.grad, by_layers, rtol=1e-10, atol=1e-14, err_msg=name)
    np.testing.assert_allclose(xt.grad, dx, rtol=1e-10, atol=1e-14, err_msg="x")
