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


# ---- a backward pass that edits its cache in place

def _scales_cached_x_after_use(dout, cache):
    """Right gradients the first time, but x in the cache is doubled afterwards."""
    dx, dW, db = grads(dout, cache)
    x, _ = cache
    x *= 2
    return dx, dW, db


def _sigmoid_in_cached_output(dout, s):
    """dx = dout * s * (1 - s) computed inside the cached s: right once, wrong the second time."""
    s *= 1 - s
    s *= dout
    return s


def _relu_forward(z):
    return np.maximum(z, 0.0), z


def _relu_cached_input_as_buffer(dout, z):
    """Writes dout into the cached z (z[...] = dout * mask): right once, a different mask after."""
    mask = z > 0
    z[...] = dout * mask
    return z


class _Box:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def _forward_with_object_cache(x, W, b):
    return x @ W + b, _Box(x=x, W=W)


def _backward_scales_object_cache(dout, box):
    dx, dW, db = ref.affine_backward(dout, (box.x, box.W))
    box.W = box.W * 3   # not an array edited in place, but the cache object is: a second call differs
    return dx, dW, db


def _forward_list_cache(x, W, b):
    return x @ W + b, [x, W]


def _backward_pops_the_cache(dout, cache):
    W = cache.pop()
    x = cache.pop()
    return dout @ W.T, x.T @ dout, dout.sum(0)


@pytest.mark.parametrize("forward, backward, inputs, where, advice", [
    (ref.affine_forward, _scales_cached_x_after_use, (X, W, B), "(the cached x): a second backward on the "
     "same cache gave different gradients", "instead of editing cached ones (x *= ... or x[...] = ...)"),
    (ref.sigmoid_forward, _sigmoid_in_cached_output, (Z,), "(the cached output)", "compute new arrays (dz = ...)"),
    (_relu_forward, _relu_cached_input_as_buffer, (Z,), "(the cached z)", "(z *= ... or z[...] = ...)"),
    (_forward_with_object_cache, _backward_scales_object_cache, (X, W, B), "a second backward",
     "compute new arrays (dx = ...)"),
    (_forward_list_cache, _backward_pops_the_cache, (X, W, B), "(the list cache): a second backward on the "
     "same cache failed", "not cache.pop()"),
], ids=["x*=2", "sigmoid-in-s", "relu-buffer", "object-cache", "list-popped"])
def test_backward_that_edits_its_cache_is_named(forward, backward, inputs, where, advice):
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(forward, backward, *inputs)
    err = info.value
    assert err.key == "mutated_cache", str(err)
    text = str(err)
    assert f"{backward.__name__} changed its cache in place" in text
    assert where in text and advice in text
    assert len(text.splitlines()) <= 6


def test_backward_that_edits_its_cache_the_same_way_twice_is_named():
    """z[z < 0] = 0 on the cached z gives the same gradients twice, but the cache has changed."""
    def relu_backward(dout, z):
        z[z < 0] = 0
        return dout * (z > 0)
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(_relu_forward, relu_backward, Z)
    assert info.value.key == "mutated_cache"
    assert "(the cached z): a backward pass must leave its cache as forward built it" in str(info.value)


def test_cache_check_does_not_hide_ignored_upstream():
    """The second call on the same cache uses the same dout; a second, different dout still
    finds a backward pass that ignores it."""
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(ref.affine_forward, _ignores_upstream, X, W, B)
    assert info.value.keys == {"dx": "ignores_upstream"}


def test_backward_may_read_its_cache_many_times():
    ag.check_layer(_forward_list_cache, lambda d, c: ref.affine_backward(d, tuple(c)), X, W, B, quiet=True)
    ag.check_layer(ref.sigmoid_forward, ref.sigmoid_backward, Z, quiet=True)


# ---- gradients returned in the wrong order

def _order(*slots):
    def backward(dout, cache):
        g = grads(dout, cache)
        return tuple(g[k] for k in slots)
    return backward


def _mul_forward(x, y):
    return x * y, (x, y)


def _mul_backward_swapped(dout, cache):
    x, y = cache
    return dout * x, dout * y      # (dy, dx): the right arrays, in the wrong order


@pytest.mark.parametrize("backward, inputs, looks_like", [
    (_order(1, 0, 2), (X, W, B), "(dW, dx, db)"),
    (_order(0, 2, 1), (X, W, B), "(dx, db, dW)"),
    (_order(2, 0, 1), (X, W, B), "(db, dx, dW)"),
    (_order(1, 0, 2), (R.standard_normal((5, 5)), R.standard_normal((5, 5)), B[:1].repeat(5)), "(dW, dx, db)"),
], ids=["dW-dx-db", "dx-db-dW", "db-dx-dW", "square: values decide"])
def test_gradients_in_the_wrong_order_are_named_once(backward, inputs, looks_like):
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(ref.affine_forward, backward, *inputs)
    err = info.value
    assert err.key == "wrong_order", str(err)
    text = str(err)
    assert text.startswith("backward returned its gradients in the wrong order: return (dx, dW, db), "
                           "one per input, in the order of forward's inputs")
    assert f"(yours look like {looks_like})" in text
    assert len(text.splitlines()) == 1


def test_same_shapes_in_the_wrong_order_are_named_by_their_values():
    x, y = R.standard_normal((4, 3)), R.standard_normal((4, 3))
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(_mul_forward, _mul_backward_swapped, x, y)
    assert info.value.key == "wrong_order"
    assert "(yours look like (dy, dx))" in str(info.value)


def test_an_exercise_row_is_named_before_the_order():
    """The multiply gate's own row (inputs not swapped) explains the same arrays: it wins."""
    row = like("mul_not_swapped", "multiply gate: swap the inputs.",
               lambda ev: ev.dout * ev.inputs[0 if ev.of == "x" else 1])
    x, y = R.standard_normal((4, 3)), R.standard_normal((4, 3))
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(_mul_forward, _mul_backward_swapped, x, y, mistakes=[row])
    assert info.value.key == "mul_not_swapped"


def test_a_permutation_that_does_not_fit_every_value_is_not_an_order_mistake():
    def swapped_and_flipped(dout, cache):
        dx, dW, db = grads(dout, cache)
        return dW, -dx, db
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(ref.affine_forward, swapped_and_flipped, X, W, B)
    assert info.value.key != "wrong_order"


# ---- messages name things correctly

def test_scalar_answer_with_an_array_is_told_to_sum():
    with pytest.raises(ag.CheckFailed) as info:
        ag.check.check_answer("loss", np.array([1.0, 2.0]), 3.0, name="f")
    text = str(info.value)
    assert info.value.key == "scalar_expected"
    assert "f must be a single number (shape ()), but yours has shape (2,): did you forget to sum?" in text
    assert "the shape of" not in text


def test_check_answer_does_not_invent_what_the_shape_is_of():
    with pytest.raises(ag.CheckFailed) as info:
        ag.check.check_answer("jac", np.zeros((2, 3)), np.ones((3, 4)), name="J")
    assert info.value.key == "wrong_shape"
    assert "J has shape (2, 3) but (3, 4) was expected" in str(info.value)
    assert "the shape of" not in str(info.value)
    with pytest.raises(ag.CheckFailed) as info:
        ag.check.check_answer("jac", np.zeros((4, 3)), np.ones((3, 4)), name="J")
    assert info.value.key == "shape_transposed"
    assert "the shape of" not in str(info.value)
    with pytest.raises(ag.CheckFailed) as info:
        ag.check.check_answer("jac", np.zeros(12), np.ones((3, 4)), name="J")
    assert info.value.key == "flattened"
    assert "zeros_like" not in str(info.value)


def test_scalar_gradient_of_a_broadcast_constant():
    """A scalar input's gradient must be summed over the entries it was added to."""
    def add_const_forward(x, c):
        return x + c, None

    def add_const_backward(dout, cache):
        return dout, dout.copy()
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(add_const_forward, add_const_backward, Z, np.array(0.5))
    assert info.value.keys == {"dc": "scalar_expected"}


def test_scaled_half_sentence_fits_a_backward_pass():
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(ref.affine_forward, change(1, lambda g, d, c: 0.5 * g), X, W, B)
    text = str(info.value)
    assert "a factor 2 is missing (for example the 2 of d(x^2)/dx)" in text
    assert "central difference" not in text


def test_forward_in_place_message_uses_the_real_names():
    def scale_forward(z, a):
        z *= a
        return z, a
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(scale_forward, lambda d, a: d * a, Z, np.array(1.5), wrt=[0])
    text = str(info.value)
    assert info.value.key == "mutated_input"
    assert ("scale_forward changed its input z in place (z += ... or z[...] = ...); "
            "build a new array instead (out = z + ..., not z += ...)") in text
    assert "x + b" not in text


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def test_partly_wrong_names_the_diagonal():
    s = _softmax(R.standard_normal(5))
    right = np.diag(s) - np.outer(s, s)
    with pytest.raises(ag.CheckFailed) as info:
        ag.check.check_answer("softmax_jacobian", s - np.outer(s, s), right, name="J")
    assert info.value.key == "partly_wrong"
    assert "J is right on the diagonal, wrong off it" in str(info.value)
    with pytest.raises(ag.CheckFailed) as info:
        ag.check.check_answer("softmax_jacobian", right + np.diag(s), right, name="J")
    assert info.value.key == "partly_wrong"
    assert "J is wrong on the diagonal only (the off-diagonal entries are right)" in str(info.value)


def test_math_module_on_an_array_gets_a_hint():
    import math

    def cos_forward(z):
        return np.cos(z), z

    def cos_backward(dout, z):
        return -dout * math.sin(z)
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(cos_forward, cos_backward, Z)
    assert info.value.key == "exception"
    assert ("hint: a function from Python's math module (math.cos, math.exp, ...) met an array: "
            "use numpy's (np.cos, np.exp), which work entry by entry") in str(info.value)


def test_a_row_that_cannot_be_computed_does_not_apply():
    """An exercise row whose wrong answer raises for these inputs (a product of mismatched shapes)
    or warns is skipped: the check goes on to the next row and ends in a CheckFailed."""
    def raises(ev):
        return ev.dout @ ev.inputs[1]          # (4, 3) @ (5, 3): a ValueError

    def warns(ev):
        return np.log(-np.ones_like(ev.dout)) * 0   # nan, with a RuntimeWarning if not silenced

    rows = [like("bad_row", "never", raises), like("nan_row", "never", warns)]
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(ref.affine_forward, change(0, lambda g, d, c: 2 * g), X, W, B, mistakes=rows, quiet=True)
    assert info.value.key == "scaled_2"


def test_a_backward_that_writes_to_stderr_fails_as_nbgrader_would(capsys):
    """nbgrader scores a test cell with stderr output as 0: the check says so, in one sentence."""
    import sys

    def noisy(dout, cache):
        print("debug: dx", file=sys.stderr)
        return ref.affine_backward(dout, cache)

    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(ref.affine_forward, noisy, X, W, B, quiet=True)
    assert info.value.key == "stderr"
    assert "wrote to stderr" in str(info.value) and "'debug: dx'" in str(info.value)
    assert capsys.readouterr().err == ""


def test_a_forward_in_float32_is_named():
    """A forward pass in float32 makes finite differences noise: named, not a setup error."""
    def forward(x, W, b):
        out, cache = ref.affine_forward(x, W, b)
        return out.astype(np.float32), cache

    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(forward, ref.affine_backward, X, W, B, quiet=True)
    assert info.value.key == "low_precision" and "float32" in str(info.value)


def test_a_forward_that_rounds_is_named_not_blamed_on_the_inputs():
    """A piecewise-constant forward (rounded) looks like kinks everywhere: the learner is told."""
    def forward(x, W, b):
        out, cache = ref.affine_forward(x, W, b)
        return np.round(out), cache

    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(forward, ref.affine_backward, X, W, B, quiet=True)
    assert info.value.key in ("forward_steps", "forward_ignores_input"), str(info.value)
    assert "forward" in str(info.value)


def test_a_single_wrong_number_is_not_called_off_by_a_constant_factor():
    from autograder import CheckFailed
    """Any two numbers differ by 'a constant factor': for one number the row names nothing (notebook
    03's loss in log10 was told '0.4343 times the right value'); an array scaled by 3.7 still is."""
    from autograder.check import check_answer
    with pytest.raises(CheckFailed) as info:
        check_answer("loss", 0.4343 * 2.5, 2.5, name="E")
    assert info.value.key == "wrong_values" and "constant factor" not in str(info.value)
    with pytest.raises(CheckFailed) as info:
        check_answer("grad", 3.7 * np.array([1.0, -2.0, 0.5]), np.array([1.0, -2.0, 0.5]), name="g")
    assert info.value.key == "scaled_other" and "3.7 times" in str(info.value)
