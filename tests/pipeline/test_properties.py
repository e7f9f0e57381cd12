"""Properties, not only fixed cases: over shapes, seeds and scales drawn by hypothesis
(derandomized: the same examples on every run, see conftest.py),

* correct code never fails, including ReLU, max and hinge layers with inputs within a
  finite-difference step of their kinks;
* every planted mistake is caught, with the right key.
"""
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograder as ag
from autograder import like

import reference_layers as ref

SIZES = st.integers(2, 7)
SEEDS = st.integers(0, 2 ** 16)
SCALES = st.sampled_from([0.1, 0.5, 1.0, 3.0, 5.0])
# Distances from a kink: exactly at it, inside a hundredth, a tenth or all of the step (1e-5 for
# inputs of size <= 1), and just outside it.
KINK_OFFSETS = st.sampled_from([0.0, 3e-9, 4e-8, 2.5e-7, 1e-6, 3e-6, 7e-6, 9.9e-6, 2e-5]) | \
    st.floats(1e-9, 2e-5)
SIGNS = st.sampled_from([-1.0, 1.0])


def distinct_shape(smallest_batch=2):
    """(N, D, M), three different sizes, so no shape mistake can hide."""
    return st.lists(SIZES, min_size=3, max_size=3, unique=True).filter(
        lambda s: s[0] >= smallest_batch).map(tuple)


@st.composite
def near(draw, values):
    """``values`` with a few entries moved to a drawn distance from 0 (their kink)."""
    values = values.copy()
    k = draw(st.integers(1, min(4, values.size - 1)))   # not all: a check needs something to compare
    where = draw(st.lists(st.integers(0, values.size - 1), min_size=k, max_size=k, unique=True))
    for i in where:
        values.flat[i] = draw(SIGNS) * draw(KINK_OFFSETS)
    return values


@st.composite
def smooth_case(draw):
    n, d, m = draw(distinct_shape())
    r = np.random.default_rng(draw(SEEDS))
    scale = draw(SCALES)
    x, W, b = r.standard_normal((n, d)) * scale, r.standard_normal((d, m)), r.standard_normal(m)
    z = r.standard_normal((n, m)) * scale * 3
    onehot = np.eye(m)[r.integers(0, m, size=n)]
    return draw(st.sampled_from([
        (ref.affine_forward, ref.affine_backward, (x, W, b), None),
        (ref.sigmoid_forward, ref.sigmoid_backward, (z,), None),
        (ref.tanh_forward, ref.tanh_backward, (z,), None),
        (ref.mse_forward, ref.mse_backward, (z, r.standard_normal((n, m))), [0]),
        (ref.softmax_ce_forward, ref.softmax_ce_backward, (z, onehot), [0]),
    ]))


@st.composite
def kink_case(draw):
    n, _, m = draw(distinct_shape())
    r = np.random.default_rng(draw(SEEDS))
    kind = draw(st.sampled_from(["relu", "max", "hinge"]))
    if kind == "relu":
        return ref.relu_forward, ref.relu_backward, (draw(near(r.standard_normal((n, m)))),), None
    if kind == "max":
        x = r.standard_normal((n, m))
        gap = r.choice([-1.0, 1.0], size=x.shape) * r.uniform(0.2, 1.0, size=x.shape)
        return ref.max_forward, ref.max_backward, (x, x + draw(near(gap))), None
    labels = r.integers(0, m, size=n)
    scores = r.standard_normal((n, m)) * draw(SCALES)
    others = [(i, j) for i in range(n) for j in range(m) if j != labels[i]]
    k = draw(st.integers(1, min(4, len(others) - 1)))
    for pick in draw(st.lists(st.integers(0, len(others) - 1), min_size=k, max_size=k, unique=True)):
        i, j = others[pick]   # margin s_ij - s_iy + 1 placed next to its kink at 0
        scores[i, j] = scores[i, labels[i]] - 1.0 + draw(SIGNS) * draw(KINK_OFFSETS)
    return ref.hinge_forward, ref.hinge_backward, (scores, np.eye(m)[labels]), [0]


# ---------------------------------------------------------------- correct code never fails

@given(case=smooth_case(), seed=SEEDS)
def test_correct_smooth_layers_never_fail(case, seed):
    forward, backward, inputs, wrt = case
    ag.check_layer(forward, backward, *inputs, wrt=wrt, seed=seed, quiet=True)


@given(case=kink_case(), seed=SEEDS)
def test_correct_layers_near_their_kinks_never_fail(case, seed):
    forward, backward, inputs, wrt = case
    ag.check_layer(forward, backward, *inputs, wrt=wrt, seed=seed, quiet=True)


@given(x=st.integers(3, 9).flatmap(lambda k: st.just(np.random.default_rng(k).standard_normal(k))).flatmap(near))
def test_check_grad_near_kinks_never_fails(x):
    c = np.linspace(0.5, 2.0, x.size)
    ag.check_grad(lambda v: np.sum(c * np.abs(v)), lambda v: c * np.sign(v), x, quiet=True)


# ---------------------------------------------------------------- every planted mistake is named

def affine(draw_shape, seed, square=False):
    n, d, m = draw_shape
    if square:
        m = d
    r = np.random.default_rng(seed)
    return r.standard_normal((n, d)), r.standard_normal((d, m)), r.standard_normal(m)


def change(which, how):
    def backward(dout, cache):
        grads = list(ref.affine_backward(dout, cache))
        grads[which] = how(grads[which], dout, cache)
        return tuple(grads)
    return backward


def _x_doubled_after_use(dout, cache):
    grads = ref.affine_backward(dout, cache)
    cache[0][...] *= 2.0
    return grads


def _ignores_dout(dout, cache):
    x, W = cache
    ones = np.ones_like(dout)
    return ones @ W.T, x.T @ ones, ones.sum(axis=0)


def fails_with(key, name, forward, backward, inputs, **kwargs):
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(forward, backward, *inputs, quiet=True, **kwargs)
    err = info.value
    assert err.key == key, str(err)
    if name is not None:
        assert err.keys.get(name) == key, str(err)


PLANTED = {
    # name: (backward, expected key, gradient it names, needs a square W)
    "dW transposed, W not square": (change(1, lambda g, d, c: g.T), "shape_transposed", "dW", False),
    "dW transposed, W square": (change(1, lambda g, d, c: g.T.copy()), "transposed", "dW", True),
    "db the mean, not the sum": (change(2, lambda g, d, c: d.mean(axis=0)), "scaled_1_over_N", "db", False),
    "dx sign flipped": (change(0, lambda g, d, c: -g), "sign_flipped", "dx", False),
    "dW scaled by 2": (change(1, lambda g, d, c: 2 * g), "scaled_2", "dW", False),
    "dx scaled by N": (change(0, lambda g, d, c: d.shape[0] * g), "scaled_N", "dx", False),
    "dW scaled by 1/N": (change(1, lambda g, d, c: g / d.shape[0]), "scaled_1_over_N", "dW", False),
    "ignores dout": (_ignores_dout, "ignores_upstream", "dx", False),
    "edits its cache": (_x_doubled_after_use, "mutated_cache", None, False),
}


@pytest.mark.parametrize("planted", list(PLANTED))
@given(shape=distinct_shape(smallest_batch=3), data_seed=SEEDS, seed=SEEDS)
def test_planted_affine_mistakes_are_named(planted, shape, data_seed, seed):
    """N > 2 keeps 'N times' and '2 times' apart."""
    backward, key, name, square = PLANTED[planted]
    fails_with(key, name, ref.affine_forward, backward, affine(shape, data_seed, square), seed=seed)


@given(shape=distinct_shape(), data_seed=SEEDS, seed=SEEDS,
       order=st.sampled_from([p for p in itertools.permutations(range(3)) if p != (0, 1, 2)]),
       square=st.booleans())
def test_gradients_in_any_wrong_order_are_named(shape, data_seed, seed, order, square):
    def backward(dout, cache):
        grads = ref.affine_backward(dout, cache)
        return tuple(grads[k] for k in order)
    fails_with("wrong_order", None, ref.affine_forward, backward, affine(shape, data_seed, square), seed=seed)


MISSING = like("missing_activation_derivative", "multiply dout by the activation's derivative.",
               lambda ev: ev.dout)


def _some_relu_off(case):
    """A ReLU input with an entry clearly below its kink: else dout itself is the right answer
    on every compared entry, and there is no mistake to find."""
    return case[0] is ref.relu_forward and bool(np.any(case[2][0] < -1e-3))


@given(case=st.one_of(kink_case().filter(_some_relu_off),
                      smooth_case().filter(lambda c: c[0] in (ref.sigmoid_forward, ref.tanh_forward))),
       seed=SEEDS)
def test_missing_activation_derivative_is_named_by_its_row(case, seed):
    forward, _, inputs, _ = case
    fails_with("missing_activation_derivative", None, forward, lambda dout, cache: dout.copy(), inputs,
               seed=seed, mistakes=[MISSING])
