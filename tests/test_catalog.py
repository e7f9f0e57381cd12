"""Every mistake class of the catalog, planted in a reference layer, is caught and named."""
import os
import sys

import numpy as np
import pytest

import autograder as ag
from autograder import like

import reference_layers as ref

R = np.random.default_rng(0)
X, W, B = R.standard_normal((4, 5)), R.standard_normal((5, 3)), R.standard_normal(3)
Z = R.standard_normal((4, 3)) * 2
TARGET = R.standard_normal((4, 3))


def grads(dout, cache):
    return ref.affine_backward(dout, cache)


def _loop_forever(dout, cache):
    while True:
        pass


def _exit(dout, cache):
    sys.exit(1)


def _overflow(dout, cache):
    np.exp(np.array([1000.0]))
    return grads(dout, cache)


def _matmul_error(dout, cache):
    x, W = cache
    return dout @ W, x.T @ dout, dout.sum(0)


def _mutates_dout(dout, cache):
    dx, dW, db = grads(dout, cache)
    dout *= 2
    return dx, dW, db


def _mutating_forward(x, W, b):
    x += 0.0 * x + 1.0
    return ref.affine_forward(x, W, b)


def _stub(dout, cache):
    raise NotImplementedError()


def _partial_rows(dout, cache):
    dx, dW, db = grads(dout, cache)
    dx = dx.copy()
    dx[[1, 3]] = 0.0
    return dx, dW, db


def _ignores_upstream(dout, cache):
    x, W = cache
    ones = np.ones_like(dout)
    return ones @ W.T, x.T @ dout, dout.sum(0)


def change(which, how):
    """A backward pass that is right except for gradient ``which`` (0, 1, 2) passed through ``how``."""
    def backward(dout, cache):
        out = list(grads(dout, cache))
        out[which] = how(out[which], dout, cache)
        return tuple(out)
    return backward


# (planted backward, forward, expected key, gradient name or None, text the message must contain)
AFFINE_CASES = [
    (change(1, lambda g, d, c: g.T), None, "shape_transposed", "dW", "transpose"),
    (change(2, lambda g, d, c: d.mean(0)), None, "scaled_1_over_N", "db", "sum over the batch, not the mean"),
    (change(2, lambda g, d, c: d), None, "batch_not_summed", "db", "batch axis"),
    (change(2, lambda g, d, c: d.sum(0, keepdims=True)), None, "kept_axis", "db", "extra axis"),
    (change(1, lambda g, d, c: g[:, :, None]), None, "kept_axis", "dW", "extra axis"),
    (change(2, lambda g, d, c: float(d.sum())), None, "scalar_instead", "db", "single number"),
    (change(1, lambda g, d, c: g[:, :2]), None, "wrong_shape", "dW", "(5, 3)"),
    (change(0, lambda g, d, c: -g), None, "sign_flipped", "dx", "wrong sign"),
    (change(1, lambda g, d, c: 2 * g), None, "scaled_2", "dW", "2 times"),
    (change(1, lambda g, d, c: 0.5 * g), None, "scaled_half", "dW", "half"),
    (change(0, lambda g, d, c: 4 * g), None, "scaled_N", "dx", "N=4 times too large"),
    (change(0, lambda g, d, c: 3.7 * g), None, "scaled_other", "dx", "3.7 times"),
    (change(1, lambda g, d, c: g.astype(int)), None, "integer_dtype", "dW", "integer dtype"),
    (change(0, lambda g, d, c: g / 0.0 if False else g * np.nan), None, "non_finite", "dx", "nan"),
    (change(0, lambda g, d, c: np.where(g > 0, np.inf, g)), None, "non_finite", "dx", "inf"),
    (change(1, lambda g, d, c: None), None, "returned_none", "dW", "None"),
    (change(1, lambda g, d, c: "dW"), None, "not_numeric", "dW", "not an array of numbers"),
    (_partial_rows, None, "partly_wrong", "dx", "samples 1, 3"),
    (_ignores_upstream, None, "ignores_upstream", "dx", "upstream gradient"),
    (lambda d, c: None, None, "returned_none", None, "forget `return`"),
    (lambda d, c: grads(d, c)[:2], None, "wrong_count", None, "returned 2 values"),
    (_stub, None, "not_implemented", None, "not implemented yet"),
    (_loop_forever, None, "timeout", None, "did not finish"),
    (_exit, None, "exit", None, "exit()"),
    (_overflow, None, "warning", None, "overflow"),
    (_matmul_error, None, "exception", None, "hint: a matrix product"),
    (lambda d, c: grads(d, c) if d > 0 else None, None, "exception", None, "np.maximum or np.where"),
    (_mutates_dout, None, "mutated_input", None, "changed dout in place"),
    (grads, _mutating_forward, "mutated_input", None, "changed its input x in place"),
]


@pytest.mark.parametrize("backward, forward, key, name, text", AFFINE_CASES,
                         ids=[f"{c[2]}-{i}" for i, c in enumerate(AFFINE_CASES)])
def test_planted_affine_mistake_is_named(backward, forward, key, name, text):
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(forward or ref.affine_forward, backward, X, W, B)
    err = info.value
    assert err.key == key, str(err)
    if name:
        assert err.keys.get(name) == key, str(err)
    assert text in str(err)
    assert len(str(err).splitlines()) <= 6, "messages stay short"


def test_values_transposed_on_a_square_weight():
    """With a square W the transpose has the right shape: the values must give it away."""
    Wsq = R.standard_normal((5, 5))
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(ref.affine_forward, change(1, lambda g, d, c: g.T.copy()), X, Wsq, R.standard_normal(5))
    assert info.value.keys == {"dW": "transposed"}


def test_forward_convention_is_enforced():
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(lambda x, W, b: x @ W + b, grads, X, W, B)
    assert info.value.key == "bad_return"


def test_message_shows_worst_entry_and_error():
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(ref.affine_forward, change(0, lambda g, d, c: -g), X, W, B)
    text = str(info.value)
    assert "worst entry dx[" in text and "yours" in text and "numeric" in text
    assert "relative error 2.0e+00" in text


def test_every_failing_gradient_is_reported():
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(ref.affine_forward, lambda d, c: tuple(-g for g in grads(d, c)), X, W, B)
    assert info.value.keys == {"dx": "sign_flipped", "dW": "sign_flipped", "db": "sign_flipped"}


# ---- exercise-specific alternatives: the catalog grows without new code paths

NO_SIGMOID_DERIVATIVE = like("no_sigmoid_derivative",
                             "{name}: you forgot the sigmoid derivative s(1 - s).",
                             lambda ev: ev.dout)


def test_exercise_alternative_is_named_first():
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(ref.sigmoid_forward, lambda dout, s: dout.copy(), Z,
                       mistakes=[NO_SIGMOID_DERIVATIVE])
    assert info.value.key == "no_sigmoid_derivative"
    assert "forgot the sigmoid derivative" in str(info.value)


def test_alternative_does_not_fire_on_correct_code():
    ag.check_layer(ref.sigmoid_forward, ref.sigmoid_backward, Z, mistakes=[NO_SIGMOID_DERIVATIVE], quiet=True)


def test_alternative_limited_to_named_gradients():
    row = like("only_db", "db mistake", lambda ev: ev.yours_again * 0 + 1.0, grads="db")
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(ref.affine_forward, change(0, lambda g, d, c: np.ones_like(g)), X, W, B, mistakes=[row])
    assert info.value.keys == {"dx": "ignores_upstream"}


def test_all_zero_gradient_is_named():
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(ref.affine_forward, change(0, lambda g, d, c: np.zeros_like(g)), X, W, B)
    assert info.value.keys == {"dx": "all_zeros"}


def test_loss_summed_instead_of_averaged():
    """A loss that averages over N: forgetting the 1/N in backward is 'N times too large'."""
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(ref.mse_forward, lambda dout, c: dout * 2 * c[0], Z, TARGET, wrt=[0])
    assert info.value.key == "scaled_N"


def test_check_grad_names_mistakes():
    x = R.standard_normal((3, 2))
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_grad(lambda v: np.sum(v ** 2), lambda v: v, x)
    assert info.value.key == "scaled_half"
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_grad(lambda v: np.sum(np.cos(v)), np.sin, x)
    assert info.value.key == "sign_flipped"
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_grad(lambda v: np.sum(v ** 2), lambda v: 2 * v.T, x)
    assert info.value.key == "shape_transposed"


def test_check_grad_detects_mutation():
    def grad_in_place(v):
        v *= 2
        return v
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_grad(lambda v: np.sum(v ** 2), grad_in_place, R.standard_normal(4))
    assert info.value.key == "mutated_input"


def test_traceback_is_short():
    """The learner sees the check's frame and the cell's, not the engine's internals."""
    import traceback
    try:
        ag.check_layer(ref.affine_forward, change(0, lambda g, d, c: -g), X, W, B)
    except ag.CheckFailed as exc:
        frames = traceback.extract_tb(exc.__traceback__)
    assert len(frames) <= 2
