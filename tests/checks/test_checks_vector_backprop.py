"""Do the checks of 04_vector_backprop pass the solution and name every planted mistake?

Each planted mistake is a plausible wrong answer written out here from the formulas; the test
asserts the key of the diagnosis, so a check that fails for the wrong reason fails here.
Expected numbers come from closed forms, never from the code under test.
"""
import re

import numpy as np
import pytest

import nbedit
from autograder.checks import vector_backprop as check
from conftest import (assert_solution_passes, assert_stubs_not_implemented, fails_with,
                      load_solution, solution_path)

NB = "04_vector_backprop"


@pytest.fixture(scope="module")
def sol():
    return load_solution(NB)


@pytest.fixture(scope="module", autouse=True)
def cited_hints_exist():
    """Every 'see hint N of Exercise M' that a check says during this module's tests (the planted
    mistakes below and the catalog) names a hint that exists in Exercise M's markdown."""
    cited = set()
    original = check.EXERCISES.hint_sentence

    def recording(key, hint):
        cited.add((key, hint))
        return original(key, hint)

    check.EXERCISES.hint_sentence = recording
    yield
    check.EXERCISES.hint_sentence = original
    hints = exercise_hints()
    missing = [(key, hint) for key, hint in sorted(cited)
               if hint not in hints[check.EXERCISES.keys.index(key) + 1]]
    assert cited and not missing, f"hints cited but not in the notebook: {missing}"


def solution_args(sol):
    return {
        "layer_questions": (sol.layer_questions,),
        "affine": (sol.affine_forward, sol.affine_backward),
        "sigmoid": (sol.sigmoid_forward, sol.sigmoid_backward),
        "tanh": (sol.tanh_forward, sol.tanh_backward),
        "relu": (sol.relu_forward, sol.relu_backward),
        "mse_loss": (sol.mse_loss,),
        "softmax_cross_entropy": (sol.softmax_cross_entropy,),
        "collapse_linear": (sol.collapse_linear,),
        "two_layer_net": (sol.two_layer_net,),
        "flatten": (sol.flatten, sol.unflatten),
        "layer_theta_grad": (sol.layer_theta_grad,),
        "hinge_loss": (sol.hinge_loss,),
        "cache_bytes": (sol.cache_bytes,),
    }


def test_points_total_23(sol):
    assert sum(p["points"] for p in check.EXERCISES.parts) == 23
    assert 10 <= len(check.EXERCISES.parts) <= 14


@pytest.mark.parametrize("hidden", [False, True])
def test_solution_passes_every_check(sol, hidden, capsys):
    assert_solution_passes(check, solution_args(sol), hidden, capsys)


def test_stubs_are_reported_as_not_implemented(sol):
    assert_stubs_not_implemented(check, solution_args(sol))


def test_exercise_n_of_the_notebook_is_part_n_of_the_checks():
    """'### Exercise N (P points): `f` and `g`' appears in order, with the part's points, and its
    functions are the ones the part's check receives (the first named after the part)."""
    nb = nbedit.read(solution_path(NB))
    headings = []
    for c in nb["cells"]:
        if c["cell_type"] == "markdown":
            text = "".join(c["source"])
            headings += re.findall(r"^### Exercise (\d+) \((\d+) points?\): (.+)$", text, flags=re.M)
    parts = check.EXERCISES.parts
    assert [int(n) for n, _, _ in headings] == list(range(1, len(parts) + 1))
    for (n, points, names), part in zip(headings, parts):
        functions = re.findall(r"`(\w+)`", names)
        assert int(points) == part["points"], (n, part["key"])
        assert functions[0].startswith(part["key"]), (n, functions, part["key"])
        test_cell = nbedit.cell(nb, f"test_{part['key']}")
        visible = "".join(test_cell["source"]).split("\n")[0]
        assert visible == f"check.{part['key']}({', '.join(functions)})", visible


def test_worked_numbers_printed_by_the_notebook(sol):
    """The numbers the text quotes: log(C) at small scores, C - 1 for the hinge loss at W near 0,
    and (2 depth + 1) N w 8 bytes of caches."""
    loss, _ = sol.softmax_cross_entropy(np.zeros((4, 3)), np.array([0, 1, 2, 0]))
    assert np.isclose(loss, np.log(3))
    rng = np.random.default_rng(0)
    x, labels = rng.standard_normal((50, 6)), rng.integers(0, 4, size=50)
    assert np.isclose(sol.hinge_loss(np.zeros((6, 4)), x, labels, 0.1)[0], 3.0)
    assert sol.kept_bytes(128, 4)[0] == 9 * 128 * 128 * 8


# --- planted mistakes: helpers ---------------------------------------------------------------------

def sig(z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def flat(x):
    return x.reshape(x.shape[0], -1)


def aff_forward(x, W, b):
    return flat(x) @ W + b, (x, W)


def aff_backward_with(dx=None, dW=None, db=None):
    """A correct affine_backward with one of its three lines replaced."""
    def backward(dout, cache):
        x, W = cache
        return ((dx or (lambda d, x, W: (d @ W.T).reshape(x.shape)))(dout, x, W),
                (dW or (lambda d, x, W: flat(x).T @ d))(dout, x, W),
                (db or (lambda d, x, W: d.sum(axis=0)))(dout, x, W))
    return backward


def square(W):
    return W.shape[0] == W.shape[1]


# --- 1. affine ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("backward, key", [
    (aff_backward_with(dW=lambda d, x, W: d.T @ flat(x)), "dW_transposed"),
    (aff_backward_with(dW=lambda d, x, W: d.T @ flat(x) if square(W) else flat(x).T @ d), "dW_transposed"),
    (aff_backward_with(dW=lambda d, x, W: flat(x).T @ d / x.shape[0]), "mean_in_layer"),
    (aff_backward_with(db=lambda d, x, W: d.mean(axis=0)), "mean_in_layer"),
    (aff_backward_with(db=lambda d, x, W: d), "batch_not_summed"),
    (aff_backward_with(db=lambda d, x, W: d.sum(axis=0, keepdims=True)), "kept_axis"),
    (aff_backward_with(dx=lambda d, x, W: d @ W), "backward_shapes"),
    (aff_backward_with(dW=lambda d, x, W: flat(x) @ d), "backward_shapes"),
    (aff_backward_with(dx=lambda d, x, W: (d @ W if square(W) else d @ W.T).reshape(x.shape)), "dx_used_W"),
    (aff_backward_with(dx=lambda d, x, W: d @ W.T), "dx_not_reshaped"),
    (aff_backward_with(dW=lambda d, x, W: flat(x).T @ np.ones_like(d)), "ignores_upstream"),
])
def test_affine_backward_mistakes(backward, key):
    fails_with(key, check.affine, aff_forward, backward)


def test_square_dW_transposed_message_says_the_shape_cannot_tell():
    message = fails_with("dW_transposed", check.affine, aff_forward,
                         aff_backward_with(dW=lambda d, x, W: d.T @ flat(x) if square(W) else flat(x).T @ d))
    assert "square W" in message and "x.T @ dout" in message


def test_db_mean_message_says_the_layer_does_not_average():
    message = fails_with("mean_in_layer", check.affine, aff_forward,
                         aff_backward_with(db=lambda d, x, W: d.mean(axis=0)))
    assert "N=4 times too small" in message and "already inside dout" in message


@pytest.mark.parametrize("forward, key", [
    (lambda x, W, b: (x @ W + b, (x, W)), "x_not_flattened"),
    (lambda x, W, b: (flat(x) @ W, (x, W)), "forgot_bias"),
])
def test_affine_forward_mistakes(forward, key):
    fails_with(key, check.affine, forward, aff_backward_with())


def test_dx_not_reshaped_message_names_both_shapes():
    message = fails_with("dx_not_reshaped", check.affine, aff_forward,
                         aff_backward_with(dx=lambda d, x, W: d @ W.T))
    assert "(2, 12)" in message and "(2, 3, 4)" in message


# --- 2-4. activations ---------------------------------------------------------------------------------

def sig_forward(z):
    out = sig(z)
    return out, out


def naive_sig_forward(z):
    out = 1.0 / (1.0 + np.exp(-z))
    return out, out


@pytest.mark.parametrize("forward, backward, key", [
    (naive_sig_forward, lambda d, out: d * out * (1 - out), "overflow"),
    (sig_forward, lambda d, out: d, "missing_activation_derivative"),
    (sig_forward, lambda d, out: d * sig(out) * (1 - sig(out)), "derivative_at_output"),
    (sig_forward, lambda d, out: d * out, "not_derivative"),
    (sig_forward, lambda d, out: out * (1 - out), "derivative_without_dout"),
])
def test_sigmoid_mistakes(forward, backward, key):
    fails_with(key, check.sigmoid, forward, backward)


def test_sigmoid_cached_input_is_fine():
    check.sigmoid(lambda z: (sig(z), z), lambda d, z: d * sig(z) * (1 - sig(z)), quiet=True)


def tanh_forward(z):
    out = np.tanh(z)
    return out, out


@pytest.mark.parametrize("backward, key", [
    (lambda d, out: d, "missing_activation_derivative"),
    (lambda d, out: d * (1 - np.tanh(out) ** 2), "derivative_at_output"),
    (lambda d, out: d * (1 - out), "forgot_square"),
    (lambda d, out: -d * (1 - out ** 2), "sign_flipped"),
])
def test_tanh_mistakes(backward, key):
    fails_with(key, check.tanh, tanh_forward, backward)


def relu_forward(z):
    return np.maximum(z, 0), z


def relu_in_place_backward(dout, z):
    dout[z <= 0] = 0
    return dout


def relu_in_place_forward(z):
    z[z < 0] = 0
    return z, z


@pytest.mark.parametrize("forward, backward, key", [
    (relu_forward, lambda d, z: d * (d > 0), "mask_from_dout"),
    (relu_forward, relu_in_place_backward, "mutated_input"),
    (relu_forward, lambda d, z: d, "missing_relu_mask"),
    (relu_forward, lambda d, z: d * (z < 0), "mask_inverted"),
    (relu_forward, lambda d, z: (z > 0).astype(float), "mask_without_dout"),
    (relu_in_place_forward, lambda d, z: d * (z > 0), "mutated_input"),
    (lambda z: (np.minimum(z, 0), z), lambda d, z: d * (z > 0), "relu_inverted"),
])
def test_relu_mistakes(forward, backward, key):
    fails_with(key, check.relu, forward, backward)


def test_relu_in_place_message_says_dout():
    message = fails_with("mutated_input", check.relu, relu_forward, relu_in_place_backward)
    assert "dout in place" in message


@pytest.mark.parametrize("forward, backward", [
    (relu_forward, lambda d, z: d * (z >= 0)),                      # >= vs >: the same away from 0
    (lambda z: (np.maximum(z, 0),) * 2, lambda d, out: d * (out > 0)),   # mask from the output
    (lambda z: (z * (z > 0), z > 0), lambda d, mask: d * mask),     # a cached boolean mask
])
def test_relu_variants_that_are_right_pass(forward, backward):
    check.relu(forward, backward, quiet=True)
    check.relu(forward, backward, quiet=True, hidden=True)


# --- 5-6. losses --------------------------------------------------------------------------------------

def mse_with(value, grad):
    def mse(y, t):
        n = y.shape[0]
        return value(y, t, n), grad(y, t, n)
    return mse


HALF_SQ = lambda y, t, n: 0.5 * np.sum((y - t) ** 2) / n  # noqa: E731
DY = lambda y, t, n: (y - t) / n  # noqa: E731


@pytest.mark.parametrize("planted, key", [
    (mse_with(lambda y, t, n: 0.5 * np.sum((y - t) ** 2), lambda y, t, n: y - t), "mean_never"),
    (mse_with(HALF_SQ, lambda y, t, n: y - t), "mean_never"),
    (mse_with(HALF_SQ, lambda y, t, n: (y - t) / n ** 2), "mean_twice"),
    (mse_with(lambda y, t, n: np.sum((y - t) ** 2) / n, lambda y, t, n: 2 * (y - t) / n), "missing_half"),
    (mse_with(lambda y, t, n: np.mean((y - t) ** 2), DY), "mean_over_outputs"),
    (mse_with(HALF_SQ, lambda y, t, n: (t - y) / n), "dy_sign"),
    (mse_with(HALF_SQ, lambda y, t, n: 2 * (y - t) / n), "missing_half"),
    (lambda y, t: HALF_SQ(y, t, y.shape[0]), "bad_return"),
    (mse_with(lambda y, t, n: 0.5 * np.sum((y - t) ** 2, axis=1) / n, DY), "not_a_number"),
])
def test_mse_mistakes(planted, key):
    fails_with(key, check.mse_loss, planted)


def log_softmax(s):
    sh = s - s.max(axis=1, keepdims=True)
    return sh - np.log(np.exp(sh).sum(axis=1, keepdims=True))


def ce_with(value=None, grad=None, probs=None):
    """Softmax cross-entropy from the formulas, with one piece replaced."""
    def ce(scores, labels):
        n = scores.shape[0]
        p = probs(scores) if probs else np.exp(log_softmax(scores))
        loss = value(p, scores, labels, n) if value else -log_softmax(scores)[np.arange(n), labels].mean()
        onehot = np.eye(scores.shape[1])[labels]
        return loss, (grad(p, onehot, n) if grad else (p - onehot) / n)
    return ce


def naive_probs(s):
    return np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)


def shifted_probs(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("planted, key", [
    (ce_with(probs=naive_probs, value=lambda p, s, y, n: -np.log(p[np.arange(n), y]).mean()), "softmax_overflow"),
    (ce_with(probs=shifted_probs, value=lambda p, s, y, n: -np.log(p[np.arange(n), y]).mean()), "log_of_zero"),
    (ce_with(probs=shifted_probs, value=lambda p, s, y, n: -np.log(p[np.arange(n), y] + 1e-12).mean()),
     "log_clipped"),
    (ce_with(grad=lambda p, onehot, n: p - onehot), "mean_never"),
    (ce_with(value=lambda p, s, y, n: -log_softmax(s)[np.arange(n), y].sum()), "mean_never"),
    (ce_with(grad=lambda p, onehot, n: (p - onehot) / n ** 2), "mean_twice"),
    (ce_with(grad=lambda p, onehot, n: p / n), "onehot_not_subtracted"),
    (ce_with(grad=lambda p, onehot, n: (onehot - p) / n), "dscores_sign"),
    (ce_with(value=lambda p, s, y, n: log_softmax(s)[np.arange(n), y].mean()), "sign_flipped"),
    (ce_with(value=lambda p, s, y, n: -log_softmax(s).mean()), "labels_not_used"),
])
def test_softmax_cross_entropy_mistakes(planted, key):
    fails_with(key, check.softmax_cross_entropy, planted)


def test_ce_not_divided_by_n_message():
    message = fails_with("mean_never", check.softmax_cross_entropy, ce_with(grad=lambda p, onehot, n: p - onehot))
    assert "dscores is N=5 times too large" in message and "divide by N" in message


# --- 7. collapse ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("planted, key", [
    (lambda W1, b1, W2, b2: (W2 @ W1, b1 @ W2 + b2), "composition_order"),
    (lambda W1, b1, W2, b2: (W1 @ W2, b2), "bias_not_carried"),
    (lambda W1, b1, W2, b2: (W1 @ W2, b1 + b2), "bias_not_carried"),
    (lambda W1, b1, W2, b2: (W1 * W2, b1 @ W2 + b2), "elementwise_product"),
    (lambda W1, b1, W2, b2: W1 @ W2, "bad_return"),
])
def test_collapse_linear_mistakes(planted, key):
    fails_with(key, check.collapse_linear, planted)


# --- 8. network ----------------------------------------------------------------------------------------

ACT = {"relu": lambda z: np.maximum(z, 0), "sigmoid": sig, "tanh": np.tanh}
DERIVATIVE = {"relu": lambda z: (z > 0).astype(float), "sigmoid": lambda z: sig(z) * (1 - sig(z)),
              "tanh": lambda z: 1 - np.tanh(z) ** 2}


def net_with(no_derivative=False, at_output=False, scale=1.0, loss_scale=1.0, transpose_W1=False, drop=None,
             db1_rows=False):
    """A two-layer net written from the formulas, with one mistake switched on."""
    def net(x, t, params, hidden="relu", loss="softmax"):
        W1, b1, W2, b2 = (params[k] for k in ("W1", "b1", "W2", "b2"))
        n = x.shape[0]
        z1 = x @ W1 + b1
        h1 = ACT[hidden](z1)
        s = h1 @ W2 + b2
        if loss == "softmax":
            value = -log_softmax(s)[np.arange(n), t].mean()
            ds = (np.exp(log_softmax(s)) - np.eye(s.shape[1])[t]) / n
        else:
            value = 0.5 * np.sum((s - t) ** 2) / n
            ds = (s - t) / n
        ds = ds * loss_scale
        local = 1.0 if no_derivative else DERIVATIVE[hidden](h1 if at_output else z1)
        dz1 = (ds @ W2.T) * local
        grads = {"W1": x.T @ dz1, "b1": dz1 if db1_rows else dz1.sum(axis=0), "W2": h1.T @ ds,
                 "b2": ds.sum(axis=0)}
        grads = {k: v * scale for k, v in grads.items()}
        if transpose_W1:
            grads["W1"] = grads["W1"].T
        if drop:
            del grads[drop]
        return value, grads
    return net


@pytest.mark.parametrize("planted, key", [
    (net_with(no_derivative=True), "missing_activation_derivative"),
    (net_with(at_output=True), "derivative_at_output"),     # right for ReLU, wrong for the sigmoid
    (net_with(scale=0.5), "scaled_half"),
    (net_with(transpose_W1=True), "shape_transposed"),
    (net_with(drop="b2"), "bad_grads"),
    (net_with(db1_rows=True), "batch_not_summed"),
])
def test_two_layer_net_mistakes(planted, key):
    fails_with(key, check.two_layer_net, planted)


def test_two_layer_net_mean_twice_and_never():
    """Dividing the gradients by N again, or a loss gradient without its 1/N (N = 4 in the first case)."""
    fails_with("mean_twice", check.two_layer_net, net_with(scale=0.25))
    fails_with("mean_never", check.two_layer_net, net_with(loss_scale=4.0))


def test_two_layer_net_solution_passes_with_the_reference_net():
    """The planted-mistake builder without a mistake is right, so its failures are the mistakes'."""
    check.two_layer_net(net_with(), quiet=True)
    check.two_layer_net(net_with(), quiet=True, hidden=True)


def test_two_layer_net_ignoring_the_activation_argument_fails():
    def relu_always(x, t, params, hidden="relu", loss="softmax"):
        return net_with()(x, t, params, hidden="relu", loss=loss)
    message = fails_with("ignored_hidden_argument", check.two_layer_net, relu_always)
    assert "hidden='relu'" in message and "'sigmoid' here" in message


# --- 9-10. theta ---------------------------------------------------------------------------------------

def good_flatten(layers):
    return np.concatenate([np.concatenate([W.ravel(), b]) for W, b in layers])


def good_unflatten(theta, like, order="C"):
    out, k = [], 0
    for W, b in like:
        out.append((theta[k:k + W.size].reshape(W.shape, order=order), theta[k + W.size:k + W.size + b.size]))
        k += W.size + b.size
    return out


@pytest.mark.parametrize("flatten, unflatten, key", [
    (lambda layers: np.concatenate([np.concatenate([b, W.ravel()]) for W, b in layers]), good_unflatten,
     "bias_first"),
    (lambda layers: np.concatenate([np.concatenate([W.ravel(order="F"), b]) for W, b in layers]),
     good_unflatten, "column_major"),
    (lambda layers: np.concatenate([W.ravel() for W, _ in layers] + [b for _, b in layers]), good_unflatten,
     "weights_then_biases"),
    (good_flatten, lambda theta, like: good_unflatten(theta, like, order="F"), "column_major"),
    (good_flatten, lambda theta, like: like, "returned_like"),
    (good_flatten, lambda theta, like: [W for W, _ in good_unflatten(theta, like)], "bad_return"),
    (lambda layers: [np.concatenate([W.ravel(), b]) for W, b in layers], good_unflatten, "not_numeric"),
])
def test_flatten_mistakes(flatten, unflatten, key):
    fails_with(key, check.flatten, flatten, unflatten)


@pytest.mark.parametrize("planted, key", [
    (lambda h, dz: np.concatenate([(dz.T @ h).ravel(), dz.sum(axis=0)]), "outer_transposed"),
    (lambda h, dz: (h.T @ dz).ravel(), "bias_missing"),
    (lambda h, dz: np.concatenate([(h.T @ dz).ravel(), dz.ravel()]), "batch_not_summed"),
    (lambda h, dz: np.concatenate([(h.T @ dz).ravel(), dz.sum(axis=0)]) / h.shape[0], "mean_in_layer"),
    (lambda h, dz: np.concatenate([(h.T @ dz).ravel(order="F"), dz.sum(axis=0)]), "outer_transposed"),
])
def test_layer_theta_grad_mistakes(planted, key):
    fails_with(key, check.layer_theta_grad, planted)


# --- 11. hinge -----------------------------------------------------------------------------------------

def hinge_with(count_own=False, reg_grad=lambda reg, W: 2 * reg * W, subtract=True, reg_in_loss=True,
               mean=True, clamp=True):
    def hinge(W, x, labels, reg):
        n = x.shape[0]
        rows = np.arange(n)
        s = x @ W
        margins = s - s[rows, labels][:, None] + 1
        if not count_own:
            margins[rows, labels] = 0
        data = (np.maximum(margins, 0) if clamp else margins * (np.arange(W.shape[1]) != labels[:, None])).sum()
        data = data / n if mean else data
        loss = data + (reg * np.sum(W * W) if reg_in_loss else 0.0)
        mask = (margins > 0).astype(float)
        if subtract:
            mask[rows, labels] = 0
            mask[rows, labels] = -mask.sum(axis=1)
        return loss, x.T @ mask / n + reg_grad(reg, W)
    return hinge


def test_hinge_reference_builder_is_right():
    check.hinge_loss(hinge_with(), quiet=True)
    check.hinge_loss(hinge_with(), quiet=True, hidden=True)


@pytest.mark.parametrize("planted, key", [
    (hinge_with(count_own=True), "own_margin_counted"),
    (hinge_with(reg_grad=lambda reg, W: 0.0), "reg_grad_missing"),
    (hinge_with(reg_grad=lambda reg, W: reg * W), "reg_grad_no_2"),
    (hinge_with(subtract=False), "correct_class_not_subtracted"),
    (hinge_with(reg_in_loss=False), "reg_missing"),
    (hinge_with(mean=False), "mean_never"),
    (hinge_with(clamp=False), "no_max"),
])
def test_hinge_loss_mistakes(planted, key):
    fails_with(key, check.hinge_loss, planted)


def test_own_margin_is_caught_by_the_loss_value_alone():
    """Counting the correct class's margin leaves dW exactly right, so only the loss shows it."""
    message = fails_with("own_margin_counted", check.hinge_loss, hinge_with(count_own=True))
    assert "exactly 1 too large" in message
    rng = np.random.default_rng(0)
    W, x, labels = rng.standard_normal((4, 3)), rng.standard_normal((5, 4)), np.array([0, 1, 2, 0, 1])
    np.testing.assert_allclose(hinge_with(count_own=True)(W, x, labels, 0.1)[1], hinge_with()(W, x, labels, 0.1)[1])
    assert np.isclose(hinge_with(count_own=True)(W, x, labels, 0.1)[0], hinge_with()(W, x, labels, 0.1)[0] + 1)


def test_hinge_inputs_stay_away_from_the_kink():
    for hidden in (False, True):
        rng = check._rng(hidden, 500)
        for n, d, c in ([(6, 3, 4), (4, 4, 4)] if hidden else [(5, 4, 3), (4, 3, 3)]):
            x, W, labels = check._hinge_case(rng, n, d, c)
            s = x @ W
            margins = s - s[np.arange(n), labels][:, None] + 1
            margins[np.arange(n), labels] = 1.0
            assert np.min(np.abs(margins)) > check.KINK_MARGIN


# --- 12. memory ----------------------------------------------------------------------------------------

def bytes_with(dedupe=True, count=lambda a: a.nbytes, recurse=True):
    def cache_bytes(cache, seen=None):
        seen = set() if seen is None else seen
        if isinstance(cache, np.ndarray):
            if dedupe and id(cache) in seen:
                return 0
            seen.add(id(cache))
            return count(cache)
        if isinstance(cache, dict):
            cache = list(cache.values())
        if isinstance(cache, (list, tuple)):
            if not recurse:
                return sum(count(a) for a in cache if isinstance(a, np.ndarray))
            return sum(cache_bytes(item, seen) for item in cache)
        return 0
    return cache_bytes


@pytest.mark.parametrize("planted, key", [
    (bytes_with(dedupe=False), "counted_twice"),
    (bytes_with(count=lambda a: a.size), "counted_entries"),
    (bytes_with(count=lambda a: 8 * a.size), "assumed_8_bytes"),
    (bytes_with(recurse=False), "not_recursive"),
    (lambda cache: np.array([1, 2]), "not_numeric"),
])
def test_cache_bytes_mistakes(planted, key):
    fails_with(key, check.cache_bytes, planted)


# --- other right answers pass ----------------------------------------------------------------------

def affine_forward_shape_cache(x, W, b):
    x2 = x.reshape(len(x), -1)
    return x2 @ W + b, (x.shape, x2, W)


def affine_backward_shape_cache(dout, cache):
    shape, x2, W = cache
    return (dout @ W.T).reshape(shape), np.einsum("si,sj->ij", x2, dout), np.einsum("sj->j", dout)


def ce_logsumexp(scores, labels):
    n = scores.shape[0]
    m = scores.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(scores - m).sum(axis=1))
    loss = np.mean(lse - scores[np.arange(n), labels])
    p = np.exp(scores - lse[:, None])
    return loss, (p - np.eye(scores.shape[1])[labels]) / n


def hinge_loops(W, x, labels, reg):
    n, c = x.shape[0], W.shape[1]
    loss, dW = 0.0, np.zeros_like(W)
    for i in range(n):
        s = x[i] @ W
        for j in range(c):
            if j != labels[i] and s[j] - s[labels[i]] + 1 > 0:
                loss += s[j] - s[labels[i]] + 1
                dW[:, j] += x[i]
                dW[:, labels[i]] -= x[i]
    return loss / n + reg * np.sum(W ** 2), dW / n + 2 * reg * W


def bytes_with_a_stack(cache):
    total, seen, todo = 0, set(), [cache]
    while todo:
        item = todo.pop()
        if isinstance(item, np.ndarray) and id(item) not in seen:
            seen.add(id(item))
            total += item.size * item.itemsize
        elif isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, (list, tuple)):
            todo.extend(item)
    return total


@pytest.mark.parametrize("key, fns", [
    ("affine", (affine_forward_shape_cache, affine_backward_shape_cache)),
    ("softmax_cross_entropy", (ce_logsumexp,)),
    ("hinge_loss", (hinge_loops,)),
    ("cache_bytes", (bytes_with_a_stack,)),
    ("flatten", (lambda layers: np.hstack([np.hstack([W.reshape(-1), b]) for W, b in layers]),
                 lambda theta, like: good_unflatten(theta, like))),
    ("layer_theta_grad", (lambda h, dz: np.concatenate([sum(np.outer(h[s], dz[s]) for s in range(len(h))).ravel(),
                                                        dz.sum(axis=0)]),)),
    ("collapse_linear", (lambda W1, b1, W2, b2: (np.dot(W1, W2), np.dot(b1, W2) + b2),)),
])
def test_other_right_answers_pass(key, fns):
    getattr(check, key)(*fns, quiet=True)
    getattr(check, key)(*fns, quiet=True, hidden=True)


# --- 1. layer_questions ------------------------------------------------------------------------------

def questions(**changes):
    def layer_questions(N, D, M):
        answers = {"db_axis": 0, "dW_terms": N, "dh_terms": M, "delta_per_dz": N}
        answers.update({k: v(N, D, M) if callable(v) else v for k, v in changes.items()})
        return answers
    return layer_questions


@pytest.mark.parametrize("planted, key", [
    (questions(db_axis=1), "db_axis"),
    (questions(dW_terms=lambda N, D, M: D), "dW_terms"),
    (questions(dW_terms=lambda N, D, M: M), "dW_terms"),
    (questions(dh_terms=lambda N, D, M: N), "dh_terms"),
    (questions(dh_terms=lambda N, D, M: D), "dh_terms"),
    (questions(delta_per_dz=lambda N, D, M: 1 / N), "delta_factor"),
    (questions(delta_per_dz=1), "delta_factor"),
    (questions(dW_terms=5), "hard_coded"),                 # the first case's N, typed in
    (questions(delta_per_dz="N"), "string_answer"),
    (questions(delta_per_dz=[5]), "not_numeric"),
    (lambda N, D, M: [0, N, M, N], "bad_return"),
    (lambda N, D, M: {"db_axis": 0, "dW_terms": N, "dh_terms": M}, "missing_key"),
])
def test_layer_questions_mistakes(planted, key):
    fails_with(key, check.layer_questions, planted)


def test_layer_questions_messages_explain_the_sum():
    message = fails_with("dW_terms", check.layer_questions, questions(dW_terms=lambda N, D, M: D))
    assert "N=5 was expected" in message and "where the transpose in dW comes from" in message
    assert "see hint 2 of Exercise 1" in message


def test_layer_questions_accepts_numpy_numbers():
    check.layer_questions(lambda N, D, M: {"db_axis": np.int64(0), "dW_terms": np.float64(N), "dh_terms": M,
                                           "delta_per_dz": N * 1.0}, quiet=True)


# --- inputs that are not kind: a right answer for N = 4 only, or for one branch only ---------------------

def test_a_batch_size_typed_in_fails_every_batch_check_visibly():
    """Each visible check has a case whose N is not 4."""
    fails_with("hard_coded_batch", check.mse_loss,
               lambda y, t: (0.5 * np.sum((y - t) ** 2) / 4, (y - t) / 4))
    with pytest.raises(AssertionError):   # CheckFailed: the value or gradient is off somewhere
        check.softmax_cross_entropy(ce_with(value=lambda p, s, y, n: -log_softmax(s)[np.arange(n), y].sum() / 4,
                                            grad=lambda p, onehot, n: (p - onehot) / 4), quiet=True)
    with pytest.raises(AssertionError):
        check.affine(lambda x, W, b: (x.reshape(4, -1) @ W + b, (x, W)), aff_backward_with(), quiet=True)
    fails_with("mean_twice", check.two_layer_net, net_with(scale=0.25))   # /4 everywhere: N=3, 5 give it away


def test_every_activation_and_loss_is_checked_visibly():
    for hidden in ("relu", "sigmoid", "tanh"):
        def only(x, t, params, hidden_=hidden, **kw):
            return net_with()(x, t, params, hidden=hidden_, loss=kw.get("loss", "softmax"))
        with pytest.raises(AssertionError):
            check.two_layer_net(only, quiet=True)

    def softmax_always(x, t, params, hidden="relu", loss="softmax"):
        return net_with()(x, t, params, hidden=hidden, loss="softmax")
    fails_with("ignored_loss_argument", check.two_layer_net, softmax_always)


# --- 2. affine: more mistakes; a catalog row never raises -------------------------------------------------

@pytest.mark.parametrize("backward, key", [
    (aff_backward_with(dx=lambda d, x, W: (2 * d @ W.T).reshape(x.shape)), "scaled_2"),   # once crashed a row
    (aff_backward_with(dx=lambda d, x, W: (np.ones_like(d) @ W.T).reshape(x.shape)), "ignores_upstream"),
    (aff_backward_with(dW=lambda d, x, W: x.T @ d), "dW_not_flattened"),
    (aff_backward_with(db=lambda d, x, W: np.sum(d)), "db_summed_all"),
    (aff_backward_with(db=lambda d, x, W: d.sum(axis=1)), "db_axis"),
    (aff_backward_with(dx=lambda d, x, W: (d @ W.T).reshape(x.shape) / x.shape[0]), "mean_in_layer"),
])
def test_affine_more_mistakes(backward, key):
    fails_with(key, check.affine, aff_forward, backward)


def test_affine_forward_that_changes_x_in_place_is_named():
    def forward(x, W, b):
        x *= 1.0 + 0.0 * x.sum()       # "scales" x in place; with integers it even stays the same
        x[...] = x * 2
        return flat(x) @ W / 2 + b, (x, W)
    message = fails_with("mutated_input", check.affine, forward, aff_backward_with())
    assert "changed x in place" in message


def test_a_row_that_cannot_be_computed_does_not_apply():
    """like() rows of this module turn an exception into 'no match'."""
    from autograder.catalog import Evidence
    from autograder.compare import FullOracle
    row = check.like("k", "s", lambda ev: ev.dout @ ev.inputs[1])
    ev = Evidence(name="dx", of="x", raw=np.ones((4, 5)), want=(4, 5), oracle=FullOracle(np.zeros((4, 5))),
                  inputs=(np.ones((4, 5)), np.ones((5, 3))), dout=np.ones((4, 3)))
    ev.yours = np.ones((4, 5))
    assert row.test(ev) is False


# --- 3-5. activations: extremes, the local derivative alone, ReLU's forward ------------------------------

def test_sigmoid_backward_that_recomputes_a_plain_exp_is_named():
    fails_with("backward_overflow", check.sigmoid, lambda z: (sig(z), z),
               lambda d, z: d * (1 / (1 + np.exp(-z))) * (1 - 1 / (1 + np.exp(-z))))


@pytest.mark.parametrize("forward, backward, key", [
    (tanh_forward, lambda d, out: 1 - out ** 2, "derivative_without_dout"),
    (lambda z: (np.tanh(z), z), lambda d, z: d * (1 - ((np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))) ** 2),
     "backward_overflow"),
])
def test_tanh_more_mistakes(forward, backward, key):
    fails_with(key, check.tanh, forward, backward)


@pytest.mark.parametrize("forward, backward, key", [
    (lambda z: (np.max(z, 0), z), lambda d, z: d * (z > 0), "relu_max_axis"),
    (lambda z: (np.abs(z), z), lambda d, z: d * (z > 0), "relu_abs"),
    (lambda z: (np.maximum(z, 0),) * 2, lambda d, out: d * out, "mask_times_z"),
])
def test_relu_more_mistakes(forward, backward, key):
    fails_with(key, check.relu, forward, backward)


def test_relu_of_integers_may_stay_integers():
    check.relu(lambda z: (np.maximum(z, 0), z), lambda d, z: d * (z > 0), quiet=True)   # int in, int out


# --- 6-7. losses: the wrong axis, integer targets, in place, the batch's max ------------------------------

@pytest.mark.parametrize("planted, key", [
    (mse_with(lambda y, t, n: 0.5 * np.sum((y - t) ** 2) / y.shape[1], lambda y, t, n: (y - t) / y.shape[1]),
     "n_from_wrong_axis"),
    (mse_with(HALF_SQ, lambda y, t, n: (y - t) / y.shape[1]), "n_from_wrong_axis"),
    (mse_with(HALF_SQ, lambda y, t, n: (y - t) / y.size), "mean_over_outputs"),
])
def test_mse_more_mistakes(planted, key):
    fails_with(key, check.mse_loss, planted)


def test_mse_gradient_of_integer_dtype_is_named():
    def mse(y, t):
        dy = np.zeros_like(t)
        dy[:] = (y - t) / len(y)
        return 0.5 * np.sum((y - t) ** 2) / len(y), dy
    fails_with("integer_dtype", check.mse_loss, mse)


def test_mse_that_changes_y_in_place_is_named():
    def mse(y, t):
        y -= t
        return 0.5 * np.sum(y ** 2) / len(y), y / len(y)
    message = fails_with("mutated_input", check.mse_loss, mse)
    assert "changed y in place" in message


def ce_shift(shift):
    def ce(scores, labels):
        n = scores.shape[0]
        shifted = shift(scores)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        d = np.exp(log_p)
        d[np.arange(n), labels] -= 1
        return -log_p[np.arange(n), labels].mean(), d / n
    return ce


def test_softmax_shifted_by_the_batch_max_is_named():
    message = fails_with("global_max", check.softmax_cross_entropy, ce_shift(lambda s: s - s.max()))
    assert "each row's OWN max" in message


def test_softmax_shifted_in_place_is_named():
    def ce(scores, labels):
        scores -= scores.max(axis=1, keepdims=True)
        return ce_shift(lambda s: s)(scores, labels)
    message = fails_with("mutated_input", check.softmax_cross_entropy, ce)
    assert "changed scores in place" in message and "see hint 3 of Exercise 7" in message


@pytest.mark.parametrize("planted, key", [
    (ce_with(value=lambda p, s, y, n: -log_softmax(s)[:, y].mean()), "labels_as_columns"),
    (ce_with(value=lambda p, s, y, n: -(s - s.max(axis=1, keepdims=True) - np.log(np.exp(
        s - s.max(axis=1, keepdims=True)).sum()))[np.arange(n), y].mean()), "normalised_over_batch"),
])
def test_softmax_more_mistakes(planted, key):
    fails_with(key, check.softmax_cross_entropy, planted)


# --- 8. collapse: numpy's exceptions named ---------------------------------------------------------------

def test_collapse_mistakes_that_make_numpy_raise_are_named():
    message = fails_with("bias_not_carried", check.collapse_linear, lambda W1, b1, W2, b2: (W1 @ W2, b1 + b2))
    assert "goes through W2 too" in message
    fails_with("second_bias_missing", check.collapse_linear, lambda W1, b1, W2, b2: (W1 @ W2, b1 @ W2))


# --- 9. network: dict order, wiring -----------------------------------------------------------------------

def test_grads_paired_with_params_by_position_are_named():
    def zipped(x, t, params, hidden="relu", loss="softmax"):
        value, grads = net_with()(x, t, params, hidden=hidden, loss=loss)
        return value, dict(zip(params, [grads[k] for k in ("W1", "b1", "W2", "b2")]))
    fails_with("grads_mislabelled", check.two_layer_net, zipped)


def test_a_backward_fed_the_wrong_gradient_is_named():
    def wired(x, t, params, hidden="relu", loss="softmax"):
        W1, b1, W2, b2 = (params[k] for k in ("W1", "b1", "W2", "b2"))
        z1 = x @ W1 + b1
        s = np.maximum(z1, 0) @ W2 + b2
        n = x.shape[0]
        ds = (np.exp(log_softmax(s)) - np.eye(s.shape[1])[t]) / n
        dz1 = ds * (z1 > 0)                 # the activation's backward fed dscores
        return 0.0, {"W1": x.T @ dz1, "b1": dz1.sum(0), "W2": dz1, "b2": ds.sum(0)}
    fails_with("backward_wiring", check.two_layer_net, wired)


# --- 10-11. theta ----------------------------------------------------------------------------------------

def unflatten_with(skip_bias=False, bias_at_weights=False):
    def unflatten(theta, like):
        out, k = [], 0
        for W, b in like:
            W_new = theta[k:k + W.size].reshape(W.shape)
            b_new = theta[k:k + b.size] if bias_at_weights else theta[k + W.size:k + W.size + b.size]
            k += W.size + (0 if skip_bias else b.size)
            out.append((W_new, b_new))
        return out
    return unflatten


@pytest.mark.parametrize("flatten, unflatten, key", [
    (good_flatten, unflatten_with(skip_bias=True), "offset_skips_bias"),
    (good_flatten, unflatten_with(bias_at_weights=True), "bias_at_weights"),
    (lambda layers: np.concatenate([W.ravel() for W, b in layers]), good_unflatten, "bias_missing"),
])
def test_flatten_more_mistakes(flatten, unflatten, key):
    fails_with(key, check.flatten, flatten, unflatten)


@pytest.mark.parametrize("planted, key", [
    (lambda h, dz: np.concatenate([np.outer(h.sum(0), dz.sum(0)).ravel(), dz.sum(axis=0)]), "outer_of_sums"),
    (lambda h, dz: np.concatenate([np.outer(h[0], dz[0]).ravel(), dz.sum(axis=0)]), "one_sample_only"),
    (lambda h, dz: np.concatenate([(h.T @ dz).ravel(), dz.mean(axis=0)]), "mean_in_layer"),
    (lambda h, dz: h.T @ dz, "not_flattened"),
])
def test_layer_theta_grad_more_mistakes(planted, key):
    fails_with(key, check.layer_theta_grad, planted)


# --- 12. hinge ---------------------------------------------------------------------------------------------

def test_hinge_more_mistakes():
    fails_with("subtracted_once", check.hinge_loss, lambda W, x, y, reg: (
        hinge_with()(W, x, y, reg)[0], check._hinge_subtracted_once(W, x, y, reg)))
    fails_with("reg_half", check.hinge_loss, lambda W, x, y, reg: (
        hinge_with()(W, x, y, reg)[0] - 0.5 * reg * np.sum(W * W), hinge_with()(W, x, y, reg)[1]))
    fails_with("reg_not_squared", check.hinge_loss, lambda W, x, y, reg: (
        hinge_with()(W, x, y, reg)[0] - reg * np.sum(W * W) + reg * np.sum(W), hinge_with()(W, x, y, reg)[1]))

    def in_place(W, x, labels, reg):
        x *= 1.0
        x += 0.0
        labels[...] = labels[::-1].copy()
        return hinge_with()(W, x, labels[::-1], reg)
    fails_with("mutated_input", check.hinge_loss, in_place)


# --- 13. memory ------------------------------------------------------------------------------------------

def bytes_walk(into=(list, tuple, dict), by_keys=False, default=None):
    def cache_bytes(cache, seen=default):
        seen = set() if seen is None else seen
        if isinstance(cache, np.ndarray):
            if id(cache) in seen:
                return 0
            seen.add(id(cache))
            return cache.nbytes
        if isinstance(cache, into):
            items = cache if (by_keys or not isinstance(cache, dict)) else cache.values()
            return sum(cache_bytes(item, seen) for item in items)
        return 0
    return cache_bytes


@pytest.mark.parametrize("planted, key", [
    (bytes_walk(by_keys=True), "dict_keys"),
    (bytes_walk(into=(list, dict)), "tuples_skipped"),
    (bytes_walk(default=set()), "shared_default"),
    (bytes_with(count=lambda a: __import__("sys").getsizeof(a)), "getsizeof"),
])
def test_cache_bytes_more_mistakes(planted, key):
    fails_with(key, check.cache_bytes, planted)


def test_an_unused_mutable_default_is_not_a_mistake():
    def cache_bytes(cache, seen=set()):     # noqa: B006 (never filled: a fresh set is made each call)
        return bytes_walk()(cache, set())
    check.cache_bytes(cache_bytes, quiet=True)
    check.cache_bytes(cache_bytes, quiet=True, hidden=True)


# --- the mistake-replay catalog, in process; every hint a message cites exists ------------------------------

# --- issue 18, round 2: the classes a blind catalog found only as symptoms --------------------------------
# Each diagnosis is tested on the holdout's mistake's siblings, written here from the formulas, so that a
# row that names one answer only (and not its class) fails here.

def affine_loop(start=0, stop=0, assign=False):
    """affine_backward whose dW and db loop over the samples range(start, N - stop) (`=` for `+=`)."""
    def backward(dout, cache):
        x, W = cache
        x2 = flat(x)
        dW, db = np.zeros(W.shape), np.zeros(W.shape[1])
        for s in range(start, x.shape[0] - stop):
            if assign:
                dW, db = np.outer(x2[s], dout[s]), dout[s].copy()
            else:
                dW, db = dW + np.outer(x2[s], dout[s]), db + dout[s]
        return (dout @ W.T).reshape(x.shape), dW, db
    return backward


def integer_dx(dout, cache):
    x, W = cache
    dx = np.zeros_like(x)
    dx[...] = (dout @ W.T).reshape(x.shape)
    return dx, flat(x).T @ dout, dout.sum(axis=0)


@pytest.mark.parametrize("backward, key", [
    (affine_loop(stop=1), "loop_off_by_one"),
    (affine_loop(start=1), "loop_off_by_one"),
    (affine_loop(assign=True), "overwritten_not_added"),
    (integer_dx, "integer_dtype"),
    (aff_backward_with(dW=lambda d, x, W: flat(x).reshape(-1, x.shape[0]) @ d), "reshape_for_transpose"),
    (aff_backward_with(dW=lambda d, x, W: x.T.reshape(-1, x.shape[0]) @ d), "features_reordered"),
    (aff_backward_with(dW=lambda d, x, W: x.reshape(x.shape[0], -1, order="F").T @ d), "features_reordered"),
    (aff_backward_with(dx=lambda d, x, W: (W @ d.T).reshape(x.shape)), "dx_column_convention"),
])
def test_affine_classes_named(backward, key):
    fails_with(key, check.affine, aff_forward, backward)


def test_integer_gradient_message_names_zeros_like_and_the_integer_batch():
    message = fails_with("integer_dtype", check.affine, aff_forward, integer_dx)
    assert "(integers)" in message and "np.zeros_like(x)" in message and "see hint 3 of Exercise 2" in message


def relu_into_zeros_like(dout, z):
    dz = np.zeros_like(z)
    dz[z > 0] = dout[z > 0]
    return dz


@pytest.mark.parametrize("forward, backward, key", [
    (sig_forward, lambda d, out: d * out - out ** 2, "dout_not_distributed"),
    (sig_forward, lambda d, out: d * out * 1 - out, "dout_not_distributed"),
    (lambda z: (sig(z), z), lambda d, z: d * z * (1 - z), "cache_is_input"),
    (sig_forward, lambda d, out: d * (1 - out ** 2), "other_activation_derivative"),
    (sig_forward, lambda d, out: d * (1 - out), "derivative_factor_missing"),
])
def test_sigmoid_classes_named(forward, backward, key):
    fails_with(key, check.sigmoid, forward, backward)


@pytest.mark.parametrize("forward, backward, key", [
    (tanh_forward, lambda d, out: d * 1 - out ** 2, "dout_not_distributed"),
    (lambda z: (np.tanh(z), z), lambda d, z: d * (1 - np.tanh(z)) ** 2, "square_outside"),
    (tanh_forward, lambda d, out: d * (1 - out) ** 2, "square_outside"),
    (lambda z: (np.tanh(z), z), lambda d, z: d * (1 - z ** 2), "cache_is_input"),
    (tanh_forward, lambda d, out: d * out * (1 - out), "other_activation_derivative"),
    (tanh_forward, lambda d, out: d * (1 + out ** 2), "other_activation_derivative"),
])
def test_tanh_classes_named(forward, backward, key):
    fails_with(key, check.tanh, forward, backward)


@pytest.mark.parametrize("forward, backward, key", [
    (relu_forward, lambda d, z: d * np.sign(z), "sign_not_step"),
    (relu_forward, relu_into_zeros_like, "integer_dtype"),
    (relu_forward, lambda d, z: d * (z > 0) - (z < 0), "dout_not_distributed"),
])
def test_relu_classes_named(forward, backward, key):
    fails_with(key, check.relu, forward, backward)


@pytest.mark.parametrize("forward, backward", [
    (relu_forward, lambda d, z: np.where(z > 0, d, 0.0)),
    (relu_forward, lambda d, z: np.where(z > 0, d, 0)),                 # integer 0 with float dout: float
    (relu_forward, lambda d, z: np.zeros_like(z, dtype=float) + d * (z > 0)),
    (tanh_forward, lambda d, out: d - d * out ** 2),                      # distributed by hand: right
])
def test_right_variants_of_the_new_diagnoses_pass(forward, backward):
    layer = check.tanh if forward is tanh_forward else check.relu
    layer(forward, backward, quiet=True)
    layer(forward, backward, quiet=True, hidden=True)


def test_affine_right_variants_pass():
    for backward in (aff_backward_with(dx=lambda d, x, W: np.zeros(x.shape) + (d @ W.T).reshape(x.shape)),
                     affine_loop()):
        check.affine(aff_forward, backward, quiet=True)
        check.affine(aff_forward, backward, quiet=True, hidden=True)


def mse_loop(stop=1):
    def mse(y, t):
        n = y.shape[0]
        loss, dy = 0.0, np.zeros(y.shape)
        for s in range(n - stop):
            loss += 0.5 * np.sum((y[s] - t[s]) ** 2)
            dy[s] = (y[s] - t[s]) / n
        return loss / n, dy
    return mse


@pytest.mark.parametrize("planted, key", [
    (mse_with(HALF_SQ, lambda y, t, n: y - t / n), "division_precedence"),
    (mse_with(HALF_SQ, lambda y, t, n: y / n - t), "division_precedence"),
    (mse_with(lambda y, t, n: 0.5 * np.sum(y - t) ** 2 / n, DY), "square_of_sum"),
    (mse_loop(), "loop_off_by_one"),
    (mse_with(HALF_SQ, lambda y, t, n: np.where(np.arange(n)[:, None] < n - 1, (y - t) / n, 0.0)),
     "loop_off_by_one"),
])
def test_mse_classes_named(planted, key):
    fails_with(key, check.mse_loss, planted)


def rows_minus_one(p, onehot, labels, n):
    g = p.copy()
    g[labels] -= 1
    return g / n


@pytest.mark.parametrize("planted, key", [
    (ce_with(grad=lambda p, onehot, n: p - onehot / n), "division_precedence"),
    (ce_with(grad=lambda p, onehot, n: (p - 1) / n), "onehot_everywhere"),
    (lambda s, y: ce_with(grad=lambda p, onehot, n: rows_minus_one(p, onehot, y, n))(s, y), "labels_as_rows"),
    (ce_with(value=lambda p, s, y, n: -log_softmax(s)[y].mean()), "labels_as_rows"),
    (ce_with(probs=lambda s: np.exp(s - s.max(axis=1)[:, None]) / np.exp(s - s.max(axis=1)[:, None]).sum(axis=1)),
     "not_a_column"),
    (ce_with(probs=lambda s: np.exp(s - s.max(axis=1)) / 1.0), "not_a_column"),
    (ce_with(value=lambda p, s, y, n: -np.log((np.exp(s) / np.exp(s).sum(axis=0, keepdims=True))[np.arange(n), y])
             .mean()), "normalised_over_batch"),
    (ce_with(value=lambda p, s, y, n: -np.log(shifted_probs(s.T).T[np.arange(n), y]).mean()), "normalised_over_batch"),
])
def test_softmax_classes_named(planted, key):
    fails_with(key, check.softmax_cross_entropy, planted)


def test_not_a_column_message_says_keepdims_and_the_shapes():
    message = fails_with("not_a_column", check.softmax_cross_entropy,
                         ce_with(probs=lambda s: np.exp(s - s.max(axis=1)) / 1.0))
    assert "keepdims=True" in message and "(5,)" in message and "(5, 3)" in message


def hinge_variant(variant):
    def hinge(W, x, labels, reg):
        n = x.shape[0]
        rows = np.arange(n)
        s = x @ W
        margins = s - s[rows, labels][:, None] + 1
        margins[rows, labels] = 0
        data, penalty = np.maximum(margins, 0).sum() / n, reg * np.sum(W * W)
        mask = (margins >= 0 if variant == ">=" else margins > 0).astype(float)
        mask[rows, labels] = -mask.sum(axis=0 if variant == "axis0" else 1)
        dW = x.T @ mask / n + 2 * reg * W
        if variant == "no column":
            margins = s - s[rows, labels] + 1
        if variant == "reg / N":
            return data + penalty / n, x.T @ mask / n + 2 * reg * W / n
        if variant == "reg grad / N":
            return data + penalty, x.T @ mask / n + 2 * reg * W / n
        if variant == "square of sum":
            return data + reg * np.sum(W) ** 2, dW
        if variant == "x @ mask":
            return data + penalty, x @ mask
        return data + penalty, dW
    return hinge


def hinge_loop(stop=1, loss_too=True):
    def hinge(W, x, labels, reg):
        n, c = x.shape[0], W.shape[1]
        loss, dW = 0.0, np.zeros_like(W)
        for i in range(n - stop):
            s = x[i] @ W
            for j in range(c):
                margin = s[j] - s[labels[i]] + 1
                if j != labels[i] and margin > 0:
                    loss += margin
                    dW[:, j] += x[i]
                    dW[:, labels[i]] -= x[i]
        right = hinge_with()(W, x, labels, reg)[0]
        return (loss / n + reg * np.sum(W * W) if loss_too else right), dW / n + 2 * reg * W
    return hinge


@pytest.mark.parametrize("planted, key", [
    (hinge_variant(">="), "own_margin_counted"),
    (hinge_variant("axis0"), "count_wrong_axis"),
    (hinge_variant("reg / N"), "reg_over_n"),
    (hinge_variant("reg grad / N"), "reg_over_n"),
    (hinge_variant("square of sum"), "reg_square_of_sum"),
    (hinge_variant("x @ mask"), "backward_shapes"),
    (hinge_loop(), "loop_off_by_one"),
    (hinge_loop(loss_too=False), "loop_off_by_one"),
])
def test_hinge_classes_named(planted, key):
    fails_with(key, check.hinge_loss, planted)


def test_hinge_loop_over_every_sample_passes():
    check.hinge_loss(hinge_loop(stop=0), quiet=True)
    check.hinge_loss(hinge_loop(stop=0), quiet=True, hidden=True)


def theta_loop(start=0, stop=0, assign=False):
    def layer_theta_grad(h, dz):
        dW, db = np.zeros((h.shape[1], dz.shape[1])), np.zeros(dz.shape[1])
        for s in range(start, h.shape[0] - stop):
            if assign:
                dW, db = np.outer(h[s], dz[s]), dz[s]
            else:
                dW, db = dW + np.outer(h[s], dz[s]), db + dz[s]
        return np.concatenate([dW.ravel(), db])
    return layer_theta_grad


@pytest.mark.parametrize("planted, key", [
    (theta_loop(stop=1), "loop_off_by_one"),
    (theta_loop(start=1), "loop_off_by_one"),
    (theta_loop(assign=True), "overwritten_not_added"),
    (lambda h, dz: np.concatenate([np.outer(h, dz).ravel(), dz.sum(axis=0)]), "outer_of_batches"),
    (lambda h, dz: np.concatenate([(h @ dz).ravel(), dz.sum(axis=0)]), "backward_shapes"),
])
def test_layer_theta_grad_classes_named(planted, key):
    fails_with(key, check.layer_theta_grad, planted)


def test_loop_message_names_the_bound():
    message = fails_with("loop_off_by_one", check.layer_theta_grad, theta_loop(stop=1))
    assert "range(N - 1)" in message and "last sample" in message


def unflatten_into_like(theta, like):
    k = 0
    for W, b in like:
        W[...] = theta[k:k + W.size].reshape(W.shape)
        k += W.size
        b[...] = theta[k:k + b.size]
        k += b.size
    return like


def test_unflatten_that_writes_into_like_is_named():
    message = fails_with("wrote_into_like", check.flatten, good_flatten, unflatten_into_like)
    assert "section 7" in message


def net_variant(variant):
    """The right net, with its forward pass changed."""
    def net(x, t, params, hidden="relu", loss="softmax"):
        W1, b1, W2, b2 = (params[k] for k in ("W1", "b1", "W2", "b2"))
        n = x.shape[0]
        z1 = x @ W1 + b1
        h1 = z1 if variant == "no activation" else ACT[hidden](z1)
        s = h1 @ W2 + b2
        if variant == "activation on scores":
            s = ACT[hidden](s)
        value = -log_softmax(s)[np.arange(n), t].mean() if loss == "softmax" else 0.5 * np.sum((s - t) ** 2) / n
        return value, net_with()(x, t, params, hidden, loss)[1]
    return net


@pytest.mark.parametrize("variant, key", [("activation on scores", "activation_on_scores"),
                                          ("no activation", "activation_skipped")])
def test_two_layer_net_forward_variants_named(variant, key):
    fails_with(key, check.two_layer_net, net_variant(variant))


def test_a_wrong_loss_number_is_not_called_a_constant_factor():
    message = fails_with("wrong_values", check.mse_loss, mse_with(lambda y, t, n: HALF_SQ(y, t, n) + 0.1, DY))
    assert "constant factor" not in message and "yours " in message and ", expected " in message


def test_string_answers_are_named():
    message = fails_with("string_answer", check.layer_questions, questions(dW_terms="N"))
    assert "'N'" in message


from mistakes import GENERIC, catalogs  # noqa: E402

CATALOG = catalogs()[NB]
FUNCTIONS = {"layer_questions": ("layer_questions",), "affine": ("affine_forward", "affine_backward"),
             "sigmoid": ("sigmoid_forward", "sigmoid_backward"), "tanh": ("tanh_forward", "tanh_backward"),
             "relu": ("relu_forward", "relu_backward"), "mse_loss": ("mse_loss",),
             "softmax_cross_entropy": ("softmax_cross_entropy",), "collapse_linear": ("collapse_linear",),
             "two_layer_net": ("two_layer_net",), "flatten": ("flatten", "unflatten"),
             "layer_theta_grad": ("layer_theta_grad",), "hinge_loss": ("hinge_loss",),
             "cache_bytes": ("cache_bytes",)}


def exercise_hints():
    """{exercise number: the hint numbers in the markdown cell of its heading}"""
    nb = nbedit.read(solution_path(NB))
    found = {}
    for c in nb["cells"]:
        text = "".join(c["source"]) if c["cell_type"] == "markdown" else ""
        heading = re.search(r"^### Exercise (\d+) ", text, flags=re.M)
        if heading:
            found[int(heading.group(1))] = [int(n) for n in re.findall(r"<b>Hint (\d+)</b>", text)]
    return found


def test_every_exercise_has_two_or_three_hints_numbered_from_1():
    hints = exercise_hints()
    assert sorted(hints) == list(range(1, len(check.EXERCISES.parts) + 1))
    for number, found in hints.items():
        assert found in ([1, 2], [1, 2, 3]), (number, found)


def test_the_catalog_has_a_common_and_a_subtle_mistake_per_part_and_names_90_percent():
    parts = {m.part for m in CATALOG}
    assert parts == set(check.EXERCISES.keys)
    for part in parts:
        kinds = {m.kind for m in CATALOG if m.part == part} - {"blind"}    # blind: issue 18's second catalog
        assert kinds == {"common", "subtle"}, (part, kinds)
    assert sum(m.key not in GENERIC for m in CATALOG) >= 0.9 * len(CATALOG)


@pytest.mark.parametrize("mistake", CATALOG, ids=[f"{m.part}:{m.key}:{k}" for k, m in enumerate(CATALOG)])
def test_catalog_mistake_in_process_names_its_key_and_cites_an_existing_hint(sol, mistake):
    """The replay test (tests/checks/test_mistakes.py) grades a whole notebook per row; this runs the same cell
    against the check directly, fast, and checks that the hint its message cites is in the notebook."""
    from autograder import CheckFailed
    namespace = dict(sol.namespace)
    exec(compile(mistake.source, f"<{mistake.part}>", "exec"), namespace)
    fns = [namespace[name] for name in FUNCTIONS[mistake.part]]
    with pytest.raises(CheckFailed) as info:
        getattr(check, mistake.part)(*fns, quiet=True)
        getattr(check, mistake.part)(*fns, quiet=True, hidden=True)
    assert info.value.key == mistake.key, str(info.value)
    number = check.EXERCISES.keys.index(mistake.part) + 1
    if info.value.hint is not None:
        assert info.value.hint in exercise_hints()[number], (mistake.key, info.value.hint)
        assert f"see hint {info.value.hint} of Exercise {number} " in str(info.value)
