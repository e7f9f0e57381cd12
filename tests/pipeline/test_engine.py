"""The engine, layer by layer: finite differences, comparison, diagnosis, messages."""
import numpy as np
import pytest

import autograder as ag
from autograder import numeric
from autograder.compare import DirectionalOracle, FullOracle, relative_error

import reference_layers as ref


def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- finite differences

@pytest.mark.parametrize("f, df, x", [
    (np.sin, np.cos, 0.7),
    (np.exp, np.exp, -1.3),
    (lambda t: t ** 3, lambda t: 3 * t ** 2, 2.5),
    (lambda t: 1.0 / t, lambda t: -1.0 / t ** 2, 0.4),
    (np.log, lambda t: 1.0 / t, 1234.5),     # a large x gets a proportionally larger step
    (lambda t: t ** 3, lambda t: 3 * t ** 2, -2.0e4),
])
def test_derivative_matches_calculus(f, df, x):
    """Does the central difference agree with the exact derivative to ~1e-8?"""
    assert abs(numeric.derivative(f, x) - df(x)) <= 1e-7 * max(1.0, abs(df(x)))


def test_gradient_of_a_known_function():
    """Is the numerical gradient of sum(x^2 * c) equal to 2 x c, entry by entry?"""
    x = rng(1).standard_normal((3, 4))
    c = rng(2).standard_normal((3, 4))
    g = numeric.gradient(lambda z: np.sum(z * z * c), x)
    assert g.shape == x.shape
    assert relative_error(g, 2 * x * c) < 1e-8


def test_gradient_leaves_the_point_unchanged():
    x = rng(3).standard_normal(5)
    before = x.copy()
    numeric.gradient(lambda z: np.sum(z ** 3), x)
    assert np.array_equal(x, before)


def test_jacobian_of_linear_map_is_the_matrix():
    """J[i, j] = dy_i/dx_j: for y = A x the Jacobian is A itself (not A.T)."""
    A = rng(4).standard_normal((3, 5))
    J = numeric.jacobian(lambda v: A @ v, rng(5).standard_normal(5))
    assert J.shape == (3, 5)
    assert relative_error(J, A) < 1e-9


def test_vjp_and_jvp_agree_with_the_jacobian():
    """J^T w and J u from finite differences equal the products with the exact Jacobian."""
    A = rng(6).standard_normal((4, 3))
    f = lambda v: np.tanh(A @ v)
    x, w, u = rng(7).standard_normal(3), rng(8).standard_normal(4), rng(9).standard_normal(3)
    J = (1 - np.tanh(A @ x) ** 2)[:, None] * A
    assert relative_error(numeric.vjp(f, x, w), J.T @ w) < 1e-8
    assert relative_error(numeric.jvp(f, x, u), J @ u) < 1e-8


def test_dot_product_identity_holds_numerically():
    """<u, J^T w> = <J u, w>: the identity the directional check relies on."""
    A = rng(10).standard_normal((6, 5))
    f = lambda v: np.sin(A @ v)
    x, u, w = rng(11).standard_normal(5), rng(12).standard_normal(5), rng(13).standard_normal(6)
    lhs = np.dot(u, numeric.vjp(f, x, w))
    rhs = np.dot(numeric.jvp(f, x, u), w)
    assert abs(lhs - rhs) < 1e-8 * max(1, abs(lhs))


# ---------------------------------------------------------------- comparison

def test_relative_error_properties():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([2.0], [1.0]) == pytest.approx(0.5)
    # The floor keeps tiny finite-difference noise around a zero gradient from failing.
    assert relative_error([0.0], [1e-11]) < 1e-6


def test_oracles_agree_on_what_matches():
    g = rng(14).standard_normal((6, 7))
    full = FullOracle(g)
    dirs = numeric.random_directions(g.shape, 4, rng(15))
    directional = DirectionalOracle(g.shape, dirs, [float(np.sum(u * g)) for u in dirs])
    for oracle in (full, directional):
        assert oracle.matches(g)
        assert not oracle.matches(-g)
        assert not oracle.matches(g * 1.01)
        assert oracle.best_scale(3 * g) == pytest.approx(3.0)
        assert not oracle.matches(g.T.copy().reshape(g.shape) if g.shape[0] == g.shape[1] else np.zeros_like(g))


# ---------------------------------------------------------------- correct code passes

def affine_inputs(seed=0, n=4, d=5, m=3):
    r = rng(seed)
    return r.standard_normal((n, d)), r.standard_normal((d, m)), r.standard_normal(m)


def test_reference_layers_pass(capsys):
    ag.check_layer(ref.affine_forward, ref.affine_backward, *affine_inputs())
    z = rng(1).standard_normal((4, 3)) * 3
    ag.check_layer(ref.sigmoid_forward, ref.sigmoid_backward, z)
    ag.check_layer(ref.tanh_forward, ref.tanh_backward, z)
    ag.check_layer(ref.mse_forward, ref.mse_backward, z, rng(2).standard_normal((4, 3)), wrt=[0])
    onehot = np.eye(3)[[0, 2, 1, 2]]
    ag.check_layer(ref.softmax_ce_forward, ref.softmax_ce_backward, z, onehot, wrt=[0])
    out = capsys.readouterr()
    assert out.out.count("check_layer passed") == 5
    assert out.err == ""


def test_check_grad_passes_known_gradients(capsys):
    x = rng(3).standard_normal((3, 2))
    ag.check_grad(lambda v: np.sum(v ** 3), lambda v: 3 * v ** 2, x)
    ag.check_grad(lambda v: np.sum(np.sin(v)), np.cos, x)
    assert "check_grad passed" in capsys.readouterr().out


def test_large_inputs_are_checked_along_directions(capsys):
    """Above DIRECTIONAL_MIN_SIZE entries, the check uses a few directions: it still
    passes correct code and still names a sign error."""
    x, W, b = affine_inputs(seed=5, n=3, d=64, m=40)   # W has 2560 entries
    assert W.size >= ag.tolerances.DIRECTIONAL_MIN_SIZE
    ag.check_layer(ref.affine_forward, ref.affine_backward, x, W, b, quiet=True)

    def flipped(dout, cache):
        dx, dW, db = ref.affine_backward(dout, cache)
        return dx, -dW, db
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(ref.affine_forward, flipped, x, W, b)
    assert info.value.keys == {"dW": "sign_flipped"}
    assert "along random direction" in str(info.value)


def test_a_masked_entry_is_left_out_of_every_question():
    """Entries whose truth is unknown (a kink) count neither for nor against an answer."""
    g = rng(16).standard_normal((3, 4))
    truth = g.copy()
    truth[1, 2] = 99.0                       # a finite difference spoiled by a kink
    mask = np.zeros(g.shape, dtype=bool)
    mask[1, 2] = True
    oracle = FullOracle(truth, mask=mask)
    assert oracle.masked_count == 1
    assert oracle.matches(g) and not FullOracle(truth).matches(g)
    assert oracle.best_scale(-g) == pytest.approx(-1.0)
    wrong = g.copy()
    wrong[0, 0] += 1.0
    assert oracle.worst(wrong)[0] == (0, 0)
    assert oracle.wrong_mask(wrong).sum() == 1


# ---------------------------------------------------------------- a forward right only where asked

def _recalling_forward(seen={}):
    """A cheat: the true output at each input it is asked about, recalled for any input within
    1e-3 of one seen before, so finite differences of it are zero and a zero backward 'matches'."""
    def affine_forward(x, W, b):
        for key, (xs, out) in seen.items():
            if all(a.shape == c.shape and np.max(np.abs(a - c), initial=0) < 1e-3 for a, c in zip(xs, (x, W, b))):
                return out.copy(), None
        out = x @ W + b
        seen[len(seen)] = ((x.copy(), W.copy(), b.copy()), out.copy())
        return out.copy(), None
    return affine_forward


def _zero_backward(dout, cache):
    n, m = dout.shape
    return np.zeros((n, 5)), np.zeros((5, m)), np.zeros(m)


def _affine_inputs():
    r = rng(3)
    return r.standard_normal((4, 5)), r.standard_normal((5, 3)), r.standard_normal(3)


def test_a_recalled_forward_fools_finite_differences_without_a_reference():
    """Can the attack work at all? Without a reference, zeros 'match' the recalled forward."""
    ag.check_layer(_recalling_forward({}), _zero_backward, *_affine_inputs(), quiet=True)


def test_a_forward_right_only_at_the_inputs_is_named():
    """With the course's forward as reference, a forward that recalls its outputs is named."""
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(_recalling_forward({}), _zero_backward, *_affine_inputs(),
                       reference=lambda x, W, b: x @ W + b, quiet=True)
    assert info.value.key == "forward_only_at_inputs"
    assert "right output at the check's inputs but not at inputs moved by 0.0001" in str(info.value)


def test_an_honest_forward_written_differently_meets_the_reference_nearby():
    """A right forward computed another way (sums instead of @) passes with the reference."""
    def affine_forward(x, W, b):
        return (x[:, :, None] * W[None, :, :]).sum(axis=1) + b, (x, W)

    def affine_backward(dout, cache):
        x, W = cache
        return dout @ W.T, x.T @ dout, dout.sum(axis=0)
    ag.check_layer(affine_forward, affine_backward, *_affine_inputs(),
                   reference=lambda x, W, b: x @ W + b, quiet=True)


def test_a_forward_wrong_at_the_inputs_is_left_to_the_other_checks():
    """A forward wrong everywhere is not called 'right only at the inputs' (no false accusation)."""
    def affine_forward(x, W, b):
        return x @ W, (x, W)

    def affine_backward(dout, cache):
        x, W = cache
        return dout @ W.T, x.T @ dout, dout.sum(axis=0)
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(affine_forward, affine_backward, *_affine_inputs(),
                       reference=lambda x, W, b: x @ W + b, quiet=True)
    assert info.value.key != "forward_only_at_inputs"
