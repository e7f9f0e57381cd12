"""Kinks (ReLU at 0, ties in a max, hinge margins at 0): a central difference whose step straddles
one is wrong, so those entries are left out of the comparison, and the messages say so.  Correct
code placed within a step of its kinks passes; wrong code is still named."""
import numpy as np
import pytest

import autograder as ag
from autograder import like
from autograder.check import kink_note, oracle_for
from autograder.compare import DirectionalOracle
from autograder.guard import CheckSetupError

import reference_layers as ref

R = np.random.default_rng(7)
H = ag.tolerances.FD_STEP   # the step for inputs of size <= 1


def near_relu_kinks():
    """(5, 4) ReLU input; three entries sit closer to 0 than a hundredth of the step (left out),
    three within the step but not a tenth of it (compared with a smaller step)."""
    z = R.standard_normal((5, 4))
    z[0, 0], z[1, 2], z[4, 3] = 0.0, 3e-8, -3e-8
    z[2, 1], z[3, 0], z[3, 3] = 3e-6, -3e-6, 0.3 * H
    return z


def near_hinge_kinks():
    """Scores (6, 4) whose margins s_j - s_y + 1 are 0, +-1e-6 or 3e-8 for some classes."""
    n, c = 6, 4
    labels = np.array([0, 2, 1, 3, 2, 0])
    scores = R.standard_normal((n, c))
    onehot = np.eye(c)[labels]
    for row, (j, margin) in enumerate([(1, 1e-6), (0, -1e-6), (3, 0.0), (1, 3e-8), (1, 2e-6), (2, -4e-6)]):
        scores[row, j] = scores[row, labels[row]] - 1.0 + margin
    return scores, onehot


def near_ties():
    x = R.standard_normal((4, 3))
    y = x + R.choice([-1.0, 1.0], size=x.shape) * R.uniform(0.2, 1.0, size=x.shape)
    y[0, 0], y[1, 1], y[2, 2], y[3, 0] = x[0, 0], x[1, 1] + 1e-6, x[2, 2] - 3e-8, x[3, 0] + 5e-9
    return x, y


def masked_count(text, name):
    import re
    m = re.search(rf"(\d+) entr(?:y|ies) of {name} .*not compared", text)
    return int(m.group(1)) if m else 0


# ---------------------------------------------------------------- correct code passes, and says what it left out

def test_relu_near_its_kink_passes_and_reports_what_it_left_out(capsys):
    ag.check_layer(ref.relu_forward, ref.relu_backward, near_relu_kinks())
    out = capsys.readouterr().out
    assert "check_layer passed" in out
    assert ("3 entries of dz were not compared: their finite-difference step straddles a kink of "
            "relu_forward (such as ReLU at 0 or a tie in a max)") in out


def test_max_gate_with_ties_passes(capsys):
    ag.check_layer(ref.max_forward, ref.max_backward, *near_ties())
    out = capsys.readouterr().out
    assert "check_layer passed" in out
    assert ("3 entries of dx and 3 entries of dy were not compared: their finite-difference step "
            "straddles a kink of max_forward") in out


def test_hinge_loss_with_margins_at_zero_passes(capsys):
    ag.check_layer(ref.hinge_forward, ref.hinge_backward, *near_hinge_kinks(), wrt=[0])
    out = capsys.readouterr().out
    assert "check_layer passed" in out
    assert masked_count(out, "dscores") >= 2


def test_without_kink_detection_these_inputs_would_fail():
    """The inputs above really do straddle kinks: plain central differences get them wrong."""
    z = near_relu_kinks()
    dout = np.random.default_rng([0, 0xBAC4]).standard_normal(z.shape)
    plain = ag.numeric.gradient(lambda v: float(np.sum(np.maximum(v, 0) * dout)), z)
    assert ag.relative_error(plain, ref.relu_backward(dout, z)) > 1e-2


def test_check_grad_leaves_kinks_out_too(capsys):
    x = R.standard_normal(6)
    x[1], x[4] = 0.0, 4e-6
    c = R.uniform(0.5, 2.0, size=6)
    ag.check_grad(lambda v: np.sum(c * np.abs(v)), lambda v: c * np.sign(v), x)
    out = capsys.readouterr().out
    assert "check_grad passed" in out
    assert "1 entry of gradient was not compared: its finite-difference step straddles a kink of <lambda>" in out


def test_smooth_functions_leave_nothing_out(capsys):
    z = R.standard_normal((4, 3)) * 3
    ag.check_layer(ref.sigmoid_forward, ref.sigmoid_backward, z)
    ag.check_layer(ref.mse_forward, ref.mse_backward, z, z + 1e-4 * R.standard_normal(z.shape), wrt=[0])
    assert "not compared" not in capsys.readouterr().out


# ---------------------------------------------------------------- wrong code is still named

def _relu_no_derivative(dout, z):
    return dout.copy()


def _hinge_without_correct_class(dout, cache):
    """Forgets that the correct class's score is in every margin of its row."""
    margins, labels, n = cache
    return dout * (margins > 0) / n


MISSING_DERIVATIVE = like("missing_activation_derivative", "multiply dout by the ReLU's derivative (z > 0).",
                          lambda ev: ev.dout)


@pytest.mark.parametrize("forward, backward, inputs, wrt, mistakes, key, name", [
    (ref.relu_forward, lambda d, z: -ref.relu_backward(d, z), (near_relu_kinks(),), None, (), "sign_flipped", "dz"),
    (ref.relu_forward, lambda d, z: 2 * ref.relu_backward(d, z), (near_relu_kinks(),), None, (), "scaled_2", "dz"),
    (ref.relu_forward, _relu_no_derivative, (near_relu_kinks(),), None, [MISSING_DERIVATIVE],
     "missing_activation_derivative", "dz"),
    (ref.hinge_forward, _hinge_without_correct_class, near_hinge_kinks(), [0], (), "partly_wrong", "dscores"),
    (ref.max_forward, lambda d, c: ref.max_backward(d, c)[::-1], near_ties(), None, (), "wrong_order", None),
    (ref.max_forward, lambda d, c: (d, d), near_ties(), None, (), "local_derivative_missing", "dx"),
    (ref.hinge_forward, lambda d, c: ref.hinge_backward(d, c) * c[2], near_hinge_kinks(), [0], (),
     "scaled_N", "dscores"),
    (ref.hinge_forward, lambda d, c: -ref.hinge_backward(d, c), near_hinge_kinks(), [0], (),
     "sign_flipped", "dscores"),
], ids=["relu-sign", "relu-2x", "relu-no-derivative", "hinge-no-correct-class", "max-order", "max-both",
        "hinge-not-averaged", "hinge-sign"])
def test_wrong_code_near_kinks_is_still_named(forward, backward, inputs, wrt, mistakes, key, name):
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(forward, backward, *inputs, wrt=wrt, mistakes=mistakes)
    err = info.value
    assert err.key == key, str(err)
    if name:
        assert err.keys[name] == key
        assert "not compared: their finite-difference step straddles a kink" in str(err)


# ---------------------------------------------------------------- inputs a check cannot use

def test_every_entry_at_a_kink_is_the_authors_problem():
    with pytest.raises(CheckSetupError) as info:
        ag.check_layer(ref.relu_forward, ref.relu_backward, np.zeros((3, 4)))
    text = str(info.value)
    assert "check_layer cannot check dz" in text and "not of the code under test" in text
    assert not isinstance(info.value, ag.CheckFailed)


def test_a_forward_that_is_not_a_function_of_its_inputs_is_named():
    """Random numbers in forward look like kinks everywhere; the check names the real cause."""
    noise = np.random.default_rng(3)

    def noisy_forward(z):
        return z + 1e-3 * noise.standard_normal(z.shape), None
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(noisy_forward, lambda d, c: d, R.standard_normal((3, 4)))
    assert info.value.key == "not_deterministic"


# ---------------------------------------------------------------- large inputs: random directions

def test_directions_that_run_into_a_kink_are_replaced():
    """A large ReLU input with entries 3e-8 from 0: every direction straddles them at the usual
    step; smaller steps clear them, and the check still passes correct code and names a sign."""
    z = R.standard_normal((64, 40))
    z.flat[[5, 700, 2001]] = [3e-8, -2e-8, 1e-8]
    assert z.size >= ag.tolerances.DIRECTIONAL_MIN_SIZE
    ag.check_layer(ref.relu_forward, ref.relu_backward, z, quiet=True)
    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(ref.relu_forward, lambda d, c: -ref.relu_backward(d, c), z)
    assert info.value.key == "sign_flipped"


def test_directional_oracle_gives_up_honestly():
    z = R.standard_normal((64, 40))
    z[:, 0] = 0.0
    dout = R.standard_normal(z.shape)
    oracle = oracle_for(lambda v: float(np.sum(np.maximum(v, 0) * dout)), z, np.random.default_rng(0))
    assert oracle.directions == [] and oracle.dropped == ag.tolerances.N_DIRECTIONS
    with pytest.raises(CheckSetupError):
        ag.check_layer(ref.relu_forward, ref.relu_backward, z)


def test_dropped_directions_are_reported():
    oracle = DirectionalOracle((64, 40), [np.ones((64, 40))], [1.0], dropped=3)
    assert kink_note("dz", oracle, "relu_forward") == (
        "3 of 4 random directions for dz were not used: every step tried along them straddled a kink "
        "of relu_forward (such as ReLU at 0 or a tie in a max)")


# ---------------------------------------------------------------- the finite differences themselves

def test_gradient_with_kinks_marks_only_the_straddled_entries():
    """|x| at 0 and within h/100 of 0 cannot be differentiated numerically; within h but beyond
    h/100 a smaller step gets it exactly; far from 0, nothing to do."""
    x = np.array([0.0, 5e-8, -2e-6, 9e-6, 0.3, -1.7])
    grad, kinked = ag.numeric.gradient_with_kinks(lambda v: float(np.sum(np.abs(v))), x)
    assert kinked.tolist() == [True, True, False, False, False, False]
    assert np.allclose(grad[2:], np.sign(x[2:]), atol=1e-9)


def test_curvature_is_not_a_kink():
    """Near a minimum, the bend is large next to the slope; it shrinks with the step: no kink."""
    x = np.array([1e-5, -3e-6, 2e-4, 0.5])
    grad, kinked = ag.numeric.gradient_with_kinks(lambda v: float(np.sum(v ** 2 + 0.1 * v ** 4)), x)
    assert not kinked.any()
    assert np.allclose(grad, 2 * x + 0.4 * x ** 3, rtol=0, atol=1e-9)
