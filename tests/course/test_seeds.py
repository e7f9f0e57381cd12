"""Correct code never fails: every reference layer passes for 200 seeds, silently."""
import warnings

import numpy as np
import pytest

import autograder as ag

import reference_layers as ref

SEEDS = range(200)


def distinct_shape(r):
    n, d, m = r.choice(np.arange(2, 8), size=3, replace=False)
    return int(n), int(d), int(m)


def cases(seed):
    r = np.random.default_rng(seed)
    n, d, m = distinct_shape(r)
    scale = float(r.choice([0.1, 1.0, 5.0]))
    x = r.standard_normal((n, d)) * scale
    W = r.standard_normal((d, m))
    b = r.standard_normal(m)
    z = r.standard_normal((n, m)) * scale * 3
    onehot = np.eye(m)[r.integers(0, m, size=n)]
    return [
        (ref.affine_forward, ref.affine_backward, (x, W, b), None),
        (ref.sigmoid_forward, ref.sigmoid_backward, (z,), None),
        (ref.tanh_forward, ref.tanh_backward, (z,), None),
        (ref.mse_forward, ref.mse_backward, (z, r.standard_normal((n, m))), [0]),
        (ref.softmax_ce_forward, ref.softmax_ce_backward, (z, onehot), [0]),
    ]


@pytest.mark.parametrize("block", range(4))
def test_correct_layers_pass_for_200_seeds(block, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for seed in SEEDS[block::4]:
            for forward, backward, inputs, wrt in cases(seed):
                ag.check_layer(forward, backward, *inputs, wrt=wrt, seed=seed, quiet=True)
            x = np.random.default_rng(seed).standard_normal(5)
            ag.check_grad(lambda v: np.sum(np.log1p(v * v)), lambda v: 2 * v / (1 + v * v), x,
                          seed=seed, quiet=True)
    assert capsys.readouterr().err == ""
